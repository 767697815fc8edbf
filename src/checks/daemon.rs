//! The user's running rootless daemon (at $XDG_RUNTIME_DIR/docker.sock), RootlessKit behind it,
//! and a rootful daemon beside it.

use serde_json::Value;

use super::{Check, Scope, pids, start_daemon, unreadable};
use crate::facts::client::ROOTFUL_SOCKETS;
use crate::facts::dockerd::flag;
use crate::facts::{Facts, HttpResult, Read};
use crate::model::{Evidence, Remediation, Step, Verdict};
use crate::parse::proc::env_value;

pub(super) const CHECKS: &[Check] = &[
    Check {
        id: "daemon.running",
        area: "daemon",
        scope: Scope::CheckOnly,
        needs_runtime: true,
        title: "Your rootless daemon answers at $XDG_RUNTIME_DIR/docker.sock",
        reference: "rootless-troubleshoot seed; cannot-connect seed",
        explain: "\
What it checks: `GET /_ping` on the rootless daemon's own socket, $XDG_RUNTIME_DIR/docker.sock (/run/user/UID/docker.sock \
when run through sudo), whatever the client is configured to use.

Why it matters: every other daemon check reads this daemon's API.

What you see when it's wrong: `Cannot connect to the Docker daemon at unix:///run/user/1000/docker.sock. Is the docker daemon running?`

How to fix: start it: `systemctl --user start docker` (and `systemctl --user enable docker` plus `sudo loginctl enable-linger USER` \
to have it at boot), or `dockerd-rootless.sh` by hand on hosts without systemd.",
        packages: &[],
        run: running,
    },
    Check {
        id: "daemon.rootless",
        area: "daemon",
        scope: Scope::CheckOnly,
        needs_runtime: true,
        title: "The daemon on your socket really runs rootless (name=rootless), with its known limitations",
        reference: "rootless-troubleshoot seed: known limitations",
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
        run: rootless,
    },
    Check {
        id: "daemon.info",
        area: "daemon",
        scope: Scope::CheckOnly,
        needs_runtime: true,
        title: "Server version, storage driver and cgroup driver of the running daemon",
        reference: "rootless-troubleshoot seed: known limitations (storage drivers, cgroups)",
        explain: "\
What it checks: `GET /info` and `GET /version` on your rootless socket: the server version, the RootlessKit component, the \
storage driver (vfs means no overlay support: slow, and every layer copied in full), and the cgroup driver and version \
(`none` means resource limits are not applied).

Why it matters: this is what the daemon actually chose, as opposed to what preflight predicted.

What you see when it's wrong: `Storage Driver: vfs` in `docker info`; `docker run --memory` accepted and not enforced.

How to fix: for vfs, install fuse-overlayfs or run a 5.11+ kernel (see storage.driver); for cgroups, boot cgroup v2 with systemd \
delegation (see cgroup.v2 and cgroup.delegation).",
        packages: &["fuse_overlayfs"],
        run: info,
    },
    Check {
        id: "daemon.warnings",
        area: "daemon",
        scope: Scope::CheckOnly,
        needs_runtime: true,
        title: "The daemon reports no warnings of its own",
        reference: "rootless-troubleshoot seed: --cpus, --memory, and --pids-limit are ignored",
        explain: "\
What it checks: the Warnings list of `GET /info`, the lines `docker info` prints at its end.

Why it matters: dockerd knows things about itself the host can't show, such as running without cgroups.

What you see when it's wrong: `WARNING: Running in rootless-mode without cgroups. To enable cgroups in rootless-mode, you need to \
boot the system in cgroup v2 mode.` (or `Systemd is required to enable cgroups in rootless-mode.`), and similar lines.

How to fix: as each warning says; for the cgroup ones, boot the unified hierarchy and run the daemon as a systemd user service.",
        packages: &[],
        run: warnings,
    },
    Check {
        id: "daemon.pidfile",
        area: "daemon",
        scope: Scope::CheckOnly,
        needs_runtime: true,
        title: "$XDG_RUNTIME_DIR/docker.pid names a live dockerd of yours, or is absent",
        reference: "daemon-troubleshoot seed; dockerd's pidfile check",
        explain: "\
What it checks: $XDG_RUNTIME_DIR/docker.pid, which dockerd writes at start and removes at a clean stop: the pid it holds must be \
a running dockerd owned by you. A pid that no longer runs is a harmless leftover (dockerd overwrites it); a pid that another \
process has taken since blocks the next start.

Why it matters: a daemon that was killed leaves the file behind; once its pid is reused (by anything), dockerd refuses to start.

What you see when it's wrong: `failed to start daemon: pid file found, ensure docker is not running or delete /run/user/1000/docker.pid`.

How to fix: when no dockerd of yours runs, delete the file (`rm $XDG_RUNTIME_DIR/docker.pid`) and start the daemon.",
        packages: &[],
        run: pidfile,
    },
    Check {
        id: "daemon.rootful",
        area: "daemon",
        scope: Scope::CheckOnly,
        needs_runtime: true,
        title: "No rootful daemon competes with the rootless one for your client",
        reference: "cannot-connect seed; dockerd-rootless-setuptool.sh (Aborting because rootful Docker is running)",
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
        run: rootful,
    },
    Check {
        id: "rootlesskit.api",
        area: "rootlesskit",
        scope: Scope::CheckOnly,
        needs_runtime: true,
        title: "RootlessKit's API answers in its state dir (version, network and port driver)",
        reference: "anchors.md §A5 (RootlessKit info API); live-host.md (state-dir layouts)",
        explain: "\
What it checks: RootlessKit's state directory, found the way the daemon was started: ROOTLESSKIT_STATE_DIR in dockerd's \
environment (Debian 20.10's random /tmp/rootlesskitNNN), or $XDG_RUNTIME_DIR/dockerd-rootless (upstream, `--state-dir`); \
then `GET /v1/info` on its api.sock: RootlessKit's version, the network driver, the port driver, the child pid.

Why it matters: these are the drivers in effect, which decide throughput, source-IP propagation and which bugs apply \
(RootlessKit 3.0.0 broke UDP publishing to remote clients).

What you see when it's wrong: no error of its own; `dockerd-rootless-setuptool.sh nsenter` fails to find child_pid.

How to fix: restart the daemon; if the state dir is gone while the daemon runs, something cleaned /tmp or the runtime dir under it.",
        packages: &[],
        run: rootlesskit_api,
    },
    Check {
        id: "rootlesskit.drivers",
        area: "rootlesskit",
        scope: Scope::CheckOnly,
        needs_runtime: true,
        title: "The network driver, port driver and MTU in effect are the ones requested",
        reference: "rootless-troubleshoot seed: networking errors; dockerd-rootless.sh environment variables",
        explain: "\
What it checks: what was asked for (DOCKERD_ROOTLESS_ROOTLESSKIT_NET, _PORT_DRIVER, _MTU and _FLAGS in the environment of \
RootlessKit, usually set in ~/.config/systemd/user/docker.service.d/override.conf) against what RootlessKit reports and the flags \
it was started with.

Why it matters: dockerd-rootless.sh silently falls back (pasta requested but too old, slirp4netns missing), and the only trace is \
in the journal.

What you see when it's wrong: slow networking or client IPs shown as 10.0.2.100/127.0.0.1 where pasta (which preserves source IPs) \
was meant to run.

How to fix: install the requested driver at a version that works (slirp4netns ≥ 0.4.0, passt ≥ 2023_12_04), or change the \
override; then `systemctl --user daemon-reload && systemctl --user restart docker`.",
        packages: &["slirp4netns", "passt"],
        run: rootlesskit_drivers,
    },
];

