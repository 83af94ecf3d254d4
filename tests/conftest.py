import datetime as dt

import pytest

from caremgmt.casework import outcomes
from caremgmt.core import auth
from caremgmt.core.db import connect
from caremgmt.registry import persons
from caremgmt.scheduling import attendance, booking, laundry, timetable
from caremgmt.setup import initialize
from caremgmt.tools import demo_city
from tests.factories import (
    NOW,
    RESEARCH_CONSENT,
    TODAY,
    caregiver_data,
    child_data,
    schedule_data,
    with_second_factor,
)

# scrypt at the production cost (OWASP's N=2**17) takes 128 MiB and a third of a second
# per hash, and the suite makes hundreds of accounts: tests hash at a low cost instead.
# Subprocesses (the command line, the browser tests' server) keep the production cost,
# which tests/core/test_login_protection.py checks.
auth.SCRYPT = {"n": 2**10, "r": 8, "p": 1}


@pytest.fixture
def db_file(tmp_path, monkeypatch):
    path = str(tmp_path / "caremgmt.db")
    monkeypatch.setenv("CAREMGMT_DB", path)
    return path


@pytest.fixture
def db(db_file):
    database = initialize(db_file)
    yield database
    database.close()


@pytest.fixture
def admin(db):
    return with_second_factor(db, auth.create_first_admin(db, "admin", "clave-de-la-jefa-1"))


@pytest.fixture
def frontdesk(db, admin):
    return auth.create_user(db, admin, "recepcion", "desk-password-1", "frontdesk", "BOSA")


@pytest.fixture
def evaluator(db, admin):
    return with_second_factor(db, auth.create_user(db, admin, "evaluadora", "eval-password-1", "evaluator"))


@pytest.fixture
def clock_at(monkeypatch):
    """Set Bogotá's wall clock: clock_at(datetime). Starts at NOW."""
    from caremgmt.core import clock

    def set_time(moment: dt.datetime) -> None:
        monkeypatch.setattr(clock, "now_local", lambda: moment)
        monkeypatch.setattr(clock, "today", lambda: moment.date())

    set_time(NOW)
    return set_time


@pytest.fixture(scope="session")
def programme(tmp_path_factory):
    """A generated programme (demo --scale small), built once per test run."""
    path = str(tmp_path_factory.mktemp("facts") / "small.db")
    initialize(path).close()
    db = connect(path)
    demo_city.generate(db, "small")
    db.close()
    return path


@pytest.fixture
def city(programme, tmp_path):
    """A private copy of the generated programme for each test."""
    path = tmp_path / "copy.db"
    source = connect(programme)
    source.execute("VACUUM INTO ?", [str(path)])
    source.close()
    db = connect(str(path))
    yield db
    db.close()


@pytest.fixture
def january(db, admin, frontdesk, clock_at):
    """January 2026. Ana (BOSA) and her son Leo; Bea (KENNEDY), no dependants.
    Wednesdays 7, 14, 21 and 28 Jan: a 3-hour class 08-11 and childcare 07:30-11:30 at BOSA;
    Tuesday 13 Jan: a 2-hour class at KENNEDY; laundry at BOSA on 6 and 7 Jan."""
    clock_at(dt.datetime(2026, 1, 2, 9, 0))
    ana = persons.register_caregiver(
        db, frontdesk, caregiver_data(), [child_data(birth_date="2023-06-01")], RESEARCH_CONSENT, today=TODAY
    )
    leo = persons.get_person(db, frontdesk, ana)["cares_for"][0]["id"]
    bea = persons.register_caregiver(
        db,
        frontdesk,
        caregiver_data(
            doc_number="41555666",
            first_names="Beatriz",
            last_names="Suárez Ríos",
            birth_date="1950-02-02",
            phone="",
            home_block="KENNEDY",
            locality_code=8,
        ),
        [],
        RESEARCH_CONSENT,
        today=TODAY,
    )
    db.execute("UPDATE persons SET created_at = '2026-01-02T15:00:00+00:00'")
    jan = {"start_date": "2026-01-07", "end_date": "2026-01-28"}
    timetable.create_schedule(db, admin, schedule_data(db, weekdays=[2], capacity=4, **jan))
    timetable.create_schedule(
        db, admin, schedule_data(db, "INFANCIA", weekdays=[2], start_time="07:30", end_time="11:30", capacity=10, **jan)
    )
    timetable.create_schedule(
        db,
        admin,
        schedule_data(
            db,
            "RESPIRO",
            weekdays=[1],
            block_code="KENNEDY",
            start_time="14:00",
            end_time="16:00",
            capacity=10,
            start_date="2026-01-13",
            end_date="2026-01-13",
        ),
    )
    timetable.create_schedule(
        db,
        admin,
        schedule_data(
            db,
            "LAVANDERIA",
            weekdays=[1, 2],
            start_time="08:00",
            end_time="09:00",
            slot_minutes=60,
            capacity=3,
            start_date="2026-01-06",
            end_date="2026-01-07",
        ),
    )
    by_code = {}
    for sid, code in db.execute(
        "SELECT s.id, v.code FROM sessions s JOIN services v ON v.id = s.service_id ORDER BY s.starts_at"
    ):
        by_code.setdefault(code, []).append(sid)
    classes, care = by_code["BACHILLERATO"], by_code["INFANCIA"]
    for cls, kid in zip(classes, care, strict=True):
        booking.book(db, frontdesk, cls, ana, care={leo: kid})
    booking.book(db, admin, by_code["RESPIRO"][0], bea)  # KENNEDY: not the BOSA desk's to book
    wash1 = laundry.book_load(db, frontdesk, by_code["LAVANDERIA"][0], ana)
    wash2 = laundry.book_load(db, frontdesk, by_code["LAVANDERIA"][1], ana)
    clock_at(dt.datetime(2026, 1, 31, 18, 0))
    # Ana attends the class on 7, 14 and 21 Jan (absent on 28); Leo is in care on 7 and 14 only.
    for cls, status in zip(classes, ["present", "present", "present", "absent"], strict=True):
        attendance.save_roster(db, frontdesk, cls, {ana: status})
    for kid, status in zip(care, ["present", "present", "absent", "absent"], strict=True):
        attendance.save_roster(db, frontdesk, kid, {leo: status})
    attendance.save_roster(db, admin, by_code["RESPIRO"][0], {bea: "present"})
    for state in ("dropped_off", "ready", "collected"):
        laundry.advance(db, frontdesk, wash1.participant_id, state)
    laundry.advance(db, frontdesk, wash2.participant_id, "no_show")
    outcomes.record_outcome(
        db, frontdesk, ana, {"kind": "secondary_diploma", "achieved_on": "2026-01-20", "institution": "IED Bosa"}
    )
    outcomes.record_outcome(db, admin, bea, {"kind": "job", "achieved_on": "2026-01-25"})
    return {"ana": ana, "leo": leo, "bea": bea}
