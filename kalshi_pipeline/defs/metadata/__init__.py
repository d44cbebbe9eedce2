"""Market metadata assets (series, events, markets), refreshed on a slower cadence than quotes."""
