//! The user's login session: runtime directory, pam_systemd login, the user bus, linger.

use super::{Check, Judges, Scope, manual_start, unreadable};
use crate::facts::{Facts, FileKind, Meta, Read, UserSource};
use crate::model::{Remediation, Step, Verdict};

const REF: &str = "https://docs.docker.com/engine/security/rootless/troubleshoot/; https://rootlesscontaine.rs/getting-started/common/login/; pam_systemd(8)";

pub(super) const CHECKS: &[Check] = &[
    Check {
        id: "session.xdg_runtime_dir",
        area: "session",
        scope: Scope::Preflight,
        needs_runtime: true,
        per_user: true,
        judges: Judges::Rootless,
        title: "XDG_RUNTIME_DIR is set to a 0700 directory the user owns",
        reference: REF,
        explain: "\
What it checks: XDG_RUNTIME_DIR is set and absolute, names a directory (not a symlink) owned by the user with mode 0700 \
(writable by others fails: they could replace the socket; readable by others warns), and, on a systemd host, is /run/user/UID (the one pam_systemd creates and cleans). Run through sudo or --user, the user's \
own environment is not visible, so /run/user/UID is checked instead.

Why it matters: the daemon's socket (docker.sock), pid file and RootlessKit state live there. The XDG Base Directory spec \
requires owner-only access; another user able to enter it can reach your daemon, which is your root inside the user namespace.

What you see when it's wrong: `XDG_RUNTIME_DIR needs to be set and writable` from dockerd-rootless.sh, `could not get XDG_RUNTIME_DIR`, \
or with systemd `Aborting because systemd was detected but XDG_RUNTIME_DIR (\"…\") is not set, does not exist, or is not writable`.

How to fix: on systemd hosts log in through pam_systemd (a graphical or console login, `ssh USER@localhost`, or \
`sudo machinectl shell USER@`), not `su`/`sudo -iu`. Without systemd, Docker's recipe: \
`export XDG_RUNTIME_DIR=$HOME/.docker/xrd; rm -rf $XDG_RUNTIME_DIR; mkdir -p $XDG_RUNTIME_DIR` (remove it at every logout).",
        packages: &["systemd_container"],
        removes: &[],
        run: xdg_runtime_dir,
    },
    Check {
        id: "session.login",
        area: "session",
        scope: Scope::Preflight,
        needs_runtime: true,
        per_user: true,
        judges: Judges::Rootless,
        title: "The shell comes from a pam_systemd login, not su or sudo -iu",
        reference: "https://docs.docker.com/engine/security/rootless/troubleshoot/; pam_systemd(8)",
        explain: "\
What it checks: on a systemd host, whether this shell belongs to a logind session: XDG_SESSION_ID is set, or the user bus \
socket exists in XDG_RUNTIME_DIR. A shell from `su - USER` or `sudo -iu USER` has neither.

Why it matters: `systemctl --user`, which installs and runs the rootless daemon, talks to the user's systemd instance \
over that bus. dockerd-rootless-setuptool.sh then falls back to the manual path.

What you see when it's wrong: `Failed to connect to bus: No medium found` from `systemctl --user` when XDG_RUNTIME_DIR is \
unset (systemd 252; newer versions add `$DBUS_SESSION_BUS_ADDRESS and $XDG_RUNTIME_DIR not defined`), `Failed to connect to \
bus: No such file or directory` when it is set but has no bus, and \
`[INFO] systemd not detected, dockerd-rootless.sh needs to be started manually` from the setup tool.

How to fix: log in as the user through pam_systemd: `sudo machinectl shell USER@` (package systemd-container), \
`ssh USER@localhost`, or a console/graphical login.",
        packages: &["systemd_container"],
        removes: &[],
        run: login,
    },
    Check {
        id: "session.dbus",
        area: "session",
        scope: Scope::Preflight,
        needs_runtime: true,
        per_user: true,
        judges: Judges::Rootless,
        title: "The user's D-Bus session bus socket exists and someone listens on it",
        reference: "https://docs.docker.com/engine/security/rootless/troubleshoot/; https://rootlesscontaine.rs/getting-started/common/cgroup2/",
        explain: "\
What it checks: on a systemd host, the user bus socket: the path in DBUS_SESSION_BUS_ADDRESS (unix:path=…) or \
$XDG_RUNTIME_DIR/bus, which dbus-user-session (Debian/Ubuntu) or dbus-daemon/dbus-broker (RHEL/Fedora) provides: \
that it is a socket of the user's, and that a connect(2) to it is accepted (nothing is sent). A stopped dbus.socket \
leaves its socket file behind, and nobody answers there.

Why it matters: on cgroup v2, rootless dockerd uses the systemd cgroup driver, which asks the user's systemd over D-Bus to \
create a scope for every container.

What you see when it's wrong: `docker: Error response from daemon: OCI runtime create failed: … error while starting unit \
\"docker-….scope\" … read unix @->/run/systemd/private: read: connection reset by peer: unknown.` when there is no \
bus at all; `… unable to start unit \"docker-….scope\" (properties […]): Permission denied: unknown.` when its socket \
file is left and nobody listens (Debian 12); `systemctl --user is-active dbus.socket` says `inactive`.

How to fix: `sudo apt-get install -y dbus-user-session` (Debian/Ubuntu) or `sudo dnf install -y dbus-daemon` (RHEL/Fedora), \
log out and in again; if it persists, `systemctl --user enable --now dbus` (no sudo). A stopped bus: \
`systemctl --user start dbus.socket` (no sudo).",
        packages: &["dbus_user_session"],
        removes: &[],
        run: dbus,
    },
    Check {
        id: "session.linger",
        area: "session",
        scope: Scope::Preflight,
        needs_runtime: true,
        per_user: true,
        judges: Judges::Rootless,
        title: "Linger is enabled, so the user's daemon starts at boot and survives logout",
        reference: "https://docs.docker.com/engine/security/rootless/troubleshoot/; loginctl(1)",
        explain: "\
What it checks: on a systemd host, /var/lib/systemd/linger/USER, the file `loginctl enable-linger` creates.

Why it matters: without linger, systemd starts the user's services only while the user is logged in and stops them at the \
last logout: the rootless daemon is gone after a reboot, and cron jobs or CI runners find no socket.

What you see when it's wrong: `Cannot connect to the Docker daemon at unix:///run/user/1000/docker.sock. Is the docker daemon running?` \
after a logout or a reboot.

How to fix: `sudo loginctl enable-linger USER`.",
        packages: &[],
        removes: &[],
        run: linger,
    },
];

