//! Static reading of AppArmor policy files in `/etc/apparmor.d`, following apparmor.d(5).
//!
//! This is not a policy compiler. It finds the top-level profiles of a file, their names,
//! attachments and flags, and whether each one allows creating user namespaces (`userns,`),
//! which Ubuntu 23.10 and later require of any program that sets up a rootless container.
//! It also reads variable definitions (`@{HOME}=...`, normally from `tunables/`) and matches
//! an attachment pattern against an executable path with AppArmor's globbing rules.
//!
//! What the parser understands:
//!
//! * profile headers `profile NAME [ATTACHMENT] [flags=(...)] [xattrs=(...)] {` and
//!   `ATTACHMENT [flags=(...)] {` where the attachment starts with `/` or `@{`, with names and
//!   attachments optionally double-quoted;
//! * rules ending in `,`, and the newline-terminated statements `include <...>`,
//!   `include if exists <...>`, `#include <...>` and variable assignments;
//! * `#` comments, except `#include`, which is the old spelling of `include`;
//! * glob braces inside paths (`/usr/{bin,sbin}/x`), which are told apart from block braces by
//!   the character before them: a block's `{` follows whitespace or `)`.
//!
//! Child profiles and hats are skipped: their rules do not change the parent's permissions.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::parse::LineError;

/// One top-level profile of a policy file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Profile {
    /// The 1-based line where the profile header starts.
    pub line: usize,
    /// The profile name, unquoted. For a profile declared only by its path, the path.
    pub name: String,
    /// The attachment given after the name in `profile NAME ATTACHMENT {`, unquoted.
    pub attachment: Option<String>,
    /// The entries of `flags=(...)`, such as `unconfined` or `complain`.
    pub flags: Vec<String>,
    /// Whether the profile's own rules allow creating user namespaces.
    pub userns: bool,
}

impl Profile {
    /// Returns the pattern of executables this profile attaches to: the explicit attachment,
    /// else the name when the name is itself a path (`/usr/bin/foo {`). A named profile
    /// without an attachment attaches to nothing; it is only entered by explicit transitions.
    pub fn attach_pattern(&self) -> Option<&str> {
        match &self.attachment {
            Some(a) => Some(a),
            None if self.name.starts_with('/') || self.name.starts_with("@{") => Some(&self.name),
            None => None,
        }
    }
}

/// Variable definitions: name (without `@{}`) to its values.
pub type Variables = BTreeMap<String, Vec<String>>;

/// How many alternatives a pattern may expand to (through variables and `{a,b}` groups)
/// before the rest are ignored. Real attachments expand to a handful; the bound keeps hostile
/// or cyclic definitions from consuming unbounded time and memory.
const MAX_ALTERNATIVES: usize = 512;

/// How many variable substitutions may be nested inside one another; deeper nesting can only
/// come from a cycle such as `@{A}=@{B}` and `@{B}=@{A}`.
const MAX_VARIABLE_DEPTH: usize = 16;

/// How many steps an expansion may take in total, bounding the work even when most
/// intermediate results are later discarded.
const MAX_EXPANSION_STEPS: usize = 4096;

/// How many bytes the strings an expansion builds may hold in total. The step bound alone is not a size
/// bound: `@{A}` defined (directly or through others) in terms of itself with long values doubles at every
/// step, and an 8 MB tunables file reached a gigabyte. Real attachments expand to a few kilobytes.
pub const MAX_EXPANSION_BYTES: usize = 1024 * 1024;

