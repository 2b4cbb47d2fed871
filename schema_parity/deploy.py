"""``check --deploy-from REV``: every upsert judged against both sides of a deploy (docs/deploy.md).

A deploy runs, for a while, the old code against the new schema (migrations first) or the new code against the old
schema (code first). The old schema is the Alembic revision production runs: ``REV`` itself (run from the current
files), or the head of the history as it was at the git ref ``REV``, run from the revision files of that tree, so a
revision edited since is judged as production ran it. The new one is the configured revision (``head``). The old
code is the tree at the git ref (``REV``, or the merge-base with ``--diff-base``), or the working tree when only the
migrations changed. With several histories, each has its own pair of revisions (``REV`` must then be a git ref),
and each site is judged against the history that owns its table. Each site of the old code is judged against the new
schema and each site of the new code against the old one; a state that fails only in the middle of the deploy (not
before it, not after it) makes that order unsafe for the site, and the revision that breaks (or mends) the site is
named. Every step is the ordinary check: the scan entry gives sites, :class:`~schema_parity.sources.Schema` one
Catalog per revision (built in one pass through the history per engine), and :func:`~schema_parity.check.judge_site`
the verdicts.
"""

from __future__ import annotations

import ast
import io
import os
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from schema_parity.catalog import Catalog, Dialect
from schema_parity.config import Settings
from schema_parity.errors import ConfigError
from schema_parity.findings import Finding
from schema_parity.rules import Severity, rule_for
from schema_parity.sites import Site
from schema_parity.sites.scan import ScanResult, scan
from schema_parity.sources import Schema, Unavailable
from schema_parity.upsert import UpsertParseError, parse_upsert
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
    history: str | None = None
    """The history the site was judged against, when the project has several (as in the ordinary check)."""

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
class DeployHistory:
    """One Alembic history's two revisions: the one production runs and the one the deploy brings."""

    name: str
    """The history's config file (and ini section) or script location."""
    old_revision: str
    new_revision: str


@dataclass(frozen=True)
class DeployReport:
    """The whole deploy: both sides, each site's safe order, and the deploy's."""

    deploy_from: str
    old_revision: str
    new_revision: str
    """The first (or only) history's revisions; ``histories`` has each one's."""
    old_code: str
    """``the tree at <ref> (<sha>)`` or ``the working tree``."""
    order: DeployOrder
    sites: tuple[DeploySite, ...] = field(default=())
    histories: tuple[DeployHistory, ...] = field(default=())

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
            "histories": [
                {"history": h.name, "old_revision": h.old_revision, "new_revision": h.new_revision}
                for h in self.histories
            ],
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
                    "history": s.history,
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
        if len(self.histories) > 1:
            revisions = ", ".join(f"{h.old_revision} to {h.new_revision} ({h.name})" for h in self.histories)
            deploy = f"deploy from {self.old_code}: {revisions}"
        else:
            deploy = f"deploy from {self.old_revision} ({self.old_code}) to {self.new_revision}"
        return (
            f"{deploy}: {safe}; "
            f"{len(self.sites)} site(s): {counts['both']} safe both ways, {counts['migrations-first']} only "
            f"migrations first, {counts['code-first']} only code first, {counts['neither']} neither, "
            f"{counts['unresolved']} unresolved"
        )


@dataclass(frozen=True)
class DeploySides:
    """What ``--deploy-from`` resolved to: each history's old Alembic revision and where the old code is."""

    old_revisions: tuple[str, ...]
    """One per history, in the order of the configuration (the main history first)."""
    old_commit: str | None
    """The commit whose tree is the old code (None: the working tree)."""
    described: str
    schema_commit: str | None = None
    """The commit whose revision files build the old schema (a git ref); None: the current files (a revision)."""
    edited: tuple[tuple[str, ...], ...] = ()
    """Per history, the revisions production has run whose file the change edited (base first)."""


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


