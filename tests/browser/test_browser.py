"""End to end in a real browser: log in, register a caregiver with her child,
find her again by typing her name without accents."""

import os
import subprocess
import sys
import time

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.browser.browser import (
    ARTIFACTS,
    CHROMIUM_FLAGS,
    ROOT,
    choose,
    chromium_path,
    leave_field,
    log_in,
    nav,
    settle,
    type_date,
    with_second_factor,
)

pytestmark = pytest.mark.browser


def test_login_register_with_child_and_find_without_accents(app_db, page):
    page.get_by_label("Usuario").fill("recepcion")
    page.get_by_label("Contraseña").fill("clave-de-prueba-1")
    page.get_by_role("button", name="Ingresar").click()
    expect(page.get_by_text("Hola, recepcion")).to_be_visible()

    nav(page, "Registrar cuidadora")
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

    nav(page, "Buscar persona")
    box = page.get_by_label("Documento, teléfono o nombre")
    box.fill("munoz angela")
    box.press("Enter")
    expect(page.get_by_text("Ángela María Muñoz Ibáñez · CC 1012345678")).to_be_visible()
    page.get_by_role("button", name="Abrir").first.click()
    expect(page.get_by_role("heading", name="Ángela María Muñoz Ibáñez")).to_be_visible()

    # The language is chosen per user and kept.
    choose(page, "Idioma", "English")
    expect(page.get_by_role("link", name="Find a person")).to_be_visible()

    # An admin deactivates the account: her next click lands on the login, in her language, saying why.
    from caremgmt.core import actor, auth
    from caremgmt.core.db import connect

    db = connect(os.environ["CAREMGMT_DB"])
    try:
        user_id = db.execute("SELECT id FROM users WHERE username = 'recepcion'").fetchone()[0]
        auth.set_active(db, actor.SYSTEM, user_id, False)
    finally:
        db.close()
    nav(page, "Find a person")
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    expect(page.get_by_text("This account was deactivated.")).to_be_visible()


@pytest.fixture
def todays_class(app_url, tmp_path):
    """A class starting in a few minutes at KENNEDY, childcare around it, and a
    registered caregiver with her child: set up through the domain, as staff would."""
    import datetime as dt
    import time

    from caremgmt.core import actor, auth, clock
    from caremgmt.core.db import connect
    from caremgmt.registry import persons
    from caremgmt.scheduling import timetable

    now = clock.now_local()
    if now.time() > dt.time(23, 50):  # keep the session on today's date
        time.sleep((dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(0, 1)) - now).total_seconds())
        now = clock.now_local()
    start = now + dt.timedelta(minutes=3)
    end = min(start + dt.timedelta(minutes=60), dt.datetime.combine(start.date(), dt.time(23, 59)))
    db = connect(os.environ["CAREMGMT_DB"])
    try:
        admin = with_second_factor(
            db, auth.create_user(db, actor.SYSTEM, "coordinacion", "clave-de-prueba-2", "coordinator", "KENNEDY")
        )
        service = {r[0]: r[1] for r in db.execute("SELECT code, id FROM services")}
        common = {
            "block_code": "KENNEDY",
            "weekdays": [start.weekday()],
            "start_date": start.date(),
            "end_date": start.date(),
            "room": "Salón 2",
        }
        timetable.create_schedule(
            db,
            admin,
            {
                **common,
                "service_id": service["DIGITAL"],
                "capacity": 12,
                "start_time": start.time(),
                "end_time": end.time(),
            },
        )
        timetable.create_schedule(
            db,
            admin,
            {
                **common,
                "service_id": service["INFANCIA"],
                "capacity": 20,
                "start_time": now.time(),
                "end_time": end.time(),
            },
        )
        persons.register_caregiver(
            db,
            admin,
            {
                "doc_type": "CC",
                "doc_number": "39876543",
                "first_names": "Marisol",
                "last_names": "Cárdenas Ospina",
                "birth_date": "1986-08-09",
                "sex": "F",
                "locality_code": 8,
                "registration_channel": "front_desk",
                "home_block": "KENNEDY",
            },
            [
                {
                    "first_names": "Tomás",
                    "last_names": "Cárdenas Ospina",
                    "birth_date": (now.date() - dt.timedelta(days=800)).isoformat(),
                    "relationship": "child",
                    "care_need": "child_under_6",
                }
            ],
            {"registration": True},
        )
    finally:
        db.close()
    return start


