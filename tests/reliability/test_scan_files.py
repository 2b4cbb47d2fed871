"""What the scanner reads: regular files only, symbolic links kept inside the tree, a size limit, and directories
it cannot list. Each problem is a warning for one file or directory (SP903) and the scan goes on.

The FIFO and ``/dev/zero`` cases run the scan in a child process under a memory limit, so that a scanner that
blocks or reads without end fails the test instead of stalling or exhausting the machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from schema_parity.check import CheckOptions, run_check
from schema_parity.sites.scan import scan
from schema_parity.sites.scan import scan as scan_project
from schema_parity.sources import SchemaOptions

UPSERT = "INSERT INTO t (a) VALUES (1) ON CONFLICT (a) DO NOTHING;\n"
MiB = 1024 * 1024

CHILD = textwrap.dedent(
    """\
    import json, resource, sys
    from pathlib import Path
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
    from schema_parity.sites.scan import scan
    from schema_parity.sites.scan import scan as scan_project
    root = Path(sys.argv[1])
    cached = scan_project([root], root=root, cache_dir=root.parent / "cache")
    plain = scan([root], root=root)
    print(json.dumps([[[s.path, s.line] for s in r.sites] + [[p.path, p.message] for p in r.problems]
                      for r in (cached, plain)]))
    """
)


def _scan_in_child(root: Path) -> list[list[list[object]]]:
    """Both scanners' sites and problems, from a child process that may not block or use more than 2 GiB."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", CHILD, str(root)], capture_output=True, text=True, timeout=300, check=False
        )
    except subprocess.TimeoutExpired:
        pytest.fail("the scan never finished: it blocked on a file")
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def _both(root: Path, paths: list[str | Path] | None = None, **kwargs: object) -> list[tuple[list, list]]:
    """(sites as (path, line), problems as (path, message)) from ``scan`` and from ``scan_project``."""
    given = paths or [root]
    plain = scan(given, root=root, **kwargs)  # type: ignore[arg-type]
    cached = scan_project([Path(p) for p in given], root=root, cache_dir=root.parent / "cache", **kwargs)  # type: ignore[arg-type]
    return [
        ([(s.path, s.line) for s in result.sites], [(p.path, p.message) for p in result.problems])
        for result in (plain, cached)
    ]


def test_a_fifo_named_like_sql_is_not_opened(tmp_path: Path) -> None:
    root = _tree(tmp_path / "tree", {"a.sql": UPSERT})
    os.mkfifo(root / "x.sql")
    expected = [["a.sql", 1], ["x.sql", "not a regular file (a FIFO), skipped"]]
    assert _scan_in_child(root) == [expected, expected]


def test_a_link_to_dev_zero_is_not_followed(tmp_path: Path) -> None:
    root = _tree(tmp_path / "tree", {"a.sql": UPSERT})
    (root / "z.sql").symlink_to("/dev/zero")
    expected = [["a.sql", 1], ["z.sql", "a symbolic link to /dev/zero, outside the scanned tree: not followed"]]
    assert _scan_in_child(root) == [expected, expected]


def test_symbolic_link_loops_are_problems_even_when_given_explicitly(tmp_path: Path) -> None:
    root = _tree(tmp_path / "tree", {"a.sql": UPSERT})
    (root / "loop1.sql").symlink_to("loop2.sql")
    (root / "loop2.sql").symlink_to("loop1.sql")
    (root / "again").symlink_to(".")  # a directory loop: never entered
    loop = "cannot read the file: Too many levels of symbolic links"
    for sites, problems in _both(root):
        assert sites == [("a.sql", 1)]
        assert problems == [("loop1.sql", loop), ("loop2.sql", loop)]
    [given] = _both(root, ["loop1.sql", "a.sql"])[:1]
    assert given == ([("a.sql", 1)], [("loop1.sql", "cannot read: Too many levels of symbolic links")])


def test_links_out_of_the_tree_are_not_followed(tmp_path: Path) -> None:
    outside = _tree(tmp_path / "outside", {"secret.sql": UPSERT, "pkg/mod.sql": UPSERT})
    root = _tree(tmp_path / "tree", {"a.sql": UPSERT})
    (root / "linked.sql").symlink_to(outside / "secret.sql")
    (root / "vendored").symlink_to(outside / "pkg")  # a directory link: not entered, silently
    for sites, problems in _both(root):
        assert sites == [("a.sql", 1)]
        assert problems == [
            ("linked.sql", f"a symbolic link to {outside / 'secret.sql'}, outside the scanned tree: not followed")
        ]


def test_links_inside_the_tree_are_followed_and_each_real_file_is_scanned_once(tmp_path: Path) -> None:
    root = _tree(tmp_path / "tree", {"db/a.sql": UPSERT, "build/generated.sql": UPSERT})
    (root / "alias.sql").symlink_to("db/a.sql")
    (root / "db/again.sql").symlink_to("a.sql")
    (root / "from_build.sql").symlink_to("build/generated.sql")  # build/ is skipped: the link brings it in, once
    (root / "from_build2.sql").symlink_to("build/generated.sql")
    for sites, problems in _both(root):
        assert sites == [("db/a.sql", 1), ("from_build.sql", 1)]
        assert problems == []


