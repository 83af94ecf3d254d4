"""A person's timeline: everything that happened with her, newest first, in
Bogotá time (stored UTC stamps are shifted by clock.SQL_TO_LOCAL).
Notes appear only where the reader may see them (caremgmt.casework.cases rules)."""

from __future__ import annotations

from sqlite_utils import Database

from caremgmt.casework.cases import may_see_confidential
from caremgmt.core import audit, clock
from caremgmt.core.actor import User
from caremgmt.core.auth import require

LIMIT = 100
_SQL = """
SELECT strftime('%Y-%m-%dT%H:%M', created_at, {local}) AS at, 'registered' AS kind, NULL AS detail, NULL AS ref FROM persons WHERE id = :p
UNION ALL
SELECT s.starts_at, CASE WHEN v.kind = 'laundry' THEN 'laundry_' || coalesce(pa.load_status, 'booked')
                         ELSE 'booking_' || pa.status END, v.name_es || '|' || v.name_en, NULL
FROM participants pa JOIN sessions s ON s.id = pa.session_id JOIN services v ON v.id = s.service_id
WHERE pa.person_id = :p
UNION ALL
SELECT s.starts_at, 'attendance_' || a.status, v.name_es || '|' || v.name_en, NULL
FROM attendance a JOIN sessions s ON s.id = a.session_id JOIN services v ON v.id = s.service_id
WHERE a.person_id = :p AND v.kind = 'activity'
UNION ALL
SELECT r.sent_on, 'referral_' || r.status, coalesce(i.name, v.name_es || '|' || v.name_en, e.programme), NULL
FROM referrals r LEFT JOIN institutions i ON i.id = r.institution_id LEFT JOIN services v ON v.id = r.service_id
LEFT JOIN enrolments e ON e.id = r.enrolment_id WHERE r.person_id = :p
UNION ALL
SELECT applied_on, 'enrolment_' || status, programme, NULL FROM enrolments WHERE person_id = :p
UNION ALL
SELECT achieved_on, 'outcome', kind, institution FROM outcomes WHERE person_id = :p
UNION ALL
SELECT strftime('%Y-%m-%dT%H:%M', opened_at, {local}), 'case_opened', priority, NULL FROM cases WHERE person_id = :p
UNION ALL
SELECT strftime('%Y-%m-%dT%H:%M', n.written_at, {local}), CASE WHEN n.confidential THEN 'note_confidential' ELSE 'note' END, n.body,
       coalesce(n.author_id, '') || ',' || coalesce(c.case_worker_id, '') || ',' || n.confidential
FROM case_notes n JOIN cases c ON c.id = n.case_id WHERE c.person_id = :p
ORDER BY 1 DESC LIMIT :limit
"""


def person_timeline(db: Database, actor: User, person_id: int) -> list[dict]:
    """Newest first. Showing notes counts as opening them, and is audited."""
    require(actor, "person.read")
    rows, shows_notes = [], False
    for row in db.query(_SQL.format(local=clock.SQL_TO_LOCAL), {"p": person_id, "limit": LIMIT}):
        if row["kind"].startswith("note"):
            author, worker, confidential = (int(x) if x else None for x in row["ref"].split(","))
            if confidential and not may_see_confidential(actor, {"case_worker_id": worker}, author):
                continue
            row["ref"], shows_notes = None, True
        rows.append(row)
    if shows_notes:
        audit.record_opening(db, actor, "case_notes", "timeline", person_id)
    return rows
