"""Fixtures of the real-browser tests: a database with a front-desk account,
`streamlit run` on it, and a Chromium tab on the app."""

import os
import subprocess
import sys

import pytest
from playwright.sync_api import sync_playwright

from tests.browser.browser import ARTIFACTS, CHROMIUM_FLAGS, ROOT, chromium_path, start_streamlit


@pytest.fixture
def app_url(tmp_path):
    db_path = os.environ.get("CAREMGMT_DB") or str(tmp_path / "browser.db")
    env = {**os.environ, "CAREMGMT_DB": db_path, "CAREMGMT_PASSWORD": "clave-de-prueba-1"}
    subprocess.run(
        [sys.executable, "-m", "caremgmt", "user", "add", "recepcion", "--role", "frontdesk", "--block", "KENNEDY"],
        env=env,
        check=True,
        cwd=ROOT,
        capture_output=True,
    )
    process, url = start_streamlit(db_path, tmp_path / "streamlit.log")
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def page(app_url):
    executable = chromium_path()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_FLAGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="es-CO")
        context.set_default_timeout(20_000)
        tab = context.new_page()
        tab.goto(app_url)
        yield tab
        ARTIFACTS.mkdir(exist_ok=True)
        tab.screenshot(path=str(ARTIFACTS / "last-browser-test.png"), full_page=True)
        browser.close()


@pytest.fixture
def app_db(tmp_path, monkeypatch):
    monkeypatch.setenv("CAREMGMT_DB", str(tmp_path / "browser.db"))
