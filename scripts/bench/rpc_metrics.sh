#!/usr/bin/env bash
# The cost of Prometheus metrics: RPC throughput of the same server build
# with `--metrics-listen` (every schemagate RPC counted and timed by its
# handler, and /metrics scraped every second, 15-30x more often than
# Prometheus' usual interval) and without, alternating in one run (the order rotates each
# run), a new server each time. Health Check (the empty RPC: the largest
# relative cost of the scrapes; gRPC's health service is not counted) and
# CheckTables (counted and timed) at 8 callers, the throughput peak of
# scripts/bench/rpc.sh; and the server's CPU time per RPC (utime + stime
# from /proc over the measurement / requests), which the machine's other
# load disturbs far less than throughput; beside it, what recording one RPC
# costs in process (tests/bench/metrics_bench.cc), which no load disturbs.
#   scripts/bench/rpc_metrics.sh [DURATION] [RUNS]   (default 3s, 8 runs)
source "$(dirname "$0")/common.sh"
duration=${1:-3s}
runs=${2:-8}
secs=${duration%s}
bench_build rpc_bench metrics_bench schemagate schemagate-server
bench_pg_start
server_pid="" scraper_pid=""
stop_server() {
  if [[ -n "$scraper_pid" ]]; then kill "$scraper_pid" 2>/dev/null || true; wait "$scraper_pid" 2>/dev/null || true; scraper_pid=""; fi
  if [[ -n "$server_pid" ]]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; server_pid=""; fi
}
bench_on_exit stop_server
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }  # utime + stime
fresh_db bench_rpc_metrics
export DATABASE_URL="$PG_BASE/bench_rpc_metrics"
build/bin/schemagate migrate --log-level=warning
for rpc in "health Check (limit)" "CheckTables (2 tables)"; do
  for mode in "metrics off" "metrics on"; do order rpc_metrics "$rpc, 8 callers, req/s" "$mode"; done
done
set_unit rpc_metrics "req/s"
set_unit rpc_metrics_cpu "us"
for mode in "metrics off" "metrics on"; do
  order rpc_metrics_cpu "server CPU per RPC (us), health Check + CheckTables" "$mode"
done
scrapes=0
for i in $(seq "$runs"); do
  modes=("metrics off" "metrics on")
  (( i % 2 == 0 )) && modes=("metrics on" "metrics off")
  for mode in "${modes[@]}"; do
    rm -f "$BENCH_DIR/rpc_metrics.port"
    extra=()
    [[ $mode == "metrics on" ]] && extra=(--metrics-listen 127.0.0.1:0)
    build/bin/schemagate-server serve --listen 127.0.0.1:0 --port-file "$BENCH_DIR/rpc_metrics.port" \
      --log-level=warning "${extra[@]}" &
    server_pid=$!
    for _ in $(seq 100); do [[ -s "$BENCH_DIR/rpc_metrics.port" ]] && break; sleep 0.05; done
    read -r port _ metrics_port <"$BENCH_DIR/rpc_metrics.port"
    if [[ $mode == "metrics on" ]]; then
      ( while true; do curl -sf "http://127.0.0.1:$metrics_port/metrics" >/dev/null; sleep 1; done ) &
      scraper_pid=$!
    fi
    sleep 1  # let the monitor read the history
    cpu_before=$(cpu_ticks "$server_pid")
    build/bench/rpc_bench --target "127.0.0.1:$port" --pid "$server_pid" --duration "$duration" \
        --only "CheckTables" --callers 8 --samples rpc_metrics_raw >"$BENCH_DIR/rpc_metrics.raw"
    cpu_after=$(cpu_ticks "$server_pid")
    ref=""
    [[ $mode == "metrics on" ]] && ref="metrics off"
    awk -F'\t' -v mode="$mode" -v ref="$ref" '$1 == "rpc_metrics_raw" {
        split($3, f, "|")
        if (f[3] == "rps") printf "rpc_metrics\t%s, %s callers, req/s\t%s\t%s\t%s\n", f[1], f[2], mode, $4, ref
      }' "$BENCH_DIR/rpc_metrics.raw" >>"$BENCH_SAMPLES"
    # The server's CPU time per RPC over both measurements: what recording
    # and scraping add, whatever the other load on the machine.
    requests=$(awk -F'\t' -v s="$secs" '$1 == "rpc_metrics_raw" && $3 ~ /\|rps$/ { n += $4 * s } END { print n }' \
      "$BENCH_DIR/rpc_metrics.raw")
    cpu_us=$(awk -v a="$cpu_before" -v b="$cpu_after" -v hz="$(getconf CLK_TCK)" -v n="$requests" \
      'BEGIN { printf "%.2f", (b - a) * 1e6 / hz / n }')
    sample rpc_metrics_cpu "server CPU per RPC (us), health Check + CheckTables" "$mode" "$cpu_us" "$ref"
    if [[ $mode == "metrics on" ]]; then
      count=$(curl -sf "http://127.0.0.1:$metrics_port/metrics" |
        awk '/^schemagate_rpc_requests_total\{/ { s += $2 } END { print s + 0 }')
      (( count > 0 )) || { echo "rpc_metrics: the server counted no RPCs" >&2; exit 1; }
      scrapes=$((scrapes + 1))
    fi
    stop_server
  done
done
# In process: recording one RPC (and one migration event, one scrape).
gbench_out=$(mktemp)
build/bench/metrics_bench --benchmark_repetitions="$runs" --benchmark_min_time=0.2 \
  --benchmark_format=json >"$gbench_out" 2>/dev/null
python3 - "$gbench_out" >>"$BENCH_SAMPLES" <<'PY'
import json, sys
group = "server CPU per RPC (us), health Check + CheckTables"
names = {"BM_RecordRpc/real_time/threads:1": "recording one RPC alone, in process (1 thread)",
         "BM_RecordRpc/real_time/threads:2": "recording one RPC alone, in process (2 threads, one series)"}
for b in json.load(open(sys.argv[1]))["benchmarks"]:
    if b.get("run_type") != "iteration":
        continue
    us = b["real_time"] * {"ns": 1e-3, "us": 1, "ms": 1e3}[b.get("time_unit", "ns")]
    if b["run_name"] in names:
        print(f"rpc_metrics_cpu\t{group}\t{names[b['run_name']]}\t{us:.4f}\tmetrics off")
    elif b["run_name"] in ("BM_RecordMigrationEvent", "BM_Scrape"):
        what = {"BM_RecordMigrationEvent": "one migration event recorded",
                "BM_Scrape": "one scrape's text (" + b.get("label", "") + ")"}[b["run_name"]]
        print(f"rpc_metrics_cpu\tin process (us)\t{what}\t{us:.4f}\t")
PY
rm -f "$gbench_out"
note rpc_metrics_cpu "- in process: tests/bench/metrics_bench.cc (Google Benchmark, $runs repetitions); the ratio is to the server's whole CPU time per RPC without metrics"
note rpc_metrics "- one server per measurement, $runs runs of each mode alternating (order rotating), $duration each; 8 closed-loop callers on one HTTP/2 connection; with metrics, /metrics scraped every 1 s during the load; bundled full build, database migrated"

if [[ $BENCH_STANDALONE == 1 ]]; then
  $STATS table "$BENCH_SAMPLES" rpc_metrics; echo
  $STATS table "$BENCH_SAMPLES" rpc_metrics_cpu
fi
