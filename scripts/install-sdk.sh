#!/usr/bin/env bash
# Install the official Kalshi SDK (kalshi-python-sync) into the project venv, idempotently.
#
# It is a test-only dependency: tests/sim point it at kalshi_sim to prove the simulator speaks the
# real API's shapes. The package declares Python >= 3.13 but is pure Python and works on 3.11, so
# we install the wheel alone with uv resolving as for 3.13 and --no-deps (letting uv resolve its
# dependencies "for 3.13" would swap compiled wheels such as pydantic-core for cp313 builds).
# Its declared dependencies are then checked against what the venv already has.
set -euo pipefail
cd "$(dirname "$0")/.."

PY="${PYTHON:-.venv/bin/python}"
SDK_VERSION="3.34.0"
LAZY_IMPORTS_VERSION="1.2.0"

installed() {
  "$PY" - "$SDK_VERSION" <<'PYEOF'
import importlib.metadata as md
import sys

try:
    ok = md.version("kalshi-python-sync") == sys.argv[1]
    import kalshi_python_sync  # noqa: F401
except Exception:
    ok = False
sys.exit(0 if ok else 1)
PYEOF
}

if installed; then
  echo "kalshi-python-sync ${SDK_VERSION} already installed"
  exit 0
fi

if command -v uv >/dev/null 2>&1; then
  uv pip install --python "$PY" --python-version 3.13 --no-deps \
    "kalshi-python-sync==${SDK_VERSION}" "lazy-imports==${LAZY_IMPORTS_VERSION}"
else
  # No uv: bootstrap pip into the venv (offline, from the interpreter's bundled wheel).
  "$PY" -m pip --version >/dev/null 2>&1 || "$PY" -m ensurepip --default-pip >/dev/null
  "$PY" -m pip install --quiet --no-deps --ignore-requires-python \
    "kalshi-python-sync==${SDK_VERSION}" "lazy-imports==${LAZY_IMPORTS_VERSION}"
fi

"$PY" - <<'PYEOF'
import importlib.metadata as md
import sys

from packaging.requirements import Requirement

env = {"python_version": "3.13", "python_full_version": "3.13.0"}
missing = []
for raw in md.requires("kalshi-python-sync") or []:
    req = Requirement(raw)
    if req.marker is not None and not req.marker.evaluate(env):
        continue
    try:
        have = md.version(req.name)
    except md.PackageNotFoundError:
        missing.append(f"{req} (not installed)")
        continue
    if req.specifier and not req.specifier.contains(have, prereleases=True):
        missing.append(f"{req} (have {have})")
if missing:
    sys.exit("kalshi-python-sync dependencies not met: " + "; ".join(missing))
import kalshi_python_sync  # noqa: E402,F401

print("kalshi-python-sync", md.version("kalshi-python-sync"), "installed and importable")
PYEOF
