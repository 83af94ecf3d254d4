"""The data dictionary: every metric's definition and every exported column."""

import streamlit as st

from caremgmt.impact import metrics, releases
from pages.ui.session import tr

st.title(tr("dictionary.title"))
st.write(tr("dictionary.intro"))
st.subheader(tr("dictionary.metrics"))
for name in (*metrics.HEADLINES, "care_days_freed", "retention"):
    st.markdown(f"**{tr(f'metric.{name}.name')}**: {tr(f'metric.{name}.definition')}")
st.subheader(tr("dictionary.exports"))
st.write(tr("dictionary.exports_intro"))
for kind in releases.KINDS:
    with st.expander(tr(f"export.kind.{kind}")):
        st.dataframe(
            [
                {tr("dictionary.column"): column, tr("dictionary.meaning"): tr(f"export.{kind}.{column}")}
                for column in releases.COLUMNS[kind]
            ],
            hide_index=True,
            width="stretch",
        )
