#!/usr/bin/env bash
# Installs packages, checks the formatting (scripts/format.sh --check), builds
# schemagate with its tests and runs them (all but the opt-in label
# image-source), then
# runs the whole suite again under AddressSanitizer + UndefinedBehaviorSanitizer
# with 30 s of fuzzing per libFuzzer target (scripts/sanitize.sh asan;
# SCHEMAGATE_SKIP_SANITIZERS=1 skips that part). Tests start their own
# PostgreSQL (a CTest fixture); nothing needs to run.
#
# Every CTest label runs in both suites, `ha` included: the highly
# available PostgreSQL tests (a Patroni cluster started by
# scripts/patroni.sh; switchover and failover under migrate and serve) take
# about 100-170 s in the gcc suite and ~3 min under ASan, alone (RUN_SERIAL),
# against a CI budget of ~45 min of which the rest uses ~25; and they are
# the only tests of the engine's reconnection through a real failover, so
# they run under the sanitizers too. `ctest -LE ha` leaves them out by hand.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
# Every C++ source clang-formatted (.clang-format); fails before building.
bash scripts/format.sh --check
# Warnings in the project's own code fail the build (-Wall -Wextra -Wpedantic,
# CMakeLists.txt); sanitize.sh does the same with clang.
bash scripts/build.sh -DSCHEMAGATE_BUILD_TESTS=ON -DSCHEMAGATE_WERROR=ON "$@"
# Every label but the opt-in "image-source" (the whole Dockerfile compiled
# from source: 20-40 minutes); README.md, "Tests and their labels".
(cd build && ctest --output-on-failure -j"${JOBS:-$(nproc)}" --timeout 900 -LE '^image-source$')
if [[ ${SCHEMAGATE_SKIP_SANITIZERS:-0} != 1 ]]; then
  bash scripts/sanitize.sh asan
fi
