"""The readers that stay outside ``schema_parity/sql/`` (docs/development.md, "SQL readers"), measured.

    python .ci/reader_moves.py [--base REV] [--generated 50] [--scripts 500] [--seed 12]

Two comparisons over the reader-parity corpus (``.ci/reader_parity.py``'s ``build_corpus``):

* SQLite's expression parser of ``--base`` (read with ``git show``) against this tree's, on every target element,
  target WHERE and short string of the corpus and on generated CAST forms: trees or errors, and time;
* the row planner's VALUES splitter (``rows.values_rows``, on the shared tokens: ``closing``, ``top_level``)
  against the same split by a lexer of its own (one regular expression of PostgreSQL's lexical grammar; written
  below, not in the package), on the corpus statements that parse as one upsert with PostgreSQL's rules (what
  ``RowPlan.of`` reads): rows or None, and time.

Differences are printed (the first 50) and counted; timings are medians of seven alternating passes.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import itertools
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHOW = 50
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / ".ci"))

from schema_parity.sql.tokens import mask_placeholders  # noqa: E402


def lexer_values_rows(statement: str) -> list[list[str]] | None:
    """``rows.values_rows`` with a lexer of its own (one regular expression of PostgreSQL's lexical grammar): the
    candidate that was measured against the shared tokens."""
    masked, _count = mask_placeholders(statement)
    pieces = _top_level(masked)
    if not any(kind == "word" and _is(masked, at, "VALUES") for kind, at, _end in pieces):
        return None
    rows: list[list[str]] = []
    depth = 0
    start = 0
    row: list[str] = []
    for kind, at, end in pieces:
        if kind == "(":
            depth += 1
            if depth == 1:
                start, row = end, []
        elif kind == ")":
            depth -= 1
            if depth == 0:
                row.append(statement[start:at])
                rows.append(row)
            elif depth < 0:
                return None
        elif kind == "," and depth == 1:
            row.append(statement[start:at])
            start = end
        elif depth == 0 and kind != ",":
            following = next(pieces, ("end", 0, 0))
            conflict = kind == following[0] == "word" and _is(masked, at, "ON")
            conflict = conflict and _is(masked, following[1], "CONFLICT")
            # anything but rows between VALUES and ON CONFLICT: not a plain VALUES list
            return rows if rows and conflict else None
    return None


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")
#: One piece of PostgreSQL's lexical grammar at a time (an unterminated string or name runs to the end).
_PIECE = re.compile(
    r"""(?P<space>\s+)
    |(?P<line>--[^\n]*)
    |(?P<block>/\*)
    |(?P<punct>[(),])
    |(?P<escaped>[eE]'(?:[^'\\]|\\.|'')*'?)
    |(?P<string>'(?:[^']|'')*'?)
    |(?P<name>"(?:[^"]|"")*"?)
    |(?P<dollar>\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$)
    |(?P<word>[A-Za-z_][A-Za-z0-9_$]*)
    |(?P<other>.)""",
    re.VERBOSE | re.DOTALL,
)


def _is(text: str, at: int, word: str) -> bool:
    """Whether the word at ``at`` is ``word`` (ASCII letters in any case: the only ones PostgreSQL folds)."""
    match = _WORD.match(text, at)
    return match is not None and match.group(0).upper() == word


def _top_level(text: str) -> Iterator[tuple[str, int, int]]:
    """The statement's pieces outside comments, as (kind, start, end), read as far as the caller asks: a word, one
    of ``(),``, or ``other`` (a string, a quoted name, a number or an operator). PostgreSQL's lexical rules: ``--``
    and nested ``/* */`` comments, ``''`` inside a string, backslash escapes in ``E'...'`` strings, ``""`` inside a
    quoted name, dollar-quoted strings."""
    position, size = 0, len(text)
    while position < size:
        match = _PIECE.match(text, position)
        assert match is not None  # ``other`` matches any character
        kind, end = match.lastgroup, match.end()
        if kind == "block":  # block comments nest
            depth = 1
            while depth and end < size:
                opening, closing = text.find("/*", end), text.find("*/", end)
                if closing < 0:
                    end = size
                elif 0 <= opening < closing:
                    depth, end = depth + 1, opening + 2
                else:
                    depth, end = depth - 1, closing + 2
        elif kind == "dollar":
            close = text.find(match.group(0), end)
            end = size if close < 0 else close + len(match.group(0))
            yield "other", position, end
        elif kind == "punct":
            yield match.group(0), position, end
        elif kind == "word":
            yield "word", position, end
        elif kind not in ("space", "line"):
            yield "other", position, end
        position = end


def _answer(call: Callable[[str], Any], text: str) -> str:
    try:
        return repr(call(text))
    except Exception as exc:  # an answer too
        return f"{type(exc).__name__}: {exc}"


def _compare(label: str, texts: list[str], old: Callable[[str], Any], new: Callable[[str], Any]) -> None:
    differing = 0
    for text in texts:
        before, after = _answer(old, text), _answer(new, text)
        if before != after:
            differing += 1
            if differing <= SHOW:
                print(f"  DIFFERENT {text[:120]!r}\n    old: {before[:160]}\n    new: {after[:160]}")
    print(f"{label}: {len(texts)} texts, {differing} differences")
    runs: dict[str, list[float]] = {"old": [], "new": []}
    for _ in range(7):  # alternating, so a change of the machine's load falls on both
        for name, call in (("old", old), ("new", new)):
            started = time.perf_counter()
            for text in texts:
                _answer(call, text)
            runs[name].append(time.perf_counter() - started)
    for name, taken in runs.items():
        print(f"  {name}: {statistics.median(taken) / len(texts) * 1e6:.1f} µs per text (median of 7, alternating)")


def _old_sqlite(base: str, tmp: Path) -> Any:
    source = subprocess.run(
        ["git", "show", f"{base}:schema_parity/verdicts/sqlite.py"], cwd=ROOT, capture_output=True, text=True,
        check=True,
    ).stdout
    path = tmp / "old_sqlite_verdict.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("old_sqlite_verdict", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["old_sqlite_verdict"] = module
    spec.loader.exec_module(module)
    return module


def _cast_forms() -> Iterable[str]:
    types = ["INT", "integer", "VARCHAR(10)", "DECIMAL(10, 2)", "text COLLATE nocase", "NUMERIC ( 5 )", "", "BLOB)",
             "a b c", '"x)"', "'('", "')'", "INT(", "INT))", "(", ")", "x(y(z))"]  # fmt: skip
    inner = ["a", "a + 1", "(a)", "f(a, (b))", "CAST(a AS INT)", "?", "'s'", "", "a,", "(a"]
    for type_name, operand in itertools.product(types, inner):
        yield from (f"CAST({operand} AS {type_name})", f"CAST({operand} AS {type_name}",
                    f"lower(CAST({operand} AS {type_name}))", f"CAST({operand} AS {type_name}) || b")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base", default="HEAD~1", help="the revision whose SQLite expression parser is compared")
    parser.add_argument("--generated", type=int, default=50)
    parser.add_argument("--scripts", type=int, default=500)
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args()

    from reader_parity import build_corpus

    from schema_parity import rows
    from schema_parity.sites.sql import upsert_statements
    from schema_parity.upsert import parse_upsert
    from schema_parity.verdicts import sqlite

    statements: list[str] = []
    short: list[str] = []
    for item in build_corpus(args.generated, args.scripts, args.seed):
        if "statement" in item:
            statements.append(item["statement"])
        if "text" in item:
            if len(item["text"]) < 300:
                short.append(item["text"])
            with contextlib.suppress(Exception):  # a text the scanner cannot split has no statement to add
                statements.extend(item["text"][s.start : s.end] for s in upsert_statements(item["text"], psql=False))
    statements = list(dict.fromkeys(statements))

    expressions: list[str] = []
    upserts: list[str] = []
    for statement in statements:
        for dialect, kept in (("sqlite", None), ("postgresql", upserts)):
            try:
                upsert = parse_upsert(statement, dialect)  # type: ignore[arg-type]
            except Exception:  # not one upsert for this engine
                continue
            if kept is not None:
                kept.append(statement)
                continue
            for clause in upsert.clauses:
                expressions.extend(element.sql for element in clause.target or ())
                expressions.extend([clause.target_where_sql] if clause.target_where_sql else [])
    expressions = list(dict.fromkeys([*expressions, *short, *_cast_forms()]))

    with tempfile.TemporaryDirectory(prefix="reader-moves-") as tmp:
        old = _old_sqlite(args.base, Path(tmp))
        _compare(
            f"SQLite expression parser, {args.base} against this tree",
            expressions,
            old._parse.__wrapped__,
            sqlite._parse.__wrapped__,
        )
    label = "VALUES splitter, rows.py (shared tokens) against a lexer of its own"
    _compare(label, upserts, rows.values_rows, lexer_values_rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
