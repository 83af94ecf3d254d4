"""The attack suite: every attack of tests/impact/attacks.py, on releases of a
generated programme with planted records, finds nothing; and each attack,
on a file made unsafe on purpose, does find what it looks for (an attack
that found nothing because it was broken would be noticed)."""

import datetime as dt

import pandas as pd
import pytest

from tests.impact import attack_report, attacks


@pytest.fixture(scope="module")
def programme(tmp_path_factory):
    folder = tmp_path_factory.mktemp("attacks")
    db = attack_report.programme(str(folder / "attack.db"))
    yield db, folder
    db.close()


def test_no_attack_succeeds_on_releases(programme):
    db, folder = programme
    results = attack_report.run(db, attack_report.take_release, folder)
    assert results.pop("laundry_week_found") == 1  # the ratio attack had its small block-week to try
    assert results == dict.fromkeys(results, 0)
    assert len(results) == 9


def view(files: dict, person_of: dict | None = None, bound: int = 0) -> attacks.View:
    frames = {kind: pd.DataFrame(rows, dtype=str) for kind, rows in files.items()}
    return attacks.View(frames, person_of or {}, bound, frozenset({"suprimido"}))


def people(n: int, **columns) -> list[dict]:
    return [{"person_pid": f"p{i}", "sex": "F", "age_band": "29-59", **columns} for i in range(n)]


def test_a_unique_person_is_found():
    assert attacks.uniqueness(view({"persons": people(5)})) == 0
    assert attacks.uniqueness(view({"persons": [*people(5), {"person_pid": "x", "sex": "M", "age_band": "60+"}]})) == 1
    # Her places in contacts single her out though persons.csv does not.
    contacts = [{"person_pid": "p0", "block": "BOSA", "locality_code": "7"}]
    assert attacks.uniqueness(view({"persons": people(5), "contacts": contacts})) == 5


def test_a_hidden_value_shown_by_another_file_is_found():
    persons = people(5, locality_code="suprimido")
    contacts = [{"person_pid": "p0", "block": "suprimido", "locality_code": "7", "age_band": ""}]
    assert attacks.linkage_within(view({"persons": persons, "contacts": contacts})) == 1
    contacts[0]["locality_code"] = "suprimido"
    assert attacks.linkage_within(view({"persons": persons, "contacts": contacts})) == 0


def test_a_pseudonym_shared_by_two_takes_is_found():
    assert attacks.linkage_across(view({"persons": people(3)}), view({"persons": people(1)})) == 1


def test_a_known_violence_referral_is_found():
    referrals = [{"person_pid": f"p{i}", "sector": "violence_protection"} for i in range(5)]
    assert attacks.homogeneity(view({"persons": people(5), "referrals": referrals})) == 5
    assert attacks.homogeneity(view({"persons": people(10), "referrals": referrals[:4]})) == 0


def test_a_pinned_down_difference_is_found_unless_perturbed():
    first = pd.DataFrame([{"dimension": "block", "value": "BOSA", "people_served": "40", "service_contacts": "90"}])
    second = first.assign(people_served="43")
    truth = {("block", "BOSA", "people_served"): 3}
    assert attacks.differencing(first, second, truth, 0) == 1
    assert attacks.differencing(first, second, truth, 2) == 0


def test_a_suppressed_count_given_away_by_its_ratio_is_found():
    metrics = pd.DataFrame(
        [
            {"dimension": "headline", "value": "laundry_loads", "amount": "suprimido"},
            {"dimension": "headline", "value": "laundry_no_show_rate", "amount": "0.25"},
        ]
    )
    assert attacks.ratio_back(metrics, frozenset({"suprimido"}), (3, 1)) == 1
    metrics.loc[1, "amount"] = "suprimido"
    assert attacks.ratio_back(metrics, frozenset({"suprimido"}), (3, 1)) == 0


def test_a_birthday_narrowed_by_an_age_band_change_is_found():
    contacts = [
        {"person_pid": "p0", "session_date": "2026-03-01", "age_band": "12-17"},
        {"person_pid": "p0", "session_date": "2026-03-08", "age_band": "18-28"},
    ]
    births = {1: dt.date(2008, 3, 5)}
    assert attacks.birth_narrowing(view({"contacts": contacts}, {"p0": 1}), births) == 1
    births = {1: dt.date(2008, 2, 5)}  # a window that does not hold her birthday: no success
    assert attacks.birth_narrowing(view({"contacts": contacts}, {"p0": 1}), births) == 0


def test_someone_without_consent_in_microdata_is_found():
    assert attacks.consent(view({"persons": people(2)}, {"p0": 1, "p1": 2}), {1}) == 1


def test_a_false_suppression_label_and_a_blank_made_a_category_are_found():
    metrics = [{"dimension": "block", "value": "BOSA", "people_served": "<5", "service_contacts": "20"}]
    truth = {("block", "BOSA", "people_served"): 13}
    assert attacks.false_labels(view({"metrics": metrics}), truth, set()) == 1
    persons = people(1, ethnicity="none")
    assert attacks.false_labels(view({"persons": persons}, {"p0": 7}), {}, {7}) == 1
