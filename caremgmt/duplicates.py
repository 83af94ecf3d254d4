"""Probable-duplicate detection for a person about to be registered.

Rule: same name (ignoring accents, case, word order and small typos) with the
same or a close birth date (within 31 days, or day and month swapped), or the
same mobile phone. The candidates come from indexed columns (birth date,
phone), so the check stays fast however large the registry grows.
"""

from __future__ import annotations

import datetime as dt

from rapidfuzz import fuzz
from sqlite_utils import Database

from caremgmt.text import fold, full_name

CLOSE_BIRTH_DAYS = 31
NAME_SORT_THRESHOLD = 85  # token_sort_ratio: same words, small typos, any order
NAME_SUBSET_THRESHOLD = 95  # token_set_ratio: one name contained in the other
MAX_MATCHES = 10


def _swapped(date: dt.date) -> str | None:
    try:
        return date.replace(month=date.day, day=date.month).isoformat()
    except ValueError:
        return None


def names_match(a: str, b: str) -> bool:
    a, b = fold(a), fold(b)
    return fuzz.token_sort_ratio(a, b) >= NAME_SORT_THRESHOLD or fuzz.token_set_ratio(a, b) >= NAME_SUBSET_THRESHOLD


def probable_duplicates(
    db: Database,
    first_names: str,
    last_names: str,
    birth_date: str,
    phone: str | None = None,
    exclude_ids: tuple[int, ...] = (),
) -> list[dict]:
    """Existing persons that may be this one, each with the reasons it matched."""
    born = dt.date.fromisoformat(birth_date)
    window = dt.timedelta(days=CLOSE_BIRTH_DAYS)
    name = full_name(first_names, last_names)
    columns = "id, first_names, last_names, doc_type, doc_number, birth_date, phone, home_block"
    candidates = db.query(
        f"SELECT {columns} FROM persons WHERE birth_date BETWEEN ? AND ? OR birth_date = ?"
        " UNION SELECT " + columns + " FROM persons WHERE phone = ?",
        [(born - window).isoformat(), (born + window).isoformat(), _swapped(born), phone],
    )
    matches = []
    for row in candidates:
        if row["id"] in exclude_ids:
            continue
        reasons = []
        if names_match(name, full_name(row["first_names"], row["last_names"])):
            close = abs((dt.date.fromisoformat(row["birth_date"]) - born).days) <= CLOSE_BIRTH_DAYS
            if row["birth_date"] == birth_date:
                reasons += ["name", "same_birth_date"]
            elif close or row["birth_date"] == _swapped(born):
                reasons += ["name", "close_birth_date"]
        if phone and row["phone"] == phone:
            reasons.append("phone")
        if reasons:
            matches.append({**row, "full_name": full_name(row["first_names"], row["last_names"]), "reasons": reasons})
    matches.sort(key=lambda m: (-len(m["reasons"]), m["id"]))
    return matches[:MAX_MATCHES]
