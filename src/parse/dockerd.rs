//! dockerd's command line and its daemon.json, as dockerd itself reconciles them.
//!
//! dockerd refuses to start when a directive is given both as a flag and in the configuration file
//! (moby `daemon/config.findConfigurationConflicts`): flags are visited in name order, each one present in the
//! file becomes `NAME: (from flag: FLAGVALUE, from file: FILEVALUE)`, and the list is joined with ", ".
//! This module reproduces that, including Go's `%v` rendering of the values, so the doctor can quote the exact
//! error before dockerd is ever started.

use std::collections::BTreeMap;

use serde_json::Value;

/// Flags whose daemon.json key differs from the flag name (moby's `NamedOption`s).
const NAMED: &[(&str, &str)] = &[
    ("host", "hosts"),
    ("label", "labels"),
    ("storage-opt", "storage-opts"),
    ("log-opt", "log-opts"),
    ("exec-opt", "exec-opts"),
    ("insecure-registry", "insecure-registries"),
    ("registry-mirror", "registry-mirrors"),
    ("dns-opt", "dns-opts"),
    ("authorization-plugin", "authorization-plugins"),
    ("default-ulimit", "default-ulimits"),
    ("add-runtime", "runtimes"),
    ("node-generic-resource", "node-generic-resources"),
    ("default-address-pool", "default-address-pools"),
    ("cluster-store-opt", "cluster-store-opts"),
    ("cdi-spec-dir", "cdi-spec-dirs"),
    ("feature", "features"),
    ("host-gateway-ip", "host-gateway-ips"),
];

/// Shorthands (`-H`) and their long names.
const SHORT: &[(char, &str)] = &[
    ('H', "host"),
    ('D', "debug"),
    ('l', "log-level"),
    ('G', "group"),
    ('b', "bridge"),
    ('p', "pidfile"),
    ('g', "graph"),
    ('s', "storage-driver"),
    ('v', "version"),
    ('h', "help"),
];

/// Boolean flags: they take no separate value word (`--debug`, `--iptables=false`).
const BOOLEAN: &[&str] = &[
    "debug",
    "tls",
    "tlsverify",
    "iptables",
    "ip6tables",
    "ip-forward",
    "ip-forward-no-drop",
    "ip-masq",
    "icc",
    "ipv6",
    "userland-proxy",
    "experimental",
    "live-restore",
    "selinux-enabled",
    "no-new-privileges",
    "rootless",
    "init",
    "raw-logs",
    "validate",
    "version",
    "help",
    "userns-remap-disable",
    "disable-legacy-registry",
    "allow-direct-routing",
    "bridge-accept-fwmark",
];

/// Flags that moby never reports as duplicated (its `skipDuplicates`).
const SKIP_DUPLICATES: &[&str] = &["runtimes"];

/// One flag as given on the command line, with its long name and values (list flags repeat).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag {
    /// The long name without dashes (`host` for `-H`).
    pub name: String,
    pub values: Vec<String>,
}

impl Flag {
    /// The daemon.json key this flag corresponds to.
    pub fn config_key(&self) -> &str {
        NAMED
            .iter()
            .find(|(f, _)| *f == self.name)
            .map_or(self.name.as_str(), |(_, k)| k)
    }

    /// Whether the flag holds a list (its value prints as `[a b]`).
    fn is_list(&self) -> bool {
        NAMED.iter().any(|(f, _)| *f == self.name)
            || matches!(
                self.name.as_str(),
                "dns" | "dns-search" | "allow-nondistributable-artifacts"
            )
    }

    /// Go's `%v` of the flag's value, as pflag's `Value.String()` gives it.
    pub fn go_value(&self) -> String {
        if self.is_list() {
            format!("[{}]", self.values.join(" "))
        } else {
            self.values.last().cloned().unwrap_or_default()
        }
    }
}

