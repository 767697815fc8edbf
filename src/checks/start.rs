//! What dockerd-rootless.sh and RootlessKit need to start: the programs the start path looks up on the daemon's
//! PATH, and a RootlessKit that understands the flags the script passes.

use super::{Check, Scope};
use crate::facts::start::{DaemonPath, with_dirs};
use crate::facts::start_programs::is_dir;
use crate::facts::{Facts, FileKind, Read};
use crate::model::{Evidence, Remediation, Step, Verdict};

pub(super) const CHECKS: &[Check] = &[
    Check {
        id: "start.path",
        area: "start",
        scope: Scope::Preflight,
        needs_runtime: true,
        title: "Every program the start path runs is on the daemon's PATH (nsenter, ip, newuidmap, containerd, …)",
        reference: "https://docs.docker.com/engine/security/rootless/; https://github.com/moby/moby/blob/v20.10.24/contrib/dockerd-rootless.sh; https://github.com/rootless-containers/rootlesskit/blob/v1.1.0/pkg/network/parentutils/parentutils.go; systemd.exec(5)",
        explain: "\
What it checks: the PATH dockerd-rootless.sh, RootlessKit and dockerd will have (the docker user service's \
Environment=PATH=, the one `dockerd-rootless-setuptool.sh install` writes, or, started by hand, the shell's), and on it \
every program the start path that will run looks up there: newuidmap and newgidmap (RootlessKit maps the subordinate \
ids); nsenter (RootlessKit puts the TAP device of slirp4netns and gvisor-tap-vsock into its namespace with `nsenter … ip \
tuntap add`; the 29.5+ script runs sysctl through it); ip (that TAP setup, and the child's `ip link set lo up`); sysctl \
(scripts of 29.0 and later enable forwarding with `sysctl -w`); mount (the script bind-mounts /etc/ssl over the \
symlink `--copy-up=/etc` leaves, on every host, and /etc/cdi and /var/run/cdi, 27.4 to 29.1, when they exist); rootlesskit-docker-proxy (dockerd 20.10 to \
27.x; 27.x also looks in /usr/libexec/docker and the like); containerd (dockerd starts its own unless one listens at \
$XDG_RUNTIME_DIR/containerd/containerd.sock). Which are needed follows the script that will run (read from its text) \
and the network driver it will choose on that PATH. A unit whose ExecStart= names a script that is gone or not \
executable is reported too. Started by hand while root judges someone else, their shell's PATH is not visible: \
the login PATH stands in, and a miss is a warning. The RootlessKit binary, the network driver, dockerd and iptables \
have their own checks (network.binaries, network.driver, iptables.binary).

Why it matters: dockerd-rootless.sh never changes PATH, and every program below it looks up its helpers there. \
A unit written by an old install keeps the PATH of that day; a start by hand from a login shell on Debian or Ubuntu has \
no /usr/sbin; a minimal image may lack iproute2 or util-linux. Each missing helper stops the start at its own step.

What you see when it's wrong: RootlessKit: `[rootlesskit:parent] error: failed to setup network …: setting up tap tap0: \
executing [[nsenter -t PID -n -m -U --preserve-credentials ip tuntap add name tap0 mode tap] …]: exec: \"nsenter\": \
executable file not found in $PATH`; `nsenter: failed to execute ip: No such file or directory` (then `exit status \
127`); `[rootlesskit:parent] error: failed to setup UID/GID map: newuidmap PID [...] failed: : exec: \"newuidmap\": \
executable file not found in $PATH`. dockerd: `running with RootlessKit, but rootlesskit-docker-proxy not installed: \
exec: \"rootlesskit-docker-proxy\": executable file not found in $PATH`; `failed to start containerd: exec: \
\"containerd\": executable file not found in $PATH`. The script: `sysctl: not found`, `mount: not found`. systemd, for a \
unit whose script is gone: `status=203/EXEC`.

How to fix: install the package that ships the program (iproute2, util-linux, procps, containerd, rootlesskit); if it \
is installed but not on that PATH, add its directory to Environment=PATH= in the docker user service (then \
`systemctl --user daemon-reload`), or start the script with it: `PATH=$BIN:/sbin:/usr/sbin:$PATH dockerd-rootless.sh`. \
A unit that names a script that moved: run `dockerd-rootless-setuptool.sh install` again.",
        packages: &["iproute2", "util_linux", "procps", "containerd", "rootlesskit"],
        run: path,
    },
    Check {
        id: "start.versions",
        area: "start",
        scope: Scope::Preflight,
        needs_runtime: true,
        title: "The RootlessKit on the daemon's PATH understands the flags dockerd-rootless.sh passes",
        reference: "https://github.com/moby/moby/blob/docker-v29.7.2/contrib/dockerd-rootless.sh; https://github.com/moby/moby/blob/docker-v29.7.2/hack/dockerfile/install/rootlesskit.installer; https://github.com/rootless-containers/rootlesskit/releases",
        explain: "\
What it checks: what the dockerd-rootless.sh that will run passes to RootlessKit, read from the script's own text and \
the environment it gets: `--detach-netns` (29.5+, unless DOCKERD_ROOTLESS_ROOTLESSKIT_DETACH_NETNS=false), \
`--net=pasta` with `--port-driver=implicit` (asked for, or chosen by 28.5.2+ when slirp4netns is missing), and the \
29.5+ fallback `--net=gvisor-tap-vsock`; against the major version of the RootlessKit the script finds on the daemon's \
PATH: `--detach-netns`, pasta and `implicit` need RootlessKit 2, gvisor-tap-vsock needs RootlessKit 3. The version comes \
from the package database, never from running the binary: Debian's and Arch's rootlesskit package, or Docker's \
rootless extras, whose Docker version fixes the RootlessKit they bundle (25.0 to 29.4: v2, 29.5+: v3); for a RootlessKit \
installed without a package (the static bundle in ~/bin), the Go module path in the binary's build information \
(`github.com/rootless-containers/rootlesskit/v2`), read from the file. What none of these tells is reported as \
unknown, and then a flag that needs a newer RootlessKit is a warning.

Why it matters: a newer script with an older RootlessKit (Docker's script copied next to a distribution's RootlessKit, \
a half-upgraded ~/bin, `DOCKERD_ROOTLESS_ROOTLESSKIT_NET=pasta` on Debian 12) stops before anything starts.

What you see when it's wrong: RootlessKit 1: `[rootlesskit:parent] error: flag provided but not defined: -detach-netns` \
(after its usage text); `[rootlesskit:parent] error: unknown network mode: pasta`; `[rootlesskit:parent] error: unknown \
network mode: gvisor-tap-vsock`.

How to fix: use the RootlessKit that comes with the script (Docker's docker-ce-rootless-extras, or the same static \
bundle), or the script that comes with the RootlessKit; for `--detach-netns` alone, set \
DOCKERD_ROOTLESS_ROOTLESSKIT_DETACH_NETNS=false for the daemon; for pasta, install slirp4netns.",
        packages: &["docker_rootless"],
        run: versions,
    },
];

/// A program the start path runs and looks up on PATH.
struct Need {
    program: &'static str,
    /// The step that runs it (docs/launch-sequence.md's wording, short).
    step: String,
    /// What that step prints when the program is missing.
    error: String,
    /// Logical package that ships it.
    package: &'static str,
    /// Directories searched before PATH (dockerd 27.x's libexec lookup).
    before_path: &'static [&'static str],
    /// False when it is needed only for a Docker version that could not be read: a miss is then a warning.
    certain: bool,
}

