"""Impact facts: per day, one packed row per attended contact and per session.

The impact figures count distinct people over any period, by eight
dimensions and four filters. SQLite computes a distinct count by sorting every
contact in the period, once per figure, which took minutes at city scale. So
each day's attended contacts are kept here as a packed array, with the day's
sessions (capacity, places booked, waiting list, laundry loads). Reading a
year is 365 rows of the table; numpy then counts in milliseconds.

A star schema: a day's rows hold only what its attendances and sessions
determine (person, block, service, the person's attributes on the day, the
session's minutes, the units recorded, whether someone she cares for attended
care beside her). What an admin edits (a service's category and care-hours
rule, a block's locality) is looked up at read time from small arrays read in
the same snapshot (``Dimensions``), so no such edit makes a day stale. A
service's kind and audience, which decide what a day's rows are, cannot change
once it has sessions (caremgmt.scheduling.catalogue).

Kept correct on every write: triggers (migration 0010) mark a day stale in the
writer's own transaction whenever anything its rows hold changes. Nobody waits
for a rebuild: ``load`` reads its period in one snapshot and computes the
stale days of it from the raw tables in that snapshot, so a figure is exact at
once; it then stores what it computed in short transactions, only where no
write came in between (see ``_claim``). ``refresh`` does the same for every
stale day (after an upgrade), a month of days at a time, and never holds the
write lock while it computes.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

import numpy as np
from sqlite_utils import Database

from caremgmt.core import clock
from caremgmt.core.db import write_transaction
from caremgmt.registry import vocab
from caremgmt.registry.validation import age_sql
from caremgmt.scheduling.catalogue import CARE_HOURS_RULES, CATEGORIES, KINDS
from caremgmt.scheduling.timetable import overlap_sql

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
        ("block", "<i2"),  # blocks.rowid
        ("service", "<i2"),
        ("age_band", "i1"),
        ("stratum", "i1"),
        ("ethnicity", "i1"),
        ("disability", "i1"),
        ("migrant_status", "i1"),
        ("caregiver", "i1"),
        ("cared_beside", "i1"),  # someone she cares for attended care overlapping it, at the same block
        ("minutes", "<i2"),
        ("quantity", "<f8"),
        ("registered", "<u2"),  # her registration day (days since 1970-01-01, Bogotá)
        ("home_block", "<i2"),  # blocks.rowid, 0 = none
        ("home_locality", "i1"),
    ]
)
# One row per session: what the laundry and occupancy figures count.
SESSION = np.dtype(
    [
        ("block", "<i2"),
        ("service", "<i2"),
        ("scheduled", "i1"),
        ("capacity", "<i2"),
        ("booked", "<i2"),
        ("waitlisted", "<i2"),
        ("collected", "<i2"),
        ("no_show", "<i2"),
    ]
)
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
# The care-hours rule's condition (caremgmt.scheduling.carehours), for every contact:
# whether it frees time is decided at read time by the service's current rule.
# Care attended around the day (a session lasts at most 10 hours, so one overlapping
# the day started at most a day before), gathered once: looking through each cared-for
# person's whole history, contact by contact, took most of a day's rebuild.
_CARED_AROUND = """cared AS MATERIALIZED (
    SELECT ca.person_id, cs.block_code, cs.starts_at, cs.ends_at FROM sessions cs
    JOIN services cv ON cv.id = cs.service_id AND cv.audience = 'cared'
    JOIN attendance ca ON ca.session_id = cs.id AND ca.status = 'present'
    WHERE cs.starts_at >= :day_before AND cs.starts_at < :next_day)"""
_CARED_BESIDE = f"""EXISTS (
    SELECT 1 FROM care_links l CROSS JOIN cared cs ON cs.person_id = l.cared_id
    WHERE l.caregiver_id = a.person_id AND cs.block_code = s.block_code AND {overlap_sql("cs", "s")})"""
_EPOCH_DAY = "CAST(julianday(date(p.created_at, " + clock.SQL_TO_LOCAL + ")) - 2440587.5 AS INTEGER)"


_BAND = _code_sql(age_band_sql("p.birth_date", "s.starts_at"), BAND_LABELS)


def _day_contacts(db: Database, params: dict) -> np.ndarray:
    rows = db.execute(
        f"WITH {_CARED_AROUND} SELECT a.person_id, b.rowid, s.service_id, {_BAND},"
        f" coalesce(p.stratum, 0), {_code_sql('p.ethnicity', CODES['ethnicity'])},"
        f" {_code_sql('p.disability', CODES['disability'])}, {_code_sql('p.migrant_status', CODES['migrant_status'])},"
        f" p.is_caregiver, {_CARED_BESIDE},"
        " CAST(round((julianday(s.ends_at) - julianday(s.starts_at)) * 1440) AS INTEGER), a.quantity,"
        f" {_EPOCH_DAY}, coalesce(h.rowid, 0), coalesce(p.locality_code, 0)"
        " FROM sessions s JOIN attendance a ON a.session_id = s.id AND a.status = 'present'"
        " JOIN blocks b ON b.code = s.block_code JOIN persons p ON p.id = a.person_id"
        " LEFT JOIN blocks h ON h.code = p.home_block"
        f" WHERE {_DAY}",  # no ORDER BY: it would turn the plan into a scan of all attendance
        params,
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
        f"SELECT b.rowid, s.service_id, s.status = 'scheduled', s.capacity, s.booked_count, {counts}"
        f" FROM sessions s JOIN services v ON v.id = s.service_id JOIN blocks b ON b.code = s.block_code WHERE {_DAY}",
        params,
    ).fetchall()
    return np.array(rows, dtype=SESSION)


def _day_blobs(db: Database, day: str) -> tuple[bytes, bytes]:
    date = dt.date.fromisoformat(day)
    start_day, next_day = clock.day_bounds(date, date)
    bounds = {"start_day": start_day, "next_day": next_day}
    contacts = _day_contacts(db, {**bounds, "day_before": (date - dt.timedelta(days=1)).isoformat()})
    return _columnar(contacts), _columnar(_day_sessions(db, bounds))


def _columnar(rows: np.ndarray) -> bytes:
    """A day's rows stored column after column: read back, each column of a
    period is one contiguous array, which numpy scans several times faster
    than a field of packed records."""
    return b"".join(rows[name].tobytes() for name in rows.dtype.names)


class _Columns:
    """The columns of many days' blobs (see ``_columnar``), each concatenated once,
    when a figure first reads it: the page's first view reads a third of them
    only over the current period, some not at all."""

    def __init__(self, blobs: list[bytes], dtype: np.dtype):
        self._blobs, self._dtype, self._columns = blobs, dtype, {}
        self._counts = [len(blob) // dtype.itemsize for blob in blobs]

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self._columns:
            field = self._dtype[name]
            before = self._dtype.fields[name][1]  # the bytes of the fields before it in a (packed) row
            arrays = [
                np.frombuffer(blob, dtype=field, count=count, offset=count * before)
                for blob, count in zip(self._blobs, self._counts, strict=True)
                if count
            ]
            self._columns[name] = np.concatenate(arrays) if arrays else np.zeros(0, field)
        return self._columns[name]


# --- keeping the facts: claim, compute in a snapshot, store if unchanged -----

REFRESH_DAYS = 7  # claimed, computed and stored together: a week of blobs keeps each write short


def _bounds(start: dt.date | None, end: dt.date | None) -> tuple[str, list[str]]:
    bounds, params = ["stale <> 0"], []
    for condition, day in (("day >= ?", start), ("day <= ?", end)):
        if day is not None:
            bounds.append(condition)
            params.append(day.isoformat())
    return " AND ".join(bounds), params


def _claim(db: Database, where: str, params: list) -> int:
    """Mark the stale days matching ``where`` with a fresh token, a week per
    short transaction, and return it. A write to one of them afterwards sets it back
    to 1 (the triggers), so facts computed in a snapshot taken after the claim
    are stored only where the token is still there: nothing a later write
    changed is ever stored as fresh."""
    token = secrets.randbits(62) | 2  # never 0 (fresh) or 1 (stale)
    for first, last in _weeks(db, where, params):
        with write_transaction(db):
            db.execute(
                f"UPDATE contact_days SET stale = ? WHERE day BETWEEN ? AND ? AND {where}",
                [token, first, last, *params],
            )
    return token


def _weeks(db: Database, where: str, params: list) -> list[tuple[str, str]]:
    """The first and last of each run of REFRESH_DAYS days matching ``where``. A
    write to a day's row rewrites its whole record, blobs included: a desk never
    waits behind more than a week of them."""
    days = [d for (d,) in db.execute(f"SELECT day FROM contact_days WHERE {where} ORDER BY day", params)]
    return [(days[i], days[min(i + REFRESH_DAYS, len(days)) - 1]) for i in range(0, len(days), REFRESH_DAYS)]


def _store(db: Database, token: int, computed: dict[str, tuple[bytes, bytes]]) -> int:
    """Store computed days still holding ``token``, a week of days per transaction.
    After each, this connection copies the log back into the database itself
    (a passive checkpoint takes no lock a writer needs): left to SQLite, the
    checkpoint falls to whichever commit crosses the log's size limit, and
    that may be a front desk's registration paying for the rebuild's blobs."""
    days = sorted(computed)
    stored = 0
    for i in range(0, len(days), REFRESH_DAYS):
        with write_transaction(db):
            for day in days[i : i + REFRESH_DAYS]:
                facts, sessions = computed[day]
                stored += db.execute(
                    "UPDATE contact_days SET facts = ?, sessions = ?, stale = 0 WHERE day = ? AND stale = ?",
                    [facts, sessions, day, token],
                ).rowcount
        db.execute("PRAGMA wal_checkpoint(PASSIVE)")
    return stored


def mark_all_stale(db: Database) -> None:
    """Every day to be rebuilt (for an upgrade, or to measure a full rebuild)."""
    for first, last in _weeks(db, "stale <> 1", []):
        with write_transaction(db):
            db.execute("UPDATE contact_days SET stale = 1 WHERE day BETWEEN ? AND ? AND stale <> 1", [first, last])


def refresh(db: Database, start: dt.date | None = None, end: dt.date | None = None) -> int:
    """Rebuild the stale days between start and end (inclusive; all when not
    given), a month of days at a time: claim them, compute them in a read
    snapshot (no write lock held), store them. Returns how many were stored; a
    day written to meanwhile stays stale for the next reader or refresh."""
    where, params = _bounds(start, end)
    days = [d for (d,) in db.execute(f"SELECT day FROM contact_days WHERE {where} ORDER BY day", params)]
    stored = 0
    for i in range(0, len(days), REFRESH_DAYS):
        chunk = days[i : i + REFRESH_DAYS]
        token = _claim(db, "day BETWEEN ? AND ? AND stale <> 0", [chunk[0], chunk[-1]])
        with _snapshot(db):
            claimed = [d for (d,) in db.execute("SELECT day FROM contact_days WHERE stale = ? ORDER BY day", [token])]
            computed = {day: _day_blobs(db, day) for day in claimed}
        stored += _store(db, token, computed)
    return stored


class _snapshot:
    """A read transaction: every query inside sees one committed state. Inside
    a caller's transaction, that transaction's snapshot holds instead."""

    def __init__(self, db: Database):
        self.db, self.own = db, not db.conn.in_transaction

    def __enter__(self):
        if self.own:
            self.db.execute("BEGIN")

    def __exit__(self, *exc):
        if self.own:
            self.db.execute("ROLLBACK")


# --- reading ----------------------------------------------------------------


class Rows:
    """Columns of some rows, picked lazily: a column is sliced or masked only
    when a figure reads it."""

    def __init__(self, source, pick=slice(None)):
        self._source, self._pick, self._picked = source, pick, {}

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self._picked:
            self._picked[name] = self._source[name][self._pick]
        return self._picked[name]


@dataclass(frozen=True)
class Table:
    """Rows in day order, column by column, with each row's day (days since 1970-01-01)."""

    rows: Rows
    days: np.ndarray

    def __len__(self) -> int:
        return len(self.days)

    def between(self, start: dt.date, end: dt.date) -> Table:
        """The rows from start to end (inclusive): views, as rows are in day order."""
        first = int(np.searchsorted(self.days, np.int32(day_number(start)), side="left"))
        last = int(np.searchsorted(self.days, np.int32(day_number(end)), side="right"))
        return Table(Rows(self.rows, slice(first, last)), self.days[first:last])

    def where(self, keep: np.ndarray) -> Table:
        return Table(Rows(self.rows, keep), self.days[keep])

    def months(self) -> tuple[np.datetime64, np.ndarray]:
        """The first row's calendar month and each row's month counted from it."""
        if not len(self.days):
            return np.datetime64("1970-01", "M"), np.zeros(0, dtype=np.int64)
        # Rows are in day order: convert the distinct days only.
        first_row = np.concatenate(([0], np.flatnonzero(np.diff(self.days)) + 1))
        months = self.days[first_row].astype("datetime64[D]").astype("datetime64[M]")
        index = (months - months[0]).astype(np.int32)
        return months[0], np.repeat(index, np.diff(np.append(first_row, len(self.days))))


