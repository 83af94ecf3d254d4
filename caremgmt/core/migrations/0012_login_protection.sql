-- Login protection (caremgmt.core.auth). An account whose password an admin reset must
-- choose a new one before she can open anything else.
ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0
    CHECK (must_change_password IN (0, 1));
-- Failed logins in a row, per typed account name and per client address, and the lock
-- they earned. A row is keyed by an HMAC of the name or address (never the text typed:
-- a password typed into the name field must not be kept), so unknown names are
-- throttled exactly like real ones and the table says nothing about who tried.
CREATE TABLE login_throttle (
    key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL CHECK (failures > 0),
    last_failure_at TEXT NOT NULL,
    locked_until TEXT
) WITHOUT ROWID;
-- The HMAC key of login_throttle, made once per database.
CREATE TABLE login_secret (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    secret TEXT NOT NULL
);
INSERT INTO login_secret (id, secret) VALUES (1, lower(hex(randomblob(32))));
