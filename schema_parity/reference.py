"""The reference pages in docs/reference/, generated from the code itself (docs/development.md, "Reference pages").

``python -m schema_parity.reference PAGE`` prints one page (``cli``, ``pytest``, ``configuration``, ``json-report``,
``report-schema``, ``capture-schema``); ``--write`` writes every page into ``docs/reference/`` of the working
directory, ``--check`` exits 1 naming the pages that differ from what the code says. ``fingerprint`` prints the JSON
report's shape fingerprint and the line ``REPORT_SCHEMA_FINGERPRINTS`` needs (schema_parity/report/json.py).

The sources: the real argparse parser (``schema_parity.cli.build_parser``), the plugin's own option registration
run on pytest's ``Parser``, its fixtures and its ``MARKERS`` table, ``[tool.schema-parity]``'s ``_KEYS`` and
``KEY_DOCS`` (schema_parity/config.py), and the JSON Schemas of schema_parity/report/schema.py. Nothing here is
written by hand twice: tests/test_reference_docs.py fails when a page in the repository is not this output.
Options are rendered as tables (not argparse's help text, whose layout changes between Python versions), so the pages
are the same on every supported Python. pytest is imported only for the ``pytest`` page.
"""

from __future__ import annotations

import argparse
import inspect
import json
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

__all__ = ["PAGES", "REFERENCE_DIR", "REGENERATE", "main", "render"]

REFERENCE_DIR = Path("docs") / "reference"
REGENERATE = "python -m schema_parity.reference --write"


def _generated(page: str) -> str:
    return (
        f"<!-- Generated from the code by `python -m schema_parity.reference {page}` (all pages: `{REGENERATE}`): "
        "edit the code, not this file. -->\n"
    )


def _cell(text: str) -> str:
    """Prose for a Markdown table cell: one line, a Sphinx role's name dropped (``:class:`X``` is `X`), the
    characters Markdown would read as markup escaped outside `code spans`, a table's ``|`` escaped everywhere."""
    text = _ROLE.sub("`", " ".join(str(text).split()))
    parts = re.split(r"(`[^`]*`)", text)
    for index, part in enumerate(parts):
        escaped = part
        if not part.startswith("`"):
            for char in ("\\", "*", "<", ">"):
                escaped = escaped.replace(char, "\\" + char)
        parts[index] = escaped.replace("|", "\\|")
    return "".join(parts)


_ROLE = re.compile(r":[a-z]+:`")


def _code(text: str) -> str:
    return f"`{text.replace('|', chr(92) + '|')}`"


def _page(blocks: Sequence[str]) -> str:
    """Markdown blocks, one blank line between each."""
    return "\n\n".join(b.strip("\n") for b in blocks if b.strip()) + "\n"


def _fenced(*lines: str) -> str:
    return "\n".join(["```text", *lines, "```"])


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


# -- the command line ----------------------------------------------------------------------------------------------
def _commands(
    parser: argparse.ArgumentParser, words: tuple[str, ...]
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser, str]]:
    """Every (sub)command below ``parser``: its words, its parser and its one-line help."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help or "" for choice in action._choices_actions}
            for name, sub in action.choices.items():
                yield (*words, name), sub, helps.get(name, "")
                yield from _commands(sub, (*words, name))


def _option(action: argparse.Action) -> str:
    """``--name METAVAR`` (each spelling), as a user types it."""
    if not action.option_strings:
        return _code(_metavar(action))
    if action.nargs == 0:
        return ", ".join(_code(s) for s in action.option_strings)
    return ", ".join(_code(f"{s} {_metavar(action)}") for s in action.option_strings)


def _metavar(action: argparse.Action) -> str:
    if isinstance(action.metavar, str):
        name = action.metavar
    elif action.choices is not None:
        name = "{" + ",".join(str(c) for c in action.choices) + "}"
    else:
        name = action.dest.upper()
    if action.nargs in ("*", "+"):
        return f"[{name} ...]" if action.nargs == "*" else f"{name} [{name} ...]"
    return f"[{name}]" if action.nargs == "?" else name


def _default(action: argparse.Action) -> str:
    default = action.default
    if default in (None, False, argparse.SUPPRESS, []) or action.nargs == 0:
        return ""
    return _code(f"{default:g}" if isinstance(default, float) else str(default))


def _visible(parser: argparse.ArgumentParser) -> Iterator[tuple[str, list[argparse.Action]]]:
    """Each argument group's title and its options, as ``--help`` lists them (help and subcommands left out)."""
    for group in parser._action_groups:
        actions = [
            a
            for a in group._group_actions
            if a.help != argparse.SUPPRESS and not isinstance(a, (argparse._HelpAction, argparse._SubParsersAction))
        ]
        if actions:
            yield str(group.title), actions


