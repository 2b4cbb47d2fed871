"""docs/rules.md, generated from the rule objects: ``python -m schema_parity.rules.docs > docs/rules.md``.

The page is the frame below (how verdicts are decided, what no checker can decide, performance) around a table of
every rule and one section per rule, each made from that rule's object. tests/test_rules_docs.py fails when the
file in the repository is not this output.
"""

from __future__ import annotations

import re
import sys

from schema_parity.rules import RULES, Example, Message, Rule
from schema_parity.rules.undecided import REASONS

RULES_DOC = "docs/rules.md"
REGENERATE = "python -m schema_parity.rules.docs > docs/rules.md"
WIDTH = 116
"""Prose is wrapped at this width; a `code span` is never broken."""

_GENERATED = (
    "<!-- Generated from schema_parity/rules/ by `" + REGENERATE + "`: edit the rule objects, not this file. -->"
)

_INTRO = """\
# Rules

Every finding schema-parity reports carries a stable code. This page lists each one: what the engine does, a failing
example, the fix, and which engines the rule applies to. Every example below was run on PostgreSQL 15 and
SQLite 3.40 (failing: the quoted error; fixed: the statement succeeds), and through the checker.
PostgreSQL messages are given with their SQLSTATE; `lc_messages = 'C'`. The page is generated from the rule objects
in `schema_parity/rules/`, and `tests/test_rules_docs.py` replays every example on both engines and the checker.

Codes never change meaning. Groups: **SP1xx** the conflict target, **SP2xx** table and column names, **SP3xx** the
inserted row, **SP5xx** engine drift (the same migrations give the two engines different keys), **SP6xx** deploy
safety (`check --deploy-from`, see [deploy.md](deploy.md)), **SP9xx** what the checker could not decide. Rule ids
such as P12 or S13 point at the verified reference in [semantics.md](semantics.md).

Try any example: put the schema in `schema.sql` and the statement in `upsert.sql`, then

<!-- exit: 0 0 1 0 -->
```console
$ cat > schema.sql <<'EOF'
CREATE TABLE t (id integer PRIMARY KEY, a integer, b integer);
CREATE UNIQUE INDEX t_a_key ON t (a);
EOF
$ cat > upsert.sql <<'EOF'
INSERT INTO t (id, a, b) VALUES (1, 1, 1) ON CONFLICT (a) DO UPDATE SET b = b + 1;
EOF
$ schema-parity check --no-config --schema-sql schema.sql --dialect postgresql upsert.sql
upsert.sql
  1:1 error SP205 [postgresql] column reference "b" is ambiguous (42702): in ON CONFLICT DO UPDATE both t (the \
existing row) and excluded (the row proposed for insertion) have a column b.
  ...
$ schema-parity check --no-config --schema-sql schema.sql --dialect sqlite upsert.sql
1 upsert site(s) in 1 file(s) checked for sqlite: 0 error(s), 0 warning(s), 0 unresolved
```

`schema-parity explain SP205` prints a rule's summary from the command line.

Each rule's section ends with its messages, the only words its findings carry: an id, the message and the hint, with
`{field}` filled in per finding (`{n:one|many}` picks a word by number), and the hint as a `pytest --schema-parity`
item says it when that names pytest's ini options instead of the command line's flags. A message without a hint is a
part that other messages of the rule take as a field (a hint chosen by the situation, a list of keys).
"""

