"""Upserts built with SQLAlchemy (``postgresql.insert``/``sqlite.insert`` + ``.on_conflict_*``) and project wrappers.

Nothing is executed: the call chain is read from the AST, the table is resolved through a light project index (Table
definitions and ORM classes, in any module of the scanned tree), and the conflict target is rebuilt as real SQLAlchemy
objects on a stand-in ``Table`` and compiled by SQLAlchemy itself, so quoting, naming conventions, ``Index`` objects
and the rendering of ``index_where`` (bind parameters on PostgreSQL, inlined literals on SQLite) are exactly what the
application would send. The INSERT head and the SET list are written by us (placeholders ``?``); a piece that cannot
be known statically makes the site unresolved with a reason naming the expression, or (the inserted column list, a
non-literal ``set_``) is left out so that no rule fires on a guess. Sites are located at the ``.on_conflict_*`` call
(the attribute name), or at the wrapper call.
"""

from __future__ import annotations

import ast
import os
import re
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from schema_parity.catalog import DIALECTS, Dialect
from schema_parity.limits import DEFAULT_MAX_FILE_SIZE
from schema_parity.sites import Origin, Site
from schema_parity.sites.scan import UnreadableFile, read_source

if TYPE_CHECKING:
    import sqlalchemy as sa

_ON_CONFLICT = frozenset({"on_conflict_do_update", "on_conflict_do_nothing"})
#: Chain methods that return the same INSERT and do not change what ON CONFLICT targets.
_PASS_THROUGH = frozenset(
    {"returning", "with_dialect_options", "prefix_with", "execution_options", "inline", "return_defaults"}
)
_CONSTRAINT_KINDS = {"UniqueConstraint": "uq", "PrimaryKeyConstraint": "pk", "Index": "ix", "ExcludeConstraint": "uq"}
_SQLA_ROOTS = ("sqlalchemy", "sqlmodel")
_MAX_DEPTH = 12


class _Unresolved(Exception):
    """A piece of the upsert that cannot be known without running the code; the message names the expression.

    ``dialect`` is set once the dialect INSERT has been found, so even an unresolved site is judged only there.
    """

    dialect: Dialect | None = None


