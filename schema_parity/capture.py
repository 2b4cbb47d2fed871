"""Run-time capture: every ``INSERT ... ON CONFLICT`` a process executes, with the application code that issued it.

Static analysis cannot read a conflict target built at run time (from configuration, a model property, a generic
``upsert_many(model, ...)``), but a test run executes those statements. While a :class:`Capture` is active it records,
without changing what any statement does:

* every statement an SQLAlchemy engine sends to its driver (a ``before_cursor_execute`` listener on the ``Engine``
  class, so every engine, and async engines through their ``sync_engine``); an SQLAlchemy construct is also compiled
  again for PostgreSQL, so a SQLite run is judged with the rules of the engine production runs;
* every statement run on a connection the process opens with ``sqlite3.connect``, ``psycopg.connect``, asyncpg's or
  ``aiosqlite.connect`` while it is active (the connect functions are wrapped while active and restored after;
  connections SQLAlchemy opens are left alone, its events see them).

Each record holds the statement's text for each dialect, the application frame that issued it (the first frame outside
SQLAlchemy, the drivers and this tool), the test that first ran it, and whether one statement proposed the same
conflict key twice with DO UPDATE (PostgreSQL's 21000, rule SP302). Records are plain data: they are saved as JSON
(:func:`dump`, :func:`load`; the format is in docs/capture.md) and judged by :mod:`schema_parity.captured`.
"""

from __future__ import annotations

import functools
import json
import os
import re
import sys
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import FrameType
from typing import Any, Literal

from schema_parity.catalog import Dialect
from schema_parity.errors import ConfigError, read_text
from schema_parity.rows import Duplicate, RowPlan

__all__ = ["FORMAT_VERSION", "Capture", "Record", "dump", "load", "records_from_json", "records_to_json"]

FORMAT_VERSION = 1
Source = Literal["sqlalchemy", "sqlite3", "psycopg", "asyncpg"]
_UPSERT = re.compile(r"\bON\s+CONFLICT\b", re.IGNORECASE)
#: Packages whose frames are not the application's: SQLAlchemy, the drivers, this tool, and the machinery between.
_SKIPPED_PACKAGES = (
    "sqlalchemy",
    "sqlite3",
    "psycopg",
    "psycopg2",
    "asyncpg",
    "aiosqlite",
    "greenlet",
    "sqlmodel",
    "schema_parity",
)
#: Between two rows of a VALUES list: ``)`` and ``(`` around a comma, maybe with comments (SQL's ``--`` and ``/* */``).
_GAP = r"(?:\s|--[^\n]*(?:\n|$)|/\*.*?\*/)*"
_NEXT_ROW = re.compile(rf"\){_GAP},{_GAP}\(", re.DOTALL)
_DO_UPDATE = re.compile(r"\bDO\s+UPDATE\b", re.IGNORECASE)
_SKIPPED_MODULES = frozenset({"asyncio", "contextlib", "concurrent", "threading", "functools"})


@dataclass(frozen=True)
class Record:
    """One distinct upsert executed at one application call site.

    ``sql`` maps a dialect to the statement text for its rules; the key ``None`` is raw SQL text, judged by every
    dialect as it is. ``path`` is relative to the capture's root when inside it (else absolute), ``function`` the
    lines of the function holding the call (to tell which statically unresolved site the call stands for).
    """

    path: str
    line: int
    function: tuple[int, int]
    sql: Mapping[Dialect | None, str]
    source: Source
    driver: str
    test: str | None = None
    revision: str | None = None
    executions: int = 1
    duplicate: Duplicate | None = None

    def key(self) -> tuple[object, ...]:
        return (self.path, self.line, self.revision, tuple(sorted((k or "", v) for k, v in self.sql.items())))

    @property
    def statement(self) -> str:
        """The text to show: raw SQL as executed, else the PostgreSQL form, else whatever there is."""
        return self.sql.get(None) or self.sql.get("postgresql") or next(iter(self.sql.values()), "")


