"""The market paths' kernel decorator, and the guard that keeps numba's disk cache honest.

numba caches a compiled kernel keyed on its own source file (modification time and size) and
its own bytecode, and compiles the kernels it calls into it. The kernels of this package call
across its modules, so after an edit to one module the cached code of kernels in the others
would still hold the old callees, and numba would load it. Each kernel's cache entry is
therefore tied to a digest of every module here: an entry written for other sources is dropped
before first use, and the kernel compiles afresh.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numba
from numba.core.dispatcher import Dispatcher

_F = TypeVar("_F", bound=Callable[..., object])

_PACKAGE = Path(__file__).resolve().parent


def sources_digest(package: Path = _PACKAGE) -> str:
    """sha256 over the names and contents of the package's modules."""
    h = hashlib.sha256()
    for path in sorted(package.glob("*.py")):
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


SOURCES_DIGEST = sources_digest()


def kernel(fn: _F) -> Dispatcher[_F]:
    """`numba.njit(cache=True, nogil=True)` whose cache is kept only for these sources.

    nogil: Starlette runs the computing handlers in threads, and a kernel releasing the GIL
    keeps a long trades or candles request from stalling the /markets pages."""
    dispatcher = numba.njit(cache=True, nogil=True)(fn)
    drop_stale_cache(dispatcher, SOURCES_DIGEST)
    return dispatcher


def stamp_path(dispatcher: Any) -> Path:
    """Where the digest of the sources a kernel's cache entry was written for is kept."""
    return Path(str(dispatcher._cache._cache_file._index_path) + ".sources")


def drop_stale_cache(dispatcher: Any, digest: str) -> None:
    """Delete the kernel's cache index unless it was written for `digest`; when it cannot be
    deleted, run the kernel uncached rather than risk stale code."""
    stamp = stamp_path(dispatcher)
    try:
        if stamp.read_text() == digest:
            return
    except OSError:
        pass  # no stamp yet: whatever the index holds is of unknown sources
    index = Path(dispatcher._cache._cache_file._index_path)
    try:
        index.unlink(missing_ok=True)
        stamp.parent.mkdir(parents=True, exist_ok=True)
        tmp = stamp.with_name(f"{stamp.name}.{os.getpid()}.tmp")
        tmp.write_text(digest)
        tmp.replace(stamp)
    except OSError:
        dispatcher._cache.disable()
