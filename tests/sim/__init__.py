"""Tests of the local Kalshi exchange simulator (kalshi_sim)."""
