"""Translation catalogue and locale-aware formatting.

Every string a user reads comes from ``locales/<language>.json``: Spanish is the default,
English is available per user. Numbers, percentages, dates and plural forms follow the
language's locale through Babel (CLDR data): Colombian Spanish (``es_CO``) for ``es``,
``en`` for English: Spanish reads "1 persona", "1.234 personas", "12,5" and "5/03/2026";
English "1 person", "1,234 people", "12.5" and "Mar 5, 2026".

The catalogue
-------------
Each key maps to a text, or to a *plural message*:

    "roster.count": {"plural": "n",
                     "one": "{n:number} persona en la lista",
                     "other": "{n:number} personas en la lista"}

``"plural"`` names the parameter that drives the choice (the count the noun agrees
with); the other keys are CLDR plural categories, chosen with Babel's plural rules for
the language (``Locale.plural_form``). ``"other"`` is required; a category the message
does not list falls back to ``"other"`` (Spanish "many", for a million and other large
round numbers, reads like "other"). A category's value may itself be a plural message
driven by another parameter, for a text with two counts ("Tiene 1 año; ... de 0 a 1 año").

Parameters are written ``{name}`` or ``{name:kind}``, where ``kind`` says how ``t()``
formats the value in the message's language:

- ``number``: a quantity, grouped and with the locale's decimal mark (at most three
  decimals): ``{n:number}`` gives "1.234" in Spanish, "1,234" in English;
- ``percent``: a ratio (0.25) as a percentage, no decimals;
- ``date``: a ``datetime.date``/``datetime`` or an ISO ``YYYY-MM-DD…`` string, in the
  locale's medium date format ("5/03/2026", "Mar 5, 2026");
- no kind: the value as ``str()`` gives it. Identifiers, codes, years, document and note
  numbers, ordinals ("Reserva 2", "posición 3") and times stay plain, so a note id reads
  "#1234", never "#1.234".

Counts are always ``{…:number}`` and, when a word agrees with them, a plural message
(with at least "one" and "other", driven by the same parameter in both languages):
``tests/core/test_i18n_locale.py`` lists which parameter names are counts, quantities,
dates and plain values, and holds these rules.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import string
from copy import copy
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache
from numbers import Number
from pathlib import Path

from babel import Locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers

LANGUAGES = ("es", "en")
DEFAULT_LANGUAGE = "es"
# The Babel (CLDR) locale each language formats with.
LOCALES = {"es": "es_CO", "en": "en"}
PLURAL_KEY = "plural"
# Numbers in messages carry at most this many decimals (Babel's default pattern "#,##0.###").
MESSAGE_DECIMALS = 3
_LOCALES = Path(__file__).parents[1] / "locales"


@cache
def catalogue(language: str) -> dict[str, str | dict]:
    return json.loads((_LOCALES / f"{language}.json").read_text(encoding="utf-8"))


@cache
def locale(language: str) -> Locale:
    """The Babel locale for ``language`` (es_CO for Spanish); Spanish if unknown."""
    return Locale.parse(LOCALES.get(language, LOCALES[DEFAULT_LANGUAGE]))


def t(key: str, language: str = DEFAULT_LANGUAGE, **params: object) -> str:
    """The text for ``key`` in ``language`` (Spanish if the key is missing there), its
    plural form chosen and its parameters formatted for the language (see the module
    docstring). A parameter may itself be a ``Message``, rendered in the same language."""
    if language not in LANGUAGES:
        language = DEFAULT_LANGUAGE
    entry = catalogue(language).get(key) or catalogue(DEFAULT_LANGUAGE).get(key, key)
    if not params and isinstance(entry, str):
        return entry
    values = {k: v.render(language) if isinstance(v, Message) else v for k, v in params.items()}
    return _MessageFormatter(language).format(_choose(entry, language, values), **values)


@dataclass(frozen=True)
class Message:
    """A translatable message: a catalogue key and its parameters."""

    key: str
    params: dict[str, object] = field(default_factory=dict)

    def render(self, language: str = DEFAULT_LANGUAGE) -> str:
        return t(self.key, language, **self.params)


# --- plural forms ------------------------------------------------------------------


def plural_category(count: object, language: str) -> str:
    """The CLDR plural category ("one", "many", "other", …) of ``count`` in ``language``.

    The count is taken as a message shows it (rounded to ``MESSAGE_DECIMALS``, trailing
    zeros dropped), so 1.0 reads "1 persona" and 1.5 "1,5 personas"."""
    number = _as_decimal(count)
    if number is None:
        return "other"
    shown = round(number, MESSAGE_DECIMALS).normalize()
    if shown == shown.to_integral_value():
        shown = shown.quantize(Decimal(1))  # normalize() writes 1000000 as 1E+6
    return locale(language).plural_form(shown)


def _choose(entry: str | dict, language: str, params: dict[str, object]) -> str:
    while isinstance(entry, dict):
        driver = entry[PLURAL_KEY]
        if driver not in params:
            raise KeyError(driver)
        entry = entry.get(plural_category(params[driver], language)) or entry["other"]
    return entry


def _as_decimal(value: object) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, Number | str):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


# --- numbers, percentages, dates -----------------------------------------------------


def format_number(value: float | Decimal, language: str, decimals: int = MESSAGE_DECIMALS) -> str:
    """``value`` grouped by thousands with the locale's symbols, rounded to at most
    ``decimals`` decimals (trailing zeros dropped): es "1.234,5", en "1,234.5"."""
    number = _as_decimal(value)
    if number is None:
        return str(value)
    rounded = round(number, decimals)
    if rounded == 0:
        rounded = abs(rounded)  # no "-0"
    return babel_numbers.format_decimal(rounded, locale=locale(language))


def format_percent(value: float | Decimal, language: str, decimals: int = 0) -> str:
    """The ratio ``value`` (0.25) as a percentage with at most ``decimals`` decimals:
    es_CO "25%" / "25,5%", en "25%" / "25.5%"."""
    number = _as_decimal(value)
    if number is None:
        return str(value)
    where = locale(language)
    pattern = copy(where.percent_formats[None])
    pattern.frac_prec = (0, decimals)
    return pattern.apply(number, where)


def format_date(value: dt.date | str, language: str, format: str = "medium") -> str:
    """A date (or datetime, or ISO "YYYY-MM-DD…" string: only its date is used) in the
    locale's ``format`` ("short", "medium", "long", or a CLDR pattern): medium is es
    "5/03/2026", en "Mar 5, 2026". A string that is not an ISO date is shown as given."""
    if isinstance(value, dt.datetime):
        value = value.date()
    elif isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value[:10])
        except ValueError:
            return value
    if not isinstance(value, dt.date):
        return str(value)
    return babel_dates.format_date(value, format, locale=locale(language))


class _MessageFormatter(string.Formatter):
    """``str.format`` plus the catalogue's kinds: {n:number}, {r:percent}, {d:date}."""

    def __init__(self, language: str) -> None:
        self.language = language

    def format_field(self, value: object, format_spec: str) -> str:
        if format_spec == "number":
            return format_number(value, self.language)
        if format_spec == "percent":
            return format_percent(value, self.language)
        if format_spec == "date":
            return format_date(value, self.language)
        return super().format_field(value, format_spec)


