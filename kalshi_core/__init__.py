"""kalshi_core package."""
