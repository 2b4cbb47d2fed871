"""The check: every upsert site judged against the schema, once per requested dialect.

Pure orchestration over the core: a schema source gives one Catalog per dialect, the scanner gives sites, the
verdict modules judge each (site, dialect), and the result is plain data that reporters, the CLI exit code and the
pytest items read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from schema_parity.catalog import DIALECTS, Catalog, Dialect
from schema_parity.errors import EXIT_FINDINGS, EXIT_OK, ConfigError
from schema_parity.findings import Finding, rule_for
from schema_parity.sites import Site
from schema_parity.sites.scan import ScanProblem, scan
from schema_parity.upsert import UpsertParseError, parse_upsert
from schema_parity.verdicts import Verdict, judge


@dataclass(frozen=True)
class SchemaOptions:
    """Where the schema comes from: exactly one of database_url, schema_sql, or the Alembic project."""

    alembic_config: Path | None = None
    script_location: Path | None = None
    ini_section: str = "alembic"
    revision: str = "head"
    use_env_py: bool = False
    schema_sql: tuple[Path, ...] = ()
    database_url: str | None = None
    search_from: Path | None = None

    def __post_init__(self) -> None:
        chosen = [bool(self.database_url), bool(self.schema_sql), bool(self.alembic_config or self.script_location)]
        if sum(chosen) > 1:
            raise ConfigError(
                "choose one schema source: --alembic-config/--script-location, --schema-sql or --database-url"
            )


@dataclass(frozen=True)
class SiteReport:
    """One site and its verdict for each dialect that judged it."""

    site: Site
    table: str | None
    target: str | None
    verdicts: tuple[Verdict, ...]


@dataclass(frozen=True)
class CheckResult:
    findings: tuple[Finding, ...]
    sites: tuple[SiteReport, ...]
    notes: tuple[str, ...] = ()
    files_scanned: int = 0
    dialects: tuple[Dialect, ...] = DIALECTS
    schema_sources: tuple[str, ...] = field(default=())

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "error")

    @property
    def exit_code(self) -> int:
        return EXIT_FINDINGS if self.errors else EXIT_OK

    def summary(self) -> dict[str, int]:
        unresolved = sum(1 for s in self.sites if any(v.status == "unresolved" for v in s.verdicts))
        return {
            "files": self.files_scanned,
            "sites": len(self.sites),
            "errors": len(self.errors),
            "warnings": sum(1 for f in self.findings if f.severity == "warning"),
            "unresolved_sites": unresolved,
        }


class Catalogs:
    """One Catalog per dialect at head, and (for Alembic projects) at any revision, built on first use."""

    def __init__(self, options: SchemaOptions, dialects: Sequence[Dialect]) -> None:
        self.options = options
        self.dialects = tuple(dialects)
        self.notes: list[str] = []
        self._by_revision: dict[tuple[str, Dialect], Catalog] = {}
        self._project = None
        self._shared: Catalog | None = None

    @property
    def is_alembic(self) -> bool:
        return not self.options.database_url and not self.options.schema_sql

    def project(self):  # -> AlembicProject (imported lazily: only Alembic sources need it)
        from schema_parity.sources.alembic import AlembicProject

        if self._project is None:
            o = self.options
            self._project = AlembicProject.load(
                o.alembic_config,
                script_location=o.script_location,
                ini_section=o.ini_section,
                search_from=o.search_from,
            )
        return self._project

    def head(self, dialect: Dialect) -> Catalog:
        return self.at(self.options.revision, dialect)

    def at(self, revision: str, dialect: Dialect) -> Catalog:
        key = (revision, dialect)
        if key not in self._by_revision:
            self._by_revision[key] = self._build(revision, dialect)
        return self._by_revision[key]

    def _build(self, revision: str, dialect: Dialect) -> Catalog:
        o = self.options
        if o.database_url:
            if self._shared is None:
                from schema_parity.sources.reflect import reflect_url

                self._shared = reflect_url(o.database_url)
                self.notes.extend(self._shared.notes)
            return self._shared
        if o.schema_sql:
            from schema_parity.sources.ddl import catalog_from_files

            catalog = catalog_from_files(list(o.schema_sql), dialect)
            self.notes.extend(f"{dialect}: {n}" for n in catalog.notes)
            return catalog
        from schema_parity.sources.alembic import catalog_at, offline_sql

        project = self.project()
        if dialect == "sqlite":
            return catalog_at(project, revision, use_env_py=o.use_env_py)
        from schema_parity.sources.ddl import catalog_from_ddl

        sql, offline_notes = offline_sql(project, revision, dialect="postgresql")
        label = f"alembic-offline:{project.config_path or project.script_location}@{revision}"
        catalog = catalog_from_ddl(sql, "postgresql", source=label)
        if offline_notes:
            self.notes.extend(f"postgresql: {n}" for n in offline_notes)
            catalog = catalog.with_notes(*offline_notes)
        self.notes.extend(f"postgresql: {n}" for n in catalog.notes if n not in offline_notes)
        return catalog


def judge_site(site: Site, catalog: Catalog, dialect: Dialect) -> tuple[Verdict, str | None, str | None]:
    """The verdict for one site, with the table and conflict target it names (for the report)."""
    if site.sql is None:
        return Verdict.unresolved(dialect, "SP901", site.unresolved or "the statement is built at run time"), None, None
    try:
        upsert = parse_upsert(site.sql, dialect)
    except UpsertParseError as exc:
        return Verdict.unresolved(dialect, "SP902", f"cannot parse the statement: {exc}"), None, None
    return judge(upsert, catalog, dialect), upsert.table_display, upsert.target_display


def run_check(
    paths: Sequence[Path],
    *,
    root: Path,
    schema: SchemaOptions,
    dialects: Sequence[Dialect] = DIALECTS,
    exclude: Sequence[str] = (),
) -> CheckResult:
    scanned = scan(paths, root=root, exclude=exclude)
    catalogs = Catalogs(schema, dialects)
    findings: list[Finding] = [_problem_finding(p) for p in scanned.problems]
    reports: list[SiteReport] = []
    for site in scanned.sites:
        verdicts: list[Verdict] = []
        table = target = None
        for dialect in dialects:
            if site.dialect is not None and site.dialect != dialect:
                continue
            if site.revision is not None and catalogs.is_alembic:
                catalog = catalogs.at(site.revision, dialect)
            else:
                catalog = catalogs.head(dialect)
            verdict, table, target = judge_site(site, catalog, dialect)
            verdicts.append(verdict)
            findings.extend(
                Finding.from_problem(problem, site=site, dialect=dialect, table=table) for problem in verdict.problems
            )
        reports.append(SiteReport(site, table, target, tuple(verdicts)))
    sources = tuple(sorted({c.source for c in catalogs._by_revision.values() if c.source}))
    return CheckResult(
        findings=tuple(sorted(findings, key=Finding.sort_key)),
        sites=tuple(reports),
        notes=tuple(dict.fromkeys(catalogs.notes)),
        files_scanned=scanned.files_scanned,
        dialects=tuple(dialects),
        schema_sources=sources,
    )


def _problem_finding(problem: ScanProblem) -> Finding:
    rule = rule_for("SP903")
    return Finding(
        rule=rule.code,
        severity=rule.severity,
        path=problem.path,
        line=problem.line,
        column=1,
        dialect=None,
        table=None,
        message=problem.message,
        hint="Fix the file so it parses, or exclude it.",
    )
