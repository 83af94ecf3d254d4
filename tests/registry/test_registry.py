import sqlite3

import pytest

from caremgmt.core import audit
from caremgmt.core.errors import DuplicateDocument, PermissionDenied, ProbableDuplicates, ValidationError
from caremgmt.registry import persons
from tests.factories import CONSENT, TODAY, caregiver_data, child_data


def count(db, table):
    return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def register(db, user, caregiver=None, dependents=None, consents=CONSENT, **kwargs):
    return persons.register_caregiver(
        db,
        user,
        caregiver or caregiver_data(),
        [child_data()] if dependents is None else dependents,
        consents,
        today=TODAY,
        **kwargs,
    )


def test_registers_caregiver_dependent_link_and_consents(db, frontdesk):
    person_id = register(db, frontdesk)
    person = persons.get_person(db, frontdesk, person_id)
    assert person["full_name"] == "María José Rodríguez Peña"
    assert person["is_caregiver"] == 1
    assert [(c["full_name"], c["care_need"]) for c in person["cares_for"]] == [
        ("Santiago Rodríguez Peña", "child_under_6")
    ]
    assert {c["purpose"] for c in person["consents"]} == {"registration", "reminders"}
    consent = person["consents"][0]
    assert consent["text_version"] and consent["given_at"]
    child = persons.get_person(db, frontdesk, person["cares_for"][0]["id"])
    assert child["cared_by"][0]["id"] == person_id
    assert child["home_block"] == "BOSA" and child["locality_code"] == 7


def test_missing_consent_saves_nothing(db, frontdesk):
    with pytest.raises(ValidationError) as info:
        register(db, frontdesk, consents={"registration": False, "reminders": True})
    assert info.value.errors["consent_registration"].key == "error.consent_required"
    assert count(db, "persons") == 0 and count(db, "consents") == 0


def test_invalid_dependent_saves_nothing(db, frontdesk):
    with pytest.raises(ValidationError) as info:
        register(db, frontdesk, dependents=[child_data(), child_data(first_names="", doc_number="1029384757")])
    assert list(info.value.errors) == ["dependents.1.first_names"]
    assert count(db, "persons") == 0


def test_failure_mid_registration_rolls_everything_back(db, frontdesk, monkeypatch):
    def broken_link(*args, **kwargs):
        raise sqlite3.OperationalError("disk I/O error")

    audit_before = count(db, "audit_log")
    monkeypatch.setattr(persons, "_link", broken_link)
    with pytest.raises(sqlite3.OperationalError):
        register(db, frontdesk)
    for table in ("persons", "consents", "care_links"):
        assert count(db, table) == 0, table
    assert count(db, "audit_log") == audit_before


def test_same_document_is_refused_and_shows_existing_person(db, frontdesk):
    first = register(db, frontdesk)
    with pytest.raises(DuplicateDocument) as info:
        register(db, frontdesk, caregiver_data(first_names="Otra", last_names="Persona", doc_number="1023456789"), [])
    assert info.value.person["id"] == first
    assert count(db, "persons") == 2


def test_database_refuses_a_duplicate_document_even_without_the_check(db, frontdesk):
    register(db, frontdesk)
    with pytest.raises(sqlite3.IntegrityError):
        db.execute(
            "INSERT INTO persons (doc_type, doc_number, first_names, last_names, search_name, birth_date,"
            " created_at, updated_at) VALUES ('CC', '1023456789', 'X', 'Y', 'x y', '1990-01-01', '', '')"
        )


def test_probable_duplicate_needs_confirmation_which_is_logged(db, frontdesk):
    first = register(db, frontdesk, dependents=[])
    similar = caregiver_data(doc_number="52111222", first_names="Maria Jose", last_names="Rodriguez Pena", phone="")
    with pytest.raises(ProbableDuplicates) as info:
        register(db, frontdesk, similar, [])
    [match] = info.value.matches
    assert match["id"] == first and match["reasons"] == ["name", "same_birth_date"]
    assert count(db, "persons") == 1
    second = register(db, frontdesk, similar, [], confirmed_new=True)
    logged = db.execute(
        "SELECT detail FROM audit_log WHERE action = 'duplicate_override' AND entity_id = ?", [str(second)]
    ).fetchone()
    assert logged == (f"different from: {first}",)


def test_one_person_cared_for_by_two_caregivers(db, frontdesk):
    mother = register(db, frontdesk)
    child_id = persons.get_person(db, frontdesk, mother)["cares_for"][0]["id"]
    grandmother = register(
        db,
        frontdesk,
        caregiver_data(
            doc_number="41222333", first_names="Rosa", last_names="Peña Díaz", birth_date="1960-02-02", phone=""
        ),
        [{"existing_person_id": child_id, "relationship": "grandchild", "care_need": "child_under_6"}],
    )
    child = persons.get_person(db, frontdesk, child_id)
    assert {c["id"] for c in child["cared_by"]} == {mother, grandmother}


def test_dependent_with_registered_document_is_reported_against_its_section(db, frontdesk):
    register(db, frontdesk)
    other = caregiver_data(
        doc_number="41222333", first_names="Rosa", last_names="Peña Díaz", birth_date="1960-02-02", phone=""
    )
    with pytest.raises(DuplicateDocument) as info:
        register(db, frontdesk, other, [child_data()])
    assert info.value.field == "dependents.0.doc_number"


