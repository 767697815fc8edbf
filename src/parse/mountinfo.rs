//! Parser for `/proc/PID/mountinfo`, as described in proc_pid_mountinfo(5) (formerly proc(5)).
//!
//! Each line describes one mount:
//!
//! ```text
//! 36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
//! (1)(2)(3)   (4)   (5)      (6)      (7)   (8) (9)    (10)         (11)
//! ```
//!
//! mount ID, parent ID, major:minor, root, mount point, per-mount options, zero or more
//! optional fields, a lone `-` separator, filesystem type, source, and superblock options.
//! The kernel escapes space, tab, newline and backslash in paths as octal (`\040`, `\011`,
//! `\012`, `\134`), so fields are separated by single spaces and never contain raw blanks.
//! A source may be empty, which shows up as two consecutive spaces.

use serde::Serialize;

use crate::parse::LineError;

/// One line of mountinfo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mount {
    pub mount_id: u32,
    pub parent_id: u32,
    /// `major:minor` of the filesystem: bind mounts of one filesystem share it.
    pub device: String,
    /// The directory of the filesystem that forms the root of this mount (not `/` for bind
    /// mounts of a subdirectory).
    pub root: String,
    pub mount_point: String,
    /// Per-mount flags such as `rw`, `nosuid`, `nodev`.
    pub mount_options: Vec<String>,
    pub fs_type: String,
    pub source: String,
    /// Superblock options, shared by every mount of the same filesystem.
    pub super_options: Vec<String>,
    /// The optional fields before the separator: the mount's propagation (`shared:N`, `master:N`,
    /// `propagate_from:N`, `unbindable`); none for a private mount.
    pub optional: Vec<String>,
}

impl Mount {
    /// Returns true when `opt` is one of the per-mount options (such as `nosuid` or `ro`).
    pub fn has_option(&self, opt: &str) -> bool {
        self.mount_options.iter().any(|o| o == opt)
    }
}

/// Parses the text of a mountinfo file; malformed lines are reported and skipped.
pub fn parse(text: &str) -> (Vec<Mount>, Vec<LineError>) {
    super::each_line(text, parse_line)
}

/// Returns the mount that contains `path`: the one whose mount point is the longest
/// path-component prefix of `path`. When several mounts share that mount point, the last one
/// listed wins, because later mounts are stacked on top of earlier ones and hide them.
///
/// `path` should be absolute and normalised; a relative path matches nothing.
pub fn mount_for<'a>(mounts: &'a [Mount], path: &str) -> Option<&'a Mount> {
    let mut best: Option<&Mount> = None;
    for mount in mounts {
        if !is_path_prefix(&mount.mount_point, path) {
            continue;
        }
        // `>=` rather than `>` lets a later mount on the same point replace an earlier one.
        if best.is_none_or(|b| mount.mount_point.len() >= b.mount_point.len()) {
            best = Some(mount);
        }
    }
    best
}

/// Returns true when `prefix` names `path` itself or one of its ancestor directories, so that
/// `/usr` is a prefix of `/usr/bin` but not of `/usrx`.
fn is_path_prefix(prefix: &str, path: &str) -> bool {
    if !path.starts_with('/') {
        return false;
    }
    let prefix = prefix.trim_end_matches('/');
    if prefix.is_empty() {
        // The root mount point "/" contains every absolute path.
        return true;
    }
    match path.strip_prefix(prefix) {
        Some(rest) => rest.is_empty() || rest.starts_with('/'),
        None => false,
    }
}

fn parse_line(line: &str) -> Result<Mount, String> {
    // Splitting on single spaces (not runs of whitespace) keeps an empty source field in
    // place instead of shifting the superblock options into it.
    let fields: Vec<&str> = line.split(' ').collect();
    let Some(separator) = fields.iter().position(|f| *f == "-") else {
        return Err("missing \" - \" separator before the filesystem type".to_string());
    };
    let (before, after) = fields.split_at(separator);
    let [mount_id, parent_id, dev, root, mount_point, options, ..] = before else {
        return Err(format!(
            "expected at least 6 fields before the separator, found {}",
            before.len()
        ));
    };
    // `after` starts with the separator itself; newer kernels could append fields, so only
    // the first three after it are required.
    let [_, fs_type, source, super_options, ..] = after else {
        return Err(format!(
            "expected 3 fields after the separator, found {}",
            after.len().saturating_sub(1)
        ));
    };
    let optional = before[6..]
        .iter()
        .filter(|f| !f.is_empty())
        .map(|f| (*f).to_owned())
        .collect();
    Ok(Mount {
        mount_id: parse_id(mount_id, "mount id")?,
        parent_id: parse_id(parent_id, "parent id")?,
        device: (*dev).to_owned(),
        root: unescape(root),
        mount_point: unescape(mount_point),
        mount_options: split_options(options),
        fs_type: unescape(fs_type),
        source: unescape(source),
        super_options: split_options(super_options),
        optional,
    })
}

