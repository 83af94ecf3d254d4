"""Page tests (AppTest): what a desk user sees and can do on each screen."""

import datetime as dt

import pyotp
import pytest

from caremgmt.core import auth
from caremgmt.registry import persons
from tests.factories import CONSENT, TODAY, caregiver_data, child_data
from tests.pages.apptest import app_as, assert_turned_away, click, texts

REGISTER = "pages/desk/register.py"


def fill_caregiver(at, **overrides):
    values = {
        "doc_type": "CC",
        "doc_number": "52.123.456",
        "first_names": "Luz Ángela",
        "last_names": "Quiñónez Díaz",
        "birth_date": dt.date(1990, 5, 17),
        "sex": "F",
        "phone": "311 222 3344",
        "locality_code": 7,
        "registration_channel": "front_desk",
        "home_block": "BOSA",
    }
    values.update(overrides)
    for field, value in values.items():
        key = f"reg_{field}"
        if field == "birth_date":
            at.date_input(key=key).set_value(value)
        elif field in ("doc_number", "first_names", "last_names", "phone"):
            at.text_input(key=key).input(value)
        else:
            at.selectbox(key=key).set_value(value)


def fill_child(at, i=0):
    at.text_input(key=f"reg_dep{i}_first_names").input("Tomás")
    at.text_input(key=f"reg_dep{i}_last_names").input("Quiñónez Díaz")
    at.date_input(key=f"reg_dep{i}_birth_date").set_value(dt.date(2023, 2, 1))
    at.selectbox(key=f"reg_dep{i}_relationship").set_value("child")
    at.selectbox(key=f"reg_dep{i}_care_need").set_value("child_under_6")


def count(db, table):
    return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


# --- first run and login ---------------------------------------------------


def test_first_run_asks_for_the_administrator_and_can_load_demo(db):
    at = app_as()
    assert at.title[0].value == "Bienvenida a caremgmt"
    at.text_input(key="setup_username").input("coordinadora")
    at.text_input(key="setup_password").input("clave-muy-segura")
    at.text_input(key="setup_repeat").input("otra-clave-distinta")
    click(at, "Crear cuenta de administración")
    assert "Las contraseñas no coinciden." in texts(at)
    # Refused: the name stays, neither password does.
    assert at.text_input(key="setup_username").value == "coordinadora"
    assert at.text_input(key="setup_password").value == at.text_input(key="setup_repeat").value == ""
    at.text_input(key="setup_password").input("clave-muy-segura")
    at.text_input(key="setup_repeat").input("clave-muy-segura")
    at.checkbox(key="setup_demo").check()
    click(at, "Crear cuenta de administración")
    assert at.session_state["user"].role == "admin"
    assert count(db, "persons") >= 300
    # An administrator sets up her second factor before anything else.
    at.run()
    assert at.title[0].value == "Segundo factor"
    assert "Su rol exige un segundo factor" in texts(at)
    click(at, "Activar segundo factor")
    secret = at.code[0].value.replace(" ", "")  # the key she would type into her phone's app
    at.text_input(key="second_factor_confirm_code").input(pyotp.TOTP(secret).now())
    click(at, "Confirmar")
    assert "Segundo factor activado." in texts(at)
    assert len(at.code[0].value.split()) == 10  # her recovery codes, once
    assert at.button(key="recovery_codes_continue").disabled  # not before she says she saved them
    at.checkbox(key="recovery_codes_saved").check().run()
    click(at, "Continuar")
    # AppTest stays on the file it ran; a browser lands on the default page
    # (the browser test checks that transition).
    at.switch_page("pages/desk/home.py").run()
    assert "Hola, coordinadora" in texts(at)


