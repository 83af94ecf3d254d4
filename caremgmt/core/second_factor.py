"""The second factor: a time-based one-time password (TOTP, RFC 6238, with
``pyotp``) from an authenticator app on her phone, and one-time recovery codes
for the day the phone is not at hand.

Who: the roles of ``policy.SECOND_FACTOR_ROLES`` (admins, coordinators,
evaluators) must have one; ``policy.check`` refuses them everything until they
do. The desk may set one up, and then it is asked of her like of anyone else.

Enrolment: ``begin`` makes a new random secret, pending, which her app takes from
a QR code (``Enrolment.qr_png``, with ``segno``) or typed in (``Enrolment.grouped``);
``confirm`` makes it hers once her app gives a right code, and returns ten
recovery codes, shown to her once: only their SHA-256 is kept. Confirming a new
phone's secret replaces the old one. A secret must be readable to check a code,
so it is stored as it is: the database file is its owner's only (README).

Login: a login session of an account with a second factor waits for a code
(caremgmt.core.sessions, VERIFY) until ``verify`` accepts one: a code of the
current 30-second step or of the one either side (a phone's clock a little off),
and never a code of a step already used or before it (``last_step``), so a code
seen over her shoulder is worth nothing once she has typed it. A recovery code
works once. Wrong codes are counted and locked like wrong passwords
(caremgmt.core.auth: five in a row lock her codes for a minute, doubling up to
an hour, and count for the client's address too), on a key of their own that a
right password does not clear.

An admin (or ``python -m caremgmt user reset-second-factor``) resets an account's
second factor: it is gone with its recovery codes, her sessions end, and her next
login sets up a new one (if her role needs one). Everything is audited; a code
never is.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io
import re
import secrets
from dataclasses import dataclass

import pyotp
import segno
from sqlite_utils import Database

from caremgmt.core import audit, auth, policy, sessions
from caremgmt.core.actor import User
from caremgmt.core.db import write_transaction
from caremgmt.core.errors import NotFound, PermissionDenied, ValidationError
from caremgmt.core.i18n import Message

ISSUER = "caremgmt"  # the name her authenticator app shows beside her username
# A code is accepted for its own 30-second step and the one either side (a clock a bit off).
VALID_WINDOW = 1
# A code of a step this far off is not a guess but a phone's clock (or a code read too late):
# she is told so, and it still counts as a failure.
CLOCK_WINDOW = 10
RECOVERY_CODES = 10
# Recovery codes: 3 groups of 4 from 31 unambiguous characters (about 59 bits each).
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_TOTP = re.compile(r"\d{6}")
_SEPARATORS = re.compile(r"[\s-]+")


@dataclass(frozen=True)
class Enrolment:
    """A secret shown to her for her app: as a QR code or as text to type in."""

    secret: str
    username: str

    @property
    def uri(self) -> str:
        """The otpauth:// address authenticator apps read (issuer "caremgmt", her username)."""
        return pyotp.TOTP(self.secret).provisioning_uri(name=self.username, issuer_name=ISSUER)

    @property
    def grouped(self) -> str:
        """The secret in groups of four, as it is easiest to type into an app."""
        return " ".join(self.secret[i : i + 4] for i in range(0, len(self.secret), 4))

    def qr_png(self, scale: int = 6) -> bytes:
        """The QR code of ``uri`` as a PNG image (black on white, with its quiet zone)."""
        image = io.BytesIO()
        segno.make(self.uri, error="m").save(image, kind="png", scale=scale, border=4)
        return image.getvalue()


@dataclass(frozen=True)
class Status:
    """Her second factor as her own page shows it."""

    required: bool  # her role must have one
    enrolled: bool
    confirmed_at: str | None
    pending: Enrolment | None  # shown to her, not yet confirmed (a first one or a new phone)
    recovery_left: int  # unused recovery codes


@dataclass(frozen=True)
class Verified:
    """A code accepted at login: whether it was a recovery code, and how many remain."""

    recovery_code: bool
    recovery_left: int


