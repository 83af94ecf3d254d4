"""What coordinators and evaluators wait for: the impact overview (cold, after
a front-desk write, cached, right after an admin edit of a service or a
block), the front desk's writes while the impact facts are rebuilt, a
year's release of contacts, and DuckDB as a yardstick for the aggregates."""

from __future__ import annotations

import datetime as dt
import itertools
import multiprocessing
import queue as queues
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from caremgmt.core import actor, clock, reference
from caremgmt.core.db import connect, write_transaction
from caremgmt.impact import contact_facts, metrics
from caremgmt.scheduling import catalogue
from caremgmt.tools.bench.desk import registrar
from caremgmt.tools.bench.timing import BUDGET_SECONDS, summary, timed, with_load

ROOT = Path(__file__).resolve().parents[3]
MEASURES = (
    "impact_cold",
    "impact_cold_after_write",
    "impact_cached",
    "impact_after_service_edit",
    "impact_after_block_move",
)
DESK_WRITE_INTERVAL = 0.25  # seconds between the front desk's registrations during a rebuild


def year() -> metrics.Filters:
    end = clock.today()
    return metrics.Filters(end - dt.timedelta(days=364), end)


def overview(path: str) -> dict:
    """The overview as the impact page first asks for it (this year and the last,
    the first breakdown) on a fresh connection, no app cache."""
    db = connect(path)
    try:
        return metrics.overview(db, year(), metrics.DIMENSIONS[:1])
    finally:
        db.close()


def measure(path: str, user: actor.User, repeat: int, slow_repeat: int) -> dict:
    from streamlit import cache_data

    overview(path)  # not timed: brings the facts up to date after the desk measures' writes
    cold = timed(lambda: overview(path), slow_repeat, budget_seconds=BUDGET_SECONDS)

    def a_write() -> None:
        # As after a roster save at the front desk: the latest day's facts are stale and rebuilt on read.
        db = connect(path)
        try:
            with write_transaction(db):
                db.execute(
                    "UPDATE contact_days SET stale = 1 WHERE day = (SELECT max(day) FROM contact_days"
                    " WHERE day <= ? AND facts IS NOT NULL)",
                    [clock.today().isoformat()],
                )
        finally:
            db.close()

    after_write = timed(lambda: overview(path), slow_repeat, before=a_write, budget_seconds=BUDGET_SECONDS)
    cached_overview = cache_data(ttl=600, max_entries=64, show_spinner=False)(overview)
    cached_overview(path)
    return {
        "impact_cold": cold,
        "impact_cold_after_write": after_write,
        "impact_cached": timed(lambda: cached_overview(path), repeat),
        **after_edits(path, user, slow_repeat),
    }


# --- right after an admin edit ---------------------------------------------------

SERVICE_FIELDS = (
    "code",
    "category",
    "kind",
    "audience",
    "name_es",
    "name_en",
    "default_minutes",
    "min_age",
    "max_age",
    "care_need",
    "care_hours_rule",
    "hours_per_unit",
)


def after_edits(path: str, user: actor.User, runs: int) -> dict:
    """The cold overview right after an admin changes the category of the
    activity with the most sessions (as the services page saves it) and right
    after the block with the most sessions moves to another locality (as the
    blocks page saves it). The edits alternate there and back, untimed; the
    original values are restored at the end."""
    db = connect(path)
    try:
        (service_id,) = db.execute(
            "SELECT s.service_id FROM sessions s JOIN services v ON v.id = s.service_id AND v.kind = 'activity'"
            " GROUP BY s.service_id ORDER BY count(*) DESC LIMIT 1"
        ).fetchone()
        service = catalogue.get_service(db, service_id)
        other_category = next(c for c in catalogue.CATEGORIES if c not in (service["category"], "laundry"))
        (block_code,) = db.execute(
            "SELECT block_code FROM sessions GROUP BY block_code ORDER BY count(*) DESC LIMIT 1"
        ).fetchone()
        block = next(b for b in reference.blocks(db, include_closed=True) if b["code"] == block_code)
        other_locality = next(code for code in reference.localities(db) if code != block["locality_code"])

        def categorise(category: str) -> None:
            data = {field: service[field] for field in SERVICE_FIELDS}
            catalogue.save_service(db, user, {**data, "category": category}, service_id)

        def relocate(locality_code: int) -> None:
            reference.update_block(
                db, user, block_code, name=block["name"], locality_code=locality_code, active=bool(block["active"])
            )

        service_edit = _after_edit(path, runs, categorise, service["category"], other_category)
        service_edit["edit"] = f"service {service['code']}: category {service['category']} <-> {other_category}"
        block_move = _after_edit(path, runs, relocate, block["locality_code"], other_locality)
        block_move["edit"] = f"block {block_code}: locality {block['locality_code']} <-> {other_locality}"
        return {"impact_after_service_edit": service_edit, "impact_after_block_move": block_move}
    finally:
        db.close()


