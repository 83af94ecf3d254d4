"""The case of the selected person: assessment, plan, notes, referrals and tasks."""

import datetime as dt

import altair as alt
import pandas as pd
import streamlit as st

from caremgmt.casework import cases, institutions, referrals
from caremgmt.casework.outcomes import PROGRAMMES
from caremgmt.core.clock import to_local, today
from caremgmt.registry import persons
from caremgmt.scheduling import catalogue, timetable
from pages.ui import (
    act,
    choice,
    database,
    labeller,
    page_header,
    person_line,
    service_label,
    session_line,
    tr,
    user,
)

current = user()
person_id = page_header("case.title", "case_flash")


def done(action, *args, flash_key: str, **kwargs) -> None:
    act(action, *args, flash_key="case_flash", message=tr(flash_key), **kwargs)


with database() as db:
    person = persons.get_person(db, current, person_id)
    case = cases.current_case(db, current, person_id)
    workers = cases.case_workers(db, current)
worker_names = {w["id"]: w["username"] for w in workers}
st.subheader(person_line(person))

if case is None or case["status"] == "closed":
    if case:
        st.caption(tr("case.last_closed", at=case["closed_at"][:10], reason=case["close_reason"]))
    with st.form("open_case"):
        priority = choice("case", "priority", cases.PRIORITIES, "priority", "case_new_priority", "medium", True)
        worker = choice(
            "case",
            "case_worker_id",
            tuple(worker_names),
            None,
            "case_new_worker",
            current.id,
            True,
            labels=worker_names,
        )
        if st.form_submit_button(tr("case.open"), type="primary"):
            done(cases.open_case, person_id, priority=priority, case_worker_id=worker, flash_key="case.opened")
    st.stop()

case_id = case["id"]
col1, col2, col3 = st.columns(3)
col1.metric(tr("field.priority"), tr(f"priority.{case['priority']}"))
col2.metric(tr("field.case_worker_id"), case["case_worker"] or "—")
col3.metric(tr("case.opened_on"), case["opened_at"][:10])
with st.expander(tr("case.manage")):
    with st.form(f"case_edit_{case_id}"):
        new_priority = choice(
            "case", "priority", cases.PRIORITIES, "priority", f"case_priority_{case_id}", case["priority"], True
        )
        new_worker = choice(
            "case",
            "case_worker_id",
            tuple(worker_names),
            None,
            f"case_worker_{case_id}",
            case["case_worker_id"],
            True,
            labels=worker_names,
        )
        if st.form_submit_button(tr("case.save")):
            done(cases.update_case, case_id, priority=new_priority, case_worker_id=new_worker, flash_key="case.saved")
    reason = st.text_input(tr("field.close_reason"), key=f"close_reason_{case_id}")
    if st.button(tr("case.close"), key=f"close_{case_id}"):
        done(cases.close_case, case_id, reason, flash_key="case.closed")

# Tracked tabs keep their place across reruns; the notes tab renders (and is
# audited as an opening of the notes) only when it is the one open.
assessment_tab, plan_tab, notes_tab, referrals_tab, tasks_tab = st.tabs(
    [
        tr("case.tab_assessment"),
        tr("case.tab_plan"),
        tr("case.tab_notes"),
        tr("case.tab_referrals"),
        tr("case.tab_tasks"),
    ],
    key="case_tabs",
    on_change="rerun",
)

