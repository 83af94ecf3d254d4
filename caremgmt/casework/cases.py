"""Case management: a case per person, needs assessments over time, a plan of
goals, dated notes (some confidential, never edited), follow-up tasks and the
caseload views.

Scope: a case belongs to a block (the person's home block when it opened);
only that block's staff, its coordinators and city-wide users act on it or read
it (caremgmt.core.policy). Confidentiality: a confidential note is visible to its
author, the case's assigned worker, the block's coordinators and admins, and to
no one else, whatever page or function asks. Every opening of a case's notes is
audited, and so is every view of a caseload.
"""

from __future__ import annotations

import datetime as dt

from sqlite_utils import Database

from caremgmt.core import audit, clock, policy
from caremgmt.core.actor import User
from caremgmt.core.db import write_transaction
from caremgmt.core.errors import CareError, NotFound, PermissionDenied, ValidationError
from caremgmt.core.i18n import Message
from caremgmt.core.text import full_name_sql

DOMAINS = ("education", "income_work", "health", "safety_violence", "legal", "emotional_wellbeing", "care_load")
PRIORITIES = ("low", "medium", "high")
NOTE_MAX_LENGTH = 5000


# A case's referrals (caremgmt.casework.referrals moves them on) are open while
# sent or accepted, and overdue when still open after their due date: the
# rule the caseload, the case page and the referrals export share. It lives
# here, below referrals, so that the caseload can use it too.
OPEN_REFERRAL = ("sent", "accepted")


def referral_open_sql(alias: str) -> str:
    return f"{alias}.status IN ({', '.join(repr(s) for s in OPEN_REFERRAL)})"


def referral_overdue_sql(alias: str, today: str) -> str:
    """SQL: referral ``alias`` is overdue on ``today`` (an SQL expression: a parameter)."""
    return f"{referral_open_sql(alias)} AND {alias}.due_on < {today}"


class CaseRefused(CareError):
    """A case action the rules do not allow; nothing was written."""


def _case(db: Database, case_id: int) -> dict:
    rows = list(db.query("SELECT * FROM cases WHERE id = ?", [case_id]))
    if not rows:
        raise NotFound("case")
    return rows[0]


def require_open_case(db: Database, case_id: int) -> dict:
    case = _case(db, case_id)
    if case["status"] != "open":
        raise CaseRefused(Message("error.case_closed"))
    return case


# Who can work a case (be its worker, own its tasks): active users who may write
# the case's block's cases (a worker reads its confidential notes).
WORKER_ROLES = policy.roles_with("case.write")
_IS_WORKER = f"active = 1 AND role IN ({', '.join('?' * len(WORKER_ROLES))})"


def _workers(db: Database, block_code: str | None) -> list[dict]:
    rows = db.query(
        f"SELECT id, username, role, block_code FROM users WHERE {_IS_WORKER} ORDER BY username", WORKER_ROLES
    )
    return [
        r
        for r in rows
        if policy.permits(User(r["id"], r["username"], r["role"], r["block_code"]), "case.write", block_code)
    ]


def _worker_ok(db: Database, user_id: int | None, block_code: str | None) -> bool:
    return user_id is None or any(w["id"] == user_id for w in _workers(db, block_code))


def open_case(
    db: Database, actor: User, person_id: int, *, priority: str = "medium", case_worker_id: int | None = None
) -> int:
    """Open a case at the person's home block; refused if she already has an open one."""
    block_code = policy.check_record(db, actor, "case.write", "person", person_id)
    errors = {}
    if priority not in PRIORITIES:
        errors["priority"] = Message("error.invalid_choice")
    if not _worker_ok(db, case_worker_id, block_code):
        errors["case_worker_id"] = Message("error.invalid_choice")
    if errors:
        raise ValidationError(errors)
    with write_transaction(db):
        person = db.execute("SELECT home_block FROM persons WHERE id = ?", [person_id]).fetchone()
        if not person:
            raise NotFound("person")
        if db["cases"].count_where("person_id = ? AND status = 'open'", [person_id]):
            raise CaseRefused(Message("error.case_already_open"))
        row = {
            "person_id": person_id,
            "block_code": person[0],
            "priority": priority,
            "case_worker_id": case_worker_id if case_worker_id is not None else actor.id,
            "opened_at": clock.now_iso(),
            "opened_by": actor.id,
        }
        case_id = db["cases"].insert(row).last_pk
        audit.record(db, actor, "create", "case", case_id, person_id=person_id, new=row)
    return case_id


