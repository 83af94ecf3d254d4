"""Exceptions the service layer raises; each carries translatable messages."""

from __future__ import annotations

from caremgmt.core.i18n import Message


class CareError(Exception):
    """Base class: something the user must be told, in their language."""

    def __init__(self, message: Message):
        super().__init__(message.key)
        self.message = message


class ValidationError(CareError):
    """One or more fields are invalid; ``errors`` maps field name to message."""

    def __init__(self, errors: dict[str, Message]):
        super().__init__(Message("error.invalid_form"))
        self.errors = errors


class PermissionDenied(CareError):
    def __init__(self, permission: str):
        super().__init__(Message("error.permission_denied"))
        self.permission = permission


class NotFound(CareError):
    def __init__(self, what: str):
        super().__init__(Message("error.not_found"))
        self.what = what


class DuplicateDocument(CareError):
    """The document is already registered; ``field`` says which form section."""

    def __init__(self, person: dict, field: str = "doc_number"):
        super().__init__(Message("error.duplicate_document", {"name": person["full_name"]}))
        self.person = person
        self.field = field


class ProbableDuplicates(CareError):
    """Possible existing records; staff must open one or confirm a new person."""

    def __init__(self, matches: list, field: str = ""):
        super().__init__(Message("error.probable_duplicates"))
        self.matches = matches
        self.field = field
