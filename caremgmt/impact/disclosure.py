"""Disclosure control of release microdata: k-anonymity with l-diversity on
what an analyst can join, by generalisation then local suppression
(the approach of sdcMicro).

The quasi-identifiers (what someone who knows a person could know about her
and look for) are declared once, here, in QUASI_IDENTIFIERS, each with its
ladder of generalisations from the release's finest detail to SUPPRESSED.
They are evaluated per person, on everything one release shows about her in
any of its files (the files of one release join on the pseudonym): her row in
persons.csv and the places (blocks, localities) at which contacts and laundry
rows show her. Each file shows the same generalised values, so joining them
adds nothing.

Algorithm: every person starts at the chosen detail (a step of LADDER); while
her class (the persons sharing every released quasi-identifier) has fewer
than k persons, or more than 1/l of it has the sensitive attribute (a
referral to a violence-protection institution), the whole class moves one
step up the ladder. Classes that are already safe never move, and a class
only ever grows by merging, so none falls below k. Persons still unsafe with
everything suppressed are left out of the release altogether (row
suppression): among them, a class of persons all referred to violence
protection that no generalisation makes diverse. Attendance dates are not quasi-identifiers here: they are
coarsened to the week or month the release chose.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

SUPPRESSED = "suprimido"
K_DEFAULT = 5
L_DEFAULT = 2
# Above this share of suppressed quasi-identifier cells a release warns first.
SUPPRESSION_WARNING = 0.10
DETAILS = ("fine", "coarse")


def _suppress(values: pd.Series) -> pd.Series:
    return pd.Series(SUPPRESSED, index=values.index)


def _grouped(none: str, other: str):
    """Recorded values as none / other; a value nobody recorded stays blank."""

    def recode(values: pd.Series) -> pd.Series:
        return values.where(values.isin(["", none]), other)

    return recode


def _age_broad(values: pd.Series) -> pd.Series:
    return values.map({"0-5": "0-17", "6-11": "0-17", "12-17": "0-17", "18-28": "18-59", "29-59": "18-59"}).fillna(
        values
    )


def _stratum_pairs(values: pd.Series) -> pd.Series:
    return values.map({"1": "1-2", "2": "1-2", "3": "3-4", "4": "3-4", "5": "5-6", "6": "5-6"}).fillna(values)


def _year(values: pd.Series) -> pd.Series:
    """A week ("2026-W14") or a month ("2026-04") to its year."""
    return values.str.slice(0, 4)


def _gender(values: pd.Series) -> pd.Series:
    return values.where(values.isin(["", "female", "male"]), "other")


# Each quasi-identifier: its generalisations, finest first (level 0 is the
# value as the release's detail gives it); SUPPRESSED comes after the last.
QUASI_IDENTIFIERS: dict[str, tuple] = {
    "is_caregiver": (),
    "age_band": (_age_broad,),
    "sex": (),
    "gender_identity": (_gender,),
    "locality_code": (),
    "home_block": (),
    "registration_period": (_year,),
    "ethnicity": (_grouped("none", "other"),),
    "disability": (_grouped("none", "any"),),
    "migrant_status": (_grouped("colombian", "migrant"),),
    "stratum": (_stratum_pairs,),
    # Not a column: the places (blocks, else localities) contacts and laundry show her at.
    "places": ("localities",),
}

# The steps every class climbs while unsafe: (quasi-identifier, level reached).
# Least useful detail first; what an evaluation needs most (who: caregiver,
# sex, age) last.
LADDER: tuple[tuple[tuple[str, int], ...], ...] = (
    (),
    (("home_block", 1), ("places", 1)),
    (("registration_period", 1),),
    (("ethnicity", 1), ("disability", 1), ("migrant_status", 1), ("stratum", 1), ("gender_identity", 1)),
    (("age_band", 1),),
    (("registration_period", 2),),
    (("places", 2), ("locality_code", 1)),
    (("ethnicity", 2), ("disability", 2), ("migrant_status", 2), ("stratum", 2), ("gender_identity", 2)),
    (("age_band", 2),),
    (("sex", 1),),
    (("is_caregiver", 1),),
)
# Where each detail starts: "coarse" generalises everyone as far as the grouped categories and broad ages.
DETAIL_START = {"fine": 0, "coarse": 4}


def _levels_by_step() -> np.ndarray:
    """levels[step, qi]: the level of each quasi-identifier at each step."""
    names = list(QUASI_IDENTIFIERS)
    levels = np.zeros((len(LADDER), len(names)), dtype=np.int64)
    current = np.zeros(len(names), dtype=np.int64)
    for step, moves in enumerate(LADDER):
        for name, level in moves:
            current[names.index(name)] = level
        levels[step] = current
    return levels


@dataclass
class Anonymised:
    """The released value of every quasi-identifier of every person kept
    (``values``, indexed like the input, without the persons left out), the
    place level of each (0: blocks, 1: localities, 2: none), and the figures
    of the risk report."""

    values: pd.DataFrame
    place_level: pd.Series
    report: dict


def anonymise(
    people: pd.DataFrame,
    places: dict[int, pd.Series],
    sensitive: pd.Series | None,
    *,
    k: int = K_DEFAULT,
    l_diversity: int = L_DEFAULT,
    detail: str = "fine",
) -> Anonymised:
    """``people``: one row per person (index: person id), the quasi-identifier
    columns as text at the finest detail ("" = not recorded). ``places``: for
    levels 0 and 1, a signature per person of the set of blocks / localities
    she is shown at (equal sets, equal signatures; 0 = none). ``sensitive``:
    True for a person with the sensitive attribute, when the release shows it."""
    names = list(QUASI_IDENTIFIERS)
    n = len(people)
    codes, labels = [], []
    for name, recodes in QUASI_IDENTIFIERS.items():
        if name == "places":
            steps = [places[0].reindex(people.index, fill_value=0), places[1].reindex(people.index, fill_value=0)]
        else:
            steps = [people[name].fillna("").astype(str)]
            for recode in recodes:
                steps.append(recode(steps[-1]))
        # Nowhere to be shown (no contacts, no laundry) cannot be hidden: the files show it by her absence.
        steps.append(_suppress(steps[-1]).where(steps[-1] != 0, 0) if name == "places" else _suppress(steps[-1]))
        # One numbering for every level: a class is what the files show, so the
        # same text at two levels ("" not recorded, kept by grouping) is one value.
        code, uniques = pd.factorize(np.concatenate([values.to_numpy(dtype=object) for values in steps]))
        codes.append(code.astype(np.int64).reshape(len(steps), n))
        labels.append(np.asarray(uniques, dtype=object))
    levels = _levels_by_step()
    last = len(LADDER) - 1
    step = np.full(n, DETAIL_START[detail], dtype=np.int64)
    flags = sensitive.reindex(people.index, fill_value=False).to_numpy(bool) if sensitive is not None else None
    while True:
        key = _class_key(codes, levels[step])
        _, inverse, size = np.unique(key, return_inverse=True, return_counts=True)
        unsafe = size[inverse] < k
        if flags is not None:
            share = np.bincount(inverse, weights=flags)[inverse] / size[inverse]
            unsafe |= share > 1 / l_diversity
        moving = unsafe & (step < last)
        if not moving.any():
            break
        step[moving] += 1
    kept = ~unsafe
    chosen = levels[step]
    released = {}
    rows = np.arange(n)
    for i, name in enumerate(names):
        released[name] = labels[i][codes[i][chosen[:, i], rows]]
    place_level = chosen[:, names.index("places")]
    values = pd.DataFrame({nm: released[nm] for nm in names if nm != "places"}, index=people.index)[kept]
    suppressed_cells = (values.to_numpy() == SUPPRESSED).sum() + (place_level[kept] == 2).sum()
    cells = max(int(kept.sum()) * len(names), 1)
    maxima = np.array([len(codes[i]) - 1 for i in range(len(names))])
    final = _class_key(codes, chosen)[kept]
    sizes = np.unique(final, return_counts=True)[1]
    suppressed_share = float(suppressed_cells) / cells
    report = {
        "k": k,
        "l": l_diversity,
        "detail": detail,
        "persons": n,
        "persons_released": int(kept.sum()),
        "persons_left_out": int(n - kept.sum()),
        "achieved_k": int(sizes.min()) if len(sizes) else None,
        "classes": len(sizes),
        "persons_recoded": int((step[kept] > DETAIL_START[detail]).sum()),
        "suppressed_cells_share": round(suppressed_share, 4),
        # Mean position on each quasi-identifier's generalisation scale (0 = finest, 1 = suppressed).
        "information_loss": round(float((chosen[kept] / maxima).mean()) if kept.any() else 1.0, 4),
        "warning_threshold": SUPPRESSION_WARNING,
        "warning": bool(max(suppressed_share, (n - kept.sum()) / max(n, 1)) > SUPPRESSION_WARNING),
    }
    return Anonymised(values, pd.Series(place_level, index=people.index)[kept], report)


def _class_key(codes: list[np.ndarray], levels: np.ndarray) -> np.ndarray:
    """One integer per person naming her class: the codes of her released values
    combined, renumbered whenever the next factor could overflow."""
    rows = np.arange(levels.shape[0])
    key = np.zeros(levels.shape[0], dtype=np.int64)
    for i, qi_codes in enumerate(codes):
        code = qi_codes[levels[:, i], rows]
        radix = int(qi_codes.max(initial=0)) + 1
        if int(key.max(initial=0)) + 1 > (2**62) // radix:
            key = np.unique(key, return_inverse=True)[1].astype(np.int64).ravel()
        key = key * radix + code
    return key
