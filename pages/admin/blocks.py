"""Admin: Care Blocks and mobile units — add, rename, relocate, close or reopen."""

import streamlit as st

from caremgmt.core import reference
from caremgmt.core.errors import ValidationError
from pages.ui import choice, database, field_error, set_errors, text, tr, user

current = user()
st.title(tr("blocks.title"))
with database() as db:
    localities = reference.localities(db)
    blocks = reference.blocks(db, include_closed=True)
locality_labels = {code: f"{code:02d} {name}" for code, name in localities.items()}

st.dataframe(
    [
        {
            tr("blocks.code"): b["code"],
            tr("blocks.name"): b["name"],
            tr("field.locality_code"): b["locality"] or "—",
            tr("blocks.kind"): tr(f"block_kind.{b['kind']}"),
            tr("blocks.status"): tr("blocks.open") if b["active"] else tr("blocks.closed"),
        }
        for b in blocks
    ],
    hide_index=True,
    width="stretch",
)


def save(action, *args, **kwargs) -> None:
    with database() as db:
        try:
            action(db, current, *args, **kwargs)
        except ValidationError as e:
            set_errors("blocks", e)
            st.rerun()
    set_errors("blocks", None)
    st.session_state["blocks_flash"] = tr("blocks.saved")
    st.rerun()


if flash := st.session_state.pop("blocks_flash", None):
    st.success(flash)

add_tab, edit_tab = st.tabs([tr("blocks.add"), tr("blocks.edit")])
with add_tab, st.form("add_block"):
    code = text("blocks", "code", "block_new_code", help=tr("blocks.code_help"))
    name = text("blocks", "name", "block_new_name")
    locality = choice("blocks", "locality_code", tuple(localities), None, "block_new_locality", labels=locality_labels)
    kind = choice("blocks", "kind", ("block", "bus"), "block_kind", "block_new_kind", "block")
    if st.form_submit_button(tr("blocks.add"), type="primary"):
        save(reference.add_block, code, name, locality, kind)

with edit_tab:
    by_code = {b["code"]: b for b in blocks}
    selected = st.selectbox(
        tr("blocks.choose"), list(by_code), format_func=lambda c: by_code[c]["name"], key="block_edit_code"
    )
    block = by_code[selected]
    with st.form(f"edit_block_{selected}"):
        new_name = st.text_input(tr("field.name"), value=block["name"], key=f"block_name_{selected}")
        field_error("blocks", "name")
        new_locality = choice(
            "blocks",
            "locality_code",
            tuple(localities),
            None,
            f"block_locality_{selected}",
            block["locality_code"],
            labels=locality_labels,
        )
        open_ = st.checkbox(tr("blocks.is_open"), value=bool(block["active"]), key=f"block_active_{selected}")
        if st.form_submit_button(tr("blocks.save"), type="primary"):
            save(reference.update_block, selected, name=new_name, locality_code=new_locality, active=open_)
