"""Field validation for persons. Each check returns a cleaned value or records
a translatable message against the field; nothing here touches the database.
The age rule lives here too (``age_on``), with the SQL and column-wise forms
that the impact facts and exports compute it with."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import phonenumbers

from caremgmt.core.errors import ValidationError
from caremgmt.core.i18n import Message
from caremgmt.registry import vocab

# Digits (or characters, for passports) per document type, and the ages a
# holder of that document can plausibly have.
DOCUMENT_RULES: dict[str, dict] = {
    "CC": {"pattern": r"\d{3,10}", "min_age": 18, "max_age": None},
    "TI": {"pattern": r"\d{10,11}", "min_age": 7, "max_age": 17},
    "RC": {"pattern": r"\d{8,11}", "min_age": None, "max_age": 17},
    "CE": {"pattern": r"\d{3,10}", "min_age": None, "max_age": None},
    "PPT": {"pattern": r"\d{4,10}", "min_age": None, "max_age": None},
    "PEP": {"pattern": r"\d{15}", "min_age": None, "max_age": None},
    "PA": {"pattern": r"[A-Z0-9]{5,15}", "min_age": None, "max_age": None},
}
CAREGIVER_AGE_RANGE = (14, 105)
PERSON_MAX_AGE = 115
EARLIEST_BIRTH_DATE = dt.date(1900, 1, 1)  # an earlier one is a typing slip (1890 for 1990)
CARE_HOURS_RANGE = (0, 24)  # hours of care a day
OLDER_PERSON_AGE = 60  # Colombia's "persona mayor" (Ley 1251 de 2008)
CHILD_AGE_LIMIT = 6  # the care need "child_under_6": a child younger than this
NAME_MAX_LENGTH = 60
_DOC_SEPARATORS = re.compile(r"[\s.\-,]")
_NAME_PUNCTUATION = set(" '-.")


def normalize_document(number: str) -> str:
    """'1.023.456-789 ' -> '1023456789'; passports upper-cased."""
    return _DOC_SEPARATORS.sub("", number or "").upper()


def age_from_parts(birth_year, birth_month_day, on_year, on_month_day):
    """The age rule: whole years from the birth year, one fewer before the
    birthday. Month-days are MMDD numbers (29 February is 229). Works on plain
    integers and, element-wise, on numpy arrays (the contacts export)."""
    return on_year - birth_year - (on_month_day < birth_month_day)


def age_on(birth_date: dt.date, today: dt.date) -> int:
    """Age in whole years on ``today``: the one definition of a person's age."""
    return age_from_parts(
        birth_date.year, birth_date.month * 100 + birth_date.day, today.year, today.month * 100 + today.day
    )


def date_number_sql(column: str) -> str:
    """SQL giving an ISO date or stamp ``column`` as the number YYYYMMDD, to feed
    ``age_from_date_numbers``."""
    return f"CAST(replace(substr({column}, 1, 10), '-', '') AS INTEGER)"


def age_from_date_numbers(birth, on):
    """``age_from_parts`` of YYYYMMDD numbers (or, element-wise, arrays of them)."""
    return age_from_parts(birth // 10000, birth % 10000, on // 10000, on % 10000)


def age_sql(birth: str, on: str) -> str:
    """``age_on`` in SQL, for ISO date or stamp expressions (``age_from_parts``
    with the month-day compared as 'MM-DD' text; a test holds the three forms together)."""
    return (
        f"(CAST(substr({on}, 1, 4) AS INTEGER) - CAST(substr({birth}, 1, 4) AS INTEGER)"
        f" - (substr({on}, 6, 5) < substr({birth}, 6, 5)))"
    )


def normalize_phone(raw: str) -> str | None:
    """A Colombian mobile number in E.164 (+573001234567), or None if it is not one."""
    try:
        number = phonenumbers.parse(raw, "CO")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number) or number.country_code != 57:
        return None
    if phonenumbers.number_type(number) not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str | None) -> str:
    """+573001234567 -> '300 1234567' for display."""
    if not e164:
        return ""
    number = phonenumbers.parse(e164, "CO")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


