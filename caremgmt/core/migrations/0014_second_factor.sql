-- Second factor (caremgmt.core.second_factor): a time-based one-time password (TOTP,
-- RFC 6238) per account. ``secret`` is the confirmed one (NULL until a first correct
-- code confirms an enrolment); ``pending_secret`` an enrolment shown to her but not yet
-- confirmed (a first one, or a new phone replacing the old). ``last_step`` is the
-- 30-second step of the last code accepted: a code of that step or an earlier one is
-- refused, so a code seen over her shoulder is worth nothing once she has used it.
CREATE TABLE second_factors (
    user_id INTEGER PRIMARY KEY REFERENCES users(id),
    secret TEXT,
    confirmed_at TEXT,
    last_step INTEGER,
    pending_secret TEXT,
    pending_at TEXT,
    CHECK ((secret IS NULL) = (confirmed_at IS NULL)),
    CHECK ((pending_secret IS NULL) = (pending_at IS NULL))
);
-- One-time recovery codes: only their SHA-256 is kept (each is 59 random bits, shown
-- once); a used one keeps its row with the time it was used.
CREATE TABLE recovery_codes (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    code_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    used_at TEXT
);
CREATE INDEX recovery_codes_user ON recovery_codes(user_id, used_at);
-- A login session started for an account with a second factor waits for a code: until
-- one is accepted it opens nothing but the page that asks for it (caremgmt.core.sessions).
ALTER TABLE login_sessions ADD COLUMN second_factor_due INTEGER NOT NULL DEFAULT 0
    CHECK (second_factor_due IN (0, 1));
