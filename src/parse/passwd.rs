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

use serde::{Serialize, Serializer};

use crate::parse::LineError;

/// One account from `/etc/passwd`, borrowed from the file's bytes (see [`Passwd`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PasswdEntry<'a> {
    pub line: usize,
    pub name: &'a str,
    pub uid: u32,
    pub gid: u32,
    pub home: &'a str,
    pub shell: &'a str,
}

/// One group from `/etc/group`, borrowed from the file's text (see [`Groups`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct GroupEntry<'a> {
    pub line: usize,
    pub name: &'a str,
    pub gid: u32,
    pub members: Members<'a>,
}

/// A group's member list as written (`alice, bob`): each name trimmed, empty ones left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Members<'a>(&'a str);

impl<'a> Members<'a> {
    pub fn iter(&self) -> impl Iterator<Item = &'a str> + use<'a> {
        super::split_ascii(self.0, b',')
            .map(str::trim_ascii)
            .filter(|m| !m.is_empty())
    }

    pub fn contains(&self, name: &str) -> bool {
        self.iter().any(|m| m == name)
    }

    pub fn to_vec(&self) -> Vec<&'a str> {
        self.iter().collect()
    }
}

impl Serialize for Members<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

/// Parses the text of `/etc/passwd`: the reference reading, line by line through [`parse_records`], which
/// [`Passwd::parse`] (the product's, over bytes) is held to by a property test.
pub fn parse_passwd(text: &str) -> (Vec<PasswdEntry<'_>>, Vec<LineError>) {
    parse_records(text, 7, |line, fields| {
        let [name, _password, uid, gid, _gecos, home, shell] = fields else {
            return Err("expected 7 colon-separated fields".to_string());
        };
        entry(line, [name, uid, gid, home, shell])
    })
}

/// An account from its name, UID, GID, home and shell fields.
fn entry<'a>(
    line: usize,
    [name, uid, gid, home, shell]: [&'a str; 5],
) -> Result<PasswdEntry<'a>, String> {
    Ok(PasswdEntry {
        line,
        name: name_field(name)?,
        uid: id_field(uid, "uid")?,
        gid: id_field(gid, "gid")?,
        home,
        shell,
    })
}

/// Where one record lies in its file (the trimmed line, whose fields an entry splits again), with its ids read
/// once (an account's uid and gid, a group's gid twice): 20 bytes, no allocation, so a database of ten thousand
/// accounts is one pass and one small vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Row {
    line: u32,
    start: u32,
    end: u32,
    id: u32,
    gid: u32,
}

/// What a [`Table`] holds: how a row's line becomes an entry.
pub trait Records {
    type Entry<'a>;
    /// The entry of `row`, whose trimmed line is `line` (a line the parse accepted).
    fn entry<'a>(row: &Row, line: &'a [u8]) -> Self::Entry<'a>;
}

/// A file of colon-separated records read once: the file, a [`Row`] per record, and the lines that were skipped
/// (malformed, or not UTF-8 where it matters), each with its 1-based line number. The entries are borrowed from the
/// file ([`Table::iter`], [`Table::get`]), so reading it allocates nothing per record (a skipped line's reason is
/// a string). Offsets are u32: a file of more than 4 GiB is not one this reads (the host reads at most 64 MiB).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table<R> {
    bytes: Vec<u8>,
    rows: Vec<Row>,
    pub skipped: Vec<LineError>,
    records: std::marker::PhantomData<R>,
}

/// `/etc/passwd`'s accounts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Accounts;

/// `/etc/group`'s groups.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GroupRecords;

/// `/etc/passwd` read as bytes (see [`Table::<Accounts>::parse`]).
pub type Passwd = Table<Accounts>;

/// `/etc/group` (see [`Table::<GroupRecords>::parse`]).
pub type Groups = Table<GroupRecords>;

impl Records for Accounts {
    type Entry<'a> = PasswdEntry<'a>;
    fn entry<'a>(r: &Row, line: &'a [u8]) -> PasswdEntry<'a> {
        // A row's line has exactly six colons (the parse checked it).
        let (c, _) = super::colons_of::<6>(line);
        PasswdEntry {
            line: r.line as usize,
            name: text(line, 0, c[0]),
            uid: r.id,
            gid: r.gid,
            home: text(line, c[4] + 1, c[5]),
            shell: text(line, c[5] + 1, line.len()),
        }
    }
}

