//! Ubuntu's AppArmor user-namespace restriction, matched statically against the rootlesskit that will run.

use super::{Check, Judges, Scope, unreadable};
use crate::facts::apparmor::{Attached, PROFILE_DIR};
use crate::facts::{Facts, Read};
use crate::model::{Evidence, Remediation, Step, Verdict};
use crate::parse::apparmor::{self, Choice, Specificity};
use crate::parse::rootlesskit::Version;

const TEMPLATE: &str = include_str!("../../profiles/apparmor/rootlesskit.template");

pub(super) const CHECKS: &[Check] = &[Check {
    id: "apparmor.rootlesskit",
    area: "apparmor",
    scope: Scope::Preflight,
    needs_runtime: true,
    per_user: true,
    judges: Judges::Rootless,
    title: "The AppArmor profile the rootlesskit that will run gets lets it start (userns under the restriction, no confinement)",
    reference: "https://docs.docker.com/engine/security/rootless/troubleshoot/; https://github.com/moby/moby/issues/47480; https://github.com/torvalds/linux/blob/master/security/apparmor/domain.c; apparmor.d(5); apparmor_parser(8)",
    explain: "\
What it checks: when AppArmor runs (/sys/module/apparmor/parameters/enabled is Y) or kernel.apparmor_restrict_unprivileged_userns \
= 1. It finds the rootlesskit dockerd-rootless.sh will run \
(docker-rootlesskit, then rootlesskit, in the script's directory, ~/bin, your PATH, /usr/sbin and /sbin), resolves symlinks \
(AppArmor attaches to the real path), and reads every profile in /etc/apparmor.d: attachment paths and globs (`*`, `**`, `{a,b}`, \
@{HOME}-style variables from tunables), the `userns,` rule, and disabled profiles (/etc/apparmor.d/disable). The files of \
the profiles that attach are read with their includes, as apparmor_parser reads them (`include <x>` below /etc/apparmor.d, \
`include \"x\"`, directories, `include if exists`), so a `userns,` in the site-override file local/NAME counts, and a \
missing `include <x>` without `if exists` means apparmor_parser refuses the file and its profiles are not loaded. Among the \
loaded profiles that attach, it picks the one the kernel picks (security/apparmor/domain.c, find_attach): a profile named by \
the path itself wins; otherwise the longest match wins (an exact attachment beats a `*` pattern); two equally specific \
ones, such as two profiles attaching to /usr/bin/rootlesskit, conflict, and the kernel attaches neither. Under the \
restriction, it passes when the profile the kernel attaches grants `userns,`. On any AppArmor kernel, a profile that \
confines rootlesskit (neither `flags=(unconfined)` nor `complain`) fails: without a capability rule, without \
`attach_disconnected`, or without mount rules RootlessKit cannot start (each seen on Debian 13), and with all three it \
warns, since rootlesskit's children run under it too.

Why it matters: Ubuntu's apparmor package covers only /usr/bin/rootlesskit. The get.docker.com/rootless installer puts \
rootlesskit in ~/bin and nerdctl-full in /usr/local/bin; neither is covered, and `dockerd-rootless-setuptool.sh check` \
still says \"Requirements are satisfied\".

What you see when it's wrong: `[rootlesskit:parent] error: failed to start the child: fork/exec /proc/self/exe: permission denied` \
(or `operation not permitted` under a confining profile without capability rules), with `This error might have happened because /proc/sys/kernel/apparmor_restrict_unprivileged_userns is set to 1`; \
the kernel log shows `apparmor=\"DENIED\" operation=\"capable\" … profile=\"unprivileged_userns\"`, and with two profiles \
for one path, newer kernels also log `info=\"conflicting profile attachments\"` for the exec.

How to fix: when a profile attaches without `userns,`, add `userns,` to its local include (/etc/apparmor.d/local/rootlesskit \
for the packaged one) and reload it; when two attach equally, disable one of them (a link in /etc/apparmor.d/disable). \
Never add a second profile for a path one already covers. When none attaches, install the profile rootless-doctor prints, named after the path (`/home/alice/bin/rootlesskit` → \
/etc/apparmor.d/home.alice.bin.rootlesskit), with `sudo tee` (a `sudo cat > file` redirection runs as you and fails), \
then load it with `sudo apparmor_parser -r FILE` or `sudo systemctl restart apparmor.service`. Or use the packaged \
/usr/bin/rootlesskit, which the apparmor package covers.",
    packages: &["apparmor"],
    removes: &[],
    run: rootlesskit,
},
Check {
    id: "apparmor.unshare",
    area: "apparmor",
    scope: Scope::Preflight,
    needs_runtime: true,
    per_user: true,
    judges: Judges::Rootless,
    title: "No AppArmor profile confines the unshare RootlessKit runs to create its detached network namespace",
    reference: "https://github.com/rootless-containers/rootlesskit/issues/494; https://github.com/rootless-containers/rootlesskit/releases/tag/v2.3.4; https://docs.docker.com/engine/security/rootless/troubleshoot/; apparmor.d(5)",
    explain: "\
What it checks: whether RootlessKit will create a detached network namespace (--detach-netns: the default of \
dockerd-rootless.sh from Docker 29.5, or DOCKERD_ROOTLESS_ROOTLESSKIT_DETACH_NETNS / DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS in \
the unit or the environment) with a RootlessKit from 2.0.0 to 2.3.2, the releases whose child does it by running \
`unshare -n mount --bind /proc/self/ns/net $STATE_DIR/netns`; and then whether AppArmor runs and a loaded profile in \
/etc/apparmor.d attaches to /usr/bin/unshare without flags=(unconfined) or (complain), as the kernel picks it (the same \
matching as apparmor.rootlesskit).

Why it matters: AppArmor 4.1's unshare-userns-restrict profile, which Ubuntu ships from 25.04 on, confines \
/usr/bin/unshare and runs what unshare starts under a profile without capabilities, so the bind mount of the namespace \
is refused. RootlessKit 2.3.3 binds it in-process and 2.3.4 and later run their own helper (the rootlesskit binary), so only the \
older releases meet it; a known release decides, and an unknown one only warns (rootlesskit issue #494, fixed in v2.3.4 \"for Ubuntu 25.04\").

What you see when it's wrong: the daemon does not start; journalctl --user -u docker shows \
`[rootlesskit:child ] error: failed to create a detached netns on \"…/netns\": failed to execute [unshare -n mount \
--bind /proc/self/ns/net …/netns]: exit status 32 (out=\"mount: …: permission denied.\")`.

How to fix: use RootlessKit 2.3.4 or later (docker-ce-rootless-extras 28.5 or later from Docker's repository, or a \
newer distribution package), or turn the detached namespace off for this daemon: take `--detach-netns` out of \
DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS where only that variable turns it on, else put `--detach-netns=false` at its end, \
where that variable is set (the unit, its EnvironmentFile=, or the environment you start the script from). \
RootlessKit keeps the last value of a flag, and every dockerd-rootless.sh passes the variable on after its own \
--detach-netns, so this works whichever way it was turned on. Do not disable the profile: it guards every user's \
unshare.",
    packages: &[],
    removes: &[],
    run: unshare,
}];

/// Where util-linux puts the unshare RootlessKit's child finds on its PATH, and where Ubuntu's profile attaches.
const UNSHARE: &str = "/usr/bin/unshare";

/// `apparmor.unshare`: RootlessKit 2.0.0 to 2.3.2 create the detached network namespace through `unshare -n mount
/// --bind …` (rootlesskit v2.3.2 pkg/child/child.go); a confining profile on unshare (AppArmor 4.1's
/// unshare-userns-restrict) makes that mount fail.
fn unshare(f: &Facts) -> Verdict {
    let Some(how) = super::detach_netns(f) else {
        return Verdict::skip(
            "RootlessKit creates no detached network namespace here (--detach-netns is off)",
        );
    };
    let version = f.rootlesskit_version();
    let release = version.and_then(|v| v.release);
    let major = version.and_then(|v| v.major);
    if major == Some(1) {
        return Verdict::skip(
            "RootlessKit 1 has no --detach-netns (start.versions judges the flag)",
        );
    }
    let old = Version(2, 0, 0)..=Version(2, 3, 2);
    match release {
        Some(r) if r == Version(2, 3, 3) => {
            return Verdict::pass(format!(
                "RootlessKit {r} binds the detached network namespace ({how}) in-process, without running unshare"
            ));
        }
        Some(r) if !old.contains(&r) => {
            return Verdict::pass(format!(
                "RootlessKit {r} creates the detached network namespace ({how}) with its own helper, without running unshare"
            ));
        }
        None if major.is_some_and(|m| m >= 3) => {
            return Verdict::pass(format!(
                "RootlessKit {} creates the detached network namespace ({how}) with its own helper, without running unshare",
                major.unwrap_or(3)
            ));
        }
        _ => {}
    }
    let which = release.map_or_else(
        || "a RootlessKit whose release is unknown (2.0.0 to 2.3.2 run unshare)".to_owned(),
        |r| format!("RootlessKit {r}"),
    );
    let enabled = matches!(f.read(ENABLED), Read::Ok(t) if t.trim() == "Y");
    if !enabled {
        return Verdict::pass(format!(
            "{which} runs unshare for the detached network namespace ({how}), and AppArmor does not run here"
        ))
        .evidence(ENABLED, "absent or not Y");
    }
    let att = match f.apparmor_attaching(UNSHARE) {
        Ok(a) => a,
        Err(e) => return unreadable(PROFILE_DIR, &e),
    };
    let evidence = attaching_evidence(&att);
    let with_evidence = |v: Verdict| {
        evidence
            .iter()
            .fold(v, |v, e| v.evidence(e.source.clone(), e.detail.clone()))
    };
    // The profile the kernel attaches, as apparmor.rootlesskit picks it (two equally specific ones: neither).
    let chosen = att.chosen().filter(|a| a.confines());
    let Some(profile) = chosen else {
        let why = match &att.choice {
            Choice::Conflict(_) => {
                "the profiles that attach to it conflict, so the kernel attaches none"
            }
            _ if att.chosen().is_some() => "the profile that attaches to it does not confine it",
            _ => "no loaded AppArmor profile attaches to it",
        };
        let v = if att.unexpanded.is_empty() {
            Verdict::pass(format!(
                "{which} runs {UNSHARE} for the detached network namespace ({how}), and {why}"
            ))
        } else {
            Verdict::warn(format!(
                "{which} runs {UNSHARE} for the detached network namespace ({how}); {why} among the profiles judged, \
but some attachments were too large to expand"
            ))
        };
        return with_evidence(v);
    };
    let known =
        profile.file.ends_with("/unshare-userns-restrict") || profile.profile.name == "unshare";
    let summary = format!(
        "{which} runs {UNSHARE} for the detached network namespace ({how}), and {} (profile {}) confines it{}",
        profile.at(),
        profile.profile.name,
        if known {
            ": AppArmor 4.1's unshare-userns-restrict runs what unshare starts without capabilities, so the bind mount \
is refused and RootlessKit fails with `failed to create a detached netns … exit status 32` (mount: permission denied)"
        } else {
            "; what it lets unshare and mount do is not judged here (AppArmor 4.1's unshare-userns-restrict refuses the mount)"
        }
    );
    // Certain only with a known release and the known profile.
    let v = if known && release.is_some() {
        Verdict::fail(summary)
    } else {
        Verdict::warn(summary)
    };
    let v = with_evidence(v);
    let v = if f.distro().defaults.apparmor_restricts_unshare {
        v.evidence(
            format!("distros/{}.toml", f.distro().key),
            "this release ships AppArmor's unshare-userns-restrict profile",
        )
    } else {
        v
    };
    v.fix(unshare_fix(f, &which))
}

/// Each profile that attaches (how specifically, when several do), then the attachments too large to expand and
/// the includes not read in full: the evidence both checks give for a path's attachment.
fn attaching_evidence(att: &crate::facts::apparmor::Attaching) -> Vec<Evidence> {
    att.profiles
        .iter()
        .map(|a| Evidence {
            source: a.at(),
            detail: describe(a, att.profiles.len() > 1),
        })
        .chain(att.unexpanded.iter().cloned())
        .chain(att.not_judged.iter().cloned())
        .collect()
}

/// RootlessKit 2.3.4 or later, or DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS without `--detach-netns` where that variable
/// alone turns it on, else with `--detach-netns=false` last: Go's flag package keeps the last value, and every
/// dockerd-rootless.sh passes the variable on after its own `--detach-netns` (29.5 and later put theirs in front).
fn unshare_fix(f: &Facts, which: &str) -> Remediation {
    use crate::facts::start::VarOrigin;
    let flags = super::FLAGS;
    let env = f.start_env();
    // Where only the variable turns the flag on, the words that do are taken out; where the script's own default
    // turns it on too (29.5 and later, DOCKERD_ROOTLESS_ROOTLESSKIT_DETACH_NETNS unset or true), `--detach-netns=false`
    // goes last, where Go's flag parsing lets it win.
    let script_on = super::detach_by_script(f).is_some();
    let setting = match env.and_then(|e| e.get(flags)).filter(|v| !v.is_empty()) {
        Some(v) if !script_on && super::detach_in_flags(v).is_some() => {
            let kept: Vec<&str> = v
                .split([' ', '\t', '\n'])
                .filter(|w| !w.is_empty() && super::detach_in_flags(w).is_none())
                .collect();
            if kept.is_empty() {
                format!("{flags}= (empty: without --detach-netns)")
            } else {
                format!("{flags}={} (without --detach-netns)", kept.join(" "))
            }
        }
        Some(v) => format!("{flags}={v} --detach-netns=false"),
        None => format!("{flags}=--detach-netns=false"),
    };
    let unit = env.and_then(|e| e.unit.clone());
    let off = match f.start_var_origin(flags) {
        VarOrigin::UnitEnvironment { file, line } => {
            format!(
                "in {file}, line {line}, set {setting}, then `systemctl --user daemon-reload` and `systemctl --user restart docker`"
            )
        }
        VarOrigin::EnvironmentFile { file, line, .. } => {
            let at = line.map(|l| format!(", line {l}")).unwrap_or_default();
            format!("in {file}{at}, set {setting}, then `systemctl --user restart docker`")
        }
        VarOrigin::Session => format!(
            "set {setting} in the environment you start dockerd-rootless.sh from, and start it again"
        ),
        VarOrigin::Unset => match unit {
            Some(unit) => format!(
                "add `Environment={setting}` to the [Service] section of {unit} (or of its override.conf), then \
`systemctl --user daemon-reload` and `systemctl --user restart docker`"
            ),
            None => format!("start dockerd-rootless.sh with {setting} in its environment"),
        },
    };
    let newer = match f.distro().packaged.rootlesskit.as_deref() {
        Some(v) => format!(
            "this release's own rootlesskit package is {v}; docker-ce-rootless-extras 28.5 or later (Docker's \
repository) carries 2.3.4 or later."
        ),
        None => {
            "docker-ce-rootless-extras 28.5 or later (Docker's repository) carries one.".to_owned()
        }
    };
    Remediation::text(format!(
        "Use RootlessKit 2.3.4 or later, which creates the namespace without {UNSHARE}: {newer} Or keep {which} and \
turn the detached namespace off: {off}. Leave the profile loaded: it guards every user's unshare."
    ))
}

/// Where dockerd-rootless.sh will find rootlesskit: `docker-rootlesskit` first, then `rootlesskit`, on
/// `$BIN:/sbin:/usr/sbin:$PATH` (BIN = the script's directory); get.docker.com puts both in ~/bin.
fn find_rootlesskit(f: &Facts) -> Option<String> {
    let mut dirs = Vec::new();
    let script_dirs = f.distro().defaults.rootless_script_dirs.clone();
    let home_bin = format!("{}/bin", f.user.home.trim_end_matches('/'));
    let script = f.first_in(
        "dockerd-rootless.sh",
        &[vec![home_bin.clone()], f.path_dirs(), script_dirs].concat(),
    );
    if let Some(s) = &script
        && let Some((dir, _)) = s.rsplit_once('/')
    {
        dirs.push(dir.to_owned());
    }
    dirs.extend(["/sbin".to_owned(), "/usr/sbin".to_owned()]);
    dirs.extend(f.path_dirs());
    dirs.push(home_bin);
    for name in ["docker-rootlesskit", "rootlesskit"] {
        if let Some(p) = f.first_in(name, &dirs) {
            return Some(p);
        }
    }
    None
}

/// The profile file for a binary, named the way the docs and RootlessKit's hint name it.
fn profile_for(path: &str) -> (String, String) {
    let name = path.trim_start_matches('/').replace('/', ".");
    let text = TEMPLATE.replace("@PATH@", path).replace("@NAME@", &name);
    (format!("{PROFILE_DIR}/{name}"), text)
}

fn install_profile(path: &str) -> Remediation {
    let (file, text) = profile_for(path);
    Remediation::text(format!(
        "Give {path} its own profile granting `userns,`, then load it (or restart apparmor.service). \
Alternatively, use the packaged /usr/bin/rootlesskit, which the distribution's apparmor package covers."
    ))
    .step(Step::write_file(true, file.as_str(), text))
    .step(Step::root(["apparmor_parser", "-r", file.as_str()]))
}

/// Whether the kernel runs AppArmor (`Y` in the module's parameter).
const ENABLED: &str = "/sys/module/apparmor/parameters/enabled";

fn rootlesskit(f: &Facts) -> Verdict {
    const SYSCTL: &str = "/proc/sys/kernel/apparmor_restrict_unprivileged_userns";
    let restrict = match f.sysctl_int("kernel.apparmor_restrict_unprivileged_userns") {
        Read::Missing => None,
        Read::Failed(e) => return unreadable(SYSCTL, &e),
        Read::Ok(Ok(v)) => Some(v),
        Read::Ok(Err(e)) => return Verdict::error(format!("{SYSCTL} does not hold a number: {e}")),
    };
    let restricted = restrict.is_some_and(|v| v != 0);
    let enabled = matches!(f.read(ENABLED), Read::Ok(t) if t.trim() == "Y");
    if !restricted && !enabled {
        return Verdict::skip(match restrict {
            None => "AppArmor does not restrict user namespaces on this kernel",
            Some(_) => "kernel.apparmor_restrict_unprivileged_userns = 0: no profile needed",
        });
    }
    let (found, installed) = match find_rootlesskit(f) {
        Some(p) => (p, true),
        None => match f.distro().defaults.apparmor_covered_rootlesskit.first() {
            Some(p) => (p.clone(), false),
            None => ("/usr/bin/rootlesskit".to_owned(), false),
        },
    };
    let real = if installed {
        match f.canonicalize(&found) {
            Read::Ok(r) => r,
            Read::Failed(e) => return unreadable(&found, &e),
            Read::Missing => found.clone(),
        }
    } else {
        found.clone()
    };
    let att = match f.apparmor_attaching(&real) {
        Ok(a) => a,
        Err(e) => return unreadable(PROFILE_DIR, &e),
    };
    let shown = if real == found {
        found.clone()
    } else {
        format!("{found} -> {real}")
    };
    let subject = if installed {
        format!("rootlesskit ({shown})")
    } else {
        format!("rootlesskit is not installed yet; its packaged path {found}")
    };
    let mut evidence = vec![if restricted {
        Evidence {
            source: SYSCTL.into(),
            detail: "1".into(),
        }
    } else {
        Evidence {
            source: ENABLED.into(),
            detail: format!(
                "Y (AppArmor runs; kernel.apparmor_restrict_unprivileged_userns is {})",
                restrict.map_or("absent".to_owned(), |v| v.to_string())
            ),
        }
    }];
    if installed {
        evidence.push(Evidence {
            source: found.clone(),
            detail: format!("resolves to {real}"),
        });
    }
    evidence.extend(attaching_evidence(&att));
    let unjudged: Vec<String> = att.unexpanded.iter().map(|e| e.source.clone()).collect();
    evidence.extend(att.notes.iter().cloned());
    const EPERM: &str = "RootlessKit fails with \"fork/exec /proc/self/exe: permission denied\"";
    match &att.choice {
        Choice::One(i) => {
            let Some(a) = att.profiles.get(*i) else {
                return Verdict::error("internal: the chosen profile is missing");
            };
            if !restricted || a.allows_userns() {
                if let Some(v) = confined(a, &subject, &real) {
                    return v.with_evidence(evidence);
                }
                return Verdict::pass(if restricted {
                    format!("{subject} is covered by profile {} ({})", a.profile.name, a.file)
                } else {
                    format!(
                        "{subject} gets profile {} ({}), which does not confine it",
                        a.profile.name, a.file
                    )
                })
                .with_evidence(evidence);
            }
            Verdict::fail(format!(
                "{subject} may not create user namespaces: the profile attaching to {real} ({} at {}) has no `userns,` rule; {EPERM}",
                a.profile.name,
                a.at()
            ))
            .with_evidence(evidence)
            .fix(add_userns(a, &real, Remediation::text("")))
        }
        Choice::Conflict(tied) => {
            let tied: Vec<&Attached> = tied.iter().filter_map(|&i| att.profiles.get(i)).collect();
            let names: Vec<String> = tied
                .iter()
                .map(|a| format!("{} ({})", a.profile.name, a.at()))
                .collect();
            if !restricted {
                // Seen in the VM tier (Debian 13): a confining profile beside the packaged one, and RootlessKit
                // starts, unconfined.
                return Verdict::pass(format!(
                    "{} profiles attach to {real} equally specifically ({}), so the kernel attaches none of them and \
rootlesskit runs unconfined, which this kernel allows (no user namespace restriction)",
                    tied.len(),
                    names.join(", ")
                ))
                .with_evidence(evidence);
            }
            Verdict::fail(format!(
                "{subject} may not create user namespaces: {} profiles attach to {real} equally specifically ({}), so the kernel attaches none of them (\"conflicting profile attachments\"), rootlesskit runs unconfined, and {EPERM}",
                tied.len(),
                names.join(", ")
            ))
            .with_evidence(evidence)
            .fix(keep_one(&tied, &real))
        }
        Choice::Nothing if !restricted => Verdict::pass(format!(
            "no loaded profile attaches to {real}: rootlesskit runs unconfined, which this kernel allows (no user \
namespace restriction)"
        ))
        .with_evidence(evidence),
        Choice::Nothing if att.profiles.is_empty() => {
            let why = if unjudged.is_empty() {
                format!("no profile in {PROFILE_DIR} attaches to {real}")
            } else {
                format!(
                    "no profile in {PROFILE_DIR} attaches to {real} (the attachment at {} expands to more than {} bytes and was not judged)",
                    unjudged.join(", "),
                    apparmor::MAX_EXPANSION_BYTES
                )
            };
            Verdict::fail(format!(
                "{subject} may not create user namespaces: {why}; {EPERM}"
            ))
            .with_evidence(evidence)
            .fix(install_profile(&real))
        }
        Choice::Nothing => {
            // Profiles attach, but none is loaded: disabled, or in a file apparmor_parser refuses.
            let why = if att.profiles.iter().all(|a| a.disabled) {
                format!("the profile for {real} is disabled (/etc/apparmor.d/disable)")
            } else {
                let refused: Vec<String> = att
                    .profiles
                    .iter()
                    .filter_map(|a| {
                        a.refused
                            .as_ref()
                            .map(|e| format!("{}:{}: {}", e.file, e.line, e.message))
                    })
                    .collect();
                format!(
                    "the profile attaching to {real} is not loaded: apparmor_parser refuses its file ({})",
                    refused.join("; ")
                )
            };
            Verdict::fail(format!(
                "{subject} may not create user namespaces: {why}; {EPERM}"
            ))
            .with_evidence(evidence)
            .fix(load_again(&att.profiles, &real))
        }
    }
}

/// A profile that confines rootlesskit (enforce mode: neither `unconfined` nor `complain`): RootlessKit and
/// everything it starts (slirp4netns, dockerd, containerd) run under it, so what it lacks stops the start. What each
/// lack does was seen in the VM tier (Debian 13, AppArmor 4.1, RootlessKit 2.0.2; tests/vm.rs, scenario apparmor).
fn confined(a: &Attached, subject: &str, real: &str) -> Option<Verdict> {
    if !a.confines() {
        return None;
    }
    let flags = &a.profile.flags;
    let which = format!(
        "the profile attaching to {real} ({} at {})",
        a.profile.name,
        a.at()
    );
    let (fail, why) = if !a.profile.capability {
        (
            true,
            "it has no capability rule, so AppArmor refuses CAP_SYS_ADMIN for the child's namespaces (kernel log: apparmor=\"DENIED\" operation=\"capable\" … capname=\"sys_admin\"), and RootlessKit fails with \"[rootlesskit:parent] \
error: failed to start the child: fork/exec /proc/self/exe: operation not permitted\"",
        )
    } else if !flags.iter().any(|f| f == "attach_disconnected") {
        (
            true,
            "it lacks flags=(attach_disconnected), so the child's re-exec of /proc/self/exe from its new mount \
namespace is refused (kernel log: operation=\"exec\" info=\"Failed name lookup - disconnected path\"), and RootlessKit \
fails with \"[rootlesskit:parent] error: failed to start the child: fork/exec /proc/self/exe: permission denied\"",
        )
    } else if !a.profile.mount {
        (
            true,
            "it has no mount rule, so the mounts of RootlessKit's child and of slirp4netns's sandbox are refused \
(seen: \"[rootlesskit:parent] error: failed to setup network …: waiting for ready fd (… --enable-sandbox …): slirp4netns \
failed\")",
        )
    } else {
        (
            false,
            "RootlessKit, slirp4netns, dockerd and containerd all run under it, and the doctor does not judge every \
rule (file, network, ptrace, signal, pivot_root): any it lacks stops them",
        )
    };
    let summary = format!("{subject} is confined by {which}: {why}");
    let v = if fail {
        Verdict::fail(summary)
    } else {
        Verdict::warn(summary)
    };
    Some(v.fix(Remediation::text(format!(
        "Make the profile in {} unconfined, as AppArmor's own rootlesskit profile is (`flags=(unconfined)` with \
`userns,`), then reload it with `sudo apparmor_parser -r {}`; or remove it (`sudo apparmor_parser -R {}`, then delete \
the file).",
        a.file, a.file, a.file
    ))))
}

/// One evidence line for a profile that attaches; with `several`, how specifically (what the kernel ranks).
fn describe(a: &Attached, several: bool) -> String {
    let how = match a.specificity {
        _ if !several => String::new(),
        Specificity::ExactName => {
            " (by its name, which the kernel takes before any pattern)".to_owned()
        }
        Specificity::Pattern(n) => format!(" (matching {n} characters)"),
    };
    let userns = match &a.profile.userns_at {
        Some(at) if a.profile.userns && !at.starts_with(&format!("{}:", a.file)) => {
            format!(", grants userns (at {at})")
        }
        _ if a.profile.userns => ", grants userns".to_owned(),
        _ if a.allows_userns() => format!(
            ", no userns rule but pinned to ABI {}.{}, which does not mediate userns",
            a.abi.map_or(0, |v| v.0),
            a.abi.map_or(0, |v| v.1)
        ),
        _ => ", no userns rule".to_owned(),
    };
    let state = match (&a.refused, a.disabled) {
        (_, true) => ", DISABLED".to_owned(),
        (Some(e), false) => format!(
            ", NOT LOADED: apparmor_parser stops at {}:{}: {}",
            e.file, e.line, e.message
        ),
        (None, false) => String::new(),
    };
    format!(
        "profile {} attaches to {}{how}{userns}{state}",
        a.profile.name,
        a.profile.attach_pattern().unwrap_or(""),
    )
}

/// The fix for a profile that attaches without `userns,`: the rule goes into the site-override file the
/// profile includes (`include if exists <local/NAME>`), which package upgrades leave alone, never into a
/// second profile for the same path.
fn add_userns(a: &Attached, real: &str, r: Remediation) -> Remediation {
    let warning = format!(
        "Do not add a second profile for {real}: two profiles attaching to one path conflict, and the kernel attaches neither."
    );
    let (text, r) = match a.profile.local_includes.first() {
        Some(local) => (
            format!(
                "Add `userns,` to {local}, the site-override file profile {} includes (`include if exists`), and reload the profile. {warning}",
                a.profile.name
            ),
            r.step(Step::append_line(true, local.as_str(), "userns,")),
        ),
        None => (
            format!(
                "Add a line `userns,` inside profile {} ({}), and reload it. {warning}",
                a.profile.name,
                a.at()
            ),
            r.by_hand("the profile needs a line added by hand before it is reloaded"),
        ),
    };
    let text = if r.text.is_empty() {
        text
    } else {
        format!("{} {text}", r.text)
    };
    Remediation {
        text,
        ..r.step(Step::root(["apparmor_parser", "-r", a.file.as_str()]))
    }
}

/// The fix for equally specific profiles: keep one (one that grants `userns` if any does) and disable the
/// others' files the way package upgrades respect (a link in /etc/apparmor.d/disable), unloading them now.
fn keep_one(tied: &[&Attached], real: &str) -> Remediation {
    let keep = tied
        .iter()
        .find(|a| a.allows_userns())
        .or_else(|| tied.first())
        .copied();
    let Some(keep) = keep else {
        return Remediation::text("Keep one profile for the path.");
    };
    let mut r = Remediation::text(format!(
        "Keep one profile for {real}, {} ({}): disable the other file(s) with a link in /etc/apparmor.d/disable (package upgrades respect it) and unload them.",
        keep.profile.name, keep.file
    ));
    let mut done: Vec<&str> = vec![keep.file.as_str()];
    for a in tied {
        if done.contains(&a.file.as_str()) {
            continue;
        }
        done.push(&a.file);
        let base = a.file.rsplit('/').next().unwrap_or_default();
        let link = format!("{PROFILE_DIR}/disable/{base}");
        r = r
            .step(
                Step::root(["ln", "-s", a.file.as_str(), link.as_str()])
                    .undo(["rm", link.as_str()]),
            )
            .step(Step::root(["apparmor_parser", "-R", a.file.as_str()]));
    }
    if !keep.allows_userns() {
        r = add_userns(keep, real, r);
    }
    r
}

/// The fix when the profiles that attach are not loaded: re-enable a disabled one, or make a refused file load.
fn load_again(profiles: &[Attached], real: &str) -> Remediation {
    let pick = profiles
        .iter()
        .find(|a| a.allows_userns())
        .or_else(|| profiles.first());
    let Some(a) = pick else {
        return install_profile(real);
    };
    let mut r = if a.disabled {
        let base = a.file.rsplit('/').next().unwrap_or_default();
        let link = format!("{PROFILE_DIR}/disable/{base}");
        Remediation::text(
            "Re-enable the profile: remove its link from /etc/apparmor.d/disable and load it.",
        )
        .step(Step::remove(true, link.as_str()))
    } else {
        let why = a
            .refused
            .as_ref()
            .map(|e| format!("{}:{}: {}", e.file, e.line, e.message))
            .unwrap_or_default();
        Remediation::text(format!(
            "Make {} load: apparmor_parser stops at {why}. Create the missing file, or write the include as `include if exists`, then load it.",
            a.file
        ))
        .by_hand("the profile needs an edit by hand before it loads")
    };
    if a.allows_userns() {
        r = r.step(Step::root(["apparmor_parser", "-r", a.file.as_str()]));
    } else {
        r = add_userns(a, real, r);
    }
    r
}

#[cfg(test)]
mod tests {
    use crate::checks::test_support::{check, fix, steps};
    use crate::model::Status;

    const ID: &str = "apparmor.rootlesskit";

    #[test]
    fn regression_userns_in_local_include_judged_no_userns_rule() {
        // The `userns,` of /etc/apparmor.d/local/rootlesskit, which the profile includes, counts.
        let v = check("ubuntu-24.04-userns-in-local-include", ID);
        assert_eq!(v.status, Status::Pass, "{}", v.summary);
        assert!(
            v.evidence.iter().any(|e| e
                .detail
                .contains("grants userns (at /etc/apparmor.d/local/rootlesskit:2)")),
            "{:?}",
            v.evidence
        );
    }

    #[test]
    fn regression_fix_proposed_a_second_profile_for_a_covered_path() {
        // A profile attaches without `userns,`: the fix adds the rule to its local include, never a new profile.
        let v = check("ubuntu-24.04-no-userns-rule", ID);
        assert_eq!(v.status, Status::Fail);
        assert_eq!(
            steps(&v),
            [
                "sudo tee -a /etc/apparmor.d/local/rootlesskit",
                "sudo apparmor_parser -r /etc/apparmor.d/rootlesskit",
            ]
        );
        assert!(fix(&v).text.contains("Do not add a second profile"));
    }

    #[test]
    fn regression_two_profiles_one_path_judged_covered() {
        // Two equally specific profiles conflict: the kernel attaches neither, whatever they grant.
        let v = check("ubuntu-24.04-two-profiles-one-path", ID);
        assert_eq!(v.status, Status::Fail);
        assert!(
            v.summary.contains("conflicting profile attachments"),
            "{}",
            v.summary
        );
        assert!(
            v.summary
                .contains("fork/exec /proc/self/exe: permission denied")
        );
        assert_eq!(
            steps(&v),
            [
                "sudo ln -s /etc/apparmor.d/rootlesskit-userns /etc/apparmor.d/disable/rootlesskit-userns",
                "sudo apparmor_parser -R /etc/apparmor.d/rootlesskit-userns",
            ]
        );
    }

    #[test]
    fn an_exact_attachment_beats_a_pattern() {
        let v = check("ubuntu-24.04-exact-beats-pattern", ID);
        assert_eq!(v.status, Status::Pass, "{}", v.summary);
        assert!(v.summary.contains("profile rootlesskit "));
    }
}
