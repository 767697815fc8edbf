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

use std::collections::{BTreeMap, BTreeSet};

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
    /// Whether the profile's rules allow creating user namespaces: its own, and, when the file was read with
    /// [`parse_policy`], those of the files it includes.
    pub userns: bool,
    /// Where the allowing `userns` rule is (`file:line`), when `userns` is true.
    pub userns_at: Option<String>,
    /// Whether the profile's rules allow any capability (`capability,` or `capability NAME …`), and no bare
    /// `deny capability,` takes them all back. A confined profile without one denies every capability to its
    /// processes, in a user namespace too (apparmor_capget masks the effective set; `capable` is refused).
    pub capability: bool,
    /// Whether the profile's rules allow some mount operation (`mount`, `remount`, `umount` rules; which ones is
    /// not judged). A confined profile without one refuses every mount(2), `MS_SLAVE` propagation changes included.
    pub mount: bool,
    /// The files the profile's own body includes with `include if exists`, resolved (the site-override pattern:
    /// `include if exists <local/rootlesskit>` is `/etc/apparmor.d/local/rootlesskit`), whether or not they exist.
    pub local_includes: Vec<String>,
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

    /// Whether the kernel matches this profile by its name alone: a profile declared by a path without
    /// globs or variables and without an attachment gets no attachment DFA from apparmor_parser
    /// (`process_profile_name_xmatch`), and the kernel's `find_attach` compares its name with the executable's
    /// path and takes it at once, before any pattern.
    pub fn attaches_by_name(&self) -> bool {
        self.attachment.is_none()
            && self.name.starts_with('/')
            && !self
                .name
                .contains(['*', '?', '[', ']', '{', '}', '@', '\\'])
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

/// The directory `include <...>` is relative to (apparmor_parser's default base directory).
pub const BASE_DIR: &str = "/etc/apparmor.d";

/// How deeply includes may nest, the same bound as variable nesting. Real policy nests four or five deep
/// (a profile, abstractions/base, its base.d directory, ...).
pub const MAX_INCLUDE_DEPTH: usize = MAX_VARIABLE_DEPTH;

/// How many bytes of included text one policy file may pull in, the same cap as expansions. A profile
/// with Ubuntu's abstractions reaches a few hundred kilobytes.
pub const MAX_INCLUDED_BYTES: usize = MAX_EXPANSION_BYTES;

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
// Includes
// ---------------------------------------------------------------------------------------------

/// What an include target turned out to be, as the caller read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A regular file (or a link to one) and its text.
    File(String),
    /// A directory and the names of its entries.
    Dir(Vec<String>),
    /// Nothing at that path.
    Missing,
    /// It could not be read (the errno text).
    Failed(String),
}

/// Reads include targets for [`parse_policy`]; `path` is absolute. The parser itself reads nothing.
pub trait Resolver {
    fn open(&mut self, path: &str) -> Source;
}

/// What a problem found while reading a policy file means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Effect {
    /// A syntax problem read past leniently; the profiles found are still judged.
    Lenient,
    /// apparmor_parser stops on it (`include <x>` of a missing file: "Could not open 'x'"), so none of the
    /// file's profiles is loaded.
    Refused,
    /// The doctor could not read everything (a cap, an unreadable include): what was read is judged, but
    /// the rest is unknown.
    NotJudged,
}

/// A problem in a policy file or in a file it includes, with where it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyError {
    pub file: String,
    /// 1-based.
    pub line: usize,
    pub message: String,
    pub effect: Effect,
}

/// The profiles of a policy file read with its includes, and what went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub profiles: Vec<Profile>,
    pub errors: Vec<PolicyError>,
}

impl Policy {
    /// The first problem that makes apparmor_parser refuse the file, if any.
    pub fn refused(&self) -> Option<&PolicyError> {
        self.errors.iter().find(|e| e.effect == Effect::Refused)
    }
}

/// Whether apparmor_parser skips a name when it reads a directory (libapparmor's `_aa_is_blacklisted`,
/// used for /etc/apparmor.d itself and for directory includes): empty names, dotfiles, `README`, and the
/// package-manager and editor leftovers `.dpkg-new`, `.dpkg-old`, `.dpkg-dist`, `.dpkg-bak`, `.dpkg-remove`,
/// `.pacsave`, `.pacnew`, `.rpmnew`, `.rpmsave`, `.orig`, `.rej` and `~`.
pub fn is_skipped_name(name: &str) -> bool {
    const SUFFIXES: [&str; 12] = [
        ".dpkg-new",
        ".dpkg-old",
        ".dpkg-dist",
        ".dpkg-bak",
        ".dpkg-remove",
        ".pacsave",
        ".pacnew",
        ".rpmnew",
        ".rpmsave",
        ".orig",
        ".rej",
        "~",
    ];
    name.is_empty()
        || name.starts_with('.')
        || name == "README"
        || SUFFIXES.iter().any(|s| name.ends_with(s))
}

/// An include statement, taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Include {
    target: String,
    /// `<...>`: relative to [`BASE_DIR`].
    magic: bool,
    if_exists: bool,
}

