#!/usr/bin/env bash
# The one test command (README, Makefile `make test`, pre-commit and .ci/run all call this):
# set up, make sure PostgreSQL answers, then lint, type-check and run the whole pytest suite
# against real PostgreSQL. Extra arguments go to pytest (e.g. `make test ARGS="-k storage"`).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
DATABASE_URL=$(scripts/ensure-postgres.sh)
export DATABASE_URL
# tests create and drop their own databases on this server; they never touch the user's database
export TEST_DATABASE_ADMIN_URL="${TEST_DATABASE_ADMIN_URL:-${DATABASE_URL%/*}/postgres}"
echo "[test] ruff" >&2
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "[test] mypy (strict)" >&2
.venv/bin/mypy
if [ -x scripts/test-frontend.sh ] && [ "${SKIP_FRONTEND:-0}" != "1" ]; then
  echo "[test] frontend (typecheck, lint, unit, build, browser)" >&2
  scripts/test-frontend.sh
fi
echo "[test] pytest against $TEST_DATABASE_ADMIN_URL" >&2
exec .venv/bin/pytest "$@"
