"""Booking people into sessions, with waitlists and automatic promotion.

Capacity, one booking per person per session and no overlapping bookings
are enforced by the schema (CHECK on sessions.booked_count, UNIQUE, and a
trigger); here each booking runs in one BEGIN IMMEDIATE transaction and turns
the database's refusal into a waitlist place or a translated message.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass

from sqlite_utils import Database

from caremgmt.core import audit, clock, policy
from caremgmt.core.actor import User
from caremgmt.core.db import violated, write_transaction
from caremgmt.core.errors import CareError, NotFound
from caremgmt.core.i18n import Message
from caremgmt.registry import consents
from caremgmt.registry.validation import age_on
from caremgmt.scheduling.catalogue import get_service
from caremgmt.scheduling.timetable import get_session, overlap_sql, sessions_between


class BookingRefused(CareError):
    """A booking the rules do not allow; nothing was written."""


@dataclass(frozen=True)
class Booking:
    participant_id: int
    session_id: int
    person_id: int
    status: str  # "booked" or "waitlisted"
    position: int | None  # place on the waitlist, 1 = next


def _person(db: Database, person_id: int) -> dict:
    rows = list(
        db.query(
            "SELECT id, first_names, last_names, birth_date, is_caregiver, disability FROM persons WHERE id = ?",
            [person_id],
        )
    )
    if not rows:
        raise NotFound("person")
    return rows[0]


def eligibility_problem(db: Database, person: dict, session: dict, service: dict) -> Message | None:
    """Why ``person`` may not take ``session``, or None. Rules come from the service."""
    day = dt.date.fromisoformat(session["starts_at"][:10])
    if service["audience"] == "caregiver" and not person["is_caregiver"]:
        return Message("error.not_caregiver")
    if service["audience"] == "cared" and not db["care_links"].count_where("cared_id = ?", [person["id"]]):
        return Message("error.not_cared_for")
    age = age_on(dt.date.fromisoformat(person["birth_date"]), day)
    low, high = service["min_age"], service["max_age"]
    if (low is not None and age < low) or (high is not None and age > high):
        return Message(
            "error.age_outside",
            {"age": age, "low": low if low is not None else 0, "high": high if high is not None else 120},
        )
    if (
        service["care_need"]
        and service["care_need"] != "child_under_6"
        and not db["care_links"].count_where("cared_id = ? AND care_need = ?", [person["id"], service["care_need"]])
    ):
        return Message("error.care_need_mismatch")
    return None


def waitlist_position(db: Database, participant_id: int, session_id: int) -> int:
    return db.execute(
        "SELECT count(*) FROM participants WHERE session_id = ? AND status = 'waitlisted' AND id <= ?",
        [session_id, participant_id],
    ).fetchone()[0]


def _insert_or_revive(db: Database, actor: User, session_id: int, person_id: int, status: str, extra: dict) -> int:
    now = clock.now_iso()
    existing = db.execute(
        "SELECT id, status FROM participants WHERE session_id = ? AND person_id = ?", [session_id, person_id]
    ).fetchone()
    if existing and existing[1] != "cancelled":
        raise BookingRefused(Message("error.already_booked"))
    if existing:
        db["participants"].update(existing[0], {"status": status, "changed_at": now, "booked_by": actor.id, **extra})
        return existing[0]
    return (
        db["participants"]
        .insert(
            {
                "session_id": session_id,
                "person_id": person_id,
                "status": status,
                "booked_at": now,
                "changed_at": now,
                "booked_by": actor.id,
                **extra,
            }
        )
        .last_pk
    )


def book_one(
    db: Database,
    actor: User,
    session_id: int,
    person_id: int,
    *,
    waitlist: bool = True,
    care_for: int | None = None,
    extra: dict | None = None,
    until_end: bool = False,
) -> Booking:
    """Book inside the caller's transaction: a place, else the waitlist (or refuse).
    ``until_end``: a session that has started may still be booked (a drop-off slot)."""
    session = get_session(db, session_id)
    if session["status"] != "scheduled":
        raise BookingRefused(Message("error.session_cancelled"))
    if session["ends_at" if until_end else "starts_at"] <= clock.local_iso(clock.now_local()):
        raise BookingRefused(Message("error.session_past"))
    problem = eligibility_problem(db, _person(db, person_id), session, get_service(db, session["service_id"]))
    if problem:
        raise BookingRefused(problem)
    if consents.registration_withdrawn_on(db, person_id):
        raise BookingRefused(Message("error.registration_withdrawn"))
    extra = {**(extra or {}), "care_for_participant": care_for}
    try:
        with db.atomic():  # savepoint: a refused place leaves the transaction usable
            participant_id = _insert_or_revive(db, actor, session_id, person_id, "booked", extra)
        status = "booked"
    except sqlite3.IntegrityError as e:
        if violated(e, "participants_no_overlap"):
            raise BookingRefused(Message("error.overlap")) from None
        if not violated(e, "sessions_within_capacity"):
            raise
        if not waitlist:
            raise BookingRefused(Message("error.session_full")) from None
        participant_id = _insert_or_revive(db, actor, session_id, person_id, "waitlisted", extra)
        status = "waitlisted"
    audit.record(
        db,
        actor,
        "create",
        "participant",
        participant_id,
        person_id=person_id,
        new={"session_id": session_id, "status": status},
    )
    position = waitlist_position(db, participant_id, session_id) if status == "waitlisted" else None
    return Booking(participant_id, session_id, person_id, status, position)


def book(
    db: Database, actor: User, session_id: int, person_id: int, care: dict[int, int] | None = None
) -> list[Booking]:
    """Book a person, and (``care``: cared-for person id -> care session id) care
    for the people she cares for, all in one transaction."""
    policy.check_record(db, actor, "booking.write", "session", session_id)
    for care_session in (care or {}).values():
        policy.check_record(db, actor, "booking.write", "session", care_session)
    with write_transaction(db):
        if get_session(db, session_id)["kind"] == "laundry":
            raise BookingRefused(Message("error.use_laundry_page"))
        first = book_one(db, actor, session_id, person_id)
        results = [first]
        for cared_id, care_session in (care or {}).items():
            if not db["care_links"].count_where("caregiver_id = ? AND cared_id = ?", [person_id, cared_id]):
                raise BookingRefused(Message("error.not_linked"))
            # Care already running may still take a child in (until it ends).
            results.append(book_one(db, actor, care_session, cared_id, care_for=first.participant_id, until_end=True))
    return results


def book_series(db: Database, actor: User, schedule_id: int, person_id: int) -> list[Booking]:
    """Every future session of a schedule that the person does not hold yet (a place
    or the waitlist), or none if one of them is refused."""
    policy.check_record(db, actor, "booking.write", "schedule", schedule_id)
    now = clock.local_iso(clock.now_local())
    with write_transaction(db):
        future = db.execute(
            "SELECT s.id, EXISTS (SELECT 1 FROM participants p WHERE p.session_id = s.id AND p.person_id = ?"
            " AND p.status IN ('booked', 'waitlisted')) FROM sessions s JOIN services v ON v.id = s.service_id"
            " WHERE s.schedule_id = ? AND s.status = 'scheduled' AND s.starts_at > ? AND v.kind = 'activity'"
            " ORDER BY s.starts_at",
            [person_id, schedule_id, now],
        ).fetchall()
        if not future:
            raise BookingRefused(Message("error.no_future_sessions"))
        sessions = [session_id for session_id, held in future if not held]
        if not sessions:
            raise BookingRefused(Message("error.already_booked"))
        results = []
        for session_id in sessions:
            try:
                results.append(book_one(db, actor, session_id, person_id))
            except BookingRefused as e:
                day = get_session(db, session_id)["starts_at"][:10]
                raise BookingRefused(Message("error.series_refused", {"day": day, "reason": e.message})) from None
    return results


def cancel(db: Database, actor: User, participant_id: int) -> list[int]:
    """Cancel a booking (and care booked with it); the first person waiting gets
    each freed place. Returns the participant ids promoted."""
    policy.check_record(db, actor, "booking.write", "participant", participant_id)
    promoted: list[int] = []
    with write_transaction(db):
        _cancel(db, actor, participant_id, promoted)
        for (linked,) in db.execute(
            "SELECT id FROM participants WHERE care_for_participant = ? AND status <> 'cancelled'", [participant_id]
        ).fetchall():
            _cancel(db, actor, linked, promoted)
    return promoted


def _cancel(db: Database, actor: User, participant_id: int, promoted: list[int]) -> None:
    row = db.execute("SELECT session_id, person_id, status FROM participants WHERE id = ?", [participant_id]).fetchone()
    if not row:
        raise NotFound("participant")
    session_id, person_id, status = row
    if status == "cancelled":
        raise BookingRefused(Message("error.already_cancelled"))
    now = clock.now_iso()
    db.execute("UPDATE participants SET status = 'cancelled', changed_at = ? WHERE id = ?", [now, participant_id])
    audit.record(
        db,
        actor,
        "cancel",
        "participant",
        participant_id,
        person_id=person_id,
        old={"status": status},
        new={"status": "cancelled"},
    )
    if status != "booked":
        return
    nxt = db.execute(
        "SELECT id, person_id FROM participants WHERE session_id = ? AND status = 'waitlisted' ORDER BY id LIMIT 1",
        [session_id],
    ).fetchone()
    if nxt:
        db.execute("UPDATE participants SET status = 'booked', changed_at = ? WHERE id = ?", [now, nxt[0]])
        audit.record(
            db,
            actor,
            "promote",
            "participant",
            nxt[0],
            person_id=nxt[1],
            old={"status": "waitlisted"},
            new={"status": "booked"},
            detail=f"place freed by {participant_id}",
        )
        promoted.append(nxt[0])


def care_offers(db: Database, actor: User, session_id: int, caregiver_id: int) -> list[dict]:
    """For each person she cares for: care sessions at the same block that
    overlap this session and that person may take, best cover first."""
    policy.check_record(db, actor, "booking.write", "session", session_id)
    session = get_session(db, session_id)
    offers = []
    for cared in db.query(
        "SELECT p.id, p.first_names, p.last_names, p.birth_date, p.is_caregiver, p.disability, l.care_need"
        " FROM care_links l JOIN persons p ON p.id = l.cared_id WHERE l.caregiver_id = ? ORDER BY p.birth_date DESC",
        [caregiver_id],
    ):
        options = []
        for candidate in db.query(
            "SELECT s.*, v.audience, v.min_age, v.max_age, v.care_need, v.name_es, v.name_en"
            " FROM sessions s JOIN services v ON v.id = s.service_id"
            " WHERE s.block_code = :block AND s.status = 'scheduled' AND v.audience = 'cared' AND v.active = 1"
            f" AND {overlap_sql('s', (':starts', ':ends'))} AND s.ends_at > :now ORDER BY s.starts_at",
            {
                "block": session["block_code"],
                "starts": session["starts_at"],
                "ends": session["ends_at"],
                "now": clock.local_iso(clock.now_local()),
            },
        ):
            if eligibility_problem(db, cared, candidate, candidate) is None:
                # Every candidate overlaps the session (the query's condition); the best cover all of it.
                covers_all = (
                    candidate["starts_at"] <= session["starts_at"] and candidate["ends_at"] >= session["ends_at"]
                )
                options.append({**candidate, "covers_all": covers_all})
        options.sort(key=lambda o: (not o["covers_all"], o["starts_at"]))
        offers.append({"person": cared, "sessions": options})
    return offers


def upcoming(db: Database, actor: User, block_code: str, person_id: int, days: int) -> list[dict]:
    """The activity sessions at a block that can still be booked (scheduled, not
    started) from now to ``days`` days ahead, soonest first, each with ``held``:
    the person's place in it ("booked" or "waitlisted"), or None."""
    policy.check(db, actor, "booking.write", block_code)
    now = clock.now_local()
    last = now.date() + dt.timedelta(days=days)
    sessions = sessions_between(db, actor, block_code, now.date(), last, kind="activity")
    held = dict(
        db.execute(
            "SELECT p.session_id, p.status FROM participants p JOIN sessions s ON s.id = p.session_id"
            " WHERE p.person_id = ? AND p.status IN ('booked', 'waitlisted') AND s.block_code = ? AND s.starts_at > ?",
            [person_id, block_code, clock.local_iso(now)],
        ).fetchall()
    )
    return [
        {**s, "held": held.get(s["id"])}
        for s in sessions
        if s["status"] == "scheduled" and s["starts_at"] > clock.local_iso(now)
    ]


def person_bookings(db: Database, actor: User, person_id: int, upcoming_only: bool = True) -> list[dict]:
    policy.check(db, actor, "person.read")
    since = clock.local_iso(clock.now_local())[:10] if upcoming_only else ""
    rows = list(
        db.query(
            "SELECT p.id AS participant_id, p.status, p.load_status, s.id AS session_id, s.starts_at, s.ends_at,"
            " s.block_code, s.status AS session_status, v.name_es, v.name_en, v.kind,"
            " (SELECT count(*) FROM participants w"
            " WHERE w.session_id = s.id AND w.status = 'waitlisted' AND w.id <= p.id) AS position"
            " FROM participants p JOIN sessions s ON s.id = p.session_id JOIN services v ON v.id = s.service_id"
            " WHERE p.person_id = ? AND p.status <> 'cancelled' AND s.starts_at >= ? ORDER BY s.starts_at LIMIT 200",
            [person_id, since],
        )
    )
    for row in rows:
        if row["status"] != "waitlisted":
            row["position"] = None
    return rows
