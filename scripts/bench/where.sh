#!/usr/bin/env bash
# Where an apply's time goes, measured from the server's side: a scratch
# PostgreSQL with pg_stat_statements runs one tree's full apply by
# `schemagate migrate` and by `psql -f` with a transaction per migration
# (the same SQL, scripts/bench/peers.py), each into its own database, and
# prints for each tool the statements PostgreSQL executed (count, total
# execution and planning time), grouped as the migrations' own SQL,
# transaction control, schemagate's bookkeeping (its history tables,
# settings, the lock) and the rest; plus the client's CPU time and wall time
# and the number of round trips (the client's sendto/write system calls
# with strace when installed), and the WAL flushes the server made meanwhile
# (pg_stat_wal.wal_sync: each is an fsync, milliseconds on a real disk).
# What PostgreSQL does for both is the migrations' own SQL; the rest is what
# each tool adds.
#
#   scripts/bench/where.sh SCHEMAGATE_BIN TREE_DIR [more SCHEMAGATE_BIN...]
source "$(dirname "$0")/common.sh"
bins=("$1")
tree=$(realpath "$2")
shift 2
bins+=("$@")
label=$(basename "$tree")
pgdir=$BENCH_DIR/pg-where
bash scripts/pg.sh stop "$pgdir" >/dev/null 2>&1 || true
rm -rf "$pgdir"
PG_DURABLE=1 bash scripts/pg.sh start "$pgdir" >/dev/null
bench_on_exit "bash '$ROOT/scripts/pg.sh' stop '$pgdir' >/dev/null 2>&1"
url=$(cat "$pgdir/url")
base=${url%/*}
psql -X -q -d "$base/postgres" -c "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'" \
  -c "ALTER SYSTEM SET track_io_timing = on"
bash scripts/pg.sh stop "$pgdir" >/dev/null
PG_DURABLE=1 bash scripts/pg.sh start "$pgdir" >/dev/null
url=$(cat "$pgdir/url")
base=${url%/*}
# pg_stat_statements.track exists once the library is loaded: statements
# inside functions and DO blocks are counted too.
psql -X -q -d "$base/postgres" -c "CREATE EXTENSION pg_stat_statements" \
  -c "ALTER SYSTEM SET pg_stat_statements.track = 'all'" -c "SELECT pg_reload_conf()" >/dev/null
work=$BENCH_DIR/peers/$label
"${bins[0]}" catalog --compact >"$BENCH_DIR/catalog-where-$label.json"
python3 scripts/bench/peers.py --catalog "$BENCH_DIR/catalog-where-$label.json" --tree "$tree" \
  --out "$work" >/dev/null
migrations=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["apply_order"]))' \
  "$BENCH_DIR/catalog-where-$label.json")

fresh() { psql -X -q -d "$base/postgres" -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1"; }
wal_syncs() { psql -X -At -d "$base/postgres" -c "SELECT wal_sync FROM pg_stat_wal"; }
counted() {  # DB COMMAND... : runs it, prints "wall_ms cpu_ms wal_syncs"
  local db=$1 t0 t1 times w0 w1
  shift
  fresh "$db"
  times=$(mktemp)
  w0=$(wal_syncs)
  t0=$EPOCHREALTIME
  /usr/bin/time -f "%U %S" -o "$times" "$@" >/dev/null
  t1=$EPOCHREALTIME
  w1=$(wal_syncs)
  local us=$(( 10#${t1/./} - 10#${t0/./} ))
  read -r u s <"$times"
  rm -f "$times"
  echo "$((us / 1000)) $(python3 -c "print(round(($u + $s) * 1000))") $((w1 - w0))"
}
trips() {  # DB COMMAND... : runs it again under strace, prints its writes to sockets
  local db=$1 trace
  shift
  command -v strace >/dev/null || { echo "-"; return; }
  fresh "$db"
  trace=$(mktemp)
  strace -f -qq -e trace=sendto,write -o "$trace" "$@" >/dev/null
  # Writes to the server's socket (stdout and stderr excluded): one per
  # message sent, so about one per round trip.
  grep -c -E '^[0-9]+ +(sendto|write)\(([3-9]|[1-9][0-9]),' "$trace" || true
  rm -f "$trace"
}

python_report='
import sys
tool, migrations, wall, cpu, syncs, trips = sys.argv[1], int(sys.argv[2]), *sys.argv[3:7]
total_calls = total_ms = 0
rows = []
for line in sys.stdin:
    kind, calls, ms, plan = line.rstrip("\n").split("\t")
    rows.append((kind, int(calls), float(ms) + float(plan)))
    total_calls += int(calls); total_ms += float(ms) + float(plan)
for kind, calls, ms in rows:
    print(f"| {tool} | {kind} | {calls:,} | {calls / migrations:.1f} | {ms:,.0f} | {ms * 1000 / migrations:,.0f} |")
print(f"| {tool} | all statements | {total_calls:,} | {total_calls / migrations:.1f} | {total_ms:,.0f} | {total_ms * 1000 / migrations:,.0f} |")
print(f"| {tool} | client: wall {wall} ms, CPU {cpu} ms, round trips {trips}; server: WAL flushes {syncs} (pg_stat_wal.wal_sync, WAL writer included) | | | | |")
'
report() {  # DB TOOL "wall cpu syncs trips"
  read -r wall cpu syncs trips <<<"$3"
  psql -X -At -F $'\t' -d "$base/postgres" -c "
SELECT CASE
         WHEN query ~* '^\s*(BEGIN|COMMIT|ROLLBACK|START TRANSACTION)' THEN 'transaction control'
         WHEN query ~* 'schemagate\"?\.|lock_token|pg_try_advisory|pg_advisory_unlock|set_config|client_connection_check_interval|pg_notify'
           THEN 'schemagate bookkeeping'
         WHEN query ~* '^\s*(SET|RESET)' THEN 'settings'
         ELSE 'the migrations'' own SQL' END AS kind,
       sum(calls), round(sum(total_exec_time)::numeric, 1), round(sum(total_plan_time)::numeric, 1)
FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
WHERE d.datname = '$1' GROUP BY 1 ORDER BY 1" |
    python3 -c "$python_report" "$2" "$migrations" "$wall" "$cpu" "$syncs" "$trips"
}

echo "### $label ($migrations migrations)"
echo
echo "| tool | statements | calls | per migration | PostgreSQL ms (exec + plan) | us per migration |"
echo "|---|---|---|---|---|---|"
i=0
for bin in "${bins[@]}"; do
  psql -X -q -d "$base/postgres" -c "SELECT pg_stat_statements_reset()" >/dev/null
  db=w_sg_$i
  stats=$(counted "$db" env DATABASE_URL="$base/$db" "$bin" migrate --log-level=warning)
  stats="$stats $(trips "${db}_t" env DATABASE_URL="$base/${db}_t" "$bin" migrate --log-level=warning)"
  report "$db" "schemagate ($(basename "$(dirname "$bin")")/$(basename "$bin"))" "$stats"
  i=$((i + 1))
done
psql -X -q -d "$base/postgres" -c "SELECT pg_stat_statements_reset()" >/dev/null
stats=$(counted w_psql env PGOPTIONS='-c synchronous_commit=off' psql -X -q -v ON_ERROR_STOP=1 \
  -d "$base/w_psql" -f "$work/per-transaction.sql")
stats="$stats $(trips w_psql_t env PGOPTIONS='-c synchronous_commit=off' psql -X -q -v ON_ERROR_STOP=1 \
  -d "$base/w_psql_t" -f "$work/per-transaction.sql")"
report w_psql "psql -f, a transaction per migration" "$stats"
