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

from caremgmt.core.text import fold
from caremgmt.registry.search import SUMMARY_COLUMNS, person_summary, search_name

CLOSE_BIRTH_DAYS = 31
NAME_SORT_THRESHOLD = 85  # token_sort_ratio: same words, small typos, any order
NAME_SUBSET_THRESHOLD = 95  # token_set_ratio: one name contained in the other
MAX_MATCHES = 10


def _swapped(date: dt.date) -> str | None:
    try:
        return date.replace(month=date.day, day=date.month).isoformat()
    except ValueError:
        return None


def _folded_match(a: str, b: str) -> bool:
    """names_match for names already folded (persons.search_name is stored folded)."""
    return (
        fuzz.token_sort_ratio(a, b, score_cutoff=NAME_SORT_THRESHOLD) > 0
        or fuzz.token_set_ratio(a, b, score_cutoff=NAME_SUBSET_THRESHOLD) > 0
    )


def names_match(a: str, b: str) -> bool:
    return _folded_match(fold(a), fold(b))


_DETAILS = ", ".join(SUMMARY_COLUMNS)


def probable_duplicates(
    db: Database,
    first_names: str,
    last_names: str,
    birth_date: str,
    phone: str | None = None,
    exclude_ids: tuple[int, ...] = (),
) -> list[dict]:
    """Existing persons that may be this one, each with the reasons it matched.

    The comparison reads only the index on (birth date, folded name, phone);
    details are fetched for the few that match."""
    born = dt.date.fromisoformat(birth_date)
    window = dt.timedelta(days=CLOSE_BIRTH_DAYS)
    swapped = _swapped(born)
    name = search_name(first_names, last_names)
    candidates = db.execute(
        "SELECT id, birth_date, search_name, phone FROM persons WHERE birth_date BETWEEN ? AND ? OR birth_date = ?",
        [(born - window).isoformat(), (born + window).isoformat(), swapped],
    ).fetchall()
    if phone:
        candidates += db.execute(
            "SELECT id, birth_date, search_name, phone FROM persons WHERE phone = ?", [phone]
        ).fetchall()
    reasons_by_id: dict[int, list[str]] = {}
    for person_id, other_birth, other_name, other_phone in candidates:
        if person_id in exclude_ids or person_id in reasons_by_id:
            continue
        reasons = []
        if _folded_match(name, other_name):
            if other_birth == birth_date:
                reasons += ["name", "same_birth_date"]
            elif abs((dt.date.fromisoformat(other_birth) - born).days) <= CLOSE_BIRTH_DAYS or other_birth == swapped:
                reasons += ["name", "close_birth_date"]
        if phone and other_phone == phone:
            reasons.append("phone")
        if reasons:
            reasons_by_id[person_id] = reasons
    best = sorted(reasons_by_id, key=lambda i: (-len(reasons_by_id[i]), i))[:MAX_MATCHES]
    if not best:
        return []
    rows = {
        r["id"]: r for r in db.query(f"SELECT {_DETAILS} FROM persons WHERE id IN ({','.join('?' * len(best))})", best)
    }
    return [{**person_summary(rows[i]), "reasons": reasons_by_id[i]} for i in best]