@contextmanager
def _as_written(what: str) -> Iterator[None]:
    """Run SQLAlchemy (or a Python operator) on pieces read from the code: when it refuses them (``1 < "a"``, a
    constraint on a column the table does not have, a naming convention with an unknown token), the application
    would fail the same way, so the site is unresolved with that error rather than the scan stopped."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        yield
    except (SQLAlchemyError, TypeError, AttributeError, KeyError, ValueError) as exc:
        raise _Unresolved(f"{what} cannot be built as written: {type(exc).__name__}: {exc}") from None


@dataclass(frozen=True)
class Wrapper:
    """A project function that performs an upsert; each argument spec is a keyword name or a positional index.

    ``function`` is the dotted path of the function (``myapp.db.upsert``); a call matches when the called name,
    resolved through the caller's imports, is that path (or ends with it: ``src.myapp.db.upsert``). ``dialect`` None
    means the wrapper works on both engines. ``action`` says which ON CONFLICT action the wrapper emits.
    """

    function: str
    table: str | int
    index_elements: str | int | None = None
    constraint: str | int | None = None
    index_where: str | int | None = None
    dialect: Dialect | None = None
    action: Literal["update", "nothing"] = "update"

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Wrapper:
        """The configuration form: ``{"function": "myapp.db.upsert", "table": "model", ...}``; unknown keys raise."""
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown wrapper setting(s): {', '.join(sorted(unknown))}")
        if not isinstance(data.get("function"), str) or "table" not in data:
            raise ValueError('a wrapper needs "function" (a dotted path) and "table"')
        if data.get("dialect") not in (None, *DIALECTS):
            raise ValueError(f"wrapper dialect must be one of {', '.join(DIALECTS)}")
        if data.get("action", "update") not in ("update", "nothing"):
            raise ValueError('wrapper action must be "update" or "nothing"')
        return cls(**data)  # type: ignore[arg-type]

    @property
    def short_name(self) -> str:
        return self.function.rsplit(".", 1)[-1]


# -- the project index ------------------------------------------------------------------------------------------------
class Project:
    """The scanned tree's Python modules by dotted name, parsed on first use (only modules that define what a site
    refers to are ever read)."""

    def __init__(self, root: Path, files: Sequence[Path], *, max_file_size: int = DEFAULT_MAX_FILE_SIZE) -> None:
        self.root = root
        self.max_file_size = max_file_size
        self._paths: dict[str, Path] = {}
        self._by_suffix: dict[str, set[str]] = {}
        for path in files:
            if path.suffix != ".py":
                continue
            dotted = module_name(path, root)
            self._paths[dotted] = path
            parts = dotted.split(".")
            for start in range(len(parts)):
                self._by_suffix.setdefault(".".join(parts[start:]), set()).add(dotted)
        self._modules: dict[str, _ModuleInfo | None] = {}
        self._unreadable: dict[str, str] = {}  # dotted name -> why

    def add(self, dotted: str, tree: ast.Module) -> _ModuleInfo:
        """Register a module already parsed by the scanner."""
        info = _ModuleInfo(self, dotted, tree, is_package=self._is_package(dotted))
        self._modules[dotted] = info
        return info

    def module(self, dotted: str) -> _ModuleInfo | None:
        """The module imported as ``dotted`` (a layout prefix such as ``src.`` or ``backend.`` is allowed)."""
        candidates = self._by_suffix.get(dotted, set())
        exact = dotted if dotted in self._paths else (next(iter(candidates)) if len(candidates) == 1 else None)
        if exact is None:
            return None
        if exact not in self._modules:
            self._modules[exact] = None  # an import cycle sees "not found", never recursion
            try:
                with warnings.catch_warnings():  # the user's invalid escapes and the like are not ours to report
                    warnings.simplefilter("ignore")
                    tree = ast.parse(read_source(self._paths[exact], self.max_file_size))
            except UnreadableFile as exc:
                self._unreadable[exact] = str(exc)
                return None
            except (SyntaxError, ValueError) as exc:
                self._unreadable[exact] = f"not valid Python: {getattr(exc, 'msg', None) or exc}"
                return None
            except RecursionError:
                self._unreadable[exact] = "an expression is nested too deeply to analyse (RecursionError)"
                return None
            self._modules[exact] = _ModuleInfo(self, exact, tree, is_package=self._is_package(exact))
        return self._modules[exact]

    def unreadable(self, qualified: str) -> str | None:
        """Why the tree's module that ``qualified`` (``pkg.models.User``) lives in could not be read, if it could
        not: a site that needs it names that file instead of calling the name unknown."""
        parts = qualified.split(".")
        for end in range(len(parts), 0, -1):
            candidates = self._by_suffix.get(".".join(parts[:end]), set())
            for dotted in sorted(candidates & self._unreadable.keys()):
                name = Path(os.path.relpath(self._paths[dotted], self.root)).as_posix()
                return f"{name}, which could not be read ({self._unreadable[dotted]})"
        return None

    def _is_package(self, dotted: str) -> bool:
        path = self._paths.get(dotted)
        return path is not None and path.name == "__init__.py"


def module_name(path: Path, root: Path) -> str:
    """``pkg/sub/mod.py`` → ``pkg.sub.mod``; ``pkg/__init__.py`` → ``pkg``."""
    parts = list(Path(os.path.relpath(path, root)).with_suffix("").parts)
    if parts and parts[-1] == "__init__":
        parts.pop()
    return ".".join(part for part in parts if part not in ("", ".", "..")) or path.stem


@dataclass
class _Binding:
    """What a name refers to: an expression or class in ``module``, an import, or a function parameter."""

    module: _ModuleInfo
    node: ast.AST | None = None
    qualified: str | None = None  # an import: the dotted name it binds
    parameter: str | None = None  # the enclosing function, when the name is one of its parameters


class _ModuleInfo:
    """One module's imports and top-level bindings, and the scopes of its functions."""

    def __init__(self, project: Project, dotted: str, tree: ast.Module, *, is_package: bool) -> None:
        self.project = project
        self.dotted = dotted
        self.package = dotted if is_package else dotted.rpartition(".")[0]
        self.tree = tree
        self.imports: dict[str, str] = {}
        self.stars: list[str] = []
        self.top: dict[str, ast.AST] = {}
        self.parents: dict[int, ast.AST] = {}
        for statement in tree.body:
            self._bind_top(statement)

    def _bind_top(self, statement: ast.stmt) -> None:
        if isinstance(statement, ast.Import):
            for alias in statement.names:
                if alias.asname:
                    self.imports[alias.asname] = alias.name
                else:
                    root = alias.name.split(".")[0]
                    self.imports[root] = root
        elif isinstance(statement, ast.ImportFrom):
            base = self._absolute(statement)
            for alias in statement.names:
                if alias.name == "*":
                    self.stars.append(base)
                else:
                    self.imports[alias.asname or alias.name] = f"{base}.{alias.name}" if base else alias.name
        elif isinstance(statement, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            self.top[statement.name] = statement
        elif isinstance(statement, (ast.Assign, ast.AnnAssign)) and statement.value is not None:
            targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    self.top[target.id] = statement.value
        elif isinstance(statement, (ast.If, ast.Try)):  # ``if TYPE_CHECKING:`` imports, guarded definitions
            for inner in statement.body:
                self._bind_top(inner)

    def _absolute(self, statement: ast.ImportFrom) -> str:
        if not statement.level:
            return statement.module or ""
        base = self.package.split(".") if self.package else []
        base = base[: len(base) - (statement.level - 1)] if statement.level > 1 else base
        return ".".join([*base, *([statement.module] if statement.module else [])])

    def parent(self, node: ast.AST) -> ast.AST | None:
        if not self.parents:
            for holder in ast.walk(self.tree):
                for child in ast.iter_child_nodes(holder):
                    self.parents[id(child)] = holder
        return self.parents.get(id(node))

    def function_of(self, node: ast.AST) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        current = self.parent(node)
        while current is not None and not isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef)):
            current = self.parent(current)
        return current

    def lookup(self, name: str, at: ast.AST | None = None, depth: int = 0) -> _Binding | None:
        """The binding of ``name`` seen at ``at``: the closest earlier assignment in the enclosing function (source
        order), a parameter, then the module's own definitions, imports and star imports."""
        function = self.function_of(at) if at is not None else None
        while function is not None:
            found = _local_assignment(self, function, name, at)  # type: ignore[arg-type]
            if found is not None:
                return _Binding(self, found)
            arguments = function.args
            every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs, arguments.vararg, arguments.kwarg]
            if any(arg is not None and arg.arg == name for arg in every):
                return _Binding(self, parameter=function.name)
            function = self.function_of(function)
        if name in self.top:
            return _Binding(self, self.top[name])
        if name in self.imports:
            return _Binding(self, qualified=self.imports[name])
        if depth < _MAX_DEPTH:
            for star in self.stars:
                module = self.project.module(star)
                if module is not None and (found_star := module.lookup(name, depth=depth + 1)) is not None:
                    return found_star
        return None

    def qualify(self, node: ast.expr, depth: int = 0) -> str | None:
        """The dotted name an imported name or attribute chain stands for (``sa.dialects.postgresql.insert`` →
        ``sqlalchemy.dialects.postgresql.insert``), following re-exports of project modules."""
        chain: list[str] = []
        while isinstance(node, ast.Attribute):
            chain.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        binding = self.lookup(node.id, node)
        if binding is None or binding.qualified is None:
            return None
        return ".".join([binding.qualified, *reversed(chain)])

    def resolve(self, qualified: str, depth: int = 0) -> _Binding | None:
        """A dotted name defined in a project module: ``pkg.models.User`` → the class."""
        if depth > _MAX_DEPTH:
            return None
        head, _, name = qualified.rpartition(".")
        module = self.project.module(head) if head else None
        if module is None:
            return None
        binding = module.lookup(name, depth=depth + 1)
        if binding is not None and binding.qualified is not None:
            return module.resolve(binding.qualified, depth + 1) or binding
        return binding


def _local_assignment(
    module: _ModuleInfo, function: ast.FunctionDef | ast.AsyncFunctionDef, name: str, at: ast.AST
) -> ast.expr | None:
    """The value of the last assignment to ``name`` in ``function`` (not nested functions) that starts before ``at``."""
    line = getattr(at, "lineno", 0)
    best: tuple[int, int, ast.expr] | None = None
    stack: list[ast.AST] = list(function.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        targets: list[ast.expr] = []
        value: ast.expr | None = None
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, (ast.AnnAssign, ast.NamedExpr)) and node.value is not None:
            targets, value = [node.target], node.value
        if (
            value is not None
            and node.lineno < line  # type: ignore[attr-defined]
            and any(isinstance(t, ast.Name) and t.id == name for t in targets)
            and not _other_branch(module, node, at)
        ):
            key = (node.lineno, node.col_offset)  # type: ignore[attr-defined]
            if best is None or key > best[:2]:
                best = (*key, value)
        stack.extend(ast.iter_child_nodes(node))
    return best[2] if best is not None else None


def _other_branch(module: _ModuleInfo, assignment: ast.AST, use: ast.AST) -> bool:
    """Whether ``assignment`` sits in another branch of an if/try/match than ``use`` (so it cannot reach it)."""
    use_branches: dict[int, int] = {}
    current: ast.AST | None = use
    while current is not None:
        parent = module.parent(current)
        if parent is not None:
            use_branches[id(parent)] = _branch(parent, current)
        current = parent
    current = assignment
    while current is not None:
        parent = module.parent(current)
        if parent is not None and id(parent) in use_branches:
            return _branch(parent, current) != use_branches[id(parent)]
        current = parent
    return False


def _branch(parent: ast.AST, child: ast.AST) -> int:
    """Which statement list of ``parent`` holds ``child`` (-1 when it is not in one)."""
    lists = [getattr(parent, name, None) for name in ("body", "orelse", "finalbody", "handlers", "cases")]
    for index, items in enumerate(lists):
        if isinstance(items, list) and any(item is child for item in items):
            return index
    return -1


