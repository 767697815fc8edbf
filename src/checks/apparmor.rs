//! Ubuntu's AppArmor user-namespace restriction, matched statically against the rootlesskit that will run.

use super::{Check, Scope, unreadable};
use crate::facts::apparmor::{LoadedProfile, PROFILE_DIR};
use crate::facts::{Facts, Read};
use crate::model::{Evidence, Remediation, Step, Verdict};
use crate::parse::apparmor;

const TEMPLATE: &str = include_str!("../../profiles/apparmor/rootlesskit.template");

pub(super) const CHECKS: &[Check] = &[Check {
    id: "apparmor.rootlesskit",
    area: "apparmor",
    scope: Scope::Preflight,
    needs_runtime: true,
    title: "Under the AppArmor userns restriction, the rootlesskit that will run has a profile granting userns",
    reference: "https://docs.docker.com/engine/security/rootless/troubleshoot/; https://github.com/moby/moby/issues/47480; apparmor.d(5)",
    explain: "\
What it checks: only when kernel.apparmor_restrict_unprivileged_userns = 1. It finds the rootlesskit dockerd-rootless.sh will run \
(docker-rootlesskit, then rootlesskit, in the script's directory, ~/bin, your PATH, /usr/sbin and /sbin), resolves symlinks \
(AppArmor attaches to the real path), and reads every profile in /etc/apparmor.d: attachment paths and globs (`*`, `**`, `{a,b}`, \
@{HOME}-style variables from tunables), the `userns,` rule, and disabled profiles (/etc/apparmor.d/disable). It passes when an \
enabled profile attaches to that path and grants `userns,`.

Why it matters: Ubuntu's apparmor package covers only /usr/bin/rootlesskit. The get.docker.com/rootless installer puts \
rootlesskit in ~/bin and nerdctl-full in /usr/local/bin; neither is covered, and `dockerd-rootless-setuptool.sh check` \
still says \"Requirements are satisfied\".

What you see when it's wrong: `[rootlesskit:parent] error: failed to start the child: fork/exec /proc/self/exe: permission denied`, \
with `This error might have happened because /proc/sys/kernel/apparmor_restrict_unprivileged_userns is set to 1`; \
the kernel log shows `apparmor=\"DENIED\" operation=\"capable\" … profile=\"unprivileged_userns\"`.

How to fix: install the profile rootless-doctor prints, named after the path (`/home/alice/bin/rootlesskit` → \
/etc/apparmor.d/home.alice.bin.rootlesskit), with `sudo tee` (a `sudo cat > file` redirection runs as you and fails), \
then load it with `sudo apparmor_parser -r FILE` or `sudo systemctl restart apparmor.service`. Or use the packaged \
/usr/bin/rootlesskit, which the apparmor package covers.",
    packages: &["apparmor"],
    run: rootlesskit,
}];

