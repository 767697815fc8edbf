//! systemd unit files and the settings in them that decide how `dockerd` is started.
//!
//! - [`parse`] reads the ini-like syntax of systemd.syntax(7) into `Key=Value` [`Entry`]s;
//! - [`effective`] applies the "an empty assignment resets the list" rule across a unit and its drop-ins;
//! - [`split_command`] and [`expand_argv`] turn an `ExecStart=` value into the argv systemd would execute
//!   ("COMMAND LINES" in systemd.service(5));
//! - [`split_environment`] splits an `Environment=` value and [`parse_env_file`] reads the shell-style files
//!   that `EnvironmentFile=` names (systemd.exec(5)), such as Debian's `/etc/default/docker`.
//!
//! Unit specifiers (`%n`, `%h`, `%%`, …) are not resolved anywhere in this module: they need facts about the unit
//! and the host, and the settings Docker's units use do not contain them.

use super::LineError;

/// One `Key=Value` assignment of a unit file, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The `[Section]` the assignment is in, without the brackets.
    pub section: String,
    /// The key, with surrounding whitespace trimmed.
    pub key: String,
    /// The value, with surrounding whitespace trimmed and continuation lines joined.
    pub value: String,
    /// The 1-based line where the assignment starts.
    pub line: usize,
}

/// The characters systemd treats as whitespace (`WHITESPACE` in its sources).
const WHITESPACE: [char; 4] = [' ', '\t', '\n', '\r'];

fn is_ws(c: char) -> bool {
    WHITESPACE.contains(&c)
}

fn trim_ws(s: &str) -> &str {
    s.trim_matches(WHITESPACE)
}

/// systemd.syntax(7): `[Section]` headers, `Key=Value` lines (whitespace around `=` and at ends trimmed),
/// comments starting with `#` or `;` (only at line start, after leading whitespace), blank lines,
/// and line continuation: a line ending in a backslash is joined with the next line (the backslash replaced by a
/// space; comment lines inside a continuation are skipped, as systemd does). `line` is the line where the
/// assignment starts. A non-comment line outside any section, a line without `=`, or a malformed section header
/// is a LineError and skipped.
///
/// Lines after a malformed section header are skipped without further errors until the next valid header: they
/// belong to a section whose name is unknown, and systemd itself rejects the whole file at such a header.
pub fn parse(text: &str) -> (Vec<Entry>, Vec<LineError>) {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut state = UnitState::default();
    // A continuation being collected: the line it started on and the text so far.
    let mut pending: Option<(usize, String)> = None;
    for (index, raw) in text.lines().enumerate() {
        let number = index + 1;
        if raw.trim_start_matches(WHITESPACE).starts_with(['#', ';']) {
            continue;
        }
        let (start, mut joined) = match pending.take() {
            Some((start, mut so_far)) => {
                so_far.push_str(raw);
                (start, so_far)
            }
            None => (number, raw.to_string()),
        };
        if ends_in_escape(&joined) {
            joined.pop();
            joined.push(' ');
            pending = Some((start, joined));
            continue;
        }
        state.logical_line(start, &joined);
    }
    if let Some((start, joined)) = pending {
        state.logical_line(start, &joined);
    }
    (state.entries, state.errors)
}

/// Whether the line ends in a backslash that is not itself escaped (an odd number of trailing backslashes).
fn ends_in_escape(line: &str) -> bool {
    line.chars().rev().take_while(|&c| c == '\\').count() % 2 == 1
}

#[derive(Default)]
struct UnitState {
    entries: Vec<Entry>,
    errors: Vec<LineError>,
    section: Option<String>,
    /// Set after a malformed section header: the lines under it are skipped silently.
    in_broken_section: bool,
}

impl UnitState {
    fn error(&mut self, line: usize, message: String) {
        self.errors.push(LineError { line, message });
    }

    fn logical_line(&mut self, line: usize, text: &str) {
        let text = trim_ws(text);
        if text.is_empty() {
            return;
        }
        if text.starts_with('[') {
            match section_name(text) {
                Ok(name) => {
                    self.section = Some(name.to_string());
                    self.in_broken_section = false;
                }
                Err(message) => {
                    self.error(line, message);
                    self.section = None;
                    self.in_broken_section = true;
                }
            }
            return;
        }
        if self.in_broken_section {
            return;
        }
        let Some(section) = self.section.clone() else {
            self.error(
                line,
                format!("{:?} is outside any [Section]", shorten(text)),
            );
            return;
        };
        let Some((key, value)) = text.split_once('=') else {
            self.error(line, format!("{:?} has no '='", shorten(text)));
            return;
        };
        let key = trim_ws(key);
        if key.is_empty() {
            self.error(line, format!("{:?} has no key before '='", shorten(text)));
            return;
        }
        self.entries.push(Entry {
            section,
            key: key.to_string(),
            value: trim_ws(value).to_string(),
            line,
        });
    }
}

/// The name inside a `[Section]` header, rejected as systemd does when it does not end in `]`, is empty, or holds
/// control characters, quotes or backslashes.
fn section_name(header: &str) -> Result<&str, String> {
    let name = header
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .ok_or_else(|| format!("malformed section header {:?}", shorten(header)))?;
    if name.is_empty() {
        return Err("empty section name \"[]\"".to_string());
    }
    if name
        .chars()
        .any(|c| c.is_control() || matches!(c, '"' | '\'' | '\\'))
    {
        return Err(format!(
            "bad characters in section header {:?}",
            shorten(header)
        ));
    }
    Ok(name)
}

/// At most 60 characters of `text`, for error messages.
fn shorten(text: &str) -> String {
    let mut chars = text.chars();
    let mut out: String = chars.by_ref().take(60).collect();
    if chars.next().is_some() {
        out.push('…');
    }
    out
}

