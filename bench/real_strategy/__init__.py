"""The real-data strategy report (`python -m bench.real_strategy_report`), split by job.

- `transforms`: the NO side as a market of its own, the assumed close rule, the train/test
  split of calibration prints.
- `calibration`: calibration tables and the `calibration_bands` grids chosen from them.
- `figures`: the taker (Becker-style) figures.
- `sweeps`: the parameter grids, one strategy's sweep as a report row, the out-of-sample
  breakdown by side and band, the order-wait profile.
- `runners`: one function per data set (multi, econ, nba) turning imported files into figures.
- `database`: one data set's run in a throwaway database.
- `render`: the markdown tables and the one-line summary.
- `decimals`: how Decimals are written into the figures.
"""
