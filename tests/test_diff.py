"""``schema-parity diff``: every kind of difference is found between real schemas, spelling never is one, and
bad input is a message with exit 2."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from schema_parity.cli import main
from schema_parity.diff import assert_schema_parity, diff, render_text
from schema_parity.errors import ConfigError
from schema_parity.sources.spec import parse_spec
from tests.alembic_projects import COOKBOOK_ENV_PY, Revision, write_project

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "telemetry"

BASE = """
CREATE TABLE parent (id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE);
CREATE TABLE t (
    id INTEGER PRIMARY KEY,
    host VARCHAR(20) NOT NULL,
    status INTEGER,
    seen TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    parent_id INTEGER REFERENCES parent (id) ON DELETE CASCADE,
    CHECK (status >= 0)
);
CREATE UNIQUE INDEX t_host_status ON t (host, status);
CREATE INDEX t_lower_host ON t (lower(host));
CREATE INDEX t_live ON t (seen) WHERE status = 1;
"""


def real(tmp_path: Path, a: str, b: str, **kw: object) -> list[str]:
    (tmp_path / "a.sql").write_text(a)
    (tmp_path / "b.sql").write_text(b)
    result = diff("sql:a.sql", "sql:b.sql", cwd=tmp_path, **kw)  # type: ignore[arg-type]
    return [d.describe() for d in result.real]


def test_the_same_schema_spelled_differently_is_equal(tmp_path: Path) -> None:
    respelled = """
    create table "PARENT" ("ID" integer primary key, code varchar not null, constraint named_uq unique (code));
    CREATE TABLE T (parent_id int REFERENCES parent ON DELETE cascade, ID integer primary key,
                    HOST varchar (20) NOT NULL, status int, seen datetime default (CURRENT_TIMESTAMP),
                    constraint status_ok check (status>=0));
    create unique index other_name on t (HOST, status);
    create index i2 on t (LOWER(host));
    create index i3 on t (seen) where status = 1;
    """
    assert real(tmp_path, BASE, respelled) == []
    (tmp_path / "b.sql").write_text(respelled)
    result = diff("sql:a.sql", "sql:b.sql", cwd=tmp_path)
    cosmetic = render_text(result, verbose=True)
    assert "(cosmetic) seen: type: A has TIMESTAMP, B has datetime" in cosmetic
    assert "(cosmetic) check: A has CHECK (status >= 0), B has CHECK status_ok (status>=0)" in cosmetic
    assert "(cosmetic) order: A has id, host, status, seen, parent_id" in cosmetic
    assert "(cosmetic) name: A has t_host_status, B has other_name" in cosmetic
    assert "(cosmetic)" not in render_text(result)  # without --verbose: counted in the summary only


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ("CREATE TABLE extra (id INTEGER PRIMARY KEY);", "extra: only in B: table"),
        ("ALTER TABLE t ADD COLUMN more TEXT;", "t.more: only in B: column more TEXT"),
        (("    parent_id INTEGER REFERENCES parent (id) ON DELETE CASCADE,\n", ""),
         "t.parent_id: only in A: column parent_id INTEGER"),
        (("status INTEGER,", "status TEXT,"), "t.status: type: A has INTEGER, B has TEXT"),
        (("status INTEGER,", "status INTEGER NOT NULL,"), "t.status: nullability: A has NULL, B has NOT NULL"),
        (("DEFAULT CURRENT_TIMESTAMP", ""), "t.seen: default: A has CURRENT_TIMESTAMP, B has no default"),
        (("id INTEGER PRIMARY KEY,\n    host", "id INTEGER,\n    host"), "t: only in A: PRIMARY KEY (id)"),
        (("ON t (host, status)", "ON t (host)"), "t: only in A: UNIQUE INDEX t_host_status (host, status)"),
        (("CREATE INDEX t_lower_host ON t (lower(host))", "CREATE INDEX t_lower_host ON t (upper(host))"),
         "t: only in A: INDEX t_lower_host ((lower(host)))"),
        (("WHERE status = 1", "WHERE status = 2"), "t: only in A: INDEX t_live (seen) WHERE status = 1"),
        (("ON DELETE CASCADE", ""),
         "t: fk: A has FOREIGN KEY (parent_id) REFERENCES parent (id) ON DELETE CASCADE, "
         "B has FOREIGN KEY (parent_id) REFERENCES parent (id)"),
        (("REFERENCES parent (id)", "REFERENCES parent (code)"),
         "t: only in A: FOREIGN KEY (parent_id) REFERENCES parent (id) ON DELETE CASCADE"),
        (("CHECK (status >= 0)", "CHECK (status > 0)"), "t: only in A: CHECK (status >= 0)"),
        (("CREATE INDEX t_live", "CREATE UNIQUE INDEX t_live"), "t: only in A: INDEX t_live (seen) WHERE status = 1"),
    ],
)
def test_each_kind_of_difference_is_found(tmp_path: Path, change: str | tuple[str, str], expected: str) -> None:
    changed = BASE + change if isinstance(change, str) else BASE.replace(*change)
    assert changed != BASE
    assert expected in real(tmp_path, BASE, changed)
    assert real(tmp_path, BASE, BASE) == []


def test_ignore_leaves_kinds_out(tmp_path: Path) -> None:
    changed = BASE.replace("status INTEGER,", "status TEXT NOT NULL,")
    assert len(real(tmp_path, BASE, changed)) == 2
    assert real(tmp_path, BASE, changed, ignore=["type", "nullability"]) == []
    with pytest.raises(ConfigError, match="--ignore colour: not a kind of difference"):
        real(tmp_path, BASE, changed, ignore=["colour"])


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("schema.sql", "did you mean sql:schema.sql?"),
        ("sql:", "nothing after sql:"),
        ("alembic:alembic.ini#oracle", "#oracle is not an engine"),
        ("alembic:@head", "expected alembic:PATH@REVISION"),
        ("models:app", "expected models:package.module:attribute"),
        ("python:tests.helpers:make#postgresql", "a python: source builds a SQLite database"),
        ("url:mysql://user:hunter2@db/app", "PostgreSQL and SQLite databases only"),
        ("url:not a url", "not a database URL"),
    ],
)
def test_a_bad_spec_is_a_message(spec: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_spec(spec)
    assert message in str(caught.value) and "hunter2" not in str(caught.value)


def test_the_command_exits_2_on_bad_input_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for argv in (
        ["diff", "sql:missing.sql", "sql:missing.sql"],
        ["diff", "url:postgresql://u:hunter2@127.0.0.1:1/x", "sql:x.sql"],
        ["diff", "python:nowhere:create", "python:nowhere:create"],
    ):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith("schema-parity: error:") and "Traceback" not in err and "hunter2" not in err


def test_the_command_exits_0_1_and_prints_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.sql").write_text(BASE)
    (tmp_path / "b.sql").write_text(BASE.replace("DEFAULT CURRENT_TIMESTAMP", ""))
    assert main(["diff", "sql:a.sql", "sql:a.sql", "--no-code"]) == 0
    assert "the schemas are the same" in capsys.readouterr().out
    assert main(["diff", "sql:a.sql", "sql:b.sql", "--no-code", "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["equal"] is False and data["a"] == {"source": "sql:a.sql", "dialect": "sqlite", "revision": None}
    assert [d for d in data["differences"] if not d["cosmetic"]] == [
        {"kind": "default", "table": "t", "column": "seen", "a": "CURRENT_TIMESTAMP", "b": "no default",
         "cosmetic": False}
    ]  # fmt: skip
    assert main(["diff", "sql:a.sql", "sql:b.sql", "--no-code", "--ignore", "default"]) == 0


def test_models_and_python_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "__init__.py").write_text("")
    (tmp_path / "shop" / "models.py").write_text(textwrap.dedent("""
        import sqlalchemy as sa
        from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

        class Base(DeclarativeBase):
            pass

        class Item(Base):
            __tablename__ = "item"
            __table_args__ = (sa.UniqueConstraint("sku"),)
            id: Mapped[int] = mapped_column(primary_key=True)
            sku: Mapped[str] = mapped_column(sa.String(20))
    """))
    (tmp_path / "shop" / "helpers.py").write_text(textwrap.dedent("""
        import sqlite3

        def create_tables(db_path):
            with sqlite3.connect(db_path) as db:
                db.execute("CREATE TABLE item (id INTEGER PRIMARY KEY, sku VARCHAR(20) NOT NULL)")

        def create_on(connection):
            connection.exec_driver_sql("CREATE TABLE item (id INTEGER PRIMARY KEY, sku VARCHAR(20) NOT NULL UNIQUE)")
    """))
    assert diff("models:shop.models:Base", "python:shop.helpers:create_on", cwd=tmp_path).equal
    result = diff("models:shop.models:Base.metadata", "python:shop.helpers:create_tables", cwd=tmp_path)
    assert [d.describe() for d in result.real] == ["item: only in A: UNIQUE (sku)"]


def test_a_database_url_is_read_and_never_written(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "app.db"
    with sqlite3.connect(path) as db:
        db.executescript(BASE)
    before = path.read_bytes()
    (tmp_path / "a.sql").write_text(BASE)
    assert diff(f"url:sqlite:///{path}", "sql:a.sql", cwd=tmp_path).equal
    assert path.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["a.sql", "app.db"]


def test_the_telemetry_showcase(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The seed's hand-written DDL against its migrations at a1b2c3d4e5f6: both hidden differences, and the upsert
    that relies on the key, first."""
    monkeypatch.chdir(EXAMPLE)
    code = main(["diff", "sql:seed/create_telemetry_tables.sql", "alembic:alembic.ini@a1b2c3d4e5f6"])
    out = capsys.readouterr().out
    assert code == 1
    relied, *_ = out.split("\n\n")[1:]
    assert relied.splitlines() == [
        "Keys the code's upserts rely on, on one side only:",
        "  http_error_summary: UNIQUE (host, status_code) only in A; ON CONFLICT (host, status_code) at "
        "telemetry/comprehensive_telemetry.py:23 fails on B",
    ]
    assert "http_error_summary\n  first_seen: default: A has CURRENT_TIMESTAMP, B has no default\n" in out
    assert "  only in A: UNIQUE (host, status_code)\n" in out


