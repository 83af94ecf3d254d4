"""First run: create the first administrator, optionally load demo data."""

import contextlib

import streamlit as st

from caremgmt.core import auth
from caremgmt.core.actor import User
from caremgmt.core.errors import ValidationError
from caremgmt.core.i18n import Message
from caremgmt.tools import demo
from pages.ui.actions import Form, write
from pages.ui.session import language, tr
from pages.ui.sign_in import sign_in
from pages.ui.widgets import field_error, password, take_passwords, taken

DEMO_PERSONS = 300


def create_admin(db, _nobody: None, username: str, password: str, repeat: str, load_demo: bool) -> User:
    """The first administrator (the passwords must match), then the demo data if asked for."""
    if password != repeat:
        raise ValidationError({"password_repeat": Message("error.password_mismatch")})
    admin = auth.create_first_admin(db, username, password, language())
    if load_demo:
        # As the system (like `python -m caremgmt demo`): she can do nothing in her own name
        # until she has set up her second factor, which comes next (streamlit_app.py).
        demo.generate(db, DEMO_PERSONS, seed=1)
    return admin


form = Form("setup")
st.title(tr("setup.title"))
st.write(tr("setup.intro"))
with st.form(form.id):
    username = st.text_input(tr("field.username"), key=form.key("username"))
    field_error(form.scope, "username")
    # The passwords leave their fields at every click, refused or done.
    secrets = (form.key("password"), form.key("repeat"))
    password(form.scope, "password", secrets[0])
    password(form.scope, "password_repeat", secrets[1])
    load_demo = st.checkbox(tr("setup.load_demo", n=DEMO_PERSONS), key=form.key("demo"))
    if st.form_submit_button(tr("setup.submit"), type="primary", key=form.key(), on_click=take_passwords, args=secrets):
        # The spinner stays outside the service: nothing between the write and the form's new round
        # may yield to Streamlit (see pages.ui.actions.write).
        with st.spinner(tr("setup.loading_demo")) if load_demo else contextlib.nullcontext():
            write(form, create_admin, username, *map(taken, secrets), load_demo, then=sign_in)
