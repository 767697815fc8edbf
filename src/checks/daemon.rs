//! The Docker daemons of this host: the system's (rootful) Docker beside the rootless one (its service, how it was
//! installed, its socket and group), how each dockerd is started and configured (flags against daemon.json, TCP
//! exposure, proxies, logs), and the user's running rootless daemon (at $XDG_RUNTIME_DIR/docker.sock).

use serde_json::Value;

use super::{
    Check, Judges, Scope, install_user_service, join_docker_group, pids, start_daemon, unreadable,
    use_rootless,
};
use crate::facts::client::ROOTFUL_SOCKETS;
use crate::facts::dockerd::{ConfigError, ROOTFUL_CONFIG, Setup, lookup};
use crate::facts::listeners::same_address;
use crate::facts::{Facts, FileKind, HttpResult, Read};
use crate::model::{Evidence, Remediation, Status, Step, Verdict};
use crate::parse::dockerd;
use crate::parse::proc::env_value;

const CANNOT_CONNECT: &str = "https://docs.docker.com/engine/daemon/troubleshoot/; https://docs.docker.com/engine/install/linux-postinstall/";

const HOSTS_DROPIN: &str = include_str!("../../profiles/systemd/docker.service.d-hosts.conf");
const HOSTS_DROPIN_PATH: &str = "/etc/systemd/system/docker.service.d/docker.conf";

