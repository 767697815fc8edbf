//! `rootless-doctor net`: which RootlessKit network and port driver this host should run, and why.
//!
//! The rules are data (`data/net.toml`: the drivers, what each needs and gives, the known-bad version pairs, each
//! row with its public source); [`decide`] is a pure function of that table, an [`Inventory`] of the host (made by
//! `facts::net` without running anything) and the user's [`Request`]. Every combination of a network driver and a
//! port driver that RootlessKit accepts is a [`Candidate`]: it is rejected with every reason that applies (missing,
//! too old, a known-bad pair, a prerequisite of the host, a property asked for that it lacks), or kept with its
//! caveats and what it needs. The kept ones are ranked: what the request asks for first (throughput; with
//! `--source-ip`, the faster port path), then the order dockerd-rootless.sh itself looks for drivers in, then the
//! script's default port driver. The first is the choice, once a trial launch (`facts::launch`) has shown that it
//! starts here.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::parse::rootlesskit::{self as rk, Version};

/// The table, as shipped.
const TABLE: &str = include_str!("../data/net.toml");

/// One network driver row.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkRow {
    pub name: String,
    /// The program RootlessKit runs for it; empty when it is built into RootlessKit.
    pub helper: String,
    /// The `[packages]` key of `distros/*.toml` that installs the helper; empty when no distribution packages it.
    pub package: String,
    /// The oldest helper that works (`X.Y.Z`, or a passt date `YYYY_MM_DD`).
    #[serde(default)]
    pub helper_min: Option<String>,
    /// The MTU dockerd-rootless.sh (29.0 and later) passes for it; `net` always writes it.
    pub mtu: u32,
    pub mtu_max: u32,
    pub ipv6: Ipv6,
    pub suid: bool,
    /// Opens /dev/net/tun (a TAP device in the namespace).
    pub tun: bool,
    /// Needs a default route on the host.
    pub default_route: bool,
    /// Needs an AppArmor profile granting `userns,` where AppArmor restricts unprivileged user namespaces.
    #[serde(default)]
    pub apparmor: bool,
    pub gbps: f64,
    pub source: String,
}

/// How a network driver does IPv6.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Ipv6 {
    Yes,
    /// With RootlessKit's `--ipv6`.
    Flag,
    No,
}

/// One port driver row.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortRow {
    pub name: String,
    pub networks: Vec<String>,
    pub source_ip: SourceIp,
    #[serde(default)]
    pub source_ip_since: Option<String>,
    /// The first Docker with which `since` applies.
    #[serde(default)]
    pub source_ip_docker_since: Option<String>,
    pub ipv6: bool,
    pub privileged_by_cap: bool,
    pub gbps: f64,
    pub source: String,
}

/// Whether a published port shows the container the client's own address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceIp {
    Yes,
    No,
    /// From the RootlessKit release in `source_ip_since`.
    Since,
}

/// A version rule.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    #[serde(default)]
    pub network: Option<String>,
    #[serde(default)]
    pub port: Option<String>,
    #[serde(default)]
    pub helper_from: Option<String>,
    #[serde(default)]
    pub helper_below: Option<String>,
    #[serde(default)]
    pub rootlesskit_from: Option<String>,
    #[serde(default)]
    pub rootlesskit_below: Option<String>,
    #[serde(default)]
    pub docker_from: Option<String>,
    #[serde(default)]
    pub docker_below: Option<String>,
    pub severity: Severity,
    pub text: String,
    pub source: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Reject,
    Caveat,
}

/// The whole table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Table {
    pub network: Vec<NetworkRow>,
    pub port: Vec<PortRow>,
    pub rule: Vec<Rule>,
}

impl Table {
    /// Parses a table and checks that every version in it parses and every name it uses exists.
    pub fn parse(text: &str) -> Result<Table, String> {
        let t: Table = toml::from_str(text).map_err(|e| format!("data/net.toml: {e}"))?;
        let bad = |what: &str, v: &str| format!("data/net.toml: {what} {v:?} is not a version");
        for n in &t.network {
            if let Some(v) = &n.helper_min
                && HelperVersion::parse_bound(v).is_none()
            {
                return Err(bad("helper_min", v));
            }
        }
        for p in &t.port {
            if let Some(v) = &p.source_ip_since
                && Version::parse(v).is_none()
            {
                return Err(bad("source_ip_since", v));
            }
            for n in &p.networks {
                if !t.network.iter().any(|r| &r.name == n) {
                    return Err(format!(
                        "data/net.toml: port {} names network {n}, which has no row",
                        p.name
                    ));
                }
            }
        }
        for r in &t.rule {
            for v in [&r.helper_from, &r.helper_below].into_iter().flatten() {
                if HelperVersion::parse_bound(v).is_none() {
                    return Err(bad(&r.id, v));
                }
            }
            for v in [
                &r.rootlesskit_from,
                &r.rootlesskit_below,
                &r.docker_from,
                &r.docker_below,
            ]
            .into_iter()
            .flatten()
            {
                if Version::parse(v).is_none() {
                    return Err(bad(&r.id, v));
                }
            }
            if r.source.is_empty() {
                return Err(format!("data/net.toml: rule {} has no source", r.id));
            }
        }
        Ok(t)
    }
}

/// The shipped table, parsed once.
pub fn table() -> Result<&'static Table, String> {
    static T: OnceLock<Result<Table, String>> = OnceLock::new();
    T.get_or_init(|| Table::parse(TABLE))
        .as_ref()
        .map_err(Clone::clone)
}

/// A helper's version: slirp4netns's `X.Y.Z`, passt's release date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum HelperVersion {
    Semver(u64, u64, u64),
    Date(u32, u32, u32),
}

impl HelperVersion {
    /// A version as the table writes it: `YYYY_MM_DD` or `X.Y.Z`.
    pub fn parse_bound(s: &str) -> Option<HelperVersion> {
        if s.len() == 10 && s.as_bytes()[4] == b'_' {
            crate::parse::pkgdb::pasta_date(s).map(|(y, m, d)| HelperVersion::Date(y, m, d))
        } else {
            crate::parse::pkgdb::semver_prefix(s).map(|(a, b, c)| HelperVersion::Semver(a, b, c))
        }
    }

    /// A packaged version of `network`'s helper: passt's dates (`2023_12_04.b86afe3`, Debian's
    /// `0.0~git20231204.b86afe3-1`, Arch's `2025_05_12.8ec1341-1`), others' `X.Y.Z`.
    pub fn of_package(network: &str, text: &str) -> Option<HelperVersion> {
        if network == "pasta" {
            crate::parse::pkgdb::pasta_date(text).map(|(y, m, d)| HelperVersion::Date(y, m, d))
        } else {
            crate::parse::pkgdb::semver_prefix(crate::parse::pkgdb::upstream_version(text))
                .map(|(a, b, c)| HelperVersion::Semver(a, b, c))
        }
    }

    /// Compares like with like; `None` across kinds.
    fn cmp_same(&self, other: &HelperVersion) -> Option<std::cmp::Ordering> {
        match (self, other) {
            (HelperVersion::Semver(..), HelperVersion::Semver(..))
            | (HelperVersion::Date(..), HelperVersion::Date(..)) => Some(self.cmp(other)),
            _ => None,
        }
    }
}

impl std::fmt::Display for HelperVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HelperVersion::Semver(a, b, c) => write!(f, "{a}.{b}.{c}"),
            HelperVersion::Date(y, m, d) => write!(f, "{y:04}_{m:02}_{d:02}"),
        }
    }
}

/// What the host has, for [`decide`]. Built from facts (`Facts::net_inventory`), or by hand in tests.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Inventory {
    /// The RootlessKit dockerd-rootless.sh would run.
    pub rootlesskit: Option<Program>,
    /// The Docker engine's package and version.
    pub docker: Option<(String, (u64, u64, u64))>,
    /// One entry per network driver with a helper program.
    pub helpers: Vec<Helper>,
    /// Why /dev/net/tun cannot serve the user; `None` when it can (or it cannot be told).
    pub tun_problem: Option<String>,
    /// `ip` (iproute2) on the daemon's PATH: RootlessKit's child adds the TAP device with it.
    pub ip: Option<String>,
    /// `iptables` on the daemon's PATH: RootlessKit 3's transparent source IP sets up its mangle rules with it.
    pub iptables: Option<String>,
    /// Whether the host has an IPv4 default route (`/proc/net/route`); `None` when it cannot be told.
    pub default_route: Option<bool>,
    /// The same for IPv6 (`/proc/net/ipv6_route`).
    pub default_route6: Option<bool>,
    /// `net.ipv4.ip_unprivileged_port_start`, when readable.
    pub unprivileged_port_start: Option<i64>,
    /// The RootlessKit binary carries CAP_NET_BIND_SERVICE as a file capability.
    pub rootlesskit_bind_cap: bool,
    /// Network drivers this distribution's RootlessKit is built without, and what it prints for them.
    pub without_networks: Vec<String>,
    pub without_error: String,
    /// The `DOCKERD_ROOTLESS_ROOTLESSKIT_*` settings in force now (the unit's, or this session's), in order.
    pub current: Vec<(String, String)>,
    /// Where those were read.
    pub current_source: String,
    /// The drivers of the rootless daemon running now, as its RootlessKit's API reports them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub running: Option<Running>,
}