class Checker:
    """Collects cleaned values and per-field messages for one form."""

    def __init__(self, data: dict, prefix: str = ""):
        self.data = data
        self.prefix = prefix
        self.clean: dict = {}
        self.errors: dict[str, Message] = {}

    def fail(self, field: str, key: str, **params: object) -> None:
        self.errors.setdefault(self.prefix + field, Message(key, params))

    def raw(self, field: str):
        value = self.data.get(field)
        return value.strip() if isinstance(value, str) else value

    def text(self, field: str, required: bool = False, max_length: int = 120) -> None:
        value = self.raw(field) or None
        if value is None:
            if required:
                self.fail(field, "error.required")
        elif len(value) > max_length:
            self.fail(field, "error.too_long", max=max_length)
        self.clean[field] = value

    def choice(self, field: str, options: tuple, required: bool = False) -> None:
        value = self.raw(field) or None
        if value is None:
            if required:
                self.fail(field, "error.required")
        elif value not in options:
            self.fail(field, "error.invalid_choice")
        self.clean[field] = value

    def number(
        self,
        field: str,
        low: float,
        high: float,
        cast: Callable = float,
        required: bool = False,
        message: str = "error.out_of_range",
    ) -> None:
        """A number from ``low`` to ``high``; outside, ``message`` (given ``low`` and ``high``)."""
        value = self.raw(field)
        if value in (None, ""):
            if required:
                self.fail(field, "error.required")
            self.clean[field] = None
            return
        try:
            number = cast(value)
        except (TypeError, ValueError):
            self.fail(field, "error.not_a_number")
            return
        if not low <= number <= high:
            self.fail(field, message, low=low, high=high)
        self.clean[field] = number

    def name(self, field: str) -> None:
        value = " ".join((self.raw(field) or "").split())
        if not value:
            self.fail(field, "error.required")
        elif len(value) > NAME_MAX_LENGTH:
            self.fail(field, "error.too_long", max=NAME_MAX_LENGTH)
        elif not all(c.isalpha() or c in _NAME_PUNCTUATION for c in value) or not any(c.isalpha() for c in value):
            self.fail(field, "error.name_characters")
        self.clean[field] = value

    def birth_date(self, field: str, today: dt.date, age_range: tuple[int, int]) -> None:
        value = self.raw(field)
        if isinstance(value, str) and value:
            try:
                value = dt.date.fromisoformat(value)
            except ValueError:
                self.fail(field, "error.invalid_date")
                return
        if isinstance(value, dt.datetime):
            value = value.date()
        if not isinstance(value, dt.date):
            self.fail(field, "error.required")
            return
        if value > today:
            self.fail(field, "error.birth_date_future")
            return
        if value < EARLIEST_BIRTH_DATE:
            self.fail(field, "error.birth_date_too_early", date=EARLIEST_BIRTH_DATE)
            return
        age = age_on(value, today)
        if not age_range[0] <= age <= age_range[1]:
            self.fail(field, "error.implausible_age", age=age, low=age_range[0], high=age_range[1])
        self.clean[field] = value.isoformat()
        self.clean["_age"] = age

    def document(self, required: bool) -> None:
        doc_type = self.raw("doc_type") or None
        number = normalize_document(self.raw("doc_number") or "") or None
        self.clean["doc_type"], self.clean["doc_number"] = doc_type, number
        if doc_type is None and number is None:
            if required:
                self.fail("doc_number", "error.required")
            return
        if doc_type not in DOCUMENT_RULES:
            self.fail("doc_type", "error.required" if doc_type is None else "error.invalid_choice")
            return
        if number is None:
            self.fail("doc_number", "error.required")
            return
        rule = DOCUMENT_RULES[doc_type]
        if not re.fullmatch(rule["pattern"], number):
            self.fail("doc_number", f"error.doc_format.{doc_type}")
            return
        age = self.clean.get("_age")
        if age is None:
            return
        if rule["min_age"] is not None and age < rule["min_age"]:
            self.fail("doc_type", "error.doc_min_age", doc_type=doc_type, age=rule["min_age"])
        if rule["max_age"] is not None and age > rule["max_age"]:
            self.fail("doc_type", "error.doc_max_age", doc_type=doc_type, age=rule["max_age"])

    def phone(self, field: str = "phone") -> None:
        raw = self.raw(field)
        if not raw:
            self.clean[field] = None
            return
        phone = normalize_phone(raw)
        if phone is None:
            self.fail(field, "error.invalid_phone")
        self.clean[field] = phone


def validate_caregiver(data: dict, today: dt.date, *, localities: set, blocks: set) -> dict:
    """Clean a caregiver's fields or raise ValidationError with every problem."""
    c = Checker(data)
    c.name("first_names")
    c.name("last_names")
    c.birth_date("birth_date", today, CAREGIVER_AGE_RANGE)
    c.document(required=True)
    c.choice("sex", vocab.SEXES, required=True)
    c.choice("gender_identity", vocab.GENDER_IDENTITIES)
    c.phone()
    c.choice("locality_code", tuple(localities), required=True)
    c.text("neighbourhood", max_length=80)
    c.number("stratum", 1, 6, cast=int)
    c.choice("ethnicity", vocab.ETHNICITIES)
    c.choice("disability", vocab.DISABILITIES)
    c.choice("migrant_status", vocab.MIGRANT_STATUSES)
    c.choice("education_level", vocab.EDUCATION_LEVELS)
    c.number("care_hours_per_day", *CARE_HOURS_RANGE, message="error.care_hours_range")
    c.choice("registration_channel", vocab.REGISTRATION_CHANNELS, required=True)
    c.choice("home_block", tuple(blocks), required=True)
    if c.errors:
        raise ValidationError(c.errors)
    c.clean.pop("_age", None)
    return c.clean


def _cared_person_checks(c: Checker, today: dt.date) -> None:
    c.name("first_names")
    c.name("last_names")
    c.birth_date("birth_date", today, (0, PERSON_MAX_AGE))
    c.document(required=False)
    c.choice("sex", vocab.SEXES)
    c.choice("disability", vocab.DISABILITIES)
    c.phone()


def validate_cared_person(data: dict, today: dt.date, prefix: str = "") -> dict:
    """Clean a cared-for person's own fields (minimal; the document is optional)."""
    c = Checker(data, prefix)
    _cared_person_checks(c, today)
    if c.errors:
        raise ValidationError(c.errors)
    c.clean.pop("_age", None)
    return c.clean


def validate_dependent(data: dict, today: dt.date, prefix: str = "") -> dict:
    """Clean a cared-for person together with her link to the caregiver."""
    c = Checker(data, prefix)
    _cared_person_checks(c, today)
    c.choice("relationship", vocab.RELATIONSHIPS, required=True)
    c.choice("care_need", vocab.CARE_NEEDS, required=True)
    c.clean["legal_representative"] = bool(data.get("legal_representative"))
    age = c.clean.pop("_age", None)
    if age is not None:
        if c.clean["care_need"] == "child_under_6" and age >= CHILD_AGE_LIMIT:
            c.fail("care_need", "error.care_need_child_age", age=age)
        if c.clean["care_need"] == "older_person" and age < OLDER_PERSON_AGE:
            c.fail("care_need", "error.care_need_older_age", age=age, low=OLDER_PERSON_AGE)
    if c.errors:
        raise ValidationError(c.errors)
    return c.clean