def test_book_caregiver_and_child_then_take_attendance(app_db, todays_class, page):
    page.get_by_label("Usuario").fill("recepcion")
    page.get_by_label("Contraseña").fill("clave-de-prueba-1")
    page.get_by_role("button", name="Ingresar").click()
    nav(page, "Buscar persona")
    box = page.get_by_label("Documento, teléfono o nombre")
    box.fill("39876543")
    box.press("Enter")
    page.get_by_role("button", name="Abrir").first.click()
    page.get_by_role("button", name="Reservar actividad").click()
    choose(page, "Servicio", "Herramientas digitales")
    page.get_by_role("button", name="Reservar", exact=True).first.click()
    expect(page.get_by_text("Reservar también cuidado para Tomás Cárdenas Ospina a la misma hora")).to_be_visible()
    page.get_by_role("button", name="Confirmar reserva").click()
    expect(page.get_by_text("Reserva 1: Reservado · Reserva 2: Reservado")).to_be_visible()

    nav(page, "Agenda del día")
    expect(page.get_by_text("1/12 cupos · 0 en espera")).to_be_visible()
    expect(page.get_by_text("1/20 cupos · 0 en espera")).to_be_visible()
    # The childcare began when the fixture made it: its attendance can be taken.
    page.get_by_role("button", name="Asistencia").first.click()
    expect(page.get_by_text("1 persona en la lista")).to_be_visible()
    page.get_by_role("button", name="Guardar asistencia").click()
    expect(page.get_by_text("Asistencia guardada (1 cambio).")).to_be_visible()
    # The class starts in a few minutes: its roster says from when, with nothing to save yet.
    from caremgmt.core.i18n import t

    nav(page, "Agenda del día")
    page.get_by_role("button", name="Asistencia").nth(1).click()
    from_when = t("error.attendance_not_yet", time=f"{todays_class:%H:%M}", day=todays_class)
    expect(page.get_by_text(from_when)).to_be_visible()
    expect(page.get_by_role("button", name="Guardar asistencia")).to_have_count(0)


@pytest.fixture
def registered_caregiver(app_url):
    from caremgmt.core import actor
    from caremgmt.core.db import connect
    from caremgmt.registry import persons

    db = connect(os.environ["CAREMGMT_DB"])
    try:
        return persons.register_caregiver(
            db,
            actor.SYSTEM,
            {
                "doc_type": "CC",
                "doc_number": "52444555",
                "first_names": "Yolanda",
                "last_names": "Beltrán Ríos",
                "birth_date": "1979-03-02",
                "sex": "F",
                "locality_code": 8,
                "registration_channel": "front_desk",
                "home_block": "KENNEDY",
            },
            [],
            {"registration": True},
        )
    finally:
        db.close()


def test_open_case_note_referral_and_diploma(app_db, registered_caregiver, page):
    page.get_by_label("Usuario").fill("recepcion")
    page.get_by_label("Contraseña").fill("clave-de-prueba-1")
    page.get_by_role("button", name="Ingresar").click()
    nav(page, "Buscar persona")
    box = page.get_by_label("Documento, teléfono o nombre")
    box.fill("yolanda beltran")
    box.press("Enter")
    page.get_by_role("button", name="Abrir").first.click()
    page.get_by_role("button", name="Caso", exact=True).click()
    page.get_by_role("button", name="Abrir caso").click()
    expect(page.get_by_text("Caso abierto.")).to_be_visible()

    page.get_by_role("tab", name="Notas").click()
    page.get_by_label("Nota", exact=True).fill("Primera entrevista: quiere terminar el bachillerato.")
    page.get_by_role("button", name="Agregar nota").click()
    expect(page.get_by_text("Nota guardada.")).to_be_visible()
    page.get_by_role("tab", name="Notas").click()
    expect(page.get_by_text("Primera entrevista: quiere terminar el bachillerato.")).to_be_visible()

    page.get_by_role("tab", name="Remisiones").click()
    page.get_by_label("Motivo", exact=True).fill("Validación del bachillerato")
    page.get_by_text("Programa educativo").click()
    choose(page, "Programa *", "Validación del bachillerato")
    # A double click sends one referral, and leaves the form empty for the next one.
    page.get_by_role("button", name="Remitir", exact=True).dblclick()
    expect(page.get_by_text("Remisión registrada.")).to_be_visible()
    expect(page.get_by_label("Motivo", exact=True)).to_have_value("")
    # A slower double click: the second click lands once the first one's referral
    # is stored, before (or just after) the page shows the emptied form.
    page.get_by_label("Motivo", exact=True).fill("Asesoría jurídica por custodia")
    choose(page, "Institución *", "Casas de Justicia")
    send = page.get_by_role("button", name="Remitir", exact=True)
    send.click()
    wait_for_referrals(registered_caregiver, 2)
    send.click()
    settle(page)  # the second click's run is over before the next step asks for another page
    expect(page.get_by_text("Remisión registrada.")).to_be_visible()

    nav(page, "Programas y logros")
    expect(page.get_by_text("Validación del bachillerato · solicitada")).to_be_visible()
    page.get_by_role("button", name="Matricular").click()
    page.get_by_role("button", name="Inicia clases").click()
    page.get_by_role("button", name="Terminó").click()
    dialog = page.get_by_test_id("stPopoverBody")
    dialog.get_by_label("Institución que lo otorga").fill("IED Kennedy")
    dialog.get_by_label("Soporte (acta, folio, enlace)").fill("Acta 2026-118")
    dialog.get_by_role("button", name="Registrar el logro y terminar").click()
    expect(page.get_by_text("Diploma de bachiller")).to_be_visible()
    expect(page.get_by_text("Validación del bachillerato · terminada")).to_be_visible()

    assert referral_count(registered_caregiver) == 2  # one per intended referral, whatever the clicks


