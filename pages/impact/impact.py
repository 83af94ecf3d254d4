"""Impact for coordinators: headline figures against the previous period,
monthly trends, breakdowns and retention. Every chart obeys the filters and
offers its data (CSV) and a picture (PNG, SVG) for reports."""

import contextlib
import io

import altair as alt
import pandas as pd
import streamlit as st

from caremgmt.core import auth, reference
from caremgmt.core.db import connect, db_path
from caremgmt.core.i18n import format_number, format_percent, vega_locale, vega_time_format
from caremgmt.impact import metrics
from caremgmt.impact.exports import safe_cell
from caremgmt.scheduling.catalogue import CATEGORIES
from pages.ui.actions import read_or_stop
from pages.ui.formatting import label
from pages.ui.session import db, tr, user
from pages.ui.widgets import labeller, period_and_block

CACHE_SECONDS = 600
current = user()
auth.require(current, "impact.read")
st.title(tr("impact.title"))


@st.cache_data(ttl=CACHE_SECONDS, max_entries=64, show_spinner=False)
def compute(path: str, filters: metrics.Filters) -> dict:
    """Aggregates only (no personal data), so one cache can serve every coordinator.
    It runs for whichever session asks first, so it opens its own connection."""
    with contextlib.closing(connect(path)) as own:
        return metrics.overview(own, filters)


blocks = {b["code"]: b["name"] for b in reference.blocks(db(), include_closed=True)}
localities = reference.localities(db())

col1, col2, col3, col4, col5 = st.columns(5)
start, end, block = period_and_block((col1, col2, col3), blocks, "impact")
locality = col4.selectbox(
    tr("field.locality_code"),
    [None, *localities],
    key="impact_locality",
    format_func=labeller([None, *localities], lambda c: tr("impact.all") if c is None else localities[c]),
)
category = col5.selectbox(
    tr("services.category"),
    [None, *CATEGORIES],
    key="impact_category",
    format_func=labeller([None, *CATEGORIES], lambda c: tr("impact.all") if c is None else tr(f"category.{c}")),
)
filters = read_or_stop(lambda: metrics.validate(db(), metrics.Filters(start, end, block, locality, category)))
data = compute(db_path(), filters)


def downloads(chart: alt.Chart, frame: pd.DataFrame, name: str) -> None:
    """CSV of the chart's data (formula-safe) and the chart as PNG and SVG, made on click."""

    def csv_bytes() -> bytes:
        return frame.map(safe_cell).to_csv(index=False).encode("utf-8")

    def picture(kind: str):
        def render() -> bytes:
            buffer = io.StringIO() if kind == "svg" else io.BytesIO()
            chart.save(buffer, format=kind)
            value = buffer.getvalue()
            return value.encode("utf-8") if isinstance(value, str) else value

        return render

    col1, col2, col3, _ = st.columns([1, 1, 1, 3])
    col1.download_button(
        tr("impact.download_csv"), csv_bytes, f"{name}.csv", "text/csv", key=f"csv_{name}", on_click="ignore"
    )
    col2.download_button("PNG", picture("png"), f"{name}.png", "image/png", key=f"png_{name}", on_click="ignore")
    col3.download_button("SVG", picture("svg"), f"{name}.svg", "image/svg+xml", key=f"svg_{name}", on_click="ignore")


# --- headline cards ----------------------------------------------------------
cards = (
    ("people_served", "number"),
    ("service_contacts", "number"),
    ("people_registered", "number"),
    ("active_caregivers", "number"),
    ("care_hours_freed", "hours"),
    ("laundry_loads", "number"),
    ("laundry_no_show_rate", "percent"),
    ("diplomas", "number"),
    ("other_outcomes", "number"),
    ("occupancy", "percent"),
    ("waitlist", "number"),
    ("people_registered_cumulative", "number"),
)


def shown(value: float, kind: str) -> str:
    """A card's figure in the user's locale (es_CO "1.234", "25%"; en "1,234")."""
    if kind == "percent":
        return format_percent(value, current.language)
    return format_number(value, current.language, decimals=0) + (" h" if kind == "hours" else "")


for row_start in range(0, len(cards), 4):
    for col, (name, fmt) in zip(st.columns(4), cards[row_start : row_start + 4], strict=False):
        now, before = data["now"][name], data["before"][name]
        col.metric(
            tr(f"metric.{name}.name"),
            shown(now, fmt),
            delta=shown(now - before, fmt) if now != before else None,
            help=tr(f"metric.{name}.definition"),
        )
st.caption(
    tr(
        "impact.compared",
        start=filters.previous().start,
        end=filters.previous().end,
        days=data["now"]["care_days_freed"],
    )
)

