"""The demo data looks like a programme that has been running for years: cases opened
over time and worked by the blocks' case workers, names people really have, every
referral going somewhere, nothing dated in the future."""

import datetime as dt
import json
import random
import re

import pytest

from caremgmt.casework import timeline
from caremgmt.core import auth, clock
from caremgmt.core.actor import SYSTEM
from caremgmt.core.db import connect
from caremgmt.core.i18n import t
from caremgmt.core.text import fold
from caremgmt.registry import persons
from caremgmt.setup import initialize
from caremgmt.tools import cli, demo
from tests.factories import RESEARCH_CONSENT, TODAY, caregiver_data, with_second_factor

PARTICLES = {"de", "del", "la", "las", "los"}


def build(path: str, persons: int, seed: int) -> tuple:
    initialize(path).close()
    db = connect(path)
    admin = with_second_factor(db, auth.create_first_admin(db, "admin", "clave-de-la-jefa-1"))
    demo.generate(db, persons, seed=seed, actor=admin)  # in an admin's name (the setup page loads it as the system)
    return db, admin


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    db, admin = build(str(tmp_path_factory.mktemp("demo") / "demo.db"), 300, 2)
    yield db, admin
    db.close()


def local_day(stamp: str) -> str:
    return clock.to_local(stamp)[:10]


def test_cases_were_opened_over_the_years_by_several_case_workers(demo_db):
    db, admin = demo_db
    rows = db.execute(
        "SELECT c.opened_at, c.block_code, u.id, u.username, u.role, u.block_code"
        " FROM cases c LEFT JOIN users u ON u.id = c.case_worker_id"
    ).fetchall()
    assert len(rows) >= 5
    days = sorted(dt.date.fromisoformat(local_day(r[0])) for r in rows)
    assert (days[-1] - days[0]).days > 365
    assert len({d.year for d in days}) >= 2
    workers = {r[2] for r in rows}
    assert len(workers) >= 3 and admin.id not in workers and None not in workers
    # Each case is worked by a front-desk account of its own block, named like a person.
    assert all(r[4] == "frontdesk" and r[5] == r[1] for r in rows)
    assert all(re.fullmatch(r"[a-z][a-z]{3,}[a-z0-9]*", r[3]) for r in rows)


def test_case_workers_cannot_log_in_with_a_known_password(demo_db):
    db, _admin = demo_db
    workers = db.execute("SELECT username, password_hash FROM users WHERE role = 'frontdesk'").fetchall()
    assert workers
    assert len({h for _, h in workers}) == len(workers)  # each its own random password
    for username, _hash in workers:
        for guess in (username, "clave-de-la-jefa-1", f"{username}-password-1"):
            assert auth.authenticate(db, username, guess) is None


def test_what_happened_in_a_case_is_dated_after_it_was_opened_and_never_in_the_future(demo_db):
    db, _admin = demo_db
    now, today = clock.now_iso(), clock.today().isoformat()
    cases = db.execute(
        "SELECT c.id, c.opened_at, c.closed_at, p.created_at FROM cases c JOIN persons p ON p.id = c.person_id"
    ).fetchall()
    assert any(closed for _, _, closed, _ in cases)  # older cases have been closed
    for case_id, opened, closed, registered in cases:
        assert registered < opened <= now
        assert closed is None or opened < closed <= now
        end = closed or now
        for (written,) in db.execute("SELECT written_at FROM case_notes WHERE case_id = ?", [case_id]):
            assert opened <= written <= end
        for created, done in db.execute("SELECT created_at, done_at FROM tasks WHERE case_id = ?", [case_id]):
            assert opened <= created <= now and (done is None or created <= done <= end)
        for assessed, recorded in db.execute(
            "SELECT assessed_on, recorded_at FROM assessments WHERE case_id = ?", [case_id]
        ):
            assert local_day(opened) <= assessed <= today and opened <= recorded <= end
        for (created,) in db.execute("SELECT created_at FROM case_goals WHERE case_id = ?", [case_id]):
            assert opened <= created <= end
        for sent, accepted, closed_on in db.execute(
            "SELECT sent_on, accepted_on, closed_on FROM referrals WHERE case_id = ?", [case_id]
        ):
            steps = [day for day in (sent, accepted, closed_on) if day]
            assert local_day(opened) <= sent and steps == sorted(steps) and steps[-1] <= today
    for achieved, registered, opened in db.execute(
        "SELECT o.achieved_on, p.created_at, (SELECT min(opened_at) FROM cases c WHERE c.person_id = o.person_id)"
        " FROM outcomes o JOIN persons p ON p.id = o.person_id"
    ):
        assert local_day(opened or registered) <= achieved <= today