def referral_count(person_id: int) -> int:
    """How many referrals the person's case holds, read through the domain."""
    from caremgmt.casework import cases, referrals
    from caremgmt.core import actor
    from caremgmt.core.db import connect

    db = connect(os.environ["CAREMGMT_DB"])
    try:
        case = cases.current_case(db, actor.SYSTEM, person_id)
        return len(referrals.case_referrals(db, actor.SYSTEM, case["id"])) if case else 0
    finally:
        db.close()


def wait_for_referrals(person_id: int, n: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while referral_count(person_id) < n:
        assert time.monotonic() < deadline, f"no referral number {n} after {timeout} s"
        time.sleep(0.005)


def demo_with_account(username: str, role: str, password: str) -> None:
    """A demo programme beside the test accounts, and an account of ``role`` with
    a second factor (hers, set up as she would), from the command line."""
    env = {**os.environ, "CAREMGMT_PASSWORD": password}
    for command in (["demo", "--persons", "300", "--seed", "2", "--force"], ["user", "add", username, "--role", role]):
        subprocess.run([sys.executable, "-m", "caremgmt", *command], env=env, check=True, cwd=ROOT, capture_output=True)
    from caremgmt.core import actor, auth
    from caremgmt.core.db import connect

    db = connect(os.environ["CAREMGMT_DB"])
    try:
        with_second_factor(db, actor.User(auth.account_id(db, username), username, role))
    finally:
        db.close()


def test_impact_page_on_demo_data_downloads_a_csv(app_db, app_url, tmp_path):
    demo_with_account("coordinacion", "coordinator", "clave-de-prueba-3")
    executable = chromium_path()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_FLAGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        context.set_default_timeout(30_000)
        page = context.new_page()
        try:
            page.goto(app_url)
            log_in(page, "coordinacion", "clave-de-prueba-3")
            nav(page, "Impacto")
            expect(page.get_by_role("heading", name="Impacto del programa")).to_be_visible()
            expect(page.get_by_text("Personas atendidas").first).to_be_visible()
            expect(page.locator("canvas, svg.marks").first).to_be_visible()
            # The page draws its charts and their buttons while its script still runs (longer on a
            # busy machine): act once the run is over, on the trend chart's own button, not on
            # whichever "Datos (CSV)" happens to be first in the page at that moment.
            settle(page)
            with page.expect_download() as download:
                page.locator(".st-key-csv_tendencia_mensual").get_by_role("button", name="Datos (CSV)").click()
            saved = tmp_path / download.value.suggested_filename
            download.value.save_as(saved)
        finally:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "impact-page.png"), full_page=True)
            browser.close()
    assert saved.name == "tendencia_mensual.csv"
    lines = saved.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "Mes,Personas registradas,Personas atendidas,Atenciones,Horas de cuidado liberadas"
    assert len(lines) > 3 and all(line[:1].isdigit() for line in lines[1:])


def test_an_evaluator_takes_a_release_as_one_zip(app_db, app_url, tmp_path):
    """She asks for every file with k = 50: on this small programme the release
    would hide too much, so the page warns first; she takes it as it is and
    gets one ZIP with its manifest, risk report and files."""
    import json
    import zipfile

    demo_with_account("evaluadora", "evaluator", "clave-de-prueba-4")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_FLAGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        context.set_default_timeout(30_000)
        page = context.new_page()
        try:
            page.goto(app_url)
            log_in(page, "evaluadora", "clave-de-prueba-4")
            nav(page, "Exportaciones")
            page.get_by_label("k (personas por combinación, mínimo)").fill("50")  # surely too much to hold
            leave_field(page)
            page.get_by_role("button", name="Generar exportación").click()
            expect(page.get_by_text("ocultaría más de lo aceptable")).to_be_visible()
            page.get_by_role("button", name="Tomarla así").click()
            expect(page.get_by_text("lista:")).to_be_visible()
            settle(page)
            with page.expect_download() as download:
                page.get_by_role("button", name="Descargar la entrega (ZIP)").click()
            saved = tmp_path / download.value.suggested_filename
            download.value.save_as(saved)
        finally:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "release-page.png"), full_page=True)
            browser.close()
    with zipfile.ZipFile(saved) as bundle:
        names = set(bundle.namelist())
        manifest = json.loads(bundle.read("manifest.json"))
    assert names >= {"persons.csv", "contacts.csv", "metrics.csv", "dictionary.csv", "risk_report.json"}
    assert manifest["created_by"] == "evaluadora" and saved.name == f"entrega_{manifest['release_id']}.zip"