def test_login_refuses_wrong_password_and_accepts_right_one(db, frontdesk):
    at = app_as()
    assert at.title[0].value == "Ingresar a caremgmt"
    at.text_input(key="login_username").input("recepcion")
    at.text_input(key="login_password").input("no-es-esta")
    click(at, "Ingresar")
    assert "Usuario o contraseña incorrectos." in texts(at)
    # The refused password does not stay in its field; the username does.
    assert at.text_input(key="login_password_1").value == ""
    assert at.text_input(key="login_username").value == "recepcion"
    at.text_input(key="login_password_1").input("desk-password-1")
    click(at, "Ingresar")
    assert at.session_state["user"].username == "recepcion"
    at.switch_page("pages/desk/home.py").run()
    assert "Hola, recepcion" in texts(at)


def test_a_user_who_chose_english_gets_english_screens_and_messages(db, frontdesk):
    english = auth.set_language(db, frontdesk, "en")
    at = app_as(english, REGISTER)
    assert at.title[0].value == "Register a caregiver"
    fill_caregiver(at, doc_number="12AB")
    click(at, "Register")
    assert "A citizenship card has 3 to 10 digits, no letters." in texts(at)
    assert "Registration requires consent to registration and data processing." in texts(at)


def test_roles_decide_which_pages_exist(db, frontdesk, evaluator, admin):
    assert_turned_away(evaluator, REGISTER)
    assert_turned_away(evaluator, "pages/desk/search.py")
    assert_turned_away(frontdesk, "pages/admin/users.py")
    assert app_as(admin, "pages/admin/users.py").title[0].value == "Usuarios"


# --- registration ----------------------------------------------------------


def test_register_caregiver_with_child_then_file_opens(db, frontdesk):
    at = app_as(frontdesk, REGISTER)
    at.number_input(key="reg_count").set_value(1).run()
    fill_caregiver(at)
    fill_child(at)
    at.checkbox(key="reg_consent_registration").check()
    at.checkbox(key="reg_consent_reminders").check()
    click(at, "Registrar")
    assert not at.exception
    assert "Luz Ángela Quiñónez Díaz quedó registrada." in texts(at)
    assert at.title[0].value == "Luz Ángela Quiñónez Díaz"
    assert "Tomás Quiñónez Díaz" in texts(at)
    row = db.execute("SELECT doc_number, phone FROM persons WHERE is_caregiver = 1").fetchone()
    assert row == ("52123456", "+573112223344")
    assert count(db, "care_links") == 1 and count(db, "consents") == 2
    assert db.execute("SELECT legal_representative FROM care_links").fetchone() == (0,)


def test_the_desk_records_that_the_caregiver_is_the_legal_representative(db, frontdesk):
    at = app_as(frontdesk, REGISTER)
    fill_caregiver(at)
    fill_child(at)
    at.checkbox(key="reg_dep0_legal_representative").check()
    at.checkbox(key="reg_consent_registration").check()
    click(at, "Registrar")
    assert db.execute("SELECT legal_representative FROM care_links").fetchone() == (1,)
    assert "representante legal" in texts(at)  # on her file, beside the child


def test_missing_consent_is_explained_and_nothing_saved(db, frontdesk):
    at = app_as(frontdesk, REGISTER)
    fill_caregiver(at)
    click(at, "Registrar")
    assert "Sin el consentimiento de registro y tratamiento de datos no se puede registrar." in texts(at)
    assert "Revise los campos marcados: no se guardó nada." in texts(at)
    assert count(db, "persons") == 0


def test_invalid_document_is_shown_next_to_the_field(db, frontdesk):
    at = app_as(frontdesk, REGISTER)
    fill_caregiver(at, doc_number="12AB")
    at.checkbox(key="reg_consent_registration").check()
    click(at, "Registrar")
    assert "La cédula de ciudadanía tiene de 3 a 10 dígitos, sin letras." in texts(at)
    assert count(db, "persons") == 0


def test_duplicate_document_shows_the_existing_person(db, frontdesk):
    persons.register_caregiver(db, frontdesk, caregiver_data(doc_number="52123456"), [], CONSENT, today=TODAY)
    at = app_as(frontdesk, REGISTER)
    fill_caregiver(at)
    at.checkbox(key="reg_consent_registration").check()
    click(at, "Registrar")
    assert "Este documento ya está registrado: María José Rodríguez Peña · CC 52123456" in texts(at)
    assert count(db, "persons") == 1
    click(at, "Abrir la ficha existente")
    assert at.title[0].value == "María José Rodríguez Peña"


