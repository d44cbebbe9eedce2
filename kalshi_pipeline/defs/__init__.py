"""Dagster definitions, autoloaded by `kalshi_pipeline.definitions` (one module per concern)."""
