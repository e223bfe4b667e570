#!/usr/bin/env bash
# Reproduces every figure of docs/BENCHMARKS.md on this machine, each next to
# its reference measured in the same run, as min / median / max over repeated
# runs and a ratio of medians. Writes build/bench/results.md and prints it.
#
#   scripts/bench.sh            full run (trees of 100, 1,000 and 5,000 migrations)
#   scripts/bench.sh --quick    smoke test: few repeats, trees of 100 and 1,000
#
# Sections (each script also runs on its own; see its header):
#   trees.sh       generated trees (gen_tree.py) and a schemagate build of each
#   migrate.sh     full apply and no-op: schemagate vs psql -1 vs sqitch vs sql-migrate
#   concurrent.sh  50 migrators at once on an empty database vs one
#   adopt.sh       adopt of the largest tree (imported from Diesel) vs migrate
#   plan.sh        plan time and catalog load over the tree sizes
#   rpc.sh         RPC throughput and latency vs the health Check RPC; RSS
#   rpc_metrics.sh RPC throughput with --metrics-listen (and scrapes) vs without
#   join.sh        join validation and query checks (Google Benchmark)
#   import.sh      schemagate-gen import of flattened trees; the imported tree applied vs psql
#   binary-sizes.sh  binary and embedded SQL size per feature set
#
# Repeat counts can be set in the environment (defaults: full / --quick):
#   BENCH_APPLY_RUNS 5/2      BENCH_MID_RUNS 3/2 (the 1,000 tree's apply)
#   BENCH_MID_PEER_RUNS 1/1   (sqitch and sql-migrate on the 1,000 tree)
#   BENCH_LARGE_RUNS 1/-      (the 5,000 tree's apply: schemagate and psql)
#   BENCH_LARGE_PEER_RUNS 0/- (sqitch and sql-migrate on the 5,000 tree: sqitch
#                              alone takes ~15-20 min per run there)
#   BENCH_NOOP_RUNS 15/4  BENCH_PLAN_RUNS 7/3   BENCH_CONCURRENT_RUNS 5/2
#   BENCH_RPC_DURATION 3s/1s  BENCH_RPC_RUNS 3/1  BENCH_RPC_METRICS_RUNS 8/2  BENCH_JOIN_REPS 9/3
#   BENCH_ADOPT_RUNS 5/2      (on the largest tree of BENCH_SIZES)
#   BENCH_SIZES "100 1000 5000" / "100 1000"  BENCH_IMPORT_RUNS 3
# BENCH_PEERS=0 leaves sqitch and sql-migrate out. BENCH_BEFORE_DIR: binaries of
# the commit before a change, measured in the same runs (<tree>.schemagate
# for the apply and no-op, schemagate-server for rpc, schemagate-gen for the
# embedded catalog's build).
# BENCH_SECTIONS="plan rpc" runs only those sections, BENCH_APPLY_TREES="bundled
# 5000" only those trees' apply; BENCH_RESUME=1 keeps the samples of an
# interrupted run. BENCH_NO_BUILD=1 measures the binaries already built in build/ (no cmake
# --build there). sqitch and sql-migrate are installed with apt-get if missing (Debian
# packages sqitch, libdbd-pg-perl, sql-migrate).
set -euo pipefail
cd "$(dirname "$0")/.."
command_line="scripts/bench.sh $*"
quick=0
[[ "${1:-}" == --quick ]] && quick=1
if [[ $quick == 1 ]]; then
  d_apply=2 d_large=2 d_large_peer=1 d_noop=4 d_plan=3 d_conc=2 d_rpc_dur=1s d_rpc_runs=1 d_join=3 d_sizes="100 1000" d_adopt=2
else
  d_apply=5 d_large=1 d_large_peer=0 d_noop=15 d_plan=7 d_conc=5 d_rpc_dur=3s d_rpc_runs=3 d_join=9 d_sizes="100 1000 5000" d_adopt=5
fi
apply_runs=${BENCH_APPLY_RUNS:-$d_apply}
large_runs=${BENCH_LARGE_RUNS:-$d_large}
large_peer_runs=${BENCH_LARGE_PEER_RUNS:-$d_large_peer}
noop_runs=${BENCH_NOOP_RUNS:-$d_noop}
plan_runs=${BENCH_PLAN_RUNS:-$d_plan}
conc_runs=${BENCH_CONCURRENT_RUNS:-$d_conc}
rpc_duration=${BENCH_RPC_DURATION:-$d_rpc_dur}
rpc_runs=${BENCH_RPC_RUNS:-$d_rpc_runs}
join_reps=${BENCH_JOIN_REPS:-$d_join}
adopt_runs=${BENCH_ADOPT_RUNS:-$d_adopt}
read -r -a sizes <<<"${BENCH_SIZES:-$d_sizes}"

