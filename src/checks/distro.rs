//! Which distribution this is, and so which packages and commands the fixes use.

use super::{Check, Judges, Scope, unreadable};
use crate::facts::{Facts, Read};
use crate::model::{Remediation, Verdict};

pub(super) const CHECKS: &[Check] = &[
    Check {
        id: "distro.detected",
        area: "distro",
        scope: Scope::Preflight,
        needs_runtime: false,
        per_user: false,
        judges: Judges::AnyDaemon,
        title: "The distribution is recognised, so fixes use its packages and commands",
        reference: "os-release(5); https://docs.docker.com/engine/security/rootless/",
        explain: "\
What it checks: /etc/os-release (then /usr/lib/os-release, as os-release(5) says) is parsed for ID, ID_LIKE and VERSION_ID, \
and matched against the data files in distros/: Ubuntu 26.04 and later, 25.04 and 25.10, 24.04 and 22.04, Debian 13, 12 \
and 11, Arch, openSUSE Leap 15 and Tumbleweed, RHEL 8, 9 and 10 (Rocky, AlmaLinux and CentOS Stream through ID_LIKE) and \
Fedora. A derivative whose own ID has no file gets the file of the first ID_LIKE entry that fits (by version for RHEL \
rebuilds, by UBUNTU_CODENAME or VERSION_CODENAME for Ubuntu and Debian derivatives), and the report says so. Where \
recorded, the finding shows the versions the release ships, with where they were read (RootlessKit, passt, slirp4netns, the Docker \
engine, systemd, the kernel).

Why it matters: package names differ (uidmap vs shadow-utils vs shadow), and so do the documented quirks: \
Ubuntu 24.04's AppArmor user-namespace restriction and 25.04's confined unshare, Debian's kernel.unprivileged_userns_clone, fuse-overlayfs on RHEL 8, \
the iptables modules openSUSE and Arch must load by hand.

What you see when it's wrong: nothing breaks by itself; the other findings fall back to generic advice \
(\"install uidmap (Debian/Ubuntu) or shadow-utils (RHEL/Fedora)\") instead of exact commands.

How to fix: nothing to fix on the host. If your distribution is missing, its os-release ID and the data in distros/generic.toml \
are what rootless-doctor used; a new distros/<name>.toml adds it.",
        packages: &[],
        removes: &[],
        run: detected,
    },
];

fn detected(f: &Facts) -> Verdict {
    let (path, os) = match f.os_release() {
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
    if let Some(packaged) = sel.distro.packaged.summary() {
        v = v.evidence(
            format!("distros/{}.toml", sel.distro.key),
            format!(
                "the release's own packages: {packaged} ({})",
                sel.distro.packaged.source
            ),
        );
    }
    for note in &sel.distro.quirks.notes {
        v = v.evidence(format!("distros/{}.toml", sel.distro.key), note.clone());
    }
    v
}
