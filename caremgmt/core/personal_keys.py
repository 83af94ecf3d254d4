"""Crypto-shredding: the personal values the audit log keeps about a person
(what a registration or a correction wrote, old and new) are sealed with a key
of her own (AES-GCM, the ``cryptography`` library), kept in ``person_keys``.
The log stays append-only; erasing her destroys the key, and with it every
old value of hers the log holds, without touching a row of the log.
"""

from __future__ import annotations

import base64
import json
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlite_utils import Database

PREFIX = "sealed:"
# What a sealed value reads as once her key is destroyed.
SHREDDED = {"_shredded": True}


def _key(db: Database, person_id: int, *, create: bool) -> bytes | None:
    row = db.execute("SELECT key FROM person_keys WHERE person_id = ?", [person_id]).fetchone()
    if row is None and create:
        key = AESGCM.generate_key(bit_length=256)
        db.execute("INSERT INTO person_keys (person_id, key) VALUES (?, ?)", [person_id, key])
        return key
    return row[0] if row else None


def seal(db: Database, person_id: int, values: dict | None) -> str | None:
    """``values`` as JSON sealed under her key (made on first use, inside the
    caller's transaction)."""
    if values is None:
        return None
    nonce = os.urandom(12)
    plain = json.dumps(values, ensure_ascii=False, sort_keys=True, default=str).encode()
    sealed = AESGCM(_key(db, person_id, create=True)).encrypt(nonce, plain, b"person:%d" % person_id)
    return PREFIX + base64.b64encode(nonce + sealed).decode()


def unseal(db: Database, person_id: int | None, text: str | None) -> dict | None:
    """The values of an audit column: plain JSON as written before sealing
    existed (or about no person), unsealed, or SHREDDED once her key is gone."""
    if text is None:
        return None
    if not text.startswith(PREFIX) or person_id is None:
        return json.loads(text)
    key = _key(db, person_id, create=False)
    if key is None:
        return SHREDDED
    raw = base64.b64decode(text[len(PREFIX) :])
    return json.loads(AESGCM(key).decrypt(raw[:12], raw[12:], b"person:%d" % person_id))


def destroy(db: Database, person_id: int) -> None:
    """Forget her key, inside the caller's transaction (with PRAGMA secure_delete on,
    the freed bytes are zeroed)."""
    db.execute("DELETE FROM person_keys WHERE person_id = ?", [person_id])