def _after_edit(path: str, runs: int, edit: Callable[[object], None], original: object, other: object) -> dict:
    values = itertools.cycle((other, original))
    try:
        return timed(lambda: overview(path), runs, before=lambda: edit(next(values)), budget_seconds=BUDGET_SECONDS)
    finally:
        edit(original)  # no write when the last edit already put it back


# --- the front desk during a full rebuild of the facts -----------------------------


def _rebuild(path: str, reports) -> None:
    """In its own process: mark every day's facts stale (as an upgrade does) and rebuild them all."""
    try:
        db = connect(path)
        reports.put(("started", None))
        started = time.perf_counter()
        contact_facts.mark_all_stale(db)
        marked = time.perf_counter()
        days = contact_facts.refresh(db)
        done = time.perf_counter()
        db.close()
        seconds = {"mark_seconds": round(marked - started, 2), "rebuild_seconds": round(done - marked, 2)}
        reports.put(("done", {**seconds, "days_rebuilt": days}))
    except Exception as e:
        reports.put(("failed", f"{type(e).__name__}: {e}"[:300]))


def desk_during_rebuild(path: str, user: actor.User, interval: float = DESK_WRITE_INTERVAL) -> dict:
    """While another process marks every day's impact facts stale and rebuilds
    them all, register a caregiver every ``interval`` seconds from this process
    (at once when the last one took longer): how long does each front-desk
    write take, and how long does the rebuild?"""
    return with_load(lambda: _desk_during_rebuild(path, user, interval))


def _desk_during_rebuild(path: str, user: actor.User, interval: float) -> dict:
    context = multiprocessing.get_context("spawn")
    reports = context.Queue()
    rebuild = context.Process(target=_rebuild, args=(path, reports))
    rebuild.start()
    try:
        report = reports.get(timeout=120)  # the desk starts writing once the rebuild process is up
    except queues.Empty:
        report = ("failed", f"the rebuild process did not start (exit code {rebuild.exitcode})")
    latencies, errors = [], []
    if report[0] == "started":
        report = None
        db = connect(path)
        register = registrar(db, user, seed=12)
        next_at = time.perf_counter()
        try:
            while report is None:
                time.sleep(max(0.0, next_at - time.perf_counter()))
                started = time.perf_counter()
                try:
                    register()
                except Exception as e:  # "database is locked" is what a desk would see
                    errors.append(f"{type(e).__name__}: {e}"[:200])
                latencies.append((time.perf_counter() - started) * 1000)
                next_at = max(next_at + interval, time.perf_counter())
                try:
                    report = reports.get(timeout=5) if not rebuild.is_alive() else reports.get_nowait()
                except queues.Empty:
                    if not rebuild.is_alive():
                        report = ("failed", f"the rebuild process ended (exit code {rebuild.exitcode}) unreported")
        finally:
            db.close()
    if report[0] == "failed" and rebuild.is_alive():
        rebuild.terminate()  # it never got going
    rebuild.join()
    kind, detail = report
    result = {**(summary(latencies) if latencies else {"runs": 0}), "writes": len(latencies), "interval_s": interval}
    result.update({"errors": len(errors), "error_samples": errors[:5]})
    if kind == "done":
        result.update(detail)
    else:
        result["rebuild_error"] = detail
    return result


# --- a year's release of contacts, and DuckDB ---------------------------------------


