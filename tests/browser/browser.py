"""Real-browser harness: `streamlit run` on localhost driven by Playwright in
Debian's headless Chromium. In CI (CI set) a missing browser fails the run."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect, sync_playwright

from caremgmt.core import sessions

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        message = "Debian's chromium is not installed (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_streamlit(db_path: str, log_path: Path, extra_args: tuple[str, ...] = ()) -> tuple[subprocess.Popen, str]:
    """`streamlit run` on ``db_path`` at a free port; ``extra_args`` go to it (such as
    ``--secrets.files PATH``). The process and the app's address."""
    port = free_port()
    env = {**os.environ, "CAREMGMT_DB": db_path}
    log = open(log_path, "w")  # noqa: SIM115 - the server writes to it after this function returns
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "streamlit_app.py"),
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--browser.gatherUsageStats",
            "false",
            "--server.fileWatcherType",
            "none",
            *extra_args,
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited: {log_path.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return process, url
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError(f"streamlit did not start: {log_path.read_text()}")


@contextlib.contextmanager
def browser_tab(url: str):
    """A tab of headless Chromium at ``url`` (Spanish, a desk's screen size); a
    screenshot of its last state goes to test-artifacts/ when the test ends."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_FLAGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="es-CO")
        context.set_default_timeout(20_000)
        tab = context.new_page()
        tab.goto(url)
        yield tab
        ARTIFACTS.mkdir(exist_ok=True)
        tab.screenshot(path=str(ARTIFACTS / "last-browser-test.png"), full_page=True)
        browser.close()


def choose(page, label: str, option: str, nth: int = 0) -> None:
    """Pick ``option`` in the Streamlit selectbox labelled ``label``."""
    box = page.get_by_label(label, exact=True).nth(nth)
    box.click()
    page.keyboard.type(option)
    page.get_by_role("option", name=option, exact=True).click()
    expect(box).to_have_value(option)


def nav(page, name: str) -> None:
    """Follow the sidebar's navigation link ``name``."""
    page.get_by_test_id("stSidebarNavItems").get_by_role("link", name=name).click()


def settle(page) -> None:
    """Wait until the app has no script run going on or asked for (Streamlit marks
    its root with the script's state as soon as a click asks for a run)."""
    page.locator("[data-testid='stApp'][data-test-script-state='notRunning']").wait_for()


def leave_field(page) -> None:
    """Tab out of a text field and wait for the run its new value asks for. The
    value reaches the server only with that run, which may start a moment after
    the Tab: settle() alone could look before it and see nothing running."""
    page.keyboard.press("Tab")
    with contextlib.suppress(PlaywrightTimeoutError):  # it came and went before we looked
        page.locator("[data-testid='stApp']:not([data-test-script-state='notRunning'])").wait_for(timeout=3000)
    settle(page)


def type_date(page, label: str, digits: str, nth: int = 0) -> None:
    """Type a date (DDMMYYYY digits) into the segmented date field labelled ``label``."""
    page.get_by_label(label, exact=True).nth(nth).get_by_role("spinbutton").first.click()
    page.keyboard.type(digits)
    page.keyboard.press("Tab")


# The secret in the authenticator app of each account a test set up a second factor for
# (``with_second_factor``), by (database, username): what her phone keeps.
PHONES: dict[tuple[str | None, str], str] = {}
_USED_STEPS: dict[str, int] = {}  # by secret: the last step whose code a test typed
STEP_SECONDS = 30


def with_second_factor(db, user):
    """Set up ``user``'s second factor (tests.factories.with_second_factor: an hour ago)
    in the test's database; ``log_in`` then types her app's code when the page asks."""
    from tests.factories import PHONES as FACTORY_PHONES
    from tests.factories import with_second_factor as set_up

    set_up(db, user)
    PHONES[(os.environ.get("CAREMGMT_DB"), user.username)] = FACTORY_PHONES[user.username]
    return user


def app_code(secret: str) -> str:
    """The code her authenticator app shows now, for a step no test has typed yet (the app
    refuses a step used before: this waits for the next one, at most 30 seconds)."""
    import pyotp

    step = int(time.time() // STEP_SECONDS)
    if step <= _USED_STEPS.get(secret, -1):
        time.sleep((_USED_STEPS[secret] + 1) * STEP_SECONDS - time.time() + 0.2)
        step = int(time.time() // STEP_SECONDS)
    _USED_STEPS[secret] = step
    return pyotp.TOTP(secret).at(step * STEP_SECONDS)


def type_code(page, secret: str) -> None:
    """On the second step of a login, type the code her app shows and verify it."""
    expect(page.get_by_role("heading", name="Verificación en dos pasos")).to_be_visible()
    page.get_by_label("Código de verificación").fill(app_code(secret))
    page.get_by_role("button", name="Verificar").click()
    expect(page.get_by_role("heading", name="Verificación en dos pasos")).to_have_count(0)


def set_up_second_factor(page) -> tuple[str, list[str]]:
    """On the second factor's page: start, read the key as she would type it into her
    phone's app, confirm with the app's code, tick that the recovery codes are saved
    and go on. Her secret and her recovery codes."""
    page.get_by_role("button", name="Activar segundo factor").click()
    expect(page.get_by_test_id("stImage")).to_have_count(1)  # the QR code
    secret = page.get_by_test_id("stCode").first.inner_text().replace(" ", "").strip()
    page.get_by_label("Código de verificación").fill(app_code(secret))
    page.get_by_role("button", name="Confirmar").click()
    expect(page.get_by_text("Sus códigos de recuperación (se muestran una sola vez).")).to_be_visible()
    codes = page.get_by_test_id("stCode").first.inner_text().split()
    page.get_by_text("Guardé mis códigos en un lugar seguro").click()
    page.get_by_role("button", name="Continuar").click()
    expect(page.get_by_role("button", name="Continuar")).to_have_count(0)
    return secret, codes


def log_in(
    page,
    username: str = "recepcion",
    password: str = "clave-de-prueba-1",
    expect_home: bool = True,
    secret: str | None = None,
) -> None:
    """Fill the login form, then, for an account with a second factor (``secret``, or one
    set up by ``with_second_factor``), the code from her app; and, ``expect_home``, wait
    for the home page."""
    page.get_by_label("Usuario").fill(username)
    page.get_by_label("Contraseña").fill(password)
    page.get_by_role("button", name="Ingresar").click()
    secret = secret or PHONES.get((os.environ.get("CAREMGMT_DB"), username))
    if secret:
        type_code(page, secret)
    if expect_home:
        expect(page.get_by_role("heading", name=f"Hola, {username}")).to_be_visible()
    else:
        expect(page.get_by_role("button", name="Cerrar sesión")).to_be_visible()
    wait_for_session_cookie(page)


def wait_for_session_cookie(page, timeout: float = 20) -> None:
    """Wait until the browser holds the login cookie. The page fetches it after
    the run that logged her in; a reload before that fetch ends cancels it, and
    the reloaded tab is logged out (as it would be for a person that quick)."""
    deadline = time.monotonic() + timeout
    while not any(cookie["name"] == sessions.COOKIE for cookie in page.context.cookies()):
        if time.monotonic() > deadline:
            raise AssertionError("the browser never received the session cookie")
        page.wait_for_timeout(50)
