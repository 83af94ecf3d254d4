"""The name indexes of migration 0011, in Python: what a name is filed under
in ``name_keys``, and the known words within one edit of a word.

``name_keys`` holds, for each person and her birth date:

- a *pair key* for every pair of distinct words of her folded name, the two
  in alphabetical order joined by a space ('jose rojas'), or the word itself
  when the name has a single distinct word: the probable-duplicate check's
  blocking keys (caremgmt.registry.duplicates);
- her *whole-name key*: '=' and all her words, sorted ('=jose maria rojas'):
  name search finds everyone with exactly the typed name, in any order, with
  one look-up (caremgmt.registry.search).

The SQL view ``person_name_keys`` makes the same keys for the triggers;
tests/registry/test_duplicate_keys.py holds the two equal.
"""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from collections.abc import Iterable

from rapidfuzz.distance import OSA
from sqlite_utils import Database


def words(folded_name: str) -> list[str]:
    """The words of a stored name as the view splits them: at single spaces."""
    return [w for w in folded_name.split(" ") if w]


def pair_keys(folded_name: str) -> set[str]:
    distinct = sorted(set(words(folded_name)))
    if len(distinct) == 1:
        return set(distinct)
    return {f"{a} {b}" for a, b in itertools.combinations(distinct, 2)}


def same_name_key(name_words: Iterable[str]) -> str:
    return "=" + " ".join(sorted(name_words))


def name_keys(folded_name: str) -> set[str]:
    """Every key a stored name is filed under."""
    return pair_keys(folded_name) | ({same_name_key(words(folded_name))} if words(folded_name) else set())


def near_terms(db: Database, query_words: Iterable[str]) -> dict[str, list[str]]:
    """For each word, the known name words (``name_terms``) within one edit of it
    (OSA distance: a wrong, missing, extra or swapped letter), itself first if
    known, then alphabetically.

    Symmetric deletion: a term and a word within one edit share the word, the
    term or a one-letter deletion of both, and ``name_term_deletions`` holds
    each term under itself and its deletions; so one indexed look-up per
    deletion of the word finds them all. Terms of fewer than three letters are
    filed under themselves only, which is enough for words of three or more."""
    variants = {word: {word} | {word[:i] + word[i + 1 :] for i in range(len(word))} for word in set(query_words)}
    if not variants:
        return {}
    wanted = sorted(set().union(*variants.values()))
    terms_by_variant: dict[str, set[str]] = defaultdict(set)
    for variant, term in db.execute(
        "SELECT variant, term FROM name_term_deletions WHERE variant IN (SELECT value FROM json_each(?))",
        [json.dumps(wanted)],
    ):
        terms_by_variant[variant].add(term)
    near = {}
    for word, own in variants.items():
        found = set().union(*(terms_by_variant[v] for v in own))
        distances = {term: OSA.distance(word, term, score_cutoff=1) for term in found}
        near[word] = sorted((t for t, d in distances.items() if d <= 1), key=lambda t: (distances[t], t))
    return near
