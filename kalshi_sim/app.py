"""The simulator's app: a config becomes an exchange, served by the shared route table.

`create_app(config)` builds the exchange once (generating or loading the universe, reading a
replay, or loading a recorded dataset), with its clock, rate limiter and faults, and returns the
Starlette app of `kalshi_sim.handlers.routes`: Kalshi Trade API v2 market data under
/trade-api/v2 and the simulator's control endpoints under /_sim.
"""

from __future__ import annotations

import time

import numpy as np
from starlette.applications import Starlette

from kalshi_core.logs import get_logger
from kalshi_sim.clock import SimClock
from kalshi_sim.config import SimConfig
from kalshi_sim.faults import FaultState
from kalshi_sim.handlers.routes import build_app
from kalshi_sim.model import SyntheticModel
from kalshi_sim.model_exchange import Model, ModelExchange, render_markets_array
from kalshi_sim.universe_cache import cached_universe

log = get_logger(__name__)


def build_model(cfg: SimConfig) -> Model:
    """The price model for a config: replay of a recording, or the synthetic universe."""
    if cfg.replay_path is not None:
        from kalshi_sim.replay import ReplayModel

        return ReplayModel.from_csv(cfg.replay_path, seed=cfg.seed, legacy=cfg.legacy_format)
    return SyntheticModel(cached_universe(cfg, cfg.cache_dir))


def create_app(config: SimConfig | None = None, *, model: Model | None = None) -> Starlette:
    """Build the simulator app (universe generation happens here, not per request)."""
    cfg = config or SimConfig()
    if cfg.recorded_dir is not None and model is None:
        from kalshi_sim.recorded.exchange import create_recorded_app

        return create_recorded_app(cfg)
    t0 = time.perf_counter()
    mdl = model if model is not None else build_model(cfg)
    if cfg.replay_path is not None:
        from kalshi_sim.replay import ReplayModel

        assert isinstance(mdl, ReplayModel)
        start = mdl.start_ts if cfg.start_time is None else cfg.start_time.timestamp()
        clock = SimClock(start, cfg.replay_speed)
    else:
        start = time.time() if cfg.start_time is None else cfg.start_time.timestamp()
        clock = SimClock(start, cfg.time_scale)
    faults = FaultState(cfg.faults, cfg.rate_limit_per_s, cfg.rate_burst)
    state = ModelExchange(cfg, mdl, clock, faults)
    # Compile (or load from cache) the kernels now so the first request is not the slow one.
    if state.u.n_markets:
        now = clock.now()
        state.model.rows(np.arange(min(2, state.u.n_markets)), now)
        state.model.trades(0, now - 60.0, now)
        state.model.volume_last(0, now)
        state.model.trades_window(np.arange(1), now - 60.0, now, 10)
        state.model.quote_ohlc(0, now - 60.0, now)
        state.model.book_levels(0, now, 1)
        render_markets_array(state, [0], now)
    app = build_app(state)
    log.info(
        "simulator ready",
        extra={
            "markets": state.u.n_markets,
            "events": len(state.u.e_ticker),
            "startup_s": round(time.perf_counter() - t0, 3),
            "legacy": cfg.legacy_format,
            "dynamics": cfg.dynamics,
        },
    )
    return app


def admin_state(app: Starlette) -> ModelExchange:
    """The ModelExchange behind an app (for tests and the CLI)."""
    state: ModelExchange = app.state.sim
    return state


__all__ = ["ModelExchange", "admin_state", "build_model", "create_app"]
