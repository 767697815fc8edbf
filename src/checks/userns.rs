//! The kernel knobs that allow or forbid unprivileged user namespaces.

use super::{Check, Judges, Scope, sysctl_file, unreadable};
use crate::facts::apparmor::PROFILE_DIR;
use crate::facts::{Facts, Read};
use crate::model::{Remediation, Verdict};

const CLONE_CONF: &str = include_str!("../../profiles/sysctl/50-rootless-userns-clone.conf");
const MAX_CONF: &str = include_str!("../../profiles/sysctl/51-rootless-max-user-namespaces.conf");

/// RootlessKit's own threshold (`warnSysctl`): "may be low. Consider setting to >= 1024".
const LOW_MAX_USER_NAMESPACES: i64 = 1024;

pub(super) const CHECKS: &[Check] = &[
    Check {
        id: "userns.clone",
        area: "userns",
        scope: Scope::Preflight,
        needs_runtime: true,
        per_user: false,
        judges: Judges::Rootless,
        title: "kernel.unprivileged_userns_clone allows unprivileged user namespaces (where the kernel has it)",
        reference: "https://docs.docker.com/engine/security/rootless/troubleshoot/; user_namespaces(7)",
        explain: "\
What it checks: /proc/sys/kernel/unprivileged_userns_clone, a knob only Debian- and Ubuntu-patched kernels (and linux-zen/hardened) \
have. Absent means a vanilla kernel, where unprivileged user namespaces are governed by user.max_user_namespaces alone.

Why it matters: with 0, only root may create user namespaces, and RootlessKit cannot start. Debian 10 and earlier and \
linux-hardened default to 0.

What you see when it's wrong: `[rootlesskit:parent] error: failed to start the child: fork/exec /proc/self/exe: operation not permitted`; \
RootlessKit adds `/proc/sys/kernel/unprivileged_userns_clone needs to be set to 1.`

How to fix: add `kernel.unprivileged_userns_clone=1` to /etc/sysctl.conf or a file in /etc/sysctl.d, and run \
`sudo sysctl -w kernel.unprivileged_userns_clone=1` to set it now.",
        packages: &[],
        removes: &[],
        run: clone,
    },
    Check {
        id: "userns.max_namespaces",
        area: "userns",
        scope: Scope::Preflight,
        needs_runtime: true,
        per_user: false,
        judges: Judges::Rootless,
        title: "user.max_user_namespaces is non-zero and not too low",
        reference: "https://docs.docker.com/engine/security/rootless/troubleshoot/; user_namespaces(7)",
        explain: "\
What it checks: /proc/sys/user/max_user_namespaces, the number of user namespaces this user namespace may hold. \
0 forbids them; RootlessKit warns below 1024.

Why it matters: RootlessKit and every container need a user namespace. RHEL/CentOS 7 shipped 0. The value is per user \
namespace: inside a container it can be lower than on the host.

What you see when it's wrong: `[rootlesskit:parent] error: failed to start the child: fork/exec /proc/self/exe: no space left on device`; \
RootlessKit adds `/proc/sys/user/max_user_namespaces needs to be set to non-zero.`

How to fix: add `user.max_user_namespaces=28633` to /etc/sysctl.conf or a file in /etc/sysctl.d, and run \
`sudo sysctl -w user.max_user_namespaces=28633` to set it now.",
        packages: &[],
        removes: &[],
        run: max_namespaces,
    },
    Check {
        id: "userns.apparmor_restrict",
        area: "userns",
        scope: Scope::Preflight,
        needs_runtime: true,
        per_user: true,
        judges: Judges::Rootless,
        title: "Whether AppArmor restricts unprivileged user namespaces (Ubuntu 23.10 and later)",
        reference: "https://docs.docker.com/engine/security/rootless/troubleshoot/; https://github.com/moby/moby/issues/47480; apparmor.d(5)",
        explain: "\
What it checks: kernel.apparmor_restrict_unprivileged_userns and kernel.apparmor_restrict_unprivileged_unconfined, and, when the \
restriction is on and pasta will be the network driver (no slirp4netns), whether a profile grants pasta `userns,`. \
With the first at 1 (Ubuntu 24.04's default), an unprivileged process may create a user namespace only if its AppArmor \
profile grants `userns,`; everyone else lands in the `unprivileged_userns` profile with no capabilities.

Why it matters: rootlesskit, and the network helpers it starts (pasta, slirp4netns), each need a profile then. \
apparmor.rootlesskit checks the rootlesskit that will really run; Ubuntu's passt 24.04 has no profile for pasta (LP #2077158). \
A profile pinned to ABI 3.0 (`abi <abi/3.0>,`, as passt's own was) needs no `userns,` rule: that ABI does not mediate \
user namespaces.

What you see when it's wrong: `[rootlesskit:parent] error: failed to start the child: fork/exec /proc/self/exe: permission denied`, \
after `This error might have happened because /proc/sys/kernel/apparmor_restrict_unprivileged_userns is set to 1`.

How to fix: keep the restriction and give the binaries profiles (apparmor.rootlesskit prints the exact one). Turning it off \
(`kernel.apparmor_restrict_unprivileged_userns=0`) works for every binary at once, but Ubuntu discourages it.",
        packages: &[],
        removes: &[],
        run: apparmor_restrict,
    },
];

