"""Candles may lack bid/ask OHLC and open interest: candles rebuilt from a recorded trade tape
(`kalshi_sim --recorded`, replaying real Kalshi data) carry trade prices and volume only, and
their quote columns stay NULL (unknown) rather than hold a made-up book. A backtest reads a NULL
quote as unknown (NaN): nothing fills on it.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_COLUMNS = [
    *(
        f"{side}_{part}"
        for side in ("yes_bid", "yes_ask")
        for part in ("open", "high", "low", "close")
    ),
    "open_interest",
]


def upgrade() -> None:
    alters = ", ".join(f"ALTER COLUMN {c} DROP NOT NULL" for c in _COLUMNS)
    op.execute(f"ALTER TABLE market_candles {alters}")


def downgrade() -> None:
    # The old schema cannot hold a candle without quotes: those rows go.
    unknown = " OR ".join(f"{c} IS NULL" for c in _COLUMNS)
    op.execute(f"DELETE FROM market_candles WHERE {unknown}")
    alters = ", ".join(f"ALTER COLUMN {c} SET NOT NULL" for c in _COLUMNS)
    op.execute(f"ALTER TABLE market_candles {alters}")
