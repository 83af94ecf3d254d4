"""Who may do what, and where: the one table of permissions and the one
function that applies it.

Each action names the roles that may take it and its scope:

- ``CITY``: the role alone decides. The registry is one file for the whole city
  (caregivers move between blocks, and a desk that could not find, register or
  correct a caregiver who turns up from another block would register her again);
  reference data and the city's settings are the same everywhere.
- ``BLOCK``: the role and the record's block decide. A front desk (or case
  worker) acts on her own block's records only; a coordinator on her block's,
  or on the whole city's if she has no block; an admin everywhere. A record of
  no block (a city-wide setting) is for those with the whole city only.

Evaluators hold no action on personal records: only de-identified exports.

Services call ``check`` (it also refuses an account that has been deactivated
since the page let her in, one whose role needs a second factor until she has
one, or one whose password an admin reset until she changes it); pages call
``permits`` to hide what ``check`` would refuse, and never rely on hiding. ``record_block`` says which block a
record belongs to. The navigation asks ``permits`` with no record (may the
role do this somewhere?).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database

from caremgmt.core.actor import ROLES, SYSTEM, User
from caremgmt.core.errors import NotFound, PermissionDenied
from caremgmt.core.i18n import Message

CITY, BLOCK = "city", "block"


@dataclass(frozen=True)
class Rule:
    roles: frozenset[str]
    scope: str  # CITY or BLOCK


STAFF = frozenset({"frontdesk", "coordinator", "admin"})
MANAGERS = frozenset({"coordinator", "admin"})
ADMIN = frozenset({"admin"})
# The roles that must log in with a second factor (caremgmt.core.second_factor): those who
# reach the whole registry's settings, its impact figures or its exports. The desk may.
SECOND_FACTOR_ROLES = frozenset({"admin", "coordinator", "evaluator"})

POLICY: dict[str, Rule] = {
    # The registry: finding, reading (audited) and keeping a person's file right.
    "person.read": Rule(STAFF, CITY),
    "person.write": Rule(STAFF, CITY),
    # Ley 1581's rights over one person's data: access to all of it, and erasure
    # (asked by one administrator, confirmed by another).
    "person.access": Rule(ADMIN, CITY),
    "person.erase": Rule(ADMIN, CITY),
    # Retention periods, and applying them.
    "retention.manage": Rule(ADMIN, CITY),
    # Sessions and their counts (no personal data): the day, the booking page.
    "schedule.read": Rule(STAFF, CITY),
    # Schedules and sessions of a block; the laundry's weekly limit has no block.
    "schedule.manage": Rule(MANAGERS, BLOCK),
    # Bookings and laundry loads: the session's (the slot's) block.
    "booking.write": Rule(STAFF, BLOCK),
    # Attendance and a load's next step: the session's block.
    "attendance.write": Rule(STAFF, BLOCK),
    # A session's roster (names and documents) and a block's laundry queue (phones).
    "roster.read": Rule(STAFF, BLOCK),
    "laundry.read": Rule(STAFF, BLOCK),
    # Cases and all that hangs from them (assessments, goals, notes, tasks,
    # referrals), enrolments and outcomes: the case's block (the enrolment's,
    # or the person's home block for what has no case).
    "case.read": Rule(STAFF, BLOCK),
    "case.write": Rule(STAFF, BLOCK),
    # Confidential notes and a block's whole caseload. Besides these roles, a
    # note's author and its case's worker read it (may_read_note).
    "case.confidential": Rule(MANAGERS, BLOCK),
    "service.manage": Rule(MANAGERS, CITY),
    "institution.manage": Rule(ADMIN, CITY),
    "block.manage": Rule(ADMIN, CITY),
    "user.manage": Rule(ADMIN, CITY),
    "impact.read": Rule(MANAGERS, CITY),
    "export.run": Rule(frozenset({"evaluator", "coordinator", "admin"}), CITY),
}

_SOMEWHERE = object()  # no record in view: may the role take the action at all?

# The block a record belongs to, by kind of record (one indexed look-up each).
_RECORD_BLOCK = {
    "person": "SELECT home_block FROM persons WHERE id = ?",
    "case": "SELECT block_code FROM cases WHERE id = ?",
    "goal": "SELECT c.block_code FROM case_goals g JOIN cases c ON c.id = g.case_id WHERE g.id = ?",
    "task": "SELECT c.block_code FROM tasks t JOIN cases c ON c.id = t.case_id WHERE t.id = ?",
    "referral": "SELECT c.block_code FROM referrals r JOIN cases c ON c.id = r.case_id WHERE r.id = ?",
    "enrolment": "SELECT coalesce(e.block_code, p.home_block) FROM enrolments e"
    " JOIN persons p ON p.id = e.person_id WHERE e.id = ?",
    "schedule": "SELECT block_code FROM schedules WHERE id = ?",
    "session": "SELECT block_code FROM sessions WHERE id = ?",
    "participant": "SELECT s.block_code FROM participants p JOIN sessions s ON s.id = p.session_id WHERE p.id = ?",
}


class InactiveAccount(PermissionDenied):
    """The account was deactivated (or never existed): nothing may be done in its name."""

    def __init__(self) -> None:
        super().__init__("account.active")
        self.message = Message("error.account_inactive")
        self.args = (self.message.key,)


class PasswordChangeDue(PermissionDenied):
    """An admin reset the password: the account may do nothing until she changes it."""

    def __init__(self) -> None:
        super().__init__("account.password")
        self.message = Message("error.password_change_due")
        self.args = (self.message.key,)


class SecondFactorDue(PermissionDenied):
    """Her role needs a second factor and she has none yet: nothing until she enrols one."""

    def __init__(self) -> None:
        super().__init__("account.second_factor")
        self.message = Message("error.second_factor_due")
        self.args = (self.message.key,)


class OtherBlock(PermissionDenied):
    """The role may do this, but not on a record of another block."""

    def __init__(self, action: str) -> None:
        super().__init__(action)
        self.message = Message("error.other_block")
        self.args = (self.message.key,)


def city_wide(user: User) -> bool:
    """Whether the user's reach is the whole city (an admin, a coordinator with no block)."""
    return user.role == "admin" or (user.role == "coordinator" and user.block_code is None)


