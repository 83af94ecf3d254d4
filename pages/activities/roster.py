"""Attendance for one session: everyone booked, present by default once it has
started (the desk marks who did not come); walk-ins from the search box. Before
it starts (or when it is cancelled) the page says so and shows who is booked,
with nothing to save."""

import pandas as pd
import streamlit as st

from caremgmt.registry.search import search_persons
from caremgmt.scheduling import attendance, timetable
from pages.ui.actions import Form, read_or_stop, selected, write
from pages.ui.formatting import literal, person_line, session_line
from pages.ui.session import db, tr, user

current = user()
session_id = selected("session")
st.title(tr("roster.title"))
if session_id is None:
    st.info(tr("roster.none_selected"))
    st.page_link("pages/activities/day.py", label=tr("nav.day"), icon=":material/today:")
    st.stop()
form = Form("roster")

walk_ins: dict[int, str] = st.session_state.setdefault(f"walk_ins_{session_id}", {})
# Statuses marked so far survive the table being rebuilt (a walk-in added).
marks: dict[int, str] = st.session_state.setdefault(f"marks_{session_id}", {})
session = read_or_stop(lambda: timetable.get_session(db(), session_id))
rows = read_or_stop(lambda: attendance.roster(db(), current, session_id))  # another block's: refused
st.subheader(literal(session_line(session)))
closed = attendance.refusal(session)  # what saving would be refused for, said before anyone tries
if closed:
    st.info(literal(closed.render(current.language)))
    st.dataframe(
        pd.DataFrame({tr("roster.person"): [r["full_name"] for r in rows]}, dtype="object"),
        hide_index=True,
        width="stretch",
    )
    st.caption(tr("roster.count", n=len(rows)))
    st.stop()

statuses = {s: tr(f"attendance.{s}") for s in attendance.STATUSES}
by_label = {label: status for status, label in statuses.items()}
table = pd.DataFrame(
    [
        {
            "person_id": r["person_id"],
            tr("roster.person"): r["full_name"],
            tr("roster.status"): statuses[marks.get(r["person_id"], r["status"])],
        }
        for r in rows
    ]
    + [
        {
            "person_id": pid,
            tr("roster.person"): f"{name} ({tr('roster.walk_in')})",
            tr("roster.status"): statuses[marks.get(pid, "present")],
        }
        for pid, name in walk_ins.items()
        if pid not in {r["person_id"] for r in rows}
    ],
    columns=["person_id", tr("roster.person"), tr("roster.status")],
)
edited = st.data_editor(
    table,
    column_config={
        "person_id": None,
        tr("roster.person"): st.column_config.TextColumn(disabled=True),
        tr("roster.status"): st.column_config.SelectboxColumn(options=list(statuses.values()), required=True),
    },
    # A new editor after each save (a new round of the form): edits kept by row
    # position must not land on someone else once the saved walk-ins sort into the list.
    hide_index=True,
    width="stretch",
    key=form.key(f"editor_{session_id}"),
)
marks.update({int(r["person_id"]): by_label[r[tr("roster.status")]] for _, r in edited.iterrows()})
st.caption(tr("roster.count", n=len(edited)))


def saved(_written: int) -> None:
    walk_ins.clear()
    marks.clear()


if st.button(tr("roster.save"), type="primary", key=form.key("save")):
    marked = dict(marks)
    write(
        form,
        attendance.save_roster,
        session_id,
        {pid: status for pid, status in marked.items() if pid not in walk_ins},
        walk_ins=[pid for pid in walk_ins if marked.get(pid) == "present"],
        done=lambda written: tr("roster.saved", n=written),
        then=saved,
    )

st.subheader(tr("roster.add_walk_in"))
query = st.text_input(tr("search.box"), key=f"walk_in_query_{session_id}")
if query:
    found = search_persons(db(), current, query, page_size=8)
    for person in found.rows:
        col1, col2 = st.columns([5, 1])
        col1.markdown(literal(person_line({**person, "full_name": None})))
        if col2.button(tr("roster.add"), key=f"walk_in_{person['id']}"):
            walk_ins[person["id"]] = f"{person['first_names']} {person['last_names']}"
            st.rerun()
