"""The erasure page: one administrator asks with a reason, another confirms;
the one who asked cannot; the desk is shown the withdrawal and no such page."""

import pytest

from caremgmt.core import auth
from caremgmt.registry import persons
from tests.factories import with_second_factor
from tests.pages.apptest import click, open_page, texts

PAGE = "pages/admin/rights.py"


@pytest.fixture
def second_admin(db, admin):
    return with_second_factor(db, auth.create_user(db, admin, "directora", "otra-clave-muy-larga-7", "admin"))


def test_one_admin_asks_another_confirms(db, admin, second_admin, january):
    bea = january["bea"]
    at = open_page(admin, PAGE, person_id=bea)
    click(at, "Solicitar la supresión")
    assert "Este campo es obligatorio." in texts(at)  # no reason: nothing asked
    assert db.execute("SELECT count(*) FROM erasure_requests").fetchone()[0] == 0
    [reason] = list(at.text_area)
    reason.input("Lo pidió por escrito el 3 de febrero")
    click(at, "Solicitar la supresión")
    assert "otro administrador debe confirmarla" in texts(at)
    assert "La solicitó usted" in texts(at) and not [b for b in at.button if b.label == "Confirmar y anonimizar"]
    other = open_page(second_admin, PAGE)
    assert "Lo pidió por escrito el 3 de febrero" in texts(other)
    click(other, "Confirmar y anonimizar")
    assert "la persona quedó anonimizada" in texts(other)
    assert persons.get_person(db, admin, bea)["full_name"] == "Persona Anonimizada"


def test_an_admin_prepares_and_downloads_her_access_bundle(db, admin, january):
    at = open_page(admin, PAGE, person_id=january["ana"])
    at.text_input[0].input("Solicitud escrita del 2 de febrero")
    click(at, "Preparar el paquete de sus datos")
    assert "Paquete listo." in texts(at)
    assert [b.label for b in at.get("download_button")] == ["Descargar el paquete (ZIP)"]


def test_a_withdrawal_offers_the_erasure_to_an_admin_only(db, admin, frontdesk, january):
    registration = next(
        c["id"] for c in persons.get_person(db, frontdesk, january["bea"])["consents"] if c["purpose"] == "registration"
    )
    persons.withdraw_consent(db, frontdesk, registration)
    desk = open_page(frontdesk, "pages/desk/person.py", person_id=january["bea"])
    assert "Retiró su autorización" in texts(desk)
    assert not [b for b in desk.button if b.label == "Solicitar la supresión de sus datos"]
    boss = open_page(admin, "pages/desk/person.py", person_id=january["bea"])
    click(boss, "Solicitar la supresión de sus datos")
    assert boss.title[0].value == "Derechos sobre los datos personales"
