"""What the front desk does: find a person by document or by name, register
a caregiver (with the duplicate check), book a session, save a roster."""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import os
import random
from collections.abc import Callable

import pyotp
from sqlite_utils import Database

from caremgmt.core import actor, auth, clock, second_factor
from caremgmt.core.text import fold
from caremgmt.registry import persons
from caremgmt.registry.search import search_persons
from caremgmt.scheduling import attendance, booking
from caremgmt.tools.bench.timing import timed

# The measures of this module, in the order the table shows them.
MEASURES = ("find_by_document", "find_by_name", "register_caregiver", "book_session", "save_roster_40")
# The citizenship-card numbers the benchmark's registrations take (the city
# data set's are below, the concurrency writers' start with 8).
BENCH_DOCUMENTS = ("1900000000", "1999999999")


def bench_user(db: Database) -> actor.User:
    row = db.execute("SELECT id FROM users WHERE username = 'bench'").fetchone()
    if row:
        user = actor.User(row[0], "bench", "admin")
    else:
        user = auth.create_user(db, actor.SYSTEM, "bench", os.urandom(12).hex(), "admin")
    if not second_factor.enrolled(db, user.id):
        # An admin's role needs a second factor: one set up as a person would, whose secret
        # nobody keeps (nobody logs in as this account: its password was never shown either).
        secret = second_factor.begin(db, user).secret
        second_factor.confirm(db, user, pyotp.TOTP(secret).now())
    return user


def registrar(db: Database, user: actor.User, seed: int) -> Callable[[], int]:
    """A front desk registering test caregivers, each with a dependant, through
    persons.register_caregiver (validation, duplicate check, one transaction).
    Each gets a document number no earlier run of the benchmark on this
    database took."""
    (last,) = db.execute(
        "SELECT max(doc_number) FROM persons WHERE doc_type = 'CC' AND doc_number BETWEEN ? AND ?", BENCH_DOCUMENTS
    ).fetchone()
    numbers = itertools.count(int(last or BENCH_DOCUMENTS[0]) + 1)
    rng = random.Random(seed)

    def register() -> int:
        n = next(numbers)
        return persons.register_caregiver(
            db,
            user,
            {
                "doc_type": "CC",
                "doc_number": str(n),
                "first_names": "Banco",
                "last_names": f"Prueba {'abcdefghij'[n % 10]}{'abcdefghij'[n // 10 % 10]}",
                "birth_date": (dt.date(1970, 1, 1) + dt.timedelta(days=rng.randint(0, 12_000))).isoformat(),
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
                    # The most crowded birth-date window of the duplicate check: small children.
                    "birth_date": (clock.today() - dt.timedelta(days=700)).isoformat(),
                    "relationship": "child",
                    "care_need": "child_under_6",
                }
            ],
            {"registration": True},
            confirmed_new=True,  # the duplicate check still runs; staff said "a different person"
        )

    return register


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 5:
        return word
    i = rng.randrange(1, len(word) - 2)
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]  # two neighbouring letters swapped


def _caregivers_sample(db: Database, n: int) -> list[tuple]:
    return db.execute(
        "SELECT doc_number, first_names, last_names FROM persons WHERE doc_number IS NOT NULL AND is_caregiver = 1"
        " ORDER BY random() LIMIT ?",
        [n],
    ).fetchall()


def find_by_name(db: Database, user: actor.User, repeat: int, seed: int = 7) -> dict:
    """Name search as staff type it: the words in any order, one with a typo;
    ``found_share`` is how often the person was on the first page."""
    rng = random.Random(seed)
    found = []

    def by_name(row: tuple) -> None:
        words = fold(f"{row[1]} {row[2]}").split()
        rng.shuffle(words)
        words[0] = _typo(words[0], rng)
        page = search_persons(db, user, " ".join(words))
        wanted = fold(f"{row[1]} {row[2]}")
        found.append(any(fold(f"{r['first_names']} {r['last_names']}") == wanted for r in page.rows))

    names = itertools.cycle(_caregivers_sample(db, repeat))
    result = timed(lambda: by_name(next(names)), repeat)
    result["found_share"] = round(sum(found) / len(found), 3)
    return result


def measure(db: Database, user: actor.User, repeat: int) -> dict:
    rng = random.Random(7)
    docs = itertools.cycle([r[0] for r in _caregivers_sample(db, repeat)])
    results = {"find_by_document": timed(lambda: search_persons(db, user, next(docs)), repeat)}
    results["find_by_name"] = find_by_name(db, user, repeat)
    results["register_caregiver"] = timed(registrar(db, user, seed=7), repeat)
    results.update(_booking(db, user, rng, repeat))
    return results


def _booking(db: Database, user: actor.User, rng: random.Random, repeat: int) -> dict:
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
    pairs = iter(zip(caregivers, itertools.cycle(future), strict=False))

    def book_one() -> None:
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
