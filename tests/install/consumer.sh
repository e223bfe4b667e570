#!/usr/bin/env bash
# Steps of the consumer package tests (tests/CMakeLists.txt, "Consumer
# package" block). Each prints what it runs and fails with a message.
#
#   consumer.sh install <build dir> <prefix>
#       cmake --install of a build into a fresh <prefix>
#   consumer.sh min-package <source dir> <tree> <schemagate-gen> <work dir> <prefix>
#       a separate configure of the project with SCHEMAGATE_FEATURES=core, only
#       the development component built (prebuilt generator, no optimisation)
#       and installed into a fresh <prefix>
#   consumer.sh configure-build <project dir> <build dir> <prefix> [cmake args...]
#       configure a consumer project against the package in <prefix>, build it
#   consumer.sh expect-compile-failure <build dir> <target> <regex>
#       building <target> must fail, with a compiler error matching <regex>
set -euo pipefail

step="$1"
shift
case "$step" in
  install)
    build="$1" prefix="$2"
    rm -rf "$prefix"
    echo "+ cmake --install $build --prefix $prefix"
    cmake --install "$build" --prefix "$prefix"
    ;;
  min-package)
    src="$1" tree="$2" gen="$3" work="$4" prefix="$5"
    rm -rf "$prefix"
    # Reconfigure from scratch only when the cache is not ours (keeps reruns fast).
    cmake -S "$src" -B "$work" -DSCHEMAGATE_FEATURES=core -DSCHEMAGATE_BUILD_TESTS=OFF \
      "-DSCHEMAGATE_MIGRATIONS_DIR=$tree" "-DSCHEMAGATE_GENERATOR=$gen" \
      -DCMAKE_BUILD_TYPE=None
    cmake --build "$work" --target schemagate_development -j "${SCHEMAGATE_TEST_JOBS:-2}"
    echo "+ cmake --install $work --component development --prefix $prefix"
    cmake --install "$work" --component development --prefix "$prefix"
    ;;
  configure-build)
    project="$1" build="$2" prefix="$3"
    shift 3
    rm -rf "$build"
    cmake -S "$project" -B "$build" "-DCMAKE_PREFIX_PATH=$prefix" -DCMAKE_BUILD_TYPE=None "$@"
    cmake --build "$build" -j "${SCHEMAGATE_TEST_JOBS:-2}"
    ;;
  expect-compile-failure)
    build="$1" target="$2" regex="$3"
    set +e
    out="$(cmake --build "$build" --target "$target" 2>&1)"
    rc=$?
    set -e
    printf '%s\n' "$out"
    if [ "$rc" -eq 0 ]; then
      echo "FAIL: target $target compiled, but it must not with this package" >&2
      exit 1
    fi
    if ! grep -Eq -- "$regex" <<<"$out"; then
      echo "FAIL: target $target failed, but not with an error matching: $regex" >&2
      exit 1
    fi
    echo "OK: target $target does not compile, for the expected reason ($regex)"
    ;;
  *)
    echo "consumer.sh: unknown step $step" >&2
    exit 2
    ;;
esac
