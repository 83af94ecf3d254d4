"""The policy: every action x role x block, every write service refused to a
user of another block and to a deactivated account, and one audit entry per
view of personal data."""

import datetime as dt
import importlib
import inspect
import json
import pkgutil
import re
import tempfile

import pytest

from caremgmt.casework import cases, outcomes, referrals, timeline
from caremgmt.core import auth, policy, reference
from caremgmt.core.actor import SYSTEM, User
from caremgmt.core.errors import CareError, PermissionDenied
from caremgmt.impact import releases
from caremgmt.registry import access, persons, retention, rights, search
from caremgmt.scheduling import attendance, booking, catalogue, laundry, timetable
from tests.factories import laundry_slots, person, schedule_data, with_second_factor

# --- the table ------------------------------------------------------------------

# Who may, written out again here (not read from the table): on a record of the
# user's own block (BOSA) and on one of another block (KENNEDY).
DESK, COORD, CITY_COORD, EVALUATOR, ADMIN, LOOSE_DESK = (
    "desk",
    "coordinator",
    "city_coordinator",
    "evaluator",
    "admin",
    "desk_without_block",
)
USERS = {
    DESK: User(1, "desk", "frontdesk", "BOSA"),
    COORD: User(2, "coord", "coordinator", "BOSA"),
    CITY_COORD: User(3, "citycoord", "coordinator", None),
    EVALUATOR: User(4, "eval", "evaluator", None),
    ADMIN: User(5, "admin", "admin", None),
    LOOSE_DESK: User(6, "loose", "frontdesk", None),
}
STAFF = {DESK, COORD, CITY_COORD, ADMIN, LOOSE_DESK}
BLOCK_STAFF = ({DESK, COORD, CITY_COORD, ADMIN}, {CITY_COORD, ADMIN})  # (own block, other block)
BLOCK_MANAGERS = ({COORD, CITY_COORD, ADMIN}, {CITY_COORD, ADMIN})
EVERYWHERE = {
    "person.read": (STAFF, STAFF),
    "person.write": (STAFF, STAFF),
    "schedule.read": (STAFF, STAFF),
    "schedule.manage": BLOCK_MANAGERS,
    "booking.write": BLOCK_STAFF,
    "attendance.write": BLOCK_STAFF,
    "roster.read": BLOCK_STAFF,
    "laundry.read": BLOCK_STAFF,
    "case.read": BLOCK_STAFF,
    "case.write": BLOCK_STAFF,
    "case.confidential": BLOCK_MANAGERS,
    "service.manage": ({COORD, CITY_COORD}, {COORD, CITY_COORD}),
    "institution.manage": ({ADMIN}, {ADMIN}),
    "block.manage": ({ADMIN}, {ADMIN}),
    "user.manage": ({ADMIN}, {ADMIN}),
    "person.erase": ({ADMIN}, {ADMIN}),
    "person.access": ({ADMIN}, {ADMIN}),
    "retention.manage": ({ADMIN}, {ADMIN}),
    "impact.read": ({COORD, CITY_COORD}, {COORD, CITY_COORD}),
    "export.run": ({EVALUATOR, COORD, CITY_COORD}, {EVALUATOR, COORD, CITY_COORD}),
}
for _action in ("service.manage", "institution.manage", "block.manage", "impact.read", "export.run", "user.manage"):
    EVERYWHERE[_action] = tuple(who | {ADMIN} for who in EVERYWHERE[_action])
TABLE = [
    (action, who, place)
    for action in EVERYWHERE
    for who in USERS
    for place in ("BOSA", "KENNEDY")  # the desk's own block, another block
]


def test_the_table_names_every_action_the_policy_has():
    assert set(EVERYWHERE) == set(policy.POLICY)


@pytest.mark.parametrize("action, who, place", TABLE)
def test_policy_table(action, who, place):
    own, other = EVERYWHERE[action]
    expected = who in (own if place == "BOSA" else other)
    assert policy.permits(USERS[who], action, place) is expected


