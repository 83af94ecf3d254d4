"""Correction and erasure (Ley 1581): old values sealed under the person's own
key, and an erasure, asked by one administrator and confirmed by another,
after which no identifier of hers is anywhere in the database's files while
every impact figure stays as it was."""

import datetime as dt
from pathlib import Path

import pytest

from caremgmt.casework import cases, referrals
from caremgmt.core import audit, auth, personal_keys
from caremgmt.core.db import db_path
from caremgmt.core.errors import NotFound, PermissionDenied, ValidationError
from caremgmt.impact import metrics
from caremgmt.registry import persons, rights
from tests.factories import TODAY, with_second_factor

JANUARY = metrics.Filters(dt.date(2026, 1, 1), dt.date(2026, 1, 31))


@pytest.fixture
def second_admin(db, admin):
    user = auth.create_user(db, admin, "directora", "otra-clave-muy-larga-7", "admin")
    return with_second_factor(db, user)


@pytest.fixture
def bea(db, admin, frontdesk, january):
    """Bea with a history worth erasing: two corrections, a closed case whose note
    and referral name her, and the January figures she counts in."""
    bea = january["bea"]
    persons.update_person(db, admin, bea, {"phone": "313 777 8899", "neighbourhood": "Tintalito Norte"}, today=TODAY)
    persons.update_person(db, admin, bea, {"phone": "314 666 5544"}, today=TODAY)
    case = cases.open_case(db, admin, bea)
    cases.add_note(db, admin, case, "Beatriz Suárez contó que vive sola en Tintalito Norte.")
    institution = db.execute("SELECT id FROM institutions LIMIT 1").fetchone()[0]
    referrals.make_referral(db, admin, case, reason="Beatriz Suárez Ríos necesita asesoría", institution_id=institution)
    cases.close_case(db, admin, case, "Beatriz se mudó")
    return bea


IDENTIFIERS = (
    "Beatriz",
    "Suárez",
    "beatriz",
    "suarez",
    "41555666",
    "3137778899",
    "313 777",
    "3146665544",
    "Tintalito",
    "tintalito",
)


def file_bytes() -> bytes:
    path = Path(db_path())
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def found(identifiers=IDENTIFIERS) -> list[str]:
    content = file_bytes()
    return [i for i in identifiers if i.encode() in content]


def test_a_correction_keeps_the_old_value_readable_only_under_her_key(db, admin, bea):
    corrections = [e for e in audit.person_history(db, bea) if e["action"] == "update"]
    assert {"phone": "+573137778899"} in [e["old_values"] for e in corrections]
    raw = [v for row in db.execute("SELECT old_values, new_values FROM audit_log") for v in row if v]
    assert not [v for v in raw if "313777" in v or "Tintalito" in v]
    personal_keys.destroy(db, bea)
    assert all(e["old_values"] in (None, personal_keys.SHREDDED) for e in audit.person_history(db, bea))


def test_an_erasure_leaves_no_identifier_in_the_files_and_every_figure_unchanged(db, admin, second_admin, bea):
    before = metrics.overview(db, JANUARY)
    entries = db.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert found()  # the test would notice: they are there before
    request = rights.request_erasure(db, admin, bea, "Lo pidió por escrito (Beatriz Suárez)")
    with pytest.raises(ValidationError) as refused:
        rights.confirm_erasure(db, admin, request)  # not by the one who asked
    assert refused.value.errors["confirm"].key == "error.erasure_same_user"
    rights.confirm_erasure(db, second_admin, request)
    assert found() == []
    assert metrics.overview(db, JANUARY) == before
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert db.execute("SELECT count(*) FROM audit_log").fetchone()[0] > entries
    person = persons.get_person(db, admin, bea)
    assert (person["doc_number"], person["full_name"]) == (None, "Persona Anonimizada")
    assert db.execute("SELECT body FROM case_notes").fetchone() == (rights.ERASED_TEXT,)
    with pytest.raises(ValidationError):
        rights.request_erasure(db, admin, bea, "otra vez")  # once is for good
    with pytest.raises(NotFound):
        rights.confirm_erasure(db, second_admin, request)


def test_an_open_case_must_be_closed_first_and_only_admins_erase(db, admin, frontdesk, january):
    cases.open_case(db, admin, january["ana"])
    with pytest.raises(ValidationError) as refused:
        rights.request_erasure(db, admin, january["ana"], "Lo pidió")
    assert refused.value.errors["person"].key == "error.erasure_open_case"
    with pytest.raises(PermissionDenied):
        rights.request_erasure(db, frontdesk, january["bea"], "Lo pidió")
    with pytest.raises(ValidationError) as refused:
        rights.request_erasure(db, admin, january["bea"], "  ")
    assert "reason" in refused.value.errors
    assert db.execute("SELECT count(*) FROM erasure_requests").fetchone()[0] == 0
