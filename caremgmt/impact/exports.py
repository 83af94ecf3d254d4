"""De-identified CSV exports for evaluators, from the same definitions the
impact pages use (caremgmt.impact.metrics).

What makes them safe:
- no name, document, phone, address, note or other free text, ever;
- each person appears as a pseudonym: an HMAC-SHA256 of her id under a
  per-deployment secret ($CAREMGMT_EXPORT_SECRET, or one generated once and
  kept in the database), stable across exports, not reversible without it;
- microdata only for people with an active consent to research use (people
  cared for: through a caregiver's); the aggregate metrics count everyone;
- birth year instead of birth date, locality instead of address; where a
  combination of quasi-identifiers is shared by fewer than K persons it is
  generalised (decade, grouped categories), and if still rare, the whole row
  is suppressed but for the pseudonym;
- aggregate counts under 5 are suppressed, with complementary suppression so
  a total cannot give them away;
- no cell starts with a character a spreadsheet would run as a formula.

Every export is written to the audit log; rows stream to the file, so memory
stays bounded however large the export.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import io
import itertools
import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlite_utils import Database

from caremgmt.casework.cases import referral_overdue_sql
from caremgmt.core import audit, clock, policy, settings
from caremgmt.core.actor import User
from caremgmt.core.db import write_transaction
from caremgmt.core.errors import ValidationError
from caremgmt.core.i18n import Message, t
from caremgmt.impact import metrics
from caremgmt.impact.contact_facts import AGE_BANDS
from caremgmt.registry.validation import age_from_date_numbers, date_number_sql
from caremgmt.scheduling.attendance import STATUSES

KINDS = ("persons", "contacts", "laundry", "outcomes", "referrals", "metrics")
SEPARATORS = {"comma": ",", "semicolon": ";"}
K_ANONYMITY = 5
SMALL_CELL = 5
SUPPRESSED = "<5"
EARLIEST = dt.date(2000, 1, 1)
BATCH = 10_000  # rows written at a time
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ExportResult:
    path: Path
    dictionary: Path
    rows: int


def safe_cell(value: object) -> object:
    """Neutralise text a spreadsheet would evaluate (=, +, -, @, tab, CR first)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return "" if value is None else value


def pseudonym(secret: bytes | hmac.HMAC, person_id: int) -> str:
    """The person's pseudonym. ``secret`` may also be an HMAC already keyed
    with it: copying one is faster when making hundreds of thousands."""
    keyed_hmac = secret.copy() if isinstance(secret, hmac.HMAC) else hmac.new(secret, digestmod=hashlib.sha256)
    keyed_hmac.update(b"person:%d" % person_id)
    return keyed_hmac.hexdigest()[:20]


# --- row sources -----------------------------------------------------------
# Each yields plain tuples in the order of COLUMNS[kind]; ``pid`` stands for the
# pseudonym, filled in while writing.

COLUMNS = {
    "persons": (
        "person_pid",
        "is_caregiver",
        "registration_month",
        "birth_year",
        "sex",
        "gender_identity",
        "locality_code",
        "stratum",
        "ethnicity",
        "disability",
        "migrant_status",
        "education_level",
        "care_hours_per_day",
        "registration_channel",
        "home_block",
        "people_cared_for",
        "caregivers",
    ),
    "contacts": (
        "person_pid",
        "session_date",
        "block",
        "locality_code",
        "service_code",
        "category",
        "audience",
        "status",
        "quantity",
        "walk_in",
        "age_band",
        "is_caregiver",
    ),
    "laundry": ("person_pid", "slot_date", "block", "locality_code", "load_status"),
    # No person-level place here: it is in the persons export, where rare combinations are suppressed.
    "outcomes": ("person_pid", "kind", "achieved_month", "hours", "from_enrolment"),
    "referrals": (
        "person_pid",
        "target",
        "institution_code",
        "sector",
        "service_code",
        "programme",
        "status",
        "sent_month",
        "days_to_accept",
        "days_to_close",
        "overdue",
        "case_priority",
    ),
    "metrics": ("period_from", "period_to", "dimension", "value", "people_served", "service_contacts", "amount"),
}


