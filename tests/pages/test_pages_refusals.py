"""Page tests (AppTest): every refusal says why, in the user's language, under
its field, and nothing is saved; widgets never refuse a value on their own. A
form is empty again after a save (a password field after every click), and a
double click writes once."""

import datetime as dt

import pytest

from caremgmt.casework import cases, outcomes
from caremgmt.core import auth
from caremgmt.registry import persons
from caremgmt.scheduling import laundry, timetable
from tests.factories import TODAY, person, schedule_data, service_id
from tests.pages.apptest import app_as, click, double_click, key, open_page, texts
from tests.pages.test_pages import REGISTER, count, fill_caregiver

TOMORROW = TODAY + dt.timedelta(days=1)


def under(at, widget) -> str:
    """The text right under ``widget`` on the page (its error line), "" if none."""

    def after(block):
        nodes = list(block.children.values())
        for i, node in enumerate(nodes):
            if node is widget:
                return nodes[i + 1] if i + 1 < len(nodes) else None
            if hasattr(node, "children"):
                found = after(node)
                if found is not False:
                    return found
        return False

    node = after(at._tree)
    assert node is not False, "the widget is not on the page"
    value = str(getattr(node, "value", "") or "") if node is not None else ""
    return value.removeprefix(":red[").removesuffix("]")


# --- registration: hours of care, birth dates --------------------------------


def register(at) -> None:
    at.checkbox(key=key(at, "reg", "consent_registration")).check()
    at.button(key=key(at, "reg")).click().run()
    assert not at.exception


def test_hours_of_care_above_24_are_refused_under_their_field(db, frontdesk):
    at = app_as(frontdesk, REGISTER)
    fill_caregiver(at)
    at.number_input(key="reg_care_hours_per_day").set_value(30)
    register(at)
    hours = at.number_input(key="reg_care_hours_per_day")
    assert under(at, hours) == "Las horas diarias de cuidado van de 0 a 24."
    assert hours.value == 30  # what she typed stays, to be corrected
    assert "Revise los campos marcados: no se guardó nada." in texts(at)
    assert count(db, "persons") == 0


def test_the_hours_message_is_in_english_for_an_english_user(db, admin):
    clerk = auth.create_user(db, admin, "desk.en", "desk-password-9", "frontdesk", "BOSA", "en")
    at = app_as(clerk, REGISTER)
    fill_caregiver(at)
    at.number_input(key="reg_care_hours_per_day").set_value(24.5)
    register(at)
    assert under(at, at.number_input(key="reg_care_hours_per_day")) == "Hours of care per day go from 0 to 24."
    assert count(db, "persons") == 0


@pytest.mark.parametrize(
    "birth_date, message",
    [
        (TOMORROW, "La fecha de nacimiento no puede ser posterior a hoy."),
        (dt.date(1890, 5, 17), "La fecha de nacimiento no puede ser anterior al 1/01/1900."),
        (dt.date(2016, 5, 17), "Edad no plausible (10 años): debe estar entre 14 y 105."),
    ],
)
def test_a_birth_date_out_of_range_says_why_under_its_field(db, frontdesk, clock_at, birth_date, message):
    at = app_as(frontdesk, REGISTER)
    fill_caregiver(at, birth_date=birth_date)
    register(at)
    field = at.date_input(key="reg_birth_date")
    assert field.value == birth_date  # the widget took it as typed: no "Este campo es obligatorio"
    assert under(at, field) == message
    assert "Este campo es obligatorio." not in texts(at)
    assert count(db, "persons") == 0


def test_a_person_cared_for_born_tomorrow_is_refused_under_her_own_field(db, frontdesk, clock_at):
    at = app_as(frontdesk, REGISTER)
    fill_caregiver(at)
    at.text_input(key="reg_dep0_first_names").input("Tomás")
    at.text_input(key="reg_dep0_last_names").input("Quiñónez Díaz")
    at.date_input(key="reg_dep0_birth_date").set_value(TOMORROW)
    at.selectbox(key="reg_dep0_relationship").set_value("child")
    at.selectbox(key="reg_dep0_care_need").set_value("child_under_6")
    register(at)
    assert under(at, at.date_input(key="reg_dep0_birth_date")) == "La fecha de nacimiento no puede ser posterior a hoy."
    assert under(at, at.date_input(key="reg_birth_date")) == ""  # hers is fine
    assert count(db, "persons") == 0


# --- planning: capacity, slots, the laundry limit, service ages ---------------


def schedules_page(db, admin):
    """A new schedule at BOSA filled in but for the field under test."""
    at = open_page(admin, "pages/admin/schedules.py")
    at.selectbox(key="schedules_block").set_value("BOSA").run()
    at.selectbox(key="sch_service").set_value(service_id(db, "RESPIRO"))
    at.multiselect(key="sch_weekdays").set_value([1, 4])
    return at


