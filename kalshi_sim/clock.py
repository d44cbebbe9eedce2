"""The simulator's clock: simulated time = start + (wall - wall_start) * time_scale."""

from __future__ import annotations

import threading
import time


class SimClock:
    """Thread-safe accelerated (or frozen, time_scale=0) clock; can be re-set at run time."""

    def __init__(self, start: float, time_scale: float = 1.0) -> None:
        self._lock = threading.Lock()
        self._start = float(start)
        self._wall0 = time.time()
        self._scale = float(time_scale)

    def now(self) -> float:
        with self._lock:
            return self._start + (time.time() - self._wall0) * self._scale

    @property
    def time_scale(self) -> float:
        return self._scale

    def set(self, sim_time: float | None = None, time_scale: float | None = None) -> None:
        """Jump to `sim_time` and/or change speed; later readings continue from there."""
        with self._lock:
            current = self._start + (time.time() - self._wall0) * self._scale
            self._start = current if sim_time is None else float(sim_time)
            self._wall0 = time.time()
            if time_scale is not None:
                self._scale = float(time_scale)
