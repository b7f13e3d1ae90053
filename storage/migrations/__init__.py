"""Alembic migrations for the CareBot schema."""
