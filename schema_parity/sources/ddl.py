"""Catalog from DDL text: CREATE/ALTER/DROP statements replayed in order into a model of what the engine holds.

Why token-driven: sqlglot 30.30's DDL parser misses or misreads many forms that real migrations use
(``EXCLUDE … DEFERRABLE``, ``NOT DEFERRABLE``, ``CREATE INDEX … NULLS NOT DISTINCT``, ``ON ONLY``, ``ADD CONSTRAINT …
USING INDEX``, ``RENAME CONSTRAINT``, ``WITHOUT ROWID``, SQLite's ``a COLLATE nocase DESC`` index element, Alembic's
``ALTER TABLE t RENAME a TO b`` — semantics.md §5, E11/E12). So the statement *structure* is read here from
sqlglot's tokens (which carry exact source positions and line numbers), and sqlglot parses and generates the
*expressions* inside (index expressions, predicates, defaults). No sqlglot class attribute is patched
(``ALTER_RENAME_REQUIRES_COLUMN`` is not needed because ALTER TABLE is read from tokens).

Engine rules modelled faithfully because verdicts depend on them: PostgreSQL's generated names
(``ChooseRelationName`` / ``ChooseConstraintName`` / ``makeObjectName`` with 63-byte truncation and collision
suffixes), PostgreSQL's de-duplication of identical index constraints in CREATE TABLE, SQLite's rowid alias rule and
de-duplication of identical autoindexes, SQLite's refusals of DROP COLUMN (recorded as notes with the engine's
message). SQLite expression and predicate texts are the source text (SQLite compares partial-index predicates
structurally against that text), rewritten on RENAME COLUMN / RENAME TO as SQLite rewrites ``sqlite_schema``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect as SqlglotDialect
from sqlglot.errors import ParseError, TokenError
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers
from sqlglot.tokens import Token, TokenType

from schema_parity.catalog import CONSTRAINT_KINDS, Catalog, Column, Dialect, Key, KeyElement, KeyKind, Table
from schema_parity.errors import ConfigError, read_text
from schema_parity.types import normalize_type

__all__ = ["DEFAULT_EXCLUDE", "catalog_from_ddl", "catalog_from_files", "make_object_name", "schema_files"]

#: Tables left out of every Catalog by default: Alembic's own bookkeeping.
DEFAULT_EXCLUDE: tuple[str, ...] = ("alembic_version",)

NAMEDATALEN = 64
_SQLGLOT_NAME = {"postgresql": "postgres", "sqlite": "sqlite"}
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*\Z")
_FUNC_NAME = re.compile(r'[\s(]*(?:(?:"[^"]*"|[^\s(".]+)\s*\.\s*)*("(?:[^"]|"")*"|[^\s(".]+)\s*\(')
_PLAIN_SQLITE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_SERIAL = {
    "serial": "integer",
    "serial4": "integer",
    "bigserial": "bigint",
    "serial8": "bigint",
    "smallserial": "smallint",
    "serial2": "smallint",
}
_SQLITE_STD_TYPES = {"ANY", "BLOB", "INT", "INTEGER", "REAL", "TEXT"}
_COLUMN_CONSTRAINT_WORDS = frozenset(
    {
        "CONSTRAINT",
        "NOT",
        "NULL",
        "PRIMARY",
        "UNIQUE",
        "CHECK",
        "DEFAULT",
        "COLLATE",
        "REFERENCES",
        "GENERATED",
        "AS",
        "DEFERRABLE",
        "INITIALLY",
    }
)
_TABLE_CONSTRAINT_WORDS = frozenset({"CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN", "EXCLUDE"})
#: Statements that cannot change tables, columns or keys (first keyword).
_HARMLESS = frozenset(
    {
        "INSERT",
        "UPDATE",
        "DELETE",
        "SELECT",
        "WITH",
        "VALUES",
        "MERGE",
        "COPY",
        "BEGIN",
        "START",
        "COMMIT",
        "END",
        "ROLLBACK",
        "SAVEPOINT",
        "RELEASE",
        "SET",
        "RESET",
        "SHOW",
        "COMMENT",
        "GRANT",
        "REVOKE",
        "ANALYZE",
        "ANALYSE",
        "VACUUM",
        "REINDEX",
        "CLUSTER",
        "LOCK",
        "NOTIFY",
        "LISTEN",
        "UNLISTEN",
        "DISCARD",
        "CHECKPOINT",
        "PRAGMA",
        "EXPLAIN",
        "DECLARE",
        "FETCH",
        "CLOSE",
        "PREPARE",
        "DEALLOCATE",
        "REFRESH",
        "TRUNCATE",
        "SECURITY",
        "ABORT",
        "ATTACH",
        "DETACH",
        "MOVE",
        "LOAD",
        "IMPORT",
    }
)
#: Objects whose CREATE/ALTER cannot change tables, columns or keys.
_HARMLESS_OBJECTS = frozenset(
    {
        "FUNCTION",
        "PROCEDURE",
        "EXTENSION",
        "TYPE",
        "DOMAIN",
        "SCHEMA",
        "ROLE",
        "USER",
        "GROUP",
        "POLICY",
        "PUBLICATION",
        "SUBSCRIPTION",
        "COLLATION",
        "CAST",
        "OPERATOR",
        "AGGREGATE",
        "STATISTICS",
        "EVENT",
        "TEXT",
        "SERVER",
        "LANGUAGE",
        "TRIGGER",
        "CONVERSION",
        "TABLESPACE",
        "DATABASE",
        "DEFAULT",
        "SYSTEM",
        "ACCESS",
        "TRANSFORM",
        "ROUTINE",
        "LARGE",
    }
)


#: ALTER TABLE actions (first word) that change no column or key on PostgreSQL.
_HARMLESS_ALTER_TABLE = frozenset(
    {"OWNER", "ENABLE", "DISABLE", "CLUSTER", "REPLICA", "VALIDATE", "FORCE", "NO", "SET", "RESET", "OF", "NOT"}
)


class _Refused(Exception):
    """The statement is not applied; the message becomes a Catalog note."""


# -- PostgreSQL name generation -------------------------------------------------------------------------------------
def _clip(name: str, nbytes: int) -> str:
    """pg_mbcliplen: the longest prefix of ``name`` that fits in ``nbytes`` UTF-8 bytes, on a character boundary."""
    return name.encode()[:nbytes].decode(errors="ignore")


def _truncate_identifier(name: str) -> str:
    """PostgreSQL truncates every identifier to NAMEDATALEN-1 bytes."""
    return _clip(name, NAMEDATALEN - 1)


def make_object_name(name1: str, name2: str | None, label: str | None) -> str:
    """PostgreSQL's makeObjectName: ``name1_name2_label`` within 63 bytes, shortening the longer name first."""
    name1_len = len(name1.encode())
    name2_len = len(name2.encode()) if name2 is not None else 0
    overhead = (1 if name2 is not None else 0) + (len(label.encode()) + 1 if label else 0)
    available = NAMEDATALEN - 1 - overhead
    while name1_len + name2_len > available:
        if name1_len > name2_len:
            name1_len -= 1
        else:
            name2_len -= 1
    name = _clip(name1, name1_len)
    if name2 is not None:
        name += "_" + _clip(name2, name2_len)
    if label:
        name += "_" + label
    return name


def _choose_name(name1: str, name2: str | None, label: str, taken: Callable[[str], bool]) -> str:
    """ChooseRelationName / ChooseConstraintName: try ``label``, then ``label1``, ``label2``, ... until free."""
    candidate, passes = make_object_name(name1, name2, label), 0
    while taken(candidate):
        passes += 1
        candidate = make_object_name(name1, name2, f"{label}{passes}")
    return candidate


def _index_column_names(names: Sequence[str]) -> list[str]:
    """ChooseIndexColumnNames: repeated names get a numeric suffix (``a``, ``a1``)."""
    result: list[str] = []
    for original in names:
        current, i = original, 0
        while current in result:
            i += 1
            current = _clip(original, NAMEDATALEN - 1 - len(str(i))) + str(i)
        result.append(current)
    return result


def _name_addition(names: Sequence[str]) -> str:
    """ChooseIndexNameAddition / ChooseForeignKeyConstraintNameAddition: names joined by ``_``, cut near 64 bytes."""
    buf = ""
    for name in names:
        if buf:
            buf += "_"
        buf += _clip(name, NAMEDATALEN - 1)
        if len(buf.encode()) >= NAMEDATALEN:
            break
    return buf


# -- expression fragments -------------------------------------------------------------------------------------------
@dataclass
class _Ref:
    """A column (or table qualifier) name inside an expression's source text."""

    name: str
    text: str
    table: bool = False


@dataclass
class _Frag:
    """An expression or predicate: sqlglot AST (PostgreSQL text) plus the source text split around name references."""

    ast: exp.Expression | None
    segments: list[str | _Ref]

    def text(self, dialect: Dialect) -> str:
        if dialect == "postgresql" and self.ast is not None:
            return self.ast.sql(dialect="postgres")
        return "".join(s if isinstance(s, str) else s.text for s in self.segments)

    def columns(self) -> set[str]:
        return {s.name for s in self.segments if isinstance(s, _Ref) and not s.table}

    def rename(self, old: str, new: str, same: Callable[[str, str], bool], *, table: bool = False) -> None:
        """Follow RENAME COLUMN (or RENAME TO for qualifiers), as the engine rewrites its stored expression.

        SQLite substitutes the new name into the stored text, double-quoted when the old token was quoted, when the
        name needs it, and always for a table qualifier (observed on 3.40: ``"u".a2``).
        """
        for seg in self.segments:
            if isinstance(seg, _Ref) and seg.table == table and same(seg.name, old):
                quoted = table or seg.text.startswith(('"', "[", "`")) or not _PLAIN_SQLITE_NAME.match(new)
                seg.name, seg.text = new, ('"' + new.replace('"', '""') + '"') if quoted else new
        if self.ast is None:
            return
        ident = exp.Identifier(this=new, quoted=new != new.lower() or not _WORD.match(new))
        for col in self.ast.find_all(exp.Column):
            if table and col.table and same(col.table, old):
                col.set("table", ident.copy())
            elif not table and same(col.name, old):
                col.set("this", ident.copy())


