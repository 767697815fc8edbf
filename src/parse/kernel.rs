//! Parsers for the kernel release string (`uname -r`, `/proc/sys/kernel/osrelease`, see
//! uname(2)) and for the kernel build configuration (`/proc/config.gz` or
//! `/boot/config-$(uname -r)`, the `.config` format written by Kconfig).
//!
//! A release starts with `MAJOR.MINOR[.PATCH]` and continues with anything the distribution
//! appends (`-45-generic`, `.1-microsoft-standard-WSL2`, `-513.el8.x86_64`). A configuration
//! file holds `CONFIG_NAME=value` lines, where the value is `y`, `m`, a number or a quoted
//! string, and `# CONFIG_NAME is not set` lines for options that were switched off.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use crate::parse::{LineError, scan};

/// The numeric part of a kernel release, ordered so that `>=` comparisons express "at least
/// this kernel".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct KernelVersion {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl KernelVersion {
    pub const fn new(major: u32, minor: u32, patch: u32) -> Self {
        Self {
            major,
            minor,
            patch,
        }
    }
}

impl fmt::Display for KernelVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// Extracts `MAJOR.MINOR.PATCH` from a release string; a missing patch level is 0.
///
/// Components after the third (WSL's `5.15.153.1`) and any suffix are ignored. Returns `None`
/// when the string does not start with at least `MAJOR.MINOR`.
pub fn parse_release(release: &str) -> Option<KernelVersion> {
    let release = release.trim_ascii();
    // The numeric prefix ends at the first character that is neither a digit nor a dot, such
    // as the '-' before a local version or the '+' of an unreleased tree.
    let end = release
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(release.len());
    let prefix = release.get(..end)?;
    let mut parts = prefix.split('.');
    let major = number(parts.next()?)?;
    let minor = number(parts.next()?)?;
    let patch = match parts.next() {
        Some(p) => number(p)?,
        None => 0,
    };
    Some(KernelVersion::new(major, minor, patch))
}

fn number(part: &str) -> Option<u32> {
    if part.is_empty() {
        return None;
    }
    part.parse().ok()
}

/// The state of one tristate configuration option.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Tristate {
    /// Built into the kernel image (`=y`).
    Yes,
    /// Built as a loadable module (`=m`).
    Module,
    /// Not built (`is not set`, absent, or any non-tristate value).
    No,
}

/// A parsed kernel configuration, keyed by the full option name including `CONFIG_`.
/// Values are kept as written: `y`, `m`, `n`, a number, or a string including its quotes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KernelConfig {
    pub options: BTreeMap<String, String>,
}

impl KernelConfig {
    /// Returns the state of `option`, which may be given with or without its `CONFIG_`
    /// prefix. Options that are absent, `is not set`, or not tristates count as [`Tristate::No`].
    pub fn tristate(&self, option: &str) -> Tristate {
        let value = if option.starts_with("CONFIG_") {
            self.options.get(option)
        } else {
            self.options.get(&format!("CONFIG_{option}"))
        };
        match value.map(String::as_str) {
            Some("y") => Tristate::Yes,
            Some("m") => Tristate::Module,
            _ => Tristate::No,
        }
    }
}

/// Parses a kernel `.config`. Disabled options (`# CONFIG_X is not set`) are recorded with the
/// value `n`; other comments and blank lines are ignored; lines that are neither are reported.
pub fn parse_config(text: &str) -> (KernelConfig, Vec<LineError>) {
    let mut config = KernelConfig::default();
    let mut errors = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let trimmed = raw.trim_ascii();
        if trimmed.is_empty() {
            continue;
        }
        if let Some(comment) = trimmed.strip_prefix('#') {
            if let Some(name) = comment
                .trim_ascii()
                .strip_suffix(" is not set")
                .filter(|name| is_option_name(name))
            {
                config.options.insert(name.to_string(), "n".to_string());
            }
            continue;
        }
        let Some((name, value)) = trimmed.split_once('=') else {
            errors.push(LineError {
                line,
                message: "expected CONFIG_NAME=value".to_string(),
            });
            continue;
        };
        let name = name.trim_ascii();
        if !is_option_name(name) {
            let shown: String = name.chars().take(40).collect();
            errors.push(LineError {
                line,
                message: format!("invalid option name {shown:?}"),
            });
            continue;
        }
        config
            .options
            .insert(name.to_string(), value.trim_ascii().to_string());
    }
    (config, errors)
}

