"""``pytest --schema-parity``: one test item per upsert site and one per schema build, from the same check as the CLI.

The items are collected: the session's collection gets one more collector, ``schema-parity``
(:class:`ChecksCollector`, added by ``hooks.pytest_make_collect_report``), whose ``collect()`` runs the check, so
pytest's ``collected N items`` counts them, its progress percentage reaches 100% with the last of them, and they
appear in ``--collect-only``, the terminal summary, JUnit XML and ``-k``/``-m`` selection like any test. Their node
ids are stable (``schema-parity::<path>:<line>``), so pytest-xdist workers collect the same items. With
``deploy-from`` configured, each upsert of the deploy is one more item, ``schema-parity::deploy::<path>:<line>``
(docs/deploy.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

import pytest

from schema_parity.check import SiteReport, check_project
from schema_parity.config import Settings
from schema_parity.errors import SchemaParityError
from schema_parity.findings import Finding
from schema_parity.plugin.markers import CHECK_MARKER
from schema_parity.plugin.settings import settings
from schema_parity.rules import Audience

PREFIX = "schema-parity"


def add_check_options(parser: pytest.Parser, group: pytest.OptionGroup) -> None:
    group.addoption(
        "--schema-parity",
        action="store_true",
        default=None,
        help="Also collect one item per ON CONFLICT site (checked against the migrated schema) and per schema build.",
    )
    group.addoption(
        "--schema-parity-verify",
        action="store_true",
        default=False,
        help="Collect the check items (as --schema-parity) and also run each upsert on the real engines, failing "
        "an item whose engine disagrees with the static verdict (SP905; docs/verify.md).",
    )
    parser.addini("schema_parity", "Collect the schema-parity check items by default", type="bool", default=False)


def enabled(config: pytest.Config) -> bool:
    option = config.getoption("schema_parity")
    if config.getoption("schema_parity_verify"):
        return True
    return bool(config.getini("schema_parity")) if option is None else bool(option)


class SchemaParityFailure(Exception):
    """A check item failed: the message is the report, shown without a Python traceback."""


class CheckCollector(pytest.Collector):
    """A group of generated items (``schema-parity::deploy``): its items are made by :func:`collect_items`."""

    def collect(self) -> list[pytest.Item]:
        return []


class ChecksCollector(CheckCollector):
    """The session's ``schema-parity`` collector, so the items' node ids read ``schema-parity::<path>:<line>``:
    collecting it runs the check and makes every item (those of the groups under it included)."""

    def collect(self) -> list[pytest.Item]:
        return collect_items(self)


def checks_collector(session: pytest.Session) -> ChecksCollector:
    return ChecksCollector.from_parent(session, name=PREFIX, nodeid=PREFIX, path=session.config.rootpath)


class CheckItem(pytest.Item):
    """Base of the generated items: failures render as the checker's text."""

    def __init__(self, *, report_path: Path, line: int, failure: str | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.report_path = report_path
        self.line = line
        self.failure = failure
        self.add_marker(CHECK_MARKER)

    def runtest(self) -> None:
        if self.failure is not None:
            raise SchemaParityFailure(self.failure)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: str | None = None) -> str:
        if isinstance(excinfo.value, SchemaParityFailure):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo, style=style))  # type: ignore[arg-type]

    def reportinfo(self) -> tuple[Path, int, str]:
        # pytest rewrites "." to "::" in a domain that ends the node id (a dotted Python name): keep them apart.
        return self.report_path, max(self.line - 1, 0), f"{PREFIX} {self.name}"


def _finding_text(finding: Finding, audience: Audience) -> str:
    dialect = f" [{finding.engines}]" if finding.dialects else ""
    text = f"{finding.path}:{finding.line}:{finding.column}: {finding.rule}{dialect} {finding.message}"
    advice = finding.advice(audience)
    return text + (f"\n    help: {advice}" if advice else "")


def _site_failure(report: SiteReport, findings: Sequence[Finding]) -> str | None:
    site = report.site
    errors = [f for f in findings if f.severity == "error" and f.path == site.path and f.line == site.line]
    return "\n".join(_finding_text(f, "pytest") for f in errors) if errors else None