fn no_systemd(what: &str) -> Verdict {
    Verdict::skip(format!("systemd is not the init system: {what}"))
}

fn xdg_runtime_dir(f: &Facts) -> Verdict {
    let expected = format!("/run/user/{}", f.user.uid);
    let (dir, source) = if f.is_own_session() {
        match f.env("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
            // A trailing slash is the same directory (/run/user/1000/ is pam_systemd's too).
            Some(d) => (
                match d.trim_end_matches('/') {
                    "" => d.clone(),
                    t => t.to_owned(),
                },
                "env:XDG_RUNTIME_DIR".to_owned(),
            ),
            None => {
                let fix = if f.systemd {
                    relogin(f)
                } else {
                    manual_start(f)
                };
                return Verdict::fail("XDG_RUNTIME_DIR is not set: dockerd-rootless.sh stops with \"XDG_RUNTIME_DIR needs to be set and writable\"")
                    .evidence("env:XDG_RUNTIME_DIR", "unset")
                    .fix(fix);
            }
        }
    } else {
        if !f.systemd {
            return Verdict::skip(format!(
                "checked as {} for {} on a host without systemd: the user's own XDG_RUNTIME_DIR cannot be seen from here",
                via(f.user.source),
                f.user.name
            ));
        }
        (
            expected.clone(),
            format!(
                "{} (run {} for {})",
                expected,
                via(f.user.source),
                f.user.name
            ),
        )
    };
    if !dir.starts_with('/') {
        return Verdict::fail(format!("XDG_RUNTIME_DIR={dir:?} is not an absolute path"))
            .evidence(source, dir)
            .fix(if f.systemd {
                relogin(f)
            } else {
                manual_start(f)
            });
    }
    let meta = match f.lstat(&dir) {
        Read::Ok(m) => m,
        Read::Failed(e) => return unreadable(&dir, &e),
        Read::Missing => {
            let v = Verdict::fail(format!("XDG_RUNTIME_DIR {dir} does not exist"))
                .evidence(source, "missing");
            return if f.systemd && !f.is_own_session() {
                v.fix(Remediation::text(format!(
                    "{} has no running user manager, so pam_systemd never created {dir}. Enable linger (it also starts the \
user manager at boot) or log in as the user:",
                    f.user.name
                ))
                .step(Step::linger(f.user.name.as_str())))
            } else if f.systemd {
                v.fix(relogin(f))
            } else {
                v.fix(manual_start(f))
            };
        }
    };
    let detail = format!(
        "{}, mode {:04o}, owner uid {}",
        meta.kind.describe(),
        meta.mode,
        meta.uid
    );
    let mut problems = Vec::new();
    // Only the owner may write (anyone else could replace docker.sock); others reading is a spec violation
    // dockerd-rootless.sh tolerates (the socket itself is 0660), so that is a warning.
    let mut readable_only = false;
    if meta.kind != FileKind::Dir {
        problems.push(format!("is a {}, not a directory", meta.kind.describe()));
    } else {
        if meta.uid != f.user.uid {
            problems.push(format!(
                "is owned by uid {}, not {} ({}): dockerd-rootless.sh stops with \"XDG_RUNTIME_DIR needs to be set and writable\"",
                meta.uid, f.user.uid, f.user.name
            ));
        }
        if meta.mode & 0o022 != 0 {
            problems.push(format!(
                "has mode {:04o}: other users can replace the daemon's socket",
                meta.mode
            ));
        } else if meta.mode & 0o777 != 0o700 {
            readable_only = true;
        }
    }
    let fix = |meta: &Meta| {
        let mut fix = Remediation::text(format!(
            "The runtime directory must be yours alone, mode 0700 (XDG Base Directory spec). {}",
            if f.systemd {
                "pam_systemd creates /run/user/UID correctly at login."
            } else {
                "Fix the owner and mode:"
            }
        ));
        // Another real account's runtime dir (su without -, or /run/user/OTHER) must not change hands:
        // that would break their session. Log in as the user instead.
        let someone_elses = meta.uid != 0
            && meta.uid != f.user.uid
            && matches!(f.passwd(), Read::Ok(p) if p.iter().any(|e| e.uid == meta.uid));
        if someone_elses {
            return relogin(f);
        }
        if meta.kind == FileKind::Dir && meta.uid != f.user.uid {
            fix = fix.step(Step::set_owner(dir.as_str(), format!("{}:", f.user.name)));
        }
        if meta.kind == FileKind::Dir {
            fix = fix.step(Step::set_mode(meta.uid != f.user.uid, dir.as_str(), 0o700));
        }
        fix
    };
    if !problems.is_empty() {
        return Verdict::fail(format!("XDG_RUNTIME_DIR {dir} {}", problems.join(" and ")))
            .evidence(source, detail)
            .fix(fix(&meta));
    }
    if readable_only {
        return Verdict::warn(format!(
            "XDG_RUNTIME_DIR {dir} has mode {:04o}, not 0700: other users can list it and read the daemon's pid and state (the daemon still starts; its socket is 0660)",
            meta.mode
        ))
        .evidence(source, detail)
        .fix(fix(&meta));
    }
    if f.systemd && dir != expected {
        return Verdict::warn(format!(
            "XDG_RUNTIME_DIR is {dir}, not {expected}: this shell did not come from a pam_systemd login"
        ))
        .evidence(source, detail)
        .fix(relogin(f));
    }
    Verdict::pass(format!(
        "XDG_RUNTIME_DIR {dir} is a 0700 directory owned by {}",
        f.user.name
    ))
    .evidence(source, detail)
}

