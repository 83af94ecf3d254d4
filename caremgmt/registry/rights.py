"""The right to erasure (Ley 1581 de 2012, "supresión"): anonymising a person
on her request, asked by one administrator and confirmed by another.

Anonymising removes every direct identifier (names, document, phone,
neighbourhood) and the free text that may name her (her cases' notes and
descriptions, referral reasons, outcome details), takes her name out of
every search structure, and destroys her key, so that the old values the
audit log sealed under it (caremgmt.core.personal_keys) can never be read
again. What the figures count stays: her attributes (birth date, sex,
places, stratum, ethnicity, disability, migrant status), her bookings and
attendance, her outcomes, so every published count is unchanged. It runs
with PRAGMA secure_delete on (the replaced bytes are zeroed, not left in
free pages), rebuilds the full-text index (its old segments held her name),
and checkpoints the WAL, so that her identifiers are nowhere in the files.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlite_utils import Database

from caremgmt.core import audit, clock, personal_keys, policy
from caremgmt.core.actor import User
from caremgmt.core.db import write_transaction
from caremgmt.core.errors import NotFound, ValidationError
from caremgmt.core.i18n import Message
from caremgmt.registry import search

ERASED_FIRST_NAMES = "Persona"
ERASED_LAST_NAMES = "Anonimizada"
ERASED_TEXT = "[suprimido]"
# Free text about her that the law's erasure reaches: (table, column, which rows are hers).
_HER_TEXT = (
    ("case_notes", "body", "case_id IN (SELECT id FROM cases WHERE person_id = :p)"),
    ("cases", "close_reason", "person_id = :p AND close_reason IS NOT NULL"),
    ("case_goals", "description", "case_id IN (SELECT id FROM cases WHERE person_id = :p)"),
    ("tasks", "description", "case_id IN (SELECT id FROM cases WHERE person_id = :p)"),
    ("referrals", "reason", "person_id = :p"),
    ("outcomes", "evidence", "person_id = :p AND evidence IS NOT NULL"),
    ("outcomes", "description", "person_id = :p AND description IS NOT NULL"),
)
# Append-only by trigger (case notes are never edited): lifted for erasure alone, inside its transaction.
_GUARDS = ("case_notes_no_update",)


def pending(db: Database, actor: User) -> list[dict]:
    """Erasures asked and not yet confirmed, oldest first."""
    policy.check(db, actor, "person.erase")
    return list(
        db.query(
            "SELECT r.id, r.person_id, r.reason, r.requested_at, u.username AS requested_by,"
            " r.requested_by AS requester_id FROM erasure_requests r JOIN users u ON u.id = r.requested_by"
            " WHERE r.confirmed_at IS NULL ORDER BY r.id"
        )
    )


def _refusal(db: Database, person_id: int) -> dict | None:
    row = db.execute("SELECT erased_at FROM persons WHERE id = ?", [person_id]).fetchone()
    if row is None:
        raise NotFound("person")
    if row[0]:
        return {"person": Message("error.already_erased")}
    if db["cases"].count_where("person_id = ? AND status = 'open'", [person_id]):
        return {"person": Message("error.erasure_open_case")}
    return None


def request_erasure(db: Database, actor: User, person_id: int, reason: str) -> int:
    """An administrator asks to anonymise a person; another must confirm."""
    policy.check(db, actor, "person.erase")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": Message("error.required")})
    with write_transaction(db):
        refusal = _refusal(db, person_id)
        if refusal:
            raise ValidationError(refusal)
        if db["erasure_requests"].count_where("person_id = ? AND confirmed_at IS NULL", [person_id]):
            raise ValidationError({"person": Message("error.erasure_pending")})
        request_id = (
            db["erasure_requests"]
            .insert(
                {
                    "person_id": person_id,
                    "reason": reason,
                    "requested_by": actor.id,
                    "requested_at": clock.now_iso(),
                }
            )
            .last_pk
        )
        # Sealed under her key like any value about her: the reason may name her.
        audit.record(db, actor, "erasure_request", "person", person_id, person_id=person_id, new={"reason": reason})
    return request_id


def confirm_erasure(db: Database, actor: User, request_id: int) -> None:
    """A second administrator confirms: the person is anonymised, for good."""
    policy.check(db, actor, "person.erase")
    rows = list(db.query("SELECT * FROM erasure_requests WHERE id = ? AND confirmed_at IS NULL", [request_id]))
    if not rows:
        raise NotFound("erasure_request")
    request = rows[0]
    if request["requested_by"] == actor.id:
        raise ValidationError({"confirm": Message("error.erasure_same_user")})
    _anonymise(db, actor, request["person_id"], request_id)


@contextmanager
def erasing(db: Database) -> Iterator[None]:
    """One write transaction that erases for good: freed bytes zeroed (PRAGMA
    secure_delete), the append-only guards of case notes lifted inside it
    alone, and afterwards the write-ahead log folded in and emptied (it still
    holds the pages as they were)."""
    db.execute("PRAGMA secure_delete = ON")
    try:
        with write_transaction(db):
            guards = [db.execute("SELECT sql FROM sqlite_master WHERE name = ?", [g]).fetchone()[0] for g in _GUARDS]
            for name in _GUARDS:
                db.execute(f"DROP TRIGGER {name}")
            yield
            for sql in guards:
                db.execute(sql)
    finally:
        db.execute("PRAGMA secure_delete = OFF")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def anonymise(db: Database, actor: User | None, person_ids: list[int], why: str) -> None:
    """Anonymise ``person_ids`` inside ``erasing``; the caller has checked who
    may, and that none has an open case."""
    now = clock.now_iso()
    words = set()
    for person_id in person_ids:
        (name,) = db.execute("SELECT search_name FROM persons WHERE id = ?", [person_id]).fetchone()
        words |= set(name.split())
        db.execute(
            "UPDATE persons SET first_names = ?, last_names = ?, search_name = ?, doc_type = NULL,"
            " doc_number = NULL, phone = NULL, neighbourhood = NULL, updated_at = ?, erased_at = ? WHERE id = ?",
            [
                ERASED_FIRST_NAMES,
                ERASED_LAST_NAMES,
                search.search_name(ERASED_FIRST_NAMES, ERASED_LAST_NAMES),
                now,
                now,
                person_id,
            ],
        )
        for table, column, hers in _HER_TEXT:
            db.execute(f"UPDATE {table} SET {column} = :text WHERE {hers}", {"p": person_id, "text": ERASED_TEXT})
        personal_keys.destroy(db, person_id)
        audit.record(db, actor, "erase", "person", person_id, detail=why)
    if person_ids:
        # Their words leave the full-text index (its old segments too) and the typo dictionary.
        db.execute("INSERT INTO persons_fts(persons_fts) VALUES ('optimize')")
        for word in words:
            if not db.execute("SELECT 1 FROM persons_fts_vocab WHERE term = ?", [word]).fetchone():
                db.execute("DELETE FROM name_terms WHERE term = ?", [word])
                db.execute("DELETE FROM name_term_deletions WHERE term = ?", [word])


def _anonymise(db: Database, actor: User, person_id: int, request_id: int) -> None:
    with erasing(db):
        refusal = _refusal(db, person_id)
        if refusal:
            raise ValidationError(refusal)
        anonymise(db, actor, [person_id], f"request {request_id}")
        db.execute(
            "UPDATE erasure_requests SET confirmed_by = ?, confirmed_at = ?, reason = ? WHERE id = ?",
            [actor.id, clock.now_iso(), ERASED_TEXT, request_id],
        )
