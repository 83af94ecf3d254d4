"""Care hours freed: the one documented rule (DESIGN.md), configured per service.

- ``simultaneity``: a caregiver's attended (present) session counts its full
  duration when a person she cares for attended a care session (service
  audience 'cared') at the same block whose time overlaps hers.
- ``per_unit``: each unit recorded on an attended session counts the
  service's ``hours_per_unit`` (laundry: one collected load = 67 minutes by
  default, the city's figure for daily washing, ironing and sorting).
- ``none``: the service frees no care time.

Both the person's file and the day view (and later the impact pages) call
``care_hours_freed``; nothing else computes the figure.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlite_utils import Database

from caremgmt.core import clock
from caremgmt.scheduling.timetable import overlap_sql

_ITEMS_SQL = f"""
SELECT a.id AS attendance_id, a.person_id, s.id AS session_id, s.block_code, s.starts_at, v.code AS service_code,
       'simultaneity' AS rule,
       round((julianday(s.ends_at) - julianday(s.starts_at)) * 24, 4) AS hours
FROM attendance a
JOIN sessions s ON s.id = a.session_id
JOIN services v ON v.id = s.service_id AND v.care_hours_rule = 'simultaneity'
JOIN blocks b ON b.code = s.block_code
WHERE a.status = 'present' {{filters}}
  AND EXISTS (
    -- CROSS JOIN fixes the order: her links, then each cared-for person's few attendances.
    SELECT 1 FROM care_links l
    CROSS JOIN attendance ca ON ca.person_id = l.cared_id AND ca.status = 'present'
    CROSS JOIN sessions cs ON cs.id = ca.session_id
    CROSS JOIN services cv ON cv.id = cs.service_id AND cv.audience = 'cared'
    WHERE l.caregiver_id = a.person_id AND cs.block_code = s.block_code
      AND {overlap_sql("cs", "s")}
  )
UNION ALL
SELECT a.id, a.person_id, s.id, s.block_code, s.starts_at, v.code, 'per_unit', a.quantity * v.hours_per_unit
FROM attendance a
JOIN sessions s ON s.id = a.session_id
JOIN services v ON v.id = s.service_id AND v.care_hours_rule = 'per_unit'
JOIN blocks b ON b.code = s.block_code
WHERE a.status = 'present' {{filters}}
"""


@dataclass(frozen=True)
class CareHours:
    hours: float
    items: list[dict]

    @property
    def days(self) -> float:
        """In 8-hour working days, as the city reports freed time."""
        return round(self.hours / 8, 1)


def items_query(
    *,
    person_id: int | None = None,
    block_code: str | None = None,
    locality_code: int | None = None,
    category: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> tuple[str, dict]:
    """The SQL (and parameters) of every attended session that frees care time,
    one row per attendance with its ``hours``: the single definition the person's
    file, the day view, the impact pages and the exports all build on."""
    filters, params = [], {}
    for column, name, value in (
        ("a.person_id", "person", person_id),
        ("s.block_code", "block", block_code),
        ("b.locality_code", "locality", locality_code),
        ("v.category", "category", category),
    ):
        if value is not None:
            filters.append(f"{column} = :{name}")
            params[name] = value
    if start is not None:
        filters.append("s.starts_at >= :start")
        params["start"] = clock.day_bounds(start, start)[0]
    if end is not None:
        filters.append("s.starts_at < :end")
        params["end"] = clock.day_bounds(end, end)[1]
    return _ITEMS_SQL.format(filters="".join(f" AND {f}" for f in filters)), params


def care_hours_freed(db: Database, **filters) -> CareHours:
    """Hours freed by attended sessions matching the filters (dates inclusive)."""
    sql, params = items_query(**filters)
    items = list(db.query(sql + " ORDER BY starts_at", params))
    return CareHours(round(sum(i["hours"] for i in items), 2), items)
