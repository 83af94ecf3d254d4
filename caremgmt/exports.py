"""De-identified CSV exports for evaluators, from the same definitions the
impact pages use (caremgmt.metrics).

What makes them safe:
- no name, document, phone, address, note or other free text, ever;
- each person appears as a pseudonym: an HMAC-SHA256 of her id under a
  per-deployment secret ($CAREMGMT_EXPORT_SECRET, or one generated once and
  kept in the database), stable across exports, not reversible without it;
- microdata only for people with an active consent to research use (people
  cared for: through a caregiver's); the aggregate metrics count everyone;
- birth year instead of birth date, locality instead of address; where a
  combination of quasi-identifiers is shared by fewer than K persons it is
  generalised (decade, grouped categories), and if still rare, the whole row
  is suppressed but for the pseudonym;
- aggregate counts under 5 are suppressed, with complementary suppression so
  a total cannot give them away;
- no cell starts with a character a spreadsheet would run as a formula.

Every export is written to the audit log; rows stream to the file, so memory
stays bounded however large the export.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlite_utils import Database

from caremgmt import audit, clock, metrics
from caremgmt.auth import User, require
from caremgmt.db import write_transaction
from caremgmt.errors import ValidationError
from caremgmt.i18n import Message, t

KINDS = ("persons", "contacts", "laundry", "outcomes", "referrals", "metrics")
SEPARATORS = {"comma": ",", "semicolon": ";"}
K_ANONYMITY = 5
SMALL_CELL = 5
SUPPRESSED = "<5"
EARLIEST = dt.date(2000, 1, 1)
PROGRESS_EVERY = 10_000
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ExportResult:
    path: Path
    dictionary: Path
    rows: int


def safe_cell(value: object) -> object:
    """Neutralise text a spreadsheet would evaluate (=, +, -, @, tab, CR first)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return "" if value is None else value


def _secret(db: Database) -> bytes:
    from_env = os.environ.get("CAREMGMT_EXPORT_SECRET")
    if from_env:
        return from_env.encode()
    row = db.execute("SELECT value FROM settings WHERE key = 'export_secret'").fetchone()
    if row:
        return row[0].encode()
    with write_transaction(db):
        db.execute("INSERT OR IGNORE INTO settings (key, value) VALUES ('export_secret', ?)", [secrets.token_hex(32)])
    return db.execute("SELECT value FROM settings WHERE key = 'export_secret'").fetchone()[0].encode()


def pseudonym(secret: bytes, person_id: int) -> str:
    return hmac.new(secret, f"person:{person_id}".encode(), hashlib.sha256).hexdigest()[:20]


# --- row sources -----------------------------------------------------------
# Each yields plain tuples in the order of COLUMNS[kind]; ``pid`` stands for the
# pseudonym, filled in while writing.

COLUMNS = {
    "persons": ("person_pid", "is_caregiver", "registration_month", "birth_year", "sex", "gender_identity",
                "locality_code", "stratum", "ethnicity", "disability", "migrant_status", "education_level",
                "care_hours_per_day", "registration_channel", "home_block", "people_cared_for", "caregivers"),
    "contacts": ("person_pid", "session_date", "block", "locality_code", "service_code", "category", "audience",
                 "status", "quantity", "walk_in", "age_band", "is_caregiver"),
    "laundry": ("person_pid", "slot_date", "block", "locality_code", "load_status"),
    # No person-level place here: it is in the persons export, where rare combinations are suppressed.
    "outcomes": ("person_pid", "kind", "achieved_month", "hours", "from_enrolment"),
    "referrals": ("person_pid", "target", "institution_code", "sector", "service_code", "programme", "status",
                  "sent_month", "days_to_accept", "days_to_close", "overdue", "case_priority"),
    "metrics": ("period_from", "period_to", "dimension", "value", "people_served", "service_contacts", "amount"),
}


# Microdata only for people who agreed to research use (people cared for:
# through a caregiver's consent); the aggregate metrics count everyone.
RESEARCH_CONSENT = (
    "(EXISTS (SELECT 1 FROM consents c WHERE c.person_id = {p} AND c.purpose = 'research' AND c.withdrawn_at IS NULL)"
    " OR EXISTS (SELECT 1 FROM care_links l JOIN consents c ON c.person_id = l.caregiver_id AND c.purpose = 'research'"
    " AND c.withdrawn_at IS NULL WHERE l.cared_id = {p}))"
)


def _where(f: metrics.Filters, date_column: str, block_column: str | None, person: str) -> tuple[str, dict]:
    where = [f"{date_column} >= :start", f"{date_column} < :end_excl", RESEARCH_CONSENT.format(p=person)]
    params = {"start": f.start.isoformat(), "end_excl": (f.end + dt.timedelta(days=1)).isoformat()}
    if f.block_code and block_column:
        where.append(f"{block_column} = :block")
        params["block"] = f.block_code
    return " AND ".join(where), params


