//! The system's (rootful) Docker beside the rootless one: its service, how it was installed (package, snap,
//! Docker Desktop, WSL), its socket and the `docker` group.

use super::{Check, Scope, pids, unreadable, use_rootless};
use crate::facts::client::ROOTFUL_SOCKETS;
use crate::facts::{Facts, FileKind, Read, SYSTEM_UNIT_DIRS};
use crate::model::{Remediation, Step, Verdict};

const CANNOT_CONNECT: &str =
    "cannot-connect seed; daemon-troubleshoot seed (Check whether Docker is running)";

pub(super) const CHECKS: &[Check] = &[
    Check {
        id: "daemon.service",
        area: "daemon",
        scope: Scope::CheckOnly,
        needs_runtime: true,
        title: "The system's docker.service and docker.socket: enabled, active, and what your client needs of them",
        reference: CANNOT_CONNECT,
        explain: "\
What it checks: rootful dockerd processes in /proc; with systemd as PID 1, docker.service and docker.socket: installed \
(/etc, /run, /usr/lib, /lib systemd/system), masked, enabled (a link in a *.wants directory) and active (systemd's \
/run/systemd/units/invocation:UNIT link, or processes in the unit's cgroup), without running systemctl. The verdict depends on \
what your client uses: a rootless user wants the system service disabled; a client pointed at /var/run/docker.sock needs it running.

Why it matters: `Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?` means either \
the service is down or the client talks to the wrong daemon; the seed's first question is `systemctl is-active docker`.

What you see when it's wrong: `Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?`; \
after a reboot, a daemon that was running before is gone (started but never enabled).

How to fix: `sudo systemctl enable --now docker` when you want the rootful daemon (read `journalctl -u docker.service` when it \
does not stay up); `sudo systemctl disable --now docker.service docker.socket` when you run rootless only. Without systemd: \
`sudo service docker start`.",
        packages: &[],
        run: service,
    },
    Check {
        id: "daemon.flavor",
        area: "daemon",
        scope: Scope::CheckOnly,
        needs_runtime: true,
        title: "Docker installed by snap, Docker Desktop or under WSL2 recognised, with the advice each needs",
        reference: "cannot-connect seed: common pitfalls (Snap, WSL2, Docker Desktop)",
        explain: "\
What it checks: snap's Docker (/snap/bin/docker, /snap/docker), Docker Desktop for Linux (/opt/docker-desktop, \
~/.docker/desktop, the desktop-linux context), and WSL2 (a Microsoft kernel in /proc/sys/kernel/osrelease, WSLInterop in \
binfmt_misc, Desktop's integration in /mnt/wsl/docker-desktop).

Why it matters: each moves the daemon somewhere the usual advice misses. Snap's daemon is the service snap.docker.dockerd \
with its configuration in /var/snap/docker/current/config/daemon.json, cannot run rootless, and fights a packaged Docker for \
/var/run/docker.sock when both are installed. Docker Desktop runs its daemon in a VM managed by the Desktop app, not systemd. \
WSL2 has no daemon of its own unless you install and start one (or enable Docker Desktop's WSL integration).

What you see when it's wrong: `Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?` \
while `systemctl status docker` says the unit does not exist, or containers that come and go depending on which engine answered.

How to fix: the seed's advice: remove snap's Docker (`sudo snap remove docker`) and install the distribution's or Docker CE's \
packages; start Docker Desktop (`systemctl --user start docker-desktop`); on WSL2, start Docker Desktop for Windows with WSL \
integration, or install Docker in the distribution and enable systemd in /etc/wsl.conf (`[boot]` `systemd=true`).",
        packages: &["docker"],
        run: flavor,
    },
    Check {
        id: "daemon.socket",
        area: "daemon",
        scope: Scope::CheckOnly,
        needs_runtime: true,
        title: "The rootful socket /var/run/docker.sock is srw-rw---- root:docker",
        reference: "cannot-connect seed (root:docker, srw-rw----); daemon-basics seed",
        explain: "\
What it checks: lstat of /var/run/docker.sock (and /run/docker.sock): a socket, owned by root, group docker when that group \
exists, mode 0660 — what dockerd creates. Found with -S semantics (a socket), not merely \"exists\".

Why it matters: whoever can write that socket is root on this machine. A world-writable socket (chmod 666, a common \"fix\" for \
permission denied) gives every local user root; a socket in the wrong group locks the docker group out.

What you see when it's wrong: `Got permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock` \
(group wrong), or nothing at all (world-writable: everyone gets in).

How to fix: restart the daemon so it recreates the socket (`sudo systemctl restart docker.socket docker.service`); never chmod it \
666; add the users who need it to the docker group instead (see daemon.group).",
        packages: &[],
        run: socket,
    },
    Check {
        id: "daemon.group",
        area: "daemon",
        scope: Scope::CheckOnly,
        needs_runtime: true,
        title: "Membership of the root-equivalent docker group: in the group database and in this login session",
        reference: "cannot-connect seed (usermod -aG docker, newgrp docker); daemon-basics seed (the docker group is root-equivalent)",
        explain: "\
What it checks: whether the user is in the `docker` group according to the group database (/etc/group members or the primary \
group), and, when the doctor runs in the user's own session, whether this process already has the group (a group added with \
usermod only applies to new logins).

Why it matters: membership is what lets a user open the rootful socket; it is also root on the machine (a member can \
`docker run -v /:/host` and own the host), which rootless mode exists to avoid.

What you see when it's wrong: `Got permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock` \
after `usermod -aG docker` until you log in again.

How to fix: for rootless Docker, nothing: stay out of the group and point the client at your own socket. For the rootful daemon: \
`sudo usermod -aG docker USER`, then log out and in again (or `newgrp docker` in the current shell). To leave the group: \
`sudo gpasswd -d USER docker`.",
        packages: &[],
        run: group,
    },
];

