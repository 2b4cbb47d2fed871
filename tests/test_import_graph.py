"""The package's modules form no import cycle, counting the imports made inside functions.

Many imports are deferred into the functions that need them (start-up cost: a check of DDL files imports neither
SQLAlchemy nor Alembic). A deferred import still makes the importing module depend on the imported one; two modules
that reach each other that way are one module split in two, and the deferral only hides it from the interpreter.
This test reads every module's imports with ``ast`` (except those under ``if TYPE_CHECKING:``, which never run) and
asks ``graphlib`` for an order: a cycle fails with its modules named.
"""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import schema_parity

PACKAGE = Path(schema_parity.__file__).parent


def _modules() -> dict[str, Path]:
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _typing_only(tree: ast.Module) -> set[int]:
    """The nodes under a top-level ``if TYPE_CHECKING:``."""
    return {
        id(node)
        for statement in tree.body
        if isinstance(statement, ast.If) and "TYPE_CHECKING" in ast.unparse(statement.test)
        for node in ast.walk(statement)
    }


def import_graph() -> dict[str, set[str]]:
    """Each module of the package and the package modules it imports, anywhere in its code."""
    modules = _modules()

    def module_of(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skipped = _typing_only(tree)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(tree):
            if id(node) in skipped:
                continue
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*parts, base] if base else parts)
                # ``from package import name`` imports the module ``package.name`` when there is one
                named = (f"{base}.{alias.name}" for alias in node.names)
                targets = [module if module in modules else base for module in named]
            for target in targets:
                found = module_of(target) if target.startswith("schema_parity") else None
                if found is not None and found != name:
                    graph[name].add(found)
    return graph


def test_the_graph_sees_imports_made_inside_functions() -> None:
    graph = import_graph()
    # ``judge`` imports each engine's rules when it first judges for that engine
    assert {"schema_parity.verdicts.postgresql", "schema_parity.verdicts.sqlite"} <= graph[
        "schema_parity.verdicts.dispatch"
    ]
    # a module named by ``from package import module`` is that module, not the package
    assert "schema_parity.compat" in graph["schema_parity.sources.reflect"]
    assert len(graph) > 100


def test_no_import_cycle() -> None:
    try:
        graphlib.TopologicalSorter(import_graph()).prepare()
    except graphlib.CycleError as exc:
        cycle = " -> ".join(exc.args[1])
        raise AssertionError(f"modules that import each other (directly or through others): {cycle}") from None
