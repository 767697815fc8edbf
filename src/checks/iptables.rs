//! iptables: the binary, and the kernel support rootless dockerd cannot load itself.

use super::{Check, Judges, Scope, unreadable};
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
        per_user: true,
        judges: Judges::AnyDaemon,
        title: "iptables is installed (and which backend it uses)",
        reference: "https://docs.docker.com/engine/security/rootless/; https://docs.docker.com/engine/security/rootless/troubleshoot/",
        explain: "\
What it checks: that iptables is installed, that it is on the PATH the rootless dockerd will have, and whether it is \
the nf_tables or the legacy variant (by following its symlinks: alternatives, xtables-nft-multi, xtables-legacy-multi, \
instead of running it). dockerd-rootless.sh never changes PATH, so dockerd's PATH depends on how it is started: the \
docker user service's Environment=PATH= (dockerd-rootless-setuptool.sh install writes $BIN:/sbin:/usr/sbin:$PATH; a unit \
without one gets systemd's default, which has /usr/sbin), or, without systemd, the shell's PATH: this session's when the \
doctor runs in it, otherwise the login PATH (ENV_PATH in /etc/login.defs), which a shell profile may change, so then \
a miss is only a warning.

Why it matters: rootless dockerd programs NAT and filter rules inside RootlessKit's network namespace with iptables, \
which it looks up on its PATH once. Debian and Ubuntu keep iptables in /usr/sbin, which an ordinary user's login PATH \
lacks: `dockerd-rootless.sh` started by hand from such a shell stops, while the same daemon under systemd starts.

What you see when it's wrong: dockerd logs the warning `failed to find iptables: exec: \"iptables\": executable file not \
found in $PATH` and then stops with `failed to start daemon: Error initializing network controller: … failed to create \
NAT chain DOCKER: iptables not found` (`Iptables not found` in 20.10); the setup tool, which also looks in /sbin and \
/usr/sbin, says `iptables binary not found. Please install with a package manager.` only when it is not installed.

