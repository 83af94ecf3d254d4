"""Page tests for the one way pages write (pages.ui.actions.write): a refused
write is explained in Spanish next to its form, never as a traceback, and a
double click writes once."""

import datetime as dt

import pytest

from caremgmt.casework import cases, referrals
from caremgmt.core import auth
from caremgmt.registry import persons
from caremgmt.scheduling import timetable
from tests.factories import CONSENT, TODAY, caregiver_data, person, schedule_data, with_second_factor
from tests.pages.apptest import app_as, double_click, key, open_page, texts
from tests.pages.test_pages import REGISTER, count, fill_caregiver


@pytest.fixture
def other_coordinator(db, admin):
    return with_second_factor(
        db, auth.create_user(db, admin, "coordinadora2", "coord-password-2", "coordinator", "BOSA")
    )


def test_cancelling_a_session_someone_else_cancelled_meanwhile_is_explained(
    db, admin, other_coordinator, clock_at, monkeypatch
):
    timetable.create_schedule(db, admin, schedule_data(db, start_date="2026-11-23", end_date="2026-11-23"))
    [session_id] = [r[0] for r in db.execute("SELECT id FROM sessions")]
    at = open_page(admin, "pages/admin/schedules.py")
    at.selectbox(key="schedules_block").set_value("BOSA").run()
    cancel = at.button(key=key(at, "sch_cancel", session_id))
    # Between the page showing the session and the click, another coordinator cancels it.
    real = timetable.cancel_session

    def cancelled_meanwhile(db, actor, session_id, note=None):
        real(db, other_coordinator, session_id)
        return real(db, actor, session_id, note)

    monkeypatch.setattr(timetable, "cancel_session", cancelled_meanwhile)
    cancel.click().run()
    assert not at.exception
    assert "La sesión está cancelada." in texts(at)
    assert "Sesión cancelada." not in texts(at)  # no confirmation of a write that did not happen


def test_giving_a_consent_someone_else_gave_meanwhile_is_explained(db, frontdesk, admin, monkeypatch):
    person_id = persons.register_caregiver(db, frontdesk, caregiver_data(), [], CONSENT, today=TODAY)
    colleague = auth.create_user(db, admin, "recepcion2", "desk-password-2", "frontdesk", "BOSA")
    at = open_page(frontdesk, "pages/desk/person.py", person_id=person_id)
    give = at.button(key=key(at, "give", "research"))
    real = persons.give_consent

    def given_meanwhile(db, actor, person_id, purpose):
        real(db, colleague, person_id, purpose)
        return real(db, actor, person_id, purpose)

    monkeypatch.setattr(persons, "give_consent", given_meanwhile)
    give.click().run()
    assert not at.exception
    assert "Ese consentimiento ya está vigente." in texts(at)
    assert "Consentimiento registrado." not in texts(at)
    assert count(db, "consents WHERE purpose = 'research' AND withdrawn_at IS NULL") == 1


def test_a_double_click_on_remitir_sends_one_referral_and_clears_the_form(db, frontdesk, clock_at):
    caregiver = person(db, frontdesk, 1)
    case_id = cases.open_case(db, frontdesk, caregiver)
    at = open_page(frontdesk, "pages/cases/case.py", person_id=caregiver, case_tabs="Remisiones")
    form = f"ref_{case_id}"
    at.text_input(key=key(at, form, "reason")).input("Asesoría por custodia")
    at.selectbox(key=key(at, form, "institution")).set_value(3)
    double_click(at, at.button(key=key(at, form)))
    assert not at.exception
    assert len(referrals.case_referrals(db, frontdesk, case_id)) == 1
    assert "Remisión registrada." in texts(at)
    # Ready for the next referral: nothing of the one just sent is left in the form.
    assert at.text_input(key=key(at, form, "reason")).value == ""
    assert at.selectbox(key=key(at, form, "institution")).value is None


def test_a_double_click_on_registrar_registers_her_once_and_opens_her_file(db, frontdesk):
    at = app_as(frontdesk, REGISTER)
    fill_caregiver(at)
    at.checkbox(key="reg_consent_registration").check()
    double_click(at, at.button(key=key(at, "reg")))
    assert not at.exception
    assert count(db, "persons") == 1
    assert at.title[0].value == "Luz Ángela Quiñónez Díaz"  # her file, not a duplicate warning
    assert "Luz Ángela Quiñónez Díaz quedó registrada." in texts(at)
    assert "ya está registrado" not in texts(at)


def test_a_refused_write_keeps_what_was_typed_and_a_good_one_clears_it(db, frontdesk, clock_at):
    caregiver = person(db, frontdesk, 1)
    case_id = cases.open_case(db, frontdesk, caregiver)
    at = open_page(frontdesk, "pages/cases/case.py", person_id=caregiver)
    form = f"task_{case_id}"
    at.date_input(key=key(at, form, "due_on")).set_value(dt.date(2026, 11, 1))  # in the past
    at.text_input(key=key(at, form, "description")).input("Llamar a la EPS")
    at.button(key=key(at, form)).click().run()
    assert "Revise los campos marcados: no se guardó nada." in texts(at)
    assert at.text_input(key=key(at, form, "description")).value == "Llamar a la EPS"
    at.date_input(key=key(at, form, "due_on")).set_value(dt.date(2026, 11, 30))
    at.button(key=key(at, form)).click().run()
    assert "Guardado." in texts(at)
    assert at.text_input(key=key(at, form, "description")).value == ""
    assert [t["description"] for t in cases.tasks(db, frontdesk, case_id)] == ["Llamar a la EPS"]
