"""Login protection: throttling and locks (per typed name and per address), the
password policy, changing and resetting a password, scrypt's cost and the rehash
of older hashes, and what the audit log keeps of failed logins."""

import datetime as dt
import os
import subprocess
import sys

import pytest

from caremgmt.core import auth, passwords, sessions
from caremgmt.core.errors import PermissionDenied, ValidationError
from caremgmt.core.i18n import Message
from tests.factories import cli

T0 = dt.datetime(2026, 3, 2, 14, 0, tzinfo=dt.UTC)  # 09:00 in Bogotá
DESK = ("recepcion", "desk-password-1")


def at(**delta) -> dt.datetime:
    return T0 + dt.timedelta(**delta)


def fail(db, username="recepcion", address=None, now=T0):
    """One failed attempt: None (refused) or the lock it ran into, as the message says it."""
    try:
        assert auth.authenticate(db, username, "not-her-password", address, now=now) is None
    except auth.LoginLocked as locked:
        return locked.until, locked.message.render("es")
    return None


def audit_rows(db, action):
    return [
        dict(zip(("user_id", "username", "entity_id", "old", "new", "detail"), row, strict=True))
        for row in db.execute(
            "SELECT user_id, username, entity_id, old_values, new_values, detail FROM audit_log WHERE action = ?"
            " ORDER BY id",
            [action],
        )
    ]


# --- throttling and locks ----------------------------------------------------


def test_the_fifth_failure_locks_the_name_for_a_minute_even_for_the_right_password(db, frontdesk):
    assert [fail(db, now=at(seconds=i)) for i in range(4)] == [None] * 4
    until, says = fail(db, now=at(seconds=4))
    assert until == at(seconds=4, minutes=1)
    assert says == "Demasiados intentos fallidos. Podrá intentarlo de nuevo a las 09:01."
    with pytest.raises(auth.LoginLocked):  # the right password is refused while locked
        auth.authenticate(db, *DESK, now=at(seconds=30))
    assert auth.authenticate(db, *DESK, now=at(seconds=65)) == frontdesk
    # A success clears the count: four more failures lock nothing.
    assert [fail(db, now=at(minutes=2, seconds=i)) for i in range(4)] == [None] * 4


