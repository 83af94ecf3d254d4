"""Single sign-on (caremgmt.core.single_sign_on): which providers the secrets
configure, which account an identity is (and which identities are refused), what
the audit keeps of it, and accounts whose password login is turned off."""

import datetime as dt
import json

import pytest

from caremgmt.core import auth, sessions, single_sign_on
from caremgmt.core.errors import PermissionDenied, ValidationError
from caremgmt.core.single_sign_on import IdentityRefused, Provider, account_for_identity
from tests.factories import cli

NOW = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)
SHARED = {"redirect_uri": "https://caremgmt.example.org/oauth2callback", "cookie_secret": "s" * 32}
CLIENT = {"client_id": "caremgmt", "client_secret": "x", "server_metadata_url": "https://id.example.org/.well-known"}


def identity(email="lucia@manzanas.gov.co", **claims):
    """Claims as st.user holds them after st.login (the ID token's, plus Streamlit's)."""
    return {
        "is_logged_in": True,
        "provider": "entra",
        "iss": "https://id.example.org",
        "sub": "sujeto-del-proveedor",
        "email": email,
        "exp": int((NOW + dt.timedelta(minutes=50)).timestamp()),
        **claims,
    }


def audit_rows(db, action):
    return [
        dict(zip(("user_id", "entity_id", "new", "detail"), row, strict=True))
        for row in db.execute(
            "SELECT user_id, entity_id, new_values, detail FROM audit_log WHERE action = ? ORDER BY id", [action]
        )
    ]


@pytest.fixture
def lucia(db, admin):
    """A desk account at KENNEDY whose e-mail the identity provider knows."""
    return auth.create_user(
        db, admin, "lucia", "voy-a-la-manzana-7", "frontdesk", "KENNEDY", email=" Lucia@Manzanas.gov.co "
    )


# --- providers ----------------------------------------------------------------------


def test_the_providers_are_those_the_auth_section_configures_in_its_order():
    assert single_sign_on.providers(None) == []
    assert single_sign_on.providers({}) == []
    assert single_sign_on.providers({**CLIENT}) == []  # no redirect_uri or cookie_secret: st.login would refuse
    assert single_sign_on.providers({**SHARED, **CLIENT}) == [Provider("default")]
    assert single_sign_on.providers({**SHARED, **CLIENT, "display_name": "  Bogotá  ID "}) == [
        Provider("default", "Bogotá ID")
    ]
    settings = {
        **SHARED,
        "entra": {**CLIENT, "display_name": "Microsoft"},
        "google": CLIENT,
        "half": {"client_id": "x"},  # incomplete: no button that could only fail
        "bad_name": CLIENT,  # Streamlit refuses an underscore
    }
    assert single_sign_on.providers(settings) == [Provider("entra", "Microsoft"), Provider("google", "google")]


# --- which account an identity is --------------------------------------------------------


def test_the_identity_is_the_account_with_its_email_ignoring_case_and_keeps_her_role_and_block(db, lucia):
    assert lucia.role == "frontdesk" and lucia.block_code == "KENNEDY"
    assert db.execute("SELECT email FROM users WHERE id = ?", [lucia.id]).fetchone()[0] == "lucia@manzanas.gov.co"
    assert account_for_identity(db, identity("LUCIA@manzanas.GOV.co"), now=NOW) == lucia
    assert account_for_identity(db, identity(email_verified=True), now=NOW) == lucia
    [entry] = audit_rows(db, "login")[-1:]
    assert (entry["user_id"], entry["entity_id"], entry["detail"]) == (lucia.id, str(lucia.id), "sso")
    assert json.loads(entry["new"]) == {"provider": "entra"}


@pytest.mark.parametrize(
    "claims, reason",
    [
        (identity("nadie@manzanas.gov.co"), "unknown"),
        (identity(email_verified=False), "unverified"),
        (identity(email_verified="false"), "unverified"),
        (identity(email=None), "no_email"),
        (identity(email="not an e-mail"), "no_email"),
        (identity(exp=int((NOW - dt.timedelta(seconds=1)).timestamp())), "expired"),
        ({k: v for k, v in identity().items() if k != "exp"}, "expired"),
    ],
)
def test_an_identity_that_is_no_account_here_is_refused_and_the_audit_keeps_no_identity_data(db, lucia, claims, reason):
    with pytest.raises(IdentityRefused) as refused:
        account_for_identity(db, claims, now=NOW)
    assert refused.value.reason == reason
    [entry] = audit_rows(db, "login_failed")
    assert entry["detail"] == f"sso:{reason}" and entry["user_id"] is None and entry["entity_id"] is None
    assert json.loads(entry["new"]) == {"provider": "entra"}  # the provider's name, nothing the identity said
    everything = "\n".join(db.conn.iterdump()).lower()
    assert (
        "nadie@" not in everything and "sujeto-del-proveedor" not in everything and "id.example.org" not in everything
    )


