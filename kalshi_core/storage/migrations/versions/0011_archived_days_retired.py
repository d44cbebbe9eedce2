"""`archived_days.retired_at`: a day is served from its file before its partition is dropped.

Readers of other processes keep their list of archived days for up to ARCHIVE_CATALOGUE_TTL_S.
Dropping a partition the moment its day is recorded as dropped would let such a reader miss the
day's rows; so the archive job first retires the day (`retired_at`: readers take it from the
file, while the partition still holds the same rows), and drops the partition only once every
reader must have switched (docs/ARCHIVE.md). A day already dropped counts as retired when it was
dropped. The checks keep the order: verified, then retired, then dropped.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-12
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE archived_days ADD COLUMN retired_at timestamptz")
    op.execute("UPDATE archived_days SET retired_at = dropped_at WHERE dropped_at IS NOT NULL")
    op.execute(
        "ALTER TABLE archived_days ADD CONSTRAINT archived_days_retired_verified "
        "CHECK (retired_at IS NULL OR verified_at IS NOT NULL)"
    )
    op.execute(
        "ALTER TABLE archived_days ADD CONSTRAINT archived_days_dropped_retired "
        "CHECK (dropped_at IS NULL OR retired_at IS NOT NULL)"
    )


def downgrade() -> None:
    # A day retired but not dropped goes back to being read from PostgreSQL (its partition is
    # still there, with the rows of its verified file); 0010's archive job drops it as before.
    op.execute("ALTER TABLE archived_days DROP CONSTRAINT archived_days_dropped_retired")
    op.execute("ALTER TABLE archived_days DROP CONSTRAINT archived_days_retired_verified")
    op.execute("ALTER TABLE archived_days DROP COLUMN retired_at")
