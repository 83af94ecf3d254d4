"""Page tests for the case page, referrals, the caseload and outcomes."""

import datetime as dt

import pytest

from caremgmt.casework import cases, referrals
from caremgmt.core import auth
from tests.factories import person
from tests.pages.apptest import assert_turned_away, click, key, open_page, texts


@pytest.fixture
def caregiver(db, frontdesk, clock_at):
    return person(db, frontdesk, 1)


def test_open_a_case_and_write_a_confidential_note(db, frontdesk, admin, caregiver):
    at = open_page(frontdesk, "pages/cases/case.py", person_id=caregiver)
    at.selectbox(key="case_new_priority").set_value("high")
    click(at, "Abrir caso")
    assert "Caso abierto." in texts(at)
    case_id = cases.current_case(db, frontdesk, caregiver)["id"]
    at.session_state["case_tabs"] = "Notas"
    at.run()
    at.text_area(key=f"note_{case_id}_body").input("Relata violencia en el hogar; se activa ruta.")
    at.checkbox(key=f"note_{case_id}_confidential").check()
    click(at, "Agregar nota")
    assert "Nota guardada." in texts(at)
    assert "Relata violencia en el hogar; se activa ruta." in [t.value for t in at.text]
    # Another front-desk user opens the same case page: the note is not there.
    other = auth.create_user(db, admin, "recepcion2", "desk-password-2", "frontdesk", "BOSA")
    at = open_page(other, "pages/cases/case.py", person_id=caregiver, case_tabs="Notas")
    assert "Relata violencia" not in " ".join(t.value for t in at.text) + texts(at)
    # Every view of the notes is an entry of its own (hers: before and after writing).
    readers = db.execute("SELECT username FROM audit_log WHERE entity = 'case_notes' AND action = 'read'").fetchall()
    assert sorted(set(readers)) == [("recepcion",), ("recepcion2",)] and len(readers) > 2


def test_notes_are_read_and_audited_only_when_their_tab_is_open(db, frontdesk, caregiver):
    case_id = cases.open_case(db, frontdesk, caregiver)
    cases.add_note(db, frontdesk, case_id, "Nota reservada.")
    at = open_page(frontdesk, "pages/cases/case.py", person_id=caregiver)
    assert "Nota reservada." not in [t.value for t in at.text]
    assert db.execute("SELECT count(*) FROM audit_log WHERE entity = 'case_notes'").fetchone()[0] == 0
    at.session_state["case_tabs"] = "Notas"
    at.run()
    assert "Nota reservada." in [t.value for t in at.text]
    assert db.execute("SELECT count(*) FROM audit_log WHERE entity = 'case_notes'").fetchone()[0] == 1


def test_referral_to_an_outside_institution_and_its_overdue_flag(db, frontdesk, caregiver, clock_at):
    case_id = cases.open_case(db, frontdesk, caregiver)
    at = open_page(frontdesk, "pages/cases/case.py", person_id=caregiver)
    click(at, "Remitir")
    assert "Este campo es obligatorio." in texts(at)
    at.text_input(key=f"ref_{case_id}_reason").input("Asesoría por custodia")
    at.selectbox(key=f"ref_{case_id}_institution").set_value(3)
    click(at, "Remitir")
    assert "Remisión registrada." in texts(at)
    clock_at(dt.datetime(2026, 12, 20, 9, 0))
    at = open_page(frontdesk, "pages/cases/case.py", person_id=caregiver)
    assert "Casas de Justicia" in texts(at) and "vencida" in texts(at)
    [accept] = [b for b in at.button if b.label == "Aceptada"]
    accept.click().run()
    assert db.execute("SELECT status FROM referrals").fetchone()[0] == "accepted"


def test_caseload_lists_my_cases_tasks_and_waiting_referrals(db, frontdesk, caregiver, clock_at):
    case_id = cases.open_case(db, frontdesk, caregiver, priority="high")
    cases.add_task(db, frontdesk, case_id, "Llamar a la EPS", dt.date(2026, 11, 22), frontdesk.id)
    referrals.make_referral(db, frontdesk, case_id, reason="Empleo", institution_id=5)
    clock_at(dt.datetime(2026, 11, 25, 9, 0))
    at = open_page(frontdesk, "pages/cases/caseload.py")
    page = texts(at)
    assert "Casos abiertos (1)" in page and "Tareas pendientes (1)" in page and "Remisiones en espera (1)" in page
    assert "Llamar a la EPS" in page and "vencida" in page
    at.button(key=f"mine_case_{case_id}").click().run()
    assert at.title[0].value == "Caso"


def test_secondary_programme_completed_with_its_diploma(db, frontdesk, caregiver):
    at = open_page(frontdesk, "pages/cases/achievements.py", person_id=caregiver)
    at.selectbox(key="apply_programme").set_value("secondary_completion")
    click(at, "Inscribir en el programa")
    enrolment = db.execute("SELECT id FROM enrolments").fetchone()[0]
    click(at, "Matricular")
    click(at, "Inicia clases")
    at.text_input(key=f"complete_{enrolment}_institution").input("IED Bosa Nova")
    at.text_input(key=f"complete_{enrolment}_evidence").input("Acta 77")
    click(at, "Registrar el logro y terminar")
    assert "Guardado." in texts(at)
    assert "Diploma de bachiller" in texts(at)
    assert db.execute("SELECT kind, institution, evidence, enrolment_id FROM outcomes").fetchone() == (
        "secondary_diploma",
        "IED Bosa Nova",
        "Acta 77",
        enrolment,
    )


def test_a_second_secondary_diploma_is_refused_on_the_page(db, frontdesk, caregiver):
    at = open_page(frontdesk, "pages/cases/achievements.py", person_id=caregiver)
    for _ in range(2):
        at.selectbox(key=key(at, "outcome_new", "kind")).set_value("secondary_diploma")
        at.text_input(key=key(at, "outcome_new", "institution")).input("IED Kennedy")
        click(at, "Registrar un logro")
    assert "No puede haber un segundo." in texts(at)
    assert db.execute("SELECT count(*) FROM outcomes").fetchone()[0] == 1


def test_evaluators_reach_no_case_page(db, evaluator):
    for page in ("pages/cases/case.py", "pages/cases/caseload.py", "pages/cases/achievements.py"):
        assert_turned_away(evaluator, page)


def test_dates_are_bogota_dates_not_utc_ones(db, frontdesk, caregiver):
    # Opened at 20:30 in Bogotá on 22 November: already the 23rd in UTC.
    case_id = cases.open_case(db, frontdesk, caregiver)
    db.execute("UPDATE cases SET opened_at = '2026-11-23T01:30:00+00:00' WHERE id = ?", [case_id])
    at = open_page(frontdesk, "pages/cases/case.py", person_id=caregiver)
    assert "22/11/2026" in [m.value for m in at.metric]
    at = open_page(frontdesk, "pages/cases/caseload.py")
    assert "22/11/2026" in texts(at) and "23/11/2026" not in texts(at)
