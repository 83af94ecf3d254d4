"""Admin: accounts, roles and home blocks."""

import streamlit as st

from caremgmt.core import actor, auth, reference
from caremgmt.core.i18n import LANGUAGES
from pages.ui.actions import Form, write
from pages.ui.session import db, tr, user
from pages.ui.widgets import choice, field_error, text

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
        }
        for a in accounts
    ],
    hide_index=True,
    width="stretch",
)

st.subheader(tr("users.add"))
adding = Form("user_new")
with st.form(adding.id):
    username = text(adding.scope, "username", adding.key("name"))
    password = st.text_input(tr("field.password"), type="password", key=adding.key("password"))
    field_error(adding.scope, "password")
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
    if st.form_submit_button(tr("users.add"), type="primary", key=adding.key()):
        write(
            adding,
            auth.create_user,
            username,
            password,
            role,
            block,
            language,
            done=lambda account: tr("users.created", username=account.username),
        )

st.subheader(tr("users.activation"))
others = {a["id"]: a for a in accounts if a["id"] != current.id}
if others:
    chosen = st.selectbox(
        tr("users.choose"), list(others), format_func=lambda i: others[i]["username"], key="user_toggle"
    )
    is_active = bool(others[chosen]["active"])
    toggling = Form("user_toggle")
    if st.button(tr("users.deactivate") if is_active else tr("users.activate"), key=toggling.key("button")):
        write(toggling, auth.set_active, chosen, not is_active)
