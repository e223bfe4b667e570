#!/usr/bin/env bash
# Installs packages, builds schemagate with its tests and runs them all.
# Tests start their own PostgreSQL (a CTest fixture); nothing needs to run.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
bash scripts/build.sh -DSCHEMAGATE_BUILD_TESTS=ON "$@"
cd build
ctest --output-on-failure -j"${JOBS:-$(nproc)}" --timeout 900
