#!/usr/bin/env bash
# Installs packages, builds schemagate with its tests and runs them (all but
# the opt-in label image-source), then
# runs the whole suite again under AddressSanitizer + UndefinedBehaviorSanitizer
# with 30 s of fuzzing per libFuzzer target (scripts/sanitize.sh asan;
# SCHEMAGATE_SKIP_SANITIZERS=1 skips that part). Tests start their own
# PostgreSQL (a CTest fixture); nothing needs to run.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
bash scripts/build.sh -DSCHEMAGATE_BUILD_TESTS=ON "$@"
# Every label but the opt-in "image-source" (the whole Dockerfile compiled
# from source: 20-40 minutes); README.md, "Tests and their labels".
(cd build && ctest --output-on-failure -j"${JOBS:-$(nproc)}" --timeout 900 -LE '^image-source$')
if [[ ${SCHEMAGATE_SKIP_SANITIZERS:-0} != 1 ]]; then
  bash scripts/sanitize.sh asan
fi
