#!/bin/bash
# VM scenario "rootlesskit2" (run as root inside the trixie VM by vm-payload.sh, from the payload disk): the rows of
# docs/launch-sequence.md that need RootlessKit 2 and pasta (Debian 13: docker.io 26.1.5, rootlesskit 2.0.2,
# passt), each fault judged by rootless-doctor and met by the real dockerd-rootless.sh under `systemctl --user`,
# whose error is read back from the journal. Both are recorded in out/ for tests/vm.rs to assert on. Every command
# here is a fixed string.
#
# Layout of out/: STEP.stdout, STEP.stderr and STEP.rc for every recorded step; CASE-journal.stdout holds what the
# docker user service logged during that case's start.
set -euo pipefail
cd "$(dirname "$0")"
. ./lib.sh


# The drop-in each case writes: docker.service.d/case.conf with the given [Service] lines.
dropin() {
    local name=$1 lines=$2
    as_tester "$name-dropin" "mkdir -p ~/.config/systemd/user/docker.service.d && printf '[Service]\n$lines\n' > ~/.config/systemd/user/docker.service.d/case.conf && systemctl --user daemon-reload && systemctl --user show docker -p Environment"
}
# Stops the daemon (and systemd's restarts of a failed one) before the next case.
halt() {
    as_tester "$1-halt" 'systemctl --user stop docker; systemctl --user reset-failed docker; true'
}
# Starts the docker user service for case NAME, then records what the service logged while it started. The start
# is bounded: a RootlessKit 2.0.2 whose child failed can hang (Type=notify, TimeoutSec=0), and `timeout` then says 124.
start() {
    local name=$1 cursor
    cursor=$(journalctl --show-cursor -n 0 -q --no-pager | sed -n 's/^-- cursor: //p')
    as_tester "$name-start" 'timeout 20 systemctl --user start docker'
    # A failed start restarts (Restart=always, 2 s apart); a few seconds let the first attempt's lines land.
    sleep 3
    # The service's output by its stream's identifier (a line of a helper that exited at once, nsenter's, can miss
    # _SYSTEMD_USER_UNIT), and the user manager's lines about the unit.
    record "$name-journal" journalctl --no-pager -o cat --after-cursor "$cursor" SYSLOG_IDENTIFIER=dockerd-rootless.sh + _SYSTEMD_USER_UNIT=docker.service + USER_UNIT=docker.service
}
wait_daemon() {
    as_tester "$1-wait" 'for i in $(seq 90); do docker -H unix://$XDG_RUNTIME_DIR/docker.sock version >/dev/null 2>&1 && exit 0; sleep 1; done; exit 1'
}
check() {
    as_tester "$1-check" "rootless-doctor check --format json ${2:-}"
}

wait_for_login

as_tester session 'echo "XDG_SESSION_ID=$XDG_SESSION_ID"; echo "XDG_RUNTIME_DIR=$XDG_RUNTIME_DIR"; loginctl show-session "$XDG_SESSION_ID" -p Class -p Type -p Remote; systemctl --user is-active dbus.socket'
record versions dpkg-query -W -f '${Package} ${Version}\n' docker.io rootlesskit passt slirp4netns uidmap systemd iproute2 util-linux

# 0. The setup tool's unit, with the script's defaults (slirp4netns, port driver builtin). Debian 13's setup tool, as
# Debian 12's, runs `$BIN/docker version` from its own directory, which has no docker: recorded, then linked.
as_tester install-1 'PATH=/usr/share/docker.io/contrib:$PATH dockerd-rootless-setuptool.sh install'
ln -s /usr/bin/docker /usr/share/docker.io/contrib/docker
as_tester install-2 'PATH=/usr/share/docker.io/contrib:$PATH dockerd-rootless-setuptool.sh install'
wait_daemon installed
check installed
# The same host captured from the same login (tests/vm.rs replays it on the CI machine).
as_tester installed-capture 'rootless-doctor capture --out ~/capture'
cp -a /home/tester/capture "$out/capture"
as_tester installed-rootlesskit 'ps -o args= -C rootlesskit'
halt installed

# 1. Row 1.8: pasta with the 26.1.5 script's default port driver (builtin).
dropin pasta-builtin 'Environment=DOCKERD_ROOTLESS_ROOTLESSKIT_NET=pasta'
check pasta-builtin
start pasta-builtin
halt pasta-builtin

# 2. Row 5.3: the implicit port driver without pasta (the script's default slirp4netns).
dropin implicit-slirp 'Environment=DOCKERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER=implicit'
check implicit-slirp
start implicit-slirp
halt implicit-slirp

