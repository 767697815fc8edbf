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
    /// The file that defines it (set by [`merge`]).
    pub file: String,
    /// The section: `ethernets`, `bridges`, …
    pub kind: String,
    /// The device ID (the key under the section).
    pub id: String,
    /// 1-based line of the ID.
    pub line: usize,
    /// The `match:` block, if any.
    pub matching: Option<Match>,
    /// `set-name:`: the name netplan gives the interface it matches.
    pub set_name: Option<String>,
    /// Some line of this definition could not be read (an alias, a multi-line flow collection): what it matches is
    /// not known, and [`Device::catches`] says no rather than guess.
    pub uncertain: bool,
}

/// A `match:` block; netplan ANDs the properties given.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Match {
    /// The file of `match:` (set by [`merge`]).
    pub file: String,
    /// 1-based line of `match:`.
    pub line: usize,
    /// `name:` glob.
    pub name: Option<String>,
    /// `driver:` glob, or a list of them (any may match).
    pub driver: Vec<String>,
    /// Whether `macaddress:` (or `permanentmacaddress:`) is given: it pins one NIC, never Docker's interfaces.
    pub macaddress: bool,
}

impl Match {
    /// A later file's `match:` for the same device: its properties override, the others stay.
    fn amend(&mut self, later: &Match) {
        self.file.clone_from(&later.file);
        self.line = later.line;
        if later.name.is_some() {
            self.name.clone_from(&later.name);
        }
        if !later.driver.is_empty() {
            self.driver.clone_from(&later.driver);
        }
        self.macaddress |= later.macaddress;
    }
}

impl Device {
    /// Whether this definition claims an interface with this name and kernel driver.
    ///
    /// A physical device without `match:` is the interface named by its ID; a virtual device creates the interface
    /// named by its ID; a `match:` catches what all its properties match (an empty one catches every interface).
    pub fn catches(&self, iface: &str, driver: &str) -> bool {
        if self.uncertain {
            return false;
        }
        if self.set_name.as_deref() == Some(iface) {
            return true;
        }
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
        // The device this line belongs to, if it is inside one: network → kind → ID → …
        let inside = match stack.as_slice() {
            [(_, n), (_, kind), (_, id), ..] if n == "network" && is_kind(kind) => devices
                .iter_mut()
                .rev()
                .find(|d| d.kind == *kind && d.id == *id),
            _ => None,
        };
        if content == "-" || content.starts_with("- ") {
            opaque_above = Some(indent);
            continue;
        }
        let Some((key, raw_value)) = split_key(content) else {
            if let Some(d) = inside {
                d.uncertain = true;
            }
            errors.push(LineError {
                line,
                message: format!("not read here (expected `key: value`): {content:?}"),
            });
            continue;
        };
        let value = strip_properties(raw_value);
        if value.starts_with('|') || value.starts_with('>') {
            opaque_above = Some(indent);
        }
        let unreadable = value.starts_with('*')
            || (value.starts_with('{') && !value.ends_with('}'))
            || (value.starts_with('[') && !value.ends_with(']'));
        let path: Vec<&str> = stack
            .iter()
            .map(|(_, k)| k.as_str())
            .chain([key.as_str()])
            .collect();
        match (path.as_slice(), inside) {
            (["network", kind, id], _) if is_kind(kind) => {
                let mut d = Device {
                    kind: (*kind).to_owned(),
                    id: (*id).to_owned(),
                    line,
                    uncertain: unreadable,
                    ..Device::default()
                };
                if let Some(flow) = value.strip_prefix('{') {
                    for (k, v) in flow_items(flow) {
                        match k.as_str() {
                            "match" => d.matching = Some(flow_match(&v, line, &mut d.uncertain)),
                            "set-name" => d.set_name = Some(unquote(&v)),
                            _ => {}
                        }
                    }
                }
                devices.push(d);
            }
            (["network", _, _, "set-name"], Some(d)) => d.set_name = Some(unquote(value)),
            (["network", _, _, "match"], Some(d)) => {
                d.uncertain |= unreadable;
                d.matching = Some(match value.strip_prefix('{') {
                    Some(_) => flow_match(value, line, &mut d.uncertain),
                    None if value.is_empty() => Match {
                        line,
                        ..Match::default()
                    },
                    // An alias or a scalar: not a mapping this reads.
                    None => {
                        d.uncertain = true;
                        Match::default()
                    }
                });
            }
            (["network", _, _, "match", property], Some(d)) => {
                d.uncertain |= unreadable;
                if let Some(m) = d.matching.as_mut() {
                    set_property(m, property, value);
                }
            }
            (["network", _, _, "match", ..], Some(d)) => d.uncertain = true,
            _ => {}
        }
        if value.is_empty() {
            stack.push((indent, key));
        }
    }
    (devices, errors)
}

/// Several netplan files, (path, devices) in the order netplan reads them: a later definition of the same device
/// amends the earlier one (its `match:` properties and `set-name:` override).
pub fn merge(files: impl IntoIterator<Item = (String, Vec<Device>)>) -> Vec<Device> {
    let mut out: Vec<Device> = Vec::new();
    for (path, devices) in files {
        for mut d in devices {
            d.file.clone_from(&path);
            if let Some(m) = d.matching.as_mut() {
                m.file.clone_from(&path);
            }
            match out.iter_mut().find(|o| o.kind == d.kind && o.id == d.id) {
                Some(o) => {
                    match (&mut o.matching, &d.matching) {
                        (Some(m), Some(later)) => m.amend(later),
                        (None, Some(later)) => o.matching = Some(later.clone()),
                        _ => {}
                    }
                    if d.set_name.is_some() {
                        o.set_name.clone_from(&d.set_name);
                    }
                    o.uncertain |= d.uncertain;
                }
                None => out.push(d),
            }
        }
    }
    out
}

