"""Admin: the outside institutions a case can refer to."""

import streamlit as st

from caremgmt.casework import institutions
from caremgmt.core.errors import CareError
from pages.ui import choice, database, labeller, show_error, tr, user

current = user()
st.title(tr("institutions.title"))
if flash := st.session_state.pop("institutions_flash", None):
    st.success(flash)
with database() as db:
    rows = institutions.list_institutions(db, include_inactive=True)
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
)
row = by_id.get(selected, {})
with st.form(f"institution_{selected}"):
    data = {
        "code": st.text_input(tr("field.code"), row.get("code", ""), key=f"inst_code_{selected}"),
        "name": st.text_input(tr("field.name"), row.get("name", ""), key=f"inst_name_{selected}"),
        "sector": choice(
            "inst", "sector", institutions.SECTORS, "sector", f"inst_sector_{selected}", row.get("sector"), True
        ),
        "contact": st.text_input(tr("field.contact"), row.get("contact") or "", key=f"inst_contact_{selected}"),
        "active": st.checkbox(tr("services.active"), bool(row.get("active", 1)), key=f"inst_active_{selected}"),
    }
    if st.form_submit_button(tr("institutions.save"), type="primary"):
        with database() as db:
            try:
                institutions.save_institution(db, current, data, selected)
            except CareError as e:
                show_error(e)
            else:
                st.session_state["institutions_flash"] = tr("institutions.saved")
                st.rerun()
