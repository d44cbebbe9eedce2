"""The answer on real data: every strategy on the recorded Kalshi tapes, out of sample by time.

    .venv/bin/python -m bench.real_strategy_report --data DIR [--dataset multi] [--markdown]
    KALSHI_REALDATA_DIR=DIR .venv/bin/python -m bench.real_strategy_report      # the same

For each data set found in DIR (the layouts of docs/REALDATA.md) it creates a throwaway
database, imports the files with `kalshi_core.imports`, and reports:

- multi (tapes with taker sides and recorded results): the calibration (docs/CALIBRATION.md)
  of the whole set, of the train period and of the test period, for YES buyers and for buyers
  of either side; then one parameter sweep per registered strategy on the trade tape
  (``source="trades"`` fill rule, `fill_delay_bars` 1, orders waiting `--max-wait` bars,
  Kalshi taker fees) with a time split: train = the first `--split` of the grid, test = the
  rest. Per strategy: the best parameters by train Sharpe, its out-of-sample Sharpe, PnL after
  fees and trades, and the deflated Sharpe of that selection. `calibration_bands` buys in the
  price bands whose return after fees was positive in the train-period calibration, which only
  counts prints made before the split in markets that closed before it (their result was known
  then). It runs twice: on the markets as they are (YES bands of the YES calibration), and on a
  universe listing each market's NO side as a market of its own (`mirror_tape`, `mirror_meta`;
  bands of the either-side calibration), so that it can buy the favourite on either side.
- econ (tapes, no outcomes): the same sweeps on a daily grid; positions can only be marked at
  the last NO-taker print, never settled, and no calibration exists.
- nba (1-minute candles of trade prices, no taker side, results inferred from the last price):
  no fill is possible under the trade-only rule (the import refuses the file); a descriptive
  calibration of candle closes (volume-weighted, inferred results) is reported instead.

Closes: signals read the close as the import recorded it (`kalshi_core.closes`): known from the
market's open only where the dump says it cannot close early. The multi dumps do not say
(no `can_close_early` column), so every close is known only at the close and `favourite`,
the one close-relative rule, has nothing to trade. So that its idea is still tested, it runs a
second time under an assumption the data do not state, labelled as such: a close on a whole
minute (crypto strikes close on the hour) is scheduled and known from the start, one with a
fractional second (sports markets close when the outcome is determined) is known to no bar.
Fees: the dumps hold no series fee schedule; every market is charged Kalshi's quadratic taker
fee with multiplier 1.

Prints one summary line per data set (stderr), then the figures as JSON (``--markdown``: the
tables of docs/STRATEGIES.md instead; ``--json FILE`` also writes the JSON there); exits 2 when
DIR holds no data set.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pandas as pd
import psycopg2

from kalshi_core.analysis.calibration import (
    CalibrationParams,
    CalibrationTrade,
    band_index,
    calibrate,
    exclusion,
)
from kalshi_core.backtest import MarketMeta, QuoteArrays, load_market_meta, run_sweep
from kalshi_core.backtest.engine import run_kernel
from kalshi_core.backtest.fees import FeeSchedule, order_fee
from kalshi_core.backtest.kernels import O_COUNT, O_FEE, O_MARKET, O_PRICE, O_REASON, R_ENTRY
from kalshi_core.backtest.metrics import bucket_ends
from kalshi_core.backtest.quotes import quotes_from_trades
from kalshi_core.backtest.strategies import compute_signals
from kalshi_core.backtest.sweep import SweepResult, split_index
from kalshi_core.imports import DumpImportError, import_dump
from kalshi_core.storage.database import Database, Repositories, repositories
from kalshi_core.storage.migrate import upgrade

ADMIN_URL = os.environ.get(
    "BENCH_DATABASE_ADMIN_URL",
    os.environ.get("TEST_DATABASE_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
)
KEY_FILES = {
    "multi": "multi_trades.csv.gz",
    "econ": "econ_trades.csv.gz",
    "nba": "nba_candles_1m.csv.gz",
}
MULTI_MARKETS = "multi_enriched_markets.csv"  # the markets with their series (results as closed)
NBA_RESULTS = "nba_results_inferred.csv"
NO_SUFFIX = "~NO"  # ticker of a market's NO side in the mirrored universe
KNOWN_SINCE = datetime(1970, 1, 1, tzinfo=UTC)  # an assumed scheduled close: known at every bar
ASSUMED = "favourite (assumed: whole-minute closes scheduled)"
ONE = Decimal(1)
FIVE_CENTS = Decimal("0.05")
RETURN_THRESHOLDS = (Decimal(0), Decimal("0.02"), Decimal("0.05"))
MIN_BAND_OBSERVATIONS = 30
DSR_BAR = 0.95  # a selection whose deflated Sharpe is below this is not told apart from luck
QUADRATIC = FeeSchedule.parse("quadratic", ONE)

# Grids on a 1-minute tape (lookbacks and holding limits in bars = minutes).
GRIDS: dict[str, dict[str, list[Any]]] = {
    "favourite": {
        "lo": ["0.80", "0.85", "0.90"],
        "hi": ["0.95", "0.97", "0.99"],
        "hours_to_close": [1, 3, 6],
    },
    "mean_reversion": {"lookback": [15, 30, 60], "entry_z": [1.5, 2.0, 2.5], "timeout_bars": [60]},
    "momentum": {
        "lookback": [15, 30, 60],
        "trail_stop": ["0.03", "0.05", "0.10"],
        "max_hold_bars": [240],
    },
}
# The econ tapes on a daily grid (lookbacks and holding limits in days).
ECON_GRIDS: dict[str, dict[str, list[Any]]] = {
    "favourite": {
        "lo": ["0.80", "0.85", "0.90"],
        "hi": ["0.95", "0.97", "0.99"],
        "hours_to_close": [24, 72, 168],
    },
    "mean_reversion": {"lookback": [5, 10, 20], "entry_z": [1.5, 2.0, 2.5], "timeout_bars": [10]},
    "momentum": {
        "lookback": [5, 10, 20],
        "trail_stop": ["0.03", "0.05", "0.10"],
        "max_hold_bars": [30],
    },
}


# --- the NO side as a market of its own ------------------------------------------------------

_FLIP = {"yes": "no", "no": "yes"}


def mirror_tape(frame: pd.DataFrame) -> pd.DataFrame:
    """The tape of each market's NO side, in YES terms of a market `<ticker>~NO`.

    A NO contract at q is a YES contract of the mirror at q: a print at YES price p is one at
    1 - p there, and its taker side flips (a NO-taker bought NO at 1 - p, so the mirror's ask
    was 1 - p; a YES-taker sold NO, hitting the mirror's bid). Unknown sides stay unknown,
    block trades stay block trades; sizes and times are unchanged."""
    out = frame.copy()
    out["market_ticker"] = frame["market_ticker"].astype(str) + NO_SUFFIX
    out["yes_price"] = np.round(1.0 - frame["yes_price"].astype(np.float64), 6)
    side = frame["taker_side"]
    out["taker_side"] = side.map(_FLIP).astype(object).where(side.notna(), None)
    return out


def mirror_meta(meta: MarketMeta) -> MarketMeta:
    """Metadata of the NO side: the result flipped (a scalar pays 1 - value), the rest kept."""
    value = meta.settlement_value
    return meta.model_copy(
        update={
            "ticker": meta.ticker + NO_SUFFIX,
            "result": _FLIP.get(meta.result or "", meta.result),
            "settlement_value": None if value is None else ONE - value,
        }
    )


def mirror_calibration_trade(trade: CalibrationTrade) -> CalibrationTrade:
    """The same print read as the purchase of NO at 1 - p (result flipped)."""
    return CalibrationTrade(
        ticker=trade.ticker + NO_SUFFIX,
        created_time=trade.created_time,
        yes_price=ONE - trade.yes_price,
        count=trade.count,
        result=_FLIP.get(trade.result or "", trade.result),
        close_time=trade.close_time,
        fee_type=trade.fee_type,
        fee_multiplier=trade.fee_multiplier,
    )


def with_close_rule(meta: MarketMeta) -> MarketMeta:
    """The close a signal may know under the report's assumption (not in the data): a close on
    a whole minute is scheduled (known from the start); one with a fractional second is an
    early close, known to no bar."""
    close = meta.close_time
    scheduled = close is not None and close.second == 0 and close.microsecond == 0
    return meta.model_copy(update={"close_times": ((KNOWN_SINCE, close),) if scheduled else ()})


# --- calibration by period ---------------------------------------------------------------------


def known_at_split(trades: Iterable[CalibrationTrade], split: datetime) -> list[CalibrationTrade]:
    """Prints whose outcome a trader knew at the split: made before it, in markets that closed
    before it (the dumps hold no settlement times; a result follows its close)."""
    return [
        t
        for t in trades
        if t.created_time < split and t.close_time is not None and t.close_time <= split
    ]


def made_after_split(trades: Iterable[CalibrationTrade], split: datetime) -> list[CalibrationTrade]:
    """Prints made at or after the split (the out-of-sample calibration)."""
    return [t for t in trades if t.created_time >= split]


def calibration_table(trades: Sequence[CalibrationTrade]) -> dict[str, Any]:
    """`calibrate` with the default parameters, plus per band the markets with a kept print
    there and the share of them that settled YES, each market counted once whatever its
    volume (a mirrored NO side counts as a market of its own)."""
    params = CalibrationParams()
    result = calibrate(trades, params)
    window = timedelta(seconds=params.close_window_s)
    edges = list(params.band_edges)
    markets: list[dict[str, bool]] = [{} for _ in result.bands]
    for t in trades:
        if exclusion(t, window) is None:
            markets[band_index(t.yes_price, edges)][t.ticker] = t.result == "yes"
    return {
        "markets": result.markets,
        "observations": result.observations,
        "contracts": str(result.contracts),
        "brier": _s(result.brier),
        "first": None if result.first_trade_at is None else result.first_trade_at.isoformat(),
        "last": None if result.last_trade_at is None else result.last_trade_at.isoformat(),
        "excluded": result.exclusions,
        "bands": [
            {
                "lower": str(b.lower),
                "upper": str(b.upper),
                "observations": b.observations,
                "markets": len(markets[i]),
                "market_win_rate": _ratio(
                    Decimal(sum(markets[i].values())), Decimal(len(markets[i]))
                ),
                "contracts": str(b.contracts),
                "mean_price": _s(b.mean_price),
                "win_rate": _s(b.win_rate),
                "return_after_fees": _s(b.return_after_fees),
            }
            for i, b in enumerate(result.bands)
        ],
    }


def positive_bands(
    table: dict[str, Any], threshold: Decimal, min_observations: int = MIN_BAND_OBSERVATIONS
) -> list[list[str]]:
    """The bands of a calibration table whose return after fees is above `threshold`, with at
    least `min_observations` prints, as `calibration_bands` parameters ([lo, hi] pairs)."""
    return [
        [b["lower"], b["upper"]]
        for b in table["bands"]
        if b["return_after_fees"] is not None
        and Decimal(b["return_after_fees"]) > threshold
        and b["observations"] >= min_observations
    ]


def band_grid(table: dict[str, Any]) -> list[dict[str, Any]]:
    """One sweep combination per distinct band set: for each return threshold, the positive
    bands, and the favourites among them (bands from 0.50 up: the favourite-longshot pattern
    says buy favourites, fixed before looking at the data)."""
    out: list[dict[str, Any]] = []
    for threshold in RETURN_THRESHOLDS:
        bands = positive_bands(table, threshold)
        favourites = [b for b in bands if Decimal(b[0]) >= Decimal("0.50")]
        for chosen in (bands, favourites):
            if chosen and {"bands": chosen} not in out:
                out.append({"bands": chosen})
    return out


@dataclass(frozen=True, slots=True)
class TakerPrint:
    """A print with its taker side and its market's result (Becker-style figures)."""

    ticker: str
    yes_price: Decimal
    count: Decimal
    taker_side: str | None
    result: str | None


@dataclass(slots=True)
class _Excess:
    prints: int = 0
    contracts: Decimal = Decimal(0)
    excess: Decimal = Decimal(0)  # sum of c (won - price)
    fees: Decimal = Decimal(0)
    per_print: Decimal = Decimal(0)  # sum of (won - price), one per print

    def figures(self) -> dict[str, Any]:
        return {
            "prints": self.prints,
            "contracts": str(self.contracts),
            "excess_before_fees": _ratio(self.excess, self.contracts),
            "excess_after_fees": _ratio(self.excess - self.fees, self.contracts),
            "excess_per_print_before_fees": _ratio(self.per_print, Decimal(self.prints)),
        }


def taker_figures(prints: Iterable[TakerPrint]) -> dict[str, Any]:
    """Over every print of a market settled yes/no (no close window, as Becker counts trades):
    the taker's excess return (win of the side bought minus its price), contract-weighted and
    per print, before and after the taker fee, for all takers and per side bought; the makers'
    is minus the takers' before fees (makers pay no fee here). And how often contracts priced
    at exactly 5 cents won: YES at 0.05 from a print at 0.05, NO at 0.05 from one at 0.95,
    contract-weighted and per market side (each market side at 5c counted once)."""
    takers = {"all": _Excess(), "yes": _Excess(), "no": _Excess()}
    five = five_won = Decimal(0)
    five_sides: dict[str, bool] = {}
    for p in prints:
        if p.result not in ("yes", "no") or p.count <= 0:
            continue
        for price, side in ((p.yes_price, "yes"), (ONE - p.yes_price, "no")):
            if price == FIVE_CENTS:
                five += p.count
                five_won += p.count if p.result == side else 0
                five_sides[f"{p.ticker} {side}"] = p.result == side
        if p.taker_side not in ("yes", "no"):
            continue
        price = p.yes_price if p.taker_side == "yes" else ONE - p.yes_price
        won = ONE if p.result == p.taker_side else Decimal(0)
        fee = order_fee([(p.count, price)], QUADRATIC)
        for acc in (takers["all"], takers[p.taker_side]):
            acc.prints += 1
            acc.contracts += p.count
            acc.excess += p.count * (won - price)
            acc.fees += fee
            acc.per_print += won - price
    return {
        "takers": {k: v.figures() for k, v in takers.items()},
        "contracts_at_5c": str(five),
        "win_rate_at_5c": _ratio(five_won, five),
        "market_sides_at_5c": len(five_sides),
        "market_sides_at_5c_won": sum(five_sides.values()),
    }


def _ratio(num: Decimal, den: Decimal) -> str | None:
    return None if den == 0 else str(round(num / den, 6))


def _s(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


# --- sweeps ------------------------------------------------------------------------------------


def sweep_row(
    label: str,
    quotes: QuoteArrays,
    strategy: str,
    grid: dict[str, list[Any]] | list[dict[str, Any]],
    k: int,
    sharpe_freq: str,
) -> dict[str, Any]:
    """One strategy's sweep, summarised for the report."""
    t0 = time.perf_counter()
    sweep: SweepResult = run_sweep(
        quotes, strategy, grid, split=quotes.index[k].to_pydatetime(),
        fill_delay_bars=1, sharpe_freq=sharpe_freq, full_result=False,
    )  # fmt: skip
    best = sweep.rows[sweep.best_index] if sweep.best_index is not None else None
    any_trade = any(r.train_trades or r.test_trades for r in sweep.rows)
    oos = sweep.out_of_sample_sharpe
    return {
        "label": label,
        "strategy": strategy,
        "trials": sweep.n_trials,
        "best_params": sweep.best_params,
        "train_sharpe": sweep.best_train_sharpe,
        "train_pnl": None if best is None else str(best.train_pnl),
        "train_trades": None if best is None else best.train_trades,
        "oos_sharpe": oos,
        "oos_pnl": None if best is None else str(best.test_pnl),
        "oos_trades": None if best is None else best.test_trades,
        "deflated_sharpe": sweep.deflated_sharpe,
        "any_trial_traded": any_trade,
        "oos_trades_all_trials": sum(r.test_trades for r in sweep.rows),
        "clears_0.5_oos": bool(oos is not None and oos > 0.5),
        # every trial of a small grid, so a selection can be read against its alternatives
        "trial_rows": [
            {
                "params": r.params,
                "train_sharpe": r.train_sharpe,
                "train_pnl": str(r.train_pnl),
                "oos_sharpe": r.test_sharpe,
                "oos_pnl": str(r.test_pnl),
                "oos_trades": r.test_trades,
            }
            for r in sweep.rows
        ]
        if len(sweep.rows) <= 8
        else None,
        "wall_s": round(time.perf_counter() - t0, 1),
    }


def oos_breakdown(quotes: QuoteArrays, params: dict[str, Any], k: int) -> list[dict[str, Any]]:
    """Where a `calibration_bands` result comes from: the test window's positions (one per
    market: held to settlement) by side and by the calibration band of their entry price."""
    _, signals = compute_signals(quotes, "calibration_bands", params)
    run = run_kernel(quotes, signals, t0=k, t1=quotes.n_bars, settle_beyond=True)
    cash: dict[int, Decimal] = {}
    entry: dict[int, Decimal] = {}
    for o in run.orders:
        m, count = int(o[O_MARKET]), Decimal(int(o[O_COUNT])).scaleb(-2)
        price, fee = Decimal(int(o[O_PRICE])).scaleb(-4), Decimal(int(o[O_FEE])).scaleb(-2)
        cash[m] = cash.get(m, Decimal(0)) - count * price - fee
        if int(o[O_REASON]) == R_ENTRY:
            entry[m] = price
    edges = list(CalibrationParams().band_edges)
    groups: dict[tuple[str, int], list[Decimal]] = {}
    for m, px in entry.items():
        side = "NO" if quotes.tickers[m].endswith(NO_SUFFIX) else "YES"
        groups.setdefault((side, band_index(px, edges)), []).append(cash[m])
    return [
        {
            "side": side,
            "band": f"[{edges[b]}, {edges[b + 1]})",
            "positions": len(pnl),
            "won": sum(1 for x in pnl if x > 0),
            "pnl": str(sum(pnl, Decimal(0))),
        }
        for (side, b), pnl in sorted(groups.items())
    ]


def wait_profile(quotes: QuoteArrays, delay: int = 1) -> dict[str, Any]:
    """For every bar with a fresh last print: how many bars after the signal the next
    YES-taker print (where a buy can fill) comes, counted from the signal's bar + `delay`."""
    waits: list[np.ndarray] = []
    never = 0
    for m in range(quotes.n_markets):
        fills = np.flatnonzero(np.isfinite(quotes.fill_ask[:, m]))
        signals = np.flatnonzero(np.isfinite(quotes.last[:, m]))
        if signals.size == 0:
            continue
        nxt = np.searchsorted(fills, signals + delay, side="left")
        ok = nxt < fills.size
        never += int((~ok).sum())
        waits.append(fills[nxt[ok]] - (signals[ok] + delay))
    w = np.concatenate(waits) if waits else np.zeros(0, dtype=np.int64)
    total = int(w.size) + never
    out: dict[str, Any] = {"signal_bars": total, "never_filled": never}
    for limit in (0, 1, 5, 15, 60):
        out[f"within_{limit}"] = None if total == 0 else round(float((w <= limit).sum()) / total, 4)
    out["median_wait_bars"] = None if w.size == 0 else float(np.median(w))
    return out


# --- data sets ---------------------------------------------------------------------------------


def _admin(sql: str) -> None:
    conn = psycopg2.connect(ADMIN_URL)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(sql)
    finally:
        conn.close()


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


async def _run(root: Path, dataset: str, db_url: str, args: argparse.Namespace) -> dict[str, Any]:
    db = await Database.connect(db_url, min_size=1, max_size=4)
    try:
        return await RUNNERS[dataset](root, repositories(db), db, args)
    finally:
        await db.close()


def run_dataset(root: Path, dataset: str, args: argparse.Namespace) -> dict[str, Any]:
    name = f"kalshi_realrep_{uuid.uuid4().hex[:8]}"
    _admin(f'CREATE DATABASE "{name}"')
    db_url = f"{ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    t0 = time.perf_counter()
    try:
        upgrade(db_url, partition_days_ahead=1)
        out = asyncio.run(_run(root, dataset, db_url, args))
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    out["wall_s"] = round(time.perf_counter() - t0, 1)
    return out


# --- output ------------------------------------------------------------------------------------


def _num(value: Any, digits: int = 2) -> str:
    if value is None:
        return "—"
    return f"{float(value):,.{digits}f}".replace("-", "−")


def _money(value: Any) -> str:
    if value is None:
        return "—"
    v = Decimal(value).quantize(Decimal("0.01"))
    return f"−${-v:,}" if v < 0 else f"${v:,}"


def _params(params: dict[str, Any] | None) -> str:
    if params is None:
        return "— (no trial had a train Sharpe)"
    shown = {k: v for k, v in params.items() if k != "contracts"}
    if "bands" in shown:
        return " ∪ ".join(f"[{lo}, {hi})" for lo, hi in shown["bands"])
    return ", ".join(f"{k} {v}" for k, v in shown.items())


def strategy_table(rows: Sequence[dict[str, Any]]) -> str:
    head = (
        "| strategy | trials | best params (train) | train Sharpe | OOS Sharpe | deflated Sharpe "
        "| OOS trades | OOS PnL after fees | OOS Sharpe > 0.5 | deflated Sharpe >= 0.95 |\n"
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n"
    )
    lines = [
        f"| {r['label']} | {r['trials']} | {_params(r['best_params'])} | {_num(r['train_sharpe'])} "
        f"| {_num(r['oos_sharpe'])} | {_num(r['deflated_sharpe'], 3)} | {r['oos_trades'] or 0} "
        f"| {_money(r['oos_pnl'])} | {'yes' if r['clears_0.5_oos'] else 'no'} "
        f"| {'yes' if (r['deflated_sharpe'] or 0) >= DSR_BAR else 'no'} |"
        for r in rows
    ]
    return head + "\n".join(lines)


def calibration_markdown(table: dict[str, Any]) -> str:
    head = (
        f"{table['observations']:,} prints of {table['markets']} markets, "
        f"{Decimal(table['contracts']):,.0f} contracts, Brier {table['brier']}\n\n"
        "| band | prints | markets | contracts | mean price | win rate | markets won "
        "| return after fees |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n"
    )
    lines = []
    for b in table["bands"]:
        upper = "1.00]" if Decimal(b["upper"]) == ONE else f"{b['upper']})"
        ret = b["return_after_fees"]
        lines.append(
            f"| [{b['lower']}, {upper} | {b['observations']:,} | {b['markets']} "
            f"| {Decimal(b['contracts']):,.0f} | {_num(b['mean_price'], 3)} "
            f"| {_num(b['win_rate'], 3)} | {_num(b['market_win_rate'], 3)} "
            f"| {'—' if ret is None else _pct(ret)} |"
        )
    return head + "\n".join(lines)


def _pct(value: Any) -> str:
    return f"{float(value) * 100:+.1f}%".replace("-", "−")


def markdown(results: Sequence[dict[str, Any]]) -> str:
    parts: list[str] = []
    for r in results:
        parts.append(f"### {r['dataset']}\n")
        parts.append(f"Import: {r['import']}\n")
        parts.append(f"Data: `{orjson.dumps(r['data']).decode()}`\n")
        if r.get("period"):
            parts.append(f"Period: `{orjson.dumps(r['period']).decode()}`\n")
        if r.get("grid"):
            parts.append(f"Grid: `{orjson.dumps(r['grid']).decode()}`\n")
        if r.get("wait_profile"):
            parts.append(f"Waits: `{orjson.dumps(r['wait_profile']).decode()}`\n")
        if r["strategies"]:
            parts.append(strategy_table(r["strategies"]) + "\n")
        for row in r["strategies"]:
            if row["strategy"] != "calibration_bands" or not row.get("trial_rows"):
                continue
            parts.append(f"\nEvery trial of {row['label']}:\n")
            parts.append("| bands | train Sharpe | train PnL | OOS Sharpe | OOS trades | OOS PnL |")
            parts.append("| --- | --- | --- | --- | --- | --- |")
            parts.extend(
                f"| {_params(t['params'])} | {_num(t['train_sharpe'])} | {_money(t['train_pnl'])} "
                f"| {_num(t['oos_sharpe'])} | {t['oos_trades']} | {_money(t['oos_pnl'])} |"
                for t in row["trial_rows"]
            )
            parts.append("")
        for w in r.get("wait_sensitivity", []):
            parts.append(
                f"- {w['label']}, max_wait_bars {w['max_wait_bars']}: OOS Sharpe "
                f"{_num(w['oos_sharpe'])}, {w['oos_trades'] or 0} trades, {_money(w['oos_pnl'])}"
            )
        for label, groups in (r.get("oos_breakdown") or {}).items():
            parts.append(f"\nOut of sample, {label}, by side and entry band:\n")
            parts.append("| side | entry band | positions | won | PnL after fees |")
            parts.append("| --- | --- | --- | --- | --- |")
            parts.extend(
                f"| {g['side']} | {g['band']} | {g['positions']} | {g['won']} "
                f"| {_money(g['pnl'])} |"
                for g in groups
            )
        if r.get("becker"):
            parts.append(f"\nBecker figures: `{orjson.dumps(r['becker']).decode()}`\n")
        for name, table in (r.get("calibration") or {}).items():
            parts.append(f"\nCalibration, {name}: " + calibration_markdown(table) + "\n")
        if r.get("calibration_descriptive"):
            parts.append(
                "\nDescriptive calibration of candle closes (inferred results): "
                + calibration_markdown(r["calibration_descriptive"])
                + "\n"
            )
    return "\n".join(parts)


def _line(r: dict[str, Any]) -> str:
    rows = r["strategies"]
    clears = [x["label"] for x in rows if x["clears_0.5_oos"]]
    return (
        f"{r['dataset']}: {r['data']['markets']} markets, {len(rows)} strategies swept, "
        f"clearing OOS Sharpe > 0.5: {', '.join(clears) or 'none'} ({r['wall_s']} s)"
    )


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument(
        "--data",
        type=Path,
        default=os.environ.get("KALSHI_REALDATA_DIR"),
        help="folder of the real data files (default: $KALSHI_REALDATA_DIR)",
    )
    p.add_argument("--dataset", action="append", choices=tuple(KEY_FILES), default=[])
    p.add_argument("--split", type=float, default=0.7, help="train share of the time grid")
    p.add_argument("--freq", default="1min", help="multi: grid step")
    p.add_argument("--staleness", default="30min", help="multi: how long the last print counts")
    p.add_argument("--max-wait", type=int, default=5, help="multi: bars an order waits for a print")
    p.add_argument("--sharpe-freq", default="1h", help="multi: Sharpe bucket")
    p.add_argument("--econ-freq", default="1D", help="econ: grid step (= its Sharpe bucket)")
    p.add_argument("--econ-staleness", default="7D")
    p.add_argument("--econ-max-wait", type=int, default=2)
    p.add_argument("--markdown", action="store_true", help="print the tables, not JSON")
    p.add_argument("--json", type=Path, help="also write the figures as JSON to this file")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    root: Path | None = args.data
    found = [
        d
        for d in (args.dataset or list(KEY_FILES))
        if root is not None and (root / KEY_FILES[d]).exists()
    ]
    if root is None or not found:
        sys.stderr.write(
            "no real data set found: pass --data DIR (or set KALSHI_REALDATA_DIR) to a folder "
            f"holding {', '.join(KEY_FILES.values())} (docs/REALDATA.md)\n"
        )
        raise SystemExit(2)
    results = []
    for dataset in found:
        results.append(run_dataset(root, dataset, args))
        sys.stderr.write(_line(results[-1]) + "\n")
    summary = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "datasets": results}
    as_json = orjson.dumps(summary, option=orjson.OPT_INDENT_2).decode() + "\n"
    if args.json is not None:
        args.json.write_text(as_json)
    sys.stdout.write(markdown(results) + "\n" if args.markdown else as_json)


if __name__ == "__main__":
    main()
