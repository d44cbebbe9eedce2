"""History backfill tables: public trades and candlesticks.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _price(name: str, *, nullable: bool = False) -> str:
    null = "" if nullable else " NOT NULL"
    return f"{name} numeric{null} CHECK ({name} >= 0 AND {name} <= 1)"


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE market_trades (
            trade_id text PRIMARY KEY,
            ticker text NOT NULL,
            created_time timestamptz NOT NULL,
            yes_price numeric NOT NULL CONSTRAINT market_trades_yes_price_range
                CHECK (yes_price >= 0 AND yes_price <= 1),
            count numeric NOT NULL CONSTRAINT market_trades_count_nonneg CHECK (count >= 0),
            taker_side text CONSTRAINT market_trades_taker_side CHECK (taker_side IN ('yes', 'no')),
            is_block_trade boolean NOT NULL DEFAULT false
        )
        """
    )
    op.execute("CREATE INDEX market_trades_ticker_time_idx ON market_trades (ticker, created_time)")
    prices = [
        _price(f"{side}_{part}", nullable=side == "price")
        for side in ("yes_bid", "yes_ask", "price")
        for part in ("open", "high", "low", "close")
    ]
    columns = ",\n            ".join(prices)
    op.execute(
        f"""
        CREATE TABLE market_candles (
            ticker text NOT NULL,
            period_minutes smallint NOT NULL CONSTRAINT market_candles_period
                CHECK (period_minutes IN (1, 60, 1440)),
            end_time timestamptz NOT NULL,
            {columns},
            volume numeric NOT NULL CHECK (volume >= 0),
            open_interest numeric NOT NULL CHECK (open_interest >= 0),
            CONSTRAINT market_candles_pkey PRIMARY KEY (ticker, period_minutes, end_time)
        )
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS market_candles")
    op.execute("DROP TABLE IF EXISTS market_trades")