pub(super) const CHECKS: &[Check] = &[
    Check {
        id: "daemon.service",
        area: "daemon",
        scope: Scope::CheckOnly,
        needs_runtime: true,
        per_user: true,
        judges: Judges::AnyDaemon,
        title: "The system's docker.service and docker.socket: enabled, active, and what your client needs of them",
        reference: CANNOT_CONNECT,
        explain: "\
What it checks: rootful dockerd processes in /proc; with systemd as PID 1, docker.service and docker.socket: installed \
(/etc, /run, /usr/lib, /lib systemd/system), masked, enabled (a link in a *.wants directory) and active (systemd's \
/run/systemd/units/invocation:UNIT link, or processes in the unit's cgroup), without running systemctl. The verdict depends on \
what your client uses: a rootless user wants the system service disabled; a client pointed at /var/run/docker.sock needs it running.

Why it matters: `Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?` means either \
the service is down or the client talks to the wrong daemon; Docker's troubleshooting guide asks first `systemctl is-active docker`.

What you see when it's wrong: `Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?`; \
after a reboot, a daemon that was running before is gone (started but never enabled).

How to fix: `sudo systemctl enable --now docker` when you want the rootful daemon (read `journalctl -u docker.service` when it \
does not stay up); `sudo systemctl disable --now docker.service docker.socket` when you run rootless only. Without systemd: \
`sudo service docker start`.",
        packages: &[],
        removes: &[],
        run: service,
    },
    Check {
        id: "daemon.flavor",
        area: "daemon",
        scope: Scope::CheckOnly,
        needs_runtime: true,
        per_user: true,
        judges: Judges::AnyDaemon,
        title: "Docker installed by snap, Docker Desktop or under WSL2 recognised, with the advice each needs",
        reference: "https://docs.docker.com/engine/daemon/troubleshoot/; https://docs.docker.com/desktop/",
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

How to fix: Docker's advice: remove snap's Docker (`sudo snap remove docker`) and install the distribution's or Docker CE's \
packages; start Docker Desktop (`systemctl --user start docker-desktop`); on WSL2, start Docker Desktop for Windows with WSL \
integration, or install Docker in the distribution and enable systemd in /etc/wsl.conf (`[boot]` `systemd=true`).",
        packages: &["docker"],
        removes: &[],
        run: flavor,
    },
    Check {
        id: "daemon.socket",
        area: "daemon",
        scope: Scope::CheckOnly,
        needs_runtime: true,
        per_user: false,
        judges: Judges::AnyDaemon,
        title: "The rootful socket /var/run/docker.sock is srw-rw---- root:docker",
        reference: "https://docs.docker.com/engine/install/linux-postinstall/; https://docs.docker.com/engine/daemon/",
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
        removes: &[],
        run: socket,
    },
    Check {
        id: "daemon.group",
        area: "daemon",
        scope: Scope::CheckOnly,
        needs_runtime: true,
        per_user: true,
        judges: Judges::AnyDaemon,
        title: "Membership of the root-equivalent docker group: in the group database and in this login session",
        reference: "https://docs.docker.com/engine/install/linux-postinstall/; newgrp(1)",
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
        removes: &[],
        run: group,
    },
    Check {
        id: "daemon.config",
        area: "daemon",
        scope: Scope::CheckOnly,
        needs_runtime: true,
        per_user: true,
        judges: Judges::AnyDaemon,
        title: "daemon.json parses, and no directive is given both there and as a dockerd flag",
        reference: "https://docs.docker.com/engine/daemon/troubleshoot/; https://docs.docker.com/engine/daemon/",
        explain: "\
What it checks: every daemon.json in use (/etc/docker/daemon.json for the system daemon, ~/.config/docker/daemon.json for the \
rootless one, or the file named by --config-file), parsed as JSON with the line and column of any error; then, for every way \
a dockerd is started here (the system docker.service after all its drop-ins, with $DOCKER_OPTS from its EnvironmentFile= such \
as /etc/default/docker; the user's docker.service running dockerd-rootless.sh; the init script's DOCKER_OPTS; and every running \
dockerd's own command line), the flags that daemon.json also sets — exactly as dockerd compares them, including `-H` against \
`hosts`.

Why it matters: dockerd refuses to start on either problem, and under systemd the error is only in the journal.

What you see when it's wrong: `unable to configure the Docker daemon with file /etc/docker/daemon.json: the following directives \
are specified both as a flag and in the configuration file: hosts: (from flag: [fd://], from file: [tcp://127.0.0.1:2376])`; \
or `unable to configure the Docker daemon with file /etc/docker/daemon.json: invalid character '}' looking for beginning of \
object key string`.

How to fix: keep each directive in one place. For `hosts` on a systemd host, the drop-in from Docker's troubleshooting guide: \
/etc/systemd/system/docker.service.d/docker.conf with `[Service]`, `ExecStart=` (clearing the packaged command line) and \
`ExecStart=/usr/bin/dockerd` (the unit's own command without -H), then `sudo systemctl daemon-reload` and restart. Removing -H \
without a `hosts` entry in daemon.json makes dockerd fail to start: change both together. For any other directive, \
`fix` shows the structured edit that removes it from daemon.json (the flag's value then applies) and leaves the choice to \
you: removing the flag instead is the other way.",
        packages: &[],
        removes: &[],
        run: config,
    },
    Check {
        id: "daemon.tcp",
        area: "daemon",
        scope: Scope::CheckOnly,
        needs_runtime: true,
        per_user: true,
        judges: Judges::AnyDaemon,
        title: "No daemon listens on TCP without TLS verification",
        reference: "https://docs.docker.com/engine/daemon/remote-access/; https://docs.docker.com/engine/security/protect-access/",
        explain: "\
What it checks: every tcp:// host a dockerd is given (-H flags in units, DOCKER_OPTS and running command lines, `hosts` in \
daemon.json) and every TCP socket a dockerd really listens on (its socket inodes from /proc/PID/fd matched in /proc/PID/net/tcp \
and tcp6; for a root-owned dockerd the doctor cannot inspect, the listening ports its command line names), each with whether \
`--tlsverify`/`\"tlsverify\": true` is in effect.

Why it matters: the Docker API is root on the machine (or the user's account, for a rootless daemon). Without TLS client \
verification anyone who can reach the port owns the host; on loopback, any local user or any web page doing DNS rebinding can.

What you see when it's wrong: nothing until someone uses it: cryptominers on exposed port 2375 are a classic.

How to fix: drop the tcp:// host and use the Unix socket (or `DOCKER_HOST=ssh://…` from other machines); if TCP is needed, \
use `--tlsverify` with `--tlscacert`, `--tlscert` and `--tlskey` (port 2376 by convention).",
        packages: &[],
        removes: &[],
        run: tcp,
    },
    Check {
        id: "daemon.proxy",
        area: "daemon",
        scope: Scope::CheckOnly,
        needs_runtime: true,
        per_user: true,
        judges: Judges::AnyDaemon,
        title: "The daemon has the same HTTP(S)_PROXY / NO_PROXY as your shell",
        reference: "https://docs.docker.com/engine/daemon/; https://docs.docker.com/engine/daemon/proxy/",
        explain: "\
What it checks: HTTP_PROXY, HTTPS_PROXY and NO_PROXY (either case) in your shell against what each daemon gets: the running \
dockerd's environment (/proc/PID/environ), `Environment=` in its systemd unit and drop-ins \
(/etc/systemd/system/docker.service.d/http-proxy.conf; ~/.config/systemd/user/docker.service.d/override.conf for rootless), \
and `proxies` in daemon.json.

Why it matters: the daemon, not the client, pulls images. A shell behind a proxy with a daemon that has none times out on \
every pull; a daemon left with an old proxy fails the other way.

What you see when it's wrong: `Error response from daemon: Get \"https://registry-1.docker.io/v2/\": dial tcp …: i/o timeout` \
(no proxy), or `proxyconnect tcp: dial tcp …: connection refused` (a stale one).

How to fix: give the daemon the proxy: a drop-in with `[Service]` and `Environment=\"HTTPS_PROXY=http://proxy.example.com:3128\"` \
(then `systemctl daemon-reload` and restart), or `\"proxies\": {\"https-proxy\": …}` in daemon.json (Docker 23 and later).",
        packages: &[],
        removes: &[],
        run: proxy,
    },
    Check {
        id: "daemon.logs",
        area: "daemon",
        scope: Scope::CheckOnly,
        needs_runtime: true,
        per_user: true,
        judges: Judges::AnyDaemon,
        title: "Each running daemon's log goes somewhere you can read (and whether debug is on)",
        reference: "https://docs.docker.com/engine/daemon/troubleshoot/",
        explain: "\
What it checks: for each running dockerd, where its standard error goes (/proc/PID/fd/2: a file, the journal's socket under \
systemd, a terminal, /dev/null), whether debug logging is on (`-D`, `\"debug\": true`, or the daemon's own /info), and how to get \
a stack dump.

Why it matters: every daemon problem is explained in its log; a daemon started with its output thrown away cannot be debugged.

What you see when it's wrong: a failing daemon and no message anywhere.

How to fix: read the log: `journalctl -u docker.service` (system daemon), `journalctl --user -u docker.service` (rootless, \
under systemd), or the file a manual start redirected to. For more detail set `\"debug\": true` in daemon.json and send SIGHUP \
(`sudo kill -SIGHUP $(pidof dockerd)`) to reload it without a restart. For a hung daemon, `kill -SIGUSR1 PID` makes dockerd \
write every goroutine's stack to a goroutine-stacks-*.log file in its exec-root (/var/run/docker, or $XDG_RUNTIME_DIR/docker \
for rootless) and name it in the log. Start manual daemons with their output in a file, not /dev/null.",
        packages: &[],
        removes: &[],
        run: logs,
    },
    Check {
        id: "daemon.user_unit",
        area: "daemon",
        scope: Scope::CheckOnly,
        needs_runtime: true,
        per_user: true,
        judges: Judges::Rootless,
        title: "The docker user service exists, is enabled, and the units it requires exist",
        reference: "https://docs.docker.com/engine/security/rootless/; systemd.unit(5); systemctl(1)",
        explain: "\
What it checks: under systemd, the rootless daemon is the user unit docker.service that `dockerd-rootless-setuptool.sh install` \
writes to ~/.config/systemd/user (and enables). The unit is looked up where the user's systemd looks (systemd.unit(5): \
~/.config/systemd/user, /etc/systemd/user, /usr/lib/systemd/user, …); it must not be masked; it should be enabled (a link \
in a *.wants directory), or it will not start at login; and every unit its Requires= names must exist, because systemd \
refuses to start a unit whose requirement is missing. The unit Docker 27.1 and later writes requires dbus.socket, the user \
bus, which Debian and Ubuntu ship in dbus-user-session. Without systemd as PID 1 it is skipped: the daemon is started by hand.

Why it matters: a host can have every binary and setting right and still not start the daemon because the unit was never \
installed (the packages install scripts, not the unit), was masked, or depends on a unit that is not there.

What you see when it's wrong: `Failed to start docker.service: Unit docker.service not found.`, `Failed to start \
docker.service: Unit docker.service is masked.`, `Failed to start docker.service: Unit dbus.socket not found.`; a unit that \
is not enabled simply is not running after the next login.

How to fix: `dockerd-rootless-setuptool.sh install` (it writes and enables the unit), `systemctl --user unmask docker`, \
`systemctl --user enable docker`, or install the package that ships the missing unit (dbus-user-session for dbus.socket).",
        packages: &["dbus_user_session"],
        removes: &[],
        run: user_unit,
    },
    Check {
        id: "daemon.running",
        area: "daemon",
        scope: Scope::CheckOnly,
        needs_runtime: true,
        per_user: true,
        judges: Judges::Rootless,
        title: "Your rootless daemon answers at $XDG_RUNTIME_DIR/docker.sock",
        reference: "https://docs.docker.com/engine/security/rootless/troubleshoot/; https://docs.docker.com/engine/daemon/troubleshoot/",
        explain: "\
What it checks: `GET /_ping` on the rootless daemon's own socket, $XDG_RUNTIME_DIR/docker.sock (/run/user/UID/docker.sock \
when run through sudo), whatever the client is configured to use.

Why it matters: every other daemon check reads this daemon's API.

What you see when it's wrong: `Cannot connect to the Docker daemon at unix:///run/user/1000/docker.sock. Is the docker daemon running?`

How to fix: start it: `systemctl --user start docker` (and `systemctl --user enable docker` plus `sudo loginctl enable-linger USER` \
to have it at boot), or `dockerd-rootless.sh` by hand on hosts without systemd.",
        packages: &[],
        removes: &[],
        run: running,
    },
    Check {
        id: "daemon.rootless",
        area: "daemon",
        scope: Scope::CheckOnly,
        needs_runtime: true,
        per_user: true,
        judges: Judges::Rootless,
        title: "The daemon on your socket really runs rootless (name=rootless), with its known limitations",
        reference: "https://docs.docker.com/engine/security/rootless/",
        explain: "\
What it checks: `GET /info` on your rootless socket: SecurityOptions must contain `name=rootless`. When it does, the finding \
lists the rootless limitations that apply to this setup: the IPAddress `docker inspect` shows is inside RootlessKit's network \
namespace (publish ports with -p instead), `--net=host` is RootlessKit's namespace too, ports below \
net.ipv4.ip_unprivileged_port_start cannot be published, and ping needs net.ipv4.ping_group_range.

Why it matters: a daemon started as root with a socket in your runtime directory is not rootless: its containers' root is \
the host's root.

What you see when it's wrong: `docker info` lacks `rootless` under Security Options.

How to fix: stop that daemon and start the rootless one as your user (dockerd-rootless.sh, or the user service the setup tool installs).",
        packages: &[],
        removes: &[],
        run: rootless,
    },
    Check {
        id: "daemon.info",
        area: "daemon",
        scope: Scope::CheckOnly,
        needs_runtime: true,
        per_user: true,
        judges: Judges::AnyDaemon,
        title: "Server version, storage driver and cgroup driver of the running daemon",
        reference: "https://docs.docker.com/engine/security/rootless/; https://docs.docker.com/engine/security/rootless/troubleshoot/",
        explain: "\
What it checks: `GET /info` and `GET /version` on your rootless socket: the server version, the RootlessKit component, the \
storage driver (vfs means no overlay support: slow, and every layer copied in full), and the cgroup driver and version \
(`none` means resource limits are not applied).

Why it matters: this is what the daemon actually chose, as opposed to what preflight predicted.

What you see when it's wrong: `Storage Driver: vfs` in `docker info`; `docker run --memory` accepted and not enforced.

How to fix: for vfs, install fuse-overlayfs or run a 5.11+ kernel (see storage.driver); for cgroups, boot cgroup v2 with systemd \
delegation (see cgroup.v2 and cgroup.delegation).",
        packages: &["fuse_overlayfs"],
        removes: &[],
        run: info,
    },
    Check {
        id: "daemon.warnings",
        area: "daemon",
        scope: Scope::CheckOnly,
        needs_runtime: true,
        per_user: true,
        judges: Judges::AnyDaemon,
        title: "The daemon reports no warnings of its own",
        reference: "https://docs.docker.com/engine/security/rootless/troubleshoot/; https://rootlesscontaine.rs/getting-started/common/cgroup2/",
        explain: "\
What it checks: the Warnings list of `GET /info`, the lines `docker info` prints at its end.

Why it matters: dockerd knows things about itself the host can't show, such as running without cgroups.

What you see when it's wrong: `WARNING: Running in rootless-mode without cgroups. To enable cgroups in rootless-mode, you need to \
boot the system in cgroup v2 mode.` (or `Systemd is required to enable cgroups in rootless-mode.`), and similar lines.

How to fix: as each warning says; for the cgroup ones, boot the unified hierarchy and run the daemon as a systemd user service.",
        packages: &[],
        removes: &[],
        run: warnings,
    },
    Check {
        id: "daemon.pidfile",
        area: "daemon",
        scope: Scope::CheckOnly,
        needs_runtime: true,
        per_user: true,
        judges: Judges::Rootless,
        title: "$XDG_RUNTIME_DIR/docker.pid names a live dockerd of yours, or is absent",
        reference: "https://docs.docker.com/engine/daemon/troubleshoot/; dockerd(8)",
        explain: "\
What it checks: $XDG_RUNTIME_DIR/docker.pid, which dockerd writes at start and removes at a clean stop: the pid it holds must be \
a running dockerd owned by you. A pid that no longer runs is a harmless leftover (dockerd overwrites it); a pid that another \
process has taken since blocks the next start.

Why it matters: a daemon that was killed leaves the file behind; once its pid is reused (by anything), dockerd refuses to start.

What you see when it's wrong: `failed to start daemon: pid file found, ensure docker is not running or delete /run/user/1000/docker.pid`.

How to fix: when no dockerd of yours runs, delete the file (`rm $XDG_RUNTIME_DIR/docker.pid`) and start the daemon.",
        packages: &[],
        removes: &[],
        run: pidfile,
    },
    Check {
        id: "daemon.rootful",
        area: "daemon",
        scope: Scope::CheckOnly,
        needs_runtime: true,
        per_user: true,
        judges: Judges::AnyDaemon,
        title: "No rootful daemon competes with the rootless one for your client",
        reference: "https://docs.docker.com/engine/daemon/troubleshoot/; https://docs.docker.com/engine/security/rootless/",
        explain: "\
What it checks: whether a rootful dockerd runs (a dockerd process owned by root in /proc, or /var/run/docker.sock answering), \
and which daemon your client reaches.

Why it matters: with both running, a shell without DOCKER_HOST talks to the rootful daemon: containers run as real root, images \
and volumes are not where you expect, and `docker ps` shows someone else's containers.

What you see when it's wrong: the setup tool stops with `Aborting because rootful Docker (/var/run/docker.sock) is running and \
accessible. Set --force to ignore.`; later, containers that \"disappear\" depending on the terminal.

How to fix: if you don't need it, `sudo systemctl disable --now docker.service docker.socket`; otherwise make sure every shell sets \
DOCKER_HOST (or uses the rootless context).",
        packages: &[],
        removes: &[],
        run: rootful,
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
        .step(Step::root(["service", "docker", "start"]))
        .by_hand("two ways: start the rootful daemon only if you want it");
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
    let unit = match f.docker_service() {
        Read::Ok(u) => Some(u),
        Read::Missing => None,
        Read::Failed(e) => return unreadable("docker.service", e),
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
    .step(Step::root(["systemctl", "enable", "--now", "docker.service"]))
    .by_hand("starting the system daemon is the administrator's choice");
    let status = |s: &str| format!("docker.service is {s}");
    match (up, at_boot) {
        (true, true) => Verdict::pass(status("enabled and active")),
        (true, false) => Verdict::warn(format!(
            "{}: it runs now but will not start at the next boot",
            status("active but not enabled")
        ))
        .fix(
            Remediation::text("Enable it, or stop it if you run rootless only:")
                .step(Step::root(["systemctl", "enable", "docker.service"]))
                .by_hand("two ways: enable the rootful daemon, or stop it"),
        ),
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
                .step(Step::root(["systemctl", "disable", "docker.service", "docker.socket"]))
                .by_hand("disabling the system daemon is your choice"),
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
        .fix(Remediation::text("Keep one engine: remove snap's Docker and keep the packaged one.")
            .step(Step::root(["snap", "remove", "docker"]))
            .by_hand("removing an engine is your choice"));
    }
    if let Some(s) = snap {
        let d = f.distro();
        return Verdict::warn(format!(
            "Docker is installed by snap ({s}): its service is snap.docker.dockerd (not docker.service), its daemon.json is /var/snap/docker/current/config/daemon.json, and it cannot run rootless"
        ))
        .with_evidence(ev)
        .fix(Remediation::text(format!(
            "Remove the snap and install {} from the distribution (or Docker CE).",
            d.package_list(&["docker"])
        ))
        .step(Step::root(["snap", "remove", "docker"]))
        .steps(d.install_step(&["docker"]))
        .by_hand("removing an engine is your choice"));
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
                .step(Step::user(["systemctl", "--user", "start", "docker-desktop"]))
                .by_hand("two ways: start Docker Desktop, or switch to the rootless daemon")),
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

/// Where the rootful dockerds listen ([`Facts::dockerd_listeners`]).
fn rootful_addresses<'f>(f: &'f Facts) -> Vec<&'f str> {
    f.dockerd_listeners()
        .iter()
        .filter(|l| !l.rootless && l.url != "fd://")
        .map(|l| l.url.as_str())
        .collect()
}

/// The address among a rootful dockerd's that is the rootful socket (`unix:///var/run/docker.sock`, or /run's).
fn on_rootful_socket<'a>(addresses: &[&'a str]) -> Option<&'a str> {
    addresses.iter().copied().find(|a| {
        a.strip_prefix("unix://")
            .is_some_and(|p| ROOTFUL_SOCKETS.contains(&p))
    })
}