# -- table definitions ------------------------------------------------------------------------------------------------
@dataclass
class _Column:
    name: str
    key: str
    primary_key: bool = False
    python_default: bool = False
    boolean: bool = False


@dataclass
class _TableDef:
    """What the upsert needs to know about a table: its names, columns and how its constraints are named."""

    name: str
    schema: str | None
    columns: dict[str, _Column] = field(default_factory=dict)
    complete: bool = True
    """Every column is known (a base class or an unreadable column definition makes it False)."""
    naming_convention: dict[str, str] | None = None
    pk_name: str | None = None
    label: str = ""

    def column(self, key: str, label: str) -> _Column:
        """The column with attribute/key ``key``; SQLAlchemy itself would fail on one that does not exist."""
        found = self.columns.get(key) or next((c for c in self.columns.values() if c.name == key), None)
        if found is None:
            if self.complete:
                raise _Unresolved(f"{label} is not a column of {self.label or self.name}")
            found = self.columns[key] = _Column(key, key)
        return found


class _Resolver:
    """Turns expressions of one module into table definitions, SQLAlchemy objects and text; raises _Unresolved."""

    def __init__(self, module: _ModuleInfo, source: str) -> None:
        self.module = module
        self.source = source

    def label(self, node: ast.AST) -> str:
        return ast.get_source_segment(self.source, node) or ast.unparse(node)

    # -- names --
    def binding(self, node: ast.expr, module: _ModuleInfo) -> _Binding | None:
        """The binding of a name, ``module.attr`` chain or imported project name."""
        if isinstance(node, ast.Name):
            binding = module.lookup(node.id, node)
        elif isinstance(node, ast.Attribute):
            qualified = module.qualify(node)
            binding = _Binding(module, qualified=qualified) if qualified else None
        else:
            return None
        if binding is not None and binding.qualified is not None:
            return module.resolve(binding.qualified) or binding
        return binding

    def sa_name(self, node: ast.expr, module: _ModuleInfo) -> str | None:
        """``Column``/``sa.Column``/``sqlmodel.Field`` → ``Column``/``Field`` when it comes from SQLAlchemy/SQLModel."""
        target = node.func if isinstance(node, ast.Call) else node
        qualified = module.qualify(target)
        if qualified is None or qualified.split(".")[0] not in _SQLA_ROOTS:
            return None
        return qualified.rsplit(".", 1)[-1]

    def insert_dialect(self, call: ast.Call, module: _ModuleInfo) -> Dialect | Literal["generic"] | None:
        qualified = module.qualify(call.func) or ""
        if not qualified.startswith("sqlalchemy") or qualified.rsplit(".", 1)[-1] not in ("insert", "Insert"):
            return None
        for dialect in DIALECTS:
            if f".dialects.{dialect}" in qualified:
                return dialect
        return "generic"

    # -- tables --
    def table(self, node: ast.expr, module: _ModuleInfo, depth: int = 0) -> _TableDef:
        label = self.label(node) if module is self.module else node.__class__.__name__
        if depth > _MAX_DEPTH:
            raise _Unresolved(f"the table {label} is defined through too many indirections")
        if isinstance(node, ast.Attribute) and node.attr == "__table__":
            return self.table(node.value, module, depth + 1)
        if isinstance(node, ast.Call):
            return self.table_call(node, module)
        binding = self.binding(node, module)
        if binding is None:
            raise _Unresolved(f"the table {label} is not defined in the scanned tree")
        if binding.parameter is not None:
            raise _Unresolved(f"the table {label} is a parameter of {binding.parameter}()")
        if binding.node is None:
            broken = self.module.project.unreadable(binding.qualified or "")
            if broken is not None:
                raise _Unresolved(f"the table {label} is defined in {broken}")
            raise _Unresolved(f"the table {label} is imported from {binding.qualified}, outside the scanned tree")
        if isinstance(binding.node, ast.ClassDef):
            return self.model(binding.node, binding.module)
        if isinstance(binding.node, ast.expr):
            return self.table(binding.node, binding.module, depth + 1)
        raise _Unresolved(f"the table {label} is not a Table or a mapped class")

    def table_call(self, call: ast.Call, module: _ModuleInfo) -> _TableDef:
        kind = self.sa_name(call, module)
        if kind not in ("Table", "table") or not call.args:
            raise _Unresolved(f"the table {ast.unparse(call)} is not a Table(...) definition")
        name = self.string(call.args[0], module)
        schema = next((k.value for k in call.keywords if k.arg == "schema"), None)
        table = _TableDef(name, self.string(schema, module) if schema is not None else None, label=name)
        extra = call.args[1:]
        if kind == "Table" and extra:
            table.naming_convention = self.convention(extra[0], module)
            extra = extra[1:]
        for item in extra:
            if isinstance(item, ast.Call) and self.sa_name(item, module) in ("Column", "column"):
                column = self.column_call(item, None, module)
                if column is None:
                    table.complete = False
                else:
                    table.columns[column.key] = column
            elif isinstance(item, ast.Call) and self.sa_name(item, module) == "PrimaryKeyConstraint":
                self.primary_key_constraint(item, table, module)
            elif isinstance(item, ast.Starred):
                table.complete = False
        return table

    def model(self, cls: ast.ClassDef, module: _ModuleInfo, depth: int = 0) -> _TableDef:
        """An ORM class: ``__tablename__``/``__table__``, SQLModel ``table=True``, columns of it and its bases."""
        body = {t.id: s.value for s in cls.body for t in _targets(s) if isinstance(t, ast.Name) and s.value}
        if "__table__" in body:
            return self.table(body["__table__"], module, depth + 1)
        bases = [self.base(b, module, depth) for b in cls.bases]
        name_node = body.get("__tablename__")
        sqlmodel = any(k.arg == "table" and _is_true(k.value) for k in cls.keywords)
        if name_node is not None:
            name = self.string(name_node, module)
        elif sqlmodel:
            name = cls.name.lower()
        else:
            mapped = next((b for b in bases if isinstance(b, _TableDef)), None)
            if mapped is None:
                raise _Unresolved(f"the mapped class {cls.name} has no __tablename__ or __table__ found statically")
            return mapped  # single-table inheritance
        table = _TableDef(name, None, label=cls.name)
        for base in bases:
            if isinstance(base, _TableDef):  # joined inheritance: the parent's columns are not ours
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
            if isinstance(item, ast.Call) and self.sa_name(item, module) == "PrimaryKeyConstraint":
                self.primary_key_constraint(item, table, module)
            elif isinstance(item, ast.Dict):
                schema = _dict_get(item, "schema")
                table.schema = self.string(schema, module) if schema is not None else None
        return table

    def base(self, node: ast.expr, module: _ModuleInfo, depth: int) -> _TableDef | _Mixin | None:
        """A base class: a mapped class (inheritance), a mixin/declarative base (columns, naming convention) or
        None when unknown."""
        if depth > _MAX_DEPTH:
            return None
        qualified = module.qualify(node) if isinstance(node, (ast.Name, ast.Attribute)) else None
        if qualified is not None and qualified.split(".")[0] in (*_SQLA_ROOTS, "typing", "builtins"):
            return _Mixin({}, True, None, sqlmodel=qualified.endswith("SQLModel"))
        if isinstance(node, ast.Name) and node.id == "object":
            return _Mixin({}, True, None)
        binding = self.binding(node, module) if isinstance(node, (ast.Name, ast.Attribute)) else None
        if binding is None or binding.node is None:
            return None
        if isinstance(binding.node, ast.expr):  # Base = declarative_base(metadata=MetaData(naming_convention=...))
            call = binding.node
            if isinstance(call, ast.Call) and self.sa_name(call, binding.module) in ("declarative_base", "registry"):
                metadata = next((k.value for k in call.keywords if k.arg == "metadata"), None)
                convention = self.convention(metadata, binding.module) if metadata is not None else None
                return _Mixin({}, True, convention)
            return None
        cls = binding.node
        if not isinstance(cls, ast.ClassDef):
            return None
        body = {t.id: s.value for s in cls.body for t in _targets(s) if isinstance(t, ast.Name) and s.value}
        sqlmodel_table = any(k.arg == "table" and _is_true(k.value) for k in cls.keywords)
        if "__tablename__" in body or "__table__" in body or sqlmodel_table:
            try:
                return self.model(cls, binding.module, depth + 1)
            except _Unresolved:
                return None
        bases = [self.base(b, binding.module, depth + 1) for b in cls.bases]
        mixin = _Mixin({}, all(b is not None for b in bases), None, sqlmodel=_is_sqlmodel(bases))
        for base in bases:
            if isinstance(base, _Mixin):
                mixin.columns.update(base.columns)
                mixin.naming_convention = mixin.naming_convention or base.naming_convention
        if "metadata" in body:
            mixin.naming_convention = self.convention(body["metadata"], binding.module)
        holder = _TableDef("", None, complete=mixin.complete)
        self.class_columns(cls, holder, binding.module, sqlmodel=mixin.sqlmodel)
        mixin.columns.update(holder.columns)
        mixin.complete = holder.complete
        return mixin

    def class_columns(self, cls: ast.ClassDef, table: _TableDef, module: _ModuleInfo, *, sqlmodel: bool) -> None:
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
            kind = self.sa_name(value, module) if isinstance(value, ast.Call) else None
            if kind in ("Column", "mapped_column"):
                column = self.column_call(value, attribute, module)  # type: ignore[arg-type]
                if column is None:
                    table.complete = False
                else:
                    table.columns[attribute] = column
            elif annotation is not None and _mapped(annotation) is not None and value is None:
                boolean = _mapped(annotation) == "bool"
                table.columns[attribute] = _Column(attribute, attribute, boolean=boolean)
            elif sqlmodel and annotation is not None and not _is_classvar(annotation):
                if kind == "Field" and isinstance(value, ast.Call):
                    if any(k.arg in ("sa_column", "sa_type", "sa_column_args") for k in value.keywords):
                        table.complete = False
                        continue
                    keywords = {k.arg for k in value.keywords}
                    default = bool({"default", "default_factory"} & keywords) or bool(value.args)
                    primary = any(k.arg == "primary_key" and _is_true(k.value) for k in value.keywords)
                else:
                    default, primary = value is not None, False
                boolean = isinstance(annotation, ast.Name) and annotation.id == "bool"
                table.columns[attribute] = _Column(attribute, attribute, primary, default, boolean)

    def column_call(self, call: ast.Call, attribute: str | None, module: _ModuleInfo) -> _Column | None:
        """``Column("db_name", ...)``/``mapped_column(...)``; None if its name cannot be read."""
        name: str | None = attribute
        boolean = False
        for arg in call.args:
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                name = arg.value
            elif self.sa_name(arg, module) == "Boolean":
                boolean = True
        keywords = {k.arg: k.value for k in call.keywords if k.arg}
        if isinstance(keywords.get("name"), ast.Constant):
            name = keywords["name"].value  # type: ignore[attr-defined]
        key = keywords.get("key")
        key_text = key.value if isinstance(key, ast.Constant) else (attribute or name)
        if not isinstance(name, str) or not isinstance(key_text, str):
            return None  # a name that is not a string: SQLAlchemy refuses it, and we cannot read the column
        return _Column(
            name,
            key_text,
            primary_key=_is_true(keywords.get("primary_key")),
            python_default="default" in keywords or "insert_default" in keywords,
            boolean=boolean
            or (isinstance(keywords.get("type_"), ast.expr) and self.sa_name(keywords["type_"], module) == "Boolean"),
        )

    def primary_key_constraint(self, call: ast.Call, table: _TableDef, module: _ModuleInfo) -> None:
        names = [self.string(arg, module) for arg in call.args if isinstance(arg, ast.Constant)]
        for column in table.columns.values():
            column.primary_key = column.primary_key or column.key in names or column.name in names
        given = next((k.value for k in call.keywords if k.arg == "name"), None)
        table.pk_name = self.string(given, module) if given is not None else None

    def convention(self, node: ast.expr, module: _ModuleInfo) -> dict[str, str] | None:
        """``MetaData(naming_convention={...})`` (or a name bound to it) → the convention, keys as SQLAlchemy has
        them (``"uq"``, ``"pk"``...); ``Base.metadata`` is the declarative base's."""
        if isinstance(node, ast.Attribute) and node.attr == "metadata":
            base = self.base(node.value, module, 0)
            return base.naming_convention if base is not None else None
        if isinstance(node, (ast.Name, ast.Attribute)):
            binding = self.binding(node, module)
            if binding is None or not isinstance(binding.node, ast.expr):
                return None
            node, module = binding.node, binding.module
        if not isinstance(node, ast.Call) or self.sa_name(node, module) != "MetaData":
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
                text = _CONSTRAINT_KINDS.get(self.sa_name(key, module) or "")
            if isinstance(text, str) and isinstance(item, ast.Constant) and isinstance(item.value, str):
                convention[text] = item.value
        return convention

    # -- values --
    def string(self, node: ast.expr, module: _ModuleInfo) -> str:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name):
            binding = module.lookup(node.id, node)
            if binding is not None and binding.qualified is not None:
                binding = module.resolve(binding.qualified)
            if binding is not None and isinstance(binding.node, ast.Constant) and isinstance(binding.node.value, str):
                return binding.node.value
        raise _Unresolved(f"{self.label(node) if module is self.module else ast.unparse(node)} is not a literal string")

    def sequence(self, node: ast.expr, module: _ModuleInfo, what: str) -> tuple[list[ast.expr], _ModuleInfo]:
        """The items of a literal list/tuple, or of a name bound to one (a module constant, a local)."""
        seen = node
        for _ in range(_MAX_DEPTH):
            if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
                if any(isinstance(item, ast.Starred) for item in node.elts):
                    break
                return list(node.elts), module
            binding = self.binding(node, module) if isinstance(node, ast.Name) else None
            if binding is None or not isinstance(binding.node, ast.expr):
                break
            node, module = binding.node, binding.module
        raise _Unresolved(f"{what}={self.label(seen)} is computed at run time")


