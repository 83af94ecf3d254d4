"""Page tests for the day view, booking (with care for her child), the roster and the laundry."""

import datetime as dt

import pytest

from caremgmt.registry import persons
from caremgmt.scheduling import booking, laundry, timetable
from tests.factories import person, schedule_data, service_id
from tests.pages.apptest import assert_turned_away, click, open_page, texts

MONDAY = dt.datetime(2026, 11, 23, 7, 0)


@pytest.fixture
def programme(db, admin, clock_at):
    """Monday 23 Nov at BOSA: a class 08-11 (2 places), childcare 07:30-11:30, laundry 08-10."""
    one_day = {"start_date": "2026-11-23", "end_date": "2026-11-23"}
    timetable.create_schedule(db, admin, schedule_data(db, **one_day))
    timetable.create_schedule(
        db, admin, schedule_data(db, "INFANCIA", start_time="07:30", end_time="11:30", capacity=10, **one_day)
    )
    timetable.create_schedule(
        db,
        admin,
        schedule_data(db, "LAVANDERIA", start_time="08:00", end_time="10:00", slot_minutes=60, capacity=3, **one_day),
    )
    sessions = {
        r[0]: r[1]
        for r in db.execute(
            "SELECT v.code || substr(s.starts_at, 12), s.id FROM sessions s JOIN services v ON v.id = s.service_id"
        )
    }
    return sessions


def test_booking_page_books_caregiver_and_offers_care_for_her_child(db, frontdesk, programme):
    caregiver = person(db, frontdesk, 1)
    child = persons.get_person(db, frontdesk, caregiver)["cares_for"][0]["id"]
    at = open_page(frontdesk, "pages/activities/book.py", person_id=caregiver)
    at.selectbox(key="book_service").set_value(service_id(db, "BACHILLERATO")).run()
    assert "0/2 cupos · 0 en espera" in texts(at)
    at.button(key=f"book_{programme['BACHILLERATO08:00']}").click().run()
    assert "Reservar también cuidado para Niño Prueba Aab a la misma hora" in [c.label for c in at.checkbox]
    click(at, "Confirmar reserva")
    assert "Reserva 1: Reservado · Reserva 2: Reservado" in texts(at)
    care = db.execute(
        "SELECT session_id FROM participants WHERE person_id = ? AND status = 'booked'", [child]
    ).fetchone()
    assert care == (programme["INFANCIA07:30"],)


def test_booking_page_shows_waitlist_position(db, frontdesk, programme):
    for i in range(2):
        booking.book(db, frontdesk, programme["BACHILLERATO08:00"], person(db, frontdesk, i, with_child=False))
    third = person(db, frontdesk, 3, with_child=False)
    at = open_page(frontdesk, "pages/activities/book.py", person_id=third)
    at.selectbox(key="book_service").set_value(service_id(db, "BACHILLERATO")).run()
    at.button(key=f"book_{programme['BACHILLERATO08:00']}").click().run()
    assert "En lista de espera, posición 1" in texts(at)


def test_day_view_shows_occupancy_waitlist_and_laundry_queue(db, frontdesk, programme, clock_at):
    people = [person(db, frontdesk, i) for i in range(3)]
    for p in people:
        booking.book(db, frontdesk, programme["BACHILLERATO08:00"], p)
    laundry.book_load(db, frontdesk, programme["LAVANDERIA08:00"], people[0])
    clock_at(MONDAY)
    at = open_page(frontdesk, "pages/activities/day.py")
    page = texts(at)
    assert "Lun 23/11 08:00–11:00 · Validación del bachillerato · Aula 1" in page
    assert "2/2 cupos · 1 en espera" in page
    assert "Cuidadora Prueba Aaa" in page and "Reservada" in page
    [receive] = [b for b in at.button if b.label == "Recibir"]
    receive.click().run()
    assert "Entregada" in texts(at)


