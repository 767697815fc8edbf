//! The docker client: which endpoint it will use, and whether that socket answers.

use super::{
    Check, Judges, Scope, join_docker_group, point_client_at, start_daemon, start_rootful,
    unreadable, use_rootless,
};
use crate::facts::client::{
    ClientEndpoint, ClientTls, DESKTOP_SOCKET, ROOTFUL_SOCKETS, Reached, RemoteProbe,
    TLS_DEFAULT_SOURCE, TlsOutcome, TlsProbe, docker_config_dir,
};
use crate::facts::listeners::{Listener, same_address};
use crate::facts::{Facts, FileKind, Read};
use crate::model::{Evidence, Remediation, Step, Verdict};
use crate::parse::docker_config::Endpoint;

const CANNOT_CONNECT: &str = "https://docs.docker.com/engine/security/rootless/troubleshoot/; https://docs.docker.com/engine/daemon/troubleshoot/";

pub(super) const CHECKS: &[Check] = &[
    Check {
        id: "client.endpoint",
        area: "client",
        scope: Scope::CheckOnly,
        needs_runtime: true,
        per_user: true,
        judges: Judges::AnyDaemon,
        title: "The docker CLI talks to your rootless daemon (DOCKER_HOST, DOCKER_CONTEXT, config.json, default)",
        reference: CANNOT_CONNECT,
        explain: "\
What it checks: the endpoint the docker CLI will use, in the CLI's own order: DOCKER_HOST; else the context named by \
DOCKER_CONTEXT, else `currentContext` in ~/.docker/config.json (or $DOCKER_CONFIG/config.json), resolved through \
~/.docker/contexts/meta/*/meta.json; else unix:///var/run/docker.sock. For a rootless user it should be \
unix://$XDG_RUNTIME_DIR/docker.sock. The finding says which of these set it.

Why it matters: the rootless daemon listens only on your runtime directory. A shell that forgot DOCKER_HOST (a new terminal, \
cron, an IDE, sudo) silently falls back to the rootful socket: it reaches nothing, or worse, the rootful daemon.

What you see when it's wrong: `Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?`, \
or `Current context \"x\" is not found on the file system`.

How to fix: `export DOCKER_HOST=unix://$XDG_RUNTIME_DIR/docker.sock` in your shell profile, or use the context the setup tool \
creates: `docker context use rootless` (`docker context create rootless --docker host=unix://$XDG_RUNTIME_DIR/docker.sock` first \
if it does not exist).",
        packages: &[],
        removes: &[],
        run: endpoint,
    },
    Check {
        id: "client.socket",
        area: "client",
        scope: Scope::CheckOnly,
        needs_runtime: true,
        per_user: true,
        judges: Judges::AnyDaemon,
        title: "The client's endpoint answers (a socket running, stale or denied; a TCP or SSH address reachable, refused or silent)",
        reference: CANNOT_CONNECT,
        explain: "\
What it checks: the Unix socket of the client's endpoint: whether it exists, is a socket, who owns it and with which mode, \
and what a `GET /_ping` gets back. No file means no daemon; a file nobody listens on is a stale socket left by a daemon that \
died; EACCES is a permission problem, not a service problem. When nothing listens there but a dockerd runs elsewhere (a rootful \
one with `-H tcp://127.0.0.1:4200` or `hosts` in daemon.json only, found from its setup and the sockets it holds), it names \
that address. A `tcp://` or `ssh://` endpoint is probed within 3 s: a TCP connect (refused: the host is up and nothing listens; \
no answer: down or filtered; unreachable: no route), then for `tcp://` a plain `GET /_ping` (a daemon answers `OK`; a TLS \
daemon answers with \"Client sent an HTTP request to an HTTPS server\"; silence or anything else is not a daemon), for \
`ssh://` the server's banner, with nothing sent. No credentials are sent and no TLS handshake is made (with TLS, a TLS \
server answering is told apart, its certificates are not checked: `docker version` does); no host name is resolved (an \
IP address or `localhost` is probed, a name is left to `docker -H URL version`); root judging another user probes \
nothing that user's files name.

Why it matters: the CLI prints the same `Cannot connect` for a stopped daemon and for a stale socket, and a different error for \
a socket you may not open; the fixes differ (start the service, remove the stale file, use your own socket or group).

What you see when it's wrong: `Cannot connect to the Docker daemon at unix:///run/user/1000/docker.sock. Is the docker daemon running?` \
(stopped or stale), or `permission denied while trying to connect to the Docker daemon socket at unix:///…` (someone else's socket).

How to fix: start the daemon (`systemctl --user start docker`, or `dockerd-rootless.sh` by hand without systemd); a stale \
socket is removed by the next daemon start, or by hand; a permission error means the endpoint is another user's (or the rootful) \
socket: point DOCKER_HOST at your own.",
        packages: &[],
        removes: &[],
        run: socket,
    },
    Check {
        id: "client.tls",
        area: "client",
        scope: Scope::CheckOnly,
        needs_runtime: true,
        per_user: true,
        judges: Judges::AnyDaemon,
        title: "A tcp:// endpoint of the client is used with TLS verification",
        reference: "https://docs.docker.com/engine/daemon/; https://docs.docker.com/engine/security/protect-access/",
        explain: "\
What it checks: when the client's endpoint (DOCKER_HOST or the current context) is `tcp://`, whether TLS verification is on: \
DOCKER_TLS_VERIFY set (with DOCKER_CERT_PATH or ~/.docker/{ca,cert,key}.pem), or TLS material stored with the context \
(contexts/tls/<hash>/docker).

Why it matters: without TLS the client sends every command, image and secret in clear text and cannot tell whether the daemon \
at the other end is yours; a daemon that accepts plain TCP accepts anyone (see daemon.tcp).

What you see when it's wrong: nothing: it works, unauthenticated.

How to fix: connect over SSH instead (`DOCKER_HOST=ssh://user@host`), or set up TLS (`dockerd --tlsverify --tlscacert … \
--tlscert … --tlskey …`, then `DOCKER_TLS_VERIFY=1` and DOCKER_CERT_PATH on the client); for this host's rootless daemon, use \
its Unix socket.",
        packages: &[],
        removes: &[],
        run: tls,
    },
    Check {
        id: "client.config_dir",
        area: "client",
        scope: Scope::CheckOnly,
        needs_runtime: true,
        per_user: true,
        judges: Judges::AnyDaemon,
        title: "~/.docker belongs to you (not to root after a `sudo docker`)",
        reference: "https://docs.docker.com/engine/install/linux-postinstall/",
        explain: "\
What it checks: the owner and mode of the client's configuration directory (~/.docker, or $DOCKER_CONFIG) and of its \
config.json. Running `sudo docker …` (or `sudo docker login`) once, before the user was allowed to run docker, creates them \
as root.

Why it matters: the client then cannot read its configuration (contexts, credentials, the current context) or write it \
(`docker login`, `docker context use`).

What you see when it's wrong: `WARNING: Error loading config file: /home/user/.docker/config.json - stat \
/home/user/.docker/config.json: permission denied`, or `docker login` failing to save credentials.

How to fix: give them back: `sudo chown \"$USER\":\"$USER\" /home/\"$USER\"/.docker -R` and `sudo chmod g+rwx \"$HOME/.docker\" -R`.",
        packages: &[],
        removes: &[],
        run: config_dir,
    },
];