/// Parses `include <x>`, `#include <x>`, `include if exists <x>`, `include "x"` and `include x`.
fn parse_include(statement: &str) -> Option<Include> {
    let t = statement.trim_ascii();
    let t = t.strip_prefix('#').unwrap_or(t);
    let t = t.strip_prefix("include")?;
    if !t.starts_with(|c: char| c.is_whitespace() || c == '<' || c == '"') {
        return None;
    }
    let mut t = t.trim_ascii_start();
    let mut if_exists = false;
    if let Some(rest) = t.strip_prefix("if")
        && rest.starts_with(char::is_whitespace)
        && let Some(rest) = rest.trim_ascii_start().strip_prefix("exists")
        && rest.starts_with(char::is_whitespace)
    {
        if_exists = true;
        t = rest.trim_ascii_start();
    }
    let (target, magic) = if let Some(inner) = t.strip_prefix('<') {
        let end = inner.find('>')?;
        (unquote(inner.get(..end)?.trim_ascii()), true)
    } else if t.starts_with('"') {
        let end = t.get(1..)?.find('"')? + 1;
        (unquote(t.get(..=end)?), false)
    } else {
        (t.split_whitespace().next()?.to_string(), false)
    };
    if target.is_empty() {
        return None;
    }
    Some(Include {
        target,
        magic,
        if_exists,
    })
}

/// The absolute path an include names. `<x>` is below [`BASE_DIR`]; `"x"` is opened as written, so a
/// relative one is relative to apparmor_parser's working directory, `/` under apparmor.service.
fn include_path(inc: &Include) -> String {
    let joined = if inc.magic {
        format!("{BASE_DIR}/{}", inc.target)
    } else if inc.target.starts_with('/') {
        inc.target.clone()
    } else {
        format!("/{}", inc.target)
    };
    let collapsed = collapse_slashes(&joined);
    match collapsed.strip_suffix('/') {
        Some(s) if !s.is_empty() => s.to_string(),
        _ => collapsed,
    }
}

// ---------------------------------------------------------------------------------------------
// Profiles
// ---------------------------------------------------------------------------------------------

/// What an open `{` belongs to.
#[derive(Debug, Clone, Copy, PartialEq)]
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

/// An open block: what it is, where its header is, and the profile or child frame its rules belong to
/// (kept per entry so that finding it does not walk the whole stack).
struct Open {
    frame: Frame,
    file: String,
    line: usize,
    owner: Option<Frame>,
}

/// The running state of [`parse_profiles`] and [`parse_policy`].
#[derive(Default)]
struct Scanner<'r> {
    profiles: Vec<Profile>,
    /// Per profile: whether an allowing and whether a denying `userns` rule was seen.
    userns_rules: Vec<(bool, bool)>,
    /// Per profile: (an allowing capability rule, a bare `deny capability,`, an allowing mount rule).
    other_rules: Vec<(bool, bool, bool)>,
    errors: Vec<PolicyError>,
    stack: Vec<Open>,
    /// The statement being accumulated and the line where it started.
    buf: String,
    buf_line: usize,
    /// Whether `buf` holds anything but whitespace, tracked so that it need not be rescanned
    /// for every character.
    has_content: bool,
    /// The file being scanned, and how deeply it is included (0: the policy file itself).
    file: String,
    depth: usize,
    /// Where includes are read from; `None` leaves them unread.
    resolver: Option<&'r mut dyn Resolver>,
    /// The files already included in the current scope, innermost last: apparmor_parser starts a fresh set
    /// for every profile block and skips a file already in it, which is also how it breaks include loops.
    included: Vec<BTreeSet<String>>,
    included_bytes: usize,
    /// Whether the byte cap was reported (once per policy file).
    over_cap: bool,
    /// The policy file's name.
    top: String,
}

/// Finds the top-level profiles in the text of one policy file, without reading its includes.
///
/// Problems (unbalanced braces, unterminated quotes, headers that are not profiles) are
/// reported with their line numbers; profiles that could be read are returned regardless.
/// The feature ABI a policy file pins with `abi <abi/X.Y>,` (or `abi "abi/X.Y",`), the first such line outside
/// comments; `None` when it pins none or names a file that is not `abi/MAJOR.MINOR`. Under ABI 4.0 and later a
/// profile must grant `userns,` itself; a profile pinned to an older ABI has no userns mediation, so the
/// restriction of unprivileged user namespaces lets its processes create them (moby#48257, passt's ABI 3.0 profile).
pub fn declared_abi(text: &str) -> Option<(u32, u32)> {
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or_default().trim();
        let Some(rest) = line.strip_prefix("abi") else {
            continue;
        };
        if !rest.starts_with([' ', '\t', '<', '"']) {
            continue;
        }
        let inner = rest
            .trim()
            .trim_end_matches(',')
            .trim()
            .trim_matches(|c| matches!(c, '<' | '>' | '"'));
        let version = inner.strip_prefix("abi/")?;
        let (major, minor) = version.split_once('.')?;
        return Some((major.parse().ok()?, minor.parse().ok()?));
    }
    None
}

