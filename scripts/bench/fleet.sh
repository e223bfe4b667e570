#!/usr/bin/env bash
# Fleets (docs/FLEETS.md), one run:
#   1. N tenant databases (default 240) with a small feature set (core), each
#      method on its own fresh N databases of the same server:
#        - `schemagate fleet migrate --parallel=P` (one process, P at once);
#        - a shell loop of `schemagate migrate --features=core`, one tenant
#          after the other (what a script around a migration tool does);
#        - the same with `xargs -P P` (P such scripts at once);
#        - the floor: P parallel `psql -1 -f` of the same SQL (every up.sql
#          concatenated, CONCURRENTLY dropped: one transaction per tenant, no
#          bookkeeping), via xargs -P P.
#      Figure: tenants per minute (wall time of the whole fleet), ratio to the
#      floor (target: fleet >= 0.9x).
#   2. `schemagate serve --targets` with T targets (default 10,000, mostly
#      idle) spread over the N databases of (1): resident memory per target
#      (RSS with T targets minus RSS with one, over T-1), the time until every
#      target was read once, and the database connections the server holds
#      (pg_stat_activity, sampled every 200 ms) vs one per target.
# PostgreSQL runs with its default durability (PG_DURABLE=1), private port.
#
#   scripts/bench/fleet.sh [TENANTS] [PARALLEL] [TARGETS]    (after scripts/build.sh)
source "$(dirname "$0")/common.sh"
tenants=${1:-240}
parallel=${2:-8}
targets=${3:-10000}
features=${BENCH_FLEET_FEATURES:-core}
bin=build/bin/schemagate
S=fleet; R=fleet_serve
group="$tenants tenants ($features), $parallel at once"
FLEET="schemagate fleet migrate"
LOOP="shell loop of schemagate migrate (one at a time)"
XARGS="xargs -P $parallel schemagate migrate"
FLOOR="xargs -P $parallel psql -1 -f (floor)"

bench_build schemagate schemagate-fleet schemagate-server schemactl
bench_pg_start
work="$BENCH_DIR/fleet"
rm -rf "$work" && mkdir -p "$work"
"$bin" catalog --compact --features="$features" >"$work/catalog.json"
python3 scripts/bench/peers.py --catalog "$work/catalog.json" --tree migrations --out "$work/peers" >/dev/null
tables=$(python3 -c 'import json,sys; print(sum(len(c["tables"]) for c in json.load(open(sys.argv[1]))["clusters"]))' "$work/catalog.json")
migrations=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["apply_order"]))' "$work/catalog.json")

