"""Shared UI helpers for the pages: translation, the per-run connection,
field widgets with their error messages, and person field sets."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator

import streamlit as st

from caremgmt.core.actor import User
from caremgmt.core.clock import today
from caremgmt.core.db import connect
from caremgmt.core.errors import CareError, ValidationError
from caremgmt.core.i18n import DEFAULT_LANGUAGE, t
from caremgmt.registry import vocab
from caremgmt.registry.validation import age_on, format_phone

PERSON_PAGE = "pages/desk/person.py"
SEARCH_PAGE = "pages/desk/search.py"


def user() -> User | None:
    return st.session_state.get("user")


def language() -> str:
    current = user()
    return current.language if current else st.session_state.get("language", DEFAULT_LANGUAGE)


def tr(key: str, **params: object) -> str:
    return t(key, language(), **params)


@contextlib.contextmanager
def database() -> Iterator:
    """A connection for this script run only: never shared between sessions."""
    db = connect()
    try:
        yield db
    finally:
        db.close()


def show_error(error: CareError) -> None:
    """The error's message; for a ValidationError, each field's message."""
    if isinstance(error, ValidationError):
        for message in error.errors.values():
            st.error(message.render(language()))
    else:
        st.error(error.message.render(language()))


def set_errors(scope: str, error: ValidationError | None) -> None:
    st.session_state[f"{scope}_errors"] = error.errors if error else {}


def field_error(scope: str, field: str) -> None:
    """The message for ``field``, shown right under its widget."""
    message = st.session_state.get(f"{scope}_errors", {}).get(field)
    if message:
        st.markdown(f":red[{message.render(language())}]")


def label(group: str, value: object) -> str:
    return tr(f"{group}.{value}") if value not in (None, "") else "—"


def labeller(options, make_label):
    """A format_func whose labels are made now, in the user's language: Streamlit
    may call format_func outside this script run, where the language is unknown."""
    shown = {option: make_label(option) for option in options}
    return shown.__getitem__


def _title(field: str, required: bool) -> str:
    # Error keys may be nested ("dependents.0.first_names"); the label is the last part.
    return tr(f"field.{field.rsplit('.', 1)[-1]}") + (" *" if required else "")


def choice(
    scope: str,
    field: str,
    options: tuple,
    group: str | None,
    key: str,
    default=None,
    required=False,
    labels: dict | None = None,
):
    """A selectbox of vocabulary values (``group`` labels or ``labels``) and its error line."""
    index = options.index(default) if default in options else None
    make = (lambda v: labels.get(v, str(v))) if labels is not None else (lambda v: label(group, v))
    value = st.selectbox(
        _title(field, required),
        options,
        index=index,
        key=key,
        format_func=labeller(options, make),
        placeholder=tr("common.choose"),
    )
    field_error(scope, field)
    return value


def text(scope: str, field: str, key: str, default: str | None = None, required=False, **kwargs) -> str:
    value = st.text_input(_title(field, required), value=default or "", key=key, **kwargs)
    field_error(scope, field)
    return value


def date(scope: str, field: str, key: str, default: str | None = None, required=False) -> dt.date | None:
    value = st.date_input(
        _title(field, required),
        value=dt.date.fromisoformat(default) if default else None,
        min_value=dt.date(1900, 1, 1),
        max_value=today(),
        format="DD/MM/YYYY",
        key=key,
    )
    field_error(scope, field)
    return value


def caregiver_fields(
    scope: str, prefix: str, localities: dict, blocks: list[dict], current: dict | None = None
) -> dict:
    """Every field of a caregiver, in the order the desk asks for them."""
    c = current or {}
    k = lambda name: f"{prefix}{name}"
    data: dict = {}
    col1, col2 = st.columns(2)
    with col1:
        data["doc_type"] = choice(
            scope, "doc_type", vocab.DOC_TYPES, "doc_type", k("doc_type"), c.get("doc_type", "CC"), True
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
        data["phone"] = text(scope, "phone", k("phone"), format_phone(c.get("phone")), placeholder="300 123 4567")
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
        data["care_hours_per_day"] = st.number_input(
            tr("field.care_hours_per_day"),
            min_value=0.0,
            max_value=24.0,
            step=0.5,
            value=c.get("care_hours_per_day"),
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
            c.get("registration_channel", "front_desk"),
            True,
        )
    with col2:
        data["home_block"] = choice(
            scope, "home_block", block_codes, None, k("home_block"), c.get("home_block"), True, labels=block_names
        )
    return data


def cared_person_fields(
    scope: str, prefix: str, field_prefix: str = "", current: dict | None = None, link: bool = True
) -> dict:
    """The minimal fields of a person cared for, plus (``link``) relationship and care need."""
    c = current or {}
    k = lambda name: f"{prefix}{name}"
    f = lambda name: f"{field_prefix}{name}"
    data: dict = {}
    col1, col2, col3 = st.columns(3)
    with col1:
        data["first_names"] = text(scope, f("first_names"), k("first_names"), c.get("first_names"), True)
    with col2:
        data["last_names"] = text(scope, f("last_names"), k("last_names"), c.get("last_names"), True)
    with col3:
        data["birth_date"] = date(scope, f("birth_date"), k("birth_date"), c.get("birth_date"), True)
    col1, col2, col3 = st.columns(3)
    with col1:
        data["doc_type"] = choice(scope, f("doc_type"), vocab.DOC_TYPES, "doc_type", k("doc_type"), c.get("doc_type"))
    with col2:
        data["doc_number"] = text(scope, f("doc_number"), k("doc_number"), c.get("doc_number"))
    with col3:
        data["sex"] = choice(scope, f("sex"), vocab.SEXES, "sex", k("sex"), c.get("sex"))
    if link:
        col1, col2, col3 = st.columns(3)
        with col1:
            data["relationship"] = choice(
                scope, f("relationship"), vocab.RELATIONSHIPS, "relationship", k("relationship"), required=True
            )
        with col2:
            data["care_need"] = choice(
                scope, f("care_need"), vocab.CARE_NEEDS, "care_need", k("care_need"), required=True
            )
        with col3:
            data["disability"] = choice(scope, f("disability"), vocab.DISABILITIES, "disability", k("disability"))
    else:
        col1, col2 = st.columns(2)
        with col1:
            data["disability"] = choice(
                scope, f("disability"), vocab.DISABILITIES, "disability", k("disability"), c.get("disability")
            )
        with col2:
            data["phone"] = text(scope, f("phone"), k("phone"), format_phone(c.get("phone")))
    return data


def person_line(person: dict) -> str:
    """'María Pérez · CC 1023 · 34 años' for lists of people."""
    parts = [person.get("full_name") or f"{person['first_names']} {person['last_names']}"]
    if person.get("doc_type"):
        parts.append(f"{person['doc_type']} {person['doc_number']}")
    if person.get("birth_date"):
        parts.append(tr("common.age", age=age_on(dt.date.fromisoformat(person["birth_date"]), today())))
    return " · ".join(parts)


def open_person(person_id: int) -> None:
    st.session_state["person_id"] = person_id
    st.switch_page(PERSON_PAGE)


def service_label(row: dict) -> str:
    """A service's name in the user's language (rows carry name_es and name_en)."""
    return row["name_en"] if language() == "en" else row["name_es"]


def session_line(session: dict) -> str:
    """'Lun 23/11 08:00–11:00 · Validación del bachillerato · Aula 1'."""
    start = dt.datetime.fromisoformat(session["starts_at"])
    weekday = tr(f"weekday.{start.weekday()}")
    parts = [f"{weekday} {start:%d/%m} {start:%H:%M}–{session['ends_at'][11:]}", service_label(session)]
    if session.get("room"):
        parts.append(session["room"])
    return " · ".join(parts)


def block_picker(blocks: list[dict], key: str) -> str | None:
    """The user's own block by default; others may pick another."""
    codes = [b["code"] for b in blocks]
    names = {b["code"]: b["name"] for b in blocks}
    own = user().block_code
    return (
        st.selectbox(
            tr("field.block_code"),
            codes,
            index=codes.index(own) if own in codes else 0,
            format_func=names.__getitem__,
            key=key,
        )
        if codes
        else None
    )


def open_session(session_id: int) -> None:
    st.session_state["session_id"] = session_id
    st.switch_page("pages/activities/roster.py")


def page_header(title_key: str, flash_key: str, *, needs_person: bool = True) -> int | None:
    """Title, the confirmation left by the last action, and (``needs_person``)
    the selected person's id, or a pointer to the search and a stop."""
    st.title(tr(title_key))
    if flash := st.session_state.pop(flash_key, None):
        st.success(flash)
    person_id = st.session_state.get("person_id")
    if needs_person and person_id is None:
        st.info(tr("person.none_selected"))
        st.page_link(SEARCH_PAGE, label=tr("nav.search"), icon=":material/search:")
        st.stop()
    return person_id


def act(action, *args, flash_key: str, message: str, fresh: str | None = None, **kwargs) -> None:
    """Run a service call as the current user: show its refusal (what was typed
    stays), or rerun with ``message``. ``fresh`` names a counter that widget
    keys include: bumping it gives the form new, empty widgets."""
    with database() as db:
        try:
            action(db, user(), *args, **kwargs)
        except CareError as e:
            show_error(e)
            return
    if fresh:
        st.session_state[fresh] = st.session_state.get(fresh, 0) + 1
    st.session_state[flash_key] = message
    st.rerun()