_DECIDING = """\
## How verdicts are decided

A verdict is `error` when the engine is certain to reject the statement — while preparing it, while planning it, or
on the first row it proposes — `ok` when it accepts it (warnings may still be attached), and `unresolved` (SP901)
when the schema lacks what the rule needs. Nothing is executed: the checker reimplements the engines' own decision
procedures against the Catalog built from the migrations.

**PostgreSQL** (`schema_parity/verdicts/postgresql.py`) follows the engine's phases in order. The grammar
(`gram.y`: one ON CONFLICT clause, no `()`, no qualified target column, a target element that is an expression
other than a function call in parentheses); parse analysis (`transformOnConflictClause`:
the table through the search path with PostgreSQL's identifier folding, every column of the target, the target
WHERE, DO UPDATE SET and WHERE with the table — or its alias — and `excluded` in scope, ON CONSTRAINT lookup,
ASC/DESC and NULLS refused); then the planner's `infer_arbiter_indexes`: every valid unique index whose set of key
columns equals the target's set of plain columns, whose expressions are `equal()` to the target's expressions after
parse analysis (parentheses, identifier case, no-op casts removed, constants typed as the operators coerce them:
`a + '1'` is `a + 1` on an integer column), whose collation/opclass satisfy those written in the target, and whose
partial-index predicate is *implied* by the target WHERE (a port of `predtest.c`'s `predicate_implied_by`: AND/OR
structure, commuted comparisons, btree range implication between constants of one operator family — `n > 5` and
`n > 5.5` on a numeric column, `a > 5` and `a > 5::bigint` on an integer one — `IN` lists and `ANY`/`ALL` arrays,
NOT pushed down, `x = true` simplification, `x IS NOT NULL` implied by strict operators on `x`). **All** indexes
that pass are arbiters. Finally the executor's `ExecCheckIndexConstraints`: a DEFERRABLE arbiter fails on the first
proposed row.

**SQLite** (`schema_parity/verdicts/sqlite.py`) follows `sqlite3UpsertAnalyzeTarget` (`src/upsert.c`): the rowid
shortcut (a single term naming the INTEGER PRIMARY KEY or rowid), then for each unique index a *structural* match:
exactly one term per index column (`ON CONFLICT (a, a)` fails), each index column matched by a term with
`sqlite3ExprCompare` on SQLite's own parse trees (a small parser following `parse.y`, so `NOT (b IS NULL)` and
`b IS NOT NULL` differ as they do in SQLite), collation compared, and the index WHERE equal to the target WHERE
token for token. DO UPDATE SET/WHERE names are resolved only for clauses SQLite generates code for: no rowid check
is generated when the INSERT leaves the rowid out, so a DO UPDATE that only the INTEGER PRIMARY KEY would run is
never resolved.

Both are checked continuously against the real engines: the 182 verified cases of the specification
(`tests/test_verdicts_conformance.py`), tables of partial-index predicates and expression keys against targets
written every way (`tests/test_engine_tables_postgresql.py`, `tests/test_engine_tables_sqlite.py`, about 3000 rows
per engine, each answered by the engine itself), and Hypothesis-generated schemas and statements
(`tests/test_differential.py`; `SCHEMA_PARITY_EXPLORE=3000 python -m pytest tests/test_differential.py -p \
no:benchmark`
draws 3000 fresh examples per engine).

## What is not decidable statically

These failures depend on the data, not on the schema and the statement, so no checker can report them:

- **21000** `ON CONFLICT DO UPDATE command cannot affect row a second time` — the same key twice in one
  `INSERT ... DO UPDATE` (two VALUES rows, or a SELECT with duplicates). SQLite allows it and updates twice. SP302
  reports it when the rows are literals, and the run-time capture ([capture.md](capture.md)) when a test ran it.
- **23505** `duplicate key value violates unique constraint "t_b_key"` — a conflict on a unique key that is *not* an
  arbiter of the statement (SQLite: `UNIQUE constraint failed: t.b`). `ON CONFLICT DO NOTHING` without a target
  makes every unique key an arbiter.
- **23502** for an explicit `NULL` (or a NULL-valued parameter) in a NOT NULL column: ON CONFLICT never handles
  NOT NULL violations. SP301 reports only the certain case, a NOT NULL column without default missing from the
  column list.
- Whether an `INSERT ... SELECT` proposes any row: with zero rows a DEFERRABLE arbiter (SP110) or a missing NOT NULL
  column (SP301) does not fail.
- `DO UPDATE ... WHERE` that is false for the existing row: the row is skipped silently.

Also not modelled (left `ok`, never guessed as errors): subqueries in DO UPDATE whose FROM items have columns the
checker cannot know (functions, VALUES, LATERAL, column-alias lists, tables outside the Catalog); errors that are
not about upserts (type mismatches; on PostgreSQL, aggregates in the target or SET, which SP207 reports on SQLite;
on SQLite, functions in VALUES and inside a DO UPDATE subquery, and functions sqlglot reads into a class of its own,
such as `greatest`).
"""

