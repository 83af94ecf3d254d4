"""Referrals from a case: to a service of the block (the booking or the
programme enrolment is created in the same transaction) or to an outside
institution. Status goes sent -> accepted -> completed, or rejected; a
referral still open after its due date is overdue."""

from __future__ import annotations

import datetime as dt

from sqlite_utils import Database

from caremgmt.casework.cases import CaseRefused, referral_overdue_sql, require_open_case
from caremgmt.casework.outcomes import PROGRAMMES, apply_in_transaction
from caremgmt.core import audit, clock, policy
from caremgmt.core.actor import User
from caremgmt.core.db import write_transaction
from caremgmt.core.errors import NotFound, ValidationError
from caremgmt.core.i18n import Message
from caremgmt.scheduling.booking import BookingRefused, book_one
from caremgmt.scheduling.timetable import get_session

RESPONSE_DAYS = 15  # an institution is expected to answer within this
TRANSITIONS = {"sent": ("accepted", "rejected"), "accepted": ("completed", "rejected"), "completed": (), "rejected": ()}


def make_referral(
    db: Database,
    actor: User,
    case_id: int,
    *,
    reason: str,
    institution_id: int | None = None,
    session_id: int | None = None,
    programme: str | None = None,
    due_on: dt.date | None = None,
) -> int:
    """Exactly one target: ``institution_id`` (outside), ``session_id`` (a booking
    at the block) or ``programme`` (an enrolment). A booking is also one the user
    may make at the session's block."""
    policy.check_record(db, actor, "case.write", "case", case_id)
    if session_id:
        policy.check_record(db, actor, "booking.write", "session", session_id)
    targets = [t for t in (institution_id, session_id, programme) if t]
    errors = {}
    if len(targets) != 1:
        errors["target"] = Message("error.one_target")
    if not (reason or "").strip():
        errors["reason"] = Message("error.required")
    if programme and programme not in PROGRAMMES:
        errors["programme"] = Message("error.invalid_choice")
    today = clock.today()
    due_on = due_on or today + dt.timedelta(days=RESPONSE_DAYS)
    if due_on < today:
        errors["due_on"] = Message("error.target_in_past")
    if errors:
        raise ValidationError(errors)
    with write_transaction(db):
        case = require_open_case(db, case_id)
        person_id = case["person_id"]
        row = {
            "case_id": case_id,
            "person_id": person_id,
            "reason": reason.strip(),
            "status": "sent",
            "sent_on": today.isoformat(),
            "due_on": due_on.isoformat(),
            "created_by": actor.id,
        }
        if institution_id:
            active = db.execute("SELECT active FROM institutions WHERE id = ?", [institution_id]).fetchone()
            if not active or not active[0]:
                raise ValidationError({"institution_id": Message("error.invalid_choice")})
            row.update(target="external", institution_id=institution_id)
        elif session_id:
            if get_session(db, session_id)["kind"] != "activity":
                raise BookingRefused(Message("error.use_laundry_page"))
            booked = book_one(db, actor, session_id, person_id)
            service_id = db.execute("SELECT service_id FROM sessions WHERE id = ?", [session_id]).fetchone()[0]
            row.update(
                target="internal",
                service_id=service_id,
                participant_id=booked.participant_id,
                status="accepted" if booked.status == "booked" else "sent",
                accepted_on=today.isoformat() if booked.status == "booked" else None,
            )
        else:
            row.update(
                target="internal",
                enrolment_id=apply_in_transaction(db, actor, person_id, programme, case["block_code"]),
            )
        referral_id = db["referrals"].insert(row).last_pk
        audit.record(
            db,
            actor,
            "create",
            "referral",
            referral_id,
            person_id=person_id,
            new={k: v for k, v in row.items() if k != "reason"},
        )
    return referral_id


def set_status(db: Database, actor: User, referral_id: int, status: str) -> None:
    policy.check_record(db, actor, "case.write", "referral", referral_id)
    with write_transaction(db):
        row = db.execute("SELECT case_id, person_id, status FROM referrals WHERE id = ?", [referral_id]).fetchone()
        if not row:
            raise NotFound("referral")
        _case_id, person_id, current = row
        if status not in TRANSITIONS[current]:
            raise CaseRefused(Message("error.referral_transition"))
        today = clock.today().isoformat()
        change = {"status": status}
        if status == "accepted":
            change["accepted_on"] = today
        else:
            change["closed_on"] = today
        db["referrals"].update(referral_id, change)
        audit.record(
            db, actor, "update", "referral", referral_id, person_id=person_id, old={"status": current}, new=change
        )


def case_referrals(db: Database, actor: User, case_id: int) -> list[dict]:
    policy.check_record(db, actor, "case.read", "case", case_id)
    return list(
        db.query(
            f"SELECT r.*, {referral_overdue_sql('r', '?')} AS overdue,"
            " i.name AS institution, v.name_es, v.name_en, e.programme"
            " FROM referrals r LEFT JOIN institutions i ON i.id = r.institution_id"
            " LEFT JOIN services v ON v.id = r.service_id LEFT JOIN enrolments e ON e.id = r.enrolment_id"
            " WHERE r.case_id = ? ORDER BY r.id DESC",
            [clock.today().isoformat(), case_id],
        )
    )
