#!/usr/bin/env bash
# The whole test suite under sanitizers, in its own clang build directory
# (docs/RELIABILITY.md, "Sanitizers").
#
#   scripts/sanitize.sh asan [ctest args...]   AddressSanitizer + UndefinedBehaviorSanitizer
#                                              (+ LeakSanitizer) in build-asan/; CI runs this.
#                                              The build also makes the libFuzzer targets
#                                              and runs each for FUZZ_SECONDS (default 30).
#   scripts/sanitize.sh tsan [ctest args...]   ThreadSanitizer in build-tsan/ (not in CI:
#                                              see docs/RELIABILITY.md for why).
#
# Every process the tests start inherits the sanitizer options; their output
# lands in the suite log, which `sanitizer_reports` scans at the end, so an
# error in a server the test only stopped still fails the run.
# Environment: JOBS (build and test jobs, default nproc).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
kind=${1:-}
[[ $kind == asan || $kind == tsan ]] || { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
shift
jobs=${JOBS:-$(nproc)}
build="$root/build-$kind"

common=(
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++
  -DCMAKE_BUILD_TYPE=RelWithDebInfo
  "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only"
  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only"
  -DSCHEMAGATE_BUILD_TESTS=ON
  # clang's warnings on the project's own code are errors too (CMakeLists.txt)
  -DSCHEMAGATE_WERROR=ON
)
if [[ $kind == asan ]]; then
  # fuzzer-no-link: coverage for the libFuzzer targets built in the same tree.
  flags=("${common[@]}" -DSCHEMAGATE_SANITIZE=address,undefined
         -DCMAKE_C_FLAGS=-fsanitize=fuzzer-no-link -DCMAKE_CXX_FLAGS=-fsanitize=fuzzer-no-link
         -DSCHEMAGATE_FUZZ_ENGINE=ON "-DSCHEMAGATE_FUZZ_SECONDS=${FUZZ_SECONDS:-30}")
  export ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1:halt_on_error=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  export LSAN_OPTIONS=suppressions=$root/tests/sanitizers/lsan.supp:print_suppressions=0
else
  flags=("${common[@]}" -DSCHEMAGATE_SANITIZE=thread)
  export TSAN_OPTIONS=halt_on_error=0:second_deadlock_stack=1:suppressions=$root/tests/sanitizers/tsan.supp
fi

mkdir -p "$build"
cmake -S "$root" -B "$build" "${flags[@]}" >"$build/configure.log" 2>&1 ||
  { cat "$build/configure.log" >&2; exit 1; }
cmake --build "$build" -j"$jobs"
cd "$build"
ctest --output-on-failure -j"$jobs" --timeout 1800 "$@"
