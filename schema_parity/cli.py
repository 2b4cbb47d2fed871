"""The ``schema-parity`` command: argument parsing only; every decision is made in the core modules."""

from __future__ import annotations

import argparse
import contextlib
import functools
import logging
import os
import re
import sys
import time
import traceback
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO, cast

from schema_parity.catalog import DIALECTS
from schema_parity.config import FORMATS, Config, Settings, check_codes, check_severity, resolve
from schema_parity.errors import (
    EXIT_FINDINGS,
    EXIT_INTERNAL,
    EXIT_OK,
    EXIT_USAGE,
    ConfigError,
    SchemaParityError,
    describe,
    mask_secrets,
)
from schema_parity.limits import DEFAULT_MAX_FILE_SIZE, DEFAULT_REVISION_TIMEOUT
from schema_parity.limits import NEWEST_POSTGRES as NEWEST
from schema_parity.limits import OLDEST_POSTGRES as OLDEST
from schema_parity.rules import Severity, find_rule
from schema_parity.sources.postgres import POSTGRES_MODES, POSTGRES_URL_ENV

if TYPE_CHECKING:
    from schema_parity.check import CheckResult


def _add_alembic_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("schema from Alembic migrations")
    group.add_argument(
        "--alembic-config",
        metavar="PATH",
        help="alembic.ini or pyproject.toml with [tool.alembic] (default: found in the current directory or above)",
    )
    group.add_argument("--script-location", metavar="DIR", help="revision scripts directory (overrides the config)")
    group.add_argument("--ini-section", metavar="NAME", help="ini section (default: alembic)")
    group.add_argument("--revision", metavar="REV", help="upgrade target (default: head)")
    group.add_argument(
        "--metadata",
        metavar="MODULE:ATTR",
        help="the project's MetaData (e.g. app.models:Base.metadata), whose naming convention names the constraints "
        "op.* creates (default: env.py's target_metadata)",
    )
    group.add_argument(
        "--bootstrap",
        metavar="REV",
        help="a history that starts from create_all(): build a fresh database from the models (--metadata), stamp it "
        "at REV, and run only the later revisions",
    )
    group.add_argument(
        "--revision-timeout",
        type=float,
        metavar="SECONDS",
        help=f"stop a revision that runs longer than this (default: {DEFAULT_REVISION_TIMEOUT:g}; 0: no limit)",
    )
    group.add_argument(
        "--use-env-py",
        action=argparse.BooleanOptionalAction,
        help="run the project's env.py (the connection is handed over in config.attributes['connection'])",
    )


def _add_postgres_options(parser: argparse.ArgumentParser) -> None:
    postgres = parser.add_argument_group("PostgreSQL")
    postgres.add_argument(
        "--postgres-url",
        metavar="URL",
        help="run the migrations for PostgreSQL's rules on this server, in a scratch database created and dropped "
        f"(default: ${POSTGRES_URL_ENV}, else the embedded server when installed, else local PostgreSQL binaries)",
    )
    postgres.add_argument(
        "--postgres",
        choices=POSTGRES_MODES,
        help="auto (default): a real PostgreSQL when one can be had; required: no server is an error (exit 2); "
        "offline: never start or use a server (PostgreSQL's schema from Alembic's offline SQL)",
    )
    postgres.add_argument(
        "--postgres-version",
        type=int,
        choices=range(OLDEST, NEWEST + 1),
        metavar="MAJOR",
        help=f"production's PostgreSQL major version ({OLDEST} to {NEWEST}): a server of another version is "
        "reported, and keys that version cannot create make their sites unresolved",
    )


# --- deploy safety (check --deploy-from, docs/deploy.md) ---------------------------------------------------------


def _add_deploy_options(parser: argparse.ArgumentParser) -> None:
    deploy = parser.add_argument_group("deploy safety (docs/deploy.md)")
    deploy.add_argument(
        "--deploy-from",
        metavar="REV",
        help="the Alembic revision production runs, or a git ref (its tree is the old code, its history's head the "
        "old revision): judge the old code on the new schema and the new code on the old one, per site",
    )
    deploy.add_argument(
        "--deploy-order",
        choices=("any", "migrations-first", "code-first"),
        help="the order you deploy in: its findings are errors (default any: errors only when no order is safe)",
    )


