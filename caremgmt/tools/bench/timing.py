"""How every figure is taken. The machine is shared, so a figure is reported
with the load average when its measure started and when it ended; a timing
is repeated and summarised as median, 95th percentile and maximum."""

from __future__ import annotations

import math
import os
import statistics
import time
from collections.abc import Callable

# A slow measure (about a second a run at city scale) stops repeating once it
# has run this long, so that one pathological figure cannot stretch the run
# for an hour; its result then says how many runs were planned.
BUDGET_SECONDS = 90


def load_average() -> list[float]:
    """The machine's 1-, 5- and 15-minute load averages."""
    return [round(x, 2) for x in os.getloadavg()]


def with_load(measure: Callable[[], dict]) -> dict:
    """Run a measure; its result gains the load average at its start and end."""
    start = load_average()
    result = measure()
    return {**result, "load": {"start": start, "end": load_average()}}


def summary(samples_ms: list[float]) -> dict:
    """Median, p95 (nearest rank: with few runs it is the maximum, never an
    optimistic guess) and maximum of some latencies in milliseconds."""
    ordered = sorted(samples_ms)
    return {
        "median_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(ordered[math.ceil(0.95 * len(ordered)) - 1], 2),
        "max_ms": round(ordered[-1], 2),
        "runs": len(ordered),
    }


def timed(
    fn: Callable[[], object],
    runs: int,
    *,
    before: Callable[[], object] | None = None,
    budget_seconds: float | None = None,
) -> dict:
    """Time ``fn`` ``runs`` times, with the load average around it all.

    ``before`` runs ahead of each run, untimed (an edit whose effect is
    measured). With ``budget_seconds``, repetition stops once that much time
    has gone (after at least one run) and ``planned_runs`` is reported."""

    def measure() -> dict:
        samples = []
        began = time.perf_counter()
        for _ in range(runs):
            if before is not None:
                before()
            started = time.perf_counter()
            fn()
            samples.append((time.perf_counter() - started) * 1000)
            if budget_seconds is not None and time.perf_counter() - began > budget_seconds:
                break
        result = summary(samples)
        if len(samples) < runs:
            result["planned_runs"] = runs
        return result

    return with_load(measure)
