"""What the desk is told before it acts: attendance only once a session has
started, a no-show only once the slot has, whether she may book a laundry load
before a slot is chosen, and which sessions she already holds."""

import datetime as dt

import pytest

from caremgmt.core.errors import ValidationError
from caremgmt.registry import persons
from caremgmt.scheduling import attendance, booking, laundry, timetable
from caremgmt.scheduling.booking import BookingRefused
from tests.factories import CONSENT, TODAY, caregiver_data, laundry_slots, person, schedule_data

MONDAY = dt.date(2026, 11, 23)


def at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(MONDAY, dt.time(hour, minute))


@pytest.fixture
def afternoon_class(db, admin, clock_at):
    """A class on Monday 23 Nov, 14:00-16:00 at BOSA, made on Saturday."""
    timetable.create_schedule(
        db,
        admin,
        schedule_data(db, start_date="2026-11-23", end_date="2026-11-23", start_time="14:00", end_time="16:00"),
    )
    return db.execute("SELECT id FROM sessions").fetchone()[0]


def test_attendance_is_refused_before_the_session_starts_saying_from_when(db, frontdesk, afternoon_class, clock_at):
    a = person(db, frontdesk, 1)
    booking.book(db, frontdesk, afternoon_class, a)
    clock_at(at(13, 59))  # the same day, a minute before
    with pytest.raises(ValidationError) as info:
        attendance.save_roster(db, frontdesk, afternoon_class, {a: "present"})
    said = info.value.errors["session"]
    assert said.render("es") == "La asistencia se puede tomar desde las 14:00 del 23/11/2026."
    assert said.render("en") == "Attendance can be taken from 14:00 on Nov 23, 2026."
    assert db.execute("SELECT count(*) FROM attendance").fetchone()[0] == 0
    # The page can say so before anyone tries: the same message.
    assert attendance.refusal(timetable.get_session(db, afternoon_class)) == said
    clock_at(at(14, 0))
    assert attendance.refusal(timetable.get_session(db, afternoon_class)) is None
    assert attendance.save_roster(db, frontdesk, afternoon_class, {a: "present"}) == 1


def test_the_roster_presets_present_only_once_the_session_has_started(db, frontdesk, afternoon_class, clock_at):
    a = person(db, frontdesk, 1)
    booking.book(db, frontdesk, afternoon_class, a)
    clock_at(at(9, 0))
    assert [r["status"] for r in attendance.roster(db, frontdesk, afternoon_class)] == [None]
    clock_at(at(14, 5))
    assert [r["status"] for r in attendance.roster(db, frontdesk, afternoon_class)] == ["present"]


def test_a_cancelled_session_is_explained_before_anyone_tries(db, admin, afternoon_class, clock_at):
    timetable.cancel_session(db, admin, afternoon_class)
    clock_at(at(15, 0))
    assert attendance.refusal(timetable.get_session(db, afternoon_class)).key == "error.session_cancelled"


# --- laundry ---------------------------------------------------------------


@pytest.fixture
def slots(db, admin, clock_at):
    """Drop-off slots 08-09 and 09-10 at BOSA, Monday 23 to Wednesday 25 Nov, two loads each."""
    return laundry_slots(db, admin, [0, 1, 2], "2026-11-23", "2026-11-25", capacity=2)


def test_laundry_standing_says_whether_she_may_book_before_a_slot_is_chosen(db, frontdesk, slots):
    mother = person(db, frontdesk, 1)
    standing = laundry.standing(db, frontdesk, mother, MONDAY)
    assert (standing.used, standing.limit, standing.reason, standing.message) == (0, 2, None, None)
    laundry.book_load(db, frontdesk, slots[0], mother)
    laundry.book_load(db, frontdesk, slots[2], mother)
    standing = laundry.standing(db, frontdesk, mother, MONDAY)
    assert (standing.used, standing.reason) == (2, "weekly_limit")
    assert standing.message.render("es") == "Ya tiene 2 cargas esta semana: es el máximo."
    # Every slot of the day says why she cannot take it.
    assert [s["blocked"] for s in laundry.open_slots(db, frontdesk, "BOSA", MONDAY, mother)] == [
        "held",
        "weekly_limit",
    ]
    alone = persons_without_dependants(db, frontdesk)
    standing = laundry.standing(db, frontdesk, alone, MONDAY)
    assert standing.reason == "not_eligible" and standing.message.key == "error.laundry_not_eligible"
    assert {s["blocked"] for s in laundry.open_slots(db, frontdesk, "BOSA", MONDAY, alone)} == {"not_eligible"}


