"""Small Alembic projects written into a temporary directory, for runner, CLI and plugin tests."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path

INI = """\
[alembic]
script_location = %(here)s/migrations
sqlalchemy.url = postgresql://prod-user:s3cret@prod.example.invalid/app
"""

#: An env.py like many real ones: it reads a production URL from the environment and would fail in tests.
HOSTILE_ENV_PY = """\
import os
raise RuntimeError("env.py was executed: it needs " + os.environ.get("PROD_DATABASE_URL", "PROD_DATABASE_URL"))
"""

#: The cookbook env.py: uses a connection handed over in config.attributes.
COOKBOOK_ENV_PY = """\
from alembic import context

config = context.config
connection = config.attributes["connection"]
context.configure(connection=connection, target_metadata=None)
with context.begin_transaction():
    context.run_migrations()
"""


@dataclass(frozen=True)
class Revision:
    id: str
    down: str | tuple[str, ...] | None
    upgrade: str
    downgrade: str = "pass"
    imports: str = ""


def revision_source(rev: Revision) -> str:
    body = textwrap.indent(textwrap.dedent(rev.upgrade).strip() or "pass", "    ")
    down = textwrap.indent(textwrap.dedent(rev.downgrade).strip() or "pass", "    ")
    return (
        f'"""revision {rev.id}"""\n'
        "import sqlalchemy as sa\n"
        "from alembic import op\n"
        f"{rev.imports}\n"
        f"revision = {rev.id!r}\n"
        f"down_revision = {rev.down!r}\n"
        "branch_labels = None\n"
        "depends_on = None\n\n\n"
        f"def upgrade():\n{body}\n\n\n"
        f"def downgrade():\n{down}\n"
    )


def write_project(root: Path, revisions: list[Revision], *, env_py: str = HOSTILE_ENV_PY) -> Path:
    """Write alembic.ini + migrations/{env.py,versions/*.py}; return the ini path."""
    versions = root / "migrations" / "versions"
    versions.mkdir(parents=True, exist_ok=True)
    (root / "migrations" / "env.py").write_text(env_py)
    (root / "migrations" / "script.py.mako").write_text("")
    for rev in revisions:
        (versions / f"{rev.id}_rev.py").write_text(revision_source(rev))
    ini = root / "alembic.ini"
    ini.write_text(INI)
    return ini


def linear_chain(n: int, *, tables_per_revision: int = 1) -> list[Revision]:
    """n revisions, each creating tables and adding a Postgres-style unique constraint to the previous one."""
    revisions: list[Revision] = []
    for i in range(n):
        lines = []
        for j in range(tables_per_revision):
            name = f"t{i}_{j}"
            lines.append(
                f"op.create_table({name!r}, sa.Column('id', sa.Integer, primary_key=True), "
                f"sa.Column('a', sa.String(50), nullable=False), sa.Column('b', sa.Integer))"
            )
        if i > 0:
            lines.append(f"op.create_unique_constraint('uq_t{i - 1}_0_a', 't{i - 1}_0', ['a'])")
        revisions.append(Revision(f"r{i:04d}", f"r{i - 1:04d}" if i else None, "\n".join(lines)))
    return revisions


def stock_project(root: Path, revisions: list[Revision], *, template: str = "generic") -> Path:
    """A project made by `alembic init -t TEMPLATE` (the stock alembic.ini and env.py, untouched); return the ini."""
    import contextlib
    import io

    from alembic import command
    from alembic.config import Config

    ini = root / "alembic.ini"
    with contextlib.redirect_stdout(io.StringIO()):  # init reports each file it writes
        command.init(Config(str(ini)), str(root / "migrations"), template=template)
    for rev in revisions:
        (root / "migrations" / "versions" / f"{rev.id}_rev.py").write_text(revision_source(rev))
    return ini


def run_migrations_env_py(connect: str, *, imports: str = "") -> str:
    """An env.py that opens its own connection with ``connect`` (an expression) instead of the one handed over."""
    return (
        "from alembic import context\n"
        "from sqlalchemy import create_engine\n"
        f"{imports}\n"
        f"with {connect} as connection:\n"
        "    context.configure(connection=connection, target_metadata=None)\n"
        "    with context.begin_transaction():\n"
        "        context.run_migrations()\n"
    )