def test_assert_schema_parity(tmp_path: Path) -> None:
    (tmp_path / "a.sql").write_text(BASE)
    (tmp_path / "b.sql").write_text(BASE.replace("status INTEGER,", "status INTEGER NOT NULL,"))
    assert_schema_parity("sql:a.sql", "sql:a.sql", cwd=tmp_path)
    with pytest.raises(AssertionError, match="status: nullability: A has NULL, B has NOT NULL"):
        assert_schema_parity("sql:a.sql", "sql:b.sql", cwd=tmp_path)


def test_alembic_history_against_its_ddl(tmp_path: Path) -> None:
    write_project(tmp_path, [Revision("r1", None, """
        op.create_table("t", sa.Column("id", sa.Integer, primary_key=True), sa.Column("a", sa.String(10)))
        op.create_index("ix_t_a", "t", ["a"], unique=True, sqlite_where=sa.text("a IS NOT NULL"))
    """)], env_py=COOKBOOK_ENV_PY)  # fmt: skip
    (tmp_path / "t.sql").write_text("CREATE TABLE t (id INTEGER PRIMARY KEY, a VARCHAR(10));\n"
                                    "CREATE UNIQUE INDEX ix_t_a ON t (a);")  # fmt: skip
    result = diff("alembic:alembic.ini", "sql:t.sql", cwd=tmp_path)
    assert [d.describe() for d in result.real] == [
        "t: only in B: UNIQUE INDEX ix_t_a (a)",
        "t: only in A: UNIQUE INDEX ix_t_a (a) WHERE a IS NOT NULL",
    ]
    assert diff("alembic:.@r1", "alembic:migrations", cwd=tmp_path).equal


