//! `/etc/subuid` and `/etc/subgid` as shadow reads them (subuid(5), subgid(5)), and as RootlessKit's static parser
//! reads them.
//!
//! shadow (`lib/commonio.c`, `lib/subordinateio.c`, `lib/getulong.c` at tag 4.13; the same rules in 4.17 save the
//! sign) reads a line up to its `\n` and trims nothing. A line is `owner:start:count`: the first three
//! `:`-separated fields, each non-empty; anything after a third `:` is ignored. The numbers are read by
//! `strtoul(…, 0)`: leading blanks and a sign are allowed, `0x` means hex and a leading `0` octal, and nothing may
//! follow the digits. A line that does not parse, that is 1,024 bytes or longer, or that starts with `+` or `-`
//! (a NIS entry) is ignored, never an error: whoever it was meant for has no range. [`parse`] returns exactly the
//! lines shadow uses, and names each line it ignores, with the reason, as an error.
//!
//! RootlessKit reads the files itself only when `getsubids` is missing or finds nothing (`--subid-source=auto`,
//! `pkg/parent/idtools/idtools.go`, unchanged from v1.1.0 to v3.0.1): every line trimmed, blank and `#` lines
//! skipped, **every** other line must have exactly three fields, and the lines of the user (by uid or name) are
//! read with Go's `strconv.Atoi` (decimal). [`rootlesskit_static`] is that reading, with its error messages.

use serde::Serialize;

use crate::parse::LineError;

/// The highest id a range may reach, exclusive: `(uid_t)-1` is reserved as "no id", so a valid
/// range ends at or below 4294967295.
pub const ID_LIMIT: u64 = 4_294_967_295;

/// shadow's `subordinate_parse` copies a line into a 1,024-byte buffer and ignores a longer one.
pub const SHADOW_LINE_MAX: usize = 1023;

/// Go's `bufio.Scanner` buffer (`bufio.MaxScanTokenSize`, 64 KiB): a line must fit in it with its newline, so one of
/// this many bytes or more stops the scan with `ErrTooLong` (`Scan` refuses to grow a full buffer at this size).
const GO_SCANNER_MAX: usize = 64 * 1024;

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
        self.owner == name || is_decimal_of(&self.owner, uid)
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

/// Parses the text of a subuid or subgid file as shadow's newuidmap, newgidmap and getsubids read it.
///
/// Returns the lines shadow uses, and one error (1-based line, the reason) for each line it ignores or that grants
/// no usable id (a count of 0, a range past the highest id). Blank lines and lines starting with `#` are neither:
/// shadow ignores them too (a `#` line of three fields is read with an owner `#…`, which no account can have).
pub fn parse(text: &str) -> (Vec<SubidEntry>, Vec<LineError>) {
    let Spans {
        entries: spans,
        errors,
        ..
    } = parse_spans(text);
    let entries = spans
        .iter()
        .map(|s| SubidEntry {
            line: s.line as usize,
            owner: text
                .get(s.owner_start as usize..s.owner_end as usize)
                .unwrap_or_default()
                .to_owned(),
            start: s.start(),
            count: s.count(),
        })
        .collect();
    (entries, errors)
}

/// A line shadow uses, as [`parse`] reads it, with its owner as a place in the text rather than a copy (a fleet's
/// files hold a line per account), and whether RootlessKit's static parser reads the line alike ([`reads_alike`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntrySpan {
    pub line: u32,
    pub owner_start: u32,
    pub owner_end: u32,
    /// The range; shadow's lines end at or below the highest id, so both fit in a u32 (24 bytes a line, not 32).
    pub start: u32,
    pub count: u32,
    pub alike: bool,
}

impl EntrySpan {
    pub fn start(&self) -> u64 {
        u64::from(self.start)
    }

    pub fn count(&self) -> u64 {
        u64::from(self.count)
    }

    /// The first id after the range.
    pub fn end(&self) -> u64 {
        self.start() + self.count()
    }
}

/// What [`parse_spans`] finds in a file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Spans {
    /// The lines shadow uses, in file order.
    pub entries: Vec<EntrySpan>,
    /// The lines it ignores, with the reason (as [`parse`] names them).
    pub errors: Vec<LineError>,
    /// Every line is one shadow uses that [`reads_alike`], or one both readers skip (blank, or a `#` comment that
    /// fits Go's scanner buffer): RootlessKit's static parser then reads the file as the entries say.
    pub alike: bool,
}

/// [`parse`] without a copy of any owner: one pass over the text (of at most 4 GiB: offsets are u32, and the host
/// reads at most 64 MiB).
pub fn parse_spans(text: &str) -> Spans {
    let mut alike = true;
    // One entry per line at most: sized once, never grown (and copied) line by line.
    let mut entries = Vec::with_capacity(super::scan::count_byte(b'\n', text.as_bytes()) + 1);
    let mut errors = Vec::new();
    super::lines_with_colons::<3>(text.as_bytes(), |line, place, colons, count| {
        let at = place.start;
        let raw = text.get(place).unwrap_or_default();
        // The usual line, `alice:100000:65536`, in one pass; any other through shadow's whole reading.
        let parsed = match plain_line(raw.as_bytes(), colons, count) {
            Some((owner_len, start, count)) => Some(Ok((owner_len, start, count, true))),
            None if raw.trim_ascii().is_empty() || raw.trim_ascii_start().starts_with('#') => {
                alike &= raw.len() < GO_SCANNER_MAX;
                None
            }
            None => {
                alike = false;
                Some(parse_line(raw))
            }
        };
        if let Some(parsed) = parsed {
            match parsed {
                Ok((owner_len, start, count, alike)) => {
                    // A file is at most 64 MiB, so offsets and line numbers fit in a u32.
                    let off = |i: usize| u32::try_from(i).unwrap_or(u32::MAX);
                    entries.push(EntrySpan {
                        line: off(line),
                        owner_start: off(at),
                        owner_end: off(at + owner_len),
                        // shadow's ranges end at or below `ID_LIMIT` (`u32::MAX`): neither number is clamped.
                        start: u32::try_from(start).unwrap_or(u32::MAX),
                        count: u32::try_from(count).unwrap_or(u32::MAX),
                        alike,
                    });
                }
                Err(message) => errors.push(LineError { line, message }),
            }
        }
    });
    Spans {
        entries,
        errors,
        alike,
    }
}