@pytest.mark.parametrize("action", sorted(EVERYWHERE))
def test_an_evaluator_holds_no_action_on_personal_records_and_a_record_of_no_block_is_the_citys(action):
    if action != "export.run":
        assert not policy.permits(USERS[EVALUATOR], action, "BOSA")
    if policy.POLICY[action].scope == policy.BLOCK:
        assert {w for w in USERS if policy.permits(USERS[w], action, None)} <= {CITY_COORD, ADMIN}


# --- a BOSA world, and who comes from KENNEDY -------------------------------------


@pytest.fixture
def world(db, admin, clock_at):
    """BOSA's records, all made by the admin: a caregiver with a child, a class
    with a booking, a laundry slot with a load, a case with a goal, a task, a
    referral and an enrolment."""
    ana = person(db, admin, 1)
    other = person(db, admin, 2)
    schedule, _ = timetable.create_schedule(db, admin, schedule_data(db, capacity=5))
    session, later = [
        r[0] for r in db.execute("SELECT id FROM sessions WHERE schedule_id = ? ORDER BY id", [schedule])
    ][:2]
    participant = booking.book(db, admin, session, ana)[0].participant_id
    slots = laundry_slots(db, admin, [0, 1], "2026-11-23", "2026-11-24", capacity=3)
    load = laundry.book_load(db, admin, slots[0], ana).participant_id
    case = cases.open_case(db, admin, ana)
    goal = cases.add_goal(db, admin, case, "education", "Terminar el bachillerato", dt.date(2027, 6, 1))
    task = cases.add_task(db, admin, case, "Llamar", dt.date(2026, 12, 1), admin.id)
    referral = referrals.make_referral(db, admin, case, reason="Orientación", institution_id=3)
    enrolment = outcomes.apply(db, admin, ana, "secondary_completion", "BOSA")
    return locals() | {"slot": slots[1]}


