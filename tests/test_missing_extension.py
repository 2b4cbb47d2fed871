"""A PostgreSQL history that needs a server extension (a type such as pgvector's ``vector``) the server lacks: the
exit-2 message names the missing type and says how to point schema-parity at a server that has it."""

from __future__ import annotations

from pathlib import Path

import pytest

from schema_parity.cli import main
from tests.alembic_projects import COOKBOOK_ENV_PY, Revision, write_project

#: A type name no extension on the test server defines, standing for an extension's type (pgvector's "vector").
HISTORY = [
    Revision("ext1", None, "op.execute('CREATE TABLE embedding (id integer PRIMARY KEY, v parity_missing_vector(3))')"),
]


@pytest.mark.postgres
def test_a_type_from_a_missing_extension_names_the_type_and_the_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], pg_admin_url: str
) -> None:
    write_project(tmp_path, HISTORY, env_py=COOKBOOK_ENV_PY)
    monkeypatch.chdir(tmp_path)
    code = main(["schema", "--dialect", "postgresql", "--postgres", "required", "--postgres-url", pg_admin_url])
    err = capsys.readouterr().err
    assert code == 2
    assert "Revision ext1" in err
    assert 'no type "parity_missing_vector"' in err
    assert "--postgres-url" in err and "setup-sql" in err and "CREATE EXTENSION" in err


@pytest.mark.parametrize(
    ("message", "missing"),
    [
        ('relation "account" does not exist', True),
        ("no such table: account", True),
        ('table "account" does not exist', True),  # PostgreSQL's DROP TABLE
        ('column "id" of relation "account" does not exist', False),  # the table is there, a column is not
    ],
)
def test_a_missing_table_is_told_from_a_missing_column(message: str, missing: bool) -> None:
    import sqlalchemy as sa

    from schema_parity.sources.alembic.runner import _missing_table

    assert _missing_table(sa.exc.ProgrammingError("ALTER TABLE ...", {}, Exception(message))) is missing
