"""Create telemetry tables.

Revision ID: a1b2c3d4e5f6
Revises:
Create Date: 2025-10-01 09:00:00

"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a1b2c3d4e5f6"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "extraction_telemetry_v2",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("operation_id", sa.String(), nullable=False),
        sa.Column("article_id", sa.String(), nullable=True),
        sa.Column("url", sa.String(), nullable=False),
        sa.Column("publisher", sa.String(), nullable=True),
        sa.Column("host", sa.String(), nullable=True),
        sa.Column("start_time", sa.DateTime(), nullable=False),
        sa.Column("end_time", sa.DateTime(), nullable=True),
        sa.Column("total_duration_ms", sa.Float(), nullable=True),
        sa.Column("successful_method", sa.String(), nullable=True),
        sa.Column("is_success", sa.Boolean(), nullable=False),
        sa.Column("http_status_code", sa.Integer(), nullable=True),
        sa.Column("http_error_type", sa.String(), nullable=True),
        sa.Column("response_size_bytes", sa.Integer(), nullable=True),
        sa.Column("has_title", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("has_author", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("has_content", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("has_publish_date", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False, server_default=sa.text("CURRENT_TIMESTAMP")),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_extraction_telemetry_v2_publisher", "extraction_telemetry_v2", ["publisher"])
    op.create_index("ix_extraction_telemetry_v2_created_at", "extraction_telemetry_v2", ["created_at"])

    op.create_table(
        "extraction_method_attempts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("operation_id", sa.String(), nullable=False),
        sa.Column("method", sa.String(), nullable=False),
        sa.Column("publisher", sa.String(), nullable=True),
        sa.Column("success", sa.Boolean(), nullable=False),
        sa.Column("duration_ms", sa.Float(), nullable=True),
        sa.Column("error_type", sa.String(), nullable=True),
        sa.Column("has_title", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("has_author", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("has_content", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("has_publish_date", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.DateTime(), nullable=False, server_default=sa.text("CURRENT_TIMESTAMP")),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_extraction_method_attempts_method", "extraction_method_attempts", ["method"])

    op.create_table(
        "http_error_summary",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("host", sa.String(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("error_type", sa.String(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("first_seen", sa.DateTime(), nullable=False),
        sa.Column("last_seen", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        # The seed's bug: no UNIQUE (host, status_code) here; 805164cd4665 adds it.
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("http_error_summary")
    op.drop_index("ix_extraction_method_attempts_method", table_name="extraction_method_attempts")
    op.drop_table("extraction_method_attempts")
    op.drop_index("ix_extraction_telemetry_v2_created_at", table_name="extraction_telemetry_v2")
    op.drop_index("ix_extraction_telemetry_v2_publisher", table_name="extraction_telemetry_v2")
    op.drop_table("extraction_telemetry_v2")
