"""What pages do: the one way to write (``Form`` and ``write``), reads that may
be refused, the confirmation left after a write, the page header, and moving
between pages."""

from __future__ import annotations

import contextlib
import logging
import secrets
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

import streamlit as st
from streamlit.errors import FragmentHandledException

from caremgmt.core.errors import CareError, NotFound, ValidationError
from pages.ui.formatting import literal
from pages.ui.session import db, language, tr, user
from pages.ui.widgets import set_errors, show_field_errors

# Where an unexpected error of a script run is written, with the code its user is shown.
LOG = logging.getLogger("caremgmt.app")

T = TypeVar("T")

PERSON_PAGE = "pages/desk/person.py"
SEARCH_PAGE = "pages/desk/search.py"
CASE_PAGE = "pages/cases/case.py"
ROSTER_PAGE = "pages/activities/roster.py"

# Where a tab remembers the record it opened last, per address parameter.
_SELECTED = {"person": "person_id", "session": "session_id"}

FLASH = "flash_note"
# A confirmation stays up this long on the page it first showed on, so that the
# rerun a second (ignored) click of a double click makes does not wipe it out.
FLASH_SECONDS = 5.0


class Form:
    """A form, or a family of action buttons, on a page.

    Widget keys made by ``key`` carry the form's round, which a successful
    write bumps: the next render starts with new, empty widgets (passwords
    included), and a second click still aimed at the old submit button (a
    double click) targets a widget that no longer exists, so it writes nothing.
    The form's field errors are kept under ``scope``."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.round: int = st.session_state.get(self._round_key, 0)

    @property
    def _round_key(self) -> str:
        return f"form_round:{self.name}"

    @property
    def scope(self) -> str:
        return self.name

    @property
    def id(self) -> str:
        """The key for ``st.form``."""
        return self.key("form")

    def key(self, field: object = "submit") -> str:
        """The widget key of ``field`` in this round of the form."""
        base = f"{self.name}_{field}"
        return f"{base}_r{self.round}" if self.round else base

    def succeeded(self) -> None:
        """Start a new round: new widgets, no errors."""
        set_errors(self.scope, None)
        st.session_state[self._round_key] = self.round + 1


def write(
    form: Form,
    service: Callable[..., T],
    *args: Any,
    done: str | Callable[[T], str] | None = None,
    then: Callable[[T], object] | None = None,
    outcomes: Mapping[type[CareError], Callable[[Any], object]] | None = None,
    **kwargs: Any,
) -> None:
    """Every write a page makes: ``service(db, user, *args, **kwargs)`` as the
    current user on this run's connection.

    Refused (a CareError): for a ValidationError each message goes under its
    field's widget (and those no widget shows, at the form); any other refusal
    is shown at the form; what was typed stays. An error type listed in
    ``outcomes`` is not a refusal but a question for the user: its handler
    keeps what the page needs to ask it, and the page reruns.
    Done: the form starts a new round (cleared, see Form), ``done`` (a message,
    or a function of the result) is shown after the rerun, ``then`` runs with
    the result (it may move to another page), and the page reruns.
    Returns only when refused."""
    try:
        result = service(db(), user(), *args, **kwargs)
    except CareError as error:
        if db().conn.in_transaction:  # nothing half-written stays behind for the rest of the run
            db().conn.rollback()
        handler = next((h for kind, h in (outcomes or {}).items() if isinstance(error, kind)), None)
        if handler is not None:
            set_errors(form.scope, None)
            handler(error)
            st.rerun()
        show_refusal(error, form.scope)
        return
    # Nothing between the write and the new round may yield to Streamlit (no
    # st.* element), so a rerun that interrupts here cannot find the old form.
    form.succeeded()
    if done is not None:
        flash(done(result) if callable(done) else done)
    if then is not None:
        then(result)
    st.rerun()


def show_refusal(error: CareError, scope: str | None = None) -> None:
    """A refusal's message in the user's language, never a traceback. With a
    ``scope``, a ValidationError's messages go under the scope's widgets. A
    message may quote what was typed (a name, a code): shown literally."""
    if isinstance(error, ValidationError):
        unplaced = show_field_errors(scope, error) if scope else list(error.errors.values())
        if len(unplaced) < len(error.errors):
            st.error(literal(error.message.render(language())))  # "check the marked fields"
        for message in unplaced:
            st.error(literal(message.render(language())))
    else:
        st.error(literal(error.message.render(language())))


def read_or_stop(read: Callable[[], T]) -> T:
    """The result of a read the domain may refuse (e.g. invalid filters): on a
    refusal, its message and nothing more of the page. A record that does not
    exist (a stale bookmark, a made-up id) is also forgotten as the selected one."""
    try:
        return read()
    except CareError as error:
        if isinstance(error, NotFound):
            for remembered in _SELECTED.values():
                st.session_state.pop(remembered, None)
            st.query_params.clear()
        show_refusal(error)
        st.stop()


def flash(message: str) -> None:
    """A confirmation (plain text, which may quote what was typed: it is shown
    literally) for the page the user lands on next. It stays a few seconds,
    also over a refusal that follows at once (the second click of a slow double
    click landing on the new, empty form): the first click did write."""
    st.session_state[FLASH] = {"text": message, "until": time.monotonic() + FLASH_SECONDS, "page": None}


def show_flash(page: str) -> None:
    """The confirmation left by the last write, on the page it first shows on
    (streamlit_app.py calls this above every page)."""
    note = st.session_state.get(FLASH)
    if not note:
        return
    if time.monotonic() > note["until"]:
        del st.session_state[FLASH]
        return
    note["page"] = page if note["page"] is None else note["page"]
    if note["page"] == page:
        st.success(literal(note["text"]))


def selected(param: str) -> int | None:
    """The record a page is about (``param``: "person" or "session"): from the
    page's address (``?person=17``), else the one this tab opened last. The
    address then names it, so the page can be reloaded, bookmarked and shared."""
    remembered = _SELECTED[param]
    raw = st.query_params.get(param, "")
    if raw.isascii() and raw.isdigit() and len(raw) <= 18:  # an id SQLite can hold, nothing else
        st.session_state[remembered] = int(raw)
    value = st.session_state.get(remembered)
    if value is not None and raw != str(value):
        st.query_params[param] = str(value)
    return value


def page_header(title_key: str, *, needs_person: bool = True) -> int | None:
    """Title and (``needs_person``) the selected person's id, or a pointer to
    the search and a stop."""
    st.title(tr(title_key))
    person_id = selected("person")
    if needs_person and person_id is None:
        st.info(tr("person.none_selected"))
        st.page_link(SEARCH_PAGE, label=tr("nav.search"), icon=":material/search:")
        st.stop()
    return person_id


def open_page(page: str, person_id: int | None = None) -> None:
    """Go to ``page`` about a person, by an address that names her."""
    st.switch_page(page, query_params={"person": person_id} if person_id is not None else None)


def open_person(person_id: int) -> None:
    open_page(PERSON_PAGE, person_id)


def open_case(person_id: int) -> None:
    open_page(CASE_PAGE, person_id)


def open_session(session_id: int) -> None:
    st.switch_page(ROSTER_PAGE, query_params={"session": session_id})


@contextlib.contextmanager
def errors_reported() -> Iterator[None]:
    """What a run raises shown without a traceback (client.showErrorDetails is
    "none" as well): a refusal no page caught as its translated message, anything
    else as a short code that finds its traceback in the server's log. Streamlit's
    own signals (st.rerun, st.stop, st.switch_page) are BaseExceptions and pass
    untouched; an error inside a fragment, already shown by Streamlit, too."""
    try:
        yield
    except FragmentHandledException:
        raise
    except CareError as error:
        LOG.warning("refusal not handled by its page: %s", error.message.key)
        show_refusal(error)
    except Exception:
        code = secrets.token_hex(4).upper()
        current = st.session_state.get("user")
        LOG.exception("unexpected error %s (user %s)", code, current.id if current else "-")
        st.error(tr("error.unexpected", code=code))
