"""Upserts built with SQLAlchemy (``postgresql.insert``/``sqlite.insert`` + ``.on_conflict_*``) and project wrappers.

Nothing is executed. ``names`` resolves Python names across the scanned tree, ``tables`` reads the Table and ORM
definitions an upsert names, ``build`` rebuilds the conflict target as SQLAlchemy objects and compiles it, and
``calls`` finds the ``.on_conflict_*`` and wrapper calls of a module and traces each back to its INSERT.
"""

from __future__ import annotations

from schema_parity.sites.sqlalchemy.calls import sqlalchemy_sites
from schema_parity.sites.sqlalchemy.names import ModuleInfo, Project, module_name

__all__ = ["ModuleInfo", "Project", "module_name", "sqlalchemy_sites"]