/// What the running daemon's RootlessKit reports (`GET /v1/info`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Running {
    pub network: String,
    pub port: String,
    pub rootlesskit_version: String,
    /// The API socket asked.
    pub api: String,
}

impl Running {
    pub fn label(&self) -> String {
        format!("{} + {}", self.network, self.port)
    }
}

/// A program found, with its version as far as it is known without running it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Program {
    pub path: String,
    #[serde(serialize_with = "ser_version")]
    pub version: Option<Version>,
    /// How the version was learned, or why it is unknown.
    pub detail: String,
}

fn ser_version<S: serde::Serializer>(v: &Option<Version>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.serialize_str(&v.to_string()),
        None => s.serialize_none(),
    }
}

/// A network driver's helper program on this host.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Helper {
    /// The network driver it serves.
    pub network: String,
    /// Where it is (on the daemon's PATH, or where RootlessKit looks); `None` when it is not installed.
    pub path: Option<String>,
    pub version: Option<HelperVersion>,
    /// The package and version, or why the version is unknown.
    pub detail: String,
    /// The user may execute it.
    pub executable: bool,
    /// Set-user-ID root (lxc-user-nic must be).
    pub setuid_root: bool,
    /// Where AppArmor restricts user namespaces: whether a profile lets it create one. `None`: no restriction,
    /// or not judged.
    pub apparmor_userns: Option<bool>,
    /// lxc-user-nic: the user's quota line in /etc/lxc/lxc-usernet, when there is one.
    pub quota: Option<String>,
}

/// What the user asks `net` for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Request {
    /// Containers must see the client's real address on published ports.
    pub source_ip: bool,
    /// The fastest combination, even an experimental or setuid one unless `no_suid`.
    pub throughput: bool,
    /// No setuid helper (lxc-user-nic).
    pub no_suid: bool,
    /// IPv6 in the namespace and on published ports.
    pub ipv6: bool,
    /// This MTU instead of the driver's default.
    pub mtu: Option<u32>,
    /// A port to publish; below `ip_unprivileged_port_start` it needs the sysctl or (builtin) a capability.
    pub port: Option<u16>,
}

/// Why a combination is out, or what to keep in mind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Missing,
    TooOld,
    KnownBad,
    NeedsSuid,
    NoSourceIp,
    NoIpv6,
    Prerequisite,
    Mtu,
    /// The trial launch failed.
    Probe,
    Caveat,
}

/// One reason, with its public source and what would remove it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reason {
    pub kind: Kind,
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// `[packages]` keys whose installation (or upgrade) removes this reason.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub install: Vec<String>,
}

impl Reason {
    fn new(kind: Kind, text: impl Into<String>, source: Option<&str>) -> Reason {
        Reason {
            kind,
            text: text.into(),
            source: source.map(str::to_owned),
            install: Vec::new(),
        }
    }

    fn installing(mut self, package: &str) -> Reason {
        if !package.is_empty() {
            self.install.push(package.to_owned());
        }
        self
    }
}

/// What a kept combination needs beyond the environment variables.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Need {
    /// A daemon.json key (`"userland-proxy": false`).
    DaemonJson {
        key: String,
        value: serde_json::Value,
        why: String,
        source: String,
    },
    /// `net.ipv4.ip_unprivileged_port_start` at most `value` (root).
    PortSysctl { value: u16, now: i64, why: String },
    /// Words for `DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS`.
    Flag { word: String, why: String },
}

/// How a trial launch of a combination went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "result")]
pub enum Probe {
    Started {
        ms: u128,
    },
    Failed {
        error: String,
        ms: u128,
    },
    /// This host launches nothing (a fixture, a `--root` tree), or the trial could not run: why.
    NotRun {
        why: String,
    },
}

/// One combination of network and port driver.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    pub network: String,
    pub port: String,
    pub mtu: u32,
    pub network_gbps: f64,
    pub port_gbps: f64,
    /// Whether published ports keep the client's address here (after the needs are met).
    pub source_ip: bool,
    /// The network driver runs a set-user-ID helper.
    pub suid: bool,
    pub rejected: Vec<Reason>,
    pub caveats: Vec<Reason>,
    pub needs: Vec<Need>,
    pub sources: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probe: Option<Probe>,
}

impl Candidate {
    pub fn kept(&self) -> bool {
        self.rejected.is_empty()
    }

    /// Nothing on this host keeps it from starting: what rules it out, if anything, is the request (source IP,
    /// IPv6, no set-user-ID helper, MTU), not a missing or broken part.
    pub fn could_start(&self) -> bool {
        self.rejected.iter().all(|r| {
            matches!(
                r.kind,
                Kind::NoSourceIp | Kind::NoIpv6 | Kind::NeedsSuid | Kind::Mtu
            )
        })
    }

    /// `slirp4netns + slirp4netns`.
    pub fn label(&self) -> String {
        format!("{} + {}", self.network, self.port)
    }

    /// The combination a trial or a bench starts for this choice: its drivers and MTU, and [`Candidate::flags`].
    pub fn combination(&self, current: &[(String, String)]) -> crate::facts::launch::Combination {
        crate::facts::launch::Combination {
            net: self.network.clone(),
            port: self.port.clone(),
            mtu: self.mtu,
            flags: self.flags(current),
        }
    }

    /// The words of `DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS` for this choice: the ones in force in `current`, less any
    /// that would override the choice (dockerd-rootless.sh passes FLAGS after its own `--net`, `--port-driver` and
    /// `--mtu`, and Go's flag package takes the last), plus the ones the choice needs.
    pub fn flags(&self, current: &[(String, String)]) -> Vec<String> {
        let existing = current
            .iter()
            .rev()
            .find(|(k, _)| k == "DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS")
            .map(|(_, v)| v.as_str())
            .unwrap_or("");
        let mut words: Vec<String> = Vec::new();
        let mut skip_value = false;
        for w in existing.split_ascii_whitespace() {
            if std::mem::take(&mut skip_value) {
                continue;
            }
            let name = w.trim_start_matches('-');
            let (name, has_value) = name
                .split_once('=')
                .map_or((name, false), |(n, _)| (n, true));
            if w.starts_with('-') && OVERRIDING.contains(&name) {
                // `--net X`: the value is the next word (a bool flag takes only `=`).
                skip_value = !has_value && name != "source-ip-transparent";
                continue;
            }
            words.push(w.to_owned());
        }
        for n in &self.needs {
            if let Need::Flag { word, .. } = n
                && !words.contains(word)
            {
                words.push(word.clone());
            }
        }
        words
    }

    /// The settings for dockerd-rootless.sh: the drivers and MTU, and FLAGS when they must change.
    pub fn environment(&self, current: &[(String, String)]) -> Vec<(String, String)> {
        let mut env = vec![
            (
                "DOCKERD_ROOTLESS_ROOTLESSKIT_NET".to_owned(),
                self.network.clone(),
            ),
            (
                "DOCKERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER".to_owned(),
                self.port.clone(),
            ),
            (
                "DOCKERD_ROOTLESS_ROOTLESSKIT_MTU".to_owned(),
                self.mtu.to_string(),
            ),
        ];
        let existing: Vec<&str> = current
            .iter()
            .rev()
            .find(|(k, _)| k == "DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS")
            .map(|(_, v)| v.split_ascii_whitespace().collect())
            .unwrap_or_default();
        let words = self.flags(current);
        if words != existing {
            env.push((
                "DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS".to_owned(),
                words.join(" "),
            ));
        }
        env
    }
}

/// RootlessKit flags in FLAGS that would undo `net`'s choice.
const OVERRIDING: &[&str] = &["net", "port-driver", "mtu", "source-ip-transparent"];

/// The answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    pub request: Request,
    /// Ranked: the kept ones first, best first; then the rejected ones in table order.
    pub candidates: Vec<Candidate>,
}

impl Decision {
    /// The choice: the best kept combination whose trial (if any ran) did not fail.
    pub fn chosen(&self) -> Option<&Candidate> {
        self.candidates.first().filter(|c| c.kept())
    }

    /// What to install or upgrade so that a combination the request allows becomes possible: for each rejected
    /// combination (best first) whose every reason an installation removes, its packages; alternatives, at most
    /// three, none a superset of an earlier one.
    pub fn to_install(&self) -> Vec<Vec<String>> {
        let mut out: Vec<Vec<String>> = Vec::new();
        for c in self.candidates.iter().filter(|c| !c.kept()) {
            if !c.rejected.iter().all(|r| !r.install.is_empty()) {
                continue;
            }
            // A set-user-ID helper (experimental, and a quota to configure besides) is suggested only to whom asks
            // for the most throughput.
            if c.suid && !self.request.throughput {
                continue;
            }
            let mut set: Vec<String> = Vec::new();
            for p in c.rejected.iter().flat_map(|r| &r.install) {
                if !set.contains(p) {
                    set.push(p.clone());
                }
            }
            if !out.iter().any(|o| o.iter().all(|p| set.contains(p))) {
                out.push(set);
            }
            if out.len() == 3 {
                break;
            }
        }
        out
    }

