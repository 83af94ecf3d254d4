"""Bogotá's day boundary, kept in caremgmt.core.clock: every query that turns
local days into stored stamps reads its bounds from there."""

import datetime as dt
import sqlite3

from caremgmt.core import clock


def test_a_bogota_day_runs_from_five_to_five_utc():
    assert clock.utc_day_bounds(dt.date(2026, 1, 1), dt.date(2026, 1, 31)) == ("2026-01-01T05:00", "2026-02-01T05:00")
    assert clock.utc_day_bounds(dt.date(2025, 12, 31), dt.date(2025, 12, 31)) == (
        "2025-12-31T05:00",
        "2026-01-01T05:00",
    )
    start, end = clock.utc_day_bounds(dt.date(2026, 3, 2), dt.date(2026, 3, 2))

    def inside(moment: dt.datetime) -> bool:
        stamp = moment.astimezone(dt.UTC).isoformat(timespec="seconds")  # as clock.now_iso stores it
        return start <= stamp < end

    local = dt.datetime(2026, 3, 2, tzinfo=clock.BOGOTA)
    assert inside(local) and inside(local + dt.timedelta(hours=23, minutes=59, seconds=59))
    assert not inside(local - dt.timedelta(seconds=1)) and not inside(local + dt.timedelta(days=1))


def test_local_day_bounds_cover_the_last_day_whole():
    start, end = clock.day_bounds(dt.date(2026, 2, 27), dt.date(2026, 2, 28))
    assert (start, end) == ("2026-02-27", "2026-03-01")
    assert start <= "2026-02-27T00:00" <= "2026-02-28T23:59" < end <= "2026-03-01T00:00"
    assert start <= "2026-02-28" < end  # a date column too


def test_sql_shows_stored_stamps_in_bogota_time():
    assert clock.SQL_TO_LOCAL == "'-5 hours'"
    conn = sqlite3.connect(":memory:")
    stamp = "2026-03-02T04:30:00+00:00"
    shown, month = conn.execute(
        f"SELECT {clock.sql_local('?')}, {clock.sql_local('?', '%Y-%m')}", [stamp, "2026-03-01T04:59:59+00:00"]
    ).fetchone()
    assert shown == clock.to_local(stamp).replace(" ", "T") == "2026-03-01T23:30"
    assert month == "2026-02"
