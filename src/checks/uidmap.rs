//! newuidmap and newgidmap: present, and privileged (setuid-root or file capabilities), on a suid-honouring mount.

use super::{Check, Judges, Scope, unreadable};
use crate::facts::{Facts, FileKind, Read};
use crate::model::{Remediation, Step, Verdict};
use crate::parse::{login_defs, mountinfo, vfs_cap};

/// The two explain texts differ only in the binary, capability and map file.
macro_rules! const_format_explain {
    ($bin:literal, $cap:literal, $map:literal) => {
        concat!(
            "What it checks: ", $bin, " is on PATH (and in /usr/bin), and can actually write another process's ", $map, ": \
it is setuid-root, or it carries the file capability ", $cap, " as permitted and effective (security.capability xattr), \
and the filesystem it lives on is not mounted nosuid; and that the session the doctor runs in is not under no_new_privs \
(NoNewPrivs: 1 in /proc/self/status), which also disables both: a failure when the daemon is started by hand from that \
session, a warning when the docker user service starts it (the user manager does not inherit the flag). When root judges another user, that user's sessions are \
not visible, and no_new_privs is not judged.

Why it matters: RootlessKit maps the subordinate ids of /etc/sub", "uid and /etc/subgid into the user namespace by running ",
            $bin, ". Only a privileged helper may map ids other than your own. dockerd-rootless-setuptool.sh checks only that \
newuidmap exists, never newgidmap, and never the privilege.

What you see when it's wrong: `[rootlesskit:parent] error: failed to setup UID/GID map: newuidmap … failed: newuidmap: Could not set caps` \
or `", $bin, ": write to ", $map, " failed: Operation not permitted`; without the binary, \
`newuidmap binary not found. Please install with a package manager.` from the setup tool.

",
            "How to fix: install the distribution's package (uidmap on Debian/Ubuntu, shadow-utils on RHEL/Fedora, shadow on Arch and openSUSE). \
If the binary is there but unprivileged (copied, extracted from an image, self-built into $HOME), restore the privilege the \
distribution ships: setuid-root (`chmod u+s`, owner root) on Debian/Ubuntu, or file capabilities \
(`setcap ", $cap, "=ep`) on Fedora/RHEL/openSUSE/Arch; reinstalling the package does the same. \
A binary earlier on PATH than /usr/bin shadows the packaged one: remove it. A filesystem mounted nosuid ignores both setuid bits \
and file capabilities: keep the binary on /usr. Under no_new_privs (setpriv --no-new-privs, systemd's NoNewPrivileges=, \
container and CI sandboxes) start the daemon from a fresh login or through the systemd user service instead."
        )
    };
}

/// Where `no_new_privs` comes from, and the ways out of it (prctl(2), systemd.exec(5)).
const NO_NEW_PRIVS_FIX: &str = "\
no_new_privs is a per-process flag that every child inherits and nothing can clear; under it the kernel ignores setuid bits \
and file capabilities, so newuidmap and newgidmap run unprivileged. Something that started this session set it: \
`setpriv --no-new-privs`, a systemd unit with NoNewPrivileges=yes (implied in user units by sandboxing settings such as \
SystemCallFilter=, RestrictNamespaces= or PrivateDevices=), a container started with `--security-opt no-new-privileges` \
(Kubernetes: allowPrivilegeEscalation: false), bubblewrap/Flatpak, or a CI runner's sandbox. \
Start the daemon from a session without it: a fresh login (ssh, console), or `systemctl --user start docker`, whose user \
manager does not inherit this session's flag (unless the unit itself sets NoNewPrivileges=). \
`grep NoNewPrivs /proc/self/status` shows 0 in a session that can run it.";