/// [`parse_line`]'s answer for the usual line, found in one pass, or `None` for any other: `owner:N:N` of at most
/// [`SHADOW_LINE_MAX`] bytes, whose owner starts with none of `#`, `+`, `-` or a blank, both numbers
/// [`plain_decimal`], a count of at least 1 and a range below the highest id. Such a line [`reads_alike`].
/// `colons` are the offsets of the line's first colons and `count` how many it has.
fn plain_line(raw: &[u8], colons: &[usize], count: usize) -> Option<(usize, u64, u64)> {
    let first = *raw.first()?;
    if raw.len() > SHADOW_LINE_MAX
        || !first.is_ascii()
        || c_space(first)
        || matches!(first, b'#' | b'+' | b'-')
        || count != 2
    {
        return None;
    }
    let (&a, &c) = (colons.first()?, colons.get(1)?);
    let start = plain_decimal(raw.get(a + 1..c)?)?;
    let count = plain_decimal(raw.get(c + 1..)?)?;
    (a > 0 && count > 0 && start + count <= ID_LIMIT).then_some((a, start, count))
}

/// Whether `text` is `id` written in decimal the way `id.to_string()` writes it (no sign, no leading zero), without
/// allocating: a fleet's subid files are compared with a user's uid line by line.
pub fn is_decimal_of(text: &str, id: u32) -> bool {
    let b = text.as_bytes();
    !b.is_empty()
        && b.len() <= 10
        && b.iter().all(u8::is_ascii_digit)
        && (b.len() == 1 || b[0] != b'0')
        && text.parse::<u32>() == Ok(id)
}

/// Renders entries in the file's own `owner:start:count` syntax, one per line.
pub fn render(entries: &[SubidEntry]) -> String {
    let mut out = String::new();
    for e in entries {
        out.push_str(&format!("{}:{}:{}\n", e.owner, e.start, e.count));
    }
    out
}

/// shadow's `subordinate_parse` on one line (without its `\n`), then the doctor's own demand that the range
/// grants ids: shadow reads `alice:100000:0`, but no mapping can use it.
/// The owner's length (it starts the line), the start and the count, and whether the line [`reads_alike`].
fn parse_line(text: &str) -> Result<(usize, u64, u64, bool), String> {
    let ignored = "shadow ignores the line";
    if text.len() > SHADOW_LINE_MAX {
        return Err(format!(
            "a line of {} bytes: {ignored} (it reads lines of at most {SHADOW_LINE_MAX} bytes)",
            text.len()
        ));
    }
    if text.starts_with(['+', '-']) {
        return Err(format!(
            "starts with {:?}, a NIS entry: {ignored}",
            &text[..1]
        ));
    }
    let mut fields = super::split_ascii(text, b':');
    let (Some(owner), Some(start_field), Some(count_field)) =
        (fields.next(), fields.next(), fields.next())
    else {
        return Err(format!(
            "expected 3 colon-separated fields (owner:start:count), found {}: {ignored}",
            super::split_ascii(text, b':').count()
        ));
    };
    if owner.is_empty() {
        return Err(format!("empty owner: {ignored}"));
    }
    let start = shadow_number(start_field, "start").map_err(|e| format!("{e}: {ignored}"))?;
    let count = shadow_number(count_field, "count").map_err(|e| format!("{e}: {ignored}"))?;
    if count == 0 {
        return Err("count must be at least 1 (a range of 0 ids grants nothing)".to_string());
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
    // As `reads_alike` decides it, from the fields already split: nothing after the count, a first byte Go's
    // `TrimSpace` keeps and shadow reads as an owner's, both numbers plain.
    let first = owner.as_bytes().first().copied().unwrap_or(b' ');
    let alike = fields.next().is_none()
        && first.is_ascii()
        && !c_space(first)
        && first != b'#'
        && plain_decimal(start_field.as_bytes()).is_some()
        && plain_decimal(count_field.as_bytes()).is_some();
    Ok((owner.len(), start, count, alike))
}

/// The C locale's `isspace`, which `strtoul` skips before the number.
fn c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

/// shadow's `getulong`: `strtoul(field, &end, 0)` on a 64-bit `unsigned long`, refusing an empty field, anything
/// after the digits, and `ERANGE`. A leading `-` negates modulo 2^64, as glibc's `strtoul` does (shadow 4.13;
/// 4.17's `a2ul` refuses it, and either way the value is past the highest id).
pub fn shadow_number(field: &str, what: &str) -> Result<u64, String> {
    match plain_decimal(field.as_bytes()) {
        Some(value) => Ok(value),
        None => strtoul_number(field, what),
    }
}

/// [`shadow_number`] for every field, the plain ones too.
fn strtoul_number(field: &str, what: &str) -> Result<u64, String> {
    let bytes = field.as_bytes();
    let mut i = 0;
    while i < bytes.len() && c_space(bytes[i]) {
        i += 1;
    }
    let negative = match bytes.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let hex = bytes.get(i) == Some(&b'0')
        && matches!(bytes.get(i + 1), Some(b'x' | b'X'))
        && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit);
    let (radix, digits_from) = if hex {
        (16, i + 2)
    } else if bytes.get(i) == Some(&b'0') {
        (8, i)
    } else {
        (10, i)
    };
    let mut end = digits_from;
    while end < bytes.len() && char::from(bytes[end]).is_digit(radix) {
        end += 1;
    }
    let reading = match radix {
        16 => "hexadecimal",
        8 => "octal",
        _ => "decimal",
    };
    if end == digits_from {
        return Err(format!("{what} {field:?} is not a number"));
    }
    if end < bytes.len() {
        let rest = &field[end..];
        let why = if rest.bytes().all(c_space) {
            "shadow trims nothing after a number".to_string()
        } else if radix == 8 && rest.starts_with(['8', '9']) {
            "a leading 0 makes it octal, which has no digit 8 or 9".to_string()
        } else {
            format!("{rest:?} follows the {reading} digits")
        };
        return Err(format!("{what} {field:?} is not a number ({why})"));
    }
    let value = u64::from_str_radix(&field[digits_from..end], radix)
        .map_err(|_| format!("{what} {field:?} is too large"))?;
    Ok(if negative {
        value.wrapping_neg()
    } else {
        value
    })
}

