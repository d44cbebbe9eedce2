#!/usr/bin/env bash
# First start: initdb with password authentication, create POSTGRES_DB, run the init scripts.
# Every start: exec postgres on POSTGRES_LISTEN:POSTGRES_PORT (extra arguments are passed on,
# e.g. `-c shared_buffers=512MB`).
set -euo pipefail
: "${POSTGRES_USER:=postgres}" "${POSTGRES_DB:=postgres}" "${POSTGRES_PORT:=5432}"
: "${POSTGRES_LISTEN:=*}"
log() { printf '[postgres-entrypoint] %s\n' "$*" >&2; }

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  : "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD for the superuser}"
  log "initialising $PGDATA"
  pwfile=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  initdb -D "$PGDATA" -U "$POSTGRES_USER" --pwfile="$pwfile" -E UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  rm -f "$pwfile"
  # clients from any address must give the password (the container's own socket is trusted)
  echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
  pg_ctl -D "$PGDATA" -w -o "-c listen_addresses='' -p $POSTGRES_PORT" start >/dev/null
  psql=(psql -v ON_ERROR_STOP=1 -q -p "$POSTGRES_PORT" -U "$POSTGRES_USER" -d postgres)
  if [ "$POSTGRES_DB" != postgres ]; then "${psql[@]}" -c "CREATE DATABASE \"$POSTGRES_DB\""; fi
  for f in /docker-entrypoint-initdb.d/*.sql; do
    [ -f "$f" ] || continue
    log "running $f"
    "${psql[@]}" -f "$f"
  done
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
fi
exec postgres -D "$PGDATA" -c listen_addresses="$POSTGRES_LISTEN" -p "$POSTGRES_PORT" "$@"