# 3. pasta with the implicit port driver: the daemon comes up, and enter shows the network a container sees.
dropin pasta 'Environment=DOCKERD_ROOTLESS_ROOTLESSKIT_NET=pasta DOCKERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER=implicit'
start pasta
wait_daemon pasta
check pasta
as_tester pasta-enter 'rootless-doctor enter -- ip -o link'
as_tester pasta-enter-addr 'rootless-doctor enter -- ip -o -4 addr'
as_tester pasta-api 'curl -s --unix-socket $XDG_RUNTIME_DIR/dockerd-rootless/api.sock http://rootlesskit/v1/info'
halt pasta

# 4. Row 4.8: pasta without `ip` (iproute2's binary moved out of every directory).
mkdir -p /root/moved
mv /usr/bin/ip /root/moved/ip
check noip
start noip
halt noip
mv /root/moved/ip /usr/bin/ip

# 5. Row 3.5: --detach-netns (the 26.1.5 script has no DOCKERD_ROOTLESS_ROOTLESSKIT_DETACH_NETNS; its
# DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS passes the flag on). RootlessKit 2.0.2 makes the namespace, dockerd 26.1.5 does not
# join it.
dropin detach 'Environment=DOCKERD_ROOTLESS_ROOTLESSKIT_NET=pasta DOCKERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER=implicit DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS=--detach-netns'
check detach
start detach
halt detach
# The detached namespace itself, with RootlessKit's flags as the script passes them and `sleep` in place of dockerd:
# enter --pid joins the child's user and mount namespaces and the detached network namespace.
as_tester detach-rk 'systemd-run --user --unit=rk-detach --collect rootlesskit --state-dir=$XDG_RUNTIME_DIR/dockerd-rootless --net=pasta --mtu=1500 --disable-host-loopback --port-driver=implicit --copy-up=/etc --copy-up=/run --propagation=rslave --detach-netns sleep 600 && for i in $(seq 60); do curl -sf --unix-socket $XDG_RUNTIME_DIR/dockerd-rootless/api.sock http://rootlesskit/v1/info && exit 0; sleep 1; done; exit 1'
as_tester detach-enter 'pid=$(curl -sf --unix-socket $XDG_RUNTIME_DIR/dockerd-rootless/api.sock http://rootlesskit/v1/info | sed -n "s/.*\"childPID\":\([0-9]*\).*/\1/p"); echo "childPID=$pid" >&2; rootless-doctor enter --pid "$pid" -- ip -o link'
as_tester detach-enter-addr 'pid=$(curl -sf --unix-socket $XDG_RUNTIME_DIR/dockerd-rootless/api.sock http://rootlesskit/v1/info | sed -n "s/.*\"childPID\":\([0-9]*\).*/\1/p"); rootless-doctor enter --pid "$pid" -- ip -o -4 addr'
# Where each process's network is: the login shell, RootlessKit's child, and the command it runs (sleep, in dockerd's
# place), then the netns file as the host sees it (the empty file RootlessKit bind-mounts over in its own namespace).
as_tester detach-where 'pid=$(curl -sf --unix-socket $XDG_RUNTIME_DIR/dockerd-rootless/api.sock http://rootlesskit/v1/info | sed -n "s/.*\"childPID\":\([0-9]*\).*/\1/p"); cmd=$(pgrep -P "$pid" -x sleep); echo "shell $(readlink /proc/self/ns/net)"; echo "child $(readlink /proc/$pid/ns/net)"; echo "command $(readlink /proc/$cmd/ns/net)"; echo "command-links $(tail -n +3 /proc/$cmd/net/dev | cut -d: -f1 | tr -d " " | tr "\n" " ")"; stat -c "netns-file %s bytes %A" $XDG_RUNTIME_DIR/dockerd-rootless/netns'
as_tester detach-rk-stop 'systemctl --user stop rk-detach; true'

# 6. Row 3.5's fault: RootlessKit 2.0.2 runs `unshare -n mount --bind …` from PATH; unshare moved away.
mv /usr/bin/unshare /root/moved/unshare
check nounshare
start nounshare
halt nounshare
mv /root/moved/unshare /usr/bin/unshare

# 7. The same with unshare present and `mount` (which unshare execs from PATH) moved away.
mv /usr/bin/mount /root/moved/mount
# The trial launch would wait out its 45 s on the same hang, as it does for unshare above.
check nomount '--skip launch.trial'
start nomount
halt nomount
mv /root/moved/mount /usr/bin/mount

# The host is back: the script's defaults start again.
as_tester restored-dropin 'rm -r ~/.config/systemd/user/docker.service.d && systemctl --user daemon-reload'
start restored
wait_daemon restored
check restored
echo "scenario rootlesskit2: done"