/// A number as both readers read it alike: 1 to 10 ASCII digits, without a leading zero unless it is `0` (so
/// `strtoul(…, 0)` reads decimal, as Go's `Atoi` does, and no value overflows either). The common case, in one pass.
fn plain_decimal(field: &[u8]) -> Option<u64> {
    if field.is_empty() || field.len() > 10 || (field.len() > 1 && field[0] == b'0') {
        return None;
    }
    let mut value = 0u64;
    for &b in field {
        if !b.is_ascii_digit() {
            return None;
        }
        value = value * 10 + u64::from(b - b'0');
    }
    Some(value)
}

/// Whether shadow and RootlessKit's static parser read the line `raw` (without its newline) alike, decided
/// without parsing it twice: `owner:N:N` with an owner that starts with none of `#`, `+`, `-` or a blank (ASCII:
/// Go's `TrimSpace` also trims Unicode spaces), no blank at its end, and both numbers [`plain_decimal`]. Such a
/// line is one shadow reads (if it is short enough) and RootlessKit reads to the same owner and numbers.
pub fn reads_alike(raw: &str) -> bool {
    let b = raw.as_bytes();
    // The last byte is the count's last digit, so only the start can hold what Go's `TrimSpace` trims.
    let Some(&first) = b.first() else {
        return false;
    };
    if !first.is_ascii() || c_space(first) || matches!(first, b'#' | b'+' | b'-') {
        return false;
    }
    let (colons, count) = super::colons_of::<2>(b);
    let [a, c] = colons;
    if count != 2 {
        return false;
    }
    a > 0 && plain_decimal(&b[a + 1..c]).is_some() && plain_decimal(&b[c + 1..]).is_some()
}

/// How RootlessKit's static parser (`idtools.parseSubidFile`) sees one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StaticLine<'a> {
    /// Blank after trimming, or a `#` comment.
    Skipped,
    /// Not exactly three fields after trimming: fatal, whoever's line it is.
    Malformed,
    /// The trimmed line's three fields, not trimmed again.
    Fields {
        owner: &'a str,
        start: &'a str,
        count: &'a str,
    },
}

/// One line as RootlessKit's static parser sees it (`strings.TrimSpace`, then `strings.Split(text, ":")`).
pub fn static_line(raw: &str) -> StaticLine<'_> {
    let text = raw.trim();
    if text.is_empty() || text.starts_with('#') {
        return StaticLine::Skipped;
    }
    let mut fields = super::split_ascii(text, b':');
    match (fields.next(), fields.next(), fields.next(), fields.next()) {
        (Some(owner), Some(start), Some(count), None) => StaticLine::Fields {
            owner,
            start,
            count,
        },
        _ => StaticLine::Malformed,
    }
}

/// Go's `strconv.Atoi` on a 64-bit `int`, with its error text.
pub fn go_atoi(s: &str) -> Result<i64, String> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("strconv.Atoi: parsing {s:?}: invalid syntax"));
    }
    s.parse::<i64>()
        .map_err(|_| format!("strconv.Atoi: parsing {s:?}: value out of range"))
}

/// A range RootlessKit's static parser took from a line of the user's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StaticRange {
    pub line: usize,
    pub start: i64,
    pub count: i64,
}

/// RootlessKit's static parser (`idtools.parseSubidFile`, v1.1.0 to v3.0.1) over the text of `path`, for the user
/// `name` with uid `uid`: the user's ranges in file order (a range listed twice is kept twice), or its error
/// message, word for word.
pub fn rootlesskit_static(
    text: &str,
    path: &str,
    uid: u32,
    name: &str,
) -> Result<Vec<StaticRange>, String> {
    rootlesskit_static_with(text, path, uid, name, &[], false)
}

