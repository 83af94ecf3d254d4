"""Attendance (the 'delivery' of a session): one row per person per session,
the service contact every impact figure counts.

Saving a roster upserts every row in one transaction, so saving twice does
not double count. Every write to the attendance table goes through ``_upsert``
(the roster here, a laundry load's end through ``record_load``).
"""

from __future__ import annotations

from sqlite_utils import Database

from caremgmt.core import audit, clock, policy
from caremgmt.core.actor import User
from caremgmt.core.db import write_transaction
from caremgmt.core.errors import NotFound, ValidationError
from caremgmt.core.i18n import Message
from caremgmt.core.text import full_name_sql
from caremgmt.scheduling.timetable import get_session

STATUSES = ("present", "excused", "absent")  # exactly what the schema's CHECK allows
ABSENCE_FLAG = 3  # consecutive absences that flag a person for follow-up


def too_early(session: dict) -> Message | None:
    """Why attendance cannot be taken yet: the session has not started (it can be
    taken from its start, during it and after it). None once it has started."""
    if session["starts_at"] <= clock.local_iso(clock.now_local()):
        return None
    return Message("error.attendance_not_yet", {"time": session["starts_at"][11:16], "day": session["starts_at"][:10]})


def refusal(session: dict) -> Message | None:
    """Why attendance cannot be saved for ``session`` now (cancelled, a laundry
    slot, not started yet), or None: what ``save_roster`` would refuse, for a page
    to say before anyone tries."""
    if session["status"] != "scheduled":
        return Message("error.session_cancelled")
    if session["kind"] == "laundry":
        return Message("error.use_laundry_page")
    return too_early(session)


def roster(db: Database, actor: User, session_id: int) -> list[dict]:
    """Everyone booked (and anyone already recorded), with the status to show:
    what was recorded; else, once the session has started, present (most people
    booked come: the desk marks who did not); before it, None (nobody has come yet).
    Names and documents: the view is audited."""
    policy.check_record(db, actor, "roster.read", "session", session_id)
    session = get_session(db, session_id)
    preset = "present" if too_early(session) is None else None
    rows = list(
        db.query(
            f"SELECT p.id AS person_id, {full_name_sql('p')} AS full_name, p.doc_type, p.doc_number,"
            " coalesce(a.status, :preset) AS status, a.id IS NOT NULL AS recorded, coalesce(a.walk_in, 0) AS walk_in"
            " FROM persons p"
            " LEFT JOIN attendance a ON a.person_id = p.id AND a.session_id = :s"
            " WHERE p.id IN (SELECT person_id FROM participants WHERE session_id = :s AND status = 'booked'"
            "                UNION SELECT person_id FROM attendance WHERE session_id = :s)"
            " ORDER BY p.last_names, p.first_names",
            {"s": session_id, "preset": preset},
        )
    )
    audit.record_read(db, actor, "roster", [r["person_id"] for r in rows], session_id)
    return rows


def save_roster(db: Database, actor: User, session_id: int, statuses: dict[int, str], walk_ins: list[int] = ()) -> int:
    """Record attendance for a session: ``statuses`` maps person id to present /
    excused / absent; ``walk_ins`` are people present without a booking.
    Refused for a cancelled session, a laundry slot, and before the session
    starts (``refusal``). Returns how many rows were written (inserted or changed)."""
    policy.check_record(db, actor, "attendance.write", "session", session_id)
    if any(status not in STATUSES for status in statuses.values()):
        raise ValidationError({"status": Message("error.invalid_choice")})
    rows = {int(pid): (status, 0) for pid, status in statuses.items()}
    for pid in walk_ins:
        rows[int(pid)] = ("present", 1)
    now, written = clock.now_iso(), 0
    with write_transaction(db):
        session = get_session(db, session_id)
        problem = refusal(session)
        if problem:
            raise ValidationError({"session": problem})
        hours = clock.session_hours(session["starts_at"], session["ends_at"])
        for person_id, (status, walk_in) in rows.items():
            if not db["persons"].count_where("id = ?", [person_id]):
                raise NotFound("person")
            before = db.execute(
                "SELECT status FROM attendance WHERE session_id = ? AND person_id = ?", [session_id, person_id]
            ).fetchone()
            if before and before[0] == status:
                continue
            _upsert(db, actor, session_id, person_id, status, hours if status == "present" else 0, now, walk_in=walk_in)
            audit.record(
                db,
                actor,
                "update" if before else "create",
                "attendance",
                session_id,
                person_id=person_id,
                old={"status": before[0]} if before else None,
                new={"status": status, "walk_in": walk_in},
            )
            written += 1
    return written


def _upsert(
    db: Database,
    actor: User,
    session_id: int,
    person_id: int,
    status: str,
    quantity: float,
    now: str,
    *,
    walk_in: int = 0,
    restamp: bool = True,
) -> None:
    """Write one person's attendance at a session, inside the caller's
    transaction: inserted, or its status and quantity replaced (its walk-in
    flag kept). ``restamp``: a replaced row also takes the new time and recorder."""
    stamp = ", recorded_at = excluded.recorded_at, recorded_by = excluded.recorded_by" if restamp else ""
    db.execute(
        "INSERT INTO attendance (session_id, person_id, status, quantity, walk_in, recorded_at, recorded_by)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (session_id, person_id) DO UPDATE SET"
        f" status = excluded.status, quantity = excluded.quantity{stamp}",
        [session_id, person_id, status, quantity, walk_in, now, actor.id],
    )


def record_load(db: Database, actor: User, session_id: int, person_id: int, *, collected: bool, now: str) -> None:
    """A laundry load's end as attendance, inside the caller's transaction
    (caremgmt.scheduling.laundry.advance): collected is present with one load
    washed, a no-show absent with none. A replaced row keeps its first stamp."""
    _upsert(
        db,
        actor,
        session_id,
        person_id,
        "present" if collected else "absent",
        1 if collected else 0,
        now,
        restamp=False,
    )


def summary(db: Database, actor: User, person_id: int) -> dict:
    """Counts by status, the latest records, and the consecutive-absence flag."""
    policy.check(db, actor, "person.read")
    counts = dict.fromkeys(STATUSES, 0)
    for status, n in db.execute(
        "SELECT status, count(*) FROM attendance WHERE person_id = ? GROUP BY status", [person_id]
    ):
        counts[status] = n
    recent = list(
        db.query(
            "SELECT a.status, s.starts_at, v.name_es, v.name_en"
            " FROM attendance a JOIN sessions s ON s.id = a.session_id"
            " JOIN services v ON v.id = s.service_id WHERE a.person_id = ? ORDER BY s.starts_at DESC LIMIT 10",
            [person_id],
        )
    )
    streak = 0
    for row in recent:
        if row["status"] != "absent":
            break
        streak += 1
    return {"counts": counts, "recent": recent, "absence_streak": streak, "flagged": streak >= ABSENCE_FLAG}
