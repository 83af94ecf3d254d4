"""What a visitor sees when a page fails: a message with a code, never a traceback;
the traceback is in the server's log under that code. And no page of pages/ can run
outside the app's own navigation (the browser test checks it against a real server)."""

import logging
import re
import tomllib
from pathlib import Path

import pytest
import streamlit as st

from caremgmt.core.errors import PermissionDenied
from caremgmt.core.i18n import t
from tests.pages.apptest import app_as, texts

ROOT = Path(__file__).resolve().parents[2]
CODE = re.compile(r"Ocurrió un error inesperado\. Código: ([0-9A-F]{8})\.")


def failing_title(error: BaseException):
    def title(*_args, **_kwargs):
        raise error

    return title


def test_an_error_inside_a_page_shows_a_code_and_its_traceback_is_logged_under_it(admin, monkeypatch, caplog):
    secret = 'File "/work/main/caremgmt/registry/persons.py", line 12: ana@example.org'
    monkeypatch.setattr(st, "title", failing_title(RuntimeError(secret)))  # the home page's first line
    with caplog.at_level(logging.ERROR, logger="caremgmt.app"):
        at = app_as(admin)
    assert not at.exception  # Streamlit's own error box (it would hold the traceback)
    shown = texts(at)
    match = CODE.search(shown)
    assert match, shown
    assert "Traceback" not in shown and ".py" not in shown and "ana@example.org" not in shown
    [record] = [r for r in caplog.records if r.name == "caremgmt.app"]
    assert record.levelno == logging.ERROR and match.group(1) in record.getMessage()
    assert record.exc_info[0] is RuntimeError and secret in str(record.exc_info[1])
    assert t("login.logout", "es") in [b.label for b in at.sidebar.button]  # the rest of the app is still there


def test_each_error_gets_its_own_code(admin, monkeypatch):
    monkeypatch.setattr(st, "title", failing_title(ValueError("boom")))
    at = app_as(admin)
    first = CODE.search(texts(at)).group(1)
    second = CODE.search(texts(at.run())).group(1)
    assert first != second


def test_a_refusal_no_page_caught_shows_its_message_and_no_code(admin, monkeypatch, caplog):
    monkeypatch.setattr(st, "title", failing_title(PermissionDenied("person.read")))
    with caplog.at_level(logging.WARNING, logger="caremgmt.app"):
        at = app_as(admin)
    assert not at.exception
    assert [e.value for e in at.error] == [t("error.permission_denied", "es")]
    assert any(r.levelno == logging.WARNING for r in caplog.records if r.name == "caremgmt.app")


@pytest.mark.parametrize("signal", ["stop", "rerun"])
def test_streamlits_own_signals_pass_through_untouched(admin, monkeypatch, caplog, signal):
    """st.stop and st.rerun (and st.switch_page) raise; they are no error."""
    calls = []

    def title(*args, **kwargs):
        calls.append(args)
        if signal == "stop" or len(calls) == 1:  # a rerun once, then the page as usual
            getattr(st, signal)()

    monkeypatch.setattr(st, "title", title)
    with caplog.at_level(logging.WARNING, logger="caremgmt.app"):
        at = app_as(admin)
    assert not at.exception and not at.error
    assert not [r for r in caplog.records if r.name == "caremgmt.app"]
    assert len(calls) == (1 if signal == "stop" else 2)


def test_streamlits_old_pages_folder_layout_finds_no_page_to_run():
    """Streamlit's first (v1) multipage layout serves every pages/*.py by its name,
    outside st.navigation and so before any login: every page lives in a sub-folder,
    which that layout never reads."""
    assert sorted((ROOT / "pages").glob("*.py")) == []
    assert len(list((ROOT / "pages").glob("*/*.py"))) > 14


def test_streamlit_itself_shows_no_error_details():
    """Whatever escapes the app's own handling (an error before it starts, say)."""
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["client"]["showErrorDetails"] == "none"