def resolve_sides(
    schemas: Sequence[Schema], deploy_from: str, *, cwd: Path, code_base: str | None
) -> DeploySides:
    """``deploy_from`` as an Alembic revision of the history (checked first), else as a git ref whose revision files
    give each history's old head. A revision id names one history's old revision only: with several histories it
    is a usage error that asks for a git ref. ``code_base`` (``--diff-base``) names the old code: the merge-base
    of HEAD with it."""
    what = f"--deploy-from {deploy_from}"
    several = len(schemas) > 1
    named = [] if deploy_from in ("head", "heads", "base") else [s for s in schemas if s.project().knows(deploy_from)]
    old_commit = schema_commit = None
    old_revisions: tuple[str, ...]
    edited: tuple[tuple[str, ...], ...] = ((),) * len(schemas)
    if named and not several:
        old_revisions = (schemas[0].project().resolve(deploy_from),)
        described = "the working tree"
    elif named:
        raise ConfigError(
            f"{what}: a revision of {' and of '.join(_history_name(s) for s in named)}, but this project has "
            f"{len(schemas)} histories ({'; '.join(_history_name(s) for s in schemas)}), and one revision id does not "
            "say which revision production runs in the others: give a git ref instead (the commit, tag or branch "
            "production runs), whose revision files give each history's old head"
        )
    else:
        top = _toplevel(cwd, what)
        commit = _commit(top, deploy_from)
        if commit is None:
            histories = "; ".join(_history_name(s) for s in schemas)
            raise ConfigError(
                f"{what}: neither a revision of the histor{'ies' if several else 'y'} {histories} nor a git ref of "
                "this repository (is it fetched?)"
            )
        heads = [_head_at(top, commit, s, what, several=several) for s in schemas]
        old_revisions = tuple(head for head, _ in heads)
        edited = tuple(changed for _, changed in heads)
        old_commit = schema_commit = commit
        described = f"the tree at {deploy_from} ({commit[:12]})"
    if code_base is not None:
        top = _toplevel(cwd, f"--diff-base {code_base}")
        merge_base = _git(top, "merge-base", "HEAD", code_base, what=f"--diff-base {code_base}").strip()
        old_commit = merge_base
        described = f"the tree at the merge-base with {code_base} ({merge_base[:12]})"
    return DeploySides(old_revisions, old_commit, described, schema_commit, edited)


def _history_name(schema: Schema) -> str:
    return schema.describe() or str(schema.project().script_location)


def _head_at(
    top: Path, commit: str, schema: Schema, what: str, *, several: bool = False
) -> tuple[str, tuple[str, ...]]:
    """The head of the history as the files at ``commit`` have it: the revision ids their revision files declare
    (read, never run), the one no other builds on; and the revisions up to it whose file is not the same now."""
    project = schema.project()
    which = f" {_history_name(schema)}" if several else ""
    declared: dict[str, bytes] = {}
    for directory in project.version_dirs:
        try:
            relative = directory.resolve().relative_to(top)
        except ValueError:
            raise ConfigError(f"{what}: the migrations ({directory}) are outside the git repository {top}") from None
        listing = _git(top, "ls-tree", "-r", "--name-only", commit, "--", relative.as_posix() or ".", what=what)
        for name in listing.splitlines():
            if name.endswith(".py"):
                text = _git_bytes(top, "show", f"{commit}:{name}", what=what)
                declared.update(dict.fromkeys(_declared_revision(text), text))
    known = {r for r in declared if project.knows(r)}
    if not known:
        raise ConfigError(f"{what}: the tree at {commit[:12]} has no revision of the current history{which}")
    heads = sorted(r for r in known if not any(r != other and r in project.ancestors(other) for other in known))
    if len(heads) != 1:
        raise ConfigError(
            f"{what}: the history{which} at {commit[:12]} has {len(heads)} heads ({', '.join(heads)})"
            + ("" if several else "; give the revision production runs instead (--deploy-from REVISION)")
        )
    deployed = project.ancestors(heads[0])
    edited = tuple(
        script.revision
        for script in project.revisions()
        if script.revision in deployed and script.revision in declared
        and Path(script.path).read_bytes() != declared[script.revision]
    )  # fmt: skip
    return heads[0], edited


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
def old_tree(cwd: Path, commit: str) -> Iterator[tuple[Path, Path]]:
    """The files of ``commit`` in a temporary directory, as ``(toplevel, copy)``; the working tree is untouched."""
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


