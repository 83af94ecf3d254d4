"""Impact metrics: each defined once, here, and used by the impact pages and the
exports alike. The written definitions live in the catalogue
(``metric.<name>.definition``) and are shown on the data dictionary page.

The city reports two units and so do we: people served (distinct persons)
and service contacts (one per attendance). Figures about contacts read the
per-day impact facts (caremgmt.impact.contact_facts), packed and kept fresh on every
write, and count them with numpy; registrations read a per-day count kept by
triggers (registrations_by_day); the rest aggregate in SQL. Nothing here
holds a name, a document or any other personal detail: only person ids while
counting.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, replace

import numpy as np
from sqlite_utils import Database

from caremgmt.core import clock
from caremgmt.core.errors import ValidationError
from caremgmt.core.i18n import Message
from caremgmt.impact import contact_facts
from caremgmt.impact.contact_facts import CODES, Facts, Table
from caremgmt.scheduling.catalogue import CATEGORIES, KINDS

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


def data_version(db: Database) -> int:
    """A number that every committed write the figures depend on changes
    (triggers of migration 0010): what the impact cache is keyed on."""
    return db.execute("SELECT version FROM data_version").fetchone()[0]


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


@dataclass(frozen=True)
class Registrations:
    """Persons registered before ``since`` and on each Bogotá day from then on,
    at the filtered home block and locality: one grouped query."""

    earlier: int
    by_day: dict[str, int]

    def between(self, start: dt.date, end: dt.date) -> int:
        first, last = start.isoformat(), end.isoformat()
        return sum(n for day, n in self.by_day.items() if first <= day <= last)

    def by_end(self, end: dt.date) -> int:
        last = end.isoformat()
        return self.earlier + sum(n for day, n in self.by_day.items() if day <= last)


def registrations(db: Database, f: Filters, since: dt.date | None = None) -> Registrations:
    """Registrations up to the end of ``f``, by day from ``since`` (default: its start)."""
    where, params = _person_where(f, alias="r")
    params.update(since=(since or f.start).isoformat(), end=f.end.isoformat())
    counts = dict(
        db.execute(
            "SELECT CASE WHEN r.day < :since THEN '' ELSE r.day END, sum(r.persons)"
            f" FROM registrations_by_day r WHERE r.day <= :end{where} GROUP BY 1",
            params,
        ).fetchall()
    )
    return Registrations(counts.pop("", 0) or 0, counts)


def people_registered(db: Database, f: Filters, cumulative: bool = False) -> int:
    """Persons registered in the period (or, cumulative, by its end), in Bogotá days."""
    counted = registrations(db, f)
    return counted.by_end(f.end) if cumulative else counted.between(f.start, f.end)


def _window(f: Filters, *, through_today: bool = False) -> tuple[dt.date, dt.date]:
    """The days whose facts the figures of ``f`` read: the period, and the
    90 days before its end for active caregivers (and, for retention, up to now)."""
    start = min(f.start, f.end - dt.timedelta(days=ACTIVE_DAYS - 1))
    return start, max(f.end, clock.today()) if through_today else f.end


def facts_for(db: Database, f: Filters, *, through_today: bool = False) -> Facts:
    """The attended contacts the figures of ``f`` need, fresh (see contact_facts)."""
    return contact_facts.load(db, *_window(f, through_today=through_today))


def _block_rowid(facts: Facts, code: str) -> int:
    return next((rowid for rowid, c in facts.blocks.items() if c == code), -1)


def _place(table: Table, f: Filters, facts: Facts, start: dt.date | None = None) -> Table:
    """Rows from ``start`` (default: the period's start) to the period's end at
    the filtered block, locality and service category (as they are now)."""
    table = table.between(start or f.start, f.end)
    conditions = []
    if f.block_code is not None:
        conditions.append(table.rows["block"] == _block_rowid(facts, f.block_code))
    if f.locality_code is not None:
        conditions.append(facts.column(table, "locality") == int(f.locality_code))
    if f.category is not None:
        conditions.append(facts.column(table, "category") == CODES["category"].index(f.category) + 1)
    return table.where(np.logical_and.reduce(conditions)) if conditions else table


def _contacts(facts: Facts, f: Filters, start: dt.date | None = None) -> Table:
    return _place(facts.contacts, f, facts, start)


@dataclass(frozen=True)
class _People:
    """The persons of some contacts renumbered 0..count-1, so that counting
    distinct persons needs tables as wide as the persons present, not as the
    highest person id, and the renumbering is done once for every figure."""

    ids: np.ndarray
    count: int

    @classmethod
    def of(cls, persons: np.ndarray) -> _People:
        if not len(persons):
            return cls(np.zeros(0, dtype=np.int32), 0)
        present = np.zeros(int(persons.max()) + 1, dtype=bool)
        present[persons] = True
        dense = np.cumsum(present, dtype=np.int32) - 1
        return cls(dense[persons], int(dense[-1]) + 1)

    def per_group(self, groups: np.ndarray, size: int) -> np.ndarray:
        """Distinct persons in each group (codes 0..size-1, one per contact)."""
        seen = np.zeros(size * self.count, dtype=bool)
        key = groups.astype(np.int32)
        key *= np.int32(self.count)
        key += self.ids
        seen[key] = True
        return np.count_nonzero(seen.reshape(size, self.count), axis=1)

    def per_attribute(self, values: np.ndarray, size: int) -> np.ndarray:
        """Distinct persons by an attribute of the person (the same on all her
        contacts of one snapshot: a change marks all her days stale)."""
        of_person = np.zeros(self.count, dtype=values.dtype)
        of_person[self.ids] = values
        return np.bincount(of_person, minlength=size)


PERSON_ATTRIBUTES = ("stratum", "ethnicity", "disability", "migrant_status")


def _count_persons(persons: np.ndarray) -> int:
    if not len(persons):
        return 0
    present = np.zeros(int(persons.max()) + 1, dtype=bool)
    present[persons] = True
    return int(np.count_nonzero(present))


def _active_caregivers(facts: Facts, f: Filters) -> int:
    rows = _contacts(facts, f, start=f.end - dt.timedelta(days=ACTIVE_DAYS - 1)).rows
    return _count_persons(rows["person"][rows["caregiver"] == 1])


class _Period:
    """A period's contacts at the filtered place, with their persons renumbered
    and their care hours, each worked out once however many figures use them."""

    def __init__(self, facts: Facts, f: Filters):
        self.facts, self.contacts = facts, _contacts(facts, f)

    @functools.cached_property
    def people(self) -> _People:
        return _People.of(self.contacts.rows["person"])

    @functools.cached_property
    def hours(self) -> np.ndarray:
        return self.facts.column(self.contacts, "hours")

    @property
    def hours_freed(self) -> float:
        return round(float(self.hours.sum()), 1)


def people_served(db: Database, f: Filters) -> int:
    """Distinct persons with at least one attended (present) contact in the period."""
    return _count_persons(_contacts(facts_for(db, f), f).rows["person"])


def service_contacts(db: Database, f: Filters) -> int:
    """Attendances marked present in the period: one contact per person per session."""
    return len(_contacts(facts_for(db, f), f))


def active_caregivers(db: Database, f: Filters) -> int:
    """Caregivers with an attended contact in the 90 days ending on the period's last day."""
    return _active_caregivers(facts_for(db, f), f)


def care_hours_freed(db: Database, f: Filters) -> float:
    """Hours freed under the care-hours rule (caremgmt.scheduling.carehours) in the period."""
    return _Period(facts_for(db, f), f).hours_freed


def _laundry(facts: Facts, f: Filters) -> dict:
    sessions = _place(facts.sessions, f, facts)
    slots = sessions.where(facts.column(sessions, "kind") == KINDS.index("laundry") + 1).rows
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
    table = _place(facts.sessions, f, facts)
    activity = facts.column(table, "kind") == KINDS.index("activity") + 1
    sessions = table.where(activity & (table.rows["scheduled"] == 1)).rows
    capacity = int(sessions["capacity"].sum())
    return {
        "occupancy": round(int(sessions["booked"].sum()) / capacity, 3) if capacity else 0.0,
        "waitlist": int(sessions["waitlisted"].sum()),
        "capacity": capacity,
    }


def occupancy(db: Database, f: Filters, facts: Facts | None = None) -> dict:
    """Booked places over capacity (the places offered) in scheduled activity sessions; people waiting now."""
    return _occupancy(facts if facts is not None else facts_for(db, f), f)


def retention(db: Database, f: Filters, facts: Facts | None = None, counted: Registrations | None = None) -> dict:
    """Of the persons registered in the period: how many have attended once,
    five times or more (at any block, from the period's start up to now), and
    achieved an outcome (up to now)."""
    facts = facts if facts is not None else facts_for(db, f, through_today=True)
    counted = counted if counted is not None else registrations(db, f)
    since_start = facts.contacts.between(f.start, max(f.end, clock.today())).rows
    theirs = (since_start["registered"] >= contact_facts.day_number(f.start)) & (
        since_start["registered"] <= contact_facts.day_number(f.end)
    )
    if f.block_code is not None:
        theirs &= since_start["home_block"] == _block_rowid(facts, f.block_code)
    if f.locality_code is not None:
        theirs &= since_start["home_locality"] == int(f.locality_code)
    attended = np.bincount(since_start["person"][theirs])
    where, params = _person_where(f)
    period, bounds = registered_between(f)
    outcome = _one(
        db,
        f"SELECT count(DISTINCT o.person_id) FROM outcomes o JOIN persons p ON p.id = o.person_id"
        f" WHERE {period}{where}",
        {**params, **bounds},
    )
    return dict(
        zip(
            RETENTION_STEPS,
            (counted.between(f.start, f.end), int((attended >= 1).sum()), int((attended >= 5).sum()), outcome),
            strict=True,
        )
    )


def headlines(
    db: Database, f: Filters, facts: Facts | None = None, counted: Registrations | None = None, period=None
) -> dict:
    """Every headline figure for the filters."""
    facts = facts if facts is not None else facts_for(db, f)
    counted = counted if counted is not None else registrations(db, f)
    period = period or _Period(facts, f)
    kinds = outcomes_by_kind(db, f)
    wash = _laundry(facts, f)
    places = _occupancy(facts, f)
    hours = period.hours_freed
    return {
        "people_registered": counted.between(f.start, f.end),
        "people_registered_cumulative": counted.by_end(f.end),
        "people_served": period.people.count,
        "service_contacts": len(period.contacts),
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


def monthly(
    db: Database, f: Filters, facts: Facts | None = None, counted: Registrations | None = None, period=None
) -> list[dict]:
    """Per calendar month in the period: registrations, people served, contacts, care hours."""
    facts = facts if facts is not None else facts_for(db, f)
    counted = counted if counted is not None else registrations(db, f)
    period = period or _Period(facts, f)
    contacts = period.contacts
    months: dict[str, dict] = {}

    def put(month: str, key: str, value: float) -> None:
        months.setdefault(
            month, {"month": month, "registrations": 0, "people_served": 0, "contacts": 0, "care_hours": 0.0}
        )
        months[month][key] = value

    first, index = contacts.months()
    if len(index):
        size = int(index[-1]) + 1
        served = period.people.per_group(index, size)
        counted_contacts = np.bincount(index, minlength=size)
        hours = np.bincount(index, weights=period.hours, minlength=size)
        for i in np.flatnonzero(counted_contacts):
            month = str(first + i)
            put(month, "people_served", int(served[i]))
            put(month, "contacts", int(counted_contacts[i]))
            put(month, "care_hours", round(float(hours[i]), 1))
    by_month: dict[str, int] = {}
    for day, n in counted.by_day.items():
        if f.start.isoformat() <= day <= f.end.isoformat():
            by_month[day[:7]] = by_month.get(day[:7], 0) + n
    for month, n in by_month.items():
        if n:
            put(month, "registrations", n)
    return [months[m] for m in sorted(months)]


def breakdown(
    db: Database, f: Filters, dimension: str, facts: Facts | None = None, period=None, keys: np.ndarray | None = None
) -> list[dict]:
    """People served and service contacts in the period, by one dimension.
    With ``keys`` (record keys by person id: caremgmt.impact.cellkey), each
    group also has the sums of its contributors' keys, ``people_key`` and
    ``contacts_key``.
    A person counts once in each group she was served in (so a person whose
    birthday moved her into the next age band mid-period counts in both).
    Age band is her age on the day of each contact; stratum and the other
    attributes come from the registry; a service's category and a block's
    locality are today's."""
    if dimension not in DIMENSIONS:
        raise ValidationError({"dimension": Message("error.invalid_choice")})
    facts = facts if facts is not None else facts_for(db, f)
    period = period or _Period(facts, f)
    codes = facts.column(period.contacts, dimension)
    if not len(codes):
        return []
    size = int(codes.max()) + 1
    if dimension in PERSON_ATTRIBUTES:
        served = period.people.per_attribute(codes, size)
    else:
        served = period.people.per_group(codes, size)
    counted = np.bincount(codes, minlength=size)
    present = np.flatnonzero(counted)
    groups = [
        {"value": value, "people_served": int(served[c]), "contacts": int(counted[c])}
        for c, value in zip(present, facts.decode(dimension, present), strict=True)
    ]
    if keys is not None:
        persons = period.contacts.rows["person"].astype(np.int64)
        contact_keys = np.bincount(codes, weights=keys[persons], minlength=size)
        pairs = np.unique(codes.astype(np.int64) * (int(persons.max()) + 1) + persons)
        people_keys = np.bincount(
            pairs // (int(persons.max()) + 1), weights=keys[pairs % (int(persons.max()) + 1)], minlength=size
        )
        for group, c in zip(groups, present, strict=True):
            group["people_key"], group["contacts_key"] = int(people_keys[c]), int(contact_keys[c])
    return sorted(groups, key=lambda g: -g["contacts"])


def _keyed(db: Database, sql: str, params: dict) -> tuple[int, int]:
    """Count and sum of record keys of the persons ``sql`` selects (one row each, as ``person_id``)."""
    row = db.execute(
        f"SELECT count(*), coalesce(sum(k.record_key), 0) FROM ({sql}) c"
        " JOIN person_record_keys k ON k.person_id = c.person_id",
        params,
    ).fetchone()
    return int(row[0]), int(row[1])


def keyed_headlines(
    db: Database, f: Filters, keys: np.ndarray, facts: Facts | None = None
) -> dict[str, tuple[int, int]]:
    """The headline counts with the sum of their contributors' record keys
    (caremgmt.impact.cellkey), each as (count, key sum): the same definitions
    as ``headlines``, counted from their contributors. A contact, a load or a
    place on a waiting list contributes its person's key."""
    facts = facts if facts is not None else facts_for(db, f)
    period = _Period(facts, f)
    persons = period.contacts.rows["person"].astype(np.int64)
    served = np.unique(persons)
    recent = _contacts(facts, f, start=f.end - dt.timedelta(days=ACTIVE_DAYS - 1)).rows
    active = np.unique(recent["person"][recent["caregiver"] == 1].astype(np.int64))
    where, params = _person_where(f)
    period_sql, bounds = registered_between(f)
    start, end_excl = clock.day_bounds(f.start, f.end)
    place = []
    if f.block_code is not None:
        place.append("s.block_code = :block")
    if f.locality_code is not None:
        place.append("b.locality_code = :locality")
    if f.category is not None:
        place.append("v.category = :category")
    place_sql = "".join(f" AND {c}" for c in place)
    sessions = (
        "FROM participants w JOIN sessions s ON s.id = w.session_id JOIN services v ON v.id = s.service_id"
        f" JOIN blocks b ON b.code = s.block_code WHERE s.starts_at >= :start AND s.starts_at < :end_excl{place_sql}"
    )
    params = {
        **params,
        **bounds,
        "start": start,
        "end_excl": end_excl,
        "category": f.category,
        "from": f.start.isoformat(),
        "to": f.end.isoformat(),
    }
    diplomas = ", ".join(f"'{k}'" for k in DIPLOMAS)
    outcomes = (
        "SELECT o.person_id FROM outcomes o JOIN persons p ON p.id = o.person_id"
        f" WHERE o.achieved_on BETWEEN :from AND :to{where} AND o.kind {{}} ({diplomas})"
    )
    loads = f"SELECT w.person_id {sessions} AND v.kind = 'laundry' AND w.status = 'booked' AND w.load_status = '{{}}'"
    return {
        "people_registered": _keyed(db, f"SELECT p.id AS person_id FROM persons p WHERE {period_sql}{where}", params),
        "people_registered_cumulative": _keyed(
            db, f"SELECT p.id AS person_id FROM persons p WHERE p.created_at < :reg_end{where}", params
        ),
        "people_served": (len(served), int(keys[served].sum())),
        "service_contacts": (len(persons), int(keys[persons].sum())),
        "active_caregivers": (len(active), int(keys[active].sum())),
        "laundry_loads": _keyed(db, loads.format("collected"), params),
        "laundry_no_shows": _keyed(db, loads.format("no_show"), params),
        "diplomas": _keyed(db, outcomes.format("IN"), params),
        "other_outcomes": _keyed(db, outcomes.format("NOT IN"), params),
        "booked": _keyed(
            db,
            f"SELECT w.person_id {sessions} AND v.kind = 'activity' AND s.status = 'scheduled' AND w.status = 'booked'",
            params,
        ),
        "waitlist": _keyed(
            db,
            f"SELECT w.person_id {sessions} AND v.kind = 'activity' AND s.status = 'scheduled'"
            " AND w.status = 'waitlisted'",
            params,
        ),
    }


def overview(db: Database, f: Filters, dimensions: tuple[str, ...] = DIMENSIONS) -> dict:
    """Everything the impact page shows, reading the facts and the registrations
    once: the breakdowns by ``dimensions`` only (the page shows one at a time, and
    all eight cost a quarter of the whole)."""
    before = f.previous()
    facts = contact_facts.load(db, min(_window(before)[0], _window(f)[0]), _window(f, through_today=True)[1])
    counted = registrations(db, f, since=before.start)
    period = _Period(facts, f)  # its contacts, persons and hours, worked out once for every figure
    return {
        "now": headlines(db, f, facts, counted, period),
        "before": headlines(db, before, facts, counted),
        "monthly": monthly(db, f, facts, counted, period),
        "retention": retention(db, f, facts, counted),
        "breakdowns": {d: breakdown(db, f, d, facts, period) for d in dimensions},
    }