    /// A probe's outcome recorded on `label`; a failed one rejects it and the ranking is kept.
    pub fn record_probe(&mut self, index: usize, probe: Probe) {
        let Some(c) = self.candidates.get_mut(index) else {
            return;
        };
        if let Probe::Failed { error, .. } = &probe {
            c.rejected.push(Reason::new(
                Kind::Probe,
                format!("the trial launch failed: {error}"),
                None,
            ));
        }
        c.probe = Some(probe);
        // Kept ones first, in their order; the newly rejected one joins the rejected ones.
        self.candidates.sort_by_key(|c| !c.kept());
    }
}

/// RootlessKit's release that accepts `name` in `table` (`--net` or `--port-driver`).
fn since(table: &[(&str, Version)], name: &str) -> Option<Version> {
    table.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
}

const RK_MAIN: &str =
    "https://github.com/rootless-containers/rootlesskit/blob/v3.0.1/cmd/rootlesskit/main.go";
const LP_PASTA: &str = "https://bugs.launchpad.net/ubuntu/+source/passt/+bug/2077158; https://github.com/rootless-containers/rootlesskit/blob/v3.0.1/docs/network.md";
const PORTS_DOC: &str =
    "https://github.com/rootless-containers/rootlesskit/blob/v3.0.1/docs/port.md";

/// Judges every combination for `inv` and `req`, and ranks them.
pub fn decide(t: &Table, inv: &Inventory, req: &Request) -> Decision {
    let rk_version = inv.rootlesskit.as_ref().and_then(|p| p.version);
    let mut candidates = Vec::new();
    for net in &t.network {
        for port in t.port.iter().filter(|p| p.networks.contains(&net.name)) {
            candidates.push(judge(t, inv, req, net, port, rk_version));
        }
    }
    let order = |c: &Candidate| {
        let n = t
            .network
            .iter()
            .position(|r| r.name == c.network)
            .unwrap_or(usize::MAX);
        // dockerd-rootless.sh's default port driver: implicit for pasta, builtin for the others.
        let default_port = if c.network == "pasta" {
            "implicit"
        } else {
            "builtin"
        };
        let p = if c.port == default_port {
            0
        } else {
            1 + t
                .port
                .iter()
                .position(|r| r.name == c.port)
                .unwrap_or(usize::MAX - 1)
        };
        (n, p)
    };
    // Floats to ordered integers (hundredths of a Gbps), larger first.
    let speed = |g: f64| -> i64 { -((g * 100.0).round() as i64) };
    candidates.sort_by_key(|c| {
        (
            !c.kept(),
            if req.throughput && c.kept() {
                speed(c.network_gbps.min(c.port_gbps))
            } else {
                0
            },
            if req.throughput && c.kept() {
                speed(c.network_gbps)
            } else {
                0
            },
            if req.source_ip && c.kept() {
                speed(c.port_gbps)
            } else {
                0
            },
            order(c),
        )
    });
    Decision {
        request: *req,
        candidates,
    }
}

fn in_range<T: PartialOrd>(v: T, from: Option<T>, below: Option<T>) -> bool {
    from.is_none_or(|f| v >= f) && below.is_none_or(|b| v < b)
}

