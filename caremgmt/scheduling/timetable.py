"""Schedules and their sessions: recurring plans at a block, generated into
dated sessions (Colombian public holidays skipped), then edited one by one.

Session times are Bogotá wall-clock, stored as 'YYYY-MM-DDTHH:MM'.
"""

from __future__ import annotations

import datetime as dt
from functools import cache

import holidays
from sqlite_utils import Database

from caremgmt.core import audit, clock, policy
from caremgmt.core.actor import User
from caremgmt.core.db import write_transaction
from caremgmt.core.errors import NotFound, ValidationError
from caremgmt.core.i18n import Message
from caremgmt.scheduling.catalogue import get_service

MAX_SCHEDULE_DAYS = 3 * 366
CAPACITY_RANGE = (1, 500)  # places in a session (loads, in a laundry slot)
SLOT_MINUTES_RANGE = (15, 240)  # a schedule cut into slots (0 or none: one session)
_SESSION_COLUMNS = (
    "s.id, s.schedule_id, s.service_id, s.block_code, s.room, s.starts_at, s.ends_at, s.capacity,"
    " s.booked_count, s.status, s.note, v.name_es, v.name_en, v.kind, v.audience, v.category, v.code AS service_code"
)


# Two sessions overlap when each starts before the other ends: sessions that
# merely touch (one ends as the next starts) do not. Stamps are local
# 'YYYY-MM-DDTHH:MM' text, so comparing them as text compares the times.
# Only activities clash with one another (a laundry drop-off slot never
# clashes). Python code builds every overlap test from here; the triggers
# participants_no_overlap_insert/_update (migration 0003, recreated by 0007)
# spell the same rule in SQL, frozen as migrations are.
CLASHING_KIND = "activity"
Span = str | tuple[str, str]


def overlaps(a_starts: str, a_ends: str, b_starts: str, b_ends: str) -> bool:
    """Whether two sessions' times overlap (touching is not overlapping)."""
    return a_starts < b_ends and b_starts < a_ends


def overlap_sql(a: Span, b: Span) -> str:
    """SQL condition: the times of ``a`` and ``b`` overlap, as ``overlaps``.
    Each is a sessions alias ('s') or a pair of SQL expressions for its start
    and end (e.g. parameters: (':starts', ':ends'))."""
    (a_starts, a_ends), (b_starts, b_ends) = (
        (f"{x}.starts_at", f"{x}.ends_at") if isinstance(x, str) else x for x in (a, b)
    )
    return f"{a_starts} < {b_ends} AND {b_starts} < {a_ends}"


@cache
def _holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("CO", years=year)


def is_holiday(day: dt.date) -> bool:
    return day in _holidays(day.year)


def _time(value: str | dt.time) -> dt.time:
    return value if isinstance(value, dt.time) else dt.time.fromisoformat(value)


def _date(value: str | dt.date) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def session_dates(weekdays: list[int], start: dt.date, end: dt.date) -> list[dt.date]:
    """Dates from start to end (inclusive) on the given weekdays (Monday 0), holidays skipped."""
    days, day = [], start
    while day <= end:
        if day.weekday() in weekdays and not is_holiday(day):
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def slots(start: dt.time, end: dt.time, slot_minutes: int | None) -> list[tuple[dt.time, dt.time]]:
    """One slot start..end, or back-to-back slots of slot_minutes (laundry drop-off)."""
    if not slot_minutes:
        return [(start, end)]
    out, base = [], dt.datetime.combine(dt.date.min, start)
    while (base + dt.timedelta(minutes=slot_minutes)).time() <= end and base.time() < end:
        out.append((base.time(), (base + dt.timedelta(minutes=slot_minutes)).time()))
        base += dt.timedelta(minutes=slot_minutes)
    return out


