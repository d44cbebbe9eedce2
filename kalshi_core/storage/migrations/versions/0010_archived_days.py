"""`archived_days`: the finished days of `market_snapshots` written to Parquet (docs/ARCHIVE.md).

One row per (table, UTC day) whose file was written and verified against the day's partition:
where it is (`url`), how many rows and bytes it holds, the checksum of its rows
(`kalshi_core.storage.archive.RowChecksum`), when it was written and verified, and when the day's
partition was dropped (NULL: the rows are still in PostgreSQL too). Readers take the days with a
`dropped_at` from the archive.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-10
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE archived_days (
            table_name text NOT NULL,
            day date NOT NULL,
            url text NOT NULL,
            rows bigint NOT NULL,
            bytes bigint NOT NULL,
            checksum text NOT NULL,
            written_at timestamptz NOT NULL,
            verified_at timestamptz,
            dropped_at timestamptz,
            CONSTRAINT archived_days_pkey PRIMARY KEY (table_name, day),
            CONSTRAINT archived_days_counts CHECK (rows >= 0 AND bytes > 0),
            CONSTRAINT archived_days_dropped_verified
                CHECK (dropped_at IS NULL OR verified_at IS NOT NULL)
        )
        """
    )


def downgrade() -> None:
    # Days whose partition was dropped live only in their files from then on: the files stay
    # where they are (nothing here deletes them), only the catalogue of them goes.
    op.execute("DROP TABLE archived_days")
