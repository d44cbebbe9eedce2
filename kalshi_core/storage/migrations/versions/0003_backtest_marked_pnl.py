"""Backtest results keep the PnL of positions marked at the last bid (no result by end of data).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE backtest_results ADD COLUMN marked_pnl numeric NOT NULL DEFAULT 0")


def downgrade() -> None:
    op.execute("ALTER TABLE backtest_results DROP COLUMN marked_pnl")
