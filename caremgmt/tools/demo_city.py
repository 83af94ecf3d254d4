"""Bulk synthetic data at a given scale, for the benchmark: ``city`` is
Bogotá's size (600,000+ persons, 6 million attendances over four years,
500,000 laundry loads, 30,000 cases, 2,000 diplomas); ``small`` is the same
shape at a few thousand persons, for tests.

Rows are generated block by block and written in chunks with executemany,
so memory stays bounded (a 500 MB page cache, the generated rows of one
block). The schema's constraints and triggers (capacity, one booking per
person and session, FTS index, impact facts) still run on every row; the
no-overlap rule is checked once for the whole load instead (see
``_overlap_checked_once``), and the name keys are written once (see
``_name_keys_once``). The impact facts are built at the end. Persons are
marked synthetic. Bulk rows carry no audit entries of their own (no user did
anything): the load is one entry, with its counts.
"""

from __future__ import annotations

import bisect
import datetime as dt
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlite_utils import Database

from caremgmt.core import clock
from caremgmt.core.actor import SYSTEM
from caremgmt.core.db import write_transaction
from caremgmt.core.text import fold
from caremgmt.impact import contact_facts
from caremgmt.scheduling import timetable
from caremgmt.tools import demo
from caremgmt.tools.demo import MOBILE_PREFIXES, NEIGHBOURHOODS, full_name, given_names, relative_surnames


@dataclass(frozen=True)
class Scale:
    caregivers: int
    years: int
    visits_per_caregiver: float  # mean attended caregiver sessions
    laundry_share: float  # of eligible caregivers who use the laundry
    loads_per_user: float
    cases: int
    diplomas: int


SCALES = {
    "small": Scale(
        caregivers=1_300, years=1, visits_per_caregiver=11, laundry_share=0.5, loads_per_user=5, cases=150, diplomas=12
    ),
    "city": Scale(
        caregivers=262_000,
        years=4,
        visits_per_caregiver=13,
        laundry_share=0.5,
        loads_per_user=4.2,
        cases=30_000,
        diplomas=2_000,
    ),
}
CHUNK = 50_000
CACHE_KB = 500_000
# (service, weekdays, start, end, capacity); two sittings a day so the blocks can hold the city's demand.
PLAN = (
    ("BACHILLERATO", [0, 2], "08:00", "11:00", 70),
    ("BACHILLERATO", [0, 2], "14:00", "17:00", 70),
    ("PRIMARIA", [1, 3], "08:00", "11:00", 70),
    ("PRIMARIA", [1, 3], "14:00", "17:00", 70),
    ("RESPIRO", [1, 3], "14:00", "16:00", 70),
    ("RESPIRO", [0, 2, 4], "08:00", "10:00", 70),
    ("DIGITAL", [4], "09:00", "11:00", 70),
    ("EMPRENDIMIENTO", [4], "14:00", "16:00", 70),
    ("INFANCIA", [0, 1, 2, 3, 4], "07:30", "12:00", 150),
    ("INFANCIA", [0, 1, 2, 3, 4], "13:30", "17:30", 150),
    ("MAYORES", [0, 1, 2, 3, 4], "07:30", "12:00", 90),
    ("MAYORES", [0, 1, 2, 3, 4], "13:30", "17:30", 90),
    ("DISCAPACIDAD", [0, 1, 2, 3, 4], "07:30", "12:00", 60),
    ("DISCAPACIDAD", [0, 1, 2, 3, 4], "13:30", "17:30", 60),
)
LAUNDRY = ("LAVANDERIA", [0, 1, 2, 3, 4, 5], "07:00", "17:00", 12, 60)
CAREGIVER_CODES = ("BACHILLERATO", "PRIMARIA", "RESPIRO", "DIGITAL", "EMPRENDIMIENTO")
CARE_FOR_NEED = {"child_under_6": "INFANCIA", "older_person": "MAYORES", "disability": "DISCAPACIDAD"}