@pytest.mark.parametrize("capacity", [0, -3, 600])
def test_a_capacity_out_of_range_says_why_under_its_field(db, admin, clock_at, capacity):
    at = schedules_page(db, admin)
    at.number_input(key="sch_capacity").set_value(capacity)
    click(at, "Crear y generar sesiones")
    assert not at.exception
    assert under(at, at.number_input(key="sch_capacity")) == "Los cupos van de 1 a 500."
    assert count(db, "schedules") == 0


def test_slot_minutes_out_of_range_say_why_under_their_field(db, admin, clock_at):
    at = schedules_page(db, admin)
    at.number_input(key="sch_slot").set_value(10)
    click(at, "Crear y generar sesiones")
    assert under(at, at.number_input(key="sch_slot")) == "Un turno dura de 15 a 240 minutos, o 0 para una sola sesión."
    assert count(db, "schedules") == 0


def test_the_laundry_limit_out_of_range_says_why_under_its_field(db, admin):
    before = laundry.weekly_limit(db)
    at = open_page(admin, "pages/admin/schedules.py")
    at.number_input(key="laundry_limit").set_value(20)
    click(at, "Guardar límite")
    assert under(at, at.number_input(key="laundry_limit")) == "El límite va de 1 a 14 cargas por semana."
    assert laundry.weekly_limit(db) == before


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("min_age", -1, "La edad va de 0 a 120 años."),
        ("max_age", 130, "La edad va de 0 a 120 años."),
        ("minutes", 5, "Una sesión dura de 15 a 600 minutos."),
    ],
)
def test_service_ages_and_length_out_of_range_say_why_under_their_field(db, admin, field, value, message):
    at = open_page(admin, "pages/admin/services.py")
    at.text_input(key="svcnew_code").input("YOGA")
    at.text_input(key="svcnew_name_es").input("Yoga en la manzana")
    at.text_input(key="svcnew_name_en").input("Yoga at the block")
    at.selectbox(key="svcnew_category").set_value("respite_wellbeing")
    at.number_input(key=f"svcnew_{field}").set_value(value)
    click(at, "Guardar servicio")
    assert not at.exception
    assert under(at, at.number_input(key=f"svcnew_{field}")) == message
    assert count(db, "services WHERE code = 'YOGA'") == 0


# --- outcomes: the day achieved, course hours ---------------------------------


@pytest.fixture
def caregiver(db, frontdesk, clock_at):
    return person(db, frontdesk, 1)  # born 14 March 1985


def outcome_form(frontdesk, caregiver, kind="job"):
    at = open_page(frontdesk, "pages/cases/achievements.py", person_id=caregiver)
    at.selectbox(key=key(at, "outcome_new", "kind")).set_value(kind)
    return at


@pytest.mark.parametrize(
    "day, message",
    [
        (TOMORROW, "La fecha no puede ser futura."),
        (dt.date(1960, 1, 1), "La fecha del logro no puede ser anterior a su nacimiento (14/03/1985)."),
    ],
)
def test_an_outcome_dated_out_of_range_says_why_under_its_field(db, frontdesk, caregiver, day, message):
    at = outcome_form(frontdesk, caregiver)
    at.date_input(key=key(at, "outcome_new", "date")).set_value(day)
    click(at, "Registrar un logro")
    assert not at.exception
    assert under(at, at.date_input(key=key(at, "outcome_new", "date"))) == message
    assert outcomes.person_outcomes(db, frontdesk, caregiver) == []


def test_course_hours_out_of_range_say_why_under_their_field(db, frontdesk, caregiver):
    at = outcome_form(frontdesk, caregiver, "technical_certificate")
    at.text_input(key=key(at, "outcome_new", "institution")).input("SENA")
    at.text_input(key=key(at, "outcome_new", "course")).input("Cocina")
    at.number_input(key=key(at, "outcome_new", "hours")).set_value(0)
    click(at, "Registrar un logro")
    assert under(at, at.number_input(key=key(at, "outcome_new", "hours"))) == "Las horas del curso van de 1 a 5.000."
    assert outcomes.person_outcomes(db, frontdesk, caregiver) == []


# --- users: the password never stays, nothing carries over --------------------


def user_form(at, name: str, password: str, block: str | None = None) -> None:
    at.text_input(key=key(at, "user_new", "name")).input(name)
    at.text_input(key=key(at, "user_new", "password")).input(password)
    if block:
        at.selectbox(key=key(at, "user_new", "block")).set_value(block)


def test_a_refused_account_keeps_the_name_but_never_the_password(db, admin):
    at = app_as(admin, "pages/admin/users.py")
    user_form(at, "lucia", "corta", "KENNEDY")
    click(at, "Agregar usuario")
    assert not at.exception
    password = at.text_input(key=key(at, "user_new", "password"))
    assert under(at, password) == "La contraseña debe tener al menos 12 caracteres."
    assert password.value == ""
    assert at.text_input(key=key(at, "user_new", "name")).value == "lucia"
    assert at.selectbox(key=key(at, "user_new", "block")).value == "KENNEDY"
    assert count(db, "users WHERE username = 'lucia'") == 0


