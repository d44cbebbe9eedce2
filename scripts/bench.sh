#!/usr/bin/env bash
# `make bench` runs every benchmark (minutes to an hour: see docs/BENCHMARKS.md for sizes);
# `make bench ARGS=save_many` runs one (bench/<name>.py). Each prints its figures as JSON;
# record them with the machine and date in docs/BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
DATABASE_URL=$(scripts/ensure-postgres.sh)
export DATABASE_URL
export NUMBA_CACHE_DIR="${NUMBA_CACHE_DIR:-$(pwd)/.data/numba_cache}"
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  names=(save_many catalogue_scan ingestion_tick backtest_sweep backfill api_load)
fi
for name in "${names[@]}"; do
  echo "=== bench/$name.py ($(date -u +%FT%TZ), $(nproc) cores) ===" >&2
  .venv/bin/python -m "bench.$name"
done