impl Records for GroupRecords {
    type Entry<'a> = GroupEntry<'a>;
    fn entry<'a>(r: &Row, line: &'a [u8]) -> GroupEntry<'a> {
        // A row's line has exactly three colons (the parse checked it).
        let (c, _) = super::colons_of::<3>(line);
        GroupEntry {
            line: r.line as usize,
            name: text(line, 0, c[0]),
            gid: r.id,
            members: Members(text(line, c[2] + 1, line.len())),
        }
    }
}

impl<R: Records> Table<R> {
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The `i`th entry, in file order.
    pub fn get(&self, i: usize) -> Option<R::Entry<'_>> {
        self.rows.get(i).map(|r| R::entry(r, self.line(r)))
    }

    /// The entries, in file order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = R::Entry<'_>> + '_ {
        self.rows.iter().map(|r| R::entry(r, self.line(r)))
    }

    /// The entries' ids (an account's uid, a group's gid), in file order, without reading their names.
    pub fn ids(&self) -> impl ExactSizeIterator<Item = u32> + '_ {
        self.rows.iter().map(|r| r.id)
    }

    /// The entries' names (the first field), in file order.
    pub fn names(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.rows.iter().map(|r| {
            let line = self.line(r);
            text(
                line,
                0,
                super::scan::find_byte(b':', line).unwrap_or_default(),
            )
        })
    }

    /// A row's trimmed line.
    fn line(&self, r: &Row) -> &[u8] {
        self.bytes
            .get(r.start as usize..r.end as usize)
            .unwrap_or_default()
    }

    /// The table of `bytes`, reading each line with `fields` (the line, the offsets of its first colons, how many it
    /// has): `None` for a line that holds no record, else the trimmed line's place in the line and the two ids, or
    /// why the line is skipped.
    fn read<const N: usize>(
        bytes: Vec<u8>,
        fields: impl Fn(&[u8], &[usize], usize) -> Option<Result<(usize, usize, u32, u32), String>>,
    ) -> Table<R> {
        // One row per line at most: sized once, never grown (and copied) line by line.
        let mut rows = Vec::with_capacity(super::scan::count_byte(b'\n', &bytes) + 1);
        let mut skipped = Vec::new();
        super::lines_with_colons::<N>(&bytes, |index, place, colons, count| {
            let at = place.start;
            let raw = bytes.get(place).unwrap_or_default();
            match fields(raw, colons, count) {
                Some(Ok((start, end, id, gid))) => {
                    // A file is at most `READ_MAX` (64 MiB) bytes, so every offset and line number fits in a u32.
                    let off = |i: usize| u32::try_from(at + i).unwrap_or(u32::MAX);
                    rows.push(Row {
                        line: u32::try_from(index).unwrap_or(u32::MAX),
                        start: off(start),
                        end: off(end),
                        id,
                        gid,
                    })
                }
                Some(Err(message)) => skipped.push(LineError {
                    line: index,
                    message,
                }),
                None => {}
            }
        });
        Table {
            bytes,
            rows,
            skipped,
            records: std::marker::PhantomData,
        }
    }
}

impl Table<Accounts> {
    /// Parses `/etc/passwd` as the bytes it is. The password and GECOS fields are never used, so their encoding
    /// does not matter (a Latin-1 full name is read like any other line); a line whose name, UID, GID, home or
    /// shell is not UTF-8 is skipped and reported with its line number, and the rest of the file is read. It reads
    /// the same as [`parse_passwd`] where the file is UTF-8 (a property test holds it).
    pub fn parse(bytes: Vec<u8>) -> Passwd {
        // One check of the whole file spares each line's fields theirs (the usual, ASCII, case).
        let ascii = bytes.is_ascii();
        Table::read::<6>(bytes, |raw, colons, count| {
            Some(passwd_fields(raw, ascii, colons, count)?.map(|f| (f.start, f.end, f.uid, f.gid)))
        })
    }
}