def required(user: User) -> bool:
    """Whether ``user``'s role must log in with a second factor."""
    return user.role in policy.SECOND_FACTOR_ROLES


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or dt.datetime.now(dt.UTC)


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _account(db: Database, user: User) -> User:
    """``user`` as her active account is now (role included); InactiveAccount otherwise."""
    row = db.execute("SELECT role, block_code FROM users WHERE id = ? AND active = 1", [user.id]).fetchone()
    if row is None:
        raise policy.InactiveAccount()
    return User(user.id, user.username, row[0], row[1], user.language)


def _row(db: Database, user_id: int) -> dict | None:
    rows = list(db.query("SELECT * FROM second_factors WHERE user_id = ?", [user_id]))
    return rows[0] if rows else None


def _recovery_left(db: Database, user_id: int) -> int:
    return db.execute(
        "SELECT count(*) FROM recovery_codes WHERE user_id = ? AND used_at IS NULL", [user_id]
    ).fetchone()[0]


def status(db: Database, user: User) -> Status:
    account = _account(db, user)
    row = _row(db, user.id) or {}
    pending = Enrolment(row["pending_secret"], user.username) if row.get("pending_secret") else None
    return Status(
        required=required(account),
        enrolled=row.get("secret") is not None,
        confirmed_at=row.get("confirmed_at"),
        pending=pending,
        recovery_left=_recovery_left(db, user.id),
    )


def enrolled(db: Database, user_id: int) -> bool:
    """Whether the account has a confirmed second factor."""
    row = db.execute("SELECT secret IS NOT NULL FROM second_factors WHERE user_id = ?", [user_id]).fetchone()
    return bool(row and row[0])


def _check_session(db: Database, user: User, session_id: int | None) -> None:
    """One who has a second factor changes it only from a session that has passed it:
    never from one still waiting for a code (or from no session at all)."""
    if not enrolled(db, user.id):
        return
    row = db.execute(
        "SELECT second_factor_due FROM login_sessions WHERE id = ? AND user_id = ? AND ended_at IS NULL",
        [session_id, user.id],
    ).fetchone()
    if row is None or row[0]:
        raise PermissionDenied("second_factor.change")


def begin(db: Database, user: User, session_id: int | None = None, *, now: dt.datetime | None = None) -> Enrolment:
    """A new secret for her app, pending until ``confirm`` (it replaces an earlier
    pending one; a confirmed one stays in use until then). One who already has a
    second factor (a new phone) does this from a session that passed it."""
    _account(db, user)
    _check_session(db, user, session_id)
    secret = pyotp.random_base32()  # 32 characters: 160 bits, as RFC 4226 recommends
    with write_transaction(db):
        db.execute(
            "INSERT INTO second_factors (user_id, pending_secret, pending_at) VALUES (?, ?, ?)"
            " ON CONFLICT (user_id) DO UPDATE SET pending_secret = excluded.pending_secret,"
            " pending_at = excluded.pending_at",
            [user.id, secret, _iso(_now(now))],
        )
        audit.record(db, user, "second_factor_begin", "user", user.id)
    return Enrolment(secret, user.username)


def cancel(db: Database, user: User) -> None:
    """Forget a pending enrolment (the confirmed second factor, if any, stays)."""
    _account(db, user)
    with write_transaction(db):
        dropped = db.execute(
            "UPDATE second_factors SET pending_secret = NULL, pending_at = NULL"
            " WHERE user_id = ? AND pending_secret IS NOT NULL",
            [user.id],
        ).rowcount
        db.execute(
            "DELETE FROM second_factors WHERE user_id = ? AND secret IS NULL AND pending_secret IS NULL", [user.id]
        )
        if dropped:
            audit.record(db, user, "second_factor_cancel", "user", user.id)


def _code_needed() -> ValidationError:
    return ValidationError({"otp": Message("second_factor.code_needed")})


def _normalize(code: str) -> str:
    return _SEPARATORS.sub("", code or "").lower()


def _match(secret: str, code: str, last_step: int | None, now: dt.datetime) -> tuple[str, int | None]:
    """("ok", step) for a right code of a step not used yet, else (why not, None):
    "reused" (a right code of a step already used), "clock" (a right code of a step
    too far off), "wrong"."""
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now.timestamp())

    def right(step: int) -> bool:
        return hmac.compare_digest(totp.generate_otp(step), code)

    nearby = [current + offset for offset in range(-VALID_WINDOW, VALID_WINDOW + 1) if right(current + offset)]
    fresh = [step for step in nearby if last_step is None or step > last_step]
    if fresh:
        return "ok", max(fresh)
    if nearby:
        return "reused", None
    if any(right(current + offset) for offset in range(-CLOCK_WINDOW, CLOCK_WINDOW + 1)):
        return "clock", None
    return "wrong", None


