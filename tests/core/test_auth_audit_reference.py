import sqlite3

import pytest

from caremgmt.core import auth, reference
from caremgmt.core.errors import PermissionDenied, ValidationError


def test_password_is_hashed_with_salt_and_verifies(db, admin):
    stored = db.execute("SELECT password_hash FROM users WHERE username = 'admin'").fetchone()[0]
    assert "clave-de-la-jefa-1" not in stored and stored.startswith("scrypt$")
    assert auth.verify_password("clave-de-la-jefa-1", stored)
    assert not auth.verify_password("admin-password-2", stored)
    assert auth.hash_password("same") != auth.hash_password("same")


def test_login_success_and_failure_are_audited(db, admin):
    assert auth.authenticate(db, "ADMIN ", "clave-de-la-jefa-1") == admin
    assert auth.authenticate(db, "admin", "wrong") is None
    assert auth.authenticate(db, "nobody", "wrong") is None
    actions = [r[0] for r in db.execute("SELECT action FROM audit_log WHERE action LIKE 'login%' ORDER BY id")]
    assert actions == ["login", "login_failed", "login_failed"]
    logged = " ".join(str(v) for row in db.execute("SELECT * FROM audit_log") for v in row)
    assert "clave-de-la-jefa-1" not in logged and "wrong" not in logged


def test_deactivated_user_cannot_log_in(db, admin, frontdesk):
    auth.set_active(db, admin, frontdesk.id, False)
    assert auth.authenticate(db, "recepcion", "desk-password-1") is None


def test_first_admin_only_once(db, admin):
    with pytest.raises(ValidationError) as info:
        auth.create_first_admin(db, "second", "another-password")
    assert info.value.errors["username"].key == "error.setup_done"


def test_only_admins_manage_users(db, frontdesk):
    with pytest.raises(PermissionDenied):
        auth.create_user(db, frontdesk, "newdesk", "long-enough-pw", "frontdesk")


@pytest.mark.parametrize(
    "username, password, role, block, field",
    [
        ("a", "long-enough-pw", "frontdesk", None, "username"),
        ("nueva", "short", "frontdesk", None, "password"),
        ("nueva", "long-enough-pw", "superuser", None, "role"),
        ("nueva", "long-enough-pw", "frontdesk", "NOPE", "block_code"),
        ("admin", "long-enough-pw", "frontdesk", None, "username"),
    ],
)
def test_user_validation(db, admin, username, password, role, block, field):
    with pytest.raises(ValidationError) as info:
        auth.create_user(db, admin, username, password, role, block)
    assert field in info.value.errors


def test_language_preference_is_saved(db, frontdesk):
    updated = auth.set_language(db, frontdesk, "en")
    assert updated.language == "en"
    assert auth.authenticate(db, "recepcion", "desk-password-1").language == "en"


def test_audit_log_is_append_only(db, admin):
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("UPDATE audit_log SET username = 'someone else'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("DELETE FROM audit_log")


def test_seed_has_localities_blocks_and_buses(db):
    localities = reference.localities(db)
    assert len(localities) == 20 and localities[1] == "Usaquén" and localities[20] == "Sumapaz"
    blocks = {b["code"]: b for b in reference.blocks(db)}
    assert blocks["MANITAS"]["locality"] == "Ciudad Bolívar"
    assert sorted(b["name"] for b in blocks.values() if b["kind"] == "bus") == [
        "Bus del Cuidado Rural",
        "Bus del Cuidado Urbano",
    ]


def test_seed_loading_keeps_admin_edits(db, admin):
    reference.update_block(db, admin, "USME", name="Manzana Usme Centro", locality_code=5, active=False)
    reference.load_seed(db)
    usme = next(b for b in reference.blocks(db, include_closed=True) if b["code"] == "USME")
    assert (usme["name"], usme["active"]) == ("Manzana Usme Centro", 0)
    assert "USME" not in {b["code"] for b in reference.blocks(db)}


def test_admin_adds_block_others_cannot(db, admin, frontdesk):
    reference.add_block(db, admin, "suba", "Manzana del Cuidado Suba", 11)
    assert any(b["code"] == "SUBA" for b in reference.blocks(db))
    with pytest.raises(ValidationError):
        reference.add_block(db, admin, "SUBA", "Otra", 11)
    with pytest.raises(PermissionDenied):
        reference.add_block(db, frontdesk, "TEUSA", "Teusaquillo", 13)


def test_a_writer_kept_waiting_by_the_lock_tries_again_instead_of_failing(db_file, db):
    import threading

    from caremgmt.core.db import connect, write_transaction

    holder, waiter = connect(db_file), connect(db_file)
    waiter.execute("PRAGMA busy_timeout = 60")  # each attempt gives up after 60 ms
    holder.execute("BEGIN IMMEDIATE")
    release = threading.Timer(0.1, holder.execute, ["COMMIT"])  # the lock is freed during the 2nd attempt
    release.start()
    try:
        with write_transaction(waiter):
            waiter.execute("INSERT INTO settings (key, value) VALUES ('probe', '1')")
    finally:
        release.join()
        holder.close()
    assert waiter.execute("SELECT value FROM settings WHERE key = 'probe'").fetchone() == ("1",)
    waiter.close()