def test_an_identity_from_a_provider_no_longer_configured_signs_nobody_in(db, lucia):
    assert account_for_identity(db, identity(), ["google", "entra"], now=NOW) == lucia
    with pytest.raises(IdentityRefused) as refused:
        account_for_identity(db, identity(), ["google"], now=NOW)
    assert refused.value.reason == "provider"
    with pytest.raises(IdentityRefused):
        account_for_identity(db, identity(), [], now=NOW)  # single sign-on taken out of the settings
    assert [r["detail"] for r in audit_rows(db, "login_failed")] == ["sso:provider", "sso:provider"]


def test_the_refusal_quotes_the_email_for_the_person_at_the_screen(db, lucia):
    with pytest.raises(IdentityRefused) as refused:
        account_for_identity(db, identity("Nadie@Manzanas.gov.co"), now=NOW)
    assert refused.value.message.render("es") == (
        "Esta identidad (nadie@manzanas.gov.co) no tiene cuenta en caremgmt. Pida a quien administra el sistema"
        " que registre ese correo en su usuario."
    )


def test_a_deactivated_account_is_refused_like_an_unknown_one(db, admin, lucia):
    auth.set_active(db, admin, lucia.id, False)
    with pytest.raises(IdentityRefused) as refused:
        account_for_identity(db, identity(), now=NOW)
    assert refused.value.reason == "inactive"
    assert refused.value.message.key == "sso.unknown"
    [entry] = audit_rows(db, "login_failed")
    assert entry["detail"] == "sso:inactive" and entry["entity_id"] == str(lucia.id)  # the account is ours to name


# --- the e-mail and the password login of an account ------------------------------------


def test_an_admin_sets_changes_and_clears_the_email_one_account_per_email(db, admin, frontdesk, lucia):
    single_sign_on.set_email(db, admin, frontdesk.id, "Recepcion@Bosa.gov.co")
    assert account_for_identity(db, identity("recepcion@bosa.gov.co"), now=NOW) == frontdesk
    with pytest.raises(ValidationError) as taken:
        single_sign_on.set_email(db, admin, frontdesk.id, "LUCIA@manzanas.gov.co")
    assert taken.value.errors["email"].key == "error.email_taken"
    with pytest.raises(ValidationError) as bad:
        single_sign_on.set_email(db, admin, frontdesk.id, "recepcion at bosa")
    assert bad.value.errors["email"].key == "error.email_format"
    single_sign_on.set_email(db, admin, frontdesk.id, "  ")
    with pytest.raises(IdentityRefused):
        account_for_identity(db, identity("recepcion@bosa.gov.co"), now=NOW)
    changes = [json.loads(r["new"]) for r in audit_rows(db, "update")]
    assert changes == [{"email": "recepcion@bosa.gov.co"}, {"email": None}]
    with pytest.raises(PermissionDenied):
        single_sign_on.set_email(db, frontdesk, lucia.id, "otra@manzanas.gov.co")


def test_the_database_holds_one_account_per_email_whatever_the_case(db, lucia):
    import sqlite3

    from caremgmt.core.db import violated

    with pytest.raises(sqlite3.IntegrityError) as twice:
        db.execute("UPDATE users SET email = 'LUCIA@MANZANAS.GOV.CO' WHERE username = 'admin'")
    assert violated(twice.value, "users_email")


def test_a_password_login_for_an_account_whose_password_is_off_fails_like_a_wrong_password(db, admin, lucia):
    single_sign_on.set_password_login(db, admin, lucia.id, False)
    assert auth.log_in(db, "lucia", "voy-a-la-manzana-7") == (None, auth.log_in(db, "nadie", "x")[1])
    assert auth.log_in(db, "lucia", "voy-a-la-manzana-7")[1].key == "login.failed"
    assert audit_rows(db, "login_failed")[0]["detail"] == "password_off"
    assert account_for_identity(db, identity(), now=NOW) == lucia  # single sign-on still works
    with pytest.raises(ValidationError) as no_password:
        auth.change_password(db, lucia, "voy-a-la-manzana-7", "otra-clave-larga-9", "otra-clave-larga-9")
    assert no_password.value.errors["current_password"].key == "error.password_login_off"
    single_sign_on.set_password_login(db, admin, lucia.id, True)
    assert auth.authenticate(db, "lucia", "voy-a-la-manzana-7") == lucia  # her old password works again
    changes = [json.loads(r["new"]) for r in audit_rows(db, "update")]
    assert changes == [{"password_login": 0}, {"password_login": 1}]


