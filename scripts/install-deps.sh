#!/usr/bin/env bash
# Installs everything schemagate needs to build, test and run on Debian 12.
# Idempotent. Runs apt-get as root (directly, or through sudo).
#
#   scripts/install-deps.sh               build + test + operations tools (the README's commands)
#   scripts/install-deps.sh --build-only  what a build needs (deploy/Dockerfile's build stage)
#
# Besides Debian packages, the full set installs buf (npm @bufbuild/buf,
# pinned below) into build/tools/buf of this checkout, not globally: the API
# contract check (scripts/api-check.sh) runs it from there.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
mode=all
case ${1:-} in
  "") ;;
  --build-only) mode=build ;;
  *) echo "usage: $0 [--build-only]" >&2; exit 2 ;;
esac

# What a build needs (tests off): compilers, the libraries, protoc, and
# PostgreSQL's server binaries for the generator's dev database (started only
# for trees that need it).
packages=(
  build-essential cmake pkg-config git ca-certificates
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libpqxx-dev libpg-query-dev libabsl-dev nlohmann-json3-dev libssl-dev
  prometheus-cpp-dev
  postgresql-15 postgresql-client-15 python3 openssl
)
if [[ $mode == all ]]; then
  packages+=(
    # Tests, benchmarks, sanitizers and fuzzing, the Python client, PgBouncer
    libgtest-dev libgmock-dev libbenchmark-dev
    python3-grpcio python3-grpc-tools python3-yaml
    clang libclang-rt-14-dev pgbouncer
    # The formatting check of the test command (scripts/format.sh --check)
    clang-format
    # The HA tests: etcd and a two-node Patroni cluster (scripts/patroni.sh)
    patroni etcd-server
    # `schemagate catalog --format=dot` rendered and checked (docs/GATING.md)
    graphviz
    # promtool: the metrics and alert rules checked (docs/OPERATIONS.md)
    prometheus
    # The container image built and run without a registry (scripts/image.sh):
    # a Debian base from mmdebstrap, built by podman/buildah with chroot isolation.
    podman buildah mmdebstrap
  )
  # The deployment test renders deploy/k8s with `kubectl kustomize`. Debian's
  # kubernetes-client provides it; a kubectl already on the machine (e.g. from
  # the Cloud SDK, which conflicts with that package) serves as well.
  if ! command -v kubectl >/dev/null; then
    packages+=(kubernetes-client)
  fi
  # npm installs buf; a Node.js already on the machine (e.g. NodeSource's,
  # which conflicts with Debian's npm) serves as well.
  if ! command -v npm >/dev/null; then
    packages+=(npm)
  fi
fi

as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

export DEBIAN_FRONTEND=noninteractive
as_root apt-get update -qq
as_root apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
# Debian starts a "main" cluster where it can; ours are private, so stop it.
if command -v pg_lsclusters >/dev/null && pg_lsclusters -h 2>/dev/null | grep -q online; then
  as_root pg_ctlcluster 15 main stop || true
fi
# Likewise etcd-server's system service: the HA tests start their own etcd
# (scripts/patroni.sh) on private ports.
if command -v systemctl >/dev/null && systemctl is-active --quiet etcd 2>/dev/null; then
  as_root systemctl disable --now etcd || true
fi
echo "install-deps: ${#packages[@]} packages present"

if [[ $mode == all ]]; then
  buf_version=1.75.0
  buf=$root/build/tools/buf/node_modules/.bin/buf
  if [[ ! -x $buf || $("$buf" --version 2>/dev/null) != "$buf_version" ]]; then
    npm install --silent --no-audit --no-fund --prefix "$root/build/tools/buf" \
      "@bufbuild/buf@$buf_version" >/dev/null
  fi
  echo "install-deps: buf $("$buf" --version) in build/tools/buf"
fi
