//! The accounts `--all-users` judges ([`Facts::accounts`]): every account of /etc/passwd that could run rootless
//! Docker. That is one with a login shell and a uid in the range useradd(8) gives people (`UID_MIN`..`UID_MAX` of
//! /etc/login.defs), or one that owns a line of /etc/subuid or /etc/subgid (by name or uid), whatever its uid.
//! Root is never one: rootless mode is for everyone else.

use std::collections::HashSet;

use serde::Serialize;

use super::{Facts, Read};
use crate::host::UserInfo;
use crate::parse;

/// shadow's defaults when /etc/login.defs does not set them (useradd(8), login.defs(5)).
const UID_MIN_DEFAULT: u32 = 1000;
const UID_MAX_DEFAULT: u32 = 60000;

/// Why an account is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Why {
    /// A login shell and a uid in `UID_MIN`..`UID_MAX`.
    LoginAccount,
    /// A line of /etc/subuid or /etc/subgid names it (by name or uid).
    SubidLine,
}

/// One account to judge.
#[derive(Debug, Clone)]
pub struct Account {
    pub info: UserInfo,
    pub why: Why,
    /// Why the account cannot be judged, though glibc sees it: its /etc/passwd line is not UTF-8 where the doctor
    /// reads it (the name, home or shell). It is listed as not judged, never left out.
    pub unread: Option<String>,
}

/// The accounts, and the range and source they were chosen with.
#[derive(Debug, Clone)]
pub struct Accounts {
    pub list: Vec<Account>,
    pub uid_min: u32,
    pub uid_max: u32,
    /// Where the range came from: `/etc/login.defs:LINE` or shadow's default.
    pub range_source: String,
    /// /etc/passwd could not be read: why (no account is judged then).
    pub unreadable: Option<String>,
}

/// Whether `shell` lets its account log in: not one of the shells that refuse (`nologin`, `false`) or that run
/// one action (`sync`, `shutdown`, `halt`). An empty field is /bin/sh (passwd(5)).
pub fn is_login_shell(shell: &str) -> bool {
    let base = shell.rsplit('/').next().unwrap_or(shell);
    !matches!(base, "nologin" | "false" | "sync" | "shutdown" | "halt")
}

/// `UID_MIN`/`UID_MAX` as shadow's `getdef_unum` reads them (strtoul with base 0: decimal, `0x` hex, `0` octal);
/// `None` for a value it would refuse.
fn login_defs_number(value: &str) -> Option<u32> {
    let v = value.trim();
    if let Some(hex) = v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
        u32::from_str_radix(hex, 16).ok()
    } else if v.len() > 1 && v.starts_with('0') {
        u32::from_str_radix(&v[1..], 8).ok()
    } else {
        v.parse().ok()
    }
}

