#!/usr/bin/env bash
# What building the embedded catalog costs: the build-time generator (parse,
# lint, catalog) and the compile of its output, as the build runs them
# (cmake/SchemagateEmbed.cmake: same compiler and flags), for each tree;
# with SCHEMAGATE_GEN_BEFORE (another schemagate-gen, e.g. of the commit
# before a change) the same steps with it, alternating in each run.
#
#   scripts/bench/embed.sh RUNS TREE_DIR...     (after scripts/build.sh)
source "$(dirname "$0")/common.sh"
runs=${1:-3}
shift
gen=$ROOT/build/bin/schemagate-gen
before=${SCHEMAGATE_GEN_BEFORE:-}
cxx=$(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' "$ROOT/build/CMakeCache.txt")
flags=(-O3 -DNDEBUG -std=gnu++17 -I"$ROOT")
S=embed
work=$(mktemp -d)
bench_on_exit "rm -rf '$work'"
one() {  # GENERATOR TREE NAME
  rm -f "$work/$3".*
  "$1" --tree="$2" --features=all --out="$work/$3.cc" --out-binary="$work/$3.binpb" \
    --dev-database=off --lint=warn >/dev/null 2>&1 || return 1
  nice -n 0 "$cxx" "${flags[@]}" -c "$work/$3.cc" -o "$work/$3.o"
}
for tree in "$@"; do
  label=$(basename "$tree")
  [[ -n $before ]] && order $S "$label" "before: generator + compile"
  order $S "$label" "generator + compile"
  order $S "$label" "generator alone"
  for i in $(seq "$runs"); do
    if [[ -n $before ]]; then
      timed one "$before" "$tree" old
      sample $S "$label" "before: generator + compile" "$ELAPSED_MS"
    fi
    timed one "$gen" "$tree" new
    sample $S "$label" "generator + compile" "$ELAPSED_MS" "$([[ -n $before ]] && echo "before: generator + compile")"
    # The generator alone: what is left once the compile costs nothing.
    timed "$gen" --tree="$tree" --features=all --out-binary="$work/gen.binpb" \
      --dev-database=off --lint=warn >/dev/null 2>&1
    sample $S "$label" "generator alone" "$ELAPSED_MS"
  done
  note $S "- $label: catalog $(stat -c %s "$work/new.binpb") bytes; object $(stat -c %s "$work/new.o") bytes$([[ -n $before ]] && echo "; before: source $(stat -c %s "$work/old.cc") bytes")"
done
if [[ $BENCH_STANDALONE == 1 ]]; then
  $STATS table "$BENCH_SAMPLES" $S
fi