fn judge(
    t: &Table,
    inv: &Inventory,
    req: &Request,
    net: &NetworkRow,
    port: &PortRow,
    rk_version: Option<Version>,
) -> Candidate {
    let mut rejected = Vec::new();
    let mut caveats = Vec::new();
    let mut needs = Vec::new();
    let mut sources = vec![net.source.clone()];
    if port.source != net.source {
        sources.push(port.source.clone());
    }
    let mtu = req.mtu.unwrap_or(net.mtu);
    // RootlessKit itself.
    match &inv.rootlesskit {
        None => rejected.push(
            Reason::new(
                Kind::Missing,
                "RootlessKit is not installed",
                Some("https://docs.docker.com/engine/security/rootless/"),
            )
            .installing("rootlesskit"),
        ),
        Some(p) => {
            if let Some(v) = p.version {
                for (what, name, table) in [
                    ("--net", &net.name, rk::NETWORKS),
                    ("--port-driver", &port.name, rk::PORT_DRIVERS),
                ] {
                    match since(table, name) {
                        Some(s) if v < s => rejected.push(
                            Reason::new(
                                Kind::TooOld,
                                format!(
                                    "RootlessKit {v} has no {what}={name} (added in {s}): \"[rootlesskit:parent] error: unknown {}: {name}\"",
                                    if what == "--net" {
                                        "network mode"
                                    } else {
                                        "port driver"
                                    }
                                ),
                                Some(RK_MAIN),
                            )
                            .installing("rootlesskit"),
                        ),
                        Some(_) => {}
                        None => rejected.push(Reason::new(
                            Kind::TooOld,
                            format!("no RootlessKit release modelled has {what}={name}"),
                            Some(RK_MAIN),
                        )),
                    }
                }
            }
            if inv.without_networks.contains(&net.name) {
                rejected.push(Reason::new(
                    Kind::Missing,
                    format!(
                        "this distribution builds RootlessKit without {} (\"[rootlesskit:parent] error: {}\")",
                        net.name, inv.without_error
                    ),
                    None,
                ));
            }
        }
    }
    // The helper program.
    let helper = inv.helpers.iter().find(|h| h.network == net.name);
    if !net.helper.is_empty() {
        match helper.and_then(|h| h.path.as_ref().map(|p| (h, p))) {
            None => rejected.push(
                Reason::new(
                    Kind::Missing,
                    format!("{} is not installed", net.helper),
                    Some(&net.source),
                )
                .installing(&net.package),
            ),
            Some((h, path)) => {
                if !h.executable {
                    rejected.push(Reason::new(
                        Kind::Prerequisite,
                        format!(
                            "{path} is not executable by the user: RootlessKit's lookup skips it (\"executable file not found in $PATH\")"
                        ),
                        None,
                    ));
                }
                if net.suid && !h.setuid_root {
                    rejected.push(Reason::new(
                        Kind::Prerequisite,
                        format!("{path} is not set-user-ID root, which lxc-user-nic must be"),
                        Some("lxc-user-nic(1)"),
                    ));
                }
                if net.name == "lxc-user-nic" && h.quota.is_none() {
                    rejected.push(Reason::new(
                        Kind::Prerequisite,
                        "no line of /etc/lxc/lxc-usernet gives the user a veth (\"main: Quota reached\")",
                        Some("lxc-usernet(5)"),
                    ));
                }
                if let (Some(min), Some(v)) = (
                    net.helper_min
                        .as_deref()
                        .and_then(HelperVersion::parse_bound),
                    h.version,
                ) && v.cmp_same(&min) == Some(std::cmp::Ordering::Less)
                {
                    rejected.push(
                        Reason::new(
                            Kind::TooOld,
                            format!("{} {v} is older than {min}", net.helper),
                            Some(&net.source),
                        )
                        .installing(&net.package),
                    );
                }
                if net.apparmor && h.apparmor_userns == Some(false) {
                    rejected.push(Reason::new(
                        Kind::Prerequisite,
                        format!(
                            "AppArmor restricts unprivileged user namespaces and no profile lets {path} create one: \
pasta fails (\"pasta failed with exit code 1\")"
                        ),
                        Some(LP_PASTA),
                    ));
                }
            }
        }
    }
    // The version rules.
    let helper_version = helper.and_then(|h| h.version);
    let docker = inv.docker.as_ref().map(|(_, v)| *v);
    for r in &t.rule {
        if r.network.as_ref().is_some_and(|n| *n != net.name)
            || r.port.as_ref().is_some_and(|p| *p != port.name)
        {
            continue;
        }
        let hb = |s: &Option<String>| s.as_deref().and_then(HelperVersion::parse_bound);
        let helper_ok = if r.helper_from.is_some() || r.helper_below.is_some() {
            helper_version.is_some_and(|v| {
                hb(&r.helper_from).is_none_or(|f| v.cmp_same(&f).is_some_and(|o| o.is_ge()))
                    && hb(&r.helper_below).is_none_or(|b| v.cmp_same(&b).is_some_and(|o| o.is_lt()))
            })
        } else {
            true
        };
        let vb = |s: &Option<String>| s.as_deref().and_then(Version::parse);
        let rk_ok = if r.rootlesskit_from.is_some() || r.rootlesskit_below.is_some() {
            rk_version
                .is_some_and(|v| in_range(v, vb(&r.rootlesskit_from), vb(&r.rootlesskit_below)))
        } else {
            true
        };
        let docker_ok = if r.docker_from.is_some() || r.docker_below.is_some() {
            let as3 = |v: Version| (u64::from(v.0), u64::from(v.1), u64::from(v.2));
            docker.is_some_and(|v| {
                in_range(v, vb(&r.docker_from).map(as3), vb(&r.docker_below).map(as3))
            })
        } else {
            true
        };
        if helper_ok && rk_ok && docker_ok {
            let reason = Reason::new(
                if r.severity == Severity::Reject {
                    Kind::KnownBad
                } else {
                    Kind::Caveat
                },
                r.text.clone(),
                Some(&r.source),
            );
            if r.severity == Severity::Reject {
                rejected.push(reason);
            } else {
                caveats.push(reason);
            }
        }
    }
    // What the host must offer.
    if net.tun
        && let Some(why) = &inv.tun_problem
    {
        rejected.push(Reason::new(
            Kind::Prerequisite,
            format!("{} needs /dev/net/tun: {why}", net.name),
            Some("https://github.com/rootless-containers/rootlesskit/blob/v3.0.1/docs/network.md"),
        ));
    }
    // RootlessKit's child adds the TAP device with `ip tuntap` for slirp4netns, vpnkit and gvisor-tap-vsock, and
    // for pasta up to 2.2.0 (from 2.3.0 pasta configures its interface itself).
    let tap_by_ip = match net.name.as_str() {
        "slirp4netns" | "vpnkit" | "gvisor-tap-vsock" => true,
        "pasta" => rk_version.is_none_or(|v| v < Version(2, 3, 0)),
        _ => false,
    };
    if tap_by_ip && inv.ip.is_none() {
        rejected.push(
            Reason::new(
                Kind::Prerequisite,
                "`ip` (iproute2) is not on the daemon's PATH: RootlessKit's child runs `ip tuntap add name tap0 mode tap`",
                Some("https://github.com/rootless-containers/rootlesskit/blob/v3.0.1/pkg/network/slirp4netns/slirp4netns.go"),
            )
            .installing("iproute2"),
        );
    }
    if net.default_route && inv.default_route == Some(false) {
        rejected.push(Reason::new(
            Kind::Prerequisite,
            "the host has no IPv4 default route, which pasta copies (\"No routable interface for IPv4\")",
            Some("https://passt.top/builds/latest/web/passt.1.html"),
        ));
    }
    // What the user asked for.
    if req.no_suid && net.suid {
        rejected.push(Reason::new(
            Kind::NeedsSuid,
            format!("{} runs a set-user-ID root helper", net.name),
            Some(&net.source),
        ));
    }
    // From RootlessKit 3, builtin keeps the address only with the daemon.json key `net` writes when asked.
    let mut source_ip = match port.source_ip {
        SourceIp::Yes => true,
        SourceIp::No => false,
        SourceIp::Since => {
            let since = port.source_ip_since.as_deref().and_then(Version::parse);
            req.source_ip && rk_version.zip(since).is_some_and(|(v, s)| v >= s)
        }
    };
    // ... and from the Docker release that publishes through the port driver itself (an unknown one is not ruled out).
    let docker_too_old = port
        .source_ip_docker_since
        .as_deref()
        .and_then(Version::parse)
        .zip(docker)
        .filter(|(s, v)| *v < (u64::from(s.0), u64::from(s.1), u64::from(s.2)))
        .map(|(s, _)| s);
    if source_ip && let Some(s) = docker_too_old {
        source_ip = false;
        rejected.push(Reason::new(
            Kind::NoSourceIp,
            format!(
                "before Docker {s} the rootless daemon publishes ports through rootlesskit-docker-proxy, its userland proxy: the {} port driver cannot keep the client's address through it, and without it nothing is published",
                port.name
            ),
            Some(&port.source),
        ));
    }
    if port.source_ip == SourceIp::Since && source_ip && req.source_ip {
        needs.push(Need::DaemonJson {
            key: "userland-proxy".to_owned(),
            value: serde_json::Value::Bool(false),
            why: "RootlessKit 3's builtin port driver keeps the client's address only when dockerd runs without its userland proxy".to_owned(),
            source: "https://github.com/moby/moby/blob/docker-v29.5.0/contrib/dockerd-rootless.sh".to_owned(),
        });
        caveats.push(Reason::new(
            Kind::Caveat,
            "the client's address is kept for TCP only; UDP still shows the namespace's",
            Some(PORTS_DOC),
        ));
        if inv.iptables.is_none() {
            source_ip = false;
            rejected.push(
                Reason::new(
                    Kind::Prerequisite,
                    "iptables is not on the daemon's PATH: RootlessKit logs \"source IP transparent: iptables not found, disabling\"",
                    Some("https://github.com/rootless-containers/rootlesskit/blob/v3.0.1/pkg/port/builtin/child/child.go"),
                )
                .installing("iptables"),
            );
        }
    }
    if req.source_ip && !source_ip && port.source_ip != SourceIp::Yes {
        let text = match port.source_ip {
            SourceIp::No => format!(
                "the {} port driver never passes the client's address",
                port.name
            ),
            _ => match rk_version {
                Some(v) => format!(
                    "the {} port driver shows containers 127.0.0.1 before RootlessKit {} (this one is {v})",
                    port.name,
                    port.source_ip_since.as_deref().unwrap_or("?")
                ),
                None => format!(
                    "the {} port driver keeps the client's address only from RootlessKit {}, and this RootlessKit's version is unknown",
                    port.name,
                    port.source_ip_since.as_deref().unwrap_or("?")
                ),
            },
        };
        if !rejected.iter().any(|r: &Reason| {
            (r.kind == Kind::Prerequisite && r.text.contains("iptables"))
                || r.kind == Kind::NoSourceIp
        }) {
            rejected.push(Reason::new(Kind::NoSourceIp, text, Some(&port.source)));
        }
    }
    if req.ipv6 {
        match net.ipv6 {
            Ipv6::No => rejected.push(Reason::new(
                Kind::NoIpv6,
                format!("{} has no IPv6", net.name),
                Some(&net.source),
            )),
            Ipv6::Flag => needs.push(Need::Flag {
                word: "--ipv6".to_owned(),
                why: format!(
                    "RootlessKit routes IPv6 through {} only with --ipv6",
                    net.name
                ),
            }),
            Ipv6::Yes => {}
        }
        if !port.ipv6 {
            rejected.push(Reason::new(
                Kind::NoIpv6,
                format!("the {} port driver forwards IPv4 only", port.name),
                Some(&port.source),
            ));
        }
        if inv.default_route6 == Some(false) {
            caveats.push(Reason::new(
                Kind::Caveat,
                "the host has no IPv6 default route: containers reach IPv6 addresses only on the local network",
                None,
            ));
        }
    }
    if mtu > net.mtu_max {
        rejected.push(Reason::new(
            Kind::Mtu,
            format!("{} takes an MTU of at most {}", net.name, net.mtu_max),
            Some(&net.source),
        ));
    }
    if let Some(p) = req.port
        && let Some(start) = inv.unprivileged_port_start
        && i64::from(p) < start
        && !(port.privileged_by_cap && inv.rootlesskit_bind_cap)
    {
        needs.push(Need::PortSysctl {
            value: p,
            now: start,
            why: format!(
                "port {p} is below net.ipv4.ip_unprivileged_port_start ({start}){}",
                if port.privileged_by_cap {
                    "; or give rootlesskit CAP_NET_BIND_SERVICE (builtin only)"
                } else {
                    ""
                }
            ),
        });
    }
    Candidate {
        network: net.name.clone(),
        port: port.name.clone(),
        mtu,
        network_gbps: net.gbps,
        port_gbps: port.gbps,
        source_ip,
        suid: net.suid,
        rejected,
        caveats,
        needs,
        sources,
        probe: None,
    }
}

/// Where the settings go, and what else the choice needs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Settings {
    /// The variables for dockerd-rootless.sh.
    pub environment: Vec<(String, String)>,
    /// The user unit's drop-in that holds them (systemd), or `None`: they go in dockerd-rootless.sh's environment.
    pub override_file: Option<String>,
    /// daemon.json keys to set, and the file.
    pub daemon_json: Vec<(String, serde_json::Value)>,
    pub daemon_json_file: String,
    /// Root's part, which `net --write` does not do.
    pub root_steps: Vec<crate::model::Step>,
    /// What to run once they are written.
    pub then: Vec<String>,
}

/// The drop-in `net --write` edits.
pub fn override_path(home: &str) -> String {
    format!(
        "{}/.config/systemd/user/docker.service.d/override.conf",
        home.trim_end_matches('/')
    )
}

/// The settings of the choice, for a host with (`systemd`) or without systemd user units.
pub fn settings(
    c: &Candidate,
    inv: &Inventory,
    systemd: bool,
    home: &str,
    daemon_json_file: &str,
) -> Settings {
    let mut daemon_json = Vec::new();
    let mut root_steps = Vec::new();
    for n in &c.needs {
        match n {
            Need::DaemonJson { key, value, .. } => daemon_json.push((key.clone(), value.clone())),
            Need::PortSysctl { value, .. } => {
                let conf = format!(
                    "# rootless Docker: publish ports from {value} up (rootless-doctor net --port {value})\nnet.ipv4.ip_unprivileged_port_start = {value}\n"
                );
                root_steps.push(crate::model::Step::write_file(
                    true,
                    "/etc/sysctl.d/53-rootless-privileged-ports.conf",
                    conf,
                ));
                root_steps.push(crate::model::Step::sysctl(
                    "net.ipv4.ip_unprivileged_port_start",
                    value.to_string(),
                ));
            }
            Need::Flag { .. } => {}
        }
    }
    let then = if systemd {
        vec![
            "systemctl --user daemon-reload".to_owned(),
            "systemctl --user restart docker".to_owned(),
        ]
    } else {
        vec![
            "stop dockerd-rootless.sh and start it again with these variables in its environment"
                .to_owned(),
        ]
    };
    Settings {
        environment: c.environment(&inv.current),
        override_file: systemd.then(|| override_path(home)),
        daemon_json,
        daemon_json_file: daemon_json_file.to_owned(),
        root_steps,
        then,
    }
}

