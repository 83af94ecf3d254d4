"""Releases: one bundle per take, its own pseudonym key, k-anonymity and
l-diversity on the joined files, cell-key aggregates, consent that follows
the person, and a manifest that tells what was taken."""

import csv
import datetime as dt
import hashlib
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from caremgmt.core import auth
from caremgmt.core.db import connect
from caremgmt.core.errors import PermissionDenied, ValidationError
from caremgmt.core.spreadsheet import safe_cell
from caremgmt.impact import cellkey, disclosure, metrics, releases
from caremgmt.registry import persons
from caremgmt.registry.consents import RESEARCH_MICRODATA
from caremgmt.scheduling import catalogue
from tests.factories import TODAY, caregiver_data, child_data, with_second_factor

QI_COLUMNS = [c for c in disclosure.QUASI_IDENTIFIERS if c != "places"]


def read(path: Path, separator: str = ",") -> list[dict]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=separator))


@pytest.fixture
def city_admin(city):
    return with_second_factor(city, auth.create_first_admin(city, "admin", "clave-de-la-jefa-1"))


def take(db, user, folder, **kwargs) -> releases.Release:
    return releases.create_release(db, user, folder, accept_warning=True, **kwargs)


# --- the bundle -------------------------------------------------------------------------


def test_a_release_is_one_bundle_with_a_manifest_that_checks_out(city, city_admin, tmp_path):
    release = take(city, city_admin, tmp_path / "r", start=dt.date(2026, 1, 1), end=dt.date(2026, 6, 30))
    assert {p.name for p in (tmp_path / "r").iterdir()} == {
        *(f"{kind}.csv" for kind in releases.KINDS),
        "dictionary.csv",
        "risk_report.json",
        "manifest.json",
    }
    manifest = json.loads(release.files["manifest"].read_text(encoding="utf-8"))
    assert manifest["release_id"] == release.id and manifest["created_by"] == "admin"
    assert manifest["filters"] == {"from": "2026-01-01", "to": "2026-06-30", "block": None}
    for name, entry in manifest["files"].items():
        content = (tmp_path / "r" / name).read_bytes()
        assert entry["sha256"] == hashlib.sha256(content).hexdigest()
        if name.removesuffix(".csv") in releases.KINDS:
            assert entry["rows"] == len(read(tmp_path / "r" / name))
    assert min(release.rows["persons"], release.rows["contacts"], release.rows["metrics"]) > 0
    stored = json.loads(city.execute("SELECT manifest FROM releases WHERE id = ?", [release.id]).fetchone()[0])
    assert stored == manifest
    assert release.key.hex() not in json.dumps(stored)
    audited = city.execute("SELECT username, entity, entity_id FROM audit_log WHERE action = 'export'").fetchall()
    assert audited == [("admin", "release", release.id)]
    dictionary = read(release.files["dictionary"])
    assert {(r["file"], r["column"]) for r in dictionary if r["column"]} == {
        (f"{kind}.csv", column) for kind in releases.KINDS for column in releases.COLUMNS[kind]
    }


def test_files_of_one_release_join_and_two_releases_do_not(city, city_admin, tmp_path):
    one = take(city, city_admin, tmp_path / "one", kinds=("persons", "contacts"))
    two = take(city, city_admin, tmp_path / "two", kinds=("persons", "contacts"))
    first = {r["person_pid"] for r in read(one.files["persons"])}
    assert {r["person_pid"] for r in read(one.files["contacts"])} <= first
    assert not first & {r["person_pid"] for r in read(two.files["persons"])}
    ids = [i for (i,) in city.execute("SELECT id FROM persons")]
    assert not first & {str(i) for i in ids}
    assert first <= {releases.pseudonym(one.key, i) for i in ids}


