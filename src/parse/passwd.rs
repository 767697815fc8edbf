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
        entry(line, [name, uid, gid, home, shell])
    })
}

/// An account from its name, UID, GID, home and shell fields.
fn entry(line: usize, [name, uid, gid, home, shell]: [&str; 5]) -> Result<PasswdEntry, String> {
    Ok(PasswdEntry {
        line,
        name: name_field(name)?,
        uid: id_field(uid, "uid")?,
        gid: id_field(gid, "gid")?,
        home: home.to_string(),
        shell: shell.to_string(),
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
/// is not UTF-8 is skipped and reported with its line number, and the rest of the file is read. Line by line, with
/// no copy of the file: it reads the same as [`parse_passwd`] where the file is UTF-8 (a property test holds it).
pub fn parse_passwd_bytes(bytes: &[u8]) -> Passwd {
    let mut p = Passwd::default();
    for (index, raw) in bytes.split(|b| *b == b'\n').enumerate() {
        match passwd_line(index + 1, raw) {
            Some(Ok(e)) => p.entries.push(e),
            Some(Err(e)) => p.skipped.push(e),
            None => {}
        }
    }
    p
}

/// The first account of `bytes` (an /etc/passwd) for which `wanted(name, uid)` holds, read as
/// [`parse_passwd_bytes`] reads it; only a candidate's line is decoded in full, so a lookup in a database of ten
/// thousand accounts allocates nothing for the others.
pub fn find_account(
    bytes: &[u8],
    wanted: impl Fn(&[u8], Option<u32>) -> bool,
) -> Option<PasswdEntry> {
    bytes
        .split(|b| *b == b'\n')
        .enumerate()
        .filter(|(_, raw)| {
            let mut fields = raw.trim_ascii().split(|b| *b == b':');
            let name = fields.next().unwrap_or_default();
            let uid = fields
                .nth(1)
                .and_then(|u| std::str::from_utf8(u).ok())
                .and_then(|u| id_field(u, "uid").ok());
            wanted(name, uid)
        })
        .find_map(|(index, raw)| passwd_line(index + 1, raw)?.ok())
}

const NOT_UTF8: &str = "not valid UTF-8 in the name, UID, GID, home or shell: the line is skipped";

/// One line of /etc/passwd (`line` is its 1-based number, `raw` its bytes without the newline): `None` for a line
/// that holds no local account (blank, a `#` comment, a NIS `+`/`-` entry), whatever its encoding: glibc's files
/// module skips such a line by its first byte.
fn passwd_line(line: usize, raw: &[u8]) -> Option<Result<PasswdEntry, LineError>> {
    let trimmed = raw.trim_ascii();
    if matches!(trimmed.first(), None | Some(b'#' | b'+' | b'-')) {
        return None;
    }
    let fail = |message: String| Some(Err(LineError { line, message }));
    let mut fields: [&[u8]; 7] = [&[]; 7];
    let mut count = 0;
    for field in trimmed.split(|b| *b == b':') {
        if let Some(slot) = fields.get_mut(count) {
            *slot = field;
        }
        count += 1;
    }
    if count != 7 {
        if std::str::from_utf8(trimmed).is_err() {
            return fail(NOT_UTF8.to_string());
        }
        return fail(format!("expected 7 colon-separated fields, found {count}"));
    }
    fn text(f: &[u8]) -> Option<&str> {
        std::str::from_utf8(f).ok()
    }
    let [name, _password, uid, gid, _gecos, home, shell] = fields;
    let (Some(name), Some(uid), Some(gid), Some(home), Some(shell)) =
        (text(name), text(uid), text(gid), text(home), text(shell))
    else {
        return fail(NOT_UTF8.to_string());
    };
    Some(entry(line, [name, uid, gid, home, shell]).map_err(|message| LineError { line, message }))
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
        // At most 7 fields are kept (passwd's), counted all the same: no allocation per line.
        let mut parts: [&str; 7] = [""; 7];
        let mut found = 0;
        for part in super::split_ascii(trimmed, b':') {
            if let Some(slot) = parts.get_mut(found) {
                *slot = part;
            }
            found += 1;
        }
        let result = if found == fields && fields <= parts.len() {
            build(line, &parts[..fields])
        } else {
            Err(format!(
                "expected {fields} colon-separated fields, found {found}"
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
    fn regression_a_latin1_comment_in_passwd_is_a_comment() {
        // `# J\xf6rg's accounts` was reported as a line skipped for its encoding (and made subid.passwd_overlap warn
        // that an account was not compared); a comment holds no account, in any encoding.
        let p = parse_passwd_bytes(
            b"# J\xf6rg's accounts\n+j\xf6rg\nalice:x:1000:1000::/home/alice:/bin/sh\n",
        );
        assert!(p.skipped.is_empty(), "{:?}", p.skipped);
        assert_eq!(p.entries.len(), 1);
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
        fn find_account_is_the_first_parsed_match(
            bytes in prop::collection::vec(prop::sample::select(b"ab0129:x/\n #+-\xf6".to_vec()), 0..300),
            name in "[ab]{1,2}",
            uid in 0u32..30,
        ) {
            let all = parse_passwd_bytes(&bytes);
            let by_name = find_account(&bytes, |n, _| n == name.as_bytes());
            prop_assert_eq!(by_name.as_ref(), all.iter().find(|e| e.name == name));
            let by_uid = find_account(&bytes, |_, u| u == Some(uid));
            prop_assert_eq!(by_uid.as_ref(), all.iter().find(|e| e.uid == uid));
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