/// The effective assignments of a list-type setting (ExecStart=, Environment=, EnvironmentFile=) across a unit
/// file and its drop-ins, given in the order systemd applies them (main file first, then drop-ins sorted by file
/// name): an assignment with an empty value clears everything before it. Returns (file label, entry) pairs in
/// order.
pub fn effective<'a>(
    files: &'a [(String, Vec<Entry>)],
    section: &str,
    key: &str,
) -> Vec<(&'a str, &'a Entry)> {
    let mut out = Vec::new();
    for (label, entries) in files {
        for entry in entries {
            if entry.section != section || entry.key != key {
                continue;
            }
            if entry.value.is_empty() {
                out.clear();
            } else {
                out.push((label.as_str(), entry));
            }
        }
    }
    out
}

/// Splits an ExecStart= value into argv the way systemd.service(5) "COMMAND LINES" does: leading special prefixes
/// `@`, `-`, `:`, `+`, `!`, `!!` are stripped (with `@`, the second word is `argv[0]` — just drop the prefix and keep
/// the words as written); words separated by whitespace; double and single quotes group; C-style backslash escapes
/// (\n \t \\ \" \' \x.. and `\` + space) are decoded; a lone `;` word is kept as-is (callers treat it as a
/// separator in old systemd). `$NAME` and `${NAME}` are NOT expanded here (see expand_argv). Err on an
/// unterminated quote.
///
/// Also decoded, as systemd does: `\a \b \f \r \v \s` (a space), three-digit octal `\NNN`, `\uXXXX` and
/// `\UXXXXXXXX`. An unknown escape such as `\d` is kept verbatim, backslash included (systemd warns "Ignoring
/// unknown escape sequences" and does the same). A word that is exactly `\;` becomes `;`. Escapes that produce
/// bytes which are not UTF-8 are replaced by U+FFFD. Err too when the first word is nothing but prefixes
/// (`ExecStart=-`), which systemd rejects as "Empty path in command line".
pub fn split_command(value: &str) -> Result<Vec<String>, String> {
    parse_command(value).map(|(_, argv)| argv)
}

/// Like [`split_command`], and also returns the special prefix characters that were stripped from the first word,
/// in the order written (`""` when there were none, `"-"` for `ExecStart=-/usr/bin/foo`, `":"` when environment
/// variables must not be expanded, …).
pub fn parse_command(value: &str) -> Result<(String, Vec<String>), String> {
    let mut words = split_words(value, true)?;
    let Some(first) = words.first_mut() else {
        return Ok((String::new(), words));
    };
    let prefix = exec_prefix(first).to_string();
    if !prefix.is_empty() {
        *first = first[prefix.len()..].to_string();
        if first.is_empty() {
            return Err(format!("empty executable path after prefix {prefix:?}"));
        }
    }
    Ok((prefix, words))
}

/// The leading run of special executable prefixes, each allowed as often as systemd allows it: `-`, `@`, `:` once,
/// and either one `+` or one or two `!`.
fn exec_prefix(word: &str) -> &str {
    let (mut ignore, mut argv0, mut no_env, mut plus, mut bangs) = (false, false, false, false, 0);
    let mut len = 0;
    for c in word.chars() {
        match c {
            '-' if !ignore => ignore = true,
            '@' if !argv0 => argv0 = true,
            ':' if !no_env => no_env = true,
            '+' if !plus && bangs == 0 => plus = true,
            '!' if !plus && bangs < 2 => bangs += 1,
            _ => break,
        }
        len += 1; // every prefix character is ASCII
    }
    &word[..len]
}

/// Splits `value` into words as systemd's `extract_first_word(…, EXTRACT_UNQUOTE|EXTRACT_CUNESCAPE)` does, with
/// unknown escapes kept verbatim. With `command`, a word written exactly `\;` becomes `;`.
fn split_words(value: &str, command: bool) -> Result<Vec<String>, String> {
    let chars: Vec<char> = value.chars().collect();
    let mut words = Vec::new();
    let mut i = 0;
    loop {
        while chars.get(i).is_some_and(|&c| is_ws(c)) {
            i += 1;
        }
        if i >= chars.len() {
            return Ok(words);
        }
        if command
            && chars[i] == '\\'
            && chars.get(i + 1) == Some(&';')
            && chars.get(i + 2).is_none_or(|&c| is_ws(c))
        {
            words.push(";".to_string());
            i += 2;
            continue;
        }
        let mut word: Vec<u8> = Vec::new();
        let mut quote: Option<char> = None;
        while let Some(&c) = chars.get(i) {
            i += 1;
            match (quote, c) {
                (None, c) if is_ws(c) => break,
                (None, '"' | '\'') => quote = Some(c),
                (Some(q), c) if c == q => quote = None,
                (_, '\\') => match chars.get(i) {
                    Some(_) => i += unescape(&chars[i..], &mut word),
                    // A trailing backslash outside quotes is kept; inside, the quote is unterminated.
                    None if quote.is_none() => word.push(b'\\'),
                    None => {}
                },
                (_, c) => push_char(&mut word, c),
            }
        }
        if let Some(q) = quote {
            return Err(format!("unterminated {q} quote in {:?}", shorten(value)));
        }
        words.push(String::from_utf8_lossy(&word).into_owned());
    }
}

fn push_char(out: &mut Vec<u8>, c: char) {
    let mut buf = [0; 4];
    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
}

