"""CI: run the version-sensitive PostgreSQL tests on another major version's server.

Usage: python .ci/pg_version.py BINDIR -- PYTEST-ARGS...

Starts a throwaway cluster of the binaries in BINDIR (the tool's own cluster code, in a temporary directory), runs
pytest with SCHEMA_PARITY_TEST_PG_URL pointing at it, and stops it when the tests end.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from schema_parity.sources.postgres.cluster import Binaries, Cluster


def main() -> int:
    bindir, separator, *pytest_args = sys.argv[1:]
    assert separator == "--", __doc__
    binaries = Binaries.probe(Path(bindir), bindir)
    if binaries is None:
        print(f"ci: no PostgreSQL binaries in {bindir}", file=sys.stderr)
        return 1
    root = tempfile.mkdtemp(prefix="sp-ci-pg-")
    try:
        lease = Cluster(binaries, root=Path(root)).lease(0.0)
        try:
            url = lease.url
            print(f"ci: PostgreSQL {binaries.version} at {url}", flush=True)
            env = {**os.environ, "SCHEMA_PARITY_TEST_PG_URL": url, "SCHEMA_PARITY_REQUIRE_PG": "1"}
            return subprocess.run([sys.executable, "-m", "pytest", *pytest_args], env=env, check=False).returncode
        finally:
            lease.release()  # the last user: the server stops
    finally:
        for _ in range(20):  # the server's last files may appear while it shuts down
            shutil.rmtree(root, ignore_errors=True)
            if not Path(root).exists():
                break
            time.sleep(0.5)


if __name__ == "__main__":
    sys.exit(main())
