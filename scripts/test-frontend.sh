#!/usr/bin/env bash
# The SPA's whole check, as CI and `make test` run it: install (npm ci when node_modules is
# missing or older than the lock file), typecheck, lint, unit tests, production build, and the
# browser test (built SPA under `vite preview` against the stub API, in Debian's Chromium).
# Exits non-zero on the first failure. SKIP_BROWSER=1 skips only the browser stage (says so).
set -euo pipefail
cd "$(dirname "$0")/../frontend"

log() { printf '[frontend] %s\n' "$*" >&2; }
passed=0
stage() {
  local name=$1
  shift
  local t0=$SECONDS
  log "$name"
  if ! "$@"; then
    log "$name FAILED"
    echo "frontend: $passed passed, 1 failed"
    exit 1
  fi
  passed=$((passed + 1))
  log "$name ok ($((SECONDS - t0)) s)"
}

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  stage "npm ci" npm ci --no-audit --no-fund --loglevel=error
fi

# TypeScript 7 (native) type-checks; TypeScript 5.9 stays for typescript-eslint and openapi-typescript.
stage "typecheck (tsc 7 --noEmit)" node node_modules/typescript-native/bin/tsc --noEmit -p tsconfig.json
stage "lint (eslint)" npx --no-install eslint --max-warnings=0 --cache --cache-location node_modules/.cache/eslint/ .
stage "unit tests (vitest)" npx --no-install vitest run
stage "build (vite build)" npx --no-install vite build --logLevel warn

chromium=${CHROMIUM:-/usr/bin/chromium}
if [ "${SKIP_BROWSER:-0}" = "1" ]; then
  log "browser test SKIPPED (SKIP_BROWSER=1)"
else
  if [ ! -x "$chromium" ] && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    log "installing Debian's chromium (apt-get)"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
  fi
  if [ ! -x "$chromium" ]; then
    log "no Chromium at $chromium: install it (apt-get install chromium) or set CHROMIUM=/path"
    echo "frontend: $passed passed, 1 failed"
    exit 1
  fi
  stage "browser test (chromium + vite preview + stub API)" env CHROMIUM="$chromium" node e2e/browser-test.mjs
fi
echo "frontend: $passed passed, 0 failed"
