"""kalshi_pipeline package."""
