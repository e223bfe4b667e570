#!/usr/bin/env bash
# Builds the container image (deploy/Dockerfile) for one feature set.
#
#   scripts/image.sh [--features=LIST] [--tag=IMAGE] [--slim] [--engine=podman|docker]
#       the whole Dockerfile: install-deps + build from source in the build stage
#       (FEATURES=LIST, default all), then the FROM-scratch runtime stage
#   scripts/image.sh --prebuilt=BUILD_DIR [--tag=IMAGE] [--slim]
#       the runtime stage only, from the binaries of BUILD_DIR (a Release build on
#       Debian 12, e.g. build/): its rootfs is assembled here and replaces the build
#       stage (--build-context build=...). What the image CTest uses: minutes, not tens.
#   --slim  the "slim" stage instead: debian:12-slim + the libraries' packages, the
#           reference the runtime image's size is measured against
#
# Engines: docker when it answers (BuildKit), else podman. Podman builds with
# --isolation chroot (SCHEMAGATE_IMAGE_ISOLATION to change it), which also works
# where containers cannot be run (the rlimits of a sandbox). Base images come from
# the registry when one is reachable; otherwise debian:12 and debian:12-slim are
# made with mmdebstrap from Debian's archive (minbase, plus the slim images' path
# excludes) and cached in build/image/bases (SCHEMAGATE_IMAGE_OFFLINE=1|0 forces it).
# Prints the image name and size; the last line is "image: NAME SIZE_BYTES".
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
features="" prebuilt="" tag="" slim=0 engine=""
for arg in "$@"; do
  case $arg in
    --features=*) features=${arg#*=} ;;
    --prebuilt=*) prebuilt=$(cd "${arg#*=}" && pwd) ;;
    --tag=*) tag=${arg#*=} ;;
    --slim) slim=1 ;;
    --engine=*) engine=${arg#*=} ;;
    *) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
  esac
done
if [[ -n $prebuilt ]]; then
  [[ -z $features ]] || { echo "image.sh: --features and --prebuilt exclude each other (the build decides)" >&2; exit 2; }
  features=$(sed -n 's/^SCHEMAGATE_FEATURES:STRING=//p' "$prebuilt/CMakeCache.txt")
fi
features=${features:-all}
case $features in
  all) slug=full ;;
  core) slug=minimal ;;
  *) slug=${features//,/-} ;;
esac
[[ $slim == 1 ]] && slug=$slug-slim
tag=${tag:-localhost/schemagate:$slug}

if [[ -z $engine ]]; then
  if command -v docker >/dev/null && docker info >/dev/null 2>&1; then engine=docker; else engine=podman; fi
fi
command -v "$engine" >/dev/null || { echo "image.sh: $engine is not installed (scripts/install-deps.sh installs podman)" >&2; exit 2; }

offline=${SCHEMAGATE_IMAGE_OFFLINE:-}
if [[ -z $offline ]]; then
  offline=1
  if [[ $engine == docker ]] || getent hosts registry-1.docker.io >/dev/null 2>&1; then offline=0; fi
fi

args=(build -f "$root/deploy/Dockerfile" --build-arg "FEATURES=$features" -t "$tag")
if [[ $engine == podman ]]; then
  args+=(--isolation "${SCHEMAGATE_IMAGE_ISOLATION:-chroot}")
fi
[[ $slim == 1 ]] && args+=(--target slim)

# Offline bases: Debian's minbase (what debian:12 is) and the same with the
# slim images' excludes (docs, man pages, locales; copyright files kept).
base_image() {  # name, extra mmdebstrap args...
  local name=$1; shift
  local image=localhost/schemagate-base:$name
  if ! podman image exists "$image"; then
    local cache=$root/build/image/bases
    mkdir -p "$cache"
    if [[ ! -s $cache/$name.tar ]]; then
      echo "image.sh: making $image with mmdebstrap (Debian's archive)" >&2
      # As Debian's official images are made (debuerreotype): /usr merged
      # without the usrmerge package (which would pull in perl), and apt set
      # up as their docker-clean and docker-gzip-indexes files do (no package
      # caches or .debs left in layers, compressed indexes, no translations).
      mmdebstrap --variant=minbase --quiet --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
        --aptopt='Dir::Cache::pkgcache ""' --aptopt='Dir::Cache::srcpkgcache ""' \
        --aptopt='DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; }' \
        --aptopt='APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; }' \
        --aptopt='Acquire::GzipIndexes "true"' --aptopt='Acquire::Languages "none"' \
        "$@" bookworm "$cache/$name.tmp.tar" \
        "deb http://deb.debian.org/debian bookworm main" \
        "deb http://deb.debian.org/debian bookworm-updates main" \
        "deb http://deb.debian.org/debian-security bookworm-security main" \
        >"$cache/$name.log" 2>&1 || { cat "$cache/$name.log" >&2; return 1; }
      mv "$cache/$name.tmp.tar" "$cache/$name.tar"
    fi
    podman import --quiet "$cache/$name.tar" "$image" >/dev/null
  fi
  echo "$image"
}
if [[ $offline == 1 ]]; then
  [[ $engine == podman ]] || { echo "image.sh: offline bases need podman" >&2; exit 2; }
  args+=(--pull=never)
  if [[ -z $prebuilt ]]; then
    base=$(base_image bookworm)
    args+=(--build-arg "BASE=$base")
  fi
  if [[ $slim == 1 ]]; then
    slim_base=$(base_image bookworm-slim \
      --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
      --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/groff/*' \
      --dpkgopt='path-exclude=/usr/share/info/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
      --dpkgopt='path-exclude=/usr/share/lintian/*' --dpkgopt='path-exclude=/usr/share/linda/*')
    args+=(--build-arg "SLIM_BASE=$slim_base")
  fi
fi

if [[ -n $prebuilt ]]; then
  ctx=$prebuilt/image/context-$slug
  bash "$root/scripts/image-rootfs.sh" "$ctx/rootfs" "$prebuilt/bin" >&2
  args+=(--build-context "build=$ctx")
fi

echo "image.sh: $engine ${args[*]} $root" >&2
"$engine" "${args[@]}" "$root" >&2
size=$("$engine" image inspect --format '{{.Size}}' "$tag")
echo "image: $tag $size"