def generate(db: Database, scale: str, seed: int = 1) -> dict[str, int]:
    """Build the data set and audit the load; returns counts of what was written. It does
    not look for real data: ``python -m caremgmt demo`` does (caremgmt.tools.demo.real_rows)."""
    spec = SCALES[scale]
    rng = random.Random(seed)
    today = clock.today()
    start = today - dt.timedelta(days=365 * spec.years)
    db.execute("PRAGMA synchronous = OFF")  # a rebuildable data set: speed over durability while loading
    db.execute(f"PRAGMA cache_size = {-CACHE_KB}")  # the indexes being filled stay in memory
    seconds, started = {}, time.perf_counter()
    (before,) = db.execute("SELECT count(*) FROM persons").fetchone()

    def lap(name: str) -> None:
        nonlocal started
        seconds[f"seconds_{name}"] = round(time.perf_counter() - started)
        started = time.perf_counter()

    try:
        _plan(db, start, today)
        lap("sessions")
        with _name_keys_once(db):
            people = _persons(db, rng, spec, start, today)
        lap("persons")
        with _overlap_checked_once(db):
            counts = _activity(db, rng, spec, people, today)
        lap("activity")
        counts.update(_cases(db, rng, spec, people, today))
        lap("cases")
        counts["fact_days"] = contact_facts.refresh(db)
        lap("facts")
    finally:
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA cache_size = -2000")
    db.execute("ANALYZE")
    lap("analyze")
    counts["persons"] = db.execute("SELECT count(*) FROM persons").fetchone()[0]
    with write_transaction(db):
        demo.record_load(db, SYSTEM, {"scale": scale, "seed": seed, **counts, "persons": counts["persons"] - before})
    counts.update(seconds)
    return counts


def _plan(db: Database, start: dt.date, today: dt.date) -> None:
    services = {r[0]: r[1] for r in db.execute("SELECT code, id FROM services")}
    end = today + dt.timedelta(days=28)
    blocks = [r[0] for r in db.execute("SELECT code FROM blocks WHERE kind = 'block' AND active = 1 ORDER BY code")]
    for block in blocks:
        if db["schedules"].count_where("block_code = ?", [block]):
            continue
        for code, weekdays, begin, finish, capacity, *slot in (*PLAN, LAUNDRY):
            # A schedule spans at most three years: longer plans are split.
            piece = start
            while piece <= end:
                piece_end = min(end, piece + dt.timedelta(days=timetable.MAX_SCHEDULE_DAYS - 1))
                timetable.create_schedule(
                    db,
                    SYSTEM,
                    {
                        "service_id": services[code],
                        "block_code": block,
                        "weekdays": weekdays,
                        "start_time": begin,
                        "end_time": finish,
                        "start_date": piece,
                        "end_date": piece_end,
                        "capacity": capacity,
                        "slot_minutes": slot[0] if slot else None,
                    },
                )
                piece = piece_end + dt.timedelta(days=1)


