#!/usr/bin/env bash
# Migration engine benchmarks, each side by side with its limit in one run:
#   1. full apply of the bundled tree: `schemagate migrate` vs
#      `psql -1 -f` of the same SQL concatenated (`schemagate sql`, with
#      CONCURRENTLY dropped since psql -1 runs one transaction);
#   2. the no-op `schemagate migrate` (whole process, connect included) vs
#      `psql -c 'SELECT 1'` (a process that connects and runs one query).
# PostgreSQL runs with its default durability (PG_DURABLE=1), private port.
#   scripts/bench/migrate.sh [RUNS]      (after scripts/build.sh)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-7}
bin=${SCHEMAGATE_BIN:-build/bin/schemagate}
dir=build/bench/pg
PG_DURABLE=1 bash scripts/pg.sh start "$dir" >/dev/null
trap 'bash scripts/pg.sh stop "$dir"' EXIT
server=$(cat "$dir/url")
base=${server%/*}
sql=$(mktemp); trap 'rm -f "$sql"; bash scripts/pg.sh stop "$dir"' EXIT
"$bin" sql | sed 's/ CONCURRENTLY / /g; s/^-- schemagate:no-transaction//' > "$sql"
migrations=$("$bin" catalog --compact | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["apply_order"]))')
statements=$(grep -c ';' "$sql" || true)

now() { date +%s%N; }
fresh() { psql -X -q -d "$server" -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" 2>/dev/null; }

sg=(); ps=(); noop=(); select1=()
for i in $(seq "$runs"); do
  fresh bench_sg; fresh bench_psql
  t0=$(now); DATABASE_URL="$base/bench_sg" "$bin" migrate --log-level=warning; t1=$(now)
  sg+=($(( (t1 - t0) / 1000 )))
  t0=$(now); psql -X -q -1 -v ON_ERROR_STOP=1 -d "$base/bench_psql" -f "$sql" >/dev/null; t1=$(now)
  ps+=($(( (t1 - t0) / 1000 )))
done
for i in $(seq $((runs * 3))); do
  t0=$(now); DATABASE_URL="$base/bench_sg" "$bin" migrate --log-level=warning; t1=$(now)
  noop+=($(( (t1 - t0) / 1000 )))
  t0=$(now); psql -X -q -At -d "$base/bench_sg" -c 'SELECT 1' >/dev/null; t1=$(now)
  select1+=($(( (t1 - t0) / 1000 )))
done

python3 - "$migrations" "$statements" "${sg[*]}" "${ps[*]}" "${noop[*]}" "${select1[*]}" <<'PY'
import statistics, sys
m, st = sys.argv[1], sys.argv[2]
sg, ps, noop, sel = ([int(x) / 1000 for x in a.split()] for a in sys.argv[3:7])
def row(name, xs):
    return f"| {name} | {min(xs):.1f} | {statistics.median(xs):.1f} | {max(xs):.1f} |"
print(f"Full apply: {m} migrations, {st} statements, {len(sg)} runs each (ms)\n")
print("| what | min | median | max |\n|---|---|---|---|")
print(row("schemagate migrate (fresh database)", sg))
print(row("psql -1 -f (same SQL, the limit)", ps))
print(f"\nratio (median): {statistics.median(sg) / statistics.median(ps):.2f}x psql\n")
print(f"No-op migrate, whole process incl. connect, {len(noop)} runs (ms)\n")
print("| what | min | median | max |\n|---|---|---|---|")
print(row("schemagate migrate (up to date)", noop))
print(row("psql -c 'SELECT 1' (connect + one query)", sel))
print(f"\nratio (median): {statistics.median(noop) / statistics.median(sel):.2f}x psql")
PY
