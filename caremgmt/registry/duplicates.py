"""Probable-duplicate detection for a person about to be registered.

Rule: same name (ignoring accents, case, word order and small typos) with the
same or a close birth date (within 31 days, or day and month swapped), or the
same mobile phone.

Which persons are compared (blocking). Comparing everyone born in the 63-day
window meant 6,800 persons for a child at city scale (27,000 at four times),
so the check reads ``name_keys`` instead (migration 0011, see
caremgmt.registry.keys): one row per pair of distinct words of a person's
folded name, with her birth date. The new name's pairs are looked up in her
window and on her swapped date; a pair of words born within a month of each
other is rare (a child's pairs hold 43 persons in all at city scale, a
caregiver's 8: medians). A misspelt word is caught through the other words:
each word of the new name is also replaced, one at a time, by the known words
within one edit of it (``keys.near_terms``: a symmetric-deletion index, no
scan), and those pairs are looked up too, in one join. Their number depends on
how many misspellings of the name's words the registry holds, not on how many
persons it has (about 1,000 look-ups at four times the city with a quarter of
the added names misspelt).

Why pairs: a single word (with the birth month) is hundreds of persons in a
crowded window at city scale, an FTS5 trigram query reads the postings of the
commonest letter triples, and a phonetic code fails on the typos that change
a sound; all three grow with the registry from a high base. A pair grows too,
but from a few persons, and the bound below caps what is compared. The keys
cost two to six rows per person, kept by triggers whatever code writes.

Recall kept: a registered person is compared when her name and the new one
share two words, one of them exactly and the other exactly or within one edit
(or, for a name of a single distinct word, that word exactly). So every
difference the rule accepts is found when at least one word is spelt the
same: word order, a missing or extra word (one name inside the other), any
number of misspelt words beside one that is right, a swapped day and month.
Not found: names in which every word differs (two names of two words, each
misspelt once, can still pass the name rule), and a one-word name against a
longer one. Those would need the pairs of every misspelling of both words;
the phone still catches such a person when she gave the same number.

Bound: at most ``MAX_CANDIDATES`` persons are compared, each key's look-up
reads at most that many rows and at most ``MAX_KEYS`` keys are looked up.
Persons filed under the most keys come first (the same person written
another way shares several pairs, a namesake one or two), then those under
exact keys, then those of the rarest key.
"""

from __future__ import annotations

import datetime as dt
import json

from rapidfuzz import fuzz
from sqlite_utils import Database

from caremgmt.core.text import fold
from caremgmt.registry.keys import near_terms, pair_keys, words
from caremgmt.registry.search import SUMMARY_COLUMNS, person_summary, search_name

CLOSE_BIRTH_DAYS = 31
NAME_SORT_THRESHOLD = 85  # token_sort_ratio: same words, small typos, any order
NAME_SUBSET_THRESHOLD = 95  # token_set_ratio: one name contained in the other
MAX_MATCHES = 10
MAX_CANDIDATES = 200  # persons compared per check, at most (phone matches included)
MIN_TYPO_WORD = 3  # shorter words must be spelt the same
MAX_KEYS = 5_000  # look-ups per check, at most (a name of many words, each with many known misspellings)


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


def _probe_keys(db: Database, folded_name: str) -> tuple[list[str], list[str]]:
    """The pair keys to look up for a new name: its own, and those with one of
    its words replaced by a known word within one edit of it (at most MAX_KEYS)."""
    own = sorted(set(words(folded_name)))
    exact = pair_keys(folded_name)
    near = near_terms(db, [w for w in own if len(w) >= MIN_TYPO_WORD])
    misspelt: dict[str, None] = {}
    for word in own:
        partners = [w for w in own if w != word]
        for other in near.get(word, ()):
            if other == word:
                continue
            if not partners:  # a name of one word
                misspelt[other] = None
            for partner in partners:
                if partner == other:
                    misspelt[other] = None
                else:
                    misspelt[f"{other} {partner}" if other < partner else f"{partner} {other}"] = None
    for key in exact:
        misspelt.pop(key, None)
    return sorted(exact), list(misspelt)[:MAX_KEYS]


