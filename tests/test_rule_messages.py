"""A finding's words live in its rule (``Rule.messages``, schema_parity/rules/), nowhere else.

The package's source is read as Python (``ast``): every place that makes a finding (``Problem``, ``Finding``,
``Drift``, ``Verdict.unresolved``) or renders a rule's template (``Problem.of``, ``rule.say``, ``rule.text``) must pass
no words of its own — only the rule code, the template's id and data fields (names, keys, SQL). Every template must
be used by some site, and every id a site names must exist in its rule, so neither dead templates nor typos survive.
Both walks are also run on small snippets below, so a test that cannot fail would show here.

Not covered yet, because they reach the SP901 ``{reason}`` template as data: why the scanner could not rebuild a
statement (``Site.unresolved``, the SQLAlchemy scanner's ``Unresolved``), why a Catalog is unavailable, and the
``_Unsupported``/``_SyntaxError`` texts of SQLite's expression reader. Why a file was not scanned (``ScanProblem``,
``UnreadableFile``, SP903) is covered.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from schema_parity.rules import RULES, Message, Rule, rule_for
from schema_parity.verdicts import Problem

PACKAGE = Path(__file__).resolve().parents[1] / "schema_parity"
RULES_PACKAGE = PACKAGE / "rules"

FINDING_MAKERS = {"Problem": (1, 2), "Drift": (1, 2), "Finding": (7, 8), "ScanProblem": (2,), "UnreadableFile": (0,)}
"""Constructors of findings, with the positions of their message and hint arguments."""
TEMPLATE_METHODS = ("say", "text")


def _has_words(node: ast.AST) -> bool:
    """A string literal (or f-string part) with a letter in it under ``node``: wording, not a separator. A template
    call inside (a hint rendered from the rule) is checked on its own: its id is no wording."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and any(c.isalpha() for c in node.value)
    if isinstance(node, ast.Call) and _is_template_call(node):
        return False
    return any(_has_words(child) for child in ast.iter_child_nodes(node))