/// [`rootlesskit_static`] with `spans`, [`parse_spans`] of the same text: a line among them that [`reads_alike`] is
/// taken from its span (its owner starts the line; its numbers are Go's), without splitting it again. The answer
/// is the same (a property test holds it); a fleet's file is read once rather than twice. A file whose every line
/// reads alike (`all_alike`, [`Spans::alike`]) is answered from the entries alone.
pub fn rootlesskit_static_with(
    text: &str,
    path: &str,
    uid: u32,
    name: &str,
    spans: &[EntrySpan],
    all_alike: bool,
) -> Result<Vec<StaticRange>, String> {
    let uid = uid.to_string();
    let range = |s: &EntrySpan| StaticRange {
        line: s.line as usize,
        start: i64::from(s.start),
        count: i64::from(s.count),
    };
    let owner = |s: &EntrySpan| {
        text.get(s.owner_start as usize..s.owner_end as usize)
            .unwrap_or_default()
    };
    let is_users = |owner: &str| owner == uid || (!name.is_empty() && owner == name);
    if all_alike {
        return Ok(spans
            .iter()
            .filter(|s| is_users(owner(s)))
            .map(range)
            .collect());
    }
    let mut ranges = Vec::new();
    // bufio.Scanner's ScanLines: split at '\n', drop one '\r' before it; the last line needs no '\n'.
    let body = text.strip_suffix('\n').unwrap_or(text);
    if body.is_empty() {
        return Ok(ranges);
    }
    let mut alike = spans.iter().filter(|s| s.alike).peekable();
    for (index, raw) in super::split_ascii(body, b'\n').enumerate() {
        if raw.len() >= GO_SCANNER_MAX {
            return Err("bufio.Scanner: token too long".to_string());
        }
        let line = index + 1;
        while alike.next_if(|s| (s.line as usize) < line).is_some() {}
        if let Some(s) = alike.next_if(|s| s.line as usize == line) {
            if is_users(owner(s)) {
                ranges.push(range(s));
            }
            continue;
        }
        match static_line(raw) {
            StaticLine::Skipped => {}
            StaticLine::Malformed => {
                return Err(format!(
                    "Cannot parse subuid/gid information: Format not correct for {path} file"
                ));
            }
            StaticLine::Fields {
                owner,
                start,
                count,
            } => {
                if owner == uid || (!name.is_empty() && owner == name) {
                    let conv = |s: &str| {
                        go_atoi(s).map_err(|e| {
                            format!(
                                "String to int conversion failed during subuid/gid parsing of {path}: {e}"
                            )
                        })
                    };
                    ranges.push(StaticRange {
                        line: index + 1,
                        start: conv(start)?,
                        count: conv(count)?,
                    });
                }
            }
        }
    }
    Ok(ranges)
}

/// RootlessKit's static parser over a whole file, for every user at once: [`StaticIndex::ranges`] answers what
/// [`rootlesskit_static`] answers for one user, without reading the file again (a fleet's host asks it once per
/// account, of files with a line per account).
#[derive(Debug, Clone, Default)]
pub struct StaticIndex {
    /// The first line that stops the parse for everyone (malformed, or over the scanner's limit): its 0-based
    /// index and the error.
    fatal: Option<(usize, String)>,
    /// The three-field lines before it, by owner: (0-based index, start, count), each field as `go_atoi` reads it.
    by_owner: std::collections::HashMap<String, Vec<StaticFields>>,
}

type StaticFields = (usize, Result<i64, String>, Result<i64, String>);

impl StaticIndex {
    /// Reads `text` (the file at `path`) once.
    pub fn new(text: &str, path: &str) -> StaticIndex {
        let mut index = StaticIndex::default();
        let body = text.strip_suffix('\n').unwrap_or(text);
        if body.is_empty() {
            return index;
        }
        for (i, raw) in super::split_ascii(body, b'\n').enumerate() {
            if raw.len() >= GO_SCANNER_MAX {
                index.fatal = Some((i, "bufio.Scanner: token too long".to_string()));
                break;
            }
            match static_line(raw) {
                StaticLine::Skipped => {}
                StaticLine::Malformed => {
                    index.fatal = Some((
                        i,
                        format!(
                            "Cannot parse subuid/gid information: Format not correct for {path} file"
                        ),
                    ));
                    break;
                }
                StaticLine::Fields {
                    owner,
                    start,
                    count,
                } => {
                    let conv = |s: &str| {
                        go_atoi(s).map_err(|e| {
                            format!(
                                "String to int conversion failed during subuid/gid parsing of {path}: {e}"
                            )
                        })
                    };
                    index.by_owner.entry(owner.to_owned()).or_default().push((
                        i,
                        conv(start),
                        conv(count),
                    ));
                }
            }
        }
        index
    }

    /// What [`rootlesskit_static`] says for the user `name` with uid `uid`.
    pub fn ranges(&self, uid: u32, name: &str) -> Result<Vec<StaticRange>, String> {
        let uid = uid.to_string();
        let empty = Vec::new();
        let by_uid = self.by_owner.get(&uid).unwrap_or(&empty);
        let by_name = if name.is_empty() || name == uid {
            &empty
        } else {
            self.by_owner.get(name).unwrap_or(&empty)
        };
        // Both lists are in file order: merge them.
        let mut lines: Vec<&StaticFields> = by_uid.iter().chain(by_name).collect();
        lines.sort_unstable_by_key(|l| l.0);
        let mut ranges = Vec::with_capacity(lines.len());
        for (i, start, count) in lines {
            ranges.push(StaticRange {
                line: i + 1,
                start: start.clone()?,
                count: count.clone()?,
            });
        }
        match &self.fatal {
            Some((_, e)) => Err(e.clone()),
            None => Ok(ranges),
        }
    }
}

/// Where shadow (libsubid, newuidmap, newgidmap, getsubids) takes subordinate ids from, as shadow 4.13's `nss_init`
/// (lib/nss.c) reads /etc/nsswitch.conf: the first line that starts with `subid:` (any case, in column 0, at least 8
/// bytes with its newline) and has a value decides, and of that value only the first word: `files`, or a module
/// `libsubid_WORD.so` (a word over 50 bytes is refused and the files are used). Unlike glibc's databases there is
/// no chain: `subid: sss files` is sss alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NssSource {
    /// No such line, or `files` first.
    Files,
    /// `libsubid_NAME.so`, loaded with dlopen(3).
    Module(String),
    /// A first word longer than 50 bytes: shadow prints "Subid NSS module name too long" and uses the files.
    TooLong(String),
}