_CANDIDATE = "SELECT id, birth_date, search_name, phone FROM persons"


def candidates(
    db: Database,
    first_names: str,
    last_names: str,
    birth_date: str,
    phone: str | None = None,
    exclude_ids: tuple[int, ...] = (),
) -> list[tuple]:
    """The persons the check compares, (id, birth_date, search_name, phone):
    the first MAX_MATCHES with the phone (the only ones a phone alone can put
    in the answer), then those found by name keys, rarest key first;
    MAX_CANDIDATES in all."""
    born = dt.date.fromisoformat(birth_date)
    window = dt.timedelta(days=CLOSE_BIRTH_DAYS)
    chosen = set(exclude_ids)
    rows = []
    if phone:
        with_phone = db.execute(
            f"{_CANDIDATE} WHERE phone = ? ORDER BY id LIMIT ?", [phone, MAX_MATCHES + len(chosen)]
        ).fetchall()
        rows = [row for row in with_phone if row[0] not in chosen][:MAX_MATCHES]
        chosen.update(row[0] for row in rows)
    budget = MAX_CANDIDATES - len(rows)
    exact, misspelt = _probe_keys(db, search_name(first_names, last_names))
    dates = {"low": (born - window).isoformat(), "high": (born + window).isoformat(), "cap": MAX_CANDIDATES}
    # Born in the window, or on the swapped date when that is another day outside it.
    born_in = ["birth_date BETWEEN :low AND :high"]
    swapped = _swapped(born)
    if swapped and not dates["low"] <= swapped <= dates["high"]:
        born_in.append("birth_date = :swapped")
        dates["swapped"] = swapped
    # The name's own keys: per key, at most MAX_CANDIDATES persons, so a common
    # pair costs no more than a rare one.
    own = " UNION ALL ".join(f"SELECT person_id FROM name_keys WHERE name_key = q.value AND {b}" for b in born_in)
    found = db.execute(
        f"SELECT q.value, (SELECT json_group_array(person_id) FROM ({own} LIMIT :cap)) FROM json_each(:keys) q",
        {**dates, "keys": json.dumps(exact)},
    ).fetchall()
    blocks = [(0, key, json.loads(ids)) for key, ids in found]
    # Misspelt keys: hundreds when the registry holds many misspellings of the
    # name's words, almost all empty; one join, a few rows each, 4 x the cap in all.
    misspelt_sql = " UNION ALL ".join(
        f"SELECT k.name_key, k.person_id FROM json_each(:keys) q JOIN name_keys k ON k.name_key = q.value AND k.{b}"
        for b in born_in
    )
    by_key: dict[str, list[int]] = {}
    for key, person_id in db.execute(f"{misspelt_sql} LIMIT 4 * :cap", {**dates, "keys": json.dumps(misspelt)}):
        by_key.setdefault(key, []).append(person_id)
    blocks += [(1, key, ids) for key, ids in by_key.items()]
    # Those filed under most of the keys first (the same person written another
    # way shares several pairs, a namesake one or two), then the exact ones,
    # then those of the rarest key.
    shared: dict[int, list[int]] = {}
    for typos, _key, ids in blocks:
        for person_id in ids:
            hits = shared.setdefault(person_id, [0, 0, len(ids)])
            hits[typos] += 1
            hits[2] = min(hits[2], len(ids))
    ranked = sorted(shared, key=lambda i: (-shared[i][0] - shared[i][1], -shared[i][0], shared[i][2], i))
    wanted = [person_id for person_id in ranked if person_id not in chosen][:budget]
    if wanted:
        rows += db.execute(
            f"{_CANDIDATE} WHERE id IN (SELECT value FROM json_each(?))", [json.dumps(wanted)]
        ).fetchall()
    return rows


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

    The comparison reads only the candidates' folded name, birth date and
    phone (see ``candidates``); details are fetched for the few that match."""
    born = dt.date.fromisoformat(birth_date)
    swapped = _swapped(born)
    name = search_name(first_names, last_names)
    reasons_by_id: dict[int, list[str]] = {}
    compared = candidates(db, first_names, last_names, birth_date, phone, exclude_ids)
    for person_id, other_birth, other_name, other_phone in compared:
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
