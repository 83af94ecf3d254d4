"""The benchmark: ``python -m caremgmt bench [--db PATH]``.

Measures, on a database built by ``demo --scale city`` (or ``small``), the
medians and 95th percentiles of what front-desk staff and coordinators do,
prints a table, writes JSON, and checks the speed targets of issue #6. It
measures; it never asserts speed (tests only check that every figure is
produced).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import multiprocessing
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from caremgmt.core import actor, auth, clock, sessions
from caremgmt.core.db import connect, write_transaction
from caremgmt.core.text import fold
from caremgmt.impact import metrics
from caremgmt.registry import persons
from caremgmt.registry.search import search_persons
from caremgmt.scheduling import attendance, booking

# Targets, 95th percentile in milliseconds unless named otherwise.
TARGETS = {
    "find_by_document": 5,
    "find_by_name": 100,
    "register_caregiver": 50,
    "book_session": 50,
    "save_roster_40": 50,
    "impact_cold": 1000,
    "impact_cold_after_write": 1000,
    "impact_cached": 100,
    "page_search": 500,
    "page_day": 500,
    "page_impact": 500,
    "page_impact_cold": 500,
}
ROOT = Path(__file__).resolve().parents[2]


def timed(fn: Callable[[], object], repeat: int) -> dict:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {
        "median_ms": round(statistics.median(samples), 2),
        "p95_ms": round(samples[int(0.95 * (len(samples) - 1))], 2),
        "runs": repeat,
    }


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 5:
        return word
    i = rng.randrange(1, len(word) - 2)
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]  # two neighbouring letters swapped


def _bench_user(db) -> actor.User:
    row = db.execute("SELECT id FROM users WHERE username = 'bench'").fetchone()
    if row:
        return actor.User(row[0], "bench", "admin")
    return auth.create_user(db, actor.SYSTEM, "bench", os.urandom(12).hex(), "admin")


def run(path: str, repeat: int = 200, concurrency_seconds: int = 60, writers: int = 20) -> dict:
    os.environ["CAREMGMT_DB"] = path
    db = connect(path)
    user = _bench_user(db)
    rng = random.Random(7)
    results: dict = {"database": path, "machine": _machine(), "counts": _counts(db), "at": clock.now_iso()}

    sample = db.execute(
        "SELECT doc_number, first_names, last_names FROM persons WHERE doc_number IS NOT NULL AND is_caregiver = 1"
        " ORDER BY random() LIMIT ?",
        [repeat],
    ).fetchall()
    docs = iter([r[0] for r in sample] * 2)
    results["find_by_document"] = timed(lambda: search_persons(db, user, next(docs)), repeat)

    found = []

    def by_name(row):
        words = fold(f"{row[1]} {row[2]}").split()
        rng.shuffle(words)
        words[0] = _typo(words[0], rng)
        page = search_persons(db, user, " ".join(words))
        wanted = fold(f"{row[1]} {row[2]}")
        found.append(any(fold(f"{r['first_names']} {r['last_names']}") == wanted for r in page.rows))

    names = iter(sample * 2)
    results["find_by_name"] = timed(lambda: by_name(next(names)), repeat)
    results["find_by_name"]["found_share"] = round(sum(found) / len(found), 3)

    counter = iter(range(10**9))
    results["register_caregiver"] = timed(lambda: _register(db, user, rng, next(counter)), repeat)
    results.update(_booking(db, user, rng, repeat))
    results.update(_impact(path, repeat))
    results["export_contacts"] = _export(path)
    results.update(_pages(path, user, max(5, repeat // 20)))
    results["duckdb"] = _duckdb(path, results["impact_cold"]["median_ms"])
    results["concurrency"] = concurrency(path, writers, concurrency_seconds)
    results["targets"] = {
        name: {"target_p95_ms": target, "p95_ms": results[name]["p95_ms"], "met": results[name]["p95_ms"] < target}
        for name, target in TARGETS.items()
    }
    results["targets"]["export_rows_per_second"] = {
        "target": 200_000,
        "value": results["export_contacts"]["rows_per_second"],
        "met": results["export_contacts"]["rows_per_second"] >= 200_000,
    }
    results["targets"]["export_peak_mb"] = {
        "target": 500,
        "value": results["export_contacts"]["peak_mb"],
        "met": results["export_contacts"]["peak_mb"] < 500,
    }
    if results["duckdb"].get("ratio") is not None:
        results["targets"]["duckdb_ratio"] = {
            "target": 3,
            "value": results["duckdb"]["ratio"],
            "met": results["duckdb"]["ratio"] <= 3,
        }
    db.close()
    return results


def _register(db, user, rng: random.Random, n: int) -> None:
    born = dt.date(1970, 1, 1) + dt.timedelta(days=rng.randint(0, 12_000))
    persons.register_caregiver(
        db,
        user,
        {
            "doc_type": "CC",
            "doc_number": str(1_900_000_000 + int(time.time()) % 50_000_000 * 10 + n % 10 + n * 100),
            "first_names": "Banco",
            "last_names": f"Prueba {'abcdefghij'[n % 10]}{'abcdefghij'[n // 10 % 10]}",
            "birth_date": born.isoformat(),
            "sex": "F",
            "phone": f"31{rng.randint(0, 99_999_999):08d}",
            "locality_code": 7,
            "registration_channel": "front_desk",
            "home_block": "BOSA",
        },
        [
            {
                "first_names": "Hija",
                "last_names": "Prueba",
                "birth_date": (clock.today() - dt.timedelta(days=700)).isoformat(),
                "relationship": "child",
                "care_need": "child_under_6",
            }
        ],
        {"registration": True},
        confirmed_new=True,
    )


def _booking(db, user, rng: random.Random, repeat: int) -> dict:
    now = clock.local_iso(clock.now_local())
    future = [
        r[0]
        for r in db.execute(
            "SELECT s.id FROM sessions s JOIN services v ON v.id = s.service_id"
            " AND v.audience = 'caregiver' AND v.kind = 'activity'"
            " WHERE s.starts_at > ? AND s.status = 'scheduled' ORDER BY s.starts_at LIMIT 400",
            [now],
        )
    ]
    caregivers = [
        r[0]
        for r in db.execute("SELECT id FROM persons WHERE is_caregiver = 1 ORDER BY random() LIMIT ?", [repeat * 2])
    ]
    pairs = iter(zip(caregivers, (future * (repeat // max(1, len(future)) + 2)), strict=False))

    def book_one():
        person_id, session_id = next(pairs)
        # An overlap with her own bookings is refused: still a full, refused attempt.
        with contextlib.suppress(booking.BookingRefused):
            booking.book(db, user, session_id, person_id)

    out = {"book_session": timed(book_one, repeat)}
    past = [
        r[0]
        for r in db.execute(
            "SELECT s.id FROM sessions s JOIN services v ON v.id = s.service_id AND v.kind = 'activity'"
            " WHERE s.starts_at < ? AND s.status = 'scheduled' ORDER BY s.starts_at DESC LIMIT ?",
            [now, repeat],
        )
    ]
    people = [r[0] for r in db.execute("SELECT id FROM persons ORDER BY random() LIMIT 40")]
    sessions = iter(past)
    out["save_roster_40"] = timed(
        lambda: attendance.save_roster(db, user, next(sessions), {p: rng.choice(attendance.STATUSES) for p in people}),
        min(repeat, len(past)),
    )
    return out


def _year() -> metrics.Filters:
    end = clock.today()
    return metrics.Filters(end - dt.timedelta(days=364), end)


def _impact(path: str, repeat: int) -> dict:
    from streamlit import cache_data

    def compute(filters: metrics.Filters) -> dict:
        db = connect(path)
        try:
            return metrics.overview(db, filters)
        finally:
            db.close()

    cold = timed(lambda: compute(_year()), 20)  # each run is the whole overview: this year and the last

    def after_a_write():
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
        compute(_year())

    stale = timed(after_a_write, 20)
    cached_compute = cache_data(ttl=600, max_entries=64, show_spinner=False)(compute)
    cached_compute(_year())
    return {
        "impact_cold": cold,
        "impact_cold_after_write": stale,
        "impact_cached": timed(lambda: cached_compute(_year()), repeat),
    }


def _export(path: str) -> dict:
    out = Path(tempfile.mkdtemp()) / "contacts.csv"
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "caremgmt", "--db", path, "export", "contacts", "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    seconds = time.perf_counter() - started
    rows = int(done.stdout.split("wrote ")[1].split(" rows")[0])
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {
        "rows": rows,
        "seconds": round(seconds, 2),
        "rows_per_second": int(rows / seconds),
        "peak_mb": round(max(peak_kb, before) / 1024, 1),
    }


def _pages(path: str, user: actor.User, repeat: int) -> dict:
    from streamlit import cache_data
    from streamlit.testing.v1 import AppTest

    database = connect(path)
    try:
        login_session, _ = sessions.start(database, user)  # as the login form makes one
    finally:
        database.close()
    out = {}
    for name, page, state in (
        ("page_search", "pages/desk/search.py", {"search_query": "maria rodriguez"}),
        ("page_day", "pages/activities/day.py", {}),
        ("page_impact", "pages/impact/impact.py", {}),
    ):
        at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=600)
        at.session_state["login_session"] = login_session
        at.run()
        at.switch_page(page)
        for key, value in state.items():
            at.session_state[key] = value
        at.run()  # the first run fills caches, as the first coordinator of the day would
        out[name] = timed(at.run, repeat)
        out[name]["errors"] = [str(e.value)[:200] for e in at.exception]
        if name == "page_impact":  # and for the first coordinator of the day, nothing cached

            def run_cold(at=at):
                cache_data.clear()
                at.run()

            out["page_impact_cold"] = timed(run_cold, repeat)
            out["page_impact_cold"]["errors"] = [str(e.value)[:200] for e in at.exception]
    return out


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


def _duckdb(path: str, sqlite_cold_ms: float) -> dict:
    """The same aggregates over the same rows in DuckDB (loaded from SQLite,
    load not timed): a yardstick for what SQL aggregation can do here."""
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
    year = _year()
    params = [year.start.isoformat(), (year.end + dt.timedelta(days=1)).isoformat()]

    def all_queries():
        for sql in DUCK_QUERIES.values():
            duck.execute(sql, params).fetchall()

    duck_ms = timed(all_queries, 3)
    sqlite_subset = _sqlite_subset(path, year)
    return {
        "duckdb_same_queries": duck_ms,
        "sqlite_same_queries": sqlite_subset,
        "ratio": round(sqlite_subset["median_ms"] / max(duck_ms["median_ms"], 0.01), 2),
        "sqlite_full_overview_ms": sqlite_cold_ms,
    }


def _sqlite_subset(path: str, year: metrics.Filters) -> dict:
    db = connect(path)
    try:

        def same():
            facts = metrics.facts_for(db, year)
            metrics.headlines(db, year, facts)  # people served and contacts, with the other headline figures
            metrics.monthly(db, year, facts)
            for dimension in ("block", "category", "age_band"):
                metrics.breakdown(db, year, dimension, facts)

        return timed(same, 3)
    finally:
        db.close()


# --- concurrency -------------------------------------------------------------


def _writer(path: str, seconds: float, worker: int, user_id: int, run_tag: int, queue) -> None:
    db = connect(path)
    user = actor.User(user_id, "bench", "admin")
    rng = random.Random(worker)
    ok = {"registered": 0, "booked": 0, "waitlisted": 0, "refused": 0, "errors": []}
    session_ids = [
        r[0]
        for r in db.execute(
            # Activities only: a laundry slot is booked through the laundry, and refused here.
            "SELECT s.id FROM sessions s JOIN services v ON v.id = s.service_id AND v.audience = 'caregiver'"
            " AND v.kind = 'activity'"
            " WHERE s.starts_at > ? AND s.status = 'scheduled' ORDER BY s.starts_at LIMIT 60",
            [clock.local_iso(clock.now_local())],
        )
    ]
    deadline = time.monotonic() + seconds
    n = 0
    while time.monotonic() < deadline:
        n += 1
        try:
            born = dt.date(1975, 1, 1) + dt.timedelta(days=rng.randint(0, 9000))
            person_id = persons.register_caregiver(
                db,
                user,
                # Unique across runs too: 8, the run's tag, the writer, a counter (10 digits).
                {
                    "doc_type": "CC",
                    "doc_number": f"8{run_tag:03d}{worker:02d}{n:04d}",
                    "first_names": "Concurrente",
                    "last_names": f"Escritora {'abcdefghij'[worker % 10]}",
                    "birth_date": born.isoformat(),
                    "sex": "F",
                    "locality_code": 7,
                    "registration_channel": "front_desk",
                    "home_block": "BOSA",
                },
                [],
                {"registration": True},
                confirmed_new=True,
            )
            ok["registered"] += 1
            result = booking.book(db, user, rng.choice(session_ids), person_id)
            ok[result[0].status] += 1
        except booking.BookingRefused:
            ok["refused"] += 1
        except Exception as e:
            ok["errors"].append(f"{type(e).__name__}: {e}"[:200])
    db.close()
    queue.put(ok)


def concurrency(path: str, writers: int, seconds: float) -> dict:
    """``writers`` processes register and book for ``seconds``; then check that
    every acknowledged write is there and no session is over capacity."""
    db = connect(path)
    user = _bench_user(db)
    before = db.execute("SELECT count(*) FROM persons WHERE first_names = 'Concurrente'").fetchone()[0]
    booked_before = db.execute(
        "SELECT count(*) FROM participants p JOIN persons x ON x.id = p.person_id WHERE x.first_names = 'Concurrente'"
    ).fetchone()[0]
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    run_tag = int(time.time()) % 1000
    processes = [
        context.Process(target=_writer, args=(path, seconds, i, user.id, run_tag, queue)) for i in range(writers)
    ]
    for p in processes:
        p.start()
    reports = [queue.get() for _ in processes]
    for p in processes:
        p.join()
    registered = sum(r["registered"] for r in reports)
    written = sum(r["booked"] + r["waitlisted"] for r in reports)
    persons_now = db.execute("SELECT count(*) FROM persons WHERE first_names = 'Concurrente'").fetchone()[0]
    participants_now = db.execute(
        "SELECT count(*) FROM participants p JOIN persons x ON x.id = p.person_id WHERE x.first_names = 'Concurrente'"
    ).fetchone()[0]
    over = db.execute("SELECT count(*) FROM sessions WHERE booked_count > capacity").fetchone()[0]
    drift = db.execute(
        "SELECT count(*) FROM sessions s WHERE booked_count <> (SELECT count(*) FROM participants p"
        " WHERE p.session_id = s.id AND p.status = 'booked')"
    ).fetchone()[0]
    db.close()
    errors = [e for r in reports for e in r["errors"]]
    return {
        "writers": writers,
        "seconds": seconds,
        "registrations": registered,
        "bookings": written,
        "refused_bookings": sum(r["refused"] for r in reports),
        "writes_per_second": round((registered + written) / seconds, 1),
        "lost_registrations": registered - (persons_now - before),
        "lost_bookings": written - (participants_now - booked_before),
        "errors": len(errors),
        "error_samples": errors[:5],
        "sessions_over_capacity": over,
        "booked_count_drift": drift,
    }


def _machine() -> dict:
    import platform
    import sqlite3

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


def table(results: dict) -> str:
    lines = [f"{'measure':<24}{'median ms':>12}{'p95 ms':>10}{'target':>10}  met"]
    for name, target in TARGETS.items():
        r = results[name]
        met = "yes" if r["p95_ms"] < target else "NO"
        lines.append(f"{name:<24}{r['median_ms']:>12.2f}{r['p95_ms']:>10.2f}{target:>10}  {met}")
    e = results["export_contacts"]
    lines.append(
        f"export_contacts: {e['rows']} rows in {e['seconds']} s = {e['rows_per_second']} rows/s, peak {e['peak_mb']} MB"
    )
    d = results["duckdb"]
    lines.append(f"duckdb ratio (sqlite / duckdb, same aggregates): {d.get('ratio')}")
    c = results["concurrency"]
    lines.append(
        f"concurrency: {c['writers']} writers x {c['seconds']} s: {c['registrations']} registrations,"
        f" {c['bookings']} bookings, lost {c['lost_registrations']}/{c['lost_bookings']},"
        f" errors {c['errors']}, over capacity {c['sessions_over_capacity']}"
    )
    lines.append(f"name search found the person in {results['find_by_name']['found_share']:.0%} of typo queries")
    return "\n".join(lines)


def main(path: str, out: str, repeat: int, seconds: int, writers: int) -> int:
    results = run(path, repeat=repeat, concurrency_seconds=seconds, writers=writers)
    Path(out).write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")
    print(table(results))
    print(f"results written to {out}")
    return 0
