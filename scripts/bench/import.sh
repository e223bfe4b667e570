#!/usr/bin/env bash
# Import: a flat history turned into a tree, and the imported tree applied,
# beside the flat history applied by its own means.
#
#   scripts/bench/import.sh RUNS [LABEL ...]      (default: bundled tree-1000)
#
# For each LABEL (bundled, or tree-N made by trees.sh), the tree is flattened
# into a Diesel folder (tests/import/flatten_tree.py: one flat migration per
# tree migration, in the build's apply order) with the map that splits it
# back, then measured:
#   import  `schemagate-gen import` of the flat folder (read, parse, assign,
#           and the generator's check of the whole tree and of each feature
#           alone), vs the generator checking the original tree (--check).
#   apply   `schemagate migrate` of a build of the imported tree into an
#           empty database, vs the flat folder applied as its tool would:
#           one `psql -1 -f up.sql` per migration (no -1 for the
#           no-transaction ones), in order. Same server, same run.
# The imported tree is built once per label in build/bench/build (as
# trees.sh builds trees); that build is not measured.
source "$(dirname "$0")/common.sh"
runs=${1:-3}
shift || true
labels=("$@")
[[ ${#labels[@]} -gt 0 ]] || labels=(bundled tree-1000)
gen=$ROOT/build/bin/schemagate-gen
bdir=$BENCH_DIR/build
work=$BENCH_DIR/import
mkdir -p "$work"
bench_pg_start

S=import
for label in "${labels[@]}"; do
  order $S "import (ms)" "$label"
  order $S "apply (ms)" "$label"
done

for label in "${labels[@]}"; do
  if [[ $label == bundled ]]; then
    tree=$ROOT/migrations
    bin=$ROOT/build/bin/schemagate
  else
    tree=$BENCH_DIR/trees/$label
    bin=$BENCH_DIR/trees/$label.schemagate
  fi
  [[ -x $bin ]] || { echo "import.sh: $bin missing (run trees.sh first)" >&2; exit 1; }
  flat=$work/$label/flat
  map=$work/$label/map.textproto
  python3 "$ROOT/tests/import/flatten_tree.py" --schemagate="$bin" --tree="$tree" \
    --format=diesel --out="$flat" --map="$map"
  n=$(find "$flat" -name up.sql | wc -l)

  for ((r = 0; r < runs; r++)); do
    rm -rf "$work/$label/tree"
    timed "$gen" import --format=diesel --source="$flat" --map="$map" --out="$work/$label/tree" >/dev/null
    sample $S "import (ms)" "$label" "$ELAPSED_MS" "$label check"
    timed "$gen" --tree="$tree" --features=all --check --dev-database=off
    sample $S "import (ms)" "$label check" "$ELAPSED_MS"
  done

  # A build of the imported tree (not measured).
  nice -n 10 cmake -S . -B "$bdir" -DCMAKE_BUILD_TYPE=Release -DSCHEMAGATE_BUILD_TESTS=OFF \
    -DSCHEMAGATE_TEST_VARIANTS=OFF -DSCHEMAGATE_MIGRATIONS_DIR="$work/$label/tree" >/dev/null
  nice -n 10 cmake --build "$bdir" --target schemagate -j"$(nproc)" >/dev/null
  cp "$bdir/bin/schemagate" "$work/$label/imported.schemagate"

  for ((r = 0; r < runs; r++)); do
    fresh_db bench_import
    timed env DATABASE_URL="$PG_BASE/bench_import" SCHEMAGATE_LOG_LEVEL=error \
      "$work/$label/imported.schemagate" migrate >/dev/null
    sample $S "apply (ms)" "$label" "$ELAPSED_MS" "$label psql per migration"
    fresh_db bench_import
    flat_apply() {
      local d
      # Diesel's order: the version (the name before the first '_') with
      # its dashes removed, so both version styles interleave by date.
      for d in $(for x in "$flat"/*/; do
                   b=$(basename "$x"); v=${b%%_*}; echo "${v//-/} $x"
                 done | sort | cut -d' ' -f2-); do
        if [[ -f $d/metadata.toml ]] && grep -q 'run_in_transaction = false' "$d/metadata.toml"; then
          psql -X -q -v ON_ERROR_STOP=1 -d "$PG_BASE/bench_import" -f "$d/up.sql" >/dev/null
        else
          psql -X -q -v ON_ERROR_STOP=1 -1 -d "$PG_BASE/bench_import" -f "$d/up.sql" >/dev/null
        fi
      done
    }
    timed flat_apply
    sample $S "apply (ms)" "$label psql per migration" "$ELAPSED_MS"
  done
  echo "$label: $n flat migrations imported and applied" >&2
done
note $S "- import: \`schemagate-gen import\` of the flattened tree (Diesel folder) vs \`schemagate-gen --check\` of the tree itself (the lint and catalog the import also runs, once per feature)"
note $S "- apply: \`schemagate migrate\` of the imported tree's build into an empty database vs one \`psql -1 -f\` per flat migration (the flat tool's own floor), same server"

if [[ $BENCH_STANDALONE == 1 ]]; then
  $STATS table "$BENCH_SAMPLES" $S
fi
