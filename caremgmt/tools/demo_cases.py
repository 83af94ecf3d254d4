"""Synthetic case management for demo caregivers, in realistic proportions:
about one caregiver in ten has a case (assessments, goals, notes, referrals,
tasks), and a few percent have a diploma, certificate, job or business.

Cases have a history: each is opened on a day between her registration and
today (while she comes to the block, if she does), worked by one of her
block's case workers (front-desk accounts the demo creates when the block has
none), and what follows (assessments, goals, notes, referrals, tasks, and
closing older cases) is dated after the opening and never in the future.
The case services stamp everything "now" and refuse targets in the past by
design, so, like the programme's past activity, cases are written in bulk;
the schema's constraints and triggers still hold on every row. Outcomes go
through the outcome service (it takes the day achieved)."""

from __future__ import annotations

import datetime as dt
import random
import secrets
from collections.abc import Callable

from sqlite_utils import Database

from caremgmt.casework import cases, outcomes
from caremgmt.core import auth, clock
from caremgmt.core.actor import User
from caremgmt.core.db import write_transaction
from caremgmt.core.errors import CareError
from caremgmt.core.text import fold
from caremgmt.tools.demo_programme import office_moment, utc_stamp

Name = tuple[str, str]  # (given names, surnames)

CASE_RATE = 0.10
OUTCOME_RATES = {
    "secondary_diploma": 0.03,
    "primary_diploma": 0.01,
    "technical_certificate": 0.03,
    "job": 0.02,
    "business": 0.01,
}
CLOSE_AFTER_DAYS = 270  # a case older than this is closed more often than not
CASES_FOR_A_SECOND_WORKER = 3  # a block with this many new cases gets two case workers
FIRST_NOTES = (
    "Primera entrevista: refiere sobrecarga de cuidado y cansancio.",
    "Primera entrevista: cuida sola a su madre y a dos nietos; pide apoyo para organizar el tiempo.",
)
NOTES = (
    "Seguimiento telefónico: asiste a las clases con regularidad.",
    "Se orienta sobre la ruta de atención y los servicios de la manzana.",
    "Manifiesta interés en terminar el bachillerato.",
    "Se acuerda revisar la situación de ingresos en la próxima cita.",
)
CONFIDENTIAL_NOTES = (
    "Refiere situación de violencia intrafamiliar; se activa la ruta de protección.",
    "Se comparte información de salud mental con consentimiento de la persona.",
)
CLOSE_REASONS = (
    "Objetivos del plan cumplidos.",
    "Se trasladó a otra localidad; se orienta sobre la manzana más cercana.",
    "Sin contacto después de tres intentos de seguimiento.",
)
GOALS = (
    "Fortalecer redes de apoyo y autonomía económica",
    "Terminar el bachillerato",
    "Reducir la sobrecarga de cuidado con apoyo de la familia",
    "Acceder a la ruta de atención en salud",
)
TASKS = ("Llamada de seguimiento", "Revisar respuesta de la institución", "Agendar nueva valoración")
SCHOOLS = (
    "IED Bosa Nova",
    "Colegio Distrital Kennedy",
    "IED San Cristóbal Sur",
    "Colegio Manuelita Sáenz",
    "IED Usme Centro",
)
# A referral to a programme moves its application on with it.
ENROLMENT_FOR_REFERRAL = {"sent": "applied", "accepted": "enrolled", "completed": "active", "rejected": "withdrawn"}


def generate_cases(
    db: Database, rng: random.Random, caregiver_ids: list[int], actor: User, name: Callable[[random.Random], Name]
) -> None:
    """Cases for about one caregiver in ten and outcomes for a few; ``name`` draws the
    (given names, surnames) of a new case worker."""
    people = _people(db, caregiver_ids)
    with_case = [pid for pid in caregiver_ids if rng.random() < CASE_RATE]
    workers = ensure_case_workers(db, rng, actor, [people[pid]["block"] for pid in with_case], name)
    institutions = [r[0] for r in db.execute("SELECT id FROM institutions WHERE active = 1 ORDER BY id")]
    now = clock.now_local()
    opened = {}
    with write_transaction(db):
        for person_id in with_case:
            opened[person_id] = _case(
                db, rng, people[person_id], workers[people[person_id]["block"]], institutions, now
            )
    for person_id in caregiver_ids:
        # An outcome comes after she registered and, if she has a case, after it was opened.
        since = opened.get(person_id) or people[person_id]["registered"]
        for kind, rate in OUTCOME_RATES.items():
            if rng.random() < rate:
                try:
                    _outcome(db, rng, actor, person_id, kind, since.date(), now.date())
                except CareError:
                    continue  # e.g. a diploma date too early for a young caregiver: simply not made