/// An account on a line [`Passwd::parse`] skipped because its name, home or shell is not UTF-8, which glibc and
/// shadow read all the same (they read bytes): the fields as text with the bytes that are not UTF-8 replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnreadAccount {
    pub line: usize,
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    pub home: String,
    pub shell: String,
}

impl Table<Accounts> {
    /// The accounts of the lines skipped for their encoding, in file order; a line skipped for another reason (too
    /// few fields, an id that is no number) holds no account for glibc either.
    pub fn unread_accounts(&self) -> Vec<UnreadAccount> {
        let mut wanted = self
            .skipped
            .iter()
            .filter(|e| e.message == NOT_UTF8)
            .map(|e| e.line)
            .peekable();
        if wanted.peek().is_none() {
            return Vec::new();
        }
        let lossy = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        let mut found = Vec::new();
        for (index, raw) in self.bytes.split(|b| *b == b'\n').enumerate() {
            let Some(&line) = wanted.peek() else { break };
            if index + 1 != line {
                continue;
            }
            wanted.next();
            let fields: Vec<&[u8]> = raw.trim_ascii().split(|b| *b == b':').collect();
            if let [name, _, uid, gid, _, home, shell, ..] = fields[..]
                && let (Ok(uid), Ok(gid)) = (id_value(uid), id_value(gid))
            {
                found.push(UnreadAccount {
                    line,
                    name: lossy(name),
                    uid,
                    gid,
                    home: lossy(home),
                    shell: lossy(shell),
                });
            }
        }
        found
    }
}

impl Table<GroupRecords> {
    /// Parses the text of `/etc/group` as [`parse_group`] does, in one pass that allocates nothing per record (a
    /// newline at the very end starts no line for `str::lines`; the empty line the pass sees there holds no group).
    pub fn parse(text: String) -> Groups {
        Table::read::<3>(text.into_bytes(), |raw, colons, count| {
            Some(group_fields(raw, colons, count)?.map(|(start, end, gid)| (start, end, gid, gid)))
        })
    }
}

/// A field of `line` the parse found to be UTF-8 (so the empty fallback is never taken).
fn text(line: &[u8], from: usize, to: usize) -> &str {
    line.get(from..to)
        .and_then(|b| std::str::from_utf8(b).ok())
        .unwrap_or_default()
}

/// [`Passwd::parse`] over borrowed bytes (a copy of them is kept).
pub fn parse_passwd_bytes(bytes: &[u8]) -> Passwd {
    Passwd::parse(bytes.to_vec())
}

/// The first account of `bytes` (an /etc/passwd) for which `wanted(name, uid)` holds, read as
/// [`Passwd::parse`] reads it; only a candidate's line is decoded in full, so a lookup in a database of ten
/// thousand accounts allocates nothing for the others.
pub fn find_account(
    bytes: &[u8],
    wanted: impl Fn(&[u8], Option<u32>) -> bool,
) -> Option<PasswdEntry<'_>> {
    bytes
        .split(|b| *b == b'\n')
        .enumerate()
        .find_map(|(index, raw)| account_in_line(index + 1, raw, &wanted))
}

/// [`find_account`] on one line (`line` its 1-based number, `raw` its bytes without the newline): the account it
/// holds when `wanted(name, uid)` picks it, for a reader that goes through the file line by line.
pub fn account_in_line(
    line: usize,
    raw: &[u8],
    wanted: impl Fn(&[u8], Option<u32>) -> bool,
) -> Option<PasswdEntry<'_>> {
    let mut fields = raw.trim_ascii().split(|b| *b == b':');
    let name = fields.next().unwrap_or_default();
    let uid = fields.nth(1).and_then(|u| id_value(u).ok());
    if !wanted(name, uid) {
        return None;
    }
    let (colons, count) = super::colons_of::<6>(raw);
    let f = passwd_fields(raw, false, &colons[..count.min(6)], count)?.ok()?;
    let text = |from: usize, to: usize| {
        raw.get(from..to)
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or_default()
    };
    Some(PasswdEntry {
        line,
        name: text(f.start, f.name_end),
        uid: f.uid,
        gid: f.gid,
        home: text(f.home_start, f.home_end),
        shell: text(f.home_end + 1, f.end),
    })
}