fn clone(f: &Facts) -> Verdict {
    const NAME: &str = "kernel.unprivileged_userns_clone";
    const PATH: &str = "/proc/sys/kernel/unprivileged_userns_clone";
    match f.sysctl_int(NAME) {
        Read::Missing => Verdict::pass("the kernel has no unprivileged_userns_clone knob (not Debian-patched): nothing to enable")
            .evidence(PATH, "missing"),
        Read::Failed(e) => unreadable(PATH, &e),
        Read::Ok(Err(e)) => Verdict::error(format!("{PATH} does not hold a number: {e}")).evidence(PATH, e),
        Read::Ok(Ok(1)) => Verdict::pass(format!("{NAME} = 1")).evidence(PATH, "1"),
        Read::Ok(Ok(v)) => Verdict::fail(format!(
            "{NAME} = {v}: RootlessKit fails with \"fork/exec /proc/self/exe: operation not permitted\""
        ))
        .evidence(PATH, v.to_string())
        .fix(Remediation::text("Allow unprivileged user namespaces, now and at every boot:")
            .steps(sysctl_file("/etc/sysctl.d/50-rootless-userns-clone.conf", CLONE_CONF))),
    }
}

fn max_namespaces(f: &Facts) -> Verdict {
    const NAME: &str = "user.max_user_namespaces";
    const PATH: &str = "/proc/sys/user/max_user_namespaces";
    let fix = || {
        Remediation::text("Raise the limit, now and at every boot (inside a container, raise it on the host or in the container's parent namespace):")
            .steps(sysctl_file("/etc/sysctl.d/51-rootless-max-user-namespaces.conf", MAX_CONF))
    };
    match f.sysctl_int(NAME) {
        Read::Missing => Verdict::fail(format!("{PATH} does not exist: this kernel has no user namespaces (CONFIG_USER_NS)"))
            .evidence(PATH, "missing")
            .fix(Remediation::text("Boot a kernel built with CONFIG_USER_NS=y; every current distribution kernel is.")),
        Read::Failed(e) => unreadable(PATH, &e),
        Read::Ok(Err(e)) => Verdict::error(format!("{PATH} does not hold a number: {e}")).evidence(PATH, e),
        Read::Ok(Ok(0)) => Verdict::fail(format!(
            "{NAME} = 0: RootlessKit fails with \"fork/exec /proc/self/exe: no space left on device\""
        ))
        .evidence(PATH, "0")
        .fix(fix()),
        Read::Ok(Ok(v)) if v < LOW_MAX_USER_NAMESPACES => Verdict::warn(format!(
            "{NAME} = {v} may be low: every container needs a user namespace (RootlessKit suggests >= {LOW_MAX_USER_NAMESPACES})"
        ))
        .evidence(PATH, v.to_string())
        .fix(fix()),
        Read::Ok(Ok(v)) => Verdict::pass(format!("{NAME} = {v}")).evidence(PATH, v.to_string()),
    }
}

