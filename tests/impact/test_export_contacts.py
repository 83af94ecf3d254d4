"""The column-wise contacts export writes exactly what the plain SQL join
gives, row for row, for people with research consent only."""

import csv
import datetime as dt

from caremgmt.core import auth
from caremgmt.impact import exports, metrics
from caremgmt.impact.contact_facts import age_band_sql
from caremgmt.impact.exports import RESEARCH_CONSENT, pseudonym, safe_cell


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
    admin = auth.create_first_admin(city, "admin", "clave-de-la-jefa-1")
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