def _deploy_check(args: argparse.Namespace, settings: Settings) -> CheckResult | None:
    """The deploy check when ``--deploy-from`` (or ``deploy-from``) is set, else None."""
    deploy_from = getattr(args, "deploy_from", None) or settings.deploy_from
    if not deploy_from:
        return None
    if args.write_baseline is not None or settings.verify:
        raise ConfigError("--deploy-from cannot be combined with --write-baseline or --verify")
    from schema_parity.deploy import DeployOrder, check_deploy

    order = cast("DeployOrder", getattr(args, "deploy_order", None) or settings.deploy_order)
    return check_deploy(settings, deploy_from=deploy_from, order=order, code_base=args.diff_base)


# ------------------------------------------------------------------------------------------------------------------


def _add_config_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--config",
        metavar="FILE",
        help="settings file: a pyproject.toml ([tool.schema-parity]) or a .schema-parity.toml "
        "(default: the nearest one from the current directory upwards)",
    )
    group.add_argument("--no-config", action="store_true", help="ignore configuration files")


def _add_global_options(parser: argparse.ArgumentParser, *, default: object) -> None:
    """``--debug`` and ``-v`` go before or after the command; after it, they must not reset a value given before."""
    parser.add_argument("--debug", action="store_true", default=default, help="show tracebacks for errors")
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=default,
        help="say what the tool does on stderr (the schema_parity logger's INFO messages)",
    )


