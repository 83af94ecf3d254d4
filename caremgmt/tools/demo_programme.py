"""A realistic synthetic programme for demo people: schedules at every block,
about two and a half years of sessions, bookings, attendance with realistic
no-show rates, care for the people they care for at the same time, laundry
loads, and a few upcoming bookings made through the booking service.

Past activity is written in bulk (the booking service refuses the past by
design); the schema's triggers still check capacity and overlaps row by row.
"""

from __future__ import annotations

import datetime as dt
import random

from sqlite_utils import Database

from caremgmt.core import clock
from caremgmt.core.actor import User
from caremgmt.core.db import write_transaction
from caremgmt.core.errors import CareError
from caremgmt.registry.validation import CHILD_AGE_LIMIT, age_on
from caremgmt.scheduling import booking, timetable

HISTORY_DAYS = 2 * 365 + 180
FUTURE_DAYS = 42
# (service code, weekdays, start, end, capacity, slot minutes)
PLAN = (
    ("BACHILLERATO", [0, 2], "08:00", "11:00", 30, None),
    ("PRIMARIA", [1, 3], "08:00", "11:00", 25, None),
    ("RESPIRO", [1, 3], "14:00", "16:00", 30, None),
    ("DIGITAL", [4], "09:00", "11:00", 20, None),
    ("EMPRENDIMIENTO", [4], "14:00", "16:00", 25, None),
    ("INFANCIA", [0, 1, 2, 3, 4], "07:30", "12:00", 60, None),
    ("INFANCIA", [1, 3, 4], "13:30", "16:30", 60, None),
    ("MAYORES", [0, 1, 2, 3, 4], "07:30", "12:00", 40, None),
    ("MAYORES", [1, 3, 4], "13:30", "16:30", 40, None),
    ("DISCAPACIDAD", [0, 1, 2, 3, 4], "07:30", "12:00", 20, None),
    ("DISCAPACIDAD", [1, 3, 4], "13:30", "16:30", 20, None),
    ("LAVANDERIA", [0, 1, 2, 3, 4, 5], "08:00", "14:00", 4, 60),
)
CAREGIVER_SERVICES = ("BACHILLERATO", "PRIMARIA", "RESPIRO", "DIGITAL", "EMPRENDIMIENTO")
CARE_SERVICE_FOR_NEED = {"child_under_6": "INFANCIA", "older_person": "MAYORES", "disability": "DISCAPACIDAD"}
ATTENDANCE_ODDS = (("present", 0.78), ("absent", 0.15), ("excused", 0.07))


def ensure_schedules(db: Database, actor: User, today: dt.date) -> None:
    """Plan every block that has no schedule yet (a second demo run adds none)."""
    services = {r[0]: r[1] for r in db.execute("SELECT code, id FROM services")}
    start, end = today - dt.timedelta(days=HISTORY_DAYS), today + dt.timedelta(days=FUTURE_DAYS)
    for (block,) in db.execute(
        "SELECT code FROM blocks b WHERE kind = 'block' AND active = 1"
        " AND NOT EXISTS (SELECT 1 FROM schedules s WHERE s.block_code = b.code) ORDER BY code"
    ).fetchall():
        for code, weekdays, begin, finish, capacity, slot in PLAN:
            timetable.create_schedule(
                db,
                actor,
                {
                    "service_id": services[code],
                    "block_code": block,
                    "room": None,
                    "facilitator": None,
                    "weekdays": weekdays,
                    "start_time": begin,
                    "end_time": finish,
                    "start_date": start,
                    "end_date": end,
                    "capacity": capacity,
                    "slot_minutes": slot,
                },
            )


def _sessions(db: Database, block: str, code: str) -> list[dict]:
    return list(
        db.query(
            "SELECT s.id, s.starts_at, s.ends_at, s.capacity - s.booked_count AS free"
            " FROM sessions s JOIN services v ON v.id = s.service_id"
            " WHERE s.block_code = ? AND v.code = ? AND s.status = 'scheduled' ORDER BY s.starts_at",
            [block, code],
        )
    )


def _status(rng: random.Random) -> str:
    roll, total = rng.random(), 0.0
    for status, odds in ATTENDANCE_ODDS:
        total += odds
        if roll < total:
            return status
    return "present"


