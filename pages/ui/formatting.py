"""How pages write things a person reads: vocabulary labels, a person or a
session on one line, a service's name in the user's language."""

from __future__ import annotations

import datetime as dt

from caremgmt.core.clock import today
from caremgmt.registry.validation import age_on
from caremgmt.scheduling.catalogue import service_name
from pages.ui.session import language, tr


def label(group: str, value: object) -> str:
    return tr(f"{group}.{value}") if value not in (None, "") else "—"


def person_line(person: dict) -> str:
    """'María Pérez · CC 1023 · 34 años' for lists of people."""
    parts = [person.get("full_name") or f"{person['first_names']} {person['last_names']}"]
    if person.get("doc_type"):
        parts.append(f"{person['doc_type']} {person['doc_number']}")
    if person.get("birth_date"):
        parts.append(tr("common.age", age=age_on(dt.date.fromisoformat(person["birth_date"]), today())))
    return " · ".join(parts)


def service_label(row: dict) -> str:
    """A service's name in the user's language (rows carry name_es and name_en)."""
    return service_name(row, language())


def session_line(session: dict) -> str:
    """'Lun 23/11 08:00–11:00 · Validación del bachillerato · Aula 1'."""
    start = dt.datetime.fromisoformat(session["starts_at"])
    weekday = tr(f"weekday.{start.weekday()}")
    parts = [f"{weekday} {start:%d/%m} {start:%H:%M}–{session['ends_at'][11:]}", service_label(session)]
    if session.get("room"):
        parts.append(session["room"])
    return " · ".join(parts)
