"""Writes to `markets` and `market_latest` send NOTIFY kalshi_market_data (on commit).

The API caches responses per data version and learns that the data changed from these
notifications (`kalshi_api.changes`). Statement-level triggers fire once per statement, not per
row (a 100,000-row catalogue tick costs one notification), for every writer: ingestion,
metadata upserts, backfills and hand-written SQL alike. PostgreSQL folds identical
notifications of one transaction into one.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TABLES = ("markets", "market_latest")


def upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION kalshi_notify_market_data() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('kalshi_market_data', TG_TABLE_NAME);
            RETURN NULL;
        END $$
        """
    )
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_notify_change "
            f"AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION kalshi_notify_market_data()"
        )


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_notify_change ON {table}")
    op.execute("DROP FUNCTION IF EXISTS kalshi_notify_market_data()")
