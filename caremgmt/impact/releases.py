"""Data releases for evaluators: every file an evaluator takes at once
(persons, contacts, laundry, outcomes, referrals, metrics), produced together
as one bundle with its dictionary, a disclosure-risk report and a manifest.

What makes a release safe:
- its own pseudonym key, drawn for it and forgotten once it is written: the
  files of one release join on the pseudonym, the files of two releases cannot;
- microdata only for persons whose consent covers research use
  (caremgmt.registry.consents.RESEARCH_MICRODATA);
- no name, document, phone, address, note or other free text, ever;
- the quasi-identifiers hold k-anonymity, and the sensitive attribute
  (a referral to a violence-protection institution) l-diversity, on the
  joined release (caremgmt.impact.disclosure); ages are fixed for the whole
  release (age band on its last day), dates coarsened to its week or month;
- aggregate counts perturbed by the cell-key method (caremgmt.impact.cellkey),
  ratios computed from the released counts, small cells "suprimido";
- no cell starts with a character a spreadsheet would run as a formula.

A release is written to the audit log and recorded with its manifest (never
its key) in the ``releases`` table.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sqlite_utils import Database

from caremgmt.casework.cases import referral_overdue_sql
from caremgmt.core import audit, clock, policy
from caremgmt.core.actor import User
from caremgmt.core.db import write_transaction
from caremgmt.core.errors import CareError, ValidationError
from caremgmt.core.i18n import Message, t
from caremgmt.core.spreadsheet import SEPARATORS, encode_rows, safe_cell
from caremgmt.impact import cellkey, disclosure, metrics
from caremgmt.impact.contact_facts import age_band_sql
from caremgmt.impact.disclosure import DETAILS, K_DEFAULT, QUASI_IDENTIFIERS, SUPPRESSED
from caremgmt.impact.integer_columns import BATCH, int_table, integer_rows
from caremgmt.registry.consents import RESEARCH_MICRODATA
from caremgmt.registry.validation import date_number_sql
from caremgmt.scheduling.attendance import STATUSES

KINDS = ("persons", "contacts", "laundry", "outcomes", "referrals", "metrics")
MICRODATA = KINDS[:-1]
GRANULARITIES = ("month", "week")
EARLIEST = dt.date(2000, 1, 1)
SENSITIVE_SECTOR = "violence_protection"

COLUMNS = {
    "persons": (
        "person_pid",
        "is_caregiver",
        "registration_period",
        "age_band",
        "sex",
        "gender_identity",
        "locality_code",
        "home_block",
        "stratum",
        "ethnicity",
        "disability",
        "migrant_status",
        "education_level",
        "care_hours_band",
        "registration_channel",
        "people_cared_for",
        "caregivers",
    ),
    "contacts": (
        "person_pid",
        "period",
        "block",
        "locality_code",
        "service_code",
        "category",
        "audience",
        "status",
        "quantity",
        "walk_in",
    ),
    "laundry": ("person_pid", "period", "block", "locality_code", "load_status"),
    "outcomes": ("person_pid", "kind", "period", "hours", "from_enrolment"),
    "referrals": (
        "person_pid",
        "target",
        "institution_code",
        "sector",
        "service_code",
        "programme",
        "status",
        "sent_period",
        "days_to_accept",
        "days_to_close",
        "overdue",
        "case_priority",
    ),
    "metrics": ("period_from", "period_to", "dimension", "value", "people_served", "service_contacts", "amount"),
}


@dataclass(frozen=True)
class Release:
    id: str
    directory: Path
    files: dict[str, Path]
    rows: dict[str, int]
    report: dict
    # The release's pseudonym key: in memory only, for the caller to forget.
    key: bytes = field(repr=False)


class ReleaseWarning(CareError):
    """The release would suppress more than the warning threshold: say so, and
    offer coarser detail, before it is taken."""

    def __init__(self, report: dict):
        super().__init__(Message("releases.warning"))
        self.report = report


def pseudonym(key: bytes | hmac.HMAC, person_id: int) -> str:
    """A person's pseudonym in one release. ``key`` may be an HMAC already keyed:
    copying one is faster when making hundreds of thousands."""
    keyed = key.copy() if isinstance(key, hmac.HMAC) else hmac.new(key, digestmod=hashlib.sha256)
    keyed.update(b"person:%d" % person_id)
    return keyed.hexdigest()[:20]


def period_of(day: str, granularity: str) -> str:
    """An ISO day as the release's period: "2026-04" or ISO week "2026-W14"."""
    if granularity == "month":
        return day[:7]
    year, week, _ = dt.date.fromisoformat(day[:10]).isocalendar()
    return f"{year}-W{week:02d}"


