# One image for every Python part (Dagster code server, webserver, daemon, API, simulator).
# Not built on the development machines (Docker Hub is unreachable there): see docs/ARCHITECTURE.md.
FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy \
    DAGSTER_HOME=/opt/dagster/home VIRTUAL_ENV=/app/.venv PATH=/app/.venv/bin:$PATH
WORKDIR /app
RUN pip install --no-cache-dir uv==0.13.8
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY kalshi_core kalshi_core
COPY kalshi_pipeline kalshi_pipeline
COPY kalshi_api kalshi_api
COPY kalshi_sim kalshi_sim
COPY workspace.yaml ./
RUN uv sync --frozen --no-dev
COPY dagster.yaml /opt/dagster/home/dagster.yaml