/// The CLI's endpoint; `Err` is the verdict for a context the CLI itself cannot find.
fn resolve<'f>(f: &'f Facts) -> Result<&'f ClientEndpoint, Verdict> {
    f.client_endpoint().as_ref().map_err(|u| {
        Verdict::fail(format!(
            "the docker CLI is set to use context {:?} ({}), which does not exist: \"Current context {:?} is not found on the file system\"",
            u.name, u.source, u.name
        ))
        .with_evidence(u.evidence.clone())
        .fix(use_rootless(f))
    })
}

fn endpoint(f: &Facts) -> Verdict {
    let r = match resolve(f) {
        Ok(r) => r,
        Err(v) => return v,
    };
    if f.targets_rootful() {
        return endpoint_rootful(f, r).with_evidence(r.evidence.clone());
    }
    let expected = f.rootless_socket();
    let url = r.endpoint.url();
    // DOCKER_HOST overrides every context: a context is no fix while it is set.
    let fix = || {
        if r.source == TLS_DEFAULT_SOURCE {
            return Remediation::text(format!(
                "No DOCKER_HOST and no context is set, but DOCKER_TLS_VERIFY (or DOCKER_TLS) is, and that alone makes the client's default tcp://localhost:2376 instead of a socket: `unset DOCKER_TLS_VERIFY DOCKER_TLS DOCKER_CERT_PATH` (left from docker-machine or a remote set-up), and take them out of your shell's start-up files; then point the client at your rootless daemon: `export DOCKER_HOST=unix://{expected}`."
            ))
            .by_hand("shell variables and your shell's start-up files");
        }
        if r.source != "DOCKER_HOST" {
            return use_rootless(f);
        }
        let set_in = f.docker_host_set_in();
        let place = if set_in.is_empty() {
            "where your session gets it (not from ~/.bashrc, ~/.bash_profile, ~/.profile, ~/.zshrc, ~/.zshenv, \
/etc/environment, /etc/profile or /etc/profile.d/*.sh)"
                .to_owned()
        } else {
            set_in.join("; ")
        };
        Remediation::text(format!(
            "DOCKER_HOST is set in your environment, and it overrides every docker context: `unset DOCKER_HOST` (then the \
client uses its context, or the default), and take it out of {place}; or point it at your rootless daemon: \
`export DOCKER_HOST=unix://{expected}`."
        ))
        .by_hand("an edit of your shell's start-up files, and a shell builtin")
    };
    let v = match &r.endpoint {
        Endpoint::Unix(p) if *p == expected => {
            Verdict::pass(format!("the docker CLI uses your rootless socket {url} (set by {})", r.source))
        }
        Endpoint::Unix(p) if ROOTFUL_SOCKETS.contains(&p.as_str()) => Verdict::fail(format!(
            "the docker CLI uses the rootful socket {url} (set by {}), not your rootless daemon at unix://{expected}: it reaches a rootful daemon there, or none (\"Cannot connect to the Docker daemon at {url}\")",
            r.source
        ))
        .fix(fix()),
        Endpoint::Unix(_) => Verdict::warn(format!(
            "the docker CLI uses {url} (set by {}), not your rootless daemon's socket unix://{expected}",
            r.source
        ))
        .fix(fix()),
        Endpoint::Tcp(_) => Verdict::warn(format!(
            "the docker CLI uses {url} (set by {}): a TCP daemon, not your rootless one",
            r.source
        ))
        .fix(fix()),
        Endpoint::Ssh(_) => Verdict::pass(format!(
            "the docker CLI uses a remote daemon over {url} (set by {}); this host's rootless daemon is not in use",
            r.source
        )),
        Endpoint::Other(_) => Verdict::fail(format!("the docker CLI's endpoint {url:?} (set by {}) is not a URL it can use", r.source))
            .fix(fix()),
    };
    v.with_evidence(r.evidence.clone())
}

/// `client.endpoint` for a run that judges the rootful daemon: the client should name it (the rootful socket, or
/// the TCP or SSH daemon it was pointed at); rootless mode is a note.
fn endpoint_rootful(f: &Facts, r: &ClientEndpoint) -> Verdict {
    let url = r.endpoint.url();
    let rootless = format!("unix://{}", f.rootless_socket());
    let to_default = || {
        Remediation::text(if r.source == "DOCKER_HOST" {
            "Drop DOCKER_HOST (`unset DOCKER_HOST`, and take it out of your shell's start-up files), so the client uses \
unix:///var/run/docker.sock:"
        } else {
            "Switch the client back to the default context, unix:///var/run/docker.sock:"
        })
        .step(Step::user(["docker", "context", "use", "default"]))
        .by_hand("DOCKER_HOST is a setting of your shell")
    };
    match &r.endpoint {
        Endpoint::Unix(p) if ROOTFUL_SOCKETS.contains(&p.as_str()) => Verdict::pass(format!(
            "the docker CLI uses the rootful daemon's socket {url} (set by {}); rootless mode would use {rootless} (`--target rootless` judges it)",
            r.source
        )),
        Endpoint::Tcp(_) | Endpoint::Ssh(_) => Verdict::pass(format!(
            "the docker CLI uses the daemon at {url} (set by {}); client.socket says whether it answers",
            r.source
        )),
        Endpoint::Unix(p) if *p == f.rootless_socket() => Verdict::warn(format!(
            "the docker CLI uses your rootless socket {url} (set by {}), while this run judges the rootful daemon at unix:///var/run/docker.sock (--target rootful)",
            r.source
        ))
        .fix(to_default()),
        Endpoint::Unix(_) => Verdict::warn(format!(
            "the docker CLI uses {url} (set by {}), not the rootful daemon's socket unix:///var/run/docker.sock",
            r.source
        ))
        .fix(to_default()),
        Endpoint::Other(_) => Verdict::fail(format!(
            "the docker CLI's endpoint {url:?} (set by {}) is not a URL it can use",
            r.source
        ))
        .fix(to_default()),
    }
}

