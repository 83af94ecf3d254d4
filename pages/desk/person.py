"""A person's file: details and edits, people cared for, consents, history."""

import streamlit as st

from caremgmt.casework import timeline
from caremgmt.casework.outcomes import PROGRAMMES
from caremgmt.core import reference
from caremgmt.core.clock import to_local
from caremgmt.core.errors import CareError, DuplicateDocument, ProbableDuplicates, ValidationError
from caremgmt.registry import persons, vocab
from caremgmt.registry.validation import format_phone
from caremgmt.scheduling import attendance, booking
from caremgmt.scheduling.carehours import care_hours_freed
from pages.ui import (
    SEARCH_PAGE,
    cared_person_fields,
    caregiver_fields,
    database,
    label,
    open_person,
    person_line,
    service_label,
    session_line,
    set_errors,
    show_error,
    tr,
    user,
)

current = user()
if flash := st.session_state.pop("flash", None):
    st.success(flash)
person_id = st.session_state.get("person_id")
if person_id is None:
    st.title(tr("person.title"))
    st.info(tr("person.none_selected"))
    st.page_link(SEARCH_PAGE, label=tr("nav.search"), icon=":material/search:")
    st.stop()


def done(message_key: str) -> None:
    st.session_state["flash"] = tr(message_key)
    st.rerun()


with database() as db:
    person = persons.get_person(db, current, person_id)
    localities = reference.localities(db)
    blocks = reference.blocks(db, include_closed=True)
    history = persons.person_history(db, current, person_id)
    bookings = booking.person_bookings(db, current, person_id)
    attended = attendance.summary(db, current, person_id)
    freed = care_hours_freed(db, person_id=person_id)

st.title(person["full_name"])
kind = tr("search.caregiver") if person["is_caregiver"] else tr("search.cared_for")
st.caption(f"{person_line(person)} · {kind}")
if attended["flagged"]:
    st.warning(tr("person.absence_flag", n=attended["absence_streak"]))
col1, col2, col3, col4 = st.columns(4)
if col1.button(tr("person.book_activity"), icon=":material/event_available:", key="to_book"):
    st.switch_page("pages/activities/book.py")
if person["is_caregiver"] and col2.button(
    tr("person.book_laundry"), icon=":material/local_laundry_service:", key="to_laundry"
):
    st.switch_page("pages/activities/laundry.py")
if col3.button(tr("person.open_case"), icon=":material/folder_shared:", key="to_case"):
    st.switch_page("pages/cases/case.py")
if col4.button(tr("person.achievements"), icon=":material/school:", key="to_achievements"):
    st.switch_page("pages/cases/achievements.py")
# Tracked tabs keep their place across reruns; the timeline (which may show
# case notes, an audited opening) renders only when it is the one open.
activities, timeline_tab, details, people, consents_tab, history_tab = st.tabs(
    [
        tr("person.tab_activities"),
        tr("person.tab_timeline"),
        tr("person.tab_details"),
        tr("person.tab_people"),
        tr("person.tab_consents"),
        tr("person.tab_history"),
    ],
    key="person_tabs",
    on_change="rerun",
)

with timeline_tab:
    events = []
    if timeline_tab.open:
        with database() as db:
            events = timeline.person_timeline(db, current, person_id)
    for event in events:
        detail = event["detail"] or ""
        if event["kind"].split("_")[0] in ("booking", "laundry", "attendance", "referral") and "|" in detail:
            detail = detail.split("|")[1 if current.language == "en" else 0]  # a service name in both languages
        elif event["kind"] == "outcome":
            detail = tr(f"outcome.{detail}") + (f" · {event['ref']}" if event["ref"] else "")
        elif event["kind"].startswith("enrolment") or (event["kind"].startswith("referral") and detail in PROGRAMMES):
            detail = tr(f"programme.{detail}")
        elif event["kind"] == "case_opened":
            detail = tr(f"priority.{detail}")
        st.markdown(f"**{event['at'][:16].replace('T', ' ')}** · {tr('timeline.' + event['kind'])} · {detail}")

with activities:
    col1, col2, col3, col4 = st.columns(4)
    col1.metric(tr("attendance.present"), attended["counts"]["present"])
    col2.metric(tr("attendance.excused"), attended["counts"]["excused"])
    col3.metric(tr("attendance.absent"), attended["counts"]["absent"])
    col4.metric(tr("person.care_hours"), f"{freed.hours:g} h")
    st.subheader(tr("person.upcoming"))
    if not bookings:
        st.caption(tr("person.no_bookings"))
    for row in bookings:
        col1, col2, col3 = st.columns([4, 2, 1])
        col1.markdown(session_line({**row, "room": None}))
        if row["status"] == "waitlisted":
            col2.markdown(tr("book.waitlisted", position=row["position"]))
        elif row["load_status"]:
            col2.markdown(tr(f"load_status.{row['load_status']}"))
        else:
            col2.markdown(tr("book.booked"))
        if col3.button(tr("person.cancel_booking"), key=f"cancel_booking_{row['participant_id']}"):
            with database() as db:
                try:
                    booking.cancel(db, current, row["participant_id"])
                except CareError as e:
                    show_error(e)
                else:
                    done("person.booking_cancelled")
    if attended["recent"]:
        st.subheader(tr("person.recent_attendance"))
        st.dataframe(
            [
                {
                    tr("history.at"): r["starts_at"].replace("T", " "),
                    tr("book.service"): service_label(r),
                    tr("roster.status"): tr(f"attendance.{r['status']}"),
                }
                for r in attended["recent"]
            ],
            hide_index=True,
            width="stretch",
        )

