"""Coordinators plan a block: recurring schedules, generated sessions, and
one-off changes (cancel, move, extra session, end a schedule early)."""

import datetime as dt

import streamlit as st

from caremgmt.core import policy, reference
from caremgmt.core.clock import today
from caremgmt.scheduling import catalogue, laundry, timetable
from pages.ui.actions import Form, write
from pages.ui.formatting import literal, service_label, session_line
from pages.ui.session import db, tr, user
from pages.ui.widgets import block_picker, choice, field_error, labeller

current = user()
st.title(tr("schedules.title"))
blocks = reference.blocks(db())
service_rows = catalogue.list_services(db())
block = block_picker(blocks, "schedules_block", "schedule.manage")


def schedule_line(schedule: dict) -> str:
    days = ", ".join(tr(f"weekday.{d}") for d in map(int, schedule["weekdays"].split(",")))
    return (
        f"{service_label(schedule)} · {days} {schedule['start_time']}–{schedule['end_time']}"
        f" · {tr('schedules.session_count', n=schedule['sessions'])}"
    )


# The weekly limit is the whole city's: only those with the whole city set it.
if policy.permits(current, "schedule.manage", None):
    with st.expander(tr("schedules.laundry_settings"), icon=":material/local_laundry_service:"):
        limit = laundry.weekly_limit(db())
        # Number fields here carry no min_value/max_value: the domain says what a
        # value may be (the widget would refuse it on its own, in English).
        new_limit = st.number_input(tr("schedules.laundry_limit"), value=limit, step=1, key="laundry_limit")
        limiting = Form("laundry_limit")
        field_error(limiting.scope, "limit")
        if st.button(tr("schedules.save_limit"), key=limiting.key("save")) and new_limit != limit:
            write(limiting, laundry.set_weekly_limit, new_limit, done=tr("schedules.limit_saved", limit=new_limit))

new_tab, list_tab = st.tabs([tr("schedules.new"), tr("schedules.existing")])
creating = Form("sch")
SCOPE = creating.scope
with new_tab, st.form(creating.id):
    by_id = {s["id"]: s for s in service_rows}
    service_id = choice(
        SCOPE,
        "service_id",
        tuple(by_id),
        None,
        creating.key("service"),
        required=True,
        labels={i: service_label(s) for i, s in by_id.items()},
    )
    col1, col2 = st.columns(2)
    room = col1.text_input(tr("field.room"), key=creating.key("room"))
    facilitator = col2.text_input(tr("field.facilitator"), key=creating.key("facilitator"))
    weekdays = st.multiselect(
        tr("field.weekdays"),
        list(range(7)),
        format_func=labeller(range(7), lambda d: tr(f"weekday.{d}")),
        key=creating.key("weekdays"),
        placeholder=tr("common.choose"),
        select_all=False,  # Streamlit's own "Select all" / "Select N matches" is English only
    )
    field_error(SCOPE, "weekdays")
    col1, col2, col3, col4 = st.columns(4)
    with col1:
        start_time = st.time_input(tr("field.start_time"), dt.time(8, 0), key=creating.key("start_time"), step=900)
        field_error(SCOPE, "start_time")
    with col2:
        end_time = st.time_input(tr("field.end_time"), dt.time(11, 0), key=creating.key("end_time"), step=900)
        field_error(SCOPE, "end_time")
    with col3:
        start_date = st.date_input(tr("field.start_date"), today(), format="DD/MM/YYYY", key=creating.key("start_date"))
        field_error(SCOPE, "start_date")
    with col4:
        end_date = st.date_input(
            tr("field.end_date"), today() + dt.timedelta(days=90), format="DD/MM/YYYY", key=creating.key("end_date")
        )
        field_error(SCOPE, "end_date")
    col1, col2 = st.columns(2)
    with col1:
        capacity = st.number_input(tr("field.capacity"), value=20, step=1, key=creating.key("capacity"))
        field_error(SCOPE, "capacity")
    with col2:
        slot_minutes = st.number_input(
            tr("field.slot_minutes"), value=0, step=15, key=creating.key("slot"), help=tr("schedules.slot_help")
        )
        field_error(SCOPE, "slot_minutes")
    if st.form_submit_button(tr("schedules.create"), type="primary", key=creating.key()):
        write(
            creating,
            timetable.create_schedule,
            {
                "service_id": service_id,
                "block_code": block,
                "room": room,
                "facilitator": facilitator,
                "weekdays": weekdays,
                "start_time": start_time,
                "end_time": end_time,
                "start_date": start_date,
                "end_date": end_date,
                "capacity": capacity,
                "slot_minutes": slot_minutes,
            },
            done=lambda created: tr("schedules.created", n=created[1]),
        )

