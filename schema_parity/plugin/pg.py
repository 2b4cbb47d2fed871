"""PostgreSQL databases for the fixtures: migrated templates, clones made ahead and dropped behind, rollback databases.

Two isolation modes, as in pytest-django:

* **rollback** (the default, like its ``db``): one clone of the template per session and revision, shared by the
  tests; each test runs inside a transaction that is rolled back at its end. A BEGIN and a ROLLBACK per test.
* **clone** (like ``transactional_db``): a private database per test, ``CREATE DATABASE ... TEMPLATE`` of the
  migrated template, for tests that commit or open connections of their own.

Cloning costs tens of milliseconds and dropping as much again (more on a busy server), so a :class:`ClonePool`
does both on threads of its own: it keeps a few clones of each template cloned more than once ready before they
are asked for, and drops the returned ones while the next tests run. What is left is dropped at the end of the session.

Under pytest-xdist the workers of one run share each template: it is named after the run and the migrations'
content, built by the first worker that needs it under a file lock, and published (renamed into place and marked
with the run's controller as its owner) only once migrated, so a second worker either finds it complete or waits
for the lock. The controller drops it when the workers are done; a killed run leaves it marked, and the next run's
sweep (:class:`~schema_parity.sources.server.ScratchDatabases`) removes it.
"""

from __future__ import annotations

import collections
import hashlib
import os
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import filelock
import sqlalchemy as sa

from schema_parity.sources.alembic import AlembicProject, upgrade_engine
from schema_parity.sources.server import Marker, ScratchDatabases, SecretURL, _start_time, run_setup_sql
from schema_parity.template import DEFAULT_LOCK_TIMEOUT, project_id

__all__ = [
    "PG_PREFIX",
    "ClonePool",
    "PgTemplates",
    "RollbackDatabase",
    "RunOwner",
    "async_driver",
    "drop_shared_templates",
    "sync_url",
]

#: Names of the PostgreSQL databases the fixtures create start with this (the check's too: ``schema_parity_check_``),
#: and a session removes the stale marked ones under it that killed sessions left.
PG_PREFIX = "schema_parity_"

#: Clones of each template in use kept ready ahead of the tests that will ask for them.
DEFAULT_AHEAD = 2

#: Returned clones dropped at the same time (they share the server's checkpoints).
DROPPERS = 4


_SYNC_DRIVERS = {"asyncpg": "psycopg", "psycopg_async": "psycopg"}


def sync_url(url: str) -> SecretURL:
    """``url`` with a synchronous driver: the plugin creates and drops databases synchronously, so a configured
    ``postgresql+asyncpg://`` URL is served through psycopg (the async fixtures keep asyncpg)."""
    parsed = sa.make_url(url)
    driver = _SYNC_DRIVERS.get(parsed.get_driver_name())
    if driver is None:
        return SecretURL(url)
    return SecretURL(parsed.set(drivername=f"{parsed.get_backend_name()}+{driver}").render_as_string(False))


def async_driver(url: str) -> str:
    """The async SQLAlchemy driver name for the async fixtures: the configured URL's when it is an async one
    (``asyncpg``), else psycopg's (``postgresql+psycopg`` is async under ``create_async_engine``)."""
    parsed = sa.make_url(url)
    return "postgresql+asyncpg" if parsed.get_driver_name() == "asyncpg" else "postgresql+psycopg"


class RunOwner:
    """Who owns the templates of this test run: the process itself, or the xdist controller of its workers.

    ``run_id`` names the run (xdist's ``testrunuid``, shared by its workers), ``pid``/``started`` identify the
    process whose end makes a shared template stale (the controller's, which outlives every worker).
    """

    def __init__(self, run_id: str | None = None, pid: int | None = None, started: int | None = None) -> None:
        self.shared = run_id is not None
        self.run_id = run_id or f"{os.getpid()}-{os.urandom(6).hex()}"
        self.pid = os.getpid() if pid is None else pid
        self.started = _start_time(self.pid) if pid is None else started


