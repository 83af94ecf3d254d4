"""The column-wise contacts export writes exactly what the plain SQL join
gives, row for row, for people with research consent only."""

import csv
import datetime as dt

from caremgmt.core import auth
from caremgmt.core.db import connect
from caremgmt.impact import exports, metrics
from caremgmt.impact.contact_facts import age_band_sql
from caremgmt.impact.exports import RESEARCH_CONSENT, pseudonym, safe_cell
from tests.factories import with_second_factor


def expected_rows(db, f: metrics.Filters, secret: bytes) -> list[list[str]]:
    params = {"start": f.start.isoformat(), "end": (f.end + dt.timedelta(days=1)).isoformat(), "block": f.block_code}
    rows = db.execute(
        "SELECT a.person_id, substr(s.starts_at, 1, 10), s.block_code, b.locality_code, v.code, v.category, v.audience,"
        f" a.status, a.quantity, a.walk_in, {age_band_sql('p.birth_date', 's.starts_at')}, p.is_caregiver"
        " FROM attendance a JOIN sessions s ON s.id = a.session_id JOIN services v ON v.id = s.service_id"
        " JOIN blocks b ON b.code = s.block_code JOIN persons p ON p.id = a.person_id"
        " WHERE s.starts_at >= :start AND s.starts_at < :end AND (:block IS NULL OR s.block_code = :block)"
        f" AND {RESEARCH_CONSENT.format(p='a.person_id')} ORDER BY a.id",
        params,
    ).fetchall()
    return [[str(safe_cell(v)) for v in (pseudonym(secret, r[0]), *r[1:])] for r in rows]


def written(result) -> list[list[str]]:
    with open(result.path, encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))[1:]


def test_contacts_export_equals_the_plain_join(city, tmp_path, monkeypatch):
    monkeypatch.setenv("CAREMGMT_EXPORT_SECRET", "a-test-secret")
    admin = with_second_factor(city, auth.create_first_admin(city, "admin", "clave-de-la-jefa-1"))
    block = city.execute("SELECT block_code FROM sessions GROUP BY 1 ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
    # A block code that a spreadsheet would run as a formula must come out inert.
    city.execute("PRAGMA foreign_keys = OFF")
    city.execute("UPDATE blocks SET code = '=CMD' WHERE code = ?", [block])
    city.execute("UPDATE sessions SET block_code = '=CMD' WHERE block_code = ?", [block])
    city.execute("UPDATE persons SET birth_date = '2030-01-01' WHERE id = (SELECT person_id FROM attendance LIMIT 1)")
    everything = exports.export(city, admin, "contacts", tmp_path / "all.csv")
    f = metrics.Filters(exports.EARLIEST, dt.date.today())
    rows = written(everything)
    assert rows == expected_rows(city, f, b"a-test-secret") and len(rows) > 10_000
    assert {r[2] for r in rows} >= {"'=CMD"}
    assert {r[10] for r in rows} >= {""}  # born after the contact: no age band, as in SQL
    consenting = city.execute(
        "SELECT count(*) FROM attendance a WHERE " + RESEARCH_CONSENT.format(p="a.person_id")
    ).fetchone()[0]
    assert 0 < len(rows) == consenting < city.execute("SELECT count(*) FROM attendance").fetchone()[0]
    some = metrics.Filters(dt.date(2026, 3, 1), dt.date(2026, 5, 31), block_code="=CMD")
    part = exports.export(
        city, admin, "contacts", tmp_path / "part.csv", start=some.start, end=some.end, block_code="=CMD"
    )
    assert written(part) == expected_rows(city, some, b"a-test-secret") and 0 < part.rows < len(rows)


def test_a_registration_during_the_export_is_left_for_the_next_one(city, tmp_path, monkeypatch):
    """The export reads one snapshot: a person registered and attending while it
    runs (a front desk does not wait for an evaluator) is neither written nor a
    crash, though the export had read the persons before she came."""

    def register_meanwhile() -> None:
        desk = connect(str(tmp_path / "copy.db"))
        columns = [c[1] for c in desk.execute("PRAGMA table_info(persons)").fetchall()]
        last = desk.execute("SELECT * FROM persons ORDER BY id DESC LIMIT 1").fetchone()
        person = dict(zip(columns, last, strict=True)) | {"id": last[0] + 1, "doc_number": "99887766"}
        with desk.conn:
            desk["persons"].insert(person)
            desk.execute(
                "INSERT INTO consents (person_id, purpose, text_version, given_at)"
                " VALUES (?, 'research', 'v1', '2026-01-01')",
                [person["id"]],
            )
            desk.execute(
                "INSERT INTO attendance (session_id, person_id, status, quantity, recorded_at)"
                " SELECT max(id), ?, 'present', 7.25, '2026-01-01' FROM sessions WHERE starts_at < date('now')",
                [person["id"]],
            )
        desk.close()

    read_table, calls = exports._int_table, []

    def read_then_register(db, table_name, *args, **kwargs):
        table = read_table(db, table_name, *args, **kwargs)
        if table_name == "persons":  # she registers right after the export read the persons
            register_meanwhile()
            calls.append(table_name)
        return table

    monkeypatch.setattr(exports, "_int_table", read_then_register)
    consenting = city.execute(
        "SELECT count(*) FROM attendance a WHERE " + RESEARCH_CONSENT.format(p="a.person_id")
    ).fetchone()[0]
    f = metrics.Filters(exports.EARLIEST, dt.date.today())
    written_rows = sum(count for _, count in exports._contacts(city, f, b"a-test-secret", ","))
    assert calls and written_rows == consenting
    assert (
        city.execute("SELECT count(*) FROM attendance a WHERE " + RESEARCH_CONSENT.format(p="a.person_id")).fetchone()[
            0
        ]
        == consenting + 1
    )
