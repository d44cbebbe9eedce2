"""Reference simulator: plain Python and Decimal, slow on purpose, obvious on purpose.

It implements the engine's fill rules (see `kalshi_core.backtest.kernels`) without sharing
code with the vectorised path: prices come from the float quotes through `Decimal(str(...))`,
fees from `kalshi_core.backtest.fees`, positions in a dict. Property tests hold the vectorbt
path to it, trade by trade.

`favourite_entries` recomputes the favourite strategy's entries the same way: the close known at
each bar comes straight from the markets' metadata, as datetimes, not from the engine's arrays.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from kalshi_core.backtest.fees import CENTICENT, order_fee
from kalshi_core.backtest.quotes import MarketMeta, QuoteArrays
from kalshi_core.backtest.strategies import Signals

MICRO = Decimal("0.000001")


@dataclass(frozen=True, slots=True)
class RefFill:
    bar: int  # == window end for end-of-window settlements and marks
    market: int
    contracts: Decimal  # > 0 buy, < 0 sell
    price: Decimal
    fee: Decimal
    reason: str  # entry | signal | stop | timeout | settlement | void | end_of_data


@dataclass(frozen=True, slots=True)
class RefTrade:
    """One position: a single entry fill and every fill that closed it."""

    market: int
    entry_bar: int
    entry_price: Decimal
    contracts: Decimal
    exit_bar: int
    exit_price: Decimal  # contract-weighted mean of the closing fills, to 1e-6
    fees: Decimal
    pnl: Decimal
    exit_reason: str


@dataclass(slots=True)
class RefResult:
    fills: list[RefFill] = field(default_factory=list)
    trades: list[RefTrade] = field(default_factory=list)
    equity: list[Decimal] = field(default_factory=list)  # PnL after each bar of the window
    total_pnl: Decimal = Decimal(0)
    fees_paid: Decimal = Decimal(0)
    settlement_pnl: Decimal = Decimal(0)  # gross, contracts closed by settlement or void
    exit_pnl: Decimal = Decimal(0)  # gross, contracts sold on signal, stop or timeout
    marked_pnl: Decimal = Decimal(0)  # gross, contracts marked at the bid at the window end


def known_close(meta: MarketMeta, at: datetime) -> datetime | None:
    """The close the metadata gave at `at`: the newest history entry from `at` or earlier,
    the market's close_time when there is no history."""
    if meta.close_times is None:
        return meta.close_time
    close = None
    for known_from, close_time in meta.close_times:
        if known_from <= at:
            close = close_time
    return close


def favourite_entries(
    quotes: QuoteArrays, lo: Decimal, hi: Decimal, hours_to_close: float
) -> list[list[bool]]:
    """Entries of the favourite strategy, [bar][market]: a live ask in [lo, hi] with the close
    known at that bar in (0, hours_to_close] hours ahead."""
    window = timedelta(hours=hours_to_close)
    out = [[False] * quotes.n_markets for _ in range(quotes.n_bars)]
    for t in range(quotes.n_bars):
        at = quotes.index[t].to_pydatetime()
        for m in range(quotes.n_markets):
            ask = quotes.ask[t, m]
            close = known_close(quotes.meta[m], at)
            if not _live(ask) or close is None:
                continue
            out[t][m] = lo <= _dec(ask) <= hi and timedelta(0) < close - at <= window
    return out


def _dec(x: float) -> Decimal:
    return Decimal(str(x)).quantize(CENTICENT)


def _live(x: float) -> bool:
    return x == x  # not NaN


@dataclass(slots=True)
class _Position:
    entry_bar: int
    entry_price: Decimal
    contracts: Decimal
    left: Decimal
    highest_bid: Decimal
    fees: Decimal
    closes: list[tuple[Decimal, Decimal]] = field(default_factory=list)  # (contracts, price)


