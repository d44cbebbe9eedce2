"""Snapshot ingestion: poll-window runs requested by a sensor, checks next to the data."""
