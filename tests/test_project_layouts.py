"""Where a history lives: layouts real projects use, found as Alembic (or the tool that wraps it) finds them."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from schema_parity.cli import main
from schema_parity.errors import ConfigError
from schema_parity.sources.alembic import AlembicProject, catalog_at
from tests.alembic_projects import Revision, write_project

FIRST = Revision("f1", None, "op.create_table('t', sa.Column('id', sa.Integer, primary_key=True))")


def flask_migrate_layout(root: Path) -> Path:
    """Flask-Migrate: migrations/alembic.ini beside env.py and versions/, with no script_location (set in code)."""
    write_project(root / "tmp", [FIRST])
    (root / "tmp" / "migrations").rename(root / "migrations")
    (root / "migrations" / "alembic.ini").write_text("[alembic]\n# template used to generate migration files\n")
    return root / "migrations" / "alembic.ini"


def test_flask_migrate_layout_is_found_and_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ini = flask_migrate_layout(tmp_path)
    project = AlembicProject.load(ini)
    assert project.script_location == ini.parent
    assert [t.name for t in catalog_at(project).tables] == ["t"]
    monkeypatch.chdir(tmp_path)  # discovered from the project root, as `flask db` finds it
    assert AlembicProject.load().config_path == ini
    (tmp_path / "q.sql").write_text("INSERT INTO t (id) VALUES (1) ON CONFLICT (id) DO NOTHING;\n")
    assert main(["check", "--no-config", "--no-cache", "--dialect", "sqlite", "q.sql"]) == 0


def test_flask_migrate_revisions_import_the_application_from_the_project_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`flask db upgrade` runs with the project root importable: a revision importing the (not installed)
    application finds it there, as it does under Flask's CLI."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    ini = flask_migrate_layout(tmp_path)
    (tmp_path / "flaskapp_layout").mkdir()
    (tmp_path / "flaskapp_layout" / "__init__.py").write_text("")
    (tmp_path / "flaskapp_layout" / "defaults.py").write_text("TABLE = 'settings'\n")
    write_project(tmp_path / "tmp2", [Revision("f2", "f1", "op.create_table(TABLE, sa.Column('id', sa.Integer))")])
    revision = (tmp_path / "tmp2" / "migrations" / "versions" / "f2_rev.py").read_text()
    (tmp_path / "migrations" / "versions" / "f2_rev.py").write_text(
        "from flaskapp_layout.defaults import TABLE\n" + revision
    )
    try:
        project = AlembicProject.load(ini)  # from the working directory of the test run, not the project root
        assert [t.name for t in catalog_at(project).tables] == ["settings", "t"]
    finally:
        sys.modules.pop("flaskapp_layout", None)
        sys.modules.pop("flaskapp_layout.defaults", None)


def test_flask_migrate_inside_a_package_puts_the_packages_parent_on_the_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """migrations/ inside a package (app/model/migrations): the importable root is the directory holding `app`,
    never app/model itself, whose modules would shadow installed ones of the same name (a `model/karton.py` for
    the `karton` library)."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    package = tmp_path / "flaskapp_nested" / "model"
    ini = flask_migrate_layout(package)
    for directory in (package.parent, package):
        (directory / "__init__.py").write_text("")
    AlembicProject.load(ini).script  # noqa: B018 - imports the revisions
    assert str(tmp_path) in sys.path
    assert str(package) not in sys.path


def test_a_config_without_script_location_says_which_options_help(tmp_path: Path) -> None:
    ini = tmp_path / "alembic.ini"
    ini.write_text("[alembic]\nsqlalchemy.url = sqlite://\n")
    with pytest.raises(ConfigError, match=r"no script_location in section \[alembic\]: give .* --script-location"):
        AlembicProject.load(ini)


def test_schema_sql_given_twice_replays_both(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a.sql").write_text("CREATE TABLE a (id integer PRIMARY KEY);\n")
    (tmp_path / "b.sql").write_text("CREATE TABLE b (id integer PRIMARY KEY);\n")
    (tmp_path / "q.sql").write_text(
        "".join(f"INSERT INTO {t} (id) VALUES (1) ON CONFLICT (id) DO NOTHING;\n" for t in "ab")
    )
    monkeypatch.chdir(tmp_path)
    assert main(["check", "--no-config", "q.sql", "--schema-sql", "a.sql", "--schema-sql", "b.sql"]) == 0
