//! Parser for `/etc/os-release` and `/usr/lib/os-release`, as described in os-release(5).
//!
//! The format is a newline-separated list of `KEY=value` assignments that is compatible with
//! shell `source`. Values may be unquoted, 'single' quoted or "double" quoted; inside double
//! quotes the shell escapes `\"`, `\\`, `\$` and `` \` `` apply. Lines whose first
//! non-blank character is `#` are comments, and blank lines are ignored.
//!
//! The parser is lenient in the same places systemd's own reader is: whitespace around the
//! line is ignored, and quoted and unquoted segments may be concatenated (`A="x"y` is `xy`),
//! but it reports keys outside `[A-Z0-9_]+` and unterminated quotes, skipping those lines.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::parse::LineError;

/// The assignments of one os-release file, keyed by variable name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OsRelease {
    pub fields: BTreeMap<String, String>,
}

impl OsRelease {
    /// Returns the value of `key`, if the file assigned it.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields.get(key).map(String::as_str)
    }

    /// Returns `ID`, or `"linux"` when it is absent or empty, which is the default os-release(5)
    /// prescribes.
    pub fn id(&self) -> &str {
        self.non_empty("ID").unwrap_or("linux")
    }

    /// Returns the space-separated `ID_LIKE` list, closest relative first.
    pub fn id_like(&self) -> Vec<&str> {
        self.get("ID_LIKE")
            .map(|v| v.split_whitespace().collect())
            .unwrap_or_default()
    }

    /// Returns `VERSION_ID`; rolling releases such as Arch and Tumbleweed-without-it omit it.
    pub fn version_id(&self) -> Option<&str> {
        self.non_empty("VERSION_ID")
    }

    /// Returns a human-readable name: `PRETTY_NAME`, else `NAME`, else `"Linux"`, following the
    /// fallbacks that os-release(5) documents.
    pub fn pretty_name(&self) -> &str {
        self.non_empty("PRETTY_NAME")
            .or_else(|| self.non_empty("NAME"))
            .unwrap_or("Linux")
    }

    fn non_empty(&self, key: &str) -> Option<&str> {
        self.get(key).filter(|v| !v.is_empty())
    }
}

/// Parses the text of an os-release file.
///
/// Lines that cannot be understood are reported with their 1-based line number and skipped, so
/// a single bad line never hides the rest of the file. A key assigned twice keeps its last
/// value, as it would when the file is sourced by a shell.
pub fn parse(text: &str) -> (OsRelease, Vec<LineError>) {
    let mut release = OsRelease::default();
    let mut errors = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line_no = index + 1;
        let line = raw.trim_ascii();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match parse_assignment(line) {
            Ok((key, value)) => {
                release.fields.insert(key.to_string(), value);
            }
            Err(message) => errors.push(LineError {
                line: line_no,
                message,
            }),
        }
    }
    (release, errors)
}

/// Renders `r` so that [`parse`] reads back exactly the same fields.
///
/// Every value is double-quoted with the four shell specials escaped. Keys are expected to be
/// valid (`[A-Z0-9_]+`) and values to be single-line, which is all [`parse`] can produce; a
/// newline inside a value cannot be expressed in this line-based format.
pub fn render(r: &OsRelease) -> String {
    let mut out = String::new();
    for (key, value) in &r.fields {
        out.push_str(key);
        out.push_str("=\"");
        for c in value.chars() {
            if matches!(c, '"' | '\\' | '$' | '`') {
                out.push('\\');
            }
            out.push(c);
        }
        out.push_str("\"\n");
    }
    out
}

/// Returns true when `key` is a non-empty run of `[A-Z0-9_]`, the key syntax os-release(5)
/// allows.
fn is_valid_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

