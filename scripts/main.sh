#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine: install packages, build the
# default features, start a local PostgreSQL 15 (data in .pg/ of this repo,
# private port), bring the "schemagate" database to the build's schema and
# describe it (schemagate migrate / status / verify), then serve the gRPC
# API in the foreground on 127.0.0.1:50051 (SCHEMAGATE_LISTEN; admin RPCs
# without a token, loopback only). Safe to run again: what is already
# applied is left alone.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

bash scripts/install-deps.sh
bash scripts/build.sh -DSCHEMAGATE_BUILD_TESTS=OFF "$@"

bash scripts/pg.sh start "$root/.pg"
server_url=$(cat "$root/.pg/url")
db_url="${server_url%/*}/schemagate"
if [[ -z $(psql -X -At -d "$server_url" -c "SELECT 1 FROM pg_database WHERE datname = 'schemagate'") ]]; then
  psql -X -q -d "$server_url" -c "CREATE DATABASE schemagate"
fi

export DATABASE_URL="$db_url"
build/bin/schemagate migrate
build/bin/schemagate status
build/bin/schemagate verify

build/bin/schemagate catalog --compact | python3 -c '
import json, sys
c = json.load(sys.stdin)
print("features:", ", ".join(c["features"]))
total = 0
for cl in c["clusters"]:
    total += len(cl["tables"])
    print("  %-16s %3d tables  %d migrations%s" % (cl["name"], len(cl["tables"]), len(cl["migrations"]), "  (bridge)" if cl["bridge"] else ""))
print("total: %d tables" % total)'
echo "main: PostgreSQL is running on $(cat "$root/.pg/port"); stop it with: bash scripts/pg.sh stop .pg"
listen=${SCHEMAGATE_LISTEN:-127.0.0.1:50051}
echo "main: serving schemagate.v1.SchemaGate on $listen (Ctrl-C stops; try: build/bin/schemactl clusters --target $listen)"
exec build/bin/schemagate serve --listen "$listen" --insecure-admin
