"""Two histories in one repository, each starting from ``create_all()`` (a multi-tenant layout: one MetaData whose
core tables live in a schema of their own and whose tenant tables have none; the install creates the core tables and
stamps the core history, then creates the tenant tables and stamps the tenant history). Each ``[[histories]]`` entry
takes its own ``bootstrap`` (a revision id belongs to one history), ``bootstrap-schemas`` (which tables its
``create_all()`` builds) and ``metadata``; the command line and pytest read them through the same configuration."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from schema_parity.cli import main
from tests.alembic_projects import COOKBOOK_ENV_PY, Revision, revision_source

#: The models at the bootstrap revisions: no unique key yet on organization.slug or ticket.code (later revisions
#: add them); tenant tables refer to the core schema, as a tenant's rows belong to an organization.
MODELS = """
import sqlalchemy as sa
from sqlalchemy.orm import declarative_base

Base = declarative_base()

class Organization(Base):
    __tablename__ = "organization"
    __table_args__ = {"schema": "app_core"}
    id = sa.Column(sa.Integer, primary_key=True)
    slug = sa.Column(sa.Text, nullable=False)

class Ticket(Base):
    __tablename__ = "ticket"  # no schema: the install creates it in each tenant's schema
    id = sa.Column(sa.Integer, primary_key=True)
    code = sa.Column(sa.Text, nullable=False)
    organization_id = sa.Column(sa.Integer, sa.ForeignKey("app_core.organization.id"))
"""
CORE = [
    Revision("core1", None, "pass  # create_all() of the core tables, then stamp"),
    Revision(
        "core2",
        "core1",
        "op.create_unique_constraint('uq_organization_slug', 'organization', ['slug'], schema='app_core')",
    ),
]
TENANT = [
    Revision("tenant1", None, "pass  # create_all() of the tenant tables, then stamp"),
    Revision("tenant2", "tenant1", "op.create_unique_constraint('uq_ticket_code', 'ticket', ['code'])"),
]
APP = """
TICKET = "INSERT INTO ticket (id, code) VALUES (1, 'a') ON CONFLICT (code) DO NOTHING"
ORGANIZATION = "INSERT INTO app_core.organization (id, slug) VALUES (1, 'a') ON CONFLICT (slug) DO NOTHING"
"""
INI = """
[alembic]

[core]
script_location = %(here)s/app/revisions/core

[tenant]
script_location = %(here)s/app/revisions/tenant
"""
SETTINGS = """
[tool.schema-parity]
paths = ["app/store.py"]
dialects = ["postgresql"]
postgres = "required"
alembic-config = "alembic.ini"
ini-section = "core"
bootstrap = "core1"
bootstrap-schemas = ["app_core"]

[[tool.schema-parity.histories]]
alembic-config = "alembic.ini"
ini-section = "tenant"
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    app = tmp_path / "app"
    app.mkdir()
    (app / "__init__.py").write_text("")
    (app / "models.py").write_text(MODELS)
    (app / "store.py").write_text(APP)
    env_py = "from app.models import Base\ntarget_metadata = Base.metadata\n" + COOKBOOK_ENV_PY
    for name, revisions in (("core", CORE), ("tenant", TENANT)):
        versions = app / "revisions" / name / "versions"
        versions.mkdir(parents=True)
        (versions.parent / "env.py").write_text(env_py)
        (versions.parent / "script.py.mako").write_text("")
        for revision in revisions:
            (versions / f"{revision.id}_rev.py").write_text(revision_source(revision))
    (tmp_path / "alembic.ini").write_text(INI)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def configure(project: Path, tenant: str = 'bootstrap = "tenant1"\n', core: str = "") -> None:
    (project / "pyproject.toml").write_text(SETTINGS + tenant + core)


def check(capsys: pytest.CaptureFixture[str], url: str) -> tuple[int, dict]:
    code = main(["check", "--no-cache", "--format", "json", "--postgres-url", url])
    out, err = capsys.readouterr()
    return code, json.loads(out) if out else {"error": err}


def verdicts(report: dict) -> dict[int, tuple[str, list[str], str]]:
    """line -> (verdict, arbiters, the history's ini section)."""
    return {
        s["line"]: (
            s["verdicts"]["postgresql"]["verdict"],
            s["verdicts"]["postgresql"]["arbiters"],
            s["history"].rpartition(" ")[2],
        )
        for s in report["sites"]
    }


@pytest.mark.postgres
def test_each_history_starts_from_its_own_bootstrap(
    project: Path, capsys: pytest.CaptureFixture[str], pg_admin_url: str
) -> None:
    configure(project)
    code, report = check(capsys, pg_admin_url)
    assert code == 0, report
    assert verdicts(report) == {
        2: ("ok", ["uq_ticket_code"], "[tenant]"),  # tenant2 ran after the tenant bootstrap
        3: ("ok", ["uq_organization_slug"], "[core]"),  # core2 ran after the core bootstrap
    }


