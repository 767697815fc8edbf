//! `/proc/PID/status` and the NUL-separated `/proc/PID/cmdline` and `/proc/PID/environ` (proc(5)).

/// The fields of `/proc/PID/status` the doctor uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Status {
    /// The command name (`comm`), at most 15 bytes.
    pub name: String,
    pub ppid: u32,
    /// Real, effective, saved and filesystem uid.
    pub uid: [u32; 4],
    /// Real, effective, saved and filesystem gid; `None` when the line is missing or malformed.
    pub gid: Option<[u32; 4]>,
    /// The process's pid in each nested pid namespace, outermost first.
    pub nspid: Vec<u32>,
    /// `NoNewPrivs` (Linux 4.10 and later): `Some(true)` when the process runs with `no_new_privs`
    /// (prctl(2) `PR_SET_NO_NEW_PRIVS`), under which exec ignores setuid bits and file capabilities;
    /// `None` when the line is missing or is neither `0` nor `1`.
    pub no_new_privs: Option<bool>,
    /// The `State` letter (`R`, `S`, `D`, `Z` zombie, `X` dead, …); `None` when the line is missing.
    pub state: Option<char>,
}

impl Status {
    /// A zombie (`Z`) or dead (`X`) process: it has exited, holds no descriptor and answers nothing; only its
    /// parent has not reaped it yet.
    pub fn exited(&self) -> bool {
        matches!(self.state, Some('Z' | 'X'))
    }
}

/// Parses `/proc/PID/status`; a field missing or malformed keeps its default.
pub fn parse_status(text: &str) -> Status {
    let mut st = Status::default();
    for line in text.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match key {
            // Name may contain anything but a newline; the kernel escapes backslashes and newlines.
            "Name" => st.name = value.to_owned(),
            "PPid" => st.ppid = value.parse().unwrap_or(0),
            "State" => st.state = value.chars().next(),
            "Uid" => {
                let ids: Vec<u32> = value
                    .split_whitespace()
                    .filter_map(|v| v.parse().ok())
                    .collect();
                if let [r, e, s, f] = ids[..] {
                    st.uid = [r, e, s, f];
                }
            }
            "Gid" => {
                let ids: Vec<u32> = value
                    .split_whitespace()
                    .filter_map(|v| v.parse().ok())
                    .collect();
                st.gid = match ids[..] {
                    [r, e, s, f] => Some([r, e, s, f]),
                    _ => None,
                };
            }
            "NoNewPrivs" => {
                st.no_new_privs = match value {
                    "0" => Some(false),
                    "1" => Some(true),
                    _ => None,
                }
            }
            "NSpid" => {
                st.nspid = value
                    .split_whitespace()
                    .filter_map(|v| v.parse().ok())
                    .collect()
            }
            _ => {}
        }
    }
    st
}

/// Splits a NUL-separated list (`cmdline`, `environ`); a trailing NUL ends the last item.
pub fn nul_list(bytes: &[u8]) -> Vec<String> {
    if bytes.is_empty() {
        return Vec::new();
    }
    let bytes = bytes.strip_suffix(b"\0").unwrap_or(bytes);
    bytes
        .split(|b| *b == 0)
        .map(|item| String::from_utf8_lossy(item).into_owned())
        .collect()
}

/// The value of `name` in an `environ` list.
pub fn env_value<'a>(environ: &'a [String], name: &str) -> Option<&'a str> {
    environ.iter().find_map(|kv| {
        kv.strip_prefix(name)
            .and_then(|rest| rest.strip_prefix('='))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn real_status() {
        let text = "Name:\tdockerd\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t4242\nNgid:\t0\nPid:\t4242\nPPid:\t4200\n\
TracerPid:\t0\nUid:\t1001\t1001\t1001\t1001\nGid:\t1001\t1001\t1001\t1001\nNSpid:\t4242\t51\n";
        let st = parse_status(text);
        assert_eq!(st.name, "dockerd");
        assert_eq!(st.ppid, 4200);
        assert_eq!(st.uid, [1001; 4]);
        assert_eq!(st.nspid, [4242, 51]);
        assert_eq!(st.gid, Some([1001; 4]));
        assert_eq!(
            st.no_new_privs, None,
            "no NoNewPrivs line: before Linux 4.10"
        );
    }

    #[test]
    fn no_new_privs() {
        // Lines as Linux 6.1 prints them, around NoNewPrivs (`setpriv --no-new-privs -- cat /proc/self/status`).
        let text = "Name:\tcat\nUid:\t1001\t1001\t1001\t1001\nCapBnd:\t000001ffffffffff\nCapAmb:\t0000000000000000\n\
NoNewPrivs:\t1\nSeccomp:\t0\nSeccomp_filters:\t0\n";
        assert_eq!(parse_status(text).no_new_privs, Some(true));
        assert_eq!(parse_status("NoNewPrivs:\t0\n").no_new_privs, Some(false));
        assert_eq!(parse_status("NoNewPrivs:\t2\n").no_new_privs, None);
        assert_eq!(parse_status("NoNewPrivs:\n").no_new_privs, None);
    }

    #[test]
    fn real_gid_after_runuser_g() {
        // `runuser -u rdtest-ok -g users -- cat /proc/self/status` on Linux 6.1: the real gid is 100, not the
        // passwd group 1001.
        let st =
            parse_status("Name:\tcat\nUid:\t1001\t1001\t1001\t1001\nGid:\t100\t100\t100\t100\n");
        assert_eq!(st.gid, Some([100; 4]));
        assert_eq!(parse_status("Gid:\t100\t100\n").gid, None);
        assert_eq!(parse_status("Name:\tcat\n").gid, None);
    }

    #[test]
    fn nul_lists() {
        assert_eq!(
            nul_list(b"dockerd\0--rootless\0"),
            ["dockerd", "--rootless"]
        );
        assert_eq!(nul_list(b""), Vec::<String>::new());
        assert_eq!(nul_list(b"\0"), [""]);
        let env = nul_list(b"HOME=/home/a\0ROOTLESSKIT_STATE_DIR=/tmp/rootlesskit123\0X=a=b\0");
        assert_eq!(
            env_value(&env, "ROOTLESSKIT_STATE_DIR"),
            Some("/tmp/rootlesskit123")
        );
        assert_eq!(env_value(&env, "X"), Some("a=b"));
        assert_eq!(env_value(&env, "HOM"), None);
    }

    proptest! {
        #[test]
        fn status_never_panics(text in ".{0,400}") {
            let _ = parse_status(&text);
        }

        #[test]
        fn nul_lists_round_trip(items in proptest::collection::vec("[^\0]{0,12}", 1..6)) {
            let mut bytes = items.join("\0").into_bytes();
            bytes.push(0);
            prop_assert_eq!(nul_list(&bytes), items);
        }
    }
}
