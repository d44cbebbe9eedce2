"""kalshi_sim: a local exchange speaking Kalshi's Trade API v2 market-data endpoints.

`create_app(SimConfig(...))` builds the Starlette app; `kalshi_sim.testing.run_simulator` serves
it on a free port for tests; `python -m kalshi_sim` serves it from the command line.
"""