pub fn parse_profiles(text: &str) -> (Vec<Profile>, Vec<LineError>) {
    let mut s = Scanner {
        included: vec![BTreeSet::new()],
        ..Scanner::default()
    };
    s.scan(text);
    s.finish();
    let errors = s
        .errors
        .into_iter()
        .map(|e| LineError {
            line: e.line,
            message: e.message,
        })
        .collect();
    (s.profiles, errors)
}

/// Reads one policy file the way apparmor_parser does, following its includes through `resolver`.
///
/// An include's text takes the place of the statement, as cpp(1) would: a `userns,` in
/// `include if exists <local/rootlesskit>` inside a profile is that profile's rule. `<x>` is below
/// [`BASE_DIR`]; `"x"` is opened as written; a directory includes its files in name order, skipping the
/// names [`is_skipped_name`] lists and subdirectories; `if exists` makes a missing target fine, and without
/// it a missing target makes apparmor_parser refuse the file ([`Effect::Refused`]). A file already included
/// in the same profile (or at the file's top level) is skipped, as apparmor_parser's include cache does,
/// which ends include loops. Nesting deeper than [`MAX_INCLUDE_DEPTH`] or more than [`MAX_INCLUDED_BYTES`]
/// of included text stops there with an [`Effect::NotJudged`] error naming the file and line of the include.
pub fn parse_policy(file: &str, text: &str, resolver: &mut dyn Resolver) -> Policy {
    let mut s = Scanner {
        file: file.to_string(),
        top: file.to_string(),
        resolver: Some(resolver),
        included: vec![BTreeSet::new()],
        ..Scanner::default()
    };
    s.scan(text);
    s.finish();
    Policy {
        profiles: s.profiles,
        errors: s.errors,
    }
}

