#!/usr/bin/env bash
# Make sure a PostgreSQL server answers for the workbench, and print the DATABASE_URL to use.
#
# Order (each step only when the previous one did not give a server):
#   1. DATABASE_URL (env or .env) answers            -> use it (create its database if missing)
#   2. the machine's own cluster can be started        -> start it (Debian pg_ctlcluster / service)
#   3. PostgreSQL binaries absent and we are root      -> apt-get install postgresql, then 2.
#   4. a private cluster under .data/postgres (port 54329) created with the installed binaries
# The chosen URL is written to .data/db.env so later commands (make dev, make test) reuse it.
# Progress goes to stderr; stdout carries only the final URL.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
DATA="$ROOT/.data"
mkdir -p "$DATA"
log() { printf '[postgres] %s\n' "$*" >&2; }

url_from_env() {
  if [ -n "${DATABASE_URL:-}" ]; then echo "$DATABASE_URL"; return; fi
  if [ -f .env ] && grep -qE '^DATABASE_URL=' .env; then grep -E '^DATABASE_URL=' .env | tail -1 | cut -d= -f2-; return; fi
  echo "postgresql://postgres@127.0.0.1:5432/kalshi"
}

PY=python3
[ -x "$ROOT/.venv/bin/python" ] && PY="$ROOT/.venv/bin/python"

# Splits a postgresql:// URL into "host port user dbname" using Python's URL parser (no psql needed).
parse_url() {
  "$PY" - "$1" <<'PYEOF'
import sys
from urllib.parse import urlsplit
u = urlsplit(sys.argv[1])
print(u.hostname or "127.0.0.1", u.port or 5432, u.username or "postgres", (u.path or "/kalshi").lstrip("/") or "kalshi")
PYEOF
}

pg_bin() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
  if [ -n "$d" ]; then echo "$d"; return; fi
  command -v initdb >/dev/null 2>&1 && dirname "$(command -v initdb)" && return
  echo ""
}

answers() { # host port user
  local bin; bin=$(pg_bin)
  if [ -n "$bin" ] && [ -x "$bin/pg_isready" ]; then
    "$bin/pg_isready" -q -h "$1" -p "$2" -U "$3" -t 2 && return 0 || return 1
  fi
  "$PY" -c "import socket,sys; s=socket.create_connection(('$1',$2),2); s.close()" 2>/dev/null
}

ensure_database() { # url
  "$PY" - "$1" <<'PYEOF'
import sys
from urllib.parse import urlsplit, urlunsplit
import psycopg2
from psycopg2 import sql
u = urlsplit(sys.argv[1])
name = (u.path or "/kalshi").lstrip("/") or "kalshi"
admin = urlunsplit((u.scheme.split("+")[0], u.netloc, "/postgres", u.query, ""))
conn = psycopg2.connect(admin)
conn.autocommit = True
with conn.cursor() as cur:
    cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
    if cur.fetchone() is None:
        cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        print(f"[postgres] created database {name}", file=sys.stderr)
conn.close()
PYEOF
}

finish() { # url
  local url=$1 extra
  if [ -x "$ROOT/.venv/bin/python" ]; then
    ensure_database "$url"
    # EXTRA_DATABASES="a b": more databases on the same server (e.g. Dagster's own storage)
    for extra in ${EXTRA_DATABASES:-}; do ensure_database "${url%/*}/$extra"; done
  fi
  printf 'DATABASE_URL=%s\n' "$url" > "$DATA/db.env"
  echo "$url"
  exit 0
}

URL=$(url_from_env)
read -r HOST PORT USER_ DBNAME < <(parse_url "$URL")
if answers "$HOST" "$PORT" "$USER_"; then log "using $HOST:$PORT"; finish "$URL"; fi

# 2. the machine's own cluster
if [ "$HOST" = "127.0.0.1" ] || [ "$HOST" = "localhost" ]; then
  if command -v pg_lsclusters >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    while read -r ver name port status _; do
      [ "$port" = "$PORT" ] || continue
      log "starting the machine's cluster $ver/$name on port $port"
      pg_ctlcluster "$ver" "$name" start >&2 || true
    done < <(pg_lsclusters -h 2>/dev/null || true)
    for _ in $(seq 1 20); do answers "$HOST" "$PORT" "$USER_" && finish "$URL"; sleep 0.5; done
  fi
fi

# 3. install Debian's PostgreSQL when there are no binaries at all
if [ -z "$(pg_bin)" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing Debian's postgresql package"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    # the package creates and starts a cluster on 5432 when it can
    if answers 127.0.0.1 5432 postgres; then
      finish "postgresql://postgres@127.0.0.1:5432/${DBNAME}"
    fi
  else
    log "no PostgreSQL binaries found; install PostgreSQL (e.g. apt-get install postgresql) or set DATABASE_URL"
    exit 1
  fi
fi

# 4. a private cluster owned by this project
BIN=$(pg_bin)
PGDIR="$DATA/postgres"
PPORT=${KALSHI_PRIVATE_PG_PORT:-54329}
PURL="postgresql://postgres@127.0.0.1:${PPORT}/${DBNAME}"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
  useradd --system --home-dir "$PGDIR" --shell /usr/sbin/nologin postgres
fi
if answers 127.0.0.1 "$PPORT" postgres; then finish "$PURL"; fi
if [ ! -f "$PGDIR/data/PG_VERSION" ]; then
  log "creating a private cluster in $PGDIR"
  mkdir -p "$PGDIR"
  [ "$(id -u)" = 0 ] && chown postgres: "$PGDIR"
  as_pg "$BIN/initdb" -D "$PGDIR/data" -U postgres -A trust --no-sync -E UTF8 >&2
fi
log "starting the private cluster on 127.0.0.1:$PPORT"
as_pg "$BIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $PPORT -k $PGDIR" start >&2
finish "$PURL"
