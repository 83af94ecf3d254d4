"""Book the selected person into a session or a whole series; when she is a
caregiver, offer care for the people she cares for in the same step. The page
opens on the service whose next session at the block comes first; sessions she
already holds say so instead of offering to book them again."""

import datetime as dt

import streamlit as st

from caremgmt.core import reference
from caremgmt.registry import persons
from caremgmt.scheduling import booking, catalogue, timetable
from pages.ui.actions import Form, page_header, read_or_stop, write
from pages.ui.formatting import literal, person_line, service_label, session_line
from pages.ui.session import db, tr, user
from pages.ui.widgets import block_picker, labeller

HORIZON_DAYS = 28
current = user()
person_id = page_header("book.title")
form = Form("book")
pending_key = f"book_pending_{person_id}"

person = read_or_stop(lambda: persons.get_person(db(), current, person_id))
blocks = reference.blocks(db())
service_rows = [s for s in catalogue.list_services(db()) if s["kind"] == "activity"]
st.subheader(literal(person_line(person)))

audience = "caregiver" if person["is_caregiver"] else "cared"
offered = [s for s in service_rows if s["audience"] in (audience, "anyone")]
col1, col2 = st.columns(2)
with col1:
    block = block_picker(blocks, "book_block", "booking.write")
by_id = {s["id"]: s for s in offered}
coming = [s for s in booking.upcoming(db(), current, block, person_id, HORIZON_DAYS) if s["service_id"] in by_id]
# The service of the first session she does not hold yet (else of the first one at all).
first = next((s for s in coming if not s["held"]), coming[0] if coming else None)
with col2:
    service_id = st.selectbox(
        tr("book.service"),
        list(by_id),
        index=list(by_id).index(first["service_id"]) if first else 0,
        format_func=labeller(by_id, lambda i: service_label(by_id[i])),
        key="book_service",
        placeholder=tr("common.choose"),
    )


def outcome_text(result: booking.Booking) -> str:
    if result.status == "booked":
        return tr("book.booked")
    return tr("book.waitlisted", position=result.position)


def outcomes_text(results: booking.Booking | list[booking.Booking]) -> str:
    results = results if isinstance(results, list) else [results]
    if len(results) == 1:
        return outcome_text(results[0])
    return " · ".join(f"{tr('book.result_line', n=i + 1)} {outcome_text(r)}" for i, r in enumerate(results))


def book(action, *args, **kwargs) -> None:
    write(form, action, *args, done=outcomes_text, then=lambda _: st.session_state.pop(pending_key, None), **kwargs)


pending = st.session_state.get(pending_key)
if pending:
    session = timetable.get_session(db(), pending)
    offers = booking.care_offers(db(), current, pending, person_id)
    st.markdown(f"**{tr('book.confirm')}** {literal(session_line(session))}")
    care: dict[int, int] = {}
    for offer in offers:
        cared = offer["person"]
        name = literal(f"{cared['first_names']} {cared['last_names']}")  # in a caption and a label
        if not offer["sessions"]:
            st.caption(tr("book.no_care_for", name=name))
            continue
        options = {s["id"]: s for s in offer["sessions"]}
        if st.checkbox(tr("book.care_for", name=name), value=True, key=form.key(f"care_{pending}_{cared['id']}")):
            chosen = st.selectbox(
                tr("book.care_session"),
                list(options),
                key=form.key(f"care_session_{pending}_{cared['id']}"),
                format_func=labeller(
                    options, lambda i, o=options: f"{session_line(o[i])} · {o[i]['booked_count']}/{o[i]['capacity']}"
                ),
                placeholder=tr("common.choose"),
            )
            care[cared["id"]] = chosen
    col1, col2 = st.columns(2)
    if col1.button(tr("book.confirm_button"), type="primary", key=form.key("confirm")):
        book(booking.book, pending, person_id, care=care)
    if col2.button(tr("common.back"), key="book_back"):
        st.session_state.pop(pending_key)
        st.rerun()
    st.stop()

upcoming = [s for s in coming if s["service_id"] == service_id]
if not upcoming:
    st.info(tr("book.no_sessions", days=HORIZON_DAYS))
series = {}
for s in upcoming:
    # A series she holds every session of has nothing left to book.
    if s["schedule_id"] and not s["held"] and s["schedule_id"] not in series:
        start = dt.datetime.fromisoformat(s["starts_at"])
        room = f" · {literal(s['room'])}" if s["room"] else ""  # in a button's label
        series[s["schedule_id"]] = f"{start:%H:%M}–{s['ends_at'][11:]}{room}"
for schedule_id, when in series.items():
    if st.button(tr("book.series", when=when), key=form.key(f"series_{schedule_id}")):
        book(booking.book_series, schedule_id, person_id)
HELD = {"booked": "book.held", "waitlisted": "book.held_waitlisted"}
for session in upcoming:
    col1, col2, col3 = st.columns([4, 2, 1])
    col1.markdown(literal(session_line(session)))
    col2.markdown(
        tr("day.occupancy", booked=session["booked_count"], capacity=session["capacity"], waitlist=session["waitlist"])
    )
    if session["held"]:
        col3.button(tr(HELD[session["held"]]), key=form.key(session["id"]), disabled=True)
    elif col3.button(tr("book.book"), key=form.key(session["id"])):
        if person["cares_for"]:  # first ask about care for the people she cares for
            st.session_state[pending_key] = session["id"]
            st.rerun()
        book(booking.book, session["id"], person_id)
