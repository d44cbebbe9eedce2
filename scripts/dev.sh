#!/usr/bin/env bash
# `make dev`: the whole workbench on this machine, on its embedded default.
#   PostgreSQL (yours, the machine's, or a private cluster) -> migrations -> kalshi_sim (unless
#   KALSHI_BASE_URL points elsewhere) -> Dagster (webserver + daemon, ingestion sensor on) -> API
#   -> the SPA (built, served by `vite preview` with /api proxied to the API).
# Prints the URLs; Ctrl-C stops everything it started.
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

PIDS=()
cleanup() {
  trap - INT TERM EXIT
  log "stopping"
  for pid in "${PIDS[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
  for _ in $(seq 1 20); do
    alive=0
    for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.5
  done
  for pid in "${PIDS[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true; done
}
trap cleanup INT TERM EXIT

# Start a command in its own process group with SIGINT restored (a backgrounded process
# inherits SIGINT=ignored from the shell, and dagster dev would then never stop).
start() { # name logfile cmd...
  local name=$1 logfile=$2; shift 2
  setsid .venv/bin/python -c 'import os,signal,sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])' "$@" >"$logfile" 2>&1 &
  PIDS+=($!)
  log "$name started (pid $!, log $logfile)"
}

wait_http() { # url seconds
  for _ in $(seq 1 $(( $2 * 2 ))); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.5
  done
  log "no answer from $1 after $2 s (see the logs in .data/logs)"; return 1
}

if [[ "$KALSHI_BASE_URL" == "http://127.0.0.1:${SIM_PORT}/"* ]]; then
  start "kalshi_sim" .data/logs/sim.log .venv/bin/python -m kalshi_sim --port "$SIM_PORT" \
    --markets "${SIM_MARKETS:-5000}" --seed "${SIM_SEED:-1}"
  wait_http "http://127.0.0.1:${SIM_PORT}/trade-api/v2/exchange/status" 60
fi
start "dagster" .data/logs/dagster.log .venv/bin/dagster dev -w workspace.yaml \
  -h 127.0.0.1 -p "$DAGSTER_PORT"
if [ -f kalshi_api/main.py ]; then
  start "api" .data/logs/api.log .venv/bin/uvicorn kalshi_api.main:app --host 127.0.0.1 \
    --port "$API_PORT" --no-access-log
  wait_http "http://127.0.0.1:${API_PORT}/health" 60 || true
fi
SPA_PORT=${SPA_PORT:-5173}
if [ -f frontend/package.json ]; then
  log "building the SPA"
  (cd frontend && npm run build --silent) >&2
  start "spa" .data/logs/spa.log npm --prefix frontend run preview -- --host 127.0.0.1 \
    --port "$SPA_PORT" --strictPort
fi
wait_http "http://127.0.0.1:${DAGSTER_PORT}/server_info" 120

cat >&2 <<TXT

  Kalshi analytics workbench is running
    Dashboard      http://127.0.0.1:${SPA_PORT}   (markets, charts, backtests, ingestion health)
    Dagster UI     http://127.0.0.1:${DAGSTER_PORT}   (ingestion sensor on; assets, checks, runs)
    API docs       http://127.0.0.1:${API_PORT}/docs
    Kalshi API     ${KALSHI_BASE_URL}
    PostgreSQL     ${DATABASE_URL}
  Logs in .data/logs/. Ctrl-C stops everything.

TXT
wait -n "${PIDS[@]}" || true
log "a component exited; see .data/logs"
