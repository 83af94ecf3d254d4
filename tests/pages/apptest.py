"""Helpers for AppTest page tests: a logged-in app on the test database."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

from caremgmt.core import sessions
from caremgmt.core.db import connect
from tests.factories import pass_second_factor

APP = str(Path(__file__).resolve().parents[2] / "streamlit_app.py")

TIMEOUT = 60


def app_as(user=None, page: str | None = None, login_session: int | None = None) -> AppTest:
    """The app in a new tab, logged in as ``user`` (a new login session, as the
    login form makes, or the tab of an existing ``login_session``)."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    if user is not None:
        at.session_state["login_session"] = login_session or start_session(user)
    at.run()
    if page:
        at.switch_page(page).run()
    return at


def start_session(user) -> int:
    """A live login session of ``user`` in the test database (CAREMGMT_DB), as the login
    form makes it: past her second factor, if she has one (her app's code, typed)."""
    db = connect()
    try:
        session_id = sessions.start(db, user)[0]
        if sessions.current(db, session_id).second_factor == sessions.VERIFY:
            pass_second_factor(db, user, session_id)
        return session_id
    finally:
        db.close()


def click(at: AppTest, label: str) -> AppTest:
    """Click the (form submit or plain) button whose label is ``label``."""
    buttons = [b for b in at.button if b.label == label]
    assert buttons, f"no button {label!r}; have {[b.label for b in at.button]}"
    return buttons[0].click().run()


def texts(at: AppTest) -> str:
    """Everything a user reads on the page, as one string."""
    parts = []
    for kind in ("title", "subheader", "markdown", "text", "caption", "info", "error", "warning", "success"):
        parts += [str(e.value) for e in getattr(at, kind)]
    return "\n".join(parts)


def open_page(user, page: str, **state) -> AppTest:
    """``page`` as ``user`` would see it, with ``state`` set first (e.g. person_id)."""
    at = app_as(user)
    for key, value in state.items():
        at.session_state[key] = value
    return at.switch_page(page).run()


def key(at: AppTest, form: str, field: object = "submit") -> str:
    """The widget key of ``field`` in the current round of ``form`` (pages.ui.actions.Form):
    each successful write starts a new round, with new (empty) widgets."""
    state = at.session_state
    rounds = state[f"form_round:{form}"] if f"form_round:{form}" in state else 0  # noqa: SIM401 - AppTest's state has no get()
    return f"{form}_{field}" + (f"_r{rounds}" if rounds else "")


def double_click(at: AppTest, button) -> AppTest:
    """Click ``button`` twice, as a double click does: the second click reaches
    the server after the first one's run has finished, still aimed at the button
    (and the form values) the browser showed before it, whatever the page shows now."""
    button.click()
    stale = at._tree.get_widget_states()  # what the browser sends, both times
    at._run(stale)
    return at._run(stale)


def assert_turned_away(user, page: str) -> None:
    """``user`` asks for ``page`` by its address and lands on the home page,
    told that her role cannot open it, with nothing of the page shown."""
    at = app_as(user)
    at.switch_page(page).run()
    assert not at.exception
    assert "Su rol no permite abrir esa página." in texts(at), f"{page} opened for {user.role}"
    assert at.title[0].value == f"Hola, {user.username}"
