"""docs/rules.md is generated from the rule objects (schema_parity/rules/) and its examples hold on the checker and
on both engines.

The page in the repository must be the generator's output byte for byte, so a rule edited without regenerating the
page fails here with the command that regenerates it. The registry is checked for what a dict would hide (two rules
with one code or one name, a rule filed in another family), and every docs example runs like the ``explain``
examples do (tests/test_cli_check.py, tests/test_rule_examples_on_engines.py): the failing statement reports the
rule, and fails on each engine it names with an error that maps to the rule and that the rule's ``errors`` quote
word for word; the fixed one passes both ways.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from schema_parity.explain import render_explain
from schema_parity.rules import RULES, Example, Rule, deploy, drift, find_rule, resolution, row, target, undecided
from schema_parity.rules.docs import REGENERATE, RULES_DOC, render_docs
from schema_parity.sources.ddl import catalog_from_ddl
from schema_parity.verdicts.dispatch import check as judge_sql
from tests.engines import expected_rule
from tests.test_rule_examples_on_engines import run, select_from_ambiguity

ROOT = Path(__file__).resolve().parents[1]
ENGINE_NAMES = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}
FAMILIES = {"SP1": target, "SP2": resolution, "SP3": row, "SP5": drift, "SP6": deploy, "SP9": undecided}


def test_docs_rules_md_is_generated_from_the_rules() -> None:
    committed = (ROOT / RULES_DOC).read_text(encoding="utf-8")
    generated = render_docs()
    diff = "".join(difflib.unified_diff(
        committed.splitlines(keepends=True), generated.splitlines(keepends=True), RULES_DOC, "generated", n=1
    ))
    assert committed == generated, f"{RULES_DOC} is stale; regenerate it with `{REGENERATE}`:\n{diff[:4000]}"


def test_every_rule_is_in_its_family_once() -> None:
    filed = [(prefix, rule) for prefix, module in FAMILIES.items() for rule in module.FAMILY]
    assert [rule.code for _, rule in filed] == sorted(RULES), "a code registered twice, or missing from its family"
    assert all(rule.code.startswith(prefix) for prefix, rule in filed)
    assert len({rule.name for rule in RULES.values()}) == len(RULES), "two rules share a name"


def test_a_rule_is_found_by_code_or_name() -> None:
    assert find_rule(" sp904 ") is RULES["SP904"]
    assert find_rule("Unused-Suppression") is RULES["SP904"]
    assert find_rule("SP999") is None and find_rule("") is None


def test_every_rule_has_its_docs() -> None:
    """Each rule says what it is on the page: prose, the table's cells, and (for engine errors) the engines' words."""
    page = render_docs()
    for rule in RULES.values():
        assert rule.description and all(rule.applies), rule.code
        assert f"\n## {rule.code} {rule.name}\n" in page and f"(#{rule.anchor})" in page, rule.code
        assert rule.anchor in render_explain(rule.code)
        if rule.example.schema is not None:
            assert rule.errors and rule.doc_examples, f"{rule.code}: an engine rule without its errors and examples"


def _doc_examples(language: str = "sql") -> Iterator[tuple[str, int, Example]]:
    for code, rule in sorted(RULES.items()):
        for i, example in enumerate(rule.doc_examples):
            if example.language == language and example.schema is not None:
                yield code, i, example


DOC_EXAMPLES = list(_doc_examples())


@pytest.mark.parametrize(("code", "example"), [pytest.param(c, e, id=f"{c}-{i}") for c, i, e in DOC_EXAMPLES])
def test_docs_example_fails_and_its_fix_passes_on_the_checker(code: str, example: Example) -> None:
    assert example.schema is not None
    for dialect in example.dialects:
        bad = judge_sql(example.bad, catalog_from_ddl(example.schema, dialect), dialect)
        fixed = judge_sql(example.fixed, catalog_from_ddl(example.fixed_schema or example.schema, dialect), dialect)
        assert code in [p.rule for p in bad.problems], (dialect, bad)
        assert fixed.problems == (), (dialect, fixed)


def _engine_params() -> Iterator[object]:
    for code, i, example in DOC_EXAMPLES:
        for engine in example.dialects:
            marks = [pytest.mark.postgres] if engine == "postgresql" else []
            yield pytest.param(code, example, engine, id=f"{code}-{i}-{engine}", marks=marks)


@pytest.mark.parametrize(("code", "example", "engine"), list(_engine_params()))
def test_docs_example_fails_and_its_fix_passes_on_the_engine(
    code: str, example: Example, engine: str, request: pytest.FixtureRequest
) -> None:
    assert example.schema is not None
    *custom, bad = run(engine, example.schema, example.bad, request)
    assert not bad.ok and bad.ddl_ok, (code, engine, bad)
    said = bad.message if engine == "sqlite" else f"{bad.code} {bad.message}"
    assert said in quoted(RULES[code], engine), f"{code} on {engine}: the docs do not quote {said!r}"
    if RULES[code].severity == "error":
        ambiguity = engine == "sqlite" and select_from_ambiguity(example.schema, example.bad)
        assert expected_rule(engine, bad, select_from_ambiguity=ambiguity) == code, (code, engine, bad)
    else:  # a warning: the statement fails only on the generic plan
        assert [c.ok for c in custom] == [True], (code, engine, custom)
    for fixed in run(engine, example.fixed_schema or example.schema, example.fixed, request):
        assert fixed.ok, f"{code} on {engine}: the fixed example fails: {fixed.phase} {fixed.message}"


def quoted(rule: Rule, engine: str) -> list[str]:
    """The code spans of the rule's ``errors`` lines for ``engine`` (PostgreSQL's begin with the SQLSTATE)."""
    lines = [line for line in rule.errors if line.startswith(ENGINE_NAMES[engine])]
    return [span for line in lines for span in re.findall(r"`([^`]+)`", line)]


def test_semantics_maps_each_rule_to_its_refs() -> None:
    """docs/semantics.md §7 lists, per rule, the ids its object cites (a range such as ``P1-P5`` is written with an
    en dash); rules citing none are absent."""
    text = (ROOT / "docs" / "semantics.md").read_text(encoding="utf-8")
    section = text[text.index("## 7. From rules to findings"):]
    table = {}
    for code, cells in re.findall(r"^\| (SP\d{3}) [a-z-]+ \| ([^|]+) \|$", section, flags=re.M):
        table[code] = tuple(ref for cell in cells.split(", ") for ref in _expand(cell.strip()))
    assert table == {code: rule.refs for code, rule in RULES.items() if rule.refs}


def _expand(cell: str) -> list[str]:
    found = re.fullmatch(r"([PS])(\d+)\u2013[PS](\d+)", cell)
    if found is None:
        return [cell]
    return [f"{found.group(1)}{i}" for i in range(int(found.group(2)), int(found.group(3)) + 1)]