pub(super) const CHECKS: &[Check] = &[
    Check {
        id: "uidmap.newuidmap",
        area: "uidmap",
        scope: Scope::Preflight,
        needs_runtime: false,
        per_user: true,
        judges: Judges::Rootless,
        title: "newuidmap is installed and privileged (setuid-root or cap_setuid)",
        reference: "https://docs.docker.com/engine/security/rootless/; newuidmap(1); newgidmap(1)",
        explain: const_format_explain!("newuidmap", "cap_setuid", "uid_map"),
        packages: &["newuidmap"],
        removes: &[],
        run: newuidmap,
    },
    Check {
        id: "uidmap.newgidmap",
        area: "uidmap",
        scope: Scope::Preflight,
        needs_runtime: false,
        per_user: true,
        judges: Judges::Rootless,
        title: "newgidmap is installed and privileged (setuid-root or cap_setgid)",
        reference: "https://docs.docker.com/engine/security/rootless/; newuidmap(1); newgidmap(1)",
        explain: const_format_explain!("newgidmap", "cap_setgid", "gid_map"),
        packages: &["newuidmap"],
        removes: &[],
        run: newgidmap,
    },
    Check {
        id: "uidmap.caller",
        area: "uidmap",
        scope: Scope::Preflight,
        needs_runtime: true,
        per_user: true,
        judges: Judges::Rootless,
        title: "The start path's real group is the user's passwd group, as newuidmap demands",
        reference: "https://github.com/shadow-maint/shadow/blob/4.13/src/newuidmap.c; newuidmap(1); login.defs(5); newgrp(1); runuser(1)",
        explain: "\
What it checks: the real gid of the process that will start RootlessKit, against the primary group of the user in \
the user database. Started by hand, that is this session's (the Gid: line of /proc/self/status, read when the doctor \
runs in the session); the docker user service runs with the passwd group. Unless /etc/login.defs says \
`GRANT_AUX_GROUP_SUBIDS yes`, newuidmap and newgidmap (shadow 4.13, the same in 4.17) refuse a caller whose real gid \
is not the passwd entry's. A user unknown to the user database is refused too.

Why it matters: a shell whose group was changed (`newgrp`, `sg`, `runuser -g`, `su -g`, `setpriv --regid`) passes \
every subordinate-id check, and RootlessKit still cannot map its user namespace.

What you see when it's wrong: `[rootlesskit:parent] error: failed to setup UID/GID map: newuidmap 17746 \
[0 1001 1 1 100000 65536] failed: newuidmap: Target process 17746 is owned by a different user: uid:1001 \
pw_uid:1001 st_uid:1001, gid:100 pw_gid:1001 st_gid:100`; for an unknown user `newuidmap: Cannot determine your \
user name.`

How to fix: start the daemon from a shell with your login group: leave the `newgrp`/`sg` shell (`exit`), or log in \
again; or use the docker user service. As root, setting `GRANT_AUX_GROUP_SUBIDS yes` in /etc/login.defs lets \
newuidmap accept any real gid the caller has.",
        packages: &[],
        removes: &[],
        run: caller,
    },
];

fn newuidmap(f: &Facts) -> Verdict {
    judge(f, "newuidmap", caps::Capability::CAP_SETUID)
}

fn newgidmap(f: &Facts) -> Verdict {
    judge(f, "newgidmap", caps::Capability::CAP_SETGID)
}

/// Why a binary can or cannot change another process's id maps.
enum Privilege {
    Setuid,
    FileCaps(String),
    None(String),
}