const NOT_UTF8: &str = "not valid UTF-8 in the name, UID, GID, home or shell: the line is skipped";

/// Where a line's fields lie (offsets into the line as given) and its ids.
struct Fields {
    start: usize,
    name_end: usize,
    home_start: usize,
    home_end: usize,
    end: usize,
    uid: u32,
    gid: u32,
}

/// One line of /etc/passwd (`raw`, its bytes without the newline): `None` for a line that holds no local account
/// (blank, a `#` comment, a NIS `+`/`-` entry), whatever its encoding: glibc's files module skips such a line by
/// its first byte. `ascii` says the caller knows the line is ASCII (no field needs checking for UTF-8). `found` are
/// the offsets in `raw` of its first colons (up to six), and `count` how many it has.
fn passwd_fields(
    raw: &[u8],
    ascii: bool,
    found: &[usize],
    count: usize,
) -> Option<Result<Fields, String>> {
    let trimmed = raw.trim_ascii();
    if matches!(trimmed.first(), None | Some(b'#' | b'+' | b'-')) {
        return None;
    }
    let start = raw.len() - raw.trim_ascii_start().len();
    let end = start + trimmed.len();
    // The colons' offsets in `trimmed` (the blanks trimmed hold none); a line of 7 fields has 6.
    let mut colons = [0usize; 6];
    for (slot, c) in colons.iter_mut().zip(found) {
        *slot = c - start;
    }
    let utf8 = |f: &[u8]| ascii || std::str::from_utf8(f).is_ok();
    if count != 6 {
        if !utf8(trimmed) {
            return Some(Err(NOT_UTF8.to_string()));
        }
        return Some(Err(format!(
            "expected 7 colon-separated fields, found {}",
            count + 1
        )));
    }
    let field = |k: usize| {
        let from = if k == 0 { 0 } else { colons[k - 1] + 1 };
        let to = colons.get(k).copied().unwrap_or(trimmed.len());
        &trimmed[from..to]
    };
    let [name, uid, gid, home, shell] = [field(0), field(2), field(3), field(5), field(6)];
    if ![name, uid, gid, home, shell].into_iter().all(utf8) {
        return Some(Err(NOT_UTF8.to_string()));
    }
    let checked = || -> Result<(u32, u32), String> {
        if name.is_empty() {
            return Err("empty name".to_string());
        }
        let id = |f: &[u8], what: &str| {
            id_value(f).map_err(|e| {
                // Shown as `id_field` shows it: the field is UTF-8 here.
                let text = String::from_utf8_lossy(f);
                id_error(&text, what, e)
            })
        };
        Ok((id(uid, "uid")?, id(gid, "gid")?))
    };
    Some(checked().map(|(uid, gid)| Fields {
        start,
        name_end: start + colons[0],
        home_start: start + colons[4] + 1,
        home_end: start + colons[5],
        end,
        uid,
        gid,
    }))
}

/// Why an id field is not an id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IdError {
    NotANumber,
    OutOfRange,
}

/// An id field's value in one pass: ASCII digits only (no sign, no blank), at most `u32::MAX`; leading zeros
/// are read as `str::parse` reads them.
fn id_value(field: &[u8]) -> Result<u32, IdError> {
    if field.is_empty() {
        return Err(IdError::NotANumber);
    }
    let mut value: Option<u32> = Some(0);
    for &b in field {
        if !b.is_ascii_digit() {
            return Err(IdError::NotANumber);
        }
        value = value
            .and_then(|v| v.checked_mul(10))
            .and_then(|v| v.checked_add(u32::from(b - b'0')));
    }
    value.ok_or(IdError::OutOfRange)
}

fn id_error(field: &str, what: &str, e: IdError) -> String {
    match e {
        IdError::NotANumber => {
            let shown: String = field.chars().take(40).collect();
            format!("{what} {shown:?} is not a number")
        }
        IdError::OutOfRange => format!("{what} {field:?} is out of range"),
    }
}

