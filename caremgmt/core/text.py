"""Text folding shared by search and duplicate detection, and how a full name is written."""

import re
import unicodedata

_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def fold(text: str) -> str:
    """Lower case, accents removed, punctuation to spaces: 'María-José' -> 'maria jose'."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NON_ALNUM.sub(" ", stripped.lower()).strip()


def full_name(first_names: str, last_names: str) -> str:
    return f"{first_names} {last_names}".strip()


def full_name_sql(alias: str) -> str:
    """``full_name`` in SQL, for the persons row ``alias`` (names are stored trimmed)."""
    return f"{alias}.first_names || ' ' || {alias}.last_names"