fn via(source: UserSource) -> &'static str {
    match source {
        UserSource::Sudo => "through sudo",
        UserSource::Flag => "with --user",
        UserSource::Invoking => "as the user",
    }
}

fn relogin(f: &Facts) -> Remediation {
    let user = format!("{}@", f.user.name);
    let r = Remediation::text(format!(
        "Log in as {} through pam_systemd instead of su or sudo -iu: `ssh {}@localhost`, a console login, or machinectl \
(package {}):",
        f.user.name,
        f.user.name,
        f.distro().package("systemd_container")
    ));
    r.steps(f.distro().install_step(&["systemd_container"]))
        .step(Step::root(["machinectl", "shell", user.as_str()]))
        .by_hand("a new login, or an interactive shell")
}

fn login(f: &Facts) -> Verdict {
    if !f.systemd {
        return no_systemd("there are no logind sessions to check");
    }
    if !f.is_own_session() {
        return Verdict::skip(format!(
            "checked {} for {}: that user's own login session cannot be seen from here",
            via(f.user.source),
            f.user.name
        ));
    }
    let session = f.env("XDG_SESSION_ID").filter(|s| !s.is_empty());
    let bus = env_bus_path(f);
    // `su bob` (without -) keeps alice's XDG_SESSION_ID, XDG_RUNTIME_DIR and bus: they exist, but are not bob's.
    if let Some(id) = &session {
        let file = format!("/run/systemd/sessions/{id}");
        if let Read::Ok(text) = f.read(&file) {
            let owner = text
                .lines()
                .find_map(|l| l.strip_prefix("UID="))
                .and_then(|u| u.trim().parse::<u32>().ok());
            if let Some(owner) = owner.filter(|o| *o != f.user.uid) {
                return Verdict::warn(format!(
                    "this shell carries logind session {id} of uid {owner}, not {}'s (su without -?): `systemctl --user` talks to someone else's user manager",
                    f.user.name
                ))
                .evidence(file, format!("UID={owner}"))
                .fix(relogin(f));
            }
        }
    }
    let bus_owner = bus.as_deref().and_then(|b| match f.lstat(b) {
        Read::Ok(m) if m.kind == FileKind::Socket => Some(m.uid),
        _ => None,
    });
    if let (Some(b), Some(owner)) = (&bus, bus_owner)
        && owner != f.user.uid
    {
        return Verdict::warn(format!(
            "this shell's user bus {b} belongs to uid {owner}, not {} (su without -?)",
            f.user.name
        ))
        .evidence(b.clone(), format!("socket owned by uid {owner}"))
        .fix(relogin(f));
    }
    let bus_exists = bus_owner.is_some();
    let v = match (&session, bus_exists) {
        (Some(id), _) => {
            Verdict::pass(format!("logind session {id}")).evidence("env:XDG_SESSION_ID", id.clone())
        }
        (None, true) => Verdict::pass(
            "no XDG_SESSION_ID, but the user manager's bus is reachable (linger or a nested shell)",
        ),
        (None, false) => {
            // With no bus address and no XDG_RUNTIME_DIR, sd-bus fails with ENOMEDIUM; systemd 252 (Debian 12)
            // prints it bare (its hint is behind a comparison that never holds), later versions with the hint.
            // With a runtime directory but no socket in it, the connect fails with ENOENT.
            let error = if bus.is_none() {
                "\"Failed to connect to bus: No medium found\" (newer systemd: \"… $DBUS_SESSION_BUS_ADDRESS and $XDG_RUNTIME_DIR not defined\")"
            } else {
                "\"Failed to connect to bus: No such file or directory\""
            };
            return Verdict::warn(format!(
                "this shell has no logind session (su or sudo -iu?): `systemctl --user` fails with {error}"
            ))
            .evidence("env:XDG_SESSION_ID", "unset")
            .evidence(
                bus.unwrap_or_else(|| "env:DBUS_SESSION_BUS_ADDRESS".into()),
                "missing (and XDG_RUNTIME_DIR unset)",
            )
            .fix(relogin(f));
        }
    };
    match bus {
        Some(b) => v.evidence(b, if bus_exists { "socket" } else { "missing" }),
        None => v,
    }
}