@pytest.mark.postgres
def test_a_history_does_not_take_the_main_historys_bootstrap(
    project: Path, capsys: pytest.CaptureFixture[str], pg_admin_url: str
) -> None:
    configure(project, tenant="")  # the tenant entry has no bootstrap: its history runs from an empty database
    code, report = check(capsys, pg_admin_url)
    assert code == 2
    assert "Revision tenant2" in report["error"] and 'relation "ticket" does not exist' in report["error"]
    assert 'bootstrap = "<the revision create_all() stands for>"' in report["error"]


@pytest.mark.postgres
def test_without_bootstrap_schemas_the_core_history_would_own_the_tenant_tables(
    project: Path, capsys: pytest.CaptureFixture[str], pg_admin_url: str
) -> None:
    (project / "pyproject.toml").write_text(
        SETTINGS.replace('bootstrap-schemas = ["app_core"]\n', "") + 'bootstrap = "tenant1"\n'
    )
    code, report = check(capsys, pg_admin_url)
    # create_all() of every table puts ticket (at the bootstrap state, without tenant2's key) in the core history,
    # the first one that has it: the reason the install's create_all(tables=...) has to be said.
    assert code == 1
    assert verdicts(report)[2][2] == "[core]"


@pytest.mark.postgres
def test_a_missing_table_with_a_bootstrap_set_says_the_bootstrap_did_not_create_it(
    project: Path, capsys: pytest.CaptureFixture[str], pg_admin_url: str
) -> None:
    configure(project, tenant='bootstrap = "tenant1"\nbootstrap-schemas = ["app_core"]\n')
    code, report = check(capsys, pg_admin_url)
    assert code == 2
    error = report["error"]
    assert "Revision tenant2" in error and "although bootstrap = 'tenant1' is set" in error
    assert "bootstrap-schemas" in error and "<the revision create_all() stands for>" not in error


def test_bootstrap_schemas_naming_no_table_of_the_models_stops_with_the_schemas_it_has(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "pyproject.toml").write_text(
        SETTINGS.replace('dialects = ["postgresql"]\npostgres = "required"\n', 'dialects = ["sqlite"]\n').replace(
            '["app_core"]', '["tenants"]'
        )
    )
    code = main(["check", "--no-cache", "--format", "json"])
    err = capsys.readouterr().err
    assert code == 2
    assert "bootstrap-schemas = ['tenants']" in err and "'', 'app_core'" in err


@pytest.mark.parametrize(
    ("entry", "wording"),
    [
        ('bootstrap-schemas = "app_core"', "a list of strings for bootstrap-schemas"),
        ("revision = 'tenant2'", "expected string values for"),
    ],
)
def test_a_history_entry_with_a_wrong_key_or_type_stops(
    project: Path, capsys: pytest.CaptureFixture[str], entry: str, wording: str
) -> None:
    configure(project, tenant=entry + "\n")
    assert main(["check", "--no-cache"]) == 2
    assert wording in capsys.readouterr().err


@pytest.mark.postgres
def test_pytest_reads_the_histories_bootstraps_from_the_same_configuration(
    pytester: pytest.Pytester, pg_admin_url: str
) -> None:
    project = pytester.path
    (project / "app").mkdir()
    (project / "app" / "models.py").write_text(MODELS)
    (project / "app" / "__init__.py").write_text("")
    (project / "app" / "store.py").write_text(APP.replace("(code)", "(id, code)"))  # no key on (id, code): SP101
    env_py = "from app.models import Base\ntarget_metadata = Base.metadata\n" + COOKBOOK_ENV_PY
    for name, revisions in (("core", CORE), ("tenant", TENANT)):
        versions = project / "app" / "revisions" / name / "versions"
        versions.mkdir(parents=True)
        (versions.parent / "env.py").write_text(env_py)
        for revision in revisions:
            (versions / f"{revision.id}_rev.py").write_text(revision_source(revision))
    (project / "alembic.ini").write_text(INI)
    (project / "pyproject.toml").write_text(
        SETTINGS + 'bootstrap = "tenant1"\n' + textwrap.dedent(f"""
        [tool.pytest.ini_options]
        schema_parity_postgres_url = "{pg_admin_url}"
        """)
    )
    result = pytester.runpytest_subprocess("--schema-parity", "-p", "no:randomly", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, failed=1)  # the schema item and organization's site pass
    # ticket's keys are the tenant history's: tenant2 ran after the tenant bootstrap
    result.stdout.fnmatch_lines(["*SP101 [[]postgresql[]] ON CONFLICT (id, code) on ticket*uq_ticket_code (code).*"])
