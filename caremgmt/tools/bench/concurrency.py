"""Many front desks at once: writer processes register caregivers and book
them for a while; then every acknowledged write must be there and no
session over capacity."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import random
import time

from caremgmt.core import actor, clock
from caremgmt.core.db import connect
from caremgmt.registry import persons
from caremgmt.scheduling import booking
from caremgmt.tools.bench.desk import bench_user


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


def run(path: str, writers: int, seconds: float) -> dict:
    """``writers`` processes register and book for ``seconds``; then check that
    every acknowledged write is there and no session is over capacity."""
    db = connect(path)
    user = bench_user(db)
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
