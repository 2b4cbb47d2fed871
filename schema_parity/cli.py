"""The ``schema-parity`` command: argument parsing only; every decision is made in the core modules."""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from schema_parity import __version__
from schema_parity.catalog import DIALECTS
from schema_parity.errors import EXIT_OK, EXIT_USAGE, ConfigError, SchemaParityError


def _add_alembic_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("schema from Alembic migrations")
    group.add_argument(
        "--alembic-config",
        metavar="PATH",
        help="alembic.ini or pyproject.toml with [tool.alembic] (default: found in the current directory or above)",
    )
    group.add_argument("--script-location", metavar="DIR", help="revision scripts directory (overrides the config)")
    group.add_argument("--ini-section", default="alembic", metavar="NAME", help="ini section (default: alembic)")
    group.add_argument("--revision", default="head", metavar="REV", help="upgrade target (default: head)")
    group.add_argument(
        "--use-env-py",
        action="store_true",
        help="run the project's env.py (the connection is handed over in config.attributes['connection'])",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="schema-parity",
        description="Run your real Alembic migrations and check every ON CONFLICT against the schema they build.",
    )
    parser.add_argument("--version", action="version", version=f"schema-parity {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    schema = commands.add_parser(
        "schema",
        help="describe the schema the migrations build (or a database holds)",
        description="Describe the Catalog (tables, columns, keys) that the real migrations build on SQLite, "
        "or that an existing database holds (--database-url, opened read-only).",
    )
    _add_alembic_options(schema)
    schema.add_argument(
        "--database-url", metavar="URL", help="reflect this existing database instead (opened read-only)"
    )
    schema.add_argument("--format", choices=("text", "json"), default="text")
    schema.add_argument("--output", metavar="FILE", help="write to FILE instead of standard output")
    schema.set_defaults(handler=_cmd_schema)

    check = commands.add_parser(
        "check",
        help="check every ON CONFLICT against the schema (exit 1 on an error finding)",
        description="Find every INSERT ... ON CONFLICT in PATHs (.py and .sql files) and judge it with the exact "
        "rules of PostgreSQL and SQLite against the schema the real migrations build.",
    )
    check.add_argument("paths", nargs="*", metavar="PATH", help="files or directories (default: .)")
    _add_alembic_options(check)
    check.add_argument(
        "--schema-sql",
        nargs="+",
        default=[],
        metavar="FILE_OR_DIR",
        help="schema from DDL files replayed in order (a directory: its *.sql in name order)",
    )
    check.add_argument("--database-url", metavar="URL", help="schema reflected from this database (read-only)")
    check.add_argument(
        "--dialect",
        action="append",
        choices=DIALECTS,
        help="whose semantics to apply; repeatable (default: both)",
    )
    check.add_argument("--exclude", action="append", default=[], metavar="GLOB", help="skip matching paths")
    check.add_argument("--format", choices=("text", "json"), default="text")
    check.add_argument("--output", metavar="FILE", help="write the report to FILE instead of standard output")
    check.set_defaults(handler=_cmd_check)
    return parser


def _cmd_check(args: argparse.Namespace) -> int:
    from schema_parity.check import SchemaOptions, run_check

    root = Path.cwd()
    schema = SchemaOptions(
        alembic_config=Path(args.alembic_config) if args.alembic_config else None,
        script_location=Path(args.script_location) if args.script_location else None,
        ini_section=args.ini_section,
        revision=args.revision,
        use_env_py=args.use_env_py,
        schema_sql=tuple(Path(p) for p in args.schema_sql),
        database_url=args.database_url,
        search_from=root,
    )
    paths = [Path(p) for p in args.paths] or [root]
    for path in paths:
        if not path.exists():
            raise ConfigError(f"{path} does not exist")
    dialects = tuple(dict.fromkeys(args.dialect or DIALECTS))
    result = run_check(paths, root=root, schema=schema, dialects=dialects, exclude=args.exclude)
    if args.format == "json":
        from schema_parity.report.json import render_json

        text = render_json(result)
    else:
        from schema_parity.report.text import render_text

        colour = not args.output and sys.stdout.isatty() and "NO_COLOR" not in os.environ
        text = render_text(result, root=root, style=_ansi if colour else None)
    _write(text, args.output)
    return result.exit_code


_ANSI = {"error": "1;31", "warning": "1;33", "path": "1", "rule": "36", "dim": "2", "ok": "32"}


def _ansi(text: str, role: str) -> str:
    code = _ANSI.get(role)
    return f"\x1b[{code}m{text}\x1b[0m" if code else text


def _cmd_schema(args: argparse.Namespace) -> int:
    from schema_parity.report.catalog import render_catalog

    if args.database_url:
        from schema_parity.sources.reflect import reflect_url

        catalog = reflect_url(args.database_url)
    else:
        from schema_parity.sources.alembic import AlembicProject, catalog_at

        project = AlembicProject.load(
            args.alembic_config, script_location=args.script_location, ini_section=args.ini_section
        )
        catalog = catalog_at(project, args.revision, use_env_py=args.use_env_py)
    text = catalog.to_json() + "\n" if args.format == "json" else render_catalog(catalog)
    _write(text, args.output)
    return EXIT_OK


def _write(text: str, output: str | None) -> None:
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return int(args.handler(args))
    except SchemaParityError as exc:
        if args.debug:
            traceback.print_exc()
        print(f"schema-parity: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("schema-parity: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
