"""The INSERT's column list read from its tokens (schema_parity/upsert.py, ``_column_list``) is the tree sqlglot makes.

``parse_upsert`` hands sqlglot the statement without a column list of plain names and puts the names back as the
identifiers sqlglot's parser would have made. Over generated statements of both engines (quoted names, keywords and
constraint words used as names, unicode, qualified and aliased targets, comments, malformed lists), the tree read
that way must equal sqlglot's own reading of the statement with its column list (and the VALUES rows cut as before,
``_first_value_only``): the same nodes, the same SQL, the same positions of every identifier, and the same parse
error when sqlglot refuses the statement.
"""

from __future__ import annotations

import random

import pytest
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError
from sqlglot.parser import Parser

from schema_parity.catalog import Dialect
from schema_parity.sql.tokens import (
    SQLGLOT,
    SQLGLOT_NAME,
    Token,
    TokenType,
    dialect_parser,
    dialect_tokens,
    mask_placeholders,
)
from schema_parity.upsert import _column_list, _first_value_only, _read_tokens, parse_upsert

NAMES = [
    "a", "A", "aB", "_x", "x$y", "a1", "ü", "名前", "ünï_2",
    '"a"', '"A"', '"a b"', '"a""b"', '"ü"', '"名前"', '"select"', '"key"', '""',
    "t.a", "a.b.c", '"t".a', "a[1]", "a /* c */", "/* c */ a", "a -- c\n", "a::int", "1", "'a'", "?", ":x", "$1",
    'U&"d\\0061t"', "DEFAULT",
]  # fmt: skip
TARGETS = ["t", "T", '"T"', "s.t", '"s"."t"', "d.s.t", "a.b.c.d", "s.t.", "t AS x", 't AS "x"', "public.t AS x",
           '"名前"', "ünï", "t x", "t AS"]  # fmt: skip
SOURCES = ["VALUES (1)", "VALUES (1, 2), (3, 4)", "VALUES (DEFAULT)", "SELECT 1", "DEFAULT VALUES",
           "OVERRIDING SYSTEM VALUE VALUES (1)", "VALUES (1, 'x', true)"]  # fmt: skip
TAILS = [" ON CONFLICT (a) DO NOTHING", " ON CONFLICT DO NOTHING", ' ON CONFLICT ("a", b) DO UPDATE SET x = excluded.x',
         "", " RETURNING *", " ON CONFLICT (a) WHERE b DO NOTHING"]  # fmt: skip


def _words(dialect: Dialect) -> list[str]:
    """Every one-word keyword of the dialect's tokenizer and every constraint word of its parser, as names."""
    sqlglot_dialect = SQLGLOT[SQLGLOT_NAME[dialect]]
    keywords = [k for k in sqlglot_dialect.tokenizer_class.KEYWORDS if k.isidentifier()]
    constraints = [k for k in sqlglot_dialect.parser_class.CONSTRAINT_PARSERS if k.isidentifier()]
    return sorted({*keywords, *constraints, *(k.lower() for k in constraints)})


def _statements(dialect: Dialect, count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    names = NAMES + (["[a]", "`a`", "[a b]"] if dialect == "sqlite" else [])
    words = _words(dialect)
    # the words sqlglot's tokenizer reads as a bare name (VAR), which a list of plain names may hold
    bare = [w for w in words if [t.token_type for t in dialect_tokens(w, dialect)] == [TokenType.VAR]]
    statements = []
    for _ in range(count):
        items = [rng.choice(names if rng.random() < 0.6 else words) for _ in range(rng.randint(1, 6))]
        mode = rng.random()
        if mode < 0.3:  # plain names, the lists the cut applies to
            items = [rng.choice(names[:17]) for _ in items]
        elif mode < 0.6:  # plain names and bare words
            items = [rng.choice(names[:17] if rng.random() < 0.5 else bare) for _ in items]
        separator = rng.choice([", ", ",", " , ", ",\n"])
        listed = separator.join(items)
        shape = rng.random()
        if shape < 0.05:
            listed += ","
        elif shape < 0.08:
            listed = ""
        elif shape < 0.1:
            listed = listed.replace(",", ",,", 1)
        columns = f" ({listed})" if rng.random() < 0.95 else ""
        source = rng.choice(SOURCES)
        statements.append(f"INSERT INTO {rng.choice(TARGETS)}{columns} {source}{rng.choice(TAILS)}")
    return statements


def _sqlglots(parser: Parser, tokens: list[Token], text: str) -> exp.Expr | None:
    """sqlglot's tree of the statement, its column list included (the rows cut as ``_read_tokens`` cuts them)."""
    short = _first_value_only(tokens)
    if short is not None:
        try:
            tree = parser.parse(short, text)[0]
        except ParseError:
            tree = None
        if tree is not None and not isinstance(tree, exp.Command):
            return tree
    return parser.parse(tokens, text)[0]


def _reading(tree: exp.Expr) -> tuple[str, list[tuple[str, object]], str]:
    """What a reader of the tree can see: its structure (sqlglot's equality is by value), its identifiers' texts and
    positions in the statement, and its SQL."""
    return repr(tree), [(i.name, sorted(i.meta.items())) for i in tree.find_all(exp.Identifier)], tree.sql()


@pytest.mark.parametrize("dialect", ["postgresql", "sqlite"])
def test_a_column_list_read_from_tokens_is_sqlglots_tree(dialect: Dialect) -> None:
    parser = dialect_parser(dialect)
    cut = 0
    for sql in _statements(dialect, 2000, seed=16):
        masked = mask_placeholders(sql)[0]
        try:
            tokens = dialect_tokens(masked, dialect)
        except TokenError:
            continue
        try:
            whole = _sqlglots(parser, tokens, masked)
        except ParseError:
            whole = None
        try:
            read = _read_tokens(tokens, masked, dialect)
        except ParseError:
            read = None
        assert (read is None) == (whole is None), sql
        if whole is None or read is None:
            continue
        assert read == whole, sql
        assert _reading(read) == _reading(whole), sql
        cut += _column_list(tokens, parser.CONSTRAINT_PARSERS) is not None
    assert cut > 250  # the generated lists do reach the cut (about a seventh of them)


@pytest.mark.parametrize("dialect", ["postgresql", "sqlite"])
def test_a_constraint_word_or_a_comment_keeps_the_list_whole(dialect: Dialect) -> None:
    """sqlglot reads ``period`` at the start of a list item as a constraint, and keeps comments in its tree: such a
    list is not cut; a list of plain names is, and its names are the Upsert's columns."""
    parser = dialect_parser(dialect)
    constraint_parsers = parser.CONSTRAINT_PARSERS
    for listed in ("period", "a, check", "a, Bucket", "a /* c */, b", "a, t.b", "a, 1"):
        tokens = dialect_tokens(f"INSERT INTO t ({listed}) VALUES (1, 2) ON CONFLICT DO NOTHING", dialect)
        assert _column_list(tokens, constraint_parsers) is None, listed
    sql = 'INSERT INTO s.t AS x (a, "B", "c""d", ü) VALUES (1, 2, 3, 4) ON CONFLICT DO NOTHING'
    assert _column_list(dialect_tokens(sql, dialect), constraint_parsers) == (7, 15)
    columns = parse_upsert(sql, dialect).columns
    assert [(n.text, n.quoted) for n in columns or ()] == [("a", False), ("B", True), ('c"d', True), ("ü", False)]
