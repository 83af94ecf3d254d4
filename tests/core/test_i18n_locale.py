"""Plural forms and locale formatting (Babel): what the catalogue promises and what t() writes."""

import datetime as dt
import json
import re
import string
from decimal import Decimal

import altair as alt
import pandas as pd
import pytest
import vl_convert

from caremgmt.core import i18n
from caremgmt.core.i18n import (
    Message,
    d3_time_format,
    format_date,
    format_number,
    format_percent,
    plural_category,
    t,
    vega_locale,
    vega_time_format,
)

# Every parameter a message takes is one of these, so a new one has to be classified here.
# Counts: a word in the message agrees with them ("1 persona", "3 personas").
COUNTS = {"n", "age", "days", "years", "rows", "limit", "capacity", "min", "max"}
# Quantities: formatted as numbers ({x:number}, "1.234"); counts are quantities.
QUANTITIES = COUNTS | {"booked", "waitlist", "free", "low", "high"}
# Dates: formatted in the locale ({x:date}, "5/03/2026").
DATES = {"date", "at", "day", "start", "end"}
# Plain: identifiers, codes, ordinals, names and times, written as given ("#1234", "Página 12").
PLAIN = {"id", "code", "version", "page", "position", "doc_type", "username", "name", "person", "reason", "reasons"}
PLAIN |= {"purpose", "kind", "when", "time"}
PLAIN |= {"email", "provider"}  # single sign-on: an identity's e-mail, a provider's name
PLAIN |= {"k"}  # k-anonymity's k, a parameter of a release
# Counts that no word agrees with: a number in brackets after a heading.
NO_AGREEMENT = {"caseload.cases", "caseload.tasks", "caseload.referrals"}
# Messages whose ``n`` is a position (the 2nd dependant, the 3rd booking): plain, no plural.
ORDINALS = {"register.dependent": "n", "book.result_line": "n"}
# The Spanish and English plural nouns the catalogue uses: none may follow a lone "1".
PLURAL_NOUNS = {
    "es": "años|personas|cambios|sesiones|cargas|días|filas|caracteres|jornadas|cupos|inasistencias",
    "en": "years|people|persons|changes|sessions|loads|days|rows|characters|places|absences",
}


def variants(entry) -> list[str]:
    """Every text a catalogue entry can produce (all plural categories, nested ones too)."""
    if isinstance(entry, str):
        return [entry]
    return [text for category, value in entry.items() if category != i18n.PLURAL_KEY for text in variants(value)]


def drivers(entry) -> list[str]:
    if isinstance(entry, str):
        return []
    nested = [d for category, value in entry.items() if category != i18n.PLURAL_KEY for d in drivers(value)]
    return [entry[i18n.PLURAL_KEY], *nested]


def fields(text: str) -> set[tuple[str, str]]:
    return {(name, spec) for _, name, spec, _ in string.Formatter().parse(text) if name is not None}


def messages(language: str):
    yield from i18n.catalogue(language).items()


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_every_parameter_is_classified_and_written_with_its_kind(language):
    wrong = []
    for key, entry in messages(language):
        for text in variants(entry):
            for name, spec in fields(text):
                expected = (
                    ""
                    if ORDINALS.get(key) == name or name in PLAIN
                    else "number"
                    if name in QUANTITIES
                    else "date"
                    if name in DATES
                    else "unclassified"
                )
                if spec != expected:
                    wrong.append(f"{key}: {{{name}:{spec}}} should be {{{name}:{expected}}}")
    assert wrong == []


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_every_message_with_a_count_uses_a_plural_form(language):
    checked, wrong = 0, []
    for key, entry in messages(language):
        names = {name for text in variants(entry) for name, _ in fields(text)}
        counts = names & COUNTS - {ORDINALS.get(key)}
        if not counts or key in NO_AGREEMENT:
            continue
        checked += 1
        if isinstance(entry, str):
            wrong.append(f"{key}: {sorted(counts)} but one text for every number")
        elif drivers(entry)[0] not in counts or not set(drivers(entry)) <= names & QUANTITIES:
            wrong.append(f"{key}: plural by {drivers(entry)}, counts are {sorted(counts)}")
    assert checked >= 25, "the rule found too few counts to prove anything"
    assert wrong == []