# N fresh databases named <prefix>_<i> (dropped first).
make_dbs() {
  local prefix=$1 i
  for i in $(seq 0 $((tenants - 1))); do
    echo "DROP DATABASE IF EXISTS ${prefix}_$i WITH (FORCE); CREATE DATABASE ${prefix}_$i;"
  done | psql -X -q -d "$PG_BASE/postgres" >/dev/null
}
drop_dbs() {
  local prefix=$1 i
  for i in $(seq 0 $((tenants - 1))); do echo "DROP DATABASE IF EXISTS ${prefix}_$i WITH (FORCE);"; done |
    psql -X -q -d "$PG_BASE/postgres" >/dev/null
}
for p in bf bl bx bp; do bench_on_exit "drop_dbs $p"; done
# Each method's result: every tenant holds exactly the catalog's tables.
check_tables() {
  local prefix=$1 i got bad=0
  for i in 0 $((tenants / 2)) $((tenants - 1)); do
    got=$(psql -X -At -d "$PG_BASE/${prefix}_$i" -c "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
    [[ $got == "$tables" ]] || { echo "$prefix: ${prefix}_$i has $got tables, the catalog $tables" >&2; bad=1; }
  done
  return $bad
}
per_minute() { python3 -c "print(round($tenants * 60000 / $1, 1))"; }

echo "fleet: creating $((tenants * 4)) databases" >&2
for p in bf bl bx bp; do make_dbs $p; done
{
  for i in $(seq 0 $((tenants - 1))); do
    printf 'target { id: "t%d" database_url: "%s/bf_%d" features: "%s" }\n' "$i" "$PG_BASE" "$i" "$features"
  done
} >"$work/targets.textproto"
for name in "$FLOOR" "$FLEET" "$XARGS" "$LOOP"; do order $S "$group" "$name"; done
set_unit $S "tenants per minute"
failed=()

echo "fleet: fleet migrate" >&2
if timed "$bin" fleet migrate --targets="$work/targets.textproto" --parallel="$parallel" \
     --progress-interval=0 --log-level=warning >"$work/fleet.out"; then
  check_tables bf || failed+=(fleet-tables)
  sample $S "$group" "$FLEET" "$(per_minute "$ELAPSED_MS")" "$FLOOR"
  fleet_ms=$ELAPSED_MS
else failed+=(fleet); fi

echo "fleet: psql floor" >&2
seq 0 $((tenants - 1)) >"$work/ids"
if timed xargs -P "$parallel" -I{} psql -X -q -1 -v ON_ERROR_STOP=1 -d "$PG_BASE/bp_{}" \
     -f "$work/peers/all.sql" <"$work/ids" >/dev/null; then
  check_tables bp || failed+=(floor-tables)
  sample $S "$group" "$FLOOR" "$(per_minute "$ELAPSED_MS")"
else failed+=(floor); fi

echo "fleet: xargs -P $parallel schemagate migrate" >&2
if timed xargs -P "$parallel" -I{} env DATABASE_URL="$PG_BASE/bx_{}" "$bin" migrate \
     --features="$features" --log-level=warning <"$work/ids"; then
  check_tables bx || failed+=(xargs-tables)
  sample $S "$group" "$XARGS" "$(per_minute "$ELAPSED_MS")" "$FLOOR"
else failed+=(xargs); fi

echo "fleet: shell loop" >&2
loop() {
  local i
  for i in $(seq 0 $((tenants - 1))); do
    DATABASE_URL="$PG_BASE/bl_$i" "$bin" migrate --features="$features" --log-level=warning || return 1
  done
}
if timed loop; then
  check_tables bl || failed+=(loop-tables)
  sample $S "$group" "$LOOP" "$(per_minute "$ELAPSED_MS")" "$FLOOR"
else failed+=(loop); fi

# A rerun of the fleet: every tenant up to date (one read each).
if timed "$bin" fleet migrate --targets="$work/targets.textproto" --parallel="$parallel" \
     --progress-interval=0 --log-level=warning >/dev/null; then
  note $S "- rerun of the fleet (every tenant up to date, one read each): $(per_minute "$ELAPSED_MS") tenants per minute ($ELAPSED_MS ms)"
fi
note $S "- $features: $migrations migrations, $tables tables per tenant; wall time of the whole fleet, each method on its own fresh databases of one server"
[[ ${#failed[@]} -eq 0 ]] || note $S "- FAILED: ${failed[*]}"

# --- 2. serve --targets with many mostly idle targets -------------------------
server_rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
server_hwm_kib() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }
connections() {
  psql -X -At -d "$PG_BASE/postgres" -c \
    "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'schemagate' AND backend_type = 'client backend'"
}
# Starts a server on the target set $1; sets SERVER_PID and SERVER_TARGET.
start_server() {
  rm -f "$work/port"
  build/bin/schemagate-server serve --listen=127.0.0.1:0 --port-file="$work/port" \
    --targets="$1" --fleet-pollers=4 --fleet-listeners=16 --fleet-poll-interval=30s \
    --log-level=warning 2>"$work/server.err" &
  SERVER_PID=$!
  for _ in $(seq 600); do [[ -s $work/port ]] && break; sleep 0.1; done
  SERVER_TARGET=127.0.0.1:$(cut -d' ' -f1 "$work/port")
}
stop_server() { kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null || true; }
# Waits until every target has been read once (schemactl targets --not-serving exits 0).
wait_all_read() {
  for _ in $(seq 1200); do
    build/bin/schemactl targets --not-serving --target="$SERVER_TARGET" --rpc-timeout=30s >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  return 1
}

{
  for i in $(seq 0 $((targets - 1))); do
    printf 'target { id: "x%d" database_url: "%s/bf_%d" features: "%s" }\n' "$i" "$PG_BASE" "$((i % tenants))" "$features"
  done
} >"$work/many.textproto"
head -1 "$work/many.textproto" >"$work/one.textproto"

start_server "$work/one.textproto"
wait_all_read || failed+=(serve-one)
sleep 2
rss_one=$(server_rss_kib "$SERVER_PID")
stop_server

start_server "$work/many.textproto"
max_conn=0
( while kill -0 "$SERVER_PID" 2>/dev/null; do connections; sleep 0.2; done ) >"$work/connections" &
sampler=$!
t0=$EPOCHREALTIME
wait_all_read || failed+=(serve-many)
t1=$EPOCHREALTIME
first_round_s=$(python3 -c "print(round($t1 - $t0, 1))")
# A few consumers ask about some targets: they get LISTEN connections.
for i in $(seq 0 9); do
  build/bin/schemactl check users --target="$SERVER_TARGET" --target-id="x$i" >/dev/null || true
done
sleep 35  # a full poll interval: every target read twice, the listeners up
rss_many=$(server_rss_kib "$SERVER_PID")
hwm_many=$(server_hwm_kib "$SERVER_PID")
listening=$(build/bin/schemactl targets --target="$SERVER_TARGET" --json 2>/dev/null |
  python3 -c 'import json,sys; print(sum(1 for t in json.load(sys.stdin)["targets"] if t.get("monitoring") == "listen"))')
stop_server
kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null || true
max_conn=$(sort -n "$work/connections" | tail -1)
per_target=$(python3 -c "print(round(($rss_many - $rss_one) * 1024 / ($targets - 1)))")
set_unit $R "value"
sample $R "$targets targets over $tenants databases" "RSS per target (bytes)" "$per_target"
sample $R "$targets targets over $tenants databases" "server RSS (MiB)" "$((rss_many / 1024))"
sample $R "$targets targets over $tenants databases" "server RSS with one target (MiB)" "$((rss_one / 1024))"
sample $R "$targets targets over $tenants databases" "database connections held (max)" "$max_conn" "one connection per target"
sample $R "$targets targets over $tenants databases" "one connection per target" "$targets"
sample $R "$targets targets over $tenants databases" "first read of every target (s)" "$first_round_s"
note $R "- --fleet-pollers=4 --fleet-listeners=16 --fleet-poll-interval=30s; 10 targets named by an RPC ($listening listened at the end); peak RSS $((hwm_many / 1024)) MiB"
[[ ${#failed[@]} -eq 0 ]] || note $R "- FAILED: ${failed[*]}"

if [[ $BENCH_STANDALONE == 1 ]]; then
  echo "Fleet migrate: tenants per minute"; echo
  $STATS table "$BENCH_SAMPLES" $S; echo
  echo "Serving a fleet"; echo
  $STATS table "$BENCH_SAMPLES" $R
fi