def update_case(db: Database, actor: User, case_id: int, *, priority: str, case_worker_id: int) -> None:
    block_code = policy.check_record(db, actor, "case.write", "case", case_id)
    if priority not in PRIORITIES or not _worker_ok(db, case_worker_id, block_code):
        raise ValidationError(
            {"priority" if priority not in PRIORITIES else "case_worker_id": Message("error.invalid_choice")}
        )
    with write_transaction(db):
        case = require_open_case(db, case_id)
        # The worker sees confidential notes: only coordinators, admins or the
        # current worker may hand the case to someone else.
        if case_worker_id != case["case_worker_id"] and not (
            policy.permits(actor, "case.confidential", block_code) or actor.id == case["case_worker_id"]
        ):
            raise PermissionDenied("case.reassign")
        old, new = audit.changed(case, {"priority": priority, "case_worker_id": case_worker_id})
        if new:
            db["cases"].update(case_id, new)
            audit.record(db, actor, "update", "case", case_id, person_id=case["person_id"], old=old, new=new)


def close_case(db: Database, actor: User, case_id: int, reason: str) -> None:
    policy.check_record(db, actor, "case.write", "case", case_id)
    if not (reason or "").strip():
        raise ValidationError({"close_reason": Message("error.required")})
    with write_transaction(db):
        case = require_open_case(db, case_id)
        new = {"status": "closed", "closed_at": clock.now_iso(), "closed_by": actor.id, "close_reason": reason.strip()}
        db["cases"].update(case_id, new)
        audit.record(db, actor, "update", "case", case_id, person_id=case["person_id"], old={"status": "open"}, new=new)


def current_case(db: Database, actor: User, person_id: int) -> dict | None:
    """The person's open case (or her latest closed one this user may read), with
    worker name. An open case of a block the user does not serve is refused."""
    for case in db.query(
        "SELECT c.*, u.username AS case_worker FROM cases c LEFT JOIN users u ON u.id = c.case_worker_id"
        " WHERE c.person_id = ? ORDER BY c.status = 'open' DESC, c.id DESC",
        [person_id],
    ):
        if case["status"] == "open" or policy.permits(actor, "case.read", case["block_code"]):
            policy.check(db, actor, "case.read", case["block_code"])
            return case
    policy.check(db, actor, "case.read", actor.block_code)  # none to show: her role and account still count
    return None


# --- assessments and goals ----------------------------------------------------


def record_assessment(
    db: Database, actor: User, case_id: int, scores: dict[str, int], on: dt.date | None = None
) -> int:
    """Scores 1 (severe need) to 5 (no need) for each domain; repeatable over time."""
    policy.check_record(db, actor, "case.write", "case", case_id)
    on = on or clock.today()
    errors = {}
    for domain in DOMAINS:
        score = scores.get(domain)
        if not isinstance(score, int) or not 1 <= score <= 5:
            errors[f"score.{domain}"] = Message("error.out_of_range", {"low": 1, "high": 5})
    if on > clock.today():
        errors["assessed_on"] = Message("error.future_date")
    if set(scores) - set(DOMAINS):
        errors["domain"] = Message("error.invalid_choice")
    if errors:
        raise ValidationError(errors)
    with write_transaction(db):
        case = require_open_case(db, case_id)
        assessment_id = (
            db["assessments"]
            .insert(
                {
                    "case_id": case_id,
                    "assessed_on": on.isoformat(),
                    "assessed_by": actor.id,
                    "recorded_at": clock.now_iso(),
                }
            )
            .last_pk
        )
        db.conn.executemany(
            "INSERT INTO assessment_scores (assessment_id, domain, score) VALUES (?, ?, ?)",
            [(assessment_id, d, scores[d]) for d in DOMAINS],
        )
        audit.record(db, actor, "create", "assessment", assessment_id, person_id=case["person_id"], new=scores)
    return assessment_id


