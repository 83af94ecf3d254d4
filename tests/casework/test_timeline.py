"""A person's timeline as the desk reads it: newest first, Bogotá dates, every entry saying what happened."""

import datetime as dt

import pytest

from caremgmt.casework import cases, outcomes, referrals, timeline
from caremgmt.core import clock
from caremgmt.core.i18n import t
from caremgmt.registry import persons
from caremgmt.scheduling import timetable
from tests.factories import CONSENT, caregiver_data, child_data, schedule_data


@pytest.fixture
def at_bogota(monkeypatch, clock_at):
    """Set Bogotá's wall clock, stored UTC stamps included: at_bogota(2026, 3, 12, 20, 0)."""

    def set_time(*moment: int) -> None:
        local = dt.datetime(*moment)
        clock_at(local)
        utc = local.replace(tzinfo=clock.BOGOTA).astimezone(dt.UTC).isoformat(timespec="seconds")
        monkeypatch.setattr(clock, "now_iso", lambda: utc)

    return set_time


@pytest.fixture
def ana(db, frontdesk, at_bogota):
    """Ana, registered with her son on Monday 2 March 2026 at 09:15 in Bogotá."""
    at_bogota(2026, 3, 2, 9, 15)
    return persons.register_caregiver(
        db, frontdesk, caregiver_data(), [child_data(birth_date="2023-06-01")], CONSENT, today=dt.date(2026, 3, 2)
    )


def shown(db, user, person_id, language="es"):
    return [
        (e["kind"], timeline.when(e, language), timeline.describe(e, language))
        for e in timeline.person_timeline(db, user, person_id)
    ]


def test_newest_first_in_bogota_time_and_every_entry_says_what_happened(db, frontdesk, ana, at_bogota):
    at_bogota(2026, 3, 10, 10, 0)
    case = cases.open_case(db, frontdesk, ana, priority="high")
    at_bogota(2026, 3, 10, 10, 30)
    cases.add_note(db, frontdesk, case, "Primera entrevista.")
    first_same_minute = cases.add_note(db, frontdesk, case, "Llamó la hermana.")
    second_same_minute = cases.add_note(db, frontdesk, case, "Acordamos una cita.")
    # Known only by its day: counts as the end of 10 March, above that day's notes.
    outcomes.record_outcome(db, frontdesk, ana, {"kind": "job", "achieved_on": "2026-03-10", "description": "Cocina"})
    at_bogota(2026, 3, 11, 11, 0)
    referrals.make_referral(db, frontdesk, case, reason="Empleo", institution_id=5)
    # 20:00 in Bogotá is 01:00 UTC the next day: still 11 March on the timeline.
    at_bogota(2026, 3, 11, 20, 0)
    cases.add_note(db, frontdesk, case, "Nota de la noche.")
    at_bogota(2026, 3, 12, 8, 5)
    cases.add_note(db, frontdesk, case, "Nota de la mañana.")
    institution = db.execute("SELECT name FROM institutions WHERE id = 5").fetchone()[0]

    assert shown(db, frontdesk, ana) == [
        ("note", "12/03/2026 08:05", "Nota · Nota de la mañana."),
        ("referral_sent", "11/03/2026", f"Remisión enviada · {institution}"),
        ("note", "11/03/2026 20:00", "Nota · Nota de la noche."),
        ("outcome", "10/03/2026", "Logro · Empleo · Cocina"),
        ("note", "10/03/2026 10:30", "Nota · Acordamos una cita."),
        ("note", "10/03/2026 10:30", "Nota · Llamó la hermana."),
        ("note", "10/03/2026 10:30", "Nota · Primera entrevista."),
        ("case_opened", "10/03/2026 10:00", "Caso abierto · Prioridad: Alta"),
        ("registered", "2/03/2026 09:15", "Registro como persona cuidadora · Recepción de la manzana"),
    ]
    assert second_same_minute > first_same_minute  # same minute: the later note first
    english = shown(db, frontdesk, ana, "en")
    assert english[2] == ("note", "Mar 11, 2026 20:00", "Note · Nota de la noche.")
    assert english[-1][2] == "Registered as a caregiver · Block front desk"