with details:
    shown = {
        "doc_type": label("doc_type", person["doc_type"]),
        "doc_number": person["doc_number"] or "—",
        "birth_date": person["birth_date"],
        "sex": label("sex", person["sex"]),
        "gender_identity": label("gender_identity", person["gender_identity"]),
        "phone": format_phone(person["phone"]) or "—",
        "locality_code": localities.get(person["locality_code"], "—"),
        "neighbourhood": person["neighbourhood"] or "—",
        "stratum": person["stratum"] or "—",
        "ethnicity": label("ethnicity", person["ethnicity"]),
        "disability": label("disability", person["disability"]),
        "migrant_status": label("migrant_status", person["migrant_status"]),
        "education_level": label("education_level", person["education_level"]),
        "care_hours_per_day": person["care_hours_per_day"] if person["care_hours_per_day"] is not None else "—",
        "registration_channel": label("channel", person["registration_channel"]),
        "home_block": {b["code"]: b["name"] for b in blocks}.get(person["home_block"], "—"),
    }
    col1, col2 = st.columns(2)
    for i, (field, value) in enumerate(shown.items()):
        (col1 if i % 2 == 0 else col2).markdown(f"**{tr('field.' + field)}:** {value}")
    with st.expander(tr("person.edit"), icon=":material/edit:"), st.form(f"edit_{person_id}"):
        prefix = f"edit{person_id}_"
        if person["is_caregiver"]:
            changes = caregiver_fields("edit", prefix, localities, blocks, person)
        else:
            changes = cared_person_fields("edit", prefix, current=person, link=False)
        if st.form_submit_button(tr("person.save"), type="primary"):
            with database() as db:
                try:
                    persons.update_person(db, current, person_id, changes)
                except ValidationError as e:
                    set_errors("edit", e)
                    st.rerun()
                except CareError as e:
                    show_error(e)
                else:
                    set_errors("edit", None)
                    done("person.saved")

with people:
    for side, title, rows in (
        ("cares", tr("person.cares_for"), person["cares_for"]),
        ("cared", tr("person.cared_by"), person["cared_by"]),
    ):
        if not rows:
            continue
        st.subheader(title)
        for row in rows:
            col1, col2 = st.columns([5, 1])
            col1.markdown(
                f"**{person_line(row)}** · {label('relationship', row['relationship'])}"
                f" · {label('care_need', row['care_need'])}"
            )
            # Two people may care for each other: the key names the list too.
            if col2.button(tr("common.open"), key=f"open_{side}_{row['id']}"):
                open_person(row["id"])
    st.subheader(tr("person.add_dependent"))
    with st.form(f"dependent_{person_id}", clear_on_submit=False):
        dependent = cared_person_fields("dep", f"dep{person_id}_", "dependents.0.")
        add_clicked = st.form_submit_button(tr("person.add_dependent_submit"))

    def add(data: dict, confirmed_new: bool = False) -> None:
        with database() as db:
            try:
                persons.add_dependent(db, current, person_id, data, confirmed_new=confirmed_new)
            except ValidationError as e:
                set_errors("dep", e)
                st.rerun()
            except (DuplicateDocument, ProbableDuplicates) as e:
                set_errors("dep", None)
                st.session_state[f"dep_outcome_{person_id}"] = e
                st.rerun()
        set_errors("dep", None)
        st.session_state.pop(f"dep_outcome_{person_id}", None)
        done("person.dependent_added")

    if add_clicked:
        add(dependent)
    outcome = st.session_state.get(f"dep_outcome_{person_id}")
    if outcome is not None:
        candidates = [outcome.person] if isinstance(outcome, DuplicateDocument) else outcome.matches
        show_error(outcome)
        link_fields = {"relationship": dependent["relationship"], "care_need": dependent["care_need"]}
        for match in candidates:
            col1, col2 = st.columns([5, 1])
            col1.markdown(f"**{person_line(match)}**")
            if col2.button(tr("person.link_this"), key=f"link_{match['id']}"):
                add({"existing_person_id": match["id"], **link_fields})
        if isinstance(outcome, ProbableDuplicates) and st.button(tr("register.confirm_different"), key="dep_new"):
            add(dependent, confirmed_new=True)

with consents_tab:
    active = {c["purpose"] for c in person["consents"] if not c["withdrawn_at"]}
    for consent in person["consents"]:
        col1, col2 = st.columns([5, 1])
        status = (
            tr("consent.withdrawn_on", at=to_local(consent["withdrawn_at"])[:10])
            if consent["withdrawn_at"]
            else tr("consent.active")
        )
        col1.markdown(
            f"**{tr('consent.' + consent['purpose'] + '.label')}** · {tr('consent.given_on', at=to_local(consent['given_at'])[:10])}"
            f" · v{consent['text_version']} · {status}"
        )
        if not consent["withdrawn_at"] and col2.button(tr("consent.withdraw"), key=f"withdraw_{consent['id']}"):
            with database() as db:
                persons.withdraw_consent(db, current, consent["id"])
            done("consent.withdrawn")
    for purpose in vocab.CONSENT_PURPOSES:
        if purpose not in active and st.button(
            tr("consent.give", purpose=tr(f"consent.{purpose}.label")), key=f"give_{purpose}"
        ):
            with database() as db:
                persons.give_consent(db, current, person_id, purpose)
            done("consent.given")

with history_tab:
    st.dataframe(
        [
            {
                tr("history.at"): to_local(entry["at"]),
                tr("history.user"): entry["username"],
                tr("history.action"): tr(f"action.{entry['action']}"),
                tr("history.record"): tr(f"entity.{entry['entity']}"),
                tr("history.changes"): ", ".join(sorted((entry["new_values"] or {}).keys())),
            }
            for entry in history
        ],
        hide_index=True,
        width="stretch",
    )