class _Version(argparse.Action):
    """``--version``, with the version read (importlib.metadata, some 30 ms) only when it is asked for."""

    def __call__(self, parser: argparse.ArgumentParser, *args: object, **kwargs: object) -> None:
        from schema_parity.version import version

        print(f"schema-parity {version()}")  # on stdout, as argparse's "version" action prints it
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="schema-parity",
        description="Run your real Alembic migrations and check every ON CONFLICT against the schema they build.",
    )
    parser.add_argument("--version", action=_Version, nargs=0, help="show program's version number and exit")
    _add_global_options(parser, default=False)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    # argparse.SUPPRESS: a subcommand sets --debug/-v only when they are given after it
    command_options = argparse.ArgumentParser(add_help=False)
    _add_global_options(command_options, default=argparse.SUPPRESS)
    add_command = functools.partial(commands.add_parser, parents=[command_options])

    schema = add_command(
        "schema",
        help="describe the schema the migrations build (or a database holds)",
        description="Describe the Catalog (tables, columns, keys) that the real migrations build on SQLite, "
        "or that an existing database holds (--database-url, opened read-only).",
    )
    _add_alembic_options(schema)
    schema.add_argument(
        "--database-url", metavar="URL", help="reflect this existing database instead (opened read-only)"
    )
    schema.add_argument(
        "--dialect",
        choices=DIALECTS,
        default="sqlite",
        help="whose schema: the migrations run on SQLite (default), or the Catalog PostgreSQL's verdicts use",
    )
    _add_postgres_options(schema)
    schema.add_argument("--format", choices=("text", "json"), default="text")
    schema.add_argument("--output", metavar="FILE", help="write to FILE instead of standard output")
    _add_config_options(schema)
    schema.set_defaults(handler=_cmd_schema)

    check = add_command(
        "check",
        help="check every ON CONFLICT against the schema (exit 1 on an error finding)",
        description="Find every INSERT ... ON CONFLICT in PATHs (.py and .sql files) and judge it with the exact "
        "rules of PostgreSQL and SQLite against the schema the real migrations build. Settings come from "
        "[tool.schema-parity] in pyproject.toml (or .schema-parity.toml); an option given here replaces "
        "the file's value.",
    )
    check.add_argument("paths", nargs="*", metavar="PATH", help="files or directories (default: config paths, or .)")
    _add_alembic_options(check)
    check.add_argument(
        "--schema-sql",
        nargs="+",
        action="extend",
        metavar="FILE_OR_DIR",
        help="schema from DDL files replayed in order (a directory: its *.sql in name order); repeatable, and every "
        "file given is replayed",
    )
    check.add_argument("--database-url", metavar="URL", help="schema reflected from this database (read-only)")
    check.add_argument(
        "--models",
        metavar="MODULE:ATTR",
        help="schema from SQLAlchemy models: what metadata.create_all() builds (a MetaData or declarative base)",
    )
    _add_postgres_options(check)
    check.add_argument(
        "--captured",
        metavar="FILE",
        help="also judge the upserts a test run executed, saved by pytest --schema-parity-capture-file "
        "(docs/capture.md)",
    )
    check.add_argument(
        "--dialect",
        action="append",
        choices=DIALECTS,
        help="whose semantics to apply; repeatable (default: both)",
    )
    check.add_argument("--exclude", action="append", metavar="GLOB", help="skip matching paths; repeatable")
    check.add_argument(
        "--verify",
        action=argparse.BooleanOptionalAction,
        help="also run every resolved upsert on the real engines (scratch databases migrated to its revision, "
        "rolled back) and report any disagreement with the static verdict (SP905)",
    )
    rules = check.add_argument_group("rules")
    rules.add_argument("--select", metavar="CODES", help="comma-separated rule codes or prefixes to report (SP1,SP301)")
    rules.add_argument("--ignore", metavar="CODES", help="comma-separated rule codes or prefixes not to report")
    rules.add_argument(
        "--severity", action="append", metavar="CODE=LEVEL", help="change a rule's level (error, warning, info)"
    )
    rules.add_argument(
        "--report-unused-suppressions",
        action=argparse.BooleanOptionalAction,
        help="report ignore comments that suppress nothing (SP904)",
    )
    adoption = check.add_argument_group("adoption")
    adoption.add_argument("--baseline", metavar="FILE", help="report only findings not recorded in FILE")
    adoption.add_argument("--write-baseline", metavar="FILE", help="record every current finding in FILE, exit 0")
    adoption.add_argument(
        "--diff-base", metavar="GIT_REF", help="check only statements changed since the merge-base with GIT_REF"
    )
    adoption.add_argument("--exit-zero", action="store_true", help="exit 0 even when errors are found")
    _add_deploy_options(check)
    output = check.add_argument_group("output")
    output.add_argument("--format", choices=FORMATS, help="text (default), json, github, sarif")
    output.add_argument("--output", metavar="FILE", help="write the report to FILE instead of standard output")
    speed = check.add_argument_group("speed")
    speed.add_argument(
        "--max-file-size",
        type=int,
        metavar="BYTES",
        help=f"files larger than this are not read (an SP903 warning names each; default {DEFAULT_MAX_FILE_SIZE})",
    )
    speed.add_argument("--jobs", type=int, metavar="N", help="parse files in N processes (0: one per CPU; default 1)")
    speed.add_argument(
        "--cache",
        action=argparse.BooleanOptionalAction,
        help="reuse cached per-file scan results, migrated catalogs and the result of a run repeated with nothing "
        "changed, in .schema-parity/ (default: on); --no-cache bypasses every cache",
    )
    _add_config_options(check)
    check.set_defaults(handler=_cmd_check)

    server = add_command(
        "server",
        help="the PostgreSQL server the tool provisions: status, start, stop",
        description="The embedded (or local) PostgreSQL cluster that PostgreSQL's verdicts and the pytest fixtures "
        "use when no server URL is given. It lives in the user's cache directory and stops when its last user "
        "exits, unless started here with --keep-warm.",
    )
    actions = server.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser("status", help="list the clusters, whether they run and whether a process uses them")
    start = actions.add_parser("start", help="start the cluster and keep it running between runs")
    start.add_argument(
        "--keep-warm", type=float, default=3600.0, metavar="SECONDS", help="stop it after so long unused (default 3600)"
    )
    stop = actions.add_parser("stop", help="stop the clusters nobody uses")
    stop.add_argument("--force", action="store_true", help="stop them even while a process uses them")
    server.set_defaults(handler=_cmd_server)

    clean = add_command(
        "clean",
        help="stop idle provisioned servers, drop stale scratch databases, delete the project's caches",
        description="Leave nothing running or lying around: stop the provisioned PostgreSQL clusters nobody uses, "
        "drop the scratch databases of runs that were killed (only databases carrying schema-parity's marker whose "
        "process is gone) on them and on the configured server, and delete the project's .schema-parity/ caches.",
    )
    _add_config_options(clean)
    clean.set_defaults(handler=_cmd_clean)

    rules_cmd = add_command("rules", help="list every rule code", description="List every rule code.")
    rules_cmd.set_defaults(handler=_cmd_rules)
    explain = add_command(
        "explain",
        help="what a rule means, what each engine does, and a failing and a fixed example",
        description="Print a rule's page: summary, each engine's behaviour, a failing and a fixed example.",
    )
    explain.add_argument("code", metavar="CODE", help="rule code (SP101) or name (no-matching-key)")
    explain.set_defaults(handler=_cmd_explain)
    _add_diff_command(add_command)
    return parser


