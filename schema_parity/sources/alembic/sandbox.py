"""Keeping user code away from every database but the scratch one, while migrations run.

env.py (or a module it imports, or a revision) may build its own engine from application settings. During a run,
the engines SQLAlchemy's factories return to user code are stand-ins for the scratch connection, whatever
``context.configure`` receives is replaced by it, and what cannot be redirected is refused before it connects (an
Engine made before the run, a raw driver ``connect()``). So no revision ever runs on a database schema-parity did
not create.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import logging
import os
import sys
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from pathlib import Path
from types import FrameType, ModuleType
from typing import Any

import sqlalchemy as sa

from schema_parity import compat
from schema_parity.errors import MigrationError

__all__ = ["Sandbox", "sqlite_memory_connection", "trusted"]

_log = logging.getLogger("schema_parity.sources.alembic")

#: Process-wide patches (SQLAlchemy's factories, driver connects) must not interleave between two runs.
_SANDBOX_LOCK = threading.RLock()
_TRUSTED = threading.local()
"""``depth`` > 0 while the tool's own code runs inside a sandboxed run (a signal handler dropping databases)."""


@contextlib.contextmanager
def sqlite_memory_connection() -> Iterator[sa.Connection]:
    """One private in-memory SQLite database (a static pool keeps it alive for the whole block)."""
    engine = compat.create_engine("sqlite://", poolclass=sa.pool.StaticPool)
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


@contextlib.contextmanager
def trusted() -> Iterator[None]:
    """The tool's own code, interrupting a run (a signal handler): its connections are not redirected or refused."""
    _TRUSTED.depth = getattr(_TRUSTED, "depth", 0) + 1
    try:
        yield
    finally:
        _TRUSTED.depth -= 1


#: The sandboxes of the runs in progress, in the order they started (under ``_SANDBOX_LOCK``).
_RUNNING: list[Sandbox] = []


@functools.cache  # once per process
def _listen_once() -> None:
    """Add the engine listeners on the first run and keep them: adding and removing them cost more per migration than
    the rest of the sandbox, and between runs they find no sandbox and return at once."""
    sa.event.listen(sa.engine.Engine, "do_connect", _do_connect)
    sa.event.listen(sa.engine.Engine, "engine_connect", _engine_connect)


def _do_connect(dialect: sa.Dialect, record: Any, cargs: Sequence[Any], cparams: dict[str, Any]) -> Any:
    """Each running sandbox's ``do_connect`` in turn, as SQLAlchemy calls listeners: the first connection wins."""
    for sandbox in list(_RUNNING):
        connection = sandbox._do_connect(dialect, record, cargs, cparams)
        if connection is not None:
            return connection
    return None


def _engine_connect(connection: sa.Connection, *_branch: Any) -> None:
    """Each running sandbox's ``engine_connect``. SQLAlchemy 1.4 passes ``branch`` as well (2.0 dropped it)."""
    for sandbox in list(_RUNNING):
        sandbox._engine_connect(connection)


_ENGINE_FACTORIES = ("sqlalchemy", "sqlalchemy.engine", "sqlalchemy.engine.create")
_ASYNC_ENGINE_FACTORIES = ("sqlalchemy.ext.asyncio", "sqlalchemy.ext.asyncio.engine")
#: Modules whose connect() user code may call; a package's modules follow it (sqlite3 imports its dbapi2 itself).
_DRIVERS = ("sqlite3", "sqlite3.dbapi2", "psycopg", "psycopg2")