/// Counts the bytes an expansion builds against [`MAX_EXPANSION_BYTES`].
fn spend(bytes: &mut usize, len: usize, variable: Option<&str>) -> Result<(), String> {
    *bytes = bytes.saturating_add(len);
    if *bytes > MAX_EXPANSION_BYTES {
        let through = variable
            .map(|v| format!(" (through @{{{v}}})"))
            .unwrap_or_default();
        Err(format!(
            "expanding the attachment{through} exceeds {MAX_EXPANSION_BYTES} bytes"
        ))
    } else {
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Profiles
// ---------------------------------------------------------------------------------------------

/// What an open `{` belongs to.
#[derive(Debug, Clone, Copy)]
enum Frame {
    /// A top-level profile; the index is into the output list.
    Profile(usize),
    /// A child profile or hat, whose rules are ignored.
    Child,
    /// Any other block, such as a conditional; its rules count for the enclosing profile.
    Other,
}

/// What a block header turned out to be.
enum Header {
    Profile {
        name: String,
        attachment: Option<String>,
        flags: Vec<String>,
    },
    Hat,
    Other,
}

/// The running state of [`parse_profiles`].
#[derive(Default)]
struct Scanner {
    profiles: Vec<Profile>,
    /// Per profile: whether an allowing and whether a denying `userns` rule was seen.
    userns_rules: Vec<(bool, bool)>,
    errors: Vec<LineError>,
    /// Open blocks, each with the line of its header and the profile or child frame its rules
    /// belong to (kept per entry so that finding it does not walk the whole stack).
    stack: Vec<(Frame, usize, Option<Frame>)>,
    /// The statement being accumulated and the line where it started.
    buf: String,
    buf_line: usize,
    /// Whether `buf` holds anything but whitespace, tracked so that it need not be rescanned
    /// for every character.
    has_content: bool,
}

/// Finds the top-level profiles in the text of one policy file.
///
/// Problems (unbalanced braces, unterminated quotes, headers that are not profiles) are
/// reported with their line numbers; profiles that could be read are returned regardless.
pub fn parse_profiles(text: &str) -> (Vec<Profile>, Vec<LineError>) {
    let mut s = Scanner::default();
    let mut line = 1usize;
    let mut in_quote = false;
    let mut in_comment = false;
    let mut escaped = false;
    // Depth of glob `{...}` groups and of `(...)` groups in the current statement; commas and
    // braces inside them do not end statements or blocks.
    let mut glob_depth = 0usize;
    let mut paren_depth = 0usize;
    let mut prev: Option<char> = None;

    for (i, c) in text.char_indices() {
        if c == '\n' {
            if in_quote {
                s.error(line, "unterminated quote");
                in_quote = false;
                escaped = false;
            }
            in_comment = false;
            if ends_at_newline(&s.buf) {
                s.finish_statement();
                glob_depth = 0;
                paren_depth = 0;
            } else if !s.buf.is_empty() {
                s.buf.push(' ');
            }
            line += 1;
            prev = Some(c);
            continue;
        }
        if in_comment {
            continue;
        }
        if in_quote {
            s.buf.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_quote = false;
            }
            prev = Some(c);
            continue;
        }
        // A '#' starts a comment at the start of a statement or after whitespace; glued to
        // other text it is part of a path such as `/tmp/#x`.
        if c == '#' && (!s.has_content || prev.is_none_or(char::is_whitespace)) {
            let rest = text.get(i + 1..).unwrap_or("");
            if !rest.starts_with("include") {
                in_comment = true;
                continue;
            }
        }
        if !s.has_content && !c.is_whitespace() {
            s.buf.clear();
            s.buf_line = line;
            s.has_content = true;
        }
        // Variable assignments and include targets may contain characters that would
        // otherwise be structural, such as `{` in a value, so they are taken verbatim.
        if is_opaque(&s.buf) {
            s.buf.push(c);
            prev = Some(c);
            continue;
        }
        match c {
            '"' => {
                in_quote = true;
                s.buf.push(c);
            }
            '(' => {
                paren_depth += 1;
                s.buf.push(c);
            }
            ')' => {
                paren_depth = paren_depth.saturating_sub(1);
                s.buf.push(c);
            }
            '{' if paren_depth > 0 || is_glob_brace(prev, text.get(i + 1..), s.has_content) => {
                glob_depth += 1;
                s.buf.push(c);
            }
            '{' => {
                let header = std::mem::take(&mut s.buf);
                s.has_content = false;
                s.open_block(header.trim_ascii(), line);
                glob_depth = 0;
                paren_depth = 0;
            }
            '}' if glob_depth > 0 => {
                glob_depth -= 1;
                s.buf.push(c);
            }
            '}' => {
                // A statement left without its comma before the closing brace is still read,
                // being lenient where the compiler would complain.
                s.finish_statement();
                s.close_block(line);
                paren_depth = 0;
            }
            ',' if glob_depth == 0 && paren_depth == 0 => s.finish_statement(),
            _ => s.buf.push(c),
        }
        prev = Some(c);
    }
    if in_quote {
        s.error(line, "unterminated quote");
    }
    s.finish_statement();
    while let Some((frame, opened, _)) = s.stack.pop() {
        let message = match frame {
            Frame::Profile(index) => match s.profiles.get(index) {
                Some(p) => format!("profile {} is never closed", p.name),
                None => "block is never closed".to_string(),
            },
            Frame::Child | Frame::Other => "block is never closed".to_string(),
        };
        s.error(opened, &message);
    }
    for (profile, (allow, deny)) in s.profiles.iter_mut().zip(&s.userns_rules) {
        // In AppArmor an explicit deny always wins over an allow, whatever their order.
        profile.userns = *allow && !*deny;
    }
    s.errors.sort_by_key(|e| e.line);
    (s.profiles, s.errors)
}

impl Scanner {
    fn error(&mut self, line: usize, message: &str) {
        self.errors.push(LineError {
            line,
            message: message.to_string(),
        });
    }

    /// Returns the innermost enclosing profile or child frame, looking through other blocks.
    fn owner(&self) -> Option<Frame> {
        self.stack.last().and_then(|(_, _, owner)| *owner)
    }

    fn open_block(&mut self, header: &str, line: usize) {
        let line = if header.is_empty() {
            line
        } else {
            self.buf_line
        };
        let frame = match (parse_header(header), self.owner()) {
            // Inside a profile, any nested profile or hat is a child whose rules are skipped.
            (Ok(Header::Profile { .. } | Header::Hat), Some(_)) => Frame::Child,
            (Ok(Header::Other), Some(_)) => Frame::Other,
            (
                Ok(Header::Profile {
                    name,
                    attachment,
                    flags,
                }),
                None,
            ) => {
                self.profiles.push(Profile {
                    line,
                    name,
                    attachment,
                    flags,
                    userns: false,
                });
                self.userns_rules.push((false, false));
                Frame::Profile(self.profiles.len() - 1)
            }
            (Ok(Header::Hat), None) => {
                self.error(line, "hat outside of a profile");
                Frame::Child
            }
            (Ok(Header::Other), None) => {
                let shown: String = header.chars().take(60).collect();
                self.error(line, &format!("unrecognised block {shown:?}"));
                Frame::Other
            }
            (Err(message), _) => {
                self.error(line, &message);
                Frame::Other
            }
        };
        let owner = match frame {
            Frame::Other => self.owner(),
            Frame::Profile(_) | Frame::Child => Some(frame),
        };
        self.stack.push((frame, line, owner));
    }

    fn close_block(&mut self, line: usize) {
        if self.stack.pop().is_none() {
            self.error(line, "unmatched closing brace");
        }
    }

    /// Interprets the accumulated statement, then clears it.
    fn finish_statement(&mut self) {
        let statement = std::mem::take(&mut self.buf);
        self.has_content = false;
        let Some(Frame::Profile(index)) = self.owner() else {
            return;
        };
        let Some(rule) = userns_rule(&statement) else {
            return;
        };
        if let Some((allow, deny)) = self.userns_rules.get_mut(index) {
            if rule {
                *allow = true;
            } else {
                *deny = true;
            }
        }
    }
}

/// Returns whether a `{` is part of a glob (`/usr/{bin,sbin}`, `@{HOME}`) rather than the
/// start of a block. Glob braces are glued to the path text before them and to the first
/// alternative after them; a block's brace follows whitespace or `)`, or is followed by
/// whitespace (`profile x /usr/bin/x{` on its own line).
fn is_glob_brace(prev: Option<char>, after: Option<&str>, has_content: bool) -> bool {
    let Some(prev) = prev else {
        return false;
    };
    let next = after.and_then(|rest| rest.chars().next());
    has_content && !prev.is_whitespace() && prev != ')' && next.is_some_and(|c| !c.is_whitespace())
}

/// Returns true for statements that end at the end of the line rather than at a comma:
/// includes and variable assignments.
fn ends_at_newline(buf: &str) -> bool {
    let head = head(buf);
    is_include(head) || is_assignment(head)
}

/// The statement kinds are decided by how a statement starts, so the checks look only at a
/// bounded prefix; this keeps the per-character cost constant on pathological input.
fn head(buf: &str) -> &str {
    const HEAD: usize = 256;
    match buf.char_indices().nth(HEAD) {
        Some((end, _)) => buf.get(..end).unwrap_or(buf),
        None => buf,
    }
}

/// Returns true while a statement must be read verbatim: a variable assignment, or an include
/// whose target (`<...>` or `"..."`) is not finished yet. A finished include is followed by
/// ordinary text again, such as the `}` of a profile written on one line.
fn is_opaque(buf: &str) -> bool {
    let head = head(buf);
    if is_assignment(head) {
        return true;
    }
    if !is_include(head) {
        return false;
    }
    let finished = head.contains('>') || head.matches('"').count() >= 2;
    !finished
}

fn is_include(buf: &str) -> bool {
    let t = buf.trim_ascii_start();
    ["include", "#include"].iter().any(|kw| {
        t.strip_prefix(kw).is_some_and(|rest| {
            rest.starts_with(|c: char| c.is_whitespace() || c == '<' || c == '"')
        })
    })
}

/// Returns true for `@{NAME}=...`, `@{NAME}+=...` and boolean `$NAME=...` assignments.
fn is_assignment(buf: &str) -> bool {
    let t = buf.trim_ascii_start();
    (t.starts_with('$') && t.contains('=')) || is_variable_assignment(t)
}

/// Returns true when `t` starts with `@{NAME}` followed by `=` or `+=`.
fn is_variable_assignment(t: &str) -> bool {
    let Some(rest) = t.strip_prefix("@{") else {
        return false;
    };
    // Variable names are short; looking only at a bounded prefix keeps this check cheap even
    // on a pathological statement.
    let Some(close) = rest
        .char_indices()
        .take(128)
        .find(|(_, c)| *c == '}')
        .map(|(i, _)| i)
    else {
        return false;
    };
    let after = rest.get(close + 1..).unwrap_or("").trim_ascii_start();
    after.starts_with('=') || after.starts_with("+=")
}

/// Classifies a `userns` rule: `Some(true)` for an allowing rule, `Some(false)` for a denying
/// one, `None` for any other statement.
fn userns_rule(statement: &str) -> Option<bool> {
    let mut deny = false;
    let mut tokens = statement.split_whitespace().peekable();
    while let Some(&token) = tokens.peek() {
        match token {
            "audit" | "allow" | "quiet" => {}
            "deny" => deny = true,
            t if t.starts_with("priority=") => {}
            _ => break,
        }
        tokens.next();
    }
    let rest: Vec<&str> = tokens.collect();
    match rest.as_slice() {
        ["userns"] | ["userns", "create"] => Some(!deny),
        _ => None,
    }
}

/// Interprets a block header.
fn parse_header(header: &str) -> Result<Header, String> {
    let mut positional = Vec::new();
    let mut flags = Vec::new();
    for token in header_tokens(header) {
        if let Some(list) = token.strip_prefix("flags=") {
            flags.extend(parse_flags(list));
        } else if token.starts_with('(') {
            // The old header syntax gives flags in bare parentheses.
            flags.extend(parse_flags(&token));
        } else if token.starts_with("xattrs=") {
            // Extended-attribute conditions narrow the attachment; they are not needed to
            // decide which path a profile covers.
        } else {
            positional.push(token);
        }
    }
    let Some(first) = positional.first() else {
        return Ok(Header::Other);
    };
    if first == "profile" {
        let Some(name) = positional.get(1) else {
            return Err("profile without a name".to_string());
        };
        return Ok(Header::Profile {
            name: unquote(name),
            attachment: positional.get(2).map(|a| unquote(a)),
            flags,
        });
    }
    if first == "hat" || first.starts_with('^') {
        return Ok(Header::Hat);
    }
    let name = unquote(first);
    if name.starts_with('/') || name.starts_with("@{") || name.starts_with(':') {
        return Ok(Header::Profile {
            name,
            attachment: None,
            flags,
        });
    }
    Ok(Header::Other)
}

/// Splits a header into tokens at whitespace outside quotes and parentheses, after gluing
/// `flags = (a, b)` into `flags=(a, b)`.
fn header_tokens(header: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    let mut in_quote = false;
    let mut depth = 0usize;
    let chars: Vec<char> = header.chars().collect();
    // next_visible[i] is the first non-whitespace character at or after i, computed once so
    // that long runs of whitespace do not make tokenising quadratic.
    let mut next_visible: Vec<Option<char>> = vec![None; chars.len() + 1];
    for i in (0..chars.len()).rev() {
        let here = chars.get(i).copied().filter(|c| !c.is_whitespace());
        let later = next_visible.get(i + 1).copied().flatten();
        if let Some(slot) = next_visible.get_mut(i) {
            *slot = here.or(later);
        }
    }
    for (i, &c) in chars.iter().enumerate() {
        if in_quote {
            current.push(c);
            if c == '"' {
                in_quote = false;
            }
            continue;
        }
        match c {
            '"' => {
                in_quote = true;
                current.push(c);
            }
            '(' => {
                depth += 1;
                current.push(c);
            }
            ')' => {
                depth = depth.saturating_sub(1);
                current.push(c);
            }
            c if c.is_whitespace() && depth == 0 => {
                // Whitespace next to '=' belongs to the same token: `flags = (x)`.
                let next = next_visible.get(i + 1).copied().flatten();
                if current.ends_with('=') || next == Some('=') {
                    continue;
                }
                if !current.is_empty() {
                    tokens.push(std::mem::take(&mut current));
                }
            }
            _ => current.push(c),
        }
    }
    if !current.is_empty() {
        tokens.push(current);
    }
    tokens
}

/// Splits `(a, b c)` into its flags.
fn parse_flags(list: &str) -> Vec<String> {
    list.trim_ascii()
        .trim_start_matches('(')
        .trim_end_matches(')')
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|f| !f.is_empty())
        .map(str::to_string)
        .collect()
}

