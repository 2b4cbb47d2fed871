"""Table definitions read from the code: ``Table(...)`` calls and ORM classes (declarative, ``Mapped``, SQLModel).

What an upsert needs of its table is its name and schema, its columns (name, key, primary key, Python default,
boolean type) and the naming convention its constraints get; ``Resolver.table`` finds them from the expression the
upsert names (a Table, a mapped class, ``Model.__table__``, a name bound or imported from either), through base
classes, mixins and declarative bases. What cannot be read statically raises ``Unresolved`` naming the expression.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass, field

from schema_parity.catalog import Dialect
from schema_parity.rules.undecided import reason
from schema_parity.sites.sqlalchemy.names import MAX_DEPTH, SQLA_ROOTS, ModuleInfo

#: SQLAlchemy's constraint classes by the naming convention key their names are made with.
CONSTRAINT_KINDS = {"UniqueConstraint": "uq", "PrimaryKeyConstraint": "pk", "Index": "ix", "ExcludeConstraint": "uq"}


class Unresolved(Exception):
    """A piece of the upsert that cannot be known without running the code: ``key`` is one of SP901's registered
    reasons (``schema_parity.rules.undecided.REASONS``), and the message its text, naming the expression.

    ``dialect`` is set once the dialect INSERT has been found, so even an unresolved site is judged only there.
    """

    dialect: Dialect | None = None

    def __init__(self, key: str, **fields: object) -> None:
        super().__init__(reason(key, **fields))
        self.key = key


# -- table definitions ------------------------------------------------------------------------------------------------
@dataclass
class ColumnDef:
    name: str
    key: str
    primary_key: bool = False
    python_default: bool = False
    boolean: bool = False


@dataclass
class TableDef:
    """What the upsert needs to know about a table: its names, columns and how its constraints are named."""

    name: str
    schema: str | None
    columns: dict[str, ColumnDef] = field(default_factory=dict)
    complete: bool = True
    """Every column is known (a base class or an unreadable column definition makes it False)."""
    naming_convention: dict[str, str] | None = None
    pk_name: str | None = None
    label: str = ""

    def column(self, key: str, label: str) -> ColumnDef:
        """The column with attribute/key ``key``; SQLAlchemy itself would fail on one that does not exist."""
        found = self.columns.get(key) or next((c for c in self.columns.values() if c.name == key), None)
        if found is None:
            if self.complete:
                raise Unresolved("not-a-column", label=label, table=self.label or self.name)
            found = self.columns[key] = ColumnDef(key, key)
        return found


class Resolver:
    """Turns expressions of one module into table definitions, SQLAlchemy objects and text; raises Unresolved."""

    def __init__(self, module: ModuleInfo, source: str) -> None:
        self.module = module
        self.source = source

    def label(self, node: ast.AST) -> str:
        return ast.get_source_segment(self.source, node) or ast.unparse(node)

    def table(self, node: ast.expr, module: ModuleInfo, depth: int = 0) -> TableDef:
        label = self.label(node) if module is self.module else node.__class__.__name__
        if depth > MAX_DEPTH:
            raise Unresolved("table-too-many-indirections", label=label)
        if isinstance(node, ast.Attribute) and node.attr == "__table__":
            return self.table(node.value, module, depth + 1)
        if isinstance(node, ast.Call):
            return self.table_call(node, module)
        binding = module.binding(node)
        if binding is None:
            raise Unresolved("table-not-in-tree", label=label)
        if binding.run_time is not None:
            raise Unresolved("table-at-run-time", label=label, binding=binding.run_time)
        if binding.node is None:
            broken = self.module.project.unreadable(binding.qualified or "")
            if broken is not None:
                raise Unresolved("table-in-unreadable-file", label=label, unreadable=broken)
            raise Unresolved("table-outside-tree", label=label, qualified=binding.qualified)
        if isinstance(binding.node, ast.ClassDef):
            return self.model(binding.node, binding.module)
        if isinstance(binding.node, ast.expr):
            return self.table(binding.node, binding.module, depth + 1)
        raise Unresolved("not-a-table", label=label)

    def table_call(self, call: ast.Call, module: ModuleInfo) -> TableDef:
        kind = module.sqlalchemy_name(call)
        if kind not in ("Table", "table") or not call.args:
            raise Unresolved("not-a-table-call", call=ast.unparse(call))
        name = self.string(call.args[0], module)
        schema = next((k.value for k in call.keywords if k.arg == "schema"), None)
        table = TableDef(name, self.string(schema, module) if schema is not None else None, label=name)
        extra = call.args[1:]
        if kind == "Table" and extra:
            table.naming_convention = self.convention(extra[0], module)
            extra = extra[1:]
        for item in extra:
            if isinstance(item, ast.Call) and module.sqlalchemy_name(item) in ("Column", "column"):
                column = self.column_call(item, None, module)
                if column is None:
                    table.complete = False
                else:
                    table.columns[column.key] = column
            elif isinstance(item, ast.Call) and module.sqlalchemy_name(item) == "PrimaryKeyConstraint":
                self.primary_key_constraint(item, table, module)
            elif isinstance(item, ast.Starred):
                table.complete = False
        return table

    def model(self, cls: ast.ClassDef, module: ModuleInfo, depth: int = 0) -> TableDef:
        """An ORM class: ``__tablename__``/``__table__``, SQLModel ``table=True``, columns of it and its bases."""
        body = _class_values(cls)
        if "__table__" in body:
            return self.table(body["__table__"], module, depth + 1)
        bases = [self.base(b, module, depth) for b in cls.bases]
        name_node = body.get("__tablename__")
        sqlmodel = any(k.arg == "table" and is_true(k.value) for k in cls.keywords)
        if name_node is not None:
            name = self.string(name_node, module)
        elif sqlmodel:
            name = cls.name.lower()
        else:
            mapped = next((b for b in bases if isinstance(b, TableDef)), None)
            if mapped is None:
                raise Unresolved("mapped-class-without-table", name=cls.name)
            return mapped  # single-table inheritance
        table = TableDef(name, None, label=cls.name)
        for base in bases:
            if isinstance(base, TableDef):  # joined inheritance: the parent's columns are not ours
                continue
            if base is None:
                table.complete = False
            else:
                table.columns.update(base.columns)
                table.naming_convention = table.naming_convention or base.naming_convention
                table.complete = table.complete and base.complete
        self.class_columns(cls, table, module, sqlmodel=sqlmodel or _is_sqlmodel(bases))
        args = body.get("__table_args__")
        items = args.elts if isinstance(args, (ast.Tuple, ast.List)) else []
        for item in items:
            if isinstance(item, ast.Call) and module.sqlalchemy_name(item) == "PrimaryKeyConstraint":
                self.primary_key_constraint(item, table, module)
            elif isinstance(item, ast.Dict):
                schema = _dict_get(item, "schema")
                table.schema = self.string(schema, module) if schema is not None else None
        return table

    def base(self, node: ast.expr, module: ModuleInfo, depth: int) -> TableDef | _Mixin | None:
        """A base class: a mapped class (inheritance), a mixin/declarative base (columns, naming convention) or
        None when unknown."""
        if depth > MAX_DEPTH:
            return None
        qualified = module.qualify(node) if isinstance(node, (ast.Name, ast.Attribute)) else None
        if qualified is not None and qualified.split(".")[0] in (*SQLA_ROOTS, "typing", "builtins"):
            return _Mixin({}, True, None, sqlmodel=qualified.endswith("SQLModel"))
        if isinstance(node, ast.Name) and node.id == "object":
            return _Mixin({}, True, None)
        binding = module.binding(node) if isinstance(node, (ast.Name, ast.Attribute)) else None
        if binding is None or binding.node is None:
            return None
        if isinstance(binding.node, ast.expr):  # Base = declarative_base(metadata=MetaData(naming_convention=...))
            call = binding.node
            if isinstance(call, ast.Call) and binding.module.sqlalchemy_name(call) in ("declarative_base", "registry"):
                metadata = next((k.value for k in call.keywords if k.arg == "metadata"), None)
                convention = self.convention(metadata, binding.module) if metadata is not None else None
                return _Mixin({}, True, convention)
            return None
        cls = binding.node
        if not isinstance(cls, ast.ClassDef):
            return None
        body = _class_values(cls)
        sqlmodel_table = any(k.arg == "table" and is_true(k.value) for k in cls.keywords)
        if "__tablename__" in body or "__table__" in body or sqlmodel_table:
            try:
                return self.model(cls, binding.module, depth + 1)
            except Unresolved:
                return None
        bases = [self.base(b, binding.module, depth + 1) for b in cls.bases]
        mixin = _Mixin({}, all(b is not None for b in bases), None, sqlmodel=_is_sqlmodel(bases))
        for base in bases:
            if isinstance(base, _Mixin):
                mixin.columns.update(base.columns)
                mixin.naming_convention = mixin.naming_convention or base.naming_convention
        if "metadata" in body:
            mixin.naming_convention = self.convention(body["metadata"], binding.module)
        holder = TableDef("", None, complete=mixin.complete)
        self.class_columns(cls, holder, binding.module, sqlmodel=mixin.sqlmodel)
        mixin.columns.update(holder.columns)
        mixin.complete = holder.complete
        return mixin

    def class_columns(self, cls: ast.ClassDef, table: TableDef, module: ModuleInfo, *, sqlmodel: bool) -> None:
        value: ast.expr | None
        for statement in cls.body:
            if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
                target, value, annotation = statement.targets[0], statement.value, None
            elif isinstance(statement, ast.AnnAssign):
                target, value, annotation = statement.target, statement.value, statement.annotation
            else:
                continue
            if not isinstance(target, ast.Name) or target.id.startswith("__"):
                continue
            attribute = target.id
            kind = module.sqlalchemy_name(value) if isinstance(value, ast.Call) else None
            if kind in ("Column", "mapped_column"):
                column = self.column_call(value, attribute, module)  # type: ignore[arg-type]
                if column is None:
                    table.complete = False
                else:
                    table.columns[attribute] = column
            elif annotation is not None and _mapped(annotation) is not None and value is None:
                boolean = _mapped(annotation) == "bool"
                table.columns[attribute] = ColumnDef(attribute, attribute, boolean=boolean)
            elif sqlmodel and annotation is not None and not _is_classvar(annotation):
                if kind == "Field" and isinstance(value, ast.Call):
                    if any(k.arg in ("sa_column", "sa_type", "sa_column_args") for k in value.keywords):
                        table.complete = False
                        continue
                    keywords = {k.arg for k in value.keywords}
                    default = bool({"default", "default_factory"} & keywords) or bool(value.args)
                    primary = any(k.arg == "primary_key" and is_true(k.value) for k in value.keywords)
                else:
                    default, primary = value is not None, False
                boolean = isinstance(annotation, ast.Name) and annotation.id == "bool"
                table.columns[attribute] = ColumnDef(attribute, attribute, primary, default, boolean)

    def column_call(self, call: ast.Call, attribute: str | None, module: ModuleInfo) -> ColumnDef | None:
        """``Column("db_name", ...)``/``mapped_column(...)``; None if its name cannot be read."""
        name: str | None = attribute
        boolean = False
        for arg in call.args:
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                name = arg.value
            elif module.sqlalchemy_name(arg) == "Boolean":
                boolean = True
        keywords = {k.arg: k.value for k in call.keywords if k.arg}
        if isinstance(keywords.get("name"), ast.Constant):
            name = keywords["name"].value  # type: ignore[attr-defined]
        key = keywords.get("key")
        key_text = key.value if isinstance(key, ast.Constant) else (attribute or name)
        if not isinstance(name, str) or not isinstance(key_text, str):
            return None  # a name that is not a string: SQLAlchemy refuses it, and we cannot read the column
        return ColumnDef(
            name,
            key_text,
            primary_key=is_true(keywords.get("primary_key")),
            python_default="default" in keywords or "insert_default" in keywords,
            boolean=boolean
            or (isinstance(keywords.get("type_"), ast.expr) and module.sqlalchemy_name(keywords["type_"]) == "Boolean"),
        )

    def primary_key_constraint(self, call: ast.Call, table: TableDef, module: ModuleInfo) -> None:
        names = [self.string(arg, module) for arg in call.args if isinstance(arg, ast.Constant)]
        for column in table.columns.values():
            column.primary_key = column.primary_key or column.key in names or column.name in names
        given = next((k.value for k in call.keywords if k.arg == "name"), None)
        table.pk_name = self.string(given, module) if given is not None else None

    def convention(self, node: ast.expr, module: ModuleInfo) -> dict[str, str] | None:
        """``MetaData(naming_convention={...})`` (or a name bound to it) → the convention, keys as SQLAlchemy has
        them (``"uq"``, ``"pk"``...); ``Base.metadata`` is the declarative base's."""
        if isinstance(node, ast.Attribute) and node.attr == "metadata":
            base = self.base(node.value, module, 0)
            return base.naming_convention if base is not None else None
        if isinstance(node, (ast.Name, ast.Attribute)):
            binding = module.binding(node)
            if binding is None or not isinstance(binding.node, ast.expr):
                return None
            node, module = binding.node, binding.module
        if not isinstance(node, ast.Call) or module.sqlalchemy_name(node) != "MetaData":
            return None
        value = next((k.value for k in node.keywords if k.arg == "naming_convention"), None)
        if isinstance(value, ast.Name):
            binding = module.lookup(value.id, value)
            value = binding.node if binding is not None and isinstance(binding.node, ast.expr) else None
        if not isinstance(value, ast.Dict):
            return None
        convention: dict[str, str] = {}
        for key, item in zip(value.keys, value.values, strict=True):
            text = key.value if isinstance(key, ast.Constant) else None
            if isinstance(key, (ast.Name, ast.Attribute)):
                text = CONSTRAINT_KINDS.get(module.sqlalchemy_name(key) or "")
            if isinstance(text, str) and isinstance(item, ast.Constant) and isinstance(item.value, str):
                convention[text] = item.value
        return convention

    # -- values --
    def string(self, node: ast.expr, module: ModuleInfo) -> str:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name):
            binding = module.lookup(node.id, node)
            if binding is not None and binding.qualified is not None:
                binding = module.resolve(binding.qualified)
            if binding is not None and isinstance(binding.node, ast.Constant) and isinstance(binding.node.value, str):
                return binding.node.value
        raise Unresolved("not-a-literal-string", label=self.label(node) if module is self.module else ast.unparse(node))

    def sequence(self, node: ast.expr, module: ModuleInfo, what: str) -> tuple[list[ast.expr], ModuleInfo]:
        """The items of a literal list/tuple, or of a name bound to one (a module constant, a local)."""
        seen = node
        for _ in range(MAX_DEPTH):
            if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
                if any(isinstance(item, ast.Starred) for item in node.elts):
                    break
                return list(node.elts), module
            binding = module.binding(node) if isinstance(node, ast.Name) else None
            if binding is None or not isinstance(binding.node, ast.expr):
                break
            node, module = binding.node, binding.module
        raise Unresolved("sequence-at-run-time", argument=what, label=self.label(seen))


