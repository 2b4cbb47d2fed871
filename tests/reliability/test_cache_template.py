"""The template cache verifies a template before reusing it and rebuilds whatever fails, through pytest runs.

Each inner run checks the schema its databases have, and the first revision appends to a counter file each time
it runs, so a test can tell a rebuild from a reuse.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from schema_parity.sources.alembic import AlembicProject
from schema_parity.template import TemplateCache
from tests.alembic_projects import Revision, write_project

INNER_TESTS = """
import pytest


def names(conn):
    return {name for (name,) in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_head(schema_parity_connection):
    assert names(schema_parity_connection) == {"alembic_version", "item", "tag"}


@pytest.mark.schema_parity(revision="aaaa0001")
def test_first(schema_parity_connection):
    assert names(schema_parity_connection) == {"alembic_version", "item"}
"""


def revisions(counter: Path) -> list[Revision]:
    first = f"""
    with open({str(counter)!r}, "a") as f:
        f.write("built\\n")
    op.create_table("item", sa.Column("id", sa.Integer, primary_key=True))
    """
    second = "op.create_table('tag', sa.Column('id', sa.Integer, primary_key=True))"
    return [Revision("aaaa0001", None, first), Revision("bbbb0002", "aaaa0001", second)]


def builds(counter: Path) -> int:
    return len(counter.read_text().splitlines()) if counter.exists() else 0


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SCHEMA_PARITY_CACHE_DIR", "PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def counter(pytester: pytest.Pytester) -> Path:
    return pytester.path / "builds.txt"


@pytest.fixture
def cache(pytester: pytest.Pytester, counter: Path) -> Path:
    """A project whose first run passed and built two templates (head and aaaa0001); the cache directory."""
    pytester.makeini("[pytest]\nfilterwarnings = error\naddopts = --strict-markers\n")
    write_project(pytester.path, revisions(counter))
    pytester.makepyfile(test_inner=INNER_TESTS)
    pytester.runpytest().assert_outcomes(passed=2)
    assert builds(counter) == 2
    return pytester.path / ".schema-parity" / "cache"


def template(cache: Path, revision: str) -> Path:
    [path] = cache.glob(f"*-{revision}.sqlite3")
    return path


def test_a_truncated_template_is_rebuilt(pytester: pytest.Pytester, cache: Path, counter: Path) -> None:
    head = template(cache, "head")
    head.write_bytes(head.read_bytes()[: head.stat().st_size // 2])
    pytester.runpytest().assert_outcomes(passed=2)
    assert builds(counter) == 3
    pytester.runpytest().assert_outcomes(passed=2)
    assert builds(counter) == 3, "the rebuilt template was not reused"


def test_a_garbage_template_is_rebuilt(pytester: pytest.Pytester, cache: Path, counter: Path) -> None:
    head = template(cache, "head")
    head.write_bytes(b"\xde\xad\xbe\xef" * (head.stat().st_size // 4))
    pytester.runpytest().assert_outcomes(passed=2)
    assert builds(counter) == 3


def test_a_template_with_an_older_schema_is_not_served(pytester: pytest.Pytester, cache: Path, counter: Path) -> None:
    """A valid SQLite file of another key (here: the template at aaaa0001) copied over the head template."""
    shutil.copyfile(template(cache, "aaaa0001"), template(cache, "head"))
    pytester.runpytest().assert_outcomes(passed=2)
    assert builds(counter) == 3


def test_a_directory_at_the_template_path_is_replaced(pytester: pytest.Pytester, cache: Path, counter: Path) -> None:
    head = template(cache, "head")
    head.unlink()
    head.mkdir()
    (head / "stray.txt").write_text("not a database\n")
    pytester.runpytest().assert_outcomes(passed=2)
    assert builds(counter) == 3
    assert template(cache, "head").is_file()


def test_rebuild_flag_clears_directories_and_garbage(pytester: pytest.Pytester, cache: Path, counter: Path) -> None:
    head = template(cache, "head")
    head.unlink()
    head.mkdir()
    (head / "stray.txt").write_text("not a database\n")
    template(cache, "aaaa0001").write_bytes(b"garbage")
    pytester.runpytest("--schema-parity-rebuild").assert_outcomes(passed=2)
    assert builds(counter) == 4
    assert all(path.is_file() for path in cache.glob("*.sqlite3"))


def test_clear_removes_directories_and_garbage_and_counts_them(tmp_path: Path, counter: Path) -> None:
    project = AlembicProject.load(write_project(tmp_path / "proj", revisions(counter)))
    cache = TemplateCache(tmp_path / "cache")
    cache.get(project)
    (tmp_path / "cache" / "stray-dir.sqlite3").mkdir()
    (tmp_path / "cache" / "stray-dir.sqlite3" / "inner").write_text("x")
    (tmp_path / "cache" / "garbage.sqlite3").write_bytes(b"garbage")
    assert cache.clear() == 3
    assert not list((tmp_path / "cache").glob("*.sqlite3"))
    assert cache.get(project).is_file() and builds(counter) == 2
