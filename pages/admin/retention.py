"""Retention rules (Ley 1581): how long data is kept, what the next run would
erase, and the last run. Runs are made by `python -m caremgmt retention --apply`."""

import streamlit as st

from caremgmt.core.clock import to_local
from caremgmt.registry import retention
from pages.ui.actions import Form, write
from pages.ui.session import db, tr
from pages.ui.widgets import field_error

st.title(tr("retention.title"))
st.write(tr("retention.intro"))
st.code("python -m caremgmt retention --apply", language="bash")

current = retention.rules(db())
saving = Form("retention_rules")
values = {}
for rule, (_, least, most) in retention.RULES.items():
    values[rule] = st.number_input(
        tr(f"retention.rule.{rule}"), min_value=least, max_value=most, value=current[rule], step=1, key=saving.key(rule)
    )
    field_error(saving.scope, rule)
if st.button(tr("retention.save"), type="primary", key=saving.key("save")):
    write(saving, retention.set_rules, values, done=tr("retention.saved"))

st.subheader(tr("retention.next"), anchor=False)
st.dataframe(
    [
        {tr("retention.rule"): tr(f"retention.rule.{rule}"), tr("retention.count"): len(found)}
        for rule, found in retention.plan(db()).items()
    ],
    hide_index=True,
)
st.subheader(tr("retention.last"), anchor=False)
run = retention.last_run(db())
if run is None:
    st.caption(tr("retention.never"))
else:
    st.write(tr("retention.last_line", at=to_local(run["at"]), name=run["by"]))
    st.dataframe(
        [{tr("retention.rule"): tr(f"retention.rule.{r}"), tr("retention.count"): n} for r, n in run["counts"].items()],
        hide_index=True,
    )