def _settings(args: argparse.Namespace, cwd: Path) -> Settings:
    """Defaults < configuration file < command line; see docs/configuration.md."""
    return resolve(
        cwd,
        _cli_layer(args, cwd),
        config_file=cwd / args.config if args.config else None,
        read_file=not args.no_config,
    )


def _cli_layer(args: argparse.Namespace, cwd: Path) -> Config:
    """The command line as a Config (None where an option was not given)."""

    def path(value: str | None) -> Path | None:
        return cwd / value if value else None

    get = functools.partial(getattr, args)
    return Config(
        paths=tuple(cwd / p for p in args.paths) if get("paths", None) else None,
        exclude=tuple(args.exclude) if get("exclude", None) else None,
        alembic_config=path(get("alembic_config", None)),
        script_location=path(get("script_location", None)),
        ini_section=get("ini_section", None),
        revision=get("revision", None),
        use_env_py=get("use_env_py", None),
        schema_sql=tuple(cwd / p for p in args.schema_sql) if get("schema_sql", None) else None,
        database_url=get("database_url", None),
        postgres_url=get("postgres_url", None),
        metadata=get("metadata", None),
        bootstrap=get("bootstrap", None),
        models=get("models", None),
        postgres=get("postgres", None),
        postgres_version=get("postgres_version", None),
        dialects=tuple(dict.fromkeys(args.dialect)) if get("dialect", None) else None,
        select=check_codes(args.select.split(","), "--select") if get("select", None) else None,
        ignore=check_codes(args.ignore.split(","), "--ignore") if get("ignore", None) else None,
        severity=_severity_options(get("severity", None) or []),
        format=get("format", None) if args.command == "check" else None,
        baseline=path(get("baseline", None)),
        report_unused_suppressions=get("report_unused_suppressions", None),
        jobs=get("jobs", None),
        cache=get("cache", None),
        revision_timeout=get("revision_timeout", None),
        max_file_size=get("max_file_size", None),
        verify=get("verify", None),
    )


def _severity_options(values: list[str]) -> dict[str, Severity]:
    table: dict[str, str] = {}
    for value in values:
        code, sep, level = value.partition("=")
        if not sep:
            raise ConfigError(f"--severity {value}: expected CODE=LEVEL, e.g. SP111=error")
        table[code.strip()] = level.strip()
    return check_severity(table, "--severity")