def test_each_failure_after_a_lock_doubles_it_up_to_an_hour(db, frontdesk):
    for i in range(4):
        fail(db, now=at(seconds=i))
    now, lengths = at(seconds=4), []
    for _ in range(9):
        until, _says = fail(db, now=now)
        lengths.append((until - now) // dt.timedelta(minutes=1))
        now = until + dt.timedelta(seconds=1)  # she waits out the lock, then fails again
    assert lengths == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    # Attempts refused by a lock are not counted: the lock does not grow while she waits.
    for second in range(1, 30):
        assert fail(db, now=now + dt.timedelta(seconds=second)) is not None
    assert auth.authenticate(db, *DESK, now=now + dt.timedelta(hours=1, seconds=1)) == frontdesk


def test_a_quiet_day_starts_the_count_again(db, frontdesk):
    for i in range(4):
        fail(db, now=at(seconds=i))
    assert fail(db, now=at(hours=25)) is None  # the first failure of a new count


def test_an_unknown_name_is_answered_exactly_like_a_real_one(db, frontdesk):
    real = [fail(db, "recepcion", now=at(seconds=i)) for i in range(7)]
    unknown = [fail(db, "nadie-con-ese-nombre", now=at(seconds=i)) for i in range(7)]
    assert real == unknown and real[4] is not None
    # Neither the name typed nor the password typed is kept anywhere.
    kept = "\n".join(db.conn.iterdump())
    assert "nadie-con-ese-nombre" not in kept and "not-her-password" not in kept


def test_failed_logins_are_audited_with_her_id_or_with_no_name_at_all(db, frontdesk):
    auth.authenticate(db, "recepcion", "wrong-password", now=T0)
    auth.authenticate(db, "mi-clave-secreta-2024", "wrong-password", now=T0)  # a password typed as the name
    failed = audit_rows(db, "login_failed")
    assert [r["entity_id"] for r in failed] == [str(frontdesk.id), None]
    assert all(r["user_id"] is None and r["detail"] is None for r in failed)
    assert "mi-clave-secreta-2024" not in "\n".join(db.conn.iterdump())


def test_a_lock_is_audited_once_with_when_it_ends(db, frontdesk):
    for i in range(6):
        fail(db, now=at(seconds=i))
    locks = audit_rows(db, "login_locked")
    assert [(r["entity_id"], r["detail"]) for r in locks] == [(str(frontdesk.id), "account")]
    assert '"until": "2026-03-02T14:01:04+00:00"' in locks[0]["new"]
    assert audit_rows(db, "login_failed")[-1]["detail"] == "locked"


def test_an_address_with_many_failures_is_locked_for_every_name(db, frontdesk):
    office, elsewhere = "10.20.30.40", "10.20.30.41"
    # Twenty names, one failure each: no name is locked, the address is.
    results = [fail(db, f"nombre{i}", office, now=at(seconds=i)) for i in range(20)]
    assert results[:19] == [None] * 19 and results[19][0] == at(seconds=19, minutes=1)
    with pytest.raises(auth.LoginLocked):
        auth.authenticate(db, *DESK, office, now=at(seconds=30))
    assert auth.authenticate(db, *DESK, elsewhere, now=at(seconds=31)) == frontdesk
    assert auth.authenticate(db, *DESK, office, now=at(minutes=2)) == frontdesk
    assert "10.20.30.40" not in "\n".join(db.conn.iterdump())


def test_waiting_out_an_hour_long_lock_does_not_start_a_new_count(db):
    # An address forgets its count after an hour without failures, counted from the end
    # of its last lock: a sprayer waiting out each lock never gets twenty free guesses again.
    now = T0
    for i in range(19):
        assert fail(db, f"nombre{i}", "203.0.113.7", now=now) is None
    lengths = []
    for i in range(10):
        until, _says = fail(db, f"otro{i}", "203.0.113.7", now=now)
        lengths.append((until - now) // dt.timedelta(minutes=1))
        now = until + dt.timedelta(seconds=1)
    assert lengths == [1, 2, 4, 8, 16, 32, 60, 60, 60, 60]


def test_an_admin_sees_the_lock_and_unlocks_the_account(db, admin, frontdesk):
    for _ in range(5):
        fail(db, now=None)
    listed = {a["username"]: a for a in auth.list_users(db, admin)}
    assert listed["recepcion"]["locked_until"] is not None and listed["admin"]["locked_until"] is None
    with pytest.raises(PermissionDenied):
        auth.unlock(db, frontdesk, frontdesk.id)
    auth.unlock(db, admin, frontdesk.id)
    assert auth.locked_until(db, "recepcion") is None
    assert auth.authenticate(db, *DESK) == frontdesk
    assert [(r["user_id"], r["entity_id"]) for r in audit_rows(db, "unlock")] == [(admin.id, str(frontdesk.id))]


# --- the password policy -----------------------------------------------------


@pytest.mark.parametrize(
    "password, rule",
    [
        ("aaaaaaaaaa", "error.password_short"),  # the examples, for an administrator
        ("password12", "error.password_short"),
        ("1234567890", "error.password_short"),
        (" " * 10, "error.password_short"),
        (" " * 12, "error.password_repeated"),
        ("aaaaaaaaaaaa", "error.password_repeated"),
        ("abcabcabcabc", "error.password_repeated"),
        ("123456789012", "error.password_sequence"),
        ("0987654321098", "error.password_sequence"),
        ("abcdefghijklm", "error.password_sequence"),
        ("qwertyuiopas", "error.password_sequence"),
        ("lucia-cuida-en-bosa", "error.password_username"),
        ("password1234", "error.password_common"),
        ("Contraseña2024", "error.password_common"),
        ("colombia123456", "error.password_common"),
        ("Colombia 2024 !!", "error.password_common"),
        ("iloveyou iloveyou", "error.password_common"),
        ("\udcffclave-larga-1", "error.password_encoding"),  # bytes that were not UTF-8
        ("mi perro se llama firulais", None),
        ("desk-password-1", None),
    ],
)
def test_each_rule_of_the_policy(password, rule):
    broken = passwords.problem(password, "lucia")
    assert (broken.key if broken else None) == rule


def test_each_rule_says_which_rule_it_is_in_both_languages():
    for key, words in (
        ("error.password_repeated", ("repetido", "repeated")),
        ("error.password_sequence", ("secuencia", "run")),
        ("error.password_username", ("nombre de usuario", "username")),
        ("error.password_common", ("más usadas", "most used")),
    ):
        spanish, english = (Message(key).render(lang) for lang in ("es", "en"))
        assert words[0] in spanish and words[1] in english


def test_the_common_list_is_shipped_with_spanish_entries():
    common = passwords.common_passwords()
    assert 1000 < len(common) < 5000
    assert {"contraseña", "colombia", "123456", "qwerty", "teamo"} <= common


@pytest.mark.parametrize("password", ["aaaaaaaaaa", "password12", "1234567890", " " * 10, "password1234"])
def test_an_administrator_cannot_be_given_a_weak_password(db, admin, password):
    with pytest.raises(ValidationError) as refused:
        auth.create_user(db, admin, "jefa2", password, "admin")
    assert refused.value.errors["password"].key.startswith("error.password_")
    assert db.execute("SELECT count(*) FROM users WHERE username = 'jefa2'").fetchone()[0] == 0


def test_a_password_that_is_not_utf8_is_refused_and_never_crashes_a_login(db, admin, frontdesk):
    with pytest.raises(ValidationError) as refused:
        auth.create_user(db, admin, "lucia", "\udcff\udcfeclave-larga-1", "frontdesk")
    assert refused.value.errors["password"].key == "error.password_encoding"
    assert auth.authenticate(db, "recepcion", "\udcffclave") is None


# --- scrypt cost and rehash ----------------------------------------------------


def test_production_hashes_at_owasps_cost_and_verifies_them():
    # A new process: tests/conftest.py lowers the cost for the suite, the app does not.
    code = (
        "from caremgmt.core import auth; h = auth.hash_password('una clave de prueba');"
        "print(h.rsplit('$', 2)[0], auth.verify_password('una clave de prueba', h), auth.needs_rehash(h))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=dict(os.environ))
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["scrypt$131072$8$1", "True", "False"]


def test_an_older_hash_verifies_and_is_replaced_at_login(db, frontdesk):
    old = auth.hash_password("desk-password-1", {"n": 2**14, "r": 8, "p": 1})
    db.execute("UPDATE users SET password_hash = ? WHERE id = ?", [old, frontdesk.id])
    assert auth.authenticate(db, "recepcion", "wrong-password") is None
    assert db.execute("SELECT password_hash FROM users WHERE id = ?", [frontdesk.id]).fetchone()[0] == old
    assert auth.authenticate(db, *DESK) == frontdesk
    stored = db.execute("SELECT password_hash FROM users WHERE id = ?", [frontdesk.id]).fetchone()[0]
    assert stored.startswith(f"scrypt${auth.SCRYPT['n']}$8$1$") and not auth.needs_rehash(stored)
    assert auth.authenticate(db, *DESK) == frontdesk  # the same password, the new hash
    rehashes = audit_rows(db, "password_rehash")
    assert len(rehashes) == 1 and stored not in str(rehashes) and old not in str(rehashes)


# --- change and reset -----------------------------------------------------------


def test_she_changes_her_password_and_her_other_sessions_end(db, frontdesk):
    here, _ = sessions.start(db, frontdesk)
    there, _ = sessions.start(db, frontdesk)
    new = "cuido-a-mi-mama-los-martes"
    for args, field, key in (
        (("wrong-password", new, new), "current_password", "error.password_wrong"),
        (("desk-password-1", new, new + "x"), "password_repeat", "error.password_mismatch"),
        (("desk-password-1", "qwertyuiopas", "qwertyuiopas"), "new_password", "error.password_sequence"),
        (("desk-password-1", "desk-password-1", "desk-password-1"), "new_password", "error.password_unchanged"),
    ):
        with pytest.raises(ValidationError) as refused:
            auth.change_password(db, frontdesk, *args, keep_session=here)
        assert refused.value.errors[field].key == key
    assert auth.authenticate(db, *DESK) == frontdesk  # nothing changed yet
    auth.change_password(db, frontdesk, "desk-password-1", new, new, keep_session=here)
    assert auth.authenticate(db, "recepcion", new) == frontdesk
    assert auth.authenticate(db, *DESK) is None
    assert sessions.current(db, here) is not None and sessions.current(db, there) is None
    assert len(audit_rows(db, "password_change")) == 1 and new not in "\n".join(db.conn.iterdump())


def test_wrong_current_passwords_count_as_failed_logins(db, frontdesk):
    for _ in range(4):
        with pytest.raises(ValidationError):
            auth.change_password(db, frontdesk, "wrong-password", "x", "x")
    with pytest.raises(ValidationError) as refused:
        auth.change_password(db, frontdesk, "wrong-password", "x", "x")
    assert refused.value.errors["current_password"].key == "login.locked"
    with pytest.raises(auth.LoginLocked):
        auth.authenticate(db, *DESK)


def test_an_admin_reset_forces_a_change_at_the_next_login(db, admin, frontdesk):
    open_session, _ = sessions.start(db, frontdesk)
    for _ in range(5):
        fail(db, now=None)
    with pytest.raises(PermissionDenied):
        auth.reset_password(db, frontdesk, admin.id)
    with pytest.raises(ValidationError):
        auth.reset_password(db, admin, admin.id)  # her own: the change page
    temporary = auth.reset_password(db, admin, frontdesk.id)
    assert passwords.problem(temporary, "recepcion") is None
    assert sessions.current(db, open_session) is None  # her open tabs end
    assert auth.authenticate(db, *DESK) is None  # the old password is gone
    assert auth.authenticate(db, "recepcion", temporary) == frontdesk  # and the lock with it
    forced, _ = sessions.start(db, frontdesk)
    assert sessions.current(db, forced).must_change_password
    assert auth.must_change_password(db, frontdesk)
    auth.change_password(db, frontdesk, temporary, "mis-propias-palabras", "mis-propias-palabras", keep_session=forced)
    assert not sessions.current(db, forced).must_change_password
    reset = audit_rows(db, "password_reset")
    assert [(r["user_id"], r["entity_id"]) for r in reset] == [(admin.id, str(frontdesk.id))]
    assert temporary not in "\n".join(db.conn.iterdump())


# --- the command line -----------------------------------------------------------


def test_the_command_line_refuses_bytes_that_are_not_utf8_and_unlocks_and_resets(tmp_path):
    path = tmp_path / "cli.db"
    # 0xff in the environment arrives as a lone surrogate (surrogateescape).
    bad = cli(path, "user", "add", "lucia", "--role", "frontdesk", password="\udcffclave-segura-1")
    assert bad.returncode == 1 and "cannot be stored" in bad.stderr and "Traceback" not in bad.stderr
    added = cli(path, "user", "add", "lucia", "--role", "frontdesk", password="clave-segura-1")
    assert added.returncode == 0, added.stderr
    from caremgmt.core.db import connect

    db = connect(str(path))
    try:
        for _ in range(5):
            fail(db, "lucia", now=None)
        assert auth.locked_until(db, "lucia") is not None
        assert cli(path, "user", "unlock", "lucia").stdout.strip() == "user lucia unlocked"
        assert auth.locked_until(db, "lucia") is None
        reset = cli(path, "user", "reset-password", "lucia")
        temporary = reset.stdout.rsplit(" ", 1)[-1].strip()
        assert auth.authenticate(db, "lucia", temporary).username == "lucia"
        assert auth.must_change_password(db, auth.authenticate(db, "lucia", temporary))
        nobody = cli(path, "user", "unlock", "nadie")
        assert nobody.returncode == 1 and "Traceback" not in nobody.stderr
    finally:
        db.close()
