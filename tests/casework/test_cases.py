import datetime as dt
import sqlite3

import pytest

from caremgmt.casework import cases, outcomes, referrals, timeline
from caremgmt.casework.cases import CaseRefused
from caremgmt.casework.outcomes import OutcomeRefused
from caremgmt.core import auth, policy
from caremgmt.core.errors import NotFound, PermissionDenied, ValidationError
from caremgmt.scheduling import timetable
from caremgmt.scheduling.booking import BookingRefused
from tests.factories import person, schedule_data, with_second_factor

SCORES = dict.fromkeys(cases.DOMAINS, 3)


@pytest.fixture
def coordinator(db, admin):
    return with_second_factor(
        db, auth.create_user(db, admin, "coordinadora", "coord-password-1", "coordinator", "BOSA")
    )


@pytest.fixture
def other_desk(db, admin):
    return auth.create_user(db, admin, "recepcion2", "desk-password-2", "frontdesk", "BOSA")


@pytest.fixture
def case(db, frontdesk, clock_at):
    return cases.open_case(db, frontdesk, person(db, frontdesk, 1), priority="high")


def person_of(db, case_id):
    return db.execute("SELECT person_id FROM cases WHERE id = ?", [case_id]).fetchone()[0]


# --- cases, assessments, goals, tasks ---------------------------------------


def test_one_open_case_per_person_then_close_and_reopen(db, frontdesk, case):
    with pytest.raises(CaseRefused) as info:
        cases.open_case(db, frontdesk, person_of(db, case))
    assert info.value.message.key == "error.case_already_open"
    with pytest.raises(ValidationError):
        cases.close_case(db, frontdesk, case, "  ")
    cases.close_case(db, frontdesk, case, "objetivos cumplidos")
    with pytest.raises(CaseRefused):
        cases.add_goal(db, frontdesk, case, "education", "Terminar el bachillerato", dt.date(2027, 6, 1))
    again = cases.open_case(db, frontdesk, person_of(db, case))
    assert cases.current_case(db, frontdesk, person_of(db, case))["id"] == again
    with pytest.raises(sqlite3.IntegrityError):  # the schema itself holds the rule
        db.execute("INSERT INTO cases (person_id, priority, opened_at) VALUES (?, 'low', '')", [person_of(db, case)])


def test_assessments_repeat_so_change_can_be_seen(db, frontdesk, case, clock_at):
    cases.record_assessment(db, frontdesk, case, {**SCORES, "safety_violence": 1})
    clock_at(dt.datetime(2027, 2, 1, 9, 0))
    cases.record_assessment(db, frontdesk, case, {**SCORES, "safety_violence": 4})
    history = cases.assessments(db, frontdesk, case)
    assert [(a["assessed_on"], a["safety_violence"]) for a in history] == [("2026-11-21", 1), ("2027-02-01", 4)]
    with pytest.raises(ValidationError) as info:
        cases.record_assessment(db, frontdesk, case, {**SCORES, "health": 7})
    assert list(info.value.errors) == ["score.health"]
    with pytest.raises(ValidationError):
        cases.record_assessment(db, frontdesk, case, dict.fromkeys(cases.DOMAINS[:-1], 2))


def test_goals_and_tasks(db, frontdesk, other_desk, case):
    goal = cases.add_goal(db, frontdesk, case, "education", "Terminar el bachillerato", dt.date(2027, 6, 1))
    with pytest.raises(ValidationError):
        cases.add_goal(db, frontdesk, case, "education", "En el pasado", dt.date(2026, 1, 1))
    cases.set_goal_status(db, frontdesk, goal, "achieved")
    assert cases.goals(db, frontdesk, case)[0]["status"] == "achieved"
    task = cases.add_task(db, frontdesk, case, "Llamar para seguimiento", dt.date(2026, 11, 25), other_desk.id)
    with pytest.raises(ValidationError):
        cases.add_task(db, frontdesk, case, "Sin responsable", dt.date(2026, 11, 25), 9999)
    cases.complete_task(db, other_desk, task)
    with pytest.raises(CaseRefused):
        cases.complete_task(db, other_desk, task)


