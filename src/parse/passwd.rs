//! Parsers for `/etc/passwd` and `/etc/group`, as described in passwd(5) and group(5).
//!
//! Both are colon-separated, one record per line:
//! `name:password:UID:GID:GECOS:home:shell` and `name:password:GID:member,member`.
//! Lines starting with `+` or `-` are NIS compatibility entries (nsswitch.conf(5) `compat`
//! mode) that carry no local account, so they are skipped silently, as are `#` comments and
//! blank lines.
//!
//! The files are bytes, not text: glibc and shadow never decode them, and a GECOS field in Latin-1 is common
//! on old systems. [`parse_passwd_bytes`] reads each line on its own, so one such line cannot make the whole
//! file unreadable.

use serde::Serialize;

use crate::parse::LineError;

/// One account from `/etc/passwd`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PasswdEntry {
    pub line: usize,
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    pub home: String,
    pub shell: String,
}

/// One group from `/etc/group`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupEntry {
    pub line: usize,
    pub name: String,
    pub gid: u32,
    pub members: Vec<String>,
}

/// Parses the text of `/etc/passwd`.
pub fn parse_passwd(text: &str) -> (Vec<PasswdEntry>, Vec<LineError>) {
    parse_records(text, 7, |line, fields| {
        let [name, _password, uid, gid, _gecos, home, shell] = fields else {
            return Err("expected 7 colon-separated fields".to_string());
        };
        Ok(PasswdEntry {
            line,
            name: name_field(name)?,
            uid: id_field(uid, "uid")?,
            gid: id_field(gid, "gid")?,
            home: home.to_string(),
            shell: shell.to_string(),
        })
    })
}

/// `/etc/passwd` read as bytes: the accounts, and the lines that were skipped (malformed, or with a name,
/// home or shell that is not UTF-8), each with its 1-based line number.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Passwd {
    pub entries: Vec<PasswdEntry>,
    pub skipped: Vec<LineError>,
}

impl std::ops::Deref for Passwd {
    type Target = [PasswdEntry];
    fn deref(&self) -> &[PasswdEntry] {
        &self.entries
    }
}

/// Parses `/etc/passwd` as the bytes it is. The password and GECOS fields are never used, so their encoding
/// does not matter (a Latin-1 full name is read like any other line); a line whose name, UID, GID, home or shell
/// is not UTF-8 is skipped and reported with its line number, and the rest of the file is read.
pub fn parse_passwd_bytes(bytes: &[u8]) -> Passwd {
    let mut text = String::with_capacity(bytes.len());
    let mut skipped = Vec::new();
    for (index, raw) in bytes.split(|b| *b == b'\n').enumerate() {
        if index > 0 {
            text.push('\n');
        }
        match std::str::from_utf8(raw) {
            Ok(line) => text.push_str(line),
            Err(_) => match decoded_fields(raw) {
                Some(line) => text.push_str(&line),
                // An empty line keeps the numbering of the lines after it.
                None => skipped.push(LineError {
                    line: index + 1,
                    message:
                        "not valid UTF-8 in the name, UID, GID, home or shell: the line is skipped"
                            .to_string(),
                }),
            },
        }
    }
    let (entries, errors) = parse_passwd(&text);
    skipped.extend(errors);
    skipped.sort_by_key(|e| e.line);
    Passwd { entries, skipped }
}

/// A non-UTF-8 passwd line rebuilt with its password and GECOS fields emptied, when every other field is UTF-8.
fn decoded_fields(raw: &[u8]) -> Option<String> {
    let fields: Vec<&[u8]> = raw.split(|b| *b == b':').collect();
    let [name, _password, uid, gid, _gecos, home, shell] = fields.as_slice() else {
        return None;
    };
    let text = |f: &[u8]| std::str::from_utf8(f).ok().map(str::to_owned);
    Some(format!(
        "{}::{}:{}::{}:{}",
        text(name)?,
        text(uid)?,
        text(gid)?,
        text(home)?,
        text(shell)?
    ))
}

/// Parses the text of `/etc/group`.
pub fn parse_group(text: &str) -> (Vec<GroupEntry>, Vec<LineError>) {
    parse_records(text, 4, |line, fields| {
        let [name, _password, gid, members] = fields else {
            return Err("expected 4 colon-separated fields".to_string());
        };
        Ok(GroupEntry {
            line,
            name: name_field(name)?,
            gid: id_field(gid, "gid")?,
            members: members
                .split(',')
                .map(str::trim_ascii)
                .filter(|m| !m.is_empty())
                .map(str::to_string)
                .collect(),
        })
    })
}

/// Splits every meaningful line into exactly `fields` colon-separated fields and hands them to
/// `build`, which destructures them by pattern so that no index can be out of bounds.
fn parse_records<T>(
    text: &str,
    fields: usize,
    build: impl Fn(usize, &[&str]) -> Result<T, String>,
) -> (Vec<T>, Vec<LineError>) {
    let mut records = Vec::new();
    let mut errors = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let trimmed = raw.trim_ascii();
        if trimmed.is_empty()
            || trimmed.starts_with('#')
            || trimmed.starts_with('+')
            || trimmed.starts_with('-')
        {
            continue;
        }
        let parts: Vec<&str> = trimmed.split(':').collect();
        let result = if parts.len() == fields {
            build(line, &parts)
        } else {
            Err(format!(
                "expected {fields} colon-separated fields, found {}",
                parts.len()
            ))
        };
        match result {
            Ok(record) => records.push(record),
            Err(message) => errors.push(LineError { line, message }),
        }
    }
    (records, errors)
}

fn name_field(field: &str) -> Result<String, String> {
    if field.is_empty() {
        Err("empty name".to_string())
    } else {
        Ok(field.to_string())
    }
}

