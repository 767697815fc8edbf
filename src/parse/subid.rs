//! Parser for `/etc/subuid` and `/etc/subgid`, as described in subuid(5) and subgid(5).
//!
//! Each non-comment line is `owner:start:count` and delegates the ids `start..start+count` to
//! `owner`, which is either a user name or a numeric UID. `newuidmap(1)` and `newgidmap(1)` read
//! these files to decide which ranges an unprivileged user may map into a user namespace.
//! Lines starting with `#` are comments and blank lines are ignored.

use serde::Serialize;

use crate::parse::LineError;

/// The highest id a range may reach, exclusive: `(uid_t)-1` is reserved as "no id", so a valid
/// range ends at or below 4294967295.
pub const ID_LIMIT: u64 = 4_294_967_295;

/// One delegated range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubidEntry {
    /// The 1-based line of the file this entry came from, for messages that point at it.
    pub line: usize,
    pub owner: String,
    pub start: u64,
    pub count: u64,
}

impl SubidEntry {
    /// Returns the first id after the range. Saturates rather than overflows, because the
    /// fields are public and may hold values that [`parse`] would have rejected.
    pub fn end(&self) -> u64 {
        self.start.saturating_add(self.count)
    }

    /// Returns true when this entry belongs to the user called `name` with UID `uid`; shadow's
    /// tools accept either spelling of the owner.
    pub fn matches(&self, name: &str, uid: u32) -> bool {
        self.owner == name || self.owner == uid.to_string()
    }

    /// Returns true when `id` lies inside the range.
    pub fn contains(&self, id: u64) -> bool {
        id >= self.start && id < self.end()
    }

    /// Returns true when the range shares at least one id with `[other_start, other_start +
    /// other_count)`. Empty ranges overlap nothing.
    pub fn overlaps(&self, other_start: u64, other_count: u64) -> bool {
        let other_end = other_start.saturating_add(other_count);
        self.count > 0 && other_count > 0 && self.start < other_end && other_start < self.end()
    }
}

/// Parses the text of a subuid or subgid file.
///
/// Malformed lines are reported with their line number and skipped; every well-formed line is
/// still returned, so one typo does not hide the user's valid range.
pub fn parse(text: &str) -> (Vec<SubidEntry>, Vec<LineError>) {
    let mut entries = Vec::new();
    let mut errors = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let trimmed = raw.trim_ascii();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        match parse_line(trimmed, line) {
            Ok(entry) => entries.push(entry),
            Err(message) => errors.push(LineError { line, message }),
        }
    }
    (entries, errors)
}

/// Renders entries in the file's own `owner:start:count` syntax, one per line.
pub fn render(entries: &[SubidEntry]) -> String {
    let mut out = String::new();
    for e in entries {
        out.push_str(&format!("{}:{}:{}\n", e.owner, e.start, e.count));
    }
    out
}

fn parse_line(text: &str, line: usize) -> Result<SubidEntry, String> {
    let fields: Vec<&str> = text.split(':').collect();
    let [owner, start, count] = fields.as_slice() else {
        return Err(format!(
            "expected 3 colon-separated fields (owner:start:count), found {}",
            fields.len()
        ));
    };
    let owner = owner.trim_ascii();
    if owner.is_empty() {
        return Err("empty owner".to_string());
    }
    let start = parse_number(start, "start")?;
    let count = parse_number(count, "count")?;
    if count == 0 {
        return Err("count must be at least 1".to_string());
    }
    match start.checked_add(count) {
        Some(end) if end <= ID_LIMIT => {}
        _ => {
            return Err(format!(
                "range {start}+{count} goes past the highest id {}",
                ID_LIMIT - 1
            ));
        }
    }
    Ok(SubidEntry {
        line,
        owner: owner.to_string(),
        start,
        count,
    })
}

