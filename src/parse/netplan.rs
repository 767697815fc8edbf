//! netplan YAML (/etc/netplan/*.yaml): the device definitions and what each one's `match:` catches.
//!
//! Not a general YAML parser: netplan files are block mappings two or more levels deep
//! (`network:` → `ethernets:`/`bridges:`/… → device ID → `match:` → `name:`/`driver:`/`macaddress:`), sometimes with
//! flow mappings (`match: {name: "en*"}`) and flow sequences (`driver: [ixgbe, e1000e]`). This reads exactly that
//! structure, with line numbers, and skips everything else (block scalars, sequences, other keys) without looking
//! inside. Malformed input never panics: a line it cannot read is a [`LineError`], and the rest is still read.

use super::LineError;

/// netplan's device sections. Only the physical kinds can carry `match:`; the others create an interface named by
/// their ID.
const PHYSICAL: &[&str] = &["ethernets", "wifis", "modems"];
const VIRTUAL: &[&str] = &[
    "bridges",
    "bonds",
    "tunnels",
    "vlans",
    "vrfs",
    "dummy-devices",
    "virtual-ethernets",
    "nm-devices",
];

/// One device definition.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Device {
    /// The section: `ethernets`, `bridges`, …
    pub kind: String,
    /// The device ID (the key under the section).
    pub id: String,
    /// 1-based line of the ID.
    pub line: usize,
    /// The `match:` block, if any.
    pub matching: Option<Match>,
}

/// A `match:` block; netplan ANDs the properties given.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Match {
    /// 1-based line of `match:`.
    pub line: usize,
    /// `name:` glob.
    pub name: Option<String>,
    /// `driver:` glob, or a list of them (any may match).
    pub driver: Vec<String>,
    /// Whether `macaddress:` (or `permanentmacaddress:`) is given: it pins one NIC, never Docker's interfaces.
    pub macaddress: bool,
}

impl Device {
    /// Whether this definition claims an interface with this name and kernel driver.
    ///
    /// A physical device without `match:` is the interface named by its ID; a virtual device creates the interface
    /// named by its ID; a `match:` catches what all its properties match (an empty one catches every interface).
    pub fn catches(&self, iface: &str, driver: &str) -> bool {
        match &self.matching {
            Some(m) if PHYSICAL.contains(&self.kind.as_str()) => {
                !m.macaddress
                    && m.name
                        .as_deref()
                        .is_none_or(|n| super::glob::matches(n, iface))
                    && (m.driver.is_empty()
                        || m.driver.iter().any(|d| super::glob::matches(d, driver)))
            }
            _ => self.id == iface,
        }
    }
}

/// The device definitions of one netplan file, and the lines that could not be read.
pub fn parse(text: &str) -> (Vec<Device>, Vec<LineError>) {
    let mut devices: Vec<Device> = Vec::new();
    let mut errors = Vec::new();
    // Open block mappings: (indent, key).
    let mut stack: Vec<(usize, String)> = Vec::new();
    // Lines indented deeper than this belong to a block scalar or a sequence item and are not looked at.
    let mut opaque_above: Option<usize> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let body = raw.trim_start_matches(' ');
        let indent = raw.len() - body.len();
        let content = strip_comment(body).trim_end();
        if content.is_empty() || content == "---" || content == "..." {
            continue;
        }
        if let Some(limit) = opaque_above {
            if indent > limit {
                continue;
            }
            opaque_above = None;
        }
        if body.starts_with('\t') {
            errors.push(LineError {
                line,
                message:
                    "a tab in the indentation (YAML allows spaces only; netplan refuses the file)"
                        .into(),
            });
            continue;
        }
        while stack.last().is_some_and(|(d, _)| *d >= indent) {
            stack.pop();
        }
        if content == "-" || content.starts_with("- ") {
            opaque_above = Some(indent);
            continue;
        }
        let Some((key, value)) = split_key(content) else {
            errors.push(LineError {
                line,
                message: format!("expected `key: value`, found {content:?}"),
            });
            continue;
        };
        if value.starts_with('|') || value.starts_with('>') {
            opaque_above = Some(indent);
        }
        let path: Vec<&str> = stack
            .iter()
            .map(|(_, k)| k.as_str())
            .chain([key.as_str()])
            .collect();
        match path.as_slice() {
            ["network", kind, id] if PHYSICAL.contains(kind) || VIRTUAL.contains(kind) => {
                let mut d = Device {
                    kind: (*kind).to_owned(),
                    id: (*id).to_owned(),
                    line,
                    matching: None,
                };
                if let Some(flow) = value.strip_prefix('{')
                    && let Some(m) = flow_items(flow).into_iter().find(|(k, _)| k == "match")
                {
                    d.matching = Some(flow_match(&m.1, line));
                }
                devices.push(d);
            }
            ["network", _, _, "match"] => {
                if let Some(d) = devices.last_mut() {
                    d.matching = Some(match value.strip_prefix('{') {
                        Some(_) => flow_match(value, line),
                        None => Match {
                            line,
                            ..Match::default()
                        },
                    });
                }
            }
            ["network", _, _, "match", property] => {
                if let Some(m) = devices.last_mut().and_then(|d| d.matching.as_mut()) {
                    set_property(m, property, value);
                }
            }
            _ => {}
        }
        if value.is_empty() {
            stack.push((indent, key));
        }
    }
    (devices, errors)
}

