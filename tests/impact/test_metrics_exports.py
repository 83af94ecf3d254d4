"""Metrics on a small hand-built programme with known answers, and the
safety of every export."""

import csv
import datetime as dt
from pathlib import Path

import pytest

from caremgmt.core.errors import PermissionDenied, ValidationError
from caremgmt.impact import exports, metrics
from caremgmt.impact.exports import safe_cell, suppress
from caremgmt.registry import persons
from caremgmt.scheduling import catalogue
from caremgmt.tools import demo
from tests.factories import JAN, TODAY, caregiver_data

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


# --- exports ---------------------------------------------------------------


def read(path: Path, separator=",") -> list[dict]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=separator))


def test_contacts_export_reproduces_the_headline_figures(db, admin, january, tmp_path):
    result = exports.export(db, admin, "contacts", tmp_path / "c.csv", start=JAN.start, end=JAN.end)
    rows = read(result.path)
    present = [r for r in rows if r["status"] == "present"]
    head = metrics.headlines(db, JAN)
    assert len(present) == head["service_contacts"]
    assert len({r["person_pid"] for r in present}) == head["people_served"]
    assert {r["age_band"] for r in rows} == {"0-5", "29-59", "60+"}


def test_pseudonyms_are_stable_keyed_and_not_the_id(db, admin, january, tmp_path, monkeypatch):
    first = read(exports.export(db, admin, "persons", tmp_path / "a.csv").path)
    second = read(exports.export(db, admin, "persons", tmp_path / "b.csv").path)
    assert [r["person_pid"] for r in first] == [r["person_pid"] for r in second]
    assert len({r["person_pid"] for r in first}) == 3
    assert not {str(pid) for pid in january.values()} & {r["person_pid"] for r in first}
    monkeypatch.setenv("CAREMGMT_EXPORT_SECRET", "another deployment")
    third = read(exports.export(db, admin, "persons", tmp_path / "c.csv").path)
    assert not {r["person_pid"] for r in first} & {r["person_pid"] for r in third}


def test_rare_quasi_identifiers_are_generalised_then_suppressed(db, admin, january, tmp_path):
    rows = read(exports.export(db, admin, "persons", tmp_path / "p.csv").path)
    # Three people, every combination unique: nothing that could single one out survives.
    assert {tuple(v for k, v in r.items() if k not in ("person_pid", "is_caregiver")) for r in rows} == {("*",) * 15}


def test_microdata_only_for_research_consent(db, admin, frontdesk, january, tmp_path):
    bea_consents = persons.get_person(db, frontdesk, january["bea"])["consents"]
    persons.withdraw_consent(db, frontdesk, next(c["id"] for c in bea_consents if c["purpose"] == "research"))
    contacts = read(exports.export(db, admin, "contacts", tmp_path / "c.csv", start=JAN.start, end=JAN.end).path)
    # Ana and her son Leo (through Ana's consent) remain; Bea withdrew.
    assert len({r["person_pid"] for r in contacts}) == 2 and {r["block"] for r in contacts} == {"BOSA"}
    total = next(
        r
        for r in read(exports.export(db, admin, "metrics", tmp_path / "m.csv", start=JAN.start, end=JAN.end).path)
        if r["dimension"] == "all"
    )
    assert total["service_contacts"] == "7"  # aggregates still count everyone


def test_common_combinations_keep_their_detail(db, admin, frontdesk, tmp_path):
    for i in range(6):
        persons.register_caregiver(
            db,
            frontdesk,
            caregiver_data(
                doc_number=f"5300000{i}",
                first_names="Luz",
                last_names=f"Vargas {'ABCDEF'[i]}",
                birth_date=f"1985-0{i + 1}-10",
                phone="",
            ),
            [],
            {"registration": True, "research": True},
            today=TODAY,
            confirmed_new=True,
        )
    rows = read(exports.export(db, admin, "persons", tmp_path / "p.csv").path)
    assert {(r["birth_year"], r["sex"], r["locality_code"]) for r in rows} == {("1985", "F", "7")}


@pytest.mark.parametrize(
    "counts, shown",
    [
        ([10, 3, 20], ["<5", "<5", 20]),  # one small cell: the next smallest hides it
        ([10, 3, 2, 20], [10, "<5", "<5", 20]),  # two small cells protect each other
        ([0, 3, 9], [0, "<5", "<5"]),  # zero is not hidden, and cannot protect
        ([12, 40], [12, 40]),
    ],
)
def test_small_cell_and_complementary_suppression(counts, shown):
    assert suppress(counts) == shown


