"""The rules' examples (``schema-parity explain CODE``) run on the real engines, not only through the checker.

For every rule whose example has a schema (``Rule.example``, schema_parity/rules/): on each engine the page says the
failing example fails on (``dialects``), it fails there with the rule's error, as the page describes it (the
SQLSTATEs and quoted messages in the page's text for that engine), and the fixed example (against ``fixed_schema``
when the fix is a migration) succeeds. On the other engine, the page states what happens (it accepts the statement,
fails with another rule, or cannot express the schema), and that is asserted too (``OTHER_ENGINE``).

A statement with ``$1`` placeholders runs as a prepared statement on PostgreSQL, once on a custom plan and once on
the generic plan a driver switches to after five executions (SP111's subject).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from schema_parity.rules import RULES, Rule
from tests.engines import EngineResult, expected_rule, pg_scratch, sqlite_scratch

ENGINES = ("postgresql", "sqlite")


@dataclass(frozen=True)
class Claim:
    """What a page says an engine outside its ``dialects`` does with the failing example."""

    outcome: str
    """``accepts``, a rule code (fails with that rule's error), ``refuses`` (fails with the SQLSTATE of ``words``, an
    error the checker does not report on that engine yet), or ``schema`` (the page's schema is not its SQL)."""
    words: str
    """The page's words that say so (they must be in the page's text for that engine)."""


OTHER_ENGINE: dict[tuple[str, str], Claim] = {
    ("SP102", "sqlite"): Claim("accepts", "Accepts a target-less DO UPDATE"),
    ("SP103", "sqlite"): Claim("accepts", "Accepts ASC/DESC"),
    ("SP104", "postgresql"): Claim("accepts", "Has ON CONFLICT ON CONSTRAINT"),
    ("SP105", "postgresql"): Claim("accepts", "as intended"),
    ("SP106", "sqlite"): Claim("SP104", "no whole-row references"),
    ("SP107", "sqlite"): Claim("SP104", "Has no ON CONSTRAINT at all (SP104)"),
    ("SP108", "sqlite"): Claim("SP104", "Has no ON CONSTRAINT at all (SP104)"),
    ("SP109", "sqlite"): Claim("schema", "Has no exclusion constraints"),
    ("SP110", "sqlite"): Claim("schema", "Unique constraints are never deferrable"),
    ("SP111", "sqlite"): Claim("SP101", "a parameter never matches"),
    ("SP112", "sqlite"): Claim("schema", "Has no rules"),
    ("SP204", "postgresql"): Claim("accepts", "judged through their base table"),
    ("SP205", "sqlite"): Claim("accepts", "Resolves an unqualified name"),
    ("SP206", "sqlite"): Claim("accepts", "Accepts IS TRUE/FALSE on any value"),
    ("SP207", "postgresql"): Claim("refuses", "42803"),
    ("SP302", "sqlite"): Claim("accepts", "rows are applied one after another"),
}
#: Pages without a schema: their examples are not an engine's (a Python call, unparsable text, a suppression, a
#: --verify disagreement, a migration: SP5xx's run on both engines in tests/test_engine_drift.py, SP6xx's deploys in
#: tests/test_deploy.py).
NOT_ENGINE_EXAMPLES = {"SP501", "SP502", "SP601", "SP602", "SP603", "SP901", "SP902", "SP903", "SP904", "SP905"}


def statements(script: str) -> list[str]:
    """The statements of a page's schema, one per ``;`` at a line end."""
    return [s.strip() for s in re.split(r";\s*\n", script) if s.strip()]


def run(engine: str, schema: str, statement: str, request: pytest.FixtureRequest) -> Iterator[EngineResult]:
    """The engine's answers to ``statement`` against ``schema``: one, or for ``$n`` placeholders on PostgreSQL the
    custom plan's then the generic plan's."""
    statement = statement.strip().rstrip(";")
    if engine == "sqlite":
        with sqlite_scratch(statements(schema)) as scratch:
            yield scratch.run(statement)
        return
    with pg_scratch(request.getfixturevalue("pg_cases_engine"), statements(schema)) as scratch:
        parameters = len(set(re.findall(r"\$\d+", statement)))
        if parameters:
            yield scratch.run_prepared(statement, parameters, generic=False)
            yield scratch.run_prepared(statement, parameters, generic=True)
        else:
            yield scratch.run(statement)


def described(page: Rule, engine: str, result: EngineResult) -> str | None:
    """Why ``result`` is not the error the page's text describes for ``engine``, or None when it is.

    The description is the SQLSTATEs the text names (one must be the engine's) and the messages it quotes (one must
    match, ``...`` standing for any text); a quoted piece of the example's own SQL is not a message.
    """
    text = getattr(page, engine)
    codes = re.findall(r"\b[0-9][0-9A-Z]{4}\b", text)
    messages = [m for m in re.findall(r"'([^']+)'", text) if m not in page.example.bad]
    if codes and result.code not in codes:
        return f"SQLSTATE {result.code}, the page names {codes}"
    patterns = [".*".join(re.escape(part.strip()) for part in m.split("...")) for m in messages]
    if patterns and not any(re.search(p, result.message or "") for p in patterns):
        return f"message {result.message!r}, the page quotes {messages}"
    return None


def select_from_ambiguity(schema: str, statement: str) -> bool:
    """Whether SQLite's syntax error in INSERT ... SELECT ... FROM ... ON CONFLICT goes away with WHERE true (S13)."""
    if not re.search(r"\bSELECT\b.*\bFROM\b", statement, re.S | re.I):
        return False
    ended = re.sub(r"\s+ON CONFLICT", " WHERE true ON CONFLICT", statement, count=1)
    with sqlite_scratch(statements(schema)) as scratch:
        return scratch.run(ended.rstrip().rstrip(";")).ok


def _params() -> Iterator[object]:
    for code, page in sorted(RULES.items()):
        if page.example.schema is None:
            continue
        for engine in ENGINES:
            marks = [pytest.mark.postgres] if engine == "postgresql" else []
            yield pytest.param(code, engine, id=f"{code}-{engine}", marks=marks)


@pytest.mark.parametrize(("code", "engine"), list(_params()))
def test_failing_example_fails_and_fixed_example_passes_as_the_page_says(
    code: str, engine: str, request: pytest.FixtureRequest
) -> None:
    page = RULES[code]
    example = page.example
    assert example.schema is not None
    if engine in example.dialects:
        *custom, bad = run(engine, example.schema, example.bad, request)
        assert not bad.ok, f"{code} on {engine}: the failing example succeeds"
        assert bad.ddl_ok, f"{code} on {engine}: the page's schema fails: {bad.message}"
        assert described(page, engine, bad) is None, f"{code} on {engine}: {described(page, engine, bad)}"
        if RULES[code].severity == "error":
            ambiguity = engine == "sqlite" and select_from_ambiguity(example.schema, example.bad)
            assert expected_rule(engine, bad, select_from_ambiguity=ambiguity) == code, (code, engine, bad)
        else:  # a warning: the statement fails only on the generic plan, a custom plan succeeds
            assert [c.ok for c in custom] == [True], (code, engine, custom)
        for fixed in run(engine, example.fixed_schema or example.schema, example.fixed, request):
            assert fixed.ok, f"{code} on {engine}: the fixed example fails: {fixed.phase} {fixed.message}"
        return
    claim = OTHER_ENGINE[(code, engine)]
    results = list(run(engine, example.schema, example.bad, request))
    if claim.outcome == "schema":
        assert not results[-1].ddl_ok, f"{code}: the page's schema runs on {engine}"
    elif claim.outcome == "refuses":
        assert not results[-1].ok and results[-1].ddl_ok and results[-1].code == claim.words, (code, engine, results)
    elif claim.outcome == "accepts":
        assert all(r.ok for r in results), f"{code} on {engine}: {[(r.phase, r.message) for r in results]}"
    else:
        assert not results[-1].ok and results[-1].ddl_ok, (code, engine, results)
        assert expected_rule(engine, results[-1]) == claim.outcome, (code, engine, results[-1])


def test_every_page_says_what_the_other_engine_does() -> None:
    """A page with a schema that fails on one engine states the other engine's behaviour, in the words claimed."""
    expected = {(code, engine) for code, rule in RULES.items() if rule.example.schema is not None
                for engine in ENGINES if engine not in rule.example.dialects}
    assert set(OTHER_ENGINE) == expected
    for (code, engine), claim in OTHER_ENGINE.items():
        assert claim.words in getattr(RULES[code], engine), (code, engine, claim.words)
    assert {code for code, rule in RULES.items() if rule.example.schema is None} == NOT_ENGINE_EXAMPLES