def _persons(db: Database, rng: random.Random, spec: Scale, start: dt.date, today: dt.date) -> dict[str, list]:
    """Caregivers and their dependants; returns per block the caregivers with
    their dependants and registration day."""
    blocks = list(db.query("SELECT code, locality_code FROM blocks WHERE kind = 'block' AND active = 1 ORDER BY code"))
    next_id = (db.execute("SELECT max(id) FROM persons").fetchone()[0] or 0) + 1
    doc_base = 1_100_000_000 + next_id * 3
    people: dict[str, list] = {b["code"]: [] for b in blocks}
    persons, links, consents = [], [], []
    span = (today - start).days

    def flush() -> None:
        with write_transaction(db):
            db.conn.executemany(
                "INSERT INTO persons (id, doc_type, doc_number, first_names, last_names, search_name, birth_date, sex,"
                " gender_identity, phone, locality_code, neighbourhood, stratum, ethnicity, disability, migrant_status,"
                " education_level, care_hours_per_day, registration_channel, home_block, is_caregiver, created_at,"
                " updated_at, synthetic)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
                persons,
            )
            db.conn.executemany(
                "INSERT INTO care_links (caregiver_id, cared_id, relationship, care_need, since, legal_representative)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                links,
            )
            db.conn.executemany(
                "INSERT INTO consents (person_id, purpose, text_version, given_at) VALUES (?, ?, '2026-01', ?)",
                consents,
            )
        persons.clear(), links.clear(), consents.clear()

    for n in range(spec.caregivers):
        block = blocks[n % len(blocks)]
        registered = start + dt.timedelta(days=int(span * rng.random() ** 0.8))
        stamp = f"{registered.isoformat()}T{rng.randint(13, 22):02d}:{rng.randint(0, 59):02d}:00+00:00"
        female = rng.random() < 0.92
        first, last = full_name(rng, female)
        caregiver_id = next_id
        next_id += 1
        born = today - dt.timedelta(days=rng.randint(18 * 365 + 1, 75 * 365))
        search = fold(f"{first} {last}")
        persons.append(
            (
                caregiver_id,
                "CC",
                str(doc_base + caregiver_id * 7),
                first,
                last,
                search,
                born.isoformat(),
                "F" if female else "M",
                "female" if female else "male",
                f"+57{rng.choice(MOBILE_PREFIXES)}{rng.randint(0, 9_999_999):07d}" if rng.random() < 0.9 else None,
                block["locality_code"],
                rng.choice(NEIGHBOURHOODS),
                rng.choices((1, 2, 3, 4), (35, 45, 17, 3))[0],
                rng.choices(("none", "indigenous", "afro", "raizal", "palenquero", "rrom"), (88, 3, 6, 1, 1, 1))[0],
                rng.choices(("none", "physical", "visual", "hearing", "psychosocial"), (92, 3, 2, 2, 1))[0],
                "migrant_regular" if rng.random() < 0.08 else "colombian",
                rng.choice(("primary_incomplete", "primary", "secondary_incomplete", "secondary", "technical")),
                rng.choice((4, 6, 8, 10, 12)),
                rng.choices(("front_desk", "bus", "outreach", "self_preregistration"), (70, 10, 15, 5))[0],
                block["code"],
                1,
                stamp,
                stamp,
            )
        )
        consents.append((caregiver_id, "registration", stamp))
        if rng.random() < 0.7:
            consents.append((caregiver_id, "reminders", stamp))
        if rng.random() < 0.6:
            consents.append((caregiver_id, "research", stamp))
        dependants = []
        for _ in range(rng.choices((0, 1, 2, 3), (10, 55, 27, 8))[0]):
            need = rng.choices(("child_under_6", "older_person", "disability"), (6, 3, 1))[0]
            if need == "child_under_6":
                dob = registered - dt.timedelta(days=rng.randint(30, 5 * 365))
            elif need == "older_person":
                dob = registered - dt.timedelta(days=rng.randint(62 * 365, 92 * 365))
            else:
                dob = registered - dt.timedelta(days=rng.randint(8 * 365, 50 * 365))
            d_female = rng.random() < 0.5
            relationship = "child" if need != "older_person" else "parent"
            d_last = relative_surnames(rng, last, female, relationship, d_female)
            generation = {"child_under_6": "child", "older_person": "older"}.get(need, "adult")
            d_first = given_names(rng, d_female, d_last, generation)
            d_search = fold(f"{d_first} {d_last}")
            cared_id = next_id
            next_id += 1
            age = (registered - dob).days // 365
            doc = (
                ("RC" if age < 7 else "TI" if age < 18 else "CC")
                if need != "child_under_6" or rng.random() < 0.85
                else None
            )
            persons.append(
                (
                    cared_id,
                    doc,
                    str(doc_base + cared_id * 7) if doc else None,
                    d_first,
                    d_last,
                    d_search,
                    dob.isoformat(),
                    "F" if d_female else "M",
                    None,
                    None,
                    block["locality_code"],
                    None,
                    None,
                    None,
                    "physical" if need == "disability" else "none",
                    None,
                    None,
                    None,
                    None,
                    block["code"],
                    0,
                    stamp,
                    stamp,
                )
            )
            representative = relationship == "child" and dob > registered - dt.timedelta(days=18 * 365)
            links.append((caregiver_id, cared_id, relationship, need, registered.isoformat(), representative))
            dependants.append((cared_id, need, dob))
        people[block["code"]].append((caregiver_id, registered, dependants))
        if len(persons) >= CHUNK:
            flush()
    flush()
    return people


@contextmanager
def _name_keys_once(db: Database) -> Iterator[None]:
    """Bulk persons with their name keys and words (migration 0011) written
    once, set-wise and in key order, at the end.

    The schema's trigger files each new person's keys as she is inserted, at
    random places in a table of millions of rows: 40 s for the city's persons,
    against 20 s for the same rows sorted first. The trigger is restored
    whatever happens, and the keys are written for every person added."""
    (trigger,) = db.execute("SELECT sql FROM sqlite_master WHERE name = 'persons_name_keys_insert'").fetchone()
    first = (db.execute("SELECT max(id) FROM persons").fetchone()[0] or 0) + 1
    db.execute("DROP TRIGGER persons_name_keys_insert")
    try:
        yield
    finally:
        with write_transaction(db):
            db.execute(trigger)
            db.execute(
                "INSERT OR IGNORE INTO name_terms (term) SELECT DISTINCT j.value FROM persons p,"
                " json_each('[' || replace(json_quote(p.search_name), ' ', '\",\"') || ']') j"
                " WHERE p.id >= ? AND j.value <> ''",
                [first],
            )
            db.execute(
                "INSERT OR IGNORE INTO name_keys (name_key, birth_date, person_id)"
                " SELECT name_key, birth_date, person_id FROM person_name_keys WHERE person_id >= ?"
                " ORDER BY name_key, birth_date, person_id",
                [first],
            )


