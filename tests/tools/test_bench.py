"""The benchmark runs end to end on --scale small and produces every figure,
each with the load average it was taken under (its speed is measured by the
benchmark, never asserted here)."""

import contextlib
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from caremgmt.tools import bench
from caremgmt.tools.bench import report
from caremgmt.tools.bench.timing import summary, timed
from caremgmt.tools.cli import _parser

ROOT = Path(__file__).resolve().parents[2]


def _edited(path: Path) -> list:
    """What the service-edit and relocation measures change and must put back."""
    with contextlib.closing(sqlite3.connect(path)) as db:
        return (
            db.execute("SELECT code, category FROM services ORDER BY code").fetchall()
            + db.execute("SELECT code, locality_code, name, active FROM blocks ORDER BY code").fetchall()
        )


def _has_load(figure: dict) -> bool:
    load = figure["load"]
    return all(len(load[when]) == 3 and min(load[when]) >= 0 for when in ("start", "end"))


def test_small_scale_data_set_and_benchmark_produce_every_figure(tmp_path):
    path = tmp_path / "small.db"
    env = {**os.environ, "CAREMGMT_DB": str(path)}
    made = subprocess.run(
        [sys.executable, "-m", "caremgmt", "demo", "--scale", "small"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    counts = dict(pair.split("=") for pair in made.stdout.split())
    assert int(counts["persons"]) >= 2_500 and int(counts["attendance"]) >= 20_000
    assert int(counts["laundry_loads"]) > 1_000 and int(counts["cases"]) == 150 and int(counts["diplomas"]) == 12
    # A made-up smaller run to compare with: every desk operation at 0.5 ms median, 1 ms p95.
    smaller = tmp_path / "smaller.json"
    operations = {name: {"median_ms": 0.5, "p95_ms": 1.0} for name in report.DESK_OPERATIONS}
    smaller.write_text(json.dumps({"counts": {"persons": 100}, **operations}))
    edited_before = _edited(path)
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "caremgmt",
            "bench",
            "--db",
            str(path),
            "--repeat",
            "10",
            "--slow-repeat",
            "12",
            "--seconds",
            "2",
            "--writers",
            "3",
            "--registry-scales",
            "1,2",
            "--compare",
            str(smaller),
            "--out",
            str(out),
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads(out.read_text())
    for name in report.TIMED:
        figure = results[name]
        assert figure["runs"] > 0 and figure["max_ms"] >= figure["p95_ms"] >= figure["median_ms"] > 0, name
        assert _has_load(figure), name
        assert "planned_runs" not in figure, name  # at small scale no measure runs out of time
    assert set(report.TIMED) >= set(bench.TARGETS)
    for slow in ("impact_cold", "impact_after_service_edit", "impact_after_block_move", "page_impact_cold"):
        assert results[slow]["runs"] == 12, slow
    assert "category" in results["impact_after_service_edit"]["edit"]
    assert "locality" in results["impact_after_block_move"]["edit"]
    assert _edited(path) == edited_before  # every edit put back
    for page in ("page_search", "page_day", "page_impact", "page_impact_cold"):
        assert results[page]["errors"] == [], page
    assert results["find_by_name"]["found_share"] > 0.9

    rebuild = results["desk_during_rebuild"]
    assert "rebuild_error" not in rebuild, rebuild.get("rebuild_error")
    assert rebuild["writes"] == rebuild["runs"] >= 1 and (rebuild["errors"], rebuild["error_samples"]) == (0, [])
    assert rebuild["rebuild_seconds"] > 0 and rebuild["mark_seconds"] >= 0
    assert rebuild["days_rebuilt"] > 0

    assert results["release_contacts"]["rows"] > 1_000 and results["release_contacts"]["peak_mb"] > 0
    assert results["duckdb"]["ratio"] > 0
    concurrency = results["concurrency"]
    assert concurrency["registrations"] > 0 and concurrency["bookings"] > 0
    assert (concurrency["lost_registrations"], concurrency["lost_bookings"], concurrency["errors"]) == (0, 0, 0)
    assert (concurrency["sessions_over_capacity"], concurrency["booked_count_drift"]) == (0, 0)
    for name in ("release_contacts", "duckdb", "concurrency"):
        assert _has_load(results[name]), name
    assert len(results["load_at_start"]) == len(results["load_at_end"]) == 3

    base, scales = results["registry_scales"]["base_persons"], results["registry_scales"]["by_scale"]
    assert scales["1x"]["persons"] == base and scales["1x"]["growth"]["added_persons"] == 0
    assert scales["2x"]["persons"] >= 2 * base and _has_load(scales["2x"]["growth"])
    for scale in ("1x", "2x"):
        for name in ("register_caregiver", "find_by_name"):
            figure = scales[scale][name]
            assert figure["runs"] == 10 and figure["p95_ms"] >= figure["median_ms"] > 0 and _has_load(figure)
        assert scales[scale]["find_by_name"]["found_share"] > 0.9
    assert sorted(p.name for p in tmp_path.iterdir() if ".scale-" in p.name) == []  # the grown copy is gone

    growth = results["growth"]
    assert growth["persons"] == {"small": 100, "this_run": results["counts"]["persons"]}
    assert set(growth["measures"]) == set(report.DESK_OPERATIONS)
    for name, figures in growth["measures"].items():
        assert figures["ratio"] == round(results[name]["median_ms"] / 0.5, 2), name
        assert figures["p95_ratio"] == round(results[name]["p95_ms"] / 1.0, 2), name

    assert set(results["targets"]) >= set(bench.TARGETS) | {
        "release_seconds",
        "release_peak_mb",
        "duckdb_ratio",
        "register_caregiver_2x",
        "find_by_name_2x",
    }
    for line in (
        "load 1m",
        "find_by_document",
        "impact_after_block_move",
        "desk_during_rebuild:",
        "register_caregiver_2x",
        "release_contacts (a year):",
        "duckdb ratio",
        "concurrency:",
        "cost growth from",
    ):
        assert line in done.stdout, line


def test_p95_is_a_nearest_rank_never_below_the_samples_it_has():
    assert summary([float(n) for n in range(1, 21)]) == {"median_ms": 10.5, "p95_ms": 19.0, "max_ms": 20.0, "runs": 20}
    assert summary([5.0, 1.0])["p95_ms"] == 5.0  # two runs: the slower one
    ran = []
    figure = timed(lambda: ran.append("run"), 50, before=lambda: ran.append("before"), budget_seconds=0)
    assert ran == ["before", "run"] and figure["runs"] == 1 and figure["planned_runs"] == 50
    assert set(figure["load"]) == {"start", "end"}


def test_bench_options():
    parse = _parser().parse_args
    defaults = parse(["bench"])
    assert (defaults.repeat, defaults.slow_repeat, defaults.registry_scales, defaults.compare) == (200, 60, (), None)
    chosen = parse(["bench", "--registry-scales", "1,2,4", "--compare", "small.json", "--slow-repeat", "30"])
    assert (chosen.registry_scales, chosen.compare, chosen.slow_repeat) == ((1, 2, 4), "small.json", 30)
    for wrong in ("0,2", "two", ""):
        with pytest.raises(SystemExit):
            parse(["bench", "--registry-scales", wrong])
