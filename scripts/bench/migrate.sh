#!/usr/bin/env bash
# Migration engine benchmarks on one tree, every tool side by side in each
# run, each on a fresh database of the same PostgreSQL server:
#   1. full apply: `schemagate migrate` vs `psql -1 -f` of the same SQL
#      concatenated (the limit: one transaction, no bookkeeping;
#      CONCURRENTLY dropped since psql -1 runs one transaction) vs sqitch and
#      sql-migrate on the same SQL per migration (scripts/bench/peers.py);
#      also `psql -f` of the same SQL with a transaction per migration and
#      synchronous_commit off, as schemagate commits (its transactions
#      without its bookkeeping: tells the two costs apart);
#   2. the no-op (database up to date), whole process, connect included —
#      what every init container pays on every pod start — vs `psql -c
#      'SELECT 1'` (a process that connects and runs one query) and the
#      peers' own no-op.
# PostgreSQL runs with its default durability (PG_DURABLE=1), private port.
#
#   scripts/bench/migrate.sh [RUNS]      (after scripts/build.sh)
#
# Environment: SCHEMAGATE_BIN (default build/bin/schemagate, the bundled
# tree), BENCH_TREE (label, default "bundled"), BENCH_TREE_DIR (the tree the
# binary was built from, default migrations), BENCH_PEERS (1: also sqitch and
# sql-migrate, the default; 0: only schemagate and psql), BENCH_PEER_RUNS
# (runs of the peers' apply, default RUNS), BENCH_NOOP_RUNS (default 3 x RUNS),
# SCHEMAGATE_BEFORE_BIN (another build of the same tree, e.g. of the commit
# before a change: measured in the same rotation as "schemagate migrate
# (before)", so a change's before and after come from one run).
source "$(dirname "$0")/common.sh"
runs=${1:-7}
bin=${SCHEMAGATE_BIN:-build/bin/schemagate}
label=${BENCH_TREE:-bundled}
tree=${BENCH_TREE_DIR:-migrations}
peers=${BENCH_PEERS:-1}
peer_runs=${BENCH_PEER_RUNS:-$runs}
[[ $peer_runs -gt 0 ]] || peers=0
noop_runs=${BENCH_NOOP_RUNS:-$((runs * 3))}
before=${SCHEMAGATE_BEFORE_BIN:-}
db=$(echo "$label" | tr -c 'a-z0-9\n' '_')

bench_pg_start
[[ $peers == 1 ]] && ensure_peers
work="$BENCH_DIR/peers/$label"
"$bin" catalog --compact >"$BENCH_DIR/catalog-$label.json"
python3 scripts/bench/peers.py --catalog "$BENCH_DIR/catalog-$label.json" --tree "$tree" --out "$work" >/dev/null
read -r migrations statements sql_bytes notx < <(python3 - "$BENCH_DIR/catalog-$label.json" "$tree" <<'PY'
import json, os, sys
sys.path.insert(0, "scripts/bench")
from peers import split_statements
cat = json.load(open(sys.argv[1]))
n = st = size = notx = 0
for c in cat["clusters"]:
    for m in c["migrations"]:
        up = open(os.path.join(sys.argv[2], m["path"]), encoding="utf-8").read()
        n += 1; size += len(up.encode()); notx += m.get("no_transaction", False)
        st += sum(1 for t, _ in split_statements(up) if t.strip())
print(n, st, size, notx)
PY
)
tables=$(python3 -c 'import json,sys; print(sum(len(c["tables"]) for c in json.load(open(sys.argv[1]))["clusters"]))' "$BENCH_DIR/catalog-$label.json")

S=apply; N=noop
LIMIT="psql -1 -f (limit)"
PERTX="psql -f, a transaction per migration"
SELECT1="psql -c 'SELECT 1' (limit)"
count_tables() {
  psql -X -At -d "$PG_BASE/$1" -c "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'
    AND tablename NOT IN ('gorp_migrations')"
}
BEFORE="schemagate migrate (before)"
for name in "$LIMIT" "$PERTX" "$BEFORE" "schemagate migrate" "sqitch deploy" "sql-migrate up"; do order $S "$label" "$name"; done
for name in "$SELECT1" "$BEFORE (up to date)" "schemagate migrate (up to date)" "sqitch deploy (up to date)" \
  "sql-migrate up (up to date)"; do
  order $N "$label" "$name"