export BENCH_DIR=$PWD/build/bench
mkdir -p "$BENCH_DIR"
export BENCH_SAMPLES=$BENCH_DIR/samples.tsv
# BENCH_SECTIONS runs only some sections; with BENCH_RESUME=1 the samples of
# an earlier run are kept (finish an interrupted run, then render them all).
sections=" ${BENCH_SECTIONS:-trees embed incremental apply concurrent adopt plan rpc rpc_metrics join import sizes} "
[[ ${BENCH_RESUME:-0} == 1 ]] || : >"$BENCH_SAMPLES"
source scripts/bench/common.sh  # after BENCH_SAMPLES: not standalone
started=$(date -u '+%Y-%m-%d %H:%M UTC')
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
t_start=$SECONDS
declare -A took

section() {  # name command...
  local t0=$SECONDS name=$1
  shift
  if [[ $sections != *" $name "* ]]; then took[$name]="(earlier run)"; return 0; fi
  echo "== $name ($(date -u +%H:%M:%S))" >&2
  "$@"
  took[$name]=$((SECONDS - t0))
}

echo "building (Release, build/)" >&2
bench_build schemagate schemagate-server schemagate-gen rpc_bench join_bench
[[ ${BENCH_PEERS:-1} == 0 ]] || ensure_peers
bench_pg_start
export BENCH_PG_URL

section trees bash scripts/bench/trees.sh "${sizes[@]}"
embed_trees=(migrations)
for n in "${sizes[@]}"; do embed_trees+=("$BENCH_DIR/trees/tree-$n"); done
SCHEMAGATE_GEN_BEFORE=${BENCH_BEFORE_DIR:+$BENCH_BEFORE_DIR/schemagate-gen} \
  section embed bash scripts/bench/embed.sh "${BENCH_EMBED_RUNS:-3}" "${embed_trees[@]}"
section incremental bash scripts/bench/incremental.sh "$BENCH_DIR/trees/tree-${sizes[-1]}" "${BENCH_EMBED_RUNS:-3}"

apply_trees=" ${BENCH_APPLY_TREES:-bundled ${sizes[*]}} "  # a subset, to finish a run
apply_all() {
  local before=${BENCH_BEFORE_DIR:-}
  if [[ $apply_trees == *" bundled "* ]]; then
    SCHEMAGATE_BEFORE_BIN=${before:+$before/bundled.schemagate} \
      BENCH_PEER_RUNS=$apply_runs BENCH_NOOP_RUNS=$noop_runs bash scripts/bench/migrate.sh "$apply_runs"
  fi
  for n in "${sizes[@]}"; do
    [[ $apply_trees == *" $n "* ]] || continue
    local runs=$apply_runs peer_runs=$apply_runs
    if [[ $n -ge 5000 ]]; then runs=$large_runs peer_runs=$large_peer_runs
    elif [[ $n -ge 1000 ]]; then runs=${BENCH_MID_RUNS:-$((apply_runs < 3 ? apply_runs : 3))}
      peer_runs=${BENCH_MID_PEER_RUNS:-1}; fi
    SCHEMAGATE_BEFORE_BIN=${before:+$before/tree-$n.schemagate} \
    SCHEMAGATE_BIN=$BENCH_DIR/trees/tree-$n.schemagate BENCH_TREE=tree-$n BENCH_TREE_DIR=$BENCH_DIR/trees/tree-$n \
      BENCH_PEER_RUNS=$peer_runs BENCH_NOOP_RUNS=$noop_runs bash scripts/bench/migrate.sh "$runs"
  done
}
section apply apply_all
[[ $sections == *" apply "* ]] && python3 scripts/bench/curve.py "$BENCH_SAMPLES" apply >>"$BENCH_SAMPLES"

concurrent_all() {
  bash scripts/bench/concurrent.sh "$conc_runs" 50
  SCHEMAGATE_BIN=$BENCH_DIR/trees/tree-100.schemagate BENCH_TREE=tree-100 \
    bash scripts/bench/concurrent.sh "$conc_runs" 50
}
section concurrent concurrent_all
section adopt bash scripts/bench/adopt.sh "${sizes[-1]}" "$adopt_runs"

plan_specs=(bundled=build/bin/schemagate)
for n in "${sizes[@]}"; do plan_specs+=("tree-$n=$BENCH_DIR/trees/tree-$n.schemagate"); done
section plan bash scripts/bench/plan.sh "$plan_runs" "${plan_specs[@]}"
SCHEMAGATE_SERVER_BEFORE=${BENCH_BEFORE_DIR:+$BENCH_BEFORE_DIR/schemagate-server} \
  section rpc bash scripts/bench/rpc.sh "$rpc_duration" "$rpc_runs"
