"""History backfill tests."""
