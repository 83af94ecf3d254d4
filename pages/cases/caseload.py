"""My caseload: open cases, tasks due and overdue, referrals waiting;
coordinators and admins also see their block's."""

import streamlit as st

from caremgmt.casework import cases
from caremgmt.core import auth, reference
from pages.ui import block_picker, database, tr, user

current = user()
st.title(tr("caseload.title"))


def open_case_page(person_id: int) -> None:
    st.session_state["person_id"] = person_id
    st.switch_page("pages/cases/case.py")


def show(load: dict, scope: str) -> None:
    st.subheader(tr("caseload.cases", n=len(load["cases"])))
    for row in load["cases"]:
        col1, col2 = st.columns([5, 1])
        col1.markdown(
            f"**{row['full_name']}** · {tr('priority.' + row['priority'])} · {row['case_worker'] or '—'}"
            f" · {tr('case.opened_on')} {row['opened_at'][:10]}"
        )
        if col2.button(tr("common.open"), key=f"{scope}_case_{row['id']}"):
            open_case_page(row["person_id"])
    st.subheader(tr("caseload.tasks", n=len(load["tasks"])))
    for row in load["tasks"]:
        late = f" · :red[{tr('case.overdue')}]" if row["overdue"] else ""
        col1, col2 = st.columns([5, 1])
        col1.markdown(
            f"{row['description']} · **{row['full_name']}** · {row['owner']} · {tr('case.due_on', date=row['due_on'])}{late}"
        )
        if col2.button(tr("common.open"), key=f"{scope}_task_{row['id']}"):
            open_case_page(row["person_id"])
    st.subheader(tr("caseload.referrals", n=len(load["referrals"])))
    for row in load["referrals"]:
        late = f" · :red[{tr('case.overdue')}]" if row["overdue"] else ""
        col1, col2 = st.columns([5, 1])
        col1.markdown(
            f"**{row['full_name']}** → {row['target'] or '—'} · {tr('referral_status.' + row['status'])}"
            f" · {tr('case.due_on', date=row['due_on'])}{late}"
        )
        if col2.button(tr("common.open"), key=f"{scope}_ref_{row['id']}"):
            open_case_page(row["person_id"])


if auth.allowed(current, "case.confidential"):
    mine, block_tab = st.tabs([tr("caseload.mine"), tr("caseload.block")])
else:
    mine, block_tab = st.container(), None
with mine, database() as db:
    show(cases.caseload(db, current), "mine")
if block_tab is not None:
    with block_tab:
        with database() as db:
            blocks = reference.blocks(db)
        block = block_picker(blocks, "caseload_block")
        with database() as db:
            show(cases.caseload(db, current, block_code=block), "block")