PG_BASE = """
CREATE TABLE p (id integer PRIMARY KEY);
CREATE TABLE t (
    id integer PRIMARY KEY,
    a integer,
    b integer,
    p_id integer REFERENCES p DEFERRABLE INITIALLY DEFERRED,
    status text CHECK (status IN ('a', 'b')),
    CONSTRAINT t_a UNIQUE (a) DEFERRABLE,
    CONSTRAINT t_b UNIQUE NULLS NOT DISTINCT (b)
);
"""


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("UNIQUE (a) DEFERRABLE", "UNIQUE (a)"), "t: unique: A has UNIQUE t_a (a) DEFERRABLE, B has UNIQUE t_a (a) "
         "(checked at once)"),
        (("UNIQUE NULLS NOT DISTINCT (b)", "UNIQUE (b)"), "t: only in A: UNIQUE t_b (b) NULLS NOT DISTINCT"),
        (("REFERENCES p DEFERRABLE INITIALLY DEFERRED", "REFERENCES p"),
         "t: fk: A has FOREIGN KEY (p_id) REFERENCES p (id) DEFERRABLE INITIALLY DEFERRED, "
         "B has FOREIGN KEY (p_id) REFERENCES p (id)"),
        (("IN ('a', 'b')", "IN ('a', 'c')"), "t: only in B: CHECK t_status_check (status = ANY (ARRAY['a'::text, "
         "'c'::text]))"),
    ],
)  # fmt: skip
def test_postgresql_differences(pg_admin_url: str, tmp_path: Path, change: tuple[str, str], expected: str) -> None:
    (tmp_path / "a.sql").write_text(PG_BASE)
    (tmp_path / "b.sql").write_text(PG_BASE.replace(*change))
    result = diff("sql:a.sql#postgresql", "sql:b.sql#postgresql", cwd=tmp_path, postgres_url=pg_admin_url)
    assert expected in [d.describe() for d in result.real]


