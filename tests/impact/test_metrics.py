"""Metrics on a small hand-built programme with known answers."""

import datetime as dt

import pytest

from caremgmt.core.errors import ValidationError
from caremgmt.impact import metrics
from tests.factories import JAN

CONSENT = {"registration": True, "research": True}  # microdata exports need research consent


def test_headlines_on_a_hand_computed_month(db, january):
    h = metrics.headlines(db, JAN)
    # Contacts: Ana 3 classes + Leo 2 care + Bea 1 respite + 1 collected load = 7; people: Ana, Leo, Bea.
    assert (h["service_contacts"], h["people_served"]) == (7, 3)
    assert (h["people_registered"], h["people_registered_cumulative"], h["active_caregivers"]) == (3, 3, 2)
    # Care hours: Ana's classes on 7 and 14 Jan (Leo in care) = 2 x 3 h; plus one load = 67 min.
    assert h["care_hours_freed"] == pytest.approx(6 + 1.1167, abs=0.05)
    assert (h["laundry_loads"], h["laundry_no_show_rate"]) == (1, 0.5)
    assert (h["diplomas"], h["other_outcomes"]) == (1, 1)
    assert h["waitlist"] == 0
    # Occupancy of activity sessions: 4 class places of 16, 4 care of 40, 1 respite of 10.
    assert h["occupancy"] == pytest.approx(9 / 66, abs=0.001)


def test_filters_are_obeyed(db, january):
    kennedy = metrics.headlines(db, metrics.Filters(JAN.start, JAN.end, block_code="KENNEDY"))
    assert (kennedy["service_contacts"], kennedy["people_served"], kennedy["care_hours_freed"]) == (1, 1, 0)
    bosa_locality = metrics.headlines(db, metrics.Filters(JAN.start, JAN.end, locality_code=7))
    assert (bosa_locality["service_contacts"], bosa_locality["people_served"]) == (6, 2)
    education = metrics.headlines(db, metrics.Filters(JAN.start, JAN.end, category="education_training"))
    assert (education["service_contacts"], education["care_hours_freed"], education["laundry_loads"]) == (3, 6, 0)
    february = metrics.headlines(db, metrics.Filters(dt.date(2026, 2, 1), dt.date(2026, 2, 28)))
    assert (february["service_contacts"], february["people_served"], february["active_caregivers"]) == (0, 0, 2)


def test_breakdowns_monthly_and_retention(db, january):
    by_block = {g["value"]: (g["people_served"], g["contacts"]) for g in metrics.breakdown(db, JAN, "block")}
    assert by_block == {"BOSA": (2, 6), "KENNEDY": (1, 1)}
    by_age = {g["value"]: (g["people_served"], g["contacts"]) for g in metrics.breakdown(db, JAN, "age_band")}
    assert by_age == {"0-5": (1, 2), "29-59": (1, 4), "60+": (1, 1)}
    by_category = {g["value"]: g["contacts"] for g in metrics.breakdown(db, JAN, "category")}
    assert by_category == {"education_training": 3, "children_care": 2, "respite_wellbeing": 1, "laundry": 1}
    [month] = metrics.monthly(db, JAN)
    assert (month["month"], month["registrations"], month["people_served"], month["contacts"]) == ("2026-01", 3, 3, 7)
    assert metrics.retention(db, JAN) == {"registered": 3, "first_attendance": 3, "five_attendances": 0, "outcome": 2}


def test_invalid_filters_get_clear_messages(db):
    with pytest.raises(ValidationError) as info:
        metrics.validate(db, metrics.Filters(dt.date(2026, 2, 1), dt.date(2026, 1, 1), block_code="NOPE", category="x"))
    assert {k: m.key for k, m in info.value.errors.items()} == {
        "end": "error.end_before_start",
        "block": "error.unknown_block",
        "category": "error.invalid_choice",
    }
