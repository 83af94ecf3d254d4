"""The settings table's one owner: deployment settings kept in the database,
each behind a typed accessor. Nothing else reads or writes the table.

Accessors do no permission check and write no audit entry: the capability
that offers a setting to users does both (e.g. scheduling.laundry).
"""

from __future__ import annotations

from sqlite_utils import Database

LAUNDRY_WEEKLY_LIMIT = "laundry_weekly_limit"
LAUNDRY_WEEKLY_LIMIT_DEFAULT = 2


def get_value(db: Database, key: str) -> str | None:
    """A setting's stored text, or None."""
    row = db.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
    return row[0] if row else None


def put_value(db: Database, key: str, value: str) -> None:
    """Store a setting, inside the caller's transaction."""
    db.execute(
        "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [key, value],
    )


def laundry_weekly_limit(db: Database) -> int:
    """Loads a caregiver may book per week; 2 until someone sets it."""
    value = get_value(db, LAUNDRY_WEEKLY_LIMIT)
    return int(value) if value is not None else LAUNDRY_WEEKLY_LIMIT_DEFAULT


def set_laundry_weekly_limit(db: Database, limit: int) -> None:
    """Store the limit, inside the caller's transaction."""
    put_value(db, LAUNDRY_WEEKLY_LIMIT, str(int(limit)))