/// Why the rootful socket refuses this user, from its owner and mode, the group database and this session's
/// groups, with the fix the documents give for each: the socket's group and mode, the docker group, a fresh login.
fn rootful_denied(
    f: &Facts,
    path: &str,
    meta: Option<&crate::facts::Meta>,
) -> (String, Remediation) {
    let url = format!("unix://{path}");
    let denied = format!(
        "\"permission denied while trying to connect to the Docker daemon socket at {url}\""
    );
    let docker_gid = f.docker_group().map(|(gid, _)| gid);
    if let (Some(m), Some(gid)) = (meta, docker_gid)
        && (m.gid != gid || m.mode & 0o060 != 0o060)
    {
        return (
            format!(
                "{denied}: the socket is {:04o} {}:{}, so the docker group cannot use it (dockerd makes it srw-rw---- root:docker)",
                m.mode, m.uid, m.gid
            ),
            Remediation::text(
                "Let dockerd recreate the socket with its own owner and mode (never chmod it 666); the restart stops every user's containers:",
            )
            .step(Step::root([
                "systemctl",
                "restart",
                "docker.socket",
                "docker.service",
            ]))
            .by_hand("restarting the system daemon stops every user's containers"),
        );
    }
    if docker_gid.is_none() {
        return (
            format!("{denied}: there is no docker group, so only root may use the rootful socket"),
            Remediation::text(
                "Create the docker group and restart the daemon (it gives the socket to the group), then join it:",
            )
            .step(Step::root(["groupadd", "docker"]))
            .step(Step::root(["systemctl", "restart", "docker.service"]))
            .steps(join_docker_group(f).steps)
            .by_hand("the group counts from your next login"),
        );
    }
    if !f.in_docker_group() {
        return (
            format!("{denied}: {} is not in the docker group", f.user.name),
            join_docker_group(f),
        );
    }
    if f.session_has_docker_group() == Some(false) {
        return (
            format!(
                "{denied}: {} is in the docker group in /etc/group, but this login session predates it",
                f.user.name
            ),
            Remediation::text("Log out and back in, or start a shell with the group now:")
                .step(Step::user(["newgrp", "docker"]))
                .by_hand("needs a new login, or starts a shell"),
        );
    }
    (
        format!(
            "{denied}, although {} is in the docker group and the socket is the group's (a security module may deny it: see the audit log)",
            f.user.name
        ),
        Remediation::text(
            "Read the kernel's audit log (`journalctl -k`, /var/log/audit/audit.log) for an AppArmor or SELinux denial of the socket.",
        ),
    )
}

fn socket(f: &Facts) -> Verdict {
    let r = match resolve(f) {
        Ok(r) => r,
        Err(_) => {
            return Verdict::skip("the client's endpoint does not resolve (see client.endpoint)");
        }
    };
    let Endpoint::Unix(path) = &r.endpoint else {
        return match f.remote_probe() {
            Some(p) => remote(f, r, p),
            None => Verdict::skip(format!(
                "the client's endpoint {} is neither a Unix socket nor a TCP or SSH address",
                r.endpoint.url()
            )),
        };
    };
    let url = r.endpoint.url();
    let meta = f.lstat(path);
    let mut evidence = vec![Evidence {
        source: path.clone(),
        detail: match &meta {
            Read::Ok(m) => format!(
                "{}, mode {:04o}, owner {}:{}",
                m.kind.describe(),
                m.mode,
                m.uid,
                m.gid
            ),
            Read::Missing => "missing".into(),
            Read::Failed(e) => format!("unreadable: {e}"),
        },
    }];
    if let Read::Ok(m) = &meta
        && m.kind != FileKind::Socket
    {
        return Verdict::fail(format!("{path} is a {}, not a socket", m.kind.describe()))
            .with_evidence(evidence)
            .fix(Remediation::text(format!(
                "Remove {path} (it is not a daemon's socket) and start the daemon."
            )));
    }
    // The daemon judged may listen elsewhere (`-H tcp://…:4200` only, another socket): the client is then pointed
    // there, not told to start a daemon that runs.
    let elsewhere: Vec<&Listener> = f
        .dockerd_listeners()
        .iter()
        .filter(|l| {
            l.url != "fd://"
                && !same_address(&l.url, &url)
                && if f.targets_rootful() {
                    !l.rootless
                } else {
                    l.rootless && Some(l.pid) == f.rootless_dockerd()
                }
        })
        .collect();
    match f.http_get(path, "/_ping") {
        Ok(resp) if resp.status == 200 => {
            let api = resp.header("api-version").map(|v| format!(" (API {v})")).unwrap_or_default();
            evidence.push(Evidence { source: format!("GET {url}/_ping"), detail: format!("{} {}", resp.status, resp.body_text().trim()) });
            Verdict::pass(format!("{url} answers{api}")).with_evidence(evidence)
        }
        Ok(resp) => Verdict::fail(format!("{url} answers /_ping with HTTP {}", resp.status))
            .evidence(format!("GET {url}/_ping"), resp.body_text())
            .with_evidence(evidence)
            .fix(Remediation::text("The daemon is up but unhealthy: read its log (journalctl --user -u docker, or the terminal it runs in).")),
        Err(e)
            if matches!(
                e.kind,
                std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused
            ) && !elsewhere.is_empty()
                && !path.ends_with(DESKTOP_SOCKET) =>
        {
            for l in &elsewhere {
                evidence.push(Evidence {
                    source: l.from.clone(),
                    detail: format!(
                        "{} listens on {}{}",
                        l.label,
                        l.url,
                        l.inode.map(|i| format!(" (socket inode {i})")).unwrap_or_default()
                    ),
                });
            }
            evidence.push(Evidence { source: format!("GET {url}/_ping"), detail: e.text.clone() });
            let urls: Vec<&str> = elsewhere.iter().map(|l| l.url.as_str()).collect();
            let first = elsewhere[0];
            let what = if e.kind == std::io::ErrorKind::NotFound {
                format!("nothing listens at {url} (no socket)")
            } else {
                format!("{path} is a stale socket: the file exists but no daemon listens")
            };
            Verdict::fail(format!(
                "{what}: \"Cannot connect to the Docker daemon at {url}. Is the docker daemon running?\"; yet {} runs and listens on {} only ({})",
                first.label,
                urls.join(", "),
                first.from
            ))
            .with_evidence(evidence)
            .fix(point_client_at(&first.url, if first.rootless { "rootless" } else { "rootful" }))
        }
        Err(e) if f.targets_rootful() && ROOTFUL_SOCKETS.contains(&path.as_str()) => {
            let (summary, fix) = match e.kind {
                std::io::ErrorKind::PermissionDenied => rootful_denied(f, path, meta.ok()),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused => (
                    format!(
                        "\"Cannot connect to the Docker daemon at {url}. Is the docker daemon running?\": {}",
                        if e.kind == std::io::ErrorKind::NotFound { "no socket, the system daemon is not running" } else { "a stale socket, no daemon listens on it" }
                    ),
                    start_rootful(f),
                ),
                _ => (
                    format!("{url} does not answer: {}", e.text),
                    Remediation::text("The system daemon hangs: read its log (`journalctl -u docker.service`), and restart it (every container of every user stops):")
                        .step(Step::root(["systemctl", "restart", "docker.service"]))
                        .by_hand("restarting the system daemon stops every user's containers"),
                ),
            };
            evidence.push(Evidence { source: format!("GET {url}/_ping"), detail: e.text.clone() });
            Verdict::fail(summary).with_evidence(evidence).fix(fix)
        }
        Err(e) => {
            let (summary, fix) = match e.kind {
                std::io::ErrorKind::NotFound => (
                    format!("nothing listens at {url} (no socket): \"Cannot connect to the Docker daemon at {url}. Is the docker daemon running?\" — the daemon is not running"),
                    bring_back(f, path, false),
                ),
                std::io::ErrorKind::ConnectionRefused => (
                    format!("{path} is a stale socket: the file exists but no daemon listens (it died without cleaning up); the CLI says \"Cannot connect to the Docker daemon at {url}\""),
                    bring_back(f, path, true),
                ),
                std::io::ErrorKind::PermissionDenied => (
                    format!("\"permission denied while trying to connect to the Docker daemon socket at {url}\": the socket is not yours to open — a permission problem, not a stopped service"),
                    use_rootless(f),
                ),
                _ => (
                    format!("{url} does not answer: {}", e.text),
                    Remediation::text("The daemon hangs: restart it (systemctl --user restart docker, or stop and start dockerd-rootless.sh)."),
                ),
            };
            evidence.push(Evidence { source: format!("GET {url}/_ping"), detail: e.text.clone() });
            Verdict::fail(summary).with_evidence(evidence).fix(fix)
        }
    }
}

