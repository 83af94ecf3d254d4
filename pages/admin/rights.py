"""A person's rights over her data (Ley 1581): access to all of it, as a
bundle; erasure, which one administrator asks with a reason and another
confirms, and the person is anonymised for good."""

import streamlit as st

from caremgmt.registry import access, persons, rights
from pages.ui.actions import Form, read_or_stop, selected, write
from pages.ui.formatting import literal, person_line
from pages.ui.session import db, language, tr, user
from pages.ui.widgets import field_error

current = user()
st.title(tr("rights.title"))
st.write(tr("rights.intro"))

person_id = selected("person")
if person_id is not None:
    person = read_or_stop(lambda: persons.get_person(db(), current, person_id))
    st.markdown(f"**{literal(person['full_name'])}** · {literal(person_line(person))}")
    st.subheader(tr("rights.access"), anchor=False)
    preparing = Form("access_bundle")
    access_reason = st.text_input(tr("rights.access_reason"), key=preparing.key("reason"), max_chars=300)
    field_error(preparing.scope, "reason")
    if st.button(tr("rights.prepare"), key=preparing.key("prepare")):
        write(
            preparing,
            access.access_bundle,
            person_id,
            reason=access_reason,
            language=language(),
            done=tr("rights.prepared"),
            then=lambda bundle: st.session_state.__setitem__("access_bundle", (person_id, bundle)),
        )
    prepared = st.session_state.get("access_bundle")
    if prepared and prepared[0] == person_id:
        st.download_button(
            tr("rights.download"), prepared[1], f"datos_{person_id}.zip", "application/zip", on_click="ignore"
        )
    st.subheader(tr("rights.request"), anchor=False)
    asking = Form("erasure_request")
    reason = st.text_area(tr("rights.reason"), key=asking.key("reason"), max_chars=500)
    field_error(asking.scope, "reason")
    field_error(asking.scope, "person")
    if st.button(tr("rights.ask"), type="primary", key=asking.key("ask")):
        write(asking, rights.request_erasure, person_id, reason, done=tr("rights.asked"))
else:
    st.info(tr("rights.open_from_file"))

st.subheader(tr("rights.pending"), anchor=False)
waiting = rights.pending(db(), current)
if not waiting:
    st.caption(tr("rights.none_pending"))
for request in waiting:
    with st.container(border=True):
        st.text(
            tr(
                "rights.pending_line",
                person=request["person_id"],
                name=request["requested_by"],
                at=request["requested_at"],
            )
        )
        st.text(request["reason"])  # typed by an administrator: plain text
        confirming = Form(f"erasure_confirm_{request['id']}")
        field_error(confirming.scope, "confirm")
        if request["requester_id"] == current.id:
            st.caption(tr("rights.another_admin"))
        elif st.button(tr("rights.confirm"), type="primary", key=confirming.key("confirm")):
            write(confirming, rights.confirm_erasure, request["id"], done=tr("rights.erased"))