def assessments(db: Database, actor: User, case_id: int) -> list[dict]:
    """Oldest first, one dict per assessment with a score per domain, so change shows."""
    policy.check_record(db, actor, "case.read", "case", case_id)
    out: dict[int, dict] = {}
    for row in db.query(
        "SELECT a.id, a.assessed_on, s.domain, s.score"
        " FROM assessments a JOIN assessment_scores s ON s.assessment_id = a.id"
        " WHERE a.case_id = ? ORDER BY a.assessed_on, a.id",
        [case_id],
    ):
        out.setdefault(row["id"], {"id": row["id"], "assessed_on": row["assessed_on"]})[row["domain"]] = row["score"]
    return list(out.values())


def add_goal(db: Database, actor: User, case_id: int, domain: str, description: str, target: dt.date) -> int:
    policy.check_record(db, actor, "case.write", "case", case_id)
    errors = {}
    if domain not in DOMAINS:
        errors["domain"] = Message("error.invalid_choice")
    if not (description or "").strip():
        errors["description"] = Message("error.required")
    if not isinstance(target, dt.date) or target < clock.today():
        errors["target_date"] = Message("error.target_in_past")
    if errors:
        raise ValidationError(errors)
    with write_transaction(db):
        case = require_open_case(db, case_id)
        now = clock.now_iso()
        row = {
            "case_id": case_id,
            "domain": domain,
            "description": description.strip(),
            "target_date": target.isoformat(),
            "created_at": now,
            "created_by": actor.id,
            "updated_at": now,
        }
        goal_id = db["case_goals"].insert(row).last_pk
        audit.record(db, actor, "create", "goal", goal_id, person_id=case["person_id"], new=row)
    return goal_id


def set_goal_status(db: Database, actor: User, goal_id: int, status: str) -> None:
    policy.check_record(db, actor, "case.write", "goal", goal_id)
    if status not in ("achieved", "dropped", "open"):
        raise ValidationError({"status": Message("error.invalid_choice")})
    with write_transaction(db):
        goal = db.execute("SELECT case_id, status FROM case_goals WHERE id = ?", [goal_id]).fetchone()
        if not goal:
            raise NotFound("goal")
        case = require_open_case(db, goal[0])
        db["case_goals"].update(goal_id, {"status": status, "updated_at": clock.now_iso()})
        audit.record(
            db,
            actor,
            "update",
            "goal",
            goal_id,
            person_id=case["person_id"],
            old={"status": goal[1]},
            new={"status": status},
        )


def goals(db: Database, actor: User, case_id: int) -> list[dict]:
    policy.check_record(db, actor, "case.read", "case", case_id)
    return list(
        db.query("SELECT * FROM case_goals WHERE case_id = ? ORDER BY status = 'open' DESC, target_date", [case_id])
    )


# --- notes -----------------------------------------------------------------


def may_see_confidential(actor: User, case: dict, author_id: int | None) -> bool:
    """Whether ``actor`` may read a confidential note of ``case`` (the rule: caremgmt.core.policy)."""
    return policy.may_read_note(
        actor, block_code=case["block_code"], author_id=author_id, case_worker_id=case["case_worker_id"]
    )


