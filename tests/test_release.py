"""Releases hold together (docs/releasing.md): one version, a CHANGELOG section per release, a pre-commit example
that names a revision which exists, and a hook whose entry runs.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from datetime import date
from importlib.metadata import version as installed_version
from pathlib import Path

import pytest
import yaml
from packaging.version import Version

import schema_parity

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
VERSION = PYPROJECT["project"]["version"]
RELEASE_HEADING = re.compile(r"## \[(?P<version>\d+\.\d+\.\d+)\] - (?P<date>\d{4}-\d{2}-\d{2})")


def released_sections() -> list[tuple[Version, date]]:
    """The CHANGELOG's release headings, top first; the first ``##`` heading must be Unreleased."""
    headings = [line for line in (ROOT / "CHANGELOG.md").read_text(encoding="utf-8").splitlines() if line[:3] == "## "]
    assert headings[0] == "## [Unreleased]", headings[0]
    sections = []
    for heading in headings[1:]:
        match = RELEASE_HEADING.fullmatch(heading)
        assert match, f"not a release heading (## [X.Y.Z] - YYYY-MM-DD): {heading!r}"
        sections.append((Version(match["version"]), date.fromisoformat(match["date"])))
    return sections


def test_the_version_is_read_from_the_installed_metadata_only() -> None:
    assert schema_parity.__version__ == installed_version("schema-parity")
    assert installed_version("schema-parity") == VERSION, "pyproject.toml changed: reinstall (pip install -e .)"
    literals = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted((ROOT / "schema_parity").rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"""__version__\s*=\s*["'](?!0\.0\.0\+unknown)""", line)
    ]
    assert literals == []


def test_the_changelog_has_a_section_per_release_newest_first() -> None:
    sections = released_sections()
    assert sections, "no released section"
    versions = [v for v, _ in sections]
    dates = [d for _, d in sections]
    assert versions == sorted(versions, reverse=True) and len(set(versions)) == len(versions)
    assert dates == sorted(dates, reverse=True)


def test_the_version_is_the_last_release_or_a_development_version_of_the_next() -> None:
    # Between releases pyproject.toml holds X.Y.Z.devN, above the newest section, whose notes are under Unreleased;
    # cutting a release sets X.Y.Z and renames Unreleased to "## [X.Y.Z] - date" in the same commit.
    version, newest = Version(VERSION), released_sections()[0][0]
    if version.is_prerelease:
        assert Version(version.base_version) > newest, f"{version} is not a development version after {newest}"
    else:
        assert version == newest, f"pyproject.toml says {version}, the CHANGELOG's newest release is {newest}"


def git(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)


def pre_commit_example() -> tuple[str, str, list[str]]:
    """(rev, the version its ``# frozen: vX.Y.Z`` comment names, hook ids) of docs/ci.md's .pre-commit-config.yaml."""
    text = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
    block = re.search(r"```yaml\n(# \.pre-commit-config\.yaml\n.*?)```", text, re.DOTALL)
    assert block, "docs/ci.md has no .pre-commit-config.yaml example"
    (repo,) = yaml.safe_load(block[1])["repos"]
    frozen = re.search(r"rev: (\S+)  # frozen: v(\S+)\n", block[1])
    assert frozen and frozen[1] == repo["rev"], "the rev is a commit with its tag in a '# frozen: vX.Y.Z' comment"
    return repo["rev"], frozen[2], [hook["id"] for hook in repo["hooks"]]


def test_the_pre_commit_example_names_a_released_commit_of_this_repository() -> None:
    rev, tag_version, ids = pre_commit_example()
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    if (
        git("cat-file", "-e", f"{rev}^{{commit}}").returncode != 0
        and git("rev-parse", "--is-shallow-repository").stdout.strip() == "true"
    ):
        pytest.skip("a shallow clone: the release commit may be outside it")
    assert re.fullmatch(r"[0-9a-f]{40}", rev), f"rev {rev!r} is not a full commit id"
    assert git("merge-base", "--is-ancestor", rev, "HEAD").returncode == 0, f"{rev} is not in HEAD's history"
    at_rev = tomllib.loads(git("show", f"{rev}:pyproject.toml").stdout)
    assert at_rev["project"]["version"] == tag_version
    # the release commit itself: its CHANGELOG has nothing under Unreleased, its newest section is the release
    changelog = git("show", f"{rev}:CHANGELOG.md").stdout
    unreleased = changelog.partition("## [Unreleased]\n")[2]
    assert unreleased.lstrip("\n").startswith(f"## [{tag_version}]"), f"{rev} is not the commit of {tag_version}"
    assert Version(tag_version) in [v for v, _ in released_sections()]
    hooks = yaml.safe_load(git("show", f"{rev}:.pre-commit-hooks.yaml").stdout)
    assert set(ids) <= {hook["id"] for hook in hooks}


def hook_env(tmp_path: Path, pg_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCHEMA_PARITY_")}
    # pre-commit installs the repository into its own virtualenv and puts its bin directory on PATH
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["SCHEMA_PARITY_POSTGRES_URL"] = pg_url
    env["SCHEMA_PARITY_CACHE_DIR"] = str(tmp_path / "cache")
    return env


@pytest.mark.postgres
def test_the_hook_entry_runs_as_pre_commit_runs_it(tmp_path: Path, pg_admin_url: str) -> None:
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hook["language"] == "python" and hook["pass_filenames"] is False
    command = shlex.split(hook["entry"])
    assert command[0] in PYPROJECT["project"]["scripts"], "the entry is a console script the package installs"
    project = tmp_path / "project"
    shutil.copytree(ROOT / "examples" / "telemetry", project)

    def run() -> subprocess.CompletedProcess[str]:
        # from the repository's root, with no file names (pass_filenames: false)
        env = hook_env(tmp_path, pg_admin_url)
        return subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, timeout=300, check=False)

    clean = run()
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "0 error(s)" in clean.stdout
    # the migration that adds the upsert's key removed: the hook blocks the commit
    (project / "migrations" / "versions" / "805164cd4665_add_unique_constraint_http_error_summary.py").unlink()
    broken = run()
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "SP101" in broken.stdout