/// The user bus socket: DBUS_SESSION_BUS_ADDRESS's `unix:path=`, else `$XDG_RUNTIME_DIR/bus`, else /run/user/UID/bus.
fn bus_path(f: &Facts) -> Option<String> {
    env_bus_path(f).or_else(|| Some(format!("/run/user/{}/bus", f.user.uid)))
}

/// The bus this shell's environment points at, as `systemctl --user` finds it: no environment, no bus
/// ("Failed to connect to bus"), even when /run/user/UID/bus exists for another session.
fn env_bus_path(f: &Facts) -> Option<String> {
    if f.is_own_session() {
        if let Some(addr) = f.env("DBUS_SESSION_BUS_ADDRESS") {
            for part in addr.split(';') {
                let path = part
                    .strip_prefix("unix:")
                    .and_then(|kv| kv.split(',').find_map(|p| p.strip_prefix("path=")));
                if let Some(p) = path {
                    return Some(p.to_owned());
                }
            }
        }
        if let Some(dir) = f.env("XDG_RUNTIME_DIR").filter(|d| d.starts_with('/')) {
            return Some(format!("{}/bus", dir.trim_end_matches('/')));
        }
    }
    None
}

fn dbus(f: &Facts) -> Verdict {
    if !f.systemd {
        return no_systemd(
            "rootless dockerd runs without the systemd cgroup driver, the part that needs the user bus",
        );
    }
    let Some(bus) = bus_path(f) else {
        return Verdict::skip("no user bus path can be derived");
    };
    let install = || {
        let distro = f.distro();
        let r = Remediation::text(format!(
            "Install {} and log in again; if the socket is still missing, run `systemctl --user enable --now dbus` as {}.",
            distro.package_list(&["dbus_user_session"]),
            f.user.name
        ));
        // The `systemctl --user` step is conditional (the text says when): `fix --apply` installs the package.
        r.steps(distro.install_step(&["dbus_user_session"]))
    };
    match f.lstat(&bus) {
        Read::Ok(m) if m.kind == FileKind::Socket && m.uid != f.user.uid => Verdict::fail(format!(
            "the user bus {bus} belongs to uid {}, not {}: this environment comes from someone else's session",
            m.uid, f.user.name
        ))
        .evidence(bus, format!("socket owned by uid {}", m.uid))
        .fix(relogin(f)),
        Read::Ok(m) if m.kind == FileKind::Socket => match f.unix_listens(&bus) {
            Ok(()) => Verdict::pass(format!("the user bus {bus} accepts connections"))
                .evidence(bus, "socket, accepts a connection"),
            // The socket file outlives its listener: `systemctl --user stop dbus.socket` leaves it behind.
            Err(e) if e.kind == std::io::ErrorKind::ConnectionRefused => {
                let summary = format!(
                    "nobody listens on the user bus {bus} (dbus.socket is stopped): on cgroup v2, `docker run` fails with `{BUS_REFUSED}`"
                );
                v2_fail(f, summary)
                    .evidence(bus, format!("socket, connect: {}", e.text))
                    .fix(
                        Remediation::text(format!(
                            "Start the user bus again, as {}:",
                            f.user.name
                        ))
                        .step(Step::user(["systemctl", "--user", "start", "dbus.socket"])),
                    )
            }
            // A --root tree: the file is all there is to judge.
            Err(e) if e.kind == std::io::ErrorKind::Unsupported => {
                Verdict::pass(format!("the user bus {bus} is a socket"))
                    .evidence(bus, format!("socket (not connected: {})", e.text))
            }
            Err(e) => Verdict::warn(format!(
                "the user bus {bus} could not be asked whether it listens: {}",
                e.text
            ))
            .evidence(bus, format!("socket, connect: {}", e.text)),
        },
        Read::Ok(m) => Verdict::fail(format!("{bus} is a {}, not a socket", m.kind.describe()))
            .evidence(bus, m.kind.describe())
            .fix(install()),
        Read::Failed(e) => unreadable(&bus, &e),
        Read::Missing => {
            let summary = format!(
                "no user bus at {bus}: on cgroup v2, `docker run` fails with \"read unix @->/run/systemd/private: read: connection reset by peer\""
            );
            v2_fail(f, summary).evidence(bus, "missing").fix(install())
        }
    }
}

