"""Numba's on-disk cache for the backtest engine (ours and vectorbt's kernels).

Dagster runs every materialisation in a fresh process; without a persistent cache each one
recompiles vectorbt's and our kernels (~7.5 s). The cache lives in the project's
``.numba_cache/`` (git-ignored) unless ``NUMBA_CACHE_DIR`` is set. It must be configured before
numba compiles anything with ``cache=True``, hence this runs first in the package's
``__init__``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

_PROJECT_CACHE = Path(__file__).resolve().parents[2] / ".numba_cache"


def configure_numba_cache(path: Path | None = None) -> Path | None:
    """Point numba's cache at `path` (default: ``$NUMBA_CACHE_DIR`` or ``.numba_cache/``).

    Returns the directory in use, or None when it cannot be created (numba then falls back to
    its own default next to the sources or in the user cache).
    """
    target = path or Path(os.environ.get("NUMBA_CACHE_DIR") or _PROJECT_CACHE)
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    os.environ["NUMBA_CACHE_DIR"] = str(target)
    numba_mod = sys.modules.get("numba")
    if numba_mod is not None:
        # numba read its config at import; functions decorated from now on use the new dir.
        numba_mod.config.CACHE_DIR = str(target)
    return target
