"""The attack suite's world: a generated programme with a few planted records,
the truth to score against, and every attack run on one kind of take.

``python -m tests.impact.attack_report`` prints each attack's successes on the
releases of this checkout, or, on a checkout from before releases existed
(copy tests/impact/attacks.py and this file there), on its exports: that is
how the figures of the old exports in the issue's note were made.
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
from pathlib import Path

from caremgmt.core import actor, clock
from caremgmt.core.db import connect
from caremgmt.impact import metrics
from caremgmt.registry import persons
from caremgmt.setup import initialize
from caremgmt.tools import demo
from tests.impact import attacks

FIRST = dt.date(2000, 1, 1)
QUARTER = (dt.date(2026, 1, 1), dt.date(2026, 3, 31))
RARE = {
    "doc_type": "CC",
    "doc_number": "77665544",
    "first_names": "Rara",
    "last_names": "Única Sola",
    "birth_date": "1941-02-03",
    "sex": "F",
    "gender_identity": "trans",
    "phone": "",
    "locality_code": 20,
    "neighbourhood": "Nazareth",
    "stratum": 6,
    "ethnicity": "rrom",
    "disability": "visual",
    "migrant_status": "migrant_irregular",
    "education_level": "postgraduate",
    "care_hours_per_day": 16,
    "registration_channel": "bus",
    "home_block": "BOSA",
}


def _has_column(db, table: str, column: str) -> bool:
    return any(c[1] == column for c in db.execute(f"PRAGMA table_info({table})"))


def plant(db) -> dict:
    """Records an attacker looks for: a person like no other; people referred to
    violence protection; a caregiver who withdrew her research consent but is
    cared for by one who gave hers."""
    rare = persons.register_caregiver(
        db, actor.SYSTEM, RARE, [], {"registration": True, "research": True}, confirmed_new=True
    )
    consenting = [
        i
        for (i,) in db.execute(
            "SELECT person_id FROM consents WHERE purpose = 'research' AND withdrawn_at IS NULL ORDER BY person_id"
        )
    ]
    institution = db.execute(
        "SELECT id FROM institutions WHERE sector = ? LIMIT 1", [attacks.SENSITIVE_SECTOR]
    ).fetchone()[0]
    referred = consenting[:3]
    with db.conn:
        for person in referred:
            case = db.execute(
                "INSERT INTO cases (person_id, block_code, status, priority, opened_at)"
                " VALUES (?, 'BOSA', 'closed', 'high', ?)",
                [person, "2026-02-01T15:00"],
            ).lastrowid
            db.execute(
                "INSERT INTO referrals (case_id, person_id, target, institution_id, reason, sent_on, due_on)"
                " VALUES (?, ?, 'external', ?, 'protección', '2026-02-02', '2026-02-16')",
                [case, person, institution],
            )
    withdrawn = persons.register_caregiver(
        db,
        actor.SYSTEM,
        {**RARE, "doc_number": "77665545", "first_names": "Retirada", "ethnicity": "none", "disability": "none"},
        [],
        {"registration": True, "research": True},
        confirmed_new=True,
    )
    research = db.execute(
        "SELECT id FROM consents WHERE person_id = ? AND purpose = 'research'", [withdrawn]
    ).fetchone()[0]
    persons.withdraw_consent(db, actor.SYSTEM, research)
    with db.conn:
        db.execute(
            "INSERT INTO care_links (caregiver_id, cared_id, relationship, care_need, since)"
            " VALUES (?, ?, 'sibling', 'disability', '2026-01-01')",
            [consenting[5], withdrawn],
        )
        db.execute(
            "INSERT INTO attendance (session_id, person_id, status, quantity, recorded_at)"
            " SELECT id, ?, 'present', 2, starts_at FROM sessions WHERE starts_at < ? ORDER BY starts_at DESC LIMIT 1",
            [withdrawn, clock.today().isoformat()],
        )
    return {"rare": rare, "referred": referred, "withdrawn": withdrawn}


def programme(path: str):
    initialize(path).close()
    db = connect(path)
    demo.generate(db, 2000, seed=7)
    plant(db)
    return db


def allowed(db) -> set[int]:
    """Whom the law lets into microdata, written here from the law, not from the
    app: her own active research consent, or her legal representative's while
    she has not withdrawn her own; nobody whose registration consent is withdrawn."""
    representative = "l.legal_representative = 1" if _has_column(db, "care_links", "legal_representative") else "0"
    return {
        i
        for (i,) in db.execute(
            "SELECT p.id FROM persons p WHERE NOT EXISTS (SELECT 1 FROM consents w WHERE w.person_id = p.id"
            " AND w.purpose = 'registration' AND w.withdrawn_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM consents a"
            " WHERE a.person_id = p.id AND a.purpose = 'registration' AND a.withdrawn_at IS NULL))"
            " AND (EXISTS (SELECT 1 FROM consents c WHERE c.person_id = p.id AND c.purpose = 'research'"
            " AND c.withdrawn_at IS NULL) OR (EXISTS (SELECT 1 FROM care_links l JOIN consents c"
            " ON c.person_id = l.caregiver_id AND c.purpose = 'research' AND c.withdrawn_at IS NULL"
            f" WHERE l.cared_id = p.id AND {representative})"
            " AND NOT EXISTS (SELECT 1 FROM consents w WHERE w.person_id = p.id AND w.purpose = 'research')))"
        )
    }


def _cells(db, f: metrics.Filters) -> dict:
    """The true figures of every breakdown cell and the total: (dimension, value, column) -> count."""
    cells = {}
    for dimension in metrics.DIMENSIONS:
        for g in metrics.breakdown(db, f, dimension):
            value = "" if g["value"] is None else str(g["value"])
            cells[(dimension, value, "people_served")] = g["people_served"]
            cells[(dimension, value, "service_contacts")] = g["contacts"]
    head = metrics.headlines(db, f)
    cells[("all", "total", "people_served")] = head["people_served"]
    cells[("all", "total", "service_contacts")] = head["service_contacts"]
    return cells


def _small_laundry_week(db) -> tuple[str, dt.date, tuple[int, int]] | None:
    """A block-week with 1 to 4 loads collected and a no-show, and its true figures."""
    for block, monday in db.execute(
        "SELECT s.block_code, date(s.starts_at, 'weekday 1', '-7 days') FROM participants w"
        " JOIN sessions s ON s.id = w.session_id JOIN services v ON v.id = s.service_id AND v.kind = 'laundry'"
        " WHERE w.status = 'booked' AND w.load_status IN ('collected', 'no_show') GROUP BY 1, 2"
        " HAVING sum(w.load_status = 'collected') BETWEEN 1 AND 4 AND sum(w.load_status = 'no_show') >= 1 LIMIT 20"
    ):
        start = dt.date.fromisoformat(monday)
        f = metrics.Filters(start, start + dt.timedelta(days=6), block_code=block)
        wash = metrics.laundry(db, f)
        if 1 <= wash["loads"] <= 4 and wash["no_shows"]:
            return block, start, (wash["loads"], wash["no_shows"])
    return None


def run(db, take, folder: Path) -> dict[str, int]:
    """Every attack on takes made by ``take(db, folder, kinds, start, end, block) -> View``."""
    everything = ("persons", "contacts", "laundry", "outcomes", "referrals", "metrics")
    whole = take(db, folder / "whole", everything, FIRST, clock.today(), None)
    again = take(db, folder / "again", everything, FIRST, clock.today(), None)
    births = {i: dt.date.fromisoformat(b) for i, b in db.execute("SELECT id, birth_date FROM persons")}
    blank = {i for (i,) in db.execute("SELECT id FROM persons WHERE ethnicity IS NULL OR ethnicity = ''")}
    first_f = metrics.Filters(*QUARTER)
    second_f = metrics.Filters(QUARTER[0], QUARTER[1] + dt.timedelta(days=1))
    first = take(db, folder / "q1", ("metrics",), first_f.start, first_f.end, None)
    second = take(db, folder / "q1+1", ("metrics",), second_f.start, second_f.end, None)
    before, after = _cells(db, first_f), _cells(db, second_f)
    results = {
        "uniqueness": attacks.uniqueness(whole),
        "linkage_within": attacks.linkage_within(whole),
        "linkage_across": attacks.linkage_across(whole, again),
        "homogeneity": attacks.homogeneity(whole),
        "differencing": attacks.differencing(
            first.files["metrics"],
            second.files["metrics"],
            {key: after[key] - before.get(key, 0) for key in after},
            first.max_perturbation,
        ),
        "birth_narrowing": attacks.birth_narrowing(whole, births),
        "consent": attacks.consent(whole, allowed(db)),
        "false_labels": attacks.false_labels(whole, _cells(db, metrics.Filters(FIRST, clock.today())), blank),
    }
    week = _small_laundry_week(db)
    results["ratio_back"] = 0
    if week is not None:
        block, monday, truth = week
        small = take(db, folder / "week", ("metrics",), monday, monday + dt.timedelta(days=6), block)
        results["ratio_back"] = attacks.ratio_back(small.files["metrics"], small.hidden, truth)
    results["laundry_week_found"] = int(week is not None)
    return results


def take_release(db, folder: Path, kinds, start, end, block) -> attacks.View:
    from caremgmt.impact import releases

    release = releases.create_release(
        db, actor.SYSTEM, folder, kinds=kinds, start=start, end=end, block_code=block, accept_warning=True
    )
    person_of = {releases.pseudonym(release.key, i): i for (i,) in db.execute("SELECT id FROM persons")}
    return attacks.View.read(release.files, person_of, release.report["perturbation"]["max_abs"], {releases.SUPPRESSED})


def take_old_exports(db, folder: Path, kinds, start, end, block) -> attacks.View:
    """The exports before releases (commit 48c876e and earlier)."""
    from caremgmt.core import settings
    from caremgmt.impact import exports

    paths = {
        kind: exports.export(
            db, actor.SYSTEM, kind, folder / f"{kind}.csv", start=start, end=end, block_code=block
        ).path
        for kind in kinds
    }
    secret = settings.export_secret(db)
    person_of = {exports.pseudonym(secret, i): i for (i,) in db.execute("SELECT id FROM persons")}
    return attacks.View.read(paths, person_of, 0, {"*", "<5"})


def main() -> int:
    try:
        from caremgmt.impact import releases  # noqa: F401

        take, name = take_release, "releases"
    except ImportError:
        take, name = take_old_exports, "old exports"
    with tempfile.TemporaryDirectory() as folder:
        db = programme(str(Path(folder) / "attack.db"))
        results = run(db, take, Path(folder))
    print(f"attacks on the {name} (demo --persons 2000 --seed 7, planted records):")
    for attack, successes in results.items():
        print(f"  {attack:18} {successes}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
