//! RootlessKit's command line as its parent checks it, before any namespace exists: which flags each release
//! defines (Go's `flag` package through urfave/cli v2, so `-name`, `--name`, `--name=value` and `--name value`), and
//! the first refusal of `createParentOpt` that the flags alone decide (MTU range, interface name, network and port
//! driver names and their pairs, slirp4netns sandbox and seccomp modes).
//!
//! The flag and driver sets are data ([`FLAGS`], [`NETWORKS`], [`PORT_DRIVERS`]), read from
//! `cmd/rootlesskit/main.go` at every tag from v0.14.0 to v3.0.1
//! (<https://github.com/rootless-containers/rootlesskit/blob/v1.1.0/cmd/rootlesskit/main.go>,
//! <https://github.com/rootless-containers/rootlesskit/blob/v2.3.4/cmd/rootlesskit/main.go>,
//! <https://github.com/rootless-containers/rootlesskit/blob/v3.0.1/cmd/rootlesskit/main.go>); no flag or driver was
//! ever removed, so each entry says the release it appeared in. The error texts are RootlessKit's, printed after
//! `[rootlesskit:parent] error: `.
//!
//! What needs the host (the driver binaries on PATH, slirp4netns's features, the state directory) is not judged
//! here.

/// A RootlessKit release, `major.minor.patch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version(pub u32, pub u32, pub u32);

impl Version {
    /// The newest release modelled: used when the version is unknown, so only what no release accepts is refused.
    pub const NEWEST: Version = Version(3, 0, 1);

    /// The leading `X.Y.Z` of a version string (`1.1.0-1+b5` from dpkg, `v2.3.4`); `None` without a major number.
    pub fn parse(text: &str) -> Option<Version> {
        let text = text.trim().trim_start_matches('v');
        let text = text.split_once(':').map_or(text, |(_, rest)| rest);
        let mut parts = text.split('.').map(|p| {
            let digits: String = p.chars().take_while(char::is_ascii_digit).collect();
            digits.parse::<u32>().ok()
        });
        let major = parts.next().flatten()?;
        let minor = parts.next().flatten().unwrap_or(0);
        let patch = parts.next().flatten().unwrap_or(0);
        Some(Version(major, minor, patch))
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

/// How a flag takes its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `cli.BoolFlag`: `--name` or `--name=BOOL`, never the next word.
    Bool,
    /// `cli.IntFlag`: Go's `strconv.ParseInt(s, 0, 64)`.
    Int,
    /// `cli.StringFlag`, `cli.StringSliceFlag`.
    Text,
}

/// One flag: its names (the first is the name, the rest aliases), kind and the first release that has it.
pub struct FlagDef {
    pub names: &'static [&'static str],
    pub kind: Kind,
    pub since: Version,
}

const V0: Version = Version(0, 14, 0);

/// The oldest release modelled: every flag and driver it has, every later release has too, so a command line it
/// accepts every release accepts.
pub const OLDEST: Version = V0;

/// Every flag of `rootlesskit`, with urfave/cli's own `--help`/`-h` and `--version`/`-v`.
pub const FLAGS: &[FlagDef] = &[
    flag(&["debug"], Kind::Bool, V0),
    flag(&["help", "h"], Kind::Bool, V0),
    flag(&["version", "v"], Kind::Bool, V0),
    flag(&["state-dir"], Kind::Text, V0),
    flag(&["net"], Kind::Text, V0),
    flag(&["slirp4netns-binary"], Kind::Text, V0),
    flag(&["slirp4netns-sandbox"], Kind::Text, V0),
    flag(&["slirp4netns-seccomp"], Kind::Text, V0),
    flag(&["vpnkit-binary"], Kind::Text, V0),
    flag(&["lxc-user-nic-binary"], Kind::Text, V0),
    flag(&["lxc-user-nic-bridge"], Kind::Text, V0),
    flag(&["mtu"], Kind::Int, V0),
    flag(&["cidr"], Kind::Text, V0),
    flag(&["ifname"], Kind::Text, V0),
    flag(&["disable-host-loopback"], Kind::Bool, V0),
    flag(&["ipv6"], Kind::Bool, V0),
    flag(&["copy-up"], Kind::Text, V0),
    flag(&["copy-up-mode"], Kind::Text, V0),
    flag(&["port-driver"], Kind::Text, V0),
    flag(&["publish", "p"], Kind::Text, V0),
    flag(&["pidns"], Kind::Bool, V0),
    flag(&["cgroupns"], Kind::Bool, V0),
    flag(&["utsns"], Kind::Bool, V0),
    flag(&["ipcns"], Kind::Bool, V0),
    flag(&["propagation"], Kind::Text, V0),
    flag(&["reaper"], Kind::Text, V0),
    flag(&["evacuate-cgroup2"], Kind::Text, V0),
    flag(&["subid-source"], Kind::Text, Version(1, 1, 0)),
    flag(&["print-semver"], Kind::Text, Version(2, 0, 0)),
    flag(&["pasta-binary"], Kind::Text, Version(2, 0, 0)),
    flag(&["detach-netns"], Kind::Bool, Version(2, 0, 0)),
    flag(&["source-ip-transparent"], Kind::Bool, Version(3, 0, 0)),
];

