"""The case of the selected person: assessment, plan, notes, referrals and tasks."""

import datetime as dt

import altair as alt
import pandas as pd
import streamlit as st

from caremgmt.casework import cases, institutions, referrals
from caremgmt.casework.outcomes import PROGRAMMES
from caremgmt.core import policy
from caremgmt.core.clock import to_local, today
from caremgmt.core.i18n import format_date, vega_locale, vega_time_format
from caremgmt.registry import persons
from caremgmt.scheduling import catalogue, timetable
from pages.ui import charts
from pages.ui.actions import Form, page_header, read_or_stop, write
from pages.ui.formatting import literal, person_line, service_label, session_line
from pages.ui.session import db, tr, user
from pages.ui.widgets import choice, field_error, labeller

current = user()
person_id = page_header("case.title")

person = read_or_stop(lambda: persons.get_person(db(), current, person_id))
case = read_or_stop(lambda: cases.current_case(db(), current, person_id))  # another block's open case: refused
case_block = case["block_code"] if case else person["home_block"]
workers = cases.case_workers(db(), current, case_block) if policy.permits(current, "case.read", case_block) else []
worker_names = {w["id"]: w["username"] for w in workers}
st.subheader(literal(person_line(person)))

if case is None or case["status"] == "closed":
    if case:
        st.caption(tr("case.last_closed", at=to_local(case["closed_at"])))
        st.text(case["close_reason"])  # typed by a person: plain text
    if not policy.permits(current, "case.write", person["home_block"]):  # a case opens at her home block
        st.info(tr("error.other_block"))
        st.stop()
    opening = Form("case_new")
    with st.form(opening.id):
        priority = choice(
            opening.scope, "priority", cases.PRIORITIES, "priority", opening.key("priority"), "medium", True
        )
        worker = choice(
            opening.scope,
            "case_worker_id",
            tuple(worker_names),
            None,
            opening.key("worker"),
            current.id,
            True,
            labels=worker_names,
        )
        if st.form_submit_button(tr("case.open"), type="primary", key=opening.key()):
            write(opening, cases.open_case, person_id, priority=priority, case_worker_id=worker, done=tr("case.opened"))
    st.stop()

case_id = case["id"]
col1, col2, col3 = st.columns(3)
col1.metric(tr("field.priority"), tr(f"priority.{case['priority']}"))
col2.metric(tr("field.case_worker_id"), literal(case["case_worker"] or "—"))
col3.metric(tr("case.opened_on"), format_date(to_local(case["opened_at"]), current.language))
with st.expander(tr("case.manage")):
    editing = Form(f"case_edit_{case_id}")
    with st.form(editing.id):
        new_priority = choice(
            editing.scope, "priority", cases.PRIORITIES, "priority", editing.key("priority"), case["priority"], True
        )
        new_worker = choice(
            editing.scope,
            "case_worker_id",
            tuple(worker_names),
            None,
            editing.key("worker"),
            case["case_worker_id"],
            True,
            labels=worker_names,
        )
        if st.form_submit_button(tr("case.save"), key=editing.key()):
            write(
                editing,
                cases.update_case,
                case_id,
                priority=new_priority,
                case_worker_id=new_worker,
                done=tr("case.saved"),
            )
    # In a form, so the reason typed travels with the click that closes the case.
    closing = Form(f"close_{case_id}")
    with st.form(closing.id):
        reason = st.text_input(tr("field.close_reason"), key=closing.key("reason"))
        field_error(closing.scope, "close_reason")
        if st.form_submit_button(tr("case.close"), key=closing.key()):
            write(closing, cases.close_case, case_id, reason, done=tr("case.closed"))

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
    history = cases.assessments(db(), current, case_id)
    if history:
        frame = pd.DataFrame(history).melt(id_vars=["id", "assessed_on"], var_name="domain", value_name="score")
        frame["domain"] = frame["domain"].map(lambda d: tr(f"domain.{d}"))
        chart = (
            alt.Chart(frame)
            .mark_line(point=True)
            .encode(
                x=alt.X(
                    "assessed_on:T",
                    timeUnit="utcyearmonthdate",  # an ISO date is UTC midnight: keep its day in Bogotá
                    title=tr("case.assessed_on"),
                    # One tick per assessment, dated in the user's language with its year
                    # ("23 de mar de 2026"): no in-between ticks repeating a day or reading "Mon 23".
                    axis=alt.Axis(
                        format=vega_time_format(current.language, "yMMMd"),
                        values=[
                            alt.DateTime(year=day.year, month=day.month, date=day.day, utc=True)
                            for day in sorted({dt.date.fromisoformat(d[:10]) for d in frame["assessed_on"]})
                        ],
                        labelOverlap=True,
                    ),
                ),
                y=alt.Y(
                    "score:Q",
                    title=tr("case.score"),
                    scale=alt.Scale(domain=[1, 5]),
                    axis=alt.Axis(values=[1, 2, 3, 4, 5], format="d"),  # the scale's five points, not "1.0"
                ),
                color=alt.Color("domain:N", title=tr("case.domain")),
                tooltip=[
                    alt.Tooltip("domain:N", title=tr("case.domain")),
                    alt.Tooltip(
                        "assessed_on:T",
                        timeUnit="utcyearmonthdate",
                        title=tr("case.assessed_on"),
                        format=vega_time_format(current.language, "yMMMd"),
                    ),
                    alt.Tooltip("score:Q", title=tr("case.score")),
                ],
            )
            .configure(locale=vega_locale(current.language))
        )
        charts.show(chart)
    st.caption(tr("case.scale"))
    assessing = Form(f"assessment_{case_id}")
    with st.form(assessing.id):
        scores = {}
        for col, domain in zip(st.columns(len(cases.DOMAINS)), cases.DOMAINS, strict=True):
            with col:
                scores[domain] = st.number_input(tr(f"domain.{domain}"), 1, 5, 3, key=assessing.key(domain))
                field_error(assessing.scope, f"score.{domain}")
        if st.form_submit_button(tr("case.save_assessment"), key=assessing.key()):
            write(
                assessing,
                cases.record_assessment,
                case_id,
                {d: int(v) for d, v in scores.items()},
                done=tr("case.assessment_saved"),
            )