def test_plural_messages_match_across_languages_and_use_real_categories():
    wrong = []
    for key, es in messages("es"):
        en = i18n.catalogue("en")[key]
        if isinstance(es, dict) != isinstance(en, dict) or drivers(es)[:1] != drivers(en)[:1]:
            wrong.append(f"{key}: plural by {drivers(es)} in Spanish, {drivers(en)} in English")
        placeholders = {frozenset(fields(text)) for text in variants(es) + variants(en)}
        if len(placeholders) > 1:
            wrong.append(f"{key}: the forms do not take the same parameters")
        for language, entry in (("es", es), ("en", en)):
            stack = [entry] if isinstance(entry, dict) else []
            categories = i18n.locale(language).plural_form.tags | {"other"}
            while stack:
                plural = stack.pop()
                forms = set(plural) - {i18n.PLURAL_KEY}
                if not {"one", "other"} <= forms or not forms <= categories:
                    wrong.append(f"{key} ({language}): forms {sorted(forms)}, the language has {sorted(categories)}")
                stack += [v for v in plural.values() if isinstance(v, dict)]
    assert wrong == []


def sample(key: str, entry, count: int) -> dict:
    values = {}
    for name, _ in {f for text in variants(entry) for f in fields(text)}:
        if name in QUANTITIES and ORDINALS.get(key) != name:
            values[name] = count
        elif name in DATES:
            values[name] = "2026-03-05"
        else:
            values[name] = "X"
    return values


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_no_message_reads_one_with_a_plural_noun(language):
    lone_one = re.compile(rf"(?<![\d.,])1 (?:{PLURAL_NOUNS[language]})\b")
    wrong = []
    for key, entry in messages(language):
        if "{" not in json.dumps(entry):
            continue
        one = t(key, language, **sample(key, entry, 1))
        several = t(key, language, **sample(key, entry, 3))
        assert "{" not in one and "{" not in several, key
        if lone_one.search(one):
            wrong.append(one)
    assert wrong == []


def test_plural_forms_follow_the_count():
    assert t("roster.count", "es", n=1) == "1 persona en la lista"
    assert t("roster.count", "es", n=0) == "0 personas en la lista"
    assert t("roster.count", "es", n=3) == "3 personas en la lista"
    assert t("roster.count", "en", n=1) == "1 person on the list"
    assert t("roster.saved", "es", n=1) == "Asistencia guardada (1 cambio)."
    assert t("schedules.created", "es", n=1) == "Programación creada: 1 sesión (sin festivos)."
    assert t("book.no_sessions", "es", days=1) == "No hay sesiones de este servicio en el próximo 1 día."
    assert t("day.occupancy", "es", booked=0, capacity=1, waitlist=0) == "0/1 cupo · 0 en espera"
    # Spanish CLDR calls a million "many": the message falls back to its "other" form.
    assert plural_category(1_000_000, "es") == "many"
    assert t("roster.count", "es", n=1_000_000) == "1.000.000 personas en la lista"


def test_two_counts_in_one_message_each_agree():
    assert t("error.age_outside", "es", age=1, low=0, high=1) == "Tiene 1 año; este servicio es de 0 a 1 año."
    assert t("error.age_outside", "es", age=7, low=0, high=5) == "Tiene 7 años; este servicio es de 0 a 5 años."
    assert t("error.age_outside", "es", age=1, low=0, high=5) == "Tiene 1 año; este servicio es de 0 a 5 años."


def test_a_count_agrees_as_it_is_shown():
    assert plural_category(1, "en") == plural_category(1.0, "en") == plural_category(Decimal("1.0"), "en") == "one"
    assert plural_category(1.5, "es") == plural_category(0, "es") == plural_category(2, "en") == "other"
    assert plural_category(None, "es") == "other"
    assert t("impact.compared", "es", start="2025-01-01", end="2025-12-31", days=1.0).endswith(
        "equivalen a 1 jornada de 8 horas."
    )
    assert t("impact.compared", "es", start="2025-01-01", end="2025-12-31", days=1234.5).endswith(
        "equivalen a 1.234,5 jornadas de 8 horas."
    )