# Every write service whose record has a block, and how to call it on BOSA's.
BLOCK_WRITES = {
    "timetable.create_schedule": lambda db, u, w: timetable.create_schedule(db, u, schedule_data(db)),
    "timetable.cancel_session": lambda db, u, w: timetable.cancel_session(db, u, w["later"]),
    "timetable.move_session": lambda db, u, w: timetable.move_session(
        db, u, w["later"], dt.date(2026, 12, 30), dt.time(14), dt.time(15)
    ),
    "timetable.add_session": lambda db, u, w: timetable.add_session(
        db, u, w["schedule"], dt.date(2026, 12, 29), dt.time(14), dt.time(15)
    ),
    "timetable.end_schedule": lambda db, u, w: timetable.end_schedule(db, u, w["schedule"], dt.date(2026, 12, 15)),
    "laundry.set_weekly_limit": lambda db, u, w: laundry.set_weekly_limit(db, u, 3),  # the city's: no block
    "laundry.book_load": lambda db, u, w: laundry.book_load(db, u, w["slot"], w["other"]),
    "laundry.advance": lambda db, u, w: laundry.advance(db, u, w["load"], "dropped_off"),
    "attendance.save_roster": lambda db, u, w: attendance.save_roster(db, u, w["session"], {w["ana"]: "present"}),
    "booking.book": lambda db, u, w: booking.book(db, u, w["later"], w["other"]),
    "booking.book_series": lambda db, u, w: booking.book_series(db, u, w["schedule"], w["other"]),
    "booking.cancel": lambda db, u, w: booking.cancel(db, u, w["participant"]),
    "cases.open_case": lambda db, u, w: cases.open_case(db, u, w["other"]),
    "cases.update_case": lambda db, u, w: cases.update_case(db, u, w["case"], priority="high", case_worker_id=u.id),
    "cases.close_case": lambda db, u, w: cases.close_case(db, u, w["case"], "Objetivos cumplidos"),
    "cases.record_assessment": lambda db, u, w: cases.record_assessment(
        db, u, w["case"], dict.fromkeys(cases.DOMAINS, 3)
    ),
    "cases.add_goal": lambda db, u, w: cases.add_goal(db, u, w["case"], "education", "Meta", dt.date(2027, 6, 1)),
    "cases.set_goal_status": lambda db, u, w: cases.set_goal_status(db, u, w["goal"], "achieved"),
    "cases.add_note": lambda db, u, w: cases.add_note(db, u, w["case"], "Nota."),
    "cases.add_task": lambda db, u, w: cases.add_task(db, u, w["case"], "Tarea", dt.date(2026, 12, 1), u.id),
    "cases.complete_task": lambda db, u, w: cases.complete_task(db, u, w["task"]),
    "referrals.make_referral": lambda db, u, w: referrals.make_referral(db, u, w["case"], reason="R", institution_id=3),
    "referrals.set_status": lambda db, u, w: referrals.set_status(db, u, w["referral"], "accepted"),
    "outcomes.apply": lambda db, u, w: outcomes.apply(db, u, w["ana"], "primary_completion", "BOSA"),
    "outcomes.advance_enrolment": lambda db, u, w: outcomes.advance_enrolment(db, u, w["enrolment"], "enrolled"),
    "outcomes.record_outcome": lambda db, u, w: outcomes.record_outcome(
        db, u, w["ana"], {"kind": "job", "achieved_on": "2026-01-25"}
    ),
}
# Writes of the city's registry and reference data: the role alone decides
# (caregivers move between blocks; a service, an institution, a block is the city's).
CITY_WRITES = {
    "persons.register_caregiver": lambda db, u, w: persons.register_caregiver(db, u, {}, [], {"registration": True}),
    "persons.add_dependent": lambda db, u, w: persons.add_dependent(db, u, w["ana"], {}),
    "persons.update_person": lambda db, u, w: persons.update_person(db, u, w["ana"], {"neighbourhood": "Bosa"}),
    "persons.give_consent": lambda db, u, w: persons.give_consent(db, u, w["ana"], "reminders"),
    "persons.withdraw_consent": lambda db, u, w: persons.withdraw_consent(db, u, 1),
    "catalogue.save_service": lambda db, u, w: catalogue.save_service(db, u, {}),
    "catalogue.set_service_active": lambda db, u, w: catalogue.set_service_active(db, u, 1, False),
    "institutions.save_institution": lambda db, u, w: __import__(
        "caremgmt.casework.institutions", fromlist=["save_institution"]
    ).save_institution(db, u, {}),
    "reference.add_block": lambda db, u, w: reference.add_block(db, u, "NUEVA", "Nueva", None),
    "reference.update_block": lambda db, u, w: reference.update_block(
        db, u, "BOSA", name="Bosa", locality_code=None, active=True
    ),
    "releases.create_release": lambda db, u, w: releases.create_release(db, u, tempfile.mkdtemp(), kinds=("metrics",)),
    "rights.request_erasure": lambda db, u, w: rights.request_erasure(db, u, w["ana"], "Lo pidió"),
    "rights.confirm_erasure": lambda db, u, w: rights.confirm_erasure(db, u, 1),
    "access.access_bundle": lambda db, u, w: access.access_bundle(db, u, w["ana"], reason="Lo pidió"),
    "retention.set_rules": lambda db, u, w: retention.set_rules(db, u, {}),
    "retention.apply": lambda db, u, w: retention.apply(db, u),
}
# Writes inside their caller's transaction, checked by that caller.
INSIDE_A_CALLER = {"booking.book_one", "outcomes.apply_in_transaction", "attendance.record_load", "rights.anonymise"}


def _service_modules():
    for package in ("registry", "scheduling", "casework", "impact"):
        pkg = importlib.import_module(f"caremgmt.{package}")
        for info in pkgutil.iter_modules(pkg.__path__):
            yield importlib.import_module(f"caremgmt.{package}.{info.name}")
    yield reference


_WRITES = re.compile(r"write_transaction\(|audit\.record\(|INSERT INTO|UPDATE \w+ SET|\.insert\(|\.update\(")