/// What `docker run` says when the user bus's socket refuses runc's systemd cgroup driver (Debian 12: docker.io 20.10,
/// runc 1.1; seen in the VM tier).
const BUS_REFUSED: &str =
    "unable to start unit \"docker-….scope\" (properties […]): Permission denied: unknown";

/// A fail where the systemd cgroup driver needs the user bus (cgroup v2), a warn elsewhere.
fn v2_fail(f: &Facts, summary: String) -> Verdict {
    if f.unified_cgroup() {
        Verdict::fail(summary)
    } else {
        Verdict::warn(summary)
    }
}

fn linger(f: &Facts) -> Verdict {
    if !f.systemd {
        return no_systemd("linger is a systemd-logind setting");
    }
    if !f.user.known {
        // logind keeps linger by user name, and `loginctl enable-linger` looks the name up: an account the user
        // database does not know can have neither (subid.entries says how to add it).
        return Verdict::skip(format!(
            "uid {} is not in the user database, and linger belongs to a named user (see subid.entries)",
            f.user.uid
        ));
    }
    let path = format!("/var/lib/systemd/linger/{}", f.user.name);
    match f.lstat(&path) {
        Read::Ok(_) => {
            Verdict::pass(format!("linger is enabled for {}", f.user.name)).evidence(path, "exists")
        }
        Read::Failed(e) => unreadable(&path, &e),
        Read::Missing => Verdict::warn(format!(
            "linger is off for {}: the rootless daemon stops at logout and does not start at boot",
            f.user.name
        ))
        .evidence(path, "missing")
        .fix(
            Remediation::text("Let the user's services run without a login session:")
                .step(Step::linger(f.user.name.as_str())),
        ),
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::test_support::check;
    use crate::model::Status;

    #[test]
    fn regression_no_runtime_dir_quotes_what_systemd_252_says() {
        // Without XDG_RUNTIME_DIR and a bus address, systemctl --user in Debian 12's systemd 252 says "No medium
        // found" (seen in the VM tier); the check used to quote "No such file or directory".
        let v = check("ubuntu-24.04-su-shell", "session.login");
        assert_eq!(v.status, Status::Warn, "{v:?}");
        assert!(
            v.summary
                .contains("\"Failed to connect to bus: No medium found\""),
            "{}",
            v.summary
        );
    }

    #[test]
    fn regression_linger_of_a_user_the_database_does_not_know_is_skipped() {
        // It used to warn "linger is off for 1000" and propose `loginctl enable-linger 1000`, which logind refuses.
        let v = check("debian-12-user-not-in-passwd", "session.linger");
        assert_eq!(v.status, Status::Skip, "{v:?}");
        assert!(
            v.summary.contains("uid 1000 is not in the user database"),
            "{}",
            v.summary
        );
        assert!(v.remediation.is_none());
    }

    #[test]
    fn regression_a_bus_socket_nobody_listens_on_fails() {
        // A stopped dbus.socket leaves /run/user/UID/bus behind: the check passed on the file alone while `docker run`
        // failed (the VM tier's kernel-features scenario).
        let v = check("debian-12-user-bus-stopped", "session.dbus");
        assert_eq!(v.status, Status::Fail, "{v:?}");
        assert!(v.summary.contains("nobody listens"), "{}", v.summary);
        let fix = v.remediation.expect("a fix");
        assert_eq!(
            fix.steps[0].argv,
            ["systemctl", "--user", "start", "dbus.socket"]
        );
        assert_eq!(check("debian-12", "session.dbus").status, Status::Pass);
    }

    #[test]
    fn linger_off_warns_with_loginctl() {
        assert_eq!(check("debian-12", "session.linger").status, Status::Pass);
        let v = check("fedora-no-linger", "session.linger");
        assert_eq!(v.status, Status::Warn, "{v:?}");
        let fix = v.remediation.expect("a fix");
        assert_eq!(fix.steps[0].argv[..2], ["loginctl", "enable-linger"]);
    }
}
