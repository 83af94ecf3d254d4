"""A logged-out visitor runs no page, ever: right after the server starts, before
anyone has loaded the home page, every page's address (and malformed ones) shows
the login form (on an empty database, the first-run setup) and nothing else: no
page's content, no traceback."""

import ast
import os
import subprocess
import sys

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.browser.browser import CHROMIUM_FLAGS, ROOT, chromium_path, settle, start_streamlit

pytestmark = pytest.mark.browser

LOGIN = "Ingresar a caremgmt"
SETUP = "Bienvenida a caremgmt"
# What a traceback or Streamlit's error box would put on the screen.
LEAKS = ("Traceback", 'File "', ".py", "Error", "Exception", "encountered an error", "/work/", "site-packages")


def page_addresses() -> list[str]:
    """Every page's address, read from streamlit_app.SECTIONS (without importing it:
    an import builds the server's app)."""
    tree = ast.parse((ROOT / "streamlit_app.py").read_text(encoding="utf-8"))
    sections = next(
        ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign) and [t.id for t in node.targets if isinstance(t, ast.Name)] == ["SECTIONS"]
    )
    return ["/" + path.rsplit("/", 1)[-1].removesuffix(".py") for _, pages in sections for path, *_ in pages]


PAGES = page_addresses()
# Admin pages first: the very first visitor after the start asks for the users page.
FIRST = ["/users", "/blocks", "/setup", "/register"]
MALFORMED = [
    "/login",
    "/users/",
    "/USERS",
    "/Blocks/",
    "/users.py",
    "/?page=users",
    "/users?page=blocks",
    "/person?person=1",
    "/roster?session=1",
    "/case?person=1&page=users",
    "/streamlit_app",
    "/nonexistent",
    "/",
]
# Streamlit serves its page shell at any deeper path, but the shell's scripts are
# addressed relative to it and do not load there: no session, no script run.
DEEPER = ["/pages/admin/users.py", "/pages/admin/users", "/admin/users", "/users/blocks"]


@pytest.fixture(scope="module")
def browser():
    executable = chromium_path()
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


def fresh_server(tmp_path, with_users: bool):
    db_path = str(tmp_path / "fresh.db")
    if with_users:
        env = {**os.environ, "CAREMGMT_DB": db_path, "CAREMGMT_PASSWORD": "clave-de-prueba-1"}
        subprocess.run(
            [sys.executable, "-m", "caremgmt", "user", "add", "jefa", "--role", "admin"],
            env=env,
            check=True,
            cwd=ROOT,
            capture_output=True,
        )
    log = tmp_path / "streamlit.log"
    process, url = start_streamlit(db_path, log)
    return process, url, log


def visit(browser, url: str):
    """A new visitor (no cookie, a new Streamlit session) opening ``url``."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="es-CO")
    context.set_default_timeout(20_000)
    tab = context.new_page()
    tab.goto(url)
    return context, tab


def assert_shows_only(tab, address: str, heading: str, button: str) -> None:
    expect(tab.get_by_role("heading", name=heading), address).to_be_visible()
    settle(tab)
    tab.wait_for_timeout(300)  # a run that would follow (a rerun, a redirect) has begun by now
    settle(tab)
    # Only that page's title: every other page starts with its own.
    expect(tab.get_by_test_id("stMain").get_by_role("heading"), address).to_have_text([heading])
    expect(tab.get_by_role("button", name=button, exact=True), address).to_be_visible()
    assert tab.get_by_test_id("stException").count() == 0, address
    text = tab.locator("body").inner_text()
    assert not [leak for leak in LEAKS if leak in text], (address, text)


def assert_no_app(tab, address: str) -> None:
    tab.wait_for_load_state("networkidle")
    assert tab.get_by_test_id("stApp").count() == 0, address
    text = tab.locator("body").inner_text()
    assert not [leak for leak in LEAKS if leak in text], (address, text)


def run_visits(browser, url: str, addresses: list[str], heading: str, button: str) -> None:
    for address in addresses:
        context, tab = visit(browser, url + address)
        try:
            if address in DEEPER:
                assert_no_app(tab, address)
            else:
                assert_shows_only(tab, address, heading, button)
        finally:
            context.close()


def assert_log_clean(log) -> None:
    text = log.read_text()
    assert "Traceback" not in text and "Uncaught" not in text and "error" not in text.lower(), text


def test_every_address_shows_only_the_login_right_after_the_start(browser, tmp_path):
    process, url, log = fresh_server(tmp_path, with_users=True)
    try:
        # The first visitor asks for an admin page (FIRST); /users again at the end, later.
        addresses = [*FIRST, *[a for a in PAGES if a not in FIRST], *MALFORMED, *DEEPER, "/users"]
        run_visits(browser, url, addresses, LOGIN, "Ingresar")
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert_log_clean(log)


def test_on_an_empty_database_every_address_shows_only_the_first_run_setup(browser, tmp_path):
    process, url, log = fresh_server(tmp_path, with_users=False)
    try:
        addresses = ["/setup", "/users", "/login", *PAGES, "/users/", "/USERS", "/?page=users", "/nope", "/", DEEPER[0]]
        run_visits(browser, url, addresses, SETUP, "Crear cuenta de administración")
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert_log_clean(log)
