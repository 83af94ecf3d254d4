"""One search box: document number, phone or name; paged results."""

import streamlit as st

from caremgmt.registry.search import search_persons
from pages.ui.actions import open_person
from pages.ui.formatting import literal, person_line
from pages.ui.session import db, tr, user

st.title(tr("search.title"))
query = st.text_input(tr("search.box"), key="search_query", placeholder=tr("search.placeholder"))
if st.session_state.get("search_last_query") != query:
    st.session_state["search_last_query"] = query
    st.session_state["search_page"] = 0
page = st.session_state.get("search_page", 0)

result = search_persons(db(), user(), query, page=page)

if result.mode != "empty":
    if not result.rows:
        st.info(tr("search.none"))
        st.page_link("pages/desk/register.py", label=tr("search.register_new"), icon=":material/person_add:")
    elif result.mode == "fuzzy":
        st.caption(tr("search.fuzzy"))
    for person in result.rows:
        col1, col2 = st.columns([5, 1])
        role = tr("search.caregiver") if person["is_caregiver"] else tr("search.cared_for")
        col1.markdown(f"**{literal(person_line({**person, 'full_name': None}))}** · {role}")
        if col2.button(tr("common.open"), key=f"open_{person['id']}"):
            open_person(person["id"])
    col1, col2, col3 = st.columns([1, 1, 4])
    if page > 0 and col1.button(tr("common.previous"), key="search_prev"):
        st.session_state["search_page"] = page - 1
        st.rerun()
    if result.has_more and col2.button(tr("common.next"), key="search_next"):
        st.session_state["search_page"] = page + 1
        st.rerun()
    if result.rows:
        col3.caption(tr("search.page", page=page + 1))
