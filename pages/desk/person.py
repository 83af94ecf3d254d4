"""A person's file: details and edits, people cared for, consents, history."""

import streamlit as st

from caremgmt.casework import timeline
from caremgmt.core import personal_keys, policy, reference
from caremgmt.core.clock import to_local
from caremgmt.core.errors import DuplicateDocument, ProbableDuplicates
from caremgmt.core.i18n import format_number
from caremgmt.registry import persons, vocab
from caremgmt.registry.validation import format_phone
from caremgmt.scheduling import attendance, booking
from caremgmt.scheduling.carehours import care_hours_freed
from pages.ui.actions import SEARCH_PAGE, Form, open_page, open_person, read_or_stop, selected, write
from pages.ui.formatting import label, literal, person_line, service_label, session_line
from pages.ui.person_fields import cared_person_fields, caregiver_fields
from pages.ui.session import db, tr, user

current = user()
person_id = selected("person")
if person_id is None:
    st.title(tr("person.title"))
    st.info(tr("person.none_selected"))
    st.page_link(SEARCH_PAGE, label=tr("nav.search"), icon=":material/search:")
    st.stop()

person = read_or_stop(lambda: persons.get_person(db(), current, person_id))
localities = reference.localities(db())
blocks = reference.blocks(db(), include_closed=True)
bookings = booking.person_bookings(db(), current, person_id)
attended = attendance.summary(db(), current, person_id)
freed = care_hours_freed(db(), person_id=person_id)

# Names, places and numbers as typed: literal inside markdown.
st.title(literal(person["full_name"]))
kind = tr("search.caregiver") if person["is_caregiver"] else tr("search.cared_for")
st.caption(f"{literal(person_line(person))} · {kind}")
if person["registration_withdrawn_on"]:
    st.error(tr("person.registration_withdrawn", date=person["registration_withdrawn_on"]), icon=":material/block:")
    if policy.permits(current, "person.erase") and st.button(tr("person.offer_erasure"), key="to_erasure"):
        open_page("pages/admin/rights.py", person_id)
if attended["flagged"]:
    st.warning(tr("person.absence_flag", n=attended["absence_streak"]))
col1, col2, col3, col4 = st.columns(4)
if col1.button(tr("person.book_activity"), icon=":material/event_available:", key="to_book"):
    open_page("pages/activities/book.py", person_id)
if person["is_caregiver"] and col2.button(
    tr("person.book_laundry"), icon=":material/local_laundry_service:", key="to_laundry"
):
    open_page("pages/activities/laundry.py", person_id)
if col3.button(tr("person.open_case"), icon=":material/folder_shared:", key="to_case"):
    open_page("pages/cases/case.py", person_id)
if col4.button(tr("person.achievements"), icon=":material/school:", key="to_achievements"):
    open_page("pages/cases/achievements.py", person_id)
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
        events = timeline.person_timeline(db(), current, person_id)
    for event in events:
        # The date (Bogotá time) is ours to format; the description may hold what
        # someone typed (a note, a reason, a name), so it is plain text.
        when, what = st.columns([1, 4])
        when.markdown(f"**{timeline.when(event, current.language)}**")
        what.text(timeline.describe(event, current.language))

