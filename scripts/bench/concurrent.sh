#!/usr/bin/env bash
# Concurrent start: N `schemagate migrate` processes started together on an
# empty database (what a Deployment's init containers do on a fresh
# install) vs one migrator alone on an empty database, in the same run.
# Exactly once is verified after every run: every process exits 0, the
# history has each migration once, and the schema has every table.
#
#   scripts/bench/concurrent.sh [RUNS] [N]        (default 5 runs, N = 50)
#
# Environment: SCHEMAGATE_BIN (default build/bin/schemagate), BENCH_TREE
# (label, default "bundled").
source "$(dirname "$0")/common.sh"
runs=${1:-5}
n=${2:-50}
bin=${SCHEMAGATE_BIN:-build/bin/schemagate}
label=${BENCH_TREE:-bundled}
db=c_$(echo "$label" | tr -c 'a-z0-9\n' '_')
bench_pg_start

S=concurrent
ONE="1 migrator"
MANY="$n migrators at once"
order $S "$label" "$ONE"
order $S "$label" "$MANY"
read -r migrations tables < <("$bin" catalog --compact | python3 -c '
import json, sys
c = json.load(sys.stdin)
print(len(c["apply_order"]), sum(len(x["tables"]) for x in c["clusters"]))')

verify() {  # database, processes that failed
  local got
  got=$(psql -X -At -F' ' -d "$PG_BASE/$1" -c "SELECT count(*), count(DISTINCT (cluster, version)) FROM schemagate.migrations" \
        -c "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'" | tr '\n' ' ')
  if [[ $2 != 0 || $got != "$migrations $migrations $tables " ]]; then
    echo "$label: NOT exactly once in $1: $2 processes failed; history rows, distinct, tables: $got (want $migrations $migrations $tables)" >&2
    bad=$((bad + 1))
  fi
}

bad=0
for i in $(seq "$runs"); do
  fresh_db "${db}_one"
  timed env DATABASE_URL="$PG_BASE/${db}_one" "$bin" migrate --log-level=error
  sample $S "$label" "$ONE" "$ELAPSED_MS"
  verify "${db}_one" 0

  fresh_db "${db}_many"
  logs=$(mktemp -d)
  start_many() {
    local pids=() p failed=0
    for k in $(seq "$n"); do
      DATABASE_URL="$PG_BASE/${db}_many" "$bin" migrate --log-level=error >"$logs/$k.log" 2>&1 &
      pids+=($!)
    done
    for p in "${pids[@]}"; do wait "$p" || failed=$((failed + 1)); done
    echo "$failed" >"$logs/failed"
  }
  timed start_many
  sample $S "$label" "$MANY" "$ELAPSED_MS" "$ONE"
  verify "${db}_many" "$(cat "$logs/failed")"
  rm -rf "$logs"
done
if [[ $bad == 0 ]]; then
  note $S "- $label: exactly once in every run: all $n processes exited 0, the history holds each of the $migrations migrations once, all $tables tables exist"
else
  note $S "- $label: exactly-once check FAILED in $bad databases (see the log)"
fi

if [[ $BENCH_STANDALONE == 1 ]]; then
  echo "Concurrent start on an empty database, wall time of all processes (ms)"; echo
  $STATS table "$BENCH_SAMPLES" $S
fi
