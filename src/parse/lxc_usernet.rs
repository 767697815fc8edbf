//! /etc/lxc/lxc-usernet (lxc-usernet(5)): the veth quota lxc-user-nic grants, read as lxc 5.0's `get_alloted`
//! (`src/lxc/cmd/lxc_user_nic.c`) reads it: each line through `sscanf("%99[^ \t] %99[^ \t] %99[^ \t] %d")`, so a
//! line is `owner type bridge count`, where `owner` is a user name or `@group`; a line that does not give all four
//! is skipped (a `#` comment is a line whose owner starts with `#`, which matches nobody), and nothing is trimmed in
//! front of the owner.

/// One line that gives all four fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// 1-based.
    pub line: usize,
    /// A user name, or `@group`.
    pub owner: String,
    /// `veth` (the only type lxc-user-nic creates).
    pub kind: String,
    pub bridge: String,
    /// `%d`: may be zero or negative.
    pub count: i64,
}

impl Entry {
    /// The group named by an `@group` owner.
    pub fn group(&self) -> Option<&str> {
        self.owner.strip_prefix('@')
    }
}

/// The longest field `%99[…]` stores.
const FIELD_MAX: usize = 99;

/// `%99[^ \t]` at `at`: at least one byte that is neither a blank nor a tab, at most 99.
fn field(line: &[u8], at: usize) -> Option<(String, usize)> {
    let rest = line.get(at..).unwrap_or_default();
    let end = rest
        .iter()
        .take(FIELD_MAX)
        .position(|b| *b == b' ' || *b == b'\t')
        .unwrap_or_else(|| rest.len().min(FIELD_MAX));
    (end > 0).then(|| (String::from_utf8_lossy(&rest[..end]).into_owned(), at + end))
}

/// A blank in the format: any run of white space (C's `isspace`: blank, \t, \n, \v, \f, \r), possibly empty.
fn skip_space(line: &[u8], mut at: usize) -> usize {
    while line
        .get(at)
        .is_some_and(|b| b.is_ascii_whitespace() || *b == 0x0b)
    {
        at += 1;
    }
    at
}

/// `%d` at `at` (after skipping white space): an optional sign and at least one decimal digit; saturates.
fn number(line: &[u8], at: usize) -> Option<i64> {
    let mut at = skip_space(line, at);
    let negative = match line.get(at) {
        Some(b'-') => {
            at += 1;
            true
        }
        Some(b'+') => {
            at += 1;
            false
        }
        _ => false,
    };
    let digits: Vec<u8> = line
        .get(at..)
        .unwrap_or_default()
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .copied()
        .collect();
    if digits.is_empty() {
        return None;
    }
    let mut value: i64 = 0;
    for d in digits {
        value = value.saturating_mul(10).saturating_add(i64::from(d - b'0'));
    }
    let value = if negative { -value } else { value };
    Some(value.clamp(i64::from(i32::MIN), i64::from(i32::MAX)))
}

/// Every line that gives all four fields, in file order.
pub fn parse(text: &[u8]) -> Vec<Entry> {
    let mut out = Vec::new();
    for (i, raw) in text.split(|b| *b == b'\n').enumerate() {
        // getline keeps the newline, and `%[^ \t]` would take it: a field never ends the line early here.
        let Some((owner, at)) = field(raw, 0) else {
            continue;
        };
        let Some((kind, at)) = field(raw, skip_space(raw, at)) else {
            continue;
        };
        let Some((bridge, at)) = field(raw, skip_space(raw, at)) else {
            continue;
        };
        let Some(count) = number(raw, at) else {
            continue;
        };
        out.push(Entry {
            line: i + 1,
            owner,
            kind,
            bridge,
            count,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_manual_page_s_examples() {
        let text = b"# USERNAME TYPE BRIDGE COUNT\nalice veth lxcbr0 10\n@lxd\tveth br0 2\nbob veth lxcbr0\n carol veth lxcbr0 1\ndave veth lxcbr0 -1 trailing\n";
        let e = parse(text);
        // The comment gives three words and no number: skipped, as is bob's line without a count.
        assert_eq!(e.len(), 3, "{e:?}");
        assert_eq!(
            (
                e[0].line,
                e[0].owner.as_str(),
                e[0].kind.as_str(),
                e[0].bridge.as_str(),
                e[0].count
            ),
            (2, "alice", "veth", "lxcbr0", 10)
        );
        assert_eq!(e[1].group(), Some("lxd"));
        assert_eq!(e[1].bridge, "br0");
        // " carol": %[ does not skip the leading blank, so the line gives nothing.
        assert!(!e.iter().any(|x| x.owner.contains("carol")));
        assert_eq!((e[2].owner.as_str(), e[2].count), ("dave", -1));
        // A comment that happens to have four fields is a line for the owner "#…", who is nobody.
        assert_eq!(parse(b"#alice veth lxcbr0 1\n")[0].owner, "#alice");
    }

    #[test]
    fn a_field_longer_than_99_bytes_is_cut_and_the_rest_read_as_the_next() {
        let long = "a".repeat(120);
        let e = parse(format!("{long} veth 7\n").as_bytes());
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].owner.len(), 99);
        assert_eq!(e[0].kind, "a".repeat(21));
        assert_eq!((e[0].bridge.as_str(), e[0].count), ("veth", 7));
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = parse(&bytes);
        }

        #[test]
        fn written_lines_read_back(
            lines in proptest::collection::vec(
                ("@?[a-z][a-z0-9_-]{0,20}", "veth|macvlan", "[a-z][a-z0-9]{0,14}", -5i64..1000),
                0..6,
            )
        ) {
            let text: String = lines.iter().map(|(o, k, b, c)| format!("{o} {k}\t{b} {c}\n")).collect();
            let e = parse(text.as_bytes());
            prop_assert_eq!(e.len(), lines.len());
            for (got, (o, k, b, c)) in e.iter().zip(&lines) {
                prop_assert_eq!(&got.owner, o);
                prop_assert_eq!(&got.kind, k);
                prop_assert_eq!(&got.bridge, b);
                prop_assert_eq!(got.count, *c);
            }
        }
    }
}
