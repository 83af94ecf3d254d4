"""Reference data: Bogotá's localities and the Care Blocks, loaded from seed_data/."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from sqlite_utils import Database

from caremgmt.core import audit, policy
from caremgmt.core.actor import User
from caremgmt.core.db import write_transaction
from caremgmt.core.errors import NotFound, ValidationError
from caremgmt.core.i18n import Message

SEED_DIR = Path(__file__).resolve().parents[2] / "seed_data"
_BLOCK_CODE = re.compile(r"[A-Z0-9-]{2,20}")


def _read_csv(name: str) -> list[dict]:
    with open(SEED_DIR / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def load_seed(db: Database) -> None:
    """Insert missing reference rows; existing rows (maybe edited) stay as they are."""
    with write_transaction(db):
        for row in _read_csv("localities.csv"):
            db.execute("INSERT OR IGNORE INTO localities (code, name) VALUES (?, ?)", [int(row["code"]), row["name"]])
        for row in _read_csv("blocks.csv"):
            db.execute(
                "INSERT OR IGNORE INTO blocks (code, name, locality_code, kind) VALUES (?, ?, ?, ?)",
                [row["code"], row["name"], int(row["locality_code"]) if row["locality_code"] else None, row["kind"]],
            )


def localities(db: Database) -> dict[int, str]:
    return {row["code"]: row["name"] for row in db.query("SELECT code, name FROM localities ORDER BY code")}


def blocks(db: Database, include_closed: bool = False) -> list[dict]:
    where = "" if include_closed else "WHERE b.active = 1"
    return list(
        db.query(
            "SELECT b.code, b.name, b.kind, b.active, b.locality_code, l.name AS locality"
            f" FROM blocks b LEFT JOIN localities l ON l.code = b.locality_code {where} ORDER BY b.name"
        )
    )


def _check_block_fields(db: Database, name: str, locality_code: int | None) -> dict[str, Message]:
    errors = {}
    if not (name or "").strip():
        errors["name"] = Message("error.required")
    if locality_code is not None and locality_code not in localities(db):
        errors["locality_code"] = Message("error.invalid_choice")
    return errors


def add_block(db: Database, actor: User, code: str, name: str, locality_code: int | None, kind: str = "block") -> None:
    policy.check(db, actor, "block.manage")
    code = (code or "").strip().upper()
    errors = _check_block_fields(db, name, locality_code)
    if not _BLOCK_CODE.fullmatch(code):
        errors["code"] = Message("error.block_code_format")
    if kind not in ("block", "bus"):
        errors["kind"] = Message("error.invalid_choice")
    if errors:
        raise ValidationError(errors)
    with write_transaction(db):
        if db["blocks"].count_where("code = ?", [code]):
            raise ValidationError({"code": Message("error.block_code_taken")})
        row = {"code": code, "name": name.strip(), "locality_code": locality_code, "kind": kind}
        db["blocks"].insert(row)
        audit.record(db, actor, "create", "block", code, new=row)


def update_block(db: Database, actor: User, code: str, *, name: str, locality_code: int | None, active: bool) -> None:
    """Rename, relocate, close (active=False) or reopen a block; nothing is deleted."""
    policy.check(db, actor, "block.manage")
    errors = _check_block_fields(db, name, locality_code)
    if errors:
        raise ValidationError(errors)
    with write_transaction(db):
        rows = list(db.query("SELECT name, locality_code, active FROM blocks WHERE code = ?", [code]))
        if not rows:
            raise NotFound("block")
        new = {"name": name.strip(), "locality_code": locality_code, "active": int(active)}
        old, new = audit.changed(rows[0], new)
        if new:
            db["blocks"].update(code, new)
            audit.record(db, actor, "update", "block", code, old=old, new=new)
