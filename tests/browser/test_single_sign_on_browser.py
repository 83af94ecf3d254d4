"""Single sign-on in a real browser, against a local OpenID Connect provider the
test starts (oidc-provider-mock on a free localhost port; nothing beyond
localhost): she clicks "Ingresar con …", says who she is at the provider, and
comes back logged in with her own role's pages; logout is a logout; an identity
that has no account is refused with a message."""

import os
import subprocess
import sys
import time
import urllib.request

import pytest
from playwright.sync_api import expect

from caremgmt.core import sessions
from tests.browser.browser import (
    ROOT,
    browser_tab,
    free_port,
    start_streamlit,
    wait_for_session_cookie,
)

pytestmark = pytest.mark.browser

PROVIDER_BUTTON = "Ingresar con Manzanas ID"
IDENTITY_COOKIE = "_streamlit_user"


@pytest.fixture
def provider(tmp_path):
    """oidc-provider-mock, as a subprocess on a free localhost port (its form lets
    the tester type the subject, which becomes the identity's e-mail); stopped after."""
    port = free_port()
    log = open(tmp_path / "provider.log", "w")  # noqa: SIM115 - the provider writes to it until it stops
    process = subprocess.Popen(
        [sys.executable, "-m", "oidc_provider_mock", "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the OIDC provider exited: {(tmp_path / 'provider.log').read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/.well-known/openid-configuration", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("the OIDC provider did not start") from None
            time.sleep(0.2)
    yield url
    process.terminate()
    process.wait(timeout=10)
    log.close()


@pytest.fixture
def sso_app(tmp_path, provider, monkeypatch):
    """The app configured for the provider through its own secrets file (never the
    repository's .streamlit/), with a desk account that has an e-mail and no password."""
    db_path = str(tmp_path / "sso.db")
    monkeypatch.setenv("CAREMGMT_DB", db_path)
    added = subprocess.run(
        [
            *(sys.executable, "-m", "caremgmt", "user", "add", "lucia", "--role", "frontdesk", "--block", "KENNEDY"),
            *("--email", "lucia@manzanas.gov.co", "--no-password"),
        ],
        env={**os.environ, "CAREMGMT_DB": db_path},
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert added.returncode == 0, added.stderr
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(
        "[auth]\n"
        'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'  # Streamlit puts its port in
        'cookie_secret = "una-clave-de-prueba-larga-y-aleatoria-0123456789"\n'
        "[auth.manzanas]\n"
        'display_name = "Manzanas ID"\n'
        'client_id = "caremgmt"\n'
        'client_secret = "secreto-de-prueba"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n',
        encoding="utf-8",
    )
    process, url = start_streamlit(db_path, tmp_path / "streamlit.log", ("--secrets.files", str(secrets)))
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def page(sso_app):
    with browser_tab(sso_app) as tab:
        yield tab


def through_the_provider(page, app_url: str, subject: str) -> None:
    """Click the provider's button, say who she is on its form, and come back."""
    page.get_by_role("button", name=PROVIDER_BUTTON).click()
    page.wait_for_url("**/oauth2/authorize?**")
    page.locator("input[name=sub]").fill(subject)  # the mock's identity: this e-mail
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{app_url}/**")


def has_cookie(page, name: str) -> bool:
    """Whether the browser holds cookie ``name`` (or a part of it: a large one is split)."""
    return any(cookie["name"].startswith(name) for cookie in page.context.cookies())


def wait_for_no_cookie(page, name: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while has_cookie(page, name):
        if time.monotonic() > deadline:
            raise AssertionError(f"the browser never dropped the cookie {name}")
        page.wait_for_timeout(50)


def test_she_logs_in_through_the_provider_lands_on_her_roles_pages_and_logout_is_a_logout(sso_app, page):
    expect(page.get_by_role("button", name="Ingresar", exact=True)).to_be_visible()  # the password form too
    through_the_provider(page, sso_app, "Lucia@Manzanas.gov.co")  # the e-mail, whatever its case
    expect(page.get_by_role("heading", name="Hola, lucia")).to_be_visible()
    expect(page).to_have_url(f"{sso_app}/")
    sidebar = page.get_by_test_id("stSidebarNavItems")
    expect(sidebar.get_by_role("link", name="Registrar cuidadora")).to_be_visible()  # a desk's page
    expect(sidebar.get_by_role("link", name="Usuarios")).to_have_count(0)  # an admin's, not hers
    wait_for_session_cookie(page)
    wait_for_no_cookie(page, IDENTITY_COOKIE)  # the response that set ours dropped Streamlit's identity

    # Logout in the very tab that came back from the provider: the identity it
    # came back with does not sign her in again, now or after a reload.
    page.get_by_role("button", name="Cerrar sesión").click()
    expect(page.get_by_role("button", name=PROVIDER_BUTTON)).to_be_visible()
    expect(page.get_by_text("Se cerró la sesión.")).to_be_visible()
    wait_for_no_cookie(page, sessions.COOKIE)  # the page's request that drops it
    page.reload()
    expect(page.get_by_role("button", name=PROVIDER_BUTTON)).to_be_visible()
    expect(page.get_by_role("button", name="Cerrar sesión")).to_have_count(0)

    # Once more: her login is ours, so it survives a reload (our cookie), and so does a logout.
    through_the_provider(page, sso_app, "lucia@manzanas.gov.co")
    expect(page.get_by_role("heading", name="Hola, lucia")).to_be_visible()
    wait_for_session_cookie(page)
    page.reload()
    expect(page.get_by_role("heading", name="Hola, lucia")).to_be_visible()
    page.get_by_role("button", name="Cerrar sesión").click()
    expect(page.get_by_role("button", name=PROVIDER_BUTTON)).to_be_visible()
    wait_for_no_cookie(page, sessions.COOKIE)
    page.reload()
    expect(page.get_by_role("button", name=PROVIDER_BUTTON)).to_be_visible()
    expect(page.get_by_role("button", name="Cerrar sesión")).to_have_count(0)
    assert not has_cookie(page, IDENTITY_COOKIE)


def test_an_identity_without_an_account_is_refused_with_a_message(sso_app, page):
    through_the_provider(page, sso_app, "nadie@manzanas.gov.co")
    expect(page.get_by_text("no tiene cuenta en caremgmt")).to_be_visible()
    expect(page.get_by_text("Esta identidad (nadie@")).to_be_visible()
    expect(page.get_by_role("button", name="Cerrar sesión")).to_have_count(0)
    wait_for_no_cookie(page, IDENTITY_COOKIE)  # the refused identity is dropped too
    page.reload()
    expect(page.get_by_role("button", name=PROVIDER_BUTTON)).to_be_visible()
    expect(page.get_by_text("no tiene cuenta en caremgmt")).to_have_count(0)
