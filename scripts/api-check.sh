#!/usr/bin/env bash
# The gRPC API contract, checked with buf (docs/SERVICE.md, "The API contract").
#
#   scripts/api-check.sh lint             buf lint of proto/ (rules and exceptions: proto/buf.yaml)
#   scripts/api-check.sh breaking         buf breaking of proto/ against the committed baseline
#                                         (proto/api-baseline.binpb, exported at the commit in
#                                         proto/API_BASELINE)
#   scripts/api-check.sh selftest         a copy of proto/ with wire- and source-incompatible
#                                         edits must fail `breaking` with the expected rules
#   scripts/api-check.sh update-baseline  export proto/ as committed at HEAD as the new baseline
#                                         (deliberate: commit both files with a reason)
#
# buf: $BUF, else build/tools/buf (scripts/install-deps.sh installs npm @bufbuild/buf there),
# else buf on PATH. protoc/CMake generate the code; buf only checks.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
proto=$root/proto
baseline=$proto/api-baseline.binpb

buf=${BUF:-}
if [[ -z $buf ]]; then
  if [[ -x $root/build/tools/buf/node_modules/.bin/buf ]]; then
    buf=$root/build/tools/buf/node_modules/.bin/buf
  elif command -v buf >/dev/null; then
    buf=$(command -v buf)
  else
    echo "api-check: buf is not installed; run scripts/install-deps.sh (installs it into build/tools/buf)" >&2
    exit 2
  fi
fi
# buf caches modules under $XDG_CACHE_HOME or ~/.cache; keep it in the build tree.
export BUF_CACHE_DIR=${BUF_CACHE_DIR:-$root/build/tools/buf-cache}

case ${1:-} in
  lint)
    cd "$proto"
    "$buf" lint
    echo "buf lint: clean ($("$buf" --version))"
    ;;
  breaking)
    [[ -f $baseline ]] || { echo "api-check: no baseline $baseline" >&2; exit 2; }
    cd "$proto"
    "$buf" breaking --against "$baseline"
    echo "buf breaking: compatible with the baseline of $(head -1 "$proto/API_BASELINE")"
    ;;
  selftest)
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    cp -r "$proto" "$tmp/proto"
    f=$tmp/proto/schemagate/v1/schemagate.proto
    # Three incompatible edits: an RPC removed, a field renumbered, a field renamed.
    python3 - "$f" <<'PY'
import re, sys
path = sys.argv[1]
s = open(path).read()
edits = [
    (r"\n  rpc RepairChecksums\(RepairChecksumsRequest\) returns \(RepairChecksumsResponse\);", ""),
    (r"(message CheckTablesRequest \{[^}]*?repeated string tables = )1;", r"\g<1>99;"),
    (r"(message ValidateJoinRequest \{[^}]*?)\btables\b", r"\g<1>table_names"),
]
for pattern, repl in edits:
    s, n = re.subn(pattern, repl, s, count=1, flags=re.S)
    if n != 1:
        sys.exit(f"selftest: edit {pattern!r} did not apply; update the selftest")
open(path, "w").write(s)
PY
    cd "$tmp/proto"
    if out=$("$buf" breaking --against "$baseline" --error-format=json 2>&1); then
      echo "api-check selftest: buf breaking accepted an incompatible API" >&2
      exit 1
    fi
    missing=0
    for rule in RPC_NO_DELETE FIELD_SAME_NAME FIELD_NO_DELETE; do
      if ! grep -q "\"type\":\"$rule\"" <<<"$out"; then
        echo "api-check selftest: expected a $rule finding; got:" >&2
        echo "$out" >&2
        missing=1
      fi
    done
    [[ $missing == 0 ]] || exit 1
    echo "buf breaking rejects an incompatible copy: $(wc -l <<<"$out") findings (RPC_NO_DELETE, FIELD_SAME_NAME, FIELD_NO_DELETE, ...)"
    ;;
  update-baseline)
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    head=$(git -C "$root" rev-parse HEAD)
    git -C "$root" archive HEAD proto | tar -x -C "$tmp"
    "$buf" build "$tmp/proto" --exclude-source-info -o "$baseline"
    printf '%s\n%s\n' "$head" \
      "proto/ as committed at this commit; written by scripts/api-check.sh update-baseline on $(date -u +%Y-%m-%d)" \
      >"$proto/API_BASELINE"
    echo "new baseline: $baseline ($head); commit it with the reason the API changed"
    ;;
  *)
    sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