def add_note(
    db: Database, actor: User, case_id: int, body: str, *, confidential: bool = False, corrects: int | None = None
) -> int:
    """A dated note. Notes are never edited: a correction is a new note that
    references the one it corrects (and is at least as confidential)."""
    policy.check_record(db, actor, "case.write", "case", case_id)
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": Message("error.required")})
    if len(body) > NOTE_MAX_LENGTH:
        raise ValidationError({"body": Message("error.too_long", {"max": NOTE_MAX_LENGTH})})
    with write_transaction(db):
        case = _case(db, case_id)
        if corrects is not None:
            original = db.execute(
                "SELECT case_id, confidential, author_id FROM case_notes WHERE id = ?", [corrects]
            ).fetchone()
            if not original or original[0] != case_id:
                raise NotFound("note")
            if original[1] and not may_see_confidential(actor, case, original[2]):
                raise NotFound("note")  # a note one cannot see cannot be corrected either
            confidential = confidential or bool(original[1])
        row = {
            "case_id": case_id,
            "author_id": actor.id,
            "written_at": clock.now_iso(),
            "body": body,
            "confidential": int(confidential),
            "corrects_note_id": corrects,
        }
        note_id = db["case_notes"].insert(row).last_pk
        # The note's text stays out of the audit log: only that it was written.
        audit.record(
            db,
            actor,
            "create",
            "note",
            note_id,
            person_id=case["person_id"],
            new={"confidential": int(confidential), "corrects_note_id": corrects},
        )
    return note_id


def notes(db: Database, actor: User, case_id: int) -> list[dict]:
    """The notes this user may read, newest first, each with what corrects it.
    The opening is audited."""
    policy.check_record(db, actor, "case.read", "case", case_id)
    case = _case(db, case_id)
    rows = list(
        db.query(
            "SELECT n.*, u.username AS author FROM case_notes n LEFT JOIN users u ON u.id = n.author_id"
            " WHERE n.case_id = ? ORDER BY n.id DESC",
            [case_id],
        )
    )
    audit.record_opening(db, actor, "case_notes", case_id, case["person_id"])
    visible = [r for r in rows if not r["confidential"] or may_see_confidential(actor, case, r["author_id"])]
    shown = {r["id"] for r in visible}
    for r in visible:  # a correction the reader may not see is not pointed at either
        r["corrected_by"] = max((c["id"] for c in visible if c["corrects_note_id"] == r["id"]), default=None)
    return [r for r in visible if r["id"] in shown]


# --- tasks -------------------------------------------------------------------


def add_task(db: Database, actor: User, case_id: int, description: str, due: dt.date, owner_id: int) -> int:
    block_code = policy.check_record(db, actor, "case.write", "case", case_id)
    errors = {}
    if not (description or "").strip():
        errors["description"] = Message("error.required")
    if not isinstance(due, dt.date) or due < clock.today():
        errors["due_on"] = Message("error.target_in_past")
    if not owner_id or not _worker_ok(db, owner_id, block_code):
        errors["owner_id"] = Message("error.invalid_choice")
    if errors:
        raise ValidationError(errors)
    with write_transaction(db):
        case = require_open_case(db, case_id)
        row = {
            "case_id": case_id,
            "description": description.strip(),
            "due_on": due.isoformat(),
            "owner_id": owner_id,
            "created_at": clock.now_iso(),
            "created_by": actor.id,
        }
        task_id = db["tasks"].insert(row).last_pk
        audit.record(db, actor, "create", "task", task_id, person_id=case["person_id"], new=row)
    return task_id


def complete_task(db: Database, actor: User, task_id: int) -> None:
    policy.check_record(db, actor, "case.write", "task", task_id)
    with write_transaction(db):
        task = db.execute("SELECT case_id, status FROM tasks WHERE id = ?", [task_id]).fetchone()
        if not task:
            raise NotFound("task")
        if task[1] == "done":
            raise CaseRefused(Message("error.task_done"))
        case = _case(db, task[0])
        db["tasks"].update(task_id, {"status": "done", "done_at": clock.now_iso(), "done_by": actor.id})
        audit.record(
            db,
            actor,
            "update",
            "task",
            task_id,
            person_id=case["person_id"],
            old={"status": "open"},
            new={"status": "done"},
        )


