#!/usr/bin/env bash
# Renders the pictures of the bundled tree's schema in docs/schema/ with
# Graphviz (Debian's graphviz; scripts/install-deps.sh installs it):
#   minimal.svg  the minimal build (core only)
#   full.svg     every feature
#   tasks.svg    the full build narrowed to the tasks cluster and what it references
# and the Mermaid source of the minimal build (minimal.mmd).
#
#   scripts/render-schema.sh [BUILD_DIR]    (default build/; needs the test variants,
#                                           i.e. a build with -DSCHEMAGATE_BUILD_TESTS=ON)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
minimal=$build/variants/minimal/schemagate
full=$build/variants/full/schemagate
for b in "$minimal" "$full"; do
  [[ -x $b ]] || { echo "render-schema: $b missing: build with -DSCHEMAGATE_BUILD_TESTS=ON" >&2; exit 2; }
done
command -v dot >/dev/null || { echo "render-schema: dot (graphviz) is not installed" >&2; exit 2; }
out=$root/docs/schema
mkdir -p "$out"
render() {  # binary, output, catalog flags...
  local bin=$1 file=$2
  shift 2
  "$bin" catalog --format=dot "$@" | dot -Tsvg -o "$out/$file"
  echo "docs/schema/$file: $(du -k "$out/$file" | cut -f1) KiB"
}
render "$minimal" minimal.svg
render "$full" full.svg
render "$full" tasks.svg --cluster=tasks --columns
"$minimal" catalog --format=mermaid >"$out/minimal.mmd"
echo "docs/schema/minimal.mmd: $(wc -l <"$out/minimal.mmd") lines"