class PgTemplates:
    """Template databases migrated once per run and revision, cloned per test with ``CREATE DATABASE ... TEMPLATE``.

    Every database this process creates lives in a :class:`ScratchDatabases` (named ``schema_parity_*``), which
    drops only its own. A template shared by xdist workers is the exception: it is renamed out of the scratch set
    once published and dropped by the controller (:func:`drop_shared_templates`).
    """

    def __init__(
        self,
        server_url: str,
        project: AlembicProject,
        *,
        use_env_py: bool = False,
        setup_sql: Sequence[str] = (),
        owner: RunOwner | None = None,
        lock_dir: Path | None = None,
        ahead: int = DEFAULT_AHEAD,
        prefix: str = PG_PREFIX,
    ) -> None:
        self.scratch = ScratchDatabases(server_url, prefix)
        self.project = project
        self.use_env_py = use_env_py
        self.setup_sql = tuple(setup_sql)
        self.owner = owner or RunOwner()
        self.lock_dir = lock_dir
        self.shared: list[str] = []
        """Templates published for the run's other workers (the controller drops them)."""
        self._templates: dict[tuple[str, bool], str] = {}
        self._clones: set[str] = set()
        self.pool = ClonePool(self, ahead=ahead)
        self._rollback: dict[str, RollbackDatabase] = {}

    def url(self, database: str) -> SecretURL:
        return self.scratch.url(database)

    def template(self, revision: str = "head") -> str:
        """The name of the template database at ``revision``, migrated on first use in the run."""
        key = (revision, self.use_env_py)
        if key not in self._templates:
            if self.owner.shared and self.lock_dir is not None:
                self._templates[key] = self._shared_template(revision)
            else:
                self._templates[key] = self._migrate(revision)
        return self._templates[key]

    def _migrate(self, revision: str) -> str:
        """A new scratch database migrated to ``revision`` (dropped again when the migration fails)."""
        name = self.scratch.create(label="tmpl_")
        try:
            run_setup_sql(self.url(name), self.setup_sql, shown=self.scratch.shown)
            engine = sa.create_engine(self.url(name))
            try:
                upgrade_engine(engine, self.project, revision, use_env_py=self.use_env_py)
            finally:
                engine.dispose()  # CREATE DATABASE ... TEMPLATE needs the template free of connections
        except BaseException:
            self.scratch.drop(name)
            raise
        return name

    def _shared_template(self, revision: str) -> str:
        """The run's template at ``revision``, built by the first worker that needs it, found by the others."""
        assert self.lock_dir is not None
        resolved = self.project.resolve(revision)
        identity = "\0".join(
            (self.owner.run_id, project_id(self.project), self.project.fingerprint(), resolved, str(self.use_env_py))
        )
        digest = hashlib.sha256(identity.encode()).hexdigest()[:24]
        name = f"{self.scratch.prefix}tmpl_{digest}"
        self.lock_dir.mkdir(parents=True, exist_ok=True)
        with filelock.FileLock(self.lock_dir / f"pg-{digest}.lock", timeout=DEFAULT_LOCK_TIMEOUT):
            if self._published(name):
                return name
            building = self._migrate(resolved)
            marker = replace(
                Marker.for_this_process(name), pid=self.owner.pid, started=self.owner.started
            )  # stale once the controller is gone, not this worker
            comment = sa.literal(marker.text(), sa.String).compile(
                dialect=self.scratch.admin.dialect, compile_kwargs={"literal_binds": True}
            )
            with self.scratch.admin.connect() as connection:  # one transaction: published whole or not at all
                connection.exec_driver_sql("BEGIN")
                connection.exec_driver_sql(f'ALTER DATABASE "{building}" RENAME TO "{name}"')
                connection.exec_driver_sql(f'COMMENT ON DATABASE "{name}" IS {comment}')
                connection.exec_driver_sql("COMMIT")
            self.shared.append(name)
        return name

    def _published(self, name: str) -> bool:
        """Whether ``name`` exists and carries its marker (set only after the migration completed)."""
        with self.scratch.admin.connect() as connection:
            comment = connection.execute(
                sa.text("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = :name"),
                {"name": name},
            ).scalar()
        marker = Marker.parse(comment)
        return marker is not None and marker.database == name

    def clone(self, revision: str = "head") -> str:
        """A new database copied from the template at ``revision`` (made ahead when the pool could); its name."""
        return self.pool.take(self.template(revision))

    def create_clone(self, template: str) -> str:
        name = self.scratch.create(label="test_", template=template)
        self._clones.add(name)
        return name

    def drop(self, name: str) -> None:
        """Drop a clone this object made, off the test's time (refuses any other name at once)."""
        if name not in self._clones:
            raise ValueError(f"schema-parity did not create database {name!r}; it drops only its own")
        self.pool.give_back(name)

    def drop_now(self, name: str) -> None:
        self.scratch.drop(name)

    def rollback_database(self, revision: str = "head") -> RollbackDatabase:
        """The session's shared database at ``revision`` for rollback-mode tests."""
        if revision not in self._rollback:
            self._rollback[revision] = RollbackDatabase(self, revision)
        return self._rollback[revision]

    def close(self) -> None:
        """Drop every database this process still has (clones, rollback databases, its own templates)."""
        try:
            for database in self._rollback.values():
                database.close()
            self._rollback.clear()
            self.pool.close()
        finally:
            self._templates.clear()
            self.scratch.close()


