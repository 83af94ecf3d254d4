"""Page tests for the front desk's speed (issue #11): a registration that starts
from the desk's own block and survives a reload, a booking page that opens where
the sessions are, and pages that say what cannot be done before anyone tries."""

import datetime as dt

import pytest

from caremgmt.scheduling import booking, laundry, timetable
from tests.factories import laundry_slots, person, schedule_data, service_id
from tests.pages.apptest import app_as, double_click, key, open_page, texts
from tests.pages.test_pages import REGISTER, count

LAUNDRY = "pages/activities/laundry.py"
ROSTER = "pages/activities/roster.py"


# --- registration ------------------------------------------------------------


def test_a_new_registration_starts_from_the_desk_and_its_block(db, frontdesk):
    at = app_as(frontdesk, REGISTER)
    assert at.selectbox(key="reg_doc_type").value == "CC"
    assert at.selectbox(key="reg_locality_code").value == 7  # Bosa, the locality of the desk's block
    assert at.selectbox(key="reg_home_block").value == "BOSA"
    assert at.selectbox(key="reg_registration_channel").value == "front_desk"
    # One person cared for is open; her document, sex and disability wait under "more details".
    assert "Persona cuidada 1" in texts(at)
    [more] = [e for e in at.expander if e.label.startswith("Más datos")]
    assert {w.key for w in more.selectbox} == {"reg_dep0_doc_type", "reg_dep0_sex", "reg_dep0_disability"}
    assert [w.key for w in more.text_input] == ["reg_dep0_doc_number"]


def type_caregiver(at) -> None:
    """What the desk still types for a caregiver: the rest comes from the desk's defaults."""
    at.text_input(key="reg_doc_number").input("52.123.456")
    at.text_input(key="reg_first_names").input("Luz Ángela")
    at.text_input(key="reg_last_names").input("Quiñónez Díaz")
    at.date_input(key="reg_birth_date").set_value(dt.date(1990, 5, 17))
    at.selectbox(key="reg_sex").set_value("F")


def test_a_caregiver_alone_is_registered_with_the_section_of_a_person_cared_for_left_blank(db, frontdesk):
    at = app_as(frontdesk, REGISTER)
    type_caregiver(at)
    at.checkbox(key="reg_consent_registration").check()
    at.button(key="reg_submit").click().run()
    assert "Luz Ángela Quiñónez Díaz quedó registrada." in texts(at)
    row = db.execute("SELECT doc_type, locality_code, home_block, registration_channel FROM persons").fetchone()
    assert row == ("CC", 7, "BOSA", "front_desk")
    assert count(db, "persons") == 1 and count(db, "care_links") == 0


def test_a_half_filled_section_of_a_person_cared_for_is_checked_not_dropped(db, frontdesk):
    at = app_as(frontdesk, REGISTER)
    type_caregiver(at)
    at.text_input(key="reg_dep0_first_names").input("Tomás")
    at.checkbox(key="reg_consent_registration").check()
    at.button(key="reg_submit").click().run()
    assert "Revise los campos marcados: no se guardó nada." in texts(at)
    assert "Este campo es obligatorio." in texts(at)
    assert count(db, "persons") == 0


def fill_half(at) -> None:
    """What a desk has typed when the page is reloaded: some of her fields, some of her son's."""
    at.text_input(key="reg_doc_number").input("52.123.456")
    at.text_input(key="reg_first_names").input("Luz Ángela")
    at.date_input(key="reg_birth_date").set_value(dt.date(1990, 5, 17))
    at.selectbox(key="reg_sex").set_value("F")
    at.text_input(key="reg_phone").input("311 222 33")  # half typed
    at.selectbox(key="reg_locality_code").set_value(8)  # she lives in Kennedy
    at.text_input(key="reg_dep0_first_names").input("Tomás")
    at.date_input(key="reg_dep0_birth_date").set_value(dt.date(2023, 2, 1))
    at.selectbox(key="reg_dep0_relationship").set_value("child")
    at.selectbox(key="reg_dep0_sex").set_value("M")
    at.checkbox(key="reg_consent_reminders").check()
    at.run()


def test_a_half_filled_registration_comes_back_after_a_reload(db, frontdesk):
    at = app_as(frontdesk, REGISTER)
    fill_half(at)
    login = at.session_state["login_session"]
    # A reload: a new Streamlit session, the same login.
    again = app_as(frontdesk, REGISTER, login_session=login)
    assert not again.exception
    assert again.text_input(key="reg_doc_number").value == "52.123.456"
    assert again.text_input(key="reg_first_names").value == "Luz Ángela"
    assert again.text_input(key="reg_last_names").value == ""
    assert again.date_input(key="reg_birth_date").value == dt.date(1990, 5, 17)
    assert again.selectbox(key="reg_sex").value == "F"
    assert again.text_input(key="reg_phone").value == "311 222 33"
    assert again.selectbox(key="reg_locality_code").value == 8  # what she chose, not the default
    assert again.text_input(key="reg_dep0_first_names").value == "Tomás"
    assert again.date_input(key="reg_dep0_birth_date").value == dt.date(2023, 2, 1)
    assert again.selectbox(key="reg_dep0_relationship").value == "child"
    assert again.selectbox(key="reg_dep0_sex").value == "M"
    assert again.checkbox(key="reg_consent_reminders").value is True
    assert again.checkbox(key="reg_consent_registration").value is False
    # Another login (another desk, or after logging out) does not see it.
    other = app_as(frontdesk, REGISTER)
    assert other.text_input(key="reg_doc_number").value == ""