_PERFORMANCE = """\
## Performance

`python benchmarks/check.py` times the checker against N tables (each with a PRIMARY KEY, a UNIQUE constraint and a
partial unique index) and N statements that hit each key or miss, next to the real engines loading the same DDL
(PostgreSQL into a throw-away database the script creates and drops) and running `EXPLAIN` on every statement.
`sp catalog` is the DDL replay into a Catalog, `sp check` parse + judge; `ratio` is schema-parity's total over the
engine's; `agree` counts statements with the same verdict.

<!-- illustrative: a benchmark (minutes of machine time, a PostgreSQL server); it prints the table below -->
```console
$ python benchmarks/check.py
    N  dialect    sp catalog  sp check  sp total  engine DDL  EXPLAIN eng total   ratio  agree
----------------------------------------------------------------------------------------------
  100  postgresql      0.06s     0.06s     0.12s       0.81s    0.02s     0.83s   0.15x  100/100
  100  sqlite          0.05s     0.05s     0.10s       0.01s    0.00s     0.01s   9.45x  100/100
 1000  postgresql      0.56s     0.48s     1.04s       6.14s    0.26s     6.41s   0.16x  1000/1000
 1000  sqlite          0.48s     0.46s     0.93s       0.20s    0.04s     0.24s   3.93x  1000/1000
 5000  postgresql      3.33s     2.52s     5.85s      19.15s    1.20s    20.35s   0.29x  5000/5000
 5000  sqlite          2.59s     2.71s     5.31s       4.32s    0.19s     4.51s   1.18x  5000/5000
```

Measured on the development container (PostgreSQL 15.20 on the same host, SQLite 3.40.1, Python 3.11). Both the
DDL replay and the judging are linear — about 0.5 ms per statement per dialect — and every verdict agreed with the
engine. Against PostgreSQL the whole check takes 0.15\u20130.3 of the time the server needs just to load the schema and
plan the statements. SQLite's in-process EXPLAIN is faster on small schemas, but it answers only for SQLite and only
after the migrations have run; the checker answers for both engines from the migrations alone.
`--sizes 100 1000` and `--no-postgres` shorten the run.
"""

_COMMENT = {"sql": "--", "python": "#"}
#: fenced languages tests/test_docs_examples.py would execute: rules.md's examples in them carry this marker
_RUNNABLE = {"python", "console", "bash", "sh"}
_TESTED_BY = "<!-- tested-by: tests/test_rules_docs.py::test_docs_example_fails_and_its_fix_passes_on_the_checker -->\n"


def render_docs() -> str:
    """The whole of docs/rules.md."""
    rules = sorted(RULES.values(), key=lambda r: r.code)
    parts = [_GENERATED, _INTRO, _table(rules), _DECIDING, *(_section(rule) for rule in rules), _PERFORMANCE]
    return "\n\n".join(part.strip("\n") for part in parts) + "\n"


def _table(rules: list[Rule]) -> str:
    rows = ["| code | name | severity | PostgreSQL | SQLite |", "|---|---|---|---|---|"]
    rows += [
        f"| [{r.code}](#{r.anchor}) | {r.name} | {r.severity} | {r.applies[0]} | {r.applies[1]} |" for r in rules
    ]
    return "\n".join(rows)


