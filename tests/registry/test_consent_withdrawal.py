"""Withdrawing the registration consent stops new processing: no booking, care
place, laundry load or enrolment, whichever path tries; her file says so."""

import datetime as dt
import sqlite3

import pytest

from caremgmt.casework import outcomes
from caremgmt.registry import persons
from caremgmt.scheduling import booking, laundry, timetable
from tests.factories import RESEARCH_CONSENT, TODAY, caregiver_data, child_data, schedule_data
from tests.pages.apptest import open_page, texts


@pytest.fixture
def withdrawn(db, admin, frontdesk, clock_at):
    clock_at(dt.datetime(2026, 11, 20, 9, 0))
    ana = persons.register_caregiver(db, frontdesk, caregiver_data(), [child_data()], RESEARCH_CONSENT, today=TODAY)
    timetable.create_schedule(db, admin, schedule_data(db))
    timetable.create_schedule(
        db, admin, schedule_data(db, "INFANCIA", start_time="07:30", end_time="11:30", capacity=10)
    )
    timetable.create_schedule(
        db, admin, schedule_data(db, "LAVANDERIA", start_time="08:00", end_time="09:00", slot_minutes=60, capacity=3)
    )
    registration = next(
        c["id"] for c in persons.get_person(db, frontdesk, ana)["consents"] if c["purpose"] == "registration"
    )
    persons.withdraw_consent(db, frontdesk, registration)
    return ana


def first_session(db, code: str) -> int:
    return db.execute(
        "SELECT s.id FROM sessions s JOIN services v ON v.id = s.service_id WHERE v.code = ? ORDER BY s.starts_at",
        [code],
    ).fetchone()[0]


def test_no_new_booking_laundry_or_enrolment_after_she_withdraws(db, frontdesk, withdrawn):
    with pytest.raises(booking.BookingRefused) as refused:
        booking.book(db, frontdesk, first_session(db, "BACHILLERATO"), withdrawn)
    assert refused.value.message.key == "error.registration_withdrawn"
    with pytest.raises(booking.BookingRefused):
        laundry.book_load(db, frontdesk, first_session(db, "LAVANDERIA"), withdrawn)
    with pytest.raises(outcomes.OutcomeRefused) as refused:
        outcomes.apply(db, frontdesk, withdrawn, next(iter(outcomes.PROGRAMMES)))
    assert refused.value.message.key == "error.registration_withdrawn"
    assert db.execute("SELECT count(*) FROM participants").fetchone()[0] == 0
    # The database refuses too, whatever code path tries.
    with pytest.raises(sqlite3.IntegrityError, match="registration_withdrawn"), db.conn:
        db.execute(
            "INSERT INTO participants (session_id, person_id, status, booked_at, changed_at)"
            " VALUES (?, ?, 'booked', '2026-11-20', '2026-11-20')",
            [first_session(db, "BACHILLERATO"), withdrawn],
        )


def test_her_dependants_stay_bookable_and_her_consent_given_again_lifts_the_stop(db, frontdesk, withdrawn):
    child = persons.get_person(db, frontdesk, withdrawn)["cares_for"][0]["id"]
    assert booking.book(db, frontdesk, first_session(db, "INFANCIA"), child)[0].status == "booked"
    persons.give_consent(db, frontdesk, withdrawn, "registration")
    assert booking.book(db, frontdesk, first_session(db, "BACHILLERATO"), withdrawn)[0].status == "booked"


def test_her_file_shows_the_withdrawal(db, frontdesk, withdrawn):
    at = open_page(frontdesk, "pages/desk/person.py", person_id=withdrawn)
    assert "Retiró su autorización de tratamiento de datos el" in texts(at)
    assert "No se le pueden hacer reservas ni inscripciones nuevas" in texts(at)