def test_every_person_class_holds_k_and_violence_referrals_are_diverse(city, city_admin, tmp_path):
    release = take(city, city_admin, tmp_path / "r", k=6)
    people = pd.DataFrame(read(release.files["persons"]))
    contacts = pd.DataFrame(read(release.files["contacts"]))
    laundry = pd.DataFrame(read(release.files["laundry"]))
    # What the joined release says about her places: the set of (block, locality) she is shown at.
    shown = pd.concat(
        [contacts[["person_pid", "block", "locality_code"]], laundry[["person_pid", "block", "locality_code"]]]
    )
    places = (
        shown.drop_duplicates()
        .groupby("person_pid")
        .apply(lambda g: "|".join(sorted(g["block"] + "/" + g["locality_code"])), include_groups=False)
    )
    people["places"] = people["person_pid"].map(places).fillna("")
    classes = people.groupby([*QI_COLUMNS, "places"]).size()
    assert classes.min() >= 6
    referrals = read(release.files["referrals"])
    referred = {r["person_pid"] for r in referrals if r["sector"] == releases.SENSITIVE_SECTOR}
    people["referred"] = people["person_pid"].isin(referred)
    share = people.groupby([*QI_COLUMNS, "places"])["referred"].mean()
    assert share.max() <= 0.5
    # Ages do not move inside a release: none of the files carries an age but persons.csv.
    assert all("age" not in column for kind in ("contacts", "laundry") for column in releases.COLUMNS[kind])
    report = json.loads(release.files["risk_report"].read_text(encoding="utf-8"))
    assert report["achieved_k"] >= 6 and report["persons_released"] == len(people)


def test_a_release_above_the_threshold_warns_and_writes_nothing(city, city_admin, tmp_path):
    with pytest.raises(releases.ReleaseWarning) as warned:
        releases.create_release(city, city_admin, tmp_path / "r", k=50)
    assert warned.value.report["warning"] and warned.value.report["suppressed_cells_share"] > 0.1
    assert not list((tmp_path / "r").iterdir())
    assert city.execute("SELECT count(*) FROM releases").fetchone()[0] == 0


def test_contacts_are_every_attendance_of_the_consenting_with_dates_by_week(city, city_admin, tmp_path):
    release = take(city, city_admin, tmp_path / "r", kinds=("contacts",), granularity="week")
    rows = read(release.files["contacts"])
    key = {releases.pseudonym(release.key, i): i for (i,) in city.execute(RESEARCH_MICRODATA)}
    expected = Counter(
        (person, releases.period_of(day, "week"), block, str(locality), service, status)
        for person, day, block, locality, service, status in city.execute(
            "SELECT a.person_id, substr(s.starts_at, 1, 10), s.block_code, b.locality_code, v.code, a.status"
            " FROM attendance a JOIN sessions s ON s.id = a.session_id JOIN services v ON v.id = s.service_id"
            f" JOIN blocks b ON b.code = s.block_code WHERE a.person_id IN ({RESEARCH_MICRODATA})"
        )
    )
    got = Counter()
    for r in rows:
        person = key[r["person_pid"]]
        got[(person, r["period"], r["block"], r["locality_code"], r["service_code"], r["status"])] += 1
    # A person's rows show her block, or only her locality, or neither: the same for all of them.
    for (person, period, block, locality, service, status), n in expected.items():
        if got.get((person, period, block, locality, service, status)) == n:
            continue
        hidden = (
            (releases.SUPPRESSED, locality)
            if (person, period, releases.SUPPRESSED, locality, service, status) in got
            else (releases.SUPPRESSED,) * 2
        )
        assert got[(person, period, *hidden, service, status)] >= n
    assert sum(got.values()) <= sum(expected.values()) and len(rows) > 10_000
    assert all("-W" in r["period"] for r in rows[:100])


