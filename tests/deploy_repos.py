"""Git repositories of two commits for the deploy tests (``check --deploy-from`` and its pytest items).

Each case is a small Alembic history and two commits of application code: the first commit (tagged ``prod``) is what
production runs, the second the pull request.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.alembic_projects import Revision, write_project

ITEM = (
    "op.create_table('item', sa.Column('id', sa.Integer, primary_key=True), sa.Column('sku', sa.Text), "
    "sa.Column('shop', sa.Text), sa.Column('deleted', sa.Boolean, nullable=False, server_default=sa.false()))"
)
R1 = Revision("a1", None, ITEM)
KEEP = "INSERT INTO item (id) VALUES (1) ON CONFLICT (id) DO NOTHING;\n"
"""A statement both commits have, which no migration touches: safe both ways."""


def upsert(target: str) -> str:
    return f"INSERT INTO item (id, sku, shop) VALUES (1, 'a', 's') ON CONFLICT {target} DO NOTHING;\n"


def partial(where: str) -> str:
    return (
        f"op.create_index('ix_live_sku', 'item', ['sku'], unique=True, postgresql_where=sa.text({where!r}), "
        f"sqlite_where=sa.text({where!r}))"
    )


@dataclass(frozen=True)
class Case:
    """Production runs ``old_key`` (revision a2) with ``old_sql``; the pull request adds ``change`` (a3) and
    ``new_sql``. ``safe`` is the safe order for the changed statement; ``culprit`` the revision its finding names."""

    old_key: str
    change: str
    old_sql: str
    new_sql: str
    safe: str
    rules: tuple[str, ...]
    on_sqlite: tuple[str, tuple[str, ...]] | None = None
    """``(safe, rules)`` where SQLite's rules differ from PostgreSQL's."""


CASES = {
    "key-dropped": Case(
        "op.create_unique_constraint('uq_item_sku', 'item', ['sku'])",
        "op.drop_constraint('uq_item_sku', 'item', type_='unique')",
        upsert("(sku)"),
        upsert("(id)"),
        "code-first",
        ("SP601",),
    ),
    "key-narrowed": Case(
        "op.create_unique_constraint('uq_item_sku_shop', 'item', ['sku', 'shop'])",
        "op.drop_constraint('uq_item_sku_shop', 'item', type_='unique')\n"
        "op.create_unique_constraint('uq_item_sku', 'item', ['sku'])",
        upsert("(sku, shop)"),
        upsert("(sku)"),
        "neither",
        ("SP601", "SP602", "SP603"),
    ),
    "key-widened": Case(
        "op.create_unique_constraint('uq_item_sku', 'item', ['sku'])",
        "op.drop_constraint('uq_item_sku', 'item', type_='unique')\n"
        "op.create_unique_constraint('uq_item_sku_shop', 'item', ['sku', 'shop'])",
        upsert("(sku)"),
        upsert("(sku, shop)"),
        "neither",
        ("SP601", "SP602", "SP603"),
    ),
    "key-added-with-its-code": Case(
        "pass",
        "op.create_unique_constraint('uq_item_sku', 'item', ['sku'])",
        upsert("(id)"),
        upsert("(sku)"),
        "migrations-first",
        ("SP602",),
    ),
    "partial-predicate-changed": Case(
        partial("NOT deleted"),
        "op.drop_index('ix_live_sku', 'item')\n" + partial("NOT deleted AND shop IS NOT NULL"),
        upsert("(sku) WHERE NOT deleted"),
        upsert("(sku) WHERE NOT deleted AND shop IS NOT NULL"),
        "code-first",  # PostgreSQL: the new WHERE implies the old predicate, so the new code works on the old key
        ("SP601",),
        # SQLite matches a partial index only by a target WHERE equal to its predicate: the new code fails too.
        on_sqlite=("neither", ("SP601", "SP602", "SP603")),
    ),
}

#: The exit code of each order (and of ``any``) for a statement whose safe order is the key.
EXITS = {
    "both": {"any": 0, "migrations-first": 0, "code-first": 0},
    "code-first": {"any": 0, "migrations-first": 1, "code-first": 0},
    "migrations-first": {"any": 0, "migrations-first": 0, "code-first": 1},
    "neither": {"any": 1, "migrations-first": 1, "code-first": 1},
}


def git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "-c", "commit.gpgsign=false", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def repository(root: Path, case: Case) -> Path:
    """Commit 1 (tag ``prod``): a1, a2 and the old code; commit 2 (HEAD): a3 and the new code."""
    git(root, "init", "-q", "-b", "main")
    write_project(root, [R1, Revision("a2", "a1", case.old_key)])
    app = root / "app"
    app.mkdir()
    (app / "keep.sql").write_text(KEEP)
    (app / "upsert.sql").write_text(case.old_sql)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "production")
    git(root, "tag", "prod")
    write_project(root, [R1, Revision("a2", "a1", case.old_key), Revision("a3", "a2", case.change)])
    (app / "upsert.sql").write_text(case.new_sql)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "the pull request")
    return root


PUBLIC = (
    "op.create_table('item', sa.Column('id', sa.Integer, primary_key=True), sa.Column('sku', sa.Text), "
    "sa.Column('shop', sa.Text))\n"
    "op.create_unique_constraint('uq_item_sku', 'item', ['sku'])"
)
PRIVATE = (
    "op.create_table('secret', sa.Column('id', sa.Integer, primary_key=True), sa.Column('k', sa.Text))\n"
    "op.create_unique_constraint('uq_secret_k', 'secret', ['k'])"
)


def secret_upsert(target: str) -> str:
    return f"INSERT INTO secret (id, k) VALUES (1, 'x') ON CONFLICT {target} DO NOTHING;\n"


def two_histories(root: Path, config: str) -> Path:
    """Two histories, two sections of one alembic.ini (``[alembic]``: table ``item``; ``[schema_private]``: table
    ``secret``), declared in ``[tool.schema-parity]`` below ``config`` (more keys). Production (tag ``prod``): p1 and
    s1, code upserting on ``item (sku)`` and ``secret (k)``. The pull request: p2 adds a key on ``item (shop)`` with
    the code that needs it (safe migrations first only); s2 drops ``secret (k)`` and the code moves to ``(id)``
    (safe code first only)."""
    git(root, "init", "-q", "-b", "main")
    (root / "alembic.ini").write_text(
        "[alembic]\nscript_location = %(here)s/public/migrations\n\n"
        "[schema_private]\nscript_location = %(here)s/private/migrations\n"
    )
    (root / "pyproject.toml").write_text(
        f'[tool.schema-parity]\nalembic-config = "alembic.ini"\n{config}\n'
        '[[tool.schema-parity.histories]]\nalembic-config = "alembic.ini"\nini-section = "schema_private"\n'
    )
    write_project(root / "public", [Revision("p1", None, PUBLIC)])
    write_project(root / "private", [Revision("s1", None, PRIVATE)])
    app = root / "app"
    app.mkdir()
    (app / "item.sql").write_text(upsert("(sku)"))
    (app / "secret.sql").write_text(secret_upsert("(k)"))
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "production")
    git(root, "tag", "prod")
    add_key = "op.create_unique_constraint('uq_item_shop', 'item', ['shop'])"
    write_project(root / "public", [Revision("p2", "p1", add_key)])
    drop_key = "op.drop_constraint('uq_secret_k', 'secret', type_='unique')"
    write_project(root / "private", [Revision("s2", "s1", drop_key)])
    (app / "item.sql").write_text(upsert("(shop)"))
    (app / "secret.sql").write_text(secret_upsert("(id)"))
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "the pull request")
    return root