fn set_property(m: &mut Match, property: &str, value: &str) {
    match property {
        "name" => m.name = Some(unquote(value)),
        "driver" => {
            m.driver = match value.strip_prefix('[') {
                Some(list) => split_flow(list.trim_end_matches(']'))
                    .iter()
                    .map(|d| unquote(d))
                    .collect(),
                None => vec![unquote(value)],
            }
        }
        "macaddress" | "permanentmacaddress" => m.macaddress = true,
        _ => {}
    }
}

/// `{name: "en*", driver: [a, b]}` as a match.
fn flow_match(value: &str, line: usize) -> Match {
    let mut m = Match {
        line,
        ..Match::default()
    };
    let inner = value.trim().trim_start_matches('{');
    for (k, v) in flow_items(inner) {
        set_property(&mut m, &k, &v);
    }
    m
}

/// The `key: value` pairs of a flow mapping's inside (the opening `{` already gone, the closing `}` optional).
fn flow_items(inner: &str) -> Vec<(String, String)> {
    let inner = inner.trim_end();
    let inner = inner.strip_suffix('}').unwrap_or(inner);
    split_flow(inner)
        .into_iter()
        .filter_map(|item| split_key(item.trim()).map(|(k, v)| (k, v.to_owned())))
        .collect()
}

/// Splits a flow collection's inside at top-level commas (not inside quotes, brackets or braces).
fn split_flow(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '[' | '{') => depth += 1,
            (None, ']' | '}') => depth = depth.saturating_sub(1),
            (None, ',') if depth == 0 => {
                out.push(s[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    let last = s[start..].trim();
    if !last.is_empty() {
        out.push(last);
    }
    out
}

/// `key: value` or `key:` (the key possibly quoted), split at the first `: ` outside quotes.
fn split_key(content: &str) -> Option<(String, &str)> {
    let mut quote: Option<char> = None;
    for (i, c) in content.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') if i == 0 => quote = Some(c),
            (None, ':') => {
                let rest = &content[i + 1..];
                if rest.is_empty() || rest.starts_with(' ') {
                    let key = unquote(&content[..i]);
                    return (!key.is_empty()).then(|| (key, rest.trim()));
                }
            }
            _ => {}
        }
    }
    None
}

/// A scalar without its quotes (`''` inside single quotes is one `'`; `\"` inside double quotes is one `"`).
fn unquote(s: &str) -> String {
    let s = s.trim();
    if s.len() >= 2 {
        if let Some(inner) = s.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')) {
            return inner.replace("''", "'");
        }
        if let Some(inner) = s.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
            return inner.replace("\\\"", "\"").replace("\\\\", "\\");
        }
    }
    s.to_owned()
}