/// Splits one non-comment line into its key and unquoted value.
fn parse_assignment(line: &str) -> Result<(&str, String), String> {
    // Only the first '=' separates key from value: values such as URLs with query strings
    // legitimately contain further '=' characters.
    let Some((key, raw_value)) = line.split_once('=') else {
        return Err(format!("expected KEY=value, got {}", excerpt(line)));
    };
    let key = key.trim_ascii_end();
    if !is_valid_key(key) {
        return Err(format!(
            "invalid key {}: keys are upper-case letters, digits and underscores",
            excerpt(key)
        ));
    }
    let value = unquote(raw_value.trim_ascii())?;
    Ok((key, value))
}

/// Removes shell quoting from a value the way `sh` would for a plain assignment.
fn unquote(raw: &str) -> Result<String, String> {
    #[derive(PartialEq)]
    enum State {
        Plain,
        Single,
        Double,
    }
    let mut out = String::with_capacity(raw.len());
    let mut state = State::Plain;
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        match state {
            State::Plain => match c {
                '\'' => state = State::Single,
                '"' => state = State::Double,
                // Outside quotes a backslash makes any following character literal; a lone
                // trailing backslash has nothing to escape and is kept as written.
                '\\' => out.push(chars.next().unwrap_or('\\')),
                _ => out.push(c),
            },
            // Single quotes have no escapes at all, exactly as in the shell.
            State::Single => match c {
                '\'' => state = State::Plain,
                _ => out.push(c),
            },
            State::Double => match c {
                '"' => state = State::Plain,
                '\\' => match chars.next() {
                    // Only these four characters are escapable inside double quotes; before
                    // any other character the backslash stays literal.
                    Some(next @ ('"' | '\\' | '$' | '`')) => out.push(next),
                    Some(next) => {
                        out.push('\\');
                        out.push(next);
                    }
                    None => return Err("unterminated double quote".to_string()),
                },
                _ => out.push(c),
            },
        }
    }
    match state {
        State::Plain => Ok(out),
        State::Single => Err("unterminated single quote".to_string()),
        State::Double => Err("unterminated double quote".to_string()),
    }
}

