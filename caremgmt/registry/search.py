"""One search box for the front desk: document number, phone or name.

Names use the FTS5 index over ``persons.search_name`` (accent-free, any word
order, each word a prefix). When no one matches, each word may carry one
typo (a wrong, missing, extra or swapped letter): the words that no name has
are widened to the known name words within one such edit; if that finds no
one, every word is (a typo can make another real name).

No step reads every known word, or ranks every person a common word matches:

- a typed word becomes the known name words it begins (``name_terms``, one
  range look-up), which FTS5 reads lazily, skipping to the persons the rarest
  word holds. FTS5's own prefix query merges the postings of every word it
  begins before it intersects anything: 30 to 60 ms for a full name at four
  times the city, against 3 to 11 ms;
- the words within one edit come from ``name_term_deletions`` (migration
  0011): one look-up per one-letter deletion of the word (``keys.near_terms``);
- the persons named exactly as typed (the same words, any order) come first,
  found by their whole-name key in ``name_keys``: one look-up. The other
  matches follow shortest name first (fewest words beside the typed ones),
  then in registration order, when there are at most ``RANK_LIMIT`` of them;
  a broader query lists them in registration order, read from the index in
  rowid order and stopped at the page. FTS5's bm25 ranking scores and sorts
  every match (3 to 16 µs each: one common word took 53 ms at city scale and
  283 ms at four times).

What still grows with the registry is FTS5's reading of the postings of the
query's rarest word. Results are paged with LIMIT/OFFSET.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass

from sqlite_utils import Database

from caremgmt.core import audit, policy
from caremgmt.core.actor import User
from caremgmt.core.text import fold, full_name
from caremgmt.registry.keys import near_terms, same_name_key
from caremgmt.registry.keys import words as name_words
from caremgmt.registry.validation import normalize_document, normalize_phone

PAGE_SIZE = 20
MIN_TYPO_WORD = 4  # shorter words are not typo-corrected: too many neighbours
MAX_NEAR_TERMS = 20  # a misspelt word is widened to at most this many known words, nearest first
RANK_LIMIT = 500  # a name query with more matches is listed in registration order only
SAME_NAME_LIMIT = 1_000  # persons with exactly the typed name listed first, at most
SAME_NAME_KEYS = 100  # whole names looked up for a widened query, at most
MAX_PREFIX_TERMS = 1_000  # a typed word is matched as the known words it begins, up to this many
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


def search_persons(db: Database, actor: User, query: str, page: int = 0, page_size: int = PAGE_SIZE) -> SearchPage:
    """One page of the persons the query finds; the page shown is audited (who
    searched and which persons came up, never what was typed)."""
    policy.check(db, actor, "person.read")
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
        prefixes = _prefix_groups(db, words)
        rows = _by_name(db, prefixes, {same_name_key(words)}, limit, offset) if prefixes else []
        mode = "name"
        if not rows and page == 0:
            near = near_terms(db, [w for w in words if len(w) >= MIN_TYPO_WORD])
            # The words no one has first (the likely typos), then every word.
            for known_as_typed in (True, False):
                alternatives = _with_typos(words, near, known_as_typed)
                if alternatives:
                    groups = [[_phrase(term) for term in group] for group in alternatives]
                    rows = _by_name(db, groups, _same_name_keys(alternatives), limit, offset)
                    mode = "fuzzy"
                if rows:
                    break
    shown = SearchPage(rows[:page_size], page, len(rows) > page_size, mode)
    audit.record_read(db, actor, "search", [r["id"] for r in shown.rows], detail={"mode": mode, "page": page})
    return shown


def _prefix_groups(db: Database, words: list[str]) -> list[list[str]] | None:
    """Each word as the FTS phrases of the known name words it begins, or None
    when a word begins none (no one can match). A word that begins more than
    MAX_PREFIX_TERMS stays an FTS prefix query ("w"*).

    FTS5 answers a prefix by merging the postings of every word it begins into
    one list before it intersects anything: 30 to 60 ms for the words of a full
    name at four times the city, even when another word matches no one. The
    same words as a list of alternatives are read lazily, skipping to the
    persons the rarest word holds: 3 to 11 ms there."""
    groups = []
    for word in words:
        terms = [
            row[0]
            for row in db.execute(
                "SELECT term FROM name_terms WHERE term >= :w AND term < :w || char(1114111) LIMIT :n",
                {"w": word, "n": MAX_PREFIX_TERMS + 1},
            )
        ]
        if not terms:
            return None
        groups.append([_phrase(t) for t in terms] if len(terms) <= MAX_PREFIX_TERMS else [_phrase(word) + "*"])
    return groups


def _phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


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


def _by_name(db: Database, groups: list[list[str]], same_keys: set[str], limit: int, offset: int) -> list[dict]:
    """One page of the persons whose name matches one FTS phrase of each group;
    those named as one of ``same_keys`` first."""
    match = " AND ".join("(" + " OR ".join(group) + ")" for group in groups)
    fts = "SELECT rowid FROM persons_fts WHERE persons_fts MATCH ?"
    ids = [row[0] for row in db.execute(f"{fts} LIMIT ?", [match, RANK_LIMIT + 1])]
    if len(ids) <= RANK_LIMIT:
        found = list(db.query(f"SELECT {_SUMMARY}, p.search_name FROM persons p WHERE p.id IN ({_ids(ids)})"))
        for row in found:
            name = name_words(row.pop("search_name"))
            row["_order"] = (same_name_key(name) not in same_keys, len(name), row["id"])
        found.sort(key=lambda r: r.pop("_order"))
        return found[offset : offset + limit]
    same = _same_name(db, same_keys)
    page = same[offset : offset + limit]
    if len(page) < limit:
        page += [
            row[0]
            for row in db.execute(
                f"{fts} AND rowid NOT IN ({_ids(same)}) LIMIT ? OFFSET ?",
                [match, limit - len(page), max(0, offset - len(same))],
            )
        ]
    by_id = {r["id"]: r for r in db.query(f"SELECT {_SUMMARY} FROM persons p WHERE p.id IN ({_ids(page)})")}
    return [by_id[i] for i in page]


def _ids(ids: list[int]) -> str:
    return ",".join(str(int(i)) for i in ids)


def _same_name_keys(groups: list[list[str]]) -> set[str]:
    """The whole-name keys of the names the query spells out, one word of each
    group: the first word of every group, then those with one other word, then
    two..., SAME_NAME_KEYS at most (the groups hold the nearest words first)."""
    keys: set[str] = set()
    for changed in range(len(groups) + 1):
        for positions in itertools.combinations(range(len(groups)), changed):
            choices = [group[1:] if i in positions else group[:1] for i, group in enumerate(groups)]
            for combination in itertools.product(*choices):
                keys.add(same_name_key(combination))
                if len(keys) == SAME_NAME_KEYS:
                    return keys
    return keys


def _same_name(db: Database, keys: set[str]) -> list[int]:
    """The persons named exactly as one of ``keys``, in registration order: one look-up each."""
    return [
        row[0]
        for row in db.execute(
            "SELECT DISTINCT person_id FROM name_keys WHERE name_key IN (SELECT value FROM json_each(?))"
            " ORDER BY person_id LIMIT ?",
            [json.dumps(sorted(keys)), SAME_NAME_LIMIT],
        )
    ]


def _with_typos(words: list[str], near: dict[str, list[str]], known_as_typed: bool) -> list[list[str]] | None:
    """Each word widened to the known words within one edit (``near``), or None
    if any word has none. With ``known_as_typed``, a word someone's name has is
    kept as typed, and None is returned when that leaves every word as typed."""
    groups = []
    for word in words:
        if len(word) < MIN_TYPO_WORD or (known_as_typed and word in near[word]):
            groups.append([word])
        elif near[word]:
            groups.append(near[word][:MAX_NEAR_TERMS])
        else:
            return None
    return None if groups == [[w] for w in words] and known_as_typed else groups
