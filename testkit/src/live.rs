//! Whether a live test runs, skips or fails: one decision for every live test (tests/*.rs and this crate's own).
//!
//! The live tier is on when `ROOTLESS_DOCTOR_LIVE=1` or `CI` is set (non-empty): there, a missing prerequisite
//! (root, a test user, a program, a file) fails the test with a message that names it, so a CI machine that lost
//! root or a package goes red instead of skipping. Without either variable (a developer's plain `cargo test`) a live
//! test skips, printing why on stderr, and passes.
//!
//! Also here: the test users' names (one place for `ROOTLESS_DOCTOR_LIVE_*_USER` and their defaults), their
//! `/etc/passwd` entries (read with the doctor's own parser), and running a command as one of them with a clean
//! environment.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The PATH live tests give the tools they run (explicit: `su -` would drop /usr/sbin, where dockerd, runc and
/// iptables live); programs named by a [`Need::Program`] are looked up here.
pub const PATH: &str = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";

/// The test users `cargo xtask setup` makes: one with subordinate ids and everything rootless Docker needs, one
/// without any line in /etc/subuid or /etc/subgid, and one that plants hostile files for root's run.
pub const OK_USER: &str = "rdtest-ok";
pub const NOSUB_USER: &str = "rdtest-nosub";
pub const HOSTILE_USER: &str = "rdtest-mallory";

/// The user with subordinate ids: `ROOTLESS_DOCTOR_LIVE_OK_USER`, else [`OK_USER`].
pub fn ok_user() -> String {
    user_name("ROOTLESS_DOCTOR_LIVE_OK_USER", OK_USER)
}

/// The user without subordinate ids: `ROOTLESS_DOCTOR_LIVE_NOSUB_USER`, else [`NOSUB_USER`].
pub fn nosub_user() -> String {
    user_name("ROOTLESS_DOCTOR_LIVE_NOSUB_USER", NOSUB_USER)
}

/// The hostile user: `ROOTLESS_DOCTOR_LIVE_HOSTILE_USER`, else [`HOSTILE_USER`].
pub fn hostile_user() -> String {
    user_name("ROOTLESS_DOCTOR_LIVE_HOSTILE_USER", HOSTILE_USER)
}

fn user_name(var: &str, default: &str) -> String {
    std::env::var(var)
        .ok()
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

/// Why the live tier is on (`ROOTLESS_DOCTOR_LIVE=1`, `CI=true`), or `None` when it is off. `CI` counts when it is
/// set to anything but empty, `false` or `0`, as `cargo xtask test` reads it.
pub fn live_tier() -> Option<String> {
    tier_from(
        std::env::var("ROOTLESS_DOCTOR_LIVE").ok().as_deref(),
        std::env::var("CI").ok().as_deref(),
    )
}

fn tier_from(live: Option<&str>, ci: Option<&str>) -> Option<String> {
    match (live, ci) {
        (Some("1"), _) => Some("ROOTLESS_DOCTOR_LIVE=1".to_owned()),
        (_, Some(ci)) if !matches!(ci, "" | "false" | "0") => Some(format!("CI={ci}")),
        _ => None,
    }
}

/// What a live test needs from the machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Need {
    /// Root (the tests run commands as other users and change host files).
    Root,
    /// An account in /etc/passwd (`cargo xtask setup` makes the test users).
    User(String),
    /// A program: an absolute path, or a name found on [`PATH`].
    Program(&'static str),
    /// A file that must exist (a binary the live tier builds, a script a package installs).
    File(PathBuf),
}

impl Need {
    /// `None` when the machine has it, else what is missing, in words.
    pub fn missing(&self) -> Option<String> {
        match self {
            Need::Root => (!nix::unistd::geteuid().is_root()).then(|| "needs root".to_owned()),
            Need::User(name) => account(name).err().map(|e| e.to_string()),
            Need::Program(name) => find_program(name).is_none().then(|| {
                format!(
                    "no `{name}` on {PATH} (`cargo xtask setup` installs the live tier's packages)"
                )
            }),
            Need::File(path) => (!path.exists()).then(|| format!("{} is missing", path.display())),
        }
    }
}

/// The binary under test: `ROOTLESS_DOCTOR_BIN` when set (the live and vm tiers hand over the release build that
/// ships, from `cargo build --release`), else `beside`, the one cargo built beside the calling test
/// (`env!("CARGO_BIN_EXE_rootless-doctor")`).
pub fn tested_binary(beside: &str) -> PathBuf {
    match std::env::var_os("ROOTLESS_DOCTOR_BIN").filter(|b| !b.is_empty()) {
        Some(bin) => {
            let bin = PathBuf::from(bin);
            assert!(
                bin.is_file(),
                "ROOTLESS_DOCTOR_BIN={} is not a file",
                bin.display()
            );
            bin
        }
        None => PathBuf::from(beside),
    }
}

/// Where `name` is: itself when it is a path, else the first match on [`PATH`].
pub fn find_program(name: &str) -> Option<PathBuf> {
    if name.contains('/') {
        return Path::new(name).exists().then(|| PathBuf::from(name));
    }
    PATH.split(':')
        .map(|dir| Path::new(dir).join(name))
        .find(|path| path.is_file())
}

/// What a live test does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gate {
    Run,
    /// Outside the live tier: skip, saying why.
    Skip(String),
    /// In the live tier with a prerequisite missing: fail, saying what.
    Fail(String),
}

