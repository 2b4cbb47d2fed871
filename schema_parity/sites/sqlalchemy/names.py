"""Python name resolution over the scanned tree: what a name, an attribute chain or an import stands for.

The upsert's pieces are rarely written inline: the table is imported from a models module, the conflict columns sit
in a module constant, the INSERT is bound to a local first. ``Project`` indexes the tree's modules by dotted name
(parsed on first use); ``ModuleInfo.lookup`` finds the binding of a name as seen at one place in one module, and
``qualify`` the dotted name an import binds, following re-exports of project modules.
"""

from __future__ import annotations

import ast
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from schema_parity.limits import DEFAULT_MAX_FILE_SIZE
from schema_parity.sites.files import UnreadableFile, read_source

#: The packages whose names are SQLAlchemy's (``sqlmodel`` re-exports SQLAlchemy's and adds ``Field``).
SQLA_ROOTS = ("sqlalchemy", "sqlmodel")
#: How many indirections (re-exports, star imports, names bound to names) are followed before giving up.
MAX_DEPTH = 12


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
        self._modules: dict[str, ModuleInfo | None] = {}
        self._unreadable: dict[str, str] = {}  # dotted name -> why

    def add(self, dotted: str, tree: ast.Module) -> ModuleInfo:
        """Register a module already parsed by the scanner."""
        info = ModuleInfo(self, dotted, tree, is_package=self._is_package(dotted))
        self._modules[dotted] = info
        return info

    def module(self, dotted: str) -> ModuleInfo | None:
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
            self._modules[exact] = ModuleInfo(self, exact, tree, is_package=self._is_package(exact))
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
class Binding:
    """What a name refers to: an expression, class or function in ``module``, an import, or something known only at
    run time (a parameter, a loop variable...)."""

    module: ModuleInfo
    node: ast.AST | None = None
    qualified: str | None = None  # an import: the dotted name it binds
    run_time: str | None = None  # what binds it when its value is known only at run time: "a parameter of f()"


