"""The seed's 14 telemetry tests, on databases the real migrations built (SQLite, and PostgreSQL when available)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from telemetry.comprehensive_telemetry import ComprehensiveExtractionTelemetry, ExtractionMetrics

T0 = datetime(2025, 10, 14, 12, 0, 0)


def metrics(operation_id: str, *, publisher: str = "example-news", host: str = "news.example.com") -> ExtractionMetrics:
    return ExtractionMetrics(
        operation_id=operation_id,
        url=f"https://{host}/articles/{operation_id}",
        publisher=publisher,
        article_id=f"article-{operation_id}",
        host=host,
        start_time=T0,
    )


def finished(m: ExtractionMetrics, seconds: float = 1.5) -> ExtractionMetrics:
    m.finalize(T0 + timedelta(seconds=seconds))
    return m


def count(telemetry: ComprehensiveExtractionTelemetry, table: str) -> int:
    with telemetry.engine.connect() as conn:
        return conn.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar_one()


def test_database_initialization(telemetry: ComprehensiveExtractionTelemetry) -> None:
    names = set(sa.inspect(telemetry.engine).get_table_names())
    assert {"extraction_telemetry_v2", "extraction_method_attempts", "http_error_summary"} <= names
    uniques = sa.inspect(telemetry.engine).get_unique_constraints("http_error_summary")
    assert [(u["name"], u["column_names"]) for u in uniques] == [
        ("uq_http_error_summary_host_status", ["host", "status_code"])
    ]


def test_save_metrics_success(telemetry: ComprehensiveExtractionTelemetry) -> None:
    m = metrics("op-1")
    m.end_method("newspaper4k", success=True, duration_ms=120.0, fields_found={"title", "content"})
    telemetry.save_metrics(finished(m))
    assert count(telemetry, "extraction_telemetry_v2") == 1
    assert count(telemetry, "extraction_method_attempts") == 1
    assert count(telemetry, "http_error_summary") == 0


def test_save_metrics_with_http_error(telemetry: ComprehensiveExtractionTelemetry) -> None:
    m = metrics("op-2")
    m.end_method("requests", success=False, duration_ms=35.0, error_type="http_403")
    m.set_http_error(403, "forbidden")
    telemetry.save_metrics(finished(m))
    (row,) = telemetry.get_http_error_summary()
    assert (row["host"], row["status_code"], row["error_type"], row["count"]) == (
        "news.example.com",
        403,
        "forbidden",
        1,
    )
    assert row["first_seen"] is not None


def test_get_field_extraction_stats(telemetry: ComprehensiveExtractionTelemetry) -> None:
    for i, fields in enumerate([{"title", "author"}, {"title"}, {"content", "publish_date"}]):
        m = metrics(f"op-f{i}")
        m.end_method("newspaper4k", success=True, duration_ms=100.0, fields_found=fields)
        telemetry.save_metrics(finished(m))
    (stats,) = telemetry.get_field_extraction_stats()
    assert stats["method"] == "newspaper4k"
    assert (stats["attempts"], stats["title_found"], stats["author_found"]) == (3, 2, 1)
    assert (stats["content_found"], stats["publish_date_found"]) == (1, 1)
    assert telemetry.get_field_extraction_stats(publisher="someone-else") == []


def test_get_method_performance_stats(telemetry: ComprehensiveExtractionTelemetry) -> None:
    m = metrics("op-p")
    m.end_method("requests", success=False, duration_ms=50.0, error_type="timeout")
    m.end_method("selenium", success=True, duration_ms=950.0, fields_found={"title"})
    telemetry.save_metrics(finished(m))
    m2 = metrics("op-p2")
    m2.end_method("requests", success=True, duration_ms=150.0, fields_found={"title"})
    telemetry.save_metrics(finished(m2))
    stats = {row["method"]: row for row in telemetry.get_method_performance_stats()}
    assert stats["requests"]["attempts"] == 2 and stats["requests"]["successes"] == 1
    assert stats["requests"]["success_rate"] == pytest.approx(0.5)
    assert stats["requests"]["avg_duration_ms"] == pytest.approx(100.0)
    assert stats["selenium"]["success_rate"] == pytest.approx(1.0)


def test_get_publisher_stats(telemetry: ComprehensiveExtractionTelemetry) -> None:
    for i, ok in enumerate([True, True, False]):
        m = metrics(f"op-pub{i}", publisher="daily")
        m.end_method("requests", success=ok, duration_ms=10.0, error_type=None if ok else "parse_error")
        telemetry.save_metrics(finished(m, seconds=2.0))
    (daily,) = telemetry.get_publisher_stats()
    assert (daily["publisher"], daily["total"], daily["successful"]) == ("daily", 3, 2)
    assert daily["success_rate"] == pytest.approx(2 / 3)
    assert daily["avg_duration_ms"] == pytest.approx(2000.0)


def test_get_top_errors(telemetry: ComprehensiveExtractionTelemetry) -> None:
    for i, errors in enumerate([["timeout", "http_403"], ["timeout"], ["parse_error"]]):
        m = metrics(f"op-e{i}")
        for error in errors:
            m.end_method("requests", success=False, duration_ms=5.0, error_type=error)
        telemetry.save_metrics(finished(m))
    top = telemetry.get_top_errors(limit=2)
    assert [(r["error_type"], r["occurrences"]) for r in top] == [("timeout", 2), ("http_403", 1)]


def test_track_method_attempts(telemetry: ComprehensiveExtractionTelemetry) -> None:
    m = metrics("op-track")
    m.end_method("requests", success=False, duration_ms=20.0, error_type="timeout")
    m.end_method("newspaper4k", success=False, duration_ms=30.0, error_type="parse_error")
    m.end_method("selenium", success=True, duration_ms=900.0, fields_found={"title", "content"})
    telemetry.save_metrics(finished(m))
    attempts = telemetry.get_method_attempts("op-track")
    assert [(a["method"], bool(a["success"])) for a in attempts] == [
        ("requests", False),
        ("newspaper4k", False),
        ("selenium", True),
    ]


def test_track_http_errors(telemetry: ComprehensiveExtractionTelemetry) -> None:
    """The upsert: a repeated (host, status) error increments one row, a new status adds one."""
    for status, error in [(429, "rate_limited"), (429, "rate_limited"), (503, "unavailable"), (429, "rate_limited")]:
        m = metrics("op-http")
        m.end_method("requests", success=False, duration_ms=12.0, error_type=f"http_{status}")
        m.set_http_error(status, error)
        telemetry.save_metrics(finished(m))
    rows = telemetry.get_http_error_summary()
    assert [(r["status_code"], r["count"]) for r in rows] == [(429, 3), (503, 1)]
    assert rows[0]["last_seen"] >= rows[0]["first_seen"]


def test_successful_extraction(telemetry: ComprehensiveExtractionTelemetry) -> None:
    m = metrics("op-ok")
    m.end_method("newspaper4k", success=True, duration_ms=80.0, fields_found={"title", "author", "content"})
    telemetry.save_metrics(finished(m, seconds=0.25))
    with telemetry.engine.connect() as conn:
        row = conn.execute(sa.text("SELECT * FROM extraction_telemetry_v2")).mappings().one()
    assert row["successful_method"] == "newspaper4k"
    assert bool(row["is_success"]) and bool(row["has_title"]) and not bool(row["has_publish_date"])
    assert row["total_duration_ms"] == pytest.approx(250.0)


def test_failed_extraction_with_retry(telemetry: ComprehensiveExtractionTelemetry) -> None:
    m = metrics("op-retry")
    m.end_method("requests", success=False, duration_ms=30.0, error_type="timeout")
    m.end_method("requests", success=False, duration_ms=31.0, error_type="timeout")
    m.error_message = "all methods failed"
    telemetry.save_metrics(finished(m))
    with telemetry.engine.connect() as conn:
        row = conn.execute(sa.text("SELECT * FROM extraction_telemetry_v2")).mappings().one()
    assert not bool(row["is_success"]) and row["successful_method"] is None
    assert row["error_message"] == "all methods failed"
    assert [(r["error_type"], r["occurrences"]) for r in telemetry.get_top_errors()] == [("timeout", 2)]


def test_partial_extraction(telemetry: ComprehensiveExtractionTelemetry) -> None:
    m = metrics("op-partial")
    m.end_method("newspaper4k", success=True, duration_ms=60.0, fields_found={"title"})
    telemetry.save_metrics(finished(m))
    (stats,) = telemetry.get_field_extraction_stats()
    assert (stats["title_found"], stats["author_found"], stats["content_found"]) == (1, 0, 0)


def test_telemetry_database_integration(telemetry: ComprehensiveExtractionTelemetry) -> None:
    """Every table written in one extraction, including the http_error_summary upsert, in one transaction."""
    m = metrics("op-int", host="paywalled.example.org")
    m.end_method("requests", success=False, duration_ms=40.0, error_type="http_401")
    m.set_http_error(401, "unauthorized")
    m.response_size_bytes = 512
    telemetry.save_metrics(finished(m))
    telemetry.save_metrics(finished(m))
    assert count(telemetry, "extraction_telemetry_v2") == 2
    assert count(telemetry, "extraction_method_attempts") == 2
    (row,) = telemetry.get_http_error_summary(host="paywalled.example.org")
    assert row["count"] == 2


def test_complete_workflow_simulation(telemetry: ComprehensiveExtractionTelemetry) -> None:
    hosts = ["a.example.com", "b.example.com"]
    for i in range(10):
        host = hosts[i % 2]
        m = metrics(f"op-wf{i}", publisher=host.split(".")[0], host=host)
        if i % 3 == 0:
            m.end_method("requests", success=False, duration_ms=15.0, error_type="http_503")
            m.set_http_error(503, "unavailable")
        m.end_method("newspaper4k", success=i % 3 != 0, duration_ms=100.0 + i, fields_found={"title"})
        telemetry.save_metrics(finished(m, seconds=1 + i / 10))
    publishers = {p["publisher"]: p for p in telemetry.get_publisher_stats()}
    assert publishers["a"]["total"] == 5 and publishers["b"]["total"] == 5
    errors = {(r["host"], r["status_code"]): r["count"] for r in telemetry.get_http_error_summary()}
    assert errors == {("a.example.com", 503): 2, ("b.example.com", 503): 2}
    performance = {row["method"]: row for row in telemetry.get_method_performance_stats()}
    assert performance["newspaper4k"]["attempts"] == 10
    assert performance["newspaper4k"]["successes"] == 6