def test_messages_group_counts_but_never_identifiers():
    assert t("roster.count", "es", n=1234) == "1.234 personas en la lista"
    assert t("roster.count", "en", n=1234) == "1,234 people on the list"
    assert t("releases.ready", "es", code="20261123-a1b2", rows=25000) == "Entrega 20261123-a1b2 lista: 25.000 filas."
    assert t("case.corrects", "es", id=1234) == "corrige la nota #1234"
    assert t("search.page", "es", page=1234) == "Página 1234"
    assert t("book.waitlisted", "es", position=1234) == "En lista de espera, posición 1234"
    assert t("register.dependent", "es", n=2) == "Persona cuidada 2"
    assert t("error.unknown_block", "es", code=2026) == "No existe la manzana 2026."


def test_messages_write_dates_in_the_locale():
    assert t("case.due_on", "es", date="2026-03-05") == "vence el 5/03/2026"
    assert t("case.due_on", "en", date="2026-03-05") == "due on Mar 5, 2026"
    assert t("consent.given_on", "es", at=dt.date(2026, 12, 24)) == "otorgado el 24/12/2026"
    refused = Message("error.series_refused", {"day": "2026-03-05", "reason": Message("error.session_full")})
    assert refused.render("es") == "No se reservó la serie: el 5/03/2026, No quedan cupos."
    assert refused.render("en") == "The series was not booked: on Mar 5, 2026, No places left."


def test_messages_without_parameters_are_unchanged():
    assert t("error.required") == "Este campo es obligatorio."
    assert t("no.such.key") == "no.such.key"
    with pytest.raises(KeyError):
        t("roster.count", "es", m=3)


@pytest.mark.parametrize(
    "value, language, kwargs, shown",
    [
        (1234, "es", {}, "1.234"),
        (1234, "en", {}, "1,234"),
        (1234567.891, "es", {}, "1.234.567,891"),
        (1234.5678, "es", {"decimals": 1}, "1.234,6"),
        (1234.4, "es", {"decimals": 0}, "1.234"),
        (12.0, "es", {}, "12"),
        (-1234, "es", {}, "-1.234"),  # an ASCII minus: st.metric reads it as a fall
        (-0.0001, "es", {"decimals": 0}, "0"),
    ],
)
def test_format_number(value, language, kwargs, shown):
    assert format_number(value, language, **kwargs) == shown


def test_format_percent_and_date():
    assert format_percent(0.256, "es") == "26%"
    assert format_percent(0.256, "en") == "26%"
    assert format_percent(0.2567, "es", decimals=1) == "25,7%"
    assert format_percent(-0.05, "es") == "-5%"
    assert format_date(dt.date(2026, 3, 5), "es") == "5/03/2026"
    assert format_date(dt.datetime(2026, 3, 5, 23, 30), "en") == "Mar 5, 2026"
    assert format_date("2026-03-05T14:30", "es") == "5/03/2026"
    assert format_date("2026-03-05", "es", "long") == "5 de marzo de 2026"
    assert format_date("pronto", "es") == "pronto"


def test_vega_locale_comes_from_cldr():
    es, en = vega_locale("es"), vega_locale("en")
    assert (es["number"]["decimal"], es["number"]["thousands"]) == (",", ".")
    assert (en["number"]["decimal"], en["number"]["thousands"]) == (".", ",")
    assert es["time"]["days"][:2] == ["domingo", "lunes"] and es["time"]["shortMonths"][2] == "mar"
    assert en["time"]["months"][0] == "January"
    assert es["time"]["date"] == "%-d/%m/%Y"
    assert vega_time_format("es", "yMMM") == "%b de %Y" and vega_time_format("en", "yMMM") == "%b %Y"
    assert d3_time_format("EEE d 'de' MMMM, HH:mm") == "%a %-d de %B, %H:%M"
    with pytest.raises(ValueError):
        d3_time_format("QQQ y")


def test_a_chart_with_the_locale_reads_spanish():
    frame = pd.DataFrame({"month": ["2026-01", "2026-02", "2026-03"], "value": [1200, 2500, 4100]})
    chart = (
        alt.Chart(frame)
        .mark_line()
        .encode(
            x=alt.X("month:T", timeUnit="utcyearmonth", axis=alt.Axis(format=vega_time_format("es", "yMMM"))),
            y="value:Q",
        )
        .configure(locale=vega_locale("es"))
    )
    labels = re.findall(r"<text[^>]*>([^<]*)</text>", vl_convert.vegalite_to_svg(json.dumps(chart.to_dict())))
    assert "ene de 2026" in labels and "mar de 2026" in labels
    assert "4.000" in labels and "4,000" not in labels
