"""Local accounts, password hashing (scrypt) and login throttling. Who may do
what is caremgmt.core.policy's.

A login is throttled per typed account name and per client address: after a few
failures in a row the name (or address) is locked for a minute, then twice as
long with each further failure, up to an hour; a success clears the name's
count, an admin can unlock it. Names that belong to nobody are counted exactly
like real ones, so neither the answer nor its timing says whether an account
exists. Wrong second-factor codes (caremgmt.core.second_factor) are counted and
locked the same way, on a key of their own that a right password does not clear.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
import secrets
from functools import cache

from sqlite_utils import Database

from caremgmt.core import audit, passwords, policy, sessions, single_sign_on
from caremgmt.core.actor import ROLES, SYSTEM, User
from caremgmt.core.clock import BOGOTA, now_iso
from caremgmt.core.db import write_transaction
from caremgmt.core.errors import CareError, NotFound, ValidationError
from caremgmt.core.i18n import LANGUAGES, Message

# scrypt at OWASP's current parameters (Password Storage Cheat Sheet): N=2**17, r=8, p=1,
# which takes 128 MiB and about a third of a second per hash here. tests/conftest.py lowers
# it for the test suite's many accounts. A hash names its own parameters, so one made at
# another cost still verifies, and a login with it stores a new one at this cost.
SCRYPT = {"n": 2**17, "r": 8, "p": 1}
# scrypt needs 128 * r * n bytes; the rest is headroom for OpenSSL's own bookkeeping.
_MAXMEM_HEADROOM = 32 * 1024 * 1024
# A stored hash asking for more than this is not ours: refuse it rather than allocate.
_MAX_N = 2**20
_USERNAME = re.compile(r"[a-z0-9._-]{3,32}")

# Throttling: the failures in a row an account name or a client address may have before it
# is locked, the first lock (doubling with each further failure, up to the longest), and how
# long a quiet spell makes the count start again. An address is shared by a whole block's
# desks (one router), so it gets more failures and a shorter memory than an account.
ACCOUNT_FAILURES = 5
ADDRESS_FAILURES = 20
FIRST_LOCK = dt.timedelta(minutes=1)
LONGEST_LOCK = dt.timedelta(hours=1)
ACCOUNT_MEMORY = dt.timedelta(hours=24)
ADDRESS_MEMORY = dt.timedelta(hours=1)
# The throttle kind of wrong second-factor codes (caremgmt.core.second_factor): the same
# counts and locks as passwords, on a key of their own.
SECOND_FACTOR = "factor"
# Temporary passwords an admin hands over: 4 groups of 4 from 31 unambiguous characters (~79 bits).
_TEMPORARY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


class LoginLocked(CareError):
    """Too many failed logins for this name or from this address: when to try again.
    Said the same way whether or not the account exists."""

    def __init__(self, until: dt.datetime):
        super().__init__(Message("login.locked", {"time": until.astimezone(BOGOTA).strftime("%H:%M")}))
        self.until = until


def _encode(password: str) -> bytes:
    # surrogatepass: a password with lone surrogates (bytes that were not UTF-8) is never
    # set (caremgmt.core.passwords refuses it) but must not crash a login attempt either.
    return (password or "").encode("utf-8", "surrogatepass")


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, dklen: int = 64) -> bytes:
    maxmem = 128 * r * n + _MAXMEM_HEADROOM
    return hashlib.scrypt(_encode(password), salt=salt, n=n, r=r, p=p, maxmem=maxmem, dklen=dklen)


def hash_password(password: str, params: dict | None = None) -> str:
    """``scrypt$n$r$p$salt$digest`` at ``params`` (default: SCRYPT, read at call time)."""
    n, r, p = (params or SCRYPT)["n"], (params or SCRYPT)["r"], (params or SCRYPT)["p"]
    salt = secrets.token_bytes(16)
    b64 = base64.b64encode
    return f"scrypt${n}${r}${p}${b64(salt).decode()}${b64(_scrypt(password, salt, n, r, p)).decode()}"


def _parameters(stored: str) -> tuple[int, int, int, bytes, bytes] | None:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        n, r, p = int(n), int(r), int(p)
        salt, digest = base64.b64decode(salt), base64.b64decode(digest)
    except ValueError:
        return None
    if scheme != "scrypt" or not (1 < n <= _MAX_N and 0 < r <= 32 and 0 < p <= 16 and digest):
        return None
    return n, r, p, salt, digest


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches ``stored``, at the parameters the hash was made with."""
    parsed = _parameters(stored or "")
    if parsed is None:
        return False
    n, r, p, salt, expected = parsed
    return hmac.compare_digest(_scrypt(password, salt, n, r, p, len(expected)), expected)