def test_caseload_for_a_worker_and_for_the_block(db, frontdesk, other_desk, coordinator, case, clock_at):
    cases.add_task(db, frontdesk, case, "Visita", dt.date(2026, 11, 22), frontdesk.id)
    cases.add_task(db, frontdesk, case, "Llamar", dt.date(2026, 12, 15), other_desk.id)
    referrals.make_referral(db, frontdesk, case, reason="Asesoría", institution_id=1)
    clock_at(dt.datetime(2026, 11, 30, 9, 0))
    mine = cases.caseload(db, frontdesk)
    assert [c["id"] for c in mine["cases"]] == [case]
    assert [(t["description"], t["overdue"]) for t in mine["tasks"]] == [("Visita", 1)]
    assert [r["overdue"] for r in mine["referrals"]] == [0]
    theirs = cases.caseload(db, other_desk)
    assert theirs["cases"] == [] and [t["description"] for t in theirs["tasks"]] == ["Llamar"]
    block = cases.caseload(db, coordinator, block_code="BOSA")
    assert len(block["cases"]) == 1 and len(block["tasks"]) == 2
    with pytest.raises(PermissionDenied):
        cases.caseload(db, frontdesk, block_code="BOSA")


# --- notes and confidentiality ----------------------------------------------


def test_notes_are_never_edited_and_corrections_reference_the_original(db, frontdesk, case):
    first = cases.add_note(db, frontdesk, case, "Refiere sobrecarga de cuidado.")
    correction = cases.add_note(db, frontdesk, case, "Corrección: la sobrecarga es desde marzo.", corrects=first)
    with pytest.raises(sqlite3.IntegrityError, match="never edited"):
        db.execute("UPDATE case_notes SET body = 'otra cosa' WHERE id = ?", [first])
    with pytest.raises(sqlite3.IntegrityError, match="never deleted"):
        db.execute("DELETE FROM case_notes WHERE id = ?", [first])
    shown = cases.notes(db, frontdesk, case)
    assert [(n["id"], n["corrects_note_id"], n["corrected_by"]) for n in shown] == [
        (correction, first, None),
        (first, None, correction),
    ]
    with pytest.raises(ValidationError):
        cases.add_note(db, frontdesk, case, "   ")


def test_confidential_notes_reach_only_author_worker_coordinators_and_admins(
    db, frontdesk, other_desk, coordinator, admin, evaluator, case
):
    cases.add_note(db, frontdesk, case, "Nota general.")
    secret = cases.add_note(db, coordinator, case, "Ruta de protección activada.", confidential=True)

    def visible(user):
        return {n["body"] for n in cases.notes(db, user, case)}

    everything = {"Nota general.", "Ruta de protección activada."}
    assert visible(coordinator) == everything  # author and coordinator
    assert visible(frontdesk) == everything  # the assigned case worker
    assert visible(admin) == everything
    assert visible(other_desk) == {"Nota general."}  # another desk user
    with pytest.raises(PermissionDenied):
        cases.notes(db, evaluator, case)
    # Nor through the timeline, nor by correcting it.
    bodies = [r["body"] for r in timeline.person_timeline(db, other_desk, person_of(db, case))]
    assert "Ruta de protección activada." not in bodies and "Nota general." in bodies
    with pytest.raises(NotFound):
        cases.add_note(db, other_desk, case, "Corrección", corrects=secret)
    # A correction of a confidential note stays confidential.
    fix = cases.add_note(db, frontdesk, case, "Corrección de la ruta.", corrects=secret)
    assert db.execute("SELECT confidential FROM case_notes WHERE id = ?", [fix]).fetchone()[0] == 1


