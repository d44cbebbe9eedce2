"""Ingestion health of a tier: which lost ticks mean "not running" and which mean "failing".

Hours the workbench was stopped are recorded as `missed` ticks by the next run that starts
(kalshi_core.storage.postgres.poll_ticks), so a plain ok/expected ratio calls every restart a
failure. Here every grid tick is classified instead:

- ok: recorded ok.
- failed: a running poller was responsible for the tick and lost it: recorded `error`; recorded
  `missed` by a run that had already attempted an earlier tick (it fell behind; a `missed` row
  without a run id counts here too); or not recorded although the same run recorded the ticks
  on both sides of it after it had started polling (its record was lost).
- not_running: no poller was polling: recorded `missed` as a later run's backlog; recorded
  `missed` by a run before its first attempted tick (a run that started late, as after a
  restart); or not recorded at all (stopped now, or stopped longer than a backlog covers).
- pending: not recorded yet and recent enough to be in flight (a scan may take 3 intervals).

A tier's status, in this order:

- not_running: no tick that a running poller dealt with (ok or failed) for `stale_after_s`
  (10 grid intervals, at least 60 s), or never polled.
- failing: running, but every tick it attempted for at least `stale_after_s` failed, or under
  80% of the (at least 10) ticks it was responsible for in the last hour were ok.
- degraded: running, with failed ticks in the last hour.
- ok: otherwise. Not-running gaps never lower the status: they stay visible as gaps of kind
  `not_running` and in the reasons.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Final, Literal

from kalshi_core.settings import Settings
from kalshi_core.storage.postgres.poll_ticks import PollTickRow, PostgresPollTickReader
from kalshi_core.storage.postgres.polls import grid_ticks
from kalshi_core.storage.repositories import JsonReadRepository

Tier = Literal["watchlist", "catalogue"]
TIERS: Final[tuple[Tier, ...]] = ("watchlist", "catalogue")
"""The ingestion tiers, in the order the API lists them."""

TickKind = Literal["ok", "failed", "not_running", "pending"]
GapKind = Literal["failed", "not_running"]
TierState = Literal["ok", "degraded", "failing", "not_running"]

STALE_AFTER_INTERVALS: Final = 10
STALE_AFTER_FLOOR_S: Final = 60
FAILING_RATIO: Final = 0.8
FAILING_MIN_TICKS: Final = 10
# How long the poller may take to record a tick: its scan deadline (3 intervals, at least 15 s,
# kalshi_pipeline.lib.poller) plus one interval for the commit.
IN_FLIGHT_INTERVALS: Final = 3
IN_FLIGHT_FLOOR_S: Final = 15
# Rows read before the reported windows: a run's earlier attempts and a gap's neighbours.
LOOKBACK: Final = timedelta(hours=1)
HOUR: Final = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Gap:
    start: datetime
    end: datetime
    kind: GapKind


@dataclass(frozen=True, slots=True)
class Coverage:
    start: datetime
    end: datetime
    expected: int
    ok: int
    errors: int
    failed: int
    not_running: int
    pending: int
    gaps: list[Gap] = field(default_factory=list)

    @property
    def missed(self) -> int:
        return self.expected - self.ok - self.errors

    @property
    def ratio(self) -> float:
        return self.ok / self.expected if self.expected else 1.0

    @property
    def running_ratio(self) -> float:
        attempted = self.ok + self.failed
        return self.ok / attempted if attempted else 1.0


@dataclass(frozen=True, slots=True)
class TierHealth:
    tier: str
    enabled: bool
    interval_s: int | None
    status: TierState
    reasons: list[str]
    stale_after_s: int | None
    last_live_tick: datetime | None
    last_ok_tick: datetime | None
    last_hour: Coverage | None
    today: Coverage | None


def tier_enabled(settings: Settings, tier: str) -> tuple[bool, str]:
    """Whether the workbench is configured to poll `tier`, and if not, why (in words)."""
    if tier == "catalogue":
        return settings.catalogue_enabled, "catalogue scans are off (CATALOGUE_ENABLED=false)"
    s = settings
    configured = bool(s.watchlist_series or s.watchlist_events or s.watchlist_tickers)
    return configured, "no watchlist configured (WATCHLIST_SERIES/EVENTS/TICKERS are empty)"


def stale_after_s(interval_s: int) -> int:
    return max(STALE_AFTER_INTERVALS * interval_s, STALE_AFTER_FLOOR_S)


def in_flight_s(interval_s: int) -> int:
    return max(IN_FLIGHT_INTERVALS * interval_s, IN_FLIGHT_FLOOR_S) + interval_s


RowKind = Literal["ok", "failed", "not_running"]


class TickClassifier:
    """Classifies the grid ticks of one tier from its recorded rows (oldest first).

    Ticks are handled as epoch seconds (grid ticks are whole seconds): a full day of a 5 s grid
    is ~17k ticks per request, and hashing ints is several times cheaper than datetimes.
    """

    def __init__(self, rows: Sequence[PollTickRow], now: datetime, interval_s: int) -> None:
        self._rows = rows
        self._interval_s = interval_s
        self._pending_from = now.timestamp() - in_flight_s(interval_s)
        self._epochs = [r.tick.timestamp() for r in rows]
        self._first_attempt: dict[str, float] = {}
        for r, e in zip(rows, self._epochs, strict=True):
            if r.run_id is not None and r.status in ("ok", "error"):
                self._first_attempt.setdefault(r.run_id, e)
        pairs = list(zip(rows, self._epochs, strict=True))
        self._row_kinds = [self._classify_row(r, e) for r, e in pairs]
        self._at: dict[int, RowKind] = {}
        self._errors: set[int] = set()
        for r, e, k in zip(rows, self._epochs, self._row_kinds, strict=True):
            if r.tick.microsecond == 0:  # grid ticks are whole seconds
                self._at[int(e)] = k
                if r.status == "error":
                    self._errors.add(int(e))

    def _live_after(self, run_id: str | None, epoch: float) -> bool:
        """Whether run `run_id` had attempted a tick before `epoch`."""
        first = None if run_id is None else self._first_attempt.get(run_id)
        return first is not None and first < epoch

    def _classify_row(self, row: PollTickRow, epoch: float) -> RowKind:
        if row.status == "ok":
            return "ok"
        if row.status == "error":
            return "failed"
        if row.backlog:
            return "not_running"
        if row.run_id is None or self._live_after(row.run_id, epoch):
            return "failed"
        return "not_running"

    def row_kind(self, row: PollTickRow) -> RowKind:
        return self._classify_row(row, row.tick.timestamp())

    def _kind_at(self, epoch: int) -> TickKind:
        k = self._at.get(epoch)
        if k is not None:
            return k
        if epoch >= self._pending_from:
            return "pending"
        i = bisect_left(self._epochs, epoch)
        if 0 < i < len(self._rows):
            before, after = self._rows[i - 1], self._rows[i]
            same_run = before.run_id is not None and before.run_id == after.run_id
            if same_run and self._live_after(before.run_id, epoch):
                return "failed"
        return "not_running"

    def kind(self, tick: datetime) -> TickKind:
        if tick.microsecond:
            e = tick.timestamp()
            if e >= self._pending_from:
                return "pending"
            return "not_running"  # off the whole-second grid: no poller's tick
        return self._kind_at(int(tick.timestamp()))

    def coverage(self, start: datetime, end: datetime) -> Coverage:
        step = self._interval_s
        first = grid_ticks(start, start + timedelta(seconds=step), step)
        ok = errors = failed = not_running = pending = 0
        gaps: list[tuple[int, int, GapKind]] = []
        open_gap: tuple[int, int, GapKind] | None = None
        stop = end.timestamp()
        e = int(first[0].timestamp()) if first else int(stop) + 1
        while e < stop:
            k = self._kind_at(e)
            if k == "ok":
                ok += 1
            elif k == "failed":
                failed += 1
                if e in self._errors:
                    errors += 1
            elif k == "not_running":
                not_running += 1
            else:
                pending += 1
            if open_gap is not None and open_gap[2] == k:
                open_gap = (open_gap[0], e, k)
            else:
                if open_gap is not None:
                    gaps.append(open_gap)
                    open_gap = None
                if k == "failed" or k == "not_running":
                    open_gap = (e, e, k)
            e += step
        if open_gap is not None:
            gaps.append(open_gap)
        expected = ok + failed + not_running + pending
        return Coverage(
            start,
            end,
            expected,
            ok,
            errors,
            failed,
            not_running,
            pending,
            [Gap(_utc(a), _utc(b), k) for a, b, k in gaps],
        )

    def last_live_tick(self) -> datetime | None:
        """The newest tick a running poller dealt with (ok or failed)."""
        for r, k in zip(reversed(self._rows), reversed(self._row_kinds), strict=True):
            if k != "not_running":
                return r.tick
        return None

    def failing_since(self) -> datetime | None:
        """The first tick of the trailing run of failed ticks (not-running ticks skipped), or
        None when the newest live tick is ok."""
        since = None
        for r, k in zip(reversed(self._rows), reversed(self._row_kinds), strict=True):
            if k == "ok":
                break
            if k == "failed":
                since = r.tick
        return since


def _utc(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def words(seconds: float) -> str:
    """A duration for a reason: "45 s", "12 min", "3 h 5 min", "2 d 4 h"."""
    s = max(0, round(seconds))
    if s < 90:
        return f"{s} s"
    m = round(s / 60)
    if m < 90:
        return f"{m} min"
    h, m = divmod(m, 60)
    if h < 48:
        return f"{h} h {m} min" if m else f"{h} h"
    d, h = divmod(h, 24)
    return f"{d} d {h} h" if h else f"{d} d"


def _plural(n: int, one: str) -> str:
    return f"{n} {one}" if n == 1 else f"{n} {one}s"


async def grid_interval(
    reads: JsonReadRepository, settings: Settings, tier: str, now: datetime
) -> int | None:
    """The tier's poll grid: the watchlist's is POLL_INTERVAL_S; the catalogue's is
    CATALOGUE_INTERVAL_S or, when that is 0 (automatic), the spacing of its recorded ticks."""
    if tier == "watchlist":
        return settings.poll_interval_s
    if settings.catalogue_interval_s:
        return settings.catalogue_interval_s
    # Grid ticks are multiples of the interval, so the smallest spacing between recorded ticks
    # is the interval (or a multiple of it if ticks were lost).
    ticks = await reads.recent_ticks(tier, now - HOUR)
    gaps = [int((a - b).total_seconds()) for a, b in pairwise(ticks)]
    positive = [g for g in gaps if g > 0]
    return min(positive) if positive else None


def judge(
    classifier: TickClassifier,
    interval_s: int,
    now: datetime,
    hour: Coverage,
    today: Coverage | None,
    last_ok_tick: datetime | None,
) -> tuple[TierState, list[str]]:
    """The tier's status and the reasons for it, in words (see the module docstring)."""
    stale = timedelta(seconds=stale_after_s(interval_s))
    live = classifier.last_live_tick()
    if live is None:
        if last_ok_tick is None:
            return "not_running", ["not running: no tick has ever been polled"]
        age = words((now - last_ok_tick).total_seconds())
        return "not_running", [f"not running: last ok tick {age} ago"]
    if now - live > stale:
        age = words((now - live).total_seconds())
        return "not_running", [f"not running: nothing polled for {age}"]
    reasons: list[str] = []
    status: TierState = "ok"
    since = classifier.failing_since()
    if since is not None and now - since >= stale:
        status = "failing"
        reasons.append(f"failing: every tick for {words((now - since).total_seconds())} failed")
    attempted = hour.ok + hour.failed
    if attempted >= FAILING_MIN_TICKS and hour.running_ratio < FAILING_RATIO:
        status = "failing"
        reasons.append(
            f"failing: only {hour.running_ratio:.0%} of the {attempted} ticks polled in the last "
            "hour were ok"
        )
    if hour.failed > 0:
        if status == "ok":
            status = "degraded"
        late = hour.failed - hour.errors
        reasons.append(
            f"{_plural(hour.failed, 'tick')} failed in the last hour ("
            f"{_plural(hour.errors, 'error')}, {late} missed while running)"
        )
    widest, span = (hour, "in the last hour")
    if today is not None and today.start <= hour.start:
        widest, span = today, "today"
    stopped = [g for g in widest.gaps if g.kind == "not_running"]
    if stopped:
        ended = stopped[-1].end + timedelta(seconds=interval_s)
        reasons.append(
            f"not running for {words(widest.not_running * interval_s)} {span} (ingestion was "
            f"stopped; the last such gap ended {words((now - ended).total_seconds())} ago)"
        )
    return status, reasons


