#!/bin/bash
# VM scenario "apparmor" (trixie, run as root by vm-payload.sh): AppArmor profiles for rootlesskit. The Debian kernel
# runs AppArmor without Ubuntu's user namespace restriction, and Debian 13's apparmor ships an unconfined profile for
# /usr/bin/rootlesskit. A profile that confines rootlesskit confines RootlessKit and what it runs: without a capability
# rule its child's namespaces are refused, without attach_disconnected the child's re-exec of /proc/self/exe is, and
# without mount rules slirp4netns's sandbox is. Each profile is judged by rootless-doctor and met by the real
# RootlessKit (docs/launch-sequence.md rows 2.9 and 3.3).
# Every command here is a fixed string.
#
# Layout of out/: STEP.stdout, STEP.stderr and STEP.rc for every recorded step.
set -euo pipefail
cd "$(dirname "$0")"
. ./lib.sh

# RootlessKit as Debian 13's dockerd-rootless.sh starts it with slirp4netns, running `true` in the namespaces (port
# driver none: RootlessKit's builtin driver can lose a race with a `true` that exits at once, which is not the point here).
rk='rootlesskit --net=slirp4netns --mtu=65520 --slirp4netns-sandbox=auto --slirp4netns-seccomp=auto --disable-host-loopback --port-driver=none --copy-up=/etc --copy-up=/run --propagation=rslave true'

# Loads profile file NAME (from this directory) as the only profile for /usr/bin/rootlesskit (the packaged one,
# Debian 13's apparmor's /etc/apparmor.d/rootlesskit, is unloaded and moved aside: two profiles for one path conflict
# and neither attaches), then records the doctor's preflight and RootlessKit's run as tester; with ALONGSIDE=1 the
# packaged profile stays.
case_profile() {
    local name=$1 alongside=${2:-0} step=$1
    if [[ $alongside == 0 ]]; then
        record "$step-unload-packaged" apparmor_parser -R /etc/apparmor.d/rootlesskit
        mv /etc/apparmor.d/rootlesskit /root/rootlesskit.packaged
    else
        step=$name-alongside
    fi
    install -m 644 "profile-$name" "/etc/apparmor.d/$name"
    record "$step-load" apparmor_parser -r "/etc/apparmor.d/$name"
    record "$step-status" sh -c 'cat /sys/kernel/security/apparmor/profiles | grep -i rootlesskit || true'
    as_tester "$step-preflight" 'rootless-doctor preflight --format json'
    as_tester "$step-rootlesskit" "timeout 30 $rk"
    record "$step-kernel-log" sh -c 'dmesg | grep -i apparmor | tail -20'
    record "$step-unload" apparmor_parser -R "/etc/apparmor.d/$name"
    rm -f "/etc/apparmor.d/$name"
    if [[ $alongside == 0 ]]; then
        mv /root/rootlesskit.packaged /etc/apparmor.d/rootlesskit
        record "$step-reload-packaged" apparmor_parser -r /etc/apparmor.d/rootlesskit
    fi
}

# The profiles, each the only one for /usr/bin/rootlesskit while its case runs (but the last case).
cat > profile-rdtest-confined-no-caps <<'PROFILE'
# A profile confining rootlesskit with no capability rules.
abi <abi/4.0>,
include <tunables/global>

profile rdtest-rootlesskit /usr/bin/rootlesskit {
  userns,
  file,
  network,
  signal,
  ptrace,
  unix,
}
PROFILE
cat > profile-rdtest-confined-attached <<'PROFILE'
# A profile confining rootlesskit with every capability, but without attach_disconnected and mount rules.
abi <abi/4.0>,
include <tunables/global>

profile rdtest-rootlesskit /usr/bin/rootlesskit {
  userns,
  capability,
  file,
  network,
  signal,
  ptrace,
  unix,
}
PROFILE
cat > profile-rdtest-confined-no-mount <<'PROFILE'
# A profile confining rootlesskit with every capability and attach_disconnected (so the re-exec of /proc/self/exe
# from the child's mount namespace is allowed), but no mount rules (the apparmor scenario, row 3.3).
abi <abi/4.0>,
include <tunables/global>

profile rdtest-rootlesskit /usr/bin/rootlesskit flags=(attach_disconnected) {
  userns,
  capability,
  file,
  network,
  signal,
  ptrace,
  unix,
}
PROFILE
cat > profile-rdtest-unconfined <<'PROFILE'
# The shape of the packaged profile (Ubuntu's and AppArmor 4's rootlesskit): unconfined, with userns.
abi <abi/4.0>,
include <tunables/global>

profile rdtest-rootlesskit /usr/bin/rootlesskit flags=(unconfined) {
  userns,
}
PROFILE

wait_for_login
record versions dpkg-query -W -f '${Package} ${Version}\n' rootlesskit apparmor linux-image-amd64 uidmap
record lsm sh -c 'cat /sys/kernel/security/lsm; echo; cat /sys/module/apparmor/parameters/enabled; ls /sys/kernel/security/apparmor/features/; cat /sys/kernel/security/apparmor/profiles | grep -ci rootlesskit || true'
record packaged sh -c 'ls /etc/apparmor.d/ | head -100; cat /etc/apparmor.d/rootlesskit 2>/dev/null || true'
# The packaged profiles loaded, as the apparmor service loads them at boot.
record baseline-status sh -c 'cat /sys/kernel/security/apparmor/profiles | grep -i rootless || true'
as_tester baseline-rootlesskit "timeout 30 $rk"
as_tester baseline-preflight 'rootless-doctor preflight --format json'

case_profile rdtest-confined-no-caps
case_profile rdtest-confined-attached
case_profile rdtest-confined-no-mount
case_profile rdtest-unconfined
# A second, confining profile beside the packaged one: the attachments conflict, the kernel attaches neither.
case_profile rdtest-confined-no-caps 1
