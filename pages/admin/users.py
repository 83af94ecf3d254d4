"""Admin: accounts, roles and home blocks."""

import streamlit as st

from caremgmt.core import actor, auth, reference, second_factor, single_sign_on
from caremgmt.core.clock import to_local
from caremgmt.core.i18n import LANGUAGES
from pages.ui.actions import Form, write
from pages.ui.session import db, tr, user
from pages.ui.widgets import choice, labeller, password, take_passwords, taken, text

current = user()
st.title(tr("users.title"))
accounts = auth.list_users(db(), current)
with_factor = second_factor.enrolled_users(db(), current)  # who has a second factor set up
blocks = reference.blocks(db())

st.dataframe(
    [
        {
            tr("field.username"): a["username"],
            tr("field.role"): tr(f"role.{a['role']}"),
            tr("field.block_code"): a["block_code"] or "—",
            tr("common.language"): tr(f"language.{a['language']}"),
            tr("users.active"): "✓" if a["active"] else "✗",
            tr("users.locked_until"): to_local(a["locked_until"].isoformat())[-5:] if a["locked_until"] else "",
            tr("users.must_change"): "✓" if a["must_change_password"] else "",
            tr("users.second_factor"): "✓" if a["id"] in with_factor else "",
            tr("field.email"): a["email"] or "",  # typed by an admin: a plain-text cell
            tr("users.password_login"): "✓" if a["password_login"] else "✗",
        }
        for a in accounts
    ],
    hide_index=True,
    width="stretch",
)

st.subheader(tr("users.add"))
# Each account starts from an empty form (a saved one starts a new round of it:
# nothing of the last account, its block included, is carried over), and the
# password leaves its field at every click, the account refused or created.
adding = Form("user_new")
password_key = adding.key("password")
with st.form(adding.id):
    username = text(adding.scope, "username", adding.key("name"))
    password(adding.scope, "password", password_key)
    role = choice(adding.scope, "role", actor.ROLES, "role", adding.key("role"), "frontdesk", True)
    block = choice(
        adding.scope,
        "block_code",
        tuple(b["code"] for b in blocks),
        None,
        adding.key("block"),
        labels={b["code"]: b["name"] for b in blocks},
    )
    language = choice(adding.scope, "language", LANGUAGES, "language", adding.key("language"), "es", True)
    if st.form_submit_button(
        tr("users.add"), type="primary", key=adding.key(), on_click=take_passwords, args=(password_key,)
    ):
        write(
            adding,
            auth.create_user,
            username,
            taken(password_key),
            role,
            block,
            language,
            done=lambda account: tr("users.created", username=account.username),
        )

st.subheader(tr("users.activation"))
others = {a["id"]: a for a in accounts if a["id"] != current.id}
if others:
    chosen = st.selectbox(
        tr("users.choose"),
        list(others),
        format_func=labeller(others, lambda i: others[i]["username"]),
        key="user_toggle",
        placeholder=tr("common.choose"),
    )
    is_active = bool(others[chosen]["active"])
    toggling = Form("user_toggle")
    if st.button(tr("users.deactivate") if is_active else tr("users.activate"), key=toggling.key("button")):
        write(toggling, auth.set_active, chosen, not is_active)

st.subheader(tr("users.security"))
# Unlock (her failed logins and codes forgotten) or reset: a temporary password, shown
# here once, that she must change at her next login; or her second factor (a lost phone),
# which she sets up again at her next login. All audited by the domain.
RESET_SHOWN = "users_reset_shown"
shown = st.session_state.pop(RESET_SHOWN, None)
if shown:
    st.success(tr("users.reset_done", username=shown["username"]))
    st.code(shown["password"], language=None)  # made by the app, not typed: safe to show as is
securing = Form("user_security")
if others:
    target = st.selectbox(
        tr("users.choose"),
        list(others),
        format_func=labeller(others, lambda i: others[i]["username"]),
        key="user_security",
        placeholder=tr("common.choose"),
    )
    unlock_col, reset_col, factor_col = st.columns(3)
    if unlock_col.button(tr("users.unlock"), key=securing.key("unlock"), disabled=not others[target]["locked_until"]):
        write(securing, auth.unlock, target, done=tr("users.unlocked", username=others[target]["username"]))
    if reset_col.button(tr("users.reset"), key=securing.key("reset")):
        write(
            securing,
            auth.reset_password,
            target,
            then=lambda temporary: st.session_state.__setitem__(
                RESET_SHOWN, {"username": others[target]["username"], "password": temporary}
            ),
        )
    if factor_col.button(
        tr("users.reset_second_factor"), key=securing.key("second_factor"), disabled=target not in with_factor
    ):
        write(
            securing,
            second_factor.reset,
            target,
            done=tr("users.second_factor_reset", username=others[target]["username"]),
        )

st.subheader(tr("users.sso"))
# Single sign-on: the e-mail that maps an identity to the account, and whether she may
# also log in with a password. Both audited by the domain.
st.caption(tr("users.sso_help"))
everyone = {a["id"]: a for a in accounts}
signing = Form("user_sso")
target = st.selectbox(
    tr("users.choose"),
    list(everyone),
    format_func=labeller(everyone, lambda i: everyone[i]["username"]),
    key="user_sso",
    placeholder=tr("common.choose"),
)
if target is not None:
    account = everyone[target]
    with st.form(signing.id):
        # One field per account (and round): switching accounts shows that account's e-mail.
        email = text(signing.scope, "email", signing.key(f"email_{target}"), account["email"])
        if st.form_submit_button(tr("users.save_email"), key=signing.key(f"save_{target}")):
            write(
                signing,
                single_sign_on.set_email,
                target,
                email,
                done=tr("users.email_saved", username=account["username"]),
            )
    allowed = bool(account["password_login"])
    st.text(tr("users.password_login_on") if allowed else tr("users.password_login_off"))
    if allowed:
        turn, turned = tr("users.turn_password_off"), tr("users.password_turned_off", username=account["username"])
    else:
        turn, turned = tr("users.turn_password_on"), tr("users.password_turned_on", username=account["username"])
    if st.button(turn, key=signing.key(f"password_{target}")):
        write(signing, single_sign_on.set_password_login, target, not allowed, done=turned)