def needs_rehash(stored: str) -> bool:
    """Whether ``stored`` was made at other parameters than SCRYPT (an older, cheaper cost)."""
    parsed = _parameters(stored or "")
    return parsed is None or parsed[:3] != (SCRYPT["n"], SCRYPT["r"], SCRYPT["p"])


@cache
def _dummy_hash(n: int, r: int, p: int) -> str:
    return hash_password(secrets.token_hex(16), {"n": n, "r": r, "p": p})


def _timing_hash() -> str:
    """A hash at the current cost to check a password against when there is no account
    (or it is locked), so every attempt takes one scrypt and the time says nothing."""
    return _dummy_hash(SCRYPT["n"], SCRYPT["r"], SCRYPT["p"])


def has_users(db: Database) -> bool:
    return db.execute("SELECT EXISTS (SELECT 1 FROM users)").fetchone()[0] == 1


def _row_to_user(row: dict) -> User:
    return User(row["id"], row["username"], row["role"], row["block_code"], row["language"])


def create_user(
    db: Database,
    actor: User,
    username: str,
    password: str,
    role: str,
    block_code: str | None = None,
    language: str = "es",
    *,
    email: str | None = None,
    password_login: bool = True,
) -> User:
    """Create an account (admins, or SYSTEM from the command line). ``email`` is
    what single sign-on maps to her; without ``password_login`` she enters only
    through it (she then needs an e-mail, and ``password`` may be None: a random
    one nobody knows is kept)."""
    policy.check(db, actor, "user.manage")
    return _create(
        db,
        actor,
        username,
        password,
        role,
        block_code,
        language,
        first_admin=False,
        email=email,
        password_login=password_login,
    )


def create_first_admin(db: Database, username: str, password: str, language: str = "es") -> User:
    """The first-run account: refused once any account exists."""
    return _create(db, SYSTEM, username, password, "admin", None, language, first_admin=True)


def _create(
    db: Database,
    actor: User,
    username: str,
    password: str,
    role: str,
    block_code: str | None,
    language: str,
    *,
    first_admin: bool,
    email: str | None = None,
    password_login: bool = True,
) -> User:
    username = (username or "").strip().lower()
    errors: dict[str, Message] = {}
    if not _USERNAME.fullmatch(username):
        errors["username"] = Message("error.username_format")
    if not password_login and not password:  # single sign-on only: a password nobody knows
        password = secrets.token_urlsafe(32)
    broken = passwords.problem(password, username)
    if broken is not None:
        errors["password"] = broken
    if role not in ROLES:
        errors["role"] = Message("error.invalid_choice")
    if language not in LANGUAGES:
        errors["language"] = Message("error.invalid_choice")
    block_code = block_code or None
    if block_code and not db["blocks"].count_where("code = ?", [block_code]):
        errors["block_code"] = Message("error.unknown_block", {"code": block_code})
    email = single_sign_on.normalize_email(email)
    email_problem = single_sign_on.email_problem(email)
    if email_problem is None and email is None and not password_login:
        email_problem = Message("error.email_needed")
    if email_problem is not None:
        errors["email"] = email_problem
    if errors:
        raise ValidationError(errors)
    with write_transaction(db):
        if first_admin and has_users(db):
            raise ValidationError({"username": Message("error.setup_done")})
        if db["users"].count_where("username = ?", [username]):
            raise ValidationError({"username": Message("error.username_taken")})
        if email is not None and db["users"].count_where("email = ?", [email]):
            raise ValidationError({"email": Message("error.email_taken")})
        row = {
            "username": username,
            "password_hash": hash_password(password),
            "role": role,
            "block_code": block_code,
            "language": language,
            "created_at": now_iso(),
            "email": email,
            "password_login": int(password_login),
        }
        user_id = db["users"].insert(row).last_pk
        audit.record(
            db,
            actor,
            "create",
            "user",
            user_id,
            new={"username": username, "role": role, "block_code": block_code}
            | ({"email": email} if email else {})
            | ({} if password_login else {"password_login": 0}),
        )
    return User(user_id, username, role, block_code, language)


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or dt.datetime.now(dt.UTC)


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _throttle_key(db: Database, kind: str, value: str) -> str:
    """The login_throttle key of a typed name or an address: an HMAC, never the text."""
    secret = db.execute("SELECT secret FROM login_secret WHERE id = 1").fetchone()[0]
    return kind + ":" + hmac.new(secret.encode(), _encode(value), hashlib.sha256).hexdigest()