/// A `tcp://` or `ssh://` endpoint, told apart by how far the probe got: not an address, a name not resolved, an
/// unreachable host, a refused port, a connect or a reply that never came, something that is not a daemon, a TLS
/// daemon asked in plain HTTP, a daemon that answers, an SSH server.
fn remote(f: &Facts, r: &ClientEndpoint, p: &RemoteProbe) -> Verdict {
    use std::io::ErrorKind;
    let url = r.endpoint.url();
    let target = &p.target;
    let client_tls = f.client_tls();
    let (tls, tls_evidence) = (client_tls.on, client_tls.evidence.clone());
    let mut evidence = r.evidence.clone();
    let what = if p.ssh { "SSH" } else { "Docker API" };
    let check_by_hand = || {
        Remediation::text(format!(
            "Check the address, that the {what} server runs there, and that no firewall drops the port: `docker -H {} version` shows the client's own error.{}",
            crate::model::shell_quote(&url),
            if r.source == TLS_DEFAULT_SOURCE {
                " No DOCKER_HOST is set: DOCKER_TLS_VERIFY (or DOCKER_TLS) alone made the client use tcp://localhost:2376; `unset DOCKER_TLS_VERIFY DOCKER_TLS DOCKER_CERT_PATH` if they are left from another set-up (docker-machine, a remote daemon)."
            } else {
                ""
            }
        ))
    };
    let reply = match &p.outcome {
        Reached::BadAddress(e) => {
            return Verdict::fail(format!(
                "the client's endpoint {url} is not an address the CLI can use: {e}"
            ))
            .with_evidence(evidence)
            .fix(check_by_hand());
        }
        Reached::NotProbed(why) => {
            return Verdict::skip(format!("{url} not probed: {why}")).with_evidence(evidence);
        }
        Reached::NotResolved(name) => {
            return Verdict::skip(format!(
                "{url} names the host {name:?}: the doctor resolves no names (a lookup cannot be bounded in time), so it did not probe it; `docker -H {url} version` tells"
            ))
            .with_evidence(evidence);
        }
        Reached::Failed { kind, text } => {
            evidence.push(Evidence {
                source: format!("connect {target}"),
                detail: text.clone(),
            });
            let summary = match kind {
                ErrorKind::ConnectionRefused => format!(
                    "{target} refuses the connection: the host is up but nothing listens on that port ({url})"
                ),
                ErrorKind::TimedOut => format!(
                    "{target} does not answer the connection within 3 s: the host is down, or a firewall drops the port ({url})"
                ),
                ErrorKind::HostUnreachable | ErrorKind::NetworkUnreachable => {
                    format!("{target} is unreachable ({text}): no route to the host of {url}")
                }
                _ => format!("{url} cannot be reached: {text}"),
            };
            return Verdict::fail(summary)
                .with_evidence(evidence)
                .fix(check_by_hand());
        }
        Reached::Reply(reply) => reply,
    };
    let text = String::from_utf8_lossy(&reply.bytes);
    let first = text
        .lines()
        .next()
        .unwrap_or("")
        .chars()
        .take(120)
        .collect::<String>();
    evidence.push(Evidence {
        source: if p.ssh {
            format!("banner of {target}")
        } else {
            format!("GET {url}/_ping")
        },
        detail: if reply.bytes.is_empty() {
            if reply.silent {
                "connected; nothing came back within 3 s".into()
            } else {
                "connected; closed without a reply".into()
            }
        } else {
            crate::model::escape_controls(&first).into_owned()
        },
    });
    if p.ssh {
        return if first.starts_with("SSH-") {
            Verdict::pass(format!(
                "an SSH server answers at {target} ({}); the doctor does not log in: `docker -H {url} version` runs `docker system dial-stdio` there",
                crate::model::escape_controls(first.trim())
            ))
            .with_evidence(evidence)
        } else {
            Verdict::fail(format!("{target} accepts the connection but is not an SSH server (no SSH banner within 3 s)"))
                .with_evidence(evidence)
                .fix(check_by_hand())
        };
    }
    if reply.bytes.is_empty() {
        return Verdict::fail(if reply.silent {
            format!("{target} accepts the connection but answers nothing to GET /_ping within 3 s: not a Docker daemon, or a hung one")
        } else {
            format!("{target} accepts the connection and closes it without a reply: not a Docker daemon")
        })
        .with_evidence(evidence)
        .fix(check_by_hand());
    }
    evidence.push(tls_evidence);
    match crate::parse::http::parse_response(&reply.bytes) {
        Ok(resp) if resp.status == 200 && resp.body_text().trim() == "OK" => {
            let api = resp.header("api-version").map(|v| format!(" (API {v})")).unwrap_or_default();
            let api = crate::model::escape_controls(&api).into_owned();
            if tls {
                return Verdict::warn(format!(
                    "a Docker daemon answers at {url}{api} in plain HTTP, but the client verifies TLS: its handshake fails"
                ))
                .with_evidence(evidence)
                .fix(Remediation::text(
                    "Either the daemon is not the one you meant, or it runs without TLS: start it with --tlsverify and its certificates, or drop DOCKER_TLS_VERIFY for a daemon that is only on loopback.",
                ));
            }
            Verdict::pass(format!("a Docker daemon answers at {url}{api}")).with_evidence(evidence)
        }
        Ok(resp) if resp.body_text().contains("HTTP request to an HTTPS server") => {
            if tls {
                handshake(&url, target, &client_tls, p.tls.as_ref(), evidence)
            } else {
                Verdict::fail(format!(
                    "the daemon at {url} requires TLS, and the client does not use it: \"Client sent an HTTP request to an HTTPS server.\""
                ))
                .with_evidence(evidence)
                .fix(Remediation::text(
                    "Turn on TLS in the client: `export DOCKER_TLS_VERIFY=1` with DOCKER_CERT_PATH naming the directory of ca.pem, cert.pem and key.pem (or a context created with `--docker host=…,ca=…,cert=…,key=…`).",
                ))
            }
        }
        Ok(resp) => Verdict::fail(format!("{url} answers GET /_ping with HTTP {}: not a healthy Docker daemon", resp.status))
            .with_evidence(evidence)
            .fix(check_by_hand()),
        Err(_) if tls && reply.bytes[0] == 0x15 => {
            handshake(&url, target, &client_tls, p.tls.as_ref(), evidence)
        }
        Err(_) if reply.bytes[0] == 0x15 => Verdict::fail(format!(
            "{target} answers with a TLS alert: a TLS server, not a Docker daemon answering plain HTTP"
        ))
        .with_evidence(evidence)
        .fix(check_by_hand()),
        Err(_) => Verdict::fail(format!("{target} answers, but not in HTTP: not a Docker daemon ({})", crate::model::escape_controls(&first)))
            .with_evidence(evidence)
            .fix(check_by_hand()),
    }
}

