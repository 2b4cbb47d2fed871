"""What a rule is: one object holding everything said about one finding code.

The code, name, severity and summary (``schema-parity rules``), the docs/semantics.md ids it rests on, what each
engine does and an example (``schema-parity explain``), the prose, error messages and examples of its section of
docs/rules.md, which is generated from these objects (``python -m schema_parity.rules.docs``), and the templates of
the message and hint its findings carry (``Rule.say``), so no finding's words are written anywhere else.
"""

from __future__ import annotations

import functools
import string
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

from schema_parity.catalog import DIALECTS, Dialect

Severity = Literal["error", "warning", "info"]
Audience = Literal["cli", "pytest"]
"""Who reads a finding's advice: ``schema-parity check`` (its flags) or pytest (its ini options and the
``[tool.schema-parity]`` keys it reads)."""


@dataclass(frozen=True)
class Example:
    """``bad`` fails and ``fixed`` passes against ``schema`` (``fixed_schema`` when the fix is a migration) on each
    of ``dialects``; the tests run examples with a schema through the checker, so a rule cannot claim a failure the
    checker does not report.

    ``fails`` and ``fix`` are the words docs/rules.md writes after ``-- fails`` and ``-- fixed:`` (on which engine it
    fails, what the fix does).
    """

    bad: str
    fixed: str
    schema: str | None = None
    fixed_schema: str | None = None
    dialects: tuple[Dialect, ...] = DIALECTS
    language: str = "sql"
    fails: str = ""
    fix: str = ""


class _Formatter(string.Formatter):
    """``str.format`` plus one spec for grammatical number: ``{n:is|are}`` is ``is`` when ``n == 1``, else ``are``."""

    def format_field(self, value: Any, format_spec: str) -> str:
        if "|" in format_spec:
            one, many = format_spec.split("|", 1)
            return one if value == 1 else many
        return format(value, format_spec)


_FORMATTER = _Formatter()


def _render(template: str, fields: dict[str, object]) -> str:
    """``template`` formatted; one without a brace is its own text (the pure-Python formatter costs some
    microseconds even then, at every finding)."""
    if "{" not in template and "}" not in template:
        return template
    # Without a ``{n:one|many}`` field the subclass changes nothing: ``str.format`` gives the same text, in C.
    return template.format(**fields) if _plain(template) else _FORMATTER.format(template, **fields)


@functools.cache  # the templates are a fixed set
def _plain(template: str) -> bool:
    """Whether ``template`` has no ``{n:one|many}`` field."""
    return not any("|" in spec for _, _, spec, _ in _FORMATTER.parse(template) if spec)


def _fields(template: str) -> frozenset[str]:
    return frozenset(field for _, field, _, _ in _FORMATTER.parse(template) if field is not None)


@dataclass(frozen=True)
class Message:
    """One wording of a rule's finding: ``text`` and ``hint`` are ``str.format`` templates over named fields (plus
    ``{n:one|many}`` for grammatical number). ``id`` is what emission sites name (``Rule.say``); a rule has one
    message per distinct situation (SP104: one per syntax error), which docs/rules.md lists. ``pytest_hint`` is the
    hint as pytest says it, when ``hint`` names command-line flags: pytest's ini options and the configuration keys
    instead."""

    id: str
    text: str
    hint: str = ""
    pytest_hint: str = ""

    @functools.cached_property  # asked at every finding: the templates are parsed once
    def fields(self) -> frozenset[str]:
        """The names the templates take; ``Rule.say`` must be given exactly these."""
        return _fields(self.text) | _fields(self.hint) | _fields(self.pytest_hint)


class Said(NamedTuple):
    """A rendered message: the finding's ``message`` and ``hint``, and the hint inside pytest when it differs."""

    message: str
    hint: str
    pytest_hint: str = ""


@dataclass(frozen=True)
class Rule:
    """A registered rule: ``code`` and ``name`` are stable, ``summary`` is one line for listings.

    ``postgresql``/``sqlite`` say what each engine does with ``example`` (the ``explain`` page; the tests run it on
    both engines). ``applies`` is the rules table's PostgreSQL and SQLite cells; ``description``, ``errors`` (the
    engines' messages, Markdown), ``doc_examples`` and ``messages`` make the rule's section of docs/rules.md.
    ``messages`` are the only words its findings carry (tests/test_rule_messages.py holds every emission site to
    them).
    """

    code: str
    name: str
    severity: Severity
    summary: str
    postgresql: str
    sqlite: str
    example: Example
    applies: tuple[str, str]
    description: str
    refs: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    doc_examples: tuple[Example, ...] = ()
    messages: tuple[Message, ...] = ()

    def message(self, id: str) -> Message:
        """The message template ``id`` (KeyError for an unknown id, so a typo fails in the tests)."""
        found = next((m for m in self.messages if m.id == id), None)
        if found is None:
            raise KeyError(f"{self.code} has no message {id!r}")
        return found

    def say(self, id: str, **fields: object) -> Said:
        """Message ``id`` rendered with ``fields`` (every field its templates take; a site choosing between messages
        may pass the fields of all of them)."""
        template = self.message(id)
        missing = template.fields - fields.keys()
        if missing:
            raise TypeError(f"{self.code} {id}: missing field(s) {', '.join(sorted(missing))}")
        return Said(
            _render(template.text, fields), _render(template.hint, fields), _render(template.pytest_hint, fields)
        )

    def text(self, id: str, **fields: object) -> str:
        """Message ``id``'s text alone: a part of another message (a hint chosen by the site, a list's entry)."""
        return self.say(id, **fields).message

    @property
    def anchor(self) -> str:
        """The docs/rules.md heading anchor, ``## SP101 no-matching-key`` -> ``sp101-no-matching-key``."""
        return f"{self.code.lower()}-{self.name}"
