"""Reusable, Dagster-free logic of the code location (poll grid, rate budget, the tick loop)."""
