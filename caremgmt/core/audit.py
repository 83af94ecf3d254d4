"""Append-only audit log of every write and of every opening of a person's file.

Triggers in the schema refuse UPDATE and DELETE on audit_log, so the log
cannot be rewritten through this code or any other. The old and new values
of an entry about a person are sealed under her own key
(caremgmt.core.personal_keys): the log keeps that a field changed and by whom
for ever, her values only until her key is destroyed.
"""

from __future__ import annotations

import json

from sqlite_utils import Database

from caremgmt.core.actor import User
from caremgmt.core.clock import now_iso
from caremgmt.core.db import write_transaction
from caremgmt.core.personal_keys import seal, unseal


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
            *((_json(v) for v in (old, new)) if person_id is None else (seal(db, person_id, v) for v in (old, new))),
            detail,
        ],
    )


def record_opening(db: Database, actor: User, entity: str, entity_id: object, person_id: int) -> None:
    """Audit an opening of a person's file or notes: every page view that shows
    them is one entry (a rerun is a view too: who saw it, and when, is the point)."""
    with write_transaction(db):
        record(db, actor, "read", entity, entity_id, person_id=person_id)


# A list of people a read showed names at most this many of their ids in its entry.
READ_IDS = 200


def record_read(
    db: Database,
    actor: User,
    entity: str,
    person_ids: list[int],
    entity_id: object = None,
    *,
    detail: dict | None = None,
) -> None:
    """Audit one view of a list of people (search results, a roster, a queue, a
    caseload): who, what kind of list, how many persons and their ids; never the
    data shown. One small insert per view."""
    ids = list(dict.fromkeys(int(i) for i in person_ids))
    shown = {"persons": len(ids), "ids": ids[:READ_IDS], **(detail or {})}
    with write_transaction(db):
        record(db, actor, "read", entity, entity_id, detail=_json(shown))


def changed(old: dict, new: dict) -> tuple[dict, dict]:
    """Only the fields that differ, as (old values, new values)."""
    keys = [k for k in new if old.get(k) != new[k]]
    return {k: old.get(k) for k in keys}, {k: new[k] for k in keys}


def person_history(db: Database, person_id: int, limit: int = 50, *, sees_note=None) -> list[dict]:
    """Newest-first audit entries about one person. ``sees_note(note)`` (a dict
    with block_code, author_id, case_worker_id) says whether the reader may read a
    confidential note: the entries of one she may not (who wrote it, when, who
    corrected it) are left out, as the note itself is."""
    rows = db.query(
        "SELECT a.at, a.username, a.action, a.entity, a.entity_id, a.old_values, a.new_values, a.detail,"
        " n.confidential, n.author_id, c.case_worker_id, c.block_code"
        " FROM audit_log a LEFT JOIN case_notes n ON a.entity = 'note' AND n.id = CAST(a.entity_id AS INTEGER)"
        " LEFT JOIN cases c ON c.id = n.case_id WHERE a.person_id = ? ORDER BY a.id DESC LIMIT ?",
        [person_id, limit],
    )
    out = []
    for row in rows:
        confidential = row.pop("confidential")
        note = {k: row.pop(k) for k in ("author_id", "case_worker_id", "block_code")}
        if confidential and (sees_note is None or not sees_note(note)):
            continue
        out.append(
            {
                **row,
                "old_values": unseal(db, person_id, row["old_values"]),
                "new_values": unseal(db, person_id, row["new_values"]),
            }
        )
    return out
