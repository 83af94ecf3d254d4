"""Whole page runs through Streamlit's AppTest: the search, the day's
activities and the impact page (warm, and with nothing cached)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from unittest import mock

import pyotp

from caremgmt.core import actor, second_factor, sessions
from caremgmt.core.db import connect
from caremgmt.tools.bench.timing import BUDGET_SECONDS, timed

ROOT = Path(__file__).resolve().parents[3]
MEASURES = ("page_search", "page_day", "page_impact", "page_impact_cold")


def measure(path: str, user: actor.User, repeat: int) -> dict:
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache

    # A server compiles the app and each page once and keeps the bytecode;
    # AppTest compiles both again on every run (about 70 ms of a 100 ms impact
    # page at city scale), which no user waits for. One cache, as on a server.
    compiled = ScriptCache()
    with (
        mock.patch("streamlit.testing.v1.app_test.ScriptCache", lambda: compiled),
        mock.patch("streamlit.testing.v1.local_script_runner.ScriptCache", lambda: compiled),
    ):
        return _measure(path, user, repeat)


def _log_in(db, user: actor.User) -> int:
    """A login session of the benchmark's account past its second factor, as the login
    form and the code page make one. Nobody keeps the account's authenticator secret, so
    each run sets up a new one (reset by the system, then enrolled and used a step later)."""
    second_factor.reset(db, actor.SYSTEM, user.id)
    secret = second_factor.begin(db, user).secret
    now = dt.datetime.now(dt.UTC)
    before = now - dt.timedelta(seconds=30)
    second_factor.confirm(db, user, pyotp.TOTP(secret).at(before.timestamp()), now=before)
    login_session, _ = sessions.start(db, user)
    second_factor.verify(db, user, pyotp.TOTP(secret).at(now.timestamp()), login_session, now=now)
    return login_session


def _measure(path: str, user: actor.User, repeat: int) -> dict:
    from streamlit import cache_data
    from streamlit.testing.v1 import AppTest

    database = connect(path)
    try:
        login_session = _log_in(database, user)
    finally:
        database.close()
    out = {}
    for name, page, state in (
        ("page_search", "pages/desk/search.py", {"search_query": "maria rodriguez"}),
        ("page_day", "pages/activities/day.py", {}),
        ("page_impact", "pages/impact/impact.py", {}),
    ):
        at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=600)
        at.session_state["login_session"] = login_session
        at.run()
        at.switch_page(page)
        for key, value in state.items():
            at.session_state[key] = value
        at.run()  # the first run fills caches, as the first coordinator of the day would
        out[name] = timed(at.run, repeat, budget_seconds=BUDGET_SECONDS)
        out[name]["errors"] = [str(e.value)[:200] for e in at.exception]
        if name == "page_impact":  # and for the first coordinator of the day, nothing cached
            out["page_impact_cold"] = timed(at.run, repeat, before=cache_data.clear, budget_seconds=BUDGET_SECONDS)
            out["page_impact_cold"]["errors"] = [str(e.value)[:200] for e in at.exception]
    return out
