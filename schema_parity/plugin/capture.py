"""The run-time capture in pytest: every upsert the tests execute, judged at the end of the session (docs/capture.md).

On by default under ``pytest --schema-parity``; ``--schema-parity-capture`` turns it on alone and
``--no-schema-parity-capture`` off (ini ``schema_parity_capture``). Each test's statements are recorded with its node
id and its ``schema_parity`` marker's revision; xdist workers hand their records to the controller in their
``workeroutput``. After the last test the controller judges them (schema_parity/captured.py) and reports one result
per statement (table and conflict target) and call site, ``schema-parity::captured::<path>:<line>[<table> <target>]``,
through pytest's own report hooks, so they count in the exit status and appear in the terminal, JUnit XML and any
report plugin; a terminal summary section lists them with their statements and first tests. They are not known when
pytest counts the collected items: the header says they come after the last test, and the session's count grows by
them as they are reported, so the progress percentage ends at 100%.
``--schema-parity-capture-file FILE`` saves the capture (and its judged report) for
``schema-parity check --captured FILE``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from schema_parity.capture import Capture, records_from_json, records_to_json
from schema_parity.errors import SchemaParityError
from schema_parity.plugin.items import PREFIX, enabled
from schema_parity.plugin.markers import CHECK_MARKER, MARKER
from schema_parity.plugin.settings import settings

__all__ = ["OUTPUT_KEY", "add_capture_options", "capture_enabled", "start"]

OUTPUT_KEY = "schema_parity_captured"
MISSED_KEY = "schema_parity_capture_missed"
NODE_PREFIX = f"{PREFIX}::captured"


def add_capture_options(parser: pytest.Parser, group: pytest.OptionGroup) -> None:
    group.addoption(
        "--schema-parity-capture",
        action="store_true",
        dest="schema_parity_capture",
        default=None,
        help="Record every INSERT ... ON CONFLICT the tests execute and judge it at the end of the session "
        "(on by default with --schema-parity).",
    )
    group.addoption(
        "--no-schema-parity-capture",
        action="store_false",
        dest="schema_parity_capture",
        help="Do not record the upserts the tests execute (with --schema-parity).",
    )
    group.addoption(
        "--schema-parity-capture-file",
        metavar="FILE",
        default=None,
        help="Save the captured upserts (and their verdicts) as JSON in FILE, for schema-parity check --captured.",
    )
    parser.addini(
        "schema_parity_capture",
        "Record and judge the upserts the tests execute (default: on with --schema-parity)",
        type="bool",
        default=None,
    )
    parser.addini(
        "schema_parity_capture_file", "Save the captured upserts as JSON here (relative to the rootdir)", default=""
    )


def capture_enabled(config: pytest.Config) -> bool:
    option = config.getoption("schema_parity_capture")
    if option is not None:
        return bool(option)
    ini = config.getini("schema_parity_capture")
    return enabled(config) if ini is None else bool(ini)


def start(config: pytest.Config) -> None:
    """pytest_configure: start recording and register the hooks that use the records."""
    if not capture_enabled(config):
        return
    plugin = CapturePlugin(config)
    config.pluginmanager.register(plugin, "schema_parity-capture")
    plugin.capture.start(import_drivers=False)


class CapturePlugin:
    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.capture = Capture(config.rootpath)
        self.outcome: Any = None
        self.problem: str | None = None
        self.judged_in = 0.0

    # every process
    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, object, object]:
        self.capture.test, self.capture.revision = item.nodeid, _revision(item)
        self.capture.notice_drivers()
        try:
            return (yield)
        finally:
            self.capture.test = self.capture.revision = None

    @pytest.hookimpl(wrapper=True)
    def pytest_runtestloop(self, session: pytest.Session) -> Generator[None, object, object]:
        result = yield
        workeroutput = getattr(self.config, "workeroutput", None)
        if workeroutput is not None:  # an xdist worker: the controller judges
            workeroutput[OUTPUT_KEY] = records_to_json(self.capture.records(), root=self.config.rootpath)
            workeroutput[MISSED_KEY] = self.capture.missed()
            return result
        self._judge_and_report(session)
        return result

    def pytest_unconfigure(self) -> None:
        self.capture.stop()

    # the controller (or the only process)
    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: object) -> None:
        output = getattr(node, "workeroutput", {})
        reported, missed = output.get(OUTPUT_KEY), output.get(MISSED_KEY)
        if reported or missed:
            records = records_from_json(reported, where="an xdist worker's capture") if reported else []
            self.capture.add(records, missed)

    def pytest_report_collectionfinish(self) -> str:
        return (
            "schema-parity: the upserts the tests execute are judged after the last test, one more result per "
            f"statement and call site ({NODE_PREFIX}::...)"
        )

    def _judge_and_report(self, session: pytest.Session) -> None:
        records = self.capture.records()
        self.capture.stop()
        if not records:  # nothing executed an upsert: nothing to judge, and no schema to build
            return
        started = time.perf_counter()  # the judge's imports (sqlglot, the rules) count: a plain test run has none
        from schema_parity.captured import judge_captured
        from schema_parity.report.json import report_dict

        try:
            self.outcome = judge_captured(records, settings(self.config), capture_root=self.config.rootpath)
        except SchemaParityError as exc:
            self.problem = f"the captured upserts could not be judged: {exc}"
            self._emit(session, f"{NODE_PREFIX}::schema", (self.config.rootpath, None), self.problem)
            return
        self.judged_in = time.perf_counter() - started
        for call in self.outcome.call_sites:
            failure = _failure_text(call) if call.errors else None
            self._emit(session, f"{NODE_PREFIX}::{call.name}", (call.path, call.line), failure)
        target = self.config.getoption("schema_parity_capture_file") or self.config.getini("schema_parity_capture_file")
        if target:
            path = self.config.rootpath / str(target)
            data = records_to_json(records, root=self.config.rootpath)
            data["report"] = report_dict(self.outcome.result)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")

    def _emit(
        self, session: pytest.Session, nodeid: str, where: tuple[Path | str, int | None], failure: str | None
    ) -> None:
        """One result through pytest's report hooks (terminal, JUnit XML, exit status), as a test's would go. The
        session's count of items grows by it once its line has started (the line before ends at the old count's
        100%), so the progress percentage never passes 100%."""
        path, line = where
        name = nodeid.removeprefix(f"{NODE_PREFIX}::")
        location = (str(path), max((line or 1) - 1, 0), f"{PREFIX} captured {name}" if line else nodeid)
        hook = self.config.hook
        hook.pytest_runtest_logstart(nodeid=nodeid, location=location)
        session.testscollected += 1
        for when in ("setup", "call", "teardown"):
            failed = when == "call" and failure is not None
            report = pytest.TestReport(
                nodeid=nodeid,
                location=location,
                keywords={CHECK_MARKER: 1},
                outcome="failed" if failed else "passed",
                longrepr=failure if failed else None,
                when=when,
            )
            hook.pytest_runtest_logreport(report=report)
        hook.pytest_runtest_logfinish(nodeid=nodeid, location=location)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        missed = self.capture.missed()
        if missed:
            terminalreporter.write_sep("=", "schema-parity: upserts executed but not recorded")
            for reason, count in sorted(missed.items()):
                terminalreporter.write_line(f"{count} x {reason}")
        if self.problem is not None:
            terminalreporter.write_sep("=", "schema-parity: upserts captured at run time")
            terminalreporter.write_line(self.problem)
            return
        if self.outcome is None:
            return
        terminalreporter.write_sep("=", "schema-parity: upserts captured at run time")
        for call in self.outcome.call_sites:
            status = "FAILED" if call.errors else "ok"
            terminalreporter.write_line(f"{call.name} {status} (first run by {call.first_test or '-'})")
            if not call.findings and not call.unresolved_sites and self.config.get_verbosity() < 1:
                continue
            for record in call.records:
                terminalreporter.write_line(f"    {_one_line(record.statement)}")
            for finding in call.findings:
                dialect = f" [{finding.engines}]" if finding.dialects else ""
                terminalreporter.write_line(f"    {finding.severity} {finding.rule}{dialect} {finding.message}")
            for site in call.unresolved_sites:
                terminalreporter.write_line(f"    judged at run time: unresolved site {site.path}:{site.line}")
        for note in self.outcome.notes():
            terminalreporter.write_line(note)
        terminalreporter.write_line(f"judged in {self.judged_in:.2f}s (the schema of each dialect included)")


def _revision(item: pytest.Item) -> str | None:
    marker = item.get_closest_marker(MARKER)
    if marker is None:
        return None
    revision = marker.args[0] if marker.args else marker.kwargs.get("revision", "head")
    return revision if isinstance(revision, str) and revision != "head" else None


def _one_line(sql: str, width: int = 160) -> str:
    text = " ".join(sql.split())
    return text if len(text) <= width else text[: width - 3] + "..."


def _failure_text(call: Any) -> str:
    lines = []
    for finding in call.errors:
        dialect = f" [{finding.engines}]" if finding.dialects else ""
        lines.append(f"{finding.path}:{finding.line}: {finding.rule}{dialect} {finding.message}")
        if finding.hint:
            lines.append(f"    help: {finding.hint}")
    lines.append(f"first run by: {call.first_test or '-'}")
    lines.extend(f"statement: {_one_line(r.statement, 400)}" for r in call.records)
    return "\n".join(lines)
