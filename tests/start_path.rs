//! Live tier: `start.path` and `start.versions` against the real start path (docs/launch-sequence.md rows 1.11,
//! 2.15, 4.1, 4.2, 8.2, 8.8).
//!
//! Each fault is a PATH: a scratch directory of symlinks to every program in /usr/bin, /usr/sbin and Debian's
//! contrib directory except the one under test. The doctor (`preflight`, as the test user, started by hand from that
//! PATH: no systemd is PID 1 here) and the real tool (RootlessKit 1.1.0's `rootlesskit … true`, or Debian 12's
//! dockerd-rootless.sh 20.10 with its dockerd) get the same PATH; the doctor's finding and the tool's own error are
//! both asserted. Nothing global changes: each test has its own XDG_RUNTIME_DIR, TMPDIR, XDG_DATA_HOME and
//! XDG_CONFIG_HOME under a scratch directory of its own, removed afterwards.

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
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use support::{Need, Run, finding};

const SCRIPT: &str = "/usr/share/docker.io/contrib/dockerd-rootless.sh";
const SOURCES: &[&str] = &["/usr/bin", "/usr/sbin", "/usr/share/docker.io/contrib"];

fn live() -> Option<support::Live> {
    support::start(&[
        Need::Root,
        Need::User(testkit::live::ok_user()),
        Need::Program("rootlesskit"),
        Need::Program("slirp4netns"),
        Need::Program("nsenter"),
        Need::Program("ip"),
        Need::Program("dockerd"),
        Need::Program("containerd"),
        Need::Program("rootlesskit-docker-proxy"),
        Need::Program("timeout"),
        Need::File(PathBuf::from(SCRIPT)),
    ])
}

/// A scratch directory for one test, owned by the test user: `bin/` (the PATH), `xdg/` (XDG_RUNTIME_DIR, 0700),
/// `tmp/`, `data/`, `config/`. Removed on drop.
struct Scratch {
    root: support::ScratchDir,
    user: testkit::Account,
}

impl Scratch {
    /// Symlinks to every executable of [`SOURCES`] (the first of each name) except `without`.
    fn new(tag: &str, without: &[&str]) -> Scratch {
        let user = testkit::account(&testkit::live::ok_user()).unwrap_or_else(|e| panic!("{e}"));
        let root = support::ScratchDir::new("/tmp", &format!("startpath-{tag}"), 0o755);
        let owner = (user.uid, user.gid);
        for sub in ["", "bin", "tmp", "data", "config"] {
            root.user_dir(sub, owner, 0o755);
        }
        root.user_dir("xdg", owner, 0o700);
        let bin = root.0.join("bin");
        for dir in SOURCES {
            for entry in fs::read_dir(dir).unwrap().flatten() {
                let name = entry.file_name();
                let name_str = name.to_string_lossy();
                if without.contains(&name_str.as_ref()) {
                    continue;
                }
                let link = bin.join(&name);
                let executable = fs::metadata(entry.path())
                    .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0);
                if executable && !link.exists() {
                    std::os::unix::fs::symlink(entry.path(), &link).unwrap();
                }
            }
        }
        for name in without {
            assert!(
                !bin.join(name).exists(),
                "{name} is still on the scratch PATH"
            );
        }
        Scratch { root, user }
    }

    fn path(&self) -> String {
        self.root.path("bin")
    }

    /// `argv` as the test user with this scratch's PATH and directories, at most `secs` seconds.
    fn command(&self, secs: u32, argv: &[&str], extra_env: &[(&str, &str)]) -> Command {
        let sub = |s: &str| self.root.path(s);
        let mut env = support::login_env(
            &self.user.name,
            &self.user.home.display().to_string(),
            &self.path(),
            &sub("xdg"),
        );
        env.push(("TMPDIR".into(), sub("tmp")));
        env.push(("XDG_DATA_HOME".into(), sub("data")));
        env.push(("XDG_CONFIG_HOME".into(), sub("config")));
        env.extend(
            extra_env
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        let inner = testkit::as_user(&self.user.name, env, argv);
        // GNU timeout signals its whole process group, so nothing the start path spawned outlives the deadline.
        let mut cmd = Command::new("timeout");
        cmd.args(["--kill-after=5", &secs.to_string()])
            .arg(inner.get_program())
            .args(inner.get_args());
        cmd
    }

    /// The doctor's `preflight --only start` as the test user on this PATH.
    fn doctor(&self, extra_env: &[(&str, &str)]) -> (Run, Value) {
        let bin = support::doctor_bin().display().to_string();
        let run = Run::of(self.command(
            30,
            &[&bin, "preflight", "--only", "start", "--format", "json"],
            extra_env,
        ));
        let doc = run.json();
        (run, doc)
    }
}