fn parse_id(field: &str, what: &str) -> Result<u32, String> {
    if field.is_empty() || !field.bytes().all(|b| b.is_ascii_digit()) {
        let shown: String = field.chars().take(40).collect();
        return Err(format!("{what} {shown:?} is not a number"));
    }
    field
        .parse()
        .map_err(|_| format!("{what} {field:?} is out of range"))
}

fn split_options(field: &str) -> Vec<String> {
    field
        .split(',')
        .filter(|o| !o.is_empty())
        .map(str::to_string)
        .collect()
}

/// Decodes the kernel's `\ooo` octal escapes. A backslash not followed by three octal digits
/// (or one encoding a value above 255) is kept literally, so unexpected input never fails.
fn unescape(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'\\'
            && let Some(&[d1, d2, d3]) = bytes.get(i + 1..i + 4)
            && [d1, d2, d3].iter().all(|d| (b'0'..=b'7').contains(d))
        {
            let value = u32::from(d1 - b'0') * 64 + u32::from(d2 - b'0') * 8 + u32::from(d3 - b'0');
            if let Ok(decoded) = u8::try_from(value) {
                out.push(decoded);
                i += 4;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Escapes a path the way the kernel does in mountinfo; used by tests to build lines.
#[cfg(test)]
fn escape(field: &str) -> String {
    let mut out = String::new();
    for c in field.chars() {
        match c {
            ' ' => out.push_str("\\040"),
            '\t' => out.push_str("\\011"),
            '\n' => out.push_str("\\012"),
            '\\' => out.push_str("\\134"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const MOUNTINFO: &str = "\
22 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw,errors=remount-ro
23 22 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw
24 22 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:2 - sysfs sysfs rw
25 22 0:5 / /dev rw,nosuid,relatime shared:8 - devtmpfs udev rw,size=8040424k,nr_inodes=2010106,mode=755,inode64
30 22 0:26 / /run rw,nosuid,nodev,noexec,relatime shared:5 - tmpfs tmpfs rw,size=1615040k,mode=755,inode64
40 30 0:35 / /run/user/1000 rw,nosuid,nodev,relatime shared:300 - tmpfs tmpfs rw,size=1615036k,nr_inodes=403759,mode=700,uid=1000,gid=1000,inode64
41 22 259:3 / /home rw,nosuid,relatime shared:29 - ext4 /dev/nvme0n1p3 rw
42 41 259:3 /alice/My\\040Files /mnt/my\\040files rw,relatime - ext4 /dev/nvme0n1p3 rw
43 22 0:40 / /tmp rw,nosuid,nodev shared:40 master:3 - tmpfs  rw
44 22 0:41 / /tmp ro,relatime - tmpfs tmpfs rw
";

    #[test]
    fn typical_host() {
        let (mounts, errors) = parse(MOUNTINFO);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(mounts.len(), 10);
        assert_eq!(
            mounts[0],
            Mount {
                mount_id: 22,
                parent_id: 1,
                device: "259:2".into(),
                root: "/".into(),
                mount_point: "/".into(),
                mount_options: vec!["rw".into(), "relatime".into()],
                fs_type: "ext4".into(),
                source: "/dev/nvme0n1p2".into(),
                super_options: vec!["rw".into(), "errors=remount-ro".into()],
                optional: vec!["shared:1".into()],
            }
        );
        assert_eq!(mounts[7].root, "/alice/My Files");
        assert_eq!(mounts[7].mount_point, "/mnt/my files");
        // Two optional fields, and an empty source shown as two spaces.
        assert_eq!(mounts[8].fs_type, "tmpfs");
        assert_eq!(mounts[8].source, "");
        assert_eq!(mounts[8].super_options, vec!["rw"]);
        assert!(mounts[5].has_option("nosuid"));
        assert!(!mounts[0].has_option("nosuid"));
        assert!(!mounts[5].has_option("mode=700"));
    }

    #[test]
    fn finding_the_mount_of_a_path() {
        let (mounts, _) = parse(MOUNTINFO);
        let point = |p: &str| mount_for(&mounts, p).map(|m| m.mount_id);
        assert_eq!(point("/usr/bin/newuidmap"), Some(22));
        assert_eq!(point("/"), Some(22));
        assert_eq!(point("/home/alice/bin/rootlesskit"), Some(41));
        assert_eq!(point("/home"), Some(41));
        assert_eq!(point("/homework"), Some(22));
        assert_eq!(point("/run/user/1000/docker.sock"), Some(40));
        assert_eq!(point("/run/user/10000"), Some(30));
        // The later of two mounts on /tmp is the one on top.
        assert_eq!(point("/tmp/x"), Some(44));
        assert_eq!(point("relative/path"), None);
        assert_eq!(mount_for(&[], "/"), None);
    }

    #[test]
    fn bad_lines() {
        let text = "\
1 2 0:1 / / rw shared:1 ext4 /dev/sda rw
x 2 0:1 / / rw - ext4 /dev/sda rw
1 2 0:1 / - ext4 /dev/sda rw
1 2 0:1 / / rw - ext4
1 2 0:1 / / rw - ext4 /dev/sda rw
";
        let (mounts, errors) = parse(text);
        assert_eq!(mounts.len(), 1);
        let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![1, 2, 3, 4]);
    }

    #[test]
    fn unescaping() {
        assert_eq!(unescape("a\\040b\\011c\\012d\\134e"), "a b\tc\nd\\e");
        assert_eq!(unescape("trailing\\04"), "trailing\\04");
        assert_eq!(unescape("\\777"), "\\777");
        assert_eq!(unescape("\\303\\251"), "é");
        assert_eq!(unescape("\\"), "\\");
    }

    fn path_strategy() -> impl Strategy<Value = String> {
        prop::collection::vec("[a-zA-Z0-9 \t\n\\\\._-]{1,8}", 0..4)
            .prop_map(|parts| format!("/{}", parts.join("/")))
    }

    proptest! {
        #[test]
        fn never_panics(text in any::<String>(), path in any::<String>()) {
            let (mounts, _) = parse(&text);
            let _ = mount_for(&mounts, &path);
        }

        #[test]
        fn escaped_fields_round_trip(
            id in any::<u32>(), parent in any::<u32>(),
            root in path_strategy(), point in path_strategy(), source in "[a-z/ \\\\]{0,12}",
            options in prop::collection::vec("[a-z=0-9]{1,8}", 1..4),
        ) {
            let line = format!(
                "{id} {parent} 0:1 {} {} {} shared:1 - ext4 {} rw\n",
                escape(&root), escape(&point), options.join(","), escape(&source)
            );
            let (mounts, errors) = parse(&line);
            prop_assert!(errors.is_empty(), "{:?}", errors);
            let m = &mounts[0];
            prop_assert_eq!(m.mount_id, id);
            prop_assert_eq!(m.parent_id, parent);
            prop_assert_eq!(&m.root, &root);
            prop_assert_eq!(&m.mount_point, &point);
            prop_assert_eq!(&m.source, &source);
            prop_assert_eq!(&m.mount_options, &options);
        }

        #[test]
        fn mount_for_returns_a_prefix(points in prop::collection::vec(path_strategy(), 1..6), path in path_strategy()) {
            let mounts: Vec<Mount> = points
                .iter()
                .enumerate()
                .map(|(i, p)| Mount {
                    mount_id: u32::try_from(i).unwrap_or(0),
                    parent_id: 0,
                    device: "0:1".into(),
                    root: "/".into(),
                    mount_point: p.clone(),
                    mount_options: vec![],
                    fs_type: "tmpfs".into(),
                    source: "tmpfs".into(),
                    super_options: vec![],
                    optional: vec![],
                })
                .collect();
            if let Some(m) = mount_for(&mounts, &path) {
                prop_assert!(is_path_prefix(&m.mount_point, &path));
                // No other matching mount point is longer.
                for other in &mounts {
                    if is_path_prefix(&other.mount_point, &path) {
                        prop_assert!(other.mount_point.len() <= m.mount_point.len());
                    }
                }
            } else {
                prop_assert!(mounts.iter().all(|m| !is_path_prefix(&m.mount_point, &path)));
            }
            // Every mount point is found for itself, or a later mount on the same point is.
            for m in &mounts {
                let found = mount_for(&mounts, &m.mount_point);
                prop_assert!(found.is_some_and(|f| f.mount_point.trim_end_matches('/') == m.mount_point.trim_end_matches('/')));
            }
        }
    }
}