@pytest.mark.parametrize("text", ["=1+1", "+57 300", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_formula_starts_are_neutralised(text):
    assert safe_cell(text) == "'" + text
    assert safe_cell("Bosa") == "Bosa" and safe_cell(12) == 12


def test_a_formula_in_admin_data_is_escaped_in_the_export(db, admin, frontdesk, january, tmp_path):
    service_id = db.execute("SELECT id FROM services WHERE code = 'RESPIRO'").fetchone()[0]
    catalogue.save_service(db, admin, {**catalogue.get_service(db, service_id), "code": "=HYPERLINK(1)"}, service_id)
    rows = read(exports.export(db, admin, "contacts", tmp_path / "c.csv").path)
    assert "'=HYPERLINK(1)" in {r["service_code"] for r in rows}


def test_chart_data_equals_the_metrics_export(db, admin, tmp_path, clock_at):
    demo.generate(db, 400, seed=11)
    period = metrics.Filters(dt.date(2025, 1, 1), dt.date(2026, 6, 30))
    rows = read(exports.export(db, admin, "metrics", tmp_path / "m.csv", start=period.start, end=period.end).path)
    for dimension in metrics.DIMENSIONS:
        chart = metrics.breakdown(db, period, dimension)
        exported = [r for r in rows if r["dimension"] == dimension]
        assert len(exported) == len(chart)
        for group, row in zip(chart, exported, strict=True):
            assert row["value"] == ("" if group["value"] is None else str(group["value"]))
            for column, key in (("people_served", "people_served"), ("service_contacts", "contacts")):
                assert row[column] == (str(group[key]) if row[column] != "<5" else "<5")
                if group[key] < 5 and group[key] > 0:
                    assert row[column] == "<5"
    head = metrics.headlines(db, period)
    total = next(r for r in rows if r["dimension"] == "all")
    assert (int(total["people_served"]), int(total["service_contacts"])) == (
        head["people_served"],
        head["service_contacts"],
    )


def test_no_export_contains_a_name_document_or_phone(db, admin, tmp_path):
    demo.generate(db, 250, seed=5)
    people = db.execute("SELECT first_names, last_names, doc_number, phone FROM persons").fetchall()
    needles = set()
    for first, last, document, phone in people:
        needles.add(f"{first} {last}")
        needles.add(last)
        if document:
            needles.add(document)
        if phone:
            needles.update({phone, phone[3:], f"{phone[3:6]} {phone[6:]}"})
    for kind in exports.KINDS:
        for separator in exports.SEPARATORS:
            result = exports.export(db, admin, kind, tmp_path / f"{kind}_{separator}.csv", separator=separator)
            for path in (result.path, result.dictionary):
                text = path.read_text(encoding="utf-8")
                found = [n for n in needles if n in text]
                assert found == [], f"{path.name} contains {found[:3]}"
    assert db.execute("SELECT count(*) FROM audit_log WHERE action = 'export'").fetchone()[0] == 12


def test_export_is_audited_with_filters_and_rows(db, admin, january, tmp_path):
    result = exports.export(
        db, admin, "laundry", tmp_path / "l.csv", start=JAN.start, end=JAN.end, block_code="BOSA", separator="semicolon"
    )
    assert result.rows == 2 and read(result.path, ";")[0]["load_status"] in ("collected", "no_show")
    detail = db.execute("SELECT username, entity_id, detail FROM audit_log WHERE action = 'export'").fetchone()
    assert detail[:2] == ("admin", "laundry")
    assert '"rows": 2' in detail[2] and '"block": "BOSA"' in detail[2] and '"from": "2026-01-01"' in detail[2]


def test_exports_refuse_bad_filters_and_roles(db, frontdesk, evaluator, tmp_path):
    with pytest.raises(PermissionDenied):
        exports.export(db, frontdesk, "contacts", tmp_path / "x.csv")
    with pytest.raises(ValidationError) as info:
        exports.export(
            db, evaluator, "contacts", tmp_path / "x.csv", start=dt.date(2026, 5, 1), end=dt.date(2026, 1, 1)
        )
    assert "end" in info.value.errors
    with pytest.raises(ValidationError):
        exports.export(db, evaluator, "contacts", tmp_path / "x.csv", block_code="NOPE")
    assert not (tmp_path / "x.csv").exists()
