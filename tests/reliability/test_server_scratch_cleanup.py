"""Scratch PostgreSQL databases never outlive their run: errors, signals, and (through a marker) SIGKILL.

Real processes on the real server. Other processes use the same server at the same time, so each test gives the
code under test a prefix of its own (the module constant, set in the child process) and only ever looks at, and
drops, databases under that prefix.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.alembic_projects import Revision, write_project

pytestmark = pytest.mark.postgres

#: The second revision records the scratch database's name and waits to be signalled, when $SP_READY names a file.
WAITING = """
ready = os.environ.get("SP_READY")
if ready:
    name = op.get_bind().execute(sa.text("SELECT current_database()")).scalar()
    with open(ready + ".tmp", "w") as f:
        f.write(name)
    os.replace(ready + ".tmp", ready)
    time.sleep(600)
"""

REVISIONS = [
    Revision(
        "w1",
        None,
        "op.create_table('doc', sa.Column('id', sa.Integer, primary_key=True), sa.Column('slug', sa.Text), "
        "sa.UniqueConstraint('slug', name='uq_doc_slug'))",
    ),
    Revision("w2", "w1", WAITING, imports="import os\nimport time"),
]

APP = "SQL = \"INSERT INTO doc (id, slug) VALUES (1, 'x') ON CONFLICT (slug) DO NOTHING\"\n"

#: The CLI with the module's prefix replaced by the first argument.
CHECK = """
import sys
import schema_parity.sources.server as server
server.PREFIX = sys.argv[1]
from schema_parity.cli import main
sys.exit(main(sys.argv[2:]))
"""


@pytest.fixture
def prefix(pg_admin_engine: sa.Engine) -> Iterator[str]:
    """A prefix no other process uses; whatever exists under it at the end is dropped."""
    value = f"sp_reliability_{uuid.uuid4().hex[:10]}_"
    yield value
    for name in databases(pg_admin_engine, value):
        with pg_admin_engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def databases(engine: sa.Engine, prefix: str) -> set[str]:
    with engine.connect() as conn:
        query = sa.text("SELECT datname FROM pg_database WHERE starts_with(datname, :p)")
        return {name for (name,) in conn.execute(query, {"p": prefix})}


def create_database(engine: sa.Engine, name: str, comment: str | None = None) -> None:
    with engine.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE template0')
        if comment is not None:
            conn.execute(sa.text(f'COMMENT ON DATABASE "{name}" IS {literal(engine, comment)}'))


def literal(engine: sa.Engine, text: str) -> str:
    return str(sa.literal(text, sa.String).compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))


def wait_for(path: Path, process: subprocess.Popen[str]) -> str:
    """The content of ``path`` once the child wrote it; fails if the child exits first (or after 2 minutes)."""
    deadline = time.monotonic() + 120
    while not path.exists():
        if process.poll() is not None:
            out, err = process.communicate()
            pytest.fail(f"the child exited ({process.returncode}) before it was ready:\n{out}\n{err}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail("the child did not get ready in 2 minutes")
        time.sleep(0.05)
    return path.read_text()


def check_command(project: Path, prefix: str, admin_url: str, *extra: str) -> list[str]:
    return [
        sys.executable, "-c", CHECK, prefix, "check", "--alembic-config", str(project / "alembic.ini"),
        "--postgres-url", admin_url, "--dialect", "postgresql", "--no-cache", *extra, str(project / "app.py"),
    ]  # fmt: skip


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write_project(tmp_path, REVISIONS)
    (tmp_path / "app.py").write_text(APP)
    return tmp_path


def start_waiting_check(project: Path, prefix: str, admin_url: str) -> tuple[subprocess.Popen[str], str]:
    """A check whose migration holds its scratch database open; the database's name once it is."""
    ready = project / "ready.txt"
    ready.unlink(missing_ok=True)
    child = subprocess.Popen(
        check_command(project, prefix, admin_url),
        env={**os.environ, "SP_READY": str(ready)},
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return child, wait_for(ready, child)


# -- (a) signals ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("signum", "returncode"), [(signal.SIGTERM, -signal.SIGTERM), (signal.SIGHUP, -signal.SIGHUP), (signal.SIGINT, 130)]
)
def test_a_signalled_check_drops_its_scratch_database(
    project: Path, prefix: str, pg_admin_url: str, pg_admin_engine: sa.Engine, signum: int, returncode: int
) -> None:
    child, name = start_waiting_check(project, prefix, pg_admin_url)
    assert name.startswith(prefix) and databases(pg_admin_engine, prefix) == {name}
    child.send_signal(signum)
    _, err = child.communicate(timeout=120)
    assert child.returncode == returncode, err
    assert databases(pg_admin_engine, prefix) == set(), "the signalled check left its database"
    assert "Traceback" not in err


PG_CONFTEST = """
import os
import schema_parity.plugin.fixtures as fixtures
fixtures.PG_PREFIX = os.environ["SP_PREFIX"]
"""

PG_WAITING_TEST = """
import os
import time

import sqlalchemy as sa


def test_waits(schema_parity_pg_url, schema_parity_pg_templates):
    ready = os.environ["SP_READY"]
    names = [sa.engine.make_url(schema_parity_pg_url).database, schema_parity_pg_templates.template()]
    with open(ready + ".tmp", "w") as f:
        f.write(" ".join(names))
    os.replace(ready + ".tmp", ready)
    time.sleep(600)
"""


