"""Text someone typed, put inside Streamlit markdown, means nothing there
(pages.ui.formatting.literal); the pages that quote it (the register page's
duplicate notices and its confirmation) put it there that way. What a browser
makes of it is checked in tests/browser/test_hostile_text_browser.py."""

import datetime as dt

import pytest

from caremgmt.registry import persons
from pages.ui.formatting import WORD_JOINER, literal
from tests.factories import CONSENT, TODAY, caregiver_data
from tests.pages.apptest import app_as, click, texts
from tests.pages.test_pages import REGISTER, fill_caregiver

WJ = WORD_JOINER


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        # Markdown, HTML and Streamlit's own syntax: backslash-escaped.
        ("**negrita** _it_ ~~x~~ `c`", r"\*\*negrita\*\* \_it\_ \~\~x\~\~ \`c\`"),
        ("![x](http://t.invalid/p.png)", rf"!\[x\](http:{WJ}//t.invalid/p.png)"),
        ("[clic](http://evil.invalid)", rf"\[clic\](http:{WJ}//evil.invalid)"),
        ("<img src=x> &lt;", r"\<img src=x\> \&lt;"),
        (":red[x] :help $x^2$ a|b # c", r"\:red\[x\] \:help \$x^2\$ a\|b \# c"),
        ("C:\\dir", "C:\\\\dir"),
        # What would start a list, at the start only.
        ("- a - b", r"\- a - b"),
        ("+ a", r"\+ a"),
        ("1. a 2. b", r"1\. a 2. b"),
        ("12) a", r"12\) a"),
        # Found in plain text itself: split by an invisible word joiner.
        (":smile: :material/home:", f":{WJ}smile: :{WJ}material/home:"),
        ("www.x.co ana@x.co http://x.co", f"www{WJ}.x.co ana@{WJ}x.co http:{WJ}//x.co"),
        ("a -> b -- c >= d", f"a -{WJ}\\> b -{WJ}- c \\>{WJ}= d"),
        # Lines and runs of spaces: one space, as a page shows them.
        ("uno\n# dos\n\n- tres  cuatro", r"uno \# dos - tres cuatro"),
    ],
)
def test_literal_escapes_what_markdown_would_read(typed, shown):
    assert literal(typed) == shown


@pytest.mark.parametrize(
    "plain",
    ["María José Rodríguez Peña · CC 1.023.456.789 · 41 años", "Lun 23/11 08:00–11:00 · Aula 1", "Tiene 5 años: no"],
)
def test_literal_leaves_ordinary_text_alone(plain):
    assert literal(plain) == plain


# Names take letters and " '-." only, and still hold a list marker, a dash and a bare link.
HOSTILE = {"first_names": "- Ana -- María", "last_names": "www.rastreo.invalid"}


def assert_no_raw_name(at) -> None:
    """No element that Streamlit renders as markdown holds the names as typed
    (a list marker, a dash turned into "—", a link)."""
    parts = []
    for kind in ("title", "subheader", "markdown", "caption", "info", "error", "warning", "success"):
        parts += [str(e.value) for e in getattr(at, kind)]
    parts += [b.label for b in at.button] + [c.label for c in at.checkbox]
    sources = "\n".join(parts)
    assert "www.rastreo" not in sources and "- Ana --" not in sources


def test_register_page_quotes_names_literally(db, frontdesk):
    persons.register_caregiver(
        db,
        frontdesk,
        caregiver_data(doc_number="52123456", birth_date="1990-05-20", **HOSTILE),
        [],
        CONSENT,
        today=TODAY,
    )
    shown = literal("- Ana -- María www.rastreo.invalid")
    at = app_as(frontdesk, REGISTER)

    # The same document: the notice names who holds it.
    fill_caregiver(at, **HOSTILE)
    at.checkbox(key="reg_consent_registration").check()
    click(at, "Registrar")
    assert f"Este documento ya está registrado: {shown} · CC 52123456" in texts(at)
    assert_no_raw_name(at)

    # Another document, the same name: the probable duplicate is listed.
    fill_caregiver(at, doc_number="41000111", birth_date=dt.date(1990, 5, 17), **HOSTILE)
    click(at, "Registrar")
    assert "Posibles duplicados" in texts(at)
    assert f"**{shown} · CC 52123456 · " in texts(at)
    assert_no_raw_name(at)

    # Registered all the same: the confirmation names her too.
    click(at, "Es una persona diferente: registrar")
    assert f"{shown} quedó registrada." in texts(at)
    assert at.title[0].value == shown  # her file
    assert_no_raw_name(at)
