"""kalshi_sim package."""
