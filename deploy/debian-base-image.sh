#!/bin/sh
# A local base image for the Dockerfile, built from Debian's packages when no image registry is
# reachable: debootstrap a minimal Debian with Python, then `docker import` it.
#
#   deploy/debian-base-image.sh [TAG]          # default kb-base:bookworm
#   docker build --build-arg BASE_IMAGE=kb-base:bookworm -t treatment-kb .
#
# SUITE and MIRROR choose the release and the mirror (default: bookworm from the mirror this
# machine's apt uses). Needs root, debootstrap and a running Docker daemon.
set -eu
TAG=${1:-kb-base:bookworm}
SUITE=${SUITE:-bookworm}
if [ -z "${MIRROR:-}" ]; then
    MIRROR=$(cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null |
        awk '($1 == "URIs:" || $1 == "deb") && $2 ~ /\/debian\/?$/ { print $2; exit }')
fi
MIRROR=${MIRROR:-http://deb.debian.org/debian}
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT INT TERM
debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
    "$SUITE" "$root" "$MIRROR"
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/tmp/*
tar -C "$root" -c . | docker import \
    --change 'ENV LANG=C.UTF-8 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["python3"]' \
    - "$TAG"
