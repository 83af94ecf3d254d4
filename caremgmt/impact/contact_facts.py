"""Impact facts: per day, one packed row per attended contact and per session.

The impact figures count distinct people over any period, by eight
dimensions and four filters. SQLite computes a distinct count by sorting every
contact in the period, once per figure, which took minutes at city scale. So
each day's attended contacts are kept here as a packed array, already joined
with everything the figures need (block, locality, category, age band on the
day, the person's registry attributes and the care hours freed), with the
day's sessions (capacity, places booked, waiting list, laundry loads). Reading
a year is 365 rows of the table; numpy then counts in milliseconds.

Kept correct on every write: triggers (migration 0006) mark a day stale in the
writer's own transaction whenever anything it depends on changes (attendance,
bookings, the session, the person, her care links, the service, the block).
``load`` rebuilds the stale days of its period (a month of days per write
transaction), then reads them in one snapshot in which none is stale, so no
figure is ever computed from outdated facts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from sqlite_utils import Database

from caremgmt.core import clock
from caremgmt.core.db import write_transaction
from caremgmt.registry import vocab
from caremgmt.registry.validation import age_sql
from caremgmt.scheduling import carehours
from caremgmt.scheduling.catalogue import CATEGORIES

# Coded columns hold an index into these tuples, plus one (0 = not recorded).
CODES = {
    "category": CATEGORIES,
    "ethnicity": vocab.ETHNICITIES,
    "disability": vocab.DISABILITIES,
    "migrant_status": vocab.MIGRANT_STATUSES,
}
CONTACT = np.dtype(
    [
        ("person", "<i4"),
        ("block", "<i2"),
        ("locality", "i1"),
        ("category", "i1"),
        ("age_band", "i1"),
        ("stratum", "i1"),
        ("ethnicity", "i1"),
        ("disability", "i1"),
        ("migrant_status", "i1"),
        ("caregiver", "i1"),
        ("hours", "<f8"),
    ]
)
# One row per session: what the laundry and occupancy figures count.
SESSION = np.dtype(
    [
        ("block", "<i2"),
        ("locality", "i1"),
        ("category", "i1"),
        ("kind", "i1"),
        ("scheduled", "i1"),
        ("capacity", "<i2"),
        ("booked", "<i2"),
        ("waitlisted", "<i2"),
        ("collected", "<i2"),
        ("no_show", "<i2"),
    ]
)
KINDS = ("activity", "laundry")
EPOCH = dt.date(1970, 1, 1)


# Colombia's life-course stages (primera infancia ... vejez).
AGE_BANDS = ((0, 5, "0-5"), (6, 11, "6-11"), (12, 17, "12-17"), (18, 28, "18-28"), (29, 59, "29-59"), (60, 200, "60+"))
BAND_LABELS = tuple(label for _, _, label in AGE_BANDS)


def age_band_sql(birth: str, on: str) -> str:
    """Age band of someone born ``birth`` on the date ``on`` (SQL expressions):
    the one definition the facts, the breakdowns and the exports share (the
    contacts export applies AGE_BANDS column-wise; a test holds it to this SQL).
    The age itself is the registry's rule (caremgmt.registry.validation.age_on)."""
    age = age_sql(birth, on)
    return (
        "CASE " + " ".join(f"WHEN {age} BETWEEN {lo} AND {hi} THEN '{label}'" for lo, hi, label in AGE_BANDS) + " END"
    )


def _code_sql(expression: str, values: tuple[str, ...]) -> str:
    """SQL giving the value's index in ``values`` plus one, 0 when not recorded."""
    return f"CASE {expression} " + " ".join(f"WHEN '{v}' THEN {i}" for i, v in enumerate(values, 1)) + " ELSE 0 END"


_DAY = "s.starts_at >= :start_day AND s.starts_at < :next_day"
_PLACE = f"b.rowid, coalesce(b.locality_code, 0), {_code_sql('v.category', CATEGORIES)}"


def _day_contacts(db: Database, date: dt.date, params: dict) -> np.ndarray:
    hours_sql, hours_params = carehours.items_query(start=date, end=date)
    rows = db.execute(
        f"SELECT a.person_id, {_PLACE}, {_code_sql(age_band_sql('p.birth_date', 's.starts_at'), BAND_LABELS)},"
        f" coalesce(p.stratum, 0), {_code_sql('p.ethnicity', CODES['ethnicity'])},"
        f" {_code_sql('p.disability', CODES['disability'])}, {_code_sql('p.migrant_status', CODES['migrant_status'])},"
        " p.is_caregiver, coalesce(h.hours, 0)"
        " FROM sessions s JOIN attendance a ON a.session_id = s.id AND a.status = 'present'"
        " JOIN services v ON v.id = s.service_id JOIN blocks b ON b.code = s.block_code"
        f" JOIN persons p ON p.id = a.person_id LEFT JOIN ({hours_sql}) h ON h.attendance_id = a.id"
        f" WHERE {_DAY}",  # no ORDER BY: it would turn the plan into a scan of all attendance
        {**params, **hours_params},
    ).fetchall()
    return np.array(rows, dtype=CONTACT)


