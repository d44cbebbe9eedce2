"""Identifiers and constants the market paths share with the Python side.

The time step, the two dynamics (`DYN_*`, `Universe.dynamics`), the columns of the per-market
calibrated parameters (`D_*`, `Universe.m_dyn`, filled by `kalshi_sim.dynamics`) and the
calibrated model's shape constants (docs/SIMULATOR.md, "The calibrated model").
"""

from __future__ import annotations

STEP = 60.0
"""Seconds per grid step: an event's step k covers [grid0 + 60k, grid0 + 60(k+1))."""

DYN_BUSY = 0
DYN_CALIBRATED = 1

# Columns of the per-market calibrated parameters (Universe.m_dyn); m_rate holds orders/s.
D_UPD = 0
"""Maker quote revisions per second (tree total over the event's grid)."""
D_SIZE = 1
"""Gamma scale of an order's contracts beyond the first."""
D_BOOK = 2
"""log of the median resting size at a price level."""
D_WIDE = 3
"""Probability that the spread is one tick wider (repeated: geometric widths)."""
D_WINDOW = 4
"""Steps before the close where the market does most of its trading (its active window)."""
N_DYN = 5

# Calibrated shape constants (docs/SIMULATOR.md, "The calibrated model"); per-market scales are
# in m_dyn.
SIZE_SHAPE = 0.4
"""Gamma shape of an order's extra contracts: tapes show p90/p50 ~ 12 and p25/p50 ~ 0.2."""
SWEEP = 0.22
"""Probability that a taker order fills several makers (prints more than once at its instant):
41-47% of real prints share their timestamp with another print of the market."""
SWEEP_MORE = 0.5
"""Probability that such an order prints once more (geometric)."""
FILL_SHAPE = 1.0
"""Dirichlet shape of an order's split among its fills: even-ish pieces, not dust."""
INSTANT_GAP_S = 6.0
"""Mean gap between the orders of one step: real prints cluster within a minute."""
BURST = 0.45
"""Width of a node's split share around 1/2 (uniform): bursty activity at every time scale."""
PRE_SHARE = 0.0003
"""Mean share of its orders a node sends to a left half lying wholly before the active window:
a market trades in the hours before its close (tapes: active life 42 min for hourly crypto, a
day for games, weeks for economics), hardly ever before."""
PRE_SHARE_REVISIONS = 0.05
"""The same for maker revisions: a quiet book is still requoted now and then."""
MAX_SPREAD_TICKS = 12