# -- the mutable model ----------------------------------------------------------------------------------------------
@dataclass
class _Col:
    name: str
    type: str
    nullable: bool = True
    default: str | None = None
    autoincrement: bool = False
    identity: str | None = None
    generated: _Frag | None = None
    collation: str | None = None
    unique_flag: bool = False
    """SQLite COLFLAG_UNIQUE: the column definition itself carried UNIQUE (DROP COLUMN then refuses)."""


@dataclass
class _Elem:
    column: str | None = None
    expression: _Frag | None = None
    collation: str | None = None
    opclass: str | None = None
    descending: bool = False
    operator: str | None = None


@dataclass
class _Key:
    name: str | None
    kind: KeyKind
    elements: list[_Elem]
    include: list[str] = field(default_factory=list)
    predicate: _Frag | None = None
    deferrable: bool = False
    initially_deferred: bool = False
    nulls_not_distinct: bool = False
    method: str | None = None
    column_level: bool = False
    """Declared on a column (SQLite: ``INTEGER PRIMARY KEY DESC`` there is no rowid alias)."""
    from_table_definition: bool = False
    """SQLite: declared in CREATE TABLE (an autoindex), not by CREATE INDEX."""

    def columns(self) -> set[str]:
        names = {e.column for e in self.elements if e.column is not None} | set(self.include)
        for frag in [e.expression for e in self.elements] + [self.predicate]:
            if frag is not None:
                names |= frag.columns()
        return names


@dataclass
class _Other:
    """A CHECK or FOREIGN KEY constraint: only its name matters to verdicts, its columns to DROP COLUMN."""

    name: str | None
    kind: str
    columns: set[str]
    owner_column: str | None = None
    references: tuple[str | None, str] | None = None


@dataclass
class _Table:
    name: str
    schema: str | None
    kind: str = "table"
    columns: list[_Col] = field(default_factory=list)
    keys: list[_Key] = field(default_factory=list)
    others: list[_Other] = field(default_factory=list)
    without_rowid: bool = False
    rules: set[str] = field(default_factory=set)


@dataclass
class _Found:
    """Constraints met while reading a CREATE TABLE / ADD COLUMN / ADD CONSTRAINT, applied once it is read."""

    keys: list[_Key] = field(default_factory=list)
    checks: list[_Other] = field(default_factory=list)
    fks: list[tuple[_Other, list[str]]] = field(default_factory=list)


@dataclass
class _Stmt:
    """One statement: its tokens (positions index ``sql``) and the line it starts on."""

    tokens: list[Token]
    sql: str
    line: int

    @property
    def text(self) -> str:
        return self.sql[self.tokens[0].start : self.tokens[-1].end + 1]


def _is_word(tok: Token, sql: str) -> bool:
    return bool(_WORD.match(tok.text)) and sql[tok.start : tok.end + 1] == tok.text


class _Cursor:
    """Recursive-descent helper over a token list."""

    def __init__(self, tokens: list[Token], sql: str, fold: Callable[[Token], str]) -> None:
        self.t, self.sql, self.fold, self.i = tokens, sql, fold, 0

    def word(self, k: int = 0) -> str:
        j = self.i + k
        return self.t[j].text.upper() if j < len(self.t) and _is_word(self.t[j], self.sql) else ""

    def type(self, k: int = 0) -> TokenType | None:
        j = self.i + k
        return self.t[j].token_type if j < len(self.t) else None

    def at(self, *words: str) -> bool:
        return all(self.word(k) == w for k, w in enumerate(words))

    def accept(self, *words: str) -> bool:
        if self.at(*words):
            self.i += len(words)
            return True
        return False

    def skip(self, *alternatives: str) -> None:
        """Step over one optional word out of ``alternatives``."""
        if self.word() in alternatives:
            self.i += 1

    def expect(self, *words: str) -> None:
        if not self.accept(*words):
            raise _Unmodelled

    @property
    def done(self) -> bool:
        return self.i >= len(self.t)

    def name(self) -> str:
        if self.done or self.type() in (TokenType.L_PAREN, TokenType.R_PAREN, TokenType.COMMA, TokenType.DOT):
            raise _Unmodelled
        tok = self.t[self.i]
        self.i += 1
        return self.fold(tok)

    def qualified(self) -> tuple[str | None, str]:
        parts = [self.name()]
        while self.type() == TokenType.DOT:
            self.i += 1
            parts.append(self.name())
        if len(parts) > 3:
            raise _Unmodelled
        return (parts[-2] if len(parts) > 1 else None), parts[-1]

    def group(self) -> list[Token]:
        """The tokens inside the parenthesised group at the cursor; the cursor moves past its ``)``."""
        if self.type() != TokenType.L_PAREN:
            raise _Unmodelled
        depth, start = 0, self.i
        while not self.done:
            tt = self.type()
            depth += 1 if tt == TokenType.L_PAREN else -1 if tt == TokenType.R_PAREN else 0
            self.i += 1
            if depth == 0:
                return self.t[start + 1 : self.i - 1]
        raise _Unmodelled

    def rest(self) -> list[Token]:
        toks, self.i = self.t[self.i :], len(self.t)
        return toks

    def until(self, stop: Callable[[_Cursor], bool]) -> list[Token]:
        """Tokens up to (not including) the first depth-0 position where ``stop`` holds."""
        start, depth = self.i, 0
        while not self.done and (depth > 0 or not stop(self)):
            tt = self.type()
            depth += 1 if tt == TokenType.L_PAREN else -1 if tt == TokenType.R_PAREN else 0
            self.i += 1
        return self.t[start : self.i]


class _Unmodelled(Exception):
    """The statement has a form this module does not read; it becomes a ``not modelled`` note."""


def _split_commas(tokens: list[Token]) -> list[list[Token]]:
    parts: list[list[Token]] = [[]]
    depth = 0
    for tok in tokens:
        if tok.token_type == TokenType.COMMA and depth == 0:
            parts.append([])
            continue
        depth += 1 if tok.token_type == TokenType.L_PAREN else -1 if tok.token_type == TokenType.R_PAREN else 0
        parts[-1].append(tok)
    return [p for p in parts if p]


def _first_words(stmt: _Stmt, n: int) -> list[str]:
    return [t.text.upper() if _is_word(t, stmt.sql) else "" for t in stmt.tokens[:n]]


