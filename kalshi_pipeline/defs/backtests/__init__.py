"""Backtest assets: one per registered strategy, materialized on demand."""
