"""Page tests: the impact page's figures are never raw. Charts (their data, titles,
tooltips and the text they draw), tables and the CSV files behind the "Datos
(CSV)" buttons read in the coordinator's language: no nan, None, 2.0 for a
stratum or catalogue key, "Sin dato" for what nobody recorded, Spanish dates.
Also the dates of the needs-assessment chart on the case page."""

import csv
import datetime as dt
import io
import json
import re

import pyarrow as pa
import pytest
import vl_convert
from altair.utils.schemapi import validate_jsonschema
from altair.vegalite.v6.schema.core import load_schema as vega_lite_schema
from streamlit.runtime.media_file_manager import MediaFileManager

from caremgmt.casework import cases
from caremgmt.core import auth, i18n
from caremgmt.impact import metrics
from tests.factories import JAN, person, with_second_factor
from tests.pages.apptest import open_page

RAW = re.compile(r"\b(?:nan|NaN|None|null|undefined)\b")
FLOAT_CODE = re.compile(r"^\d+\.0$")
KEY = re.compile(r"\b[a-z_]+\.[a-z_0-9+-]+\b")
# What the page names its data by: a reader must never see these.
FIELDS = {"month", "value", "measure", "group", "served", "contacts", "care_hours", "people", "step", "order"}
ENGLISH_DATES = re.compile(r"\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun|Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b")
SPANISH_DATES = re.compile(r"\b(?:lun|mar|mié|jue|vie|sáb|dom|ene|abr|ago|sept|dic)\b|\bde 20\d\d\b")
READER = {
    "es": {
        "trend": "Mes,Personas registradas,Personas atendidas,Atenciones,Horas de cuidado liberadas",
        "missing": "Sin dato",
        "csv": "Datos (CSV)",
        "occupancy": "13,6%",
        "month": "ene de 2026",
        "counts": "Cantidad",
        "hours": "Horas de cuidado liberadas",
    },
    "en": {
        "trend": "Month,People registered,People served,Service contacts,Care hours freed",
        "missing": "Not recorded",
        "csv": "Data (CSV)",
        "occupancy": "13.6%",
        "month": "Jan 2026",
        "counts": "Count",
        "hours": "Care hours freed",
    },
}


