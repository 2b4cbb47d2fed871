"""Every command and Python snippet in README.md and docs/ runs as written, or says why it cannot.

Each fenced ``console``, ``bash``, ``sh`` and ``python`` block is executed with the real installed ``schema-parity``
and ``pytest`` (the ones next to this interpreter), in one scratch copy of the repository made per session (per
xdist worker): shell blocks from the copy's root, or from the directory a ``<!-- cwd: DIR -->`` marker names.

- ``console`` blocks: each ``$ command`` (continued by a trailing backslash or a here-document) runs in one bash
  process per block, so ``cd`` carries over; every command must exit 0, or with the codes a
  ``<!-- exit: N N ... -->`` marker lists (one per command). Lines after a command are its output as the page shows
  it: split at ``...``/``…``, each part (whitespace collapsed, the page's line breaks included) must appear in the
  command's output (stdout and stderr together), in order.
- ``bash``/``sh`` blocks run as one script under ``set -euo pipefail`` and must exit 0.
- ``python`` blocks run as a script with the installed package (exit 0); under ``<!-- pytest: -->`` the block is a
  test file, written into the ``tests/`` directory of its cwd (default ``examples/telemetry``) and run by pytest.

A block that cannot run here carries, on the lines just before its fence, ``<!-- illustrative: reason -->`` or
``<!-- tested-by: tests/test_x.py::test_name -->`` (that test must exist). An unmarked block that fails is a
failure: the page or the code is wrong. Shell blocks run the check, whose PostgreSQL half needs a server, and test
files may use the PostgreSQL fixtures: both carry the ``postgres`` mark and get the suite's server
(``SCHEMA_PARITY_POSTGRES_URL``). ``COLUMNS`` is wide so
pytest's one-line summaries are not cut to a terminal's width.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
RUNNABLE = {"console", "bash", "sh", "python"}
SHELL = {"console", "bash", "sh"}
MARKER = re.compile(r"^\s*<!--\s*(illustrative|tested-by|cwd|pytest|exit):(.*?)-->\s*$")
FENCE = re.compile(r"^(?P<indent> *)```(?P<lang>[\w-]*)\s*$")
HEREDOC = re.compile(r"<<-?\s*'?\"?(\w+)'?\"?")
ELLIPSIS = re.compile(r"\.\.\.|…")
#: what the scratch copy leaves out: version control, caches and build output
IGNORED = shutil.ignore_patterns(
    ".git", "__pycache__", "*.egg-info", ".schema-parity", ".pytest_cache", ".ruff_cache", ".hypothesis",
    ".mypy_cache", "mutants", "site", "build", "dist", ".venv", "venv",
)  # fmt: skip


@dataclass
class Block:
    page: str
    line: int
    lang: str
    body: str
    markers: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}"


@dataclass
class Command:
    text: str
    shown: list[str]  # the output lines the page shows after it


def read_blocks(path: Path) -> list[Block]:
    lines = path.read_text(encoding="utf-8").split("\n")
    blocks, markers, i = [], {}, 0
    while i < len(lines):
        found = MARKER.match(lines[i])
        if found:
            markers[found.group(1)] = found.group(2).strip()
            i += 1
            continue
        fence = FENCE.match(lines[i])
        if not fence:
            markers = {} if lines[i].strip() else markers
            i += 1
            continue
        indent, start, body = len(fence.group("indent")), i + 1, []
        i += 1
        while i < len(lines) and lines[i].strip() != "```":
            body.append(lines[i][indent:] if lines[i][:indent].strip() == "" else lines[i])
            i += 1
        blocks.append(Block(str(path.relative_to(ROOT)), start, fence.group("lang"), "\n".join(body), markers))
        markers, i = {}, i + 1
    return blocks


BLOCKS = [block for page in PAGES for block in read_blocks(page) if block.lang in RUNNABLE]


def commands_of(body: str) -> list[Command]:
    """The ``$ `` commands of a console block, each with its continuation lines and the output shown after it."""
    commands: list[Command] = []
    lines = body.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.startswith("$ "):
            if commands:
                commands[-1].shown.append(line)
            i += 1
            continue
        text = [line[2:]]
        while text[-1].endswith("\\") and i + 1 < len(lines):
            i += 1
            text.append(lines[i])
        heredoc = HEREDOC.search(" ".join(text))
        if heredoc:
            while i + 1 < len(lines):
                i += 1
                text.append(lines[i])
                if lines[i].strip() == heredoc.group(1):
                    break
        commands.append(Command("\n".join(text), []))
        i += 1
    return commands


def expected_codes(block: Block, count: int) -> list[int]:
    if "exit" not in block.markers:
        return [0] * count
    codes = [int(code) for code in block.markers["exit"].split()]
    assert len(codes) == count, f"{block.id}: <!-- exit: --> lists {len(codes)} code(s) for {count} command(s)"
    return codes


def assert_shown(block: Block, command: Command, output: str) -> None:
    shown = "\n".join(command.shown).strip()
    if not shown:
        return
    said = " ".join(output.split())
    at = 0
    for piece in ELLIPSIS.split(shown):
        part = " ".join(piece.split())
        if not part:
            continue
        found = said.find(part, at)
        assert found >= 0, f"{block.id}: `{command.text}` did not print {part!r}; it printed:\n{output}"
        at = found + len(part)


def needs_postgres(block: Block) -> bool:
    """Shell blocks run the check (PostgreSQL's half on a server); test files may use the PostgreSQL fixtures."""
    return block.lang in SHELL or "pytest" in block.markers


def _param(block: Block) -> object:
    marks = [pytest.mark.postgres] if needs_postgres(block) else []
    return pytest.param(block, id=block.id, marks=marks)


RUN = [b for b in BLOCKS if not {"illustrative", "tested-by"} & set(b.markers)]


@pytest.fixture(scope="session")
def doc_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One scratch copy of the repository for every block of this session (of this xdist worker)."""
    tree = tmp_path_factory.mktemp("docs") / "repo"
    shutil.copytree(ROOT, tree, ignore=IGNORED)
    return tree


@pytest.fixture
def doc_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    bindir = str(Path(sys.executable).parent)
    return {
        **os.environ,
        "PATH": f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}",
        "SCHEMA_PARITY_CACHE_DIR": str(tmp_path_factory.getbasetemp() / "docs-cache"),
        "COLUMNS": "250",
    }


def cwd_of(block: Block, tree: Path, default: str = ".") -> Path:
    cwd = tree / block.markers.get("cwd", default)
    assert cwd.is_dir(), f"{block.id}: <!-- cwd: {block.markers['cwd']} --> is not a directory of the repository"
    return cwd


def run_console(block: Block, cwd: Path, env: dict[str, str]) -> None:
    commands = commands_of(block.body)
    assert commands, f"{block.id}: a console block with no `$ ` command: mark it <!-- illustrative: reason -->"
    codes = expected_codes(block, len(commands))
    token = uuid.uuid4().hex
    script = ["rc_=0"]
    for n, command in enumerate(commands):
        # the markers around a command keep its exit status for the next one (a page's `echo $?`)
        script += [
            f"echo '@@{token} start {n}'",
            "(exit $rc_)",
            command.text,
            "rc_=$?",
            f'echo "@@{token} end {n} $rc_"',
        ]
    result = subprocess.run(
        ["bash", "-c", "exec 2>&1\n" + "\n".join(script)],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    out = result.stdout
    for n, (command, code) in enumerate(zip(commands, codes, strict=True)):
        found = re.search(rf"@@{token} start {n}\n(.*?)@@{token} end {n} (\d+)\n", out, re.S)
        assert found, f"{block.id}: `{command.text}` did not finish (bash exited {result.returncode}):\n{out}"
        output, status = found.group(1), int(found.group(2))
        assert status == code, f"{block.id}: `{command.text}` exited {status}, the page expects {code}:\n{output}"
        assert_shown(block, command, output)


def run_script(block: Block, cwd: Path, env: dict[str, str]) -> None:
    result = subprocess.run(
        ["bash", "-c", "set -euo pipefail\n" + block.body],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert result.returncode == 0, f"{block.id}: exited {result.returncode}:\n{result.stdout}{result.stderr}"


def run_python(block: Block, cwd: Path, env: dict[str, str], scratch: Path) -> None:
    if "pytest" in block.markers:
        tests = cwd / "tests" if (cwd / "tests").is_dir() else cwd
        name = f"test_docs_block_{uuid.uuid4().hex[:8]}.py"
        (tests / name).write_text(textwrap.dedent(block.body) + "\n", encoding="utf-8")
        try:
            args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tests / name)]
            result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=900, check=False)
        finally:
            (tests / name).unlink()
    else:
        script = scratch / "snippet.py"
        script.write_text(textwrap.dedent(block.body) + "\n", encoding="utf-8")
        args = [sys.executable, str(script)]
        result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=900, check=False)
    assert result.returncode == 0, f"{block.id}: exited {result.returncode}:\n{result.stdout}{result.stderr}"


@pytest.mark.parametrize("block", [_param(b) for b in RUN])
def test_doc_block_runs_as_written(
    block: Block, doc_tree: Path, doc_env: dict[str, str], tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if needs_postgres(block):
        doc_env["SCHEMA_PARITY_POSTGRES_URL"] = request.getfixturevalue("pg_admin_url")
    if block.lang == "console":
        run_console(block, cwd_of(block, doc_tree), doc_env)
    elif block.lang in SHELL:
        run_script(block, cwd_of(block, doc_tree), doc_env)
    else:
        default = "examples/telemetry" if "pytest" in block.markers else "."
        run_python(block, cwd_of(block, doc_tree, default), doc_env, tmp_path)


def test_every_marker_is_well_formed() -> None:
    """An illustrative block says why; a tested-by names a test that exists; a cwd names a directory."""
    problems = []
    for block in BLOCKS:
        markers = block.markers
        if "illustrative" in markers and not markers["illustrative"]:
            problems.append(f"{block.id}: <!-- illustrative: --> without a reason")
        if "tested-by" in markers:
            path, _, name = markers["tested-by"].partition("::")
            test_file = ROOT / path
            source = test_file.read_text(encoding="utf-8") if test_file.is_file() else ""
            if not name or not re.search(rf"^(async )?def {re.escape(name.split('[')[0])}\(", source, re.M):
                problems.append(f"{block.id}: <!-- tested-by: {markers['tested-by']} --> names no test")
        if "cwd" in markers and not (ROOT / markers["cwd"]).is_dir():
            problems.append(f"{block.id}: <!-- cwd: {markers['cwd']} --> is not a directory")
        if "pytest" in markers and block.lang != "python":
            problems.append(f"{block.id}: <!-- pytest: --> on a {block.lang} block")
    assert problems == []


def test_the_reader_finds_the_blocks_and_their_markers() -> None:
    """The parser itself: markers attach to the next fence only, indented fences and here-documents are read."""
    page = ROOT / "docs" / "getting-started.md"
    blocks = {b.line: b for b in read_blocks(page)}
    first_check = next(b for b in blocks.values() if "--revision a1b2c3d4e5f6" in b.body and b.lang == "console")
    assert first_check.markers == {"cwd": "examples/telemetry", "exit": "1"}
    assert [c.text for c in commands_of("$ cat > s.sql <<'EOF'\n$ not a command\nEOF\n$ echo hi\nhi")] == [
        "cat > s.sql <<'EOF'\n$ not a command\nEOF",
        "echo hi",
    ]
    assert commands_of("$ a \\\n    --b\nout")[0].text == "a \\\n    --b"
    indented = [b for p in PAGES for b in read_blocks(p) if b.page == "docs/releasing.md" and b.lang == "console"]
    assert indented and all(b.body.startswith("$ ") for b in indented)
    with pytest.raises(AssertionError, match="did not print"):
        assert_shown(first_check, Command("x", ["a ... c"]), "a b")
    assert_shown(first_check, Command("x", ["a", "  b ... d"]), "a b c d")