/// The doctor fails `id` with a summary that starts with `start` and contains `error`.
#[track_caller]
fn assert_doctor_fails(doc: &Value, run: &Run, id: &str, start: &str, error: &str) {
    let f = finding(doc, id);
    assert_eq!(f["status"], "fail", "{id}: {f}\n{run}");
    let summary = f["summary"].as_str().unwrap();
    assert!(summary.starts_with(start), "{id}: {summary}");
    assert!(
        summary.contains(error),
        "{id} does not quote {error:?}: {summary}"
    );
    assert_eq!(run.code(), 1, "{run}");
}

/// The real `rootlesskit … true` on the scratch PATH.
fn rootlesskit(s: &Scratch) -> Run {
    let rk = format!("{}/rootlesskit", s.path());
    let argv: Vec<&str> = std::iter::once(rk.as_str())
        .chain(support::RK_20_10_FLAGS.iter().copied())
        .collect();
    Run::of(s.command(30, &argv, &[]))
}

/// Debian 12's dockerd-rootless.sh (20.10) on the scratch PATH, until it stops (or 90 s).
fn dockerd_rootless(s: &Scratch, extra_env: &[(&str, &str)]) -> Run {
    Run::of(s.command(90, &[SCRIPT], extra_env))
}

#[test]
fn without_nsenter_rootlesskit_cannot_set_up_the_tap_device() {
    let Some(_live) = live() else { return };
    let s = Scratch::new("nsenter", &["nsenter"]);
    let (run, doc) = s.doctor(&[]);
    let error = "exec: \"nsenter\": executable file not found in $PATH";
    assert_doctor_fails(&doc, &run, "start.path", "nsenter not on the PATH", error);
    let real = rootlesskit(&s);
    assert_ne!(real.code(), 0, "{real}");
    assert!(
        real.stderr
            .contains("setting up tap tap0: executing [[nsenter -t ")
            && real.stderr.contains(&format!("]]: {error}")),
        "{real}"
    );
}

#[test]
fn without_ip_nsenter_fails_to_execute_it() {
    let Some(_live) = live() else { return };
    let s = Scratch::new("ip", &["ip"]);
    let (run, doc) = s.doctor(&[]);
    assert_doctor_fails(
        &doc,
        &run,
        "start.path",
        "ip not on the PATH",
        "nsenter: failed to execute ip: No such file or directory",
    );
    let real = rootlesskit(&s);
    assert_ne!(real.code(), 0, "{real}");
    assert!(
        real.stderr
            .contains("nsenter: failed to execute ip: No such file or directory"),
        "{real}"
    );
    assert!(real.stderr.contains("exit status 127"), "{real}");
}

#[test]
fn without_newuidmap_on_path_rootlesskit_cannot_map_ids() {
    let Some(_live) = live() else { return };
    let s = Scratch::new("newuidmap", &["newuidmap"]);
    let (run, doc) = s.doctor(&[]);
    let error = "exec: \"newuidmap\": executable file not found in $PATH";
    assert_doctor_fails(&doc, &run, "start.path", "newuidmap not on the PATH", error);
    let real = rootlesskit(&s);
    assert_ne!(real.code(), 0, "{real}");
    assert!(
        real.stderr
            .contains("[rootlesskit:parent] error: failed to setup UID/GID map: newuidmap ")
            && real.stderr.contains(&format!("failed: : {error}")),
        "{real}"
    );
}

#[test]
fn with_everything_on_path_both_pass() {
    let Some(_live) = live() else { return };
    let s = Scratch::new("full", &[]);
    let (run, doc) = s.doctor(&[]);
    for id in ["start.path", "start.versions"] {
        assert_eq!(finding(&doc, id)["status"], "pass", "{id}\n{run}");
    }
    let real = support::retry_bp_sock_race(
        || rootlesskit(&s),
        |r| (r.code() != 0).then_some(r.stderr.as_str()),
    );
    assert_eq!(real.code(), 0, "{real}");
}

