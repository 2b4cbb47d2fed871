"""Add unique constraint on http_error_summary (host, status_code).

Revision ID: 805164cd4665
Revises: a1b2c3d4e5f6
Create Date: 2025-10-14 16:20:00

"""
from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "805164cd4665"
down_revision: str | Sequence[str] | None = "a1b2c3d4e5f6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    # Add UNIQUE constraint on (host, status_code) to support ON CONFLICT
    # This is required for the upsert operation in comprehensive_telemetry.py
    op.create_unique_constraint(
        'uq_http_error_summary_host_status',
        'http_error_summary',
        ['host', 'status_code']
    )


def downgrade() -> None:
    """Downgrade schema."""
    # Remove UNIQUE constraint
    op.drop_constraint(
        'uq_http_error_summary_host_status',
        'http_error_summary',
        type_='unique'
    )
