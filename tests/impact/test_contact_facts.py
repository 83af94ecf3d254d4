"""The impact facts answer exactly what plain SQL over the raw tables
answers, on a generated programme, and stay right after every kind of write
that can change a contact (caremgmt.impact.contact_facts)."""

import datetime as dt

import pytest

from caremgmt.core.db import write_transaction
from caremgmt.core.errors import ValidationError
from caremgmt.impact import contact_facts, metrics
from caremgmt.impact.contact_facts import age_band_sql
from caremgmt.registry import persons
from caremgmt.scheduling import attendance
from tests.factories import NOW, with_second_factor

FROM = (
    " FROM attendance a JOIN sessions s ON s.id = a.session_id JOIN services v ON v.id = s.service_id"
    " JOIN blocks b ON b.code = s.block_code JOIN persons p ON p.id = a.person_id"
)
COLUMNS = {
    "block": "s.block_code",
    "locality": "b.locality_code",
    "category": "v.category",
    "age_band": age_band_sql("p.birth_date", "s.starts_at"),
    "stratum": "p.stratum",
    "ethnicity": "p.ethnicity",
    "disability": "p.disability",
    "migrant_status": "p.migrant_status",
}


def sql_where(f: metrics.Filters) -> tuple[str, dict]:
    where = ["a.status = 'present'", "s.starts_at >= :start", "s.starts_at < :end"]
    params = {"start": f.start.isoformat(), "end": (f.end + dt.timedelta(days=1)).isoformat()}
    for column, value in (
        ("s.block_code", f.block_code),
        ("b.locality_code", f.locality_code),
        ("v.category", f.category),
    ):
        if value is not None:
            where.append(f"{column} = :{column.replace('.', '_')}")
            params[column.replace(".", "_")] = value
    return " AND ".join(where), params


def oracle(db, f: metrics.Filters) -> dict:
    """The figures straight from the raw tables, the slow obvious way."""
    where, params = sql_where(f)
    served, contacts = db.execute(
        f"SELECT count(DISTINCT a.person_id), count(*){FROM} WHERE {where}", params
    ).fetchone()
    active_where, active_params = sql_where(
        metrics.Filters(f.end - dt.timedelta(days=89), f.end, f.block_code, f.locality_code, f.category)
    )
    active = db.execute(
        f"SELECT count(DISTINCT a.person_id){FROM} WHERE {active_where} AND p.is_caregiver = 1", active_params
    ).fetchone()[0]
    from caremgmt.scheduling import carehours

    hours_sql, hours_params = carehours.items_query(
        block_code=f.block_code, locality_code=f.locality_code, category=f.category, start=f.start, end=f.end
    )
    hours = db.execute(f"SELECT coalesce(sum(hours), 0) FROM ({hours_sql})", hours_params).fetchone()[0]
    monthly = {
        m: (n, c)
        for m, n, c in db.execute(
            f"SELECT substr(s.starts_at, 1, 7), count(DISTINCT a.person_id), count(*){FROM} WHERE {where} GROUP BY 1",
            params,
        )
    }
    breakdowns = {
        d: {
            v: (n, c)
            for v, n, c in db.execute(
                f"SELECT {column}, count(DISTINCT a.person_id), count(*){FROM} WHERE {where} GROUP BY 1", params
            )
        }
        for d, column in COLUMNS.items()
    }
    place = where.replace("a.status = 'present' AND ", "")
    collected, no_show = db.execute(
        "SELECT coalesce(sum(w.load_status = 'collected'), 0), coalesce(sum(w.load_status = 'no_show'), 0)"
        " FROM participants w JOIN sessions s ON s.id = w.session_id JOIN services v ON v.id = s.service_id"
        f" AND v.kind = 'laundry' JOIN blocks b ON b.code = s.block_code WHERE w.status = 'booked' AND {place}",
        params,
    ).fetchone()
    booked, capacity, waiting = db.execute(
        "SELECT sum(s.booked_count), sum(s.capacity), sum((SELECT count(*) FROM participants w"
        " WHERE w.session_id = s.id AND w.status = 'waitlisted'))"
        " FROM sessions s JOIN services v ON v.id = s.service_id"
        f" AND v.kind = 'activity' JOIN blocks b ON b.code = s.block_code WHERE s.status = 'scheduled' AND {place}",
        params,
    ).fetchone()
    return {
        "served": served,
        "contacts": contacts,
        "active": active,
        "hours": round(hours, 1),
        "monthly": monthly,
        "breakdowns": breakdowns,
        "loads": collected,
        "no_shows": no_show,
        "occupancy": round((booked or 0) / capacity, 3) if capacity else 0.0,
        "waitlist": waiting or 0,
    }


