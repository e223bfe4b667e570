#!/usr/bin/env bash
# The container image, built and run (docs/OPERATIONS.md, "The image").
#
#   image_test.sh SOURCE_DIR BUILD_DIR                   label "image"
#     deploy/Dockerfile's runtime stage from BUILD_DIR's binaries
#     (scripts/image.sh --prebuilt) and the debian:12-slim reference stage
#   image_test.sh SOURCE_DIR BUILD_DIR --source=FEATURES label "image-source" (opt-in)
#     the whole Dockerfile: the build stage compiles SOURCE_DIR for FEATURES
#
# then, with `buildah run --isolation chroot` (a full `podman run` is refused
# by some sandboxes' rlimits; chroot isolation shares the host's network):
#   - the image runs as 65532:65532, has no shell, package manager or
#     HEALTHCHECK (and, prebuilt, is smaller than the slim reference);
#   - `schemagate migrate` from inside it applies every migration of the
#     image's catalog to a fresh database of the test PostgreSQL (the URL read
#     from a mounted secret file, as in the manifests), and a second run
#     finds nothing to do;
#   - `schemagate serve` from inside it answers health (SERVING: the database
#     is reachable and every enabled cluster migrated), CheckTables and
#     ListClusters from outside (BUILD_DIR's schemactl), runs as uid/gid
#     65532, and exits 0 on SIGTERM.
# Needs podman and buildah (scripts/install-deps.sh) and root; the `pg`
# fixture's URL in $SCHEMAGATE_TEST_PG_URL_FILE. Child output goes to
# $SCHEMAGATE_TEST_LOG_DIR, which the suite scans for secrets.
set -euo pipefail
src=$1
build=$2
source_features=""
[[ ${3:-} == --source=* ]] && source_features=${3#--source=}
log_dir=${SCHEMAGATE_TEST_LOG_DIR:-$build/tests/suite-log}
mkdir -p "$log_dir"
log=$log_dir/image_test${source_features:+_source}.log
: >"$log"
work=$(mktemp -d)
tag=localhost/schemagate:ctest-$$
slim_tag=localhost/schemagate:ctest-slim-$$
ctr="" mnt="" server_pid="" runner_pid=""
admin_url=$(cat "$SCHEMAGATE_TEST_PG_URL_FILE")
db=image_test_$$

fail() { echo "FAIL: $*" >&2; echo "--- log ($log):" >&2; tail -40 "$log" | cut -c1-400 >&2; exit 1; }
cleanup() {
  [[ -n $server_pid ]] && kill -KILL "$server_pid" 2>/dev/null || true
  [[ -n $runner_pid ]] && wait "$runner_pid" 2>/dev/null || true
  [[ -n $ctr ]] && buildah rm "$ctr" >/dev/null 2>&1 || true
  podman rmi -f "$tag" "$slim_tag" >/dev/null 2>&1 || true
  psql "$admin_url" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

for tool in podman buildah psql; do
  command -v $tool >/dev/null || fail "$tool is not installed (scripts/install-deps.sh)"
done
[[ $(id -u) -eq 0 ]] || fail "needs root (podman/buildah with chroot isolation)"

# --- Build -----------------------------------------------------------------------
build_image() {  # seconds-variable, size-variable, image.sh args...
  local -n seconds=$1 bytes=$2
  shift 2
  local t0 out
  t0=$(date +%s)
  out=$(bash "$src/scripts/image.sh" "$@" 2>>"$log") || fail "scripts/image.sh $* failed"
  seconds=$(( $(date +%s) - t0 ))
  bytes=$(awk '/^image: / { print $3 }' <<<"$out")
}
if [[ -n $source_features ]]; then
  build_image secs size --features="$source_features" --tag="$tag"
  echo "image ($source_features, from source): $((size / 1000)) kB in $secs s"
else
  build_image secs size --prebuilt="$build" --tag="$tag"
  build_image slim_secs slim_size --prebuilt="$build" --slim --tag="$slim_tag"
  features=$(sed -n 's/^SCHEMAGATE_FEATURES:STRING=//p' "$build/CMakeCache.txt")
  echo "image ($features): runtime $((size / 1000)) kB in $secs s; debian:12-slim reference $((slim_size / 1000)) kB in $slim_secs s"
  (( size < slim_size )) || fail "the runtime image ($size bytes) is not smaller than the slim reference ($slim_size)"
fi

# --- The image's configuration and contents ------------------------------------------
user=$(podman image inspect --format '{{.Config.User}}' "$tag")
[[ $user == 65532:65532 ]] || fail "image user is '$user', expected 65532:65532"
entrypoint=$(podman image inspect --format '{{json .Config.Entrypoint}}' "$tag")
[[ $entrypoint == '["schemagate"]' ]] || fail "entrypoint is $entrypoint"
healthcheck=$(podman image inspect --format '{{json .Config.Healthcheck}}' "$tag")
[[ $healthcheck == null || -z $healthcheck ]] || fail "the image has a HEALTHCHECK: $healthcheck"

ctr=$(buildah from --pull-never "$tag")
mnt=$(buildah mount "$ctr")
for f in bin/sh bin/bash usr/bin/apt-get usr/bin/dpkg; do
  [[ ! -e $mnt/$f ]] || fail "the runtime image has /$f"
done
grep -q '^schemagate:x:65532:65532:' "$mnt/etc/passwd" || fail "no user 65532 in /etc/passwd"
cp "$mnt/usr/share/schemagate/catalog.json" "$work/catalog.json"
if [[ -z $source_features ]]; then
  cmp -s "$mnt/usr/local/bin/schemagate" "$build/bin/schemagate" || fail "the image's schemagate is not this build's"
else
  python3 - "$work/catalog.json" "$source_features" <<'PY' || fail "the image was not built for --source features"
import json, sys
requested = json.load(open(sys.argv[1]))["requested_features"]
want = sys.argv[2].split(",")
assert want == ["all"] or sorted(requested) == sorted(want), (requested, want)
PY
fi
buildah umount "$ctr" >/dev/null

# The database URL as a mounted secret file, readable by the image's user only.
secret=$work/secret
mkdir -p "$secret"
psql "$admin_url" -v ON_ERROR_STOP=1 -qc "CREATE DATABASE $db" >>"$log" 2>&1 || fail "CREATE DATABASE"
python3 - "$admin_url" "$db" >"$secret/database-url" <<'PY'
import sys, urllib.parse
u = urllib.parse.urlsplit(sys.argv[1])
print(urllib.parse.urlunsplit(u._replace(path="/" + sys.argv[2])))
PY
chown -R 65532:65532 "$secret"
chmod 500 "$secret"
chmod 400 "$secret/database-url"
run=(buildah run --isolation chroot -v "$secret:/etc/schemagate/secret:ro" "$ctr" --)
url_flag=--database-url-file=/etc/schemagate/secret/database-url

# --- migrate from inside the image --------------------------------------------------
"${run[@]}" schemagate migrate "$url_flag" >>"$log" 2>&1 || fail "schemagate migrate in the image exited $?"
applied=$(psql "$(cat "$secret/database-url")" -Atqc "SELECT count(*) FROM schemagate.migrations" 2>>"$log") ||
  fail "no history table after migrate"
expected=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["apply_order"]))' "$work/catalog.json")
[[ $applied == "$expected" ]] || fail "migrate in the image applied $applied migrations, its catalog has $expected"
"${run[@]}" schemagate migrate "$url_flag" >>"$log" 2>&1 || fail "a second migrate exited $?"