def _account_key(db: Database, username: str) -> str:
    return _throttle_key(db, "account", (username or "").strip().lower())


def _factor_key(db: Database, username: str) -> str:
    """The login_throttle key of an account's wrong second-factor codes: counted apart from
    her wrong passwords, so that a right password (which clears those) does not clear them."""
    return _throttle_key(db, SECOND_FACTOR, (username or "").strip().lower())


def _keys(
    db: Database, username: str, address: str | None, kind: str = "account"
) -> list[tuple[str, int, dt.timedelta]]:
    """(key, failures allowed, memory) of the account name (its passwords, or with ``kind``
    SECOND_FACTOR its codes) and, when known, the address."""
    name_key = _account_key(db, username) if kind == "account" else _factor_key(db, username)
    keys = [(name_key, ACCOUNT_FAILURES, ACCOUNT_MEMORY)]
    if address:
        keys.append((_throttle_key(db, "address", address), ADDRESS_FAILURES, ADDRESS_MEMORY))
    return keys


def _locked_until(db: Database, keys: list[str], now: dt.datetime) -> dt.datetime | None:
    """The latest lock still running on any of ``keys``, or None."""
    marks = ",".join("?" * len(keys))
    row = db.execute(
        f"SELECT max(locked_until) FROM login_throttle WHERE key IN ({marks}) AND locked_until > ?", [*keys, _iso(now)]
    ).fetchone()
    return dt.datetime.fromisoformat(row[0]) if row[0] else None


def lock_length(failures: int, allowed_failures: int) -> dt.timedelta | None:
    """The lock earned by ``failures`` in a row: none below ``allowed_failures``, then
    FIRST_LOCK doubling with each further failure, at most LONGEST_LOCK."""
    if failures < allowed_failures:
        return None
    return min(FIRST_LOCK * 2 ** min(failures - allowed_failures, 16), LONGEST_LOCK)


def _record_failure(
    db: Database, user_id: int | None, username: str, address: str | None, now: dt.datetime, kind: str = "account"
):
    """Count a failed attempt on the name (``kind``: its passwords or its codes) and the
    address (inside the caller's transaction); audit a lock it starts. The latest lock
    now running, or None."""
    # Rows whose count is forgotten and whose lock is over say nothing any more.
    db.execute(
        "DELETE FROM login_throttle WHERE last_failure_at < ? AND (locked_until IS NULL OR locked_until < ?)",
        [_iso(now - ACCOUNT_MEMORY), _iso(now)],
    )
    for key, allowed_failures, memory in _keys(db, username, address, kind):
        row = db.execute(
            "SELECT failures, max(last_failure_at, coalesce(locked_until, '')) FROM login_throttle WHERE key = ?",
            [key],
        ).fetchone()
        # The quiet spell that forgets the count starts when the last lock ended, not when it began.
        recent = row is not None and dt.datetime.fromisoformat(row[1]) >= now - memory
        failures = row[0] + 1 if recent else 1
        length = lock_length(failures, allowed_failures)
        until = _iso(now + length) if length else None
        db.execute(
            "INSERT INTO login_throttle (key, failures, last_failure_at, locked_until) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (key) DO UPDATE SET failures = excluded.failures,"
            " last_failure_at = excluded.last_failure_at, locked_until = excluded.locked_until",
            [key, failures, _iso(now), until],
        )
        if length:
            kind = key.split(":", 1)[0]
            audit.record(
                db, None, "login_locked", "user", user_id, new={"until": until, "failures": failures}, detail=kind
            )
    return _locked_until(db, [key for key, *_ in _keys(db, username, address, kind)], now)


