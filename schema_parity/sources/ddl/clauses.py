"""Column definitions, table constraints and index elements: the clauses CREATE TABLE, ALTER TABLE … ADD and
CREATE INDEX share.

What they read is collected in a :class:`~schema_parity.sources.ddl.model.Found` and applied by the statement
(through the dialect's rules) once the whole statement is read, because the engines name and merge keys only then.
"""

from __future__ import annotations

from sqlglot import exp

from schema_parity.catalog import KeyKind
from schema_parity.sources.ddl.model import Col, Elem, Found, Key, Other, Ref, Refused, Table
from schema_parity.sources.ddl.replay import Replay
from schema_parity.sources.ddl.statement import Stmt, Unmodelled, items
from schema_parity.sql.groups import Cursor
from schema_parity.sql.tokens import Token, TokenType, is_word

__all__ = ["column_constraints", "column_def", "deferral", "index_elem", "nulls_clause", "table_constraint"]

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

#: What ends a column's type: a column constraint, SQLite's ``ON CONFLICT`` clause, or ``AUTOINCREMENT`` (a keyword
#: SQLite's type names cannot hold: ``integer AUTOINCREMENT`` is a syntax error there).
_TYPE_ENDS = _COLUMN_CONSTRAINT_WORDS | {"ON", "AUTOINCREMENT"}

#: Operators whose right operand a column DEFAULT's expression goes on to (gram.y's b_expr; SQLite's ``DEFAULT -term``).
_OPERATORS = frozenset({
    TokenType.PLUS, TokenType.DASH, TokenType.STAR, TokenType.SLASH, TokenType.MOD, TokenType.DPIPE, TokenType.EQ,
    TokenType.NEQ, TokenType.LT, TokenType.LTE, TokenType.GT, TokenType.GTE,
})


#: PostgreSQL 15's collations in every database (pg_catalog; initdb adds the server's locales, which vary).
_PG_BUILT_IN_COLLATIONS = ("default", "C", "POSIX", "ucs_basic")


def collation(replay: Replay, c: Cursor) -> str:
    """The collation after ``COLLATE``: PostgreSQL's may be schema-qualified (pg_dump writes ``pg_catalog."C"``), and
    keys compare collations by name; SQLite's is one name (``COLLATE main.nocase`` is a syntax error there).

    PostgreSQL refuses a name that differs from a built-in collation's only by case (``"DEFAULT"``, ``C`` folded to
    ``c``): no server locale is named so, and the replay refuses it only while the script has made no collation
    (CREATE or ALTER COLLATION, or a statement it did not read): any other name may exist."""
    if replay.dialect != "postgresql":
        return c.name()
    if not c.done and c.tokens[c.i].token_type != TokenType.IDENTIFIER and c.word() == "DEFAULT":
        raise Unmodelled  # a reserved word: a syntax error
    schema, name = c.qualified()
    if (
        schema in (None, "pg_catalog")
        and name not in _PG_BUILT_IN_COLLATIONS
        and name.lower() in (n.lower() for n in _PG_BUILT_IN_COLLATIONS)
        and replay.types_read
        and not replay.collations_written
    ):
        written = name if schema is None else f"{schema}.{name}"
        raise Refused(f'collation "{written}" for encoding "UTF8" does not exist')
    return name


def _written(c: Cursor, stmt: Stmt) -> str:
    """The next token as the script spells it (SQLite's ``near "…"`` quotes the source text)."""
    token = c.tokens[c.i]
    return stmt.sql[token.start : token.end + 1]


def _names(tokens: list[Token], replay: Replay) -> list[str]:
    return [replay.rules.fold(t) for t in tokens if t.token_type != TokenType.COMMA]


