import datetime as dt
import sqlite3

import pytest

from caremgmt.core.errors import PermissionDenied, ValidationError
from caremgmt.scheduling import timetable
from tests.factories import schedule_data


def days(db, schedule_id):
    return [
        r[0][:10]
        for r in db.execute(
            "SELECT starts_at FROM sessions WHERE schedule_id = ? AND status = 'scheduled' ORDER BY starts_at",
            [schedule_id],
        )
    ]


def test_sessions_generated_on_weekdays_skipping_colombian_holidays(db, admin):
    schedule_id, made = timetable.create_schedule(
        db, admin, schedule_data(db, weekdays=[1, 4], start_date="2026-12-01", end_date="2026-12-31")
    )
    # Tuesdays and Fridays of December 2026, less 8 Dec (Immaculate Conception) and 25 Dec (Christmas).
    assert days(db, schedule_id) == [
        "2026-12-01",
        "2026-12-04",
        "2026-12-11",
        "2026-12-15",
        "2026-12-18",
        "2026-12-22",
        "2026-12-29",
    ]
    assert made == 7


def test_laundry_slots_are_back_to_back(db, admin):
    _schedule_id, made = timetable.create_schedule(
        db,
        admin,
        schedule_data(
            db,
            "LAVANDERIA",
            weekdays=[0],
            start_date="2026-11-23",
            end_date="2026-11-23",
            start_time="08:00",
            end_time="11:00",
            slot_minutes=60,
            capacity=6,
        ),
    )
    times = [(r[0][11:], r[1][11:]) for r in db.execute("SELECT starts_at, ends_at FROM sessions ORDER BY starts_at")]
    assert times == [("08:00", "09:00"), ("09:00", "10:00"), ("10:00", "11:00")] and made == 3


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"end_time": "07:00"}, "end_time"),
        ({"end_date": "2026-11-01"}, "end_date"),
        ({"capacity": 0}, "capacity"),
        ({"weekdays": []}, "weekdays"),
        ({"block_code": "NOWHERE"}, "block_code"),
        ({"end_date": "2031-01-01"}, "end_date"),
    ],
)
def test_invalid_schedule_is_refused_and_nothing_written(db, admin, overrides, field):
    with pytest.raises(ValidationError) as info:
        timetable.create_schedule(db, admin, schedule_data(db, **overrides))
    assert field in info.value.errors
    assert db.execute("SELECT count(*) FROM sessions").fetchone()[0] == 0


def test_only_coordinators_and_admins_schedule(db, frontdesk):
    with pytest.raises(PermissionDenied):
        timetable.create_schedule(db, frontdesk, schedule_data(db))


def test_cancel_move_add_and_end_early(db, admin):
    schedule_id, _ = timetable.create_schedule(db, admin, schedule_data(db))
    first, second = [r[0] for r in db.execute("SELECT id FROM sessions ORDER BY starts_at LIMIT 2")]
    timetable.cancel_session(db, admin, first, "facilitator ill")
    with pytest.raises(ValidationError):
        timetable.cancel_session(db, admin, first)
    timetable.move_session(db, admin, second, dt.date(2026, 11, 27), dt.time(14, 0), dt.time(17, 0), "Aula 3")
    moved = timetable.get_session(db, second)
    assert (moved["starts_at"], moved["ends_at"], moved["room"]) == ("2026-11-27T14:00", "2026-11-27T17:00", "Aula 3")
    extra = timetable.add_session(db, admin, schedule_id, dt.date(2026, 11, 28), dt.time(8, 0), dt.time(11, 0))
    assert timetable.get_session(db, extra)["capacity"] == 2
    cancelled = timetable.end_schedule(db, admin, schedule_id, dt.date(2026, 12, 9))
    assert days(db, schedule_id)[-1] == "2026-12-09"
    assert cancelled == 6  # 14, 16, 21, 23, 28 and 30 December
    actions = [r[0] for r in db.execute("SELECT action FROM audit_log WHERE entity IN ('session', 'schedule')")]
    assert actions == ["create", "update", "update", "create", "update"]