fn service(f: &Facts) -> Verdict {
    let running = f.rootful_dockerd();
    let wants_rootful = f.client_uses_rootful();
    let mut v = Verdict::pass("");
    if !running.is_empty() {
        v = v.evidence(
            "/proc",
            format!("dockerd owned by root: pid {}", pids(running)),
        );
    }
    if !f.systemd {
        let start = Remediation::text(
            "No systemd here: start the rootful daemon with the init system's script, or point the client at your rootless daemon (see client.endpoint).",
        )
        .step(Step::root(["service", "docker", "start"]));
        return match (running.is_empty(), wants_rootful) {
            (false, _) => Verdict::pass(format!(
                "a rootful dockerd runs (pid {}); systemd is not PID 1, so there is no unit state to read",
                pids(running)
            )),
            (true, true) => Verdict::warn(
                "no rootful dockerd runs, and your client uses unix:///var/run/docker.sock: \"Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\" (for the rootless daemon, see client.endpoint)",
            )
            .fix(start),
            (true, false) => Verdict::pass(
                "no rootful dockerd runs and your client does not use one (systemd is not PID 1: no unit state to read)",
            ),
        }
        .with_evidence(v.evidence);
    }
    let unit = match f.unit("docker.service", SYSTEM_UNIT_DIRS) {
        Read::Ok(u) => Some(u),
        Read::Missing => None,
        Read::Failed(e) => return unreadable("docker.service", &e),
    };
    let Some(unit) = unit else {
        if wants_rootful && running.is_empty() {
            return Verdict::warn("no docker.service is installed and no rootful dockerd runs, but your client uses unix:///var/run/docker.sock (see client.endpoint)")
                .with_evidence(v.evidence)
                .fix(use_rootless(f));
        }
        return Verdict::pass("no system docker.service is installed: nothing rootful to manage")
            .with_evidence(v.evidence);
    };
    v = v.evidence("docker.service", unit.paths().join(" + "));
    if unit.masked {
        return Verdict::pass("docker.service is masked: the rootful daemon cannot start (as a rootless-only host wants)")
            .with_evidence(v.evidence);
    }
    let enabled = f.unit_enabled("docker.service");
    let socket_enabled = f.unit_enabled("docker.socket");
    let active = f.unit_active("docker.service");
    for (what, p) in [
        ("enabled (docker.service)", &enabled),
        ("enabled (docker.socket)", &socket_enabled),
        ("active", &active),
    ] {
        if let Some(p) = p {
            v = v.evidence(what, p.clone());
        }
    }
    let up = active.is_some() || !running.is_empty();
    let at_boot = enabled.is_some() || socket_enabled.is_some();
    let start = Remediation::text(
        "Start and enable the rootful daemon; if it does not stay up, `journalctl -u docker.service` says why:",
    )
    .step(Step::root(["systemctl", "enable", "--now", "docker.service"]));
    let status = |s: &str| format!("docker.service is {s}");
    match (up, at_boot) {
        (true, true) => Verdict::pass(status("enabled and active")),
        (true, false) => Verdict::warn(format!(
            "{}: it runs now but will not start at the next boot",
            status("active but not enabled")
        ))
        .fix(Remediation::text("Enable it, or stop it if you run rootless only:").step(Step::root([
            "systemctl",
            "enable",
            "docker.service",
        ]))),
        (false, true) if wants_rootful => Verdict::fail(format!(
            "{}, and your client uses unix:///var/run/docker.sock: \"Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\"",
            status("enabled but not running (it failed or was stopped)")
        ))
        .fix(start),
        (false, true) => Verdict::warn(format!(
            "{}; your client uses the rootless daemon, so nothing breaks now",
            status("enabled but not running (it failed or was stopped)")
        ))
        .fix(
            Remediation::text("Disable it if you run rootless only; otherwise read `journalctl -u docker.service` and start it.")
                .step(Step::root(["systemctl", "disable", "docker.service", "docker.socket"])),
        ),
        (false, false) if wants_rootful => Verdict::warn(format!(
            "{}, and your client uses unix:///var/run/docker.sock: \"Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\" (for the rootless daemon, see client.endpoint)",
            status("installed but neither enabled nor running")
        ))
        .fix(start),
        (false, false) => Verdict::pass(status(
            "installed, disabled and stopped: the rootful daemon stays out of the rootless one's way",
        )),
    }
    .with_evidence(v.evidence)
}