fn is_kind(kind: &str) -> bool {
    PHYSICAL.contains(&kind) || VIRTUAL.contains(&kind)
}

/// A value without its node properties: an anchor (`&name`) or a tag (`!!str`) before it.
fn strip_properties(value: &str) -> &str {
    let mut v = value.trim();
    while v.starts_with('&') || v.starts_with('!') {
        v = v
            .split_once([' ', '\t'])
            .map_or("", |(_, rest)| rest.trim_start());
    }
    v
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

/// `{name: "en*", driver: [a, b]}` as a match; an alias or anything unreadable inside makes the device uncertain.
fn flow_match(value: &str, line: usize, uncertain: &mut bool) -> Match {
    let mut m = Match {
        line,
        ..Match::default()
    };
    let value = strip_properties(value);
    let Some(inner) = value.strip_prefix('{') else {
        *uncertain = true;
        return m;
    };
    for (k, v) in flow_items(inner) {
        let v = strip_properties(&v);
        if v.starts_with('*') {
            *uncertain = true;
        }
        set_property(&mut m, &k, v);
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
                if rest.is_empty() || rest.starts_with([' ', '\t']) {
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

/// A line without its comment: `#` at the start or after a space, outside quotes (`\\"` does not end a double-quoted
/// scalar).
fn strip_comment(s: &str) -> &str {
    let mut quote: Option<char> = None;
    let mut prev = ' ';
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (Some('"'), _) if escaped => escaped = false,
            (Some('"'), '\\') => escaped = true,
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') if matches!(prev, ' ' | '{' | '[' | ',') => quote = Some(c),
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

    #[test]
    fn anchors_aliases_tags_and_set_name() {
        let text = "\
network:
  ethernets:
    eth0: &common
      match:
        name:\t\"en*\"
      set-name: docker0
    eth1:
      match: *shared
    eth2:
      match: !!map {name: \"*\"}
    eth3: {match: {name: *pattern}}
  foo-devices:
    x:
      match: {name: '*'}
  vlans:
    v1:
      match:
        name: \"*\"
";
        let d = devices(text);
        let ids: Vec<&str> = d.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(ids, ["eth0", "eth1", "eth2", "eth3", "v1"]);
        // The anchor does not hide eth0's children; set-name makes it docker0 (a tab after the colon is fine).
        assert_eq!(d[0].matching.as_ref().unwrap().name.as_deref(), Some("en*"));
        assert!(d[0].catches("docker0", "bridge"));
        assert!(!d[0].catches("veth1234567", "veth"));
        // An alias is not read: no guess that it catches everything.
        assert!(d[1].uncertain && !d[1].catches("docker0", "bridge"));
        // A tag before a flow mapping is only a tag.
        assert!(d[2].catches("docker0", "bridge"));
        assert!(d[3].uncertain && !d[3].catches("docker0", "bridge"));
        // A match under an unknown section is nobody's; a virtual device is named by its ID, whatever it says.
        assert!(d[0].matching.as_ref().unwrap().name.as_deref() == Some("en*"));
        assert!(!d[4].catches("docker0", "bridge") && d[4].catches("v1", "vlan"));
    }

    #[test]
    fn later_files_amend_earlier_definitions() {
        let (a, _) = parse("network:\n  ethernets:\n    all:\n      match: {name: \"*\"}\n");
        let (b, _) = parse(
            "network:\n  ethernets:\n    all:\n      match:\n        name: \"en*\"\n    extra: {}\n",
        );
        assert!(a[0].catches("docker0", "bridge"));
        let merged = merge([
            ("/etc/netplan/10-a.yaml".into(), a),
            ("/etc/netplan/20-b.yaml".into(), b),
        ]);
        assert_eq!(merged.len(), 2);
        let m = merged[0].matching.as_ref().unwrap();
        assert_eq!(m.name.as_deref(), Some("en*"));
        assert_eq!((m.file.as_str(), m.line), ("/etc/netplan/20-b.yaml", 4));
        assert_eq!(merged[0].file, "/etc/netplan/10-a.yaml");
        assert_eq!(merged[1].file, "/etc/netplan/20-b.yaml");
        assert!(!merged[0].catches("docker0", "bridge"));
    }

    #[test]
    fn comments_respect_escaped_quotes() {
        assert_eq!(
            strip_comment(r#"name: "a\" # b" # c"#),
            r#"name: "a\" # b" "#
        );
        assert_eq!(strip_comment("name: en* # wired"), "name: en* ");
        assert_eq!(strip_comment("url: http://x#frag"), "url: http://x#frag");
    }

    #[test]
    fn an_unreadable_line_inside_a_match_makes_it_uncertain() {
        let text =
            "network:\n  ethernets:\n    e0:\n      match:\n        driver: [a,\n          b]\n";
        let (d, errors) = parse(text);
        assert!(!errors.is_empty());
        assert!(d[0].uncertain);
        assert!(!d[0].catches("veth1234567", "veth"));
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
