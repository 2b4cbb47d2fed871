"""A replay in progress: the engine's rules, the tables so far, the notes, and what every statement reader shares.

Statement readers (``create_table``, ``create_index``, ``views``, ``alter``, ``drop``) receive the :class:`Replay`
and change its tables; a reader raises :class:`~schema_parity.sources.ddl.statement.Unmodelled` for a form it does
not read and :class:`~schema_parity.sources.ddl.model.Refused` where the engine refuses the statement.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from schema_parity.catalog import Dialect, UserType
from schema_parity.sources.ddl.dialect import Rules
from schema_parity.sources.ddl.model import Frag, Key, Parsed, Ref, Refused, Table, Tables
from schema_parity.sources.ddl.statement import Stmt, Unmodelled
from schema_parity.sql.groups import Cursor, SyntaxMismatch
from schema_parity.sql.tokens import Token, TokenType, is_word, tokenize, word

__all__ = ["Replay"]


_DOT, _IDENTIFIER, _L_PAREN = TokenType.DOT, TokenType.IDENTIFIER, TokenType.L_PAREN

_K = TypeVar("_K")
_V = TypeVar("_V")


class ByObject(Generic[_K, _V]):
    """A mapping keyed by object identity (tables and keys are mutable dataclasses, equal by value). It holds its
    keys, so an id is never reused by another object while it is in the mapping."""

    def __init__(self) -> None:
        self._items: dict[int, tuple[_K, _V]] = {}

    def __bool__(self) -> bool:
        return bool(self._items)

    def __contains__(self, obj: object) -> bool:
        return id(obj) in self._items

    def __getitem__(self, obj: _K) -> _V:
        return self._items[id(obj)][1]

    def __setitem__(self, obj: _K, value: _V) -> None:
        self._items[id(obj)] = (obj, value)

    def __delitem__(self, obj: _K) -> None:
        del self._items[id(obj)]

    def get(self, obj: _K, default: _V | None = None) -> _V | None:
        item = self._items.get(id(obj))
        return item[1] if item is not None else default

    def pop(self, obj: _K, default: _V | None = None) -> _V | None:
        item = self._items.pop(id(obj), None)
        return item[1] if item is not None else default


_TYPELESS = (("ALTER", "TABLE"), ("CREATE", "TABLE"), ("CREATE", "INDEX"), ("CREATE", "UNIQUE"), ("ALTER", "INDEX"),
             ("DROP", "TABLE"), ("DROP", "INDEX"), ("CREATE", "VIEW"), ("ALTER", "VIEW"), ("DROP", "VIEW"),
             ("CREATE", "SEQUENCE"), ("ALTER", "SEQUENCE"), ("DROP", "SEQUENCE"), ("CREATE", "MATERIALIZED"),
             ("ALTER", "MATERIALIZED"), ("DROP", "MATERIALIZED"))


class Replay:
    """Applies statements one by one to a mutable model of the schema."""

    def __init__(self, rules: Rules) -> None:
        self.rules = rules
        self.dialect: Dialect = rules.name
        self.tables = Tables(rules.same, rules.key)
        self.notes: list[str] = []
        self.notes_pending: list[str] = []
        """Notes of the statement being replayed; prefixed with its location when it ends."""
        self.public_functions: dict[str, frozenset[tuple[str, ...]] | None] = {}
        """The functions the script created in the default schema: name → their argument types (None: not all read)."""
        self.doubts_pending: list[tuple[str, Table | None]] = []
        """Doubts the statement being replayed raised about a table it applied (a function PostgreSQL may resolve
        otherwise): notes, and the table uncertain, when it ends."""
        self.search_path: list[str] | None = None
        """PostgreSQL's ``search_path`` as the script set it (``session``); None: the default, ``"$user", public``."""
        self.session_search_path: list[str] | None = None
        """The path outside the transaction block (``SET LOCAL`` ends with it; ROLLBACK restores ``block_path``)."""
        self.in_block = False
        """A transaction block is open (BEGIN)."""
        self.block_path: list[str] | None = None
        """The session's path when the open transaction block began."""
        self.temporary = False
        """A relation was created in the temporary schema: unqualified names are looked up there first."""
        self.opaque: ByObject[Table, None] = ByObject()
        """Temporary tables whose columns were not read (``CREATE TEMP TABLE … AS``): they take their name, and what a
        statement on them does is not noted (it cannot reach the Catalog)."""
        self.parents: ByObject[Table, Table] = ByObject()
        """PostgreSQL partitions: partition → its partitioned table."""
        self.view_indexes: dict[tuple[str | None, str], set[str]] = {}
        """PostgreSQL materialized views (name only) → the names of their indexes, which take relation names."""
        self.inherits: ByObject[Table, list[Table]] = ByObject()
        """PostgreSQL table inheritance: child → the tables named in its INHERITS."""
        self.key_parents: ByObject[Key, Key] = ByObject()
        """PostgreSQL partition indexes: a partition's index → the partitioned table's index it is attached to."""
        self.doubts: ByObject[Table, list[str]] = ByObject()
        """Tables a statement that was not modelled (or refused) named → its notes: their keys may be wrong."""
        self.doubted_names: list[tuple[str | None, str, str]] = []
        """The same for names that were no table then (an unmodelled CREATE TABLE): schema, name, note."""
        self.parsed: dict[str, Parsed] = {}
        """Expressions parsed so far, by their text (PostgreSQL): a text is parsed and printed once per replay."""
        self.types: dict[tuple[str | None, str], UserType] = {}
        """PostgreSQL: the types the script defined (``user_types``), by schema (None: the default) and name."""
        self.types_read = rules.name == "postgresql"
        """Whether ``types`` are all the script's types (False once a statement that may define one was not read)."""
        self.collations_written = False
        """PostgreSQL: the script has created or altered a collation (not read: any name may then exist)."""

    def _defines_no_type(self, stmt: Stmt) -> bool:
        """Whether a statement the replay did not model is one that defines no type (a table, index, view or sequence
        statement); after any other, the types the replay knows may not be all the script's (``types_read``)."""
        cur = self.cursor(stmt.tokens, stmt)
        return any(cur.at(*words) for words in _TYPELESS)

    def run(self, stmt: Stmt, where: str, read: Callable[[Replay, Stmt], None]) -> None:
        """Replay one statement with ``read``; what it does not model or the engine refuses becomes a note."""
        self.notes_pending, self.doubts_pending = [], []
        note: str | None = None
        # ALTER/DROP INDEX: the index's table, looked up before the reader, which may drop the index and then fail
        indexed = len(stmt.tokens) > 1 and word(stmt.tokens[1], stmt.sql) == "INDEX"
        named = self._named(stmt) if indexed else None
        try:
            read(self, stmt)
        except SyntaxMismatch:
            note = f"{where}:{stmt.line}: not modelled: {' '.join(stmt.text.split())[:80]}"
            if self.types_read and not self._defines_no_type(stmt):
                self.types_read = False
        except Refused as refused:
            note = f"{where}:{stmt.line}: {refused}"
        finally:
            self.tables.end_statement()
        if note is not None:
            named = named if indexed else self._named(stmt)
            if isinstance(named, Table) and named in self.opaque:
                note = None  # the engine's answer is unknown, and the table ends with the session
        if note is not None:
            self.notes.append(note)
            self.doubt(note, named)
        if self.notes_pending:
            self.notes.extend(f"{where}:{stmt.line}: {n}" for n in self.notes_pending)
        if note is None:
            for reason, table in self.doubts_pending:
                self.notes.append(f"{where}:{stmt.line}: {reason}")
                self.doubt(self.notes[-1], table)

    def doubt(self, note: str, named: Table | tuple[str | None, str] | None) -> None:
        """Mark the table ``named`` as uncertain: the replay did not apply the statement (the engine may have), or
        cannot tell what the engine built.
        A statement whose table cannot be read keeps only its note."""
        if isinstance(named, Table):
            self.doubts[named] = [*(self.doubts.get(named) or []), note]
        elif named is not None:
            self.doubted_names.append((self.lookup_schema(*named), named[1], note))

    def _named(self, stmt: Stmt) -> Table | tuple[str | None, str] | None:
        """The table a statement works on, read from its first words: ALTER TABLE, CREATE [UNIQUE] INDEX … ON,
        CREATE TABLE, DROP TABLE, and ALTER/DROP INDEX (the table of the index); None for any other statement, or
        when the words cannot be read."""
        try:
            return self._read_named(stmt)
        except SyntaxMismatch:
            return None

    def _read_named(self, stmt: Stmt) -> Table | tuple[str | None, str] | None:
        cur = self.cursor(stmt.tokens, stmt)
        verb = cur.word()
        cur.i += 1
        if verb in ("ALTER", "DROP") and cur.accept("INDEX"):
            cur.accept("CONCURRENTLY")
            cur.accept("IF", "EXISTS")
            found = self.find_index(*cur.qualified())
            return found[0] if found is not None else None
        temporary = False
        if verb == "CREATE":
            cur.accept("OR", "REPLACE")
            while cur.word() in ("TEMP", "TEMPORARY", "GLOBAL", "LOCAL", "UNLOGGED"):
                temporary = temporary or cur.word() in ("TEMP", "TEMPORARY")
                cur.i += 1
            if cur.accept("UNIQUE") or cur.at("INDEX"):
                cur.expect("INDEX")
                while not cur.done and not cur.at("ON"):
                    cur.i += 1
                cur.expect("ON")
                cur.accept("ONLY")
            else:
                cur.expect("TABLE")
                cur.accept("IF", "NOT", "EXISTS")
        elif verb in ("ALTER", "DROP"):
            cur.expect("TABLE")
            cur.accept("IF", "EXISTS")
            cur.accept("ONLY")
        else:
            return None
        schema, name = cur.qualified()
        if temporary and schema is None:  # CREATE TEMP TABLE: the uncertain name is the temporary one
            schema = self.rules.temp_schema
        return self.find(schema, name) or (schema, name)

    def cursor(self, tokens: list[Token], stmt: Stmt) -> Cursor:
        return Cursor(tokens, stmt.sql, self.rules.fold)

    # -- look-ups -----------------------------------------------------------------------------------------------
    def lookup_schema(self, schema: str | None, name: str) -> str | None:
        """The schema an object ``name`` written with ``schema`` (None: unqualified) is looked up in. The temporary
        schema comes first unless the search path places it (PostgreSQL's ``pg_temp``, SQLite's ``temp``)."""
        if schema is not None:
            return self._schema(schema)
        temp = self.rules.temp_schema
        if self.search_path is None:
            return temp if self.temporary and self.tables.relation_taken(temp, name) else self.rules.norm_schema(None)
        path = self._path()
        for candidate in path if not self.temporary or temp in path else [temp, *path]:
            if self.tables.relation_taken(candidate, name):  # tables, indexes, sequences share names
                return candidate
        return path[0] if path else "pg_catalog"  # found nowhere: the engine's "does not exist"

    def creation_schema(self, schema: str | None, *, temporary: bool = False) -> str | None:
        """The schema a CREATE puts a relation in: the one written, else the first of the search path; a TEMP one
        in the temporary schema, which no other may name."""
        temp = self.rules.temp_schema
        if temporary:
            if schema is not None and self._schema(schema) != temp:
                raise Refused(self.rules.temporary_elsewhere())
            where: str | None = temp
        elif schema is not None or self.search_path is None:
            where = self._schema(schema)
        else:
            path = self._path()
            if not path:
                raise Refused("no schema has been selected to create in")
            where = path[0]
        self.temporary = self.temporary or where == temp
        return where

    def _schema(self, schema: str | None) -> str | None:
        """A written schema as the model keys it: the default as None, the temporary schema by one spelling."""
        if schema is not None and self.rules.same(schema, self.rules.temp_schema):
            return self.rules.temp_schema
        return self.rules.norm_schema(schema)

    def _path(self) -> list[str | None]:
        return [self._schema(s) for s in self.search_path or () if s not in ("$user", "pg_catalog", "")]

    def find(self, schema: str | None, name: str) -> Table | None:
        return self.tables.find(self.lookup_schema(schema, name), name)

    def table(self, schema: str | None, name: str, *, kinds: tuple[str, ...] = ("table", "partitioned")) -> Table:
        """The table a statement works on; the engine refuses the statement when there is none."""
        found = self.find(schema, name)
        if found is None or found.kind not in kinds:
            raise Refused(self.rules.no_table(name))
        return found

    def find_index(self, schema: str | None, name: str) -> tuple[Table, Key] | None:
        any_schema = self.rules.indexes_in_any_schema
        return self.tables.find_index(self.lookup_schema(schema, name), name, any_schema=any_schema)

    # -- expressions --------------------------------------------------------------------------------------------
    def frag(self, tokens: list[Token], sql: str, table: Table | None) -> Frag:
        """An expression: its source text with the table's column names marked, and (PostgreSQL) its AST."""
        if not tokens:  # ``CHECK ()``, ``AS ()``: an empty expression is a syntax error on both engines
            raise Unmodelled
        fold, same = self.rules.fold, self.rules.same
        columns = [c.name for c in table.columns] if table is not None else []
        text = sql[tokens[0].start : tokens[-1].end + 1]
        segments: list[str | Ref] = []
        pos = tokens[0].start
        for i, tok in enumerate(tokens):
            segments.append(sql[pos : tok.start])
            raw = sql[tok.start : tok.end + 1]
            pos = tok.end + 1
            nxt = tokens[i + 1].token_type if i + 1 < len(tokens) else None
            name_like = tok.token_type == _IDENTIFIER or is_word(tok, sql)
            if name_like and nxt == _DOT:
                # the table is the part before the column: ``main.t.b``'s ``t`` (SQLite renames it), not its schema
                schema = i + 3 < len(tokens) and tokens[i + 3].token_type == _DOT
                segments.append(raw if schema else Ref(fold(tok), raw, table=True))
            elif name_like and nxt != _L_PAREN and columns:
                folded = fold(tok)
                column = next((c for c in columns if same(folded, c)), None)
                segments.append(raw if column is None else Ref(column, raw))
            else:
                segments.append(raw)
        if not self.rules.expressions_parsed:
            return Frag(None, [s for s in segments if s != ""])
        public = "public" in text.lower()  # the calls resolve_functions looks at are public.f(…)
        parsed = None if public else self.parsed.get(text)
        if parsed is None:
            parsed = Parsed(self.rules.expression(text))
            if public and parsed.ast is not None:  # resolved against this table: not shared
                parsed.ast, unsure = self.rules.resolve_functions(parsed.ast, table, self.public_functions)
                self.doubts_pending.extend((reason, table) for reason in unsure)
            elif not public:
                self.parsed[text] = parsed
        if parsed.ast is None:
            self.notes_pending.append(f"expression kept as written: {text[:80]}")
            for i in self.rules.capitalized(tokens):  # token i's text is segment 2i+1, after the gap before it
                word = segments[2 * i + 1]
                if isinstance(word, str):
                    segments[2 * i + 1] = word.upper()
        return Frag(parsed.ast, [s for s in segments if s != ""], parsed)

    def frag_text(self, text: str, table: Table | None) -> Frag:
        return self.frag(tokenize(text, self.dialect).tokens, text, table)

    def expr_text(self, tokens: list[Token], sql: str, table: Table | None) -> str:
        return self.frag(tokens, sql, table).text(self.dialect)