fn flavor(f: &Facts) -> Verdict {
    let exists = |p: &str| matches!(f.lstat(p), Read::Ok(_));
    let mut found = Vec::new();
    let mut v = Verdict::pass("");
    // Snap.
    let snap = [
        "/snap/bin/docker",
        "/var/lib/snapd/snap/bin/docker",
        "/snap/docker",
    ]
    .into_iter()
    .find(|p| exists(p));
    let packaged = ["/usr/bin/dockerd", "/usr/sbin/dockerd"]
        .into_iter()
        .find(|p| exists(p));
    if let Some(p) = snap {
        v = v.evidence("snap", p);
        found.push("snap");
    }
    // Docker Desktop for Linux.
    let desktop_dir = format!("{}/.docker/desktop", f.user.home.trim_end_matches('/'));
    let desktop = ["/opt/docker-desktop", desktop_dir.as_str()]
        .into_iter()
        .find(|p| exists(p));
    let desktop_context = f
        .client_endpoint()
        .as_ref()
        .ok()
        .filter(|r| r.source.contains("desktop-linux"))
        .map(|r| r.endpoint.url());
    if let Some(p) = desktop {
        v = v.evidence("Docker Desktop", p);
        found.push("desktop");
    }
    // WSL2.
    let osrelease = f
        .read("/proc/sys/kernel/osrelease")
        .ok()
        .cloned()
        .unwrap_or_default();
    let wsl = osrelease.to_ascii_lowercase().contains("microsoft")
        || exists("/proc/sys/fs/binfmt_misc/WSLInterop");
    let wsl_integration = exists("/mnt/wsl/docker-desktop");
    if wsl {
        v = v.evidence("/proc/sys/kernel/osrelease", osrelease.trim().to_owned());
        found.push("wsl");
    }
    let ev = v.evidence;
    if let (Some(s), Some(p)) = (snap, packaged) {
        return Verdict::fail(format!(
            "two Docker engines are installed: snap's ({s}) and a packaged one ({p}); both want /var/run/docker.sock, and the client reaches whichever started last"
        ))
        .with_evidence(ev)
        .fix(Remediation::text("Keep one engine: the seed advises removing snap's Docker and keeping the packaged one.")
            .step(Step::root(["snap", "remove", "docker"])));
    }
    if let Some(s) = snap {
        let d = f.distro();
        return Verdict::warn(format!(
            "Docker is installed by snap ({s}): its service is snap.docker.dockerd (not docker.service), its daemon.json is /var/snap/docker/current/config/daemon.json, and it cannot run rootless"
        ))
        .with_evidence(ev)
        .fix(Remediation::text(format!(
            "The seed's advice: remove the snap and install {} from the distribution (or Docker CE).",
            d.package_list(&["docker"])
        ))
        .step(Step::root(["snap", "remove", "docker"]))
        .steps(d.install_step(&["docker"])));
    }
    if let Some(url) = desktop_context {
        let sock = url.trim_start_matches("unix://").to_owned();
        return match f.http_get(&sock, "/_ping") {
            Ok(_) => Verdict::pass(format!(
                "Docker Desktop's daemon answers at {url} (it runs in Desktop's VM, managed by the Desktop app, not systemd)"
            ))
            .with_evidence(ev),
            Err(e) => Verdict::fail(format!(
                "your client uses Docker Desktop's context ({url}) but Desktop is not running ({})",
                e.text
            ))
            .with_evidence(ev)
            .fix(Remediation::text("Start Docker Desktop (the app, or its user service below), or switch the client to your rootless daemon with `docker context use rootless` (client.endpoint's fix creates that context).")
                .step(Step::user(["systemctl", "--user", "start", "docker-desktop"]))),
        };
    }
    if wsl {
        let running = f.rootful_dockerd().len()
            + match f.processes() {
                Read::Ok(l) => l
                    .iter()
                    .filter(|p| p.name == "dockerd" && p.uid == f.user.uid)
                    .count(),
                _ => 0,
            };
        if wsl_integration {
            return Verdict::pass("WSL2 with Docker Desktop's WSL integration (/mnt/wsl/docker-desktop): the daemon runs in Docker Desktop for Windows").with_evidence(ev);
        }
        if running == 0 {
            let mut r = Remediation::text(
                "The daemon does not run natively in WSL2: start Docker Desktop for Windows with WSL integration for this distribution, or install Docker here and start it",
            );
            if !f.systemd {
                r = Remediation::text(format!(
                    "{} (enable systemd first: `[boot]` `systemd=true` in /etc/wsl.conf, then `wsl --shutdown` from Windows).",
                    r.text
                ));
            }
            return Verdict::warn("WSL2 without Docker Desktop's integration, and no dockerd runs in this distribution")
                .with_evidence(ev)
                .fix(r);
        }
        return Verdict::pass("WSL2, with a dockerd running in this distribution")
            .with_evidence(ev);
    }
    if desktop.is_some() {
        return Verdict::pass(
            "Docker Desktop is installed, but your client does not use its context",
        )
        .with_evidence(ev);
    }
    Verdict::pass("a plain installation: no snap, Docker Desktop or WSL2")
}