# -- replay ---------------------------------------------------------------------------------------------------------
class _Replay:
    """Applies statements one by one to a mutable model of the schema."""

    def __init__(self, dialect: Dialect) -> None:
        if dialect not in _SQLGLOT_NAME:
            raise ValueError(f"unsupported dialect {dialect!r} (expected 'postgresql' or 'sqlite')")
        self.dialect: Dialect = dialect
        self.sg = SqlglotDialect.get_or_raise(_SQLGLOT_NAME[dialect])
        self._live: dict[int, tuple[int, _Table]] = {}
        """The tables, in replay order: ``id(table)`` → (position, table). ``tables`` lists them."""
        self._next_position = 0
        self._by_name: dict[str, dict[int, _Table]] = {}
        """Name index: folded name → tables that may carry it (table, key or constraint name).

        A superset, checked on every look-up: for every live table, each of its current names maps to it. Names
        only appear on tables a statement reached through ``find``/``find_index`` or created (``_touched``); those
        are re-indexed before every look-up and when the statement ends, so no mutation site has to report. Stale
        entries (renamed or dropped names, dropped tables) are harmless and dropped tables are pruned on sight.
        """
        self._touched: dict[int, _Table] = {}
        """Tables the current statement may change; re-indexed before each look-up and after the statement."""
        self.sequences: dict[tuple[str | None, str], tuple[str, str] | None] = {}
        self.relations: set[tuple[str | None, str]] = set()
        """PostgreSQL relations that are not tables or keys (materialized views, sequences made by CREATE SEQUENCE)."""
        self.notes: list[str] = []
        self.notes_pending: list[str] = []
        """Notes of the statement being replayed; prefixed with its location when it ends."""
        self.pg = dialect == "postgresql"

    # names
    def same(self, a: str, b: str) -> bool:
        return a == b if self.pg else a.lower() == b.lower()

    def fold(self, tok: Token) -> str:
        quoted = tok.token_type == TokenType.IDENTIFIER
        name = tok.text if quoted or not self.pg else tok.text.lower()
        return _truncate_identifier(name) if self.pg else name

    def norm_schema(self, schema: str | None) -> str | None:
        default = "public" if self.pg else "main"
        return None if schema is None or self.same(schema, default) else schema

    # table registry and name index
    @property
    def tables(self) -> list[_Table]:
        return [t for _, t in self._live.values()]

    def add_table(self, table: _Table) -> None:
        self._live[id(table)] = (self._next_position, table)
        self._next_position += 1
        self._touched[id(table)] = table

    def remove_table(self, table: _Table) -> None:
        del self._live[id(table)]
        self._touched.pop(id(table), None)

    def _key(self, name: str) -> str:
        """The index key of a name: ``same(a, b)`` implies ``_key(a) == _key(b)``."""
        return name if self.pg else name.lower()

    def _index(self, table: _Table) -> None:
        tid = id(table)
        by_name = self._by_name
        for name in (table.name, *(k.name for k in table.keys), *(o.name for o in table.others)):
            if name is not None:
                by_name.setdefault(self._key(name), {})[tid] = table

    def _settle(self) -> None:
        """Index the touched tables' current names (they may have gained names since they were last indexed)."""
        for tid, table in self._touched.items():
            if tid in self._live:
                self._index(table)

    def end_statement(self) -> None:
        self._settle()
        self._touched = {}

    def candidates(self, name: str) -> list[_Table]:
        """Live tables that may carry ``name`` (as table, key or constraint name), in replay order."""
        self._settle()
        bucket = self._by_name.get(self._key(name))
        if not bucket:
            return []
        live = self._live
        dead = [tid for tid in bucket if tid not in live]
        for tid in dead:
            del bucket[tid]
        if len(bucket) == 1:
            return list(bucket.values())
        return [t for _, t in sorted((live[tid][0], t) for tid, t in bucket.items())]

    def touch(self, table: _Table) -> _Table:
        self._touched[id(table)] = table
        return table

    def find(self, schema: str | None, name: str) -> _Table | None:
        schema = self.norm_schema(schema)
        found = next((t for t in self.candidates(name) if self.same(t.name, name) and t.schema == schema), None)
        return self.touch(found) if found is not None else None

    def table(self, schema: str | None, name: str, *, kinds: tuple[str, ...] = ("table", "partitioned")) -> _Table:
        found = self.find(schema, name)
        if found is None or found.kind not in kinds:
            what = "relation" if self.pg else "table"
            raise _Refused(f'{what} "{name}" does not exist' if self.pg else f"no such table: {name}")
        return found

    def relation_taken(self, schema: str | None, name: str) -> bool:
        return (
            any(
                t.schema == schema and (t.name == name or any(k.name == name for k in t.keys))
                for t in self.candidates(name)
            )
            or (schema, name) in self.sequences
            or (schema, name) in self.relations
        )

    def constraint_taken(self, schema: str | None, name: str) -> bool:
        return any(
            t.schema == schema
            and (
                any(k.name == name and k.kind in CONSTRAINT_KINDS for k in t.keys)
                or any(o.name == name for o in t.others)
            )
            for t in self.candidates(name)
        )

    def find_index(self, schema: str | None, name: str) -> tuple[_Table, _Key] | None:
        schema = self.norm_schema(schema)
        for t in self.candidates(name):
            if t.schema == schema or not self.pg:
                for k in t.keys:
                    if k.name is not None and self.same(k.name, name):
                        return self.touch(t), k
        return None

    # fragments
    def frag(self, tokens: list[Token], sql: str, table: _Table | None) -> _Frag:
        if not tokens:  # ``CHECK ()``, ``AS ()``: an empty expression is a syntax error on both engines
            raise _Unmodelled
        columns = [c.name for c in table.columns] if table is not None else []
        text = sql[tokens[0].start : tokens[-1].end + 1]
        segments: list[str | _Ref] = []
        pos = tokens[0].start
        for i, tok in enumerate(tokens):
            segments.append(sql[pos : tok.start])
            raw = sql[tok.start : tok.end + 1]
            pos = tok.end + 1
            nxt = tokens[i + 1].token_type if i + 1 < len(tokens) else None
            prev_dot = i > 0 and tokens[i - 1].token_type == TokenType.DOT
            name_like = tok.token_type == TokenType.IDENTIFIER or _is_word(tok, sql)
            if name_like and nxt == TokenType.DOT and not prev_dot:
                segments.append(_Ref(self.fold(tok), raw, table=True))
            elif name_like and nxt != TokenType.L_PAREN and any(self.same(self.fold(tok), c) for c in columns):
                segments.append(_Ref(next(c for c in columns if self.same(self.fold(tok), c)), raw))
            else:
                segments.append(raw)
        try:  # re-tokenized: the structural tokens have multi-word keywords split apart
            ast = self.sg.parse(text)[0] if self.pg else None
        except (ParseError, TokenError, RecursionError):  # RecursionError: nested deeper than sqlglot can read
            ast = None
        if ast is not None:
            ast = normalize_identifiers(ast, dialect="postgres")
        elif self.pg:
            self.notes_pending.append(f"expression kept as written: {text[:80]}")
        return _Frag(ast, [s for s in segments if s != ""])

    def frag_text(self, text: str, table: _Table | None) -> _Frag:
        return self.frag(self.sg.tokenize(text), text, table)

    # --------------------------------------------------------------------------------------------------------------
    def run(self, stmt: _Stmt, where: str) -> None:
        self.notes_pending = []
        loc = f"{where}:{stmt.line}"
        try:
            self.statement(stmt)
        except _Unmodelled:
            self.notes.append(f"{loc}: not modelled: {' '.join(stmt.text.split())[:80]}")
        except _Refused as refused:
            self.notes.append(f"{loc}: {refused}")
        finally:
            self.end_statement()
        self.notes.extend(f"{loc}: {n}" for n in self.notes_pending)

    def statement(self, stmt: _Stmt) -> None:
        words = _first_words(stmt, 8)
        head = words[0]
        cur = _Cursor(stmt.tokens, stmt.sql, self.fold)
        if head in _HARMLESS:
            if head == "SELECT" and any(
                t.token_type == TokenType.INTO for t in stmt.tokens
            ):  # SELECT … INTO creates a table
                raise _Unmodelled
            return
        if head == "CREATE":
            cur.expect("CREATE")
            replace = cur.accept("OR", "REPLACE")
            modifiers = set()
            while cur.word() in ("TEMP", "TEMPORARY", "GLOBAL", "LOCAL", "UNLOGGED"):
                modifiers.add(cur.word())
                cur.i += 1
            temp = bool(modifiers & {"TEMP", "TEMPORARY"})  # session-only: never part of the migrated schema
            if cur.at("TABLE") or cur.at("VIRTUAL", "TABLE"):
                if not temp:
                    self.create_table(cur, stmt)
                return
            if cur.at("INDEX") or cur.at("UNIQUE", "INDEX"):
                self.create_index(cur, stmt)
                return
            if cur.accept("RECURSIVE") or cur.at("VIEW"):
                if not temp:
                    self.create_view(cur, stmt, replace=replace)
                return
            if cur.accept("MATERIALIZED", "VIEW") or cur.accept("SEQUENCE"):
                cur.accept("IF", "NOT", "EXISTS")
                schema, name = cur.qualified()
                self.relations.add((self.norm_schema(schema), name))
                return
            if cur.accept("RULE"):
                self.create_rule(cur)
                return
            if cur.word() in _HARMLESS_OBJECTS or cur.at("CONSTRAINT", "TRIGGER"):
                return
            raise _Unmodelled
        if head == "ALTER":
            cur.expect("ALTER")
            if cur.accept("TABLE"):
                self.alter_table(cur, stmt)
            elif cur.accept("INDEX") or cur.accept("VIEW") or cur.accept("SEQUENCE"):
                self.alter_relation(cur, stmt, words[1])
            elif cur.word() in _HARMLESS_OBJECTS or cur.at("MATERIALIZED", "VIEW"):
                return
            else:
                raise _Unmodelled
            return
        if head == "DROP":
            self.drop(cur)
            return
        raise _Unmodelled

    # -- CREATE TABLE -----------------------------------------------------------------------------------------------
    def create_table(self, cur: _Cursor, stmt: _Stmt) -> None:
        virtual = cur.accept("VIRTUAL")
        cur.expect("TABLE")
        if_not_exists = cur.accept("IF", "NOT", "EXISTS")
        schema, name = cur.qualified()
        schema = self.norm_schema(schema)
        if self.find(schema, name) is not None or (self.pg and self.relation_taken(schema, name)):
            if if_not_exists:
                return
            raise _Refused(f'relation "{name}" already exists' if self.pg else f"table {name} already exists")
        table = _Table(name, schema, kind="virtual" if virtual else "table")
        if virtual:
            cur.expect("USING")
            cur.name()
            args = cur.group() if cur.type() == TokenType.L_PAREN else []
            for part in _split_commas(args):
                if len(part) == 1 and "=" not in part[0].text:
                    table.columns.append(_Col(self.fold(part[0]), ""))
            self.add_table(table)
            return
        if cur.type() != TokenType.L_PAREN:
            raise _Unmodelled  # CREATE TABLE … AS SELECT, PARTITION OF, OF type
        elements = _split_commas(cur.group())
        if self.pg:
            while not cur.done:
                if cur.accept("PARTITION", "BY"):
                    table.kind = "partitioned"
                    cur.until(lambda c: c.at("USING") or c.at("WITH") or c.at("TABLESPACE"))
                elif cur.accept("WITH") or cur.accept("WITHOUT", "OIDS"):
                    if cur.type() == TokenType.L_PAREN:
                        cur.group()
                elif cur.accept("TABLESPACE") or cur.accept("USING"):
                    cur.name()
                else:
                    raise _Unmodelled  # INHERITS, ON COMMIT, …
        else:
            for part in _split_commas(cur.rest()):
                words = [t.text.upper() for t in part]
                if words == ["WITHOUT", "ROWID"]:
                    table.without_rowid = True
                elif words != ["STRICT"]:
                    raise _Unmodelled
        self.add_table(table)
        try:
            self.fill_table(table, elements, stmt)
        except (_Unmodelled, _Refused):
            self.remove_table(table)
            raise

    def fill_table(self, table: _Table, elements: list[list[Token]], stmt: _Stmt) -> None:
        found = _Found()
        constraint_parts: list[list[Token]] = []
        for part in elements:
            c = _Cursor(part, stmt.sql, self.fold)
            if c.word() in _TABLE_CONSTRAINT_WORDS:
                constraint_parts.append(part)
            elif c.word() == "LIKE":
                raise _Unmodelled
            else:
                self.column_def(c, table, stmt, found)
        for part in constraint_parts:
            c = _Cursor(part, stmt.sql, self.fold)
            self.table_constraint(c, table, stmt, found, in_create=True)
        if self.pg:
            self.pg_name_checks(table, found.checks)
            table.others.extend(found.checks)
            self.add_create_table_keys_pg(table, found.keys)
            for fk, cols in found.fks:
                self.add_other_pg(table, fk, cols)
        else:
            table.others.extend(found.checks)
            table.others.extend(fk for fk, _ in found.fks)
            for spec in found.keys:
                self.add_key_sqlite(table, spec)
        if not self.pg:
            pk = next((k for k in table.keys if k.kind == "primary_key"), None)
            if pk is not None and table.without_rowid:
                for col in self.key_columns(table, pk):
                    col.nullable = False

    def key_columns(self, table: _Table, key: _Key) -> list[_Col]:
        return [c for e in key.elements if e.column is not None for c in table.columns if self.same(c.name, e.column)]

    def column_def(
        self,
        c: _Cursor,
        table: _Table,
        stmt: _Stmt,
        found: _Found,
    ) -> _Col:
        name = c.name()
        type_tokens = c.until(lambda cc: cc.word() in _COLUMN_CONSTRAINT_WORDS or cc.word() == "ON")
        type_text = stmt.sql[type_tokens[0].start : type_tokens[-1].end + 1] if type_tokens else ""
        col = _Col(name, type_text)
        table.columns.append(col)  # before its constraints, which may name it
        if self.pg:
            type_text = " ".join(type_text.split())
            base = _SERIAL.get(type_text.lower())
            col.type = base or type_text.lower()
            if base is not None:
                col.autoincrement, col.nullable = True, False
                self.add_sequence(table, name)
        elif type_text.upper() in _SQLITE_STD_TYPES:
            col.type = type_text.upper()  # sqlite3StdType spelling, as PRAGMA table_info reports it
        first_spec = len(found.keys)
        self.column_constraints(c, table, col, stmt, found)
        for spec in found.keys[first_spec:]:  # the column's final COLLATE applies to its own keys (both engines)
            spec.elements[0].collation = col.collation
        return col

    def column_constraints(
        self,
        c: _Cursor,
        table: _Table,
        col: _Col,
        stmt: _Stmt,
        found: _Found,
    ) -> None:
        last_key: _Key | None = None
        while not c.done:
            cname = c.name() if c.accept("CONSTRAINT") else None
            if c.accept("NOT", "NULL"):
                col.nullable = False
            elif c.accept("NULL"):
                col.nullable = True
            elif c.accept("PRIMARY", "KEY"):
                desc = c.accept("DESC")
                c.accept("ASC")
                last_key = _Key(cname, "primary_key", [self.elem_for(table, col.name)], from_table_definition=True)
                last_key.elements[0].descending = desc and not self.pg
                last_key.column_level = True
                found.keys.append(last_key)
                self.index_tail(c, last_key, stmt, table)
                c.accept("AUTOINCREMENT")
            elif c.accept("UNIQUE"):
                last_key = _Key(cname, "unique", [self.elem_for(table, col.name)], from_table_definition=True)
                last_key.nulls_not_distinct = self.nulls_clause(c)
                found.keys.append(last_key)
                self.index_tail(c, last_key, stmt, table)
                col.unique_flag = True
            elif c.accept("CHECK"):
                names = self.frag(c.group(), stmt.sql, table).columns()
                found.checks.append(_Other(cname, "check", names, owner_column=col.name))
                c.accept("NO", "INHERIT")
            elif c.accept("DEFAULT"):
                if c.done:  # DEFAULT without an expression: a syntax error on both engines
                    raise _Unmodelled
                first = c.t[c.i]
                c.i += 1
                more = c.until(lambda cc: cc.word() in _COLUMN_CONSTRAINT_WORDS)
                toks = [first, *more]
                col.default = self.expr_text(toks, stmt.sql, table)
            elif c.accept("COLLATE"):
                col.collation = c.name()
            elif c.accept("REFERENCES"):
                ref = c.qualified()
                if c.type() == TokenType.L_PAREN:
                    c.group()
                self.fk_tail(c)
                found.fks.append((_Other(cname, "fk", {col.name}, owner_column=col.name, references=ref), [col.name]))
            elif c.accept("GENERATED"):
                identity = "always" if c.accept("ALWAYS") else "by default" if c.accept("BY", "DEFAULT") else None
                c.expect("AS")
                if c.accept("IDENTITY"):
                    if c.type() == TokenType.L_PAREN:
                        c.group()
                    col.identity, col.autoincrement, col.nullable = identity or "always", True, False
                    self.add_sequence(table, col.name)
                else:
                    col.generated = self.frag(c.group(), stmt.sql, table)
                    c.skip("STORED", "VIRTUAL")
            elif c.accept("AS"):
                col.generated = self.frag(c.group(), stmt.sql, table)
                c.skip("STORED", "VIRTUAL")
            elif c.at("DEFERRABLE") or c.at("NOT", "DEFERRABLE") or c.at("INITIALLY"):
                if last_key is None:
                    self.deferral(c, _Key(None, "unique", []))
                else:
                    self.deferral(c, last_key)
            elif c.accept("AUTOINCREMENT"):
                col.autoincrement = True
            elif c.accept("ON", "CONFLICT"):
                c.name()
            else:
                raise _Unmodelled

    def elem_for(self, table: _Table, column: str) -> _Elem:
        col = next((c for c in table.columns if self.same(c.name, column)), None)
        return _Elem(column=col.name if col else column, collation=col.collation if col else None)

    def nulls_clause(self, c: _Cursor) -> bool:
        if c.accept("NULLS", "NOT", "DISTINCT"):
            if not self.pg:
                raise _Refused('near "NULLS": syntax error')
            return True
        c.accept("NULLS", "DISTINCT")
        return False

    def index_tail(self, c: _Cursor, key: _Key, stmt: _Stmt, table: _Table) -> None:
        """INCLUDE (…), WITH (…), USING INDEX TABLESPACE x, WHERE (…) (EXCLUDE), DEFERRABLE …, ON CONFLICT x."""
        while not c.done:
            if c.accept("INCLUDE"):
                key.include = [self.fold(t) for t in c.group() if t.token_type != TokenType.COMMA]
            elif c.accept("WITH"):
                c.group()
            elif c.accept("USING", "INDEX", "TABLESPACE"):
                c.name()
            elif c.at("WHERE") and key.kind == "exclusion":
                c.i += 1
                key.predicate = self.frag(c.group(), stmt.sql, table)
            elif c.at("DEFERRABLE") or c.at("NOT", "DEFERRABLE") or c.at("INITIALLY"):
                if not self.pg:
                    raise _Refused(f'near "{c.t[c.i].text}": syntax error')
                self.deferral(c, key)
            elif c.accept("ON", "CONFLICT"):
                c.name()
            else:
                return

    def deferral(self, c: _Cursor, key: _Key) -> None:
        start = c.i
        while True:
            if c.accept("DEFERRABLE"):
                key.deferrable = True
            elif c.accept("NOT", "DEFERRABLE"):
                key.deferrable = False
            elif c.accept("INITIALLY", "DEFERRED"):
                key.initially_deferred = key.deferrable = True
            elif not c.accept("INITIALLY", "IMMEDIATE"):
                break
        if c.i == start:  # ``INITIALLY`` alone (a syntax error): the callers' loops would wait here forever
            raise _Unmodelled

    def fk_tail(self, c: _Cursor) -> None:
        while not c.done:
            if c.accept("MATCH"):
                c.name()
            elif c.accept("ON", "DELETE") or c.accept("ON", "UPDATE"):
                if not (c.accept("NO", "ACTION") or c.accept("SET", "NULL") or c.accept("SET", "DEFAULT")):
                    c.name()
                if c.type() == TokenType.L_PAREN:
                    c.group()
            elif c.at("DEFERRABLE") or c.at("NOT", "DEFERRABLE") or c.at("INITIALLY"):
                self.deferral(c, _Key(None, "unique", []))
            elif not c.accept("NOT", "VALID"):
                return

    def expr_text(self, tokens: list[Token], sql: str, table: _Table | None) -> str:
        frag = self.frag(tokens, sql, table)
        return frag.text(self.dialect)

    def column_list(self, tokens: list[Token], stmt: _Stmt, table: _Table) -> list[_Elem]:
        """Elements of a constraint's column list: ``a [COLLATE x] [opclass] [ASC|DESC]`` (SQLite/PG tables)."""
        elems = []
        for part in _split_commas(tokens):
            c = _Cursor(part, stmt.sql, self.fold)
            elem = self.elem_for(table, c.name())
            self.elem_tail(c, elem)
            if not c.done:
                raise _Unmodelled
            elems.append(elem)
        return elems

    def elem_tail(self, c: _Cursor, elem: _Elem) -> None:
        if c.accept("COLLATE"):
            elem.collation = c.qualified()[1]
        if not c.done and c.word() not in ("ASC", "DESC", "NULLS", "WITH") and self.pg:
            elem.opclass = ".".join(filter(None, c.qualified()))
            if c.type() == TokenType.L_PAREN:
                c.group()
        if c.accept("DESC"):
            elem.descending = True
        c.accept("ASC")
        if c.accept("NULLS"):
            c.name()

    def table_constraint(
        self,
        c: _Cursor,
        table: _Table,
        stmt: _Stmt,
        found: _Found,
        *,
        in_create: bool,
    ) -> None:
        cname = c.name() if c.accept("CONSTRAINT") else None
        if c.accept("PRIMARY", "KEY") or c.accept("UNIQUE"):
            kind: KeyKind = "primary_key" if c.t[c.i - 1].text.upper() == "KEY" else "unique"
            key = _Key(cname, kind, [], from_table_definition=in_create)
            if kind == "unique":
                key.nulls_not_distinct = self.nulls_clause(c)
            if c.at("USING", "INDEX") and not c.at("USING", "INDEX", "TABLESPACE"):
                raise _Unmodelled  # handled by alter_table before reaching here
            key.elements = self.column_list(c.group(), stmt, table)
            self.index_tail(c, key, stmt, table)
            found.keys.append(key)
        elif c.accept("EXCLUDE"):
            if not self.pg:
                raise _Unmodelled
            key = _Key(cname, "exclusion", [], from_table_definition=in_create)
            key.method = c.name().lower() if c.accept("USING") else None
            for part in _split_commas(c.group()):
                ec = _Cursor(part, stmt.sql, self.fold)
                body = ec.until(lambda cc: cc.at("WITH") and cc.type(1) != TokenType.L_PAREN)
                ec.expect("WITH")
                op_tokens = ec.rest()
                if not op_tokens:  # ``a WITH`` without an operator: a syntax error
                    raise _Unmodelled
                elem = self.index_elem(_Cursor(body, stmt.sql, self.fold), table, stmt)
                elem.operator = stmt.sql[op_tokens[0].start : op_tokens[-1].end + 1]
                key.elements.append(elem)
            self.index_tail(c, key, stmt, table)
            found.keys.append(key)
        elif c.accept("CHECK"):
            found.checks.append(_Other(cname, "check", self.frag(c.group(), stmt.sql, table).columns()))
            c.accept("NO", "INHERIT")
            c.accept("NOT", "VALID")
        elif c.accept("FOREIGN", "KEY"):
            cols = [self.fold(t) for t in c.group() if t.token_type != TokenType.COMMA]
            c.expect("REFERENCES")
            ref = c.qualified()
            if c.type() == TokenType.L_PAREN:
                c.group()
            self.fk_tail(c)
            found.fks.append((_Other(cname, "fk", set(cols), references=ref), cols))
        else:
            raise _Unmodelled
        if not c.done:
            raise _Unmodelled

    # -- keys: PostgreSQL naming and de-duplication -----------------------------------------------------------------
    def pg_name_checks(self, table: _Table, checks: list[_Other]) -> None:
        used: list[str] = [o.name for o in checks if o.name]
        for check in checks:
            if check.name is None:
                colname = next(iter(check.columns)) if len(check.columns) == 1 else None
                check.name = _choose_name(
                    table.name,
                    colname,
                    "check",
                    lambda n: n in used or self.constraint_taken(table.schema, n),
                )
                used.append(check.name)

    def add_other_pg(self, table: _Table, other: _Other, cols: list[str]) -> None:
        if other.name is None:
            other.name = _choose_name(
                table.name, _name_addition(cols), "fkey", lambda n: self.constraint_taken(table.schema, n)
            )
        table.others.append(other)

    def add_create_table_keys_pg(self, table: _Table, specs: list[_Key]) -> None:
        """transformIndexConstraints: PRIMARY KEY first, identical index specs merged, then names chosen in order."""
        pk = next((k for k in specs if k.kind == "primary_key"), None)
        final: list[_Key] = [pk] if pk is not None else []
        for spec in specs:
            if spec is pk:
                continue
            prior = next((p for p in final if self.same_index_spec(p, spec)), None)
            if prior is None:
                final.append(spec)
            elif prior.name is None:
                prior.name = spec.name
        for key in final:
            self.add_key_pg(table, key)

    def same_index_spec(self, a: _Key, b: _Key) -> bool:
        def shape(k: _Key) -> tuple[object, ...]:
            elems = tuple(
                (
                    e.column,
                    e.expression.text(self.dialect) if e.expression else None,
                    e.collation,
                    e.opclass,
                    e.descending,
                    e.operator,
                )
                for e in k.elements
            )
            pred = k.predicate.text(self.dialect) if k.predicate else None
            return (
                elems,
                tuple(k.include),
                pred,
                k.method,
                k.nulls_not_distinct,
                k.deferrable,
                k.initially_deferred,
                k.kind == "exclusion",
            )

        return shape(a) == shape(b)

    def add_key_pg(self, table: _Table, key: _Key) -> None:
        """DefineIndex: choose the default name; a PRIMARY KEY makes its columns NOT NULL."""
        if key.name is None:
            if key.kind == "primary_key":
                key.name = _choose_name(table.name, None, "pkey", lambda n: self.pg_taken(table, n, True))
            else:
                label = {"exclusion": "excl", "unique": "key"}.get(key.kind, "idx")
                constraint = key.kind in CONSTRAINT_KINDS
                names = [self.figure_colname(e) for e in key.elements] + list(key.include)
                addition = _name_addition(_index_column_names(names))
                key.name = _choose_name(table.name, addition, label, lambda n: self.pg_taken(table, n, constraint))
        if key.kind == "primary_key":
            for col in self.key_columns(table, key):
                col.nullable = False
        table.keys.append(key)

    def pg_taken(self, table: _Table, name: str, constraint: bool) -> bool:
        return self.relation_taken(table.schema, name) or (constraint and self.constraint_taken(table.schema, name))

    def figure_colname(self, elem: _Elem) -> str:
        """FigureIndexColname: the column, a function's name, a cast's type name, else ``expr``."""
        if elem.column is not None:
            return elem.column
        node = elem.expression.ast if elem.expression is not None else None
        while isinstance(node, (exp.Paren, exp.Collate)):
            node = node.this
        if isinstance(node, exp.Column):
            return node.name
        if isinstance(node, exp.Cast):
            inner = node.this
            while isinstance(inner, exp.Paren):
                inner = inner.this
            if isinstance(inner, exp.Column):
                return inner.name
            return node.to.sql(dialect="postgres").lower().split("(")[0]
        if isinstance(node, exp.Func) and elem.expression is not None:
            raw = elem.expression.text("sqlite")  # the source text: the function name as written
            match = _FUNC_NAME.match(raw)
            if match:
                name = match.group(1)
                return name[1:-1].replace('""', '"') if name.startswith('"') else name.lower()
            return "expr"
        if isinstance(node, exp.Case):
            return "case"
        return "expr"

    def add_sequence(self, table: _Table, column: str) -> None:
        if self.pg:
            name = _choose_name(table.name, column, "seq", lambda n: self.relation_taken(table.schema, n))
            self.sequences[(table.schema, name)] = (table.name, column)

    # -- keys: SQLite ---------------------------------------------------------------------------------------------
    def add_key_sqlite(self, table: _Table, key: _Key) -> None:
        """A rowid alias has no index; an autoindex identical to an earlier one is not created (sqlite3CreateIndex)."""
        desc_column = key.column_level and key.elements[0].descending
        if key.kind == "primary_key":
            cols = self.key_columns(table, key)
            if (
                not table.without_rowid
                and len(key.elements) == 1
                and len(cols) == 1
                and cols[0].type.upper() == "INTEGER"
                and not desc_column
            ):
                cols[0].autoincrement = True
                key.elements[0].descending = False
                table.keys.append(key)
                return
        if key.from_table_definition:
            for prior in table.keys:
                ipk = prior.kind == "primary_key" and any(c.autoincrement for c in self.key_columns(table, prior))
                if prior.from_table_definition and not ipk and self.same_columns(prior, key):
                    if key.kind == "primary_key":
                        prior.kind = "primary_key"
                    return
        table.keys.append(key)

    def same_columns(self, a: _Key, b: _Key) -> bool:
        return len(a.elements) == len(b.elements) and all(
            x.column is not None
            and y.column is not None
            and self.same(x.column, y.column)
            and (x.collation or "BINARY").lower() == (y.collation or "BINARY").lower()
            for x, y in zip(a.elements, b.elements, strict=True)
        )

    # -- CREATE INDEX ---------------------------------------------------------------------------------------------
    def create_index(self, cur: _Cursor, stmt: _Stmt) -> None:
        unique = cur.accept("UNIQUE")
        cur.expect("INDEX")
        cur.accept("CONCURRENTLY")
        if_not_exists = cur.accept("IF", "NOT", "EXISTS")
        name: str | None = None
        if not cur.at("ON"):
            name = cur.qualified()[1]
        cur.expect("ON")
        cur.accept("ONLY")
        schema, tname = cur.qualified()
        table = self.table(schema, tname)
        if name is not None and (
            (self.pg and self.relation_taken(table.schema, name)) or (not self.pg and self.find_index(None, name))
        ):
            if if_not_exists:
                return
            raise _Refused(f'relation "{name}" already exists' if self.pg else f"index {name} already exists")
        key = _Key(name, "unique_index" if unique else "index", [])
        if cur.accept("USING"):
            method = cur.name().lower()
            key.method = None if method == "btree" else method
        for part in _split_commas(cur.group()):
            key.elements.append(self.index_elem(_Cursor(part, stmt.sql, self.fold), table, stmt))
        while not cur.done:
            if cur.accept("INCLUDE"):
                key.include = [self.fold(t) for t in cur.group() if t.token_type != TokenType.COMMA]
            elif cur.at("NULLS"):
                key.nulls_not_distinct = self.nulls_clause(cur)
            elif cur.accept("WITH"):
                cur.group()
            elif cur.accept("TABLESPACE"):
                cur.name()
            elif cur.accept("WHERE"):
                key.predicate = self.frag(cur.rest(), stmt.sql, table)
            else:
                raise _Unmodelled
        if self.pg:
            self.add_key_pg(table, key)
        else:
            table.keys.append(key)

    def index_elem(self, c: _Cursor, table: _Table, stmt: _Stmt) -> _Elem:
        """``column | func(…) | (expr) | expr`` then ``[COLLATE x] [opclass] [ASC|DESC] [NULLS …]``."""
        if self.pg:
            if c.type() == TokenType.L_PAREN:
                body = c.group()
            else:
                start = c.i
                c.qualified()
                if c.type() == TokenType.L_PAREN:
                    c.group()
                body = c.t[start : c.i]
        else:
            body = c.until(lambda cc: cc.at("COLLATE") or cc.at("ASC") or cc.at("DESC"))
        elem = _Elem()
        frag = self.frag(body, stmt.sql, table)
        bare = [s for s in frag.segments if not (isinstance(s, str) and not s.strip("() \n\t"))]
        if len(bare) == 1 and isinstance(bare[0], _Ref) and not bare[0].table:
            elem = self.elem_for(table, bare[0].name)
        elif self.pg and len(body) == 1:
            elem = self.elem_for(table, self.fold(body[0]))
        else:
            if self.pg and frag.ast is not None:
                while isinstance(frag.ast, exp.Paren):
                    frag.ast = frag.ast.this
                if isinstance(frag.ast, exp.Collate):
                    elem.collation = frag.ast.expression.name
                    frag.ast = frag.ast.this
            elem.expression = frag
        self.elem_tail(c, elem)
        if not c.done:
            raise _Unmodelled
        return elem

    # -- CREATE VIEW / RULE ---------------------------------------------------------------------------------------
    def create_view(self, cur: _Cursor, stmt: _Stmt, *, replace: bool) -> None:
        cur.expect("VIEW")
        if_not_exists = cur.accept("IF", "NOT", "EXISTS")
        schema, name = cur.qualified()
        schema = self.norm_schema(schema)
        existing = self.find(schema, name)
        if existing is not None:
            if if_not_exists:
                return
            if not (replace and existing.kind == "view"):
                raise _Refused(f'relation "{name}" already exists' if self.pg else f"view {name} already exists")
            self.remove_table(existing)
        view = _Table(name, schema, kind="view")
        self.add_table(view)
        if cur.type() == TokenType.L_PAREN:
            view.columns = [_Col(self.fold(t), "") for t in cur.group() if t.token_type != TokenType.COMMA]
            return
        cur.until(lambda c: c.at("AS"))
        cur.expect("AS")
        body = cur.rest()
        try:
            select = self.sg.parse(stmt.sql[body[0].start : body[-1].end + 1])[0] if body else None
        except (ParseError, TokenError, RecursionError):
            select = None
        if isinstance(select, exp.Query):
            if self.pg:
                select = normalize_identifiers(select, dialect="postgres")
            names = select.named_selects
            if names and all(n and n != "*" for n in names):
                view.columns = [_Col(n, self.view_column_type(select, i)) for i, n in enumerate(names)]
                return
        self.notes_pending.append(f"columns of view {name} not derived")

    def view_column_type(self, select: exp.Query, position: int) -> str:
        """The type of a view column that is a plain column of the one table in FROM (else unknown: ``""``)."""
        source = select.args.get("from_")
        if not isinstance(select, exp.Select) or select.args.get("joins") or source is None:
            return ""
        base = source.this
        node = select.expressions[position].unalias()
        if not isinstance(base, exp.Table) or not isinstance(node, exp.Column):
            return ""
        table = self.find(base.db or None, base.name)
        column = next((c for c in table.columns if self.same(c.name, node.name)), None) if table else None
        return column.type if column is not None else ""

    def create_rule(self, cur: _Cursor) -> None:
        name = cur.name()
        cur.expect("AS")
        cur.expect("ON")
        event = cur.name().upper()
        cur.expect("TO")
        table = self.table(*cur.qualified())
        if event in ("INSERT", "UPDATE"):
            table.rules.add(name)

    # -- ALTER TABLE ----------------------------------------------------------------------------------------------
    def alter_table(self, cur: _Cursor, stmt: _Stmt) -> None:
        if_exists = cur.accept("IF", "EXISTS")
        cur.accept("ONLY")
        schema, name = cur.qualified()
        if cur.type() == TokenType.STAR:
            cur.i += 1
        found = self.find(schema, name)
        if found is None:
            index = self.find_index(schema, name) if self.pg else None
            if index is not None:  # ALTER TABLE works on indexes too (RENAME TO)
                self.alter_relation(_Cursor(stmt.tokens, stmt.sql, self.fold), stmt, "TABLE")
                return
            if if_exists:
                return
            self.table(schema, name)
        table = self.table(schema, name, kinds=("table", "partitioned", "view"))
        actions = _split_commas(cur.rest())
        if not self.pg and len(actions) != 1:
            raise _Refused('near ",": syntax error')
        for part in actions:
            self.alter_action(_Cursor(part, stmt.sql, self.fold), table, stmt)

    def alter_action(self, c: _Cursor, table: _Table, stmt: _Stmt) -> None:
        if c.accept("RENAME"):
            self.rename(c, table)
        elif c.accept("ADD"):
            if c.word() in _TABLE_CONSTRAINT_WORDS and not c.at("CONSTRAINT", "TRIGGER"):
                self.add_constraint(c, table, stmt)
            else:
                c.accept("COLUMN")
                self.add_column(c, table, stmt)
        elif c.accept("DROP"):
            if c.accept("CONSTRAINT"):
                self.drop_constraint(c, table)
            else:
                c.accept("COLUMN")
                self.drop_column(c, table)
        elif c.accept("ALTER"):
            if not self.pg:
                raise _Refused('near "ALTER": syntax error')
            c.accept("COLUMN")
            self.alter_column(c, table, stmt)
        elif self.pg and c.accept("SET", "SCHEMA"):
            table.schema = self.norm_schema(c.name())
        elif self.pg and c.word() in _HARMLESS_ALTER_TABLE and not c.at("SET", "DATA"):
            return  # OWNER TO, ENABLE/DISABLE TRIGGER, CLUSTER ON, REPLICA IDENTITY, SET (…), SET TABLESPACE, …
        else:
            raise _Unmodelled

    def rename(self, c: _Cursor, table: _Table) -> None:
        if c.accept("TO"):
            _, new = c.qualified()
            if self.find(table.schema, new) is not None:
                raise _Refused(
                    f'relation "{new}" already exists'
                    if self.pg
                    else f"there is already another table or index with this name: {new}"
                )
            old = table.name
            table.name = new
            if not self.pg:
                for key in table.keys:
                    for frag in [e.expression for e in key.elements] + [key.predicate]:
                        if frag is not None:
                            frag.rename(old, new, self.same, table=True)
            return
        if c.accept("CONSTRAINT"):
            if not self.pg:
                raise _Unmodelled
            old, _ = c.name(), c.expect("TO")
            new = c.name()
            target = next((k for k in table.keys if k.name == old and k.kind in CONSTRAINT_KINDS), None)
            other = next((o for o in table.others if o.name == old), None)
            if target is None and other is None:
                raise _Refused(f'constraint "{old}" for table "{table.name}" does not exist')
            if target is not None:
                target.name = new
            if other is not None:
                other.name = new
            return
        c.accept("COLUMN")
        old = c.name()
        c.expect("TO")
        new = c.name()
        col = next((x for x in table.columns if self.same(x.name, old)), None)
        if col is None:
            raise _Refused(f'column "{old}" does not exist' if self.pg else f'no such column: "{old}"')
        col.name = new
        for key in table.keys:
            for elem in key.elements:
                if elem.column is not None and self.same(elem.column, old):
                    elem.column = new
                if elem.expression is not None:
                    elem.expression.rename(old, new, self.same)
            key.include = [new if self.same(i, old) else i for i in key.include]
            if key.predicate is not None:
                key.predicate.rename(old, new, self.same)
        for other in table.others:
            other.columns = {new if self.same(x, old) else x for x in other.columns}
            if other.owner_column is not None and self.same(other.owner_column, old):
                other.owner_column = new
        for x in table.columns:
            if x.generated is not None:
                x.generated.rename(old, new, self.same)

    def add_constraint(self, c: _Cursor, table: _Table, stmt: _Stmt) -> None:
        if not self.pg:
            raise _Refused(f'near "{c.t[c.i].text}": syntax error')
        save = c.i
        cname = c.name() if c.accept("CONSTRAINT") else None
        kind: KeyKind | None = "primary_key" if c.accept("PRIMARY", "KEY") else "unique" if c.accept("UNIQUE") else None
        if kind is not None and c.accept("USING", "INDEX"):
            iname = c.name()
            found = next((k for k in table.keys if k.name == iname and k.kind in ("unique_index", "index")), None)
            if found is None:
                raise _Refused(f'index "{iname}" does not exist')
            found.kind = kind
            found.name = cname or found.name
            self.deferral(c, found)
            if kind == "primary_key":
                for col in self.key_columns(table, found):
                    col.nullable = False
            if not c.done:
                raise _Unmodelled
            return
        c.i = save
        found = _Found()
        self.table_constraint(c, table, stmt, found, in_create=False)
        self.pg_name_checks(table, found.checks)
        table.others.extend(found.checks)
        for key in found.keys:
            self.add_key_pg(table, key)
        for fk, cols in found.fks:
            self.add_other_pg(table, fk, cols)

    def add_column(self, c: _Cursor, table: _Table, stmt: _Stmt) -> None:
        if_not_exists = c.accept("IF", "NOT", "EXISTS")
        if c.done:  # ``ADD COLUMN`` without a column
            raise _Unmodelled
        if any(self.same(x.name, c.t[c.i].text if not self.pg else self.fold(c.t[c.i])) for x in table.columns):
            if if_not_exists:
                return
            name = self.fold(c.t[c.i])
            raise _Refused(
                f'column "{name}" of relation "{table.name}" already exists'
                if self.pg
                else f"duplicate column name: {name}"
            )
        found = _Found()
        try:
            col = self.column_def(c, table, stmt, found)
        except _Unmodelled:
            table.columns.pop()
            raise
        if not self.pg:
            refusal = (
                "Cannot add a PRIMARY KEY column"
                if any(k.kind == "primary_key" for k in found.keys)
                else "Cannot add a UNIQUE column"
                if found.keys
                else "Cannot add a NOT NULL column with default value NULL"
                if not col.nullable and col.default is None and col.generated is None
                else None
            )
            if refusal is not None:
                table.columns.remove(col)
                raise _Refused(refusal)
            table.others.extend(found.checks)
            table.others.extend(fk for fk, _ in found.fks)
            return
        self.pg_name_checks(table, found.checks)
        table.others.extend(found.checks)
        for key in sorted(found.keys, key=lambda k: k.kind != "primary_key"):
            self.add_key_pg(table, key)
        for fk, cols in found.fks:
            self.add_other_pg(table, fk, cols)

    def drop_constraint(self, c: _Cursor, table: _Table) -> None:
        if not self.pg:
            raise _Refused('near "CONSTRAINT": syntax error')
        if_exists = c.accept("IF", "EXISTS")
        name = c.name()
        key = next((k for k in table.keys if k.name == name and k.kind in CONSTRAINT_KINDS), None)
        other = next((o for o in table.others if o.name == name), None)
        if key is not None:
            table.keys.remove(key)
        elif other is not None:
            table.others.remove(other)
        elif not if_exists:
            raise _Refused(f'constraint "{name}" of relation "{table.name}" does not exist')

    def drop_column(self, c: _Cursor, table: _Table) -> None:
        if_exists = self.pg and c.accept("IF", "EXISTS")
        if c.done:  # ``DROP COLUMN`` without a column
            raise _Unmodelled
        written = c.t[c.i].text
        name = c.name()
        col = next((x for x in table.columns if self.same(x.name, name)), None)
        if col is None:
            if if_exists:
                return
            raise _Refused(
                f'column "{name}" of relation "{table.name}" does not exist'
                if self.pg
                else f'no such column: "{written}"'
            )
        if not self.pg:
            self.sqlite_may_drop_column(table, col)
        table.columns.remove(col)
        table.keys = [k for k in table.keys if not any(self.same(x, col.name) for x in k.columns())]
        table.others = [o for o in table.others if not any(self.same(x, col.name) for x in o.columns)]
        for seq, owner in list(self.sequences.items()):
            if owner == (table.name, col.name):
                del self.sequences[seq]

    def sqlite_may_drop_column(self, table: _Table, col: _Col) -> None:
        """sqlite3AlterDropColumn's refusals, in its order, with its messages."""
        in_pk = any(
            k.kind == "primary_key" and any(self.same(x.name, col.name) for x in self.key_columns(table, k))
            for k in table.keys
        )
        if in_pk or col.unique_flag:
            raise _Refused(f'cannot drop {"PRIMARY KEY" if in_pk else "UNIQUE"} column: "{col.name}"')
        if len(table.columns) <= 1:
            raise _Refused(f'cannot drop column "{col.name}": no other columns exist')
        uses = lambda names: any(self.same(x, col.name) for x in names)  # noqa: E731
        for other in table.others:
            if other.kind == "fk" and other.owner_column is None and uses(other.columns):
                raise _Refused(
                    f'error in table {table.name} after drop column: unknown column "{col.name}" in foreign key '
                    "definition"
                )
        table_refs = [
            o.columns
            for o in table.others
            if o.kind == "check" and not (o.owner_column is not None and self.same(o.owner_column, col.name))
        ]
        table_refs += [k.columns() for k in table.keys if k.from_table_definition]
        table_refs += [x.generated.columns() for x in table.columns if x.generated is not None and x is not col]
        if any(uses(refs) for refs in table_refs):
            raise _Refused(f"error in table {table.name} after drop column: no such column: {col.name}")
        for key in table.keys:
            if not key.from_table_definition and uses(key.columns()):
                raise _Refused(f"error in index {key.name} after drop column: no such column: {col.name}")

    def alter_column(self, c: _Cursor, table: _Table, stmt: _Stmt) -> None:
        name = c.name()
        col = next((x for x in table.columns if x.name == name), None)
        if col is None:
            raise _Refused(f'column "{name}" of relation "{table.name}" does not exist')
        if c.accept("SET", "NOT", "NULL"):
            col.nullable = False
        elif c.accept("DROP", "NOT", "NULL"):
            if any(k.kind == "primary_key" and name in k.columns() for k in table.keys):
                raise _Refused(f'column "{name}" is in a primary key')
            col.nullable = True
        elif c.accept("SET", "DEFAULT"):
            col.default = self.expr_text(c.rest(), stmt.sql, table)
        elif c.accept("DROP", "DEFAULT"):
            col.default = None
        elif c.accept("SET", "DATA", "TYPE") or c.accept("TYPE"):
            type_tokens = c.until(lambda cc: cc.at("COLLATE") or cc.at("USING"))
            if not type_tokens:  # ``TYPE`` without a type
                raise _Unmodelled
            col.type = " ".join(stmt.sql[type_tokens[0].start : type_tokens[-1].end + 1].split()).lower()
            if c.accept("COLLATE"):
                col.collation = c.name()
            c.rest()
        elif c.accept("DROP", "IDENTITY"):
            c.accept("IF", "EXISTS")
            col.identity, col.autoincrement = None, False
        elif c.accept("ADD", "GENERATED"):
            identity = "always" if c.accept("ALWAYS") else "by default"
            c.accept("BY", "DEFAULT")
            c.expect("AS", "IDENTITY")
            if c.type() == TokenType.L_PAREN:
                c.group()
            col.identity, col.autoincrement = identity, True
            self.add_sequence(table, col.name)
        elif c.accept("DROP", "EXPRESSION"):
            c.accept("IF", "EXISTS")
            col.generated = None
        elif (
            c.at("SET", "STATISTICS")
            or c.at("SET", "STORAGE")
            or c.at("SET", "COMPRESSION")
            or (c.at("SET") and c.type(1) == TokenType.L_PAREN)
            or (c.at("RESET") and c.type(1) == TokenType.L_PAREN)
        ):
            c.rest()
        else:
            raise _Unmodelled
        if not c.done:
            raise _Unmodelled

    # -- ALTER INDEX / VIEW / SEQUENCE ----------------------------------------------------------------------------
    def alter_relation(self, cur: _Cursor, stmt: _Stmt, what: str) -> None:
        if what == "TABLE":
            cur.expect("ALTER", "TABLE")
        if_exists = cur.accept("IF", "EXISTS")
        schema, name = cur.qualified()
        if not cur.accept("RENAME"):
            if what == "INDEX" and cur.at("ATTACH"):
                raise _Unmodelled
            return  # SET TABLESPACE, OWNER TO, SET (…), sequence options
        if what == "VIEW" and not cur.at("TO"):
            self.rename(cur, self.table(schema, name, kinds=("view",)))
            return
        cur.expect("TO")
        new = cur.name()
        schema = self.norm_schema(schema)
        if what in ("INDEX", "TABLE"):
            found = self.find_index(schema, name)
            if found is None:
                if if_exists:
                    return
                raise _Refused(f'relation "{name}" does not exist')
            found[1].name = new  # the constraint an index backs is renamed with it
        elif what == "VIEW":
            self.table(schema, name, kinds=("view",)).name = new
        elif (schema, name) in self.sequences:
            self.sequences[(schema, new)] = self.sequences.pop((schema, name))
        elif (schema, name) in self.relations:
            self.relations.discard((schema, name))
            self.relations.add((schema, new))

    # -- DROP -----------------------------------------------------------------------------------------------------
    def drop(self, cur: _Cursor) -> None:
        cur.expect("DROP")
        what = cur.name().upper()
        if what == "MATERIALIZED":
            cur.expect("VIEW")
            what = "MATERIALIZED VIEW"
        if what not in ("TABLE", "VIEW", "INDEX", "SEQUENCE", "MATERIALIZED VIEW", "RULE", "SCHEMA"):
            if what in _HARMLESS_OBJECTS and not any(t.text.upper() == "CASCADE" for t in cur.t):
                return
            if what in ("TRIGGER", "POLICY", "STATISTICS", "PUBLICATION", "ROLE", "USER"):
                return
            raise _Unmodelled
        cur.accept("CONCURRENTLY")
        if_exists = cur.accept("IF", "EXISTS")
        if what == "RULE":
            rule = cur.name()
            cur.expect("ON")
            table = self.find(*cur.qualified())
            if table is not None:
                table.rules.discard(rule)
            return
        names = [cur.qualified()]
        while cur.type() == TokenType.COMMA:
            cur.i += 1
            names.append(cur.qualified())
        cascade = cur.accept("CASCADE")
        cur.accept("RESTRICT")
        if not cur.done:
            raise _Unmodelled
        for schema, name in names:
            self.drop_one(what, self.norm_schema(schema), name, if_exists=if_exists, cascade=cascade)

    def drop_one(self, what: str, schema: str | None, name: str, *, if_exists: bool, cascade: bool) -> None:
        if what == "SCHEMA":
            if cascade:
                for t in self.tables:
                    if t.schema == name:
                        self.remove_table(t)
            return
        if what == "INDEX":
            found = self.find_index(schema, name)
            if found is None:
                if not if_exists:
                    raise _Refused(f'index "{name}" does not exist' if self.pg else f"no such index: {name}")
                return
            table, key = found
            if key.kind in CONSTRAINT_KINDS or (not self.pg and key.from_table_definition):
                raise _Refused(
                    f"cannot drop index {name} because constraint {name} on table {table.name} requires it"
                    if self.pg
                    else "index associated with UNIQUE or PRIMARY KEY constraint cannot be dropped"
                )
            table.keys.remove(key)
            return
        if what in ("SEQUENCE", "MATERIALIZED VIEW"):
            self.sequences.pop((schema, name), None)
            self.relations.discard((schema, name))
            return
        table = self.find(schema, name)
        kinds = ("view",) if what == "VIEW" else ("table", "partitioned", "virtual")
        if table is None or table.kind not in kinds:
            if not if_exists:
                raise _Refused(
                    f'{what.lower()} "{name}" does not exist' if self.pg else f"no such {what.lower()}: {name}"
                )
            return
        self.remove_table(table)
        for seq, owner in list(self.sequences.items()):
            if seq[0] == table.schema and owner is not None and owner[0] == table.name:
                del self.sequences[seq]
        if cascade:
            for other_table in self.tables:
                other_table.others = [
                    o for o in other_table.others if not (o.references and self.same(o.references[1], name))
                ]

    # -- thaw / freeze --------------------------------------------------------------------------------------------
    def thaw(self, catalog: Catalog) -> None:
        """Continue from an existing Catalog (``base``): its tables become the starting model."""
        if catalog.dialect != self.dialect:
            raise ValueError(f"base catalog is {catalog.dialect}, not {self.dialect}")
        self.notes.extend(catalog.notes)
        self.notes_pending = []
        for t in catalog.tables:
            table = _Table(t.name, t.schema, kind=t.kind, without_rowid=t.without_rowid)
            table.rules = {"(rule)"} if t.has_rules else set()
            table.columns = [
                _Col(c.name, c.type, c.nullable, c.default, c.autoincrement, c.identity, None, c.collation)
                for c in t.columns
            ]
            self.add_table(table)
            for c, frozen in zip(table.columns, t.columns, strict=True):
                if frozen.generated is not None:
                    c.generated = self.frag_text(frozen.generated, table)
            table.others = [_Other(n, "other", set()) for n in t.other_constraints]
            for k in t.keys:
                elems = [
                    _Elem(
                        e.column,
                        self.frag_text(e.expression, table) if e.expression else None,
                        e.collation,
                        e.opclass,
                        e.descending,
                        op,
                    )
                    for e, op in zip(
                        k.elements, [*k.operators, *[None] * (len(k.elements) - len(k.operators))], strict=True
                    )
                ]
                table.keys.append(
                    _Key(
                        k.name,
                        k.kind,
                        elems,
                        list(k.include),
                        self.frag_text(k.predicate, table) if k.predicate else None,
                        k.deferrable,
                        k.initially_deferred,
                        k.nulls_not_distinct,
                        k.method,
                        from_table_definition=k.kind in ("primary_key", "unique"),
                    )
                )
        self.end_statement()

    def effective_collation(self, collation: str | None) -> str | None:
        """A key element's collation, None when it is the engine default (what ON CONFLICT matching compares)."""
        default = "default" if self.pg else "BINARY"
        return None if collation is None or collation.lower() == default.lower() else collation

    def freeze(self, *, source: str, revision: str | None, exclude: Sequence[str]) -> Catalog:
        tables = []
        for t in self.tables:
            if any(self.same(t.name, x) for x in exclude):
                continue
            columns = tuple(
                Column(
                    name=c.name,
                    type=c.type,
                    normalized_type=normalize_type(c.type),
                    nullable=c.nullable,
                    default=c.default,
                    autoincrement=c.autoincrement,
                    identity=c.identity,  # type: ignore[arg-type]
                    generated=c.generated.text(self.dialect) if c.generated else None,
                    collation=c.collation,
                )
                for c in t.columns
            )
            keys = tuple(
                Key(
                    name=k.name,
                    kind=k.kind,
                    elements=tuple(
                        KeyElement(
                            column=e.column,
                            expression=e.expression.text(self.dialect) if e.expression is not None else None,
                            collation=self.effective_collation(e.collation),
                            opclass=e.opclass,
                            descending=e.descending,
                        )
                        for e in k.elements
                    ),
                    include=tuple(k.include),
                    predicate=k.predicate.text(self.dialect) if k.predicate is not None else None,
                    deferrable=k.deferrable,
                    initially_deferred=k.initially_deferred,
                    nulls_not_distinct=k.nulls_not_distinct,
                    method=k.method,
                    operators=tuple(e.operator or "" for e in k.elements) if k.kind == "exclusion" else (),
                )
                for k in t.keys
            )
            tables.append(
                Table(
                    name=t.name,
                    schema=t.schema,
                    columns=columns,
                    keys=keys,
                    kind=t.kind,  # type: ignore[arg-type]
                    without_rowid=t.without_rowid,
                    other_constraints=tuple(o.name for o in t.others if o.name),
                    has_rules=bool(t.rules),
                )
            )
        return Catalog(
            dialect=self.dialect, tables=tuple(tables), source=source, revision=revision, notes=tuple(self.notes)
        )


