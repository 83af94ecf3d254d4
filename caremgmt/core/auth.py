"""Local accounts, password hashing (scrypt), roles and permissions.

Pages decide what to show from ``allowed``; every service function checks
again with ``require``, so a hidden page is not the only guard.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

from sqlite_utils import Database

from caremgmt.core import audit, sessions
from caremgmt.core.actor import ROLES, SYSTEM, User
from caremgmt.core.clock import now_iso
from caremgmt.core.db import write_transaction
from caremgmt.core.errors import PermissionDenied, ValidationError
from caremgmt.core.i18n import LANGUAGES, Message

# Permission -> roles holding it. Evaluators get no personal data at all.
PERMISSIONS: dict[str, frozenset[str]] = {
    "person.read": frozenset({"frontdesk", "coordinator", "admin"}),
    "person.write": frozenset({"frontdesk", "coordinator", "admin"}),
    "block.manage": frozenset({"admin"}),
    "service.manage": frozenset({"coordinator", "admin"}),
    "schedule.manage": frozenset({"coordinator", "admin"}),
    "booking.write": frozenset({"frontdesk", "coordinator", "admin"}),
    "attendance.write": frozenset({"frontdesk", "coordinator", "admin"}),
    "schedule.read": frozenset({"frontdesk", "coordinator", "admin"}),
    "case.read": frozenset({"frontdesk", "coordinator", "admin"}),
    "case.write": frozenset({"frontdesk", "coordinator", "admin"}),
    # Confidential notes: besides these roles, only the note's author and the
    # case's assigned worker (see caremgmt/casework/cases.py).
    "case.confidential": frozenset({"coordinator", "admin"}),
    "institution.manage": frozenset({"admin"}),
    "impact.read": frozenset({"coordinator", "admin"}),
    "export.run": frozenset({"evaluator", "coordinator", "admin"}),
    "user.manage": frozenset({"admin"}),
}

# scrypt cost: n=2**14, r=8 (~16 MiB, tens of ms), per OWASP's minimum.
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
MIN_PASSWORD_LENGTH = 10
_USERNAME = re.compile(r"[a-z0-9._-]{3,32}")


def allowed(user: User | None, permission: str) -> bool:
    return user is not None and user.role in PERMISSIONS[permission]


def roles_with(permission: str) -> tuple[str, ...]:
    """The roles holding ``permission``, in ROLES order."""
    return tuple(role for role in ROLES if role in PERMISSIONS[permission])


def require(user: User | None, permission: str) -> None:
    if not allowed(user, permission):
        raise PermissionDenied(permission)


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, maxmem=64 * 1024 * 1024, **_SCRYPT)
    b64 = base64.b64encode
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    expected = base64.b64decode(digest)
    actual = hashlib.scrypt(
        password.encode(),
        salt=base64.b64decode(salt),
        n=int(n),
        r=int(r),
        p=int(p),
        maxmem=64 * 1024 * 1024,
        dklen=len(expected),
    )
    return hmac.compare_digest(actual, expected)


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
) -> User:
    """Create an account (admins, or SYSTEM from the command line)."""
    require(actor, "user.manage")
    return _create(db, actor, username, password, role, block_code, language, first_admin=False)


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
) -> User:
    username = (username or "").strip().lower()
    errors: dict[str, Message] = {}
    if not _USERNAME.fullmatch(username):
        errors["username"] = Message("error.username_format")
    if len(password or "") < MIN_PASSWORD_LENGTH:
        errors["password"] = Message("error.password_short", {"min": MIN_PASSWORD_LENGTH})
    if role not in ROLES:
        errors["role"] = Message("error.invalid_choice")
    if language not in LANGUAGES:
        errors["language"] = Message("error.invalid_choice")
    block_code = block_code or None
    if block_code and not db["blocks"].count_where("code = ?", [block_code]):
        errors["block_code"] = Message("error.unknown_block", {"code": block_code})
    if errors:
        raise ValidationError(errors)
    with write_transaction(db):
        if first_admin and has_users(db):
            raise ValidationError({"username": Message("error.setup_done")})
        if db["users"].count_where("username = ?", [username]):
            raise ValidationError({"username": Message("error.username_taken")})
        row = {
            "username": username,
            "password_hash": hash_password(password),
            "role": role,
            "block_code": block_code,
            "language": language,
            "created_at": now_iso(),
        }
        user_id = db["users"].insert(row).last_pk
        audit.record(
            db,
            actor,
            "create",
            "user",
            user_id,
            new={"username": username, "role": role, "block_code": block_code},
        )
    return User(user_id, username, role, block_code, language)


def authenticate(db: Database, username: str, password: str) -> User | None:
    """The user if the password matches an active account; every attempt is audited."""
    username = (username or "").strip().lower()
    rows = list(db.query("SELECT * FROM users WHERE username = ? AND active = 1", [username]))
    # Hash even for an unknown user so timing does not reveal which names exist.
    ok = verify_password(password or "", rows[0]["password_hash"] if rows else _DUMMY_HASH)
    user = _row_to_user(rows[0]) if rows and ok else None
    with write_transaction(db):
        audit.record(
            db,
            user,
            "login" if user else "login_failed",
            "user",
            user.id if user else None,
            detail=None if user else username[:40],
        )
    return user


def set_language(db: Database, user: User, language: str) -> User:
    if language not in LANGUAGES:
        raise ValidationError({"language": Message("error.invalid_choice")})
    with write_transaction(db):
        db.execute("UPDATE users SET language = ? WHERE id = ?", [language, user.id])
        audit.record(db, user, "update", "user", user.id, old={"language": user.language}, new={"language": language})
    return User(user.id, user.username, user.role, user.block_code, language)


def list_users(db: Database, actor: User) -> list[dict]:
    require(actor, "user.manage")
    return list(
        db.query("SELECT id, username, role, block_code, language, active, created_at FROM users ORDER BY username")
    )


def set_active(db: Database, actor: User, user_id: int, active: bool) -> None:
    require(actor, "user.manage")
    if user_id == actor.id and not active:
        raise ValidationError({"active": Message("error.cannot_deactivate_self")})
    with write_transaction(db):
        db.execute("UPDATE users SET active = ? WHERE id = ?", [int(active), user_id])
        if not active:  # every open tab of hers ends at its next click
            sessions.end_all(db, user_id, "deactivated")
        audit.record(db, actor, "update", "user", user_id, new={"active": int(active)})


_DUMMY_HASH = hash_password(secrets.token_hex(8))