impl<'r> Scanner<'r> {
    /// Scans the text of one file (the policy file or an included one) into the shared state.
    fn scan(&mut self, text: &str) {
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
                    self.error(line, "unterminated quote");
                    in_quote = false;
                    escaped = false;
                }
                in_comment = false;
                if ends_at_newline(&self.buf) {
                    self.finish_statement();
                    glob_depth = 0;
                    paren_depth = 0;
                } else if !self.buf.is_empty() {
                    self.buf.push(' ');
                }
                line += 1;
                prev = Some(c);
                continue;
            }
            if in_comment {
                continue;
            }
            if in_quote {
                self.buf.push(c);
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
            if c == '#' && (!self.has_content || prev.is_none_or(char::is_whitespace)) {
                let rest = text.get(i + 1..).unwrap_or("");
                if !rest.starts_with("include") {
                    in_comment = true;
                    continue;
                }
            }
            if !self.has_content && !c.is_whitespace() {
                self.buf.clear();
                self.buf_line = line;
                self.has_content = true;
            }
            // Variable assignments and include targets may contain characters that would
            // otherwise be structural, such as `{` in a value, so they are taken verbatim.
            if is_opaque(&self.buf) {
                self.buf.push(c);
                prev = Some(c);
                continue;
            }
            match c {
                '"' => {
                    in_quote = true;
                    self.buf.push(c);
                }
                '(' => {
                    paren_depth += 1;
                    self.buf.push(c);
                }
                ')' => {
                    paren_depth = paren_depth.saturating_sub(1);
                    self.buf.push(c);
                }
                '{' if paren_depth > 0
                    || is_glob_brace(prev, text.get(i + 1..), self.has_content) =>
                {
                    glob_depth += 1;
                    self.buf.push(c);
                }
                '{' => {
                    let header = std::mem::take(&mut self.buf);
                    self.has_content = false;
                    self.open_block(header.trim_ascii(), line);
                    glob_depth = 0;
                    paren_depth = 0;
                }
                '}' if glob_depth > 0 => {
                    glob_depth -= 1;
                    self.buf.push(c);
                }
                '}' => {
                    // A statement left without its comma before the closing brace is still read,
                    // being lenient where the compiler would complain.
                    self.finish_statement();
                    self.close_block(line);
                    paren_depth = 0;
                }
                ',' if glob_depth == 0 && paren_depth == 0 => self.finish_statement(),
                _ => self.buf.push(c),
            }
            prev = Some(c);
        }
        if in_quote {
            self.error(line, "unterminated quote");
        }
        self.finish_statement();
    }

    /// Reports the blocks left open and settles each profile's `userns`.
    fn finish(&mut self) {
        while let Some(open) = self.stack.pop() {
            let message = match open.frame {
                Frame::Profile(index) => match self.profiles.get(index) {
                    Some(p) => format!("profile {} is never closed", p.name),
                    None => "block is never closed".to_string(),
                },
                Frame::Child | Frame::Other => "block is never closed".to_string(),
            };
            self.errors.push(PolicyError {
                file: open.file,
                line: open.line,
                message,
                effect: Effect::Lenient,
            });
        }
        for (profile, (allow, deny)) in self.profiles.iter_mut().zip(&self.userns_rules) {
            // In AppArmor an explicit deny always wins over an allow, whatever their order.
            profile.userns = *allow && !*deny;
            if !profile.userns {
                profile.userns_at = None;
            }
        }
        for (profile, (cap, deny_all_caps, mount)) in
            self.profiles.iter_mut().zip(&self.other_rules)
        {
            profile.capability = *cap && !*deny_all_caps;
            profile.mount = *mount;
        }
        // The policy file's own problems first, each file's in line order.
        let top = self.top.clone();
        self.errors.sort_by(|a, b| {
            (a.file != top, &a.file, a.line).cmp(&(b.file != top, &b.file, b.line))
        });
    }

    fn error(&mut self, line: usize, message: &str) {
        self.error_with(line, message.to_string(), Effect::Lenient);
    }

    fn error_with(&mut self, line: usize, message: String, effect: Effect) {
        self.errors.push(PolicyError {
            file: self.file.clone(),
            line,
            message,
            effect,
        });
    }

    /// Returns the innermost enclosing profile or child frame, looking through other blocks.
    fn owner(&self) -> Option<Frame> {
        self.stack.last().and_then(|open| open.owner)
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
                    userns_at: None,
                    capability: false,
                    mount: false,
                    local_includes: Vec::new(),
                });
                self.userns_rules.push((false, false));
                self.other_rules.push((false, false, false));
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
            Frame::Profile(_) | Frame::Child => {
                // Each profile block has an include scope of its own.
                self.included.push(BTreeSet::new());
                Some(frame)
            }
        };
        self.stack.push(Open {
            frame,
            file: self.file.clone(),
            line,
            owner,
        });
    }

    fn close_block(&mut self, line: usize) {
        match self.stack.pop() {
            None => self.error(line, "unmatched closing brace"),
            Some(open) => {
                if matches!(open.frame, Frame::Profile(_) | Frame::Child) && self.included.len() > 1
                {
                    self.included.pop();
                }
            }
        }
    }

    /// Interprets the accumulated statement, then clears it.
    fn finish_statement(&mut self) {
        let statement = std::mem::take(&mut self.buf);
        self.has_content = false;
        if is_include(head(&statement)) {
            self.include(&statement, self.buf_line);
            return;
        }
        let Some(Frame::Profile(index)) = self.owner() else {
            return;
        };
        if let Some((kind, allow, bare)) = access_rule(&statement)
            && let Some((cap, deny_all_caps, mount)) = self.other_rules.get_mut(index)
        {
            match (kind, allow) {
                ("capability", true) => *cap = true,
                ("capability", false) if bare => *deny_all_caps = true,
                ("mount" | "remount" | "umount", true) => *mount = true,
                _ => {}
            }
        }
        let Some(rule) = userns_rule(&statement) else {
            return;
        };
        let at = format!("{}:{}", self.file, self.buf_line);
        if let Some((allow, deny)) = self.userns_rules.get_mut(index) {
            if rule {
                *allow = true;
                if let Some(p) = self.profiles.get_mut(index)
                    && p.userns_at.is_none()
                {
                    p.userns_at = Some(at);
                }
            } else {
                *deny = true;
            }
        }
    }

    /// Follows an include statement at `line` of the current file, when includes are read.
    fn include(&mut self, statement: &str, line: usize) {
        if self.resolver.is_none() {
            return;
        }
        let Some(inc) = parse_include(statement) else {
            let shown: String = statement.trim_ascii().chars().take(60).collect();
            self.error(line, &format!("malformed include {shown:?}"));
            return;
        };
        let path = include_path(&inc);
        if inc.if_exists
            && self.depth == 0
            && let Some(Frame::Profile(index)) = self.owner()
            && let Some(p) = self.profiles.get_mut(index)
            && !p.local_includes.contains(&path)
        {
            p.local_includes.push(path.clone());
        }
        if self.depth + 1 > MAX_INCLUDE_DEPTH {
            self.error_with(
                line,
                format!("includes nest deeper than {MAX_INCLUDE_DEPTH} (at {path}); not read"),
                Effect::NotJudged,
            );
            return;
        }
        if !self.first_inclusion(&path) {
            return;
        }
        let Some(source) = self.resolver.as_mut().map(|r| r.open(&path)) else {
            return;
        };
        match source {
            Source::File(text) => self.scan_included(&path, &text, line),
            Source::Dir(mut names) => {
                names.retain(|n| !is_skipped_name(n));
                names.sort();
                for name in names {
                    let entry = format!("{path}/{name}");
                    if !self.first_inclusion(&entry) {
                        continue;
                    }
                    match self.resolver.as_mut().map(|r| r.open(&entry)) {
                        Some(Source::File(text)) => self.scan_included(&entry, &text, line),
                        // apparmor_parser includes only the regular files of a directory.
                        Some(Source::Dir(_)) | None => {}
                        Some(Source::Missing) => self.error_with(
                            line,
                            format!("could not process include directory '{path}': {entry} is a dangling link"),
                            Effect::Refused,
                        ),
                        Some(Source::Failed(e)) => self.error_with(
                            line,
                            format!("{entry}: {e}; not read"),
                            Effect::NotJudged,
                        ),
                    }
                }
            }
            Source::Missing if inc.if_exists => {}
            Source::Missing => {
                // apparmor_parser's own words: "Could not open 'local/rootlesskit'".
                let shown = if inc.magic { inc.target.clone() } else { path };
                self.error_with(line, format!("could not open '{shown}'"), Effect::Refused);
            }
            Source::Failed(e) => {
                self.error_with(line, format!("{path}: {e}; not read"), Effect::NotJudged);
            }
        }
    }

    /// Records `path` in the current include scope; false when it was already there.
    fn first_inclusion(&mut self, path: &str) -> bool {
        match self.included.last_mut() {
            Some(set) => set.insert(path.to_string()),
            None => true,
        }
    }

    /// Scans an included file in place of the include statement at `line`.
    fn scan_included(&mut self, path: &str, text: &str, line: usize) {
        self.included_bytes = self.included_bytes.saturating_add(text.len());
        if self.included_bytes > MAX_INCLUDED_BYTES {
            if !self.over_cap {
                self.over_cap = true;
                self.error_with(
                    line,
                    format!("included text exceeds {MAX_INCLUDED_BYTES} bytes (at {path}); the rest is not read"),
                    Effect::NotJudged,
                );
            }
            return;
        }
        let saved_file = std::mem::replace(&mut self.file, path.to_string());
        let saved_line = self.buf_line;
        self.depth += 1;
        self.scan(text);
        self.depth -= 1;
        self.file = saved_file;
        self.buf_line = saved_line;
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

/// A rule's words after its qualifiers (`audit`, `allow`, `quiet`, `priority=N`), and whether one was `deny`.
fn rule_words(statement: &str) -> (bool, Vec<&str>) {
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
    (deny, tokens.collect())
}

/// Classifies a capability or mount rule: its keyword, whether it allows (no `deny`), and whether it is bare
/// (`capability,` with no name: every capability). `None` for any other statement.
fn access_rule(statement: &str) -> Option<(&'static str, bool, bool)> {
    let (deny, words) = rule_words(statement);
    let keyword = *words.first()?;
    let kind = ["capability", "mount", "remount", "umount"]
        .into_iter()
        .find(|k| *k == keyword)?;
    Some((kind, !deny, words.len() == 1))
}

/// Classifies a `userns` rule: `Some(true)` for an allowing rule, `Some(false)` for a denying
/// one, `None` for any other statement.
fn userns_rule(statement: &str) -> Option<bool> {
    let (deny, words) = rule_words(statement);
    match words.as_slice() {
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

/// How specifically a profile attaches to a path, as the kernel's `find_attach` ranks the candidates
/// (security/apparmor/domain.c, <https://github.com/torvalds/linux/blob/master/security/apparmor/domain.c>).
///
/// Ordered: a longer match beats a shorter one, and a match by name beats every pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Specificity {
    /// The profile has an attachment DFA that accepts the path; the number is how many characters of the path
    /// it matched before looping: the whole path for an attachment without `*` (`/usr/bin/rootlesskit`,
    /// `/usr/{local/,}bin/rootlesskit`), else the characters before its first `*` (plus the one a whole-component
    /// `*` must match). The kernel's count (`aa_dfa_leftmatch`) follows the compiled DFA; for patterns of the same
    /// shape, as duplicated profiles are, the two agree.
    Pattern(usize),
    /// The profile is named by the path itself, with no attachment and no glob ([`Profile::attaches_by_name`]):
    /// the kernel takes it at once.
    ExactName,
}

/// Which profile the kernel attaches, given the specificity of every loaded candidate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Choice {
    /// No candidate.
    Nothing,
    /// The index of the one profile that attaches.
    One(usize),
    /// The indices of the equally specific candidates: the kernel attaches none of them, logs
    /// `info="conflicting profile attachments"`, and the program runs unconfined.
    Conflict(Vec<usize>),
}

/// Decides as `find_attach` does: a profile matched by name wins at once; otherwise the longest match wins,
/// and two or more of the same length (and no more xattrs) conflict, so none attaches. Candidates must be
/// distinct kernel profiles (a name defined twice is one profile: the later load replaces the earlier).
pub fn kernel_choice(candidates: &[Specificity]) -> Choice {
    let Some(best) = candidates.iter().max() else {
        return Choice::Nothing;
    };
    let tied: Vec<usize> = candidates
        .iter()
        .enumerate()
        .filter(|(_, s)| *s == best)
        .map(|(i, _)| i)
        .collect();
    match (best, tied.as_slice()) {
        (_, [one]) | (Specificity::ExactName, [one, ..]) => Choice::One(*one),
        _ => Choice::Conflict(tied),
    }
}

/// How specifically `profile` attaches to `path` (`None`: it does not), with `@{VAR}` references expanded
/// from `vars`. `Err` when the expansion exceeds [`MAX_EXPANSION_BYTES`], as [`attachment_matches`].
pub fn specificity(
    profile: &Profile,
    vars: &Variables,
    path: &str,
) -> Result<Option<Specificity>, String> {
    if profile.attaches_by_name() {
        return Ok((profile.name == path).then_some(Specificity::ExactName));
    }
    let Some(pattern) = profile.attach_pattern() else {
        return Ok(None);
    };
    const PATH_MAX: usize = 4096;
    if pattern.len() > PATH_MAX || path.len() > PATH_MAX {
        return Ok(None);
    }
    let pattern = unquote(pattern.trim_ascii());
    let path: Vec<char> = collapse_slashes(path).chars().collect();
    let mut steps = 0usize;
    let mut bytes = 0usize;
    let mut checked = 0usize;
    let mut best: Option<usize> = None;
    for alternative in expand_variables(&pattern, vars, &mut steps, &mut bytes)? {
        for expanded in expand_braces(&alternative, &mut steps, &mut bytes)? {
            checked += 1;
            if checked > MAX_ALTERNATIVES {
                return Ok(best.map(Specificity::Pattern));
            }
            let tokens = compile_glob(&collapse_slashes(&expanded));
            if glob_match(&tokens, &path) {
                let before_star = tokens
                    .iter()
                    .position(|t| matches!(t, Tok::Star | Tok::DoubleStar));
                let len = before_star.unwrap_or(path.len()).min(path.len());
                best = best.max(Some(len));
            }
        }
    }
    Ok(best.map(Specificity::Pattern))
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
    fn capability_and_mount_rules() {
        let text = "abi <abi/4.0>,\nprofile a /usr/bin/a {\n  userns,\n  file,\n}\nprofile b /usr/bin/b {\n  capability sys_admin net_admin,\n  mount options=(rw, rslave) -> /,\n}\nprofile c /usr/bin/c {\n  audit capability,\n  deny capability,\n  deny mount,\n}\nprofile d /usr/bin/d {\n  capability,\n  deny capability sys_module,\n  umount,\n}\n";
        let (profiles, errors) = parse_profiles(text);
        assert!(errors.is_empty(), "{errors:?}");
        let got: Vec<(&str, bool, bool)> = profiles
            .iter()
            .map(|p| (p.name.as_str(), p.capability, p.mount))
            .collect();
        assert_eq!(
            got,
            [
                ("a", false, false),
                ("b", true, true),
                ("c", false, false),
                ("d", true, true)
            ]
        );
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
                userns_at: Some(":5".into()),
                capability: false,
                mount: false,
                local_includes: Vec::new(),
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

    #[test]
    fn declared_abi_of_real_headers() {
        assert_eq!(
            declared_abi("abi <abi/4.0>,\ninclude <tunables/global>\n"),
            Some((4, 0))
        );
        assert_eq!(declared_abi("# comment\n  abi <abi/3.0> ,\n"), Some((3, 0)));
        assert_eq!(declared_abi("abi \"abi/3.0\",\n"), Some((3, 0)));
        assert_eq!(declared_abi("# abi <abi/4.0>,\nprofile x /x {}\n"), None);
        assert_eq!(declared_abi("abi <kernel>,\n"), None);
        assert_eq!(declared_abi("abilities,\n"), None);
    }

    proptest! {
        #[test]
        fn declared_abi_never_panics(text in ".{0,200}") {
            let _ = declared_abi(&text);
        }

        #[test]
        fn declared_abi_reads_what_it_is_given(major in 0u32..100, minor in 0u32..100) {
            prop_assert_eq!(declared_abi(&format!("abi <abi/{major}.{minor}>,\n")), Some((major, minor)));
        }

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

#[cfg(test)]
mod include_tests {
    use super::*;
    use proptest::prelude::*;

    /// A tree of include targets in memory.
    #[derive(Default)]
    struct Tree(BTreeMap<String, Source>);

    impl Tree {
        fn file(mut self, path: &str, text: &str) -> Tree {
            self.0.insert(path.into(), Source::File(text.into()));
            self
        }
        fn dir(mut self, path: &str, names: &[&str]) -> Tree {
            self.0.insert(
                path.into(),
                Source::Dir(names.iter().map(|n| n.to_string()).collect()),
            );
            self
        }
    }

    impl Resolver for Tree {
        fn open(&mut self, path: &str) -> Source {
            self.0.get(path).cloned().unwrap_or(Source::Missing)
        }
    }

    const PACKAGED: &str = "abi <abi/4.0>,\ninclude <tunables/global>\n\nprofile rootlesskit /usr/bin/rootlesskit flags=(unconfined) {\n\n  include if exists <local/rootlesskit>\n}\n";

    #[test]
    fn regression_userns_in_local_include_counts() {
        let mut tree = Tree::default()
            .file(
                "/etc/apparmor.d/tunables/global",
                "#include <tunables/home>\n",
            )
            .file("/etc/apparmor.d/tunables/home", "@{HOME}=/home/*/\n")
            .file("/etc/apparmor.d/local/rootlesskit", "# site\nuserns,\n");
        let p = parse_policy("/etc/apparmor.d/rootlesskit", PACKAGED, &mut tree);
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        assert_eq!(p.profiles.len(), 1);
        assert!(p.profiles[0].userns);
        assert_eq!(
            p.profiles[0].userns_at.as_deref(),
            Some("/etc/apparmor.d/local/rootlesskit:2")
        );
        assert_eq!(
            p.profiles[0].local_includes,
            vec!["/etc/apparmor.d/local/rootlesskit".to_string()]
        );
        // Without following includes the rule is not seen.
        assert!(!parse_profiles(PACKAGED).0[0].userns);
        // A deny in the include wins over the profile's own allow.
        let mut denied = Tree::default().file("/etc/apparmor.d/local/x", "deny userns,\n");
        let p = parse_policy(
            "/f",
            "profile x /x {\n userns,\n include if exists <local/x>\n}\n",
            &mut denied,
        );
        assert!(!p.profiles[0].userns);
    }

    #[test]
    fn include_forms() {
        let mut tree = Tree::default()
            .file("/etc/apparmor.d/a", "userns,\n")
            .file("/opt/policy/b", "userns,\n")
            .file("/rel/c", "userns,\n")
            .file("/etc/apparmor.d/my dir/d", "userns,\n");
        for (include, path) in [
            ("include <a>", "/etc/apparmor.d/a"),
            ("#include <a>", "/etc/apparmor.d/a"),
            ("include if exists <a>", "/etc/apparmor.d/a"),
            ("#include if exists <a>", "/etc/apparmor.d/a"),
            ("include \"/opt/policy/b\"", "/opt/policy/b"),
            ("include /opt/policy/b", "/opt/policy/b"),
            ("include \"rel/c\"", "/rel/c"),
            ("include <\"my dir/d\">", "/etc/apparmor.d/my dir/d"),
        ] {
            let text = format!("profile x /x {{\n  {include}\n}}\n");
            let p = parse_policy("/f", &text, &mut tree);
            assert!(p.errors.is_empty(), "{include}: {:?}", p.errors);
            assert!(p.profiles[0].userns, "{include}");
            assert_eq!(
                p.profiles[0].userns_at.as_deref(),
                Some(format!("{path}:1").as_str())
            );
        }
    }

    #[test]
    fn missing_includes() {
        let mut tree = Tree::default();
        let p = parse_policy(
            "/etc/apparmor.d/x",
            "profile x /x {\n  userns,\n  include if exists <local/x>\n}\n",
            &mut tree,
        );
        assert!(p.errors.is_empty());
        assert!(p.refused().is_none());
        let p = parse_policy(
            "/etc/apparmor.d/x",
            "profile x /x {\n  userns,\n  include <local/x>\n}\n",
            &mut tree,
        );
        assert_eq!(
            p.refused(),
            Some(&PolicyError {
                file: "/etc/apparmor.d/x".into(),
                line: 3,
                message: "could not open 'local/x'".into(),
                effect: Effect::Refused,
            })
        );
        let mut failing = Tree::default();
        failing.0.insert(
            "/etc/apparmor.d/local/x".into(),
            Source::Failed("permission denied".into()),
        );
        let p = parse_policy(
            "/etc/apparmor.d/x",
            "profile x /x {\n  userns,\n  include <local/x>\n}\n",
            &mut failing,
        );
        assert_eq!(p.errors[0].effect, Effect::NotJudged);
        assert!(p.profiles[0].userns);
    }

    #[test]
    fn directory_includes_skip_what_apparmor_parser_skips() {
        let mut tree = Tree::default()
            .dir(
                "/etc/apparmor.d/local/d",
                &[
                    "z",
                    ".hidden",
                    "README",
                    "x.dpkg-old",
                    "y.rpmnew",
                    "w~",
                    "v.orig",
                    "sub",
                    "a",
                ],
            )
            .file("/etc/apparmor.d/local/d/a", "/a r,\n")
            .file("/etc/apparmor.d/local/d/z", "userns,\n")
            .file("/etc/apparmor.d/local/d/.hidden", "deny userns,\n")
            .file("/etc/apparmor.d/local/d/README", "deny userns,\n")
            .file("/etc/apparmor.d/local/d/x.dpkg-old", "deny userns,\n")
            .file("/etc/apparmor.d/local/d/y.rpmnew", "deny userns,\n")
            .file("/etc/apparmor.d/local/d/w~", "deny userns,\n")
            .file("/etc/apparmor.d/local/d/v.orig", "deny userns,\n")
            .dir("/etc/apparmor.d/local/d/sub", &["q"])
            .file("/etc/apparmor.d/local/d/sub/q", "deny userns,\n");
        let p = parse_policy("/f", "profile x /x {\n  include <local/d>\n}\n", &mut tree);
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        assert!(p.profiles[0].userns);
        assert_eq!(
            p.profiles[0].userns_at.as_deref(),
            Some("/etc/apparmor.d/local/d/z:1")
        );
        for name in [
            "",
            ".x",
            "README",
            "a.dpkg-new",
            "a.dpkg-dist",
            "a.dpkg-bak",
            "a.dpkg-remove",
            "a.pacsave",
            "a.pacnew",
            "a.rpmsave",
            "a.rej",
            "a~",
        ] {
            assert!(is_skipped_name(name), "{name}");
        }
        for name in ["rootlesskit", "usr.bin.man", "README.md", "a.dpkg-newer"] {
            assert!(!is_skipped_name(name), "{name}");
        }
    }

    #[test]
    fn include_loops_end_and_caps_name_file_and_line() {
        // a includes b includes a: apparmor_parser's include cache skips the second a.
        let mut tree = Tree::default()
            .file("/etc/apparmor.d/a", "include <b>\n")
            .file("/etc/apparmor.d/b", "userns,\ninclude <a>\n");
        let p = parse_policy("/f", "profile x /x {\n  include <a>\n}\n", &mut tree);
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        assert!(p.profiles[0].userns);
        // A file that includes itself from a child profile recurses until the depth cap.
        let mut nested =
            Tree::default().file("/etc/apparmor.d/n", "profile c {\n  include <n>\n}\n");
        let p = parse_policy(
            "/f",
            "profile x /x {\n  userns,\n  include <n>\n}\n",
            &mut nested,
        );
        let capped: Vec<&PolicyError> = p
            .errors
            .iter()
            .filter(|e| e.effect == Effect::NotJudged)
            .collect();
        assert_eq!(capped.len(), 1, "{:?}", p.errors);
        assert_eq!(capped[0].file, "/etc/apparmor.d/n");
        assert_eq!(capped[0].line, 2);
        assert!(capped[0].message.contains("nest deeper than 16"));
        assert!(p.profiles[0].userns);
        // Included text is capped in bytes, naming the include that crossed the cap.
        let big = format!("# {}\n", "x".repeat(MAX_INCLUDED_BYTES));
        let mut huge = Tree::default().file("/etc/apparmor.d/big", &big);
        let p = parse_policy(
            "/f",
            "profile x /x {\n  userns,\n  include <big>\n}\n",
            &mut huge,
        );
        assert_eq!(
            p.errors,
            vec![PolicyError {
                file: "/f".into(),
                line: 3,
                message: format!(
                    "included text exceeds {MAX_INCLUDED_BYTES} bytes (at /etc/apparmor.d/big); the rest is not read"
                ),
                effect: Effect::NotJudged,
            }]
        );
    }

    #[test]
    fn specificity_and_the_kernels_choice() {
        let v = Variables::new();
        let (profiles, _) = parse_profiles(concat!(
            "profile a /usr/bin/rootlesskit {\n}\n",
            "profile b /usr/bin/rootlesskit {\n}\n",
            "profile c /usr/bin/* {\n}\n",
            "/usr/bin/rootlesskit {\n}\n",
            "profile d /usr/{local/,}bin/rootlesskit {\n}\n",
            "profile e /usr/** {\n}\n",
        ));
        let s: Vec<Option<Specificity>> = profiles
            .iter()
            .map(|p| specificity(p, &v, "/usr/bin/rootlesskit").unwrap())
            .collect();
        assert_eq!(
            s,
            vec![
                Some(Specificity::Pattern(20)),
                Some(Specificity::Pattern(20)),
                Some(Specificity::Pattern(10)),
                Some(Specificity::ExactName),
                Some(Specificity::Pattern(20)),
                Some(Specificity::Pattern(6)),
            ]
        );
        let p = |i: usize| s[i].unwrap();
        // Two exact attachments conflict; an alternation without `*` is just as specific.
        assert_eq!(kernel_choice(&[p(0), p(1)]), Choice::Conflict(vec![0, 1]));
        assert_eq!(kernel_choice(&[p(0), p(4)]), Choice::Conflict(vec![0, 1]));
        // An exact attachment beats a pattern, and a profile named by the path beats everything.
        assert_eq!(kernel_choice(&[p(2), p(0), p(5)]), Choice::One(1));
        assert_eq!(kernel_choice(&[p(0), p(1), p(3)]), Choice::One(2));
        assert_eq!(kernel_choice(&[]), Choice::Nothing);
        assert!(profiles[3].attaches_by_name());
        assert!(!profiles[0].attaches_by_name());
    }

    proptest! {
        #[test]
        fn includes_never_panic_and_stay_capped(
            files in prop::collection::vec(("[a-c]", "[a-z<>\"{}#, \n]{0,40}(include <[a-c]>|include if exists <[a-d]>|userns,)?\n"), 0..6),
            text in "(profile x /x \\{\n)?([a-z,{} \n]|include <[a-d]>\n|include if exists <[a-d]>\n){0,12}\\}?\n?",
        ) {
            let mut tree = Tree::default().dir("/etc/apparmor.d/d", &["a", "b", "c"]);
            for (name, body) in &files {
                tree = tree.file(&format!("/etc/apparmor.d/{name}"), body);
                tree = tree.file(&format!("/etc/apparmor.d/d/{name}"), body);
            }
            let p = parse_policy("/f", &text, &mut tree);
            for e in &p.errors {
                prop_assert!(e.line >= 1);
                prop_assert!(!e.file.is_empty());
            }
        }

        #[test]
        fn choice_is_a_conflict_exactly_when_the_best_pattern_is_tied(lens in prop::collection::vec(0usize..5, 0..6)) {
            let specs: Vec<Specificity> = lens.iter().map(|&n| Specificity::Pattern(n)).collect();
            let best = lens.iter().max();
            let tied = best.map(|b| lens.iter().filter(|&&n| n == *b).count()).unwrap_or(0);
            match kernel_choice(&specs) {
                Choice::Nothing => prop_assert!(lens.is_empty()),
                Choice::One(i) => { prop_assert_eq!(tied, 1); prop_assert_eq!(Some(&lens[i]), best); }
                Choice::Conflict(is) => { prop_assert!(tied >= 2); prop_assert_eq!(is.len(), tied); }
            }
        }
    }
}