/// One line of /etc/group (without its newline; `found` the offsets of its first colons, `count` how many): the
/// trimmed line's start and end, and the gid; `None` for a line that holds no group. Reads as [`parse_group`] reads
/// it.
fn group_fields(
    raw: &[u8],
    found: &[usize],
    count: usize,
) -> Option<Result<(usize, usize, u32), String>> {
    let trimmed = raw.trim_ascii();
    if matches!(trimmed.first(), None | Some(b'#' | b'+' | b'-')) {
        return None;
    }
    let start = raw.len() - raw.trim_ascii_start().len();
    let mut colons = [0usize; 3];
    for (slot, c) in colons.iter_mut().zip(found) {
        *slot = c - start;
    }
    if count != 3 {
        return Some(Err(format!(
            "expected 4 colon-separated fields, found {}",
            count + 1
        )));
    }
    if colons[0] == 0 {
        return Some(Err("empty name".to_string()));
    }
    let gid = &trimmed[colons[1] + 1..colons[2]];
    let gid = match id_value(gid) {
        Ok(gid) => gid,
        Err(e) => return Some(Err(id_error(&String::from_utf8_lossy(gid), "gid", e))),
    };
    Some(Ok((start, start + trimmed.len(), gid)))
}

/// Parses the text of `/etc/group`: the reference reading, which [`Groups::parse`] is held to by a property test.
pub fn parse_group(text: &str) -> (Vec<GroupEntry<'_>>, Vec<LineError>) {
    parse_records(text, 4, |line, fields| {
        let [name, _password, gid, members] = fields else {
            return Err("expected 4 colon-separated fields".to_string());
        };
        Ok(GroupEntry {
            line,
            name: name_field(name)?,
            gid: id_field(gid, "gid")?,
            members: Members(members),
        })
    })
}

