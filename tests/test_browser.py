"""End to end in a real browser: log in, register a caregiver with her child,
find her again by typing her name without accents."""

import os
import subprocess
import sys

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.browser import CHROMIUM_FLAGS, ROOT, chromium_path, start_streamlit

pytestmark = pytest.mark.browser
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture
def app_url(tmp_path):
    db_path = str(tmp_path / "browser.db")
    env = {**os.environ, "CAREMGMT_DB": db_path, "CAREMGMT_PASSWORD": "clave-de-prueba-1"}
    subprocess.run(
        [sys.executable, "-m", "caremgmt", "user", "add", "recepcion", "--role", "frontdesk", "--block", "KENNEDY"],
        env=env, check=True, cwd=ROOT, capture_output=True,
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


def choose(page, label: str, option: str, nth: int = 0) -> None:
    """Pick ``option`` in the Streamlit selectbox labelled ``label``."""
    box = page.get_by_label(label, exact=True).nth(nth)
    box.click()
    page.keyboard.type(option)
    page.get_by_role("option", name=option, exact=True).click()
    expect(box).to_have_value(option)


def type_date(page, label: str, digits: str, nth: int = 0) -> None:
    """Type a date (DDMMYYYY digits) into the segmented date field labelled ``label``."""
    page.get_by_label(label, exact=True).nth(nth).get_by_role("spinbutton").first.click()
    page.keyboard.type(digits)
    page.keyboard.press("Tab")


def test_login_register_with_child_and_find_without_accents(page):
    page.get_by_label("Usuario").fill("recepcion")
    page.get_by_label("Contraseña").fill("clave-de-prueba-1")
    page.get_by_role("button", name="Ingresar").click()
    expect(page.get_by_text("Hola, recepcion")).to_be_visible()

    page.get_by_role("link", name="Registrar cuidadora").first.click()
    expect(page.get_by_role("heading", name="Registrar cuidadora")).to_be_visible()
    page.get_by_label("Número de personas que cuida").fill("1")
    page.get_by_label("Número de personas que cuida").press("Enter")
    expect(page.get_by_text("Persona cuidada 1")).to_be_visible()

    choose(page, "Tipo de documento *", "CC – Cédula de ciudadanía")
    page.get_by_label("Número de documento *").fill("1.012.345.678")
    page.get_by_label("Nombres *").first.fill("Ángela María")
    page.get_by_label("Apellidos *").first.fill("Muñoz Ibáñez")
    type_date(page, "Fecha de nacimiento *", "17051988")
    choose(page, "Sexo *", "Mujer")
    page.get_by_label("Celular").fill("310 456 7890")
    choose(page, "Localidad *", "08 Kennedy")
    choose(page, "Manzana de referencia *", "Manzana del Cuidado Kennedy")

    page.get_by_label("Nombres *").nth(1).fill("Emilia")
    page.get_by_label("Apellidos *").nth(1).fill("Muñoz Ibáñez")
    type_date(page, "Fecha de nacimiento *", "03022024", nth=1)
    choose(page, "Parentesco *", "Hija o hijo")
    choose(page, "Tipo de cuidado que requiere *", "Niña o niño menor de 6 años")
    page.get_by_text("Registro y tratamiento de datos personales *").click()
    page.get_by_role("button", name="Registrar", exact=True).click()

    expect(page.get_by_text("Ángela María Muñoz Ibáñez quedó registrada.")).to_be_visible()
    expect(page.get_by_role("heading", name="Ángela María Muñoz Ibáñez")).to_be_visible()
    page.get_by_role("tab", name="Personas vinculadas").click()
    expect(page.get_by_text("Emilia Muñoz Ibáñez")).to_be_visible()

    page.get_by_role("link", name="Buscar persona").click()
    box = page.get_by_label("Documento, teléfono o nombre")
    box.fill("munoz angela")
    box.press("Enter")
    expect(page.get_by_text("Ángela María Muñoz Ibáñez · CC 1012345678")).to_be_visible()
    page.get_by_role("button", name="Abrir").first.click()
    expect(page.get_by_role("heading", name="Ángela María Muñoz Ibáñez")).to_be_visible()

    # The language is chosen per user and kept.
    choose(page, "Idioma", "English")
    expect(page.get_by_role("link", name="Find a person")).to_be_visible()
