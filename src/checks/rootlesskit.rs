//! RootlessKit behind the user's rootless daemon: its API in the state dir, and the drivers and MTU in effect.

use serde_json::Value;

use super::{Check, Judges, Scope};
use crate::facts::dockerd::flag;
use crate::facts::rootlesskit::ApiInfo;
use crate::facts::{Facts, Read};
use crate::model::{Evidence, Remediation, Step, Verdict};
use crate::parse::proc::env_value;

pub(super) const CHECKS: &[Check] = &[
    Check {
        id: "rootlesskit.api",
        area: "rootlesskit",
        scope: Scope::CheckOnly,
        needs_runtime: true,
        per_user: true,
        judges: Judges::Rootless,
        title: "RootlessKit's API answers in its state dir (version, network and port driver)",
        reference: "https://github.com/rootless-containers/rootlesskit",
        explain: "\
What it checks: RootlessKit's state directory, found the way the daemon was started: ROOTLESSKIT_STATE_DIR in dockerd's \
environment (Debian 20.10's random /tmp/rootlesskitNNN), or $XDG_RUNTIME_DIR/dockerd-rootless (upstream, `--state-dir`); \
then `GET /v1/info` on its api.sock: RootlessKit's version, the network driver, the port driver, the child pid.

Why it matters: these are the drivers in effect, which decide throughput, source-IP propagation and which bugs apply \
(RootlessKit 3.0.0 broke UDP publishing to remote clients).

What you see when it's wrong: no error of its own; `dockerd-rootless-setuptool.sh nsenter` fails to find child_pid.

How to fix: restart the daemon; if the state dir is gone while the daemon runs, something cleaned /tmp or the runtime dir under it.",
        packages: &[],
        removes: &[],
        run: rootlesskit_api,
    },
    Check {
        id: "rootlesskit.drivers",
        area: "rootlesskit",
        scope: Scope::CheckOnly,
        needs_runtime: true,
        per_user: true,
        judges: Judges::Rootless,
        title: "The network driver, port driver and MTU in effect are the ones requested",
        reference: "https://docs.docker.com/engine/security/rootless/troubleshoot/; https://docs.docker.com/engine/security/rootless/",
        explain: "\
What it checks: what was asked for (DOCKERD_ROOTLESS_ROOTLESSKIT_NET, _PORT_DRIVER, _MTU and _FLAGS in the environment of \
RootlessKit, usually set in ~/.config/systemd/user/docker.service.d/override.conf) against what RootlessKit reports and the flags \
it was started with; and what the docker user service (the unit and its drop-ins) holds now against that environment: \
settings written after the start, by hand or by `rootless-doctor net --write`, take effect only at a restart. With the builtin \
port driver of a RootlessKit before 3.0 it also notes that containers do not see the client's address on published ports (the \
troubleshooting page's `docker run -p` note), and points at `rootless-doctor net --source-ip`.

Why it matters: dockerd-rootless.sh silently falls back (pasta requested but too old, slirp4netns missing), and the only trace is \
in the journal.

What you see when it's wrong: slow networking or client IPs shown as 10.0.2.100/127.0.0.1 where pasta (which preserves source IPs) \
was meant to run.

How to fix: install the requested driver at a version that works (slirp4netns ≥ 0.4.0, passt ≥ 2023_12_04), or change the \
override; then `systemctl --user daemon-reload && systemctl --user restart docker`.",
        packages: &["slirp4netns", "passt"],
        removes: &[],
        run: rootlesskit_drivers,
    },
];
fn rootlesskit_info(f: &Facts) -> Result<(Value, Vec<Evidence>), Verdict> {
    let (api, info) = f.rootlesskit_api();
    let state = f.rootlesskit_state_dir();
    let evidence = vec![Evidence {
        source: "state dir".into(),
        detail: format!("{} ({})", state.path, state.source),
    }];
    match info {
        ApiInfo::NoDaemon => Err(Verdict::skip(
            "no rootless daemon runs (see daemon.running)",
        )),
        ApiInfo::Answer(v) => Ok((v.clone(), evidence)),
        ApiInfo::NotJson(e) => {
            Err(Verdict::error(format!("GET unix://{api}/v1/info: {e}")).with_evidence(evidence))
        }
        ApiInfo::Status(status) => Err(Verdict::fail(format!(
            "RootlessKit's API at {api} answers HTTP {status}"
        ))
        .with_evidence(evidence)),
        ApiInfo::Failed(text) => Err(Verdict::fail(format!(
            "RootlessKit's API does not answer at {api}: {text}"
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
    // RootlessKit's API lists no port driver for `none` and for pasta's `implicit` (pasta forwards by itself): the
    // parent's command line tells them apart.
    let port = match info.pointer("/portDriver/driver").and_then(Value::as_str) {
        Some(p) => p.to_owned(),
        None => parent(f)
            .and_then(|(_, argv)| flag(&argv, "port-driver").map(str::to_owned))
            .unwrap_or_else(|| "none".to_owned()),
    };
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
    let found = parent(f);
    let parent = found.as_ref().map(|(pid, _)| *pid);
    let argv = found.map(|(_, argv)| argv).unwrap_or_default();
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
    // Settings written to the unit (by hand or `net --write`) after the daemon started: systemd reads them at the
    // next restart, so what runs is the old request.
    let pending = pending_settings(f, parent.is_some(), &env);
    if !pending.is_empty() {
        let unit = f
            .start_env()
            .and_then(|s| s.unit.clone())
            .unwrap_or_default();
        evidence.push(Evidence {
            source: "written".into(),
            detail: pending.join("; "),
        });
        return Verdict::warn(format!(
            "written but not restarted: the docker user service ({} and its drop-ins) sets what the running RootlessKit was not started with ({}); in effect: {effective}",
            unit,
            pending.join("; ")
        ))
        .with_evidence(evidence)
        .fix(
            Remediation::text("Reload the user manager and restart the daemon to take them:").steps([
                Step::user(["systemctl", "--user", "daemon-reload"]),
                Step::user(["systemctl", "--user", "restart", "docker"]),
            ]),
        );
    }
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
    // The rootless troubleshooting page's `docker run -p` note: before RootlessKit 3.0 the builtin port driver
    // connects to the container from inside the namespace, so the container sees that address, never the client's.
    let version = text(&info, "version");
    let major = version
        .split('.')
        .next()
        .and_then(|m| m.parse::<u32>().ok());
    if port == "builtin" && major.is_some_and(|m| m < 3) {
        return Verdict::pass(format!(
            "{effective}: {asked}; connections to published ports reach containers from inside the namespace (the docker0 gateway or 127.0.0.1), not from the client's address (the builtin port driver of RootlessKit {version}, before 3.0)"
        ))
        .with_evidence(evidence)
        .fix(Remediation::text(
            "Where containers must see the client's address (proxies, access logs, rate limits): `rootless-doctor net --source-ip` chooses a port driver that keeps it here (slirp4netns's, or pasta's implicit one) and `--write` puts it in the docker user service.",
        ));
    }
    Verdict::pass(format!("{effective}: {asked}")).with_evidence(evidence)
}

/// The user's RootlessKit parent process: its pid and command line.
fn parent(f: &Facts) -> Option<(u32, Vec<String>)> {
    let pid = match f.processes() {
        Read::Ok(list) => list
            .iter()
            .find(|p| p.name == "rootlesskit" && p.uid == f.user.uid)
            .map(|p| p.pid),
        _ => None,
    }?;
    Some((pid, f.cmdline(pid).ok().cloned().unwrap_or_default()))
}

/// The `DOCKERD_ROOTLESS_ROOTLESSKIT_*` settings the user unit holds now that differ from the running RootlessKit's
/// environment (`NAME: X written, Y running`); nothing when the daemon does not start from a unit or its parent's
/// environment could not be read.
fn pending_settings(f: &Facts, read_parent: bool, env: &[String]) -> Vec<String> {
    let Some(start) = f.start_env().filter(|s| s.known && s.unit.is_some()) else {
        return Vec::new();
    };
    if !read_parent {
        return Vec::new();
    }
    let mut out = Vec::new();
    for var in ["NET", "PORT_DRIVER", "MTU", "FLAGS"] {
        let name = format!("DOCKERD_ROOTLESS_ROOTLESSKIT_{var}");
        let written = start.get(&name).filter(|v| !v.is_empty());
        let mut running = env_value(env, &name).filter(|v| !v.is_empty());
        // docker-v29.5.0's script exports FLAGS with `--detach-netns ` put in front of what was written.
        if var == "FLAGS"
            && written.is_none_or(|w| !w.starts_with("--detach-netns"))
            && let Some(r) = running
        {
            let rest = r.strip_prefix("--detach-netns").map(str::trim_start);
            running = match rest {
                Some("") => None,
                Some(rest) => Some(rest),
                None => Some(r),
            };
        }
        if written != running {
            out.push(format!(
                "{name}: {} written, {} running",
                written.unwrap_or("unset"),
                running.unwrap_or("unset")
            ));
        }
    }
    out
}

fn text(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or("unknown")
        .to_owned()
}

#[cfg(test)]
mod tests {
    use crate::checks::test_support::{check, fix};
    use crate::model::Status;

    #[test]
    fn api_answers_with_drivers() {
        let v = check("debian-12-daemon", "rootlesskit.api");
        assert_eq!(v.status, Status::Pass);
        assert_eq!(
            v.summary,
            "RootlessKit 1.1.0: network driver slirp4netns, port driver builtin"
        );
    }

    /// Seen in the VM tier on Debian 13: RootlessKit 2.0.2's API lists no port driver for pasta's implicit one, and
    /// the check said "port driver none" while pasta forwarded the ports.
    #[test]
    fn regression_api_said_port_driver_none_for_pastas_implicit() {
        let v = check("debian-12-daemon-pasta-implicit", "rootlesskit.api");
        assert_eq!(
            v.summary,
            "RootlessKit 2.0.2: network driver pasta, port driver implicit"
        );
        let v = check("debian-12-daemon-pasta-implicit", "rootlesskit.drivers");
        assert_eq!(v.status, Status::Pass, "{}", v.summary);
    }

    /// The state dir comes from dockerd's ROOTLESSKIT_STATE_DIR (Debian 20.10's random /tmp/rootlesskitNNN).
    #[test]
    fn api_gone_fails_naming_the_state_dir_from_dockerds_environment() {
        let v = check("debian-12-daemon-rootlesskit-api-gone", "rootlesskit.api");
        assert_eq!(v.status, Status::Fail);
        assert!(
            v.summary
                .starts_with("RootlessKit's API does not answer at /tmp/rootlesskit1234/api.sock"),
            "{}",
            v.summary
        );
        assert!(fix(&v).text.starts_with("Restart the rootless daemon"));
    }

    #[test]
    fn settings_written_after_the_start_warn_until_a_restart() {
        let v = check(
            "debian-12-daemon-override-not-restarted",
            "rootlesskit.drivers",
        );
        assert_eq!(v.status, Status::Warn, "{}", v.summary);
        assert!(
            v.summary.starts_with("written but not restarted: the docker user service (/home/alice/.config/systemd/user/docker.service and its drop-ins)"),
            "{}",
            v.summary
        );
        assert!(
            v.summary.contains(
                "DOCKERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER: slirp4netns written, unset running"
            ),
            "{}",
            v.summary
        );
        assert_eq!(
            crate::checks::test_support::steps(&v),
            [
                "systemctl --user daemon-reload",
                "systemctl --user restart docker"
            ]
        );
    }

    #[test]
    fn a_silent_driver_fallback_warns() {
        let v = check("debian-12-daemon-pasta-fallback", "rootlesskit.drivers");
        assert_eq!(v.status, Status::Warn);
        assert!(
            v.summary.starts_with(
                "DOCKERD_ROOTLESS_ROOTLESSKIT_NET=pasta but RootlessKit runs with slirp4netns"
            ),
            "{}",
            v.summary
        );
    }
}
