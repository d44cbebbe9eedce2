"""PostgreSQL storage: tables, Alembic migrations, repository Protocols and their implementations."""
