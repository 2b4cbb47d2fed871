"""Throughput of the SQL readers on a large generated ``.sql`` file, and the cost of building a sqlglot tokenizer.

    python benchmarks/sql_reader.py [--mb 20] [--repeat 5]

The file looks like a dump with a seed script appended: CREATE TABLEs, plpgsql functions in dollar quotes,
comments, a COPY block, and INSERT rows with strings, one in a hundred an upsert. Rows (MB/s, median of
``--repeat`` runs):

* ``upsert scan, skimming``: ``sql_file_sites`` as the scanner runs it: statements that cannot hold an upsert are
  stepped over with one compiled pattern (``schema_parity.sql.skim``), the rest tokenized;
* ``upsert scan, every statement tokenized``: the same scan with skimming off (what ``sql_file_sites`` did before);
* ``Script (sqlglot tokens), every statement``: the shared reader the DDL replay uses, tokenizing the whole file with
  sqlglot (compiled when ``sqlglotc`` is installed), streamed in chunks;
* ``regex search for 'conflict'``: the floor for "read the text and look for the word".

The second table times tokenizing one short expression (what the verdicts do for each target element and
predicate) with a tokenizer built per call and with the per-thread tokenizer of ``schema_parity.sql.tokens``.
"""

from __future__ import annotations

import argparse
import io
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlglot.tokenizer_core

from schema_parity.sites.sql import _Splitter, _upserts, sql_file_sites
from schema_parity.sql.script import Script
from schema_parity.sql.tokens import SQLGLOT, dialect_tokens

FUNCTION = """CREATE FUNCTION touch_{n}() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
  -- keeps updated_at fresh; a ';' in a comment
  NEW.updated_at := now();
  RETURN NEW;
END $body$;
"""
TABLE = "CREATE TABLE events_{n} (id bigint PRIMARY KEY, host text NOT NULL, payload jsonb, UNIQUE (host));\n"
ROW = "INSERT INTO events_{m} (id, host, payload) VALUES ({n}, 'host-{n}.example', '{{\"a\": \"it''s; fine\"}}');\n"
UPSERT = (
    "INSERT INTO events_{m} (id, host) VALUES ({n}, 'h{n}')\n"
    "  ON CONFLICT (host) DO UPDATE SET id = excluded.id WHERE events_{m}.id < excluded.id;\n"
)
COPY_ROW = '{n}\thost-{n}\t{{"k": "v; it\'s"}}\n'


def generate(size: int) -> str:
    """About ``size`` characters of script."""
    parts: list[str] = ["-- generated dump\nSET statement_timeout = 0;\n"]
    total = 0
    n = 0
    while total < size:
        block: list[str] = []
        if n % 1000 == 0:
            block.append(TABLE.format(n=n) + FUNCTION.format(n=n) + "/* a block comment; */\n")
        if n % 5000 == 0:
            block.append("COPY events_0 (id, host, payload) FROM stdin;\n")
            block.extend(COPY_ROW.format(n=k) for k in range(n, n + 500))
            block.append("\\.\n")
        block.append((UPSERT if n % 100 == 0 else ROW).format(n=n, m=n // 1000))
        piece = "".join(block)
        parts.append(piece)
        total += len(piece)
        n += 1
    return "".join(parts)


def median_seconds(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=float, default=20.0, help="size of the generated file in MB (default 20)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    text = generate(int(args.mb * 1_000_000))
    megabytes = len(text.encode()) / 1_000_000
    compiled = not sqlglot.tokenizer_core.__file__.endswith(".py")
    expected = len(sql_file_sites(text, "dump.sql")[0])
    assert len(_upserts(_Splitter(text))) == expected  # the same statements either way
    rows: list[tuple[str, Callable[[], object]]] = [
        ("upsert scan, skimming", lambda: sql_file_sites(text, "dump.sql")),
        ("upsert scan, every statement tokenized", lambda: _upserts(_Splitter(text))),
        ("Script (sqlglot tokens), every statement", lambda: sum(1 for _ in Script(io.StringIO(text), "script"))),
        ("regex search for 'conflict'", lambda: re.findall("conflict", text, re.IGNORECASE)),
    ]
    print(f"{megabytes:.1f} MB script, {expected} upserts; sqlglot {'compiled (sqlglotc)' if compiled else 'pure'}")
    print(f"| {'reader':<42} | {'seconds':>8} | {'MB/s':>7} |")
    print(f"|{'-' * 44}|{'-' * 10}|{'-' * 9}|")
    for name, run in rows:
        seconds = median_seconds(run, args.repeat)
        print(f"| {name:<42} | {seconds:>8.2f} | {megabytes / seconds:>7.1f} |")

    expression = 'lower(email) COLLATE "C"'
    calls = 20000

    def per_call() -> None:
        for _ in range(calls):
            SQLGLOT["postgres"].tokenize(expression)

    def per_thread() -> None:
        for _ in range(calls):
            dialect_tokens(expression, "postgresql")

    print()
    print(f"| {'tokenizing one short expression':<42} | {'µs/call':>8} |")
    print(f"|{'-' * 44}|{'-' * 10}|")
    for name, run in (("tokenizer built per call", per_call), ("per-thread tokenizer", per_thread)):
        seconds = median_seconds(run, args.repeat)
        print(f"| {name:<42} | {seconds / calls * 1e6:>8.2f} |")


if __name__ == "__main__":
    main()
