"""The cell-key method (Australian Bureau of Statistics, TableBuilder) for the
counts a release publishes.

Every person carries a fixed random record key, 0..KEY_RANGE-1
(person_record_keys, migration 0016). A count's cell key is the sum of its
contributors' keys modulo KEY_RANGE, so a cell with the same contributors gets
the same key, and the same perturbation, whatever query asked for it: asking
twice, or for overlapping periods, and averaging or subtracting, gains nothing.
The perturbation comes from PTABLE, fixed by its documented distributions and
seed; it is at most MAX_PERTURBATION either way. A perturbed count under
SMALL_CELL is not shown ("suprimido"); a cell nobody contributes to is 0.
"""

from __future__ import annotations

import numpy as np

from caremgmt.impact.disclosure import SUPPRESSED

KEY_RANGE = 4096
MAX_PERTURBATION = 2
SMALL_CELL = 5
SEED = 20261123
# P(perturbation) for a cell of true count 1, and of 2 or more: mean 0, variance 0.8 and 1.2.
_DISTRIBUTIONS = (
    {-1: 0.4, 0: 0.3, 1: 0.2, 2: 0.1},
    {-2: 0.1, -1: 0.2, 0: 0.4, 1: 0.2, 2: 0.1},
)


def _ptable() -> np.ndarray:
    """PTABLE[row, cell key]: row 0 for a count of 1, row 1 for 2 or more. Each
    perturbation takes its exact share of the keys, in a seeded shuffled order."""
    rng = np.random.default_rng(SEED)
    rows = []
    for distribution in _DISTRIBUTIONS:
        row = np.concatenate([np.full(round(p * KEY_RANGE), d) for d, p in distribution.items()])
        rows.append(rng.permutation(row[:KEY_RANGE]))
    return np.stack(rows).astype(np.int64)


PTABLE = _ptable()


def perturbed(counts: np.ndarray, key_sums: np.ndarray) -> np.ndarray:
    """Perturbed counts (0 stays 0), as integers; see ``shown`` for suppression."""
    counts = np.asarray(counts, dtype=np.int64)
    keys = np.asarray(key_sums, dtype=np.int64) % KEY_RANGE
    noise = PTABLE[np.minimum(counts, 2) - 1, keys]
    return np.where(counts > 0, np.maximum(counts + noise, 0), 0)


def shown(count: int, key_sum: int) -> int | str:
    """The released form of one count: perturbed, or SUPPRESSED when small."""
    value = int(perturbed(np.array([count]), np.array([key_sum]))[0])
    return SUPPRESSED if count > 0 and value < SMALL_CELL else value


def ratio(numerator: int | str, denominator: int | str, digits: int = 3) -> float | str:
    """A ratio of released counts, suppressed with either of them (a ratio of
    true counts would give a suppressed count away)."""
    if SUPPRESSED in (numerator, denominator):
        return SUPPRESSED
    return round(numerator / denominator, digits) if denominator else 0.0