# Microdata only for people who agreed to research use (people cared for:
# through a caregiver's consent); the aggregate metrics count everyone.
RESEARCH_CONSENTING = (
    "SELECT c.person_id FROM consents c WHERE c.purpose = 'research' AND c.withdrawn_at IS NULL"
    " UNION SELECT l.cared_id FROM care_links l JOIN consents c ON c.person_id = l.caregiver_id"
    " AND c.purpose = 'research' AND c.withdrawn_at IS NULL"
)
RESEARCH_CONSENT = "{p} IN (" + RESEARCH_CONSENTING + ")"


def _where(f: metrics.Filters, date_column: str, block_column: str | None, person: str | None) -> tuple[str, dict]:
    """Period, block and (for ``person``, when given) research consent."""
    where = [f"{date_column} >= :start", f"{date_column} < :end_excl"]
    if person:
        where.append(RESEARCH_CONSENT.format(p=person))
    start, end_excl = clock.day_bounds(f.start, f.end)
    params = {"start": start, "end_excl": end_excl}
    if f.block_code and block_column:
        where.append(f"{block_column} = :block")
        params["block"] = f.block_code
    return " AND ".join(where), params


def _decade(year: int | None) -> str:
    return f"{year // 10 * 10}-{year // 10 * 10 + 9}" if year else ""


def _coarse(row: tuple) -> tuple:
    """Level-1 generalisation of the quasi-identifiers (birth year, sex, locality,
    ethnicity, disability, migrant status): decade and grouped categories."""
    year, sex, locality, ethnicity, disability, migrant = row
    return (
        _decade(year),
        sex,
        locality,
        "none" if ethnicity in (None, "none") else "other",
        "none" if disability in (None, "none") else "any",
        migrant if migrant in (None, "colombian") else "migrant",
    )


def _persons(db: Database, f: metrics.Filters) -> Iterator[tuple]:
    where, params = _where(f, "p.created_at", "p.home_block", "p.id")
    period, bounds = metrics.registered_between(f)
    where = where.replace("p.created_at >= :start AND p.created_at < :end_excl", period)
    params.update(bounds)
    qi = (
        "CAST(substr(p.birth_date, 1, 4) AS INTEGER), p.sex, p.locality_code, p.ethnicity, p.disability,"
        " p.migrant_status"
    )
    exact = Counter(
        {
            tuple(r[:-1]): r[-1]
            for r in db.execute(f"SELECT {qi}, count(*) FROM persons p WHERE {where} GROUP BY {qi}", params)
        }
    )
    coarse: Counter = Counter()
    for key, n in exact.items():
        coarse[_coarse(key)] += n
    for row in db.execute(
        f"SELECT p.id, p.is_caregiver, {clock.sql_local('p.created_at', '%Y-%m')}, {qi},"
        " p.gender_identity, p.stratum, p.education_level, p.care_hours_per_day, p.registration_channel, p.home_block,"
        " (SELECT count(*) FROM care_links l WHERE l.caregiver_id = p.id),"
        " (SELECT count(*) FROM care_links l WHERE l.cared_id = p.id)"
        f" FROM persons p WHERE {where} ORDER BY p.id",
        params,
    ):
        pid, caregiver, month, *key = row[:9]
        gender, stratum, education, hours, channel, block, cared, carers = row[9:]
        key = tuple(key)
        if exact[key] >= K_ANONYMITY:
            year, sex, locality, ethnicity, disability, migrant = key
        elif coarse[_coarse(key)] >= K_ANONYMITY:
            year, sex, locality, ethnicity, disability, migrant = _coarse(key)
        else:
            # Still rare: nothing about her but her pseudonym and role survives,
            # so no other column can single her out either.
            yield (pid, caregiver, *("*",) * 15)
            continue
        yield (
            pid,
            caregiver,
            month,
            year,
            sex,
            gender,
            locality,
            stratum,
            ethnicity,
            disability,
            migrant,
            education,
            hours,
            channel,
            block,
            cared,
            carers,
        )


