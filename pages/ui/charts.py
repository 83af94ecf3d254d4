"""Altair charts shown without Altair's schema validation on every run.

``st.altair_chart`` validates the whole Vega-Lite specification against its
JSON schema each time a page runs: about a third of the impact page's run.
The charts' shapes are fixed in code, so the page tests validate them once
(tests/pages/test_pages_impact_labels.py) and the pages skip it."""

from __future__ import annotations

import altair as alt
import streamlit as st

# Streamlit draws every chart without Altair's own theme (its default size would
# fight the page's width): switched off once here rather than per chart.
alt.theme.enable("none")

PICTURE_WIDTH = 640  # a downloaded picture's plot width, for reports (the page's charts take the page's)


def show(chart: alt.TopLevelMixin) -> None:
    st.vega_lite_chart(chart.to_dict(validate=False), width="stretch")


def picture(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """The chart as saved to PNG or SVG: a fixed width, since no page sets it."""
    return chart.configure_view(continuousWidth=PICTURE_WIDTH)