fn socket(f: &Facts) -> Verdict {
    let Some((path, meta)) = ROOTFUL_SOCKETS.iter().find_map(|p| match f.lstat(p) {
        Read::Ok(m) => Some((*p, m)),
        _ => None,
    }) else {
        let elsewhere = rootful_addresses(f);
        if let Some(told) = on_rootful_socket(&elsewhere) {
            return Verdict::skip(format!(
                "no rootful socket (/var/run/docker.sock), though the rootful dockerd was told to listen on {told}: removed while it runs (daemon.rootful)"
            ));
        }
        if !elsewhere.is_empty() {
            return Verdict::skip(format!(
                "no rootful socket (/var/run/docker.sock): the rootful dockerd listens on {} only",
                elsewhere.join(", ")
            ));
        }
        return Verdict::skip(
            "no rootful socket (/var/run/docker.sock): no rootful daemon listens",
        );
    };
    let group = f.docker_group();
    let group_name = |gid: u32| {
        f.groups()
            .ok()
            .and_then(|gs| gs.iter().find(|g| g.gid == gid).map(|g| g.name.to_owned()))
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
    let Some((gid, members)) = f.docker_group() else {
        return match f.groups() {
            Read::Failed(e) => unreadable("/etc/group", e),
            _ => Verdict::pass(
                "there is no docker group: no user has root-equivalent access to a rootful daemon",
            ),
        };
    };
    let user = &f.user;
    let in_db = f.in_docker_group();
    let session = f.session_has_docker_group();
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
        .step(Step::root(["gpasswd", "-d", user.name.as_str(), "docker"]))
        .by_hand("leaving the group is your choice, and counts from your next login");
    let rootful = f.targets_rootful();
    match (in_db, session) {
        (true, Some(false)) => Verdict::new(if rootful { Status::Fail } else { Status::Warn }, format!(
            "{} is in the docker group in /etc/group, but this login session does not have it yet (added after login): the rootful socket answers \"permission denied\" until you log in again or run `newgrp docker`; the group is root-equivalent",
            user.name
        ))
        .with_evidence(v.evidence)
        .fix(Remediation::text("Log out and back in, or start a shell with the group now:").step(Step::user(["newgrp", "docker"])).by_hand("needs a new login, or starts a shell")),
        (true, _) if rootful => Verdict::pass(format!(
            "{} is in the docker group, which the rootful daemon's socket needs (the group is root-equivalent: whoever can use the socket can `docker run -v /:/host`)",
            user.name
        ))
        .with_evidence(v.evidence),
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
        .fix(if rootful { join_docker_group(f) } else {
            Remediation::text("Either use your rootless daemon (see client.endpoint), or join the root-equivalent docker group and log in again:")
                .step(Step::root(["usermod", "-aG", "docker", user.name.as_str()]))
                .by_hand("two ways, and the group counts from your next login")
        }),
        (false, _) => Verdict::pass(format!(
            "{} is not in the root-equivalent docker group{}",
            user.name,
            if uses_rootful { "" } else { ", and the client does not need it" }
        ))
        .with_evidence(v.evidence),
    }
}

/// The verdict for a daemon.json dockerd rejects (or that could not be read).
fn config_verdict(e: ConfigError) -> Verdict {
    match e {
        ConfigError::Unreadable { path, error } => unreadable(&path, &error),
        ConfigError::NotObject { path } => Verdict::fail(format!("{path}: the top level is not a JSON object: dockerd refuses to start (\"unable to configure the Docker daemon with file {path}\")"))
            .evidence(path, "not an object"),
        ConfigError::Syntax { path, line, column, message } => Verdict::fail(format!(
            "{path}:{line}:{column}: {message}: dockerd refuses to start (\"unable to configure the Docker daemon with file {path}: …\")"
        ))
        .evidence(format!("{path}:{line}"), message)
        .fix(Remediation::text(format!("Correct the JSON in {path} at the line and column named (`python3 -m json.tool {path}` shows the same place)."))),
    }
}

fn config(f: &Facts) -> Verdict {
    let setups = f.dockerd_setups();
    let mut files: Vec<String> = vec![ROOTFUL_CONFIG.to_owned(), f.daemon_json_path()];
    for s in setups {
        if !files.contains(&s.config) {
            files.push(s.config.clone());
        }
    }
    let mut evidence = Vec::new();
    let mut configs = std::collections::BTreeMap::new();
    for path in &files {
        match f.daemon_config(path) {
            Ok(Some(m)) => {
                evidence.push(Evidence {
                    source: path.clone(),
                    detail: format!("keys: {}", m.keys().cloned().collect::<Vec<_>>().join(", ")),
                });
                configs.insert(path.clone(), m);
            }
            Ok(None) => {}
            Err(e) => return config_verdict(e).with_evidence(evidence),
        }
    }
    let mut failures = Vec::new();
    let mut warnings = Vec::new();
    let mut fix = Remediation::text(
        "Keep each directive in one place: remove it from daemon.json or from the command line.",
    );
    // Removing the directives from daemon.json is one of the two ways (the flag's value then wins): shown as a typed
    // edit, left to the person.
    let mut edits: Vec<Step> = Vec::new();
    let mut dropin = false;
    for s in setups {
        evidence.push(Evidence {
            source: format!("{} ({})", s.label, s.source),
            detail: if s.flags.is_empty() {
                "no flags".to_owned()
            } else {
                s.flags
                    .iter()
                    .map(|fl| format!("--{}={}", fl.name, fl.values.join(",")))
                    .collect::<Vec<_>>()
                    .join(" ")
            },
        });
        if let Some(problem) = &s.problem {
            warnings.push(format!(
                "{}: the flags of {} were read without their variables",
                problem.text(),
                s.label
            ));
            fix.text.push(' ');
            fix.text.push_str(&problem.fix(&s.source));
        }
        let Some(cfg) = configs.get(&s.config) else {
            continue;
        };
        let conflicts = dockerd::conflicts(&s.flags, cfg);
        if conflicts.is_empty() {
            continue;
        }
        let message = dockerd::conflict_error(&s.config, &conflicts);
        if s.pid.is_some() {
            warnings.push(format!("{} runs with flags that {} now also sets: its next restart fails with \"{message}\"", s.label, s.config));
        } else {
            failures.push(format!(
                "{} ({}) cannot start: \"{message}\"",
                s.label, s.source
            ));
        }
        let hosts_dropin = s.system_unit
            && conflicts.iter().any(|c| c.key == "hosts")
            && cfg.contains_key("hosts");
        if !hosts_dropin {
            let keys: Vec<&str> = conflicts.iter().map(|c| c.key.as_str()).collect();
            if let Some(edit) =
                super::daemon_json_edit(f, &s.config, !s.rootless, serde_json::Map::new(), &keys)
                && !edits.contains(&edit)
            {
                edits.push(edit);
            }
        }
        if hosts_dropin {
            dropin = true;
            // `$DOCKER_OPTS` stays a word for systemd to split; everything else is quoted.
            let exec = s
                .argv
                .iter()
                .map(|w| {
                    if crate::facts::dockerd::is_variable_word(w) {
                        w.clone()
                    } else {
                        crate::model::shell_quote(w)
                    }
                })
                .collect::<Vec<_>>()
                .join(" ");
            let content = HOSTS_DROPIN.replace("@EXEC_START@", &exec);
            let others: Vec<&str> = conflicts
                .iter()
                .map(|c| c.key.as_str())
                .filter(|k| *k != "hosts")
                .collect();
            let also = if others.is_empty() {
                String::new()
            } else {
                format!(
                    " Also keep {} in one place: remove it from {} or from the flags ($DOCKER_OPTS).",
                    others.join(", "),
                    s.config
                )
            };
            fix = Remediation::text(format!(
                "Docker's fix: a drop-in that clears the unit's ExecStart= and starts dockerd without -H, so `hosts` in {} decides where it listens (removing -H without `hosts` there makes dockerd fail to start); then reload systemd and restart.{also}",
                s.config
            ))
            .steps([
                Step::make_dir(true, "/etc/systemd/system/docker.service.d"),
                Step::write_file(true, HOSTS_DROPIN_PATH, content),
                Step::root(["systemctl", "daemon-reload"]),
                Step::root(["systemctl", "restart", "docker.service"]),
            ]);
        }
    }
    if !dropin && !edits.is_empty() {
        fix.text
            .push_str(" To drop them from daemon.json (the flags' values then apply):");
        fix = fix
            .steps(edits)
            .by_hand("two ways: from daemon.json (shown) or from the command line");
    }
    if !failures.is_empty() {
        return Verdict::fail(failures.join("; "))
            .with_evidence(evidence)
            .fix(fix);
    }
    if !warnings.is_empty() {
        return Verdict::warn(warnings.join("; "))
            .with_evidence(evidence)
            .fix(fix);
    }
    // The daemon basics page: flags in /etc/default/docker do nothing for a unit that does not read them.
    if let Some((file, var, value, unit)) = f.ignored_docker_opts() {
        return Verdict::warn(format!(
            "{file} sets {var}=\"{value}\", which docker.service never reads (its ExecStart= in effect, in {unit}, has no \
${var}, or no EnvironmentFile= names {file}): those flags do not reach dockerd"
        ))
        .with_evidence(evidence)
        .evidence(file.clone(), format!("{var}={value}"))
        .fix(Remediation::text(format!(
            "Put what {var} says where dockerd reads it: the matching keys in {ROOTFUL_CONFIG} (`{var}=\"--debug\"` becomes \
`\"debug\": true`), or a drop-in, /etc/systemd/system/docker.service.d/override.conf, with `[Service]`, an empty \
`ExecStart=` and the unit's ExecStart= followed by the flags; then `sudo systemctl daemon-reload && sudo systemctl restart \
docker`, and remove {var} from {file} so it misleads no one."
        )));
    }
    if configs.is_empty() && setups.is_empty() {
        return Verdict::pass("no daemon.json and no dockerd command line to reconcile");
    }
    let lines = setups
        .iter()
        .map(|s| s.label.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    Verdict::pass(if configs.is_empty() {
        format!("no daemon.json here, so the dockerd command lines ({lines}) conflict with nothing")
    } else if setups.is_empty() {
        format!(
            "{} parse(s), and no dockerd command line is here to conflict with it",
            configs.keys().cloned().collect::<Vec<_>>().join(", ")
        )
    } else {
        format!(
            "{} parse(s), and no directive there is also a flag of {lines}",
            configs.keys().cloned().collect::<Vec<_>>().join(", ")
        )
    })
    .with_evidence(evidence)
}

/// The tcp:// hosts a setup is given, from its flags and its daemon.json.
fn tcp_hosts(s: &Setup) -> Vec<String> {
    let mut hosts: Vec<String> = s
        .flags
        .iter()
        .filter(|fl| fl.name == "host")
        .flat_map(|fl| fl.values.clone())
        .collect();
    if let Some(list) = s
        .settings
        .as_ref()
        .and_then(|c| c.get("hosts"))
        .and_then(Value::as_array)
    {
        hosts.extend(list.iter().filter_map(Value::as_str).map(str::to_owned));
    }
    hosts
        .into_iter()
        .filter(|h| h.starts_with("tcp://"))
        .collect()
}

/// How exposed an address is: 2 = every interface or a routable address, 1 = loopback.
fn exposure(host: &str) -> u8 {
    let h = host.trim_start_matches("tcp://");
    let addr = match h.rsplit_once(':') {
        Some((a, _)) => a,
        None => h,
    };
    let addr = addr.trim_start_matches('[').trim_end_matches(']');
    match addr {
        "" | "0.0.0.0" | "::" => 2,
        "localhost" => 1,
        a => match a.parse::<std::net::IpAddr>() {
            Ok(ip) if ip.is_loopback() => 1,
            _ => 2,
        },
    }
}

fn tcp(f: &Facts) -> Verdict {
    let setups = f.dockerd_setups();
    let mut evidence = Vec::new();
    let mut worst = 0u8;
    let mut problems = Vec::new();
    for s in setups {
        let verified = s.enabled("tlsverify");
        let mut hosts = tcp_hosts(s);
        // What the process really listens on.
        if let Some(pid) = s.pid {
            for l in f
                .dockerd_listeners()
                .iter()
                .filter(|l| l.pid == pid && l.is_tcp())
            {
                let Some(inode) = l.inode else { continue };
                evidence.push(Evidence {
                    source: format!("/proc/{pid}/net/tcp"),
                    detail: format!("{} listens on {} (inode {inode})", s.label, l.url),
                });
                if !hosts
                    .iter()
                    .any(|h| same_address(h, &l.url) && exposure(h) == exposure(&l.url))
                {
                    hosts.push(l.url.clone());
                }
            }
        }
        for h in hosts {
            let level = exposure(&h);
            evidence.push(Evidence {
                source: format!("{} ({})", s.label, s.source),
                detail: format!(
                    "{h}, TLS verification {}",
                    if verified { "on" } else { "off" }
                ),
            });
            if verified {
                continue;
            }
            let ns = if s.rootless {
                " (inside RootlessKit's network namespace: reachable from outside only through a forwarded port)"
            } else {
                ""
            };
            let who = if level == 2 {
                "anyone who can reach this host"
            } else {
                "every local user"
            };
            problems.push(format!(
                "{} listens on {h} without TLS verification{ns}: {who} can run containers as {}",
                s.label,
                if s.rootless { "you" } else { "root" }
            ));
            // A rootless daemon's TCP port lives in its own namespace; it is not worse than loopback unless forwarded.
            worst = worst.max(if s.rootless { 1 } else { level });
        }
    }
    if problems.is_empty() {
        return Verdict::pass("no dockerd listens on TCP without TLS verification")
            .with_evidence(evidence);
    }
    let fix = Remediation::text(
        "Drop the tcp:// host (use the Unix socket locally and DOCKER_HOST=ssh://… from elsewhere), or require TLS client certificates: \
--tlsverify --tlscacert=ca.pem --tlscert=server-cert.pem --tlskey=server-key.pem (port 2376).",
    );
    let v = if worst >= 2 {
        Verdict::fail(problems.join("; "))
    } else {
        Verdict::warn(problems.join("; "))
    };
    v.with_evidence(evidence).fix(fix)
}

const PROXY_VARS: &[(&str, &str, &str)] = &[
    ("HTTP_PROXY", "http_proxy", "http-proxy"),
    ("HTTPS_PROXY", "https_proxy", "https-proxy"),
    ("NO_PROXY", "no_proxy", "no-proxy"),
];

/// A proxy variable from an environment, upper case first (as Go's httpproxy reads it).
fn proxy_in(env: &[(String, String)], upper: &str, lower: &str) -> Option<String> {
    lookup(env)(upper)
        .or_else(|| lookup(env)(lower))
        .filter(|v| !v.is_empty())
}

/// Credentials in a proxy URL are not for findings.
fn mask(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}xxxxx:xxxxx{}", &url[..s + 3], &url[at..]),
        _ => url.to_owned(),
    }
}

