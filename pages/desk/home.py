"""Start page: who is logged in and where to go next."""

import streamlit as st

from caremgmt.core import policy
from pages.ui.actions import SEARCH_PAGE
from pages.ui.formatting import literal
from pages.ui.session import tr, user

current = user()
st.title(tr("home.title", name=literal(current.username)))
st.write(tr(f"home.role_intro.{current.role}"))
if policy.permits(current, "person.read"):
    st.page_link(SEARCH_PAGE, label=tr("nav.search"), icon=":material/search:")
    st.page_link("pages/desk/register.py", label=tr("nav.register"), icon=":material/person_add:")
    st.page_link("pages/activities/day.py", label=tr("nav.day"), icon=":material/today:")
if policy.permits(current, "impact.read"):
    st.page_link("pages/impact/impact.py", label=tr("nav.impact"), icon=":material/insights:")
if policy.permits(current, "export.run"):
    st.page_link("pages/impact/exports.py", label=tr("nav.exports"), icon=":material/download:")