/// The decision, from whether the live tier is on (and why) and what is missing.
pub fn decide(tier: Option<&str>, missing: &[String]) -> Gate {
    match tier {
        None => {
            let mut why = "the live tier is off (set ROOTLESS_DOCTOR_LIVE=1, or run `cargo xtask test --tier live` as root)"
                .to_owned();
            if !missing.is_empty() {
                why.push_str(&format!(
                    "; this machine also lacks: {}",
                    missing.join("; ")
                ));
            }
            Gate::Skip(why)
        }
        Some(tier) if !missing.is_empty() => Gate::Fail(format!(
            "the live tier is on ({tier}) but a prerequisite is missing: {} (run `cargo xtask setup` as root)",
            missing.join("; ")
        )),
        Some(_) => Gate::Run,
    }
}

/// The one call at the top of every live test: `true` to run it; `false` after printing a skip line on stderr, not
/// captured by libtest (outside the live tier); a panic naming what is missing (inside it).
#[track_caller]
pub fn ready(needs: &[Need]) -> bool {
    let missing: Vec<String> = needs.iter().filter_map(Need::missing).collect();
    let test = std::thread::current()
        .name()
        .unwrap_or("a live test")
        .to_owned();
    match decide(live_tier().as_deref(), &missing) {
        Gate::Run => true,
        Gate::Skip(why) => {
            // Straight to the process's stderr, past libtest's capture: a skip is seen in a plain `cargo test`.
            let _ = writeln!(io::stderr(), "SKIP {test}: {why}");
            false
        }
        Gate::Fail(why) => panic!("{test}: {why}"),
    }
}

/// A test user as /etc/passwd has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    pub home: PathBuf,
}

/// The account `name` from /etc/passwd, read with the doctor's own parser (the test users are local accounts).
pub fn account(name: &str) -> io::Result<Account> {
    let passwd = std::fs::read("/etc/passwd")?;
    rootless_doctor::parse::passwd::Passwd::parse(passwd)
        .iter()
        .find(|entry| entry.name == name)
        .map(|entry| Account {
            name: entry.name.to_owned(),
            uid: entry.uid,
            gid: entry.gid,
            home: PathBuf::from(entry.home),
        })
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!(
                    "no user {name:?} in /etc/passwd (`cargo xtask setup` makes the test users)"
                ),
            )
        })
}

/// `runuser -u USER -- /usr/bin/env -i K=V… argv…`: `argv` as `user` with exactly `env`, no shell, stdin null,
/// from `/`. The caller may set another directory, and add arguments after `argv`.
pub fn as_user<K: AsRef<str>, V: AsRef<str>>(
    user: &str,
    env: impl IntoIterator<Item = (K, V)>,
    argv: &[impl AsRef<std::ffi::OsStr>],
) -> Command {
    let mut command = Command::new("/usr/sbin/runuser");
    command
        .args(["-u", user, "--", "/usr/bin/env", "-i"])
        .args(
            env.into_iter()
                .map(|(k, v)| format!("{}={}", k.as_ref(), v.as_ref())),
        )
        .args(argv)
        .current_dir("/")
        .stdin(Stdio::null());
    command
}

/// `setpriv --reuid=UID --regid=GID --init-groups` (or `--clear-groups`, a login session that predates a group
/// change): unlike runuser, setpriv execs what follows without a process of its own, so the child's pid is the
/// program's and killing the child ends it.
pub fn exec_as(account: &Account, init_groups: bool) -> Command {
    let mut command = Command::new("setpriv");
    command
        .arg(format!("--reuid={}", account.uid))
        .arg(format!("--regid={}", account.gid))
        .arg(if init_groups {
            "--init-groups"
        } else {
            "--clear-groups"
        });
    command
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_live_tier_is_on_with_either_variable() {
        assert_eq!(tier_from(None, None), None);
        assert_eq!(tier_from(Some("0"), Some("")), None);
        assert_eq!(tier_from(None, Some("false")), None);
        assert_eq!(
            tier_from(Some("1"), None).as_deref(),
            Some("ROOTLESS_DOCTOR_LIVE=1")
        );
        assert_eq!(tier_from(None, Some("true")).as_deref(), Some("CI=true"));
    }

    #[test]
    fn skip_outside_the_live_tier_fail_inside_it() {
        let missing = ["needs root".to_owned()];
        assert!(
            matches!(decide(None, &[]), Gate::Skip(why) if why.contains("ROOTLESS_DOCTOR_LIVE=1"))
        );
        assert!(matches!(decide(None, &missing), Gate::Skip(why) if why.contains("needs root")));
        assert_eq!(decide(Some("CI=true"), &[]), Gate::Run);
        assert!(
            matches!(decide(Some("CI=true"), &missing), Gate::Fail(why) if why.contains("(CI=true)") && why.contains("needs root"))
        );
    }

    #[test]
    fn needs_say_what_is_missing() {
        assert_eq!(Need::Program("sh").missing(), None);
        assert!(Need::Program("rd-no-such-program").missing().is_some());
        assert!(
            Need::User("rd-no-such-user".into())
                .missing()
                .is_some_and(|why| why.contains("no user \"rd-no-such-user\""))
        );
        assert_eq!(Need::File("/".into()).missing(), None);
        assert_eq!(account("root").unwrap().uid, 0);
    }

    #[test]
    fn as_user_builds_a_clean_environment() {
        let command = as_user("rdtest-ok", [("HOME", "/home/rdtest-ok")], &["id", "-u"]);
        let args: Vec<_> = command.get_args().map(|a| a.to_string_lossy()).collect();
        assert_eq!(
            args.join(" "),
            "-u rdtest-ok -- /usr/bin/env -i HOME=/home/rdtest-ok id -u"
        );
    }
}
