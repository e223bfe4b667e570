#!/usr/bin/env bash
# clang-format (Debian 12's clang-format 14, .clang-format: Google style, 100
# columns) over the project's C++ sources: server/, client/, tests/, examples/.
#
#   scripts/format.sh           rewrite the files in place
#   scripts/format.sh --check   exit 1 and list the files that are not formatted
#                               (run by scripts/test.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || {
  echo "format: clang-format is not installed (apt-get install clang-format)" >&2
  exit 2
}
mapfile -t files < <(git ls-files 'server/*.cc' 'server/*.h' 'client/*.cc' 'client/*.h' \
  'tests/*.cc' 'tests/*.h' 'examples/*.cc' 'examples/*.h' | grep -v '/testdata/')
if [[ ${1:-} == --check ]]; then
  bad=()
  for f in "${files[@]}"; do
    clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
  done
  if [[ ${#bad[@]} -gt 0 ]]; then
    echo "format: ${#bad[@]} file(s) not clang-formatted (run scripts/format.sh):" >&2
    printf '  %s\n' "${bad[@]}" >&2
    exit 1
  fi
  echo "format: ${#files[@]} files clang-formatted ($(clang-format --version | head -1))"
else
  clang-format -i "${files[@]}"
fi
