"""The front desk's day: today's sessions at my block and the laundry queue."""

import streamlit as st

from caremgmt.core import reference
from caremgmt.core.clock import today
from caremgmt.core.errors import CareError
from caremgmt.scheduling import laundry, timetable
from caremgmt.scheduling.carehours import care_hours_freed
from pages.ui import block_picker, database, open_session, session_line, show_error, tr, user

current = user()
st.title(tr("day.title"))
with database() as db:
    blocks = reference.blocks(db)
col1, col2 = st.columns(2)
with col1:
    block = block_picker(blocks, "day_block")
with col2:
    day = st.date_input(tr("day.date"), value=today(), format="DD/MM/YYYY", key="day_date")

with database() as db:
    sessions = timetable.sessions_between(db, current, block, day, day, kind="activity")
    loads = laundry.queue(db, current, block, day)
    freed = care_hours_freed(db, block_code=block, start=day, end=day)

st.metric(tr("day.care_hours"), f"{freed.hours:g} h")
st.subheader(tr("day.sessions"))
if not sessions:
    st.info(tr("day.no_sessions"))
for session in sessions:
    col1, col2, col3 = st.columns([4, 2, 1])
    col1.markdown(f"**{session_line(session)}**")
    if session["status"] == "cancelled":
        col2.markdown(f":red[{tr('day.cancelled')}]")
    else:
        col2.markdown(
            tr(
                "day.occupancy",
                booked=session["booked_count"],
                capacity=session["capacity"],
                waitlist=session["waitlist"],
            )
        )
        if col3.button(tr("day.attendance"), key=f"roster_{session['id']}"):
            open_session(session["id"])

st.subheader(tr("day.laundry"))
if not loads:
    st.info(tr("day.no_loads"))
for load in loads:
    col1, col2, col3 = st.columns([4, 2, 2])
    col1.markdown(f"**{load['starts_at'][11:]}** · {load['full_name']}")
    col2.markdown(tr(f"load_status.{load['load_status']}"))
    for next_status in laundry.TRANSITIONS[load["load_status"]]:
        if col3.button(tr(f"load_action.{next_status}"), key=f"load_{load['participant_id']}_{next_status}"):
            with database() as db:
                try:
                    laundry.advance(db, current, load["participant_id"], next_status)
                except CareError as e:
                    show_error(e)
                else:
                    st.rerun()
