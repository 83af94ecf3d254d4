import datetime as dt
import sqlite3

import numpy as np
import pytest

from caremgmt.core.errors import ValidationError
from caremgmt.registry.validation import (
    age_from_parts,
    age_on,
    age_parts_sql,
    age_sql,
    normalize_phone,
    validate_caregiver,
    validate_dependent,
)
from tests.factories import TODAY, caregiver_data, child_data

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
        ("2027-01-01", "error.future_date"),
        ("1890-01-01", "error.implausible_age"),
        (None, "error.required"),
        ("31/02/1990", "error.invalid_date"),
    ],
)
def test_birth_date(birth_date, key):
    assert errors_of(caregiver_data(birth_date=birth_date))["birth_date"] == key


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
    parts = np.array(
        conn.execute(f"SELECT {age_parts_sql('birth')}, {age_parts_sql('stamp')} FROM t ORDER BY rowid").fetchall()
    )
    assert age_from_parts(parts[:, 0], parts[:, 1], parts[:, 2], parts[:, 3]).tolist() == expected
