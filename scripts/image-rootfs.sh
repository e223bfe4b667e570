#!/usr/bin/env bash
# Assembles the runtime image's root filesystem (deploy/Dockerfile's final
# stage is FROM scratch plus this tree): the binaries, exactly the shared
# libraries they load (what ldd resolves, under their sonames), and the few
# files a process needs: /etc/passwd and /etc/group with the non-root user
# 65532, nsswitch.conf, hosts, the CA bundle, an empty /tmp. For each Debian
# package a library comes from, its copyright file and its dpkg status
# (/var/lib/dpkg/status.d/<package>, as distroless images do) so that image
# scanners still know the versions. Runs on Debian 12 (the build stage, or a
# build machine of the same release for scripts/image.sh --prebuilt).
#
#   scripts/image-rootfs.sh DEST BIN_DIR
#     BIN_DIR holds schemagate, schemagate-server, schemagate-fleet and schemactl.
set -euo pipefail
[[ $# -eq 2 ]] || { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
dest=$1
bin_dir=$2
bins=("$bin_dir/schemagate" "$bin_dir/schemagate-server" "$bin_dir/schemagate-fleet" "$bin_dir/schemactl")
for b in "${bins[@]}"; do
  [[ -x $b ]] || { echo "image-rootfs: $b is missing" >&2; exit 2; }
done

rm -rf "$dest"
mkdir -p "$dest"/{usr/local/bin,usr/lib/x86_64-linux-gnu,usr/lib64,etc/ssl/certs,tmp} \
         "$dest"/{usr/share/schemagate,var/lib/dpkg/status.d,usr/share/doc}
chmod 1777 "$dest/tmp"
# Debian 12 is merged-/usr: /lib and /lib64 are links into /usr.
ln -s usr/lib "$dest/lib"
ln -s usr/lib64 "$dest/lib64"
install -m 0755 "${bins[@]}" "$dest/usr/local/bin/"

# Every library the binaries load (ldd follows DT_NEEDED transitively), under
# the name the loader looks for; and the loader itself.
mapfile -t libs < <(ldd "${bins[@]}" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | sort -u)
loader=$(ldd "$bin_dir/schemagate-server" | awk '$1 ~ /^\/.*ld-linux/ { print $1 }')
[[ -n $loader ]] || { echo "image-rootfs: no dynamic loader found by ldd" >&2; exit 1; }
for lib in "${libs[@]}"; do
  cp -L "$lib" "$dest/usr/lib/x86_64-linux-gnu/$(basename "$lib")"
done
cp -L "$loader" "$dest/usr/lib64/$(basename "$loader")"
echo /usr/lib/x86_64-linux-gnu >"$dest/etc/ld.so.conf"
ldconfig -r "$dest"

# The Debian packages those files come from: copyright and status.
packages=$(for f in "${libs[@]}" "$loader"; do
  dpkg -S "$(readlink -f "$f")" 2>/dev/null || dpkg -S "$f" 2>/dev/null || true
done | cut -d: -f1 | sort -u)
[[ -n $packages ]] || { echo "image-rootfs: dpkg knows none of the libraries" >&2; exit 1; }
for p in $packages; do
  dpkg-query -s "$p" >"$dest/var/lib/dpkg/status.d/$p"
  copyright=/usr/share/doc/$p/copyright
  if [[ -f $copyright ]]; then
    mkdir -p "$dest/usr/share/doc/$p"
    cp "$copyright" "$dest/usr/share/doc/$p/"
  fi
done
echo "$packages" >"$dest/usr/share/schemagate/runtime-packages.txt"
"$bin_dir/schemagate" catalog --compact >"$dest/usr/share/schemagate/catalog.json"

cat >"$dest/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/usr/sbin/nologin
schemagate:x:65532:65532:schemagate:/nonexistent:/usr/sbin/nologin
EOF
cat >"$dest/etc/group" <<'EOF'
root:x:0:
schemagate:x:65532:
EOF
cat >"$dest/etc/nsswitch.conf" <<'EOF'
passwd: files
group: files
hosts: files dns
services: files
EOF
printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$dest/etc/hosts"
if [[ -f /etc/ssl/certs/ca-certificates.crt ]]; then
  cp /etc/ssl/certs/ca-certificates.crt "$dest/etc/ssl/certs/"
fi

# The tree must be complete: each binary starts with only these libraries.
for b in schemagate schemagate-server schemagate-fleet schemactl; do
  if ! out=$("$dest/usr/lib64/$(basename "$loader")" --inhibit-cache \
        --library-path "$dest/usr/lib/x86_64-linux-gnu" "$dest/usr/local/bin/$b" --help 2>&1); then
    echo "image-rootfs: $b does not start from $dest: $out" >&2
    exit 1
  fi
done
echo "image-rootfs: $dest: ${#bins[@]} binaries, ${#libs[@]} libraries from $(wc -w <<<"$packages") packages, $(du -sh "$dest" | cut -f1)"
