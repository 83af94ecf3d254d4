"""After an admin resets her password, the next login opens nothing but its change;
once she has chosen her own, the address she asked for opens."""

import os

import pytest
from playwright.sync_api import expect

from tests.browser.browser import log_in, nav

pytestmark = pytest.mark.browser


def reset_desk_password() -> str:
    from caremgmt.core import actor, auth
    from caremgmt.core.db import connect

    db = connect(os.environ["CAREMGMT_DB"])
    try:
        return auth.reset_password(db, actor.SYSTEM, auth.account_id(db, "recepcion"))
    finally:
        db.close()


def test_a_login_after_a_reset_must_change_the_password_first(app_db, app_url, page):
    temporary = reset_desk_password()
    page.goto(f"{app_url}/search")
    log_in(page, password=temporary, expect_home=False)
    expect(page.get_by_text("Se restableció su contraseña. Elija una nueva para continuar.")).to_be_visible()
    expect(page.get_by_test_id("stSidebarNavItems")).to_have_count(0)  # nothing else to open
    page.goto(f"{app_url}/register")  # nor by typing an address
    expect(page.get_by_role("heading", name="Cambiar contraseña")).to_be_visible()
    page.get_by_label("Contraseña actual").fill(temporary)
    page.get_by_label("Contraseña nueva").fill("llego-en-bici-a-la-manzana")
    page.get_by_label("Repita la contraseña").fill("llego-en-bici-a-la-manzana")
    page.get_by_role("button", name="Cambiar contraseña").click()
    expect(page.get_by_text("Contraseña cambiada.")).to_be_visible()
    nav(page, "Buscar persona")
    expect(page.get_by_role("heading", name="Buscar persona")).to_be_visible()