def _day_sessions(db: Database, params: dict) -> np.ndarray:
    def count(condition: str, kind: str | None = None) -> str:
        # Only laundry slots have loads: skip reading every activity booking.
        query = f"(SELECT count(*) FROM participants w WHERE w.session_id = s.id AND {condition})"
        return f"CASE WHEN v.kind = '{kind}' THEN {query} ELSE 0 END" if kind else query

    counts = ", ".join(
        (
            count("w.status = 'waitlisted'"),
            count("w.status = 'booked' AND w.load_status = 'collected'", "laundry"),
            count("w.status = 'booked' AND w.load_status = 'no_show'", "laundry"),
        )
    )
    rows = db.execute(
        f"SELECT {_PLACE}, {_code_sql('v.kind', KINDS)}, s.status = 'scheduled', s.capacity, s.booked_count, {counts}"
        f" FROM sessions s JOIN services v ON v.id = s.service_id JOIN blocks b ON b.code = s.block_code WHERE {_DAY}",
        params,
    ).fetchall()
    return np.array(rows, dtype=SESSION)


def _block_index(db: Database) -> dict[int, str]:
    return dict(db.execute("SELECT rowid, code FROM blocks").fetchall())


REFRESH_DAYS = 31  # rebuilt per transaction, so writers wait at most a month's rebuild


def _range(start: dt.date | None, end: dt.date | None) -> tuple[str, list[str]]:
    bounds, params = ["stale = 1"], []
    for condition, day in (("day >= ?", start), ("day <= ?", end)):
        if day is not None:
            bounds.append(condition)
            params.append(day.isoformat())
    return " AND ".join(bounds), params


def refresh(db: Database, start: dt.date | None = None, end: dt.date | None = None) -> int:
    """Rebuild the stale days between start and end (inclusive; all when not
    given), a month of days per transaction. Returns how many were rebuilt."""
    where, params = _range(start, end)
    rebuilt = 0
    while db.execute(f"SELECT 1 FROM contact_days WHERE {where} LIMIT 1", params).fetchone():
        with write_transaction(db):
            days = [
                d
                for (d,) in db.execute(
                    f"SELECT day FROM contact_days WHERE {where} ORDER BY day LIMIT {REFRESH_DAYS}", params
                )
            ]
            db.conn.executemany(
                "UPDATE contact_days SET facts = ?, sessions = ?, stale = 0 WHERE day = ?",
                [_day_blobs(db, day) for day in days],
            )
        rebuilt += len(days)
    return rebuilt


def _day_blobs(db: Database, day: str) -> tuple[bytes, bytes, str]:
    date = dt.date.fromisoformat(day)
    start_day, next_day = clock.day_bounds(date, date)
    bounds = {"start_day": start_day, "next_day": next_day}
    return _day_contacts(db, date, bounds).tobytes(), _day_sessions(db, bounds).tobytes(), day


@dataclass(frozen=True)
class Table:
    """Packed rows in day order, with each row's day (days since 1970-01-01)."""

    rows: np.ndarray
    days: np.ndarray

    def between(self, start: dt.date, end: dt.date) -> Table:
        """The rows from start to end (inclusive): a view, as rows are in day order."""
        first = int(np.searchsorted(self.days, np.int32(day_number(start)), side="left"))
        last = int(np.searchsorted(self.days, np.int32(day_number(end)), side="right"))
        return Table(self.rows[first:last], self.days[first:last])

    def where(self, keep: np.ndarray) -> Table:
        return Table(self.rows[keep], self.days[keep])

    def months(self) -> np.ndarray:
        """Each row's calendar month (datetime64[M])."""
        return self.days.astype("datetime64[D]").astype("datetime64[M]")


@dataclass(frozen=True)
class Facts:
    """A period's attended contacts and sessions, with the codes to read them back."""

    contacts: Table
    sessions: Table
    blocks: dict[int, str]

    def decode(self, column: str, codes: np.ndarray) -> list:
        if column == "block":
            return [self.blocks.get(int(c)) for c in codes]
        if column == "age_band":
            return [BAND_LABELS[c - 1] if c else None for c in codes]
        if column in CODES:
            return [CODES[column][c - 1] if c else None for c in codes]
        return [int(c) if c else None for c in codes]


def day_number(day: dt.date) -> int:
    return (day - EPOCH).days


def load(db: Database, start: dt.date, end: dt.date) -> Facts:
    """The attended contacts and the sessions between start and end (inclusive), fresh."""
    stale, params = _range(start, end)
    while True:
        refresh(db, start, end)
        # Read in one snapshot in which no day of the period is stale: a write
        # landing after the rebuild sends us round again, never to old facts.
        own = not db.conn.in_transaction  # inside a caller's transaction, its snapshot holds
        if own:
            db.execute("BEGIN")
        try:
            if db.execute(f"SELECT 1 FROM contact_days WHERE {stale} LIMIT 1", params).fetchone():
                continue
            rows = db.execute(
                "SELECT day, facts, sessions FROM contact_days"
                " WHERE day BETWEEN ? AND ? AND facts IS NOT NULL ORDER BY day",
                [start.isoformat(), end.isoformat()],
            ).fetchall()
            blocks = _block_index(db)
            break
        finally:
            if own:
                db.execute("ROLLBACK")
    days = [day_number(dt.date.fromisoformat(day)) for day, _, _ in rows]
    facts = [blob for _, blob, _ in rows]
    sessions = [blob for _, _, blob in rows]

    def table(blobs: list[bytes], dtype: np.dtype) -> Table:
        rows = np.frombuffer(b"".join(blobs), dtype=dtype)  # one copy, then views
        return Table(rows, np.repeat(np.array(days, dtype="<i4"), [len(b) // dtype.itemsize for b in blobs]))

    return Facts(table(facts, CONTACT), table(sessions, SESSION), blocks)