#[test]
fn dockerd_20_10_without_its_proxy_stops() {
    let Some(_live) = live() else { return };
    let s = Scratch::new("proxy", &["rootlesskit-docker-proxy"]);
    let (run, doc) = s.doctor(&[]);
    let error = "running with RootlessKit, but rootlesskit-docker-proxy not installed: exec: \
\"rootlesskit-docker-proxy\": executable file not found in $PATH";
    assert_doctor_fails(
        &doc,
        &run,
        "start.path",
        "rootlesskit-docker-proxy not on the PATH",
        error,
    );
    let real = dockerd_rootless(&s, &[]);
    assert_ne!(real.code(), 0, "{real}");
    assert_ne!(real.code(), 124, "timed out: {real}");
    assert!(real.stderr.contains(error), "{real}");
}

#[test]
fn dockerd_20_10_without_containerd_stops() {
    let Some(_live) = live() else { return };
    let s = Scratch::new("containerd", &["containerd"]);
    let (run, doc) = s.doctor(&[]);
    let error = "exec: \"containerd\": executable file not found in $PATH";
    assert_doctor_fails(
        &doc,
        &run,
        "start.path",
        "containerd not on the PATH",
        error,
    );
    let real = dockerd_rootless(&s, &[]);
    assert_ne!(real.code(), 0, "{real}");
    assert_ne!(real.code(), 124, "timed out: {real}");
    assert!(
        real.stderr
            .contains(&format!("failed to start containerd: {error}")),
        "{real}"
    );
}

#[test]
fn pasta_asked_of_rootlesskit_1_is_an_unknown_network_mode() {
    let Some(_live) = live() else { return };
    let s = Scratch::new("pasta", &[]);
    let env = [("DOCKERD_ROOTLESS_ROOTLESSKIT_NET", "pasta")];
    let (run, doc) = s.doctor(&env);
    let error = "[rootlesskit:parent] error: unknown network mode: pasta";
    assert_doctor_fails(
        &doc,
        &run,
        "start.versions",
        &format!("{}/dockerd-rootless.sh passes --net=pasta", s.path()),
        error,
    );
    let real = dockerd_rootless(&s, &env);
    assert_ne!(real.code(), 0, "{real}");
    assert!(real.stderr.contains(error), "{real}");
}

#[test]
fn scratch_paths_are_what_they_claim() {
    // Guards the harness itself: a scratch PATH really lacks the program, and holds the rest.
    let Some(_live) = live() else { return };
    let s = Scratch::new("self", &["nsenter"]);
    assert!(!Path::new(&s.path()).join("nsenter").exists());
    for name in [
        "rootlesskit",
        "ip",
        "dockerd",
        "iptables",
        "dockerd-rootless.sh",
    ] {
        assert!(Path::new(&s.path()).join(name).exists(), "{name}");
    }
}

#[test]
fn without_mount_the_script_stops_at_the_etc_ssl_bind_mount() {
    // `--copy-up=/etc` makes /etc/ssl a symlink in the child on every host, so Debian 12's script runs its
    // openSUSE workaround here too: `mount --rbind /etc/.roNNN/ssl /etc/ssl`.
    let Some(_live) = live() else { return };
    let s = Scratch::new("mount", &["mount"]);
    let (run, doc) = s.doctor(&[]);
    assert_doctor_fails(
        &doc,
        &run,
        "start.path",
        "mount not on the PATH",
        "mount: not found",
    );
    let real = dockerd_rootless(&s, &[]);
    assert_ne!(real.code(), 0, "{real}");
    assert_ne!(real.code(), 124, "timed out: {real}");
    assert!(real.stderr.contains("+ mount --rbind /etc/.ro"), "{real}");
    assert!(
        real.stderr
            .contains(&format!("{SCRIPT}: 128: mount: not found")),
        "{real}"
    );
}

#[test]
fn without_rootlesskit_on_path_the_script_stops_before_anything() {
    // Row 1.4: network.binaries passes (it also searches /usr/sbin, ~/bin and the contrib directories), but the
    // script's `command -v` searches the PATH only.
    let Some(_live) = live() else { return };
    let s = Scratch::new("rootlesskit", &["rootlesskit"]);
    let (run, doc) = s.doctor(&[]);
    let error = "rootlesskit needs to be installed";
    assert_doctor_fails(
        &doc,
        &run,
        "start.path",
        "rootlesskit not on the PATH",
        error,
    );
    let real = dockerd_rootless(&s, &[]);
    assert_ne!(real.code(), 0, "{real}");
    assert!(real.stderr.contains(error), "{real}");
}