def _people(db: Database, caregiver_ids: list[int]) -> dict[int, dict]:
    """Each caregiver's block, registration moment (Bogotá time) and first and last sessions attended."""
    people, rows = {}, []
    for start in range(0, len(caregiver_ids), 500):
        chunk = caregiver_ids[start : start + 500]
        rows += db.execute(
            "SELECT p.id, p.home_block, p.created_at, min(s.starts_at), max(s.starts_at) FROM persons p"
            " LEFT JOIN attendance a ON a.person_id = p.id AND a.status = 'present'"
            " LEFT JOIN sessions s ON s.id = a.session_id"
            f" WHERE p.id IN ({', '.join('?' * len(chunk))}) GROUP BY p.id",
            chunk,
        ).fetchall()
    for person_id, block, created_at, first, last in rows:
        people[person_id] = {
            "id": person_id,
            "block": block,
            "registered": dt.datetime.fromisoformat(created_at).astimezone(clock.BOGOTA).replace(tzinfo=None),
            "attended": (dt.datetime.fromisoformat(first), dt.datetime.fromisoformat(last)) if first else None,
        }
    return people


def ensure_case_workers(
    db: Database, rng: random.Random, actor: User, blocks: list[str], name: Callable[[random.Random], Name]
) -> dict[str, list[int]]:
    """One or two case workers at each block in ``blocks`` (two where it has several cases):
    the block's front-desk accounts, and new ones where it has too few. A new account is
    marked synthetic and gets a random password that is never shown or kept, so nobody can
    log in with it until an admin sets one."""
    workers: dict[str, list[int]] = {}
    for block in sorted(set(blocks)):
        wanted = 2 if blocks.count(block) >= CASES_FOR_A_SECOND_WORKER else 1
        staff = [
            r[0]
            for r in db.execute(
                "SELECT id FROM users WHERE role = 'frontdesk' AND active = 1 AND block_code = ? ORDER BY id", [block]
            )
        ]
        while len(staff) < wanted:
            user = auth.create_user(db, actor, _username(db, *name(rng)), secrets.token_urlsafe(24), "frontdesk", block)
            db.execute("UPDATE users SET synthetic = 1 WHERE id = ?", [user.id])
            staff.append(user.id)
        workers[block] = staff[:wanted]
    return workers


def _username(db: Database, given: str, surnames: str) -> str:
    """'lmartinez' for Lucía Martínez Gómez ('lmartinezg', then 'lmartinez2'... if taken)."""
    first, second = fold(surnames).split(" ", 1)
    base = (fold(given)[0] + first)[:28]
    for candidate in (base, base + second[0], *(f"{base}{n}" for n in range(2, 100))):
        if not db["users"].count_where("username = ?", [candidate]):
            return candidate
    raise RuntimeError("no free demo username")  # pragma: no cover - a hundred namesakes


