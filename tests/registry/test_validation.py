import datetime as dt
import sqlite3

import numpy as np
import pytest

from caremgmt.casework import cases, outcomes
from caremgmt.core.errors import ValidationError
from caremgmt.core.i18n import t
from caremgmt.registry.validation import (
    age_from_date_numbers,
    age_on,
    age_sql,
    date_number_sql,
    normalize_phone,
    validate_cared_person,
    validate_caregiver,
    validate_dependent,
)
from caremgmt.scheduling import catalogue, laundry, timetable
from tests.factories import TODAY, caregiver_data, child_data, person, schedule_data

CONTEXT = {"localities": set(range(1, 21)), "blocks": {"BOSA"}}


def errors_of(data: dict) -> dict:
    with pytest.raises(ValidationError) as info:
        validate_caregiver(data, TODAY, **CONTEXT)
    return {field: message.key for field, message in info.value.errors.items()}


def test_valid_caregiver_is_cleaned():
    clean = validate_caregiver(caregiver_data(), TODAY, **CONTEXT)
    assert clean["doc_number"] == "1023456789"
    assert clean["phone"] == "+573001234567"
    assert clean["first_names"] == "María José"  # accents and compound names kept as typed
    assert clean["birth_date"] == "1985-03-14"


@pytest.mark.parametrize(
    "doc_type, number, key",
    [
        ("CC", "12AB45", "error.doc_format.CC"),
        ("CC", "12345678901", "error.doc_format.CC"),
        ("PEP", "12345", "error.doc_format.PEP"),
        ("PA", "A1", "error.doc_format.PA"),
        ("TI", "1234567890", "error.doc_max_age"),  # a 41-year-old cannot hold a TI
    ],
)
def test_document_rules_per_type(doc_type, number, key):
    errors = errors_of(caregiver_data(doc_type=doc_type, doc_number=number))
    assert key in errors.values()


def test_passport_accepts_letters_and_upper_cases_them():
    clean = validate_caregiver(caregiver_data(doc_type="PA", doc_number="ab123456"), TODAY, **CONTEXT)
    assert clean["doc_number"] == "AB123456"


def test_cc_requires_adult():
    errors = errors_of(caregiver_data(birth_date="2010-01-01"))
    assert errors["doc_type"] == "error.doc_min_age"


@pytest.mark.parametrize(
    "birth_date, key",
    [
        ("2026-11-22", "error.birth_date_future"),  # tomorrow
        ("2027-01-01", "error.birth_date_future"),
        ("1899-12-31", "error.birth_date_too_early"),
        ("1890-01-01", "error.birth_date_too_early"),
        ("0199-05-17", "error.birth_date_too_early"),  # 1990 typed with a digit missing
        ("1900-01-01", "error.implausible_age"),  # 126 years old
        (None, "error.required"),
        ("31/02/1990", "error.invalid_date"),
    ],
)
def test_birth_date(birth_date, key):
    assert errors_of(caregiver_data(birth_date=birth_date))["birth_date"] == key


def test_birth_date_messages_say_why_in_spanish_and_english():
    assert t("error.birth_date_future") == "La fecha de nacimiento no puede ser posterior a hoy."
    assert t("error.birth_date_future", "en") == "The birth date cannot be after today."
    with pytest.raises(ValidationError) as info:
        validate_caregiver(caregiver_data(birth_date="1890-01-01"), TODAY, **CONTEXT)
    message = info.value.errors["birth_date"]
    assert message.render("es") == "La fecha de nacimiento no puede ser anterior al 1/01/1900."
    assert message.render("en") == "The birth date cannot be before Jan 1, 1900."


@pytest.mark.parametrize(
    "birth_date, accepted",
    [
        ("2012-11-22", False),  # 13 the day before her 14th birthday
        ("2012-11-21", True),  # 14 today
        ("1921-11-21", True),  # 105 today
        ("1920-11-21", False),  # 106
    ],
)
def test_a_caregiver_is_14_to_105(birth_date, accepted):
    data = caregiver_data(birth_date=birth_date, doc_type="CE", doc_number="123456")
    if accepted:
        assert validate_caregiver(data, TODAY, **CONTEXT)["birth_date"] == birth_date
    else:
        assert errors_of(data) == {"birth_date": "error.implausible_age"}


@pytest.mark.parametrize("birth_date, accepted", [("2026-11-21", True), ("1911-11-21", True), ("1910-11-21", False)])
def test_a_person_cared_for_is_0_to_115(birth_date, accepted):
    data = child_data(birth_date=birth_date, doc_type=None, doc_number=None)
    if accepted:
        assert validate_cared_person(data, TODAY)["birth_date"] == birth_date
    else:
        with pytest.raises(ValidationError) as info:
            validate_cared_person(data, TODAY, prefix="dependents.0.")
        assert info.value.errors["dependents.0.birth_date"].key == "error.implausible_age"
        assert info.value.errors["dependents.0.birth_date"].params == {"age": 116, "low": 0, "high": 115}


