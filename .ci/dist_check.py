"""What the built sdist and wheel hold (.ci/run's build stage): the whole package, its metadata, nothing else.

Usage: python .ci/dist_check.py DIST_DIR. Every file git tracks under schema_parity/ (modules and any data file
read at run time) must be in the wheel and the sdist; the test suite, benchmarks, examples and CI scripts must not.
Exits 1 naming each problem.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from email.parser import HeaderParser
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # the package's own dependency on 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
SDIST_TOP_LEVEL = {
    "CHANGELOG.md",
    "LICENSE",
    "MANIFEST.in",
    "PKG-INFO",
    "README.md",
    "pyproject.toml",
    "schema_parity",
    "schema_parity.egg-info",
    "setup.cfg",
}


def main(dist: Path) -> int:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    package = set(
        subprocess.run(
            ["git", "ls-files", "schema_parity"], cwd=ROOT, check=True, capture_output=True, text=True
        ).stdout.split()
    )
    problems: list[str] = []
    wheels = sorted(dist.glob("*.whl"))
    sdists = sorted(dist.glob("*.tar.gz"))
    if [w.name for w in wheels] != [f"schema_parity-{version}-py3-none-any.whl"]:
        problems.append(f"expected one wheel of version {version}, found {[w.name for w in wheels]}")
    if [s.name for s in sdists] != [f"schema_parity-{version}.tar.gz"]:
        problems.append(f"expected one sdist of version {version}, found {[s.name for s in sdists]}")
    if problems:
        return report(problems)

    dist_info = f"schema_parity-{version}.dist-info"
    with zipfile.ZipFile(wheels[0]) as wheel:
        members = set(wheel.namelist())
        metadata = HeaderParser().parsestr(wheel.read(f"{dist_info}/METADATA").decode())
        entry_points = wheel.read(f"{dist_info}/entry_points.txt").decode()
    problems += [f"wheel lacks {name}" for name in sorted(package - members)]
    problems += [
        f"wheel holds {name}" for name in sorted(members) if name not in package and not name.startswith(dist_info)
    ]
    if f"{dist_info}/licenses/LICENSE" not in members:
        problems.append("wheel lacks the LICENSE file")
    if metadata["License-Expression"] != "MIT":
        problems.append(f"wheel metadata License-Expression is {metadata['License-Expression']!r}, not 'MIT'")
    for line in ("schema-parity = schema_parity.entry:main", "schema_parity = schema_parity.plugin"):
        if line not in entry_points:
            problems.append(f"wheel entry points lack {line!r}")

    with tarfile.open(sdists[0]) as sdist:
        prefix = f"schema_parity-{version}/"
        names = {m.name.removeprefix(prefix) for m in sdist.getmembers() if m.isfile()}
    problems += [f"sdist lacks {name}" for name in sorted(package - names)]
    problems += [f"sdist holds {name}" for name in sorted(names) if name.split("/")[0] not in SDIST_TOP_LEVEL]
    problems += [
        f"sdist holds {name}" for name in sorted(names) if name.startswith("schema_parity/") and name not in package
    ]
    return report(problems)


def report(problems: list[str]) -> int:
    for problem in problems:
        print(f"dist_check: {problem}")
    if not problems:
        print("dist_check: the sdist and the wheel hold the package, its license and metadata, and nothing else")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
