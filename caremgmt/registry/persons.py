"""The registry: caregivers, the people they care for, their links and consents.

Every change runs in one write transaction together with its audit entries,
so a failure part-way leaves nothing behind.
"""

from __future__ import annotations

import datetime as dt
import sqlite3

from sqlite_utils import Database

from caremgmt.core import audit, clock, policy, reference
from caremgmt.core.actor import User
from caremgmt.core.db import violated, write_transaction
from caremgmt.core.errors import DuplicateDocument, NotFound, ProbableDuplicates, ValidationError
from caremgmt.core.i18n import Message
from caremgmt.core.text import full_name_sql
from caremgmt.registry import consents, search, vocab
from caremgmt.registry.duplicates import probable_duplicates
from caremgmt.registry.search import SUMMARY_COLUMNS, person_summary
from caremgmt.registry.validation import validate_cared_person, validate_caregiver, validate_dependent

LINK_FIELDS = ("relationship", "care_need", "legal_representative")


def _context(db: Database) -> dict:
    return {
        "localities": set(reference.localities(db)),
        "blocks": {b["code"] for b in reference.blocks(db)},
    }


def find_by_document(db: Database, doc_type: str | None, doc_number: str | None) -> dict | None:
    if not doc_type or not doc_number:
        return None
    rows = list(
        db.query(
            f"SELECT {', '.join(SUMMARY_COLUMNS)} FROM persons WHERE doc_number = ? AND doc_type = ?",
            [doc_number, doc_type],
        )
    )
    return person_summary(rows[0]) if rows else None


def _validate_dependents(dependents: list[dict], today: dt.date) -> tuple[list[dict], dict[str, Message]]:
    cleaned, errors = [], {}
    for i, dependent in enumerate(dependents):
        if dependent.get("existing_person_id"):
            # Linking someone already registered: only the link is new.
            c = {k: dependent.get(k) for k in LINK_FIELDS}
            c["legal_representative"] = bool(c["legal_representative"])
            for field in ("relationship", "care_need"):
                options = vocab.RELATIONSHIPS if field == "relationship" else vocab.CARE_NEEDS
                if c[field] not in options:
                    errors[f"dependents.{i}.{field}"] = Message("error.required")
            cleaned.append({**c, "existing_person_id": int(dependent["existing_person_id"])})
            continue
        try:
            cleaned.append(validate_dependent(dependent, today, prefix=f"dependents.{i}."))
        except ValidationError as e:
            errors.update(e.errors)
            cleaned.append({})
    return cleaned, errors


def _check_new_people(
    db: Database, caregiver: dict | None, dependents: list[dict], confirmed_new: bool, exclude: tuple[int, ...] = ()
) -> list[dict]:
    """Raise on a registered document; return probable duplicates (or raise them)."""
    people = ([("", caregiver)] if caregiver else []) + [
        (f"dependents.{i}", d) for i, d in enumerate(dependents) if not d.get("existing_person_id")
    ]
    matches = []
    for field, person in people:
        existing = find_by_document(db, person.get("doc_type"), person.get("doc_number"))
        if existing:
            raise DuplicateDocument(existing, field=f"{field}.doc_number" if field else "doc_number")
        for match in probable_duplicates(
            db, person["first_names"], person["last_names"], person["birth_date"], person.get("phone"), exclude
        ):
            matches.append({**match, "field": field})
    if matches and not confirmed_new:
        raise ProbableDuplicates(matches)
    return matches


def _insert_person(db: Database, actor: User, data: dict, *, is_caregiver: bool) -> int:
    now = clock.now_iso()
    search_name = search.search_name(data["first_names"], data["last_names"])
    row = {
        **{k: v for k, v in data.items() if k not in LINK_FIELDS and k != "existing_person_id"},
        "search_name": search_name,
        "is_caregiver": int(is_caregiver),
        "created_at": now,
        "created_by": actor.id,
        "updated_at": now,
    }
    try:
        person_id = db["persons"].insert(row).last_pk
    except sqlite3.IntegrityError as e:
        if violated(e, "persons_document"):
            existing = find_by_document(db, data.get("doc_type"), data.get("doc_number"))
            if existing:
                raise DuplicateDocument(existing) from None
        raise
    audit.record(db, actor, "create", "person", person_id, person_id=person_id, new=data)
    return person_id


