//! The kernel: its version, the configuration options Docker needs (check-config.sh's core, without its 1.5 s),
//! and swap accounting. `check` runs these; preflight has its own narrower kernel facts (storage, iptables).

use super::{Check, Judges, Scope, unreadable};
use crate::facts::{Facts, Read};
use crate::fsmagic;
use crate::model::{Evidence, Remediation, Verdict, tristate_letter};
use crate::parse::kernel::{KernelVersion, Tristate};

/// Docker's floor (the daemon troubleshooting docs: "kernel 3.10 or higher").
const MIN_KERNEL: KernelVersion = KernelVersion::new(3, 10, 0);

/// check-config.sh's "Generally Necessary" options and the rootless ones, with the module each builds
/// (when it is a module), so that `=m` can be checked against the installed module files.
const NEEDED: &[(&str, Option<&str>)] = &[
    ("NAMESPACES", None),
    ("NET_NS", None),
    ("PID_NS", None),
    ("IPC_NS", None),
    ("UTS_NS", None),
    ("USER_NS", None),
    ("CGROUPS", None),
    ("CGROUP_CPUACCT", None),
    ("CGROUP_DEVICE", None),
    ("CGROUP_FREEZER", None),
    ("CGROUP_SCHED", None),
    ("CPUSETS", None),
    ("MEMCG", None),
    ("KEYS", None),
    ("VETH", Some("veth")),
    ("BRIDGE", Some("bridge")),
    ("BRIDGE_NETFILTER", Some("br_netfilter")),
    ("IP_NF_FILTER", Some("iptable_filter")),
    // Since Linux 5.2 this option only selects NETFILTER_XT_TARGET_MASQUERADE: the module is xt_MASQUERADE
    // (Debian 12's 6.1 kernel has no ipt_MASQUERADE.ko); older kernels have ipt_MASQUERADE. See MODULE_ALTERNATIVES.
    ("IP_NF_TARGET_MASQUERADE", Some("ipt_MASQUERADE")),
    ("NETFILTER_XT_MATCH_ADDRTYPE", Some("xt_addrtype")),
    ("NETFILTER_XT_MATCH_CONNTRACK", Some("xt_conntrack")),
    ("NETFILTER_XT_MARK", Some("xt_mark")),
    ("IP_NF_NAT", Some("iptable_nat")),
    ("NF_NAT", Some("nf_nat")),
    ("POSIX_MQUEUE", None),
    ("SECCOMP", None),
    ("OVERLAY_FS", Some("overlay")),
];

/// Modules that provide the same target under another file name, by kernel version.
const MODULE_ALTERNATIVES: &[(&str, &str)] = &[("ipt_MASQUERADE", "xt_MASQUERADE")];