@dataclass
class _Mixin:
    columns: dict[str, ColumnDef]
    complete: bool
    naming_convention: dict[str, str] | None
    sqlmodel: bool = False


def _is_sqlmodel(bases: Sequence[object]) -> bool:
    return any(isinstance(b, _Mixin) and b.sqlmodel for b in bases)


def _class_values(cls: ast.ClassDef) -> dict[str, ast.expr]:
    """The names a class body assigns a value to (``__tablename__``, ``__table__``, ``metadata``...)."""
    values: dict[str, ast.expr] = {}
    for statement in cls.body:
        if isinstance(statement, ast.Assign):
            targets, value = statement.targets, statement.value
        elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
            targets, value = [statement.target], statement.value
        else:
            continue
        values.update((target.id, value) for target in targets if isinstance(target, ast.Name))
    return values


def _dict_get(node: ast.Dict, key: str) -> ast.expr | None:
    return next(
        (v for k, v in zip(node.keys, node.values, strict=True) if isinstance(k, ast.Constant) and k.value == key), None
    )


def is_true(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def _mapped(annotation: ast.expr) -> str | None:
    """``Mapped[int]`` → ``"int"`` (``"?"`` for other inner types), else None."""
    if isinstance(annotation, ast.Subscript) and isinstance(annotation.value, (ast.Name, ast.Attribute)):
        outer = annotation.value.id if isinstance(annotation.value, ast.Name) else annotation.value.attr
        if outer == "Mapped":
            inner = annotation.slice
            return inner.id if isinstance(inner, ast.Name) else "?"
    return None


def _is_classvar(annotation: ast.expr) -> bool:
    head = annotation.value if isinstance(annotation, ast.Subscript) else annotation
    return isinstance(head, (ast.Name, ast.Attribute)) and (
        (head.id if isinstance(head, ast.Name) else head.attr) in ("ClassVar", "Relationship")
    )