# -- columns --------------------------------------------------------------------------------------------------------
def column_def(replay: Replay, c: Cursor, table: Table, stmt: Stmt, found: Found) -> Col:
    """``name type constraints…``: the column is added to ``table``, its keys and constraints to ``found``."""
    name = c.name()
    if c.i == len(c.tokens) - 1 and c.word() not in _TYPE_ENDS:  # ``name type``: what the general path would read
        type_token = c.tokens[c.i]
        c.i += 1
        col = Col(name, stmt.sql[type_token.start : type_token.end + 1])
        table.columns.append(col)
        replay.rules.column_type(replay.tables, table, col, col.type)
        return col
    type_tokens = c.until(lambda cc: cc.word() in _TYPE_ENDS)
    type_text = stmt.sql[type_tokens[0].start : type_tokens[-1].end + 1] if type_tokens else ""
    col = Col(name, type_text)
    table.columns.append(col)  # before its constraints, which may name it
    replay.rules.column_type(replay.tables, table, col, type_text)
    column_constraints(replay, c, table, col, stmt, found=found)
    return col


def column_constraints(replay: Replay, c: Cursor, table: Table, col: Col, stmt: Stmt, *, found: Found) -> None:
    """The constraints after a column's type (or a partition's ``col WITH OPTIONS``), into ``col`` and ``found``."""
    first_spec = len(found.keys)
    _constraints(replay, c, table, col, stmt, found=found)
    for spec in found.keys[first_spec:]:  # the column's final COLLATE applies to its own keys (both engines)
        spec.elements[0].collation = col.collation


def _constraints(replay: Replay, c: Cursor, table: Table, col: Col, stmt: Stmt, *, found: Found) -> None:
    rules = replay.rules
    last_key: Key | None = None  # PostgreSQL's DEFERRABLE … sets the constraint just before it, which must be a key
    seen: set[str] = set()  # the attribute clauses of that constraint read so far (``_constraint_attribute``)
    while not c.done:
        cname = c.name() if c.accept("CONSTRAINT") else None
        if c.at("DEFERRABLE") or c.at("NOT", "DEFERRABLE") or c.at("INITIALLY"):
            if replay.dialect == "sqlite":  # ``CONSTRAINT x`` is a column clause of its own there
                _defer_subclause(replay, c, stmt)
            elif cname is not None:  # a name before an attribute: PostgreSQL's syntax error
                raise Unmodelled
            else:
                _constraint_attribute(c, last_key, seen)
            continue
        if not c.at("COLLATE"):  # COLLATE is no constraint to PostgreSQL (SplitColQualList): the key before it stays
            seen = set()
        if c.accept("NOT", "NULL"):
            col.nullable, last_key = False, None
        elif c.accept("NULL"):
            col.nullable, last_key = True, None
        elif c.accept("PRIMARY", "KEY"):
            desc = c.accept("DESC")
            c.accept("ASC")
            last_key = Key(cname, "primary_key", [table.element(col.name, rules.same)], from_table_definition=True)
            last_key.elements[0].descending = rules.column_key_descending(desc)
            last_key.column_level = True
            _index_tail(replay, c, last_key, stmt, table, column=True)
            autoincrement = c.accept("AUTOINCREMENT")
            _one_primary_key(replay, table, found)
            found.keys.append(last_key)
            if autoincrement:  # sqlite3AddPrimaryKey: only on a rowid alias (exactly INTEGER, not DESC)
                if rules.name == "sqlite" and (desc or col.type.upper() != "INTEGER"):
                    raise Refused("AUTOINCREMENT is only allowed on an INTEGER PRIMARY KEY")
                found.autoincrement = True
        elif c.accept("UNIQUE"):
            last_key = Key(cname, "unique", [table.element(col.name, rules.same)], from_table_definition=True)
            last_key.nulls_not_distinct = nulls_clause(replay, c)
            found.keys.append(last_key)
            _index_tail(replay, c, last_key, stmt, table, column=True)
            col.unique_flag = True
        elif c.accept("CHECK"):
            names = replay.frag(c.group(), stmt.sql, table).columns()
            found.checks.append(Other(cname, "check", names, owner_column=col.name))
            found.checks[-1].inherited = not c.accept("NO", "INHERIT")
            last_key = None
        elif c.accept("DEFAULT"):
            if c.done:  # DEFAULT without an expression: a syntax error on both engines
                raise Unmodelled
            # The first word is the expression even when it spells a constraint word (DEFAULT NULL); a "(" is
            # left to ``until``, which then reads the whole group (DEFAULT (NULL)::int). A word after an operator
            # is its operand (DEFAULT -NULL::int, DEFAULT 1 + NULL).
            first = [] if c.type() == TokenType.L_PAREN else [c.tokens[c.i]]
            c.i += len(first)
            more = c.until(lambda cc: cc.word() in _COLUMN_CONSTRAINT_WORDS and cc.tokens[cc.i - 1].token_type
                           not in _OPERATORS)
            col.default, last_key = replay.expr_text([*first, *more], stmt.sql, table), None
        elif c.accept("COLLATE"):
            col.collation = collation(replay, c)
        elif c.accept("REFERENCES"):
            ref = c.qualified()
            if c.type() == TokenType.L_PAREN:
                c.group()
            _fk_tail(replay, c, stmt, column=True)
            found.fks.append((Other(cname, "fk", {col.name}, owner_column=col.name, references=ref), [col.name]))
            last_key = Key(cname, "unique", [])  # stands for the FOREIGN KEY its DEFERRABLE … sets (no key)
        elif c.accept("GENERATED"):
            last_key = None
            identity = "always" if c.accept("ALWAYS") else "by default" if c.accept("BY", "DEFAULT") else None
            c.expect("AS")
            if c.accept("IDENTITY"):
                if c.type() == TokenType.L_PAREN:
                    c.group()
                col.identity, col.autoincrement, col.nullable = identity or "always", True, False
                rules.add_sequence(replay.tables, table, col.name)
            else:
                col.generated = replay.frag(c.group(), stmt.sql, table)
                c.skip("STORED", "VIRTUAL")
        elif c.accept("AS"):
            col.generated = replay.frag(c.group(), stmt.sql, table)
            c.skip("STORED", "VIRTUAL")
        elif c.at("AUTOINCREMENT"):  # SQLite takes it only right after PRIMARY KEY (read there)
            rules.refuse_syntax(_written(c, stmt))
            raise Unmodelled
        elif c.accept("ON", "CONFLICT"):
            c.name()
        else:
            raise Unmodelled