def figures(db, f: metrics.Filters) -> dict:
    o = metrics.overview(db, f)
    wash = metrics.laundry(db, f)
    return {
        "loads": wash["loads"],
        "no_shows": wash["no_shows"],
        "occupancy": o["now"]["occupancy"],
        "waitlist": o["now"]["waitlist"],
        "served": o["now"]["people_served"],
        "contacts": o["now"]["service_contacts"],
        "active": o["now"]["active_caregivers"],
        "hours": o["now"]["care_hours_freed"],
        "monthly": {m["month"]: (m["people_served"], m["contacts"]) for m in o["monthly"] if m["contacts"]},
        "breakdowns": {
            d: {g["value"]: (g["people_served"], g["contacts"]) for g in groups}
            for d, groups in o["breakdowns"].items()
        },
    }


def year(db, **filters) -> metrics.Filters:
    last = db.execute(
        "SELECT max(substr(starts_at, 1, 10)) FROM sessions s JOIN attendance a ON a.session_id = s.id"
        " WHERE a.status = 'present'"
    ).fetchone()[0]
    end = dt.date.fromisoformat(last)
    return metrics.Filters(end - dt.timedelta(days=364), end, **filters)


def test_generated_facts_match_the_raw_tables_for_every_filter(city):
    assert not city.execute("SELECT count(*) FROM contact_days WHERE stale = 1").fetchone()[0]
    block, locality = city.execute(
        "SELECT code, locality_code FROM blocks WHERE code IN (SELECT block_code FROM sessions) ORDER BY code LIMIT 1"
    ).fetchone()
    for filters in (
        {},
        {"block_code": block},
        {"locality_code": locality},
        {"category": "education_training"},
        {"locality_code": locality, "category": "respite_wellbeing"},
    ):
        f = year(city, **filters)
        expected = oracle(city, f)
        assert expected["contacts"] > 0, filters
        assert figures(city, f) == expected, filters
    short = metrics.Filters(dt.date(2026, 2, 10), dt.date(2026, 3, 3))  # shorter than the 90-day active window
    assert figures(city, short) == oracle(city, short)


