"""Page tests (AppTest) of the second factor: after the password, only the code
page until a code is accepted; a coordinator without one sets it up first; the
desk may set one up; recovery codes; an admin's reset."""

import datetime as dt
import json

import pyotp
from streamlit.testing.v1 import AppTest

from caremgmt.core import auth, second_factor
from tests.factories import PHONES, with_second_factor
from tests.pages.apptest import APP, TIMEOUT, app_as, click, key, texts

VERIFY_TITLE = "Verificación en dos pasos"
FACTOR_TITLE = "Segundo factor"


def new_tab() -> AppTest:
    return AppTest.from_file(APP, default_timeout=TIMEOUT).run()


def log_in(at: AppTest, username: str, password: str) -> AppTest:
    at.text_input(key="login_username").input(username)
    [field] = [t for t in at.text_input if t.key.startswith("login_password")]
    field.input(password)
    return click(at, "Ingresar")


def typed(at: AppTest, address: str) -> AppTest:
    """Another tab of ``at``'s login, opened at a page's address."""
    tab = AppTest.from_file(APP, default_timeout=TIMEOUT)
    tab.session_state["login_session"] = at.session_state["login_session"]
    return tab.switch_page(address).run()


def type_code(at: AppTest, code: str) -> AppTest:
    at.text_input(key=key(at, "second_factor_verify", "code")).input(code)
    return click(at, "Verificar")


def app_code(username: str) -> str:
    """What her authenticator app shows now."""
    return pyotp.TOTP(PHONES[username]).now()


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_after_the_password_only_the_code_page_opens_until_a_right_code(db, admin):
    at = log_in(new_tab(), "admin", "clave-de-la-jefa-1")
    assert not at.exception
    assert at.title[0].value == VERIFY_TITLE
    assert at.text_input(key="second_factor_verify_code").label == "Código de verificación"
    assert [e.label for e in at.expander] == ["Usar un código de recuperación"]
    # Every address, in this tab or another one of the same login, shows the code page.
    assert typed(at, "pages/admin/users.py").title[0].value == VERIFY_TITLE
    assert typed(at, "pages/desk/search.py").title[0].value == VERIFY_TITLE
    assert typed(at, "pages/access/second_factor.py").title[0].value == VERIFY_TITLE

    code = app_code("admin")
    type_code(at, wrong(code))
    assert "Código incorrecto. Revise que sea el de caremgmt en su aplicación y escríbalo de nuevo." in texts(at)
    assert at.title[0].value == VERIFY_TITLE
    type_code(at, code)
    assert not at.exception
    assert typed(at, "pages/admin/users.py").title[0].value == "Usuarios"

    # The same code in another login (seen over her shoulder) is refused.
    other = log_in(new_tab(), "admin", "clave-de-la-jefa-1")
    type_code(other, code)
    assert "Ese código ya se usó. Espere el siguiente (cambia cada 30 segundos) y escríbalo." in texts(other)
    assert typed(other, "pages/admin/users.py").title[0].value == VERIFY_TITLE


def test_wrong_codes_lock_the_code_page_and_it_says_until_when(db, admin):
    at = log_in(new_tab(), "admin", "clave-de-la-jefa-1")
    code = app_code("admin")
    for _ in range(5):
        type_code(at, wrong(code))
    assert "Demasiados intentos fallidos. Podrá intentarlo de nuevo a las " in texts(at)
    type_code(at, code)  # the right one too, while locked
    assert "Demasiados intentos fallidos." in texts(at)
    assert typed(at, "pages/desk/search.py").title[0].value == VERIFY_TITLE


def test_a_recovery_code_lets_her_in_once_and_says_how_many_are_left(db, admin):
    coordinator = auth.create_user(db, admin, "coordinadora", "coord-password-1", "coordinator", "BOSA")
    an_hour_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    secret = second_factor.begin(db, coordinator, now=an_hour_ago).secret
    codes = second_factor.confirm(db, coordinator, pyotp.TOTP(secret).at(an_hour_ago), now=an_hour_ago)

    at = log_in(new_tab(), "coordinadora", "coord-password-1")
    type_code(at, codes[0].upper())
    assert not at.exception
    assert "Ingresó con un código de recuperación; le quedan 9. Genere nuevos en «Segundo factor»." in texts(at)
    assert typed(at, "pages/impact/impact.py").title[0].value != VERIFY_TITLE
    again = log_in(new_tab(), "coordinadora", "coord-password-1")
    type_code(again, codes[0])
    assert "Ese código de recuperación ya se usó: cada uno sirve una sola vez." in texts(again)