/// Docker's page on TLS for the daemon socket: the certificates, the client's files.
const PROTECT_ACCESS: &str = "https://docs.docker.com/engine/security/protect-access/";

/// The directory of the client's TLS files.
fn tls_dir(tls: &ClientTls) -> String {
    tls.ca
        .as_deref()
        .or(tls.cert_key.as_ref().map(|(c, _)| c.as_str()))
        .or(tls.missing.first().map(String::as_str))
        .and_then(|p| p.rsplit_once('/').map(|(d, _)| d.to_owned()))
        .unwrap_or_else(|| "the directory DOCKER_CERT_PATH names".to_owned())
}

/// What the CLI says when the files it needs for TLS are not there.
fn missing_tls_files(url: &str, tls: &ClientTls) -> String {
    format!(
        "the client uses TLS for {url} but cannot find {}: the CLI refuses to connect (\"unable to resolve docker endpoint: open {}: no such file or directory\")",
        tls.missing.join(" and "),
        tls.missing.first().map_or("", String::as_str)
    )
}

/// The verdict on a TLS server at the client's `tcp://` endpoint, from the handshake made with the client's files.
fn handshake(
    url: &str,
    target: &str,
    tls: &ClientTls,
    probe: Option<&TlsProbe>,
    mut evidence: Vec<Evidence>,
) -> Verdict {
    use crate::parse::openssl::Handshake;
    let Some(probe) = probe else {
        return Verdict::pass(format!(
            "a TLS server answers at {url} (it refused plain HTTP, as a TLS daemon does)"
        ))
        .with_evidence(evidence);
    };
    if !probe.command.is_empty() {
        evidence.push(Evidence {
            source: "TLS handshake".into(),
            detail: crate::model::escape_controls(&probe.command).into_owned(),
        });
    }
    let docs = PROTECT_ACCESS;
    let dir = tls_dir(tls);
    let by_hand = Remediation::text(format!(
        "`docker -H {} --tlsverify version` shows the client's own error; the certificates' set-up is in {docs}",
        crate::model::shell_quote(url)
    ));
    let outcome = match &probe.outcome {
        TlsOutcome::NotMade(_) if !tls.missing.is_empty() => {
            return Verdict::skip(format!(
                "a TLS server answers at {url}, but no handshake was made: {} (see client.tls)",
                missing_tls_files(url, tls)
            ))
            .with_evidence(evidence);
        }
        TlsOutcome::NotMade(why) => {
            return Verdict::pass(format!(
                "a TLS server answers at {url} (it refused plain HTTP, as a TLS daemon does); its certificates were not checked: {why}"
            ))
            .with_evidence(evidence);
        }
        TlsOutcome::TimedOut => {
            return Verdict::fail(format!(
                "{target} accepts TLS connections but the handshake and GET /_ping did not finish within 3 s: a hung daemon, or not a Docker daemon"
            ))
            .with_evidence(evidence)
            .fix(by_hand);
        }
        TlsOutcome::Done(h) => h,
    };
    let who = |client_cert: bool| {
        if client_cert {
            "the client's certificate"
        } else {
            "no client certificate"
        }
    };
    match outcome {
        Handshake::Answered(bytes) => {
            let first = String::from_utf8_lossy(bytes).lines().next().unwrap_or("").chars().take(120).collect::<String>();
            evidence.push(Evidence {
                source: format!("GET {url}/_ping over TLS"),
                detail: crate::model::escape_controls(&first).into_owned(),
            });
            match crate::parse::http::parse_response(bytes) {
                Ok(resp) if resp.status == 200 && resp.body_text().trim() == "OK" => {
                    let api = resp.header("api-version").map(|v| format!(" (API {v})")).unwrap_or_default();
                    Verdict::pass(format!(
                        "a Docker daemon answers at {url}{} over TLS, {}, with {}",
                        crate::model::escape_controls(&api),
                        if tls.verify { "verifying the server's certificate" } else { "not verifying the server's certificate (as the client is set: see client.tls)" },
                        who(tls.cert_key.is_some())
                    ))
                    .with_evidence(evidence)
                }
                Ok(resp) => Verdict::fail(format!(
                    "{url} completes the TLS handshake but answers GET /_ping with HTTP {}: not a healthy Docker daemon",
                    resp.status
                ))
                .with_evidence(evidence)
                .fix(by_hand),
                Err(_) => Verdict::fail(format!(
                    "{url} completes the TLS handshake but answers GET /_ping not in HTTP: not a Docker daemon"
                ))
                .with_evidence(evidence)
                .fix(by_hand),
            }
        }
        Handshake::Silent => Verdict::fail(format!(
            "{url} completes the TLS handshake and answers nothing to GET /_ping: not a Docker daemon, or a hung one"
        ))
        .with_evidence(evidence)
        .fix(by_hand),
        Handshake::Unverified { code, text } => {
            let text = crate::model::escape_controls(text);
            let ca = tls.ca.as_deref().unwrap_or("the system's CA store");
            let fix = match code {
                // unable to get issuer certificate (locally), self-signed, self-signed in chain, unable to verify leaf
                2 | 18 | 19 | 20 | 21 => format!(
                    "The daemon's certificate is not signed by the CA the client trusts ({ca}). Copy the CA that signed the daemon's certificate (the file its --tlscacert names) to {}, or point the client at the right directory ({docs}).",
                    tls.ca.as_deref().unwrap_or("ca.pem beside your client certificate")
                ),
                62 | 64 => format!(
                    "The daemon's certificate does not name the address the client connects to ({target}). Issue it again with a subjectAltName for it (`IP:…` for an address, `DNS:…` for a name, {docs}), or connect by a name or address the certificate holds."
                ),
                9 | 10 => "The daemon's certificate is outside its validity period: issue a new one, and check both machines' clocks.".to_owned(),
                _ => format!("Issue the daemon's certificate again as {docs} shows, or correct the client's CA ({ca})."),
            };
            Verdict::fail(format!(
                "the client refuses the daemon's certificate at {url}: {text} (OpenSSL verify error {code}); the CLI fails the same way (\"tls: failed to verify certificate: x509: …\")"
            ))
            .with_evidence(evidence)
            .fix(Remediation::text(fix))
        }
        Handshake::Alert(alert) => {
            let has_cert = tls.cert_key.is_some();
            // OpenSSL's names of the alerts a Go server sends, and the words Go's client prints for them.
            let go = match alert.as_str() {
                "unknown ca" => "unknown certificate authority",
                "protocol version" => "protocol version not supported",
                "certificate unknown" => "unknown certificate",
                "unsupported certificate" => "unsupported certificate",
                "certificate expired" => "expired certificate",
                "certificate revoked" => "revoked certificate",
                other => other,
            };
            let go = crate::model::escape_controls(go);
            let about_the_certificate = matches!(
                alert.as_str(),
                "bad certificate"
                    | "certificate required"
                    | "unknown ca"
                    | "certificate unknown"
                    | "unsupported certificate"
                    | "certificate expired"
                    | "certificate revoked"
            );
            let fix = match (about_the_certificate, has_cert) {
                (true, true) => format!(
                    "The daemon trusts another CA for its clients (its --tlscacert), or your certificate is not valid for a client (extendedKeyUsage = clientAuth): have it issued by that CA, or use the cert.pem and key.pem issued for this daemon ({docs})."
                ),
                (true, false) => format!(
                    "The daemon runs with --tlsverify and admits only clients with a certificate signed by its CA: put cert.pem and key.pem beside ca.pem in {dir} ({docs})."
                ),
                (false, _) => format!(
                    "The daemon and the client agree on no TLS version or cipher: the daemon's tls options (or its Go version) and this client's must overlap; {docs}"
                ),
            };
            let alert = crate::model::escape_controls(alert);
            Verdict::fail(format!(
                "the daemon at {url} refuses the client in the TLS handshake (alert \"{alert}\") with {}: the CLI fails with \"remote error: tls: {go}\"",
                who(has_cert)
            ))
            .with_evidence(evidence)
            .fix(Remediation::text(fix))
        }
        Handshake::EncryptedKey => {
            let key = tls
                .cert_key
                .as_ref()
                .map_or("key.pem", |(_, k)| k.as_str());
            Verdict::fail(format!(
                "the client's key {key} is protected by a passphrase: the docker CLI cannot use it and stops before connecting (\"failed to retrieve context tls info: tls: failed to parse private key\"; newer CLIs: \"private key is encrypted\")"
            ))
            .with_evidence(evidence)
            .fix(Remediation::text(format!(
                "Store the key without a passphrase, readable only by you: `openssl pkey -in {} -out key.pem` (it asks the passphrase once), then `chmod 0400 key.pem` ({docs}).",
                crate::model::shell_quote(key)
            )))
        }
        Handshake::NotTls(why) => Verdict::fail(format!(
            "{target} refused plain HTTP, yet does not speak TLS either ({}): not a Docker daemon",
            crate::model::escape_controls(why)
        ))
        .with_evidence(evidence)
        .fix(by_hand),
        Handshake::LocalFiles(line) => Verdict::fail(format!(
            "the client's TLS files cannot be used: {}",
            crate::model::escape_controls(line)
        ))
        .with_evidence(evidence)
        .fix(Remediation::text(format!(
            "Check that ca.pem, cert.pem and key.pem in {dir} are readable PEM files and that key.pem is the key of cert.pem ({docs})."
        ))),
        Handshake::Other(line) => Verdict::fail(format!(
            "the TLS handshake with {url} fails: {}",
            crate::model::escape_controls(line)
        ))
        .with_evidence(evidence)
        .fix(by_hand),
    }
}