fn proxy(f: &Facts) -> Verdict {
    if !f.is_own_session() {
        return Verdict::skip(
            "your shell's proxy variables are only visible when the doctor runs in your own session (not through sudo or --user)",
        );
    }
    let shell: Vec<(String, String)> = PROXY_VARS
        .iter()
        .flat_map(|(u, l, _)| [*u, *l])
        .filter_map(|k| f.env(k).map(|v| (k.to_owned(), v)))
        .collect();
    // The daemons to compare: running ones first (their real environment), else how the units would start them.
    let all = f.dockerd_setups();
    let running: Vec<&Setup> = all.iter().filter(|s| s.pid.is_some()).collect();
    let judged: Vec<&Setup> = if running.is_empty() {
        all.iter().filter(|s| s.pid.is_none()).collect()
    } else {
        running
    };
    if judged.is_empty() {
        return Verdict::skip(
            "no dockerd runs and no unit starts one: no daemon environment to compare",
        );
    }
    let mut evidence = Vec::new();
    let mut diffs = Vec::new();
    for (upper, lower, key) in PROXY_VARS {
        let mine = proxy_in(&shell, upper, lower);
        evidence.push(Evidence {
            source: format!("your shell: {upper}"),
            detail: mine.as_deref().map_or("unset".into(), mask),
        });
        for s in &judged {
            let from_file = s
                .settings
                .as_ref()
                .and_then(|c| c.get("proxies"))
                .and_then(|p| p.get(*key))
                .and_then(Value::as_str)
                .map(str::to_owned);
            let from_flag = s.flag(key).map(str::to_owned);
            let Some(env) = &s.env else {
                evidence.push(Evidence {
                    source: format!("{}: {upper}", s.label),
                    detail: "unknown: its environment is readable only by its owner or root".into(),
                });
                continue;
            };
            let theirs = from_flag
                .or(from_file)
                .or_else(|| proxy_in(env, upper, lower));
            evidence.push(Evidence {
                source: format!("{}: {upper}", s.label),
                detail: theirs.as_deref().map_or("unset".into(), mask),
            });
            match (&mine, &theirs) {
                (Some(m), None) if *upper != "NO_PROXY" => diffs.push(format!("your shell sets {upper}={} but {} has none: its pulls go direct (\"dial tcp …: i/o timeout\" behind a proxy)", mask(m), s.label)),
                (None, Some(t)) if *upper != "NO_PROXY" => diffs.push(format!("{} uses {upper}={} but your shell sets none: if that proxy is gone, pulls fail with \"proxyconnect tcp: … connection refused\"", s.label, mask(t))),
                (Some(m), Some(t)) if m != t => diffs.push(format!("{upper} differs: your shell {} , {} {}", mask(m), s.label, mask(t))),
                _ => {}
            }
        }
    }
    if diffs.is_empty() {
        return Verdict::pass("the daemon's proxy settings match your shell's")
            .with_evidence(evidence);
    }
    let rootless = judged.iter().any(|s| s.rootless);
    let (path, reload): (String, Step) = if rootless {
        (
            format!(
                "{}/.config/systemd/user/docker.service.d/override.conf",
                f.user.home.trim_end_matches('/')
            ),
            Step::user(["systemctl", "--user", "daemon-reload"]),
        )
    } else {
        (
            "/etc/systemd/system/docker.service.d/http-proxy.conf".to_owned(),
            Step::root(["systemctl", "daemon-reload"]),
        )
    };
    let lines: String = PROXY_VARS
        .iter()
        .filter_map(|(u, l, _)| {
            proxy_in(&shell, u, l).map(|v| format!("Environment=\"{u}={v}\"\n"))
        })
        .collect();
    let mut fix = Remediation::text(format!(
        "Give the daemon your shell's proxy settings in a drop-in ({path}), or `\"proxies\"` in daemon.json (Docker 23+), then reload and restart it:"
    ));
    if !lines.is_empty() && f.systemd {
        fix = fix
            .step(Step::write_file(
                !rootless,
                path.as_str(),
                format!("[Service]\n{lines}"),
            ))
            .step(reload);
    }
    Verdict::warn(diffs.join("; "))
        .with_evidence(evidence)
        .fix(fix)
}

