"""Page tests (AppTest) of login protection: the locked message, changing one's own
password, and the change forced after an admin's reset."""

import contextlib

from streamlit.testing.v1 import AppTest

from caremgmt.core import auth
from tests.pages.apptest import APP, TIMEOUT, app_as, click, key, texts

LOCKED = "Demasiados intentos fallidos. Podrá intentarlo de nuevo a las "


def log_in(at, username, password):
    at.text_input(key="login_username").input(username)
    [field] = [t for t in at.text_input if t.key.startswith("login_password")]
    field.input(password)
    return click(at, "Ingresar")


def new_tab():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    return at.run()


def change(at, current, new, repeat=None):
    at.text_input(key=key(at, "password_change", "current")).input(current)
    at.text_input(key=key(at, "password_change", "new")).input(new)
    at.text_input(key=key(at, "password_change", "repeat")).input(repeat or new)
    return click(at, "Cambiar contraseña")


def test_a_locked_login_says_when_to_try_again_and_the_same_for_a_name_that_does_not_exist(db, frontdesk):
    at = new_tab()
    for _ in range(4):
        log_in(at, "recepcion", "not-her-password")
        assert at.error[0].value == "Usuario o contraseña incorrectos."
    log_in(at, "recepcion", "not-her-password")
    locked = at.error[0].value
    assert locked.startswith(LOCKED)
    log_in(at, "recepcion", "desk-password-1")  # the right password is refused too
    assert at.error[0].value == locked and at.title[0].value == "Ingresar a caremgmt"
    other = new_tab()
    for _ in range(5):
        log_in(other, "nadie", "not-her-password")
    assert other.error[0].value.startswith(LOCKED)  # nothing tells the two apart


def test_she_changes_her_own_password_from_the_navigation(db, frontdesk):
    at = app_as(frontdesk, "pages/access/password.py")
    assert at.title[0].value == "Cambiar contraseña"
    change(at, "desk-password-1", "1234567890123")
    assert not at.exception
    assert "La contraseña no puede ser una secuencia" in texts(at)
    assert at.text_input(key=key(at, "password_change", "new")).value == ""  # never kept in its field
    change(at, "desk-password-1", "voy-a-la-manzana-en-bus")
    assert "Contraseña cambiada." in texts(at)
    assert auth.authenticate(db, "recepcion", "voy-a-la-manzana-en-bus") == frontdesk


def test_after_a_reset_she_can_open_nothing_but_the_change_of_password(db, admin, frontdesk):
    temporary = auth.reset_password(db, admin, frontdesk.id)
    at = new_tab()
    log_in(at, "recepcion", temporary)
    assert not at.exception
    assert at.title[0].value == "Cambiar contraseña"
    assert "Se restableció su contraseña. Elija una nueva para continuar." in texts(at)

    def typed(address):  # another tab of her login, opened at a page's address
        tab = AppTest.from_file(APP, default_timeout=TIMEOUT)
        tab.session_state["login_session"] = at.session_state["login_session"]
        return tab.switch_page(address).run()

    assert typed("pages/desk/search.py").title[0].value == "Cambiar contraseña"
    assert typed("pages/desk/register.py").title[0].value == "Cambiar contraseña"
    change(at, temporary, "mis-palabras-de-siempre")
    assert "Contraseña cambiada." in texts(at)
    assert typed("pages/desk/search.py").title[0].value == "Buscar persona"


def test_an_admin_unlocks_and_resets_from_the_users_page(db, admin, frontdesk):
    for _ in range(5):
        with contextlib.suppress(auth.LoginLocked):  # the fifth starts the lock
            auth.authenticate(db, "recepcion", "not-her-password")
    at = app_as(admin, "pages/admin/users.py")
    at.selectbox(key="user_security").set_value(frontdesk.id).run()
    click(at, "Desbloquear")
    assert "Cuenta recepcion desbloqueada." in texts(at)
    assert auth.locked_until(db, "recepcion") is None
    at.selectbox(key="user_security").set_value(frontdesk.id).run()
    click(at, "Restablecer contraseña")
    assert not at.exception
    [shown] = [c.value for c in at.code]
    assert auth.authenticate(db, "recepcion", shown) == frontdesk
    assert auth.must_change_password(db, frontdesk)
