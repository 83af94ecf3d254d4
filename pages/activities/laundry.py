"""Book a community-laundry drop-off slot for the selected caregiver. Whether she
may book (the programme's eligibility, her weekly limit) shows before any slot is
chosen; when she may not, each slot says why and cannot be clicked."""

import streamlit as st

from caremgmt.core import reference
from caremgmt.core.clock import today
from caremgmt.registry import persons
from caremgmt.scheduling import laundry
from pages.ui.actions import Form, page_header, read_or_stop, write
from pages.ui.formatting import literal, person_line
from pages.ui.session import db, tr, user
from pages.ui.widgets import block_picker

current = user()
person_id = page_header("laundry.title")

person = read_or_stop(lambda: persons.get_person(db(), current, person_id))
blocks = reference.blocks(db())
limit = laundry.weekly_limit(db())
st.subheader(literal(person_line(person)))
st.caption(tr("laundry.rules", limit=limit))
col1, col2 = st.columns(2)
with col1:
    block = block_picker(blocks, "laundry_block", "booking.write")
with col2:
    day = st.date_input(tr("day.date"), value=today(), min_value=today(), format="DD/MM/YYYY", key="laundry_date")

standing = laundry.standing(db(), current, person_id, day)
if standing.message:
    st.warning(literal(standing.message.render(current.language)))
else:
    st.success(tr("laundry.may_book", n=standing.used, limit=standing.limit))

slots = laundry.open_slots(db(), current, block, day, person_id)
if not slots:
    st.info(tr("laundry.no_slots"))
form = Form("slot")
BLOCKED = {
    "held": "book.held",
    "not_eligible": "laundry.slot_not_eligible",
    "weekly_limit": "laundry.slot_weekly_limit",
    "full": "laundry.slot_full",
}
for slot in slots:
    col1, col2, col3 = st.columns([3, 2, 2])
    col1.markdown(f"**{slot['starts_at'][11:]}–{slot['ends_at'][11:]}**")
    col2.markdown(tr("laundry.free", free=slot["free"], capacity=slot["capacity"]))
    if slot["blocked"]:
        col3.button(tr(BLOCKED[slot["blocked"]]), key=form.key(slot["id"]), disabled=True)
    elif col3.button(tr("book.book"), key=form.key(slot["id"])):
        write(form, laundry.book_load, slot["id"], person_id, done=tr("laundry.booked", time=slot["starts_at"][11:]))
