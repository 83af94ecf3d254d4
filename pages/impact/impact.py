"""Impact for coordinators: headline figures against the previous period,
monthly trends, breakdowns and retention. Every chart obeys the filters and
offers its data (CSV) and a picture (PNG, SVG) for reports."""

import contextlib
import datetime as dt
import io

import altair as alt
import pandas as pd
import streamlit as st

from caremgmt.core import clock, policy, reference
from caremgmt.core.db import connect, db_path
from caremgmt.core.i18n import format_number, format_percent, vega_locale, vega_time_format
from caremgmt.impact import metrics, tables
from caremgmt.scheduling.catalogue import CATEGORIES
from pages.ui import charts
from pages.ui.actions import read_or_stop
from pages.ui.session import db, tr, user
from pages.ui.widgets import labeller, period_and_block

current = user()
policy.check(db(), current, "impact.read")
st.title(tr("impact.title"))


@st.cache_data(max_entries=64, show_spinner=False)
def compute(path: str, filters: metrics.Filters, version: int, dimension: str) -> dict:
    """Aggregates only (no personal data), so one cache can serve every coordinator.
    Keyed on the data version that every write bumps, so a cached figure is never
    older than the last committed write; and on the breakdown shown, the only one
    computed. It runs for whichever session asks first, so it opens its own connection."""
    with contextlib.closing(connect(path)) as own:
        return {**metrics.overview(own, filters, (dimension,)), "computed_at": clock.now_iso()}


blocks = {b["code"]: b["name"] for b in reference.blocks(db(), include_closed=True)}
localities = reference.localities(db())

col1, col2, col3, col4, col5 = st.columns(5)
start, end, block = period_and_block((col1, col2, col3), blocks, "impact")
locality = col4.selectbox(
    tr("field.locality_code"),
    [None, *localities],
    key="impact_locality",
    format_func=labeller([None, *localities], lambda c: tr("impact.all") if c is None else localities[c]),
    placeholder=tr("common.choose"),
)
category = col5.selectbox(
    tr("services.category"),
    [None, *CATEGORIES],
    key="impact_category",
    format_func=labeller([None, *CATEGORIES], lambda c: tr("impact.all") if c is None else tr(f"category.{c}")),
    placeholder=tr("common.choose"),
)
filters = read_or_stop(lambda: metrics.validate(db(), metrics.Filters(start, end, block, locality, category)))
# The breakdown's selector is drawn further down; its choice is known now.
chosen = st.session_state.get("impact_dimension")
data = compute(
    db_path(), filters, metrics.data_version(db()), chosen if chosen in metrics.DIMENSIONS else metrics.DIMENSIONS[0]
)
computed_at = dt.datetime.fromisoformat(data["computed_at"]).astimezone(clock.BOGOTA)


def downloads(chart: alt.TopLevelMixin, table: tables.Table, name: str) -> None:
    """The chart's data as the reader sees it (CSV: headers in her language, values
    labelled, formula-safe) and the chart as PNG and SVG, made on click."""

    def picture(kind: str):
        def render() -> bytes:
            buffer = io.StringIO() if kind == "svg" else io.BytesIO()
            charts.picture(chart).save(buffer, format=kind)
            value = buffer.getvalue()
            return value.encode("utf-8") if isinstance(value, str) else value

        return render

    col1, col2, col3, _ = st.columns([1, 1, 1, 3])
    col1.download_button(
        tr("impact.download_csv"), table.csv, f"{name}.csv", "text/csv", key=f"csv_{name}", on_click="ignore"
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
    """A card's figure in the user's locale (es_CO "1.234", "0,3%"; en "1,234").
    Rates keep one decimal: 0.3% is not 0%."""
    if kind == "percent":
        return format_percent(value, current.language, decimals=1)
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
    + " "
    + tr("impact.computed_at", at=computed_at.date(), time=computed_at.strftime("%H:%M"))
)

LOCALE = vega_locale(current.language)
MONTH_AXIS = vega_time_format(current.language, "yMMM")  # es "mar de 2026", en "Mar 2026"
MONTH_TIP = vega_time_format(current.language, "yMMMM")
COUNT = ",.0f"  # grouped in the chart's locale: es "1.234"; count axes tick on whole numbers
HOURS = ",.1f"

# --- monthly trends ------------------------------------------------------------
# Counts (people, contacts) and hours are different units: one chart each, one above
# the other on the same months, each with its own axis.
st.subheader(tr("impact.trends"))
monthly = pd.DataFrame(data["monthly"], columns=["month", *tables.TREND_SERIES])


def month_x(title: str | None) -> alt.X:
    return alt.X(
        "month:T",
        timeUnit="utcyearmonth",  # "2026-03" is a UTC month: no shift into the previous one in Bogotá
        title=title,
        axis=alt.Axis(format=MONTH_AXIS, labelOverlap=True),
    )