def _synopsis(words: Sequence[str], parser: argparse.ArgumentParser) -> str:
    positionals = [
        _metavar(a) for a in parser._actions if not a.option_strings and not isinstance(a, argparse._SubParsersAction)
    ]
    subcommands = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    tail = [str(subcommands[0].metavar or "COMMAND")] if subcommands else []
    return " ".join(["schema-parity", *words, "[OPTIONS]", *positionals, *tail])


def _options_section(parser: argparse.ArgumentParser) -> list[str]:
    out = []
    for title, actions in _visible(parser):
        out.append(f"{title[:1].upper()}{title[1:]}:")
        head = "argument" if title.startswith("positional") else "option"
        out.append(
            _table([head, "default", "meaning"], [[_option(a), _default(a), _cell(a.help or "")] for a in actions])
        )
    return out


def render_cli() -> str:
    from schema_parity.cli import build_parser
    from schema_parity.errors import EXIT_FINDINGS, EXIT_INTERNAL, EXIT_OK, EXIT_USAGE

    parser = build_parser()
    out = [
        _generated("cli"),
        "# Reference: the `schema-parity` command\n",
        "Every command and option, read from the command's own parser (`schema_parity/cli.py`). "
        "[cli.md](../cli.md) explains them with examples; settings that also live in `[tool.schema-parity]` are in "
        "[configuration.md](configuration.md).\n",
        _fenced(_synopsis((), parser)),
        _cell(parser.description or "") + "\n",
    ]
    out += _options_section(parser)
    commands = list(_commands(parser, ()))
    out += [
        "Commands:\n",
        _table(["command", "what it does"], [[_code(" ".join(w)), _cell(h)] for w, _, h in commands]),
        "Exit codes:\n",
        _table(
            ["code", "meaning"],
            [
                [str(EXIT_OK), "clean: no error finding"],
                [str(EXIT_FINDINGS), "error findings (`check`), or the schemas differ (`diff`)"],
                [
                    str(EXIT_USAGE) if EXIT_USAGE == EXIT_INTERNAL else f"{EXIT_USAGE}, {EXIT_INTERNAL}",
                    "everything else: a usage or configuration error, a schema that cannot be built, an internal error",
                ],
            ],
        ),
    ]
    for words, sub, help_text in commands:
        out += [f"## `schema-parity {' '.join(words)}`", _fenced(_synopsis(words, sub))]
        out.append(_cell(sub.description or help_text) + "\n")
        out += _options_section(sub)
    return _page(out)


# -- pytest --------------------------------------------------------------------------------------------------------
def _pytest_registration() -> tuple[list[tuple[str, list[Any]]], dict[str, tuple[str, str, Any]]]:
    """The plugin's ``pytest_addoption`` run on pytest's own Parser: (group, options) and ini name -> (help, type,
    default)."""
    from _pytest.config.argparsing import Parser

    from schema_parity.plugin import pytest_addoption

    parser = Parser(_ispytest=True)
    pytest_addoption(parser)
    groups = [(group.name, list(group.options)) for group in [parser._anonymous, *parser._groups] if group.options]
    ini = {name: (str(entry[0]), str(entry[1] or "string"), entry[2]) for name, entry in parser._inidict.items()}
    return groups, ini


def _fixtures() -> list[tuple[str, str, Callable[..., Any]]]:
    """(name, scope, function) of every fixture the plugin module registers."""
    from schema_parity import plugin

    found = []
    for name in plugin.__all__:
        obj = getattr(plugin, name)
        marker = getattr(obj, "_fixture_function_marker", None) or getattr(obj, "_pytestfixturefunction", None)
        if marker is None:
            continue
        unwrap = getattr(obj, "_get_wrapped_function", None)  # pytest 8.4+; before, the function itself
        function = unwrap() if unwrap is not None else obj
        scope = marker.scope if isinstance(marker.scope, str) else "dynamic"
        found.append((str(marker.name or name), scope, function))
    return found


