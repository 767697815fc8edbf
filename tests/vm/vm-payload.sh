#!/bin/bash
# Inside the VM: mounts the payload disk (/dev/vdb), runs its run.sh as root with a time limit, and leaves
# run.sh's output and exit code in out/ on that disk for the host to read back with debugfs.
set -uo pipefail
mkdir -p /payload
mount /dev/vdb /payload || exit 1
mkdir -p /payload/out
limit=$(cat /payload/timeout 2>/dev/null || echo 900)
echo "vm-payload: starting run.sh at uptime $(cut -d' ' -f1 /proc/uptime) s (limit ${limit} s)"
timeout --kill-after=10 "$limit" bash /payload/run.sh >/payload/out/run.log 2>&1
echo $? >/payload/out/rc
echo "vm-payload: run.sh exited $(cat /payload/out/rc) at uptime $(cut -d' ' -f1 /proc/uptime) s"
journalctl -b --no-pager >/payload/out/journal.log 2>&1 || true
sync
umount /payload
