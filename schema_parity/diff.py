"""``schema-parity diff``: two schemas that should be one, compared, with what matters to the code first.

Each side is a schema source spec (``sources.spec``): migrations at a revision on an engine, DDL files, a live
database, SQLAlchemy models or a function that creates tables. Both are built on real engines and read back as
Catalogs, then compared by :func:`schema_parity.compare.compare` (keys by what they are, never by name; spelling,
order, quoting and the names engines give unnamed constraints are cosmetic). A key that exists on one side only
and that an upsert in the code names in its conflict target (the scanner's sites) is listed first, with the site:
on the side without it, that statement fails.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from schema_parity.catalog import Catalog, Key
from schema_parity.compare import KINDS, Difference, compare
from schema_parity.errors import ConfigError
from schema_parity.sources.spec import Sources, SourceSpec, parse_spec

__all__ = ["DiffResult", "Relied", "assert_schema_parity", "diff", "render_json", "render_text"]


@dataclass(frozen=True)
class Relied:
    """A key on one side only that an upsert's conflict target names: on the other side the statement fails."""

    difference: Difference
    side: str
    """``A`` or ``B``: the side that has the key."""
    path: str
    line: int
    target: str
    """The conflict target as written: ``ON CONFLICT (host, status_code)``, ``ON CONSTRAINT name``."""

    def describe(self) -> str:
        key = self.difference.a if self.side == "A" else self.difference.b
        other = "B" if self.side == "A" else "A"
        return (
            f"{self.difference.table}: {key} only in {self.side}; {self.target} at {self.path}:{self.line} "
            f"fails on {other}"
        )