def _link(
    db: Database,
    actor: User,
    caregiver_id: int,
    cared_id: int,
    relationship: str,
    care_need: str,
    legal_representative: bool = False,
) -> None:
    if db["care_links"].count_where("caregiver_id = ? AND cared_id = ?", [caregiver_id, cared_id]):
        raise ValidationError({"link": Message("error.already_linked")})
    link = {
        "caregiver_id": caregiver_id,
        "cared_id": cared_id,
        "relationship": relationship,
        "care_need": care_need,
        # She consents for the person cared for (research use included) only when recorded as such.
        "legal_representative": int(legal_representative),
        "since": clock.today().isoformat(),
    }
    db["care_links"].insert(link)
    for person_id in (caregiver_id, cared_id):
        audit.record(db, actor, "create", "care_link", f"{caregiver_id}->{cared_id}", person_id=person_id, new=link)


def _give_consent(db: Database, actor: User, person_id: int, purpose: str) -> None:
    consent = {
        "person_id": person_id,
        "purpose": purpose,
        "text_version": vocab.CONSENT_TEXT_VERSION,
        "given_at": clock.now_iso(),
        "recorded_by": actor.id,
    }
    consent_id = db["consents"].insert(consent).last_pk
    audit.record(db, actor, "create", "consent", consent_id, person_id=person_id, new=consent)


def _add_dependents(db: Database, actor: User, caregiver_id: int, dependents: list[dict]) -> list[int]:
    ids = []
    for dependent in dependents:
        cared_id = dependent.get("existing_person_id")
        if cared_id is None:
            cared_id = _insert_person(db, actor, dependent, is_caregiver=False)
        elif not db["persons"].count_where("id = ?", [cared_id]):
            raise NotFound("person")
        _link(
            db,
            actor,
            caregiver_id,
            cared_id,
            dependent["relationship"],
            dependent["care_need"],
            bool(dependent.get("legal_representative")),
        )
        ids.append(cared_id)
    return ids


def _log_override(db: Database, actor: User, person_id: int, matches: list[dict]) -> None:
    audit.record(
        db,
        actor,
        "duplicate_override",
        "person",
        person_id,
        person_id=person_id,
        detail="different from: " + ", ".join(str(m["id"]) for m in matches),
    )


def registration_defaults(db: Database, actor: User) -> dict:
    """What a new caregiver's record starts with at ``actor``'s desk: a citizenship
    card, the front desk as channel, and the desk's own block as her home block with
    the block's locality (blocks are sited a short walk from the people they serve).
    A desk with no (open) block leaves those two empty."""
    policy.check(db, actor, "person.write")
    defaults = {"doc_type": "CC", "registration_channel": "front_desk"}
    block = next((b for b in reference.blocks(db) if b["code"] == actor.block_code), None)
    if block is not None:
        defaults["home_block"] = block["code"]
        if block["locality_code"] is not None:
            defaults["locality_code"] = block["locality_code"]
    return defaults


