"""A project's own upsert functions, as the configuration declares them (``[[tool.schema-parity.wrappers]]``).

The configuration reads this type and the scanner matches calls against it; it lives apart from both so that the
configuration never imports the scanner.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from schema_parity.catalog import DIALECTS, Dialect


@dataclass(frozen=True)
class Wrapper:
    """A project function that performs an upsert; each argument spec is a keyword name or a positional index.

    ``function`` is the dotted path of the function (``myapp.db.upsert``); a call matches when the called name,
    resolved through the caller's imports, is that path (or ends with it: ``src.myapp.db.upsert``). ``dialect`` None
    means the wrapper works on both engines. ``action`` says which ON CONFLICT action the wrapper emits.

    A method is named by its class: ``myapp.db.Repository.save_rows`` matches ``self.save_rows(...)`` inside that
    class and ``Repository(...).save_rows(...)``. Where the object's class cannot be
    known (``session.save_rows(...)``, an injected repository), ``method=True`` matches any ``obj.save_rows(...)``
    call (``obj`` not a module) by the method's name. Positions count the call's own arguments (``self`` excluded).
    One function may have one entry per ``dialect`` when its target differs by engine.

    A generic helper that takes its model from the object (``insert(self.model)``) says ``table="self.model"``: the
    class attribute ``model`` of the class the method is called on (``self`` inside a subclass, ``Repo(...)``).
    ``default_target`` is the target used when the call passes none: ``"primary-key"`` (the table's primary key) or
    a list of column names (a declared key).
    """

    function: str
    table: str | int
    index_elements: str | int | None = None
    constraint: str | int | None = None
    index_where: str | int | None = None
    dialect: Dialect | None = None
    action: Literal["update", "nothing"] = "update"
    method: bool = False
    default_target: Literal["primary-key"] | tuple[str, ...] | None = None

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
        default = data.get("default_target")
        if isinstance(default, list) and all(isinstance(name, str) for name in default) and default:
            data = {**data, "default_target": tuple(default)}
        elif default not in (None, "primary-key"):
            raise ValueError('wrapper default_target must be "primary-key" or a list of column names')
        if not isinstance(data.get("method", False), bool):
            raise ValueError("wrapper method must be true or false")
        if data.get("action", "update") not in ("update", "nothing"):
            raise ValueError('wrapper action must be "update" or "nothing"')
        return cls(**data)  # type: ignore[arg-type]

    @property
    def short_name(self) -> str:
        """The function's own name: a file that does not contain it cannot call the wrapper."""
        return self.function.rsplit(".", 1)[-1]
