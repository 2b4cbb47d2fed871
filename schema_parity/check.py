"""The check: every upsert site judged against the schema, once per requested dialect.

Pure orchestration over the core: a schema source gives one Catalog per dialect, the scanner gives sites, the
verdict modules judge each (site, dialect), and the result is plain data that reporters, the CLI exit code and the
pytest items read.
"""

from __future__ import annotations

import contextlib
import gc
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from schema_parity.baseline import Baseline, dialect_fingerprints, fingerprint
from schema_parity.catalog import DIALECTS, Catalog, Dialect
from schema_parity.config import RuleSelection, Settings
from schema_parity.errors import EXIT_FINDINGS, EXIT_OK, ConfigError
from schema_parity.findings import Finding
from schema_parity.limits import DEFAULT_MAX_FILE_SIZE
from schema_parity.progress import Progress
from schema_parity.rules import RULES, rule_for
from schema_parity.sites import ScanProblem, Site
from schema_parity.sites.scan import scan
from schema_parity.sources import Schema, SchemaOptions, Unavailable
from schema_parity.suppressions import UNUSED_SUPPRESSION, Directive, Suppressor
from schema_parity.upsert import UpsertParseError, parse_upsert, release
from schema_parity.verdicts import Problem, Verdict, parse_error
from schema_parity.verdicts.dispatch import judge, resolve_table

if TYPE_CHECKING:
    from schema_parity.changes import Changes
    from schema_parity.deploy import DeployReport
    from schema_parity.verify import Answer
    from schema_parity.wrappers import Wrapper


@dataclass(frozen=True)
class SiteReport:
    """One site and its verdict for each dialect that judged it."""

    site: Site
    table: str | None
    target: str | None
    verdicts: tuple[Verdict, ...]
    history: str | None = None
    """The history the site was judged against, when the project has several (see ``histories``)."""
    verified: tuple[Answer, ...] = ()
    """The engines' answers when ``--verify`` ran (see verify.py)."""


@dataclass(frozen=True)
class CheckResult:
    """``findings`` are the ones that count; ``suppressed`` (by a comment) and ``baselined`` are kept for reports.

    ``fingerprints`` maps each counted or baselined finding to its stable identity, ``dialect_fingerprints`` to the
    identities of its parts that a baseline records, one per dialect (see baseline.py).
    """

    findings: tuple[Finding, ...]
    sites: tuple[SiteReport, ...]
    notes: tuple[str, ...] = ()
    files_scanned: int = 0
    dialects: tuple[Dialect, ...] = DIALECTS
    schema_sources: tuple[str, ...] = field(default=())
    engines: Mapping[Dialect, str] = field(default_factory=dict)
    """What each dialect's schema came from: ``migrations run on PostgreSQL 18.6 (embedded cluster ...)``."""
    suppressed: tuple[Finding, ...] = ()
    baselined: tuple[Finding, ...] = ()
    fingerprints: Mapping[Finding, str] = field(default_factory=dict)
    dialect_fingerprints: Mapping[Finding, tuple[str, ...]] = field(default_factory=dict)
    files_parsed: int = 0
    diff_base: str | None = None
    deploy: DeployReport | None = None
    """Both sides of a deploy, per site (``--deploy-from``, see deploy.py); None for the ordinary check."""
    judged_against: tuple[str, ...] = ()
    """What the schema is, per history: ``the Alembic history alembic.ini at head (3f2a...)``, the DDL files, the
    models or the database (the text report's header; see ``Schema.judged_against``)."""
    inputs: tuple[str, ...] | None = None
    """The files and directories the result was made from: every file scanned and directory listed, and every
    file and directory each schema was built from; None when something besides files decided it (see
    ``Schema.replay_inputs``). What a replayed result is checked against (results.py)."""

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
            "suppressed": len(self.suppressed),
            "baselined": len(self.baselined),
        }


def judge_site(
    site: Site, catalog: Catalog, dialect: Dialect, *, postgres_version: int | None = None
) -> tuple[Verdict, str | None, str | None]:
    """The verdict for one site, with the table and conflict target it names (for the report)."""
    if site.sql is None:
        unresolved = (
            Problem.of("SP901", "reason", reason=site.unresolved).for_reason(site.reason)
            if site.unresolved
            else Problem.of("SP901", "built-at-run-time")
        )
        return Verdict.unresolved(dialect, unresolved), None, None
    try:
        upsert = parse_upsert(site.sql, dialect)
    except UpsertParseError as exc:
        return Verdict.unresolved(dialect, Problem.of("SP902", "unparsable", error=parse_error(exc))), None, None
    verdict = judge(upsert, catalog, dialect, postgres_version=postgres_version)
    table, target = upsert.table_display, upsert.target_display
    release(upsert)  # its trees are freed now, not by the collector
    return verdict, table, target


