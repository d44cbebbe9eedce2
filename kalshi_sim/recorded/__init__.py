"""Recorded datasets: real Kalshi recordings loaded for the simulator to serve as Kalshi would.

A directory holds one or more of these layouts (the files of the project's real-data folder,
described in docs/REALDATA.md); `kalshi_sim.recorded.loader.load_recorded(dir)` reads every
layout it finds:

- ``multi``: multi_closed_markets.csv (status, close time, volume, last price, result and
  settlement value in cents per market), multi_enriched_markets.csv (the same markets with title
  and series), multi_events.csv, multi_trades.csv[.gz] (complete public trade tapes);
- ``nba``: nba_candles_1m.csv[.gz] (1-minute candles of trade prices, only minutes that traded;
  no quotes, no open interest) and, if present, nba_results_inferred.csv (a result *inferred*
  from the last traded price, not Kalshi's settlement record);
- ``econ``: econ_trades.csv[.gz] (trade tapes with prices in cents; no outcomes).

What a recording holds is served exactly: statuses, close times, results, settlement values,
trade ids, times, prices, counts and taker sides. What it does not hold is derived, and each
market says how (`RecordedMarket.provenance`):
- open time: the hour of the market's first recorded activity (never after a recorded trade);
- close time (nba, econ): the end of the last traded minute / the last trade;
- settlement time: the close time, or the last trade when a print came after the close
  (recorded tapes have them: KXATPMATCH-25NOV08DJOMUS-DJO printed 49 s after its close);
- results: recorded (multi), inferred (nba, labelled so), or none (econ, and nba markets
  without an inferred result): those markets are served ``closed`` without a result.
Results never come from the last price: KXETHD-25NOV0911-T3519.99 settled "no" although its
last trade printed at 0.98, and it is served so.

A file that cannot be read raises `RecordedDataError` naming the file, line and column. Times
are integer microseconds since the epoch, prices integer units of $0.0001, counts hundredths of
a contract (Kalshi's `*_fp` granularity): everything exact, nothing through floats.

Modules: `data` (the loaded data and its units), `csv_fields` (reading CSV records and typed
fields), `layouts` (one reader per layout), `loader` (building the data from the layouts),
`queries` (what the exchange asks: candles, trade spans, recent activity) and `exchange` (the
`kalshi_sim.exchange.Exchange` served from a recording).
"""
