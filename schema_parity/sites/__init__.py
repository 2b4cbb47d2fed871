"""Upsert sites: where in the user's code an INSERT ... ON CONFLICT is written, and its SQL text."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from schema_parity.catalog import Dialect

if TYPE_CHECKING:
    from schema_parity.suppressions import Directive

Origin = Literal["sql-file", "python-string", "sqlalchemy", "wrapper", "migration", "captured"]


@dataclass(frozen=True)
class Site:
    """One upsert statement found in the code.

    ``sql`` is one statement's text (placeholders such as ``?``, ``%s``, ``:name`` kept as written); it is None when
    the site could not be resolved, and ``unresolved`` then says why. ``dialect`` is set when the code itself fixes
    the engine (``sqlalchemy.dialects.sqlite.insert``); otherwise every requested dialect judges the site.
    ``revision`` is set for sites inside a migration script: they are judged against the schema at that revision.
    ``columns_unknown`` says why the inserted columns are known only at run time although the code lists some (the
    statement is executed with parameters, or handed on to code that may pass them): ``sql`` then has no column list,
    so "NOT NULL column left out" (SP301) is not judged for this site, while the conflict target still is.
    ``reason`` is the stable key of ``unresolved`` among SP901's registered reasons
    (``schema_parity.rules.undecided.REASONS``; ``sites[].reason`` in the JSON report).
    """

    path: str
    line: int
    column: int
    origin: Origin
    sql: str | None
    dialect: Dialect | None = None
    revision: str | None = None
    unresolved: str | None = None
    columns_unknown: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class ScanProblem:
    """A file that could not be examined (unreadable, too big, not UTF-8, not valid Python): reported as SP903,
    never raised. ``line`` is 0 when the problem concerns the whole file."""

    path: str
    line: int
    message: str


@dataclass(frozen=True)
class FileScan:
    """What one file contributes to a scan: its sites, why it could not be read, its suppression comments."""

    sites: tuple[Site, ...] = ()
    problems: tuple[ScanProblem, ...] = ()
    directives: tuple[Directive, ...] = ()
