"""SQLAlchemy models as a schema source: ``--models module:attribute`` judges the sites against what
``create_all()`` builds, on each engine (PostgreSQL: on a server, or from SQLAlchemy's PostgreSQL DDL offline)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from schema_parity.cli import main

pytestmark = pytest.mark.postgres

MODELS = """
import sqlalchemy as sa
from sqlalchemy.orm import declarative_base

Base = declarative_base()  # SQLAlchemy 1.4 and 2.x

class Slot(Base):
    __tablename__ = "slot"
    id = sa.Column(sa.Integer, primary_key=True)
    room = sa.Column(sa.Integer, nullable=False)
    day = sa.Column(sa.Date, nullable=False)
    deleted = sa.Column(sa.Boolean, nullable=False, server_default=sa.false())
    __table_args__ = (
        sa.UniqueConstraint("room", "day", name="uq_slot_room_day"),
        sa.Index("uq_slot_live", "room", unique=True, postgresql_where=sa.text("NOT deleted"),
                 sqlite_where=sa.text("NOT deleted")),
    )
"""
APP = '''
BY_DAY = "INSERT INTO slot (room, day) VALUES (1, '2024-01-01') ON CONFLICT (room, day) DO NOTHING"
LIVE = "INSERT INTO slot (room, day) VALUES (1, '2024-01-01') ON CONFLICT (room) WHERE NOT deleted DO NOTHING"
WRONG = "INSERT INTO slot (room, day) VALUES (1, '2024-01-01') ON CONFLICT (day) DO NOTHING"
'''


@pytest.mark.parametrize("postgres", ["auto", "offline"])
def test_sites_are_judged_against_the_models(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], postgres: str
) -> None:
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "__init__.py").write_text("")
    (tmp_path / "shop" / "models.py").write_text(MODELS)
    (tmp_path / "app.py").write_text(APP)
    monkeypatch.chdir(tmp_path)
    code = main(["check", "--no-config", "--no-cache", "--models", "shop.models:Base", "--postgres", postgres,
                 "--format", "json", "app.py"])  # fmt: skip
    report = json.loads(capsys.readouterr().out)
    verdicts = {
        site["line"]: {dialect: (v["verdict"], v["arbiters"]) for dialect, v in site["verdicts"].items()}
        for site in report["sites"]
    }
    assert verdicts[2] == dict.fromkeys(("postgresql", "sqlite"), ("ok", ["uq_slot_room_day"]))
    assert verdicts[3] == dict.fromkeys(("postgresql", "sqlite"), ("ok", ["uq_slot_live"]))
    assert verdicts[4] == dict.fromkeys(("postgresql", "sqlite"), ("error", []))
    assert code == 1
    engine = report["engines"]["postgresql"]
    assert engine.startswith("models created on PostgreSQL") if postgres == "auto" else "replayed" in engine
