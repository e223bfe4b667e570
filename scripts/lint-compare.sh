#!/usr/bin/env bash
# The lock lint beside Squawk (npm squawk-cli, installed here into
# build/tools/squawk, not by the build), on the bundled tree, a tree of
# deliberately dangerous migrations and the generated benchmark trees:
# findings per tool, how many of Squawk's are on tables created in the same
# migration, every real risk one reports and the other misses, and the time
# each takes. Writes build/lint-compare.md (the table of docs/LINT.md).
#
#   scripts/lint-compare.sh [N_MIGRATIONS ...]     (default: 100 1000 5000)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=$root/build/lint-compare
mkdir -p "$out"
squawk=$root/build/tools/squawk/node_modules/.bin/squawk
if [[ ! -x $squawk ]]; then
  echo "installing squawk-cli into build/tools/squawk (npm)" >&2
  npm install --silent --prefix "$root/build/tools/squawk" squawk-cli >/dev/null
fi
gen=$root/build/bin/schemagate-gen
[[ -x $gen ]] || { echo "build first (bash scripts/build.sh)" >&2; exit 1; }
sizes=("$@")
[[ ${#sizes[@]} -gt 0 ]] || sizes=(100 1000 5000)

ms() { python3 -c "import sys; print(round((float(sys.argv[2]) - float(sys.argv[1])) * 1000))" "$1" "$2"; }
rows=()
run() {  # label tree
  local label=$1 tree=$2
  local t0 t1 t2
  t0=$EPOCHREALTIME
  "$gen" --tree="$tree" --features=all --check --lint=off --dev-database=off \
    --lint-report="$out/$label.schemagate.json" >/dev/null 2>&1 || true
  t1=$EPOCHREALTIME
  find "$tree" -name up.sql | sort | xargs "$squawk" --reporter=json --no-error-on-unmatched-pattern \
    >"$out/$label.squawk.json" 2>/dev/null || true
  t2=$EPOCHREALTIME
  local r
  r=$(python3 scripts/lint_compare.py "$label" "$out/$label.schemagate.json" "$out/$label.squawk.json")
  rows+=("$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(json.dumps(dict(d, schemagate_ms=int(sys.argv[2]), squawk_ms=int(sys.argv[3]))))' \
    "$r" "$(ms "$t0" "$t1")" "$(ms "$t1" "$t2")")")
  echo "$label done" >&2
}
run bundled "$root/migrations"
run dangerous "$root/tests/testdata/trees/dangerous"
for n in "${sizes[@]}"; do
  tree=$root/build/bench/trees/tree-$n
  [[ -d $tree ]] || python3 scripts/bench/gen_tree.py "$n" "${BENCH_CLUSTERS:-50}" "$tree" >/dev/null
  run "tree-$n" "$tree"
done
printf '%s\n' "${rows[@]}" >"$out/results.jsonl"
python3 - "$out/results.jsonl" "$($squawk --version)" >"$root/build/lint-compare.md" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print(f"Measured with {sys.argv[2]} and schemagate-gen --lint (one run each, same machine).\n")
print("| tree | statements | Squawk findings | of them not on a table that existed before the migration | Squawk real risks | schemagate findings (unacknowledged) | real risks schemagate misses | schemagate risks Squawk misses | schemagate ms | Squawk ms |")
print("|---|---|---|---|---|---|---|---|---|---|")
for r in rows:
    print(f"| {r['tree']} | {r['statements']} | {r['squawk_findings']} | {r['squawk_on_new_tables']} | {r['squawk_real_risks']} | {r['schemagate_findings']} ({r['schemagate_unacknowledged']}) | {len(r['missed_by_schemagate'])} | {len(r['missed_by_squawk'])} | {r['schemagate_ms']} | {r['squawk_ms']} |")
for r in rows:
    if r["missed_by_schemagate"] or r["missed_by_squawk"] or r["squawk_judged_safe_by_schemagate"]:
        print(f"\n{r['tree']}:")
        for m in r["missed_by_schemagate"]:
            print(f"- a real risk schemagate misses: {m}")
        for m in r["missed_by_squawk"]:
            print(f"- a risk Squawk misses: {m}")
        for m in r["squawk_judged_safe_by_schemagate"]:
            print(f"- Squawk's, judged safe by schemagate: {m}")
PY
cat "$root/build/lint-compare.md"