# -- statement splitting --------------------------------------------------------------------------------------------
def _statements(sql: str, sg: SqlglotDialect) -> Iterator[_Stmt | str]:
    """Statements with their tokens; a chunk the tokenizer rejects is yielded as ``"<line>\\x00<text>"``."""
    try:
        yield from _split(sg.tokenize(sql), sql)
        return
    except TokenError:
        pass
    # fall back to chunks ending at a line-final semicolon, so one bad literal costs one statement
    pos, line = 0, 1
    for match in re.finditer(r";[ \t]*(?:--[^\n]*)?(?:\n|\Z)|\Z", sql):
        chunk = sql[pos : match.end()]
        if chunk.strip():
            padded = "\n" * (line - 1) + chunk  # keeps token line numbers those of the file
            try:
                yield from _split(sg.tokenize(padded), padded)
            except TokenError:
                first = next(i for i, ch in enumerate(chunk) if not ch.isspace())
                yield f"{line + chunk[:first].count(chr(10))}\x00{chunk.strip()}"
        line += chunk.count("\n")
        pos = match.end()
        if pos >= len(sql):
            break


_MULTIWORD = re.compile(r"[A-Za-z_]+(?:\s+[A-Za-z_]+)+\Z")


def _expand(tokens: list[Token], sql: str) -> Iterator[Token]:
    """Split sqlglot's multi-word keyword tokens (``PRIMARY KEY``, ``FOREIGN KEY``) into one token per word."""
    for tok in tokens:
        raw = sql[tok.start : tok.end + 1]
        if " " not in tok.text or not _MULTIWORD.match(raw):
            yield tok
            continue
        for m in re.finditer(r"[A-Za-z_]+", raw):
            yield Token(TokenType.VAR, m.group(), tok.line, tok.col, tok.start + m.start(), tok.start + m.end() - 1)


