"""Content-neutral edits of a stored table definition, for migrations.

SQLite's ALTER TABLE cannot add, name or widen a CHECK constraint. The general
way is to rebuild the table (create a copy, copy every row, drop, rename): at
city scale that rewrites millions of rows, and inside the one transaction the
migrations run in it cannot switch foreign keys off for a table that others
reference. When a change leaves every stored row as it is (naming a
constraint, adding a CHECK that no row breaks, widening a value list), SQLite's
documented procedure edits the CREATE TABLE text in sqlite_schema instead
(https://www.sqlite.org/lang_altertable.html, "Making Other Kinds Of Table
Schema Changes"): writable_schema on, UPDATE the text, schema_version plus one,
writable_schema off; here inside the caller's transaction, so a failure rolls
the edit back with everything else.

``edit_table`` makes that safe to use:

- each replacement must match the stored text exactly once, so a database
  whose schema differs from what the migration expects stops there;
- the new text must parse (it is tried in a scratch database first);
- with ``verify`` (the default), ``PRAGMA quick_check`` of the table runs after
  the edit, which tests every stored row against every CHECK and NOT NULL
  constraint: a row that breaks a new CHECK refuses the migration, naming the
  table, and nothing is changed. Find such rows with
  ``SELECT rowid, <column> FROM <table> WHERE NOT (<condition>)``.

Use it only for changes that do not alter how rows are stored or indexed: no
new or removed column, no type, default, collation, primary key or UNIQUE
change. Anything else needs a rebuild.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from sqlite_utils import Database


class SchemaEditRefused(RuntimeError):
    """The edit does not fit this database; nothing was changed."""


def edit_table(db: Database, table: str, replacements: Sequence[tuple[str, str]], *, verify: bool = True) -> None:
    """Replace each ``old`` text of ``table``'s stored definition by ``new``."""
    if not db.conn.in_transaction:
        raise SchemaEditRefused("edit_table runs inside the migration's transaction")
    row = db.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", [table]).fetchone()
    if row is None:
        raise SchemaEditRefused(f"no table {table}")
    sql = row[0]
    for old, new in replacements:
        found = sql.count(old)
        if found != 1:
            raise SchemaEditRefused(f"{table}: expected {old!r} once in its definition, found it {found} times")
        sql = sql.replace(old, new)
    scratch = sqlite3.connect(":memory:")
    try:
        scratch.execute(sql)
    except sqlite3.Error as e:
        raise SchemaEditRefused(f"{table}: the edited definition does not parse: {e}") from None
    finally:
        scratch.close()
    version = db.execute("PRAGMA schema_version").fetchone()[0]
    db.execute("PRAGMA writable_schema = ON")
    try:
        db.execute("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?", [sql, table])
        db.execute(f"PRAGMA schema_version = {int(version) + 1}")
    finally:
        db.execute("PRAGMA writable_schema = OFF")
    if verify:
        problems = [r[0] for r in db.execute(f"PRAGMA quick_check([{table}])")]
        if problems != ["ok"]:
            raise SchemaEditRefused(f"{table}: stored rows break the edited definition: {'; '.join(problems[:5])}")
