#!/bin/bash
# VM scenario "net" (run as root by vm-payload.sh, on bookworm and on trixie): `rootless-doctor net --source-ip`
# chooses the drivers, `--write` puts them in the user unit's override.conf, the real user service restarts with
# them, and a client in a network namespace of its own (a veth pair, addresses inside the VM only) connects to a
# published port: the container sees the client's address, or not, before and after. `net bench` measures each
# combination beforehand. Every command here is a
# fixed string.
#
# Layout of out/: STEP.stdout, STEP.stderr and STEP.rc for every recorded step.
set -euo pipefail
cd "$(dirname "$0")"
. ./lib.sh

docker_env='export DOCKER_HOST=unix://$XDG_RUNTIME_DIR/docker.sock;'
# The container answers each connection with the lines of its own netstat for port 80: the peer it sees.
serve="$docker_env docker run -d --name echopeer -p 8080:80 peer nc -ll -p 80 -e sh -c 'netstat -tn | grep \":80 .*ESTABLISHED\"'"
# The client: from its namespace to the VM's side of the veth pair, retried while the port comes up.
client='for i in $(seq 30); do out=$(sleep 2 | busybox nc 10.203.0.1 8080) && [ -n "$out" ] && { echo "$out"; exit 0; }; sleep 1; done; exit 1'

wait_for_login
# The distro matrix's steps (lib.sh): preflight on the fresh host, `rootless-doctor setup` (the unit the setup tool
# writes, with its defaults), the daemon answering, check and capture.
matrix_fresh
record versions dpkg-query -W -f '${Package} ${Version}\n' docker.io rootlesskit slirp4netns
matrix_install

# An image of busybox-static alone (no registry here), and the client's namespace.
record image-tar sh -c 'set -e; r=$(mktemp -d); mkdir -p $r/bin; cp /bin/busybox $r/bin/; for a in sh nc netstat grep sleep; do ln -s busybox $r/bin/$a; done; tar -C $r -cf /tmp/peer.tar .; chmod 644 /tmp/peer.tar'
as_tester image-import "$docker_env docker import --change 'ENV PATH=/bin' /tmp/peer.tar peer"
record client-netns sh -c 'set -e; ip netns add rdclient; ip link add rdh type veth peer name rdc; ip link set rdc netns rdclient; ip addr add 10.203.0.1/24 dev rdh; ip link set rdh up; ip netns exec rdclient ip addr add 10.203.0.2/24 dev rdc; ip netns exec rdclient ip link set rdc up; ip netns exec rdclient ip link set lo up'

# 0. net bench: every combination that starts, measured in throw-away namespaces; the client is the VM's own
#    address on the veth pair above.
as_tester bench 'rootless-doctor net bench --mib 4 --format json'

# 1. The unit `setup` wrote, with the setup tool's defaults (the builtin port driver).
as_tester before-net 'rootless-doctor net --source-ip --format json'
as_tester before-serve "$serve"
record before-client ip netns exec rdclient sh -c "$client"
as_tester before-rm "$docker_env docker rm -f echopeer"

# 2. net --write, twice (the second finds it done), and the restart it prints.
as_tester write 'rootless-doctor net --source-ip --write'
as_tester write-again 'rootless-doctor net --source-ip --write'
as_tester override 'cat ~/.config/systemd/user/docker.service.d/override.conf'
as_tester pending-check 'rootless-doctor check rootlesskit --format json'
as_tester restart "systemctl --user daemon-reload && systemctl --user restart docker && $daemon_wait"
as_tester after-check 'rootless-doctor check rootlesskit --format json'
as_tester after-serve "$serve"
record after-client ip netns exec rdclient sh -c "$client"
as_tester after-rm "$docker_env docker rm -f echopeer"

# 3. fix --undo takes the override back out.
as_tester undo 'rootless-doctor fix --undo'
as_tester undone 'test -e ~/.config/systemd/user/docker.service.d/override.conf && echo "override: still there" || echo "override: gone"'
echo "scenario net: done"