/// Directories where a package installs the programs, to tell "not installed" from "not on that PATH".
const SYSTEM_DIRS: &[&str] = &[
    "/usr/local/sbin",
    "/usr/local/bin",
    "/usr/sbin",
    "/usr/bin",
    "/sbin",
    "/bin",
];

/// dockerd 27.x looks for rootlesskit-docker-proxy here before PATH (moby v27.0.1 daemon/config/config_linux.go
/// `lookupBinPath`).
const LIBEXEC_DOCKER: &[&str] = &[
    "/usr/local/libexec/docker",
    "/usr/libexec/docker",
    "/usr/local/lib/docker",
    "/usr/lib/docker",
];

fn needs(f: &Facts, daemon: &DaemonPath) -> Vec<Need> {
    let mut out = Vec::new();
    let driver = f.start_driver();
    let script = f.rootless_script();
    let mentions = |needle: &str| script.is_some_and(|s| s.mentions(needle));
    if driver.is_some_and(|d| d.rootlesskit.is_some()) {
        for (program, map) in [("newuidmap", "UID"), ("newgidmap", "GID")] {
            out.push(Need {
                program,
                step: format!("RootlessKit's parent writes the child's {map} map with {program}"),
                error: format!(
                    "[rootlesskit:parent] error: failed to setup UID/GID map: {program} PID [...] failed: : exec: \
\"{program}\": executable file not found in $PATH"
                ),
                package: "newuidmap",
                before_path: &[],
                certain: true,
            });
        }
    }
    let net = driver.and_then(|d| d.driver.as_deref());
    let tap_by_nsenter = matches!(net, Some("slirp4netns" | "gvisor-tap-vsock"));
    if tap_by_nsenter {
        out.push(Need {
            program: "nsenter",
            step: format!(
                "RootlessKit's parent puts {}'s TAP device into the namespace (`nsenter -t PID -n -m -U \
--preserve-credentials ip tuntap add name tap0 mode tap`)",
                net.unwrap_or_default()
            ),
            error: "[rootlesskit:parent] error: failed to setup network …: setting up tap tap0: executing [[nsenter -t \
PID -n -m -U --preserve-credentials ip tuntap add name tap0 mode tap] …]: exec: \"nsenter\": executable file not \
found in $PATH"
                .into(),
            package: "util_linux",
            before_path: &[],
            certain: true,
        });
    } else if mentions("nsenter -n") {
        out.push(Need {
            program: "nsenter",
            step: "the script enables forwarding in the detached namespace (`nsenter -n$netns sysctl -w …`)".into(),
            error: format!("{}: LINE: nsenter: not found", script.map_or("dockerd-rootless.sh", |s| s.path.as_str())),
            package: "util_linux",
            before_path: &[],
            certain: true,
        });
    }
    if let Some(net) = net.filter(|n| *n != "host") {
        let (step, error) = if tap_by_nsenter {
            (
                "nsenter runs `ip tuntap add` and `ip link set tap0 up` in RootlessKit's namespaces, then the child \
runs `ip link set lo up`"
                    .to_owned(),
                "nsenter: failed to execute ip: No such file or directory, then [rootlesskit:parent] error: failed to \
setup network …: setting up tap tap0: executing […]: exit status 127"
                    .to_owned(),
            )
        } else {
            (
                format!("RootlessKit's child sets up the {net} interface and lo with `ip link set …`"),
                "[rootlesskit:child ] error: … executing [[ip …]]: exec: \"ip\": executable file not found in $PATH"
                    .to_owned(),
            )
        };
        out.push(Need {
            program: "ip",
            step,
            error,
            package: "iproute2",
            before_path: &[],
            certain: true,
        });
    }
    if mentions("sysctl -w") {
        out.push(Need {
            program: "sysctl",
            step: "the script enables IP forwarding in the namespace (`sysctl -w net.ipv4.ip_forward=1`, 29.0+)".into(),
            error: format!("{}: LINE: sysctl: not found", script.map_or("dockerd-rootless.sh", |s| s.path.as_str())),
            package: "procps",
            before_path: &[],
            certain: true,
        });
    }
    let cdi: Vec<&str> = ["/etc/cdi", "/var/run/cdi"]
        .into_iter()
        .filter(|d| mentions(&format!("mount_directory {d}")) && is_dir(f, d))
        .collect();
    // Written for openSUSE's symlinked /etc/ssl, but `--copy-up=/etc` makes every entry of /etc a symlink in the
    // child, so every host with an /etc/ssl runs it (`mount --rbind /etc/.roNNN/ssl /etc/ssl`, observed on Debian 12).
    let ssl = mentions("-L \"/etc/ssl\"") && matches!(f.lstat("/etc/ssl"), Read::Ok(_));
    if !cdi.is_empty() || ssl {
        let mut what = cdi.clone();
        if ssl {
            what.push("/etc/ssl (a symlink once /etc is copied up)");
        }
        out.push(Need {
            program: "mount",
            step: format!(
                "the script bind-mounts {} inside the namespace",
                what.join(" and ")
            ),
            error: format!(
                "{}: LINE: mount: not found",
                script.map_or("dockerd-rootless.sh", |s| s.path.as_str())
            ),
            package: "mount",
            before_path: &[],
            certain: true,
        });
    }
    // dockerd 20.10 to 27.x look up the userland proxy; 28.0+ talk to RootlessKit's API instead.
    let docker = f.docker_version();
    let newer_script = mentions("sysctl -w") || mentions("--detach-netns");
    let proxy = match &docker {
        Some((_, v)) => (*v < (28, 0, 0)).then_some(true),
        None => (!newer_script).then_some(false),
    };
    if let Some(certain) = proxy {
        let v27 = docker.as_ref().is_some_and(|(_, v)| *v >= (27, 0, 0));
        out.push(Need {
            program: "rootlesskit-docker-proxy",
            step: match &docker {
                Some((pkg, _)) => format!("dockerd ({pkg}) looks up its userland proxy at start"),
                None => "dockerd before 28.0 looks up its userland proxy at start (Docker's version not in a package \
database)"
                    .to_owned(),
            },
            error: "running with RootlessKit, but rootlesskit-docker-proxy not installed: exec: \
\"rootlesskit-docker-proxy\": executable file not found in $PATH"
                .into(),
            package: "rootlesskit",
            before_path: if v27 { LIBEXEC_DOCKER } else { &[] },
            certain,
        });
    }
    let socket = format!("{}/containerd/containerd.sock", f.runtime_dir());
    if !matches!(f.lstat(&socket), Read::Ok(_)) && daemon.known {
        out.push(Need {
            program: "containerd",
            step: format!("dockerd starts its own containerd (none at {socket})"),
            error: "failed to start containerd: exec: \"containerd\": executable file not found in $PATH".into(),
            package: "containerd",
            before_path: &[],
            certain: true,
        });
    }
    out
}

