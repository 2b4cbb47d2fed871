"""The real migrations on a real PostgreSQL server, in a database created for the purpose and dropped afterwards.

For projects whose migrations run neither offline (they read data) nor on SQLite (PostgreSQL-only types), this is
the exact PostgreSQL schema, at head and at every revision a statement inside a migration needs. The revisions
are applied in history order in one database, reflecting it at each requested revision, so a history is run once.

Scratch databases (the check's, and the pytest fixtures' templates and clones) must not outlive their process:

* every path out of a normal run, an error included, drops what it created (``try``/``finally``);
* SIGTERM (``timeout``, CI cancellation, ``docker stop``), SIGINT and SIGHUP drop them before the process goes on
  to what the signal would have done (handlers installed with the first scratch database, in the main thread,
  chained to the previous ones);
* nothing can run on SIGKILL, so each database carries a marker set right after ``CREATE DATABASE`` (a JSON
  ``COMMENT ON DATABASE``: tool, database name, host, pid, creation time), and the next run on the same server
  drops the marked databases of its prefix whose process is gone. A database marked on this host (same host
  name, boot and pid namespace, so a pid means the same process) is stale when its pid no longer runs the
  process that created it; one marked elsewhere, whose process cannot be looked up, when older than
  :data:`FOREIGN_MAX_AGE`. A database without the marker is never dropped, whatever its name.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from types import FrameType
from typing import Any

import sqlalchemy as sa

from schema_parity import compat
from schema_parity.catalog import Catalog
from schema_parity.errors import ConfigError, ConnectionFailed, describe
from schema_parity.sources.alembic import (
    AlembicProject,
    applied_heads,
    in_history_order,
    trusted,
    upgrade_engine,
)
from schema_parity.sources.reflect import PostgresMemo, create_engine_or_explain, reflect

PREFIX = "schema_parity_check_"
TOOL = "schema-parity"

#: A marked database created on another machine is stale only after this many seconds: whether its process still
#: runs cannot be seen from here, and no check or test session runs for a week.
FOREIGN_MAX_AGE = 7 * 24 * 3600.0

#: Signals that end a process while it can still clean up (SIGHUP does not exist on Windows).
_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGINT", "SIGHUP") if hasattr(signal, name))


class SecretURL(str):
    """A database URL whose ``repr`` shows its password as ``***``; the string itself is the real URL.

    pytest prints fixture values, ``--showlocals`` and assertion operands with ``repr``, so a URL handed to tests
    as a plain string put its password in every failure report. As a ``str`` it works wherever a URL string does
    (SQLAlchemy, psycopg, f-strings, comparisons); what a string method returns is a plain ``str`` again.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return repr(self.masked)

    @property
    def masked(self) -> str:
        """The URL with its password replaced by ``***`` (the whole text, when it does not parse as a URL)."""
        try:
            return sa.engine.make_url(str(self)).render_as_string(hide_password=True)
        except sa.exc.ArgumentError:
            return "***"


