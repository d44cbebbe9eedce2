"""Replay mode: serve recorded top-of-book snapshots through the same API.

Input: a CSV with the columns of samples/market_snapshots_*.csv (timestamp, ticker, yes_bid,
yes_ask, no_bid, no_ask, last_price, open_interest, volume, liquidity; integer cents and
contracts). At simulated time t every market shows its latest snapshot at or before t. Trades are
derived from volume increments between snapshots (one trade per increment at the recorded last
price); sizes at the top of book are not recorded, so they are drawn deterministically per
(market, snapshot). Markets stay active until one hour after the last snapshot, then settle on
their final quote (YES if the final yes bid is at least 50 cents).
"""

from __future__ import annotations

import csv
import re
from datetime import datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt

from kalshi_sim.catalogue import Template
from kalshi_sim.config import SimConfig
from kalshi_sim.market_paths import market_rows
from kalshi_sim.market_paths.hashing import hkey
from kalshi_sim.model import TradeBatch, Trades, _ladder
from kalshi_sim.universe import Universe
from kalshi_sim.universe_builder import UniverseBuilder

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

_COLUMNS = (
    "timestamp",
    "ticker",
    "yes_bid",
    "yes_ask",
    "no_bid",
    "no_ask",
    "last_price",
    "open_interest",
    "volume",
)
_STRIKE = re.compile(r"^([BT])(-?\d+(?:\.\d+)?)$")


class ReplayError(ValueError):
    """The replay file cannot be served (missing columns, bad values); says where."""


def _parse_ts(text: str) -> float:
    d = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if d.tzinfo is None:
        raise ReplayError(f"timestamp without timezone: {text!r}")
    return d.timestamp()