# -- the capture --------------------------------------------------------------------------------------------------
class Capture:
    """Records upserts while active (``start``/``stop``, or ``with Capture(root) as capture:``).

    ``test`` and ``revision`` name what runs now (the pytest plugin sets them around each test). Thread-safe: a
    statement executed in another thread is recorded with the current test.
    """

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.test: str | None = None
        self.revision: str | None = None
        self._records: dict[tuple[object, ...], Record] = {}
        self._lock = threading.Lock()
        self._active = False
        self._restore: list[Callable[[], None]] = []
        self._is_upsert: dict[str, bool] = {}
        self._postgresql_text: dict[tuple[str, int], str | None] = {}
        self._row_plans: dict[tuple[str, str], RowPlan | None] = {}
        self._seen: dict[tuple[object, ...], tuple[object, ...]] = {}
        self._again: dict[tuple[object, ...], int] = {}
        self._paths: dict[str, str] = {}
        self._wrapped: set[str] = set()
        #: recording subclasses of the drivers' classes, by (kind, base class): made once, they refer to this capture
        self._classes: dict[tuple[str, Any], Any] = {}
        self._missed: dict[str, int] = {}

    # lifecycle
    def __enter__(self) -> Capture:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    @property
    def active(self) -> bool:
        return self._active

    def start(self, *, import_drivers: bool = True) -> None:
        """Start recording. ``import_drivers=False`` wraps ``psycopg.connect`` only once psycopg is imported by
        someone else (:meth:`notice_drivers`), so a process that never uses it does not pay for its import."""
        if self._active:
            return
        self._active = True
        self._listen_sqlalchemy()
        self._wrap_sqlite3()
        self.notice_drivers(import_drivers=import_drivers)

    def notice_drivers(self, *, import_drivers: bool = False) -> None:
        """Wrap the connect functions of a driver imported since :meth:`start` (cheap when there is none)."""
        if not self._active:
            return
        for name, wrap in (
            ("psycopg", self._wrap_psycopg),
            ("asyncpg", self._wrap_asyncpg),
            ("aiosqlite", self._wrap_aiosqlite),
        ):
            if name not in self._wrapped and (import_drivers or name in sys.modules):
                self._wrapped.add(name)
                wrap()

    def stop(self) -> None:
        """Stop recording and put back everything :meth:`start` changed (in reverse order)."""
        self._active = False
        while self._restore:
            self._restore.pop()()
        self._wrapped.clear()

    def records(self) -> list[Record]:
        with self._lock:
            return [
                replace(r, executions=r.executions + self._again[k]) if self._again.get(k) else r
                for k, r in self._records.items()
            ]

    def add(self, records: Iterable[Record], missed: Mapping[str, int] | None = None) -> None:
        """Merge records from elsewhere (an xdist worker): the first test and the executions add up."""
        with self._lock:
            for record in records:
                self._merge(record)
            for reason, count in (missed or {}).items():
                self._missed[reason] = self._missed.get(reason, 0) + count

    def missed(self) -> dict[str, int]:
        """Upserts executed but not recorded, by reason: recording never fails a statement, and never hides that
        it could not record one either."""
        with self._lock:
            return dict(self._missed)

    def _miss(self, reason: str) -> None:
        with self._lock:
            self._missed[reason] = self._missed.get(reason, 0) + 1

    def _merge(self, record: Record) -> tuple[object, ...]:
        key = record.key()
        known = self._records.get(key)
        if known is None:
            self._records[key] = record
            return key
        self._records[key] = replace(
            known, executions=known.executions + record.executions, duplicate=known.duplicate or record.duplicate
        )
        return key

    # SQLAlchemy
    def _listen_sqlalchemy(self) -> None:
        try:
            from sqlalchemy import event
            from sqlalchemy.engine import Engine  # sqlalchemy.Engine is 2.x only
        except ImportError:  # pragma: no cover - SQLAlchemy is a dependency
            return
        listener = self._on_cursor_execute
        event.listen(Engine, "before_cursor_execute", listener)
        self._restore.append(lambda: event.remove(Engine, "before_cursor_execute", listener))

    def _on_cursor_execute(self, *event: Any) -> None:
        """``before_cursor_execute(conn, cursor, statement, parameters, context, executemany)``."""
        conn, _cursor, statement, parameters, context, executemany = event
        if not self._active or not self._upsert(statement):
            return
        try:
            dialect = conn.dialect
            texts: dict[Dialect | None, str] = {}
            compiled = getattr(context, "compiled", None)
            construct = getattr(compiled, "statement", None) if compiled is not None else None
            own = _dialect_name(dialect.name)
            if construct is None or _is_text(construct):
                texts[None] = statement
            else:
                if own is not None:
                    texts[own] = statement
                postgresql = (
                    self._compiled_for_postgresql(construct, statement, getattr(compiled, "column_keys", None))
                    if own != "postgresql"
                    else None
                )
                texts["postgresql"] = postgresql if postgresql is not None else texts.get("postgresql", statement)
            style = getattr(getattr(context, "execute_style", None), "name", "")
            batched = style == "INSERTMANYVALUES"  # an executemany sent as multi-row VALUES (SQLAlchemy 2.0+)
            duplicate = self._duplicate(
                statement, parameters, dialect.paramstyle, executemany=executemany and not batched, batched=batched
            )
            self._record(texts, "sqlalchemy", f"sqlalchemy {dialect.name}+{dialect.driver}", duplicate)
        except Exception as exc:
            # recording must never change what the statement does
            self._miss(_failure(exc))

    def _compiled_for_postgresql(self, construct: Any, statement: str, column_keys: Any) -> str | None:
        key = (statement, id(type(construct)))
        if key in self._postgresql_text:
            return self._postgresql_text[key]
        text = compile_for_postgresql(construct, column_keys)
        if len(self._postgresql_text) < 10_000:
            self._postgresql_text[key] = text
        return text

    # raw drivers
    def _wrap_sqlite3(self) -> None:
        import sqlite3

        original = sqlite3.connect
        capture = self

        @functools.wraps(original)
        def connect(*args: Any, **kwargs: Any) -> Any:
            if not capture._active or _called_by_library(sys._getframe(1)):
                return original(*args, **kwargs)
            base = kwargs.get("factory", sqlite3.Connection)
            if len(args) >= 4 or not isinstance(base, type) or not issubclass(base, sqlite3.Connection):
                return original(*args, **kwargs)
            kwargs["factory"] = _sqlite_factory(base, capture)
            return original(*args, **kwargs)

        sqlite3.connect = connect
        self._restore.append(lambda: setattr(sqlite3, "connect", original))

    def _wrap_psycopg(self) -> None:
        try:
            import psycopg
        except ImportError:
            return
        original = psycopg.connect
        capture = self

        @functools.wraps(original)
        def connect(*args: Any, **kwargs: Any) -> Any:
            if not capture._active or _called_by_library(sys._getframe(1)):
                return original(*args, **kwargs)
            base = kwargs.get("cursor_factory") or psycopg.Cursor
            if not isinstance(base, type) or not issubclass(base, psycopg.Cursor):
                return original(*args, **kwargs)
            kwargs["cursor_factory"] = _psycopg_cursor(base, capture)
            return original(*args, **kwargs)

        psycopg.connect = connect
        self._restore.append(lambda: setattr(psycopg, "connect", original))

        # AsyncConnection.connect is a classmethod: the class keeps a wrapper of it while active
        original_async = psycopg.AsyncConnection.__dict__["connect"]

        def connect_async(cls: type, *args: Any, **kwargs: Any) -> Any:
            run = original_async.__get__(None, cls)
            if not capture._active or _called_by_library(sys._getframe(1)):
                return run(*args, **kwargs)
            base = kwargs.get("cursor_factory") or psycopg.AsyncCursor
            if isinstance(base, type) and issubclass(base, psycopg.AsyncCursor):
                kwargs["cursor_factory"] = _psycopg_async_cursor(base, capture)
            return run(*args, **kwargs)

        functools.update_wrapper(connect_async, original_async.__func__)
        psycopg.AsyncConnection.connect = classmethod(connect_async)  # type: ignore[method-assign,assignment]
        self._restore.append(lambda: setattr(psycopg.AsyncConnection, "connect", original_async))

    def _wrap_asyncpg(self) -> None:
        try:
            import asyncpg  # type: ignore[import-untyped]
        except ImportError:
            return
        capture = self
        for name in ("connect", "create_pool"):
            original = getattr(asyncpg, name)

            def wrapper(*args: Any, __original: Any = original, **kwargs: Any) -> Any:
                if capture._active and not _called_by_library(sys._getframe(1)):
                    base = kwargs.get("connection_class", asyncpg.Connection)
                    if isinstance(base, type) and issubclass(base, asyncpg.Connection):
                        kwargs["connection_class"] = _asyncpg_connection(base, capture)
                return __original(*args, **kwargs)

            setattr(asyncpg, name, functools.wraps(original)(wrapper))
            self._restore.append(functools.partial(setattr, asyncpg, name, original))

    def _wrap_aiosqlite(self) -> None:
        try:
            import aiosqlite
        except ImportError:
            return
        if not hasattr(aiosqlite.Connection, "_execute"):  # not the aiosqlite this was written for: leave it alone
            return
        original = aiosqlite.connect
        capture = self

        @functools.wraps(original)
        def connect(*args: Any, **kwargs: Any) -> Any:
            connection = original(*args, **kwargs)
            if capture._active and not _called_by_library(sys._getframe(1)):
                # the same object with a recording class: aiosqlite builds it itself and takes no class to use
                connection.__class__ = _aiosqlite_connection(type(connection), capture)
            return connection

        aiosqlite.connect = connect
        self._restore.append(lambda: setattr(aiosqlite, "connect", original))

    def raw(
        self,
        source: Source,
        statement: Any,
        parameters: Any,
        *,
        executemany: bool,
        paramstyle: str,
        driver: str | None = None,
    ) -> None:
        """A statement run on a raw driver connection (called by the wrapped connections' cursors)."""
        if not self._active or not isinstance(statement, str) or not self._upsert(statement):
            return
        try:
            duplicate = self._duplicate(statement, parameters, paramstyle, executemany=executemany, batched=False)
            self._record({None: statement}, source, driver or source, duplicate)
        except Exception as exc:
            # recording must never change what the statement does
            self._miss(_failure(exc))

    # shared
    def _upsert(self, statement: str) -> bool:
        known = self._is_upsert.get(statement)
        if known is None:
            known = bool(_UPSERT.search(statement))
            if len(self._is_upsert) < 50_000:
                self._is_upsert[statement] = known
        return known

    def _duplicate(
        self, statement: str, parameters: Any, paramstyle: str, *, executemany: bool, batched: bool
    ) -> Duplicate | None:
        """The first conflict key one PostgreSQL statement would propose twice to DO UPDATE (None: none, or unknown).

        An executemany runs each parameter set as a statement of its own (no two rows meet); SQLAlchemy's
        insertmanyvalues batches (``batched``) arrive here already as one multi-row statement. PostgreSQL's dialects
        send at most 1,000 rows per batch, so two rows further apart than that are not reported.
        """
        if executemany:
            return None
        key = (statement, paramstyle)
        try:
            plan = self._row_plans[key]
        except KeyError:
            plan = RowPlan.of(statement, paramstyle) if _may_repeat(statement) else None
            if len(self._row_plans) < 10_000:
                self._row_plans[key] = plan
        if plan is None or plan.rows < 2:
            return None
        return plan.first_repeat(parameters, batched=batched)

    def _record(self, texts: dict[Dialect | None, str], source: Source, driver: str, dup: Duplicate | None) -> None:
        frame = application_frame(sys._getframe(2))
        if frame is None:
            self._miss(f"no application frame on the stack of a {source} statement (only library code)")
            return
        code = frame.f_code
        seen = (code, frame.f_lineno, self.revision, *texts.items())
        with self._lock:
            key = self._seen.get(seen)
            if key is not None and dup is None:  # the same statement from the same line again: count it
                self._again[key] = self._again.get(key, 0) + 1
                return
        lines = [line for _start, _end, line in code.co_lines() if line is not None]
        record = Record(
            path=self._relative(code.co_filename),
            line=frame.f_lineno,
            function=(code.co_firstlineno, max(lines, default=code.co_firstlineno)),
            sql=texts,
            source=source,
            driver=driver,
            test=self.test,
            revision=self.revision,
            duplicate=dup,
        )
        with self._lock:
            self._seen[seen] = self._merge(record)

    def _relative(self, filename: str) -> str:
        known = self._paths.get(filename)
        if known is None:
            path = Path(filename)
            try:
                known = path.resolve().relative_to(self.root).as_posix()
            except ValueError:
                known = path.as_posix()
            self._paths[filename] = known
        return known


