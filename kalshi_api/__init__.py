"""kalshi_api package."""
