//! The docker client's endpoint, resolved in the CLI's own order, and the sockets it may name.

use sha2::Digest;

use super::{Facts, Read};
use crate::model::Evidence;
use crate::parse::docker_config::{self, Endpoint};

/// The sockets a rootful daemon listens on.
pub const ROOTFUL_SOCKETS: &[&str] = &["/var/run/docker.sock", "/run/docker.sock"];
/// Docker Desktop for Linux's socket, below the user's home (its `desktop-linux` context points at it).
pub const DESKTOP_SOCKET: &str = "/.docker/desktop/docker.sock";

/// Which daemon a run judges, as asked (`--target`); rootless mode unless a command sets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TargetChoice {
    #[default]
    Rootless,
    Rootful,
    /// The daemon the user's client deliberately targets (see [`Facts::target`]).
    Auto,
}

/// The kind of daemon a run judges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Daemon {
    /// The user's own daemon in rootless mode.
    Rootless,
    /// The system's daemon (`/var/run/docker.sock`), or a daemon the client names over TCP or SSH.
    Rootful,
}

/// The daemon a run judges and why, for the report.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Target {
    pub daemon: Daemon,
    pub why: String,
}

impl Facts<'_> {
    /// Sets which daemon to judge (`check --target`, `fix --target`); before the first [`Facts::target`].
    pub fn choose_target(&mut self, choice: TargetChoice) {
        self.target_choice = choice;
    }

    /// The daemon this run judges. `--target` decides when given; `auto` takes the rootful daemon when the client
    /// deliberately targets it and the user runs no rootless daemon: DOCKER_HOST or a context naming the rootful
    /// socket or a `tcp://`/`ssh://` daemon; or the default socket for root, or for a member of the docker group.
    /// Anything else (the rootless socket, a rootless daemon running, the default socket without the group, a
    /// context the CLI cannot find) is rootless mode.
    pub fn target(&self) -> &Target {
        self.derived.target.get_or_init(|| judge_target(self))
    }

    /// Whether this run judges the rootful daemon.
    pub fn targets_rootful(&self) -> bool {
        self.target().daemon == Daemon::Rootful
    }

    /// The docker group's entry in the group database: its gid and members.
    pub fn docker_group(&self) -> Option<(u32, Vec<&str>)> {
        self.group_by_name("docker")
            .map(|g| (g.gid, g.members.to_vec()))
    }

    /// Whether the docker group's database entry lists the user (or is their primary group).
    pub fn in_docker_group(&self) -> bool {
        self.docker_group().is_some_and(|(gid, members)| {
            gid == self.user.gid || members.contains(&self.user.name.as_str())
        })
    }

    /// Whether this login session has the docker group; `None` when it is not the user's own session (root
    /// judging them) or there is no docker group.
    pub fn session_has_docker_group(&self) -> Option<bool> {
        let (gid, _) = self.docker_group()?;
        self.is_own_session()
            .then(|| self.identity.gid == gid || self.identity.groups.contains(&gid))
    }

    /// The endpoint the docker CLI will use (DOCKER_HOST, DOCKER_CONTEXT, config.json, the default), resolved once.
    pub fn client_endpoint(&self) -> &Result<ClientEndpoint, UnknownContext> {
        self.derived.client_endpoint.get_or_init(|| resolve(self))
    }

    /// Whether the user's client uses the rootful socket.
    pub fn client_uses_rootful(&self) -> bool {
        self.client_endpoint().as_ref().is_ok_and(
            |r| matches!(&r.endpoint, Endpoint::Unix(p) if ROOTFUL_SOCKETS.contains(&p.as_str())),
        )
    }

    /// The lines of the usual shell start-up files that set DOCKER_HOST (`DOCKER_HOST=…`, `export DOCKER_HOST=…`,
    /// uncommented), as `file:line: text`: the user's ~/.bashrc, ~/.bash_profile, ~/.profile, ~/.zshrc and
    /// ~/.zshenv, then /etc/environment, /etc/profile and /etc/profile.d/*.sh, each read as the user would (capped,
    /// regular files only, through the judged user's view).
    pub fn docker_host_set_in(&self) -> Vec<String> {
        let home = self.user.home.trim_end_matches('/');
        let mut files: Vec<String> = docker_config::HOME_STARTUP_FILES
            .iter()
            .map(|n| format!("{home}/{n}"))
            .collect();
        files.push("/etc/environment".to_owned());
        files.push("/etc/profile".to_owned());
        if let Read::Ok(mut names) = self.read_dir("/etc/profile.d") {
            names.sort();
            files.extend(
                names
                    .into_iter()
                    .filter(|n| n.ends_with(".sh"))
                    .map(|n| format!("/etc/profile.d/{n}")),
            );
        }
        let mut found = Vec::new();
        for file in files {
            let Read::Ok(text) = self.read(&file) else {
                continue;
            };
            for (i, line) in text.lines().enumerate() {
                if docker_config::sets_docker_host(line) {
                    found.push(format!(
                        "{file}:{}: {}",
                        i + 1,
                        crate::model::escape_controls(
                            &line.trim().chars().take(200).collect::<String>()
                        )
                    ));
                }
            }
        }
        found
    }

    /// The client's TLS settings for a `tcp://` endpoint, as the CLI derives them (docker/cli `cli/flags`,
    /// `context/docker`). From DOCKER_HOST: TLS when DOCKER_TLS or DOCKER_TLS_VERIFY is non-empty, verified when
    /// DOCKER_TLS_VERIFY is; the files are `ca.pem`, `cert.pem` and `key.pem` in DOCKER_CERT_PATH (default the
    /// config directory), the CA required, certificate and key presented when both exist. From a
    /// context: its stored `contexts/tls/<sha256 of the name>/docker/{ca,cert,key}.pem` and `SkipTLSVerify`.
    pub fn client_tls(&self) -> ClientTls {
        let endpoint = self.client_endpoint().as_ref().ok();
        // `os.Stat` in the CLI: a link to a file counts, a dangling one does not.
        let exists = |p: &str| matches!(self.stat(p), Read::Ok(_));
        if endpoint.is_some_and(|r| r.source == "DOCKER_HOST" || r.source == TLS_DEFAULT_SOURCE) {
            let set = |v: &str| self.env(v).filter(|v| !v.is_empty());
            let verify = set("DOCKER_TLS_VERIFY");
            let plain = set("DOCKER_TLS");
            let on = verify.is_some() || plain.is_some();
            let dir = set("DOCKER_CERT_PATH").unwrap_or_else(|| docker_config_dir(self));
            let (ca, cert, key) = tls_files(&dir);
            // The CLI reads the CA file whenever TLS is on, verified or not (`TLSDataFromFiles`), and drops a
            // certificate or key that is not there; a certificate without its key is not presented.
            let missing = if on && !exists(&ca) {
                vec![ca.clone()]
            } else {
                Vec::new()
            };
            let (has_cert, has_key) = (exists(&cert), exists(&key));
            let detail = match (&verify, &plain) {
                (Some(v), _) => {
                    format!("DOCKER_TLS_VERIFY={v}: TLS, the server verified against {ca}")
                }
                (None, Some(v)) => format!("DOCKER_TLS={v}: TLS without verifying the server"),
                (None, None) => {
                    "neither DOCKER_TLS_VERIFY nor DOCKER_TLS set: plain HTTP".to_owned()
                }
            };
            return ClientTls {
                on,
                verify: verify.is_some(),
                ca: (on && verify.is_some()).then_some(ca),
                cert_key: (on && has_cert && has_key).then_some((cert, key)),
                missing,
                evidence: Evidence {
                    source: "env:DOCKER_TLS_VERIFY, DOCKER_TLS, DOCKER_CERT_PATH".into(),
                    detail,
                },
            };
        }
        let Some((name, skip)) =
            endpoint.and_then(|r| r.context.clone().map(|n| (n, r.skip_tls_verify)))
        else {
            return ClientTls {
                on: false,
                verify: false,
                ca: None,
                cert_key: None,
                missing: Vec::new(),
                evidence: Evidence {
                    source: "context".into(),
                    detail: "none in use: no TLS material".into(),
                },
            };
        };
        let dir = format!(
            "{}/contexts/tls/{}/docker",
            docker_config_dir(self),
            context_digest(&name)
        );
        let (ca, cert, key) = tls_files(&dir);
        let (has_ca, has_cert, has_key) = (exists(&ca), exists(&cert), exists(&key));
        let on = has_ca || has_cert || has_key || skip;
        let stored: Vec<&str> = [
            ("ca.pem", has_ca),
            ("cert.pem", has_cert),
            ("key.pem", has_key),
        ]
        .iter()
        .filter(|(_, has)| *has)
        .map(|(n, _)| *n)
        .collect();
        let detail = format!(
            "context {name}: {}{}",
            if stored.is_empty() {
                "no TLS material".to_owned()
            } else {
                format!("TLS material stored ({})", stored.join(", "))
            },
            if skip { ", SkipTLSVerify" } else { "" }
        );
        ClientTls {
            on,
            verify: on && !skip,
            ca: (on && !skip && has_ca).then_some(ca),
            cert_key: (on && has_cert && has_key).then_some((cert, key)),
            missing: Vec::new(),
            evidence: Evidence {
                source: dir,
                detail,
            },
        }
    }

    /// The client's `tcp://` or `ssh://` endpoint probed once within the API deadline (`None` for any other
    /// endpoint): a TCP connect, then for `tcp://` a plain `GET /_ping` (a TLS daemon answers it with Go's "Client
    /// sent an HTTP request to an HTTPS server"), for `ssh://` the server's banner line with nothing sent. No name
    /// is resolved (a lookup cannot be bounded in time in a single-threaded process): an IP address or `localhost`.
    pub fn remote_probe(&self) -> Option<&RemoteProbe> {
        self.derived
            .remote_probe
            .get_or_init(|| probe_remote(self))
            .as_ref()
    }

    /// The rootless daemon's socket: `$XDG_RUNTIME_DIR/docker.sock`.
    pub fn rootless_socket(&self) -> String {
        format!("{}/docker.sock", self.runtime_dir())
    }
}

