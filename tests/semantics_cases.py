"""The recorded conformance cases (tests/data/semantics_cases.jsonl): one schema and one upsert per engine, with
the answer PostgreSQL 15 and SQLite 3.40 gave. docs/semantics.md explains the fields and the rules they prove.

They live in the repository so the suite runs on any clone; tests/test_conformance_live.py replays them on the real
engines, tests/test_verdicts_conformance.py holds the checker to them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

CASES_PATH = Path(__file__).resolve().parent / "data" / "semantics_cases.jsonl"

Case = dict[str, Any]


def load_cases() -> list[Case]:
    """Every case of the file, in file order."""
    return [json.loads(line) for line in CASES_PATH.read_text(encoding="utf-8").splitlines() if line.strip()]
