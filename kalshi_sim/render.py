"""JSON rendering in Kalshi's wire formats (current fixed-point strings, or legacy cents + dollars).

Markets are rendered by joining a pre-serialized static fragment with a small dynamic fragment
built from the model's integer columns, which keeps a 1,000-market page in the low milliseconds.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import orjson

from kalshi_sim import jsonwrite
from kalshi_sim.market_paths.market_rows import (
    ST_ACTIVE,
    ST_CLOSED,
    ST_DETERMINED,
    ST_FINALIZED,
    ST_INITIALIZED,
)
from kalshi_sim.universe import Universe, rfc3339

I64 = npt.NDArray[np.int64]

DOLLARS = [f"{i // 10000}.{i % 10000:04d}" for i in range(10001)]
"""Price in $0.0001 units -> '0.5600'."""
STATUS = ("initialized", "active", "closed", "determined", "finalized")
QUERY_STATUS = {
    "unopened": (ST_INITIALIZED,),
    "open": (ST_ACTIVE,),
    "closed": (ST_CLOSED, ST_DETERMINED),
    "settled": (ST_FINALIZED,),
    "paused": (),
}
"""Query values of `status` (what clients send) -> response status codes."""


def fp(count: int) -> str:
    """Whole contracts -> FixedPointCount '12.00'."""
    return f"{count}.00"


def dollars(units: int) -> str:
    return DOLLARS[units]


def updated_times(u: Universe, idx: I64, t: float) -> list[int]:
    """Latest metadata change (creation, open, close, determination, settlement) at or before t."""
    best = u.m_created[idx].copy()
    for arr in (u.m_open, u.m_close, u.m_determined, u.m_settle):
        v = arr[idx]
        np.maximum(best, np.where(v <= t, v, best), out=best)
    out: list[int] = best.tolist()
    return out


def market_fragments(
    u: Universe, idx: Sequence[int], rows: I64, t: float, legacy: bool
) -> list[bytes]:
    """One JSON object (bytes) per market in `idx`, rendered from model rows at time t."""
    out: list[bytes] = []
    d = DOLLARS
    arr = np.asarray(idx, np.int64)
    upd = updated_times(u, arr, t)
    settle = u.m_settle[arr].tolist()
    status = STATUS
    ts = rfc3339
    for m, r, up, se in zip(idx, rows.tolist(), upd, settle, strict=True):
        st, bid, ask, bsz, asz, last, vol, vol24, oi, pbid, pask, plast, res = r
        settled = st == 4
        if legacy:
            result = ('"yes"' if res == 1 else '"no"') if settled else "null"
            extra = ""
            if settled:
                cents = 100 if res == 1 else 0
                extra = f',"settlement_value":{cents},"settlement_value_dollars":"{d[cents * 100]}"'
            dyn = (
                f'"status":"{status[st]}","yes_bid":{bid // 100},"yes_bid_dollars":"{d[bid]}",'
                f'"yes_ask":{ask // 100},"yes_ask_dollars":"{d[ask]}",'
                f'"no_bid":{(10000 - ask) // 100},"no_bid_dollars":"{d[10000 - ask]}",'
                f'"no_ask":{(10000 - bid) // 100},"no_ask_dollars":"{d[10000 - bid]}",'
                f'"last_price":{last // 100},"last_price_dollars":"{d[last]}",'
                f'"previous_yes_bid":{pbid // 100},"previous_yes_bid_dollars":"{d[pbid]}",'
                f'"previous_yes_ask":{pask // 100},"previous_yes_ask_dollars":"{d[pask]}",'
                f'"previous_price":{plast // 100},"previous_price_dollars":"{d[plast]}",'
                f'"volume":{vol},"volume_24h":{vol24},"open_interest":{oi},'
                f'"result":{result},'
                f'"expiration_value":"{("Yes" if res == 1 else "No") if settled else ""}"{extra}}}'
            )
        else:
            if st >= 3:
                result = "yes" if res == 1 else "no"
                sv = f'"{d[10000 if res == 1 else 0]}"'
                ev = "Yes" if res == 1 else "No"
            else:
                result, sv, ev = "", "null", ""
            sts = f'"{ts(se)}"' if settled else "null"
            dyn = (
                f'"status":"{status[st]}","updated_time":"{ts(up)}",'
                f'"yes_bid_dollars":"{d[bid]}","yes_bid_size_fp":"{bsz}.00",'
                f'"yes_ask_dollars":"{d[ask]}","yes_ask_size_fp":"{asz}.00",'
                f'"no_bid_dollars":"{d[10000 - ask]}","no_ask_dollars":"{d[10000 - bid]}",'
                f'"last_price_dollars":"{d[last]}","previous_yes_bid_dollars":"{d[pbid]}",'
                f'"previous_yes_ask_dollars":"{d[pask]}","previous_price_dollars":"{d[plast]}",'
                f'"volume_fp":"{vol}.00","volume_24h_fp":"{vol24}.00","open_interest_fp":"{oi}.00",'
                f'"result":"{result}","expiration_value":"{ev}",'
                f'"settlement_value_dollars":{sv},"settlement_ts":{sts}}}'
            )
        out.append(b"{%b,%b" % (u.fragment(m, legacy), dyn.encode()))
    return out


def markets_array(u: Universe, idx: Sequence[int], rows: I64, t: float, legacy: bool) -> bytes:
    """JSON array of markets: the numba writer for the current format, Python for legacy."""
    if legacy or not len(idx):
        return join_array(market_fragments(u, idx, rows, t, legacy))
    arr = np.asarray(idx, np.int64)
    upd = np.asarray(updated_times(u, arr, t), np.int64)
    out = jsonwrite.write_markets(arr, rows, upd, u.m_settle[arr], u.m_buf, u.m_off)
    return bytes(out)


def join_array(items: Sequence[bytes]) -> bytes:
    return b"[" + b",".join(items) + b"]"


def event_fragment(u: Universe, e: int, nested: list[bytes] | None) -> bytes:
    """EventData; `markets` is null unless nested markets were asked for (as Kalshi does)."""
    markets = b"null" if nested is None else join_array(nested)
    return b"{" + u.e_json[e] + b',"markets":' + markets + b"}"


def dumps(obj: object) -> bytes:
    return orjson.dumps(obj)