@dataclass
class _Mixin:
    columns: dict[str, _Column]
    complete: bool
    naming_convention: dict[str, str] | None
    sqlmodel: bool = False


def _is_sqlmodel(bases: Sequence[object]) -> bool:
    return any(isinstance(b, _Mixin) and b.sqlmodel for b in bases)


def _targets(statement: ast.stmt) -> list[ast.expr]:
    if isinstance(statement, ast.Assign):
        return statement.targets
    if isinstance(statement, ast.AnnAssign):
        return [statement.target]
    return []


def _dict_get(node: ast.Dict, key: str) -> ast.expr | None:
    return next(
        (v for k, v in zip(node.keys, node.values, strict=True) if isinstance(k, ast.Constant) and k.value == key), None
    )


def _is_true(node: ast.expr | None) -> bool:
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


# -- one upsert -------------------------------------------------------------------------------------------------------
@dataclass
class _Upsert:
    """The statically known parts of one upsert, before rendering."""

    dialect: Dialect | None
    table: _TableDef
    module: _ModuleInfo
    action: Literal["update", "nothing"]
    index_elements: ast.expr | None = None
    constraint: ast.expr | None = None
    index_where: ast.expr | None = None
    values: list[str] | None = None
    """Inserted column keys, None when unknown."""
    from_select: bool = False
    set_keys: list[str] = field(default_factory=list)
    positional: list[ast.expr] = field(default_factory=list)