/// The unit's ExecStart= script (launch-sequence row 0.4): systemd's exec fails with status=203/EXEC.
fn exec_start(f: &Facts) -> Option<Verdict> {
    let script = f.rootless_script()?;
    if !script.found_by.ends_with("ExecStart=") {
        return None;
    }
    let unit = script.found_by.trim_end_matches(" ExecStart=").to_owned();
    let why = match f.stat(&script.path) {
        Read::Missing => "does not exist".to_owned(),
        Read::Failed(e) => return Some(super::unreadable(&script.path, &e)),
        Read::Ok(m) if m.kind != FileKind::File => format!("is a {}", m.kind.describe()),
        Read::Ok(m) => {
            let shift = if m.uid == f.user.uid {
                6
            } else if m.gid == f.user.gid {
                3
            } else {
                0
            };
            if (m.mode >> shift) & 0o1 != 0 {
                return None;
            }
            format!(
                "is not executable for {} (mode {:04o}, owner {}:{})",
                f.user.name, m.mode, m.uid, m.gid
            )
        }
    };
    Some(
        Verdict::fail(format!(
            "{unit} starts {}, which {why}: systemd reports status=203/EXEC",
            script.path
        ))
        .evidence(script.found_by.clone(), script.path.clone())
        .evidence(script.path.clone(), why)
        .fix(Remediation::text(
            "Write the unit again for the installed dockerd-rootless.sh: run `dockerd-rootless-setuptool.sh install` \
(from the directory of the current dockerd-rootless.sh), then `systemctl --user daemon-reload`.",
        )),
    )
}

