"""Synthetic, realistic-looking data for demos and tests: people (here), their
programme of sessions, bookings, attendance and laundry (demo_programme), and
cases, referrals and outcomes worked by the blocks' case workers (demo_cases).

Names are Colombian: one or two given names and two surnames, no part of a name
repeated; the people she cares for carry her surnames as Colombian naming gives
them (her children and grandchildren, her parents, her siblings). demo_city
names its people with the same functions.

Deterministic for a given seed on a given database: the same seed on a
fresh database gives the same people. Documents already present are drawn
again, so a second run adds people instead of failing.
"""

from __future__ import annotations

import datetime as dt
import random

from sqlite_utils import Database

from caremgmt.core import audit, reference
from caremgmt.core.actor import SYSTEM, User
from caremgmt.core.clock import today as bogota_today
from caremgmt.core.db import write_transaction
from caremgmt.core.text import fold
from caremgmt.registry import vocab
from caremgmt.registry.persons import find_by_document, register_caregiver
from caremgmt.tools.demo_cases import generate_cases
from caremgmt.tools.demo_programme import generate_programme

CACHE_KB = 200_000  # page cache while generating (SQLite default: 2 MB)

FEMALE_NAMES = (
    "María",
    "Luz",
    "Ana",
    "Sandra",
    "Martha",
    "Gloria",
    "Blanca",
    "Claudia",
    "Yolanda",
    "Rosa",
    "Carmen",
    "Diana",
    "Liliana",
    "Patricia",
    "Nelly",
    "Marlén",
    "Yaneth",
    "Sofía",
    "Ángela",
    "Mónica",
    "Paola",
    "Érika",
    "Jimena",
    "Lucía",
    "Inés",
    "Dolores",
    "Nohemí",
    "Adriana",
    "Yuliana",
    "Marisol",
    "Esperanza",
    "Fabiola",
    "Leidy",
    "Daniela",
    "Valentina",
)
FEMALE_SECOND = (
    "José",
    "Isabel",
    "Fernanda",
    "del Carmen",
    "Elena",
    "Alejandra",
    "Inés",
    "Cristina",
    "Andrea",
    "Teresa",
)
MALE_NAMES = (
    "José",
    "Luis",
    "Carlos",
    "Juan",
    "Andrés",
    "Jesús",
    "Óscar",
    "Héctor",
    "Julián",
    "Sebastián",
    "Nicolás",
    "Martín",
    "Tomás",
    "Samuel",
    "Matías",
    "Iván",
    "Ramón",
    "Álvaro",
)
SURNAMES = (
    "Rodríguez",
    "Gómez",
    "González",
    "Martínez",
    "García",
    "López",
    "Hernández",
    "Sánchez",
    "Ramírez",
    "Pérez",
    "Díaz",
    "Muñoz",
    "Rojas",
    "Moreno",
    "Jiménez",
    "Vargas",
    "Castro",
    "Gutiérrez",
    "Suárez",
    "Ortiz",
    "Peña",
    "Quiñónez",
    "Cárdenas",
    "Beltrán",
    "Ospina",
    "Ibáñez",
    "Mosquera",
    "Valencia",
    "Bermúdez",
    "Núñez",
    "Ríos",
    "Acuña",
    "Londoño",
)
NEIGHBOURHOODS = (
    "Lucero Alto",
    "Arborizadora Alta",
    "Patio Bonito",
    "El Tintal",
    "San Bernardino",
    "La Victoria",
    "Juan Rey",
    "Santa Librada",
    "Diana Turbay",
    "El Codito",
    "Las Cruces",
    "La Perseverancia",
    "Meissen",
    "Kennedy Central",
    "Tibabuyes",
    "Quiroga",
    "Marruecos",
)
MOBILE_PREFIXES = (
    "300",
    "301",
    "302",
    "304",
    "310",
    "311",
    "312",
    "313",
    "314",
    "315",
    "316",
    "317",
    "318",
    "320",
    "321",
    "322",
    "350",
)