def test_a_registration_during_the_release_is_left_for_the_next_one(city, city_admin, tmp_path, monkeypatch):
    """The release reads one snapshot: a person registered and attending while it
    runs (a front desk does not wait for an evaluator) is neither written nor a crash."""

    def register_meanwhile() -> None:
        desk = connect(str(tmp_path / "copy.db"))
        columns = [c[1] for c in desk.execute("PRAGMA table_info(persons)").fetchall()]
        last = desk.execute("SELECT * FROM persons ORDER BY id DESC LIMIT 1").fetchone()
        person = dict(zip(columns, last, strict=True)) | {"id": last[0] + 1, "doc_number": "99887766"}
        with desk.conn:
            desk["persons"].insert(person)
            desk.execute(
                "INSERT INTO consents (person_id, purpose, text_version, given_at)"
                " VALUES (?, 'research', 'v1', '2026-01-01')",
                [person["id"]],
            )
            desk.execute(
                "INSERT INTO attendance (session_id, person_id, status, quantity, recorded_at)"
                " SELECT max(id), ?, 'present', 7.25, '2026-01-01' FROM sessions WHERE starts_at < date('now')",
                [person["id"]],
            )
        desk.close()

    read_consenting = releases._consenting

    def read_then_register(db):
        consenting = read_consenting(db)
        register_meanwhile()
        return consenting

    before = city.execute(f"SELECT count(*) FROM attendance WHERE person_id IN ({RESEARCH_MICRODATA})").fetchone()[0]
    monkeypatch.setattr(releases, "_consenting", read_then_register)
    release = take(city, city_admin, tmp_path / "r", kinds=("contacts",))
    assert "7.25" not in release.files["contacts"].read_text(encoding="utf-8")
    after = city.execute(f"SELECT count(*) FROM attendance WHERE person_id IN ({RESEARCH_MICRODATA})").fetchone()[0]
    assert after == before + 1 and release.rows["contacts"] <= before


def test_no_release_contains_a_name_document_or_phone(city, city_admin, tmp_path):
    needles = set()
    for first, last, document, phone in city.execute("SELECT first_names, last_names, doc_number, phone FROM persons"):
        needles |= {f"{first} {last}", last}
        needles |= {document} if document else set()
        needles |= {phone, phone[3:]} if phone else set()
    release = take(city, city_admin, tmp_path / "r", separator="semicolon")
    for path in release.files.values():
        text = path.read_text(encoding="utf-8")
        assert [n for n in needles if n in text] == [], path.name


def test_a_formula_in_admin_data_is_inert_in_the_release(city, city_admin, tmp_path):
    service_id = city.execute("SELECT id FROM services WHERE code = 'RESPIRO'").fetchone()[0]
    catalogue.save_service(
        city, city_admin, {**catalogue.get_service(city, service_id), "code": "=HYPERLINK(1)"}, service_id
    )
    release = take(city, city_admin, tmp_path / "r", kinds=("contacts",))
    assert "'=HYPERLINK(1)" in {r["service_code"] for r in read(release.files["contacts"])}


