//! Pure helpers over `/etc/subuid`, `/etc/subgid` and `/etc/passwd` contents.
//!
//! subuid(5): each line is `owner:start:count`, where owner is a login name or a numeric uid.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub start: u64,
    pub count: u64,
}

impl Range {
    pub fn end(self) -> u64 {
        self.start.saturating_add(self.count)
    }

    /// The `FIRST-LAST` form `usermod --add-subuids/--del-subuids` take.
    pub fn usermod_arg(self) -> String {
        format!("{}-{}", self.start, self.end().saturating_sub(1))
    }
}

/// Every well-formed line as `(owner, range)`; comments, blank and malformed lines are ignored.
pub fn entries(contents: &str) -> Vec<(&str, Range)> {
    contents
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| {
            let mut fields = line.split(':');
            let owner = fields.next()?;
            let start = fields.next()?.trim().parse().ok()?;
            let count = fields.next()?.trim().parse().ok()?;
            if fields.next().is_some() || owner.is_empty() {
                return None;
            }
            Some((owner, Range { start, count }))
        })
        .collect()
}

/// The ranges that belong to the user, listed either by name or by uid.
pub fn ranges_for(contents: &str, name: &str, uid: u32) -> Vec<Range> {
    let uid = uid.to_string();
    entries(contents)
        .into_iter()
        .filter(|(owner, _)| *owner == name || *owner == uid)
        .map(|(_, range)| range)
        .collect()
}

/// Whether any line mentions the user at all, even a malformed one (those would confuse newuidmap too).
pub fn mentions(contents: &str, name: &str, uid: u32) -> bool {
    let uid = uid.to_string();
    contents.lines().any(|line| {
        let owner = line.trim().split(':').next().unwrap_or_default();
        owner == name || owner == uid
    })
}

/// `contents` without the lines whose owner is the user (by name or uid).
pub fn without_owner(contents: &str, name: &str, uid: u32) -> String {
    let uid = uid.to_string();
    contents
        .lines()
        .filter(|line| {
            let owner = line.trim().split(':').next().unwrap_or_default();
            owner != name && owner != uid
        })
        .map(|line| format!("{line}\n"))
        .collect()
}

/// The lowest start `>= min` such that `[start, start + count)` overlaps no range in any of the files,
/// so the same range can go into both /etc/subuid and /etc/subgid.
pub fn free_start(files: &[&str], min: u64, count: u64) -> u64 {
    let mut taken: Vec<Range> = files
        .iter()
        .flat_map(|contents| entries(contents))
        .map(|(_, r)| r)
        .collect();
    taken.sort_by_key(|range| range.start);
    let mut start = min;
    // Sorted by start, a range that does not overlap the window now ends before it, so one pass is enough.
    for range in taken {
        if range.count > 0 && range.start < start.saturating_add(count) && range.end() > start {
            start = range.end();
        }
    }
    start
}

/// `(uid, gid, home)` of a user from `/etc/passwd` contents.
pub fn passwd_entry(contents: &str, name: &str) -> Option<(u32, u32, String)> {
    contents.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        if fields.len() < 7 || fields[0] != name {
            return None;
        }
        Some((
            fields[2].parse().ok()?,
            fields[3].parse().ok()?,
            fields[5].to_string(),
        ))
    })
}

/// The effective uid from `/proc/self/status` (`Uid:` real, effective, saved, filesystem).
pub fn effective_uid(status: &str) -> Option<u32> {
    let line = status.lines().find(|line| line.starts_with("Uid:"))?;
    line["Uid:".len()..].split_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUBUID: &str = "\
# comment
alice:100000:65536
1001:165536:65536

bob:231072:1000
broken:line
bob:300000:1
";

    #[test]
    fn ranges_by_name_and_uid() {
        assert_eq!(
            ranges_for(SUBUID, "alice", 1000),
            vec![Range {
                start: 100000,
                count: 65536
            }]
        );
        assert_eq!(
            ranges_for(SUBUID, "carol", 1001),
            vec![Range {
                start: 165536,
                count: 65536
            }]
        );
        assert_eq!(
            ranges_for(SUBUID, "bob", 1002),
            vec![
                Range {
                    start: 231072,
                    count: 1000
                },
                Range {
                    start: 300000,
                    count: 1
                }
            ]
        );
        assert_eq!(ranges_for(SUBUID, "nobody", 65534), vec![]);
        assert_eq!(ranges_for("", "alice", 1000), vec![]);
    }

    #[test]
    fn mentions_counts_malformed_lines() {
        assert!(mentions(SUBUID, "broken", 4242));
        assert!(mentions(SUBUID, "x", 1001));
        assert!(!mentions(SUBUID, "carol", 1003));
    }

    #[test]
    fn without_owner_keeps_other_lines() {
        assert_eq!(
            without_owner(SUBUID, "bob", 1001),
            "# comment\nalice:100000:65536\n\nbroken:line\n"
        );
        assert_eq!(without_owner("", "bob", 1), "");
    }

    #[test]
    fn usermod_arg_is_inclusive() {
        assert_eq!(
            Range {
                start: 100000,
                count: 65536
            }
            .usermod_arg(),
            "100000-165535"
        );
    }

    #[test]
    fn free_start_skips_taken_ranges_in_all_files() {
        assert_eq!(free_start(&["", ""], 100000, 65536), 100000);
        assert_eq!(free_start(&[SUBUID], 100000, 65536), 232072);
        assert_eq!(free_start(&[SUBUID], 100000, 100000), 300001);
        // A gap big enough between two ranges is used.
        let gap = "a:100000:10\nb:300000:10\n";
        assert_eq!(free_start(&[gap], 100000, 65536), 100010);
        // Ranges below the minimum don't matter; a range only in subgid still counts.
        assert_eq!(
            free_start(&["a:1000:10", "b:100000:65536"], 100000, 65536),
            165536
        );
    }

    #[test]
    fn passwd() {
        let passwd =
            "root:x:0:0:root:/root:/bin/bash\nrdtest-ok:x:1000:1000::/home/rdtest-ok:/bin/bash\n";
        assert_eq!(
            passwd_entry(passwd, "rdtest-ok"),
            Some((1000, 1000, "/home/rdtest-ok".into()))
        );
        assert_eq!(passwd_entry(passwd, "rdtest"), None);
    }

    #[test]
    fn status_uid() {
        let status = "Name:\tcat\nUid:\t1000\t0\t0\t0\nGid:\t1000\t1000\t1000\t1000\n";
        assert_eq!(effective_uid(status), Some(0));
        assert_eq!(effective_uid("Name:\tcat\n"), None);
    }
}