with assessment_tab:
    with database() as db:
        history = cases.assessments(db, current, case_id)
    if history:
        frame = pd.DataFrame(history).melt(id_vars=["id", "assessed_on"], var_name="domain", value_name="score")
        frame["domain"] = frame["domain"].map(lambda d: tr(f"domain.{d}"))
        chart = (
            alt.Chart(frame)
            .mark_line(point=True)
            .encode(
                x=alt.X("assessed_on:T", title=tr("case.assessed_on")),
                y=alt.Y("score:Q", title=tr("case.score"), scale=alt.Scale(domain=[1, 5])),
                color=alt.Color("domain:N", title=tr("case.domain")),
                tooltip=[
                    alt.Tooltip("domain:N", title=tr("case.domain")),
                    alt.Tooltip("assessed_on:T", title=tr("case.assessed_on")),
                    alt.Tooltip("score:Q", title=tr("case.score")),
                ],
            )
        )
        st.altair_chart(chart, width="stretch")
    st.caption(tr("case.scale"))
    with st.form(f"assessment_{case_id}"):
        columns = st.columns(len(cases.DOMAINS))
        scores = {
            domain: col.number_input(tr(f"domain.{domain}"), 1, 5, 3, key=f"score_{case_id}_{domain}")
            for col, domain in zip(columns, cases.DOMAINS, strict=True)
        }
        if st.form_submit_button(tr("case.save_assessment")):
            done(
                cases.record_assessment,
                case_id,
                {d: int(v) for d, v in scores.items()},
                flash_key="case.assessment_saved",
            )

with plan_tab:
    with database() as db:
        goal_rows = cases.goals(db, current, case_id)
    for goal in goal_rows:
        col1, col2, col3 = st.columns([5, 1, 1])
        col1.markdown(
            f"**{tr('domain.' + goal['domain'])}** · {goal['description']} · {tr('case.target', date=goal['target_date'])}"
            f" · {tr('goal_status.' + goal['status'])}"
        )
        if goal["status"] == "open":
            if col2.button(tr("goal_status.achieved"), key=f"goal_ok_{goal['id']}"):
                done(cases.set_goal_status, goal["id"], "achieved", flash_key="case.saved")
            if col3.button(tr("goal_status.dropped"), key=f"goal_drop_{goal['id']}"):
                done(cases.set_goal_status, goal["id"], "dropped", flash_key="case.saved")
    with st.form(f"goal_{case_id}"):
        domain = choice("goal", "domain", cases.DOMAINS, "domain", f"goal_domain_{case_id}", required=True)
        description = st.text_input(tr("field.description"), key=f"goal_text_{case_id}")
        target = st.date_input(
            tr("field.target_date"), today() + dt.timedelta(days=90), format="DD/MM/YYYY", key=f"goal_date_{case_id}"
        )
        if st.form_submit_button(tr("case.add_goal")):
            done(cases.add_goal, case_id, domain, description, target, flash_key="case.saved")


def show_notes() -> None:
    with database() as db:
        note_rows = cases.notes(db, current, case_id)
    for note in note_rows:
        badge = f" · :red[{tr('case.confidential')}]" if note["confidential"] else ""
        fix = f" · {tr('case.corrects', id=note['corrects_note_id'])}" if note["corrects_note_id"] else ""
        fixed = f" · :orange[{tr('case.corrected_by', id=note['corrected_by'])}]" if note["corrected_by"] else ""
        st.markdown(f"**#{note['id']}** · {to_local(note['written_at'])} · {note['author']}{badge}{fix}{fixed}")
        st.text(note["body"])
    round_ = st.session_state.get(f"note_round_{case_id}", 0)
    with st.form(f"note_{case_id}_{round_}"):
        body = st.text_area(tr("field.body"), key=f"note_body_{case_id}_{round_}")
        confidential = st.checkbox(tr("case.mark_confidential"), key=f"note_conf_{case_id}_{round_}")
        note_ids = [n["id"] for n in note_rows]
        corrects = st.selectbox(
            tr("case.correcting"),
            [None, *note_ids],
            key=f"note_fix_{case_id}_{round_}",
            format_func=labeller([None, *note_ids], lambda i: tr("case.new_note") if i is None else f"#{i}"),
        )
        if st.form_submit_button(tr("case.add_note")):
            done(
                cases.add_note,
                case_id,
                body,
                confidential=confidential,
                corrects=corrects,
                flash_key="case.note_saved",
                fresh=f"note_round_{case_id}",
            )


with notes_tab:
    if notes_tab.open:
        show_notes()

