"""Running revisions: online on a connection the caller owns (SQLite or PostgreSQL), or offline as SQL text.

The revision scripts run unchanged through Alembic's own runtime, with schema-parity's ``op`` (see ``batch``),
inside the sandbox (``sandbox``) and under the time limit (``watchdog``). By default the project's ``env.py`` is
not executed (it often reads a production URL, imports the app or configures logging): the revisions run in an
environment built here. ``use_env_py=True`` runs the project's ``env.py`` instead. Every failure is a
MigrationError naming the revision (and the operation) it happened in.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import util as alembic_util
from alembic.config import Config
from alembic.operations import ops as alembic_ops
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext, RevisionStep
from alembic.script import ScriptDirectory

from schema_parity import compat
from schema_parity.catalog import Catalog
from schema_parity.compat import op_installed, proxies_like, upgrade_steps
from schema_parity.errors import ConfigError, MigrationError, describe
from schema_parity.sources.alembic.batch import ParityOperations
from schema_parity.sources.alembic.project import AlembicProject, describe_failure
from schema_parity.sources.alembic.sandbox import Sandbox, sqlite_memory_connection
from schema_parity.sources.alembic.terminal import asked_for_input, no_terminal
from schema_parity.sources.alembic.watchdog import Watchdog, ctrl_c_watch
from schema_parity.sources.reflect import SqliteMemo, reflect

_log = logging.getLogger("schema_parity.sources.alembic")

__all__ = [
    "applied_heads",
    "catalog_at",
    "catalogs_at",
    "current_revision",
    "downgrade",
    "in_history_order",
    "offline_sql",
    "upgrade",
    "upgrade_engine",
]


class _Progress:
    """Which revisions are still to run, which ran, and the operation running: a failure names where it happened."""

    def __init__(self, script: ScriptDirectory, destination: str, watchdog: Watchdog) -> None:
        self.script = script
        self.destination = destination
        self.watchdog = watchdog
        self.pending: list[RevisionStep] = []
        self.applied: list[str] = []
        self.output: io.StringIO | None = None
        """Offline, the buffer the SQL goes to; ``ends[i]`` is its length when ``applied[i]`` had run."""
        self.ends: list[int] = []
        self.operation: alembic_ops.MigrateOperation | None = None
        self.on_revision: Callable[[str], None] | None = None
        """Called with each revision's id once it has run (the command line's progress)."""

    def steps(self, rev: Any, context: MigrationContext) -> list[RevisionStep]:
        found = list(upgrade_steps(self.script, self.destination, rev))
        self.pending = list(found)
        return found

    def invoked(self, operation: alembic_ops.MigrateOperation) -> None:
        self.operation = operation

    def applied_one(self, *, step: Any, **_: Any) -> None:
        self.operation = None
        if self.pending:
            self.pending.pop(0)
        self.applied.append(step.up_revision_id or "")
        if self.output is not None:
            self.ends.append(self.output.tell())
        self.watchdog.restart()  # each revision has the whole time limit
        if self.on_revision is not None:
            self.on_revision(self.applied[-1])

    @property
    def failing(self) -> RevisionStep | None:
        return self.pending[0] if self.pending else None


@proxies_like(EnvironmentContext)
class _ParityEnvironment(EnvironmentContext):
    """Alembic's EnvironmentContext, with ``op`` a :class:`ParityOperations` and progress reported.

    ``alembic.context`` proxies to this object, so a project's own ``env.py`` calls these methods too. Online,
    whatever ``env.py`` passes to ``configure`` (another connection, a URL) is replaced by the scratch connection
    of the ``sandbox``.
    """

    def __init__(self, cfg: Config, progress: _Progress, sandbox: Sandbox | None = None, **kw: Any) -> None:
        super().__init__(cfg, progress.script, fn=progress.steps, destination_rev=progress.destination, **kw)
        self.progress = progress
        self.sandbox = sandbox

    def configure(  # type: ignore[override]
        self, connection: Any = None, url: Any = None, dialect_name: str | None = None, **options: Any
    ) -> None:
        if self.sandbox is not None:  # online: the scratch connection, whatever env.py asked for
            connection, url, dialect_name = self.sandbox.scratch_for(connection, url, dialect_name), None, None
            options.pop("dialect_opts", None)
        callbacks: list[Any] = list(options.pop("on_version_apply", None) or ())
        options["on_version_apply"] = [*callbacks, self.progress.applied_one]
        super().configure(connection=connection, url=url, dialect_name=dialect_name, **options)

    def run_migrations(self, **options: Any) -> None:
        context = self.get_context()
        compat.adopt_open_transaction(context)  # autocommit_block() in a revision commits it, as under alembic
        with op_installed(ParityOperations(context, self.progress.invoked)):
            context.run_migrations(**options)


def upgrade(
    connection: sa.Connection,
    project: AlembicProject,
    revision: str = "head",
    *,
    use_env_py: bool = False,
    on_revision: Callable[[str], None] | None = None,
) -> list[str]:
    """Upgrade the database behind ``connection`` to ``revision``; return the revisions applied, in order.
    ``on_revision`` is called with each revision's id once it has run.

    The caller owns the transaction; on SQLite each revision's DDL is committed as Alembic does.
    """
    destination = project.resolve(revision)
    if project.bootstrap is not None and current_revision(connection) is None:
        _bootstrap(connection, project)
    return _run(connection, project, _Progress, destination, use_env_py=use_env_py, on_revision=on_revision)


class _DowngradeProgress(_Progress):
    """Progress of a downgrade: the steps ``alembic downgrade`` takes from the current revision to ``destination``."""

    def steps(self, rev: Any, context: MigrationContext) -> list[RevisionStep]:
        found = list(self.script._downgrade_revs(self.destination, rev))
        self.pending = list(found)
        return found


def downgrade(
    connection: sa.Connection,
    project: AlembicProject,
    revision: str = "base",
    *,
    use_env_py: bool = False,
) -> list[str]:
    """Downgrade the database behind ``connection`` to ``revision`` (an id, or ``base``) by running each revision's
    ``downgrade()``, as ``alembic downgrade`` does, in the same sandbox and under the same time limit as
    :func:`upgrade`; return the revisions undone, in order. The caller owns the transaction."""
    return _run(connection, project, _DowngradeProgress, project.resolve(revision), use_env_py=use_env_py)


def _run(
    connection: sa.Connection,
    project: AlembicProject,
    progress_type: type[_Progress],
    destination: str,
    *,
    use_env_py: bool,
    on_revision: Callable[[str], None] | None = None,
) -> list[str]:
    """Run the history's steps towards ``destination`` (which ``progress_type`` chooses: up or down) in the sandbox,
    under the time limit, with the terminal closed; return the revisions run, in order."""
    cfg = project.config(url=connection.engine.url.render_as_string(hide_password=False))
    cfg.attributes["connection"] = connection
    script = project.script
    env_py = Path(script.env_py_location) if use_env_py else None
    sandbox = Sandbox(connection, env_py)
    watchdog = Watchdog(project.revision_timeout, connection.connection.dbapi_connection)
    progress = progress_type(script, destination, watchdog)
    progress.on_revision = on_revision
    env = _ParityEnvironment(cfg, progress, sandbox)
    naming = None if use_env_py else _naming(project)  # env.py passes its own target_metadata
    with ctrl_c_watch() as pressed:
        try:
            # Revision scripts print progress; stdout belongs to the report (JSON, SARIF), so send it to stderr.
            with sandbox.installed(), watchdog.running(), env, no_terminal(), compat.legacy_execute(connection):
                if use_env_py:
                    script.run_env()
                else:
                    env.configure(connection=connection, target_metadata=naming)
                    with env.begin_transaction():
                        env.run_migrations()
            sandbox.check()  # a refusal that env.py caught and ignored is still a failure
            watchdog.check()
        except BaseException as exc:
            failure = _failure(exc, progress, connection.dialect.name, env_py, pressed(), project=project)
            if failure is exc:
                raise
            raise failure from exc
    return progress.applied


def _bootstrap(connection: sa.Connection, project: AlembicProject) -> None:
    """A history that starts from ``create_all()``: the project's MetaData creates the tables and the database is
    stamped at the bootstrap revision, as the application's own install does; the later revisions then run."""
    from schema_parity.sources.metadata import import_metadata

    reference = project.metadata_reference
    if reference is None:
        raise ConfigError(
            f'bootstrap = {project.bootstrap!r} needs the project\'s models: set metadata = "app.models:Base" '
            "(env.py sets no target_metadata)"
        )
    assert project.bootstrap is not None
    metadata = import_metadata(reference, project.import_paths, imports=project.metadata_imports)
    stamped = project.resolve(project.bootstrap)
    if not metadata.tables:
        raise ConfigError(
            f"bootstrap = {project.bootstrap!r}: the MetaData {reference} holds no table once imported: the models "
            "are registered elsewhere. Set metadata to a module that imports them, or list the modules to import "
            "(or a function that imports them, module:function) in metadata-imports (docs/migrations.md)"
        )
    only = project.bootstrap_schemas
    tables = [t for t in metadata.tables.values() if not only or (t.schema or "") in only]  # create_all() sorts
    if not tables:
        raise ConfigError(
            f"bootstrap-schemas = {list(only)!r}: {reference} has no table in these schemas (\"\" stands for tables "
            f"without a schema; the MetaData's schemas: "
            f"{', '.join(sorted({repr(t.schema or '') for t in metadata.tables.values()})) or 'none'})"
        )
    schemas = sorted({table.schema for table in tables if table.schema})
    with no_terminal():
        try:
            with compat.legacy_execute(connection):  # its DDL listeners run as under the project's own install
                _create_all(connection, metadata, tables, schemas)
        except Exception as exc:  # the project's listeners run here: their errors are the project's, not ours
            where = f" (tables in schemas {', '.join(schemas)})" if schemas else ""
            raise MigrationError(  # this engine's failure (schemas on SQLite): the other engine goes on
                f"bootstrap = {project.bootstrap!r}: create_all() of {reference}{where} failed on "
                f"{connection.dialect.name}: {describe(exc)}",
                revision=stamped,
            ) from exc
        MigrationContext.configure(connection).stamp(project.script, stamped)
    compat.commit(connection)
    _log.info("bootstrap: tables created from %s, stamped at %s", reference, stamped)


