#!/usr/bin/env bash
# Prints the size of the schemagate binary per feature set (stripped Release
# builds linked by the test build: build/variants/<name>/schemagate) and the
# bytes of SQL each embeds.
#   scripts/binary-sizes.sh            (after scripts/build.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
targets=()
for v in minimal tasks mail_people full; do targets+=(schemagate_variant_$v); done
cmake --build build -j"$(nproc)" --target "${targets[@]}" >/dev/null
printf '%-14s %12s %14s %14s %8s\n' build binary_bytes catalog_bytes sql_bytes tables
for v in minimal tasks mail_people full; do
  bin=build/variants/$v/schemagate
  catalog=build/generated/$v/catalog.binpb
  sql=$("$bin" sql | wc -c)
  down=$("$bin" sql --down | wc -c)
  tables=$("$bin" catalog --compact | python3 -c 'import json,sys; print(sum(len(c["tables"]) for c in json.load(sys.stdin)["clusters"]))')
  printf '%-14s %12d %14d %14d %8d\n' "$v" "$(stat -c %s "$bin")" "$(stat -c %s "$catalog")" $((sql + down)) "$tables"
done