def authenticate(
    db: Database, username: str, password: str, address: str | None = None, *, now: dt.datetime | None = None
) -> User | None:
    """The user if the password matches an active account; None if it does not.

    Raises LoginLocked while the typed name or the client ``address`` (None from
    the command line and in tests) is locked, even for the right password, and
    when this failure starts a lock. Every attempt is audited; a failed one names
    the account only if it exists (the typed text may be a password), and every
    attempt costs one scrypt at the current cost, so timing tells nothing either.
    A hash made at an older cost is replaced at a successful login. An account
    whose password login is off (single sign-on only) fails like a wrong password:
    the answer says nothing about which accounts exist or how they log in."""
    now = _now(now)
    username = (username or "").strip().lower()
    rows = list(db.query("SELECT * FROM users WHERE username = ? AND active = 1", [username]))
    row = rows[0] if rows else None
    locked = _locked_until(db, [key for key, *_ in _keys(db, username, address)], now)
    usable = row is not None and bool(row["password_login"]) and locked is None
    stored = row["password_hash"] if usable else _timing_hash()
    ok = verify_password(password, stored) and usable
    user = _row_to_user(row) if ok else None
    # Hashed before the transaction: the write lock is not held for a whole scrypt.
    rehashed = hash_password(password) if user is not None and needs_rehash(stored) else None
    with write_transaction(db):
        if user is not None:
            db.execute("DELETE FROM login_throttle WHERE key = ?", [_account_key(db, username)])
            if rehashed is not None:
                db.execute("UPDATE users SET password_hash = ? WHERE id = ?", [rehashed, user.id])
                audit.record(db, user, "password_rehash", "user", user.id, new={"scrypt_n": SCRYPT["n"]})
            audit.record(db, user, "login", "user", user.id)
        else:
            if locked is None:  # an attempt refused by a lock is not counted again
                locked = _record_failure(db, row["id"] if row else None, username, address, now)
            user_id = row["id"] if row else None
            off = row is not None and not row["password_login"]  # single sign-on only
            reason = "locked" if locked else "password_off" if off else None
            audit.record(db, None, "login_failed", "user", user_id, detail=reason)
    if user is None and locked is not None:
        raise LoginLocked(locked)
    return user


def log_in(
    db: Database, username: str, password: str, address: str | None = None
) -> tuple[User | None, Message | None]:
    """For the login page: ``authenticate`` as (the user, None) or (None, what to tell her):
    a wrong name or password, or when a lock ends; never which of the two was wrong."""
    try:
        user = authenticate(db, username, password, address)
    except LoginLocked as locked:
        return None, locked.message
    return user, None if user else Message("login.failed")


def account_id(db: Database, username: str) -> int:
    """The id of the account ``username`` (NotFound if there is none): for the command line."""
    row = db.execute("SELECT id FROM users WHERE username = ?", [(username or "").strip().lower()]).fetchone()
    if row is None:
        raise NotFound("user")
    return row[0]


def unlock(db: Database, actor: User, user_id: int) -> None:
    """Clear an account's failed logins and lock (an admin, or SYSTEM from the command line)."""
    policy.check(db, actor, "user.manage")
    row = db.execute("SELECT username FROM users WHERE id = ?", [user_id]).fetchone()
    if row is None:
        raise NotFound("user")
    with write_transaction(db):
        db.execute(
            "DELETE FROM login_throttle WHERE key IN (?, ?)", [_account_key(db, row[0]), _factor_key(db, row[0])]
        )
        audit.record(db, actor, "unlock", "user", user_id)


def locked_until(db: Database, username: str, *, now: dt.datetime | None = None) -> dt.datetime | None:
    """When the lock on an account name (for her passwords or her second-factor codes)
    ends, or None if it is not locked."""
    return _locked_until(db, [_account_key(db, username), _factor_key(db, username)], _now(now))


def code_locked_until(
    db: Database, username: str, address: str | None = None, *, now: dt.datetime | None = None
) -> dt.datetime | None:
    """When the lock on an account's second-factor codes (or on the client ``address``)
    ends, or None: caremgmt.core.second_factor asks before it checks a code."""
    return _locked_until(db, [key for key, *_ in _keys(db, username, address, SECOND_FACTOR)], _now(now))


def record_code_failure(db: Database, user: User, address: str | None, now: dt.datetime) -> dt.datetime | None:
    """Count a wrong second-factor code like a wrong password (inside the caller's
    transaction): the lock it earned, if any, as for passwords."""
    return _record_failure(db, user.id, user.username, address, now, SECOND_FACTOR)


def clear_code_failures(db: Database, username: str) -> None:
    """Forget an account's wrong codes (a right one was given; inside the caller's transaction)."""
    db.execute("DELETE FROM login_throttle WHERE key = ?", [_factor_key(db, username)])


def must_change_password(db: Database, user: User) -> bool:
    row = db.execute("SELECT must_change_password FROM users WHERE id = ?", [user.id]).fetchone()
    return bool(row and row[0])