fn logs(f: &Facts) -> Verdict {
    let running: Vec<&Setup> = f
        .dockerd_setups()
        .iter()
        .filter(|s| s.pid.is_some())
        .collect();
    if running.is_empty() {
        return Verdict::skip("no dockerd runs: no log to locate");
    }
    let mut evidence = Vec::new();
    let mut lost = Vec::new();
    let mut places = Vec::new();
    for s in &running {
        let pid = s.pid.unwrap_or_default();
        let debug = s.enabled("debug");
        let under_systemd = env_value(
            &f.environ(pid).ok().cloned().unwrap_or_default(),
            "INVOCATION_ID",
        )
        .is_some();
        let target = f.proc_link(pid, "fd/2");
        let place = match (&target, under_systemd) {
            (_, true) if s.rootless => {
                "the journal: journalctl --user -u docker.service".to_owned()
            }
            (_, true) => "the journal: journalctl -u docker.service".to_owned(),
            (Read::Ok(t), _) if t == "/dev/null" => {
                lost.push(format!("{} writes its log to /dev/null", s.label));
                "nowhere (/dev/null)".to_owned()
            }
            (Read::Ok(t), _) if t.ends_with(" (deleted)") => {
                lost.push(format!(
                    "{} writes its log to a deleted file ({t})",
                    s.label
                ));
                format!("a deleted file: {t}")
            }
            (Read::Ok(t), _) if t.starts_with('/') && !t.starts_with("/dev/") => {
                format!("the file {t}")
            }
            (Read::Ok(t), _) => format!("{t} (a terminal or pipe of whatever started it)"),
            (_, _) => "unknown (its descriptors are readable only by root)".to_owned(),
        };
        let exec_root = s.flag("exec-root").map(str::to_owned).unwrap_or_else(|| {
            if s.rootless {
                format!("{}/docker", f.runtime_dir())
            } else {
                "/var/run/docker".into()
            }
        });
        evidence.push(Evidence {
            source: format!("{} log", s.label),
            detail: place.clone(),
        });
        evidence.push(Evidence {
            source: format!("{} debug", s.label),
            detail: if debug { "on" } else { "off" }.into(),
        });
        evidence.push(Evidence {
            source: format!("{} stack dump", s.label),
            detail: format!("kill -USR1 {pid} → {exec_root}/goroutine-stacks-*.log"),
        });
        places.push(format!(
            "{}: {place}, debug {}",
            s.label,
            if debug { "on" } else { "off" }
        ));
    }
    if !lost.is_empty() {
        return Verdict::warn(format!("{}: its errors are lost", lost.join("; ")))
            .with_evidence(evidence)
            .fix(Remediation::text("Restart the daemon with its output in a file (`dockerd-rootless.sh >> ~/dockerd.log 2>&1`), or under systemd, which keeps it in the journal."));
    }
    Verdict::pass(places.join("; ")).with_evidence(evidence)
}

/// The rootless daemon's `/info`, parsed; `Err` is the verdict to return when it can't be had.
/// The socket of the daemon this run judges: the client's Unix socket when it judges the rootful daemon, else the
/// rootless one's.
fn judged_socket(f: &Facts) -> Option<String> {
    if !f.targets_rootful() {
        return Some(f.rootless_socket());
    }
    // Only the system daemon's socket: a path of the user's choosing is not "the rootful daemon".
    match f.client_endpoint().as_ref().map(|r| &r.endpoint) {
        Ok(crate::parse::docker_config::Endpoint::Unix(p))
            if ROOTFUL_SOCKETS.contains(&p.as_str()) =>
        {
            Some(p.clone())
        }
        Ok(
            crate::parse::docker_config::Endpoint::Tcp(_)
            | crate::parse::docker_config::Endpoint::Ssh(_),
        ) => None,
        _ => Some(ROOTFUL_SOCKETS[0].to_owned()),
    }
}

/// A JSON answer of the daemon this run judges ([`judged_socket`]).
fn daemon_json(f: &Facts, path: &str) -> Result<Value, Verdict> {
    api_json(f, judged_socket(f), path)
}

/// A JSON answer of the user's rootless daemon, whichever daemon the run judges.
fn rootless_json(f: &Facts, path: &str) -> Result<Value, Verdict> {
    let socket = f.rootless_socket();
    if f.http_get(&socket, "/_ping").is_err() {
        return Err(Verdict::skip(format!(
            "no rootless daemon answers at unix://{socket} (see daemon.running)"
        )));
    }
    api_json(f, Some(socket), path)
}

fn api_json(f: &Facts, socket: Option<String>, path: &str) -> Result<Value, Verdict> {
    let Some(socket) = socket else {
        return Err(Verdict::skip(
            "the daemon this run judges is not on a local Unix socket (client.socket probes it)",
        ));
    };
    let ping = f.http_get(&socket, "/_ping");
    if ping.is_err() {
        return Err(Verdict::skip(if f.targets_rootful() {
            format!("no daemon answers at unix://{socket} (see client.socket)")
        } else {
            format!("no rootless daemon answers at unix://{socket} (see daemon.running)")
        }));
    }
    match f.http_get(&socket, path) {
        Ok(r) if r.status == 200 => {
            crate::facts::api_json(&r.body).map_err(|e| Verdict::error(format!("GET {path}: {e}")))
        }
        Ok(r) => Err(Verdict::error(format!(
            "GET {path} answered HTTP {}",
            r.status
        ))),
        Err(e) => Err(Verdict::error(format!("GET {path}: {}", e.text))),
    }
}

