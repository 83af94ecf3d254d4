"""Evaluators' data releases: every file at once (or the ones chosen), with
their dictionary, disclosure-risk report and manifest, as one ZIP."""

import io
import shutil
import tempfile
import zipfile
from pathlib import Path

import streamlit as st

from caremgmt.core import reference, spreadsheet
from caremgmt.impact import disclosure, releases
from pages.ui.actions import Form, write
from pages.ui.session import db, tr
from pages.ui.widgets import labeller, period_and_block

st.title(tr("exports.title"))
st.write(tr("exports.intro"))
st.caption(tr("exports.command_line"))
blocks = {b["code"]: b["name"] for b in reference.blocks(db(), include_closed=True)}

kinds = st.multiselect(
    tr("exports.kind"),
    releases.KINDS,
    default=list(releases.KINDS),
    key="export_kinds",
    format_func=labeller(releases.KINDS, lambda k: tr(f"export.kind.{k}")),
)
start, end, block = period_and_block(st.columns(3), blocks, "export")
col1, col2, col3, col4 = st.columns(4)
granularity = col1.radio(
    tr("releases.granularity"),
    releases.GRANULARITIES,
    key="export_granularity",
    format_func=labeller(releases.GRANULARITIES, lambda g: tr(f"releases.granularity.{g}")),
)
detail = col2.radio(
    tr("releases.detail"),
    disclosure.DETAILS,
    key="export_detail",
    format_func=labeller(disclosure.DETAILS, lambda d: tr(f"releases.detail.{d}")),
)
k = col3.number_input(
    tr("releases.k"), min_value=disclosure.K_DEFAULT, value=disclosure.K_DEFAULT, step=1, key="export_k"
)
separator = col4.radio(
    tr("exports.separator"),
    tuple(spreadsheet.SEPARATORS),
    key="export_separator",
    format_func=labeller(spreadsheet.SEPARATORS, lambda s: tr(f"exports.separator.{s}")),
)


def keep(release: releases.Release) -> None:
    # The pseudonym key is not kept: once written, nobody needs it.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        for path in release.files.values():
            bundle.write(path, path.name)
    shutil.rmtree(release.directory, ignore_errors=True)
    st.session_state["release"] = {
        "id": release.id,
        "rows": release.rows,
        "report": release.report,
        "zip": buffer.getvalue(),
    }
    st.session_state.pop("release_warning", None)


def warned(warning: releases.ReleaseWarning) -> None:
    st.session_state["release_warning"] = warning.report


def take(accept_warning: bool, chosen_detail: str) -> None:
    st.session_state.pop("release", None)
    folder = Path(tempfile.mkdtemp(prefix="caremgmt-release-"))
    status = st.empty()  # rows written so far: the total is not known in advance
    write(
        form,
        releases.create_release,
        folder,
        kinds=tuple(kinds),
        start=start,
        end=end,
        block_code=block,
        k=int(k),
        granularity=granularity,
        detail=chosen_detail,
        separator=separator,
        accept_warning=accept_warning,
        progress=lambda n: status.info(tr("exports.progress", rows=n)),
        then=keep,
        outcomes={releases.ReleaseWarning: warned},
    )
    # Refused (the message says why) or warned: nothing to keep.
    status.empty()
    shutil.rmtree(folder, ignore_errors=True)


form = Form("export")
if st.button(tr("exports.run"), type="primary", key=form.key("run")):
    take(False, detail)

report = st.session_state.get("release_warning")
if report is not None:
    st.warning(tr("releases.warning"))
    st.json(report, expanded=False)
    col1, col2 = st.columns(2)
    if report["detail"] != "coarse" and col1.button(tr("releases.coarser"), key=form.key("coarser")):
        take(False, "coarse")
    if col2.button(tr("releases.take_anyway"), key=form.key("anyway")):
        take(True, report["detail"])

release = st.session_state.get("release")
if release is not None:
    st.success(tr("releases.ready", code=release["id"], rows=sum(release["rows"].values())))
    st.json(release["report"], expanded=False)
    st.download_button(
        tr("exports.download"),
        release["zip"],
        f"entrega_{release['id']}.zip",
        "application/zip",
        key="export_download",
        on_click="ignore",
        type="primary",
    )
