#!/usr/bin/env bash
# Configures and builds schemagate into build/ (binaries in build/bin/).
#   scripts/build.sh [extra cmake -D options...]
# Features: -DSCHEMAGATE_FEATURES=tasks,mail (default: all; core = minimal).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${JOBS:-$(nproc)}
cmake -S . -B build -DCMAKE_BUILD_TYPE=${BUILD_TYPE:-Release} "$@"
cmake --build build -j"$jobs"
