"""A history that starts from create_all(): the first revision assumes the tables exist. With ``bootstrap``, a fresh
database is built from the project's models, stamped at that revision, and the later revisions run."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from schema_parity import compat
from schema_parity.cli import main
from tests.alembic_projects import COOKBOOK_ENV_PY, Revision, write_project

MODELS = """
import sqlalchemy as sa
from sqlalchemy.orm import declarative_base

Base = declarative_base()  # SQLAlchemy 1.4 and 2.x

class Account(Base):
    __tablename__ = "account"
    id = sa.Column(sa.Integer, primary_key=True)
    email = sa.Column(sa.Text, nullable=False)
"""
#: The install path is create_all() + stamp "base1": base1 itself does nothing; later revisions alter the tables.
HISTORY = [
    Revision("base1", None, "pass  # the schema is created by metadata.create_all() at install time"),
    Revision("add2", "base1", "op.create_unique_constraint('uq_account_email', 'account', ['email'])"),
    Revision(
        "mig3",
        "add2",
        """op.execute("INSERT INTO account (id, email) VALUES (1, 'a') ON CONFLICT (email) DO NOTHING")""",
    ),
]
APP = """SQL = "INSERT INTO account (id, email) VALUES (1, 'a') ON CONFLICT (email) DO NOTHING"\n"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "models.py").write_text(MODELS)
    (tmp_path / "app" / "store.py").write_text(APP)
    env_py = "from app.models import Base\ntarget_metadata = Base.metadata\n" + COOKBOOK_ENV_PY
    write_project(tmp_path, HISTORY, env_py=env_py)
    (tmp_path / "pyproject.toml").write_text('[tool.schema-parity]\npaths = ["app", "migrations"]\n')
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    code = main(["check", "--format", "json", "--dialect", "sqlite", *args])
    out, err = capsys.readouterr()
    return code, json.loads(out) if out else {"error": err}