fn path(f: &Facts) -> Verdict {
    let Some(daemon) = f.daemon_path() else {
        return Verdict::skip(
            "not judged: a tree without a running system shows neither its init system nor a session's PATH",
        );
    };
    if let Some(v) = exec_start(f) {
        return v.evidence(daemon.source.clone(), daemon.detail());
    }
    let d = f.distro();
    let mut evidence = vec![Evidence {
        source: daemon.source.clone(),
        detail: daemon.detail(),
    }];
    if let Some(s) = f.rootless_script() {
        evidence.push(Evidence {
            source: "dockerd-rootless.sh".into(),
            detail: format!("{} ({})", s.path, s.found_by),
        });
    }
    if let Some(sd) = f.start_driver() {
        evidence.push(Evidence {
            source: "network driver".into(),
            detail: match &sd.driver {
                Some(n) => format!("{n} ({})", sd.source),
                None => format!("none ({})", sd.source),
            },
        });
    }
    let mut missing: Vec<(Need, Option<String>)> = Vec::new();
    let mut found = Vec::new();
    for need in needs(f, daemon) {
        let dirs: Vec<String> = need
            .before_path
            .iter()
            .map(|d| (*d).to_owned())
            .chain(daemon.dirs.iter().cloned())
            .collect();
        match f.find_in(need.program, &dirs).into_iter().next() {
            Some(p) => {
                found.push(need.program);
                evidence.push(Evidence {
                    source: p,
                    detail: need.step,
                });
            }
            None => {
                let dirs: Vec<String> = SYSTEM_DIRS.iter().map(|d| (*d).to_owned()).collect();
                let elsewhere = f.find_in(need.program, &dirs).into_iter().next();
                // Not installed at all: uidmap.newuidmap and uidmap.newgidmap already fail for it.
                if elsewhere.is_none() && need.package == "newuidmap" {
                    evidence.push(Evidence {
                        source: need.program.to_owned(),
                        detail: format!("not installed (uidmap.{})", need.program),
                    });
                    continue;
                }
                evidence.push(Evidence {
                    source: need.program.to_owned(),
                    detail: format!(
                        "{}: {}; without it: {}",
                        match &elsewhere {
                            Some(p) => format!("not on that PATH (installed as {p})"),
                            None => "not installed".to_owned(),
                        },
                        need.step,
                        need.error
                    ),
                });
                missing.push((need, elsewhere));
            }
        }
    }
    if missing.is_empty() {
        let summary = if found.is_empty() {
            format!(
                "nothing the start path looks up on PATH is needed here ({})",
                daemon.how
            )
        } else {
            format!("{} on the PATH of {}", found.join(", "), daemon.how)
        };
        return Verdict::pass(summary).with_evidence(evidence);
    }
    let names: Vec<&str> = missing.iter().map(|(n, _)| n.program).collect();
    let first = &missing[0].0;
    let mut summary = format!(
        "{} not on the PATH of {}; the first step to fail: {}, with \"{}\"",
        names.join(", "),
        daemon.how,
        first.step,
        first.error
    );
    let certain = daemon.known && missing.iter().all(|(n, _)| n.certain);
    if !daemon.known {
        summary.push_str(" (unless a shell profile adds it)");
    }
    let v = if certain {
        Verdict::fail(summary)
    } else {
        Verdict::warn(summary)
    }
    .with_evidence(evidence);
    // Not installed: the packages; installed elsewhere: the directories, on the unit's or the shell's PATH.
    let packages: Vec<&str> = {
        let mut p: Vec<&str> = missing
            .iter()
            .filter(|(_, e)| e.is_none())
            .map(|(n, _)| n.package)
            .collect();
        p.dedup();
        p
    };
    let mut dirs: Vec<&str> = missing
        .iter()
        .filter_map(|(_, e)| {
            e.as_deref()
                .and_then(|p| p.rsplit_once('/'))
                .map(|(d, _)| d)
        })
        .collect();
    dirs.dedup();
    let mut r = Remediation::text(String::new());
    let mut text = Vec::new();
    if !packages.is_empty() {
        text.push(format!("Install {}.", d.package_list(&packages)));
        r = r.steps(d.install_step(&packages));
    }
    if !dirs.is_empty() {
        let list = dirs.join(" and ");
        match &daemon.unit {
            Some(unit) => text.push(format!(
                "Add {list} to Environment=PATH= in {unit} (dockerd-rootless-setuptool.sh install writes \
$BIN:/sbin:/usr/sbin:$PATH), then `systemctl --user daemon-reload` and `systemctl --user restart docker`."
            )),
            None if daemon.by_hand => {
                let script_dir = f
                    .rootless_script()
                    .and_then(|s| s.path.rsplit_once('/').map(|(d, _)| d.to_owned()));
                let mut front: Vec<&str> = script_dir.iter().map(String::as_str).collect();
                front.extend(dirs.iter().copied());
                let value = format!("PATH={}", with_dirs(&daemon.dirs, &front, true).join(":"));
                text.push(format!(
                    "Start the daemon with {list} on PATH (or add it to PATH in the shell profile):"
                ));
                r = r.step(Step::user(["env", value.as_str(), "dockerd-rootless.sh"]));
            }
            None => text.push(format!(
                "Add {list} to the PATH the docker user service gets (Environment=PATH= after \
`dockerd-rootless-setuptool.sh install`)."
            )),
        }
    }
    r.text = text.join(" ");
    v.fix(r)
}