def _cmd_check(args: argparse.Namespace) -> int:
    from schema_parity.baseline import write_baseline
    from schema_parity.check import check_project, project_path
    from schema_parity.progress import status_line

    cwd = Path.cwd()
    settings = _settings(args, cwd)
    for path in settings.paths:
        if not path.exists():
            raise ConfigError(f"{path} does not exist")
    deployed = _deploy_check(args, settings)
    if deployed is not None:
        _report(deployed, settings.format, cwd, args.output)
        return EXIT_OK if args.exit_zero else deployed.exit_code
    changes = None
    if args.diff_base:
        from schema_parity.changes import changes_since

        changes = changes_since(args.diff_base, cwd)
    writing = args.write_baseline is not None
    warned = _Warned()
    logging.getLogger("schema_parity").addHandler(warned)
    try:
        with status_line(sys.stderr, enabled=not args.verbose) as progress:  # -v: the log lines say what it does
            result = check_project(settings, changes=changes, use_baseline=not writing, progress=progress)
    finally:
        logging.getLogger("schema_parity").removeHandler(warned)
    if args.captured:
        from schema_parity.capture import load
        from schema_parity.captured import judge_captured, merge_results

        records, capture_root = load(cwd / args.captured)
        captured = judge_captured(records, settings, capture_root=capture_root, use_baseline=not writing)
        result = merge_results(result, captured.result)
    if writing:
        target = cwd / args.write_baseline
        anchor = settings.project_root.resolve()
        recorded = write_baseline(
            target,
            ((f, result.dialect_fingerprints[f], project_path(cwd, f.path, anchor)) for f in result.findings),
        )
        print(f"schema-parity: recorded {recorded} finding(s) in {target}", file=sys.stderr)
        return EXIT_OK
    stdout, written = _report(result, settings.format, cwd, args.output)
    exit_code = EXIT_OK if args.exit_zero else result.exit_code
    if not (warned.seen or args.diff_base or args.captured or settings.verify or settings.format == "github"):
        _remember(args, settings, result, stdout=stdout, written=written, exit_code=exit_code)
    return exit_code


class _Warned(logging.Handler):
    """Whether the run logged a warning: its result is not stored for replay (the warning would not be repeated)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.seen = False

    def emit(self, record: logging.LogRecord) -> None:
        self.seen = True


def _remember(
    args: argparse.Namespace,
    settings: Settings,
    result: CheckResult,
    *,
    stdout: str,
    written: tuple[str, str] | None,
    exit_code: int,
) -> None:
    """Store the run's report for a replay of the same run while none of its inputs change (results.py)."""
    argv = getattr(args, "argv", None)
    if not settings.cache or result.inputs is None or argv is None:
        return
    from schema_parity import results

    cwd = os.getcwd()
    inputs = [
        *result.inputs,
        *(str(path) for path in settings.paths),
        *results.config_candidates(cwd),
        *(str(path) for path in (settings.source, settings.baseline) if path is not None),
    ]
    results.store(
        str(settings.project_root / ".schema-parity" / results.RESULTS_DIR),
        results.run_key(argv, cwd, args.environ, isatty=results.isatty(), path=args.sys_path),
        inputs=inputs,
        stdout=stdout,
        output=written,
        exit_code=exit_code,
        started_ns=args.started_ns,
    )


def _report(result: CheckResult, fmt: str, cwd: Path, output: str | None) -> tuple[str, tuple[str, str] | None]:
    """The report on stdout, or in ``--output FILE`` with the one-line summary (and where the report is) on stdout;
    what was written on stdout, and the file and its text."""
    text = _render(result, fmt, cwd, to_file=bool(output))
    _write(text, output)
    if not output:
        return text, None
    from schema_parity.report.text import summary_line

    style = _ansi if use_colour(sys.stdout, to_file=False) else None
    line = f"{summary_line(result, style=style)} (report: {output})\n"
    sys.stdout.write(line)
    return line, (output, text)


def _render(result: CheckResult, fmt: str, cwd: Path, *, to_file: bool) -> str:
    if fmt == "json":
        from schema_parity.report.json import render_json

        return render_json(result)
    if fmt == "sarif":
        from schema_parity.report.sarif import render_sarif

        return render_sarif(result, root=cwd)
    if fmt == "github":
        from schema_parity.report.github import append_job_summary, github_workspace, render_github

        append_job_summary(result, root=cwd)
        return render_github(result, root=cwd, workspace=github_workspace())
    from schema_parity.report.text import render_text

    return render_text(result, root=cwd, style=_ansi if use_colour(sys.stdout, to_file=to_file) else None)


def use_colour(stream: TextIO, *, to_file: bool) -> bool:
    """NO_COLOR (non-empty) wins, then FORCE_COLOR (non-empty), then whether the stream is a terminal."""
    if to_file or os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return stream.isatty()


_ANSI = {"error": "1;31", "warning": "1;33", "info": "1;34", "path": "1", "rule": "36", "dim": "2", "ok": "32"}


