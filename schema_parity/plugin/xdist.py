"""pytest-xdist: the workers of a run share its PostgreSQL templates, and the controller drops them at the end.

The controller hands each worker its own pid (the templates' owner, see :class:`~schema_parity.plugin.pg.RunOwner`);
a worker reports the templates it published in its ``workeroutput``; when every worker is done, the controller
drops them. The hooks are optional: without xdist pytest never calls them.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from schema_parity.plugin.pg import RunOwner, drop_shared_templates
from schema_parity.sources.server import _start_time

__all__ = ["OUTPUT_KEY", "pytest_configure_node", "pytest_sessionfinish", "pytest_testnodedown", "run_owner"]

OWNER_KEY = "schema_parity_owner"
OUTPUT_KEY = "schema_parity_pg_templates"
_SHARED = pytest.StashKey[dict[str, list[str]]]()


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """Controller: tell the worker which process owns the run's templates."""
    node.workerinput[OWNER_KEY] = [os.getpid(), _start_time(os.getpid())]


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """Controller: collect the templates a finished worker published, by server."""
    reported = getattr(node, "workeroutput", {}).get(OUTPUT_KEY)
    if reported:
        server_url, names = reported
        shared = node.config.stash.setdefault(_SHARED, {})
        shared.setdefault(server_url, []).extend(names)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Controller: every worker is done, so nobody clones the run's templates any more."""
    for server_url, names in session.config.stash.get(_SHARED, {}).items():
        drop_shared_templates(server_url, names)


def run_owner(config: pytest.Config) -> RunOwner:
    """The owner of this process's templates: the controller for an xdist worker that was told, else itself."""
    workerinput = getattr(config, "workerinput", None)
    if workerinput is None or OWNER_KEY not in workerinput or "testrunuid" not in workerinput:
        return RunOwner()
    pid, started = workerinput[OWNER_KEY]
    return RunOwner(str(workerinput["testrunuid"]), pid, started)


def report(config: pytest.Config, server_url: str, names: list[str]) -> None:
    """Worker: hand the controller the templates to drop once every worker is done."""
    workeroutput = getattr(config, "workeroutput", None)
    if workeroutput is not None and names:
        workeroutput[OUTPUT_KEY] = [str(server_url), list(names)]
