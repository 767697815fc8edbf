#!/bin/bash
# Provisions one machine of the distro matrix (the Vagrantfile runs it as root) the way a user would set up
# rootless Docker from the distribution's own instructions, then runs the matrix scenario (run.sh) and leaves its
# results in /root/matrix/out for collect.sh.
#
# usage: provision.sh FAMILY MACHINE     (FAMILY: debian, fedora, rhel, suse, arch)
#
# Only packages and the test login are set up here; subordinate ids, linger-less sessions, cgroup delegation and the
# user unit are left for `rootless-doctor setup`, which is what the scenario judges. Every command is a fixed string.
set -euo pipefail

family=${1:?usage: provision.sh FAMILY MACHINE}
machine=${2:?usage: provision.sh FAMILY MACHINE}

case "$family" in
debian)
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    # docker.io carries dockerd-rootless.sh and the setup tool in /usr/share/docker.io/contrib; passt only where
    # the release packages it (Debian 13, Ubuntu 24.04 and later).
    apt-get install -y -q uidmap docker.io rootlesskit slirp4netns dbus-user-session fuse-overlayfs iptables \
        openssh-server busybox-static curl ca-certificates
    apt-get install -y -q passt || true
    ;;
fedora)
    # Docker's own repository (docs.docker.com/engine/install/fedora/): dnf5's config-manager syntax.
    dnf -y install dnf-plugins-core
    dnf config-manager addrepo --overwrite --from-repofile=https://download.docker.com/linux/fedora/docker-ce.repo
    dnf -y install docker-ce docker-ce-cli containerd.io docker-ce-rootless-extras shadow-utils slirp4netns \
        fuse-overlayfs iptables openssh-server
    ;;
rhel)
    # Rocky and Alma 8 and 9 (docs.docker.com/engine/install/rhel/ and centos/): the CentOS repository.
    dnf -y install dnf-plugins-core
    dnf config-manager --add-repo https://download.docker.com/linux/centos/docker-ce.repo
    dnf -y install docker-ce docker-ce-cli containerd.io docker-ce-rootless-extras shadow-utils slirp4netns \
        fuse-overlayfs iptables openssh-server
    ;;
suse)
    zypper -n refresh
    zypper -n install docker docker-rootless-extras rootlesskit slirp4netns fuse-overlayfs iptables openssh-server \
        curl
    ;;
arch)
    pacman -Syu --noconfirm docker rootlesskit slirp4netns fuse-overlayfs iptables-nft openssh curl
    # dockerd-rootless.sh and the setup tool are in Docker's static rootless extras for the packaged version (what
    # the AUR's docker-rootless-extras installs).
    version=$(docker --version | sed -n 's/^Docker version \([0-9.]*\),.*/\1/p')
    [[ -n "$version" ]] || { echo "provision: cannot read docker's version" >&2; exit 1; }
    curl -fsSL "https://download.docker.com/linux/static/stable/x86_64/docker-rootless-extras-$version.tgz" \
        -o /tmp/extras.tgz
    tar -C /tmp -xzf /tmp/extras.tgz
    install -m 755 /tmp/docker-rootless-extras/dockerd-rootless.sh \
        /tmp/docker-rootless-extras/dockerd-rootless-setuptool.sh /usr/local/bin/
    ;;
*)
    echo "provision: unknown family $family" >&2
    exit 2
    ;;
esac

# The rootful daemon stays off: the doctor judges the user's own.
systemctl disable --now docker.service docker.socket 2>/dev/null || true

# The test login, as the VM tier's image has it (tests/vm/configure-rootfs.sh): tester lingering, so its user manager
# runs before the first login, and root's key in its authorized_keys, so the scenario logs in through sshd, PAM
# and pam_systemd as a real user does.
id tester >/dev/null 2>&1 || useradd -m -s /bin/bash tester
loginctl enable-linger tester
install -d -m 700 /root/.ssh
[[ -f /root/.ssh/id_ed25519 ]] || ssh-keygen -q -t ed25519 -N '' -f /root/.ssh/id_ed25519
home=$(getent passwd tester | cut -d: -f6)
install -d -m 700 -o tester -g "$(id -g tester)" "$home/.ssh"
install -m 600 -o tester -g "$(id -g tester)" /root/.ssh/id_ed25519.pub "$home/.ssh/authorized_keys"
printf 'Host localhost\n  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n  LogLevel ERROR\n' >/root/.ssh/config
systemctl enable --now sshd.service 2>/dev/null || systemctl enable --now ssh.service

# The binary: the host's build when it runs here, else one built from the synced sources.
work=/root/matrix
rm -rf "$work"
mkdir -p "$work"
if [[ -x /tmp/rootless-doctor ]] && /tmp/rootless-doctor --version >/dev/null 2>&1; then
    install -m 755 /tmp/rootless-doctor "$work/rootless-doctor"
else
    echo "provision: building rootless-doctor on $machine (the host's binary is missing or does not run here)"
    [[ -x /root/.cargo/bin/cargo ]] ||
        curl -fsSL https://sh.rustup.rs | sh -s -- -y --profile minimal --default-toolchain stable
    (cd /vagrant && CARGO_TARGET_DIR=/root/matrix-build /root/.cargo/bin/cargo build --release --locked)
    install -m 755 /root/matrix-build/release/rootless-doctor "$work/rootless-doctor"
fi

install -m 644 /vagrant/tests/vm/lib.sh "$work/lib.sh"
install -m 755 /vagrant/tests/matrix/run.sh "$work/run.sh"
echo "$machine" >"$work/machine"
mkdir -p "$work/out"
cd "$work"
rc=0
bash ./run.sh >"$work/run.log" 2>&1 || rc=$?
echo "$rc" >"$work/out/rc"
echo "provision: the matrix scenario on $machine exited $rc; collect with tests/matrix/collect.sh $machine"