def _validate_schedule(db: Database, data: dict) -> dict:
    errors: dict[str, Message] = {}
    clean = dict(data)
    try:
        service = get_service(db, int(data.get("service_id") or 0))
        if not service["active"]:
            errors["service_id"] = Message("error.invalid_choice")
    except NotFound:
        errors["service_id"] = Message("error.required")
    block = db.execute("SELECT active FROM blocks WHERE code = ?", [data.get("block_code")]).fetchone()
    if not block or not block[0]:
        errors["block_code"] = Message("error.invalid_choice")
    weekdays = sorted({int(d) for d in data.get("weekdays") or []})
    if not weekdays or not all(0 <= d <= 6 for d in weekdays):
        errors["weekdays"] = Message("error.required")
    clean["weekdays"] = weekdays
    try:
        start_time, end_time = _time(data["start_time"]), _time(data["end_time"])
        if end_time <= start_time:
            errors["end_time"] = Message("error.end_before_start")
    except (KeyError, TypeError, ValueError):
        errors["start_time"] = Message("error.invalid_time")
    try:
        start_date, end_date = _date(data["start_date"]), _date(data["end_date"])
        if end_date < start_date:
            errors["end_date"] = Message("error.end_before_start")
        elif (end_date - start_date).days > MAX_SCHEDULE_DAYS:
            errors["end_date"] = Message("error.schedule_too_long", {"years": MAX_SCHEDULE_DAYS // 366})
    except (KeyError, TypeError, ValueError):
        errors["start_date"] = Message("error.invalid_date")
    low, high = CAPACITY_RANGE
    try:
        capacity = int(data.get("capacity"))
        if not low <= capacity <= high:
            raise ValueError
        clean["capacity"] = capacity
    except (TypeError, ValueError):
        errors["capacity"] = Message("error.capacity_range", {"low": low, "high": high})
    slot = data.get("slot_minutes")
    low, high = SLOT_MINUTES_RANGE
    try:
        slot = int(slot) if slot not in (None, "") else 0
        if slot and not low <= slot <= high:
            raise ValueError
    except (TypeError, ValueError):
        errors["slot_minutes"] = Message("error.slot_minutes_range", {"low": low, "high": high})
    if errors:
        raise ValidationError(errors)
    clean.update(
        start_time=start_time,
        end_time=end_time,
        start_date=start_date,
        end_date=end_date,
        slot_minutes=int(slot) if slot else None,
    )
    return clean


def create_schedule(db: Database, actor: User, data: dict) -> tuple[int, int]:
    """Create a recurring schedule and its sessions; returns (schedule id, sessions made)."""
    policy.check(db, actor, "schedule.manage", data.get("block_code"))
    s = _validate_schedule(db, data)
    dates = session_dates(s["weekdays"], s["start_date"], s["end_date"])
    times = slots(s["start_time"], s["end_time"], s["slot_minutes"])
    if not dates or not times:
        raise ValidationError({"start_date": Message("error.no_sessions")})
    with write_transaction(db):
        row = {
            "service_id": s["service_id"],
            "block_code": s["block_code"],
            "room": s.get("room") or None,
            "facilitator": s.get("facilitator") or None,
            "weekdays": ",".join(map(str, s["weekdays"])),
            "start_time": s["start_time"].strftime("%H:%M"),
            "end_time": s["end_time"].strftime("%H:%M"),
            "slot_minutes": s["slot_minutes"],
            "start_date": s["start_date"].isoformat(),
            "end_date": s["end_date"].isoformat(),
            "capacity": s["capacity"],
            "created_at": clock.now_iso(),
            "created_by": actor.id,
        }
        schedule_id = db["schedules"].insert(row).last_pk
        db.conn.executemany(
            "INSERT INTO sessions (schedule_id, service_id, block_code, room, starts_at, ends_at, capacity)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    schedule_id,
                    row["service_id"],
                    row["block_code"],
                    row["room"],
                    clock.local_iso(dt.datetime.combine(day, begin)),
                    clock.local_iso(dt.datetime.combine(day, end)),
                    row["capacity"],
                )
                for day in dates
                for begin, end in times
            ],
        )
        made = len(dates) * len(times)
        audit.record(db, actor, "create", "schedule", schedule_id, new={**row, "sessions": made})
    return schedule_id, made


def get_session(db: Database, session_id: int) -> dict:
    rows = list(
        db.query(
            f"SELECT {_SESSION_COLUMNS} FROM sessions s JOIN services v ON v.id = s.service_id WHERE s.id = ?",
            [session_id],
        )
    )
    if not rows:
        raise NotFound("session")
    return rows[0]


def _session_change(db: Database, actor: User, session_id: int, new: dict) -> None:
    session = get_session(db, session_id)
    old, changed = audit.changed(session, new)
    if changed:
        db["sessions"].update(session_id, changed)
        audit.record(db, actor, "update", "session", session_id, old=old, new=changed)


def cancel_session(db: Database, actor: User, session_id: int, note: str | None = None) -> None:
    """Cancel one session; its bookings stay on record, the session shows as cancelled."""
    policy.check_record(db, actor, "schedule.manage", "session", session_id)
    with write_transaction(db):
        if get_session(db, session_id)["status"] == "cancelled":
            raise ValidationError({"session": Message("error.session_cancelled")})
        _session_change(db, actor, session_id, {"status": "cancelled", "note": note or None})


