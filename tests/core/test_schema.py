"""The schema: migrations one per file, the committed schema.sql, named constraints."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest
from sqlite_utils import Database

from caremgmt.casework import institutions
from caremgmt.core import reference
from caremgmt.core.db import CONSTRAINTS, connect, fresh_schema, violated, write_transaction
from caremgmt.core.migrations import SCHEMA_FILE, SCHEMA_HEADER, dump_schema, load, migration_files, migrations
from caremgmt.core.migrations.table_edit import SchemaEditRefused, edit_table
from caremgmt.scheduling import catalogue

REGENERATE = "schema.sql is out of date: run `python -m caremgmt schema --write` and commit it with the migration"
# Names recorded in _sqlite_migrations by databases that exist: never renamed.
APPLIED_BEFORE_ONE_FILE_EACH = (
    "0001_registry",
    "0002_name_terms",
    "0003_scheduling",
    "0004_cases",
    "0005_duplicate_check_index",
    "0006_contact_facts",
)
FIRST_NEW = "0007_named_constraints"
# sha256 of the schema (dump_schema without its header) that 0001..0006 made
# when they were Python code in caremgmt/core/migrations.py, 0006 assembled by
# string helpers: the frozen SQL files must go on making it byte for byte.
SCHEMA_0006_SHA256 = "0e138f9780d175d130f9d121b7fdde49f32f2cb761e256e5bdf7e2c1230d999c"


def old_database(path: str) -> Database:
    """A database as the migrations before this change left it (0001..0006), with data."""
    db = Database(sqlite3.connect(path))
    db.execute("PRAGMA foreign_keys = ON")
    with write_transaction(db):
        migrations.apply(db, stop_before=FIRST_NEW)
    reference.load_seed(db)
    catalogue.load_seed(db)
    institutions.load_seed(db)
    with write_transaction(db):
        stamp = "2025-03-01T15:00:00+00:00"
        person = (
            "INSERT INTO persons (id, doc_type, doc_number, first_names, last_names, search_name, birth_date, sex,"
            " ethnicity, disability, migrant_status, education_level, registration_channel, home_block, is_caregiver,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, 'Rojas', ?, ?, 'F', 'afro', 'none', 'colombian',"
            " 'secondary', 'front_desk', 'BOSA', ?, ?, ?)"
        )
        db.execute(person, [1, "CC", "52000111", "Ana", "ana rojas", "1980-05-01", 1, stamp, stamp])
        db.execute(person, [2, "RC", "1010101010", "Sofía", "sofia rojas", "2022-02-02", 0, stamp, stamp])
        db.execute(
            "INSERT INTO care_links VALUES (1, 2, 'child', 'child_under_6', '2025-03-01')",
        )
        db.execute(
            "INSERT INTO consents (person_id, purpose, text_version, given_at) VALUES (1, 'research', 'x', ?)", [stamp]
        )
        service = db.execute("SELECT id FROM services WHERE kind = 'activity' AND audience = 'caregiver'").fetchone()[0]
        db.execute(
            "INSERT INTO sessions (id, service_id, block_code, starts_at, ends_at, capacity)"
            " VALUES (1, ?, 'BOSA', '2025-03-03T09:00', '2025-03-03T11:00', 1)",
            [service],
        )
        db.execute(
            "INSERT INTO participants (session_id, person_id, status, booked_at, changed_at)"
            " VALUES (1, 1, 'booked', ?, ?)",
            [stamp, stamp],
        )
        db.execute(
            "INSERT INTO attendance (session_id, person_id, status, quantity, recorded_at)"
            " VALUES (1, 1, 'present', 2, ?)",
            [stamp],
        )
        db.execute(
            "INSERT INTO outcomes (person_id, kind, achieved_on, recorded_at)"
            " VALUES (1, 'secondary_diploma', '2025-02-01', ?)",
            [stamp],
        )
        db.execute(
            "INSERT INTO cases (id, person_id, block_code, priority, opened_at) VALUES (1, 1, 'BOSA', 'high', ?)",
            [stamp],
        )
        db.execute(
            "INSERT INTO case_goals (case_id, domain, description, target_date, created_at, updated_at)"
            " VALUES (1, 'education', 'Terminar', '2025-12-01', ?, ?)",
            [stamp, stamp],
        )
        db.execute(
            "INSERT INTO enrolments (person_id, programme, status, applied_on, updated_at)"
            " VALUES (1, 'secondary_completion', 'completed', '2024-01-01', ?)",
            [stamp],
        )
    return db


def counts(db: Database) -> dict[str, int]:
    tables = (
        "persons",
        "care_links",
        "consents",
        "services",
        "institutions",
        "sessions",
        "participants",
        "attendance",
        "outcomes",
        "cases",
        "case_goals",
        "enrolments",
        "contact_days",
    )
    return {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}


def test_a_fresh_database_gets_exactly_schema_sql():
    assert SCHEMA_FILE.exists(), REGENERATE
    assert fresh_schema() == SCHEMA_FILE.read_text(encoding="utf-8"), REGENERATE


def test_an_old_database_upgrades_to_exactly_the_same_schema_and_keeps_its_rows(tmp_path):
    path = str(tmp_path / "old.db")
    old = old_database(path)
    before = counts(old)
    old.close()
    db = connect(path)
    try:
        assert dump_schema(db) == SCHEMA_FILE.read_text(encoding="utf-8"), REGENERATE
        assert counts(db) == before and before["participants"] == 1
        assert db.execute("SELECT booked_count FROM sessions WHERE id = 1").fetchone() == (1,)
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        applied = [r[0] for r in db.execute("SELECT name FROM _sqlite_migrations ORDER BY id")]
        assert applied == [m.name for m in migrations._migrations]
        # The named rules hold on the rows that were there before.
        with pytest.raises(sqlite3.IntegrityError) as full:
            db.execute(
                "INSERT INTO participants (session_id, person_id, status, booked_at, changed_at)"
                " VALUES (1, 2, 'booked', 'x', 'x')"
            )
        assert violated(full.value, "sessions_within_capacity")
        with pytest.raises(sqlite3.IntegrityError) as twice:
            db.execute(
                "INSERT INTO persons (doc_type, doc_number, first_names, last_names, search_name, birth_date,"
                " created_at, updated_at) VALUES ('CC', '52000111', 'Otra', 'Persona', 'otra persona',"
                " '1990-01-01', 'x', 'x')"
            )
        assert violated(twice.value, "persons_document")
    finally:
        db.close()


def test_the_migrations_before_one_file_each_still_make_the_same_schema_byte_for_byte(tmp_path):
    db = Database(sqlite3.connect(str(tmp_path / "0006.db")))
    with write_transaction(db):
        migrations.apply(db, stop_before=FIRST_NEW)
    schema = dump_schema(db)[len(SCHEMA_HEADER) :]
    assert hashlib.sha256(schema.encode()).hexdigest() == SCHEMA_0006_SHA256, (
        "an applied migration (0001..0006) was edited: databases that ran it have another schema"
    )


def test_migrations_keep_their_set_and_names_and_run_in_file_order():
    names = [m.name for m in migrations._migrations]
    assert migrations.name == "caremgmt"
    assert tuple(names[:6]) == APPLIED_BEFORE_ONE_FILE_EACH
    assert names == [p.stem for p in migration_files()] == sorted(names)
    assert names[6:] == [
        "0007_named_constraints",
        "0008_value_lists",
        "0009_login_sessions",
        "0010_facts_star_schema",
        "0011_duplicate_keys",
        "0012_login_protection",
        "0013_synthetic_rows",
        "0014_second_factor",
        "0015_single_sign_on",
        "0016_releases",
        "0017_registration_withdrawal",
        "0018_personal_data_rights",
    ]


def test_a_folder_with_two_migrations_of_one_number_is_refused(tmp_path):
    (tmp_path / "0001_a.sql").write_text("CREATE TABLE a (x);")
    (tmp_path / "0001_b.sql").write_text("CREATE TABLE b (x);")
    (tmp_path / "notes.txt").write_text("not a migration")
    with pytest.raises(RuntimeError, match="0001"):
        load(tmp_path)
    (tmp_path / "0001_b.sql").rename(tmp_path / "0002_b.sql")
    assert [m.name for m in load(tmp_path)._migrations] == ["0001_a", "0002_b"]


def test_schema_sql_is_itself_a_script_that_builds_the_same_schema():
    db = Database(sqlite3.connect(":memory:"))
    db.conn.executescript(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert dump_schema(db) == SCHEMA_FILE.read_text(encoding="utf-8")


def test_the_dump_leaves_out_what_sqlite_and_sqlite_utils_make():
    schema = SCHEMA_FILE.read_text(encoding="utf-8")
    assert "_sqlite_migrations" not in schema.replace("(_sqlite_migrations and its index)", "")
    assert "sqlite_autoindex" not in schema and "sqlite_stat" not in schema
    assert "CREATE VIRTUAL TABLE persons_fts USING fts5(" in schema
    assert "CREATE TABLE 'persons_fts_data'" not in schema and "persons_fts_docsize" not in schema


def test_a_value_list_check_that_stored_rows_break_stops_the_upgrade_and_changes_nothing(tmp_path):
    path = str(tmp_path / "bad.db")
    old = old_database(path)
    old.execute("UPDATE persons SET ethnicity = 'unknown' WHERE id = 1")
    old.conn.commit()
    old.close()
    with pytest.raises(SchemaEditRefused, match="persons"):
        connect(path)
    db = Database(sqlite3.connect(path))
    applied = [r[0] for r in db.execute("SELECT name FROM _sqlite_migrations ORDER BY id")]
    assert applied == list(APPLIED_BEFORE_ONE_FILE_EACH)
    persons_sql = db.execute("SELECT sql FROM sqlite_master WHERE name = 'persons'").fetchone()[0]
    assert "CHECK (ethnicity IN" not in persons_sql
    assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    db.close()


def test_a_table_edit_that_does_not_fit_the_stored_definition_is_refused():
    db = Database(sqlite3.connect(":memory:"))
    db.execute("CREATE TABLE t (a TEXT, b TEXT)")
    with pytest.raises(SchemaEditRefused, match="inside"):
        edit_table(db, "t", [("a TEXT", "a TEXT CHECK (a <> '')")])
    with write_transaction(db):
        with pytest.raises(SchemaEditRefused, match="found it 2 times"):
            edit_table(db, "t", [(" TEXT", " TEXT NOT NULL")])
        with pytest.raises(SchemaEditRefused, match="does not parse"):
            edit_table(db, "t", [("a TEXT", "a TEXT CHECK (")])
        with pytest.raises(SchemaEditRefused, match="no table"):
            edit_table(db, "nothing", [])
        edit_table(db, "t", [("a TEXT", "a TEXT CONSTRAINT t_a_set CHECK (a <> '')")])
    with pytest.raises(sqlite3.IntegrityError) as refused:
        db.execute("INSERT INTO t VALUES ('', 'x')")
    assert str(refused.value) == "CHECK constraint failed: t_a_set"


# --- named constraints ----------------------------------------------------------


def test_every_constraint_the_code_matches_is_named_in_the_schema():
    schema = SCHEMA_FILE.read_text(encoding="utf-8")
    for name in CONSTRAINTS:
        assert f"CONSTRAINT {name} CHECK" in schema or f"RAISE(ABORT, '{name}: " in schema, name


def test_violated_matches_names_not_wording():
    check = sqlite3.IntegrityError("CHECK constraint failed: sessions_within_capacity")
    trigger = sqlite3.IntegrityError("participants_no_overlap: overlapping booking")
    assert violated(check, "sessions_within_capacity") and not violated(check, "participants_no_overlap")
    assert violated(trigger, "participants_no_overlap") and not violated(trigger, "sessions_within_capacity")
    assert not violated(
        sqlite3.IntegrityError("CHECK constraint failed: booked_count BETWEEN 0 AND capacity"),
        "sessions_within_capacity",
    )
    assert not violated(
        sqlite3.OperationalError("participants_no_overlap: overlapping booking"), "participants_no_overlap"
    )
    with pytest.raises(ValueError, match="no constraint named"):
        violated(check, "sessions_capacity")


@pytest.fixture
def fresh(tmp_path):
    db = connect(str(tmp_path / "fresh.db"))
    reference.load_seed(db)
    catalogue.load_seed(db)
    yield db
    db.close()


def add_person(db, doc_number):
    return (
        db["persons"]
        .insert(
            {
                "doc_type": "CC" if doc_number else None,
                "doc_number": doc_number,
                "first_names": "Ana",
                "last_names": "Rojas",
                "search_name": "ana rojas",
                "birth_date": "1980-01-01",
                "created_at": "x",
                "updated_at": "x",
            }
        )
        .last_pk
    )


def test_a_document_registered_twice_is_refused_by_name_on_insert_and_on_update(fresh):
    first = add_person(fresh, "111")
    second = add_person(fresh, "222")
    add_person(fresh, None)
    add_person(fresh, None)  # any number of persons without a document
    with pytest.raises(sqlite3.IntegrityError) as insert:
        add_person(fresh, "111")
    assert violated(insert.value, "persons_document")
    with pytest.raises(sqlite3.IntegrityError) as update:
        fresh.execute("UPDATE persons SET doc_number = '111' WHERE id = ?", [second])
    assert violated(update.value, "persons_document")
    fresh.execute("UPDATE persons SET doc_number = '111', first_names = 'Ana María' WHERE id = ?", [first])
    fresh.execute("UPDATE persons SET doc_type = 'CE' WHERE id = ?", [second])
    fresh.execute("UPDATE persons SET doc_number = '111' WHERE id = ?", [second])  # CE 111 is another document


def test_a_second_diploma_of_one_kind_is_refused_by_name(fresh):
    person = add_person(fresh, "333")
    outcome = "INSERT INTO outcomes (person_id, kind, achieved_on, recorded_at) VALUES (?, ?, '2025-01-01', 'x')"
    fresh.execute(outcome, [person, "secondary_diploma"])
    fresh.execute(outcome, [person, "job"])
    fresh.execute(outcome, [person, "job"])  # only diplomas are one per person
    with pytest.raises(sqlite3.IntegrityError) as second:
        fresh.execute(outcome, [person, "secondary_diploma"])
    assert violated(second.value, "outcomes_one_diploma")
    with pytest.raises(sqlite3.IntegrityError) as changed:
        fresh.execute("UPDATE outcomes SET kind = 'secondary_diploma' WHERE kind = 'job'")
    assert violated(changed.value, "outcomes_one_diploma")
