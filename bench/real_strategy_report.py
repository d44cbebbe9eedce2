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
import logging
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import orjson

from bench.real_strategy.calibration import band_grid, calibration_table, positive_bands
from bench.real_strategy.database import run_dataset
from bench.real_strategy.render import markdown, summary_line
from bench.real_strategy.runners import KEY_FILES
from bench.real_strategy.transforms import (
    NO_SUFFIX,
    known_at_split,
    made_after_split,
    mirror_calibration_trade,
    mirror_meta,
    mirror_tape,
    with_close_rule,
)

# The pieces live in bench/real_strategy/ (its __init__ says which module holds what); this
# module is the command line. The transforms and band helpers stay importable from here, where
# tests/backtest/test_calibration_bands.py imports them.
__all__ = [
    "NO_SUFFIX",
    "band_grid",
    "calibration_table",
    "known_at_split",
    "made_after_split",
    "main",
    "mirror_calibration_trade",
    "mirror_meta",
    "mirror_tape",
    "positive_bands",
    "with_close_rule",
]


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
        sys.stderr.write(summary_line(results[-1]) + "\n")
    summary = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "datasets": results}
    as_json = orjson.dumps(summary, option=orjson.OPT_INDENT_2).decode() + "\n"
    if args.json is not None:
        args.json.write_text(as_json)
    sys.stdout.write(markdown(results) + "\n" if args.markdown else as_json)


if __name__ == "__main__":
    main()