const fn flag(names: &'static [&'static str], kind: Kind, since: Version) -> FlagDef {
    FlagDef { names, kind, since }
}

/// `--net` values and the release that accepts each.
pub const NETWORKS: &[(&str, Version)] = &[
    ("host", V0),
    ("slirp4netns", V0),
    ("vpnkit", V0),
    ("lxc-user-nic", V0),
    ("pasta", Version(2, 0, 0)),
    ("none", Version(2, 1, 0)),
    ("gvisor-tap-vsock", Version(3, 0, 0)),
];

/// `--port-driver` values and the release that accepts each.
pub const PORT_DRIVERS: &[(&str, Version)] = &[
    ("none", V0),
    ("builtin", V0),
    ("slirp4netns", V0),
    ("implicit", Version(2, 0, 0)),
    ("gvisor-tap-vsock", Version(3, 0, 0)),
];

/// The largest MTU RootlessKit accepts.
pub const MAX_MTU: i64 = 65521;

/// The flag a word of the command line names, if `version` defines it.
pub fn find_flag(name: &str, version: Version) -> Option<&'static FlagDef> {
    FLAGS
        .iter()
        .find(|d| d.names.contains(&name) && d.since <= version)
}

/// One flag as given, with the index of the word that set it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Given {
    pub name: &'static str,
    pub value: String,
    pub word: usize,
}

/// Why RootlessKit refuses its command line, with the index of the word at fault when one is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// RootlessKit's message, without the `[rootlesskit:parent] error: ` prefix.
    pub message: String,
    pub word: Option<usize>,
}

/// The flags of `words` as Go's `flag.FlagSet.Parse` reads them, up to the first word that is not a flag (the
/// command), and that word's index.
pub fn parse_flags(words: &[String], version: Version) -> Result<(Vec<Given>, usize), Refusal> {
    let mut given = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let word = &words[i];
        if word.len() < 2 || !word.starts_with('-') {
            break;
        }
        let mut name = &word[1..];
        if let Some(rest) = name.strip_prefix('-') {
            if rest.is_empty() {
                // `--` ends the flags.
                return Ok((given, i + 1));
            }
            name = rest;
        }
        if name.is_empty() || name.starts_with('-') || name.starts_with('=') {
            return Err(Refusal {
                message: format!("bad flag syntax: {word}"),
                word: Some(i),
            });
        }
        let (name, inline) = match name.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (name, None),
        };
        let Some(def) = find_flag(name, version) else {
            return Err(Refusal {
                message: format!("flag provided but not defined: -{name}"),
                word: Some(i),
            });
        };
        let at = i;
        let value = match (def.kind, inline) {
            (Kind::Bool, Some(v)) => {
                if parse_bool(v).is_none() {
                    return Err(Refusal {
                        message: format!("invalid boolean value {v:?} for -{name}: parse error"),
                        word: Some(i),
                    });
                }
                v.to_owned()
            }
            (Kind::Bool, None) => "true".to_owned(),
            (_, Some(v)) => v.to_owned(),
            (_, None) => {
                i += 1;
                match words.get(i) {
                    Some(v) => v.clone(),
                    None => {
                        return Err(Refusal {
                            message: format!("flag needs an argument: -{name}"),
                            word: Some(at),
                        });
                    }
                }
            }
        };
        if def.kind == Kind::Int && parse_go_int(&value).is_none() {
            return Err(Refusal {
                message: format!("invalid value {value:?} for flag -{name}: parse error"),
                word: Some(at),
            });
        }
        given.push(Given {
            name: def.names[0],
            value,
            word: at,
        });
        i += 1;
    }
    Ok((given, i))
}

