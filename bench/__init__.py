"""Benchmarks, each runnable as `python -m bench.<name>`; numbers go to docs/BENCHMARKS.md."""