class ModuleInfo:
    """One module's imports and top-level bindings, and the scopes of its functions."""

    def __init__(self, project: Project, dotted: str, tree: ast.Module, *, is_package: bool) -> None:
        self.project = project
        self.dotted = dotted
        self.package = dotted if is_package else dotted.rpartition(".")[0]
        self.tree = tree
        self.bindings: dict[str, Binding] = {}
        self.stars: list[str] = []
        self.parents: dict[int, ast.AST] = {}
        self._locals: dict[int, dict[str, list[_Local]]] = {}
        self._bind_block(tree.body)

    def _bind_block(self, statements: list[ast.stmt], keep: frozenset[str] = frozenset()) -> frozenset[str]:
        """Bind the module-level names ``statements`` bind, in order: a later binding replaces an earlier one, except
        for the names in ``keep``, bound by the path that comes first (an ``if`` body before its ``else``, a ``try``
        that raises nothing before its ``except`` clauses). Returns the names bound."""
        bound: set[str] = set()
        for statement in statements:
            if isinstance(statement, ast.ImportFrom) and any(alias.name == "*" for alias in statement.names):
                self.stars.append(self.absolute(statement))
            for name, _point, binding in _names_bound(self, statement):
                bound.add(name)
                if name not in keep:
                    self.bindings[name] = binding
            if isinstance(statement, ast.If):  # ``if TYPE_CHECKING:`` imports, guarded definitions
                first = self._bind_block(statement.body, keep)
                bound |= first | self._bind_block(statement.orelse, keep | first)
            elif isinstance(statement, ast.Try):  # ``try: import x`` / ``except ImportError: ...``
                first = self._bind_block(statement.body, keep) | self._bind_block(statement.orelse, keep)
                for handler in statement.handlers:
                    bound |= self._bind_block(handler.body, keep | first)
                bound |= first | self._bind_block(statement.finalbody, keep)
            elif isinstance(statement, (ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith)):
                bound |= self._bind_block(statement.body, keep)
        return frozenset(bound)

    def absolute(self, statement: ast.ImportFrom) -> str:
        """The module a ``from ... import`` imports from, relative imports resolved against this module's package."""
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

    def function_bindings(self, function: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[str, list[_Local]]:
        """The names ``function`` binds, by name (collected once per function)."""
        if id(function) not in self._locals:
            self._locals[id(function)] = _function_bindings(self, function)
        return self._locals[id(function)]

    def function_of(self, node: ast.AST) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        current = self.parent(node)
        while current is not None and not isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef)):
            current = self.parent(current)
        return current

    def lookup(self, name: str, at: ast.AST | None = None, depth: int = 0) -> Binding | None:
        """The binding of ``name`` seen at ``at``: the closest earlier binding in the enclosing function (source
        order), a parameter, then the module's own definitions, imports and star imports."""
        function = self.function_of(at) if at is not None else None
        while function is not None:
            found = _local_binding(self, function, name, at)  # type: ignore[arg-type]
            if found is not None:
                return found
            arguments = function.args
            every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs, arguments.vararg, arguments.kwarg]
            if any(arg is not None and arg.arg == name for arg in every):
                return Binding(self, run_time=f"a parameter of {function.name}()")
            function = self.function_of(function)
        if name in self.bindings:
            return self.bindings[name]
        if depth < MAX_DEPTH:
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

    def resolve(self, qualified: str, depth: int = 0) -> Binding | None:
        """A dotted name defined in a project module: ``pkg.models.User`` → the class."""
        if depth > MAX_DEPTH:
            return None
        head, _, name = qualified.rpartition(".")
        module = self.project.module(head) if head else None
        if module is None:
            return None
        binding = module.lookup(name, depth=depth + 1)
        if binding is not None and binding.qualified is not None:
            return module.resolve(binding.qualified, depth + 1) or binding
        return binding

    def binding(self, node: ast.expr) -> Binding | None:
        """The binding of a name, ``module.attr`` chain or imported project name."""
        if isinstance(node, ast.Name):
            binding = self.lookup(node.id, node)
        elif isinstance(node, ast.Attribute):
            qualified = self.qualify(node)
            binding = Binding(self, qualified=qualified) if qualified else None
        else:
            return None
        if binding is not None and binding.qualified is not None:
            return self.resolve(binding.qualified) or binding
        return binding

    def sqlalchemy_name(self, node: ast.expr) -> str | None:
        """``Column``/``sa.Column``/``sqlmodel.Field`` → ``Column``/``Field`` when it comes from SQLAlchemy/SQLModel."""
        target = node.func if isinstance(node, ast.Call) else node
        qualified = self.qualify(target)
        if qualified is None or qualified.split(".")[0] not in SQLA_ROOTS:
            return None
        return qualified.rsplit(".", 1)[-1]


#: The nodes that bind a name in their scope.
_BINDERS = (
    ast.Import,
    ast.ImportFrom,
    ast.ClassDef,
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.Assign,
    ast.AnnAssign,
    ast.NamedExpr,
    ast.AugAssign,
    ast.For,
    ast.AsyncFor,
    ast.With,
    ast.AsyncWith,
)


#: A name, the node at whose end it is bound, and its binding.
_Bound = tuple[str, ast.AST, Binding]
#: A binding in a function: the position (line, column) at which it is complete, the node that makes it, the binding.
_Local = tuple[tuple[int, int], ast.AST, Binding]


def _names_bound(module: ModuleInfo, node: ast.AST, where: str = "") -> list[_Bound]:
    """The names one node binds in its scope: (name, the node at whose end it is bound, its binding). ``where``
    says which function, for the reasons given when a value is known only at run time."""
    if not isinstance(node, _BINDERS):
        return []
    if isinstance(node, ast.Import):
        found: list[_Bound] = []
        for alias in node.names:
            name = alias.asname or alias.name.split(".")[0]
            found.append((name, node, Binding(module, qualified=alias.name if alias.asname else name)))
        return found
    if isinstance(node, ast.ImportFrom):
        base = module.absolute(node)
        return [
            (alias.asname or alias.name, node, Binding(module, qualified=f"{base}.{alias.name}".lstrip(".")))
            for alias in node.names
            if alias.name != "*"
        ]
    if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
        return [(node.name, node, Binding(module, node))]
    if isinstance(node, ast.Assign):
        return [bound for target in node.targets for bound in _assigned(module, target, node.value, node, where)]
    if isinstance(node, (ast.AnnAssign, ast.NamedExpr)):
        return _assigned(module, node.target, node.value, node, where) if node.value is not None else []
    if isinstance(node, ast.AugAssign):
        return _run_time(module, node.target, node, f"changed by an augmented assignment{where}")
    if isinstance(node, (ast.For, ast.AsyncFor)):
        return _run_time(module, node.target, node.target, f"the target of a for loop{where}")
    return [
        bound
        for item in node.items
        if item.optional_vars is not None
        for bound in _run_time(module, item.optional_vars, item.optional_vars, f"bound by a with statement{where}")
    ]


