"""Dump imports: Kalshi files a user already has, into the history tables."""
