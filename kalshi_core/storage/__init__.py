"""PostgreSQL storage: tables, Alembic migrations, repository Protocols and implementations.

Entry points: `database.Database` + `database.repositories(db)` (runtime, asyncpg),
`migrate.upgrade(url)` / `python -m kalshi_core.storage.migrate upgrade` (schema),
`partitions` (day partitions), `tables.metadata` (the schema for Alembic).
"""
