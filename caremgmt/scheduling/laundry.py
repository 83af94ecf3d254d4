"""Community laundry: drop-off slots are sessions of a laundry service (their
capacity is the loads the block can take); a load is a participant whose
``load_status`` goes booked -> dropped_off -> ready -> collected, or no_show.
A collected load is recorded as attendance with quantity 1 (one load washed).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlite_utils import Database

from caremgmt.core import audit, clock, policy, settings
from caremgmt.core.actor import User
from caremgmt.core.db import write_transaction
from caremgmt.core.errors import NotFound, ValidationError
from caremgmt.core.i18n import Message
from caremgmt.core.text import full_name_sql
from caremgmt.registry.validation import CHILD_AGE_LIMIT, age_on
from caremgmt.scheduling import attendance
from caremgmt.scheduling.booking import Booking, BookingRefused, book_one
from caremgmt.scheduling.timetable import get_session, sessions_between

ELIGIBLE_NEEDS = ("child_under_6", "older_person", "disability")
TRANSITIONS = {
    "booked": ("dropped_off", "no_show"),
    "dropped_off": ("ready",),
    "ready": ("collected",),
    "collected": (),
    "no_show": (),
}


WEEKLY_LIMIT_RANGE = (1, 14)  # loads a caregiver may book a week, as a coordinator may set it


def weekly_limit(db: Database) -> int:
    return settings.laundry_weekly_limit(db)


def set_weekly_limit(db: Database, actor: User, limit: int) -> None:
    """The city's weekly limit: no block's, so only those with the whole city set it."""
    policy.check(db, actor, "schedule.manage", None)
    low, high = WEEKLY_LIMIT_RANGE
    try:
        limit = int(limit)
    except (TypeError, ValueError):
        limit = None
    if limit is None or not low <= limit <= high:
        raise ValidationError({"limit": Message("error.laundry_limit_range", {"low": low, "high": high})})
    with write_transaction(db):
        old = weekly_limit(db)
        settings.set_laundry_weekly_limit(db, int(limit))
        audit.record(
            db, actor, "update", "setting", settings.LAUNDRY_WEEKLY_LIMIT, old={"value": old}, new={"value": int(limit)}
        )


def is_eligible(db: Database, person_id: int, day: dt.date) -> bool:
    """She cares for a child under 6 (on ``day``), an older person or a person with disability."""
    for need, birth in db.execute(
        "SELECT l.care_need, p.birth_date FROM care_links l JOIN persons p ON p.id = l.cared_id"
        " WHERE l.caregiver_id = ?",
        [person_id],
    ):
        if need == "child_under_6":
            if age_on(dt.date.fromisoformat(birth), day) < CHILD_AGE_LIMIT:
                return True
        elif need in ELIGIBLE_NEEDS:
            return True
    return False


@dataclass(frozen=True)
class Standing:
    """Whether a person may book a load in the week of a day, and if not, why."""

    used: int  # loads she has booked that week (no-shows do not count)
    limit: int  # the weekly limit
    reason: str | None  # "not_eligible" or "weekly_limit"; None: she may book
    message: Message | None  # the refusal book_load would give


def standing(db: Database, actor: User, person_id: int, day: dt.date) -> Standing:
    """What book_load would say about her booking a load on ``day``, before a slot
    is chosen (the slot's own limits, full or over, aside)."""
    policy.check(db, actor, "person.read")
    return _standing(db, person_id, day)


def _standing(db: Database, person_id: int, day: dt.date) -> Standing:
    monday = day - dt.timedelta(days=day.weekday())
    used = db.execute(
        "SELECT count(*) FROM participants p JOIN sessions s ON s.id = p.session_id"
        " JOIN services v ON v.id = s.service_id AND v.kind = 'laundry'"
        " WHERE p.person_id = ? AND p.status = 'booked' AND p.load_status <> 'no_show'"
        " AND s.starts_at >= ? AND s.starts_at < ?",
        [person_id, *clock.day_bounds(monday, monday + dt.timedelta(days=6))],
    ).fetchone()[0]
    limit = weekly_limit(db)
    if not is_eligible(db, person_id, day):
        return Standing(used, limit, "not_eligible", Message("error.laundry_not_eligible"))
    if used >= limit:
        return Standing(used, limit, "weekly_limit", Message("error.laundry_limit", {"limit": limit}))
    return Standing(used, limit, None, None)


def open_slots(db: Database, actor: User, block_code: str, day: dt.date, person_id: int) -> list[dict]:
    """The drop-off slots at a block on ``day`` that have not ended, each with ``free``
    (loads it can still take) and ``blocked``: why she cannot book a load in it, or
    None. Why is "held" (she has a load in it), then what book_load would refuse:
    her ``standing`` ("not_eligible", "weekly_limit"), or "full"."""
    policy.check(db, actor, "booking.write", block_code)
    reason = _standing(db, person_id, day).reason
    now = clock.local_iso(clock.now_local())
    slots = [
        s
        for s in sessions_between(db, actor, block_code, day, day, kind="laundry")
        if s["status"] == "scheduled" and s["ends_at"] > now
    ]
    held = {
        r[0]
        for r in db.execute(
            "SELECT p.session_id FROM participants p JOIN sessions s ON s.id = p.session_id"
            " WHERE p.person_id = ? AND p.status = 'booked' AND s.block_code = ?"
            " AND s.starts_at >= ? AND s.starts_at < ?",
            [person_id, block_code, *clock.day_bounds(day, day)],
        )
    }

    def blocked(slot: dict) -> str | None:
        if slot["id"] in held:
            return "held"
        return reason or ("full" if slot["booked_count"] >= slot["capacity"] else None)

    return [{**s, "free": s["capacity"] - s["booked_count"], "blocked": blocked(s)} for s in slots]


def book_load(db: Database, actor: User, session_id: int, person_id: int) -> Booking:
    """Book one load in a drop-off slot; refused when not eligible, full or over the weekly limit."""
    policy.check_record(db, actor, "booking.write", "session", session_id)
    with write_transaction(db):
        session = get_session(db, session_id)
        if session["kind"] != "laundry":
            raise BookingRefused(Message("error.not_laundry"))
        problem = _standing(db, person_id, dt.date.fromisoformat(session["starts_at"][:10])).message
        if problem:
            raise BookingRefused(problem)
        return book_one(
            db, actor, session_id, person_id, waitlist=False, extra={"load_status": "booked"}, until_end=True
        )


def next_states(load: dict) -> tuple[str, ...]:
    """What a load (a ``queue`` row) can move to now: TRANSITIONS, but she can be
    marked a no-show only once her slot has started."""
    started = load["starts_at"] <= clock.local_iso(clock.now_local())
    return tuple(s for s in TRANSITIONS[load["load_status"]] if s != "no_show" or started)


def advance(db: Database, actor: User, participant_id: int, new_status: str) -> None:
    """Move a load to its next state; collected and no-show are recorded as attendance."""
    policy.check_record(db, actor, "attendance.write", "participant", participant_id)
    with write_transaction(db):
        row = db.execute(
            "SELECT session_id, person_id, load_status, status FROM participants WHERE id = ?", [participant_id]
        ).fetchone()
        if not row or row[2] is None:
            raise NotFound("load")
        session_id, person_id, current, status = row
        if status != "booked" or new_status not in TRANSITIONS[current]:
            raise ValidationError({"load_status": Message("error.load_transition")})
        starts_at = get_session(db, session_id)["starts_at"]
        if new_status not in next_states({"load_status": current, "starts_at": starts_at}):
            raise ValidationError(
                {"load_status": Message("error.no_show_too_early", {"time": starts_at[11:16], "day": starts_at[:10]})}
            )
        now = clock.now_iso()
        db.execute(
            "UPDATE participants SET load_status = ?, changed_at = ? WHERE id = ?", [new_status, now, participant_id]
        )
        if new_status in ("collected", "no_show"):
            attendance.record_load(db, actor, session_id, person_id, collected=new_status == "collected", now=now)
        audit.record(
            db,
            actor,
            "update",
            "laundry_load",
            participant_id,
            person_id=person_id,
            old={"load_status": current},
            new={"load_status": new_status},
        )


def queue(db: Database, actor: User, block_code: str, day: dt.date) -> list[dict]:
    """The day's loads at a block, in slot order (names and phones: the view is audited)."""
    policy.check(db, actor, "laundry.read", block_code)
    loads = list(
        db.query(
            "SELECT p.id AS participant_id, p.load_status, s.starts_at, s.ends_at, per.id AS person_id,"
            f" {full_name_sql('per')} AS full_name, per.phone"
            " FROM participants p JOIN sessions s ON s.id = p.session_id JOIN services v ON v.id = s.service_id"
            " JOIN persons per ON per.id = p.person_id"
            " WHERE s.block_code = ? AND v.kind = 'laundry' AND p.status = 'booked'"
            " AND s.starts_at >= ? AND s.starts_at < ?"
            " ORDER BY s.starts_at, p.id",
            [block_code, *clock.day_bounds(day, day)],
        )
    )
    audit.record_read(
        db, actor, "laundry_queue", [r["person_id"] for r in loads], block_code, detail={"day": day.isoformat()}
    )
    return loads