# -- the marker ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Marker:
    """Who created a scratch database, stored as its comment: enough to tell later whether that process is gone."""

    database: str
    host: str
    boot: str
    pidns: str
    pid: int
    started: int | None
    """The process's start time in clock ticks since boot (Linux), so a reused pid is not taken for it."""
    created: float
    tool: str = TOOL

    @classmethod
    def for_this_process(cls, database: str) -> Marker:
        host, boot, pidns = _this_host()
        return cls(database, host, boot, pidns, os.getpid(), _start_time(os.getpid()), time.time())

    @classmethod
    def parse(cls, comment: str | None) -> Marker | None:
        """The marker a comment holds, or None for any other comment (a database schema-parity did not mark)."""
        try:
            data = json.loads(comment or "")
            marker = cls(**data) if isinstance(data, dict) else None
        except (ValueError, TypeError):
            return None
        if (
            marker is None
            or marker.tool != TOOL
            or not all(isinstance(v, str) for v in (marker.database, marker.host, marker.boot, marker.pidns))
            or not isinstance(marker.pid, int)
            or not isinstance(marker.started, (int, type(None)))
            or not isinstance(marker.created, (int, float))
        ):
            return None
        return marker

    def text(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    def is_stale(self, now: float) -> bool:
        """Whether the process that created the database is certainly gone (see the module docstring)."""
        if (self.host, self.boot, self.pidns) == _this_host() and os.name == "posix":
            return not _runs(self.pid, self.started)
        return now - self.created > FOREIGN_MAX_AGE


@cache
def _this_host() -> tuple[str, str, str]:
    """Host name, boot id and pid namespace: two processes with equal values see the same pids (Linux).

    Containers share a host name pattern and the kernel's boot id but not pids, hence the namespace; elsewhere
    the last two are empty and the host name alone identifies the machine.
    """
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        boot = ""
    try:
        pidns = os.readlink("/proc/self/ns/pid")
    except (OSError, AttributeError):
        pidns = ""
    return socket.gethostname(), boot, pidns


def _start_time(pid: int) -> int | None:
    """When process ``pid`` started, in clock ticks since boot (Linux ``/proc``); None where unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        # Field 22; the command name (field 2) is in parentheses and may itself hold spaces and parentheses.
        return int(stat[stat.rindex(")") + 2 :].split()[19])
    except (OSError, ValueError, IndexError):
        return None


def _runs(pid: int, started: int | None) -> bool:
    """Whether ``pid`` is still the process that started at ``started`` (just: still exists, when unknown)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it exists
        pass
    return started is None or _start_time(pid) in (None, started)


# -- signals -----------------------------------------------------------------------------------------------------
_live: set[ScratchDatabases] = set()
_previous: dict[int, Any] = {}
"""Handlers that were installed before ours, by signal, while ours are installed."""
_interrupted: set[int] = set()
"""Signals already turned into a KeyboardInterrupt while ours are installed (SIGINT, once)."""


def _register(scratch: ScratchDatabases) -> None:
    """Track ``scratch`` for the signal handlers, installing them first (main thread only, as Python requires)."""
    _live.add(scratch)
    if _previous or threading.current_thread() is not threading.main_thread():
        return
    for signum in _SIGNALS:
        previous = signal.getsignal(signum)
        if previous is signal.SIG_IGN or previous is None:  # ignored (nohup), or installed outside Python
            continue
        _previous[signum] = previous
        signal.signal(signum, _on_signal)


def _unregister(scratch: ScratchDatabases) -> None:
    """Stop tracking ``scratch``; with nothing left to drop, put the previous handlers back where ours still are."""
    _live.discard(scratch)
    if _live or threading.current_thread() is not threading.main_thread():
        return
    for signum, previous in list(_previous.items()):
        if signal.getsignal(signum) is _on_signal:
            signal.signal(signum, previous)
        del _previous[signum]
    _interrupted.clear()


def _on_signal(signum: int, frame: FrameType | None) -> None:
    """Drop every scratch database of this process, then do what the signal would have done without us.

    The first Ctrl-C only raises KeyboardInterrupt, as without us: the ``finally`` blocks it unwinds through drop
    the databases after the migration's connection has rolled back (dropping first would cut that connection
    from under it and turn the interruption into a migration error). A second one, while that runs, drops them
    at once.
    """
    previous = _previous.get(signum, signal.SIG_DFL)
    if previous is signal.default_int_handler and signum not in _interrupted:
        _interrupted.add(signum)
        previous(signum, frame)
    for scratch in list(_live):
        scratch.drop_all_now()
    if callable(previous):
        previous(signum, frame)  # e.g. KeyboardInterrupt for SIGINT
    elif previous == signal.SIG_DFL:
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)  # end the way the signal ends a process: its exit status shows it