/// The docker user service (0.2 and 0.3 of docs/launch-sequence.md).
fn user_unit(f: &Facts) -> Verdict {
    if !f.systemd {
        return Verdict::skip(
            "systemd is not PID 1: there is no user manager, and dockerd-rootless.sh is started by hand",
        );
    }
    let socket = f.rootless_socket();
    let answers = matches!(f.http_get(&socket, "/_ping"), Ok(r) if r.status == 200);
    let unit = match f.user_docker_service() {
        Read::Ok(u) => u,
        Read::Failed(e) => return unreadable("the docker user service", e),
        Read::Missing => {
            let searched = f.user_unit_dirs().join(", ");
            if answers {
                return Verdict::pass(format!(
                    "no docker user service, but a rootless daemon answers at unix://{socket} (started by hand): it will \
not come back after a reboot or logout unless dockerd-rootless-setuptool.sh install makes it a service"
                ))
                .evidence("docker.service", format!("not in {searched}"));
            }
            let (Some(script), Some(install)) = (f.rootless_script(), install_user_service(f))
            else {
                return Verdict::skip(
                    "no docker user service, and Docker's rootless scripts are not installed yet (see network.binaries)",
                )
                .evidence("docker.service", format!("not in {searched}"));
            };
            return Verdict::fail(
                "no docker user service: `systemctl --user start docker` fails with \"Failed to start docker.service: Unit \
docker.service not found.\"",
            )
            .evidence("docker.service", format!("not in {searched}"))
            .evidence(script.path.clone(), format!("dockerd-rootless.sh, found in {}", script.found_by))
            .fix(install);
        }
    };
    let file = unit.path.clone();
    if unit.masked {
        return Verdict::fail(
            "the docker user service is masked: `systemctl --user start docker` fails with \"Failed to start docker.service: \
Unit docker.service is masked.\"",
        )
        .evidence(file, "a link to /dev/null, or empty")
        .fix(
            Remediation::text("Unmask it, then start it:").steps([
                Step::user(["systemctl", "--user", "unmask", "docker"]),
                Step::user(["systemctl", "--user", "start", "docker"]),
            ]),
        );
    }
    // Requires=: systemd refuses to start the unit when a required unit does not exist.
    let mut missing = Vec::new();
    for (path, entry) in unit.effective("Unit", "Requires") {
        for name in entry.value.split_whitespace() {
            if matches!(f.user_unit(name), Read::Missing) && !missing.iter().any(|(n, _)| n == name)
            {
                missing.push((name.to_owned(), format!("{path}:{}", entry.line)));
            }
        }
    }
    if let Some((name, at)) = missing.first() {
        let names: Vec<&str> = missing.iter().map(|(n, _)| n.as_str()).collect();
        let mut v = Verdict::fail(format!(
            "the docker user service requires {}, which does not exist: `systemctl --user start docker` fails with \
\"Failed to start docker.service: Unit {name} not found.\"",
            names.join(", ")
        ))
        .evidence(at.clone(), format!("Requires={}", names.join(" ")))
        .evidence(name.clone(), format!("not in {}", f.user_unit_dirs().join(", ")));
        if names.contains(&"dbus.socket") {
            let d = f.distro();
            v = v.fix(
                Remediation::text(format!(
                    "Install the user bus ({}), then log out and in again so the user manager has it:",
                    d.package_list(&["dbus_user_session"])
                ))
                .steps(d.install_step(&["dbus_user_session"])),
            );
        } else {
            v = v.fix(Remediation::text(format!(
                "Install what provides {}, or remove it from Requires= in a drop-in (`systemctl --user edit docker`).",
                names.join(", ")
            )));
        }
        return v;
    }
    let requires: Vec<String> = unit
        .effective("Unit", "Requires")
        .iter()
        .map(|(_, e)| e.value.clone())
        .collect();
    let mut v = match f.user_unit_enabled("docker.service") {
        Some(link) => Verdict::pass(format!("the docker user service is installed and enabled ({file})"))
            .evidence(link, "enabled"),
        None if answers => Verdict::pass(format!(
            "the docker user service is installed ({file}) and the daemon answers, but the unit is not enabled: it will not \
start at the next login"
        )),
        None => Verdict::warn(format!(
            "the docker user service is installed ({file}) but not enabled: it does not start at login"
        ))
        .fix(Remediation::text("Enable it (and start it now):").steps([
            Step::user(["systemctl", "--user", "enable", "--now", "docker"]),
        ])),
    };
    v = v.evidence(file, unit.paths().join(", "));
    if !requires.is_empty() {
        v = v.evidence("Requires=", format!("{} (present)", requires.join(" ")));
    }
    v
}

fn running(f: &Facts) -> Verdict {
    let socket = f.rootless_socket();
    let url = format!("unix://{socket}");
    match f.http_get(&socket, "/_ping") {
        Ok(r) if r.status == 200 => Verdict::pass(format!("your rootless daemon answers at {url}"))
            .evidence(
                format!("GET {url}/_ping"),
                format!("200 {}", r.body_text().trim()),
            ),
        Ok(r) => Verdict::fail(format!("{url} answers /_ping with HTTP {}", r.status))
            .evidence(format!("GET {url}/_ping"), r.body_text()),
        Err(e) => {
            let why = match e.kind {
                std::io::ErrorKind::NotFound => "no socket: the daemon is not running".to_owned(),
                std::io::ErrorKind::ConnectionRefused => {
                    "a stale socket: the file exists but nobody listens".to_owned()
                }
                std::io::ErrorKind::PermissionDenied => {
                    "permission denied: the socket is not yours".to_owned()
                }
                _ => e.text.clone(),
            };
            Verdict::fail(format!(
                "no rootless daemon answers at {url} ({why}): \"Cannot connect to the Docker daemon at {url}. Is the docker daemon running?\""
            ))
            .evidence(format!("GET {url}/_ping"), e.text)
            .fix(start_daemon(f))
        }
    }
}

fn strings(v: &Value, key: &str) -> Vec<String> {
    v.get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn text(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or("unknown")
        .to_owned()
}

fn rootless(f: &Facts) -> Verdict {
    let info = match rootless_json(f, "/info") {
        Ok(v) => v,
        Err(v) => return v,
    };
    let options = strings(&info, "SecurityOptions");
    let evidence = Evidence {
        source: "GET /info SecurityOptions".into(),
        detail: options.join(", "),
    };
    if !options
        .iter()
        .any(|o| o.split(',').any(|part| part == "name=rootless"))
    {
        return Verdict::fail(format!(
            "the daemon at unix://{} is not rootless (no name=rootless): its containers' root is the host's root",
            f.rootless_socket()
        ))
        .evidence(evidence.source, evidence.detail)
        .fix(Remediation::text("Stop that daemon and start the rootless one as your user.").steps(start_daemon(f).steps).by_hand("stopping that daemon is yours to do"));
    }
    let mut v = Verdict::pass("the daemon runs rootless (name=rootless)")
        .evidence(evidence.source, evidence.detail);
    // Docker's known limitations of rootless mode (https://docs.docker.com/engine/security/rootless/), as they apply to this setup.
    v = v.evidence("limitation", "the IPAddress `docker inspect` shows lives in RootlessKit's network namespace: reach containers through -p ports");
    v = v.evidence("limitation", "--net=host is RootlessKit's network namespace, not the host's: its ports are not on the host");
    if let Read::Ok(Ok(start)) = f.sysctl_int("net.ipv4.ip_unprivileged_port_start")
        && start > 0
    {
        v = v.evidence("limitation", format!("ports below {start} cannot be published (net.ipv4.ip_unprivileged_port_start = {start})"));
    }
    if let Read::Ok(range) = f.sysctl("net.ipv4.ping_group_range")
        && let Ok((lo, hi)) = crate::parse::sysctl::parse_int_pair(&range)
        && lo > hi
    {
        v = v.evidence(
            "limitation",
            format!("ping fails in containers (net.ipv4.ping_group_range = {lo} {hi})"),
        );
    }
    v
}

fn info(f: &Facts) -> Verdict {
    let info = match daemon_json(f, "/info") {
        Ok(v) => v,
        Err(v) => return v,
    };
    let driver = text(&info, "Driver");
    let cgroup_driver = text(&info, "CgroupDriver");
    let cgroup_version = text(&info, "CgroupVersion");
    let mut evidence = vec![
        Evidence {
            source: "GET /info ServerVersion".into(),
            detail: text(&info, "ServerVersion"),
        },
        Evidence {
            source: "GET /info Driver".into(),
            detail: driver.clone(),
        },
        Evidence {
            source: "GET /info CgroupDriver".into(),
            detail: format!("{cgroup_driver} (cgroup v{cgroup_version})"),
        },
    ];
    if let Ok(version) = daemon_json(f, "/version") {
        for c in version
            .get("Components")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            evidence.push(Evidence {
                source: format!("GET /version component {}", text(c, "Name")),
                detail: text(c, "Version"),
            });
        }
    }
    let summary = format!(
        "Docker {}, storage {driver}, cgroup driver {cgroup_driver} (v{cgroup_version})",
        text(&info, "ServerVersion")
    );
    if driver == "vfs" && f.targets_rootful() {
        return Verdict::warn(format!(
            "{summary}: vfs copies every layer in full (slow, disk-hungry); the rootful daemon uses overlay2 on a filesystem that supports it"
        ))
        .with_evidence(evidence)
        .fix(Remediation::text(
            "Put the data-root on ext4, or xfs with ftype=1, and remove a \"storage-driver\": \"vfs\" from /etc/docker/daemon.json, then restart the daemon.",
        ));
    }
    if driver == "vfs" {
        let d = f.distro();
        let r = Remediation::text(format!(
            "The daemon fell back to vfs: install {} (kernel 4.18+), or run a 5.11+ kernel for overlay2, then restart the daemon.",
            d.package_list(&["fuse_overlayfs"])
        ));
        return Verdict::warn(format!(
            "{summary}: vfs copies every layer in full (slow, disk-hungry)"
        ))
        .with_evidence(evidence)
        .fix(r.steps(d.install_step(&["fuse_overlayfs"])));
    }
    if cgroup_driver == "none" {
        return Verdict::warn(format!("{summary}: no cgroups, so --cpus, --memory and --pids-limit are ignored"))
            .with_evidence(evidence)
            .fix(Remediation::text(
                "Boot cgroup v2 (systemd.unified_cgroup_hierarchy=1) and run the daemon as a systemd user service with delegation (see cgroup.v2, cgroup.delegation).",
            ));
    }
    Verdict::pass(summary).with_evidence(evidence)
}