class Sandbox:
    """While the migrations run, every connection user code makes on this thread is the scratch connection.

    env.py (or a module it imports, or a revision) may build its own engine from application settings: the
    engines SQLAlchemy's factories return during the run are stand-ins for the scratch connection, and whatever
    ``context.configure`` receives is replaced by it. What cannot be redirected is refused before it connects: an
    Engine made before the run (an application module imported earlier) and a raw driver ``connect()``. So no
    revision ever runs on a database schema-parity did not create. Other threads are left alone.
    """

    def __init__(self, connection: sa.Connection, env_py: Path | None) -> None:
        self.connection = connection
        self.env_py = env_py
        self.scratch_url = connection.engine.url.render_as_string(hide_password=True)
        self.redirected: list[str] = []
        self.refused: list[str] = []
        self._thread = threading.get_ident()
        self._active = False
        self._engine = _ScratchEngine(connection)
        self._drivers: dict[ModuleType, Callable[..., Any]] = {}

    def _ours(self) -> bool:
        """Whether a connection made now is user code's, on the migrating thread (the tool's own code is trusted)."""
        return self._active and threading.get_ident() == self._thread and not getattr(_TRUSTED, "depth", 0)

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        with _SANDBOX_LOCK, _logging_restored(), contextlib.ExitStack() as stack:
            for name in _ENGINE_FACTORIES:
                for factory in ("create_engine", "engine_from_config"):
                    self._patch(stack, _module(name), factory, self._redirect, self._engine)
            for name in _ASYNC_ENGINE_FACTORIES if self._async_engines_possible() else ():
                for factory in ("create_async_engine", "async_engine_from_config"):
                    self._patch(stack, _module(name), factory, self._redirect, _ScratchAsyncEngine(self._engine))
                self._patch(stack, _module(name), "AsyncEngine", self._wrap_async, _ScratchAsyncEngine(self._engine))
            for name in _DRIVERS:
                module = sys.modules.get(name)
                if module is not None:
                    self._guard_driver(stack, module, name)
            # A driver not imported yet is guarded when user code imports it: importing psycopg to patch it costs
            # as much as importing sqlglot, in every process that migrates.
            packages = {n.partition(".")[0] for n in _DRIVERS} - sys.modules.keys()
            hook = _OnImport(packages, functools.partial(self._imported, stack))
            sys.meta_path.insert(0, hook)
            stack.callback(sys.meta_path.remove, hook)
            _listen_once()
            _RUNNING.append(self)
            stack.callback(_RUNNING.remove, self)
            self._active = True
            stack.callback(setattr, self, "_active", False)  # runs first on exit
            if self.env_py is not None:
                _log.info("running %s; every connection it makes goes to the scratch database %s",
                          self.env_py, self.scratch_url)
            yield
        for what in self.redirected:  # after _logging_restored: env.py's fileConfig() may have silenced us
            _log.info("%s was redirected to the scratch database %s", what, self.scratch_url)

    def _guard_driver(self, stack: contextlib.ExitStack, module: ModuleType, name: str) -> None:
        """Refuse ``module.connect()`` from user code; the scratch engine's own connections still reach it."""
        if getattr(module, "connect", None) is not None:
            self._drivers[module] = module.connect
        self._patch(stack, module, "connect", self._refuse_driver, name)

    def _imported(self, stack: contextlib.ExitStack, package: ModuleType) -> None:
        """A driver package imported during the run: it and its modules in ``_DRIVERS``, which it imported itself,
        in that order, as if they had been imported before (an import that ends after the run changes nothing)."""
        for name in _DRIVERS if self._active else ():
            module = sys.modules.get(name)
            if module is not None and name.partition(".")[0] == package.__name__:
                self._guard_driver(stack, module, name)

    def _async_engines_possible(self) -> bool:
        """Whether user code may make an async engine: SQLAlchemy's asyncio extension is loaded already, or could be
        by env.py (it needs greenlet). Importing it costs 0.2 s, and without greenlet a failed import leaves a
        half-imported package behind, so it is not imported otherwise."""
        if _ASYNC_ENGINE_FACTORIES[0] in sys.modules:
            return True
        return self.env_py is not None and importlib.util.find_spec("greenlet") is not None

    def check(self) -> None:
        if self.refused:
            raise MigrationError(self.refused[0])

    @staticmethod
    def _patch(
        stack: contextlib.ExitStack, module: ModuleType | None, name: str, wrap: Callable[..., Any], arg: Any
    ) -> None:
        original = getattr(module, name, None)
        if module is None or original is None:
            return
        setattr(module, name, wrap(original, name, arg))
        stack.callback(setattr, module, name, original)

    def scratch_for(self, connection: Any, url: Any, dialect_name: str | None) -> sa.Connection:
        """The connection ``context.configure`` gets, whatever env.py passed (noted when that was something else)."""
        if connection is not None and connection is not self.connection and not isinstance(connection, _Borrowed):
            url = getattr(getattr(connection, "engine", None), "url", connection)
            self.redirected.append(f"{self._who()}: context.configure(connection=<connection to {_masked(url)}>)")
        elif connection is None and (url is not None or dialect_name is not None):
            self.redirected.append(f"{self._who()}: context.configure(url={_masked(url) if url else dialect_name})")
        return self.connection

    def _redirect(self, original: Callable[..., Any], name: str, scratch: Any) -> Callable[..., Any]:
        @functools.wraps(original)
        def factory(*args: Any, **kwargs: Any) -> Any:
            if not self._ours():
                return original(*args, **kwargs)
            if name.endswith("from_config"):
                configuration = args[0] if args else kwargs.get("configuration", {})
                url = configuration.get((args[1] if len(args) > 1 else kwargs.get("prefix", "sqlalchemy.")) + "url")
            else:
                url = args[0] if args else kwargs.get("url")
            self.redirected.append(f"{self._who()}: {name}({_masked(url)}) at {_caller()}")
            return scratch

        return factory

    def _wrap_async(self, original: Callable[..., Any], name: str, scratch: Any) -> Callable[..., Any]:
        """``AsyncEngine(engine_from_config(...))``, the async template of Alembic before 1.11: the scratch engine
        (already redirected) comes back wrapped in the async stand-in, whose driver need not be async."""

        def wrap(sync_engine: Any, *args: Any, **kwargs: Any) -> Any:
            if self._ours() and sync_engine is self._engine:
                return scratch
            return original(sync_engine, *args, **kwargs)

        return wrap

    def _refuse_driver(self, original: Callable[..., Any], name: str, module: str) -> Callable[..., Any]:
        @functools.wraps(original)
        def connect(*args: Any, **kwargs: Any) -> Any:
            if not self._ours():
                return original(*args, **kwargs)
            # A sqlite3 argument is a file name; a psycopg one may carry a password, so it is not shown.
            shown = repr(args[0]) if module.startswith("sqlite3") and args else "..."
            raise self._refuse(
                f"{_caller()} opened a database connection with {module}.{name}({shown}), which cannot be "
                "redirected to the scratch database"
            )

        return connect

    def _do_connect(self, dialect: sa.Dialect, _record: Any, cargs: Sequence[Any], cparams: dict[str, Any]) -> Any:
        """A new DBAPI connection: the scratch engine's goes through (to the real driver), any other is refused."""
        if not self._ours():
            return None
        if dialect is self.connection.dialect:
            connect = self._drivers.get(dialect.loaded_dbapi)  # type: ignore[call-overload]
            return connect(*cargs, **cparams) if connect is not None else None
        target = [str(a) for a in cargs[:1]] + [
            f"{k}={cparams[k]}" for k in ("host", "port", "dbname", "database") if k in cparams
        ]
        raise self._refuse(
            "an Engine created before the migrations started (or by a create_engine imported before them, e.g. in "
            f"an application module) tried to connect to a {dialect.name} database ({', '.join(target)}) at "
            f"{_caller()}"
        )

    def _engine_connect(self, connection: sa.Connection) -> None:
        """A connection checked out of another engine's pool (no new DBAPI connection, so no do_connect)."""
        if self._ours() and connection.dialect is not self.connection.dialect:
            raise self._refuse(
                f"an Engine created before the migrations started tried to connect to "
                f"{_masked(connection.engine.url)} at {_caller()}"
            )

    def _who(self) -> str:
        return f"env.py ({self.env_py})" if self.env_py is not None else "a revision"

    def _refuse(self, what: str) -> MigrationError:
        if self.env_py is not None:
            advice = (
                'Make env.py use config.attributes["connection"], or build its engine inside env.py with '
                "engine_from_config()/create_engine() from the sqlalchemy.url option (schema-parity redirects "
                "those), or drop --use-env-py."
            )
        else:
            advice = "A revision must reach the database through op.get_bind() (or op.execute)."
        message = (
            f"{self._who()}: {what}. schema-parity refused it, so nothing ran on a database it did not create. "
            f"{advice}"
        )
        self.refused.append(message)
        return MigrationError(message)


