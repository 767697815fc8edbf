//! Networking: the RootlessKit network drivers on this host, the rootless binaries, and the port and ping sysctls.
//!
//! Versions come from the package database (dpkg status, pacman's local db), never from running the binaries:
//! `preflight` spawns no process. Where no database can be read, the version is reported as unknown and the
//! `net` advisor (which may run `--version`) is the place to learn it.

use super::{Check, Scope, unreadable};
use crate::facts::{Facts, Read};
use crate::model::{Evidence, Remediation, Step, Verdict};
use crate::parse::pkgdb;

const PING_CONF: &str = include_str!("../../profiles/sysctl/52-rootless-ping.conf");
const PORTS_CONF: &str = include_str!("../../profiles/sysctl/53-rootless-privileged-ports.conf");

/// slirp4netns learned `--netns-type` (how dockerd-rootless.sh detects a usable one) in v0.4.0.
const SLIRP_MIN: (u64, u64, u64) = (0, 4, 0);
/// Docker's docs: pasta needs passt 2023_12_04 or later.
const PASTA_MIN: (u32, u32, u32) = (2023, 12, 4);
/// dockerd-rootless.sh accepts pasta from Docker 25.0 and picks it by itself from 28.5.2 (anchors.md §A2).
const DOCKER_PASTA: (u64, u64, u64) = (25, 0, 0);
const DOCKER_PASTA_AUTO: (u64, u64, u64) = (28, 5, 2);

/// The installed Docker engine's version, from the package database.
fn docker_version(f: &Facts) -> Option<(String, (u64, u64, u64))> {
    let d = f.distro();
    d.package_alternatives("docker").into_iter().find_map(|p| {
        let v = f.package_version(p)?;
        let parsed = pkgdb::semver_prefix(pkgdb::upstream_version(&v))?;
        Some((format!("{p} {v}"), parsed))
    })
}

