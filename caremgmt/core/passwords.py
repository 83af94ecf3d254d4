"""The password policy: what a password must be, checked wherever one is set (a new
account, the first administrator, a change by its owner). Each rule has its own message,
so a refusal says which rule the password broke.

Rules, in the order they are checked:
- it is text that can be stored (a terminal can hand over bytes that are not UTF-8);
- at least ``MIN_LENGTH`` characters;
- not one character or one short group repeated ("aaaaaaaaaaaa", "abcabcabcabc");
- not a run along the alphabet, the digits or the keyboard ("1234567890", "qwertyuiop");
- not containing the username;
- not a common password (``common_passwords.txt``): compared lower-case, also with the
  digits, spaces and punctuation taken out and once per repetition, so "Colombia2024!"
  and "password password" count as common.

Length is the rule that matters most (NIST SP 800-63B, OWASP ASVS 2.1): 12 for everyone,
because every role here reaches people's personal data and an attacker who gets a copy of
the database can guess offline, where only length and rarity slow her down. There is no
rule about character classes: they push people to "Password1!" and add little.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from pathlib import Path

from caremgmt.core.errors import ValidationError
from caremgmt.core.i18n import Message

MIN_LENGTH = 12
# A group this short repeated to the full length is no better than one character repeated.
_SHORT_GROUP = 4
_COMMON_FILE = Path(__file__).with_name("common_passwords.txt")
# Runs of keys or letters people type as a "password": one is refused if it lies along one
# of these, forwards or backwards (the digits wrap around: "7890123456").
_RUNS = (
    "012345678901234567890123456789",
    "abcdefghijklmnñopqrstuvwxyz",
    "abcdefghijklmnopqrstuvwxyz",
    "1234567890qwertyuiopasdfghjklñzxcvbnm",
    "qwertyuiopasdfghjklzxcvbnm",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
    "qazwsxedcrfvtgbyhnujmikolp",
)


@cache
def common_passwords() -> frozenset[str]:
    lines = _COMMON_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(_fold(line) for line in lines if line.strip() and not line.startswith("#"))


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip().lower()


def _unit(text: str) -> str:
    """The shortest group whose repetition makes ``text`` ("abcabc" -> "abc")."""
    match = re.fullmatch(r"(.+?)\1+", text, re.DOTALL)
    return match.group(1) if match else text


def _is_run(text: str) -> bool:
    return len(text) > 2 and any(text in run or text[::-1] in run for run in _RUNS)


def _variants(folded: str) -> set[str]:
    """What is compared with the common list: the password, without its spaces and
    digits, letters only, and the group each of those repeats."""
    plain = re.sub(r"[\s\d]+", "", folded)
    letters = "".join(c for c in folded if c.isalpha())
    return {v for text in (folded, plain, letters) for v in (text, _unit(text)) if v}


def problem(password: str, username: str | None = None) -> Message | None:
    """The first rule ``password`` breaks, as the message that names it; None if it is fine."""
    password = password or ""
    try:
        password.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: bytes that were not UTF-8 (surrogateescape)
        return Message("error.password_encoding")
    if len(password) < MIN_LENGTH:
        return Message("error.password_short", {"min": MIN_LENGTH})
    folded = _fold(password)
    compact = re.sub(r"\s+", "", folded)
    if len(_unit(compact)) < _SHORT_GROUP:
        return Message("error.password_repeated")
    if _is_run(compact) or _is_run(_unit(compact)):
        return Message("error.password_sequence")
    name = _fold(username or "")
    if name and name in folded:
        return Message("error.password_username")
    if _variants(folded) & common_passwords():
        return Message("error.password_common")
    return None


def check(password: str, username: str | None = None, field: str = "password") -> None:
    """Refuse ``password`` (a ValidationError on ``field``) if it breaks a rule."""
    message = problem(password, username)
    if message is not None:
        raise ValidationError({field: message})