with plan_tab:
    goal_rows = cases.goals(db(), current, case_id)
    deciding = Form("goal_status")
    for goal in goal_rows:
        col1, col2, col3 = st.columns([5, 1, 1])
        col1.markdown(
            f"**{tr('domain.' + goal['domain'])}** · {literal(goal['description'])}"
            f" · {tr('case.target', date=goal['target_date'])}"
            f" · {tr('goal_status.' + goal['status'])}"
        )
        if goal["status"] == "open":
            if col2.button(tr("goal_status.achieved"), key=deciding.key(f"{goal['id']}_achieved")):
                write(deciding, cases.set_goal_status, goal["id"], "achieved", done=tr("case.saved"))
            if col3.button(tr("goal_status.dropped"), key=deciding.key(f"{goal['id']}_dropped")):
                write(deciding, cases.set_goal_status, goal["id"], "dropped", done=tr("case.saved"))
    planning = Form(f"goal_{case_id}")
    with st.form(planning.id):
        domain = choice(planning.scope, "domain", cases.DOMAINS, "domain", planning.key("domain"), required=True)
        description = st.text_input(tr("field.description"), key=planning.key("description"))
        field_error(planning.scope, "description")
        target = st.date_input(
            tr("field.target_date"),
            today() + dt.timedelta(days=90),
            format="DD/MM/YYYY",
            key=planning.key("target_date"),
        )
        field_error(planning.scope, "target_date")
        if st.form_submit_button(tr("case.add_goal"), key=planning.key()):
            write(planning, cases.add_goal, case_id, domain, description, target, done=tr("case.saved"))


def show_notes() -> None:
    note_rows = cases.notes(db(), current, case_id)
    for note in note_rows:
        badge = f" · :red[{tr('case.confidential')}]" if note["confidential"] else ""
        fix = f" · {tr('case.corrects', id=note['corrects_note_id'])}" if note["corrects_note_id"] else ""
        fixed = f" · :orange[{tr('case.corrected_by', id=note['corrected_by'])}]" if note["corrected_by"] else ""
        author = literal(note["author"])
        st.markdown(f"**#{note['id']}** · {to_local(note['written_at'])} · {author}{badge}{fix}{fixed}")
        st.text(note["body"])
    noting = Form(f"note_{case_id}")
    with st.form(noting.id):
        body = st.text_area(tr("field.body"), key=noting.key("body"))
        field_error(noting.scope, "body")
        confidential = st.checkbox(tr("case.mark_confidential"), key=noting.key("confidential"))
        note_ids = [n["id"] for n in note_rows]
        corrects = st.selectbox(
            tr("case.correcting"),
            [None, *note_ids],
            key=noting.key("corrects"),
            format_func=labeller([None, *note_ids], lambda i: tr("case.new_note") if i is None else f"#{i}"),
            placeholder=tr("common.choose"),
        )
        if st.form_submit_button(tr("case.add_note"), key=noting.key()):
            write(
                noting,
                cases.add_note,
                case_id,
                body,
                confidential=confidential,
                corrects=corrects,
                done=tr("case.note_saved"),
            )


with notes_tab:
    if notes_tab.open:
        show_notes()