def tasks(db: Database, actor: User, case_id: int) -> list[dict]:
    policy.check_record(db, actor, "case.read", "case", case_id)
    return list(
        db.query(
            "SELECT t.*, u.username AS owner FROM tasks t JOIN users u ON u.id = t.owner_id WHERE t.case_id = ?"
            " ORDER BY t.status = 'open' DESC, t.due_on",
            [case_id],
        )
    )


# --- caseload --------------------------------------------------------------


def caseload(db: Database, actor: User, *, block_code: str | None = None) -> dict:
    """A worker's own caseload (at the blocks she serves), or (coordinators of the
    block and admins, ``block_code``) the whole block's: open cases, open tasks
    (due and overdue), referrals waiting. Each view is audited."""
    if block_code is not None:
        policy.check(db, actor, "case.confidential", block_code)  # those who oversee the block
        scope, params = "c.block_code = :scope", {"scope": block_code}
        task_scope = "c.block_code = :scope"
    else:
        policy.check(db, actor, "case.read", actor.block_code)
        scope, params = "c.case_worker_id = :scope", {"scope": actor.id}
        task_scope = "t.owner_id = :scope"
        if not policy.city_wide(actor):  # a worker moved to another block leaves her old cases there
            scope += " AND c.block_code = :block"
            task_scope += " AND c.block_code = :block"
            params["block"] = actor.block_code
    params["today"] = clock.today().isoformat()
    open_cases = list(
        db.query(
            f"SELECT c.id, c.person_id, c.priority, c.opened_at, {full_name_sql('p')} AS full_name,"
            " u.username AS case_worker FROM cases c JOIN persons p ON p.id = c.person_id"
            f" LEFT JOIN users u ON u.id = c.case_worker_id WHERE c.status = 'open' AND {scope}"
            " ORDER BY CASE c.priority WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END, c.opened_at",
            params,
        )
    )
    open_tasks = list(
        db.query(
            "SELECT t.id, t.description, t.due_on, t.due_on < :today AS overdue, c.person_id, u.username AS owner,"
            f" {full_name_sql('p')} AS full_name FROM tasks t JOIN cases c ON c.id = t.case_id"
            " JOIN persons p ON p.id = c.person_id JOIN users u ON u.id = t.owner_id"
            f" WHERE t.status = 'open' AND {task_scope}"
            " ORDER BY t.due_on",
            params,
        )
    )
    waiting = list(
        db.query(
            f"SELECT r.id, r.status, r.sent_on, r.due_on, {referral_overdue_sql('r', ':today')} AS overdue,"
            " r.person_id,"
            # Where it goes, as the timeline names it (casework.timeline.referral_target).
            f" i.name AS institution, v.name_es, v.name_en, e.programme, {full_name_sql('p')} AS full_name"
            " FROM referrals r JOIN cases c ON c.id = r.case_id JOIN persons p ON p.id = r.person_id"
            " LEFT JOIN institutions i ON i.id = r.institution_id LEFT JOIN services v ON v.id = r.service_id"
            " LEFT JOIN enrolments e ON e.id = r.enrolment_id"
            f" WHERE {referral_open_sql('r')} AND {scope} ORDER BY r.due_on",
            params,
        )
    )
    shown = [r["person_id"] for part in (open_cases, open_tasks, waiting) for r in part]
    audit.record_read(db, actor, "caseload", shown, block_code or f"user:{actor.id}")
    return {"cases": open_cases, "tasks": open_tasks, "referrals": waiting}


def case_workers(db: Database, actor: User, block_code: str | None = None) -> list[dict]:
    """Who may work a case of ``block_code`` (default: the user's own block)."""
    block_code = block_code if block_code is not None else actor.block_code
    policy.check(db, actor, "case.read", block_code)
    return _workers(db, block_code)
