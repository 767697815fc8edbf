//! Live tier: `start.environment` and `start.rootless_flag` against the real Debian 12 dockerd-rootless.sh (20.10)
//! and RootlessKit 1.1.0.
//!
//! Each case sets one variable for both: the doctor runs as the test user in a session without systemd (this
//! machine has none, so the start is "by hand" and the session's environment is what the script gets), and the real
//! `/usr/share/docker.io/contrib/dockerd-rootless.sh --version` runs as the same user with the same environment. The
//! doctor's verdict is asserted with the real error verbatim in its summary, and the real run must print that error
//! and fail; the passing case must pass and print dockerd's version from inside RootlessKit (every flag accepted, the
//! namespaces made). Every case has a scratch directory of its own (`/tmp/rd-startenv-PID-N`: XDG_RUNTIME_DIR,
//! XDG_CONFIG_HOME, TMPDIR for RootlessKit's state dir), removed afterwards, so the user's real home and the
//! directories other live tests use are never touched.

#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    clippy::print_stderr,
    clippy::print_stdout
)]

#[allow(dead_code)]
#[path = "support/live.rs"]
mod support;

use std::fs;
use std::os::unix::fs::chown;
use std::path::PathBuf;

use serde_json::Value;
use support::{Need, Run, finding};

const SCRIPT: &str = testkit::DOCKERD_ROOTLESS_SH;

fn live() -> Option<support::Live> {
    support::start(&[
        Need::Root,
        Need::User(testkit::live::ok_user()),
        Need::Program("rootlesskit"),
        Need::Program("slirp4netns"),
        Need::Program("dockerd"),
        Need::Program("timeout"),
        Need::File(PathBuf::from(SCRIPT)),
    ])
}

/// A scratch directory owned by the user (0700), removed on drop.
struct Scratch {
    dir: support::ScratchDir,
    account: testkit::Account,
}

impl Scratch {
    fn new(account: &testkit::Account) -> Scratch {
        let s = Scratch {
            dir: support::ScratchDir::new("/tmp", "startenv", 0o700),
            account: account.clone(),
        };
        for sub in ["", "xrd", "cfg", "cfg/docker", "tmp"] {
            s.mkdir(sub);
        }
        s
    }

    fn mkdir(&self, sub: &str) {
        self.dir
            .user_dir(sub, (self.account.uid, self.account.gid), 0o700);
    }

    fn path(&self, sub: &str) -> String {
        self.dir.path(sub)
    }

    /// The environment of a session without systemd, plus `set`; a value of `None` leaves the variable out.
    fn env(&self, set: &[(&str, Option<&str>)]) -> Vec<(String, String)> {
        let a = &self.account;
        // The session's PATH has /usr/sbin, where Debian keeps dockerd and iptables.
        let mut env = support::login_env(
            &a.name,
            &a.home.display().to_string(),
            testkit::live::PATH,
            &self.path("xrd"),
        );
        env.push(("XDG_CONFIG_HOME".to_owned(), self.path("cfg")));
        env.push(("TMPDIR".to_owned(), self.path("tmp")));
        for (k, v) in set {
            env.retain(|(name, _)| name != k);
            if let Some(v) = v {
                env.push(((*k).to_owned(), (*v).to_owned()));
            }
        }
        env
    }

    fn run(&self, env: &[(String, String)], argv: &[&str]) -> Run {
        Run::of(testkit::as_user(
            &self.account.name,
            env.iter().map(|(k, v)| (k, v)),
            argv,
        ))
    }

    /// The doctor's `start` findings, by id.
    fn doctor(&self, env: &[(String, String)]) -> (Run, Value) {
        let bin = support::doctor_bin().display().to_string();
        let run = self.run(
            env,
            &[&bin, "preflight", "--only", "start", "--format", "json"],
        );
        let doc = run.json();
        (run, doc)
    }

    /// The real dockerd-rootless.sh, with `args` for dockerd (bounded by `timeout`).
    fn script(&self, env: &[(String, String)], args: &[&str]) -> Run {
        let mut argv = vec!["/usr/bin/timeout", "120", SCRIPT];
        argv.extend(args);
        self.run(env, &argv)
    }
}

fn account() -> testkit::Account {
    testkit::account(&testkit::live::ok_user()).unwrap_or_else(|e| panic!("{e}"))
}

/// One variable set for both: the doctor fails `start.environment` quoting `error`, and the real script prints
/// `error` and exits 1.
fn refused(set: &[(&str, Option<&str>)], error: &str) {
    refused_with_fix(set, error, None);
}

