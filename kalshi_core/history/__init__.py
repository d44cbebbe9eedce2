"""History backfill: past trades and candlesticks of a universe into PostgreSQL, routed between
Kalshi's live and `/historical/*` endpoints by the historical cutoff. Dagster-free; the assets in
`kalshi_pipeline.defs.history` wrap `HistoryBackfill`.
"""

from kalshi_core.history.backfill import BackfillError, BackfillReport, DayResult, HistoryBackfill
from kalshi_core.history.routing import Cutoff, Family
from kalshi_core.history.universe import (
    HistoryMarket,
    HistoryUniverse,
    ResolvedMarkets,
    UniverseError,
    resolve_markets,
)

__all__ = [
    "BackfillError",
    "BackfillReport",
    "Cutoff",
    "DayResult",
    "Family",
    "HistoryBackfill",
    "HistoryMarket",
    "HistoryUniverse",
    "ResolvedMarkets",
    "UniverseError",
    "resolve_markets",
]