@dataclass(frozen=True)
class Dimensions:
    """What an admin can edit, as small arrays indexed by service id and block rowid."""

    blocks: dict[int, str]  # rowid -> code
    block_locality: np.ndarray
    service_category: np.ndarray
    service_kind: np.ndarray
    service_rule: np.ndarray
    service_hours_per_unit: np.ndarray


def _dimensions(db: Database) -> Dimensions:
    block_rows = db.execute("SELECT rowid, code, coalesce(locality_code, 0) FROM blocks").fetchall()
    service_rows = db.execute(
        f"SELECT id, {_code_sql('category', CATEGORIES)}, {_code_sql('kind', KINDS)},"
        f" {_code_sql('care_hours_rule', CARE_HOURS_RULES)}, hours_per_unit FROM services"
    ).fetchall()

    def by(rows: list, column: int, dtype) -> np.ndarray:
        out = np.zeros(max((r[0] for r in rows), default=0) + 1, dtype=dtype)
        for row in rows:
            out[row[0]] = row[column] or 0
        return out

    return Dimensions(
        {rowid: code for rowid, code, _ in block_rows},
        by(block_rows, 2, np.int8),
        by(service_rows, 1, np.int8),
        by(service_rows, 2, np.int8),
        by(service_rows, 3, np.int8),
        by(service_rows, 4, np.float64),
    )