/// The rootless daemon's `/info`, parsed; `Err` is the verdict to return when it can't be had.
fn daemon_json(f: &Facts, path: &str) -> Result<Value, Verdict> {
    let socket = f.rootless_socket();
    let ping = f.http_get(&socket, "/_ping");
    if ping.is_err() {
        return Err(Verdict::skip(format!(
            "no rootless daemon answers at unix://{socket} (see daemon.running)"
        )));
    }
    match f.http_get(&socket, path) {
        Ok(r) if r.status == 200 => serde_json::from_slice(&r.body)
            .map_err(|e| Verdict::error(format!("GET {path}: the answer is not JSON: {e}"))),
        Ok(r) => Err(Verdict::error(format!(
            "GET {path} answered HTTP {}",
            r.status
        ))),
        Err(e) => Err(Verdict::error(format!("GET {path}: {}", e.text))),
    }
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
    let info = match daemon_json(f, "/info") {
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
        .fix(Remediation::text("Stop that daemon and start the rootless one as your user.").steps(start_daemon(f).steps));
    }
    let mut v = Verdict::pass("the daemon runs rootless (name=rootless)")
        .evidence(evidence.source, evidence.detail);
    // The seed's known limitations, as they apply to this setup.
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
        Remediation::text(
            "No dockerd of yours runs: delete the stale pid file, then start the daemon.",
        )
        .step(Step::user(["rm", "-f", path]))
        .steps(start_daemon(f).steps)
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
    if root_dockerd.is_empty() && answering.is_none() {
        return Verdict::pass("no rootful daemon runs").with_evidence(evidence);
    }
    let client_rootful = f.client_uses_rootful();
    let disable = Remediation::text(
        "If you don't need the rootful daemon, stop and disable it; otherwise make every shell use the rootless one (DOCKER_HOST or the rootless context).",
    )
    .step(Step::root(["systemctl", "disable", "--now", "docker.service", "docker.socket"]));
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

fn rootlesskit_info(f: &Facts) -> Result<(Value, Vec<Evidence>), Verdict> {
    if f.http_get(&f.rootless_socket(), "/_ping").is_err() && f.rootless_dockerd().is_none() {
        return Err(Verdict::skip(
            "no rootless daemon runs (see daemon.running)",
        ));
    }
    let state = f.rootlesskit_state_dir();
    let (dir, how) = (&state.path, &state.source);
    let api = format!("{dir}/api.sock");
    let evidence = vec![Evidence {
        source: "state dir".into(),
        detail: format!("{dir} ({how})"),
    }];
    match f.http_get(&api, "/v1/info") {
        Ok(r) if r.status == 200 => serde_json::from_slice(&r.body)
            .map(|v| (v, evidence.clone()))
            .map_err(|e| {
                Verdict::error(format!("GET unix://{api}/v1/info: not JSON: {e}"))
                    .with_evidence(evidence.clone())
            }),
        Ok(r) => Err(Verdict::fail(format!(
            "RootlessKit's API at {api} answers HTTP {}",
            r.status
        ))
        .with_evidence(evidence)),
        Err(e) => Err(Verdict::fail(format!(
            "RootlessKit's API does not answer at {api}: {}",
            e.text
        ))
        .with_evidence(evidence)
        .fix(Remediation::text(
            "Restart the rootless daemon; its RootlessKit state directory is gone or unreadable.",
        ))),
    }
}

fn rootlesskit_api(f: &Facts) -> Verdict {
    let (info, evidence) = match rootlesskit_info(f) {
        Ok(v) => v,
        Err(v) => return v,
    };
    let version = text(&info, "version");
    let net = info
        .pointer("/networkDriver/driver")
        .and_then(Value::as_str)
        .unwrap_or("host");
    let port = info
        .pointer("/portDriver/driver")
        .and_then(Value::as_str)
        .unwrap_or("none");
    let v = Verdict::pass(format!(
        "RootlessKit {version}: network driver {net}, port driver {port}"
    ))
    .with_evidence(evidence)
    .evidence(
        "GET /v1/info",
        serde_json::to_string(&info).unwrap_or_default(),
    );
    // RootlessKit 3.0.0's transparent source IPs broke UDP publishing to remote clients (rootlesskit#592, fixed in 3.0.1).
    if version == "3.0.0" && port == "builtin" {
        return Verdict::warn("RootlessKit 3.0.0 with the builtin port driver: UDP ports published with -p do not answer remote clients (fixed in 3.0.1)".to_string())
        .with_evidence(v.evidence)
        .fix(Remediation::text(
            "Upgrade Docker to 29.6.0 or later (RootlessKit 3.0.1), or add --source-ip-transparent=false to DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS.",
        ));
    }
    v
}

fn rootlesskit_drivers(f: &Facts) -> Verdict {
    let (info, mut evidence) = match rootlesskit_info(f) {
        Ok(v) => v,
        Err(v) => return v,
    };
    let net = info
        .pointer("/networkDriver/driver")
        .and_then(Value::as_str)
        .unwrap_or("host")
        .to_owned();
    let port = info
        .pointer("/portDriver/driver")
        .and_then(Value::as_str)
        .unwrap_or("implicit")
        .to_owned();
    // The RootlessKit parent runs as the user: its argv says the MTU, its environment what was requested.
    let parent = match f.processes() {
        Read::Ok(list) => list
            .iter()
            .find(|p| p.name == "rootlesskit" && p.uid == f.user.uid)
            .map(|p| p.pid),
        _ => None,
    };
    let argv = parent
        .and_then(|p| f.cmdline(p).ok().cloned())
        .unwrap_or_default();
    let env = parent
        .and_then(|p| f.environ(p).ok().cloned())
        .unwrap_or_default();
    let mtu = flag(&argv, "mtu").map(str::to_owned);
    if let Some(p) = parent {
        evidence.push(Evidence {
            source: format!("/proc/{p}/cmdline"),
            detail: argv.join(" "),
        });
    }
    let mut mismatches = Vec::new();
    let mut requested = Vec::new();
    for (var, effective) in [
        ("NET", Some(net.as_str())),
        ("PORT_DRIVER", Some(port.as_str())),
        ("MTU", mtu.as_deref()),
    ] {
        let name = format!("DOCKERD_ROOTLESS_ROOTLESSKIT_{var}");
        if let Some(want) = env_value(&env, &name).filter(|w| !w.is_empty()) {
            requested.push(format!("{name}={want}"));
            evidence.push(Evidence {
                source: format!("env of rootlesskit: {name}"),
                detail: want.to_owned(),
            });
            if let Some(have) = effective
                && want != have
            {
                mismatches.push(format!("{name}={want} but RootlessKit runs with {have}"));
            }
        }
    }
    if let Some(flags) =
        env_value(&env, "DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS").filter(|w| !w.is_empty())
    {
        evidence.push(Evidence {
            source: "env of rootlesskit: DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS".into(),
            detail: flags.to_owned(),
        });
        for word in flags.split_whitespace() {
            if word.starts_with("--") && !argv.iter().any(|a| a == word) {
                mismatches.push(format!("DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS has {word}, which RootlessKit was not started with"));
            }
        }
    }
    let effective = format!(
        "network {net}, port driver {port}, MTU {}",
        mtu.as_deref().unwrap_or("default")
    );
    if !mismatches.is_empty() {
        return Verdict::warn(format!("{}; in effect: {effective}", mismatches.join("; ")))
            .with_evidence(evidence)
            .fix(Remediation::text(
                "dockerd-rootless.sh fell back silently: install the requested driver at a working version (slirp4netns ≥ 0.4.0, \
passt ≥ 2023_12_04) or change the request, then restart the daemon.",
            ));
    }
    let asked = if requested.is_empty() {
        "nothing requested explicitly".to_owned()
    } else {
        format!("as requested ({})", requested.join(", "))
    };
    Verdict::pass(format!("{effective}: {asked}")).with_evidence(evidence)
}
