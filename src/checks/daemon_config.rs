//! How each dockerd is (or would be) started: the system unit, the user unit, /etc/default/docker and the running
//! processes, each with its daemon.json; and what follows from it: flag/file conflicts, TCP exposure, proxies, logs.

use serde_json::Value;

use super::{Check, Scope, unreadable};
use crate::facts::dockerd::{ConfigError, ROOTFUL_CONFIG, Setup, lookup};
use crate::facts::{Facts, Read};
use crate::model::{Evidence, Remediation, Step, Verdict};
use crate::parse::dockerd;
use crate::parse::{net_tcp, proc::env_value};

const HOSTS_DROPIN: &str = include_str!("../../profiles/systemd/docker.service.d-hosts.conf");
const HOSTS_DROPIN_PATH: &str = "/etc/systemd/system/docker.service.d/docker.conf";

pub(super) const CHECKS: &[Check] = &[
    Check {
        id: "daemon.config",
        area: "daemon",
        scope: Scope::CheckOnly,
        needs_runtime: true,
        title: "daemon.json parses, and no directive is given both there and as a dockerd flag",
        reference: "daemon-troubleshoot seed: Troubleshoot conflicts between daemon.json and startup scripts; Configure the daemon host with systemd",
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

How to fix: keep each directive in one place. For `hosts` on a systemd host, the seed's drop-in: \
/etc/systemd/system/docker.service.d/docker.conf with `[Service]`, `ExecStart=` (clearing the packaged command line) and \
`ExecStart=/usr/bin/dockerd` (the unit's own command without -H), then `sudo systemctl daemon-reload` and restart. Removing -H \
without a `hosts` entry in daemon.json makes dockerd fail to start: change both together.",
        packages: &[],
        run: config,
    },
    Check {
        id: "daemon.tcp",
        area: "daemon",
        scope: Scope::CheckOnly,
        needs_runtime: true,
        title: "No daemon listens on TCP without TLS verification",
        reference: "daemon-basics seed (-H tcp://0.0.0.0:2375: anyone can connect; TLS)",
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
        run: tcp,
    },
    Check {
        id: "daemon.proxy",
        area: "daemon",
        scope: Scope::CheckOnly,
        needs_runtime: true,
        title: "The daemon has the same HTTP(S)_PROXY / NO_PROXY as your shell",
        reference: "daemon-basics seed (HTTPS_PROXY, HTTP_PROXY, NO_PROXY control how the daemon connects)",
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
        run: proxy,
    },
    Check {
        id: "daemon.logs",
        area: "daemon",
        scope: Scope::CheckOnly,
        needs_runtime: true,
        title: "Each running daemon's log goes somewhere you can read (and whether debug is on)",
        reference: "daemon-troubleshoot seed (enable debugging; SIGUSR1 stack traces)",
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
        run: logs,
    },
];

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
                "{problem}: the flags of {} were read without their variables",
                s.label
            ));
            fix.text.push_str(&format!(
                " Shorten what {} expands (its Environment= and EnvironmentFile= values): a command line that long is \
more than execve(2) takes.",
                s.source
            ));
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
        if s.system_unit && conflicts.iter().any(|c| c.key == "hosts") && cfg.contains_key("hosts")
        {
            let exec = s
                .argv
                .iter()
                .map(|w| crate::model::shell_quote(w))
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
                "The seed's fix: a drop-in that clears the unit's ExecStart= and starts dockerd without -H, so `hosts` in {} decides where it listens (removing -H without `hosts` there makes dockerd fail to start); then reload systemd and restart.{also}",
                s.config
            ))
            .steps([
                Step::root(["mkdir", "-p", "/etc/systemd/system/docker.service.d"]),
                Step::root(["tee", HOSTS_DROPIN_PATH]).with_stdin(content),
                Step::root(["systemctl", "daemon-reload"]),
                Step::root(["systemctl", "restart", "docker.service"]),
            ]);
        }
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
            for sock in listening(f, pid, &hosts) {
                let url = match sock.local {
                    std::net::IpAddr::V6(a) => format!("tcp://[{a}]:{}", sock.port),
                    a => format!("tcp://{a}:{}", sock.port),
                };
                evidence.push(Evidence {
                    source: format!("/proc/{pid}/net/tcp"),
                    detail: format!("{} listens on {url} (inode {})", s.label, sock.inode),
                });
                if !hosts.iter().any(|h| {
                    exposure(h) == exposure(&url) && h.ends_with(&format!(":{}", sock.port))
                }) {
                    hosts.push(url);
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

/// The TCP sockets a dockerd listens on: its socket inodes matched in its network namespace's tables; when its
/// descriptors can't be read (another user's daemon), the listening sockets on the ports its hosts name.
fn listening(f: &Facts, pid: u32, hosts: &[String]) -> Vec<net_tcp::Socket> {
    let mut table = Vec::new();
    for file in ["tcp", "tcp6"] {
        if let Read::Ok(text) = f.proc_file(pid, &format!("net/{file}")) {
            table.extend(
                net_tcp::parse(&text)
                    .0
                    .into_iter()
                    .filter(net_tcp::Socket::is_listening),
            );
        }
    }
    match f.open_files(pid) {
        Read::Ok(fds) => {
            let inodes: Vec<u64> = fds
                .iter()
                .filter_map(|(_, t)| t.strip_prefix("socket:[")?.strip_suffix(']')?.parse().ok())
                .collect();
            table
                .into_iter()
                .filter(|s| inodes.contains(&s.inode))
                .collect()
        }
        _ => {
            let ports: Vec<u16> = hosts
                .iter()
                .filter_map(|h| h.rsplit_once(':')?.1.parse().ok())
                .collect();
            table
                .into_iter()
                .filter(|s| ports.contains(&s.port))
                .collect()
        }
    }
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
        let tee = if rootless {
            Step::user(["tee", path.as_str()])
        } else {
            Step::root(["tee", path.as_str()])
        };
        fix = fix
            .step(tee.with_stdin(format!("[Service]\n{lines}")))
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
