//! DNS for containers: what Docker will hand them from the host's resolv.conf.

use super::{Check, Scope, unreadable};
use crate::facts::{Facts, Read};
use crate::model::{Evidence, Remediation, Step, Verdict};
use crate::parse::resolv;

/// systemd-resolved's stub; Docker then reads the upstream servers from RESOLVED (libnetwork resolvconf.Path).
const STUB: &str = "127.0.0.53";
const RESOLVED: &str = "/run/systemd/resolve/resolv.conf";

pub(super) const CHECKS: &[Check] = &[Check {
    id: "network.dns",
    area: "network",
    scope: Scope::CheckOnly,
    needs_runtime: false,
    title: "Containers get a DNS server they can reach (no loopback-only resolv.conf)",
    reference: "daemon-troubleshoot seed: DNS resolver found in resolv.conf and containers can't use it",
    explain: "\
What it checks: the nameservers in /etc/resolv.conf the way Docker reads them: loopback servers (127.0.0.0/8, ::1) are dropped, \
because a container's 127.0.0.1 is the container itself; with only systemd-resolved's stub (127.0.0.53) Docker reads the upstream \
servers from /run/systemd/resolve/resolv.conf instead; a `dns` key in daemon.json (/etc/docker/daemon.json, or \
~/.config/docker/daemon.json for rootless) overrides it all. It also looks for the usual cause: dnsmasq running, and \
NetworkManager configured with `dns=dnsmasq`.

Why it matters: when nothing usable is left, Docker silently falls back to Google's public servers, which fails on networks \
that block outside DNS and leaks names that should stay internal.

What you see when it's wrong: `WARNING: Local (127.0.0.1) DNS resolver found in resolv.conf and containers can't use it. Using \
default external servers : [8.8.8.8 8.8.4.4]`, then lookups that time out inside containers.

How to fix: give Docker the real upstream servers: `{\"dns\": [\"10.0.0.2\", \"8.8.8.8\"]}` in daemon.json (then restart the daemon); \
or stop NetworkManager from running dnsmasq: comment out `dns=dnsmasq` in /etc/NetworkManager/NetworkManager.conf and \
`sudo systemctl restart NetworkManager` (or `sudo restart network-manager` on old Ubuntu).",
    packages: &[],
    run: dns,
}];

/// `dns` in either daemon's configuration.
fn configured_dns(f: &Facts) -> Option<(String, String)> {
    // The rootful daemon's file, then the rootless one's (the same path storage.data_root reads).
    for path in ["/etc/docker/daemon.json".to_owned(), f.daemon_json_path()] {
        if let Read::Ok(text) = f.read(&path)
            && let Ok(v) = serde_json::from_str::<serde_json::Value>(&text)
            && let Some(list) = v
                .get("dns")
                .and_then(|d| d.as_array())
                .filter(|a| !a.is_empty())
        {
            let servers: Vec<String> = list
                .iter()
                .filter_map(|s| s.as_str())
                .map(str::to_owned)
                .collect();
            return Some((path, servers.join(" ")));
        }
    }
    None
}

/// Whether NetworkManager runs dnsmasq for the host (`dns=dnsmasq` in its main configuration or conf.d).
fn networkmanager_dnsmasq(f: &Facts) -> Option<String> {
    let mut files = vec!["/etc/NetworkManager/NetworkManager.conf".to_owned()];
    if let Read::Ok(names) = f.read_dir("/etc/NetworkManager/conf.d") {
        files.extend(
            names
                .into_iter()
                .filter(|n| n.ends_with(".conf"))
                .map(|n| format!("/etc/NetworkManager/conf.d/{n}")),
        );
    }
    files.into_iter().find(|p| {
        f.read(p).ok().is_some_and(|t| {
            t.lines().any(|l| {
                let l = l.trim();
                !l.starts_with('#') && l.replace(' ', "") == "dns=dnsmasq"
            })
        })
    })
}

fn dns(f: &Facts) -> Verdict {
    const PATH: &str = "/etc/resolv.conf";
    let text = match f.read(PATH) {
        Read::Ok(t) => t,
        Read::Missing => {
            return Verdict::warn(
                "no /etc/resolv.conf: Docker gives containers 8.8.8.8 and 8.8.4.4",
            )
            .evidence(PATH, "missing");
        }
        Read::Failed(e) => return unreadable(PATH, &e),
    };
    let (servers, errors) = resolv::parse(&text);
    let mut evidence: Vec<Evidence> = servers
        .iter()
        .map(|n| Evidence {
            source: format!("{PATH}:{}", n.line),
            detail: format!("nameserver {}", n.addr),
        })
        .collect();
    evidence.extend(errors.iter().map(|e| Evidence {
        source: format!("{PATH}:{}", e.line),
        detail: e.message.clone(),
    }));
    if let Read::Ok(target) = f.read_link(PATH) {
        evidence.push(Evidence {
            source: PATH.into(),
            detail: format!("symlink to {target}"),
        });
    }
    if let Some((path, list)) = configured_dns(f) {
        return Verdict::pass(format!("daemon.json sets dns: {list}"))
            .with_evidence(evidence)
            .evidence(path, format!("dns = {list}"));
    }
    let usable: Vec<String> = servers
        .iter()
        .filter(|n| !n.is_loopback())
        .map(|n| n.addr.to_string())
        .collect();
    if !usable.is_empty() {
        return Verdict::pass(format!("containers get {}", usable.join(", ")))
            .with_evidence(evidence);
    }
    // Only loopback: the systemd-resolved stub is fine when its upstream file has real servers.
    if !servers.is_empty()
        && servers.iter().all(|n| n.addr.to_string() == STUB)
        && let Read::Ok(up) = f.read(RESOLVED)
    {
        let upstream: Vec<String> = resolv::parse(&up)
            .0
            .into_iter()
            .filter(|n| !n.is_loopback())
            .map(|n| n.addr.to_string())
            .collect();
        if !upstream.is_empty() {
            return Verdict::pass(format!(
                    "systemd-resolved's stub: Docker gives containers its upstream servers {} from {RESOLVED}",
                    upstream.join(", ")
                ))
                .with_evidence(evidence)
                .evidence(RESOLVED, upstream.join(" "));
        }
        evidence.push(Evidence {
            source: RESOLVED.into(),
            detail: "no non-loopback nameserver".into(),
        });
    }
    let dnsmasq = match f.processes() {
        Read::Ok(list) => list.iter().any(|p| p.name == "dnsmasq"),
        _ => false,
    };
    let nm = networkmanager_dnsmasq(f);
    if dnsmasq {
        evidence.push(Evidence {
            source: "/proc".into(),
            detail: "dnsmasq is running".into(),
        });
    }
    if let Some(p) = &nm {
        evidence.push(Evidence {
            source: p.clone(),
            detail: "dns=dnsmasq".into(),
        });
    }
    let loopback: Vec<String> = servers.iter().map(|n| n.addr.to_string()).collect();
    let mut fix = Remediation::text(
        "Give Docker the network's real DNS servers with a `dns` list in daemon.json (/etc/docker/daemon.json, or \
~/.config/docker/daemon.json for rootless), then restart the daemon.",
    );
    if let Some(p) = nm {
        fix.text.push_str(&format!(
            " Or stop NetworkManager from running dnsmasq: comment out `dns=dnsmasq` in {p} and restart NetworkManager:"
        ));
        fix = fix.step(Step::root(["systemctl", "restart", "NetworkManager"]));
    }
    Verdict::warn(format!(
        "/etc/resolv.conf has only loopback resolvers ({}): \"WARNING: Local (127.0.0.1) DNS resolver found in resolv.conf and containers can't use it. Using default external servers : [8.8.8.8 8.8.4.4]\"",
        if loopback.is_empty() { "none at all".to_owned() } else { loopback.join(", ") }
    ))
    .with_evidence(evidence)
    .fix(fix)
}
