#!/bin/bash
# Boots one throw-away copy of the VM tier's base image (a qcow2 overlay on base.raw) under QEMU/TCG, without a
# network, with a second disk holding the rootless-doctor binary and the scenario script, and reads the
# scenario's out/ directory back from that disk with debugfs (no mount, no loop device).
#
# usage: run-scenario.sh IMAGE_DIR SCENARIO_SCRIPT DOCTOR_BINARY WORK_DIR [LIMIT_SECONDS]
# IMAGE_DIR is what build-image.sh printed. On return WORK_DIR holds serial.log (the console) and out/ (rc,
# run.log, journal.log and the scenario's records). Exit status: 0 when the scenario ran to its end with rc 0;
# 1 otherwise, saying why (QEMU killed at the limit, no result, the scenario's rc).
set -euo pipefail

image=${1:?usage: run-scenario.sh IMAGE_DIR SCENARIO_SCRIPT DOCTOR_BINARY WORK_DIR [LIMIT_SECONDS]}
scenario=${2:?missing SCENARIO_SCRIPT}
doctor=${3:?missing DOCTOR_BINARY}
work=${4:?missing WORK_DIR}
limit=${5:-900}

rm -rf "$work"
mkdir -p "$work/payload"
install -m 755 "$doctor" "$work/payload/rootless-doctor"
install -m 755 "$scenario" "$work/payload/run.sh"
install -m 644 "$(dirname "$0")/lib.sh" "$work/payload/lib.sh"
# The scenario's own limit inside the VM, shorter than QEMU's so the VM can still power off and keep its result.
echo $((limit - 120)) >"$work/payload/timeout"
mkfs.ext4 -q -F -L payload -E root_owner=0:0 -d "$work/payload" "$work/payload.raw" 256M >&2
qemu-img create -q -f qcow2 -b "$(realpath "$image/base.raw")" -F raw "$work/overlay.qcow2"

start=$SECONDS
rc=0
timeout --kill-after=10 "$limit" qemu-system-x86_64 \
    -accel tcg,thread=multi -cpu max -smp 2 -m 2048 \
    -nographic -no-reboot -nodefaults -serial "file:$work/serial.log" -nic none \
    -kernel "$image/vmlinuz" -initrd "$image/initrd.img" \
    -append "root=/dev/vda rw console=ttyS0 panic=-1 systemd.unified_cgroup_hierarchy=1" \
    -drive "file=$work/overlay.qcow2,format=qcow2,if=virtio,cache=unsafe" \
    -drive "file=$work/payload.raw,format=raw,if=virtio" \
    </dev/null >"$work/qemu.log" 2>&1 || rc=$?
elapsed=$((SECONDS - start))
rm -f "$work/overlay.qcow2"
echo "run-scenario: $(basename "$scenario"): QEMU exited $rc after $elapsed s" >&2
if [[ $rc -eq 124 || $rc -eq 137 ]]; then
    tail -n 40 "$work/serial.log" >&2 || true
    echo "run-scenario: QEMU killed after the $limit s limit (console: $work/serial.log)" >&2
    exit 1
fi
if [[ $rc -ne 0 ]]; then
    cat "$work/qemu.log" >&2
    echo "run-scenario: QEMU failed (rc $rc)" >&2
    exit 1
fi
debugfs -R "rdump /out $work" "$work/payload.raw" >/dev/null 2>"$work/debugfs.log"
rm -f "$work/payload.raw"
if [[ ! -f "$work/out/rc" ]]; then
    tail -n 40 "$work/serial.log" >&2 || true
    echo "run-scenario: the VM left no out/rc: the payload never finished (console: $work/serial.log)" >&2
    exit 1
fi
scenario_rc=$(cat "$work/out/rc")
if [[ "$scenario_rc" != 0 ]]; then
    tail -n 40 "$work/out/run.log" >&2 || true
    echo "run-scenario: the scenario exited $scenario_rc (log: $work/out/run.log)" >&2
    exit 1
fi
echo "$elapsed" >"$work/seconds"