def collect_items(parent: ChecksCollector) -> list[pytest.Item]:
    config = parent.config
    root = config.rootpath
    try:
        configured = settings(config)
        verify = configured.verify or bool(config.getoption("schema_parity_verify"))
        result = check_project(replace(configured, verify=verify))
    except SchemaParityError as exc:
        return [CheckItem.from_parent(parent, name="schema", report_path=root, line=0, failure=str(exc))]
    items: list[pytest.Item] = [
        CheckItem.from_parent(
            parent,
            name=f"schema[{'-'.join(result.dialects)}]",
            report_path=root,
            line=0,
            failure=None,
        )
    ]
    items += parity_items(parent, configured)
    items += deploy_items(parent, configured)
    seen: set[str] = set()
    for report in result.sites:
        site = report.site
        items.append(
            CheckItem.from_parent(
                parent,
                name=_unique_name(f"{site.path}:{site.line}", site.column, seen),
                report_path=root / site.path,
                line=site.line,
                failure=_site_failure(report, result.findings),
            )
        )
    return items


def _unique_name(name: str, column: int, seen: set[str]) -> str:
    """``path:line``, or ``path:line:column`` when another statement of that line took it."""
    if name in seen:
        name = f"{name}:{column}"
    seen.add(name)
    return name


def deploy_items(parent: pytest.Collector, configured: Settings) -> list[pytest.Item]:
    """With ``deploy-from``: one item per site of the deploy (the old code's and the new code's), failing exactly
    where ``schema-parity check`` reports an error (the site's SP6xx at error level, per ``deploy-order``)."""
    if not configured.deploy_from:
        return []
    from schema_parity.deploy import DeployOrder, check_deploy

    root = parent.config.rootpath
    order = cast("DeployOrder", configured.deploy_order)
    try:
        result = check_deploy(configured, deploy_from=configured.deploy_from, order=order)
    except SchemaParityError as exc:
        return [CheckItem.from_parent(parent, name="deploy", report_path=root, line=0, failure=str(exc))]
    assert result.deploy is not None
    group = CheckCollector.from_parent(parent, name="deploy", path=root)
    items: list[pytest.Item] = []
    seen: set[str] = set()
    for site in result.deploy.sites:
        errors = [f for f in result.errors if f.path == site.path and f.line == site.line]
        items.append(
            CheckItem.from_parent(
                group,
                name=_unique_name(f"{site.path}:{site.line}", site.column, seen),
                report_path=root / site.path,
                line=site.line,
                failure="\n".join(_finding_text(f, "pytest") for f in errors) if errors else None,
            )
        )
    return items


class ParityItem(CheckItem):
    """A configured pair of schema sources (``[[tool.schema-parity.parity]]``): fails with the diff's report."""

    def __init__(self, *, pair: dict[str, Any], project_root: Path, **kwargs: Any) -> None:
        super().__init__(failure=None, **kwargs)
        self.pair = pair
        self.project_root = project_root

    def runtest(self) -> None:
        import os

        from schema_parity.diff import diff, render_text
        from schema_parity.sources.postgres import POSTGRES_URL_ENV

        configured = settings(self.config)
        postgres_url = os.environ.get(POSTGRES_URL_ENV) or configured.schema.postgres_url
        try:
            result = diff(self.pair["a"], self.pair["b"], cwd=self.project_root, ignore=self.pair["ignore"],
                          postgres_url=postgres_url)  # fmt: skip
        except SchemaParityError as exc:
            raise SchemaParityFailure(str(exc)) from None
        if not result.equal:
            raise SchemaParityFailure(render_text(result))


def parity_items(parent: pytest.Collector, configured: Any) -> list[pytest.Item]:
    """One item per configured pair, named ``parity[A | B]``; the diff runs when the item runs."""
    return [
        ParityItem.from_parent(
            parent,
            name=f"parity[{pair['a']} | {pair['b']}]",
            report_path=configured.source or configured.project_root,
            line=0,
            pair=dict(pair),
            project_root=configured.project_root,
        )
        for pair in configured.parity
    ]