def _decade(year: int | None) -> str:
    return f"{year // 10 * 10}-{year // 10 * 10 + 9}" if year else ""


def _coarse(row: tuple) -> tuple:
    """Level-1 generalisation of the quasi-identifiers (birth year, sex, locality,
    ethnicity, disability, migrant status): decade and grouped categories."""
    year, sex, locality, ethnicity, disability, migrant = row
    return (_decade(year), sex, locality, "none" if ethnicity in (None, "none") else "other",
            "none" if disability in (None, "none") else "any", migrant if migrant in (None, "colombian") else "migrant")


def _persons(db: Database, f: metrics.Filters) -> Iterator[tuple]:
    where, params = _where(f, "p.created_at", "p.home_block", "p.id")
    period, bounds = metrics.registered_between(f)
    where = where.replace("p.created_at >= :start AND p.created_at < :end_excl", period)
    params.update(bounds)
    qi = ("CAST(substr(p.birth_date, 1, 4) AS INTEGER), p.sex, p.locality_code, p.ethnicity, p.disability,"
          " p.migrant_status")
    exact = Counter({tuple(r[:-1]): r[-1] for r in db.execute(f"SELECT {qi}, count(*) FROM persons p WHERE {where} GROUP BY {qi}", params)})
    coarse: Counter = Counter()
    for key, n in exact.items():
        coarse[_coarse(key)] += n
    for row in db.execute(
        f"SELECT p.id, p.is_caregiver, {metrics.LOCAL_MONTH.format(column='p.created_at')}, {qi}, p.gender_identity, p.stratum,"
        " p.education_level, p.care_hours_per_day, p.registration_channel, p.home_block,"
        " (SELECT count(*) FROM care_links l WHERE l.caregiver_id = p.id),"
        " (SELECT count(*) FROM care_links l WHERE l.cared_id = p.id)"
        f" FROM persons p WHERE {where} ORDER BY p.id",
        params,
    ):
        pid, caregiver, month, *key = row[:9]
        gender, stratum, education, hours, channel, block, cared, carers = row[9:]
        key = tuple(key)
        if exact[key] >= K_ANONYMITY:
            year, sex, locality, ethnicity, disability, migrant = key
        elif coarse[_coarse(key)] >= K_ANONYMITY:
            year, sex, locality, ethnicity, disability, migrant = _coarse(key)
        else:
            # Still rare: nothing about her but her pseudonym and role survives,
            # so no other column can single her out either.
            yield (pid, caregiver, *("*",) * 15)
            continue
        yield (pid, caregiver, month, year, sex, gender, locality, stratum, ethnicity, disability, migrant, education,
               hours, channel, block, cared, carers)


def _contacts(db: Database, f: metrics.Filters) -> Iterator[tuple]:
    where, params = _where(f, "s.starts_at", "s.block_code", "a.person_id")
    yield from db.execute(
        f"SELECT a.person_id, substr(s.starts_at, 1, 10), s.block_code, b.locality_code, v.code, v.category, v.audience,"
        f" a.status, a.quantity, a.walk_in, {metrics.age_band_sql('p.birth_date', 's.starts_at')}, p.is_caregiver"
        " FROM attendance a JOIN sessions s ON s.id = a.session_id JOIN services v ON v.id = s.service_id"
        f" JOIN blocks b ON b.code = s.block_code JOIN persons p ON p.id = a.person_id WHERE {where} ORDER BY a.id",
        params,
    )


def _laundry(db: Database, f: metrics.Filters) -> Iterator[tuple]:
    where, params = _where(f, "s.starts_at", "s.block_code", "pa.person_id")
    yield from db.execute(
        "SELECT pa.person_id, substr(s.starts_at, 1, 10), s.block_code, b.locality_code, pa.load_status"
        " FROM participants pa JOIN sessions s ON s.id = pa.session_id JOIN services v ON v.id = s.service_id AND v.kind = 'laundry'"
        f" JOIN blocks b ON b.code = s.block_code WHERE pa.status = 'booked' AND {where} ORDER BY pa.id",
        params,
    )


def _outcomes(db: Database, f: metrics.Filters) -> Iterator[tuple]:
    where, params = _where(f, "o.achieved_on", "p.home_block", "o.person_id")
    yield from db.execute(
        "SELECT o.person_id, o.kind, substr(o.achieved_on, 1, 7), o.hours, o.enrolment_id IS NOT NULL"
        f" FROM outcomes o JOIN persons p ON p.id = o.person_id WHERE {where} ORDER BY o.id",
        params,
    )


