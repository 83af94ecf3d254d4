import datetime as dt
import threading

import pytest

from caremgmt.core.db import connect
from caremgmt.registry import persons
from caremgmt.scheduling import booking, timetable
from caremgmt.scheduling.booking import BookingRefused
from tests.factories import person, schedule_data


@pytest.fixture
def class_sessions(db, admin, clock_at):
    schedule_id, _ = timetable.create_schedule(db, admin, schedule_data(db))
    return schedule_id, [r[0] for r in db.execute("SELECT id FROM sessions ORDER BY starts_at")]


def status_of(db, participant_id):
    return db.execute("SELECT status FROM participants WHERE id = ?", [participant_id]).fetchone()[0]


def test_full_session_waitlists_with_position_and_cancellation_promotes(db, frontdesk, class_sessions):
    _, sessions = class_sessions
    people = [person(db, frontdesk, i) for i in range(4)]
    results = [booking.book(db, frontdesk, sessions[0], p)[0] for p in people]
    assert [(r.status, r.position) for r in results] == [
        ("booked", None),
        ("booked", None),
        ("waitlisted", 1),
        ("waitlisted", 2),
    ]
    assert timetable.get_session(db, sessions[0])["booked_count"] == 2
    promoted = booking.cancel(db, frontdesk, results[0].participant_id)
    assert promoted == [results[2].participant_id]
    assert status_of(db, results[2].participant_id) == "booked"
    assert booking.waitlist_position(db, results[3].participant_id, sessions[0]) == 1
    entry = db.execute("SELECT person_id, detail FROM audit_log WHERE action = 'promote'").fetchone()
    assert entry == (people[2], f"place freed by {results[0].participant_id}")


def test_refusals_have_reasons_and_change_nothing(db, frontdesk, admin, class_sessions, clock_at):
    _, sessions = class_sessions
    caregiver = person(db, frontdesk, 1)
    child = persons.get_person(db, frontdesk, caregiver)["cares_for"][0]["id"]
    booking.book(db, frontdesk, sessions[0], caregiver)
    before = db.execute("SELECT count(*) FROM participants").fetchone()[0]
    cases = []
    with pytest.raises(BookingRefused) as info:
        booking.book(db, frontdesk, sessions[0], caregiver)
    cases.append(info.value.message.key)
    with pytest.raises(BookingRefused) as info:
        booking.book(db, frontdesk, sessions[0], child)  # a class for caregivers
    cases.append(info.value.message.key)
    timetable.cancel_session(db, admin, sessions[1])
    with pytest.raises(BookingRefused) as info:
        booking.book(db, frontdesk, sessions[1], caregiver)
    cases.append(info.value.message.key)
    clock_at(dt.datetime(2026, 11, 23, 9, 0))
    with pytest.raises(BookingRefused) as info:
        booking.book(db, frontdesk, sessions[0], person(db, frontdesk, 2))
    cases.append(info.value.message.key)
    assert cases == ["error.already_booked", "error.not_caregiver", "error.session_cancelled", "error.session_past"]
    assert db.execute("SELECT count(*) FROM participants").fetchone()[0] == before


def test_overlapping_booking_for_the_same_person_is_refused_by_the_database(db, frontdesk, admin, class_sessions):
    _, sessions = class_sessions
    other, _ = timetable.create_schedule(
        db, admin, schedule_data(db, "DIGITAL", start_time="10:00", end_time="12:00", capacity=5)
    )
    overlapping = db.execute("SELECT id FROM sessions WHERE schedule_id = ? ORDER BY starts_at", [other]).fetchone()[0]
    caregiver = person(db, frontdesk, 1)
    booking.book(db, frontdesk, sessions[0], caregiver)
    with pytest.raises(BookingRefused) as info:
        booking.book(db, frontdesk, overlapping, caregiver)
    assert info.value.message.key == "error.overlap"


def test_caregiver_and_child_booked_in_one_step(db, frontdesk, admin, class_sessions):
    _, sessions = class_sessions
    timetable.create_schedule(
        db, admin, schedule_data(db, "INFANCIA", start_time="07:30", end_time="11:30", capacity=10)
    )
    timetable.create_schedule(
        db, admin, schedule_data(db, "MAYORES", start_time="07:30", end_time="11:30", capacity=10)
    )
    caregiver = person(db, frontdesk, 1)
    [offer] = booking.care_offers(db, frontdesk, sessions[0], caregiver)
    assert [s["name_es"] for s in offer["sessions"]] == ["Cuidado y educación inicial (0 a 5 años)"]
    assert offer["sessions"][0]["covers_all"]
    results = booking.book(
        db, frontdesk, sessions[0], caregiver, care={offer["person"]["id"]: offer["sessions"][0]["id"]}
    )
    assert [r.status for r in results] == ["booked", "booked"]
    linked = db.execute(
        "SELECT care_for_participant FROM participants WHERE person_id = ?", [offer["person"]["id"]]
    ).fetchone()[0]
    assert linked == results[0].participant_id
    booking.cancel(db, frontdesk, results[0].participant_id)  # cancelling hers cancels the child's care too
    assert status_of(db, results[1].participant_id) == "cancelled"