def simulate_reference(
    quotes: QuoteArrays,
    signals: Signals,
    *,
    t0: int = 0,
    t1: int | None = None,
    settle_beyond: bool = True,
    fill_delay_bars: int = 0,
) -> RefResult:
    """Simulate bars [t0, t1) of `quotes` under `signals` (executed `fill_delay_bars` later)."""
    end = quotes.n_bars if t1 is None else t1
    res = RefResult()
    cash = Decimal(0)
    open_pos: dict[int, _Position] = {}
    trail = signals.trail_stop
    settle_bar = {}
    for m in range(quotes.n_markets):
        meta = quotes.meta[m]
        if meta.result is not None and quotes.settle_time(m) is not None:
            settle_bar[m] = int(quotes.settle_idx[m])

    def close_fill(m: int, bar: int, qty: Decimal, price: Decimal, fee: Decimal, why: str) -> None:
        nonlocal cash
        p = open_pos[m]
        cash += qty * price - fee
        p.left -= qty
        p.fees += fee
        p.closes.append((qty, price))
        res.fills.append(RefFill(bar, m, -qty, price, fee, why))
        res.fees_paid += fee
        gross = (price - p.entry_price) * qty
        if why in ("settlement", "void"):
            res.settlement_pnl += gross
        elif why == "end_of_data":
            res.marked_pnl += gross
        else:
            res.exit_pnl += gross
        if p.left == 0:
            sold = sum((q for q, _ in p.closes), Decimal(0))
            proceeds = sum((q * px for q, px in p.closes), Decimal(0))
            res.trades.append(
                RefTrade(
                    market=m,
                    entry_bar=p.entry_bar,
                    entry_price=p.entry_price,
                    contracts=p.contracts,
                    exit_bar=bar,
                    exit_price=(proceeds / sold).quantize(MICRO),
                    fees=p.fees,
                    pnl=proceeds - p.entry_price * p.contracts - p.fees,
                    exit_reason=why,
                )
            )
            del open_pos[m]

    for t in range(t0, end):
        s = t - fill_delay_bars
        for m in range(quotes.n_markets):
            meta = quotes.meta[m]
            if settle_bar.get(m) == t:
                if m in open_pos:
                    p = open_pos[m]
                    if meta.result == "void":
                        close_fill(m, t, p.left, p.entry_price, Decimal(0), "void")
                    else:
                        payout = meta.payout()
                        assert payout is not None
                        close_fill(m, t, p.left, payout, Decimal(0), "settlement")
                continue
            if m in settle_bar and t > settle_bar[m]:
                continue
            if meta.close_time is not None and t >= quotes.close_idx[m]:
                continue
            schedule = meta.fee_schedule()
            fee_free = meta.fee_waiver_until is not None and t < quotes.fee_free_idx[m]
            bid, ask = quotes.bid[t, m], quotes.ask[t, m]
            bid_size, ask_size = quotes.bid_size[t, m], quotes.ask_size[t, m]
            entry_signal = s >= 0 and bool(signals.entries[s, m])
            exit_signal = s >= 0 and bool(signals.exits[s, m])
            if m in open_pos:
                p = open_pos[m]
                if _live(bid) and _dec(bid) > p.highest_bid:
                    p.highest_bid = _dec(bid)
                reason = None
                if exit_signal:
                    reason = "signal"
                elif (
                    trail > 0
                    and t > p.entry_bar
                    and _live(bid)
                    and bid > 0
                    and _dec(bid) <= p.highest_bid - trail
                ):
                    reason = "stop"
                elif signals.max_hold_bars > 0 and t - p.entry_bar >= signals.max_hold_bars:
                    reason = "timeout"
                if reason and _live(bid) and bid > 0 and _live(bid_size) and bid_size > 0:
                    depth = Decimal(str(bid_size)) if bid_size != float("inf") else p.left
                    qty = min(p.left, depth)
                    price = _dec(bid)
                    fee = Decimal(0) if fee_free else order_fee([(qty, price)], schedule)
                    close_fill(m, t, qty, price, fee, reason)
            elif entry_signal and _live(ask) and 0 < ask < 1 and _live(ask_size) and ask_size > 0:
                depth = Decimal(str(ask_size)) if ask_size != float("inf") else signals.contracts
                qty = min(signals.contracts, depth)
                price = _dec(ask)
                fee = Decimal(0) if fee_free else order_fee([(qty, price)], schedule)
                cash -= qty * price + fee
                res.fees_paid += fee
                res.fills.append(RefFill(t, m, qty, price, fee, "entry"))
                first_bid = _dec(bid) if _live(bid) and bid > 0 else Decimal(0)
                open_pos[m] = _Position(t, price, qty, qty, first_bid, fee)
        value = cash
        for m, p in open_pos.items():
            mark = quotes.mark[t, m]
            if _live(mark) and mark > 0:
                value += p.left * _dec(mark)
        res.equity.append(value)

    for m in sorted(open_pos):
        p = open_pos[m]
        meta = quotes.meta[m]
        if settle_beyond and meta.result == "void":
            close_fill(m, end, p.left, p.entry_price, Decimal(0), "void")
        elif settle_beyond and meta.result is not None:
            payout = meta.payout()
            assert payout is not None
            close_fill(m, end, p.left, payout, Decimal(0), "settlement")
        else:
            mark = quotes.mark[end - 1, m] if end > 0 else float("nan")
            price = _dec(mark) if _live(mark) and mark > 0 else Decimal(0)
            close_fill(m, end, p.left, price, Decimal(0), "end_of_data")
    if res.equity:
        res.equity[-1] = cash
    res.total_pnl = cash
    res.trades.sort(key=lambda tr: (tr.entry_bar, tr.market))
    return res
