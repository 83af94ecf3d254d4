"""Programme enrolment (e.g. secondary-school completion) and outcomes:
diplomas, certificates, jobs and businesses. Completing an enrolment records
its outcome in the same transaction; the schema allows one primary and one
secondary diploma per person."""

from __future__ import annotations

import datetime as dt
import sqlite3

from sqlite_utils import Database

from caremgmt.core import audit, clock, policy
from caremgmt.core.actor import User
from caremgmt.core.db import violated, write_transaction
from caremgmt.core.errors import CareError, NotFound, ValidationError
from caremgmt.core.i18n import Message
from caremgmt.registry import consents
from caremgmt.registry.validation import Checker, age_on

PROGRAMMES = {
    "primary_completion": "primary_diploma",
    "secondary_completion": "secondary_diploma",
    "technical_training": "technical_certificate",
}
ENROLMENT_TRANSITIONS = {
    "applied": ("waitlisted", "enrolled", "withdrawn"),
    "waitlisted": ("enrolled", "withdrawn"),
    "enrolled": ("active", "withdrawn"),
    "active": ("completed", "withdrawn"),
    "completed": (),
    "withdrawn": (),
}
KINDS = ("primary_diploma", "secondary_diploma", "technical_certificate", "job", "business", "other")
# The youngest age at which each outcome is plausible.
MIN_AGE = {
    "primary_diploma": 9,
    "secondary_diploma": 14,
    "technical_certificate": 14,
    "job": 15,
    "business": 15,
    "other": 0,
}
COURSE_HOURS_RANGE = (1, 5000)  # the length of a course a certificate is for
NEEDS_INSTITUTION = ("primary_diploma", "secondary_diploma", "technical_certificate")


class OutcomeRefused(CareError):
    pass


def apply(db: Database, actor: User, person_id: int, programme: str, block_code: str | None = None) -> int:
    """Apply to a programme at ``block_code`` (default: the person's home block);
    refused while another application to it is current."""
    if block_code is None:
        policy.check_record(db, actor, "case.write", "person", person_id)
    else:
        policy.check(db, actor, "case.write", block_code)
    if programme not in PROGRAMMES:
        raise ValidationError({"programme": Message("error.invalid_choice")})
    with write_transaction(db):
        return apply_in_transaction(db, actor, person_id, programme, block_code)


def apply_in_transaction(db: Database, actor: User, person_id: int, programme: str, block_code: str | None) -> int:
    """Inside the caller's transaction (a referral creates an enrolment this way)."""
    if not db["persons"].count_where("id = ?", [person_id]):
        raise NotFound("person")
    if consents.registration_withdrawn_on(db, person_id):
        raise OutcomeRefused(Message("error.registration_withdrawn"))
    if db["enrolments"].count_where(
        "person_id = ? AND programme = ? AND status IN ('applied', 'waitlisted', 'enrolled', 'active')",
        [person_id, programme],
    ):
        raise OutcomeRefused(Message("error.already_enrolled"))
    now = clock.now_iso()
    row = {
        "person_id": person_id,
        "programme": programme,
        "block_code": block_code,
        "status": "applied",
        "applied_on": clock.today().isoformat(),
        "updated_at": now,
        "created_by": actor.id,
    }
    enrolment_id = db["enrolments"].insert(row).last_pk
    audit.record(db, actor, "create", "enrolment", enrolment_id, person_id=person_id, new=row)
    return enrolment_id


