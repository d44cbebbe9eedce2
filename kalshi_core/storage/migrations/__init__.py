"""Alembic migration environment for the workbench schema (packaged so it runs from a wheel)."""