with activities:
    col1, col2, col3, col4 = st.columns(4)
    col1.metric(tr("attendance.present"), attended["counts"]["present"])
    col2.metric(tr("attendance.excused"), attended["counts"]["excused"])
    col3.metric(tr("attendance.absent"), attended["counts"]["absent"])
    col4.metric(tr("person.care_hours"), f"{format_number(freed.hours, current.language, decimals=1)} h")
    st.subheader(tr("person.upcoming"))
    if not bookings:
        st.caption(tr("person.no_bookings"))
    cancelling = Form("cancel_booking")
    for row in bookings:
        col1, col2, col3 = st.columns([4, 2, 1])
        col1.markdown(literal(session_line({**row, "room": None})))
        if row["status"] == "waitlisted":
            col2.markdown(tr("book.waitlisted", position=row["position"]))
        elif row["load_status"]:
            col2.markdown(tr(f"load_status.{row['load_status']}"))
        else:
            col2.markdown(tr("book.booked"))
        if col3.button(tr("person.cancel_booking"), key=cancelling.key(row["participant_id"])):
            write(cancelling, booking.cancel, row["participant_id"], done=tr("person.booking_cancelled"))
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
        (col1 if i % 2 == 0 else col2).markdown(f"**{tr('field.' + field)}:** {literal(value)}")
    editing = Form(f"edit{person_id}")
    with st.expander(tr("person.edit"), icon=":material/edit:"), st.form(editing.id):
        if person["is_caregiver"]:
            changes = caregiver_fields(editing.scope, editing.key, localities, blocks, person)
        else:
            changes = cared_person_fields(editing.scope, editing.key, current=person, link=False)
        if st.form_submit_button(tr("person.save"), type="primary", key=editing.key()):
            write(editing, persons.update_person, person_id, changes, done=tr("person.saved"))

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
                f"**{literal(person_line(row))}** · {label('relationship', row['relationship'])}"
                f" · {label('care_need', row['care_need'])}"
                + (f" · {tr('person.legal_representative_short')}" if row["legal_representative"] else "")
            )
            # Two people may care for each other: the key names the list too.
            if col2.button(tr("common.open"), key=f"open_{side}_{row['id']}"):
                open_person(row["id"])
    st.subheader(tr("person.add_dependent"))
    adding = Form(f"dep{person_id}")
    outcome_key = f"dep_outcome_{person_id}"
    with st.form(adding.id, clear_on_submit=False):
        dependent = cared_person_fields(adding.scope, adding.key, "dependents.0.")
        add_clicked = st.form_submit_button(tr("person.add_dependent_submit"), key=adding.key())

    def ask(outcome: DuplicateDocument | ProbableDuplicates) -> None:
        """Someone like her is registered: ask whether to link her or add a new person."""
        st.session_state[outcome_key] = outcome

    def add(data: dict, confirmed_new: bool = False) -> None:
        write(
            adding,
            persons.add_dependent,
            person_id,
            data,
            confirmed_new=confirmed_new,
            done=tr("person.dependent_added"),
            then=lambda _: st.session_state.pop(outcome_key, None),
            outcomes={DuplicateDocument: ask, ProbableDuplicates: ask},
        )

    if add_clicked:
        add(dependent)
    outcome = st.session_state.get(outcome_key)
    if outcome is not None:
        candidates = [outcome.person] if isinstance(outcome, DuplicateDocument) else outcome.matches
        st.error(literal(outcome.message.render(current.language)))
        link_fields = {k: dependent[k] for k in ("relationship", "care_need", "legal_representative")}
        for match in candidates:
            col1, col2 = st.columns([5, 1])
            col1.markdown(f"**{literal(person_line(match))}**")
            if col2.button(tr("person.link_this"), key=adding.key(f"link_{match['id']}")):
                add({"existing_person_id": match["id"], **link_fields})
        if isinstance(outcome, ProbableDuplicates) and st.button(
            tr("register.confirm_different"), key=adding.key("new")
        ):
            add(dependent, confirmed_new=True)

with consents_tab:
    active = {c["purpose"] for c in person["consents"] if not c["withdrawn_at"]}
    withdrawing, giving = Form("withdraw"), Form("give")
    for consent in person["consents"]:
        col1, col2 = st.columns([5, 1])
        status = (
            tr("consent.withdrawn_on", at=to_local(consent["withdrawn_at"])[:10])
            if consent["withdrawn_at"]
            else tr("consent.active")
        )
        col1.markdown(
            f"**{tr('consent.' + consent['purpose'] + '.label')}**"
            f" · {tr('consent.given_on', at=to_local(consent['given_at'])[:10])}"
            f" · v{consent['text_version']} · {status}"
        )
        if not consent["withdrawn_at"] and col2.button(tr("consent.withdraw"), key=withdrawing.key(consent["id"])):
            write(withdrawing, persons.withdraw_consent, consent["id"], done=tr("consent.withdrawn"))
    for purpose in vocab.CONSENT_PURPOSES:
        if purpose not in active and st.button(
            tr("consent.give", purpose=tr(f"consent.{purpose}.label")), key=giving.key(purpose)
        ):
            write(giving, persons.give_consent, person_id, purpose, done=tr("consent.given"))

with history_tab:
    # Reading the audit log is itself audited: only when the tab is the one open.
    history = persons.person_history(db(), current, person_id) if history_tab.open else []
    st.dataframe(
        [
            {
                tr("history.at"): to_local(entry["at"]),
                tr("history.user"): entry["username"],
                tr("history.action"): tr(f"action.{entry['action']}"),
                tr("history.record"): tr(f"entity.{entry['entity']}"),
                tr("history.changes"): tr("history.shredded")
                if entry["new_values"] == personal_keys.SHREDDED
                else ", ".join(sorted((entry["new_values"] or {}).keys())),
            }
            for entry in history
        ],
        hide_index=True,
        width="stretch",
    )
