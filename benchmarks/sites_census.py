"""Sites seen, resolved and unresolved in source trees, with the unresolved reasons grouped: the census behind the
real-project numbers in docs/sites.md. Only the scanner runs (no schema, no database).

    python benchmarks/sites_census.py TREE [TREE ...] [--exclude GLOB ...] [--show]

A reason is grouped by its shape: quoted names and expressions are replaced by ``…``. ``--show`` lists every
unresolved site and every problem (SP903) with its reason.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from schema_parity.sites.scan import scan


def shape(reason: str) -> str:
    """The reason with its project-specific words taken out, so that equal causes group together."""
    reason = re.sub(r"'[^']*'|\"[^\"]*\"", "…", reason)
    reason = re.sub(r"\b[\w.]+\([^()]*\)", "…()", reason)
    reason = re.sub(
        r"\b(the table|table|the INSERT statement|index_elements=|constraint=|set_=|the INSERT comes from)"
        r"\s+[\w.\[\]]+",
        r"\1 …",
        reason,
    )
    return reason[:110]


def census(tree: Path, exclude: list[str], show: bool) -> None:
    result = scan(["."], root=tree, exclude=exclude)
    origins = Counter(site.origin for site in result.sites)
    unresolved = [site for site in result.sites if site.sql is None]
    print(
        f"{tree.name}: {len(result.sites)} sites seen ({dict(sorted(origins.items()))}), "
        f"{len(result.sites) - len(unresolved)} resolved, {len(unresolved)} unresolved, "
        f"{len(result.problems)} problems, {result.files_scanned} files"
    )
    for reason, count in Counter(shape(s.unresolved or "") for s in unresolved).most_common():
        print(f"  {count:4d}  {reason}")
    for reason, count in Counter(shape(p.message) for p in result.problems).most_common():
        print(f"  {count:4d}  problem: {reason}")
    if show:
        for site in unresolved:
            print(f"    {site.path}:{site.line}  {site.unresolved}")
        for problem in result.problems:
            print(f"    {problem.path}:{problem.line}  problem: {problem.message[:160]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", nargs="+", type=Path)
    parser.add_argument("--exclude", action="append", default=[])
    parser.add_argument("--show", action="store_true")
    args = parser.parse_args()
    for tree in args.trees:
        census(tree.resolve(), args.exclude, args.show)


if __name__ == "__main__":
    main()