def test_every_opening_of_notes_is_audited_without_the_text(db, frontdesk, other_desk, case):
    cases.add_note(db, frontdesk, case, "Texto privado de la nota.", confidential=True)
    cases.notes(db, frontdesk, case)
    cases.notes(db, other_desk, case)
    readers = db.execute(
        "SELECT username FROM audit_log WHERE action = 'read' AND entity = 'case_notes' ORDER BY id"
    ).fetchall()
    assert readers == [("recepcion",), ("recepcion2",)]
    logged = " ".join(str(v) for row in db.execute("SELECT old_values, new_values, detail FROM audit_log") for v in row)
    assert "Texto privado" not in logged


# --- referrals ---------------------------------------------------------------


def test_external_referral_lifecycle_and_overdue(db, frontdesk, case, clock_at):
    referral = referrals.make_referral(db, frontdesk, case, reason="Orientación jurídica", institution_id=3)
    with pytest.raises(CaseRefused):
        referrals.set_status(db, frontdesk, referral, "completed")  # must be accepted first
    clock_at(dt.datetime(2026, 12, 10, 9, 0))
    [row] = referrals.case_referrals(db, frontdesk, case)
    assert (row["status"], row["overdue"], row["institution"]) == ("sent", 1, "Casas de Justicia")
    referrals.set_status(db, frontdesk, referral, "accepted")
    referrals.set_status(db, frontdesk, referral, "completed")
    [row] = referrals.case_referrals(db, frontdesk, case)
    assert (row["status"], row["accepted_on"], row["closed_on"], row["overdue"]) == (
        "completed",
        "2026-12-10",
        "2026-12-10",
        0,
    )


def test_referral_needs_exactly_one_target_and_a_reason(db, frontdesk, case):
    with pytest.raises(ValidationError) as info:
        referrals.make_referral(db, frontdesk, case, reason="", institution_id=1, programme="secondary_completion")
    assert set(info.value.errors) == {"target", "reason"}


def test_internal_referral_books_the_session_in_the_same_transaction(db, frontdesk, admin, case):
    timetable.create_schedule(db, admin, schedule_data(db, "PSICOSOCIAL", end_date="2026-11-23", capacity=1))
    session_id = db.execute("SELECT id FROM sessions").fetchone()[0]
    referral = referrals.make_referral(db, frontdesk, case, reason="Apoyo emocional", session_id=session_id)
    [row] = referrals.case_referrals(db, frontdesk, case)
    assert row["id"] == referral and row["status"] == "accepted" and row["participant_id"]
    # A refused booking leaves no referral behind.
    other_case = cases.open_case(db, frontdesk, person(db, frontdesk, 2))
    timetable.cancel_session(db, admin, session_id)
    with pytest.raises(BookingRefused) as info:
        referrals.make_referral(db, frontdesk, other_case, reason="Apoyo", session_id=session_id)
    assert info.value.message.key == "error.session_cancelled"
    assert db.execute("SELECT count(*) FROM referrals").fetchone()[0] == 1


def test_referral_to_a_programme_creates_the_application(db, frontdesk, case):
    referrals.make_referral(
        db, frontdesk, case, reason="Quiere validar el bachillerato", programme="secondary_completion"
    )
    [enrolment] = outcomes.enrolments(db, frontdesk, person_of(db, case))
    assert (enrolment["programme"], enrolment["status"]) == ("secondary_completion", "applied")


# --- enrolment and outcomes ---------------------------------------------------


def diploma(**overrides):
    return {"achieved_on": "2026-11-20", "institution": "Colegio Distrital Bosa", "evidence": "Acta 1234", **overrides}


