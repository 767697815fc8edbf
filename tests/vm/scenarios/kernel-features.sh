#!/bin/bash
# VM scenario "kernel-features" (bookworm, run as root by vm-payload.sh): what the kernel gives the rootless daemon,
# each judged by rootless-doctor and met by the real daemon: the netfilter modules its iptables needs inside its user
# namespace, with both iptables backends (launch row 8.11), and the cgroup controllers systemd delegates to the user
# (row 8.12). Every command here is a fixed string.
#
# Layout of out/: STEP.stdout, STEP.stderr and STEP.rc for every recorded step.
set -euo pipefail
cd "$(dirname "$0")"
. ./lib.sh

# Which netfilter modules are loaded now (/proc/modules), one "NAME loaded|absent" line each.
modules() {
    record "$1" sh -c 'for m in nf_tables nfnetlink ip_tables iptable_nat iptable_filter x_tables; do if grep -q "^$m " /proc/modules; then echo "$m loaded"; else echo "$m absent"; fi; done; grep -E "^(ip_tables|x_tables) " /proc/modules || true'
}

wait_for_login

# 1. nf_tables, Debian 12's backend: nothing has loaded it on this boot (the image masks the rootful daemon).
modules nft-before
as_tester nft-preflight 'rootless-doctor preflight --only iptables --format json'
ln -s /usr/bin/docker /usr/share/docker.io/contrib/docker
as_tester nft-install-1 'PATH=/usr/share/docker.io/contrib:$PATH dockerd-rootless-setuptool.sh install'
as_tester nft-install-2 'PATH=/usr/share/docker.io/contrib:$PATH dockerd-rootless-setuptool.sh install'
as_tester nft-wait "$daemon_wait"
modules nft-after
as_tester nft-stop 'systemctl --user stop docker'

# 2. The legacy backend (update-alternatives, as on hosts that switch) with ip_tables unloaded.
record legacy-switch sh -c 'update-alternatives --set iptables /usr/sbin/iptables-legacy && update-alternatives --set ip6tables /usr/sbin/ip6tables-legacy'
record legacy-rmmod sh -c 'for m in iptable_nat iptable_filter iptable_mangle ip6table_nat ip6table_filter ip6_tables ip_tables; do if grep -q "^$m " /proc/modules; then rmmod "$m" || exit 1; fi; done'
modules legacy-before
as_tester legacy-preflight 'rootless-doctor preflight --only iptables --format json'
# Debian 12's unit is Type=simple: start returns at once, so the step waits for the daemon's answer (it never comes).
as_tester legacy-start 'systemctl --user start docker; for i in $(seq 60); do docker -H unix://$XDG_RUNTIME_DIR/docker.sock version >/dev/null 2>&1 && exit 0; sleep 1; done; exit 1'
as_tester legacy-journal 'journalctl --user -u docker --no-pager -n 80'
as_tester legacy-reset 'systemctl --user stop docker; systemctl --user reset-failed docker'
modules legacy-after-failure
record legacy-modprobe modprobe ip_tables
as_tester legacy-loaded-preflight 'rootless-doctor preflight --only iptables --format json'
as_tester legacy-loaded-start 'systemctl --user start docker'
as_tester legacy-loaded-wait "$daemon_wait"
modules legacy-loaded-after
as_tester legacy-loaded-stop 'systemctl --user stop docker'
record legacy-restore sh -c 'update-alternatives --set iptables /usr/sbin/iptables-nft && update-alternatives --set ip6tables /usr/sbin/ip6tables-nft'

# 3. cgroup delegation. A one-binary image made from this host's /usr/bin/true (no registry here), run with limits
# while user@.service delegates cpu, memory and pids (Debian's default), then after a drop-in that delegates only
# memory and pids.
docker_env='export DOCKER_HOST=unix://$XDG_RUNTIME_DIR/docker.sock;'
record image-tar sh -c 'set -e; r=$(mktemp -d); mkdir -p $r/usr/bin $r/lib/x86_64-linux-gnu $r/lib64; cp /usr/bin/true $r/usr/bin/; cp /lib/x86_64-linux-gnu/libc.so.6 $r/lib/x86_64-linux-gnu/; cp /lib64/ld-linux-x86-64.so.2 $r/lib64/; tar -C $r -cf /tmp/true.tar .; chmod 644 /tmp/true.tar'
as_tester delegated-start "systemctl --user start docker; $daemon_wait"
as_tester image-import "$docker_env docker import /tmp/true.tar true-only"
as_tester delegated-preflight 'rootless-doctor preflight --only cgroup --format json'
as_tester delegated-cpus "$docker_env docker run --rm --network none --cpus 0.5 true-only /usr/bin/true"
as_tester delegated-memory "$docker_env docker run --rm --network none --memory 64m true-only /usr/bin/true"
record undelegate sh -c 'mkdir -p /etc/systemd/system/user@.service.d && printf "[Service]\nDelegate=\nDelegate=memory pids\n" >/etc/systemd/system/user@.service.d/delegate.conf && systemctl daemon-reload && systemctl restart user@1000.service'
for _ in $(seq 60); do systemctl is-active -q user@1000.service && break; sleep 1; done
as_tester undelegated-controllers 'cat /sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/cgroup.controllers'
as_tester undelegated-preflight 'rootless-doctor preflight --only cgroup --format json'
as_tester undelegated-start "systemctl --user start docker; $daemon_wait"
as_tester undelegated-cpus "$docker_env docker run --rm --network none --cpus 0.5 true-only /usr/bin/true"
as_tester undelegated-memory "$docker_env docker run --rm --network none --memory 64m true-only /usr/bin/true"

# 4. The user bus stopped under a running daemon: dbus.socket and dbus.service stopped (the socket file stays, as
# systemd leaves it), judged by the doctor and met by a real `docker run` (runc's systemd cgroup driver asks the user
# bus for every container's scope), then started again.
as_tester bus-stop 'systemctl --user stop dbus.socket dbus.service; systemctl --user is-active dbus.socket dbus.service; stat -c "%F %U" "$XDG_RUNTIME_DIR/bus"'
as_tester bus-preflight 'rootless-doctor preflight --only session --format json'
as_tester bus-run "$docker_env timeout 90 docker run --rm --network none true-only /usr/bin/true"
as_tester bus-start 'systemctl --user start dbus.socket'
as_tester bus-restored-preflight 'rootless-doctor preflight --only session --format json'
as_tester bus-restored-run "$docker_env docker run --rm --network none true-only /usr/bin/true"
echo "scenario kernel-features: done"