def _referrals(db: Database, f: metrics.Filters) -> Iterator[tuple]:
    where, params = _where(f, "r.sent_on", "c.block_code", "r.person_id")
    params["today"] = clock.today().isoformat()
    yield from db.execute(
        "SELECT r.person_id, r.target, i.code, i.sector, v.code, e.programme, r.status, substr(r.sent_on, 1, 7),"
        " CAST(julianday(r.accepted_on) - julianday(r.sent_on) AS INTEGER),"
        " CAST(julianday(r.closed_on) - julianday(r.sent_on) AS INTEGER),"
        " r.status IN ('sent', 'accepted') AND r.due_on < :today, c.priority"
        " FROM referrals r JOIN cases c ON c.id = r.case_id LEFT JOIN institutions i ON i.id = r.institution_id"
        " LEFT JOIN services v ON v.id = r.service_id LEFT JOIN enrolments e ON e.id = r.enrolment_id"
        f" WHERE {where} ORDER BY r.id",
        params,
    )


def suppress(counts: list[int | None]) -> list[object]:
    """Small-cell suppression of one group of counts that add up to a shown
    total: 1 to 4 become '<5'; if only one cell would be hidden, the next
    smallest is hidden too, so the total cannot reveal it."""
    shown: list[object] = list(counts)
    small = [i for i, n in enumerate(counts) if n is not None and 0 < n < SMALL_CELL]
    for i in small:
        shown[i] = SUPPRESSED
    if len(small) == 1:
        others = sorted((n, i) for i, n in enumerate(counts) if n and i not in small)
        if others:
            shown[others[0][1]] = SUPPRESSED
    return shown


def _small(count: int) -> object:
    """A count on its own (no group to protect): hidden when 1 to 4."""
    return SUPPRESSED if 0 < count < SMALL_CELL else count


def metric_rows(db: Database, f: metrics.Filters) -> list[tuple]:
    """The aggregate table: totals, headline figures, and every breakdown the
    impact page charts, with suppression applied within each breakdown."""
    period = (f.start.isoformat(), f.end.isoformat())
    head = metrics.headlines(db, f)
    rows = [(*period, "all", "total", _small(head["people_served"]), _small(head["service_contacts"]), "")]
    counted = ("people_registered", "people_registered_cumulative", "people_served", "service_contacts",
               "active_caregivers", "laundry_loads", "diplomas", "other_outcomes", "waitlist")
    for name in metrics.HEADLINES:
        rows.append((*period, "headline", name, "", "", _small(head[name]) if name in counted else head[name]))
    for dimension in metrics.DIMENSIONS:
        groups = metrics.breakdown(db, f, dimension)
        served = suppress([g["people_served"] for g in groups])
        contacts = suppress([g["contacts"] for g in groups])
        rows += [(*period, dimension, "" if g["value"] is None else g["value"], s, c, "")
                 for g, s, c in zip(groups, served, contacts, strict=True)]
    return rows


_SOURCES: dict[str, Callable[[Database, metrics.Filters], Iterable[tuple]]] = {
    "persons": _persons, "contacts": _contacts, "laundry": _laundry, "outcomes": _outcomes, "referrals": _referrals,
}


def dictionary_rows(kind: str) -> list[tuple[str, str, str]]:
    return [(column, t(f"export.{kind}.{column}", "es"), t(f"export.{kind}.{column}", "en")) for column in COLUMNS[kind]]


def export(
    db: Database, actor: User, kind: str, out: str | Path, *, start: dt.date | None = None, end: dt.date | None = None,
    block_code: str | None = None, separator: str = "comma", progress: Callable[[int], None] | None = None,
) -> ExportResult:
    """Write one de-identified export and its data dictionary next to it."""
    require(actor, "export.run")
    errors = {}
    if kind not in KINDS:
        errors["kind"] = Message("error.invalid_choice")
    if separator not in SEPARATORS:
        errors["separator"] = Message("error.invalid_choice")
    if errors:
        raise ValidationError(errors)
    f = metrics.validate(db, metrics.Filters(start or EARLIEST, end or clock.today(), block_code=block_code))
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    secret = _secret(db)
    delimiter = SEPARATORS[separator]
    rows = 0
    with open(out, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(COLUMNS[kind])
        source = metric_rows(db, f) if kind == "metrics" else _SOURCES[kind](db, f)
        for row in source:
            if kind != "metrics":
                row = (pseudonym(secret, row[0]), *row[1:])
            writer.writerow([safe_cell(v) for v in row])
            rows += 1
            if progress and rows % PROGRESS_EVERY == 0:
                progress(rows)
    dictionary = out.with_name(out.stem + ".dictionary.csv")
    with open(dictionary, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(("column", "descripcion", "description"))
        writer.writerows([[safe_cell(v) for v in r] for r in dictionary_rows(kind)])
    if progress:
        progress(rows)
    with write_transaction(db):
        audit.record(db, actor, "export", "export", kind, detail=json.dumps({
            "kind": kind, "from": f.start.isoformat(), "to": f.end.isoformat(), "block": block_code,
            "separator": separator, "rows": rows,
        }))
    return ExportResult(out, dictionary, rows)
