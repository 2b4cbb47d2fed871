"""A check collects cyclic garbage less often while it runs, and gives the collector its thresholds back after."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from schema_parity import check
from schema_parity.sources import SchemaOptions


@pytest.fixture
def thresholds():
    before = gc.get_threshold()
    yield
    gc.set_threshold(*before)


def test_thresholds_are_raised_during_a_check_and_restored_after(tmp_path: Path, thresholds: None) -> None:
    gc.set_threshold(700, 10, 10)
    (tmp_path / "schema.sql").write_text("CREATE TABLE t (id integer PRIMARY KEY);\n")
    (tmp_path / "app.sql").write_text("INSERT INTO t (id) VALUES (1) ON CONFLICT (id) DO NOTHING;\n")
    seen = []
    real_judge = check.judge

    def judging(*args, **kwargs):  # the real verdict, with a look at the collector while the check runs
        seen.append(gc.get_threshold())
        return real_judge(*args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(check, "judge", judging)
        result = check.run_check(
            [tmp_path / "app.sql"],
            root=tmp_path,
            schema=SchemaOptions(schema_sql=(tmp_path / "schema.sql",)),
            dialects=("postgresql",),
        )
    assert [(s.site.line, [v.status for v in s.verdicts]) for s in result.sites] == [(1, ["ok"])]
    assert seen and all(t == check._GC_THRESHOLDS for t in seen)
    assert gc.get_threshold() == (700, 10, 10)


def test_higher_thresholds_already_set_are_kept(thresholds: None) -> None:
    gc.set_threshold(100_000, 5, 50)
    with check._fewer_collections():
        assert gc.get_threshold() == (100_000, 20, 50)
    assert gc.get_threshold() == (100_000, 5, 50)
