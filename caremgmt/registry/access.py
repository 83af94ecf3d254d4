"""The right of access (Ley 1581 de 2012, art. 8, habeas data): everything the
registry holds about one person, as a document she can read (HTML, in her
language) and as machine-readable files (one CSV per section), in one ZIP.

Asked by an administrator, with a reason, and audited. Confidential case notes
are in it only as far as the policy lets the requester read them; the
document says how many were withheld. Everything a person typed is escaped
in the document and neutralised for spreadsheets in the CSV files.
"""

from __future__ import annotations

import html
import io
import zipfile

from sqlite_utils import Database

from caremgmt.core import audit, clock, policy
from caremgmt.core.actor import User
from caremgmt.core.db import write_transaction
from caremgmt.core.errors import NotFound, ValidationError
from caremgmt.core.i18n import Message, t
from caremgmt.core.spreadsheet import encode_rows, safe_cell

# Each section: (name, SQL with :p for her id). Columns as stored: the machine-readable files are for machines.
SECTIONS = (
    (
        "person",
        "SELECT id, doc_type, doc_number, first_names, last_names, birth_date, sex, gender_identity, phone,"
        " locality_code, neighbourhood, stratum, ethnicity, disability, migrant_status, education_level,"
        " care_hours_per_day, registration_channel, home_block, is_caregiver, created_at, updated_at"
        " FROM persons WHERE id = :p",
    ),
    (
        "links",
        "SELECT 'cares_for' AS direction, p.first_names, p.last_names, l.relationship, l.care_need,"
        " l.legal_representative, l.since FROM care_links l JOIN persons p ON p.id = l.cared_id"
        " WHERE l.caregiver_id = :p UNION ALL SELECT 'cared_for_by', p.first_names, p.last_names, l.relationship,"
        " l.care_need, l.legal_representative, l.since FROM care_links l JOIN persons p ON p.id = l.caregiver_id"
        " WHERE l.cared_id = :p",
    ),
    (
        "consents",
        "SELECT purpose, text_version, given_at, withdrawn_at FROM consents WHERE person_id = :p ORDER BY given_at",
    ),
    (
        "bookings",
        "SELECT s.starts_at, s.ends_at, s.block_code, v.code AS service, v.kind, pa.status, pa.load_status,"
        " pa.booked_at FROM participants pa JOIN sessions s ON s.id = pa.session_id"
        " JOIN services v ON v.id = s.service_id WHERE pa.person_id = :p ORDER BY s.starts_at",
    ),
    (
        "attendance",
        "SELECT s.starts_at, s.block_code, v.code AS service, a.status, a.quantity, a.walk_in FROM attendance a"
        " JOIN sessions s ON s.id = a.session_id JOIN services v ON v.id = s.service_id"
        " WHERE a.person_id = :p ORDER BY s.starts_at",
    ),
    ("enrolments", "SELECT programme, block_code, status, applied_on, updated_at FROM enrolments WHERE person_id = :p"),
    (
        "cases",
        "SELECT id, block_code, status, priority, opened_at, closed_at, close_reason FROM cases WHERE person_id = :p",
    ),
    (
        "referrals",
        "SELECT r.sent_on, r.target, i.name AS institution, v.code AS service, r.reason, r.status, r.accepted_on,"
        " r.closed_on FROM referrals r LEFT JOIN institutions i ON i.id = r.institution_id"
        " LEFT JOIN services v ON v.id = r.service_id WHERE r.person_id = :p ORDER BY r.sent_on",
    ),
    (
        "tasks",
        "SELECT t.description, t.due_on, t.done_at FROM tasks t JOIN cases c ON c.id = t.case_id"
        " WHERE c.person_id = :p ORDER BY t.due_on",
    ),
    (
        "outcomes",
        "SELECT kind, achieved_on, institution, course, hours, description FROM outcomes WHERE person_id = :p",
    ),
    (
        # Who opened her file (or a list that showed her), and when.
        "openings",
        "SELECT a.at, a.username, a.entity FROM audit_log a WHERE a.action = 'read' AND (a.person_id = :p"
        " OR (a.person_id IS NULL AND a.detail LIKE '%\"ids\"%' AND EXISTS"
        " (SELECT 1 FROM json_each(a.detail, '$.ids') WHERE value = :p))) ORDER BY a.id",
    ),
)


def access_bundle(db: Database, actor: User, person_id: int, *, reason: str, language: str = "es") -> bytes:
    """The ZIP of everything held about her, for her; audited with the reason."""
    policy.check(db, actor, "person.access")
    if not (reason or "").strip():
        raise ValidationError({"reason": Message("error.required")})
    if not db["persons"].count_where("id = ?", [person_id]):
        raise NotFound("person")
    tables = {}
    for name, sql in SECTIONS:
        cursor = db.execute(sql, {"p": person_id})
        tables[name] = ([c[0] for c in cursor.description], cursor.fetchall())
    notes, withheld = _notes(db, actor, person_id)
    tables["notes"] = (["written_at", "confidential", "body"], notes)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr(t("access.file_name", language) + ".html", _document(tables, withheld, language))
        for name, (columns, rows) in tables.items():
            bundle.writestr(f"{name}.csv", encode_rows([columns, *([safe_cell(v) for v in r] for r in rows)], ","))
    with write_transaction(db):
        audit.record(
            db, actor, "access_bundle", "person", person_id, person_id=person_id, new={"reason": reason.strip()}
        )
    return buffer.getvalue()


def _notes(db: Database, actor: User, person_id: int) -> tuple[list[tuple], int]:
    rows = db.execute(
        "SELECT n.written_at, n.confidential, n.body, n.author_id, c.case_worker_id, c.block_code"
        " FROM case_notes n JOIN cases c ON c.id = n.case_id WHERE c.person_id = ? ORDER BY n.written_at",
        [person_id],
    ).fetchall()
    shown = [
        r[:3]
        for r in rows
        if not r[1] or policy.may_read_note(actor, block_code=r[5], author_id=r[3], case_worker_id=r[4])
    ]
    return shown, len(rows) - len(shown)


def _document(tables: dict, withheld: int, language: str) -> str:
    """A page she can read: a heading per section, a table of its rows."""
    e = html.escape
    parts = [
        f"<!doctype html><html lang='{language}'><head><meta charset='utf-8'>",
        f"<title>{e(t('access.title', language))}</title></head><body>",
        f"<h1>{e(t('access.title', language))}</h1>",
        f"<p>{e(t('access.intro', language, date=clock.today()))}</p>",
    ]
    for name, (columns, rows) in tables.items():
        parts.append(f"<h2>{e(t(f'access.section.{name}', language))}</h2>")
        if not rows:
            parts.append(f"<p>{e(t('access.nothing', language))}</p>")
            continue
        parts.append("<table border='1'><tr>" + "".join(f"<th>{e(c)}</th>" for c in columns) + "</tr>")
        parts += ["<tr>" + "".join(f"<td>{e('' if v is None else str(v))}</td>" for v in r) + "</tr>" for r in rows]
        parts.append("</table>")
    if withheld:
        parts.append(f"<p>{e(t('access.withheld', language, n=withheld))}</p>")
    return "".join(parts) + "</body></html>"