def _failure(exc: Exception) -> str:
    """Why recording failed: the exception's type and where it was raised (not its message, which may quote a
    statement's parameters)."""
    last = exc.__traceback__
    while last is not None and last.tb_next is not None:
        last = last.tb_next
    where = f" at {Path(last.tb_frame.f_code.co_filename).name}:{last.tb_lineno}" if last is not None else ""
    return f"recording failed: {type(exc).__name__}{where}"


def _may_repeat(statement: str) -> bool:
    """Whether the statement can propose one key twice to DO UPDATE: it needs DO UPDATE and two VALUES rows. A cheap
    test on the text, so that a single-row statement (most upserts) is never parsed while the tests run."""
    return _DO_UPDATE.search(statement) is not None and _NEXT_ROW.search(statement) is not None


def _dialect_name(name: str) -> Dialect | None:
    return "postgresql" if name == "postgresql" else "sqlite" if name == "sqlite" else None


@functools.cache
def _text_clause() -> type:
    from sqlalchemy.sql.elements import TextClause

    return TextClause


def _is_text(construct: Any) -> bool:
    return isinstance(construct, _text_clause())


def compile_for_postgresql(construct: Any, column_keys: Sequence[str] | None = None) -> str | None:
    """The construct's text on SQLAlchemy's PostgreSQL dialect, or None when it does not compile there.

    ``sqlalchemy.dialects.sqlite.insert``'s ON CONFLICT clause lacks the ``constraint_target`` attribute the
    PostgreSQL compiler reads (SQLite has no ON CONSTRAINT); a copy of the statement with it set compiles to the
    same target, index predicate, SET list and WHERE that the PostgreSQL construct would.
    """
    import copy

    from sqlalchemy.dialects import postgresql

    statement = construct
    clause = getattr(construct, "_post_values_clause", None)
    if clause is not None and not hasattr(clause, "constraint_target"):
        clause = copy.copy(clause)
        clause.constraint_target = None
        statement = construct._clone()
        statement._post_values_clause = clause
    try:
        compiled = statement.compile(
            dialect=postgresql.dialect(),
            column_keys=list(column_keys) if column_keys is not None else None,
            compile_kwargs={"render_postcompile": True},
        )
        return str(compiled)
    except Exception:
        # a construct PostgreSQL cannot compile is judged on the executed text
        return None