def _create_all(connection: sa.Connection, metadata: sa.MetaData, tables: list[sa.Table], schemas: list[str]) -> None:
    """``create_all()`` as the application's install runs it. Its schemas are the install's to create: the models'
    own ``before_create`` hooks may do it (and create functions in them as they do, as indico's do), so they are
    tried first; when a schema is still missing (an install that runs ``CREATE SCHEMA`` itself, as dispatch's does),
    the attempt is rolled back, the schemas created, and ``create_all()`` run again."""
    if not schemas or connection.dialect.name != "postgresql":
        metadata.create_all(connection, tables=tables)
        return
    attempt = connection.begin_nested()
    try:
        metadata.create_all(connection, tables=tables)
    except sa.exc.DBAPIError as exc:
        attempt.rollback()
        if not re.search(r'schema "[^"]+" does not exist', str(exc.orig)):
            raise
        for schema in schemas:
            quoted = connection.dialect.identifier_preparer.quote_schema(schema)
            connection.execute(sa.text(f"CREATE SCHEMA IF NOT EXISTS {quoted}"))
        metadata.create_all(connection, tables=tables)
    else:
        attempt.commit()


def _naming(project: AlembicProject) -> sa.MetaData | None:
    """An empty MetaData carrying the project's naming convention: all Alembic reads of ``target_metadata`` here."""
    convention = project.naming_convention
    return sa.MetaData(naming_convention=dict(convention)) if convention else None