pub(super) const CHECKS: &[Check] = &[
    Check {
        id: "kernel.oom",
        area: "kernel",
        scope: Scope::CheckOnly,
        needs_runtime: true,
        per_user: false,
        judges: Judges::AnyDaemon,
        title: "The kernel's OOM killer has not killed the daemon or container processes since boot",
        reference: "https://docs.docker.com/engine/daemon/troubleshoot/",
        explain: "\
What it checks: the kernel log (/dev/kmsg, what `dmesg` shows) for OOM kills since boot: `Out of memory: Killed process …` \
and `Memory cgroup out of memory: …` with the oom-kill line's cgroup, sorted into the daemon's own processes (dockerd, \
containerd, containerd-shim, rootlesskit, slirp4netns, pasta, docker-proxy) and container processes (a cgroup with a Docker \
container ID). Reading the log needs root where kernel.dmesg_restrict=1.

Why it matters: a container that uses more memory than the host (or its --memory limit) has is killed by the kernel, and \
so can the daemon be; Docker then reports only an exit code.

What you see when it's wrong: a container that exits with code 137 and `\"OOMKilled\": true` in `docker inspect`; a daemon that \
vanished, `Cannot connect to the Docker daemon` afterwards.

How to fix: give the host more memory, or give containers limits that fit (`docker run --memory …`); see the Docker docs on \
the risks of running out of memory. A killed daemon restarts with `systemctl restart docker` (or --user).",
        packages: &[],
        removes: &[],
        run: oom,
    },
    Check {
        id: "kernel.version",
        area: "kernel",
        scope: Scope::CheckOnly,
        needs_runtime: true,
        per_user: false,
        judges: Judges::AnyDaemon,
        title: "The kernel is 3.10 or later",
        reference: "https://docs.docker.com/engine/daemon/troubleshoot/",
        explain: "\
What it checks: the running kernel's release (/proc/sys/kernel/osrelease) against Docker's floor, 3.10.

Why it matters: older kernels lack the namespace and cgroup features Docker relies on; the daemon may start and then fail \
in odd ways.

What you see when it's wrong: containers that fail to start with errors about namespaces or cgroups; check-config.sh reports \
missing options.

How to fix: upgrade the kernel through your distribution (every supported release ships 4.18 or later).",
        packages: &[],
        removes: &[],
        run: version,
    },
    Check {
        id: "kernel.config",
        area: "kernel",
        scope: Scope::CheckOnly,
        needs_runtime: true,
        per_user: false,
        judges: Judges::AnyDaemon,
        title: "The kernel has the options Docker needs (namespaces, cgroups, veth, bridge, netfilter, overlay, seccomp)",
        reference: "https://docs.docker.com/engine/daemon/troubleshoot/; https://github.com/moby/moby/blob/master/contrib/check-config.sh",
        explain: "\
What it checks: the running kernel's configuration (/boot/config-RELEASE, else /proc/config.gz): the options check-config.sh \
calls generally necessary (namespaces, cgroups, KEYS, VETH, BRIDGE and BRIDGE_NETFILTER, the iptables filter, NAT and \
MASQUERADE targets, the addrtype/conntrack/mark matches, POSIX_MQUEUE) plus USER_NS, SECCOMP and OVERLAY_FS. Each is built in, a \
module (whose file must exist in /lib/modules/RELEASE), or missing.

Why it matters: a missing option breaks networking or isolation in ways that surface only when a container starts.

What you see when it's wrong: check-config.sh prints `CONFIG_X: missing`; dockerd fails with, e.g., \
`failed to create NAT chain DOCKER: iptables failed` or `Error response from daemon: … operation not supported`.

How to fix: boot a distribution kernel (they all have these options), or rebuild yours with them; for a module whose file is \
missing, install the kernel's modules package (linux-modules-extra on Ubuntu's cloud kernels).",
        packages: &[],
        removes: &[],
        run: config,
    },
    Check {
        id: "kernel.swap_limit",
        area: "kernel",
        scope: Scope::CheckOnly,
        needs_runtime: true,
        per_user: false,
        judges: Judges::AnyDaemon,
        title: "The kernel accounts swap per cgroup, so --memory-swap works (optional)",
        reference: "https://docs.docker.com/engine/daemon/troubleshoot/; https://docs.docker.com/engine/install/linux-postinstall/",
        explain: "\
What it checks: swap accounting in the memory cgroup: memory.swap.max in a cgroup v2 hierarchy, or memory.memsw.limit_in_bytes \
in the v1 memory controller.

Why it matters: without it, `--memory-swap` is ignored and a container limited with `--memory` can still use swap.

What you see when it's wrong: `docker info` ends with `WARNING: No swap limit support`, and `docker run -m` prints \
`WARNING: Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.`

How to fix: optional. On GRUB systems add `cgroup_enable=memory swapaccount=1` to GRUB_CMDLINE_LINUX in /etc/default/grub, run \
`sudo update-grub` (or grub2-mkconfig) and reboot. It costs about 1% of memory and a little performance, which is why some \
distributions leave it off.",
        packages: &[],
        removes: &[],
        run: swap_limit,
    },
];

fn version(f: &Facts) -> Verdict {
    let release = f.kernel_release.clone().unwrap_or_default();
    match f.kernel {
        None => Verdict::error(format!("cannot tell the kernel version from {release:?}"))
            .evidence("/proc/sys/kernel/osrelease", release),
        Some(k) if k < MIN_KERNEL => Verdict::fail(format!(
            "kernel {k} is older than {MIN_KERNEL}, Docker's minimum"
        ))
        .evidence("/proc/sys/kernel/osrelease", release)
        .fix(Remediation::text(
            "Upgrade to a kernel your distribution supports (4.18 or later everywhere today).",
        )),
        Some(k) => Verdict::pass(format!("kernel {k} (Docker needs {MIN_KERNEL} or later)"))
            .evidence("/proc/sys/kernel/osrelease", release),
    }
}