def _ini_default(kind: str, default: Any) -> str:
    if default in (None, "", []):
        return "unset"
    return _code(json.dumps(default) if isinstance(default, bool) else str(default))


def render_pytest() -> str:
    from schema_parity.plugin.markers import MARKERS

    groups, ini = _pytest_registration()
    out = [
        _generated("pytest"),
        "# Reference: the pytest plugin\n",
        "Every command-line option, ini option, marker and fixture the plugin registers, read from its own "
        "registration (`schema_parity/plugin/`). [pytest.md](../pytest.md) and [fixtures.md](../fixtures.md) "
        "explain them with examples. The ini options that name a `[tool.schema-parity]` key override it "
        "([configuration.md](configuration.md)).\n",
        "## Command-line options\n",
    ]
    for name, options in groups:
        out.append(f"Group `{name}`:")
        rows = [
            [
                ", ".join(_code(f"{n} {o.attrs().get('metavar') or ''}".strip()) for n in o.names()),
                _cell(o.attrs().get("help") or ""),
            ]
            for o in options
        ]
        out.append(_table(["option", "meaning"], rows))
    out += [
        "## ini options\n",
        "In `[pytest]` of `pytest.ini`, `[tool.pytest.ini_options]` of `pyproject.toml`, or `-o name=value`.\n",
        _table(
            ["option", "type", "default", "meaning"],
            [[_code(n), kind, _ini_default(kind, default), _cell(h)] for n, (h, kind, default) in ini.items()],
        ),
        "## Markers\n",
        _table(
            ["marker", "meaning"],
            [[_code(f"@pytest.mark.{m.usage}"), _cell(m.help)] for m in MARKERS.values()],
        ),
        "## Fixtures\n",
        _table(
            ["fixture", "scope", "summary"],
            [[_code(n), s, _cell(_first_paragraph(f))] for n, s, f in _fixtures()],
        ),
    ]
    for name, scope, function in _fixtures():
        needs = [p for p in inspect.signature(function).parameters if p not in ("request", "pytestconfig")]
        out.append(f"### `{name}`\n")
        uses = f"; uses {', '.join(_code(n) for n in needs)}" if needs else ""
        out.append(f"Scope `{scope}`{uses}.\n")
        out.append(_ROLE.sub("`", inspect.cleandoc(function.__doc__ or "(no docstring)")))
    return _page(out)


def _first_paragraph(function: Callable[..., Any]) -> str:
    return inspect.cleandoc(function.__doc__ or "").split("\n\n")[0]


# -- [tool.schema-parity] ------------------------------------------------------------------------------------------
def _flags(attribute: str) -> str:
    """The ``check`` options that override a key: the same destination (``dialect`` for ``dialects``)."""
    from schema_parity.cli import build_parser

    check = dict((w, p) for w, p, _ in _commands(build_parser(), ()))[("check",)]
    actions = [a for a in check._actions if a.dest in (attribute, attribute.removesuffix("s"))]
    return ", ".join(_option(a) for a in actions) or "—"


def render_configuration() -> str:
    from schema_parity.config import _KEYS, CONFIG_FILE, KEY_DOCS, TABLE

    rows = []
    for key, (attribute, _, wording) in _KEYS.items():
        default, meaning = KEY_DOCS[key]
        rows.append([_code(key), _cell(wording), default, _flags(attribute), _cell(meaning)])
    out = [
        _generated("configuration"),
        f"# Reference: `[tool.{TABLE}]`\n",
        f"Every key of `[tool.{TABLE}]` in `pyproject.toml` (or the top level of `{CONFIG_FILE}`), read from the "
        "table the configuration is checked against (`schema_parity/config.py`). A key that is not listed here stops "
        "the run (exit 2). [configuration.md](../configuration.md) explains where the file is found, the precedence "
        "of the command line and pytest's ini options, and gives examples.\n",
        _table(["key", "type", "default", "`check` option", "meaning"], rows),
    ]
    return _page(out)


# -- the JSON report -----------------------------------------------------------------------------------------------
def _fields_table(schema: dict[str, Any]) -> str:
    from schema_parity.report.schema import key_paths

    rows = []
    for path, types, node in key_paths(schema):
        enum = node.get("enum")
        allowed = f" One of {', '.join(_code(json.dumps(v)) for v in enum)}." if enum else ""
        described = str(node.get("description", ""))
        rows.append([_code(path), types.replace(" or ", ", "), _cell(described) + allowed])
    return _table(["key", "type", "meaning"], rows)


