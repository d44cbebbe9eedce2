"""One runner per data set of the real-data report (`run_multi`, `run_econ`, `run_nba`, by name
in `RUNNERS`): each imports its files into the database it is given and returns its figures.
The data files they read are named here (`KEY_FILES`: one per data set, its presence in the
data folder is what makes the set found)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from bench.real_strategy.calibration import band_grid, calibration_table
from bench.real_strategy.figures import TakerPrint, taker_figures
from bench.real_strategy.sweeps import (
    ECON_GRIDS,
    GRIDS,
    oos_breakdown,
    sweep_row,
    wait_profile,
)
from bench.real_strategy.transforms import (
    known_at_split,
    made_after_split,
    mirror_calibration_trade,
    mirror_meta,
    mirror_tape,
    with_close_rule,
)
from kalshi_core.analysis.calibration import CalibrationTrade
from kalshi_core.backtest import MarketMeta, QuoteArrays, load_market_meta
from kalshi_core.backtest.metrics import bucket_ends
from kalshi_core.backtest.quotes import quotes_from_trades
from kalshi_core.backtest.sweep import split_index
from kalshi_core.imports import DumpImportError, import_dump
from kalshi_core.storage.database import Database, Repositories

KEY_FILES = {
    "multi": "multi_trades.csv.gz",
    "econ": "econ_trades.csv.gz",
    "nba": "nba_candles_1m.csv.gz",
}
MULTI_MARKETS = "multi_enriched_markets.csv"  # the markets with their series (results as closed)
NBA_RESULTS = "nba_results_inferred.csv"
ASSUMED = "favourite (assumed: whole-minute closes scheduled)"


async def _taker_prints(db: Database, tickers: Sequence[str]) -> list[TakerPrint]:
    async with db.acquire() as conn:
        rows = await conn.fetch(
            "SELECT t.ticker, t.yes_price, t.count, t.taker_side, m.result FROM market_trades t "
            "LEFT JOIN markets m ON m.ticker = t.ticker "
            "WHERE t.ticker = ANY($1::text[]) AND NOT t.is_block_trade",
            list(tickers),
        )
    return [TakerPrint(r[0], r[1], r[2], r[3], r[4]) for r in rows]


def _grid_bounds(
    tape: pd.DataFrame, closes: Iterable[datetime | None], freq: str
) -> tuple[datetime, datetime]:
    step = pd.Timedelta(freq)
    first = pd.Timestamp(tape["created_time"].min()).floor(step)
    last = pd.Timestamp(tape["created_time"].max())
    known = [pd.Timestamp(c) for c in closes if c is not None]
    end = max([last, *known]).ceil(step) + step
    return first.to_pydatetime(), end.to_pydatetime()


def _known_before_close(metas: Sequence[MarketMeta]) -> int:
    """Markets whose final close some bar before it can read."""
    return sum(
        1
        for m in metas
        if m.close_time is not None
        and any(c == m.close_time and k < m.close_time for k, c in m.close_times or ())
    )


def _data_facts(
    tape: pd.DataFrame, metas: Sequence[MarketMeta], events: dict[str, str]
) -> dict[str, Any]:
    times = tape["created_time"]
    return {
        "markets": len(metas),
        "prints": len(tape),
        "contracts": float(tape["count"].sum()),
        "events": len({events.get(m.ticker, m.ticker) for m in metas}),
        "results": {r: sum(1 for m in metas if m.result == r) for r in ("yes", "no")},
        "first_print": times.min().isoformat(),
        "last_print": times.max().isoformat(),
        "days": round((times.max() - times.min()).total_seconds() / 86400, 2),
    }


async def run_multi(
    root: Path, repos: Repositories, db: Database, args: argparse.Namespace
) -> dict[str, Any]:
    report = await import_dump(
        [root / MULTI_MARKETS, root / KEY_FILES["multi"]],
        history=repos.history,
        markets=repos.markets,
    )
    async with db.acquire() as conn:
        rows = await conn.fetch(
            "SELECT m.ticker, m.event_ticker FROM markets m WHERE m.result IN ('yes', 'no') "
            "AND EXISTS (SELECT 1 FROM market_trades t WHERE t.ticker = m.ticker) ORDER BY m.ticker"
        )
    universe = [r["ticker"] for r in rows]
    events = {r["ticker"]: r["event_ticker"] for r in rows}
    metas = await load_market_meta(repos, universe)  # each close as the import recorded it
    assumed = [with_close_rule(m) for m in metas]
    freq, staleness = args.freq, args.staleness
    lookback = max(pd.Timedelta(freq), pd.Timedelta(staleness))
    tape_all = await repos.history.trade_frame(
        universe, datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)
    )
    start, end = _grid_bounds(tape_all, (m.close_time for m in metas), freq)
    tape = await repos.history.trade_frame(universe, start - lookback, end, as_of=True)

    def grid(frame: pd.DataFrame, meta: Sequence[MarketMeta], wait: int) -> QuoteArrays:
        return quotes_from_trades(
            frame, meta, start=start, end=end, freq=freq, staleness=staleness, max_wait_bars=wait
        )

    both_tape = pd.concat([tape, mirror_tape(tape)], ignore_index=True)
    both_meta = [*metas, *(mirror_meta(m) for m in metas)]
    q_yes = grid(tape, metas, args.max_wait)
    q_both = grid(both_tape, both_meta, args.max_wait)
    k = split_index(q_yes, args.split)
    split = q_yes.index[k].to_pydatetime()

    cal_rows = [t async for t in repos.calibration.trades(None) if t.ticker in events]
    either_rows = [*cal_rows, *(mirror_calibration_trade(t) for t in cal_rows)]
    calibration = {
        "whole": calibration_table(cal_rows),
        "train": calibration_table(known_at_split(cal_rows, split)),
        "test": calibration_table(made_after_split(cal_rows, split)),
        "either_side_whole": calibration_table(either_rows),
        "either_side_train": calibration_table(known_at_split(either_rows, split)),
        "either_side_test": calibration_table(made_after_split(either_rows, split)),
    }
    train_markets = {t.ticker for t in known_at_split(cal_rows, split)}
    test_tickers = set(tape.loc[tape["created_time"] >= split, "market_ticker"])
    period = {
        "split": split.isoformat(),
        "train_markets_settled": len(train_markets),
        "train_events_settled": len({events[t] for t in train_markets}),
        "test_markets_traded": len(test_tickers),
        "test_events_traded": len({events[t] for t in test_tickers if t in events}),
        "test_prints": int((tape["created_time"] >= split).sum()),
        "train_hourly_returns": len(bucket_ends(q_yes.index[:k], args.sharpe_freq)),
        "test_hourly_returns": len(bucket_ends(q_yes.index[k:], args.sharpe_freq)),
    }

    strategies = [
        sweep_row(name, q_yes, name, grid_, k, args.sharpe_freq) for name, grid_ in GRIDS.items()
    ]
    q_assumed = grid(tape, assumed, args.max_wait)
    strategies.insert(
        1,
        sweep_row(ASSUMED, q_assumed, "favourite", GRIDS["favourite"], k, args.sharpe_freq),
    )
    yes_grid = band_grid(calibration["train"])
    either_grid = band_grid(calibration["either_side_train"])
    bands_rows: list[dict[str, Any]] = []
    if yes_grid:
        bands_rows.append(
            sweep_row(
                "calibration_bands (YES side)",
                q_yes,
                "calibration_bands",
                yes_grid,
                k,
                args.sharpe_freq,
            )
        )
    if either_grid:
        bands_rows.append(
            sweep_row(
                "calibration_bands (either side)",
                q_both,
                "calibration_bands",
                either_grid,
                k,
                args.sharpe_freq,
            )
        )
    strategies += bands_rows

    # The order wait: how the chosen calibration_bands parameters fare with shorter/longer waits.
    waits: list[dict[str, Any]] = []
    for row in bands_rows:
        if row["best_params"] is None:
            continue
        universe_tape, universe_meta = (
            (both_tape, both_meta) if "either" in row["label"] else (tape, metas)
        )
        for wait in sorted({1, args.max_wait, 15}):
            q = grid(universe_tape, universe_meta, wait)
            r = sweep_row(
                row["label"], q, "calibration_bands", [row["best_params"]], k, args.sharpe_freq
            )
            waits.append(
                {
                    "label": row["label"],
                    "max_wait_bars": wait,
                    "oos_sharpe": r["oos_sharpe"],
                    "oos_pnl": r["oos_pnl"],
                    "oos_trades": r["oos_trades"],
                }
            )

    breakdown = {
        row["label"]: oos_breakdown(
            q_both if "either" in row["label"] else q_yes, row["best_params"], k
        )
        for row in bands_rows
        if row["best_params"] is not None
    }
    return {
        "dataset": "multi",
        "import": report.summary().splitlines()[0],
        "data": _data_facts(tape_all, metas, events),
        "period": period,
        "grid": {
            "freq": freq,
            "staleness": staleness,
            "max_wait_bars": args.max_wait,
            "fill_delay_bars": 1,
            "sharpe_freq": args.sharpe_freq,
            "split": args.split,
            "bars": q_yes.n_bars,
        },
        "closes_recorded_by_import": {
            "known_from_open": report.closes_known_from_open,
            "known_at_close": report.closes_known_at_close,
        },
        "closes_known_before_close": _known_before_close(metas),
        "closes_known_before_close_assumed": _known_before_close(assumed),
        "wait_profile": wait_profile(q_yes),
        "calibration": calibration,
        "becker": taker_figures(await _taker_prints(db, universe)),
        "strategies": strategies,
        "wait_sensitivity": waits,
        "oos_breakdown": breakdown,
    }


async def run_econ(
    root: Path, repos: Repositories, db: Database, args: argparse.Namespace
) -> dict[str, Any]:
    report = await import_dump(
        [root / KEY_FILES["econ"]], history=repos.history, markets=repos.markets
    )
    async with db.acquire() as conn:
        universe = [
            r[0] for r in await conn.fetch("SELECT DISTINCT ticker FROM market_trades ORDER BY 1")
        ]
    # The tapes come without market rows: no result, no close, no fee schedule is recorded.
    metas = [MarketMeta(ticker=t, close_times=()) for t in universe]
    events = {t: t.rsplit("-", 1)[0] for t in universe}
    freq, staleness = args.econ_freq, args.econ_staleness
    tape_all = await repos.history.trade_frame(
        universe, datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)
    )
    start, end = _grid_bounds(tape_all, (), freq)
    lookback = max(pd.Timedelta(freq), pd.Timedelta(staleness))
    tape = await repos.history.trade_frame(universe, start - lookback, end, as_of=True)
    quotes = quotes_from_trades(
        tape, metas, start=start, end=end, freq=freq, staleness=staleness,
        max_wait_bars=args.econ_max_wait,
    )  # fmt: skip
    k = split_index(quotes, args.split)
    sharpe_freq = freq
    return {
        "dataset": "econ",
        "import": report.summary().splitlines()[0],
        "data": _data_facts(tape_all, metas, events),
        "period": {
            "split": quotes.index[k].isoformat(),
            "train_returns": len(bucket_ends(quotes.index[:k], sharpe_freq)),
            "test_returns": len(bucket_ends(quotes.index[k:], sharpe_freq)),
        },
        "grid": {
            "freq": freq,
            "staleness": staleness,
            "max_wait_bars": args.econ_max_wait,
            "fill_delay_bars": 1,
            "sharpe_freq": sharpe_freq,
            "split": args.split,
            "bars": quotes.n_bars,
        },
        "wait_profile": wait_profile(quotes),
        "calibration": None,
        "strategies": [
            sweep_row(name, quotes, name, grid_, k, sharpe_freq)
            for name, grid_ in ECON_GRIDS.items()
        ],
    }


async def run_nba(
    root: Path, repos: Repositories, db: Database, args: argparse.Namespace
) -> dict[str, Any]:
    try:
        await import_dump([root / KEY_FILES["nba"]], history=repos.history, markets=repos.markets)
        refused = "imported (unexpected)"
    except DumpImportError as exc:
        text = str(exc).replace(f"{root}{os.sep}", "")
        refused = " ".join(line.strip() for line in text.splitlines()[:2])
    candles = pd.read_csv(root / KEY_FILES["nba"])
    inferred = pd.read_csv(root / NBA_RESULTS, dtype={"result_inferred": str})
    result = dict(zip(inferred["ticker"], inferred["result_inferred"].fillna(""), strict=True))
    last_minute = candles.groupby("ticker")["timestamp"].max()
    rows: list[CalibrationTrade] = []
    for ticker, ts, close, volume in candles[["ticker", "timestamp", "close", "volume"]].itertuples(
        index=False
    ):
        if volume <= 0:
            continue
        rows.append(
            CalibrationTrade(
                ticker=str(ticker),
                # a candle is stamped by its minute's start; its close is the minute's last print
                created_time=datetime.fromtimestamp(int(ts) + 59, UTC),
                yes_price=Decimal(str(close)).scaleb(-2),
                count=Decimal(int(volume)),
                result=result.get(str(ticker)) or None,
                close_time=datetime.fromtimestamp(int(last_minute[ticker]) + 60, UTC),
            )
        )
    five_cents = taker_figures(
        TakerPrint(t.ticker, t.yes_price, t.count, None, t.result) for t in rows
    )
    first = datetime.fromtimestamp(int(candles["timestamp"].min()), UTC)
    last = datetime.fromtimestamp(int(candles["timestamp"].max()), UTC)
    return {
        "dataset": "nba",
        "import": f"refused: {refused}",
        "data": {
            "markets": int(candles["ticker"].nunique()),
            "candles": len(candles),
            "contracts": float(candles["volume"].sum()),
            "games": int(candles["game_id"].nunique()),
            "results_inferred": {
                r: int((inferred["result_inferred"] == r).sum()) for r in ("yes", "no")
            },
            "first_minute": first.isoformat(),
            "last_minute": last.isoformat(),
            "days": round((last - first).total_seconds() / 86400, 2),
        },
        "calibration_descriptive": calibration_table(rows),
        "becker": {k: v for k, v in five_cents.items() if k != "takers"},
        "strategies": [],
    }


RUNNERS = {"multi": run_multi, "econ": run_econ, "nba": run_nba}