def permits(user: User | None, action: str, block_code: str | object | None = _SOMEWHERE) -> bool:
    """Whether ``user``'s role and block allow ``action`` on a record of
    ``block_code`` (omitted: on some record, which is what a menu asks).
    Pages hide with this; services ``check``."""
    rule = POLICY[action]
    if user is None or user.role not in rule.roles:
        return False
    if rule.scope == CITY or block_code is _SOMEWHERE or city_wide(user):
        return True
    return block_code is not None and block_code == user.block_code


def check(db: Database, user: User | None, action: str, block_code: str | object | None = _SOMEWHERE) -> None:
    """Raise PermissionDenied unless ``user`` may take ``action`` on a record of
    ``block_code``. The account is read again (one look-up by id): one deactivated
    since she logged in is refused (InactiveAccount), and her role and block are
    the ones the account has now; a role that needs a second factor does nothing
    until she has confirmed one (SecondFactorDue). SYSTEM (the command line) needs
    no account."""
    if user is not None and user != SYSTEM:
        row = db.execute(
            "SELECT active, role, block_code, must_change_password,"
            " EXISTS (SELECT 1 FROM second_factors f WHERE f.user_id = users.id AND f.secret IS NOT NULL)"
            " FROM users WHERE id = ?",
            [user.id],
        ).fetchone()
        if row is None or not row[0]:
            raise InactiveAccount()
        if row[1] in SECOND_FACTOR_ROLES and not row[4]:  # her role needs one: nothing until it is set up
            raise SecondFactorDue()
        if row[3]:  # an admin reset her password: nothing until she has chosen her own
            raise PasswordChangeDue()
        user = User(user.id, user.username, row[1], row[2], user.language)
    if POLICY[action].scope == BLOCK and block_code is _SOMEWHERE:
        raise TypeError(f"{action} is decided by a record's block: pass it")
    if not permits(user, action, block_code):
        raise OtherBlock(action) if permits(user, action) else PermissionDenied(action)


def record_block(db: Database, kind: str, record_id: int) -> str | None:
    """The block of a record (``kind`` as in _RECORD_BLOCK); NotFound if there is none."""
    row = db.execute(_RECORD_BLOCK[kind], [record_id]).fetchone()
    if row is None:
        raise NotFound(kind)
    return row[0]


def check_record(db: Database, user: User | None, action: str, kind: str, record_id: int) -> str | None:
    """``check`` against the block of a record; returns that block."""
    block = record_block(db, kind, record_id)
    check(db, user, action, block)
    return block


def may_read_note(user: User, *, block_code: str | None, author_id: int | None, case_worker_id: int | None) -> bool:
    """A confidential note: its author, its case's worker, and those who oversee
    the case's block (coordinators there, admins)."""
    return permits(user, "case.confidential", block_code) or (
        user.id is not None and user.id in (author_id, case_worker_id)
    )


def roles_with(action: str) -> tuple[str, ...]:
    """The roles that may take ``action`` somewhere, in ROLES order."""
    return tuple(role for role in ROLES if role in POLICY[action].roles)
