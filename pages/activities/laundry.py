"""Book a community-laundry drop-off slot for the selected caregiver."""

import streamlit as st

from caremgmt.core import reference
from caremgmt.core.clock import now_local, today
from caremgmt.core.errors import CareError
from caremgmt.registry import persons
from caremgmt.scheduling import laundry, timetable
from pages.ui import block_picker, database, page_header, person_line, show_error, tr, user

current = user()
person_id = page_header("laundry.title", "laundry_flash")

with database() as db:
    person = persons.get_person(db, current, person_id)
    blocks = reference.blocks(db)
    limit = laundry.weekly_limit(db)
st.subheader(person_line(person))
st.caption(tr("laundry.rules", limit=limit))
col1, col2 = st.columns(2)
with col1:
    block = block_picker(blocks, "laundry_block")
with col2:
    day = st.date_input(tr("day.date"), value=today(), min_value=today(), format="DD/MM/YYYY", key="laundry_date")

now = now_local().strftime("%Y-%m-%dT%H:%M")
with database() as db:
    slots = [
        s
        for s in timetable.sessions_between(db, current, block, day, day, kind="laundry")
        if s["status"] == "scheduled" and s["ends_at"] > now
    ]
if not slots:
    st.info(tr("laundry.no_slots"))
for slot in slots:
    col1, col2, col3 = st.columns([3, 2, 1])
    col1.markdown(f"**{slot['starts_at'][11:]}–{slot['ends_at'][11:]}**")
    free = slot["capacity"] - slot["booked_count"]
    col2.markdown(tr("laundry.free", free=free, capacity=slot["capacity"]))
    if col3.button(tr("book.book"), key=f"slot_{slot['id']}", disabled=free <= 0):
        with database() as db:
            try:
                laundry.book_load(db, current, slot["id"], person_id)
            except CareError as e:
                show_error(e)
            else:
                st.session_state["laundry_flash"] = tr("laundry.booked", time=slot["starts_at"][11:])
                st.rerun()