def _writes(module, fn, seen=()) -> bool:
    """Whether ``fn`` writes, itself or through a private helper of its module."""
    source = inspect.getsource(fn)
    if _WRITES.search(source):
        return True
    helpers = set(re.findall(r"\b(_\w+)\(", source)) - set(seen)
    return any(
        _writes(module, getattr(module, h), (*seen, *helpers))
        for h in helpers
        if inspect.isfunction(getattr(module, h, None))
    )


def _writes_found() -> set[str]:
    """Public functions taking (db, actor) that write."""
    found = set()
    for module in _service_modules():
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ != module.__name__ or name.startswith("_"):
                continue
            if list(inspect.signature(fn).parameters)[:2] == ["db", "actor"] and _writes(module, fn):
                found.add(f"{module.__name__.rsplit('.', 1)[1]}.{name}")
    return found


def test_every_write_service_is_listed():
    """A new write service fails here until it is listed with its scope."""
    assert _writes_found() == set(BLOCK_WRITES) | set(CITY_WRITES) | INSIDE_A_CALLER


@pytest.fixture
def kennedy(db, admin):
    return {
        "desk": auth.create_user(db, admin, "recepcion.kennedy", "desk-password-7", "frontdesk", "KENNEDY"),
        "coordinator": with_second_factor(
            db, auth.create_user(db, admin, "coord.kennedy", "coord-password-7", "coordinator", "KENNEDY")
        ),
    }


@pytest.fixture
def bosa_coordinator(db, admin):
    return with_second_factor(db, auth.create_user(db, admin, "coord.bosa", "coord-password-8", "coordinator", "BOSA"))


@pytest.mark.parametrize("who", ["desk", "coordinator"])
@pytest.mark.parametrize("service", sorted(BLOCK_WRITES))
def test_every_write_service_refuses_a_user_of_another_block(db, world, kennedy, bosa_coordinator, service, who):
    before = db.execute("SELECT count(*) FROM audit_log WHERE action <> 'read'").fetchone()[0]
    with pytest.raises(PermissionDenied):
        BLOCK_WRITES[service](db, kennedy[who], world)
    assert db.execute("SELECT count(*) FROM audit_log WHERE action <> 'read'").fetchone()[0] == before
    # The same call by BOSA's coordinator passes the policy (set_weekly_limit: the city's, hers too refused).
    try:
        BLOCK_WRITES[service](db, bosa_coordinator, world)
    except PermissionDenied:
        assert service == "laundry.set_weekly_limit"
    except CareError:
        pass  # refused on its merits (a date, a transition), not for who she is


@pytest.mark.parametrize("service", sorted(BLOCK_WRITES) + sorted(CITY_WRITES))
def test_a_deactivated_account_is_refused_by_every_write_service(db, world, admin, service):
    boss = with_second_factor(db, auth.create_user(db, admin, "coord.city", "coord-password-9", "coordinator"))
    admin2 = with_second_factor(db, auth.create_user(db, admin, "admin.dos", "admin-clave-92", "admin"))
    auth.set_active(db, admin, boss.id, False)
    auth.set_active(db, admin, admin2.id, False)
    for gone in (boss, admin2):  # the page let her in earlier; the service asks the account again
        with pytest.raises(policy.InactiveAccount):
            {**BLOCK_WRITES, **CITY_WRITES}[service](db, gone, world)


@pytest.mark.parametrize("service", sorted(BLOCK_WRITES) + sorted(CITY_WRITES))
def test_an_account_whose_password_was_reset_does_nothing_until_she_changes_it(db, world, admin, service):
    boss = with_second_factor(db, auth.create_user(db, admin, "coord.city", "coord-password-9", "coordinator"))
    temporary = auth.reset_password(db, admin, boss.id)
    with pytest.raises(policy.PasswordChangeDue):
        {**BLOCK_WRITES, **CITY_WRITES}[service](db, boss, world)
    auth.change_password(db, boss, temporary, "otra-clave-larga-81", "otra-clave-larga-81")
    policy.check(db, boss, "person.write")  # her own again


@pytest.mark.parametrize("service", sorted(CITY_WRITES))
def test_city_writes_are_for_their_roles_only(db, world, evaluator, service):
    with pytest.raises(PermissionDenied):
        CITY_WRITES[service](db, evaluator, world) if service != "releases.create_release" else persons.give_consent(
            db, evaluator, world["ana"], "reminders"
        )


