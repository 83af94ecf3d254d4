"""Programmes and outcomes of the selected person: enrolment in school
completion or training, and what she achieved (diplomas, certificates, jobs)."""

import datetime as dt

import streamlit as st

from caremgmt.casework import outcomes
from caremgmt.core.clock import today
from caremgmt.registry import persons
from pages.ui import act, choice, database, page_header, person_line, tr, user

current = user()
person_id = page_header("achievements.title", "achievements_flash")


def done(action, *args) -> None:
    act(action, *args, flash_key="achievements_flash", message=tr("achievements.saved"))


def outcome_fields(prefix: str, kind: str | None) -> dict:
    """The fields an outcome needs; ``kind`` fixed by a programme, or chosen."""
    data = {"kind": kind or choice("outcome", "kind", outcomes.KINDS, "outcome", f"{prefix}_kind", required=True)}
    col1, col2 = st.columns(2)
    data["achieved_on"] = col1.date_input(
        tr("field.achieved_on"),
        today(),
        max_value=today(),
        min_value=dt.date(1950, 1, 1),
        format="DD/MM/YYYY",
        key=f"{prefix}_date",
    )
    data["institution"] = col2.text_input(tr("field.institution"), key=f"{prefix}_institution")
    col1, col2, col3 = st.columns(3)
    data["evidence"] = col1.text_input(tr("field.evidence"), key=f"{prefix}_evidence")
    data["course"] = col2.text_input(tr("field.course"), key=f"{prefix}_course")
    data["hours"] = col3.number_input(tr("field.hours"), 0, 5000, None, key=f"{prefix}_hours")
    data["description"] = st.text_input(tr("field.description"), key=f"{prefix}_description")
    return data


with database() as db:
    person = persons.get_person(db, current, person_id)
    enrolment_rows = outcomes.enrolments(db, current, person_id)
    outcome_rows = outcomes.person_outcomes(db, current, person_id)
st.subheader(person_line(person))

st.header(tr("achievements.enrolments"))
for row in enrolment_rows:
    st.markdown(
        f"**{tr('programme.' + row['programme'])}** · {tr('enrolment_status.' + row['status'])}"
        f" · {tr('achievements.applied_on', date=row['applied_on'])}"
    )
    following = outcomes.ENROLMENT_TRANSITIONS[row["status"]]
    if not following:
        continue
    columns = st.columns(len(following))
    for col, status in zip(columns, following, strict=True):
        if status == "completed":
            with col.popover(tr("enrolment_action.completed")), st.form(f"complete_form_{row['id']}"):
                data = outcome_fields(f"complete_{row['id']}", outcomes.PROGRAMMES[row["programme"]])
                if st.form_submit_button(tr("achievements.complete"), type="primary"):
                    done(outcomes.advance_enrolment, row["id"], "completed", data)
        elif col.button(tr(f"enrolment_action.{status}"), key=f"enrol_{row['id']}_{status}"):
            done(outcomes.advance_enrolment, row["id"], status)
with st.form("apply"):
    programme = choice("apply", "programme", tuple(outcomes.PROGRAMMES), "programme", "apply_programme", required=True)
    if st.form_submit_button(tr("achievements.apply")):
        done(outcomes.apply, person_id, programme, person["home_block"])

st.header(tr("achievements.outcomes"))
for row in outcome_rows:
    details = " · ".join(str(v) for v in (row["institution"], row["course"], row["description"], row["evidence"]) if v)
    st.markdown(f"**{tr('outcome.' + row['kind'])}** · {row['achieved_on']} · {details}")
with st.expander(tr("achievements.record")), st.form("outcome_new"):
    data = outcome_fields("outcome_new", None)
    if st.form_submit_button(tr("achievements.record"), type="primary"):
        done(outcomes.record_outcome, person_id, data)