# Given names by generation: the people cared for include small children and older persons.
CHILD_FEMALE_NAMES = (
    "Valentina",
    "Sofía",
    "Isabella",
    "Salomé",
    "Mariana",
    "Luciana",
    "Antonella",
    "Sara",
    "Gabriela",
    "Juliana",
    "Manuela",
    "Emily",
    "Danna",
    "Violeta",
)
CHILD_MALE_NAMES = (
    "Santiago",
    "Samuel",
    "Matías",
    "Emiliano",
    "Thiago",
    "Jerónimo",
    "Sebastián",
    "Nicolás",
    "Martín",
    "Tomás",
    "Dylan",
    "Maximiliano",
    "Juan",
    "Gabriel",
)
OLDER_FEMALE_NAMES = (
    "María",
    "Blanca",
    "Gloria",
    "Rosa",
    "Carmen",
    "Dolores",
    "Ana",
    "Inés",
    "Teresa",
    "Aura",
    "Leonor",
    "Mercedes",
    "Graciela",
    "Beatriz",
)
OLDER_MALE_NAMES = (
    "José",
    "Luis",
    "Jesús",
    "Ramón",
    "Álvaro",
    "Héctor",
    "Pedro",
    "Gustavo",
    "Alfonso",
    "Jorge",
    "Hernando",
    "Rafael",
    "Gilberto",
    "Octavio",
)
_PARTICLES = frozenset({"de", "del", "la", "las", "los"})  # "María del Carmen" repeats no name
# The people cared for who carry one of the caregiver's surnames (see relative_surnames).
_SHARED_SURNAMES = frozenset({"child", "grandchild", "parent", "sibling"})


_FOLDED: dict[str, frozenset[str]] = {}


def _folded(text: str) -> frozenset[str]:
    """The words of a name, folded (no accents, lower case), particles left out; cached."""
    words = _FOLDED.get(text)
    if words is None:
        words = _FOLDED[text] = frozenset(w for w in fold(text).split() if w not in _PARTICLES)
    return words


def _clash(words: frozenset[str], taken: frozenset[str]) -> bool:
    """A word already taken, or one that reads as a variant of it (Isabel Isabella, Martín Martínez)."""
    return any(
        a == b or (min(len(a), len(b)) >= 4 and (a.startswith(b) or b.startswith(a))) for a in words for b in taken
    )


def _pick(rng: random.Random, pool: tuple[str, ...], taken: frozenset[str]) -> str | None:
    """A name from ``pool`` that repeats no word of ``taken`` (None if every one does)."""
    for _ in range(8):
        name = rng.choice(pool)
        if not _clash(_folded(name), taken):
            return name
    return next((name for name in pool if not _clash(_folded(name), taken)), None)


def given_names(rng: random.Random, female: bool, surnames: str, generation: str = "adult") -> str:
    """One or two given names: no name twice, none that is (or reads like) one of ``surnames``."""
    first_pool = {
        "child": CHILD_FEMALE_NAMES if female else CHILD_MALE_NAMES,
        "older": OLDER_FEMALE_NAMES if female else OLDER_MALE_NAMES,
    }.get(generation, FEMALE_NAMES if female else MALE_NAMES)
    taken = _folded(surnames)
    first = _pick(rng, first_pool, taken) or ("Ana" if female else "Luis")
    if rng.random() < 0.5:
        second = _pick(rng, FEMALE_SECOND if female else MALE_NAMES, taken | _folded(first))
        if second:
            return f"{first} {second}"
    return first


def two_surnames(rng: random.Random, unlike: str = "") -> str:
    """Two different surnames, neither of them one of ``unlike``'s."""
    first = _pick(rng, SURNAMES, _folded(unlike))
    return f"{first} {_pick(rng, SURNAMES, _folded(unlike) | _folded(first))}"


def relative_surnames(
    rng: random.Random, caregiver: str, caregiver_female: bool, relationship: str, female: bool
) -> str:
    """The surnames of a person she cares for, by Colombian naming (a child's surnames are the
    father's first and the mother's first): her child and her grandchild carry her first surname
    (second from a woman, first from a man), her father her first, her mother her second, a
    sibling both; a spouse and anyone else have their own."""
    mine = caregiver.split(" ", 1)
    if len(mine) != 2 or relationship not in _SHARED_SURNAMES:
        return two_surnames(rng, caregiver)
    if relationship == "sibling":
        return caregiver
    own_first, own_second = mine
    other = _pick(rng, SURNAMES, _folded(caregiver))
    if relationship in ("child", "grandchild"):
        return f"{other} {own_first}" if caregiver_female else f"{own_first} {other}"
    return f"{own_second} {other}" if female else f"{own_first} {other}"