# -- frames -------------------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=4096)
def _skipped_file(filename: str) -> bool:
    """Whether a frame of this file belongs to SQLAlchemy, a driver, this tool or the machinery between."""
    parts = Path(filename).parts
    if filename.startswith("<"):
        return True
    for index, part in enumerate(parts[:-1]):
        if part in _SKIPPED_PACKAGES and _is_package_dir(Path(*parts[: index + 1])):
            return True
    stdlib = os.path.dirname(os.__file__)
    if filename.startswith(stdlib) and "site-packages" not in filename:
        first = Path(filename).relative_to(stdlib).parts[0].removesuffix(".py")
        return first in _SKIPPED_MODULES or first in _SKIPPED_PACKAGES
    return False


def _is_package_dir(path: Path) -> bool:
    return (path / "__init__.py").is_file()


def application_frame(frame: FrameType | None) -> FrameType | None:
    """The first frame outside SQLAlchemy, the drivers and this tool; through a greenlet to the code that awaited."""
    found = _outside_libraries(frame)
    current = _current_greenlet() if found is None else None
    while found is None and current is not None and current.parent is not None:
        current = current.parent
        found = _outside_libraries(current.gr_frame)
    return found


def _outside_libraries(frame: FrameType | None) -> FrameType | None:
    while frame is not None:
        if not _skipped_file(frame.f_code.co_filename):
            return frame
        frame = frame.f_back
    return None