impl Facts<'_> {
    /// The accounts that could run rootless Docker, in /etc/passwd's order (see the module's text).
    pub fn accounts(&self) -> Accounts {
        let defs = self.read("/etc/login.defs");
        let setting = |key: &str, default: u32| -> (u32, Option<usize>) {
            match &defs {
                Read::Ok(text) => parse::login_defs::get(text, key)
                    .and_then(|(line, v)| login_defs_number(v).map(|n| (n, Some(line))))
                    .unwrap_or((default, None)),
                _ => (default, None),
            }
        };
        let (uid_min, min_line) = setting("UID_MIN", UID_MIN_DEFAULT);
        let (uid_max, max_line) = setting("UID_MAX", UID_MAX_DEFAULT);
        let range_source = match (min_line, max_line) {
            (None, None) => "shadow's default (not set in /etc/login.defs)".to_owned(),
            (Some(a), Some(b)) => format!("/etc/login.defs:{a},{b}"),
            (Some(l), None) | (None, Some(l)) => {
                format!("/etc/login.defs:{l}, and shadow's default for the other")
            }
        };
        let mut owners: HashSet<&str> = HashSet::new();
        for file in [self.subuid(), self.subgid()] {
            if let Read::Ok(f) = file {
                owners.extend(f.owners());
            }
        }
        let (list, unreadable) = match self.passwd() {
            Read::Ok(p) => {
                let why = |name: &str, uid: u32, shell: &str| {
                    if owners.contains(name) || owners.contains(uid.to_string().as_str()) {
                        Some(Why::SubidLine)
                    } else if (uid_min..=uid_max).contains(&uid) && is_login_shell(shell) {
                        Some(Why::LoginAccount)
                    } else {
                        None
                    }
                };
                // Every line that holds an account for glibc, in file order: the lines read, and those not UTF-8
                // where the doctor reads them (listed, not judged).
                let unread = p.unread_accounts();
                let (mut read, mut unread_left) = (p.iter().peekable(), unread.iter().peekable());
                let mut seen: HashSet<&str> = HashSet::new();
                let mut list = Vec::new();
                loop {
                    let unread_first = match (read.peek(), unread_left.peek()) {
                        (Some(e), Some(u)) => u.line < e.line,
                        (None, Some(_)) => true,
                        (_, None) => false,
                    };
                    let next = if unread_first {
                        unread_left.next().map(Err)
                    } else {
                        read.next().map(Ok)
                    };
                    let Some(next) = next else { break };
                    let (name, uid, shell) = match &next {
                        Ok(e) => (e.name, e.uid, e.shell),
                        Err(u) => (u.name.as_str(), u.uid, u.shell.as_str()),
                    };
                    // The first line of a name is the account (a later `root:x:1005:…` is not); root is never one.
                    if !seen.insert(name) || uid == 0 {
                        continue;
                    }
                    let Some(why) = why(name, uid, shell) else {
                        continue;
                    };
                    list.push(match next {
                        Ok(e) => Account {
                            info: UserInfo::from(e),
                            why,
                            unread: None,
                        },
                        Err(u) => Account {
                            unread: Some(format!(
                                "/etc/passwd:{}: not UTF-8 in the name, home or shell, which glibc and shadow read as bytes and this doctor cannot",
                                u.line
                            )),
                            info: UserInfo {
                                name: u.name.clone(),
                                uid: u.uid,
                                gid: u.gid,
                                home: u.home.clone(),
                                shell: u.shell.clone(),
                            },
                            why,
                        },
                    });
                }
                (list, None)
            }
            Read::Missing => (Vec::new(), Some("/etc/passwd does not exist".to_owned())),
            Read::Failed(e) => (Vec::new(), Some(format!("/etc/passwd: {e}"))),
        };
        Accounts {
            list,
            uid_min,
            uid_max,
            range_source,
            unreadable,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shells_that_refuse_a_login_are_not_login_shells() {
        for s in [
            "/usr/sbin/nologin",
            "/sbin/nologin",
            "/bin/false",
            "/bin/sync",
        ] {
            assert!(!is_login_shell(s), "{s}");
        }
        for s in ["/bin/bash", "", "/usr/bin/zsh", "/bin/sh"] {
            assert!(is_login_shell(s), "{s}");
        }
    }

    #[test]
    fn login_defs_numbers_are_read_as_strtoul_base_0() {
        assert_eq!(login_defs_number("1000"), Some(1000));
        assert_eq!(login_defs_number("0x3e8"), Some(1000));
        assert_eq!(login_defs_number("01750"), Some(1000));
        assert_eq!(login_defs_number("0"), Some(0));
        assert_eq!(login_defs_number("many"), None);
    }

    /// A line not UTF-8 where the doctor reads it is an account as glibc reads it: in file order, and only as the
    /// first line of its name (a review found a later duplicate of a read name, and `root:x:1005:…`, listed).
    #[test]
    #[allow(clippy::disallowed_methods)] // makes the test's tree in a temporary directory
    fn a_line_not_utf8_is_an_account_where_glibc_finds_one() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        std::fs::create_dir_all(dir.path().join("etc")).unwrap();
        let passwd: &[u8] = b"root:x:0:0:root:/root:/bin/bash\n\
alice:x:1000:1000::/home/alice:/bin/bash\n\
bob:x:1001:1001::/home/b\xf6b:/bin/bash\n\
alice:x:1002:1002::/home/al\xf6ce:/bin/bash\n\
root:x:1005:1005::/home/r\xf6ot:/bin/bash\n\
bob:x:1003:1003::/home/bob:/bin/bash\n\
carol:x:1004:1004::/home/carol:/bin/bash\n";
        std::fs::write(dir.path().join("etc/passwd"), passwd).unwrap();
        let host = crate::host::real::RealHost::new(dir.path()).expect("the tree opens");
        let shared = super::super::Shared::for_every_account(&host);
        let a = Facts::for_host(&host, &shared).accounts();
        let listed: Vec<(&str, u32, bool)> = a
            .list
            .iter()
            .map(|a| (a.info.name.as_str(), a.info.uid, a.unread.is_some()))
            .collect();
        // bob's first line, not UTF-8, is the one glibc returns for bob: listed, not judged, and his later line not.
        assert_eq!(
            listed,
            [
                ("alice", 1000, false),
                ("bob", 1001, true),
                ("carol", 1004, false)
            ]
        );
        assert!(
            a.list[1]
                .unread
                .as_deref()
                .is_some_and(|w| w.starts_with("/etc/passwd:3: ")),
            "{:?}",
            a.list[1].unread
        );
    }

    #[test]
    fn the_fixture_accounts_are_the_people_not_the_system_accounts() {
        let f = crate::checks::test_support::facts("debian-12");
        let a = f.accounts();
        let names: Vec<&str> = a.list.iter().map(|a| a.info.name.as_str()).collect();
        assert_eq!(names, ["alice", "bob"]);
        assert!(a.list.iter().all(|a| a.why == Why::SubidLine));
        assert_eq!((a.uid_min, a.uid_max), (1000, 60000));
    }
}