def full_name(rng: random.Random, female: bool) -> tuple[str, str]:
    """(given names, surnames) for an adult: one or two given names, two surnames, no part repeated."""
    last = two_surnames(rng)
    return given_names(rng, female, last), last


def _birth_date(rng: random.Random, today: dt.date, low: int, high: int) -> dt.date:
    return today - dt.timedelta(days=rng.randint(low * 365 + 1, high * 365 + 300))


def _document(rng: random.Random, db: Database, doc_type: str) -> str:
    while True:
        if doc_type == "CC":
            number = str(rng.randint(20_000_000, 1_099_999_999))
        elif doc_type in ("TI", "RC"):
            number = str(rng.randint(1_000_000_000, 1_299_999_999))
        elif doc_type == "PEP":
            number = str(rng.randint(10**14, 10**15 - 1))
        elif doc_type == "PPT":
            number = str(rng.randint(1_000_000, 9_999_999))
        else:
            number = str(rng.randint(100_000, 999_999))
        if not find_by_document(db, doc_type, number):
            return number


def _years_before(rng: random.Random, day: dt.date, low: int, high: int) -> dt.date:
    return day - dt.timedelta(days=rng.randint(low * 365, high * 365 + 300))


def _dependent(rng: random.Random, db: Database, today: dt.date, caregiver: dict) -> dict:
    """A person she cares for, of a generation that fits her age: a young child is her child
    or, once she is older, her grandchild; an older person her parent (older than she is by
    a generation) or, once she is older herself, her spouse or sibling."""
    kind = rng.choices(("child", "older", "disability"), weights=(6, 3, 1))[0]
    female = rng.random() < 0.5
    her_birth = dt.date.fromisoformat(caregiver["birth_date"])
    her_age = (today - her_birth).days // 365
    if kind == "child":
        born = _birth_date(rng, today, 0, 4)
        doc_type = "RC" if rng.random() < 0.85 else None
        need, generation = "child_under_6", "child"
        relationship = (
            "child" if her_age < 38 else "grandchild" if her_age >= 45 else rng.choice(("child", "grandchild"))
        )
    elif kind == "older":
        doc_type, need, generation = "CC", "older_person", "older"
        if her_age < 50:
            relationship = rng.choice(("parent", "parent", "grandparent"))
            gap = (18, 40) if relationship == "parent" else (40, 60)
            born = min(_years_before(rng, her_birth, *gap), _birth_date(rng, today, 62, 70))
            born = max(born, today - dt.timedelta(days=97 * 365))
        else:
            relationship = rng.choice(("spouse", "sibling"))
            born = _birth_date(rng, today, max(62, her_age - 5), max(62, her_age + 10))
    else:
        born = _birth_date(rng, today, 8, 50)
        age_years = (today - born).days // 365
        doc_type = "TI" if 7 <= age_years <= 17 else ("CC" if age_years >= 18 else "RC")
        need = "disability"
        if age_years <= her_age - 16:
            relationship = "child"
        else:
            relationship = "sibling" if age_years < 18 else rng.choice(("sibling", "spouse"))
        generation = "child" if age_years < 18 else "adult"
    last = relative_surnames(rng, caregiver["last_names"], caregiver["sex"] == "F", relationship, female)
    return {
        "first_names": given_names(rng, female, last, generation),
        "last_names": last,
        "birth_date": born.isoformat(),
        "sex": "F" if female else "M",
        "doc_type": doc_type,
        "doc_number": _document(rng, db, doc_type) if doc_type else None,
        "disability": rng.choice(vocab.DISABILITIES[1:]) if need == "disability" else "none",
        "relationship": relationship,
        "care_need": need,
        "legal_representative": relationship == "child" and generation == "child",  # a parent of a minor
    }


# The tables whose rows say whether a database is a demo's (migration 0013 marks them).
TABLES = ("users", "persons")


def real_rows(db: Database) -> dict[str, int]:
    """How many accounts and persons of ``db`` are real, i.e. not written by a demo
    generator (those are marked ``synthetic``). ``python -m caremgmt demo`` refuses to
    write into a database that has any, unless forced; the first-run setup offers demo
    data only to a database whose one account it has just made."""
    return {table: db.execute(f"SELECT count(*) FROM {table} WHERE synthetic = 0").fetchone()[0] for table in TABLES}


