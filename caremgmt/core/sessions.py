"""Server-side login sessions: a login survives reloads, Back, new tabs and
typed addresses until logout, an idle timeout or the account's deactivation.

The browser holds a random token in an HttpOnly, SameSite cookie; the database
keeps only its SHA-256. The token is never in a page: a login starts a session
with a one-use claim code, valid for a minute, which the page hands to the
app's own route (streamlit_app.py) that exchanges it for the cookie. Every
script run checks its session again, so a logout or a deactivation ends every
tab of that user at its next click.

A session of an account with a second factor starts waiting for a code
(``Session.second_factor`` is VERIFY until caremgmt.core.second_factor accepts
one); one whose role needs a second factor and has none yet may only enrol one
(ENROL). Both are read from the database at every script run, so neither a
reload nor a new tab skips them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlite_utils import Database

from caremgmt.core import audit, config, policy
from caremgmt.core.actor import User
from caremgmt.core.db import write_transaction

COOKIE = "caremgmt_session"
END_REASONS = ("logout", "idle", "deactivated")
CLAIM_SECONDS = 60
# last_seen_at is written at most this often, not on every click.
TOUCH_SECONDS = 60
# What a session still needs before it opens anything (Session.second_factor).
VERIFY = "verify"  # a code from her second factor (or a recovery code)
ENROL = "enrol"  # her role needs a second factor and she has none: setting one up


@dataclass(frozen=True)
class Session:
    id: int
    user: User
    # An admin reset her password: until she sets her own, this session opens nothing
    # but the change of password (read from the account at every script run).
    must_change_password: bool = False
    # VERIFY, ENROL, or None once the second factor is done with (or not needed).
    second_factor: str | None = None


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or dt.datetime.now(dt.UTC)


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="seconds")


def idle_limit() -> dt.timedelta:
    return dt.timedelta(minutes=config.current().idle_minutes)


def start(db: Database, user: User, *, now: dt.datetime | None = None) -> tuple[int, str]:
    """A new session for ``user`` (just authenticated): its id and the claim
    code the browser exchanges for the session cookie."""
    now = _now(now)
    claim = secrets.token_urlsafe(32)
    with write_transaction(db):
        # An account with a second factor: the session waits for a code (VERIFY), however she got here.
        cursor = db.execute(
            "INSERT INTO login_sessions (user_id, claim_hash, claim_expires_at, created_at, last_seen_at,"
            " second_factor_due) VALUES (?, ?, ?, ?, ?, EXISTS (SELECT 1 FROM second_factors"
            " WHERE user_id = ? AND secret IS NOT NULL))",
            [user.id, _hash(claim), _iso(now + dt.timedelta(seconds=CLAIM_SECONDS)), _iso(now), _iso(now), user.id],
        )
    return cursor.lastrowid, claim


def claim(db: Database, code: str, *, now: dt.datetime | None = None) -> str | None:
    """The session token for a claim code, once: a new token is made and only
    its hash kept; None for an unknown, used, expired or ended claim."""
    now = _now(now)
    token = secrets.token_urlsafe(32)
    with write_transaction(db):
        claimed = db.execute(
            "UPDATE login_sessions SET token_hash = ?, claim_hash = NULL, claim_expires_at = NULL"
            " WHERE claim_hash = ? AND claim_expires_at >= ? AND ended_at IS NULL",
            [_hash(token), _hash(code or ""), _iso(now)],
        ).rowcount
    return token if claimed else None


def _row_to_session(row: dict) -> Session:
    user = User(row["user_id"], row["username"], row["role"], row["block_code"], row["language"])
    if row["has_second_factor"]:
        step = VERIFY if row["second_factor_due"] else None
    else:  # none (or reset since): her role may need one now
        step = ENROL if row["role"] in policy.SECOND_FACTOR_ROLES else None
    return Session(row["id"], user, bool(row["must_change_password"]), step)


_SELECT = (
    "SELECT s.id, s.user_id, s.last_seen_at, s.ended_at, s.second_factor_due, u.username, u.role, u.block_code,"
    " u.language, u.active, u.must_change_password,"
    " EXISTS (SELECT 1 FROM second_factors f WHERE f.user_id = u.id AND f.secret IS NOT NULL) AS has_second_factor"
    " FROM login_sessions s JOIN users u ON u.id = s.user_id"
)


def _check(db: Database, row: dict | None, now: dt.datetime) -> Session | None:
    """The live session of ``row``, touched; None (and the session ended, with
    the reason) once it is idle too long or its account is deactivated."""
    if row is None or row["ended_at"]:
        return None
    last_seen = dt.datetime.fromisoformat(row["last_seen_at"])
    # last_seen_at may be up to TOUCH_SECONDS older than the last click: never end early.
    idle = now - last_seen > idle_limit() + dt.timedelta(seconds=TOUCH_SECONDS)
    reason = "deactivated" if not row["active"] else "idle" if idle else None
    if reason:
        session = _row_to_session(row)
        with write_transaction(db):
            db.execute(
                "UPDATE login_sessions SET ended_at = ?, end_reason = ? WHERE id = ? AND ended_at IS NULL",
                [_iso(now), reason, row["id"]],
            )
            audit.record(db, session.user, "logout", "user", session.user.id, detail=reason)
        return None
    if (now - last_seen).total_seconds() >= TOUCH_SECONDS:
        with write_transaction(db):
            db.execute("UPDATE login_sessions SET last_seen_at = ? WHERE id = ?", [_iso(now), row["id"]])
    return _row_to_session(row)


def current(db: Database, session_id: int, *, now: dt.datetime | None = None) -> Session | None:
    """The session ``session_id`` if it is still live (each script run asks)."""
    rows = list(db.query(f"{_SELECT} WHERE s.id = ?", [session_id]))
    return _check(db, rows[0] if rows else None, _now(now))


def resume(db: Database, token: str, *, now: dt.datetime | None = None) -> Session | None:
    """The live session whose cookie holds ``token`` (a reload, a new tab)."""
    if not token:
        return None
    rows = list(db.query(f"{_SELECT} WHERE s.token_hash = ?", [_hash(token)]))
    return _check(db, rows[0] if rows else None, _now(now))


def second_factor_passed(db: Database, session_id: int, user_id: int) -> bool:
    """Her session ``session_id`` no longer waits for a code (inside the caller's
    transaction): whether it was a live session of hers."""
    return (
        db.execute(
            "UPDATE login_sessions SET second_factor_due = 0 WHERE id = ? AND user_id = ? AND ended_at IS NULL",
            [session_id, user_id],
        ).rowcount
        == 1
    )


def end_reason(db: Database, session_id: int) -> str | None:
    """Why a session ended ('logout', 'idle', 'deactivated'), or None if it has not."""
    row = db.execute("SELECT end_reason FROM login_sessions WHERE id = ?", [session_id]).fetchone()
    return row[0] if row else None


def end_all(db: Database, user_id: int, reason: str, *, keep: int | None = None, now: dt.datetime | None = None) -> int:
    """End every live session of a user but ``keep`` (inside the caller's transaction, if any)."""
    with write_transaction(db):
        return db.execute(
            "UPDATE login_sessions SET ended_at = ?, end_reason = ? WHERE user_id = ? AND ended_at IS NULL"
            " AND id IS NOT ?",
            [_iso(_now(now)), reason, user_id, keep],
        ).rowcount


def log_out(db: Database, user: User) -> int:
    """Logout: every session of the user ends at once (all her tabs and browsers)."""
    with write_transaction(db):
        ended = end_all(db, user.id, "logout")
        audit.record(db, user, "logout", "user", user.id, detail="logout")
    return ended
