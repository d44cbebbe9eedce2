"""Reference simulator: plain Python and Decimal, slow on purpose, obvious on purpose.

It implements the engine's fill rules (see `kalshi_core.backtest.kernels`) without sharing
code with the vectorised path: prices come from the float quotes through `Decimal(str(...))`,
fees from `kalshi_core.backtest.fees`, positions and waiting orders in dicts. Property tests
hold the vectorbt path to it, trade by trade.

On trade-only data, given the tape itself (`Trade` models), it reads the prints directly: for
each bar it finds the first YES-/NO-taker print and its size (`tape_book`) and the last sell
print for valuation, instead of the arrays `quotes_from_trades` built from the same tape.

`favourite_entries` recomputes the favourite strategy's entries the same way: the close known at
each bar comes straight from the markets' metadata, as datetimes, not from the engine's arrays.
`calibration_bands_entries` recomputes that strategy's entries from the float asks as Decimals.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal

from kalshi_core.backtest.fees import CENTICENT, order_fee
from kalshi_core.backtest.quotes import MarketMeta, QuoteArrays
from kalshi_core.backtest.strategies import Signals
from kalshi_core.models import Trade

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


def calibration_bands_entries(
    quotes: QuoteArrays, bands: Sequence[tuple[Decimal, Decimal]]
) -> list[list[bool]]:
    """Entries of the calibration_bands strategy, [bar][market]: a live ask above 0 inside one
    of the bands, each [lo, hi) (a band ending at 1 holds 1 too)."""
    out = [[False] * quotes.n_markets for _ in range(quotes.n_bars)]
    for t in range(quotes.n_bars):
        for m in range(quotes.n_markets):
            ask = quotes.ask[t, m]
            if not _live(ask) or _dec(ask) <= 0:
                continue
            price = _dec(ask)
            out[t][m] = any(lo <= price < hi or price == hi == 1 for lo, hi in bands)
    return out


BookSide = Literal["bid", "ask"]
# (price, depth); depth None = not capped (a book without sizes)
Offer = tuple[Decimal, Decimal | None]


def tape_book(
    quotes: QuoteArrays, trades: Sequence[Trade]
) -> dict[tuple[int, int, BookSide], Offer]:
    """What each bar of a trade tape can fill: {(bar, market, side): (price, contracts)}.

    A bar holds the prints made after the previous grid time and by its own. The ask of a bar
    comes from its earliest YES-taker print, the bid from its earliest NO-taker print; when
    several prints share that moment, the worst price for the order (highest ask, lowest bid)
    with the contracts printed at that price then. Block trades and prints without a taker
    side fill nothing."""
    times = [ts.to_pydatetime() for ts in quotes.index]
    step = quotes.step.to_pytimedelta()
    market_of = {ticker: m for m, ticker in enumerate(quotes.tickers)}
    prints: dict[tuple[int, int, BookSide], list[Trade]] = {}
    for tr in trades:
        m = market_of.get(tr.ticker)
        if m is None or tr.is_block_trade or tr.taker_side is None:
            continue
        bar = bisect_left(times, tr.created_time)  # first grid time at or after the print
        if bar == len(times) or tr.created_time <= times[bar] - step:
            continue
        side: BookSide = "ask" if tr.taker_side == "yes" else "bid"
        prints.setdefault((bar, m, side), []).append(tr)
    book: dict[tuple[int, int, BookSide], Offer] = {}
    for (bar, m, side), found in prints.items():
        first = min(tr.created_time for tr in found)
        then = [tr for tr in found if tr.created_time == first]
        pick = max if side == "ask" else min
        price = pick(tr.yes_price for tr in then)
        size = sum((tr.count for tr in then if tr.yes_price == price), Decimal(0))
        book[(bar, m, side)] = (price, size)
    return book


def tape_marks(quotes: QuoteArrays, trades: Sequence[Trade]) -> list[list[Decimal | None]]:
    """[bar][market]: the last NO-taker print at or before the bar (lowest at its moment)."""
    sells: dict[int, list[Trade]] = {}
    market_of = {ticker: m for m, ticker in enumerate(quotes.tickers)}
    for tr in trades:
        if tr.ticker in market_of and tr.taker_side == "no" and not tr.is_block_trade:
            sells.setdefault(market_of[tr.ticker], []).append(tr)
    out: list[list[Decimal | None]] = []
    for ts in quotes.index:
        at = ts.to_pydatetime()
        row: list[Decimal | None] = []
        for m in range(quotes.n_markets):
            before = [tr for tr in sells.get(m, []) if tr.created_time <= at]
            if not before:
                row.append(None)
                continue
            latest = max(tr.created_time for tr in before)
            row.append(min(tr.yes_price for tr in before if tr.created_time == latest))
        out.append(row)
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
    trades: Sequence[Trade] | None = None,
) -> RefResult:
    """Simulate bars [t0, t1) of `quotes` under `signals` (executed `fill_delay_bars` later,
    each order waiting up to ``quotes.max_wait_bars`` more bars for a bar that can fill it).

    With `trades` (the tape the quotes were built from) fills and marks come from the prints
    themselves (`tape_book`, `tape_marks`); otherwise from the quotes' fill view and mark."""
    end = quotes.n_bars if t1 is None else t1
    trade_only = trades is not None or quotes.data_source == "trades"
    if fill_delay_bars < 0 or (trade_only and fill_delay_bars < 1):
        raise ValueError(
            "fill_delay_bars must be >= 0, and >= 1 on trade-only data (a print in the "
            "signal's own bar may come before what the signal saw)"
        )
    wait = quotes.max_wait_bars
    book = tape_book(quotes, trades) if trades is not None else None
    marks = tape_marks(quotes, trades) if trades is not None else None
    res = RefResult()
    cash = Decimal(0)
    open_pos: dict[int, _Position] = {}
    # Waiting orders: market -> the last bar at which the order may still fill.
    buy_orders: dict[int, int] = {}
    sell_orders: dict[int, int] = {}
    trail = signals.trail_stop
    settle_bar = {}
    for m in range(quotes.n_markets):
        meta = quotes.meta[m]
        if meta.result is not None and quotes.settle_time(m) is not None:
            settle_bar[m] = int(quotes.settle_idx[m])

    def offer(t: int, m: int, side: BookSide) -> Offer | None:
        """Price and depth an order on `side` can fill at on bar t, None when nothing can."""
        if book is not None:
            return book.get((t, m, side))
        if side == "bid":
            price, size = quotes.fill_bid[t, m], quotes.fill_bid_size[t, m]
        else:
            price, size = quotes.fill_ask[t, m], quotes.fill_ask_size[t, m]
        if not _live(price):
            return None
        if not _live(size):
            return _dec(price), Decimal(0)  # a price without a size shows no depth
        return _dec(price), None if size == float("inf") else Decimal(str(size))

    def mark_at(t: int, m: int) -> Decimal | None:
        if marks is not None:
            return marks[t][m]
        mark = quotes.mark[t, m]
        return _dec(mark) if _live(mark) else None

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
            sell_orders.pop(m, None)

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
            bid, ask = offer(t, m, "bid"), offer(t, m, "ask")
            if m in open_pos:
                p = open_pos[m]
                if s >= 0 and signals.exits[s, m]:
                    sell_orders[m] = t + wait
                if bid is not None and bid[0] > p.highest_bid:
                    p.highest_bid = bid[0]
                reason = None
                if sell_orders.get(m, -1) >= t:
                    reason = "signal"
                elif (
                    trail > 0
                    and t > p.entry_bar
                    and bid is not None
                    and bid[0] > 0
                    and bid[0] <= p.highest_bid - trail
                ):
                    reason = "stop"
                elif signals.max_hold_bars > 0 and t - p.entry_bar >= signals.max_hold_bars:
                    reason = "timeout"
                if reason and bid is not None and bid[0] > 0 and (bid[1] is None or bid[1] > 0):
                    qty = p.left if bid[1] is None else min(p.left, bid[1])
                    fee = Decimal(0) if fee_free else order_fee([(qty, bid[0])], schedule)
                    close_fill(m, t, qty, bid[0], fee, reason)
                continue
            if s >= 0 and signals.entries[s, m]:
                buy_orders[m] = t + wait
            if buy_orders.get(m, -1) < t or ask is None:
                continue
            price, depth = ask
            if not (0 < price < 1) or (depth is not None and depth <= 0):
                continue
            qty = signals.contracts if depth is None else min(signals.contracts, depth)
            fee = Decimal(0) if fee_free else order_fee([(qty, price)], schedule)
            cash -= qty * price + fee
            res.fees_paid += fee
            res.fills.append(RefFill(t, m, qty, price, fee, "entry"))
            first_bid = bid[0] if bid is not None and bid[0] > 0 else Decimal(0)
            open_pos[m] = _Position(t, price, qty, qty, first_bid, fee)
            del buy_orders[m]  # one entry fill per position: the rest of the order lapses
        value = cash
        for m, p in open_pos.items():
            mark = mark_at(t, m)
            if mark is not None and mark > 0:
                value += p.left * mark
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
            mark = mark_at(end - 1, m) if end > 0 else None
            price = mark if mark is not None and mark > 0 else Decimal(0)
            close_fill(m, end, p.left, price, Decimal(0), "end_of_data")
    if res.equity:
        res.equity[-1] = cash
    res.total_pnl = cash
    res.trades.sort(key=lambda tr: (tr.entry_bar, tr.market))
    return res
