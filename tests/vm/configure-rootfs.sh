#!/bin/bash
# Turns a debootstrapped bookworm or trixie rootfs into the VM tier's base host (run by build-image.sh, as root):
# the user tester (uid 1000, subids from Debian's useradd, lingering), root's ssh key in tester's
# authorized_keys (so the payload logs in through sshd, PAM and pam_systemd, as a real user does), no system
# docker, no timers, and the payload unit that runs the scenario from the second disk and powers off.
#
# usage: configure-rootfs.sh ROOTFS HARNESS_DIR
set -euo pipefail

root=${1:?usage: configure-rootfs.sh ROOTFS HARNESS_DIR}
harness=${2:?usage: configure-rootfs.sh ROOTFS HARNESS_DIR}
in_root() { chroot "$root" "$@"; }

echo vmtest >"$root/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 vmtest\n::1 localhost\n' >"$root/etc/hosts"
printf '/dev/vda / ext4 rw,errors=remount-ro 0 1\n' >"$root/etc/fstab"
# Root can log in on the serial console without a password (debugging a scenario by hand only).
in_root passwd -d root >/dev/null

in_root useradd -m -u 1000 -s /bin/bash tester
grep -q '^tester:' "$root/etc/subuid" || { echo "configure-rootfs: useradd wrote no subuid range" >&2; exit 1; }
mkdir -p "$root/var/lib/systemd/linger"
touch "$root/var/lib/systemd/linger/tester"

in_root ssh-keygen -q -t ed25519 -N '' -f /root/.ssh/id_ed25519
install -d -m 700 -o 1000 -g 1000 "$root/home/tester/.ssh"
install -m 600 -o 1000 -g 1000 "$root/root/.ssh/id_ed25519.pub" "$root/home/tester/.ssh/authorized_keys"
printf 'Host localhost\n  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n  LogLevel ERROR\n' >"$root/root/.ssh/config"

# The rootful daemon stays off (rootless-doctor judges the user's daemon), and so does everything that would
# compete with the payload for the emulated CPU.
in_root systemctl disable -q docker.service docker.socket containerd.service \
    apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer fstrim.timer man-db.timer \
    2>/dev/null || true
for unit in docker.service docker.socket containerd.service; do
    ln -sf /dev/null "$root/etc/systemd/system/$unit"
done

install -m 755 "$harness/vm-payload.sh" "$root/usr/local/sbin/vm-payload.sh"
install -m 644 "$harness/vm-payload.service" "$root/etc/systemd/system/vm-payload.service"
in_root systemctl enable -q vm-payload.service
