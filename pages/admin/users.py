"""Admin: accounts, roles and home blocks."""

import streamlit as st

from caremgmt.core import actor, auth, reference
from caremgmt.core.clock import to_local
from caremgmt.core.i18n import LANGUAGES
from pages.ui.actions import Form, write
from pages.ui.session import db, tr, user
from pages.ui.widgets import choice, labeller, password, take_passwords, taken, text

current = user()
st.title(tr("users.title"))
accounts = auth.list_users(db(), current)
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
# Unlock (her failed logins forgotten) or reset: a temporary password, shown here
# once, that she must change at her next login. Both are audited by the domain.
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
    unlock_col, reset_col = st.columns(2)
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
