"""The telemetry under test, on both engines: no hand-written DDL, every database comes from the migrations.

``telemetry`` runs each test on a fresh SQLite copy of the migrated template and, when a PostgreSQL server is
configured (``SCHEMA_PARITY_POSTGRES_URL``), again on a fresh PostgreSQL database migrated the same way.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from telemetry.comprehensive_telemetry import ComprehensiveExtractionTelemetry


@pytest.fixture(params=["sqlite", "postgresql"])
def telemetry(request: pytest.FixtureRequest) -> Iterator[ComprehensiveExtractionTelemetry]:
    if request.param == "sqlite":
        engine = sa.create_engine(f"sqlite:///{request.getfixturevalue('schema_parity_db_path')}")
    else:
        engine = sa.create_engine(request.getfixturevalue("schema_parity_pg_url"))
    yield ComprehensiveExtractionTelemetry(engine)
    engine.dispose()