# -- the databases -----------------------------------------------------------------------------------------------
class ScratchDatabases:
    """Databases this object created on a PostgreSQL server: it drops those, and refuses to drop any other.

    The fixtures' template databases and the check's migration database both live here, so "never write to a
    database we did not create" is enforced in one place, and so are the signal handlers and the marker.
    """

    def __init__(self, server_url: str, prefix: str) -> None:
        self.server_url = sa.engine.make_url(server_url)
        self.prefix = prefix
        self.admin = create_engine_or_explain(self.server_url, isolation_level="AUTOCOMMIT")
        self._created: set[str] = set()
        """Every name this object created: the only ones it will drop."""
        self._alive: set[str] = set()
        """Those not dropped yet."""
        self._creating: int | None = None
        """Backend pid of the admin session while it runs CREATE DATABASE, for a signal handler to stop."""
        self._swept = False

    @property
    def shown(self) -> str:
        return self.server_url.render_as_string(hide_password=True)

    def url(self, database: str) -> SecretURL:
        return SecretURL(self.server_url.set(database=database).render_as_string(hide_password=False))

    def create(self, *, label: str = "", template: str = "template0") -> str:
        """A new empty database (or a copy of ``template``) named ``<prefix><label><random>``, marked; its name.

        The first call removes the stale databases of dead runs (:meth:`remove_stale`).
        """
        if not self._swept:
            self.remove_stale()
            self._swept = True
        name = f"{self.prefix}{label}{uuid.uuid4().hex[:12]}"
        marker = sa.literal(Marker.for_this_process(name).text(), sa.String)
        comment = marker.compile(dialect=self.admin.dialect, compile_kwargs={"literal_binds": True})
        _register(self)
        self._created.add(name)
        with self.admin.connect() as connection:
            self._creating = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
            self._alive.add(name)  # before it exists: a signal from here on drops it (IF EXISTS)
            try:
                connection.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
            except sa.exc.DBAPIError as exc:
                if not exc.connection_invalidated:  # the server refused the statement: nothing was created
                    self._alive.discard(name)
                raise
            finally:
                self._creating = None
            connection.exec_driver_sql(f'COMMENT ON DATABASE "{name}" IS {comment}')
        return name

    def drop(self, name: str) -> None:
        """Drop a database this object created (refuses any other name; one a signal already dropped is fine)."""
        if name not in self._created:
            raise ValueError(f"schema-parity did not create database {name!r}; it drops only its own")
        if name in self._alive:
            with self.admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            self._alive.discard(name)

    def close(self) -> None:
        """Drop every database still alive, then release the admin connection.

        A database that cannot be dropped (the server went away) is named on stderr instead of raising, so the
        error that ended the run stays the one reported; its marker lets the next run remove it.
        """
        try:
            for name in sorted(self._alive):
                self.drop(name)
        except sa.exc.SQLAlchemyError as exc:
            self._report_leftovers(exc)
        finally:
            _unregister(self)
            self.admin.dispose()

    def _report_leftovers(self, exc: Exception) -> None:
        print(
            f"schema-parity: could not drop scratch database(s) {', '.join(sorted(self._alive))} on {self.shown}: "
            f"{describe(exc)}. They are marked: the next run on this server removes them.",
            file=sys.stderr,
        )

    def drop_all_now(self) -> None:
        """From a signal handler: drop every live database on a connection of its own, whatever the main code was
        doing (its connections may be mid-statement). An unfinished CREATE DATABASE is stopped first, so it cannot
        complete after the drop; WITH (FORCE) ends the sessions still connected (a migration, a test)."""
        with trusted():  # the signal may interrupt a migration, whose connections are sandboxed
            self._drop_all_now()

    def _drop_all_now(self) -> None:
        engine = compat.create_engine(
            self.server_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool, connect_args=_CONNECT_TIMEOUT
        )
        try:
            with engine.connect() as connection:
                creating = self._creating
                if creating is not None:
                    connection.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": creating})
                    _wait_until_gone(connection, creating)
                for name in sorted(self._alive):
                    connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                    self._alive.discard(name)
        except sa.exc.SQLAlchemyError as exc:
            self._report_leftovers(exc)
        finally:
            engine.dispose()

    def remove_stale(self) -> list[str]:
        """Drop the marked databases of this prefix whose creating process is gone; return their names.

        Only databases whose comment is a schema-parity marker naming the database itself count; any other
        database, whatever its name, is left alone, and so is one this role may not drop.
        """
        query = sa.text(
            "SELECT datname, shobj_description(oid, 'pg_database') FROM pg_database "
            "WHERE starts_with(datname, :prefix) ORDER BY datname"
        )
        removed = []
        with self.admin.connect() as connection:
            rows = connection.execute(query, {"prefix": self.prefix}).all()
            now = time.time()
            for name, comment in rows:
                marker = Marker.parse(comment)
                if marker is None or marker.database != name or not marker.is_stale(now):
                    continue
                try:
                    connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                except sa.exc.DBAPIError:  # not its owner, or another run dropped it meanwhile
                    continue
                removed.append(name)
        return removed


#: Seconds a signal handler waits to reach the server before giving up (the marker then covers the leftovers).
_CONNECT_TIMEOUT = {"connect_timeout": 10}