/// Parses dockerd's arguments (without `argv[0]`) into flags, in order of first appearance; repeated flags
/// collect their values. Unknown words (positional arguments) are returned separately.
pub fn parse_args(args: &[String]) -> (Vec<Flag>, Vec<String>) {
    let mut flags: Vec<Flag> = Vec::new();
    let mut stray = Vec::new();
    // Each flag's place in `flags`, by name: a command line of a user's process or unit can hold hundreds of
    // thousands of distinct flags, which a search of the list for each would make quadratic.
    let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut push = |flags: &mut Vec<Flag>, name: &str, value: String| match index.get(name) {
        Some(&i) => flags[i].values.push(value),
        None => {
            index.insert(name.to_owned(), flags.len());
            flags.push(Flag {
                name: name.to_owned(),
                values: vec![value],
            });
        }
    };
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        i += 1;
        let (name, inline) = if let Some(long) = arg.strip_prefix("--") {
            if long.is_empty() {
                // `--` ends the flags.
                stray.extend(args[i..].iter().cloned());
                break;
            }
            match long.split_once('=') {
                Some((n, v)) => (n.to_owned(), Some(v.to_owned())),
                None => (long.to_owned(), None),
            }
        } else if let Some(short) = arg.strip_prefix('-').filter(|s| !s.is_empty()) {
            let mut chars = short.chars();
            let c = chars.next().unwrap_or_default();
            let rest: String = chars.collect();
            let name = SHORT
                .iter()
                .find(|(s, _)| *s == c)
                .map_or_else(|| c.to_string(), |(_, l)| (*l).to_owned());
            let inline = if rest.is_empty() {
                None
            } else {
                Some(rest.strip_prefix('=').unwrap_or(&rest).to_owned())
            };
            (name, inline)
        } else {
            stray.push(arg.clone());
            continue;
        };
        let value = match inline {
            Some(v) => v,
            None if BOOLEAN.contains(&name.as_str()) => "true".to_owned(),
            None => match args.get(i) {
                Some(v) => {
                    i += 1;
                    v.clone()
                }
                None => String::new(),
            },
        };
        push(&mut flags, &name, value);
    }
    (flags, stray)
}

/// The configuration file dockerd will read: `--config-file`, else the default given.
pub fn config_file<'a>(flags: &'a [Flag], default: &'a str) -> &'a str {
    flags
        .iter()
        .find(|f| f.name == "config-file")
        .and_then(|f| f.values.last())
        .map_or(default, String::as_str)
}

/// Go's `%v` of a decoded JSON value (`[]interface{}` → `[a b]`, `map` → `map[k:v]` with sorted keys,
/// float64 without a trailing `.0`).
pub fn go_value(v: &Value) -> String {
    match v {
        Value::Null => "<nil>".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 1e21 => format!("{}", f as i64),
            Some(f) => format!("{f}"),
            None => n.to_string(),
        },
        Value::String(s) => s.clone(),
        Value::Array(a) => format!("[{}]", a.iter().map(go_value).collect::<Vec<_>>().join(" ")),
        Value::Object(o) => {
            let sorted: BTreeMap<_, _> = o.iter().collect();
            format!(
                "map[{}]",
                sorted
                    .iter()
                    .map(|(k, v)| format!("{k}:{}", go_value(v)))
                    .collect::<Vec<_>>()
                    .join(" ")
            )
        }
    }
}

/// One directive given both ways.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub key: String,
    pub from_flag: String,
    pub from_file: String,
}

/// The directives given both as flags and in the configuration file, in the order dockerd lists them
/// (flag names sorted). `config-file` itself is never a conflict.
pub fn conflicts(flags: &[Flag], config: &serde_json::Map<String, Value>) -> Vec<Conflict> {
    let mut sorted: Vec<&Flag> = flags.iter().filter(|f| f.name != "config-file").collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    sorted
        .into_iter()
        .filter_map(|f| {
            let key = f.config_key();
            if SKIP_DUPLICATES.contains(&key) {
                return None;
            }
            config.get(key).map(|v| Conflict {
                key: key.to_owned(),
                from_flag: f.go_value(),
                from_file: go_value(v),
            })
        })
        .collect()
}