/// Quotes a fragment of input for an error message, shortened so that a pathological line
/// cannot produce a huge message.
fn excerpt(s: &str) -> String {
    const MAX: usize = 40;
    if s.chars().count() <= MAX {
        format!("{s:?}")
    } else {
        let short: String = s.chars().take(MAX).collect();
        format!("{short:?}...")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const UBUNTU_2404: &str = r#"PRETTY_NAME="Ubuntu 24.04.1 LTS"
NAME="Ubuntu"
VERSION_ID="24.04"
VERSION="24.04.1 LTS (Noble Numbat)"
VERSION_CODENAME=noble
ID=ubuntu
ID_LIKE=debian
HOME_URL="https://www.ubuntu.com/"
SUPPORT_URL="https://help.ubuntu.com/"
BUG_REPORT_URL="https://bugs.launchpad.net/ubuntu/"
PRIVACY_POLICY_URL="https://www.ubuntu.com/legal/terms-and-policies/privacy-policy"
UBUNTU_CODENAME=noble
LOGO=ubuntu-logo
"#;

    const DEBIAN_12: &str = r#"PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
SUPPORT_URL="https://www.debian.org/support"
BUG_REPORT_URL="https://bugs.debian.org/"
"#;

    const ROCKY_9: &str = r#"NAME="Rocky Linux"
VERSION="9.4 (Blue Onyx)"
ID="rocky"
ID_LIKE="rhel centos fedora"
VERSION_ID="9.4"
PLATFORM_ID="platform:el9"
PRETTY_NAME="Rocky Linux 9.4 (Blue Onyx)"
ANSI_COLOR="0;32"
LOGO="fedora-logo-icon"
CPE_NAME="cpe:/o:rocky:rocky:9::baseos"
HOME_URL="https://rockylinux.org/"
BUG_REPORT_URL="https://bugs.rockylinux.org/"
SUPPORT_END="2032-05-31"
ROCKY_SUPPORT_PRODUCT="Rocky-Linux-9"
ROCKY_SUPPORT_PRODUCT_VERSION="9.4"
REDHAT_SUPPORT_PRODUCT="Rocky Linux"
REDHAT_SUPPORT_PRODUCT_VERSION="9.4"
"#;

    const TUMBLEWEED: &str = r#"NAME="openSUSE Tumbleweed"
# VERSION="20240912"
ID="opensuse-tumbleweed"
ID_LIKE="opensuse suse"
VERSION_ID="20240912"
PRETTY_NAME="openSUSE Tumbleweed"
ANSI_COLOR="0;32"
# CPE 2.3 format, boo#1217921
CPE_NAME="cpe:2.3:o:opensuse:tumbleweed:20240912:*:*:*:*:*:*:*"
#CPE 2.2 format
#CPE_NAME="cpe:/o:opensuse:tumbleweed:20240912"
BUG_REPORT_URL="https://bugzilla.opensuse.org"
SUPPORT_URL="https://bugs.opensuse.org"
HOME_URL="https://www.opensuse.org"
DOCUMENTATION_URL="https://en.opensuse.org/Portal:Tumbleweed"
LOGO="distributor-logo-Tumbleweed"
"#;

    const ARCH: &str = r#"NAME="Arch Linux"
PRETTY_NAME="Arch Linux"
ID=arch
BUILD_ID=rolling
ANSI_COLOR="38;2;23;147;209"
HOME_URL="https://archlinux.org/"
DOCUMENTATION_URL="https://wiki.archlinux.org/"
SUPPORT_URL="https://bbs.archlinux.org/"
BUG_REPORT_URL="https://gitlab.archlinux.org/groups/archlinux/-/issues"
PRIVACY_POLICY_URL="https://terms.archlinux.org/docs/privacy-policy/"
LOGO=archlinux-logo
"#;

    #[test]
    fn ubuntu_2404() {
        let (r, errors) = parse(UBUNTU_2404);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(r.id(), "ubuntu");
        assert_eq!(r.id_like(), vec!["debian"]);
        assert_eq!(r.version_id(), Some("24.04"));
        assert_eq!(r.pretty_name(), "Ubuntu 24.04.1 LTS");
        assert_eq!(r.get("VERSION_CODENAME"), Some("noble"));
    }

    #[test]
    fn debian_12() {
        let (r, errors) = parse(DEBIAN_12);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(r.id(), "debian");
        assert!(r.id_like().is_empty());
        assert_eq!(r.version_id(), Some("12"));
        assert_eq!(r.pretty_name(), "Debian GNU/Linux 12 (bookworm)");
    }

    #[test]
    fn rocky_9() {
        let (r, errors) = parse(ROCKY_9);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(r.id(), "rocky");
        assert_eq!(r.id_like(), vec!["rhel", "centos", "fedora"]);
        assert_eq!(r.version_id(), Some("9.4"));
        assert_eq!(r.get("CPE_NAME"), Some("cpe:/o:rocky:rocky:9::baseos"));
    }

    #[test]
    fn opensuse_tumbleweed() {
        let (r, errors) = parse(TUMBLEWEED);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(r.id(), "opensuse-tumbleweed");
        assert_eq!(r.id_like(), vec!["opensuse", "suse"]);
        assert_eq!(r.version_id(), Some("20240912"));
        // The commented-out second CPE_NAME must not override the real one.
        assert_eq!(
            r.get("CPE_NAME"),
            Some("cpe:2.3:o:opensuse:tumbleweed:20240912:*:*:*:*:*:*:*")
        );
        assert_eq!(r.get("VERSION"), None);
    }

    #[test]
    fn arch_has_no_version_id() {
        let (r, errors) = parse(ARCH);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(r.id(), "arch");
        assert_eq!(r.version_id(), None);
        assert_eq!(r.pretty_name(), "Arch Linux");
        assert_eq!(r.get("BUILD_ID"), Some("rolling"));
    }

    #[test]
    fn defaults_when_fields_are_absent() {
        let (r, errors) = parse("");
        assert!(errors.is_empty());
        assert_eq!(r.id(), "linux");
        assert_eq!(r.pretty_name(), "Linux");
        let (r, _) = parse("NAME=Foo\n");
        assert_eq!(r.pretty_name(), "Foo");
    }

    #[test]
    fn quoting_rules() {
        let text = concat!(
            "A='single $x \"q\"'\n",
            "B=\"dq \\\"in\\\" \\\\ \\$HOME \\`cmd\\` \\n\"\n",
            "C=plain\\ escaped\n",
            "D=\"a\"'b'c\n",
            "E=\"url?x=1&y=2\"\n",
            "F=x=y=z\n",
            "G=\n",
            "  H = \"spaced\"  \n",
        );
        let (r, errors) = parse(text);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(r.get("A"), Some("single $x \"q\""));
        assert_eq!(r.get("B"), Some("dq \"in\" \\ $HOME `cmd` \\n"));
        assert_eq!(r.get("C"), Some("plain escaped"));
        assert_eq!(r.get("D"), Some("abc"));
        assert_eq!(r.get("E"), Some("url?x=1&y=2"));
        assert_eq!(r.get("F"), Some("x=y=z"));
        assert_eq!(r.get("G"), Some(""));
        assert_eq!(r.get("H"), Some("spaced"));
    }

    #[test]
    fn errors_carry_line_numbers_and_skip_the_line() {
        let text = "ID=ok\nlower=x\nNAME=\"open\nnot an assignment\nVERSION_ID='1\nX=1\n";
        let (r, errors) = parse(text);
        let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![2, 3, 4, 5]);
        assert!(errors[1].message.contains("unterminated double quote"));
        assert!(errors[3].message.contains("unterminated single quote"));
        assert_eq!(r.fields.len(), 2);
        assert_eq!(r.get("X"), Some("1"));
    }

    #[test]
    fn crlf_line_endings_are_accepted() {
        let (r, errors) = parse("ID=fedora\r\nVERSION_ID=\"40\"\r\n");
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(r.id(), "fedora");
        assert_eq!(r.version_id(), Some("40"));
    }

    #[test]
    fn render_of_real_file_round_trips() {
        for text in [UBUNTU_2404, DEBIAN_12, ROCKY_9, TUMBLEWEED, ARCH] {
            let (r, _) = parse(text);
            let (again, errors) = parse(&render(&r));
            assert!(errors.is_empty());
            assert_eq!(again, r);
        }
    }

    fn value_strategy() -> impl Strategy<Value = String> {
        // Any single-line text, including quotes, backslashes, dollars and '=' signs.
        "[^\n\r]{0,40}"
    }

    proptest! {
        #[test]
        fn never_panics(text in any::<String>()) {
            let (r, errors) = parse(&text);
            let _ = (r.id(), r.id_like(), r.version_id(), r.pretty_name());
            for e in errors {
                prop_assert!(e.line >= 1);
                prop_assert!(e.line <= text.lines().count());
            }
        }

        #[test]
        fn render_round_trips(fields in prop::collection::btree_map("[A-Z0-9_]{1,12}", value_strategy(), 0..8)) {
            let r = OsRelease { fields };
            let (parsed, errors) = parse(&render(&r));
            prop_assert!(errors.is_empty(), "{:?}", errors);
            prop_assert_eq!(parsed, r);
        }

        #[test]
        fn parsed_keys_are_valid(text in "([A-Za-z_=\"' #\\\\]{0,20}\n){0,10}") {
            let (r, _) = parse(&text);
            for key in r.fields.keys() {
                prop_assert!(is_valid_key(key));
            }
        }

        #[test]
        fn id_is_never_empty(text in any::<String>()) {
            let (r, _) = parse(&text);
            prop_assert!(!r.id().is_empty());
            prop_assert!(!r.pretty_name().is_empty());
        }
    }
}