def _one_primary_key(replay: Replay, table: Table, found: Found) -> None:
    """sqlite3AddPrimaryKey: a second PRIMARY KEY of a CREATE TABLE is refused when it is read."""
    if replay.dialect == "sqlite" and any(k.kind == "primary_key" for k in found.keys):
        raise Refused(f'table "{table.name}" has more than one primary key')


# -- clauses of keys ------------------------------------------------------------------------------------------------
def nulls_clause(replay: Replay, c: Cursor) -> bool:
    """``NULLS [NOT] DISTINCT``: whether NULLs conflict with each other (SQLite has neither form)."""
    if not c.at("NULLS"):
        return False
    replay.rules.refuse_syntax("NULLS")
    if c.accept("NULLS", "NOT", "DISTINCT"):
        return True
    if not c.accept("NULLS", "DISTINCT"):  # ``NULLS`` alone (a syntax error): CREATE INDEX's loop would wait forever
        raise Unmodelled
    return False


def _index_tail(replay: Replay, c: Cursor, key: Key, stmt: Stmt, table: Table, *, column: bool = False) -> None:
    """INCLUDE (…), WITH (…), USING INDEX TABLESPACE x, WHERE (…) (EXCLUDE), DEFERRABLE …, ON CONFLICT x.

    SQLite's grammar has only ON CONFLICT of these; a column's ``[NOT] DEFERRABLE`` is a clause of its own there
    (``_defer_subclause``), and a column's attribute clauses one each to PostgreSQL (``_constraint_attribute``):
    both left to the column's loop."""
    while not c.done:
        if c.at("INCLUDE") or c.at("WITH") or c.at("USING", "INDEX", "TABLESPACE"):
            replay.rules.refuse_syntax(c.tokens[c.i].text)
        if c.accept("INCLUDE"):
            key.include = _names(c.group(), replay)
        elif c.accept("WITH"):
            c.group()
        elif c.accept("USING", "INDEX", "TABLESPACE"):
            c.name()
        elif c.at("WHERE") and key.kind == "exclusion":
            c.i += 1
            key.predicate = replay.frag(c.group(), stmt.sql, table)
        elif column and (
            c.at("DEFERRABLE") or c.at("NOT", "DEFERRABLE") or (c.at("INITIALLY") and replay.dialect == "postgresql")
        ):
            return
        elif c.at("DEFERRABLE") or c.at("NOT", "DEFERRABLE") or c.at("INITIALLY"):
            replay.rules.refuse_syntax(c.tokens[c.i].text)
            deferral(c, key)
        elif c.accept("ON", "CONFLICT"):
            c.name()
        else:
            return