/// What brings a dead socket back depends on whose it is: the rootless daemon's is started (a stale file removed),
/// Docker Desktop's or the system daemon's belongs to them, and any other is not one to revive.
fn bring_back(f: &Facts, path: &str, stale: bool) -> Remediation {
    /// "Start the …" → "start the …", to follow "then".
    fn lower_first(text: &str) -> String {
        let mut chars = text.chars();
        chars
            .next()
            .map_or_else(String::new, |c| c.to_lowercase().chain(chars).collect())
    }
    if path == f.rootless_socket() {
        let start = start_daemon(f);
        if !stale {
            return start;
        }
        // The stale file goes first: removing it after the start would remove the new daemon's socket.
        return Remediation {
            text: format!("Remove the stale socket, then {}", lower_first(&start.text)),
            steps: std::iter::once(Step::remove(false, path))
                .chain(start.steps)
                .collect(),
            by_hand: start.by_hand,
        };
    }
    if path.ends_with(DESKTOP_SOCKET) {
        return Remediation::text(
            "Docker Desktop owns this socket and is not running: start Docker Desktop (the app, or its user service), \
or point the client at your rootless daemon (client.endpoint's fix).",
        )
        .step(Step::user(["systemctl", "--user", "start", "docker-desktop"]));
    }
    let rootless = use_rootless(f);
    let whose = if ROOTFUL_SOCKETS.contains(&path) {
        "The system daemon owns this socket and is not running (`sudo systemctl start docker` starts it, if you want it)."
    } else {
        "No daemon of yours is expected at this socket."
    };
    Remediation {
        text: format!("{whose} {}", rootless.text),
        ..rootless
    }
}

