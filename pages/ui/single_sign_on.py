"""Single sign-on, the page side: the providers' buttons on the login page
(``st.login``), and an identity Streamlit holds (``st.user``) turned into a login
session of ours.

After the provider's round trip Streamlit keeps the identity in its own signed
cookie, which it reads into ``st.user`` when a tab connects. The first run that
finds one, with no login of ours, asks the domain which account it is
(caremgmt.core.single_sign_on: the active account with that e-mail, her own role
and block) and starts our login session for her (pages.ui.sign_in.sign_in: the
same HttpOnly cookie, idle expiry, logout and later checks as a password login).

Then the identity is dropped, so that our session is the only login there is and
our logout really logs out: this tab's ``st.user`` is emptied at once (what
``st.logout`` does before its redirect), and the response that sets our cookie
also deletes Streamlit's (pages.ui.sign_in.session_cookie), as does a logout.
Not ``st.logout`` itself: its redirect would end her session at the provider as
well (her e-mail and everything else she has open there) and could cut off the
fetch that hands our cookie over. A refused identity is dropped the same way and
the login page says why.
"""

from __future__ import annotations

import streamlit as st
from streamlit import runtime
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

from caremgmt.core import single_sign_on
from caremgmt.core.actor import User
from caremgmt.core.errors import CareError
from pages.ui.formatting import literal
from pages.ui.session import db, language, tr
from pages.ui.sign_in import drop_cookies, sign_in

REFUSED = "sso_refused"  # why the last identity was refused, for the login page


def providers() -> list[single_sign_on.Provider]:
    """The identity providers of the secrets' ``[auth]`` section (none without one)."""
    if not st.secrets.load_if_toml_exists():
        return []
    return single_sign_on.providers(st.secrets.get("auth"))


def login_buttons() -> None:
    """On the login page: "Ingresar con …" for each configured provider, which
    sends the browser to it (and back to the app, where sign_in_with_identity
    takes over), and a word for those whose account has no password."""
    configured = providers()
    if not configured:
        return
    st.caption(tr("login.sso_hint"))
    for provider in configured:
        # The provider's name comes from the secrets, not from a visitor: literal all the same.
        label = tr("login.sso", provider=literal(provider.label)) if provider.label else tr("login.sso_generic")
        if st.button(label, key=f"sso_{provider.name}", icon=":material/login:"):
            st.login(provider.name)


def refusal() -> str | None:
    """Why the identity just back from the provider was refused (once), as plain text."""
    return st.session_state.pop(REFUSED, None)


def _identity() -> dict | None:
    """The identity Streamlit holds for this tab after st.login, or None. Only one
    made by st.login counts (its callback adds "provider" to the claims)."""
    claims = st.user.to_dict()
    if claims.get("is_logged_in") is not True or "provider" not in claims:
        return None
    return claims


def _forget_identity() -> None:
    """Empty st.user for this tab, as st.logout does before its redirect (the
    session cannot be resumed with it; a reconnect starts a new one, which finds
    our cookie)."""
    context = get_script_run_ctx()
    if context is None:
        return
    if runtime.exists():
        runtime.get_instance().clear_user_info_for_session(context.session_id)
    context.user_info.clear()


def sign_in_with_identity(current: User | None) -> User | None:
    """The user of this run: ``current`` (the login of ours pages.ui.sign_in.identify
    found), else the account of the identity Streamlit holds, if any: that identity
    is dropped and its account signed in (a new login session, then a rerun that
    finds it), or its refusal left for the login page (None). An identity beside a
    login of ours is dropped unused: after her logout it must not sign her in again."""
    claims = _identity()
    if claims is None:
        return current
    _forget_identity()
    if current is not None:
        return current
    try:
        account = single_sign_on.account_for_identity(db(), claims, [p.name for p in providers()])
    except CareError as refused:
        st.session_state[REFUSED] = refused.message.render(language())
        drop_cookies()
        return None
    sign_in(account)
    st.rerun()