fn judge_target(f: &Facts) -> Target {
    let target = |daemon, why: String| Target { daemon, why };
    match f.target_choice {
        TargetChoice::Rootless => {
            return target(Daemon::Rootless, "rootless mode, as asked (--target rootless, or a command that judges only rootless mode)".into());
        }
        TargetChoice::Rootful => {
            return target(
                Daemon::Rootful,
                "the rootful daemon, as asked (--target rootful)".into(),
            );
        }
        TargetChoice::Auto => {}
    }
    let Ok(r) = f.client_endpoint() else {
        return target(
            Daemon::Rootless,
            "the client's context cannot be found (see client.endpoint), so rootless mode".into(),
        );
    };
    let url = r.endpoint.url();
    let explicit = r.source != DEFAULT_SOURCE;
    if matches!(&r.endpoint, Endpoint::Unix(p) if *p == f.rootless_socket()) {
        return target(
            Daemon::Rootless,
            format!(
                "your client uses your rootless socket {url} (set by {})",
                r.source
            ),
        );
    }
    // A rootless daemon of the user's that runs says which one they set up: a client that names another is the
    // thing to correct (client.endpoint), not the daemon to judge.
    if let Some(pid) = f.rootless_dockerd() {
        return target(
            Daemon::Rootless,
            format!(
                "your rootless dockerd runs (pid {pid}), though the client uses {url} (set by {})",
                r.source
            ),
        );
    }
    match &r.endpoint {
        Endpoint::Tcp(_) | Endpoint::Ssh(_) => target(
            Daemon::Rootful,
            format!(
                "your client names {url} (set by {}): the daemon there, not a rootless one of yours here",
                r.source
            ),
        ),
        Endpoint::Unix(p) if ROOTFUL_SOCKETS.contains(&p.as_str()) => {
            if explicit {
                return target(
                    Daemon::Rootful,
                    format!("{} names the rootful socket {url}", r.source),
                );
            }
            if f.user.uid == 0 {
                return target(
                    Daemon::Rootful,
                    format!("root's client uses the system daemon at {url}"),
                );
            }
            if f.in_docker_group() {
                return target(
                    Daemon::Rootful,
                    format!(
                        "you are in the docker group, run no rootless daemon, and your client uses the default {url}"
                    ),
                );
            }
            target(
                Daemon::Rootless,
                format!(
                    "your client uses the default {url}, but you are not in the docker group and no DOCKER_HOST or context names it"
                ),
            )
        }
        _ => target(
            Daemon::Rootless,
            format!(
                "your client uses {url} (set by {}), not the rootful socket",
                r.source
            ),
        ),
    }
}

