"""Impact metrics: each defined once, here, and used by the impact pages and the
exports alike. The written definitions live in the catalogue
(``metric.<name>.definition``) and are shown on the data dictionary page.

The city reports two units and so do we: people served (distinct persons)
and service contacts (one per attendance). Figures about contacts read the
per-day impact facts (caremgmt.impact.contact_facts), packed and kept fresh on every
write, and count them with numpy; the rest aggregate in SQL. Nothing here
holds a name, a document or any other personal detail: only person ids while
counting.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

import numpy as np
from sqlite_utils import Database

from caremgmt.core import clock
from caremgmt.core.errors import ValidationError
from caremgmt.core.i18n import Message
from caremgmt.impact import contact_facts
from caremgmt.impact.contact_facts import CODES, KINDS, Facts, Table
from caremgmt.scheduling.catalogue import CATEGORIES

ACTIVE_DAYS = 90
RETENTION_STEPS = ("registered", "first_attendance", "five_attendances", "outcome")
DIPLOMAS = ("primary_diploma", "secondary_diploma")
HEADLINES = (
    "people_registered",
    "people_registered_cumulative",
    "people_served",
    "service_contacts",
    "active_caregivers",
    "care_hours_freed",
    "laundry_loads",
    "laundry_no_show_rate",
    "diplomas",
    "other_outcomes",
    "occupancy",
    "waitlist",
)
DIMENSIONS = ("block", "locality", "category", "age_band", "stratum", "ethnicity", "disability", "migrant_status")


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


def registered_between(f: Filters, alias: str = "p") -> tuple[str, dict]:
    """Registration within the period, in Bogotá days (created_at is stored in
    UTC: see clock.utc_day_bounds)."""
    reg_start, reg_end = clock.utc_day_bounds(f.start, f.end)
    return (
        f"{alias}.created_at >= :reg_start AND {alias}.created_at < :reg_end",
        {"reg_start": reg_start, "reg_end": reg_end},
    )


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


def _one(db: Database, sql: str, params: dict) -> float:
    return db.execute(sql, params).fetchone()[0] or 0


def people_registered(db: Database, f: Filters, cumulative: bool = False) -> int:
    """Persons registered in the period (or, cumulative, by its end), in Bogotá days."""
    where, params = _person_where(f)
    period, bounds = registered_between(f)
    params.update(bounds)
    condition = "p.created_at < :reg_end" if cumulative else period
    return _one(db, f"SELECT count(*) FROM persons p WHERE {condition}{where}", params)


def _window(f: Filters, *, through_today: bool = False) -> tuple[dt.date, dt.date]:
    """The days whose facts the figures of ``f`` read: the period, and the
    90 days before its end for active caregivers (and, for retention, up to now)."""
    start = min(f.start, f.end - dt.timedelta(days=ACTIVE_DAYS - 1))
    return start, max(f.end, clock.today()) if through_today else f.end


def facts_for(db: Database, f: Filters, *, through_today: bool = False) -> Facts:
    """The attended contacts the figures of ``f`` need, fresh (see contact_facts)."""
    return contact_facts.load(db, *_window(f, through_today=through_today))


def _place(table: Table, f: Filters, blocks: dict[int, str], start: dt.date | None = None) -> Table:
    """Rows from ``start`` (default: the period's start) to the period's end at
    the filtered block, locality and service category."""
    table = table.between(start or f.start, f.end)
    conditions = []
    if f.block_code is not None:
        conditions.append(table.rows["block"] == next((r for r, code in blocks.items() if code == f.block_code), -1))
    if f.locality_code is not None:
        conditions.append(table.rows["locality"] == int(f.locality_code))
    if f.category is not None:
        conditions.append(table.rows["category"] == CODES["category"].index(f.category) + 1)
    return table.where(np.logical_and.reduce(conditions)) if conditions else table


def _contacts(facts: Facts, f: Filters, start: dt.date | None = None) -> Table:
    return _place(facts.contacts, f, facts.blocks, start)


def _distinct(persons: np.ndarray, groups: np.ndarray | None = None) -> np.ndarray:
    """Distinct persons in each group (group codes are small integers; one
    group when not given)."""
    if groups is None:
        groups = np.zeros(len(persons), dtype=np.int64)
    if not len(persons):
        return np.zeros(1, dtype=np.int64)
    seen = np.zeros((int(groups.max()) + 1, int(persons.max()) + 1), dtype=bool)
    seen[groups, persons] = True
    return np.count_nonzero(seen, axis=1)


def _served(contacts: Table) -> int:
    return int(_distinct(contacts.rows["person"])[0])


def _active_caregivers(facts: Facts, f: Filters) -> int:
    window = _contacts(facts, f, start=f.end - dt.timedelta(days=ACTIVE_DAYS - 1))
    return int(_distinct(window.rows["person"][window.rows["caregiver"] == 1])[0])


def _hours(contacts: Table) -> float:
    return round(float(contacts.rows["hours"].sum()), 1)


def people_served(db: Database, f: Filters) -> int:
    """Distinct persons with at least one attended (present) contact in the period."""
    return _served(_contacts(facts_for(db, f), f))


def service_contacts(db: Database, f: Filters) -> int:
    """Attendances marked present in the period: one contact per person per session."""
    return len(_contacts(facts_for(db, f), f).rows)


def active_caregivers(db: Database, f: Filters) -> int:
    """Caregivers with an attended contact in the 90 days ending on the period's last day."""
    return _active_caregivers(facts_for(db, f), f)


def care_hours_freed(db: Database, f: Filters) -> float:
    """Hours freed under the care-hours rule (caremgmt.scheduling.carehours) in the period."""
    return _hours(_contacts(facts_for(db, f), f))


def _laundry(facts: Facts, f: Filters) -> dict:
    slots = _place(facts.sessions, f, facts.blocks).rows
    slots = slots[slots["kind"] == KINDS.index("laundry") + 1]
    collected, no_show = int(slots["collected"].sum()), int(slots["no_show"].sum())
    due = collected + no_show
    return {"loads": collected, "no_shows": no_show, "no_show_rate": round(no_show / due, 3) if due else 0.0}


def laundry(db: Database, f: Filters) -> dict:
    """Loads collected, no-shows, and the no-show rate (no-shows / loads due)."""
    return _laundry(facts_for(db, f), f)


def outcomes_by_kind(db: Database, f: Filters) -> dict[str, int]:
    """Outcomes achieved in the period, by kind (persons' home block and locality)."""
    where, params = _person_where(f)
    params.update(start=f.start.isoformat(), end=f.end.isoformat())
    return dict(
        db.execute(
            "SELECT o.kind, count(*) FROM outcomes o JOIN persons p ON p.id = o.person_id"
            f" WHERE o.achieved_on BETWEEN :start AND :end{where} GROUP BY o.kind",
            params,
        )
    )


def _occupancy(facts: Facts, f: Filters) -> dict:
    sessions = _place(facts.sessions, f, facts.blocks).rows
    sessions = sessions[(sessions["kind"] == KINDS.index("activity") + 1) & (sessions["scheduled"] == 1)]
    capacity = int(sessions["capacity"].sum())
    return {
        "occupancy": round(int(sessions["booked"].sum()) / capacity, 3) if capacity else 0.0,
        "waitlist": int(sessions["waitlisted"].sum()),
    }


def occupancy(db: Database, f: Filters) -> dict:
    """Booked places over capacity in scheduled activity sessions; people waiting now."""
    return _occupancy(facts_for(db, f), f)


def retention(db: Database, f: Filters, facts: Facts | None = None) -> dict[str, int]:
    """Of the persons registered in the period: how many have attended once,
    five times or more (at any block, from the period's start up to now), and
    achieved an outcome (up to now)."""
    facts = facts if facts is not None else facts_for(db, f, through_today=True)
    where, params = _person_where(f)
    period, bounds = registered_between(f)
    params.update(bounds)
    ids = db.execute(f"SELECT group_concat(p.id) FROM persons p WHERE {period}{where}", params).fetchone()[0]
    registered = np.array(ids.split(",") if ids else [], dtype=np.int64)  # one string: far faster than 150,000 rows
    since_start = facts.contacts.between(f.start, max(f.end, clock.today())).rows["person"]
    attended = np.bincount(since_start, minlength=int(registered.max(initial=0)) + 1)[registered]
    outcome = _one(
        db,
        f"SELECT count(DISTINCT o.person_id) FROM outcomes o JOIN persons p ON p.id = o.person_id"
        f" WHERE {period}{where}",
        params,
    )
    return dict(
        zip(
            RETENTION_STEPS,
            (len(registered), int((attended >= 1).sum()), int((attended >= 5).sum()), outcome),
            strict=True,
        )
    )


def headlines(db: Database, f: Filters, facts: Facts | None = None) -> dict[str, float]:
    """Every headline figure for the filters."""
    facts = facts if facts is not None else facts_for(db, f)
    contacts = _contacts(facts, f)
    kinds = outcomes_by_kind(db, f)
    wash = _laundry(facts, f)
    places = _occupancy(facts, f)
    hours = _hours(contacts)
    return {
        "people_registered": people_registered(db, f),
        "people_registered_cumulative": people_registered(db, f, cumulative=True),
        "people_served": _served(contacts),
        "service_contacts": len(contacts.rows),
        "active_caregivers": _active_caregivers(facts, f),
        "care_hours_freed": hours,
        "care_days_freed": round(hours / 8, 1),
        "laundry_loads": wash["loads"],
        "laundry_no_show_rate": wash["no_show_rate"],
        "diplomas": sum(kinds.get(k, 0) for k in DIPLOMAS),
        "other_outcomes": sum(n for k, n in kinds.items() if k not in DIPLOMAS),
        "occupancy": places["occupancy"],
        "waitlist": places["waitlist"],
    }


def monthly(db: Database, f: Filters, facts: Facts | None = None) -> list[dict]:
    """Per calendar month in the period: registrations, people served, contacts, care hours."""
    contacts = _contacts(facts if facts is not None else facts_for(db, f), f)
    months: dict[str, dict] = {}

    def put(month: str, key: str, value: float) -> None:
        months.setdefault(
            month, {"month": month, "registrations": 0, "people_served": 0, "contacts": 0, "care_hours": 0.0}
        )
        months[month][key] = value

    stamps = contacts.months()
    if len(stamps):
        first = stamps.min()
        index = (stamps - first).astype(np.int64)
        served = _distinct(contacts.rows["person"], index)
        counted = np.bincount(index)
        hours = np.bincount(index, weights=contacts.rows["hours"])
        for i in np.flatnonzero(counted):
            month = str(first + i)
            put(month, "people_served", int(served[i]))
            put(month, "contacts", int(counted[i]))
            put(month, "care_hours", round(float(hours[i]), 1))
    month = dt.date(f.start.year, f.start.month, 1)
    while month <= f.end:
        following = (month + dt.timedelta(days=32)).replace(day=1)
        part = replace(f, start=max(month, f.start), end=min(following - dt.timedelta(days=1), f.end))
        registered = people_registered(db, part)  # one index range per month: no per-row date arithmetic
        if registered:
            put(month.isoformat()[:7], "registrations", registered)
        month = following
    return [months[m] for m in sorted(months)]


def breakdown(db: Database, f: Filters, dimension: str, facts: Facts | None = None) -> list[dict]:
    """People served and service contacts in the period, by one dimension.
    A person counts once in each group she was served in (so a person whose
    birthday moved her into the next age band mid-period counts in both).
    Age band is her age on the day of each contact; stratum and the other
    attributes come from the registry."""
    if dimension not in DIMENSIONS:
        raise ValidationError({"dimension": Message("error.invalid_choice")})
    facts = facts if facts is not None else facts_for(db, f)
    contacts = _contacts(facts, f)
    codes = contacts.rows[dimension].astype(np.int64)
    if not len(codes):
        return []
    served = _distinct(contacts.rows["person"], codes)
    counted = np.bincount(codes)
    present = np.flatnonzero(counted)
    groups = [
        {"value": value, "people_served": int(served[c]), "contacts": int(counted[c])}
        for c, value in zip(present, facts.decode(dimension, present), strict=True)
    ]
    return sorted(groups, key=lambda g: -g["contacts"])


def overview(db: Database, f: Filters) -> dict:
    """Everything the impact page shows, reading the facts once."""
    before = f.previous()
    facts = contact_facts.load(db, min(_window(before)[0], _window(f)[0]), _window(f, through_today=True)[1])
    return {
        "now": headlines(db, f, facts),
        "before": headlines(db, before, facts),
        "monthly": monthly(db, f, facts),
        "retention": retention(db, f, facts),
        "breakdowns": {d: breakdown(db, f, d, facts) for d in DIMENSIONS},
    }