def test_every_kind_of_write_is_reflected_at_once(city, clock_at):
    from caremgmt.core import auth

    admin = with_second_factor(city, auth.create_first_admin(city, "admin", "clave-de-la-jefa-1"))
    f = year(city)
    figures(city, f)  # every day of the year is fresh now
    sessions = city.execute(
        "SELECT s.id, a.person_id FROM attendance a JOIN sessions s ON s.id = a.session_id"
        " JOIN services v ON v.id = s.service_id AND v.kind = 'activity'"
        # Sessions before the test's clock (the data set runs up to the real today): a roster can be corrected.
        " WHERE a.status = 'present' AND s.starts_at >= ? AND s.starts_at < ? ORDER BY s.starts_at DESC LIMIT 2",
        [f.start.isoformat(), NOW.date().isoformat()],
    ).fetchall()
    (session, person), (_, other) = sessions[:2]
    from caremgmt.scheduling import carehours

    hours_sql, hours_params = carehours.items_query(start=f.start, end=f.end)
    freeing = city.execute(
        f"SELECT person_id FROM ({hours_sql}) WHERE rule = 'simultaneity' LIMIT 1", hours_params
    ).fetchone()[0]
    attendance.save_roster(city, admin, session, {person: "absent"})  # a roster correction
    assert city.execute("SELECT count(*) FROM contact_days WHERE stale = 1").fetchone()[0] == 1
    assert figures(city, f) == oracle(city, f)
    clock_at(dt.datetime(2026, 11, 21, 9, 0))
    data = persons.get_person(city, admin, other)
    persons.update_person(
        city,
        admin,
        other,
        {
            **{
                k: data[k]
                for k in (
                    "doc_type",
                    "doc_number",
                    "first_names",
                    "last_names",
                    "sex",
                    "gender_identity",
                    "phone",
                    "locality_code",
                    "neighbourhood",
                    "education_level",
                    "care_hours_per_day",
                    "registration_channel",
                    "home_block",
                )
            },
            "birth_date": "1950-01-01",
            "stratum": 6,
            "ethnicity": "rrom",
            "disability": "visual",
            "migrant_status": "returned",
        },
        today=dt.date(2026, 11, 21),
    )
    assert figures(city, f) == oracle(city, f)
    city.execute(
        "UPDATE services SET category = 'respite_wellbeing' WHERE id = (SELECT service_id FROM sessions WHERE id = ?)",
        [session],
    )
    load = city.execute(
        "SELECT w.id FROM participants w JOIN sessions s ON s.id = w.session_id JOIN services v ON v.id = s.service_id"
        " AND v.kind = 'laundry' WHERE w.load_status = 'collected' AND s.starts_at >= ? LIMIT 1",
        [f.start.isoformat()],
    ).fetchone()[0]
    loads = figures(city, f)["loads"]
    city.execute("UPDATE participants SET load_status = 'no_show' WHERE id = ?", [load])
    city.execute("UPDATE sessions SET capacity = capacity + 5 WHERE id = ?", [session])
    city.execute(
        "UPDATE participants SET status = 'waitlisted' WHERE id = (SELECT id FROM participants"
        " WHERE session_id = ? AND status = 'cancelled' LIMIT 1)",
        [session],
    )
    assert figures(city, f)["loads"] == loads - 1
    assert figures(city, f) == oracle(city, f)
    hours = figures(city, f)["hours"]
    city.execute("DELETE FROM care_links WHERE caregiver_id = ?", [freeing])  # her care no longer frees her time
    assert figures(city, f)["hours"] < hours
    city.execute(
        "UPDATE sessions SET starts_at = replace(starts_at, substr(starts_at, 12), '06:00'),"
        " block_code = (SELECT code FROM blocks WHERE code <> sessions.block_code LIMIT 1) WHERE id = ?",
        [session],
    )
    assert figures(city, f) == oracle(city, f)


def test_a_write_marks_its_day_stale_in_the_same_transaction(city):
    session, person, day = city.execute(
        "SELECT s.id, a.person_id, substr(s.starts_at, 1, 10) FROM attendance a JOIN sessions s ON s.id = a.session_id"
        " LIMIT 1"
    ).fetchone()
    contact_facts.refresh(city)
    city.execute("BEGIN")
    city.execute("UPDATE attendance SET status = 'absent' WHERE session_id = ? AND person_id = ?", [session, person])
    assert city.execute("SELECT stale FROM contact_days WHERE day = ?", [day]).fetchone()[0] == 1
    city.execute("ROLLBACK")
    assert city.execute("SELECT stale FROM contact_days WHERE day = ?", [day]).fetchone()[0] == 0
    # Saving the same status again changes nothing, so the day stays fresh.
    city.execute("UPDATE attendance SET status = status WHERE session_id = ?", [session])
    assert city.execute("SELECT stale FROM contact_days WHERE day = ?", [day]).fetchone()[0] == 0