def _ansi(text: str, role: str) -> str:
    code = _ANSI.get(role)
    return f"\x1b[{code}m{text}\x1b[0m" if code else text


def _cmd_rules(_args: argparse.Namespace) -> int:
    from schema_parity.explain import render_rules

    sys.stdout.write(render_rules())
    return EXIT_OK


def _cmd_explain(args: argparse.Namespace) -> int:
    from schema_parity.explain import render_explain

    wanted = args.code.strip()
    rule = find_rule(wanted)
    if rule is None:
        raise ConfigError(f"unknown rule {wanted!r}: `schema-parity rules` lists them")
    sys.stdout.write(render_explain(rule.code))
    return EXIT_OK


def _cmd_schema(args: argparse.Namespace) -> int:
    from schema_parity.report.catalog import render_catalog
    from schema_parity.sources import Schema, Unavailable

    settings = _settings(args, Path.cwd())
    with Schema(settings.schema, (args.dialect,)) as schema:
        catalog = schema.head(args.dialect)
    if isinstance(catalog, Unavailable):
        raise ConfigError(catalog.reason)
    text = catalog.to_json() + "\n" if args.format == "json" else render_catalog(catalog)
    _write(text, args.output)
    return EXIT_OK


def _cmd_server(args: argparse.Namespace) -> int:
    from schema_parity.sources.postgres import Postgres
    from schema_parity.sources.postgres.maintenance import cluster_lines, stop_clusters

    if args.action == "status":
        lines = cluster_lines()
    elif args.action == "stop":
        lines = stop_clusters(force=args.force) or ["no cluster was running"]
    else:
        postgres = Postgres(url=None, mode="required", linger=args.keep_warm)
        server = postgres.server()
        assert server is not None  # required: no server is a ConfigError
        postgres.close()  # the keeper keeps it up for --keep-warm seconds after the last user
        lines = [f"{server.describe()} is running; it stops after {args.keep_warm:g} s unused"]
    sys.stdout.write("\n".join(lines) + "\n")
    return EXIT_OK


def _cmd_clean(args: argparse.Namespace) -> int:
    import shutil

    from schema_parity.sources.postgres.maintenance import drop_stale_databases, stop_clusters

    settings = _settings(args, Path.cwd())
    lines = drop_stale_databases([settings.schema.postgres_url] if settings.schema.postgres_url else [])
    lines += [line for line in stop_clusters() if line.startswith("stopped")]
    caches = settings.project_root / ".schema-parity"
    if caches.is_dir():
        shutil.rmtree(caches)
        lines.append(f"deleted {caches}")
    sys.stdout.write("\n".join(lines or ["nothing to clean"]) + "\n")
    return EXIT_OK


# -- schema-parity diff ---------------------------------------------------------------------------------------------
def _add_diff_command(add_command: functools.partial[argparse.ArgumentParser]) -> None:
    from schema_parity.compare import KINDS

    diff = add_command(
        "diff",
        help="compare two schemas: migrations, DDL files, models, a database (exit 1 when they differ)",
        description="Build two schemas on real engines and compare them: tables on one side only, columns (type, "
        "nullability, server default), primary keys, unique keys and indexes, foreign keys and checks. Cosmetic "
        "differences (type spelling, order, quoting, the names of unnamed constraints) are left out; -v/--verbose "
        "lists them. A SOURCE is alembic:PATH[@REV][#sqlite|#postgresql], sql:PATH[#sqlite|#postgresql], url:URL "
        "(read-only), models:MODULE:ATTR[#sqlite|#postgresql] or python:MODULE:FUNCTION. See docs/diff.md.",
    )
    diff.add_argument("source_a", metavar="SOURCE_A")
    diff.add_argument("source_b", metavar="SOURCE_B", nargs="?", help="(not with --stairway)")
    diff.add_argument("--format", choices=("text", "json"), default="text")
    diff.add_argument(
        "--ignore",
        dest="ignore_kinds",
        nargs="+",
        action="extend",
        default=[],
        metavar="KIND",
        help=f"leave out these kinds of difference: {', '.join(KINDS)} (repeatable, or comma-separated)",
    )
    diff.add_argument(
        "--fix-for",
        choices=("a", "b"),
        help="print what makes that side match the other: the body of a new revision (op.* code) for an alembic: "
        "side, CREATE statements for a sql: side; any other side is exit 2",
    )
    diff.add_argument(
        "--code",
        nargs="+",
        action="extend",
        metavar="PATH",
        help="files or directories whose upserts are matched against keys on one side only (default: the "
        "configured paths, else the project root)",
    )
    diff.add_argument("--no-code", action="store_true", help="do not look for upserts that rely on a key")
    diff.add_argument(
        "--stairway",
        action="store_true",
        help="SOURCE_A alone, alembic:PATH[@REV][#sqlite|#postgresql]: upgrade, downgrade and upgrade each revision "
        "and check that the downgrade restores the schema before it and the second upgrade rebuilds the first "
        "(on both engines unless #ENGINE is given)",
    )
    diff.add_argument(
        "--postgres-url",
        metavar="URL",
        help=f"server for #postgresql sources (default: ${POSTGRES_URL_ENV}, else a provisioned one)",
    )
    diff.add_argument("--output", metavar="FILE", help="write to FILE instead of standard output")
    _add_config_options(diff)
    diff.set_defaults(handler=_cmd_diff)


