"""The settings table's one owner: deployment settings kept in the database,
each behind a typed accessor. Nothing else reads or writes the table.

Accessors do no permission check and write no audit entry: the capability
that offers a setting to users does both (e.g. scheduling.laundry).
"""

from __future__ import annotations

import secrets

from sqlite_utils import Database

from caremgmt.core import config
from caremgmt.core.db import write_transaction

LAUNDRY_WEEKLY_LIMIT = "laundry_weekly_limit"
LAUNDRY_WEEKLY_LIMIT_DEFAULT = 2
EXPORT_SECRET = "export_secret"


def _get(db: Database, key: str) -> str | None:
    row = db.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
    return row[0] if row else None


def _put(db: Database, key: str, value: str) -> None:
    db.execute(
        "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [key, value],
    )


def laundry_weekly_limit(db: Database) -> int:
    """Loads a caregiver may book per week; 2 until someone sets it."""
    value = _get(db, LAUNDRY_WEEKLY_LIMIT)
    return int(value) if value is not None else LAUNDRY_WEEKLY_LIMIT_DEFAULT


def set_laundry_weekly_limit(db: Database, limit: int) -> None:
    """Store the limit, inside the caller's transaction."""
    _put(db, LAUNDRY_WEEKLY_LIMIT, str(int(limit)))


def export_secret(db: Database) -> bytes:
    """Key of the export pseudonyms: $CAREMGMT_EXPORT_SECRET when set, else one
    generated the first time it is needed and kept in the database. Two
    processes asking at once keep the same one."""
    from_env = config.current().export_secret
    if from_env:
        return from_env.encode()
    stored = _get(db, EXPORT_SECRET)
    if stored is None:
        with write_transaction(db):
            db.execute(
                "INSERT OR IGNORE INTO settings (key, value) VALUES (?, ?)", [EXPORT_SECRET, secrets.token_hex(32)]
            )
        stored = _get(db, EXPORT_SECRET)
    return stored.encode()