/// What the report is about.
pub struct Heading<'a> {
    pub user: &'a str,
    pub distro: &'a str,
}

fn request_words(r: &Request) -> String {
    let mut w = Vec::new();
    if r.source_ip {
        w.push("the client's source address kept".to_owned());
    }
    if r.throughput {
        w.push("the most throughput".to_owned());
    }
    if r.no_suid {
        w.push("no set-user-ID helper".to_owned());
    }
    if r.ipv6 {
        w.push("IPv6".to_owned());
    }
    if let Some(m) = r.mtu {
        w.push(format!("MTU {m}"));
    }
    if let Some(p) = r.port {
        w.push(format!("port {p} published"));
    }
    if w.is_empty() {
        "nothing in particular (the script's own preference)".to_owned()
    } else {
        w.join(", ")
    }
}

fn probe_words(p: &Probe) -> String {
    match p {
        Probe::Started { ms } => format!("started here ({ms} ms)"),
        Probe::Failed { error, ms } => format!("failed here after {ms} ms: {error}"),
        Probe::NotRun { why } => format!("not tried: {why}"),
    }
}

/// The numbered sources of a report, in first-use order.
#[derive(Default)]
struct Sources(Vec<String>);

impl Sources {
    fn cite(&mut self, s: &Option<String>) -> String {
        let Some(s) = s else { return String::new() };
        let n = match self.0.iter().position(|x| x == s) {
            Some(i) => i + 1,
            None => {
                self.0.push(s.clone());
                self.0.len()
            }
        };
        format!(" [{n}]")
    }
}

/// The human report.
pub fn human(
    out: &mut dyn std::io::Write,
    h: &Heading,
    inv: &Inventory,
    d: &Decision,
    settings: Option<&Settings>,
    install: &[String],
) -> std::io::Result<()> {
    use crate::model::escape_controls as esc;
    let mut src = Sources::default();
    writeln!(
        out,
        "rootless-doctor net: RootlessKit's network and port driver for {} on {}",
        esc(h.user),
        esc(h.distro)
    )?;
    writeln!(out, "  asked for    {}", request_words(&d.request))?;
    match &inv.rootlesskit {
        Some(p) => writeln!(
            out,
            "  RootlessKit  {} {} ({})",
            esc(&p.path),
            p.version
                .map_or("version unknown".to_owned(), |v| v.to_string()),
            esc(&p.detail)
        )?,
        None => writeln!(out, "  RootlessKit  not installed")?,
    }
    if let Some((pkg, _)) = &inv.docker {
        writeln!(out, "  Docker       {}", esc(pkg))?;
    }
    for hp in &inv.helpers {
        if let Some(path) = &hp.path {
            writeln!(
                out,
                "  {:<12} {} ({})",
                hp.network,
                esc(path),
                esc(&hp.detail)
            )?;
        }
    }
    if !inv.current.is_empty() {
        let now: Vec<String> = inv
            .current
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        writeln!(
            out,
            "  set now      {} ({})",
            esc(&now.join(" ")),
            esc(&inv.current_source)
        )?;
    }
    if let Some(r) = &inv.running {
        writeln!(
            out,
            "  running now  {} (RootlessKit {}, {})",
            esc(&r.label()),
            esc(&r.rootlesskit_version),
            esc(&r.api)
        )?;
    }
    match d.chosen() {
        Some(c) => {
            writeln!(out, "\nChosen: {} (port driver), MTU {}", c.label(), c.mtu)?;
            match &inv.running {
                Some(r) if r.label() == c.label() => {
                    writeln!(out, "  the running daemon already uses it")?
                }
                Some(r) => writeln!(
                    out,
                    "  the running daemon uses {}: it switches once these settings are in place and it restarts",
                    esc(&r.label())
                )?,
                None => {}
            }
            writeln!(
                out,
                "  {}; about {} Gbps out of the namespace, {} Gbps into published ports (RootlessKit's benchmark){}",
                if c.source_ip {
                    "published ports show containers the client's own address"
                } else {
                    "published ports do not show containers the client's address"
                },
                c.network_gbps,
                c.port_gbps,
                src.cite(&c.sources.first().cloned())
            )?;
            if let Some(p) = &c.probe {
                writeln!(out, "  {}", esc(&probe_words(p)))?;
            }
            for r in &c.caveats {
                writeln!(out, "  caveat: {}{}", esc(&r.text), src.cite(&r.source))?;
            }
            for n in &c.needs {
                match n {
                    Need::DaemonJson { why, source, .. } => writeln!(
                        out,
                        "  needs: {}{}",
                        esc(why),
                        src.cite(&Some(source.clone()))
                    )?,
                    Need::PortSysctl { why, .. } => writeln!(out, "  needs root: {}", esc(why))?,
                    Need::Flag { why, .. } => writeln!(out, "  needs: {}", esc(why))?,
                }
            }
            if let Some(s) = settings {
                match &s.override_file {
                    Some(f) => writeln!(out, "  settings, in {} under [Service]:", esc(f))?,
                    None => writeln!(
                        out,
                        "  settings, in the environment of dockerd-rootless.sh (no systemd user units here):"
                    )?,
                }
                for (k, v) in &s.environment {
                    if s.override_file.is_some() {
                        writeln!(
                            out,
                            "    Environment={}",
                            esc(&crate::parse::dropin::quote(k, v))
                        )?;
                    } else {
                        writeln!(
                            out,
                            "    export {}={}",
                            esc(k),
                            crate::model::shell_quote(v)
                        )?;
                    }
                }
                for (k, v) in &s.daemon_json {
                    writeln!(
                        out,
                        "  in {}: \"{}\": {v}",
                        esc(&s.daemon_json_file),
                        esc(k)
                    )?;
                }
                for st in &s.root_steps {
                    writeln!(out, "  as root: {}", st.render())?;
                }
                writeln!(out, "  then: {}", s.then.join(" && "))?;
            }
        }
        None => {
            writeln!(out, "\nNo combination meets the request on this host.")?;
            if !install.is_empty() {
                writeln!(
                    out,
                    "  To make one possible: {}",
                    esc(&install.join("; or "))
                )?;
            }
        }
    }
    let others: Vec<&Candidate> = d.candidates.iter().skip(1).filter(|c| c.kept()).collect();
    if !others.is_empty() {
        writeln!(out, "\nAlso possible, ranked:")?;
        for c in others {
            let mut line = format!("  {:<38} MTU {}", c.label(), c.mtu);
            if let Some(p) = &c.probe {
                line.push_str(&format!("; {}", probe_words(p)));
            }
            for r in &c.caveats {
                line.push_str(&format!("; {}{}", r.text, src.cite(&r.source)));
            }
            writeln!(out, "{}", esc(&line))?;
        }
    }
    let rejected: Vec<&Candidate> = d.candidates.iter().filter(|c| !c.kept()).collect();
    if !rejected.is_empty() {
        writeln!(out, "\nRejected:")?;
        for c in rejected {
            let mut reasons: Vec<String> = c
                .rejected
                .iter()
                .map(|r| format!("{}{}", r.text, src.cite(&r.source)))
                .collect();
            if let Some(p @ Probe::Started { .. }) = &c.probe {
                reasons.push(probe_words(p));
            }
            writeln!(out, "  {:<38} {}", c.label(), esc(&reasons.join("; ")))?;
        }
    }
    if !src.0.is_empty() {
        writeln!(out, "\nSources:")?;
        for (i, s) in src.0.iter().enumerate() {
            writeln!(out, "  [{}] {}", i + 1, s)?;
        }
    }
    Ok(())
}

/// The JSON document.
pub fn json(
    out: &mut dyn std::io::Write,
    h: &Heading,
    inv: &Inventory,
    d: &Decision,
    settings: Option<&Settings>,
    install: &[String],
) -> std::io::Result<()> {
    #[derive(Serialize)]
    struct Doc<'a> {
        schema_version: u32,
        command: &'static str,
        user: &'a str,
        distro: &'a str,
        request: &'a Request,
        inventory: &'a Inventory,
        chosen: Option<String>,
        settings: Option<&'a Settings>,
        to_install: &'a [String],
        candidates: &'a [Candidate],
    }
    let doc = Doc {
        schema_version: 1,
        command: "net",
        user: h.user,
        distro: h.distro,
        request: &d.request,
        inventory: inv,
        chosen: d.chosen().map(Candidate::label),
        settings,
        to_install: install,
        candidates: &d.candidates,
    };
    serde_json::to_writer_pretty(&mut *out, &doc).map_err(std::io::Error::other)?;
    writeln!(out)
}

/// One combination's `net bench` result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BenchRow {
    pub network: String,
    pub port: String,
    pub mtu: u32,
    /// What happened, or why nothing ran.
    pub outcome: Result<crate::host::bench::BenchOutput, String>,
}