/// The CA, certificate and key the CLI looks for in a directory of TLS files: ca.pem, cert.pem, key.pem.
fn tls_files(dir: &str) -> (String, String, String) {
    let dir = dir.trim_end_matches('/');
    (
        format!("{dir}/ca.pem"),
        format!("{dir}/cert.pem"),
        format!("{dir}/key.pem"),
    )
}

/// The client's TLS settings for its `tcp://` endpoint ([`Facts::client_tls`]).
#[derive(Debug, Clone)]
pub struct ClientTls {
    /// TLS is used at all.
    pub on: bool,
    /// The server's certificate is checked.
    pub verify: bool,
    /// The CA file the server's certificate must chain to; `None` when verifying: the system's roots.
    pub ca: Option<String>,
    /// The client's certificate and key, presented when the server asks for one.
    pub cert_key: Option<(String, String)>,
    /// Files the CLI needs and cannot find: it then refuses to connect at all ("unable to resolve docker
    /// endpoint: open …: no such file or directory").
    pub missing: Vec<String>,
    /// What says so.
    pub evidence: Evidence,
}

/// A probe of the client's remote endpoint ([`Facts::remote_probe`]).
#[derive(Debug, Clone)]
pub struct RemoteProbe {
    /// `ssh://` (a banner is read) rather than `tcp://` (`GET /_ping` is sent).
    pub ssh: bool,
    /// `host:port` as probed (the default port filled in).
    pub target: String,
    pub outcome: Reached,
    /// The TLS handshake and `GET /_ping` over it, made when the client uses TLS and a TLS server answered.
    pub tls: Option<TlsProbe>,
}