/// Decodes the escape sequence that starts at `rest[0]` (just after a backslash) into `out`, as systemd's
/// `cunescape_one()`; returns how many characters of `rest` it used. An invalid sequence is copied verbatim.
fn unescape(rest: &[char], out: &mut Vec<u8>) -> usize {
    let Some(&c) = rest.first() else {
        return 0;
    };
    let simple = match c {
        'a' => Some(0x07),
        'b' => Some(0x08),
        'f' => Some(0x0c),
        'n' => Some(b'\n'),
        'r' => Some(b'\r'),
        't' => Some(b'\t'),
        'v' => Some(0x0b),
        '\\' => Some(b'\\'),
        '"' => Some(b'"'),
        '\'' => Some(b'\''),
        's' | ' ' => Some(b' '),
        _ => None,
    };
    if let Some(byte) = simple {
        out.push(byte);
        return 1;
    }
    let digits = |radix: u32, n: usize| -> Option<u32> {
        let ds = rest.get(1..=n)?;
        ds.iter()
            .try_fold(0u32, |acc, d| Some(acc * radix + d.to_digit(radix)?))
    };
    let decoded = match c {
        'x' => digits(16, 2)
            .filter(|&v| v != 0)
            .map(|v| (vec![v as u8], 3)),
        'u' => digits(16, 4).and_then(|v| unicode(v).map(|b| (b, 5))),
        'U' => digits(16, 8).and_then(|v| unicode(v).map(|b| (b, 9))),
        '0'..='7' => {
            // Three octal digits starting with `c` itself.
            let octal = rest.get(..3).and_then(|ds| {
                ds.iter()
                    .try_fold(0u32, |acc, d| Some(acc * 8 + d.to_digit(8)?))
            });
            octal
                .filter(|&v| v != 0 && v <= 0xff)
                .map(|v| (vec![v as u8], 3))
        }
        _ => None,
    };
    match decoded {
        Some((bytes, used)) => {
            out.extend_from_slice(&bytes);
            used
        }
        None => {
            out.push(b'\\');
            push_char(out, c);
            1
        }
    }
}

fn unicode(value: u32) -> Option<Vec<u8>> {
    let c = char::from_u32(value).filter(|&c| c != '\0')?;
    let mut out = Vec::new();
    push_char(&mut out, c);
    Some(out)
}

/// Expands environment variables in an argv split by split_command, as systemd does: a word that is exactly
/// `$NAME` is replaced by the value split on whitespace into zero or more words (an unset/empty variable removes
/// the word); `${NAME}` anywhere inside a word is replaced by the value as one piece (unset → empty string).
/// `lookup` returns the variable's value, borrowed: a value is copied only once it is known to fit (a hostile env
/// file's value may be 64 MiB, and a unit may name it thousands of times).
///
/// As in systemd's `replace_env_argv()`: the value of a whole-word `$NAME` is split with quotes grouping
/// (`"a b" c` gives two words) and a backslash taking the next character literally; a word starting with `$`
/// whose rest is not a valid variable name (`$FOO/bar`, `$`) is removed too; `$$` stands for a literal `$`;
/// `$NAME` inside a longer word and `${NAME:-default}` are left as written. Callers should not expand a command
/// whose prefix (see [`parse_command`]) contains `:`.
///
/// The expanded words may hold at most [`MAX_EXPANDED_BYTES`] in total (more than execve(2) takes anyway); a
/// unit that repeats `${A}` with a large `A` would otherwise expand to gigabytes. Beyond it expansion stops
/// with `Err("expansion exceeds N bytes")`.
pub fn expand_argv<'v>(
    argv: &[String],
    lookup: &dyn Fn(&str) -> Option<&'v str>,
) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut total = 0usize;
    for word in argv {
        let budget = MAX_EXPANDED_BYTES.saturating_sub(total);
        match word.strip_prefix('$') {
            Some(name) if !name.starts_with(['{', '$']) => {
                if is_env_name(name)
                    && let Some(value) = lookup(name)
                {
                    if value.len() > budget {
                        return Err(too_long());
                    }
                    // The value counts whole, not only the words it gives: one of blanks or `''` gives none or
                    // empty ones, and would otherwise let a unit name it without end (found by review).
                    total += value.len();
                    out.extend(split_value(value));
                }
            }
            _ => {
                let expanded = replace_env(word, lookup, budget)?;
                total += expanded.len();
                out.push(expanded);
            }
        }
    }
    Ok(out)
}

/// The most bytes [`expand_argv`] produces: 1 MiB, about half of Linux's ARG_MAX.
pub const MAX_EXPANDED_BYTES: usize = 1024 * 1024;

fn too_long() -> String {
    format!("expansion exceeds {MAX_EXPANDED_BYTES} bytes")
}

