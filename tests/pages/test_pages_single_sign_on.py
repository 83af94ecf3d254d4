"""Page tests (AppTest) of single sign-on: the providers' buttons on the login page,
an identity back from the provider (st.user) turned into her login, a refused one,
a password login for an account without password, and the admin's settings."""

import asyncio
import json
import time

from starlette.requests import Request
from streamlit.testing.v1 import AppTest

from caremgmt.core import auth, sessions, single_sign_on
from pages.ui.sign_in import session_cookie
from tests.pages.apptest import APP, TIMEOUT, app_as, click, key, texts

AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "una-clave-larga-para-las-cookies",
    "entra": {
        "display_name": "Microsoft",
        "client_id": "caremgmt",
        "client_secret": "x",
        "server_metadata_url": "https://login.example.org/.well-known/openid-configuration",
    },
}
REFUSED = (
    "Esta identidad (nadie@manzanas.gov.co) no tiene cuenta en caremgmt. Pida a quien administra el sistema"
    " que registre ese correo en su usuario."
)


def new_tab(configured=True, identity=None) -> AppTest:
    """A new tab, the secrets configuring a provider (or not), back from it with ``identity``."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    if configured:
        at.secrets["auth"] = AUTH
    if identity is not None:
        at.user = {
            "is_logged_in": True,
            "provider": "entra",
            "sub": "sujeto-1",
            "email": identity,
            "exp": int(time.time()) + 3000,
        }
    return at.run()


def desk_with_email(db, admin, email="recepcion@manzanas.gov.co", password_login=True):
    account = auth.create_user(db, admin, "recepcion", "desk-password-1", "frontdesk", "BOSA", email=email)
    if not password_login:
        single_sign_on.set_password_login(db, admin, account.id, False)
    return account


def buttons(at) -> list[str]:
    return [b.label for b in at.button]


def test_the_login_page_offers_a_provider_only_when_the_secrets_configure_one(db, admin):
    plain = new_tab(configured=False)
    assert not plain.exception
    assert not [label for label in buttons(plain) if label.startswith("Ingresar con")]
    configured = new_tab()
    assert not configured.exception
    assert "Ingresar con Microsoft" in buttons(configured)
    assert "Si su cuenta ingresa con inicio de sesión único, use el botón de su proveedor." in texts(configured)


def test_an_identity_back_from_the_provider_logs_her_in_with_her_role_and_drops_the_identity(db, admin):
    desk = desk_with_email(db, admin)
    at = new_tab(identity="Recepcion@Manzanas.gov.co")
    assert not at.exception
    assert at.title[0].value == "Hola, recepcion"
    assert at.session_state["user"] == desk
    assert at.user.get("is_logged_in") is False  # Streamlit's identity is gone: our login is the only one
    assert '"POST"' in at.get("html")[0].proto.body  # the claim of our cookie, handed to the browser
    at.button(key="logout").click().run()
    assert at.title[0].value == "Ingresar a caremgmt"  # and logout is a logout: no identity signs her in again
    assert "user" not in at.session_state


def test_an_identity_that_has_no_account_is_refused_with_its_email_shown_as_typed(db, admin):
    desk_with_email(db, admin)
    at = new_tab(identity="Nadie@Manzanas.gov.co")
    assert not at.exception
    assert at.title[0].value == "Ingresar a caremgmt"
    assert "user" not in at.session_state
    [error] = [e.value for e in at.error]
    assert error.replace("\u2060", "").replace("\\", "") == REFUSED  # made literal: no link, no markdown
    assert at.user.get("is_logged_in") is False
    at.run()  # once: the next run is the plain login page
    assert not at.error


def test_an_identity_is_worth_nothing_once_single_sign_on_is_taken_out_of_the_secrets(db, admin):
    desk_with_email(db, admin)
    at = new_tab(configured=False, identity="recepcion@manzanas.gov.co")
    assert not at.exception
    assert at.title[0].value == "Ingresar a caremgmt" and "user" not in at.session_state
    assert [e.value for e in at.error] == [
        "Ese proveedor de identidad ya no está configurado en caremgmt. Ingrese de nuevo con uno de los botones."
    ]


def test_a_password_login_for_an_account_without_password_reads_like_a_wrong_password(db, admin):
    desk_with_email(db, admin, password_login=False)
    at = new_tab()
    at.text_input(key="login_username").input("recepcion")
    at.text_input(key="login_password").input("desk-password-1")
    click(at, "Ingresar")
    assert at.title[0].value == "Ingresar a caremgmt"
    assert [e.value for e in at.error] == ["Usuario o contraseña incorrectos."]


def test_an_account_without_password_has_none_to_change(db, admin):
    desk = desk_with_email(db, admin, password_login=False)
    at = app_as(desk, "pages/access/password.py")
    assert not at.exception
    assert "Su cuenta ingresa solo con inicio de sesión único: no tiene contraseña local que cambiar." in texts(at)
    assert not at.text_input


def test_an_admin_sets_an_email_and_turns_the_password_off_and_on(db, admin, frontdesk):
    at = app_as(admin, "pages/admin/users.py")
    at.selectbox(key="user_sso").set_value(frontdesk.id).run()
    click(at, "Desactivar la contraseña local")  # no e-mail yet: it would lock her out
    assert "Una cuenta sin contraseña local necesita un correo: es su única forma de ingresar." in texts(at)
    at.text_input(key=key(at, "user_sso", f"email_{frontdesk.id}")).input("Recepcion@Bosa.gov.co")
    click(at, "Guardar correo")
    assert not at.exception
    assert "Correo de recepcion guardado." in texts(at)
    assert at.text_input(key=key(at, "user_sso", f"email_{frontdesk.id}")).value == "recepcion@bosa.gov.co"
    click(at, "Desactivar la contraseña local")
    assert "recepcion ya no puede ingresar con contraseña, solo con inicio de sesión único." in texts(at)
    assert not single_sign_on.password_login(db, frontdesk)
    assert auth.authenticate(db, "recepcion", "desk-password-1") is None
    click(at, "Activar la contraseña local")
    assert single_sign_on.password_login(db, frontdesk)
    at.selectbox(key="user_sso").set_value(admin.id).run()
    at.text_input(key=key(at, "user_sso", f"email_{admin.id}")).input("no es un correo")
    click(at, "Guardar correo")
    assert "Escriba un correo válido" in texts(at)  # under the field
    assert db.execute("SELECT email FROM users WHERE id = ?", [admin.id]).fetchone() == (None,)


def route(method: str, body: object, cookies: str):
    """The app's cookie route (pages.ui.sign_in.session_cookie), called as a browser
    holding ``cookies`` calls it from the app's page."""
    headers = [(b"host", b"127.0.0.1:8501"), (b"origin", b"http://127.0.0.1:8501"), (b"cookie", cookies.encode())]
    scope = {"type": "http", "method": method, "scheme": "http", "path": "/api/session", "query_string": b""}

    async def receive():
        return {"type": "http.request", "body": json.dumps(body).encode(), "more_body": False}

    response = asyncio.run(session_cookie(Request({**scope, "headers": headers}, receive)))
    return [value.decode() for name, value in response.raw_headers if name == b"set-cookie"]


def test_our_cookie_replaces_streamlits_identity_and_a_logout_drops_both(db, frontdesk):
    held = "_streamlit_user=abc; _streamlit_user_1=def; _streamlit_user_tokens=ghi; other=1"
    _, claim = sessions.start(db, frontdesk)
    set_cookies = route("POST", {"claim": claim}, held)
    assert set_cookies[0].startswith("caremgmt_session=") and "Max-Age=0" not in set_cookies[0]
    dropped = sorted(c.split("=", 1)[0] for c in set_cookies[1:] if "Max-Age=0" in c and "Path=/" in c)
    assert dropped == ["_streamlit_user", "_streamlit_user_1", "_streamlit_user_tokens"]  # never "other"
    logout = route("DELETE", None, held)
    assert sorted(c.split("=", 1)[0] for c in logout if "Max-Age=0" in c) == [
        "_streamlit_user",
        "_streamlit_user_1",
        "_streamlit_user_tokens",
        "caremgmt_session",
    ]
    assert route("DELETE", None, "other=1") == [next(c for c in logout if c.startswith("caremgmt_session"))]
