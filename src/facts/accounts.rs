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
                let mut seen: HashSet<&str> = HashSet::new();
                // By line: in file order.
                let mut lines: Vec<(usize, Account)> = p
                    .iter()
                    // The first line of a name is the account (a later `root:x:1005:…` is not); root is never one.
                    .filter(|e| seen.insert(e.name) && e.uid != 0)
                    .filter_map(|e| {
                        Some((
                            e.line,
                            Account {
                                why: why(e.name, e.uid, e.shell)?,
                                info: UserInfo::from(e),
                                unread: None,
                            },
                        ))
                    })
                    .collect();
                // A line not UTF-8 where the doctor reads it is still an account to glibc: listed, not judged.
                let unread = p.unread_accounts();
                if !unread.is_empty() {
                    for u in unread {
                        let Some(why) = why(&u.name, u.uid, &u.shell).filter(|_| u.uid != 0) else {
                            continue;
                        };
                        lines.push((
                            u.line,
                            Account {
                                unread: Some(format!(
                                    "/etc/passwd:{}: not UTF-8 in the name, home or shell, which glibc and shadow read as bytes and this doctor cannot",
                                    u.line
                                )),
                                info: UserInfo {
                                    name: u.name,
                                    uid: u.uid,
                                    gid: u.gid,
                                    home: u.home,
                                    shell: u.shell,
                                },
                                why,
                            },
                        ));
                    }
                    lines.sort_by_key(|(line, _)| *line);
                }
                (lines.into_iter().map(|(_, a)| a).collect(), None)
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
