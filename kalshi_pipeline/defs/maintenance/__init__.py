"""Maintenance of stored data: finished snapshot days rewritten for fast history reads."""
