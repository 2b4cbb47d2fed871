"""``schema-parity diff --stairway``: every revision's downgrade undoes its upgrade, on each engine.

The "stairway" test: for each revision in history order, on one database, upgrade to it, downgrade to the revision
before it, upgrade to it again. Two schemas are held against each other with the diff's comparison (keys by what
they are, spelling cosmetic): the schema after downgrade against the schema before the upgrade (a downgrade that
leaves a table, a column or a key behind), and the schema after the second upgrade against the first (a downgrade
that removes what the upgrade cannot re-create as it was). A revision whose upgrade or downgrade fails is reported
with the migration's own error. Running the steps alone would pass where these schemas differ, which is why a
stairway that only runs them "does not catch real differences".
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa

from schema_parity import compat
from schema_parity.catalog import Catalog, Dialect
from schema_parity.compare import Difference, compare
from schema_parity.errors import ConfigError, MigrationError
from schema_parity.sources.spec import Sources, SourceSpec

if TYPE_CHECKING:
    from schema_parity.sources.alembic.project import AlembicProject

__all__ = ["Step", "render_stairway", "stairway", "stairway_dialects"]


@dataclass(frozen=True)
class Step:
    """One revision on one engine: what its round trip changed (nothing, when all is well)."""

    revision: str
    dialect: Dialect
    not_restored: tuple[Difference, ...] = ()
    """Differences between the schema before the upgrade (A) and after the downgrade (B)."""
    not_rebuilt: tuple[Difference, ...] = ()
    """Differences between the schema after the upgrade (A) and after downgrade and upgrade again (B)."""
    error: str | None = None

    @property
    def ok(self) -> bool:
        return not self.not_restored and not self.not_rebuilt and self.error is None


def stairway(spec: SourceSpec, dialects: Sequence[Dialect], sources: Sources) -> list[Step]:
    """The round trip of every revision of the ``alembic:`` history ``spec`` names, on each of ``dialects``, up to
    the spec's revision (default head)."""
    from schema_parity.sources.alembic.project import AlembicProject

    if spec.kind != "alembic":
        raise ConfigError(f"--stairway takes an alembic: source, not {spec.text}")
    path = (sources.cwd / spec.target).resolve()
    config = path / "alembic.ini" if path.is_dir() else path
    project = AlembicProject.load(
        config if config.is_file() else None, script_location=None if config.is_file() else path
    )
    revisions = project.revisions()
    target = project.resolve(spec.revision or "head")
    if any(len(_down(r.down_revision)) > 1 for r in revisions) or len(project.heads()) > 1:
        raise ConfigError(f"--stairway needs a linear history; {spec.text} has branches or merges")
    if target not in ("head", "heads"):
        ancestors = project.ancestors(target)
        revisions = [r for r in revisions if r.revision in ancestors]
    steps: list[Step] = []
    for dialect in dialects:
        with sources.scratch(dialect) as connection:
            steps += _walk(connection, project, [r.revision for r in revisions], dialect)
    return steps


def _down(value: str | Sequence[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def _walk(connection: sa.Connection, project: AlembicProject, revisions: list[str], dialect: Dialect) -> list[Step]:
    from schema_parity.sources.alembic.runner import downgrade, upgrade
    from schema_parity.sources.reflect import PostgresMemo, SqliteMemo, reflect

    # four reflections per revision: a table no step changed is taken from the previous one, not read again
    memo: SqliteMemo | PostgresMemo = PostgresMemo() if dialect == "postgresql" else {}

    def schema() -> Catalog:
        return reflect(connection, memo=memo)

    steps = []
    before = schema()
    previous = "base"
    for revision in revisions:
        try:
            with _committed(connection):
                upgrade(connection, project, revision)
            after = schema()
            with _committed(connection):
                downgrade(connection, project, previous)
            restored = schema()
            with _committed(connection):
                upgrade(connection, project, revision)
            rebuilt = schema()
        except MigrationError as exc:
            steps.append(Step(revision, dialect, error=str(exc)))
            break  # the database is in no known state: later revisions cannot be judged
        steps.append(
            Step(
                revision,
                dialect,
                not_restored=tuple(d for d in compare(before, restored) if not d.cosmetic),
                not_rebuilt=tuple(d for d in compare(after, rebuilt) if not d.cosmetic),
            )
        )
        before, previous = rebuilt, revision
    return steps


@contextmanager
def _committed(connection: sa.Connection) -> Iterator[None]:
    yield
    compat.commit(connection)


def render_stairway(spec: SourceSpec, steps: Sequence[Step]) -> str:
    lines = [f"stairway: {spec.text}: upgrade, downgrade, upgrade each revision"]
    for step in steps:
        if step.ok:
            lines.append(f"  {step.revision} ({step.dialect}): ok")
            continue
        lines.append(f"  {step.revision} ({step.dialect}):")
        if step.error is not None:
            lines.append(f"    {step.error}")
        for difference in step.not_restored:
            lines.append(f"    downgrade leaves (A: before upgrade, B: after downgrade): {difference.describe()}")
        for difference in step.not_rebuilt:
            lines.append(f"    upgrade again differs (A: first upgrade, B: second): {difference.describe()}")
    bad = [s for s in steps if not s.ok]
    lines.append("")
    lines.append(
        f"{len(steps)} round trip(s), all restore the schema" if not bad
        else f"{len(bad)} of {len(steps)} round trip(s) do not restore the schema"
    )  # fmt: skip
    return "\n".join(lines) + "\n"


def stairway_dialects(text: str) -> tuple[Dialect, ...]:
    """The engines a stairway spec names (``#sqlite``, ``#postgresql``), both when it names none."""
    if "#" not in text:
        return ("sqlite", "postgresql")
    return (text.rpartition("#")[2],)  # type: ignore[return-value]