def _cmd_diff(args: argparse.Namespace) -> int:
    from schema_parity.diff import check_ignore, diff, render_json, render_text

    cwd = Path.cwd()
    if args.stairway:
        return _cmd_stairway(args, cwd)
    if args.source_b is None:
        raise ConfigError("diff needs two sources: schema-parity diff SOURCE_A SOURCE_B (or --stairway SOURCE)")
    ignore = check_ignore(k for value in args.ignore_kinds for k in value.split(","))
    code: list[Path] | None = None
    if not args.no_code:
        if args.code:
            code = [cwd / p for p in args.code]
        else:
            settings = _settings(args, cwd)
            code = list(settings.paths) or [settings.project_root]
    postgres_url = args.postgres_url or os.environ.get(POSTGRES_URL_ENV) or None
    if args.fix_for:
        from schema_parity.diff_fix import check_fixable
        from schema_parity.sources.spec import parse_spec

        check_fixable(parse_spec(args.source_b if args.fix_for == "b" else args.source_a), args.fix_for)
    result = diff(args.source_a, args.source_b, cwd=cwd, ignore=ignore, code=code, postgres_url=postgres_url)
    if args.fix_for:
        from schema_parity.diff_fix import fix_for

        text = fix_for(result, args.fix_for)
    elif args.format == "json":
        text = render_json(result)
    else:
        text = render_text(result, verbose=args.verbose)
    _write(text, args.output)
    return EXIT_OK if result.equal else EXIT_FINDINGS


def _cmd_stairway(args: argparse.Namespace, cwd: Path) -> int:
    from schema_parity.diff_stairway import render_stairway, stairway, stairway_dialects
    from schema_parity.sources.spec import Sources, parse_spec

    if args.source_b is not None or args.fix_for:
        raise ConfigError("--stairway takes one alembic: source, and no --fix-for")
    spec = parse_spec(args.source_a)
    postgres_url = args.postgres_url or os.environ.get(POSTGRES_URL_ENV) or None
    with Sources(cwd, postgres_url=postgres_url) as sources:
        steps = stairway(spec, stairway_dialects(args.source_a), sources)
    if args.format == "json":
        import json

        data = [
            {"revision": s.revision, "dialect": s.dialect, "ok": s.ok, "error": s.error,
             "not_restored": [d.describe() for d in s.not_restored],
             "not_rebuilt": [d.describe() for d in s.not_rebuilt]}
            for s in steps
        ]  # fmt: skip
        _write(json.dumps({"source": spec.text, "steps": data}, indent=2) + "\n", args.output)
    else:
        _write(render_stairway(spec, steps), args.output)
    return EXIT_OK if all(step.ok for step in steps) else EXIT_FINDINGS


def _write(text: str, output: str | None) -> None:
    if output:
        target = Path(output)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"--output {output}: cannot write: {exc.strerror or exc}") from exc
    else:
        sys.stdout.write(text)