/// Removes surrounding double quotes, undoing backslash escapes inside them.
fn unquote(token: &str) -> String {
    let Some(inner) = token
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .filter(|_| token.len() >= 2)
    else {
        return token.to_string();
    };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            out.push(chars.next().unwrap_or('\\'));
        } else {
            out.push(c);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Variables
// ---------------------------------------------------------------------------------------------

/// Reads variable assignments from `text` into `vars`.
///
/// `@{NAME}=a b` sets the values (replacing earlier ones), `@{NAME}+=c` appends. Values are
/// separated by whitespace and may be double-quoted to contain spaces. Everything else in the
/// text is ignored, so whole tunables files or profiles can be fed in; the caller decides which
/// files to read and in which order, as includes would.
pub fn parse_variables(text: &str, vars: &mut Variables) {
    for raw in text.lines() {
        let line = strip_comment(raw).trim_ascii();
        let Some(rest) = line.strip_prefix("@{") else {
            continue;
        };
        let Some((name, after)) = rest.split_once('}') else {
            continue;
        };
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        let after = after.trim_ascii_start();
        let (append, values) = if let Some(v) = after.strip_prefix("+=") {
            (true, v)
        } else if let Some(v) = after.strip_prefix('=') {
            (false, v)
        } else {
            continue;
        };
        let values = split_values(values);
        let entry = vars.entry(name.to_string()).or_default();
        if !append {
            entry.clear();
        }
        entry.extend(values);
    }
}

/// Cuts a `#` comment off a line, ignoring `#` inside quotes or glued to other text.
fn strip_comment(line: &str) -> &str {
    let mut in_quote = false;
    let mut prev: Option<char> = None;
    for (i, c) in line.char_indices() {
        match c {
            '"' => in_quote = !in_quote,
            '#' if !in_quote && prev.is_none_or(char::is_whitespace) => {
                return line.get(..i).unwrap_or(line);
            }
            _ => {}
        }
        prev = Some(c);
    }
    line
}

/// Splits a variable's value list at whitespace outside double quotes, removing the quotes.
fn split_values(text: &str) -> Vec<String> {
    let mut values = Vec::new();
    let mut current = String::new();
    let mut in_quote = false;
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => {
                in_quote = !in_quote;
                quoted = true;
            }
            c if c.is_whitespace() && !in_quote => {
                if !current.is_empty() || quoted {
                    values.push(std::mem::take(&mut current));
                }
                quoted = false;
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() || quoted {
        values.push(current);
    }
    values
}

// ---------------------------------------------------------------------------------------------
// Matching
// ---------------------------------------------------------------------------------------------

/// Returns true when `path` is matched by the attachment `pattern`, with `@{VAR}` references
/// expanded from `vars`.
///
/// Globbing follows apparmor.d(5): `*` matches within one path component, `**` across
/// components, `?` one non-`/` character, `[...]` a character class, `{a,b}` alternatives.
/// Repeated slashes are collapsed in both the pattern and the path, as AppArmor does, so that
/// `@{HOME}/bin` with `@{HOME}=/home/*/` works. A reference to an undefined variable makes its
/// alternative match nothing. Patterns or paths longer than `PATH_MAX` (4096) match nothing,
/// and at most 512 expanded alternatives are tried. `Err` when the expansion would build more than
/// [`MAX_EXPANSION_BYTES`] (self-referencing or huge variables), naming the variable it went through.
pub fn attachment_matches(pattern: &str, vars: &Variables, path: &str) -> Result<bool, String> {
    // Nothing longer than PATH_MAX can be an executable's path, and refusing longer input
    // bounds the matching work.
    const PATH_MAX: usize = 4096;
    if pattern.len() > PATH_MAX || path.len() > PATH_MAX {
        return Ok(false);
    }
    let pattern = unquote(pattern.trim_ascii());
    let path: Vec<char> = collapse_slashes(path).chars().collect();
    let mut steps = 0usize;
    let mut bytes = 0usize;
    let mut checked = 0usize;
    for alternative in expand_variables(&pattern, vars, &mut steps, &mut bytes)? {
        for expanded in expand_braces(&alternative, &mut steps, &mut bytes)? {
            checked += 1;
            if checked > MAX_ALTERNATIVES {
                return Ok(false);
            }
            if glob_match(&compile_glob(&collapse_slashes(&expanded)), &path) {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

/// Expands every `@{NAME}` in `pattern`, producing one string per combination of values.
fn expand_variables(
    pattern: &str,
    vars: &Variables,
    steps: &mut usize,
    bytes: &mut usize,
) -> Result<Vec<String>, String> {
    let mut done = Vec::new();
    let mut work = vec![(pattern.to_string(), 0usize)];
    while let Some((text, depth)) = work.pop() {
        *steps += 1;
        if *steps > MAX_EXPANSION_STEPS || done.len() >= MAX_ALTERNATIVES {
            break;
        }
        let Some((prefix, name, suffix)) = find_variable(&text) else {
            done.push(text);
            continue;
        };
        // Undefined variables and runaway (cyclic) nesting drop the alternative.
        if depth >= MAX_VARIABLE_DEPTH {
            continue;
        }
        let Some(values) = vars.get(name) else {
            continue;
        };
        for value in values.iter().rev() {
            spend(bytes, prefix.len() + value.len() + suffix.len(), Some(name))?;
            work.push((format!("{prefix}{value}{suffix}"), depth + 1));
        }
    }
    Ok(done)
}

/// Finds the first `@{NAME}` reference, returning the text before it, the name, and the text
/// after it.
fn find_variable(text: &str) -> Option<(&str, &str, &str)> {
    let start = text.find("@{")?;
    let after = text.get(start + 2..)?;
    let close = after.find('}')?;
    Some((
        text.get(..start)?,
        after.get(..close)?,
        after.get(close + 1..)?,
    ))
}

/// Expands `{a,b}` alternation groups, including nested ones, into plain globs.
fn expand_braces(
    pattern: &str,
    steps: &mut usize,
    bytes: &mut usize,
) -> Result<Vec<String>, String> {
    let mut done = Vec::new();
    let mut work = vec![pattern.to_string()];
    while let Some(text) = work.pop() {
        *steps += 1;
        if *steps > MAX_EXPANSION_STEPS || done.len() >= MAX_ALTERNATIVES {
            break;
        }
        let Some((open, close)) = find_brace_group(&text) else {
            done.push(text);
            continue;
        };
        let (Some(prefix), Some(inner), Some(suffix)) = (
            text.get(..open),
            text.get(open + 1..close),
            text.get(close + 1..),
        ) else {
            done.push(text);
            continue;
        };
        for alternative in split_top_level_commas(inner).into_iter().rev() {
            spend(bytes, prefix.len() + alternative.len() + suffix.len(), None)?;
            work.push(format!("{prefix}{alternative}{suffix}"));
        }
    }
    Ok(done)
}

/// Returns the byte positions of the first unescaped `{` outside a character class and of its
/// matching `}`, or `None` if there is no complete group.
fn find_brace_group(text: &str) -> Option<(usize, usize)> {
    let mut open = None;
    let mut depth = 0usize;
    let mut escaped = false;
    let mut in_class = false;
    for (i, c) in text.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            '[' if !in_class => in_class = true,
            ']' if in_class => in_class = false,
            '{' if !in_class => {
                if open.is_none() {
                    open = Some(i);
                }
                depth += 1;
            }
            '}' if !in_class && depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    return open.map(|o| (o, i));
                }
            }
            _ => {}
        }
    }
    None
}

/// Splits the inside of a brace group at commas that are not inside a nested group.
fn split_top_level_commas(inner: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut escaped = false;
    let mut start = 0usize;
    for (i, c) in inner.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(inner.get(start..i).unwrap_or(""));
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(inner.get(start..).unwrap_or(""));
    parts
}

/// Replaces every run of `/` with a single `/`.
fn collapse_slashes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c == '/' && out.ends_with('/') {
            continue;
        }
        out.push(c);
    }
    out
}

