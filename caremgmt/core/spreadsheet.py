"""CSV that people open in a spreadsheet: exports, releases, chart data, a
person's access bundle. No cell starts with a character a spreadsheet would
run as a formula."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

SEPARATORS = {"comma": ",", "semicolon": ";"}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """Neutralise text a spreadsheet would evaluate (=, +, -, @, tab, CR first)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return "" if value is None else value


def encode_rows(rows: Iterable[tuple], delimiter: str) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    return buffer.getvalue()
