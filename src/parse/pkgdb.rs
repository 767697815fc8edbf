//! Readers for package databases, so that installed versions can be learnt without spawning a
//! package manager.
//!
//! * dpkg keeps `/var/lib/dpkg/status` in deb822 form (deb-control(5)): stanzas of
//!   `Field: value` lines separated by empty lines, continuation lines starting with white
//!   space. The `Status` field (`want flag state`, see dpkg(1)) is `install ok installed` for
//!   a package that is actually installed.
//! * pacman keeps one `desc` file per package under `/var/lib/pacman/local/NAME-VERSION/`,
//!   made of `%FIELD%` headers each followed by value lines and a blank line.
//!
//! The version helpers understand Debian version syntax (deb-version(7): `[epoch:]upstream
//! [-revision]`), pacman's `[epoch:]pkgver-pkgrel`, and the date-based versions of passt/pasta.

use std::collections::BTreeMap;

use crate::parse::scan;

/// Returns `package -> version` for every installed package in a dpkg status file.
///
/// A package whose status is anything but installed (removed with config files left,
/// half-installed, unpacked) is left out, because its binaries may be missing or broken.
pub fn parse_dpkg_status(text: &str) -> BTreeMap<String, String> {
    let mut scan = DpkgScan::default();
    scan.feed(text.as_bytes());
    scan.finish()
        .iter()
        .map(|(p, v)| (p.to_owned(), v.to_owned()))
        .collect()
}

/// The installed packages a [`DpkgScan`] found: every name and version in one string, so a status file of a
/// thousand packages costs two allocations, not two thousand.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Installed {
    text: String,
    /// Per package: where its name ends and its version starts, and where the version ends.
    entries: Vec<(u32, u32, u32)>,
}

impl Installed {
    fn push(&mut self, package: &[u8], version: &[u8]) {
        let start = self.text.len();
        push_lossy(&mut self.text, package);
        let middle = self.text.len();
        push_lossy(&mut self.text, version);
        let end = self.text.len();
        // The file is capped far below 4 GiB; a longer text would be cut short, never misread.
        if let (Ok(s), Ok(m), Ok(e)) = (
            u32::try_from(start),
            u32::try_from(middle),
            u32::try_from(end),
        ) {
            self.entries.push((s, m, e));
        }
    }