_ATTRIBUTES = (("DEFERRABLE",), ("NOT", "DEFERRABLE"), ("INITIALLY", "DEFERRED"), ("INITIALLY", "IMMEDIATE"))


def _attribute(c: Cursor) -> str:
    """The next ``[NOT] DEFERRABLE`` or ``INITIALLY DEFERRED | IMMEDIATE``, read; ``INITIALLY`` alone (a syntax error)
    is not modelled (the callers' loops would wait there forever)."""
    for words in _ATTRIBUTES:
        if c.accept(*words):
            return " ".join(words)
    raise Unmodelled


def deferral(c: Cursor, key: Key) -> None:
    """PostgreSQL's ConstraintAttributeSpec after a table constraint: ``[NOT] DEFERRABLE``, ``INITIALLY DEFERRED |
    IMMEDIATE`` in any order, repeated (gram.y refuses contradicting ones as it reads them); applied only once all
    are read (processCASbits: INITIALLY DEFERRED implies DEFERRABLE)."""
    bits: set[str] = set()
    while c.at("DEFERRABLE") or c.at("NOT", "DEFERRABLE") or c.at("INITIALLY"):
        bits.add(_attribute(c))
        if {"NOT DEFERRABLE", "INITIALLY DEFERRED"} <= bits:
            raise Refused("constraint declared INITIALLY DEFERRED must be DEFERRABLE")
        if {"DEFERRABLE", "NOT DEFERRABLE"} <= bits or {"INITIALLY DEFERRED", "INITIALLY IMMEDIATE"} <= bits:
            raise Refused("conflicting constraint properties")
    if not bits:
        raise Unmodelled
    key.deferrable = bool(bits & {"DEFERRABLE", "INITIALLY DEFERRED"})
    key.initially_deferred = "INITIALLY DEFERRED" in bits


def _constraint_attribute(c: Cursor, key: Key | None, seen: set[str]) -> None:
    """transformConstraintAttrs: one attribute clause of a PostgreSQL column constraint, which sets the constraint
    just before it (``key``: None when that is no key or FOREIGN KEY); ``seen`` holds that constraint's earlier
    ones, whose kind may not repeat."""
    clause = _attribute(c)
    if key is None:
        raise Refused(f"misplaced {clause} clause")
    kind = "initially" if clause.startswith("INITIALLY") else "deferrability"
    if kind in seen:
        raise Refused(
            "multiple INITIALLY IMMEDIATE/DEFERRED clauses not allowed"
            if kind == "initially"
            else "multiple DEFERRABLE/NOT DEFERRABLE clauses not allowed"
        )
    seen.add(kind)
    if clause == "DEFERRABLE":
        key.deferrable = True
    elif clause == "NOT DEFERRABLE":
        key.deferrable = False
        if "initially" in seen and key.initially_deferred:
            raise Refused("constraint declared INITIALLY DEFERRED must be DEFERRABLE")
    elif clause == "INITIALLY DEFERRED":
        key.initially_deferred = True
        if "deferrability" not in seen:  # INITIALLY DEFERRED alone: DEFERRABLE assumed
            key.deferrable = True
        elif not key.deferrable:
            raise Refused("constraint declared INITIALLY DEFERRED must be DEFERRABLE")
    else:
        key.initially_deferred = False