def _wait_until_gone(connection: sa.Connection, pid: int) -> None:
    """Until backend ``pid`` has exited (it then committed or rolled back its statement), for at most 10 s."""
    for _ in range(200):
        if connection.execute(sa.text("SELECT 1 FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}).first() is None:
            return
        time.sleep(0.05)


def catalogs_on_server(
    server_url: str,
    project: AlembicProject,
    revisions: Iterable[str],
    *,
    use_env_py: bool = False,
    setup_sql: Sequence[str] = (),
    source: str | None = None,
    on_revision: Callable[[str], None] | None = None,
) -> dict[str, Catalog]:
    """The Catalog at each of ``revisions`` (ids, ``head`` or ``heads``), migrated on the server at ``server_url``;
    ``on_revision`` is called with each revision's id once it has run.

    ``server_url`` names any database the user can connect to with the right to CREATE DATABASE; the only
    database written is the one created here (``schema_parity_check_<random>``), dropped before returning. Every
    revision is resolved and every script loaded first, so a wrong revision or a script that cannot be imported
    fails before anything exists on the server. ``source`` labels the Catalogs (``{revision}`` stands for each
    revision). ``setup_sql`` runs in the new database before the migrations
    (extensions, roles, schemas the history assumes). The revisions are applied in history order in one database,
    reflected at each requested one: the history runs once.
    """
    wanted = in_history_order(project, revisions)
    scratch = ScratchDatabases(server_url, PREFIX)
    result: dict[str, Catalog] = {}
    # Tables a revision left unchanged are not read again (a new database empties the memo); one revision needs none.
    memo = PostgresMemo() if len(wanted) > 1 else None
    try:
        try:
            name = scratch.create()
        except sa.exc.SQLAlchemyError as exc:
            raise ConnectionFailed(
                f"cannot create a scratch database on {scratch.shown}: {describe(exc)}. "
                "--postgres-url needs a server where this user may CREATE DATABASE."
            ) from exc
        run_setup_sql(scratch.url(name), setup_sql, shown=scratch.shown)
        label = source or f"postgresql-server:{scratch.shown}@{{revision}}"
        for revision in wanted:
            # One engine per revision: the look at the applied heads, the upgrade and the reflection (a new server
            # connection costs about as much as reflecting a small schema).
            engine = compat.create_engine(scratch.url(name))
            try:
                with engine.connect() as conn:
                    builds_on = project.builds_on(applied_heads(conn), revision)
                if not builds_on:
                    # Another branch: upgrading would apply it beside the one there; start from an empty database.
                    engine.dispose()
                    scratch.drop(name)
                    name = scratch.create()
                    run_setup_sql(scratch.url(name), setup_sql, shown=scratch.shown)
                    engine = compat.create_engine(scratch.url(name))
                upgrade_engine(engine, project, revision, use_env_py=use_env_py, on_revision=on_revision)
                with engine.connect() as conn:
                    label_at = label.replace("{revision}", revision)
                    result[revision] = reflect(conn, source=label_at, revision=revision, memo=memo)
            finally:
                engine.dispose()
    finally:
        scratch.close()
    return result


_EXTENSION = re.compile(
    r'extension "([^"]+)" is not available|could not open extension control file ".*/([^/"]+)\.control"'
)


def run_setup_sql(url: str, statements: Sequence[str], *, shown: str) -> None:
    """Run the configured setup SQL in a scratch database; an extension the server lacks is named, with the way
    out (a server that has it)."""
    if not statements:
        return
    engine = compat.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            for statement in statements:
                try:
                    connection.exec_driver_sql(statement)
                except sa.exc.DBAPIError as exc:
                    cause: BaseException = exc.orig or exc
                    missing = _EXTENSION.search(str(cause))
                    if missing is not None:
                        extension = missing.group(1) or missing.group(2)
                        raise ConfigError(
                            f"setup-sql: the PostgreSQL server {shown} has no extension {extension!r} "
                            f"({describe(cause)}). Point the check at a server that has it: --postgres-url URL "
                            "(or postgres-url / $SCHEMA_PARITY_POSTGRES_URL), e.g. a PostgreSQL where the "
                            f"extension's package is installed."
                        ) from exc
                    raise ConfigError(
                        f"setup-sql: {statement.strip()[:80]!r} failed on {shown}: {describe(cause)}"
                    ) from exc
    finally:
        engine.dispose()