@dataclass(frozen=True)
class CheckOptions:
    """What happens to findings after judging: selection, suppressions, baseline, changed lines; scan speed and limits.

    ``project_root`` anchors the paths inside fingerprints (baseline, SARIF), so they do not depend on the working
    directory; it defaults to ``root``.
    """

    selection: RuleSelection = field(default_factory=RuleSelection)
    report_unused_suppressions: bool = False
    baseline: Baseline | None = None
    changes: Changes | None = None
    cache_dir: Path | None = None
    jobs: int = 1
    project_root: Path | None = None
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    """Bytes; a bigger file is not read (SP903 names it)."""
    verify: bool = False
    """Put every resolved site to the real engines and report disagreements (SP905; see verify.py)."""
    progress: Progress | None = None
    """Told about the long steps (scanning, starting PostgreSQL, migrating; see progress.py); None: nothing shown."""


def check_project(
    settings: Settings,
    *,
    changes: Changes | None = None,
    use_baseline: bool = True,
    progress: Progress | None = None,
) -> CheckResult:
    """The check a configuration describes: what ``schema-parity check`` and ``pytest --schema-parity`` both run."""
    return run_check(
        settings.paths,
        root=settings.root,
        schema=settings.schema,
        dialects=settings.dialects,
        exclude=settings.exclude,
        wrappers=settings.wrappers,
        histories=settings.histories,
        options=replace(_options(settings, changes=changes, use_baseline=use_baseline), progress=progress),
    )


def _options(settings: Settings, *, changes: Changes | None = None, use_baseline: bool = True) -> CheckOptions:
    return CheckOptions(
        selection=settings.selection,
        report_unused_suppressions=settings.report_unused_suppressions,
        baseline=Baseline.load(settings.baseline) if settings.baseline and use_baseline else None,
        changes=changes,
        cache_dir=settings.cache_dir,
        jobs=settings.jobs,
        project_root=settings.project_root,
        max_file_size=settings.max_file_size,
        verify=settings.verify,
    )


ExtraProblem = Callable[[Site, Mapping[Dialect, Verdict]], list[tuple[Finding, str]]]
"""More findings for a site once its verdicts are known (the run-time capture's SP302 needs PostgreSQL's)."""


def check_sites(
    sites: Sequence[Site],
    settings: Settings,
    *,
    directives: Sequence[Directive] = (),
    extra: ExtraProblem | None = None,
    use_baseline: bool = True,
) -> CheckResult:
    """Judge sites found elsewhere (the run-time capture, capture.py) exactly as the check judges scanned ones: the
    same schema sources and caches, rule selection, severities, suppressions (``directives``) and baseline."""
    opts = replace(_options(settings, use_baseline=use_baseline), report_unused_suppressions=False)
    dialects = settings.dialects
    root = settings.root.resolve()
    catalog_cache = opts.cache_dir.parent / "catalogs" if opts.cache_dir else None
    with contextlib.ExitStack() as stack:
        schemas = [
            stack.enter_context(Schema(options, dialects, cache_dir=catalog_cache))
            for options in (settings.schema, *settings.histories)
        ]
        for each in schemas:
            each.check_configuration()
        raw, reports = _judge_all(list(sites), [], schemas=schemas, dialects=dialects, opts=opts, root=root)
        if extra is not None:
            for report in reports:
                raw.extend(extra(report.site, {v.dialect: v for v in report.verdicts}))
        failed = [s for s in schemas if s.failures and all(d in s.failures for d in dialects)]
        if failed and sites:
            raise next(iter(failed[0].failures.values()))
        primary = schemas[0]
        return _triage(
            raw,
            opts,
            directives=directives,
            root=root,
            base=CheckResult(
                findings=(),
                sites=tuple(reports),
                notes=tuple(dict.fromkeys(n for s in schemas for n in s.notes)),
                dialects=tuple(dialects),
                schema_sources=tuple(sorted({source for s in schemas for source in s.sources()})),
                engines={d: primary.engines[d] for d in dialects if d in primary.engines},
                judged_against=tuple(s.judged_against(root) for s in schemas if s.used),
            ),
        )