def _case(
    db: Database, rng: random.Random, person: dict, workers: list[int], institutions: list[int], now
) -> dt.datetime:
    """Write one case and its history; returns when it was opened (Bogotá time)."""
    worker = rng.choice(workers)
    opened = _opening(rng, person, now)
    closed = None
    if (now - opened).days > CLOSE_AFTER_DAYS and rng.random() < 0.6:
        closed = office_moment(rng, opened + dt.timedelta(days=60), min(now, opened + dt.timedelta(days=420)))
    end = closed or now
    case_id = db.execute(
        "INSERT INTO cases (person_id, block_code, status, priority, case_worker_id, opened_at, opened_by,"
        " closed_at, closed_by, close_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            person["id"],
            person["block"],
            "closed" if closed else "open",
            rng.choices(cases.PRIORITIES, (3, 5, 2))[0],
            worker,
            utc_stamp(opened),
            worker,
            utc_stamp(closed) if closed else None,
            worker if closed else None,
            rng.choice(CLOSE_REASONS) if closed else None,
        ],
    ).lastrowid

    def later(after: dt.datetime, before: dt.datetime = end) -> dt.datetime | None:
        return office_moment(rng, after, before)

    def soon(minutes: int) -> dt.datetime:  # the first steps, at the opening interview
        return min(end, opened + dt.timedelta(minutes=minutes))

    # Needs assessed at the opening, and again months later.
    for moment in (soon(rng.randint(10, 40)), later(opened + dt.timedelta(days=60)) if rng.random() < 0.5 else None):
        if moment:
            assessment_id = db.execute(
                "INSERT INTO assessments (case_id, assessed_on, assessed_by, recorded_at) VALUES (?, ?, ?, ?)",
                [case_id, moment.date().isoformat(), worker, utc_stamp(moment)],
            ).lastrowid
            db.conn.executemany(
                "INSERT INTO assessment_scores (assessment_id, domain, score) VALUES (?, ?, ?)",
                [(assessment_id, d, rng.randint(1, 5)) for d in cases.DOMAINS],
            )
    # A goal set at the opening; by now it may have been reached or dropped.
    set_at = soon(rng.randint(20, 50))
    target = set_at.date() + dt.timedelta(days=rng.randint(30, 270))
    status, changed = "open", set_at
    if closed or target < now.date():
        status = rng.choices(("achieved", "dropped", "open"), (5, 2, 0 if closed else 2))[0]
        changed = (later(set_at) or set_at) if status != "open" else set_at
    db.execute(
        "INSERT INTO case_goals (case_id, domain, description, target_date, status, created_at, created_by,"
        " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            case_id,
            rng.choice(cases.DOMAINS),
            rng.choice(GOALS),
            target.isoformat(),
            status,
            utc_stamp(set_at),
            worker,
            utc_stamp(changed),
        ],
    )
    # Notes: the opening interview, then follow-ups, in the order they were written.
    follow_ups = sorted(filter(None, (later(opened) for _ in range(rng.randint(0, 3)))))
    for n, moment in enumerate([soon(rng.randint(30, 90)), *follow_ups]):
        confidential = n > 0 and rng.random() < 0.2
        body = rng.choice(FIRST_NOTES if n == 0 else CONFIDENTIAL_NOTES if confidential else NOTES)
        db.execute(
            "INSERT INTO case_notes (case_id, author_id, written_at, body, confidential) VALUES (?, ?, ?, ?, ?)",
            [case_id, worker, utc_stamp(moment), body, int(confidential)],
        )
    current: set[str] = set()  # programmes she has a current application to
    for _ in range(rng.choices((0, 1, 2, 3), (3, 4, 2, 1))[0]):
        # On a closed case, referrals were sent in time to be answered before it closed.
        sent = later(opened, end - dt.timedelta(days=3 if closed else 0))
        if sent:
            _referral(db, rng, person, case_id, worker, institutions, sent, end, bool(closed), current)
    # Follow-up tasks: some done along the way, and one still open on a case still open.
    for _ in range(rng.randint(0, 2)):
        created = later(opened)
        if created:
            due = created.date() + dt.timedelta(days=rng.randint(3, 21))
            done = later(created, min(end, dt.datetime.combine(due, dt.time(18)) + dt.timedelta(days=5)))
            if done:
                _task(db, rng, case_id, worker, workers, created, due, done)
    if not closed and rng.random() < 0.6:
        due = now.date() + dt.timedelta(days=rng.randint(-10, 21))
        created = later(max(opened, dt.datetime.combine(due, dt.time()) - dt.timedelta(days=30)), now)
        if created:
            _task(db, rng, case_id, worker, workers, created, max(due, created.date()), None)
    return opened


def _opening(rng: random.Random, person: dict, now: dt.datetime) -> dt.datetime:
    """When her case was opened: while she came to the block (up to two months after her
    last session) if she did, otherwise at any time since she registered; never before her
    registration nor in the future."""
    after, before = person["registered"], now
    if person["attended"]:
        first, last = person["attended"]
        after, before = max(after, first - dt.timedelta(days=7)), min(now, last + dt.timedelta(days=60))
    return office_moment(rng, after, before) or office_moment(rng, person["registered"], now) or now


