"""docs/semantics.md, the reference the code cites (rule ids P#/S#, sections §N), kept in step with the code and the
recorded cases: every cited id and section exists, every case backs a rule, and the page stays inside the repository.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.semantics_cases import load_cases

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "semantics.md"
TEXT = DOC.read_text(encoding="utf-8")


def _code_and_doc_texts() -> dict[str, str]:
    files = [*sorted((ROOT / "schema_parity").rglob("*.py")), *sorted((ROOT / "docs").glob("*.md"))]
    return {str(path.relative_to(ROOT)): path.read_text(encoding="utf-8") for path in files if path != DOC}


def _rule_headings() -> set[str]:
    return set(re.findall(r"^#### ([PS]\d+) ", TEXT, flags=re.M))


def test_every_rule_id_has_its_section() -> None:
    assert _rule_headings() == {f"P{i}" for i in range(1, 43)} | {f"S{i}" for i in range(1, 24)}


def test_every_rule_id_the_code_and_docs_cite_exists() -> None:
    headings = _rule_headings()
    for path, text in _code_and_doc_texts().items():
        cited = set(re.findall(r"(?<![\w-])([PS]\d{1,2})(?![\w-])", text))
        assert cited <= headings, f"{path} cites {sorted(cited - headings)}, which docs/semantics.md does not define"


def test_every_section_the_code_cites_exists() -> None:
    sections = set(re.findall(r"^#{2,3} (\d+(?:\.\d+)?)\.? ", TEXT, flags=re.M))
    for path, text in _code_and_doc_texts().items():
        for section in re.findall(r"semantics\.md[`\s,(]*§\s?(\d+(?:\.\d+)?)", text):
            assert section in sections, f"{path} cites semantics.md §{section}, which does not exist"


def test_every_recorded_case_backs_a_rule_and_every_cited_case_exists() -> None:
    cited = {
        case_id
        for line in re.findall(r"^Cases: (.*(?:\n(?!\n).*)*)", TEXT, flags=re.M)
        for case_id in re.findall(r"`([a-z0-9-]+)`", line)
    }
    recorded = {case["id"] for case in load_cases()}
    assert cited - recorded == set(), "cited but not recorded"
    assert recorded - cited == set(), "recorded but cited by no rule"


def test_links_stay_inside_the_repository() -> None:
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", TEXT):
        if re.match(r"[a-z]+://", target):
            continue
        resolved = (DOC.parent / target).resolve()
        assert resolved.is_relative_to(ROOT) and resolved.exists(), target
