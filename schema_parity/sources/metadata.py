"""A project's SQLAlchemy MetaData, found and imported safely: the part of the models source that the Alembic runner
needs too (a history's naming convention lives on env.py's ``target_metadata``).

A model module is imported inside the sandbox, on a private in-memory database: an engine the application builds
at import time never reaches a real database. Building a Catalog from the MetaData is ``models.py``'s.
"""

from __future__ import annotations

import ast
import importlib
import importlib.machinery
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext, suppress
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from schema_parity.errors import ConfigError, describe

__all__ = ["env_py_metadata", "import_metadata", "import_object", "naming_convention"]


def env_py_metadata(env_py: Path) -> str | None:
    """``module:attribute`` of env.py's ``target_metadata = <name>.<attr>...``, traced to the import that binds
    ``<name>``; None when env.py sets none (or sets it to something not importable by name)."""
    try:
        tree = ast.parse(env_py.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return None
    imports: dict[str, str] = {}
    value: ast.expr | None = None
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                imports[alias.asname or alias.name] = f"{node.module}:{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.partition(".")[0]
                imports[alias.asname or top] = f"{alias.name if alias.asname else top}:"
        elif isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "target_metadata" for t in node.targets
        ):
            value = node.value
    path: list[str] = []
    while isinstance(value, ast.Attribute):
        path.insert(0, value.attr)
        value = value.value
    if not isinstance(value, ast.Name) or value.id not in imports:
        return None
    module, _, attribute = imports[value.id].partition(":")
    dotted = ".".join(p for p in (attribute, *path) if p)
    return f"{module}:{dotted}" if dotted else None


def naming_convention(reference: str, search: list[Path], imports: Sequence[str] = ()) -> Mapping[str, Any] | None:
    """The naming convention of the MetaData at ``reference``; None when it has none but SQLAlchemy's default."""
    convention = dict(import_metadata(reference, search, imports=imports).naming_convention)
    return convention if set(convention) != {"ix"} or convention["ix"] != "ix_%(column_0_label)s" else None


#: MetaData already imported in this process, by reference, search path and the state of the package's files.
_IMPORTED: dict[tuple[str, tuple[str, ...], tuple[str, ...], tuple[tuple[str, int, int], ...]], sa.MetaData] = {}


def import_metadata(
    reference: str, search: list[Path], *, what: str = "metadata", imports: Sequence[str] = ()
) -> sa.MetaData:
    """The MetaData at ``module:attribute`` (a declarative base stands for its ``metadata``), imported inside the
    sandbox with ``search`` on the path, after ``imports`` (``metadata-imports``: modules, or ``module:function``
    called with no arguments, that register the models, as indico's ``import_all_models`` does); a reference that
    cannot be imported is a ConfigError naming it.

    The project is imported once per process while its files are unchanged: a second import would run its import-time
    side effects again (a library's event listeners registered globally, which then emit their DDL twice in
    ``create_all()``)."""
    key = (reference, tuple(str(path) for path in search), tuple(imports), _package_state(reference, search))
    if key in _IMPORTED:
        return _IMPORTED[key]
    target = import_object(reference, search, what=what, example="myapp.models:Base.metadata", imports=imports)
    metadata = getattr(target, "metadata", target)
    if not isinstance(metadata, sa.MetaData):
        raise ConfigError(f"{what} = {reference!r} is a {type(target).__name__}, not a MetaData or declarative base")
    _IMPORTED[key] = metadata
    return metadata


def _package_state(reference: str, search: list[Path]) -> tuple[tuple[str, int, int], ...]:
    """Path, modification time and size of each file of the reference's top-level package (the first found)."""
    top = reference.partition(":")[0].partition(".")[0]
    for directory in search:
        files = [directory / f"{top}.py"] if (directory / f"{top}.py").is_file() else []
        if (directory / top).is_dir():
            files = sorted((directory / top).rglob("*.py"))
        if files:
            state = []
            for file in files:
                with suppress(OSError):
                    stat = file.stat()
                    state.append((str(file), stat.st_mtime_ns, stat.st_size))
            return tuple(state)
    return ()


def import_object(reference: str, search: list[Path], *, what: str, example: str, imports: Sequence[str] = ()) -> Any:
    """The object at ``module:attribute.path``, imported inside the sandbox with ``search`` on the path (the
    project's own package imported from its files), after each of ``imports`` (a module, or ``module:function``
    called); one that cannot be imported is a ConfigError naming it."""
    module_name, _, attribute = reference.partition(":")
    if not module_name or not attribute:
        raise ConfigError(f"{what} = {reference!r}: expected module:attribute, e.g. {example}")
    from schema_parity.sources.alembic.sandbox import Sandbox, sqlite_memory_connection
    from schema_parity.sources.alembic.terminal import no_terminal

    with (
        _on_path(search),
        nullcontext() if _already_imported(module_name, search) else _own_modules(module_name),
        sqlite_memory_connection() as connection,
        Sandbox(connection, None).installed(),
    ):
        step = reference
        try:
            with no_terminal():
                for step in imports:
                    prepared: Any = importlib.import_module(step.partition(":")[0])
                    if step.partition(":")[2]:
                        getattr(prepared, step.partition(":")[2])()
                step = reference
                target: Any = importlib.import_module(module_name)
                for part in attribute.split("."):
                    target = getattr(target, part)
        except (Exception, SystemExit) as exc:
            failing = f"metadata-imports entry {step!r}" if step != reference else f"{what} = {reference!r}"
            raise ConfigError(
                f"{failing} cannot be imported ({describe(exc)}): install the application's "
                f"dependencies and set what its settings need, or set {what} to a module that imports cleanly"
            ) from exc
    return target


@contextmanager
def _on_path(directories: list[Path]) -> Iterator[None]:
    """The project's root and ``src/`` importable for the duration (as the application itself runs)."""
    added = [str(d) for d in directories if d.is_dir() and str(d) not in sys.path]
    sys.path[:0] = added
    try:
        yield
    finally:
        for directory in added:
            if directory in sys.path:
                sys.path.remove(directory)


def _already_imported(module_name: str, search: list[Path]) -> bool:
    """Whether the package was already imported in this process from the files ``search`` finds (a revision that
    imports the installed application, at load time): it is used as it is, since importing it a second time would
    run its import-time side effects again (listeners registered globally act twice in ``create_all()``)."""
    top = module_name.partition(".")[0]
    loaded = getattr(sys.modules.get(top), "__file__", None)
    if loaded is None:
        return False
    found = importlib.machinery.PathFinder.find_spec(top, [str(d) for d in search])
    return found is not None and found.origin is not None and Path(found.origin).resolve() == Path(loaded).resolve()


@contextmanager
def _own_modules(module_name: str) -> Iterator[None]:
    """The project's own package imported from its files: a package of the same name imported earlier in this process
    (another project's ``app``, in a test session or a long-lived worker) is set aside for the import and put back
    after it, so neither project sees the other's modules."""
    top = module_name.partition(".")[0]
    ours = [name for name in sys.modules if name == top or name.startswith(top + ".")]
    earlier = {name: sys.modules.pop(name) for name in ours}
    importlib.invalidate_caches()  # a project written after the interpreter started
    try:
        yield
    finally:
        for name in [n for n in sys.modules if n == top or n.startswith(top + ".")]:
            del sys.modules[name]
        sys.modules.update(earlier)