/// One element of a compiled glob.
#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Literal(char),
    /// `*`: any run of characters other than `/`.
    Star,
    /// `**`: any run of characters.
    DoubleStar,
    /// `?`, and the mandatory first character of a path component matched by `*` or `**`.
    One,
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
}

/// Compiles a brace-free glob.
///
/// Like the AppArmor compiler, a `*` or `**` that forms a whole path component (it follows a
/// `/` and is followed by `/` or the end) must match at least one character, so `/home/*/`
/// does not match `/home//` and `/dir/*` does not match `/dir/`.
fn compile_glob(pattern: &str) -> Vec<Tok> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0usize;
    while let Some(&c) = chars.get(i) {
        match c {
            '\\' => {
                tokens.push(Tok::Literal(chars.get(i + 1).copied().unwrap_or('\\')));
                i += 2;
            }
            '*' => {
                let run = chars
                    .get(i..)
                    .unwrap_or(&[])
                    .iter()
                    .take_while(|&&c| c == '*')
                    .count();
                let after = chars.get(i + run);
                let whole_component =
                    tokens.last() == Some(&Tok::Literal('/')) && after.is_none_or(|&c| c == '/');
                if whole_component {
                    tokens.push(Tok::One);
                }
                tokens.push(if run >= 2 { Tok::DoubleStar } else { Tok::Star });
                i += run;
            }
            '?' => {
                tokens.push(Tok::One);
                i += 1;
            }
            '[' => match compile_class(&chars, i) {
                Some((tok, next)) => {
                    tokens.push(tok);
                    i = next;
                }
                None => {
                    tokens.push(Tok::Literal('['));
                    i += 1;
                }
            },
            _ => {
                tokens.push(Tok::Literal(c));
                i += 1;
            }
        }
    }
    tokens
}

