-- Server-side login sessions (caremgmt.core.sessions). The browser holds only
-- a random token in an HttpOnly cookie; the database keeps its SHA-256, so a
-- copy of the database does not log anyone in. A session is handed to the
-- browser once, through a short-lived claim code (also kept hashed).
CREATE TABLE login_sessions (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    token_hash TEXT UNIQUE,
    claim_hash TEXT UNIQUE,
    claim_expires_at TEXT,
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    ended_at TEXT,
    end_reason TEXT CHECK (end_reason IN ('logout', 'idle', 'deactivated'))
);
CREATE INDEX login_sessions_user ON login_sessions(user_id, ended_at);
