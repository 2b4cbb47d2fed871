"""Revisions run without a terminal: ``input()`` fails at once naming the revision, nothing a revision or a logging
handler prints reaches the report on standard output, and an import failure is shown whole, with where it was raised.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.alembic_projects import Revision, write_project

FIRST = Revision("ok1", None, "op.create_table('t', sa.Column('id', sa.Integer, primary_key=True))")
APP = 'SQL = "INSERT INTO t (id) VALUES (1) ON CONFLICT (id) DO NOTHING"\n'


def check(root: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """The real command in a child process, whose standard input is a terminal-less pipe that stays open."""
    return subprocess.run(
        [sys.executable, "-m", "schema_parity", "check", "--no-config", "--no-cache", "--dialect", "sqlite",
         "--alembic-config", str(root / "db" / "alembic.ini"), *extra, str(root / "app.py")],
        input="", capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_input_in_a_revision_is_an_error_naming_it(tmp_path: Path) -> None:
    write_project(tmp_path / "db", [FIRST, Revision("ask2", "ok1", "name = input('Tenant name? ')")])
    (tmp_path / "app.py").write_text(APP)
    done = check(tmp_path)
    assert done.returncode == 2
    assert "Revision ask2 (" in done.stderr and "asked for input on the terminal" in done.stderr


def test_output_of_revisions_and_of_logging_handlers_made_at_import_never_reaches_the_report(tmp_path: Path) -> None:
    noisy = Revision(
        "noisy2",
        "ok1",
        "print('migrating...')\nLOG.info('upgrading')\nsys.stdout.write('raw write\\n')",
        imports="import logging, sys\nLOG = logging.getLogger('app')\n"
        "LOG.addHandler(logging.StreamHandler(sys.stdout))\nLOG.setLevel(logging.INFO)\nprint('imported')",
    )
    write_project(tmp_path / "db", [FIRST, noisy])
    (tmp_path / "app.py").write_text(APP)
    done = check(tmp_path, "--format", "json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)  # nothing else on standard output
    assert report["summary"]["sites"] == 1
    for printed in ("imported", "migrating...", "upgrading", "raw write"):
        assert printed in done.stderr


def test_an_import_failure_is_shown_whole_with_where_it_was_raised(tmp_path: Path) -> None:
    (tmp_path / "settings.py").write_text(
        "raise ValueError('2 validation errors for Settings\\n"
        "DATABASE_URL\\n  field required\\nSECRET\\n  field required')\n"
    )
    imports = f"import sys\nsys.path.insert(0, {str(tmp_path)!r})\nimport settings"
    revision = Revision("imp2", "ok1", "pass", imports=imports)
    write_project(tmp_path / "db", [FIRST, revision])
    (tmp_path / "app.py").write_text(APP)
    done = check(tmp_path)
    assert done.returncode == 2
    assert "imp2_rev.py:" in done.stderr and "cannot be imported" in done.stderr
    assert "SECRET\n      field required" in done.stderr, "the whole multi-line message"
    assert f"raised at {tmp_path / 'settings.py'}:1" in done.stderr


def test_a_missing_module_is_named(tmp_path: Path) -> None:
    revision = Revision("imp2", "ok1", "pass", imports="import not_installed_anywhere")
    write_project(tmp_path / "db", [FIRST, revision])
    (tmp_path / "app.py").write_text(APP)
    done = check(tmp_path)
    assert done.returncode == 2
    assert "(module 'not_installed_anywhere' is not installed)" in done.stderr
