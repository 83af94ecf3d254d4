"""The second step of a login: the code from her authenticator app (or a recovery
code). Until it is accepted, the only page there is, at every address; after it,
the page that was asked for."""

import streamlit as st

from caremgmt.core import second_factor
from pages.ui.actions import Form, flash, write
from pages.ui.session import login_session_id, tr
from pages.ui.widgets import text

form = Form("second_factor_verify")
st.title(tr("verify.title"))
st.write(tr("verify.intro"))
with st.form(form.id):
    # One field for both: six digits from her app, or a recovery code (the domain tells them apart).
    code = text(form.scope, "otp", form.key("code"), autocomplete="one-time-code", max_chars=32)
    submitted = st.form_submit_button(tr("verify.submit"), type="primary", key=form.key())
with st.expander(tr("verify.recovery")):
    st.write(tr("verify.recovery_help"))


def _verified(result: second_factor.Verified) -> None:
    if result.recovery_code:  # she is told what is left, on the page she lands on
        flash(tr("verify.recovery_used", n=result.recovery_left))


if submitted:
    # The client's address (None on localhost) is throttled too, as at the login.
    # Without a browser (AppTest) the context holds no real address.
    address = st.context.ip_address if isinstance(st.context.ip_address, str) else None
    write(form, second_factor.verify, code, login_session_id(), address, then=_verified)
