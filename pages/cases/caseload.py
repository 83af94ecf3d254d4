"""My caseload: open cases, tasks due and overdue, referrals waiting;
coordinators and admins also see their block's."""

import streamlit as st

from caremgmt.casework import cases
from caremgmt.core import auth, reference
from caremgmt.core.i18n import format_date
from pages.ui.actions import open_case
from pages.ui.session import db, tr, user
from pages.ui.widgets import block_picker

current = user()
st.title(tr("caseload.title"))


def show(load: dict, scope: str) -> None:
    st.subheader(tr("caseload.cases", n=len(load["cases"])))
    for row in load["cases"]:
        col1, col2 = st.columns([5, 1])
        col1.markdown(
            f"**{row['full_name']}** · {tr('priority.' + row['priority'])} · {row['case_worker'] or '—'}"
            f" · {tr('case.opened_on')} {format_date(row['opened_at'][:10], current.language)}"
        )
        if col2.button(tr("common.open"), key=f"{scope}_case_{row['id']}"):
            open_case(row["person_id"])
    st.subheader(tr("caseload.tasks", n=len(load["tasks"])))
    for row in load["tasks"]:
        late = f" · :red[{tr('case.overdue')}]" if row["overdue"] else ""
        col1, col2 = st.columns([5, 1])
        col1.markdown(
            f"{row['description']} · **{row['full_name']}** · {row['owner']}"
            f" · {tr('case.due_on', date=row['due_on'])}{late}"
        )
        if col2.button(tr("common.open"), key=f"{scope}_task_{row['id']}"):
            open_case(row["person_id"])
    st.subheader(tr("caseload.referrals", n=len(load["referrals"])))
    for row in load["referrals"]:
        late = f" · :red[{tr('case.overdue')}]" if row["overdue"] else ""
        col1, col2 = st.columns([5, 1])
        col1.markdown(
            f"**{row['full_name']}** → {row['target'] or '—'} · {tr('referral_status.' + row['status'])}"
            f" · {tr('case.due_on', date=row['due_on'])}{late}"
        )
        if col2.button(tr("common.open"), key=f"{scope}_ref_{row['id']}"):
            open_case(row["person_id"])


if auth.allowed(current, "case.confidential"):
    mine, block_tab = st.tabs([tr("caseload.mine"), tr("caseload.block")])
else:
    mine, block_tab = st.container(), None
with mine:
    show(cases.caseload(db(), current), "mine")
if block_tab is not None:
    with block_tab:
        block = block_picker(reference.blocks(db()), "caseload_block")
        show(cases.caseload(db(), current, block_code=block), "block")