def test_the_next_account_does_not_get_the_last_ones_block(db, admin):
    at = app_as(admin, "pages/admin/users.py")
    user_form(at, "lucia", "una-clave-larga", "KENNEDY")
    click(at, "Agregar usuario")
    assert "Usuario lucia creado." in texts(at)
    # The form is empty again, password and block included.
    assert at.text_input(key=key(at, "user_new", "name")).value == ""
    assert at.text_input(key=key(at, "user_new", "password")).value == ""
    assert at.selectbox(key=key(at, "user_new", "block")).value is None
    user_form(at, "ana", "otra-clave-larga")
    at.selectbox(key=key(at, "user_new", "role")).set_value("coordinator")
    click(at, "Agregar usuario")
    assert "Usuario ana creado." in texts(at)
    assert auth.authenticate(db, "lucia", "una-clave-larga").block_code == "KENNEDY"
    assert auth.authenticate(db, "ana", "otra-clave-larga").block_code is None


# --- a double click writes once ----------------------------------------------


def test_a_double_click_on_agregar_usuario_creates_one_account(db, admin):
    at = app_as(admin, "pages/admin/users.py")
    user_form(at, "lucia", "una-clave-larga", "KENNEDY")
    double_click(at, at.button(key=key(at, "user_new")))
    assert not at.exception
    assert count(db, "users WHERE username = 'lucia'") == 1
    assert "Usuario lucia creado." in texts(at)
    assert "Ese usuario ya existe." not in texts(at)


def test_a_double_click_on_agregar_nota_writes_one_note(db, frontdesk, caregiver):
    case_id = cases.open_case(db, frontdesk, caregiver)
    at = open_page(frontdesk, "pages/cases/case.py", person_id=caregiver, case_tabs="Notas")
    form = f"note_{case_id}"
    at.text_area(key=key(at, form, "body")).input("Llamó para reprogramar la cita.")
    double_click(at, at.button(key=key(at, form)))
    assert not at.exception
    assert [n["body"] for n in cases.notes(db, frontdesk, case_id)] == ["Llamó para reprogramar la cita."]
    assert "Nota guardada." in texts(at)
    assert at.text_area(key=key(at, form, "body")).value == ""


@pytest.fixture
def monday_class(db, admin, clock_at):
    """Monday 23 Nov at BOSA: a class 08-11 (2 places) and childcare 07:30-11:30."""
    one_day = {"start_date": "2026-11-23", "end_date": "2026-11-23"}
    timetable.create_schedule(db, admin, schedule_data(db, **one_day))
    timetable.create_schedule(
        db, admin, schedule_data(db, "INFANCIA", start_time="07:30", end_time="11:30", capacity=10, **one_day)
    )
    return db.execute("SELECT id FROM sessions WHERE service_id = ?", [service_id(db, "BACHILLERATO")]).fetchone()[0]


def booked(db, person_id: int) -> int:
    return db.execute("SELECT count(*) FROM participants WHERE person_id = ?", [person_id]).fetchone()[0]


def test_a_double_click_on_reservar_books_her_once(db, frontdesk, monday_class):
    alone = person(db, frontdesk, 2, with_child=False)
    at = open_page(frontdesk, "pages/activities/book.py", person_id=alone)
    at.selectbox(key="book_service").set_value(service_id(db, "BACHILLERATO")).run()
    double_click(at, at.button(key=key(at, "book", monday_class)))
    assert not at.exception
    assert booked(db, alone) == 1
    assert "Reservado" in texts(at)
    assert "Ya tiene una reserva en esta sesión." not in texts(at)


def test_a_double_click_on_confirmar_reserva_books_her_and_her_child_once(db, frontdesk, caregiver, monday_class):
    child = persons.get_person(db, frontdesk, caregiver)["cares_for"][0]["id"]
    at = open_page(frontdesk, "pages/activities/book.py", person_id=caregiver)
    at.selectbox(key="book_service").set_value(service_id(db, "BACHILLERATO")).run()
    double_click(at, at.button(key=key(at, "book", monday_class)))  # asks about care for her child
    double_click(at, at.button(key=key(at, "book", "confirm")))
    assert not at.exception
    assert (booked(db, caregiver), booked(db, child)) == (1, 1)
    assert "Reserva 1: Reservado · Reserva 2: Reservado" in texts(at)


def test_a_double_click_on_registrar_logro_records_one_outcome(db, frontdesk, caregiver):
    at = outcome_form(frontdesk, caregiver)
    at.text_input(key=key(at, "outcome_new", "description")).input("Auxiliar de cocina")
    double_click(at, at.button(key=key(at, "outcome_new")))
    assert not at.exception
    assert len(outcomes.person_outcomes(db, frontdesk, caregiver)) == 1
    assert "Guardado." in texts(at)