def register_caregiver(
    db: Database,
    actor: User,
    caregiver: dict,
    dependents: list[dict] | None = None,
    consents: dict[str, bool] | None = None,
    *,
    confirmed_new: bool = False,
    today: dt.date | None = None,
) -> int:
    """Register a caregiver with the people she cares for and her consents.

    Raises ValidationError (every invalid field, including missing consent to
    registration), DuplicateDocument (the form should show that person) or
    ProbableDuplicates (unless ``confirmed_new``: staff said "a different
    person", which is audited). All or nothing: one transaction.
    """
    policy.check(db, actor, "person.write")
    today = today or clock.today()
    consents = consents or {}
    dependents = dependents or []
    errors: dict[str, Message] = {}
    try:
        clean = validate_caregiver(caregiver, today, **_context(db))
    except ValidationError as e:
        errors.update(e.errors)
        clean = {}
    clean_dependents, dependent_errors = _validate_dependents(dependents, today)
    errors.update(dependent_errors)
    if not consents.get("registration"):
        errors["consent_registration"] = Message("error.consent_required")
    seen = {(clean.get("doc_type"), clean.get("doc_number"))} if clean.get("doc_number") else set()
    for i, dependent in enumerate(clean_dependents):
        document = (dependent.get("doc_type"), dependent.get("doc_number"))
        if dependent.get("doc_number") and document in seen:
            errors[f"dependents.{i}.doc_number"] = Message("error.repeated_document")
        seen.add(document)
    if errors:
        raise ValidationError(errors)
    for dependent in clean_dependents:
        dependent.setdefault("locality_code", clean["locality_code"])
        dependent.setdefault("home_block", clean["home_block"])
    with write_transaction(db):
        matches = _check_new_people(db, clean, clean_dependents, confirmed_new)
        person_id = _insert_person(db, actor, clean, is_caregiver=True)
        for purpose in vocab.CONSENT_PURPOSES:
            if consents.get(purpose):
                _give_consent(db, actor, person_id, purpose)
        _add_dependents(db, actor, person_id, clean_dependents)
        if matches:
            _log_override(db, actor, person_id, matches)
    return person_id


def add_dependent(
    db: Database,
    actor: User,
    caregiver_id: int,
    dependent: dict,
    *,
    confirmed_new: bool = False,
    today: dt.date | None = None,
) -> int:
    """Add a person cared for by ``caregiver_id``: new, or existing via ``existing_person_id``."""
    policy.check(db, actor, "person.write")
    caregiver = _get_row(db, caregiver_id)
    [clean], errors = _validate_dependents([dependent], today or clock.today())
    if errors:
        raise ValidationError(errors)
    clean.setdefault("locality_code", caregiver["locality_code"])
    clean.setdefault("home_block", caregiver["home_block"])
    with write_transaction(db):
        matches = _check_new_people(db, None, [clean], confirmed_new, exclude=(caregiver_id,))
        [cared_id] = _add_dependents(db, actor, caregiver_id, [clean])
        if not caregiver["is_caregiver"]:
            db.execute("UPDATE persons SET is_caregiver = 1 WHERE id = ?", [caregiver_id])
            audit.record(
                db,
                actor,
                "update",
                "person",
                caregiver_id,
                person_id=caregiver_id,
                old={"is_caregiver": 0},
                new={"is_caregiver": 1},
            )
        if matches:
            _log_override(db, actor, cared_id, matches)
    return cared_id


def _get_row(db: Database, person_id: int) -> dict:
    rows = list(db.query("SELECT * FROM persons WHERE id = ?", [person_id]))
    if not rows:
        raise NotFound("person")
    return rows[0]


def get_person(db: Database, actor: User, person_id: int) -> dict:
    """A person's file: details, links both ways, consents. The opening is audited."""
    policy.check(db, actor, "person.read")
    person = person_summary(_get_row(db, person_id))
    person["registration_withdrawn_on"] = consents.registration_withdrawn_on(db, person_id)
    audit.record_opening(db, actor, "person", person_id, person_id)
    person["cares_for"] = list(
        db.query(
            f"SELECT p.id, {full_name_sql('p')} AS full_name, p.birth_date, p.doc_type,"
            " p.doc_number, l.relationship, l.care_need, l.legal_representative, l.since FROM care_links l"
            " JOIN persons p ON p.id = l.cared_id WHERE l.caregiver_id = ? ORDER BY p.birth_date",
            [person_id],
        )
    )
    person["cared_by"] = list(
        db.query(
            f"SELECT p.id, {full_name_sql('p')} AS full_name, p.birth_date, p.doc_type,"
            " p.doc_number, p.phone, l.relationship, l.care_need, l.legal_representative, l.since FROM care_links l"
            " JOIN persons p ON p.id = l.caregiver_id WHERE l.cared_id = ? ORDER BY p.last_names",
            [person_id],
        )
    )
    person["consents"] = list(
        db.query(
            "SELECT id, purpose, text_version, given_at, withdrawn_at FROM consents"
            " WHERE person_id = ? ORDER BY given_at DESC, id DESC",
            [person_id],
        )
    )
    return person


