#!/bin/bash
# VM scenario "systemd-unit" (run as root inside the bookworm VM by vm-payload.sh, from the payload disk):
# launch-sequence phase 0 (the systemd user unit), each fault judged by rootless-doctor and met by the real
# `systemctl --user`, both recorded in out/ for tests/vm.rs to assert on. Every command here is a fixed string.
#
# Layout of out/: STEP.stdout, STEP.stderr and STEP.rc for every recorded step.
set -euo pipefail
cd "$(dirname "$0")"
. ./lib.sh


wait_for_login

# What the session really is (evidence for the report; tests/vm.rs asserts on parts of it).
as_tester session 'echo "XDG_SESSION_ID=$XDG_SESSION_ID"; echo "XDG_RUNTIME_DIR=$XDG_RUNTIME_DIR"; echo "DBUS_SESSION_BUS_ADDRESS=$DBUS_SESSION_BUS_ADDRESS"; loginctl show-session "$XDG_SESSION_ID" -p Class -p Type -p Remote; systemctl --user is-active dbus.socket; cat /proc/self/cgroup; cat /sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/cgroup.controllers'

# 1. Fresh host: no docker user service.
as_tester fresh-preflight 'rootless-doctor preflight --format json'
as_tester fresh-check 'rootless-doctor check --format json'
as_tester fresh-start 'systemctl --user start docker'

# 2. Debian 12's dockerd-rootless-setuptool.sh install, as packaged, refuses: it finds dockerd-rootless.sh only on
# PATH. `rootless-doctor setup` as root for tester writes the unit that tool would write, enables and starts it
# (with the other fixes its preflight finds), and waits for /_ping.
as_tester setuptool-plain '/usr/share/docker.io/contrib/dockerd-rootless-setuptool.sh install'
record setup rootless-doctor setup --user tester
as_tester installed-wait 'for i in $(seq 90); do docker -H unix://$XDG_RUNTIME_DIR/docker.sock version >/dev/null 2>&1 && exit 0; sleep 1; done; exit 1'
as_tester installed-check 'rootless-doctor check --format json'
# The same host captured from the same login (tests/vm.rs replays it on the CI machine).
as_tester installed-capture 'rootless-doctor capture --out ~/capture'
cp -a /home/tester/capture "$out/capture"
as_tester installed-status 'systemctl --user status docker --no-pager'

# 3a. Masked. `systemctl --user mask` refuses while the unit file itself is in ~/.config/systemd/user (where the
# mask link would go): recorded as it is. The unit is then moved aside and masked the way systemd allows.
as_tester masked-stop 'systemctl --user stop docker'
as_tester masked-mask-refused 'systemctl --user mask docker'
as_tester masked-mask 'mv ~/.config/systemd/user/docker.service ~/docker.service.saved && systemctl --user mask docker'
as_tester masked-start 'systemctl --user start docker'
as_tester masked-check 'rootless-doctor check --format json'
as_tester masked-unmask 'systemctl --user unmask docker && mv ~/docker.service.saved ~/.config/systemd/user/docker.service && systemctl --user daemon-reload'
# unmask also removes the default.target.wants link (it removes every link named docker.service in the user's
# configuration), so the unit comes back disabled: recorded, then enabled again.
as_tester masked-unmasked-enabled 'systemctl --user is-enabled docker'
as_tester masked-unmasked-check 'rootless-doctor check --format json'
as_tester masked-restore 'systemctl --user enable docker && systemctl --user start docker'

# 3b. Requires=dbus.socket (the 27.1+ unit; bookworm's 20.10 unit lacks it, so a drop-in adds it) and no
# dbus.socket in the user unit path.
as_tester nodbus-dropin 'mkdir -p ~/.config/systemd/user/docker.service.d && printf "[Unit]\nRequires=dbus.socket\nAfter=dbus.socket\n" > ~/.config/systemd/user/docker.service.d/requires-dbus.conf && systemctl --user daemon-reload && systemctl --user show docker -p Requires'
mv /usr/lib/systemd/user/dbus.socket /root/dbus.socket.moved
as_tester nodbus-start 'systemctl --user daemon-reload && systemctl --user start docker'
as_tester nodbus-check 'rootless-doctor check --format json'
mv /root/dbus.socket.moved /usr/lib/systemd/user/dbus.socket
as_tester nodbus-restore 'rm -r ~/.config/systemd/user/docker.service.d && systemctl --user daemon-reload && systemctl --user start docker'

# 3c. ExecStart= names a script that moved away (as after switching between docker.io and Docker's packages).
as_tester noexec-stop 'systemctl --user stop docker'
mv /usr/share/docker.io/contrib/dockerd-rootless.sh /root/dockerd-rootless.sh.moved
as_tester noexec-start 'systemctl --user start docker; sleep 14'
as_tester noexec-status 'systemctl --user status docker --no-pager'
as_tester noexec-check 'rootless-doctor check --format json'
mv /root/dockerd-rootless.sh.moved /usr/share/docker.io/contrib/dockerd-rootless.sh
as_tester noexec-restore 'systemctl --user reset-failed docker; systemctl --user start docker'

# 3d. Shells without tester's own login session: runuser without -l (/etc/pam.d/runuser has no pam_systemd),
# and `su tester` without - from root's ssh login (it keeps root's XDG_RUNTIME_DIR and session).
record nosession-runuser-preflight runuser -u tester -- rootless-doctor preflight --format json
record nosession-runuser-status runuser -u tester -- systemctl --user status docker --no-pager
install -m 600 /root/.ssh/id_ed25519.pub /root/.ssh/authorized_keys
record nosession-su-env ssh -n -o BatchMode=yes root@localhost "su tester -c 'env | grep -E \"^(XDG|DBUS)\" | sort'"
record nosession-su-preflight ssh -n -o BatchMode=yes root@localhost "su tester -c 'rootless-doctor preflight --format json'"
record nosession-su-status ssh -n -o BatchMode=yes root@localhost "su tester -c 'systemctl --user status docker --no-pager'"

# The host is back: the daemon answers again.
as_tester restored-wait 'for i in $(seq 90); do docker -H unix://$XDG_RUNTIME_DIR/docker.sock version >/dev/null 2>&1 && exit 0; sleep 1; done; exit 1'
as_tester restored-check 'rootless-doctor check --format json'

# 3e. Linger off: the daemon stops with tester's last session. logind stops user@1000.service once tester has no
# session left (UserStopDelaySec=, 10 s), and with it docker.service; enabling linger starts the manager again.
record linger-disable loginctl disable-linger tester
as_tester linger-check 'rootless-doctor check --only session --format json'
record linger-logout sh -c 'for i in $(seq 60); do case $(systemctl is-active user@1000.service) in inactive|failed) break ;; esac; sleep 1; done; systemctl is-active user@1000.service; pgrep -u tester -a dockerd || echo "no dockerd runs as tester"'
record linger-enable loginctl enable-linger tester
wait_for_login
as_tester linger-restored-wait "$daemon_wait"
as_tester linger-restored-check 'rootless-doctor check --only session --format json'

# 4. fix --undo as root for tester: the service stopped and disabled, the unit file gone.
record undo rootless-doctor fix --undo --user tester
as_tester undone-state 'systemctl --user is-active docker; test -e ~/.config/systemd/user/docker.service && echo "unit: still there" || echo "unit: gone"; test -e ~/.config/systemd/user/default.target.wants/docker.service && echo "wants: still there" || echo "wants: gone"'
echo "scenario systemd-unit: done"