def render_json_report() -> str:
    from schema_parity.capture import FORMAT_VERSION
    from schema_parity.report.json import REPORT_VERSION
    from schema_parity.report.schema import CAPTURE_SCHEMA, REPORT_SCHEMA

    out = [
        _generated("json-report"),
        "# Reference: the JSON report\n",
        f"`schema-parity check --format json` prints one object, version {REPORT_VERSION}. Its JSON Schema (draft "
        "2020-12) is [report.schema.json](report.schema.json); the tests validate the reports of real runs (clean, "
        "with findings, unresolved, a deploy) against it. [check.md](../check.md#the-json-report) shows an example.\n",
        "Keys never change meaning. A key is only ever added, and any addition or change raises `version`: read "
        "`version` first, and treat a larger one as a report with more keys. Every key is always present (`null` "
        "where the table says so). In the key column, `a[]` is an element of the array `a`, and `a{}` the value "
        "for each dialect of an object keyed by dialect (`postgresql`, `sqlite`).\n",
        _fields_table(REPORT_SCHEMA),
        "## The capture file\n",
        f"`pytest --schema-parity-capture-file FILE` writes the upserts the tests executed (version "
        f"{FORMAT_VERSION}), which `schema-parity check --captured FILE` judges ([capture.md](../capture.md)). Its "
        "JSON Schema is [capture.schema.json](capture.schema.json); `report`, written by pytest, is a JSON report "
        "as above.\n",
        _fields_table(CAPTURE_SCHEMA),
    ]
    return _page(out)


def _schema_file(name: str) -> Callable[[], str]:
    def render_schema() -> str:
        from schema_parity.report.schema import SCHEMA_FILES

        return json.dumps(SCHEMA_FILES[name], indent=2) + "\n"

    return render_schema


def render_fingerprint() -> str:
    from schema_parity.report.json import REPORT_SCHEMA_FINGERPRINTS, REPORT_VERSION
    from schema_parity.report.schema import REPORT_SCHEMA, fingerprint

    now = fingerprint(REPORT_SCHEMA)
    recorded = REPORT_SCHEMA_FINGERPRINTS.get(REPORT_VERSION)
    if recorded == now:
        return f"the report's shape is the one recorded for version {REPORT_VERSION}: {now}\n"
    version = REPORT_VERSION + 1 if recorded else REPORT_VERSION
    return (
        f"the report's shape ({now}) is not the one recorded for version {REPORT_VERSION} ({recorded}): set "
        f"REPORT_VERSION = {version} in schema_parity/report/json.py, say what changed in its docstring, and add\n"
        f'    {version}: "{now}",\n'
        f"to REPORT_SCHEMA_FINGERPRINTS; then run {REGENERATE}\n"
    )


#: page name -> (file under docs/reference/, renderer).
PAGES: dict[str, tuple[str, Callable[[], str]]] = {
    "cli": ("cli.md", render_cli),
    "pytest": ("pytest.md", render_pytest),
    "configuration": ("configuration.md", render_configuration),
    "json-report": ("json-report.md", render_json_report),
    "report-schema": ("report.schema.json", _schema_file("report.schema.json")),
    "capture-schema": ("capture.schema.json", _schema_file("capture.schema.json")),
}


def render(page: str) -> str:
    return PAGES[page][1]()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m schema_parity.reference", description="Print, write or check the pages of docs/reference/."
    )
    parser.add_argument("page", nargs="?", choices=[*PAGES, "fingerprint"], help="the page to print")
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--write", action="store_true", help="write every page into docs/reference/")
    action.add_argument("--check", action="store_true", help="exit 1 when a page differs from the code")
    args = parser.parse_args(argv)
    if args.page == "fingerprint":
        text = render_fingerprint()
        sys.stdout.write(text)
        return 0 if text.startswith("the report's shape is") else 1
    if args.page is not None and not (args.write or args.check):
        sys.stdout.write(render(args.page))
        return 0
    if not (args.write or args.check):
        parser.error("give a PAGE, --write or --check")
    stale = []
    for name in [args.page] if args.page else list(PAGES):
        file, renderer = PAGES[name]
        path = REFERENCE_DIR / file
        text = renderer()
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            continue
        if args.write:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}", file=sys.stderr)
        else:
            stale.append(str(path))
    if stale:
        print(f"stale: {', '.join(stale)}; regenerate with `{REGENERATE}`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
