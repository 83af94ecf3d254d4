"""Who is acting: the signed-in user (or the system itself) and the roles there are."""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("frontdesk", "coordinator", "evaluator", "admin")


@dataclass(frozen=True)
class User:
    id: int | None
    username: str
    role: str
    block_code: str | None = None
    language: str = "es"


# The command line and seed loading act as the system, with an admin's rights.
SYSTEM = User(id=None, username="system", role="admin")
