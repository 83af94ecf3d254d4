import datetime as dt

import pytest

from caremgmt.core.errors import ValidationError
from caremgmt.registry import persons
from caremgmt.scheduling import attendance, booking, laundry, timetable
from caremgmt.scheduling.booking import BookingRefused
from caremgmt.scheduling.carehours import care_hours_freed
from tests.factories import laundry_slots, person, schedule_data

MONDAY = dt.datetime(2026, 11, 23, 12, 0)


@pytest.fixture
def monday_class(db, admin, clock_at):
    """A Monday 08:00-11:00 class and 07:30-11:30 childcare at BOSA, booked on Saturday."""
    timetable.create_schedule(db, admin, schedule_data(db, end_date="2026-11-23", capacity=10))
    timetable.create_schedule(
        db,
        admin,
        schedule_data(db, "INFANCIA", end_date="2026-11-23", start_time="07:30", end_time="11:30", capacity=10),
    )
    class_id, care_id = [r[0] for r in db.execute("SELECT id FROM sessions ORDER BY schedule_id")]
    return class_id, care_id


def test_roster_defaults_to_present_and_saving_twice_does_not_double_count(db, frontdesk, monday_class, clock_at):
    class_id, _ = monday_class
    a, b, walk_in = (person(db, frontdesk, i) for i in range(3))
    for p in (a, b):
        booking.book(db, frontdesk, class_id, p)
    clock_at(MONDAY)
    rows = attendance.roster(db, frontdesk, class_id)
    assert [(r["person_id"], r["status"], r["recorded"]) for r in rows] == [(a, "present", 0), (b, "present", 0)]
    assert attendance.save_roster(db, frontdesk, class_id, {a: "present", b: "absent"}, walk_ins=[walk_in]) == 3
    assert attendance.save_roster(db, frontdesk, class_id, {a: "present", b: "absent"}, walk_ins=[walk_in]) == 0
    counts = db.execute(
        "SELECT status, count(*), sum(quantity) FROM attendance GROUP BY status ORDER BY status"
    ).fetchall()
    assert counts == [("absent", 1, 0.0), ("present", 2, 6.0)]
    attendance.save_roster(db, frontdesk, class_id, {b: "excused"})
    assert db.execute("SELECT status FROM attendance WHERE person_id = ?", [b]).fetchone()[0] == "excused"
    assert db.execute("SELECT count(*) FROM attendance").fetchone()[0] == 3


def test_roster_refuses_future_or_cancelled_sessions_and_bad_status(db, frontdesk, admin, monday_class, clock_at):
    class_id, care_id = monday_class
    a = person(db, frontdesk, 1)
    with pytest.raises(ValidationError) as info:
        attendance.save_roster(db, frontdesk, class_id, {a: "present"})  # it is still Saturday
    assert info.value.errors["session"].key == "error.attendance_not_yet"
    clock_at(MONDAY)
    with pytest.raises(ValidationError):
        attendance.save_roster(db, frontdesk, class_id, {a: "sleeping"})
    timetable.cancel_session(db, admin, care_id)
    with pytest.raises(ValidationError):
        attendance.save_roster(db, frontdesk, care_id, {a: "present"})
    assert db.execute("SELECT count(*) FROM attendance").fetchone()[0] == 0


def test_three_consecutive_absences_flag_a_person(db, frontdesk, admin, clock_at):
    schedule_id, _ = timetable.create_schedule(db, admin, schedule_data(db, end_date="2026-12-07", capacity=10))
    sessions = [r[0] for r in db.execute("SELECT id FROM sessions ORDER BY starts_at")]
    a = person(db, frontdesk, 1)
    booking.book_series(db, frontdesk, schedule_id, a)
    clock_at(dt.datetime(2026, 12, 7, 12, 0))
    for session_id, status in zip(sessions, ["present", "excused", "absent", "excused", "absent"], strict=True):
        attendance.save_roster(db, frontdesk, session_id, {a: status})
    assert attendance.summary(db, frontdesk, a)["flagged"] is False
    attendance.save_roster(db, frontdesk, sessions[3], {a: "absent"})
    summary = attendance.summary(db, frontdesk, a)
    assert summary["absence_streak"] == 3 and summary["flagged"] is True
    assert summary["counts"] == {"present": 1, "excused": 1, "absent": 3}


# --- care hours freed: hand-computed examples --------------------------------


def test_care_hours_count_only_with_simultaneous_care(db, frontdesk, monday_class, clock_at):
    class_id, care_id = monday_class
    with_care, without_care = person(db, frontdesk, 1), person(db, frontdesk, 2)
    child = persons.get_person(db, frontdesk, with_care)["cares_for"][0]["id"]
    booking.book(db, frontdesk, class_id, with_care, care={child: care_id})
    booking.book(db, frontdesk, class_id, without_care)
    clock_at(MONDAY)
    attendance.save_roster(db, frontdesk, class_id, {with_care: "present", without_care: "present"})
    attendance.save_roster(db, frontdesk, care_id, {child: "present"})
    # Her 3-hour class overlaps her child's childcare at the same block: 3 hours.
    assert care_hours_freed(db, person_id=with_care).hours == 3.0
    # No one she cares for was in care at the time: nothing freed.
    assert care_hours_freed(db, person_id=without_care).hours == 0
    # The child absent from care: nothing freed either.
    attendance.save_roster(db, frontdesk, care_id, {child: "absent"})
    assert care_hours_freed(db, person_id=with_care).hours == 0


