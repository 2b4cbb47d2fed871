"""SP901's reasons are data: every reason a site can be unresolved for is one registered entry
(schema_parity/rules/undecided.py), every entry is raised by some code path, and every raise names one."""

from __future__ import annotations

import ast
import sqlite3
from pathlib import Path

import pytest

from schema_parity.rules.undecided import REASONS, reason
from schema_parity.sites.python import sites_from_python
from schema_parity.sites.sqlalchemy.tables import Unresolved
from schema_parity.sources.ddl import catalog_from_ddl
from schema_parity.verdicts.dispatch import check

SITES = Path(__file__).resolve().parents[1] / "schema_parity" / "sites"
SQLITE_VERDICT = SITES.parent / "verdicts" / "sqlite.py"
POSTGRESQL_VERDICT = SITES.parent / "verdicts" / "postgresql.py"
VERDICTS = {"sqlite": str(SQLITE_VERDICT), "postgresql": str(POSTGRESQL_VERDICT)}


def _emitted() -> dict[str, set[str]]:
    """Every reason key a scanner module passes to ``Unresolved(...)`` or ``reason(...)``, SQLite's verdict to
    ``_Unsupported(...)`` or ``reason(...)`` and PostgreSQL's to ``reason(...)``, with the fields given."""
    found: dict[str, set[str]] = {}
    for path in (*SITES.rglob("*.py"), SQLITE_VERDICT, POSTGRESQL_VERDICT):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("Unresolved", "reason", "_Unsupported")
                and not any(k.arg is None for k in node.keywords)  # Unresolved's own reason(key, **fields), and so on
            ):
                assert node.args and isinstance(node.args[0], ast.Constant), f"{path}:{node.lineno}: key not literal"
                key = node.args[0].value
                assert key in REASONS, f"{path}:{node.lineno}: unregistered reason {key!r}"
                assert {k.arg for k in node.keywords} == set(REASONS[key].fields), f"{path}:{node.lineno}: fields"
                found.setdefault(key, set()).add(str(path))
    return found


def test_every_reason_is_raised_somewhere_and_every_raise_is_registered() -> None:
    emitted = _emitted()
    assert set(emitted) == set(REASONS)
    # a reason of an engine's analysis is raised by that engine's verdict only, a site's reason by the scanners only
    for key, paths in emitted.items():
        engine = REASONS[key].engine
        assert paths == {VERDICTS[engine]} if engine is not None else not paths & set(VERDICTS.values()), key


def test_every_reason_says_why() -> None:
    for entry in REASONS.values():
        assert entry.why.strip() and entry.text.strip(), entry.key


def test_unresolved_carries_the_key_and_the_text() -> None:
    exc = Unresolved("table-not-in-tree", label="users")
    assert exc.key == "table-not-in-tree"
    assert str(exc) == "the table users is not defined in the scanned tree"


def test_a_typo_in_the_fields_fails() -> None:
    with pytest.raises(TypeError):
        reason("table-not-in-tree", lable="users")


def test_a_python_string_site_carries_the_reason_key() -> None:
    source = 'def f(cur, t):\n    cur.execute(f"INSERT INTO {t} (a) VALUES (1) ON CONFLICT (a) DO NOTHING")\n'
    (site,), _ = sites_from_python(source, "m.py")
    assert site.sql is None
    assert site.unresolved == "the table name is computed at run time (t)"
    assert site.reason == "string-table-at-run-time"


@pytest.mark.parametrize(
    ("target", "index", "said"),
    [
        ("(a IN (SELECT 1))", "(a)", "a subquery"),
        ("(CASE WHEN a THEN 1 END)", "(a)", "CASE expressions"),
        ("(max(a) OVER ())", "(a)", "window or filtered functions"),
    ],
)
def test_sqlite_expression_reasons_keep_their_words(target: str, index: str, said: str) -> None:
    """The SQLite comparison's reasons are registered entries; SP901 says them as before."""
    schema = f"CREATE TABLE t (a INTEGER);\nCREATE UNIQUE INDEX t_a ON t {index};\n"
    sqlite3.connect(":memory:").executescript(schema)  # the schema SQLite builds
    verdict = check(
        f"INSERT INTO t (a) VALUES (1) ON CONFLICT {target} DO NOTHING", catalog_from_ddl(schema, "sqlite"), "sqlite"
    )
    (problem,) = verdict.problems
    assert (verdict.status, problem.rule) == ("unresolved", "SP901")
    assert problem.message == f"cannot compare the conflict target the way SQLite does: {said}"


def test_every_reason_is_documented() -> None:
    rules_md = (SITES.parents[1] / "docs" / "rules.md").read_text()
    for entry in REASONS.values():
        assert f"`{entry.key}`" in rules_md, entry.key