/// Compiles the class starting at `chars[start] == '['`, returning it and the index after its
/// closing `]`, or `None` if it is never closed.
fn compile_class(chars: &[char], start: usize) -> Option<(Tok, usize)> {
    let mut i = start + 1;
    let negated = matches!(chars.get(i), Some('^' | '!'));
    if negated {
        i += 1;
    }
    let mut ranges = Vec::new();
    let mut first = true;
    loop {
        let c = *chars.get(i)?;
        // A ']' right after the opening bracket is a literal member, as in POSIX classes.
        if c == ']' && !first {
            return Some((Tok::Class { negated, ranges }, i + 1));
        }
        first = false;
        let c = if c == '\\' {
            i += 1;
            *chars.get(i)?
        } else {
            c
        };
        if chars.get(i + 1) == Some(&'-')
            && let Some(&end) = chars.get(i + 2).filter(|&&e| e != ']')
        {
            ranges.push((c, end));
            i += 3;
        } else {
            ranges.push((c, c));
            i += 1;
        }
    }
}

/// Matches a compiled glob against a whole path, in O(tokens × path) time.
fn glob_match(tokens: &[Tok], path: &[char]) -> bool {
    // reachable[j] is true when the tokens processed so far can match exactly path[..j].
    let mut reachable = vec![false; path.len() + 1];
    if let Some(first) = reachable.first_mut() {
        *first = true;
    }
    for tok in tokens {
        let mut next = vec![false; path.len() + 1];
        match tok {
            Tok::Star | Tok::DoubleStar => {
                let crosses_slash = matches!(tok, Tok::DoubleStar);
                let mut carried = false;
                for (j, slot) in next.iter_mut().enumerate() {
                    // Extending a match by one more character is allowed unless that
                    // character is a '/' and the token stays within one component.
                    let extend = carried
                        && j > 0
                        && path.get(j - 1).is_some_and(|&c| crosses_slash || c != '/');
                    carried = reachable.get(j).copied().unwrap_or(false) || extend;
                    *slot = carried;
                }
            }
            single => {
                for (j, &c) in path.iter().enumerate() {
                    if reachable.get(j).copied().unwrap_or(false)
                        && matches_one(single, c)
                        && let Some(slot) = next.get_mut(j + 1)
                    {
                        *slot = true;
                    }
                }
            }
        }
        if !next.iter().any(|&r| r) {
            return false;
        }
        reachable = next;
    }
    reachable.last().copied().unwrap_or(false)
}

