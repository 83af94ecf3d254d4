"""The field sets of a person: a caregiver's full record and the minimal
record of a person cared for, each widget with its error line."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from caremgmt.registry import vocab
from caremgmt.registry.validation import format_phone, normalize_phone
from pages.ui.session import tr
from pages.ui.widgets import choice, date, field_error, text


def caregiver_fields(
    scope: str, key: Callable[[str], str], localities: dict, blocks: list[dict], current: dict | None = None
) -> dict:
    """Every field of a caregiver, in the order the desk asks for them; ``key``
    makes each widget's key from the field's name; ``current`` gives the values
    shown first (her record, a draft, or the domain's defaults for a new one)."""
    c = current or {}
    k = key
    data: dict = {}
    col1, col2 = st.columns(2)
    with col1:
        data["doc_type"] = choice(
            scope, "doc_type", vocab.DOC_TYPES, "doc_type", k("doc_type"), c.get("doc_type"), True
        )
    with col2:
        data["doc_number"] = text(scope, "doc_number", k("doc_number"), c.get("doc_number"), True)
    col1, col2 = st.columns(2)
    with col1:
        data["first_names"] = text(scope, "first_names", k("first_names"), c.get("first_names"), True)
    with col2:
        data["last_names"] = text(scope, "last_names", k("last_names"), c.get("last_names"), True)
    col1, col2, col3 = st.columns(3)
    with col1:
        data["birth_date"] = date(scope, "birth_date", k("birth_date"), c.get("birth_date"), True)
    with col2:
        data["sex"] = choice(scope, "sex", vocab.SEXES, "sex", k("sex"), c.get("sex"), True)
    with col3:
        data["gender_identity"] = choice(
            scope,
            "gender_identity",
            vocab.GENDER_IDENTITIES,
            "gender_identity",
            k("gender_identity"),
            c.get("gender_identity"),
        )
    col1, col2, col3 = st.columns(3)
    with col1:
        data["phone"] = text(scope, "phone", k("phone"), _phone(c.get("phone")), placeholder="300 123 4567")
    with col2:
        data["locality_code"] = choice(
            scope,
            "locality_code",
            tuple(localities),
            None,
            k("locality_code"),
            c.get("locality_code"),
            True,
            labels={code: f"{code:02d} {name}" for code, name in localities.items()},
        )
    with col3:
        data["neighbourhood"] = text(scope, "neighbourhood", k("neighbourhood"), c.get("neighbourhood"))
    col1, col2, col3 = st.columns(3)
    with col1:
        data["stratum"] = choice(scope, "stratum", (1, 2, 3, 4, 5, 6), None, k("stratum"), c.get("stratum"), labels={})
    with col2:
        data["ethnicity"] = choice(
            scope, "ethnicity", vocab.ETHNICITIES, "ethnicity", k("ethnicity"), c.get("ethnicity")
        )
    with col3:
        data["disability"] = choice(
            scope, "disability", vocab.DISABILITIES, "disability", k("disability"), c.get("disability")
        )
    col1, col2, col3 = st.columns(3)
    with col1:
        data["migrant_status"] = choice(
            scope,
            "migrant_status",
            vocab.MIGRANT_STATUSES,
            "migrant_status",
            k("migrant_status"),
            c.get("migrant_status"),
        )
    with col2:
        data["education_level"] = choice(
            scope,
            "education_level",
            vocab.EDUCATION_LEVELS,
            "education_level",
            k("education_level"),
            c.get("education_level"),
        )
    with col3:
        # No min_value/max_value: the widget would refuse 30 on its own (an English
        # tooltip, nothing saved, no word why); the domain says the hours go from 0 to 24.
        hours = c.get("care_hours_per_day")
        data["care_hours_per_day"] = st.number_input(
            tr("field.care_hours_per_day"),
            step=0.5,
            value=float(hours) if hours not in (None, "") else None,
            key=k("care_hours_per_day"),
        )
        field_error(scope, "care_hours_per_day")
    block_codes = tuple(b["code"] for b in blocks)
    block_names = {b["code"]: b["name"] for b in blocks}
    col1, col2 = st.columns(2)
    with col1:
        data["registration_channel"] = choice(
            scope,
            "registration_channel",
            vocab.REGISTRATION_CHANNELS,
            "channel",
            k("registration_channel"),
            c.get("registration_channel"),
            True,
        )
    with col2:
        data["home_block"] = choice(
            scope, "home_block", block_codes, None, k("home_block"), c.get("home_block"), True, labels=block_names
        )
    return data


def cared_person_fields(
    scope: str, key: Callable[[str], str], field_prefix: str = "", current: dict | None = None, link: bool = True
) -> dict:
    """The minimal fields of a person cared for, plus (``link``) relationship and care need;
    ``key`` makes each widget's key from the field's name.

    Linked (a dependant being registered): names, birth date, relationship and care
    need, then the optional document, sex and disability out of the way under "more
    details". Not linked (her own record, edited inside an expander, where another
    cannot open): every field in view."""
    c = current or {}
    k = key
    f = lambda name: f"{field_prefix}{name}"
    data: dict = {}
    col1, col2, col3 = st.columns(3)
    with col1:
        data["first_names"] = text(scope, f("first_names"), k("first_names"), c.get("first_names"), True)
    with col2:
        data["last_names"] = text(scope, f("last_names"), k("last_names"), c.get("last_names"), True)
    with col3:
        data["birth_date"] = date(scope, f("birth_date"), k("birth_date"), c.get("birth_date"), True)
    if link:
        col1, col2 = st.columns(2)
        with col1:
            data["relationship"] = choice(
                scope,
                f("relationship"),
                vocab.RELATIONSHIPS,
                "relationship",
                k("relationship"),
                c.get("relationship"),
                True,
            )
        with col2:
            data["care_need"] = choice(
                scope, f("care_need"), vocab.CARE_NEEDS, "care_need", k("care_need"), c.get("care_need"), True
            )
        data["legal_representative"] = legal_representative(k("legal_representative"), c)
        more = any(c.get(name) for name in ("doc_type", "doc_number", "sex", "disability"))
        with st.expander(tr("person.more_details"), expanded=more):
            _document_and_sex(scope, k, f, c, data)
            data["disability"] = choice(
                scope, f("disability"), vocab.DISABILITIES, "disability", k("disability"), c.get("disability")
            )
    else:
        _document_and_sex(scope, k, f, c, data)
        col1, col2 = st.columns(2)
        with col1:
            data["disability"] = choice(
                scope, f("disability"), vocab.DISABILITIES, "disability", k("disability"), c.get("disability")
            )
        with col2:
            data["phone"] = text(scope, f("phone"), k("phone"), _phone(c.get("phone")))
    return data


def _document_and_sex(scope: str, k: Callable[[str], str], f: Callable[[str], str], c: dict, data: dict) -> None:
    col1, col2, col3 = st.columns(3)
    with col1:
        data["doc_type"] = choice(scope, f("doc_type"), vocab.DOC_TYPES, "doc_type", k("doc_type"), c.get("doc_type"))
    with col2:
        data["doc_number"] = text(scope, f("doc_number"), k("doc_number"), c.get("doc_number"))
    with col3:
        data["sex"] = choice(scope, f("sex"), vocab.SEXES, "sex", k("sex"), c.get("sex"))


def _phone(value: str | None) -> str:
    """A stored number (+573001234567) as the desk writes it (300 1234567); anything
    else (a draft's, as it was typed, maybe half typed) as it is."""
    return format_phone(value) if value and value.startswith("+") and normalize_phone(value) else value or ""


def legal_representative(key: str, current: dict) -> bool:
    """Whether the caregiver is the legal representative of the person cared for
    (a parent of a child): her consents then stand for that person's too."""
    return st.checkbox(
        tr("person.legal_representative"),
        value=bool(current.get("legal_representative")),
        key=key,
        help=tr("person.legal_representative_help"),
    )