def test_no_entry_is_empty_in_either_language(db, frontdesk, admin, ana, at_bogota):
    son = persons.get_person(db, frontdesk, ana)["cares_for"][0]["id"]
    session_id = _session(db, admin)
    at_bogota(2026, 3, 10, 10, 0)
    case = cases.open_case(db, frontdesk, ana)
    referrals.make_referral(db, frontdesk, case, reason="Apoyo", session_id=session_id)
    referrals.make_referral(db, frontdesk, case, reason="Estudio", programme="secondary_completion")
    cases.add_note(db, frontdesk, case, "Ruta activada.", confidential=True)
    cases.close_case(db, frontdesk, case, "Objetivos cumplidos.")
    for person_id in (ana, son):
        for language in ("es", "en"):
            entries = shown(db, frontdesk, person_id, language)
            assert entries
            for kind, when, what in entries:
                assert when and what.strip() and "timeline." not in what, (kind, what)
                assert len(what.split(" · ")) >= 2 or kind == "registered", (kind, what)
    assert shown(db, frontdesk, son)[-1][2] == "Registro como persona cuidada"  # no channel for her son
    assert ("case_closed", "Caso cerrado · Objetivos cumplidos.") in {(k, w) for k, _, w in shown(db, frontdesk, ana)}


def test_every_referral_names_where_it_goes(db, frontdesk, admin, ana, at_bogota):
    session_id = _session(db, admin)
    at_bogota(2026, 3, 10, 10, 0)
    case = cases.open_case(db, frontdesk, ana)
    referrals.make_referral(db, frontdesk, case, reason="Empleo", institution_id=5)
    referrals.make_referral(db, frontdesk, case, reason="Apoyo", session_id=session_id)
    referrals.make_referral(db, frontdesk, case, reason="Estudio", programme="secondary_completion")
    institution = db.execute("SELECT name FROM institutions WHERE id = 5").fetchone()[0]
    service = db.execute(
        "SELECT v.name_es, v.name_en FROM sessions s JOIN services v ON v.id = s.service_id WHERE s.id = ?",
        [session_id],
    ).fetchone()
    for language, service_name in zip(("es", "en"), service, strict=True):
        targets = sorted(
            timeline.referral_target(e, language)
            for e in timeline.person_timeline(db, frontdesk, ana)
            if e["kind"].startswith("referral_")
        )
        assert targets == sorted([institution, service_name, t("programme.secondary_completion", language)])


def test_a_referral_shows_where_it_stands_on_the_day_it_got_there(db, frontdesk, ana, at_bogota):
    at_bogota(2026, 3, 10, 10, 0)
    case = cases.open_case(db, frontdesk, ana)
    referral = referrals.make_referral(db, frontdesk, case, reason="Empleo", institution_id=5)
    at_bogota(2026, 3, 16, 9, 0)
    referrals.set_status(db, frontdesk, referral, "accepted")
    at_bogota(2026, 4, 2, 9, 0)
    referrals.set_status(db, frontdesk, referral, "completed")
    entry = next(e for e in timeline.person_timeline(db, frontdesk, ana) if e["kind"].startswith("referral_"))
    assert (entry["kind"], timeline.when(entry, "es")) == ("referral_completed", "2/04/2026")


def test_the_caseload_names_where_every_waiting_referral_goes(db, frontdesk, ana, at_bogota):
    at_bogota(2026, 3, 10, 10, 0)
    case = cases.open_case(db, frontdesk, ana)
    referrals.make_referral(db, frontdesk, case, reason="Estudio", programme="secondary_completion")
    waiting = cases.caseload(db, frontdesk)["referrals"]
    assert [timeline.referral_target(r, "es") for r in waiting] == ["Validación del bachillerato"]


def _session(db, admin) -> int:
    """A PSICOSOCIAL session at BOSA on Wednesday 11 March 2026 (the desk can book it on the 10th)."""
    timetable.create_schedule(
        db, admin, schedule_data(db, "PSICOSOCIAL", weekdays=[2], start_date="2026-03-11", end_date="2026-03-11")
    )
    return db.execute("SELECT max(id) FROM sessions").fetchone()[0]