/// A TLS handshake with the client's endpoint, made with the client's own files by `openssl s_client`.
#[derive(Debug, Clone)]
pub struct TlsProbe {
    /// The command, as shown in evidence.
    pub command: String,
    pub outcome: TlsOutcome,
}

/// How a [`TlsProbe`] ended.
#[derive(Debug, Clone)]
pub enum TlsOutcome {
    /// Not made, and why (no `openssl`, files the CLI itself would not find).
    NotMade(String),
    /// The deadline came first.
    TimedOut,
    /// What `s_client` reported.
    Done(crate::parse::openssl::Handshake),
}

/// How far a probe got.
#[derive(Debug, Clone)]
pub enum Reached {
    /// The endpoint's host part does not parse.
    BadAddress(String),
    /// A name the doctor does not resolve.
    NotResolved(String),
    /// Not probed, and why (root judging another user connects nowhere that user names).
    NotProbed(String),
    /// The connection failed: its kind (`ConnectionRefused`, `TimedOut`, `HostUnreachable`, …) and text.
    Failed {
        kind: std::io::ErrorKind,
        text: String,
    },
    /// What came back; `silent` when the deadline came first.
    Reply(crate::host::TcpReply),
}

fn probe_remote(f: &Facts) -> Option<RemoteProbe> {
    let r = f.client_endpoint().as_ref().ok()?;
    let (rest, ssh) = match &r.endpoint {
        Endpoint::Tcp(h) => (h, false),
        Endpoint::Ssh(h) => (h, true),
        _ => return None,
    };
    let probe = |target: String, outcome| {
        Some(RemoteProbe {
            ssh,
            target,
            outcome,
            tls: None,
        })
    };
    let a = match docker_config::authority(rest) {
        Ok(a) => a,
        Err(e) => return probe(rest.clone(), Reached::BadAddress(e)),
    };
    // The docker CLI's defaults: a `tcp://` host without a port gets 2375, with TLS or without (docker/cli
    // `opts.ParseTCPAddr` with `DefaultTCPHost`; 2376 is only the default host's port under TLS); SSH's 22.
    let port = a.port.unwrap_or(if ssh { 22 } else { 2375 });
    // An empty host is `localhost` to the CLI, which the certificate must then name.
    let name = if a.host.is_empty() {
        "localhost".to_owned()
    } else {
        a.host.clone()
    };
    let host = if name == "localhost" {
        "127.0.0.1".to_owned()
    } else {
        a.host.clone()
    };
    let shown = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let Ok(ip) = host.parse::<std::net::IpAddr>() else {
        return probe(shown, Reached::NotResolved(a.host));
    };
    // Root judging someone else would connect, with root's network standing (its cgroup, its namespace, its
    // security label), to an address that user wrote in their files: not done.
    if !f.is_own_session() {
        return probe(
            shown,
            Reached::NotProbed(format!(
                "root's run for {} connects nowhere the user's files name (run `rootless-doctor check` as {} to probe it)",
                f.user.name, f.user.name
            )),
        );
    }
    let addr = std::net::SocketAddr::new(ip, port);
    let request = if ssh {
        Vec::new()
    } else {
        crate::parse::http::get_request("/_ping", &shown).into_bytes()
    };
    let req = crate::host::TcpRequest {
        addr,
        send: &request,
        max: 4096,
        line: ssh,
    };
    let outcome = match f.reader().tcp_exchange(&req) {
        Ok(reply) => Reached::Reply(reply),
        Err(e) => Reached::Failed {
            kind: e.kind(),
            text: crate::host::describe_error(&e),
        },
    };
    // A TLS server refuses the plain request ("Client sent an HTTP request to an HTTPS server.") or answers it
    // with an alert record (0x15): with a client that uses TLS, the handshake is what decides.
    let tls_server = matches!(&outcome, Reached::Reply(r)
        if r.bytes.first() == Some(&0x15)
            || String::from_utf8_lossy(&r.bytes).contains("HTTP request to an HTTPS server"));
    let tls = (!ssh && tls_server)
        .then(|| f.client_tls())
        .filter(|t| t.on)
        .map(|t| tls_probe(f, &t, &shown, &name, ip, &request));
    let mut p = probe(shown, outcome)?;
    p.tls = tls;
    Some(p)
}

