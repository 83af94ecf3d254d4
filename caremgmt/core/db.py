"""The one place that opens database connections and applies migrations.

Every caller gets its own connection (one per operation or per Streamlit
script run); nothing here keeps a connection shared between sessions.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

from sqlite_utils import Database

from caremgmt.core import config
from caremgmt.core.migrations import dump_schema, migrations

BUSY_TIMEOUT_MS = 10_000

_migrated: set[str] = set()
_private_checked: set[str] = set()
_migrate_lock = threading.Lock()


def db_path() -> str:
    """Database path: $CAREMGMT_DB, or data/caremgmt.db (see caremgmt.core.config)."""
    return config.current().db_path


def connect(path: str | None = None) -> Database:
    """Open a new connection with the project's pragmas, migrating on first use.

    ``check_same_thread`` is off because Streamlit may run one session's
    script on different threads; the connection is still never shared
    between sessions.
    """
    path = path or db_path()
    if path != ":memory:":
        _private_file(path)
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
    db = Database(conn)
    db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    db.execute("PRAGMA foreign_keys = ON")
    if path != ":memory:":
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
    _migrate_once(db, path)
    return db


PRIVATE_MODE = 0o600
_SIDE_FILES = ("-wal", "-shm", "-journal")


def _private_file(path: str) -> None:
    """The database holds personal data: a new file is created readable and
    writable by its owner only (SQLite gives its -wal and -shm files the mode of
    the database file). An existing file that others may read (made before this
    rule) loses those rights, once per process; its group rights are left as
    they are, since a group (say, the backup account's) is an operator's choice."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_MODE))
        return
    except FileExistsError:
        pass
    key = os.path.abspath(path)
    if key in _private_checked:
        return
    for name in (path, *(path + suffix for suffix in _SIDE_FILES)):
        with contextlib.suppress(FileNotFoundError, PermissionError):  # not ours to change: left as it is
            mode = os.stat(name).st_mode & 0o777
            if mode & 0o007:
                os.chmod(name, mode & ~0o007)
    _private_checked.add(key)


def _migrate_once(db: Database, path: str) -> None:
    key = os.path.abspath(path) if path != ":memory:" else None
    if key in _migrated:
        return
    with _migrate_lock:
        # One IMMEDIATE transaction: two processes starting on a new file
        # take turns, and the second finds nothing pending.
        with write_transaction(db):
            migrations.apply(db)
        if key:
            _migrated.add(key)


def fresh_schema() -> str:
    """The schema a new database gets (the text of caremgmt/core/schema.sql)."""
    db = connect(":memory:")
    try:
        return dump_schema(db)
    finally:
        db.close()


# The rules whose refusals the code turns into messages, by the names the
# schema gives them (migrations/0007_named_constraints.py).
CONSTRAINTS = frozenset(
    {
        "sessions_within_capacity",  # CHECK (booked_count BETWEEN 0 AND capacity): the session is full
        "participants_no_overlap",  # triggers: the person is booked elsewhere at that time
        "persons_document",  # unique index + triggers: the document is already registered
        "outcomes_one_diploma",  # unique index + triggers: that diploma is already recorded
        "users_email",  # unique index + triggers: another account has this e-mail (single sign-on)
    }
)


def violated(error: BaseException, name: str) -> bool:
    """Whether ``error`` is the database refusing a write because of the rule ``name``.

    A named CHECK fails as "CHECK constraint failed: <name>"; a trigger that
    stands for a rule raises "<name>: <explanation>". ``name`` must be one of
    CONSTRAINTS, so a misspelt name fails loudly instead of never matching."""
    if name not in CONSTRAINTS:
        raise ValueError(f"no constraint named {name!r}")
    if not isinstance(error, sqlite3.IntegrityError):
        return False
    message = str(error)
    return message == f"CHECK constraint failed: {name}" or message.startswith(f"{name}: ")


BEGIN_ATTEMPTS = 3


def _begin_immediate(db: Database) -> None:
    """Take the write lock. SQLite's busy handler is not fair: under a queue of
    writers one can wait out the whole timeout. Nothing has been done yet when
    BEGIN fails, so trying again is safe; the desk sees a wait, not an error."""
    for attempt in range(BEGIN_ATTEMPTS):
        try:
            db.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or attempt == BEGIN_ATTEMPTS - 1:
                raise


@contextlib.contextmanager
def write_transaction(db: Database) -> Iterator[Database]:
    """One atomic write: BEGIN IMMEDIATE takes the write lock up front, so a
    check made inside the transaction still holds when the write lands."""
    if db.conn.in_transaction:
        # Nested call: the outer transaction already holds the lock.
        with db.atomic():
            yield db
        return
    _begin_immediate(db)
    try:
        yield db
    except BaseException:
        db.rollback()
        raise
    else:
        db.execute("COMMIT")
