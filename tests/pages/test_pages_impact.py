"""Page tests: impact filters, the data dictionary, exports per role."""

import datetime as dt

import pytest

from caremgmt.core import auth
from caremgmt.core.i18n import t
from caremgmt.impact import metrics
from tests.factories import JAN, with_second_factor
from tests.pages.apptest import assert_turned_away, click, open_page, texts


@pytest.fixture
def coordinator(db, admin):
    return with_second_factor(
        db, auth.create_user(db, admin, "coordinadora", "coord-password-1", "coordinator", "BOSA")
    )


def card(at, name: str) -> str:
    title = {
        "people_served": "Personas atendidas",
        "service_contacts": "Atenciones",
        "care_hours_freed": "Horas de cuidado liberadas",
    }[name]
    return next(m.value for m in at.metric if m.label == title)


def test_impact_figures_follow_every_filter(db, coordinator, january):
    at = open_page(coordinator, "pages/impact/impact.py")
    at.date_input(key="impact_from").set_value(JAN.start)
    at.date_input(key="impact_to").set_value(JAN.end).run()
    assert (card(at, "people_served"), card(at, "service_contacts")) == ("3", "7")
    at.selectbox(key="impact_block").set_value("KENNEDY").run()
    assert (card(at, "people_served"), card(at, "service_contacts"), card(at, "care_hours_freed")) == ("1", "1", "0 h")
    at.selectbox(key="impact_block").set_value(None)
    at.selectbox(key="impact_category").set_value("education_training").run()
    assert (card(at, "service_contacts"), card(at, "care_hours_freed")) == ("3", "6 h")
    at.selectbox(key="impact_dimension").set_value("age_band").run()
    assert not at.exception


def test_impact_refuses_an_inverted_period(db, coordinator):
    at = open_page(coordinator, "pages/impact/impact.py")
    at.date_input(key="impact_from").set_value(dt.date(2026, 5, 1))
    at.date_input(key="impact_to").set_value(dt.date(2026, 1, 1)).run()
    assert "El fin debe ser posterior al inicio." in texts(at)
    assert not at.metric


def test_evaluator_exports_but_sees_no_impact_or_people(db, evaluator, january):
    for page in ("pages/impact/impact.py", "pages/desk/search.py", "pages/desk/person.py"):
        assert_turned_away(evaluator, page)
    at = open_page(evaluator, "pages/impact/exports.py")
    at.multiselect(key="export_kinds").set_value(["metrics"])
    at.date_input(key="export_from").set_value(JAN.start)
    at.date_input(key="export_to").set_value(JAN.end)
    click(at, "Generar exportación")
    assert "lista:" in texts(at) and "filas." in texts(at)
    [download] = at.get("download_button")
    assert download.label == "Descargar la entrega (ZIP)"
    assert db.execute("SELECT username, entity FROM audit_log WHERE action = 'export'").fetchone() == (
        "evaluadora",
        "release",
    )


def test_a_release_above_the_threshold_warns_before_it_is_taken(db, evaluator, january):
    """Three people cannot hold k = 5: the page says so, offers coarser detail,
    and takes the release only when asked to take it as it is."""
    at = open_page(evaluator, "pages/impact/exports.py")
    at.multiselect(key="export_kinds").set_value(["persons"])
    click(at, "Generar exportación")
    assert "ocultaría más de lo aceptable" in texts(at)
    assert db.execute("SELECT count(*) FROM releases").fetchone()[0] == 0
    assert not at.get("download_button")
    click(at, "Tomarla así")
    assert db.execute("SELECT count(*) FROM releases").fetchone()[0] == 1
    assert len(at.get("download_button")) == 1


def test_front_desk_reaches_neither_impact_nor_exports(db, frontdesk):
    for page in ("pages/impact/impact.py", "pages/impact/exports.py", "pages/impact/dictionary.py"):
        assert_turned_away(frontdesk, page)


def test_data_dictionary_defines_every_metric(db, evaluator):
    at = open_page(evaluator, "pages/impact/dictionary.py")
    page = texts(at)
    for name in metrics.HEADLINES:
        assert f"**{t(f'metric.{name}.name')}**: {t(f'metric.{name}.definition')}" in page
    assert "**Personas atendidas**: Personas distintas con al menos una asistencia" in page


def test_cached_figures_follow_a_write_at_once_and_say_when_they_were_computed(db, admin, coordinator, january):
    from caremgmt.scheduling import catalogue

    at = open_page(coordinator, "pages/impact/impact.py")
    at.date_input(key="impact_from").set_value(JAN.start)
    at.date_input(key="impact_to").set_value(JAN.end).run()
    at.selectbox(key="impact_category").set_value("education_training").run()
    assert card(at, "service_contacts") == "3"
    assert any("Cifras calculadas el" in c.value for c in at.caption)
    # An admin moves the Kennedy class to another category: the next run, cache or not, shows it.
    service = db.execute("SELECT id FROM services WHERE code = 'RESPIRO'").fetchone()[0]
    data = catalogue.get_service(db, service)
    catalogue.save_service(db, admin, {**data, "category": "education_training"}, service)
    at.run()
    assert card(at, "service_contacts") == "4"
