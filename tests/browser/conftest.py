"""Fixtures of the real-browser tests: a database with a front-desk account,
`streamlit run` on it, and a Chromium tab on the app."""

import os
import subprocess
import sys

import pytest

from tests.browser.browser import ROOT, browser_tab, start_streamlit


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
    with browser_tab(app_url) as tab:
        yield tab


@pytest.fixture
def app_db(tmp_path, monkeypatch):
    monkeypatch.setenv("CAREMGMT_DB", str(tmp_path / "browser.db"))
