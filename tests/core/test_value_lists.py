"""Every value list in the code is the one its column's CHECK allows (read from
the committed schema.sql), and every allowed value has a label in both languages.

A list that grows in the code without a migration widening its CHECK fails
here, before the database refuses a value a form offers."""

from __future__ import annotations

import ast
import json
import re

import pytest

from caremgmt.casework import cases, institutions, outcomes, referrals
from caremgmt.core import actor, i18n, sessions
from caremgmt.core.migrations import SCHEMA_FILE
from caremgmt.impact import contact_facts
from caremgmt.registry import validation, vocab
from caremgmt.scheduling import attendance, catalogue, laundry

_TABLE = re.compile(r"^CREATE TABLE (\w+) (.*?);$", re.S | re.M)  # a table's definition holds no ";"
_VALUE_CHECK = re.compile(r"^    (\w+) [^\n]*?CHECK \(\1 IN \(([^()]*)\)\)", re.M)


def value_checks() -> dict[tuple[str, str], tuple]:
    """(table, column) -> the values its CHECK (column IN (...)) allows, in schema order."""
    found = {}
    for table, body in _TABLE.findall(SCHEMA_FILE.read_text(encoding="utf-8")):
        for column, values in _VALUE_CHECK.findall(body):
            found[table, column] = ast.literal_eval(f"({values},)")
    return found


CHECKS = value_checks()

# (table, column) -> the list in the code that forms and services validate against.
CODE_LISTS = {
    ("persons", "doc_type"): vocab.DOC_TYPES,
    ("persons", "sex"): vocab.SEXES,
    ("persons", "gender_identity"): vocab.GENDER_IDENTITIES,
    ("persons", "ethnicity"): vocab.ETHNICITIES,
    ("persons", "disability"): vocab.DISABILITIES,
    ("persons", "migrant_status"): vocab.MIGRANT_STATUSES,
    ("persons", "education_level"): vocab.EDUCATION_LEVELS,
    ("persons", "registration_channel"): vocab.REGISTRATION_CHANNELS,
    ("care_links", "relationship"): vocab.RELATIONSHIPS,
    ("care_links", "care_need"): vocab.CARE_NEEDS,
    ("consents", "purpose"): vocab.CONSENT_PURPOSES,
    ("users", "role"): actor.ROLES,
    ("users", "language"): i18n.LANGUAGES,
    ("services", "category"): catalogue.CATEGORIES,
    ("services", "kind"): catalogue.KINDS,
    ("services", "audience"): catalogue.AUDIENCES,
    ("services", "care_hours_rule"): catalogue.CARE_HOURS_RULES,
    ("services", "care_need"): vocab.CARE_NEEDS,
    ("participants", "load_status"): tuple(laundry.TRANSITIONS),
    ("attendance", "status"): attendance.STATUSES,
    ("cases", "priority"): cases.PRIORITIES,
    ("assessment_scores", "domain"): cases.DOMAINS,
    ("case_goals", "domain"): cases.DOMAINS,
    ("referrals", "status"): tuple(referrals.TRANSITIONS),
    ("enrolments", "status"): tuple(outcomes.ENROLMENT_TRANSITIONS),
    ("enrolments", "programme"): tuple(outcomes.PROGRAMMES),
    ("outcomes", "kind"): outcomes.KINDS,
    ("institutions", "sector"): institutions.SECTORS,
    ("login_sessions", "end_reason"): sessions.END_REASONS,
}

# Lists the code keeps only as literals where it uses them (no constant to tie
# to): pinned here, so a change to the schema's list is a change to this test.
PINNED = {
    ("participants", "status"): ("booked", "waitlisted", "cancelled"),
    ("sessions", "status"): ("scheduled", "cancelled"),
    ("cases", "status"): ("open", "closed"),
    ("case_goals", "status"): ("open", "achieved", "dropped"),
    ("tasks", "status"): ("open", "done"),
    ("referrals", "target"): ("internal", "external"),
    ("blocks", "kind"): ("block", "bus"),
}

