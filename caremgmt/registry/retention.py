"""Retention (Ley 1581: data kept no longer than its purpose needs): rules an
administrator sets, applied by ``python -m caremgmt retention --apply`` (from
cron, like backups), previewed by the same command without ``--apply``.

- ``inactive_persons_years``: a person with no activity at all (no booking,
  attendance, consent, case, enrolment, outcome or edit) for that long is
  anonymised (caremgmt.registry.rights.anonymise), unless she has an open case;
- ``unverified_days``: a self pre-registration never confirmed at a desk (no
  booking, no attendance) after that long is anonymised too;
- ``closed_case_notes_years``: the notes of a case closed that long ago are
  erased (the case, its dates and its outcome stay for the figures);
- ``audit_values_years``: the audit log's sealed old values of years older than
  that are made unreadable by destroying those years' keys
  (caremgmt.core.personal_keys); who did what, and when, stays.
"""

from __future__ import annotations

import datetime as dt
import json

from sqlite_utils import Database

from caremgmt.core import audit, clock, personal_keys, policy, settings
from caremgmt.core.actor import User
from caremgmt.core.db import write_transaction
from caremgmt.core.errors import ValidationError
from caremgmt.core.i18n import Message
from caremgmt.registry import rights

RULES = {
    "inactive_persons_years": (5, 1, 50),
    "unverified_days": (90, 7, 3650),
    "closed_case_notes_years": (5, 1, 50),
    "audit_values_years": (10, 1, 100),
}  # rule: (default, least, most)
_SETTING = "retention.{}"
_LAST_RUN = "retention.last_run"

_LAST_ACTIVITY = """max(p.created_at, p.updated_at,
    coalesce((SELECT max(recorded_at) FROM attendance WHERE person_id = p.id), ''),
    coalesce((SELECT max(changed_at) FROM participants WHERE person_id = p.id), ''),
    coalesce((SELECT max(max(given_at, coalesce(withdrawn_at, ''))) FROM consents WHERE person_id = p.id), ''),
    coalesce((SELECT max(max(opened_at, coalesce(closed_at, ''))) FROM cases WHERE person_id = p.id), ''),
    coalesce((SELECT max(updated_at) FROM enrolments WHERE person_id = p.id), ''),
    coalesce((SELECT max(recorded_at) FROM outcomes WHERE person_id = p.id), ''))"""
_ERASABLE = "p.erased_at IS NULL AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.person_id = p.id AND c.status = 'open')"


def rules(db: Database) -> dict[str, int]:
    """The periods in force (the defaults where an administrator set none)."""
    return {
        name: int(settings.get_value(db, _SETTING.format(name)) or default) for name, (default, _, _) in RULES.items()
    }


def set_rules(db: Database, actor: User, values: dict) -> None:
    policy.check(db, actor, "retention.manage")
    errors, clean = {}, {}
    for name, (_, least, most) in RULES.items():
        try:
            clean[name] = int(values[name])
        except (KeyError, TypeError, ValueError):
            errors[name] = Message("error.required")
            continue
        if not least <= clean[name] <= most:
            errors[name] = Message("error.out_of_range", {"low": least, "high": most})
    if errors:
        raise ValidationError(errors)
    with write_transaction(db):
        old = rules(db)
        for name, value in clean.items():
            settings.put_value(db, _SETTING.format(name), str(value))
        audit.record(db, actor, "update", "retention_rules", None, old=old, new=clean)


def plan(db: Database, today: dt.date | None = None) -> dict[str, list]:
    """What a run would do today, rule by rule: the persons, cases and key years it would touch."""
    today = today or clock.today()
    periods = rules(db)

    def years_ago(n: int) -> str:
        return (today - dt.timedelta(days=round(365.25 * n))).isoformat()

    def ids(sql: str, params: dict) -> list[int]:
        return [i for (i,) in db.execute(sql, params)]

    return {
        "inactive_persons_years": ids(
            f"SELECT p.id FROM persons p WHERE {_ERASABLE} AND {_LAST_ACTIVITY} < :cutoff ORDER BY p.id",
            {"cutoff": years_ago(periods["inactive_persons_years"])},
        ),
        "unverified_days": ids(
            f"SELECT p.id FROM persons p WHERE {_ERASABLE} AND p.registration_channel = 'self_preregistration'"
            " AND p.created_at < :cutoff AND NOT EXISTS (SELECT 1 FROM participants w WHERE w.person_id = p.id)"
            " AND NOT EXISTS (SELECT 1 FROM attendance a WHERE a.person_id = p.id) ORDER BY p.id",
            {"cutoff": (today - dt.timedelta(days=periods["unverified_days"])).isoformat()},
        ),
        "closed_case_notes_years": ids(
            "SELECT DISTINCT c.id FROM cases c JOIN case_notes n ON n.case_id = c.id WHERE c.status = 'closed'"
            " AND c.closed_at < :cutoff AND n.body <> :erased ORDER BY c.id",
            {"cutoff": years_ago(periods["closed_case_notes_years"]), "erased": rights.ERASED_TEXT},
        ),
        "audit_values_years": [
            y
            for (y,) in db.execute(
                "SELECT DISTINCT year FROM person_keys WHERE year < ? ORDER BY year",
                [str(today.year - periods["audit_values_years"])],
            )
        ],
    }


def apply(db: Database, actor: User | None, today: dt.date | None = None) -> dict[str, int]:
    """Do what ``plan`` says, in one transaction that erases for good; record the run."""
    policy.check(db, actor, "retention.manage")
    today = today or clock.today()
    with rights.erasing(db):
        todo = plan(db, today)
        persons = sorted(set(todo["inactive_persons_years"]) | set(todo["unverified_days"]))
        rights.anonymise(db, actor, persons, "retention")
        for case_id in todo["closed_case_notes_years"]:
            db.execute("UPDATE case_notes SET body = ? WHERE case_id = ?", [rights.ERASED_TEXT, case_id])
        if todo["audit_values_years"]:
            personal_keys.destroy_before(db, str(today.year - rules(db)["audit_values_years"]))
        counts = {rule: len(found) for rule, found in todo.items()}
        run = {"at": clock.now_iso(), "by": actor.username if actor else "system", "counts": counts}
        settings.put_value(db, _LAST_RUN, json.dumps(run))
        audit.record(db, actor, "retention", "retention_rules", None, detail=json.dumps(counts))
    return counts


def last_run(db: Database) -> dict | None:
    stored = settings.get_value(db, _LAST_RUN)
    return json.loads(stored) if stored else None
