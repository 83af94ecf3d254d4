"""Book a community-laundry drop-off slot for the selected caregiver."""

import streamlit as st

from caremgmt.core import reference
from caremgmt.core.clock import now_local, today
from caremgmt.registry import persons
from caremgmt.scheduling import laundry, timetable
from pages.ui.actions import Form, page_header, write
from pages.ui.formatting import person_line
from pages.ui.session import db, tr, user
from pages.ui.widgets import block_picker

current = user()
person_id = page_header("laundry.title")

person = persons.get_person(db(), current, person_id)
blocks = reference.blocks(db())
limit = laundry.weekly_limit(db())
st.subheader(person_line(person))
st.caption(tr("laundry.rules", limit=limit))
col1, col2 = st.columns(2)
with col1:
    block = block_picker(blocks, "laundry_block")
with col2:
    day = st.date_input(tr("day.date"), value=today(), min_value=today(), format="DD/MM/YYYY", key="laundry_date")

now = now_local().strftime("%Y-%m-%dT%H:%M")
slots = [
    s
    for s in timetable.sessions_between(db(), current, block, day, day, kind="laundry")
    if s["status"] == "scheduled" and s["ends_at"] > now
]
if not slots:
    st.info(tr("laundry.no_slots"))
form = Form("slot")
for slot in slots:
    col1, col2, col3 = st.columns([3, 2, 1])
    col1.markdown(f"**{slot['starts_at'][11:]}–{slot['ends_at'][11:]}**")
    free = slot["capacity"] - slot["booked_count"]
    col2.markdown(tr("laundry.free", free=free, capacity=slot["capacity"]))
    if col3.button(tr("book.book"), key=form.key(slot["id"]), disabled=free <= 0):
        write(form, laundry.book_load, slot["id"], person_id, done=tr("laundry.booked", time=slot["starts_at"][11:]))
