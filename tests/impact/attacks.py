"""Attacks on evaluators' data, as a careful analyst would run them, over the
files alone; the database is read only to score them (was the guess right?).

Each attack returns the number of its successes. A ``View`` is what the
analyst holds: the CSV files of one take, as text. They run on the releases
of today (tests/impact/test_attacks.py) and, through tests/impact/attack_report.py,
on the exports that came before them.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

# Every column an analyst could know from outside about a person (persons.csv),
# under the names that the old exports and the releases gave them.
QUASI_IDENTIFIERS = (
    "is_caregiver",
    "birth_year",
    "age_band",
    "sex",
    "gender_identity",
    "locality_code",
    "home_block",
    "registration_month",
    "registration_period",
    "ethnicity",
    "disability",
    "migrant_status",
    "stratum",
)
K = 5
SENSITIVE_SECTOR = "violence_protection"


@dataclass
class View:
    """The files of one take (kind -> rows as text), the truth behind the
    pseudonyms (for scoring only), the perturbation bound the take publishes,
    and the labels it uses for a hidden value."""

    files: dict[str, pd.DataFrame]
    person_of: dict[str, int]
    max_perturbation: int
    hidden: frozenset[str]

    @classmethod
    def read(cls, paths: dict[str, Path], person_of: dict[str, int], max_perturbation: int, hidden) -> View:
        files = {
            kind: pd.read_csv(path, dtype=str, keep_default_na=False)
            for kind, path in paths.items()
            if path.suffix == ".csv" and "dictionary" not in path.name
        }
        return cls(files, person_of, max_perturbation, frozenset(hidden))


def _joined(view: View) -> pd.DataFrame:
    """Per pseudonym, everything the take says about her as a person: her
    persons.csv quasi-identifiers, the places (block, locality) her rows in
    contacts and laundry show, and the age bands her contacts show."""
    pids = set()
    for frame in view.files.values():
        if "person_pid" in frame:
            pids |= set(frame["person_pid"])
    people = pd.DataFrame(index=sorted(pids))
    if "persons" in view.files:
        persons = view.files["persons"].set_index("person_pid")
        for column in QUASI_IDENTIFIERS:
            if column in persons:
                people[column] = persons[column].reindex(people.index).fillna("(absent)")
    shown = [
        view.files[kind][[c for c in ("person_pid", "block", "locality_code", "age_band") if c in view.files[kind]]]
        for kind in ("contacts", "laundry")
        if kind in view.files
    ]
    if shown:
        rows = pd.concat(shown).fillna("")
        for column in ("block", "locality_code", "age_band"):
            if column in rows:
                values = rows.groupby("person_pid")[column].agg(lambda v: "|".join(sorted(set(v))))
                people[f"shown_{column}"] = values.reindex(people.index).fillna("")
    return people


def _classes(people: pd.DataFrame) -> pd.Series:
    """The size of each person's class (persons sharing every column)."""
    if people.shape[1] == 0:
        return pd.Series(len(people), index=people.index)
    return people.groupby(list(people.columns), dropna=False)[people.columns[0]].transform("size")


def uniqueness(view: View, k: int = K) -> int:
    """Persons in a class of fewer than ``k`` on the joined take."""
    people = _joined(view)
    return int((_classes(people) < k).sum())


def linkage_within(view: View) -> int:
    """Persons whose locality or age band persons.csv hides, but another file of
    the same take shows."""
    if "persons" not in view.files:
        return 0
    people = _joined(view)
    found = pd.Series(False, index=people.index)
    for column in ("locality_code", "age_band"):
        if column in people and f"shown_{column}" in people:
            visible = people[f"shown_{column}"].map(lambda v: any(x and x not in view.hidden for x in v.split("|")))
            found |= people[column].isin(view.hidden) & visible
    return int(found.sum())


def linkage_across(one: View, other: View) -> int:
    """Persons whose pseudonym is the same in two takes."""

    def pids(view: View) -> set[str]:
        return {p for frame in view.files.values() if "person_pid" in frame for p in frame["person_pid"]}

    return len(pids(one) & pids(other))


def homogeneity(view: View, k: int = K) -> int:
    """Persons referred to violence protection in a class of fewer than ``k``
    or one where everybody is referred: her referral is then known."""
    if "referrals" not in view.files:
        return 0
    people = _joined(view)
    referrals = view.files["referrals"]
    referred = set(referrals.loc[referrals["sector"] == SENSITIVE_SECTOR, "person_pid"])
    flags = pd.Series(people.index.isin(referred), index=people.index)
    size = _classes(people)
    if people.shape[1]:
        share = flags.groupby([people[c] for c in people.columns], dropna=False).transform("mean")
    else:
        share = pd.Series(flags.mean(), index=people.index)
    return int((flags & ((size < k) | (share == 1))).sum())


