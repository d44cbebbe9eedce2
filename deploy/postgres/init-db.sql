-- Dagster keeps its runs, event logs and schedules in a database of its own beside the
-- workbench's (POSTGRES_DB, the migrate service fills it).
CREATE DATABASE kalshi_dagster;