def test_people_registered_before_they_came_and_nothing_is_in_the_future(demo_db):
    db, _admin = demo_db
    now = clock.now_iso()
    late = db.execute(
        "SELECT count(*) FROM persons p JOIN attendance a ON a.person_id = p.id JOIN sessions s ON s.id = a.session_id"
        f" WHERE {clock.sql_local('p.created_at')} >= s.starts_at"
    ).fetchone()[0]
    assert late == 0
    for table, column in (
        ("persons", "created_at"),
        ("consents", "given_at"),
        ("participants", "booked_at"),
        ("attendance", "recorded_at"),
        ("enrolments", "updated_at"),
    ):
        assert db.execute(f"SELECT count(*) FROM {table} WHERE {column} > ?", [now]).fetchone()[0] == 0, table
    # Registrations are spread over the programme's history, not all today.
    assert db.execute("SELECT count(DISTINCT substr(created_at, 1, 7)) FROM persons").fetchone()[0] >= 12


def name_parts(first: str, last: str) -> tuple[list[str], list[str]]:
    return [w for w in fold(first).split() if w not in PARTICLES], fold(last).split()


def test_no_person_has_a_repeated_name_part(demo_db):
    db, _admin = demo_db
    people = db.execute("SELECT first_names, last_names FROM persons").fetchall()
    assert len(people) >= 300
    for first, last in people:
        given, family = name_parts(first, last)
        assert 1 <= len(given) <= 2 and len(set(given)) == len(given), first
        assert len(family) == 2 and family[0] != family[1], last
        assert not set(given) & set(family), f"{first} {last}"


def test_children_share_a_surname_with_their_caregiver(demo_db):
    db, _admin = demo_db
    pairs = db.execute(
        "SELECT g.last_names, c.last_names FROM care_links l JOIN persons g ON g.id = l.caregiver_id"
        " JOIN persons c ON c.id = l.cared_id WHERE l.relationship IN ('child', 'grandchild', 'sibling', 'parent')"
    ).fetchall()
    assert pairs
    assert all(set(fold(hers).split()) & set(fold(theirs).split()) for hers, theirs in pairs)


def test_generated_names_never_repeat_a_part():
    """The same generator names the city-scale data set (demo_city)."""
    rng = random.Random(7)
    for _ in range(3000):
        female = rng.random() < 0.5
        first, last = demo.full_name(rng, female)
        for relationship in ("child", "grandchild", "parent", "sibling", "spouse", "grandparent"):
            theirs = demo.relative_surnames(rng, last, female, relationship, rng.random() < 0.5)
            for generation in ("child", "adult", "older"):
                for name in ((first, last), (demo.given_names(rng, rng.random() < 0.5, theirs, generation), theirs)):
                    given, family = name_parts(*name)
                    assert len(set(given)) == len(given) and len(set(family)) == 2, name
                    assert not set(given) & set(family), name


def test_every_referral_names_where_it_goes(demo_db):
    db, admin = demo_db
    unresolved = db.execute(
        "SELECT count(*) FROM referrals r LEFT JOIN institutions i ON i.id = r.institution_id"
        " LEFT JOIN services v ON v.id = r.service_id LEFT JOIN enrolments e ON e.id = r.enrolment_id"
        " WHERE i.name IS NULL AND v.id IS NULL AND e.programme IS NULL"
    ).fetchone()[0]
    assert unresolved == 0
    institutions = {r[0] for r in db.execute("SELECT name FROM institutions")}
    shown = 0
    for (person_id,) in db.execute("SELECT DISTINCT person_id FROM referrals").fetchall():
        for entry in timeline.person_timeline(db, admin, person_id):
            if entry["kind"].startswith("referral_"):
                for language in ("es", "en"):
                    target = timeline.referral_target(entry, language)
                    programmes = {t(f"programme.{p}", language) for p in ("primary_completion", "secondary_completion")}
                    assert target in institutions | programmes | {t("programme.technical_training", language)}
                    assert timeline.describe(entry, language).endswith(f" · {target}")
                shown += 1
    assert shown == db.execute("SELECT count(*) FROM referrals").fetchone()[0] > 0


def test_session_days_are_left_for_the_impact_facts_and_the_schema_is_intact(demo_db, tmp_path):
    db, _admin = demo_db
    unmarked = db.execute(
        "SELECT count(*) FROM (SELECT DISTINCT substr(starts_at, 1, 10) AS day FROM sessions)"
        " WHERE day NOT IN (SELECT day FROM contact_days WHERE stale = 1)"
    ).fetchone()[0]
    assert unmarked == 0  # no facts were built yet: every day with a session waits to be built
    fresh = initialize(str(tmp_path / "fresh.db"))
    schema = "SELECT type, name, sql FROM sqlite_master WHERE type IN ('trigger', 'index', 'table') ORDER BY name"
    try:
        assert db.execute(schema).fetchall() == fresh.execute(schema).fetchall()
    finally:
        fresh.close()


