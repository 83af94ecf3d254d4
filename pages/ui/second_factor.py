"""The second factor's recovery codes between the run that made them and the
one where she says she saved them: until then the navigation offers only the
second factor's page (streamlit_app.py), so the codes are not lost by a click
elsewhere. Kept in this tab's memory only (a reload forgets them: she can make
new ones with a code from her app)."""

from __future__ import annotations

import streamlit as st

_SHOWN = "recovery_codes_shown"


def keep_codes(codes: list[str]) -> None:
    """The recovery codes just made, to show her once."""
    st.session_state[_SHOWN] = list(codes)


def codes_to_show() -> list[str] | None:
    """The recovery codes she has not said she saved yet, or None."""
    return st.session_state.get(_SHOWN)


def codes_saved() -> None:
    """She saved them: they go (from here too)."""
    st.session_state.pop(_SHOWN, None)
