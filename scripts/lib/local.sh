# Shared by scripts/pg.sh, scripts/pgbouncer.sh and scripts/patroni.sh
# (source it; not run on its own).
#
#   as_pg CMD...     run CMD as the postgres user when root (PostgreSQL,
#                    PgBouncer and Patroni refuse to run as root), else as is
#   port_free PORT   true when nothing listens on 127.0.0.1:PORT

as_pg() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

port_free() {
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}
