"""A login survives the browser (reloads, new tabs, typed addresses) until
logout; every page has an address that can be bookmarked."""

import os

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.browser.browser import (
    CHROMIUM_FLAGS,
    chromium_path,
    leave_field,
    log_in,
    nav,
    set_up_second_factor,
    start_streamlit,
    type_date,
    wait_for_session_cookie,
)

pytestmark = pytest.mark.browser


def register_caregiver() -> tuple[int, str]:
    from caremgmt.core import actor
    from caremgmt.core.db import connect
    from caremgmt.registry import persons
    from tests.factories import CONSENT, caregiver_data

    db = connect(os.environ["CAREMGMT_DB"])
    try:
        data = caregiver_data(first_names="Rosalba", last_names="Pinzón Cuervo", home_block="KENNEDY")
        person_id = persons.register_caregiver(db, actor.SYSTEM, data, [], CONSENT)
    finally:
        db.close()
    return person_id, "Rosalba Pinzón Cuervo"


def test_a_login_survives_reload_and_new_tab_until_logout(app_db, app_url, page):
    log_in(page)
    nav(page, "Buscar persona")
    expect(page).to_have_url(f"{app_url}/search")
    page.reload()
    expect(page.get_by_role("heading", name="Buscar persona")).to_be_visible()
    expect(page.get_by_role("button", name="Cerrar sesión")).to_be_visible()

    # The cookie is HttpOnly: the page's scripts cannot read it.
    cookie = next(c for c in page.context.cookies() if c["name"] == "caremgmt_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert "caremgmt_session" not in page.evaluate("document.cookie")

    other = page.context.new_page()  # a typed address in a new tab
    other.goto(f"{app_url}/day")
    expect(other.get_by_role("heading", name="Agenda del día")).to_be_visible()

    page.get_by_role("button", name="Cerrar sesión").click()
    expect(page.get_by_role("button", name="Ingresar")).to_be_visible()
    # Logout ends every session of hers: the other tab's next click lands on the login.
    nav(other, "Buscar persona")
    expect(other.get_by_role("button", name="Ingresar")).to_be_visible()
    page.reload()
    expect(page.get_by_role("button", name="Ingresar")).to_be_visible()


def test_a_bookmarked_file_opens_after_login(app_db, app_url, page):
    person_id, name = register_caregiver()
    page.goto(f"{app_url}/person?person={person_id}")
    expect(page.get_by_role("button", name="Ingresar")).to_be_visible()
    log_in(page, expect_home=False)
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    expect(page).to_have_url(f"{app_url}/person?person={person_id}")
    # Within the app, the address names the person, so it can be shared.
    page.get_by_role("button", name="Caso", exact=True).click()
    expect(page).to_have_url(f"{app_url}/case?person={person_id}")
    page.reload()
    expect(page.get_by_text(name).first).to_be_visible()


def test_a_forbidden_address_lands_on_home_with_a_message(app_db, app_url, page):
    page.goto(f"{app_url}/users")
    log_in(page, expect_home=False)
    expect(page.get_by_text("Su rol no permite abrir esa página.")).to_be_visible()
    expect(page.get_by_role("heading", name="Hola, recepcion")).to_be_visible()
    expect(page.get_by_text("Page not found")).to_have_count(0)


def test_a_reload_in_the_middle_of_a_registration_keeps_login_and_form(app_db, app_url, page):
    log_in(page)
    nav(page, "Registrar cuidadora")
    page.get_by_label("Número de documento *").fill("52.987.654")
    page.get_by_label("Nombres *").first.fill("Yolanda")
    page.get_by_label("Apellidos *").first.fill("Sarmiento Gil")
    type_date(page, "Fecha de nacimiento *", "09041979")
    page.get_by_label("Nombres *").nth(1).fill("Mateo")
    leave_field(page)  # a text field reaches the server when she leaves it
    page.reload()
    expect(page.get_by_role("heading", name="Registrar cuidadora")).to_be_visible()
    expect(page.get_by_role("button", name="Cerrar sesión")).to_be_visible()
    expect(page.get_by_label("Número de documento *")).to_have_value("52.987.654")
    expect(page.get_by_label("Nombres *").first).to_have_value("Yolanda")
    expect(page.get_by_label("Apellidos *").first).to_have_value("Sarmiento Gil")
    expect(page.get_by_label("Nombres *").nth(1)).to_have_value("Mateo")
    expect(page.get_by_label("Fecha de nacimiento *").first).to_contain_text("09")


def test_the_first_administrator_stays_logged_in_after_a_reload(tmp_path, monkeypatch):
    db_path = str(tmp_path / "first-run.db")
    monkeypatch.setenv("CAREMGMT_DB", db_path)
    process, url = start_streamlit(db_path, tmp_path / "streamlit.log")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_FLAGS)
            page = browser.new_page()
            page.set_default_timeout(20_000)
            page.goto(f"{url}/register")  # any address shows the first-run setup
            expect(page.get_by_role("heading", name="Bienvenida a caremgmt")).to_be_visible()
            page.get_by_label("Usuario").fill("coordinadora")
            page.get_by_label("Contraseña", exact=True).fill("clave-muy-segura")
            page.get_by_label("Repita la contraseña").fill("clave-muy-segura")
            page.get_by_role("button", name="Crear cuenta de administración").click()
            # An administrator sets up her second factor first, at whatever address she asked for.
            expect(page.get_by_role("heading", name="Segundo factor")).to_be_visible()
            set_up_second_factor(page)
            expect(page.get_by_role("heading", name="Registrar cuidadora")).to_be_visible()
            wait_for_session_cookie(page)
            page.reload()
            expect(page.get_by_role("heading", name="Registrar cuidadora")).to_be_visible()
            expect(page.get_by_role("button", name="Cerrar sesión")).to_be_visible()
            browser.close()
    finally:
        process.terminate()
        process.wait(timeout=10)
