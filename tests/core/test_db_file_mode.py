"""The database holds personal data: its file, -wal and -shm are the owner's alone."""

import contextlib
import os
import sqlite3
import stat

from caremgmt.core.db import connect


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@contextlib.contextmanager
def umask(mask: int):
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def test_a_new_database_and_its_wal_are_readable_by_the_owner_only(tmp_path):
    path = tmp_path / "data" / "care.db"
    with umask(0):  # whatever the process's umask allows
        db = connect(str(path))
        try:
            db.execute("CREATE TABLE probe (x)")  # a write: the WAL is in use
            files = [path, path.with_name("care.db-wal"), path.with_name("care.db-shm")]
            assert all(f.exists() for f in files)
            assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}
        finally:
            db.close()


def test_an_older_world_readable_database_loses_the_rights_of_others_only(tmp_path):
    path, wal = tmp_path / "old.db", tmp_path / "old.db-wal"
    with umask(0o022):
        old = sqlite3.connect(path)  # made before the rule, as SQLite makes a file: 0644
        old.execute("PRAGMA journal_mode = WAL")
        old.execute("CREATE TABLE t (x)")
        old.commit()
        assert (mode(path), mode(wal)) == (0o644, 0o644)
        db = connect(str(path))
        try:
            assert (mode(path), mode(wal)) == (0o640, 0o640)  # the group (a backup account, say) keeps its rights
        finally:
            db.close(), old.close()