@pytest.mark.parametrize("text", ["=1+1", "+57 300", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_formula_starts_are_neutralised(text):
    assert safe_cell(text) == "'" + text
    assert safe_cell("Bosa") == "Bosa" and safe_cell(12) == 12


def test_releases_refuse_bad_filters_roles_and_a_k_below_five(db, frontdesk, evaluator, tmp_path):
    with pytest.raises(PermissionDenied):
        releases.create_release(db, frontdesk, tmp_path / "x")
    for bad in (
        {"start": dt.date(2026, 5, 1), "end": dt.date(2026, 1, 1)},
        {"block_code": "NOPE"},
        {"k": 3},
        {"kinds": ("names",)},
        {"granularity": "day"},
    ):
        with pytest.raises(ValidationError):
            releases.create_release(db, evaluator, tmp_path / "x", **bad)
    assert not (tmp_path / "x").exists() or not list((tmp_path / "x").iterdir())


# --- consent that follows the person ----------------------------------------------------


def _register(db, frontdesk, n: int, consents: dict, dependants=()) -> int:
    return persons.register_caregiver(
        db,
        frontdesk,
        caregiver_data(doc_number=f"5400000{n}", first_names="Marta", last_names=f"Rojas {'XABC'[n]}", phone=""),
        list(dependants),
        consents,
        today=TODAY,
        confirmed_new=True,
    )


def test_consent_follows_the_person(db, frontdesk):
    def allowed() -> set[int]:
        return {i for (i,) in db.execute(RESEARCH_MICRODATA)}

    both = {"registration": True, "research": True}
    mother = _register(db, frontdesk, 1, both, [child_data(legal_representative=True)])
    niece_data = child_data(first_names="Sol", doc_number="1029384757", relationship="other_relative")
    aunt = _register(db, frontdesk, 2, both, [niece_data])
    refuses = _register(db, frontdesk, 3, {"registration": True, "research": False})
    child = next(c["id"] for c in persons.get_person(db, frontdesk, mother)["cares_for"])
    niece = next(c["id"] for c in persons.get_person(db, frontdesk, aunt)["cares_for"])
    assert allowed() == {mother, child, aunt}  # the niece: her aunt is not her legal representative
    # A caregiver who withdrew stays out though a consenting caregiver cares for her.
    persons.add_dependent(
        db, frontdesk, mother, {"existing_person_id": refuses, "relationship": "sibling", "care_need": "disability"}
    )
    assert refuses not in allowed() and niece not in allowed()
    # Her own withdrawal wins over her representative's consent.
    persons.give_consent(db, frontdesk, child, "research")
    own = next(c["id"] for c in persons.get_person(db, frontdesk, child)["consents"] if c["purpose"] == "research")
    persons.withdraw_consent(db, frontdesk, own)
    assert child not in allowed()
    # No more processing once her registration consent is withdrawn.
    registration = next(
        c["id"] for c in persons.get_person(db, frontdesk, mother)["consents"] if c["purpose"] == "registration"
    )
    persons.withdraw_consent(db, frontdesk, registration)
    assert allowed() == {aunt}


# --- aggregates -------------------------------------------------------------------------


def test_the_perturbation_table_is_fixed_unbiased_and_small():
    assert cellkey.PTABLE.shape == (2, cellkey.KEY_RANGE)
    assert np.abs(cellkey.PTABLE).max() == cellkey.MAX_PERTURBATION
    assert abs(cellkey.PTABLE.mean(axis=1)).max() < 0.001
    assert (cellkey.PTABLE[0] >= -1).all()  # a count of 1 never goes below 0
    assert cellkey.shown(0, 17) == 0 and cellkey.shown(3, 5) == releases.SUPPRESSED
    assert all(cellkey.shown(40, key) in range(38, 43) for key in range(0, 4096, 7))
    assert cellkey.ratio(releases.SUPPRESSED, 10) == releases.SUPPRESSED and cellkey.ratio(3, 12) == 0.25


def test_metrics_are_perturbed_consistently_and_ratios_follow_the_released_counts(city, city_admin, tmp_path):
    period = {"start": dt.date(2025, 1, 1), "end": dt.date(2026, 6, 30)}
    rows = read(take(city, city_admin, tmp_path / "all", kinds=("metrics",), **period).files["metrics"])
    f = metrics.Filters(**period)
    for dimension in metrics.DIMENSIONS:
        chart = metrics.breakdown(city, f, dimension)
        released = [r for r in rows if r["dimension"] == dimension]
        assert len(released) == len(chart)
        for group, row in zip(chart, released, strict=True):
            for column, key in (("people_served", "people_served"), ("service_contacts", "contacts")):
                if row[column] == releases.SUPPRESSED:
                    assert group[key] < cellkey.SMALL_CELL + cellkey.MAX_PERTURBATION
                else:
                    assert abs(int(row[column]) - group[key]) <= cellkey.MAX_PERTURBATION
    assert "<5" not in {v for r in rows for v in r.values()}
    # The same cell, asked another way (a block's own release), gets the same value.
    block = next(r for r in rows if r["dimension"] == "block")
    own = read(
        take(city, city_admin, tmp_path / "one", kinds=("metrics",), block_code=block["value"], **period).files[
            "metrics"
        ]
    )
    total = next(r for r in own if r["dimension"] == "all")
    assert (total["people_served"], total["service_contacts"]) == (block["people_served"], block["service_contacts"])
    head = {r["value"]: r["amount"] for r in rows if r["dimension"] == "headline"}
    keyed = metrics.keyed_headlines(city, f, releases.record_keys(city))
    loads, no_shows = (cellkey.shown(*keyed[name]) for name in ("laundry_loads", "laundry_no_shows"))
    assert head["laundry_loads"] == str(loads)
    assert head["laundry_no_show_rate"] == str(cellkey.ratio(no_shows, loads + no_shows))
    exact = metrics.headlines(city, f)
    assert keyed["people_served"][0] == exact["people_served"] and keyed["diplomas"][0] == exact["diplomas"]
    assert keyed["waitlist"][0] == exact["waitlist"] and keyed["laundry_loads"][0] == exact["laundry_loads"]


def test_a_suppressed_count_takes_its_ratio_with_it(db, admin, january, tmp_path):
    """A block-week with 3 loads and 1 no-show: the loads are "suprimido", and so is the rate."""
    rows = read(
        releases.create_release(
            db, admin, tmp_path / "m", kinds=("metrics",), start=dt.date(2026, 1, 1), end=dt.date(2026, 1, 31)
        ).files["metrics"]
    )
    head = {r["value"]: r["amount"] for r in rows if r["dimension"] == "headline"}
    assert head["laundry_loads"] == releases.SUPPRESSED == head["laundry_no_show_rate"]


# --- disclosure control on its own -------------------------------------------------------


def _people(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=QI_COLUMNS[:4]).reindex(columns=QI_COLUMNS, fill_value="")
    frame.index = range(1, len(frame) + 1)
    return frame


def _no_places(frame: pd.DataFrame) -> dict:
    return {0: pd.Series(0, index=frame.index), 1: pd.Series(0, index=frame.index)}


def test_a_unique_person_is_generalised_until_her_class_holds_k():
    people = _people([("1", "29-59", "F", "female")] * 5 + [("1", "60+", "M", "male")])
    result = disclosure.anonymise(people, _no_places(people), None, k=5)
    assert result.report["achieved_k"] >= 5
    assert (result.values.groupby(QI_COLUMNS).size() >= 5).all()
    assert result.report["persons_left_out"] == 1  # alone however far generalised: left out
    assert 6 not in result.values.index


def test_a_class_of_violence_referrals_is_merged_until_diverse_or_left_out():
    people = _people(
        [("1", "29-59", "F", "female")] * 3 + [("1", "18-28", "F", "female")] * 3 + [("1", "60+", "F", "female")] * 5
    )
    referred = pd.Series(True, index=[1, 2, 3, 11])
    result = disclosure.anonymise(people, _no_places(people), referred, k=5)
    merged = result.values.assign(referred=result.values.index.isin(referred.index))
    assert merged.groupby(QI_COLUMNS)["referred"].mean().max() <= 0.5
    # The two small classes merge (broad ages) into one of six, half referred; the older women stay as they were.
    assert len(merged) == 11 and set(merged["age_band"]) == {"18-59", "60+"}
    alone = _people([("1", "29-59", "F", "female")] * 5 + [("1", "18-28", "F", "female")] * 5)
    result = disclosure.anonymise(alone, _no_places(alone), pd.Series(True, index=[1, 2, 3, 4, 5]), k=5)
    assert list(result.values.index) == [6, 7, 8, 9, 10] and result.report["persons_left_out"] == 5


def test_blank_stays_blank_when_categories_are_grouped():
    people = _people([("1", "29-59", "F", "female")] * 6).assign(ethnicity=["", "", "", "afro", "none", "rrom"])
    result = disclosure.anonymise(people, _no_places(people), None, k=3)
    assert set(result.values["ethnicity"]) <= {"", "other", "none", releases.SUPPRESSED}
    assert "" in set(result.values["ethnicity"])