def _module(name: str) -> ModuleType | None:
    """The module, imported now so that later imports by env.py see the patched functions; None if not installed."""
    try:
        return importlib.import_module(name) if importlib.util.find_spec(name.partition(".")[0]) else None
    except ImportError:  # installed but broken: user code cannot use it either
        return None


class _OnImport(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Calls ``imported(module)`` once one of ``names`` has been imported (and executed), then leaves the module's
    spec as the finder after it made it; first on ``sys.meta_path`` while a run lasts."""

    def __init__(self, names: set[str], imported: Callable[[ModuleType], None]) -> None:
        self._names = names
        self._imported = imported
        self._loaders: dict[str, importlib.abc.Loader] = {}

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in self._names:
            return None
        spec: importlib.machinery.ModuleSpec | None = None
        for finder in sys.meta_path:  # the finders after this one decide where the module comes from
            find = getattr(finder, "find_spec", None) if finder is not self else None
            spec = find(fullname, path, target) if find is not None else None
            if spec is not None:
                break
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        self._loaders[fullname], spec.loader = spec.loader, self
        return spec

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self._loaders[spec.name].create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        loader = self._loaders.pop(module.__name__)
        module.__loader__ = loader
        if module.__spec__ is not None:
            module.__spec__.loader = loader
        loader.exec_module(module)
        self._imported(module)


def _masked(url: Any) -> str:
    """A URL fit for a message: the password hidden."""
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL at all
        return type(url).__name__


def _caller() -> str:
    """``file:line`` of the user code that made the call (the first frame outside this module and SQLAlchemy)."""
    internal = (os.path.dirname(sa.__file__) + os.sep, os.path.dirname(__file__) + os.sep)
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(internal):
        frame = frame.f_back
    return f"{frame.f_code.co_filename}:{frame.f_lineno}" if frame is not None else "unknown"


class _Borrowed:
    """What the scratch engine's ``connect()`` returns: the scratch connection, which env.py must not close."""

    def __init__(self, connection: sa.Connection) -> None:
        self._connection = connection

    def __enter__(self) -> sa.Connection:
        return self._connection

    def __exit__(self, *exc: object) -> None:
        return None  # the caller of upgrade() owns the connection

    def close(self) -> None:
        return None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)


