"""Coordinators plan a block: recurring schedules, generated sessions, and
one-off changes (cancel, move, extra session, end a schedule early)."""

import datetime as dt

import streamlit as st

from caremgmt.core import reference
from caremgmt.core.clock import today
from caremgmt.core.errors import CareError, ValidationError
from caremgmt.scheduling import catalogue, laundry, timetable
from pages.ui import (
    block_picker,
    choice,
    database,
    field_error,
    labeller,
    service_label,
    session_line,
    set_errors,
    show_error,
    tr,
    user,
)

SCOPE = "schedule"
current = user()
st.title(tr("schedules.title"))
if flash := st.session_state.pop("schedules_flash", None):
    st.success(flash)
with database() as db:
    blocks = reference.blocks(db)
    service_rows = catalogue.list_services(db)
block = block_picker(blocks, "schedules_block")


def schedule_line(schedule: dict) -> str:
    days = ", ".join(tr(f"weekday.{d}") for d in map(int, schedule["weekdays"].split(",")))
    return (
        f"{service_label(schedule)} · {days} {schedule['start_time']}–{schedule['end_time']}"
        f" · {schedule['sessions']} {tr('schedules.sessions')}"
    )


def done(message: str) -> None:
    st.session_state["schedules_flash"] = message
    st.rerun()


with st.expander(tr("schedules.laundry_settings"), icon=":material/local_laundry_service:"):
    with database() as db:
        limit = laundry.weekly_limit(db)
    new_limit = st.number_input(tr("schedules.laundry_limit"), 1, 14, limit, key="laundry_limit")
    if st.button(tr("schedules.save_limit"), key="laundry_limit_save") and new_limit != limit:
        with database() as db:
            laundry.set_weekly_limit(db, current, new_limit)
        done(tr("schedules.limit_saved", limit=new_limit))

new_tab, list_tab = st.tabs([tr("schedules.new"), tr("schedules.existing")])
with new_tab, st.form("new_schedule"):
    by_id = {s["id"]: s for s in service_rows}
    service_id = choice(
        SCOPE,
        "service_id",
        tuple(by_id),
        None,
        "sch_service",
        required=True,
        labels={i: service_label(s) for i, s in by_id.items()},
    )
    col1, col2 = st.columns(2)
    room = col1.text_input(tr("field.room"), key="sch_room")
    facilitator = col2.text_input(tr("field.facilitator"), key="sch_facilitator")
    weekdays = st.multiselect(
        tr("field.weekdays"),
        list(range(7)),
        format_func=labeller(range(7), lambda d: tr(f"weekday.{d}")),
        key="sch_weekdays",
    )
    field_error(SCOPE, "weekdays")
    col1, col2, col3, col4 = st.columns(4)
    start_time = col1.time_input(tr("field.start_time"), dt.time(8, 0), key="sch_start_time", step=900)
    end_time = col2.time_input(tr("field.end_time"), dt.time(11, 0), key="sch_end_time", step=900)
    start_date = col3.date_input(tr("field.start_date"), today(), format="DD/MM/YYYY", key="sch_start_date")
    end_date = col4.date_input(
        tr("field.end_date"), today() + dt.timedelta(days=90), format="DD/MM/YYYY", key="sch_end_date"
    )
    for field in ("start_time", "end_time", "start_date", "end_date"):
        field_error(SCOPE, field)
    col1, col2 = st.columns(2)
    capacity = col1.number_input(tr("field.capacity"), 1, 500, 20, key="sch_capacity")
    field_error(SCOPE, "capacity")
    slot_minutes = col2.number_input(
        tr("field.slot_minutes"), 0, 240, 0, step=15, key="sch_slot", help=tr("schedules.slot_help")
    )
    field_error(SCOPE, "slot_minutes")
    if st.form_submit_button(tr("schedules.create"), type="primary"):
        with database() as db:
            try:
                _, made = timetable.create_schedule(
                    db,
                    current,
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
                )
            except ValidationError as e:
                set_errors(SCOPE, e)
                st.rerun()
        set_errors(SCOPE, None)
        done(tr("schedules.created", n=made))

with list_tab:
    with database() as db:
        schedules = timetable.schedules_at(db, current, block)
    if not schedules:
        st.info(tr("schedules.none"))
        st.stop()
    by_schedule = {s["id"]: s for s in schedules}
    chosen = st.selectbox(
        tr("schedules.pick"),
        list(by_schedule),
        key="sch_pick",
        format_func=labeller(by_schedule, lambda i: schedule_line(by_schedule[i])),
    )
    schedule = by_schedule[chosen]
    col1, col2 = st.columns(2)
    last_day = col1.date_input(tr("schedules.last_day"), today(), format="DD/MM/YYYY", key=f"sch_last_{chosen}")
    if col2.button(tr("schedules.end"), key=f"sch_end_{chosen}"):
        with database() as db:
            cancelled = timetable.end_schedule(db, current, chosen, last_day)
        done(tr("schedules.ended", n=cancelled))
    with st.expander(tr("schedules.extra")):
        col1, col2, col3 = st.columns(3)
        extra_day = col1.date_input(tr("day.date"), today(), format="DD/MM/YYYY", key=f"extra_day_{chosen}")
        extra_start = col2.time_input(
            tr("field.start_time"), dt.time.fromisoformat(schedule["start_time"]), key=f"extra_start_{chosen}", step=900
        )
        extra_end = col3.time_input(
            tr("field.end_time"), dt.time.fromisoformat(schedule["end_time"]), key=f"extra_end_{chosen}", step=900
        )
        if st.button(tr("schedules.add_session"), key=f"extra_add_{chosen}"):
            with database() as db:
                try:
                    timetable.add_session(db, current, chosen, extra_day, extra_start, extra_end)
                except CareError as e:
                    show_error(e)
                else:
                    done(tr("schedules.session_added"))
    with database() as db:
        sessions = timetable.sessions_between(
            db, current, block, today(), today() + dt.timedelta(days=60), schedule_id=chosen
        )
    for session in sessions:
        col1, col2, col3 = st.columns([4, 1, 1])
        cancelled = session["status"] == "cancelled"
        col1.markdown(("~~" + session_line(session) + "~~") if cancelled else session_line(session))
        if cancelled:
            continue
        if col2.button(tr("schedules.cancel"), key=f"cancel_{session['id']}"):
            with database() as db:
                timetable.cancel_session(db, current, session["id"])
            done(tr("schedules.cancelled"))
        with col3.popover(tr("schedules.move")):
            start = dt.datetime.fromisoformat(session["starts_at"])
            new_day = st.date_input(tr("day.date"), start.date(), format="DD/MM/YYYY", key=f"mv_day_{session['id']}")
            new_start = st.time_input(tr("field.start_time"), start.time(), key=f"mv_start_{session['id']}", step=900)
            new_end = st.time_input(
                tr("field.end_time"),
                dt.time.fromisoformat(session["ends_at"][11:]),
                key=f"mv_end_{session['id']}",
                step=900,
            )
            new_room = st.text_input(tr("field.room"), session["room"] or "", key=f"mv_room_{session['id']}")
            if st.button(tr("schedules.move_save"), key=f"mv_save_{session['id']}"):
                with database() as db:
                    try:
                        timetable.move_session(
                            db, current, session["id"], new_day, new_start, new_end, new_room or None
                        )
                    except CareError as e:
                        show_error(e)
                    else:
                        done(tr("schedules.moved"))
