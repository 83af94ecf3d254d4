"""The impact figures as a coordinator reads them: the tables behind the impact
page's charts and the data (CSV) offered beside each one.

Headers are in the reader's language and every value is labelled: a block or a
locality by its name, a service category, an age band, an ethnicity, a
disability or a migrant status in words, a stratum as the whole number it is
("2", never "2.0"), and a value nobody recorded as "Sin dato" ("Not recorded"),
never ``nan``, ``None`` or a catalogue key. The figures themselves come from
caremgmt.impact.metrics unchanged; months stay ISO ("2026-03"), so a
spreadsheet reads them as dates in either language.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass

from caremgmt.core.i18n import t
from caremgmt.core.spreadsheet import safe_cell

# The monthly series: the counts share one axis, the hours (another unit) get their own.
COUNT_SERIES = ("registrations", "people_served", "contacts")
HOUR_SERIES = ("care_hours",)
TREND_SERIES = COUNT_SERIES + HOUR_SERIES
# Dimensions whose values are vocabulary codes labelled "<group>.<value>" in the catalogue.
VOCABULARIES = ("category", "age_band", "ethnicity", "disability", "migrant_status", "sex", "education_level")
# Dimensions whose values are whole-number codes, shown as such.
WHOLE_NUMBERS = ("stratum",)
NOT_RECORDED = "impact.not_recorded"


@dataclass(frozen=True)
class Table:
    """Rows under headers in the reader's language."""

    columns: tuple[str, ...]
    rows: tuple[tuple, ...]

    def csv(self) -> bytes:
        """The table as the page offers it: UTF-8 CSV, headers first, no cell a
        spreadsheet would run as a formula."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow([safe_cell(c) for c in self.columns])
        writer.writerows([safe_cell(v) for v in row] for row in self.rows)
        return buffer.getvalue().encode("utf-8")


def missing(value: object) -> bool:
    """Nothing recorded: None, an empty text, or a float NaN (what a missing
    value becomes in a numeric table column)."""
    return value is None or value == "" or (isinstance(value, float) and math.isnan(value))


def value_label(dimension: str, value: object, language: str, names: dict[str, dict] | None = None) -> str:
    """One value of a breakdown ``dimension`` as a reader sees it. ``names`` maps
    "block" (code -> name) and "locality" (code -> name)."""
    if missing(value):
        return t(NOT_RECORDED, language)
    if dimension in ("block", "locality"):
        known = (names or {}).get(dimension, {})
        code = int(value) if dimension == "locality" else value
        return str(known.get(code, code))
    if dimension in WHOLE_NUMBERS:
        return str(int(value))
    if dimension in VOCABULARIES:
        key = f"{dimension}.{value}"
        text = t(key, language)
        return str(value) if text == key else text
    return str(value)


def series_title(series: str, language: str) -> str:
    return t(f"impact.series.{series}", language)


def trend(monthly: list[dict], language: str) -> Table:
    """Per month (metrics.monthly): people registered, people served, service
    contacts and care hours freed."""
    return Table(
        (t("impact.month", language), *(series_title(s, language) for s in TREND_SERIES)),
        tuple((m["month"], *(m[s] for s in TREND_SERIES)) for m in monthly),
    )


def breakdown(groups: list[dict], dimension: str, language: str, names: dict[str, dict] | None = None) -> Table:
    """People served and service contacts by one dimension (metrics.breakdown)."""
    return Table(
        (
            t(f"impact.dimension.{dimension}", language),
            t("metric.people_served.name", language),
            t("metric.service_contacts.name", language),
        ),
        tuple((value_label(dimension, g["value"], language, names), g["people_served"], g["contacts"]) for g in groups),
    )


def retention(steps: dict[str, int], language: str) -> Table:
    """The retention steps (metrics.retention), in order."""
    return Table(
        (t("impact.step", language), t("impact.people", language)),
        tuple((t(f"impact.retention.{step}", language), n) for step, n in steps.items()),
    )
