"""A person's timeline: everything that happened with her, newest first, in
Bogotá time (stored UTC stamps are shifted by clock.sql_local).
Case notes and why a case was closed appear only to those who may read the
case (its block's staff); a confidential note only to those who may read it
(caremgmt.core.policy). Every view is audited.

Order: newest first by when it happened. An entry known only by its day (a
referral's latest step, an application to a programme, an outcome) counts as
the end of that day, so it comes before that day's timed entries. Entries at
the same moment come in the order things happen (registration, case opened,
application, referral, booking, attendance, outcome, note, case closed: the
later step first), then the newer record first; the order never depends on
how the database happens to return rows."""

from __future__ import annotations

from sqlite_utils import Database

from caremgmt.core import audit, clock, policy
from caremgmt.core.actor import User
from caremgmt.core.i18n import format_date, t
from caremgmt.scheduling.catalogue import service_name

LIMIT = 100
# Every entry has every column; each kind fills its own (the rest are NULL).
COLUMNS = (
    "at",  # Bogotá wall clock: 'YYYY-MM-DDTHH:MM', or 'YYYY-MM-DD' for what is known only by its day
    "kind",
    "name_es",  # the service (bookings, laundry loads, attendance, referrals to a service)
    "name_en",
    "institution",  # referrals to an institution; the institution that awarded an outcome
    "programme",  # enrolments and referrals to a programme
    "outcome",  # the outcome's kind
    "priority",  # a case opened
    "body",  # a note's text; why a case was closed; what an outcome was (a job, a business)
    "author_id",  # notes: who wrote it and the case's worker, who may read it when confidential
    "case_worker_id",
    "confidential",
    "block_code",  # cases and notes: the case's block, whose staff may read them
    "caregiver",  # registration: 1 registered as a caregiver, 0 as a person cared for
    "channel",  # registration: how she came (front desk, bus, outreach, pre-registration)
)
# Which of two entries at the same moment happened later (the higher comes first).
_STEP = {
    "registered": 0,
    "case_opened": 1,
    "enrolment": 2,
    "referral": 3,
    "booking": 4,
    "attendance": 5,
    "outcome": 6,
    "note": 7,
    "case_closed": 8,
}


def _entries(source: str, step: str, ref: str, **columns: str) -> str:
    """One kind of entry: the COLUMNS plus what orders them (see the module docstring)."""
    return (
        "SELECT "
        + ", ".join(f"{columns.get(c, 'NULL')} AS {c}" for c in COLUMNS)
        + f", {_STEP[step]} AS step, {ref} AS ref {source}"
    )


_SERVICE = {"name_es": "v.name_es", "name_en": "v.name_en"}
_SQL = (
    "SELECT "
    + ", ".join(COLUMNS)
    + " FROM (\n"
    + "\nUNION ALL\n".join(
        (
            _entries(
                "FROM persons WHERE id = :p",
                "registered",
                "id",
                at=clock.sql_local("created_at"),
                kind="'registered'",
                caregiver="is_caregiver",
                channel="registration_channel",
            ),
            # A booking whose attendance is recorded shows as the attendance alone.
            _entries(
                "FROM participants pa JOIN sessions s ON s.id = pa.session_id JOIN services v ON v.id = s.service_id"
                " WHERE pa.person_id = :p AND NOT (v.kind = 'activity' AND EXISTS (SELECT 1 FROM attendance a"
                " WHERE a.session_id = pa.session_id AND a.person_id = pa.person_id))",
                "booking",
                "pa.id",
                at="s.starts_at",
                kind="CASE WHEN v.kind = 'laundry' THEN 'laundry_' || coalesce(pa.load_status, 'booked')"
                " ELSE 'booking_' || pa.status END",
                **_SERVICE,
            ),
            _entries(
                "FROM attendance a JOIN sessions s ON s.id = a.session_id JOIN services v ON v.id = s.service_id"
                " WHERE a.person_id = :p AND v.kind = 'activity'",
                "attendance",
                "a.id",
                at="s.starts_at",
                kind="'attendance_' || a.status",
                **_SERVICE,
            ),
            # A referral shows where it stands, on the day it got there.
            _entries(
                "FROM referrals r LEFT JOIN institutions i ON i.id = r.institution_id"
                " LEFT JOIN services v ON v.id = r.service_id LEFT JOIN enrolments e ON e.id = r.enrolment_id"
                " WHERE r.person_id = :p",
                "referral",
                "r.id",
                at="coalesce(r.closed_on, r.accepted_on, r.sent_on)",
                kind="'referral_' || r.status",
                institution="i.name",
                programme="e.programme",
                **_SERVICE,
            ),
            _entries(
                "FROM enrolments WHERE person_id = :p",
                "enrolment",
                "id",
                at=f"CASE WHEN status = 'applied' THEN applied_on ELSE {clock.sql_local('updated_at')} END",
                kind="'enrolment_' || status",
                programme="programme",
            ),
            _entries(
                "FROM outcomes o WHERE o.person_id = :p",
                "outcome",
                "o.id",
                at="o.achieved_on",
                kind="'outcome'",
                outcome="o.kind",
                institution="o.institution",
                body="o.description",
            ),
            _entries(
                "FROM cases WHERE person_id = :p",
                "case_opened",
                "id",
                at=clock.sql_local("opened_at"),
                kind="'case_opened'",
                priority="priority",
            ),
            _entries(
                "FROM cases WHERE person_id = :p AND closed_at IS NOT NULL",
                "case_closed",
                "id",
                at=clock.sql_local("closed_at"),
                kind="'case_closed'",
                body="close_reason",
                block_code="block_code",
            ),
            _entries(
                "FROM case_notes n JOIN cases c ON c.id = n.case_id WHERE c.person_id = :p",
                "note",
                "n.id",
                at=clock.sql_local("n.written_at"),
                kind="CASE WHEN n.confidential THEN 'note_confidential' ELSE 'note' END",
                body="n.body",
                author_id="n.author_id",
                case_worker_id="c.case_worker_id",
                confidential="n.confidential",
                block_code="c.block_code",
            ),
        )
    )
    # A day-only entry sorts as the end of its day ('T~' after any 'THH:MM').
    + "\n) ORDER BY CASE WHEN length(at) = 10 THEN at || 'T~' ELSE at END DESC, step DESC, ref DESC LIMIT :limit"
)


