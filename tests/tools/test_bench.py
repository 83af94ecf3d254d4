"""The benchmark runs end to end on --scale small and produces every figure
(its speed is measured by the benchmark, never asserted here)."""

import json
import os
import subprocess
import sys
from pathlib import Path

from caremgmt.tools import bench

ROOT = Path(__file__).resolve().parents[2]


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
            "--seconds",
            "2",
            "--writers",
            "3",
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
    for name in bench.TARGETS:
        assert results[name]["runs"] > 0 and results[name]["p95_ms"] >= results[name]["median_ms"] > 0, name
    for page in ("page_search", "page_day", "page_impact", "page_impact_cold"):
        assert results[page]["errors"] == [], page
    assert results["find_by_name"]["found_share"] > 0.9
    assert results["export_contacts"]["rows"] > 10_000 and results["export_contacts"]["peak_mb"] > 0
    assert results["duckdb"]["ratio"] > 0
    concurrency = results["concurrency"]
    assert concurrency["registrations"] > 0 and concurrency["bookings"] > 0
    assert (concurrency["lost_registrations"], concurrency["lost_bookings"], concurrency["errors"]) == (0, 0, 0)
    assert (concurrency["sessions_over_capacity"], concurrency["booked_count_drift"]) == (0, 0)
    assert set(results["targets"]) >= set(bench.TARGETS) | {"export_rows_per_second", "export_peak_mb", "duckdb_ratio"}
    for line in ("find_by_document", "export_contacts:", "duckdb ratio", "concurrency:"):
        assert line in done.stdout