BLOCK_READS = {
    "attendance.roster": lambda db, u, w: attendance.roster(db, u, w["session"]),
    "laundry.queue": lambda db, u, w: laundry.queue(db, u, "BOSA", dt.date(2026, 11, 23)),
    "laundry.open_slots": lambda db, u, w: laundry.open_slots(db, u, "BOSA", dt.date(2026, 11, 23), w["ana"]),
    "booking.upcoming": lambda db, u, w: booking.upcoming(db, u, "BOSA", w["ana"], 28),
    "booking.care_offers": lambda db, u, w: booking.care_offers(db, u, w["session"], w["ana"]),
    "cases.current_case": lambda db, u, w: cases.current_case(db, u, w["ana"]),
    "cases.assessments": lambda db, u, w: cases.assessments(db, u, w["case"]),
    "cases.goals": lambda db, u, w: cases.goals(db, u, w["case"]),
    "cases.notes": lambda db, u, w: cases.notes(db, u, w["case"]),
    "cases.tasks": lambda db, u, w: cases.tasks(db, u, w["case"]),
    "cases.caseload": lambda db, u, w: cases.caseload(db, u, block_code="BOSA"),
    "cases.case_workers": lambda db, u, w: cases.case_workers(db, u, "BOSA"),
    "referrals.case_referrals": lambda db, u, w: referrals.case_referrals(db, u, w["case"]),
}


@pytest.mark.parametrize("service", sorted(BLOCK_READS))
def test_reads_of_a_blocks_records_refuse_a_desk_of_another_block(db, world, kennedy, frontdesk, service):
    with pytest.raises(PermissionDenied):
        BLOCK_READS[service](db, kennedy["desk"], world)
    if service != "cases.caseload":  # a block's whole caseload: its coordinators only
        BLOCK_READS[service](db, frontdesk, world)  # BOSA's own desk reads them


def test_the_registry_stays_city_wide_for_the_desk_and_closed_to_the_evaluator(db, world, kennedy, evaluator):
    assert persons.get_person(db, kennedy["desk"], world["ana"])["id"] == world["ana"]
    assert search.search_persons(db, kennedy["desk"], "Cuidadora Prueba").rows
    for read in (persons.get_person, persons.person_history, timeline.person_timeline):
        with pytest.raises(PermissionDenied):
            read(db, evaluator, world["ana"])


def test_system_needs_no_account_and_a_made_up_one_is_refused(db):
    policy.check(db, SYSTEM, "block.manage")
    with pytest.raises(policy.InactiveAccount):
        policy.check(db, User(999, "nadie", "admin"), "block.manage")
    with pytest.raises(policy.InactiveAccount):
        policy.check(db, User(None, "system", "admin", "BOSA"), "block.manage")  # not SYSTEM: no account


def test_the_account_decides_not_the_object_she_logged_in_with(db, admin, frontdesk):
    promoted = User(frontdesk.id, frontdesk.username, "admin", None)  # what a stale or forged object says
    with pytest.raises(PermissionDenied):
        policy.check(db, promoted, "block.manage")


def test_other_block_refusal_says_so(db, world, kennedy):
    with pytest.raises(PermissionDenied) as info:
        cases.close_case(db, kennedy["desk"], world["case"], "x")
    assert info.value.message.render("es") == (
        "Este registro pertenece a otra manzana: solo su equipo puede consultarlo o modificarlo."
    )


# --- read audit ---------------------------------------------------------------------


def reads(db, since: int) -> list[tuple]:
    return db.execute(
        "SELECT username, entity, entity_id, person_id, detail FROM audit_log WHERE action = 'read' AND id > ?"
        " ORDER BY id",
        [since],
    ).fetchall()


def last_id(db) -> int:
    return db.execute("SELECT coalesce(max(id), 0) FROM audit_log").fetchone()[0]


