"""A project pinned to SQLAlchemy older than the tool supports (redash pins 1.3.24): the revisions must run in the
project's environment, so the tool stops at start-up naming what it needs instead of failing deep inside."""

from __future__ import annotations

import pytest

from schema_parity.cli import check_supported
from schema_parity.errors import ConfigError


@pytest.mark.parametrize(
    ("installed", "named"),
    [
        ({"SQLAlchemy": "1.3.24", "alembic": "1.8.1"}, "SQLAlchemy 1.4.46 or newer (this environment has 1.3.24)"),
        ({"SQLAlchemy": "1.4.45", "alembic": "1.8.1"}, "SQLAlchemy 1.4.46 or newer (this environment has 1.4.45)"),
        ({"SQLAlchemy": "2.0.30", "alembic": "1.7.7"}, "alembic 1.8.1 or newer (this environment has 1.7.7)"),
    ],
)
def test_an_older_sqlalchemy_or_alembic_is_named_with_what_is_needed(installed: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError) as raised:
        check_supported(installed)
    assert str(raised.value).startswith(f"schema-parity needs {named}.")
    assert "pip install 'SQLAlchemy>=1.4.46' 'alembic>=1.8.1'" in str(raised.value)


@pytest.mark.parametrize("sqlalchemy", ["1.4.46", "1.4.54", "2.0.8", "2.1.0b1"])
def test_supported_versions_pass(sqlalchemy: str) -> None:
    check_supported({"SQLAlchemy": sqlalchemy, "alembic": "1.8.1"})


def test_the_installed_versions_are_supported() -> None:
    check_supported()