fn privilege(f: &Facts, path: &str, cap: caps::Capability) -> Result<Privilege, Verdict> {
    let meta = match f.stat(path) {
        Read::Ok(m) => m,
        Read::Missing => return Ok(Privilege::None("vanished while checking".into())),
        Read::Failed(e) => return Err(unreadable(path, &e)),
    };
    if meta.is_setuid() && meta.uid == 0 {
        return Ok(Privilege::Setuid);
    }
    let caps_blob = match f.xattr(path, "security.capability") {
        Read::Ok(blob) => blob,
        Read::Missing => None,
        Read::Failed(e) => return Err(unreadable(&format!("{path} (security.capability)"), &e)),
    };
    let mode = format!("mode {:04o}, owner uid {}", meta.mode, meta.uid);
    match caps_blob {
        Some(blob) => match vfs_cap::parse(&blob) {
            // A revision-3 capability whose rootid is not 0 belongs to another user namespace (a file copied
            // out of a container image): the kernel ignores it here, and getxattr shows it only then.
            Ok(fc) if fc.rootid.is_some_and(|r| r != 0) => Ok(Privilege::None(format!(
                "{mode}; file capabilities {} are namespaced to rootid {} (copied from a container image?), which this namespace ignores",
                fc.describe(),
                fc.rootid.unwrap_or_default()
            ))),
            Ok(fc) if fc.permits(cap) && fc.effective => Ok(Privilege::FileCaps(fc.describe())),
            Ok(fc) => Ok(Privilege::None(format!(
                "{mode}; file capabilities {} lack {}=ep",
                fc.describe(),
                cap.to_string().to_lowercase()
            ))),
            Err(e) => Ok(Privilege::None(format!(
                "{mode}; unreadable security.capability: {e}"
            ))),
        },
        None if meta.is_setuid() => Ok(Privilege::None(format!(
            "{mode}: setuid, but not owned by root"
        ))),
        None => Ok(Privilege::None(format!(
            "{mode}: neither setuid-root nor file capabilities"
        ))),
    }
}

