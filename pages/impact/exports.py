"""Evaluators' exports: de-identified CSVs with their data dictionary."""

import shutil
import tempfile
from pathlib import Path

import streamlit as st

from caremgmt.core import reference
from caremgmt.impact import exports
from pages.ui.actions import Form, write
from pages.ui.session import db, tr
from pages.ui.widgets import labeller, period_and_block

st.title(tr("exports.title"))
st.write(tr("exports.intro"))
st.caption(tr("exports.command_line"))
blocks = {b["code"]: b["name"] for b in reference.blocks(db(), include_closed=True)}

col1, col2 = st.columns(2)
kind = col1.selectbox(
    tr("exports.kind"),
    exports.KINDS,
    key="export_kind",
    format_func=labeller(exports.KINDS, lambda k: tr(f"export.kind.{k}")),
    placeholder=tr("common.choose"),
)
separator = col2.radio(
    tr("exports.separator"),
    tuple(exports.SEPARATORS),
    horizontal=True,
    key="export_separator",
    format_func=labeller(exports.SEPARATORS, lambda s: tr(f"exports.separator.{s}")),
)
start, end, block = period_and_block(st.columns(3), blocks, "export")


def keep(result: exports.ExportResult) -> None:
    st.session_state["export_result"] = result


form = Form("export")
if st.button(tr("exports.run"), type="primary", key=form.key("run")):
    previous = st.session_state.pop("export_result", None)
    if previous is not None:  # one export kept per session: the last one
        shutil.rmtree(previous.path.parent, ignore_errors=True)
    folder = Path(tempfile.mkdtemp(prefix="caremgmt-export-"))
    status = st.empty()  # rows written so far: the total is not known in advance
    write(
        form,
        exports.export,
        kind,
        folder / f"{kind}_{start:%Y%m%d}_{end:%Y%m%d}.csv",
        start=start,
        end=end,
        block_code=block,
        separator=separator,
        progress=lambda n: status.info(tr("exports.progress", rows=n)),
        then=keep,
    )
    # Refused (the message says why): nothing to keep.
    status.empty()
    shutil.rmtree(folder, ignore_errors=True)

result = st.session_state.get("export_result")
if result is not None and result.path.exists():
    st.success(tr("exports.ready", name=result.path.name, rows=result.rows))
    col1, col2 = st.columns(2)
    col1.download_button(
        tr("exports.download"),
        result.path.read_bytes,
        result.path.name,
        "text/csv",
        key="export_download",
        on_click="ignore",
        type="primary",
    )
    col2.download_button(
        tr("exports.download_dictionary"),
        result.dictionary.read_bytes,
        result.dictionary.name,
        "text/csv",
        key="export_dictionary",
        on_click="ignore",
    )