@pytest.fixture
def booked_morning_and_afternoon(db, admin, frontdesk, clock_at):
    """A caregiver booked into a class 08-11 and another 14-16 on Monday 23 Nov: (morning, afternoon) session ids."""
    from caremgmt.scheduling import booking
    from tests.factories import person

    timetable.create_schedule(db, admin, schedule_data(db, end_date="2026-11-23", capacity=5))
    timetable.create_schedule(
        db, admin, schedule_data(db, "DIGITAL", end_date="2026-11-23", start_time="14:00", end_time="16:00", capacity=5)
    )
    morning, afternoon = [r[0] for r in db.execute("SELECT id FROM sessions ORDER BY starts_at")]
    caregiver = person(db, frontdesk, 1)
    booking.book(db, frontdesk, morning, caregiver)
    booking.book(db, frontdesk, afternoon, caregiver)
    return morning, afternoon


def test_a_move_that_would_double_book_a_participant_is_refused(db, admin, booked_morning_and_afternoon):
    morning, _afternoon = booked_morning_and_afternoon
    with pytest.raises(ValidationError) as info:
        timetable.move_session(db, admin, morning, dt.date(2026, 11, 23), dt.time(15, 0), dt.time(17, 0))
    assert info.value.errors["start_time"].key == "error.move_overlap"
    with pytest.raises(ValidationError):
        timetable.move_session(db, admin, morning, dt.date(2026, 11, 20), dt.time(8, 0), dt.time(9, 0))  # the past
    timetable.move_session(db, admin, morning, dt.date(2026, 11, 23), dt.time(9, 0), dt.time(12, 0))


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (("08:00", "10:00"), ("10:00", "12:00"), False),  # touching: one ends as the next starts
        (("08:00", "10:00"), ("09:59", "12:00"), True),
        (("08:00", "12:00"), ("09:00", "10:00"), True),  # one inside the other
        (("08:00", "10:00"), ("08:00", "10:00"), True),  # the same times
        (("08:00", "09:00"), ("11:00", "12:00"), False),
        (("2026-11-23T08:00", "2026-11-23T10:00"), ("2026-11-24T08:00", "2026-11-24T10:00"), False),  # another day
    ],
)
def test_sessions_overlap_only_when_each_starts_before_the_other_ends(a, b, expected):
    def stamps(span):
        return tuple(t if "T" in t else f"2026-11-23T{t}" for t in span)

    a, b = stamps(a), stamps(b)
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE sessions (id INTEGER PRIMARY KEY, starts_at TEXT, ends_at TEXT)")
    conn.executemany("INSERT INTO sessions VALUES (?, ?, ?)", [(1, *a), (2, *b)])
    for first, second, x, y in ((a, b, 1, 2), (b, a, 2, 1)):  # the rule is symmetric
        assert timetable.overlaps(*first, *second) is expected
        by_alias = f"SELECT {timetable.overlap_sql('x', 'y')} FROM sessions x, sessions y WHERE x.id = ? AND y.id = ?"
        assert conn.execute(by_alias, [x, y]).fetchone()[0] == expected
        by_value = f"SELECT {timetable.overlap_sql('x', (':starts', ':ends'))} FROM sessions x WHERE x.id = :x"
        assert conn.execute(by_value, {"x": x, "starts": second[0], "ends": second[1]}).fetchone()[0] == expected


def test_a_move_may_end_as_another_booking_starts(db, admin, booked_morning_and_afternoon):
    morning, afternoon = booked_morning_and_afternoon
    timetable.move_session(db, admin, morning, dt.date(2026, 11, 23), dt.time(12, 0), dt.time(14, 0))
    with pytest.raises(ValidationError) as info:
        timetable.move_session(db, admin, morning, dt.date(2026, 11, 23), dt.time(12, 0), dt.time(14, 1))
    assert info.value.errors["start_time"].key == "error.move_overlap"
    timetable.move_session(db, admin, afternoon, dt.date(2026, 11, 23), dt.time(16, 0), dt.time(18, 0))


def test_a_service_is_named_in_the_readers_language_spanish_by_default(db):
    from caremgmt.scheduling import catalogue

    [laundry] = [s for s in catalogue.list_services(db) if s["code"] == "LAVANDERIA"]
    assert catalogue.service_name(laundry, "en") == laundry["name_en"]
    assert catalogue.service_name(laundry, "es") == catalogue.service_name(laundry, "fr") == laundry["name_es"]
    assert laundry["name_es"] != laundry["name_en"]