pub(super) const CHECKS: &[Check] = &[
    Check {
        id: "network.driver",
        area: "network",
        scope: Scope::Preflight,
        needs_runtime: false,
        title: "A usable RootlessKit network driver is installed (slirp4netns >= 0.4.0, pasta >= 2023_12_04, or vpnkit)",
        reference: "rootless-troubleshoot seed: networking errors (driver table; slow network)",
        explain: "\
What it checks: slirp4netns, pasta and vpnkit on PATH, and their versions from the package database (dpkg, pacman), in the order \
dockerd-rootless.sh tries them: slirp4netns (needs 0.4.0 or later), pasta (passt 2023_12_04 or later), vpnkit. \
No process is run to learn a version; where the database can't say, the version is reported as unknown.

Why it matters: the network driver carries every packet of every container. Without one, Docker up to 29.4 refuses to start \
(RootlessKit 3 in Docker 29.5+ falls back to its built-in gvisor-tap-vsock). passt releases before 2023_12_04, like Debian 12's \
0.0~git20230309, are too old for rootless Docker's pasta mode.

What you see when it's wrong: `Either slirp4netns (>= v0.4.0) or vpnkit needs to be installed`, later \
`One of slirp4netns (>= v0.4.0), pasta (passt >= 2023_12_04), or vpnkit needs to be installed`, or \
`slirp4netns found but seems older than v0.4.0. Checking for other network drivers.`

How to fix: install slirp4netns (`sudo apt-get install -y slirp4netns`, `sudo dnf install -y slirp4netns`, …), \
or a recent passt for pasta.",
        packages: &["slirp4netns", "passt"],
        run: driver,
    },
    Check {
        id: "network.binaries",
        area: "network",
        scope: Scope::Preflight,
        needs_runtime: false,
        title: "rootlesskit, dockerd and dockerd-rootless.sh are installed (with versions)",
        reference: "Docker rootless docs, install; anchors.md §B1 version timeline",
        explain: "\
What it checks: rootlesskit (or docker-rootlesskit), dockerd and dockerd-rootless.sh on PATH, in ~/bin (get.docker.com/rootless) \
or where the distribution keeps the rootless scripts (Debian's docker.io: /usr/share/docker.io/contrib), with versions from the \
package database.

Why it matters: preflight runs before installation, so a missing binary is expected, not broken; the versions decide which \
features and bugs apply (pasta needs Docker 25 and RootlessKit 2; RootlessKit 3.0.0 in Docker 29.5 broke UDP port publishing).

What you see when it's wrong: `dockerd-rootless.sh needs to be present under $PATH`, `rootlesskit needs to be installed`.

How to fix: install the rootless extras: `sudo apt-get install -y docker-ce-rootless-extras` (Docker's repository), \
`sudo apt-get install -y rootlesskit` with Debian's docker.io, or `curl -fsSL https://get.docker.com/rootless | sh` for ~/bin.",
        packages: &["rootlesskit"],
        run: binaries,
    },
    Check {
        id: "network.unprivileged_port_start",
        area: "network",
        scope: Scope::Preflight,
        needs_runtime: true,
        title: "Which ports below 1024 the rootless daemon may publish (net.ipv4.ip_unprivileged_port_start)",
        reference: "rootless-troubleshoot seed: docker run -p fails with cannot expose privileged port",
        explain: "\
What it checks: net.ipv4.ip_unprivileged_port_start, the lowest port an unprivileged process may bind. The default, 1024, \
means `-p 80:80` cannot work; a value above 1024 blocks ordinary ports too.

Why it matters: RootlessKit binds published ports on the host as you.

What you see when it's wrong: `Error starting userland proxy: error while calling PortManager.AddPort(): cannot expose privileged \
port 80, you might need to add \"net.ipv4.ip_unprivileged_port_start=0\" (currently 1024) to /etc/sysctl.conf, or set \
CAP_NET_BIND_SERVICE on rootlesskit binary, or choose a larger port number (>= 1024): listen tcp 0.0.0.0:80: bind: permission denied.`

How to fix: publish a port of 1024 or more (`-p 8080:80`); or `net.ipv4.ip_unprivileged_port_start=0` in /etc/sysctl.d then \
`sudo sysctl --system`; or `sudo setcap cap_net_bind_service=ep $(which rootlesskit)` and restart the daemon.",
        packages: &[],
        run: unprivileged_port_start,
    },
    Check {
        id: "network.ping_group_range",
        area: "network",
        scope: Scope::Preflight,
        needs_runtime: true,
        title: "ping works in containers (net.ipv4.ping_group_range is not \"1 0\")",
        reference: "rootless-troubleshoot seed: ping doesn't work",
        explain: "\
What it checks: net.ipv4.ping_group_range, the groups allowed to open ICMP echo sockets without privileges. \
\"1 0\" (an empty range, the kernel default) allows nobody.

Why it matters: in rootless mode, ping inside a container is an unprivileged ICMP socket on the host side.

What you see when it's wrong: `ping: socket: Operation not permitted` (or `permission denied`) inside containers.

How to fix: `net.ipv4.ping_group_range = 0 2147483647` in /etc/sysctl.d, then `sudo sysctl --system`.",
        packages: &[],
        run: ping_group_range,
    },
];

/// An installed program: where, and which version the package database records for it.
struct Installed {
    path: String,
    package: Option<(String, String)>,
}

/// Looks `binary` up on the user's PATH (plus `extra` dirs) and asks the package database for `packages`.
fn installed(f: &Facts, binary: &str, extra: &[String], packages: &[&str]) -> Option<Installed> {
    let mut dirs = f.path_dirs();
    dirs.extend(extra.iter().cloned());
    let path = f.find_in(binary, &dirs).into_iter().next()?;
    // A binary in the user's home or /usr/local was not installed by the package manager.
    let packaged = path.starts_with("/usr/bin/")
        || path.starts_with("/usr/sbin/")
        || path.starts_with("/bin/")
        || path.starts_with("/sbin/")
        || path.starts_with("/usr/share/")
        || path.starts_with("/usr/libexec/");
    let package = if packaged {
        packages
            .iter()
            .find_map(|p| f.package_version(p).map(|v| ((*p).to_owned(), v)))
    } else {
        None
    };
    Some(Installed { path, package })
}

fn describe(i: &Installed) -> String {
    match &i.package {
        Some((p, v)) => format!("{} (package {p} {v})", i.path),
        None => format!("{} (version not recorded in a package database)", i.path),
    }
}

fn driver(f: &Facts) -> Verdict {
    let d = f.distro();
    let slirp = installed(f, "slirp4netns", &[], &[d.package("slirp4netns")]);
    let pasta = installed(f, "pasta", &[], &[d.package("passt")]);
    let vpnkit = installed(f, "vpnkit", &[], &[]);
    let mut evidence = Vec::new();
    let mut usable = Vec::new();
    let mut notes = Vec::new();
    match &slirp {
        Some(i) => {
            evidence.push(Evidence {
                source: i.path.clone(),
                detail: describe(i),
            });
            let version = i
                .package
                .as_ref()
                .and_then(|(_, v)| pkgdb::semver_prefix(pkgdb::upstream_version(v)));
            match version {
                Some(v) if v < SLIRP_MIN => notes.push(format!(
                    "slirp4netns {}.{}.{} is older than 0.4.0 (\"slirp4netns found but seems older than v0.4.0\")",
                    v.0, v.1, v.2
                )),
                Some(_) => usable.push("slirp4netns"),
                None => usable.push("slirp4netns (version unknown)"),
            }
        }
        None => evidence.push(Evidence {
            source: "slirp4netns".into(),
            detail: "not on PATH".into(),
        }),
    }
    match &pasta {
        Some(i) => {
            evidence.push(Evidence {
                source: i.path.clone(),
                detail: describe(i),
            });
            let date = i.package.as_ref().and_then(|(_, v)| pkgdb::pasta_date(v));
            match date {
                Some(dt) if dt < PASTA_MIN => notes.push(format!(
                    "pasta {:04}_{:02}_{:02} is older than 2023_12_04, which rootless Docker's pasta mode needs",
                    dt.0, dt.1, dt.2
                )),
                Some(_) => usable.push("pasta"),
                None => usable.push("pasta (version unknown)"),
            }
        }
        None => evidence.push(Evidence {
            source: "pasta".into(),
            detail: "not on PATH".into(),
        }),
    }
    if let Some(i) = &vpnkit {
        evidence.push(Evidence {
            source: i.path.clone(),
            detail: describe(i),
        });
        usable.push("vpnkit");
    }
    // pasta first means slirp4netns is not usable: whether dockerd-rootless.sh takes pasta depends on Docker's version.
    if usable.first().is_some_and(|u| u.starts_with("pasta"))
        && let Some((pkg, v)) = docker_version(f)
    {
        evidence.push(Evidence {
            source: "package database".into(),
            detail: pkg.clone(),
        });
        if v < DOCKER_PASTA {
            usable.retain(|u| !u.starts_with("pasta"));
            notes.push(format!("{pkg} predates pasta support (Docker 25.0)"));
        } else if v < DOCKER_PASTA_AUTO {
            let rest: Vec<&str> = usable[1..].to_vec();
            let mut summary = format!(
                "{pkg} picks pasta only when asked (DOCKERD_ROOTLESS_ROOTLESSKIT_NET=pasta; automatic from 28.5.2)"
            );
            if !rest.is_empty() {
                summary.push_str(&format!("; without that it uses {}", rest.join(", ")));
            }
            let r = Remediation::text(
                "Install slirp4netns, or set DOCKERD_ROOTLESS_ROOTLESSKIT_NET=pasta and DOCKERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER=implicit \
for the daemon (in ~/.config/systemd/user/docker.service.d/override.conf under [Service] as Environment= lines).",
            );
            return Verdict::warn(summary)
                .with_evidence(evidence)
                .fix(r.steps(d.install_step(&["slirp4netns"])));
        }
    }
    if let Some(first) = usable.first() {
        let mut summary = format!("dockerd-rootless.sh will pick {first}");
        if usable.len() > 1 {
            summary.push_str(&format!(" (also usable: {})", usable[1..].join(", ")));
        }
        if !notes.is_empty() {
            summary.push_str(&format!("; {}", notes.join("; ")));
        }
        return Verdict::pass(summary).with_evidence(evidence);
    }
    let mut summary = "no usable network driver: Docker before 29.5 stops with \"Either slirp4netns (>= v0.4.0) or vpnkit needs to be installed\"; 29.5+ falls back to the slower built-in gvisor-tap-vsock".to_owned();
    if !notes.is_empty() {
        summary.push_str(&format!(" ({})", notes.join("; ")));
    }
    let r = Remediation::text(format!(
        "Install {} (the default, and the fastest to set up).",
        d.package_list(&["slirp4netns"])
    ));
    Verdict::warn(summary)
        .with_evidence(evidence)
        .fix(r.steps(d.install_step(&["slirp4netns"])))
}

fn binaries(f: &Facts) -> Verdict {
    let d = f.distro();
    let home_bin = format!("{}/bin", f.user.home.trim_end_matches('/'));
    let mut extra = vec![home_bin, "/usr/sbin".to_owned(), "/sbin".to_owned()];
    extra.extend(d.defaults.rootless_script_dirs.iter().cloned());
    let lookups: [(&str, Option<Installed>); 3] = [
        (
            "rootlesskit",
            installed(f, "docker-rootlesskit", &extra, &[]).or_else(|| {
                installed(
                    f,
                    "rootlesskit",
                    &extra,
                    &[d.package("rootlesskit"), d.package("docker_rootless")],
                )
            }),
        ),
        (
            "dockerd",
            installed(f, "dockerd", &extra, &d.package_alternatives("docker")),
        ),
        (
            "dockerd-rootless.sh",
            installed(
                f,
                "dockerd-rootless.sh",
                &extra,
                &[d.package("docker_rootless"), d.package("docker")],
            ),
        ),
    ];
    let mut evidence = Vec::new();
    let mut missing = Vec::new();
    for (name, found) in &lookups {
        match found {
            Some(i) => evidence.push(Evidence {
                source: (*name).to_owned(),
                detail: describe(i),
            }),
            None => {
                missing.push(*name);
                evidence.push(Evidence {
                    source: (*name).to_owned(),
                    detail: "not found".into(),
                });
            }
        }
    }
    if missing.is_empty() {
        return Verdict::pass("rootlesskit, dockerd and dockerd-rootless.sh are installed")
            .with_evidence(evidence);
    }
    let r = Remediation::text(format!(
        "Install Docker's rootless pieces: {} from the distribution, or Docker's docker-ce-rootless-extras, or the \
static bundle in ~/bin (get.docker.com/rootless; then rootlesskit needs its own AppArmor profile on Ubuntu 24.04).",
        d.package_list(&["rootlesskit"])
    ));
    Verdict::warn(format!("not installed yet: {}", missing.join(", ")))
        .with_evidence(evidence)
        .fix(r.steps(d.install_step(&["rootlesskit"])))
}

fn unprivileged_port_start(f: &Facts) -> Verdict {
    const PATH: &str = "/proc/sys/net/ipv4/ip_unprivileged_port_start";
    let fix = || {
        Remediation::text("Publish ports of 1024 and above (-p 8080:80), or let unprivileged processes bind every port:").steps([
            Step::root(["tee", "/etc/sysctl.d/53-rootless-privileged-ports.conf"]).with_stdin(PORTS_CONF),
            Step::root(["sysctl", "--system"]),
        ])
    };
    match f.sysctl_int("net.ipv4.ip_unprivileged_port_start") {
        Read::Missing => Verdict::skip("the kernel has no ip_unprivileged_port_start (before 4.11): ports below 1024 need CAP_NET_BIND_SERVICE"),
        Read::Failed(e) => unreadable(PATH, &e),
        Read::Ok(Err(e)) => Verdict::error(format!("{PATH} does not hold a number: {e}")).evidence(PATH, e),
        Read::Ok(Ok(0)) => Verdict::pass("every port can be published (ip_unprivileged_port_start = 0)").evidence(PATH, "0"),
        Read::Ok(Ok(v)) if v <= 1024 => Verdict::pass(format!(
            "ports {v} and above can be published; -p with a host port below {v} fails with \"cannot expose privileged port\""
        ))
        .evidence(PATH, v.to_string())
        .fix(fix()),
        Read::Ok(Ok(v)) => Verdict::warn(format!(
            "ip_unprivileged_port_start = {v}: even unprivileged ports 1024-{} cannot be published", v - 1
        ))
        .evidence(PATH, v.to_string())
        .fix(fix()),
    }
}

fn ping_group_range(f: &Facts) -> Verdict {
    const PATH: &str = "/proc/sys/net/ipv4/ping_group_range";
    let fix = || {
        Remediation::text("Allow every group to ping, now and at every boot:").steps([
            Step::root(["tee", "/etc/sysctl.d/52-rootless-ping.conf"]).with_stdin(PING_CONF),
            Step::root(["sysctl", "--system"]),
        ])
    };
    match f.sysctl("net.ipv4.ping_group_range") {
        Read::Missing => Verdict::skip("the kernel has no ping_group_range"),
        Read::Failed(e) => unreadable(PATH, &e),
        Read::Ok(text) => match crate::parse::sysctl::parse_int_pair(&text) {
            Err(e) => Verdict::error(format!("{PATH} is not two numbers: {e}")).evidence(PATH, text),
            Ok((lo, hi)) if lo > hi => Verdict::warn(format!(
                "ping_group_range = {lo} {hi} allows no group: ping fails inside containers"
            ))
            .evidence(PATH, format!("{lo} {hi}"))
            .fix(fix()),
            Ok((lo, hi)) if i64::from(f.user.gid) < lo || i64::from(f.user.gid) > hi => Verdict::warn(format!(
                "ping_group_range = {lo} {hi} leaves out {}'s group {}: ping fails inside containers",
                f.user.name, f.user.gid
            ))
            .evidence(PATH, format!("{lo} {hi}"))
            .fix(fix()),
            Ok((lo, hi)) => Verdict::pass(format!("ping_group_range = {lo} {hi} includes gid {}", f.user.gid)).evidence(PATH, format!("{lo} {hi}")),
        },
    }
}
