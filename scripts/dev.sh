#!/usr/bin/env bash
# `make dev`: the whole workbench on this machine, on its embedded default.
#   PostgreSQL (yours, the machine's, or a private cluster) -> migrations -> kalshi_sim (unless
#   KALSHI_BASE_URL points elsewhere) -> Dagster (webserver + daemon, ingestion sensor on) -> API
#   -> the SPA (built, served by `vite preview` with /api proxied to the API).
# Prints the URLs. Each component runs under scripts/supervise.py: one that dies is restarted
# (with backoff, logged) while the others keep running; Ctrl-C stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
log() { printf '[dev] %s\n' "$*" >&2; }

scripts/bootstrap.sh
export EXTRA_DATABASES="kalshi_dagster"
DATABASE_URL=$(scripts/ensure-postgres.sh)
export DATABASE_URL
export DAGSTER_PG_URL="postgresql+psycopg2://${DATABASE_URL#*://}"
DAGSTER_PG_URL="${DAGSTER_PG_URL%/*}/kalshi_dagster"

log "applying migrations"
.venv/bin/python -m kalshi_core.storage.migrate upgrade >&2

SIM_PORT=${SIM_PORT:-8765}
API_PORT=${API_PORT:-8000}
DAGSTER_PORT=${DAGSTER_PORT:-3000}
# The embedded default polls the local simulator; set KALSHI_BASE_URL to use the real exchange.
export KALSHI_BASE_URL="${KALSHI_BASE_URL:-http://127.0.0.1:${SIM_PORT}/trade-api/v2}"
# A watchlist on the 5 s grid so the demo shows the fast tier; the catalogue covers the rest.
export WATCHLIST_SERIES="${WATCHLIST_SERIES:-[\"KXHIGHNY\",\"KXBTCD\"]}"
export CATALOGUE_MARKETS_ESTIMATE="${CATALOGUE_MARKETS_ESTIMATE:-5000}"
export LOG_JSON="${LOG_JSON:-true}"
export DAGSTER_HOME="$ROOT/.data/dagster_home"
mkdir -p "$DAGSTER_HOME" "$ROOT/.data/logs"
cp dagster.yaml "$DAGSTER_HOME/dagster.yaml"
# numba's compiled kernels survive between Dagster runs (a fresh run pays <1 s, not ~7 s)
export NUMBA_CACHE_DIR="${NUMBA_CACHE_DIR:-$ROOT/.data/numba_cache}"

# Every long-running part under scripts/supervise.py: one that dies (a crash, an OOM kill,
# `kill -9`) is restarted with backoff and logged, the others keep running (ADR-001: a poller
# crash is not API downtime). Ctrl-C stops them all.
COMPONENTS=()
component() { # name command...   (the log is .data/logs/<name>.log)
  local name=$1; shift
  COMPONENTS+=(--component "$name" "$ROOT/.data/logs/$name.log" "$(printf '%q ' "$@")")
}
wait_http() { # url seconds
  for _ in $(seq 1 $(( $2 * 2 ))); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    kill -0 "$SUPERVISOR" 2>/dev/null || return 1
    sleep 0.5
  done
  log "no answer from $1 after $2 s (see the logs in .data/logs)"; return 1
}

if [[ "$KALSHI_BASE_URL" == "http://127.0.0.1:${SIM_PORT}/"* ]]; then
  component sim .venv/bin/python -m kalshi_sim --port "$SIM_PORT" \
    --markets "${SIM_MARKETS:-5000}" --seed "${SIM_SEED:-1}"
fi
component dagster .venv/bin/dagster dev -w workspace.yaml -h 127.0.0.1 -p "$DAGSTER_PORT"
if [ -f kalshi_api/main.py ]; then
  component api .venv/bin/uvicorn kalshi_api.main:app --host 127.0.0.1 --port "$API_PORT" \
    --no-access-log
fi
SPA_PORT=${SPA_PORT:-5173}
if [ -f frontend/package.json ]; then
  log "building the SPA"
  (cd frontend && npm run build --silent) >&2
  # vite itself (not npm run, whose child would outlive it): a signal to it reaches the server
  component spa bash -c "cd frontend && exec node_modules/.bin/vite preview --host 127.0.0.1 \
    --port $SPA_PORT --strictPort"
fi

# The supervisor runs beside this script (which waits for the URLs and prints them); Ctrl-C
# reaches both, and the supervisor stops every component before exiting.
.venv/bin/python scripts/supervise.py "${COMPONENTS[@]}" &
SUPERVISOR=$!
stop() { trap - INT TERM; kill -INT "$SUPERVISOR" 2>/dev/null || true; wait "$SUPERVISOR" || true; exit 0; }
trap stop INT TERM

if [[ "$KALSHI_BASE_URL" == "http://127.0.0.1:${SIM_PORT}/"* ]]; then
  wait_http "http://127.0.0.1:${SIM_PORT}/trade-api/v2/exchange/status" 60 || true
fi
[ -f kalshi_api/main.py ] && { wait_http "http://127.0.0.1:${API_PORT}/health" 60 || true; }
wait_http "http://127.0.0.1:${DAGSTER_PORT}/server_info" 120 || true

cat >&2 <<TXT

  Kalshi analytics workbench is running
    Dashboard      http://127.0.0.1:${SPA_PORT}   (markets, charts, backtests, ingestion health)
    Dagster UI     http://127.0.0.1:${DAGSTER_PORT}   (ingestion sensor on; assets, checks, runs)
    API docs       http://127.0.0.1:${API_PORT}/docs
    Kalshi API     ${KALSHI_BASE_URL}
    PostgreSQL     ${DATABASE_URL}
  Logs in .data/logs/. A component that dies is restarted (see its log); Ctrl-C stops everything.

TXT
wait "$SUPERVISOR" || true
