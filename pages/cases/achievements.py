"""Programmes and outcomes of the selected person: enrolment in school
completion or training, and what she achieved (diplomas, certificates, jobs)."""

import streamlit as st

from caremgmt.casework import outcomes
from caremgmt.core import policy
from caremgmt.core.clock import today
from caremgmt.core.i18n import format_date
from caremgmt.registry import persons
from pages.ui.actions import Form, page_header, read_or_stop, write
from pages.ui.formatting import literal, person_line
from pages.ui.session import db, tr, user
from pages.ui.widgets import ANY_DATE, choice, field_error

current = user()
person_id = page_header("achievements.title")
SAVED = tr("achievements.saved")


def outcome_fields(form: Form, kind: str | None) -> dict:
    """The fields an outcome needs; ``kind`` fixed by a programme, or chosen."""
    data = {"kind": kind or choice(form.scope, "kind", outcomes.KINDS, "outcome", form.key("kind"), required=True)}
    col1, col2 = st.columns(2)
    with col1:
        # Any date reaches the domain, which refuses one after today or before
        # her birth under the field (the widget would refuse it on its own, in English).
        data["achieved_on"] = st.date_input(
            tr("field.achieved_on"), today(), format="DD/MM/YYYY", key=form.key("date"), **ANY_DATE
        )
        field_error(form.scope, "achieved_on")
    with col2:
        data["institution"] = st.text_input(tr("field.institution"), key=form.key("institution"))
        field_error(form.scope, "institution")
    col1, col2, col3 = st.columns(3)
    with col1:
        data["evidence"] = st.text_input(tr("field.evidence"), key=form.key("evidence"))
        field_error(form.scope, "evidence")
    with col2:
        data["course"] = st.text_input(tr("field.course"), key=form.key("course"))
        field_error(form.scope, "course")
    with col3:
        data["hours"] = st.number_input(tr("field.hours"), value=None, step=1, key=form.key("hours"))
        field_error(form.scope, "hours")
    data["description"] = st.text_input(tr("field.description"), key=form.key("description"))
    field_error(form.scope, "description")
    return data


person = read_or_stop(lambda: persons.get_person(db(), current, person_id))
enrolment_rows = outcomes.enrolments(db(), current, person_id)
outcome_rows = outcomes.person_outcomes(db(), current, person_id)
st.subheader(literal(person_line(person)))

st.header(tr("achievements.enrolments"))
for row in enrolment_rows:
    st.markdown(
        f"**{tr('programme.' + row['programme'])}** · {tr('enrolment_status.' + row['status'])}"
        f" · {tr('achievements.applied_on', date=row['applied_on'])}"
    )
    following = outcomes.ENROLMENT_TRANSITIONS[row["status"]]
    if not following or not policy.permits(current, "case.write", row["block_code"] or person["home_block"]):
        continue
    columns = st.columns(len(following))
    advancing = Form("enrol")
    for col, status in zip(columns, following, strict=True):
        if status == "completed":
            completing = Form(f"complete_{row['id']}")
            with col.popover(tr("enrolment_action.completed")), st.form(completing.id):
                data = outcome_fields(completing, outcomes.PROGRAMMES[row["programme"]])
                if st.form_submit_button(tr("achievements.complete"), type="primary", key=completing.key()):
                    write(completing, outcomes.advance_enrolment, row["id"], "completed", data, done=SAVED)
        elif col.button(tr(f"enrolment_action.{status}"), key=advancing.key(f"{row['id']}_{status}")):
            write(advancing, outcomes.advance_enrolment, row["id"], status, done=SAVED)
# Programmes and outcomes are recorded at her home block, by its staff.
may_write = policy.permits(current, "case.write", person["home_block"])
if may_write:
    applying = Form("apply")
    with st.form(applying.id):
        programme = choice(
            applying.scope,
            "programme",
            tuple(outcomes.PROGRAMMES),
            "programme",
            applying.key("programme"),
            required=True,
        )
        if st.form_submit_button(tr("achievements.apply"), key=applying.key()):
            write(applying, outcomes.apply, person_id, programme, person["home_block"], done=SAVED)

st.header(tr("achievements.outcomes"))
for row in outcome_rows:
    details = " · ".join(
        literal(v) for v in (row["institution"], row["course"], row["description"], row["evidence"]) if v
    )
    st.markdown(f"**{tr('outcome.' + row['kind'])}** · {format_date(row['achieved_on'], current.language)} · {details}")
if may_write:
    recording = Form("outcome_new")
    with st.expander(tr("achievements.record")), st.form(recording.id):
        data = outcome_fields(recording, None)
        if st.form_submit_button(tr("achievements.record"), type="primary", key=recording.key()):
            write(recording, outcomes.record_outcome, person_id, data, done=SAVED)
