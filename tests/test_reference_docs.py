"""docs/reference/ is generated from the code (``python -m schema_parity.reference``) and lists all of it.

Each page in the repository must be the generator's output byte for byte (a stale page fails with the command that
regenerates it). Independently of the generator, every CLI option of the real parser, every option, ini option,
marker and fixture pytest itself reports for the plugin (``pytest --help``, ``--markers``, ``--fixtures`` run on a
project), and every ``[tool.schema-parity]`` key appear on their page; a key without its ``KEY_DOCS`` line fails.
"""

from __future__ import annotations

import argparse
import difflib
import re
from pathlib import Path

import pytest

from schema_parity import reference
from schema_parity.cli import build_parser
from schema_parity.config import _KEYS, KEY_DOCS
from schema_parity.plugin.markers import MARKERS
from schema_parity.reference import PAGES, REFERENCE_DIR, REGENERATE, render

ROOT = Path(__file__).resolve().parents[1]
LINK = re.compile(r"\]\(([^)\s#]+)(?:#[^)]*)?\)")


@pytest.mark.parametrize("page", sorted(PAGES))
def test_each_page_is_what_the_code_says(page: str) -> None:
    file = REFERENCE_DIR / PAGES[page][0]
    committed = (ROOT / file).read_text(encoding="utf-8")
    generated = render(page)
    diff = "".join(difflib.unified_diff(
        committed.splitlines(keepends=True), generated.splitlines(keepends=True), str(file), "generated", n=1
    ))  # fmt: skip
    assert committed == generated, f"{file} is stale; regenerate it with `{REGENERATE}`:\n{diff[:4000]}"


def _parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    found = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found += _parsers(sub)
    return found


def test_every_command_and_option_is_on_the_cli_page() -> None:
    page = render("cli")
    missing = []
    for parser in _parsers(build_parser()):
        words = parser.prog.split()[1:]
        if words and f"## `schema-parity {' '.join(words)}`" not in page:
            missing.append(" ".join(words))
        section = page.split(f"## `schema-parity {' '.join(words)}`")[-1].split("\n## ")[0] if words else page
        for action in parser._actions:
            for option in action.option_strings:
                if option not in ("-h", "--help") and f"`{option}" not in section:
                    missing.append(f"{' '.join(words)} {option}")
    assert missing == []


@pytest.fixture
def pytest_says(pytester: pytest.Pytester) -> dict[str, str]:
    """What pytest itself lists for the installed plugin."""
    return {flag: pytester.runpytest_subprocess(flag, "-p", "no:randomly").stdout.str()
            for flag in ("--help", "--markers", "--fixtures")}  # fmt: skip


def test_every_pytest_option_marker_and_fixture_is_on_the_pytest_page(pytest_says: dict[str, str]) -> None:
    page = render("pytest")
    options = set(re.findall(r"(?<![\w-])(--(?:no-)?schema-parity[\w-]*)", pytest_says["--help"]))
    ini = set(re.findall(r"^\s+(schema_parity\w*) \(", pytest_says["--help"], re.MULTILINE))
    markers = set(re.findall(r"@pytest\.mark\.(schema_parity\w*)", pytest_says["--markers"]))
    fixtures = set(re.findall(r"^(schema_parity_\w+)(?: \[\w+ scope\])?", pytest_says["--fixtures"], re.MULTILINE))
    assert "--schema-parity" in options and "schema_parity_paths" in ini and "schema_parity_pg_url" in fixtures
    assert markers == set(MARKERS)
    assert sorted(o for o in options if f"`{o}" not in page) == []
    assert sorted(i for i in ini if f"`{i}`" not in page) == []
    assert sorted(m for m in markers if f"`@pytest.mark.{m}" not in page) == []
    assert sorted(f for f in fixtures if f"### `{f}`" not in page) == []
    for marker in MARKERS.values():  # registered as the table says
        assert f"@pytest.mark.{marker.usage}: {marker.help}" in " ".join(pytest_says["--markers"].split())


def test_every_configuration_key_is_documented() -> None:
    assert sorted(set(_KEYS) ^ set(KEY_DOCS)) == [], "each [tool.schema-parity] key needs its KEY_DOCS line"
    assert all(default and meaning for default, meaning in KEY_DOCS.values())
    page = render("configuration")
    assert [key for key in _KEYS if f"| `{key}` |" not in page] == []


def test_links_on_the_pages_resolve() -> None:
    broken = [
        f"{file}: {target}"
        for file, _ in PAGES.values()
        if file.endswith(".md")
        for target in LINK.findall((ROOT / REFERENCE_DIR / file).read_text(encoding="utf-8"))
        if not (ROOT / REFERENCE_DIR / target).exists()
    ]
    assert broken == []


def test_write_and_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert reference.main(["--check"]) == 1  # nothing written yet
    assert reference.main(["--write"]) == 0
    assert sorted(p.name for p in (tmp_path / REFERENCE_DIR).iterdir()) == sorted(f for f, _ in PAGES.values())
    assert reference.main(["--check"]) == 0
    (tmp_path / REFERENCE_DIR / "cli.md").write_text("old\n")
    assert reference.main(["--check"]) == 1
    assert REGENERATE in capsys.readouterr().err
    assert reference.main(["fingerprint"]) == 0
    assert "is the one recorded for version" in capsys.readouterr().out
