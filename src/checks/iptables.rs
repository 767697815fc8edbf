//! iptables: the binary, and the kernel support rootless dockerd cannot load itself.

use super::{Check, Scope, unreadable};
use crate::facts::{Facts, Read};
use crate::model::{Evidence, Remediation, Step, Verdict, tristate_letter};
use crate::parse::kernel::Tristate;

const MODULES_CONF: &str = include_str!("../../profiles/modules-load.d/rootless-docker.conf");

/// Kernel module → the config option that builds it.
const MODULE_CONFIG: &[(&str, &str)] = &[
    ("nf_tables", "NF_TABLES"),
    ("ip_tables", "IP_NF_IPTABLES"),
    ("iptable_nat", "IP_NF_NAT"),
    ("iptable_filter", "IP_NF_FILTER"),
    ("iptable_mangle", "IP_NF_MANGLE"),
    ("br_netfilter", "BRIDGE_NETFILTER"),
];

pub(super) const CHECKS: &[Check] = &[
    Check {
        id: "iptables.binary",
        area: "iptables",
        scope: Scope::Preflight,
        needs_runtime: false,
        title: "iptables is installed (and which backend it uses)",
        reference: "https://docs.docker.com/engine/security/rootless/; https://docs.docker.com/engine/security/rootless/troubleshoot/",
        explain: "\
What it checks: an iptables binary on PATH or in /usr/sbin and /sbin (where it lives, and where the docker service's PATH \
looks), and whether it is the nf_tables or the legacy variant, by following its symlinks (alternatives, xtables-nft-multi, \
xtables-legacy-multi) instead of running it.

Why it matters: rootless dockerd programs NAT and filter rules inside RootlessKit's network namespace with iptables; \
without it the daemon must run with --iptables=false (no published ports through the bridge).

What you see when it's wrong: `iptables binary not found. Please install with a package manager.` from the setup tool, or \
dockerd's `failed to find iptables: exec: \"iptables\": executable file not found in $PATH`.

How to fix: install iptables (`sudo apt-get install -y iptables`, `sudo dnf install -y iptables`, \
`sudo pacman -S iptables-nft`, `sudo zypper install iptables`).",
        packages: &["iptables"],
        run: binary,
    },
    Check {
        id: "iptables.modules",
        area: "iptables",
        scope: Scope::Preflight,
        needs_runtime: true,
        title: "The kernel has nf_tables or ip_tables (loaded, built in, or =y), plus the modules the distro docs require",
        reference: "https://docs.docker.com/engine/security/rootless/; https://docs.docker.com/engine/security/rootless/troubleshoot/; modprobe(8)",
        explain: "\
What it checks: for the backend the iptables binary uses (nf_tables, or ip_tables for legacy) and for the modules the \
distribution's docs list (openSUSE, SLES and Arch: ip_tables iptable_mangle iptable_nat iptable_filter), whether each is \
loaded (/proc/modules), built into the kernel (modules.builtin, or =y in /proc/config.gz or /boot/config-RELEASE), or only \
available as a module file.

Why it matters: rootless dockerd cannot load kernel modules. A module that is merely installed is not enough; it has to be \
loaded before the daemon starts, at every boot. A module built into the kernel needs nothing: \
dockerd-rootless-setuptool.sh asks for `modprobe ip_tables` even then, because it looks only at /proc/modules and \
modules.builtin.

What you see when it's wrong: `iptables … can't initialize iptables table `nat': Table does not exist (do you need to insmod?)`, \
or `modprobe: ERROR: could not insert 'br_netfilter': Operation not permitted` in the daemon log.

How to fix: load them now and at every boot: `sudo modprobe MODULES` and list them in /etc/modules-load.d/rootless-docker.conf.",
        packages: &[],
        run: modules,
    },
];

/// Whether the iptables at `path` is the nf_tables or the legacy variant, by its link chain.
fn backend(f: &Facts, path: &str) -> (&'static str, String) {
    let real = f
        .canonicalize(path)
        .ok()
        .cloned()
        .unwrap_or_else(|| path.to_owned());
    let base = real.rsplit('/').next().unwrap_or_default().to_owned();
    let kind = if base.contains("legacy") {
        "legacy"
    } else if base.contains("nft") {
        "nf_tables"
    } else {
        // A plain binary (no multi-call link): current iptables releases default to nf_tables.
        "nf_tables (assumed)"
    };
    (kind, real)
}

fn binary(f: &Facts) -> Verdict {
    match f.which_sbin("iptables") {
        Some(path) => {
            let (kind, real) = backend(f, &path);
            Verdict::pass(format!("{path} ({kind})")).evidence(path, format!("resolves to {real}"))
        }
        None => {
            let d = f.distro();
            let r = Remediation::text(format!(
                "Install {}. (Alternatively start dockerd with --iptables=false, at the cost of the bridge network's NAT.)",
                d.package_list(&["iptables"])
            ));
            Verdict::fail("iptables is not installed (not on PATH, /usr/sbin or /sbin)")
                .evidence("env:PATH", f.path_dirs().join(":"))
                .fix(r.steps(d.install_step(&["iptables"])))
        }
    }
}

/// How available a module is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Availability {
    Loaded,
    BuiltIn,
    /// Built as a module, not loaded: needs modprobe and modules-load.d.
    Loadable,
    Absent,
    Unknown,
}