How to fix: install iptables (`sudo apt-get install -y iptables`, `sudo dnf install -y iptables`, \
`sudo pacman -S iptables-nft`, `sudo zypper install iptables`); start the daemon by hand as the setup tool prints it, \
`PATH=$BIN:/sbin:/usr/sbin:$PATH dockerd-rootless.sh`, or add /usr/sbin to the unit's Environment=PATH=.",
        packages: &["iptables"],
        removes: &[],
        run: binary,
    },
    Check {
        id: "iptables.modules",
        area: "iptables",
        scope: Scope::Preflight,
        needs_runtime: true,
        per_user: false,
        judges: Judges::Rootless,
        title: "The kernel has nf_tables or ip_tables (loaded, built in, or =y), plus the modules the distro docs require",
        reference: "https://docs.docker.com/engine/security/rootless/; https://docs.docker.com/engine/security/rootless/troubleshoot/; modprobe(8)",
        explain: "\
What it checks: for the backend the iptables binary uses (nf_tables, or ip_tables for legacy) and for the modules the \
distribution's docs list (openSUSE, SLES and Arch: ip_tables iptable_mangle iptable_nat iptable_filter), whether each is \
loaded (/proc/modules), built into the kernel (modules.builtin, or =y in /proc/config.gz or /boot/config-RELEASE), or only \
available as a module file.

Why it matters: rootless dockerd cannot run modprobe. Most netfilter modules do not need it: the kernel loads nf_tables, \
nfnetlink and the legacy iptable_nat/iptable_filter/iptable_mangle tables by itself on first use, also when the request \
comes from the daemon's user namespace (seen on Debian 12: absent before the first start, loaded after it). ip_tables is \
the exception: iptables-legacy reaches it through a socket option, which the kernel does not autoload, so with the legacy \
backend it has to be loaded before the daemon starts, at every boot. A module built into the kernel needs nothing: \
dockerd-rootless-setuptool.sh asks for `modprobe ip_tables` even then, because it looks only at /proc/modules and \
modules.builtin.

What you see when it's wrong: `iptables … can't initialize iptables table `nat': Table does not exist (do you need to insmod?)`, \
or `modprobe: ERROR: could not insert 'br_netfilter': Operation not permitted` in the daemon log.

How to fix: load them now and at every boot: `sudo modprobe MODULE` for each and list them in /etc/modules-load.d/rootless-docker.conf.",
        packages: &[],
        removes: &[],
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
    let Some(installed) = f.which_sbin("iptables") else {
        let d = f.distro();
        let r = Remediation::text(format!(
            "Install {}. (Alternatively start dockerd with --iptables=false, at the cost of the bridge network's NAT.)",
            d.package_list(&["iptables"])
        ));
        return Verdict::fail("iptables is not installed (not on PATH, /usr/sbin or /sbin)")
            .evidence("env:PATH", f.path_dirs().join(":"))
            .fix(r.steps(d.install_step(&["iptables"])));
    };
    let Some(daemon) = f.daemon_path() else {
        let (kind, real) = backend(f, &installed);
        return Verdict::pass(format!("{installed} ({kind})"))
            .evidence(installed.clone(), format!("resolves to {real}"))
            .evidence(
                "PATH",
                "not judged: a tree without a running system shows neither its init system nor a session's PATH",
            );
    };
    let Some(path) = f.first_in("iptables", &daemon.dirs) else {
        let (kind, _) = backend(f, &installed);
        let dir = installed
            .rsplit_once('/')
            .map(|(d, _)| d)
            .unwrap_or("/usr/sbin")
            .to_owned();
        let summary = if daemon.known {
            format!(
                "{installed} ({kind}) is not on the PATH of {}: dockerd stops with \"iptables not found\"",
                daemon.how
            )
        } else {
            format!(
                "{installed} ({kind}) is not on the login PATH of {}: unless a shell profile adds {dir}, dockerd stops \
with \"iptables not found\"",
                daemon.how
            )
        };
        let v = if daemon.known {
            Verdict::fail(summary)
        } else {
            Verdict::warn(summary)
        }
        .evidence(daemon.source.clone(), daemon.detail())
        .evidence(
            installed.clone(),
            format!("installed, but {dir} is not on that PATH"),
        );
        if let Some(unit) = &daemon.unit {
            return v.fix(Remediation::text(format!(
                "Add {dir} to Environment=PATH= in {unit} (dockerd-rootless-setuptool.sh install writes \
$BIN:/sbin:/usr/sbin:$PATH), then `systemctl --user daemon-reload` and `systemctl --user restart docker`."
            )));
        }
        // What dockerd-rootless-setuptool.sh prints for hosts without systemd: PATH=$BIN:/sbin:/usr/sbin:$PATH,
        // $BIN being the directory of dockerd-rootless.sh.
        let script = f.which("dockerd-rootless.sh").or_else(|| {
            f.first_in(
                "dockerd-rootless.sh",
                &f.distro().defaults.rootless_script_dirs,
            )
        });
        let mut front = Vec::new();
        if let Some((bin, _)) = script.as_deref().and_then(|s| s.rsplit_once('/')) {
            front.push(bin);
        }
        front.extend(["/sbin", "/usr/sbin"]);
        let path_value = format!(
            "PATH={}",
            crate::facts::start::with_dirs(&daemon.dirs, &front, true).join(":")
        );
        return v.fix(
            Remediation::text(format!(
                "Start the daemon with {dir} on PATH, as dockerd-rootless-setuptool.sh prints it for hosts without \
systemd (`PATH=$BIN:/sbin:/usr/sbin:$PATH dockerd-rootless.sh`), or add /usr/sbin and /sbin to PATH in the shell \
profile:"
            ))
            .steps([Step::user(["env", path_value.as_str(), "dockerd-rootless.sh"])])
            .by_hand("you start the daemon yourself, or change your shell profile"),
        );
    };
    let (kind, real) = backend(f, &path);
    let mut v = Verdict::pass(format!("{path} ({kind})"))
        .evidence(path.clone(), format!("resolves to {real}"))
        .evidence(daemon.source.clone(), daemon.detail());
    // Under systemd the unit's PATH decides; a start by hand from this session is another matter, and fails.
    if !daemon.by_hand && f.is_own_session() && f.first_in("iptables", &f.path_dirs()).is_none() {
        v = v.evidence(
            "env:PATH",
            format!(
                "{}: no iptables, so dockerd-rootless.sh started by hand from this session would stop with \"iptables not found\"",
                f.path_dirs().join(":")
            ),
        );
    }
    v
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

/// Modules the kernel loads by itself on first use, also when rootless dockerd's iptables asks from its user
/// namespace: nf_tables through the netlink family and nfnetlink's subsystem (`request_module("nfnetlink-subsys-%d")`
/// in net/netfilter/nfnetlink.c), the legacy tables through `xt_find_table_lock`'s `request_module("iptable_%s")`.
/// Observed in the VM tier on Debian 12's 6.1 kernel: nf_tables, nfnetlink, iptable_nat and iptable_filter absent
/// before the rootless daemon's first start, loaded after it. ip_tables itself is not among them: iptables-legacy
/// reaches it through a socket option, which nothing autoloads, and its own `modprobe` fails in the user namespace.
const AUTOLOADED: &[&str] = &[
    "nf_tables",
    "nfnetlink",
    "iptable_nat",
    "iptable_filter",
    "iptable_mangle",
];

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
    let lists = f.kernel_modules();
    let (builtin_path, dep_path) = (&lists.builtin.path, &lists.dep.path);

    let mut evidence = Vec::new();
    evidence.push(Evidence {
        source: "/proc/modules".into(),
        detail: if loaded.is_some() {
            "read".into()
        } else {
            "missing (no loadable module support, or not mounted)".into()
        },
    });
    let mut statuses = Vec::new();
    for m in &wanted {
        let option = MODULE_CONFIG.iter().find(|(n, _)| n == m).map(|(_, o)| *o);
        let is_loaded = loaded.as_ref().is_some_and(|l| l.iter().any(|x| x == m));
        let is_builtin = lists.builtin.names(m);
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
        } else if tristate == Some(Tristate::Module) || lists.dep.names(m) {
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
    // Modules that load on first use pass; the others must be loaded beforehand.
    let loadable: Vec<String> = pick(Availability::Loadable)
        .into_iter()
        .filter(|m| !AUTOLOADED.contains(&m.as_str()))
        .collect();
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
        return Verdict::warn(format!(
            "{} not loaded: iptables-legacy reaches ip_tables through a socket option the kernel does not autoload, \
and its own modprobe fails in rootless dockerd's user namespace (\"Table does not exist (do you need to insmod?)\")",
            loadable.join(", ")
        ))
        .with_evidence(evidence)
        .fix(
            Remediation::text("Load them now and at every boot:")
                .steps(loadable.iter().map(Step::load_module))
                .step(Step::write_file(
                    true,
                    "/etc/modules-load.d/rootless-docker.conf",
                    conf,
                )),
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
                match a {
                    Availability::Loaded => "loaded",
                    Availability::Loadable => "a module the kernel loads on first use, also for rootless dockerd's iptables",
                    _ => "built in",
                }
            )
        })
        .collect();
    Verdict::pass(ready.join(", ")).with_evidence(evidence)
}