def _failure(
    exc: BaseException,
    progress: _Progress,
    dialect: str,
    env_py: Path | None,
    ctrl_c: bool,
    *,
    project: AlembicProject,
) -> BaseException:
    """The exception to raise for a failed run: a MigrationError naming the revision or env.py at fault.

    A real Ctrl-C stays a KeyboardInterrupt; after the time limit expired, whatever exception the stopped revision
    raised (an interrupted statement, the injected timeout) is reported as the timeout.
    """
    step = progress.failing
    if progress.watchdog.expired:
        return _timeout_failure(progress.watchdog.limit, step, env_py)
    if isinstance(exc, KeyboardInterrupt) and ctrl_c:
        return exc
    if isinstance(exc, MigrationError) or not isinstance(exc, (Exception, SystemExit, KeyboardInterrupt)):
        return exc
    if isinstance(exc, alembic_util.CommandError):
        return MigrationError(f"{progress.script.dir}: {exc}")
    return _migration_failure(exc, step, progress.operation, dialect, env_py, project=project)


def _migration_failure(
    exc: BaseException,
    step: RevisionStep | None,
    operation: alembic_ops.MigrateOperation | None,
    dialect: str,
    env_py: Path | None = None,
    *,
    project: AlembicProject | None = None,
) -> MigrationError:
    if step is None:
        if env_py is not None:
            return MigrationError(
                f"env.py ({env_py}) {describe_failure(exc)} outside any revision. Fix env.py, or run without "
                "--use-env-py (schema-parity's own environment runs the revisions without it)."
            )
        return MigrationError(f"Alembic failed before any revision ran: {describe(exc)}")
    what = _describe_operation(operation) if operation is not None else "the revision"
    revision = step.revision
    path = revision.path
    advice = "Fix the revision, or run it against the engine it was written for."
    if asked_for_input(exc):
        return MigrationError(
            f"Revision {revision.revision} ({path}) asked for input on the terminal (input() met an empty standard "
            f"input: {describe(exc)}). Revisions run without a terminal here: give the revision what it asks "
            "for another way (an environment variable or a setting it reads), or skip the prompt when standard "
            "input is not a terminal (sys.stdin.isatty()).",
            revision=revision.revision,
            path=path,
        )
    if isinstance(exc, (SystemExit, KeyboardInterrupt)):
        advice = (
            "A revision, and every module it imports, must not exit the process: remove the sys.exit() call "
            "(raise an exception instead)."
        )
        return MigrationError(
            f"Revision {revision.revision} ({path}) {describe_failure(exc)}. {advice}",
            revision=revision.revision,
            path=path,
        )
    if "must have a name" in str(exc):
        advice = (
            "The constraint has no name. Alembic names such constraints by the project's naming convention, which "
            'lives on its MetaData: set metadata = "package.module:Base.metadata" in [tool.schema-parity] (or '
            "--metadata) when env.py's target_metadata was not found or cannot be imported."
        )
    elif _missing_table(exc) and project is not None and project.bootstrap is not None:
        only = project.bootstrap_schemas
        advice = (
            "The table (or its schema) does not exist when this revision runs, although "
            f"bootstrap = {project.bootstrap!r} is set: create_all() of {project.metadata_reference}"
            + (f" (tables of the schemas {', '.join(repr(s) for s in only)}, bootstrap-schemas)" if only else "")
            + " did not create it. Check that the bootstrap revision is the one create_all() stands for and that "
            "the MetaData (metadata) holds the models of this history's tables; with several histories, each "
            "[[tool.schema-parity.histories]] entry takes its own bootstrap, bootstrap-schemas and metadata "
            "(docs/migrations.md)."
        )
    elif _missing_table(exc):
        advice = (
            "The table (or its schema) does not exist when this revision runs. If the project builds a fresh "
            "database with metadata.create_all() and stamps it (its first revisions assume existing tables), tell "
            'schema-parity: bootstrap = "<the revision create_all() stands for>" and, when env.py\'s target_metadata '
            'does not name the models, metadata = "package.module:Base" in [tool.schema-parity] (or --bootstrap / '
            "--metadata; docs/migrations.md). Otherwise fix the revision."
        )
    elif (missing_type := _missing_type(exc)) is not None and dialect == "postgresql":
        advice = (
            f'PostgreSQL has no type "{missing_type}" here: it usually comes from an extension the server lacks'
            + (" (pgvector)" if missing_type == "vector" else "")
            + ". Point schema-parity at a server that has the extension installed (--postgres-url, postgres-url in "
            '[tool.schema-parity]) and create it in each scratch database with setup-sql = "CREATE EXTENSION IF '
            'NOT EXISTS <name>".'
        )
    elif dialect == "sqlite" and isinstance(exc, (sa.exc.DBAPIError, NotImplementedError)):
        advice = (
            "SQLite cannot run this operation. Guard PostgreSQL-only steps with "
            '`if op.get_context().dialect.name == "postgresql":`, or judge PostgreSQL semantics from offline SQL '
            "(`--dialect postgresql`) or a real server (`--database-url`)."
        )
    return MigrationError(
        f"Revision {revision.revision} ({path}) failed on {dialect} in {what}: {describe(exc)}. {advice}",
        revision=revision.revision,
        path=path,
    )