def _callee(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _is_template_call(call: ast.Call) -> bool:
    """``Problem.of(code, id, ...)`` or ``<rule>.say(id, ...)`` / ``<rule>.text(id, ...)`` naming a template id."""
    func = call.func
    if not isinstance(func, ast.Attribute):
        return False
    if func.attr == "of" and isinstance(func.value, ast.Name) and func.value.id == "Problem":
        return True
    return func.attr in TEMPLATE_METHODS and bool(call.args) and bool(_strings(call.args[0], {}) & ALL_IDS)


ALL_IDS = {message.id for rule in RULES.values() for message in rule.messages}


def words_at_emission_sites(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """(line, what) for each emission site of ``tree`` that passes words of its own."""
    for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
        name = _callee(call)
        if name in FINDING_MAKERS and not (isinstance(call.func, ast.Attribute) and call.func.attr == "of"):
            positions = FINDING_MAKERS[name]
            given = [a for i, a in enumerate(call.args) if i in positions]
            given += [k.value for k in call.keywords if k.arg in ("message", "hint", "pytest_hint")]
            if any(_has_words(a) for a in given):
                yield call.lineno, f"{name}(...) with message text"
        elif name == "unresolved" and any(_has_words(a) for a in call.args[1:]):
            yield call.lineno, "Verdict.unresolved(...) with message text"
        elif _is_template_call(call) and any(_has_words(k.value) for k in call.keywords):
            yield call.lineno, f"{name}(...) with words in a field"


def _strings(node: ast.AST, names: dict[str, set[str]]) -> set[str]:
    """The string values ``node`` can have: a literal, either branch of ``a if c else b``, a known name."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _strings(node.body, names) | _strings(node.orelse, names)
    if isinstance(node, ast.Name):
        return names.get(node.id, set())
    return set()


def _assignments(scope: ast.AST, names: dict[str, set[str]], rules: dict[str, set[str]]) -> None:
    """What each name of ``scope`` can hold: strings in ``names``, rule codes (``x = rule_for(...)``) in ``rules``."""
    for node in ast.walk(scope):
        if not isinstance(node, (ast.Assign, ast.AnnAssign)) or node.value is None:
            continue
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in targets:
            pairs = (
                list(zip(target.elts, node.value.elts, strict=False))
                if isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple)
                else [(target, node.value)]
            )
            for name, value in pairs:
                if not isinstance(name, ast.Name):
                    continue
                if isinstance(value, ast.Call) and _callee(value) == "rule_for" and value.args:
                    rules.setdefault(name.id, set()).update(_strings(value.args[0], names))
                elif isinstance(value, ast.Name) and value.id in rules:
                    rules.setdefault(name.id, set()).update(rules[value.id])
                else:
                    names.setdefault(name.id, set()).update(_strings(value, names))


def _rule_codes(receiver: ast.AST, names: dict[str, set[str]], rules: dict[str, set[str]]) -> set[str]:
    if isinstance(receiver, ast.Call) and _callee(receiver) == "rule_for" and receiver.args:
        return _strings(receiver.args[0], names)
    if isinstance(receiver, ast.Name):
        return rules.get(receiver.id, set())
    return set()


def used_templates(tree: ast.Module) -> Iterator[tuple[int, set[str], set[str]]]:
    """(line, the rule codes it may be, the template ids it may name) for each template call of ``tree``."""
    module_names: dict[str, set[str]] = {}
    module_rules: dict[str, set[str]] = {}
    for statement in tree.body:
        if not isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            _assignments(statement, module_names, module_rules)
    scopes = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    for scope in scopes:
        names = {k: set(v) for k, v in module_names.items()}
        rules = {k: set(v) for k, v in module_rules.items()}
        _assignments(scope, names, rules)
        for call in (n for n in ast.walk(scope) if isinstance(n, ast.Call) and _is_template_call(n)):
            func = call.func
            assert isinstance(func, ast.Attribute)
            if func.attr == "of":
                yield call.lineno, _strings(call.args[0], names), _strings(call.args[1], names)
            else:
                yield call.lineno, _rule_codes(func.value, names, rules), _strings(call.args[0], names)


def _package_trees() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        if RULES_PACKAGE not in path.parents:
            yield str(path.relative_to(PACKAGE.parent)), ast.parse(path.read_text(encoding="utf-8"))


TREES = list(_package_trees())


def unused(rules: dict[str, Rule], uses: list[tuple[str, int, set[str], set[str]]]) -> list[str]:
    """``CODE id`` of every template no site uses."""
    used = {(code, message) for _, _, codes, messages in uses for code in codes for message in messages}
    return [
        f"{rule.code} {message.id}" for rule in rules.values() for message in rule.messages
        if (rule.code, message.id) not in used
    ]


def _all_uses() -> list[tuple[str, int, set[str], set[str]]]:
    return [(path, line, codes, ids) for path, tree in TREES for line, codes, ids in used_templates(tree)]


def test_no_emission_site_writes_message_text() -> None:
    found = [f"{path}:{line}: {what}" for path, tree in TREES for line, what in words_at_emission_sites(tree)]
    assert not found, "message text belongs in the rule's messages (schema_parity/rules/):\n" + "\n".join(found)


def test_every_template_call_names_a_template_of_its_rule() -> None:
    uses = _all_uses()
    assert len(uses) > 80, "the walk lost the package's template calls"
    unknown = []
    for path, line, codes, ids in uses:
        if not codes or not ids:
            unknown.append(f"{path}:{line}: the rule or the template id is not a literal the test can read")
            continue
        for code in codes:
            missing = ids - {m.id for m in RULES[code].messages} if code in RULES else ids
            if missing and (len(codes) == 1 or missing == ids):
                unknown.append(f"{path}:{line}: {code} has no message {', '.join(sorted(missing))}")
    assert not unknown, "\n".join(unknown)


def test_every_template_is_used() -> None:
    dead = unused(RULES, _all_uses())
    assert not dead, "messages no site uses (remove them, or use them):\n" + "\n".join(dead)


def test_the_walks_catch_what_they_are_for() -> None:
    """Each walk reports a snippet that breaks its rule, so the tests above can fail."""
    source = (
        "def f(rule, x):\n"
        '    yield Problem("SP101", f"no key on {x}", "")\n'
        '    yield Problem.of("SP101", "no-keys", table="the table")\n'
        '    yield Finding("SP101", "error", "p", 1, 1, None, None, message=x, hint="Fix it.")\n'
        '    yield Verdict.unresolved("sqlite", Problem("SP901", "because"))\n'
        '    yield Problem("SP101", x, ", ")\n'
        '    yield ScanProblem("a.py", 0, f"cannot read {x}")\n'
        '    yield ScanProblem("a.py", 0, rule_for("SP903").text("not-utf8", error=x))\n'
        '    yield Finding("SP101", "error", "p", 1, 1, (), None, x, "", pytest_hint="Set the ini option.")\n'
    )
    found = list(words_at_emission_sites(ast.parse(source)))
    assert sorted(line for line, _ in found) == [2, 3, 4, 5, 5, 7, 9], found
    used = [("x.py", 1, codes, ids) for _, codes, ids in used_templates(ast.parse(
        "SP = 'SP107'\n"
        "def f(flag):\n"
        "    rule, other = rule_for(SP), None\n"
        "    rule.say('unique-index' if flag else 'spelled')\n"
        "    Problem.of('SP107', 'no-such-constraint')\n"
    ))]
    assert unused({"SP107": RULES["SP107"]}, used) == ["SP107 hint-usable", "SP107 hint-none-usable"]


def test_messages_are_well_formed() -> None:
    for rule in RULES.values():
        ids = [m.id for m in rule.messages]
        assert len(ids) == len(set(ids)), f"{rule.code}: two messages with one id"
        for message in rule.messages:
            assert message.id.replace("-", "").isalnum() and message.id == message.id.lower(), message.id
            rendered = rule.say(message.id, **dict.fromkeys(message.fields, 2))
            assert "{" not in rendered.message + rendered.hint, f"{rule.code} {message.id}: an unfilled field"


def test_a_message_needs_its_fields_and_fills_them() -> None:
    with pytest.raises(TypeError, match="missing field"):
        Problem.of("SP104", "several-clauses")
    with pytest.raises(KeyError, match="no message"):
        rule_for("SP104").say("no-such-message")
    problem = Problem.of("SP301", "default-values", table="t", columns="a", count=1, name="t", column="a")
    assert "which is NOT NULL" in problem.message and "give it a server default" in problem.hint
    many = rule_for("SP301").say("default-values", table="t", columns="a, b", count=2, name="t", column="a")
    assert "which are NOT NULL" in many.message and "give them a server default" in many.hint
    assert Message("x", "{n!r} {n:one|many}").fields == frozenset({"n"})