/// systemd's `replace_env()` without extensions: `${NAME}` → value, `$$` → `$`, everything else as written.
/// `Err` when the result would exceed `budget` bytes.
fn replace_env<'v>(
    word: &str,
    lookup: &dyn Fn(&str) -> Option<&'v str>,
    budget: usize,
) -> Result<String, String> {
    if word.len() > budget {
        return Err(too_long());
    }
    let mut out = String::new();
    let mut rest = word;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(inner) = after.strip_prefix('{') {
            match inner.find(['}', ':']) {
                Some(end) if inner[end..].starts_with('}') => {
                    let name = &inner[..end];
                    if is_env_name(name) {
                        let value = lookup(name).unwrap_or_default();
                        // What is left of the word is at most its own length more.
                        if out.len() + value.len() + word.len() > budget {
                            return Err(too_long());
                        }
                        out.push_str(value);
                    }
                    rest = &inner[end + 1..];
                }
                Some(colon) => {
                    // `${NAME:…}` is unsupported syntax here: kept as written, scanning resumes after the `:`.
                    out.push_str("${");
                    out.push_str(&inner[..=colon]);
                    rest = &inner[colon + 1..];
                }
                None => {
                    out.push('$');
                    rest = after;
                    out.push_str(rest);
                    rest = "";
                }
            }
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// Splits a variable's value into words as `strv_split_full(…, EXTRACT_RELAX|EXTRACT_UNQUOTE)` does: quotes
/// group, a backslash takes the next character literally, an unterminated quote ends the last word.
fn split_value(value: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut chars = value.chars().peekable();
    loop {
        while chars.next_if(|&c| is_ws(c)).is_some() {}
        if chars.peek().is_none() {
            return words;
        }
        let mut word = String::new();
        let mut quote: Option<char> = None;
        while let Some(c) = chars.next() {
            match (quote, c) {
                (None, c) if is_ws(c) => break,
                (None, '"' | '\'') => quote = Some(c),
                (Some(q), c) if c == q => quote = None,
                (_, '\\') => {
                    if let Some(next) = chars.next() {
                        word.push(next);
                    }
                }
                (_, c) => word.push(c),
            }
        }
        words.push(word);
    }
}

/// Whether `name` is a valid environment variable name: `[A-Za-z_][A-Za-z0-9_]*`.
pub fn is_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Splits an Environment= value: space-separated `VAR=value` assignments, each optionally in double or single
/// quotes (`Environment="HTTP_PROXY=http://p:3128" "NO_PROXY=localhost,127.0.0.1" A=b`). Backslash escapes
/// decoded as in split_command. Err on an unterminated quote or an assignment without `=` or with an invalid
/// variable name.
///
/// Note that systemd itself only skips such an assignment, with the warning "Invalid environment assignment,
/// ignoring", and keeps the valid ones on the line; an unquoted `A=b c` is the usual cause.
pub fn split_environment(value: &str) -> Result<Vec<(String, String)>, String> {
    split_words(value, false)?
        .into_iter()
        .map(|word| {
            let Some((name, val)) = word.split_once('=') else {
                return Err(format!(
                    "{:?} is not a VAR=value assignment",
                    shorten(&word)
                ));
            };
            if !is_env_name(name) {
                return Err(format!("{:?} is not a valid variable name", shorten(name)));
            }
            Ok((name.to_string(), val.to_string()))
        })
        .collect()
}

/// An EnvironmentFile= or /etc/default/* shell-style file: `KEY=VALUE` lines, an optional leading `export `,
/// `#`/`;` comment lines, values in double quotes (backslash escapes `\"` `\\` `\$` and backslash-newline
/// continuation) or single quotes (literal) or bare (trailing whitespace trimmed; a ` #` after a bare value starts
/// a comment). Lines that are not assignments (e.g. shell code like `if …`) are LineErrors and skipped.
///
/// Details, following systemd's reader where the shell and systemd differ: whitespace around `=` is allowed;
/// quoted and bare pieces concatenate (`A="x"y` is `xy`) and whitespace between pieces is kept (`A=b c` is `b c`);
/// a quoted value may span lines (the newline is kept); `` \` `` is decoded in double quotes and other escapes there
/// are kept verbatim; in a bare value a backslash takes the next character literally and a backslash at the end of a
/// line joins the next line. `$VAR` is never expanded. A value whose quote is never closed is a LineError on the
/// line where it starts, and parsing resumes on the next line.
pub fn parse_env_file(text: &str) -> (Vec<(String, String)>, Vec<LineError>) {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let mut next = 0;
    while let Some(&raw) = lines.get(next) {
        let start = next;
        next += 1;
        let line = raw.trim_start_matches([' ', '\t']);
        if line.is_empty() || line.starts_with(['#', ';']) {
            continue;
        }
        let line = match line.strip_prefix("export") {
            Some(rest) if rest.starts_with([' ', '\t']) => rest.trim_start_matches([' ', '\t']),
            _ => line,
        };
        let parsed = match line.split_once('=') {
            None => Err(format!("{:?} is not a KEY=VALUE assignment", shorten(line))),
            Some((key, rest)) => {
                let key = key.trim_end_matches([' ', '\t']);
                if is_env_name(key) {
                    env_value(rest, &lines, &mut next).map(|value| (key.to_string(), value))
                } else {
                    Err(format!("{:?} is not a KEY=VALUE assignment", shorten(line)))
                }
            }
        };
        match parsed {
            Ok(pair) => out.push(pair),
            Err(message) => {
                errors.push(LineError {
                    line: start + 1,
                    message,
                });
                next = start + 1;
            }
        }
    }
    (out, errors)
}

/// Reads the value that starts with `first` (the text after `=`), taking further lines from `lines[*next..]` while a
/// quote is open or a line ends in a backslash.
fn env_value<'a>(first: &'a str, lines: &[&'a str], next: &mut usize) -> Result<String, String> {
    let mut chars = first.chars();
    let mut out = String::new();
    // Unquoted whitespace that becomes part of the value only if more of the value follows.
    let mut pending = String::new();
    let mut started = false;
    let mut after_ws = first.starts_with([' ', '\t']) || first.is_empty();
    let mut take_line = |chars: &mut std::str::Chars<'a>| -> bool {
        match lines.get(*next) {
            Some(line) => {
                *next += 1;
                *chars = line.chars();
                true
            }
            None => false,
        }
    };
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' => {
                if started {
                    pending.push(c);
                }
                after_ws = true;
                continue;
            }
            '#' if after_ws => break,
            _ => {}
        }
        after_ws = false;
        out.push_str(&pending);
        pending.clear();
        started = true;
        match c {
            '"' => loop {
                match chars.next() {
                    Some('"') => break,
                    Some('\\') => match chars.next() {
                        Some(e @ ('"' | '\\' | '$' | '`')) => out.push(e),
                        Some(e) => {
                            out.push('\\');
                            out.push(e);
                        }
                        None => {
                            if !take_line(&mut chars) {
                                return Err("unterminated \" quote".to_string());
                            }
                        }
                    },
                    Some(c) => out.push(c),
                    None => {
                        if !take_line(&mut chars) {
                            return Err("unterminated \" quote".to_string());
                        }
                        out.push('\n');
                    }
                }
            },
            '\'' => loop {
                match chars.next() {
                    Some('\'') => break,
                    Some(c) => out.push(c),
                    None => {
                        if !take_line(&mut chars) {
                            return Err("unterminated ' quote".to_string());
                        }
                        out.push('\n');
                    }
                }
            },
            '\\' => match chars.next() {
                Some(e) => out.push(e),
                None => {
                    // Continuation; at the end of the file the backslash is dropped.
                    take_line(&mut chars);
                }
            },
            c => out.push(c),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Debian's docker.io unit (debian/docker.io.docker.service), abridged only in its comments.
    const DEBIAN_DOCKER_IO: &str = "\
[Unit]
Description=Docker Application Container Engine
Documentation=https://docs.docker.com
After=network-online.target docker.socket firewalld.service containerd.service time-set.target
Wants=network-online.target containerd.service
Requires=docker.socket

[Service]
Type=notify
# the default is not to use systemd for cgroups because the delegate issues still
# exists and systemd currently does not support the cgroup feature set required
# for containers run by docker
EnvironmentFile=-/etc/default/docker
ExecStart=/usr/sbin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock $DOCKER_OPTS
ExecReload=/bin/kill -s HUP $MAINPID
TimeoutStartSec=0
RestartSec=2
Restart=always

# Note that StartLimit* options were moved from \"Service\" to \"Unit\" in systemd 229.
# Both the old, and new location are accepted by systemd 229 and up, so using the old location
# to make them work for either version of systemd.
StartLimitBurst=3

# Having non-zero Limit*s causes performance problems due to accounting overhead
# in the kernel. We recommend using cgroups to do container-local accounting.
LimitNOFILE=infinity
LimitNPROC=infinity
LimitCORE=infinity

# Comment TasksMax if your systemd version does not support it.
# Only systemd 226 and above support this option.
TasksMax=infinity

# set delegate yes so that systemd does not reset the cgroups of docker containers
Delegate=yes

# kill only the docker process, not all processes in the cgroup
KillMode=process
OOMScoreAdjust=-500

[Install]
WantedBy=multi-user.target
";

    const DOCKER_CE: &str = "\
[Unit]
Description=Docker Application Container Engine
Documentation=https://docs.docker.com
After=network-online.target nss-lookup.target docker.socket firewalld.service containerd.service time-set.target
Wants=network-online.target containerd.service
Requires=docker.socket

[Service]
Type=notify
# the default is not to use systemd for cgroups because the delegate issues still
# exists and systemd currently does not support the cgroup feature set required
# for containers run by docker
ExecStart=/usr/bin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock
ExecReload=/bin/kill -s HUP $MAINPID
TimeoutStartSec=0
RestartSec=2
Restart=always

[Install]
WantedBy=multi-user.target
";

    const ETC_DEFAULT_DOCKER: &str = "# comment\nDOCKER_OPTS=\"--dns 8.8.8.8 --dns 8.8.4.4 -H tcp://0.0.0.0:2375\"\nexport http_proxy=\"http://127.0.0.1:3128/\"\n";

    fn strings(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    fn get<'a>(entries: &'a [Entry], section: &str, key: &str) -> Vec<&'a Entry> {
        entries
            .iter()
            .filter(|e| e.section == section && e.key == key)
            .collect()
    }

    #[test]
    fn debian_docker_io_unit() {
        let (entries, errors) = parse(DEBIAN_DOCKER_IO);
        assert_eq!(errors, []);
        let env_file = get(&entries, "Service", "EnvironmentFile");
        assert_eq!(env_file.len(), 1);
        assert_eq!(env_file[0].value, "-/etc/default/docker");
        assert_eq!(env_file[0].line, 13);
        let exec = get(&entries, "Service", "ExecStart");
        assert_eq!(exec.len(), 1);
        assert_eq!(exec[0].line, 14);
        assert_eq!(
            exec[0].value,
            "/usr/sbin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock $DOCKER_OPTS"
        );
        let install = get(&entries, "Install", "WantedBy");
        assert_eq!(install[0].value, "multi-user.target");
        assert_eq!(get(&entries, "Unit", "Requires")[0].value, "docker.socket");

        // The whole chain: the command dockerd is started with, given /etc/default/docker.
        let argv = split_command(&exec[0].value).unwrap();
        assert_eq!(
            argv,
            strings(&[
                "/usr/sbin/dockerd",
                "-H",
                "fd://",
                "--containerd=/run/containerd/containerd.sock",
                "$DOCKER_OPTS"
            ])
        );
        let (vars, errors) = parse_env_file(ETC_DEFAULT_DOCKER);
        assert_eq!(errors, []);
        let lookup = |name: &str| {
            vars.iter()
                .rev()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(
            expand_argv(&argv, &lookup).unwrap(),
            strings(&[
                "/usr/sbin/dockerd",
                "-H",
                "fd://",
                "--containerd=/run/containerd/containerd.sock",
                "--dns",
                "8.8.8.8",
                "--dns",
                "8.8.4.4",
                "-H",
                "tcp://0.0.0.0:2375",
            ])
        );
        // Without /etc/default/docker (the `-` prefix makes it optional) the word disappears.
        assert_eq!(expand_argv(&argv, &|_| None).unwrap().len(), 4);
    }

    #[test]
    fn docker_ce_unit_and_clearing_drop_in() {
        let (main, errors) = parse(DOCKER_CE);
        assert_eq!(errors, []);
        let exec = get(&main, "Service", "ExecStart");
        assert_eq!(
            split_command(&exec[0].value).unwrap(),
            strings(&[
                "/usr/bin/dockerd",
                "-H",
                "fd://",
                "--containerd=/run/containerd/containerd.sock"
            ])
        );
        assert_eq!(
            get(&main, "Service", "ExecReload")[0].value,
            "/bin/kill -s HUP $MAINPID"
        );

        let (drop_in, errors) = parse("[Service]\nExecStart=\nExecStart=/usr/bin/dockerd\n");
        assert_eq!(errors, []);
        let files = vec![
            ("/lib/systemd/system/docker.service".to_string(), main),
            (
                "/etc/systemd/system/docker.service.d/override.conf".to_string(),
                drop_in,
            ),
        ];
        let eff = effective(&files, "Service", "ExecStart");
        assert_eq!(eff.len(), 1);
        assert_eq!(
            eff[0].0,
            "/etc/systemd/system/docker.service.d/override.conf"
        );
        assert_eq!(eff[0].1.value, "/usr/bin/dockerd");
        assert_eq!(eff[0].1.line, 3);
        // Without the drop-in, the main file's command stands.
        let eff = effective(&files[..1], "Service", "ExecStart");
        assert_eq!(eff.len(), 1);
        assert_eq!(eff[0].0, "/lib/systemd/system/docker.service");
        // Another section's key of the same name does not count.
        assert!(effective(&files, "Unit", "ExecStart").is_empty());
    }

    #[test]
    fn proxy_drop_in() {
        let text = "[Service]\nEnvironment=\"HTTP_PROXY=http://proxy.example.com:3128\"\nEnvironment=\"HTTPS_PROXY=https://proxy.example.com:3129\" \"NO_PROXY=localhost,127.0.0.1,docker-registry.example.com,.corp\"\n";
        let (entries, errors) = parse(text);
        assert_eq!(errors, []);
        let files = vec![("http-proxy.conf".to_string(), entries)];
        let vars: Vec<(String, String)> = effective(&files, "Service", "Environment")
            .into_iter()
            .flat_map(|(_, e)| split_environment(&e.value).unwrap())
            .collect();
        assert_eq!(
            vars,
            [
                ("HTTP_PROXY", "http://proxy.example.com:3128"),
                ("HTTPS_PROXY", "https://proxy.example.com:3129"),
                (
                    "NO_PROXY",
                    "localhost,127.0.0.1,docker-registry.example.com,.corp"
                ),
            ]
            .map(|(k, v)| (k.to_string(), v.to_string()))
        );
    }

    #[test]
    fn continued_exec_start() {
        let text = "[Service]\nExecStart=/usr/bin/dockerd \\\n  -H unix:///var/run/docker.sock \\\n  --tlsverify\nRestart=always\n";
        let (entries, errors) = parse(text);
        assert_eq!(errors, []);
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].key, "ExecStart");
        assert_eq!(entries[0].line, 2);
        assert_eq!(
            split_command(&entries[0].value).unwrap(),
            strings(&[
                "/usr/bin/dockerd",
                "-H",
                "unix:///var/run/docker.sock",
                "--tlsverify"
            ])
        );
        assert_eq!(entries[1].line, 5);

        // Comment lines inside a continuation are skipped; a blank line ends it.
        let text = "[Service]\nExecStart=/usr/bin/dockerd \\\n# --debug \\\n  --tlsverify \\\n\nUser=root\n";
        let (entries, errors) = parse(text);
        assert_eq!(errors, []);
        assert_eq!(entries[0].value, "/usr/bin/dockerd    --tlsverify");
        assert_eq!((entries[1].key.as_str(), entries[1].line), ("User", 6));

        // An escaped backslash does not continue; a continuation at the end of the file still counts.
        let (entries, _) = parse("[A]\nX=a\\\\\nY=b \\");
        assert_eq!(entries[0].value, "a\\\\");
        assert_eq!(entries[1].value, "b");
    }

    #[test]
    fn etc_default_docker() {
        let (vars, errors) = parse_env_file(ETC_DEFAULT_DOCKER);
        assert_eq!(errors, []);
        assert_eq!(
            vars,
            [
                (
                    "DOCKER_OPTS",
                    "--dns 8.8.8.8 --dns 8.8.4.4 -H tcp://0.0.0.0:2375"
                ),
                ("http_proxy", "http://127.0.0.1:3128/"),
            ]
            .map(|(k, v)| (k.to_string(), v.to_string()))
        );
    }

    #[test]
    fn unit_syntax_errors() {
        let text = "Orphan=1\n[Service]\nnot an assignment\n=value\n[Broken\nUnder=broken\n[Install]\n ; comment\n\tWantedBy = multi-user.target \r\n[]\n[A\"b]\n";
        let (entries, errors) = parse(text);
        assert_eq!(
            errors.iter().map(|e| e.line).collect::<Vec<_>>(),
            [1, 3, 4, 5, 10, 11]
        );
        assert_eq!(
            entries,
            [Entry {
                section: "Install".into(),
                key: "WantedBy".into(),
                value: "multi-user.target".into(),
                line: 9,
            }]
        );
        // A byte-order mark and `=` inside the value.
        let (entries, errors) = parse("\u{feff}[Service]\nEnvironment=A=b=c\n");
        assert_eq!(errors, []);
        assert_eq!(entries[0].value, "A=b=c");
    }

    #[test]
    fn command_prefixes_and_quoting() {
        assert_eq!(
            parse_command("-/usr/bin/foo a").unwrap(),
            ("-".to_string(), strings(&["/usr/bin/foo", "a"]))
        );
        assert_eq!(
            parse_command("@/usr/bin/dockerd dockerd -D").unwrap(),
            (
                "@".to_string(),
                strings(&["/usr/bin/dockerd", "dockerd", "-D"])
            )
        );
        assert_eq!(parse_command("!!/bin/x").unwrap().0, "!!");
        assert_eq!(parse_command("+-:@/bin/x").unwrap().0, "+-:@");
        // `!!!` is one prefix too many; `--x` strips one dash only; `+!` is a conflict.
        assert_eq!(
            parse_command("!!!x").unwrap(),
            ("!!".into(), strings(&["!x"]))
        );
        assert_eq!(split_command("--x").unwrap(), strings(&["-x"]));
        assert_eq!(split_command("+!x").unwrap(), strings(&["!x"]));
        assert!(split_command("-").is_err());
        assert!(split_command("@ /bin/true").is_err());
        assert_eq!(split_command("").unwrap(), Vec::<String>::new());
        assert_eq!(split_command("  \t ").unwrap(), Vec::<String>::new());

        assert_eq!(
            split_command(r#"/bin/sh -c "echo 'hi there' \"x\"" 'a\tb' c\ d"#).unwrap(),
            strings(&["/bin/sh", "-c", "echo 'hi there' \"x\"", "a\tb", "c d"])
        );
        assert_eq!(
            split_command(r#"/bin/x a"b c"d "" \x41\101\u00e9\U0001F600\s\n\\"#).unwrap(),
            strings(&["/bin/x", "ab cd", "", "AAé😀 \n\\"])
        );
        // Unknown or invalid escapes are kept verbatim, as systemd does after a warning.
        assert_eq!(
            split_command(r"/bin/x \d \x0g \000 \777 end\").unwrap(),
            strings(&["/bin/x", r"\d", r"\x0g", r"\000", r"\777", r"end\"])
        );
        // Raw bytes that are not UTF-8 never panic.
        assert_eq!(split_command(r"/bin/x \xff").unwrap()[1], "\u{fffd}");
        assert_eq!(
            split_command(r"/usr/bin/find / -exec rm {} \; ; /bin/true").unwrap(),
            strings(&[
                "/usr/bin/find",
                "/",
                "-exec",
                "rm",
                "{}",
                ";",
                ";",
                "/bin/true"
            ])
        );
        assert!(split_command("/bin/x \"unterminated").is_err());
        assert!(split_command("/bin/x 'unterminated").is_err());
        assert!(split_command("/bin/x \"a\\").is_err());
    }

    #[test]
    fn environment_expansion() {
        let lookup = |name: &str| match name {
            "OPTS" => Some("--debug  --label \"a b\""),
            "EMPTY" => Some(""),
            "HOST" => Some("example.com"),
            _ => None,
        };
        let argv = strings(&[
            "/bin/x",
            "$OPTS",
            "$EMPTY",
            "$UNSET",
            "--h=${HOST}:${UNSET}",
            "$$OPTS",
            "a$$b",
            "$HOST/x",
            "x$HOST",
            "${HOST",
            "${HOST:-d}",
            "$",
        ]);
        assert_eq!(
            expand_argv(&argv, &lookup).unwrap(),
            strings(&[
                "/bin/x",
                "--debug",
                "--label",
                "a b",
                "--h=example.com:",
                "$OPTS",
                "a$b",
                "x$HOST",
                "${HOST",
                "${HOST:-d}",
            ])
        );
    }

    #[test]
    fn environment_values() {
        assert_eq!(
            split_environment(r#"A=b "C=d e" 'F=g h' I=j\ k L= "M=\"q\"""#).unwrap(),
            [
                ("A", "b"),
                ("C", "d e"),
                ("F", "g h"),
                ("I", "j k"),
                ("L", ""),
                ("M", "\"q\""),
            ]
            .map(|(k, v)| (k.to_string(), v.to_string()))
        );
        assert_eq!(split_environment("").unwrap(), []);
        assert!(split_environment("\"A=b").is_err());
        assert!(split_environment("NO_EQUALS").is_err());
        assert!(split_environment("1A=b").is_err());
        assert!(split_environment("A-B=c").is_err());
        assert!(split_environment("=c").is_err());
    }

    #[test]
    fn env_file_details() {
        let text = "\
#!/bin/sh
; semicolon comment
   # indented comment
A=plain value   
B='single $HOME \\n'
C=\"double \\\"q\\\" \\\\ \\$HOME \\` \\n\"
D=bare # comment
E=bare#not-a-comment
F= # only a comment
G=\"x\"y'z'
H=\"multi
line\"
I=\"joined \\
here\"
J=bare\\
next
export   K=v
if [ -f /etc/default/x ]; then
  . /etc/default/x
fi
L = spaced
M=\"unterminated
N=after
export
O=
";
        let (vars, errors) = parse_env_file(text);
        let expect = [
            ("A", "plain value"),
            ("B", "single $HOME \\n"),
            ("C", "double \"q\" \\ $HOME ` \\n"),
            ("D", "bare"),
            ("E", "bare#not-a-comment"),
            ("F", ""),
            ("G", "xyz"),
            ("H", "multi\nline"),
            ("I", "joined here"),
            ("J", "barenext"),
            ("K", "v"),
            ("L", "spaced"),
            ("N", "after"),
            ("O", ""),
        ];
        assert_eq!(vars, expect.map(|(k, v)| (k.to_string(), v.to_string())));
        assert_eq!(
            errors.iter().map(|e| e.line).collect::<Vec<_>>(),
            [18, 19, 20, 22, 24]
        );
    }

    fn section_name_strategy() -> impl Strategy<Value = String> {
        "[A-Za-z][A-Za-z0-9_.-]{0,10}"
    }

    /// A value as it can appear after `=`: no surrounding whitespace, no trailing backslash, no line break.
    fn value_strategy() -> impl Strategy<Value = String> {
        "[ -~]{0,30}".prop_map(|v| {
            let mut v = v.trim_matches(' ').to_string();
            if v.ends_with('\\') {
                v.push('x');
            }
            v
        })
    }

    fn entry_strategy() -> impl Strategy<Value = (Option<String>, String, String)> {
        (
            proptest::option::of(prop_oneof![
                "#[ -~]{0,10}",
                ";[ -~]{0,10}",
                Just(String::new())
            ]),
            "[A-Za-z][A-Za-z0-9]{0,10}",
            value_strategy(),
        )
    }

    #[test]
    fn regression_unbounded_expansion_unit() {
        // A 16 KB unit repeating ${A} 4,000 times, and a 1 MB env file defining A: 4 GB once, now an error.
        let value = "x".repeat(1_000_000);
        let lookup = |name: &str| (name == "A").then_some(value.as_str());
        let word = "${A}".repeat(4000);
        let argv = vec!["/usr/bin/dockerd".to_owned(), word];
        assert_eq!(
            expand_argv(&argv, &lookup),
            Err(format!("expansion exceeds {MAX_EXPANDED_BYTES} bytes"))
        );
        let words: Vec<String> = std::iter::repeat_n("${A}".to_owned(), 4000).collect();
        assert!(expand_argv(&words, &lookup).is_err());
        let whole: Vec<String> = std::iter::repeat_n("$A".to_owned(), 4000).collect();
        assert!(expand_argv(&whole, &lookup).is_err());
        // Under the cap, expansion is what it was.
        assert_eq!(expand_argv(&["${A}".to_owned()], &lookup).unwrap(), [value]);
    }

    /// Regression (found by review): a whole-word `$A` counted only the words its value gave, so a value of blanks
    /// (no words) or of `''` pairs (empty words) could be named without end, each naming a scan of the value.
    #[test]
    fn regression_blank_values_were_free_under_the_cap() {
        for value in [" ".repeat(600 * 1024), "'' ".repeat(200 * 1024)] {
            let lookup = |name: &str| (name == "A").then_some(value.as_str());
            let argv: Vec<String> = std::iter::repeat_n("$A".to_owned(), 3).collect();
            assert_eq!(
                expand_argv(&argv, &lookup),
                Err(format!("expansion exceeds {MAX_EXPANDED_BYTES} bytes"))
            );
            assert!(expand_argv(&argv[..1], &lookup).is_ok());
        }
    }

    proptest! {
        #[test]
        fn expansion_stays_under_the_cap(
            words in prop::collection::vec(prop_oneof!["\\$\\{[AB]\\}", "\\$[AB]", "[a-z$]{0,4}"], 0..12),
            repeat in 1usize..400,
            a in 0usize..400_000,
            b in "[a-z \"']{0,20}",
        ) {
            let a = "a".repeat(a);
            let lookup = |name: &str| match name {
                "A" => Some(a.as_str()),
                "B" => Some(b.as_str()),
                _ => None,
            };
            let argv: Vec<String> = words.iter().map(|w| w.repeat(repeat)).collect();
            if let Ok(out) = expand_argv(&argv, &lookup) {
                prop_assert!(out.iter().map(String::len).sum::<usize>() <= MAX_EXPANDED_BYTES);
            }
        }
    }

    /// Runs every entry point on one input; the properties only ask that none panics.
    fn every_parser(text: &str) {
        let _ = parse(text);
        let _ = split_command(text);
        let _ = split_environment(text);
        let _ = parse_env_file(text);
        let argv: Vec<String> = text.split(' ').map(str::to_string).collect();
        let _ = expand_argv(&argv, &|name| (!name.is_empty()).then_some(text));
    }

    proptest! {
        #[test]
        fn never_panics(text in ".{0,300}") {
            every_parser(&text);
        }

        #[test]
        fn never_panics_on_syntax_characters(text in "[\\[\\]=#; \t\n\r\"'\\\\$@!:+{}xu0-9a-fA-Z-]{0,200}") {
            every_parser(&text);
        }

        #[test]
        fn assignments_round_trip(
            sections in proptest::collection::vec(
                (section_name_strategy(), proptest::collection::vec(entry_strategy(), 0..6)),
                0..5,
            )
        ) {
            let mut text = String::new();
            let mut expected = Vec::new();
            let mut line = 0;
            for (section, entries) in &sections {
                text.push_str(&format!("[{section}]\n"));
                line += 1;
                for (before, key, value) in entries {
                    if let Some(before) = before {
                        text.push_str(before);
                        text.push('\n');
                        line += 1;
                    }
                    text.push_str(&format!("{key}={value}\n"));
                    line += 1;
                    expected.push(Entry {
                        section: section.clone(),
                        key: key.clone(),
                        value: value.clone(),
                        line,
                    });
                }
            }
            let (entries, errors) = parse(&text);
            prop_assert_eq!(errors, []);
            prop_assert_eq!(entries, expected);
        }

        #[test]
        fn quoted_argv_round_trips(
            first in "/[^\\s\"\\\\]{1,15}",
            rest in proptest::collection::vec("\\PC{0,12}", 0..6),
        ) {
            let mut argv = vec![first];
            argv.extend(rest);
            let value = argv
                .iter()
                .map(|w| format!("\"{}\"", w.replace('\\', "\\\\").replace('"', "\\\"")))
                .collect::<Vec<_>>()
                .join(" ");
            prop_assert_eq!(split_command(&value).unwrap(), argv);
        }

        #[test]
        fn quoted_environment_round_trips(
            vars in proptest::collection::vec(("[A-Za-z_][A-Za-z0-9_]{0,8}", "\\PC{0,12}"), 0..5),
        ) {
            let value = vars
                .iter()
                .map(|(k, v)| format!("\"{k}={}\"", v.replace('\\', "\\\\").replace('"', "\\\"")))
                .collect::<Vec<_>>()
                .join(" ");
            prop_assert_eq!(split_environment(&value).unwrap(), vars);
        }

        #[test]
        fn env_file_double_quotes_round_trip(
            vars in proptest::collection::vec(("[A-Za-z_][A-Za-z0-9_]{0,8}", "[^\\n\\r]{0,20}"), 0..5),
        ) {
            let text: String = vars
                .iter()
                .map(|(k, v)| {
                    let mut escaped = String::new();
                    for c in v.chars() {
                        if matches!(c, '"' | '\\' | '$' | '`') {
                            escaped.push('\\');
                        }
                        escaped.push(c);
                    }
                    format!("{k}=\"{escaped}\"\n")
                })
                .collect();
            let (parsed, errors) = parse_env_file(&text);
            prop_assert_eq!(errors, []);
            prop_assert_eq!(parsed, vars);
        }

        #[test]
        fn effective_keeps_only_what_follows_the_last_reset(
            files in proptest::collection::vec(
                proptest::collection::vec(
                    (prop_oneof![Just("ExecStart"), Just("ExecReload")], prop_oneof![Just(String::new()), "[a-z/]{1,8}"]),
                    0..6,
                ),
                0..4,
            )
        ) {
            let files: Vec<(String, Vec<Entry>)> = files
                .into_iter()
                .enumerate()
                .map(|(i, entries)| {
                    let entries = entries
                        .into_iter()
                        .enumerate()
                        .map(|(n, (key, value))| Entry {
                            section: "Service".into(),
                            key: key.into(),
                            value,
                            line: n + 2,
                        })
                        .collect();
                    (format!("file{i}"), entries)
                })
                .collect();
            let all: Vec<(&str, &Entry)> = files
                .iter()
                .flat_map(|(label, entries)| entries.iter().map(move |e| (label.as_str(), e)))
                .filter(|(_, e)| e.key == "ExecStart")
                .collect();
            let after_reset = all
                .iter()
                .rposition(|(_, e)| e.value.is_empty())
                .map_or(0, |i| i + 1);
            let eff = effective(&files, "Service", "ExecStart");
            prop_assert!(eff.iter().all(|(_, e)| !e.value.is_empty() && e.key == "ExecStart"));
            prop_assert_eq!(eff, all[after_reset..].to_vec());
        }
    }
}