def _missing_table(exc: BaseException) -> bool:
    """A revision met a table, or the schema of one, that does not exist (reflected, altered, queried or created in
    a schema the install's ``create_all()`` would have made)."""
    if isinstance(exc, sa.exc.NoSuchTableError):
        return True
    text = str(getattr(exc, "orig", exc))
    return isinstance(exc, sa.exc.DBAPIError) and bool(
        re.search(r"no such table|(?<!of )(?:relation|table|schema) \"[^\"]+\" does not exist", text)
    )


def _missing_type(exc: BaseException) -> str | None:
    """The type PostgreSQL does not know (``type "vector" does not exist``), usually an extension's."""
    if not isinstance(exc, sa.exc.DBAPIError):
        return None
    match = re.search(r'type "([^"]+)" does not exist', str(exc.orig))
    return match.group(1) if match else None


def _timeout_failure(limit: float | None, step: RevisionStep | None, env_py: Path | None) -> MigrationError:
    revision, path = (step.revision.revision, step.revision.path) if step is not None else (None, None)
    what = f"Revision {revision} ({path})" if step else f"env.py ({env_py})" if env_py else "The migration environment"
    return MigrationError(
        f"{what} ran longer than the time limit of {limit:g} s per revision and was stopped. If it really needs "
        "longer, raise the limit: --revision-timeout SECONDS (revision-timeout in [tool.schema-parity], "
        "schema_parity_revision_timeout in pytest's ini; 0 removes it).",
        revision=revision,
        path=path,
    )