/// Mbit/s for `bytes` in `elapsed`.
fn mbit(bytes: u64, elapsed: std::time::Duration) -> u64 {
    let micros = elapsed.as_micros().max(1);
    (u128::from(bytes) * 8 / micros) as u64
}

fn rate_words(mbit: u64) -> String {
    if mbit >= 1000 {
        format!("{:.1} Gbit/s", mbit as f64 / 1000.0)
    } else {
        format!("{mbit} Mbit/s")
    }
}

impl BenchRow {
    fn label(&self) -> String {
        format!("{} + {}", self.network, self.port)
    }

    /// Whether the client's address arrived: `None` when it could not be judged.
    pub fn source_ip(&self) -> Option<bool> {
        let out = self.outcome.as_ref().ok()?;
        let address = out.address?;
        match &out.inbound {
            crate::host::bench::Leg::Measured { peer: Some(p), .. } => Some(p.ip() == address),
            _ => None,
        }
    }

    /// How RootlessKit failed, in its own words, when the child never said it was ready.
    fn start_error(&self) -> Option<String> {
        match &self.outcome {
            Err(why) => Some(format!("not run: {why}")),
            Ok(o) if !o.started => {
                let line = crate::parse::known_errors::error_line(&o.stderr, "");
                Some(if line.is_empty() {
                    format!("did not start ({:?})", o.exit)
                } else {
                    format!("did not start: {line}")
                })
            }
            Ok(_) => None,
        }
    }
}

fn leg_words(leg: &crate::host::bench::Leg) -> String {
    use crate::host::bench::Leg;
    match leg {
        Leg::Measured { bytes, elapsed, .. } => rate_words(mbit(*bytes, *elapsed)),
        Leg::Failed(why) => format!("failed: {why}"),
        Leg::NotRun(why) => format!("not measured: {why}"),
    }
}

/// What `net bench` measured: whose, how much each way, the client's address, and every combination.
pub struct BenchReport<'a> {
    pub heading: Heading<'a>,
    pub bytes: u64,
    /// This host's address the bench used as client and outbound target; `None`: loopback only, or nothing ran.
    pub address: Option<std::net::Ipv4Addr>,
    pub rows: Vec<BenchRow>,
    /// Combinations that cannot start here, with `net`'s reasons.
    pub skipped: Vec<(String, String)>,
}

/// What `net bench` measured, for people: one block per combination.
pub fn bench_human(out: &mut dyn std::io::Write, r: &BenchReport) -> std::io::Result<()> {
    let (h, bytes, address, rows, skipped) = (&r.heading, r.bytes, r.address, &r.rows, &r.skipped);
    use crate::model::escape_controls as esc;
    let mib = bytes >> 20;
    writeln!(
        out,
        "net bench for {} ({}): {mib} MiB each way per combination, one throw-away RootlessKit each",
        h.user, h.distro
    )?;
    let ran = rows.iter().any(|r| r.outcome.is_ok());
    match address {
        _ if !ran => {}
        Some(a) => writeln!(
            out,
            "client and outbound target: {a}, this host's own address (routed over loopback; nothing leaves the machine)"
        )?,
        None => writeln!(
            out,
            "client: 127.0.0.1 (this host has no other IPv4 address: the source address and outbound are not measured)"
        )?,
    }
    for row in rows {
        writeln!(out)?;
        writeln!(out, "{} (MTU {})", row.label(), row.mtu)?;
        if let Some(e) = row.start_error() {
            writeln!(out, "  {}", esc(&e))?;
            continue;
        }
        let Ok(o) = &row.outcome else { continue };
        writeln!(out, "  started, ran {} ms in all", o.elapsed.as_millis())?;
        writeln!(
            out,
            "  in through a published port: {}",
            leg_words(&o.inbound)
        )?;
        writeln!(
            out,
            "  out of the namespace:        {}",
            leg_words(&o.outbound)
        )?;
        let seen = match &o.inbound {
            crate::host::bench::Leg::Measured { peer: Some(p), .. } => p.ip().to_string(),
            _ => String::new(),
        };
        match row.source_ip() {
            Some(true) => writeln!(out, "  client address: kept (the container saw {seen})")?,
            Some(false) => writeln!(
                out,
                "  client address: lost (the container saw {seen}, not {})",
                address.map(|a| a.to_string()).unwrap_or_default()
            )?,
            None => writeln!(out, "  client address: not judged")?,
        }
        if !o.leftovers.is_empty() {
            writeln!(
                out,
                "  left behind in its scratch directory (removed): {}",
                esc(&o.leftovers.join(", "))
            )?;
        }
        if let Some(e) = &o.cleanup_error {
            writeln!(out, "  cleanup: {}", esc(e))?;
        }
    }
    if !skipped.is_empty() {
        writeln!(out)?;
        writeln!(out, "Not benched (cannot start here):")?;
        for (label, why) in skipped {
            writeln!(out, "  {}: {}", esc(label), esc(why))?;
        }
    }
    Ok(())
}