# Catalogue prefix of each list's labels (``<prefix>.<value>``).
LABELS = {
    ("persons", "doc_type"): "doc_type",
    ("persons", "sex"): "sex",
    ("persons", "gender_identity"): "gender_identity",
    ("persons", "ethnicity"): "ethnicity",
    ("persons", "disability"): "disability",
    ("persons", "migrant_status"): "migrant_status",
    ("persons", "education_level"): "education_level",
    ("persons", "registration_channel"): "channel",
    ("care_links", "relationship"): "relationship",
    ("care_links", "care_need"): "care_need",
    ("users", "role"): "role",
    ("users", "language"): "language",
    ("services", "category"): "category",
    ("services", "kind"): "service_kind",
    ("services", "audience"): "audience",
    ("services", "care_hours_rule"): "care_hours_rule",
    ("services", "care_need"): "care_need",
    ("participants", "load_status"): "load_status",
    ("attendance", "status"): "attendance",
    ("cases", "priority"): "priority",
    ("assessment_scores", "domain"): "domain",
    ("case_goals", "domain"): "domain",
    ("case_goals", "status"): "goal_status",
    ("referrals", "status"): "referral_status",
    ("enrolments", "status"): "enrolment_status",
    ("enrolments", "programme"): "programme",
    ("outcomes", "kind"): "outcome",
    ("institutions", "sector"): "sector",
    ("blocks", "kind"): "block_kind",
}

# Value lists that are not text codes: flags and the impact facts' own marker.
NOT_VALUE_LISTS = {"active", "is_caregiver", "walk_in", "confidential", "stale"}


def test_the_schema_parser_finds_the_checks():
    assert CHECKS["persons", "doc_type"] == ("CC", "TI", "RC", "CE", "PPT", "PEP", "PA")
    assert CHECKS["blocks", "active"] == (0, 1)
    assert len(CHECKS) > 40


@pytest.mark.parametrize(("table", "column"), sorted(CODE_LISTS))
def test_each_list_in_the_code_is_what_its_check_allows(table, column):
    assert (table, column) in CHECKS, f"{table}.{column} has no CHECK ({column} IN (...)) in schema.sql"
    assert set(CODE_LISTS[table, column]) == set(CHECKS[table, column]), (
        f"{table}.{column}: the code's list and the schema's CHECK differ; a migration widens or narrows the CHECK"
    )
    assert len(CODE_LISTS[table, column]) == len(set(CODE_LISTS[table, column]))


@pytest.mark.parametrize(("table", "column"), sorted(PINNED))
def test_lists_without_a_constant_are_pinned(table, column):
    assert CHECKS[table, column] == PINNED[table, column]


def test_every_value_list_check_is_tied_to_something():
    untied = sorted(
        f"{table}.{column}"
        for table, column in CHECKS
        if (table, column) not in CODE_LISTS and (table, column) not in PINNED and column not in NOT_VALUE_LISTS
    )
    assert untied == [], "a new CHECK (column IN (...)): tie it to its list in the code (CODE_LISTS) or pin it"


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_every_allowed_value_has_a_label(language):
    catalogue_keys = set(json.loads((i18n._LOCALES / f"{language}.json").read_text(encoding="utf-8")))
    missing = [
        f"{prefix}.{value}"
        for (table, column), prefix in LABELS.items()
        for value in CHECKS[table, column]
        if f"{prefix}.{value}" not in catalogue_keys
    ]
    missing += [
        f"consent.{purpose}.label"
        for purpose in CHECKS["consents", "purpose"]
        if f"consent.{purpose}.label" not in catalogue_keys
    ]
    assert missing == []


def test_lists_that_derive_from_another_agree():
    assert set(validation.DOCUMENT_RULES) == set(CHECKS["persons", "doc_type"])
    assert set(outcomes.PROGRAMMES.values()) <= set(CHECKS["outcomes", "kind"])
    assert contact_facts.KINDS == catalogue.KINDS
    assert set(laundry.ELIGIBLE_NEEDS) <= set(CHECKS["care_links", "care_need"])
    assert {s for targets in referrals.TRANSITIONS.values() for s in targets} <= set(CHECKS["referrals", "status"])
    assert {s for targets in laundry.TRANSITIONS.values() for s in targets} <= set(
        CHECKS["participants", "load_status"]
    )
    assert {s for targets in outcomes.ENROLMENT_TRANSITIONS.values() for s in targets} <= set(
        CHECKS["enrolments", "status"]
    )


def test_the_seed_catalogue_uses_only_allowed_values():
    import csv

    from caremgmt.core.reference import SEED_DIR

    with open(SEED_DIR / "services.csv", encoding="utf-8", newline="") as f:
        services = list(csv.DictReader(f))
    for column in ("category", "kind", "audience", "care_hours_rule"):
        assert {s[column] for s in services} <= set(CHECKS["services", column]), column
    assert {s["care_need"] for s in services} - {""} <= set(CHECKS["services", "care_need"])
    with open(SEED_DIR / "institutions.csv", encoding="utf-8", newline="") as f:
        assert {i["sector"] for i in csv.DictReader(f)} <= set(CHECKS["institutions", "sector"])
    with open(SEED_DIR / "blocks.csv", encoding="utf-8", newline="") as f:
        assert {b.get("kind") or "block" for b in csv.DictReader(f)} <= set(CHECKS["blocks", "kind"])