def record_load(db: Database, actor: User, added: dict[str, object]) -> None:
    """The one audit entry of a demo load: what it added and how many real rows the
    database held, as counts (never a row). Inside the load's last transaction."""
    audit.record(
        db,
        actor,
        "demo_load",
        "database",
        new={**added, **{f"real_{table}": n for table, n in real_rows(db).items()}},
    )


def generate(db: Database, persons: int, seed: int = 1, actor: User = SYSTEM) -> int:
    """Register about ``persons`` people (caregivers plus dependents) with their programme
    and cases, all marked synthetic, and audit the load; returns how many. One transaction:
    a run that fails leaves nothing behind, and the years of sessions are written without
    a commit per schedule. It does not look for real data (see ``real_rows``)."""
    (cache,) = db.execute("PRAGMA cache_size").fetchone()
    db.execute(f"PRAGMA cache_size = {-CACHE_KB}")  # the tables being filled stay in memory
    try:
        with write_transaction(db):
            return _generate(db, persons, seed, actor)
    finally:
        db.execute(f"PRAGMA cache_size = {cache}")


def _generate(db: Database, persons: int, seed: int, actor: User) -> int:
    rng = random.Random(seed)
    today = bogota_today()
    blocks = [b for b in reference.blocks(db) if b["kind"] == "block"]
    last_person, last_user = (
        db.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()[0] for table in ("persons", "users")
    )
    created, caregivers = 0, []
    while created < persons:
        block = rng.choice(blocks)
        female = rng.random() < 0.92  # the programme's caregivers are almost all women
        first, last = full_name(rng, female)
        migrant = rng.random() < 0.08
        doc_type = rng.choice(("PPT", "PEP", "CE")) if migrant else "CC"
        caregiver = {
            "doc_type": doc_type,
            "doc_number": _document(rng, db, doc_type),
            "first_names": first,
            "last_names": last,
            "birth_date": _birth_date(rng, today, 18, 75).isoformat(),
            "sex": "F" if female else "M",
            "gender_identity": "female" if female else "male",
            "phone": f"+57{rng.choice(MOBILE_PREFIXES)}{rng.randint(0, 9_999_999):07d}" if rng.random() < 0.9 else None,
            "locality_code": block["locality_code"],
            "neighbourhood": rng.choice(NEIGHBOURHOODS),
            "stratum": rng.choices((1, 2, 3, 4), weights=(35, 45, 17, 3))[0],
            "ethnicity": rng.choices(vocab.ETHNICITIES, weights=(88, 3, 6, 1, 1, 1))[0],
            "disability": rng.choices(vocab.DISABILITIES, weights=(92, 3, 1, 1, 1, 1, 1))[0],
            "migrant_status": "migrant_regular" if migrant else "colombian",
            "education_level": rng.choice(vocab.EDUCATION_LEVELS[:6]),
            "care_hours_per_day": rng.choice((4, 6, 8, 10, 12, 14)),
            "registration_channel": rng.choices(vocab.REGISTRATION_CHANNELS, weights=(70, 10, 15, 5))[0],
            "home_block": block["code"],
        }
        dependents = [
            _dependent(rng, db, today, caregiver) for _ in range(rng.choices((1, 2, 3), weights=(60, 30, 10))[0])
        ]
        consents = {"registration": True, "reminders": rng.random() < 0.7, "research": rng.random() < 0.5}
        caregivers.append(
            register_caregiver(db, actor, caregiver, dependents, consents, confirmed_new=True, today=today)
        )
        created += 1 + len(dependents)
    # The write lock is held since the start: every person after the last one is ours.
    db.execute("UPDATE persons SET synthetic = 1 WHERE id > ?", [last_person])
    generate_programme(db, rng, caregivers, actor)
    generate_cases(db, rng, caregivers, actor, lambda r: full_name(r, r.random() < 0.75))
    (users,) = db.execute("SELECT count(*) FROM users WHERE id > ? AND synthetic = 1", [last_user]).fetchone()
    record_load(db, actor, {"persons": created, "users": users, "seed": seed})
    return created