fn apparmor_restrict(f: &Facts) -> Verdict {
    const PATH: &str = "/proc/sys/kernel/apparmor_restrict_unprivileged_userns";
    const UNCONFINED: &str = "/proc/sys/kernel/apparmor_restrict_unprivileged_unconfined";
    let unconfined = match f.sysctl("kernel.apparmor_restrict_unprivileged_unconfined") {
        Read::Ok(v) => v,
        Read::Missing => "missing".into(),
        Read::Failed(e) => format!("unreadable: {e}"),
    };
    match f.sysctl_int("kernel.apparmor_restrict_unprivileged_userns") {
        Read::Missing => Verdict::pass("AppArmor does not restrict user namespaces on this kernel")
            .evidence(PATH, "missing"),
        Read::Failed(e) => unreadable(PATH, &e),
        Read::Ok(Err(e)) => {
            Verdict::error(format!("{PATH} does not hold a number: {e}")).evidence(PATH, e)
        }
        Read::Ok(Ok(0)) => {
            Verdict::pass("kernel.apparmor_restrict_unprivileged_userns = 0: not restricted")
                .evidence(PATH, "0")
                .evidence(UNCONFINED, unconfined)
        }
        Read::Ok(Ok(v)) => {
            // Only binaries with a profile granting `userns,` may create user namespaces now. rootlesskit is
            // judged by apparmor.rootlesskit; what remains is the network helper: with slirp4netns missing, a
            // dockerd-rootless.sh that looks for pasta (28.5.2 and later) runs it, and Ubuntu's passt ships no
            // profile for it (LP #2077158). The driver is the one the script will really choose (network.driver).
            let driver = f.start_driver();
            let pasta = driver
                .filter(|d| d.driver.as_deref() == Some("pasta"))
                .and_then(|d| d.program.clone())
                .map(|p| match f.canonicalize(&p) {
                    Read::Ok(real) => real,
                    _ => p,
                });
            let mut base = Verdict::pass(
                "AppArmor restricts unprivileged user namespaces: rootlesskit needs a profile granting `userns,` (see apparmor.rootlesskit)",
            )
            .evidence(PATH, v.to_string())
            .evidence(UNCONFINED, unconfined);
            if let Some(d) = driver {
                base = base.evidence(
                    "network driver",
                    match &d.driver {
                        Some(n) => format!("{n} ({})", d.source),
                        None => format!("none ({})", d.source),
                    },
                );
            }
            match pasta {
                Some(pasta) => match f.apparmor_attaching(&pasta).map(|a| a.grants_userns()) {
                    Ok(true) => base.evidence(
                        pasta,
                        "a profile lets it create user namespaces (a `userns,` rule, or pinned to ABI 3.0, which does not mediate them)",
                    ),
                    Ok(false) => Verdict::warn(format!(
                        "AppArmor restricts unprivileged user namespaces and pasta ({pasta}) will be the network driver, but no profile grants it `userns,` (LP #2077158): RootlessKit then stops with \"[rootlesskit:parent] error: failed to setup network …: pasta failed with exit code 1: …\", pasta's own sandbox refused"
                    ))
                    .with_evidence(base.evidence)
                    .fix(Remediation::text(format!(
                        "Install slirp4netns (dockerd-rootless.sh prefers it, and it needs no profile of its own), or give {pasta} a profile granting `userns,` as apparmor.rootlesskit shows for rootlesskit."
                    ))),
                    Err(e) => unreadable(PROFILE_DIR, &e),
                },
                _ => base,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::test_support::{check, fix};
    use crate::model::Status;

    #[test]
    fn regression_apparmor_restrict_claimed_pasta_for_a_script_without_it() {
        // slirp4netns is missing and pasta is on PATH, but docker.io 24.0.7's dockerd-rootless.sh predates pasta:
        // it looks for vpnkit next (network.driver fails), so pasta's missing profile is not what stops it.
        let v = check(
            "ubuntu-24.04-pasta-without-profile",
            "userns.apparmor_restrict",
        );
        assert_eq!(v.status, Status::Pass, "{}", v.summary);
        assert!(!v.summary.contains("pasta"), "{}", v.summary);
        assert!(v.remediation.is_none());
        let driver = v
            .evidence
            .iter()
            .find(|e| e.source == "network driver")
            .unwrap();
        assert_eq!(
            driver.detail,
            "none (no slirp4netns, pasta or vpnkit on PATH)"
        );
        // The same host with 28.5.2's script, which looks for pasta: it runs pasta, which no profile grants userns.
        let v = check(
            "ubuntu-24.04-pasta-without-profile-docker-28.5.2",
            "userns.apparmor_restrict",
        );
        assert_eq!(v.status, Status::Warn, "{}", v.summary);
        assert_eq!(
            v.summary,
            "AppArmor restricts unprivileged user namespaces and pasta (/usr/bin/pasta) will be the network driver, but no profile grants it `userns,` (LP #2077158): RootlessKit then stops with \"[rootlesskit:parent] error: failed to setup network …: pasta failed with exit code 1: …\", pasta's own sandbox refused"
        );
        assert!(fix(&v).text.starts_with("Install slirp4netns"));
        assert!(fix(&v).steps.is_empty());
        // passt's own profile, pinned to ABI 3.0, has no userns rule and needs none.
        let v = check(
            "ubuntu-24.04-pasta-abi-3-profile",
            "userns.apparmor_restrict",
        );
        assert_eq!(v.status, Status::Pass, "{}", v.summary);
    }
}