/// What `net bench` measured, as one JSON document.
pub fn bench_json(out: &mut dyn std::io::Write, r: &BenchReport) -> std::io::Result<()> {
    let (h, bytes, address, rows, skipped) = (&r.heading, r.bytes, r.address, &r.rows, &r.skipped);
    use crate::host::bench::Leg as L;
    #[derive(Serialize)]
    struct Leg {
        status: &'static str,
        #[serde(skip_serializing_if = "Option::is_none")]
        mbit_per_s: Option<u64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        ms: Option<u128>,
        #[serde(skip_serializing_if = "Option::is_none")]
        peer: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    }
    fn leg(l: &L) -> Leg {
        match l {
            L::Measured {
                bytes,
                elapsed,
                peer,
            } => Leg {
                status: "measured",
                mbit_per_s: Some(mbit(*bytes, *elapsed)),
                ms: Some(elapsed.as_millis()),
                peer: peer.map(|p| p.to_string()),
                error: None,
            },
            L::Failed(e) | L::NotRun(e) => Leg {
                status: if matches!(l, L::Failed(_)) {
                    "failed"
                } else {
                    "not_run"
                },
                mbit_per_s: None,
                ms: None,
                peer: None,
                error: Some(e.clone()),
            },
        }
    }
    #[derive(Serialize)]
    struct Row {
        network: String,
        port: String,
        mtu: u32,
        started: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        inbound: Option<Leg>,
        #[serde(skip_serializing_if = "Option::is_none")]
        outbound: Option<Leg>,
        source_ip_kept: Option<bool>,
        #[serde(skip_serializing_if = "Option::is_none")]
        ms: Option<u128>,
        leftovers: Vec<String>,
    }
    #[derive(Serialize)]
    struct Skipped<'a> {
        combination: &'a str,
        reason: &'a str,
    }
    #[derive(Serialize)]
    struct Doc<'a> {
        schema_version: u32,
        command: &'static str,
        user: &'a str,
        distro: &'a str,
        bytes_each_way: u64,
        client_address: Option<String>,
        results: Vec<Row>,
        not_benched: Vec<Skipped<'a>>,
    }
    let results = rows
        .iter()
        .map(|r| {
            let ok = r.outcome.as_ref().ok().filter(|o| o.started);
            Row {
                network: r.network.clone(),
                port: r.port.clone(),
                mtu: r.mtu,
                started: ok.is_some(),
                error: r.start_error(),
                inbound: ok.map(|o| leg(&o.inbound)),
                outbound: ok.map(|o| leg(&o.outbound)),
                source_ip_kept: r.source_ip(),
                ms: r.outcome.as_ref().ok().map(|o| o.elapsed.as_millis()),
                leftovers: r
                    .outcome
                    .as_ref()
                    .map(|o| o.leftovers.clone())
                    .unwrap_or_default(),
            }
        })
        .collect();
    let doc = Doc {
        schema_version: 1,
        command: "net bench",
        user: h.user,
        distro: h.distro,
        bytes_each_way: bytes,
        client_address: address.map(|a| a.to_string()),
        results,
        not_benched: skipped
            .iter()
            .map(|(c, r)| Skipped {
                combination: c,
                reason: r,
            })
            .collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &doc).map_err(std::io::Error::other)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn helper(network: &str, version: Option<HelperVersion>) -> Helper {
        Helper {
            network: network.to_owned(),
            path: Some(format!("/usr/bin/{network}")),
            version,
            detail: String::new(),
            executable: true,
            setuid_root: network == "lxc-user-nic",
            apparmor_userns: None,
            quota: (network == "lxc-user-nic").then(|| "alice veth lxcbr0 1".to_owned()),
        }
    }

    /// Debian 12 on the CI machine: RootlessKit 1.1.0, slirp4netns 1.2.0, passt 2023-03-09, docker.io 20.10.24.
    fn debian12() -> Inventory {
        Inventory {
            rootlesskit: Some(Program {
                path: "/usr/bin/rootlesskit".into(),
                version: Some(Version(1, 1, 0)),
                detail: "package rootlesskit 1.1.0-1+b5".into(),
            }),
            docker: Some(("docker.io 20.10.24+dfsg1-1+deb12u1".into(), (20, 10, 24))),
            helpers: vec![
                helper("slirp4netns", Some(HelperVersion::Semver(1, 2, 0))),
                helper("pasta", Some(HelperVersion::Date(2023, 3, 9))),
            ],
            ip: Some("/usr/bin/ip".into()),
            iptables: Some("/usr/sbin/iptables".into()),
            default_route: Some(true),
            default_route6: Some(false),
            unprivileged_port_start: Some(1024),
            without_networks: vec!["vpnkit".into()],
            without_error: "not supported in this Debian package".into(),
            ..Inventory::default()
        }
    }

    /// Debian 13: RootlessKit 2.0.2, passt 2025-05-03, slirp4netns 1.2.1, docker.io 26.1.5.
    fn debian13() -> Inventory {
        let mut i = debian12();
        i.rootlesskit.as_mut().unwrap().version = Some(Version(2, 0, 2));
        i.docker = Some(("docker.io 26.1.5+dfsg1-9".into(), (26, 1, 5)));
        i.helpers = vec![
            helper("slirp4netns", Some(HelperVersion::Semver(1, 2, 1))),
            helper("pasta", Some(HelperVersion::Date(2025, 5, 3))),
        ];
        i
    }

    fn decide_for(inv: &Inventory, req: Request) -> Decision {
        decide(table().unwrap(), inv, &req)
    }

    fn chosen(inv: &Inventory, req: Request) -> String {
        decide_for(inv, req)
            .chosen()
            .map(Candidate::label)
            .unwrap_or_default()
    }

    #[test]
    fn the_shipped_table_parses_and_every_row_names_a_source() {
        let t = table().unwrap();
        assert!(t.network.iter().all(|n| n.source.contains("https://")));
        assert!(t.port.iter().all(|p| p.source.contains("https://")));
        assert!(t.rule.iter().all(|r| r.source.starts_with("https://")));
        // Every driver of the table is one RootlessKit knows, and every port driver pairing is one it accepts.
        for n in &t.network {
            assert!(since(rk::NETWORKS, &n.name).is_some(), "{}", n.name);
        }
        for p in &t.port {
            for n in &p.networks {
                let words = vec![
                    format!("--net={n}"),
                    format!("--port-driver={}", p.name),
                    "true".to_owned(),
                ];
                assert_eq!(
                    rk::check(&words, Version::NEWEST),
                    Ok(()),
                    "{n} + {}",
                    p.name
                );
            }
        }
    }

    #[test]
    fn debian_12_with_source_ip_takes_slirp4netns_and_its_port_driver() {
        let d = decide_for(
            &debian12(),
            Request {
                source_ip: true,
                ..Request::default()
            },
        );
        assert_eq!(d.chosen().unwrap().label(), "slirp4netns + slirp4netns");
        let pasta = d.candidates.iter().find(|c| c.network == "pasta").unwrap();
        let texts: Vec<&str> = pasta.rejected.iter().map(|r| r.text.as_str()).collect();
        assert!(
            texts
                .iter()
                .any(|t| t.contains("RootlessKit 1.1.0 has no --net=pasta (added in 2.0.0)")),
            "{texts:?}"
        );
        assert!(
            texts
                .iter()
                .any(|t| t.contains("pasta 2023_03_09 is older than 2023_12_04")),
            "{texts:?}"
        );
        let builtin = d
            .candidates
            .iter()
            .find(|c| c.label() == "slirp4netns + builtin")
            .unwrap();
        assert_eq!(builtin.rejected[0].kind, Kind::NoSourceIp);
        assert!(
            builtin.rejected[0]
                .text
                .contains("127.0.0.1 before RootlessKit 3.0.0")
        );
    }

    #[test]
    fn debian_12_without_a_request_takes_the_scripts_default() {
        assert_eq!(
            chosen(&debian12(), Request::default()),
            "slirp4netns + builtin"
        );
    }

    #[test]
    fn debian_13_with_source_ip_takes_pasta_and_implicit() {
        let req = Request {
            source_ip: true,
            ..Request::default()
        };
        assert_eq!(chosen(&debian13(), req), "pasta + implicit");
        // pasta with RootlessKit 2.0.2 is reminded that --disable-host-loopback leaks through it.
        let d = decide_for(&debian13(), req);
        assert!(
            d.chosen()
                .unwrap()
                .caveats
                .iter()
                .any(|c| c.text.contains("--disable-host-loopback")),
            "{:?}",
            d.chosen()
        );
    }

    #[test]
    fn rootlesskit_3_keeps_source_ip_with_builtin_and_userland_proxy_off() {
        let mut inv = debian13();
        inv.rootlesskit.as_mut().unwrap().version = Some(Version(3, 0, 1));
        inv.docker = Some(("docker-ce 5:29.6.0-1".into(), (29, 6, 0)));
        inv.helpers.retain(|h| h.network != "pasta");
        let d = decide_for(
            &inv,
            Request {
                source_ip: true,
                ..Request::default()
            },
        );
        let c = d.chosen().unwrap();
        assert_eq!(c.label(), "slirp4netns + builtin");
        assert!(c.needs.iter().any(|n| matches!(n, Need::DaemonJson { key, value, .. } if key == "userland-proxy" && *value == serde_json::Value::Bool(false))));
        // Without iptables the transparent mode turns itself off.
        inv.iptables = None;
        assert_eq!(
            chosen(
                &inv,
                Request {
                    source_ip: true,
                    ..Request::default()
                }
            ),
            "slirp4netns + slirp4netns"
        );
    }

    /// Audit: before Docker 28 the rootless daemon publishes through rootlesskit-docker-proxy, so RootlessKit 3's
    /// builtin driver cannot keep the address there, and `userland-proxy: false` publishes nothing.
    #[test]
    fn regression_builtin_source_ip_was_promised_with_a_docker_before_28() {
        let mut inv = debian13();
        inv.rootlesskit.as_mut().unwrap().version = Some(Version(3, 0, 1));
        inv.helpers.retain(|h| h.network != "pasta");
        let req = Request {
            source_ip: true,
            ..Request::default()
        };
        let d = decide_for(&inv, req);
        assert_eq!(d.chosen().unwrap().label(), "slirp4netns + slirp4netns");
        let builtin = d
            .candidates
            .iter()
            .find(|c| c.label() == "slirp4netns + builtin")
            .unwrap();
        assert!(
            builtin.rejected[0].text.starts_with("before Docker 28.0.0"),
            "{builtin:?}"
        );
        assert!(builtin.needs.is_empty());
    }

    #[test]
    fn the_known_bad_pasta_release_is_rejected_with_its_issue() {
        let mut inv = debian13();
        inv.rootlesskit.as_mut().unwrap().version = Some(Version(3, 0, 0));
        inv.helpers = vec![helper("pasta", Some(HelperVersion::Date(2026, 5, 7)))];
        let d = decide_for(&inv, Request::default());
        let pasta = d.candidates.iter().find(|c| c.network == "pasta").unwrap();
        assert!(
            pasta.rejected.iter().any(|r| r.kind == Kind::KnownBad
                && r.source.as_deref()
                    == Some("https://github.com/rootless-containers/rootlesskit/issues/591")),
            "{pasta:?}"
        );
        // gvisor-tap-vsock, built into RootlessKit 3, is what is left.
        assert_eq!(d.chosen().unwrap().label(), "gvisor-tap-vsock + builtin");
    }

    #[test]
    fn docker_29_0_rejects_the_slirp4netns_port_driver() {
        let mut inv = debian12();
        inv.docker = Some(("docker-ce 5:29.0.4-1~debian.12~bookworm".into(), (29, 0, 4)));
        let d = decide_for(
            &inv,
            Request {
                source_ip: true,
                ..Request::default()
            },
        );
        assert!(d.chosen().is_none());
        let c = d
            .candidates
            .iter()
            .find(|c| c.label() == "slirp4netns + slirp4netns")
            .unwrap();
        assert!(
            c.rejected
                .iter()
                .any(|r| r.text.contains("address already in use"))
        );
    }

    #[test]
    fn nothing_fits_says_what_to_install() {
        let mut inv = debian12();
        inv.helpers.clear();
        let d = decide_for(&inv, Request::default());
        assert!(d.chosen().is_none());
        assert_eq!(d.to_install()[0], vec!["slirp4netns".to_owned()]);
        assert_eq!(
            d.to_install()[1],
            vec!["rootlesskit".to_owned(), "passt".to_owned()]
        );
    }

    #[test]
    fn no_suid_rules_out_lxc_user_nic_and_throughput_prefers_it_otherwise() {
        let mut inv = debian13();
        inv.helpers.push(helper("lxc-user-nic", None));
        let fast = Request {
            throughput: true,
            ..Request::default()
        };
        assert_eq!(chosen(&inv, fast), "lxc-user-nic + builtin");
        assert_ne!(
            chosen(
                &inv,
                Request {
                    no_suid: true,
                    ..fast
                }
            )
            .split(' ')
            .next(),
            Some("lxc-user-nic")
        );
    }

    #[test]
    fn ipv6_adds_the_flag_and_rules_out_the_slirp4netns_port_driver() {
        let d = decide_for(
            &debian12(),
            Request {
                ipv6: true,
                ..Request::default()
            },
        );
        let c = d.chosen().unwrap();
        assert_eq!(c.label(), "slirp4netns + builtin");
        let env = c.environment(&[(
            "DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS".into(),
            "--cidr=10.0.5.0/24".into(),
        )]);
        assert_eq!(
            env.last().unwrap(),
            &(
                "DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS".to_owned(),
                "--cidr=10.0.5.0/24 --ipv6".to_owned()
            )
        );
        let slirp_port = d
            .candidates
            .iter()
            .find(|c| c.label() == "slirp4netns + slirp4netns")
            .unwrap();
        assert!(slirp_port.rejected.iter().any(|r| r.kind == Kind::NoIpv6));
    }

    /// Audit: FLAGS in force with `--port-driver=builtin --net=host` came after the written variables in the
    /// script's command line and undid the choice.
    #[test]
    fn regression_flags_in_force_overrode_the_choice() {
        let d = decide_for(
            &debian12(),
            Request {
                source_ip: true,
                ..Request::default()
            },
        );
        let c = d.chosen().unwrap();
        let current = [(
            "DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS".to_owned(),
            "--port-driver=builtin --net host --cidr=10.0.5.0/24 --source-ip-transparent=false"
                .to_owned(),
        )];
        assert_eq!(c.flags(&current), ["--cidr=10.0.5.0/24"]);
        assert_eq!(
            c.environment(&current).last().unwrap(),
            &(
                "DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS".to_owned(),
                "--cidr=10.0.5.0/24".to_owned()
            )
        );
        // Harmless FLAGS are left alone, and not written again.
        let current = [(
            "DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS".to_owned(),
            "--detach-netns".to_owned(),
        )];
        assert_eq!(c.environment(&current).len(), 3);
    }

    #[test]
    fn a_privileged_port_needs_the_sysctl_unless_builtin_has_the_capability() {
        let mut inv = debian12();
        let req = Request {
            port: Some(80),
            ..Request::default()
        };
        let d = decide_for(&inv, req);
        assert!(matches!(
            d.chosen().unwrap().needs[0],
            Need::PortSysctl {
                value: 80,
                now: 1024,
                ..
            }
        ));
        inv.rootlesskit_bind_cap = true;
        assert!(decide_for(&inv, req).chosen().unwrap().needs.is_empty());
    }

    #[test]
    fn pasta_without_an_apparmor_profile_is_out_and_needs_no_default_route() {
        let req = Request {
            source_ip: true,
            ..Request::default()
        };
        // RootlessKit gives pasta its addresses: a host without a default route still runs it.
        let mut inv = debian13();
        inv.default_route = Some(false);
        assert_eq!(chosen(&inv, req), "pasta + implicit");
        let mut inv = debian13();
        inv.helpers[1].apparmor_userns = Some(false);
        assert_eq!(chosen(&inv, req), "slirp4netns + slirp4netns");
    }

    #[test]
    fn a_failed_probe_moves_the_choice_on() {
        let mut d = decide_for(&debian12(), Request::default());
        assert_eq!(d.chosen().unwrap().label(), "slirp4netns + builtin");
        d.record_probe(
            0,
            Probe::Failed {
                error: "[rootlesskit:parent] error: …".into(),
                ms: 10,
            },
        );
        assert_eq!(d.chosen().unwrap().label(), "slirp4netns + slirp4netns");
    }

    #[test]
    fn helper_versions_of_every_packaged_form() {
        for (net, text, want) in [
            (
                "pasta",
                "0.0~git20230309.7d4bc6c-1",
                HelperVersion::Date(2023, 3, 9),
            ),
            (
                "pasta",
                "0.0~git20250503.587980c-2",
                HelperVersion::Date(2025, 5, 3),
            ),
            (
                "pasta",
                "2025_05_12.8ec1341-1",
                HelperVersion::Date(2025, 5, 12),
            ),
            (
                "pasta",
                "0^20240220.g1e6f92b-1.fc40",
                HelperVersion::Date(2024, 2, 20),
            ),
            ("slirp4netns", "1.2.0-1", HelperVersion::Semver(1, 2, 0)),
            (
                "slirp4netns",
                "1:1.2.3-1.el9",
                HelperVersion::Semver(1, 2, 3),
            ),
        ] {
            assert_eq!(HelperVersion::of_package(net, text), Some(want), "{text}");
        }
    }

    fn arb_helper(network: &'static str) -> impl Strategy<Value = Option<Helper>> {
        let version = if network == "pasta" {
            (2022u32..2027, 1u32..13, 1u32..29)
                .prop_map(|(y, m, d)| Some(HelperVersion::Date(y, m, d)))
                .boxed()
        } else {
            (0u64..2, 0u64..5, 0u64..4)
                .prop_map(|(a, b, c)| Some(HelperVersion::Semver(a, b, c)))
                .boxed()
        };
        proptest::option::of(
            (
                version,
                any::<bool>(),
                any::<bool>(),
                proptest::option::of(any::<bool>()),
                any::<bool>(),
            )
                .prop_map(
                    move |(version, executable, setuid_root, apparmor_userns, quota)| Helper {
                        network: network.to_owned(),
                        path: Some(format!("/usr/bin/{network}")),
                        version,
                        detail: String::new(),
                        executable,
                        setuid_root,
                        apparmor_userns,
                        quota: quota.then(|| "u veth lxcbr0 1".to_owned()),
                    },
                ),
        )
    }

    prop_compose! {
        fn arb_inventory()(
            rk in proptest::option::of((0u32..4, 0u32..4, 0u32..3)),
            docker in proptest::option::of((20u64..30, 0u64..6, 0u64..3)),
            slirp in arb_helper("slirp4netns"),
            pasta in arb_helper("pasta"),
            vpnkit in arb_helper("vpnkit"),
            lxc in arb_helper("lxc-user-nic"),
            tun in any::<bool>(),
            ip in any::<bool>(),
            iptables in any::<bool>(),
            route in proptest::option::of(any::<bool>()),
            route6 in proptest::option::of(any::<bool>()),
            start in proptest::option::of(0i64..2048),
            cap in any::<bool>(),
        ) -> Inventory {
            Inventory {
                rootlesskit: rk.map(|(a, b, c)| Program { path: "/usr/bin/rootlesskit".into(), version: Some(Version(a, b, c)), detail: String::new() }),
                docker: docker.map(|v| ("docker".to_owned(), v)),
                helpers: [slirp, pasta, vpnkit, lxc].into_iter().flatten().collect(),
                tun_problem: (!tun).then(|| "missing".to_owned()),
                ip: ip.then(|| "/usr/bin/ip".to_owned()),
                iptables: iptables.then(|| "/usr/sbin/iptables".to_owned()),
                default_route: route,
                default_route6: route6,
                unprivileged_port_start: start,
                rootlesskit_bind_cap: cap,
                ..Inventory::default()
            }
        }
    }

    prop_compose! {
        fn arb_request()(
            source_ip in any::<bool>(), throughput in any::<bool>(), no_suid in any::<bool>(), ipv6 in any::<bool>(),
            mtu in proptest::option::of(576u32..70000), port in proptest::option::of(1u16..2000),
        ) -> Request {
            Request { source_ip, throughput, no_suid, ipv6, mtu, port }
        }
    }

    proptest! {
        /// The choice always meets the hard constraints, or there is none and every combination says why.
        #[test]
        fn the_choice_meets_the_request_or_none_is_made(inv in arb_inventory(), req in arb_request()) {
            let t = table().unwrap();
            let d = decide(t, &inv, &req);
            match d.chosen() {
                Some(c) => {
                    let net = t.network.iter().find(|n| n.name == c.network).unwrap();
                    let port = t.port.iter().find(|p| p.name == c.port).unwrap();
                    prop_assert!(port.networks.contains(&c.network));
                    prop_assert!(inv.rootlesskit.is_some());
                    if req.source_ip { prop_assert!(c.source_ip, "{c:?}"); }
                    if req.no_suid { prop_assert!(!net.suid); }
                    if req.ipv6 { prop_assert!(net.ipv6 != Ipv6::No && port.ipv6); }
                    prop_assert!(c.mtu <= net.mtu_max);
                    if net.tun { prop_assert!(inv.tun_problem.is_none()); }
                    if !net.helper.is_empty() {
                        let h = inv.helpers.iter().find(|h| h.network == net.name);
                        prop_assert!(h.is_some_and(|h| h.executable));
                    }
                    // RootlessKit accepts the pair.
                    let v = inv.rootlesskit.as_ref().unwrap().version.unwrap_or(Version::NEWEST);
                    let words = vec![format!("--net={}", c.network), format!("--port-driver={}", c.port), format!("--mtu={}", c.mtu.min(65521)), "true".to_owned()];
                    prop_assert_eq!(rk::check(&words, v), Ok(()));
                    // Nothing ranked above it is kept.
                    prop_assert!(std::ptr::eq(c, &d.candidates[0]));
                }
                None => {
                    prop_assert!(d.candidates.iter().all(|c| !c.rejected.is_empty()));
                }
            }
        }
    }
}
