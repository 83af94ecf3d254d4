"""Login with a local account."""

import streamlit as st

from caremgmt.core import auth
from pages.ui.session import db, tr

st.title(tr("login.title"))
with st.form("login"):
    username = st.text_input(tr("field.username"), key="login_username")
    password = st.text_input(tr("field.password"), type="password", key="login_password")
    submitted = st.form_submit_button(tr("login.submit"), type="primary")

# Not a write through the write helper: a failed login is an answer, not a
# refusal (every attempt is audited by the domain), and a success changes
# the whole navigation.
if submitted:
    account = auth.authenticate(db(), username, password)
    if account is None:
        st.error(tr("login.failed"))
    else:
        st.session_state["user"] = account
        st.rerun()
