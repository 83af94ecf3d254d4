"""Half-filled forms that survive a reload.

A reload (F5, Back, a new tab) starts a new Streamlit session with an empty
``st.session_state``, but the login lives on in its server-side session
(pages.ui.session.login_session_id). A form's draft is kept here, in this
server process's memory and never on disk (it holds personal data nobody has
saved yet), under that login session: the new Streamlit session finds it again.
It is gone after the form is saved, at logout, or when the server restarts."""

from __future__ import annotations

import threading

from pages.ui.session import login_session_id

_lock = threading.Lock()
_drafts: dict[tuple[int, str], dict] = {}


def recall(form: str) -> dict:
    """The values last kept for ``form`` in this login session ({} if none)."""
    session = login_session_id()
    if session is None:
        return {}
    with _lock:
        return dict(_drafts.get((session, form), {}))


def keep(form: str, values: dict) -> None:
    """Keep what ``form`` holds now (call it on every run of the page)."""
    session = login_session_id()
    if session is None:
        return
    with _lock:
        _drafts[(session, form)] = dict(values)


def forget(form: str) -> None:
    """Drop ``form``'s draft (after it was saved)."""
    session = login_session_id()
    with _lock:
        _drafts.pop((session, form), None)


def forget_session(session: int) -> None:
    """Drop every draft of a login session (at logout)."""
    with _lock:
        for key in [key for key in _drafts if key[0] == session]:
            del _drafts[key]
