"""PostgreSQL (asyncpg) implementations of the repository Protocols, one module per repository.

Build them with `kalshi_core.storage.database.repositories(db)`.
"""
