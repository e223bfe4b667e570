#!/usr/bin/env bash
# `schemagate adopt` on a large tree vs `schemagate migrate` of the same tree,
# side by side in each run, on the same PostgreSQL server:
#   - migrate: a fresh database, every migration applied (the reference);
#   - adopt: a database the "old tool" migrated (the tree's SQL run by psql
#     once, plus Diesel's history table with one row per migration), whose
#     schemagate history is dropped before each run: adopt reads the history
#     and the old tool's table, introspects and compares the whole schema,
#     and records every migration in one transaction under the lock;
#   - adopt --dry-run: the same checks, nothing recorded.
# After the first adopt, `verify` must be clean and `migrate` a no-op.
#
#   scripts/bench/adopt.sh [N_MIGRATIONS] [RUNS]    (default 5000, 5)
#
# The tree is scripts/bench/gen_tree.py N 50 --imported-from diesel (the
# benchmark trees' SQL, each migration marked as imported from a Diesel
# version), built into $BENCH_DIR/trees/adopt-N.schemagate unless that binary
# exists (BENCH_REBUILD=1 rebuilds it).
source "$(dirname "$0")/common.sh"
n=${1:-5000}
runs=${2:-5}
clusters=${BENCH_CLUSTERS:-50}
label="tree-$n (imported from diesel)"
trees=$BENCH_DIR/trees
tree=$trees/adopt-$n
bin=$trees/adopt-$n.schemagate
mkdir -p "$trees"
if [[ ! -x $bin || ${BENCH_REBUILD:-0} == 1 ]]; then
  python3 scripts/bench/gen_tree.py "$n" "$clusters" "$tree" --imported-from diesel >/dev/null
  echo "building schemagate for $tree" >&2
  tree_configure "$tree"
  tree_build
  cp "$BENCH_DIR/build/bin/schemagate" "$bin"
fi

bench_pg_start
src="adopt_src_$n"
fresh_db "$src"
# The old tool's work: the whole SQL in apply order, and its history table.
"$bin" sql | psql -X -q -v ON_ERROR_STOP=1 -d "$PG_BASE/$src" >/dev/null
"$bin" catalog --compact | python3 -c '
import json, sys
rows = [v.split(" ", 1)[1] for c in json.load(sys.stdin)["clusters"]
        for m in c["migrations"] for v in m.get("imported_from", [])]
print("CREATE TABLE __diesel_schema_migrations (version VARCHAR(50) PRIMARY KEY NOT NULL, "
      "run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP);")
print("INSERT INTO __diesel_schema_migrations (version) VALUES " +
      ", ".join("(%s)" % repr(v) for v in rows) + ";")
' | psql -X -q -v ON_ERROR_STOP=1 -d "$PG_BASE/$src"
migrations=$(psql -X -At -d "$PG_BASE/$src" -c 'SELECT count(*) FROM __diesel_schema_migrations')
tables=$(psql -X -At -d "$PG_BASE/$src" -c "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")

S=adopt
REF="schemagate migrate (fresh database)"
for name in "$REF" "schemagate adopt --from=diesel" "schemagate adopt --from=diesel --dry-run"; do
  order $S "$label" "$name"
done
reset() { psql -X -q -d "$PG_BASE/$src" -c 'DROP SCHEMA IF EXISTS schemagate CASCADE' 2>/dev/null; }
failed=()
for i in $(seq "$runs"); do
  # Rotate the order so that neither always goes first.
  for ((k = 0; k < 3; k++)); do
    case $(( (k + i) % 3 )) in
      0) fresh_db "adopt_mig_$n"
         if timed env DATABASE_URL="$PG_BASE/adopt_mig_$n" "$bin" migrate --log-level=warning; then
           sample $S "$label" "$REF" "$ELAPSED_MS"
         else failed+=(migrate); fi ;;
      1) reset
         if timed env DATABASE_URL="$PG_BASE/$src" "$bin" adopt --from=diesel --log-level=warning >/dev/null; then
           sample $S "$label" "schemagate adopt --from=diesel" "$ELAPSED_MS" "$REF"
         else failed+=(adopt); fi ;;
      2) reset
         if timed env DATABASE_URL="$PG_BASE/$src" "$bin" adopt --from=diesel --dry-run --log-level=warning >/dev/null; then
           sample $S "$label" "schemagate adopt --from=diesel --dry-run" "$ELAPSED_MS" "$REF"
         else failed+=(adopt-dry-run); fi ;;
    esac
  done
done
# The adopted database behaves as a migrated one.
reset
env DATABASE_URL="$PG_BASE/$src" "$bin" adopt --from=diesel --log-level=warning >/dev/null || failed+=(adopt)
env DATABASE_URL="$PG_BASE/$src" "$bin" verify >/dev/null || failed+=(verify-after-adopt)
recorded=$(psql -X -At -d "$PG_BASE/$src" -c 'SELECT count(*) FROM schemagate.migrations')
[[ $recorded == "$migrations" ]] || failed+=("recorded-$recorded-of-$migrations")
noop=$(env DATABASE_URL="$PG_BASE/$src" "$bin" migrate --json --log-level=warning)
[[ $noop == *'"applied":[]'* ]] || failed+=(migrate-after-adopt)
note $S "- $label: $migrations migrations, $tables tables; adopt checks $migrations Diesel rows, compares every table and records $migrations history rows; verify clean and migrate a no-op afterwards"
[[ ${#failed[@]} -eq 0 ]] || note $S "- $label: FAILED: ${failed[*]}"

if [[ $BENCH_STANDALONE == 1 ]]; then
  echo "Adopt vs migrate (ms)"; echo
  $STATS table "$BENCH_SAMPLES" $S
fi
[[ ${#failed[@]} -eq 0 ]]
