"""The rights of Ley 1581 (caremgmt.core.personal_keys, caremgmt.registry.rights):

- ``person_keys``: each person's key, per year, for the personal values the audit log keeps;
- every plaintext old/new value already in the log about a person is sealed
  under her key. The log is append-only by trigger: the trigger that refuses
  UPDATE is dropped for this one rewrite and recreated, in the migration's
  transaction, with the very SQL it had;
- ``persons.erased_at``: when she was anonymised (her statistical footprint stays);
- ``erasure_requests``: an erasure asked by one administrator, confirmed by another.
"""

from __future__ import annotations

from sqlite_utils import Database

from caremgmt.core import personal_keys

SCHEMA = """
CREATE TABLE person_keys (
    person_id INTEGER NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
    year TEXT NOT NULL,
    key BLOB NOT NULL,
    PRIMARY KEY (person_id, year)
);
ALTER TABLE persons ADD COLUMN erased_at TEXT;
CREATE TABLE erasure_requests (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES persons(id),
    reason TEXT NOT NULL CHECK (length(trim(reason)) > 0),
    requested_by INTEGER NOT NULL REFERENCES users(id),
    requested_at TEXT NOT NULL,
    confirmed_by INTEGER REFERENCES users(id),
    confirmed_at TEXT,
    CHECK (confirmed_by IS NULL OR confirmed_by <> requested_by)
);
CREATE UNIQUE INDEX erasure_requests_one_pending ON erasure_requests(person_id) WHERE confirmed_at IS NULL;
"""


def migrate(db: Database) -> None:
    for statement in SCHEMA.split(";"):
        if statement.strip():
            db.execute(statement)
    db.execute("PRAGMA secure_delete = ON")  # the plaintext replaced is zeroed, not left in free pages
    trigger = db.execute("SELECT sql FROM sqlite_master WHERE name = 'audit_log_no_update'").fetchone()[0]
    db.execute("DROP TRIGGER audit_log_no_update")
    rows = db.execute(
        "SELECT id, person_id, at, old_values, new_values FROM audit_log WHERE person_id IS NOT NULL"
        " AND (old_values IS NOT NULL OR new_values IS NOT NULL) AND person_id IN (SELECT id FROM persons)"
    ).fetchall()
    for entry_id, person_id, at, old, new in rows:
        sealed = [
            value
            if value is None or value.startswith(personal_keys.PREFIX)
            else personal_keys.seal(db, person_id, personal_keys.unseal(db, None, value), year=at[:4])
            for value in (old, new)
        ]
        db.execute("UPDATE audit_log SET old_values = ?, new_values = ? WHERE id = ?", [*sealed, entry_id])
    db.execute(trigger)
