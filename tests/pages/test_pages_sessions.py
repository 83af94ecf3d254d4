"""Page tests (AppTest) of the login session: the saved language is kept at
login, a logout or idleness ends every tab, and a page's address works before
and after login."""

import datetime as dt

from streamlit.testing.v1 import AppTest

from caremgmt.core import auth
from caremgmt.registry import persons
from tests.factories import CONSENT, caregiver_data
from tests.pages.apptest import APP, TIMEOUT, app_as, click, texts


def log_in(at, username="recepcion", password="desk-password-1"):
    at.text_input(key="login_username").input(username)
    at.text_input(key="login_password").input(password)
    return click(at, "Ingresar" if at.title[0].value == "Ingresar a caremgmt" else "Log in")


def test_the_login_screens_language_applies_before_login_only(db, frontdesk):
    auth.set_language(db, frontdesk, "en")
    updates = db.execute("SELECT count(*) FROM audit_log WHERE action = 'update'").fetchone()[0]
    at = app_as()
    assert at.title[0].value == "Ingresar a caremgmt"
    at.selectbox(key="language_picker").set_value("es").run()  # she keeps Spanish on the login screen
    log_in(at)
    assert not at.exception
    assert at.title[0].value == "Hello, recepcion"  # her saved English
    assert at.selectbox(key=f"language_picker_{frontdesk.id}").value == "en"
    assert db.execute("SELECT language FROM users WHERE id = ?", [frontdesk.id]).fetchone() == ("en",)
    assert db.execute("SELECT count(*) FROM audit_log WHERE action = 'update'").fetchone()[0] == updates


def test_a_logout_ends_her_other_tabs_at_their_next_click(db, frontdesk):
    first = app_as(frontdesk)
    second = app_as(frontdesk)
    assert second.title[0].value == "Hola, recepcion"
    first.button(key="logout").click().run()
    assert first.title[0].value == "Ingresar a caremgmt"
    second.run()
    assert second.title[0].value == "Ingresar a caremgmt"
    assert "Se cerró la sesión." in texts(second)


def test_an_idle_session_ends_with_a_message(db, frontdesk):
    at = app_as(frontdesk)
    long_ago = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=40)).isoformat(timespec="seconds")
    db.execute("UPDATE login_sessions SET last_seen_at = ?", [long_ago])
    at.run()
    assert at.title[0].value == "Ingresar a caremgmt"
    assert "La sesión se cerró porque pasó un tiempo sin actividad." in texts(at)


def test_a_deactivated_account_is_logged_out_with_a_message(db, admin, frontdesk):
    at = app_as(frontdesk)
    auth.set_active(db, admin, frontdesk.id, False)
    at.run()
    assert at.title[0].value == "Ingresar a caremgmt"
    assert "La cuenta fue desactivada." in texts(at)


def test_a_persons_address_asks_for_the_login_then_opens_her_file(db, frontdesk):
    person_id = persons.register_caregiver(db, frontdesk, caregiver_data(), [], CONSENT)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)  # a new tab, on the typed (bookmarked) address
    at.query_params["person"] = str(person_id)
    at.switch_page("pages/desk/person.py").run()
    assert at.title[0].value == "Ingresar a caremgmt"  # nothing of her file before the login
    log_in(at)
    assert not at.exception
    assert at.title[0].value == "María José Rodríguez Peña"
    assert at.query_params["person"] == str(person_id)


def test_a_stale_or_made_up_address_says_so_without_a_traceback(db, frontdesk):
    for wrong, says in (
        ("²", "Busque y abra a una persona para ver su ficha."),  # not an id at all
        ("99999999999999999999999", "Busque y abra a una persona para ver su ficha."),
        ("99999", "No se encontró el registro."),  # a stale bookmark: the id is forgotten
    ):
        at = app_as(frontdesk)
        at.query_params["person"] = wrong
        at.switch_page("pages/desk/person.py").run()
        assert not at.exception, wrong
        assert says in texts(at), wrong
    at.run()  # the stale one is not remembered: the page asks for a person again
    assert "Busque y abra a una persona para ver su ficha." in texts(at)
