"""Who is using this session, in which language, and the one database
connection of the current script run.

Streamlit runs each session's script on its own thread, one run at a time, so
the run's connection lives in a thread-local opened on first use and closed by
``script_run`` whatever ends the run (st.rerun and st.stop raise). It is never
shared between sessions, nor kept from one run to the next."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

import streamlit as st
from sqlite_utils import Database

from caremgmt.core.actor import User
from caremgmt.core.db import connect
from caremgmt.core.i18n import DEFAULT_LANGUAGE, t

_run = threading.local()


@contextlib.contextmanager
def script_run() -> Iterator[None]:
    """Around one script run (streamlit_app.py wraps the whole run in it):
    what the run shares is fresh at its start and the connection is closed at its end."""
    _run.active, _run.db, _run.state = True, None, {}
    try:
        yield
    finally:
        db, _run.db, _run.active, _run.state = _run.db, None, False, {}
        if db is not None:
            db.close()


def db() -> Database:
    """This script run's connection, opened on first use."""
    if not getattr(_run, "active", False):
        raise RuntimeError("db() is only available inside a script run (see pages.ui.session.script_run)")
    if _run.db is None:
        _run.db = connect()
    return _run.db


def run_state() -> dict:
    """A dict that lives for this script run only (e.g. where field errors go)."""
    if not getattr(_run, "active", False):
        return {}
    return _run.state


def user() -> User | None:
    return st.session_state.get("user")


def language() -> str:
    current = user()
    return current.language if current else st.session_state.get("language", DEFAULT_LANGUAGE)


def tr(key: str, **params: object) -> str:
    return t(key, language(), **params)


def login_session_id() -> int | None:
    """The server-side login session this browser tab belongs to (see caremgmt.core.sessions)."""
    return st.session_state.get("login_session")