@pytest.mark.postgres
def test_postgresql_spelling_is_cosmetic(pg_admin_url: str, tmp_path: Path) -> None:
    respelled = """
    create table P ("id" int4 primary key);
    create table T (ID int primary key, A int4, B int, p_id int4 constraint fk references p (id)
                    deferrable initially deferred, status varchar check (status = any (array['a', 'b'])),
                    unique (a) deferrable initially immediate, unique nulls not distinct (b));
    """
    (tmp_path / "a.sql").write_text(PG_BASE)
    (tmp_path / "b.sql").write_text(respelled)
    result = diff("sql:a.sql#postgresql", "sql:b.sql#postgresql", cwd=tmp_path, postgres_url=pg_admin_url)
    assert [d.describe() for d in result.real] == []
    assert "t: name: A has t_a, B has t_a_key" in [d.describe() for d in result.differences]


@pytest.mark.postgres
def test_the_same_migrations_on_sqlite_and_on_postgresql(pg_admin_url: str, tmp_path: Path) -> None:
    assert diff(
        "alembic:alembic.ini#sqlite", "alembic:alembic.ini#postgresql", cwd=EXAMPLE, postgres_url=pg_admin_url
    ).equal
    write_project(tmp_path, [Revision("r1", None, """
        op.create_table("t", sa.Column("id", sa.Integer, primary_key=True), sa.Column("a", sa.String(10)),
                        sa.Column("live", sa.Boolean, server_default=sa.true()))
        op.create_index("ix_t_a", "t", ["a"], unique=True, postgresql_where=sa.text("live"))
        op.create_table("c", sa.Column("id", sa.Integer, primary_key=True), sa.Column("kind", sa.String(5)),
                        sa.Column("t_id", sa.Integer, sa.ForeignKey("t.id", deferrable=True, initially="DEFERRED",
                                                                    ondelete="CASCADE")),
                        sa.CheckConstraint("kind IN ('a', 'b')", name="ck_c_kind"))
        if op.get_bind().dialect.name == "postgresql":
            op.create_check_constraint("ck_t_a", "t", "a <> ''")
    """)], env_py=COOKBOOK_ENV_PY)  # fmt: skip
    result = diff("alembic:alembic.ini#sqlite", "alembic:alembic.ini#postgresql", cwd=tmp_path,
                  postgres_url=pg_admin_url)  # fmt: skip
    assert [d.describe() for d in result.real] == [
        "t: only in A: UNIQUE INDEX ix_t_a (a)",
        "t: only in B: UNIQUE INDEX ix_t_a (a) WHERE live",
        "t: only in B: CHECK ck_t_a (a::text <> ''::text)",
    ]


