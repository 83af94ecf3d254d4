"""Single sign-on through OpenID Connect: which providers are configured, and
which local account an identity is.

Streamlit speaks the protocol (``st.login``, with Authlib): after the provider's
round trip it holds the identity's claims (``st.user``). What they are worth
here is decided below, without Streamlit: the identity is the *active* account
whose e-mail is the identity's e-mail (ignoring case), and that account keeps its
own role and block; the provider decides nothing else. An identity without an
e-mail, one whose provider says that e-mail is not verified, an expired one, or
one no active account holds is refused. Every attempt is audited: a success
names the account, a refusal the provider and why, never the e-mail or any
other claim (the identity may belong to nobody here).

An admin sets an account's e-mail and may turn its password login off: she then
enters only through single sign-on, and a password login for her account fails
exactly like a wrong password (caremgmt.core.auth.authenticate).
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from sqlite_utils import Database

from caremgmt.core import audit, policy, sessions
from caremgmt.core.actor import User
from caremgmt.core.db import violated, write_transaction
from caremgmt.core.errors import CareError, NotFound, ValidationError
from caremgmt.core.i18n import Message

# The provider of the [auth] section itself (st.login() without a name).
DEFAULT = "default"
# What a provider needs besides [auth]'s redirect_uri and cookie_secret (as st.login checks).
_REQUIRED = ("client_id", "client_secret", "server_metadata_url")
# Streamlit refuses an underscore in a provider's name.
_PROVIDER_NAME = re.compile(r"[A-Za-z0-9-]{1,64}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
EMAIL_MAX = 254
# Refused identities are told why; an unknown and a deactivated account read alike.
_REFUSAL_MESSAGES = {
    "provider": "sso.provider",
    "expired": "sso.expired",
    "no_email": "sso.no_email",
    "unverified": "sso.unverified",
    "unknown": "sso.unknown",
    "inactive": "sso.unknown",
}


@dataclass(frozen=True)
class Provider:
    """A configured identity provider: ``name`` is what ``st.login`` takes
    (DEFAULT for the [auth] section's own), ``label`` the name its button shows:
    ``display_name`` in its settings, else a named provider's name (None for the
    default one without a display name)."""

    name: str
    label: str | None = None


def _complete(section: Mapping) -> bool:
    return all(isinstance(section.get(key), str) and section.get(key).strip() for key in _REQUIRED)


def _label(section: Mapping) -> str | None:
    label = section.get("display_name")
    if not isinstance(label, str):
        return None
    return " ".join(label.split()) or None


def providers(settings: object) -> list[Provider]:
    """The providers ``settings`` (the ``[auth]`` section of Streamlit's secrets, as
    a mapping) configures, in their order there: the section's own (when it holds
    client_id, client_secret and server_metadata_url) and each ``[auth.<name>]``
    that does. None without redirect_uri and cookie_secret (st.login would refuse)."""
    if not isinstance(settings, Mapping) or not all(
        isinstance(settings.get(key), str) and settings.get(key).strip() for key in ("redirect_uri", "cookie_secret")
    ):
        return []
    found = [Provider(DEFAULT, _label(settings))] if _complete(settings) else []
    for name, section in settings.items():
        if (
            isinstance(section, Mapping)
            and isinstance(name, str)
            and _PROVIDER_NAME.fullmatch(name)
            and _complete(section)
            and name not in {p.name for p in found}
        ):
            found.append(Provider(name, _label(section) or name))
    return found


def normalize_email(text: object) -> str | None:
    """An e-mail as accounts keep it: trimmed, in lower case; None for nothing."""
    if not isinstance(text, str):
        return None
    return text.strip().lower() or None


def email_problem(email: str | None) -> Message | None:
    """Why ``email`` (normalized) cannot be an account's e-mail, or None (None is allowed)."""
    if email is not None and (len(email) > EMAIL_MAX or not EMAIL.fullmatch(email)):
        return Message("error.email_format")
    return None


class IdentityRefused(CareError):
    """An identity that is no account here (or that cannot be trusted to be one).
    The message may quote the identity's e-mail: show it literally."""

    def __init__(self, reason: str, email: str | None = None):
        super().__init__(Message(_REFUSAL_MESSAGES[reason], {"email": email or ""}))
        self.reason = reason


def _provider_name(claims: Mapping) -> str | None:
    provider = claims.get("provider")  # added by Streamlit: the [auth.<name>] she signed in with
    return provider if isinstance(provider, str) and _PROVIDER_NAME.fullmatch(provider) else None


def _unexpired(exp: object, now: dt.datetime) -> bool:
    if isinstance(exp, bool) or not isinstance(exp, int | float):
        return False
    return exp > now.timestamp()


def _says_unverified(value: object) -> bool:
    """email_verified false (some providers send it as text); absent is not false."""
    return value is False or value == 0 or (isinstance(value, str) and value.strip().lower() == "false")


