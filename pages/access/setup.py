"""First run: create the first administrator, optionally load demo data."""

import streamlit as st

from caremgmt.core import auth
from caremgmt.core.errors import ValidationError
from caremgmt.core.i18n import Message
from caremgmt.tools import demo
from pages.ui import database, field_error, language, set_errors, tr

SCOPE = "setup"
DEMO_PERSONS = 300

st.title(tr("setup.title"))
st.write(tr("setup.intro"))
with st.form("setup"):
    username = st.text_input(tr("field.username"), key="setup_username")
    field_error(SCOPE, "username")
    password = st.text_input(tr("field.password"), type="password", key="setup_password")
    field_error(SCOPE, "password")
    repeat = st.text_input(tr("field.password_repeat"), type="password", key="setup_repeat")
    field_error(SCOPE, "password_repeat")
    load_demo = st.checkbox(tr("setup.load_demo", n=DEMO_PERSONS), key="setup_demo")
    submitted = st.form_submit_button(tr("setup.submit"), type="primary")

if submitted:
    if password != repeat:
        set_errors(SCOPE, ValidationError({"password_repeat": Message("error.password_mismatch")}))
        st.rerun()
    with database() as db:
        try:
            admin = auth.create_first_admin(db, username, password, language())
        except ValidationError as e:
            set_errors(SCOPE, e)
            st.rerun()
        if load_demo:
            with st.spinner(tr("setup.loading_demo")):
                demo.generate(db, DEMO_PERSONS, seed=1, actor=admin)
    set_errors(SCOPE, None)
    st.session_state["user"] = admin
    st.rerun()
