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
from playwright.sync_api import expect

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


def start_streamlit(db_path: str, log_path: Path) -> tuple[subprocess.Popen, str]:
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


def log_in(page, username: str = "recepcion", password: str = "clave-de-prueba-1", expect_home: bool = True) -> None:
    """Fill the login form (and, ``expect_home``, wait for the home page)."""
    page.get_by_label("Usuario").fill(username)
    page.get_by_label("Contraseña").fill(password)
    page.get_by_role("button", name="Ingresar").click()
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