/// How long the handshake and `GET /_ping` over it may take.
const TLS_DEADLINE: std::time::Duration = std::time::Duration::from_secs(3);

/// `openssl s_client` with the client's own files, as the CLI would connect: the server's name checked against
/// the endpoint's host (`localhost` by name, an address as an IP), the CA, certificate and key the CLI would use,
/// then `GET /_ping` over the connection. It runs as this process (the judged user's own session: root's runs
/// for another user never get here), so it reads the key itself and nothing of it passes through the doctor.
fn tls_probe(
    f: &Facts,
    tls: &ClientTls,
    shown: &str,
    host: &str,
    ip: std::net::IpAddr,
    request: &[u8],
) -> TlsProbe {
    let not_made = |why: String| TlsProbe {
        command: String::new(),
        outcome: TlsOutcome::NotMade(why),
    };
    if !tls.missing.is_empty() {
        return not_made(format!(
            "the CLI would not connect at all: {} missing",
            tls.missing.join(", ")
        ));
    }
    let mut files = tls
        .ca
        .iter()
        .chain(tls.cert_key.iter().flat_map(|(c, k)| [c, k]));
    if let Some(relative) = files.find(|p| !p.starts_with('/')) {
        return not_made(format!(
            "{relative} is a relative path (DOCKER_CERT_PATH), which depends on the directory the client runs in"
        ));
    }
    let dirs = ["/usr/bin", "/bin", "/usr/local/bin"].map(str::to_owned);
    let Some(openssl) = f.first_in("openssl", &dirs) else {
        return not_made(
            "`openssl` is not installed, so no handshake was made (install the openssl package to let the doctor check the certificates)".into(),
        );
    };
    let mut argv = vec![
        openssl,
        "s_client".to_owned(),
        "-connect".to_owned(),
        shown.to_owned(),
        "-brief".to_owned(),
        "-ign_eof".to_owned(),
    ];
    if tls.verify {
        argv.push("-verify_return_error".into());
        if host == "localhost" {
            argv.extend(
                ["-verify_hostname", "localhost", "-servername", "localhost"].map(str::to_owned),
            );
        } else {
            argv.extend(["-verify_ip".to_owned(), ip.to_string()]);
        }
        if let Some(ca) = &tls.ca {
            argv.extend(["-CAfile".to_owned(), ca.clone()]);
        }
    }
    if let Some((cert, key)) = &tls.cert_key {
        // An empty passphrase: a key protected by one fails at once instead of asking on a terminal (the CLI
        // cannot use such a key either).
        argv.extend(["-cert", cert, "-key", key, "-pass", "pass:"].map(str::to_owned));
    }
    let mut cmd = f.bounded(
        &argv,
        &[("PATH".to_owned(), "/usr/bin:/bin".to_owned())],
        None,
        TLS_DEADLINE,
    );
    cmd.stdin = request.to_vec();
    let command = argv.join(" ");
    let outcome = match f.reader().run_bounded(&cmd) {
        Err(e) => TlsOutcome::NotMade(format!(
            "`openssl s_client` could not run: {}",
            crate::host::describe_error(&e)
        )),
        Ok(o) if o.exit == crate::host::bounded::Exit::TimedOut && o.stdout.is_empty() => {
            TlsOutcome::TimedOut
        }
        Ok(o) => TlsOutcome::Done(crate::parse::openssl::s_client(
            o.stdout.as_bytes(),
            &o.stderr,
            tls.verify,
        )),
    };
    TlsProbe { command, outcome }
}