def test_update_validates_and_audits_old_and_new_values(db, frontdesk):
    person_id = register(db, frontdesk, dependents=[])
    with pytest.raises(ValidationError):
        persons.update_person(db, frontdesk, person_id, {"phone": "12"}, today=TODAY)
    persons.update_person(db, frontdesk, person_id, {"phone": "310 555 1234", "stratum": 3}, today=TODAY)
    [entry] = [e for e in audit.person_history(db, person_id) if e["action"] == "update"]
    assert (entry["old_values"], entry["new_values"]) == (
        {"phone": "+573001234567", "stratum": 2},
        {"phone": "+573105551234", "stratum": 3},
    )
    # Stored sealed under her key: the log holds no phone number in clear.
    row = db.execute("SELECT old_values, new_values FROM audit_log WHERE action = 'update'").fetchone()
    assert all(v.startswith("sealed:") and "573" not in v for v in row)


def test_update_to_someone_elses_document_is_refused(db, frontdesk):
    first = register(db, frontdesk, dependents=[])
    second = register(
        db,
        frontdesk,
        caregiver_data(doc_number="41222333", first_names="Rosa", last_names="Díaz", phone=""),
        [],
    )
    with pytest.raises(DuplicateDocument) as info:
        persons.update_person(db, frontdesk, second, {"doc_number": "1023456789"}, today=TODAY)
    assert info.value.person["id"] == first


def test_renaming_keeps_search_in_step(db, frontdesk):
    from caremgmt.registry.search import search_persons

    person_id = register(db, frontdesk, dependents=[])
    persons.update_person(db, frontdesk, person_id, {"last_names": "Gutiérrez Ávila"}, today=TODAY)
    assert [r["id"] for r in search_persons(db, frontdesk, "avila maria").rows] == [person_id]
    assert search_persons(db, frontdesk, "rodriguez pena maria").rows == []


def test_withdrawing_consent_is_recorded_not_deleted(db, frontdesk):
    person_id = register(db, frontdesk, dependents=[])
    reminders = next(c for c in persons.get_person(db, frontdesk, person_id)["consents"] if c["purpose"] == "reminders")
    persons.withdraw_consent(db, frontdesk, reminders["id"])
    consents = persons.get_person(db, frontdesk, person_id)["consents"]
    assert [c["withdrawn_at"] is not None for c in consents if c["purpose"] == "reminders"] == [True]
    with pytest.raises(ValidationError):
        persons.withdraw_consent(db, frontdesk, reminders["id"])
    persons.give_consent(db, frontdesk, person_id, "reminders")
    assert sum(c["purpose"] == "reminders" for c in persons.get_person(db, frontdesk, person_id)["consents"]) == 2


def test_add_dependent_later(db, frontdesk):
    person_id = register(db, frontdesk, dependents=[])
    older = child_data(
        first_names="Eulalia",
        last_names="Peña",
        birth_date="1940-05-05",
        doc_type="CC",
        doc_number="20111222",
        relationship="parent",
        care_need="older_person",
    )
    cared_id = persons.add_dependent(db, frontdesk, person_id, older, today=TODAY)
    assert persons.get_person(db, frontdesk, cared_id)["cared_by"][0]["id"] == person_id


def test_evaluator_cannot_read_or_write_persons(db, frontdesk, evaluator):
    person_id = register(db, frontdesk)
    with pytest.raises(PermissionDenied):
        persons.get_person(db, evaluator, person_id)
    with pytest.raises(PermissionDenied):
        register(db, evaluator, caregiver_data(doc_number="99887766"), [])


def test_every_opening_of_a_file_is_audited(db, frontdesk, admin):
    person_id = register(db, frontdesk, dependents=[])
    persons.get_person(db, frontdesk, person_id)
    persons.get_person(db, frontdesk, person_id)  # opened again a minute later: a view of its own
    persons.get_person(db, admin, person_id)
    reads = db.execute("SELECT username FROM audit_log WHERE action = 'read' AND person_id = ?", [person_id]).fetchall()
    assert reads == [("recepcion",), ("recepcion",), ("admin",)]


def test_the_same_document_twice_in_one_form_is_refused(db, frontdesk):
    with pytest.raises(ValidationError) as info:
        register(db, frontdesk, dependents=[child_data(), child_data(first_names="Otra")])
    assert info.value.errors["dependents.1.doc_number"].key == "error.repeated_document"
    assert count(db, "persons") == 0


def test_becoming_a_caregiver_is_audited(db, frontdesk):
    mother = register(db, frontdesk)
    child = persons.get_person(db, frontdesk, mother)["cares_for"][0]["id"]
    older = child_data(
        first_names="Abuela",
        birth_date="1950-01-01",
        doc_type="CC",
        doc_number="20333444",
        relationship="parent",
        care_need="older_person",
    )
    persons.add_dependent(db, frontdesk, child, older, today=TODAY, confirmed_new=True)
    updates = [e for e in audit.person_history(db, child) if e["entity"] == "person" and e["action"] == "update"]
    assert [e["new_values"] for e in updates] == [{"is_caregiver": 1}]