class _Builder:
    """Rebuilds the ON CONFLICT target as SQLAlchemy objects on a stand-in Table and compiles it."""

    def __init__(self, resolver: _Resolver, upsert: _Upsert) -> None:
        import sqlalchemy as sa

        self.sa = sa
        self.resolver = resolver
        self.upsert = upsert
        definition = upsert.table
        metadata = sa.MetaData(naming_convention=definition.naming_convention or {})
        columns = [
            sa.Column(c.name, sa.Boolean if c.boolean else sa.types.NullType(), key=c.key, primary_key=c.primary_key)
            for c in definition.columns.values()
        ]
        # A named PrimaryKeyConstraint without columns takes the columns marked primary_key, as in __table_args__.
        pk_args = [sa.PrimaryKeyConstraint(name=definition.pk_name)] if definition.pk_name else []
        with _as_written(f"the table {definition.label or definition.name}"):
            self.table = sa.Table(definition.name, metadata, *columns, *pk_args, schema=definition.schema)

    def column(self, key: str, label: str) -> sa.Column[Any]:
        found = self.upsert.table.column(key, label)
        if found.key not in self.table.c:
            self.table.append_column(self.sa.Column(found.name, self.sa.types.NullType(), key=found.key))
        return self.table.c[found.key]

    def target(self, dialect: Dialect) -> str:
        """The text between ``ON CONFLICT`` and ``DO``, as SQLAlchemy compiles it for ``dialect``."""
        from sqlalchemy.dialects import postgresql, sqlite
        from sqlalchemy.dialects.postgresql.base import PGDialect

        upsert = self.upsert
        kwargs: dict[str, Any] = {}
        positional = list(upsert.positional)
        names = (
            ["constraint", "index_elements", "index_where"]
            if dialect == "postgresql"
            else ["index_elements", "index_where"]
        )
        given = {
            "constraint": upsert.constraint,
            "index_elements": upsert.index_elements,
            "index_where": upsert.index_where,
        }
        for name, node in zip(names, positional, strict=False):
            given[name] = node
        if given["constraint"] is not None:
            if dialect == "sqlite":
                raise _Unresolved("constraint= does not exist on sqlite.insert (TypeError at run time)")
            kwargs["constraint"] = self.constraint(given["constraint"])
        elements = given["index_elements"]
        if isinstance(elements, ast.Attribute) and elements.attr == "columns":
            elements = elements.value  # ``t.primary_key.columns``
        if isinstance(elements, ast.Attribute) and elements.attr == "primary_key":
            self.resolver.table(elements.value, upsert.module)  # the same table, or a clear reason
            kwargs["index_elements"] = list(self.table.primary_key.columns)
        elif elements is not None:
            items, module = self.resolver.sequence(elements, upsert.module, "index_elements")
            kwargs["index_elements"] = [self.element(item, module) for item in items]
        if given["index_where"] is not None:
            kwargs["index_where"] = self.expression(given["index_where"], upsert.module)
        if "constraint" in kwargs and "index_elements" in kwargs:
            raise _Unresolved("constraint= and index_elements= are both given (ValueError at run time)")
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        engine = PGDialect(paramstyle="qmark") if dialect == "postgresql" else sqlite.dialect()
        first = next(iter(self.table.c), None)
        statement = insert(self.table)
        if first is not None:
            statement = statement.values({first: self.sa.literal_column("0")})
        with (
            warnings.catch_warnings(),  # our stand-in VALUES leaves key columns out: not the user's concern
            _as_written("the ON CONFLICT target"),
        ):
            warnings.simplefilter("ignore", self.sa.exc.SAWarning)
            compiled = str(
                statement.on_conflict_do_nothing(**kwargs).compile(
                    dialect=engine, compile_kwargs={"render_postcompile": True}
                )
            )
        return compiled[compiled.index(" ON CONFLICT") + len(" ON CONFLICT") : compiled.rindex(" DO NOTHING")].strip()

    def constraint(self, node: ast.expr) -> Any:
        """``constraint=``: a name, ``t.primary_key``, or a UniqueConstraint/Index/... object (rebuilt on our Table)."""
        sa = self.sa
        module = self.upsert.module
        label = self.resolver.label(node)
        if isinstance(node, ast.Attribute) and node.attr == "primary_key":
            self.resolver.table(node.value, module)  # the same table, or a clear reason
            return self.table.primary_key
        if isinstance(node, ast.Constant) or (isinstance(node, ast.Name) and self._is_string(node, module)):
            return self.resolver.string(node, module)
        call: ast.expr | None = node
        if isinstance(node, ast.Name):
            binding = self.resolver.binding(node, module)
            if binding is None or not isinstance(binding.node, ast.expr):
                reason = f"a parameter of {binding.parameter}()" if binding and binding.parameter else "not found"
                raise _Unresolved(f"constraint={label} is {reason}, computed at run time")
            call, module = binding.node, binding.module
        kind = self.resolver.sa_name(call, module) if isinstance(call, ast.Call) else None
        if kind not in _CONSTRAINT_KINDS or not isinstance(call, ast.Call):
            raise _Unresolved(f"constraint={label} is not a name or a constraint object found statically")
        args = list(call.args)
        keywords = {k.arg: k.value for k in call.keywords if k.arg}
        name = self.resolver.string(keywords["name"], module) if "name" in keywords else None
        if kind == "Index":
            name = self.resolver.string(args.pop(0), module) if args else name
            where = keywords.get("postgresql_where")
            elements = [self.element(a, module) for a in args]
            predicate = self.expression(where, module) if where is not None else None
            with _as_written(f"constraint={label}"):
                index = sa.Index(name, *elements, unique=_is_true(keywords.get("unique")), postgresql_where=predicate)
                if not any(isinstance(e, sa.Column) for e in elements):
                    index._set_parent(self.table)  # expression-only Index objects are attached explicitly
            return index
        if kind == "ExcludeConstraint":
            if name is None:
                raise _Unresolved(f"constraint={label}: an unnamed ExcludeConstraint is not supported statically")
            return name
        columns = [self.element(a, module) for a in args]
        with _as_written(f"constraint={label}"):
            kind_class = sa.UniqueConstraint if kind == "UniqueConstraint" else sa.PrimaryKeyConstraint
            built = kind_class(*columns, name=name)
            self.table.append_constraint(built)
        return built

    def _is_string(self, node: ast.Name, module: _ModuleInfo) -> bool:
        try:
            self.resolver.string(node, module)
        except _Unresolved:
            return False
        return True

    def element(self, node: ast.expr, module: _ModuleInfo) -> Any:
        """One index element: a string, a column reference or an SQL expression."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name) and self._is_string(node, module):
            return self.resolver.string(node, module)
        return self.expression(node, module)

    def expression(self, node: ast.expr, module: _ModuleInfo) -> Any:
        """An SQL expression written with SQLAlchemy operators, rebuilt with the same operators."""
        sa = self.sa
        label = self.resolver.label(node) if module is self.upsert.module else ast.unparse(node)
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            left, right = self.expression(node.left, module), self.expression(node.comparators[0], module)
            operator = _COMPARE.get(type(node.ops[0]))
            if operator is not None:
                with _as_written(label):
                    return operator(left, right)
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.BitAnd, ast.BitOr)):
            left, right = self.expression(node.left, module), self.expression(node.right, module)
            with _as_written(label):
                return sa.and_(left, right) if isinstance(node.op, ast.BitAnd) else sa.or_(left, right)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Invert, ast.Not)):
            operand = self.expression(node.operand, module)
            with _as_written(label):
                return sa.not_(operand)
        if isinstance(node, ast.Call):
            return self.call(node, module, label)
        if isinstance(node, (ast.Name, ast.Attribute, ast.Subscript)):
            return self.reference(node, module, label)
        raise _Unresolved(f"{label} is not an SQL expression that can be read statically")

    def call(self, node: ast.Call, module: _ModuleInfo, label: str) -> Any:
        sa = self.sa
        if (
            isinstance(node.func, ast.Attribute)
            and node.func.attr in _METHODS
            and self.resolver.sa_name(node.func, module) is None
        ):
            target = self.expression(node.func.value, module)
            arguments = [self.literal_list(a, module) for a in node.args]
            with _as_written(label):
                return getattr(target, _METHODS[node.func.attr])(*arguments)
        qualified = module.qualify(node.func) or ""
        root, _, name = qualified.partition(".")
        name = qualified.rsplit(".", 1)[-1]
        if root in _SQLA_ROOTS and name in ("text", "literal_column", "column") and node.args:
            return getattr(sa, name)(self.resolver.string(node.args[0], module))
        if root in _SQLA_ROOTS and name in ("and_", "or_", "not_"):
            operands = [self.expression(a, module) for a in node.args]
            with _as_written(label):
                return getattr(sa, name)(*operands)
        if root in _SQLA_ROOTS and name in ("true", "false", "null"):
            return getattr(sa, name)()
        function = _func_name(node.func, module)
        if function is not None:
            operands = [self.element_expression(a, module) for a in node.args]
            with _as_written(label):
                return getattr(sa.func, function)(*operands)
        raise _Unresolved(f"{label} is a call that cannot be evaluated statically")

    def element_expression(self, node: ast.expr, module: _ModuleInfo) -> Any:
        """A function argument: a string literal is a value here, not a column name."""
        return self.expression(node, module)

    def literal_list(self, node: ast.expr, module: _ModuleInfo) -> Any:
        if isinstance(node, (ast.List, ast.Tuple)):
            return [self.expression(item, module) for item in node.elts]
        return self.expression(node, module)

    def reference(self, node: ast.expr, module: _ModuleInfo, label: str) -> Any:
        """``Model.attr``, ``t.c.key``, ``t.c["key"]``, ``Model.__table__.c.key``, a local bound to one of these, or
        a module constant."""
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Attribute)
            and node.value.attr in ("c", "columns")
        ):
            key, holder = self.resolver.string(node.slice, module), node.value.value
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Attribute)
            and node.value.attr in ("c", "columns")
        ):
            key, holder = node.attr, node.value.value
        elif isinstance(node, ast.Attribute):
            key, holder = node.attr, node.value
        elif isinstance(node, ast.Name):
            binding = self.resolver.binding(node, module)
            if binding is not None and binding.parameter is not None:
                raise _Unresolved(f"{label} is a parameter of {binding.parameter}(), known only at run time")
            if binding is not None and isinstance(binding.node, ast.expr):
                try:
                    return self.expression(binding.node, binding.module)
                except _Unresolved as exc:
                    raise _Unresolved(f"{label} is computed at run time: {exc}") from None
            raise _Unresolved(f"{label} is computed at run time")
        else:
            raise _Unresolved(f"{label} cannot be resolved statically")
        try:
            table = self.resolver.table(holder, module)
        except _Unresolved as exc:
            raise _Unresolved(f"{label} is not a column of a table found statically ({exc})") from None
        if table.name == self.upsert.table.name and table.schema == self.upsert.table.schema:
            return self.column(key, label)
        column = table.column(key, label)
        return self.sa.column(column.name, self.sa.Boolean if column.boolean else None)


def _func_name(node: ast.expr, module: _ModuleInfo) -> str | None:
    """``func.lower`` / ``sa.func.lower`` → ``lower``."""
    if isinstance(node, ast.Attribute):
        qualified = module.qualify(node.value)
        if qualified is not None and qualified.split(".")[0] in _SQLA_ROOTS and qualified.endswith("func"):
            return node.attr
    return None


def _compare() -> dict[type[ast.cmpop], Any]:
    import operator

    return {
        ast.Eq: operator.eq,
        ast.NotEq: operator.ne,
        ast.Lt: operator.lt,
        ast.LtE: operator.le,
        ast.Gt: operator.gt,
        ast.GtE: operator.ge,
    }


_COMPARE = _compare()
#: Column methods accepted in expressions, by spelling → SQLAlchemy's method.
_METHODS = {
    "is_": "is_",
    "is_not": "is_not",
    "isnot": "is_not",
    "in_": "in_",
    "not_in": "not_in",
    "notin_": "not_in",
    "like": "like",
    "ilike": "ilike",
    "is_distinct_from": "is_distinct_from",
}


# -- finding the calls ------------------------------------------------------------------------------------------------
def sqlalchemy_sites(
    tree: ast.Module,
    source: str,
    path: str,
    *,
    module: _ModuleInfo,
    revision: str | None,
    wrappers: Sequence[Wrapper] = (),
) -> list[Site]:
    """Every ``.on_conflict_*`` call on a dialect INSERT, and every call of a configured wrapper, in one module."""
    resolver = _Resolver(module, source)
    sites: list[Site] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        if isinstance(node.func, ast.Attribute) and node.func.attr in _ON_CONFLICT:
            line, column = node.func.end_lineno or node.lineno, _column(source, node.func)
            sites.extend(_sqlalchemy_site(resolver, node, path, (line, column), revision))
        elif wrappers:
            wrapper = _matching_wrapper(module, node, wrappers)
            if wrapper is not None:
                sites.extend(_wrapper_site(resolver, node, wrapper, path, revision))
    return sites


def _column(source: str, attribute: ast.Attribute) -> int:
    """1-based character column of the method name in ``x.on_conflict_do_update``."""
    line = source.split("\n")[(attribute.end_lineno or 1) - 1]
    end = len(line.encode()[: attribute.end_col_offset or 0].decode(errors="replace"))
    return end - len(attribute.attr) + 1


def _sqlalchemy_site(
    resolver: _Resolver, call: ast.Call, path: str, position: tuple[int, int], revision: str | None
) -> Iterator[Site]:
    def site(origin: Origin, sql: str | None, dialect: Dialect | None, reason: str | None = None) -> Site:
        return Site(path, *position, origin, sql, dialect, revision, reason)

    assert isinstance(call.func, ast.Attribute)
    action: Literal["update", "nothing"] = "update" if call.func.attr == "on_conflict_do_update" else "nothing"
    try:
        upsert = _trace(resolver, call, action)
    except _Unresolved as exc:
        yield site("sqlalchemy", None, exc.dialect, str(exc))
        return
    yield from _render_sites(resolver, upsert, site, "sqlalchemy")


def _render_sites(resolver: _Resolver, upsert: _Upsert, site: Any, origin: Origin) -> Iterator[Site]:
    """One site per dialect the statement is for; one shared site when both engines would get the same text."""
    dialects = [upsert.dialect] if upsert.dialect is not None else list(DIALECTS)
    rendered: dict[Dialect, tuple[str | None, str | None]] = {}
    for dialect in dialects:
        try:
            rendered[dialect] = (_render(resolver, upsert, dialect), None)
        except _Unresolved as exc:
            rendered[dialect] = (None, str(exc))
    if upsert.dialect is None and len(set(rendered.values())) == 1:
        yield site(origin, *rendered[dialects[0]][:1], None, rendered[dialects[0]][1])
        return
    for dialect, (sql, reason) in rendered.items():
        yield site(origin, sql, dialect, reason)


def _trace(resolver: _Resolver, call: ast.Call, action: Literal["update", "nothing"]) -> _Upsert:
    """Follow the receiver of ``.on_conflict_*`` back to the dialect ``insert(...)`` call, through chained methods
    and variables; the ``.values()`` after it (in the same chain) count too."""
    module = resolver.module
    keywords = {k.arg: k.value for k in call.keywords if k.arg}
    given: list[list[str] | None] = _after_values(resolver, call)
    from_select = False
    node: ast.expr = call.func.value  # type: ignore[attr-defined]
    for _ in range(_MAX_DEPTH * 4):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            method = node.func.attr
            if method == "values":
                given.append(_values_keys(resolver, node))
                node = node.func.value
                continue
            if method == "from_select":
                from_select = True
                given.append(_select_names(node))
                node = node.func.value
                continue
            if method in _PASS_THROUGH:
                node = node.func.value
                continue
        if isinstance(node, ast.Call):
            dialect = resolver.insert_dialect(node, module)
            if dialect is None:
                raise _Unresolved(
                    f"the INSERT comes from {resolver.label(node)}, not sqlalchemy.dialects.postgresql/sqlite.insert"
                )
            if dialect == "generic":
                raise _Unresolved(f"{resolver.label(node)} is the generic insert: it has no on_conflict_* methods")
            if not node.args:
                raise _Unresolved(f"{resolver.label(node)} names no table")
            try:
                if any(k.arg is None for k in call.keywords):
                    raise _Unresolved(f"{call.func.attr}(**...) passes its arguments at run time")  # type: ignore[attr-defined]
                table = resolver.table(node.args[0], module)
            except _Unresolved as exc:
                exc.dialect = dialect
                raise
            if len(node.args) > 1:
                given.append(_values_keys(resolver, node, skip=1))
            return _Upsert(
                dialect,
                table,
                module,
                action,
                keywords.get("index_elements"),
                keywords.get("constraint"),
                keywords.get("index_where"),
                _merge(given),
                from_select,
                _set_keys(resolver, keywords.get("set_")),
                list(call.args),
            )
        if isinstance(node, ast.Name):
            binding = module.lookup(node.id, node)
            if binding is not None and binding.parameter is not None:
                raise _Unresolved(f"the INSERT statement {node.id} is a parameter of {binding.parameter}()")
            if binding is None or not isinstance(binding.node, ast.expr) or binding.module is not module:
                raise _Unresolved(f"cannot trace the INSERT statement {node.id} to an insert(...) call")
            node = binding.node
            continue
        raise _Unresolved(f"cannot trace the INSERT statement {resolver.label(node)} to an insert(...) call")
    raise _Unresolved("the INSERT statement is built through too many steps")


def _after_values(resolver: _Resolver, call: ast.Call) -> list[list[str] | None]:
    """``.on_conflict_do_update(...).values(...)``: values given later in the same chain."""
    given: list[list[str] | None] = []
    current: ast.AST = call
    while True:
        parent = resolver.module.parent(current)
        if not isinstance(parent, ast.Attribute):
            return given
        holder = resolver.module.parent(parent)
        if not isinstance(holder, ast.Call) or holder.func is not parent:
            return given
        if parent.attr == "values":
            given.append(_values_keys(resolver, holder))
        current = holder


def _merge(given: list[list[str] | None]) -> list[str] | None:
    """The inserted column keys of all ``.values()`` calls; None (unknown) when there is none or one is not literal:
    without ``.values()`` the columns are the keys of the parameters passed at execution."""
    if not given or any(keys is None for keys in given):
        return None
    merged: list[str] = []
    for keys in given:
        merged += [key for key in keys or () if key not in merged]
    return merged


def _values_keys(resolver: _Resolver, call: ast.Call, skip: int = 0) -> list[str] | None:
    """Column keys of ``.values(a=1)`` / ``.values({"a": 1})`` / ``.values([{"a": 1}, ...])``; None if not literal."""
    keys: list[str] = []
    for keyword in call.keywords:
        if keyword.arg is None:
            return None
        keys.append(keyword.arg)
    for arg in call.args[skip:]:
        row = arg.elts[0] if isinstance(arg, (ast.List, ast.Tuple)) and arg.elts else arg  # SQLAlchemy reads row 1
        if not isinstance(row, ast.Dict):
            return None
        for key in row.keys:
            name = _key_name(resolver, key)
            if name is None:
                return None
            keys.append(name)
    return keys


def _key_name(resolver: _Resolver, key: ast.expr | None) -> str | None:
    """A dict key naming a column: ``"a"``, ``Model.a``, ``t.c.a``."""
    if isinstance(key, ast.Constant) and isinstance(key.value, str):
        return key.value
    if isinstance(key, ast.Attribute):
        return key.attr
    if isinstance(key, ast.Subscript) and isinstance(key.slice, ast.Constant) and isinstance(key.slice.value, str):
        return key.slice.value  # ``t.c["key"]``
    return None


def _select_names(call: ast.Call) -> list[str] | None:
    names = call.args[0] if call.args else None
    if isinstance(names, (ast.List, ast.Tuple)) and all(
        isinstance(e, ast.Constant) and isinstance(e.value, str) for e in names.elts
    ):
        return [e.value for e in names.elts]  # type: ignore[attr-defined]
    return None


def _set_keys(resolver: _Resolver, node: ast.expr | None) -> list[str]:
    """The literal keys of ``set_={...}``; keys computed at run time are left out (they cannot be judged)."""
    if not isinstance(node, ast.Dict):
        return []
    return [name for key in node.keys if key is not None and (name := _key_name(resolver, key)) is not None]


def _render(resolver: _Resolver, upsert: _Upsert, dialect: Dialect) -> str:
    """The statement in ``dialect``'s syntax: our INSERT head, SQLAlchemy's target, our action."""
    from sqlalchemy.dialects import postgresql, sqlite

    builder = _Builder(resolver, upsert)
    target = builder.target(dialect)
    preparer = (postgresql.dialect() if dialect == "postgresql" else sqlite.dialect()).identifier_preparer
    table = preparer.format_table(builder.table)
    definition = upsert.table
    if upsert.values is None or (not definition.complete and not upsert.from_select):
        head = f"INSERT INTO {table} VALUES (?)"  # the inserted columns are unknown: no NOT NULL judgement
    else:
        keys = list(upsert.values)
        if not upsert.from_select:
            keys += [c.key for c in definition.columns.values() if c.python_default and c.key not in keys]
        names = [
            preparer.quote(definition.column(key, key).name) if definition.complete else preparer.quote(key)
            for key in keys
        ]
        marks = ", ".join("?" for _ in names)
        source = f"SELECT {marks}" if upsert.from_select else f"VALUES ({marks})"
        head = f"INSERT INTO {table} ({', '.join(names)}) {source}" if names else f"INSERT INTO {table} DEFAULT VALUES"
    if upsert.action == "nothing":
        action = "DO NOTHING"
    else:
        assigned = [
            definition.column(key, key).name if key in definition.columns or definition.complete else key
            for key in upsert.set_keys
        ]
        if not assigned:
            assigned = [_stand_in(upsert, target)]
        action = "DO UPDATE SET " + ", ".join(f"{preparer.quote(n)} = excluded.{preparer.quote(n)}" for n in assigned)
    return f"{head} ON CONFLICT {target} {action}" if target else f"{head} ON CONFLICT {action}"


def _stand_in(upsert: _Upsert, target: str) -> str:
    """A column for ``SET c = excluded.c`` when ``set_`` is not literal: a target column, else a known column."""
    match = re.match(r'\(\s*("?)([^",()\s]+)\1\s*[,)]', target)
    if match:
        return match.group(2)
    names = [c.name for c in upsert.table.columns.values() if not c.primary_key] + list(upsert.values or [])
    if not names:
        names = [c.name for c in upsert.table.columns.values()]
    if not names:
        raise _Unresolved("set_= is computed at run time and no column of the table is known to stand in for it")
    return names[0]


# -- wrappers ---------------------------------------------------------------------------------------------------------
def _matching_wrapper(module: _ModuleInfo, call: ast.Call, wrappers: Sequence[Wrapper]) -> Wrapper | None:
    """The wrapper this call calls: by imported name, alias or ``module.function``, or defined in this module."""
    if not isinstance(call.func, (ast.Name, ast.Attribute)):
        return None
    qualified = module.qualify(call.func)
    if qualified is None and isinstance(call.func, ast.Name) and call.func.id in module.top:
        qualified = f"{module.dotted}.{call.func.id}"
    if qualified is None:
        return None
    return next((w for w in wrappers if qualified == w.function or qualified.endswith("." + w.function)), None)


def _wrapper_site(
    resolver: _Resolver, call: ast.Call, wrapper: Wrapper, path: str, revision: str | None
) -> Iterator[Site]:
    line, column = call.lineno, call.col_offset + 1

    def site(origin: Origin, sql: str | None, dialect: Dialect | None, reason: str | None = None) -> Site:
        return Site(path, line, column, origin, sql, dialect, revision, reason)

    try:
        arguments = _bind(resolver, call, wrapper)
        if arguments.get("table") is None:
            raise _Unresolved(f"the call of {wrapper.function} passes no table argument ({wrapper.table!r})")
        upsert = _Upsert(
            wrapper.dialect,
            resolver.table(arguments["table"], resolver.module),  # type: ignore[arg-type]
            resolver.module,
            wrapper.action,
            arguments.get("index_elements"),
            arguments.get("constraint"),
            arguments.get("index_where"),
            None,
        )
    except _Unresolved as exc:
        yield site("wrapper", None, wrapper.dialect, str(exc))
        return
    yield from _render_sites(resolver, upsert, site, "wrapper")


def _bind(resolver: _Resolver, call: ast.Call, wrapper: Wrapper) -> dict[str, ast.expr | None]:
    """The call's argument for each of the wrapper's roles; the wrapper's def (when in the tree) maps names to
    positions."""
    if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
        raise _Unresolved(f"the call of {wrapper.function} passes *args/**kwargs: its arguments are known at run time")
    parameters = _parameters(resolver, call)
    keywords = {k.arg: k.value for k in call.keywords if k.arg}
    bound: dict[str, ast.expr | None] = {}
    for role in ("table", "index_elements", "constraint", "index_where"):
        spec = getattr(wrapper, role)
        if spec is None:
            continue
        position = spec if isinstance(spec, int) else (parameters.index(spec) if spec in parameters else None)
        name = spec if isinstance(spec, str) else (parameters[spec] if spec < len(parameters) else None)
        value = keywords.get(name) if name is not None else None
        if value is None and position is not None and position < len(call.args):
            value = call.args[position]
        bound[role] = value
    return bound


def _parameters(resolver: _Resolver, call: ast.Call) -> list[str]:
    """The positional parameter names of the called wrapper when its def is in the scanned tree (self dropped)."""
    binding = resolver.binding(call.func, resolver.module) if isinstance(call.func, (ast.Name, ast.Attribute)) else None
    if binding is None and isinstance(call.func, ast.Name):
        binding = resolver.module.lookup(call.func.id, call)
    definition = binding.node if binding is not None else None
    if not isinstance(definition, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return []
    names = [a.arg for a in [*definition.args.posonlyargs, *definition.args.args]]
    return names[1:] if names and names[0] in ("self", "cls") else names
