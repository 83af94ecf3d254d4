"""The benchmark: ``python -m caremgmt bench [--db PATH]``.

Measures, on a database built by ``demo --scale city`` (or ``small``), what
front-desk staff and coordinators wait for, prints a table, writes JSON, and
checks the speed targets of issues #6 and #12. It measures; it never asserts
speed (tests only check that every figure is produced).

The machine is shared, so every figure carries the load average when its
measure started and ended, and each timing is a median, p95 and maximum over
enough runs for a p95 (see timing.py). The measures:

- desk.py: find by document and by name, register, book, save a roster;
- impact.py: the impact overview cold, after a desk write, cached, right
  after a service edit and a block relocation; front-desk registrations while
  another process rebuilds every day's facts; a year's release of contacts; DuckDB;
- pages.py: whole page runs; concurrency.py: many desks writing at once;
- scales.py (opt-in): registration and name search on a copy of the registry
  grown to 2x, 4x... its size;
- report.py: targets, the table, and (--compare) each desk operation's cost
  growth from a smaller run.
"""

from __future__ import annotations

import json
import os
import platform
import sqlite3
from pathlib import Path

from caremgmt.core import clock
from caremgmt.core.db import connect
from caremgmt.tools.bench import concurrency, desk, impact, pages, report, scales
from caremgmt.tools.bench.report import TARGETS, table
from caremgmt.tools.bench.timing import load_average, with_load

__all__ = ["TARGETS", "main", "run", "table"]


def run(
    path: str,
    repeat: int = 200,
    slow_repeat: int = 60,
    concurrency_seconds: int = 60,
    writers: int = 20,
    registry_scales: tuple[int, ...] = (),
    compare: dict | None = None,
    compare_source: str = "",
) -> dict:
    """Every measure, in order; ``repeat`` runs of each quick one, ``slow_repeat``
    of each that takes about a second at city scale (impact figures, pages)."""
    os.environ["CAREMGMT_DB"] = path
    db = connect(path)
    try:
        user = desk.bench_user(db)
        results: dict = {"database": path, "machine": _machine(), "counts": _counts(db), "at": clock.now_iso()}
        results["load_at_start"] = load_average()
        results.update(desk.measure(db, user, repeat))
    finally:
        db.close()
    results.update(impact.measure(path, user, repeat, slow_repeat))
    # After the edits above, which may have left days stale: this rebuilds them all.
    results["desk_during_rebuild"] = impact.desk_during_rebuild(path, user)
    results["release_contacts"] = impact.release(path)
    results.update(pages.measure(path, user, slow_repeat))
    results["duckdb"] = impact.duckdb(path, results["impact_cold"]["median_ms"])
    results["concurrency"] = with_load(lambda: concurrency.run(path, writers, concurrency_seconds))
    if registry_scales:
        results["registry_scales"] = scales.measure(path, user, registry_scales, repeat)
    if compare is not None:
        results["growth"] = report.growth(results, compare, compare_source)
    results["targets"] = report.targets(results)
    results["load_at_end"] = load_average()
    return results


def main(
    path: str,
    out: str,
    repeat: int,
    seconds: int,
    writers: int,
    slow_repeat: int = 60,
    registry_scales: tuple[int, ...] = (),
    compare: str | None = None,
) -> int:
    smaller = json.loads(Path(compare).read_text(encoding="utf-8")) if compare else None  # fails before the run
    results = run(path, repeat, slow_repeat, seconds, writers, registry_scales, smaller, compare or "")
    Path(out).write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")
    print(table(results))
    print(f"results written to {out}")
    return 0


def _machine() -> dict:
    return {
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
    }


def _counts(db) -> dict:
    return {
        t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
        for t in ("persons", "sessions", "participants", "attendance", "cases", "case_notes", "referrals", "outcomes")
    }