/// Returns true for `CONFIG_` followed by at least one letter, digit or underscore.
fn is_option_name(name: &str) -> bool {
    name.strip_prefix("CONFIG_").is_some_and(|rest| {
        !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    })
}

/// The most decompressed output accepted from `/proc/config.gz`. Real configurations are
/// around 300 KiB; the cap stops a corrupt or hostile file from exhausting memory.
pub const MAX_CONFIG_SIZE: u64 = 16 * 1024 * 1024;

/// Decompresses the bytes of `/proc/config.gz`.
///
/// Invalid UTF-8 (which a string option could in principle contain) is replaced rather than
/// rejected, so one odd value does not hide every other option.
pub fn decompress_config_gz(bytes: &[u8]) -> Result<String, String> {
    // The gzip trailer's ISIZE (RFC 1952: the size modulo 2^32) sizes the output once. libdeflate decompresses
    // into a buffer of that size in one call (about three times as fast as a streaming inflate: this runs on
    // every preflight of a host without /boot/config-RELEASE) and checks the CRC and ISIZE itself, so a trailer
    // that lies is a broken file, not a short read.
    let isize = bytes
        .len()
        .checked_sub(4)
        .and_then(|at| bytes.get(at..))
        .and_then(|tail| <[u8; 4]>::try_from(tail).ok())
        .map_or(0, u32::from_le_bytes);
    if u64::from(isize) > MAX_CONFIG_SIZE {
        // A file with bytes after its gzip member (which the kernel's never has) shows them here instead.
        return Err(format!(
            "{} (its gzip trailer states {isize} bytes)",
            too_big()
        ));
    }
    let mut out = vec![0u8; isize as usize];
    let n = libdeflater::Decompressor::new()
        .gzip_decompress(bytes, &mut out)
        .map_err(|e| match e {
            // ISIZE is the size modulo 2^32, so a text of 4 GiB or more states less than it holds; otherwise the
            // trailer does not match the data.
            libdeflater::DecompressionError::InsufficientSpace => format!(
                "cannot decompress kernel config: it holds more than its gzip trailer states (a corrupt file, or \
                 one over {} MiB)",
                MAX_CONFIG_SIZE / (1024 * 1024)
            ),
            libdeflater::DecompressionError::BadData => {
                "cannot decompress kernel config: not a valid gzip file".to_owned()
            }
        })?;
    out.truncate(n);
    Ok(match String::from_utf8(out) {
        Ok(text) => text,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
}

fn too_big() -> String {
    format!(
        "decompressed kernel config exceeds {} MiB",
        MAX_CONFIG_SIZE / (1024 * 1024)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::Compression;
    use flate2::write::GzEncoder;
    use proptest::prelude::*;
    use std::io::Write;

    const CONFIG: &str = r#"#
# Automatically generated file; DO NOT EDIT.
# Linux/x86 6.8.0-45-generic Kernel Configuration
#
CONFIG_CC_VERSION_TEXT="x86_64-linux-gnu-gcc-13 (Ubuntu 13.2.0-23ubuntu4) 13.2.0"
CONFIG_CC_IS_GCC=y
CONFIG_GCC_VERSION=130200
CONFIG_USER_NS=y
CONFIG_NETFILTER_XT_MATCH_OWNER=m
CONFIG_IP_NF_IPTABLES=m
# CONFIG_IP_NF_IPTABLES_LEGACY is not set
CONFIG_OVERLAY_FS=m
CONFIG_DEFAULT_HOSTNAME="(none)"
"#;

    #[test]
    fn releases() {
        let cases = [
            ("6.18.44-fc-v669", Some(KernelVersion::new(6, 18, 44))),
            (
                "5.15.153.1-microsoft-standard-WSL2",
                Some(KernelVersion::new(5, 15, 153)),
            ),
            ("4.18.0-513.el8.x86_64", Some(KernelVersion::new(4, 18, 0))),
            ("6.8.0-45-generic", Some(KernelVersion::new(6, 8, 0))),
            ("5.10", Some(KernelVersion::new(5, 10, 0))),
            ("6.9.0-rc1", Some(KernelVersion::new(6, 9, 0))),
            ("6.10.0+\n", Some(KernelVersion::new(6, 10, 0))),
            ("3.10.0-1160.el7.x86_64", Some(KernelVersion::new(3, 10, 0))),
            ("6.6-rc3", Some(KernelVersion::new(6, 6, 0))),
            ("", None),
            ("garbage", None),
            ("6", None),
            ("6.", None),
            ("6..1", None),
            (".6.1", None),
            ("v6.1.0", None),
            ("99999999999.1.0", None),
        ];
        for (input, expected) in cases {
            assert_eq!(parse_release(input), expected, "{input:?}");
        }
    }

    #[test]
    fn version_ordering_and_display() {
        assert!(KernelVersion::new(5, 11, 0) > KernelVersion::new(5, 10, 200));
        assert!(KernelVersion::new(6, 1, 0) >= KernelVersion::new(6, 1, 0));
        assert_eq!(KernelVersion::new(6, 1, 0).to_string(), "6.1.0");
    }

    #[test]
    fn config() {
        let (config, errors) = parse_config(CONFIG);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(config.tristate("USER_NS"), Tristate::Yes);
        assert_eq!(config.tristate("CONFIG_USER_NS"), Tristate::Yes);
        assert_eq!(config.tristate("IP_NF_IPTABLES"), Tristate::Module);
        assert_eq!(config.tristate("IP_NF_IPTABLES_LEGACY"), Tristate::No);
        assert_eq!(
            config
                .options
                .get("CONFIG_IP_NF_IPTABLES_LEGACY")
                .map(String::as_str),
            Some("n")
        );
        assert_eq!(config.tristate("NOT_THERE"), Tristate::No);
        assert_eq!(config.tristate("GCC_VERSION"), Tristate::No);
        assert_eq!(
            config
                .options
                .get("CONFIG_DEFAULT_HOSTNAME")
                .map(String::as_str),
            Some("\"(none)\"")
        );
        assert!(!config.options.contains_key("CONFIG_CC_VERSION"));
    }

    #[test]
    fn config_errors() {
        let (config, errors) = parse_config("CONFIG_A=y\nnonsense\nFOO=y\nCONFIG_=y\nCONFIG_B=m\n");
        assert_eq!(config.options.len(), 2);
        let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![2, 3, 4]);
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn config_gz() {
        let text = decompress_config_gz(&gzip(CONFIG.as_bytes())).unwrap();
        assert_eq!(text, CONFIG);
        assert!(decompress_config_gz(b"not gzip").is_err());
        // An empty or truncated file is a broken read, not an empty configuration.
        assert!(decompress_config_gz(&[]).is_err());
        let whole = gzip(CONFIG.as_bytes());
        assert!(decompress_config_gz(whole.get(..whole.len() / 2).unwrap()).is_err());
    }

    #[test]
    fn config_gz_size_cap() {
        let limit = usize::try_from(MAX_CONFIG_SIZE).unwrap();
        let exact = vec![b'#'; limit];
        assert_eq!(
            decompress_config_gz(&gzip(&exact)).map(|s| s.len()),
            Ok(limit)
        );
        let over = vec![b'#'; limit + 1];
        let err = decompress_config_gz(&gzip(&over)).unwrap_err();
        assert!(err.contains("exceeds 16 MiB"), "{err}");
    }

    #[test]
    fn config_gz_whose_trailer_lies_is_refused() {
        let mut whole = gzip(CONFIG.as_bytes());
        let at = whole.len() - 4;
        // A trailer that says less than the text holds, and one that says more.
        whole[at..].copy_from_slice(&10u32.to_le_bytes());
        let err = decompress_config_gz(&whole).unwrap_err();
        assert!(err.contains("more than its gzip trailer states"), "{err}");
        let more = u32::try_from(CONFIG.len() + 1).unwrap();
        whole[at..].copy_from_slice(&more.to_le_bytes());
        let err = decompress_config_gz(&whole).unwrap_err();
        assert!(err.contains("not a valid gzip file"), "{err}");
        // A flipped byte of the text fails the CRC.
        let mut flipped = gzip(CONFIG.as_bytes());
        let crc = flipped.len() - 8;
        flipped[crc] ^= 0xff;
        assert!(decompress_config_gz(&flipped).is_err());
    }

    #[test]
    fn config_gz_invalid_utf8_is_replaced() {
        let text = decompress_config_gz(&gzip(b"CONFIG_X=\"\xff\"\n")).unwrap();
        let (config, errors) = parse_config(&text);
        assert!(errors.is_empty());
        assert_eq!(config.options.len(), 1);
    }

    proptest! {
        #[test]
        fn never_panics(text in any::<String>(), bytes in prop::collection::vec(any::<u8>(), 0..64)) {
            let _ = parse_release(&text);
            let (config, _) = parse_config(&text);
            let _ = config.tristate(&text);
            let _ = decompress_config_gz(&bytes);
        }

        #[test]
        fn release_round_trips(major in any::<u32>(), minor in any::<u32>(), patch in any::<u32>(), suffix in "(-[a-z0-9._-]{0,20})?") {
            let v = KernelVersion::new(major, minor, patch);
            prop_assert_eq!(parse_release(&format!("{v}{suffix}")), Some(v));
        }

        #[test]
        fn config_round_trips(options in prop::collection::btree_map("CONFIG_[A-Z0-9_]{1,20}", prop_oneof!["y", "m", "n", "[0-9]{1,6}", "\"[a-z ()]{0,10}\""], 0..10)) {
            let text: String = options
                .iter()
                .map(|(k, v)| if v == "n" { format!("# {k} is not set\n") } else { format!("{k}={v}\n") })
                .collect();
            let (config, errors) = parse_config(&text);
            prop_assert!(errors.is_empty());
            prop_assert_eq!(&config.options, &options);
            for (k, v) in &options {
                let expected = match v.as_str() { "y" => Tristate::Yes, "m" => Tristate::Module, _ => Tristate::No };
                prop_assert_eq!(config.tristate(k), expected);
                prop_assert_eq!(config.tristate(k.strip_prefix("CONFIG_").unwrap_or(k)), expected);
            }
        }
    }
}

/// Looks one option up in kernel config text without parsing the rest.
///
/// A config is ~10,000 lines and the doctor asks about a handful of options, so this finds the option's
/// line directly (SIMD substring search) instead of building a map. The last assignment wins, as in Kconfig;
/// `parse_config(text).0.tristate(option)` always agrees (see the property test).
pub fn lookup(text: &str, option: &str) -> Tristate {
    let name = if option.starts_with("CONFIG_") {
        option.to_owned()
    } else {
        format!("CONFIG_{option}")
    };
    let bytes = text.as_bytes();
    // The value of the last line that sets the option; "# CONFIG_X is not set" sets n. One search for the name
    // finds both kinds of line (the doctor asks about thirty options, and a config is up to 300 KB).
    let mut last: Option<&str> = None;
    let finder = scan::Finder::new(name.as_bytes());
    for start in finder.find_iter(bytes) {
        let line_start = scan::rfind_byte(b'\n', &bytes[..start]).map_or(0, |i| i + 1);
        let line_end = scan::find_byte(b'\n', &bytes[start..]).map_or(text.len(), |i| start + i);
        let before = text[line_start..start].trim_ascii();
        let after = &text[start + name.len()..line_end];
        if before.is_empty() {
            // An assignment of this option (not of a longer name that starts with it).
            if let Some(value) = after.strip_prefix('=') {
                last = Some(value.trim_ascii());
            }
        } else if before == "#"
            && text[line_start..start].ends_with(' ')
            && after
                .strip_prefix(" is not set")
                .is_some_and(|rest| rest.trim_ascii().is_empty())
        {
            last = Some("n");
        }
    }
    match last {
        Some("y") => Tristate::Yes,
        Some("m") => Tristate::Module,
        _ => Tristate::No,
    }
}

/// Whether a module list names `module`: `modules.dep` (a line per module, `PATH: DEPENDENCIES`) or
/// `modules.builtin` (a path per line), as modules.dep(5) writes them. A line's module is its path's file name up to
/// `.ko` (`nf_tables.ko.xz`), with `-` read as `_`, as modprobe(8) reads the names it is given.
///
/// One pass that allocates nothing per line: a distribution kernel's modules.dep has some 5,000 lines, and the
/// iptables and kernel checks ask it about several modules.
pub fn lists_module(text: &str, module: &str) -> bool {
    text.lines().any(|l| {
        let file = l.split(':').next().unwrap_or_default();
        let name = file.rsplit('/').next().unwrap_or_default();
        let name = name.split(".ko").next().unwrap_or_default();
        name.len() == module.len()
            && name
                .bytes()
                .zip(module.bytes())
                .all(|(n, m)| if n == b'-' { m == b'_' } else { n == m })
    })
}

#[cfg(test)]
mod module_list_tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reads_paths_dependencies_and_dashes_as_modprobe_does() {
        let dep = "kernel/net/netfilter/nf_tables.ko.xz: kernel/net/netfilter/nfnetlink.ko.xz\n\
kernel/net/ipv4/netfilter/ip-tables.ko:\nkernel/fs/overlay/overlay.ko.zst\n";
        assert!(lists_module(dep, "nf_tables"));
        assert!(lists_module(dep, "ip_tables"));
        assert!(lists_module(dep, "overlay"));
        // A dependency is not the line's module, and neither is a longer or shorter name.
        assert!(!lists_module(dep, "nfnetlink"));
        assert!(!lists_module(dep, "nf_table"));
        assert!(!lists_module(dep, "nf_tables_x"));
        // The module's name is taken as asked: `_` in a file name is not `-` in the name asked.
        assert!(!lists_module(dep, "ip-tables"));
        assert!(!lists_module("", "overlay"));
    }

    /// The reading the checks had before, which built a `String` per line.
    fn by_replacing(text: &str, module: &str) -> bool {
        text.lines().any(|l| {
            let file = l.split(':').next().unwrap_or_default();
            let name = file.rsplit('/').next().unwrap_or_default();
            let name = name.split(".ko").next().unwrap_or_default();
            name.replace('-', "_") == module
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]
        #[test]
        fn lists_module_reads_as_replacing_dashes_did(
            lines in proptest::collection::vec("[a-c_/:. -]{0,6}(\\.ko)?[a-c_/:. -]{0,6}", 0..8),
            module in "[a-c_-]{0,4}",
        ) {
            let text = lines.join("\n");
            prop_assert_eq!(lists_module(&text, &module), by_replacing(&text, &module));
        }
    }
}

#[cfg(test)]
mod lookup_tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn finds_options_at_line_starts_only() {
        let text = "# CONFIG_A is not set\nCONFIG_B=y\nCONFIG_BB=m\nX_CONFIG_C=y\n  CONFIG_D=m\nCONFIG_B=m\nCONFIG_F=y\n# CONFIG_F is not set\n";
        assert_eq!(lookup(text, "A"), Tristate::No);
        assert_eq!(lookup(text, "CONFIG_B"), Tristate::Module);
        assert_eq!(lookup(text, "BB"), Tristate::Module);
        assert_eq!(lookup(text, "C"), Tristate::No);
        assert_eq!(lookup(text, "D"), Tristate::Module);
        assert_eq!(lookup(text, "E"), Tristate::No);
        assert_eq!(lookup(text, "F"), Tristate::No);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]
        #[test]
        fn lookup_agrees_with_the_full_parse(
            lines in proptest::collection::vec(
                prop_oneof![
                    ("[A-C]{1,2}", prop_oneof![Just("y"), Just("m"), Just("n"), Just("\"s\""), Just("12")])
                        .prop_map(|(k, v)| format!("CONFIG_{k}={v}")),
                    "[A-C]{1,2}".prop_map(|k| format!("# CONFIG_{k} is not set")),
                    Just(String::new()),
                ],
                0..12,
            ),
            option in "[A-C]{1,2}",
        ) {
            let text = lines.join("\n");
            prop_assert_eq!(lookup(&text, &option), parse_config(&text).0.tristate(&option));
        }
    }
}
