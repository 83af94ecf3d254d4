"""My caseload: open cases, tasks due and overdue, referrals waiting;
coordinators and admins also see their block's."""

import streamlit as st

from caremgmt.casework import cases
from caremgmt.casework.timeline import referral_target
from caremgmt.core import policy, reference
from caremgmt.core.clock import to_local
from caremgmt.core.i18n import format_date
from pages.ui.actions import open_case
from pages.ui.session import db, tr, user
from pages.ui.widgets import block_picker

current = user()
st.title(tr("caseload.title"))


# Rows hold what people typed (names, task descriptions, institutions): plain text, never markdown.
def late(row: dict) -> str:
    return f" · {tr('case.overdue')}" if row["overdue"] else ""


def case_line(row: dict) -> str:
    return (
        f"{row['full_name']} · {tr('priority.' + row['priority'])} · {row['case_worker'] or '—'}"
        f" · {tr('case.opened_on')} {format_date(to_local(row['opened_at']), current.language)}"
    )


def task_line(row: dict) -> str:
    return (
        f"{row['description']} · {row['full_name']} · {row['owner']}"
        f" · {tr('case.due_on', date=row['due_on'])}{late(row)}"
    )


def referral_line(row: dict) -> str:
    return (
        f"{row['full_name']} → {referral_target(row, current.language)} · {tr('referral_status.' + row['status'])}"
        f" · {tr('case.due_on', date=row['due_on'])}{late(row)}"
    )


def show(load: dict, scope: str) -> None:
    """Open cases, open tasks and waiting referrals, each row with a button to its case."""
    for part, kind, line in (
        ("cases", "case", case_line),
        ("tasks", "task", task_line),
        ("referrals", "ref", referral_line),
    ):
        st.subheader(tr(f"caseload.{part}", n=len(load[part])))
        for row in load[part]:
            col1, col2 = st.columns([5, 1])
            col1.text(line(row))
            if col2.button(tr("common.open"), key=f"{scope}_{kind}_{row['id']}"):
                open_case(row["person_id"])


if policy.permits(current, "case.confidential"):
    mine, block_tab = st.tabs([tr("caseload.mine"), tr("caseload.block")])
else:
    mine, block_tab = st.container(), None
with mine:
    show(cases.caseload(db(), current), "mine")
if block_tab is not None:
    with block_tab:
        block = block_picker(reference.blocks(db()), "caseload_block", "case.confidential")
        show(cases.caseload(db(), current, block_code=block), "block")