pub fn shadow_nss_source(text: &str) -> NssSource {
    // getline(3) keeps the newline; the last line may lack one.
    let mut rest = text;
    while !rest.is_empty() {
        let (line, next) = match rest.find('\n') {
            Some(i) => (&rest[..=i], &rest[i + 1..]),
            None => (rest, ""),
        };
        rest = next;
        // A NUL ends the line for strlen and strncasecmp.
        let line = line.split('\0').next().unwrap_or_default();
        if line.is_empty() || line.starts_with('#') || line.len() < 8 {
            continue;
        }
        if !line.as_bytes()[..6].eq_ignore_ascii_case(b"subid:") {
            continue;
        }
        // isspace(3) in the C locale, then strtok_r on " \n\t".
        let value = line[6..].trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
        if value.is_empty() {
            continue;
        }
        let Some(word) = value.split([' ', '\n', '\t']).find(|w| !w.is_empty()) else {
            return NssSource::Files;
        };
        return if word == "files" {
            NssSource::Files
        } else if word.len() > 50 {
            NssSource::TooLong(word.to_owned())
        } else {
            NssSource::Module(word.to_owned())
        };
    }
    NssSource::Files
}

/// RootlessKit's reading of `getsubids [-g] OWNER`'s output (`parseGetsubidsOutput` in pkg/parent/dynidtools,
/// v1.1.0 to v3.0.1): per line, trimmed, blank and `#` lines skipped, `N: OWNER START COUNT` split at `:` and at
/// blanks (more fields are only warned about), START and COUNT through Go's Atoi. Its error, word for word, ends
/// the list (RootlessKit then treats the run as failed).
pub fn rootlesskit_getsubids(stdout: &str) -> Result<Vec<(i64, i64)>, String> {
    let mut out = Vec::new();
    let body = stdout.strip_suffix('\n').unwrap_or(stdout);
    if body.is_empty() {
        return Ok(out);
    }
    for (i, raw) in body.split('\n').enumerate() {
        if raw.len() >= GO_SCANNER_MAX {
            return Err("bufio.Scanner: token too long".to_owned());
        }
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let line = go_trim_space(raw);
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let unparsable = || format!("line {}: unparsable line {line:?}", i + 1);
        let by_colon: Vec<&str> = line.split(':').collect();
        if by_colon.len() < 2 {
            return Err(unparsable());
        }
        let triplet: Vec<&str> = go_trim_space(by_colon[1])
            .split_ascii_whitespace()
            .collect();
        if triplet.len() < 3 {
            return Err(unparsable());
        }
        let atoi = |s: &str| {
            go_atoi(s).map_err(|e| {
                format!(
                    "line {}: unparsable line {line:?}: failed to Atoi({s:?}): {e}",
                    i + 1
                )
            })
        };
        out.push((atoi(triplet[1])?, atoi(triplet[2])?));
    }
    Ok(out)
}

