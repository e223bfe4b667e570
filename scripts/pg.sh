#!/usr/bin/env bash
# A private PostgreSQL 15 server for tests, benchmarks and the main job.
#
#   scripts/pg.sh start DIR [PORT]   init (once) and start (URL in DIR/url)
#   scripts/pg.sh stop DIR           stop (fast shutdown)
#   scripts/pg.sh url DIR            print the URL of a started server
#
# PG_DURABLE=1 keeps PostgreSQL's default durability (fsync, synchronous
# commit); otherwise they are off, which suits tests.
#
# DIR holds the data directory (DIR/data), the socket, the log (DIR/log) and
# the connection URL (DIR/url, mode 600). PORT defaults to a free port picked
# at random. The superuser is "postgres" with a random password (scram);
# local socket connections are trusted. PostgreSQL refuses to run as root,
# so as root the server runs as the postgres user (runuser).
set -euo pipefail

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
cmd=${1:-}
dir=${2:-}
[[ -n "$cmd" && -n "$dir" ]] || { echo "usage: $0 start|stop|url DIR [PORT]" >&2; exit 2; }
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

source "$(dirname "${BASH_SOURCE[0]}")/lib/local.sh"  # as_pg, port_free

case "$cmd" in
  start)
    if [[ $(id -u) -eq 0 ]]; then
      id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
      chown postgres "$dir"
    fi
    if [[ ! -s "$dir/data/PG_VERSION" ]]; then
      password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=' )
      pwfile="$dir/.pw"
      (umask 077; printf '%s\n' "$password" > "$pwfile")
      [[ $(id -u) -eq 0 ]] && chown postgres "$pwfile"
      as_pg "$PG_BIN/initdb" -D "$dir/data" -U postgres --pwfile="$pwfile" \
        --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
      rm -f "$pwfile"
      (umask 077; printf '%s\n' "$password" > "$dir/password")
    fi
    password=$(cat "$dir/password")
    if [[ -f "$dir/data/postmaster.pid" ]] && as_pg "$PG_BIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
      echo "PostgreSQL already running (connection URL in $dir/url)"
      exit 0
    fi
    for attempt in 1 2 3 4 5 6 7 8; do
      port=${3:-$(( 20000 + RANDOM % 30000 ))}
      port_free "$port" || { [[ -n "${3:-}" ]] && { echo "port $port is in use" >&2; exit 1; }; continue; }
      durability="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
      [[ "${PG_DURABLE:-0}" == 1 ]] && durability=""
      if as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 start -o \
          "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$dir \
           -c max_connections=300 $durability -c shared_buffers=128MB" >/dev/null; then
        (umask 077; printf 'postgresql://postgres:%s@127.0.0.1:%s/postgres\n' "$password" "$port" > "$dir/url")
        printf '%s\n' "$port" > "$dir/port"
        echo "PostgreSQL started on 127.0.0.1:$port (connection URL in $dir/url)"
        exit 0
      fi
      [[ -n "${3:-}" ]] && break
    done
    echo "could not start PostgreSQL; see $dir/log" >&2
    tail -20 "$dir/log" >&2 || true
    exit 1
    ;;
  stop)
    if [[ -f "$dir/data/postmaster.pid" ]]; then
      as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
    fi
    ;;
  url)
    cat "$dir/url"
    ;;
  *)
    echo "usage: $0 start|stop|url DIR [PORT]" >&2
    exit 2
    ;;
esac