fn modules(f: &Facts) -> Verdict {
    let backend_module = match f.which_sbin("iptables") {
        Some(path) if backend(f, &path).0 == "legacy" => "ip_tables",
        _ => "nf_tables",
    };
    let mut wanted = vec![backend_module.to_owned()];
    for m in &f.distro().quirks.iptables_modules {
        if !wanted.contains(m) {
            wanted.push(m.clone());
        }
    }
    let release = f.kernel_release.clone().unwrap_or_default();
    let loaded = match f.read("/proc/modules") {
        Read::Ok(t) => Some(
            t.lines()
                .filter_map(|l| l.split_whitespace().next())
                .map(str::to_owned)
                .collect::<Vec<_>>(),
        ),
        Read::Missing => None,
        Read::Failed(e) => return unreadable("/proc/modules", &e),
    };
    let builtin_path = format!("/lib/modules/{release}/modules.builtin");
    let builtin = f.read(&builtin_path).ok().cloned();
    let dep_path = format!("/lib/modules/{release}/modules.dep");
    let dep = f.read(&dep_path).ok().cloned();

    let mut evidence = Vec::new();
    evidence.push(Evidence {
        source: "/proc/modules".into(),
        detail: if loaded.is_some() {
            "read".into()
        } else {
            "missing (no loadable module support, or not mounted)".into()
        },
    });
    let in_list = |text: &Option<String>, m: &str| {
        text.as_deref().is_some_and(|t| {
            t.lines().any(|l| {
                let file = l.split(':').next().unwrap_or_default();
                let name = file.rsplit('/').next().unwrap_or_default();
                let name = name.split(".ko").next().unwrap_or_default();
                name.replace('-', "_") == m
            })
        })
    };
    let mut statuses = Vec::new();
    for m in &wanted {
        let option = MODULE_CONFIG.iter().find(|(n, _)| n == m).map(|(_, o)| *o);
        let is_loaded = loaded.as_ref().is_some_and(|l| l.iter().any(|x| x == m));
        let is_builtin = in_list(&builtin, m);
        // The kernel config is the last resort: on most hosts /proc/modules or modules.builtin answers first.
        let config = if is_loaded || is_builtin {
            None
        } else {
            option.and_then(|o| f.kernel_option(o))
        };
        let tristate = config.as_ref().map(|(_, t)| *t);
        let a = if is_loaded {
            Availability::Loaded
        } else if is_builtin || tristate == Some(Tristate::Yes) {
            Availability::BuiltIn
        } else if tristate == Some(Tristate::Module) || in_list(&dep, m) {
            Availability::Loadable
        } else if tristate == Some(Tristate::No) {
            Availability::Absent
        } else {
            Availability::Unknown
        };
        let how = match a {
            Availability::Loaded => "loaded".to_owned(),
            Availability::BuiltIn => match (&config, option, tristate) {
                (Some((src, _)), Some(o), Some(Tristate::Yes)) => {
                    format!("built in (CONFIG_{o}=y in {src})")
                }
                _ => format!("built in ({builtin_path})"),
            },
            Availability::Loadable => match (&config, option, tristate) {
                (Some((src, _)), Some(o), Some(t)) => format!(
                    "a module, not loaded (CONFIG_{o}={} in {src})",
                    tristate_letter(t)
                ),
                _ => format!("a module, not loaded ({dep_path})"),
            },
            Availability::Absent => match (&config, option) {
                (Some((src, _)), Some(o)) => {
                    format!("not in this kernel (CONFIG_{o} is not set in {src})")
                }
                _ => "not in this kernel".to_owned(),
            },
            Availability::Unknown => {
                "unknown (no /proc/modules entry, modules.builtin or kernel config says)".to_owned()
            }
        };
        evidence.push(Evidence {
            source: format!("module:{m}"),
            detail: how,
        });
        statuses.push((m.clone(), a));
    }
    let pick = |want: Availability| -> Vec<String> {
        statuses
            .iter()
            .filter(|(_, a)| *a == want)
            .map(|(m, _)| m.clone())
            .collect()
    };
    let absent = pick(Availability::Absent);
    let loadable = pick(Availability::Loadable);
    let unknown = pick(Availability::Unknown);
    if !absent.is_empty() {
        return Verdict::fail(format!(
            "the kernel lacks {}: rootless dockerd's iptables rules fail (\"Table does not exist (do you need to insmod?)\")",
            absent.join(", ")
        ))
        .with_evidence(evidence)
        .fix(Remediation::text(
            "Boot a kernel with netfilter support (every distribution kernel has it), or run dockerd with --iptables=false.",
        ));
    }
    if !loadable.is_empty() {
        let mut conf = MODULES_CONF.to_owned();
        for m in &loadable {
            conf.push_str(m);
            conf.push('\n');
        }
        let mut modprobe = vec!["modprobe".to_owned(), "-a".to_owned()];
        modprobe.extend(loadable.iter().cloned());
        return Verdict::warn(format!(
            "{} not loaded, and rootless dockerd cannot load modules itself",
            loadable.join(", ")
        ))
        .with_evidence(evidence)
        .fix(
            Remediation::text("Load them now and at every boot:").steps([
                Step::root(modprobe),
                Step::root(["tee", "/etc/modules-load.d/rootless-docker.conf"]).with_stdin(conf),
            ]),
        );
    }
    if !unknown.is_empty() {
        return Verdict::warn(format!(
            "cannot tell whether the kernel has {}: no /proc/modules entry, no modules.builtin, no kernel config",
            unknown.join(", ")
        ))
        .with_evidence(evidence)
        .fix(Remediation::text(format!("Load them before starting the daemon: `sudo modprobe -a {}`.", unknown.join(" "))));
    }
    let ready: Vec<String> = statuses
        .iter()
        .map(|(m, a)| {
            format!(
                "{m} {}",
                if *a == Availability::Loaded {
                    "loaded"
                } else {
                    "built in"
                }
            )
        })
        .collect();
    Verdict::pass(ready.join(", ")).with_evidence(evidence)
}