def _current_greenlet() -> Any:
    """The running greenlet, or None without greenlet. Looked up only when a stack holds library code alone (an
    async SQLAlchemy engine runs the driver in a greenlet whose parent holds the awaiting coroutine), and imported
    then: ``sys.modules`` may have lost greenlet while SQLAlchemy still runs on it (an in-process pytest run, such as
    pytester's, takes out the modules first imported during it; SQLAlchemy keeps the greenlet it imported), and a new
    import of it answers for the same greenlets."""
    try:
        import greenlet  # type: ignore[import-untyped]
    except ImportError:
        return None
    return greenlet.getcurrent()


def _called_by_library(frame: FrameType | None) -> bool:
    """Whether a connect call comes from SQLAlchemy or another driver (their connections are captured by events)."""
    return frame is not None and _skipped_file(frame.f_code.co_filename)


# -- raw connections ----------------------------------------------------------------------------------------------
def _classes(kind: str, make: Callable[[Any, Capture], Any], base: Any, capture: Capture) -> Any:
    """The recording subclass of ``base`` for this capture, made on first use. Kept on the capture, so that a
    capture's classes (which refer to it) go away with it."""
    key = (kind, base)
    made = capture._classes.get(key)
    if made is None:
        made = capture._classes[key] = make(base, capture)
    return made


