"""Occupancy on a hand-built day, and the impact tables as a coordinator reads
them: every value labelled in her language, codes as whole numbers, nothing
recorded as "Sin dato", headers translated (caremgmt.impact.tables)."""

import csv
import datetime as dt
import io
import re

import pytest

from caremgmt.core import i18n, reference
from caremgmt.impact import contact_facts, metrics, tables
from caremgmt.registry import persons
from caremgmt.scheduling import booking, laundry, timetable
from tests.factories import JAN, person, schedule_data

MONDAY = "2026-11-23"  # two days after the fixtures' today: bookings are still open
DAY = metrics.Filters(dt.date(2026, 11, 23), dt.date(2026, 11, 23))
KEY = re.compile(r"\b[a-z_]+\.[a-z_0-9+-]+\b")


def one_session(db, admin, code: str, **overrides) -> int:
    timetable.create_schedule(db, admin, schedule_data(db, code, start_date=MONDAY, end_date=MONDAY, **overrides))
    return db.execute(
        "SELECT s.id FROM sessions s JOIN services v ON v.id = s.service_id WHERE v.code = ? ORDER BY s.id DESC",
        [code],
    ).fetchone()[0]


@pytest.fixture
def monday(db, admin, frontdesk, clock_at):
    """Monday 23 Nov, booked on the Saturday before:
    - a class at BOSA, 2 places: three caregivers ask, two are booked, one waits;
    - childcare at BOSA, 10 places: the first caregiver's child is booked with her;
    - respite at KENNEDY, 5 places: one booking, then cancelled;
    - a digital-skills class at BOSA, 20 places, one booking, then the session is cancelled;
    - a laundry slot at BOSA, 3 loads, one booked (laundry is not an activity: not counted)."""
    mothers = [person(db, frontdesk, i) for i in range(3)]
    child = persons.get_person(db, frontdesk, mothers[0])["cares_for"][0]["id"]
    cls = one_session(db, admin, "BACHILLERATO", weekdays=[0], capacity=2)
    care = one_session(db, admin, "INFANCIA", weekdays=[0], start_time="07:30", end_time="11:30", capacity=10)
    respite = one_session(
        db, admin, "RESPIRO", weekdays=[0], start_time="14:00", end_time="16:00", capacity=5, block_code="KENNEDY"
    )
    digital = one_session(db, admin, "DIGITAL", weekdays=[0], start_time="12:00", end_time="13:00", capacity=20)
    wash = one_session(
        db, admin, "LAVANDERIA", weekdays=[0], start_time="16:00", end_time="17:00", slot_minutes=60, capacity=3
    )
    first = booking.book(db, frontdesk, cls, mothers[0], care={child: care})
    statuses = [b.status for b in first] + [booking.book(db, frontdesk, cls, m)[0].status for m in mothers[1:]]
    assert statuses == ["booked", "booked", "booked", "waitlisted"]
    [later] = booking.book(db, admin, respite, mothers[1])  # Kennedy's: not the Bosa desk's to book
    booking.cancel(db, admin, later.participant_id)
    booking.book(db, frontdesk, digital, mothers[2])
    timetable.cancel_session(db, admin, digital)
    laundry.book_load(db, frontdesk, wash, mothers[0])
    return {"class": cls, "care": care, "respite": respite}


def test_occupancy_is_places_booked_over_places_offered_on_a_hand_built_day(db, monday):
    # Booked: 2 in the class + 1 child in care + 0 in respite (cancelled) = 3;
    # offered: 2 + 10 + 5 = 17 (the cancelled session and the laundry slot offer none).
    assert metrics.occupancy(db, DAY) == {"occupancy": round(3 / 17, 3), "waitlist": 1, "capacity": 17}
    assert metrics.headlines(db, DAY)["occupancy"] == 0.176
    bosa = metrics.Filters(DAY.start, DAY.end, block_code="BOSA")
    kennedy = metrics.Filters(DAY.start, DAY.end, block_code="KENNEDY")
    education = metrics.Filters(DAY.start, DAY.end, category="education_training")
    assert metrics.occupancy(db, bosa) == {"occupancy": 0.25, "waitlist": 1, "capacity": 12}  # 3 of 12
    assert metrics.occupancy(db, kennedy) == {"occupancy": 0.0, "waitlist": 0, "capacity": 5}  # 0 of 5
    assert metrics.occupancy(db, education)["occupancy"] == 1.0  # 2 of 2: the class is full


def test_a_small_occupancy_reads_as_such_not_as_zero(db, monday, admin):
    # A large offer beside a small use, as in a demo city with few people: 3 of 417 places
    # is 0.7%, which the page shows with its decimal ("0,7 %" once formatted), not "0%".
    one_session(db, admin, "MAYORES", weekdays=[0], start_time="07:30", end_time="11:30", capacity=400)
    occupancy = metrics.occupancy(db, DAY)["occupancy"]
    assert occupancy == 0.007
    assert i18n.format_percent(occupancy, "es", decimals=1) == "0,7%"