fn tls(f: &Facts) -> Verdict {
    let r = match resolve(f) {
        Ok(r) => r,
        Err(_) => {
            return Verdict::skip("the client's endpoint does not resolve (see client.endpoint)");
        }
    };
    let url = r.endpoint.url();
    let mut evidence = r.evidence.clone();
    let tls = f.client_tls();
    // The CLI reads its TLS files before it looks at the endpoint's scheme: a missing CA breaks a unix:// one too.
    if tls.on {
        evidence.push(tls.evidence.clone());
    }
    let Endpoint::Tcp(addr) = &r.endpoint else {
        if !tls.missing.is_empty() {
            return Verdict::fail(missing_tls_files(&url, &tls))
                .with_evidence(evidence)
                .fix(Remediation::text(
                    "Unset DOCKER_TLS_VERIFY and DOCKER_TLS for a Unix socket (`unset DOCKER_TLS_VERIFY DOCKER_TLS`), or give the CLI the CA file it looks for.",
                ));
        }
        return Verdict::pass(format!("the client's endpoint {url} is not plain TCP"))
            .with_evidence(evidence);
    };
    if !tls.on {
        evidence.push(tls.evidence.clone());
    }
    if !tls.missing.is_empty() {
        return Verdict::fail(missing_tls_files(&url, &tls))
            .with_evidence(evidence)
            .fix(Remediation::text(format!(
                "{}Copy the daemon's CA certificate (ca.pem) and your client certificate and key (cert.pem, key.pem) into {}, or point DOCKER_CERT_PATH at the directory that holds them ({PROTECT_ACCESS}).",
                if r.source == TLS_DEFAULT_SOURCE {
                    "No DOCKER_HOST is set, so these TLS variables are most likely left from another set-up: `unset DOCKER_TLS_VERIFY DOCKER_TLS DOCKER_CERT_PATH`. For a TLS daemon: "
                } else {
                    ""
                },
                tls_dir(&tls)
            )));
    }
    if tls.verify {
        return Verdict::pass(format!("{url} is used with TLS verification"))
            .with_evidence(evidence);
    }
    let host = addr.rsplit_once(':').map_or(addr.as_str(), |(h, _)| h);
    let local = matches!(host, "127.0.0.1" | "localhost" | "[::1]" | "::1");
    let why = match (tls.on, r.context.is_some()) {
        (true, true) => "the context sets SkipTLSVerify",
        (true, false) => "DOCKER_TLS without DOCKER_TLS_VERIFY",
        (false, true) => "the context holds no TLS material",
        (false, false) => "no DOCKER_TLS_VERIFY",
    };
    Verdict::warn(format!(
        "the client uses {url} (set by {}) without TLS verification ({why}): {}the client cannot tell whose daemon answers{}",
        r.source,
        if tls.on { "" } else { "commands travel in clear text, and " },
        if local { "; on loopback, every local user can reach that daemon too" } else { "" }
    ))
    .with_evidence(evidence)
    .fix(Remediation::text(match (&r.context, tls.on) {
        (Some(name), true) => format!(
            "Verify the daemon: store its CA in the context and drop skip-tls-verify (`docker context update {} --docker {}`, {PROTECT_ACCESS}), or use SSH (`ssh://user@host`); for this host's rootless daemon, its Unix socket:",
            crate::model::shell_quote(name),
            crate::model::shell_quote(&format!("host={url},ca=/path/to/ca.pem,cert=/path/to/cert.pem,key=/path/to/key.pem"))
        ),
        (None, true) => format!(
            "Verify the daemon: `export DOCKER_TLS_VERIFY=1` with the daemon's CA as ca.pem beside cert.pem and key.pem in DOCKER_CERT_PATH ({PROTECT_ACCESS}), or use SSH (`DOCKER_HOST=ssh://user@host`); for this host's rootless daemon, its Unix socket:"
        ),
        _ => format!(
            "Use SSH (`DOCKER_HOST=ssh://user@host`) or TLS (`DOCKER_TLS_VERIFY=1` with DOCKER_CERT_PATH holding ca.pem, cert.pem and key.pem, {PROTECT_ACCESS}); for this host's rootless daemon, its Unix socket:"
        ),
    })
    .steps(use_rootless(f).steps))
}

/// The fix for a config directory `sudo docker` left to root: what `chown -R USER:GID DIR` and
/// `chmod -R u+rwX DIR` would change, one typed step per file (so `fix --undo` can restore each), for every
/// file below `dir` the user can list; symbolic links are left alone, as `chown -R` leaves their targets.
fn give_back(f: &Facts, dir: &str) -> Remediation {
    /// The most files the walk looks at: a real ~/.docker holds tens; a directory a user filled with half a
    /// million files would otherwise cost root's run a step (and its memory) for each.
    const WALK_MAX: usize = 4096;
    let owner = format!("{}:{}", f.user.name, f.user.gid);
    let mut steps = Vec::new();
    let mut unlisted = Vec::new();
    let mut todo = vec![dir.to_owned()];
    let mut seen = 0;
    while let Some(path) = todo.pop() {
        seen += 1;
        if seen > WALK_MAX {
            unlisted.push(format!("the rest of {dir} (more than {WALK_MAX} files)"));
            break;
        }
        let Read::Ok(m) = f.lstat(&path) else {
            continue;
        };
        if m.kind == FileKind::Symlink {
            continue;
        }
        if m.uid != f.user.uid || m.gid != f.user.gid {
            steps.push(Step::set_owner(path.as_str(), owner.as_str()));
        }
        // u+rwX: read and write for the owner, and search (x) for a directory or a file someone may run.
        let x = if m.kind == FileKind::Dir || m.mode & 0o111 != 0 {
            0o100
        } else {
            0
        };
        let mode = m.mode | 0o600 | x;
        if mode != m.mode {
            steps.push(Step::set_mode(true, path.as_str(), mode));
        }
        if m.kind == FileKind::Dir {
            match f.read_dir(&path) {
                Read::Ok(mut names) => {
                    names.sort();
                    todo.extend(names.iter().rev().map(|n| format!("{path}/{n}")));
                }
                _ => unlisted.push(path),
            }
        }
    }
    let mut text = format!(
        "Give {dir} back to {} (it was created by `sudo docker`):",
        f.user.name
    );
    if !unlisted.is_empty() {
        text = format!(
            "Give {dir} back to {} (it was created by `sudo docker`). You cannot list {} yet: once these steps \
are done, run the check again for what is inside.",
            f.user.name,
            unlisted.join(", ")
        );
    }
    Remediation::text(text).steps(steps)
}

