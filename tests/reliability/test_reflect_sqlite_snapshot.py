"""Reflecting a SQLite file creates and changes nothing beside it, and reads exactly its committed state.

Each test records every file in the database's directory (names, bytes, mtimes) before reading the schema and
compares afterwards: a read-only open of a WAL database used to leave ``-wal``/``-shm`` files there.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from schema_parity.cli import main
from schema_parity.errors import ConnectionFailed
from schema_parity.sources import reflect as reflect_module
from schema_parity.sources.reflect import reflect_url


def directory_state(directory: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(directory.iterdir())}


def wal_database(path: Path) -> None:
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA journal_mode = WAL").fetchone() == ("wal",)
        conn.execute("CREATE TABLE account (id INTEGER PRIMARY KEY, email TEXT NOT NULL)")
        conn.execute("CREATE UNIQUE INDEX uq_account_email ON account (email)")
        conn.commit()


def test_a_wal_database_at_rest_is_left_exactly_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    wal_database(path)
    before = directory_state(tmp_path)
    assert list(before) == ["app.db"]
    catalog = reflect_url(f"sqlite:///{path}")
    assert directory_state(tmp_path) == before
    [account] = catalog.tables
    assert account.name == "account"
    assert [(k.name, k.kind, k.columns) for k in account.unique_keys()] == [
        (None, "primary_key", ("id",)),
        ("uq_account_email", "unique_index", ("email",)),
    ]


def test_the_schema_command_leaves_a_wal_database_as_it_was(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "data" / "app.db"
    path.parent.mkdir()
    wal_database(path)
    before = directory_state(path.parent)
    monkeypatch.chdir(tmp_path)
    assert main(["schema", "--database-url", f"sqlite:///{path}", "--format", "json"]) == 0
    assert '"name": "account"' in capsys.readouterr().out
    assert directory_state(path.parent) == before


def test_transactions_still_in_the_log_of_an_open_database_are_read_and_nothing_is_touched(tmp_path: Path) -> None:
    """Another process has the database open, with committed schema changes not yet copied out of the log."""
    path = tmp_path / "app.db"
    with closing(sqlite3.connect(path)) as writer:
        writer.execute("PRAGMA journal_mode = WAL")
        writer.execute("PRAGMA wal_autocheckpoint = 0")
        writer.execute("CREATE TABLE early (id INTEGER PRIMARY KEY)")
        writer.commit()
        writer.execute("CREATE TABLE migrated_later (id INTEGER PRIMARY KEY, code TEXT UNIQUE)")
        writer.commit()
        before = directory_state(tmp_path)
        assert sorted(before) == ["app.db", "app.db-shm", "app.db-wal"]
        catalog = reflect_url(f"sqlite:///{path}")
        assert directory_state(tmp_path) == before
    assert [t.name for t in catalog.tables] == ["early", "migrated_later"]


CRASH_MID_TRANSACTION = """
import os, sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("CREATE TABLE committed (id INTEGER PRIMARY KEY, body TEXT)")
conn.execute("PRAGMA cache_size = 1")  # spill the open transaction's pages into the database file
conn.execute("BEGIN")
conn.execute("CREATE TABLE uncommitted (id INTEGER PRIMARY KEY)")
conn.executemany("INSERT INTO committed (body) VALUES (?)", [("x" * 500,)] * 2000)
os._exit(0)  # a crash with the transaction open: a hot journal and a half-written database file
"""


def test_a_crashed_writers_hot_journal_is_rolled_back_in_the_copy_only(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    subprocess.run([sys.executable, "-c", CRASH_MID_TRANSACTION, str(path)], check=True, timeout=60)
    before = directory_state(tmp_path)
    assert sorted(before) == ["app.db", "app.db-journal"]
    catalog = reflect_url(f"sqlite:///{path}")
    assert [t.name for t in catalog.tables] == ["committed"]
    assert directory_state(tmp_path) == before


def test_a_copy_taken_while_the_database_changed_is_taken_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "app.db"
    wal_database(path)
    real_copy = reflect_module._copy
    writes = []

    def copy_then_a_writer_commits(source: Path, target: Path) -> bool:
        copied = real_copy(source, target)
        if not writes:  # once, right after the database file was copied: the copy is now stale
            with closing(sqlite3.connect(path)) as writer:
                writer.execute("CREATE TABLE added_meanwhile (id INTEGER PRIMARY KEY)")
                writer.commit()
            writes.append(source)
        return copied

    monkeypatch.setattr(reflect_module, "_copy", copy_then_a_writer_commits)
    catalog = reflect_url(f"sqlite:///{path}")
    assert [t.name for t in catalog.tables] == ["account", "added_meanwhile"]


def test_a_database_that_never_holds_still_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "app.db"
    wal_database(path)
    real_copy = reflect_module._copy

    def copy_then_write(source: Path, target: Path) -> bool:
        copied = real_copy(source, target)
        with closing(sqlite3.connect(path)) as writer:
            writer.execute("INSERT INTO account (email) VALUES (hex(randomblob(8)))")
            writer.commit()
        return copied

    monkeypatch.setattr(reflect_module, "_copy", copy_then_write)
    with pytest.raises(ConnectionFailed, match=r"changed each of the 5 times it was copied: a process is writing"):
        reflect_url(f"sqlite:///{path}")