def test_bulk_load_refuses_overlapping_bookings_and_restores_the_rule(city):
    from caremgmt.tools import demo_city

    person, _session, other = city.execute(
        "SELECT p.person_id, p.session_id, o.id FROM participants p JOIN sessions s ON s.id = p.session_id"
        " JOIN services v ON v.id = s.service_id AND v.kind = 'activity'"
        " JOIN sessions o ON o.block_code <> s.block_code AND o.starts_at = s.starts_at AND o.status = 'scheduled'"
        " JOIN services ov ON ov.id = o.service_id AND ov.kind = 'activity'"
        " WHERE p.status = 'booked' AND s.status = 'scheduled' AND o.booked_count < o.capacity LIMIT 1"
    ).fetchone()
    with pytest.raises(RuntimeError, match=f"person {person}"), demo_city._overlap_checked_once(city):
        city.execute(
            "INSERT INTO participants (session_id, person_id, status, booked_at, changed_at)"
            " VALUES (?, ?, 'booked', 'x', 'x')",
            [other, person],
        )
    city.execute("DELETE FROM participants WHERE session_id = ? AND person_id = ?", [other, person])
    with pytest.raises(Exception, match="overlapping booking"):  # the per-row rule is back
        city.execute(
            "INSERT INTO participants (session_id, person_id, status, booked_at, changed_at)"
            " VALUES (?, ?, 'booked', 'x', 'x')",
            [other, person],
        )


def _desk_writes(city, session: int, person: int, status: str) -> None:
    """The same change a front desk would commit, from its own connection."""
    from caremgmt.core.db import connect

    desk = connect(city.execute("PRAGMA database_list").fetchone()[2])
    desk.execute("UPDATE attendance SET status = ? WHERE session_id = ? AND person_id = ?", [status, session, person])
    desk.conn.commit()
    desk.close()


def _present_contact(city, f: metrics.Filters) -> tuple[int, int, str]:
    return city.execute(
        "SELECT a.session_id, a.person_id, substr(s.starts_at, 1, 10) FROM attendance a"
        " JOIN sessions s ON s.id = a.session_id WHERE a.status = 'present' AND s.starts_at >= ? LIMIT 1",
        [f.start.isoformat()],
    ).fetchone()


@pytest.mark.parametrize("moment", ["after_the_claim", "before_the_store"])
def test_a_write_during_a_readers_rebuild_is_never_missed_nor_stored_as_fresh(city, monkeypatch, moment):
    f = year(city)
    session, person, day = _present_contact(city, f)
    metrics.service_contacts(city, f)  # everything fresh
    city.execute(
        "UPDATE attendance SET quantity = quantity + 1 WHERE session_id = ? AND person_id = ?", [session, person]
    )
    city.conn.commit()  # the day is stale now
    before = oracle(city, f)["contacts"]
    hook = "_claim" if moment == "after_the_claim" else "_store"
    original = getattr(contact_facts, hook)

    def then_the_desk_writes(db, *args):
        if moment == "before_the_store":
            _desk_writes(city, session, person, "absent")
        result = original(db, *args)
        if moment == "after_the_claim":
            _desk_writes(city, session, person, "absent")
        return result

    monkeypatch.setattr(contact_facts, hook, then_the_desk_writes)
    seen = metrics.service_contacts(city, f)
    monkeypatch.undo()
    # A write after the claim is in the reader's snapshot; one after its snapshot is not,
    # but either way the day is not stored as fresh, so the next reader is exact.
    assert seen == (before - 1 if moment == "after_the_claim" else before)
    assert city.execute("SELECT stale FROM contact_days WHERE day = ?", [day]).fetchone()[0] == 1
    assert metrics.service_contacts(city, f) == before - 1 == oracle(city, f)["contacts"]
    assert city.execute("SELECT stale FROM contact_days WHERE day = ?", [day]).fetchone()[0] == 0