def _section(rule: Rule) -> str:
    out = [f"## {rule.code} {rule.name}", *(_wrap(p) for p in rule.description.split("\n\n"))]
    if rule.errors:
        out.append("\n".join(_wrap(error, first="- ", rest="  ") for error in rule.errors))
    for language in dict.fromkeys(example.language for example in rule.doc_examples):
        examples = [_example(e) for e in rule.doc_examples if e.language == language]
        # the examples are run by tests/test_rules_docs.py; the marker tells tests/test_docs_examples.py so
        marker = _TESTED_BY if language in _RUNNABLE else ""
        out.append(marker + f"```{language}\n" + "\n\n".join(examples) + "\n```")
    if rule.messages:
        out.append("Messages:\n\n```text\n" + "\n".join(_message(m) for m in rule.messages) + "\n```")
    if rule.code == "SP901":
        out.append(_reasons())
    return "\n\n".join(out)


def _reasons() -> str:
    """SP901's registered reasons: a site's (``Site.reason``), then SQLite's comparison's and PostgreSQL's
    (``Reason.engine``)."""
    site = [entry for entry in REASONS.values() if entry.engine is None]
    sqlite = [entry for entry in REASONS.values() if entry.engine == "sqlite"]
    postgresql = [entry for entry in REASONS.values() if entry.engine == "postgresql"]
    lines = ["Reasons a site cannot be read (`Site.reason` holds the key; `{field}` is filled per site):", ""]
    lines += [_wrap(f"`{e.key}`: {e.text} \u2014 {e.why}", first="- ", rest="  ") for e in site]
    lines += ["", "Reasons SQLite's comparison of the target cannot be made (the `sqlite-unsupported` message):", ""]
    lines += [_wrap(f"`{e.key}`: {e.text} \u2014 {e.why}", first="- ", rest="  ") for e in sqlite]
    lines += ["", "Reasons PostgreSQL's verdict cannot name the engine's first error:", ""]
    lines += [_wrap(f"`{e.key}`: {e.text} \u2014 {e.why}", first="- ", rest="  ") for e in postgresql]
    return "\n".join(lines)


def _message(message: Message) -> str:
    """A message template as its findings show it: the id, the message, the hint (``{field}`` filled per finding)."""
    lines = [message.id, f"  {message.text}"]
    if message.hint:
        lines.append(f"  hint: {message.hint}")
    if message.pytest_hint:
        lines.append(f"  hint in pytest: {message.pytest_hint}")
    return "\n".join(lines)


def _example(example: Example) -> str:
    """``-- fails`` before the schema when the fix changes the schema too, after it when only the statement changes."""
    comment = _COMMENT[example.language]
    fails = f"{comment} fails" + (f" {example.fails}" if example.fails else "")
    fixed = f"{comment} fixed" + (f": {example.fix}" if example.fix else "")
    schema = (example.schema or "").rstrip("\n")
    if example.fixed_schema:
        lines = [fails, schema, example.bad, fixed, example.fixed_schema.rstrip("\n"), example.fixed]
    else:
        lines = [schema, fails, example.bad, fixed, example.fixed]
    return "\n".join(line for line in lines if line)


def _wrap(text: str, first: str = "", rest: str = "") -> str:
    """Greedy wrapping of Markdown prose at WIDTH, keeping each `code span` (with what sticks to it) whole."""
    lines: list[str] = []
    words: list[str] = []
    prefix = first
    for word in re.findall(r"(?:`[^`]*`|[^\s`])+", text):
        if words and len(prefix) + len(" ".join([*words, word])) > WIDTH:
            lines.append(prefix + " ".join(words))
            words, prefix = [], rest
        words.append(word)
    lines.append(prefix + " ".join(words))
    return "\n".join(lines)


def main() -> int:
    """Print docs/rules.md (redirect it into the file)."""
    sys.stdout.write(render_docs())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