fn config(f: &Facts) -> Verdict {
    let release = f.kernel_release.clone().unwrap_or_default();
    let Some((source, _)) = f.kernel_option("NAMESPACES") else {
        return Verdict::skip(format!(
            "no kernel configuration to read (/boot/config-{release} and /proc/config.gz are both missing)"
        ));
    };
    let lists = f.kernel_modules();
    let have_module = |m: &str| lists.dep.names(m) || lists.builtin.names(m);
    let mut missing = Vec::new();
    let mut no_file = Vec::new();
    let mut evidence = Vec::new();
    for (option, module) in NEEDED {
        let t = f.kernel_option(option).map_or(Tristate::No, |(_, t)| t);
        match (t, module) {
            (Tristate::No, _) => missing.push(format!("CONFIG_{option}")),
            // Without the module lists (no /lib/modules/RELEASE), modprobe finds no file either: said so.
            (Tristate::Module, Some(m)) => {
                let names: Vec<&str> = std::iter::once(*m)
                    .chain(
                        MODULE_ALTERNATIVES
                            .iter()
                            .filter(|(name, _)| name == m)
                            .map(|&(_, other)| other),
                    )
                    .collect();
                if !names.iter().any(|n| have_module(n)) {
                    let files: Vec<String> = names.iter().map(|n| format!("{n}.ko")).collect();
                    no_file.push(format!(
                        "CONFIG_{option}=m ({} not in /lib/modules/{release})",
                        files.join(" or ")
                    ));
                }
            }
            _ => {}
        }
        evidence.push(Evidence {
            source: source.clone(),
            detail: format!("CONFIG_{option}={}", tristate_letter(t)),
        });
    }
    if !missing.is_empty() || !no_file.is_empty() {
        let mut problems = Vec::new();
        if !missing.is_empty() {
            problems.push(format!("missing: {}", missing.join(", ")));
        }
        if !no_file.is_empty() {
            problems.push(no_file.join(", "));
        }
        return Verdict::fail(format!("the kernel lacks what Docker needs: {}", problems.join("; ")))
            .with_evidence(evidence)
            .fix(Remediation::text(
                "Boot your distribution's standard kernel, or enable these options and rebuild; for modules without files install the kernel's modules package.",
            ));
    }
    Verdict::pass(format!(
        "all {} options Docker needs are built in or available as modules ({source})",
        NEEDED.len()
    ))
    .with_evidence(evidence)
}

fn swap_limit(f: &Facts) -> Verdict {
    let fix = || {
        Remediation::text(
            "Optional (it costs about 1% of memory): add `cgroup_enable=memory swapaccount=1` to GRUB_CMDLINE_LINUX in \
/etc/default/grub, regenerate the GRUB configuration (update-grub or grub2-mkconfig) and reboot.",
        )
    };
    match f.fs_magic("/sys/fs/cgroup") {
        Read::Ok(m) if m == fsmagic::CGROUP2 => {
            // The root cgroup has no memory.swap.max: look in the first-level slices systemd creates.
            let dirs: Vec<String> = match f.read_dir("/sys/fs/cgroup") {
                Read::Ok(names) => names
                    .into_iter()
                    .filter(|n| n.ends_with(".slice"))
                    .collect(),
                _ => Vec::new(),
            };
            let mut looked = Vec::new();
            for d in &dirs {
                let p = format!("/sys/fs/cgroup/{d}/memory.swap.max");
                if matches!(f.lstat(&p), Read::Ok(_)) {
                    return Verdict::pass("swap is accounted per cgroup (memory.swap.max)")
                        .evidence(p, "exists");
                }
                if matches!(
                    f.lstat(&format!("/sys/fs/cgroup/{d}/memory.max")),
                    Read::Ok(_)
                ) {
                    looked.push(p);
                }
            }
            if looked.is_empty() {
                return Verdict::skip(
                    "no memory cgroup below /sys/fs/cgroup to look at (memory controller not enabled in any slice)",
                );
            }
            Verdict::warn("no swap accounting (memory.swap.max is missing): `docker run -m` prints \"WARNING: Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.\"")
                .with_evidence(looked.into_iter().map(|p| Evidence { source: p, detail: "missing".into() }))
                .fix(fix())
        }
        Read::Ok(_) => {
            let memsw = "/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes";
            match f.lstat(memsw) {
                Read::Ok(_) => Verdict::pass("swap is accounted per cgroup (memory.memsw.*)").evidence(memsw, "exists"),
                Read::Failed(e) => unreadable(memsw, &e),
                Read::Missing if matches!(f.lstat("/sys/fs/cgroup/memory"), Read::Ok(_)) => Verdict::warn(
                    "no swap accounting (memory.memsw.limit_in_bytes is missing): \"WARNING: Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.\"",
                )
                .evidence(memsw, "missing")
                .fix(fix()),
                Read::Missing => Verdict::skip("no v1 memory controller mounted at /sys/fs/cgroup/memory"),
            }
        }
        Read::Missing => Verdict::skip("/sys/fs/cgroup does not exist"),
        Read::Failed(e) => unreadable("/sys/fs/cgroup", &e),
    }
}