def _referral(
    db, rng, person, case_id, worker, institutions, sent_at: dt.datetime, end_at: dt.datetime, closed, current
):
    """A referral sent at ``sent_at``, moved on as far as the days since allow (no later than ``end_at``)."""
    sent, end = sent_at.date(), end_at.date()
    programme = None
    if rng.random() < 0.25 or not institutions:
        programme = rng.choice([p for p in outcomes.PROGRAMMES if p not in current] or [None])
        if programme is None:
            return
    days = (end - sent).days
    if days < 3:
        status = "sent"
    else:
        odds = (0, 0, 5, 2) if closed else (1, 2, 5, 2)
        status = rng.choices(("sent", "accepted", "completed", "rejected"), odds)[0]
    accepted_on = closed_on = None
    if status in ("accepted", "completed"):
        accepted_on = sent + dt.timedelta(days=rng.randint(1, min(14, days - 1)))
    if status == "completed":
        closed_on = accepted_on + dt.timedelta(days=rng.randint(1, max(1, (end - accepted_on).days)))
    elif status == "rejected":
        closed_on = sent + dt.timedelta(days=rng.randint(1, min(15, days)))
    row = {
        "case_id": case_id,
        "person_id": person["id"],
        "target": "external",
        "institution_id": None,
        "enrolment_id": None,
        "reason": "Continuar estudios" if programme else "Orientación especializada",
        "status": status,
        "sent_on": sent.isoformat(),
        "due_on": (sent + dt.timedelta(days=15)).isoformat(),
        "accepted_on": accepted_on and accepted_on.isoformat(),
        "closed_on": closed_on and closed_on.isoformat(),
        "created_by": worker,
    }
    if programme:
        enrolment = ENROLMENT_FOR_REFERRAL[status]
        day = closed_on or accepted_on
        changed = sent_at
        if day:  # the application moved on with the referral, that day
            start = dt.datetime.combine(day, dt.time())
            changed = office_moment(rng, start, min(end_at, start + dt.timedelta(hours=23))) or start
        row["target"] = "internal"
        row["enrolment_id"] = db.execute(
            "INSERT INTO enrolments (person_id, programme, block_code, status, applied_on, updated_at, created_by)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                person["id"],
                programme,
                person["block"],
                enrolment,
                sent.isoformat(),
                utc_stamp(changed),
                worker,
            ],
        ).lastrowid
        if enrolment != "withdrawn":
            current.add(programme)
    else:
        row["institution_id"] = rng.choice(institutions)
    db["referrals"].insert(row)


def _task(db, rng, case_id, worker, workers, created: dt.datetime, due: dt.date, done: dt.datetime | None) -> None:
    owner = worker if rng.random() < 0.8 else rng.choice(workers)
    db.execute(
        "INSERT INTO tasks (case_id, description, due_on, owner_id, status, created_at, created_by, done_at, done_by)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            case_id,
            rng.choice(TASKS),
            due.isoformat(),
            owner,
            "done" if done else "open",
            utc_stamp(created),
            worker,
            utc_stamp(done) if done else None,
            owner if done else None,
        ],
    )


def _outcome(db, rng, actor, person_id, kind, since: dt.date, today: dt.date) -> None:
    days = max(0, (today - since).days)
    data = {"kind": kind, "achieved_on": since + dt.timedelta(days=rng.randint(min(30, days), days))}
    if kind in outcomes.NEEDS_INSTITUTION:
        data["institution"] = rng.choice(SCHOOLS) if kind != "technical_certificate" else "SENA"
        data["evidence"] = f"Acta {rng.randint(100, 9999)}"
    if kind == "technical_certificate":
        data.update(
            course=rng.choice(("Cocina", "Cuidado de personas mayores", "Confección", "Sistemas")),
            hours=rng.choice((40, 120, 240)),
        )
    if kind in ("job", "business"):
        data["description"] = rng.choice(("Auxiliar de cocina", "Venta de comidas", "Confección", "Peluquería"))
    outcomes.record_outcome(db, actor, person_id, data)