def _written(site: Site) -> tuple[str, str | None] | None:
    """The table and the conflict target as the statement writes them (lower-cased, spaces normalised), or None
    when it cannot be read (built at run time, not parsed by the engine the site is for)."""
    if site.sql is None:
        return None
    for dialect in (site.dialect,) if site.dialect else ("postgresql", "sqlite"):
        try:
            upsert = parse_upsert(site.sql, dialect)
        except UpsertParseError:
            continue
        target = upsert.target_display
        return upsert.table_display.lower(), " ".join(target.lower().split()) if target else None
    return None


def pair_sites(old: Sequence[Site], new: Sequence[Site]) -> list[tuple[Site | None, Site | None]]:
    """The same statement in the old and the new code (same file, same text) is one site; then, within a file, a
    statement on the same table with the same conflict target (its columns or values rewritten), then one on the
    same table (its target rewritten), then the remaining statements in order of appearance; the rest stand alone.
    Each stage pairs in order of appearance."""
    written = {id(site): _written(site) for site in (*old, *new)}
    table = {key: each[0] if each else None for key, each in written.items()}
    stages = (
        lambda o, n: _key(o) == _key(n),
        lambda o, n: o.path == n.path and written[id(o)] is not None and written[id(o)] == written[id(n)],
        lambda o, n: o.path == n.path and table[id(o)] is not None and table[id(o)] == table[id(n)],
        lambda o, n: o.path == n.path,
    )
    left = list(old)
    matched: dict[int, Site] = {}
    for same in stages:
        for site in new:
            if id(site) in matched:
                continue
            match = next((o for o in left if same(o, site)), None)
            if match is not None:
                left.remove(match)
                matched[id(site)] = match
    pairs: list[tuple[Site | None, Site | None]] = [(matched.get(id(site)), site) for site in new]
    pairs.extend((o, None) for o in left)
    return sorted(pairs, key=lambda p: ((p[1] or p[0]).path, (p[1] or p[0]).line))  # type: ignore[union-attr]


@dataclass(frozen=True)
class _History:
    """One history in the deploy: the current files (the new schema and the revisions between) and the old schema
    (the files at the git ref, or the current ones up to the revision given)."""

    schema: Schema
    old: Schema
    old_revision: str
    new_revision: str
    between: list[str]
    """The revisions the deploy runs, in order (the new one last)."""
    name: str | None
    """The history's name when the project has several."""
    edited: tuple[str, ...] = ()
    """Revisions production has run whose file the change edited: the old schema has them as they ran."""

    def steps(self) -> list[tuple[Schema, str]]:
        """The states the current files go through from the old revision to the new one, each a (schema, revision):
        the old revision as edited (when it was), then each revision the deploy runs."""
        edit = [(self.schema, self.old_revision)] if self.edited else []
        return [*edit, *((self.schema, r) for r in self.between)]

    def cause(self, step: tuple[Schema, str], ref: str) -> str:
        """The revision that makes a step's difference, or the edit of revisions production already ran."""
        project = self.schema.project()
        of = f" of the history {self.name}" if self.name else ""
        if step[0] is self.old or step[1] != self.old_revision:
            return f"revision {_revision_name(project, step[1])}{of}"
        edits = ", ".join(_revision_name(project, r) for r in self.edited)
        return (
            f"the edit of revision {edits}{of} since {ref} (production ran it as it was, and does not run it again: "
            "its database keeps the old schema)"
        )


def _old_schema(schema: Schema, tree: tuple[Path, Path], stack: ExitStack, ref: str) -> Schema:
    """The same history as the files in ``tree`` (an extracted commit) have it, sharing the run's PostgreSQL server.
    Cached under the current history's name (the key holds the files' content, never where they are). When the tree
    does not have the history where the configuration now says (it moved since), the current files, with a note."""
    top, copy = tree
    options = schema.options
    moved = replace(
        options,
        alembic_config=_in_tree(options.alembic_config, top, copy) if options.alembic_config else None,
        script_location=_in_tree(options.script_location, top, copy) if options.script_location else None,
        search_from=_in_tree(options.search_from, top, copy) if options.search_from else None,
    )
    old = stack.enter_context(
        Schema(moved, schema.dialects, schema.cache_dir, postgres=schema.postgres, label=schema.label)
    )
    try:
        old.check_configuration()
    except ConfigError as exc:
        reason = str(exc).split(". ")[0].replace(f"{copy}{os.sep}", f"{ref}:")
        schema.notes.append(
            f"the history {_history_name(schema)} cannot be loaded from the tree at {ref} as configured now "
            f"({reason}): its old schema is built from the current revision files instead, up to the old revision"
        )
        return schema
    return old


