"""History backfill assets: trades and candlesticks by UTC day."""
