"""Judging what a test run executed: captured statements (capture.py) become sites the check judges as it judges
scanned ones.

Each distinct statement is one :class:`~schema_parity.sites.Site` per dialect, placed at the application call site
that issued it (``origin="captured"``): a SQLAlchemy construct run on SQLite is judged with SQLite's rules on the text
SQLite received and with PostgreSQL's on the construct compiled again for PostgreSQL; raw SQL text by every dialect as
it is. The verdicts, rule codes, selection, severities, suppression comments and baseline are the check's own
(:func:`schema_parity.check.check_sites`); a call that proposed one conflict key twice to DO UPDATE adds SP302 when
PostgreSQL's verdict on the statement is otherwise ok. The result is grouped by call site and statement (its table
and conflict target: a generic helper's one line runs several), each with its statements and the test that first ran
them, and with the statically unresolved sites of the same function (the ones the scanner could not read): those are
reported as judged at run time.
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

from schema_parity.capture import Record
from schema_parity.catalog import Dialect
from schema_parity.check import CheckResult, SiteReport, check_sites
from schema_parity.config import Settings
from schema_parity.errors import ConfigError
from schema_parity.findings import Finding
from schema_parity.sites import Site
from schema_parity.suppressions import Directive, directives_in

__all__ = ["CallSite", "CapturedResult", "judge_captured", "merge_results"]

_T = TypeVar("_T")


@dataclass(frozen=True)
class CallSite:
    """One application line that executed upserts: what it ran, what was found, which static sites it stands for."""

    path: str
    line: int
    label: str
    """The statement's table and conflict target (``item (sku)``): each one at a line is a result of its own."""
    records: tuple[Record, ...]
    reports: tuple[SiteReport, ...]
    findings: tuple[Finding, ...]
    suppressed: tuple[Finding, ...]
    unresolved_sites: tuple[Site, ...]
    """Statically unresolved sites in the function holding this call: judged at run time through it."""

    @property
    def name(self) -> str:
        """The result's name, stable from run to run and readable: ``app/store.py:39[item (sku)]``."""
        return f"{self.path}:{self.line}[{self.label}]"

    @property
    def first_test(self) -> str | None:
        return next((r.test for r in self.records if r.test), None)

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "error")


@dataclass(frozen=True)
class CapturedResult:
    result: CheckResult
    call_sites: tuple[CallSite, ...]

    @property
    def judged_unresolved(self) -> tuple[Site, ...]:
        """The statically unresolved sites that a captured call judged, each once."""
        seen: dict[tuple[str, int, int], Site] = {}
        for call in self.call_sites:
            for site in call.unresolved_sites:
                seen.setdefault((site.path, site.line, site.column), site)
        return tuple(seen.values())

    def notes(self) -> list[str]:
        statements = sum(len(c.records) for c in self.call_sites)
        lines = len({(c.path, c.line) for c in self.call_sites})
        notes = [f"{statements} statement(s) captured at run time at {lines} call site(s)"]
        judged = self.judged_unresolved
        if judged:
            where = ", ".join(f"{s.path}:{s.line}" for s in judged)
            notes.append(f"{len(judged)} statically unresolved site(s) judged at run time: {where}")
        return notes


def judge_captured(
    records: Sequence[Record],
    settings: Settings,
    *,
    capture_root: Path,
    static_sites: Sequence[Site] | None = None,
    use_baseline: bool = True,
) -> CapturedResult:
    """Judge ``records`` (paths relative to ``capture_root``) with ``settings``; ``static_sites`` are the scanner's
    sites (None: the configured paths are scanned, from the scan cache)."""
    root = settings.root.resolve()
    records = [replace(r, path=_rebase(r.path, capture_root.resolve(), root)) for r in records]
    groups: dict[tuple[str, int, str], list[Record]] = {}
    for record in records:
        groups.setdefault((record.path, record.line, _label(record)), []).append(record)
    # Each group is judged at its own column (1, 2, ... within its line) so that its findings can be told apart from
    # another statement's at the same line; the column is put back to 1 in the result.
    columns: dict[tuple[str, int, str], int] = {}
    per_line: Counter[tuple[str, int]] = Counter()
    for key in sorted(groups):
        per_line[key[:2]] += 1
        columns[key] = per_line[key[:2]]
    sites: dict[Site, list[Record]] = {}
    for key, group in groups.items():
        for record in group:
            revision = record.revision if record.revision not in (None, "head") else None
            for dialect, text in record.sql.items():
                if dialect is not None and dialect not in settings.dialects:
                    continue
                site = Site(record.path, record.line, columns[key], "captured", text, dialect=dialect)
                sites.setdefault(replace(site, revision=revision), []).append(record)

    def sp302(site: Site, verdicts: Mapping[Dialect, object]) -> list[tuple[Finding, str]]:
        from schema_parity.verdicts import Verdict
        from schema_parity.verdicts.postgresql import key_proposed_twice

        verdict = verdicts.get("postgresql")
        if not isinstance(verdict, Verdict) or verdict.status != "ok" or not verdict.arbiters:
            return []
        if any(p.rule == "SP302" for p in verdict.problems):
            return []
        duplicate = next((r.duplicate for r in sites.get(site, ()) if r.duplicate is not None), None)
        if duplicate is None:
            return []
        found = Finding.from_problem(key_proposed_twice(duplicate), site=site, dialect="postgresql", table=None)
        return [(found, site.sql or "")]

    directives = _directives({r.path for r in records}, root)
    result = check_sites(list(sites), settings, directives=directives, extra=sp302, use_baseline=use_baseline)
    if static_sites is None:
        static_sites = _scan(settings) if records else []
    unresolved: dict[str, list[Site]] = {}
    for site in static_sites:
        if site.sql is None:
            unresolved.setdefault(site.path, []).append(site)
    reports = _by_place(result.sites, lambda r: (r.site.path, r.site.line, r.site.column))
    findings = _by_place(result.findings, lambda f: (f.path, f.line, f.column))
    suppressed = _by_place(result.suppressed, lambda f: (f.path, f.line, f.column))
    calls = []
    for key, group in sorted(groups.items()):
        path, line, label = key
        at = (path, line, columns[key])
        spans = {r.function for r in group}
        calls.append(
            CallSite(
                path=path,
                line=line,
                label=label,
                records=tuple(group),
                reports=tuple(_at_one(r) for r in reports.get(at, ())),
                findings=tuple(_column_one(f) for f in findings.get(at, ())),
                suppressed=tuple(_column_one(f) for f in suppressed.get(at, ())),
                unresolved_sites=tuple(
                    s for s in unresolved.get(path, ()) if any(a <= s.line <= b for a, b in spans)
                ),
            )
        )
    result = replace(
        result,
        findings=_columns_one(result.findings),
        suppressed=_columns_one(result.suppressed),
        baselined=_columns_one(result.baselined),
        fingerprints={_column_one(f): print_ for f, print_ in result.fingerprints.items()},
        dialect_fingerprints={_column_one(f): prints for f, prints in result.dialect_fingerprints.items()},
        sites=tuple(_at_one(r) for r in result.sites),
    )
    captured = CapturedResult(result, tuple(calls))
    return replace(captured, result=replace(result, notes=(*result.notes, *captured.notes())))