@pytest.mark.parametrize("hours", [30, 24.5, -1])
def test_hours_of_care_go_from_0_to_24(hours):
    with pytest.raises(ValidationError) as info:
        validate_caregiver(caregiver_data(care_hours_per_day=hours), TODAY, **CONTEXT)
    message = info.value.errors["care_hours_per_day"]
    assert message.render("es") == "Las horas diarias de cuidado van de 0 a 24."
    assert message.render("en") == "Hours of care per day go from 0 to 24."


@pytest.mark.parametrize("hours", [0, 24, 7.5, None])
def test_hours_of_care_within_the_day_are_kept(hours):
    assert validate_caregiver(caregiver_data(care_hours_per_day=hours), TODAY, **CONTEXT)["care_hours_per_day"] == hours


@pytest.mark.parametrize("phone", ["123", "601 555 1234", "+1 202 555 0143"])
def test_phone_must_be_colombian_mobile(phone):
    assert errors_of(caregiver_data(phone=phone))["phone"] == "error.invalid_phone"


def test_phone_formats_accepted():
    assert normalize_phone("3001234567") == normalize_phone("+57 300-123-4567") == "+573001234567"


def test_every_problem_is_reported_at_once():
    errors = errors_of(caregiver_data(first_names="", last_names="R2D2", stratum=9, home_block="NOPE", sex=None))
    assert errors == {
        "first_names": "error.required",
        "last_names": "error.name_characters",
        "stratum": "error.out_of_range",
        "home_block": "error.invalid_choice",
        "sex": "error.required",
    }


def test_dependent_without_document_is_fine_but_half_a_document_is_not():
    clean = validate_dependent(child_data(doc_type=None, doc_number=None), TODAY)
    assert clean["doc_number"] is None
    with pytest.raises(ValidationError) as info:
        validate_dependent(child_data(doc_type=None), TODAY, prefix="dependents.0.")
    assert "dependents.0.doc_type" in info.value.errors


def test_care_need_must_fit_age():
    with pytest.raises(ValidationError) as info:
        validate_dependent(child_data(birth_date="2015-01-01", doc_type="TI", doc_number="1029384756"), TODAY)
    assert info.value.errors["care_need"].key == "error.care_need_child_age"
    with pytest.raises(ValidationError) as info:
        validate_dependent(child_data(care_need="older_person", relationship="parent"), TODAY)
    assert info.value.errors["care_need"].key == "error.care_need_older_age"


def test_dates_as_date_objects_are_accepted():
    clean = validate_dependent(child_data(birth_date=dt.date(2023, 6, 1)), TODAY)
    assert clean["birth_date"] == "2023-06-01"


AGE_CASES = [
    ("2000-03-14", "2026-03-13", 25),  # the day before her birthday
    ("2000-03-14", "2026-03-14", 26),  # on her birthday
    ("2000-02-29", "2026-02-28", 25),  # born on 29 February: a year older only on 1 March
    ("2000-02-29", "2026-03-01", 26),
    ("2000-02-29", "2028-02-29", 28),
    ("2020-12-31", "2026-01-01", 5),
    ("2026-11-21", "2026-11-21", 0),
    ("2030-01-01", "2026-03-01", -4),  # born after the day (a data error): negative, in every form
]


def test_the_age_rule_is_one_rule_in_python_sql_and_arrays():
    expected = [age for _, _, age in AGE_CASES]
    assert [age_on(dt.date.fromisoformat(b), dt.date.fromisoformat(on)) for b, on, _ in AGE_CASES] == expected
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (birth TEXT, stamp TEXT)")  # a stamp, as sessions store them
    conn.executemany("INSERT INTO t VALUES (?, ?)", [(b, f"{on}T08:00") for b, on, _ in AGE_CASES])
    assert [r[0] for r in conn.execute(f"SELECT {age_sql('birth', 'stamp')} FROM t ORDER BY rowid")] == expected
    numbers = np.array(
        conn.execute(f"SELECT {date_number_sql('birth')}, {date_number_sql('stamp')} FROM t ORDER BY rowid").fetchall()
    )
    assert age_from_date_numbers(numbers[:, 0], numbers[:, 1]).tolist() == expected


# --- the range rules of the other forms --------------------------------------
# Every number or date a form asks for is judged here, in the domain: the page's
# widget takes any value (tests/pages/test_pages_refusals.py shows the messages).


def refusal(call, *args, **kwargs) -> tuple[str, str]:
    """The one field ``call`` refuses and its message in Spanish."""
    with pytest.raises(ValidationError) as info:
        call(*args, **kwargs)
    [(field, message)] = info.value.errors.items()
    return field, message.render("es")


