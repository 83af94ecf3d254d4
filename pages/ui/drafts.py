"""Half-filled forms that survive a reload.

A reload (F5, Back, a new tab) starts a new Streamlit session with an empty
``st.session_state``, but the login lives on in its server-side session
(pages.ui.session.login_session_id). A form's draft is kept here, in this
server process's memory and never on disk (it holds personal data nobody has
saved yet), under that login session: the new Streamlit session finds it again.
It is gone after the form is saved, at logout, or when the server restarts."""

from __future__ import annotations

import threading

from caremgmt.core.db import db_path
from pages.ui.session import login_session_id

_lock = threading.Lock()
# Keyed by database and login session: session ids are only unique within a database.
_drafts: dict[tuple[str, int, str], dict] = {}


def _key(form: str) -> tuple[str, int, str] | None:
    session = login_session_id()
    return None if session is None else (db_path(), session, form)


def recall(form: str) -> dict:
    """The values last kept for ``form`` in this login session ({} if none)."""
    key = _key(form)
    with _lock:
        return dict(_drafts.get(key, {})) if key else {}


def keep(form: str, values: dict) -> None:
    """Keep what ``form`` holds now (call it on every run of the page)."""
    key = _key(form)
    if key is not None:
        with _lock:
            _drafts[key] = dict(values)


def forget(form: str) -> None:
    """Drop ``form``'s draft (after it was saved)."""
    key = _key(form)
    with _lock:
        _drafts.pop(key, None)


def forget_session(session: int) -> None:
    """Drop every draft of a login session (at logout)."""
    database = db_path()
    with _lock:
        for key in [key for key in _drafts if key[:2] == (database, session)]:
            del _drafts[key]
