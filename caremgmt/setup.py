"""Bringing a database to a usable state: schema (via connect) and reference data."""

from sqlite_utils import Database

from caremgmt.casework import institutions
from caremgmt.core import reference
from caremgmt.core.db import connect
from caremgmt.scheduling import catalogue

_initialized: set[str] = set()


def initialize(path: str | None = None) -> Database:
    """Open the database, migrate it and load seed_data/ (idempotent)."""
    db = connect(path)
    reference.load_seed(db)
    catalogue.load_seed(db)
    institutions.load_seed(db)
    return db


def ensure_initialized(path: str) -> None:
    """initialize() once per process and path: the app calls this on every run."""
    if path not in _initialized:
        initialize(path).close()
        _initialized.add(path)
