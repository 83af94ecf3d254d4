"""Change one's own password; after an admin reset it, the only page there is until it is done."""

import streamlit as st

from caremgmt.core import auth, single_sign_on
from pages.ui.actions import Form, write
from pages.ui.session import db, login_session_id, tr, user
from pages.ui.sign_in import must_change_password
from pages.ui.widgets import password, take_passwords, taken

form = Form("password_change")
st.title(tr("password.title"))
if must_change_password():
    st.info(tr("password.forced"))
if not single_sign_on.password_login(db(), user()):  # she enters only through single sign-on
    st.info(tr("password.sso_only"))
    st.stop()
st.caption(tr("password.rules"))
# The passwords leave their fields at every click, refused or done.
secrets = (form.key("current"), form.key("new"), form.key("repeat"))
with st.form(form.id):
    password(form.scope, "current_password", secrets[0])
    password(form.scope, "new_password", secrets[1])
    password(form.scope, "password_repeat", secrets[2])
    if st.form_submit_button(
        tr("password.submit"), type="primary", key=form.key(), on_click=take_passwords, args=secrets
    ):
        # Her other tabs and browsers are logged out; this one goes on (and, after a
        # reset, gets the whole navigation back at the rerun).
        write(
            form,
            auth.change_password,
            *map(taken, secrets),
            keep_session=login_session_id(),
            done=tr("password.changed"),
        )
