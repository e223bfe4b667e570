#!/usr/bin/env bash
# Planning and catalog scaling over trees of growing size.
#   1. `schemagate plan` (whole process, connect included) against an empty
#      database (everything pending) and an up-to-date one, next to
#      `psql -c 'SELECT 1'` (connect + one query) in the same run;
#   2. in process (Google Benchmark, tests/bench/join_bench.cc): loading the
#      embedded catalog (Catalog::Load) next to protobuf's parse of the same
#      bytes (the limit), and the join graph build that `serve` adds.
#
#   scripts/bench/plan.sh [RUNS] LABEL=SCHEMAGATE_BIN ...
#   e.g. scripts/bench/plan.sh 9 bundled=build/bin/schemagate \
#          tree-1000=build/bench/trees/tree-1000.schemagate
#
# A binary's catalog.binpb is read from beside it (LABEL.catalog.binpb, as
# scripts/bench/trees.sh leaves it) or, for build/bin/schemagate, from
# build/generated/default/. Default: the bundled tree and every tree that
# scripts/bench/trees.sh built.
source "$(dirname "$0")/common.sh"
runs=${1:-9}
shift || true
specs=("$@")
if [[ ${#specs[@]} -eq 0 ]]; then
  specs=(bundled=build/bin/schemagate)
  for b in $(ls "$BENCH_DIR"/trees/tree-*.schemagate 2>/dev/null | sort -V); do
    l=$(basename "$b" .schemagate); specs+=("$l=$b")
  done
fi
bench_pg_start
bench_build join_bench

S=plan
SELECT1="psql -c 'SELECT 1' (limit)"
catalogs=()
for spec in "${specs[@]}"; do
  label=${spec%%=*}; bin=${spec#*=}
  db=$(echo "$label" | tr -c 'a-z0-9\n' '_')
  binpb=${bin%.schemagate}.catalog.binpb
  [[ $bin == build/bin/schemagate ]] && binpb=build/generated/default/catalog.binpb
  catalogs+=("$label=$binpb")
  migrations=$("$bin" catalog --compact | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["apply_order"]))')
  fresh_db "p_${db}_empty"
  # Up to date: the apply benchmark's database if there is one, else a new one.
  if ! psql -X -At -d "$PG_BASE/b_${db}_sg" -c 'SELECT 1' >/dev/null 2>&1; then
    fresh_db "b_${db}_sg"
    DATABASE_URL="$PG_BASE/b_${db}_sg" "$bin" migrate --log-level=warning
  fi
  group="$label ($migrations migrations)"
  for n in "$SELECT1" "plan, empty database (all pending)" "plan, up to date"; do order $S "$group" "$n"; done
  for i in $(seq "$runs"); do
    timed psql -X -q -At -d "$PG_BASE/p_${db}_empty" -c 'SELECT 1' >/dev/null
    sample $S "$group" "$SELECT1" "$ELAPSED_MS"
    timed env DATABASE_URL="$PG_BASE/p_${db}_empty" "$bin" plan --log-level=warning >/dev/null
    sample $S "$group" "plan, empty database (all pending)" "$ELAPSED_MS" "$SELECT1"
    timed env DATABASE_URL="$PG_BASE/b_${db}_sg" "$bin" plan --log-level=warning >/dev/null
    sample $S "$group" "plan, up to date" "$ELAPSED_MS" "$SELECT1"
  done
done

out=$(mktemp)
SCHEMAGATE_BENCH_CATALOGS=$(IFS=,; echo "${catalogs[*]}") build/bench/join_bench \
  --benchmark_filter='BM_(Limit_ParseProto|LoadCatalog|BuildGraphOf)/' \
  --benchmark_repetitions="$runs" --benchmark_min_time=0.2 --benchmark_format=json >"$out" 2>/dev/null
$STATS gbench "$out" catalog 'BM_Limit_ParseProto/.*' 'BM_LoadCatalog/.*=BM_Limit_ParseProto' \
  'BM_BuildGraphOf/.*' >>"$BENCH_SAMPLES"
rm -f "$out"

# The curve: the marginal cost per migration between consecutive sizes
# (difference of medians / difference of migrations); constant or falling
# means linear growth.
python3 scripts/bench/curve.py "$BENCH_SAMPLES" >>"$BENCH_SAMPLES"

if [[ $BENCH_STANDALONE == 1 ]]; then
  echo "Plan, whole process incl. connect (ms)"; echo
  $STATS table "$BENCH_SAMPLES" plan; echo
  echo "Catalog load in process (us)"; echo
  $STATS table "$BENCH_SAMPLES" catalog
fi