/// dockerd's error for these conflicts, word for word.
pub fn conflict_error(file: &str, conflicts: &[Conflict]) -> String {
    format!(
        "unable to configure the Docker daemon with file {file}: the following directives are specified both as a flag and in the configuration file: {}",
        conflicts
            .iter()
            .map(|c| format!(
                "{}: (from flag: {}, from file: {})",
                c.key, c.from_flag, c.from_file
            ))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    fn obj(s: &str) -> serde_json::Map<String, Value> {
        match serde_json::from_str(s).unwrap() {
            Value::Object(m) => m,
            _ => unreachable!(),
        }
    }

    #[test]
    fn the_documented_error() {
        // The example of https://docs.docker.com/engine/daemon/troubleshoot/, word for word.
        let (flags, _) = parse_args(&args("-H unix:///var/run/docker.sock"));
        let c = conflicts(&flags, &obj(r#"{"hosts": ["tcp://127.0.0.1:2376"]}"#));
        assert_eq!(
            conflict_error("/etc/docker/daemon.json", &c),
            "unable to configure the Docker daemon with file /etc/docker/daemon.json: the following directives are specified both as a flag and in the configuration file: hosts: (from flag: [unix:///var/run/docker.sock], from file: [tcp://127.0.0.1:2376])"
        );
    }

    #[test]
    fn packaged_units_and_other_keys() {
        let (flags, stray) = parse_args(&args(
            "-H fd:// --containerd=/run/containerd/containerd.sock -D --log-level debug --dns 1.1.1.1 --dns=8.8.8.8 --iptables=false",
        ));
        assert!(stray.is_empty());
        let names: Vec<_> = flags.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "host",
                "containerd",
                "debug",
                "log-level",
                "dns",
                "iptables"
            ]
        );
        let c = conflicts(
            &flags,
            &obj(
                r#"{"debug": true, "hosts": ["unix:///var/run/docker.sock"], "dns": ["9.9.9.9"], "mtu": 1400, "log-level": "info"}"#,
            ),
        );
        let keys: Vec<_> = c.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(keys, ["debug", "dns", "hosts", "log-level"]);
        assert_eq!(c[1].from_flag, "[1.1.1.1 8.8.8.8]");
        assert_eq!(c[0].from_flag, "true");
        assert_eq!(c[3].from_file, "info");
        // No flags, no conflict; config-file is not a directive.
        let (flags, _) = parse_args(&args("--config-file /tmp/d.json"));
        assert_eq!(
            config_file(&flags, "/etc/docker/daemon.json"),
            "/tmp/d.json"
        );
        assert!(conflicts(&flags, &obj(r#"{"hosts": []}"#)).is_empty());
    }

    #[test]
    fn go_formatting() {
        assert_eq!(go_value(&serde_json::json!(1500)), "1500");
        assert_eq!(go_value(&serde_json::json!(1.5)), "1.5");
        assert_eq!(
            go_value(&serde_json::json!({"b": 1, "a": ["x"]})),
            "map[a:[x] b:1]"
        );
        assert_eq!(go_value(&serde_json::json!(null)), "<nil>");
    }

    /// Regression (hostile-user review): a command line of 300,000 distinct flags (a user's process named dockerd, or
    /// a user unit's ExecStart=) took parse_args minutes (a search of the flag list for each flag); it is one pass.
    #[test]
    fn regression_many_distinct_flags_made_parsing_quadratic() {
        let args: Vec<String> = (0..300_000)
            .map(|i| format!("--f{i}=x"))
            .chain([
                "-H".to_owned(),
                "unix:///a".to_owned(),
                "--host=unix:///b".to_owned(),
            ])
            .collect();
        let (flags, stray) = parse_args(&args);
        assert_eq!(flags.len(), 300_001);
        assert!(stray.is_empty());
        assert_eq!(flags[299_999].name, "f299999");
        let hosts = flags.iter().find(|f| f.name == "host").unwrap();
        assert_eq!(hosts.values, ["unix:///a", "unix:///b"]);
    }

    proptest! {
        #[test]
        fn never_panics(words in proptest::collection::vec("[-=a-zA-Z:/.]{0,12}", 0..12)) {
            let (flags, _) = parse_args(&words);
            let _ = conflicts(&flags, &serde_json::Map::new());
        }

        #[test]
        fn repeated_hosts_are_collected_in_order(hosts in proptest::collection::vec("[a-z]{1,8}://[a-z0-9.:/]{1,20}", 1..5)) {
            let mut a = Vec::new();
            for (i, h) in hosts.iter().enumerate() {
                if i % 2 == 0 { a.push("-H".to_owned()); a.push(h.clone()); } else { a.push(format!("--host={h}")); }
            }
            let (flags, stray) = parse_args(&a);
            prop_assert!(stray.is_empty());
            prop_assert_eq!(flags.len(), 1);
            prop_assert_eq!(&flags[0].values, &hosts);
            let mut config = serde_json::Map::new();
            config.insert("hosts".into(), Value::Array(vec![Value::String("x".into())]));
            let c = conflicts(&flags, &config);
            prop_assert_eq!(c.len(), 1);
            prop_assert_eq!(c[0].from_flag.clone(), format!("[{}]", hosts.join(" ")));
        }
    }
}
