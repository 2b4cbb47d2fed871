"""Work whose instruction count compares two commits on a loaded machine: run it under callgrind.

    valgrind --tool=callgrind --callgrind-out-file=/dev/null PYTHON benchmarks/instructions.py [--tree DIR] WHAT

``WHAT`` is ``upgrade SIZE N`` (N migrations of ``linear_chain(SIZE)``, each into a fresh SQLite file, as the
``runner/test`` row of fixtures.py), ``catalog`` (one Catalog of a 2-revision chain: a process's start-up and first
catalog, as migrate.py begins) or ``template`` (one template of that chain, as fixtures.py begins). ``--tree``: the
checkout whose ``schema_parity`` and ``tests`` are imported (another commit's, with that commit's interpreter); the
script itself needs nothing of that commit beyond ``upgrade``, ``catalog_at`` and ``TemplateCache``. The cost of one
migration is the difference of two counts divided by the difference of N (start-up cancels out). ``check N PART``
replays the DDL of ``benchmarks/check.py``'s N-table corpus for PostgreSQL and then does ``PART`` of a check over its N
upserts: ``none``, ``scan`` (find the sites in the script), ``parse`` (scan, then ``parse_upsert`` each) or ``judge``
(scan, then ``judge_site`` each, with the collector's thresholds of a check); one part's cost is its count minus the
previous part's. ``--instrument`` (with ``upgrade`` and callgrind's ``--instr-atstart=no``) counts migrations 2..N
alone, switched on and off from inside the process (callgrind's client requests, through a helper that ``cc``
compiles against ``valgrind/callgrind.h``): the count divided by N - 1 is one migration, without the start-up and the
first migration that the difference of two processes has to cancel out. Wall-clock time is
not measured: it is what callgrind is used instead of. Checkouts need their bytecode compiled
(``python -m compileall -q DIR``) when ``PYTHONDONTWRITEBYTECODE`` is set, or every run compiles the sources again.
"""

from __future__ import annotations

import argparse
import ctypes
import subprocess
import sys
import tempfile
from pathlib import Path

_CALLGRIND_HELPER = """
#include <valgrind/callgrind.h>
void start(void) { CALLGRIND_START_INSTRUMENTATION; }
void stop(void) { CALLGRIND_STOP_INSTRUMENTATION; }
"""


def callgrind_switch(directory: Path) -> ctypes.CDLL:
    """callgrind's START/STOP_INSTRUMENTATION client requests as two C functions (no-ops outside valgrind)."""
    (directory / "switch.c").write_text(_CALLGRIND_HELPER)
    subprocess.run(["cc", "-shared", "-fPIC", "-o", str(directory / "switch.so"), str(directory / "switch.c")],
                   check=True)  # fmt: skip
    return ctypes.CDLL(str(directory / "switch.so"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tree", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument("what", choices=["upgrade", "catalog", "template", "check"])
    parser.add_argument("numbers", nargs="*", help="for upgrade: SIZE N; for check: N PART")
    parser.add_argument("--instrument", action="store_true", help="upgrade: count migrations 2..N only")
    options = parser.parse_args()
    sys.path.insert(0, str(options.tree))
    if options.what == "check":
        check_part(int(options.numbers[0]), options.numbers[1])
        return

    import sqlalchemy as sa

    from schema_parity.sources.alembic import AlembicProject, catalog_at, upgrade
    from schema_parity.template import TemplateCache
    from tests.alembic_projects import linear_chain, write_project

    size, count = (int(n) for n in options.numbers) if options.what == "upgrade" else (2, 1)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        project = AlembicProject.load(write_project(root / "project", linear_chain(size)))
        switch = callgrind_switch(root) if options.instrument else None
        if options.what == "catalog":
            catalog_at(project)
        elif options.what == "template":
            TemplateCache(root / "cache").get(project)
        for i in range(count if options.what == "upgrade" else 0):
            if switch is not None and i == 1:
                switch.start()
            engine = sa.create_engine(f"sqlite:///{root}/fresh{i}.sqlite3")
            with engine.connect() as connection:
                upgrade(connection, project)
                connection.commit()
            engine.dispose()
        if switch is not None:
            switch.stop()
    print(f"sqlglot imported: {'sqlglot' in sys.modules}")


def check_part(tables: int, part: str) -> None:
    """The DDL replay of an N-table corpus, then ``part`` of a check over its upserts (see the module's docstring)."""
    import gc

    from schema_parity.check import _GC_THRESHOLDS, judge_site
    from schema_parity.sites.sql import sql_file_sites
    from schema_parity.sources.ddl import catalog_from_ddl
    from schema_parity.upsert import parse_upsert

    gc.set_threshold(*_GC_THRESHOLDS)
    # benchmarks/check.py (this script's directory is on sys.path) puts its own checkout first on sys.path: imported
    # after schema_parity, it leaves the package of --tree in place.
    from check import ddl, upserts

    catalog = catalog_from_ddl(";\n".join(ddl(tables)) + ";\n", "postgresql")
    if part == "none":
        return
    sites, _ = sql_file_sites(";\n".join(upserts(tables)) + ";\n", "app.sql")
    for site in sites if part in ("parse", "judge") else ():
        if part == "parse":
            parse_upsert(site.sql or "", "postgresql")
        else:
            judge_site(site, catalog, "postgresql")


if __name__ == "__main__":
    main()