fn judge(f: &Facts, name: &str, cap: caps::Capability) -> Verdict {
    let distro = f.distro();
    let on_path = f.which(name);
    let packaged = format!("/usr/bin/{name}");
    let packaged_exists = matches!(f.stat(&packaged), Read::Ok(m) if m.kind == FileKind::File);
    let install = || {
        let r = Remediation::text(format!(
            "Install {} from the distribution; it ships {name} privileged.",
            distro.package_list(&["newuidmap"])
        ));
        r.steps(distro.install_step(&["newuidmap"]))
    };
    let Some(path) = on_path
        .clone()
        .or_else(|| packaged_exists.then(|| packaged.clone()))
    else {
        return Verdict::fail(format!(
            "{name} is not installed (not on PATH, not in /usr/bin)"
        ))
        .evidence("env:PATH", f.path_dirs().join(":"))
        .fix(install());
    };
    let real = match f.canonicalize(&path) {
        Read::Ok(r) => r,
        Read::Missing => path.clone(),
        Read::Failed(e) => return unreadable(&path, &e),
    };
    let shown = if real == path {
        path.clone()
    } else {
        format!("{path} -> {real}")
    };
    let privilege = match privilege(f, &real, cap) {
        Ok(p) => p,
        Err(v) => return v,
    };
    let mut v = match &privilege {
        Privilege::Setuid => Verdict::pass(format!("{shown} is setuid-root")),
        Privilege::FileCaps(c) => Verdict::pass(format!("{shown} has file capabilities {c}")),
        Privilege::None(why) => {
            let mut steps = Vec::new();
            if distro.defaults.newuidmap_privilege == "fcaps" {
                let capname = format!("{}=ep", cap.to_string().to_lowercase());
                steps.push(Step::root(["setcap", capname.as_str(), real.as_str()]));
            } else {
                // `chmod u+s` with the mode it has now (chown clears the setuid bit, so it comes first); the
                // packages' 0755 when the mode cannot be read.
                let mode = match f.stat(&real) {
                    Read::Ok(m) => m.mode & 0o7777,
                    _ => 0o755,
                };
                steps.push(Step::set_owner(real.as_str(), "root:root"));
                steps.push(Step::set_mode(true, real.as_str(), mode | 0o4000));
            }
            let shadowing = on_path.as_deref().is_some_and(|p| p != packaged) && packaged_exists;
            let text = if shadowing {
                format!(
                    "{path} comes before {packaged} on PATH and is not privileged. Remove it (or put /usr/bin first); \
the packaged one is what RootlessKit should run."
                )
            } else {
                format!(
                    "Restore the privilege {} ships {name} with (or reinstall the package):",
                    distro.name
                )
            };
            let fix = if shadowing {
                Remediation::text(text)
            } else {
                Remediation::text(text).steps(steps)
            };
            return Verdict::fail(format!("{shown} is not privileged: {why}"))
                .evidence(real.clone(), why.clone())
                .fix(fix);
        }
    };
    v = v.evidence(
        real.clone(),
        match &privilege {
            Privilege::Setuid => "setuid, owner root".to_owned(),
            Privilege::FileCaps(c) => format!("security.capability: {c}"),
            Privilege::None(w) => w.clone(),
        },
    );
    // A nosuid mount disables both setuid bits and file capabilities (mount(8)).
    match f.mounts() {
        Read::Ok(mounts) => {
            if let Some(m) = mountinfo::mount_for(mounts, &real) {
                if m.has_option("nosuid") {
                    return Verdict::fail(format!(
                        "{shown} is on {} mounted nosuid, which ignores setuid bits and file capabilities",
                        m.mount_point
                    ))
                    .evidence("/proc/self/mountinfo", format!("{} {} {}", m.mount_point, m.fs_type, m.mount_options.join(",")))
                    .fix(Remediation::text(format!(
                        "Use the packaged {packaged} on a filesystem mounted without nosuid, or remount {} without nosuid.",
                        m.mount_point
                    )));
                }
                v = v.evidence(
                    "/proc/self/mountinfo",
                    format!("{} mounted {}", m.mount_point, m.mount_options.join(",")),
                );
            }
        }
        Read::Missing => {}
        Read::Failed(e) => v = v.evidence("/proc/self/mountinfo", format!("unreadable: {e}")),
    }
    // no_new_privs makes exec ignore setuid bits and file capabilities (prctl(2)); it is inherited by every
    // child and cannot be cleared, so RootlessKit started from this session runs an unprivileged newuidmap.
    match f.self_status() {
        Read::Ok(_) if !f.is_own_session() => {
            v = v.evidence(
                "/proc/self/status",
                format!(
                    "NoNewPrivs of {}'s sessions is not visible to this run (it reads its own process, not theirs)",
                    f.user.name
                ),
            );
        }
        Read::Ok(st) => match st.no_new_privs {
            // The docker user service is started by the user manager, which does not inherit this session's flag:
            // only a start by hand from here fails.
            Some(true) if f.daemon_path().is_some_and(|p| !p.by_hand) => {
                return Verdict::warn(format!(
                    "this session runs with no_new_privs, so {shown}'s privilege never takes effect for what it starts: \
the docker user service (started by the user manager) is not affected, but dockerd-rootless.sh or rootlesskit run from here fail"
                ))
                .with_evidence(v.evidence)
                .evidence("/proc/self/status", "NoNewPrivs: 1")
                .fix(Remediation::text(NO_NEW_PRIVS_FIX));
            }
            Some(true) => {
                return Verdict::fail(format!(
                    "this session runs with no_new_privs, so {shown}'s privilege never takes effect: RootlessKit started from here fails"
                ))
                .with_evidence(v.evidence)
                .evidence("/proc/self/status", "NoNewPrivs: 1")
                .fix(Remediation::text(NO_NEW_PRIVS_FIX));
            }
            Some(false) => v = v.evidence("/proc/self/status", "NoNewPrivs: 0"),
            None => {}
        },
        Read::Missing => {}
        Read::Failed(e) => v = v.evidence("/proc/self/status", format!("unreadable: {e}")),
    }
    if on_path.is_none() {
        return Verdict::warn(format!(
            "{packaged} is privileged but /usr/bin is not on PATH, so RootlessKit won't find it"
        ))
        .evidence("env:PATH", f.path_dirs().join(":"))
        .fix(Remediation::text(
            "Add /usr/bin to PATH in your shell profile and in the docker user service.",
        ));
    }
    v
}

