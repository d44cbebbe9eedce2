#!/usr/bin/env bash
# Make a local Debian 12 (bookworm) base image with Python 3.11, for machines that cannot pull
# from Docker Hub: it stands in for `python:3.11-slim-bookworm` (Dockerfile BASE_IMAGE) and
# `debian:bookworm-slim` (deploy/postgres/Dockerfile). Built with debootstrap from the Debian
# mirror this machine's apt already uses (DEBIAN_MIRROR overrides); ~30 s, ~250 MB.
#   scripts/make-base-image.sh [IMAGE_NAME]     (default kalshi-base:bookworm)
# Does nothing when the image exists (REBUILD=1 forces a new one). Needs root and debootstrap.
set -euo pipefail
NAME=${1:-kalshi-base:bookworm}
log() { printf '[base-image] %s\n' "$*" >&2; }

if [ "${REBUILD:-0}" != 1 ] && docker image inspect "$NAME" >/dev/null 2>&1; then
  log "$NAME exists"
  exit 0
fi

# The first Debian archive URI named in apt's sources (deb822 .sources or one-line .list files),
# skipping the security archive and third-party repositories.
mirror_from_apt() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    grep -hoE '^(deb[[:space:]]+(\[[^]]*\][[:space:]]+)?|URIs:[[:space:]]*)[a-z]+://[^[:space:]]+' "$f" \
      | grep -oE '[a-z]+://[^[:space:]]+' | grep -E '/debian/?$' || true
  done | head -1
}
MIRROR=${DEBIAN_MIRROR:-$(mirror_from_apt)}
if [ -z "$MIRROR" ]; then
  log "no Debian mirror found in /etc/apt/sources.list*; set DEBIAN_MIRROR"
  exit 1
fi
command -v debootstrap >/dev/null 2>&1 || {
  log "debootstrap missing (apt-get install debootstrap)"
  exit 1
}

ROOTFS=$(mktemp -d /tmp/kalshi-rootfs.XXXXXX)
trap 'rm -rf "$ROOTFS"' EXIT
log "debootstrap bookworm from $MIRROR"
# python3-venv brings ensurepip (the Dockerfile installs uv into a venv); ca-certificates for
# HTTPS to the package registries.
debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
  bookworm "$ROOTFS" "$MIRROR" >"$ROOTFS.log" 2>&1 || {
  tail -20 "$ROOTFS.log" >&2
  exit 1
}
rm -f "$ROOTFS.log"
# like the official slim images: no apt lists, no caches
rm -rf "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/cache/apt/*.bin "$ROOTFS"/var/cache/apt/archives/*.deb
tar -C "$ROOTFS" -c . | docker import \
  --change 'ENV LANG=C.UTF-8 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["/bin/bash"]' - "$NAME" >/dev/null
log "made $NAME"