def release(path: str) -> dict:
    """A release of every contact of the last year (the year up to the latest
    session held), as an evaluator takes it from the command line."""

    def measure() -> dict:
        out = Path(tempfile.mkdtemp()) / "contacts.csv"
        db = connect(path)
        last = dt.date.fromisoformat(db.execute("SELECT max(substr(starts_at, 1, 10)) FROM sessions").fetchone()[0])
        db.close()
        first = last - dt.timedelta(days=364)
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        started = time.perf_counter()
        command = ["export", "contacts", "--out", str(out), "--from", str(first), "--to", str(last), "--accept-warning"]
        done = subprocess.run(
            [sys.executable, "-m", "caremgmt", "--db", path, *command],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=True,
        )
        seconds = time.perf_counter() - started
        rows = int(done.stdout.split("contacts ")[1].split(" rows")[0])
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        return {
            "rows": rows,
            "seconds": round(seconds, 2),
            "rows_per_second": int(rows / seconds),
            "peak_mb": round(max(peak_kb, before) / 1024, 1),
        }

    return with_load(measure)


DUCK_QUERIES = {
    "people_served": "SELECT count(DISTINCT person_id) FROM contacts"
    " WHERE status = 'present' AND starts_at >= ? AND starts_at < ?",
    "service_contacts": "SELECT count(*) FROM contacts WHERE status = 'present' AND starts_at >= ? AND starts_at < ?",
    "monthly": "SELECT substr(starts_at, 1, 7), count(DISTINCT person_id), count(*) FROM contacts"
    " WHERE status = 'present' AND starts_at >= ? AND starts_at < ? GROUP BY 1",
    "by_block": "SELECT block_code, count(DISTINCT person_id), count(*) FROM contacts"
    " WHERE status = 'present' AND starts_at >= ? AND starts_at < ? GROUP BY 1",
    "by_category": "SELECT category, count(DISTINCT person_id), count(*) FROM contacts"
    " WHERE status = 'present' AND starts_at >= ? AND starts_at < ? GROUP BY 1",
    "by_age_band": "SELECT CASE WHEN age < 6 THEN '0-5' WHEN age < 12 THEN '6-11' WHEN age < 18 THEN '12-17'"
    " WHEN age < 29 THEN '18-28' WHEN age < 60 THEN '29-59' ELSE '60+' END, count(DISTINCT person_id), count(*)"
    " FROM contacts WHERE status = 'present' AND starts_at >= ? AND starts_at < ? GROUP BY 1",
}


def duckdb(path: str, sqlite_cold_ms: float) -> dict:
    """The same aggregates over the same rows in DuckDB (loaded from SQLite,
    load not timed): a yardstick for what SQL aggregation can do here."""
    return with_load(lambda: _duckdb(path, sqlite_cold_ms))


def _duckdb(path: str, sqlite_cold_ms: float) -> dict:
    try:
        import duckdb
    except ImportError:
        return {"error": "duckdb is not installed (pip install -r requirements-dev.txt)", "ratio": None}
    import pandas as pd

    db = connect(path)
    try:
        frame = pd.read_sql_query(
            "SELECT a.person_id, a.status, s.starts_at, s.block_code, v.category,"
            " CAST(substr(s.starts_at, 1, 4) AS INTEGER) - CAST(substr(p.birth_date, 1, 4) AS INTEGER) AS age"
            " FROM attendance a JOIN sessions s ON s.id = a.session_id JOIN services v ON v.id = s.service_id"
            " JOIN persons p ON p.id = a.person_id",
            db.conn,
        )
    finally:
        db.close()
    duck = duckdb.connect()
    duck.register("contacts_frame", frame)
    duck.execute("CREATE TABLE contacts AS SELECT * FROM contacts_frame")
    period = year()
    params = [period.start.isoformat(), (period.end + dt.timedelta(days=1)).isoformat()]

    def all_queries() -> None:
        for sql in DUCK_QUERIES.values():
            duck.execute(sql, params).fetchall()

    duck_ms = timed(all_queries, 3)
    sqlite_subset = _sqlite_subset(path, period)
    return {
        "duckdb_same_queries": duck_ms,
        "sqlite_same_queries": sqlite_subset,
        "ratio": round(sqlite_subset["median_ms"] / max(duck_ms["median_ms"], 0.01), 2),
        "sqlite_full_overview_ms": sqlite_cold_ms,
    }


def _sqlite_subset(path: str, period: metrics.Filters) -> dict:
    db = connect(path)
    try:

        def same() -> None:
            facts = metrics.facts_for(db, period)
            metrics.headlines(db, period, facts)  # people served and contacts, with the other headline figures
            metrics.monthly(db, period, facts)
            for dimension in ("block", "category", "age_band"):
                metrics.breakdown(db, period, dimension, facts)

        return timed(same, 3)
    finally:
        db.close()
