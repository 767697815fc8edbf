#!/bin/bash
# Builds a base image of the VM tier, Debian 12 (bookworm) or Debian 13 (trixie): a raw ext4 disk (no partition
# table, booted with the kernel and initrd that sit beside it), made by debootstrap and `mkfs.ext4 -d` (no loop
# device, no mount).
#
# usage: build-image.sh CACHE_DIR [bookworm|trixie]     (the release defaults to bookworm)
# Prints the directory holding base.raw, vmlinuz and initrd.img. That directory is named after the release and a
# hash of this script and configure-rootfs.sh (which hold the package lists and every change made to the rootfs),
# so a second run with the same inputs reuses it, and any change to them builds a new image.
# Needs root, debootstrap, e2fsprogs and the Debian mirror of /etc/apt/sources.list.d/debian.sources.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${1:?usage: build-image.sh CACHE_DIR [bookworm|trixie]}
release=${2:-bookworm}

# The packages of the image. dbus-user-session and libpam-systemd give the user a systemd user manager and bus
# through a real login; docker.io, rootlesskit, uidmap and slirp4netns are what dockerd-rootless.sh runs; apparmor
# loads the profiles of the apparmor scenario (the Debian kernels enable AppArmor by default); busybox-static makes the
# net scenario's one-binary image and its client.
packages=systemd,systemd-sysv,dbus,dbus-user-session,libpam-systemd,linux-image-amd64,uidmap,docker.io,rootlesskit,slirp4netns,fuse-overlayfs,iptables,openssh-server,openssh-client,sudo,iproute2,procps,kmod,util-linux,apparmor,busybox-static
case $release in
bookworm) ;;
# trixie: RootlessKit 2.0.2 and docker.io 26.1.5, whose client is split out into docker-cli; passt gives pasta,
# the network driver RootlessKit 1 lacks; curl reads RootlessKit's API socket in the scenario.
trixie) packages=$packages,docker-cli,passt,curl ;;
*)
    echo "build-image: unknown release $release (bookworm or trixie)" >&2
    exit 1
    ;;
esac

key=$( (cat "$here/build-image.sh" "$here/configure-rootfs.sh" "$here/vm-payload.service" "$here/vm-payload.sh") | sha256sum | cut -c1-16)
out="$cache/$release-$key"
if [[ -f "$out/base.raw" && -f "$out/vmlinuz" && -f "$out/initrd.img" ]]; then
    echo "build-image: reusing $out" >&2
    echo "$out"
    exit 0
fi

mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources)
[[ -n "$mirror" ]] || { echo "build-image: no URIs: line in /etc/apt/sources.list.d/debian.sources" >&2; exit 1; }

work="$cache/$release-$key.tmp"
rm -rf "$work"
mkdir -p "$work"
start=$SECONDS
echo "build-image: debootstrap $release from $mirror into $work/rootfs" >&2
debootstrap --variant=minbase --include="$packages" "$release" "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 || {
    tail -n 30 "$work/debootstrap.log" >&2
    echo "build-image: debootstrap failed (full log: $work/debootstrap.log)" >&2
    exit 1
}
echo "build-image: debootstrap took $((SECONDS - start)) s" >&2
"$here/configure-rootfs.sh" "$work/rootfs" "$here"

kernel=$(find "$work/rootfs/boot" -name 'vmlinuz-*' | sort -V | tail -n 1)
initrd=$(find "$work/rootfs/boot" -name 'initrd.img-*' | sort -V | tail -n 1)
[[ -n "$kernel" && -n "$initrd" ]] || { echo "build-image: no kernel or initrd in the rootfs" >&2; exit 1; }
cp "$kernel" "$work/vmlinuz"
cp "$initrd" "$work/initrd.img"
mkfs.ext4 -q -F -L root -E root_owner=0:0 -d "$work/rootfs" "$work/base.raw" 4G >&2
rm -rf "$work/rootfs"
rm -rf "$out"
mv "$work" "$out"
echo "build-image: $out built in $((SECONDS - start)) s" >&2
echo "$out"