def test_a_half_rebuilt_period_reads_exact_figures(city):
    f = year(city)
    contact_facts.mark_all_stale(city)
    days = [
        d for (d,) in city.execute("SELECT day FROM contact_days WHERE day >= ? ORDER BY day", [f.start.isoformat()])
    ]
    contact_facts.refresh(city, f.start, dt.date.fromisoformat(days[len(days) // 2]))  # the first half fresh
    session, person, _day = _present_contact(city, f)
    _desk_writes(city, session, person, "absent")  # and a write in the fresh half
    assert figures(city, f) == oracle(city, f)


def test_editing_a_service_or_a_block_marks_nothing_stale_and_figures_follow_at_once(city):
    from caremgmt.core import auth, reference
    from caremgmt.scheduling import catalogue

    admin = with_second_factor(city, auth.create_first_admin(city, "admin", "clave-de-la-jefa-1"))
    f = year(city)
    figures(city, f)
    service = city.execute(
        "SELECT v.id FROM services v JOIN sessions s ON s.service_id = v.id JOIN attendance a ON a.session_id = s.id"
        " WHERE a.status = 'present' AND s.starts_at >= ? AND v.care_hours_rule = 'simultaneity' LIMIT 1",
        [f.start.isoformat()],
    ).fetchone()[0]
    data = catalogue.get_service(city, service)
    catalogue.save_service(city, admin, {**data, "category": "education_training", "care_hours_rule": "none"}, service)
    block = next(
        b
        for b in reference.blocks(city)
        if city.execute("SELECT 1 FROM sessions WHERE block_code = ?", [b["code"]]).fetchone()
    )
    moved_to = 20 if block["locality_code"] != 20 else 19
    reference.update_block(city, admin, block["code"], name="Otra", locality_code=moved_to, active=True)
    assert not city.execute("SELECT count(*) FROM contact_days WHERE stale <> 0").fetchone()[0]
    for filters in ({}, {"locality_code": moved_to}, {"category": "education_training"}):
        g = metrics.Filters(f.start, f.end, **filters)
        assert figures(city, g) == oracle(city, g), filters
    with pytest.raises(ValidationError) as refused:
        catalogue.save_service(city, admin, {**data, "audience": "cared"}, service)
    assert set(refused.value.errors) == {"audience"}


def test_a_rebuild_killed_midway_leaves_the_facts_consistent(city, tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    path = city.execute("PRAGMA database_list").fetchone()[2]
    contact_facts.mark_all_stale(city)
    city.conn.commit()
    worker = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from caremgmt.core.db import connect; from caremgmt.impact import contact_facts;"
            " contact_facts.REFRESH_DAYS = 2; contact_facts.refresh(connect(sys.argv[1]))",
            path,
        ],
        cwd=os.getcwd(),
    )
    while not city.execute("SELECT count(*) FROM contact_days WHERE stale = 0").fetchone()[0] and worker.poll() is None:
        time.sleep(0.01)
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    fresh, total = city.execute("SELECT sum(stale = 0), count(*) FROM contact_days").fetchone()
    assert 0 < fresh < total  # killed midway
    f = year(city)
    assert figures(city, f) == oracle(city, f)


def test_front_desk_writes_do_not_wait_for_a_full_rebuild(city):
    import threading
    import time

    from caremgmt.core.db import connect

    path = city.execute("PRAGMA database_list").fetchone()[2]
    contact_facts.mark_all_stale(city)
    city.conn.commit()
    done = threading.Event()

    def rebuild():
        own = connect(path)
        contact_facts.refresh(own)
        own.close()
        done.set()

    threading.Thread(target=rebuild).start()
    desk = connect(path)
    session, person, _day = _present_contact(city, year(city))
    waits = []
    while not done.is_set():
        started = time.perf_counter()
        with write_transaction(desk):
            desk.execute(
                "UPDATE attendance SET quantity = quantity + 1 WHERE session_id = ? AND person_id = ?",
                [session, person],
            )
        waits.append(time.perf_counter() - started)
        time.sleep(0.02)
    desk.close()
    assert len(waits) > 5
    assert max(waits) < 0.5, sorted(waits)[-5:]