def test_every_view_of_personal_data_is_one_read_entry_without_the_data(db, world, admin, frontdesk, clock_at):
    ana = world["ana"]
    cases_ = world["case"]
    views = {
        "search": lambda: search.search_persons(db, frontdesk, "Cuidadora Prueba"),
        "roster": lambda: attendance.roster(db, frontdesk, world["session"]),
        "laundry_queue": lambda: laundry.queue(db, frontdesk, "BOSA", dt.date(2026, 11, 23)),
        "caseload": lambda: cases.caseload(db, admin, block_code="BOSA"),
        "timeline": lambda: timeline.person_timeline(db, frontdesk, ana),
        "person": lambda: persons.get_person(db, frontdesk, ana),
        "history": lambda: persons.person_history(db, frontdesk, ana),
        "case_notes": lambda: cases.notes(db, frontdesk, cases_),
    }
    for entity, view in views.items():
        for _ in range(2):  # a view again a moment later is a view of its own
            since = last_id(db)
            view()
            [entry] = reads(db, since)
            assert entry[1] == entity
    persons_shown = {
        e: json.loads(d)["persons"] for _, e, _, _, d in reads(db, 0) if d and e in ("search", "roster", "caseload")
    }
    assert persons_shown == {"search": 2, "roster": 1, "caseload": 1}
    logged = " ".join(
        str(v) for row in db.execute("SELECT detail, new_values FROM audit_log WHERE action = 'read'") for v in row
    )
    assert "Cuidadora" not in logged and "5200" not in logged  # names and documents stay out


def test_an_empty_search_box_writes_nothing(db, frontdesk):
    since = last_id(db)
    search.search_persons(db, frontdesk, "  ")
    assert reads(db, since) == []


# --- confidential notes: who wrote them and when -----------------------------------


def test_who_wrote_a_confidential_note_shows_only_to_who_may_read_it(db, world, admin, frontdesk, kennedy):
    coordinator = with_second_factor(
        db, auth.create_user(db, admin, "coord.bosa2", "coord-password-3", "coordinator", "BOSA")
    )
    cases.add_note(db, coordinator, world["case"], "Ruta activada.", confidential=True)
    cases.add_note(db, coordinator, world["case"], "Primera entrevista.")

    def note_entries(user):
        return [e for e in persons.person_history(db, user, world["ana"]) if e["entity"] == "note"]

    assert [e["new_values"]["confidential"] for e in note_entries(admin)] == [0, 1]
    assert [e["new_values"]["confidential"] for e in note_entries(coordinator)] == [0, 1]  # the author
    assert [e["new_values"]["confidential"] for e in note_entries(frontdesk)] == [0]  # BOSA desk, not the worker
    assert [e["new_values"]["confidential"] for e in note_entries(kennedy["desk"])] == [0]

    def timeline_notes(user):
        return [e["kind"] for e in timeline.person_timeline(db, user, world["ana"]) if e["kind"].startswith("note")]

    assert timeline_notes(coordinator) == ["note", "note_confidential"]
    assert timeline_notes(frontdesk) == ["note"]
    assert timeline_notes(kennedy["desk"]) == []  # another block's case: not its notes at all
    assert timeline_notes(kennedy["coordinator"]) == []


def test_a_deactivated_admin_manages_no_account(db, admin):
    other = with_second_factor(db, auth.create_user(db, admin, "admin.dos", "admin-clave-92", "admin"))
    desk = auth.create_user(db, admin, "mesa.uno", "mesa-clave-larga-3", "frontdesk", "BOSA")
    auth.set_active(db, admin, other.id, False)
    for manage in (
        lambda: auth.create_user(db, other, "mesa.dos", "mesa-clave-larga-4", "frontdesk", "BOSA"),
        lambda: auth.list_users(db, other),
        lambda: auth.set_active(db, other, desk.id, False),
        lambda: auth.reset_password(db, other, desk.id),
        lambda: auth.unlock(db, other, desk.id),
    ):
        with pytest.raises(policy.InactiveAccount):
            manage()
    assert auth.list_users(db, admin)[-1]["active"] == 1  # the desk's account untouched
