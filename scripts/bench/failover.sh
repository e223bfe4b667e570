#!/usr/bin/env bash
# Failover: how long schemagate needs beyond Patroni. A two-node Patroni
# cluster (scripts/patroni.sh: etcd, a primary, an asynchronous replica) is
# switched over, or failed over by kill -9 of the primary's postmaster,
# while schemagate works against it through a multi-host URL
# (target_session_attrs=read-write). Measured from the moment the
# switchover (or kill) starts:
#   - the reference: the new primary answers (probed directly every 50 ms);
#   - `migrate` of a 600-migration plan under way: its first migration
#     committed on the new primary;
#   - `serve` under RPC load: health (schemagate.cluster.core) SERVING again;
#   - `migrate` pointed at the replica alone: its first migration once the
#     replica is promoted.
# Each run is tests/ha's ha_test (which also checks every migration applied
# exactly once and the schema against the history), RUNS times.
#
#   scripts/bench/failover.sh [RUNS]        (default 3)
#
# Needs the test build (scripts/build.sh -DSCHEMAGATE_BUILD_TESTS=ON) and
# Debian's patroni and etcd-server (scripts/install-deps.sh).
source "$(dirname "$0")/common.sh"
runs=${1:-3}
bench_build ha_test schemagate schemagate-server schemagate_variant_ha_long \
  schemagate_variant_engine_v1

S=failover
set_unit $S "s"
# The oracle's scratch databases: a test PostgreSQL of its own (not the
# benchmarks' durable one: nothing here is timed on it).
bash scripts/pg.sh start "$BENCH_DIR/ha-pg" >/dev/null
bench_on_exit "bash '$ROOT/scripts/pg.sh' stop '$BENCH_DIR/ha-pg'"
bash scripts/patroni.sh start "$BENCH_DIR/ha-patroni" >/dev/null
bench_on_exit "bash '$ROOT/scripts/patroni.sh' stop '$BENCH_DIR/ha-patroni'"

bad=0
for ((run = 1; run <= runs; run++)); do
  log=$BENCH_DIR/failover-$run.log
  if ! SCHEMAGATE_TEST_PG_URL_FILE=$BENCH_DIR/ha-pg/url \
       SCHEMAGATE_TEST_PATRONI_DIR=$BENCH_DIR/ha-patroni \
       SCHEMAGATE_BIN_DIR=$ROOT/build/bin SCHEMAGATE_VARIANTS_DIR=$ROOT/build/variants \
       SCHEMAGATE_SOURCE_DIR=$ROOT SCHEMAGATE_HA_TREE_DIR=$ROOT/build/tests/trees/ha_long \
       SCHEMAGATE_ENGINE_TREE_DIR=$ROOT/tests/testdata/trees/engine_v1 \
       build/tests/bin/ha_test >"$log" 2>&1; then
    echo "run $run: ha_test failed (see $log)" >&2
    bad=$((bad + 1))
  fi
  while IFS=$'\t' read -r group name ms; do
    group=${group#HA-SAMPLE }
    ref=""
    [[ $name == Patroni:* ]] || ref="Patroni: the new primary answers"
    sample $S "$group" "$name" "$(awk -v ms="$ms" 'BEGIN {printf "%.2f", ms / 1000}')" "$ref"
  done < <(grep '^HA-SAMPLE ' "$log")
done
note $S "- Times from the start of the switchover (patronictl switchover) or of the kill; Patroni: ttl 20 s, loop_wait 1 s, primary_start_timeout 0, asynchronous replication; the reference is when the new primary first answers pg_is_in_recovery() = false."
[[ $bad == 0 ]] || note $S "- $bad of $runs runs FAILED their checks (see build/bench/failover-N.log)"

if [[ $BENCH_STANDALONE == 1 ]]; then
  echo "Through a switchover and a failover of a two-node Patroni cluster (s)"; echo
  $STATS table "$BENCH_SAMPLES" $S
fi
