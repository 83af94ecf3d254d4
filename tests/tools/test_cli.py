from caremgmt.core.db import connect
from caremgmt.registry.validation import normalize_phone
from tests.factories import cli


def dump(path):
    db = connect(str(path))
    try:
        schema = db.execute("SELECT group_concat(sql, ';') FROM sqlite_master").fetchone()[0]
        rows = {t: db.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in ("localities", "blocks")}
        return schema, rows
    finally:
        db.close()


def test_init_creates_database_and_is_idempotent(tmp_path):
    path = tmp_path / "sub" / "care.db"
    assert cli(path, "init").returncode == 0
    first = dump(path)
    assert len(first[1]["localities"]) == 20
    assert cli(path, "init").returncode == 0
    assert dump(path) == first


def persons(path):
    db = connect(str(path))
    try:
        return db.execute(
            "SELECT doc_type, doc_number, first_names, last_names, birth_date, phone, home_block, locality_code,"
            " is_caregiver FROM persons ORDER BY id"
        ).fetchall()
    finally:
        db.close()


def test_demo_is_deterministic_realistic_and_spread(tmp_path):
    a, b, c = tmp_path / "a.db", tmp_path / "b.db", tmp_path / "c.db"
    assert cli(a, "demo", "--persons", "120", "--seed", "5").returncode == 0
    assert cli(b, "demo", "--persons", "120", "--seed", "5").returncode == 0
    assert cli(c, "demo", "--persons", "120", "--seed", "6").returncode == 0
    rows = persons(a)
    assert rows == persons(b) and rows != persons(c)
    assert len(rows) >= 120
    assert any(ch in "áéíóúñÁÉÍÓÚÑ" for row in rows for ch in row[2] + row[3])
    caregivers = [r for r in rows if r[8]]
    assert 0 < len(caregivers) < len(rows)  # caregivers and the people they care for
    assert len({r[6] for r in rows}) >= 5 and len({r[7] for r in rows}) >= 5
    assert all(normalize_phone(r[5]) == r[5] for r in rows if r[5])
    db = connect(str(a))
    try:
        links = db.execute("SELECT count(*) FROM care_links").fetchone()[0]
        programme = _programme_figures(db)
    finally:
        db.close()
    assert links == len(rows) - len(caregivers)
    # A realistic programme: every block planned, years of sessions, attendance
    # with no-shows, care for dependents, laundry loads, nothing overbooked.
    assert programme["blocks_without_schedules"] == 0
    assert programme["years_of_sessions"] >= 2
    assert 0.10 <= programme["no_show_rate"] <= 0.35
    assert programme["cared_for_attending"] > 0 and programme["laundry_loads"] > 0
    assert programme["overbooked"] == 0 and programme["care_hours"] > 0
    # Case management in realistic proportions: a minority of caregivers.
    assert 0 < programme["cases"] <= len(caregivers) * 0.3
    assert programme["notes"] >= programme["cases"] and programme["outcomes"] > 0


def _programme_figures(db) -> dict:
    from caremgmt.scheduling.carehours import care_hours_freed

    first, last = db.execute("SELECT min(starts_at), max(starts_at) FROM sessions").fetchone()
    absent, total = db.execute("SELECT sum(status = 'absent'), count(*) FROM attendance").fetchone()
    return {
        "blocks_without_schedules": db.execute(
            "SELECT count(*) FROM blocks b WHERE kind = 'block' AND NOT EXISTS"
            " (SELECT 1 FROM schedules s WHERE s.block_code = b.code)"
        ).fetchone()[0],
        "years_of_sessions": (int(last[:4]) - int(first[:4])),
        "no_show_rate": absent / total,
        "cared_for_attending": db.execute(
            "SELECT count(*) FROM attendance a JOIN persons p ON p.id = a.person_id WHERE p.is_caregiver = 0"
        ).fetchone()[0],
        "laundry_loads": db.execute("SELECT count(*) FROM participants WHERE load_status = 'collected'").fetchone()[0],
        "overbooked": db.execute("SELECT count(*) FROM sessions WHERE booked_count > capacity").fetchone()[0],
        "care_hours": care_hours_freed(db).hours,
        "cases": db.execute("SELECT count(*) FROM cases").fetchone()[0],
        "notes": db.execute("SELECT count(*) FROM case_notes").fetchone()[0],
        "outcomes": db.execute("SELECT count(*) FROM outcomes").fetchone()[0],
    }


def test_demo_twice_adds_more_people(tmp_path):
    path = tmp_path / "d.db"
    cli(path, "demo", "--persons", "30", "--seed", "1")
    first = len(persons(path))
    assert cli(path, "demo", "--persons", "30", "--seed", "1").returncode == 0
    assert len(persons(path)) >= first + 30