def _histories(
    schemas: Sequence[Schema], sides: DeploySides, trees: _Trees, deploy_from: str
) -> list[_History]:
    what = f"--deploy-from {deploy_from}"
    histories: list[_History] = []
    for schema, old_revision in zip(schemas, sides.old_revisions, strict=True):
        project = schema.project()
        new_revision = project.resolve(schema.options.revision)
        if new_revision in ("head", "heads"):
            new_revision = project.heads()[0] if len(project.heads()) == 1 else new_revision
        name = _history_name(schema) if len(schemas) > 1 else None
        if old_revision not in project.ancestors(new_revision):
            raise ConfigError(
                f"{what}: revision {old_revision} is not one the new revision {new_revision} builds on"
                + (f" in the history {name}" if name else "")
                + " (a deploy that goes back is not checked)"
            )
        ahead = project.ancestors(new_revision) - project.ancestors(old_revision)
        between = [r.revision for r in project.revisions() if r.revision in ahead]
        old = schema
        if sides.schema_commit is not None:
            old = _old_schema(schema, trees.get(sides.schema_commit), trees.stack, deploy_from)
        edited = sides.edited[len(histories)] if sides.edited else ()
        histories.append(_History(schema, old, old_revision, new_revision, between, name, edited))
    return histories


class _Trees:
    """The commits extracted for the run (the old code's and the old schema's: often one), removed at its end."""

    def __init__(self, cwd: Path, stack: ExitStack) -> None:
        self.cwd = cwd
        self.stack = stack
        self._trees: dict[str, tuple[Path, Path]] = {}

    def get(self, commit: str) -> tuple[Path, Path]:
        if commit not in self._trees:
            self._trees[commit] = self.stack.enter_context(old_tree(self.cwd, commit))
        return self._trees[commit]


