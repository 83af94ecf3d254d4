"""The front desk's day: today's sessions at my block and the laundry queue."""

import streamlit as st

from caremgmt.core import reference
from caremgmt.core.clock import today
from caremgmt.core.i18n import format_number
from caremgmt.scheduling import laundry, timetable
from caremgmt.scheduling.carehours import care_hours_freed
from pages.ui.actions import Form, open_session, write
from pages.ui.formatting import literal, session_line
from pages.ui.session import db, tr, user
from pages.ui.widgets import block_picker

current = user()
st.title(tr("day.title"))
blocks = reference.blocks(db())
col1, col2 = st.columns(2)
with col1:
    block = block_picker(blocks, "day_block", "laundry.read")  # the queue shows phones: her blocks only
with col2:
    day = st.date_input(tr("day.date"), value=today(), format="DD/MM/YYYY", key="day_date")

sessions = timetable.sessions_between(db(), current, block, day, day, kind="activity")
loads = laundry.queue(db(), current, block, day)
freed = care_hours_freed(db(), block_code=block, start=day, end=day)

st.metric(tr("day.care_hours"), f"{format_number(freed.hours, current.language, decimals=1)} h")
st.subheader(tr("day.sessions"))
if not sessions:
    st.info(tr("day.no_sessions"))
for session in sessions:
    col1, col2, col3 = st.columns([4, 2, 1])
    col1.markdown(f"**{literal(session_line(session))}**")
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
advancing = Form("load")
for load in loads:
    col1, col2, col3 = st.columns([4, 2, 2])
    col1.markdown(f"**{load['starts_at'][11:]}** · {literal(load['full_name'])}")
    col2.markdown(tr(f"load_status.{load['load_status']}"))
    for next_status in laundry.next_states(load):  # "No llegó" only once her slot has started
        if col3.button(tr(f"load_action.{next_status}"), key=advancing.key(f"{load['participant_id']}_{next_status}")):
            write(advancing, laundry.advance, load["participant_id"], next_status)