def test_user_add_reads_password_from_environment(tmp_path):
    path = tmp_path / "u.db"
    result = cli(path, "user", "add", "Lucia", "--role", "frontdesk", "--block", "KENNEDY", password="clave-segura-1")
    assert result.returncode == 0, result.stderr
    db = connect(str(path))
    try:
        row = db.execute("SELECT username, role, block_code, password_hash FROM users").fetchone()
    finally:
        db.close()
    assert row[:3] == ("lucia", "frontdesk", "KENNEDY") and "clave-segura-1" not in row[3]


def test_user_add_refuses_bad_input_clearly(tmp_path):
    path = tmp_path / "u.db"
    no_password = cli(path, "user", "add", "lucia", "--role", "frontdesk")
    assert no_password.returncode != 0 and "CAREMGMT_PASSWORD" in no_password.stderr
    short = cli(path, "user", "add", "lucia", "--role", "frontdesk", password="short")
    assert short.returncode == 1 and "at least 12 characters" in short.stderr
    bad_block = cli(
        path, "user", "add", "lucia", "--role", "frontdesk", "--block", "NOWHERE", password="clave-segura-1"
    )
    assert bad_block.returncode == 1 and "NOWHERE" in bad_block.stderr
    bad_role = cli(path, "user", "add", "lucia", "--role", "boss", password="clave-segura-1")
    assert bad_role.returncode == 2 and "invalid choice" in bad_role.stderr


def test_db_goes_before_or_after_any_command():
    from caremgmt.tools.cli import _parser

    parse = _parser().parse_args
    after = parse(["bench", "--db", "city.db", "--out", "results.json"])
    assert (after.command, after.db, after.out) == ("bench", "city.db", "results.json")
    before = parse(["--db", "city.db", "bench"])
    assert (before.db, before.out) == ("city.db", "bench-results.json")
    assert parse(["--db", "a.db", "bench", "--db", "b.db"]).db == "b.db"
    assert parse(["bench"]).db is None
    for argv in (
        ["init", "--db", "x.db"],
        ["demo", "--db", "x.db"],
        ["export", "metrics", "--out", "m.csv", "--db", "x.db"],
        ["user", "add", "lucia", "--role", "admin", "--db", "x.db"],
        ["user", "--db", "x.db", "add", "lucia", "--role", "admin"],
        ["schema", "--db", "x.db"],
    ):
        assert parse(argv).db == "x.db", argv


def test_init_with_db_after_the_command_uses_that_database(tmp_path):
    elsewhere, chosen = tmp_path / "env.db", tmp_path / "chosen" / "care.db"
    result = cli(elsewhere, "init", "--db", str(chosen))
    assert result.returncode == 0, result.stderr
    assert f"database ready: {chosen}" in result.stdout
    assert chosen.exists() and not elsewhere.exists()


def test_schema_command_prints_checks_and_never_opens_the_database(tmp_path):
    from caremgmt.core.migrations import SCHEMA_FILE

    path = tmp_path / "never.db"
    printed = cli(path, "schema")
    assert printed.returncode == 0 and printed.stdout == SCHEMA_FILE.read_text(encoding="utf-8")
    checked = cli(path, "schema", "--check")
    assert checked.returncode == 0, checked.stderr
    assert not path.exists()


def test_configuration_comes_from_the_environment_and_the_readme_lists_it():
    from pathlib import Path

    from caremgmt.core import config

    assert config.Config.from_env({}) == config.Config("data/caremgmt.db", None)
    assert config.Config.from_env({"CAREMGMT_DB": "", "CAREMGMT_PASSWORD": ""}).db_path == "data/caremgmt.db"
    settings = config.Config.from_env({"CAREMGMT_DB": "x.db", "CAREMGMT_BACKUP_KEY": "s", "OTHER": "1"})
    assert (settings.db_path, settings.password, settings.backup_key) == ("x.db", None, "s")
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    listed = [line.split("`")[1] for line in table.splitlines() if line.startswith("| `")]
    assert listed == list(config.variables())


def test_export_takes_a_whole_release_or_one_file_and_stops_at_the_warning(tmp_path):
    path = tmp_path / "care.db"
    assert cli(path, "demo", "--persons", "300", "--seed", "3").returncode == 0
    refused = cli(path, "export", "--out", str(tmp_path / "all"))
    assert refused.returncode == 3 and "ocultaría más de lo aceptable" in refused.stderr
    assert not (tmp_path / "all").exists() or not list((tmp_path / "all").iterdir())
    whole = cli(path, "export", "--out", str(tmp_path / "all"), "--accept-warning", "--granularity", "week")
    assert whole.returncode == 0, whole.stderr
    assert {p.name for p in (tmp_path / "all").iterdir()} >= {"persons.csv", "metrics.csv", "manifest.json"}
    one = cli(path, "export", "contacts", "--out", str(tmp_path / "one" / "c.csv"), "--accept-warning")
    assert one.returncode == 0, one.stderr
    assert sorted(p.name for p in (tmp_path / "one").iterdir()) == [
        "c.csv",
        "c.dictionary.csv",
        "c.manifest.json",
        "c.risk_report.json",
    ]
    assert "contacts" in one.stdout and "rows" in one.stdout