_SIMULTANEITY = CARE_HOURS_RULES.index("simultaneity") + 1
_PER_UNIT = CARE_HOURS_RULES.index("per_unit") + 1


@dataclass(frozen=True)
class Facts:
    """A period's attended contacts and sessions, with the dimensions to read them."""

    contacts: Table
    sessions: Table
    dimensions: Dimensions

    @property
    def blocks(self) -> dict[int, str]:
        return self.dimensions.blocks

    def column(self, table: Table, name: str) -> np.ndarray:
        """A stored column of ``table``'s rows, or one looked up in the dimensions:
        locality, category, kind, and (contacts) the care hours freed."""
        rows, d = table.rows, self.dimensions
        if name == "locality":
            return d.block_locality[rows["block"]]
        if name in ("category", "kind"):
            return (d.service_category if name == "category" else d.service_kind)[rows["service"]]
        if name == "hours":
            rule = d.service_rule[rows["service"]]
            # As the SQL rule computes them: a session's hours rounded to 4 places.
            sitting = np.round(rows["minutes"] / 60, 4) * ((rule == _SIMULTANEITY) & (rows["cared_beside"] == 1))
            return sitting + np.where(
                rule == _PER_UNIT, rows["quantity"] * d.service_hours_per_unit[rows["service"]], 0
            )
        return rows[name]

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
    """The attended contacts and the sessions between start and end (inclusive),
    exact as of one snapshot: stale days are computed from the raw tables in
    that snapshot (and then stored for the next reader), never waited for."""
    stale, params = _bounds(start, end)
    token = None
    # Inside a caller's transaction: compute in its snapshot, store nothing.
    any_stale = db.execute(f"SELECT 1 FROM contact_days WHERE {stale} LIMIT 1", params).fetchone()
    if any_stale and not db.conn.in_transaction:
        token = _claim(db, stale, params)
    ours = {}  # the stale days computed here that still hold our token: worth storing
    with _snapshot(db):
        rows = db.execute(
            "SELECT day, facts, sessions, stale FROM contact_days WHERE day BETWEEN ? AND ? ORDER BY day",
            [start.isoformat(), end.isoformat()],
        ).fetchall()
        for i, (day, _facts, _sessions, mark) in enumerate(rows):
            if mark != 0:
                rows[i] = (day, *_day_blobs(db, day), mark)
                if mark == token:
                    ours[day] = rows[i][1:3]
        dimensions = _dimensions(db)
    if ours:
        _store(db, token, ours)
    days = [day_number(dt.date.fromisoformat(day)) for day, *_ in rows]

    def table(blobs: list[bytes], dtype: np.dtype) -> Table:
        counts = [len(b) // dtype.itemsize for b in blobs]
        return Table(Rows(_Columns(blobs, dtype)), np.repeat(np.array(days, dtype="<i4"), counts))

    return Facts(table([r[1] or b"" for r in rows], CONTACT), table([r[2] or b"" for r in rows], SESSION), dimensions)
