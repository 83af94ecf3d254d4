"""Append-only audit log of every write and of every opening of a person's file.

Triggers in the schema refuse UPDATE and DELETE on audit_log, so the log
cannot be rewritten through this code or any other.
"""

from __future__ import annotations

import datetime as dt
import json

from sqlite_utils import Database

from caremgmt.core.actor import User
from caremgmt.core.clock import now_iso
from caremgmt.core.db import write_transaction


def _json(values: dict | None) -> str | None:
    return None if values is None else json.dumps(values, ensure_ascii=False, sort_keys=True, default=str)


def record(
    db: Database,
    actor: User | None,
    action: str,
    entity: str,
    entity_id: object = None,
    *,
    person_id: int | None = None,
    old: dict | None = None,
    new: dict | None = None,
    detail: str | None = None,
) -> None:
    """Append one entry; call inside the transaction of the write it records."""
    db.execute(
        "INSERT INTO audit_log (at, user_id, username, action, entity, entity_id, person_id,"
        " old_values, new_values, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            now_iso(),
            actor.id if actor else None,
            actor.username if actor else "system",
            action,
            entity,
            None if entity_id is None else str(entity_id),
            person_id,
            _json(old),
            _json(new),
            detail,
        ],
    )


def record_opening(
    db: Database,
    actor: User,
    entity: str,
    entity_id: object,
    person_id: int,
    window: dt.timedelta = dt.timedelta(minutes=5),
) -> None:
    """Audit an opening of a person's file or notes. Reopening the same thing
    within ``window`` counts as the same opening, so reruns do not flood the log."""
    since = (dt.datetime.now(dt.UTC) - window).isoformat(timespec="seconds")
    recent = db.execute(
        "SELECT 1 FROM audit_log WHERE person_id = ? AND action = 'read' AND entity = ? AND entity_id IS ?"
        " AND user_id IS ? AND at >= ? LIMIT 1",
        [person_id, entity, None if entity_id is None else str(entity_id), actor.id, since],
    ).fetchone()
    if not recent:
        with write_transaction(db):
            record(db, actor, "read", entity, entity_id, person_id=person_id)


def changed(old: dict, new: dict) -> tuple[dict, dict]:
    """Only the fields that differ, as (old values, new values)."""
    keys = [k for k in new if old.get(k) != new[k]]
    return {k: old.get(k) for k in keys}, {k: new[k] for k in keys}


def person_history(db: Database, person_id: int, limit: int = 50) -> list[dict]:
    """Newest-first audit entries about one person."""
    rows = db.query(
        "SELECT at, username, action, entity, entity_id, old_values, new_values, detail"
        " FROM audit_log WHERE person_id = ? ORDER BY id DESC LIMIT ?",
        [person_id, limit],
    )
    return [
        {
            **row,
            "old_values": json.loads(row["old_values"] or "null"),
            "new_values": json.loads(row["new_values"] or "null"),
        }
        for row in rows
    ]