def test_a_registration_saved_leaves_no_draft_and_a_double_click_registers_once(db, frontdesk):
    at = app_as(frontdesk, REGISTER)
    fill_half(at)
    at.text_input(key="reg_last_names").input("Quiñónez Díaz")
    at.selectbox(key="reg_locality_code").set_value(7)
    at.text_input(key="reg_phone").input("311 222 3344")
    at.text_input(key="reg_dep0_last_names").input("Quiñónez Díaz")
    at.selectbox(key="reg_dep0_care_need").set_value("child_under_6")
    at.checkbox(key="reg_consent_registration").check()
    at.run()
    double_click(at, at.button(key=key(at, "reg")))
    assert not at.exception
    assert "Luz Ángela Quiñónez Díaz quedó registrada." in texts(at)
    assert count(db, "persons") == 2 and count(db, "care_links") == 1
    again = app_as(frontdesk, REGISTER, login_session=at.session_state["login_session"])
    assert again.text_input(key=key(again, "reg", "doc_number")).value == ""
    assert again.text_input(key=key(again, "reg", "dep0_first_names")).value == ""


# --- booking ----------------------------------------------------------------


@pytest.fixture
def week(db, admin, clock_at):
    """At BOSA: the class on Monday 23 Nov 08-11 (2 places), digital skills on
    Wednesday 25 Nov 14-16; nothing of the other services."""
    timetable.create_schedule(db, admin, schedule_data(db, start_date="2026-11-23", end_date="2026-11-23"))
    timetable.create_schedule(
        db,
        admin,
        schedule_data(
            db,
            "DIGITAL",
            start_date="2026-11-25",
            end_date="2026-11-25",
            start_time="14:00",
            end_time="16:00",
            capacity=10,
        ),
    )
    return {
        code: sid
        for sid, code in db.execute("SELECT s.id, v.code FROM sessions s JOIN services v ON v.id = s.service_id")
    }


def test_booking_opens_on_the_next_service_with_sessions_and_shows_what_she_holds(db, frontdesk, week):
    caregiver = person(db, frontdesk, 1, with_child=False)
    at = open_page(frontdesk, "pages/activities/book.py", person_id=caregiver)
    assert at.selectbox(key="book_service").value == service_id(db, "BACHILLERATO")
    assert "Lun 23/11 08:00–11:00 · Validación del bachillerato · Aula 1" in texts(at)
    at.button(key=f"book_{week['BACHILLERATO']}").click().run()
    assert "Reservado" in texts(at)
    # Booked: the session says so instead of offering it again, and the page now
    # opens on the next service she holds nothing of.
    at = open_page(frontdesk, "pages/activities/book.py", person_id=caregiver)
    assert at.selectbox(key="book_service").value == service_id(db, "DIGITAL")
    at.selectbox(key="book_service").set_value(service_id(db, "BACHILLERATO")).run()
    held = at.button(key=f"book_{week['BACHILLERATO']}")
    assert held.disabled and held.label == "Reservada"
    assert not [b for b in at.button if b.label.startswith("Reservar toda la serie")]


def test_a_session_she_waits_for_says_so(db, frontdesk, week):
    for i in range(2):
        booking.book(db, frontdesk, week["BACHILLERATO"], person(db, frontdesk, i, with_child=False))
    third = person(db, frontdesk, 3, with_child=False)
    booking.book(db, frontdesk, week["BACHILLERATO"], third)
    at = open_page(frontdesk, "pages/activities/book.py", person_id=third)
    at.selectbox(key="book_service").set_value(service_id(db, "BACHILLERATO")).run()
    waiting = at.button(key=f"book_{week['BACHILLERATO']}")
    assert waiting.disabled and waiting.label == "En lista de espera"


# --- laundry ----------------------------------------------------------------


@pytest.fixture
def drop_off(db, admin, clock_at):
    """Drop-off slots at BOSA on Monday 23 and Tuesday 24 Nov, 08-09 and 09-10, three loads each."""
    return laundry_slots(db, admin, [0, 1], "2026-11-23", "2026-11-24", capacity=3)


def laundry_on(user, person_id, day: dt.date):
    at = open_page(user, LAUNDRY, person_id=person_id)
    at.date_input(key="laundry_date").set_value(day).run()
    return at


