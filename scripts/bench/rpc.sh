#!/usr/bin/env bash
# The gRPC service under load: CheckTables, ValidateJoin, ValidateQuery and
# ListClusters at 1, 8 and 64 concurrent callers, next to the health Check
# RPC (the empty-RPC limit) on the same server in the same run; server RSS
# idle and under load. The load generator shares the machine's 2 cores with
# the server, as any loopback benchmark does.
#   scripts/bench/rpc.sh [DURATION]       (after scripts/build.sh)
set -euo pipefail
cd "$(dirname "$0")/../.."
duration=${1:-3s}
cmake --build build -j"$(nproc)" --target rpc_bench schemagate schemagate-server >/dev/null
dir=build/bench/pg-rpc
bash scripts/pg.sh start "$dir" >/dev/null
server_pid=""
cleanup() {
  [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  bash scripts/pg.sh stop "$dir"
}
trap cleanup EXIT
base=$(cat "$dir/url"); base=${base%/*}
psql -X -q -d "$base/postgres" -c "DROP DATABASE IF EXISTS bench_rpc" -c "CREATE DATABASE bench_rpc" 2>/dev/null
export DATABASE_URL="$base/bench_rpc"
build/bin/schemagate migrate --log-level=warning
rm -f build/bench/rpc.port
build/bin/schemagate-server serve --listen 127.0.0.1:0 --port-file build/bench/rpc.port \
  --log-level=warning &
server_pid=$!
for _ in $(seq 100); do [[ -s build/bench/rpc.port ]] && break; sleep 0.05; done
port=$(cut -d' ' -f1 build/bench/rpc.port)
sleep 1  # let the monitor read the history
build/bench/rpc_bench --target "127.0.0.1:$port" --pid "$server_pid" --duration "$duration"
