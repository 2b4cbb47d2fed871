"""The ``schema-parity`` command: argument parsing only; every decision is made in the core modules."""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from schema_parity import __version__
from schema_parity.errors import EXIT_OK, EXIT_USAGE, SchemaParityError


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
    return parser


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