fn warnings(f: &Facts) -> Verdict {
    let info = match daemon_json(f, "/info") {
        Ok(v) => v,
        Err(v) => return v,
    };
    let list = strings(&info, "Warnings");
    if list.is_empty() {
        return Verdict::pass("the daemon reports no warnings");
    }
    let evidence = list.iter().map(|w| Evidence {
        source: "GET /info Warnings".into(),
        detail: w.clone(),
    });
    Verdict::warn(format!("the daemon reports {} warning(s): {}", list.len(), list.join(" / ")))
        .with_evidence(evidence)
        .fix(Remediation::text(
            "Each warning names its cause. The rootless cgroup warnings go away with cgroup v2 and the systemd user service (see cgroup.v2 and cgroup.delegation).",
        ))
}

fn pidfile(f: &Facts) -> Verdict {
    let (path, pid) = f.docker_pid_file();
    let answering = f.http_get(&f.rootless_socket(), "/_ping").is_ok();
    let remove = |path: &str| {
        let start = start_daemon(f);
        Remediation {
            by_hand: start.by_hand,
            ..Remediation::text(
                "No dockerd of yours runs: delete the stale pid file, then start the daemon.",
            )
            .step(Step::remove(false, path))
            .steps(start.steps)
        }
    };
    match pid {
        Read::Failed(e) => unreadable(&path, &e),
        Read::Missing if answering => Verdict::warn(format!("the daemon answers but {path} does not exist (started with another --pidfile?)"))
            .evidence(path, "missing")
            .fix(Remediation::text("Nothing breaks now; `dockerd-rootless-setuptool.sh nsenter` and `rootless-doctor enter` look for it there.")),
        Read::Missing => Verdict::pass(format!("no {path} and no daemon: nothing stale")).evidence(path, "missing"),
        Read::Ok(None) => Verdict::fail(format!("{path} does not hold a pid: dockerd refuses to start (\"pid file found, ensure docker is not running or delete {path}\")"))
            .fix(remove(&path))
            .evidence(path, "not a number"),
        Read::Ok(Some(pid)) => match f.process(pid) {
            Some(p) if p.name == "dockerd" && p.uid == f.user.uid => {
                Verdict::pass(format!("{path} names dockerd {pid}, yours and alive")).evidence(path, pid.to_string())
            }
            // dockerd refuses to start only when the pid in the file belongs to a running process
            // (moby pkg/pidfile: "pid file found, ensure docker is not running or delete …").
            Some(p) => Verdict::fail(format!(
                "stale {path}: pid {pid} is now {:?} (uid {}), so the next start fails with \"pid file found, ensure docker is not running or delete {path}\"",
                p.name, p.uid
            ))
            .fix(remove(&path))
            .evidence(path, pid.to_string()),
            None if answering => Verdict::warn(format!(
                "{path} names pid {pid}, which does not run, although a daemon answers (started with another --pidfile?)"
            ))
            .evidence(path, pid.to_string())
            .fix(Remediation::text("Nothing breaks now; `rootless-doctor enter` and the setup tool's nsenter look for the daemon's pid there.")),
            None => Verdict::warn(format!(
                "stale {path}: no process {pid} runs (the daemon died without cleaning up); harmless while the pid stays unused, but if another process takes it the next start fails with \"pid file found, ensure docker is not running or delete {path}\""
            ))
            .fix(remove(&path))
            .evidence(path, pid.to_string()),
        },
    }
}

fn rootful(f: &Facts) -> Verdict {
    if let Read::Failed(e) = f.processes() {
        return unreadable("/proc", e);
    }
    let root_dockerd = f.rootful_dockerd();
    let mut evidence = Vec::new();
    let mut answering = None;
    for s in ROOTFUL_SOCKETS {
        let r: HttpResult = f.http_get(s, "/_ping");
        let detail = match &r {
            Ok(resp) => format!("answers HTTP {}", resp.status),
            Err(e) => e.text.clone(),
        };
        evidence.push(Evidence {
            source: format!("unix://{s}"),
            detail,
        });
        // EACCES means a socket with a listener we may not use: still a running rootful daemon.
        if r.is_ok()
            || r.as_ref()
                .is_err_and(|e| e.kind == std::io::ErrorKind::PermissionDenied)
        {
            answering = Some(*s);
            break;
        }
    }
    if !root_dockerd.is_empty() {
        evidence.push(Evidence {
            source: "/proc".into(),
            detail: format!("dockerd owned by root: pid {}", pids(root_dockerd)),
        });
    }
    let runs = !root_dockerd.is_empty() || answering.is_some();
    let addresses = rootful_addresses(f);
    if !addresses.is_empty() {
        evidence.push(Evidence {
            source: "where the rootful dockerd listens".into(),
            detail: addresses.join(", "),
        });
    }
    let listens = if addresses.is_empty() {
        String::new()
    } else {
        format!(", listening on {}", addresses.join(", "))
    };
    if f.targets_rootful() {
        let why = &f.target().why;
        return if runs {
            Verdict::pass(format!("a rootful daemon runs{listens}, and it is the one this run judges ({why})"))
        } else {
            Verdict::skip(format!(
                "no rootful daemon runs; this run judges the rootful daemon ({why}): client.socket and daemon.service say what to start"
            ))
        }
        .with_evidence(evidence);
    }
    if !runs {
        return Verdict::pass("no rootful daemon runs").with_evidence(evidence);
    }
    let client_rootful = f.client_uses_rootful();
    let disable = Remediation::text(
        "If you don't need the rootful daemon, stop and disable it; otherwise make every shell use the rootless one (DOCKER_HOST or the rootless context).",
    )
    .step(Step::root(["systemctl", "disable", "--now", "docker.service", "docker.socket"]))
    .by_hand("stopping the system daemon is your choice");
    // It was told to listen on the socket the client uses, and nothing answers there: the file was removed or
    // replaced while it runs (systemd-tmpfiles, a `rm`, a container bind-mounting over /run).
    let told = on_rootful_socket(&addresses);
    if client_rootful
        && answering.is_none()
        && let Some(address) = told
    {
        return Verdict::warn(format!(
            "a rootful dockerd runs (pid {}) and was told to listen on {address}, the socket your client uses, but nothing answers there: the socket was removed or replaced while the daemon runs, so the client reaches no daemon (see client.socket)",
            pids(root_dockerd)
        ))
        .with_evidence(evidence)
        .fix({
            // Under socket activation (`-H fd://`) systemd holds the listening socket, and only restarting
            // docker.socket makes its file again; restarting the daemon alone gets the same unlinked socket back.
            let activated = f
                .dockerd_listeners()
                .iter()
                .any(|l| !l.rootless && l.url == address && l.socket_activated);
            let step = if activated {
                Step::root(["systemctl", "restart", "docker.socket", "docker.service"])
            } else {
                Step::root(["systemctl", "restart", "docker.service"])
            };
            Remediation::text(
                "Restart the rootful daemon, which makes its socket again; or, if you don't need it, stop and disable it and use the rootless one.",
            )
            .step(step)
            .by_hand("restarting the system daemon stops its containers unless live-restore is on")
        });
    }
    if client_rootful && answering.is_none() {
        // It runs, but not on the socket the client uses (`-H tcp://…` only): the client reaches nothing.
        return Verdict::warn(format!(
            "a rootful dockerd runs (pid {}){listens}, not on the socket your client uses (unix:///var/run/docker.sock): the client reaches no daemon there (see client.socket)",
            pids(root_dockerd)
        ))
        .with_evidence(evidence)
        .fix(disable);
    }
    if client_rootful {
        return Verdict::fail(format!(
            "a rootful daemon runs ({}), and your docker client reaches it instead of your rootless daemon",
            answering.map_or_else(|| "dockerd as root".to_owned(), |s| format!("unix://{s}"))
        ))
        .with_evidence(evidence)
        .fix(disable);
    }
    Verdict::warn("a rootful daemon runs beside the rootless one; your client uses the rootless one, a shell without DOCKER_HOST would not")
        .with_evidence(evidence)
        .fix(disable)
}

#[cfg(test)]
mod tests {
    use crate::checks::test_support::{check, fix, steps};
    use crate::model::Status;

