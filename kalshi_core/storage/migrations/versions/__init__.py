"""Alembic revisions, oldest first; each is frozen DDL (never edit a released one)."""
