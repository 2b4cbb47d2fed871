"""Progress of the long steps (progress.py): on a terminal only, never in CI or a pipe, and never changing the report.

The command line runs with its standard error on a pseudo-terminal (``os.openpty``), as a user's shell gives it.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from schema_parity.progress import StatusLine, status_line, wanted
from tests.alembic_projects import write_project
from tests.test_plugin_items import APP, BROKEN, MIGRATIONS

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_status_line_rewrites_one_line_and_erases_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "30")
    stream, clock = io.StringIO(), Clock()
    line = StatusLine(stream, interval=0.1, clock=clock)
    line("scanning: 1 of 3 files read")
    line("scanning: 2 of 3 files read")  # within the interval: not drawn
    clock.now = 0.5
    line("scanning: 3 of 3 files read")
    line(None)  # the step is over: erased, and the next step's first message is drawn at once
    line("migrating alembic.ini on SQLite: revision 1 of 2 (r1)")
    line.close()
    line.close()  # nothing left to erase
    assert stream.getvalue() == (
        "\rscanning: 1 of 3 files read\x1b[K"
        "\rscanning: 3 of 3 files read\x1b[K"
        "\r\x1b[K"
        "\rmigrating alembic.ini on S...\x1b[K"  # cut to the width, so the line never wraps
        "\r\x1b[K"
    )


def test_progress_is_wanted_on_a_terminal_outside_ci_only() -> None:
    master, slave = os.openpty()
    try:
        with os.fdopen(slave, "w", closefd=False) as terminal:
            assert wanted(terminal, {"TERM": "xterm"})
            assert wanted(terminal, {"CI": "false"})
            assert not wanted(terminal, {"CI": "1"})
            assert not wanted(terminal, {"CI": "true", "TERM": "xterm"})
            assert not wanted(terminal, {"TERM": "dumb"})
        assert not wanted(io.StringIO(), {})
        read, write = os.pipe()
        with os.fdopen(write, "w") as pipe:
            assert not wanted(pipe, {})
        os.close(read)
    finally:
        os.close(master)
        os.close(slave)


def test_status_line_is_none_where_progress_is_not_wanted() -> None:
    with status_line(io.StringIO()) as progress:
        assert progress is None


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write_project(tmp_path, MIGRATIONS)
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "store.py").write_text(textwrap.dedent(APP))
    (tmp_path / "app" / "broken.py").write_text(BROKEN)
    return tmp_path


def run_cli(project: Path, *args: str, terminal: bool, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """``schema-parity check`` with standard output a pipe and standard error a pseudo-terminal (or a pipe)."""
    environ = {k: v for k, v in os.environ.items() if k not in ("CI", "NO_COLOR", "FORCE_COLOR", "COLUMNS")}
    environ.update({"TERM": "xterm", **(env or {})})
    command = [sys.executable, "-m", "schema_parity", "check", "--no-cache", "--dialect", "sqlite", *args, "app"]
    if not terminal:
        done = subprocess.run(
            command, check=False, cwd=project, env=environ, capture_output=True, text=True, timeout=300
        )
        return done.returncode, done.stdout, done.stderr
    master, slave = os.openpty()
    with subprocess.Popen(command, cwd=project, env=environ, stdout=subprocess.PIPE, stderr=slave) as process:
        os.close(slave)
        received = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the process closed its end
                break
            if not chunk:
                break
            received += chunk
        os.close(master)
        out = process.stdout.read().decode() if process.stdout else ""
        code = process.wait(timeout=300)
    return code, out, received.decode()


def test_progress_on_a_terminal_and_never_in_the_report(project: Path) -> None:
    code, out, err = run_cli(project, terminal=True)
    assert code == 1
    assert "\rscanning: 1 of 2 files read\x1b[K" in err
    assert "\rmigrating alembic.ini on SQLite" in err
    assert err.endswith("\r\x1b[K")  # erased before the report is printed
    piped = run_cli(project, terminal=False)
    assert piped == (code, out, "")  # the same report and exit code, and nothing on a piped standard error
    ci = run_cli(project, terminal=True, env={"CI": "true"})
    assert ci == (code, out, "")
    verbose = run_cli(project, "-v", terminal=True)
    # -v: the log lines say what the tool does, and no status line is drawn between them
    assert verbose[:2] == (code, out) and "\x1b[K" not in verbose[2]


def test_json_report_is_the_same_with_progress(project: Path) -> None:
    shown = run_cli(project, "--format", "json", terminal=True)
    quiet = run_cli(project, "--format", "json", terminal=False)
    assert "\rscanning" in shown[2]
    assert shown[0] == quiet[0] == 1
    assert json.loads(shown[1]) == json.loads(quiet[1])