fn caller(f: &Facts) -> Verdict {
    // newuidmap's own lookup: getlogin() when it names the same uid, else getpwuid(getuid()) (shadow's
    // get_my_pwent); the user database entry of the uid is what both find here.
    let Some(pw) = f.user_by_name(&f.user.name).filter(|u| u.uid == f.user.uid) else {
        return Verdict::fail(format!(
            "uid {} is not in the user database: newuidmap stops with \"newuidmap: Cannot determine your user name.\"",
            f.user.uid
        ))
        .fix(Remediation::text(
            "newuidmap looks the caller up by uid: add the user to /etc/passwd (or the NSS source that holds accounts).",
        ));
    };
    let grant_aux = match f.read("/etc/login.defs") {
        Read::Ok(text) => login_defs::get_bool(&text, "GRANT_AUX_GROUP_SUBIDS"),
        Read::Missing => false,
        Read::Failed(e) => return unreadable("/etc/login.defs", &e),
    };
    let by_hand = f.daemon_path().is_none_or(|p| p.by_hand);
    let v = Verdict::pass("").evidence(
        "passwd",
        format!("{}: uid {}, primary gid {}", pw.name, pw.uid, pw.gid),
    );
    if !by_hand {
        let how = f.daemon_path().map(|p| p.how.clone()).unwrap_or_default();
        let mut v = v.evidence(
            how.clone(),
            "the user manager starts it with the passwd group",
        );
        v.summary = format!("{how} runs with {}'s passwd group {}", pw.name, pw.gid);
        return v;
    }
    if !f.is_own_session() {
        return Verdict::skip(format!(
            "dockerd-rootless.sh is started by hand from {}'s own shell, whose real group this run cannot see",
            f.user.name
        ));
    }
    let status = match f.self_status() {
        Read::Ok(st) => st,
        Read::Missing => {
            return Verdict::skip("no /proc/self/status: this session's real group is not visible");
        }
        Read::Failed(e) => return unreadable("/proc/self/status", &e),
    };
    let Some([real, ..]) = status.gid else {
        return Verdict::skip(
            "/proc/self/status has no Gid: line: this session's real group is not visible",
        );
    };
    let v = v.evidence(
        "/proc/self/status",
        format!("Gid: real {real} (this session, which starts dockerd-rootless.sh by hand)"),
    );
    if real == pw.gid {
        let mut v = v;
        v.summary = format!(
            "this session's real group {real} is {}'s passwd group",
            pw.name
        );
        return v;
    }
    if grant_aux {
        let mut v = v.evidence("/etc/login.defs", "GRANT_AUX_GROUP_SUBIDS yes");
        v.summary = format!(
            "this session's real group {real} is not {}'s passwd group {}, which GRANT_AUX_GROUP_SUBIDS yes allows",
            pw.name, pw.gid
        );
        return v;
    }
    Verdict::fail(format!(
        "this session's real group is {real}, not {}'s passwd group {}: newuidmap refuses it (\"newuidmap: Target process … is owned by a different user: uid:{} pw_uid:{} st_uid:{}, gid:{real} pw_gid:{} st_gid:{real}\")",
        pw.name, pw.gid, pw.uid, pw.uid, pw.uid, pw.gid
    ))
    .with_evidence(v.evidence)
    .evidence("/etc/login.defs", "no GRANT_AUX_GROUP_SUBIDS yes")
    .fix(Remediation::text(format!(
        "This shell's group was changed (newgrp, sg, runuser -g, su -g or setpriv --regid). Start dockerd-rootless.sh from \
a shell with your login group {}: leave this one (`exit`) or log in again. As root, `GRANT_AUX_GROUP_SUBIDS yes` in \
/etc/login.defs (login.defs(5)) makes newuidmap accept it.",
        pw.gid
    )))
}

#[cfg(test)]
mod tests {
    use crate::checks::test_support::{check, fix, steps};
    use crate::model::{Action, Status};