def test_laundry_says_before_a_slot_is_chosen_whether_she_may_book(db, frontdesk, drop_off):
    mother = person(db, frontdesk, 1)
    at = laundry_on(frontdesk, mother, dt.date(2026, 11, 23))
    assert "Puede reservar: lleva 0 de 2 cargas esta semana." in texts(at)
    assert [b.disabled for b in at.button if b.key.startswith("slot_")] == [False, False]
    laundry.book_load(db, frontdesk, drop_off[0], mother)
    laundry.book_load(db, frontdesk, drop_off[2], mother)  # Tuesday: her second load this week
    at = laundry_on(frontdesk, mother, dt.date(2026, 11, 23))
    assert "Ya tiene 2 cargas esta semana: es el máximo." in texts(at)
    assert [(b.label, b.disabled) for b in at.button if b.key.startswith("slot_")] == [
        ("Reservada", True),
        ("Límite semanal alcanzado", True),
    ]


def test_laundry_slots_of_someone_not_eligible_say_why_and_cannot_be_clicked(db, frontdesk, drop_off):
    alone = person(db, frontdesk, 2, with_child=False)
    at = laundry_on(frontdesk, alone, dt.date(2026, 11, 23))
    assert (
        "La lavandería es para cuidadoras de niñas o niños menores de 6 años, personas mayores o con discapacidad."
        in [w.value for w in at.warning]
    )
    slots = [b for b in at.button if b.key.startswith("slot_")]
    assert len(slots) == 2 and all(b.disabled and b.label == "No cumple los requisitos" for b in slots)


def test_a_full_slot_says_so(db, frontdesk, drop_off):
    for i in range(3):
        laundry.book_load(db, frontdesk, drop_off[0], person(db, frontdesk, i))
    at = laundry_on(frontdesk, person(db, frontdesk, 4), dt.date(2026, 11, 23))
    assert "0 de 3 cargas libres" in texts(at)
    full = at.button(key=f"slot_{drop_off[0]}")
    assert full.disabled and full.label == "Sin cupo"


# --- attendance and the day -------------------------------------------------


def test_attendance_before_the_session_starts_says_from_when_and_offers_nothing_to_save(db, frontdesk, week, clock_at):
    a, b = (person(db, frontdesk, i, with_child=False) for i in range(2))
    for p in (a, b):
        booking.book(db, frontdesk, week["BACHILLERATO"], p)
    clock_at(dt.datetime(2026, 11, 23, 7, 50))
    at = open_page(frontdesk, ROSTER, session_id=week["BACHILLERATO"])
    assert "La asistencia se puede tomar desde las 08:00 del 23/11/2026." in [i.value for i in at.info]
    assert "2 personas en la lista" in texts(at)
    assert list(at.dataframe[0].value["Persona"]) == ["Cuidadora Prueba Aaa", "Cuidadora Prueba Aab"]
    assert not at.data_editor  # nobody is marked "Asistió" before anyone came
    assert "Guardar asistencia" not in [b.label for b in at.button]
    assert "Agregar persona sin reserva" not in texts(at)
    # Once it has started: everyone booked is marked present, to correct and save.
    clock_at(dt.datetime(2026, 11, 23, 8, 0))
    at = open_page(frontdesk, ROSTER, session_id=week["BACHILLERATO"])
    assert list(at.data_editor[0].value["Asistencia"]) == ["Asistió", "Asistió"]
    at.button(key="roster_save").click().run()
    assert "Asistencia guardada (2 cambios)." in texts(at)


def test_a_cancelled_session_has_no_attendance_to_take(db, admin, frontdesk, week, clock_at):
    booking.book(db, frontdesk, week["DIGITAL"], person(db, frontdesk, 1, with_child=False))
    timetable.cancel_session(db, admin, week["DIGITAL"])
    clock_at(dt.datetime(2026, 11, 25, 15, 0))
    at = open_page(frontdesk, ROSTER, session_id=week["DIGITAL"])
    assert "La sesión está cancelada." in [i.value for i in at.info]
    assert "1 persona en la lista" in texts(at)
    assert "Guardar asistencia" not in [b.label for b in at.button]


def test_the_day_offers_no_show_only_once_the_slot_has_started(db, frontdesk, drop_off, clock_at):
    mother = person(db, frontdesk, 1)
    laundry.book_load(db, frontdesk, drop_off[0], mother)
    clock_at(dt.datetime(2026, 11, 23, 7, 30))
    at = open_page(frontdesk, "pages/activities/day.py")
    assert [b.label for b in at.button if b.key.startswith("load_")] == ["Recibir"]
    clock_at(dt.datetime(2026, 11, 23, 8, 0))
    at = open_page(frontdesk, "pages/activities/day.py")
    assert [b.label for b in at.button if b.key.startswith("load_")] == ["Recibir", "No llegó"]
    assert count(db, "attendance") == 0