def _label(record: Record) -> str:
    """The table and conflict target a statement names (``item (sku)``), as a result's name shows them; a short
    digest of the text when it does not parse (the judge then reports why)."""
    from schema_parity.upsert import UpsertParseError, parse_upsert

    dialect: Dialect = "sqlite" if record.sql.keys() == {"sqlite"} else "postgresql"
    try:
        upsert = parse_upsert(record.statement, dialect)
    except (UpsertParseError, ValueError):
        return "sql " + hashlib.sha256(" ".join(record.statement.split()).encode()).hexdigest()[:8]
    target = upsert.target_display
    return f"{upsert.table_display} {target}" if target else upsert.table_display


def _by_place(items: Iterable[_T], place: Callable[[_T], tuple[str, int, int]]) -> dict[tuple[str, int, int], list[_T]]:
    out: dict[tuple[str, int, int], list[_T]] = {}
    for item in items:
        out.setdefault(place(item), []).append(item)
    return out


def _column_one(finding: Finding) -> Finding:
    return replace(finding, column=1)


def _columns_one(findings: tuple[Finding, ...]) -> tuple[Finding, ...]:
    return tuple(sorted(dict.fromkeys(map(_column_one, findings)), key=Finding.sort_key))


def _at_one(report: SiteReport) -> SiteReport:
    return replace(report, site=replace(report.site, column=1))


def merge_results(static: CheckResult, captured: CheckResult) -> CheckResult:
    """The static check's result with the captured one's sites and findings added (a finding both report, once)."""

    def union(a: tuple[Finding, ...], b: tuple[Finding, ...]) -> tuple[Finding, ...]:
        return tuple(sorted(dict.fromkeys((*a, *b)), key=Finding.sort_key))

    return replace(
        static,
        findings=union(static.findings, captured.findings),
        suppressed=union(static.suppressed, captured.suppressed),
        baselined=union(static.baselined, captured.baselined),
        sites=(*static.sites, *captured.sites),
        notes=tuple(dict.fromkeys((*static.notes, *captured.notes))),
        fingerprints={**captured.fingerprints, **static.fingerprints},
        dialect_fingerprints={**captured.dialect_fingerprints, **static.dialect_fingerprints},
    )


def _rebase(path: str, capture_root: Path, root: Path) -> str:
    """A record's path, relative to ``root`` when the file is under it (else absolute)."""
    absolute = Path(path) if Path(path).is_absolute() else capture_root / path
    try:
        return absolute.relative_to(root).as_posix()
    except ValueError:
        relative = os.path.relpath(absolute, root)
        return absolute.as_posix() if relative.startswith("..") else Path(relative).as_posix()


def _directives(paths: set[str], root: Path) -> list[Directive]:
    """The suppression comments of the files holding call sites (read as the scanner reads them)."""
    found: list[Directive] = []
    for path in sorted(paths):
        file = root / path
        if "schema-parity:" not in _text(file):
            continue
        found.extend(directives_in(_text(file), path, python=file.suffix == ".py"))
    return found


def _text(file: Path) -> str:
    try:
        return file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


def _scan(settings: Settings) -> list[Site]:
    from schema_parity.sites.scan import scan

    try:
        scanned = scan(
            settings.paths,
            root=settings.root.resolve(),
            exclude=settings.exclude,
            wrappers=settings.wrappers,
            cache_dir=settings.cache_dir,
            jobs=settings.jobs,
            max_file_size=settings.max_file_size,
        )
    except ConfigError:
        return []
    return list(scanned.sites)