def _describe_operation(operation: alembic_ops.MigrateOperation) -> str:
    name = type(operation).__name__.removesuffix("Op")
    snake = "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")
    table = getattr(operation, "table_name", None) or getattr(operation, "source_table", None)
    if isinstance(operation, alembic_ops.ExecuteSQLOp):
        sql = str(operation.sqltext).strip().splitlines()[0][:80]
        return f"op.execute({sql!r})"
    return f"op.{snake}(" + (f"{table!r}, ...)" if table else "...)")


def offline_sql(
    project: AlembicProject, revision: str = "head", *, dialect: str = "postgresql"
) -> tuple[str, list[str]]:
    """The DDL Alembic's offline (``--sql``) mode emits for ``dialect``, and notes on revisions that cannot run.

    A revision that cannot run offline (it reads data, reflects, uses an untyped bulk_insert) stops the script there;
    the note names it, and the SQL up to that point is returned.
    """
    run = _offline_run(project, project.resolve(revision), dialect)
    return run.sql, run.notes


def offline_sqls(
    project: AlembicProject, revisions: Iterable[str], *, dialect: str = "postgresql"
) -> dict[str, tuple[str, list[str]]]:
    """:func:`offline_sql` at each of ``revisions``, from as few offline runs as the history allows: one run to the
    last revision gives every earlier one as a prefix of its script, where the revisions emitted before it are
    exactly its ancestors (on a branch that another branch's revisions interleave, a run of its own)."""
    result: dict[str, tuple[str, list[str]]] = {}
    remaining = in_history_order(project, revisions)
    while remaining:
        run = _offline_run(project, project.resolve(remaining[-1]), dialect)
        result[remaining.pop()] = (run.sql, run.notes)
        for revision in list(remaining):
            found = run.at(project, revision)
            if found is not None:
                result[revision] = found
                remaining.remove(revision)
    return result


class _OfflineRun:
    """One offline run: its SQL, its notes, and where each applied revision's SQL ends. A plain class: a dataclass
    would compile its methods at import, in every process that migrates, for the offline runs only."""

    __slots__ = ("applied", "ends", "failed", "notes", "sql")

    def __init__(self, sql: str, notes: list[str], applied: list[str], ends: list[int], failed: str | None) -> None:
        self.sql = sql
        self.notes = notes
        self.applied = applied
        self.ends = ends
        #: The revision that stopped the run (it cannot run offline), if one did.
        self.failed = failed

    def at(self, project: AlembicProject, revision: str) -> tuple[str, list[str]] | None:
        """What a run to ``revision`` alone would give, when this run shows it: None when it does not."""
        target = project.resolve(revision)
        if target in ("head", "heads", "base"):
            return None
        ancestors = project.ancestors(target)
        if target in self.applied:
            position = self.applied.index(target)
            if set(self.applied[: position + 1]) == ancestors:
                return self.sql[: self.ends[position]], []
            return None
        if self.failed is not None and self.failed in ancestors and set(self.applied) <= ancestors:
            return self.sql, self.notes  # the same revision stops a run to ``revision``, at the same place
        return None


