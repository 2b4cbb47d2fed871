"""Extraction telemetry: one row per extraction attempt, one per method tried, and a per-host HTTP error summary.

The SQL runs unchanged on SQLite and PostgreSQL: named parameters through SQLAlchemy, booleans compared with
CASE, and the upsert written the way both engines accept it (the target matches a real UNIQUE constraint, and
the DO UPDATE clause qualifies the existing row's columns, which PostgreSQL requires).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import sqlalchemy as sa

FIELDS = ("title", "author", "content", "publish_date")

RECORD_HTTP_ERROR = sa.text(
    """
    INSERT INTO http_error_summary
        (host, status_code, error_type, count, first_seen, last_seen)
    VALUES (:host, :status_code, :error_type, 1, :now, :now)
    ON CONFLICT (host, status_code) DO UPDATE SET
        count = http_error_summary.count + 1,
        error_type = excluded.error_type,
        last_seen = excluded.last_seen
    """
).bindparams(sa.bindparam("now", type_=sa.DateTime()))


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


@dataclass
class MethodAttempt:
    """One extraction method tried on a URL."""

    method: str
    success: bool
    duration_ms: float
    error_type: str | None = None
    fields_found: frozenset[str] = frozenset()


@dataclass
class ExtractionMetrics:
    """Everything measured while extracting one article."""

    operation_id: str
    url: str
    publisher: str | None = None
    article_id: str | None = None
    host: str | None = None
    start_time: datetime = field(default_factory=utcnow)
    end_time: datetime | None = None
    attempts: list[MethodAttempt] = field(default_factory=list)
    http_status_code: int | None = None
    http_error_type: str | None = None
    response_size_bytes: int | None = None
    error_message: str | None = None

    def start_method(self, method: str) -> None:
        """Kept for callers that time methods themselves; the attempt is recorded by ``end_method``."""

    def end_method(
        self,
        method: str,
        *,
        success: bool,
        duration_ms: float,
        error_type: str | None = None,
        fields_found: set[str] | frozenset[str] = frozenset(),
    ) -> None:
        self.attempts.append(MethodAttempt(method, success, duration_ms, error_type, frozenset(fields_found)))

    def set_http_error(self, status_code: int, error_type: str) -> None:
        self.http_status_code = status_code
        self.http_error_type = error_type

    def finalize(self, end_time: datetime | None = None) -> None:
        self.end_time = end_time or utcnow()

    @property
    def successful_method(self) -> str | None:
        return next((a.method for a in self.attempts if a.success), None)

    @property
    def total_duration_ms(self) -> float | None:
        if self.end_time is None:
            return None
        return (self.end_time - self.start_time).total_seconds() * 1000

    def fields_found(self) -> frozenset[str]:
        winner = next((a for a in self.attempts if a.success), None)
        return winner.fields_found if winner else frozenset()


class ComprehensiveExtractionTelemetry:
    """Records extraction metrics and answers the statistics questions operators ask."""

    def __init__(self, database: str | Path | sa.Engine) -> None:
        if isinstance(database, sa.Engine):
            self.engine = database
        elif isinstance(database, Path) or "://" not in str(database):
            self.engine = sa.create_engine(f"sqlite:///{database}")
        else:
            self.engine = sa.create_engine(str(database))

    @contextmanager
    def _begin(self) -> Iterator[sa.Connection]:
        with self.engine.begin() as conn:
            yield conn

    # -- recording ---------------------------------------------------------------------------------------------
    def save_metrics(self, metrics: ExtractionMetrics) -> None:
        found = metrics.fields_found()
        with self._begin() as conn:
            conn.execute(
                sa.text(
                    """
                    INSERT INTO extraction_telemetry_v2
                        (operation_id, article_id, url, publisher, host, start_time, end_time,
                         total_duration_ms, successful_method, is_success, http_status_code, http_error_type,
                         response_size_bytes, has_title, has_author, has_content, has_publish_date, error_message)
                    VALUES
                        (:operation_id, :article_id, :url, :publisher, :host, :start_time, :end_time,
                         :total_duration_ms, :successful_method, :is_success, :http_status_code, :http_error_type,
                         :response_size_bytes, :has_title, :has_author, :has_content, :has_publish_date,
                         :error_message)
                    """
                ).bindparams(
                    sa.bindparam("start_time", type_=sa.DateTime()), sa.bindparam("end_time", type_=sa.DateTime())
                ),
                {
                    "operation_id": metrics.operation_id,
                    "article_id": metrics.article_id,
                    "url": metrics.url,
                    "publisher": metrics.publisher,
                    "host": metrics.host,
                    "start_time": metrics.start_time,
                    "end_time": metrics.end_time,
                    "total_duration_ms": metrics.total_duration_ms,
                    "successful_method": metrics.successful_method,
                    "is_success": metrics.successful_method is not None,
                    "http_status_code": metrics.http_status_code,
                    "http_error_type": metrics.http_error_type,
                    "response_size_bytes": metrics.response_size_bytes,
                    **{f"has_{name}": name in found for name in FIELDS},
                    "error_message": metrics.error_message,
                },
            )
            for attempt in metrics.attempts:
                conn.execute(
                    sa.text(
                        """
                        INSERT INTO extraction_method_attempts
                            (operation_id, method, publisher, success, duration_ms, error_type,
                             has_title, has_author, has_content, has_publish_date)
                        VALUES
                            (:operation_id, :method, :publisher, :success, :duration_ms, :error_type,
                             :has_title, :has_author, :has_content, :has_publish_date)
                        """
                    ),
                    {
                        "operation_id": metrics.operation_id,
                        "method": attempt.method,
                        "publisher": metrics.publisher,
                        "success": attempt.success,
                        "duration_ms": attempt.duration_ms,
                        "error_type": attempt.error_type,
                        **{f"has_{name}": name in attempt.fields_found for name in FIELDS},
                    },
                )
            if metrics.http_status_code is not None and metrics.host:
                conn.execute(
                    RECORD_HTTP_ERROR,
                    {
                        "host": metrics.host,
                        "status_code": metrics.http_status_code,
                        "error_type": metrics.http_error_type or "unknown",
                        "now": utcnow(),
                    },
                )

    # -- statistics --------------------------------------------------------------------------------------------
    def _rows(self, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(sa.text(sql), params or {})]

    def get_field_extraction_stats(self, publisher: str | None = None) -> list[dict[str, Any]]:
        """Per method: how often each field was extracted when the method succeeded."""
        where = "WHERE publisher = :publisher" if publisher else ""
        return self._rows(
            f"""
            SELECT method,
                   COUNT(*) AS attempts,
                   SUM(CASE WHEN has_title THEN 1 ELSE 0 END) AS title_found,
                   SUM(CASE WHEN has_author THEN 1 ELSE 0 END) AS author_found,
                   SUM(CASE WHEN has_content THEN 1 ELSE 0 END) AS content_found,
                   SUM(CASE WHEN has_publish_date THEN 1 ELSE 0 END) AS publish_date_found
            FROM extraction_method_attempts
            {where}
            GROUP BY method
            ORDER BY method
            """,
            {"publisher": publisher} if publisher else None,
        )

    def get_method_performance_stats(self) -> list[dict[str, Any]]:
        """Per method: attempts, successes, success rate and mean duration."""
        rows = self._rows(
            """
            SELECT method,
                   COUNT(*) AS attempts,
                   SUM(CASE WHEN success THEN 1 ELSE 0 END) AS successes,
                   AVG(duration_ms) AS avg_duration_ms
            FROM extraction_method_attempts
            GROUP BY method
            ORDER BY method
            """
        )
        for row in rows:
            row["success_rate"] = row["successes"] / row["attempts"] if row["attempts"] else 0.0
        return rows

    def get_publisher_stats(self) -> list[dict[str, Any]]:
        """Per publisher: extractions, successes, success rate and mean total duration."""
        rows = self._rows(
            """
            SELECT publisher,
                   COUNT(*) AS total,
                   SUM(CASE WHEN is_success THEN 1 ELSE 0 END) AS successful,
                   AVG(total_duration_ms) AS avg_duration_ms
            FROM extraction_telemetry_v2
            WHERE publisher IS NOT NULL
            GROUP BY publisher
            ORDER BY total DESC, publisher
            """
        )
        for row in rows:
            row["success_rate"] = row["successful"] / row["total"] if row["total"] else 0.0
        return rows

    def get_top_errors(self, limit: int = 10) -> list[dict[str, Any]]:
        """The most frequent method error types."""
        return self._rows(
            """
            SELECT error_type, COUNT(*) AS occurrences
            FROM extraction_method_attempts
            WHERE error_type IS NOT NULL
            GROUP BY error_type
            ORDER BY occurrences DESC, error_type
            LIMIT :limit
            """,
            {"limit": limit},
        )

    def get_method_attempts(self, operation_id: str) -> list[dict[str, Any]]:
        """Every method tried for one extraction, in the order they were recorded."""
        return self._rows(
            """
            SELECT method, success, duration_ms, error_type
            FROM extraction_method_attempts
            WHERE operation_id = :operation_id
            ORDER BY id
            """,
            {"operation_id": operation_id},
        )

    def get_http_error_summary(self, host: str | None = None) -> list[dict[str, Any]]:
        """Repeated HTTP errors per (host, status code), most frequent first."""
        where = "WHERE host = :host" if host else ""
        return self._rows(
            f"""
            SELECT host, status_code, error_type, count, first_seen, last_seen
            FROM http_error_summary
            {where}
            ORDER BY count DESC, host, status_code
            """,
            {"host": host} if host else None,
        )
