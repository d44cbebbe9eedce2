"""One APIRouter per resource; `kalshi_api.main` includes them all."""
