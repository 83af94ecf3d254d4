"""Backups: one file that holds a consistent copy of the database and a
manifest (schema, row counts, checksum), optionally encrypted.

A backup is taken through SQLite's online backup API in one step: it reads one
snapshot while the desks go on writing (WAL), so it never holds them up and is
never half of one moment and half of another. The file is a gzip'd tar of
``manifest.json`` and ``caremgmt.db``; with a key it is that tar encrypted in
chunks with AES-256-GCM (the ``cryptography`` library): each chunk's nonce and
associated data carry its number and whether it is the last, so a chunk cut
out, moved or a file cut short fails to decrypt rather than restoring less.

``verify`` unpacks into a temporary folder and checks everything a restore
relies on; ``restore`` verifies first and changes nothing unless all holds."""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import hashlib
import io
import json
import os
import secrets
import sqlite3
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from caremgmt.core import actor, audit, config
from caremgmt.core.db import connect, write_transaction
from caremgmt.core.migrations import migration_files, migrations

FORMAT = "caremgmt-backup/1"
DATABASE_NAME = "caremgmt.db"
MANIFEST_NAME = "manifest.json"
KEY_VARIABLE = "CAREMGMT_BACKUP_KEY"
MAGIC = b"CAREMGMT-BACKUP-ENCRYPTED-1\n"
CHUNK = 1 << 20  # bytes of plaintext per encrypted chunk
_SALT_BYTES, _NONCE_PREFIX_BYTES, _TAG_BYTES = 16, 7, 16
# scrypt for a passphrase: about a tenth of a second, once per backup or restore.
_SCRYPT = {"n": 2**15, "r": 8, "p": 1}


