"""How pages write things a person reads: vocabulary labels, a person or a
session on one line, a service's name in the user's language, and text someone
typed made literal inside Streamlit markdown (``literal``)."""

from __future__ import annotations

import datetime as dt
import re

from caremgmt.core.clock import today
from caremgmt.registry.validation import age_on
from caremgmt.scheduling.catalogue import service_name
from pages.ui.session import language, tr

# Invisible and zero-width (Unicode's "word joiner"): splits a pattern that
# Streamlit's markdown looks for in the text itself, after escapes are undone,
# where a backslash cannot reach it.
WORD_JOINER = "\u2060"
_UNREACHABLE = re.compile(
    r"(?<=:)(?=[A-Za-z0-9_+/-]+:)"  # shortcodes: emoji ":smile:", icons ":material/home:", ":streamlit:"
    r"|(?<=:)(?=//)"  # bare links: "http://x"
    r"|(?<=[Ww]{3})(?=\.)"  # "www.x.co"
    r"|(?<=@)(?=[-A-Za-z0-9_])"  # "ana@x.co"
    r"|(?<=(?<!\S)[-<>~])(?=[->=]+(?!\S))"  # " -> ", " -- ", " >= " turned into arrows and dashes
)
# Backslash-escaped: what CommonMark, GitHub's extensions and Streamlit give a
# meaning to anywhere in a line: emphasis, links and images, code, HTML,
# tables, strikethrough, LaTeX, a heading's closing "#", entities ("&lt;"),
# directives (":red[x]", ":help"); at the start, "-" and "+" (a list item).
_ESCAPED = re.compile(r"[\\`*_\[\]<>~|$#&]|:(?=[A-Za-z])|^[-+]")
_NUMBERED = re.compile(r"^(\d+)([.)])")  # "1. x", "2) x": a numbered list item


def literal(value: object) -> str:
    """``value``, something a person or an import typed, to put inside Streamlit
    markdown (st.markdown, captions, titles, alerts, widget labels, metric values):
    it shows as typed and means nothing: no emphasis, link, image, HTML, colour,
    icon or formula. Whitespace runs become one space (as HTML shows them), so it
    stays on the line it is put in. A value shown on its own goes in a plain-text
    element instead (st.text, a table cell)."""
    text = _UNREACHABLE.sub(WORD_JOINER, " ".join(str(value).split()))
    text = _ESCAPED.sub(lambda match: "\\" + match.group(0), text)
    return _NUMBERED.sub(r"\1\\\2", text, count=1)


def label(group: str, value: object) -> str:
    return tr(f"{group}.{value}") if value not in (None, "") else "—"


def person_line(person: dict) -> str:
    """'María Pérez · CC 1023 · 34 años' for lists of people."""
    parts = [person.get("full_name") or f"{person['first_names']} {person['last_names']}"]
    if person.get("doc_type"):
        parts.append(f"{person['doc_type']} {person['doc_number']}")
    if person.get("birth_date"):
        parts.append(tr("common.age", age=age_on(dt.date.fromisoformat(person["birth_date"]), today())))
    return " · ".join(parts)


def service_label(row: dict) -> str:
    """A service's name in the user's language (rows carry name_es and name_en)."""
    return service_name(row, language())


def session_line(session: dict) -> str:
    """'Lun 23/11 08:00–11:00 · Validación del bachillerato · Aula 1'."""
    start = dt.datetime.fromisoformat(session["starts_at"])
    weekday = tr(f"weekday.{start.weekday()}")
    parts = [f"{weekday} {start:%d/%m} {start:%H:%M}–{session['ends_at'][11:]}", service_label(session)]
    if session.get("room"):
        parts.append(session["room"])
    return " · ".join(parts)