def _offline_run(project: AlembicProject, destination: str, dialect: str) -> _OfflineRun:
    buffer = io.StringIO()
    cfg = project.config(output_buffer=buffer)
    watchdog = Watchdog(project.revision_timeout)
    progress = _Progress(project.script, destination, watchdog)
    progress.output = buffer
    env = _ParityEnvironment(cfg, progress, as_sql=True, starting_rev=None)
    naming = _naming(project)
    notes: list[str] = []
    failed = None
    with ctrl_c_watch() as pressed:
        try:
            with watchdog.running(), env, no_terminal():
                env.configure(
                    dialect_name=dialect,
                    output_buffer=buffer,
                    literal_binds=True,
                    transactional_ddl=False,
                    target_metadata=naming,
                )
                with env.begin_transaction():
                    env.run_migrations()
            watchdog.check()
        except BaseException as exc:
            if watchdog.expired or not isinstance(exc, Exception) or isinstance(exc, alembic_util.CommandError):
                failure = _failure(exc, progress, dialect, None, pressed(), project=project)
                if failure is exc:
                    raise
                raise failure from exc
            step = progress.failing
            failed = step.revision.revision if step else None
            where = f"revision {step.revision.revision} ({step.revision.path})" if step else "the migration environment"
            notes.append(
                f"{where} cannot run in offline mode for {dialect} ({describe(exc)}); its offline SQL stops there."
            )
    return _OfflineRun(buffer.getvalue(), notes, progress.applied, progress.ends, failed)


def catalog_at(
    project: AlembicProject, revision: str = "head", *, use_env_py: bool = False, source: str | None = None
) -> Catalog:
    """The Catalog the real migrations build on a fresh in-memory SQLite database."""
    label = source or f"alembic:{project.config_path or project.script_location}@{revision}"
    with sqlite_memory_connection() as connection:
        upgrade(connection, project, revision, use_env_py=use_env_py)
        return reflect(connection, source=label, revision=current_revision(connection))


def catalogs_at(
    project: AlembicProject,
    revisions: Iterable[str],
    *,
    use_env_py: bool = False,
    on_revision: Callable[[str], None] | None = None,
) -> dict[str, Catalog]:
    """The Catalog at each of ``revisions`` on SQLite, by one pass through the history: the revisions are applied
    in history order on one in-memory database, reflected at each requested one. A revision the database cannot
    reach by adding revisions (one on another branch) starts a fresh database: upgrading would apply its branch
    beside the one already there. ``on_revision`` is called with each revision's id once it has run."""
    label = f"alembic:{project.config_path or project.script_location}"
    result: dict[str, Catalog] = {}
    memo: SqliteMemo = {}  # tables a revision left unchanged are not reflected again
    with contextlib.ExitStack() as stack:
        connection = stack.enter_context(sqlite_memory_connection())
        for revision in in_history_order(project, revisions):
            if not project.builds_on(applied_heads(connection), revision):
                stack.close()
                connection = stack.enter_context(sqlite_memory_connection())
            upgrade(connection, project, revision, use_env_py=use_env_py, on_revision=on_revision)
            result[revision] = reflect(
                connection, source=f"{label}@{revision}", revision=current_revision(connection), memo=memo
            )
    return result


def in_history_order(project: AlembicProject, revisions: Iterable[str]) -> list[str]:
    """``revisions`` (ids, ``head``, ``heads``), each once, in the order an upgrade reaches them; every one is
    resolved first, so a wrong revision fails before anything runs."""
    order = {script.revision: i for i, script in enumerate(project.revisions())}
    resolved = {revision: project.resolve(revision) for revision in dict.fromkeys(revisions)}
    return sorted(resolved, key=lambda r: order.get(resolved[r], len(order)))


def upgrade_engine(
    engine: sa.Engine,
    project: AlembicProject,
    revision: str = "head",
    *,
    use_env_py: bool = False,
    on_revision: Callable[[str], None] | None = None,
) -> list[str]:
    """Upgrade the database behind ``engine`` on one connection and commit; return the revisions applied."""
    with engine.connect() as connection:
        applied = upgrade(connection, project, revision, use_env_py=use_env_py, on_revision=on_revision)
        compat.commit(connection)
    return applied


def applied_heads(connection: sa.Connection) -> tuple[str, ...]:
    """The branch heads a database is at (none before the first revision)."""
    return tuple(sorted(MigrationContext.configure(connection).get_current_heads()))


def current_revision(connection: sa.Connection) -> str | None:
    """The revision a database is at: its branch heads joined by commas, None before the first revision."""
    return ",".join(applied_heads(connection)) or None
