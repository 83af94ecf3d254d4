"""Two factors in a real browser: an administrator sets up her authenticator app
from the key the page shows (as she would type it into her phone), keeps her
recovery codes, logs out, and logs in again with her password and a fresh code."""

import os

import pytest
from playwright.sync_api import expect

from tests.browser.browser import app_code, log_in, type_code, wait_for_session_cookie

pytestmark = pytest.mark.browser

PASSWORD = "voy-en-bus-a-bosa-79"


@pytest.fixture
def boss(app_url):
    from caremgmt.core import actor, auth
    from caremgmt.core.db import connect

    db = connect(os.environ["CAREMGMT_DB"])
    try:
        auth.create_user(db, actor.SYSTEM, "jefa", PASSWORD, "admin")
    finally:
        db.close()
    return "jefa"


def test_an_administrator_logs_in_with_her_password_and_a_code_from_her_app(app_db, boss, page, tmp_path):
    # First login: her role needs a second factor, and every address shows its set-up.
    log_in(page, boss, PASSWORD, expect_home=False)
    expect(page.get_by_role("heading", name="Segundo factor")).to_be_visible()
    expect(page.get_by_text("Su rol exige un segundo factor")).to_be_visible()
    expect(page.get_by_test_id("stSidebarNavItems")).to_have_count(0)  # nothing else to open

    # The recovery codes can be downloaded as a text file before she goes on.
    page.get_by_role("button", name="Activar segundo factor").click()
    expect(page.get_by_test_id("stImage")).to_have_count(1)
    secret, codes = _confirm_and_download(page, tmp_path)
    expect(page.get_by_role("heading", name=f"Hola, {boss}")).to_be_visible()
    wait_for_session_cookie(page)

    # Logout, then the password and a fresh code from her app (the one she just used is spent).
    page.get_by_role("button", name="Cerrar sesión").click()
    expect(page.get_by_role("heading", name="Ingresar a caremgmt")).to_be_visible()
    page.get_by_label("Usuario").fill(boss)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Ingresar").click()
    expect(page.get_by_role("heading", name="Verificación en dos pasos")).to_be_visible()
    expect(page.get_by_test_id("stSidebarNavItems")).to_have_count(0)
    wrong = f"{(int(app_code(secret)) + 1) % 1_000_000:06d}"
    page.get_by_label("Código de verificación").fill(wrong)
    page.get_by_role("button", name="Verificar").click()
    expect(page.get_by_text("Código incorrecto.")).to_be_visible()
    # A reload keeps her waiting for the code: the wait is the server's, not the tab's.
    wait_for_session_cookie(page)
    page.reload()
    type_code(page, secret)
    expect(page.get_by_role("heading", name=f"Hola, {boss}")).to_be_visible()
    expect(page.get_by_test_id("stSidebarNavItems").get_by_role("link", name="Usuarios")).to_be_visible()
    page.reload()
    expect(page.get_by_role("heading", name=f"Hola, {boss}")).to_be_visible()
    assert len(codes) == 10


def _confirm_and_download(page, tmp_path):
    """Confirm the key on screen with her app's code; download the recovery codes; go on."""
    secret = page.get_by_test_id("stCode").first.inner_text().replace(" ", "").strip()
    page.get_by_label("Código de verificación").fill(app_code(secret))
    page.get_by_role("button", name="Confirmar").click()
    expect(page.get_by_text("Segundo factor activado.")).to_be_visible()
    codes = page.get_by_test_id("stCode").first.inner_text().split()
    with page.expect_download() as download:
        page.get_by_role("button", name="Descargar códigos").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.read_text(encoding="utf-8").split()[-10:] == codes
    page.get_by_text("Guardé mis códigos en un lugar seguro").click()
    page.get_by_role("button", name="Continuar").click()
    return secret, codes
