"""Outside institutions a case can refer to (seed_data/institutions.csv), editable by admins."""

from __future__ import annotations

import csv
import re

from sqlite_utils import Database

from caremgmt.core import audit, policy
from caremgmt.core.actor import User
from caremgmt.core.db import write_transaction
from caremgmt.core.errors import ValidationError
from caremgmt.core.i18n import Message
from caremgmt.core.reference import SEED_DIR

SECTORS = ("violence_protection", "legal", "training_employment", "education", "health", "social_protection", "other")
_CODE = re.compile(r"[A-Z0-9-]{2,30}")


def load_seed(db: Database) -> None:
    with open(SEED_DIR / "institutions.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    with write_transaction(db):
        for row in rows:
            db.execute(
                "INSERT OR IGNORE INTO institutions (code, name, sector, contact) VALUES (?, ?, ?, ?)",
                [row["code"], row["name"], row["sector"], row["contact"] or None],
            )


def list_institutions(db: Database, include_inactive: bool = False) -> list[dict]:
    where = "" if include_inactive else "WHERE active = 1"
    return list(db.query(f"SELECT * FROM institutions {where} ORDER BY name"))


def save_institution(db: Database, actor: User, data: dict, institution_id: int | None = None) -> int:
    policy.check(db, actor, "institution.manage")
    code = (data.get("code") or "").strip().upper()
    clean = {
        "code": code,
        "name": (data.get("name") or "").strip(),
        "sector": data.get("sector"),
        "contact": (data.get("contact") or "").strip() or None,
        "active": int(data.get("active", True)),
    }
    errors = {}
    if not _CODE.fullmatch(code):
        errors["code"] = Message("error.block_code_format")
    if not clean["name"]:
        errors["name"] = Message("error.required")
    if clean["sector"] not in SECTORS:
        errors["sector"] = Message("error.invalid_choice")
    if errors:
        raise ValidationError(errors)
    with write_transaction(db):
        clash = db.execute("SELECT id FROM institutions WHERE code = ?", [code]).fetchone()
        if clash and clash[0] != institution_id:
            raise ValidationError({"code": Message("error.code_taken")})
        if institution_id is None:
            institution_id = db["institutions"].insert(clean).last_pk
            audit.record(db, actor, "create", "institution", institution_id, new=clean)
        else:
            old = next(
                db.query("SELECT code, name, sector, contact, active FROM institutions WHERE id = ?", [institution_id])
            )
            old, new = audit.changed(old, clean)
            if new:
                db["institutions"].update(institution_id, new)
                audit.record(db, actor, "update", "institution", institution_id, old=old, new=new)
    return institution_id
