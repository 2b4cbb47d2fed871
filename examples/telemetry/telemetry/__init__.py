"""The telemetry example: extraction metrics recorded in the schema the Alembic migrations build."""
