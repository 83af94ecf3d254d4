"""A realistic synthetic programme for demo people: schedules at every block,
about two and a half years of sessions, bookings, attendance with realistic
no-show rates, care for the people they care for at the same time, laundry
loads, and a few upcoming bookings made through the booking service.

Past activity is written in bulk (the booking service refuses the past by
design); the schema's triggers still check capacity and overlaps row by row.
Every block runs the same timetable: it is planned once through the timetable
service and copied to the other blocks in SQL, which is most of what makes a
demo take seconds rather than tens of seconds.
"""

from __future__ import annotations

import bisect
import datetime as dt
import random
from collections.abc import Iterator
from contextlib import contextmanager

from sqlite_utils import Database

from caremgmt.core import audit, clock
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
# When the desk is open: demo records (registrations, cases, notes) are written in these hours.
OFFICE_OPENS = dt.time(8, 0)
OFFICE_MINUTES = 9 * 60


@contextmanager
def _days_marked_once(db: Database, trigger: str, new_days: str) -> Iterator[None]:
    """Bulk rows with the impact facts' trigger ``trigger`` replaced by one set-wise statement.

    The trigger marks the day of every new row stale, one upsert per row: for the years of
    sessions that is two thirds of the time they take. Here it is dropped, and at the end
    ``new_days`` (SQL selecting the days of the rows added, given the largest id before them)
    marks those days stale at once, as the trigger would have. The trigger is restored whatever
    happens, inside the caller's transaction, so no other connection ever sees it missing."""
    if not db.conn.in_transaction:
        raise RuntimeError("only inside a write transaction")
    table, sql = db.execute("SELECT tbl_name, sql FROM sqlite_master WHERE name = ?", [trigger]).fetchone()
    (last,) = db.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()
    db.execute(f"DROP TRIGGER {trigger}")
    try:
        yield
        db.execute(
            f"INSERT INTO contact_days (day) {new_days} ON CONFLICT (day) DO UPDATE SET stale = 1 WHERE stale <> 1",
            [last],
        )
    finally:
        db.execute(sql)