fn id_field(field: &str, what: &str) -> Result<u32, String> {
    if field.is_empty() || !field.bytes().all(|b| b.is_ascii_digit()) {
        let shown: String = field.chars().take(40).collect();
        return Err(format!("{what} {shown:?} is not a number"));
    }
    field
        .parse::<u32>()
        .map_err(|_| format!("{what} {field:?} is out of range"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const PASSWD: &str = "\
root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
# local users
alice:x:1000:1000:Alice Example,,,:/home/alice:/bin/bash
+@netgroup::::::
-bob
dockremap:x:999:988::/nonexistent:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
";

    const GROUP: &str = "\
root:x:0:
sudo:x:27:alice,bob
docker:x:988:alice
+
users:x:100:
";

    #[test]
    fn passwd_file() {
        let (entries, errors) = parse_passwd(PASSWD);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(entries.len(), 5);
        assert_eq!(
            entries[2],
            PasswdEntry {
                line: 4,
                name: "alice".into(),
                uid: 1000,
                gid: 1000,
                home: "/home/alice".into(),
                shell: "/bin/bash".into(),
            }
        );
        assert_eq!(entries[3].line, 7);
        assert_eq!(entries[4].uid, 65534);
    }

    #[test]
    fn group_file() {
        let (entries, errors) = parse_group(GROUP);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(entries.len(), 4);
        assert_eq!(entries[1].members, vec!["alice", "bob"]);
        assert!(entries[0].members.is_empty());
        assert_eq!(entries[3].line, 5);
        assert_eq!(entries[3].gid, 100);
    }

    #[test]
    fn bad_lines() {
        let text = "a:x:1:1::/:/bin/sh\nb:x:one:1::/:/bin/sh\nc:x:1\n:x:1:1::/:/bin/sh\nd:x:4294967296:1::/:/bin/sh\n";
        let (entries, errors) = parse_passwd(text);
        assert_eq!(entries.len(), 1);
        let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![2, 3, 4, 5]);
        let (groups, errors) = parse_group("g:x:-1:\nh:x:5:a\n");
        assert_eq!(groups.len(), 1);
        assert_eq!(errors.len(), 1);
    }

    #[test]
    fn regression_passwd_non_utf8_gecos() {
        // bob's full name in Latin-1 ("Böb"), carol's home in Latin-1: alice and the rest are read all the same.
        let bytes =
            b"root:x:0:0:root:/root:/bin/bash\nbob:x:1001:1001:B\xf6b,,,:/home/bob:/bin/bash\n\
carol:x:1002:1002::/home/j\xf6rg:/bin/sh\nalice:x:1000:1000:Alice:/home/alice:/bin/bash\n";
        let p = parse_passwd_bytes(bytes);
        let names: Vec<&str> = p.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["root", "bob", "alice"]);
        assert_eq!(p.entries[1].home, "/home/bob");
        assert_eq!(p.entries[2].line, 4);
        assert_eq!(p.skipped.len(), 1);
        assert_eq!(p.skipped[0].line, 3);
        assert!(p.skipped[0].message.contains("not valid UTF-8"));
        // UTF-8 text reads exactly as parse_passwd reads it.
        let utf8 = parse_passwd_bytes(PASSWD.as_bytes());
        assert_eq!(utf8.entries, parse_passwd(PASSWD).0);
        assert!(utf8.skipped.is_empty());
    }

    proptest! {
        #[test]
        fn bytes_never_panic_and_keep_line_numbers(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
            let p = parse_passwd_bytes(&bytes);
            let lines = bytes.split(|b| *b == b'\n').count();
            for e in &p.entries {
                prop_assert!(e.line >= 1 && e.line <= lines);
            }
            for e in &p.skipped {
                prop_assert!(e.line >= 1 && e.line <= lines);
            }
        }

        #[test]
        fn utf8_bytes_parse_as_text(text in "([a-z0-9:/,\n ]|\\PC){0,200}") {
            let p = parse_passwd_bytes(text.as_bytes());
            let (entries, errors) = parse_passwd(&text);
            prop_assert_eq!(p.entries, entries);
            prop_assert_eq!(p.skipped, errors);
        }

        #[test]
        fn never_panics(text in any::<String>()) {
            let _ = parse_passwd(&text);
            let _ = parse_group(&text);
        }

        #[test]
        fn generated_passwd_round_trips(
            users in prop::collection::vec(("[a-z_][a-z0-9_-]{0,10}", any::<u32>(), any::<u32>(), "/[a-z/]{0,10}", "/[a-z/]{0,10}"), 0..6)
        ) {
            let text: String = users
                .iter()
                .map(|(n, u, g, h, s)| format!("{n}:x:{u}:{g}:gecos:{h}:{s}\n"))
                .collect();
            let (entries, errors) = parse_passwd(&text);
            prop_assert!(errors.is_empty());
            prop_assert_eq!(entries.len(), users.len());
            for (i, (e, (n, u, g, h, s))) in entries.iter().zip(&users).enumerate() {
                prop_assert_eq!(e.line, i + 1);
                prop_assert_eq!(&e.name, n);
                prop_assert_eq!(e.uid, *u);
                prop_assert_eq!(e.gid, *g);
                prop_assert_eq!(&e.home, h);
                prop_assert_eq!(&e.shell, s);
            }
        }

        #[test]
        fn group_members_are_non_empty(text in "([a-z:,0-9 ]{0,20}\n){0,6}") {
            let (groups, _) = parse_group(&text);
            for g in groups {
                prop_assert!(!g.name.is_empty());
                prop_assert!(g.members.iter().all(|m| !m.is_empty() && !m.contains(',')));
            }
        }
    }
}