month_tip = alt.Tooltip("month:T", timeUnit="utcyearmonth", title=tr("impact.month"), format=MONTH_TIP)
counts = monthly.melt(id_vars="month", value_vars=list(tables.COUNT_SERIES), var_name="measure", value_name="value")
counts["measure"] = counts["measure"].map(lambda m: tables.series_title(m, current.language))
count_chart = (
    alt.Chart(counts)
    .mark_line(point=True)
    .encode(
        x=month_x(None),  # the hours chart below names the months
        y=alt.Y("value:Q", title=tr("impact.count"), axis=alt.Axis(format=COUNT, tickMinStep=1)),
        color=alt.Color(
            "measure:N",
            title=tr("impact.measure"),
            sort=[tables.series_title(m, current.language) for m in tables.COUNT_SERIES],
            legend=alt.Legend(orient="top", labelLimit=0),
        ),
        tooltip=[
            month_tip,
            alt.Tooltip("measure:N", title=tr("impact.measure")),
            alt.Tooltip("value:Q", title=tr("impact.count"), format=COUNT),
        ],
    )
    .properties(height=260)
)
hours_title = tables.series_title("care_hours", current.language)
hours_chart = (
    alt.Chart(monthly[["month", "care_hours"]])
    .mark_line(point=True, color="#2a9d8f")
    .encode(
        x=month_x(tr("impact.month")),
        y=alt.Y("care_hours:Q", title=hours_title, axis=alt.Axis(format=COUNT)),
        tooltip=[month_tip, alt.Tooltip("care_hours:Q", title=hours_title, format=HOURS)],
    )
    .properties(height=180)
)
trend = alt.vconcat(count_chart, hours_chart).resolve_scale(y="independent").configure(locale=LOCALE)
charts.show(trend)
downloads(trend, tables.trend(data["monthly"], current.language), "tendencia_mensual")

# --- breakdowns ----------------------------------------------------------------
st.subheader(tr("impact.breakdowns"))
dimension = st.selectbox(
    tr("impact.by"),
    metrics.DIMENSIONS,
    key="impact_dimension",
    format_func=labeller(metrics.DIMENSIONS, lambda d: tr(f"impact.dimension.{d}")),
    placeholder=tr("common.choose"),
)
names = {"block": blocks, "locality": localities}
breakdown_table = tables.breakdown(data["breakdowns"][dimension], dimension, current.language, names)
groups = pd.DataFrame(
    [{"group": label, "served": served, "contacts": contacts} for label, served, contacts in breakdown_table.rows],
    columns=["group", "served", "contacts"],
)
group_title = tr(f"impact.dimension.{dimension}")
order = list(groups["group"])  # most contacts first, as metrics.breakdown sorts them


def panel(field: str, title: str) -> alt.Chart:
    """One measure's bars by group: people served and service contacts are two
    units, so each has its own chart and axis, one above the other."""
    return (
        alt.Chart(groups)
        .mark_bar()
        .encode(
            y=alt.Y("group:N", sort=order, title=None, axis=alt.Axis(labelLimit=360)),
            x=alt.X(f"{field}:Q", title=title, axis=alt.Axis(format=COUNT, tickMinStep=1)),
            tooltip=[
                alt.Tooltip("group:N", title=group_title),
                alt.Tooltip("served:Q", title=tr("metric.people_served.name"), format=COUNT),
                alt.Tooltip("contacts:Q", title=tr("metric.service_contacts.name"), format=COUNT),
            ],
        )
        .properties(height=max(60, 22 * len(groups)))
    )


breakdown = (
    alt.vconcat(panel("served", tr("metric.people_served.name")), panel("contacts", tr("metric.service_contacts.name")))
    .resolve_scale(x="independent")
    .configure(locale=LOCALE)
)
charts.show(breakdown)
downloads(breakdown, breakdown_table, f"desglose_{dimension}")

# --- retention -------------------------------------------------------------------
# Horizontal bars: the steps' names read in full, never cut or turned on their side.
st.subheader(tr("impact.retention"))
retention_table = tables.retention(data["retention"], current.language)
funnel = pd.DataFrame(retention_table.rows, columns=["step", "people"])
steps = list(funnel["step"])
base = alt.Chart(funnel).encode(
    y=alt.Y("step:N", sort=steps, title=None, axis=alt.Axis(labelLimit=0)),
    x=alt.X("people:Q", title=tr("impact.people"), axis=alt.Axis(format=COUNT, tickMinStep=1)),
    tooltip=[
        alt.Tooltip("step:N", title=tr("impact.step")),
        alt.Tooltip("people:Q", title=tr("impact.people"), format=COUNT),
    ],
)
retention = (
    alt.layer(base.mark_bar(), base.mark_text(align="left", dx=4).encode(text=alt.Text("people:Q", format=COUNT)))
    .properties(height=40 * len(steps))
    .configure(locale=LOCALE)
)
charts.show(retention)
downloads(retention, retention_table, "retencion")
st.page_link("pages/impact/dictionary.py", label=tr("nav.dictionary"), icon=":material/menu_book:")