def _int_table(
    db: Database, table_name: str, columns: list[str], where: str = "1", params: dict | None = None, alias: str = "t"
) -> np.ndarray:
    """Integer ``columns`` of the rows of ``table_name`` (as ``alias``) where
    ``where`` holds, as an array indexed by their id (zeros elsewhere)."""
    size = int(db.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table_name}").fetchone()[0])
    table = np.zeros((size, len(columns)), dtype=np.int64)
    for block in _integer_rows(db, f"{table_name} AS {alias}", [f"{alias}.id", *columns], where, params):
        table[block[:, 0]] = block[:, 1:]
    return table


_STATUS_WALK_IN = 2 * len(STATUSES)  # distinct (status, walk_in) codes: status * 2 + walk_in


def _contacts(db: Database, f: metrics.Filters, secret: bytes, delimiter: str) -> Iterator[tuple[str, int]]:
    """Every attendance in the period, as encoded CSV text a batch at a time.
    The largest export by far (millions of rows), so it is built column-wise:
    attendance is read in stored order without joins, and each row's session,
    person, age band and pseudonym come from arrays made once; the text of
    each session's columns and of each combination of the last five columns is
    encoded once by the csv module and reused."""

    # One read snapshot for every query below: a person registered or a session
    # added meanwhile must not point past the arrays read before it.
    outer = db.conn.in_transaction
    if not outer:
        db.execute("BEGIN")
    try:
        yield from _contact_chunks(db, f, secret, delimiter)
    finally:
        if not outer:
            db.conn.commit()  # nothing written but temporary tables, dropped already


def _contact_chunks(db: Database, f: metrics.Filters, secret: bytes, delimiter: str) -> Iterator[tuple[str, int]]:
    def encoded(values: tuple) -> str:
        return _encode([values], delimiter)[:-2]  # without the line end

    # Birth date as YYYYMMDD, doubled, plus is_caregiver: one number a person.
    person = _int_table(db, "persons", [f"{date_number_sql('t.birth_date')} * 2 + t.is_caregiver"])[:, 0]
    birth, caregiver = person >> 1, person & 1
    pids = np.empty(len(person), dtype=object)
    keyed = hmac.new(secret, digestmod=hashlib.sha256)
    for (pid,) in db.execute(RESEARCH_CONSENTING):
        pids[pid] = pseudonym(keyed, pid) + delimiter
    where, params = _where(f, "s.starts_at", "s.block_code", None)
    block_row = "(SELECT b.rowid FROM blocks b WHERE b.code = s.block_code)"
    session = _int_table(
        db, "sessions", [date_number_sql("s.starts_at"), block_row, "s.service_id"], where, params, "s"
    )
    day, in_scope = session[:, 0], session[:, 0] > 0  # zeros: sessions out of the period or the block
    texts = _session_texts(db, session, in_scope, delimiter, encoded)
    bands = [label for _, _, label in AGE_BANDS] + [""]
    edges = np.array([lo for lo, _, _ in AGE_BANDS[1:]] + [AGE_BANDS[-1][1] + 1])
    status_sql = "CASE status " + " ".join(f"WHEN '{v}' THEN {i}" for i, v in enumerate(STATUSES)) + " END"
    # Quantities take few distinct values (a session's hours, a load): each row
    # carries the index of its own, so that one integer packs the whole row.
    # (Not ORDER BY in SQL: SQLite then sorts every row before removing duplicates.)
    quantities = np.array(sorted(q for (q,) in db.execute("SELECT DISTINCT quantity FROM attendance")))
    session_bits, kinds = len(session).bit_length(), max(len(quantities), 1)
    if len(person) << session_bits >= 2**63 // (_STATUS_WALK_IN * kinds):
        raise ValueError("too many persons and sessions for the contacts export")
    # Bound, not written in the SQL: a float parameter arrives exactly.
    quantity_sql = "CASE quantity " + " ".join(f"WHEN :q{i} THEN {i}" for i in range(len(quantities))) + " END"
    packed = (
        f"(((person_id << {session_bits} | session_id) * {_STATUS_WALK_IN} + {status_sql} * 2 + walk_in)"
        f" * {kinds} + {quantity_sql})"
    )
    db.execute("CREATE TEMP TABLE export_people (id INTEGER PRIMARY KEY)")
    try:
        consenting = np.flatnonzero(pids != None)  # noqa: E711 - element-wise on an object array
        db.conn.executemany("INSERT INTO temp.export_people VALUES (?)", ((int(i),) for i in consenting))
        # "+" keeps SQLite on the table in stored order rather than the person index.
        for rows in _integer_rows(
            db,
            "attendance",
            [packed],
            "+attendance.person_id IN temp.export_people",
            {f"q{i}": q for i, q in enumerate(quantities.tolist())},
        ):
            code, quantity = np.divmod(rows[:, 0], kinds)
            code, status_walk_in = np.divmod(code, _STATUS_WALK_IN)
            who, at = code >> session_bits, code & ((1 << session_bits) - 1)
            if not (keep := in_scope[at]).all():
                who, at, status_walk_in, quantity = who[keep], at[keep], status_walk_in[keep], quantity[keep]
                if not len(who):
                    continue
            age = age_from_date_numbers(birth[who], day[at])
            band = np.where(age < 0, len(bands) - 1, np.searchsorted(edges, age, side="right"))
            # The last five columns take few distinct values: encode each combination once.
            key = ((quantity * _STATUS_WALK_IN + status_walk_in) * len(bands) + band) * 2 + caregiver[who]
            distinct, index = np.unique(key, return_inverse=True)
            tails = np.array([_contact_tail(k, quantities, bands, encoded) for k in distinct.tolist()], dtype=object)
            pieces = np.empty(3 * len(who), dtype=object)  # one join, no string per row in between
            pieces[0::3], pieces[1::3], pieces[2::3] = pids[who], texts[at], tails[index.ravel()]
            yield "".join(pieces.tolist()), len(who)
    finally:
        db.execute("DROP TABLE temp.export_people")