/// Go's `strconv.ParseBool`.
pub fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

/// Go's `strconv.ParseInt(s, 0, 64)`: a sign, then decimal, `0x`, `0o`, `0b` or a leading-`0` octal, with
/// underscores allowed only after a base prefix.
pub fn parse_go_int(s: &str) -> Option<i64> {
    let (negative, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = body.to_ascii_lowercase();
    let (radix, digits, prefixed) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d.to_owned(), true)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d.to_owned(), true)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d.to_owned(), true)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, lower[1..].to_owned(), true)
    } else {
        (10, lower.clone(), false)
    };
    if digits.contains('_') {
        // Go requires underscores to separate digits, and only with a base prefix.
        if !prefixed || digits.starts_with('_') || digits.ends_with('_') || digits.contains("__") {
            return None;
        }
    }
    let digits = digits.replace('_', "");
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = u64::from_str_radix(&digits, radix).ok()?;
    if negative {
        if magnitude <= i64::MAX as u64 + 1 {
            Some((magnitude as i128).wrapping_neg() as i64)
        } else {
            None
        }
    } else {
        i64::try_from(magnitude).ok()
    }
}

/// The first refusal of RootlessKit's parent for `words` (its arguments, the command last), in the order
/// `createParentOpt` checks: flag syntax, MTU, interface name, network driver (and its port-driver pairing and
/// slirp4netns modes), port driver. `Ok` means the flags alone pass; the host may still refuse.
pub fn check(words: &[String], version: Version) -> Result<(), Refusal> {
    // Releases before the oldest modelled are judged as it.
    let version = version.max(OLDEST);
    let (given, command) = parse_flags(words, version)?;
    if command >= words.len() {
        // A flag that takes a value swallowed the command (`--cidr` last in DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS takes
        // the script's own path).
        return Err(Refusal {
            message: "no command specified".to_owned(),
            word: given.last().map(|g| g.word),
        });
    }
    let last = |name: &str| given.iter().rev().find(|g| g.name == name);
    let value = |name: &str, default: &str| {
        last(name).map_or((default.to_owned(), None), |g| {
            (g.value.clone(), Some(g.word))
        })
    };
    let (mtu, mtu_word) = value("mtu", "0");
    let mtu = parse_go_int(&mtu).unwrap_or(0);
    if !(0..=MAX_MTU).contains(&mtu) {
        return Err(Refusal {
            message: format!("mtu must be <= {MAX_MTU}, got {mtu}"),
            word: mtu_word,
        });
    }
    let (cidr, cidr_word) = value("cidr", "");
    if let Some(message) = cidr_refusal(&cidr) {
        return Err(Refusal {
            message,
            word: cidr_word,
        });
    }
    let (ifname, ifname_word) = value("ifname", "");
    if ifname.contains('/') {
        return Err(Refusal {
            message: "ifname must not contain \"/\"".to_owned(),
            word: ifname_word,
        });
    }
    let (net, net_word) = value("net", "host");
    let (port, port_word) = value("port-driver", "none");
    let accepted = |table: &[(&str, Version)], v: &str| {
        table
            .iter()
            .any(|(name, since)| *name == v && *since <= version)
    };
    if !accepted(NETWORKS, &net) {
        return Err(Refusal {
            message: format!("unknown network mode: {net}"),
            word: net_word,
        });
    }
    // A custom CIDR: RootlessKit 1 takes it only for slirp4netns, 2 and later also for pasta (and gvisor-tap-vsock).
    if !cidr.is_empty() {
        let takes = match net.as_str() {
            "slirp4netns" => true,
            "pasta" | "gvisor-tap-vsock" => version >= Version(2, 0, 0),
            _ => false,
        };
        if !takes {
            let message = if version >= Version(2, 0, 0) {
                format!("custom cidr is not supported for --net={net}")
            } else {
                "custom cidr is supported only for --net=slirp4netns".to_owned()
            };
            return Err(Refusal {
                message,
                word: cidr_word,
            });
        }
    }
    if !ifname.is_empty() && (net == "host" || net == "none") {
        return Err(Refusal {
            message: format!("ifname cannot be specified for --net={net}"),
            word: ifname_word,
        });
    }
    match net.as_str() {
        "none" if !matches!(port.as_str(), "none" | "builtin") => {
            return Err(Refusal {
                message: "network \"none\" requires either port driver \"none\" or \"builtin\""
                    .to_owned(),
                word: port_word,
            });
        }
        "pasta" if !matches!(port.as_str(), "none" | "implicit") => {
            return Err(Refusal {
                message: "network \"pasta\" requires port driver \"none\" or \"implicit\""
                    .to_owned(),
                word: port_word,
            });
        }
        "slirp4netns" => {
            for mode in ["slirp4netns-sandbox", "slirp4netns-seccomp"] {
                let (v, w) = value(mode, "false");
                if !matches!(v.as_str(), "auto" | "true" | "false" | "") {
                    return Err(Refusal {
                        message: format!("unsupported {mode} mode: {v:?}"),
                        word: w,
                    });
                }
            }
        }
        _ => {}
    }
    let refuse = |message: &str| {
        Err(Refusal {
            message: message.to_owned(),
            word: port_word,
        })
    };
    if !accepted(PORT_DRIVERS, &port) {
        return refuse(&format!("unknown port driver: {port}"));
    }
    match port.as_str() {
        "slirp4netns" if net != "slirp4netns" => refuse("port driver requires slirp4netns network"),
        "implicit" if net != "pasta" => refuse("port driver requires pasta network"),
        "builtin" | "gvisor-tap-vsock" if matches!(net.as_str(), "host") => {
            refuse("port driver requires non-host network")
        }
        _ => Ok(()),
    }
}