def test_a_file_over_the_size_limit_is_a_problem_naming_the_limit(tmp_path: Path) -> None:
    root = _tree(tmp_path / "tree", {"a.sql": UPSERT, "big.sql": UPSERT * 10, "big.py": f"Q = {UPSERT!r}\n" * 10})
    for sites, problems in _both(root, max_file_size=len(UPSERT) * 5):
        assert sites == [("a.sql", 1)]
        assert [path for path, _ in problems] == ["big.py", "big.sql"]
        message = problems[1][1]
        assert message.startswith(f"the file is {len(UPSERT) * 10:,} bytes, over the {len(UPSERT) * 5:,}-byte limit")
        assert "--max-file-size" in message and "max-file-size in [tool.schema-parity]" in message


def test_the_default_size_limit_is_1_gib(tmp_path: Path) -> None:
    """A file just over the old 10 MiB default is read; one over 1 GiB (sparse: the size is refused before any
    byte is read) is reported naming the limit."""
    root = _tree(tmp_path / "tree", {"big.sql": UPSERT, "over.sql": UPSERT})
    with (root / "big.sql").open("a") as handle:
        handle.write(" " * (10 * MiB + 1 - len(UPSERT)))
    with (root / "over.sql").open("r+b") as handle:
        handle.truncate(1024 * MiB + 1)
    for sites, problems in _both(root):
        assert sites == [("big.sql", 1)]
        assert [(path, message.split(":")[0]) for path, message in problems] == [
            ("over.sql", f"the file is {1024 * MiB + 1:,} bytes, over the {1024 * MiB:,}-byte limit on a scanned file")
        ]


def test_a_model_module_over_the_limit_is_not_read_for_a_table(tmp_path: Path) -> None:
    """The project index (tables defined in other modules) reads through the same limit."""
    models = "import sqlalchemy as sa\nmd = sa.MetaData()\nt = sa.Table('t', md, sa.Column('a', sa.Integer))\n"
    use = (
        "from sqlalchemy.dialects.postgresql import insert\nfrom app.models import t\n"
        "q = insert(t).on_conflict_do_nothing(index_elements=['a'])\n"
    )
    root = _tree(tmp_path / "tree", {"app/models.py": models + "#" * 200 + "\n", "app/use.py": use})
    [(plain_sites, plain_problems), _] = _both(root, max_file_size=200)
    assert plain_sites == [("app/use.py", 3)]
    assert [path for path, _ in plain_problems] == ["app/models.py"]
    [site] = scan([root], root=root, max_file_size=200).sites
    assert site.sql is None
    assert (site.unresolved or "").startswith("the table t is defined in app/models.py, which could not be read (")
    assert "over the 200-byte limit" in (site.unresolved or "")


def test_run_check_passes_max_file_size_to_the_scan(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"schema.sql": "CREATE TABLE t (a INTEGER PRIMARY KEY);\n", "app/q.sql": UPSERT * 3})
    schema = SchemaOptions(schema_sql=(root / "schema.sql",))
    small = run_check([root / "app"], root=root, schema=schema, options=CheckOptions(max_file_size=len(UPSERT)))
    [finding] = small.findings
    assert (finding.rule, finding.severity, finding.path, finding.line) == ("SP903", "warning", "app/q.sql", 0)
    assert f"over the {len(UPSERT):,}-byte limit" in finding.message
    assert small.sites == () and small.exit_code == 0
    default = run_check([root / "app"], root=root, schema=schema)
    assert default.findings == () and len(default.sites) == 3


def test_an_unreadable_directory_is_a_problem_and_the_scan_goes_on(tmp_path: Path) -> None:
    root = _tree(tmp_path / "tree", {"a.sql": UPSERT, "locked/b.sql": UPSERT, "z.sql": UPSERT})
    (root / "locked").chmod(0)
    try:
        if os.access(root / "locked", os.R_OK):
            pytest.skip("permissions do not bind this user (root): see the test below")
        for sites, problems in _both(root):
            assert sites == [("a.sql", 1), ("z.sql", 1)]
            assert problems == [
                ("locked", "cannot list the directory: Permission denied; the files in it are not checked")
            ]
    finally:
        (root / "locked").chmod(0o755)


def test_a_directory_that_cannot_be_listed_is_a_problem_even_as_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same path as the chmod test, where permissions do not bind: listing the directory fails."""
    root = _tree(tmp_path / "tree", {"a.sql": UPSERT, "locked/b.sql": UPSERT, "locked/deeper/c.sql": UPSERT})
    real_scandir = os.scandir

    def scandir(path: str) -> object:
        if os.path.basename(path) == "locked":
            raise PermissionError(13, "Permission denied", path)
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    for sites, problems in _both(root):
        assert sites == [("a.sql", 1)]
        assert problems == [("locked", "cannot list the directory: Permission denied; the files in it are not checked")]


def test_the_text_report_does_not_open_a_fifo_it_names(tmp_path: Path) -> None:
    """The report quotes the offending line of each finding; a whole-file finding about a FIFO quotes nothing."""
    root = _tree(tmp_path / "tree", {"a.sql": UPSERT, "schema.sql": "CREATE TABLE t (a integer PRIMARY KEY);\n"})
    os.mkfifo(root / "x.sql")
    try:
        done = subprocess.run(
            [sys.executable, "-m", "schema_parity", "check", "--no-config", "--no-cache", "a.sql", "x.sql",
             "--schema-sql", "schema.sql"],
            cwd=root, capture_output=True, text=True, timeout=120, check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("the text report blocked on the FIFO")
    assert done.returncode == 0, done.stderr
    assert "x.sql\n  0:1 warning SP903 not a regular file (a FIFO), skipped" in done.stdout