/// Where dockerd-rootless.sh will find rootlesskit: `docker-rootlesskit` first, then `rootlesskit`, on
/// `$BIN:/sbin:/usr/sbin:$PATH` (BIN = the script's directory); get.docker.com puts both in ~/bin.
fn find_rootlesskit(f: &Facts) -> Option<String> {
    let mut dirs = Vec::new();
    let script_dirs = f.distro().defaults.rootless_script_dirs.clone();
    let home_bin = format!("{}/bin", f.user.home.trim_end_matches('/'));
    let script = f
        .find_in(
            "dockerd-rootless.sh",
            &[vec![home_bin.clone()], f.path_dirs(), script_dirs].concat(),
        )
        .into_iter()
        .next();
    if let Some(s) = &script
        && let Some((dir, _)) = s.rsplit_once('/')
    {
        dirs.push(dir.to_owned());
    }
    dirs.extend(["/sbin".to_owned(), "/usr/sbin".to_owned()]);
    dirs.extend(f.path_dirs());
    dirs.push(home_bin);
    for name in ["docker-rootlesskit", "rootlesskit"] {
        if let Some(p) = f.find_in(name, &dirs).into_iter().next() {
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
    .step(Step::root(["tee", file.as_str()]).with_stdin(text))
    .step(Step::root(["apparmor_parser", "-r", file.as_str()]))
}

fn rootlesskit(f: &Facts) -> Verdict {
    const SYSCTL: &str = "/proc/sys/kernel/apparmor_restrict_unprivileged_userns";
    match f.sysctl_int("kernel.apparmor_restrict_unprivileged_userns") {
        Read::Missing => {
            return Verdict::skip("AppArmor does not restrict user namespaces on this kernel");
        }
        Read::Failed(e) => return unreadable(SYSCTL, &e),
        Read::Ok(Ok(0)) => {
            return Verdict::skip(
                "kernel.apparmor_restrict_unprivileged_userns = 0: no profile needed",
            );
        }
        Read::Ok(Ok(_)) => {}
        Read::Ok(Err(e)) => return Verdict::error(format!("{SYSCTL} does not hold a number: {e}")),
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
    let (profiles, vars, notes) = match f.apparmor_profiles() {
        Ok(p) => (&p.loaded, &p.variables, p.notes.clone()),
        Err(e) => return unreadable(PROFILE_DIR, e),
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
    let mut unexpanded = Vec::new();
    let attaching: Vec<&LoadedProfile> = profiles
        .iter()
        .filter(|l| {
            let Some(pattern) = l.profile.attach_pattern() else {
                return false;
            };
            apparmor::attachment_matches(pattern, vars, &real).unwrap_or_else(|e| {
                unexpanded.push(Evidence {
                    source: format!("{}:{}", l.file, l.profile.line),
                    detail: format!("profile {}: {e}; not judged", l.profile.name),
                });
                false
            })
        })
        .collect();
    let mut evidence = vec![Evidence {
        source: SYSCTL.into(),
        detail: "1".into(),
    }];
    if installed {
        evidence.push(Evidence {
            source: found.clone(),
            detail: format!("resolves to {real}"),
        });
    }
    for l in &attaching {
        evidence.push(Evidence {
            source: format!("{}:{}", l.file, l.profile.line),
            detail: format!(
                "profile {} attaches to {}{}{}",
                l.profile.name,
                l.profile.attach_pattern().unwrap_or(""),
                if l.profile.userns {
                    ", grants userns"
                } else {
                    ", no userns rule"
                },
                if l.disabled { ", DISABLED" } else { "" }
            ),
        });
    }
    let unjudged: Vec<String> = unexpanded.iter().map(|e| e.source.clone()).collect();
    evidence.extend(unexpanded);
    evidence.extend(notes);
    let granting: Vec<&&LoadedProfile> = attaching
        .iter()
        .filter(|l| l.profile.userns && !l.disabled)
        .collect();
    if let Some(first) = granting.first() {
        if attaching.len() > 1 {
            let names: Vec<String> = attaching
                .iter()
                .map(|l| format!("{} ({})", l.profile.name, l.file))
                .collect();
            return Verdict::warn(format!(
                "{subject} is covered, but {} profiles attach to it: {}; AppArmor uses only one",
                attaching.len(),
                names.join(", ")
            ))
            .with_evidence(evidence)
            .fix(Remediation::text("Keep one profile for the path and delete the other file (then `sudo systemctl restart apparmor.service`)."));
        }
        return Verdict::pass(format!(
            "{subject} is covered by profile {} ({})",
            first.profile.name, first.file
        ))
        .with_evidence(evidence);
    }
    let why = if attaching.is_empty() && !unjudged.is_empty() {
        format!(
            "no profile in {PROFILE_DIR} attaches to {real} (the attachment at {} expands to more than {} bytes and was not judged)",
            unjudged.join(", "),
            apparmor::MAX_EXPANSION_BYTES
        )
    } else if attaching.is_empty() {
        format!("no profile in {PROFILE_DIR} attaches to {real}")
    } else if attaching.iter().all(|l| l.disabled) {
        format!("the profile for {real} is disabled (/etc/apparmor.d/disable)")
    } else {
        format!("the profile attaching to {real} has no `userns,` rule")
    };
    let summary = format!(
        "{subject} may not create user namespaces: {why}; RootlessKit fails with \"fork/exec /proc/self/exe: permission denied\""
    );
    let fix = if attaching.iter().any(|l| l.disabled && l.profile.userns) {
        let disabled: Vec<&&LoadedProfile> = attaching.iter().filter(|l| l.disabled).collect();
        let mut r = Remediation::text(
            "Re-enable the profile: remove its link from /etc/apparmor.d/disable and load it.",
        );
        for l in disabled {
            let base = l.file.rsplit('/').next().unwrap_or_default();
            let link = format!("/etc/apparmor.d/disable/{base}");
            r = r.step(Step::root(["rm", link.as_str()])).step(Step::root([
                "apparmor_parser",
                "-r",
                l.file.as_str(),
            ]));
        }
        r
    } else {
        install_profile(&real)
    };
    Verdict::fail(summary).with_evidence(evidence).fix(fix)
}
