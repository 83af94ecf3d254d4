"""Synthetic case management for demo caregivers, in realistic proportions:
about one caregiver in ten has a case (assessments, goals, notes, referrals,
tasks), and a few percent have a diploma, certificate, job or business.
Everything goes through the service functions, so every rule holds."""

from __future__ import annotations

import datetime as dt
import random

from sqlite_utils import Database

from caremgmt.casework import cases, outcomes, referrals
from caremgmt.core import clock
from caremgmt.core.actor import User
from caremgmt.core.errors import CareError

CASE_RATE = 0.10
OUTCOME_RATES = {
    "secondary_diploma": 0.03,
    "primary_diploma": 0.01,
    "technical_certificate": 0.03,
    "job": 0.02,
    "business": 0.01,
}
NOTES = (
    "Primera entrevista: refiere sobrecarga de cuidado y cansancio.",
    "Seguimiento telefónico: asiste a las clases con regularidad.",
    "Se orienta sobre la ruta de atención y los servicios de la manzana.",
    "Manifiesta interés en terminar el bachillerato.",
    "Se acuerda revisar la situación de ingresos en la próxima cita.",
)
CONFIDENTIAL_NOTES = (
    "Refiere situación de violencia intrafamiliar; se activa la ruta de protección.",
    "Se comparte información de salud mental con consentimiento de la persona.",
)
SCHOOLS = (
    "IED Bosa Nova",
    "Colegio Distrital Kennedy",
    "IED San Cristóbal Sur",
    "Colegio Manuelita Sáenz",
    "IED Usme Centro",
)


def generate_cases(db: Database, rng: random.Random, caregiver_ids: list[int], actor: User) -> None:
    today = clock.today()
    workers = sorted(u["id"] for u in cases.case_workers(db, actor))
    institutions = [r[0] for r in db.execute("SELECT id FROM institutions WHERE active = 1 ORDER BY id")]
    for person_id in caregiver_ids:
        try:
            if rng.random() < CASE_RATE:
                _case(db, rng, actor, person_id, workers, institutions, today)
            for kind, rate in OUTCOME_RATES.items():
                if rng.random() < rate:
                    _outcome(db, rng, actor, person_id, kind, today)
        except CareError:
            continue  # e.g. a diploma date too early for a young caregiver: simply not made


def _case(db, rng, actor, person_id, workers, institutions, today) -> None:
    case_id = cases.open_case(
        db,
        actor,
        person_id,
        priority=rng.choices(cases.PRIORITIES, (3, 5, 2))[0],
        case_worker_id=rng.choice(workers) if workers else None,
    )
    for _ in range(rng.randint(1, 2)):
        cases.record_assessment(db, actor, case_id, {d: rng.randint(1, 5) for d in cases.DOMAINS})
    cases.add_goal(
        db,
        actor,
        case_id,
        rng.choice(cases.DOMAINS),
        "Fortalecer redes de apoyo y autonomía económica",
        today + dt.timedelta(days=rng.randint(30, 270)),
    )
    for _ in range(rng.randint(1, 4)):
        confidential = rng.random() < 0.2
        cases.add_note(
            db, actor, case_id, rng.choice(CONFIDENTIAL_NOTES if confidential else NOTES), confidential=confidential
        )
    for _ in range(rng.choices((0, 1, 2, 3), (3, 4, 2, 1))[0]):
        if rng.random() < 0.25:
            programme = rng.choice(("secondary_completion", "primary_completion", "technical_training"))
            try:
                referrals.make_referral(db, actor, case_id, reason="Continuar estudios", programme=programme)
            except CareError:
                continue
        elif institutions:
            referral_id = referrals.make_referral(
                db, actor, case_id, reason="Orientación especializada", institution_id=rng.choice(institutions)
            )
            for status in rng.choice(((), ("accepted",), ("accepted", "completed"), ("rejected",))):
                referrals.set_status(db, actor, referral_id, status)
    if workers and rng.random() < 0.6:
        cases.add_task(
            db,
            actor,
            case_id,
            "Llamada de seguimiento",
            today + dt.timedelta(days=rng.randint(0, 21)),
            rng.choice(workers),
        )


def _outcome(db, rng, actor, person_id, kind, today) -> None:
    achieved = today - dt.timedelta(days=rng.randint(10, 900))
    data = {"kind": kind, "achieved_on": achieved}
    if kind in outcomes.NEEDS_INSTITUTION:
        data["institution"] = rng.choice(SCHOOLS) if kind != "technical_certificate" else "SENA"
        data["evidence"] = f"Acta {rng.randint(100, 9999)}"
    if kind == "technical_certificate":
        data.update(
            course=rng.choice(("Cocina", "Cuidado de personas mayores", "Confección", "Sistemas")),
            hours=rng.choice((40, 120, 240)),
        )
    if kind in ("job", "business"):
        data["description"] = rng.choice(("Auxiliar de cocina", "Venta de comidas", "Confección", "Peluquería"))
    outcomes.record_outcome(db, actor, person_id, data)