def _recovery_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _new_recovery_codes(db: Database, user_id: int, now: dt.datetime) -> list[str]:
    """Ten new recovery codes in place of any she had (inside the caller's transaction)."""
    codes = [
        "-".join("".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(4)) for _ in range(3))
        for _ in range(RECOVERY_CODES)
    ]
    db.execute("DELETE FROM recovery_codes WHERE user_id = ?", [user_id])
    db.conn.executemany(
        "INSERT INTO recovery_codes (user_id, code_hash, created_at) VALUES (?, ?, ?)",
        [(user_id, _recovery_hash(_normalize(code)), _iso(now)) for code in codes],
    )
    return codes


_REFUSAL = {
    "wrong": "second_factor.wrong",
    "reused": "second_factor.reused",
    "clock": "second_factor.clock",
    "used": "second_factor.recovery_used",
}


def confirm(
    db: Database, user: User, code: str, session_id: int | None = None, *, now: dt.datetime | None = None
) -> list[str]:
    """Her app's first code makes the pending secret her second factor (in place of
    an earlier one); returns her ten recovery codes, to show her once. A wrong code
    is refused (and audited), not counted as a failed login: the secret is on her screen."""
    now = _now(now)
    _account(db, user)
    _check_session(db, user, session_id)
    code = _normalize(code)
    if not code:
        raise _code_needed()
    with write_transaction(db):
        row = _row(db, user.id)
        if row is None or row["pending_secret"] is None:
            raise NotFound("second_factor")
        outcome, step = _match(row["pending_secret"], code, None, now) if _TOTP.fullmatch(code) else ("wrong", None)
        if outcome == "ok":
            db.execute(
                "UPDATE second_factors SET secret = pending_secret, confirmed_at = ?, last_step = ?,"
                " pending_secret = NULL, pending_at = NULL WHERE user_id = ?",
                [_iso(now), step, user.id],
            )
            codes = _new_recovery_codes(db, user.id, now)
            audit.record(
                db, user, "second_factor_enrolled", "user", user.id, new={"replaced": row["secret"] is not None}
            )
        else:
            audit.record(db, user, "second_factor_failed", "user", user.id, detail=f"enrol:{outcome}")
    if outcome != "ok":
        raise ValidationError({"otp": Message(_REFUSAL[outcome])})
    return codes


def _checked(
    db: Database, user: User, code: str, address: str | None, now: dt.datetime, *, purpose: str, recovery: bool, then
):
    """Check a code of her confirmed second factor and use it up, with ``then(recovery_code_used)``
    in the same transaction (it runs for a right code only) and its result returned.
    ``recovery``: a recovery code will do too. Refused at once while her codes (or the
    address) are locked; a wrong code is counted like a wrong password and audited, and
    the refusal raised after the transaction (the failure it counted stays written)."""
    account = _account(db, user)
    code = _normalize(code)
    if not code:
        raise _code_needed()
    locked = auth.code_locked_until(db, account.username, address, now=now)
    if locked is not None:
        with write_transaction(db):  # an attempt refused by a lock is audited, not counted again
            audit.record(db, user, "second_factor_failed", "user", user.id, detail=f"{purpose}:locked")
        raise ValidationError({"otp": auth.LoginLocked(locked).message})
    with write_transaction(db):
        row = _row(db, user.id)
        if row is None or row["secret"] is None:
            raise NotFound("second_factor")
        recovery_code = not _TOTP.fullmatch(code)
        if not recovery_code:
            outcome, step = _match(row["secret"], code, row["last_step"], now)
            if outcome == "ok":
                db.execute("UPDATE second_factors SET last_step = ? WHERE user_id = ?", [step, user.id])
        elif recovery:
            found = db.execute(
                "SELECT id, used_at FROM recovery_codes WHERE user_id = ? AND code_hash = ?",
                [user.id, _recovery_hash(code)],
            ).fetchone()
            outcome = "wrong" if found is None else "used" if found[1] else "ok"
            if outcome == "ok":
                db.execute("UPDATE recovery_codes SET used_at = ? WHERE id = ?", [_iso(now), found[0]])
        else:
            outcome = "wrong"
        if outcome == "ok":
            auth.clear_code_failures(db, account.username)
            return then(recovery_code)
        locked = auth.record_code_failure(db, account, address, now)
        audit.record(db, user, "second_factor_failed", "user", user.id, detail=f"{purpose}:{outcome}")
    raise ValidationError({"otp": auth.LoginLocked(locked).message if locked else Message(_REFUSAL[outcome])})