def _session_texts(
    db: Database, session: np.ndarray, in_scope: np.ndarray, delimiter: str, encoded: Callable[[tuple], str]
) -> np.ndarray:
    """Each session's first six columns, encoded with their delimiters, indexed by
    session id: day, block, locality, service, category and audience. Sessions
    (``session``: day as YYYYMMDD, block rowid, service id) share few days and
    fewer places, so each of those is encoded once."""
    blocks = {
        row: (code, locality) for row, code, locality in db.execute("SELECT rowid, code, locality_code FROM blocks")
    }
    services = {i: rest for i, *rest in db.execute("SELECT id, code, category, audience FROM services")}
    scoped = np.flatnonzero(in_scope)
    days, day_of = np.unique(session[scoped, 0], return_inverse=True)
    day_texts = [f"{d // 10000:04d}-{d // 100 % 100:02d}-{d % 100:02d}{delimiter}" for d in days.tolist()]
    width = int(session[:, 2].max(initial=0)) + 1
    places, place_of = np.unique(session[scoped, 1] * width + session[scoped, 2], return_inverse=True)
    place_texts = [
        encoded(tuple(safe_cell(v) for v in (*blocks[p // width], *services[p % width]))) + delimiter
        for p in places.tolist()
    ]
    texts = np.empty(len(session), dtype=object)
    texts[scoped] = np.array(day_texts, dtype=object)[day_of] + np.array(place_texts, dtype=object)[place_of]
    return texts


def _integer_rows(
    db: Database, table: str, columns: list[str], where: str, params: dict | None = None
) -> Iterator[np.ndarray]:
    """Integer ``columns`` (never NULL) of the rows of ``table`` where ``where``
    holds, in stored order, as an array of a slice of ids at a time. SQLite hands
    a slice over as one text that numpy parses in one call: a Python tuple per
    row cost more than everything else in the contacts export."""
    name = table.split()[-1]
    first, last = db.execute(f"SELECT min({name}.id), max({name}.id) FROM {table}").fetchone()
    values = " || ',' || ".join(f"({c})" for c in columns) + " || ','"
    sql = (
        f"SELECT group_concat(v, '') FROM (SELECT {values} AS v FROM {table}"
        f" WHERE {name}.id BETWEEN :low AND :high AND {where} ORDER BY {name}.id)"
    )
    for low in range(first or 0, (last or -1) + 1, BATCH):
        (text,) = db.execute(sql, {**(params or {}), "low": low, "high": low + BATCH - 1}).fetchone()
        if text is not None:
            yield np.fromstring(text[:-1], dtype=np.int64, sep=",").reshape(-1, len(columns))


def _contact_tail(key: int, quantities: np.ndarray, bands: list[str], encoded: Callable[[tuple], str]) -> str:
    """The encoded last five columns of a contact from its key:
    ((quantity index * _STATUS_WALK_IN + status * 2 + walk_in) * len(bands) + band) * 2 + is_caregiver."""
    rest, caregiver = divmod(key, 2)
    rest, band = divmod(rest, len(bands))
    quantity, status_walk_in = divmod(rest, _STATUS_WALK_IN)
    status, walk_in = divmod(status_walk_in, 2)
    return encoded((STATUSES[status], float(quantities[quantity]), walk_in, bands[band], caregiver)) + "\r\n"


def _encode(rows: Iterable[tuple], delimiter: str) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    return buffer.getvalue()


def _laundry(db: Database, f: metrics.Filters) -> Iterator[tuple]:
    where, params = _where(f, "s.starts_at", "s.block_code", "pa.person_id")
    yield from db.execute(
        "SELECT pa.person_id, substr(s.starts_at, 1, 10), s.block_code, b.locality_code, pa.load_status"
        " FROM participants pa JOIN sessions s ON s.id = pa.session_id"
        " JOIN services v ON v.id = s.service_id AND v.kind = 'laundry'"
        f" JOIN blocks b ON b.code = s.block_code WHERE pa.status = 'booked' AND {where} ORDER BY pa.id",
        params,
    )


def _outcomes(db: Database, f: metrics.Filters) -> Iterator[tuple]:
    where, params = _where(f, "o.achieved_on", "p.home_block", "o.person_id")
    yield from db.execute(
        "SELECT o.person_id, o.kind, substr(o.achieved_on, 1, 7), o.hours, o.enrolment_id IS NOT NULL"
        f" FROM outcomes o JOIN persons p ON p.id = o.person_id WHERE {where} ORDER BY o.id",
        params,
    )


def _referrals(db: Database, f: metrics.Filters) -> Iterator[tuple]:
    where, params = _where(f, "r.sent_on", "c.block_code", "r.person_id")
    params["today"] = clock.today().isoformat()
    yield from db.execute(
        "SELECT r.person_id, r.target, i.code, i.sector, v.code, e.programme, r.status, substr(r.sent_on, 1, 7),"
        " CAST(julianday(r.accepted_on) - julianday(r.sent_on) AS INTEGER),"
        " CAST(julianday(r.closed_on) - julianday(r.sent_on) AS INTEGER),"
        f" {referral_overdue_sql('r', ':today')}, c.priority"
        " FROM referrals r JOIN cases c ON c.id = r.case_id LEFT JOIN institutions i ON i.id = r.institution_id"
        " LEFT JOIN services v ON v.id = r.service_id LEFT JOIN enrolments e ON e.id = r.enrolment_id"
        f" WHERE {where} ORDER BY r.id",
        params,
    )


def suppress(counts: list[int | None]) -> list[object]:
    """Small-cell suppression of one group of counts that add up to a shown
    total: 1 to 4 become '<5'; if only one cell would be hidden, the next
    smallest is hidden too, so the total cannot reveal it."""
    shown: list[object] = list(counts)
    small = [i for i, n in enumerate(counts) if n is not None and 0 < n < SMALL_CELL]
    for i in small:
        shown[i] = SUPPRESSED
    if len(small) == 1:
        others = sorted((n, i) for i, n in enumerate(counts) if n and i not in small)
        if others:
            shown[others[0][1]] = SUPPRESSED
    return shown


def _small(count: int) -> object:
    """A count on its own (no group to protect): hidden when 1 to 4."""
    return SUPPRESSED if 0 < count < SMALL_CELL else count


def metric_rows(db: Database, f: metrics.Filters) -> list[tuple]:
    """The aggregate table: totals, headline figures, and every breakdown the
    impact page charts, with suppression applied within each breakdown."""
    period = (f.start.isoformat(), f.end.isoformat())
    facts = metrics.facts_for(db, f)
    head = metrics.headlines(db, f, facts)
    rows = [(*period, "all", "total", _small(head["people_served"]), _small(head["service_contacts"]), "")]
    counted = (
        "people_registered",
        "people_registered_cumulative",
        "people_served",
        "service_contacts",
        "active_caregivers",
        "laundry_loads",
        "diplomas",
        "other_outcomes",
        "waitlist",
    )
    for name in metrics.HEADLINES:
        rows.append((*period, "headline", name, "", "", _small(head[name]) if name in counted else head[name]))
    for dimension in metrics.DIMENSIONS:
        groups = metrics.breakdown(db, f, dimension, facts)
        served = suppress([g["people_served"] for g in groups])
        contacts = suppress([g["contacts"] for g in groups])
        rows += [
            (*period, dimension, "" if g["value"] is None else g["value"], s, c, "")
            for g, s, c in zip(groups, served, contacts, strict=True)
        ]
    return rows


_SOURCES: dict[str, Callable[[Database, metrics.Filters], Iterable[tuple]]] = {
    "persons": _persons,
    "laundry": _laundry,
    "outcomes": _outcomes,
    "referrals": _referrals,
}


def _chunks(db: Database, kind: str, f: metrics.Filters, secret: bytes, delimiter: str) -> Iterator[tuple[str, int]]:
    """The export's rows, pseudonymised, formula-safe and encoded, a batch at a time."""
    if kind == "contacts":
        yield from _contacts(db, f, secret, delimiter)
        return
    if kind == "metrics":
        rows = [tuple(safe_cell(v) for v in row) for row in metric_rows(db, f)]
        yield _encode(rows, delimiter), len(rows)
        return
    source = iter(_SOURCES[kind](db, f))
    while batch := list(itertools.islice(source, BATCH)):
        yield (
            _encode([(pseudonym(secret, row[0]), *(safe_cell(v) for v in row[1:])) for row in batch], delimiter),
            len(batch),
        )


def dictionary_rows(kind: str) -> list[tuple[str, str, str]]:
    return [
        (column, t(f"export.{kind}.{column}", "es"), t(f"export.{kind}.{column}", "en")) for column in COLUMNS[kind]
    ]


def export(
    db: Database,
    actor: User,
    kind: str,
    out: str | Path,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    block_code: str | None = None,
    separator: str = "comma",
    progress: Callable[[int], None] | None = None,
) -> ExportResult:
    """Write one de-identified export and its data dictionary next to it."""
    policy.check(db, actor, "export.run")
    errors = {}
    if kind not in KINDS:
        errors["kind"] = Message("error.invalid_choice")
    if separator not in SEPARATORS:
        errors["separator"] = Message("error.invalid_choice")
    if errors:
        raise ValidationError(errors)
    f = metrics.validate(db, metrics.Filters(start or EARLIEST, end or clock.today(), block_code=block_code))
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    secret = settings.export_secret(db)
    delimiter = SEPARATORS[separator]
    rows = 0
    with open(out, "w", encoding="utf-8", newline="") as handle:
        handle.write(_encode([COLUMNS[kind]], delimiter))
        for text, count in _chunks(db, kind, f, secret, delimiter):
            handle.write(text)
            rows += count
            if progress:
                progress(rows)
    dictionary = out.with_name(out.stem + ".dictionary.csv")
    with open(dictionary, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(("column", "descripcion", "description"))
        writer.writerows([[safe_cell(v) for v in r] for r in dictionary_rows(kind)])
    if progress:
        progress(rows)
    with write_transaction(db):
        audit.record(
            db,
            actor,
            "export",
            "export",
            kind,
            detail=json.dumps(
                {
                    "kind": kind,
                    "from": f.start.isoformat(),
                    "to": f.end.isoformat(),
                    "block": block_code,
                    "separator": separator,
                    "rows": rows,
                }
            ),
        )
    return ExportResult(out, dictionary, rows)