with referrals_tab:
    with database() as db:
        referral_rows = referrals.case_referrals(db, current, case_id)
        outside = institutions.list_institutions(db)
        service_rows = [s for s in catalogue.list_services(db) if s["kind"] == "activity"]
    for row in referral_rows:
        target = row["institution"] or (service_label(row) if row["name_es"] else tr(f"programme.{row['programme']}"))
        late = f" · :red[{tr('case.overdue')}]" if row["overdue"] else ""
        col1, col2 = st.columns([4, 2])
        col1.markdown(
            f"**{target}** · {tr('referral_status.' + row['status'])} · {tr('case.sent_on', date=row['sent_on'])}"
            f" · {tr('case.due_on', date=row['due_on'])}{late}"
        )
        for status in referrals.TRANSITIONS[row["status"]]:
            if col2.button(tr(f"referral_action.{status}"), key=f"ref_{row['id']}_{status}"):
                done(referrals.set_status, row["id"], status, flash_key="case.saved")
    st.subheader(tr("case.new_referral"))
    kind = st.radio(
        tr("case.referral_to"),
        ["external", "session", "programme"],
        horizontal=True,
        key=f"ref_kind_{case_id}",
        format_func=labeller(["external", "session", "programme"], lambda k: tr(f"referral_kind.{k}")),
    )
    reason = st.text_input(tr("field.reason"), key=f"ref_reason_{case_id}")
    target = {}
    if kind == "external":
        by_id = {i["id"]: i for i in outside}
        target["institution_id"] = choice(
            "ref",
            "institution_id",
            tuple(by_id),
            None,
            f"ref_inst_{case_id}",
            required=True,
            labels={i: by_id[i]["name"] for i in by_id},
        )
    elif kind == "session":
        by_id = {s["id"]: s for s in service_rows}
        service = choice(
            "ref",
            "service_id",
            tuple(by_id),
            None,
            f"ref_service_{case_id}",
            required=True,
            labels={i: service_label(s) for i, s in by_id.items()},
        )
        with database() as db:
            upcoming = (
                [
                    s
                    for s in timetable.sessions_between(
                        db, current, person["home_block"], today(), today() + dt.timedelta(days=28), service_id=service
                    )
                    if s["status"] == "scheduled"
                ]
                if service
                else []
            )
        sessions = {s["id"]: s for s in upcoming}
        target["session_id"] = choice(
            "ref",
            "session_id",
            tuple(sessions),
            None,
            f"ref_session_{case_id}",
            required=True,
            labels={i: session_line(s) for i, s in sessions.items()},
        )
    else:
        target["programme"] = choice(
            "ref", "programme", tuple(PROGRAMMES), "programme", f"ref_programme_{case_id}", required=True
        )
    if st.button(tr("case.send_referral"), type="primary", key=f"ref_send_{case_id}"):
        done(referrals.make_referral, case_id, reason=reason, flash_key="case.referral_sent", **target)

with tasks_tab:
    with database() as db:
        task_rows = cases.tasks(db, current, case_id)
    for task in task_rows:
        col1, col2 = st.columns([5, 1])
        late = (
            f" · :red[{tr('case.overdue')}]"
            if task["status"] == "open" and task["due_on"] < today().isoformat()
            else ""
        )
        col1.markdown(
            f"{'~~' if task['status'] == 'done' else ''}{task['description']}{'~~' if task['status'] == 'done' else ''}"
            f" · {task['owner']} · {tr('case.due_on', date=task['due_on'])}{late}"
        )
        if task["status"] == "open" and col2.button(tr("case.task_done"), key=f"task_done_{task['id']}"):
            done(cases.complete_task, task["id"], flash_key="case.saved")
    with st.form(f"task_{case_id}"):
        description = st.text_input(tr("field.description"), key=f"task_text_{case_id}")
        due = st.date_input(
            tr("field.due_on"), today() + dt.timedelta(days=7), format="DD/MM/YYYY", key=f"task_due_{case_id}"
        )
        owner = choice(
            "task",
            "owner_id",
            tuple(worker_names),
            None,
            f"task_owner_{case_id}",
            current.id,
            True,
            labels=worker_names,
        )
        if st.form_submit_button(tr("case.add_task")):
            done(cases.add_task, case_id, description, due, owner, flash_key="case.saved")
