"""Book the selected person into a session or a whole series; when she is a
caregiver, offer care for the people she cares for in the same step."""

import datetime as dt

import streamlit as st

from caremgmt.core import reference
from caremgmt.core.clock import today
from caremgmt.core.errors import CareError
from caremgmt.registry import persons
from caremgmt.scheduling import booking, catalogue, timetable
from pages.ui import (
    block_picker,
    database,
    labeller,
    page_header,
    person_line,
    service_label,
    session_line,
    show_error,
    tr,
    user,
)

HORIZON_DAYS = 28
current = user()
person_id = page_header("book.title", "book_flash")

with database() as db:
    person = persons.get_person(db, current, person_id)
    blocks = reference.blocks(db)
    service_rows = [s for s in catalogue.list_services(db) if s["kind"] == "activity"]
st.subheader(person_line(person))

audience = "caregiver" if person["is_caregiver"] else "cared"
offered = [s for s in service_rows if s["audience"] in (audience, "anyone")]
col1, col2 = st.columns(2)
with col1:
    block = block_picker(blocks, "book_block")
with col2:
    by_id = {s["id"]: s for s in offered}
    service_id = st.selectbox(
        tr("book.service"),
        list(by_id),
        format_func=labeller(by_id, lambda i: service_label(by_id[i])),
        key="book_service",
    )


def outcome_text(result: booking.Booking) -> str:
    if result.status == "booked":
        return tr("book.booked")
    return tr("book.waitlisted", position=result.position)


def run(action, *args, **kwargs) -> None:
    with database() as db:
        try:
            results = action(db, current, *args, **kwargs)
        except CareError as e:
            show_error(e)
            return
    results = results if isinstance(results, list) else [results]
    st.session_state.pop(f"book_pending_{person_id}", None)
    st.session_state["book_flash"] = (
        " · ".join(f"{tr('book.result_line', n=i + 1)} {outcome_text(r)}" for i, r in enumerate(results))
        if len(results) > 1
        else outcome_text(results[0])
    )
    st.rerun()


pending = st.session_state.get(f"book_pending_{person_id}")
if pending:
    with database() as db:
        session = timetable.get_session(db, pending)
        offers = booking.care_offers(db, current, pending, person_id)
    st.markdown(f"**{tr('book.confirm')}** {session_line(session)}")
    care: dict[int, int] = {}
    for offer in offers:
        cared = offer["person"]
        name = f"{cared['first_names']} {cared['last_names']}"
        if not offer["sessions"]:
            st.caption(tr("book.no_care_for", name=name))
            continue
        options = {s["id"]: s for s in offer["sessions"]}
        if st.checkbox(tr("book.care_for", name=name), value=True, key=f"care_{pending}_{cared['id']}"):
            chosen = st.selectbox(
                tr("book.care_session"),
                list(options),
                key=f"care_session_{pending}_{cared['id']}",
                format_func=labeller(
                    options, lambda i, o=options: f"{session_line(o[i])} · {o[i]['booked_count']}/{o[i]['capacity']}"
                ),
            )
            care[cared["id"]] = chosen
    col1, col2 = st.columns(2)
    if col1.button(tr("book.confirm_button"), type="primary", key="book_confirm"):
        run(booking.book, pending, person_id, care=care)
    if col2.button(tr("common.back"), key="book_back"):
        st.session_state.pop(f"book_pending_{person_id}")
        st.rerun()
    st.stop()

with database() as db:
    upcoming = [
        s
        for s in timetable.sessions_between(
            db, current, block, today(), today() + dt.timedelta(days=HORIZON_DAYS), service_id=service_id
        )
        if s["status"] == "scheduled"
    ]
if not upcoming:
    st.info(tr("book.no_sessions", days=HORIZON_DAYS))
series = {}
for s in upcoming:
    if s["schedule_id"] and s["schedule_id"] not in series:
        start = dt.datetime.fromisoformat(s["starts_at"])
        series[s["schedule_id"]] = f"{start:%H:%M}–{s['ends_at'][11:]}{' · ' + s['room'] if s['room'] else ''}"
for schedule_id, when in series.items():
    if st.button(tr("book.series", when=when), key=f"series_{schedule_id}"):
        run(booking.book_series, schedule_id, person_id)
for session in upcoming:
    col1, col2, col3 = st.columns([4, 2, 1])
    col1.markdown(session_line(session))
    col2.markdown(
        tr("day.occupancy", booked=session["booked_count"], capacity=session["capacity"], waitlist=session["waitlist"])
    )
    if col3.button(tr("book.book"), key=f"book_{session['id']}"):
        if person["cares_for"]:
            st.session_state[f"book_pending_{person_id}"] = session["id"]
            st.rerun()
        run(booking.book, session["id"], person_id)