/// RootlessKit's `parseCIDR`: Go's `net.ParseCIDR` (an IPv4 or IPv6 address, `/`, a decimal prefix length), and
/// the address must be the network's own.
fn cidr_refusal(s: &str) -> Option<String> {
    if s.is_empty() {
        return None;
    }
    let invalid = || Some(format!("invalid CIDR address: {s}"));
    let Some((addr, len)) = s.split_once('/') else {
        return invalid();
    };
    let Ok(ip) = addr.parse::<std::net::IpAddr>() else {
        return invalid();
    };
    let bits: u32 = if ip.is_ipv4() { 32 } else { 128 };
    if len.is_empty() || !len.bytes().all(|b| b.is_ascii_digit()) || len.len() > 4 {
        return invalid();
    }
    let prefix: u32 = len.parse().ok()?;
    if prefix > bits {
        return invalid();
    }
    let host_bits = match ip {
        std::net::IpAddr::V4(v4) => {
            let n = u32::from(v4);
            let mask = if prefix == 0 {
                0
            } else {
                u32::MAX << (32 - prefix)
            };
            n & !mask != 0
        }
        std::net::IpAddr::V6(v6) => {
            let n = u128::from(v6);
            let mask = if prefix == 0 {
                0
            } else {
                u128::MAX << (128 - prefix)
            };
            n & !mask != 0
        }
    };
    host_bits.then(|| "cidr must be like 10.0.2.0/24, not like 10.0.2.100/24".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    const V1: Version = Version(1, 1, 0);

    /// Words from every part of the model, for properties over real-looking command lines.
    const VOCABULARY: &[&str] = &[
        "--net=slirp4netns",
        "--net=pasta",
        "--net=host",
        "--net=none",
        "--net=vpnkit",
        "--net=gvisor-tap-vsock",
        "--port-driver=builtin",
        "--port-driver=implicit",
        "--port-driver=slirp4netns",
        "--port-driver=none",
        "--port-driver=gvisor-tap-vsock",
        "--mtu=1500",
        "--mtu=70000",
        "--mtu",
        "65520",
        "--cidr=10.0.3.0/24",
        "--cidr=10.0.3.5/24",
        "--ifname=eth0",
        "--detach-netns",
        "--source-ip-transparent",
        "--subid-source=auto",
        "--slirp4netns-sandbox=auto",
        "--slirp4netns-sandbox=maybe",
        "--pidns",
        "-p",
        "127.0.0.1:80:80/tcp",
        "--print-semver=major",
        "--pasta-binary=pasta",
        "--",
        "x",
    ];
    const V2: Version = Version(2, 3, 4);

    /// Debian 12's dockerd-rootless.sh (20.10) with its defaults and slirp4netns.
    const SCRIPT_20_10: &str = "--net=slirp4netns --mtu=65520 --slirp4netns-sandbox=auto --slirp4netns-seccomp=auto \
--disable-host-loopback --port-driver=builtin --copy-up=/etc --copy-up=/run --propagation=rslave";

    fn with(extra: &str) -> Vec<String> {
        words(&format!(
            "{SCRIPT_20_10} {extra} /usr/bin/dockerd-rootless.sh"
        ))
    }

    #[test]
    fn the_scripts_own_flags_pass_on_every_release() {
        for v in [Version(0, 14, 2), V1, V2, Version::NEWEST] {
            assert_eq!(check(&with(""), v), Ok(()), "{v}");
        }
    }

    #[test]
    fn an_unknown_flag_is_refused_with_gos_words() {
        let w = with("--no-such-flag");
        let r = check(&w, V1).unwrap_err();
        assert_eq!(r.message, "flag provided but not defined: -no-such-flag");
        assert_eq!(w[r.word.unwrap()], "--no-such-flag");
        // detach-netns came with v2.0.0.
        assert_eq!(
            check(&with("--detach-netns"), V1).unwrap_err().message,
            "flag provided but not defined: -detach-netns"
        );
        assert_eq!(check(&with("--detach-netns"), V2), Ok(()));
        assert_eq!(check(&with("-p 127.0.0.1:80:80/tcp"), V1), Ok(()));
        assert_eq!(
            check(&with("--pidns=maybe"), V1).unwrap_err().message,
            "invalid boolean value \"maybe\" for -pidns: parse error"
        );
        assert_eq!(
            check(&words("--cidr"), V1).unwrap_err().message,
            "flag needs an argument: -cidr"
        );
        // The script's path becomes --cidr's value, and nothing is left to run.
        let w = with("--cidr");
        let r = check(&w, V1).unwrap_err();
        assert_eq!(r.message, "no command specified");
        assert_eq!(w[r.word.unwrap()], "--cidr");
    }

    #[test]
    fn mtu_range_and_syntax() {
        let r = check(&with("--mtu=70000"), V1).unwrap_err();
        assert_eq!(r.message, "mtu must be <= 65521, got 70000");
        assert_eq!(
            check(&with("--mtu=-1"), V1).unwrap_err().message,
            "mtu must be <= 65521, got -1"
        );
        assert_eq!(
            check(&words("--mtu=abc true"), V1).unwrap_err().message,
            "invalid value \"abc\" for flag -mtu: parse error"
        );
        assert_eq!(check(&with("--mtu=0x5dc"), V1), Ok(()));
        assert_eq!(check(&with("--mtu 65521"), V1), Ok(()));
    }

    #[test]
    fn drivers_and_their_pairs() {
        let msg = |extra: &str, v| check(&with(extra), v).unwrap_err().message;
        assert_eq!(
            msg("--port-driver=implicit", V1),
            "unknown port driver: implicit"
        );
        assert_eq!(
            msg("--port-driver=implicit", V2),
            "port driver requires pasta network"
        );
        assert_eq!(msg("--net=pasta", V1), "unknown network mode: pasta");
        assert_eq!(
            msg("--net=pasta", V2),
            "network \"pasta\" requires port driver \"none\" or \"implicit\""
        );
        assert_eq!(
            check(&with("--net=pasta --port-driver=implicit"), V2),
            Ok(())
        );
        assert_eq!(
            msg("--net=host", V1),
            "port driver requires non-host network"
        );
        assert_eq!(
            msg("--net=vpnkit --port-driver=slirp4netns", V1),
            "port driver requires slirp4netns network"
        );
        assert_eq!(
            msg("--slirp4netns-sandbox=maybe", V1),
            "unsupported slirp4netns-sandbox mode: \"maybe\""
        );
        assert_eq!(msg("--ifname=a/b", V1), "ifname must not contain \"/\"");
        assert_eq!(check(&with("--cidr=10.0.3.0/24"), V1), Ok(()));
        assert_eq!(
            msg("--cidr=10.0.3.5/24", V1),
            "cidr must be like 10.0.2.0/24, not like 10.0.2.100/24"
        );
        assert_eq!(msg("--cidr=10.0.3.0", V1), "invalid CIDR address: 10.0.3.0");
        assert_eq!(
            msg("--cidr=10.0.3.0/33", V1),
            "invalid CIDR address: 10.0.3.0/33"
        );
        assert_eq!(
            msg("--net=vpnkit --cidr=10.0.3.0/24", V1),
            "custom cidr is supported only for --net=slirp4netns"
        );
        assert_eq!(
            msg("--net=vpnkit --cidr=10.0.3.0/24", V2),
            "custom cidr is not supported for --net=vpnkit"
        );
        assert_eq!(
            msg("--net=host --ifname=eth0", V1),
            "ifname cannot be specified for --net=host"
        );
    }

    #[test]
    fn versions_from_package_databases() {
        assert_eq!(Version::parse("1.1.0-1+b5"), Some(Version(1, 1, 0)));
        assert_eq!(Version::parse("v2.3.4"), Some(Version(2, 3, 4)));
        assert_eq!(Version::parse("1:2.0"), Some(Version(2, 0, 0)));
        assert_eq!(Version::parse("x"), None);
    }

    #[test]
    fn go_integers() {
        assert_eq!(parse_go_int("65520"), Some(65520));
        assert_eq!(parse_go_int("0x10"), Some(16));
        assert_eq!(parse_go_int("010"), Some(8));
        assert_eq!(parse_go_int("0b1_0"), Some(2));
        assert_eq!(parse_go_int("1_0"), None);
        assert_eq!(parse_go_int("-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_go_int("9223372036854775808"), None);
        assert_eq!(parse_go_int(""), None);
        assert_eq!(parse_go_int("+"), None);
    }

    proptest! {
        #[test]
        fn never_panics(ws in proptest::collection::vec(any::<String>(), 0..8), major in 0u32..5) {
            let _ = check(&ws, Version(major, 0, 0));
            let _ = Version::parse(ws.first().map(String::as_str).unwrap_or_default());
        }

        /// What the oldest release accepts every release accepts (the check reads the release only on a refusal).
        #[test]
        fn the_oldest_release_is_the_strictest(
            picks in proptest::collection::vec(0usize..VOCABULARY.len(), 0..10),
            minor in 0u32..4,
            major in 0u32..4,
        ) {
            let mut ws: Vec<String> = picks.iter().map(|&i| VOCABULARY[i].to_owned()).collect();
            ws.push("/usr/bin/dockerd-rootless.sh".to_owned());
            if check(&ws, OLDEST).is_ok() {
                prop_assert_eq!(check(&ws, Version(major, minor, 0)), Ok(()));
            }
        }

        #[test]
        fn decimal_integers_round_trip(n in any::<i64>()) {
            prop_assert_eq!(parse_go_int(&n.to_string()), Some(n));
        }

        #[test]
        fn every_mtu_in_range_passes_and_every_other_is_refused(mtu in -100_000i64..100_000) {
            let r = check(&with(&format!("--mtu={mtu}")), V1);
            prop_assert_eq!(r.is_ok(), (0..=MAX_MTU).contains(&mtu));
        }
    }
}