/// The gid of the `docker` group in the group database.
fn docker_gid(f: &Facts) -> Option<(u32, Vec<String>)> {
    f.groups()
        .ok()?
        .iter()
        .find(|g| g.name == "docker")
        .map(|g| (g.gid, g.members.clone()))
}

fn socket(f: &Facts) -> Verdict {
    let Some((path, meta)) = ROOTFUL_SOCKETS.iter().find_map(|p| match f.lstat(p) {
        Read::Ok(m) => Some((*p, m)),
        _ => None,
    }) else {
        return Verdict::skip(
            "no rootful socket (/var/run/docker.sock): no rootful daemon listens",
        );
    };
    let group = docker_gid(f);
    let group_name = |gid: u32| {
        f.groups()
            .ok()
            .and_then(|gs| gs.iter().find(|g| g.gid == gid).map(|g| g.name.clone()))
            .unwrap_or_else(|| gid.to_string())
    };
    let detail = format!(
        "{}, mode {:04o}, owner {}:{}",
        meta.kind.describe(),
        meta.mode,
        meta.uid,
        group_name(meta.gid)
    );
    let v = Verdict::pass("").evidence(path, detail.clone());
    let restart = Remediation::text(
        "Let dockerd recreate the socket with its own owner and mode (never chmod it 666):",
    )
    .step(Step::root([
        "systemctl",
        "restart",
        "docker.socket",
        "docker.service",
    ]));
    if meta.kind != FileKind::Socket {
        return Verdict::fail(format!(
            "{path} is a {}, not a socket: no daemon can listen there",
            meta.kind.describe()
        ))
        .with_evidence(v.evidence)
        .fix(Remediation::text(format!(
            "Remove {path} and restart the daemon."
        )));
    }
    if meta.mode & 0o002 != 0 {
        return Verdict::fail(format!(
            "{path} is world-writable ({:04o}): every local user can drive the rootful daemon, which is root on this machine",
            meta.mode
        ))
        .with_evidence(v.evidence)
        .fix(restart);
    }
    if meta.uid != 0 {
        return Verdict::fail(format!("{path} is owned by uid {}, not root", meta.uid))
            .with_evidence(v.evidence)
            .fix(restart);
    }
    match group {
        Some((gid, _)) if meta.gid != gid => Verdict::warn(format!(
            "{path} belongs to group {}, not docker: members of docker get \"permission denied while trying to connect to the Docker daemon socket\"",
            group_name(meta.gid)
        ))
        .with_evidence(v.evidence)
        .fix(restart),
        Some(_) if meta.mode & 0o060 != 0o060 => Verdict::warn(format!(
            "{path} is {:04o}: the docker group cannot read and write it (dockerd makes it 0660)",
            meta.mode
        ))
        .with_evidence(v.evidence)
        .fix(restart),
        Some(_) => Verdict::pass(format!("{path} is srw-rw---- root:docker, as dockerd makes it")).with_evidence(v.evidence),
        None => Verdict::pass(format!("{path} is {detail}; no docker group exists, so only root may use it")).with_evidence(v.evidence),
    }
}

