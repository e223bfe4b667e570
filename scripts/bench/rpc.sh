#!/usr/bin/env bash
# The gRPC service under load: CheckTables, ValidateJoin, ValidateQuery and
# ListClusters at 1, 8 and 64 concurrent callers, next to the health Check
# RPC (the empty-RPC limit) on the same server in the same run; server RSS
# idle and under load. The load generator shares the machine's cores with
# the server, as any loopback benchmark does. Each run starts a new server.
#   scripts/bench/rpc.sh [DURATION] [RUNS]   (after scripts/build.sh; default 3s, 3 runs)
# SCHEMAGATE_SERVER_BEFORE: another schemagate-server build (e.g. of the
# commit before a change), measured in the same runs, alternating with
# build/bin/schemagate-server (section rpc_before, its own table).
source "$(dirname "$0")/common.sh"
duration=${1:-3s}
runs=${2:-3}
bench_build rpc_bench schemagate schemagate-server
bench_pg_start
server_pid=""
stop_server() {
  if [[ -n "$server_pid" ]]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
  fi
}
bench_on_exit stop_server
fresh_db bench_rpc
export DATABASE_URL="$PG_BASE/bench_rpc"
build/bin/schemagate migrate --log-level=warning
run_server() {  # SERVER_BINARY SECTION
  rm -f "$BENCH_DIR/rpc.port"
  "$1" serve --listen 127.0.0.1:0 --port-file "$BENCH_DIR/rpc.port" --log-level=warning &
  server_pid=$!
  for _ in $(seq 100); do [[ -s "$BENCH_DIR/rpc.port" ]] && break; sleep 0.05; done
  port=$(cut -d' ' -f1 "$BENCH_DIR/rpc.port")
  sleep 1  # let the monitor read the history
  build/bench/rpc_bench --target "127.0.0.1:$port" --pid "$server_pid" --duration "$duration" \
    --samples "$2" >>"$BENCH_SAMPLES"
  stop_server
}
before=${SCHEMAGATE_SERVER_BEFORE:-}
for i in $(seq "$runs"); do
  if [[ -n $before ]]; then run_server "$before" rpc_before; fi
  run_server build/bin/schemagate-server rpc
done
note rpc "- closed-loop callers, one HTTP/2 connection per 8 callers, $duration per measurement, $runs runs (a new server each); bundled full build, database migrated"

[[ -n $before ]] && note rpc_before "- the same, against $before (the server before the change), alternating with the one above in each run"
if [[ $BENCH_STANDALONE == 1 ]]; then
  if [[ -n $before ]]; then
    echo "Before:"; echo; $STATS rpc "$BENCH_SAMPLES" rpc_before; echo
    echo "Server RSS before (MiB)"; echo; $STATS table "$BENCH_SAMPLES" rpc_before_rss; echo
    echo "After:"; echo
  fi
  $STATS rpc "$BENCH_SAMPLES" rpc; echo
  echo "Server RSS (MiB)"; echo
  $STATS table "$BENCH_SAMPLES" rpc_rss
fi
