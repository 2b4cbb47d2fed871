"""The project's SQLAlchemy MetaData, for its naming convention: Alembic names ``op.*`` constraints by it.

A project's ``env.py`` passes ``target_metadata`` to ``context.configure``, and Alembic applies that MetaData's
``naming_convention`` to every constraint an ``op.*`` call builds (``op.create_unique_constraint(None, ...)``,
``op.f(...)``). The built-in environment runs without the project's ``env.py``, so the MetaData is found here:
configured as ``module:attribute`` (``metadata`` in ``[tool.schema-parity]``), or read from env.py's
``target_metadata = ...`` assignment and the import it names. The module is imported inside the sandbox, on a
private in-memory database: an engine the application builds at import time never reaches a real database.
"""

from __future__ import annotations

import ast
import importlib
import logging
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from schema_parity.errors import ConfigError, describe

__all__ = ["env_py_metadata", "naming_convention"]

_log = logging.getLogger("schema_parity.sources.alembic")


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


def naming_convention(reference: str, search: list[Path]) -> Mapping[str, Any] | None:
    """The naming convention of the MetaData at ``module:attribute`` (a declarative base stands for its
    ``metadata``); None when it has none. A reference that cannot be imported is a ConfigError naming it."""
    module_name, _, attribute = reference.partition(":")
    if not module_name or not attribute:
        raise ConfigError(f"metadata = {reference!r}: expected module:attribute, e.g. myapp.models:Base.metadata")
    from schema_parity.sources.alembic.runner import sqlite_memory_connection
    from schema_parity.sources.alembic.sandbox import Sandbox
    from schema_parity.sources.alembic.terminal import no_terminal

    with _on_path(search), sqlite_memory_connection() as connection, Sandbox(connection, None).installed():
        try:
            with no_terminal():
                target: Any = importlib.import_module(module_name)
                for part in attribute.split("."):
                    target = getattr(target, part)
        except (Exception, SystemExit) as exc:
            raise ConfigError(
                f"metadata = {reference!r} cannot be imported ({describe(exc)}): install the application's "
                "dependencies and set what its settings need, or set metadata to a module that imports cleanly"
            ) from exc
    metadata = getattr(target, "metadata", target)
    if not isinstance(metadata, sa.MetaData):
        raise ConfigError(f"metadata = {reference!r} is a {type(target).__name__}, not a MetaData or declarative base")
    convention = dict(metadata.naming_convention)
    return convention if set(convention) != {"ix"} or convention["ix"] != "ix_%(column_0_label)s" else None


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