@contextmanager
def _overlap_checked_once(db: Database) -> Iterator[None]:
    """Bulk bookings with the no-overlap rule checked once, set-wise, at the end.

    The schema's trigger checks each new booking against all of the person's
    others, which costs more with every booking she has; for millions of rows
    that is a third of the load. Every other constraint and trigger still runs
    per row. The trigger is restored whatever happens, and the data set is
    refused if any person's activity bookings overlap."""
    (trigger,) = db.execute("SELECT sql FROM sqlite_master WHERE name = 'participants_no_overlap_insert'").fetchone()
    db.execute("DROP TRIGGER participants_no_overlap_insert")
    try:
        yield
    finally:
        db.execute(trigger)
    overlap = db.execute(
        "SELECT person_id FROM (SELECT p.person_id, s.starts_at, max(s.ends_at) OVER (PARTITION BY p.person_id"
        " ORDER BY s.starts_at ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS busy_until"
        " FROM participants p JOIN sessions s ON s.id = p.session_id AND s.status = 'scheduled'"
        " JOIN services v ON v.id = s.service_id AND v.kind = 'activity' WHERE p.status IN ('booked', 'waitlisted'))"
        " WHERE busy_until > starts_at LIMIT 1"
    ).fetchone()
    if overlap:
        raise RuntimeError(f"generated bookings overlap for person {overlap[0]}")


def _activity(db: Database, rng: random.Random, spec: Scale, people: dict[str, list], today: dt.date) -> dict[str, int]:
    """Past bookings and attendance: each caregiver attends a run of one
    service's sessions; the people she cares for are in care at the same time."""
    now = clock.local_iso(clock.now_local())
    stamp = clock.now_iso()
    participants, attendance = [], []
    counts = {"attendance": 0, "laundry_loads": 0}

    def flush() -> None:
        with write_transaction(db):
            db.conn.executemany(
                "INSERT INTO participants (session_id, person_id, status, load_status, booked_at, changed_at)"
                " VALUES (?, ?, 'booked', ?, ?, ?)",
                participants,
            )
            db.conn.executemany(
                "INSERT INTO attendance (session_id, person_id, status, quantity, recorded_at) VALUES (?, ?, ?, ?, ?)",
                attendance,
            )
        counts["attendance"] += len(attendance)
        participants.clear(), attendance.clear()

    for block, caregivers in people.items():
        sessions: dict[str, list] = {}
        for sid, code, starts, ends, capacity in db.execute(
            "SELECT s.id, v.code, s.starts_at, s.ends_at, s.capacity"
            " FROM sessions s JOIN services v ON v.id = s.service_id"
            " WHERE s.block_code = ? AND s.status = 'scheduled' AND s.starts_at < ? ORDER BY s.starts_at",
            [block, now],
        ):
            sessions.setdefault(code, []).append([sid, starts, ends, capacity])
        first_dates = {code: [s[1][:10] for s in rows] for code, rows in sessions.items()}  # for bisect
        by_day: dict[tuple[str, str], list] = {}
        for code in CARE_FOR_NEED.values():
            for session in sessions.get(code, []):
                by_day.setdefault((code, session[1][:10]), []).append(session)
        for caregiver_id, registered, dependants in caregivers:
            code = rng.choice(CAREGIVER_CODES)
            own = sessions.get(code, [])
            first_day = registered.isoformat()
            begin = bisect.bisect_left(first_dates.get(code, []), first_day)
            visits = int(rng.expovariate(1 / spec.visits_per_caregiver)) + 1
            taken = 0
            for session in own[begin:]:
                if taken >= visits:
                    break
                if session[3] <= 0 or rng.random() < 0.2:  # full, or she skipped this one
                    continue
                session[3] -= 1
                taken += 1
                status = rng.choices(("present", "absent", "excused"), (78, 15, 7))[0]
                hours = clock.session_hours(session[1], session[2])
                participants.append((session[0], caregiver_id, None, stamp, stamp))
                attendance.append((session[0], caregiver_id, status, hours if status == "present" else 0, stamp))
                for cared_id, need, _dob in dependants:
                    care = next(
                        (
                            c
                            for c in by_day.get((CARE_FOR_NEED[need], session[1][:10]), ())
                            if c[1] < session[2] and session[1] < c[2] and c[3] > 0
                        ),
                        None,
                    )
                    if care and rng.random() < 0.9:
                        care[3] -= 1
                        participants.append((care[0], cared_id, None, stamp, stamp))
                        care_status = status if rng.random() < 0.95 else "absent"
                        attendance.append(
                            (
                                care[0],
                                cared_id,
                                care_status,
                                clock.session_hours(care[1], care[2]) if care_status == "present" else 0,
                                stamp,
                            )
                        )
            if dependants and rng.random() < spec.laundry_share:
                counts["laundry_loads"] += _loads(
                    rng,
                    spec,
                    sessions.get("LAVANDERIA", []),
                    first_dates.get("LAVANDERIA", []),
                    caregiver_id,
                    first_day,
                    participants,
                    attendance,
                    stamp,
                )
            if len(attendance) >= CHUNK:
                flush()
    flush()
    with write_transaction(db):
        db.execute(
            "UPDATE sessions SET booked_count = (SELECT count(*) FROM participants p"
            " WHERE p.session_id = sessions.id AND p.status = 'booked')"
            " WHERE id IN (SELECT DISTINCT session_id FROM participants)"
        )
    return counts