    #[test]
    fn the_setuid_bit_is_set_on_the_mode_newuidmap_has() {
        // `chmod u+s` as a typed mode: the file's 0755 with the setuid bit, after chown (which clears it).
        let v = check("debian-12-newuidmap-not-setuid", "uidmap.newuidmap");
        assert_eq!(v.status, Status::Fail, "{}", v.summary);
        assert_eq!(
            steps(&v),
            [
                "sudo chown root:root /usr/bin/newuidmap",
                "sudo chmod 4755 /usr/bin/newuidmap"
            ]
        );
        assert_eq!(
            fix(&v).steps[1].action,
            Action::SetMode {
                path: "/usr/bin/newuidmap".into(),
                mode: 0o4755
            }
        );
    }

    #[test]
    fn regression_no_new_privs_ignored_by_the_setuid_check() {
        // newuidmap is setuid-root on a suid mount, but the session runs under no_new_privs:
        // exec ignores the bit, and newuidmap's write to uid_map fails with EPERM.
        // Without systemd the daemon is started by hand from this very session.
        for id in ["uidmap.newuidmap", "uidmap.newgidmap"] {
            let v = check("debian-12-no-systemd-no-new-privs", id);
            assert_eq!(v.status, Status::Fail, "{id}: {}", v.summary);
            assert!(v.summary.contains("no_new_privs"), "{}", v.summary);
            assert!(
                v.evidence
                    .iter()
                    .any(|e| e.source == "/proc/self/status" && e.detail == "NoNewPrivs: 1"),
                "{:?}",
                v.evidence
            );
            let fix = fix(&v);
            // Nothing clears the flag, so there is no command to run: the fix says where it comes from.
            assert!(fix.steps.is_empty());
            for cause in [
                "setpriv --no-new-privs",
                "NoNewPrivileges=",
                "systemctl --user start docker",
            ] {
                assert!(fix.text.contains(cause), "{cause}: {}", fix.text);
            }
        }
    }

    #[test]
    fn regression_no_new_privs_of_this_session_failed_the_user_service() {
        // The docker user service is started by the user manager, which does not inherit the session's flag: the
        // service works, and only a start by hand from this session fails, so the verdict is a warning.
        for id in ["uidmap.newuidmap", "uidmap.newgidmap"] {
            let v = check("debian-12-no-new-privs", id);
            assert_eq!(v.status, Status::Warn, "{id}: {}", v.summary);
            assert!(v.summary.contains("docker user service"), "{}", v.summary);
            assert!(
                v.evidence
                    .iter()
                    .any(|e| e.source == "/proc/self/status" && e.detail == "NoNewPrivs: 1")
            );
            assert!(fix(&v).text.contains("systemctl --user start docker"));
        }
    }

    #[test]
    fn a_changed_real_group_fails_as_newuidmap_does() {
        let v = check("debian-12-no-systemd-newgrp", "uidmap.caller");
        assert_eq!(v.status, Status::Fail, "{}", v.summary);
        assert!(
            v.summary
                .contains("uid:1000 pw_uid:1000 st_uid:1000, gid:100 pw_gid:1000 st_gid:100"),
            "{}",
            v.summary
        );
        assert!(fix(&v).text.contains("GRANT_AUX_GROUP_SUBIDS yes"));
    }

    #[test]
    fn the_user_service_runs_with_the_passwd_group() {
        let v = check("debian-12", "uidmap.caller");
        assert_eq!(v.status, Status::Pass, "{}", v.summary);
        assert!(v.summary.contains("passwd group 1000"), "{}", v.summary);
    }

    #[test]
    fn an_unknown_uid_cannot_name_itself() {
        let v = check("debian-12-user-not-in-passwd", "uidmap.caller");
        assert_eq!(v.status, Status::Fail);
        assert!(
            v.summary.contains("Cannot determine your user name."),
            "{}",
            v.summary
        );
    }

    #[test]
    fn without_a_status_file_no_new_privs_is_not_judged() {
        let v = check("debian-12", "uidmap.newuidmap");
        assert_eq!(v.status, Status::Pass);
        assert!(v.evidence.iter().all(|e| e.source != "/proc/self/status"));
    }
}
