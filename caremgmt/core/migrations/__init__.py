"""Versioned schema changes, one per file in this folder, applied in name order.

A migration is ``NNNN_name.sql`` (a script of plain SQL, run statement by
statement) or, when SQL alone cannot say it, ``NNNN_name.py`` (a module with a
``migrate(db)`` function). SQL files are the rule: they are the literal text
SQLite stores, readable and diffable as they are, and nothing in them can be
recomputed from code that changes later. A Python module is for a procedure:
0007 and 0008 edit stored table definitions (see ``table_edit``), which needs a
value read from the database and a check that can refuse to go on.

Rules: append new files; never edit or rename an applied one (databases record
the names in ``_sqlite_migrations``, set "caremgmt"); after adding one, run
``python -m caremgmt schema --write`` and commit the regenerated
caremgmt/core/schema.sql with it. caremgmt.core.db applies them, in one
``BEGIN IMMEDIATE`` transaction, when it first opens a database.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

HERE = Path(__file__).resolve().parent
SCHEMA_FILE = HERE.parent / "schema.sql"
_MIGRATION_FILE = re.compile(r"^(\d{4})_[a-z0-9_]+\.(sql|py)$")


def migration_files(folder: Path = HERE) -> list[Path]:
    """The migration files of ``folder`` in the order they apply; refuses two with one number."""
    files = sorted(p for p in folder.iterdir() if _MIGRATION_FILE.match(p.name))
    numbers = [_MIGRATION_FILE.match(p.name).group(1) for p in files]
    doubled = sorted({n for n in numbers if numbers.count(n) > 1})
    if doubled:
        raise RuntimeError(f"two migrations share a number in {folder}: {', '.join(doubled)}")
    return files


def _sql_migration(path: Path):
    script = path.read_text(encoding="utf-8")

    def migrate(db: Database) -> None:
        db.executescript(script)

    migrate.__doc__ = f"Run {path.name}."
    return migrate


def _python_migration(path: Path):
    module = importlib.import_module(f"{__name__}.{path.stem}")
    return module.migrate


def load(folder: Path = HERE) -> Migrations:
    """The "caremgmt" migration set: every file of ``folder``, registered in order."""
    found = Migrations("caremgmt")
    for path in migration_files(folder):
        fn = _sql_migration(path) if path.suffix == ".sql" else _python_migration(path)
        found(name=path.stem)(fn)
    return found


migrations = load()


# --- the schema a fresh database gets ---------------------------------------

SCHEMA_HEADER = """\
-- The schema a fresh caremgmt database gets, as SQLite stores it (sqlite_master.sql):
-- every table, virtual table, index and trigger, grouped by the table they belong to
-- (tables by name; in each group the table, then its indexes, then its triggers, by name).
-- Left out: SQLite's own objects (sqlite_*, automatic indexes of UNIQUE and PRIMARY KEY),
-- the shadow tables SQLite makes for a virtual table, and sqlite-utils' record of
-- applied migrations (_sqlite_migrations and its index).
--
-- Generated; do not edit. After adding a migration: python -m caremgmt schema --write
-- (tests/core/test_schema.py checks that a fresh database and an upgraded one match it).
"""
_TYPE_ORDER = {"table": 0, "index": 1, "trigger": 2, "view": 3}


def dump_schema(db: Database) -> str:
    """The text of schema.sql for ``db``: see SCHEMA_HEADER for what is in it and in which order."""
    hidden = {
        name
        for name, kind in db.execute("SELECT name, type FROM pragma_table_list WHERE schema = 'main'")
        if kind == "shadow"
    }
    rows = db.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE sql IS NOT NULL"
        " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND tbl_name <> '_sqlite_migrations'"
    ).fetchall()
    objects = sorted(
        (tbl_name, _TYPE_ORDER[kind], name, sql) for kind, name, tbl_name, sql in rows if tbl_name not in hidden
    )
    return SCHEMA_HEADER + "".join(f"\n{sql};\n" for *_, sql in objects)
