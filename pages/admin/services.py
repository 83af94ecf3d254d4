"""The service catalogue (coordinators and admins): what is offered, to whom,
with which eligibility and care-hours rule."""

import streamlit as st

from caremgmt.registry import vocab
from caremgmt.scheduling import catalogue
from pages.ui.actions import Form, write
from pages.ui.formatting import service_label
from pages.ui.session import db, tr
from pages.ui.widgets import choice, field_error, labeller, text

st.title(tr("services.title"))
service_rows = catalogue.list_services(db(), include_inactive=True)

st.dataframe(
    [
        {
            tr("services.code"): s["code"],
            tr("services.name"): service_label(s),
            tr("services.category"): tr(f"category.{s['category']}"),
            tr("services.audience"): tr(f"audience.{s['audience']}"),
            tr("services.minutes"): s["default_minutes"],
            tr(
                "services.ages"
            ): f"{s['min_age'] if s['min_age'] is not None else 0}–{s['max_age'] if s['max_age'] is not None else '∞'}",
            tr("services.rule"): tr(f"care_hours_rule.{s['care_hours_rule']}"),
            tr("services.active"): "✓" if s["active"] else "✗",
        }
        for s in service_rows
    ],
    hide_index=True,
    width="stretch",
)

by_id = {s["id"]: s for s in service_rows}
selected = st.selectbox(
    tr("services.edit_which"),
    [None, *by_id],
    key="service_pick",
    format_func=labeller([None, *by_id], lambda i: tr("services.new") if i is None else service_label(by_id[i])),
    placeholder=tr("common.choose"),
)
current_service = by_id.get(
    selected, {"kind": "activity", "audience": "caregiver", "care_hours_rule": "simultaneity", "default_minutes": 120}
)
form = Form(f"svc{selected or 'new'}")
SCOPE = form.scope
k = form.key
with st.form(form.id):
    col1, col2 = st.columns(2)
    with col1:
        data = {"code": text(SCOPE, "code", k("code"), current_service.get("code"), True)}
        data["name_es"] = text(SCOPE, "name_es", k("name_es"), current_service.get("name_es"), True)
        data["category"] = choice(
            SCOPE, "category", catalogue.CATEGORIES, "category", k("category"), current_service.get("category"), True
        )
        data["audience"] = choice(
            SCOPE, "audience", catalogue.AUDIENCES, "audience", k("audience"), current_service.get("audience"), True
        )
        data["care_need"] = choice(
            SCOPE, "care_need", vocab.CARE_NEEDS, "care_need", k("care_need"), current_service.get("care_need")
        )
    with col2:
        data["kind"] = choice(
            SCOPE, "kind", catalogue.KINDS, "service_kind", k("kind"), current_service.get("kind"), True
        )
        data["name_en"] = text(SCOPE, "name_en", k("name_en"), current_service.get("name_en"), True)
        # Number fields carry no min_value/max_value: the domain says what a value
        # may be, under its field (the widget would refuse it on its own, in English).
        data["default_minutes"] = st.number_input(
            tr("field.default_minutes"),
            value=int(current_service.get("default_minutes") or 120),
            step=15,
            key=k("minutes"),
        )
        field_error(SCOPE, "default_minutes")
        col3, col4 = st.columns(2)
        with col3:
            data["min_age"] = st.number_input(
                tr("field.min_age"), value=current_service.get("min_age"), step=1, key=k("min_age")
            )
            field_error(SCOPE, "min_age")
        with col4:
            data["max_age"] = st.number_input(
                tr("field.max_age"), value=current_service.get("max_age"), step=1, key=k("max_age")
            )
            field_error(SCOPE, "max_age")
        data["care_hours_rule"] = choice(
            SCOPE,
            "care_hours_rule",
            catalogue.CARE_HOURS_RULES,
            "care_hours_rule",
            k("rule"),
            current_service.get("care_hours_rule"),
            True,
        )
        data["hours_per_unit"] = st.number_input(
            tr("field.hours_per_unit"),
            value=float(current_service.get("hours_per_unit") or 0),
            step=0.05,
            key=k("hours"),
        )
        field_error(SCOPE, "hours_per_unit")
    if st.form_submit_button(tr("services.save"), type="primary", key=form.key()):
        write(form, catalogue.save_service, data, selected, done=tr("services.saved"))
if selected is not None:
    active = bool(by_id[selected]["active"])
    toggling = Form("service")
    if st.button(tr("services.deactivate") if active else tr("services.activate"), key=toggling.key("toggle")):
        write(toggling, catalogue.set_service_active, selected, not active)
