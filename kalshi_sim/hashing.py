"""Counter-based pseudo-random numbers for the simulator.

Every random quantity of the synthetic exchange is a pure function of integer keys (seed, object id,
time step), computed with SplitMix64 over numpy uint64 arrays. That is what makes any two requests
at the same simulated time agree and lets history (trades, candles) be regenerated on demand
instead of stored.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

U64 = npt.NDArray[np.uint64]
F64 = npt.NDArray[np.float64]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_INV53 = 1.0 / float(1 << 53)


def mix(x: npt.ArrayLike) -> U64:
    """SplitMix64 finaliser of `x` (element-wise, wrapping uint64 arithmetic)."""
    with np.errstate(over="ignore"):
        z = np.asarray(x, dtype=np.uint64) + _GOLDEN
        z = (z ^ (z >> _S30)) * _MIX1
        z = (z ^ (z >> _S27)) * _MIX2
        out: U64 = z ^ (z >> _S31)
    return out


def key(*parts: npt.ArrayLike) -> U64:
    """Combine integer keys into one well-mixed uint64 key (order matters)."""
    acc = np.uint64(0x1234567)
    out: U64 = np.asarray(acc, dtype=np.uint64)
    for p in parts:
        out = mix(out ^ np.asarray(p, dtype=np.int64).astype(np.uint64))
    return out


def uniform(k: npt.ArrayLike) -> F64:
    """Uniform in [0, 1) from a key."""
    return (mix(k) >> _S11).astype(np.float64) * _INV53


def normal(k: npt.ArrayLike) -> F64:
    """Standard normal from a key (Box-Muller over two derived uniforms)."""
    k = np.asarray(k, dtype=np.uint64)
    u1 = 1.0 - uniform(k)  # (0, 1]: log stays finite
    u2 = uniform(k ^ np.uint64(0x5DEECE66D))
    result: F64 = np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)
    return result


def norm_cdf(x: npt.ArrayLike) -> F64:
    """Standard normal CDF, vectorised (Abramowitz-Stegun 7.1.26 erf, |error| < 1.5e-7).

    Infinite arguments map to exactly 0 or 1, which the bracket probabilities rely on.
    """
    x = np.asarray(x, dtype=np.float64)
    z = np.abs(x) / np.sqrt(2.0)
    t = 1.0 / (1.0 + 0.3275911 * z)
    poly = t * (
        0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))
    )
    erf = 1.0 - poly * np.exp(-z * z)
    out: F64 = np.where(x >= 0, 0.5 * (1.0 + erf), 0.5 * (1.0 - erf))
    return out


def norm_ppf(p: npt.ArrayLike) -> F64:
    """Inverse standard normal CDF, vectorised (bisection on norm_cdf; used at universe build)."""
    target = np.clip(np.asarray(p, dtype=np.float64), 1e-12, 1.0 - 1e-12)
    lo = np.full(target.shape, -8.0)
    hi = np.full(target.shape, 8.0)
    for _ in range(48):
        mid = 0.5 * (lo + hi)
        below = norm_cdf(mid) < target
        lo = np.where(below, mid, lo)
        hi = np.where(below, hi, mid)
    out: F64 = 0.5 * (lo + hi)
    return out