def test_without_a_bootstrap_the_history_cannot_build_the_tables(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report = run(capsys)
    assert code == 2 and "NoSuchTableError: account" in report["error"]


def test_with_a_bootstrap_the_models_build_the_start_and_the_later_revisions_run(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report = run(capsys, "--bootstrap", "base1")
    assert code == 0, report
    by_origin = {s["origin"]: s["verdicts"]["sqlite"] for s in report["sites"]}
    ok = {"verdict": "ok", "arbiters": ["uq_account_email"], "rules": [], "reason": None}
    assert by_origin["python-string"] == ok
    assert by_origin["migration"]["verdict"] == "ok"  # mig3 runs after add2, on the bootstrapped tables


def test_the_models_stand_for_the_bootstrap_revision_and_what_comes_before_is_not_judged(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report = run(capsys, "--bootstrap", "mig3")  # the models (no unique key on email) are the head schema
    assert code == 1
    assert {s["origin"]: s["verdicts"]["sqlite"]["rules"] for s in report["sites"]} == {
        "python-string": ["SP101"],
        "migration": ["SP101"],
    }
    code, report = run(capsys, "--bootstrap", "mig3", "--revision", "add2")
    (site,) = [s for s in report["sites"] if s["origin"] == "python-string"]
    assert site["verdicts"]["sqlite"]["verdict"] == "unresolved"
    assert any("comes before the bootstrap revision mig3" in f["message"] for f in report["findings"])


def test_without_a_bootstrap_the_message_suggests_bootstrap_and_metadata(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report = run(capsys)
    assert code == 2
    assert "Revision add2" in report["error"]
    assert "bootstrap = " in report["error"] and "metadata = " in report["error"]


SCHEMA_MODELS = """
import sqlalchemy as sa
from sqlalchemy.orm import declarative_base

Base = declarative_base()

class Account(Base):
    __tablename__ = "account"
    __table_args__ = {"schema": "app_core"}  # the install creates the schema, then create_all()
    id = sa.Column(sa.Integer, primary_key=True)
    email = sa.Column(sa.Text, nullable=False)
"""
SCHEMA_HISTORY = [
    Revision("base1", None, "pass"),
    Revision(
        "add2", "base1", "op.create_unique_constraint('uq_account_email', 'account', ['email'], schema='app_core')"
    ),
]


@pytest.mark.postgres
def test_a_bootstrap_creates_the_schemas_its_models_live_in_on_postgresql(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], pg_admin_url: str
) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "models.py").write_text(SCHEMA_MODELS)
    (tmp_path / "app" / "store.py").write_text(
        "SQL = \"INSERT INTO app_core.account (id, email) VALUES (1, 'a') ON CONFLICT (email) DO NOTHING\"\n"
    )
    env_py = "from app.models import Base\ntarget_metadata = Base.metadata\n" + COOKBOOK_ENV_PY
    write_project(tmp_path, SCHEMA_HISTORY, env_py=env_py)
    (tmp_path / "pyproject.toml").write_text('[tool.schema-parity]\npaths = ["app"]\n')
    monkeypatch.chdir(tmp_path)
    code = main(
        [
            *("check", "--format", "json", "--dialect", "postgresql", "--bootstrap", "base1"),
            *("--postgres-url", pg_admin_url, "--postgres", "required"),
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    (site,) = json.loads(out)["sites"]
    assert site["verdicts"]["postgresql"]["verdict"] == "ok"
    assert site["verdicts"]["postgresql"]["arbiters"] == ["uq_account_email"]


#: Models whose import registers a listener on every Table (as search libraries do for their indexes): importing the
#: package a second time in the process would register it again, and create_all() would emit its DDL twice.
LISTENING_MODELS = """
import sqlalchemy as sa
from sqlalchemy.orm import declarative_base

Base = declarative_base()

class Account(Base):
    __tablename__ = "account"
    __table_args__ = {"info": {"parity_import_once_index": True}}
    id = sa.Column(sa.Integer, primary_key=True)
    email = sa.Column(sa.Text, nullable=False)

def _index(table, connection, **kw):
    if table.info.get("parity_import_once_index"):
        connection.execute(sa.text("CREATE INDEX account_email_idx ON account (email)"))

sa.event.listen(sa.Table, "after_create", _index)
"""


def test_the_models_are_imported_once_so_their_import_time_listeners_act_once(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "app" / "models.py").write_text(LISTENING_MODELS)
    code, report = run(capsys, "--bootstrap", "base1")
    assert code == 0, report
    (site,) = [s for s in report["sites"] if s["origin"] == "python-string"]
    assert site["verdicts"]["sqlite"]["arbiters"] == ["uq_account_email"]


def test_models_a_revision_already_imported_are_not_imported_again(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The application is installed (importable), and a revision imports it at load time, before the bootstrap: its
    # import-time listener is registered then, and a second import of the same files would register it again.
    for name in [n for n in sys.modules if n == "app" or n.startswith("app.")]:
        monkeypatch.delitem(sys.modules, name)  # an earlier test's project of the same name
    monkeypatch.syspath_prepend(str(project))
    # its own flag: the listener an earlier test registered in this process must not act on these tables
    (project / "app" / "models.py").write_text(LISTENING_MODELS.replace("import_once", "already_imported"))
    add2 = next(project.glob("migrations/versions/add2_*.py"))
    add2.write_text("import app.models  # noqa: F401\n" + add2.read_text())
    code, report = run(capsys, "--bootstrap", "base1")
    assert code == 0, report
    (site,) = [s for s in report["sites"] if s["origin"] == "python-string"]
    assert site["verdicts"]["sqlite"]["arbiters"] == ["uq_account_email"]


#: A DDL listener written for SQLAlchemy 1.4's legacy connection (bound parameters as keyword arguments), as a 1.4
#: project's install runs it when it creates its schema and functions before create_all().
LEGACY_LISTENER_MODELS = (
    MODELS
    + """
def _before_create(target, connection, **kw):
    connection.execute(sa.text("SELECT :n"), n=1)

sa.event.listen(Base.metadata, "before_create", _before_create)
"""
)


def test_a_ddl_listener_runs_as_under_the_projects_own_sqlalchemy(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "app" / "models.py").write_text(LEGACY_LISTENER_MODELS)
    code, report = run(capsys, "--bootstrap", "base1")
    if compat.SQLALCHEMY_2:  # 2.x refuses keyword parameters everywhere: the project's error, named, not ours
        assert code == 2
        assert "create_all() of app.models:Base.metadata failed on sqlite: TypeError" in report["error"]
        assert "internal error" not in report["error"]
    else:
        assert code == 0, report


@pytest.mark.postgres
def test_a_revision_meeting_a_missing_schema_suggests_bootstrap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], pg_admin_url: str
) -> None:
    # the install's create_all() creates the schema; the first revision adds a table to it
    body = "op.create_table('roles', sa.Column('id', sa.Integer, primary_key=True), schema='events')"
    write_project(tmp_path, [Revision("first", None, body)], env_py=COOKBOOK_ENV_PY)
    monkeypatch.chdir(tmp_path)
    code = main(
        [
            *("schema", "--dialect", "postgresql", "--postgres", "required", "--postgres-url", pg_admin_url),
            *("--alembic-config", "alembic.ini"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert 'schema "events" does not exist' in err and 'bootstrap = "<the revision' in err


#: The models create their schema themselves, in a ``before_create`` hook, with a function the table's trigger calls
#: (made only when the hook creates the schema): the install's way, which the bootstrap must not pre-empt.
HOOKED_MODELS = """
import sqlalchemy as sa
from sqlalchemy.orm import declarative_base

Base = declarative_base()

class Account(Base):
    __tablename__ = "account"
    __table_args__ = {"schema": "app_core"}
    id = sa.Column(sa.Integer, primary_key=True)
    email = sa.Column(sa.Text, nullable=False)

def _before_create(target, connection, **kw):
    exists = connection.execute(
        sa.text("SELECT count(*) FROM pg_namespace WHERE nspname = 'app_core'")
    ).scalar()
    if not exists:
        connection.execute(sa.text("CREATE SCHEMA app_core"))
        connection.execute(sa.text(
            "CREATE FUNCTION app_core.touch() RETURNS trigger AS $$ BEGIN RETURN NEW; END $$ LANGUAGE plpgsql"
        ))

def _after_create(target, connection, **kw):
    connection.execute(sa.text(
        "CREATE TRIGGER account_touch BEFORE INSERT ON app_core.account FOR EACH ROW EXECUTE PROCEDURE app_core.touch()"
    ))

sa.event.listen(Base.metadata, "before_create", _before_create)
sa.event.listen(Account.__table__, "after_create", _after_create)
"""


@pytest.mark.postgres
def test_a_bootstrap_lets_the_models_hooks_create_their_schemas(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], pg_admin_url: str
) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "models.py").write_text(HOOKED_MODELS)
    (tmp_path / "app" / "store.py").write_text(
        "SQL = \"INSERT INTO app_core.account (id, email) VALUES (1, 'a') ON CONFLICT (email) DO NOTHING\"\n"
    )
    env_py = "from app.models import Base\ntarget_metadata = Base.metadata\n" + COOKBOOK_ENV_PY
    write_project(tmp_path, SCHEMA_HISTORY, env_py=env_py)
    (tmp_path / "pyproject.toml").write_text('[tool.schema-parity]\npaths = ["app"]\n')
    monkeypatch.chdir(tmp_path)
    code = main(
        [
            *("check", "--format", "json", "--dialect", "postgresql", "--bootstrap", "base1"),
            *("--postgres-url", pg_admin_url, "--postgres", "required"),
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0, err  # with the schema made beforehand, the hook made no function and the trigger failed
    (site,) = json.loads(out)["sites"]
    assert site["verdicts"]["postgresql"]["arbiters"] == ["uq_account_email"]


@pytest.fixture
def registered(project: Path) -> Path:
    """The models are registered by a function that imports every model module (indico's pattern): importing the
    declarative base alone gives an empty MetaData."""
    (project / "app" / "models.py").unlink()
    (project / "app" / "db.py").write_text(
        "from sqlalchemy.orm import declarative_base\n\nBase = declarative_base()\n"
    )
    (project / "app" / "models").mkdir()
    (project / "app" / "models" / "__init__.py").write_text("")
    (project / "app" / "models" / "account.py").write_text(
        MODELS.replace("Base = declarative_base()  # SQLAlchemy 1.4 and 2.x", "from app.db import Base")
    )
    (project / "app" / "registry.py").write_text(
        "import importlib\n\ndef import_all():\n    importlib.import_module('app.models.account')\n"
    )
    (project / "migrations" / "env.py").write_text(COOKBOOK_ENV_PY)
    return project


def test_metadata_imports_register_the_models_before_the_bootstrap(
    registered: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (registered / "pyproject.toml").write_text(
        '[tool.schema-parity]\npaths = ["app", "migrations"]\nbootstrap = "base1"\nmetadata = "app.db:Base"\n'
        'metadata-imports = ["app.registry:import_all"]\n'
    )
    code, report = run(capsys)
    assert code == 0, report
    (site,) = [s for s in report["sites"] if s["origin"] == "python-string"]
    assert site["verdicts"]["sqlite"]["arbiters"] == ["uq_account_email"]


def test_a_bootstrap_from_a_metadata_with_no_table_suggests_metadata_imports(
    registered: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (registered / "pyproject.toml").write_text(
        '[tool.schema-parity]\npaths = ["app", "migrations"]\nbootstrap = "base1"\nmetadata = "app.db:Base"\n'
    )
    code, report = run(capsys)
    assert code == 2
    assert "the MetaData app.db:Base holds no table once imported" in report["error"]
    assert "metadata-imports" in report["error"]


def test_a_metadata_imports_entry_that_fails_is_named(registered: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (registered / "pyproject.toml").write_text(
        '[tool.schema-parity]\npaths = ["app", "migrations"]\nbootstrap = "base1"\nmetadata = "app.db:Base"\n'
        'metadata-imports = ["app.registry:import_everything"]\n'
    )
    code, report = run(capsys)
    assert code == 2
    assert "metadata-imports entry 'app.registry:import_everything' cannot be imported" in report["error"]


@pytest.mark.postgres
def test_models_in_a_schema_leave_sqlite_unresolved_and_postgresql_judged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], pg_admin_url: str
) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "models.py").write_text(SCHEMA_MODELS)
    (tmp_path / "app" / "store.py").write_text(
        "SQL = \"INSERT INTO app_core.account (id, email) VALUES (1, 'a') ON CONFLICT (email) DO NOTHING\"\n"
    )
    env_py = "from app.models import Base\ntarget_metadata = Base.metadata\n" + COOKBOOK_ENV_PY
    write_project(tmp_path, SCHEMA_HISTORY, env_py=env_py)
    (tmp_path / "pyproject.toml").write_text('[tool.schema-parity]\npaths = ["app"]\n')
    monkeypatch.chdir(tmp_path)
    code = main(["check", "--format", "json", "--bootstrap", "base1", "--postgres-url", pg_admin_url])
    out, err = capsys.readouterr()
    assert code == 0, err  # SQLite has no schemas: create_all() fails there, PostgreSQL still judges
    (site,) = json.loads(out)["sites"]
    assert site["verdicts"]["postgresql"]["arbiters"] == ["uq_account_email"]
    assert site["verdicts"]["sqlite"]["verdict"] == "unresolved"