class ClonePool:
    """Clones made ahead and dropped behind on threads of their own, so a test pays neither in the common case.

    One thread keeps :attr:`ahead` clones of every template asked for ready. Returned clones are dropped by up to
    :attr:`droppers` threads at once: a DROP DATABASE waits for a checkpoint of the whole server (seconds, up to a
    minute on a busy one), and drops that wait together share it. A failure on a thread is raised by the next
    :meth:`take` (and at :meth:`close`), never lost.
    """

    def __init__(self, templates: PgTemplates, *, ahead: int = DEFAULT_AHEAD, droppers: int = DROPPERS) -> None:
        self.templates = templates
        self.ahead = ahead
        self._ready: dict[str, collections.deque[str]] = {}
        """Clones made ahead, by template: the templates asked for twice or more."""
        self._asked: set[str] = set()
        self._stopping = False
        self._error: BaseException | None = None
        self._changed = threading.Condition()
        self._cloner: threading.Thread | None = None
        self._droppers = ThreadPoolExecutor(max_workers=droppers, thread_name_prefix="schema-parity-drop")
        self._drops: list[Future[None]] = []

    def take(self, template: str) -> str:
        """A clone of ``template``: a ready one, else one made now. From the second clone of a template on, more
        are made ahead (a template cloned once, a single test, costs no clone nobody uses)."""
        with self._changed:
            self._raise_error()
            ready = self._ready.get(template)
            name = ready.popleft() if ready else None
            if ready is None and template in self._asked:
                self._ready[template] = collections.deque()
            self._asked.add(template)
            self._changed.notify_all()
        if name is None:
            # In the main thread first: the scratch set installs its signal handlers only there.
            name = self.templates.create_clone(template)
        if self._cloner is None and self._ready and self.ahead > 0:
            self._cloner = threading.Thread(target=self._clone_ahead, name="schema-parity-clone", daemon=True)
            self._cloner.start()
        return name

    def give_back(self, name: str) -> None:
        """Drop ``name`` on a dropping thread."""
        self._drops = [drop for drop in self._drops if not drop.done() or drop.exception() is not None]
        self._drops.append(self._droppers.submit(self.templates.drop_now, name))

    def close(self) -> None:
        """Stop cloning, wait for the drops under way, then drop every clone still ready."""
        with self._changed:
            self._stopping = True
            self._changed.notify_all()
        if self._cloner is not None:
            self._cloner.join()
        leftovers = [name for ready in self._ready.values() for name in ready]
        self._ready.clear()
        for name in leftovers:
            self._drops.append(self._droppers.submit(self.templates.drop_now, name))
        self._droppers.shutdown(wait=True)
        errors = [drop.exception() for drop in self._drops]
        self._drops.clear()
        self._raise_error()
        for error in errors:
            if error is not None:
                raise error

    def _raise_error(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def _wanted(self) -> str | None:
        """A template with fewer than :attr:`ahead` clones ready; called with the lock held."""
        return next((template for template, ready in self._ready.items() if len(ready) < self.ahead), None)

    def _clone_ahead(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(lambda: self._stopping or (self._error is None and self._wanted() is not None))
                if self._stopping:
                    return
                template = self._wanted()
            assert template is not None
            try:
                made = self.templates.create_clone(template)
            except BaseException as exc:  # raised again in the main thread by take() or close()
                with self._changed:
                    self._error = exc
                continue
            with self._changed:
                self._ready[template].append(made)


class RollbackDatabase:
    """A clone shared by the rollback-mode tests of a session: each gets a connection inside a transaction that is
    rolled back at its end, so the database is the migrated template again for the next test."""

    def __init__(self, templates: PgTemplates, revision: str) -> None:
        self.templates = templates
        self.revision = revision
        self.name = templates.create_clone(templates.template(revision))  # not through the pool: made once
        self.url = templates.url(self.name)
        self.engine = sa.create_engine(self.url, pool_size=1, max_overflow=4)
        sa.event.listen(self.engine, "commit", _refuse_commit)

    def connection(self, test: str) -> Iterator[sa.Connection]:
        """A connection in a transaction for ``test``, rolled back at the end; a COMMIT raises, naming the way out.

        Work done after the test's own ``rollback()`` (a new transaction SQLAlchemy begins by itself) is rolled back
        too, when the connection goes back to the pool.
        """
        with self.engine.connect() as connection:
            transaction = connection.begin()
            connection.info[_TEST] = test
            try:
                yield connection
            finally:
                del connection.info[_TEST]
                if transaction.is_active:
                    transaction.rollback()
                # A refused commit leaves SQLAlchemy's transaction closed but the server's open, and the pool
                # would not roll back a connection SQLAlchemy believes idle (psycopg sends nothing when it is).
                connection.connection.dbapi_connection.rollback()  # type: ignore[union-attr]

    def close(self) -> None:
        self.engine.dispose()
        self.templates.drop(self.name)


_TEST = "schema_parity_rollback_test"


def _refuse_commit(connection: sa.Connection) -> None:
    test = connection.info.get(_TEST)
    if test is not None:
        raise RuntimeError(
            f"{test}: schema_parity_pg_connection rolls every test back, so it cannot commit. A test that commits "
            "needs a database of its own: @pytest.mark.schema_parity(transaction=True), or schema_parity_pg_url; "
            "or bind a Session with join_transaction_mode='create_savepoint', whose commits are savepoints."
        )


def drop_shared_templates(server_url: str, names: Sequence[str]) -> list[str]:
    """Called by the xdist controller after its workers are done: drop the run's shared templates; return those
    dropped. Only databases whose marker names them and this process as their owner are touched; a server that
    went away (an embedded cluster stopped with its last worker) leaves them to the next run's sweep."""
    dropped: list[str] = []
    engine = sa.create_engine(sync_url(server_url), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    query = sa.text("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = :name")
    try:
        with engine.connect() as connection:
            for name in names:
                marker = Marker.parse(connection.execute(query, {"name": name}).scalar())
                if marker is None or marker.database != name or marker.pid != os.getpid():
                    continue
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                dropped.append(name)
    except sa.exc.SQLAlchemyError:
        pass  # the markers let the next run on this server remove them
    finally:
        engine.dispose()
    return dropped
