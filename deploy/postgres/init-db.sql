-- docker-compose: Dagster keeps its runs and event logs in a database of its own.
CREATE DATABASE kalshi_dagster;
