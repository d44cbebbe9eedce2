#!/usr/bin/env bash
# `make bench` runs every benchmark (minutes to an hour: see docs/BENCHMARKS.md for sizes);
# `make bench ARGS=save_many` runs one (bench/<name>.py). Each prints its figures as JSON;
# record them with the machine and date in docs/BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
DATABASE_URL=$(scripts/ensure-postgres.sh)
export DATABASE_URL
# benchmarks create and drop their own databases on the same server
export BENCH_DATABASE_ADMIN_URL="${BENCH_DATABASE_ADMIN_URL:-${DATABASE_URL%/*}/postgres}"
export NUMBA_CACHE_DIR="${NUMBA_CACHE_DIR:-$(pwd)/.data/numba_cache}"
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  names=(save_many catalogue_scan ingestion_tick backtest_sweep backfill api_load archive)
fi
for name in "${names[@]}"; do
  if [ "$name" = api_load ] && ! command -v wrk >/dev/null; then
    # the API benchmark's load generator (a C program in its own process)
    if [ "$(id -u)" = 0 ]; then
      apt-get install -y wrk >/dev/null || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
    elif command -v sudo >/dev/null; then
      sudo apt-get install -y wrk >/dev/null
    fi
  fi
  echo "=== bench/$name.py ($(date -u +%FT%TZ), $(nproc) cores) ===" >&2
  .venv/bin/python -m "bench.$name"
done