def _refusal(
    db: Database, claims: Mapping, configured: Collection[str] | None, now: dt.datetime
) -> tuple[str | None, dict | None, str | None]:
    """(why the identity is refused or None, the account row it names if any, its e-mail)."""
    email = normalize_email(claims.get("email"))
    if configured is not None and _provider_name(claims) not in configured:
        return "provider", None, None
    if not _unexpired(claims.get("exp"), now):
        return "expired", None, None
    if email is None or email_problem(email) is not None:
        return "no_email", None, None
    if _says_unverified(claims.get("email_verified")):
        return "unverified", None, email
    rows = list(db.query("SELECT id, username, role, block_code, language, active FROM users WHERE email = ?", [email]))
    if not rows:
        return "unknown", None, email
    return (None if rows[0]["active"] else "inactive"), rows[0], email


def account_for_identity(
    db: Database, claims: Mapping, configured: Collection[str] | None = None, *, now: dt.datetime | None = None
) -> User:
    """The account an OpenID Connect identity is: ``claims`` as Streamlit holds
    them (``st.user``: the ID token's claims plus ``provider``). Raises
    IdentityRefused for an identity from a provider not among ``configured`` (the
    names of the providers configured now, when given: a provider taken out of the settings signs
    nobody in any more), an expired one, one without a usable e-mail or whose
    e-mail the provider has not verified (``email_verified`` false; absent is
    accepted, as some providers never send it), and one no active account holds.
    Audited either way; a refusal keeps only the provider's name and the reason
    (and the account, when a deactivated one holds the e-mail)."""
    now = now or dt.datetime.now(dt.UTC)
    reason, row, email = _refusal(db, claims, configured, now)
    provider = _provider_name(claims)
    user = None if reason else User(row["id"], row["username"], row["role"], row["block_code"], row["language"])
    with write_transaction(db):
        if user is not None:
            audit.record(db, user, "login", "user", user.id, new={"provider": provider}, detail="sso")
        else:
            audit.record(
                db,
                None,
                "login_failed",
                "user",
                row["id"] if row else None,
                new={"provider": provider},
                detail=f"sso:{reason}",
            )
    if user is None:
        raise IdentityRefused(reason, email)
    return user


def _account(db: Database, user_id: int) -> tuple[str | None, int]:
    row = db.execute("SELECT email, password_login FROM users WHERE id = ?", [user_id]).fetchone()
    if row is None:
        raise NotFound("user")
    return row[0], row[1]


def set_email(db: Database, actor: User, user_id: int, email: str | None) -> None:
    """An admin sets (or, with nothing, clears) the e-mail single sign-on maps to
    the account. One e-mail belongs to one account; an account whose password
    login is off keeps one (it is her only way in)."""
    policy.check(db, actor, "user.manage")
    email = normalize_email(email)
    problem = email_problem(email)
    if problem is not None:
        raise ValidationError({"email": problem})
    with write_transaction(db):
        old, password_login = _account(db, user_id)
        if email == old:
            return
        if email is None and not password_login:
            raise ValidationError({"email": Message("error.email_needed")})
        try:
            db.execute("UPDATE users SET email = ? WHERE id = ?", [email, user_id])
        except sqlite3.IntegrityError as e:
            if violated(e, "users_email"):
                raise ValidationError({"email": Message("error.email_taken")}) from None
            raise
        audit.record(db, actor, "update", "user", user_id, old={"email": old}, new={"email": email})


def set_password_login(db: Database, actor: User, user_id: int, allowed: bool) -> None:
    """An admin turns an account's password login off (she enters only through
    single sign-on: the account needs an e-mail; her open sessions end, so one
    that began with the password does not outlive it) or back on (her old password
    works again; an admin's reset gives her a new one). Not one's own: an admin
    keeps a way in that does not depend on the provider."""
    policy.check(db, actor, "user.manage")
    if not allowed and actor.id is not None and user_id == actor.id:
        raise ValidationError({"password_login": Message("error.cannot_disable_own_password")})
    with write_transaction(db):
        email, current = _account(db, user_id)
        if bool(current) == allowed:
            return
        if not allowed and email is None:
            raise ValidationError({"password_login": Message("error.email_needed")})
        db.execute("UPDATE users SET password_login = ? WHERE id = ?", [int(allowed), user_id])
        if not allowed:
            sessions.end_all(db, user_id, "logout")
        audit.record(
            db, actor, "update", "user", user_id, old={"password_login": current}, new={"password_login": int(allowed)}
        )


def password_login(db: Database, user: User) -> bool:
    """Whether ``user`` may log in with a password (and so has one to change)."""
    row = db.execute("SELECT password_login FROM users WHERE id = ?", [user.id]).fetchone()
    return bool(row and row[0])
