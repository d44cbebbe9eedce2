"""The simulator's HTTP handlers, shared by every mode, grouped by resource.

A request flows: `routes` (the one route table, and the app around it) -> a handler of
`markets`, `events`, `history`, `exchange_status` or `control` (/_sim), which parses the query
with `params`, asks the app's `kalshi_sim.exchange.Exchange` (a price model on a clock, or a
recording) for the data as of one instant, and answers a JSON body or Kalshi's error envelope
(`responses`). docs/EXTENDING.md, "A simulator endpoint", walks through adding one.

Handlers that compute (pages, trades, candles) are plain functions: Starlette runs them in its
thread pool, and the numba kernels release the GIL, so a slow trades or candles request does not
stall the /markets pages a poller is reading. Cheap ones are coroutines.
"""
