"""Contract: a market-path kernel never runs machine code cached for other sources.

numba keys a cached kernel on its own file only, while the kernels of `kalshi_sim.market_paths`
compile their callees from sibling files into themselves; `kalshi_sim.market_paths.jit` ties
every cache entry to a digest of the whole package and drops an entry written for another one.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np

from kalshi_sim.market_paths import hashing, jit, market_rows, quotes

_KERNEL_FILE = """
from kalshi_sim.market_paths.jit import kernel


@kernel
def double(x):
    return 2 * x
"""


def _load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_package_kernels_are_stamped_with_the_package_digest() -> None:
    assert jit.sources_digest() == jit.SOURCES_DIGEST
    for dispatcher in (hashing.hkey, quotes.quote_at, market_rows.market_rows):
        stamp = jit.stamp_path(dispatcher)
        assert stamp.read_text() == jit.SOURCES_DIGEST, stamp


def test_an_entry_cached_for_other_sources_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "cached_kernel.py"
    path.write_text(_KERNEL_FILE)
    module = _load(path, "cached_kernel_a")
    assert module.double(np.int64(21)) == 42  # compiles and writes the cache index
    index = Path(str(module.double._cache._cache_file._index_path))
    stamp = jit.stamp_path(module.double)
    assert index.exists()
    assert stamp.read_text() == jit.SOURCES_DIGEST

    # Same sources: the next process keeps the entry.
    jit.drop_stale_cache(_load(path, "cached_kernel_b").double, jit.SOURCES_DIGEST)
    assert index.exists()

    # Another digest (a sibling module changed): the entry goes, the new digest is recorded.
    jit.drop_stale_cache(_load(path, "cached_kernel_c").double, "another digest")
    assert not index.exists()
    assert stamp.read_text() == "another digest"