def _defer_subclause(replay: Replay, c: Cursor, stmt: Stmt) -> None:
    """SQLite's ``[NOT] DEFERRABLE [INITIALLY DEFERRED | IMMEDIATE]``: a column clause of its own, which sets the
    deferral of the table's last FOREIGN KEY (``sqlite3DeferForeignKey``), never a key's (SQLite checks a UNIQUE at
    once), or the one optional clause ending a table FOREIGN KEY."""
    if not (c.accept("DEFERRABLE") or c.accept("NOT", "DEFERRABLE")):
        replay.rules.refuse_syntax(_written(c, stmt))  # ``INITIALLY`` first
    if not c.accept("INITIALLY", "DEFERRED"):
        c.accept("INITIALLY", "IMMEDIATE")


def _fk_tail(replay: Replay, c: Cursor, stmt: Stmt, *, column: bool = False) -> None:
    """``MATCH x``, ``ON DELETE | UPDATE action``, then (a table constraint's) its deferral and ``NOT VALID``
    (SQLite's grammar has no NOT VALID: a syntax error there).

    A column's ``[NOT] DEFERRABLE …`` is a constraint clause of its own in both grammars, left to the column's loop.
    """
    while not c.done:
        if c.accept("MATCH"):
            c.name()
        elif c.accept("ON", "DELETE") or c.accept("ON", "UPDATE"):
            if not (c.accept("NO", "ACTION") or c.accept("SET", "NULL") or c.accept("SET", "DEFAULT")):
                c.name()
            if c.type() == TokenType.L_PAREN:
                c.group()
        elif c.at("DEFERRABLE") or c.at("NOT", "DEFERRABLE") or c.at("INITIALLY"):
            if column:
                return
            if replay.dialect == "sqlite":  # defer_subclause_opt: one clause (a next table constraint may follow)
                _defer_subclause(replay, c, stmt)
                if c.at("DEFERRABLE") or c.at("NOT") or c.at("INITIALLY"):
                    replay.rules.refuse_syntax(_written(c, stmt))
            else:
                deferral(c, Key(None, "unique", []))
        elif c.accept("NOT", "VALID"):
            replay.rules.refuse_syntax("VALID")
        else:
            return


def _column_list(replay: Replay, tokens: list[Token], stmt: Stmt, table: Table, key: Key) -> list[Elem]:
    """Elements of a PRIMARY KEY's or UNIQUE's column list: SQLite's ``a [COLLATE x] [ASC|DESC]``; PostgreSQL's
    names only (gram.y's ``columnList``), the last of two or more possibly ``WITHOUT OVERLAPS`` (PostgreSQL 18's
    temporal keys); anything else is a syntax error there."""
    elems = []
    parts = items(tokens)
    for position, part in enumerate(parts):
        c = replay.cursor(part, stmt)
        token = c.tokens[c.i] if not c.done else None
        name = c.name()
        if replay.rules.name == "sqlite" and token is not None and table.column(name, replay.rules.same) is None:
            _refuse_sqlite_key_name(token, stmt.sql, name)
        elem = table.element(name, replay.rules.same)
        if replay.rules.name == "sqlite":  # PostgreSQL's columnList has names only: the rest is a syntax error
            _elem_tail(replay, c, elem)
        if c.at("WITHOUT", "OVERLAPS"):
            if not replay.rules.has("WITHOUT OVERLAPS"):
                replay.rules.refuse_syntax(_written(c, stmt))
            if position != len(parts) - 1 or len(parts) < 2:
                raise Unmodelled
            c.accept("WITHOUT", "OVERLAPS")
            key.without_overlaps = True
            key.method = "gist"
        if not c.done:
            raise Unmodelled
        elems.append(elem)
    return elems


