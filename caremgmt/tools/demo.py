"""Synthetic, realistic-looking data for demos and tests: people (here), their
programme of sessions, bookings, attendance and laundry (demo_programme), and
cases, referrals and outcomes (demo_cases).

Deterministic for a given seed on a given database: the same seed on a
fresh database gives the same people. Documents already present are drawn
again, so a second run adds people instead of failing.
"""

from __future__ import annotations

import datetime as dt
import random

from sqlite_utils import Database

from caremgmt.core import reference
from caremgmt.core.actor import SYSTEM, User
from caremgmt.core.clock import today as bogota_today
from caremgmt.registry import vocab
from caremgmt.registry.persons import find_by_document, register_caregiver
from caremgmt.tools.demo_cases import generate_cases
from caremgmt.tools.demo_programme import generate_programme

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


def _name(rng: random.Random, female: bool) -> tuple[str, str]:
    first = rng.choice(FEMALE_NAMES if female else MALE_NAMES)
    if rng.random() < 0.5:
        first += " " + rng.choice(FEMALE_SECOND if female else MALE_NAMES)
    return first, f"{rng.choice(SURNAMES)} {rng.choice(SURNAMES)}"


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


def _dependent(rng: random.Random, db: Database, today: dt.date) -> dict:
    kind = rng.choices(("child", "older", "disability"), weights=(6, 3, 1))[0]
    female = rng.random() < 0.5
    first, last = _name(rng, female)
    if kind == "child":
        born = _birth_date(rng, today, 0, 4)
        doc_type = "RC" if rng.random() < 0.85 else None
        need, relationship = "child_under_6", rng.choice(("child", "grandchild"))
    elif kind == "older":
        born = _birth_date(rng, today, 62, 92)
        doc_type, need, relationship = "CC", "older_person", rng.choice(("parent", "grandparent", "spouse"))
    else:
        born = _birth_date(rng, today, 8, 50)
        age_years = (today - born).days // 365
        doc_type = "TI" if 7 <= age_years <= 17 else ("CC" if age_years >= 18 else "RC")
        need, relationship = "disability", rng.choice(("child", "sibling", "spouse"))
    return {
        "first_names": first,
        "last_names": last,
        "birth_date": born.isoformat(),
        "sex": "F" if female else "M",
        "doc_type": doc_type,
        "doc_number": _document(rng, db, doc_type) if doc_type else None,
        "disability": rng.choice(vocab.DISABILITIES[1:]) if need == "disability" else "none",
        "relationship": relationship,
        "care_need": need,
    }


def generate(db: Database, persons: int, seed: int = 1, actor: User = SYSTEM) -> int:
    """Register about ``persons`` people (caregivers plus dependents); returns how many."""
    rng = random.Random(seed)
    today = bogota_today()
    blocks = [b for b in reference.blocks(db) if b["kind"] == "block"]
    created, caregivers = 0, []
    while created < persons:
        block = rng.choice(blocks)
        female = rng.random() < 0.92  # the programme's caregivers are almost all women
        first, last = _name(rng, female)
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
        dependents = [_dependent(rng, db, today) for _ in range(rng.choices((1, 2, 3), weights=(60, 30, 10))[0])]
        consents = {"registration": True, "reminders": rng.random() < 0.7, "research": rng.random() < 0.5}
        caregivers.append(
            register_caregiver(db, actor, caregiver, dependents, consents, confirmed_new=True, today=today)
        )
        created += 1 + len(dependents)
    generate_programme(db, rng, caregivers, actor)
    generate_cases(db, rng, caregivers, actor)
    return created