def reader_values(language: str, names: dict) -> dict[str, list]:
    """Every value a breakdown can hold, and the missing ones."""
    values = {d: list(codes) for d, codes in contact_facts.CODES.items()}
    values["age_band"] = list(contact_facts.BAND_LABELS)
    values["stratum"] = [1, 2, 3, 4, 5, 6, 2.0]
    values["block"] = list(names["block"])
    values["locality"] = [*names["locality"], 8.0]
    for each in values.values():
        each += [None, float("nan"), ""]
    return values


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_every_breakdown_value_reads_in_the_language(db, language):
    names = {
        "block": {b["code"]: b["name"] for b in reference.blocks(db, include_closed=True)},
        "locality": reference.localities(db),
    }
    keys = set(i18n.catalogue(language))
    other = "en" if language == "es" else "es"
    foreign = {v for k, v in i18n.catalogue(other).items() if isinstance(v, str) and v != i18n.t(k, language)}
    not_recorded = {"es": "Sin dato", "en": "Not recorded"}[language]
    for dimension in metrics.DIMENSIONS:
        for value in reader_values(language, names)[dimension]:
            shown = tables.value_label(dimension, value, language, names)
            assert shown and shown not in ("nan", "None", "NaN"), (dimension, value)
            assert not re.fullmatch(r"\d+\.0", shown), (dimension, value, shown)
            assert not set(KEY.findall(shown)) & keys, (dimension, value, shown)
            assert shown not in foreign, (dimension, value, shown)
            if tables.missing(value):
                assert shown == not_recorded
    assert tables.value_label("stratum", 2.0, language) == "2"
    assert tables.value_label("locality", 8.0, language, names) == "Kennedy"
    assert tables.value_label("block", "BOSA", language, names) == names["block"]["BOSA"]


def test_labels_say_what_the_code_means():
    assert tables.value_label("age_band", "0-5", "es") == "Primera infancia (0 a 5 años)"
    assert tables.value_label("age_band", "60+", "en") == "Old age (60 years or more)"
    assert tables.value_label("ethnicity", "afro", "es") == "Negra, afrocolombiana o afrodescendiente"
    assert tables.value_label("migrant_status", None, "es") == "Sin dato"
    assert tables.value_label("disability", float("nan"), "en") == "Not recorded"
    assert tables.value_label("category", "children_care", "en") == "Childcare and early education"


def rows(table: tables.Table) -> list[list[str]]:
    return list(csv.reader(io.StringIO(table.csv().decode("utf-8"))))


@pytest.mark.parametrize(
    "language, header, missing",
    [
        (
            "es",
            ["Mes", "Personas registradas", "Personas atendidas", "Atenciones", "Horas de cuidado liberadas"],
            "Sin dato",
        ),
        ("en", ["Month", "People registered", "People served", "Service contacts", "Care hours freed"], "Not recorded"),
    ],
)
def test_the_csv_tables_read_in_the_language_with_nothing_raw(db, january, language, header, missing):
    # Bea (KENNEDY, one respite session) has nothing recorded about her stratum, ethnicity,
    # disability or migrant status; Leo, a child, has no stratum either.
    db.execute(
        "UPDATE persons SET stratum = NULL, ethnicity = NULL, disability = NULL, migrant_status = NULL WHERE id = ?",
        [january["bea"]],
    )
    data = metrics.overview(db, JAN)
    trend = rows(tables.trend(data["monthly"], language))
    assert trend == [header, ["2026-01", "3", "3", "7", f"{data['monthly'][0]['care_hours']}"]]
    by_stratum = {
        label: (served, contacts)
        for label, served, contacts in rows(tables.breakdown(data["breakdowns"]["stratum"], "stratum", language))[1:]
    }
    # Ana (stratum 2): 3 classes and a load; Leo and Bea: nothing recorded.
    assert by_stratum == {"2": ("1", "4"), missing: ("2", "3")}
    for dimension in ("ethnicity", "disability", "migrant_status"):
        table = rows(tables.breakdown(data["breakdowns"][dimension], dimension, language))
        assert table[0][0] == i18n.t(f"impact.dimension.{dimension}", language)
        assert missing in [row[0] for row in table[1:]]
    steps = rows(tables.retention(data["retention"], language))
    assert steps[0] == [i18n.t("impact.step", language), i18n.t("impact.people", language)]
    assert [row[0] for row in steps[1:]] == [i18n.t(f"impact.retention.{s}", language) for s in metrics.RETENTION_STEPS]
    for table in (
        trend,
        steps,
        *(rows(tables.breakdown(data["breakdowns"][d], d, language)) for d in metrics.DIMENSIONS),
    ):
        text = "\n".join(",".join(row) for row in table)
        assert not re.search(r"\bnan\b|\bNone\b", text, re.IGNORECASE)
        assert not set(KEY.findall(text)) & set(i18n.catalogue(language))


def test_no_cell_of_a_table_runs_as_a_formula():
    table = tables.Table(("=A", "B"), (("+1", "-2"), ("@x", 3)))
    assert table.csv().decode() == "'=A,B\n'+1,'-2\n'@x,3\n"