def _assigned(module: ModuleInfo, target: ast.expr, value: ast.expr, point: ast.AST, where: str) -> list[_Bound]:
    """``name = value``; ``a, b = x, y`` item by item; any other unpacking is known only at run time."""
    if isinstance(target, ast.Name):
        return [(target.id, point, Binding(module, value))]
    if not isinstance(target, (ast.Tuple, ast.List)):
        return []  # an attribute or item: no name is bound
    if (
        isinstance(value, (ast.Tuple, ast.List))
        and len(value.elts) == len(target.elts)
        and not any(isinstance(item, ast.Starred) for item in [*target.elts, *value.elts])
    ):
        pairs = zip(target.elts, value.elts, strict=True)
        return [bound for t, v in pairs for bound in _assigned(module, t, v, point, where)]
    return _run_time(module, target, point, f"assigned by unpacking{where}")


def _run_time(module: ModuleInfo, target: ast.expr, point: ast.AST, how: str) -> list[_Bound]:
    return [
        (node.id, point, Binding(module, run_time=how))
        for node in ast.walk(target)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)
    ]


def _local_binding(
    module: ModuleInfo, function: ast.FunctionDef | ast.AsyncFunctionDef, name: str, at: ast.AST
) -> Binding | None:
    """The binding of ``name`` in ``function`` (not nested scopes) that reaches ``at``: the last one that is complete
    before it, not in another branch of an if/try/match. A binding in an ``except`` clause that ``at`` is not in
    counts only when no other reaches it: the path without an exception comes first (``try: from a import x``,
    ``except ImportError: from b import x``)."""
    use = (getattr(at, "lineno", 0), getattr(at, "col_offset", 0))
    best: tuple[tuple[bool, int, int], Binding] | None = None
    for end, node, binding in module.function_bindings(function).get(name, ()):
        if end > use or _other_branch(module, node, at):
            continue
        rank = (not _in_other_handler(module, node, at), *end)
        if best is None or rank > best[0]:
            best = (rank, binding)
    return best[1] if best is not None else None


def _function_bindings(module: ModuleInfo, function: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[str, list[_Local]]:
    """Every name ``function`` binds in its own scope (not in nested functions, classes or lambdas), each binding
    with the position at which it is complete and the node that makes it."""
    where = f" in {function.name}()"
    found: dict[str, list[_Local]] = {}
    stack: list[ast.AST] = list(function.body)
    while stack:
        node = stack.pop()
        if isinstance(node, _BINDERS):
            for name, point, binding in _names_bound(module, node, where):
                end = (getattr(point, "end_lineno", 0) or 0, getattr(point, "end_col_offset", 0) or 0)
                found.setdefault(name, []).append((end, node, binding))
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            stack.extend(ast.iter_child_nodes(node))
    return found


def _in_other_handler(module: ModuleInfo, node: ast.AST, use: ast.AST) -> bool:
    """Whether ``node`` sits in an ``except`` clause that ``use`` is not in."""
    handlers = []
    current = module.parent(node)
    while current is not None and not isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef)):
        if isinstance(current, ast.ExceptHandler):
            handlers.append(current)
        current = module.parent(current)
    if not handlers:
        return False
    enclosing = set()
    current = module.parent(use)
    while current is not None:
        enclosing.add(id(current))
        current = module.parent(current)
    return any(id(handler) not in enclosing for handler in handlers)


def _other_branch(module: ModuleInfo, assignment: ast.AST, use: ast.AST) -> bool:
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