#: Collector thresholds while a check runs (CPython's defaults are 700, 10, 10). A check allocates millions of small
#: objects (tokens, names, syntax trees) that reference counting frees; at the default threshold the young generation
#: is collected every 700 of them, which cost a seventh of the CPU of a 5,000-table check (docs/ci.md).
_GC_THRESHOLDS = (50_000, 20, 10)


@contextlib.contextmanager
def _fewer_collections() -> Iterator[None]:
    """Collect cyclic garbage less often for the duration (never more often than the thresholds already set); the
    thresholds in force before are restored after."""
    before = gc.get_threshold()
    gc.set_threshold(*(max(now, wanted) for now, wanted in zip(before, _GC_THRESHOLDS, strict=True)))
    try:
        yield
    finally:
        gc.set_threshold(*before)


@_fewer_collections()  # a contextmanager is also a decorator: each call enters it anew
def run_check(
    paths: Sequence[Path],
    *,
    root: Path,
    schema: SchemaOptions,
    dialects: Sequence[Dialect] = DIALECTS,
    exclude: Sequence[str] = (),
    wrappers: Sequence[Wrapper] = (),
    options: CheckOptions | None = None,
    histories: Sequence[SchemaOptions] = (),
) -> CheckResult:
    """Scan ``paths``, judge every site for each dialect, then triage the findings as ``options`` say."""
    opts = options or CheckOptions()
    root = root.resolve()
    scanned = scan(
        paths,
        root=root,
        exclude=exclude,
        wrappers=wrappers,
        cache_dir=opts.cache_dir,
        jobs=opts.jobs,
        max_file_size=opts.max_file_size,
        progress=opts.progress,
    )
    catalog_cache = opts.cache_dir.parent / "catalogs" if opts.cache_dir else None
    with contextlib.ExitStack() as stack:
        schemas = [
            stack.enter_context(Schema(options, dialects, cache_dir=catalog_cache, progress=opts.progress))
            for options in (schema, *histories)
        ]
        for each in schemas:
            each.check_configuration()
        if opts.verify:
            from schema_parity.verify import check_verifiable, verify_reports

            if len(schemas) > 1:
                raise ConfigError("--verify checks one history; run it for each history in turn (--ini-section)")
            check_verifiable(schemas[0].options)
        raw, reports = _judge_all(
            scanned.sites, scanned.problems, schemas=schemas, dialects=dialects, opts=opts, root=root
        )
        failed = [s for s in schemas if s.failures and all(d in s.failures for d in dialects)]
        if failed:
            raise next(iter(failed[0].failures.values()))  # no engine could run the migrations: nothing was judged
        primary = schemas[0]
        if opts.verify:
            reports, disagreements = verify_reports(reports, primary)
            raw.extend(disagreements)
        built_from = [each.replay_inputs() for each in schemas] if opts.cache_dir is not None else [None]
        inputs = None if None in built_from else (*scanned.walked, *(str(p) for ps in built_from if ps for p in ps))
        return _triage(
            raw,
            opts,
            directives=scanned.directives,
            root=root,
            base=CheckResult(
                findings=(),
                sites=tuple(reports),
                notes=tuple(dict.fromkeys(n for s in schemas for n in s.notes)),
                files_scanned=scanned.files_scanned,
                dialects=tuple(dialects),
                schema_sources=tuple(sorted({source for s in schemas for source in s.sources()})),
                files_parsed=scanned.files_parsed,
                diff_base=opts.changes.base if opts.changes else None,
                engines={d: primary.engines[d] for d in dialects if d in primary.engines},
                judged_against=tuple(s.judged_against(root) for s in schemas if s.used),
                inputs=inputs,
            ),
        )


