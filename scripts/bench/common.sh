# Shared by the benchmark scripts (source it; not run on its own).
#
#   sample SECTION GROUP NAME VALUE [REFERENCE]  record one measurement
#   note SECTION TEXT                            a line printed under the table
#   order SECTION GROUP NAME                     fix a row's place in the table
#   timed CMD...                                 run CMD, ELAPSED_MS = wall time
#   bench_pg_start                               PostgreSQL for the benchmarks
#   fresh_db NAME                                drop and create a database
#   ensure_peers                                 install sqitch and sql-migrate
#   bench_build TARGET...                        build targets in build/ (skipped
#                                                with BENCH_NO_BUILD=1: use what is built)
#   tree_configure TREE / tree_build             the `schemagate` target of
#                                                $BENCH_DIR/build for TREE
#
# Samples go to $BENCH_SAMPLES (scripts/bench/stats.py renders them). Run
# from scripts/bench.sh, every section shares one file and one PostgreSQL;
# a section script run on its own uses its own and prints its tables.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROOT=$PWD
BENCH_DIR=${BENCH_DIR:-$ROOT/build/bench}
STATS="python3 $ROOT/scripts/bench/stats.py"
mkdir -p "$BENCH_DIR"
if [[ -z "${BENCH_SAMPLES:-}" ]]; then
  BENCH_STANDALONE=1
  BENCH_SAMPLES=$(mktemp)
else
  BENCH_STANDALONE=0
fi

sample() { printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "${5:-}" >>"$BENCH_SAMPLES"; }
note() { printf '%s\t#note\t%s\n' "$1" "$2" >>"$BENCH_SAMPLES"; }
order() { printf '%s\t#order\t%s\t%s\n' "$1" "$2" "$3" >>"$BENCH_SAMPLES"; }
set_unit() { printf '%s\t#unit\t%s\n' "$1" "$2" >>"$BENCH_SAMPLES"; }

# Wall time of a command in milliseconds (bash's clock: no extra process).
timed() {
  local rc=0 t0=$EPOCHREALTIME
  "$@" || rc=$?
  local t1=$EPOCHREALTIME
  local us=$(( 10#${t1/./} - 10#${t0/./} ))
  ELAPSED_MS=$(printf '%d.%03d' $((us / 1000)) $((us % 1000)))
  return $rc
}

_bench_cleanup=()
bench_on_exit() { _bench_cleanup+=("$1"); trap '_bench_run_cleanup' EXIT; }
_bench_run_cleanup() {
  local i
  for ((i = ${#_bench_cleanup[@]} - 1; i >= 0; i--)); do eval "${_bench_cleanup[$i]}" || true; done
  if [[ $BENCH_STANDALONE == 1 ]]; then rm -f "$BENCH_SAMPLES"; fi
}
trap '_bench_run_cleanup' EXIT

# PostgreSQL 15 with its default durability (fsync, synchronous_commit), on
# a private port; PG_BASE is its URL without the database name.
bench_pg_start() {
  if [[ -z "${BENCH_PG_URL:-}" ]]; then
    PG_DURABLE=1 bash scripts/pg.sh start "$BENCH_DIR/pg" >/dev/null
    bench_on_exit "bash '$ROOT/scripts/pg.sh' stop '$BENCH_DIR/pg'"
    BENCH_PG_URL=$(cat "$BENCH_DIR/pg/url")
    # psql -1 of the 5,000-migration tree takes ~30,000 locks in one
    # transaction (tables, indexes, sequences, types): more than the
    # default lock table (max_locks_per_transaction 64 x connections).
    if (( $(psql -X -At -d "$BENCH_PG_URL" -c 'SHOW max_locks_per_transaction') < 512 )); then
      psql -X -q -d "$BENCH_PG_URL" -c 'ALTER SYSTEM SET max_locks_per_transaction = 512'
      bash scripts/pg.sh stop "$BENCH_DIR/pg"
      PG_DURABLE=1 bash scripts/pg.sh start "$BENCH_DIR/pg" >/dev/null
      BENCH_PG_URL=$(cat "$BENCH_DIR/pg/url")
    fi
  fi
  PG_BASE=${BENCH_PG_URL%/*}
  PG_HOSTPORT=${PG_BASE#*@}
  PG_PASSWORD=${PG_BASE#postgresql://postgres:}
  PG_PASSWORD=${PG_PASSWORD%@*}
}

# One build directory (Release, no tests) reconfigured per generated tree,
# so only the tree's generator run, catalog compile and link run again.
tree_configure() {
  nice -n 10 cmake -S . -B "$BENCH_DIR/build" -DCMAKE_BUILD_TYPE=Release -DSCHEMAGATE_BUILD_TESTS=OFF \
    -DSCHEMAGATE_TEST_VARIANTS=OFF -DSCHEMAGATE_MIGRATIONS_DIR="$1" >/dev/null
}
tree_build() { nice -n 10 cmake --build "$BENCH_DIR/build" --target schemagate -j"$(nproc)" >/dev/null; }

bench_build() {
  [[ ${BENCH_NO_BUILD:-0} == 1 ]] && return 0
  nice -n 10 cmake --build build -j"$(nproc)" --target "$@" >/dev/null
}

fresh_db() {
  psql -X -q -d "$PG_BASE/postgres" -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" \
    -c "CREATE DATABASE $1" 2>/dev/null
}

# sqitch (with the PostgreSQL driver) and sql-migrate, Debian packages.
ensure_peers() {
  if command -v sqitch >/dev/null && perl -MDBD::Pg -e 1 2>/dev/null && command -v sql-migrate >/dev/null; then
    return 0
  fi
  local sudo=""
  [[ $(id -u) -eq 0 ]] || sudo=sudo
  echo "installing sqitch, libdbd-pg-perl and sql-migrate (apt-get)" >&2
  $sudo apt-get install -y --no-install-recommends sqitch libdbd-pg-perl sql-migrate >/dev/null 2>&1 ||
    { $sudo apt-get update >/dev/null && $sudo apt-get install -y --no-install-recommends \
        sqitch libdbd-pg-perl sql-migrate >/dev/null; }
}

# Peer commands against database $1 (projects made by scripts/bench/peers.py
# in $2). sqitch needs a user name and e-mail for its registry.
export SQITCH_FULLNAME=Bench SQITCH_EMAIL=bench@example.com
sqitch_deploy() {
  (cd "$2/sqitch" && sqitch deploy "db:pg://postgres:$PG_PASSWORD@$PG_HOSTPORT/$1" >/dev/null)
}
sql_migrate_up() {
  local conf="$2/sql-migrate/dbconfig-$1.yml"
  if [[ ! -f "$conf" ]]; then
    printf 'bench:\n  dialect: postgres\n  datasource: host=%s port=%s dbname=%s user=postgres password=%s sslmode=disable\n  dir: migrations\n' \
      "${PG_HOSTPORT%:*}" "${PG_HOSTPORT#*:}" "$1" "$PG_PASSWORD" >"$conf"
  fi
  (cd "$2/sql-migrate" && sql-migrate up -config="$conf" -env=bench >/dev/null)
}