/// Splits every meaningful line into exactly `fields` colon-separated fields and hands them to
/// `build`, which destructures them by pattern so that no index can be out of bounds.
fn parse_records<'a, T>(
    text: &'a str,
    fields: usize,
    build: impl Fn(usize, &[&'a str]) -> Result<T, String>,
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

fn name_field(field: &str) -> Result<&str, String> {
    if field.is_empty() {
        Err("empty name".to_string())
    } else {
        Ok(field)
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
                name: "alice",
                uid: 1000,
                gid: 1000,
                home: "/home/alice",
                shell: "/bin/bash",
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
        assert_eq!(entries[1].members.to_vec(), ["alice", "bob"]);
        assert!(entries[0].members.to_vec().is_empty());
        assert!(entries[2].members.contains("alice") && !entries[2].members.contains("alic"));
        let indexed = Groups::parse(GROUP.to_string());
        assert_eq!(indexed.iter().collect::<Vec<_>>(), entries);
        assert_eq!(indexed.ids().collect::<Vec<_>>(), [0, 27, 988, 100]);
        assert_eq!(indexed.names().nth(2), Some("docker"));
        assert_eq!(indexed.get(3).map(|g| g.line), Some(5));
        assert_eq!(indexed.get(4), None);
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
        assert_eq!(p.len(), 1);
    }

    #[test]
    fn regression_passwd_non_utf8_gecos() {
        // bob's full name in Latin-1 ("Böb"), carol's home in Latin-1: alice and the rest are read all the same.
        let bytes =
            b"root:x:0:0:root:/root:/bin/bash\nbob:x:1001:1001:B\xf6b,,,:/home/bob:/bin/bash\n\
carol:x:1002:1002::/home/j\xf6rg:/bin/sh\nalice:x:1000:1000:Alice:/home/alice:/bin/bash\n";
        let p = parse_passwd_bytes(bytes);
        let names: Vec<&str> = p.iter().map(|e| e.name).collect();
        assert_eq!(names, ["root", "bob", "alice"]);
        assert_eq!(p.get(1).map(|e| e.home), Some("/home/bob"));
        assert_eq!(p.get(2).map(|e| e.line), Some(4));
        assert_eq!(p.ids().collect::<Vec<_>>(), [0, 1001, 1000]);
        assert_eq!(p.names().collect::<Vec<_>>(), names);
        assert_eq!(p.skipped.len(), 1);
        assert_eq!(p.skipped[0].line, 3);
        assert!(p.skipped[0].message.contains("not valid UTF-8"));
        // carol is still an account, to glibc: her line's fields, the Latin-1 byte replaced.
        assert_eq!(
            p.unread_accounts(),
            [UnreadAccount {
                line: 3,
                name: "carol".into(),
                uid: 1002,
                gid: 1002,
                home: "/home/j\u{fffd}rg".into(),
                shell: "/bin/sh".into(),
            }]
        );
        // UTF-8 text reads exactly as parse_passwd reads it.
        let utf8 = parse_passwd_bytes(PASSWD.as_bytes());
        assert_eq!(utf8.iter().collect::<Vec<_>>(), parse_passwd(PASSWD).0);
        assert!(utf8.skipped.is_empty());
    }

    proptest! {
        #[test]
        fn bytes_never_panic_and_keep_line_numbers(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
            let p = parse_passwd_bytes(&bytes);
            let lines = bytes.split(|b| *b == b'\n').count();
            for e in p.iter() {
                prop_assert!(e.line >= 1 && e.line <= lines);
            }
            for e in &p.skipped {
                prop_assert!(e.line >= 1 && e.line <= lines);
            }
            // Each account of a line skipped for its encoding is that line's, in file order.
            let unread = p.unread_accounts();
            for u in &unread {
                prop_assert!(p.skipped.iter().any(|e| e.line == u.line && e.message == NOT_UTF8));
            }
            prop_assert!(unread.windows(2).all(|w| w[0].line < w[1].line));
        }

        /// A line whose home is not UTF-8 is skipped and given back as an unread account, wherever it is.
        #[test]
        fn a_home_not_utf8_is_an_unread_account(
            before in prop::collection::vec("[a-z]{1,8}", 0..5),
            uid in 1000u32..60000,
            after in prop::collection::vec("[a-z]{1,8}", 0..5),
        ) {
            let mut text = Vec::new();
            for (i, n) in before.iter().enumerate() {
                text.extend(format!("b{n}:x:{i}:{i}::/home/{n}:/bin/sh\n").bytes());
            }
            text.extend(format!("odd:x:{uid}:{uid}::/home/").bytes());
            text.push(0xf6);
            text.extend(b":/bin/bash\n");
            for (i, n) in after.iter().enumerate() {
                text.extend(format!("a{n}:x:{i}:{i}::/home/{n}:/bin/sh\n").bytes());
            }
            let p = parse_passwd_bytes(&text);
            let unread = p.unread_accounts();
            prop_assert_eq!(unread.len(), 1);
            prop_assert_eq!(unread[0].line, before.len() + 1);
            prop_assert_eq!(&unread[0].name, "odd");
            prop_assert_eq!(unread[0].uid, uid);
            prop_assert_eq!(&unread[0].shell, "/bin/bash");
        }

        #[test]
        fn utf8_bytes_parse_as_text(text in "([a-z0-9:/,\n ]|\\PC){0,200}") {
            let p = parse_passwd_bytes(text.as_bytes());
            let (entries, errors) = parse_passwd(&text);
            prop_assert_eq!(p.iter().collect::<Vec<_>>(), entries);
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
            prop_assert_eq!(by_name, all.iter().find(|e| e.name == name));
            let by_uid = find_account(&bytes, |_, u| u == Some(uid));
            prop_assert_eq!(by_uid, all.iter().find(|e| e.uid == uid));
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
        fn groups_parse_as_parse_group(text in "([a-z0-9:, #+\\-\r\n]|\\PC){0,300}") {
            let (entries, errors) = parse_group(&text);
            let groups = Groups::parse(text.clone());
            prop_assert_eq!(groups.iter().collect::<Vec<_>>(), entries);
            prop_assert_eq!(groups.skipped, errors);
        }

        #[test]
        fn id_value_is_id_field(field in "[0-9a+ -]{0,12}|[0-9]{9,12}") {
            let ours = id_value(field.as_bytes()).map_err(|e| id_error(&field, "uid", e));
            prop_assert_eq!(ours, id_field(&field, "uid"));
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
