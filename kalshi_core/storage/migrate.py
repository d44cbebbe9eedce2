"""Schema migrations: Alembic configured in code, so they run from an installed package.

    python -m kalshi_core.storage.migrate upgrade [revision]     # default: head
    python -m kalshi_core.storage.migrate downgrade [revision]   # default: base
    python -m kalshi_core.storage.migrate current

The database URL comes from `--database-url` or `DATABASE_URL` (settings). A plain
`postgresql://` URL is turned into `postgresql+psycopg2://` for Alembic. After an upgrade to head
the day partitions for today and the next `partition_days_ahead` days are created.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, pool

from kalshi_core.logs import configure_logging, get_logger
from kalshi_core.settings import get_settings
from kalshi_core.storage.partitions import ensure_partitions_ahead_sync

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
log = get_logger(__name__)


def sqlalchemy_url(database_url: str) -> str:
    """`postgresql://...` (libpq/asyncpg style) -> `postgresql+psycopg2://...` for Alembic."""
    for prefix in (
        "postgresql+asyncpg://",
        "postgresql+psycopg2://",
        "postgresql://",
        "postgres://",
    ):
        if database_url.startswith(prefix):
            return "postgresql+psycopg2://" + database_url[len(prefix) :]
    raise ValueError(f"not a PostgreSQL URL: {database_url.split('@')[-1]!r}")


def alembic_config(database_url: str) -> Config:
    """An Alembic Config pointing at the packaged migrations, no alembic.ini needed."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser interpolation: a '%' in a password must be doubled.
    cfg.set_main_option("sqlalchemy.url", sqlalchemy_url(database_url).replace("%", "%%"))
    return cfg


def head_revision() -> str:
    """The newest revision shipped in this package."""
    head = ScriptDirectory.from_config(
        alembic_config("postgresql://x@localhost/x")
    ).get_current_head()
    if head is None:
        raise RuntimeError("no migrations found")
    return head


def upgrade(
    database_url: str, revision: str = "head", *, partition_days_ahead: int | None = None
) -> None:
    """Apply migrations up to `revision`; at head, also create the day partitions ahead."""
    command.upgrade(alembic_config(database_url), revision)
    if current(database_url) == head_revision():
        days = partition_days_ahead
        if days is None:
            days = get_settings().partition_days_ahead
        ensure_partitions_ahead_sync(database_url, datetime.now(UTC).date(), days)


def downgrade(database_url: str, revision: str = "base") -> None:
    """Revert migrations down to `revision` (`base` drops every table of ours)."""
    command.downgrade(alembic_config(database_url), revision)


def current(database_url: str) -> str | None:
    """The revision the database is at, or None for an empty database."""
    engine = create_engine(sqlalchemy_url(database_url), poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kalshi_core.storage.migrate")
    parser.add_argument("action", choices=("upgrade", "downgrade", "current"))
    parser.add_argument(
        "revision", nargs="?", help="target revision (upgrade: head, downgrade: base)"
    )
    parser.add_argument("--database-url", help="default: DATABASE_URL from the environment/.env")
    args = parser.parse_args(argv)
    settings = get_settings()
    configure_logging(settings.log_level, json=settings.log_json)
    url = args.database_url or settings.database_url
    target = url.split("@")[-1]
    if args.action == "upgrade":
        upgrade(url, args.revision or "head")
        log.info("migrated", extra={"database": target, "revision": current(url)})
    elif args.action == "downgrade":
        downgrade(url, args.revision or "base")
        log.info("downgraded", extra={"database": target, "revision": current(url)})
    else:
        rev = current(url)
        sys.stdout.write(f"{rev or 'base'}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
