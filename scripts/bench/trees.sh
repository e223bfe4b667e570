#!/usr/bin/env bash
# Generated trees for the benchmarks and a schemagate binary for each.
#
#   scripts/bench/trees.sh [N_MIGRATIONS ...]     (default: 100 1000 5000)
#
# For each N: scripts/bench/gen_tree.py N $BENCH_CLUSTERS (default 50)
# build/bench/trees/tree-N, then the `schemagate` target built with
# -DSCHEMAGATE_MIGRATIONS_DIR=<tree> (tests and test variants off) and copied
# to build/bench/trees/tree-N.schemagate, with its catalog.binpb beside it.
# schemagate embeds its tree at build time, so each tree needs a build; one
# build directory (build/bench/build) is reconfigured per tree, so only the
# build-time generator (lint, catalog), the embedded catalog's compile and the
# link run again: that cost is measured, beside the same steps for the
# bundled tree (the reference), once each.
source "$(dirname "$0")/common.sh"
sizes=("$@")
[[ ${#sizes[@]} -gt 0 ]] || sizes=(100 1000 5000)
clusters=${BENCH_CLUSTERS:-50}
bdir=$BENCH_DIR/build
trees=$BENCH_DIR/trees
mkdir -p "$trees"

configure() { tree_configure "$1"; }
build() { tree_build; }

# Everything but the embedded catalog, built once (not measured).
first=$trees/tree-${sizes[0]}
[[ -d $first ]] || python3 scripts/bench/gen_tree.py "${sizes[0]}" "$clusters" "$first" >/dev/null
configure "$first"
build

S=build
REF="bundled"
for label in bundled "${sizes[@]/#/tree-}"; do
  order $S "" "$label"
done
for label in bundled "${sizes[@]/#/tree-}"; do
  if [[ $label == bundled ]]; then
    dir=$ROOT/migrations
  else
    dir=$trees/$label
    n=${label#tree-}
    python3 scripts/bench/gen_tree.py "$n" "$clusters" "$dir" >/dev/null
  fi
  timed configure "$dir"
  cfg=$ELAPSED_MS
  timed build
  total=$(python3 -c "print(round($cfg + $ELAPSED_MS, 1))")
  sample $S "" "$label" "$total" "$([[ $label == "$REF" ]] || echo "$REF")"
  cp "$bdir/bin/schemagate" "$trees/$label.schemagate"
  cp "$bdir/generated/default/catalog.binpb" "$trees/$label.catalog.binpb"
  echo "$label: configure + build of the schemagate target ${total} ms" >&2
done
note $S "- reconfigure with the tree and rebuild the \`schemagate\` target (ms): build-time generator (parse, lint, catalog), compile of the embedded catalog, link; 1 run each"

if [[ $BENCH_STANDALONE == 1 ]]; then
  $STATS table "$BENCH_SAMPLES" $S
fi