def person_timeline(db: Database, actor: User, person_id: int) -> list[dict]:
    """Newest first (see the module docstring), one dict per entry with the COLUMNS.
    Every view is audited (one entry); one that shows notes counts as opening them."""
    policy.check(db, actor, "person.read")
    rows, shows_notes = [], False
    for row in db.query(_SQL, {"p": person_id, "limit": LIMIT}):
        if row["kind"].startswith("note"):
            readable = policy.permits(actor, "case.read", row["block_code"]) and (
                not row["confidential"]
                or policy.may_read_note(
                    actor,
                    block_code=row["block_code"],
                    author_id=row["author_id"],
                    case_worker_id=row["case_worker_id"],
                )
            )
            if not readable:  # not even that a note was written, or when
                continue
            shows_notes = True
        elif row["kind"] == "case_closed" and not policy.permits(actor, "case.read", row["block_code"]):
            row["body"] = None  # that it closed is the person's history; why is the case's
        rows.append(row)
    if shows_notes:
        audit.record_opening(db, actor, "case_notes", "timeline", person_id)
    else:
        audit.record_opening(db, actor, "timeline", person_id, person_id)
    return rows


def when(entry: dict, language: str) -> str:
    """The entry's date in the language's format, with its Bogotá time when it has one:
    '21/11/2026 20:00' (es), 'Nov 21, 2026 20:00' (en), or just the date."""
    day = format_date(entry["at"][:10], language)
    return f"{day} {entry['at'][11:16]}" if len(entry["at"]) > 10 else day


def referral_target(entry: dict, language: str) -> str:
    """Where a referral goes: the institution, the block's service or the programme."""
    if entry["institution"]:
        return entry["institution"]
    if entry["name_es"]:
        return service_name(entry, language)
    if entry["programme"]:
        return t(f"programme.{entry['programme']}", language)
    return t("referral_kind.session", language)  # an internal referral whose service is gone


def describe(entry: dict, language: str) -> str:
    """What happened, in ``language``: never empty. Text someone typed (a note, a reason,
    an institution's name) is part of it: show it as plain text, never as markdown."""
    kind = entry["kind"]
    if kind == "registered":
        parts = [t("timeline.registered_caregiver" if entry["caregiver"] else "timeline.registered_cared", language)]
        if entry["channel"]:
            parts.append(t(f"channel.{entry['channel']}", language))
        return " · ".join(parts)
    parts = [t(f"timeline.{kind}", language)]
    if kind.startswith("referral_"):
        parts.append(referral_target(entry, language))
    elif kind == "outcome":
        parts += [t(f"outcome.{entry['outcome']}", language), entry["institution"], entry["body"]]
    elif kind == "case_opened":
        priority = t(f"priority.{entry['priority']}", language)
        parts.append(f"{t('field.priority', language)}: {priority}")
    elif entry["name_es"]:  # a booking, a laundry load, attendance
        parts.append(service_name(entry, language))
    elif entry["programme"]:  # an application to a programme
        parts.append(t(f"programme.{entry['programme']}", language))
    else:  # a note, or why a case was closed
        parts.append(entry["body"])
    return " · ".join(p for p in parts if p)