def _sqlite_classes(base: Any, capture: Capture) -> tuple[type, type]:
    classes: tuple[type, type] = _classes("sqlite3", _make_sqlite_classes, base, capture)
    return classes


def _make_sqlite_classes(base: Any, capture: Capture) -> tuple[type, type]:
    import sqlite3

    def recorded(method: Callable[..., Any], *, many: bool) -> Callable[..., Any]:
        def run(self: Any, sql: Any, parameters: Any = (), /) -> Any:
            if capture._active and isinstance(sql, str):
                if many:
                    parameters = list(parameters)
                capture.raw("sqlite3", sql, parameters, executemany=many, paramstyle=_sqlite_style(parameters, many))
            return method(self, sql, parameters)

        return run

    cursor = type(
        "CapturedCursor",
        (sqlite3.Cursor,),
        {
            "execute": recorded(sqlite3.Cursor.execute, many=False),
            "executemany": recorded(sqlite3.Cursor.executemany, many=True),
        },
    )

    def make_cursor(self: Any, factory: Any = cursor) -> Any:
        return base.cursor(self, factory)

    def execute(self: Any, sql: str, parameters: Any = (), /) -> Any:
        return make_cursor(self).execute(sql, parameters)

    def executemany(self: Any, sql: str, parameters: Any, /) -> Any:
        return make_cursor(self).executemany(sql, parameters)

    connection = type(
        f"Captured{base.__name__}",
        (base,),
        {"cursor": make_cursor, "execute": execute, "executemany": executemany},
    )
    return connection, cursor


def _sqlite_factory(base: Any, capture: Capture) -> type:
    return _sqlite_classes(base, capture)[0]


def _sqlite_style(parameters: Any, many: bool) -> str:
    sample = (parameters[0] if parameters else ()) if many else parameters
    return "named" if isinstance(sample, Mapping) else "qmark"


def _psycopg_cursor(base: Any, capture: Capture) -> type:
    made: type = _classes("psycopg_cursor", _make_psycopg_cursor, base, capture)
    return made


