"""Admin: Care Blocks and mobile units — add, rename, relocate, close or reopen."""

import streamlit as st

from caremgmt.core import reference
from pages.ui.actions import Form, write
from pages.ui.session import db, tr
from pages.ui.widgets import choice, field_error, labeller, text

st.title(tr("blocks.title"))
localities = reference.localities(db())
blocks = reference.blocks(db(), include_closed=True)
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

add_tab, edit_tab = st.tabs([tr("blocks.add"), tr("blocks.edit")])
adding = Form("block_new")
with add_tab, st.form(adding.id):
    code = text(adding.scope, "code", adding.key("code"), help=tr("blocks.code_help"))
    name = text(adding.scope, "name", adding.key("name"))
    locality = choice(
        adding.scope, "locality_code", tuple(localities), None, adding.key("locality"), labels=locality_labels
    )
    kind = choice(adding.scope, "kind", ("block", "bus"), "block_kind", adding.key("kind"), "block")
    if st.form_submit_button(tr("blocks.add"), type="primary", key=adding.key()):
        write(adding, reference.add_block, code, name, locality, kind, done=tr("blocks.saved"))

with edit_tab:
    by_code = {b["code"]: b for b in blocks}
    selected = st.selectbox(
        tr("blocks.choose"),
        list(by_code),
        format_func=labeller(by_code, lambda c: by_code[c]["name"]),
        key="block_edit_code",
        placeholder=tr("common.choose"),
    )
    block = by_code[selected]
    editing = Form("block")
    with st.form(editing.key(f"form_{selected}")):
        new_name = st.text_input(tr("field.name"), value=block["name"], key=editing.key(f"name_{selected}"))
        field_error(editing.scope, "name")
        new_locality = choice(
            editing.scope,
            "locality_code",
            tuple(localities),
            None,
            editing.key(f"locality_{selected}"),
            block["locality_code"],
            labels=locality_labels,
        )
        open_ = st.checkbox(tr("blocks.is_open"), value=bool(block["active"]), key=editing.key(f"active_{selected}"))
        if st.form_submit_button(tr("blocks.save"), type="primary", key=editing.key(f"submit_{selected}")):
            write(
                editing,
                reference.update_block,
                selected,
                name=new_name,
                locality_code=new_locality,
                active=open_,
                done=tr("blocks.saved"),
            )
