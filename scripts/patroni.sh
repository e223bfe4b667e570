#!/usr/bin/env bash
# A private highly available PostgreSQL 15 for tests: one etcd (Debian's
# etcd-server) and a two-node Patroni cluster (Debian's patroni), a primary
# and a streaming replica, on loopback ports picked at random, everything in
# DIR. Like scripts/pg.sh; as root every process runs as the postgres user
# (runuser), since PostgreSQL refuses to run as root.
#
#   scripts/patroni.sh start DIR            start etcd, pg1 and pg2; wait until pg1 leads and
#                                           pg2 streams from it (URLs in DIR, below)
#   scripts/patroni.sh stop DIR             stop both nodes and etcd (then kill what is left)
#   scripts/patroni.sh list DIR             patronictl list
#   scripts/patroni.sh leader DIR           the current leader's name (pg1 or pg2)
#   scripts/patroni.sh replica DIR          the other member's name
#   scripts/patroni.sh switchover DIR       planned switchover to the replica (patronictl)
#   scripts/patroni.sh kill-primary DIR     kill -9 the leader's postmaster (Patroni fails over:
#                                           primary_start_timeout is 0)
#   scripts/patroni.sh wait-healthy DIR [S] until a leader answers read-write and the other
#                                           member streams from it (default 120 s)
#
# Files: DIR/url (multi-host URL, target_session_attrs=read-write, to the
# "postgres" database), DIR/pg1/url and DIR/pg2/url (one host each, no
# target_session_attrs), DIR/password (the superuser's), DIR/pg1/port,
# DIR/pg2/port, DIR/patronictl.yml, logs in DIR/etcd.log and DIR/pgN/patroni.log.
#
# Timing (bootstrap.dcs): ttl 20 s, loop_wait 1 s, retry_timeout 5 s,
# primary_start_timeout 0 (a crashed primary fails over instead of being
# restarted in place), use_pg_rewind (the old primary rejoins as a replica).
# Durability: fsync off (tests; a process crash loses nothing fsync would
# keep), synchronous_commit and replication asynchronous as PostgreSQL's
# defaults, full_page_writes on (pg_rewind needs it).
set -euo pipefail

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PATRONI=${PATRONI:-/usr/bin/patroni}
PATRONICTL=${PATRONICTL:-/usr/bin/patronictl}
ETCD=${ETCD:-/usr/bin/etcd}
cmd=${1:-}
dir=${2:-}
[[ -n "$cmd" && -n "$dir" ]] || { sed -n '2,28p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

source "$(dirname "${BASH_SOURCE[0]}")/lib/local.sh"  # as_pg, port_free
# Six distinct free ports.
pick_ports() {
  local -a picked=()
  while [[ ${#picked[@]} -lt 6 ]]; do
    # Below Linux's ephemeral ports (32768+) and scripts/pg.sh's (20000+).
    local p=$(( 10000 + RANDOM % 10000 ))
    [[ " ${picked[*]} " == *" $p "* ]] && continue
    port_free "$p" && picked+=("$p")
  done
  echo "${picked[@]}"
}
ctl() { "$PATRONICTL" -c "$dir/patronictl.yml" "$@"; }

# A process started in the background as postgres, its pid in PIDFILE (the
# shell execs the program, so the pid is the program's own).
spawn() {
  local pidfile=$1 log=$2
  shift 2
  as_pg setsid bash -c 'echo $$ > "$0"; exec "$@"' "$pidfile" "$@" >>"$log" 2>&1 </dev/null &
  for _ in $(seq 50); do
    [[ -s "$pidfile" ]] && return 0
    sleep 0.1
  done
  echo "could not start $1" >&2
  return 1
}

alive() { [[ -s "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

# psql -At against one node's socket.
node_sql() {
  local node=$1 sql=$2
  PGCONNECT_TIMEOUT=2 as_pg "$PG_BIN/psql" -X -At -h "$dir/$node" -p "$(cat "$dir/$node/port")" \
    -U postgres -d postgres -c "$sql" 2>/dev/null
}

leader() {
  local n
  for n in pg1 pg2; do
    [[ $(node_sql "$n" "SELECT pg_is_in_recovery()" || true) == f ]] && { echo "$n"; return 0; }
  done
  return 1
}

# True when a leader answers read-write and the other node streams from it.
healthy() {
  local l r
  l=$(leader) || return 1
  r=$([[ $l == pg1 ]] && echo pg2 || echo pg1)
  [[ $(node_sql "$l" "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'" || true) == 1 ]] || return 1
  [[ $(node_sql "$r" "SELECT pg_is_in_recovery()" || true) == t ]] || return 1
  # Patroni agrees (the replica is a running member, not still rejoining).
  ctl list -f json 2>/dev/null | /usr/bin/python3 -c '
import json, sys
members = json.load(sys.stdin)
roles = sorted(m["Role"] for m in members if m.get("State") in ("running", "streaming"))
sys.exit(0 if roles == ["Leader", "Replica"] else 1)'
}

wait_healthy() {
  local timeout=${1:-120} n
  for _ in $(seq $(( timeout * 5 ))); do
    healthy && return 0
    for n in pg1 pg2; do
      if [[ -f "$dir/$n/patroni.pid" ]] && ! alive "$dir/$n/patroni.pid"; then
        echo "Patroni of $n is not running; see $dir/$n/patroni.log" >&2
        return 1
      fi
    done
    sleep 0.2
  done
  echo "the Patroni cluster in $dir is not healthy after ${timeout}s:" >&2
  ctl list >&2 2>&1 || true
  for n in pg1 pg2; do tail -15 "$dir/$n/patroni.log" >&2 2>/dev/null || true; done
  return 1
}

node_config() {
  local node=$1 pg_port=$2 rest_port=$3 etcd_port=$4
  cat > "$dir/$node.yml" <<EOF
scope: schemagate-test
name: $node
log:
  level: INFO
restapi:
  listen: 127.0.0.1:$rest_port
  connect_address: 127.0.0.1:$rest_port
etcd3:
  hosts: 127.0.0.1:$etcd_port
bootstrap:
  dcs:
    ttl: 20
    loop_wait: 1
    retry_timeout: 5
    maximum_lag_on_failover: 16777216
    primary_start_timeout: 0
    postgresql:
      use_pg_rewind: true
      use_slots: true
      parameters:
        max_connections: 200
        max_wal_senders: 5
        max_replication_slots: 5
        wal_keep_size: 256MB
        hot_standby: "on"
        wal_log_hints: "on"
  initdb:
    - encoding: UTF8
    - locale: C.UTF-8
    - auth-local: trust
    - auth-host: scram-sha-256
  pg_hba:
    - local all all trust
    - host replication replicator 127.0.0.1/32 scram-sha-256
    - host all all 127.0.0.1/32 scram-sha-256
postgresql:
  listen: 127.0.0.1:$pg_port
  connect_address: 127.0.0.1:$pg_port
  data_dir: $dir/$node/data
  bin_dir: $PG_BIN
  pgpass: $dir/$node/pgpass
  remove_data_directory_on_rewind_failure: true
  remove_data_directory_on_diverged_timelines: true
  authentication:
    superuser:
      username: postgres
      password: '$password'
    replication:
      username: replicator
      password: '$replication_password'
    rewind:
      username: postgres
      password: '$password'
  parameters:
    unix_socket_directories: '$dir/$node'
    fsync: "off"
    shared_buffers: 32MB
    log_min_messages: warning
watchdog:
  mode: "off"
tags:
  nofailover: false
  noloadbalance: false
  clonefrom: false
  nosync: false
EOF
  chmod 600 "$dir/$node.yml"
}

stop_all() {
  local pidfile
  for n in pg1 pg2; do
    pidfile=$dir/$n/patroni.pid
    alive "$pidfile" && kill -TERM "$(cat "$pidfile")" 2>/dev/null || true
  done
  for _ in $(seq 300); do
    alive "$dir/pg1/patroni.pid" || alive "$dir/pg2/patroni.pid" || break
    sleep 0.1
  done
  for n in pg1 pg2; do
    pidfile=$dir/$n/patroni.pid
    alive "$pidfile" && kill -KILL "$(cat "$pidfile")" 2>/dev/null || true
    # A postmaster Patroni left behind.
    if [[ -s "$dir/$n/data/postmaster.pid" ]]; then
      as_pg "$PG_BIN/pg_ctl" -D "$dir/$n/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -f "$pidfile"
  done
  if alive "$dir/etcd.pid"; then
    kill -TERM "$(cat "$dir/etcd.pid")" 2>/dev/null || true
    for _ in $(seq 50); do alive "$dir/etcd.pid" || break; sleep 0.1; done
    alive "$dir/etcd.pid" && kill -KILL "$(cat "$dir/etcd.pid")" 2>/dev/null || true
  fi
  rm -f "$dir/etcd.pid"
}

# One attempt at `start`; false when any part fails (the caller stops
# whatever did start).
start_cluster() {
  stop_all
  rm -rf "${dir:?}/etcd" "${dir:?}/pg1" "${dir:?}/pg2" "${dir:?}/url" "${dir:?}/password"
  mkdir -p "$dir/pg1" "$dir/pg2"
  password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
  replication_password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
  local etcd_port peer_port pg1_port pg2_port rest1_port rest2_port _
  read -r etcd_port peer_port pg1_port pg2_port rest1_port rest2_port <<<"$(pick_ports)"
  node_config pg1 "$pg1_port" "$rest1_port" "$etcd_port"
  node_config pg2 "$pg2_port" "$rest2_port" "$etcd_port"
  printf 'scope: schemagate-test\netcd3:\n  hosts: 127.0.0.1:%s\n' "$etcd_port" > "$dir/patronictl.yml"
  echo "$pg1_port" > "$dir/pg1/port"
  echo "$pg2_port" > "$dir/pg2/port"
  if [[ $(id -u) -eq 0 ]]; then chown -R postgres "$dir"; fi
  spawn "$dir/etcd.pid" "$dir/etcd.log" "$ETCD" --name sg --data-dir "$dir/etcd" \
    --listen-client-urls "http://127.0.0.1:$etcd_port" \
    --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$peer_port" \
    --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
    --initial-cluster "sg=http://127.0.0.1:$peer_port" \
    --initial-cluster-state new --snapshot-count 10000 --quota-backend-bytes 268435456 ||
    return 1
  for _ in $(seq 100); do
    port_free "$etcd_port" || break
    alive "$dir/etcd.pid" || return 1
    sleep 0.1
  done
  port_free "$etcd_port" && return 1
  # pg1 bootstraps and leads; pg2 then clones it.
  spawn "$dir/pg1/patroni.pid" "$dir/pg1/patroni.log" "$PATRONI" "$dir/pg1.yml" || return 1
  for _ in $(seq 600); do
    [[ $(node_sql pg1 "SELECT pg_is_in_recovery()" || true) == f ]] && break
    alive "$dir/pg1/patroni.pid" || return 1
    sleep 0.1
  done
  [[ $(node_sql pg1 "SELECT pg_is_in_recovery()" || true) == f ]] || return 1
  spawn "$dir/pg2/patroni.pid" "$dir/pg2/patroni.log" "$PATRONI" "$dir/pg2.yml" || return 1
  wait_healthy 120 || return 1
  (umask 077
   printf '%s\n' "$password" > "$dir/password"
   printf 'postgresql://postgres:%s@127.0.0.1:%s,127.0.0.1:%s/postgres?target_session_attrs=read-write\n' \
     "$password" "$pg1_port" "$pg2_port" > "$dir/url"
   for n in pg1 pg2; do
     printf 'postgresql://postgres:%s@127.0.0.1:%s/postgres\n' "$password" "$(cat "$dir/$n/port")" > "$dir/$n/url"
   done)
  echo "Patroni cluster up: leader $(leader) (pg1 127.0.0.1:$pg1_port, pg2 127.0.0.1:$pg2_port, etcd :$etcd_port); URL in $dir/url"
}

case "$cmd" in
  start)
    for tool in "$PATRONI" "$PATRONICTL" "$ETCD"; do
      [[ -x $tool ]] || { echo "$tool is missing: apt-get install patroni etcd-server" >&2; exit 1; }
    done
    if [[ $(id -u) -eq 0 ]]; then
      id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
    fi
    # A port picked free may be taken before its server binds it: then
    # everything starts again on other ports.
    for attempt in 1 2 3; do
      start_cluster && exit 0
      echo "attempt $attempt to start the Patroni cluster failed:" >&2
      for f in "$dir/etcd.log" "$dir/pg1/patroni.log" "$dir/pg2/patroni.log"; do
        if [[ -f $f ]]; then echo "--- $f" >&2; tail -15 "$f" >&2; fi
      done
    done
    stop_all
    exit 1
    ;;
  stop)
    stop_all
    ;;
  list)
    ctl list
    ;;
  leader)
    leader
    ;;
  replica)
    l=$(leader)
    [[ $l == pg1 ]] && echo pg2 || echo pg1
    ;;
  switchover)
    l=$(leader)
    r=$([[ $l == pg1 ]] && echo pg2 || echo pg1)
    # patronictl exits 0 when Patroni refuses ("Switchover failed, details:
    # 412/503 ..."), as it does when the leader's call to the candidate's
    # REST API times out on a loaded machine: then, with the cluster healthy
    # again, it is asked again (3 times at most).
    for attempt in 1 2 3; do
      out=$(ctl switchover --leader "$l" --candidate "$r" --force schemagate-test 2>&1) || true
      echo "$out"
      if ! grep -q 'failed, details' <<<"$out"; then
        [[ $(leader || true) != "$l" ]] && exit 0
        # Not refused, and the old leader still answers read-write: wait for
        # the promotion a little before calling it failed.
        for _ in $(seq 100); do
          [[ $(leader || true) == "$l" ]] || exit 0
          sleep 0.2
        done
      fi
      echo "switchover attempt $attempt did not move the leader off $l" >&2
      wait_healthy 60 || exit 1
      [[ $(leader || true) == "$l" ]] || exit 0
    done
    exit 1
    ;;
  kill-primary)
    l=$(leader)
    pid=$(head -1 "$dir/$l/data/postmaster.pid")
    kill -KILL "$pid"
    echo "killed the postmaster of $l (pid $pid)"
    ;;
  wait-healthy)
    wait_healthy "${3:-120}"
    ;;
  *)
    sed -n '2,28p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