FIX_A = """
CREATE TABLE parent (id INTEGER PRIMARY KEY, code TEXT NOT NULL);
CREATE TABLE t (
    id INTEGER PRIMARY KEY,
    host VARCHAR(20) NOT NULL,
    status INTEGER DEFAULT 0,
    seen TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    parent_id INTEGER,
    extra TEXT,
    CONSTRAINT uq_t_host UNIQUE (host),
    CONSTRAINT fk_t_parent FOREIGN KEY (parent_id) REFERENCES parent (id) ON DELETE CASCADE,
    CONSTRAINT ck_t_status CHECK (status >= 0)
);
CREATE INDEX ix_t_live ON t (seen) WHERE status = 1;
CREATE TABLE fresh (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, score REAL);
CREATE INDEX ix_fresh_lower ON fresh (lower(name));
"""
FIX_B_REVISION = """
op.create_table("parent", sa.Column("id", sa.Integer, primary_key=True), sa.Column("code", sa.Text, nullable=False))
op.create_table(
    "t",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("host", sa.String(20)),
    sa.Column("status", sa.Integer),
    sa.Column("seen", sa.DateTime, server_default=sa.text("CURRENT_TIMESTAMP")),
    sa.Column("parent_id", sa.Integer),
    sa.Column("dropped", sa.Text),
)
op.create_index("ix_t_status", "t", ["status"])
op.create_table("old", sa.Column("id", sa.Integer, primary_key=True))
"""


def test_fix_for_an_alembic_side_is_a_revision_that_removes_every_difference(tmp_path: Path) -> None:
    from schema_parity.diff_fix import fix_for

    write_project(tmp_path, [Revision("r1", None, FIX_B_REVISION)], env_py=COOKBOOK_ENV_PY)
    (tmp_path / "a.sql").write_text(FIX_A)
    before = diff("sql:a.sql", "alembic:alembic.ini", cwd=tmp_path)
    assert {d.kind for d in before.real} == {
        "table", "column", "nullability", "default", "unique", "index", "fk", "check"
    }  # fmt: skip
    code = fix_for(before, "b")
    assert "batch_op.create_unique_constraint('uq_t_host', ['host'])" in code
    body = code.split("def upgrade():\n", 1)[1]
    write_project(tmp_path, [Revision("r1", None, FIX_B_REVISION), Revision("r2", "r1", textwrap.dedent(body))],
                  env_py=COOKBOOK_ENV_PY)  # fmt: skip
    after = diff("sql:a.sql", "alembic:alembic.ini", cwd=tmp_path)
    assert [d.describe() for d in after.real] == []
    assert fix_for(after, "b").startswith("# nothing to change")


def test_fix_for_a_sql_side_is_the_ddl_of_the_differing_tables(tmp_path: Path) -> None:
    from schema_parity.diff_fix import fix_for

    (tmp_path / "a.sql").write_text(FIX_A)
    b = tmp_path / "b"
    b.mkdir()
    (b / "1_parent.sql").write_text("CREATE TABLE parent (id INTEGER PRIMARY KEY, code TEXT NOT NULL);")
    (b / "2_t.sql").write_text("CREATE TABLE t (id INTEGER PRIMARY KEY, host TEXT, dropped TEXT);")
    (b / "3_old.sql").write_text("CREATE TABLE old (id INTEGER PRIMARY KEY);")
    ddl = fix_for(diff("sql:a.sql", "sql:b", cwd=tmp_path), "b")
    blocks = ddl.split("\n\n")[1:]
    assert [block.splitlines()[0] for block in blocks] == [
        "CREATE TABLE fresh (", "-- old: remove it (the other side has no such table)", "CREATE TABLE t ("
    ]  # fmt: skip
    (b / "3_old.sql").unlink()
    (b / "2_t.sql").write_text(blocks[2])
    (b / "4_fresh.sql").write_text(blocks[0])
    assert [d.describe() for d in diff("sql:a.sql", "sql:b", cwd=tmp_path).real] == []


@pytest.mark.parametrize("spec", ["url:sqlite:///app.db", "models:app.models:Base", "python:app.helpers:create"])
def test_fix_for_a_side_that_cannot_be_edited_is_exit_2(
    spec: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["diff", "sql:a.sql", spec, "--fix-for", "b"]) == 2
    err = capsys.readouterr().err
    assert f"--fix-for b: {spec} cannot be edited by schema-parity" in err and "Traceback" not in err


def _doc_commands() -> list[tuple[str, str]]:
    """Each ``$ schema-parity diff`` command of docs/diff.md run from the example, with the output shown under it."""
    text = (Path(__file__).resolve().parents[1] / "docs" / "diff.md").read_text()
    found = []
    for block in text.split("```console\n")[1:]:
        lines = block.split("```", 1)[0].splitlines()
        for i, line in enumerate(lines):
            if line.startswith("$ schema-parity diff"):
                rest = lines[i + 1 :]
                end = next((j for j, other in enumerate(rest) if other.startswith("$ ")), len(rest))
                found.append((line[2:], "\n".join(rest[:end]) + "\n"))
    return found


