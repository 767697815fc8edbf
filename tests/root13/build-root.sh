#!/bin/bash
# Builds the Debian 13 (trixie) root of the live tier: a directory tree made by debootstrap on this machine, with
# Debian 13's rootless Docker (docker.io 26.1, RootlessKit 2.0.2, passt 2025-05, slirp4netns 1.2.1), entered by the
# tests with a new mount namespace and pivot_root (a plain chroot cannot make a user namespace: the kernel refuses
# it to a chrooted process, and RootlessKit stops with "fork/exec /proc/self/exe: operation not permitted").
# No systemd runs there: the daemon is started as dockerd-rootless.sh's own environment would have it.
#
# usage: build-root.sh CACHE_DIR
# Prints the root's directory, named after a hash of this script, so a second run reuses it and a change rebuilds it.
# Needs root, debootstrap and the Debian mirror of /etc/apt/sources.list.d/debian.sources.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${1:?usage: build-root.sh CACHE_DIR}

# iproute2: RootlessKit's child adds the TAP device with `ip`; busybox-static makes the tests' one-binary image and
# their client; docker-cli holds trixie's client.
packages=docker.io,docker-cli,rootlesskit,passt,slirp4netns,uidmap,iptables,iproute2,procps,util-linux,busybox-static
user=alice

key=$(sha256sum "$here/build-root.sh" | cut -c1-16)
out="$cache/trixie-root-$key"
if [[ -f "$out/.built" ]]; then
    echo "build-root: reusing $out" >&2
    echo "$out"
    exit 0
fi
mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources)
[[ -n "$mirror" ]] || { echo "build-root: no URIs: line in /etc/apt/sources.list.d/debian.sources" >&2; exit 1; }
work="$out.tmp"
rm -rf "$work"
mkdir -p "$cache"
start=$SECONDS
echo "build-root: debootstrap trixie from $mirror into $work" >&2
debootstrap --variant=minbase --include="$packages" trixie "$work" "$mirror" >"$cache/trixie-root.log" 2>&1 || {
    tail -n 30 "$cache/trixie-root.log" >&2
    echo "build-root: debootstrap failed (full log: $cache/trixie-root.log)" >&2
    exit 1
}
# The user, with the subordinate ids useradd gives (100000:65536), and its runtime directory's parent.
chroot "$work" useradd -m -s /bin/bash "$user"
grep -q "^$user:" "$work/etc/subuid" || { echo "build-root: useradd gave $user no subuid line" >&2; exit 1; }
touch "$work/.built"
rm -rf "$out"
mv "$work" "$out"
echo "build-root: $out built in $((SECONDS - start)) s" >&2
echo "$out"