# --- charts (Vega-Lite) --------------------------------------------------------------

_CLDR_TO_D3 = {
    "d": "%-d",
    "dd": "%d",
    "M": "%-m",
    "MM": "%m",
    "MMM": "%b",
    "MMMM": "%B",
    "L": "%-m",
    "LL": "%m",
    "LLL": "%b",
    "LLLL": "%B",
    "y": "%Y",
    "yyyy": "%Y",
    "yy": "%y",
    "E": "%a",
    "EE": "%a",
    "EEE": "%a",
    "EEEE": "%A",
    "c": "%a",
    "ccc": "%a",
    "cccc": "%A",
    "H": "%-H",
    "HH": "%H",
    "h": "%-I",
    "hh": "%I",
    "m": "%M",
    "mm": "%M",
    "s": "%S",
    "ss": "%S",
    "a": "%p",
}
_CLDR_TOKEN = re.compile(r"'([^']*)'|([A-Za-z])\2*|([^A-Za-z']+)")


def d3_time_format(pattern: str) -> str:
    """A CLDR date pattern ("d/MM/y", "MMM 'de' y") as a d3 time format ("%-d/%m/%Y")."""
    out = []
    for match in _CLDR_TOKEN.finditer(pattern):
        quoted, _, literal = match.groups()
        if quoted is not None:
            out.append(quoted.replace("%", "%%") if quoted else "'")
        elif literal is not None:
            out.append(literal.replace("%", "%%"))
        else:
            token = match.group(0)
            if token not in _CLDR_TO_D3:
                raise ValueError(f"no d3 equivalent for {token!r} in {pattern!r}")
            out.append(_CLDR_TO_D3[token])
    return "".join(out)


def vega_time_format(language: str, skeleton: str = "yMMMd") -> str:
    """The d3 time format (for a chart's axis or tooltip ``format``) of a CLDR skeleton
    in ``language``: "yMMM" is es "%b de %Y" ("mar de 2026"), en "%b %Y" ("Mar 2026")."""
    return d3_time_format(locale(language).datetime_skeletons[skeleton].pattern)


def vega_locale(language: str) -> dict:
    """The number and time locale of ``language`` for a Vega-Lite chart, from Babel's
    CLDR data: ``chart.configure(locale=vega_locale(language))``. Axes, legends and
    tooltips then group "1.234", write "12,5" and name months and days in the language."""
    where = locale(language)
    symbols = where.number_symbols["latn"]
    days, months = where.days["format"], where.months["format"]
    sunday_first = [6, 0, 1, 2, 3, 4, 5]  # Babel counts from Monday, d3 from Sunday
    date_pattern = where.date_formats["medium"].pattern
    time_pattern = where.time_formats["medium"].pattern
    return {
        "number": {
            "decimal": symbols["decimal"],
            "thousands": symbols["group"],
            "grouping": [3],
            "currency": ["$", ""],
            "minus": symbols["minusSign"],
            "percent": symbols["percentSign"],
        },
        "time": {
            "dateTime": d3_time_format(str(where.datetime_formats["medium"]).format(time_pattern, date_pattern)),
            "date": d3_time_format(date_pattern),
            "time": d3_time_format(time_pattern),
            "periods": [where.periods["am"], where.periods["pm"]],
            "days": [days["wide"][i] for i in sunday_first],
            "shortDays": [days["abbreviated"][i] for i in sunday_first],
            "months": [months["wide"][i] for i in range(1, 13)],
            "shortMonths": [months["abbreviated"][i] for i in range(1, 13)],
        },
    }