section rpc_metrics bash scripts/bench/rpc_metrics.sh "$rpc_duration" \
  "${BENCH_RPC_METRICS_RUNS:-$([[ $quick == 1 ]] && echo 2 || echo 8)}"
section join bash scripts/bench/join.sh "$join_reps"
section import bash scripts/bench/import.sh "${BENCH_IMPORT_RUNS:-3}" bundled "tree-${sizes[1]:-${sizes[0]}}"
sizes_md=$(mktemp)
section sizes bash -c "bash scripts/binary-sizes.sh >'$sizes_md'"

# ---------------------------------------------------------------------------
ver() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo "?"; }
pg_version=$(psql -X -At -d "$PG_BASE/postgres" -c 'SHOW server_version')
rev=$(git rev-parse --short HEAD 2>/dev/null || echo "?")
[[ -n $(git status --porcelain 2>/dev/null) ]] && rev="$rev + uncommitted changes"
rpc_errors=$(awk -F'\t' '$1 == "rpc_errors" {s += $4} END {print s + 0}' "$BENCH_SAMPLES")
total=$((SECONDS - t_start))
S() { python3 scripts/bench/stats.py "$@" ; }

{
  cat <<EOF
# Benchmark results

- Command: \`$command_line\` (total $((total / 60)) min $((total % 60)) s: trees ${took[trees]} s, embed ${took[embed]} s, incremental ${took[incremental]} s, apply ${took[apply]} s, concurrent ${took[concurrent]} s, adopt ${took[adopt]} s, plan ${took[plan]} s, rpc ${took[rpc]} s, rpc_metrics ${took[rpc_metrics]:-0} s, join ${took[join]} s, sizes ${took[sizes]} s)
- Date: $started; schemagate $rev
- Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), $(. /etc/os-release; echo "$PRETTY_NAME"), kernel $(uname -r); load average at start $load_start, at end $(cut -d' ' -f1-3 /proc/loadavg)
- PostgreSQL $pg_version (default durability: fsync and synchronous_commit on), scram-sha-256 over TCP loopback, one server for every section
- Packages: gRPC $(ver libgrpc++1.51), protobuf $(ver libprotobuf32), Abseil $(ver libabsl20220623), libpqxx $(ver libpqxx-6.4), libpg_query $(ver libpg-query-dev 2>/dev/null), Google Benchmark $(ver libbenchmark1debian), sqitch $(ver sqitch), sql-migrate $(ver sql-migrate), $(c++ --version | head -1)

Every figure is next to its reference measured in the same run; ratios are of medians.

## Generated trees: build cost

$(S table "$BENCH_SAMPLES" build)

## The embedded catalog's build: generator + compile (ms)

$(S table "$BENCH_SAMPLES" embed)

## Incremental rebuild after editing one up.sql (ms)

$(S table "$BENCH_SAMPLES" incremental)

## Full apply into a fresh database (ms)

Same SQL for every tool, each on a fresh database of the same server, tools in a rotating order.
psql -1 -f of the SQL concatenated is the limit (one transaction, no bookkeeping, CONCURRENTLY dropped).

$(S table "$BENCH_SAMPLES" apply)

## No-op start: database up to date, whole process incl. connect (ms)

$(S table "$BENCH_SAMPLES" noop)

## Concurrent start on an empty database: wall time until every process exits (ms)

$(S table "$BENCH_SAMPLES" concurrent)

## Adopt vs migrate of the largest tree (ms)

\`schemagate adopt --from=diesel\` of a database the tree's SQL was run into by psql (with Diesel's history table), vs \`schemagate migrate\` of the same tree into a fresh database.

$(S table "$BENCH_SAMPLES" adopt)

## Planning: \`schemagate plan\`, whole process incl. connect (ms)

$(S table "$BENCH_SAMPLES" plan)

## Catalog load at start-up, in process (us)

$(S table "$BENCH_SAMPLES" catalog)

## RPC throughput and latency

$(S rpc "$BENCH_SAMPLES" rpc)

Before (BENCH_BEFORE_DIR), same runs:

$(S rpc "$BENCH_SAMPLES" rpc_before)

Server RSS (MiB), $rpc_errors RPC errors:

$(S table "$BENCH_SAMPLES" rpc_rss)

## The cost of Prometheus metrics (\`scripts/bench/rpc_metrics.sh\`)

$(S table "$BENCH_SAMPLES" rpc_metrics)

$(S table "$BENCH_SAMPLES" rpc_metrics_cpu)

## Join validation and query checks, in process (us)

$(S table "$BENCH_SAMPLES" join)

## Binary size (stripped Release) and embedded SQL

$(cat "$sizes_md")
EOF
} >"$BENCH_DIR/results.md"
rm -f "$sizes_md"
cat "$BENCH_DIR/results.md"