def _loads(rng, spec, slots, slot_dates, caregiver_id, first_day, participants, attendance, stamp) -> int:
    if not slots:
        return 0
    start = bisect.bisect_left(slot_dates, first_day)
    made, position = 0, start
    for _ in range(int(rng.expovariate(1 / spec.loads_per_user)) + 1):
        position += rng.randint(40, 120)  # about one load every week or two (~60 slots a week)
        if position >= len(slots):
            break
        slot = slots[position]
        if slot[3] <= 0:
            continue
        slot[3] -= 1
        collected = rng.random() < 0.88
        participants.append((slot[0], caregiver_id, "collected" if collected else "no_show", stamp, stamp))
        attendance.append((slot[0], caregiver_id, "present" if collected else "absent", 1 if collected else 0, stamp))
        made += 1
    return made


def _cases(db: Database, rng: random.Random, spec: Scale, people: dict[str, list], today: dt.date) -> dict[str, int]:
    caregivers = [(cid, block, registered) for block, rows in people.items() for cid, registered, _ in rows]
    chosen = rng.sample(caregivers, min(spec.cases, len(caregivers)))
    institutions = [r[0] for r in db.execute("SELECT id FROM institutions")]
    stamp = clock.now_iso()
    with write_transaction(db):
        for cid, block, registered in chosen:
            opened = registered + dt.timedelta(days=rng.randint(0, 60))
            opened = min(opened, today)
            closed = rng.random() < 0.6
            case_id = db.execute(
                "INSERT INTO cases (person_id, block_code, status, priority, opened_at, closed_at, close_reason)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    cid,
                    block,
                    "closed" if closed else "open",
                    rng.choice(("low", "medium", "high")),
                    f"{opened}T15:00:00+00:00",
                    stamp if closed else None,
                    "objetivos cumplidos" if closed else None,
                ],
            ).lastrowid
            db.conn.executemany(
                "INSERT INTO case_notes (case_id, written_at, body, confidential) VALUES (?, ?, ?, ?)",
                [
                    (case_id, f"{opened}T16:00:00+00:00", "Nota de seguimiento.", int(rng.random() < 0.2))
                    for _ in range(rng.randint(1, 4))
                ],
            )
            for _ in range(rng.choices((0, 1, 2, 3), (2, 4, 3, 1))[0]):
                status = rng.choice(("sent", "accepted", "completed", "rejected"))
                db.execute(
                    "INSERT INTO referrals (case_id, person_id, target, institution_id, reason, status, sent_on,"
                    " due_on, accepted_on, closed_on) VALUES (?, ?, 'external', ?, 'Orientación', ?, ?, ?, ?, ?)",
                    [
                        case_id,
                        cid,
                        rng.choice(institutions),
                        status,
                        opened.isoformat(),
                        (opened + dt.timedelta(days=15)).isoformat(),
                        opened.isoformat() if status in ("accepted", "completed") else None,
                        opened.isoformat() if status in ("completed", "rejected") else None,
                    ],
                )
        graduates = rng.sample(caregivers, min(spec.diplomas, len(caregivers)))
        db.conn.executemany(
            "INSERT INTO outcomes (person_id, kind, achieved_on, institution, recorded_at)"
            " VALUES (?, 'secondary_diploma', ?, ?, ?)",
            [
                (
                    cid,
                    min(today, registered + dt.timedelta(days=rng.randint(120, 700))).isoformat(),
                    "IED Distrital",
                    stamp,
                )
                for cid, _block, registered in graduates
            ],
        )
    return {"cases": len(chosen), "diplomas": len(graduates)}
