"""A person's timeline: everything that happened with her, newest first, in
Bogotá time (stored UTC stamps are shifted by clock.sql_local).
Notes appear only where the reader may see them (caremgmt.casework.cases rules)."""

from __future__ import annotations

from sqlite_utils import Database

from caremgmt.casework.cases import may_see_confidential
from caremgmt.core import audit, clock
from caremgmt.core.actor import User
from caremgmt.core.auth import require

LIMIT = 100
# Every entry has every column; each kind fills its own (the rest are NULL).
COLUMNS = (
    "at",
    "kind",
    "name_es",  # the service (bookings, laundry loads, attendance, referrals to a service)
    "name_en",
    "institution",  # referrals to an institution; the institution that awarded an outcome
    "programme",  # enrolments and referrals to a programme
    "outcome",  # the outcome's kind
    "priority",  # a case opened
    "body",  # a note's text
    "author_id",  # notes: who wrote it and the case's worker, who may read it when confidential
    "case_worker_id",
    "confidential",
)


def _entries(source: str, **columns: str) -> str:
    return "SELECT " + ", ".join(f"{columns.get(c, 'NULL')} AS {c}" for c in COLUMNS) + f" {source}"


_SERVICE = {"name_es": "v.name_es", "name_en": "v.name_en"}
_SQL = (
    "\nUNION ALL\n".join(
        (
            _entries(
                "FROM persons WHERE id = :p",
                at=clock.sql_local("created_at"),
                kind="'registered'",
            ),
            _entries(
                "FROM participants pa JOIN sessions s ON s.id = pa.session_id JOIN services v ON v.id = s.service_id"
                " WHERE pa.person_id = :p",
                at="s.starts_at",
                kind="CASE WHEN v.kind = 'laundry' THEN 'laundry_' || coalesce(pa.load_status, 'booked')"
                " ELSE 'booking_' || pa.status END",
                **_SERVICE,
            ),
            _entries(
                "FROM attendance a JOIN sessions s ON s.id = a.session_id JOIN services v ON v.id = s.service_id"
                " WHERE a.person_id = :p AND v.kind = 'activity'",
                at="s.starts_at",
                kind="'attendance_' || a.status",
                **_SERVICE,
            ),
            _entries(
                "FROM referrals r LEFT JOIN institutions i ON i.id = r.institution_id"
                " LEFT JOIN services v ON v.id = r.service_id LEFT JOIN enrolments e ON e.id = r.enrolment_id"
                " WHERE r.person_id = :p",
                at="r.sent_on",
                kind="'referral_' || r.status",
                institution="i.name",
                programme="e.programme",
                **_SERVICE,
            ),
            _entries(
                "FROM enrolments WHERE person_id = :p",
                at="applied_on",
                kind="'enrolment_' || status",
                programme="programme",
            ),
            _entries(
                "FROM outcomes o WHERE o.person_id = :p",
                at="o.achieved_on",
                kind="'outcome'",
                outcome="o.kind",
                institution="o.institution",
            ),
            _entries(
                "FROM cases WHERE person_id = :p",
                at=clock.sql_local("opened_at"),
                kind="'case_opened'",
                priority="priority",
            ),
            _entries(
                "FROM case_notes n JOIN cases c ON c.id = n.case_id WHERE c.person_id = :p",
                at=clock.sql_local("n.written_at"),
                kind="CASE WHEN n.confidential THEN 'note_confidential' ELSE 'note' END",
                body="n.body",
                author_id="n.author_id",
                case_worker_id="c.case_worker_id",
                confidential="n.confidential",
            ),
        )
    )
    + "\nORDER BY 1 DESC LIMIT :limit"
)


def person_timeline(db: Database, actor: User, person_id: int) -> list[dict]:
    """Newest first, one dict per entry with the COLUMNS. Showing notes counts
    as opening them, and is audited."""
    require(actor, "person.read")
    rows, shows_notes = [], False
    for row in db.query(_SQL, {"p": person_id, "limit": LIMIT}):
        if row["kind"].startswith("note"):
            if row["confidential"] and not may_see_confidential(
                actor, {"case_worker_id": row["case_worker_id"]}, row["author_id"]
            ):
                continue
            shows_notes = True
        rows.append(row)
    if shows_notes:
        audit.record_opening(db, actor, "case_notes", "timeline", person_id)
    return rows