/// What the script passes that an older RootlessKit lacks: (what, the major it needs, RootlessKit 1's error).
fn demands(f: &Facts) -> Vec<(String, u64, String)> {
    let mut out = Vec::new();
    let Some(script) = f.rootless_script() else {
        return out;
    };
    let env = f.start_env();
    let var = |name: &str| env.and_then(|e| e.get(name));
    if script.mentions("--detach-netns") {
        let value = var("DOCKERD_ROOTLESS_ROOTLESSKIT_DETACH_NETNS").unwrap_or("true");
        if matches!(value, "1" | "true") {
            out.push((
                format!(
                    "--detach-netns (DOCKERD_ROOTLESS_ROOTLESSKIT_DETACH_NETNS={value}{})",
                    if var("DOCKERD_ROOTLESS_ROOTLESSKIT_DETACH_NETNS").is_none() {
                        ", the script's default"
                    } else {
                        ""
                    }
                ),
                2,
                "[rootlesskit:parent] error: flag provided but not defined: -detach-netns"
                    .to_owned(),
            ));
        }
    }
    match f.start_driver().and_then(|d| d.driver.as_deref()) {
        Some("pasta") => out.push((
            "--net=pasta".to_owned(),
            2,
            "[rootlesskit:parent] error: unknown network mode: pasta".to_owned(),
        )),
        Some("gvisor-tap-vsock") => out.push((
            "--net=gvisor-tap-vsock".to_owned(),
            3,
            "[rootlesskit:parent] error: unknown network mode: gvisor-tap-vsock".to_owned(),
        )),
        _ => {}
    }
    if var("DOCKERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER") == Some("implicit") {
        out.push((
            "--port-driver=implicit".to_owned(),
            2,
            "[rootlesskit:parent] error: unknown port driver: implicit".to_owned(),
        ));
    }
    out
}

