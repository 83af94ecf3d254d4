"""Reading integer columns fast enough for city-scale releases
(caremgmt.impact.releases)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from sqlite_utils import Database

BATCH = 10_000  # rows read or written at a time


def int_table(
    db: Database, table_name: str, columns: list[str], where: str = "1", params: dict | None = None, alias: str = "t"
) -> np.ndarray:
    """Integer ``columns`` of the rows of ``table_name`` (as ``alias``) where
    ``where`` holds, as an array indexed by their id (zeros elsewhere)."""
    size = int(db.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table_name}").fetchone()[0])
    table = np.zeros((size, len(columns)), dtype=np.int64)
    for block in integer_rows(db, f"{table_name} AS {alias}", [f"{alias}.id", *columns], where, params):
        table[block[:, 0]] = block[:, 1:]
    return table


def integer_rows(
    db: Database, table: str, columns: list[str], where: str, params: dict | None = None
) -> Iterator[np.ndarray]:
    """Integer ``columns`` (never NULL) of the rows of ``table`` where ``where``
    holds, in stored order, as an array of a slice of ids at a time. SQLite hands
    a slice over as one text that numpy parses in one call: a Python tuple per
    row cost more than everything else in the contacts export."""
    name = table.split()[-1]
    first, last = db.execute(f"SELECT min({name}.id), max({name}.id) FROM {table}").fetchone()
    values = " || ',' || ".join(f"({c})" for c in columns) + " || ','"
    sql = (
        f"SELECT group_concat(v, '') FROM (SELECT {values} AS v FROM {table}"
        f" WHERE {name}.id BETWEEN :low AND :high AND {where} ORDER BY {name}.id)"
    )
    for low in range(first or 0, (last or -1) + 1, BATCH):
        (text,) = db.execute(sql, {**(params or {}), "low": low, "high": low + BATCH - 1}).fetchone()
        if text is not None:
            yield np.fromstring(text[:-1], dtype=np.int64, sep=",").reshape(-1, len(columns))
