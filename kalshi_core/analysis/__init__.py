"""Analyses over the stored data (calibration of trade prices, ...), usable from notebooks.

Each analysis is a pure function over plain rows plus a repository read of its inputs; Dagster
assets and the API only store and show what these compute.
"""