/// What [`ClientEndpoint::source`] says when nothing chose the endpoint.
pub const DEFAULT_SOURCE: &str = "the default (no DOCKER_HOST, no context)";

/// What [`ClientEndpoint::source`] says when DOCKER_TLS_VERIFY or DOCKER_TLS, without DOCKER_HOST or a context, made
/// the CLI's default tcp://localhost:2376.
pub const TLS_DEFAULT_SOURCE: &str = "DOCKER_TLS_VERIFY or DOCKER_TLS without DOCKER_HOST, which makes the CLI's default tcp://localhost:2376";

/// The endpoint the CLI will use, and what set it.
#[derive(Debug, Clone)]
pub struct ClientEndpoint {
    pub endpoint: Endpoint,
    /// What set it, for findings: `DOCKER_HOST`, `context "rootless" (DOCKER_CONTEXT)`, the default.
    pub source: String,
    /// The context it comes from, when one does.
    pub context: Option<String>,
    /// The context's `SkipTLSVerify`.
    pub skip_tls_verify: bool,
    /// The variables and files read on the way.
    pub evidence: Vec<Evidence>,
}

/// A context the CLI is told to use but cannot find: the CLI itself refuses to run.
#[derive(Debug, Clone)]
pub struct UnknownContext {
    /// The context's name.
    pub name: String,
    /// What named it (`DOCKER_CONTEXT`, `currentContext in …/config.json`).
    pub source: String,
    pub evidence: Vec<Evidence>,
}

/// The CLI's configuration directory: `$DOCKER_CONFIG` in the user's own session, else `~/.docker`.
pub fn docker_config_dir(f: &Facts) -> String {
    f.is_own_session()
        .then(|| f.env("DOCKER_CONFIG"))
        .flatten()
        .filter(|d| d.starts_with('/'))
        .unwrap_or_else(|| format!("{}/.docker", f.user.home.trim_end_matches('/')))
}