# --- monthly trends ------------------------------------------------------------
st.subheader(tr("impact.trends"))
monthly = pd.DataFrame(data["monthly"], columns=["month", "registrations", "people_served", "contacts", "care_hours"])
long = monthly.melt(id_vars="month", var_name="measure", value_name="value")
long["measure"] = long["measure"].map(lambda m: tr(f"impact.series.{m}"))
trend = (
    alt.Chart(long)
    .mark_line(point=True)
    .encode(
        x=alt.X(
            "month:T",
            timeUnit="utcyearmonth",  # "2026-03" is a UTC month: no shift into the previous one in Bogotá
            title=tr("impact.month"),
            axis=alt.Axis(format=vega_time_format(current.language, "yMMM")),
        ),
        y=alt.Y("value:Q", title=tr("impact.value")),
        color=alt.Color("measure:N", title=tr("impact.measure")),
        tooltip=[
            alt.Tooltip(
                "month:T",
                timeUnit="utcyearmonth",
                title=tr("impact.month"),
                format=vega_time_format(current.language, "yMMMM"),
            ),
            alt.Tooltip("measure:N", title=tr("impact.measure")),
            alt.Tooltip("value:Q", title=tr("impact.value"), format=",.0f"),
        ],
    )
    .properties(height=320)
    .configure(locale=vega_locale(current.language))
)
st.altair_chart(trend, width="stretch")
downloads(
    trend,
    monthly.rename(columns={c: tr(f"impact.series.{c}") for c in monthly.columns if c != "month"}),
    "tendencia_mensual",
)

# --- breakdowns ----------------------------------------------------------------
st.subheader(tr("impact.breakdowns"))
dimension = st.selectbox(
    tr("impact.by"),
    metrics.DIMENSIONS,
    key="impact_dimension",
    format_func=labeller(metrics.DIMENSIONS, lambda d: tr(f"impact.dimension.{d}")),
)


def value_label(value) -> str:
    if value is None or value == "":
        return tr("impact.not_recorded")
    if dimension == "block":
        return blocks.get(value, value)
    if dimension == "locality":
        return localities.get(value, str(value))
    if dimension in ("category", "ethnicity", "disability", "migrant_status"):
        return label(dimension, value)
    return str(value)


groups = pd.DataFrame(data["breakdowns"][dimension], columns=["value", "people_served", "contacts"])
groups["value"] = groups["value"].map(value_label)
groups = groups.rename(
    columns={
        "value": tr(f"impact.dimension.{dimension}"),
        "people_served": tr("metric.people_served.name"),
        "contacts": tr("metric.service_contacts.name"),
    }
)
bars = groups.melt(id_vars=tr(f"impact.dimension.{dimension}"), var_name="measure", value_name="value")
breakdown = (
    alt.Chart(bars)
    .mark_bar()
    .encode(
        y=alt.Y(f"{tr(f'impact.dimension.{dimension}')}:N", sort="-x", title=None, axis=alt.Axis(labelLimit=320)),
        x=alt.X("value:Q", title=tr("impact.value")),
        color=alt.Color("measure:N", title=tr("impact.measure")),
        yOffset="measure:N",
        tooltip=[
            alt.Tooltip(f"{tr(f'impact.dimension.{dimension}')}:N"),
            alt.Tooltip("measure:N", title=tr("impact.measure")),
            alt.Tooltip("value:Q", title=tr("impact.value"), format=",.0f"),
        ],
    )
    .properties(height=max(160, 48 * len(groups)))
    .configure(locale=vega_locale(current.language))
)
st.altair_chart(breakdown, width="stretch")
downloads(breakdown, groups, f"desglose_{dimension}")

# --- retention -------------------------------------------------------------------
st.subheader(tr("impact.retention"))
funnel = pd.DataFrame(
    [
        {"step": tr(f"impact.retention.{k}"), "order": i, "people": v}
        for i, (k, v) in enumerate(data["retention"].items())
    ]
)
retention = (
    alt.Chart(funnel)
    .mark_bar()
    .encode(
        x=alt.X("step:N", sort=alt.SortField("order"), title=None),
        y=alt.Y("people:Q", title=tr("impact.people")),
        tooltip=[
            alt.Tooltip("step:N", title=tr("impact.step")),
            alt.Tooltip("people:Q", title=tr("impact.people"), format=",.0f"),
        ],
    )
    .properties(height=280)
    .configure(locale=vega_locale(current.language))
)
st.altair_chart(retention, width="stretch")
downloads(
    retention,
    funnel.drop(columns="order").rename(columns={"step": tr("impact.step"), "people": tr("impact.people")}),
    "retencion",
)
st.page_link("pages/impact/dictionary.py", label=tr("nav.dictionary"), icon=":material/menu_book:")
