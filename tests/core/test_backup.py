"""Backups: consistent while the desks write, verified before anything is
restored, encrypted so that a wrong key, a cut or an altered byte is refused."""

import hashlib
import sqlite3
import tarfile
import threading
from pathlib import Path

import pytest

from caremgmt.core import backup
from caremgmt.core.db import connect, write_transaction
from tests.factories import cli, person


def digest(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def counts(path) -> dict[str, int]:
    conn = sqlite3.connect(path)
    try:
        return backup._row_counts(conn)
    finally:
        conn.close()


@pytest.fixture
def registry(db, admin, frontdesk, tmp_path):
    for n in range(12):
        person(db, frontdesk, n)
    return str(tmp_path / "caremgmt.db")


def test_a_backup_restores_the_same_registry_elsewhere(registry, tmp_path):
    manifest = backup.take(registry, tmp_path / "registry.backup")
    assert (tmp_path / "registry.backup").stat().st_mode & 0o777 == 0o600  # every person's data is in it
    assert manifest.tables["persons"] == 24 and "0001_registry" in manifest.schema
    restored = str(tmp_path / "elsewhere" / "restored.db")
    assert backup.restore(tmp_path / "registry.backup", restored) == manifest
    db = connect(restored)
    names = [r[0] for r in db.execute("SELECT last_names FROM persons ORDER BY id")]
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("SELECT action FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()[0] == "restore"
    db.close()
    source = connect(registry)
    assert names == [r[0] for r in source.execute("SELECT last_names FROM persons ORDER BY id")]
    assert source.execute("SELECT action FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()[0] == "backup"
    source.close()


def test_a_backup_taken_while_twenty_writers_run_restores_to_its_manifest(registry, tmp_path):
    stop, written, failures = threading.Event(), [0] * 20, []

    def writer(n: int) -> None:
        db = connect(registry)
        try:
            while not stop.is_set():
                with write_transaction(db):
                    db.execute(
                        "INSERT INTO audit_log (at, action, entity, detail) VALUES (datetime('now'), 'test', 'w', ?)",
                        [str(n)],
                    )
                written[n] += 1
        except Exception as e:  # reported below: a writer must never fail
            failures.append(e)
        finally:
            db.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    while sum(written) < 200:  # every writer is under way
        threading.Event().wait(0.01)
    before = sum(written)
    manifest = backup.take(registry, tmp_path / "busy.backup")
    during = sum(written) - before
    threading.Event().wait(0.2)
    stop.set()
    for thread in threads:
        thread.join()
    assert not failures and during > 0 and sum(written) > before
    restored = str(tmp_path / "restored.db")
    backup.restore(tmp_path / "busy.backup", restored)
    conn = sqlite3.connect(restored)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    after_restore = counts(restored)
    after_restore["audit_log"] -= 1  # the restore's own entry
    assert after_restore == manifest.tables
    assert manifest.tables["audit_log"] < counts(registry)["audit_log"]  # the writers went on after it


def test_an_encrypted_backup_needs_its_key_and_refuses_any_alteration(registry, tmp_path, monkeypatch):
    monkeypatch.setattr(backup, "CHUNK", 4096)  # many chunks even for a small database
    out = tmp_path / "secret.backup"
    manifest = backup.take(registry, out, key="una clave larga de respaldo")
    data = out.read_bytes()
    assert data.startswith(backup.MAGIC) and b"Prueba" not in data and b"SQLite format" not in data
    assert backup.verify(out, key="una clave larga de respaldo") == manifest
    with pytest.raises(backup.BackupError, match="encrypted"):
        backup.verify(out)
    with pytest.raises(backup.BackupError, match="wrong key"):
        backup.verify(out, key="otra clave")
    chunk = 4096 + 16
    start = len(backup.MAGIC) + 16 + 7
    altered = {
        "flipped": data[:5000] + bytes([data[5000] ^ 1]) + data[5001:],
        "cut": data[: start + 3 * chunk],
        "swapped": data[:start]
        + data[start + chunk : start + 2 * chunk]
        + data[start : start + chunk]
        + data[start + 2 * chunk :],
        "appended": data + data[-chunk:],
        "last chunk dropped": data[: start + ((len(data) - start) // chunk) * chunk],
    }
    for name, bad in altered.items():
        (tmp_path / "bad.backup").write_bytes(bad)
        with pytest.raises(backup.BackupError):
            backup.verify(tmp_path / "bad.backup", key="una clave larga de respaldo")
            pytest.fail(f"{name}: accepted")


def test_a_damaged_foreign_or_newer_file_is_refused_and_changes_nothing(registry, tmp_path):
    target = str(tmp_path / "live.db")
    backup.take(registry, tmp_path / "good.backup")
    backup.restore(tmp_path / "good.backup", target)
    before = digest(target)
    good = (tmp_path / "good.backup").read_bytes()
    (tmp_path / "damaged.backup").write_bytes(good[: len(good) // 2])
    (tmp_path / "random.backup").write_bytes(bytes(range(256)) * 100)
    (tmp_path / "plain-db.backup").write_bytes(Path(registry).read_bytes())
    with tarfile.open(tmp_path / "no-manifest.backup", "w:gz") as archive:
        archive.add(registry, arcname=backup.DATABASE_NAME)
    # A backup from a later version of the app: one migration this code does not know.
    future = tmp_path / "future.db"
    conn = sqlite3.connect(future)
    sqlite3.connect(registry).backup(conn)
    conn.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('caremgmt', '9999_later', '')"
    )
    conn.commit()
    conn.close()
    backup.take(str(future), tmp_path / "future.backup")
    reasons = {}
    for name in ("damaged", "random", "plain-db", "no-manifest", "future"):
        with pytest.raises(backup.BackupError) as refused:
            backup.restore(tmp_path / f"{name}.backup", target)
        reasons[name] = refused.value.reason
        assert digest(target) == before, name
    assert "newer version" in reasons["future"] and "9999_later" in reasons["future"]
    assert "damaged" in reasons["damaged"] and "incomplete" in reasons["no-manifest"]


def test_the_commands_take_verify_and_restore(registry, tmp_path):
    out = tmp_path / "cli.backup"
    taken = cli(registry, "backup", "--out", str(out))
    assert taken.returncode == 0 and "wrote" in taken.stdout and "not encrypted" in taken.stdout
    assert cli(registry, "verify", str(out)).returncode == 0
    restored = str(tmp_path / "restored.db")
    done = cli(restored, "restore", str(out))
    assert done.returncode == 0 and counts(restored)["persons"] == 24
    (tmp_path / "junk.backup").write_bytes(b"not a backup")
    refused = cli(restored, "restore", str(tmp_path / "junk.backup"))
    assert refused.returncode == 1 and "nothing was changed" in refused.stderr