def _refuse_sqlite_key_name(token: Token, sql: str, name: str) -> None:
    """SQLite's refusal of a PRIMARY KEY or UNIQUE element naming no column, made as the constraint is parsed: a
    double-quoted name is then a string, and it and TRUE or FALSE are expressions."""
    if sql[token.start] == '"' or name.upper() in ("TRUE", "FALSE"):
        raise Refused("expressions prohibited in PRIMARY KEY and UNIQUE constraints")
    raise Refused(f"no such column: {name}")


def _sqlite_index_column(replay: Replay, table: Table, token: Token, sql: str) -> str | None:
    """The column a CREATE INDEX element of one name token names on SQLite, where a '…' string is a name too
    (sqlite3StringToId); refused when it names none, except a "…" name, which is then a string (an expression)."""
    if token.token_type != TokenType.STRING and (token.token_type not in _NAME_TOKENS or sql[token.start] == '"'):
        return None
    col = table.column(token.text, replay.rules.same)
    if col is None:
        raise Refused(f"no such column: {token.text}")
    return col.name


_NOT_OPCLASS = ("ASC", "DESC", "NULLS", "WITH", "WITHOUT")


def _elem_tail(replay: Replay, c: Cursor, elem: Elem) -> None:
    if c.accept("COLLATE"):
        elem.collation = collation(replay, c)
    if not c.done and c.word() not in _NOT_OPCLASS and replay.rules.has("operator class"):
        elem.opclass = c.qualified()[1]  # by name, as the catalog records it: pg_dump writes ``public.gin_trgm_ops``
        if c.type() == TokenType.L_PAREN:
            c.group()
    if c.accept("DESC"):
        elem.descending = True
    c.accept("ASC")
    if c.accept("NULLS"):
        order = c.word()
        c.name()
        if replay.dialect == "sqlite":  # parse.y reads it, sqlite3CreateIndex refuses it (keys too)
            if order not in ("FIRST", "LAST"):
                replay.rules.refuse_syntax(c.tokens[c.i - 1].text)
            raise Refused(f"unsupported use of NULLS {order}")


def table_constraint(replay: Replay, c: Cursor, table: Table, stmt: Stmt, found: Found, *, in_create: bool) -> None:
    """``[CONSTRAINT name] PRIMARY KEY | UNIQUE | EXCLUDE | CHECK | FOREIGN KEY …`` into ``found``."""
    cname = c.name() if c.accept("CONSTRAINT") else None
    if c.accept("PRIMARY", "KEY") or c.accept("UNIQUE"):
        kind: KeyKind = "primary_key" if c.tokens[c.i - 1].text.upper() == "KEY" else "unique"
        key = Key(cname, kind, [], from_table_definition=in_create)
        if kind == "unique":
            key.nulls_not_distinct = nulls_clause(replay, c)
        if c.at("USING", "INDEX") and not c.at("USING", "INDEX", "TABLESPACE"):
            raise Unmodelled  # handled by ALTER TABLE … ADD CONSTRAINT before reaching here
        key.elements = _column_list(replay, c.group(), stmt, table, key)
        _index_tail(replay, c, key, stmt, table)
        if kind == "primary_key":
            _one_primary_key(replay, table, found)
        found.keys.append(key)
    elif c.accept("EXCLUDE"):
        if not replay.rules.has("EXCLUDE"):
            raise Unmodelled
        key = Key(cname, "exclusion", [], from_table_definition=in_create)
        method = c.name().lower() if c.accept("USING") else None
        key.method = None if method == "btree" else method  # the default, as CREATE INDEX and reflection say
        for part in items(c.group()):
            ec = replay.cursor(part, stmt)
            body = ec.until(lambda cc: cc.at("WITH") and cc.type(1) != TokenType.L_PAREN)
            ec.expect("WITH")
            op_tokens = ec.rest()
            if not op_tokens:  # ``a WITH`` without an operator: a syntax error
                raise Unmodelled
            elem = index_elem(replay, replay.cursor(body, stmt), table, stmt)
            elem.operator = stmt.sql[op_tokens[0].start : op_tokens[-1].end + 1]
            key.elements.append(elem)
        _index_tail(replay, c, key, stmt, table)
        found.keys.append(key)
    elif c.accept("CHECK"):
        found.checks.append(Other(cname, "check", replay.frag(c.group(), stmt.sql, table).columns()))
        found.checks[-1].inherited = not c.accept("NO", "INHERIT")
        c.accept("NOT", "VALID")
    elif c.accept("FOREIGN", "KEY"):
        cols = _names(c.group(), replay)
        c.expect("REFERENCES")
        ref = c.qualified()
        if c.type() == TokenType.L_PAREN:
            c.group()
        _fk_tail(replay, c, stmt)
        found.fks.append((Other(cname, "fk", set(cols), references=ref), cols))
    else:
        raise Unmodelled
    if not c.done:
        raise Unmodelled