/// Parses a plain decimal number; `u64::from_str` alone would also accept a leading `+`,
/// which shadow's tools do not.
fn parse_number(field: &str, what: &str) -> Result<u64, String> {
    let field = field.trim_ascii();
    if field.is_empty() || !field.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{what} {field:?} is not a number"));
    }
    field
        .parse::<u64>()
        .map_err(|_| format!("{what} {field:?} is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn typical_file() {
        let text =
            "# created by useradd\nalice:100000:65536\n\n1001:165536:65536\nbob:231072:65536\n";
        let (entries, errors) = parse(text);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(entries.len(), 3);
        assert_eq!(
            entries[0],
            SubidEntry {
                line: 2,
                owner: "alice".into(),
                start: 100000,
                count: 65536
            }
        );
        assert_eq!(entries[1].line, 4);
        assert!(entries[1].matches("carol", 1001));
        assert!(!entries[1].matches("carol", 1002));
        assert!(entries[0].matches("alice", 5));
        assert_eq!(entries[0].end(), 165536);
        assert!(entries[0].contains(100000));
        assert!(entries[0].contains(165535));
        assert!(!entries[0].contains(165536));
        assert!(!entries[0].contains(99999));
    }

    #[test]
    fn overlaps() {
        let e = SubidEntry {
            line: 1,
            owner: "a".into(),
            start: 100,
            count: 10,
        };
        assert!(e.overlaps(105, 1));
        assert!(e.overlaps(90, 11));
        assert!(!e.overlaps(90, 10));
        assert!(!e.overlaps(110, 5));
        assert!(e.overlaps(109, 5));
        assert!(!e.overlaps(100, 0));
        assert!(e.overlaps(0, u64::MAX));
    }

    #[test]
    fn bad_lines_are_reported_and_skipped() {
        let text = concat!(
            "alice:100000\n",
            "bob:abc:65536\n",
            "carol:100000:0\n",
            "dave:4294967000:65536\n",
            ":100000:65536\n",
            "erin:+5:10\n",
            "frank:1:2:3\n",
            "gina:200000:65536\n",
            "hank:4294901759:65536\n",
            "ivan:99999999999999999999:1\n",
        );
        let (entries, errors) = parse(text);
        let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![1, 2, 3, 4, 5, 6, 7, 10]);
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].owner, "gina");
        // 4294901759 + 65536 = 4294967295 exactly: the last usable id is 4294967294.
        assert_eq!(entries[1].end(), ID_LIMIT);
        assert!(errors[2].message.contains("count"));
        assert!(errors[4].message.contains("empty owner"));
    }

    #[test]
    fn render_matches_the_file_syntax() {
        let (entries, _) = parse("alice:100000:65536\n1001:165536:65536\n");
        assert_eq!(render(&entries), "alice:100000:65536\n1001:165536:65536\n");
    }

    fn entries_strategy() -> impl Strategy<Value = Vec<SubidEntry>> {
        prop::collection::vec(("[a-z_][a-z0-9_.-]{0,15}|[0-9]{1,6}", 0u64..ID_LIMIT), 0..8)
            .prop_flat_map(|items| {
                let counts: Vec<_> = items
                    .iter()
                    .map(|(_, start)| 1..=(ID_LIMIT - start))
                    .collect();
                (Just(items), counts)
            })
            .prop_map(|(items, counts)| {
                items
                    .into_iter()
                    .zip(counts)
                    .enumerate()
                    .map(|(i, ((owner, start), count))| SubidEntry {
                        line: i + 1,
                        owner,
                        start,
                        count,
                    })
                    .collect()
            })
    }

    proptest! {
        #[test]
        fn never_panics(text in any::<String>()) {
            let (entries, _) = parse(&text);
            for e in &entries {
                let _ = (e.end(), e.contains(e.start), e.overlaps(0, u64::MAX));
            }
        }

        #[test]
        fn round_trips(entries in entries_strategy()) {
            let (parsed, errors) = parse(&render(&entries));
            prop_assert!(errors.is_empty(), "{:?}", errors);
            prop_assert_eq!(parsed, entries);
        }

        #[test]
        fn parsed_ranges_are_valid(text in "([a-z0-9:#+ ]{0,30}\n){0,8}") {
            let (entries, errors) = parse(&text);
            for e in &entries {
                prop_assert!(e.count > 0);
                prop_assert!(e.end() <= ID_LIMIT);
                prop_assert!(!e.owner.is_empty());
                prop_assert!(e.contains(e.start));
                prop_assert!(!e.contains(e.end()));
                prop_assert!(e.overlaps(e.start, e.count));
            }
            // Every non-blank, non-comment line yields exactly one entry or one error.
            let meaningful = text
                .lines()
                .filter(|l| !l.trim_ascii().is_empty() && !l.trim_ascii().starts_with('#'))
                .count();
            prop_assert_eq!(entries.len() + errors.len(), meaningful);
        }

        #[test]
        fn overlap_is_symmetric(a in 0u64..1000, ac in 0u64..100, b in 0u64..1000, bc in 0u64..100) {
            let x = SubidEntry { line: 1, owner: "x".into(), start: a, count: ac };
            let y = SubidEntry { line: 1, owner: "y".into(), start: b, count: bc };
            prop_assert_eq!(x.overlaps(b, bc), y.overlaps(a, ac));
        }
    }
}
