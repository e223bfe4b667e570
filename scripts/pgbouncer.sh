#!/usr/bin/env bash
# A private PgBouncer in transaction pooling mode in front of a server that
# scripts/pg.sh started, for tests.
#
#   scripts/pgbouncer.sh start DIR PG_DIR   start (URL to its "postgres" db in DIR/url)
#   scripts/pgbouncer.sh stop DIR
#
# Clients authenticate with the PostgreSQL password (scram-sha-256); PgBouncer
# logs in to PostgreSQL with the same password. The pool is small
# (default_pool_size=4) so that several clients share server sessions, as in
# production. PgBouncer refuses to run as root: as root it runs as postgres.
set -euo pipefail

cmd=${1:-}
dir=${2:-}
[[ -n "$cmd" && -n "$dir" ]] || { echo "usage: $0 start DIR PG_DIR | stop DIR" >&2; exit 2; }
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

source "$(dirname "${BASH_SOURCE[0]}")/lib/local.sh"  # as_pg, port_free

case "$cmd" in
  start)
    pg_dir=${3:?PG_DIR}
    pg_port=$(cat "$pg_dir/port")
    password=$(cat "$pg_dir/password")
    command -v pgbouncer >/dev/null || PATH=$PATH:/usr/sbin
    [[ $(id -u) -eq 0 ]] && chown postgres "$dir"
    (umask 077; printf '"postgres" "%s"\n' "$password" > "$dir/userlist.txt")
    [[ $(id -u) -eq 0 ]] && chown postgres "$dir/userlist.txt"
    for attempt in 1 2 3 4 5 6 7 8; do
      port=$(( 20000 + RANDOM % 30000 ))
      port_free "$port" || continue
      cat > "$dir/pgbouncer.ini" <<EOF
[databases]
* = host=127.0.0.1 port=$pg_port
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
auth_type = scram-sha-256
auth_file = $dir/userlist.txt
pool_mode = transaction
default_pool_size = 4
max_client_conn = 500
server_idle_timeout = 30
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
EOF
      [[ $(id -u) -eq 0 ]] && chown postgres "$dir/pgbouncer.ini"
      if as_pg pgbouncer -d "$dir/pgbouncer.ini" 2>>"$dir/start.log"; then
        for _ in $(seq 50); do
          port_free "$port" || break
          sleep 0.1
        done
        if ! port_free "$port"; then
          (umask 077; printf 'postgresql://postgres:%s@127.0.0.1:%s/postgres\n' "$password" "$port" > "$dir/url")
          printf '%s\n' "$port" > "$dir/port"
          echo "PgBouncer (transaction pooling) on 127.0.0.1:$port -> PostgreSQL :$pg_port"
          exit 0
        fi
      fi
    done
    echo "could not start PgBouncer; see $dir/pgbouncer.log" >&2
    tail -20 "$dir/pgbouncer.log" "$dir/start.log" >&2 2>/dev/null || true
    exit 1
    ;;
  stop)
    if [[ -f "$dir/pgbouncer.pid" ]]; then
      kill "$(cat "$dir/pgbouncer.pid")" 2>/dev/null || true
      for _ in $(seq 50); do
        [[ -f "$dir/pgbouncer.pid" ]] && kill -0 "$(cat "$dir/pgbouncer.pid")" 2>/dev/null || break
        sleep 0.1
      done
    fi
    ;;
  *)
    echo "usage: $0 start DIR PG_DIR | stop DIR" >&2
    exit 2
    ;;
esac
