"""One search box for the front desk: document number, phone or name.

Names use the FTS5 index over ``persons.search_name`` (accent-free, any word
order, each word a prefix). When no one matches, each word may carry one
typo (a wrong, missing, extra or swapped letter): it is widened to the known
name words within one such edit (``name_terms``).
Results are paged with LIMIT/OFFSET; nothing loads the whole table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import OSA
from sqlite_utils import Database

from caremgmt.core.actor import User
from caremgmt.core.auth import require
from caremgmt.core.text import fold, full_name
from caremgmt.registry.validation import normalize_document, normalize_phone

PAGE_SIZE = 20
MIN_TYPO_WORD = 4  # shorter words are not typo-corrected: too many neighbours
# What a list of people shows of each (search results, probable duplicates, a document's holder).
SUMMARY_COLUMNS = ("id", "first_names", "last_names", "doc_type", "doc_number", "birth_date", "phone", "home_block")
_SUMMARY = ", ".join(f"p.{column}" for column in (*SUMMARY_COLUMNS, "is_caregiver"))
_LOOKS_LIKE_NUMBER = re.compile(r"[+\d][\d\s.\-]*")
_LOOKS_LIKE_PASSPORT = re.compile(r"[A-Za-z]{1,3}\d{4,14}")


@dataclass(frozen=True)
class SearchPage:
    rows: list[dict]
    page: int
    has_more: bool
    mode: str  # "empty", "number", "name" or "fuzzy"


def search_name(first_names: str, last_names: str) -> str:
    """The folded full name stored as ``persons.search_name``: what the name
    index and the duplicate check compare."""
    return fold(full_name(first_names, last_names))


def person_summary(row: dict) -> dict:
    """A person's row with her ``full_name``."""
    return {**row, "full_name": full_name(row["first_names"], row["last_names"])}


def index_terms(db: Database, search_name: str) -> None:
    """Remember the words of a name for typo-tolerant search."""
    db.conn.executemany("INSERT OR IGNORE INTO name_terms (term) VALUES (?)", [(w,) for w in set(search_name.split())])


def search_persons(db: Database, actor: User, query: str, page: int = 0, page_size: int = PAGE_SIZE) -> SearchPage:
    require(actor, "person.read")
    query = (query or "").strip()
    limit, offset = page_size + 1, page * page_size
    if not query:
        return SearchPage([], 0, False, "empty")
    if _LOOKS_LIKE_NUMBER.fullmatch(query) or _LOOKS_LIKE_PASSPORT.fullmatch(query):
        rows = _by_number(db, query, limit, offset)
        mode = "number"
    else:
        words = fold(query).split()
        if not words:
            return SearchPage([], 0, False, "empty")
        rows = _by_name(db, [[w] for w in words], limit, offset)
        mode = "name"
        if not rows and page == 0:
            alternatives = _with_typos(db, words)
            if alternatives:
                rows = _by_name(db, alternatives, limit, offset, prefix=False)
                mode = "fuzzy"
    return SearchPage(rows[:page_size], page, len(rows) > page_size, mode)


def _by_number(db: Database, query: str, limit: int, offset: int) -> list[dict]:
    document = normalize_document(query)
    phone = normalize_phone(query)
    return list(
        db.query(
            f"SELECT {_SUMMARY} FROM persons p WHERE p.doc_number = :doc"
            f" UNION SELECT {_SUMMARY} FROM persons p WHERE p.phone = :phone"
            " ORDER BY last_names, first_names, id LIMIT :limit OFFSET :offset",
            {"doc": document, "phone": phone, "limit": limit, "offset": offset},
        )
    )


def _fts_query(groups: list[list[str]], prefix: bool) -> str:
    star = "*" if prefix else ""
    return " AND ".join("(" + " OR ".join(f'"{w}"{star}' for w in group) + ")" for group in groups)


def _by_name(db: Database, groups: list[list[str]], limit: int, offset: int, prefix: bool = True) -> list[dict]:
    return list(
        db.query(
            f"SELECT {_SUMMARY} FROM persons_fts JOIN persons p ON p.id = persons_fts.rowid"
            " WHERE persons_fts MATCH ? ORDER BY persons_fts.rank, p.id LIMIT ? OFFSET ?",
            [_fts_query(groups, prefix), limit, offset],
        )
    )


def _with_typos(db: Database, words: list[str]) -> list[list[str]] | None:
    """Each word widened to the known words within one edit, or None if any word has none."""
    terms = [row[0] for row in db.execute("SELECT term FROM name_terms")]
    groups = []
    for word in words:
        if len(word) < MIN_TYPO_WORD:
            groups.append([word])
            continue
        near = process.extract(word, terms, scorer=OSA.distance, score_cutoff=1, limit=20)
        if not near:
            return None
        groups.append([term for term, _distance, _index in near])
    return groups