@pytest.fixture
def made_on_click(monkeypatch):
    """What each download button gives when clicked, by file name: the page hands
    Streamlit a function that makes the file on the click; keep it to call it here."""
    made = {}
    original = MediaFileManager.add_deferred

    def keep(self, data_callable, mimetype, coordinates, file_name=None, **kwargs):
        made[file_name] = data_callable
        return original(self, data_callable, mimetype, coordinates, file_name, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add_deferred", keep)
    return made


@pytest.fixture
def unrecorded(db, january):
    """January, where nobody recorded Bea's stratum, ethnicity, disability or migrant
    status (Leo, a child, has no stratum either)."""
    db.execute(
        "UPDATE persons SET stratum = NULL, ethnicity = NULL, disability = NULL, migrant_status = NULL WHERE id = ?",
        [january["bea"]],
    )
    return january


def table(made) -> list[list[str]]:
    """A downloaded CSV file's rows, as a spreadsheet reads them."""
    return list(csv.reader(io.StringIO(made().decode("utf-8"))))


def charts(at) -> list[dict]:
    """Each chart as the browser gets it: its Vega-Lite spec, its data inlined.
    The pages skip Altair's validation for speed (pages/ui/charts.py), so every
    spec is validated here against the Vega-Lite schema."""
    specs = []
    for element in at.get("vega_lite_chart"):
        spec = json.loads(element.proto.spec)
        spec["datasets"] = {
            d.name: pa.ipc.open_stream(d.data.data).read_all().to_pylist() for d in element.proto.datasets
        }
        assert spec["datasets"], "the chart's data is not where the test looks"
        validate_jsonschema(spec, vega_lite_schema())
        specs.append(spec)
    return specs


def strings(node, skip=("config", "datasets", "$schema")) -> list[str]:
    if isinstance(node, dict):
        return [s for k, v in node.items() if k not in skip for s in strings(v, skip)]
    if isinstance(node, list):
        return [s for v in node for s in strings(v, skip)]
    return [node] if isinstance(node, str) else []


def cells(spec: dict) -> list[object]:
    return [v for rows in spec["datasets"].values() for row in rows for v in row.values()]


def drawn(spec: dict) -> list[str]:
    """The text a chart draws (axis labels and titles, legends, marks' labels)."""
    svg = vl_convert.vegalite_to_svg(json.dumps(spec))
    return re.findall(r"<text[^>]*>([^<]*)</text>", svg)


def tooltips(node) -> list[dict]:
    if isinstance(node, dict):
        found = [t for t in node.get("tooltip", []) if isinstance(t, dict)] if "tooltip" in node else []
        return found + [t for k, v in node.items() if k != "tooltip" for t in tooltips(v)]
    if isinstance(node, list):
        return [t for v in node for t in tooltips(v)]
    return []


def problems(texts: list[str], language: str) -> list[str]:
    """What a reader in ``language`` would notice as raw or foreign in ``texts``."""
    keys = set(i18n.catalogue(language))
    other = "en" if language == "es" else "es"
    foreign = {v for k, v in i18n.catalogue(other).items() if isinstance(v, str) and v != i18n.t(k, language)}
    dates = ENGLISH_DATES if language == "es" else SPANISH_DATES
    found = []
    for text in texts:
        if RAW.search(text) or FLOAT_CODE.match(text) or set(KEY.findall(text)) & keys:
            found.append(f"raw: {text!r}")
        if text in foreign or dates.search(text):
            found.append(f"not in {language}: {text!r}")
        if text.endswith("…"):
            found.append(f"cut: {text!r}")
    return found


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_impact_page_reads_in_the_coordinators_language_with_nothing_raw(
    db, admin, unrecorded, made_on_click, language
):
    reader = READER[language]
    coordinator = with_second_factor(
        db, auth.create_user(db, admin, "coord", "clave-de-sede-7", "coordinator", None, language)
    )
    at = open_page(coordinator, "pages/impact/impact.py")
    at.date_input(key="impact_from").set_value(JAN.start)
    at.date_input(key="impact_to").set_value(JAN.end).run()
    assert not at.exception
    occupancy = next(m for m in at.metric if m.label == i18n.t("metric.occupancy.name", language))
    assert occupancy.value == reader["occupancy"]  # 9 places booked of 66
    assert {b.label for b in at.get("download_button")} == {reader["csv"], "PNG", "SVG"}

    trend, _, retention = charts(at)
    # Counts and hours never share an axis: the counts chart holds counts only, the hours their own.
    counts_data, hours_data = trend["datasets"].values()
    assert {row["measure"] for row in counts_data} == {
        i18n.t(f"impact.series.{s}", language) for s in ("registrations", "people_served", "contacts")
    }
    assert [list(row) for row in hours_data] == [["month", "care_hours"]]
    assert trend["resolve"]["scale"]["y"] == "independent"
    trend_text = drawn(trend)
    assert {reader["counts"], reader["hours"], reader["month"]} <= set(trend_text)
    # Retention steps read in full.
    steps = [i18n.t(f"impact.retention.{s}", language) for s in metrics.RETENTION_STEPS]
    assert set(steps) <= set(drawn(retention))

    seen = []
    for dimension in metrics.DIMENSIONS:
        at.selectbox(key="impact_dimension").set_value(dimension).run()
        specs = charts(at)
        for spec in specs:
            assert spec["config"]["locale"] == i18n.vega_locale(language)
            assert all("title" in tip for tip in tooltips(spec)), "a tooltip would show a field's name"
            shown = drawn(spec)
            assert not set(shown) & FIELDS and not any("(year-month)" in s for s in shown)
            seen += [*strings(spec), *(str(c) for c in cells(spec)), *shown]
        labels = [row["group"] for row in specs[1]["datasets"][next(iter(specs[1]["datasets"]))]]
        if dimension in ("stratum", "ethnicity", "disability", "migrant_status"):
            assert reader["missing"] in labels, dimension
        header, *lines = table(made_on_click[f"desglose_{dimension}.csv"])
        assert header == [
            i18n.t(f"impact.dimension.{dimension}", language),
            i18n.t("metric.people_served.name", language),
            i18n.t("metric.service_contacts.name", language),
        ]
        assert [line[0] for line in lines] == labels
        seen += [cell for line in lines for cell in line]

    trend_csv = table(made_on_click["tendencia_mensual.csv"])
    assert ",".join(trend_csv[0]) == reader["trend"]
    assert trend_csv[1][:4] == ["2026-01", "3", "3", "7"]
    retention_csv = table(made_on_click["retencion.csv"])
    assert [line[0] for line in retention_csv[1:]] == steps
    seen += [cell for line in trend_csv + retention_csv for cell in line]
    assert {"tendencia_mensual.png", "tendencia_mensual.svg", "retencion.svg"} <= set(made_on_click)
    assert problems(seen, language) == []


def test_stratum_reads_as_a_whole_number(db, admin, unrecorded, made_on_click):
    coordinator = with_second_factor(db, auth.create_user(db, admin, "coord", "clave-de-sede-7", "coordinator"))
    at = open_page(coordinator, "pages/impact/impact.py")
    at.date_input(key="impact_from").set_value(JAN.start)
    at.date_input(key="impact_to").set_value(JAN.end)
    at.selectbox(key="impact_dimension").set_value("stratum").run()
    _, breakdown, _ = charts(at)
    assert sorted(row["group"] for row in next(iter(breakdown["datasets"].values()))) == ["2", "Sin dato"]
    assert made_on_click["desglose_stratum.csv"]().decode("utf-8").splitlines() == [
        "Estrato,Personas atendidas,Atenciones",
        "2,1,4",  # Ana: three classes and a laundry load
        "Sin dato,2,3",  # Leo in care twice, Bea at respite once
    ]


@pytest.mark.parametrize(
    "language, labels",
    [
        ("es", ["2 de mar de 2025", "23 de mar de 2026", "24 de mar de 2026"]),
        ("en", ["Mar 2, 2025", "Mar 23, 2026", "Mar 24, 2026"]),
    ],
)
def test_assessment_chart_dates_each_assessment_in_the_users_language(db, admin, frontdesk, language, labels):
    caregiver = person(db, frontdesk, 1)
    case_id = cases.open_case(db, frontdesk, caregiver)
    for day in (dt.date(2025, 3, 2), dt.date(2026, 3, 23), dt.date(2026, 3, 24)):
        cases.record_assessment(db, frontdesk, case_id, dict.fromkeys(cases.DOMAINS, 3), on=day)
    worker = auth.create_user(db, admin, "worker", "desk-password-2", "frontdesk", "BOSA", language)
    at = open_page(worker, "pages/cases/case.py", person_id=caregiver)
    [chart] = charts(at)
    shown = drawn(chart)
    # One tick per assessment, with its year; never "Mon 23" or a day repeated between them.
    assert [s for s in shown if re.search(r"\d{4}", s)] == labels
    assert problems(shown, language) == []
