"""Honest Kalshi backtests: quotes on a grid, pure-signal strategies, exact fees, vectorbt.

Public API::

    quotes = await load_quotes(repos, universe, start, end, source="snapshots")
    result = run_backtest(quotes, "favourite", {"lo": "0.85", "hi": "0.97"})
    sweep = run_sweep(quotes, "mean_reversion", {"lookback": [30, 60], "entry_z": [1.5, 2]})

Buys fill at the ask, sells at the bid, capped by top-of-book size, never on a stale quote;
Kalshi fees are charged exactly; open positions settle at $1/$0 by result (void: refund at cost).
"""

from kalshi_core.backtest.jit_cache import configure_numba_cache

configure_numba_cache()  # before any numba compilation in this process

from kalshi_core.backtest.engine import (  # noqa: E402
    ENGINE_VERSION,
    EngineConsistencyError,
    backtest_signals,
    run_backtest,
    run_kernel,
)
from kalshi_core.backtest.fees import (  # noqa: E402
    FeeSchedule,
    FeeScheduleError,
    FeeType,
    fill_fee,
    order_fee,
)
from kalshi_core.backtest.loading import BacktestRepos, load_market_meta, load_quotes  # noqa: E402
from kalshi_core.backtest.quotes import (  # noqa: E402
    MarketMeta,
    QuoteArrays,
    QuoteDataError,
    candle_frame_to_snapshot_frame,
    quotes_from_frame,
)
from kalshi_core.backtest.reference import simulate_reference  # noqa: E402
from kalshi_core.backtest.strategies import (  # noqa: E402
    Signals,
    StrategyError,
    StrategyParams,
    compute_signals,
    get_strategy,
    list_strategies,
    register_strategy,
)
from kalshi_core.backtest.sweep import SweepResult, SweepRow, run_sweep  # noqa: E402

__all__ = [
    "ENGINE_VERSION",
    "BacktestRepos",
    "EngineConsistencyError",
    "FeeSchedule",
    "FeeScheduleError",
    "FeeType",
    "MarketMeta",
    "QuoteArrays",
    "QuoteDataError",
    "Signals",
    "StrategyError",
    "StrategyParams",
    "SweepResult",
    "SweepRow",
    "backtest_signals",
    "candle_frame_to_snapshot_frame",
    "compute_signals",
    "fill_fee",
    "get_strategy",
    "list_strategies",
    "load_market_meta",
    "load_quotes",
    "order_fee",
    "quotes_from_frame",
    "register_strategy",
    "run_backtest",
    "run_kernel",
    "run_sweep",
    "simulate_reference",
]
