"""Handler of /exchange/status: the simulated exchange is always open and trading."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from kalshi_sim.handlers.responses import json_response


async def get_exchange_status(request: Request) -> Response:
    return json_response(
        b'{"exchange_active":true,"trading_active":true,"exchange_estimated_resume_time":null}'
    )
