"""The wall-clock poll grid: ticks, poll windows, and which windows a sensor should request.

Ticks sit on multiples of the poll interval since the Unix epoch (:00, :05, ... for 5 s), so any
two processes agree on them without talking. A window is a run's share of the grid; windows tile
a UTC day exactly, so every tick belongs to exactly one window and every window to one run key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

DAY_S = 86_400


class GridConfigError(ValueError):
    """A poll interval / window combination that cannot tile a day."""


@dataclass(frozen=True, slots=True)
class PollGrid:
    tier: str
    interval_s: int
    window_s: int

    def __post_init__(self) -> None:
        if self.interval_s <= 0 or self.window_s <= 0:
            raise GridConfigError(f"{self.tier}: interval and window must be positive")
        if self.window_s % self.interval_s:
            raise GridConfigError(
                f"{self.tier}: poll window {self.window_s}s is not a multiple of the "
                f"interval {self.interval_s}s; pick a window such as "
                f"{self.interval_s * max(1, round(self.window_s / self.interval_s))}s"
            )
        if DAY_S % self.window_s:
            raise GridConfigError(
                f"{self.tier}: poll window {self.window_s}s does not divide a day (86400s); "
                "use e.g. 60, 120, 300, 600 or 900"
            )

    def window_start(self, t: datetime) -> datetime:
        """Start of the window holding instant `t`."""
        epoch = int(_utc(t).timestamp())
        return datetime.fromtimestamp(epoch - epoch % self.window_s, UTC)

    def window_end(self, start: datetime) -> datetime:
        return start + timedelta(seconds=self.window_s)

    def ticks(self, start: datetime, end: datetime) -> list[datetime]:
        """Grid ticks t with start <= t < end."""
        s = int(_utc(start).timestamp())
        first = s + (-s % self.interval_s)
        if _utc(start).microsecond and first == s:
            first += self.interval_s
        last = _utc(end).timestamp()
        out: list[datetime] = []
        t = first
        while t < last:
            out.append(datetime.fromtimestamp(t, UTC))
            t += self.interval_s
        return out

    def window_ticks(self, start: datetime) -> list[datetime]:
        return self.ticks(start, self.window_end(start))

    def windows_due(self, now: datetime, lead_s: int) -> list[datetime]:
        """Windows a sensor should have requested by `now`: the current one (a late start still
        polls its remaining ticks) and the next one once `now` is within `lead_s` of it, so the
        next run is up and waiting before the current one ends."""
        current = self.window_start(now)
        due = [current]
        nxt = self.window_end(current)
        if (nxt - _utc(now)).total_seconds() <= lead_s:
            due.append(nxt)
        return due


def run_key(tier: str, window_start: datetime) -> str:
    """Deterministic run key: one run per (tier, window), however often the sensor ticks."""
    return f"{tier}:{_utc(window_start).strftime('%Y-%m-%dT%H:%M:%SZ')}"


def partition_key(t: datetime) -> str:
    """The UTC day partition (`YYYY-MM-DD`) holding instant `t`."""
    return _utc(t).strftime("%Y-%m-%d")


def _utc(t: datetime) -> datetime:
    if t.tzinfo is None:
        raise ValueError(f"naive datetime {t!r}: poll grid times must be timezone-aware")
    return t.astimezone(UTC)
