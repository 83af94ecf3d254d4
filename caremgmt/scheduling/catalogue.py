"""The service catalogue: what a Care Block offers, to whom, and how each
service counts care hours freed (see caremgmt/scheduling/carehours.py)."""

from __future__ import annotations

import csv

from sqlite_utils import Database

from caremgmt.core import audit, policy
from caremgmt.core.actor import User
from caremgmt.core.db import write_transaction
from caremgmt.core.errors import NotFound, ValidationError
from caremgmt.core.i18n import Message
from caremgmt.core.reference import SEED_DIR
from caremgmt.registry import vocab
from caremgmt.registry.validation import Checker

CATEGORIES = (
    "respite_wellbeing",
    "education_training",
    "income_generation",
    "legal_psychosocial",
    "laundry",
    "children_care",
    "older_persons",
    "disability_activities",
    "cultural_change",
)
AUDIENCES = ("caregiver", "cared", "anyone")
CARE_HOURS_RULES = ("simultaneity", "per_unit", "none")
KINDS = ("activity", "laundry")
MINUTES_RANGE = (15, 600)  # a session's usual length
AGE_RANGE = (0, 120)  # the ages a service may be for
HOURS_PER_UNIT_RANGE = (0, 24)  # care hours freed per unit (a laundry load)


def _int_or_none(value: str) -> int | None:
    return int(value) if value not in ("", None) else None


def load_seed(db: Database) -> None:
    """Insert catalogue services missing from the database; edits are kept."""
    with open(SEED_DIR / "services.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    with write_transaction(db):
        for row in rows:
            values = {
                **row,
                "default_minutes": int(row["default_minutes"]),
                "min_age": _int_or_none(row["min_age"]),
                "max_age": _int_or_none(row["max_age"]),
                "care_need": row["care_need"] or None,
                "hours_per_unit": float(row["hours_per_unit"] or 0),
            }
            db["services"].insert(values, ignore=True, alter=False)


def list_services(db: Database, include_inactive: bool = False) -> list[dict]:
    where = "" if include_inactive else "WHERE active = 1"
    return list(db.query(f"SELECT * FROM services {where} ORDER BY category, name_es"))


def get_service(db: Database, service_id: int) -> dict:
    rows = list(db.query("SELECT * FROM services WHERE id = ?", [service_id]))
    if not rows:
        raise NotFound("service")
    return rows[0]


def service_name(service: dict, language: str) -> str:
    """A service's name in ``language``: the one rule for every row that carries
    the service's name_es and name_en (a service, a session, a booking, a
    timeline entry); Spanish unless English is asked for."""
    return service["name_en"] if language == "en" else service["name_es"]


def _validate(data: dict) -> dict:
    c = Checker(data)
    c.text("code", required=True, max_length=20)
    c.choice("category", CATEGORIES, required=True)
    c.choice("kind", KINDS, required=True)
    c.choice("audience", AUDIENCES, required=True)
    c.text("name_es", required=True)
    c.text("name_en", required=True)
    c.number("default_minutes", *MINUTES_RANGE, cast=int, required=True, message="error.minutes_range")
    c.number("min_age", *AGE_RANGE, cast=int, message="error.age_range")
    c.number("max_age", *AGE_RANGE, cast=int, message="error.age_range")
    c.choice("care_need", vocab.CARE_NEEDS)
    c.choice("care_hours_rule", CARE_HOURS_RULES, required=True)
    c.number("hours_per_unit", *HOURS_PER_UNIT_RANGE, message="error.hours_per_unit_range")
    clean = c.clean
    if clean.get("code"):
        clean["code"] = clean["code"].upper()
    if clean.get("min_age") is not None and clean.get("max_age") is not None and clean["max_age"] < clean["min_age"]:
        c.fail("max_age", "error.range_order")
    if clean.get("care_hours_rule") == "per_unit" and not clean.get("hours_per_unit"):
        c.fail("hours_per_unit", "error.required")
    if c.errors:
        raise ValidationError(c.errors)
    clean["hours_per_unit"] = clean.get("hours_per_unit") or 0
    return clean


def save_service(db: Database, actor: User, data: dict, service_id: int | None = None) -> int:
    """Add a service (``service_id`` None) or change one; audited."""
    policy.check(db, actor, "service.manage")
    clean = _validate(data)
    with write_transaction(db):
        clash = db.execute("SELECT id FROM services WHERE code = ?", [clean["code"]]).fetchone()
        if clash and clash[0] != service_id:
            raise ValidationError({"code": Message("error.code_taken")})
        if service_id is None:
            service_id = db["services"].insert(clean).last_pk
            audit.record(db, actor, "create", "service", service_id, new=clean)
        else:
            old, new = audit.changed(get_service(db, service_id), clean)
            # Kind and audience decide what its sessions' attendances were (a load, a
            # caregiver's session, a child's care): history keeps them (contact_facts).
            fixed = {field: Message("error.service_field_fixed") for field in ("kind", "audience") if field in new}
            if fixed and db.execute("SELECT 1 FROM sessions WHERE service_id = ? LIMIT 1", [service_id]).fetchone():
                raise ValidationError(fixed)
            if new:
                db["services"].update(service_id, new)
                audit.record(db, actor, "update", "service", service_id, old=old, new=new)
    return service_id


def set_service_active(db: Database, actor: User, service_id: int, active: bool) -> None:
    policy.check(db, actor, "service.manage")
    with write_transaction(db):
        get_service(db, service_id)
        db["services"].update(service_id, {"active": int(active)})
        audit.record(db, actor, "update", "service", service_id, new={"active": int(active)})