def test_probable_duplicate_is_shown_and_can_be_confirmed(db, frontdesk):
    persons.register_caregiver(
        db,
        frontdesk,
        caregiver_data(
            first_names="Luz Angela",
            last_names="Quinonez Diaz",
            birth_date="1990-05-20",
            doc_number="41000111",
            phone="",
        ),
        [],
        CONSENT,
        today=TODAY,
    )
    at = app_as(frontdesk, REGISTER)
    fill_caregiver(at)
    at.checkbox(key="reg_consent_registration").check()
    click(at, "Registrar")
    assert "Posibles duplicados" in texts(at)
    assert "coincide en: nombre, fecha de nacimiento cercana" in texts(at)
    assert count(db, "persons") == 1
    click(at, "Es una persona diferente: registrar")
    assert "Luz Ángela Quiñónez Díaz quedó registrada." in texts(at)
    assert count(db, "persons") == 2
    assert count(db, "audit_log WHERE action = 'duplicate_override'") == 1


# --- search and the person's file ----------------------------------------


@pytest.fixture
def registered(db, frontdesk):
    return persons.register_caregiver(db, frontdesk, caregiver_data(), [child_data()], CONSENT, today=TODAY)


def test_search_by_name_without_accents_opens_the_file(db, frontdesk, registered):
    at = app_as(frontdesk, "pages/desk/search.py")
    at.text_input(key="search_query").input("rodriguez maria jose").run()
    assert "María José Rodríguez Peña · CC 1023456789" in texts(at)
    at.button(key=f"open_{registered}").click().run()
    assert at.title[0].value == "María José Rodríguez Peña"
    assert count(db, f"audit_log WHERE action = 'read' AND person_id = {registered}") == 1


def test_search_with_no_result_offers_registration(db, frontdesk, registered):
    at = app_as(frontdesk, "pages/desk/search.py")
    at.text_input(key="search_query").input("zoraida").run()
    assert "No se encontró a nadie." in texts(at)


def test_person_file_edit_and_consent_withdrawal(db, frontdesk, registered):
    at = app_as(frontdesk)
    at.session_state["person_id"] = registered
    at.switch_page("pages/desk/person.py").run()
    at.text_input(key=f"edit{registered}_phone").input("12345")
    click(at, "Guardar cambios")
    assert "No es un número celular colombiano válido" in texts(at)
    at.text_input(key=f"edit{registered}_phone").input("320 765 4321")
    click(at, "Guardar cambios")
    assert "Cambios guardados." in texts(at)
    assert db.execute("SELECT phone FROM persons WHERE id = ?", [registered]).fetchone()[0] == "+573207654321"
    consent_id = db.execute("SELECT id FROM consents WHERE purpose = 'reminders'").fetchone()[0]
    at.button(key=f"withdraw_{consent_id}").click().run()
    assert "Consentimiento retirado." in texts(at)
    assert db.execute("SELECT withdrawn_at IS NOT NULL FROM consents WHERE id = ?", [consent_id]).fetchone()[0] == 1


# --- administration --------------------------------------------------------


def test_admin_adds_renames_and_closes_a_block(db, admin):
    at = app_as(admin, "pages/admin/blocks.py")
    at.text_input(key="block_new_code").input("suba-gaitana")
    at.text_input(key="block_new_name").input("Manzana del Cuidado Suba Gaitana")
    at.selectbox(key="block_new_locality").set_value(11)
    click(at, "Agregar manzana")
    assert "Manzana guardada." in texts(at)
    assert db.execute("SELECT name, locality_code, active FROM blocks WHERE code = 'SUBA-GAITANA'").fetchone() == (
        "Manzana del Cuidado Suba Gaitana",
        11,
        1,
    )
    at.selectbox(key="block_edit_code").set_value("SUBA-GAITANA").run()
    at.text_input(key="block_name_SUBA-GAITANA").input("Manzana del Cuidado Suba")
    at.checkbox(key="block_active_SUBA-GAITANA").uncheck()
    click(at, "Guardar")
    assert db.execute("SELECT name, active FROM blocks WHERE code = 'SUBA-GAITANA'").fetchone() == (
        "Manzana del Cuidado Suba",
        0,
    )