/// A line without its comment: `#` at the start or after a space, outside quotes.
fn strip_comment(s: &str) -> &str {
    let mut quote: Option<char> = None;
    let mut prev = ' ';
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') if prev == ' ' || prev == '{' || prev == '[' || prev == ',' => {
                quote = Some(c)
            }
            (None, '#') if prev == ' ' || prev == '\t' => return &s[..i],
            _ => {}
        }
        prev = c;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn devices(text: &str) -> Vec<Device> {
        let (devices, errors) = parse(text);
        assert!(errors.is_empty(), "{errors:?}");
        devices
    }

    #[test]
    fn block_match_by_name() {
        let text = "\
# written by cloud-init
network:
  version: 2
  renderer: networkd
  ethernets:
    all-en:
      match:
        name: \"en*\"   # every wired NIC
      dhcp4: true
      nameservers:
        addresses: [1.1.1.1]
    eth0:
      dhcp4: true
";
        let d = devices(text);
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].id, "all-en");
        assert_eq!(d[0].line, 6);
        let m = d[0].matching.as_ref().unwrap();
        assert_eq!((m.line, m.name.as_deref()), (7, Some("en*")));
        assert!(d[0].catches("enp1s0", "virtio_net"));
        assert!(!d[0].catches("docker0", "bridge"));
        assert!(!d[0].catches("veth1234567", "veth"));
        assert!(d[1].matching.is_none());
        assert!(d[1].catches("eth0", "e1000e"));
        assert!(!d[1].catches("docker0", "bridge"));
    }

    #[test]
    fn catch_all_and_flow_styles() {
        let text = "\
network:
  ethernets:
    any: {match: {name: '*'}, dhcp4: true}
    by-driver:
      match: {driver: [\"veth\", e1000e]}
    pinned:
      match:
        name: \"*\"
        macaddress: 52:54:00:12:34:56
    empty:
      match: {}
  bridges:
    docker0:
      interfaces: [eth1]
";
        let d = devices(text);
        let ids: Vec<&str> = d.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(ids, ["any", "by-driver", "pinned", "empty", "docker0"]);
        assert!(d[0].catches("docker0", "bridge"));
        assert_eq!(d[1].matching.as_ref().unwrap().driver, ["veth", "e1000e"]);
        assert!(d[1].catches("veth1234567", "veth"));
        assert!(!d[1].catches("docker0", "bridge"));
        assert!(!d[2].catches("docker0", "bridge"), "a MAC pins one NIC");
        assert!(
            d[3].catches("br-0123456789ab", "bridge"),
            "an empty match catches all"
        );
        assert_eq!(d[4].kind, "bridges");
        assert!(
            d[4].catches("docker0", "bridge"),
            "a bridge that is docker0"
        );
        assert!(!d[4].catches("docker1", "bridge"));
    }

    #[test]
    fn block_scalars_sequences_and_other_keys_are_not_read_as_devices() {
        let text = "\
network:
  version: 2
  ethernets:
    eth0:
      routes:
        - to: default
          via: 10.0.0.1
      match:
        name: eth0
  wifis:
    wlan0:
      access-points:
        \"home: net\":
          password: \"a # not a comment\"
  notes: |
    ethernets:
      docker0: {}
";
        let d = devices(text);
        let ids: Vec<&str> = d.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(ids, ["eth0", "wlan0"]);
        assert_eq!(
            d[0].matching.as_ref().unwrap().name.as_deref(),
            Some("eth0")
        );
    }

    #[test]
    fn errors_name_the_line_and_the_rest_is_read() {
        let text = "network:\n\tethernets:\n  ethernets:\n    eth0 dhcp4 true\n    docker0: {}\n";
        let (d, errors) = parse(text);
        assert_eq!(errors.iter().map(|e| e.line).collect::<Vec<_>>(), [2, 4]);
        assert!(errors[0].message.contains("tab"));
        assert_eq!(d.len(), 1);
        assert_eq!((d[0].id.as_str(), d[0].line), ("docker0", 5));
    }

    fn every_parser(text: &str) {
        let (devices, errors) = parse(text);
        let lines = text.lines().count();
        for e in &errors {
            assert!(e.line >= 1 && e.line <= lines);
        }
        for d in &devices {
            assert!(d.line >= 1 && d.line <= lines);
            let _ = d.catches("docker0", "bridge");
        }
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_text(text in "\\PC*") {
            every_parser(&text);
        }

        #[test]
        fn never_panics_on_netplan_shaped_text(
            lines in proptest::collection::vec(
                (0usize..10, prop::sample::select(vec![
                    "network:", "ethernets:", "bridges:", "match:", "name: \"en*\"", "driver: [a, 'b']",
                    "docker0: {}", "x: {match: {name: '*'", "- item", "key: |", "'q: x':", "# c", "\t y:", ":",
                ])),
                0..30,
            )
        ) {
            let text: String = lines.iter().map(|(i, l)| format!("{}{l}\n", " ".repeat(*i))).collect();
            every_parser(&text);
        }

        #[test]
        fn a_generated_name_match_is_found(id in "[a-z][a-z0-9-]{0,8}", pattern in "[a-z*?]{1,8}", indent in 1usize..5) {
            let pad = " ".repeat(indent);
            let text = format!(
                "network:\n{pad}ethernets:\n{pad}{pad}{id}:\n{pad}{pad}{pad}match:\n{pad}{pad}{pad}{pad}name: \"{pattern}\"\n"
            );
            let (d, errors) = parse(&text);
            prop_assert!(errors.is_empty());
            prop_assert_eq!(d.len(), 1);
            prop_assert_eq!(&d[0].id, &id);
            prop_assert_eq!(d[0].matching.as_ref().and_then(|m| m.name.clone()), Some(pattern));
        }
    }
}
