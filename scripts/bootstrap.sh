#!/usr/bin/env bash
# Install everything the workbench needs from the registries (idempotent, quick when done before):
# uv, the locked Python environment (bytecode compiled: imports cost ~2x without it), the official
# Kalshi SDK used by conformance tests, and the SPA's Node packages when the frontend exists.
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf '[setup] %s\n' "$*" >&2; }

if ! command -v uv >/dev/null 2>&1; then
  log "installing uv"
  python3 -m pip install --quiet "uv==0.13.8" >&2 || python3 -m pip install --quiet --user "uv==0.13.8" >&2
  export PATH="$HOME/.local/bin:$PATH"
fi
export UV_COMPILE_BYTECODE=1
log "syncing the Python environment (uv sync --frozen)"
uv sync --frozen --quiet >&2
if [ -x scripts/install-sdk.sh ]; then scripts/install-sdk.sh >&2; fi
if [ -f frontend/package-lock.json ] && [ ! -d frontend/node_modules ]; then
  log "installing the SPA's Node packages (npm ci)"
  (cd frontend && npm ci --no-audit --no-fund --loglevel=error) >&2
fi