def change_password(
    db: Database,
    user: User,
    current: str,
    new: str,
    repeat: str,
    *,
    keep_session: int | None = None,
    now: dt.datetime | None = None,
) -> None:
    """A user changes her own password: the current one (a wrong one counts as a
    failed login), the new one twice, and the policy. Her other login sessions end;
    ``keep_session`` (the tab she did it in) goes on."""
    now = _now(now)
    row = db.execute(
        "SELECT password_hash, password_login FROM users WHERE id = ? AND active = 1", [user.id]
    ).fetchone()
    if row is None:
        raise NotFound("user")
    if not row[1]:  # single sign-on only: she has no password to change
        raise ValidationError({"current_password": Message("error.password_login_off")})
    locked = locked_until(db, user.username, now=now)
    if locked is not None:
        verify_password(current, _timing_hash())
        raise ValidationError({"current_password": LoginLocked(locked).message})
    if not verify_password(current, row[0]):
        with write_transaction(db):
            locked = _record_failure(db, user.id, user.username, None, now)
            audit.record(db, user, "password_change_failed", "user", user.id)
        message = LoginLocked(locked).message if locked else Message("error.password_wrong")
        raise ValidationError({"current_password": message})
    errors: dict[str, Message] = {}
    broken = passwords.problem(new, user.username)
    if broken is not None:
        errors["new_password"] = broken
    elif new == current:
        errors["new_password"] = Message("error.password_unchanged")
    if new != repeat:
        errors["password_repeat"] = Message("error.password_mismatch")
    if errors:
        raise ValidationError(errors)
    new_hash = hash_password(new)
    with write_transaction(db):
        db.execute("UPDATE users SET password_hash = ?, must_change_password = 0 WHERE id = ?", [new_hash, user.id])
        db.execute("DELETE FROM login_throttle WHERE key = ?", [_account_key(db, user.username)])
        sessions.end_all(db, user.id, "logout", keep=keep_session)
        audit.record(db, user, "password_change", "user", user.id)


def temporary_password() -> str:
    return "-".join("".join(secrets.choice(_TEMPORARY_ALPHABET) for _ in range(4)) for _ in range(4))


def reset_password(db: Database, actor: User, user_id: int) -> str:
    """An admin (or SYSTEM) gives an account a temporary password, returned to hand
    over: her sessions end, her lock is cleared, and at her next login she must
    choose her own before she can open anything else. It turns her password login
    back on if it was off (single sign-on only): a password is to log in with."""
    policy.check(db, actor, "user.manage")
    if actor.id is not None and user_id == actor.id:
        raise ValidationError({"user": Message("error.cannot_reset_self")})
    row = db.execute("SELECT username, password_login FROM users WHERE id = ?", [user_id]).fetchone()
    if row is None:
        raise NotFound("user")
    temporary = temporary_password()
    while passwords.problem(temporary, row[0]) is not None:  # pragma: no cover - a name inside 16 random letters
        temporary = temporary_password()
    new_hash = hash_password(temporary)
    with write_transaction(db):
        db.execute(
            "UPDATE users SET password_hash = ?, must_change_password = 1, password_login = 1 WHERE id = ?",
            [new_hash, user_id],
        )
        db.execute("DELETE FROM login_throttle WHERE key = ?", [_account_key(db, row[0])])
        sessions.end_all(db, user_id, "logout")
        turned_on = {} if row[1] else {"password_login": 1}
        audit.record(db, actor, "password_reset", "user", user_id, new={"must_change_password": 1} | turned_on)
    return temporary


def set_language(db: Database, user: User, language: str) -> User:
    if language not in LANGUAGES:
        raise ValidationError({"language": Message("error.invalid_choice")})
    with write_transaction(db):
        db.execute("UPDATE users SET language = ? WHERE id = ?", [language, user.id])
        audit.record(db, user, "update", "user", user.id, old={"language": user.language}, new={"language": language})
    return User(user.id, user.username, user.role, user.block_code, language)


def list_users(db: Database, actor: User) -> list[dict]:
    policy.check(db, actor, "user.manage")
    accounts = list(
        db.query(
            "SELECT id, username, role, block_code, language, active, created_at, must_change_password,"
            " email, password_login FROM users ORDER BY username"
        )
    )
    for account in accounts:  # when a lock on her name ends (None: not locked)
        account["locked_until"] = locked_until(db, account["username"])
    return accounts


def set_active(db: Database, actor: User, user_id: int, active: bool) -> None:
    policy.check(db, actor, "user.manage")
    if user_id == actor.id and not active:
        raise ValidationError({"active": Message("error.cannot_deactivate_self")})
    with write_transaction(db):
        db.execute("UPDATE users SET active = ? WHERE id = ?", [int(active), user_id])
        if not active:  # every open tab of hers ends at its next click
            sessions.end_all(db, user_id, "deactivated")
        audit.record(db, actor, "update", "user", user_id, new={"active": int(active)})
