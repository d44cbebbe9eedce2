"""Exchange payloads: `/exchange/status` and `/historical/cutoff`."""

from __future__ import annotations

from kalshi_core.kalshi.errors import KalshiResponseError
from kalshi_core.kalshi.responses import ExchangeStatus, HistoricalCutoff
from kalshi_core.kalshi.wire.fields import (
    WireFieldError,
    load_body,
    time_from_wire,
)

# --- exchange -----------------------------------------------------------------------------------


def parse_exchange_status(body: bytes, endpoint: str) -> ExchangeStatus:
    obj = load_body(body, endpoint)
    try:
        for k in ("exchange_active", "trading_active"):
            if type(obj.get(k)) is not bool:
                raise WireFieldError(k, "missing required true/false")
        return ExchangeStatus(
            exchange_active=obj["exchange_active"],
            trading_active=obj["trading_active"],
            exchange_estimated_resume_time=time_from_wire(
                obj.get("exchange_estimated_resume_time"), "exchange_estimated_resume_time"
            ),
        )
    except WireFieldError as exc:
        raise KalshiResponseError(endpoint, str(exc)) from None


def parse_historical_cutoff(body: bytes, endpoint: str) -> HistoricalCutoff:
    obj = load_body(body, endpoint)
    try:
        settled = time_from_wire(obj.get("market_settled_ts"), "market_settled_ts")
        if settled is None:
            raise WireFieldError("market_settled_ts", "missing required time")
        return HistoricalCutoff(
            market_settled_ts=settled,
            trades_created_ts=time_from_wire(obj.get("trades_created_ts"), "trades_created_ts"),
            orders_updated_ts=time_from_wire(obj.get("orders_updated_ts"), "orders_updated_ts"),
        )
    except WireFieldError as exc:
        raise KalshiResponseError(endpoint, str(exc)) from None