def _judge_all(
    sites: list[Site],
    problems: list[ScanProblem],
    *,
    schemas: list[Schema],
    dialects: Sequence[Dialect],
    opts: CheckOptions,
    root: Path,
) -> tuple[list[tuple[Finding, str]], list[SiteReport]]:
    """Every site judged for each dialect against the history that owns it; the schema is built only for what the
    sites need (none: nothing)."""
    primary = schemas[0]
    if opts.changes is not None and sites:
        if opts.changes.touches_file_under([p for s in schemas for p in s.schema_paths()]):
            primary.notes.append(f"the schema changed since {opts.changes.base}: every site is checked")
        else:
            sites = [s for s in sites if opts.changes.touches(root / s.path, *_statement_lines(s))]
            problems = [p for p in problems if opts.changes.touches(root / p.path, 0, 1 << 30)]
    raw: list[tuple[Finding, str]] = [(_problem_finding(p), "") for p in problems]
    reports: list[SiteReport] = []
    owners = {dialect: _owners(sites, schemas, dialect, root) for dialect in dialects}
    for dialect in dialects:  # every revision the sites need, built in one pass through each history per dialect
        for catalogs in schemas:
            needed = [
                s.revision or catalogs.options.revision
                for s in sites
                if s.dialect in (None, dialect) and owners[dialect][id(s)] is catalogs
            ]
            catalogs.prepare(needed, (dialect,))
    for site in sites:
        verdicts: list[Verdict] = []
        table = target = None
        history = None
        found: list[tuple[Problem, Dialect, str | None]] = []
        for dialect in dialects:
            if site.dialect is not None and site.dialect != dialect:
                continue
            catalogs = owners[dialect][id(site)]
            if len(schemas) > 1:
                history = catalogs.describe()
            if site.revision is not None and not catalogs.is_alembic:
                # A statement inside a revision runs against the schema of that revision, which a database or DDL
                # files (one state of the schema) do not describe: judging it against them would be a guess.
                verdict = Verdict.unresolved(
                    dialect, Problem.of("SP901", "revision-statement", revision=site.revision)
                )
                table = target = None
            else:
                catalog = catalogs.at(site.revision, dialect) if site.revision is not None else catalogs.head(dialect)
                if isinstance(catalog, Unavailable):
                    unavailable = Problem.of("SP901", "reason", reason=catalog.reason)
                    verdict, table, target = Verdict.unresolved(dialect, unavailable), None, None
                else:
                    verdict, table, target = judge_site(
                        site, catalog, dialect, postgres_version=catalogs.options.postgres_version
                    )
            verdicts.append(verdict)
            found.extend((problem, dialect, table) for problem in verdict.problems)
        statement = site.sql or site.unresolved or ""
        raw.extend((finding, statement) for finding in one_per_cause(site, found))
        reports.append(SiteReport(site, table, target, tuple(verdicts), history))
        raw.extend(_engine_drift(site, owners, dialects))
    return raw, reports


def one_per_cause(site: Site, found: Sequence[tuple[Problem, Dialect, str | None]]) -> list[Finding]:
    """One finding per rule, root cause and fix among a site's problems on every dialect, listing the dialects it
    applies to (in the order judged) with the first one's words: a misspelt column is one SP202, not one per place
    the statement names it on each engine. Problems with no named cause (``Problem.cause``) are the same when their
    words are."""
    groups: dict[tuple[object, ...], list[tuple[Problem, Dialect, str | None]]] = {}
    for problem, dialect, table in found:
        cause = ("cause", *problem.cause) if problem.cause else ("words", problem.message)
        groups.setdefault((problem.rule, cause, problem.hint), []).append((problem, dialect, table))
    out = []
    for members in groups.values():
        problem, dialect, table = members[0]
        finding = Finding.from_problem(problem, site=site, dialect=dialect, table=table)
        out.append(replace(finding, dialects=tuple(dict.fromkeys(d for _, d, _ in members))))
    return out


def _engine_drift(
    site: Site, owners: Mapping[Dialect, Mapping[int, Schema]], dialects: Sequence[Dialect]
) -> list[tuple[Finding, str]]:
    """SP5xx: the table the site writes has other keys on SQLite than on PostgreSQL (see engine_drift.py). Judged
    when both engines' schemas of the same source are at hand and both find the table."""
    if site.sql is None or site.dialect is not None or not {"sqlite", "postgresql"} <= set(dialects):
        return []
    schema = owners["sqlite"][id(site)]
    if owners["postgresql"][id(site)] is not schema or (site.revision is not None and not schema.is_alembic):
        return []
    tables = []
    for dialect in ("sqlite", "postgresql"):
        catalog = schema.at(site.revision, dialect) if site.revision is not None else schema.head(dialect)
        try:
            upsert = parse_upsert(site.sql, dialect)
        except UpsertParseError:
            return []
        table = resolve_table(upsert, catalog, dialect) if isinstance(catalog, Catalog) else None
        if table is None:
            return []
        tables.append(table)
    from schema_parity.engine_drift import table_drift  # only a check of both engines gets here

    return [
        (
            Finding(
                rule=drift.rule,
                severity=rule_for(drift.rule).severity,
                path=site.path,
                line=site.line,
                column=site.column,
                dialects=(),
                table=tables[1].qualified_name,
                message=drift.message,
                hint=drift.hint,
            ),
            site.sql,
        )
        for drift in table_drift(tables[0], tables[1])
    ]