class _ScratchEngine:
    """The Engine every SQLAlchemy factory returns to user code during the run: the scratch connection."""

    def __init__(self, connection: sa.Connection) -> None:
        self._connection = connection

    def connect(self) -> _Borrowed:
        return _Borrowed(self._connection)

    @contextlib.contextmanager
    def begin(self) -> Iterator[sa.Connection]:
        if self._connection.in_transaction():
            yield self._connection
        else:
            with self._connection.begin():
                yield self._connection

    def dispose(self, close: bool = True) -> None:
        return None

    def __getattr__(self, name: str) -> Any:  # url, dialect, name, ...: the scratch engine's
        return getattr(self._connection.engine, name)


# `sa.inspect(engine)` in a revision (an Inspector to ask which tables exist) inspects the scratch connection.
compat.inspectable_as(_ScratchEngine, lambda engine: engine._connection)


class _ScratchAsyncConnection:
    """An AsyncConnection stand-in: ``run_sync`` runs the function on the scratch connection, in this thread."""

    def __init__(self, connection: sa.Connection) -> None:
        self.sync_connection = connection
        self.dialect = connection.dialect

    async def __aenter__(self) -> _ScratchAsyncConnection:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def run_sync(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return fn(self.sync_connection, *args, **kwargs)

    async def commit(self) -> None:
        self.sync_connection.commit()

    async def close(self) -> None:
        return None


class _ScratchAsyncEngine:
    """What ``create_async_engine``/``async_engine_from_config`` return during the run (Alembic's async template)."""

    def __init__(self, engine: _ScratchEngine) -> None:
        self.sync_engine = engine

    def connect(self) -> _ScratchAsyncConnection:
        return _ScratchAsyncConnection(self.sync_engine._connection)

    @contextlib.asynccontextmanager
    async def begin(self) -> AsyncIterator[_ScratchAsyncConnection]:
        with self.sync_engine.begin() as connection:
            yield _ScratchAsyncConnection(connection)

    async def dispose(self, close: bool = True) -> None:
        return None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.sync_engine, name)


@contextlib.contextmanager
def _logging_restored() -> Iterator[None]:
    """Put the logging configuration back after user code ran.

    The stock env.py calls ``logging.config.fileConfig(alembic.ini)``, which disables every logger that already
    exists (the caller's, pytest's caplog) and replaces the root handlers; inside a test session that would
    silence logging for every later test.
    """
    manager = logging.Logger.manager
    root = logging.getLogger()

    def loggers() -> list[logging.Logger]:
        return [root, *(lg for lg in list(manager.loggerDict.values()) if isinstance(lg, logging.Logger))]

    saved = {id(lg): (lg.level, list(lg.handlers), lg.propagate, lg.disabled) for lg in loggers()}
    disabled_below = manager.disable
    try:
        yield
    finally:
        for logger in loggers():  # a logger made during the run goes back to the defaults
            level, handlers, propagate, disabled = saved.get(id(logger), (logging.NOTSET, [], True, False))
            logger.level, logger.handlers[:], logger.propagate, logger.disabled = level, handlers, propagate, disabled
        logging.disable(disabled_below)  # also clears the loggers' cached levels