def generate_programme(db: Database, rng: random.Random, caregiver_ids: list[int], actor: User) -> None:
    today = clock.today()
    ensure_schedules(db, actor, today)
    now = clock.local_iso(clock.now_local())
    cache: dict[tuple[str, str], list[dict]] = {}

    def sessions(block: str, code: str) -> list[dict]:
        if (block, code) not in cache:
            cache[(block, code)] = _sessions(db, block, code)
        return cache[(block, code)]

    participants, attendance, upcoming, registered = [], [], [], []

    def take(session: dict, person_id: int, status: str, quantity: float, load_status: str | None = None) -> bool:
        if session["free"] <= 0:
            return False
        session["free"] -= 1
        participants.append((session["id"], person_id, load_status))
        attendance.append((session["id"], person_id, status, quantity if status == "present" else 0))
        return True

    for caregiver_id in caregiver_ids:
        block = db.execute("SELECT home_block FROM persons WHERE id = ?", [caregiver_id]).fetchone()[0]
        dependents = list(
            db.query(
                "SELECT p.id, p.birth_date, l.care_need FROM care_links l JOIN persons p ON p.id = l.cared_id"
                " WHERE l.caregiver_id = ?",
                [caregiver_id],
            )
        )
        code = rng.choice(CAREGIVER_SERVICES)
        own = sessions(block, code)
        past = [s for s in own if s["starts_at"] < now]
        # She registered some days before she first came (or, if she has not
        # come yet, at some point in the programme's history).
        first_visit = dt.date.fromisoformat(past[0]["starts_at"][:10]) if past else today
        registered.append((caregiver_id, first_visit, [d["id"] for d in dependents]))
        if past:
            first = rng.randrange(len(past))
            window = past[first : first + rng.randint(8, 60)]
            registered[-1] = (caregiver_id, dt.date.fromisoformat(window[0]["starts_at"][:10]), registered[-1][2])
            for session in window:
                status = _status(rng)
                if not take(
                    session, caregiver_id, status, clock.session_hours(session["starts_at"], session["ends_at"])
                ):
                    continue
                for dependent in dependents:
                    care = _care_session(
                        sessions(block, CARE_SERVICE_FOR_NEED[dependent["care_need"]]), session, dependent
                    )
                    if care and rng.random() < 0.9:
                        take(
                            care,
                            dependent["id"],
                            status if rng.random() < 0.95 else "absent",
                            clock.session_hours(care["starts_at"], care["ends_at"]),
                        )
            if dependents and rng.random() < 0.45:
                _laundry(rng, sessions(block, "LAVANDERIA"), caregiver_id, window, now, take)
        future = [s for s in own if s["starts_at"] > now]
        if future and rng.random() < 0.3:
            upcoming.append((future[0]["id"], caregiver_id))
    _write(db, participants, attendance)
    _backdate_registrations(db, rng, registered, today)
    for session_id, caregiver_id in upcoming:
        try:
            offers = booking.care_offers(db, actor, session_id, caregiver_id)
            care = {o["person"]["id"]: o["sessions"][0]["id"] for o in offers if o["sessions"]}
            booking.book(db, actor, session_id, caregiver_id, care=care)
        except CareError:
            continue  # a refused demo booking (e.g. an overlap) is simply not made


def _care_session(candidates: list[dict], session: dict, dependent: dict) -> dict | None:
    day = session["starts_at"][:10]
    for care in candidates:
        if care["starts_at"][:10] == day and timetable.overlaps(
            care["starts_at"], care["ends_at"], session["starts_at"], session["ends_at"]
        ):
            born = dt.date.fromisoformat(dependent["birth_date"])
            age = age_on(born, dt.date.fromisoformat(day)) if born.isoformat() <= day else -1
            if dependent["care_need"] != "child_under_6" or 0 <= age < CHILD_AGE_LIMIT:
                return care
            return None
    return None


def _laundry(rng: random.Random, slots: list[dict], caregiver_id: int, window: list[dict], now: str, take) -> None:
    """About one load every few weeks while she attends; most collected, some no-shows."""
    first, last = window[0]["starts_at"], window[-1]["ends_at"]
    weeks = set()
    for slot in slots:
        if not first <= slot["starts_at"] <= last or slot["starts_at"] >= now:
            continue
        week = dt.date.fromisoformat(slot["starts_at"][:10]).isocalendar()[:2]
        if week in weeks or rng.random() > 0.08:
            continue
        collected = rng.random() < 0.88
        if take(slot, caregiver_id, "present" if collected else "absent", 1, "collected" if collected else "no_show"):
            weeks.add(week)


def _write(db: Database, participants: list[tuple], attendance: list[tuple]) -> None:
    now = clock.now_iso()
    with write_transaction(db):
        db.conn.executemany(
            "INSERT INTO participants (session_id, person_id, status, load_status, booked_at, changed_at)"
            " VALUES (?, ?, 'booked', ?, ?, ?)",
            [(*p, now, now) for p in participants],
        )
        db.conn.executemany(
            "INSERT INTO attendance (session_id, person_id, status, quantity, recorded_at) VALUES (?, ?, ?, ?, ?)",
            [(*a, now) for a in attendance],
        )


def _backdate_registrations(db: Database, rng: random.Random, registered: list[tuple], today: dt.date) -> None:
    """Demo people were all just created; give each a plausible registration date."""
    earliest = today - dt.timedelta(days=HISTORY_DAYS)
    rows = []
    for caregiver_id, first_visit, dependent_ids in registered:
        day = max(earliest, first_visit - dt.timedelta(days=rng.randint(0, 30)))
        if first_visit >= today:
            day = earliest + dt.timedelta(days=rng.randint(0, HISTORY_DAYS))
        stamp = f"{day.isoformat()}T{rng.randint(13, 22):02d}:{rng.randint(0, 59):02d}:00+00:00"
        rows += [(stamp, stamp, pid) for pid in (caregiver_id, *dependent_ids)]
    with write_transaction(db):
        db.conn.executemany("UPDATE persons SET created_at = ?, updated_at = ? WHERE id = ?", rows)