fn matches_one(tok: &Tok, c: char) -> bool {
    match tok {
        Tok::Literal(l) => *l == c,
        Tok::One => c != '/',
        Tok::Class { negated, ranges } => {
            ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi) != *negated
        }
        Tok::Star | Tok::DoubleStar => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// `/etc/apparmor.d/rootlesskit` as shipped by Ubuntu 24.04's apparmor package.
    const UBUNTU_ROOTLESSKIT: &str = "abi <abi/4.0>,\ninclude <tunables/global>\n\nprofile rootlesskit /usr/bin/rootlesskit flags=(unconfined) {\n  userns,\n\n  # Site-specific additions and overrides. See local/README for details.\n  include if exists <local/rootlesskit>\n}\n";

    /// The profile Docker's rootless documentation tells users to create for a rootlesskit in
    /// their home directory, after the shell has expanded `$HOME`.
    const DOCS_HOME_ROOTLESSKIT: &str = "abi <abi/4.0>,\ninclude <tunables/global>\n\n\"/home/alice/bin/rootlesskit\" flags=(unconfined) {\n  userns,\n\n  include if exists <local/home.alice.bin.rootlesskit>\n}\n";

    const TUNABLES: &str = "# ------------------------------------------------------------------\n#    Copyright (C) 2006-2009 Novell/SUSE\n# ------------------------------------------------------------------\n\n# @{HOME} is a space-separated list of all user home directories.\n@{HOMEDIRS}=/home/\n\n@{HOME}=@{HOMEDIRS}/*/ /root/\n";

    fn vars(text: &str) -> Variables {
        let mut v = Variables::new();
        parse_variables(text, &mut v);
        v
    }

    #[test]
    fn ubuntu_rootlesskit_profile() {
        let (profiles, errors) = parse_profiles(UBUNTU_ROOTLESSKIT);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(
            profiles,
            vec![Profile {
                line: 4,
                name: "rootlesskit".into(),
                attachment: Some("/usr/bin/rootlesskit".into()),
                flags: vec!["unconfined".into()],
                userns: true,
            }]
        );
        let pattern = profiles[0].attach_pattern().unwrap();
        let v = Variables::new();
        assert!(attachment_matches(pattern, &v, "/usr/bin/rootlesskit"));
        assert!(!attachment_matches(
            pattern,
            &v,
            "/home/alice/bin/rootlesskit"
        ));
    }

    #[test]
    fn docs_profile_for_a_home_directory_binary() {
        let (profiles, errors) = parse_profiles(DOCS_HOME_ROOTLESSKIT);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(profiles.len(), 1);
        let p = &profiles[0];
        assert_eq!(p.name, "/home/alice/bin/rootlesskit");
        assert_eq!(p.attachment, None);
        assert_eq!(p.flags, vec!["unconfined"]);
        assert!(p.userns);
        assert_eq!(p.attach_pattern(), Some("/home/alice/bin/rootlesskit"));
        assert!(attachment_matches(
            p.attach_pattern().unwrap(),
            &Variables::new(),
            "/home/alice/bin/rootlesskit"
        ));
    }

    #[test]
    fn one_line_profile() {
        let text = "\"/home/alice/bin/rootlesskit\" flags=(unconfined) { userns, include if exists <local/home.alice.bin.rootlesskit> }";
        let (profiles, errors) = parse_profiles(text);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(profiles.len(), 1);
        assert!(profiles[0].userns);
    }

    #[test]
    fn home_attachment_with_tunables() {
        let v = vars(TUNABLES);
        assert_eq!(v.get("HOMEDIRS"), Some(&vec!["/home/".to_string()]));
        assert_eq!(
            v.get("HOME"),
            Some(&vec!["@{HOMEDIRS}/*/".to_string(), "/root/".to_string()])
        );
        let text = "include <tunables/global>\nprofile rootlesskit_home @{HOME}/bin/rootlesskit flags=(unconfined) {\n  userns,\n}\n";
        let (profiles, errors) = parse_profiles(text);
        assert!(errors.is_empty(), "{errors:?}");
        let pattern = profiles[0].attach_pattern().unwrap();
        assert_eq!(pattern, "@{HOME}/bin/rootlesskit");
        assert!(attachment_matches(
            pattern,
            &v,
            "/home/alice/bin/rootlesskit"
        ));
        assert!(attachment_matches(pattern, &v, "/root/bin/rootlesskit"));
        assert!(attachment_matches(
            pattern,
            &v,
            "/home//alice//bin/rootlesskit"
        ));
        assert!(!attachment_matches(
            pattern,
            &v,
            "/home/alice/x/bin/rootlesskit"
        ));
        assert!(!attachment_matches(pattern, &v, "/home/bin/rootlesskit"));
        assert!(!attachment_matches(
            pattern,
            &v,
            "/srv/alice/bin/rootlesskit"
        ));
        // Without the tunables the variable is undefined and nothing matches.
        assert!(!attachment_matches(
            pattern,
            &Variables::new(),
            "/home/alice/bin/rootlesskit"
        ));

        let mut more = v.clone();
        parse_variables("@{HOMEDIRS}+=/srv/users/\n", &mut more);
        assert!(attachment_matches(
            pattern,
            &more,
            "/srv/users/bob/bin/rootlesskit"
        ));
        assert!(attachment_matches(
            pattern,
            &more,
            "/home/alice/bin/rootlesskit"
        ));
    }

    #[test]
    fn alternation_attachment() {
        let text = "profile rootlesskit /usr/bin/{rootlesskit,docker-rootlesskit} flags=(unconfined) {\n  userns,\n  /usr/{bin,sbin}/* rix,\n}\n";
        let (profiles, errors) = parse_profiles(text);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(profiles.len(), 1);
        let pattern = profiles[0].attach_pattern().unwrap();
        assert_eq!(pattern, "/usr/bin/{rootlesskit,docker-rootlesskit}");
        let v = Variables::new();
        assert!(attachment_matches(pattern, &v, "/usr/bin/rootlesskit"));
        assert!(attachment_matches(
            pattern,
            &v,
            "/usr/bin/docker-rootlesskit"
        ));
        assert!(!attachment_matches(pattern, &v, "/usr/bin/rootlesskit2"));
    }

    #[test]
    fn glob_semantics() {
        let v = vars("@{bin}=/{,usr/}{,s}bin\n@{multiarch}=*-linux-gnu*\n");
        let m = |p: &str, path: &str| attachment_matches(p, &v, path);
        assert!(m("/opt/*/bin/tool", "/opt/x/bin/tool"));
        assert!(!m("/opt/*/bin/tool", "/opt/x/y/bin/tool"));
        assert!(m("/opt/**/tool", "/opt/x/y/bin/tool"));
        assert!(!m("/opt/**", "/opt/"));
        assert!(m("/opt/**", "/opt/a/b"));
        assert!(!m("/dir/*", "/dir/"));
        assert!(m("/dir/*bar", "/dir/bar"));
        assert!(m("/usr/bin/rootlesskit?", "/usr/bin/rootlesskit2"));
        assert!(!m("/usr/bin/rootlesskit?", "/usr/bin/rootlesskit"));
        assert!(m("/usr/lib/[a-c]x", "/usr/lib/bx"));
        assert!(!m("/usr/lib/[^a-c]x", "/usr/lib/bx"));
        assert!(m("/usr/lib/[^a-c]x", "/usr/lib/dx"));
        assert!(m("/usr/lib/[!a]x", "/usr/lib/dx"));
        assert!(m("@{bin}/docker", "/usr/sbin/docker"));
        assert!(m("@{bin}/docker", "/bin/docker"));
        assert!(!m("@{bin}/docker", "/usr/local/bin/docker"));
        assert!(m("/usr/lib/@{multiarch}/x", "/usr/lib/x86_64-linux-gnu/x"));
        assert!(m("/a/{b,{c,d}e}/f", "/a/de/f"));
        assert!(m("/a/{b,}f", "/a/f"));
        assert!(m("\"/path with/space\"", "/path with/space"));
        assert!(m("/lit\\*", "/lit*"));
        assert!(!m("/lit\\*", "/litx"));
        assert!(m("/unclosed[", "/unclosed["));
    }

    /// The tests' matcher: these patterns never reach the expansion cap.
    fn attachment_matches(pattern: &str, vars: &Variables, path: &str) -> bool {
        super::attachment_matches(pattern, vars, path).unwrap()
    }

    #[test]
    fn regression_unbounded_expansion_apparmor() {
        // Variables that reference themselves and each other with long values: each step once doubled the text,
        // and an 8 MB tunables file expanded to a gigabyte within the step bound.
        let long = "x".repeat(200_000);
        let text = format!("@{{A}}=@{{A}}{long}@{{B}} {long}\n@{{B}}=@{{A}}@{{A}} y\n");
        let v = vars(&text);
        assert_eq!(
            super::attachment_matches("/@{A}", &v, "/usr/bin/rootlesskit"),
            Err(format!(
                "expanding the attachment (through @{{A}}) exceeds {MAX_EXPANSION_BYTES} bytes"
            ))
        );
        let (mut steps, mut bytes) = (0, 0);
        assert!(expand_variables("/@{B}", &v, &mut steps, &mut bytes).is_err());
        assert!(bytes <= MAX_EXPANSION_BYTES + 2 * long.len() + 16);
        // Ordinary tunables stay far below the cap.
        let home = vars(TUNABLES);
        assert_eq!(
            super::attachment_matches(
                "@{HOME}/bin/rootlesskit",
                &home,
                "/home/alice/bin/rootlesskit"
            ),
            Ok(true)
        );
    }

    proptest! {
        #[test]
        fn no_expansion_builds_more_than_the_cap(
            defs in prop::collection::vec(("[ABC]", prop::collection::vec(("[a-z/]{0,3}", "(@\\{[ABC]\\})?", 0usize..50_000), 1..4)), 1..5),
            pattern in "/(@\\{[ABC]\\}|[a-z{},]){1,6}",
        ) {
            let mut text = String::new();
            for (name, values) in &defs {
                let values: Vec<String> = values
                    .iter()
                    .map(|(lit, var, pad)| format!("{lit}{var}{}", "p".repeat(*pad)))
                    .collect();
                text.push_str(&format!("@{{{name}}}={}\n", values.join(" ")));
            }
            let v = vars(&text);
            let (mut steps, mut bytes) = (0, 0);
            match expand_variables(&pattern, &v, &mut steps, &mut bytes) {
                Ok(done) => {
                    prop_assert!(bytes <= MAX_EXPANSION_BYTES);
                    prop_assert!(done.iter().map(String::len).sum::<usize>() <= MAX_EXPANSION_BYTES + pattern.len());
                    for d in &done {
                        let mut more = 0;
                        let _ = expand_braces(d, &mut steps, &mut more);
                    }
                }
                Err(e) => prop_assert!(e.contains("exceeds")),
            }
            let _ = super::attachment_matches(&pattern, &v, "/usr/bin/rootlesskit");
        }
    }

    #[test]
    fn cyclic_and_explosive_variables_terminate() {
        let v = vars("@{A}=x@{B}\n@{B}=y@{A}\n@{C}=a b c d e f g h\n");
        assert!(!attachment_matches("/@{A}", &v, "/xy"));
        // 8^5 = 32768 alternatives exceeds the bound; the first ones are still checked.
        let pattern = "/@{C}@{C}@{C}@{C}@{C}";
        assert!(attachment_matches(pattern, &v, "/aaaaa"));
        assert!(!attachment_matches(pattern, &v, "/hhhhh"));
        let braces = "/{a,b,c,d,e,f,g,h}".repeat(6);
        assert!(attachment_matches(&braces, &v, "/a/a/a/a/a/a"));
    }

    #[test]
    fn userns_rules() {
        let text = r#"
abi <abi/4.0>,
#include <tunables/global>

profile plain /usr/bin/plain {
  /usr/bin/plain mr,
}

profile create /usr/bin/create {
  userns create,
}

profile audited /usr/bin/audited flags=(complain) {
  audit allow userns,
}

profile denied /usr/bin/denied flags=(unconfined) {
  userns,
  deny userns,
}

profile commented /usr/bin/commented {
  # userns,
  /foo r, # userns,
  /bar r,# userns,
  /tmp/#socket rw,
}

profile child_only /usr/bin/child_only {
  profile helper /usr/libexec/helper {
    userns,
  }
  ^hat {
    userns,
  }
  hat other {
    userns,
  }
}

profile after_child /usr/bin/after_child {
  profile helper {
    /x r,
  }
  userns,
}
"#;
        let (profiles, errors) = parse_profiles(text);
        assert!(errors.is_empty(), "{errors:?}");
        let summary: Vec<(&str, bool)> = profiles
            .iter()
            .map(|p| (p.name.as_str(), p.userns))
            .collect();
        assert_eq!(
            summary,
            vec![
                ("plain", false),
                ("create", true),
                ("audited", true),
                ("denied", false),
                ("commented", false),
                ("child_only", false),
                ("after_child", true),
            ]
        );
        assert_eq!(profiles[2].flags, vec!["complain"]);
        assert_eq!(profiles[0].line, 5);
    }

    #[test]
    fn realistic_profile_with_nested_braces() {
        let text = r#"# vim:syntax=apparmor
abi <abi/4.0>,

include <tunables/global>

@{exec_path} = /usr/bin/foo
@{conf} = "/etc/foo bar/" {/etc,/usr/etc}/foo/

profile foo @{exec_path} flags=(attach_disconnected, mediate_deleted) xattrs=(security.tagged=allowed) {
  include <abstractions/base>
  #include <abstractions/nameservice>

  capability sys_admin,
  /usr/{bin,sbin}/* rix,
  @{PROC}/@{pid}/{stat,status,cgroup} r,
  owner @{HOME}/.config/foo/{,**} rw,
  dbus send bus=session path=/org/freedesktop/DBus
       interface=org.freedesktop.DBus
       member={Hello,AddMatch}
       peer=(name=org.freedesktop.DBus, label=unconfined),
  signal (receive) set=(term, kill) peer=unconfined,
  mount fstype={overlay,tmpfs} -> /var/lib/foo/**,
  userns,

  if $foo_enabled {
    /opt/foo/** r,
  }

  include if exists <local/foo>
}
"#;
        let (profiles, errors) = parse_profiles(text);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(profiles.len(), 1);
        let p = &profiles[0];
        assert_eq!(p.name, "foo");
        assert_eq!(p.attachment.as_deref(), Some("@{exec_path}"));
        assert_eq!(p.flags, vec!["attach_disconnected", "mediate_deleted"]);
        assert!(p.userns);
        assert_eq!(p.line, 9);
        let v = vars(text);
        assert_eq!(
            v.get("conf"),
            Some(&vec![
                "/etc/foo bar/".to_string(),
                "{/etc,/usr/etc}/foo/".to_string()
            ])
        );
        assert!(attachment_matches(
            p.attach_pattern().unwrap(),
            &v,
            "/usr/bin/foo"
        ));
    }

    #[test]
    fn header_variants() {
        let text = concat!(
            "profile \"my profile\" \"/opt/my app/bin/run\" flags = ( complain ) {\n}\n",
            "/usr/bin/oldstyle (complain) {\n}\n",
            "profile noattach flags=(unconfined) {\n userns,\n}\n",
            ":ns:nsprofile /usr/bin/x {\n}\n",
            "profile tight /usr/bin/tight{\n}\n",
        );
        let (profiles, errors) = parse_profiles(text);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(profiles.len(), 5, "{profiles:?}");
        assert_eq!(profiles[0].name, "my profile");
        assert_eq!(
            profiles[0].attachment.as_deref(),
            Some("/opt/my app/bin/run")
        );
        assert_eq!(profiles[0].flags, vec!["complain"]);
        assert_eq!(profiles[1].name, "/usr/bin/oldstyle");
        assert_eq!(profiles[1].flags, vec!["complain"]);
        assert_eq!(profiles[1].attach_pattern(), Some("/usr/bin/oldstyle"));
        assert_eq!(profiles[2].attach_pattern(), None);
        assert!(profiles[2].userns);
        assert_eq!(profiles[3].name, ":ns:nsprofile");
    }

    #[test]
    fn structural_errors() {
        let (profiles, errors) = parse_profiles("}\nprofile a /a {\n  userns,\n");
        assert_eq!(profiles.len(), 1);
        assert!(profiles[0].userns);
        assert_eq!(
            errors,
            vec![
                LineError {
                    line: 1,
                    message: "unmatched closing brace".into()
                },
                LineError {
                    line: 2,
                    message: "profile a is never closed".into()
                },
            ]
        );
        let (_, errors) = parse_profiles("profile {\n}\nfoo bar {\n}\nprofile q \"/x {\n}\n");
        let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![1, 3, 5, 6], "{errors:?}");
    }

    #[test]
    fn variables_replace_and_append() {
        let mut v = Variables::new();
        parse_variables(
            "@{X}=a\n@{X}+=b \"c d\"\n# @{X}=ignored\n@{Y} = 1 # comment\n@{bad name}=z\n$bool=true\n",
            &mut v,
        );
        assert_eq!(
            v.get("X"),
            Some(&vec!["a".into(), "b".into(), "c d".into()])
        );
        assert_eq!(v.get("Y"), Some(&vec!["1".into()]));
        assert_eq!(v.len(), 2);
        parse_variables("@{X}=new\n", &mut v);
        assert_eq!(v.get("X"), Some(&vec!["new".into()]));
    }

    fn profile_strategy() -> impl Strategy<Value = (String, Option<String>, Vec<String>, bool)> {
        (
            "[a-z][a-z0-9_.-]{0,12}",
            prop::option::of("/[a-z0-9/_-]{1,20}"),
            prop::collection::vec("[a-z_]{1,10}", 0..3),
            any::<bool>(),
        )
    }

    fn render_profile(p: &(String, Option<String>, Vec<String>, bool)) -> String {
        let (name, attachment, flags, userns) = p;
        let mut out = format!("profile {name}");
        if let Some(a) = attachment {
            out.push_str(&format!(" {a}"));
        }
        if !flags.is_empty() {
            out.push_str(&format!(" flags=({})", flags.join(", ")));
        }
        out.push_str(" {\n  include <abstractions/base>\n  /usr/{lib,share}/** r,\n");
        if *userns {
            out.push_str("  userns,\n");
        }
        out.push_str("}\n\n");
        out
    }

    proptest! {
        #[test]
        fn never_panics(text in any::<String>(), pattern in any::<String>(), path in any::<String>()) {
            let (profiles, _) = parse_profiles(&text);
            let mut v = Variables::new();
            parse_variables(&text, &mut v);
            for p in &profiles {
                let _ = p.attach_pattern();
            }
            let _ = super::attachment_matches(&pattern, &v, &path);
        }

        #[test]
        fn never_panics_on_policy_like_text(text in "[a-z@{}(),#\"\n /*=^]{0,200}", path in "[a-z/]{0,20}") {
            let (_, errors) = parse_profiles(&text);
            for e in errors {
                prop_assert!(e.line >= 1);
            }
            let mut v = Variables::new();
            parse_variables(&text, &mut v);
            let _ = super::attachment_matches(&text, &v, &path);
        }

        #[test]
        fn generated_profiles_round_trip(profiles in prop::collection::vec(profile_strategy(), 0..5)) {
            let text: String = profiles.iter().map(render_profile).collect();
            let (parsed, errors) = parse_profiles(&text);
            prop_assert!(errors.is_empty(), "{:?}", errors);
            prop_assert_eq!(parsed.len(), profiles.len());
            for (got, (name, attachment, flags, userns)) in parsed.iter().zip(&profiles) {
                prop_assert_eq!(&got.name, name);
                prop_assert_eq!(&got.attachment, attachment);
                prop_assert_eq!(&got.flags, flags);
                prop_assert_eq!(got.userns, *userns);
            }
        }

        #[test]
        fn literal_paths_match_themselves(path in "(/[a-z0-9._-]{1,8}){1,5}") {
            let v = Variables::new();
            prop_assert!(attachment_matches(&path, &v, &path));
            let quoted = format!("\"{path}\"");
            prop_assert!(attachment_matches(&quoted, &v, &path));
            let extended = format!("{path}x");
            prop_assert!(!attachment_matches(&path, &v, &extended));
        }

        #[test]
        fn star_stays_within_a_component(dir in "/[a-z]{1,6}", a in "[a-z]{1,6}", b in "[a-z]{1,6}") {
            let v = Variables::new();
            let star = format!("{dir}/*");
            let double = format!("{dir}/**");
            let one = format!("{dir}/{a}");
            let two = format!("{dir}/{a}/{b}");
            prop_assert!(attachment_matches(&star, &v, &one));
            prop_assert!(!attachment_matches(&star, &v, &two));
            prop_assert!(attachment_matches(&double, &v, &two));
        }
    }
}