def verify(
    db: Database,
    user: User,
    code: str,
    session_id: int,
    address: str | None = None,
    *,
    now: dt.datetime | None = None,
) -> Verified:
    """The code the login session ``session_id`` waits for: her app's code (or a
    recovery code, used up). Accepted, the session opens what her role may;
    refused, she is told why (wrong, already used, her phone's clock, a lock and
    until when) next to the field."""
    now = _now(now)

    def passed(recovery_code: bool) -> Verified:
        if not sessions.second_factor_passed(db, session_id, user.id):
            raise NotFound("session")
        audit.record(
            db, user, "second_factor_verified", "user", user.id, detail="recovery_code" if recovery_code else None
        )
        return Verified(recovery_code, _recovery_left(db, user.id))

    return _checked(db, user, code, address, now, purpose="login", recovery=True, then=passed)


def regenerate_recovery_codes(
    db: Database, user: User, code: str, address: str | None = None, *, now: dt.datetime | None = None
) -> list[str]:
    """Ten new recovery codes in place of her old ones (used or not), on a code from
    her app: a tab left open is not enough to make codes that would let one in."""
    now = _now(now)

    def regenerate(_recovery_code: bool) -> list[str]:
        codes = _new_recovery_codes(db, user.id, now)
        audit.record(db, user, "recovery_codes_regenerated", "user", user.id, new={"codes": RECOVERY_CODES})
        return codes

    return _checked(db, user, code, address, now, purpose="regenerate", recovery=False, then=regenerate)


def remove(
    db: Database,
    user: User,
    code: str,
    address: str | None = None,
    *,
    keep_session: int | None = None,
    now: dt.datetime | None = None,
) -> None:
    """She turns her second factor off, on a code from her app: only a role that
    does not need one (the desk). Her other login sessions end (one still waiting
    for a code must not open without it); ``keep_session`` (the tab she did it in) goes on."""
    now = _now(now)
    if required(_account(db, user)):
        raise ValidationError({"otp": Message("second_factor.cannot_remove")})

    def drop(_recovery_code: bool) -> None:
        _forget(db, user.id)
        sessions.end_all(db, user.id, "logout", keep=keep_session)
        audit.record(db, user, "second_factor_removed", "user", user.id)

    _checked(db, user, code, address, now, purpose="remove", recovery=False, then=drop)


def _forget(db: Database, user_id: int) -> None:
    db.execute("DELETE FROM recovery_codes WHERE user_id = ?", [user_id])
    db.execute("DELETE FROM second_factors WHERE user_id = ?", [user_id])


def reset(db: Database, actor: User, user_id: int) -> None:
    """An admin (or SYSTEM, from the command line) takes an account's second factor
    away, recovery codes and lock on her codes included: her sessions end, and her
    next login sets up a new one if her role needs one. Her own, an admin replaces
    on her own page instead."""
    policy.check(db, actor, "user.manage")
    if actor.id is not None and user_id == actor.id:
        raise ValidationError({"user": Message("error.cannot_reset_own_second_factor")})
    row = db.execute("SELECT username FROM users WHERE id = ?", [user_id]).fetchone()
    if row is None:
        raise NotFound("user")
    with write_transaction(db):
        had = enrolled(db, user_id)
        _forget(db, user_id)
        auth.clear_code_failures(db, row[0])
        sessions.end_all(db, user_id, "logout")
        audit.record(db, actor, "second_factor_reset", "user", user_id, old={"second_factor": int(had)})


def enrolled_users(db: Database, actor: User) -> set[int]:
    """The accounts that have a confirmed second factor (for the admins' list of users)."""
    policy.check(db, actor, "user.manage")
    return {row[0] for row in db.execute("SELECT user_id FROM second_factors WHERE secret IS NOT NULL")}