fn config_dir(f: &Facts) -> Verdict {
    let dir = docker_config_dir(f);
    let config = format!("{dir}/config.json");
    let uid = f.user.uid;
    let meta = match f.lstat(&dir) {
        Read::Ok(m) => m,
        Read::Missing => {
            return Verdict::pass(format!(
                "{dir} does not exist yet: the client creates it as you"
            ));
        }
        Read::Failed(e) => return unreadable(&dir, &e),
    };
    let mut evidence = vec![Evidence {
        source: dir.clone(),
        detail: format!(
            "{}, mode {:04o}, owner {}:{}",
            meta.kind.describe(),
            meta.mode,
            meta.uid,
            meta.gid
        ),
    }];
    let config_meta = f.lstat(&config);
    if let Read::Ok(m) = &config_meta {
        evidence.push(Evidence {
            source: config.clone(),
            detail: format!("mode {:04o}, owner {}:{}", m.mode, m.uid, m.gid),
        });
    }
    let fix = || give_back(f, &dir);
    let foreign_config = matches!(&config_meta, Read::Ok(m) if m.uid != uid);
    if meta.uid != uid {
        // Traversal needs x for "other" (or the group) when the directory is not ours.
        let enterable = meta.mode & 0o001 != 0;
        let summary = if enterable {
            format!(
                "{dir} belongs to uid {}, not {} ({uid}): the client can read it but not write it, so `docker login` and `docker context use` fail",
                meta.uid, f.user.name
            )
        } else {
            format!(
                "{dir} belongs to uid {}, not {} ({uid}): \"WARNING: Error loading config file: {config} - stat {config}: permission denied\"",
                meta.uid, f.user.name
            )
        };
        return Verdict::fail(summary).with_evidence(evidence).fix(fix());
    }
    if foreign_config {
        let readable = matches!(&config_meta, Read::Ok(m) if m.mode & 0o004 != 0);
        let summary = if readable {
            format!(
                "{config} belongs to another user: the client reads it but cannot save to it (`docker login`, `docker context use` fail)"
            )
        } else {
            format!(
                "{config} belongs to another user and is unreadable: \"WARNING: Error loading config file: {config} - open {config}: permission denied\""
            )
        };
        return Verdict::fail(summary).with_evidence(evidence).fix(fix());
    }
    Verdict::pass(format!("{dir} belongs to {}", f.user.name)).with_evidence(evidence)
}

#[cfg(test)]
mod tests {
    use crate::checks::test_support::{check, fix, steps};
    use crate::model::Status;

    const CONTEXT_STEPS: [&str; 2] = [
        "docker context create rootless --docker host=unix:///run/user/1000/docker.sock",
        "docker context use rootless",
    ];

    #[test]
    fn endpoint_set_by_docker_host_to_the_rootless_socket_passes() {
        let v = check("debian-12-daemon", "client.endpoint");
        assert_eq!(v.status, Status::Pass, "{}", v.summary);
        assert!(v.summary.contains("(set by DOCKER_HOST)"), "{}", v.summary);
    }

    #[test]
    fn endpoint_falling_back_to_the_rootful_socket_fails_with_the_context_fix() {
        let v = check("debian-12-daemon-client-falls-back", "client.endpoint");
        assert_eq!(v.status, Status::Fail);
        assert!(
            v.summary
                .contains("the rootful socket unix:///var/run/docker.sock"),
            "{}",
            v.summary
        );
        assert_eq!(steps(&v), CONTEXT_STEPS);
    }

    #[test]
    fn endpoint_of_a_missing_context_fails_as_the_cli_does() {
        let v = check("debian-12-daemon-context-missing", "client.endpoint");
        assert_eq!(v.status, Status::Fail);
        assert!(
            v.summary
                .contains(r#"context "rootless" (DOCKER_CONTEXT), which does not exist"#),
            "{}",
            v.summary
        );
        assert_eq!(steps(&v), CONTEXT_STEPS);
    }

    #[test]
    fn someone_elses_socket_is_a_permission_problem_not_a_stopped_service() {
        let v = check("debian-12-daemon-someone-elses-socket", "client.socket");
        assert_eq!(v.status, Status::Fail);
        assert!(v.summary.contains("permission denied"), "{}", v.summary);
        assert_eq!(steps(&v), CONTEXT_STEPS);
    }

    /// `chown -R` and `chmod -R u+rwX` as one typed step per file that needs it: here the directory and
    /// config.json belong to root, and their modes already let the owner read and write.
    #[test]
    fn a_config_dir_left_to_root_is_given_back_file_by_file() {
        let v = check("debian-12-rootful-exposed", "client.config_dir");
        assert_eq!(v.status, Status::Fail, "{}", v.summary);
        assert_eq!(
            steps(&v),
            [
                "sudo chown alice:1000 /home/alice/.docker",
                "sudo chown alice:1000 /home/alice/.docker/config.json",
            ]
        );
        assert!(fix(&v).by_hand.is_none());
    }

    /// 394ba0f: the fix removed the stale socket after starting the daemon, which removed the new daemon's socket.
    #[test]
    fn regression_stale_socket_removed_before_start() {
        let v = check("debian-12-daemon-killed", "client.socket");
        assert_eq!(v.status, Status::Fail);
        assert!(v.summary.contains("is a stale socket"), "{}", v.summary);
        assert!(
            fix(&v).text.starts_with("Remove the stale socket, then "),
            "{}",
            fix(&v).text
        );
        // This host has no docker user service (daemon.user_unit): it is written, enabled and started (Debian's
        // setup tool cannot work from /usr/share/docker.io/contrib).
        assert_eq!(
            steps(&v),
            [
                "rm -- /run/user/1000/docker.sock",
                "tee /home/alice/.config/systemd/user/docker.service",
                "systemctl --user daemon-reload",
                "systemctl --user enable --now docker.service",
            ]
        );
    }
}