/// The directory name the CLI stores a context under: the hex SHA-256 of its name.
fn context_digest(name: &str) -> String {
    sha2::Sha256::digest(name.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Resolves the CLI's endpoint as the CLI does; `Err` is a configuration the CLI itself rejects.
fn resolve(f: &Facts) -> Result<ClientEndpoint, UnknownContext> {
    let mut evidence = Vec::new();
    let own = f.is_own_session();
    if let Some(host) = own
        .then(|| f.env("DOCKER_HOST"))
        .flatten()
        .filter(|h| !h.is_empty())
    {
        return Ok(ClientEndpoint {
            endpoint: docker_config::parse_endpoint(&host),
            source: "DOCKER_HOST".into(),
            context: None,
            skip_tls_verify: false,
            evidence: vec![Evidence {
                source: "env:DOCKER_HOST".into(),
                detail: host,
            }],
        });
    }
    let dir = docker_config_dir(f);
    let config_path = format!("{dir}/config.json");
    let mut context = None;
    if let Some(name) = own
        .then(|| f.env("DOCKER_CONTEXT"))
        .flatten()
        .filter(|c| !c.is_empty())
    {
        evidence.push(Evidence {
            source: "env:DOCKER_CONTEXT".into(),
            detail: name.clone(),
        });
        context = Some((name, "DOCKER_CONTEXT".to_owned()));
    } else {
        match f.read_config(&config_path) {
            Read::Ok(text) => match docker_config::current_context(&text) {
                Ok(Some(name)) => {
                    evidence.push(Evidence {
                        source: config_path.clone(),
                        detail: format!("currentContext = {name}"),
                    });
                    context = Some((name, format!("currentContext in {config_path}")));
                }
                Ok(None) => evidence.push(Evidence {
                    source: config_path.clone(),
                    detail: "no currentContext".into(),
                }),
                // The CLI warns ("WARNING: Error loading config file") and carries on with its defaults.
                Err(e) => evidence.push(Evidence {
                    source: config_path.clone(),
                    detail: format!("unreadable JSON ({e}): the CLI ignores it"),
                }),
            },
            Read::Missing => {}
            Read::Failed(e) => evidence.push(Evidence {
                source: config_path.clone(),
                detail: format!("unreadable: {e}"),
            }),
        }
    }
    if let Some((name, source)) = context.filter(|(n, _)| n != "default") {
        // The CLI keeps a context's metadata under contexts/meta/<hex sha256 of its name>/meta.json
        // (docker/cli context/store); a directory under any other name is invisible to it.
        let digest = context_digest(&name);
        let path = format!("{dir}/contexts/meta/{digest}/meta.json");
        match f.read_config(&path) {
            Read::Ok(text) => match docker_config::context_meta(&text) {
                Ok(meta) => {
                    let host = meta
                        .host
                        .unwrap_or_else(|| "unix:///var/run/docker.sock".into());
                    evidence.push(Evidence {
                        source: path,
                        detail: format!("context {name}: {host}"),
                    });
                    return Ok(ClientEndpoint {
                        endpoint: docker_config::parse_endpoint(&host),
                        source: format!("context {name:?} ({source})"),
                        context: Some(name),
                        skip_tls_verify: meta.skip_tls_verify,
                        evidence,
                    });
                }
                Err(e) => evidence.push(Evidence {
                    source: path,
                    detail: format!("unreadable: {e}"),
                }),
            },
            Read::Missing => evidence.push(Evidence {
                source: path,
                detail: "missing".into(),
            }),
            Read::Failed(e) => evidence.push(Evidence {
                source: path,
                detail: format!("unreadable: {e}"),
            }),
        }
        return Err(UnknownContext {
            name,
            source,
            evidence,
        });
    }
    // The default context with TLS turned on by the environment: the CLI's default host is then
    // tcp://localhost:2376, not the socket (docker/cli `opts.ParseHost(defaultToTLS, "")`).
    let tls_var = ["DOCKER_TLS_VERIFY", "DOCKER_TLS"]
        .into_iter()
        .find_map(|v| {
            own.then(|| f.env(v))
                .flatten()
                .filter(|x| !x.is_empty())
                .map(|x| (v, x))
        });
    if let Some((var, value)) = tls_var {
        evidence.push(Evidence {
            source: format!("env:{var}"),
            detail: value,
        });
        return Ok(ClientEndpoint {
            endpoint: Endpoint::Tcp("localhost:2376".into()),
            source: TLS_DEFAULT_SOURCE.into(),
            context: None,
            skip_tls_verify: false,
            evidence,
        });
    }
    Ok(ClientEndpoint {
        endpoint: Endpoint::Unix("/var/run/docker.sock".into()),
        source: DEFAULT_SOURCE.into(),
        context: None,
        skip_tls_verify: false,
        evidence,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::facts;

    #[test]
    fn endpoint_is_resolved_once_and_says_what_set_it() {
        let f = facts("debian-12-daemon");
        let first: *const _ = f.client_endpoint();
        let r = f.client_endpoint().as_ref().unwrap();
        assert!(std::ptr::eq(first, f.client_endpoint()));
        assert_eq!(r.source, "DOCKER_HOST");
        assert_eq!(
            r.endpoint,
            Endpoint::Unix("/run/user/1000/docker.sock".into())
        );
        assert!(!f.client_uses_rootful());
    }

    #[test]
    fn regression_a_zombie_dockerd_of_the_user_is_not_a_running_rootless_daemon() {
        // A trial launch's dockerd, stopped by the runner, stays a zombie until PID 1 reaps it; the next run took
        // it for the user's rootless daemon and judged rootless mode (seen live: the old-session run right after a
        // full `check`).
        let f = facts("debian-12-rootful-user-zombie-dockerd");
        assert_eq!(f.rootless_dockerd(), None);
        assert!(f.targets_rootful(), "{:?}", f.target());
    }

    #[test]
    fn a_missing_context_is_typed() {
        let f = facts("debian-12-daemon-context-missing");
        let e = f.client_endpoint().as_ref().unwrap_err();
        assert_eq!(e.name, "rootless");
        assert_eq!(e.source, "DOCKER_CONTEXT");
    }
}