@dataclass
class _Request:
    f: metrics.Filters
    kinds: tuple[str, ...]
    granularity: str
    delimiter: str

    def period(self, days: pd.Series) -> pd.Series:
        """Each ISO day (or stamp) as its period, working out each distinct day once."""
        days = days.fillna("").astype(str).str.slice(0, 10)
        texts = {d: period_of(d, self.granularity) if d else "" for d in days.unique()}
        return days.map(texts)


# --- what the release holds about each person, before disclosure control ----------------


class _Contacts:
    """Every attendance of a consenting person at a session in the period, read
    column-wise (millions of rows at city scale): who, which session, status and
    walk-in as one code, and the index of the quantity."""

    _STATUS_WALK_IN = 2 * len(STATUSES)

    def __init__(self, db: Database, r: _Request, consenting: np.ndarray):
        where, params = _where(r.f, "s.starts_at", "s.block_code")
        block_row = "(SELECT b.rowid FROM blocks b WHERE b.code = s.block_code)"
        self.session = int_table(
            db, "sessions", [date_number_sql("s.starts_at"), block_row, "s.service_id"], where, params, "s"
        )
        in_scope = self.session[:, 0] > 0
        status_sql = "CASE status " + " ".join(f"WHEN '{v}' THEN {i}" for i, v in enumerate(STATUSES)) + " END"
        # (Not ORDER BY in SQL: SQLite then sorts every row before removing duplicates.)
        self.quantities = np.array(sorted(q for (q,) in db.execute("SELECT DISTINCT quantity FROM attendance")))
        kinds = max(len(self.quantities), 1)
        quantity_sql = "CASE quantity " + " ".join(f"WHEN :q{i} THEN {i}" for i in range(len(self.quantities))) + " END"
        packed = f"((session_id * {self._STATUS_WALK_IN} + {status_sql} * 2 + walk_in) * {kinds} + {quantity_sql})"
        parts = []
        db.execute("CREATE TEMP TABLE release_people (id INTEGER PRIMARY KEY)")
        try:
            db.conn.executemany("INSERT INTO temp.release_people VALUES (?)", ((int(i),) for i in consenting))
            # "+" keeps SQLite on the table in stored order rather than the person index.
            for rows in integer_rows(
                db,
                "attendance",
                ["person_id", packed],
                "+attendance.person_id IN temp.release_people",
                {f"q{i}": q for i, q in enumerate(self.quantities.tolist())},
            ):
                code, quantity = np.divmod(rows[:, 1], kinds)
                at, status_walk_in = np.divmod(code, self._STATUS_WALK_IN)
                keep = in_scope[at]
                parts.append(np.stack([rows[keep, 0], at[keep], status_walk_in[keep], quantity[keep]], axis=1))
        finally:
            db.execute("DROP TABLE temp.release_people")
        rows = np.concatenate(parts) if parts else np.zeros((0, 4), dtype=np.int64)
        self.who, self.at, self.status_walk_in, self.quantity = rows.T

    def places(self) -> tuple[np.ndarray, np.ndarray]:
        """(person, block rowid) of every contact."""
        return self.who, self.session[self.at, 1]

    def chunks(self, db: Database, r: _Request, pids: np.ndarray, place_level: np.ndarray) -> Iterator[tuple[str, int]]:
        """The contacts of persons with a pseudonym (``pids`` by person id: the
        pseudonym and its delimiter), encoded a batch at a time. The text of each
        session's columns at each place level, and of each combination of the last
        three columns, is encoded once and reused."""
        keep = pids[self.who] != None  # noqa: E711 - element-wise on an object array
        who, at, status_walk_in, quantity = (
            self.who[keep],
            self.at[keep],
            self.status_walk_in[keep],
            self.quantity[keep],
        )
        texts = _session_texts(db, r, self.session)
        tails = np.array(
            [
                encode_rows([(STATUSES[s // 2], float(q), s % 2)], r.delimiter)
                for q in self.quantities.tolist()
                for s in range(self._STATUS_WALK_IN)
            ],
            dtype=object,
        )
        for low in range(0, len(who), BATCH * 10):
            w, a = who[low : low + BATCH * 10], at[low : low + BATCH * 10]
            tail = quantity[low : low + BATCH * 10] * self._STATUS_WALK_IN + status_walk_in[low : low + BATCH * 10]
            pieces = np.empty(3 * len(w), dtype=object)  # one join, no string per row in between
            pieces[0::3], pieces[1::3], pieces[2::3] = pids[w], texts[place_level[w], a], tails[tail]
            yield "".join(pieces.tolist()), len(w)


def _session_texts(db: Database, r: _Request, session: np.ndarray) -> np.ndarray:
    """texts[place level, session id]: a session's period, block, locality, service,
    category and audience, encoded with their delimiters, the block (level 1) or
    both places (level 2) suppressed. Sessions share few days and fewer places,
    so each of those is encoded once."""
    d = r.delimiter
    blocks = {row: (code, loc) for row, code, loc in db.execute("SELECT rowid, code, locality_code FROM blocks")}
    services = {i: rest for i, *rest in db.execute("SELECT id, code, category, audience FROM services")}
    scoped = np.flatnonzero(session[:, 0] > 0)
    texts = np.empty((3, len(session)), dtype=object)
    if not len(scoped):
        return texts
    days, day_of = np.unique(session[scoped, 0], return_inverse=True)
    periods = [
        period_of(f"{x // 10000:04d}-{x // 100 % 100:02d}-{x % 100:02d}", r.granularity) + d for x in days.tolist()
    ]
    width = int(session[:, 2].max(initial=0)) + 1
    places, place_of = np.unique(session[scoped, 1] * width + session[scoped, 2], return_inverse=True)
    for level in range(3):
        place_texts = []
        for p in places.tolist():
            block, locality = blocks[p // width]
            shown = (block, locality) if level == 0 else (SUPPRESSED, locality) if level == 1 else (SUPPRESSED,) * 2
            place_texts.append(encode_rows([tuple(safe_cell(v) for v in (*shown, *services[p % width]))], d)[:-2] + d)
        texts[level, scoped] = np.array(periods, dtype=object)[day_of] + np.array(place_texts, dtype=object)[place_of]
    return texts


def _where(f: metrics.Filters, date_column: str, block_column: str | None) -> tuple[str, dict]:
    start, end_excl = clock.day_bounds(f.start, f.end)
    where, params = [f"{date_column} >= :start", f"{date_column} < :end_excl"], {"start": start, "end_excl": end_excl}
    if f.block_code and block_column:
        where.append(f"{block_column} = :block")
        params["block"] = f.block_code
    return " AND ".join(where), params


def _frame(db: Database, sql: str, params: dict, columns: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame(db.execute(sql, params).fetchall(), columns=list(columns))


def _consenting(db: Database) -> np.ndarray:
    return np.array([i for (i,) in db.execute(RESEARCH_MICRODATA)], dtype=np.int64)


def _laundry(db: Database, r: _Request) -> pd.DataFrame:
    where, params = _where(r.f, "s.starts_at", "s.block_code")
    return _frame(
        db,
        "SELECT pa.person_id, substr(s.starts_at, 1, 10), b.rowid, s.block_code, b.locality_code, pa.load_status"
        " FROM participants pa JOIN sessions s ON s.id = pa.session_id"
        " JOIN services v ON v.id = s.service_id AND v.kind = 'laundry'"
        f" JOIN blocks b ON b.code = s.block_code WHERE pa.status = 'booked' AND {where} ORDER BY pa.id",
        params,
        ("person", "day", "block_row", "block", "locality_code", "load_status"),
    )


def _outcomes(db: Database, r: _Request) -> pd.DataFrame:
    where, params = _where(r.f, "o.achieved_on", "p.home_block")
    return _frame(
        db,
        "SELECT o.person_id, o.kind, o.achieved_on, o.hours, o.enrolment_id IS NOT NULL"
        f" FROM outcomes o JOIN persons p ON p.id = o.person_id WHERE {where} ORDER BY o.id",
        params,
        ("person", "kind", "day", "hours", "from_enrolment"),
    )


def _referrals(db: Database, r: _Request) -> pd.DataFrame:
    where, params = _where(r.f, "r.sent_on", "c.block_code")
    params["today"] = clock.today().isoformat()
    return _frame(
        db,
        "SELECT r.person_id, r.target, i.code, i.sector, v.code, e.programme, r.status, r.sent_on,"
        " CAST(julianday(r.accepted_on) - julianday(r.sent_on) AS INTEGER),"
        " CAST(julianday(r.closed_on) - julianday(r.sent_on) AS INTEGER),"
        f" {referral_overdue_sql('r', ':today')}, c.priority"
        " FROM referrals r JOIN cases c ON c.id = r.case_id LEFT JOIN institutions i ON i.id = r.institution_id"
        " LEFT JOIN services v ON v.id = r.service_id LEFT JOIN enrolments e ON e.id = r.enrolment_id"
        f" WHERE {where} ORDER BY r.id",
        params,
        # The file's columns, with the person's id and the day sent (made a period when written).
        tuple("person" if c == "person_pid" else "day" if c == "sent_period" else c for c in COLUMNS["referrals"]),
    )


def _registered(db: Database, r: _Request) -> np.ndarray:
    period, params = metrics.registered_between(r.f)
    where = period
    if r.f.block_code:
        where += " AND p.home_block = :block"
        params["block"] = r.f.block_code
    return np.array([i for (i,) in db.execute(f"SELECT p.id FROM persons p WHERE {where}", params)], dtype=np.int64)


_CARE_HOURS_BANDS = ((0, 4, "0-4"), (5, 8, "5-8"), (9, 12, "9-12"), (13, 24, "13+"))


def _people(db: Database, r: _Request, ids: np.ndarray) -> pd.DataFrame:
    """The persons ``ids``: quasi-identifiers at the finest detail (text; "" when
    not recorded) and the other columns of persons.csv. Age is her age band on
    the release's last day, the same in every file and row."""
    db.execute("CREATE TEMP TABLE release_population (id INTEGER PRIMARY KEY)")
    try:
        db.conn.executemany("INSERT INTO temp.release_population VALUES (?)", ((int(i),) for i in ids))
        frame = _frame(
            db,
            f"SELECT p.id, p.is_caregiver, {clock.sql_local('p.created_at', '%Y-%m-%d')},"
            f" {age_band_sql('p.birth_date', ':on')}, p.sex, p.gender_identity, p.locality_code, p.home_block,"
            " p.stratum, p.ethnicity, p.disability, p.migrant_status, p.education_level, p.care_hours_per_day,"
            " p.registration_channel,"
            " (SELECT count(*) FROM care_links l WHERE l.caregiver_id = p.id),"
            " (SELECT count(*) FROM care_links l WHERE l.cared_id = p.id)"
            " FROM persons p JOIN temp.release_population USING (id) ORDER BY p.id",
            {"on": r.f.end.isoformat()},
            ("id", *COLUMNS["persons"][1:]),
        )
    finally:
        db.execute("DROP TABLE temp.release_population")
    frame = frame.set_index("id")
    frame["registration_period"] = r.period(frame["registration_period"])
    for column in ("is_caregiver", "locality_code", "stratum"):
        frame[column] = frame[column].map(lambda v: "" if v is None or pd.isna(v) else str(int(v)))
    frame["care_hours_band"] = frame["care_hours_band"].map(
        lambda h: "" if h is None or pd.isna(h) else next(label for lo, hi, label in _CARE_HOURS_BANDS if h <= hi)
    )
    for column in ("people_cared_for", "caregivers"):
        frame[column] = frame[column].map(lambda n: "3+" if n >= 3 else str(n))
    return frame.fillna("")


def _place_signatures(persons: np.ndarray, places: np.ndarray, level: int) -> pd.Series:
    """Per person, a number naming the set of ``places`` she appears at: equal
    sets, equal numbers (a random 62-bit value per place, combined by xor; a
    table of its own per ``level``, so that blocks and localities never meet)."""
    if not len(persons):
        return pd.Series(dtype=np.int64)
    values = np.random.default_rng(level).integers(1, 2**62, size=int(places.max()) + 1, dtype=np.int64)
    pairs = np.unique(persons.astype(np.int64) * (int(places.max()) + 1) + places)
    who, where = np.divmod(pairs, int(places.max()) + 1)
    starts = np.flatnonzero(np.r_[True, who[1:] != who[:-1]])
    return pd.Series(np.bitwise_xor.reduceat(values[where], starts), index=who[starts])


# --- the bundle -------------------------------------------------------------------------


def create_release(
    db: Database,
    actor: User,
    out: str | Path,
    *,
    kinds: tuple[str, ...] = KINDS,
    start: dt.date | None = None,
    end: dt.date | None = None,
    block_code: str | None = None,
    k: int = K_DEFAULT,
    granularity: str = "month",
    detail: str = "fine",
    separator: str = "comma",
    accept_warning: bool = False,
    progress: Callable[[int], None] | None = None,
    stem: str | None = None,
) -> Release:
    """Write one release into the folder ``out``: a CSV per kind, dictionary.csv,
    risk_report.json and manifest.json; with ``stem`` (a one-kind release, as
    ``export KIND --out FILE`` takes it), STEM.csv, STEM.dictionary.csv,
    STEM.risk_report.json and STEM.manifest.json. Raises ReleaseWarning
    (nothing written) when more than the threshold would be suppressed, unless
    ``accept_warning``."""
    policy.check(db, actor, "export.run")
    errors = {}
    if not kinds or any(kind not in KINDS for kind in kinds):
        errors["kinds"] = Message("error.invalid_choice")
    if separator not in SEPARATORS:
        errors["separator"] = Message("error.invalid_choice")
    if granularity not in GRANULARITIES or detail not in DETAILS:
        errors["granularity" if granularity not in GRANULARITIES else "detail"] = Message("error.invalid_choice")
    if not isinstance(k, int) or k < K_DEFAULT:
        errors["k"] = Message("releases.k_too_small", {"k": K_DEFAULT})
    if stem is not None and len(kinds) != 1:
        errors["kinds"] = Message("error.invalid_choice")
    if errors:
        raise ValidationError(errors)
    name = (lambda part: f"{stem}{'' if part == kinds[0] else '.' + part}") if stem else (lambda part: part)
    f = metrics.validate(db, metrics.Filters(start or EARLIEST, end or clock.today(), block_code=block_code))
    r = _Request(f, tuple(kind for kind in KINDS if kind in kinds), granularity, SEPARATORS[separator])
    key = secrets.token_bytes(32)
    release_id = f"{clock.today():%Y%m%d}-{secrets.token_hex(4)}"
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    # One read snapshot for every query: a person registered or a session added
    # meanwhile must not point past what was read before her.
    outer = db.conn.in_transaction
    if not outer:
        db.execute("BEGIN")
    try:
        files, rows, report = _write(db, r, key, folder, name, k, detail, accept_warning, progress)
    finally:
        if not outer:
            db.conn.commit()  # nothing written but temporary tables, dropped already
    report["perturbation"] = {
        "method": "cell-key",
        "max_abs": cellkey.MAX_PERTURBATION,
        "small_cell": cellkey.SMALL_CELL,
        "suppressed": SUPPRESSED,
    }
    report["granularity"] = granularity
    report["age_reference_date"] = f.end.isoformat()
    files["dictionary"] = _write_dictionary(folder / f"{name('dictionary')}.csv", r)
    files["risk_report"] = _write_json(folder / f"{name('risk_report')}.json", report)
    manifest = {
        "release_id": release_id,
        "created_at": clock.now_iso(),
        "created_by": actor.username,
        "filters": {"from": f.start.isoformat(), "to": f.end.isoformat(), "block": block_code},
        "kinds": list(r.kinds),
        "k": k,
        "granularity": granularity,
        "detail": detail,
        "separator": separator,
        "files": {
            path.name: {"rows": rows.get(name), "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
            for name, path in files.items()
        },
    }
    files["manifest"] = _write_json(folder / f"{name('manifest')}.json", manifest)
    with write_transaction(db):
        db["releases"].insert(
            {
                "id": release_id,
                "created_at": manifest["created_at"],
                "created_by": actor.id,
                "manifest": json.dumps(manifest),
            }
        )
        audit.record(db, actor, "export", "release", release_id, detail=json.dumps(manifest))
    return Release(release_id, folder, files, rows, report, key)


def _write(
    db: Database,
    r: _Request,
    key: bytes,
    folder: Path,
    name: Callable[[str], str],
    k: int,
    detail: str,
    accept_warning: bool,
    progress: Callable[[int], None] | None,
) -> tuple[dict[str, Path], dict[str, int], dict]:
    microdata = [kind for kind in r.kinds if kind in MICRODATA]
    consenting = _consenting(db) if microdata else np.zeros(0, dtype=np.int64)
    allowed = pd.Index(consenting)
    contacts = _Contacts(db, r, consenting) if "contacts" in r.kinds else None
    tables = {
        "laundry": _laundry(db, r) if "laundry" in r.kinds else None,
        "outcomes": _outcomes(db, r) if "outcomes" in r.kinds else None,
        "referrals": _referrals(db, r) if "referrals" in r.kinds else None,
    }
    tables = {kind: t_[t_["person"].isin(allowed)] for kind, t_ in tables.items() if t_ is not None}
    members = [contacts.who] if contacts else []
    members += [t_["person"].to_numpy(np.int64) for t_ in tables.values()]
    if "persons" in r.kinds:
        members.append(np.intersect1d(_registered(db, r), consenting))
    population = np.unique(np.concatenate(members)) if members else np.zeros(0, dtype=np.int64)
    people = _people(db, r, population)
    if "persons" not in r.kinds:  # only the places are shown about her
        for column in QUASI_IDENTIFIERS:
            if column != "places":
                people[column] = ""
    places = _places(db, contacts, tables.get("laundry"), population)
    sensitive = None
    if "referrals" in tables:
        referred = tables["referrals"].loc[tables["referrals"]["sector"] == SENSITIVE_SECTOR, "person"]
        sensitive = pd.Series(True, index=pd.Index(referred.unique()))
    anonymised = disclosure.anonymise(
        people[[c for c in QUASI_IDENTIFIERS if c != "places"]], places, sensitive, k=k, detail=detail
    )
    report = anonymised.report
    if report["warning"] and not accept_warning:
        raise ReleaseWarning(report)
    kept = anonymised.values.index.to_numpy(np.int64)
    size = int(population.max()) + 1 if len(population) else 1
    pids = np.full(size, None, dtype=object)
    place_level = np.zeros(size, dtype=np.int64)
    place_level[kept] = anonymised.place_level.to_numpy()
    keyed = hmac.new(key, digestmod=hashlib.sha256)
    for person_id in kept.tolist():
        pids[person_id] = pseudonym(keyed, person_id) + r.delimiter
    files, rows = {}, {}
    written = 0

    def tick(n: int) -> None:
        nonlocal written
        written += n
        if progress:
            progress(written)

    for kind in r.kinds:
        path = folder / f"{name(kind)}.csv"
        if kind == "contacts":
            chunks = contacts.chunks(db, r, pids, place_level)
        elif kind == "metrics":
            chunks = iter([_encoded(metric_rows(db, r.f), r.delimiter)])
        elif kind == "persons":
            chunks = _persons_chunks(people, anonymised.values, pids, r)
        else:
            chunks = _table_chunks(kind, tables[kind], pids, place_level, r)
        rows[kind] = _write_csv(path, COLUMNS[kind], chunks, r.delimiter, tick)
        files[kind] = path
    report["rows"] = dict(rows)
    return files, rows, report


def _places(db: Database, contacts: _Contacts | None, laundry: pd.DataFrame | None, population: np.ndarray):
    """Signatures of the sets of blocks (level 0) and localities (level 1) each
    person is shown at by contacts and laundry."""
    persons, blocks = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)]
    if contacts is not None:
        who, block = contacts.places()
        persons.append(who)
        blocks.append(block)
    if laundry is not None:
        persons.append(laundry["person"].to_numpy(np.int64))
        blocks.append(laundry["block_row"].to_numpy(np.int64))
    who, block = np.concatenate(persons), np.concatenate(blocks)
    locality_of = np.zeros(int(block.max(initial=0)) + 1, dtype=np.int64)
    for row, locality in db.execute("SELECT rowid, coalesce(locality_code, 0) FROM blocks"):
        if row < len(locality_of):
            locality_of[row] = locality
    return {0: _place_signatures(who, block, 0), 1: _place_signatures(who, locality_of[block], 1)}


def _persons_chunks(people: pd.DataFrame, released: pd.DataFrame, pids: np.ndarray, r: _Request):
    frame = people.loc[released.index].copy()
    frame[released.columns] = released
    frame = frame.drop(columns=[c for c in frame.columns if c not in COLUMNS["persons"]])
    records = frame[list(COLUMNS["persons"][1:])].to_numpy(dtype=object)
    ids = released.index.to_numpy()
    for low in range(0, len(ids), BATCH):
        batch = [
            (pids[i][: -len(r.delimiter)], *(safe_cell(v) for v in row))
            for i, row in zip(ids[low : low + BATCH].tolist(), records[low : low + BATCH], strict=True)
        ]
        yield encode_rows(batch, r.delimiter), len(batch)


def _table_chunks(kind: str, table: pd.DataFrame, pids: np.ndarray, place_level: np.ndarray, r: _Request):
    table = table[pids[table["person"].to_numpy(np.int64)] != None].copy()  # noqa: E711
    persons = table["person"].to_numpy(np.int64)
    table["person_pid"] = [p[: -len(r.delimiter)] for p in pids[persons]]
    if "day" in table:
        table["sent_period" if kind == "referrals" else "period"] = r.period(table["day"])
    if kind == "laundry":
        level = place_level[persons]
        table["block"] = np.where(level == 0, table["block"], SUPPRESSED)
        table["locality_code"] = np.where(level == 2, SUPPRESSED, table["locality_code"])
    records = table[list(COLUMNS[kind])].to_numpy(dtype=object)
    for low in range(0, len(records), BATCH):
        batch = [tuple(safe_cell(None if _missing(v) else v) for v in row) for row in records[low : low + BATCH]]
        yield encode_rows(batch, r.delimiter), len(batch)


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def _encoded(rows: list[tuple], delimiter: str) -> tuple[str, int]:
    return encode_rows([tuple(safe_cell(v) for v in row) for row in rows], delimiter), len(rows)


def _write_csv(path: Path, header: tuple[str, ...], chunks, delimiter: str, tick: Callable[[int], None]) -> int:
    count = 0
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(encode_rows([header], delimiter))
        for text, n in chunks:
            handle.write(text)
            count += n
            tick(n)
    return count


def _write_json(path: Path, content: dict) -> Path:
    path.write_text(json.dumps(content, ensure_ascii=False, indent=1, default=str) + "\n", encoding="utf-8")
    return path


# --- the aggregates ---------------------------------------------------------------------


def record_keys(db: Database) -> np.ndarray:
    """Every person's record key, by person id (caremgmt.impact.cellkey)."""
    return int_table(db, "persons", ["(SELECT k.record_key FROM person_record_keys k WHERE k.person_id = t.id)"])[:, 0]


def metric_rows(db: Database, f: metrics.Filters) -> list[tuple]:
    """The aggregate table: totals, headline figures and every breakdown the
    impact page charts, counts protected by the cell-key method (the same cell
    always gets the same value), ratios computed from the released counts."""
    period = (f.start.isoformat(), f.end.isoformat())
    facts = metrics.facts_for(db, f)
    keys = record_keys(db)
    exact = metrics.headlines(db, f, facts)
    counts = {name: cellkey.shown(*pair) for name, pair in metrics.keyed_headlines(db, f, keys, facts).items()}
    counts["laundry_no_show_rate"] = cellkey.ratio(
        counts["laundry_no_shows"],
        SUPPRESSED
        if SUPPRESSED in (counts["laundry_loads"], counts["laundry_no_shows"])
        else counts["laundry_loads"] + counts["laundry_no_shows"],
    )
    counts["occupancy"] = cellkey.ratio(counts.pop("booked"), metrics.occupancy(db, f, facts)["capacity"])
    # Hours freed: a sum, released in tens of hours, and not at all where the people it sums are too few.
    hours = exact["care_hours_freed"]
    counts["care_hours_freed"] = SUPPRESSED if counts["people_served"] == SUPPRESSED else int(round(hours, -1))
    rows = [(*period, "all", "total", counts["people_served"], counts["service_contacts"], "")]
    rows += [(*period, "headline", name, "", "", counts[name]) for name in metrics.HEADLINES]
    for dimension in metrics.DIMENSIONS:
        for g in metrics.breakdown(db, f, dimension, facts, keys=keys):
            rows.append(
                (
                    *period,
                    dimension,
                    "" if g["value"] is None else g["value"],
                    cellkey.shown(g["people_served"], g["people_key"]),
                    cellkey.shown(g["contacts"], g["contacts_key"]),
                    "",
                )
            )
    return rows


def dictionary_rows(kind: str) -> list[tuple[str, str, str]]:
    return [
        (column, t(f"export.{kind}.{column}", "es"), t(f"export.{kind}.{column}", "en")) for column in COLUMNS[kind]
    ]


def _write_dictionary(path: Path, r: _Request) -> Path:
    rows = [("file", "column", "descripcion", "description")]
    for kind in r.kinds:
        rows += [(f"{kind}.csv", *row) for row in dictionary_rows(kind)]
    rows += [("", "", t("releases.protection", "es"), t("releases.protection", "en"))]
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(encode_rows([tuple(safe_cell(v) for v in row) for row in rows], r.delimiter))
    return path