def advance_enrolment(
    db: Database, actor: User, enrolment_id: int, status: str, outcome: dict | None = None
) -> int | None:
    """Move an enrolment on. ``completed`` needs ``outcome`` (recorded with it); returns its id."""
    policy.check_record(db, actor, "case.write", "enrolment", enrolment_id)
    with write_transaction(db):
        row = db.execute("SELECT person_id, programme, status FROM enrolments WHERE id = ?", [enrolment_id]).fetchone()
        if not row:
            raise NotFound("enrolment")
        person_id, programme, current = row
        if status not in ENROLMENT_TRANSITIONS[current]:
            raise OutcomeRefused(Message("error.enrolment_transition"))
        outcome_id = None
        if status == "completed":
            if not outcome:
                raise ValidationError({"outcome": Message("error.outcome_required")})
            outcome_id = _record(db, actor, person_id, {**outcome, "kind": PROGRAMMES[programme]}, enrolment_id)
        db["enrolments"].update(enrolment_id, {"status": status, "updated_at": clock.now_iso()})
        audit.record(
            db,
            actor,
            "update",
            "enrolment",
            enrolment_id,
            person_id=person_id,
            old={"status": current},
            new={"status": status},
        )
    return outcome_id


def enrolments(db: Database, actor: User, person_id: int) -> list[dict]:
    policy.check(db, actor, "person.read")  # part of her file, as in her timeline
    return list(db.query("SELECT * FROM enrolments WHERE person_id = ? ORDER BY id DESC", [person_id]))


def _validate(db: Database, person_id: int, data: dict) -> dict:
    birth = db.execute("SELECT birth_date FROM persons WHERE id = ?", [person_id]).fetchone()
    if not birth:
        raise NotFound("person")
    c = Checker(data)
    c.choice("kind", KINDS, required=True)
    c.text("institution", required=c.clean.get("kind") in NEEDS_INSTITUTION)
    c.text("evidence", max_length=200)
    c.text("course", required=c.clean.get("kind") == "technical_certificate")
    c.number(
        "hours",
        *COURSE_HOURS_RANGE,
        required=c.clean.get("kind") == "technical_certificate",
        message="error.course_hours_range",
    )
    c.text("description", required=c.clean.get("kind") == "other", max_length=500)
    achieved = data.get("achieved_on")
    if isinstance(achieved, str):
        try:
            achieved = dt.date.fromisoformat(achieved)
        except ValueError:
            achieved = None
    if not isinstance(achieved, dt.date):
        c.fail("achieved_on", "error.required")
    elif achieved > clock.today():
        c.fail("achieved_on", "error.future_date")
    elif achieved < dt.date.fromisoformat(birth[0]):
        c.fail("achieved_on", "error.achieved_before_birth", date=birth[0])
    elif c.clean.get("kind") in MIN_AGE:
        age = age_on(dt.date.fromisoformat(birth[0]), achieved)
        if age < MIN_AGE[c.clean["kind"]]:
            c.fail("achieved_on", "error.outcome_too_young", age=age, min=MIN_AGE[c.clean["kind"]])
    if c.errors:
        raise ValidationError(c.errors)
    c.clean["achieved_on"] = achieved.isoformat()
    return c.clean


def _record(db: Database, actor: User, person_id: int, data: dict, enrolment_id: int | None = None) -> int:
    clean = _validate(db, person_id, data)
    row = {
        **clean,
        "person_id": person_id,
        "enrolment_id": enrolment_id,
        "recorded_at": clock.now_iso(),
        "recorded_by": actor.id,
    }
    try:
        with db.atomic():
            outcome_id = db["outcomes"].insert(row).last_pk
    except sqlite3.IntegrityError as e:
        if violated(e, "outcomes_one_diploma"):
            raise OutcomeRefused(
                Message("error.second_diploma", {"kind": Message(f"outcome.{clean['kind']}")})
            ) from None
        raise
    audit.record(db, actor, "create", "outcome", outcome_id, person_id=person_id, new=clean)
    return outcome_id


def record_outcome(db: Database, actor: User, person_id: int, data: dict) -> int:
    """Record an outcome on its own (a job found, a business started, a diploma from
    elsewhere), at the person's home block."""
    policy.check_record(db, actor, "case.write", "person", person_id)
    with write_transaction(db):
        return _record(db, actor, person_id, data)


def person_outcomes(db: Database, actor: User, person_id: int) -> list[dict]:
    policy.check(db, actor, "person.read")  # part of her file, as in her timeline
    return list(db.query("SELECT * FROM outcomes WHERE person_id = ? ORDER BY achieved_on DESC", [person_id]))
