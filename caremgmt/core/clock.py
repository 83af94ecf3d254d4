"""Time in one place, so tests and records agree on what 'now' is."""

import datetime as dt

BOGOTA = dt.timezone(dt.timedelta(hours=-5), "America/Bogota")


# SQLite modifier turning a stored UTC stamp into Bogotá wall-clock time (no DST).
SQL_TO_LOCAL = f"'{BOGOTA.utcoffset(None) // dt.timedelta(hours=1):+d} hours'"


def sql_local(column: str, fmt: str = "%Y-%m-%dT%H:%M") -> str:
    """SQL giving a stored UTC stamp (``column``) as Bogotá wall-clock text in ``fmt``."""
    return f"strftime('{fmt}', {column}, {SQL_TO_LOCAL})"


def day_bounds(start: dt.date, end: dt.date) -> tuple[str, str]:
    """Local days start..end (inclusive) as a half-open range [from, to) that
    bounds ISO dates and the local 'YYYY-MM-DDTHH:MM' stamps sessions are stored in."""
    return start.isoformat(), (end + dt.timedelta(days=1)).isoformat()


def utc_day_bounds(start: dt.date, end: dt.date) -> tuple[str, str]:
    """Bogotá days start..end (inclusive) as a half-open range [from, to) of the
    stored UTC stamps (``now_iso``): a local day runs from 05:00 UTC to 05:00 UTC
    the next day."""

    def utc(day: dt.date) -> str:
        return dt.datetime.combine(day, dt.time(), BOGOTA).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M")

    return utc(start), utc(end + dt.timedelta(days=1))


def session_hours(starts_at: str, ends_at: str) -> float:
    """Length of a session stored as local 'YYYY-MM-DDTHH:MM' stamps, in hours."""
    return round((dt.datetime.fromisoformat(ends_at) - dt.datetime.fromisoformat(starts_at)).total_seconds() / 3600, 2)


def now_iso() -> str:
    """UTC timestamp stored on every record."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def today() -> dt.date:
    """Today's date in Bogotá (UTC-5, no daylight saving)."""
    return dt.datetime.now(BOGOTA).date()


def now_local() -> dt.datetime:
    """Bogotá wall-clock time, naive: sessions are stored in local time."""
    return dt.datetime.now(BOGOTA).replace(tzinfo=None, second=0, microsecond=0)


def local_iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M")


def to_local(utc_iso: str) -> str:
    """A stored UTC timestamp as Bogotá wall-clock 'YYYY-MM-DD HH:MM', for display."""
    moment = dt.datetime.fromisoformat(utc_iso)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(BOGOTA).strftime("%Y-%m-%d %H:%M")