@dataclass(frozen=True)
class DiffResult:
    a: Catalog
    b: Catalog
    a_spec: SourceSpec
    b_spec: SourceSpec
    differences: tuple[Difference, ...]
    """Every difference not ignored, cosmetic ones included (``cosmetic=True``)."""
    relied: tuple[Relied, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def real(self) -> tuple[Difference, ...]:
        return tuple(d for d in self.differences if not d.cosmetic)

    @property
    def equal(self) -> bool:
        return not self.real


def diff(
    a: str | SourceSpec,
    b: str | SourceSpec,
    *,
    cwd: Path | None = None,
    ignore: Iterable[str] = (),
    code: Sequence[Path] | None = None,
    postgres_url: str | None = None,
    sources: Sources | None = None,
) -> DiffResult:
    """Build both schemas and compare them. ``ignore`` leaves out kinds of difference (``KINDS``); ``code`` names
    the files or directories whose upserts are matched against keys on one side only (None: no code)."""
    ignored = check_ignore(ignore)
    a_spec = a if isinstance(a, SourceSpec) else parse_spec(a)
    b_spec = b if isinstance(b, SourceSpec) else parse_spec(b)
    where = (cwd or Path.cwd()).resolve()
    owned = sources is None
    sources = sources or Sources(where, postgres_url=postgres_url)
    try:
        catalog_a = sources.catalog(a_spec)
        catalog_b = sources.catalog(b_spec)
    finally:
        if owned:
            sources.close()
    return compared(catalog_a, catalog_b, a_spec, b_spec, ignored=ignored, code=code, root=where)


def compared(
    catalog_a: Catalog,
    catalog_b: Catalog,
    a_spec: SourceSpec,
    b_spec: SourceSpec,
    *,
    ignored: frozenset[str] = frozenset(),
    code: Sequence[Path] | None = None,
    root: Path | None = None,
) -> DiffResult:
    """The comparison of two Catalogs already built (the stairway compares many)."""
    differences = tuple(d for d in compare(catalog_a, catalog_b) if d.kind not in ignored)
    notes = [f"A: {n}" for n in catalog_a.notes] + [f"B: {n}" for n in catalog_b.notes]
    relied: tuple[Relied, ...] = ()
    if code:
        relied, scan_notes = _relied(differences, code, root or Path.cwd())
        notes += scan_notes
    return DiffResult(catalog_a, catalog_b, a_spec, b_spec, differences, relied, tuple(notes))


def check_ignore(kinds: Iterable[str]) -> frozenset[str]:
    wanted = frozenset(k.strip() for k in kinds if k.strip())
    unknown = sorted(wanted - set(KINDS))
    if unknown:
        raise ConfigError(f"--ignore {', '.join(unknown)}: not a kind of difference; the kinds are {', '.join(KINDS)}")
    return wanted


# -- keys the code relies on ------------------------------------------------------------------------------------
def _relied(
    differences: Sequence[Difference], code: Sequence[Path], root: Path
) -> tuple[tuple[Relied, ...], list[str]]:
    from schema_parity.sites.scan import scan
    from schema_parity.upsert import UpsertParseError, parse_upsert

    one_sided = [
        d for d in differences
        if d.kind in ("pk", "unique") and not d.cosmetic and (d.a_part is None) != (d.b_part is None)
    ]  # fmt: skip
    if not one_sided:
        return (), []
    missing = [str(p) for p in code if not (root / p).exists()]
    if missing:
        raise ConfigError(f"--code {', '.join(missing)}: no such file or directory (from {root})")
    result = scan(list(code), root=root)
    found: list[Relied] = []
    for site in result.sites:
        if site.sql is None:
            continue
        upsert = None
        for dialect in (site.dialect,) if site.dialect else ("postgresql", "sqlite"):
            try:
                upsert = parse_upsert(site.sql, dialect)
                break
            except UpsertParseError:
                continue
        if upsert is None:
            continue
        for clause in upsert.clauses:
            columns = [e.column for e in clause.target or ()]
            for difference in one_sided:
                if difference.table.rpartition(".")[2].lower() != upsert.table.text.lower():
                    continue
                key = difference.a_part or difference.b_part
                assert isinstance(key, Key)
                if clause.constraint is not None:
                    hit = (key.name or "").lower() == clause.constraint.text.lower()
                    target = f"ON CONFLICT ON CONSTRAINT {clause.constraint.text}"
                elif columns and all(c is not None for c in columns):
                    names = {c.text.lower() for c in columns if c is not None}
                    hit = None not in key.columns and names == {(c or "").lower() for c in key.columns}
                    target = f"ON CONFLICT ({', '.join(c.text for c in columns if c is not None)})"
                else:
                    continue
                if hit:
                    side = "A" if difference.a_part is not None else "B"
                    found.append(Relied(difference, side, site.path, site.line, target))
    notes = [f"{p.path}:{p.line}: {p.message}" for p in result.problems]
    return tuple(found), notes


# -- output --------------------------------------------------------------------------------------------------------
def render_text(result: DiffResult, *, verbose: bool = False) -> str:
    lines = [
        f"A: {result.a_spec.text} ({result.a.dialect})",
        f"B: {result.b_spec.text} ({result.b.dialect})",
    ]
    if result.relied:
        lines += ["", "Keys the code's upserts rely on, on one side only:"]
        lines += [f"  {r.describe()}" for r in result.relied]
    tables: dict[str, list[Difference]] = {}
    for difference in result.differences:
        if verbose or not difference.cosmetic:
            tables.setdefault(difference.table, []).append(difference)
    for table, found in tables.items():
        lines += ["", table]
        for difference in found:
            text = difference.describe().removeprefix(table).removeprefix(".").removeprefix(": ")
            lines.append(f"  {'(cosmetic) ' if difference.cosmetic else ''}{text}")
    if result.notes:
        lines += ["", *[f"note: {n}" for n in result.notes]]
    real = result.real
    cosmetic = len(result.differences) - len(real)
    summary = (
        "the schemas are the same" if not real
        else f"{len(real)} difference(s) in {len({d.table for d in real})} table(s)"
    )  # fmt: skip
    if cosmetic:
        summary += f"; {cosmetic} cosmetic difference(s)" + ("" if verbose else " not shown (--verbose lists them)")
    lines += ["", summary]
    return "\n".join(lines) + "\n"


def render_json(result: DiffResult) -> str:
    def side(spec: SourceSpec, catalog: Catalog) -> dict[str, Any]:
        return {"source": spec.text, "dialect": catalog.dialect, "revision": catalog.revision}

    def one(d: Difference) -> dict[str, Any]:
        return {"kind": d.kind, "table": d.table, "column": d.column, "a": d.a, "b": d.b, "cosmetic": d.cosmetic}

    data = {
        "a": side(result.a_spec, result.a),
        "b": side(result.b_spec, result.b),
        "equal": result.equal,
        "relied_on": [
            {
                "table": r.difference.table,
                "kind": r.difference.kind,
                "key": r.difference.a or r.difference.b,
                "side": r.side,
                "path": r.path,
                "line": r.line,
                "target": r.target,
            }
            for r in result.relied
        ],
        "differences": [one(d) for d in result.differences],
        "notes": list(result.notes),
    }
    return json.dumps(data, indent=2) + "\n"


# -- pytest ----------------------------------------------------------------------------------------------------------
def assert_schema_parity(
    a: str,
    b: str,
    *,
    ignore: Iterable[str] = (),
    cwd: str | Path | None = None,
    postgres_url: str | None = None,
) -> None:
    """Fail (AssertionError, with the diff's report) when the schemas of source specs ``a`` and ``b`` differ other
    than cosmetically. For a test::

        from schema_parity import assert_schema_parity

        def test_test_schema_matches_the_migrations():
            assert_schema_parity("alembic:alembic.ini", "python:tests.helpers:create_tables")
    """
    result = diff(a, b, cwd=Path(cwd) if cwd is not None else None, ignore=ignore, postgres_url=postgres_url)
    if not result.equal:
        raise AssertionError("the schemas differ:\n" + render_text(result))
