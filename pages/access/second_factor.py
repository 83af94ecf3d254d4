"""Her own second factor: setting it up (a QR code for her authenticator app, or
its key to type in, then a code from the app to confirm), her recovery codes
(shown once), a new phone, and, for a role that may go without, turning it off.

While her role needs one she has not set up, this is the only page there is;
and once her recovery codes are shown, until she says she saved them."""

import streamlit as st

from caremgmt.core import second_factor
from caremgmt.core.clock import to_local
from pages.ui.actions import Form, write
from pages.ui.second_factor import codes_saved, codes_to_show, keep_codes
from pages.ui.session import db, login_session_id, tr, user
from pages.ui.widgets import text

current = user()
st.title(tr("second_factor.title"))


def _address() -> str | None:
    # Wrong codes count for the client's address too (None on localhost, and in AppTest).
    return st.context.ip_address if isinstance(st.context.ip_address, str) else None


def _code_field(form: Form) -> str:
    return text(form.scope, "otp", form.key("code"), autocomplete="one-time-code", max_chars=16)


def _show_codes(codes: list[str]) -> None:
    """The recovery codes, once: to copy, download or print, and a tick before going on."""
    st.write(tr("second_factor.codes_intro"))
    st.code("\n".join(codes), language=None)  # made by the app, not typed: safe to show as is
    sheet = tr("second_factor.codes_file", username=current.username) + "\n\n" + "\n".join(codes) + "\n"
    st.download_button(
        tr("second_factor.download"),
        sheet,
        file_name="caremgmt-recovery-codes.txt",
        mime="text/plain",
        on_click="ignore",
        icon=":material/download:",
    )
    saved = st.checkbox(tr("second_factor.saved"), key="recovery_codes_saved")
    if st.button(tr("second_factor.continue"), type="primary", disabled=not saved, key="recovery_codes_continue"):
        codes_saved()
        st.session_state.pop("recovery_codes_saved", None)
        st.rerun()


def _enrolment(pending: second_factor.Enrolment, cancel: bool) -> None:
    """The secret for her app (QR code, or the key to type) and the code that confirms it."""
    st.write(tr("second_factor.scan"))
    st.image(pending.qr_png(), width=240)
    st.caption(tr("second_factor.manual"))
    st.code(pending.grouped, language=None)  # made by the app: shown as is, to type into her phone
    st.write(tr("second_factor.enter_code"))
    confirming = Form("second_factor_confirm")
    with st.form(confirming.id):
        code = _code_field(confirming)
        if st.form_submit_button(tr("second_factor.confirm"), type="primary", key=confirming.key()):
            write(
                confirming,
                second_factor.confirm,
                code,
                login_session_id(),
                done=tr("second_factor.enrolled_done"),
                then=keep_codes,
            )
    if cancel:
        cancelling = Form("second_factor_cancel")
        if st.button(tr("second_factor.cancel"), key=cancelling.key()):
            write(cancelling, second_factor.cancel)


def _start(label: str) -> None:
    starting = Form("second_factor_start")
    if st.button(label, type="primary", key=starting.key()):
        write(starting, second_factor.begin, login_session_id())


shown = codes_to_show()
if shown:
    _show_codes(shown)
    st.stop()

status = second_factor.status(db(), current)
if not status.enrolled:
    st.info(tr("second_factor.required") if status.required else tr("second_factor.optional"))
    if status.pending:
        _enrolment(status.pending, cancel=not status.required)
    else:
        _start(tr("second_factor.start"))
    st.stop()

st.write(tr("second_factor.active", date=to_local(status.confirmed_at)))
st.write(tr("second_factor.recovery_left", n=status.recovery_left))

st.subheader(tr("second_factor.new_codes"))
st.caption(tr("second_factor.new_codes_help"))
regenerating = Form("second_factor_regenerate")
with st.form(regenerating.id):
    code = _code_field(regenerating)
    if st.form_submit_button(tr("second_factor.generate"), key=regenerating.key()):
        write(regenerating, second_factor.regenerate_recovery_codes, code, _address(), then=keep_codes)

st.subheader(tr("second_factor.replace"))
st.caption(tr("second_factor.replace_help"))
if status.pending:
    _enrolment(status.pending, cancel=True)
else:
    _start(tr("second_factor.replace_start"))

if not status.required:
    st.subheader(tr("second_factor.turn_off"))
    st.caption(tr("second_factor.turn_off_help"))
    removing = Form("second_factor_remove")
    with st.form(removing.id):
        code = _code_field(removing)
        if st.form_submit_button(tr("second_factor.turn_off"), key=removing.key()):
            write(
                removing,
                second_factor.remove,
                code,
                _address(),
                keep_session=login_session_id(),
                done=tr("second_factor.turned_off"),
            )