    /// Every package and its version, in file order (a package listed twice appears twice).
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&str, &str)> {
        self.entries.iter().map(|&(s, m, e)| {
            let (s, m, e) = (s as usize, m as usize, e as usize);
            (&self.text[s..m], &self.text[m..e])
        })
    }

    /// The version of `package`; a later stanza wins, as dpkg's last word on it.
    pub fn get(&self, package: &str) -> Option<&str> {
        self.iter()
            .rev()
            .find(|(p, _)| *p == package)
            .map(|(_, v)| v)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Appends `bytes` decoded lossily; valid UTF-8 (every name and version dpkg writes) is checked and copied without
/// the lossy decoder's per-chunk iteration.
fn push_lossy(text: &mut String, bytes: &[u8]) {
    match std::str::from_utf8(bytes) {
        Ok(valid) => text.push_str(valid),
        Err(_) => text.push_str(&String::from_utf8_lossy(bytes)),
    }
}

/// [`parse_dpkg_status`] fed piece by piece, so the status file (~700 KB on a desktop, megabytes on a big
/// server) is read through a small buffer instead of being held whole: the doctor wants a few versions from it,
/// and its start-up time is mostly the memory it touches and the lines it looks at.
///
/// It reads the file as dpkg's own parser does (`lib/dpkg/parse.c`): a stanza ends at an empty line; a line that
/// starts with white space continues the field before it (so a line of spaces ends nothing); field names are
/// matched without regard to case; a field twice in one stanza is an error to dpkg, and here the first one counts.
/// That last rule is what makes it fast: once a stanza's Package, Status and Version are known (dpkg writes them
/// in its first lines), or its Status says it is not installed, the rest of the stanza (Depends, Conffiles,
/// Description: most of the file) is skipped with one substring search for the empty line, not read line by
/// line. Of a line that crosses a piece's end, only a Package, Version or Status line's start is kept for the next
/// piece, and such a line longer than [`LINE_MAX`] is ignored, so memory stays bounded by the pieces whatever the
/// file holds. Values are decoded lossily, so one odd byte hides no version. It reads what dpkg writes: a file dpkg
/// would refuse (CRLF line ends, a field twice in a stanza) may read differently here.
#[derive(Default)]
pub struct DpkgScan {
    carry: Vec<u8>,
    stanza: Stanza,
    installed: Installed,
    /// The rest of the stanza is of no interest: look only for the empty line that ends it.
    skipping: bool,
    /// While skipping, whether the piece before ended with a newline (so a newline first in this one is an empty
    /// line).
    at_line_start: bool,
    /// The line that crosses the piece's end is of no interest (not a Package, Version or Status line) or longer
    /// than [`LINE_MAX`]: its bytes are not kept, so a hostile file costs no more memory than its pieces.
    dropping: bool,
    /// Only these packages are recorded ([`DpkgScan::only`]); every installed one when `None`.
    wanted: Option<Vec<Vec<u8>>>,
    /// How many times [`DpkgScan::jump_to_version`] searched for a stanza's end (the regression test's measure).
    #[cfg(test)]
    end_searches: usize,
}

/// The longest Package, Version or Status line read; a longer one is ignored (dpkg's own are tens of bytes), so
/// what is kept between pieces and copied into [`Installed`] stays small whatever the file holds.
pub const LINE_MAX: usize = 4096;

/// The end of a stanza, searched for once per stanza: built once, not at every search.
static EMPTY_LINE: std::sync::LazyLock<scan::Finder> =
    std::sync::LazyLock::new(|| scan::Finder::new(b"\n\n"));

/// White space to dpkg (C `isspace`): a line starting with one continues the field before it.
fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

impl DpkgScan {
    /// A scan that records only these packages: a stanza of another package is skipped from its Package line on
    /// (one search for the empty line), which halves the scan of a desktop's status file. What it records for them
    /// is what the full scan records; names are compared as bytes, so a name that is not UTF-8 (the full scan
    /// records it decoded lossily) is never one of them, and dpkg's names are ASCII.
    pub fn only<'a>(packages: impl IntoIterator<Item = &'a str>) -> DpkgScan {
        DpkgScan {
            wanted: Some(
                packages
                    .into_iter()
                    .map(|p| p.as_bytes().to_vec())
                    .collect(),
            ),
            ..DpkgScan::default()
        }
    }

    /// Takes the next piece of the file.
    pub fn feed(&mut self, piece: &[u8]) {
        let mut i = 0;
        // Where this piece was found to hold no empty line after (see `jump_to_version`): none after any later line
        // either, so the search is not made again for each line, which would cost the lines times the piece.
        let mut no_end_after = usize::MAX;
        while i < piece.len() {
            if self.skipping {
                if self.at_line_start && piece[i] == b'\n' {
                    self.end_stanza();
                    i += 1;
                    continue;
                }
                match EMPTY_LINE.find(&piece[i..]) {
                    Some(p) => {
                        self.end_stanza();
                        i += p + 2;
                    }
                    None => {
                        self.at_line_start = piece.last() == Some(&b'\n');
                        return;
                    }
                }
                continue;
            }
            let Some(nl) = scan::find_byte(b'\n', &piece[i..]) else {
                self.keep_partial(&piece[i..]);
                return;
            };
            let end = i + nl;
            if self.dropping {
                self.dropping = false;
            } else if self.carry.is_empty() {
                self.line(&piece[i..end]);
            } else if self.carry.len() + (end - i) > LINE_MAX {
                self.carry.clear();
            } else {
                let mut line = std::mem::take(&mut self.carry);
                line.extend_from_slice(&piece[i..end]);
                self.line(&line);
                line.clear();
                self.carry = line;
            }
            i = end + 1;
            // A skip starts at a line's start.
            self.at_line_start = true;
            if i < no_end_after {
                match self.jump_to_version(piece, i) {
                    Jump::To(next) => i = next,
                    Jump::NoEnd => no_end_after = i,
                    Jump::No => {}
                }
            }
        }
    }

    /// Once a stanza's Package and installed Status are known (dpkg writes them first), only its Version line and
    /// its end are of interest: every other line (Priority, Section, Maintainer: some nine per stanza) is ignored
    /// by [`DpkgScan::line`] anyway. So from `from`, a line's start in `piece`, this looks only at the lines that
    /// start with `V` or `v` before the stanza's end, and returns where to go on: after the empty line, the stanza
    /// recorded, once its Version line is found; else at the empty line. Otherwise the line-by-line reading goes on:
    /// the stanza is not in that state ([`Jump::No`]), or this piece holds no empty line after `from` ([`Jump::NoEnd`]).
    fn jump_to_version(&mut self, piece: &[u8], from: usize) -> Jump {
        let st = &self.stanza;
        if self.skipping
            || self.dropping
            || !self.carry.is_empty()
            || !(st.package.0 && st.status.0)
            || st.version.0
        {
            return Jump::No;
        }
        let Some(rest) = piece.get(from..) else {
            return Jump::No;
        };
        // An empty line here ends the stanza: the normal path's. Otherwise the first "\n\n" ends the stanza's last
        // line and starts the empty line after it.
        if rest.first() == Some(&b'\n') {
            return Jump::No;
        }
        #[cfg(test)]
        {
            self.end_searches += 1;
        }
        let Some(end) = EMPTY_LINE.find(rest) else {
            return Jump::NoEnd;
        };
        // The stanza's lines, each with its newline.
        let lines = &rest[..=end];
        let mut at = 0;
        while let Some(found) = scan::find_either(b'V', b'v', &lines[at..]) {
            let start = at + found;
            // Each line of `lines` ends with a newline.
            let len = scan::find_byte(b'\n', &lines[start..]).unwrap_or(lines.len() - start);
            at = start + len + 1;
            if start == 0 || lines[start - 1] == b'\n' {
                self.line(&lines[start..start + len]);
                if self.stanza.version.0 {
                    // The stanza's end is known: it ends here, without a second search for it.
                    self.end_stanza();
                    return Jump::To(from + lines.len() + 1);
                }
            }
        }
        // No Version line: on at the empty line, which ends the stanza.
        Jump::To(from + lines.len())
    }

    /// The installed packages, once the whole file was fed.
    pub fn finish(mut self) -> Installed {
        if !self.skipping && !self.carry.is_empty() {
            let last = std::mem::take(&mut self.carry);
            self.line(&last);
        }
        self.stanza
            .finish(&mut self.installed, self.wanted.as_deref());
        self.installed
    }

    /// Keeps the start of a line that crosses the piece's end, if it may be a Package, Version or Status line
    /// within [`LINE_MAX`]; otherwise drops the line up to its newline.
    fn keep_partial(&mut self, rest: &[u8]) {
        if self.dropping {
            return;
        }
        let first = self.carry.first().or(rest.first()).copied().unwrap_or(b' ');
        if !matches!(first | 0x20, b'p' | b'v' | b's') || self.carry.len() + rest.len() > LINE_MAX {
            self.carry.clear();
            self.dropping = true;
            return;
        }
        self.carry.extend_from_slice(rest);
    }

    fn end_stanza(&mut self) {
        self.stanza
            .finish(&mut self.installed, self.wanted.as_deref());
        self.skipping = false;
    }

    fn line(&mut self, line: &[u8]) {
        let slot = match line.first() {
            None => return self.end_stanza(),
            Some(&b) if is_c_space(b) => return,
            Some(b'P' | b'p') => &mut self.stanza.package,
            Some(b'V' | b'v') => &mut self.stanza.version,
            Some(b'S' | b's') => &mut self.stanza.status,
            Some(_) => return,
        };
        if line.len() > LINE_MAX {
            return;
        }
        let name: &[u8] = match line[0] | 0x20 {
            b'p' => b"package",
            b'v' => b"version",
            _ => b"status",
        };
        if slot.0
            || line.len() <= name.len()
            || line[name.len()] != b':'
            || !line[..name.len()].eq_ignore_ascii_case(name)
        {
            return;
        }
        slot.0 = true;
        slot.1.clear();
        slot.1
            .extend_from_slice(line[name.len() + 1..].trim_ascii());
        let st = &self.stanza;
        self.skipping = (st.package.0 && st.version.0 && st.status.0)
            || (st.status.0 && !st.status.1.ends_with(b" installed"))
            || (st.package.0 && !is_wanted(self.wanted.as_deref(), &st.package.1));
    }
}