def test_enrolment_lifecycle_completion_records_the_diploma(db, frontdesk, case):
    person_id = person_of(db, case)
    enrolment = outcomes.apply(db, frontdesk, person_id, "secondary_completion", "BOSA")
    with pytest.raises(OutcomeRefused):
        outcomes.apply(db, frontdesk, person_id, "secondary_completion")
    with pytest.raises(OutcomeRefused):
        outcomes.advance_enrolment(db, frontdesk, enrolment, "completed", diploma())  # not active yet
    outcomes.advance_enrolment(db, frontdesk, enrolment, "enrolled")
    outcomes.advance_enrolment(db, frontdesk, enrolment, "active")
    with pytest.raises(ValidationError):
        outcomes.advance_enrolment(db, frontdesk, enrolment, "completed")  # completing asks for the outcome
    with pytest.raises(ValidationError):
        outcomes.advance_enrolment(db, frontdesk, enrolment, "completed", diploma(achieved_on="2027-01-01"))
    assert outcomes.enrolments(db, frontdesk, person_id)[0]["status"] == "active"
    outcomes.advance_enrolment(db, frontdesk, enrolment, "completed", diploma())
    [outcome] = outcomes.person_outcomes(db, frontdesk, person_id)
    assert (outcome["kind"], outcome["enrolment_id"], outcome["evidence"]) == (
        "secondary_diploma",
        enrolment,
        "Acta 1234",
    )
    with pytest.raises(OutcomeRefused) as info:
        outcomes.record_outcome(db, frontdesk, person_id, diploma(kind="secondary_diploma"))
    assert info.value.message.key == "error.second_diploma"


@pytest.mark.parametrize(
    "data, field",
    [
        ({"kind": "secondary_diploma", "achieved_on": "2027-01-01", "institution": "X"}, "achieved_on"),
        ({"kind": "secondary_diploma", "achieved_on": "1990-01-01", "institution": "X"}, "achieved_on"),  # aged 5
        ({"kind": "secondary_diploma", "achieved_on": "2020-01-01"}, "institution"),
        ({"kind": "technical_certificate", "achieved_on": "2020-01-01", "institution": "SENA"}, "course"),
        ({"kind": "astronaut", "achieved_on": "2020-01-01"}, "kind"),
    ],
)
def test_outcome_validation(db, frontdesk, case, data, field):
    with pytest.raises(ValidationError) as info:
        outcomes.record_outcome(db, frontdesk, person_of(db, case), data)
    assert field in info.value.errors


def test_job_and_certificate_outcomes(db, frontdesk, case):
    person_id = person_of(db, case)
    outcomes.record_outcome(
        db, frontdesk, person_id, {"kind": "job", "achieved_on": "2026-10-01", "description": "Auxiliar de cocina"}
    )
    outcomes.record_outcome(
        db,
        frontdesk,
        person_id,
        {
            "kind": "technical_certificate",
            "achieved_on": "2026-09-01",
            "institution": "SENA",
            "course": "Cocina",
            "hours": 120,
        },
    )
    assert [o["kind"] for o in outcomes.person_outcomes(db, frontdesk, person_id)] == ["job", "technical_certificate"]


def test_timeline_is_newest_first_and_covers_the_file(db, frontdesk, admin, case, clock_at):
    person_id = person_of(db, case)
    referrals.make_referral(db, frontdesk, case, reason="Empleo", institution_id=5)
    outcomes.record_outcome(db, frontdesk, person_id, diploma(kind="primary_diploma", achieved_on="2010-06-01"))
    cases.add_note(db, frontdesk, case, "Primera entrevista.")
    kinds = [r["kind"] for r in timeline.person_timeline(db, frontdesk, person_id)]
    assert {"registered", "case_opened", "referral_sent", "outcome", "note"} <= set(kinds)
    ats = [r["at"] for r in timeline.person_timeline(db, frontdesk, person_id)]
    assert ats == sorted(ats, reverse=True)


