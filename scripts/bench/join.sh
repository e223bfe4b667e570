#!/usr/bin/env bash
# Join validation and query checks (Google Benchmark, tests/bench/join_bench.cc):
# each case next to its reference from the same run, min / median / max over
# repetitions, as a ratio of medians.
#   scripts/bench/join.sh [REPETITIONS]     (after scripts/build.sh)
set -euo pipefail
cd "$(dirname "$0")/../.."
reps=${1:-9}
cmake --build build -j"$(nproc)" --target join_bench schemagate_variant_full >/dev/null
out=$(mktemp)
SCHEMAGATE_CATALOG_FULL=build/generated/full/catalog.binpb build/bench/join_bench \
  --benchmark_repetitions="$reps" --benchmark_min_time=0.2 \
  --benchmark_format=json >"$out" 2>/dev/null
python3 - "$out" <<'PY'
import json, statistics, sys, collections
runs = collections.defaultdict(list)
labels = {}
for b in json.load(open(sys.argv[1]))["benchmarks"]:
    if b.get("run_type") != "iteration":
        continue
    runs[b["run_name"]].append(b["real_time"] / 1000.0)  # ns -> us
    labels[b["run_name"]] = b.get("label", "")
def row(name, ref=None):
    xs = runs[name]
    line = f"| {name} | {min(xs):.2f} | {statistics.median(xs):.2f} | {max(xs):.2f} |"
    if ref:
        line += f" {statistics.median(xs) / statistics.median(runs[ref]):.1f}x |"
    else:
        line += " |"
    return line + (f" {labels[name]}" if labels.get(name) else "")
print("| benchmark (us) | min | median | max | ratio to reference |\n|---|---|---|---|---|")
for cat in ("bundled", "generated5000"):
    print(row(f"BM_Limit_TwoLookups/{cat}"))
    print(row(f"BM_DirectPair/{cat}", f"BM_Limit_TwoLookups/{cat}"))
    for name in sorted(runs):
        if name.startswith("BM_Tree") and cat in name:
            print(row(name))
    print(row(f"BM_Limit_ParseOnly/{cat}"))
    print(row(f"BM_Query/{cat}", f"BM_Limit_ParseOnly/{cat}"))
    print(row(f"BM_BuildGraph/{cat}"))
PY
rm -f "$out"