def test_a_seed_gives_the_same_programme_on_a_fresh_database(tmp_path, clock_at, monkeypatch):
    # The same moment for both runs: what is past (and so attended) depends on the time of day.
    monkeypatch.setattr(clock, "now_iso", lambda: "2026-11-21T15:00:00+00:00")  # 10:00 in Bogotá, as clock_at

    def dump(db) -> dict:
        tables = {
            "persons": "first_names, last_names, birth_date, created_at",
            "cases": "person_id, block_code, status, priority, case_worker_id, opened_at, closed_at",
            "case_notes": "case_id, author_id, written_at, body, confidential",
            "referrals": "person_id, target, institution_id, enrolment_id, status, sent_on, accepted_on, closed_on",
            "tasks": "case_id, due_on, owner_id, status, created_at, done_at",
            "users": "username, role, block_code",
        }
        return {
            name: db.execute(f"SELECT {columns} FROM {name} ORDER BY id").fetchall() for name, columns in tables.items()
        }

    first, _ = build(str(tmp_path / "a.db"), 100, 4)
    second, _ = build(str(tmp_path / "b.db"), 100, 4)
    try:
        assert dump(first) == dump(second)
    finally:
        first.close(), second.close()


def test_demo_rows_are_marked_synthetic_and_the_load_is_one_audit_entry_of_counts(demo_db):
    db, admin = demo_db
    assert db.execute("SELECT count(*) FROM persons WHERE synthetic = 0").fetchone()[0] == 0
    accounts = dict(db.execute("SELECT id, synthetic FROM users").fetchall())
    assert accounts.pop(admin.id) == 0  # the first-run setup's administrator is real
    assert accounts and set(accounts.values()) == {1}  # the case workers the demo made
    entries = db.execute(
        "SELECT user_id, entity, entity_id, person_id, old_values, new_values, detail FROM audit_log"
        " WHERE action = 'demo_load'"
    ).fetchall()
    assert len(entries) == 1
    *who, new, detail = entries[0]
    assert who == [admin.id, "database", None, None, None] and detail is None
    added = db.execute("SELECT count(*) FROM persons").fetchone()[0]
    assert json.loads(new) == {"persons": added, "users": len(accounts), "seed": 2, "real_users": 1, "real_persons": 0}


def test_city_scale_rows_are_synthetic_and_the_load_is_audited(city):
    assert city.execute("SELECT count(*) FROM persons WHERE synthetic = 0").fetchone()[0] == 0
    (new,) = city.execute("SELECT new_values FROM audit_log WHERE action = 'demo_load'").fetchone()
    load = json.loads(new)
    assert (load["scale"], load["persons"], load["real_users"], load["real_persons"]) == (
        "small",
        city.execute("SELECT count(*) FROM persons").fetchone()[0],
        0,
        0,
    )
    assert load["attendance"] == city.execute("SELECT count(*) FROM attendance").fetchone()[0]


def written(db) -> tuple:
    return tuple(
        db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        for table in ("persons", "users", "audit_log", "sessions", "cases")
    )


@pytest.mark.parametrize("scale", [(), ("--scale", "small")], ids=["demo", "city generator"])
def test_demo_refuses_a_database_with_a_real_account_and_writes_nothing(db_file, db, admin, capsys, scale):
    before = written(db)
    assert cli.main(["demo", "--db", db_file, "--persons", "20", *scale]) == 2
    error = capsys.readouterr().err
    assert "real data (accounts: 1, persons: 0" in error and "nothing was written" in error and "--force" in error
    assert written(db) == before


def test_demo_refuses_a_database_with_a_real_person(db_file, db, capsys):
    persons.register_caregiver(db, SYSTEM, caregiver_data(), [], RESEARCH_CONSENT, today=TODAY)
    before = written(db)
    assert cli.main(["demo", "--db", db_file, "--persons", "20"]) == 2
    assert "(accounts: 0, persons: 1" in capsys.readouterr().err
    assert written(db) == before


def test_demo_with_force_adds_synthetic_people_beside_the_real_ones(db_file, db, admin):
    assert cli.main(["demo", "--db", db_file, "--persons", "20", "--force"]) == 0
    assert demo.real_rows(db) == {"users": 1, "persons": 0}
    assert db.execute("SELECT count(*) FROM persons WHERE synthetic = 1").fetchone()[0] >= 20
    (new,) = db.execute("SELECT new_values FROM audit_log WHERE action = 'demo_load'").fetchone()
    assert json.loads(new)["real_users"] == 1  # the entry says it went into a database with real data
