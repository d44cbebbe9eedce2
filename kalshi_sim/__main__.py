"""Command line: `python -m kalshi_sim --port 8765 --markets 5000 --seed 1 [...]`."""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path

import uvicorn

from kalshi_core.logs import configure_logging, get_logger
from kalshi_core.settings import get_settings
from kalshi_sim.app import create_app
from kalshi_sim.config import (
    DYNAMICS,
    FaultConfig,
    SimConfig,
    anchor_from_iso,
    default_anchor,
)
from kalshi_sim.recorded.data import DATASETS, RecordedDataError
from kalshi_sim.recorded.exchange import check_config
from kalshi_sim.universe_cache import default_cache_dir

log = get_logger("kalshi_sim")


def parse_args(argv: list[str] | None = None) -> SimConfig:
    p = argparse.ArgumentParser(prog="python -m kalshi_sim", description=__doc__)
    settings = get_settings()
    p.add_argument("--host", default=settings.sim_host, help="default: SIM_HOST")
    p.add_argument("--port", type=int, default=settings.sim_port, help="default: SIM_PORT")
    p.add_argument("--markets", type=int, default=5000, help="non-combo markets")
    p.add_argument("--mve-markets", type=int, default=None, help="combo markets (default: same)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument(
        "--dynamics",
        choices=DYNAMICS,
        default="calibrated",
        help="calibrated: most markets quiet, a few busy, as measured on Kalshi's recordings "
        "(docs/SIMULATOR.md); busy: every market requotes every minute (worst case for writers)",
    )
    p.add_argument(
        "--activity",
        type=float,
        default=1.0,
        help="calibrated dynamics: multiply every market's trade and requote rates",
    )
    p.add_argument(
        "--legacy-format",
        action="store_true",
        help="serve integer cents + *_dollars (pre-2026-03-12 format)",
    )
    p.add_argument(
        "--anchor", default=None, help="universe epoch, ISO-8601 (default: today 00:00Z)"
    )
    p.add_argument("--start-time", default=None, help="simulated time at start, ISO-8601")
    p.add_argument("--time-scale", type=float, default=1.0, help="simulated s per wall s")
    p.add_argument("--rate-limit", type=float, default=20.0, help="requests/s, 0 = off")
    p.add_argument("--rate-burst", type=float, default=None)
    p.add_argument("--historical-days", type=float, default=30.0)
    p.add_argument(
        "--horizon-days",
        type=float,
        default=0.0,
        help="extra days of future events (for long or --time-scale runs)",
    )
    p.add_argument("--error-rate", type=float, default=0.0)
    p.add_argument("--latency-ms", type=float, default=0.0)
    p.add_argument("--timeout-rate", type=float, default=0.0)
    p.add_argument("--hang-s", type=float, default=30.0)
    p.add_argument("--truncate-rate", type=float, default=0.0)
    p.add_argument("--malformed-rate", type=float, default=0.0)
    p.add_argument("--drop-field-rate", type=float, default=0.0)
    p.add_argument("--outage-s", type=float, default=0.0, help="fail everything for N s at start")
    p.add_argument("--outage-mode", choices=("503", "reset"), default="503")
    p.add_argument("--storm-s", type=float, default=0.0, help="answer 429 to all for N s")
    p.add_argument("--replay", type=Path, default=None, help="CSV of recorded snapshots")
    p.add_argument("--speed", type=float, default=1.0, help="replay speed multiplier")
    p.add_argument(
        "--recorded",
        type=Path,
        default=None,
        metavar="DIR",
        help="serve real recordings from DIR (layouts: kalshi_sim/README.md)",
    )
    p.add_argument(
        "--dataset",
        action="append",
        choices=DATASETS,
        default=[],
        help="with --recorded: the layout(s) to load (repeatable; default: all present)",
    )
    p.add_argument(
        "--cutoff",
        default=None,
        help="with --recorded: historical cutoff, ISO-8601 (default: middle of the recording)",
    )
    p.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        help="universe cache (default: $KALSHI_SIM_CACHE_DIR or ~/.cache/kalshi_sim)",
    )
    p.add_argument("--no-cache", action="store_true", help="always generate the universe")
    a = p.parse_args(argv)
    if a.recorded is None and (a.dataset or a.cutoff):
        p.error("--dataset and --cutoff apply to --recorded")
    if a.activity <= 0:
        p.error("--activity must be positive")
    if a.activity != 1.0 and a.dynamics != "calibrated":
        p.error("--activity applies to --dynamics calibrated")
    now = time.time()
    faults = FaultConfig(
        error_rate=a.error_rate,
        latency_ms=a.latency_ms,
        timeout_rate=a.timeout_rate,
        hang_s=a.hang_s,
        truncate_rate=a.truncate_rate,
        malformed_rate=a.malformed_rate,
        drop_field_rate=a.drop_field_rate,
        outage_until=now + a.outage_s if a.outage_s else 0.0,
        outage_mode=a.outage_mode,
        storm_until=now + a.storm_s if a.storm_s else 0.0,
        seed=a.seed,
    )
    cfg = SimConfig(
        seed=a.seed,
        markets=a.markets,
        mve_markets=a.mve_markets,
        dynamics=a.dynamics,
        activity=a.activity,
        legacy_format=a.legacy_format,
        anchor=anchor_from_iso(a.anchor) if a.anchor else default_anchor(),
        start_time=anchor_from_iso(a.start_time) if a.start_time else None,
        time_scale=a.time_scale,
        rate_limit_per_s=a.rate_limit,
        rate_burst=a.rate_burst,
        historical_days=a.historical_days,
        horizon_days=a.horizon_days,
        faults=faults,
        replay_path=a.replay,
        replay_speed=a.speed,
        recorded_dir=a.recorded,
        recorded_datasets=tuple(a.dataset),
        recorded_cutoff=anchor_from_iso(a.cutoff) if a.cutoff else None,
        host=a.host,
        port=a.port,
        cache_dir=None if a.no_cache else (a.cache_dir or default_cache_dir()),
    )
    if cfg.recorded_dir is not None:
        try:
            check_config(cfg)
        except ValueError as exc:
            p.error(str(exc))
    return replace(cfg)


def main(argv: list[str] | None = None) -> None:
    settings = get_settings()
    configure_logging(settings.log_level, json=settings.log_json)
    cfg = parse_args(argv)
    try:
        app = create_app(cfg)
    except RecordedDataError as exc:
        raise SystemExit(f"kalshi_sim: {exc}") from None  # file:line: column: what is wrong
    log.info("serving", extra={"url": f"http://{cfg.host}:{cfg.port}/trade-api/v2"})
    uvicorn.run(app, host=cfg.host, port=cfg.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
