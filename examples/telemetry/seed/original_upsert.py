"""The seed's HTTP error upsert, verbatim (src/utils/comprehensive_telemetry.py, lines 367-382)."""

from __future__ import annotations

import sqlite3
from datetime import datetime


def record_http_error(conn: sqlite3.Connection, metrics, now: datetime) -> None:
    conn.execute(
        """
        INSERT INTO http_error_summary
        (host, status_code, error_type, count, last_seen)
        VALUES (?, ?, ?, 1, ?)
        ON CONFLICT(host, status_code) DO UPDATE SET
            count = count + 1,
            last_seen = ?
        """,
        (metrics.host, metrics.http_status_code, metrics.http_error_type, now, now)
    )