def _owner(pair: tuple[Site | None, Site | None], histories: Sequence[_History], dialect: Dialect) -> _History:
    """The history a site is judged against: as in the ordinary check, the first whose schema has the table the
    statement names (the new schema, else the old one: a table the deploy creates or drops), else the first."""
    if len(histories) == 1:
        return histories[0]
    for site in pair:
        if site is None or site.sql is None:
            continue
        try:
            named = parse_upsert(site.sql, dialect).table.text.lower()
        except UpsertParseError:
            continue
        for history in histories:
            new_catalog = history.schema.at(history.new_revision, dialect)
            for catalog in (new_catalog, history.old.at(history.old_revision, dialect)):
                if isinstance(catalog, Catalog) and any(t.name.lower() == named for t in catalog.tables):
                    return history
    return histories[0]


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
    with ExitStack() as stack:
        schemas = [
            stack.enter_context(Schema(options, dialects, cache_dir=catalog_cache))
            for options in (settings.schema, *settings.histories)
        ]
        for each in schemas:
            each.check_configuration()
        sides = resolve_sides(schemas, deploy_from, cwd=cwd, code_base=code_base)
        trees = _Trees(cwd, stack)
        histories = _histories(schemas, sides, trees, deploy_from)
        if sides.old_commit is None:
            old_scan = new_scan
        else:
            top, copy = trees.get(sides.old_commit)
            old_root = _in_tree(cwd, top, copy)
            paths = [p for p in (_in_tree(p, top, copy) for p in settings.paths) if p.exists()]
            old_scan = scan(paths, root=old_root, **scan_options) if paths else ScanResult([], [], [], 0, 0)  # type: ignore[arg-type]
        for history in histories:
            for dialect in dialects:
                history.schema.prepare([r for _, r in history.steps()], (dialect,))
                history.old.prepare([history.old_revision], (dialect,))

        def verdict(site: Site, schema: Schema, revision: str, dialect: Dialect) -> Verdict:
            catalog = schema.at(revision, dialect)
            if isinstance(catalog, Unavailable):
                return Verdict.unresolved(dialect, Problem.of("SP901", "reason", reason=catalog.reason))
            return judge_site(site, catalog, dialect, postgres_version=schema.options.postgres_version)[0]

        findings: list[Finding] = []
        sites: list[DeploySite] = []
        old_sites, new_sites = _code_sites(old_scan), _code_sites(new_scan)
        for old, new in pair_sites(old_sites, new_sites):
            first: Safety = "safe"
            code: Safety = "safe"
            reasons: list[str] = []
            problems: list[tuple[str, Dialect, str, str]] = []  # (order, dialect, message, hint)
            judged_in: set[str] = set()
            # The same statement in both (``kept``): the old code on the new schema is then also the state after the
            # deploy, and the new code on the old schema the state before it. A revision that breaks it breaks it
            # whatever the order; a statement already failing before the deploy is the ordinary check's.
            kept = old is not None and new is not None and _key(old) == _key(new)
            for dialect in dialects:
                history = _owner((new, old), histories, dialect)
                newest: tuple[Schema, str] = (history.schema, history.new_revision)
                oldest: tuple[Schema, str] = (history.old, history.old_revision)
                if history.new_revision == history.old_revision:
                    newest = oldest  # nothing to deploy: production keeps the schema it has
                if history.name:
                    judged_in.add(history.name)
                if old is not None and old.dialect in (None, dialect):
                    during = verdict(old, *newest, dialect)
                    before = verdict(old, *oldest, dialect)
                    if during.status == "error" and before.status != "error":
                        breaker = next(
                            (step for step in history.steps() if verdict(old, *step, dialect).status == "error"),
                            newest,
                        )
                        message = rule_for("SP601").text(
                            "breaks-kept-statement" if kept else "breaks-old-code",
                            dialect=dialect,
                            cause=history.cause(breaker, deploy_from),
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
                    during = verdict(new, *oldest, dialect)
                    after = verdict(new, *newest, dialect)
                    if during.status == "error" and after.status != "error":
                        mender = next(
                            (step for step in history.steps() if verdict(new, *step, dialect).status != "error"),
                            newest,
                        )
                        message = rule_for("SP602").text(
                            "fails-on-old-schema",
                            dialect=dialect,
                            cause=history.cause(mender, deploy_from),
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
            site = DeploySite(
                *where, old=old, new=new, migrations_first=first, code_first=code, reasons=tuple(reasons),
                history=", ".join(sorted(judged_in)) or None,
            )  # fmt: skip
            sites.append(site)
            findings.extend(_findings(site, problems, order, where_old=new is None, sides=sides, kept=kept))
        report = DeployReport(
            deploy_from=deploy_from,
            old_revision=histories[0].old_revision,
            new_revision=histories[0].new_revision,
            old_code=sides.described,
            order=order,
            sites=tuple(sites),
            histories=tuple(
                DeployHistory(_history_name(h.schema), h.old_revision, h.new_revision) for h in histories
            ),
        )
        primary = schemas[0]
        engines = {d: primary.engines[d] for d in dialects if d in primary.engines}
        notes = [n for h in histories for each in (h.schema, h.old) for n in each.notes]
        notes += [_edited_note(h, deploy_from) for h in histories if h.edited]
    if order == "any" and report.safe_order == "neither":  # every order is unsafe: each finding is an error
        findings = [f if f.rule == "SP603" else _with_severity(f, "error") for f in findings]
    return findings, report, new_scan, engines, notes


def _edited_note(history: _History, ref: str) -> str:
    project = history.schema.project()
    names = ", ".join(_revision_name(project, r) for r in history.edited)
    of = f" of the history {history.name}" if history.name else ""
    old = "the old schema is built from the file as it was" if history.old is not history.schema else (
        "the old schema is built from the current files too (see the note above)"
    )
    return (
        f"the change edits revision {names}{of}, which production already ran ({ref}): {old}, the new one from the "
        "file as it is now, which a fresh database gets but production's database never does (Alembic does not run "
        "a revision twice); put the change in a new revision"
    )


def _with_severity(finding: Finding, severity: Severity) -> Finding:
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
                dialects=(dialect,), table=None, message=said.message, hint=said.hint,
            )
        )
    if site.safe_order == "neither":
        neither = rule_for("SP603")
        said = neither.say("kept-statement" if kept else "changed-statement", located=located)
        out.append(
            Finding(
                rule="SP603", severity=neither.severity, path=site.path, line=site.line, column=site.column,
                dialects=(), table=None, message=said.message, hint=said.hint,
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