def test_timeline_entries_carry_their_details_in_columns(db, frontdesk, other_desk, coordinator, admin, case):
    person_id = person_of(db, case)
    timetable.create_schedule(db, admin, schedule_data(db, "PSICOSOCIAL", end_date="2026-11-23", capacity=5))
    session_id = db.execute("SELECT id FROM sessions").fetchone()[0]
    service = db.execute(
        "SELECT v.name_es, v.name_en FROM sessions s JOIN services v ON v.id = s.service_id WHERE s.id = ?",
        [session_id],
    ).fetchone()
    institution = db.execute("SELECT name FROM institutions WHERE id = 5").fetchone()[0]
    referrals.make_referral(db, frontdesk, case, reason="Empleo", institution_id=5)
    referrals.make_referral(db, frontdesk, case, reason="Apoyo", session_id=session_id)
    referrals.make_referral(db, frontdesk, case, reason="Estudio", programme="secondary_completion")
    outcomes.record_outcome(db, frontdesk, person_id, diploma(kind="primary_diploma", achieved_on="2010-06-01"))
    cases.add_note(db, frontdesk, case, "Primera entrevista.")
    cases.add_note(db, coordinator, case, "Ruta activada.", confidential=True)

    def entries(user):
        rows = timeline.person_timeline(db, user, person_id)
        assert all(tuple(r) == timeline.COLUMNS for r in rows)
        return rows

    def details(rows, kind, *columns):
        return sorted((tuple(r[c] for c in columns) for r in rows if r["kind"] == kind), key=str)

    rows = entries(frontdesk)  # the case's worker
    assert details(rows, "booking_booked", "name_es", "name_en") == [tuple(service)]
    assert details(rows, "referral_sent", "institution", "name_es", "programme") == [
        (institution, None, None),
        (None, None, "secondary_completion"),
    ]
    assert details(rows, "referral_accepted", "name_es", "institution") == [(service[0], None)]
    assert details(rows, "enrolment_applied", "programme") == [("secondary_completion",)]
    assert details(rows, "outcome", "outcome", "institution") == [("primary_diploma", "Colegio Distrital Bosa")]
    assert details(rows, "case_opened", "priority") == [("high",)]
    assert details(rows, "note", "body", "confidential") == [("Primera entrevista.", 0)]
    assert details(rows, "note_confidential", "body", "author_id") == [("Ruta activada.", coordinator.id)]
    assert details(entries(other_desk), "note_confidential", "body") == []  # neither author nor worker
    assert details(entries(admin), "note_confidential", "body") == [("Ruta activada.",)]


def test_case_workers_are_the_active_users_who_may_write_cases(db, frontdesk, coordinator, admin, evaluator):
    assert policy.roles_with("case.write") == ("frontdesk", "coordinator", "admin")
    assert [u["username"] for u in cases.case_workers(db, frontdesk)] == ["admin", "coordinadora", "recepcion"]
    someone = person(db, frontdesk, 1)
    with pytest.raises(ValidationError) as info:
        cases.open_case(db, frontdesk, someone, case_worker_id=evaluator.id)
    assert set(info.value.errors) == {"case_worker_id"}
    auth.set_active(db, admin, coordinator.id, False)
    assert "coordinadora" not in {u["username"] for u in cases.case_workers(db, frontdesk)}
    with pytest.raises(ValidationError):
        cases.open_case(db, frontdesk, someone, case_worker_id=coordinator.id)
    assert cases.open_case(db, frontdesk, someone, case_worker_id=admin.id)


def test_front_desk_cannot_make_herself_the_worker_to_read_confidential_notes(
    db, frontdesk, other_desk, coordinator, case
):
    cases.add_note(db, frontdesk, case, "Confidencial.", confidential=True)
    with pytest.raises(PermissionDenied):
        cases.update_case(db, other_desk, case, priority="high", case_worker_id=other_desk.id)
    assert {n["body"] for n in cases.notes(db, other_desk, case)} == set()
    cases.update_case(db, other_desk, case, priority="low", case_worker_id=frontdesk.id)  # priority: any desk user
    cases.update_case(db, coordinator, case, priority="low", case_worker_id=other_desk.id)  # reassignment: coordinator
    assert {n["body"] for n in cases.notes(db, other_desk, case)} == {"Confidencial."}


def test_a_hidden_correction_is_not_pointed_at(db, frontdesk, other_desk, coordinator, case):
    first = cases.add_note(db, frontdesk, case, "Nota visible.")
    cases.add_note(db, coordinator, case, "Corrección confidencial.", confidential=True, corrects=first)
    [note] = cases.notes(db, other_desk, case)
    assert note["id"] == first and note["corrected_by"] is None
