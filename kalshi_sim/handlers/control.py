"""Handlers of the simulator's own control endpoints under /_sim: faults, stats and clock."""

from __future__ import annotations

import orjson
from starlette.requests import Request
from starlette.responses import Response

from kalshi_core.logs import get_logger
from kalshi_sim.exchange import exchange_of
from kalshi_sim.handlers.responses import bad_request, json_response

log = get_logger(__name__)


async def faults(request: Request) -> Response:
    """GET the fault knobs; POST a JSON object of knobs to change (see kalshi_sim/README.md)."""
    state = exchange_of(request).faults
    if request.method == "POST":
        try:
            changes = orjson.loads(await request.body())
            if not isinstance(changes, dict):
                raise ValueError("body must be a JSON object")
            state.update(changes)
        except (ValueError, TypeError, orjson.JSONDecodeError) as exc:
            raise bad_request(str(exc)) from None
        log.info("faults updated", extra={"changes": changes})
    return json_response(orjson.dumps(state.snapshot()))


async def stats(request: Request) -> Response:
    """Request counters by outcome and what is being served."""
    return json_response(orjson.dumps(exchange_of(request).stats()))


async def clock(request: Request) -> Response:
    """GET the simulated time; POST {"sim_ts", "time_scale"} to move or re-pace it."""
    exchange = exchange_of(request)
    if request.method == "POST":
        exchange.set_clock(await request.body())
    sim_ts, scale = exchange.read_clock()
    return json_response(orjson.dumps({"sim_ts": sim_ts, "time_scale": scale}))
