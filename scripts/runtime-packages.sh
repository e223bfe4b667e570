#!/usr/bin/env bash
# Prints the Debian packages that hold the shared libraries the given
# binaries load (one per line), for the image's final stage.
#   scripts/runtime-packages.sh build/bin/schemagate build/bin/schemagate-server ...
set -euo pipefail
for bin in "$@"; do
  ldd "$bin" | awk '/=> \// { print $3 }'
done | sort -u | while read -r lib; do
  real=$(readlink -f "$lib")
  dpkg -S "$real" 2>/dev/null || dpkg -S "$lib" 2>/dev/null || true
done | cut -d: -f1 | sort -u
