"""Counter-based randomness of the market paths: every draw is a hash of (seed, stream, ids).

`hkey(seed, salt, a, b)` keys a draw by its stream (`SALT_*`, one per kind of quantity) and two
integers (a market or event and a step, a tree node...), so any value at any time costs a few
hash evaluations and needs no stored state. SplitMix64 mixing; `C1`-`C4` are its constants,
also XORed into a hash to derive independent sub-draws from one key.
"""

# Kernel arguments are numpy arrays typed by numba at compile time; annotating each one would
# restate the call sites without checking anything.
# mypy: disable-error-code="no-untyped-def"
from __future__ import annotations

import math

import numpy as np

from kalshi_sim.market_paths.jit import kernel

C1 = np.uint64(0x9E3779B97F4A7C15)
C2 = np.uint64(0xBF58476D1CE4E5B9)
C3 = np.uint64(0x94D049BB133111EB)
C4 = np.uint64(0xD6E8FEB86659FD93)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S32 = np.uint64(32)
_S11 = np.uint64(11)
_LOW32 = np.uint64(0xFFFFFFFF)
SALT_Y = 1
SALT_V = 2
SALT_Q = 3
SALT_T = 4
SALT_B = 5
SALT_P = 6
"""Calibrated: taker-order tree."""
SALT_U = 7
"""Calibrated: maker-revision tree."""
SALT_G = 8
"""Calibrated: contracts (Gamma/Beta splits) of the order tree."""
SALT_I = 9
"""Calibrated: times and fills of a step's orders."""


@kernel
def mix(x: np.uint64) -> np.uint64:
    z = x + C1
    z = (z ^ (z >> _S30)) * C2
    z = (z ^ (z >> _S27)) * C3
    return z ^ (z >> _S31)


@kernel
def hkey(seed: int, salt: int, a: int, b: int) -> np.uint64:
    z = mix(np.uint64(seed) ^ (np.uint64(salt) * C4))
    z = mix(z ^ np.uint64(a))
    return mix(z ^ np.uint64(b))


@kernel
def unif(h: np.uint64) -> float:
    return float(h >> _S11) * (1.0 / 9007199254740992.0)


@kernel
def gauss(h: np.uint64) -> float:
    u1 = (float(h >> _S32) + 1.0) / 4294967296.0
    u2 = float(h & _LOW32) / 4294967296.0
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


@kernel
def gamma_h(h: np.uint64, a: float) -> float:
    """A Gamma(a, 1) variate from hash h (Marsaglia-Tsang; shape < 1 boosted by U^(1/a))."""
    if a <= 0.0:
        return 0.0
    boost = 1.0
    if a < 1.0:
        u0 = unif(mix(h ^ C2))
        boost = max(u0, 1e-300) ** (1.0 / a)
        a = a + 1.0
    d = a - 1.0 / 3.0
    c = 1.0 / math.sqrt(9.0 * d)
    for i in range(64):
        hi = mix(h + np.uint64(2 * i + 1))
        x = gauss(hi)
        v = 1.0 + c * x
        if v <= 0.0:
            continue
        v = v * v * v
        u = unif(mix(hi ^ C3))
        if u > 0.0 and math.log(u) < 0.5 * x * x + d - d * v + d * math.log(v):
            return d * v * boost
    return d * boost
