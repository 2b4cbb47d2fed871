"""Work whose instruction count compares two commits on a loaded machine: run it under callgrind.

    valgrind --tool=callgrind --callgrind-out-file=/dev/null PYTHON benchmarks/instructions.py [--tree DIR] WHAT

``WHAT`` is ``upgrade SIZE N`` (N migrations of ``linear_chain(SIZE)``, each into a fresh SQLite file, as the
``runner/test`` row of fixtures.py), ``catalog`` (one Catalog of a 2-revision chain: a process's start-up and first
catalog, as migrate.py begins) or ``template`` (one template of that chain, as fixtures.py begins). ``--tree``: the
checkout whose ``schema_parity`` and ``tests`` are imported (another commit's, with that commit's interpreter); the
script itself needs nothing of that commit beyond ``upgrade``, ``catalog_at`` and ``TemplateCache``. The cost of one
migration is the difference of two counts divided by the difference of N (start-up cancels out). Wall-clock time is
not measured: it is what callgrind is used instead of. Checkouts need their bytecode compiled
(``python -m compileall -q DIR``) when ``PYTHONDONTWRITEBYTECODE`` is set, or every run compiles the sources again.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tree", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument("what", choices=["upgrade", "catalog", "template"])
    parser.add_argument("numbers", type=int, nargs="*", help="for upgrade: SIZE N")
    options = parser.parse_args()
    sys.path.insert(0, str(options.tree))

    import sqlalchemy as sa

    from schema_parity.sources.alembic import AlembicProject, catalog_at, upgrade
    from schema_parity.template import TemplateCache
    from tests.alembic_projects import linear_chain, write_project

    size, count = options.numbers if options.what == "upgrade" else (2, 1)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        project = AlembicProject.load(write_project(root / "project", linear_chain(size)))
        if options.what == "catalog":
            catalog_at(project)
        elif options.what == "template":
            TemplateCache(root / "cache").get(project)
        for i in range(count if options.what == "upgrade" else 0):
            engine = sa.create_engine(f"sqlite:///{root}/fresh{i}.sqlite3")
            with engine.connect() as connection:
                upgrade(connection, project)
                connection.commit()
            engine.dispose()
    print(f"sqlglot imported: {'sqlglot' in sys.modules}")


if __name__ == "__main__":
    main()
