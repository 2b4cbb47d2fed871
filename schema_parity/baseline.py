"""Baselines: adopt the check on a legacy codebase by recording today's findings and failing only on new ones.

A finding is identified by its rule, file, dialect, table and the statement's text with whitespace and case
normalised, never by its line: code added above an old upsert must not turn it into a "new" finding. The same
fingerprint is SARIF's ``partialFingerprints`` value, so code scanning tracks a finding across commits too.
An entry records how many findings shared its fingerprint and absorbs at most that many.

A finding that applies to several dialects (one root cause, reported once) is recorded as one entry per dialect,
each with the fingerprint that dialect's finding alone has, which is what baselines held before findings were
grouped: a baseline written by either version absorbs the same findings, and one written with both dialects
still absorbs a run with one of them. Such a finding is absorbed when every one of its dialects is.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from schema_parity.errors import ConfigError
from schema_parity.findings import Finding

if TYPE_CHECKING:
    from schema_parity.catalog import Dialect

BASELINE_VERSION = 1


def normalise_statement(statement: str) -> str:
    """Whitespace runs collapsed and case folded: reformatting a statement keeps its identity."""
    return " ".join(statement.split()).casefold()


def fingerprint(finding: Finding, path: str, statement: str) -> str:
    """Stable identity of a finding; ``path`` is relative to the project root, with forward slashes. A finding on one
    dialect (or none) keeps the fingerprint it always had; one on several has its own, over all of them."""
    parts = (finding.rule, path, ",".join(finding.dialects), finding.table or "", normalise_statement(statement))
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def dialect_fingerprints(finding: Finding, path: str, statement: str) -> tuple[str, ...]:
    """The fingerprint of ``finding`` on each of its dialects alone: what a baseline records and absorbs."""
    if len(finding.dialects) <= 1:
        return (fingerprint(finding, path, statement),)
    return tuple(fingerprint(replace(finding, dialects=(d,)), path, statement) for d in finding.dialects)


def write_baseline(target: Path, findings: Iterable[tuple[Finding, Sequence[str], str]]) -> int:
    """Write ``(finding, its dialect_fingerprints, project-relative path)`` triples, one entry per dialect of a
    finding; returns the number of findings recorded."""
    counts: Counter[str] = Counter()
    first: dict[str, tuple[Finding, str]] = {}
    recorded = 0
    for finding, prints, path in findings:
        recorded += 1
        dialects: Sequence[tuple[Dialect, ...]] = [(d,) for d in finding.dialects] if len(prints) > 1 else [()]
        for print_, only in zip(prints, dialects, strict=True):
            counts[print_] += 1
            first.setdefault(print_, (replace(finding, dialects=only) if only else finding, path))
    entries = [
        {
            "fingerprint": print_,
            "rule": finding.rule,
            "path": path,
            "dialect": finding.dialect,
            "table": finding.table,
            "count": counts[print_],
            "message": finding.message,
        }
        for print_, (finding, path) in sorted(first.items(), key=lambda item: (item[1][1], item[1][0].rule, item[0]))
    ]
    from schema_parity.version import version  # importlib.metadata: only for a baseline written

    document = {"version": BASELINE_VERSION, "generated_by": f"schema-parity {version()}", "findings": entries}
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return recorded


class Baseline:
    """Recorded fingerprints with their counts; ``absorbs`` uses one up per matching finding."""

    def __init__(self, counts: Counter[str], path: Path) -> None:
        self._left = Counter(counts)
        self.path = path

    @classmethod
    def load(cls, path: Path) -> Baseline:
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(
                f"baseline {path}: cannot read: {exc.strerror or exc} (create it with: schema-parity check "
                f"--write-baseline {path})"
            ) from exc
        except ValueError as exc:
            raise ConfigError(f"baseline {path}: not JSON: {exc}") from exc
        if not isinstance(document, dict) or document.get("version") != BASELINE_VERSION:
            raise ConfigError(f"baseline {path}: not a version {BASELINE_VERSION} schema-parity baseline")
        try:
            counts = Counter({entry["fingerprint"]: int(entry["count"]) for entry in document["findings"]})
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(
                f"baseline {path}: malformed entry ({exc}); write it again with: schema-parity check --write-baseline "
                f"{path}"
            ) from exc
        return cls(counts, path)

    def absorbs(self, prints: Sequence[str]) -> bool:
        """Whether the baseline holds every one of ``prints`` (a finding's ``dialect_fingerprints``); if so, one use
        of each is spent."""
        needed = Counter(prints)
        if any(self._left[print_] < n for print_, n in needed.items()):
            return False
        self._left.subtract(needed)
        return True