# --- serve from inside the image, called from outside ---------------------------------
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"${run[@]}" schemagate serve "--listen=127.0.0.1:$port" "$url_flag" --shutdown-grace=5s >>"$log" 2>&1 &
runner_pid=$!
target=127.0.0.1:$port
status=""
for _ in $(seq 1 150); do
  if status=$("$build/bin/schemactl" health --target "$target" 2>&1); then break; fi
  kill -0 "$runner_pid" 2>/dev/null || fail "serve in the image exited: $status"
  sleep 0.2
done
[[ $status == *SERVING* && $status != *NOT_SERVING* ]] || fail "health from outside: $status"
server_pid=$(pgrep -f "schemagate-server serve --listen=127.0.0.1:$port" | head -1)
[[ -n $server_pid ]] || fail "no schemagate-server process for port $port"
uids=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$server_pid/status")
[[ $uids == "65532 65532 65532 65532" ]] || fail "the server runs with uids $uids, not 65532"
gids=$(awk '/^Gid:/ { print $2, $3, $4, $5 }' "/proc/$server_pid/status")
[[ $gids == "65532 65532 65532 65532" ]] || fail "the server runs with gids $gids, not 65532"
"$build/bin/schemactl" check --target "$target" users >>"$log" 2>&1 ||
  fail "CheckTables users from outside exited $?"
"$build/bin/schemactl" clusters --target "$target" --json >"$work/clusters.json" 2>>"$log" ||
  fail "ListClusters from outside failed"
python3 - "$work/clusters.json" "$work/catalog.json" <<'PY' >>"$log" 2>&1 ||
import json, sys
response = json.load(open(sys.argv[1]))
served = response["clusters"]
want = sorted(c["name"] for c in json.load(open(sys.argv[2]))["clusters"])
names = sorted(c["name"] for c in served)
assert names == want, (names, want)
assert response.get("database_reachable"), "database_reachable is false"
not_ready = [c["name"] for c in served if not c.get("migration", {}).get("ready")]
assert not not_ready, f"not ready: {not_ready}"
PY
  fail "ListClusters from the image's server does not match the image's catalog"
kill -TERM "$server_pid"
rc=0
wait "$runner_pid" || rc=$?
runner_pid="" server_pid=""
[[ $rc == 0 ]] || fail "serve in the image exited $rc on SIGTERM"
echo "image: migrate ($applied migrations), serve, health SERVING, CheckTables and ListClusters from outside, uid/gid 65532, exit 0 on SIGTERM: ok"