def test_care_elsewhere_or_at_another_time_does_not_count(db, frontdesk, admin, clock_at):
    timetable.create_schedule(db, admin, schedule_data(db, end_date="2026-11-23", capacity=10))
    timetable.create_schedule(
        db,
        admin,
        schedule_data(db, "INFANCIA", end_date="2026-11-23", start_time="13:00", end_time="16:00", capacity=10),
    )
    timetable.create_schedule(
        db,
        admin,
        schedule_data(
            db,
            "INFANCIA",
            end_date="2026-11-23",
            block_code="KENNEDY",
            start_time="08:00",
            end_time="11:00",
            capacity=10,
        ),
    )
    class_id, afternoon_care, other_block_care = [
        r[0] for r in db.execute("SELECT id FROM sessions ORDER BY schedule_id")
    ]
    mother = person(db, frontdesk, 1)
    child = persons.get_person(db, frontdesk, mother)["cares_for"][0]["id"]
    booking.book(db, frontdesk, class_id, mother)
    clock_at(dt.datetime(2026, 11, 23, 18, 0))
    attendance.save_roster(db, frontdesk, class_id, {mother: "present"})
    attendance.save_roster(db, frontdesk, afternoon_care, {}, walk_ins=[child])
    assert care_hours_freed(db, person_id=mother).hours == 0
    attendance.save_roster(db, admin, other_block_care, {}, walk_ins=[child])  # KENNEDY's roster
    assert care_hours_freed(db, person_id=mother).hours == 0


# --- laundry -------------------------------------------------------------


@pytest.fixture
def slots(db, admin, clock_at):
    return laundry_slots(db, admin, [0, 1, 2, 3, 4], "2026-11-23", "2026-12-04", capacity=2)


def test_laundry_load_lifecycle_counts_hours_per_collected_load(db, frontdesk, slots, clock_at):
    mother = person(db, frontdesk, 1)
    load = laundry.book_load(db, frontdesk, slots[0], mother)
    assert load.status == "booked"
    clock_at(dt.datetime(2026, 11, 23, 8, 10))
    assert [q["load_status"] for q in laundry.queue(db, frontdesk, "BOSA", dt.date(2026, 11, 23))] == ["booked"]
    with pytest.raises(ValidationError):
        laundry.advance(db, frontdesk, load.participant_id, "collected")  # not yet washed
    for state in ("dropped_off", "ready", "collected"):
        laundry.advance(db, frontdesk, load.participant_id, state)
    # One collected load frees 67 minutes (1.1167 h), the city's figure.
    assert care_hours_freed(db, person_id=mother).hours == pytest.approx(1.12, abs=0.01)
    assert db.execute("SELECT status, quantity FROM attendance").fetchall() == [("present", 1.0)]


def test_laundry_refuses_ineligible_full_and_over_limit(db, frontdesk, slots, clock_at):
    from tests.factories import CONSENT, TODAY, caregiver_data

    no_dependants = persons.register_caregiver(
        db,
        frontdesk,
        caregiver_data(doc_number="77665544", first_names="Sola", last_names="Sin Cargo", phone=""),
        [],
        CONSENT,
        today=TODAY,
    )
    with pytest.raises(BookingRefused) as info:
        laundry.book_load(db, frontdesk, slots[0], no_dependants)
    assert info.value.message.key == "error.laundry_not_eligible"
    a, b, c = (person(db, frontdesk, i) for i in range(3))
    laundry.book_load(db, frontdesk, slots[0], a)
    laundry.book_load(db, frontdesk, slots[0], b)
    with pytest.raises(BookingRefused) as info:
        laundry.book_load(db, frontdesk, slots[0], c)
    assert info.value.message.key == "error.session_full"
    laundry.book_load(db, frontdesk, slots[2], a)  # second load this week: the default limit
    with pytest.raises(BookingRefused) as info:
        laundry.book_load(db, frontdesk, slots[4], a)
    assert info.value.message.key == "error.laundry_limit"
    laundry.book_load(db, frontdesk, slots[10], a)  # next week is a new week
    assert db.execute("SELECT count(*) FROM participants WHERE person_id = ?", [a]).fetchone()[0] == 3


def test_no_show_frees_the_weekly_quota_and_is_recorded_absent(db, frontdesk, admin, slots, clock_at):
    laundry.set_weekly_limit(db, admin, 1)
    a = person(db, frontdesk, 1)
    first = laundry.book_load(db, frontdesk, slots[0], a)
    with pytest.raises(BookingRefused):
        laundry.book_load(db, frontdesk, slots[2], a)
    clock_at(dt.datetime(2026, 11, 23, 9, 30))
    laundry.advance(db, frontdesk, first.participant_id, "no_show")
    assert db.execute("SELECT status FROM attendance").fetchall() == [("absent",)]
    assert laundry.book_load(db, frontdesk, slots[2], a).status == "booked"