class BackupError(Exception):
    """A backup file that cannot be trusted or used: ``reason`` says why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Manifest:
    format: str
    created_at: str
    schema: list[str]  # names of the migrations applied
    tables: dict[str, int]  # rows per table
    sha256: str
    bytes: int

    def to_json(self) -> str:
        return json.dumps(self.__dict__, indent=1, sort_keys=True)


def key_from_environment() -> str | None:
    """The backup passphrase ($CAREMGMT_BACKUP_KEY), or None to write plain backups."""
    return config.current().backup_key


# --- taking a backup ---------------------------------------------------------


def take(source: str, out: str | Path, key: str | None = None) -> Manifest:
    """Write a backup of the database at ``source`` to ``out`` (readable by its
    owner only: it holds every person's data) and return its manifest."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".backup-") as work:
        copy = Path(work) / DATABASE_NAME
        _copy_database(source, copy)
        manifest = _describe(copy)
        partial = Path(work) / "backup.partial"
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as raw:
            sink: BinaryIO = _EncryptingWriter(raw, key) if key else raw
            with (
                gzip.GzipFile(fileobj=sink, mode="wb", compresslevel=1) as packed,
                tarfile.open(fileobj=packed, mode="w|") as archive,
            ):
                _add(archive, MANIFEST_NAME, manifest.to_json().encode())
                archive.add(copy, arcname=DATABASE_NAME)
            if key:
                sink.close()
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(partial, out)  # never a half-written backup under the name asked for
    db = connect(source)
    try:
        with write_transaction(db):
            audit.record(db, actor.SYSTEM, "backup", "database", None, detail=json.dumps({"sha256": manifest.sha256}))
    finally:
        db.close()
    return manifest


def _copy_database(source: str, target: Path) -> None:
    if not Path(source).exists():
        raise BackupError(f"no database at {source}")
    src = sqlite3.connect(f"file:{Path(source).resolve()}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)  # one step: one snapshot, writers in WAL mode go on meanwhile
        dst.execute("PRAGMA journal_mode = DELETE")  # a single self-contained file
    finally:
        dst.close()
        src.close()


def _describe(path: Path) -> Manifest:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        counts, schema = _row_counts(conn), _schema_of(conn)
    finally:
        conn.close()
    return Manifest(
        format=FORMAT,
        created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        schema=schema,
        tables=counts,
        sha256=_sha256(path),
        bytes=path.stat().st_size,
    )


def _row_counts(conn: sqlite3.Connection) -> dict[str, int]:
    names = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"
    ).fetchall()
    return {name: conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for (name,) in names}


def _schema_of(conn: sqlite3.Connection) -> list[str]:
    try:
        rows = conn.execute(
            "SELECT name FROM _sqlite_migrations WHERE migration_set = ? ORDER BY name", [migrations.name]
        ).fetchall()
    except sqlite3.DatabaseError:
        return []
    return [name for (name,) in rows]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _add(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode = len(data), 0o600
    archive.addfile(info, io.BytesIO(data))


# --- verifying and restoring --------------------------------------------------


@contextlib.contextmanager
def unpacked(
    backup: str | Path, key: str | None = None, work_dir: str | Path | None = None
) -> Iterator[tuple[Manifest, Path]]:
    """The manifest and the database of a backup, unpacked into a temporary
    folder (removed afterwards) and verified: checksum, SQLite's integrity
    check, row counts equal to the manifest's, a schema this code knows."""
    backup = Path(backup)
    if not backup.is_file():
        raise BackupError(f"no backup file at {backup}")
    with tempfile.TemporaryDirectory(dir=work_dir, prefix=".restore-") as work, open(backup, "rb") as raw:
        encrypted = raw.read(len(MAGIC)) == MAGIC
        raw.seek(0)
        if encrypted and not key:
            raise BackupError(f"the backup is encrypted: set {KEY_VARIABLE} to its key")
        source: BinaryIO = _DecryptingReader(raw, key) if encrypted else raw
        manifest_text, database = None, Path(work) / DATABASE_NAME
        try:
            with gzip.GzipFile(fileobj=source, mode="rb") as packed, tarfile.open(fileobj=packed, mode="r|") as archive:
                for member in archive:
                    stream = archive.extractfile(member) if member.isfile() else None
                    if stream is None or member.name not in (MANIFEST_NAME, DATABASE_NAME):
                        raise BackupError(f"not a caremgmt backup (unexpected entry {member.name!r})")
                    if member.name == MANIFEST_NAME:
                        manifest_text = stream.read(1 << 20)
                    else:
                        with open(database, "wb") as handle:
                            while block := stream.read(CHUNK):
                                handle.write(block)
        except (tarfile.TarError, EOFError, OSError, ValueError, zlib.error) as e:  # gzip and tar damage, cut files
            raise BackupError(f"the backup file is damaged or not a caremgmt backup ({e})") from e
        if manifest_text is None or not database.exists():
            raise BackupError("the backup file is incomplete (manifest or database missing)")
        manifest = _read_manifest(manifest_text)
        _verify(manifest, database)
        yield manifest, database


def _read_manifest(text: bytes) -> Manifest:
    try:
        data = json.loads(text)
        manifest = Manifest(**data)
    except (ValueError, TypeError) as e:
        raise BackupError("the backup's manifest is unreadable") from e
    if manifest.format != FORMAT:
        raise BackupError(f"unknown backup format {manifest.format!r}")
    return manifest


def _verify(manifest: Manifest, database: Path) -> None:
    if database.stat().st_size != manifest.bytes or _sha256(database) != manifest.sha256:
        raise BackupError("the database in the backup does not match its checksum")
    unknown = sorted(set(manifest.schema) - {path.stem for path in migration_files()})
    if unknown:
        raise BackupError(f"the backup comes from a newer version of caremgmt (schema {', '.join(unknown)})")
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        problems = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        if problems != ["ok"]:
            raise BackupError("the database in the backup fails SQLite's integrity check: " + "; ".join(problems[:5]))
        if _schema_of(conn) != manifest.schema:
            raise BackupError("the database's schema differs from the manifest's")
        counts = _row_counts(conn)
        for name in sorted(set(counts) | set(manifest.tables)):
            if counts.get(name) != manifest.tables.get(name):
                raise BackupError(
                    f"table {name} holds {counts.get(name)} rows, the manifest says {manifest.tables.get(name)}"
                )
    except sqlite3.DatabaseError as e:
        raise BackupError(f"the database in the backup is unreadable ({e})") from e
    finally:
        conn.close()


def verify(backup: str | Path, key: str | None = None) -> Manifest:
    """The manifest of a backup that passes every check (else BackupError)."""
    with unpacked(backup, key) as (manifest, _):
        return manifest


def restore(backup: str | Path, target: str, key: str | None = None) -> Manifest:
    """Replace the database at ``target`` with the verified backup (through the
    backup API, so connections open on it see the restored data, never a file
    swapped under them); newer migrations are applied afterwards. A backup that
    fails verification changes nothing."""
    target_path = Path(target)
    target_path.parent.mkdir(parents=True, exist_ok=True)
    with unpacked(backup, key, work_dir=target_path.parent) as (manifest, database):
        src = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
        dst = connect(str(target_path))
        try:
            src.backup(dst.conn)
            dst.execute("PRAGMA journal_mode = WAL")
            with write_transaction(dst):
                migrations.apply(dst)  # a backup of an older version: up to this one
                audit.record(
                    dst,
                    actor.SYSTEM,
                    "restore",
                    "database",
                    None,
                    detail=json.dumps({"backup_created_at": manifest.created_at, "sha256": manifest.sha256}),
                )
        finally:
            dst.close()
            src.close()
    return manifest


# --- encryption -----------------------------------------------------------------


def _derive(key: str, salt: bytes) -> bytes:
    return hashlib.scrypt(
        key.encode(), salt=salt, n=_SCRYPT["n"], r=_SCRYPT["r"], p=_SCRYPT["p"], dklen=32, maxmem=1 << 26
    )


def _nonce(prefix: bytes, index: int, last: bool) -> bytes:
    return prefix + index.to_bytes(4, "big") + (b"\x01" if last else b"\x00")


class _EncryptingWriter(io.RawIOBase):
    """Write-only stream: plaintext in, MAGIC + salt + nonce prefix + chunks out."""

    def __init__(self, raw: BinaryIO, key: str):
        salt, self._prefix = secrets.token_bytes(_SALT_BYTES), secrets.token_bytes(_NONCE_PREFIX_BYTES)
        self._aead, self._raw = AESGCM(_derive(key, salt)), raw
        self._buffer, self._index = bytearray(), 0
        raw.write(MAGIC + salt + self._prefix)

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self._buffer += data
        while len(self._buffer) > CHUNK:  # keep at least one byte back: the last chunk is marked
            self._emit(bytes(self._buffer[:CHUNK]), last=False)
            del self._buffer[:CHUNK]
        return len(data)

    def _emit(self, plain: bytes, last: bool) -> None:
        self._raw.write(self._aead.encrypt(_nonce(self._prefix, self._index, last), plain, MAGIC))
        self._index += 1

    def close(self) -> None:
        if not self.closed:
            self._emit(bytes(self._buffer), last=True)
            self._buffer.clear()
        super().close()


class _DecryptingReader(io.RawIOBase):
    def __init__(self, raw: BinaryIO, key: str):
        header = raw.read(len(MAGIC) + _SALT_BYTES + _NONCE_PREFIX_BYTES)
        salt = header[len(MAGIC) : len(MAGIC) + _SALT_BYTES]
        self._prefix = header[len(MAGIC) + _SALT_BYTES :]
        self._aead, self._raw = AESGCM(_derive(key, salt)), raw
        self._plain, self._index, self._done = b"", 0, False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._plain and not self._done:
            self._next_chunk()
            if self._done and self._raw.read(1):
                raise BackupError("the encrypted backup has data after its end: altered")
        size = min(len(buffer), len(self._plain))
        buffer[:size] = self._plain[:size]
        self._plain = self._plain[size:]
        return size

    def _next_chunk(self) -> None:
        sealed = self._raw.read(CHUNK + _TAG_BYTES)
        if not sealed:
            raise BackupError("the encrypted backup is cut short")
        # A full-size chunk may be the last (a plaintext of exactly CHUNK bytes): try both marks.
        for last in (len(sealed) < CHUNK + _TAG_BYTES, len(sealed) == CHUNK + _TAG_BYTES):
            try:
                self._plain = self._aead.decrypt(_nonce(self._prefix, self._index, last), sealed, MAGIC)
            except InvalidTag:
                continue
            self._index, self._done = self._index + 1, last
            return
        raise BackupError(f"wrong key for this backup, or the file was altered ({KEY_VARIABLE})")
