"""The migrated-template cache (pytest-free core): keys, reuse, pruning, atomic builds, locks, per-test copies."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import filelock
import pytest

from schema_parity.errors import MigrationError
from schema_parity.sources.alembic import AlembicProject
from schema_parity.template import TemplateCache, fresh_copy
from tests.alembic_projects import COOKBOOK_ENV_PY, Revision, revision_source, write_project

REPO = Path(__file__).resolve().parents[1]


TAG = "op.create_table('tag', sa.Column('id', sa.Integer, primary_key=True))"


def counted_revisions(counter: Path, second: str = TAG) -> list[Revision]:
    """Two revisions; the first appends a line to ``counter`` each time it runs, so tests can count builds."""
    return [
        Revision(
            "aaaa0001",
            None,
            f"""
            with open({str(counter)!r}, "a") as f:
                f.write("built\\n")
            op.create_table("item", sa.Column("id", sa.Integer, primary_key=True), sa.Column("name", sa.String(50)))
            """,
        ),
        Revision("bbbb0002", "aaaa0001", second, imports="import os"),
    ]


def builds(counter: Path) -> int:
    return len(counter.read_text().splitlines()) if counter.exists() else 0


def tables(path: Path) -> set[str]:
    with closing(sqlite3.connect(path)) as conn:
        return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def cache_files(cache_dir: Path) -> list[str]:
    """Everything in the cache except lock files and the .gitignore."""
    return sorted(p.name for p in cache_dir.iterdir() if p.suffix != ".lock" and p.name != ".gitignore")


@pytest.fixture
def counter(tmp_path: Path) -> Path:
    return tmp_path / "builds.txt"


@pytest.fixture
def project(tmp_path: Path, counter: Path) -> AlembicProject:
    return AlembicProject.load(write_project(tmp_path / "proj", counted_revisions(counter)))


def test_built_once_then_reused_across_instances(tmp_path: Path, project: AlembicProject, counter: Path) -> None:
    cache_dir = tmp_path / "cache"
    template = TemplateCache(cache_dir).get(project)
    assert tables(template) == {"alembic_version", "item", "tag"}
    assert builds(counter) == 1
    # a new instance (a new test session) re-hashes the project, finds the file and does not migrate
    assert TemplateCache(cache_dir).get(project) == template
    assert builds(counter) == 1
    assert (cache_dir / ".gitignore").read_text().endswith("*\n")


def test_rebuild_forces_a_build(tmp_path: Path, project: AlembicProject, counter: Path) -> None:
    cache = TemplateCache(tmp_path / "cache")
    first = cache.get(project)
    assert cache.get(project, rebuild=True) == first
    assert builds(counter) == 2
    assert cache.clear() == 1
    assert not first.exists()
    cache.get(project)
    assert builds(counter) == 3


def test_revisions_and_env_py_mode_are_separate_entries(tmp_path: Path, counter: Path) -> None:
    project = AlembicProject.load(write_project(tmp_path / "proj", counted_revisions(counter), env_py=COOKBOOK_ENV_PY))
    cache = TemplateCache(tmp_path / "cache")
    head = cache.get(project)
    first = cache.get(project, "aaaa0001")
    via_env = cache.get(project, use_env_py=True)
    assert len({head, first, via_env}) == 3
    assert tables(first) == {"alembic_version", "item"}
    assert tables(via_env) == tables(head)
    assert "aaaa0001" in first.name and via_env.name.endswith("-envpy.sqlite3")
    # a prefix of a revision id resolves to the same entry
    assert cache.get(project, "aaaa") == first
    assert builds(counter) == 3


def test_edited_migration_invalidates_and_prunes_the_old_build(
    tmp_path: Path, project: AlembicProject, counter: Path
) -> None:
    cache_dir = tmp_path / "cache"
    old = TemplateCache(cache_dir).get(project)
    old_first = TemplateCache(cache_dir).get(project, "aaaa0001")
    second = project.script_location / "versions" / "bbbb0002_rev.py"
    edited = Revision("bbbb0002", "aaaa0001", "op.create_table('label', sa.Column('id', sa.Integer, primary_key=True))")
    second.write_text(revision_source(edited))
    # a new session loads the project afresh (a loaded project keeps its parsed ScriptDirectory)
    new = TemplateCache(cache_dir).get(AlembicProject.load(project.config_path))
    assert new != old
    assert tables(new) == {"alembic_version", "item", "label"}
    assert builds(counter) == 3
    assert not old.exists() and not old_first.exists()
    assert cache_files(cache_dir) == [new.name]


def test_failing_migration_raises_with_revision_and_cause_and_leaves_nothing(tmp_path: Path, counter: Path) -> None:
    revisions = counted_revisions(counter, second="raise RuntimeError('boom from migration')")
    project = AlembicProject.load(write_project(tmp_path / "proj", revisions))
    cache_dir = tmp_path / "cache"
    with pytest.raises(MigrationError, match="bbbb0002") as info:
        TemplateCache(cache_dir).get(project)
    assert info.value.revision == "bbbb0002"
    assert isinstance(info.value.__cause__, RuntimeError)
    assert "boom from migration" in str(info.value)
    assert cache_files(cache_dir) == []


def test_keyboard_interrupt_during_a_build_leaves_nothing(tmp_path: Path, counter: Path) -> None:
    revisions = counted_revisions(counter, second="import signal; signal.raise_signal(signal.SIGINT)")
    project = AlembicProject.load(write_project(tmp_path / "proj", revisions))
    cache_dir = tmp_path / "cache"
    with pytest.raises(KeyboardInterrupt):
        TemplateCache(cache_dir).get(project)
    assert cache_files(cache_dir) == []


BUILD_THEN_EXIT = """
import sys
sys.path.insert(0, {repo!r})
from pathlib import Path
from schema_parity.sources.alembic import AlembicProject
from schema_parity.template import TemplateCache
TemplateCache(Path({cache!r})).get(AlembicProject.load({ini!r}))
"""


def test_a_builder_killed_mid_build_blocks_nothing_and_leaves_nothing_trusted(tmp_path: Path, counter: Path) -> None:
    """os._exit inside a revision: the lock dies with the process, the partial file is never used."""
    second = """
    if os.environ.get("SP_INTERRUPT") == "kill":
        os._exit(3)
    op.create_table("tag", sa.Column("id", sa.Integer, primary_key=True))
    """
    ini = write_project(tmp_path / "proj", counted_revisions(counter, second=second))
    cache_dir = tmp_path / "cache"
    script = BUILD_THEN_EXIT.format(repo=str(REPO), cache=str(cache_dir), ini=str(ini))
    run = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, "SP_INTERRUPT": "kill"},
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 3, run.stderr.decode()
    assert not list(cache_dir.glob("*.sqlite3"))
    assert list(cache_dir.glob(".*.building*")), "the killed build left its partial file (cleaned up below)"
    # lock_timeout=0: one attempt, so a lock the killed builder still held would raise instead of being waited out
    template = TemplateCache(cache_dir, lock_timeout=0).get(AlembicProject.load(ini))
    assert tables(template) == {"alembic_version", "item", "tag"}
    assert cache_files(cache_dir) == [template.name]


HOLD_LOCK = """
import sys, time
import filelock
lock = filelock.FileLock(sys.argv[1])
lock.acquire()
print("locked", flush=True)
time.sleep(60)
"""


def test_filelock_is_released_when_its_holder_is_killed(tmp_path: Path) -> None:
    """The guarantee the cache relies on: an OS-level (flock) lock does not outlive a SIGKILLed holder."""
    lock_path = tmp_path / "x.lock"
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(lock_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(filelock.Timeout):
            filelock.FileLock(lock_path, timeout=0.2).acquire()
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
        with filelock.FileLock(lock_path, timeout=2):
            pass
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()


def test_fresh_copy_is_private(tmp_path: Path, project: AlembicProject) -> None:
    """What it costs per test is measured by benchmarks/fixtures.py (copy)."""
    template = TemplateCache(tmp_path / "cache").get(project)
    before = template.read_bytes()
    copy = fresh_copy(template, tmp_path / "a.sqlite3")
    assert copy.read_bytes() == before
    with closing(sqlite3.connect(copy)) as conn:
        conn.execute("INSERT INTO item (name) VALUES ('x')")
        conn.commit()
    assert template.read_bytes() == before


def test_fresh_copy_falls_back_when_copy_file_range_is_refused(
    tmp_path: Path, project: AlembicProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object) -> int:
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(os, "copy_file_range", refuse, raising=False)
    template = TemplateCache(tmp_path / "cache").get(project)
    assert fresh_copy(template, tmp_path / "copy.sqlite3").read_bytes() == template.read_bytes()


def test_revision_ids_with_odd_characters_make_safe_distinct_names(tmp_path: Path) -> None:
    revisions = [
        Revision("v1.0", None, "op.create_table('a', sa.Column('id', sa.Integer, primary_key=True))"),
        Revision("v1_0", "v1.0", "op.create_table('b', sa.Column('id', sa.Integer, primary_key=True))"),
    ]
    project = AlembicProject.load(write_project(tmp_path / "proj", revisions))
    cache = TemplateCache(tmp_path / "cache")
    dotted, underscored = cache.get(project, "v1.0"), cache.get(project, "v1_0")
    assert dotted != underscored
    assert "." not in dotted.name.removesuffix(".sqlite3")
    assert dotted.parent == tmp_path / "cache"