def test_series_booking_is_all_or_nothing(db, frontdesk, admin, class_sessions):
    schedule_id, sessions = class_sessions
    caregiver = person(db, frontdesk, 1)
    bookings = booking.book_series(db, frontdesk, schedule_id, caregiver)
    assert len(bookings) == len(sessions) and {b.status for b in bookings} == {"booked"}
    other = person(db, frontdesk, 2)
    clash, _ = timetable.create_schedule(
        db,
        admin,
        schedule_data(db, "DIGITAL", weekdays=[2], start_date="2026-12-09", end_date="2026-12-09", capacity=5),
    )
    booking.book(
        db, frontdesk, db.execute("SELECT id FROM sessions WHERE schedule_id = ?", [clash]).fetchone()[0], other
    )
    with pytest.raises(BookingRefused) as info:
        booking.book_series(db, frontdesk, schedule_id, other)
    assert info.value.message.key == "error.series_refused" and info.value.message.params["day"] == "2026-12-09"
    assert db.execute("SELECT count(*) FROM participants WHERE person_id = ?", [other]).fetchone()[0] == 1


def test_two_desks_booking_the_last_place_at_once(db_file, db, frontdesk, admin, clock_at):
    """Real file, real threads, separate connections: exactly one gets the place."""
    timetable.create_schedule(db, admin, schedule_data(db, capacity=1, end_date="2026-11-23"))
    session_id = db.execute("SELECT id FROM sessions").fetchone()[0]
    people = [person(db, frontdesk, i, with_child=False) for i in range(8)]
    barrier = threading.Barrier(len(people))
    outcomes, errors = [], []

    def desk(person_id):
        conn = connect(db_file)
        try:
            barrier.wait()
            outcomes.append(booking.book(conn, frontdesk, session_id, person_id)[0].status)
        except Exception as e:
            errors.append(e)
        finally:
            conn.close()

    threads = [threading.Thread(target=desk, args=(p,)) for p in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(outcomes) == ["booked"] + ["waitlisted"] * 7
    assert db.execute("SELECT booked_count FROM sessions WHERE id = ?", [session_id]).fetchone()[0] == 1
    positions = [
        r[0]
        for r in db.execute(
            "SELECT count(*) FROM participants w JOIN participants p ON w.session_id = p.session_id"
            " AND w.status = 'waitlisted' AND w.id <= p.id WHERE p.status = 'waitlisted' GROUP BY p.id ORDER BY p.id"
        )
    ]
    assert positions == list(range(1, 8))


def test_capacity_is_a_database_constraint(db, frontdesk, admin, clock_at):
    timetable.create_schedule(db, admin, schedule_data(db, capacity=1, end_date="2026-11-23"))
    session_id = db.execute("SELECT id FROM sessions").fetchone()[0]
    a, b = person(db, frontdesk, 1, False), person(db, frontdesk, 2, False)
    booking.book(db, frontdesk, session_id, a)
    import sqlite3

    with pytest.raises(sqlite3.IntegrityError):
        db.execute(
            "INSERT INTO participants (session_id, person_id, status, booked_at, changed_at)"
            " VALUES (?, ?, 'booked', '', '')",
            [session_id, b],
        )


def test_care_already_running_can_take_the_child_but_her_class_must_not_have_started(db, frontdesk, admin, clock_at):
    timetable.create_schedule(
        db, admin, schedule_data(db, "DIGITAL", end_date="2026-11-23", start_time="10:00", end_time="12:00", capacity=5)
    )
    timetable.create_schedule(
        db,
        admin,
        schedule_data(db, "INFANCIA", end_date="2026-11-23", start_time="08:00", end_time="12:00", capacity=5),
    )
    class_id, care_id = [r[0] for r in db.execute("SELECT id FROM sessions ORDER BY schedule_id")]
    caregiver = person(db, frontdesk, 1)
    clock_at(dt.datetime(2026, 11, 23, 9, 30))
    [offer] = booking.care_offers(db, frontdesk, class_id, caregiver)
    assert [s["id"] for s in offer["sessions"]] == [care_id]
    results = booking.book(db, frontdesk, class_id, caregiver, care={offer["person"]["id"]: care_id})
    assert [r.status for r in results] == ["booked", "booked"]
    clock_at(dt.datetime(2026, 11, 23, 12, 0))
    assert booking.care_offers(db, frontdesk, class_id, caregiver)[0]["sessions"] == []
