"""Whole-run results (schema_parity/results.py): a warm run replays the last run's report, byte for byte with its exit
code, and every kind of input changed makes the next run a full one whose new result is then replayed.

A result is stored only when every input was last changed at least 0.1 s before the run began (results.SETTLE_NS):
the tests wait that long after writing files before a run that must store (a wait, not a timed assertion).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from schema_parity import cli, results
from schema_parity.entry import main as entry_main
from tests.alembic_projects import COOKBOOK_ENV_PY, Revision, write_project

SCHEMA = "CREATE TABLE t (host TEXT NOT NULL, code INTEGER NOT NULL);\nCREATE UNIQUE INDEX uq_t_host ON t (host);\n"
BAD = "INSERT INTO t (host, code) VALUES ('a', 1) ON CONFLICT (host, code) DO NOTHING;\n"
GOOD = "INSERT INTO t (host, code) VALUES ('a', 1) ON CONFLICT (host) DO NOTHING;\n"
CHECK = ["check", "--no-config", "--schema-sql", "schema.sql", "--dialect", "sqlite", "app"]


def settle() -> None:
    """Let every file written so far age past the window in which a stored result would not trust it."""
    time.sleep(2 * results.SETTLE_NS / 1e9)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.chdir(tmp_path)
    for name in [n for n in os.environ if n.startswith("SCHEMA_PARITY_")]:
        monkeypatch.delenv(name)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    (tmp_path / "schema.sql").write_text(SCHEMA)
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "q.sql").write_text(BAD)
    (tmp_path / ".schema-parity").mkdir()  # made before the first run: making it changes the scanned root
    settle()
    yield tmp_path


def full(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str]:
    """The whole check (cli.main), which stores its result when it may."""
    code = cli.main(argv)
    return code, capsys.readouterr().out


def replayed(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int | None, str]:
    """The replay alone: the stored exit code and what it wrote, or None (and nothing written)."""
    code = results.replay(argv)
    return code, capsys.readouterr().out


def stored(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str]:
    """A full run that stores its result, checked by replaying it."""
    code, out = full(capsys, argv)
    assert replayed(capsys, argv) == (code, out)
    return code, out


@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
def test_the_replay_is_a_cold_run_byte_for_byte(project: Path, capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    argv = [*CHECK, "--format", fmt]
    cold_code, cold_out = full(capsys, [*argv, "--no-cache"])
    assert cold_code == 1 and cold_out
    assert replayed(capsys, argv) == (None, "")  # nothing stored yet
    settle()
    assert full(capsys, argv) == (cold_code, cold_out)
    assert replayed(capsys, argv) == (cold_code, cold_out)
    # the entry point replays it too, before importing the checker
    assert entry_main(argv) == cold_code
    assert capsys.readouterr().out == cold_out


def test_the_report_file_is_written_again(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = [*CHECK, "--format", "json", "--output", "out/report.json"]
    code, out = full(capsys, argv)
    report = (project / "out" / "report.json").read_text()
    assert json.loads(report)["summary"]["errors"] == 1
    (project / "out" / "report.json").unlink()
    assert replayed(capsys, argv) == (code, out)
    assert (project / "out" / "report.json").read_text() == report
    # an entry naming another file (a cache copied from elsewhere) is not replayed
    entry = next((project / ".schema-parity" / results.RESULTS_DIR).glob("*.json"))
    data = json.loads(entry.read_text())
    data["payload"]["output"][0] = str(project / "elsewhere.txt")
    entry.write_text(json.dumps(data))
    assert replayed(capsys, argv) == (None, "")
    assert not (project / "elsewhere.txt").exists()


def test_exit_zero_and_a_clean_run_replay_their_own_exit_code(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert stored(capsys, [*CHECK, "--exit-zero"])[0] == 0
    assert stored(capsys, CHECK)[0] == 1


def edit_keeping_size_and_times(path: Path, text: str) -> None:
    """Rewrite ``path`` with as many bytes and the same modification time: only its change time tells."""
    before = path.stat()
    assert len(text.encode()) == before.st_size
    path.write_text(text)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


def changed(capsys: pytest.CaptureFixture[str], argv: list[str], before: tuple[int, str]) -> tuple[int, str]:
    """After an input changed: no replay, and the full run's result (stored again once settled) differs."""
    assert replayed(capsys, argv) == (None, "")
    settle()
    after = stored(capsys, argv)
    assert after != before
    return after