/// Whether `package` is one to record: every one without a [`DpkgScan::only`] list. Asked when the Package line is
/// read (to skip the rest of another package's stanza) and when the stanza ends ([`Stanza::finish`]).
fn is_wanted(wanted: Option<&[Vec<u8>]>, package: &[u8]) -> bool {
    wanted.is_none_or(|w| w.iter().any(|p| p == package))
}

/// What [`DpkgScan::jump_to_version`] found.
enum Jump {
    /// Go on from here.
    To(usize),
    /// Not in a stanza that waits for its Version line.
    No,
    /// The piece holds no empty line after the point asked about.
    NoEnd,
}

/// One stanza's Package, Version and Status: whether the field was seen, and its value.
#[derive(Default)]
struct Stanza {
    package: (bool, Vec<u8>),
    version: (bool, Vec<u8>),
    status: (bool, Vec<u8>),
}

impl Stanza {
    /// Records the stanza if it describes an installed package, then resets for the next one.
    fn finish(&mut self, installed: &mut Installed, wanted: Option<&[Vec<u8>]>) {
        let (package, version, status) = (&self.package, &self.version, &self.status);
        // A stanza whose Package line comes after its Version and Status is complete when that line is read, so the
        // skip that line starts does not keep it out; this does.
        if is_wanted(wanted, &package.1)
            && package.0
            && version.0
            && status.0
            && status.1.ends_with(b" installed")
            && !package.1.is_empty()
        {
            installed.push(&package.1, &version.1);
        }
        self.package.0 = false;
        self.version.0 = false;
        self.status.0 = false;
    }
}

/// Returns `(name, version)` from a pacman `desc` file, or `None` if either is missing.
pub fn parse_pacman_desc(text: &str) -> Option<(String, String)> {
    let mut name = None;
    let mut version = None;
    let mut lines = text.lines().map(str::trim_ascii);
    while let Some(line) = lines.next() {
        // The value is the first line after its header; a field without one is ignored.
        let slot = match line {
            "%NAME%" => &mut name,
            "%VERSION%" => &mut version,
            _ => continue,
        };
        if let Some(value) = lines.next().filter(|v| !v.is_empty()) {
            *slot = Some(value.to_string());
        }
    }
    Some((name?, version?))
}