@pytest.mark.postgres
@pytest.mark.parametrize(("command", "shown"), _doc_commands(), ids=lambda value: value[:60])
def test_the_commands_of_the_diff_page_work_as_written(
    command: str, shown: str, pg_admin_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import shlex

    monkeypatch.chdir(EXAMPLE)
    monkeypatch.setenv("SCHEMA_PARITY_POSTGRES_URL", pg_admin_url)
    code = main(shlex.split(command)[1:])
    out = capsys.readouterr().out
    assert code == (0 if "the schemas are the same" in shown or "all restore the schema" in shown else 1)
    if "\n...\n" in shown:  # an excerpt: its lines, in order
        head, tail = shown.split("...\n")
        assert out.startswith(head) and out.endswith(tail)
    else:
        assert out == shown


MODELS_MIGRATION = Revision("r1", None, """
    op.create_table("account", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("email", sa.String(100), nullable=False), sa.Column("name", sa.String(50)),
                    sa.Column("live", sa.Boolean, nullable=False, server_default=sa.text("1")),
                    sa.Column("gone", sa.Integer))
    op.create_index("ix_account_name", "account", ["name"], sqlite_where=sa.text("live = 1"))
    op.create_table("old", sa.Column("id", sa.Integer, primary_key=True))
""")  # fmt: skip
DRIFTED_MODELS = """
import sqlalchemy as sa

metadata = sa.MetaData()
account = sa.Table(
    "account", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("email", sa.String(100), nullable=True),
    sa.Column("name", sa.Text),
    sa.Column("live", sa.Boolean, nullable=False, server_default=sa.text("0")),
    sa.Column("extra", sa.Integer),
    sa.UniqueConstraint("email"),
    sa.Index("ix_account_name", "name", sqlite_where=sa.text("live = 0")),
)
sa.Table("new", metadata, sa.Column("id", sa.Integer, primary_key=True))
"""


def test_models_against_migrations_reports_what_alembic_check_reports_and_more(tmp_path: Path) -> None:
    """Every difference Alembic's autogenerate finds (type and server default comparison on) is one of the diff's;
    the diff also finds the partial-index predicate and the unnamed unique constraint that autogenerate ignores."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from schema_parity.sources.alembic import AlembicProject, sqlite_memory_connection, upgrade
    from schema_parity.sources.metadata import import_metadata

    write_project(tmp_path, [MODELS_MIGRATION], env_py=COOKBOOK_ENV_PY)
    (tmp_path / "models_app.py").write_text(DRIFTED_MODELS)
    ours = diff("models:models_app:metadata", "alembic:alembic.ini", cwd=tmp_path)
    found = {(d.table, d.column) for d in ours.real} | {(d.table, None) for d in ours.real}

    metadata = import_metadata("models_app:metadata", [tmp_path])
    with sqlite_memory_connection() as connection:
        upgrade(connection, AlembicProject.load(tmp_path / "alembic.ini"))
        context = MigrationContext.configure(connection, opts={"compare_type": True, "compare_server_default": True})
        alembic_found = compare_metadata(context, metadata)
    theirs = set()
    for entry in alembic_found:
        for op in entry if isinstance(entry, list) else [entry]:
            if op[0].startswith("modify_"):
                theirs.add((op[2], op[3]))
            elif op[0] in ("add_column", "remove_column"):
                theirs.add((op[2], op[3].name))
            elif op[0] in ("add_table", "remove_table"):
                theirs.add((op[1].name, None))
            else:
                theirs.add((op[1].table.name, None))
    assert theirs and theirs <= found, theirs - found
    assert {("account", "email"), ("account", "name"), ("account", "live"), ("account", "extra"),
            ("account", "gone"), ("new", None), ("old", None)} <= theirs  # fmt: skip
    described = [d.describe() for d in ours.real]
    assert "account: only in A: UNIQUE (email)" in described
    assert "account: only in A: INDEX ix_account_name (name) WHERE live = 0" in described
    assert "account: only in B: INDEX ix_account_name (name) WHERE live = 1" in described