def test_admin_creates_a_front_desk_account(db, admin):
    at = app_as(admin, "pages/admin/users.py")
    at.text_input(key="user_new_name").input("Lucia")
    at.text_input(key="user_new_password").input("corta")
    click(at, "Agregar usuario")
    assert "La contraseña debe tener al menos 12 caracteres." in texts(at)
    at.text_input(key="user_new_password").input("una-clave-larga")
    at.selectbox(key="user_new_block").set_value("KENNEDY")
    click(at, "Agregar usuario")
    assert "Usuario lucia creado." in texts(at)
    assert auth.authenticate(db, "lucia", "una-clave-larga").block_code == "KENNEDY"


def test_person_file_adds_a_dependent_and_links_an_existing_one(db, frontdesk, registered):
    child_id = persons.get_person(db, frontdesk, registered)["cares_for"][0]["id"]
    other = persons.register_caregiver(
        db,
        frontdesk,
        caregiver_data(
            doc_number="41222333", first_names="Rosa", last_names="Peña Díaz", birth_date="1960-02-02", phone=""
        ),
        [],
        CONSENT,
        today=TODAY,
    )
    at = app_as(frontdesk)
    at.session_state["person_id"] = other
    at.switch_page("pages/desk/person.py").run()
    prefix = f"dep{other}_"
    at.text_input(key=prefix + "first_names").input("Santiago")
    at.text_input(key=prefix + "last_names").input("Rodríguez Peña")
    at.date_input(key=prefix + "birth_date").set_value(dt.date(2023, 6, 1))
    at.selectbox(key=prefix + "doc_type").set_value("RC")
    at.text_input(key=prefix + "doc_number").input("1029384756")
    at.selectbox(key=prefix + "relationship").set_value("grandchild")
    at.selectbox(key=prefix + "care_need").set_value("child_under_6")
    click(at, "Agregar")
    assert "Ya existe una persona con este documento: Santiago Rodríguez Peña." in texts(at)
    at.button(key=f"dep{other}_link_{child_id}").click().run()
    assert "Persona cuidada agregada." in texts(at)
    cared_by = {c["id"] for c in persons.get_person(db, frontdesk, child_id)["cared_by"]}
    assert cared_by == {registered, other}


def test_two_people_who_care_for_each_other_open_fine(db, frontdesk):
    husband = persons.register_caregiver(
        db,
        frontdesk,
        caregiver_data(
            doc_number="17111222",
            first_names="Jorge",
            last_names="Peña Díaz",
            birth_date="1945-01-01",
            sex="M",
            phone="",
        ),
        [],
        CONSENT,
        today=TODAY,
    )
    wife = persons.register_caregiver(
        db,
        frontdesk,
        caregiver_data(
            doc_number="20111222", first_names="Rosa", last_names="Díaz Peña", birth_date="1947-01-01", phone=""
        ),
        [{"existing_person_id": husband, "relationship": "spouse", "care_need": "older_person"}],
        CONSENT,
        today=TODAY,
    )
    persons.add_dependent(
        db,
        frontdesk,
        husband,
        {"existing_person_id": wife, "relationship": "spouse", "care_need": "older_person"},
        today=TODAY,
    )
    at = app_as(frontdesk)
    at.session_state["person_id"] = husband
    at.switch_page("pages/desk/person.py").run()
    assert not at.exception
    assert at.button(key=f"open_cares_{wife}") and at.button(key=f"open_cared_{wife}")
