#!/usr/bin/env bash
# Join validation and query checks (Google Benchmark, tests/bench/join_bench.cc):
# each case next to its reference from the same run, min / median / max over
# repetitions, as a ratio of medians (microseconds). Query checks at three
# sizes: BM_Query/N is N statements of ~300 chars each (1, 10, 100).
#   scripts/bench/join.sh [REPETITIONS]     (after scripts/build.sh)
source "$(dirname "$0")/common.sh"
reps=${1:-9}
bench_build join_bench schemagate_variant_full
out=$(mktemp)
SCHEMAGATE_CATALOG_FULL=build/generated/full/catalog.binpb build/bench/join_bench \
  --benchmark_filter='/(bundled|generated5000)' \
  --benchmark_repetitions="$reps" --benchmark_min_time=0.2 \
  --benchmark_format=json >"$out" 2>/dev/null
$STATS gbench "$out" join 'BM_Limit_TwoLookups/.*' 'BM_DirectPair/.*=BM_Limit_TwoLookups' \
  'BM_Tree.*' 'BM_Limit_ParseOnly/.*' \
  'BM_Limit_ParseProtobuf/.*/1=BM_Limit_ParseOnly/1' 'BM_Query/.*/1=BM_Limit_ParseOnly/1|BM_Limit_ParseProtobuf/1' \
  'BM_Limit_ParseProtobuf/.*/10=BM_Limit_ParseOnly/10' 'BM_Query/.*/10=BM_Limit_ParseOnly/10|BM_Limit_ParseProtobuf/10' \
  'BM_Limit_ParseProtobuf/.*/100=BM_Limit_ParseOnly/100' 'BM_Query/.*/100=BM_Limit_ParseOnly/100|BM_Limit_ParseProtobuf/100' \
  'BM_BuildGraph/.*' >>"$BENCH_SAMPLES"
rm -f "$out"
if [[ $BENCH_STANDALONE == 1 ]]; then
  $STATS table "$BENCH_SAMPLES" join
fi