def main(argv: Sequence[str] | None = None) -> int:
    started_ns = time.time_ns()  # inputs changed after this are too recent for a stored result (results.py)
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    # as the process started: a check's migrations add the project's directories to sys.path (results.py)
    args.argv, args.started_ns, args.sys_path, args.environ = argv, started_ns, list(sys.path), dict(os.environ)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    with _logging_to_stderr(verbose=args.verbose):
        try:
            check_supported()
            return int(args.handler(args))
        except SchemaParityError as exc:
            if args.debug:
                _print_traceback()
            print(f"schema-parity: error: {mask_secrets(str(exc))}", file=sys.stderr)
            return exc.exit_code
        except KeyboardInterrupt:
            print("schema-parity: interrupted", file=sys.stderr)
            return 130
        except Exception as exc:  # the barrier: a bug must not exit 1, which CI reads as "findings"
            if args.debug:
                _print_traceback()
            print(_mask_passwords(_internal_error(exc)), file=sys.stderr)
            return EXIT_INTERNAL


#: The oldest SQLAlchemy and Alembic the tool runs on (pyproject.toml's floors; .ci/oldest.txt tests them).
OLDEST_LIBRARIES = {"SQLAlchemy": (1, 4, 46), "alembic": (1, 8, 1)}


def _release(version: str) -> tuple[int, ...]:
    """``1.3.24`` -> (1, 3, 24); a pre-release suffix (``2.1.0b1``) ends a part's number."""
    return tuple(int(re.sub(r"\D.*", "", part) or 0) for part in version.split(".")[:3])


def check_supported(installed: Mapping[str, str] | None = None) -> None:
    """Stop at start-up, naming what is needed, when the environment's SQLAlchemy or Alembic is older than the tool
    supports (a project pinned to SQLAlchemy 1.3, whose revisions must run in its own environment): without this,
    the first engine the tool builds fails deep inside with an unknown-argument error. Read from the installed
    distributions' metadata, so nothing is imported."""
    from importlib.metadata import PackageNotFoundError, version

    old = []
    for name, floor in OLDEST_LIBRARIES.items():
        try:
            found = installed[name] if installed is not None else version(name)
        except PackageNotFoundError:  # pragma: no cover - both are dependencies
            continue
        if _release(found) < floor:
            old.append(f"{name} {'.'.join(map(str, floor))} or newer (this environment has {found})")
    if old:
        raise ConfigError(
            f"schema-parity needs {' and '.join(old)}. The revisions run in the project's own environment, so its "
            "SQLAlchemy and Alembic must be versions schema-parity supports: upgrade them (pip install "
            "'SQLAlchemy>=1.4.46' 'alembic>=1.8.1'; code written for SQLAlchemy 1.3 usually runs on 1.4), or "
            "install schema-parity in an environment of its own and judge a schema dump there (--schema-sql FILE, "
            "or --database-url of a database the project's own tools migrated)"
        )


def _internal_error(exc: BaseException) -> str:
    """One paragraph: what happened, that it is our bug, and what to send."""
    return (
        f"schema-parity: internal error: {describe(exc).rstrip('.')}. This is a bug in schema-parity, not a problem "
        "with your project or its settings. Please report it to the schema-parity issue tracker with the command you "
        "ran and the output of the same command run with --debug, which adds the traceback."
    )


_URL_PASSWORD = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@]*:)[^\s@]*@")


def _mask_passwords(text: str) -> str:
    """``scheme://user:***@host``: a URL's password never reaches the terminal or a CI log."""
    return _URL_PASSWORD.sub(r"\g<head>***@", text)


def _print_traceback() -> None:
    print(_mask_passwords(traceback.format_exc()), end="", file=sys.stderr)


@contextlib.contextmanager
def _logging_to_stderr(*, verbose: bool) -> Iterator[None]:
    """The ``schema_parity`` logger on stderr for one command: INFO with ``-v``, else warnings only."""
    logger = logging.getLogger("schema_parity")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("schema-parity: %(message)s"))
    saved = (logger.level, logger.propagate)
    logger.setLevel(logging.INFO if verbose else logging.WARNING)
    logger.propagate = False  # an env.py that configures the root logger must not print each message twice
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
