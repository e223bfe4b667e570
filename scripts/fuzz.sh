#!/usr/bin/env bash
# libFuzzer targets (tests/fuzz, docs/FUZZING.md), built with clang, ASan and
# UBSan in build-fuzz/.
#   scripts/fuzz.sh build                  configure and build every target
#   scripts/fuzz.sh run <target> <seconds> fuzz one target from its seeds
#   scripts/fuzz.sh all <seconds>          fuzz every target in turn
#   scripts/fuzz.sh campaign <runs> [target...]
#                                          fuzz each target (default: all) for
#                                          <runs> executions, under nice -n 19,
#                                          and print a table: executions, time,
#                                          exec/s, corpus (docs/FUZZING.md)
#   scripts/fuzz.sh list                   the targets
# `run` copies tests/fuzz/corpus/<target> and regressions/<target> into
# build-fuzz/corpus/<target> (kept between runs; the repository is never
# written) and stops at the first crash, leak or timeout, whose input is left
# in build-fuzz/artifacts/<target>/. Exit status: 0 when every run was clean.
# Environment: FUZZ_BUILD_DIR (default build-fuzz), JOBS (build jobs,
# default 2), FUZZ_FLAGS (extra libFuzzer flags, e.g. "-jobs=2").
# `run` with FUZZ_RUNS=<n>: stop after n executions instead of the seconds.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
jobs=${JOBS:-2}
targets=(manifest directives query rpc)

# Per-target libFuzzer settings: the longest input, and the seconds one
# input may take before it counts as a hang.
max_len() {
  case $1 in
    query) echo 16384 ;;
    rpc) echo 32768 ;;  # ValidateQuery moves SQL over 16 KiB to the workers
    *) echo 4096 ;;
  esac
}

usage() {
  sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

is_target() {
  local t
  for t in "${targets[@]}"; do [[ $t == "$1" ]] && return 0; done
  return 1
}

build_targets() {
  mkdir -p "$build"
  # One build at a time in this directory (ctest and a developer may race).
  exec 9>"$build/.lock"
  flock 9
  # Only tests/fuzz's targets and the libraries they link are built.
  cmake -S "$root" -B "$build" \
    -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only" \
    "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only" \
    -DCMAKE_C_FLAGS=-fsanitize=fuzzer-no-link \
    -DCMAKE_CXX_FLAGS=-fsanitize=fuzzer-no-link \
    -DSCHEMAGATE_SANITIZE=address,undefined \
    -DSCHEMAGATE_TEST_VARIANTS=OFF \
    -DSCHEMAGATE_FUZZ_ENGINE=ON \
    -DSCHEMAGATE_FUZZ_IN_CTEST=OFF >"$build/configure.log" ||
    { cat "$build/configure.log" >&2; exit 1; }
  cmake --build "$build" --target fuzz_targets -j"$jobs"
  exec 9>&-
  echo "fuzz targets: $build/fuzz/fuzz_{$(IFS=,; echo "${targets[*]}")}"
}

run_target() {
  local target=$1 seconds=$2
  is_target "$target" || { echo "unknown target '$target' (targets: ${targets[*]})" >&2; exit 2; }
  [[ $seconds =~ ^[0-9]+$ ]] || usage
  local bin="$build/fuzz/fuzz_$target"
  [[ -x $bin ]] || { echo "$bin is missing: run scripts/fuzz.sh build" >&2; exit 2; }
  local corpus="$build/corpus/$target" artifacts="$build/artifacts/$target"
  local log="$build/logs/$target.log"
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
  local src
  for src in "$root/tests/fuzz/corpus/$target" "$root/tests/fuzz/regressions/$target"; do
    [[ -d $src ]] && cp -r "$src/." "$corpus/"
  done
  local dict="$root/tests/fuzz/dict/$target.dict" flags=()
  [[ -f $dict ]] && flags+=("-dict=$dict")
  local limit=(-max_total_time="$seconds")
  if [[ -n ${FUZZ_RUNS:-} ]]; then
    limit=(-runs="$FUZZ_RUNS")
    echo "fuzzing $target for $FUZZ_RUNS executions (corpus $corpus)"
  else
    echo "fuzzing $target for ${seconds}s (corpus $corpus)"
  fi
  local rc=0 t0=$SECONDS
  ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:symbolize=1} \
  UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    "$bin" "$corpus" "${limit[@]}" -timeout=25 -rss_limit_mb=4096 \
      -max_len="$(max_len "$target")" -print_final_stats=1 \
      -artifact_prefix="$artifacts/" "${flags[@]}" ${FUZZ_FLAGS:-} >"$log" 2>&1 || rc=$?
  local execs units
  execs=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
  units=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
  FUZZ_LAST="| $target | ${units:-?} | $((SECONDS - t0)) | ${execs:-?} | $(find "$corpus" -type f | wc -l) |"
  if [[ $rc -ne 0 ]]; then
    tail -n 60 "$log" >&2
    echo "FAILED: $target (exit $rc); log: $log" >&2
    local a
    for a in $(grep -o "Test unit written to [^ ]*" "$log" | sed 's/Test unit written to //'); do
      echo "  input: $a" >&2
      echo "  reproduce: $bin $a" >&2
      echo "  keep it: cp $a $root/tests/fuzz/regressions/$target/  (after fixing the bug)" >&2
    done
    return 1
  fi
  echo "$FUZZ_LAST"
  echo "ok: $target, ${units:-?} executions in $((SECONDS - t0)) s, ${execs:-?} exec/s, corpus $(find "$corpus" -type f | wc -l) inputs"
}

case ${1:-} in
  build) build_targets ;;
  run) [[ $# -eq 3 ]] || usage; run_target "$2" "$3" ;;
  all)
    [[ $# -eq 2 ]] || usage
    failed=()
    for t in "${targets[@]}"; do run_target "$t" "$2" || failed+=("$t"); done
    if [[ ${#failed[@]} -gt 0 ]]; then
      echo "failed: ${failed[*]}" >&2
      exit 1
    fi
    ;;
  campaign)
    [[ $# -ge 2 && $2 =~ ^[0-9]+$ ]] || usage
    runs=$2
    shift 2
    chosen=("$@")
    [[ ${#chosen[@]} -gt 0 ]] || chosen=("${targets[@]}")
    mkdir -p "$build/logs"
    table=("| target | executions | seconds | exec/s | corpus |" "|---|---|---|---|---|")
    failed=()
    for t in "${chosen[@]}"; do
      if FUZZ_RUNS=$runs nice -n 19 bash "$0" run "$t" 0 >"$build/logs/campaign-$t.out" 2>&1; then
        table+=("$(grep -o '^| .*' "$build/logs/campaign-$t.out" | tail -1)")
      else
        failed+=("$t")
        table+=("| $t | FAILED (see $build/logs/$t.log) | | | |")
      fi
      cat "$build/logs/campaign-$t.out"
    done
    printf '%s\n' "${table[@]}"
    [[ ${#failed[@]} -eq 0 ]] || { echo "failed: ${failed[*]}" >&2; exit 1; }
    ;;
  list) printf '%s\n' "${targets[@]}" ;;
  *) usage ;;
esac