def person_history(db: Database, actor: User, person_id: int) -> list[dict]:
    """What was done with a person's records, newest first; entries about a
    confidential note only for those who may read the note. Reading the audit
    log is itself audited."""
    policy.check(db, actor, "person.read")
    entries = audit.person_history(db, person_id, sees_note=lambda note: policy.may_read_note(actor, **note))
    audit.record_opening(db, actor, "history", person_id, person_id)
    return entries


EDITABLE_FIELDS = (
    "doc_type",
    "doc_number",
    "first_names",
    "last_names",
    "birth_date",
    "sex",
    "gender_identity",
    "phone",
    "locality_code",
    "neighbourhood",
    "stratum",
    "ethnicity",
    "disability",
    "migrant_status",
    "education_level",
    "care_hours_per_day",
    "registration_channel",
    "home_block",
)


def update_person(db: Database, actor: User, person_id: int, data: dict, today: dt.date | None = None) -> None:
    """Edit a person with the same validation as registration; old and new values are audited."""
    policy.check(db, actor, "person.write")
    today = today or clock.today()
    context = _context(db)
    with write_transaction(db):
        # Read, compare and write under one lock: a concurrent edit is not lost
        # and the audit's old values are the ones really replaced.
        current = _get_row(db, person_id)
        merged = {**{k: current[k] for k in EDITABLE_FIELDS}, **data}
        if current["is_caregiver"]:
            clean = validate_caregiver(merged, today, **context)
        else:
            clean = validate_cared_person(merged, today)
        old, new = audit.changed(current, clean)
        if not new:
            return
        existing = find_by_document(db, clean.get("doc_type"), clean.get("doc_number"))
        if existing and existing["id"] != person_id:
            raise DuplicateDocument(existing)
        if "first_names" in new or "last_names" in new:
            new["search_name"] = search.search_name(clean["first_names"], clean["last_names"])
        db["persons"].update(person_id, {**new, "updated_at": clock.now_iso()})
        new.pop("search_name", None)
        audit.record(db, actor, "update", "person", person_id, person_id=person_id, old=old, new=new)


def give_consent(db: Database, actor: User, person_id: int, purpose: str) -> None:
    policy.check(db, actor, "person.write")
    if purpose not in vocab.CONSENT_PURPOSES:
        raise ValidationError({"purpose": Message("error.invalid_choice")})
    _get_row(db, person_id)
    with write_transaction(db):
        active = db["consents"].count_where(
            "person_id = ? AND purpose = ? AND withdrawn_at IS NULL", [person_id, purpose]
        )
        if active:
            raise ValidationError({"purpose": Message("error.consent_already_given")})
        _give_consent(db, actor, person_id, purpose)


def withdraw_consent(db: Database, actor: User, consent_id: int) -> None:
    """Record the withdrawal; the consent row itself is kept as evidence."""
    policy.check(db, actor, "person.write")
    with write_transaction(db):
        rows = list(db.query("SELECT * FROM consents WHERE id = ?", [consent_id]))
        if not rows:
            raise NotFound("consent")
        if rows[0]["withdrawn_at"]:
            raise ValidationError({"consent": Message("error.consent_already_withdrawn")})
        now = clock.now_iso()
        db.execute("UPDATE consents SET withdrawn_at = ?, withdrawn_by = ? WHERE id = ?", [now, actor.id, consent_id])
        audit.record(
            db,
            actor,
            "withdraw",
            "consent",
            consent_id,
            person_id=rows[0]["person_id"],
            old={"withdrawn_at": None},
            new={"withdrawn_at": now, "purpose": rows[0]["purpose"]},
        )
