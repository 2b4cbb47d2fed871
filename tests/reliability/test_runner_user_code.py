"""User code that exits, interrupts or never ends: a MigrationError naming the revision (exit 2), never a silent
exit 0 or a hang."""

from __future__ import annotations

import signal
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from schema_parity.cli import main
from schema_parity.errors import MigrationError
from schema_parity.limits import DEFAULT_REVISION_TIMEOUT
from schema_parity.sources import Schema, SchemaOptions
from schema_parity.sources.alembic import AlembicProject, catalog_at, offline_sql
from schema_parity.sources.alembic.watchdog import Watchdog
from schema_parity.sources.server import catalogs_on_server
from tests.alembic_projects import COOKBOOK_ENV_PY, Revision, write_project

FIRST = Revision("ok1", None, "op.create_table('t', sa.Column('id', sa.Integer, primary_key=True))")


# -- sys.exit() and KeyboardInterrupt ----------------------------------------------------------------------------------
@pytest.fixture
def helper_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A module (importable, unique name) that calls sys.exit(0) when imported, forgotten afterwards."""
    name = f"exits_on_import_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{name}.py").write_text("import sys\nsys.exit(0)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name
    sys.modules.pop(name, None)


def test_sys_exit_in_a_revision_is_exit_2_naming_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ini = write_project(tmp_path, [FIRST, Revision("bye2", "ok1", "import sys\nsys.exit(0)")])
    assert main(["schema", "--alembic-config", str(ini)]) == 2
    message = capsys.readouterr().err
    assert "Revision bye2" in message and "bye2_rev.py" in message and "sys.exit(0)" in message


@pytest.mark.parametrize("where", ["module", "imported-module"])
def test_sys_exit_while_importing_revisions_names_the_file(
    tmp_path: Path, helper_module: str, where: str
) -> None:
    if where == "module":
        revision = Revision("bye2", "ok1", "pass", imports="import sys\nsys.exit(3)")
    else:
        revision = Revision("bye2", "ok1", "pass", imports=f"import {helper_module}")
    project = AlembicProject.load(write_project(tmp_path / "proj", [FIRST, revision]))
    with pytest.raises(MigrationError) as excinfo:
        project.heads()
    message = str(excinfo.value)
    assert "bye2_rev.py" in message and "sys.exit" in message


def test_sys_exit_in_env_py_names_env_py(tmp_path: Path) -> None:
    project = AlembicProject.load(write_project(tmp_path, [FIRST], env_py="import sys\nsys.exit(0)\n"))
    with pytest.raises(MigrationError) as excinfo:
        catalog_at(project, use_env_py=True)
    assert str(tmp_path / "migrations" / "env.py") in str(excinfo.value)
    assert "sys.exit(0)" in str(excinfo.value)


def test_keyboard_interrupt_raised_by_a_revision_is_its_failure(tmp_path: Path) -> None:
    project = AlembicProject.load(write_project(tmp_path, [FIRST, Revision("ki2", "ok1", "raise KeyboardInterrupt")]))
    with pytest.raises(MigrationError, match=r"Revision ki2 .* raised KeyboardInterrupt"):
        catalog_at(project)


def test_sys_exit_in_offline_mode_is_an_error(tmp_path: Path) -> None:
    project = AlembicProject.load(write_project(tmp_path, [FIRST, Revision("bye2", "ok1", "import sys\nsys.exit(0)")]))
    with pytest.raises(MigrationError, match=r"Revision bye2 .*sys\.exit\(0\)"):
        offline_sql(project)


@pytest.mark.skipif(threading.current_thread() is not threading.main_thread(), reason="SIGINT needs the main thread")
def test_a_real_ctrl_c_during_a_revision_stays_a_keyboard_interrupt(tmp_path: Path) -> None:
    """Guards the line drawn above: Ctrl-C must still stop the CLI or the test session."""
    body = "import signal, time\nsignal.raise_signal(signal.SIGINT)\ntime.sleep(60)"
    project = AlembicProject.load(write_project(tmp_path, [FIRST, Revision("sig2", "ok1", body)]))
    with pytest.raises(KeyboardInterrupt):
        catalog_at(project)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


# -- time limit --------------------------------------------------------------------------------------------------------
LOOPS = {
    "python": "while True:\n    pass",
    # A statement that never ends runs in C, where no Python exception can be raised: it must be interrupted.
    "sqlite-statement": (
        "op.get_bind().exec_driver_sql('WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
        "SELECT count(*) FROM c').scalar()"
    ),
}


def in_worker_thread(function: Callable[[], object]) -> BaseException | None:
    """Run ``function`` in a worker thread (as a threaded test runner would); return what it raised."""
    raised: list[BaseException] = []

    def run() -> None:
        try:
            function()
        except BaseException as exc:
            raised.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(timeout=300)  # a guard against a hang, not a measurement
    assert not worker.is_alive(), "the time limit did not stop the revision"
    return raised[0] if raised else None


@pytest.mark.parametrize("loop", LOOPS)
@pytest.mark.parametrize("thread", ["main", "worker"])
def test_endless_revision_is_stopped_at_the_time_limit(tmp_path: Path, loop: str, thread: str) -> None:
    ini = write_project(tmp_path, [FIRST, Revision("loop2", "ok1", LOOPS[loop])])
    project = AlembicProject.load(ini, revision_timeout=0.3)
    if thread == "main":
        with pytest.raises(MigrationError) as excinfo:
            catalog_at(project)
        error: BaseException | None = excinfo.value
    else:
        error = in_worker_thread(lambda: catalog_at(project))
    assert isinstance(error, MigrationError)
    message = str(error)
    assert "Revision loop2" in message and "loop2_rev.py" in message
    assert "0.3 s" in message and "revision_timeout" in message
    assert error.revision == "loop2"


def test_endless_env_py_mode_and_offline_revisions_are_stopped(tmp_path: Path) -> None:
    ini = write_project(tmp_path, [FIRST, Revision("loop2", "ok1", LOOPS["python"])], env_py=COOKBOOK_ENV_PY)
    project = AlembicProject.load(ini, revision_timeout=0.3)
    with pytest.raises(MigrationError, match=r"Revision loop2 .*time limit"):
        catalog_at(project, use_env_py=True)
    with pytest.raises(MigrationError, match=r"Revision loop2 .*time limit"):
        offline_sql(project)


@pytest.mark.postgres
def test_endless_statement_on_postgresql_is_cancelled(tmp_path: Path, pg_admin_url: str) -> None:
    ini = write_project(tmp_path, [FIRST, Revision("sleep2", "ok1", "op.execute('SELECT pg_sleep(3600)')")])
    project = AlembicProject.load(ini, revision_timeout=0.5)
    error = in_worker_thread(lambda: catalogs_on_server(pg_admin_url, project, ["head"]))
    assert isinstance(error, MigrationError) and "Revision sleep2" in str(error) and "time limit" in str(error)


def test_the_clock_restarts_at_each_revision(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    restarts: list[float] = []
    plain = Watchdog.restart

    def counted(self: Watchdog) -> None:
        restarts.append(0.0)
        plain(self)

    monkeypatch.setattr(Watchdog, "restart", counted)
    ini = write_project(tmp_path, [FIRST, Revision("ok2", "ok1", "pass"), Revision("ok3", "ok2", "pass")])
    catalog_at(AlembicProject.load(ini))
    assert len(restarts) == 1 + 3  # the start, then after each revision


def test_time_limit_reaches_the_project_from_the_schema_options(tmp_path: Path) -> None:
    ini = write_project(tmp_path, [FIRST])
    for limit in (7.5, None):
        catalogs = Schema(SchemaOptions(alembic_config=ini, revision_timeout=limit), ["sqlite"])
        assert catalogs.project().revision_timeout == limit
    default = SchemaOptions.__dataclass_fields__["revision_timeout"].default
    assert default == DEFAULT_REVISION_TIMEOUT == AlembicProject.load(ini).revision_timeout