# -- index elements -------------------------------------------------------------------------------------------------
#: Tokens that are a name, and that sqlglot reads alone as a column: a bare non-keyword word or a quoted identifier.
_NAME_TOKENS = frozenset({TokenType.VAR, TokenType.IDENTIFIER})


def _column_named(replay: Replay, table: Table, token: Token, sql: str) -> str | None:
    """The table's column ``token`` names, as :meth:`Replay.frag` would mark it, or None (SQLite's '…' string that
    names one: ``_sqlite_index_column``)."""
    if token.token_type not in _NAME_TOKENS:
        return None
    if token.token_type == TokenType.VAR and not is_word(token, sql):
        return None
    folded = replay.rules.fold(token)
    return next((col.name for col in table.columns if replay.rules.same(folded, col.name)), None)


def index_elem(replay: Replay, c: Cursor, table: Table, stmt: Stmt) -> Elem:
    """``column | func(…) | (expr) | expr`` then ``[COLLATE x] [opclass] [ASC|DESC] [NULLS …]``."""
    rules = replay.rules
    body = rules.index_element_body(c)
    elem = Elem()
    column = _column_named(replay, table, body[0], stmt.sql) if len(body) == 1 else None
    if column is None and len(body) == 1 and rules.name == "sqlite":
        column = _sqlite_index_column(replay, table, body[0], stmt.sql)
    if column is not None:
        # A plain column (the common case): what the expression reading below would conclude, without parsing it.
        elem = table.element(column, rules.same)
        _elem_tail(replay, c, elem)
        if not c.done:
            raise Unmodelled
        return elem
    frag = replay.frag(body, stmt.sql, table)
    bare = [s for s in frag.segments if not (isinstance(s, str) and not s.strip("() \n\t"))]
    if len(bare) == 1 and isinstance(bare[0], Ref) and not bare[0].table:
        elem = table.element(bare[0].name, rules.same)
    elif rules.expressions_parsed and len(body) == 1:
        elem = table.element(rules.fold(body[0]), rules.same)
    else:
        if frag.ast is not None:
            while isinstance(frag.ast, exp.Paren):
                frag.ast = frag.ast.this
            if isinstance(frag.ast, exp.Collate):
                elem.collation = frag.ast.expression.name
                frag.ast = frag.ast.this
        refs, inner = [s for s in frag.segments if isinstance(s, Ref)], frag.ast
        while isinstance(inner, exp.Paren):
            inner = inner.this
        if isinstance(inner, exp.Column) and len(refs) == 1 and not refs[0].table:
            # ``(column COLLATE x)`` is the column (ComputeIndexAttrs strips the COLLATE and finds a Var)
            collation, elem = elem.collation, table.element(refs[0].name, rules.same)
            elem.collation = collation
        else:
            elem.expression = frag
    _elem_tail(replay, c, elem)
    if not c.done:
        raise Unmodelled
    return elem