async def tier_health(
    reader: PostgresPollTickReader,
    reads: JsonReadRepository,
    settings: Settings,
    tier: str,
    now: datetime,
    *,
    with_today: bool,
) -> TierHealth:
    """Health of `tier` as of `now`: status, reasons, last-hour (and today's) coverage."""
    enabled, why_disabled = tier_enabled(settings, tier)
    interval = await grid_interval(reads, settings, tier, now)
    last_ok = await reads.last_ok_tick(tier)
    if interval is None:
        # Fewer than two ticks in the last hour of an automatic cadence: no grid to judge on.
        recent = await reads.recent_ticks(tier, now - HOUR)
        reasons = ["poll interval unknown until the tier records two ticks within an hour"]
        state: TierState = "not_running"
        if not recent:
            reasons.insert(0, "not running: nothing polled in the last hour")
        else:
            state = "ok" if recent[0] == last_ok else "degraded"
        if state == "not_running" and not enabled:
            reasons.insert(0, why_disabled)
        return TierHealth(
            tier=tier,
            enabled=enabled,
            interval_s=None,
            status=state,
            reasons=reasons,
            stale_after_s=None,
            last_live_tick=recent[0] if recent else None,
            last_ok_tick=last_ok,
            last_hour=None,
            today=None,
        )
    stale = stale_after_s(interval)
    hour_start = now - HOUR
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    first = min(hour_start, now - timedelta(seconds=stale), midnight if with_today else now)
    rows = await reader.ticks(tier, first - LOOKBACK, now)
    classifier = TickClassifier(rows, now, interval)
    hour = classifier.coverage(hour_start, now)
    today = classifier.coverage(midnight, now) if with_today else None
    status, reasons = judge(classifier, interval, now, hour, today, last_ok)
    if status == "not_running" and not enabled:
        reasons.insert(0, why_disabled)
    return TierHealth(
        tier=tier,
        enabled=enabled,
        interval_s=interval,
        status=status,
        reasons=reasons,
        stale_after_s=stale,
        last_live_tick=classifier.last_live_tick(),
        last_ok_tick=last_ok,
        last_hour=hour,
        today=today,
    )