/// Strips the epoch (`1:`) and the Debian revision or pacman pkgrel (the part after the last
/// `-`) from a package version, leaving the upstream version.
pub fn upstream_version(pkg_version: &str) -> &str {
    let v = pkg_version.trim_ascii();
    let v = strip_epoch(v);
    match v.rsplit_once('-') {
        Some((upstream, _revision)) if !upstream.is_empty() => upstream,
        _ => v,
    }
}

/// Removes a leading `digits:` epoch, if present.
fn strip_epoch(v: &str) -> &str {
    match v.split_once(':') {
        Some((epoch, rest)) if !epoch.is_empty() && epoch.bytes().all(|b| b.is_ascii_digit()) => {
            rest
        }
        _ => v,
    }
}

/// Reads the leading `MAJOR[.MINOR[.PATCH]]` of a version, tolerating a `v` prefix and an
/// epoch; missing components are 0. Returns `None` when the version does not start with a
/// number.
pub fn semver_prefix(v: &str) -> Option<(u64, u64, u64)> {
    let v = strip_epoch(v.trim_ascii());
    let v = v
        .strip_prefix('v')
        .or_else(|| v.strip_prefix('V'))
        .unwrap_or(v);
    let (major, rest) = leading_number(v)?;
    let mut parts = [major, 0, 0];
    let mut rest = rest;
    for slot in parts.iter_mut().skip(1) {
        let Some(after_dot) = rest.strip_prefix('.') else {
            break;
        };
        let Some((n, after)) = leading_number(after_dot) else {
            break;
        };
        *slot = n;
        rest = after;
    }
    let [major, minor, patch] = parts;
    Some((major, minor, patch))
}

/// Splits a leading run of ASCII digits off `s` and parses it; `None` if there is none or it
/// overflows.
fn leading_number(s: &str) -> Option<(u64, &str)> {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let digits = s.get(..end)?;
    let rest = s.get(end..)?;
    if digits.is_empty() {
        return None;
    }
    Some((digits.parse().ok()?, rest))
}

/// Extracts the release date from a passt/pasta version.
///
/// Upstream versions are dates, `2023_12_04.b86afe3` (also as printed by `pasta --version`),
/// while Debian packages them as `0.0~git20231204.b86afe3-1` and Fedora as
/// `0^20231204.gb86afe3-1.fc39`. The underscore form is preferred; otherwise the first run of
/// exactly eight digits that is a plausible date is used.
pub fn pasta_date(v: &str) -> Option<(u32, u32, u32)> {
    let bytes = v.as_bytes();
    // Look for YYYY_MM_DD, which is unambiguous.
    for start in 0..bytes.len() {
        let Some(window) = bytes.get(start..start + 10) else {
            break;
        };
        let preceded_by_digit = start > 0 && bytes.get(start - 1).is_some_and(u8::is_ascii_digit);
        if preceded_by_digit {
            continue;
        }
        if let [y1, y2, y3, y4, b'_', m1, m2, b'_', d1, d2] = window
            && let Some(date) = date_from_digits(&[*y1, *y2, *y3, *y4, *m1, *m2, *d1, *d2])
        {
            return Some(date);
        }
    }
    // Otherwise look for a run of exactly eight digits, YYYYMMDD.
    let mut rest = v;
    while !rest.is_empty() {
        let start = rest.find(|c: char| c.is_ascii_digit())?;
        let run = rest.get(start..)?;
        let len = run.find(|c: char| !c.is_ascii_digit()).unwrap_or(run.len());
        if len == 8
            && let Some(date) = date_from_digits(run.as_bytes().get(..8)?)
        {
            return Some(date);
        }
        rest = run.get(len..)?;
    }
    None
}

