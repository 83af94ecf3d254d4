"""The second factor: enrolment (a secret for her app, confirmed by its first code),
the code a login waits for (window, no reuse), recovery codes (once each, made
anew), who must have one, an admin's reset, wrong codes throttled like wrong
passwords, the policy's refusal and the login session's gate."""

import datetime as dt
import json
import re

import pyotp
import pytest

from caremgmt.core import auth, policy, second_factor, sessions
from caremgmt.core.errors import NotFound, PermissionDenied, ValidationError
from caremgmt.core.i18n import t
from tests.factories import cli

T0 = dt.datetime(2026, 3, 2, 14, 0, tzinfo=dt.UTC)  # 09:00 in Bogotá, the start of a 30-second step
STEP = dt.timedelta(seconds=30)


def code(secret: str, moment: dt.datetime) -> str:
    """What her app shows at ``moment``."""
    return pyotp.TOTP(secret).at(moment.timestamp())


def refusal(call) -> str:
    """The message key of the refusal next to the code field."""
    with pytest.raises(ValidationError) as refused:
        call()
    return refused.value.errors["otp"].key


def enrol(db, user, now=T0) -> tuple[str, list[str]]:
    """Her secret (as her app took it) and her recovery codes."""
    secret = second_factor.begin(db, user, now=now).secret
    return secret, second_factor.confirm(db, user, code(secret, now), now=now)


def audit_rows(db, action: str) -> list[dict]:
    return [
        {"user_id": row[0], "entity_id": row[1], "old": row[2], "new": row[3], "detail": row[4]}
        for row in db.execute(
            "SELECT user_id, entity_id, old_values, new_values, detail FROM audit_log WHERE action = ? ORDER BY id",
            [action],
        )
    ]


@pytest.fixture
def coordinator(db, admin):
    return auth.create_user(db, admin, "coordinadora", "coord-password-1", "coordinator", "BOSA")


# --- enrolment ------------------------------------------------------------------