def _make_psycopg_cursor(base: Any, capture: Capture) -> type:
    def execute(self: Any, query: Any, params: Any = None, **kwargs: Any) -> Any:
        if capture._active:
            capture.raw("psycopg", _query_text(query, self), params, executemany=False, paramstyle=_pg_style(params))
        return base.execute(self, query, params, **kwargs)

    def executemany(self: Any, query: Any, params_seq: Any, **kwargs: Any) -> Any:
        if capture._active:
            params_seq = list(params_seq)
            style = _pg_style(params_seq[0] if params_seq else None)
            capture.raw("psycopg", _query_text(query, self), params_seq, executemany=True, paramstyle=style)
        return base.executemany(self, query, params_seq, **kwargs)

    return type(f"Captured{base.__name__}", (base,), {"execute": execute, "executemany": executemany})


def _query_text(query: Any, cursor: Any) -> str | None:
    if isinstance(query, str):
        return query
    if isinstance(query, bytes):
        return query.decode("utf-8", "replace")
    try:
        return str(query.as_string(cursor.connection))
    except Exception:
        # a composed query we cannot render is not recorded
        return None


def _psycopg_async_cursor(base: Any, capture: Capture) -> type:
    made: type = _classes("psycopg_async_cursor", _make_psycopg_async_cursor, base, capture)
    return made


def _make_psycopg_async_cursor(base: Any, capture: Capture) -> type:
    async def execute(self: Any, query: Any, params: Any = None, **kwargs: Any) -> Any:
        if capture._active:
            capture.raw("psycopg", _query_text(query, self), params, executemany=False, paramstyle=_pg_style(params))
        return await base.execute(self, query, params, **kwargs)

    async def executemany(self: Any, query: Any, params_seq: Any, **kwargs: Any) -> Any:
        if capture._active:
            params_seq = list(params_seq)
            style = _pg_style(params_seq[0] if params_seq else None)
            capture.raw("psycopg", _query_text(query, self), params_seq, executemany=True, paramstyle=style)
        return await base.executemany(self, query, params_seq, **kwargs)

    return type(f"Captured{base.__name__}", (base,), {"execute": execute, "executemany": executemany})


def _asyncpg_connection(base: Any, capture: Capture) -> type:
    made: type = _classes("asyncpg_connection", _make_asyncpg_connection, base, capture)
    return made


