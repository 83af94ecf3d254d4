"""In a real browser, a value out of range reaches the domain and its refusal
shows in Spanish under its field: the widgets take whatever is typed (no English
tooltip, no silent "required"), and nothing is registered until it is fixed."""

import datetime as dt
import os

import pytest
from playwright.sync_api import expect

from caremgmt.core.clock import today
from caremgmt.core.db import connect
from tests.browser.browser import choose, log_in, nav, settle, type_date

pytestmark = pytest.mark.browser

HOURS = "Horas diarias de cuidado no remunerado"
BIRTH_DATE = "Fecha de nacimiento *"


def registered() -> int:
    db = connect(os.environ["CAREMGMT_DB"])
    try:
        return db.execute("SELECT count(*) FROM persons").fetchone()[0]
    finally:
        db.close()


def assert_under(page, field, text: str) -> None:
    """``text`` is shown right under ``field``, in its column."""
    message = page.get_by_text(text, exact=True)
    expect(message).to_be_visible()
    below, above = message.bounding_box(), field.bounding_box()
    assert 0 <= below["y"] - (above["y"] + above["height"]) < 40, (text, below, above)
    assert abs(below["x"] - above["x"]) < 40, (text, below, above)


def test_hours_30_and_a_birth_date_tomorrow_are_refused_in_spanish_under_their_fields(app_db, page):
    log_in(page)
    nav(page, "Registrar cuidadora")
    expect(page.get_by_role("heading", name="Registrar cuidadora")).to_be_visible()

    choose(page, "Tipo de documento *", "CC – Cédula de ciudadanía")
    page.get_by_label("Número de documento *").fill("1.012.345.678")
    page.get_by_label("Nombres *").first.fill("Ángela María")
    page.get_by_label("Apellidos *").first.fill("Muñoz Ibáñez")
    tomorrow = today() + dt.timedelta(days=1)
    type_date(page, BIRTH_DATE, tomorrow.strftime("%d%m%Y"))
    choose(page, "Sexo *", "Mujer")
    choose(page, "Localidad *", "08 Kennedy")
    choose(page, "Manzana de referencia *", "Manzana del Cuidado Kennedy")
    hours = page.get_by_label(HOURS)
    hours.fill("30")
    hours.press("Enter")
    settle(page)
    expect(hours).to_have_value("30.00")  # the widget kept it: no range of its own
    page.get_by_text("Registro y tratamiento de datos personales *").click()
    settle(page)
    page.get_by_role("button", name="Registrar", exact=True).click()
    settle(page)

    assert_under(page, hours, "Las horas diarias de cuidado van de 0 a 24.")
    birth_date = page.get_by_test_id("stDateInput").filter(has=page.get_by_label(BIRTH_DATE, exact=True)).first
    assert_under(page, birth_date, "La fecha de nacimiento no puede ser posterior a hoy.")
    expect(page.get_by_text("Revise los campos marcados: no se guardó nada.")).to_be_visible()
    expect(page.get_by_text("Este campo es obligatorio.")).to_have_count(0)
    expect(page.get_by_text("allowed range")).to_have_count(0)  # Streamlit's own English refusal
    assert registered() == 0

    # Corrected, she is registered.
    hours.fill("8")
    hours.press("Enter")
    type_date(page, BIRTH_DATE, "17051988")
    settle(page)
    page.get_by_role("button", name="Registrar", exact=True).click()
    expect(page.get_by_text("Ángela María Muñoz Ibáñez quedó registrada.")).to_be_visible()
    assert registered() == 1