def test_a_coordinator_without_one_sets_it_up_before_anything_else(db, admin):
    auth.create_user(db, admin, "coordinadora", "coord-password-1", "coordinator", "BOSA")
    at = log_in(new_tab(), "coordinadora", "coord-password-1")
    assert at.title[0].value == FACTOR_TITLE
    assert "Su rol exige un segundo factor" in texts(at)
    assert typed(at, "pages/impact/impact.py").title[0].value == FACTOR_TITLE
    click(at, "Activar segundo factor")
    assert len(at.image) == 1  # the QR code
    secret = at.code[0].value.replace(" ", "")  # or the key, to type into her app
    at.text_input(key="second_factor_confirm_code").input(wrong(pyotp.TOTP(secret).now()))
    click(at, "Confirmar")
    assert "Código incorrecto." in texts(at)
    assert typed(at, "pages/impact/impact.py").title[0].value == FACTOR_TITLE
    at.text_input(key="second_factor_confirm_code").input(pyotp.TOTP(secret).now())
    click(at, "Confirmar")
    assert "Segundo factor activado." in texts(at)
    assert "Sus códigos de recuperación (se muestran una sola vez)." in texts(at)
    codes = at.code[0].value.split()
    assert len(codes) == 10
    [download] = at.get("download_button")
    assert download.proto.label == "Descargar códigos"
    # Until she says she saved them, the codes stay the only thing on screen (this tab).
    assert at.button(key="recovery_codes_continue").disabled
    at.checkbox(key="recovery_codes_saved").check().run()
    click(at, "Continuar")
    assert typed(at, "pages/impact/impact.py").title[0].value == "Impacto del programa"
    # Her codes work at the next login.
    again = log_in(new_tab(), "coordinadora", "coord-password-1")
    type_code(again, codes[4])
    assert typed(again, "pages/impact/impact.py").title[0].value == "Impacto del programa"


def test_the_desk_may_set_one_up_on_her_page_and_is_asked_for_it_from_then_on(db, frontdesk):
    at = app_as(frontdesk, "pages/access/second_factor.py")
    assert at.title[0].value == FACTOR_TITLE
    assert "Opcional para su rol" in texts(at)
    click(at, "Activar segundo factor")
    secret = at.code[0].value.replace(" ", "")
    at.text_input(key="second_factor_confirm_code").input(pyotp.TOTP(secret).now())
    click(at, "Confirmar")
    at.checkbox(key="recovery_codes_saved").check().run()
    click(at, "Continuar")
    assert not at.exception
    mine = typed(at, "pages/access/second_factor.py")
    assert "Le quedan 10 códigos de recuperación sin usar." in texts(mine)
    assert "Desactivar segundo factor" in texts(mine)  # hers to turn off again
    later = log_in(new_tab(), "recepcion", "desk-password-1")
    assert later.title[0].value == VERIFY_TITLE


def test_new_recovery_codes_on_her_page_need_a_code_from_her_app(db, admin):
    at = app_as(admin, "pages/access/second_factor.py")
    assert "Segundo factor activo desde el" in texts(at)
    assert "Desactivar segundo factor" not in texts(at)  # an admin's role needs one
    at.text_input(key="second_factor_regenerate_code").input(wrong(app_code("admin")))
    click(at, "Generar nuevos códigos")
    assert "Código incorrecto." in texts(at)
    at.text_input(key="second_factor_regenerate_code").input(app_code("admin"))
    click(at, "Generar nuevos códigos")
    assert len(at.code[0].value.split()) == 10
    assert typed(at, "pages/admin/users.py").title[0].value == "Usuarios"  # another tab is not held up


def test_after_a_password_reset_the_code_comes_first_then_the_new_password(db, admin):
    coordinator = with_second_factor(
        db, auth.create_user(db, admin, "coordinadora", "coord-password-1", "coordinator", "BOSA")
    )
    temporary = auth.reset_password(db, admin, coordinator.id)
    at = log_in(new_tab(), "coordinadora", temporary)
    assert at.title[0].value == VERIFY_TITLE
    type_code(at, app_code("coordinadora"))
    assert typed(at, "pages/impact/impact.py").title[0].value == "Cambiar contraseña"


def test_an_admin_resets_a_second_factor_from_the_users_page(db, admin):
    coordinator = with_second_factor(
        db, auth.create_user(db, admin, "coordinadora", "coord-password-1", "coordinator", "BOSA")
    )
    at = app_as(admin, "pages/admin/users.py")
    [table] = at.dataframe
    assert list(table.value["Segundo factor"]) == ["✓", "✓"]
    at.selectbox(key="user_security").set_value(coordinator.id).run()
    click(at, "Restablecer segundo factor")
    assert not at.exception
    assert "Segundo factor de coordinadora restablecido" in texts(at)
    assert not second_factor.enrolled(db, coordinator.id)
    (old,) = db.execute("SELECT old_values FROM audit_log WHERE action = 'second_factor_reset'").fetchone()
    assert json.loads(old) == {"second_factor": 1}
    assert log_in(new_tab(), "coordinadora", "coord-password-1").title[0].value == FACTOR_TITLE
