#!/usr/bin/env bash
# Prints, as a markdown table, the size of the schemagate binary per feature
# set (stripped Release builds: build/bin/ for the default build, the
# variants linked by the test build in build/variants/<name>/, and the
# generated benchmark trees of scripts/bench/trees.sh if they were built)
# and the bytes of SQL (up.sql + down.sql) and of catalog each embeds. The
# reference is the minimal build (core only): what the engine costs.
#   scripts/binary-sizes.sh            (after scripts/build.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
targets=(schemagate schemagate-server)
for v in minimal tasks mail_people full; do targets+=(schemagate_variant_$v); done
[[ ${BENCH_NO_BUILD:-0} == 1 ]] || cmake --build build -j"$(nproc)" --target "${targets[@]}" >/dev/null

rows=()
for v in minimal tasks mail_people full; do
  rows+=("variant $v|build/variants/$v/schemagate|build/generated/$v/catalog.binpb|migrations")
done
rows+=("default (build/bin/schemagate)|build/bin/schemagate|build/generated/default/catalog.binpb|migrations")
rows+=("default server (build/bin/schemagate-server)|build/bin/schemagate-server|build/generated/default/catalog.binpb|migrations")
for b in $(ls build/bench/trees/tree-*.schemagate 2>/dev/null | sort -V); do
  l=$(basename "$b" .schemagate)
  rows+=("generated $l|$b|${b%.schemagate}.catalog.binpb|build/bench/trees/$l")
done

echo "| build | features | stripped | binary bytes | vs minimal | embedded SQL bytes | catalog bytes | tables |"
echo "|---|---|---|---|---|---|---|---|"
min_size=$(stat -c %s build/variants/minimal/schemagate)
for row in "${rows[@]}"; do
  IFS='|' read -r name bin catalog tree <<<"$row"
  [[ -x $bin ]] || continue
  describe=$bin  # schemagate-server has no `catalog` command: same catalog as schemagate
  [[ $bin == */schemagate-server ]] && describe=${bin%-server}
  size=$(stat -c %s "$bin")
  stripped=$(file -b "$bin" | grep -q 'not stripped' && echo no || echo yes)
  IFS=$'\t' read -r features sql tables < <("$describe" catalog --compact | python3 -c '
import json, os, sys
c = json.load(sys.stdin)
tree = sys.argv[1]
sql = sum(os.path.getsize(os.path.join(tree, m["path"])) +
          os.path.getsize(os.path.join(tree, m["path"][:-len("up.sql")] + "down.sql"))
          for x in c["clusters"] for m in x["migrations"])
f = c["features"]
print(",".join(f) if len(f) <= 4 else f"{len(f)} features", sql, sum(len(x["tables"]) for x in c["clusters"]), sep="\t")' "$tree")
  ratio=$(python3 -c "print(f'{$size / $min_size:.2f}x')")
  printf '| %s | %s | %s | %d | %s | %d | %d | %d |\n' "$name" "$features" "$stripped" "$size" "$ratio" \
    "$sql" "$(stat -c %s "$catalog")" "$tables"
done