def test_enrolment_shows_a_secret_and_a_qr_code_and_a_first_code_confirms_it(db, coordinator):
    pending = second_factor.begin(db, coordinator, now=T0)
    assert re.fullmatch(r"[A-Z2-7]{32}", pending.secret)  # base32, 160 bits
    assert pending.uri.startswith("otpauth://totp/caremgmt:coordinadora?secret=" + pending.secret)
    assert "issuer=caremgmt" in pending.uri
    assert pending.grouped.replace(" ", "") == pending.secret and len(pending.grouped.split()) == 8
    assert pending.qr_png().startswith(b"\x89PNG\r\n\x1a\n")
    status = second_factor.status(db, coordinator)
    assert (status.required, status.enrolled, status.pending.secret) == (True, False, pending.secret)
    # Pending is not enough: the policy still refuses her.
    with pytest.raises(policy.SecondFactorDue):
        policy.check(db, coordinator, "person.read")

    codes = second_factor.confirm(db, coordinator, code(pending.secret, T0), now=T0)
    assert len(codes) == len(set(codes)) == 10
    assert all(re.fullmatch(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}", c) for c in codes)
    status = second_factor.status(db, coordinator)
    assert (status.enrolled, status.pending, status.recovery_left) == (True, None, 10)
    policy.check(db, coordinator, "person.read")
    assert [(r["user_id"], r["detail"]) for r in audit_rows(db, "second_factor_enrolled")][-1] == (
        coordinator.id,
        None,
    )
    # Only hashes are kept: no recovery code (nor TOTP code) anywhere in the database's tables.
    everything = " ".join(
        str(v)
        for table in ("recovery_codes", "audit_log", "second_factors")
        for row in db.execute(f"SELECT * FROM {table}")
        for v in row
    )
    assert not any(c in everything or c.replace("-", "") in everything for c in codes)
    assert code(pending.secret, T0) not in everything


def test_a_wrong_or_far_off_code_does_not_confirm_the_enrolment(db, coordinator):
    secret = second_factor.begin(db, coordinator, now=T0).secret
    wrong = f"{(int(code(secret, T0)) + 1) % 1_000_000:06d}"
    assert refusal(lambda: second_factor.confirm(db, coordinator, wrong, now=T0)) == "second_factor.wrong"
    # Her phone's clock five minutes off: she is told to check it.
    assert refusal(lambda: second_factor.confirm(db, coordinator, code(secret, T0 - 10 * STEP), now=T0)) == (
        "second_factor.clock"
    )
    assert refusal(lambda: second_factor.confirm(db, coordinator, "  ", now=T0)) == "second_factor.code_needed"
    assert not second_factor.status(db, coordinator).enrolled
    assert [r["detail"] for r in audit_rows(db, "second_factor_failed")] == ["enrol:wrong", "enrol:clock"]
    second_factor.confirm(db, coordinator, code(secret, T0 + STEP), now=T0 + STEP)  # a step later: the app's next
    assert second_factor.status(db, coordinator).enrolled


def test_a_new_phone_replaces_the_old_one_only_once_confirmed(db, admin, coordinator):
    old, _ = enrol(db, coordinator)
    session_id = sessions.start(db, coordinator)[0]
    second_factor.verify(db, coordinator, code(old, T0 + STEP), session_id, now=T0 + STEP)
    new = second_factor.begin(db, coordinator, session_id, now=T0 + 2 * STEP).secret
    assert new != old
    # Until the new one is confirmed, the old phone still logs her in.
    other = sessions.start(db, coordinator)[0]
    second_factor.verify(db, coordinator, code(old, T0 + 2 * STEP), other, now=T0 + 2 * STEP)
    second_factor.confirm(db, coordinator, code(new, T0 + 3 * STEP), session_id, now=T0 + 3 * STEP)
    third = sessions.start(db, coordinator)[0]
    assert refusal(lambda: second_factor.verify(db, coordinator, code(old, T0 + 4 * STEP), third, now=T0 + 4 * STEP))
    second_factor.verify(db, coordinator, code(new, T0 + 5 * STEP), third, now=T0 + 5 * STEP)
    assert json.loads(audit_rows(db, "second_factor_enrolled")[-1]["new"]) == {"replaced": True}


def test_a_session_still_waiting_for_a_code_cannot_set_up_another_phone(db, coordinator):
    enrol(db, coordinator)
    waiting = sessions.start(db, coordinator)[0]
    with pytest.raises(PermissionDenied):
        second_factor.begin(db, coordinator, waiting, now=T0 + STEP)
    with pytest.raises(PermissionDenied):
        second_factor.begin(db, coordinator, None, now=T0 + STEP)


# --- the code a login waits for -------------------------------------------------


def test_a_login_waits_for_the_code_and_a_wrong_one_is_refused(db, coordinator):
    secret, _ = enrol(db, coordinator)
    session_id = sessions.start(db, coordinator)[0]
    assert sessions.current(db, session_id).second_factor == sessions.VERIFY
    right = code(secret, T0 + STEP)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    assert refusal(lambda: second_factor.verify(db, coordinator, wrong, session_id, now=T0 + STEP)) == (
        "second_factor.wrong"
    )
    assert sessions.current(db, session_id).second_factor == sessions.VERIFY
    result = second_factor.verify(db, coordinator, right[:3] + " " + right[3:], session_id, now=T0 + STEP)
    assert result == second_factor.Verified(recovery_code=False, recovery_left=10)
    assert sessions.current(db, session_id).second_factor is None
    assert [r["detail"] for r in audit_rows(db, "second_factor_verified")] == [None]
    assert [r["detail"] for r in audit_rows(db, "second_factor_failed")] == ["login:wrong"]


def test_a_code_is_accepted_one_step_either_side_and_never_twice(db, coordinator):
    secret, _ = enrol(db, coordinator)
    now = T0 + 10 * STEP

    def attempt(moment):
        session_id = sessions.start(db, coordinator)[0]
        return lambda: second_factor.verify(db, coordinator, code(secret, moment), session_id, now=now)

    attempt(now - STEP)()  # her phone a little behind
    assert refusal(attempt(now - STEP)) == "second_factor.reused"  # the same code again, in another tab
    attempt(now + STEP)()  # a little ahead
    # The current step's code comes before the step just used: refused too (seen over her shoulder).
    assert refusal(attempt(now)) == "second_factor.reused"
    assert refusal(attempt(now - 2 * STEP)) == "second_factor.clock"  # a minute old: expired
    assert refusal(attempt(now + 3 * STEP)) == "second_factor.clock"  # a clock running fast
    assert refusal(attempt(T0 + 100 * STEP)) == "second_factor.wrong"  # nowhere near: a wrong code
    assert [r["detail"] for r in audit_rows(db, "second_factor_failed")] == [
        "login:reused",
        "login:reused",
        "login:clock",
        "login:clock",
        "login:wrong",
    ]


def test_a_recovery_code_works_once_and_says_how_many_are_left(db, coordinator):
    _, codes = enrol(db, coordinator)
    first = sessions.start(db, coordinator)[0]
    typed = codes[3].upper().replace("-", " ")  # as she may type it off the sheet
    assert second_factor.verify(db, coordinator, typed, first, now=T0 + STEP) == second_factor.Verified(True, 9)
    assert sessions.current(db, first).second_factor is None
    second = sessions.start(db, coordinator)[0]
    assert refusal(lambda: second_factor.verify(db, coordinator, codes[3], second, now=T0 + STEP)) == (
        "second_factor.recovery_used"
    )
    assert refusal(lambda: second_factor.verify(db, coordinator, "abcd-efgh-jkmn", second, now=T0 + STEP)) == (
        "second_factor.wrong"
    )
    assert second_factor.status(db, coordinator).recovery_left == 9
    assert [r["detail"] for r in audit_rows(db, "second_factor_verified")] == ["recovery_code"]


def test_new_recovery_codes_need_her_app_and_replace_the_old_ones(db, coordinator):
    secret, old = enrol(db, coordinator)
    session_id = sessions.start(db, coordinator)[0]
    second_factor.verify(db, coordinator, old[0], session_id, now=T0 + STEP)
    # A recovery code does not make new ones: a tab left open is not enough either.
    assert refusal(lambda: second_factor.regenerate_recovery_codes(db, coordinator, old[1], now=T0 + STEP)) == (
        "second_factor.wrong"
    )
    new = second_factor.regenerate_recovery_codes(db, coordinator, code(secret, T0 + STEP), now=T0 + STEP)
    assert len(new) == 10 and not set(new) & set(old)
    assert second_factor.status(db, coordinator).recovery_left == 10
    later = sessions.start(db, coordinator)[0]
    assert refusal(lambda: second_factor.verify(db, coordinator, old[1], later, now=T0 + 2 * STEP)) == (
        "second_factor.wrong"
    )
    second_factor.verify(db, coordinator, new[0], later, now=T0 + 2 * STEP)
    assert len(audit_rows(db, "recovery_codes_regenerated")) == 1


# --- who must have one ----------------------------------------------------------


def test_admins_coordinators_and_evaluators_must_have_one_the_desk_may(db, admin, coordinator, evaluator, frontdesk):
    assert [second_factor.required(u) for u in (admin, coordinator, evaluator, frontdesk)] == [True, True, True, False]
    # Without one: a coordinator's login may only set one up; the desk's opens as before.
    assert sessions.current(db, sessions.start(db, coordinator)[0]).second_factor == sessions.ENROL
    assert sessions.current(db, sessions.start(db, frontdesk)[0]).second_factor is None
    policy.check(db, frontdesk, "person.read")
    # The desk sets one up if she likes: from then on it is asked of her too.
    enrol(db, frontdesk)
    assert sessions.current(db, sessions.start(db, frontdesk)[0]).second_factor == sessions.VERIFY


def test_the_policy_refuses_a_role_that_needs_a_second_factor_until_she_has_one(db, coordinator):
    with pytest.raises(policy.SecondFactorDue) as refused:
        policy.check(db, coordinator, "person.read")
    assert t(refused.value.message.key, "es") == (
        "Debe activar su segundo factor (un código de su teléfono) antes de continuar."
    )
    assert t(refused.value.message.key, "en").startswith("You must set up your second factor")
    enrol(db, coordinator)
    policy.check(db, coordinator, "person.read")
    # Made an admin later: her second factor carries over; a desk made coordinator needs one first.


def test_a_desk_promoted_to_a_role_that_needs_one_must_set_it_up_at_her_next_click(db, frontdesk):
    session_id = sessions.start(db, frontdesk)[0]
    db.execute("UPDATE users SET role = 'coordinator' WHERE id = ?", [frontdesk.id])
    assert sessions.current(db, session_id).second_factor == sessions.ENROL
    with pytest.raises(policy.SecondFactorDue):
        policy.check(db, frontdesk, "person.read")


def test_the_desk_may_turn_hers_off_a_required_role_may_not(db, admin, coordinator, frontdesk):
    desk_secret, _ = enrol(db, frontdesk)
    here, waiting = sessions.start(db, frontdesk)[0], sessions.start(db, frontdesk)[0]
    second_factor.verify(db, frontdesk, code(desk_secret, T0 + STEP), here, now=T0 + STEP)
    second_factor.remove(db, frontdesk, code(desk_secret, T0 + 2 * STEP), keep_session=here, now=T0 + 2 * STEP)
    assert not second_factor.status(db, frontdesk).enrolled
    # Her other logins end: one still waiting for a code does not open without it.
    assert sessions.current(db, waiting) is None and sessions.current(db, here).second_factor is None
    assert sessions.current(db, sessions.start(db, frontdesk)[0]).second_factor is None
    secret, _ = enrol(db, coordinator)
    assert refusal(lambda: second_factor.remove(db, coordinator, code(secret, T0 + STEP), now=T0 + STEP)) == (
        "second_factor.cannot_remove"
    )
    assert second_factor.status(db, coordinator).enrolled


# --- an admin's reset -----------------------------------------------------------


def test_an_admin_resets_a_lost_phone_her_sessions_end_and_she_sets_up_a_new_one(db, admin, coordinator, frontdesk):
    enrol(db, coordinator)
    session_id = sessions.start(db, coordinator)[0]
    with pytest.raises(PermissionDenied):
        second_factor.reset(db, frontdesk, coordinator.id)
    with pytest.raises(ValidationError) as own:
        second_factor.reset(db, admin, admin.id)
    assert own.value.errors["user"].key == "error.cannot_reset_own_second_factor"
    with pytest.raises(NotFound):
        second_factor.reset(db, admin, 9999)

    second_factor.reset(db, admin, coordinator.id)
    assert sessions.current(db, session_id) is None and sessions.end_reason(db, session_id) == "logout"
    assert not second_factor.status(db, coordinator).enrolled
    assert db.execute("SELECT count(*) FROM recovery_codes WHERE user_id = ?", [coordinator.id]).fetchone()[0] == 0
    assert sessions.current(db, sessions.start(db, coordinator)[0]).second_factor == sessions.ENROL
    with pytest.raises(policy.SecondFactorDue):
        policy.check(db, coordinator, "person.read")
    [entry] = audit_rows(db, "second_factor_reset")
    assert (entry["user_id"], entry["entity_id"], json.loads(entry["old"])) == (
        admin.id,
        str(coordinator.id),
        {"second_factor": 1},
    )
    assert second_factor.enrolled_users(db, admin) == {admin.id}


def test_the_command_line_resets_the_second_factor_of_a_sole_admin(tmp_path):
    path = tmp_path / "cli.db"
    assert cli(path, "user", "add", "jefa", "--role", "admin", password="mi-clave-de-admin-7").returncode == 0
    from caremgmt.core.db import connect

    db = connect(str(path))
    try:
        jefa = auth.authenticate(db, "jefa", "mi-clave-de-admin-7")
        enrol(db, jefa)
    finally:
        db.close()
    done = cli(path, "user", "reset-second-factor", "jefa")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "second factor of jefa reset: her sessions ended; she sets up a new one at login"
    db = connect(str(path))
    try:
        assert not second_factor.enrolled(db, jefa.id)
        assert [r["user_id"] for r in audit_rows(db, "second_factor_reset")] == [None]  # the system
    finally:
        db.close()
    assert cli(path, "user", "reset-second-factor", "nadie").returncode != 0


# --- wrong codes are throttled like wrong passwords --------------------------------


def test_five_wrong_codes_lock_her_codes_and_say_until_when(db, admin, coordinator):
    secret, _ = enrol(db, coordinator)
    session_id = sessions.start(db, coordinator)[0]
    wrong = f"{(int(code(secret, T0 + STEP)) + 1) % 1_000_000:06d}"
    keys = [refusal(lambda: second_factor.verify(db, coordinator, wrong, session_id, now=T0 + STEP)) for _ in range(5)]
    assert keys == ["second_factor.wrong"] * 4 + ["login.locked"]
    # Locked: even the right code is refused, with the time the lock ends (a minute later, in Bogotá).
    with pytest.raises(ValidationError) as locked:
        second_factor.verify(db, coordinator, code(secret, T0 + 2 * STEP), session_id, now=T0 + 2 * STEP)
    assert locked.value.errors["otp"].render("es") == (
        "Demasiados intentos fallidos. Podrá intentarlo de nuevo a las 09:01."
    )
    assert sessions.current(db, session_id).second_factor == sessions.VERIFY
    assert [r["detail"] for r in audit_rows(db, "login_locked")] == ["factor"]
    assert auth.locked_until(db, "coordinadora", now=T0 + 2 * STEP) is not None  # the admins' list shows it
    # A right password does not clear the count of wrong codes (else a thief with the password
    # would get four guesses per login): the lock holds, and the next wrong code doubles it.
    assert auth.authenticate(db, "coordinadora", "coord-password-1", now=T0 + 2 * STEP) is not None
    assert refusal(lambda: second_factor.verify(db, coordinator, wrong, session_id, now=T0 + 2 * STEP)) == (
        "login.locked"
    )
    later = T0 + dt.timedelta(minutes=1, seconds=30)
    assert refusal(lambda: second_factor.verify(db, coordinator, wrong, session_id, now=later)) == "login.locked"
    assert auth.code_locked_until(db, "coordinadora", now=later) == later + dt.timedelta(minutes=2)
    # An admin unlocks her: the right code goes through.
    auth.unlock(db, admin, coordinator.id)
    second_factor.verify(db, coordinator, code(secret, later), session_id, now=later)
    assert sessions.current(db, session_id).second_factor is None


def test_wrong_codes_count_for_the_address_as_well(db, coordinator, monkeypatch):
    monkeypatch.setattr(auth, "ADDRESS_FAILURES", 3)
    secret, _ = enrol(db, coordinator)
    session_id = sessions.start(db, coordinator)[0]
    wrong = f"{(int(code(secret, T0 + STEP)) + 1) % 1_000_000:06d}"
    for _ in range(2):
        refusal(lambda: second_factor.verify(db, coordinator, wrong, session_id, "10.0.0.7", now=T0 + STEP))
    assert refusal(lambda: second_factor.verify(db, coordinator, wrong, session_id, "10.0.0.7", now=T0 + STEP)) == (
        "login.locked"
    )
    # The address is locked for passwords too; from another address her code goes through.
    with pytest.raises(auth.LoginLocked):
        auth.authenticate(db, "coordinadora", "coord-password-1", "10.0.0.7", now=T0 + STEP)
    second_factor.verify(db, coordinator, code(secret, T0 + STEP), session_id, "10.0.0.8", now=T0 + STEP)


def test_a_right_code_clears_the_count_of_wrong_ones(db, coordinator):
    secret, _ = enrol(db, coordinator)
    wrong = f"{(int(code(secret, T0 + STEP)) + 1) % 1_000_000:06d}"
    for n in range(1, 4):
        session_id = sessions.start(db, coordinator)[0]
        moment = T0 + n * STEP
        for _ in range(4):
            refusal(lambda: second_factor.verify(db, coordinator, wrong, session_id, now=moment))  # noqa: B023
        second_factor.verify(db, coordinator, code(secret, moment), session_id, now=moment)
    assert audit_rows(db, "login_locked") == []


# --- the login session's gate ---------------------------------------------------


def test_the_wait_for_the_code_survives_a_reload_and_a_new_tab(db, coordinator):
    secret, _ = enrol(db, coordinator)
    session_id, claim = sessions.start(db, coordinator)
    token = sessions.claim(db, claim)
    assert sessions.resume(db, token).second_factor == sessions.VERIFY  # a reload: still waiting
    second_factor.verify(db, coordinator, code(secret, T0 + STEP), session_id, now=T0 + STEP)
    assert sessions.resume(db, token).second_factor is None
    # A code passes only the session it was typed in; her other logins wait for their own.
    assert sessions.current(db, sessions.start(db, coordinator)[0]).second_factor == sessions.VERIFY


def test_a_code_for_a_session_that_is_not_hers_or_has_ended_passes_nothing(db, coordinator, frontdesk):
    secret, _ = enrol(db, coordinator)
    desk_session = sessions.start(db, frontdesk)[0]
    with pytest.raises(NotFound):
        second_factor.verify(db, coordinator, code(secret, T0 + STEP), desk_session, now=T0 + STEP)
    session_id = sessions.start(db, coordinator)[0]
    sessions.log_out(db, coordinator)
    with pytest.raises(NotFound):
        second_factor.verify(db, coordinator, code(secret, T0 + 2 * STEP), session_id, now=T0 + 2 * STEP)
    # Nothing was used up by those: the step is still hers.
    fresh = sessions.start(db, coordinator)[0]
    second_factor.verify(db, coordinator, code(secret, T0 + 2 * STEP), fresh, now=T0 + 2 * STEP)