def start_waiting_session(pytester: pytest.Pytester, prefix: str, admin_url: str) -> tuple[subprocess.Popen[str], str]:
    """A pytest session whose test holds a clone of the template database; the two databases' names."""
    pytester.makeini("[pytest]\nfilterwarnings = error\n")
    write_project(pytester.path, REVISIONS[:1])
    pytester.makeconftest(PG_CONFTEST)
    pytester.makepyfile(test_inner=PG_WAITING_TEST)
    ready = pytester.path / "ready.txt"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST_", "SCHEMA_PARITY_")) and key != "SP_READY"
    }
    env.update(SP_PREFIX=prefix, SP_READY=str(ready), SCHEMA_PARITY_POSTGRES_URL=admin_url)
    child = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q"],
        cwd=pytester.path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return child, wait_for(ready, child)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_signalled_pytest_session_drops_its_databases(
    pytester: pytest.Pytester, prefix: str, pg_admin_url: str, pg_admin_engine: sa.Engine, signum: int
) -> None:
    child, names = start_waiting_session(pytester, prefix, pg_admin_url)
    clone, template = names.split()
    assert databases(pg_admin_engine, prefix) == {clone, template}
    child.send_signal(signum)
    child.communicate(timeout=120)
    assert child.returncode == (2 if signum == signal.SIGINT else -signum)
    assert databases(pg_admin_engine, prefix) == set(), "the signalled session left its databases"


# -- (b) runs that end in exit 2 -------------------------------------------------------------------------------------
def test_an_unknown_revision_creates_no_database(
    project: Path, prefix: str, pg_admin_url: str, pg_admin_engine: sa.Engine
) -> None:
    run = subprocess.run(
        check_command(project, prefix, pg_admin_url, "--revision", "nope"),
        cwd=project, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert run.returncode == 2 and "no revision 'nope'" in run.stderr
    assert databases(pg_admin_engine, prefix) == set()


def test_a_revision_that_cannot_be_imported_creates_no_database(
    project: Path, prefix: str, pg_admin_url: str, pg_admin_engine: sa.Engine
) -> None:
    broken = project / "migrations" / "versions" / "w3_rev.py"
    broken.write_text("import a_module_that_does_not_exist\nrevision = 'w3'\ndown_revision = 'w2'\n")
    run = subprocess.run(
        check_command(project, prefix, pg_admin_url),
        cwd=project, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert run.returncode == 2 and "w3_rev.py" in run.stderr
    assert databases(pg_admin_engine, prefix) == set()


# -- (c) SIGKILL: the next run removes what a dead run left, and only that ------------------------------------------
def bystanders(engine: sa.Engine, prefix: str) -> set[str]:
    """Databases under ``prefix`` beside a dead run's; return those a sweep must leave alone.

    Left alone: no marker, this live process's marker, another machine's recent one, a marker naming another
    database, a comment of someone else. Dropped: another machine's older than a week, and one whose pid now runs
    another process (a start time that is not this process's).
    """
    from schema_parity.sources.server import Marker

    here = Marker.for_this_process(f"{prefix}alive")
    elsewhere = dataclasses.replace(here, host="elsewhere.invalid", boot="", pidns="", pid=1, started=None)
    create_database(engine, f"{prefix}unmarked")
    create_database(engine, f"{prefix}alive", here.text())
    create_database(
        engine,
        f"{prefix}foreign_recent",
        dataclasses.replace(elsewhere, database=f"{prefix}foreign_recent", created=time.time() - 3600).text(),
    )
    create_database(
        engine,
        f"{prefix}renamed",
        dataclasses.replace(elsewhere, database=f"{prefix}original", created=time.time() - 30 * 86400).text(),
    )
    create_database(engine, f"{prefix}commented", "a comment of the database's owner")
    if here.started is not None:
        create_database(
            engine,
            f"{prefix}reused",
            dataclasses.replace(here, database=f"{prefix}reused", started=here.started - 1).text(),
        )
    create_database(
        engine,
        f"{prefix}foreign_old",
        dataclasses.replace(elsewhere, database=f"{prefix}foreign_old", created=time.time() - 8 * 86400).text(),
    )
    return {f"{prefix}{n}" for n in ("unmarked", "alive", "foreign_recent", "renamed", "commented")}


def test_a_killed_checks_database_is_removed_by_the_next_check(
    project: Path, prefix: str, pg_admin_url: str, pg_admin_engine: sa.Engine
) -> None:
    child, name = start_waiting_check(project, prefix, pg_admin_url)
    child.kill()
    child.communicate(timeout=120)
    assert databases(pg_admin_engine, prefix) == {name}, "SIGKILL cannot be handled: the database stays"
    kept = bystanders(pg_admin_engine, prefix)
    run = subprocess.run(check_command(project, prefix, pg_admin_url), cwd=project, capture_output=True, text=True,
                         timeout=120, check=False)  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert databases(pg_admin_engine, prefix) == kept


def test_a_killed_sessions_databases_are_removed_by_the_next_session(
    pytester: pytest.Pytester, prefix: str, pg_admin_url: str, pg_admin_engine: sa.Engine
) -> None:
    child, names = start_waiting_session(pytester, prefix, pg_admin_url)
    child.kill()
    child.communicate(timeout=120)
    assert databases(pg_admin_engine, prefix) == set(names.split())
    kept = bystanders(pg_admin_engine, prefix)
    pytester.makepyfile(test_inner="def test_it(schema_parity_pg_url):\n    pass\n")
    env = {"SP_PREFIX": prefix, "SCHEMA_PARITY_POSTGRES_URL": pg_admin_url}
    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        pytester.runpytest_subprocess("-p", "no:cacheprovider", timeout=120).assert_outcomes(passed=1)
    assert databases(pg_admin_engine, prefix) == kept