def test_a_full_slot_is_marked_full_and_the_others_free(db, frontdesk, slots):
    for i in range(2):
        laundry.book_load(db, frontdesk, slots[0], person(db, frontdesk, i))
    third = person(db, frontdesk, 3)
    shown = laundry.open_slots(db, frontdesk, "BOSA", MONDAY, third)
    assert [(s["free"], s["blocked"]) for s in shown] == [(0, "full"), (2, None)]


def test_a_no_show_can_be_marked_only_once_the_slot_has_started(db, frontdesk, slots, clock_at):
    mother = person(db, frontdesk, 1)
    load = laundry.book_load(db, frontdesk, slots[0], mother)
    clock_at(at(7, 45))
    [row] = laundry.queue(db, frontdesk, "BOSA", MONDAY)
    assert laundry.next_states(row) == ("dropped_off",)
    with pytest.raises(ValidationError) as info:
        laundry.advance(db, frontdesk, load.participant_id, "no_show")
    assert (
        info.value.errors["load_status"].render("es") == "Se puede marcar que no llegó desde las 08:00 del 23/11/2026."
    )
    assert db.execute("SELECT count(*) FROM attendance").fetchone()[0] == 0
    clock_at(at(8, 0))
    [row] = laundry.queue(db, frontdesk, "BOSA", MONDAY)
    assert laundry.next_states(row) == ("dropped_off", "no_show")
    laundry.advance(db, frontdesk, load.participant_id, "no_show")
    assert db.execute("SELECT status FROM attendance").fetchall() == [("absent",)]


def persons_without_dependants(db, user) -> int:
    return persons.register_caregiver(
        db,
        user,
        caregiver_data(doc_number="77665544", first_names="Sola", last_names="Sin Cargo", phone=""),
        [],
        CONSENT,
        today=TODAY,
    )


# --- booking -----------------------------------------------------------------


@pytest.fixture
def class_sessions(db, admin, clock_at):
    """A class on Mondays and Wednesdays from 23 Nov, 08:00-11:00 at BOSA, two places."""
    schedule_id, _ = timetable.create_schedule(db, admin, schedule_data(db, end_date="2026-12-02"))
    return schedule_id, [r[0] for r in db.execute("SELECT id FROM sessions ORDER BY starts_at")]


def test_upcoming_sessions_say_which_she_holds_and_leave_out_those_started(db, frontdesk, class_sessions, clock_at):
    _, sessions = class_sessions
    a = person(db, frontdesk, 1)
    booking.book(db, frontdesk, sessions[0], a)
    for i in (2, 3):
        booking.book(db, frontdesk, sessions[1], person(db, frontdesk, i))
    booking.book(db, frontdesk, sessions[1], a)  # full: the waitlist
    held = [(s["id"], s["held"]) for s in booking.upcoming(db, frontdesk, "BOSA", a, 28)]
    assert held == [(sessions[0], "booked"), (sessions[1], "waitlisted"), (sessions[2], None), (sessions[3], None)]
    clock_at(at(8, 0))  # Monday's class has started: it cannot be booked any more
    assert [s["id"] for s in booking.upcoming(db, frontdesk, "BOSA", a, 28)] == sessions[1:]


def test_a_series_books_the_sessions_she_does_not_hold_yet(db, frontdesk, class_sessions):
    schedule_id, sessions = class_sessions
    a = person(db, frontdesk, 1)
    booking.book(db, frontdesk, sessions[1], a)
    booked = booking.book_series(db, frontdesk, schedule_id, a)
    assert sorted(b.session_id for b in booked) == sorted(set(sessions) - {sessions[1]})
    with pytest.raises(BookingRefused) as info:
        booking.book_series(db, frontdesk, schedule_id, a)
    assert info.value.message.key == "error.already_booked"
    assert db.execute("SELECT count(*) FROM participants WHERE person_id = ?", [a]).fetchone()[0] == len(sessions)
