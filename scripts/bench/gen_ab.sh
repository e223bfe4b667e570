#!/usr/bin/env bash
# The build-time generator, two binaries side by side on one tree:
# `schemagate-gen --tree=TREE --features=all --check --dev-database=off`
# (parse, facts, the replay with the gating rule, the lock lint, the
# catalog) of REF_GEN and NEW_GEN, RUNS times each, interleaved (ref, new,
# ref, new, ...) so that both see the same machine.
#
#   scripts/bench/gen_ab.sh REF_GEN NEW_GEN TREE [RUNS]      (RUNS: 3)
#
# e.g. REF_GEN a copy of build/bin/schemagate-gen built before a change,
# TREE from `python3 scripts/bench/gen_tree.py 5000 50 /tmp/t5000`.
source "$(dirname "$0")/common.sh"
ref=$1 new=$2 tree=$3 runs=${4:-3}
S=generator_ab
set_unit $S ms
order $S check ref
order $S check new
for ((i = 0; i < runs; i++)); do
  timed "$ref" --tree="$tree" --features=all --check --dev-database=off >/dev/null 2>&1
  sample $S check ref "$ELAPSED_MS"
  timed "$new" --tree="$tree" --features=all --check --dev-database=off >/dev/null 2>&1
  sample $S check new "$ELAPSED_MS" ref
done
note $S "schemagate-gen --check of $(basename "$tree") (ms), $runs runs each, interleaved"
$STATS table "$BENCH_SAMPLES" $S --title "generator: ref vs new"
