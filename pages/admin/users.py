"""Admin: accounts, roles and home blocks."""

import streamlit as st

from caremgmt.core import actor, auth, reference
from caremgmt.core.errors import ValidationError
from caremgmt.core.i18n import LANGUAGES
from pages.ui import choice, database, field_error, set_errors, text, tr, user

current = user()
st.title(tr("users.title"))
with database() as db:
    accounts = auth.list_users(db, current)
    blocks = reference.blocks(db)

if flash := st.session_state.pop("users_flash", None):
    st.success(flash)
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
with st.form("add_user"):
    username = text("users", "username", "user_new_name")
    password = st.text_input(tr("field.password"), type="password", key="user_new_password")
    field_error("users", "password")
    role = choice("users", "role", actor.ROLES, "role", "user_new_role", "frontdesk", True)
    block = choice(
        "users",
        "block_code",
        tuple(b["code"] for b in blocks),
        None,
        "user_new_block",
        labels={b["code"]: b["name"] for b in blocks},
    )
    language = choice("users", "language", LANGUAGES, "language", "user_new_language", "es", True)
    if st.form_submit_button(tr("users.add"), type="primary"):
        with database() as db:
            try:
                auth.create_user(db, current, username, password, role, block, language)
            except ValidationError as e:
                set_errors("users", e)
                st.rerun()
        set_errors("users", None)
        st.session_state["users_flash"] = tr("users.created", username=username.strip().lower())
        st.rerun()

st.subheader(tr("users.activation"))
others = {a["id"]: a for a in accounts if a["id"] != current.id}
if others:
    chosen = st.selectbox(
        tr("users.choose"), list(others), format_func=lambda i: others[i]["username"], key="user_toggle"
    )
    is_active = bool(others[chosen]["active"])
    if st.button(tr("users.deactivate") if is_active else tr("users.activate"), key="user_toggle_button"):
        with database() as db:
            auth.set_active(db, current, chosen, not is_active)
        st.rerun()