with list_tab:
    schedules = timetable.schedules_at(db(), current, block)
    if not schedules:
        st.info(tr("schedules.none"))
        st.stop()
    by_schedule = {s["id"]: s for s in schedules}
    chosen = st.selectbox(
        tr("schedules.pick"),
        list(by_schedule),
        key="sch_pick",
        format_func=labeller(by_schedule, lambda i: schedule_line(by_schedule[i])),
        placeholder=tr("common.choose"),
    )
    schedule = by_schedule[chosen]
    ending = Form("sch_end")
    # Fields and their button in forms: what was typed travels with the click.
    with st.form(ending.key(f"form_{chosen}")):
        col1, col2 = st.columns(2, vertical_alignment="bottom")
        last_day = col1.date_input(
            tr("schedules.last_day"), today(), format="DD/MM/YYYY", key=ending.key(f"last_{chosen}")
        )
        ended = col2.form_submit_button(tr("schedules.end"), key=ending.key(chosen))
    if ended:
        write(ending, timetable.end_schedule, chosen, last_day, done=lambda n: tr("schedules.ended", n=n))
    adding = Form("sch_extra")
    with st.expander(tr("schedules.extra")), st.form(adding.key(f"form_{chosen}")):
        col1, col2, col3 = st.columns(3)
        extra_day = col1.date_input(tr("day.date"), today(), format="DD/MM/YYYY", key=adding.key(f"day_{chosen}"))
        extra_start = col2.time_input(
            tr("field.start_time"),
            dt.time.fromisoformat(schedule["start_time"]),
            key=adding.key(f"start_{chosen}"),
            step=900,
        )
        extra_end = col3.time_input(
            tr("field.end_time"),
            dt.time.fromisoformat(schedule["end_time"]),
            key=adding.key(f"end_{chosen}"),
            step=900,
        )
        if st.form_submit_button(tr("schedules.add_session"), key=adding.key(f"add_{chosen}")):
            write(
                adding,
                timetable.add_session,
                chosen,
                extra_day,
                extra_start,
                extra_end,
                done=tr("schedules.session_added"),
            )
    sessions = timetable.sessions_between(
        db(), current, block, today(), today() + dt.timedelta(days=60), schedule_id=chosen
    )
    cancelling, moving = Form("sch_cancel"), Form("sch_move")
    for session in sessions:
        col1, col2, col3 = st.columns([4, 1, 1])
        cancelled = session["status"] == "cancelled"
        line = literal(session_line(session))
        col1.markdown(f"~~{line}~~" if cancelled else line)
        if cancelled:
            continue
        if col2.button(tr("schedules.cancel"), key=cancelling.key(session["id"])):
            write(cancelling, timetable.cancel_session, session["id"], done=tr("schedules.cancelled"))
        with col3.popover(tr("schedules.move")), st.form(moving.key(f"form_{session['id']}")):
            start = dt.datetime.fromisoformat(session["starts_at"])
            new_day = st.date_input(
                tr("day.date"), start.date(), format="DD/MM/YYYY", key=moving.key(f"day_{session['id']}")
            )
            new_start = st.time_input(
                tr("field.start_time"), start.time(), key=moving.key(f"start_{session['id']}"), step=900
            )
            new_end = st.time_input(
                tr("field.end_time"),
                dt.time.fromisoformat(session["ends_at"][11:]),
                key=moving.key(f"end_{session['id']}"),
                step=900,
            )
            new_room = st.text_input(tr("field.room"), session["room"] or "", key=moving.key(f"room_{session['id']}"))
            if st.form_submit_button(tr("schedules.move_save"), key=moving.key(f"save_{session['id']}")):
                write(
                    moving,
                    timetable.move_session,
                    session["id"],
                    new_day,
                    new_start,
                    new_end,
                    new_room or None,
                    done=tr("schedules.moved"),
                )
