"""Alembic environment: runs migrations online over psycopg2.

`kalshi_core.storage.migrate` builds the Alembic config in code and passes the database URL as
the `sqlalchemy.url` option; no alembic.ini is needed, so this works from an installed package.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from kalshi_core.storage.tables import metadata

config = context.config
target_metadata = metadata


def _include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    # Day partitions are created at runtime by partitions.py, not described in the metadata.
    return not (type_ == "table" and name is not None and "_p2" in name)


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        include_object=_include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is not None:
        context.configure(
            connection=connectable, target_metadata=target_metadata, include_object=_include_object
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database URL: set sqlalchemy.url (kalshi_core.storage.migrate does)")
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                include_object=_include_object,
                transaction_per_migration=True,
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
