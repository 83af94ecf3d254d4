"""Translation catalogue: every string a user reads comes from locales/*.json.

Spanish is the default; English is available per user.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

LANGUAGES = ("es", "en")
DEFAULT_LANGUAGE = "es"
_LOCALES = Path(__file__).parents[1] / "locales"


@cache
def catalogue(language: str) -> dict[str, str]:
    return json.loads((_LOCALES / f"{language}.json").read_text(encoding="utf-8"))


def t(key: str, language: str = DEFAULT_LANGUAGE, **params: object) -> str:
    """The text for ``key`` in ``language``; Spanish if the key is missing there."""
    if language not in LANGUAGES:
        language = DEFAULT_LANGUAGE
    text = catalogue(language).get(key) or catalogue(DEFAULT_LANGUAGE).get(key, key)
    if not params:
        return text
    # A parameter may itself be a message (a reason inside a refusal).
    return text.format(**{k: v.render(language) if isinstance(v, Message) else v for k, v in params.items()})


@dataclass(frozen=True)
class Message:
    """A translatable message: a catalogue key and its parameters."""

    key: str
    params: dict[str, object] = field(default_factory=dict)

    def render(self, language: str = DEFAULT_LANGUAGE) -> str:
        return t(self.key, language, **self.params)