/// Processes of Docker itself, by the name the kernel prints (15 characters at most).
const DAEMON_PROCESSES: &[&str] = &[
    "dockerd",
    "containerd",
    "rootlesskit",
    "slirp4netns",
    "pasta",
    "docker-proxy",
    "runc",
];

fn oom(f: &Facts) -> Verdict {
    let records = match f.kernel_log() {
        Read::Ok(r) => r,
        Read::Missing => return Verdict::skip("no kernel log to read here"),
        Read::Failed(e) => {
            return Verdict::skip(format!(
                "the kernel log is closed to this user ({e}; kernel.dmesg_restrict): run with sudo to see OOM kills"
            ));
        }
    };
    let kills = crate::parse::kmsg::oom_kills(&records);
    let mut evidence = vec![Evidence {
        source: "/dev/kmsg".into(),
        detail: format!("{} records, {} OOM kill(s)", records.len(), kills.len()),
    }];
    let mut found = Vec::new();
    for k in &kills {
        let when = format!("{}s after boot", k.usec / 1_000_000);
        let container = k
            .cgroup
            .as_deref()
            .and_then(crate::parse::kmsg::container_id);
        let scope = if k.memcg {
            "its memory limit"
        } else {
            "the machine's memory"
        };
        let what = if let Some(id) = container {
            Some(format!(
                "{} (pid {}) in container {} ran out of {scope}, {when}",
                k.name,
                k.pid,
                &id[..12]
            ))
        } else if DAEMON_PROCESSES.contains(&k.name.as_str())
            || k.name.starts_with("containerd-shim")
        {
            Some(format!(
                "the daemon's {} (pid {}) was killed ({scope}), {when}",
                k.name, k.pid
            ))
        } else {
            None
        };
        evidence.push(Evidence {
            source: "OOM kill".into(),
            detail: format!(
                "{} pid {} cgroup {} {when}",
                k.name,
                k.pid,
                k.cgroup.as_deref().unwrap_or("?")
            ),
        });
        if let Some(w) = what {
            found.push(w);
        }
    }
    if found.is_empty() {
        return Verdict::pass(if kills.is_empty() {
            "no OOM kill in the kernel log since boot".to_owned()
        } else {
            format!(
                "{} OOM kill(s) since boot, none of Docker or its containers",
                kills.len()
            )
        })
        .with_evidence(evidence);
    }
    Verdict::warn(format!("the kernel's OOM killer struck Docker: {}", found.join("; ")))
        .with_evidence(evidence)
        .fix(Remediation::text(
            "Give containers memory limits that fit the host (`docker run --memory …`), or give the host more memory; restart a killed daemon.",
        ))
}

#[cfg(test)]
mod tests {
    use crate::checks::test_support::check;
    use crate::model::Status;

    #[test]
    fn regression_masquerade_is_xt_masquerade_on_debian_12() {
        // Debian 12's 6.1 kernel has CONFIG_IP_NF_TARGET_MASQUERADE=m and only xt_MASQUERADE.ko (the option
        // selects NETFILTER_XT_TARGET_MASQUERADE since Linux 5.2); the check used to fail every real Debian 12
        // host with "ipt_MASQUERADE.ko not in /lib/modules/…" (seen in the VM tier).
        let v = check("debian-12-daemon-kernel-gaps", "kernel.config");
        assert_eq!(v.status, Status::Fail, "{v:?}");
        assert!(v.summary.contains("CONFIG_VETH"), "{}", v.summary);
        assert!(!v.summary.contains("MASQUERADE"), "{}", v.summary);
    }
}
