"""Pages only hide what the policy refuses: another block's roster, case and
forms are not shown to a desk or coordinator of BOSA, with the reason said;
the block pickers offer only the blocks she serves. (The services refuse
anyway: tests/core/test_policy.py.)"""

import pytest

from caremgmt.casework import cases
from caremgmt.core import auth
from caremgmt.registry import persons
from caremgmt.scheduling import timetable
from tests.factories import person, schedule_data, with_second_factor
from tests.pages.apptest import open_page, texts

OTHER_BLOCK = "Este registro pertenece a otra manzana: solo su equipo puede consultarlo o modificarlo."


@pytest.fixture
def kennedy(db, admin, clock_at):
    """A KENNEDY caregiver with an open case, and a KENNEDY session she is booked in."""
    someone = person(db, admin, 1)
    persons.update_person(db, admin, someone, {"home_block": "KENNEDY", "locality_code": 8})
    cases.open_case(db, admin, someone)
    timetable.create_schedule(db, admin, schedule_data(db, block_code="KENNEDY"))
    session = db.execute("SELECT id FROM sessions ORDER BY starts_at LIMIT 1").fetchone()[0]
    return {"person": someone, "session": session}


@pytest.fixture
def bosa_users(db, admin, frontdesk):
    return {
        "frontdesk": frontdesk,
        "coordinator": with_second_factor(
            db, auth.create_user(db, admin, "coord.bosa", "coord-password-1", "coordinator", "BOSA")
        ),
    }


# (page, what selects the record): each opened by a BOSA user on KENNEDY's record.
REFUSED = {
    "roster": ("pages/activities/roster.py", "session_id", "session"),
    "case": ("pages/cases/case.py", "person_id", "person"),
}


@pytest.mark.parametrize("role", ["frontdesk", "coordinator"])
@pytest.mark.parametrize("page", sorted(REFUSED))
def test_another_blocks_roster_and_case_are_refused_with_the_reason(db, kennedy, bosa_users, admin, page, role):
    path, state, record = REFUSED[page]
    at = open_page(bosa_users[role], path, **{state: kennedy[record]})
    assert not at.exception
    assert OTHER_BLOCK in texts(at)
    assert "Prueba" not in texts(at) + " ".join(str(d.value) for d in at.dataframe)  # no one's name
    # The block's own staff (here the admin, everywhere) sees the page.
    at = open_page(admin, path, **{state: kennedy[record]})
    assert not at.exception and OTHER_BLOCK not in texts(at)


@pytest.mark.parametrize("role", ["frontdesk", "coordinator"])
def test_another_blocks_person_keeps_her_file_but_not_the_forms_to_write_her_achievements(
    db, kennedy, bosa_users, role
):
    at = open_page(bosa_users[role], "pages/cases/achievements.py", person_id=kennedy["person"])
    assert not at.exception
    assert "Inscribir en el programa" not in [b.label for b in at.button]
    own = person(db, bosa_users[role], 2)
    at = open_page(bosa_users[role], "pages/cases/achievements.py", person_id=own)
    assert "Inscribir en el programa" in [b.label for b in at.button]


@pytest.mark.parametrize(
    "path, picker", [("pages/activities/day.py", "day_block"), ("pages/cases/caseload.py", "caseload_block")]
)
def test_block_pickers_offer_only_the_blocks_she_serves(db, bosa_users, admin, path, picker):
    role = "frontdesk" if picker == "day_block" else "coordinator"  # the block's caseload: its coordinators
    at = open_page(bosa_users[role], path)
    assert not at.exception
    assert at.selectbox(key=picker).options == ["Manzana del Cuidado Bosa"]
    assert len(open_page(admin, path).selectbox(key=picker).options) > 1
