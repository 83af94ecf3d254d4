"""Crypto-shredding: the personal values the audit log keeps about a person
(what a registration or a correction wrote, old and new) are sealed with a key
of her own for the year they were written (AES-GCM, the ``cryptography``
library), kept in ``person_keys``. The log stays append-only; erasing her
destroys her keys, and with them every old value of hers the log holds,
without touching a row of the log; retention destroys the keys of years
past their keeping period.
"""

from __future__ import annotations

import base64
import json
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlite_utils import Database

from caremgmt.core import clock

PREFIX = "sealed:"
# What a sealed value reads as once her key is destroyed.
SHREDDED = {"_shredded": True}


def _key(db: Database, person_id: int, year: str, *, create: bool) -> bytes | None:
    row = db.execute("SELECT key FROM person_keys WHERE person_id = ? AND year = ?", [person_id, year]).fetchone()
    if row is None and create:
        key = AESGCM.generate_key(bit_length=256)
        db.execute("INSERT INTO person_keys (person_id, year, key) VALUES (?, ?, ?)", [person_id, year, key])
        return key
    return row[0] if row else None


def seal(db: Database, person_id: int, values: dict | None, year: str | None = None) -> str | None:
    """``values`` as JSON sealed under her key of ``year`` (default: this one;
    made on first use, inside the caller's transaction): "sealed:YEAR:..."."""
    if values is None:
        return None
    year = year or clock.today().strftime("%Y")
    nonce = os.urandom(12)
    plain = json.dumps(values, ensure_ascii=False, sort_keys=True, default=str).encode()
    sealed = AESGCM(_key(db, person_id, year, create=True)).encrypt(nonce, plain, b"person:%d" % person_id)
    return f"{PREFIX}{year}:" + base64.b64encode(nonce + sealed).decode()


def unseal(db: Database, person_id: int | None, text: str | None) -> dict | None:
    """The values of an audit column: plain JSON as written before sealing
    existed (or about no person), unsealed, or SHREDDED once her key is gone."""
    if text is None:
        return None
    if not text.startswith(PREFIX) or person_id is None:
        return json.loads(text)
    year, _, payload = text[len(PREFIX) :].partition(":")
    key = _key(db, person_id, year, create=False)
    if key is None:
        return SHREDDED
    raw = base64.b64decode(payload)
    return json.loads(AESGCM(key).decrypt(raw[:12], raw[12:], b"person:%d" % person_id))


def destroy(db: Database, person_id: int) -> None:
    """Forget her keys, inside the caller's transaction (with PRAGMA secure_delete on,
    the freed bytes are zeroed)."""
    db.execute("DELETE FROM person_keys WHERE person_id = ?", [person_id])


def destroy_before(db: Database, year: str) -> int:
    """Forget everyone's keys of the years before ``year``; how many."""
    return db.execute("DELETE FROM person_keys WHERE year < ?", [year]).rowcount
