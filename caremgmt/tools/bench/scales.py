"""Desk operations on a registry several times the size of this one.

A copy of the database (beside it, deleted afterwards) grows by persons
only: more caregivers with the people they care for, their care links and
consents, written by the city data set's own generator (demo_city), which
keeps the registry's derived tables in step (the full-text index by trigger,
the name terms, and whatever else that generator fills). No sessions and no
attendance are added. At each scale, registration (through
persons.register_caregiver, with its duplicate check) and name search are
timed as at the desk."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import random
import sqlite3
import tempfile
import time
from pathlib import Path

from caremgmt.core import actor, clock
from caremgmt.core.db import connect
from caremgmt.tools import demo_city
from caremgmt.tools.bench.desk import find_by_name, registrar
from caremgmt.tools.bench.timing import timed, with_load

GROW_CHUNK = 100_000  # caregivers generated per pass (bounded memory)
PERSONS_PER_CAREGIVER = 2.33  # she and the people she cares for, in demo_city's generator


def measure(path: str, user: actor.User, factors: tuple[int, ...], repeat: int) -> dict:
    """The registry's size, how long the copy took, and per factor
    (``by_scale``: ``{"1x": ..., "2x": ...}``) the persons at that size, how
    long growing to it took, and the desk's timings there."""
    handle, name = tempfile.mkstemp(dir=Path(path).resolve().parent, prefix=f"{Path(path).stem}.scale-", suffix=".db")
    os.close(handle)
    copy = Path(name)
    by_scale = {}
    try:
        started = time.perf_counter()
        _copy(path, copy)
        copied = round(time.perf_counter() - started, 1)
        db = connect(str(copy))
        try:
            (base_persons,) = db.execute("SELECT count(*) FROM persons").fetchone()
            for factor in sorted(set(factors)):
                grown = with_load(lambda f=factor: _grow(db, base_persons * f))
                by_scale[f"{factor}x"] = {
                    "factor": factor,
                    "persons": db.execute("SELECT count(*) FROM persons").fetchone()[0],
                    "growth": grown,
                    "register_caregiver": timed(registrar(db, user, seed=factor), repeat),
                    "find_by_name": find_by_name(db, user, repeat, seed=factor),
                }
        finally:
            db.close()
    finally:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{copy}{suffix}").unlink(missing_ok=True)
    return {"base_persons": base_persons, "copy_seconds": copied, "by_scale": by_scale}


def _copy(path: str, copy: Path) -> None:
    """A consistent page-for-page copy (SQLite's online backup), WAL included."""
    source, target = sqlite3.connect(path), sqlite3.connect(copy)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()


def _grow(db, persons: int) -> dict:
    """Add caregivers, with the people they care for, until there are ``persons``."""
    started = time.perf_counter()
    (before,) = db.execute("SELECT count(*) FROM persons").fetchone()
    (earliest,) = db.execute("SELECT min(created_at) FROM persons").fetchone()
    start, today = dt.date.fromisoformat(earliest[:10]), clock.today()
    rng = random.Random(persons)
    db.execute("PRAGMA synchronous = OFF")  # a throwaway copy: speed over durability while loading
    db.execute(f"PRAGMA cache_size = {-demo_city.CACHE_KB}")
    have = before
    try:
        while have < persons:
            caregivers = min(GROW_CHUNK, max(1, round((persons - have) / PERSONS_PER_CAREGIVER)))
            demo_city._persons(
                db, rng, dataclasses.replace(demo_city.SCALES["city"], caregivers=caregivers), start, today
            )
            (have,) = db.execute("SELECT count(*) FROM persons").fetchone()
    finally:
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA cache_size = -2000")
    if have > before:
        for table in ("persons", "care_links", "consents"):  # as the city data set is analysed after its load
            db.execute(f"ANALYZE {table}")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return {"added_persons": have - before, "seconds": round(time.perf_counter() - started, 1)}