    #[test]
    fn regression_a_rootful_daemon_told_to_listen_on_the_clients_socket_was_said_not_to() {
        // Its socket file removed while it runs: daemon.rootful said it listens on unix:///var/run/docker.sock, "not
        // on the socket your client uses (unix:///var/run/docker.sock)", and daemon.socket that it listens "on
        // unix:///var/run/docker.sock only" (a demanding-user review).
        let v = check("debian-12-rootful-socket-removed", "daemon.rootful");
        assert_eq!(v.status, Status::Warn);
        assert!(
            v.summary.contains("was told to listen on unix:///var/run/docker.sock, the socket your client uses, but nothing answers there"),
            "{}",
            v.summary
        );
        assert!(!v.summary.contains("not on the socket"), "{}", v.summary);
        assert_eq!(steps(&v), ["sudo systemctl restart docker.service"]);
        let v = check("debian-12-rootful-socket-removed", "daemon.socket");
        assert_eq!(v.status, Status::Skip);
        assert!(
            v.summary.contains(
                "though the rootful dockerd was told to listen on unix:///var/run/docker.sock"
            ),
            "{}",
            v.summary
        );
        // Socket-activated (`-H fd://`): systemd holds the socket, so docker.socket is restarted too (a review).
        let v = check(
            "debian-12-rootful-socket-removed-activated",
            "daemon.rootful",
        );
        assert!(
            v.summary
                .contains("was told to listen on unix:///run/docker.sock"),
            "{}",
            v.summary
        );
        assert_eq!(
            steps(&v),
            ["sudo systemctl restart docker.socket docker.service"]
        );
        // A daemon on TCP alone is still told apart.
        let v = check("debian-12-rootful-tcp-only", "daemon.rootful");
        assert!(!v.summary.contains("was told to listen"), "{}", v.summary);
    }

    #[test]
    fn regression_a_rootful_daemon_on_tcp_only_is_not_said_to_reach_the_default_socket() {
        // A rootful dockerd listening only on tcp://127.0.0.1:4200 while the client uses the default socket:
        // client.socket said "the daemon is not running" and daemon.rootful "your docker client reaches it". Judged
        // for rootless mode too, neither claims the client reaches it.
        let v = check("debian-12-rootful-tcp-only", "client.socket");
        assert!(
            v.summary.contains("listens on tcp://127.0.0.1:4200 only"),
            "{}",
            v.summary
        );
        assert_eq!(
            steps(&v),
            [
                "docker context create rootful --docker host=tcp://127.0.0.1:4200",
                "docker context use rootful"
            ]
        );
        let v = check("debian-12-rootful-tcp-only", "daemon.rootful");
        assert!(
            v.summary.contains("listening on tcp://127.0.0.1:4200"),
            "{}",
            v.summary
        );
        let host = crate::checks::test_support::host("debian-12-rootful-tcp-only");
        let mut f = crate::facts::Facts::gather(&host, None, None).unwrap();
        f.choose_target(crate::facts::client::TargetChoice::Rootless);
        let v = crate::checks::verdict(crate::checks::find("daemon.rootful").unwrap(), &f);
        assert_eq!(v.status, Status::Warn, "{}", v.summary);
        assert!(
            v.summary.contains("the client reaches no daemon there"),
            "{}",
            v.summary
        );
    }

    #[test]
    fn regression_a_masked_unit_is_a_link_to_a_device_not_an_unreadable_file() {
        // A masked unit is a link to /dev/null, a character device, which the host refuses to read; the unit used
        // to be "error: cannot read …: is a character device, not a regular file" instead of masked (seen in the
        // VM tier, for the user's and the system's docker.service). The fixture has the real /dev/null.
        let v = check("debian-12-user-unit-masked", "daemon.user_unit");
        assert_eq!(v.status, Status::Fail, "{v:?}");
        assert!(
            v.summary.contains("Unit docker.service is masked."),
            "{}",
            v.summary
        );
    }

    #[test]
    fn the_user_unit_missing_masked_unenabled_or_missing_its_requirement() {
        // Installed Debian packages but no unit: the unit the setup tool would write is written, enabled and
        // started (the tool itself cannot work from Debian's contrib directory), and the daemon check's fix says so
        // instead of a `systemctl --user start` that would fail the same way.
        let v = check("debian-12", "daemon.user_unit");
        assert_eq!(v.status, Status::Fail, "{}", v.summary);
        assert!(v.summary.contains("Unit docker.service not found."));
        let install = [
            "tee /home/alice/.config/systemd/user/docker.service",
            "systemctl --user daemon-reload",
            "systemctl --user enable --now docker.service",
        ];
        assert_eq!(steps(&v), install);
        assert_eq!(steps(&check("debian-12", "daemon.running")), install);
        let unit = &fix(&v).steps[0];
        let crate::model::Action::WriteFile { content, .. } = &unit.action else {
            panic!("{unit:?}")
        };
        assert!(
            content.contains("\nExecStart=/usr/share/docker.io/contrib/dockerd-rootless.sh\n")
                && content
                    .contains("\nEnvironment=PATH=/usr/share/docker.io/contrib:/sbin:/usr/sbin:"),
            "{content}"
        );
        // Docker's packages put the tool and the client beside the script in /usr/bin: the tool does it, and its
        // uninstall is the undo.
        let v = check("ubuntu-24.04-wsl2", "daemon.user_unit");
        let s = &fix(&v).steps;
        assert_eq!(s.len(), 1, "{s:?}");
        assert_eq!(
            s[0].argv,
            ["/usr/bin/dockerd-rootless-setuptool.sh", "install"]
        );
        assert!(
            matches!(&s[0].action, crate::model::Action::Run { undo: Some(u), .. } if u[1] == "uninstall"),
            "{s:?}"
        );

        let v = check("debian-12-user-unit-requires-dbus", "daemon.user_unit");
        assert_eq!(v.status, Status::Fail, "{}", v.summary);
        assert!(v.summary.contains("Unit dbus.socket not found."));
        assert_eq!(steps(&v), ["sudo apt-get install -y dbus-user-session"]);

        let v = check("debian-12-user-unit-masked", "daemon.user_unit");
        assert_eq!(v.status, Status::Fail, "{}", v.summary);
        assert!(v.summary.contains("Unit docker.service is masked."));
        assert_eq!(
            steps(&v),
            [
                "systemctl --user unmask docker",
                "systemctl --user start docker"
            ]
        );

        // Installed by hand from Debian 12's 20.10 setup tool, never enabled: it does not start at login.
        let v = check("debian-12-unit-path-without-sbin", "daemon.user_unit");
        assert_eq!(v.status, Status::Warn, "{}", v.summary);
        assert_eq!(steps(&v), ["systemctl --user enable --now docker"]);

        let v = check("debian-12-user-unit-enabled", "daemon.user_unit");
        assert_eq!(v.status, Status::Pass, "{}", v.summary);
        // Once the unit exists, starting it is the fix for a daemon that does not answer.
        assert_eq!(
            steps(&check("debian-12-user-unit-enabled", "daemon.running"))[0],
            "systemctl --user start docker"
        );

        // No systemd: nothing to judge.
        assert_eq!(
            check("debian-12-no-systemd", "daemon.user_unit").status,
            Status::Skip
        );
    }

    #[test]
    fn a_running_rootless_daemon_answers() {
        assert_eq!(
            check("debian-12-daemon", "daemon.running").status,
            Status::Pass
        );
    }

    #[test]
    fn a_rootful_daemon_the_client_reaches_fails() {
        let v = check("debian-12-daemon-rootful-too", "daemon.rootful");
        assert_eq!(v.status, Status::Fail);
        assert_eq!(
            steps(&v),
            ["sudo systemctl disable --now docker.service docker.socket"]
        );
    }

    /// dockerd's own error for -H in the unit and `hosts` in daemon.json, and the drop-in fix of Docker's troubleshooting guide, in order.
    #[test]
    fn hosts_in_both_places_quote_dockerd_and_write_the_drop_in_first() {
        let v = check("debian-12-rootful-hosts-conflict", "daemon.config");
        assert_eq!(v.status, Status::Fail);
        assert!(
            v.summary.contains(
                "the following directives are specified both as a flag and in the configuration file: dns:"
            ),
            "{}",
            v.summary
        );
        assert!(fix(&v).text.starts_with("Docker's fix: a drop-in"));
        assert_eq!(
            steps(&v),
            [
                "sudo mkdir -p /etc/systemd/system/docker.service.d",
                "sudo tee /etc/systemd/system/docker.service.d/docker.conf",
                "sudo systemctl daemon-reload",
                "sudo systemctl restart docker.service",
            ]
        );
    }

    /// The daemon.json verdicts come from facts' typed ConfigError; their wording is dockerd's.
    #[test]
    fn daemon_json_errors_quote_dockerd() {
        let v = check("debian-12-daemon-json-syntax-error", "daemon.config");
        assert_eq!(v.status, Status::Fail);
        assert!(v.summary.starts_with(
            "/home/alice/.config/docker/daemon.json:3:21: expected value at line 3 column 21: dockerd refuses to start"
        ));
        assert!(fix(&v).text.starts_with("Correct the JSON in"));
        let v = check("debian-12-daemon-json-not-an-object", "daemon.config");
        assert_eq!(v.status, Status::Fail);
        assert!(
            v.summary
                .contains("the top level is not a JSON object: dockerd refuses to start")
        );
        assert!(v.remediation.is_none());
    }
}
