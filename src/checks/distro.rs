//! Which distribution this is, and whether systemd runs the machine.

use super::{Check, Scope, manual_start, unreadable};
use crate::facts::{Facts, Read};
use crate::model::{Remediation, Verdict};

pub(super) const CHECKS: &[Check] = &[
    Check {
        id: "distro.detected",
        area: "distro",
        scope: Scope::Preflight,
        needs_runtime: false,
        title: "The distribution is recognised, so fixes use its packages and commands",
        reference: "os-release(5); anchors.md §B3 distro matrix",
        explain: "\
What it checks: /etc/os-release (then /usr/lib/os-release, as os-release(5) says) is parsed for ID, ID_LIKE and VERSION_ID, \
and matched against the data files in distros/: Ubuntu 24.04 and 22.04, Debian 12 and 11, Arch, openSUSE Leap 15 and Tumbleweed, \
RHEL 8 and 9 (Rocky, Alma and CentOS Stream through ID_LIKE) and Fedora.

Why it matters: package names differ (uidmap vs shadow-utils vs shadow), and so do the documented quirks: \
Ubuntu 24.04's AppArmor user-namespace restriction, Debian's kernel.unprivileged_userns_clone, fuse-overlayfs on RHEL 8, \
the iptables modules openSUSE and Arch must load by hand.

What you see when it's wrong: nothing breaks by itself; the other findings fall back to generic advice \
(\"install uidmap (Debian/Ubuntu) or shadow-utils (RHEL/Fedora)\") instead of exact commands.

How to fix: nothing to fix on the host. If your distribution is missing, its os-release ID and the data in distros/generic.toml \
are what rootless-doctor used; a new distros/<name>.toml adds it.",
        packages: &[],
        run: detected,
    },
    Check {
        id: "systemd.pid1",
        area: "systemd",
        scope: Scope::Preflight,
        needs_runtime: true,
        title: "systemd is the init system (user services, linger, cgroup delegation)",
        reference: "rootless-troubleshoot seed: could not get XDG_RUNTIME_DIR (non-systemd hosts); sd_booted(3)",
        explain: "\
What it checks: whether systemd runs the machine, the way sd_booted(3) tells: /run/systemd/system is a directory.

Why it matters: with systemd, rootless Docker runs as a user service (~/.config/systemd/user/docker.service), starts at boot \
with linger, and gets cgroup v2 resource limits through the systemd cgroup driver. Without systemd (containers, WSL without \
systemd, minimal init), dockerd-rootless.sh must be started by hand, XDG_RUNTIME_DIR must be created by hand, and \
--cpus/--memory/--pids-limit are ignored: the daemon reports \"WARNING: Running in rootless-mode without cgroups. \
Systemd is required to enable cgroups in rootless-mode.\"

What you see when it's wrong: dockerd-rootless-setuptool.sh install prints \
\"[INFO] systemd not detected, dockerd-rootless.sh needs to be started manually\"; `systemctl --user` fails.

How to fix: nothing is broken. Start the daemon by hand: \
`export XDG_RUNTIME_DIR=$HOME/.docker/xrd; rm -rf $XDG_RUNTIME_DIR; mkdir -p $XDG_RUNTIME_DIR; dockerd-rootless.sh` \
(remove that directory at every logout). The systemd checks (linger, user bus, delegation) are skipped on such hosts.",
        packages: &[],
        run: pid1,
    },
];

fn detected(f: &Facts) -> Verdict {
    let (path, os) = match &f.os_release {
        Read::Ok(v) => v,
        Read::Failed(e) => return unreadable("/etc/os-release", e),
        Read::Missing => {
            return Verdict::warn("no /etc/os-release or /usr/lib/os-release: using generic advice")
                .evidence("/etc/os-release", "missing")
                .evidence("/usr/lib/os-release", "missing")
                .fix(Remediation::text(
                    "Every current distribution ships /usr/lib/os-release (os-release(5)); without it the fixes below are generic.",
                ));
        }
    };
    let sel = &f.distro;
    let ids = format!(
        "ID={} ID_LIKE={:?} VERSION_ID={}",
        os.id(),
        os.id_like().join(" "),
        os.version_id().unwrap_or("(none)")
    );
    if !sel.known {
        return Verdict::warn(format!(
            "{} is not a distribution rootless-doctor has data for: using generic advice",
            os.pretty_name()
        ))
        .evidence(path.clone(), ids)
        .fix(Remediation::text(
            "Package names and commands in the other findings are generic. The distros/ data covers Ubuntu, Debian, Arch, \
openSUSE, RHEL and its rebuilds, and Fedora; a distribution whose ID_LIKE names one of them is matched through it.",
        ));
    }
    let via = match &sel.matched_id {
        Some(id) if id != os.id() => format!(" (through ID_LIKE={id})"),
        _ => String::new(),
    };
    let mut v = Verdict::pass(format!(
        "{}: using distros/{}.toml{via}",
        os.pretty_name(),
        sel.distro.key
    ))
    .evidence(path.clone(), ids)
    .evidence(
        format!("distros/{}.toml", sel.distro.key),
        sel.distro.source.clone(),
    );
    for note in &sel.distro.quirks.notes {
        v = v.evidence(format!("distros/{}.toml", sel.distro.key), note.clone());
    }
    v
}

fn pid1(f: &Facts) -> Verdict {
    let comm = match f.read("/proc/1/comm") {
        Read::Ok(c) => c.trim().to_owned(),
        Read::Missing => "(no /proc/1/comm)".to_owned(),
        Read::Failed(e) => format!("(unreadable: {e})"),
    };
    if f.systemd {
        return Verdict::pass("systemd is the init system")
            .evidence("/run/systemd/system", "directory")
            .evidence("/proc/1/comm", comm);
    }
    Verdict::warn(format!(
        "systemd is not the init system (PID 1 is {comm}): start dockerd-rootless.sh by hand, and expect no cgroup limits"
    ))
    .evidence("/run/systemd/system", "missing")
    .evidence("/proc/1/comm", comm)
    .fix(manual_start(f))
}