def _split(tokens: list[Token], sql: str) -> Iterator[_Stmt]:
    """Split at ``;`` except inside ``CREATE … BEGIN … END`` bodies (triggers, BEGIN ATOMIC functions)."""
    current: list[Token] = []
    depth = case_depth = 0
    for tok in _expand(tokens, sql):
        word = tok.text.upper() if _is_word(tok, sql) else ""
        if tok.token_type == TokenType.SEMICOLON and depth == 0:
            if current:
                yield _Stmt(current, sql, current[0].line)
            current, case_depth = [], 0
            continue
        if current and current[0].text.upper() == "CREATE":
            if word == "BEGIN":
                depth += 1
            elif word == "CASE":
                case_depth += 1
            elif word == "END":
                if case_depth:
                    case_depth -= 1
                elif depth:
                    depth -= 1
        current.append(tok)
    if current:
        yield _Stmt(current, sql, current[0].line)


# -- public API -----------------------------------------------------------------------------------------------------
def _replay(replay: _Replay, sql: str, where: str) -> None:
    for item in _statements(sql, replay.sg):
        if isinstance(item, str):
            line, text = item.split("\x00", 1)
            replay.notes.append(f"{where}:{line}: not modelled: {' '.join(text.split())[:80]}")
        else:
            replay.run(item, where)