/// Interprets eight ASCII digits as YYYYMMDD, accepting only plausible dates so that a commit
/// hash made of digits is not mistaken for one.
fn date_from_digits(digits: &[u8]) -> Option<(u32, u32, u32)> {
    if digits.len() != 8 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let value = |range: std::ops::Range<usize>| {
        digits
            .get(range)?
            .iter()
            .try_fold(0u32, |acc, d| Some(acc * 10 + u32::from(d - b'0')))
    };
    let (year, month, day) = (value(0..4)?, value(4..6)?, value(6..8)?);
    if (2000..=2999).contains(&year) && (1..=12).contains(&month) && (1..=31).contains(&day) {
        Some((year, month, day))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const DPKG_STATUS: &str = "\
Package: uidmap
Status: install ok installed
Priority: optional
Section: admin
Installed-Size: 140
Maintainer: Ubuntu Developers <ubuntu-devel-discuss@lists.ubuntu.com>
Architecture: amd64
Source: shadow
Version: 1:4.13+dfsg1-4ubuntu3
Depends: libc6 (>= 2.38), libsubid4 (= 1:4.13+dfsg1-4ubuntu3)
Description: programs to help use subuids
 These programs help unprivileged users to create uid and gid mappings in
 user namespaces.
 .
 Version: 9.9.9 (a continuation line that must not be read as a field)

Package: passt
Status: install ok installed
Architecture: amd64
Version: 0.0~git20240220.1e6f92b-1
Description: user-mode networking daemons for virtual machines and namespaces

Package: slirp4netns
Status: deinstall ok config-files
Version: 1.2.1-1build2

Package: rootlesskit
Status: install ok half-installed
Version: 2.0.2-1

Package: docker-ce-rootless-extras
Status: install ok installed
Version: 5:27.3.1-1~ubuntu.24.04~noble
";

    #[test]
    fn dpkg_status() {
        let pkgs = parse_dpkg_status(DPKG_STATUS);
        assert_eq!(pkgs.len(), 3, "{pkgs:?}");
        assert_eq!(
            pkgs.get("uidmap").map(String::as_str),
            Some("1:4.13+dfsg1-4ubuntu3")
        );
        assert_eq!(
            pkgs.get("passt").map(String::as_str),
            Some("0.0~git20240220.1e6f92b-1")
        );
        assert!(!pkgs.contains_key("slirp4netns"));
        assert!(!pkgs.contains_key("rootlesskit"));
        assert_eq!(
            pkgs.get("docker-ce-rootless-extras")
                .map(|v| upstream_version(v)),
            Some("27.3.1")
        );
    }

    #[test]
    fn pacman_desc() {
        let desc = "%NAME%\nslirp4netns\n\n%VERSION%\n1.3.1-1\n\n%BASE%\nslirp4netns\n\n%DESC%\nUser-mode networking for unprivileged network namespaces\n\n";
        assert_eq!(
            parse_pacman_desc(desc),
            Some(("slirp4netns".to_string(), "1.3.1-1".to_string()))
        );
        assert_eq!(parse_pacman_desc("%NAME%\nfoo\n"), None);
        assert_eq!(parse_pacman_desc("%NAME%\n\n%VERSION%\n1-1\n"), None);
        assert_eq!(parse_pacman_desc(""), None);
    }

    #[test]
    fn upstream_versions() {
        assert_eq!(upstream_version("1:2.3.4-5"), "2.3.4");
        assert_eq!(
            upstream_version("0.0~git20230309.7d4bc6c-1"),
            "0.0~git20230309.7d4bc6c"
        );
        assert_eq!(upstream_version("1:4.13+dfsg1-4ubuntu3"), "4.13+dfsg1");
        assert_eq!(upstream_version("2.0.2"), "2.0.2");
        assert_eq!(upstream_version("1.3.1-1"), "1.3.1");
        // Hyphens inside the upstream part are allowed when a revision follows.
        assert_eq!(upstream_version("1.0-beta-2"), "1.0-beta");
        assert_eq!(
            upstream_version("2023_12_04.b86afe3-1"),
            "2023_12_04.b86afe3"
        );
        assert_eq!(upstream_version(""), "");
        assert_eq!(upstream_version("-1"), "-1");
    }

    #[test]
    fn semver_prefixes() {
        assert_eq!(semver_prefix("1.2.0-1"), Some((1, 2, 0)));
        assert_eq!(semver_prefix("v1.1.1"), Some((1, 1, 1)));
        assert_eq!(semver_prefix("0.4.3"), Some((0, 4, 3)));
        assert_eq!(semver_prefix("2"), Some((2, 0, 0)));
        assert_eq!(semver_prefix("2.5"), Some((2, 5, 0)));
        assert_eq!(semver_prefix("1:4.13+dfsg1"), Some((4, 13, 0)));
        assert_eq!(semver_prefix("1.2.x"), Some((1, 2, 0)));
        assert_eq!(semver_prefix("27.3.1~ubuntu"), Some((27, 3, 1)));
        assert_eq!(semver_prefix("slirp4netns version 1.2.0"), None);
        assert_eq!(semver_prefix(""), None);
        assert_eq!(semver_prefix("99999999999999999999999.1"), None);
    }

    #[test]
    fn pasta_dates() {
        assert_eq!(pasta_date("2023_12_04.b86afe3"), Some((2023, 12, 4)));
        assert_eq!(pasta_date("pasta 2023_12_04.b86afe3"), Some((2023, 12, 4)));
        assert_eq!(pasta_date("0.0~git20231204.b86afe3-1"), Some((2023, 12, 4)));
        assert_eq!(pasta_date("0.0~git20230309.7d4bc6c"), Some((2023, 3, 9)));
        assert_eq!(
            pasta_date("0^20231204.gb86afe3-1.fc39"),
            Some((2023, 12, 4))
        );
        assert_eq!(
            pasta_date("pasta 2024_09_06.6b38f07\nCopyright Red Hat\n"),
            Some((2024, 9, 6))
        );
        // A digit-only hash of the wrong length, or an impossible date, is not a date.
        assert_eq!(pasta_date("0.0~git.123456789"), None);
        assert_eq!(pasta_date("20231304"), None);
        assert_eq!(pasta_date("1.2.3"), None);
        assert_eq!(pasta_date(""), None);
    }

    proptest! {
        #[test]
        fn never_panics(text in any::<String>()) {
            let _ = parse_dpkg_status(&text);
            let _ = parse_pacman_desc(&text);
            let up = upstream_version(&text);
            prop_assert!(text.contains(up));
            let _ = semver_prefix(&text);
            let _ = pasta_date(&text);
        }

        #[test]
        fn semver_round_trips(a in any::<u64>(), b in any::<u64>(), c in any::<u64>(), suffix in "(-[0-9a-z.~+]{0,10})?") {
            prop_assert_eq!(semver_prefix(&format!("{a}.{b}.{c}{suffix}")), Some((a, b, c)));
            prop_assert_eq!(semver_prefix(&format!("v{a}.{b}.{c}")), Some((a, b, c)));
        }

        #[test]
        fn pasta_date_round_trips(y in 2000u32..3000, m in 1u32..=12, d in 1u32..=31, hash in "[0-9a-f]{7}") {
            prop_assert_eq!(pasta_date(&format!("{y}_{m:02}_{d:02}.{hash}")), Some((y, m, d)));
            prop_assert_eq!(pasta_date(&format!("0.0~git{y}{m:02}{d:02}.{hash}-1")), Some((y, m, d)));
        }

        #[test]
        fn upstream_strips_epoch_and_revision(epoch in 0u32..10, up in "[0-9][0-9a-z.+~]{0,10}", rev in "[0-9a-z.+~]{1,8}") {
            let with_epoch = format!("{epoch}:{up}-{rev}");
            let without_epoch = format!("{up}-{rev}");
            prop_assert_eq!(upstream_version(&with_epoch), up.as_str());
            prop_assert_eq!(upstream_version(&without_epoch), up.as_str());
        }

        #[test]
        fn dpkg_round_trips(pkgs in prop::collection::btree_map("[a-z0-9][a-z0-9.+-]{1,15}", "[0-9][0-9a-z.+~:-]{0,12}", 0..8)) {
            let text: String = pkgs
                .iter()
                .map(|(p, v)| format!("Package: {p}\nStatus: install ok installed\nVersion: {v}\nDescription: x\n long text\n\n"))
                .collect();
            prop_assert_eq!(parse_dpkg_status(&text), pkgs);
        }
    }
}

#[cfg(test)]
mod scan_tests {
    use super::*;
    use proptest::prelude::*;

    fn scan_pieces(bytes: &[u8], cuts: &[usize]) -> Installed {
        scan_pieces_with(DpkgScan::default(), bytes, cuts)
    }

    fn scan_pieces_with(mut scan: DpkgScan, bytes: &[u8], cuts: &[usize]) -> Installed {
        let mut from = 0;
        for &cut in cuts {
            let cut = cut.clamp(from, bytes.len());
            scan.feed(&bytes[from..cut]);
            from = cut;
        }
        scan.feed(&bytes[from..]);
        scan.finish()
    }

    /// dpkg's rules read line by line, the slow way: the reference the scan is held to.
    fn by_lines(bytes: &[u8]) -> Installed {
        let mut installed = Installed::default();
        let mut fields: [Option<Vec<u8>>; 3] = Default::default();
        let end = |fields: &mut [Option<Vec<u8>>; 3], installed: &mut Installed| {
            if let [Some(p), Some(v), Some(st)] = fields
                && st.ends_with(b" installed")
                && !p.is_empty()
            {
                installed.push(p, v);
            }
            *fields = Default::default();
        };
        for line in bytes.split(|&b| b == b'\n') {
            if line.is_empty() {
                end(&mut fields, &mut installed);
                continue;
            }
            if is_c_space(line[0]) || line.len() > LINE_MAX {
                continue;
            }
            let Some(colon) = line.iter().position(|&b| b == b':') else {
                continue;
            };
            let name = line[..colon].to_ascii_lowercase();
            let slot = match name.as_slice() {
                b"package" => &mut fields[0],
                b"version" => &mut fields[1],
                b"status" => &mut fields[2],
                _ => continue,
            };
            if slot.is_none() {
                *slot = Some(line[colon + 1..].trim_ascii().to_vec());
            }
        }
        end(&mut fields, &mut installed);
        installed
    }

    #[test]
    fn finds_only_installed_stanzas() {
        let status = "Package: slirp4netns-doc\nStatus: install ok installed\nVersion: 9\n\n\
Package: slirp4netns\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.2.0-1\n\n\
Package: passt\nStatus: deinstall ok config-files\nVersion: 0.0~git20230309.7d4bc6c-1\n";
        let installed = parse_dpkg_status(status);
        assert_eq!(
            installed.get("slirp4netns").map(String::as_str),
            Some("1.2.0-1")
        );
        assert_eq!(
            installed.get("slirp4netns-doc").map(String::as_str),
            Some("9")
        );
        assert_eq!(installed.get("passt"), None);
        assert_eq!(installed.len(), 2);
    }

    #[test]
    fn a_line_or_an_empty_line_split_across_pieces_is_read_whole() {
        let status = b"Package: a\nStatus: install ok installed\nVersion: 1\nDepends: x\n\nPackage: rootlesskit\n\
Status: install ok installed\nVersion: 2.3.4-1\n";
        for cut in 0..status.len() {
            let installed = scan_pieces(status, &[cut]);
            assert_eq!(installed.get("a"), Some("1"), "cut at {cut}");
            assert_eq!(
                installed.get("rootlesskit"),
                Some("2.3.4-1"),
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn regression_a_version_after_the_empty_line_is_the_next_stanzas() {
        // The jump to a stanza's Version line once its Package and Status are known must stop at the empty line
        // that follows them.
        let status = b"Package: a\nStatus: install ok installed\n\nVersion: 1\n\nPackage: b\n";
        assert!(scan_pieces(status, &[]).is_empty());
        assert_eq!(scan_pieces(status, &[]), by_lines(status));
    }

    #[test]
    fn regression_a_stanza_without_end_costs_one_search_per_piece() {
        // A stanza that waits for its Version line and never ends: the search for its end was made again after
        // every line, each to the end of the piece (a 2 MiB piece took 34 s). Now once per piece.
        let mut status = b"Package: a\nStatus: install ok installed\n".to_vec();
        status.extend(b"x\n".repeat(1 << 20));
        for piece in [status.len(), 1 << 16, 4096] {
            let mut scan = DpkgScan::default();
            for chunk in status.chunks(piece) {
                scan.feed(chunk);
            }
            let pieces = status.len().div_ceil(piece);
            assert!(
                scan.end_searches <= pieces,
                "{} searches for {pieces} pieces of {piece} bytes",
                scan.end_searches
            );
            assert!(scan.finish().is_empty());
        }
    }

    #[test]
    fn a_line_of_spaces_continues_the_stanza_as_dpkg_reads_it() {
        // A stanza ends only at an empty line; " " continues the Description, so `b`'s Version is a's second,
        // ignored, and b's stanza has no Package of its own.
        let status = "Package: a\nStatus: install ok installed\nDescription: x\n \nVersion: 1\n\n\
Package: c\nstatus: install ok installed\nVERSION: 3\nVersion: 4\n";
        let installed = parse_dpkg_status(status);
        assert_eq!(installed.get("a").map(String::as_str), Some("1"));
        assert_eq!(installed.get("c").map(String::as_str), Some("3"));
        assert_eq!(installed.len(), 2);
    }

    /// Review finding: a `--root` tree's status file of one 64 MiB Package line of invalid UTF-8 was kept whole
    /// between pieces, copied, and decoded to three times its size (514 MiB at the peak). A line that long is now
    /// dropped as it streams, and nothing between pieces outgrows LINE_MAX.
    #[test]
    fn regression_a_huge_field_line_is_not_kept_between_pieces() {
        let mut scan = DpkgScan::default();
        scan.feed(b"Package: ");
        let junk = vec![0xff_u8; 64 * 1024];
        for _ in 0..32 {
            scan.feed(&junk);
            assert!(
                scan.carry.capacity() <= 2 * LINE_MAX,
                "{}",
                scan.carry.capacity()
            );
        }
        scan.feed(b"\nStatus: install ok installed\nVersion: 1\n\nPackage: b\nStatus: install ok installed\n");
        scan.feed(b"Version: 2\n");
        let installed = scan.finish();
        assert_eq!(installed.len(), 1);
        assert_eq!(installed.get("b"), Some("2"));
    }

    #[test]
    fn an_odd_byte_elsewhere_hides_no_version() {
        let mut status =
            b"Package: a\nStatus: install ok installed\nDescription: caf\xe9\nVersion: 1\n"
                .to_vec();
        status.extend_from_slice(b"\nPackage: b\xff\nStatus: install ok installed\nVersion: 2\n");
        let installed = scan_pieces(&status, &[]);
        assert_eq!(installed.get("a"), Some("1"));
        assert_eq!(installed.get("b\u{fffd}"), Some("2"));
        assert_eq!(installed.len(), 2);
    }

    #[test]
    fn a_large_status_file_cut_anywhere_reads_as_line_by_line() {
        // Shaped as dpkg writes it: hundreds of stanzas, Conffiles and Description continuation lines, some
        // packages removed with their configuration left.
        let mut real = String::new();
        for i in 0..800 {
            let state = if i % 7 == 0 {
                "deinstall ok config-files"
            } else {
                "install ok installed"
            };
            real.push_str(&format!(
                "Package: pkg{i}\nStatus: {state}\nPriority: optional\nSection: admin\nInstalled-Size: {i}\n\
Maintainer: M <m@example.org>\nArchitecture: amd64\nVersion: 1.{i}-1\nDepends: libc6 (>= 2.36)\n\
Conffiles:\n /etc/pkg{i}/a.conf 0123456789abcdef\n /etc/pkg{i}/b.conf 0123456789abcdef\n\
Description: package {i}\n long text, line one\n .\n long text, line two\n\n"
            ));
        }
        let real = real.into_bytes();
        for step in [1, 7, 4093, 65536] {
            let cuts: Vec<usize> = (1..real.len() / step).map(|i| i * step).collect();
            let scanned = scan_pieces(&real, &cuts);
            assert_eq!(scanned.len(), 800 - 115, "pieces of {step}");
            assert_eq!(scanned.get("pkg799"), Some("1.799-1"));
            assert_eq!(scanned.get("pkg798"), None);
            assert_eq!(scanned, by_lines(&real), "pieces of {step}");
        }
    }

    fn line() -> impl Strategy<Value = String> {
        prop_oneof![
            (
                prop_oneof![
                    Just("Package"),
                    Just("package"),
                    Just("Version"),
                    Just("VERSION"),
                    Just("version"),
                    // Lines that start like a Version line, or hold a V, and are none.
                    Just("Vcs-Git"),
                    Just("Versions"),
                    Just("Maintainer"),
                    Just("Status"),
                    Just("Depends"),
                    Just("Pre-Depends"),
                    Just("Source"),
                    Just("Package "),
                    Just(" Version"),
                    Just("\rStatus"),
                ],
                prop_oneof![Just(":"), Just(": "), Just(":\t"), Just("")],
                prop_oneof![
                    Just("a"),
                    Just("b"),
                    Just("1.0-1"),
                    Just("install ok installed"),
                    Just("deinstall ok config-files"),
                    Just(""),
                    Just("x\r"),
                    Just("Dave V. <v@vv.example>"),
                ],
            )
                .prop_map(|(f, c, v)| format!("{f}{c}{v}")),
            Just(String::new()),
            Just(" ".to_owned()),
            Just(" .".to_owned()),
            Just("\t".to_owned()),
            // Longer than LINE_MAX: ignored, whether whole in a piece or across pieces.
            Just(format!("Version: {}", "9".repeat(LINE_MAX))),
            Just(format!("Description: {}", "x".repeat(LINE_MAX))),
        ]
    }

    proptest! {
        /// However the file is cut into pieces, the scan (which skips the rest of a stanza once it knows enough)
        /// finds what dpkg's rules read line by line find.
        #[test]
        fn pieces_and_skips_agree_with_dpkg_read_line_by_line(
            lines in proptest::collection::vec(line(), 0..40),
            cuts in proptest::collection::vec(0usize..12000, 0..8),
        ) {
            let status = lines.join("\n");
            let mut cuts = cuts;
            cuts.sort_unstable();
            prop_assert_eq!(scan_pieces(status.as_bytes(), &cuts), by_lines(status.as_bytes()));
        }

        /// A scan for some packages records, for those, exactly what the full scan records, in the same order.
        #[test]
        fn a_scan_for_some_packages_agrees_with_the_full_scan(
            lines in proptest::collection::vec(line(), 0..40),
            cuts in proptest::collection::vec(0usize..12000, 0..8),
            wanted in proptest::sample::subsequence(vec!["a", "b", "1.0-1", "x", ""], 0..=5),
        ) {
            let status = lines.join("\n");
            let mut cuts = cuts;
            cuts.sort_unstable();
            let only = scan_pieces_with(DpkgScan::only(wanted.iter().copied()), status.as_bytes(), &cuts);
            let mut expected = Installed::default();
            for (p, v) in by_lines(status.as_bytes()).iter().filter(|(p, _)| wanted.contains(p)) {
                expected.push(p.as_bytes(), v.as_bytes());
            }
            prop_assert_eq!(only, expected);
        }
    }

    #[test]
    fn regression_a_stanza_whose_package_line_comes_last_is_recorded_only_when_wanted() {
        // Found by the pkgdb fuzz target: the Package line completes the stanza, and the skip it starts ended it
        // with the other package recorded.
        let status = "Status: install ok installed\nVersion: 1\nPackage: other\nDescription: x\n\n\
                      Version: 2\nStatus: install ok installed\nPackage: wanted\n\n\
                      Status: install ok installed\nVersion: 3\nPackage: last";
        for cut in 0..=status.len() {
            let only = scan_pieces_with(
                DpkgScan::only(["wanted", "last"]),
                status.as_bytes(),
                &[cut],
            );
            let found: Vec<_> = only.iter().collect();
            assert_eq!(found, [("wanted", "2"), ("last", "3")], "cut at {cut}");
        }
    }

    #[test]
    fn a_scan_for_some_packages_skips_the_others() {
        let status = "Package: docker.io\nStatus: install ok installed\nVersion: 26.1.5\n\n\
                      Package: rootlesskit\nStatus: install ok installed\nVersion: 2.0.2\n\n\
                      Package: uidmap\nStatus: install ok installed\nVersion: 1:4.13\n\n";
        let only = scan_pieces_with(
            DpkgScan::only(["rootlesskit", "uidmap", "passt"]),
            status.as_bytes(),
            &[],
        );
        let found: Vec<_> = only.iter().collect();
        assert_eq!(found, [("rootlesskit", "2.0.2"), ("uidmap", "1:4.13")]);
        assert_eq!(only.get("docker.io"), None);
    }
}
