//! Readers for package databases, so that installed versions can be learnt without spawning a
//! package manager.
//!
//! * dpkg keeps `/var/lib/dpkg/status` in deb822 form (deb-control(5)): stanzas of
//!   `Field: value` lines separated by blank lines, continuation lines starting with a space
//!   or tab. The `Status` field (`want flag state`, see dpkg(1)) is `install ok installed` for
//!   a package that is actually installed.
//! * pacman keeps one `desc` file per package under `/var/lib/pacman/local/NAME-VERSION/`,
//!   made of `%FIELD%` headers each followed by value lines and a blank line.
//!
//! The version helpers understand Debian version syntax (deb-version(7): `[epoch:]upstream
//! [-revision]`), pacman's `[epoch:]pkgver-pkgrel`, and the date-based versions of passt/pasta.

use std::collections::BTreeMap;

/// Returns `package -> version` for every installed package in a dpkg status file.
///
/// A package whose status is anything but installed (removed with config files left,
/// half-installed, unpacked) is left out, because its binaries may be missing or broken.
pub fn parse_dpkg_status(text: &str) -> BTreeMap<String, String> {
    let mut installed = BTreeMap::new();
    let mut stanza = Stanza::default();
    for line in text.lines() {
        if line.trim_ascii().is_empty() {
            stanza.finish(&mut installed);
            continue;
        }
        // Continuation lines belong to multi-line fields such as Description or Conffiles,
        // none of which is needed here.
        if line.starts_with(' ') || line.starts_with('\t') {
            continue;
        }
        if let Some((field, value)) = line.split_once(':') {
            let value = value.trim_ascii();
            // Field names are case-insensitive in deb822.
            if field.eq_ignore_ascii_case("Package") {
                stanza.package = Some(value.to_string());
            } else if field.eq_ignore_ascii_case("Version") {
                stanza.version = Some(value.to_string());
            } else if field.eq_ignore_ascii_case("Status") {
                stanza.status = Some(value.to_string());
            }
        }
    }
    stanza.finish(&mut installed);
    installed
}

#[derive(Default)]
struct Stanza {
    package: Option<String>,
    version: Option<String>,
    status: Option<String>,
}

impl Stanza {
    /// Records the stanza if it describes an installed package, then resets for the next one.
    fn finish(&mut self, installed: &mut BTreeMap<String, String>) {
        let stanza = std::mem::take(self);
        if let (Some(package), Some(version), Some(status)) =
            (stanza.package, stanza.version, stanza.status)
            && status.ends_with(" installed")
            && !package.is_empty()
        {
            installed.insert(package, version);
        }
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

/// The `Version:` of one installed package in dpkg's status file.
///
/// The file can be megabytes and the doctor asks about a few packages, so this finds the package's stanza
/// (SIMD substring search) and parses only that; a property test keeps it equal to [`parse_dpkg_status`].
pub fn dpkg_lookup(status: &str, package: &str) -> Option<String> {
    let needle = format!("Package: {package}\n");
    let bytes = status.as_bytes();
    let mut found = None;
    for start in memchr::memmem::find_iter(bytes, needle.as_bytes()) {
        if start != 0 && bytes[start - 1] != b'\n' {
            continue;
        }
        // A stanza ends at the first blank line (a line of only whitespace, as parse_dpkg_status reads it).
        let mut end = status.len();
        let mut pos = start;
        while let Some(nl) = memchr::memchr(b'\n', &bytes[pos..]) {
            let line_start = pos + nl + 1;
            let line_end = memchr::memchr(b'\n', &bytes[line_start..])
                .map_or(status.len(), |i| line_start + i);
            if status[line_start..line_end].trim().is_empty() {
                end = line_start;
                break;
            }
            pos = line_start;
        }
        if let Some(v) = parse_dpkg_status(&status[start..end]).get(package) {
            // Later stanzas win in parse_dpkg_status too.
            found = Some(v.clone());
        }
    }
    found
}

#[cfg(test)]
mod lookup_tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn finds_only_installed_stanzas() {
        let status = "Package: slirp4netns-doc\nStatus: install ok installed\nVersion: 9\n\n\
Package: slirp4netns\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.2.0-1\n\n\
Package: passt\nStatus: deinstall ok config-files\nVersion: 0.0~git20230309.7d4bc6c-1\n";
        assert_eq!(
            dpkg_lookup(status, "slirp4netns").as_deref(),
            Some("1.2.0-1")
        );
        assert_eq!(dpkg_lookup(status, "passt"), None);
        assert_eq!(dpkg_lookup(status, "vpnkit"), None);
    }

    fn stanza() -> impl Strategy<Value = String> {
        (
            prop_oneof![Just("a"), Just("b"), Just("ab")],
            prop_oneof![
                Just("install ok installed"),
                Just("deinstall ok config-files")
            ],
            "[0-9][.0-9a-z~+-]{0,6}",
            prop_oneof![Just(""), Just("Description: x\n Version: 666\n")],
        )
            .prop_map(|(p, st, v, extra)| {
                format!("Package: {p}\nStatus: {st}\nVersion: {v}\n{extra}")
            })
    }

    proptest! {
        #[test]
        fn lookup_agrees_with_the_full_parse(
            stanzas in proptest::collection::vec(stanza(), 0..6),
            sep in prop_oneof![Just("\n"), Just("\n \n")],
            package in prop_oneof![Just("a"), Just("b"), Just("ab")],
        ) {
            let status = stanzas.join(sep);
            prop_assert_eq!(dpkg_lookup(&status, package), parse_dpkg_status(&status).get(package).cloned());
        }
    }
}