def ensure_schedules(db: Database, actor: User, today: dt.date) -> None:
    """Plan every block that has no schedule yet (a second demo run adds none)."""
    blocks = [
        r[0]
        for r in db.execute(
            "SELECT code FROM blocks b WHERE kind = 'block' AND active = 1"
            " AND NOT EXISTS (SELECT 1 FROM schedules s WHERE s.block_code = b.code) ORDER BY code"
        )
    ]
    if not blocks:
        return
    services = {r[0]: r[1] for r in db.execute("SELECT code, id FROM services")}
    start, end = today - dt.timedelta(days=HISTORY_DAYS), today + dt.timedelta(days=FUTURE_DAYS)
    with (
        write_transaction(db),
        _days_marked_once(
            db, "sessions_facts_insert", "SELECT DISTINCT substr(starts_at, 1, 10) FROM sessions WHERE id > ?"
        ),
    ):
        planned = [
            timetable.create_schedule(
                db,
                actor,
                {
                    "service_id": services[code],
                    "block_code": blocks[0],
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
            )[0]
            for code, weekdays, begin, finish, capacity, slot in PLAN
        ]
        for block in blocks[1:]:
            for schedule_id in planned:
                _copy_schedule(db, actor, schedule_id, block)


def _copy_schedule(db: Database, actor: User, schedule_id: int, block: str) -> None:
    """The schedule ``schedule_id`` and its sessions, at ``block`` too (audited as the timetable
    service audits a new schedule)."""
    row = next(db.query("SELECT * FROM schedules WHERE id = ?", [schedule_id]))
    row = {k: v for k, v in row.items() if k != "id"} | {"block_code": block, "created_at": clock.now_iso()}
    copy_id = db["schedules"].insert(row).last_pk
    made = db.execute(
        "INSERT INTO sessions (schedule_id, service_id, block_code, room, starts_at, ends_at, capacity)"
        " SELECT ?, service_id, ?, room, starts_at, ends_at, capacity FROM sessions WHERE schedule_id = ? ORDER BY id",
        [copy_id, block, schedule_id],
    ).rowcount
    audit.record(db, actor, "create", "schedule", copy_id, new={**row, "sessions": made})


def _sessions(db: Database, block: str, laundry: bool) -> dict[str, list[dict]]:
    """The block's scheduled sessions (its laundry slots, or everything else) by service code, in time order."""
    by_code: dict[str, list[dict]] = {}
    for sid, code, starts_at, ends_at, free in db.execute(
        "SELECT s.id, v.code, s.starts_at, s.ends_at, s.capacity - s.booked_count"
        " FROM sessions s JOIN services v ON v.id = s.service_id"
        " WHERE s.block_code = ? AND s.status = 'scheduled' AND (v.kind = 'laundry') = ?"
        " ORDER BY s.starts_at, s.id",
        [block, laundry],
    ):
        by_code.setdefault(code, []).append({"id": sid, "starts_at": starts_at, "ends_at": ends_at, "free": free})
    return by_code


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
    moment = clock.now_local()
    now = clock.local_iso(moment)
    earliest = dt.datetime.combine(today - dt.timedelta(days=HISTORY_DAYS), OFFICE_OPENS)
    cache: dict[tuple[str, bool], dict[str, list[dict]]] = {}
    days: dict[tuple[str, str], dict[str, list[dict]]] = {}

    def sessions(block: str, code: str) -> list[dict]:
        key = (block, code == "LAVANDERIA")  # most sessions are laundry slots: read them only when needed
        if key not in cache:
            cache[key] = _sessions(db, *key)
        return cache[key].get(code, [])

    def on_day(block: str, code: str, day: str) -> list[dict]:
        if (block, code) not in days:
            days[(block, code)] = {}
            for session in sessions(block, code):
                days[(block, code)].setdefault(session["starts_at"][:10], []).append(session)
        return days[(block, code)].get(day, [])

    participants, attendance, upcoming, registered = [], [], [], []

    def take(session: dict, person_id: int, status: str, quantity: float, load_status: str | None = None) -> bool:
        if session["free"] <= 0:
            return False
        session["free"] -= 1
        participants.append((session, person_id, load_status))
        attendance.append((session, person_id, status, quantity if status == "present" else 0))
        return True

    for caregiver_id in caregiver_ids:
        block = db.execute("SELECT home_block FROM persons WHERE id = ?", [caregiver_id]).fetchone()[0]
        dependents = list(
            db.query(
                "SELECT p.id, p.birth_date, l.care_need FROM care_links l JOIN persons p ON p.id = l.cared_id"
                " WHERE l.caregiver_id = ? ORDER BY p.id",
                [caregiver_id],
            )
        )
        code = rng.choice(CAREGIVER_SERVICES)
        own = sessions(block, code)
        past = [s for s in own if s["starts_at"] < now]
        window = []
        if past:
            first = rng.randrange(len(past))
            window = past[first : first + rng.randint(8, 60)]
        # She registered in the month before she first came (or, if she has not come
        # yet, at some point in the programme's history); a child born since, later.
        first_visit = dt.datetime.fromisoformat(window[0]["starts_at"]) if window else None
        since = _registration(rng, earliest, moment, first_visit)
        dependent_since = {d["id"]: _dependent_registration(rng, since, d, moment) for d in dependents}
        registered.append((caregiver_id, since, dependent_since))
        for session in window:
            status = _status(rng)
            if not take(session, caregiver_id, status, clock.session_hours(session["starts_at"], session["ends_at"])):
                continue
            for dependent in dependents:
                if clock.local_iso(dependent_since[dependent["id"]]) >= session["starts_at"]:
                    continue  # not registered yet
                candidates = on_day(block, CARE_SERVICE_FOR_NEED[dependent["care_need"]], session["starts_at"][:10])
                care = _care_session(candidates, session, dependent)
                if care and rng.random() < 0.9:
                    take(
                        care,
                        dependent["id"],
                        status if rng.random() < 0.95 else "absent",
                        clock.session_hours(care["starts_at"], care["ends_at"]),
                    )
        if window and dependents and rng.random() < 0.45:
            _laundry(rng, sessions(block, "LAVANDERIA"), caregiver_id, window, now, take)
        future = [s for s in own if s["starts_at"] > now]
        if future and rng.random() < 0.3:
            upcoming.append((future[0]["id"], caregiver_id))
    _write(db, participants, attendance)
    _backdate_registrations(db, registered)
    for session_id, caregiver_id in upcoming:
        try:
            offers = booking.care_offers(db, actor, session_id, caregiver_id)
            care = {o["person"]["id"]: o["sessions"][0]["id"] for o in offers if o["sessions"]}
            booking.book(db, actor, session_id, caregiver_id, care=care)
        except CareError:
            continue  # a refused demo booking (e.g. an overlap) is simply not made


def _care_session(candidates: list[dict], session: dict, dependent: dict) -> dict | None:
    """The care session (on the caregiver's session's day) that overlaps it, if the dependent may be in it."""
    day = session["starts_at"][:10]
    for care in candidates:
        if timetable.overlaps(care["starts_at"], care["ends_at"], session["starts_at"], session["ends_at"]):
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
    for slot in slots[bisect.bisect_left(slots, first, key=lambda s: s["starts_at"]) :]:
        if slot["starts_at"] > last or slot["starts_at"] >= now:
            break
        week = dt.date.fromisoformat(slot["starts_at"][:10]).isocalendar()[:2]
        if week in weeks or rng.random() > 0.08:
            continue
        collected = rng.random() < 0.88
        if take(slot, caregiver_id, "present" if collected else "absent", 1, "collected" if collected else "no_show"):
            weeks.add(week)


# The days of the sessions of the rows added to ``table`` (for _days_marked_once).
_NEW_DAYS = (
    "SELECT DISTINCT substr(s.starts_at, 1, 10) FROM {table} t JOIN sessions s ON s.id = t.session_id WHERE t.id > ?"
)


def _write(db: Database, participants: list[tuple], attendance: list[tuple]) -> None:
    """Past bookings, made at the desk as she arrived, and their attendance, recorded as the session ended."""
    stamps: dict[str, str] = {}
    now = clock.now_local()

    def stamp(local: str, minutes: int = 0) -> str:  # never later than now (a session under way)
        key = f"{local}{minutes}"
        if key not in stamps:
            stamps[key] = utc_stamp(min(now, dt.datetime.fromisoformat(local) + dt.timedelta(minutes=minutes)))
        return stamps[key]

    with (
        write_transaction(db),
        _days_marked_once(db, "participants_facts_insert", _NEW_DAYS.format(table="participants")),
        _days_marked_once(db, "attendance_facts_insert", _NEW_DAYS.format(table="attendance")),
    ):
        db.conn.executemany(
            "INSERT INTO participants (session_id, person_id, status, load_status, booked_at, changed_at)"
            " VALUES (?, ?, 'booked', ?, ?, ?)",
            [
                (s["id"], person_id, load, stamp(s["starts_at"], -10), stamp(s["starts_at"], -10))
                for s, person_id, load in participants
            ],
        )
        db.conn.executemany(
            "INSERT INTO attendance (session_id, person_id, status, quantity, recorded_at) VALUES (?, ?, ?, ?, ?)",
            [
                (s["id"], person_id, status, quantity, stamp(s["ends_at"]))
                for s, person_id, status, quantity in attendance
            ],
        )


def office_moment(rng: random.Random, after: dt.datetime, before: dt.datetime) -> dt.datetime | None:
    """A Bogotá wall-clock moment (naive) in office hours, later than ``after`` and no later
    than ``before``; None when there is no time between them."""
    if before <= after:
        return None
    first, days = after.date(), (before.date() - after.date()).days
    for _ in range(6):
        day = first + dt.timedelta(days=rng.randint(0, days))
        moment = dt.datetime.combine(day, OFFICE_OPENS) + dt.timedelta(minutes=rng.randint(0, OFFICE_MINUTES))
        if after < moment <= before:
            return moment
    return (after + (before - after) / 2).replace(microsecond=0)  # a short span outside office hours


def utc_stamp(moment: dt.datetime) -> str:
    """A Bogotá wall-clock moment as the UTC stamp records carry (``clock.now_iso``)."""
    return moment.replace(tzinfo=clock.BOGOTA).astimezone(dt.UTC).isoformat(timespec="seconds")


def _registration(
    rng: random.Random, earliest: dt.datetime, now: dt.datetime, first_visit: dt.datetime | None
) -> dt.datetime:
    """When she registered: in the month before her first visit, or at any time in the
    programme's history if she has not come yet; never in the future."""
    if first_visit is None:
        return office_moment(rng, earliest, now) or now
    before = min(first_visit - dt.timedelta(minutes=15), now)
    return office_moment(rng, max(earliest, before - dt.timedelta(days=30)), before) or before


def _dependent_registration(rng: random.Random, hers: dt.datetime, dependent: dict, now: dt.datetime) -> dt.datetime:
    """With her, or, for a child born since she registered, some weeks after the birth."""
    born = dt.datetime.fromisoformat(dependent["birth_date"])
    if born < hers - dt.timedelta(days=1):
        return hers
    return office_moment(rng, max(hers, born + dt.timedelta(days=14)), now) or now


def _backdate_registrations(db: Database, registered: list[tuple]) -> None:
    """Demo people were all just created: date each registration, her consents and each
    care link from when it happened (see ``_registration``)."""
    people, consents, links = [], [], []
    for caregiver_id, since, dependents in registered:
        stamp = utc_stamp(since)
        people.append((stamp, stamp, caregiver_id))
        consents.append((stamp, caregiver_id, stamp))
        for dependent_id, moment in dependents.items():
            people.append((utc_stamp(moment), utc_stamp(moment), dependent_id))
            links.append((moment.date().isoformat(), caregiver_id, dependent_id))
    with write_transaction(db):
        db.conn.executemany("UPDATE persons SET created_at = ?, updated_at = ? WHERE id = ?", people)
        db.conn.executemany("UPDATE consents SET given_at = ? WHERE person_id = ? AND given_at > ?", consents)
        db.conn.executemany("UPDATE care_links SET since = ? WHERE caregiver_id = ? AND cared_id = ?", links)
