"""``check --deploy-from REV``: every upsert judged against both sides of a deploy (docs/deploy.md).

A deploy runs, for a while, the old code against the new schema (migrations first) or the new code against the old
schema (code first). The old schema is the Alembic revision production runs (``REV`` itself, or the head of the
history as it was at the git ref ``REV``); the new one is the configured revision (``head``). The old code is the
tree at the git ref (``REV``, or the merge-base with ``--diff-base``), or the working tree when only the migrations
changed. Each site of the old code is judged against the new schema and each site of the new code against the old
one; a state that fails only in the middle of the deploy (not before it, not after it) makes that order unsafe for
the site, and the revision that breaks (or mends) the site is named. Every step is the ordinary check: the scan
entry gives sites, :class:`~schema_parity.sources.Schema` one Catalog per revision (built in one pass through the
history per engine), and :func:`~schema_parity.check.judge_site` the verdicts.
"""

from __future__ import annotations

import ast
import io
import os
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from schema_parity.catalog import Dialect
from schema_parity.config import Settings
from schema_parity.errors import ConfigError
from schema_parity.findings import Finding
from schema_parity.rules import Severity, rule_for
from schema_parity.sites import Site
from schema_parity.sites.scan import ScanResult, scan
from schema_parity.sources import Schema, Unavailable
from schema_parity.verdicts import Problem, Verdict

if TYPE_CHECKING:
    from schema_parity.check import CheckResult

DeployOrder = Literal["any", "migrations-first", "code-first"]
DEPLOY_ORDERS: tuple[DeployOrder, ...] = ("any", "migrations-first", "code-first")
Safety = Literal["safe", "unsafe", "unresolved"]


@dataclass(frozen=True)
class DeploySite:
    """One upsert as the old and the new code have it (either may be absent), and what each order does to it."""

    path: str
    line: int
    column: int
    old: Site | None
    new: Site | None
    migrations_first: Safety
    code_first: Safety
    reasons: tuple[str, ...] = ()
    """Why an order is unsafe or undecided, one sentence each."""

    @property
    def safe_order(self) -> str:
        """``both``, ``migrations-first``, ``code-first``, ``neither`` or ``unresolved``."""
        orders = (self.migrations_first, self.code_first)
        if orders == ("safe", "safe"):
            return "both"
        if "unsafe" not in orders:
            return "unresolved"
        if orders == ("unsafe", "unsafe"):
            return "neither"
        if self.migrations_first == "unsafe":
            return "code-first" if self.code_first == "safe" else "unresolved"
        return "migrations-first" if self.migrations_first == "safe" else "unresolved"


@dataclass(frozen=True)
class DeployReport:
    """The whole deploy: both sides, each site's safe order, and the deploy's."""

    deploy_from: str
    old_revision: str
    new_revision: str
    old_code: str
    """``the tree at <ref> (<sha>)`` or ``the working tree``."""
    order: DeployOrder
    sites: tuple[DeploySite, ...] = field(default=())

    @property
    def migrations_first_safe(self) -> bool:
        return all(s.migrations_first != "unsafe" for s in self.sites)

    @property
    def code_first_safe(self) -> bool:
        return all(s.code_first != "unsafe" for s in self.sites)

    @property
    def safe_order(self) -> str:
        """``both``, ``migrations-first``, ``code-first`` or ``neither`` (unresolved sites do not decide it)."""
        first, code = self.migrations_first_safe, self.code_first_safe
        return "both" if first and code else "migrations-first" if first else "code-first" if code else "neither"

    def to_dict(self) -> dict[str, object]:
        return {
            "deploy_from": self.deploy_from,
            "old_revision": self.old_revision,
            "new_revision": self.new_revision,
            "old_code": self.old_code,
            "order": self.order,
            "safe_order": self.safe_order,
            "sites": [
                {
                    "path": s.path,
                    "line": s.line,
                    "column": s.column,
                    "in_old_code": s.old is not None,
                    "in_new_code": s.new is not None,
                    "migrations_first": s.migrations_first,
                    "code_first": s.code_first,
                    "safe_order": s.safe_order,
                    "reasons": list(s.reasons),
                }
                for s in self.sites
            ],
        }

    def summary_line(self) -> str:
        counts = {k: sum(1 for s in self.sites if s.safe_order == k) for k in
                  ("both", "migrations-first", "code-first", "neither", "unresolved")}
        safe = {
            "both": "either order is safe",
            "migrations-first": "safe order: migrations first, then the code",
            "code-first": "safe order: the code first, then the migrations",
            "neither": "no order is safe: deploy in two steps (see the findings)",
        }[self.safe_order]
        return (
            f"deploy from {self.old_revision} ({self.old_code}) to {self.new_revision}: {safe}; "
            f"{len(self.sites)} site(s): {counts['both']} safe both ways, {counts['migrations-first']} only "
            f"migrations first, {counts['code-first']} only code first, {counts['neither']} neither, "
            f"{counts['unresolved']} unresolved"
        )


