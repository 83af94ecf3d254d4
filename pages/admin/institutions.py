"""Admin: the outside institutions a case can refer to."""

import streamlit as st

from caremgmt.casework import institutions
from pages.ui.actions import Form, write
from pages.ui.session import db, tr
from pages.ui.widgets import choice, field_error, labeller

st.title(tr("institutions.title"))
rows = institutions.list_institutions(db(), include_inactive=True)
st.dataframe(
    [
        {
            tr("field.code"): r["code"],
            tr("field.name"): r["name"],
            tr("field.sector"): tr(f"sector.{r['sector']}"),
            tr("field.contact"): r["contact"] or "",
            tr("services.active"): "✓" if r["active"] else "✗",
        }
        for r in rows
    ],
    hide_index=True,
    width="stretch",
)
by_id = {r["id"]: r for r in rows}
selected = st.selectbox(
    tr("institutions.edit_which"),
    [None, *by_id],
    key="institution_pick",
    format_func=labeller([None, *by_id], lambda i: tr("institutions.new") if i is None else by_id[i]["name"]),
    placeholder=tr("common.choose"),
)
row = by_id.get(selected, {})
form = Form("inst")
with st.form(form.key(f"form_{selected}")):
    data = {"code": st.text_input(tr("field.code"), row.get("code", ""), key=form.key(f"code_{selected}"))}
    field_error(form.scope, "code")
    data["name"] = st.text_input(tr("field.name"), row.get("name", ""), key=form.key(f"name_{selected}"))
    field_error(form.scope, "name")
    data["sector"] = choice(
        form.scope, "sector", institutions.SECTORS, "sector", form.key(f"sector_{selected}"), row.get("sector"), True
    )
    data["contact"] = st.text_input(tr("field.contact"), row.get("contact") or "", key=form.key(f"contact_{selected}"))
    field_error(form.scope, "contact")
    data["active"] = st.checkbox(tr("services.active"), bool(row.get("active", 1)), key=form.key(f"active_{selected}"))
    if st.form_submit_button(tr("institutions.save"), type="primary", key=form.key(f"submit_{selected}")):
        write(form, institutions.save_institution, data, selected, done=tr("institutions.saved"))
