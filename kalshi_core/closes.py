"""When the close of a market written after the fact became known: the rule for imports and
backfills.

`market_close_times` (migration 0005) says from when each close was known, so signals never
read a close before it was public. Its rows are written by triggers on `markets` and stamped
with the metadata's `updated_at` (or now()): right for markets we watch while they trade, but a
market imported from a dump or loaded by the history backfill arrives after its history, so its
close would be "known" only after every bar of it. The source itself may say more:

- A close Kalshi scheduled is known from the market's open: the market object says
  `can_close_early: false` (it cannot close before `close_time`). Its close is known from
  `open_time`, or `created_time` when the source gives no open time.
- Otherwise the market may have closed early, or the source does not say (a dump without the
  `can_close_early` column, or an empty cell): its final close is known only at the close
  itself, so no signal can use it before.

Kalshi's other times do not tell a scheduled close apart. A game market closes early once a
winner is declared, which may come after its `expected_expiration_time` when the game runs
long; and at an early close Kalshi rewrites `latest_expiration_time` too (the KXNYKCOACH
markets of the shared samples closed at 2025-06-04 14:00 with `latest_expiration_time` moved to
it and `expected_expiration_time` left in 2030). So neither proves that a close was fixed at
the open, and only `can_close_early` is read.

The rule only adds knowledge the stored history lacks (`HistoryRepository.record_known_closes`
applies these guards): nothing is added for a market whose close history already has a row at or
before the time claimed (a market we observed, or one whose close time is unknown), or whose
close was seen to change (then it was not fixed from the open), or when the stored close differs
from the one the source gave; and nothing is claimed in the future.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple


class KnownClose(NamedTuple):
    """A market's close and from when it was known (`known_from` <= `close_time`); `scheduled`
    says it was known from the open (the source said the market cannot close early)."""

    ticker: str
    close_time: datetime
    known_from: datetime
    scheduled: bool


class ClosesRecorded(NamedTuple):
    """Rows `record_known_closes` added: closes known from the open, and at the close."""

    from_open: int = 0
    at_close: int = 0


def known_close(
    ticker: str,
    close_time: datetime | None,
    *,
    can_close_early: bool | None,
    open_time: datetime | None,
    created_time: datetime | None = None,
) -> KnownClose | None:
    """The close of a market written after the fact and from when it was known (module
    docstring); None without a close. `can_close_early` is what the source said: None when it
    did not say, which counts as "may close early"."""
    if close_time is None:
        return None
    start = open_time if open_time is not None else created_time
    if can_close_early is False and start is not None and start <= close_time:
        return KnownClose(ticker, close_time, start, scheduled=True)
    return KnownClose(ticker, close_time, close_time, scheduled=False)