def move_session(
    db: Database, actor: User, session_id: int, day: dt.date, start: dt.time, end: dt.time, room: str | None = None
) -> None:
    policy.check_record(db, actor, "schedule.manage", "session", session_id)
    if end <= start:
        raise ValidationError({"end_time": Message("error.end_before_start")})
    starts, ends = clock.local_iso(dt.datetime.combine(day, start)), clock.local_iso(dt.datetime.combine(day, end))
    if starts <= clock.local_iso(clock.now_local()):
        raise ValidationError({"start_time": Message("error.session_past")})
    with write_transaction(db):
        session = get_session(db, session_id)
        if session["status"] == "cancelled":
            raise ValidationError({"session": Message("error.session_cancelled")})
        # The overlap trigger guards new bookings; a moved session must not
        # land on another booking of one of its own participants either.
        clash = (
            session["kind"] == CLASHING_KIND
            and db.execute(
                "SELECT 1 FROM participants mine JOIN participants other ON other.person_id = mine.person_id"
                " AND other.id <> mine.id AND other.status IN ('booked', 'waitlisted')"
                " JOIN sessions s ON s.id = other.session_id AND s.status = 'scheduled'"
                f" JOIN services v ON v.id = s.service_id AND v.kind = '{CLASHING_KIND}'"
                " WHERE mine.session_id = :session AND mine.status IN ('booked', 'waitlisted')"
                f" AND {overlap_sql('s', (':starts', ':ends'))} LIMIT 1",
                {"session": session_id, "starts": starts, "ends": ends},
            ).fetchone()
        )
        if clash:
            raise ValidationError({"start_time": Message("error.move_overlap")})
        _session_change(
            db,
            actor,
            session_id,
            {"starts_at": starts, "ends_at": ends, "room": room if room is not None else session["room"]},
        )


def add_session(db: Database, actor: User, schedule_id: int, day: dt.date, start: dt.time, end: dt.time) -> int:
    """An extra session of an existing schedule (same service, block, room, capacity)."""
    policy.check_record(db, actor, "schedule.manage", "schedule", schedule_id)
    if end <= start:
        raise ValidationError({"end_time": Message("error.end_before_start")})
    with write_transaction(db):
        rows = list(db.query("SELECT * FROM schedules WHERE id = ?", [schedule_id]))
        if not rows:
            raise NotFound("schedule")
        schedule = rows[0]
        session_id = (
            db["sessions"]
            .insert(
                {
                    "schedule_id": schedule_id,
                    "service_id": schedule["service_id"],
                    "block_code": schedule["block_code"],
                    "room": schedule["room"],
                    "capacity": schedule["capacity"],
                    "starts_at": clock.local_iso(dt.datetime.combine(day, start)),
                    "ends_at": clock.local_iso(dt.datetime.combine(day, end)),
                }
            )
            .last_pk
        )
        audit.record(
            db, actor, "create", "session", session_id, new={"schedule_id": schedule_id, "day": day.isoformat()}
        )
    return session_id


def end_schedule(db: Database, actor: User, schedule_id: int, last_day: dt.date) -> int:
    """End a schedule early: sessions after ``last_day`` are cancelled; returns how many."""
    policy.check_record(db, actor, "schedule.manage", "schedule", schedule_id)
    with write_transaction(db):
        if not db["schedules"].count_where("id = ?", [schedule_id]):
            raise NotFound("schedule")
        cutoff = clock.day_bounds(last_day, last_day)[1]
        cancelled = db.execute(
            "UPDATE sessions SET status = 'cancelled', note = 'schedule ended'"
            " WHERE schedule_id = ? AND starts_at >= ? AND status = 'scheduled'",
            [schedule_id, cutoff],
        ).rowcount
        db.execute("UPDATE schedules SET ended_on = ? WHERE id = ?", [last_day.isoformat(), schedule_id])
        audit.record(
            db, actor, "update", "schedule", schedule_id, new={"ended_on": last_day.isoformat(), "cancelled": cancelled}
        )
    return cancelled


def schedules_at(db: Database, actor: User, block_code: str) -> list[dict]:
    policy.check(db, actor, "schedule.read")
    return list(
        db.query(
            "SELECT h.*, v.name_es, v.name_en, v.kind,"
            " (SELECT count(*) FROM sessions s WHERE s.schedule_id = h.id AND s.status = 'scheduled') AS sessions"
            " FROM schedules h JOIN services v ON v.id = h.service_id WHERE h.block_code = ? ORDER BY h.id DESC",
            [block_code],
        )
    )


def sessions_between(
    db: Database,
    actor: User,
    block_code: str,
    start: dt.date,
    end: dt.date,
    *,
    kind: str | None = None,
    service_id: int | None = None,
    schedule_id: int | None = None,
) -> list[dict]:
    """Sessions at a block from start to end (inclusive), with booked and waitlist counts."""
    policy.check(db, actor, "schedule.read")
    where, params = (
        ["s.block_code = ?", "s.starts_at >= ?", "s.starts_at < ?"],
        [block_code, *clock.day_bounds(start, end)],
    )
    for column, value in (("v.kind", kind), ("s.service_id", service_id), ("s.schedule_id", schedule_id)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    return list(
        db.query(
            f"SELECT {_SESSION_COLUMNS},"
            " (SELECT count(*) FROM participants p WHERE p.session_id = s.id AND p.status = 'waitlisted') AS waitlist"
            f" FROM sessions s JOIN services v ON v.id = s.service_id WHERE {' AND '.join(where)}"
            " ORDER BY s.starts_at, s.id",
            params,
        )
    )