def _owners(sites: list[Site], schemas: list[Schema], dialect: Dialect, root: Path) -> dict[int, Schema]:
    """The history each site is judged against: a statement inside a revision file, the history the file belongs
    to; any other, the first history whose head has the table it names (else the first history)."""
    if len(schemas) == 1:
        return {id(site): schemas[0] for site in sites}
    owners: dict[int, Schema] = {}
    for site in sites:
        owner = schemas[0]
        if site.revision is not None:
            path = (root / site.path).resolve()
            owner = next((s for s in schemas if any(path.is_relative_to(d) for d in s.schema_paths())), owner)
        elif site.sql is not None:
            try:
                named = parse_upsert(site.sql, dialect).table.text.lower()
            except UpsertParseError:
                named = None
            for candidate in schemas:
                catalog = candidate.head(dialect) if named else None
                if isinstance(catalog, Catalog) and any(t.name.lower() == named for t in catalog.tables):
                    owner = candidate
                    break
        owners[id(site)] = owner
    return owners


def _triage(
    raw: list[tuple[Finding, str]],
    opts: CheckOptions,
    *,
    directives: Sequence[Directive],
    root: Path,
    base: CheckResult,
) -> CheckResult:
    """Select and re-level rules, then set aside suppressed and baselined findings, in that order."""
    selection = opts.selection
    suppressor = Suppressor(directives)
    anchor = (opts.project_root or root).resolve()
    fingerprints: dict[Finding, str] = {}
    parts: dict[Finding, tuple[str, ...]] = {}
    active: list[Finding] = []
    suppressed: list[Finding] = []
    for found, statement in raw:
        if not selection.enabled(found.rule):
            continue
        finding = replace(found, severity=selection.level(found.rule, found.severity))
        path = project_path(root, finding.path, anchor)
        fingerprints[finding] = fingerprint(finding, path, statement)
        parts[finding] = dialect_fingerprints(finding, path, statement)
        (suppressed if suppressor.suppressed(finding) else active).append(finding)
    if opts.report_unused_suppressions and selection.enabled(UNUSED_SUPPRESSION.code):
        enabled = {code: selection.enabled(code) for code in RULES}
        level = selection.level(UNUSED_SUPPRESSION.code, UNUSED_SUPPRESSION.severity)
        for unused in suppressor.unused(enabled):
            finding = replace(unused, severity=level)
            fingerprints[finding] = fingerprint(finding, project_path(root, finding.path, anchor), "")
            parts[finding] = (fingerprints[finding],)
            active.append(finding)
    kept: list[Finding] = []
    baselined: list[Finding] = []
    for finding in active:
        (baselined if opts.baseline and opts.baseline.absorbs(parts[finding]) else kept).append(finding)
    return replace(
        base,
        findings=tuple(sorted(kept, key=Finding.sort_key)),
        suppressed=tuple(sorted(suppressed, key=Finding.sort_key)),
        baselined=tuple(sorted(baselined, key=Finding.sort_key)),
        fingerprints=fingerprints,
        dialect_fingerprints=parts,
    )


def project_path(root: Path, path: str, anchor: Path) -> str:
    """``path`` (relative to ``root``) made relative to ``anchor``, with forward slashes."""
    return Path(os.path.relpath(root / path, anchor)).as_posix() if root != anchor else path


def _statement_lines(site: Site) -> tuple[int, int]:
    """First and last line of the statement (the SQL text's own line breaks)."""
    return site.line, site.line + (site.sql.count("\n") if site.sql else 0)


def _problem_finding(problem: ScanProblem) -> Finding:
    rule = rule_for("SP903")
    said = rule.say("unreadable-file", reason=problem.message)
    return Finding(
        rule=rule.code,
        severity=rule.severity,
        path=problem.path,
        line=problem.line,
        column=1,
        dialects=(),
        table=None,
        message=said.message,
        hint=said.hint,
    )
