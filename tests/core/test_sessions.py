"""Server-side login sessions: claimed once, resumed by the cookie's token,
ended by logout (everywhere), idleness or deactivation."""

import datetime as dt

import pytest

from caremgmt.core import auth, sessions

T0 = dt.datetime(2026, 11, 23, 15, 0, tzinfo=dt.UTC)


def later(**delta) -> dt.datetime:
    return T0 + dt.timedelta(**delta)


@pytest.fixture
def token(db, frontdesk):
    _, claim = sessions.start(db, frontdesk, now=T0)
    return sessions.claim(db, claim, now=later(seconds=5))


def test_a_claim_gives_the_cookie_token_once_and_only_while_fresh(db, frontdesk):
    _, claim = sessions.start(db, frontdesk, now=T0)
    token = sessions.claim(db, claim, now=later(seconds=30))
    assert token and token != claim
    assert sessions.claim(db, claim, now=later(seconds=31)) is None  # used
    _, late = sessions.start(db, frontdesk, now=T0)
    assert sessions.claim(db, late, now=later(seconds=61)) is None  # expired
    assert sessions.claim(db, "made-up", now=later(seconds=1)) is None


def test_the_database_keeps_no_token_or_claim_in_clear(db, frontdesk):
    _, claim = sessions.start(db, frontdesk, now=T0)
    token = sessions.claim(db, claim, now=T0)
    dump = "\n".join(db.conn.iterdump())
    assert token not in dump and claim not in dump


def test_the_token_resumes_the_session_with_the_account_as_it_is_now(db, admin, frontdesk, token):
    session = sessions.resume(db, token, now=later(minutes=10))
    assert session.user == frontdesk
    assert sessions.resume(db, token + "x", now=later(minutes=10)) is None
    assert sessions.resume(db, "", now=later(minutes=10)) is None
    db.execute("UPDATE users SET language = 'en' WHERE id = ?", [frontdesk.id])
    assert sessions.resume(db, token, now=later(minutes=11)).user.language == "en"


def test_thirty_idle_minutes_end_a_session_but_clicks_keep_it_alive(db, frontdesk, token):
    # A click every 20 minutes keeps it going well past 30 minutes from the start.
    for minutes in (20, 40, 60):
        assert sessions.resume(db, token, now=later(minutes=minutes)) is not None
    # Never early: last_seen_at is written at most once a minute, so the limit has a minute's slack.
    assert sessions.resume(db, token, now=later(minutes=60 + 30, seconds=59)) is not None
    assert sessions.resume(db, token, now=later(minutes=60 + 30 + 30 + 2)) is None
    session_id = db.execute("SELECT id FROM login_sessions").fetchone()[0]
    assert sessions.end_reason(db, session_id) == "idle"
    assert db.execute("SELECT detail FROM audit_log WHERE action = 'logout'").fetchall() == [("idle",)]
    assert sessions.resume(db, token, now=later(minutes=150)) is None  # ended stays ended


def test_the_idle_timeout_is_configurable(db, frontdesk, token, monkeypatch):
    monkeypatch.setenv("CAREMGMT_IDLE_MINUTES", "5")
    assert sessions.resume(db, token, now=later(minutes=4)) is not None
    assert sessions.resume(db, token, now=later(minutes=11)) is None
    for wrong in ("thirty", "0", "-5", "2.5"):
        monkeypatch.setenv("CAREMGMT_IDLE_MINUTES", wrong)
        with pytest.raises(ValueError, match="CAREMGMT_IDLE_MINUTES must be a whole number above 0"):
            sessions.idle_limit()


def test_logout_ends_every_session_of_that_user_only(db, admin, frontdesk, token):
    other_tab, _ = sessions.start(db, frontdesk, now=T0)
    admins, _ = sessions.start(db, admin, now=T0)
    assert sessions.current(db, other_tab, now=later(minutes=1)) is not None
    sessions.log_out(db, frontdesk)
    assert sessions.resume(db, token, now=later(minutes=2)) is None
    assert sessions.current(db, other_tab, now=later(minutes=2)) is None
    assert sessions.end_reason(db, other_tab) == "logout"
    assert sessions.current(db, admins, now=later(minutes=2)).user == admin
    assert db.execute("SELECT username, detail FROM audit_log WHERE action = 'logout'").fetchall() == [
        ("recepcion", "logout")
    ]


def test_deactivation_ends_her_sessions_at_once(db, admin, frontdesk, token):
    session_id = db.execute("SELECT id FROM login_sessions").fetchone()[0]
    assert sessions.resume(db, token, now=later(minutes=1)) is not None
    auth.set_active(db, admin, frontdesk.id, False)
    assert sessions.end_reason(db, session_id) == "deactivated"
    assert sessions.resume(db, token, now=later(minutes=2)) is None
    auth.set_active(db, admin, frontdesk.id, True)  # reactivated: she logs in again, the old session stays ended
    assert sessions.resume(db, token, now=later(minutes=3)) is None