def differencing(first: pd.DataFrame, second: pd.DataFrame, truth: dict, max_perturbation: int) -> int:
    """Cells of two metrics takes (the second period one day longer) whose
    difference the released figures pin down to 1-4 persons or contacts, and
    rightly: ``truth`` maps (dimension, value, column) to the true difference."""
    found = 0
    a = first.set_index(["dimension", "value"])
    b = second.set_index(["dimension", "value"])
    for key in a.index.intersection(b.index):
        for column in ("people_served", "service_contacts"):
            x, y = a.at[key, column], b.at[key, column]
            if not (str(x).isdigit() and str(y).isdigit()):
                continue
            low = max(int(y) - int(x) - 2 * max_perturbation, 0)
            high = int(y) - int(x) + 2 * max_perturbation
            if low == high and 1 <= low <= 4 and truth.get((*key, column)) == low:
                found += 1
    return found


def ratio_back(metrics: pd.DataFrame, hidden: frozenset[str], truth: tuple[int, int]) -> int:
    """A hidden laundry_loads recovered from the no-show rate beside it
    (loads 1-4, no-shows n: n / (loads + n) = rate), and rightly (``truth``:
    the true loads and no-shows)."""
    head = metrics[metrics["dimension"] == "headline"].set_index("value")["amount"]
    loads, rate = head.get("laundry_loads"), head.get("laundry_no_show_rate")
    if loads not in hidden or rate in hidden or rate in (None, ""):
        return 0
    rate = float(rate)
    candidates = [(c, n) for c in range(1, 5) for n in range(40) if c + n and abs(n / (c + n) - rate) < 0.0005]
    return int(len(candidates) == 1 and candidates[0] == truth)


def birth_narrowing(view: View, births: dict[int, dt.date]) -> int:
    """Persons whose age band changes between two of her rows: the change pins
    her birthday between them. Success: a window of 31 days or less that holds it."""
    if "contacts" not in view.files or "age_band" not in view.files["contacts"]:
        return 0
    date_column = next(c for c in ("session_date", "period") if c in view.files["contacts"])
    rows = view.files["contacts"][["person_pid", date_column, "age_band"]].drop_duplicates()
    found = 0
    for pid, mine in rows.groupby("person_pid"):
        if mine["age_band"].nunique() < 2 or pid not in view.person_of:
            continue
        mine = mine.sort_values(date_column)
        for (day, band), (next_day, next_band) in itertools.pairwise(mine[[date_column, "age_band"]].itertuples(False)):
            if band == next_band or not band or not next_band:
                continue
            try:
                start, end = dt.date.fromisoformat(day), dt.date.fromisoformat(next_day)
            except ValueError:
                continue  # not a day: nothing to narrow
            lower = int(next_band.split("-")[0].rstrip("+"))
            born = births[view.person_of[pid]]
            birthday = born.replace(year=born.year + lower) if (born.month, born.day) != (2, 29) else born
            if (end - start).days <= 31 and start < birthday <= end:
                found += 1
    return found


def consent(view: View, allowed: set[int]) -> int:
    """Persons in any microdata file whom the law does not allow there."""
    shown = {
        view.person_of[p]
        for frame in view.files.values()
        if "person_pid" in frame
        for p in frame["person_pid"]
        if p in view.person_of
    }
    return len(shown - allowed)


def false_labels(view: View, metrics_truth: dict, blank_ethnicity: set[int]) -> int:
    """Hidden cells that claim a range they are not in ("<5" on 13), and
    unrecorded ethnicities turned into a category ("none")."""
    found = 0
    if "metrics" in view.files:
        for row in view.files["metrics"].itertuples(False):
            for column in ("people_served", "service_contacts"):
                true = metrics_truth.get((row.dimension, row.value, column))
                if getattr(row, column) == "<5" and true is not None and true >= 5:
                    found += 1
    if "persons" in view.files:
        persons = view.files["persons"]
        for pid, ethnicity in zip(persons["person_pid"], persons["ethnicity"], strict=True):
            if ethnicity == "none" and view.person_of.get(pid) in blank_ethnicity:
                found += 1
    return found