#[cfg(test)]
mod tests {
    use crate::checks::test_support::{check, fix, steps};
    use crate::facts::start::login_defs_path;
    use crate::model::Status;

    #[test]
    fn regression_nf_tables_not_loaded_warned_though_the_kernel_loads_it_on_first_use() {
        // The VM tier saw nf_tables and nfnetlink absent before the rootless daemon's first start and loaded after
        // it: the request from the daemon's user namespace autoloads them.
        let v = check("debian-12-nf-tables-not-loaded", "iptables.modules");
        assert_eq!(v.status, Status::Pass, "{}", v.summary);
        assert!(
            v.summary
                .contains("nf_tables a module the kernel loads on first use"),
            "{}",
            v.summary
        );
        // ip_tables, which iptables-legacy reaches through a socket option, still has to be loaded.
        let v = check("debian-12-iptables-legacy-not-loaded", "iptables.modules");
        assert_eq!(v.status, Status::Warn, "{}", v.summary);
        assert_eq!(steps(&v)[0], "sudo modprobe ip_tables");
    }

    #[test]
    fn regression_iptables_only_in_usr_sbin_passed_for_a_daemon_started_by_hand() {
        // No systemd: dockerd-rootless.sh is started from this session, whose PATH has no /usr/sbin, and
        // dockerd-rootless.sh never adds it: dockerd's exec.LookPath("iptables") fails and it stops.
        let v = check("debian-12-no-systemd", "iptables.binary");
        assert_eq!(v.status, Status::Fail, "{}", v.summary);
        assert!(v.summary.contains("iptables not found"), "{}", v.summary);
        assert_eq!(
            steps(&v),
            [
                "env PATH=/usr/share/docker.io/contrib:/sbin:/usr/sbin:/usr/local/bin:/usr/bin:/bin dockerd-rootless.sh"
            ]
        );

        // The same host under systemd: the unit the setup tool writes has /sbin:/usr/sbin, so it passes, and
        // says a start by hand from this session would not.
        let v = check("debian-12", "iptables.binary");
        assert_eq!(v.status, Status::Pass, "{}", v.summary);
        assert!(
            v.evidence
                .iter()
                .any(|e| e.source == "env:PATH" && e.detail.contains("iptables not found")),
            "{:?}",
            v.evidence
        );

        // A user unit whose Environment=PATH lacks /usr/sbin fails, with the unit to edit.
        let v = check("debian-12-unit-path-without-sbin", "iptables.binary");
        assert_eq!(v.status, Status::Fail, "{}", v.summary);
        assert!(
            fix(&v)
                .text
                .contains("/home/alice/.config/systemd/user/docker.service"),
            "{}",
            fix(&v).text
        );

        // Root judging alice cannot see her shell: the login PATH is an estimate, so a miss warns.
        let v = check("debian-12-no-systemd-judged-by-root", "iptables.binary");
        assert_eq!(v.status, Status::Warn, "{}", v.summary);
        assert!(
            v.evidence
                .iter()
                .any(|e| e.source == "/etc/login.defs ENV_PATH")
        );
    }

    #[test]
    fn env_path_of_login_defs() {
        let debian = "ENV_SUPATH\tPATH=/usr/local/sbin:/usr/sbin\nENV_PATH\tPATH=/usr/local/bin:/usr/bin:/bin:/usr/games\n";
        assert_eq!(
            login_defs_path(debian).as_deref(),
            Some("/usr/local/bin:/usr/bin:/bin:/usr/games")
        );
        assert_eq!(
            login_defs_path("ENV_PATH /bin:/usr/bin\n").as_deref(),
            Some("/bin:/usr/bin")
        );
        assert_eq!(login_defs_path("# ENV_PATH PATH=/x\n"), None);
    }
}