class ReplayModel:
    """Recorded quotes on a replay clock; same interface as SyntheticModel."""

    def __init__(self, u: Universe, times: F64, table: dict[str, I64], seed: int) -> None:
        self.u = u
        self.times = times
        self.bid = table["yes_bid"]
        self.ask = table["yes_ask"]
        self.last = table["last_price"]
        self.oi = table["open_interest"]
        self.vol = table["volume"]
        self.seed = seed
        self.start_ts = float(times[0])

    # -- loading ---------------------------------------------------------------------------------
    @classmethod
    def from_csv(cls, path: Path, *, seed: int = 1, legacy: bool = False) -> ReplayModel:
        rows: list[tuple[float, str, list[int]]] = []
        with Path(path).open(newline="") as fh:
            reader = csv.DictReader(fh)
            missing = [c for c in _COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise ReplayError(f"{path}: missing columns {missing}")
            for lineno, rec in enumerate(reader, start=2):
                try:
                    vals = [int(float(rec[c])) for c in _COLUMNS[2:]]
                    rows.append((_parse_ts(rec["timestamp"]), rec["ticker"].strip(), vals))
                except (ValueError, TypeError) as exc:
                    raise ReplayError(f"{path}:{lineno}: {exc}") from None
        if not rows:
            raise ReplayError(f"{path}: no snapshots")
        times = np.unique(np.asarray([r[0] for r in rows]))
        tickers = sorted({r[1] for r in rows})
        u = _replay_universe(tickers, float(times[0]), float(times[-1]), seed, legacy)
        n_t, n_m = len(times), len(tickers)
        names = _COLUMNS[2:]
        table = {c: np.full((n_t, n_m), -1, np.int64) for c in names}
        for ts, ticker, vals in rows:
            i = int(np.searchsorted(times, ts))
            m = u.ticker_index[ticker]
            for c, v in zip(names, vals, strict=True):
                table[c][i, m] = v
        for c in names:
            arr = table[c]
            # Forward-fill gaps, then back-fill a market's first missing rows.
            for i in range(1, n_t):
                miss = arr[i] < 0
                arr[i, miss] = arr[i - 1, miss]
            for i in range(n_t - 2, -1, -1):
                miss = arr[i] < 0
                arr[i, miss] = arr[i + 1, miss]
            np.maximum(arr, 0, out=arr)
        for c in ("yes_bid", "yes_ask", "no_bid", "no_ask", "last_price"):
            table[c] = np.clip(table[c], 0, 100) * 100
        # An empty ask side is recorded as 0 or 100 cents; both mean "no NO bid".
        table["yes_ask"] = np.where(table["yes_ask"] == 0, 10000, table["yes_ask"])
        return cls(u, times, table, seed)

    # -- helpers ---------------------------------------------------------------------------------
    def _row(self, t: float) -> int:
        return max(int(np.searchsorted(self.times, t, side="right")) - 1, 0)

    def _sizes(self, m: int, i: int) -> tuple[int, int]:
        h = int(hkey(self.seed, 91, m, i))
        return 1 + (h % 500), 1 + ((h >> 20) % 500)

    # -- model interface -------------------------------------------------------------------------
    def rows(self, idx: I64, t: float) -> I64:
        out = np.zeros((len(idx), market_rows.N_COLS), np.int64)
        i = self._row(t)
        ip = self._row(t - 86400.0)
        for r, m in enumerate(np.asarray(idx).tolist()):
            st = int(
                market_rows.status_at(
                    m, t, self.u.m_open, self.u.m_close, self.u.m_determined, self.u.m_settle
                )
            )
            out[r, market_rows.C_STATUS] = st
            out[r, market_rows.C_ASK] = 10000
            if st == market_rows.ST_INITIALIZED:
                continue
            if st == market_rows.ST_ACTIVE:
                out[r, market_rows.C_BID] = self.bid[i, m]
                out[r, market_rows.C_ASK] = self.ask[i, m]
                bs, az = self._sizes(m, i)
                out[r, market_rows.C_BSZ] = bs if self.bid[i, m] > 0 else 0
                out[r, market_rows.C_ASZ] = az if self.ask[i, m] < 10000 else 0
            out[r, market_rows.C_LAST] = self.last[i, m]
            out[r, market_rows.C_VOL] = self.vol[i, m]
            out[r, market_rows.C_VOL24] = self.vol[i, m] - (
                self.vol[ip, m] if t - 86400 >= self.times[0] else 0
            )
            out[r, market_rows.C_OI] = self.oi[i, m]
            out[r, market_rows.C_PBID] = self.bid[ip, m]
            out[r, market_rows.C_PASK] = self.ask[ip, m]
            out[r, market_rows.C_PLAST] = self.last[ip, m]
            if st >= market_rows.ST_DETERMINED:
                out[r, market_rows.C_RESULT] = 1 if self.bid[-1, m] >= 5000 else 2
        return out

    def quote(self, m: int, t: float) -> tuple[int, int, int, int]:
        i = self._row(t)
        bs, az = self._sizes(m, i)
        bid, ask = int(self.bid[i, m]), int(self.ask[i, m])
        return bid, ask, bs if bid > 0 else 0, az if ask < 10000 else 0

    def trades(self, m: int, t0: float, t1: float, cap: int = 200_000) -> Trades:
        vol = self.vol[:, m]
        inc = np.diff(vol, prepend=vol[0])
        sel = np.flatnonzero((inc > 0) & (self.times >= t0) & (self.times <= t1))[:cap]
        prices = self.last[sel, m]
        mids = (self.bid[sel, m] + self.ask[sel, m]) / 2
        return Trades(
            market=m,
            times=self.times[sel].astype(np.float64),
            counts=inc[sel].astype(np.int64),
            prices=prices.astype(np.int64),
            taker_yes=np.asarray(prices >= mids, np.bool_),
            leaf=sel.astype(np.int64),
            slot=np.zeros(len(sel), np.int64),
        )

    def trades_window(self, ms: I64, t0: float, t1: float, cap: int = 100_000) -> TradeBatch:
        parts = [self.trades(int(m), t0, t1) for m in np.asarray(ms).tolist()]
        if not parts:
            empty = np.zeros(0, np.int64)
            return TradeBatch(empty, np.zeros(0), empty, empty, np.zeros(0, np.bool_), empty,
                              empty, False)  # fmt: skip
        return TradeBatch(
            markets=np.concatenate([np.full(len(p.times), p.market, np.int64) for p in parts]),
            times=np.concatenate([p.times for p in parts]),
            counts=np.concatenate([p.counts for p in parts]),
            prices=np.concatenate([p.prices for p in parts]),
            taker_yes=np.concatenate([p.taker_yes for p in parts]),
            leaf=np.concatenate([p.leaf for p in parts]),
            slot=np.concatenate([p.slot for p in parts]),
            overflow=sum(len(p.times) for p in parts) > cap,
        )

    def volume_last(self, m: int, t: float) -> tuple[int, int]:
        if t < self.times[0]:
            return 0, -1
        i = self._row(t)
        return int(self.vol[i, m]), int(self.last[i, m])

    def open_interest(self, m: int, t: float) -> int:
        return int(self.oi[self._row(t), m]) if t >= self.times[0] else 0

    def quote_ohlc(self, m: int, t0: float, t1: float) -> tuple[int, ...]:
        i0, i1 = self._row(t0), self._row(t1)
        b = self.bid[i0 : i1 + 1, m]
        a = self.ask[i0 : i1 + 1, m]
        return (
            int(b[0]),
            int(b.max()),
            int(b.min()),
            int(b[-1]),
            int(a[0]),
            int(a.max()),
            int(a.min()),
            int(a[-1]),
        )

    def book_levels(
        self, m: int, t: float, depth: int
    ) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        bid, ask, bs, az = self.quote(m, t)
        levels = 5 if depth <= 0 else min(5, depth)
        i = self._row(t)
        yes = _ladder(self.seed, m, i, bid, bs, levels, False, 1) if bid > 0 else []
        no = _ladder(self.seed, m, i, 10000 - ask, az, levels, False, 2) if ask < 10000 else []
        return yes, no


def _replay_universe(
    tickers: list[str], first: float, last: float, seed: int, legacy: bool
) -> Universe:
    b = UniverseBuilder(SimConfig(seed=seed, markets=0, mve_markets=0, legacy_format=legacy))
    tpl = Template(
        "",
        (),
        "Climate and Weather",
        "{name}",
        "daily",
        86400,
        86400,
        "brackets",
        0,
        0.0,
        "",
        1.0,
        settlement_source=("Kalshi", "https://kalshi.com"),
    )
    open_ts = int(first) - int(first) % 3600 - 86400
    close_ts = int(last) - int(last) % 60 + 3600
    series: dict[str, int] = {}
    events: dict[str, int] = {}
    by_event: dict[str, list[str]] = {}
    for t in tickers:
        parts = t.split("-")
        ev = "-".join(parts[:-1]) if len(parts) > 2 else parts[0]
        by_event.setdefault(ev, []).append(t)
    for ev, members in sorted(by_event.items()):
        st = ev.split("-")[0]
        if st not in series:
            series[st] = b.add_series(tpl, st, st)
        strikes = []
        for t in members:
            mt = _STRIKE.match(t.rsplit("-", 1)[-1])
            strikes.append((mt.group(1), float(mt.group(2))) if mt else ("", 0.0))
        t_values = [v for k, v in strikes if k == "T"]
        events[ev] = b.add_event(
            series[st],
            tpl,
            ticker=ev,
            title=f"{ev} (replay)",
            sub_title=ev,
            open_ts=open_ts,
            close_ts=close_ts,
            center=0.0,
            scale=1.0,
            mutually_exclusive=all(k in ("B", "T") for k, _v in strikes),
        )
        for t, (kind, v) in sorted(zip(members, strikes, strict=True), key=lambda x: x[1][1]):
            if kind == "B":
                strike: dict[str, object] = {
                    "strike_type": "between",
                    "floor_strike": v - 0.5,
                    "cap_strike": v + 0.5,
                }
                sub = f"{v - 0.5:g} to {v + 0.5:g}"
            elif kind == "T" and t_values and v == min(t_values) and len(t_values) > 1:
                strike = {"strike_type": "less", "cap_strike": v}
                sub = f"{v:g} or below"
            elif kind == "T":
                strike = {"strike_type": "greater", "floor_strike": v}
                sub = f"{v:g} or above"
            else:
                strike = {"strike_type": "custom"}
                sub = t.rsplit("-", 1)[-1]
            b.add_market(
                events[ev],
                tpl,
                suffix=t.rsplit("-", 1)[-1],
                lo=0.0,
                hi=1.0,
                yes_sub=sub,
                no_sub=sub,
                title=f"{ev}: {sub}",
                rules=f"Replay of recorded market {t}.",
                strike=strike,
                rate=0.0,
            )
    return b.freeze()