def test_roster_saves_attendance_with_changes_and_walk_ins(db, frontdesk, programme, clock_at):
    a, b, walk_in = (person(db, frontdesk, i, with_child=False) for i in range(3))
    for p in (a, b):
        booking.book(db, frontdesk, programme["BACHILLERATO08:00"], p)
    clock_at(dt.datetime(2026, 11, 23, 11, 0))
    at = open_page(frontdesk, "pages/activities/roster.py", session_id=programme["BACHILLERATO08:00"])
    editor = at.data_editor(key=f"roster_editor_{programme['BACHILLERATO08:00']}")
    assert list(editor.value["Asistencia"]) == ["Asistió", "Asistió"]
    row_of_b = list(editor.value["person_id"]).index(b)
    at.session_state[f"roster_editor_{programme['BACHILLERATO08:00']}"] = {
        "edited_rows": {row_of_b: {"Asistencia": "No asistió"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    at.text_input(key=f"walk_in_query_{programme['BACHILLERATO08:00']}").input("52000002").run()
    at.button(key=f"walk_in_{walk_in}").click().run()
    click(at, "Guardar asistencia")
    assert "Asistencia guardada (3 cambios)." in texts(at)
    rows = db.execute("SELECT person_id, status, walk_in FROM attendance ORDER BY person_id").fetchall()
    assert rows == [(a, "present", 0), (b, "absent", 0), (walk_in, "present", 1)]
    click(at, "Guardar asistencia")  # saving again changes nothing
    assert "Asistencia guardada (0 cambios)." in texts(at)
    assert db.execute("SELECT count(*) FROM attendance").fetchone()[0] == 3


def test_laundry_page_books_and_refuses_ineligible(db, frontdesk, programme):
    mother = person(db, frontdesk, 1)
    at = open_page(frontdesk, "pages/activities/laundry.py", person_id=mother)
    at.date_input(key="laundry_date").set_value(dt.date(2026, 11, 23)).run()
    assert "3 de 3 cargas libres" in texts(at)
    at.button(key=f"slot_{programme['LAVANDERIA08:00']}").click().run()
    assert "Carga reservada para las 08:00." in texts(at)
    alone = person(db, frontdesk, 2, with_child=False)
    at = open_page(frontdesk, "pages/activities/laundry.py", person_id=alone)
    at.date_input(key="laundry_date").set_value(dt.date(2026, 11, 23)).run()
    # Said before any slot is chosen; the slots say why and cannot be clicked.
    assert "La lavandería es para cuidadoras" in texts(at)
    slot = at.button(key=f"slot_{programme['LAVANDERIA08:00']}")
    assert slot.disabled and slot.label == "No cumple los requisitos"


def test_front_desk_cannot_open_planning_pages(db, frontdesk, evaluator):
    for page in ("pages/admin/schedules.py", "pages/admin/services.py"):
        assert_turned_away(frontdesk, page)
    assert_turned_away(evaluator, "pages/activities/day.py")


def test_coordinator_creates_a_schedule_from_the_page(db, admin, clock_at):
    at = open_page(admin, "pages/admin/schedules.py")
    at.selectbox(key="schedules_block").set_value("BOSA").run()
    at.selectbox(key="sch_service").set_value(service_id(db, "RESPIRO"))
    at.multiselect(key="sch_weekdays").set_value([1, 4])
    at.date_input(key="sch_start_date").set_value(dt.date(2026, 12, 1))
    at.date_input(key="sch_end_date").set_value(dt.date(2026, 12, 31))
    click(at, "Crear y generar sesiones")
    assert "Programación creada: 7 sesiones (sin festivos)." in texts(at)


def test_coordinator_sets_the_laundry_weekly_limit(db, admin):
    at = open_page(admin, "pages/admin/schedules.py")
    at.number_input(key="laundry_limit").set_value(3)
    click(at, "Guardar límite")
    assert "Límite guardado: 3 cargas por semana." in texts(at)
    assert laundry.weekly_limit(db) == 3


def test_service_catalogue_edit_validates(db, admin):
    at = open_page(admin, "pages/admin/services.py")
    at.text_input(key="svcnew_code").input("YOGA")
    at.text_input(key="svcnew_name_es").input("Yoga en la manzana")
    at.text_input(key="svcnew_name_en").input("Yoga at the block")
    at.selectbox(key="svcnew_category").set_value("respite_wellbeing")
    at.number_input(key="svcnew_min_age").set_value(30)
    at.number_input(key="svcnew_max_age").set_value(20)
    click(at, "Guardar servicio")
    assert "La edad máxima debe ser mayor que la mínima." in texts(at)
    at.number_input(key="svcnew_max_age").set_value(90)
    click(at, "Guardar servicio")
    assert "Servicio guardado." in texts(at)
    assert db.execute("SELECT audience, care_hours_rule FROM services WHERE code = 'YOGA'").fetchone() == (
        "caregiver",
        "simultaneity",
    )
