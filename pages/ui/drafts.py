"""Half-filled forms that survive a reload.

A reload (F5, Back, a new tab) starts a new Streamlit session with an empty
``st.session_state``, but the login lives on in its server-side session
(pages.ui.session.login_session_id). A form's draft is kept here, in this
server process's memory and never on disk (it holds personal data nobody has
saved yet), under that login session: the new Streamlit session finds it again.
It is dropped when the form is saved, when this tab logs out or finds its
session ended, once untouched for longer than a session may idle, and when
the server restarts. The tabs of one browser share a login session, so they
share its drafts too."""

from __future__ import annotations

import threading
import time

from caremgmt.core import sessions
from caremgmt.core.db import db_path
from pages.ui.session import login_session_id

_lock = threading.Lock()
# (database, login session, form) -> (values, when kept). Session ids are only unique within a database.
_drafts: dict[tuple[str, int, str], tuple[dict, float]] = {}


def _key(form: str) -> tuple[str, int, str] | None:
    session = login_session_id()
    return None if session is None else (db_path(), session, form)


def _sweep(now: float) -> None:
    """Drop drafts older than a session may idle (their session has ended, or will)."""
    oldest = now - sessions.idle_limit().total_seconds()
    for key in [key for key, (_, kept) in _drafts.items() if kept < oldest]:
        del _drafts[key]


def recall(form: str) -> dict:
    """The values last kept for ``form`` in this login session ({} if none)."""
    key = _key(form)
    with _lock:
        _sweep(time.monotonic())
        return dict(_drafts[key][0]) if key in _drafts else {}


def keep(form: str, values: dict) -> None:
    """Keep what ``form`` holds now (call it on every run of the page)."""
    key = _key(form)
    if key is not None:
        with _lock:
            _drafts[key] = (dict(values), time.monotonic())


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