def test_a_scanned_file_edited_with_the_same_size_and_mtime(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = stored(capsys, CHECK)
    edit_keeping_size_and_times(project / "app" / "q.sql", GOOD.rstrip("\n").ljust(len(BAD) - 1) + "\n")
    assert changed(capsys, CHECK, before)[0] == 0


def test_a_new_file_in_a_scanned_directory(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = stored(capsys, CHECK)
    (project / "app" / "deeper").mkdir()
    settle()
    before = stored(capsys, CHECK)  # an empty directory: no site more, the same report, stored again
    (project / "app" / "deeper" / "new.py").write_text(f'SQL = """{BAD}"""\n')
    assert "new.py" in changed(capsys, CHECK, before)[1]


def test_a_file_removed(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "app" / "good.sql").write_text(GOOD)
    settle()
    before = stored(capsys, CHECK)
    (project / "app" / "q.sql").unlink()
    assert changed(capsys, CHECK, before)[0] == 0


def test_the_schema_sql_file_and_a_new_file_in_a_schema_sql_directory(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = stored(capsys, CHECK)
    (project / "schema.sql").write_text(SCHEMA.replace("ON t (host)", "ON t (host, code)"))
    before = changed(capsys, CHECK, before)
    assert before[0] == 0
    (project / "ddl").mkdir()
    (project / "ddl" / "a.sql").write_text(SCHEMA)
    argv = [*CHECK[:3], "ddl", *CHECK[4:]]
    settle()
    first = stored(capsys, argv)
    (project / "ddl" / "b.sql").write_text("DROP INDEX uq_t_host;\nCREATE UNIQUE INDEX uq_t_hc ON t (host, code);\n")
    assert changed(capsys, argv, first)[0] == 0


def test_the_configuration_file_appearing_and_changing(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["check", "--dialect", "sqlite"]
    (project / ".schema-parity.toml").write_text('schema-sql = ["schema.sql"]\npaths = ["app"]\n')
    settle()
    before = stored(capsys, argv)
    assert before[0] == 1
    (project / ".schema-parity.toml").write_text('schema-sql = ["schema.sql"]\npaths = ["app"]\nignore = ["SP1"]\n')
    assert changed(capsys, argv, before)[0] == 0
    # a pyproject.toml above the nearest configuration is read by nothing, yet it is a candidate: a new key, never
    # a stale one
    before = stored(capsys, CHECK)
    (project / "pyproject.toml").write_text("[tool.schema-parity]\n")
    assert replayed(capsys, CHECK) == (None, "")


def test_environment_variables_and_arguments_are_part_of_the_key(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    stored(capsys, CHECK)
    monkeypatch.setenv("SCHEMA_PARITY_ANYTHING", "1")
    assert replayed(capsys, CHECK) == (None, "")
    monkeypatch.delenv("SCHEMA_PARITY_ANYTHING")
    monkeypatch.setenv("NO_COLOR", "1")
    assert replayed(capsys, CHECK) == (None, "")
    monkeypatch.delenv("NO_COLOR")
    assert replayed(capsys, CHECK)[0] == 1
    assert replayed(capsys, [*CHECK, "--select", "SP1"]) == (None, "")


def test_the_baseline_file(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = [*CHECK, "--baseline", "baseline.json"]
    assert full(capsys, [*CHECK, "--ignore", "SP1", "--write-baseline", "baseline.json"])[0] == 0  # records nothing
    settle()
    before = stored(capsys, argv)
    assert before[0] == 1
    assert full(capsys, [*CHECK, "--write-baseline", "baseline.json"])[0] == 0
    assert changed(capsys, argv, before)[0] == 0


def test_a_migration_added_and_edited(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    create = "op.create_table('t', sa.Column('host', sa.Text, nullable=False), sa.Column('code', sa.Integer))"
    write_project(project, [Revision("r1", None, create)], env_py=COOKBOOK_ENV_PY)
    settle()
    argv = ["check", "--no-config", "--alembic-config", "alembic.ini", "--dialect", "sqlite", "app"]
    before = stored(capsys, argv)
    assert before[0] == 1
    (project / "migrations" / "versions" / "r2_rev.py").write_text(
        '"""revision r2"""\nfrom alembic import op\nrevision = "r2"\ndown_revision = "r1"\n'
        "branch_labels = None\ndepends_on = None\n\n\ndef upgrade():\n"
        "    op.create_index('uq_t_hc', 't', ['host', 'code'], unique=True)\n\n\ndef downgrade():\n    pass\n"
    )
    after = changed(capsys, argv, before)
    assert after[0] == 0
    # the replay is what the full run says now (its catalogs from the catalog cache), byte for byte
    assert full(capsys, argv) == after
    revision = project / "migrations" / "versions" / "r2_rev.py"
    revision.write_text(revision.read_text().replace("unique=True", "unique=None"))
    assert changed(capsys, argv, after)[0] == 1


def test_runs_that_depend_on_more_than_files_are_not_stored(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for argv in ([*CHECK, "--no-cache"], [*CHECK, "--format", "github"]):
        full(capsys, argv)
        assert replayed(capsys, argv) == (None, "")
    assert not (project / ".schema-parity" / results.RESULTS_DIR).exists()


def test_a_run_whose_inputs_changed_while_it_ran_stores_nothing(project: Path) -> None:
    directory = project / ".schema-parity" / results.RESULTS_DIR
    kept = {"stdout": "", "output": None, "exit_code": 0}
    started = time.time_ns()
    (project / "fresh.sql").write_text(SCHEMA)  # changed after the run began
    assert not results.store(str(directory), "k" * 64, inputs=["fresh.sql"], started_ns=started, **kept)
    # changed just before it began: within the window, a later edit could leave the same signature
    assert not results.store(str(directory), "k" * 64, inputs=["fresh.sql"], started_ns=time.time_ns(), **kept)
    assert not directory.exists()
    settle()
    assert results.store(str(directory), "k" * 64, inputs=["fresh.sql", "missing"], started_ns=time.time_ns(), **kept)
    assert len(list(directory.glob("*.json"))) == 1


def test_whole_second_file_systems_wait_longer() -> None:
    now = 1_000 * 10**9
    fine = now - 2 * results.SETTLE_NS + 1
    assert results.settled([0, 0, 0, fine, fine, 0], now)
    coarse = now - 10**9  # a whole second: the file system may round two writes a second apart to one time
    assert not results.settled([0, 0, 0, coarse, coarse, 0], now)
    assert results.settled([0, 0, 0, now - 3 * 10**9, now - 3 * 10**9, 0], now)
    assert not results.settled([-1], now)  # a path stat could not read


@pytest.mark.parametrize("history", [False, True], ids=["schema-sql", "alembic"])
def test_the_installed_command_replays_without_importing_the_checker(project: Path, history: bool) -> None:
    argv = CHECK
    if history:  # the migrations add the project's directories to sys.path: the key is the one the process began with
        create = "op.create_table('t', sa.Column('host', sa.Text), sa.Column('code', sa.Integer))"
        ini = write_project(project, [Revision("r1", None, create)], env_py=COOKBOOK_ENV_PY)
        ini.write_text(ini.read_text() + "prepend_sys_path = .\n")
        argv = ["check", "--no-config", "--alembic-config", "alembic.ini", "--dialect", "sqlite", "app"]
        settle()
    program = (
        "import sys\nfrom schema_parity.entry import main\ncode = main(sys.argv[1:])\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('sqlglot', 'sqlalchemy', 'alembic') "
        "or m in ('schema_parity.cli', 'schema_parity.check'))\n"
        "print('imported:', heavy, file=sys.stderr)\nsys.exit(code)\n"
    )
    runs = []
    for _ in range(3):
        runs.append(subprocess.run([sys.executable, "-c", program, *argv], capture_output=True, text=True, check=False))
        settle()  # the first run may have written beside the revisions (bytecode): the second one stores
    assert {r.returncode for r in runs} == {1}
    assert len({r.stdout for r in runs}) == 1
    assert "'schema_parity.check'" in runs[0].stderr
    assert runs[-1].stderr == "imported: []\n"


def test_old_entries_are_pruned(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    directory = project / ".schema-parity" / results.RESULTS_DIR
    kept = {"inputs": ["schema.sql"], "stdout": "", "output": None, "exit_code": 0}
    monkeypatch.setattr(results, "KEEP", 3)
    for n in range(5):
        assert results.store(str(directory), f"{n}" * 64, started_ns=time.time_ns(), **kept)
        os.utime(directory / f"{f'{n}' * 64}.json", ns=(n * 10**9, n * 10**9))  # stored in this order
    assert sorted(path.stem[0] for path in directory.glob("*.json")) == ["2", "3", "4"]