done
# schemagate's rows: a ratio to psql -1 and to psql with a transaction per
# migration (what schemagate's atomicity costs PostgreSQL itself).
SGREF="$LIMIT|$PERTX"
failed=()
for i in $(seq "$runs"); do
  tools=(sg psql pertx)
  [[ -n $before ]] && tools+=(sgb)
  [[ $peers == 1 && $i -le $peer_runs ]] && tools+=(sqitch sm)
  # Rotate the order each run so that no tool always goes first.
  for ((k = 0; k < ${#tools[@]}; k++)); do
    t=${tools[$(( (k + i) % ${#tools[@]} ))]}
    fresh_db "b_${db}_$t"
    case $t in
      sg) if timed env DATABASE_URL="$PG_BASE/b_${db}_sg" "$bin" migrate --log-level=warning; then
            sample $S "$label" "schemagate migrate" "$ELAPSED_MS" "$SGREF"
          else failed+=(schemagate); fi ;;
      sgb) if timed env DATABASE_URL="$PG_BASE/b_${db}_sgb" "$before" migrate --log-level=warning; then
            sample $S "$label" "$BEFORE" "$ELAPSED_MS" "$SGREF"
          else failed+=("schemagate before"); fi ;;
      pertx) if timed env PGOPTIONS='-c synchronous_commit=off' psql -X -q -v ON_ERROR_STOP=1 \
               -d "$PG_BASE/b_${db}_pertx" -f "$work/per-transaction.sql" >/dev/null; then
               sample $S "$label" "$PERTX" "$ELAPSED_MS" "$LIMIT"
             else failed+=("psql per transaction"); fi ;;
      psql) if timed psql -X -q -1 -v ON_ERROR_STOP=1 -d "$PG_BASE/b_${db}_psql" -f "$work/all.sql" >/dev/null; then
              sample $S "$label" "$LIMIT" "$ELAPSED_MS"
            else failed+=("psql -1"); fi ;;
      sqitch) if timed sqitch_deploy "b_${db}_sqitch" "$work"; then
                sample $S "$label" "sqitch deploy" "$ELAPSED_MS" "$LIMIT"
              else failed+=(sqitch); fi ;;
      sm) if timed sql_migrate_up "b_${db}_sm" "$work"; then
            sample $S "$label" "sql-migrate up" "$ELAPSED_MS" "$LIMIT"
          else failed+=(sql-migrate); fi ;;
    esac
  done
  if [[ $i == 1 ]]; then
    # Same SQL, same result: every tool must have created every table.
    for t in "${tools[@]}"; do
      got=$(count_tables "b_${db}_$t")
      [[ $got == "$tables" ]] || { echo "$label: $t created $got tables, the catalog has $tables" >&2; failed+=("$t-tables"); }
    done
  fi
done
note $S "- $label: $migrations migrations ($notx no-transaction), $statements statements, $tables tables, $sql_bytes bytes of up.sql"
[[ ${#failed[@]} -eq 0 ]] || note $S "- $label: FAILED: ${failed[*]}"

for i in $(seq "$noop_runs"); do
  if [[ -n $before ]]; then
    timed env DATABASE_URL="$PG_BASE/b_${db}_sg" "$before" migrate --log-level=warning
    sample $N "$label" "$BEFORE (up to date)" "$ELAPSED_MS" "$SELECT1"
  fi
  timed env DATABASE_URL="$PG_BASE/b_${db}_sg" "$bin" migrate --log-level=warning
  sample $N "$label" "schemagate migrate (up to date)" "$ELAPSED_MS" "$SELECT1"
  timed psql -X -q -At -d "$PG_BASE/b_${db}_sg" -c 'SELECT 1' >/dev/null
  sample $N "$label" "$SELECT1" "$ELAPSED_MS"
  if [[ $peers == 1 ]]; then
    timed sqitch_deploy "b_${db}_sqitch" "$work" && sample $N "$label" "sqitch deploy (up to date)" "$ELAPSED_MS" "$SELECT1"
    timed sql_migrate_up "b_${db}_sm" "$work" && sample $N "$label" "sql-migrate up (up to date)" "$ELAPSED_MS" "$SELECT1"
  fi
done

if [[ $BENCH_STANDALONE == 1 ]]; then
  echo "Full apply (ms)"; echo
  $STATS table "$BENCH_SAMPLES" $S; echo
  echo "No-op migrate, whole process incl. connect (ms)"; echo
  $STATS table "$BENCH_SAMPLES" $N
fi