with referrals_tab:
    referral_rows = referrals.case_referrals(db(), current, case_id)
    outside = institutions.list_institutions(db())
    service_rows = [s for s in catalogue.list_services(db()) if s["kind"] == "activity"]
    following = Form("ref_status")
    for row in referral_rows:
        target = row["institution"] or (service_label(row) if row["name_es"] else tr(f"programme.{row['programme']}"))
        target = literal(target)  # an institution's or a service's name, as typed
        late = f" · :red[{tr('case.overdue')}]" if row["overdue"] else ""
        col1, col2 = st.columns([4, 2])
        col1.markdown(
            f"**{target}** · {tr('referral_status.' + row['status'])} · {tr('case.sent_on', date=row['sent_on'])}"
            f" · {tr('case.due_on', date=row['due_on'])}{late}"
        )
        for status in referrals.TRANSITIONS[row["status"]]:
            if col2.button(tr(f"referral_action.{status}"), key=following.key(f"{row['id']}_{status}")):
                write(following, referrals.set_status, row["id"], status, done=tr("case.saved"))
    st.subheader(tr("case.new_referral"))
    referring = Form(f"ref_{case_id}")
    # What kind of target (and, for a session, which service) decides what the
    # form asks, so those two rerun the page and sit outside it. The reason and
    # the target are inside: they travel with the click on "Remitir" in one
    # message, so a value typed just before the click cannot be left behind.
    kind = st.radio(
        tr("case.referral_to"),
        ["external", "session", "programme"],
        horizontal=True,
        key=referring.key("kind"),
        format_func=labeller(["external", "session", "programme"], lambda k: tr(f"referral_kind.{k}")),
    )
    upcoming = []
    if kind == "session":
        services = {s["id"]: s for s in service_rows}
        service = choice(
            referring.scope,
            "service_id",
            tuple(services),
            None,
            referring.key("service"),
            required=True,
            labels={i: service_label(s) for i, s in services.items()},
        )
        if service:
            upcoming = [
                s
                for s in timetable.sessions_between(
                    db(), current, person["home_block"], today(), today() + dt.timedelta(days=28), service_id=service
                )
                if s["status"] == "scheduled"
            ]
    with st.form(referring.id):
        reason = st.text_input(tr("field.reason"), key=referring.key("reason"))
        field_error(referring.scope, "reason")
        target = {}
        if kind == "external":
            by_id = {i["id"]: i for i in outside}
            target["institution_id"] = choice(
                referring.scope,
                "institution_id",
                tuple(by_id),
                None,
                referring.key("institution"),
                required=True,
                labels={i: by_id[i]["name"] for i in by_id},
            )
        elif kind == "session":
            sessions = {s["id"]: s for s in upcoming}
            target["session_id"] = choice(
                referring.scope,
                "session_id",
                tuple(sessions),
                None,
                referring.key("session"),
                required=True,
                labels={i: session_line(s) for i, s in sessions.items()},
            )
        else:
            target["programme"] = choice(
                referring.scope, "programme", tuple(PROGRAMMES), "programme", referring.key("programme"), required=True
            )
        field_error(referring.scope, "target")
        if st.form_submit_button(tr("case.send_referral"), type="primary", key=referring.key()):
            write(referring, referrals.make_referral, case_id, reason=reason, done=tr("case.referral_sent"), **target)

with tasks_tab:
    task_rows = cases.tasks(db(), current, case_id)
    finishing = Form("task_done")
    for task in task_rows:
        col1, col2 = st.columns([5, 1])
        late = (
            f" · :red[{tr('case.overdue')}]"
            if task["status"] == "open" and task["due_on"] < today().isoformat()
            else ""
        )
        strike = "~~" if task["status"] == "done" else ""
        col1.markdown(
            f"{strike}{literal(task['description'])}{strike}"
            f" · {literal(task['owner'])} · {tr('case.due_on', date=task['due_on'])}{late}"
        )
        if task["status"] == "open" and col2.button(tr("case.task_done"), key=finishing.key(task["id"])):
            write(finishing, cases.complete_task, task["id"], done=tr("case.saved"))
    tasking = Form(f"task_{case_id}")
    with st.form(tasking.id):
        description = st.text_input(tr("field.description"), key=tasking.key("description"))
        field_error(tasking.scope, "description")
        due = st.date_input(
            tr("field.due_on"), today() + dt.timedelta(days=7), format="DD/MM/YYYY", key=tasking.key("due_on")
        )
        field_error(tasking.scope, "due_on")
        owner = choice(
            tasking.scope,
            "owner_id",
            tuple(worker_names),
            None,
            tasking.key("owner"),
            current.id,
            True,
            labels=worker_names,
        )
        if st.form_submit_button(tr("case.add_task"), key=tasking.key()):
            write(tasking, cases.add_task, case_id, description, due, owner, done=tr("case.saved"))
