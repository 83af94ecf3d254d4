"""Configuration, in one place: read from the environment each time it is asked
for, so a test or a command that sets a variable is seen at once.

To add a setting: a field on Config with its default, and ``env`` (the
variable's name) and ``doc`` (one line for the README's Configuration table)
in its metadata. An empty variable counts as unset.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields


def _var(env: str, doc: str, default: str | None = None):
    return field(default=default, metadata={"env": env, "doc": doc})


@dataclass(frozen=True)
class Config:
    db_path: str = _var("CAREMGMT_DB", "path of the SQLite database", "data/caremgmt.db")
    password: str | None = _var("CAREMGMT_PASSWORD", "password for `user add` (otherwise prompted)")
    idle_minutes: int = _var("CAREMGMT_IDLE_MINUTES", "minutes without a click after which a login session ends", 30)
    backup_key: str | None = _var(
        "CAREMGMT_BACKUP_KEY", "passphrase that encrypts backups (and is needed to verify or restore them)"
    )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Config:
        environ = os.environ if environ is None else environ
        return cls(
            **{f.name: _parse(f, environ[f.metadata["env"]]) for f in fields(cls) if environ.get(f.metadata["env"])}
        )


def _parse(setting, raw: str):
    """A variable's text as its setting's type; a whole number must be one, and positive."""
    if not isinstance(setting.default, int):
        return raw
    if not (raw.strip().isascii() and raw.strip().isdigit() and int(raw) > 0):
        raise ValueError(f"{setting.metadata['env']} must be a whole number above 0, not {raw!r}")
    return int(raw)


def current() -> Config:
    """The configuration as the environment says now."""
    return Config.from_env()


def variables() -> dict[str, str]:
    """Each environment variable and what it sets (the README's Configuration table lists them)."""
    return {f.metadata["env"]: f.metadata["doc"] for f in fields(Config)}
