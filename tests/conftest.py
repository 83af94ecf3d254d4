import datetime as dt

import pytest

from caremgmt import auth, demo_city
from caremgmt.db import connect
from caremgmt.setup import initialize

TODAY = dt.date(2026, 11, 21)


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
    return auth.create_first_admin(db, "admin", "admin-password-1")


@pytest.fixture
def frontdesk(db, admin):
    return auth.create_user(db, admin, "recepcion", "desk-password-1", "frontdesk", "BOSA")


@pytest.fixture
def evaluator(db, admin):
    return auth.create_user(db, admin, "evaluadora", "eval-password-1", "evaluator")


def caregiver_data(**overrides) -> dict:
    data = {
        "doc_type": "CC",
        "doc_number": "1.023.456.789",
        "first_names": "María José",
        "last_names": "Rodríguez Peña",
        "birth_date": "1985-03-14",
        "sex": "F",
        "gender_identity": "female",
        "phone": "300 123 4567",
        "locality_code": 7,
        "neighbourhood": "Bosa Centro",
        "stratum": 2,
        "ethnicity": "none",
        "disability": "none",
        "migrant_status": "colombian",
        "education_level": "secondary_incomplete",
        "care_hours_per_day": 10,
        "registration_channel": "front_desk",
        "home_block": "BOSA",
    }
    data.update(overrides)
    return data


def child_data(**overrides) -> dict:
    data = {
        "first_names": "Santiago",
        "last_names": "Rodríguez Peña",
        "birth_date": "2023-06-01",
        "sex": "M",
        "doc_type": "RC",
        "doc_number": "1029384756",
        "relationship": "child",
        "care_need": "child_under_6",
    }
    data.update(overrides)
    return data


CONSENT = {"registration": True, "reminders": True, "research": False}


NOW = dt.datetime(2026, 11, 21, 10, 0)  # a Saturday in Bogotá


@pytest.fixture
def clock_at(monkeypatch):
    """Set Bogotá's wall clock: clock_at(datetime). Starts at NOW."""
    from caremgmt import clock

    def set_time(moment: dt.datetime) -> None:
        monkeypatch.setattr(clock, "now_local", lambda: moment)
        monkeypatch.setattr(clock, "today", lambda: moment.date())

    set_time(NOW)
    return set_time


def service_id(db, code: str) -> int:
    return db.execute("SELECT id FROM services WHERE code = ?", [code]).fetchone()[0]


def schedule_data(db, code="BACHILLERATO", **overrides) -> dict:
    data = {
        "service_id": service_id(db, code), "block_code": "BOSA", "room": "Aula 1", "facilitator": "Prof. Gómez",
        "weekdays": [0, 2], "start_time": "08:00", "end_time": "11:00",
        "start_date": "2026-11-23", "end_date": "2026-12-31", "capacity": 2,
    }
    data.update(overrides)
    return data


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