/// As [`refused`]; with `fix`, the fix's first command is that argv, and running it (with `--version` for dockerd)
/// gets through RootlessKit to dockerd.
fn refused_with_fix(set: &[(&str, Option<&str>)], error: &str, fix: Option<&[&str]>) {
    let scratch = Scratch::new(&account());
    let env = scratch.env(set);
    let (run, doc) = scratch.doctor(&env);
    let f = finding(&doc, "start.environment");
    assert_eq!(f["status"], "fail", "{f}\n{run}");
    let summary = f["summary"].as_str().unwrap_or_default();
    assert!(
        summary.contains(&format!("the start stops with \"{error}\"")),
        "the doctor does not quote {error:?}: {summary}"
    );
    if let Some(want) = fix {
        let argv: Vec<&str> = f["remediation"]["steps"][0]["argv"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        assert_eq!(argv, want, "{f}");
        let command = [&["/usr/bin/timeout", "120"][..], want, &["--version"][..]].concat();
        let fixed = support::retry_bp_sock_race(
            || scratch.run(&env, &command),
            |r| (r.code() != 0).then_some(r.stderr.as_str()),
        );
        assert_eq!(fixed.code(), 0, "the doctor's fix did not work:\n{fixed}");
        assert!(fixed.stdout.contains("Docker version 20.10"), "{fixed}");
    }
    let real = scratch.script(&env, &["--version"]);
    assert_eq!(real.code(), 1, "{real}");
    let said = format!("{}{}", real.stdout, real.stderr);
    assert!(
        said.lines().any(|l| l == error),
        "the real dockerd-rootless.sh did not print {error:?}:\n{real}"
    );
    assert!(!said.contains("Docker version"), "dockerd ran:\n{real}");
}

#[test]
fn mtu_above_65521_is_refused_by_rootlesskit() {
    let Some(_live) = live() else { return };
    refused_with_fix(
        &[("DOCKERD_ROOTLESS_ROOTLESSKIT_MTU", Some("70000"))],
        "[rootlesskit:parent] error: mtu must be <= 65521, got 70000",
        Some(&["env", "-u", "DOCKERD_ROOTLESS_ROOTLESSKIT_MTU", SCRIPT]),
    );
}

#[test]
fn mtu_that_is_not_a_number_is_refused_by_rootlesskit() {
    let Some(_live) = live() else { return };
    refused(
        &[("DOCKERD_ROOTLESS_ROOTLESSKIT_MTU", Some("abc"))],
        "[rootlesskit:parent] error: invalid value \"abc\" for flag -mtu: parse error",
    );
}

#[test]
fn a_flag_rootlesskit_does_not_define_is_refused() {
    let Some(_live) = live() else { return };
    refused(
        &[("DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS", Some("--no-such-flag"))],
        "[rootlesskit:parent] error: flag provided but not defined: -no-such-flag",
    );
}

#[test]
fn detach_netns_is_not_a_flag_of_rootlesskit_1_1_0() {
    let Some(_live) = live() else { return };
    // The fix keeps the word RootlessKit 1.1.0 knows.
    refused_with_fix(
        &[(
            "DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS",
            Some("--cidr=10.0.3.0/24 --detach-netns"),
        )],
        "[rootlesskit:parent] error: flag provided but not defined: -detach-netns",
        Some(&[
            "env",
            "DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS=--cidr=10.0.3.0/24",
            SCRIPT,
        ]),
    );
}

#[test]
fn a_cidr_with_host_bits_is_refused() {
    let Some(_live) = live() else { return };
    // The fix removes the flag with its value, the next word.
    refused_with_fix(
        &[(
            "DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS",
            Some("--cidr 10.0.3.5/24"),
        )],
        "[rootlesskit:parent] error: cidr must be like 10.0.2.0/24, not like 10.0.2.100/24",
        Some(&["env", "-u", "DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS", SCRIPT]),
    );
}

#[test]
fn port_driver_slirp4netns_needs_the_slirp4netns_network() {
    let Some(_live) = live() else { return };
    refused(
        &[
            ("DOCKERD_ROOTLESS_ROOTLESSKIT_NET", Some("host")),
            (
                "DOCKERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER",
                Some("slirp4netns"),
            ),
        ],
        "[rootlesskit:parent] error: port driver requires slirp4netns network",
    );
}

#[test]
fn debians_rootlesskit_has_no_vpnkit() {
    let Some(_live) = live() else { return };
    // Upstream RootlessKit 1.1.0 would stop at "port driver requires slirp4netns network" (after looking for the
    // vpnkit binary); Debian's package refuses the driver first.
    refused(
        &[
            ("DOCKERD_ROOTLESS_ROOTLESSKIT_NET", Some("vpnkit")),
            (
                "DOCKERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER",
                Some("slirp4netns"),
            ),
        ],
        "[rootlesskit:parent] error: not supported in this Debian package",
    );
}

#[test]
fn port_driver_implicit_is_unknown_to_rootlesskit_1_1_0() {
    let Some(_live) = live() else { return };
    refused(
        &[("DOCKERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER", Some("implicit"))],
        "[rootlesskit:parent] error: unknown port driver: implicit",
    );
}

#[test]
fn net_host_with_20_10s_builtin_port_driver_is_refused() {
    let Some(_live) = live() else { return };
    refused(
        &[("DOCKERD_ROOTLESS_ROOTLESSKIT_NET", Some("host"))],
        "[rootlesskit:parent] error: port driver requires non-host network",
    );
}

#[test]
fn slirp4netns_sandbox_mode_must_be_auto_true_or_false() {
    let Some(_live) = live() else { return };
    refused(
        &[(
            "DOCKERD_ROOTLESS_ROOTLESSKIT_SLIRP4NETNS_SANDBOX",
            Some("maybe"),
        )],
        "[rootlesskit:parent] error: unsupported slirp4netns-sandbox mode: \"maybe\"",
    );
}

#[test]
fn home_that_does_not_exist_stops_the_script() {
    let Some(_live) = live() else { return };
    let home = format!("HOME={}", account().home.display());
    refused_with_fix(
        &[("HOME", Some("/nonexistent"))],
        "HOME needs to be set and exist.",
        Some(&["env", home.as_str(), SCRIPT]),
    );
}

#[test]
fn the_stock_environment_passes_and_rootlesskit_runs_dockerd() {
    let Some(_live) = live() else { return };
    let scratch = Scratch::new(&account());
    let env = scratch.env(&[]);
    let (run, doc) = scratch.doctor(&env);
    for id in ["start.environment", "start.rootless_flag"] {
        let f = finding(&doc, id);
        assert_eq!(f["status"], "pass", "{f}\n{run}");
    }
    // RootlessKit accepted every flag, made the namespaces, and ran the script's second pass, which ran dockerd.
    let real = support::retry_bp_sock_race(
        || scratch.script(&env, &["--version"]),
        |r| (r.code() != 0).then_some(r.stderr.as_str()),
    );
    assert_eq!(real.code(), 0, "{real}");
    assert!(real.stdout.contains("Docker version 20.10"), "{real}");
}

#[test]
fn rootless_false_in_daemon_json_stops_dockerd() {
    let Some(_live) = live() else { return };
    let scratch = Scratch::new(&account());
    let json = scratch.dir.0.join("cfg/docker/daemon.json");
    fs::write(&json, "{\n  \"rootless\": false\n}\n").expect("write daemon.json");
    chown(&json, Some(scratch.account.uid), Some(scratch.account.gid)).expect("chown");
    let env = scratch.env(&[]);
    let (run, doc) = scratch.doctor(&env);
    let f = finding(&doc, "start.rootless_flag");
    assert_eq!(f["status"], "fail", "{f}\n{run}");
    let summary = f["summary"].as_str().unwrap_or_default();
    let path = format!("{}:2", json.display());
    assert!(
        summary.contains(&format!("\"rootless\": false in {path}"))
            && summary.ends_with(
                "dockerd stops with \"rootless mode needs to be enabled for running with RootlessKit\""
            ),
        "{summary}"
    );
    // The real daemon: RootlessKit starts, dockerd reads $XDG_CONFIG_HOME/docker/daemon.json and stops.
    let real = scratch.script(&env, &[]);
    assert_eq!(real.code(), 1, "{real}");
    let said = format!("{}{}", real.stdout, real.stderr);
    assert!(
        said.lines()
            .any(|l| l == "rootless mode needs to be enabled for running with RootlessKit"),
        "{real}"
    );
    assert!(
        said.contains("[rootlesskit:parent] error: child exited: exit status 1"),
        "{real}"
    );
}

#[test]
fn rootless_false_given_by_hand_is_not_visible_before_the_start() {
    let Some(_live) = live() else { return };
    let scratch = Scratch::new(&account());
    let env = scratch.env(&[]);
    // The doctor cannot see the arguments of a start by hand, and says so instead of judging them.
    let (run, doc) = scratch.doctor(&env);
    let f = finding(&doc, "start.rootless_flag");
    assert_eq!(f["status"], "pass", "{f}\n{run}");
    assert!(
        f["evidence"]
            .as_array()
            .expect("evidence")
            .iter()
            .any(|e| e["detail"]
                .as_str()
                .is_some_and(|d| d.contains("the arguments it will get are not visible"))),
        "{f}"
    );
    // What the row's error looks like when the flag reaches dockerd through the script.
    let real = scratch.script(&env, &["--rootless=false"]);
    assert_eq!(real.code(), 1, "{real}");
    let said = format!("{}{}", real.stdout, real.stderr);
    assert!(
        said.lines()
            .any(|l| l == "rootless mode needs to be enabled for running with RootlessKit"),
        "{real}"
    );
}
