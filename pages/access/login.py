"""Login with a local account."""

import streamlit as st

from caremgmt.core import auth
from pages.ui import single_sign_on
from pages.ui.formatting import literal
from pages.ui.session import db, language, tr
from pages.ui.sign_in import NOTICE, sign_in

st.title(tr("login.title"))
notice = st.session_state.get(NOTICE)
if notice:
    st.info(tr(f"login.ended.{notice}"))
refused = single_sign_on.refusal()  # an identity back from the provider that has no account here
if refused:
    st.error(literal(refused))  # it may quote the identity's e-mail
# A failed attempt starts a new round of the form: the password never stays in its field.
attempt = st.session_state.get("login_attempt", 0)
with st.form("login"):
    username = st.text_input(tr("field.username"), key="login_username")
    password = st.text_input(
        tr("field.password"), type="password", key=f"login_password_{attempt}" if attempt else "login_password"
    )
    submitted = st.form_submit_button(tr("login.submit"), type="primary")

# Not a write through the write helper: a failed login is an answer, not a
# refusal (every attempt is audited by the domain), and a success changes
# the whole navigation (and stays on the address that was asked for).
if submitted:
    # The client's address (None on localhost) is throttled too, beside the typed name.
    # Without a browser (AppTest) the context holds no real address.
    address = st.context.ip_address if isinstance(st.context.ip_address, str) else None
    account, refusal = auth.log_in(db(), username, password, address)
    if account is None:  # wrong, or locked: says when, never whether the account exists
        st.session_state["login_attempt"] = attempt + 1
        st.session_state["login_failed"] = refusal.render(language())
        st.rerun()
    sign_in(account)
    st.rerun()
failure = st.session_state.pop("login_failed", None)
if failure:
    st.error(failure)
# Single sign-on (OpenID Connect), when the secrets configure a provider.
single_sign_on.login_buttons()
