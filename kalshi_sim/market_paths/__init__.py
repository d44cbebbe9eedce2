"""Market paths: the synthetic market model's numba kernels (the hot path of every request).

Everything is a pure function of (seed, ids, time): an event's Brownian path is built top-down
by dyadic Brownian-bridge refinement and a market's activity by recursive splitting of a
per-market total, so the value at any time costs O(log T) hash evaluations and needs no stored
history. Time grid: an event's step k covers [grid0 + 60k, grid0 + 60(k+1)), grid0 = open +
phase. Prices are integers in units of $0.0001; counts are whole contracts.

Two dynamics share the fair-price model and differ in how often anything happens:
- busy (`DYN_BUSY`, the model before issue 12.5): the tree splits contracts, every step requotes
  every market (new sizes each minute), spreads 2-8 ticks; the worst case for a writer.
- calibrated (`DYN_CALIBRATED`, the default; docs/SIMULATOR.md measures it against Kalshi's
  recorded tapes and quotes): the tree splits *taker orders*, each carrying 1 + a Gamma number
  of contracts (the same tree splits the contracts by Beta draws, so volume up to any time is
  still one O(log T) walk); an order prints once or several times at one instant, orders come
  in bursts, mostly in an active window before the close, and a quote is re-derived only at
  steps holding an order or a maker revision (a second tree): between them it stands still.

Modules, each calling only those above it:
- `hashing`: counter-based randomness; `params`: ids, columns and shape constants;
- `fair_price`: events' Brownian paths and markets' YES probabilities;
- `arrivals`: the count trees (when markets trade and requote);
- `quotes`: bid/ask/sizes around the fair price, and their OHLC over a window;
- `prints`: one step's trades, their price and side; volume and last price up to a time;
- `tapes`: all trades of one or many markets in a window;
- `market_rows`: the dynamic fields of many markets at one time (/markets pages);
- `jit`: the kernels' decorator, whose cache guard recompiles them when any module changes.

`kalshi_sim.model.SyntheticModel` calls them with a universe's arrays.
"""
