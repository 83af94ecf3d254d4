"""Impact metrics: each defined once, here, and used by the impact pages and the
exports alike. The written definitions live in the catalogue
(``metric.<name>.definition``) and are shown on the data dictionary page.

The city reports two units and so do we: people served (distinct persons)
and service contacts (one per attendance). Everything aggregates in SQL; no
function here loads a table into memory.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from sqlite_utils import Database

from caremgmt import carehours, clock
from caremgmt.errors import ValidationError
from caremgmt.i18n import Message
from caremgmt.services import CATEGORIES

ACTIVE_DAYS = 90
RETENTION_STEPS = ("registered", "first_attendance", "five_attendances", "outcome")
DIPLOMAS = ("primary_diploma", "secondary_diploma")
HEADLINES = (
    "people_registered", "people_registered_cumulative", "people_served", "service_contacts", "active_caregivers",
    "care_hours_freed", "laundry_loads", "laundry_no_show_rate", "diplomas", "other_outcomes", "occupancy", "waitlist",
)
DIMENSIONS = ("block", "locality", "category", "age_band", "stratum", "ethnicity", "disability", "migrant_status")
# Colombia's life-course stages (primera infancia ... vejez).
AGE_BANDS = ((0, 5, "0-5"), (6, 11, "6-11"), (12, 17, "12-17"), (18, 28, "18-28"), (29, 59, "29-59"), (60, 200, "60+"))


@dataclass(frozen=True)
class Filters:
    """Period (inclusive) and optional block, locality and service category."""

    start: dt.date
    end: dt.date
    block_code: str | None = None
    locality_code: int | None = None
    category: str | None = None

    def previous(self) -> Filters:
        """The period of the same length just before this one."""
        length = self.end - self.start
        end = self.start - dt.timedelta(days=1)
        return replace(self, start=end - length, end=end)


def validate(db: Database, filters: Filters) -> Filters:
    errors = {}
    if filters.end < filters.start:
        errors["end"] = Message("error.end_before_start")
    if filters.block_code and not db["blocks"].count_where("code = ?", [filters.block_code]):
        errors["block"] = Message("error.unknown_block", {"code": filters.block_code})
    if filters.locality_code is not None and not 1 <= int(filters.locality_code) <= 20:
        errors["locality"] = Message("error.invalid_choice")
    if filters.category and filters.category not in CATEGORIES:
        errors["category"] = Message("error.invalid_choice")
    if errors:
        raise ValidationError(errors)
    return filters


def _session_where(f: Filters) -> tuple[str, dict]:
    """Conditions on s (sessions), v (services) and b (the session's block)."""
    where = ["s.starts_at >= :start", "s.starts_at < :end_excl"]
    params = {"start": f.start.isoformat(), "end_excl": (f.end + dt.timedelta(days=1)).isoformat()}
    for column, name, value in (("s.block_code", "block", f.block_code), ("b.locality_code", "locality", f.locality_code),
                                ("v.category", "category", f.category)):
        if value is not None:
            where.append(f"{column} = :{name}")
            params[name] = value
    return " AND ".join(where), params


def registered_between(f: Filters, alias: str = "p") -> tuple[str, dict]:
    """Registration within the period, in Bogotá days: created_at is stored in
    UTC, so a local day runs from 05:00 UTC to 05:00 UTC the next day."""
    return (f"{alias}.created_at >= :reg_start AND {alias}.created_at < :reg_end",
            {"reg_start": f"{f.start.isoformat()}T05:00", "reg_end": f"{(f.end + dt.timedelta(days=1)).isoformat()}T05:00"})


LOCAL_MONTH = "strftime('%Y-%m', {column}, " + clock.SQL_TO_LOCAL + ")"


def age_band_sql(birth: str, on: str) -> str:
    """Age band of someone born ``birth`` on the date ``on`` (SQL expressions):
    the one definition the breakdowns and the exports share."""
    age = (f"(CAST(substr({on}, 1, 4) AS INTEGER) - CAST(substr({birth}, 1, 4) AS INTEGER)"
           f" - (substr({on}, 6, 5) < substr({birth}, 6, 5)))")
    return "CASE " + " ".join(f"WHEN {age} BETWEEN {lo} AND {hi} THEN '{label}'" for lo, hi, label in AGE_BANDS) + " END"


def _person_where(f: Filters, alias: str = "p") -> tuple[str, dict]:
    """Person-level metrics follow the person's home block and locality (not the category)."""
    where, params = [], {}
    if f.block_code is not None:
        where.append(f"{alias}.home_block = :block")
        params["block"] = f.block_code
    if f.locality_code is not None:
        where.append(f"{alias}.locality_code = :locality")
        params["locality"] = f.locality_code
    return "".join(f" AND {w}" for w in where), params


_CONTACTS_FROM = (
    " FROM attendance a JOIN sessions s ON s.id = a.session_id JOIN services v ON v.id = s.service_id"
    " JOIN blocks b ON b.code = s.block_code"
)


def _one(db: Database, sql: str, params: dict) -> float:
    return db.execute(sql, params).fetchone()[0] or 0


def people_registered(db: Database, f: Filters, cumulative: bool = False) -> int:
    """Persons registered in the period (or, cumulative, by its end), in Bogotá days."""
    where, params = _person_where(f)
    period, bounds = registered_between(f)
    params.update(bounds)
    condition = "p.created_at < :reg_end" if cumulative else period
    return _one(db, f"SELECT count(*) FROM persons p WHERE {condition}{where}", params)


def people_served(db: Database, f: Filters) -> int:
    """Distinct persons with at least one attended (present) contact in the period."""
    where, params = _session_where(f)
    return _one(db, f"SELECT count(DISTINCT a.person_id){_CONTACTS_FROM} WHERE a.status = 'present' AND {where}", params)


def service_contacts(db: Database, f: Filters) -> int:
    """Attendances marked present in the period: one contact per person per session."""
    where, params = _session_where(f)
    return _one(db, f"SELECT count(*){_CONTACTS_FROM} WHERE a.status = 'present' AND {where}", params)


def active_caregivers(db: Database, f: Filters) -> int:
    """Caregivers with an attended contact in the 90 days ending on the period's last day."""
    window = replace(f, start=f.end - dt.timedelta(days=ACTIVE_DAYS - 1))
    where, params = _session_where(window)
    return _one(db, f"SELECT count(DISTINCT a.person_id){_CONTACTS_FROM} JOIN persons p ON p.id = a.person_id"
                    f" WHERE a.status = 'present' AND p.is_caregiver = 1 AND {where}", params)


def care_hours_freed(db: Database, f: Filters) -> float:
    """Hours freed under the care-hours rule (caremgmt.carehours) in the period."""
    sql, params = carehours.items_query(block_code=f.block_code, locality_code=f.locality_code,
                                        category=f.category, start=f.start, end=f.end)
    return round(_one(db, f"SELECT sum(hours) FROM ({sql})", params), 1)


def laundry(db: Database, f: Filters) -> dict:
    """Loads collected, no-shows, and the no-show rate (no-shows / loads due)."""
    where, params = _session_where(f)
    collected, no_show = db.execute(
        "SELECT sum(p.load_status = 'collected'), sum(p.load_status = 'no_show') FROM participants p"
        " JOIN sessions s ON s.id = p.session_id JOIN services v ON v.id = s.service_id AND v.kind = 'laundry'"
        f" JOIN blocks b ON b.code = s.block_code WHERE p.status = 'booked' AND {where}",
        params,
    ).fetchone()
    collected, no_show = collected or 0, no_show or 0
    due = collected + no_show
    return {"loads": collected, "no_shows": no_show, "no_show_rate": round(no_show / due, 3) if due else 0.0}


def outcomes_by_kind(db: Database, f: Filters) -> dict[str, int]:
    """Outcomes achieved in the period, by kind (persons' home block and locality)."""
    where, params = _person_where(f)
    params.update(start=f.start.isoformat(), end=f.end.isoformat())
    return {k: n for k, n in db.execute(
        "SELECT o.kind, count(*) FROM outcomes o JOIN persons p ON p.id = o.person_id"
        f" WHERE o.achieved_on BETWEEN :start AND :end{where} GROUP BY o.kind", params,
    )}


def occupancy(db: Database, f: Filters) -> dict:
    """Booked places over capacity in scheduled activity sessions; people waiting now."""
    where, params = _session_where(f)
    booked, capacity, waiting = db.execute(
        "SELECT sum(s.booked_count), sum(s.capacity),"
        " sum((SELECT count(*) FROM participants w WHERE w.session_id = s.id AND w.status = 'waitlisted'))"
        f" FROM sessions s JOIN services v ON v.id = s.service_id AND v.kind = 'activity'"
        f" JOIN blocks b ON b.code = s.block_code WHERE s.status = 'scheduled' AND {where}",
        params,
    ).fetchone()
    return {"occupancy": round((booked or 0) / capacity, 3) if capacity else 0.0, "waitlist": waiting or 0}


def retention(db: Database, f: Filters) -> dict[str, int]:
    """Of the persons registered in the period: how many attended once, five
    times or more, and achieved an outcome (up to now)."""
    where, params = _person_where(f)
    period, bounds = registered_between(f)
    params.update(bounds)
    row = db.execute(
        "SELECT count(*), sum(n >= 1), sum(n >= 5), sum(has_outcome) FROM ("
        " SELECT (SELECT count(*) FROM attendance a WHERE a.person_id = p.id AND a.status = 'present') AS n,"
        " EXISTS (SELECT 1 FROM outcomes o WHERE o.person_id = p.id) AS has_outcome"
        f" FROM persons p WHERE {period}{where})",
        params,
    ).fetchone()
    return dict(zip(RETENTION_STEPS, (v or 0 for v in row), strict=True))


def headlines(db: Database, f: Filters) -> dict[str, float]:
    """Every headline figure for the filters."""
    kinds = outcomes_by_kind(db, f)
    wash = laundry(db, f)
    places = occupancy(db, f)
    hours = care_hours_freed(db, f)
    return {
        "people_registered": people_registered(db, f),
        "people_registered_cumulative": people_registered(db, f, cumulative=True),
        "people_served": people_served(db, f),
        "service_contacts": service_contacts(db, f),
        "active_caregivers": active_caregivers(db, f),
        "care_hours_freed": hours,
        "care_days_freed": round(hours / 8, 1),
        "laundry_loads": wash["loads"],
        "laundry_no_show_rate": wash["no_show_rate"],
        "diplomas": sum(kinds.get(k, 0) for k in DIPLOMAS),
        "other_outcomes": sum(n for k, n in kinds.items() if k not in DIPLOMAS),
        "occupancy": places["occupancy"],
        "waitlist": places["waitlist"],
    }


def monthly(db: Database, f: Filters) -> list[dict]:
    """Per calendar month in the period: registrations, people served, contacts, care hours."""
    where, params = _session_where(f)
    months: dict[str, dict] = {}

    def put(month: str, key: str, value: float) -> None:
        months.setdefault(month, {"month": month, "registrations": 0, "people_served": 0, "contacts": 0, "care_hours": 0.0})
        months[month][key] = value

    for month, served, contacts in db.execute(
        f"SELECT substr(s.starts_at, 1, 7), count(DISTINCT a.person_id), count(*){_CONTACTS_FROM}"
        f" WHERE a.status = 'present' AND {where} GROUP BY 1", params,
    ):
        put(month, "people_served", served)
        put(month, "contacts", contacts)
    pwhere, pparams = _person_where(f)
    period, bounds = registered_between(f)
    pparams.update(bounds)
    for month, n in db.execute(
        f"SELECT {LOCAL_MONTH.format(column='p.created_at')}, count(*) FROM persons p WHERE {period}{pwhere} GROUP BY 1",
        pparams,
    ):
        put(month, "registrations", n)
    sql, hparams = carehours.items_query(block_code=f.block_code, locality_code=f.locality_code,
                                         category=f.category, start=f.start, end=f.end)
    for month, hours in db.execute(f"SELECT substr(starts_at, 1, 7), sum(hours) FROM ({sql}) GROUP BY 1", hparams):
        put(month, "care_hours", round(hours, 1))
    return [months[m] for m in sorted(months)]


def _dimension_sql(dimension: str) -> str:
    if dimension == "age_band":
        return age_band_sql("p.birth_date", "s.starts_at")
    return {
        "block": "s.block_code", "locality": "b.locality_code", "category": "v.category",
        "stratum": "p.stratum", "ethnicity": "p.ethnicity", "disability": "p.disability",
        "migrant_status": "p.migrant_status",
    }[dimension]


def breakdown(db: Database, f: Filters, dimension: str) -> list[dict]:
    """People served and service contacts in the period, by one dimension.
    A person counts once in each group she was served in (so a person whose
    birthday moved her into the next age band mid-period counts in both).
    Age band is her age on the day of each contact; stratum and the other
    attributes come from the registry."""
    if dimension not in DIMENSIONS:
        raise ValidationError({"dimension": Message("error.invalid_choice")})
    where, params = _session_where(f)
    return list(db.query(
        f"SELECT {_dimension_sql(dimension)} AS value, count(DISTINCT a.person_id) AS people_served, count(*) AS contacts"
        f"{_CONTACTS_FROM} JOIN persons p ON p.id = a.person_id WHERE a.status = 'present' AND {where}"
        " GROUP BY 1 ORDER BY contacts DESC",
        params,
    ))
