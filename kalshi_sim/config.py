"""Configuration of one simulator instance: universe size, dynamics, clock, format, limits,
faults."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

DYNAMICS = ("calibrated", "busy")


def default_anchor() -> datetime:
    """Start of the current UTC day: two simulators started the same day share one universe."""
    now = datetime.now(UTC)
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def anchor_from_iso(text: str) -> datetime:
    """Parse an ISO timestamp given on the command line (naive means UTC)."""
    d = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return d if d.tzinfo else d.replace(tzinfo=UTC)


@dataclass(frozen=True)
class FaultConfig:
    """Fault knobs, all off by default; settable at run time too (POST /_sim/faults)."""

    error_rate: float = 0.0
    """Probability that a request is answered with a 5xx (500/502/503 rotated)."""
    latency_ms: float = 0.0
    """Latency added to every request."""
    latency_jitter_ms: float = 0.0
    """Uniform extra latency in [0, jitter]."""
    timeout_rate: float = 0.0
    """Probability that a request hangs for `hang_s` before being dropped."""
    hang_s: float = 30.0
    truncate_rate: float = 0.0
    """Probability that a 200 body is cut in half (invalid JSON, correct status)."""
    malformed_rate: float = 0.0
    """Probability that a 200 body is replaced by non-JSON text."""
    drop_field_rate: float = 0.0
    """Probability that a 200 body has fields removed from its objects."""
    drop_fields: tuple[str, ...] = ("yes_bid_dollars", "volume_fp")
    outage_until: float = 0.0
    """Wall-clock epoch seconds until which every request fails."""
    outage_mode: str = "503"
    """'503' (answer 503) or 'reset' (drop the connection mid-response)."""
    storm_until: float = 0.0
    """Wall-clock epoch seconds until which every request gets 429."""
    seed: int = 0


@dataclass(frozen=True)
class SimConfig:
    """Everything that defines a simulator; same config + same simulated time => same bytes."""

    seed: int = 1
    markets: int = 5000
    """Non-combo markets in the universe (Kalshi autumn 2026: ~104,000 open)."""
    mve_markets: int | None = None
    """Combo (KXMVE...) markets; None = as many as `markets`."""
    dynamics: str = "calibrated"
    """How markets move: "calibrated" (most markets quiet, a few busy, one-tick spreads, trade
    sizes and quote changes as measured on Kalshi's recordings: docs/SIMULATOR.md) or "busy"
    (the model before issue 12.5: every market requotes every minute; the worst case for
    writers, kept for benchmarks)."""
    activity: float = 1.0
    """Calibrated dynamics only: multiplies every market's trade and quote-revision rates (2 =
    twice as busy), for tests that need more movement without leaving the calibrated shapes."""
    legacy_format: bool = False
    """Serve the pre-2026-03-12 format: integer cents/counts alongside *_dollars (no *_fp)."""
    anchor: datetime = field(default_factory=default_anchor)
    """Universe epoch: event dates are laid out around it."""
    start_time: datetime | None = None
    """Simulated time when the server starts (default: wall-clock now)."""
    time_scale: float = 1.0
    """Simulated seconds per wall second (0 = frozen clock)."""
    rate_limit_per_s: float = 20.0
    """Token-bucket refill per second (Kalshi Basic: 20); 0 turns the limiter off."""
    rate_burst: float | None = None
    """Bucket capacity (default = one second of budget)."""
    horizon_days: float = 0.0
    """Extra days of future events per series (listed as time passes), for long or accelerated
    runs; they count toward `markets`, so fewer are open at the start."""
    historical_days: float = 30.0
    """Markets settled more than this many days before now are served by /historical/*."""
    faults: FaultConfig = field(default_factory=FaultConfig)
    replay_path: Path | None = None
    """CSV of recorded top-of-book snapshots to replay instead of the synthetic universe."""
    replay_speed: float = 1.0
    recorded_dir: Path | None = None
    """Directory of real recordings (kalshi_sim.recorded layouts) to serve instead of the
    synthetic universe; the clock then stands at the end of the recording."""
    recorded_datasets: tuple[str, ...] = ()
    """Which recorded layouts to load (multi, nba, econ); empty = every layout present."""
    recorded_cutoff: datetime | None = None
    """Historical cutoff of a recorded dataset (default: the middle of the recording)."""
    cache_dir: Path | None = None
    """Where generated universes are cached between runs (None: always generate)."""
    host: str = "127.0.0.1"
    port: int = 8765

    def __post_init__(self) -> None:
        if self.dynamics not in DYNAMICS:
            raise ValueError(
                f"dynamics must be one of {', '.join(DYNAMICS)}, not {self.dynamics!r}"
            )
        if not self.activity > 0:
            raise ValueError(f"activity must be positive, not {self.activity}")

    @property
    def combo_markets(self) -> int:
        return self.markets if self.mve_markets is None else self.mve_markets
