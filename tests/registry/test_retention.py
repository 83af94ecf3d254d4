"""Retention: the rules say what goes and when; a dry run writes nothing, a run
does exactly what the dry run said, and a second run has nothing left to do."""

import datetime as dt

import pytest

from caremgmt.casework import cases
from caremgmt.core import audit, personal_keys
from caremgmt.core.errors import PermissionDenied, ValidationError
from caremgmt.registry import persons, retention, rights
from tests.factories import RESEARCH_CONSENT, TODAY, caregiver_data
from tests.factories import cli as run_cli
from tests.pages.apptest import click, open_page, texts

LATER = dt.datetime(2032, 3, 1, 9, 0)  # six years after January 2026


@pytest.fixture
def world(db, admin, frontdesk, january, clock_at):
    case = cases.open_case(db, admin, january["bea"])
    cases.add_note(db, admin, case, "Beatriz contó algo privado.")
    cases.close_case(db, admin, case, "Terminó")
    clock_at(dt.datetime(2026, 2, 1, 9, 0))
    self_registered = persons.register_caregiver(
        db,
        frontdesk,
        caregiver_data(
            doc_number="61234567",
            first_names="Flor",
            last_names="Prerregistro Nunca",
            phone="",
            registration_channel="self_preregistration",
        ),
        [],
        RESEARCH_CONSENT,
        today=TODAY,
    )
    # Ana stays active: a case of hers is still open.
    cases.open_case(db, admin, january["ana"])
    return {**january, "flor": self_registered, "case": case}


def test_a_dry_run_writes_nothing_and_a_run_does_what_it_said(db, admin, world, clock_at):
    clock_at(LATER)
    retention.set_rules(db, admin, {**retention.rules(db), "audit_values_years": 1})
    changes = db.conn.total_changes
    planned = retention.plan(db)
    assert db.conn.total_changes == changes
    assert planned["inactive_persons_years"] == sorted([world["bea"], world["leo"], world["flor"]])
    assert planned["unverified_days"] == [world["flor"]]
    assert planned["closed_case_notes_years"] == [world["case"]]
    assert planned["audit_values_years"] == ["2026"]
    counts = retention.apply(db, admin)
    assert counts == {rule: len(found) for rule, found in planned.items()}
    assert (
        persons.get_person(db, admin, world["bea"])["full_name"]
        == rights.ERASED_FIRST_NAMES + " " + rights.ERASED_LAST_NAMES
    )
    assert persons.get_person(db, admin, world["ana"])["full_name"] != "Persona Anonimizada"  # her case is open
    assert db.execute("SELECT body FROM case_notes WHERE case_id = ?", [world["case"]]).fetchone() == (
        rights.ERASED_TEXT,
    )
    assert db.execute("SELECT count(*) FROM person_keys WHERE year < '2031'").fetchone()[0] == 0
    history = audit.person_history(db, world["ana"])
    assert personal_keys.SHREDDED in [e["new_values"] for e in history]  # her 2026 values: unreadable now
    assert retention.last_run(db)["counts"] == counts
    assert retention.apply(db, admin) == dict.fromkeys(counts, 0)


def test_nothing_is_due_before_its_time_and_rules_are_checked(db, admin, frontdesk, world, clock_at):
    clock_at(dt.datetime(2026, 3, 1, 9, 0))
    assert {rule: len(found) for rule, found in retention.plan(db).items()} == dict.fromkeys(retention.RULES, 0)
    with pytest.raises(ValidationError) as refused:
        retention.set_rules(db, admin, {**retention.rules(db), "unverified_days": 1})
    assert refused.value.errors["unverified_days"].key == "error.out_of_range"
    with pytest.raises(PermissionDenied):
        retention.apply(db, frontdesk)


def test_the_command_shows_then_applies(db_file, db, admin, world):
    shown = run_cli(db_file, "retention")
    assert shown.returncode == 0, shown.stderr
    assert "nothing written" in shown.stdout and "inactive_persons_years (5): 0" in shown.stdout
    assert retention.last_run(db) is None
    applied = run_cli(db_file, "retention", "--apply")
    assert applied.returncode == 0 and "applied:" in applied.stdout
    assert retention.last_run(db)["by"] == "system"


def test_the_admin_page_shows_and_edits_the_rules(db, admin, world):
    at = open_page(admin, "pages/admin/retention.py")
    assert "Nunca se ha ejecutado." in texts(at)
    at.number_input[0].set_value(7)
    click(at, "Guardar las reglas")
    assert "Reglas guardadas." in texts(at)
    assert retention.rules(db)["inactive_persons_years"] == 7