def _make_asyncpg_connection(base: Any, capture: Capture) -> type:
    """A subclass of asyncpg's connection class whose statement methods record (its ``$n`` are positional)."""

    def one(method: Callable[..., Any]) -> Callable[..., Any]:
        async def run(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
            if capture._active:
                capture.raw("asyncpg", query, args, executemany=False, paramstyle="numeric")
            return await method(self, query, *args, **kwargs)

        return functools.update_wrapper(run, method)

    def many(method: Callable[..., Any]) -> Callable[..., Any]:
        async def run(self: Any, query: Any, args: Any, **kwargs: Any) -> Any:
            if capture._active:
                args = list(args)
                capture.raw("asyncpg", query, args, executemany=True, paramstyle="numeric")
            return await method(self, query, args, **kwargs)

        return functools.update_wrapper(run, method)

    methods = {name: one(getattr(base, name)) for name in ("execute", "fetch", "fetchrow", "fetchval")}
    methods |= {name: many(getattr(base, name)) for name in ("executemany", "fetchmany")}
    return type(f"Captured{base.__name__}", (base,), methods)


def _aiosqlite_connection(base: Any, capture: Capture) -> type:
    made: type = _classes("aiosqlite_connection", _make_aiosqlite_connection, base, capture)
    return made


#: the sqlite3 methods aiosqlite hands to its worker thread that run a statement, with whether they run it per row
_AIOSQLITE_STATEMENTS = {"execute": False, "executemany": True, "_execute_insert": False, "_execute_fetchall": False}


def _make_aiosqlite_connection(base: Any, capture: Capture) -> type:
    """A subclass of aiosqlite's connection that records each statement before it goes to the worker thread.

    aiosqlite runs sqlite3 in a thread of its own, where no application frame is on the stack; every statement of a
    connection and of its cursors passes through ``Connection._execute(fn, sql, parameters)`` in the awaiting
    coroutine, so that one method is where the application that issued it can still be seen.
    """

    async def _execute(self: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
        many = _AIOSQLITE_STATEMENTS.get(getattr(fn, "__name__", ""))
        if capture._active and many is not None and args:
            parameters = list(args[1]) if many and len(args) > 1 else (args[1] if len(args) > 1 else ())
            capture.raw("sqlite3", args[0], parameters, executemany=many, paramstyle=_sqlite_style(parameters, many),
                        driver="aiosqlite")  # fmt: skip
            args = (args[0], parameters, *args[2:]) if len(args) > 1 else args
        return await base._execute(self, fn, *args, **kwargs)

    return type(f"Captured{base.__name__}", (base,), {"_execute": _execute})


def _pg_style(params: Any) -> str:
    return "pyformat" if isinstance(params, Mapping) else "format"


# -- JSON -----------------------------------------------------------------------------------------------------------
def records_to_json(records: Iterable[Record], *, root: Path) -> dict[str, Any]:
    """The capture file's content (docs/capture.md): version, root, and one object per record."""
    return {
        "version": FORMAT_VERSION,
        "tool": "schema-parity capture",
        "root": str(root),
        "statements": [_record_json(r) for r in sorted(records, key=lambda r: (r.path, r.line, r.statement))],
    }


def _record_json(record: Record) -> dict[str, Any]:
    return {
        "path": record.path,
        "line": record.line,
        "function": list(record.function),
        "sql": {(k or "any"): v for k, v in record.sql.items()},
        "source": record.source,
        "driver": record.driver,
        "test": record.test,
        "revision": record.revision,
        "executions": record.executions,
        "duplicate": None
        if record.duplicate is None
        else {
            "key": [list(pair) for pair in record.duplicate.key],
            "rows": list(record.duplicate.rows),
            "batched": record.duplicate.batched,
        },
    }


def records_from_json(data: Any, *, where: str = "capture") -> list[Record]:
    """Records from :func:`records_to_json`'s shape; anything else is a ConfigError naming ``where``."""
    statements = data.get("statements") if isinstance(data, dict) else None
    if not isinstance(data, dict) or data.get("version") != FORMAT_VERSION or not isinstance(statements, list):
        raise ConfigError(f"{where}: not a schema-parity capture file (version {FORMAT_VERSION}; see docs/capture.md)")
    out = []
    for index, item in enumerate(data["statements"]):
        try:
            sql = {(None if k == "any" else _checked_dialect(k)): str(v) for k, v in dict(item["sql"]).items()}
            duplicate = item.get("duplicate")
            out.append(
                Record(
                    path=str(item["path"]),
                    line=int(item["line"]),
                    function=(int(item["function"][0]), int(item["function"][1])),
                    sql=sql,
                    source=item.get("source", "sqlalchemy"),
                    driver=str(item.get("driver", "")),
                    test=item.get("test"),
                    revision=item.get("revision"),
                    executions=int(item.get("executions", 1)),
                    duplicate=None
                    if duplicate is None
                    else Duplicate(
                        tuple((str(c), str(v)) for c, v in duplicate["key"]),
                        (int(duplicate["rows"][0]), int(duplicate["rows"][1])),
                        bool(duplicate.get("batched", False)),
                    ),
                )
            )
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise ConfigError(f"{where}: statement {index + 1} is malformed ({exc})") from None
    return out


def _checked_dialect(name: str) -> Dialect:
    if name not in ("postgresql", "sqlite"):
        raise ValueError(f"unknown dialect {name!r}")
    return name  # type: ignore[return-value]


def dump(records: Iterable[Record], path: Path, *, root: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(records_to_json(records, root=root), indent=2) + "\n", encoding="utf-8")


def load(path: Path) -> tuple[list[Record], Path]:
    """The records of a capture file and the root their paths are relative to (the file's directory when the
    recorded root no longer exists, e.g. a file made in CI and read on a laptop)."""
    try:
        data = json.loads(read_text(path))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: not JSON ({exc})") from None
    records = records_from_json(data, where=str(path))
    root = Path(str(data.get("root") or "."))
    if not root.is_absolute() or not root.is_dir():
        root = path.resolve().parent
    return records, root