SERVICE = {
    "code": "YOGA",
    "category": "respite_wellbeing",
    "kind": "activity",
    "audience": "caregiver",
    "name_es": "Yoga",
    "name_en": "Yoga",
    "default_minutes": 60,
    "care_hours_rule": "simultaneity",
}


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("default_minutes", 10, "Una sesión dura de 15 a 600 minutos."),
        ("default_minutes", 601, "Una sesión dura de 15 a 600 minutos."),
        ("min_age", -1, "La edad va de 0 a 120 años."),
        ("max_age", 130, "La edad va de 0 a 120 años."),
        ("hours_per_unit", 25, "Las horas liberadas por unidad van de 0 a 24."),
        ("hours_per_unit", -0.5, "Las horas liberadas por unidad van de 0 a 24."),
    ],
)
def test_service_ranges(field, value, message):
    assert refusal(catalogue._validate, {**SERVICE, field: value}) == (field, message)


def test_service_ages_go_up_and_bounds_are_accepted():
    assert refusal(catalogue._validate, {**SERVICE, "min_age": 30, "max_age": 20}) == (
        "max_age",
        "La edad máxima debe ser mayor que la mínima.",
    )
    clean = catalogue._validate({**SERVICE, "min_age": 0, "max_age": 120, "default_minutes": 600})
    assert (clean["min_age"], clean["max_age"]) == (0, 120)


@pytest.mark.parametrize("capacity", [0, -5, 501, None])
def test_a_session_has_1_to_500_places(db, admin, capacity):
    assert refusal(timetable.create_schedule, db, admin, schedule_data(db, capacity=capacity)) == (
        "capacity",
        "Los cupos van de 1 a 500.",
    )
    assert db.execute("SELECT count(*) FROM schedules").fetchone()[0] == 0


@pytest.mark.parametrize("minutes", [10, 241, -15])
def test_a_slot_lasts_15_to_240_minutes(db, admin, minutes):
    assert refusal(timetable.create_schedule, db, admin, schedule_data(db, slot_minutes=minutes)) == (
        "slot_minutes",
        "Un turno dura de 15 a 240 minutos, o 0 para una sola sesión.",
    )


def test_range_bounds_of_a_schedule_are_accepted(db, admin):
    timetable.create_schedule(db, admin, schedule_data(db, "LAVANDERIA", capacity=500, slot_minutes=15))
    timetable.create_schedule(db, admin, schedule_data(db, capacity=1, slot_minutes=0))
    assert db.execute("SELECT count(*) FROM schedules").fetchone()[0] == 2


@pytest.mark.parametrize("limit", [0, 15, -1, None])
def test_the_laundry_limit_is_1_to_14_loads_a_week(db, admin, limit):
    before = laundry.weekly_limit(db)
    assert refusal(laundry.set_weekly_limit, db, admin, limit) == (
        "limit",
        "El límite va de 1 a 14 cargas por semana.",
    )
    assert laundry.weekly_limit(db) == before
    laundry.set_weekly_limit(db, admin, 14)
    assert laundry.weekly_limit(db) == 14


@pytest.fixture
def caregiver(db, admin, clock_at):
    return person(db, admin, 1)  # born 14 March 1985


@pytest.mark.parametrize(
    "achieved_on, message",
    [
        ("2026-11-22", "La fecha no puede ser futura."),
        ("1984-12-31", "La fecha del logro no puede ser anterior a su nacimiento (14/03/1985)."),
        ("1890-01-01", "La fecha del logro no puede ser anterior a su nacimiento (14/03/1985)."),
    ],
)
def test_an_outcome_is_dated_between_her_birth_and_today(db, admin, caregiver, achieved_on, message):
    data = {"kind": "job", "achieved_on": achieved_on}
    assert refusal(outcomes.record_outcome, db, admin, caregiver, data) == ("achieved_on", message)
    assert outcomes.person_outcomes(db, admin, caregiver) == []


@pytest.mark.parametrize("hours", [0, 5001, -40])
def test_a_course_lasts_1_to_5000_hours(db, admin, caregiver, hours):
    data = {
        "kind": "technical_certificate",
        "achieved_on": "2026-06-30",
        "institution": "SENA",
        "course": "Cocina",
        "hours": hours,
    }
    assert refusal(outcomes.record_outcome, db, admin, caregiver, data) == (
        "hours",
        "Las horas del curso van de 1 a 5.000.",
    )


@pytest.mark.parametrize("score", [0, 6])
def test_assessment_scores_go_from_1_to_5(db, admin, caregiver, score):
    case_id = cases.open_case(db, admin, caregiver)
    scores = dict.fromkeys(cases.DOMAINS, 3) | {cases.DOMAINS[0]: score}
    assert refusal(cases.record_assessment, db, admin, case_id, scores) == (
        f"score.{cases.DOMAINS[0]}",
        "Debe estar entre 1 y 5.",
    )