def catalog_from_ddl(
    sql: str,
    dialect: Dialect,
    *,
    source: str = "",
    path: str | None = None,
    exclude: Sequence[str] = DEFAULT_EXCLUDE,
) -> Catalog:
    """Replay DDL text (a schema file, or Alembic's ``upgrade --sql`` output for PostgreSQL) into a Catalog.

    Statements that cannot change tables, columns or keys are skipped; anything else that is not modelled becomes a
    note ``"<path>:<line>: not modelled: <text>"``; a statement the engine would refuse becomes a note with the
    engine's message and has no effect. Tables named in ``exclude`` (Alembic's ``alembic_version``) are left out.
    """
    replay = _Replay(dialect)
    where = path or "<sql>"
    _replay(replay, sql, where)
    return replay.freeze(source=source or f"ddl:{where}", revision=None, exclude=exclude)


def schema_files(paths: Sequence[Path]) -> list[Path]:
    """The files ``paths`` stand for (a directory: its ``*.sql`` in name order).

    A missing path, or a directory without ``.sql`` files, is a ConfigError naming it: replaying nothing would give
    an empty schema, and every statement would then be reported against tables that "do not exist".
    """
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found = sorted(path.glob("*.sql"))
            if not found:
                raise ConfigError(f"{path}: schema SQL directory without .sql files (--schema-sql / schema-sql)")
            files.extend(found)
        elif path.exists():
            files.append(path)
        else:
            raise ConfigError(f"{path}: no such schema SQL file or directory (--schema-sql / schema-sql)")
    return files


def catalog_from_files(
    paths: Sequence[Path],
    dialect: Dialect,
    *,
    base: Catalog | None = None,
    exclude: Sequence[str] = DEFAULT_EXCLUDE,
) -> Catalog:
    """Replay DDL files in order (a directory stands for its ``*.sql`` files in name order), optionally on ``base``."""
    replay = _Replay(dialect)
    if base is not None:
        replay.thaw(base)
    for file in schema_files(paths):
        text = read_text(file).replace("\r\n", "\n").replace("\r", "\n")  # universal newlines, as open() reads
        _replay(replay, text, str(file))
    source = "ddl:" + ", ".join(str(p) for p in paths)
    return replay.freeze(source=source, revision=base.revision if base else None, exclude=exclude)
