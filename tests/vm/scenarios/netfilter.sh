#!/bin/bash
# VM scenario "netfilter" (bookworm, run as root by vm-payload.sh): launch row 8.11, the netfilter modules rootless
# dockerd's iptables needs inside its user namespace, judged by rootless-doctor and met by the real daemon, with both
# iptables backends. Every command here is a fixed string.
#
# Layout of out/: STEP.stdout, STEP.stderr and STEP.rc for every recorded step.
set -euo pipefail
cd "$(dirname "$0")"
out=$PWD/out
install -m 755 rootless-doctor /usr/local/bin/rootless-doctor

# Runs "$@" (argv), recording its stdout, stderr and exit code as out/NAME.*; never fails the script.
record() {
    local name=$1
    shift
    local rc=0
    timeout --kill-after=5 300 "$@" >"$out/$name.stdout" 2>"$out/$name.stderr" || rc=$?
    echo "$rc" >"$out/$name.rc"
    echo "== $name: rc $rc"
}
# As tester, logged in through sshd, PAM and pam_systemd, running one fixed command line.
as_tester() {
    local name=$1 line=$2
    record "$name" ssh -n -o BatchMode=yes tester@localhost "$line"
}
# Which netfilter modules are loaded now (/proc/modules), one "NAME loaded|absent" line each.
modules() {
    record "$1" sh -c 'for m in nf_tables nfnetlink ip_tables iptable_nat iptable_filter x_tables; do if grep -q "^$m " /proc/modules; then echo "$m loaded"; else echo "$m absent"; fi; done; grep -E "^(ip_tables|x_tables) " /proc/modules || true'
}
wait_daemon='for i in $(seq 120); do docker -H unix://$XDG_RUNTIME_DIR/docker.sock version >/dev/null 2>&1 && exit 0; sleep 1; done; exit 1'

for _ in $(seq 120); do
    if systemctl is-active -q user@1000.service && systemctl is-active -q ssh.service; then break; fi
    sleep 1
done

# 1. nf_tables, Debian 12's backend: nothing has loaded it on this boot (the image masks the rootful daemon).
modules nft-before
as_tester nft-preflight 'rootless-doctor preflight --only iptables --format json'
ln -s /usr/bin/docker /usr/share/docker.io/contrib/docker
as_tester nft-install-1 'PATH=/usr/share/docker.io/contrib:$PATH dockerd-rootless-setuptool.sh install'
as_tester nft-install-2 'PATH=/usr/share/docker.io/contrib:$PATH dockerd-rootless-setuptool.sh install'
as_tester nft-wait "$wait_daemon"
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
as_tester legacy-loaded-wait "$wait_daemon"
modules legacy-loaded-after
as_tester legacy-loaded-stop 'systemctl --user stop docker'
echo "scenario netfilter: done"
