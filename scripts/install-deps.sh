#!/usr/bin/env bash
# Installs everything schemagate needs to build, test and run on Debian 12.
# Idempotent. Runs apt-get as root (directly, or through sudo).
set -euo pipefail

packages=(
  build-essential cmake pkg-config git ca-certificates
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libpqxx-dev libpg-query-dev libabsl-dev nlohmann-json3-dev libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  postgresql-15 postgresql-client-15
  python3 python3-grpcio python3-grpc-tools python3-yaml openssl
  clang libclang-rt-14-dev pgbouncer
  # `schemagate catalog --format=dot` rendered and checked (docs/GATING.md)
  graphviz
)
# The deployment test renders deploy/k8s with `kubectl kustomize`. Debian's
# kubernetes-client provides it; a kubectl already on the machine (e.g. from
# the Cloud SDK, which conflicts with that package) serves as well.
if ! command -v kubectl >/dev/null; then
  packages+=(kubernetes-client)
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
echo "install-deps: ${#packages[@]} packages present"