/// Go's `strings.TrimSpace` on ASCII white space (the Unicode spaces it also trims do not occur in getsubids's
/// output, which is printf's).
fn go_trim_space(s: &str) -> &str {
    s.trim_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c'])
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The doctor took every word of `subid:` but `files` for a source, as glibc's databases chain them; shadow
    /// reads only the first word, so `subid: files sss` is the files.
    #[test]
    fn regression_nsswitch_subid_files_first_was_read_as_a_module() {
        assert_eq!(shadow_nss_source("subid: files sss\n"), NssSource::Files);
    }

    #[test]
    fn shadow_reads_only_the_first_word_of_the_first_subid_line() {
        let src = shadow_nss_source;
        assert_eq!(src("passwd: files\n"), NssSource::Files);
        assert_eq!(src("subid: sss\n"), NssSource::Module("sss".into()));
        assert_eq!(src("SUBID:\tsss files\n"), NssSource::Module("sss".into()));
        assert_eq!(src("subid: files sss\n"), NssSource::Files);
        // Comments only in column 0; an indented line is not a subid line at all.
        assert_eq!(src("# subid: sss\n  subid: sss\n"), NssSource::Files);
        // A line without a value is passed over; the next one decides.
        assert_eq!(
            src("subid:   \nsubid: sss\nsubid: files\n"),
            NssSource::Module("sss".into())
        );
        // Under 8 bytes with the newline: not read.
        assert_eq!(src("subid:x"), NssSource::Files);
        assert_eq!(src("subid:x\n"), NssSource::Module("x".into()));
        let long = "a".repeat(51);
        assert_eq!(src(&format!("subid: {long}\n")), NssSource::TooLong(long));
        assert_eq!(
            src(&format!("subid: {}\n", "a".repeat(50))),
            NssSource::Module("a".repeat(50))
        );
        // A carriage return is part of the word (and no such module exists).
        assert_eq!(src("subid: sss\r\n"), NssSource::Module("sss\r".into()));
    }

    #[test]
    fn getsubids_output_as_rootlesskit_reads_it() {
        assert_eq!(rootlesskit_getsubids(""), Ok(vec![]));
        assert_eq!(
            rootlesskit_getsubids("0: alice 100000 65536\n1: alice 300000 10\n"),
            Ok(vec![(100_000, 65536), (300_000, 10)])
        );
        assert_eq!(
            rootlesskit_getsubids("0: alice 1\n"),
            Err("line 1: unparsable line \"0: alice 1\"".into())
        );
        assert_eq!(
            rootlesskit_getsubids("0: alice x 1\n"),
            Err("line 1: unparsable line \"0: alice x 1\": failed to Atoi(\"x\"): strconv.Atoi: parsing \"x\": invalid syntax".into())
        );
        // More fields are only warned about.
        assert_eq!(rootlesskit_getsubids("0: a 1 2 3\n"), Ok(vec![(1, 2)]));
    }

    proptest! {
        #[test]
        fn is_decimal_of_is_to_string_equality(text in "[+0-9a]{0,12}", id in any::<u32>(), near in 0u32..120) {
            prop_assert_eq!(is_decimal_of(&text, id), text == id.to_string());
            prop_assert_eq!(is_decimal_of(&text, near), text == near.to_string());
            prop_assert!(is_decimal_of(&id.to_string(), id));
        }
        #[test]
        fn nss_source_never_panics(text in "(subid|SUBID|#|passwd)?:?[ \t]*[a-z\r]{0,60}\n?.{0,40}") {
            let _ = shadow_nss_source(&text);
        }

        #[test]
        fn getsubids_output_round_trips(ranges in proptest::collection::vec((0i64..1 << 32, 0i64..1 << 32), 0..8)) {
            let text: String = ranges
                .iter()
                .enumerate()
                .map(|(i, (s, c))| format!("{i}: alice {s} {c}\n"))
                .collect();
            prop_assert_eq!(rootlesskit_getsubids(&text), Ok(ranges));
        }

        #[test]
        fn getsubids_output_never_panics(text in ".{0,200}") {
            let _ = rootlesskit_getsubids(&text);
        }
    }

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
            "jane:08:1\n",
            "+kim:1:2\n",
            "lee:0x:1\n",
        );
        let (entries, errors) = parse(text);
        let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![1, 2, 3, 4, 5, 10, 11, 12, 13]);
        let owners: Vec<&str> = entries.iter().map(|e| e.owner.as_str()).collect();
        // strtoul takes a sign; a fourth field is ignored.
        assert_eq!(owners, ["erin", "frank", "gina", "hank"]);
        assert_eq!((entries[0].start, entries[0].count), (5, 10));
        assert_eq!((entries[1].start, entries[1].count), (1, 2));
        // 4294901759 + 65536 = 4294967295 exactly: the last usable id is 4294967294.
        assert_eq!(entries[3].end(), ID_LIMIT);
        assert!(errors[2].message.contains("count"));
        assert!(errors[4].message.contains("empty owner"));
        assert!(errors[6].message.contains("octal"), "{}", errors[6].message);
        assert!(errors[7].message.contains("NIS"), "{}", errors[7].message);
        assert!(
            errors[8].message.contains("not a number"),
            "{}",
            errors[8].message
        );
    }

    /// Contradiction 1 of docs/launch-sequence.md: shadow trims nothing, so a blank after the count (or around any
    /// field) makes newuidmap ignore the line (`uid range [1-65537) -> [100000-165536) not allowed`), while
    /// RootlessKit's static parser trims the line and asks for the range.
    #[test]
    fn regression_blanks_in_a_subid_line_are_not_trimmed() {
        for text in [
            "alice:100000:65536 \n",
            "alice:100000:65536\t\n",
            "alice:100000 :65536\n",
            "alice:100000:65536\r\n",
        ] {
            let (entries, errors) = parse(text);
            assert!(entries.is_empty(), "{text:?}: {entries:?}");
            assert_eq!(errors.len(), 1, "{text:?}");
            assert_eq!(errors[0].line, 1);
            assert!(
                errors[0].message.contains("shadow ignores the line"),
                "{}",
                errors[0].message
            );
        }
        let (_, errors) = parse("alice:100000:65536 \n");
        assert!(
            errors[0].message.contains("trims nothing"),
            "{}",
            errors[0].message
        );
        // A blank before the owner makes another owner, which matches nobody.
        let (entries, errors) = parse(" alice:100000:65536\n");
        assert!(errors.is_empty());
        assert_eq!(entries[0].owner, " alice");
        assert!(!entries[0].matches("alice", 1000));
        // strtoul skips blanks before a number.
        let (entries, _) = parse("alice: 100000:\t65536\n");
        assert_eq!((entries[0].start, entries[0].count), (100000, 65536));
        // RootlessKit's static parser trims the line (not the fields) and takes the range.
        let ranges = rootlesskit_static("alice:100000:65536 \n", "/etc/subuid", 1000, "alice");
        assert_eq!(
            ranges,
            Ok(vec![StaticRange {
                line: 1,
                start: 100000,
                count: 65536
            }])
        );
        assert_eq!(
            rootlesskit_static("alice: 100000:65536\n", "/etc/subuid", 1000, "alice"),
            Err("String to int conversion failed during subuid/gid parsing of /etc/subuid: strconv.Atoi: parsing \" 100000\": invalid syntax".into())
        );
    }

    /// Contradiction 3: shadow's getulong is strtoul base 0; RootlessKit's static parser is decimal.
    #[test]
    fn regression_subid_numbers_are_read_in_base_0() {
        let (entries, errors) = parse("alice:0100000:65536\nbob:0x186a0:0X10000\ncarol:0:1\n");
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!((entries[0].start, entries[0].count), (32768, 65536));
        assert_eq!((entries[1].start, entries[1].count), (100000, 65536));
        assert_eq!((entries[2].start, entries[2].count), (0, 1));
        assert_eq!(shadow_number("-1", "start"), Ok(u64::MAX));
        assert_eq!(shadow_number(" \t+7", "start"), Ok(7));
        assert!(shadow_number("0x", "start").is_err());
        assert!(shadow_number("0xg", "start").is_err());
        assert!(shadow_number("- 1", "start").is_err());
        assert!(shadow_number("18446744073709551616", "start").is_err());
        assert_eq!(shadow_number("18446744073709551615", "start"), Ok(u64::MAX));
        assert_eq!(
            rootlesskit_static("alice:0100000:65536\n", "/etc/subuid", 1000, "alice"),
            Ok(vec![StaticRange {
                line: 1,
                start: 100000,
                count: 65536
            }])
        );
        assert_eq!(
            rootlesskit_static("alice:0x186a0:65536\n", "/etc/subuid", 1000, "alice"),
            Err("String to int conversion failed during subuid/gid parsing of /etc/subuid: strconv.Atoi: parsing \"0x186a0\": invalid syntax".into())
        );
    }

    /// Contradiction 4: shadow takes the first three fields and ignores the rest; RootlessKit's static parser
    /// refuses the whole file when any line (anyone's) has more or fewer than three.
    #[test]
    fn regression_a_fourth_subid_field_is_ignored() {
        let (entries, errors) = parse("alice:100000:65536:x\nbob:165536:65536:\n");
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(entries.len(), 2);
        assert_eq!((entries[0].start, entries[0].count), (100000, 65536));
        assert_eq!(
            rootlesskit_static(
                "alice:100000:65536\nbob:165536:65536:x\n",
                "/etc/subuid",
                1000,
                "alice"
            ),
            Err(
                "Cannot parse subuid/gid information: Format not correct for /etc/subuid file"
                    .into()
            )
        );
    }

    #[test]
    fn regression_a_line_of_exactly_64_kib_is_too_long_for_gos_scanner() {
        // bufio.Scanner needs the line and its newline in its 65,536-byte buffer: a comment of 65,536 bytes stops
        // RootlessKit's static parser for every user ("token too long"); the doctor read it as a comment, and passed.
        for (len, too_long) in [(65_535, false), (65_536, true)] {
            for end in ["\n", ""] {
                let text = format!("alice:1:2\n#{}{end}", "x".repeat(len - 1));
                let expected = if too_long {
                    Err("bufio.Scanner: token too long".to_string())
                } else {
                    Ok(vec![StaticRange {
                        line: 1,
                        start: 1,
                        count: 2,
                    }])
                };
                assert_eq!(
                    rootlesskit_static(&text, "/etc/subuid", 1000, "alice"),
                    expected,
                    "{len}"
                );
                assert_eq!(
                    StaticIndex::new(&text, "/etc/subuid").ranges(1000, "alice"),
                    expected
                );
                let spans = parse_spans(&text);
                assert_eq!(spans.alike, !too_long);
                assert_eq!(
                    rootlesskit_static_with(
                        &text,
                        "/etc/subuid",
                        1000,
                        "alice",
                        &spans.entries,
                        spans.alike
                    ),
                    expected
                );
                let getsubids = format!("0: alice 1 2\n#{}{end}", "x".repeat(len - 1));
                assert_eq!(rootlesskit_getsubids(&getsubids).is_err(), too_long);
            }
        }
    }

    #[test]
    fn rootlesskit_static_keeps_name_and_uid_lines_in_order() {
        let text = "# c\n\n  alice:100000:65536  \r\n1000:100000:65536\nbob:1:2\n";
        let ranges = rootlesskit_static(text, "/etc/subgid", 1000, "alice").unwrap();
        assert_eq!(ranges.iter().map(|r| r.line).collect::<Vec<_>>(), [3, 4]);
        assert_eq!(rootlesskit_static("", "/etc/subuid", 1, "a"), Ok(vec![]));
        let long = format!("alice:1:1\n{}\n", "x".repeat(70_000));
        assert_eq!(
            rootlesskit_static(&long, "/etc/subuid", 1, "a"),
            Err("bufio.Scanner: token too long".into())
        );
        assert_eq!(go_atoi("+5"), Ok(5));
        assert_eq!(go_atoi("-5"), Ok(-5));
        assert!(go_atoi("1_000").is_err());
        assert!(
            go_atoi("9223372036854775808")
                .unwrap_err()
                .contains("value out of range")
        );
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
        fn lines_that_read_alike_read_alike(
            raw in "([ \t\x0b#+a-z0-9:\u{a0}-]|0x|00){0,24}|[a-z0-9]{1,8}:[0-9]{1,11}:[0-9]{1,11}"
        ) {
            let (entries, _) = parse(&raw);
            // The parse's own flag is `reads_alike` of the line.
            let spans = parse_spans(&raw);
            for s in &spans.entries {
                prop_assert_eq!(s.alike, reads_alike(&raw));
            }
            if reads_alike(&raw) {
                // Whatever shadow takes from it, RootlessKit takes the same owner and numbers (a line shadow ignores,
                // a count of 0 or a range past the highest id, is never an entry, so never compared).
                let StaticLine::Fields { owner, start, count } = static_line(&raw) else {
                    return Err(TestCaseError::fail(format!("{raw:?} reads alike but is not three fields")));
                };
                if let Some(e) = entries.first() {
                    prop_assert_eq!(owner, e.owner.as_str());
                    prop_assert_eq!(go_atoi(start).ok(), i64::try_from(e.start).ok());
                    prop_assert_eq!(go_atoi(count).ok(), i64::try_from(e.count).ok());
                }
            }
        }

        #[test]
        fn the_static_reading_through_the_spans_is_the_static_reading(
            text in "((alice|bob|1000|#x| alice|)(:[0-9]{1,6}|:0x1f|:01|: 5|:99999999999){0,3}[ \r]?\n){0,8}",
        ) {
            let spans = parse_spans(&text);
            for (uid, name) in [(1000, "alice"), (7, "bob"), (1000, ""), (5, "x")] {
                prop_assert_eq!(
                    rootlesskit_static_with(&text, "/etc/subuid", uid, name, &spans.entries, spans.alike),
                    rootlesskit_static(&text, "/etc/subuid", uid, name)
                );
            }
        }

        #[test]
        fn the_usual_line_reads_as_shadow_reads_it(
            raw in "[a-z0-9 #+\x0b-]{0,3}(:[0-9]{0,11}|:0|:00|:0x1){0,3}|[a-z]{1,4}:[0-9]{1,10}:[0-9]{1,10}",
        ) {
            let (colons, count) = crate::parse::colons_of::<3>(raw.as_bytes());
            if let Some(fast) = plain_line(raw.as_bytes(), &colons[..count.min(3)], count) {
                let (owner_len, start, count) = fast;
                prop_assert_eq!(parse_line(&raw), Ok((owner_len, start, count, true)));
            }
        }

        #[test]
        fn plain_decimals_are_shadow_numbers(field in "[0-9]{0,12}|[+ -]?[0-9a-fx]{0,6}") {
            if let Some(v) = plain_decimal(field.as_bytes()) {
                prop_assert_eq!(Some(v), strtoul_number(&field, "start").ok());
                prop_assert_eq!(go_atoi(&field).ok(), i64::try_from(v).ok());
            }
        }

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
                .split('\n')
                .filter(|l| !l.trim_ascii().is_empty() && !l.trim_ascii().starts_with('#'))
                .count();
            prop_assert_eq!(entries.len() + errors.len(), meaningful);
        }

        /// Octal, hex and decimal spellings of a number read as that number, as strtoul base 0 reads them.
        #[test]
        fn numbers_in_every_base_read_as_shadow_reads_them(n in any::<u64>(), blanks in "[ \t]{0,3}") {
            for spelled in [format!("{n}"), format!("0{n:o}"), format!("0x{n:x}"), format!("0X{n:X}"), format!("+{n}")] {
                prop_assert_eq!(shadow_number(&format!("{blanks}{spelled}"), "start"), Ok(n));
                // Nothing may follow the digits.
                let trailing = format!("{spelled} ");
                prop_assert!(shadow_number(&trailing, "start").is_err());
            }
        }

        /// Anything after a third field leaves the entry as it was; a blank after the count drops it.
        #[test]
        fn a_fourth_field_changes_nothing_and_a_trailing_blank_drops_the_line(
            entries in entries_strategy(),
            extra in "[a-z0-9: ]{0,8}",
        ) {
            let with_extra: String = render(&entries)
                .lines()
                .map(|l| format!("{l}:{extra}\n"))
                .collect();
            let (parsed, errors) = parse(&with_extra);
            prop_assert!(errors.is_empty(), "{:?}", errors);
            prop_assert_eq!(parsed, entries.clone());
            let with_blank: String = render(&entries).lines().map(|l| format!("{l} \n")).collect();
            let (parsed, errors) = parse(&with_blank);
            prop_assert!(parsed.is_empty());
            prop_assert_eq!(errors.len(), entries.len());
        }

        /// RootlessKit's static parser never panics, and on a rendered file finds exactly the user's entries.
        #[test]
        fn rootlesskit_static_reads_rendered_files_like_shadow(entries in entries_strategy(), text in any::<String>()) {
            let _ = rootlesskit_static(&text, "/etc/subuid", 1000, "alice");
            for e in &entries {
                let uid: u32 = e.owner.parse().unwrap_or(1000);
                let statics = rootlesskit_static(&render(&entries), "/etc/subuid", uid, &e.owner).unwrap();
                let shadows: Vec<(i64, i64)> = entries
                    .iter()
                    .filter(|x| x.matches(&e.owner, uid))
                    .map(|x| (x.start as i64, x.count as i64))
                    .collect();
                prop_assert_eq!(statics.iter().map(|r| (r.start, r.count)).collect::<Vec<_>>(), shadows);
            }
        }

        /// The index answers every user exactly as the one-user parser does: ranges, lines and error, on files of
        /// lines with a few owners, numbers that Go refuses, comments, blanks and malformed lines.
        #[test]
        fn the_static_index_answers_like_the_one_user_parser(
            lines in proptest::collection::vec(
                "(alice|bob|1000|1001|0|#x| |)(:(1|01|-2|x|99999999999999999999|65536)){0,3}[ \r]?",
                0..12,
            ),
            trailing_newline in any::<bool>(),
        ) {
            let mut text = lines.join("\n");
            if trailing_newline {
                text.push('\n');
            }
            let index = StaticIndex::new(&text, "/etc/subuid");
            for (uid, name) in [(1000, "alice"), (1001, "bob"), (1000, "1000"), (0, ""), (7, "carol")] {
                prop_assert_eq!(
                    index.ranges(uid, name),
                    rootlesskit_static(&text, "/etc/subuid", uid, name),
                    "{:?} for {} {}", text, uid, name
                );
            }
        }

        #[test]
        fn the_static_index_answers_like_the_one_user_parser_on_any_text(text in any::<String>()) {
            let index = StaticIndex::new(&text, "/etc/subgid");
            prop_assert_eq!(index.ranges(1000, "alice"), rootlesskit_static(&text, "/etc/subgid", 1000, "alice"));
        }

        #[test]
        fn overlap_is_symmetric(a in 0u64..1000, ac in 0u64..100, b in 0u64..1000, bc in 0u64..100) {
            let x = SubidEntry { line: 1, owner: "x".into(), start: a, count: ac };
            let y = SubidEntry { line: 1, owner: "y".into(), start: b, count: bc };
            prop_assert_eq!(x.overlaps(b, bc), y.overlaps(a, ac));
        }
    }
}
