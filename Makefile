# One name per task; README, pre-commit and .ci/run use these same targets.
.PHONY: setup db migrate dev test test-containers up down lint fmt typecheck bench sim import

setup:      ## install uv, Python deps (locked), SDK for conformance tests, Node deps
	scripts/bootstrap.sh

db:         ## make sure PostgreSQL answers (machine's cluster or a private one) and print its URL
	scripts/ensure-postgres.sh

migrate: setup  ## apply Alembic migrations to DATABASE_URL
	DATABASE_URL=$$(scripts/ensure-postgres.sh) .venv/bin/python -m kalshi_core.storage.migrate upgrade

dev:        ## the whole workbench on this machine: Postgres, migrations, simulator, Dagster, API, SPA
	scripts/dev.sh

test:       ## lint, type-check and run every test against real PostgreSQL
	scripts/test.sh $(ARGS)

test-containers:  ## build the images, start the compose stack and check it as a user would (Docker)
	scripts/test-containers.sh

up:         ## the workbench as containers with the simulator (docker compose; see docs/DEPLOYMENT.md)
	docker compose --profile sim up -d --build --wait

down:       ## stop the containers (the data stays in the pgdata volume)
	docker compose --profile sim down

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check .

fmt:
	.venv/bin/ruff format . && .venv/bin/ruff check --fix .

typecheck:
	.venv/bin/mypy

bench:      ## every benchmark; results go to docs/BENCHMARKS.md by hand with machine and date
	scripts/bench.sh $(ARGS)

sim:        ## the local Kalshi exchange alone on :8765
	.venv/bin/python -m kalshi_sim --port 8765

import: migrate  ## load Kalshi dumps (CSV/Parquet of markets, trades, candles): make import ARGS="path/to/kalshi"
	DATABASE_URL=$$(scripts/ensure-postgres.sh) .venv/bin/python -m kalshi_core.imports $(ARGS)