@dataclass(frozen=True)
class DeploySides:
    """What ``--deploy-from`` resolved to: the old Alembic revision and where the old code is."""

    old_revision: str
    old_commit: str | None
    """The commit whose tree is the old code (None: the working tree)."""
    described: str


def _git(cwd: Path, *args: str, what: str) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    except FileNotFoundError as exc:
        raise ConfigError(f"{what} needs git, which is not installed") from exc
    if done.returncode != 0:
        raise ConfigError(f"{what}: git {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


def _git_bytes(cwd: Path, *args: str, what: str) -> bytes:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    if done.returncode != 0:
        raise ConfigError(f"{what}: git {' '.join(args)} failed: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout


def _toplevel(cwd: Path, what: str) -> Path:
    try:
        return Path(_git(cwd, "rev-parse", "--show-toplevel", what=what).strip()).resolve()
    except ConfigError as exc:
        raise ConfigError(f"{what}: {cwd} is not inside a git repository") from exc


def _commit(top: Path, ref: str) -> str | None:
    done = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
        cwd=top,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip() if done.returncode == 0 else None


def resolve_sides(schema: Schema, deploy_from: str, *, cwd: Path, code_base: str | None) -> DeploySides:
    """``deploy_from`` as an Alembic revision of the history (checked first), else as a git ref whose history's head
    is the old revision. ``code_base`` (``--diff-base``) names the old code: the merge-base of HEAD with it."""
    what = f"--deploy-from {deploy_from}"
    project = schema.project()
    old_commit: str | None = None
    if deploy_from not in ("head", "heads", "base") and project.knows(deploy_from):
        old_revision = project.resolve(deploy_from)
        described = "the working tree"
    else:
        top = _toplevel(cwd, what)
        commit = _commit(top, deploy_from)
        if commit is None:
            raise ConfigError(
                f"{what}: neither a revision of the history {schema.describe() or project.script_location} nor a git "
                "ref of this repository (is it fetched?)"
            )
        old_revision = _head_at(top, commit, project, what)
        old_commit = commit
        described = f"the tree at {deploy_from} ({commit[:12]})"
    if code_base is not None:
        top = _toplevel(cwd, f"--diff-base {code_base}")
        merge_base = _git(top, "merge-base", "HEAD", code_base, what=f"--diff-base {code_base}").strip()
        old_commit = merge_base
        described = f"the tree at the merge-base with {code_base} ({merge_base[:12]})"
    return DeploySides(old_revision, old_commit, described)


def _head_at(top: Path, commit: str, project: object, what: str) -> str:
    """The head of the history as the files at ``commit`` have it: the revision ids their revision files declare
    (read, never run), the one no other builds on."""
    from schema_parity.sources.alembic import AlembicProject

    assert isinstance(project, AlembicProject)
    declared: set[str] = set()
    for directory in project.version_dirs:
        try:
            relative = directory.resolve().relative_to(top)
        except ValueError:
            raise ConfigError(f"{what}: the migrations ({directory}) are outside the git repository {top}") from None
        listing = _git(top, "ls-tree", "-r", "--name-only", commit, "--", relative.as_posix() or ".", what=what)
        for name in listing.splitlines():
            if name.endswith(".py"):
                text = _git_bytes(top, "show", f"{commit}:{name}", what=what)
                declared.update(_declared_revision(text))
    known = {r for r in declared if project.knows(r)}
    if not known:
        raise ConfigError(f"{what}: the tree at {commit[:12]} has no revision of the current history")
    heads = sorted(r for r in known if not any(r != other and r in project.ancestors(other) for other in known))
    if len(heads) != 1:
        raise ConfigError(
            f"{what}: the history at {commit[:12]} has {len(heads)} heads ({', '.join(heads)}); give the revision "
            "production runs instead (--deploy-from REVISION)"
        )
    return heads[0]


def _declared_revision(source: bytes) -> list[str]:
    """``revision = "abc"`` (or ``revision: str = "abc"``) at the top level of a revision file."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    found = []
    value: ast.expr | None
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign):
            targets, value = [node.target], node.value
        else:
            continue
        named = any(isinstance(t, ast.Name) and t.id == "revision" for t in targets)
        if named and isinstance(value, ast.Constant) and isinstance(value.value, str):
            found.append(value.value)
    return found


@contextmanager
def old_tree(cwd: Path, commit: str | None) -> Iterator[tuple[Path, Path] | None]:
    """The files of ``commit`` in a temporary directory, as ``(toplevel, copy)``; the working tree is untouched."""
    if commit is None:
        yield None
        return
    top = _toplevel(cwd, "--deploy-from")
    archive = _git_bytes(top, "archive", "--format=tar", commit, what="--deploy-from")
    with tempfile.TemporaryDirectory(prefix="schema-parity-deploy-") as tmp:
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(tmp, filter="data")
        yield top, Path(tmp)


def _in_tree(path: Path, top: Path, copy: Path) -> Path:
    try:
        return copy / path.resolve().relative_to(top)
    except ValueError:
        raise ConfigError(f"--deploy-from: {path} is outside the git repository {top}") from None


def _code_sites(scanned: ScanResult) -> list[Site]:
    """The application's statements: not those inside revision files (they run during the migration itself)."""
    return [s for s in scanned.sites if s.revision is None]


def _key(site: Site) -> tuple[str, str]:
    return site.path, " ".join((site.sql or site.unresolved or "").split())


def pair_sites(old: Sequence[Site], new: Sequence[Site]) -> list[tuple[Site | None, Site | None]]:
    """The same statement in the old and the new code (same file, same text) is one site; then the remaining
    statements of a file are paired in order of appearance (a statement the change rewrote); the rest stand alone."""
    pairs: list[tuple[Site | None, Site | None]] = []
    left = list(old)
    unmatched_new: list[Site] = []
    for site in new:
        match = next((o for o in left if _key(o) == _key(site)), None)
        if match is not None:
            left.remove(match)
            pairs.append((match, site))
        else:
            unmatched_new.append(site)
    for site in unmatched_new:
        match = next((o for o in left if o.path == site.path), None)
        if match is not None:
            left.remove(match)
        pairs.append((match, site))
    pairs.extend((o, None) for o in left)
    return sorted(pairs, key=lambda p: ((p[1] or p[0]).path, (p[1] or p[0]).line))  # type: ignore[union-attr]


def run_deploy_check(
    settings: Settings,
    *,
    deploy_from: str,
    order: DeployOrder = "any",
    code_base: str | None = None,
) -> tuple[list[Finding], DeployReport, ScanResult, dict[Dialect, str], list[str]]:
    """Judge both sides of the deploy: the findings (SP6xx), the report, the new code's scan, what each dialect's
    schema came from, and the notes of the schema sources."""
    from schema_parity.check import judge_site

    if not settings.schema.is_alembic:
        raise ConfigError("--deploy-from compares two revisions of an Alembic history: configure the migrations")
    if settings.histories:
        raise ConfigError("--deploy-from checks one history; run it for each history in turn (--ini-section)")
    cwd = settings.root.resolve()
    dialects = settings.dialects
    catalog_cache = settings.cache_dir.parent / "catalogs" if settings.cache_dir else None
    scan_options = {
        "exclude": settings.exclude,
        "wrappers": settings.wrappers,
        "max_file_size": settings.max_file_size,
        "jobs": settings.jobs,
    }
    new_scan = scan(settings.paths, root=cwd, cache_dir=settings.cache_dir, **scan_options)  # type: ignore[arg-type]
    with Schema(settings.schema, dialects, cache_dir=catalog_cache) as schema:
        schema.check_configuration()
        sides = resolve_sides(schema, deploy_from, cwd=cwd, code_base=code_base)
        project = schema.project()
        new_revision = project.resolve(settings.schema.revision)
        if new_revision in ("head", "heads"):
            new_revision = project.heads()[0] if len(project.heads()) == 1 else new_revision
        if sides.old_revision not in project.ancestors(new_revision):
            raise ConfigError(
                f"--deploy-from {deploy_from}: revision {sides.old_revision} is not one the new revision "
                f"{new_revision} builds on (a deploy that goes back is not checked)"
            )
        between = [
            r.revision
            for r in project.revisions()
            if r.revision in project.ancestors(new_revision) - project.ancestors(sides.old_revision)
        ]
        with old_tree(cwd, sides.old_commit) as tree:
            if tree is None:
                old_scan = new_scan
            else:
                top, copy = tree
                old_root = _in_tree(cwd, top, copy)
                paths = [p for p in (_in_tree(p, top, copy) for p in settings.paths) if p.exists()]
                old_scan = (
                    scan(paths, root=old_root, **scan_options)  # type: ignore[arg-type]
                    if paths
                    else ScanResult([], [], [], 0, 0)
                )
        revisions = [sides.old_revision, *between]
        for dialect in dialects:
            schema.prepare(revisions, (dialect,))

        def verdict(site: Site, revision: str, dialect: Dialect) -> Verdict:
            catalog = schema.at(revision, dialect)
            if isinstance(catalog, Unavailable):
                return Verdict.unresolved(dialect, Problem.of("SP901", "reason", reason=catalog.reason))
            return judge_site(site, catalog, dialect)[0]

        findings: list[Finding] = []
        sites: list[DeploySite] = []
        old_sites, new_sites = _code_sites(old_scan), _code_sites(new_scan)
        for old, new in pair_sites(old_sites, new_sites):
            first: Safety = "safe"
            code: Safety = "safe"
            reasons: list[str] = []
            problems: list[tuple[str, Dialect, str, str]] = []  # (order, dialect, message, hint)
            # The same statement in both (``kept``): the old code on the new schema is then also the state after the
            # deploy, and the new code on the old schema the state before it. A revision that breaks it breaks it
            # whatever the order; a statement already failing before the deploy is the ordinary check's.
            kept = old is not None and new is not None and _key(old) == _key(new)
            for dialect in dialects:
                if old is not None and old.dialect in (None, dialect):
                    during = verdict(old, new_revision, dialect)
                    before = verdict(old, sides.old_revision, dialect)
                    if during.status == "error" and before.status != "error":
                        breaker = next(
                            (r for r in between if verdict(old, r, dialect).status == "error"), new_revision
                        )
                        message = rule_for("SP601").text(
                            "breaks-kept-statement" if kept else "breaks-old-code",
                            dialect=dialect,
                            revision=_revision_name(project, breaker),
                            problem=during.problems[0].message,
                        )
                        problems.append(("migrations-first", dialect, message, during.problems[0].rule))
                        first = "unsafe"
                        if kept:
                            code = "unsafe"
                    elif during.status == "unresolved" and first == "safe":
                        first = "unresolved"
                        reasons.append(f"old code on the new schema ({dialect}): {during.problems[0].message}")
                if kept:
                    continue
                if new is not None and new.dialect in (None, dialect):
                    during = verdict(new, sides.old_revision, dialect)
                    after = verdict(new, new_revision, dialect)
                    if during.status == "error" and after.status != "error":
                        mender = next(
                            (r for r in between if verdict(new, r, dialect).status != "error"), new_revision
                        )
                        message = rule_for("SP602").text(
                            "fails-on-old-schema",
                            dialect=dialect,
                            revision=_revision_name(project, mender),
                            problem=during.problems[0].message,
                        )
                        problems.append(("code-first", dialect, message, during.problems[0].rule))
                        code = "unsafe"
                    elif during.status == "unresolved" and code == "safe":
                        code = "unresolved"
                        reasons.append(f"new code on the old schema ({dialect}): {during.problems[0].message}")
            anchor = new or old
            assert anchor is not None
            where = (anchor.path, anchor.line, anchor.column)
            reasons[:0] = [m for _, _, m, _ in problems]
            site = DeploySite(*where, old=old, new=new, migrations_first=first, code_first=code,
                              reasons=tuple(reasons))
            sites.append(site)
            findings.extend(_findings(site, problems, order, where_old=new is None, sides=sides, kept=kept))
        report = DeployReport(
            deploy_from=deploy_from,
            old_revision=sides.old_revision,
            new_revision=new_revision,
            old_code=sides.described,
            order=order,
            sites=tuple(sites),
        )
        engines = {d: schema.engines[d] for d in dialects if d in schema.engines}
        notes = list(schema.notes)
    if order == "any" and report.safe_order == "neither":  # every order is unsafe: each finding is an error
        findings = [f if f.rule == "SP603" else _with_severity(f, "error") for f in findings]
    return findings, report, new_scan, engines, notes


def _with_severity(finding: Finding, severity: Severity) -> Finding:
    from dataclasses import replace

    return replace(finding, severity=severity)


def _revision_name(project: object, revision: str) -> str:
    """``abc123 ("drop the sku key", versions/abc123_drop.py)``."""
    from schema_parity.sources.alembic import AlembicProject

    assert isinstance(project, AlembicProject)
    script = project.script.get_revision(revision)
    if script is None:
        return revision
    doc = (script.doc or "").strip().splitlines()
    name = os.path.basename(script.path)
    return f"{revision} ({doc[0]!r}, {name})" if doc else f"{revision} ({name})"


def _findings(
    site: DeploySite,
    problems: list[tuple[str, Dialect, str, str]],
    order: DeployOrder,
    *,
    where_old: bool,
    sides: DeploySides,
    kept: bool = False,
) -> list[Finding]:
    out: list[Finding] = []
    located = rule_for("SP601").text("in-old-code", described=sides.described) if where_old else ""
    for each_order, dialect, message, cause in problems:
        code = "SP601" if each_order == "migrations-first" else "SP602"
        rule = rule_for(code)
        severity: Severity = "error" if order == each_order else rule.severity
        said = rule.say("finding", problem=message, cause=cause, located=located)
        out.append(
            Finding(
                rule=code, severity=severity, path=site.path, line=site.line, column=site.column,
                dialect=dialect, table=None, message=said.message, hint=said.hint,
            )
        )
    if site.safe_order == "neither":
        neither = rule_for("SP603")
        said = neither.say("kept-statement" if kept else "changed-statement", located=located)
        out.append(
            Finding(
                rule="SP603", severity=neither.severity, path=site.path, line=site.line, column=site.column,
                dialect=None, table=None, message=said.message, hint=said.hint,
            )
        )
    return out


def check_deploy(
    settings: Settings, *, deploy_from: str, order: DeployOrder = "any", code_base: str | None = None
) -> CheckResult:
    """``check --deploy-from``: the deploy's findings, selected and suppressed as the ordinary check's are (no
    baseline: a deploy is judged whole)."""
    from schema_parity.check import CheckOptions, CheckResult, _triage

    findings, report, scanned, engines, notes = run_deploy_check(
        settings, deploy_from=deploy_from, order=order, code_base=code_base
    )
    return _triage(
        [(f, "") for f in findings],
        CheckOptions(selection=settings.selection, project_root=settings.project_root),
        directives=scanned.directives,
        root=settings.root.resolve(),
        base=CheckResult(
            findings=(),
            sites=(),
            files_scanned=scanned.files_scanned,
            dialects=settings.dialects,
            files_parsed=scanned.files_parsed,
            diff_base=code_base,
            deploy=report,
            engines=engines,
            notes=tuple(dict.fromkeys(notes)),
        ),
    )
