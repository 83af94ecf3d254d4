"""Test data shared by the test modules: people, schedules and the dates the tests live on."""

import datetime as dt
import os
import subprocess
import sys

import pyotp

from caremgmt.core import second_factor
from caremgmt.impact import metrics
from caremgmt.registry import persons
from caremgmt.scheduling import timetable

TODAY = dt.date(2026, 11, 21)
NOW = dt.datetime(2026, 11, 21, 10, 0)  # a Saturday in Bogotá
JAN = metrics.Filters(dt.date(2026, 1, 1), dt.date(2026, 1, 31))  # the month of the `january` fixture


# The secret in each account's authenticator app, by username: what her phone keeps (the
# test that set up her second factor took it from the enrolment, as her app reads the QR code).
PHONES: dict[str, str] = {}
STEP_SECONDS = 30  # a TOTP code's step


def with_second_factor(db, user, *, at: dt.datetime | None = None):
    """``user`` sets up her second factor as on her page: a new secret into her app,
    then the code it shows. Done an hour ago (``at``), so that every step since is
    hers to log in with (a code is refused for a step already used). Returns ``user``."""
    when = at or dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    enrolment = second_factor.begin(db, user, now=when)
    PHONES[user.username] = enrolment.secret
    second_factor.confirm(db, user, pyotp.TOTP(enrolment.secret).at(when.timestamp()), now=when)
    return user


def pass_second_factor(db, user, session_id: int) -> None:
    """She types her app's code into the login session ``session_id``: the code of the
    step after the last one she used (a fresh one, as her app shows every 30 seconds)."""
    (last,) = db.execute("SELECT last_step FROM second_factors WHERE user_id = ?", [user.id]).fetchone()
    when = dt.datetime.fromtimestamp((last + 1) * STEP_SECONDS, dt.UTC)
    second_factor.verify(db, user, pyotp.TOTP(PHONES[user.username]).at(when.timestamp()), session_id, now=when)


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
RESEARCH_CONSENT = {"registration": True, "research": True}  # microdata exports need research consent


def service_id(db, code: str) -> int:
    return db.execute("SELECT id FROM services WHERE code = ?", [code]).fetchone()[0]


def schedule_data(db, code="BACHILLERATO", **overrides) -> dict:
    data = {
        "service_id": service_id(db, code),
        "block_code": "BOSA",
        "room": "Aula 1",
        "facilitator": "Prof. Gómez",
        "weekdays": [0, 2],
        "start_time": "08:00",
        "end_time": "11:00",
        "start_date": "2026-11-23",
        "end_date": "2026-12-31",
        "capacity": 2,
    }
    data.update(overrides)
    return data


def person(db, user, n: int, with_child=True) -> int:
    """A distinct registered caregiver (and her child under 6) per ``n``."""
    tag = "".join("abcdefghij"[int(d)] for d in f"{n:03d}").capitalize()
    return persons.register_caregiver(
        db,
        user,
        caregiver_data(doc_number=f"5200{n:04d}", first_names="Cuidadora", last_names=f"Prueba {tag}", phone=""),
        [child_data(doc_number=f"10290{n:05d}", first_names="Niño", last_names=f"Prueba {tag}")] if with_child else [],
        CONSENT,
        today=TODAY,
        confirmed_new=True,
    )


def laundry_slots(db, admin, weekdays: list[int], start_date: str, end_date: str, capacity: int) -> list[int]:
    """Hourly drop-off slots 08-09 and 09-10 at BOSA on ``weekdays`` between the dates: their ids in time order."""
    schedule, _ = timetable.create_schedule(
        db,
        admin,
        schedule_data(
            db,
            "LAVANDERIA",
            weekdays=weekdays,
            start_date=start_date,
            end_date=end_date,
            start_time="08:00",
            end_time="10:00",
            slot_minutes=60,
            capacity=capacity,
        ),
    )
    return [r[0] for r in db.execute("SELECT id FROM sessions WHERE schedule_id = ? ORDER BY starts_at", [schedule])]


def cli(db_path, *args, password=None):
    """``python -m caremgmt ARGS`` on ``db_path``, the password (if any) from the environment."""
    env = {**os.environ, "CAREMGMT_DB": str(db_path)}
    env.pop("CAREMGMT_PASSWORD", None)
    if password:
        env["CAREMGMT_PASSWORD"] = password
    return subprocess.run(
        [sys.executable, "-m", "caremgmt", *args], env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL
    )