fn group(f: &Facts) -> Verdict {
    let Some((gid, members)) = docker_gid(f) else {
        return match f.groups() {
            Read::Failed(e) => unreadable("/etc/group", e),
            _ => Verdict::pass(
                "there is no docker group: no user has root-equivalent access to a rootful daemon",
            ),
        };
    };
    let user = &f.user;
    let in_db = members.contains(&user.name) || user.gid == gid;
    let session = f
        .is_own_session()
        .then(|| f.identity.gid == gid || f.identity.groups.contains(&gid));
    let v = Verdict::pass("")
        .evidence("/etc/group", format!("docker:{gid}: {}", members.join(",")))
        .evidence(
            "this session",
            match session {
                Some(true) => "has the docker group",
                Some(false) => "does not have the docker group",
                None => "not the user's own session (run through sudo or --user)",
            },
        );
    let rootful_socket = ROOTFUL_SOCKETS
        .iter()
        .any(|p| matches!(f.lstat(p), Read::Ok(_)));
    let uses_rootful = f.client_uses_rootful();
    let leave = Remediation::text("Rootless Docker needs no group: leave it, and point the client at your rootless socket (see client.endpoint).")
        .step(Step::root(["gpasswd", "-d", user.name.as_str(), "docker"]));
    match (in_db, session) {
        (true, Some(false)) => Verdict::warn(format!(
            "{} is in the docker group in /etc/group, but this login session does not have it yet (added after login): the rootful socket answers \"permission denied\" until you log in again or run `newgrp docker`; the group is root-equivalent",
            user.name
        ))
        .with_evidence(v.evidence)
        .fix(Remediation::text("Log out and back in, or start a shell with the group now:").step(Step::user(["newgrp", "docker"]))),
        (true, _) => Verdict::warn(format!(
            "{} is in the docker group, which is root-equivalent: whoever can use the rootful socket can `docker run -v /:/host` and own this machine{}",
            user.name,
            if uses_rootful { "" } else { "; your client uses the rootless daemon, which needs no group" }
        ))
        .with_evidence(v.evidence)
        .fix(leave),
        (false, _) if uses_rootful && rootful_socket => Verdict::fail(format!(
            "{} is not in the docker group, and the client uses unix:///var/run/docker.sock: \"Got permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock\"",
            user.name
        ))
        .with_evidence(v.evidence)
        .fix(
            Remediation::text("Either use your rootless daemon (see client.endpoint), or join the root-equivalent docker group and log in again:")
                .step(Step::root(["usermod", "-aG", "docker", user.name.as_str()])),
        ),
        (false, _) => Verdict::pass(format!(
            "{} is not in the root-equivalent docker group{}",
            user.name,
            if uses_rootful { "" } else { ", and the client does not need it" }
        ))
        .with_evidence(v.evidence),
    }
}
