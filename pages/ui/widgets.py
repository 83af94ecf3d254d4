"""Field widgets that carry their error line, and the error lines themselves.

A form's field errors are kept per ``scope`` (the form's name) in the session,
so they outlive reruns until the form is submitted again. ``field_error``
leaves a placeholder under the widget: the write helper fills it on the same
run a refusal comes back, and tells which messages no widget could show."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from caremgmt.core import policy
from caremgmt.core.clock import today
from caremgmt.core.errors import ValidationError
from caremgmt.core.i18n import Message
from pages.ui.formatting import label, literal
from pages.ui.session import language, run_state, tr, user

# The widest bounds st.date_input takes. Left to itself it bounds a date to ten
# years around its first value, and refuses one outside its bounds on its own (an
# English tooltip, or no value at all: "Este campo es obligatorio" for a birth
# date in 1890). With these, every date typed reaches the domain, which says why
# it refuses one (a birth date after today or before 1900, an achievement before
# her birth), in the user's language, under the field.
ANY_DATE = {"min_value": dt.date(1, 1, 1), "max_value": dt.date(9999, 12, 31)}


def set_errors(scope: str, error: ValidationError | None) -> None:
    st.session_state[f"{scope}_errors"] = error.errors if error else {}


def _slots(scope: str) -> dict[str, list]:
    return run_state().setdefault("error_slots", {}).setdefault(scope, {})


def _show(slot, message: Message | None) -> None:
    if message:  # its parameters may be what was typed (a name, a code)
        slot.markdown(f":red[{literal(message.render(language()))}]")
    else:
        slot.empty()


def field_error(scope: str, field: str) -> None:
    """The message for ``field``, shown right under its widget."""
    slot = st.empty()
    _slots(scope).setdefault(field, []).append(slot)
    _show(slot, st.session_state.get(f"{scope}_errors", {}).get(field))


def show_field_errors(scope: str, error: ValidationError) -> list[Message]:
    """Keep ``error``'s messages for ``scope`` and show each under its widget on
    this very run; return the messages that no widget on the page shows."""
    set_errors(scope, error)
    slots = _slots(scope)
    for field, places in slots.items():
        for slot in places:
            _show(slot, error.errors.get(field))
    return [message for field, message in error.errors.items() if field not in slots]


def period_and_block(columns, blocks: dict[str, str], key: str) -> tuple[dt.date, dt.date, str | None]:
    """From (1 January to today) and a block (all by default) in the first three
    ``columns``: the filters the impact and export pages share; widget keys
    ``<key>_from``, ``<key>_to`` and ``<key>_block``."""
    start = columns[0].date_input(
        tr("impact.from"), dt.date(today().year, 1, 1), format="DD/MM/YYYY", key=f"{key}_from"
    )
    end = columns[1].date_input(tr("impact.to"), today(), format="DD/MM/YYYY", key=f"{key}_to")
    block = columns[2].selectbox(
        tr("field.block_code"),
        [None, *blocks],
        key=f"{key}_block",
        format_func=labeller([None, *blocks], lambda c: tr("impact.all") if c is None else blocks[c]),
        placeholder=tr("common.choose"),
    )
    return start, end, block


def labeller(options, make_label):
    """A format_func whose labels are made now, in the user's language: Streamlit
    may call format_func outside this script run, where the language is unknown."""
    shown = {option: make_label(option) for option in options}
    return shown.__getitem__


def _title(field: str, required: bool) -> str:
    # Error keys may be nested ("dependents.0.first_names"); the label is the last part.
    return tr(f"field.{field.rsplit('.', 1)[-1]}") + (" *" if required else "")


def choice(
    scope: str,
    field: str,
    options: tuple,
    group: str | None,
    key: str,
    default=None,
    required=False,
    labels: dict | None = None,
):
    """A selectbox of vocabulary values (``group`` labels or ``labels``) and its error line."""
    index = options.index(default) if default in options else None
    make = (lambda v: labels.get(v, str(v))) if labels is not None else (lambda v: label(group, v))
    value = st.selectbox(
        _title(field, required),
        options,
        index=index,
        key=key,
        format_func=labeller(options, make),
        placeholder=tr("common.choose"),
    )
    field_error(scope, field)
    return value


def text(scope: str, field: str, key: str, default: str | None = None, required=False, **kwargs) -> str:
    value = st.text_input(_title(field, required), value=default or "", key=key, **kwargs)
    field_error(scope, field)
    return value


def date(scope: str, field: str, key: str, default: str | None = None, required=False) -> dt.date | None:
    value = st.date_input(
        _title(field, required),
        value=dt.date.fromisoformat(default) if default else None,
        format="DD/MM/YYYY",
        key=key,
        **ANY_DATE,
    )
    field_error(scope, field)
    return value


_TAKEN = "password_taken:"


def password(scope: str, field: str, key: str) -> None:
    """A password field and its error line. What is typed never stays in it:
    the form's submit button takes it out (``on_click=take_passwords,
    args=(key,)``) and the page reads it with ``taken(key)``, so the field is
    empty after every click, the write refused or done."""
    st.text_input(_title(field, False), type="password", key=key)
    field_error(scope, field)


def take_passwords(*keys: str) -> None:
    """A submit button's on_click (it runs before the page): move what the
    password fields ``keys`` hold to where ``taken`` reads it, and empty them."""
    for key in keys:
        st.session_state[_TAKEN + key] = st.session_state.get(key) or ""
        st.session_state[key] = ""


def taken(key: str) -> str:
    """What the password field ``key`` held when its form was submitted (once)."""
    return st.session_state.pop(_TAKEN + key, "")


def block_picker(blocks: list[dict], key: str, action: str | None = None) -> str | None:
    """The user's own block by default; others may pick another. With ``action``,
    only the blocks where the policy lets her take it (the service refuses the
    rest anyway); none at all: the page says so and stops."""
    if action is not None:
        allowed = [b for b in blocks if policy.permits(user(), action, b["code"])]
        if blocks and not allowed:
            st.info(tr("error.other_block"))
            st.stop()
        blocks = allowed
    codes = [b["code"] for b in blocks]
    names = {b["code"]: b["name"] for b in blocks}
    own = user().block_code
    return (
        st.selectbox(
            tr("field.block_code"),
            codes,
            index=codes.index(own) if own in codes else 0,
            format_func=labeller(codes, names.__getitem__),
            key=key,
            placeholder=tr("common.choose"),
        )
        if codes
        else None
    )