fn versions(f: &Facts) -> Verdict {
    let Some(_) = f.daemon_path() else {
        return Verdict::skip(
            "not judged: a tree without a running system shows neither its init system nor a session's PATH",
        );
    };
    let Some(script) = f.rootless_script() else {
        return Verdict::pass(
            "no dockerd-rootless.sh installed yet: nothing to compare (network.binaries)",
        );
    };
    match &script.text {
        Read::Ok(_) => {}
        Read::Missing => {
            return Verdict::skip(format!(
                "{} does not exist (start.path): nothing to compare",
                script.path
            ));
        }
        Read::Failed(e) => return super::unreadable(&script.path, e),
    }
    let Some(rk) = f.rootlesskit_version() else {
        return Verdict::pass(format!(
            "{}: no RootlessKit on the daemon's PATH to compare with (network.binaries)",
            script.path
        ))
        .evidence(script.path.clone(), script.found_by.clone());
    };
    let demands = demands(f);
    let mut evidence = vec![
        Evidence {
            source: script.path.clone(),
            detail: if demands.is_empty() {
                "passes no flag that needs RootlessKit 2 or later".to_owned()
            } else {
                format!(
                    "passes {}",
                    demands
                        .iter()
                        .map(|(w, m, _)| format!("{w} (RootlessKit {m}+)"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            },
        },
        Evidence {
            source: rk.path.clone(),
            detail: rk.detail.clone(),
        },
    ];
    if let Some(sd) = f.start_driver()
        && let Some(n) = &sd.driver
    {
        evidence.push(Evidence {
            source: "network driver".into(),
            detail: format!("{n} ({})", sd.source),
        });
    }
    let Some(major) = rk.major else {
        if demands.is_empty() {
            return Verdict::pass(format!(
                "{} passes nothing a RootlessKit 1 lacks; {}'s version is unknown",
                script.path, rk.path
            ))
            .with_evidence(evidence);
        }
        let need = demands.iter().map(|(_, m, _)| *m).max().unwrap_or(2);
        return Verdict::warn(format!(
            "{} passes {}, which needs RootlessKit {need} or later; {}'s version is {}",
            script.path,
            demands[0].0,
            rk.path,
            rk.detail
        ))
        .with_evidence(evidence)
        .fix(Remediation::text(
            "Make sure the RootlessKit comes from the same release as dockerd-rootless.sh (`rootlesskit --version`).",
        ));
    };
    let short: Vec<&(String, u64, String)> =
        demands.iter().filter(|(_, m, _)| *m > major).collect();
    if short.is_empty() {
        return Verdict::pass(format!(
            "RootlessKit {major}.x understands what {} passes",
            script.path
        ))
        .with_evidence(evidence);
    }
    let (what, need, error) = short[0];
    let mut text = format!(
        "Use the RootlessKit that comes with {} (Docker's {} bundles RootlessKit {need}), or the dockerd-rootless.sh of \
the installed RootlessKit's release.",
        script.path,
        f.distro().package("docker_rootless")
    );
    if short
        .iter()
        .all(|(w, _, _)| w.starts_with("--detach-netns"))
    {
        text.push_str(
            " Or turn the flag off for the daemon: DOCKERD_ROOTLESS_ROOTLESSKIT_DETACH_NETNS=false (in \
~/.config/systemd/user/docker.service.d/override.conf under [Service] as an Environment= line, or in the shell \
that starts it).",
        );
    }
    Verdict::fail(format!(
        "{} passes {what}, which RootlessKit {major}.x ({}) lacks: it stops with \"{error}\"",
        script.path, rk.path
    ))
    .with_evidence(evidence)
    .fix(Remediation::text(text))
}

#[cfg(test)]
mod tests {
    use crate::checks::test_support::{check, fix, steps};
    use crate::model::Status;

    #[test]
    fn debian_12_has_everything_on_the_install_path() {
        for id in ["start.path", "start.versions"] {
            let v = check("debian-12", id);
            assert_eq!(v.status, Status::Pass, "{id}: {v:?}");
        }
    }

    #[test]
    fn a_missing_tap_helper_names_its_step_error_and_package() {
        let v = check("debian-12-start-no-ip-no-nsenter", "start.path");
        assert_eq!(v.status, Status::Fail);
        assert!(
            v.summary.starts_with("nsenter, ip not on the PATH"),
            "{}",
            v.summary
        );
        assert!(
            v.summary
                .contains("exec: \"nsenter\": executable file not found in $PATH"),
            "{}",
            v.summary
        );
        assert!(v.evidence.iter().any(|e| {
            e.source == "ip"
                && e.detail
                    .contains("nsenter: failed to execute ip: No such file or directory")
        }));
        assert_eq!(steps(&v), ["sudo apt-get install -y util-linux iproute2"]);
    }

    #[test]
    fn dockerd_20_10_needs_its_proxy_and_a_containerd() {
        let v = check("debian-12-start-no-containerd-no-proxy", "start.path");
        assert_eq!(v.status, Status::Fail);
        assert!(
            v.summary
                .starts_with("rootlesskit-docker-proxy, containerd not on the PATH")
        );
        assert_eq!(
            steps(&v),
            ["sudo apt-get install -y rootlesskit containerd"]
        );
        // A containerd already listening is used instead of the binary.
        let v = check("debian-12-start-containerd-running", "start.path");
        assert_eq!(v.status, Status::Pass, "{v:?}");
        assert!(!v.summary.contains("containerd"), "{}", v.summary);
    }

    #[test]
    fn a_29_script_by_hand_needs_sbin_for_sysctl() {
        let v = check("debian-12-start-script-29-rootlesskit-1", "start.path");
        assert_eq!(v.status, Status::Fail);
        assert!(
            v.summary.starts_with("sysctl not on the PATH"),
            "{}",
            v.summary
        );
        assert_eq!(
            steps(&v),
            ["env PATH=/home/alice/bin:/usr/sbin:/usr/local/bin:/usr/bin:/bin dockerd-rootless.sh"]
        );
    }

    #[test]
    fn cdi_directories_need_mount() {
        let v = check("debian-12-start-cdi-without-mount", "start.path");
        assert_eq!(v.status, Status::Fail);
        assert!(
            v.summary
                .contains("bind-mounts /etc/cdi and /etc/ssl (a symlink once /etc is copied up)"),
            "{}",
            v.summary
        );
        assert_eq!(steps(&v), ["sudo apt-get install -y mount"]);
    }

    #[test]
    fn newuidmap_off_the_units_path_is_fixed_in_the_unit() {
        let v = check("debian-12-start-unit-path-without-usr-bin", "start.path");
        assert_eq!(v.status, Status::Fail);
        assert!(
            v.summary.starts_with("newuidmap, newgidmap, nsenter, ip"),
            "{}",
            v.summary
        );
        assert!(fix(&v).text.contains(
            "Add /usr/bin to Environment=PATH= in /home/alice/.config/systemd/user/docker.service"
        ));
        assert!(steps(&v).is_empty());
    }

    #[test]
    fn a_unit_whose_script_is_gone_fails_with_203() {
        let v = check("debian-12-start-unit-script-gone", "start.path");
        assert_eq!(v.status, Status::Fail);
        assert!(
            v.summary
                .ends_with("which does not exist: systemd reports status=203/EXEC"),
            "{}",
            v.summary
        );
        assert_eq!(
            check("debian-12-start-unit-script-gone", "start.versions").status,
            Status::Skip
        );
    }

    #[test]
    fn regression_unit_exec_start_judged_without_systemd() {
        // Without systemd as PID 1 nothing runs the user unit: its ExecStart= does not decide the script (and
        // looking for the unit listed every process, 2 ms of preflight on a busy host).
        let v = check("debian-12-start-unit-without-systemd", "start.path");
        assert_eq!(v.status, Status::Pass, "{}", v.summary);
        assert!(v.evidence.iter().any(|e| {
            e.source == "dockerd-rootless.sh"
                && e.detail
                    .starts_with("/usr/share/docker.io/contrib/dockerd-rootless.sh")
        }));
    }

    #[test]
    fn a_29_script_with_rootlesskit_1_fails_on_detach_netns() {
        let v = check("debian-12-start-script-29-rootlesskit-1", "start.versions");
        assert_eq!(v.status, Status::Fail);
        assert!(
            v.summary.ends_with(
                "\"[rootlesskit:parent] error: flag provided but not defined: -detach-netns\""
            ),
            "{}",
            v.summary
        );
        assert!(
            fix(&v)
                .text
                .contains("DOCKERD_ROOTLESS_ROOTLESSKIT_DETACH_NETNS=false")
        );
    }

    #[test]
    fn regression_symlinked_packaged_rootlesskit_had_an_unknown_version() {
        // /usr/local/bin/rootlesskit -> /usr/bin/rootlesskit: the packaged 1.1.0 runs (the live test's scratch
        // PATH of symlinks found this).
        let v = check("debian-12-start-pasta-rootlesskit-1", "start.versions");
        assert_eq!(v.status, Status::Fail, "{}", v.summary);
        assert!(v.evidence.iter().any(|e| e.source
            == "/usr/local/bin/rootlesskit -> /usr/bin/rootlesskit"
            && e.detail == "package rootlesskit 1.1.0-1"));
    }

    #[test]
    fn pasta_with_rootlesskit_1_fails() {
        let v = check("debian-12-start-pasta-rootlesskit-1", "start.versions");
        assert_eq!(v.status, Status::Fail);
        assert!(
            v.summary
                .ends_with("\"[rootlesskit:parent] error: unknown network mode: pasta\"")
        );
    }

    #[test]
    fn the_static_bundles_major_comes_from_its_go_build_information() {
        let v = check("debian-12-start-home-bin-rootlesskit-2", "start.versions");
        assert_eq!(v.status, Status::Pass, "{}", v.summary);
        assert!(v.evidence.iter().any(|e| e.source == "/home/alice/bin/rootlesskit"
            && e.detail.starts_with("RootlessKit 2.x: not packaged; its Go build information names github.com/rootless-containers/rootlesskit/v2")));
        // Without slirp4netns, pasta or vpnkit the 29.5+ script falls back to gvisor-tap-vsock: RootlessKit 3 only.
        let v = check(
            "debian-12-start-gvisor-fallback-rootlesskit-2",
            "start.versions",
        );
        assert_eq!(v.status, Status::Fail);
        assert!(
            v.summary.ends_with(
                "\"[rootlesskit:parent] error: unknown network mode: gvisor-tap-vsock\""
            ),
            "{}",
            v.summary
        );
    }

    #[test]
    fn an_unpackaged_rootlesskit_has_an_unknown_version() {
        let v = check(
            "debian-12-start-unit-path-without-usr-bin",
            "start.versions",
        );
        assert_eq!(v.status, Status::Pass);
        assert!(
            v.summary
                .ends_with("/home/alice/bin/rootlesskit's version is unknown"),
            "{}",
            v.summary
        );
    }
}