def test_turning_the_password_off_ends_her_sessions_and_needs_an_email_and_not_ones_own(db, admin, frontdesk, lucia):
    open_session, _ = sessions.start(db, lucia)
    single_sign_on.set_password_login(db, admin, lucia.id, False)
    assert sessions.current(db, open_session) is None  # a login made with the password does not outlive it
    with pytest.raises(ValidationError) as no_email:
        single_sign_on.set_password_login(db, admin, frontdesk.id, False)
    assert no_email.value.errors["password_login"].key == "error.email_needed"
    with pytest.raises(ValidationError) as keep:
        single_sign_on.set_email(db, admin, lucia.id, None)  # her only way in
    assert keep.value.errors["email"].key == "error.email_needed"
    single_sign_on.set_email(db, admin, admin.id, "jefa@manzanas.gov.co")
    with pytest.raises(ValidationError) as own:
        single_sign_on.set_password_login(db, admin, admin.id, False)
    assert own.value.errors["password_login"].key == "error.cannot_disable_own_password"


def test_an_account_made_for_single_sign_on_only_has_no_password_anyone_knows(db, admin):
    with pytest.raises(ValidationError) as no_email:
        auth.create_user(db, admin, "marta", None, "frontdesk", "BOSA", password_login=False)
    assert no_email.value.errors["email"].key == "error.email_needed"
    marta = auth.create_user(
        db, admin, "marta", None, "frontdesk", "BOSA", email="marta@manzanas.gov.co", password_login=False
    )
    assert not single_sign_on.password_login(db, marta)
    assert account_for_identity(db, identity("marta@manzanas.gov.co"), now=NOW) == marta
    [created] = [json.loads(r["new"]) for r in audit_rows(db, "create") if r["entity_id"] == str(marta.id)]
    assert created["email"] == "marta@manzanas.gov.co" and created["password_login"] == 0
    with pytest.raises(ValidationError) as taken:
        auth.create_user(db, admin, "marta2", "clave-de-marta-22", "frontdesk", email="MARTA@manzanas.gov.co")
    assert taken.value.errors["email"].key == "error.email_taken"


def test_a_reset_gives_an_account_without_password_a_temporary_one_and_turns_it_back_on(db, admin):
    marta = auth.create_user(db, admin, "marta", None, "frontdesk", email="marta@manzanas.gov.co", password_login=False)
    temporary = auth.reset_password(db, admin, marta.id)
    assert auth.authenticate(db, "marta", temporary) == marta and auth.must_change_password(db, marta)
    [reset] = audit_rows(db, "password_reset")
    assert json.loads(reset["new"]) == {"must_change_password": 1, "password_login": 1}


# --- the command line -------------------------------------------------------------------


def test_the_command_line_adds_an_account_for_single_sign_on_without_asking_a_password(tmp_path):
    path = tmp_path / "cli.db"
    refused = cli(path, "user", "add", "marta", "--role", "frontdesk", "--no-password")
    assert refused.returncode == 1 and "needs an e-mail" in refused.stderr and "Traceback" not in refused.stderr
    added = cli(
        path,
        "user",
        "add",
        "marta",
        "--role",
        "frontdesk",
        "--block",
        "BOSA",
        "--email",
        "Marta@X.org",
        "--no-password",
    )
    assert added.returncode == 0, added.stderr
    both = cli(path, "user", "add", "lucia", "--role", "frontdesk", "--email", "lucia@x.org", password="clave-segura-1")
    assert both.returncode == 0, both.stderr
    from caremgmt.core.db import connect

    db = connect(str(path))
    try:
        rows = db.execute("SELECT username, email, password_login FROM users ORDER BY username").fetchall()
        assert rows == [("lucia", "lucia@x.org", 1), ("marta", "marta@x.org", 0)]
        assert auth.authenticate(db, "lucia", "clave-segura-1").username == "lucia"
    finally:
        db.close()
