#!/usr/bin/env bash
# Incremental rebuild after editing one migration: in the benchmarks' build
# directory (build/bench/build, configured for TREE by scripts/bench/trees.sh
# or tree_configure), a comment is appended to one up.sql and the
# `schemagate` target rebuilt; what ran is counted from the build's output
# (the generator, each compiled or assembled object, each link), next to a
# rebuild with nothing changed (the reference) in the same run. The edit is
# undone and the target rebuilt at the end.
#
#   scripts/bench/incremental.sh TREE_DIR [RUNS]   (default 3 runs)
source "$(dirname "$0")/common.sh"
tree=$(realpath "$1")
runs=${2:-3}
label=$(basename "$tree")
bdir=$BENCH_DIR/build
grep -q "SCHEMAGATE_MIGRATIONS_DIR:PATH=$tree\$" "$bdir/CMakeCache.txt" 2>/dev/null || tree_configure "$tree"
tree_build
up=$(find "$tree" -name up.sql | sort | sed -n '2p')
cp "$up" "$up.orig"
bench_on_exit "mv -f '$up.orig' '$up'; nice -n 10 cmake --build '$bdir' --target schemagate >/dev/null 2>&1"

S=incremental
NOTHING="rebuild, nothing changed"
EDITED="rebuild after editing one up.sql"
order $S "$label" "$NOTHING"
order $S "$label" "$EDITED"
log=$(mktemp)
for i in $(seq "$runs"); do
  timed nice -n 10 cmake --build "$bdir" --target schemagate >"$log" 2>&1
  sample $S "$label" "$NOTHING" "$ELAPSED_MS"
  printf '\n-- edited for the incremental build benchmark, run %s\n' "$i" >>"$up"
  timed nice -n 10 cmake --build "$bdir" --target schemagate >"$log" 2>&1
  sample $S "$label" "$EDITED" "$ELAPSED_MS" "$NOTHING"
  if [[ $i == 1 ]]; then
    built=$(grep -c "Building \(CXX\|C\|ASM\) object" "$log" || true)
    objects=$(grep -o "Building \(CXX\|C\|ASM\) object [^ ]*" "$log" | sed 's/.*object //' | tr '\n' ' ')
    gen=$(grep -c "schemagate-gen: catalog" "$log" || true)
    links=$(grep -c "Linking" "$log" || true)
    note $S "- $label, after editing $(realpath --relative-to="$tree" "$up"): generator runs $gen, objects rebuilt $built (${objects:-none}), links $links"
  fi
done
rm -f "$log"
if [[ $BENCH_STANDALONE == 1 ]]; then
  $STATS table "$BENCH_SAMPLES" $S
fi
