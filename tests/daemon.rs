//! Live tier, daemon half: a real rootless dockerd (testkit) per test, `check` and `enter` against it, and
//! injected faults, each asserted twice: the doctor names it, and the real daemon, RootlessKit or client fails
//! the same way. Every host change is restored by a guard, also when the test fails.
//!
//! Needs root and `cargo xtask setup`. Outside the live tier (`ROOTLESS_DOCTOR_LIVE=1` or `CI`) each test says why
//! it skipped; inside it, a missing prerequisite fails the test.

#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    clippy::print_stderr,
    clippy::print_stdout
)]

// Shared by the live tier's test files, each of which uses part of it.
#[allow(dead_code)]
#[path = "support/live.rs"]
mod support;

use std::fs;
use std::os::unix::fs::{PermissionsExt, chown};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::Value;
use sha2::Digest;
use support::Need;
use testkit::{DaemonOptions, RootfulDaemon, RootlessDaemon, StateDirLayout};

struct Ctx {
    _live: support::Live,
    user: String,
}

/// The live context (support's lock serialises the tests, which change shared host state: /etc/subuid,
/// /var/run/docker.sock); `None` after a skip line outside the live tier.
fn live() -> Option<Ctx> {
    let user = testkit::live::ok_user();
    let mut needs = testkit::daemon_needs(&[&user]);
    needs.extend(
        [
            "dockerd", "unshare", "setpriv", "usermod", "gpasswd", "ip", "timeout", "openssl",
        ]
        .map(Need::Program),
    );
    Some(Ctx {
        _live: support::start(&needs)?,
        user,
    })
}

fn start(user: &str, layout: StateDirLayout) -> RootlessDaemon {
    RootlessDaemon::start(DaemonOptions::new(user, layout))
        .unwrap_or_else(|e| panic!("start a rootless dockerd for {user}: {e}"))
}

/// Asserts that a command's output (stdout and stderr, as `text` joins them) says `what`.
#[track_caller]
fn assert_says(out: &Output, what: &str) {
    let said = text(out);
    assert!(said.contains(what), "{what:?} not in:\n{said}");
}

/// Runs argv as `user` with exactly `env` (no shell).
fn as_user(user: &str, env: &[(String, String)], argv: &[&str]) -> Output {
    testkit::as_user(user, env.iter().map(|(k, v)| (k, v)), argv)
        .output()
        .expect("runuser")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The daemon user's environment with some variables changed (None removes).
fn env_with(d: &RootlessDaemon, changes: &[(&str, Option<&str>)]) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = d
        .env()
        .into_iter()
        .filter(|(k, _)| !changes.iter().any(|(c, _)| c == k))
        .collect();
    for (k, v) in changes {
        if let Some(v) = v {
            env.push(((*k).to_owned(), (*v).to_owned()));
        }
    }
    env
}

/// `rootless-doctor ARGS --format json` as the user; (exit code, document).
fn doctor(user: &str, env: &[(String, String)], args: &[&str]) -> (i32, Value) {
    let bin = support::doctor_bin().to_str().unwrap().to_owned();
    let mut argv = vec![bin.as_str()];
    argv.extend(args);
    argv.extend(["--format", "json"]);
    let out = as_user(user, env, &argv);
    let doc = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(&out)));
    (out.status.code().unwrap_or(-1), doc)
}

/// (status, summary) of one finding.
fn finding(doc: &Value, id: &str) -> (String, String) {
    let f = support::finding(doc, id);
    (
        f["status"].as_str().unwrap().to_owned(),
        f["summary"].as_str().unwrap().to_owned(),
    )
}

#[track_caller]
fn assert_finding(doc: &Value, id: &str, status: &str, contains: &str) {
    let (s, summary) = finding(doc, id);
    assert_eq!(s, status, "{id}: {summary}");
    assert!(
        summary.contains(contains),
        "{id}: {summary:?} lacks {contains:?}"
    );
}

fn docker_client(user: &str, env: &[(String, String)], args: &[&str]) -> Output {
    let mut argv = vec![testkit::DOCKER_CLIENT];
    argv.extend(args);
    as_user(user, env, &argv)
}

#[test]
fn check_and_enter_on_a_healthy_daemon_in_both_layouts() {
    let Some(ctx) = live() else { return };
    for layout in [StateDirLayout::Upstream, StateDirLayout::DebianDefault] {
        let d = start(&ctx.user, layout);
        let (code, doc) = doctor(&ctx.user, &d.env(), &["check"]);
        let fails: Vec<String> = doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["status"] == "fail" || f["status"] == "error")
            .map(|f| format!("{}: {}", f["id"], f["summary"]))
            .collect();
        assert_eq!(code, 0, "{layout:?}: {fails:#?}");
        assert!(fails.is_empty(), "{layout:?}: {fails:#?}");
        assert_finding(&doc, "client.endpoint", "pass", "set by DOCKER_HOST");
        assert_finding(&doc, "client.socket", "pass", "answers");
        assert_finding(&doc, "daemon.rootless", "pass", "name=rootless");
        assert_finding(&doc, "daemon.info", "warn", "storage overlay2");
        assert_finding(
            &doc,
            "rootlesskit.api",
            "pass",
            "network driver slirp4netns, port driver builtin",
        );
        assert_finding(&doc, "daemon.pidfile", "pass", "yours and alive");
        // The daemon really runs, so the kernel has what it needs and containers get a reachable resolver.
        assert_finding(&doc, "kernel.config", "pass", "options Docker needs");
        assert_finding(&doc, "network.dns", "pass", "containers get");
        // The state dir the doctor found is the one RootlessKit really uses, in either layout.
        let state = d.state_dir().expect("state dir").display().to_string();
        let api = doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["id"] == "rootlesskit.api")
            .unwrap()
            .clone();
        assert!(
            api["evidence"].to_string().contains(&state),
            "{layout:?}: {state} not in {api:#}"
        );

        // enter: tap0 lives only in RootlessKit's namespace; the uid map shows the user as root inside.
        let bin = support::doctor_bin().to_str().unwrap().to_owned();
        let links = as_user(
            &ctx.user,
            &d.env(),
            &[&bin, "enter", "--", "ip", "-o", "link"],
        );
        assert!(links.status.success(), "{}", text(&links));
        assert_says(&links, "tap0");
        assert!(
            !Path::new("/sys/class/net/tap0").exists(),
            "the host has a tap0 of its own"
        );
        let map = as_user(
            &ctx.user,
            &d.env(),
            &[&bin, "enter", "--", "cat", "/proc/self/uid_map"],
        );
        let first: Vec<String> = text(&map)
            .lines()
            .next()
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        assert_eq!(
            first,
            ["0".to_owned(), d.uid().to_string(), "1".to_owned()],
            "{}",
            text(&map)
        );
        d.stop().expect("stop");
    }
}

#[test]
fn enter_refuses_other_users_and_missing_daemons() {
    let Some(ctx) = live() else { return };
    let d = start(&ctx.user, StateDirLayout::Upstream);
    let pid = d.dockerd_pid().expect("dockerd pid").to_string();
    let bin = support::doctor_bin().to_str().unwrap().to_owned();
    // root is not the daemon's owner.
    let out = Command::new(&bin)
        .args(["enter", "--pid", &pid, "--", "true"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_says(&out, "not to you");
    // A user whose runtime dir holds no daemon.
    let env = env_with(&d, &[("XDG_RUNTIME_DIR", Some("/tmp/rd-no-daemon-here"))]);
    let out = as_user(&ctx.user, &env, &[&bin, "enter", "--", "true"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_says(&out, "no rootless daemon runs");
    d.stop().unwrap();
}

/// Restores /etc/subuid and /etc/subgid as they were, atomically, when dropped.
struct SubidGuard(Vec<(PathBuf, Vec<u8>)>);

impl SubidGuard {
    fn save() -> SubidGuard {
        SubidGuard(
            ["/etc/subuid", "/etc/subgid"]
                .iter()
                .map(|p| (PathBuf::from(p), fs::read(p).unwrap()))
                .collect(),
        )
    }
}

impl Drop for SubidGuard {
    fn drop(&mut self) {
        for (path, bytes) in &self.0 {
            let tmp = path.with_extension("rd-restore");
            fs::write(&tmp, bytes).unwrap();
            fs::set_permissions(&tmp, fs::Permissions::from_mode(0o644)).unwrap();
            fs::rename(&tmp, path).unwrap();
        }
    }
}

#[test]
fn subid_lines_removed() {
    let Some(ctx) = live() else { return };
    let guard = SubidGuard::save();
    for path in ["/etc/subuid", "/etc/subgid"] {
        let kept: String = fs::read_to_string(path)
            .unwrap()
            .lines()
            .filter(|l| !l.starts_with(&format!("{}:", ctx.user)))
            .map(|l| format!("{l}\n"))
            .collect();
        fs::write(path, kept).unwrap();
    }
    // The doctor, before anything starts.
    let env = vec![
        ("HOME".to_owned(), format!("/home/{}", ctx.user)),
        ("USER".to_owned(), ctx.user.clone()),
        ("PATH".to_owned(), support::PATH.to_owned()),
    ];
    let (code, doc) = doctor(&ctx.user, &env, &["preflight", "--only", "subid"]);
    assert_eq!(code, 1);
    assert_finding(
        &doc,
        "subid.entries",
        "fail",
        "No subuid ranges found for user",
    );
    // Reality: the daemon does not come up, and RootlessKit says why.
    let err = match RootlessDaemon::start(DaemonOptions::new(&ctx.user, StateDirLayout::Upstream)) {
        Ok(d) => {
            d.stop().unwrap();
            panic!("dockerd started without subordinate ids");
        }
        Err(e) => e,
    };
    assert!(
        err.to_string().contains("No subuid ranges found for user"),
        "{err}"
    );
    drop(guard);
    assert!(
        fs::read_to_string("/etc/subuid")
            .unwrap()
            .contains(&format!("{}:", ctx.user)),
        "subuid not restored"
    );
}

/// A runtime dir for a fault, removed when dropped.
struct TempDir(support::ScratchDir);

impl TempDir {
    fn new(name: &str, owner: u32, mode: u32) -> TempDir {
        let dir = support::ScratchDir::new("/tmp", &format!("fault-{name}"), mode);
        chown(&dir.0, Some(owner), None).unwrap();
        TempDir(dir)
    }
    fn path(&self) -> &str {
        self.0.0.to_str().unwrap()
    }
}

#[test]
fn xdg_runtime_dir_faults() {
    let Some(ctx) = live() else { return };
    let d = start(&ctx.user, StateDirLayout::Upstream);
    let script = testkit::DOCKERD_ROOTLESS_SH;
    // Each case: the doctor's verdict, then dockerd-rootless.sh itself with the same environment.
    let other_owner = TempDir::new("root-owned", 0, 0o700);
    let world_readable = TempDir::new("0755", d.uid(), 0o755);
    let unset = env_with(&d, &[("XDG_RUNTIME_DIR", None), ("DOCKER_HOST", None)]);
    let owned = env_with(
        &d,
        &[
            ("XDG_RUNTIME_DIR", Some(other_owner.path())),
            ("DOCKER_HOST", None),
        ],
    );
    for (case, env) in [("unset", &unset), ("owned by root", &owned)] {
        let (_, doc) = doctor(
            &ctx.user,
            env,
            &["preflight", "--only", "session.xdg_runtime_dir"],
        );
        let (status, summary) = finding(&doc, "session.xdg_runtime_dir");
        assert_eq!(status, "fail", "{case}: {summary}");
        let out = as_user(&ctx.user, env, &[script]);
        assert!(!out.status.success(), "{case}: dockerd-rootless.sh started");
        assert!(
            text(&out).contains("XDG_RUNTIME_DIR needs to be set and writable"),
            "{case}: {}",
            text(&out)
        );
    }
    // 0755: a warning, and reality agrees that the daemon still starts in such a directory.
    let env = env_with(
        &d,
        &[
            ("XDG_RUNTIME_DIR", Some(world_readable.path())),
            ("DOCKER_HOST", None),
        ],
    );
    let (_, doc) = doctor(
        &ctx.user,
        &env,
        &["preflight", "--only", "session.xdg_runtime_dir"],
    );
    assert_finding(&doc, "session.xdg_runtime_dir", "warn", "not 0700");
    d.stop().unwrap();
    let mut opts = DaemonOptions::new(&ctx.user, StateDirLayout::Upstream);
    opts.runtime_dir_mode = 0o755;
    let d = RootlessDaemon::start(opts).expect("the daemon starts in a 0755 runtime dir");
    let (_, doc) = doctor(
        &ctx.user,
        &d.env(),
        &["check", "session.xdg_runtime_dir", "daemon.running"],
    );
    assert_finding(&doc, "session.xdg_runtime_dir", "warn", "mode 0755");
    assert_finding(&doc, "daemon.running", "pass", "answers");
    d.stop().unwrap();
}

#[test]
fn client_endpoint_faults() {
    let Some(ctx) = live() else { return };
    let d = start(&ctx.user, StateDirLayout::DebianDefault);
    let faults = TempDir::new("client", d.uid(), 0o700);
    // 1. DOCKER_HOST names a socket that does not exist.
    let missing = format!("unix://{}/missing.sock", faults.path());
    let env = env_with(&d, &[("DOCKER_HOST", Some(&missing))]);
    let (code, doc) = doctor(&ctx.user, &env, &["check", "client"]);
    assert_eq!(code, 1);
    // The user's dockerd runs, elsewhere: the doctor names where, the client only says "Cannot connect".
    assert_finding(&doc, "client.socket", "fail", "nothing listens at");
    assert_finding(&doc, "client.socket", "fail", "runs and listens on unix://");
    let out = docker_client(&ctx.user, &env, &["info"]);
    assert!(!out.status.success());
    assert_says(
        &out,
        &format!("Cannot connect to the Docker daemon at {missing}"),
    );

    // 2. A stale socket: the file is there, nobody listens.
    let stale_path = format!("{}/stale.sock", faults.path());
    drop(std::os::unix::net::UnixListener::bind(&stale_path).unwrap());
    chown(&stale_path, Some(d.uid()), None).unwrap();
    let stale = format!("unix://{stale_path}");
    let env = env_with(&d, &[("DOCKER_HOST", Some(&stale))]);
    let (_, doc) = doctor(&ctx.user, &env, &["check", "client"]);
    assert_finding(&doc, "client.socket", "fail", "stale socket");
    let out = docker_client(&ctx.user, &env, &["info"]);
    assert_says(
        &out,
        &format!("Cannot connect to the Docker daemon at {stale}"),
    );

    // 3. config.json's current context points elsewhere (DOCKER_CONFIG keeps the user's real ~/.docker untouched).
    let config = format!("{}/docker-config", faults.path());
    // Where the CLI looks: contexts/meta/<sha256 of the name>.
    let digest: String = sha2::Sha256::digest(b"lab")
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let meta = format!("{config}/contexts/meta/{digest}");
    fs::create_dir_all(&meta).unwrap();
    fs::write(
        format!("{config}/config.json"),
        "{\"currentContext\": \"lab\"}\n",
    )
    .unwrap();
    fs::write(
        format!("{meta}/meta.json"),
        format!("{{\"Name\":\"lab\",\"Metadata\":{{}},\"Endpoints\":{{\"docker\":{{\"Host\":\"{missing}\",\"SkipTLSVerify\":false}}}}}}"),
    )
    .unwrap();
    for p in [
        config.clone(),
        format!("{config}/contexts"),
        format!("{config}/contexts/meta"),
        meta.clone(),
    ] {
        chown(&p, Some(d.uid()), None).unwrap();
    }
    let env = env_with(
        &d,
        &[("DOCKER_HOST", None), ("DOCKER_CONFIG", Some(&config))],
    );
    let (_, doc) = doctor(&ctx.user, &env, &["check", "client"]);
    assert_finding(&doc, "client.endpoint", "warn", "context \"lab\"");
    assert_finding(&doc, "client.socket", "fail", "nothing listens at");
    let out = docker_client(&ctx.user, &env, &["info"]);
    assert_says(
        &out,
        &format!("Cannot connect to the Docker daemon at {missing}"),
    );

    // 4. The same metadata under a directory the CLI never looks in: both say the context does not exist.
    let wrong = format!("{config}/contexts/meta/0000");
    fs::rename(&meta, &wrong).unwrap();
    let (_, doc) = doctor(&ctx.user, &env, &["check", "client"]);
    assert_finding(
        &doc,
        "client.endpoint",
        "fail",
        "Current context \"lab\" is not found on the file system",
    );
    let out = docker_client(&ctx.user, &env, &["info"]);
    assert_says(
        &out,
        "Current context \"lab\" is not found on the file system",
    );

    // And the fix the doctor prints works: with DOCKER_HOST back, the client reaches the daemon.
    let out = docker_client(
        &ctx.user,
        &d.env(),
        &["info", "--format", "{{.SecurityOptions}}"],
    );
    assert_says(&out, "rootless");
    d.stop().unwrap();
}

/// Kills a process when dropped.
struct Kill(u32);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(self.0 as i32),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
}

#[test]
fn killed_daemon_leaves_a_pid_file_that_blocks_the_next_start() {
    let Some(ctx) = live() else { return };
    let d = start(&ctx.user, StateDirLayout::Upstream);
    let pid = d.dockerd_pid().expect("dockerd pid");
    // Kill dockerd hard: no cleanup, so docker.pid and docker.sock stay behind.
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    testkit::wait_gone(pid, Duration::from_secs(10));
    assert!(d.pid_file().exists(), "dockerd removed its pid file");
    let (code, doc) = doctor(&ctx.user, &d.env(), &["check", "daemon"]);
    assert_eq!(code, 1);
    assert_finding(&doc, "daemon.running", "fail", "no rootless daemon answers");
    assert_finding(
        &doc,
        "daemon.pidfile",
        "warn",
        &format!("no process {pid} runs"),
    );
    // The pid is taken by another process of the user, as happens after a while: now it blocks.
    let _sleeper = Reap(
        testkit::as_user(&ctx.user, d.env(), &["sleep", "300"])
            .spawn()
            .unwrap(),
    );
    std::thread::sleep(Duration::from_millis(200));
    let sleep_pid = testkit::user_processes(d.uid())
        .into_iter()
        .find(|p| p.comm == "sleep")
        .expect("sleep runs")
        .pid as u32;
    let _kill_sleep = Kill(sleep_pid);
    fs::write(d.pid_file(), format!("{sleep_pid}\n")).unwrap();
    let (_, doc) = doctor(&ctx.user, &d.env(), &["check", "daemon.pidfile"]);
    assert_finding(
        &doc,
        "daemon.pidfile",
        "fail",
        "pid file found, ensure docker is not running or delete",
    );
    // Reality: dockerd refuses to start with exactly that error.
    let out = as_user(
        &ctx.user,
        &d.env(),
        &[
            "timeout",
            "60",
            testkit::DOCKERD_ROOTLESS_SH,
            "--data-root",
            d.data_root().to_str().unwrap(),
        ],
    );
    assert!(!out.status.success());
    assert_says(
        &out,
        "pid file found, ensure docker is not running or delete",
    );
    d.stop().unwrap();
}

#[test]
fn max_user_namespaces_zero_in_a_child_user_namespace() {
    let Some(ctx) = live() else { return };
    // The sysctl is per user namespace: set it to 0 inside a fresh one (as the user), then run each tool there.
    let bin = support::doctor_bin().to_str().unwrap().to_owned();
    let set_zero_then_run = "echo 0 > /proc/sys/user/max_user_namespaces && exec \"$@\"";
    let env = vec![
        ("HOME".to_owned(), format!("/home/{}", ctx.user)),
        ("PATH".to_owned(), support::PATH.to_owned()),
    ];
    let in_zeroed_namespace = |argv: &[&str]| {
        let prefix = [
            "unshare",
            "-U",
            "-r",
            "--",
            "/bin/sh",
            "-c",
            set_zero_then_run,
            "sh",
        ];
        as_user(&ctx.user, &env, &[&prefix[..], argv].concat())
    };
    let doctor_out = in_zeroed_namespace(&[
        &bin,
        "--user",
        &ctx.user,
        "preflight",
        "--only",
        "userns.max_namespaces",
        "--format",
        "json",
    ]);
    let doc: Value = serde_json::from_slice(&doctor_out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", text(&doctor_out)));
    assert_finding(
        &doc,
        "userns.max_namespaces",
        "fail",
        "no space left on device",
    );
    let real = in_zeroed_namespace(&["rootlesskit", "true"]);
    assert!(!real.status.success());
    assert_says(&real, "no space left on device");
}

#[test]
fn rootful_daemon_beside_the_rootless_one() {
    let Some(ctx) = live() else { return };
    if Path::new("/var/run/docker.sock").exists() {
        panic!("/var/run/docker.sock already exists: a rootful daemon runs outside this test");
    }
    let d = start(&ctx.user, StateDirLayout::Upstream);
    let rootful = RootfulDaemon::start(&[]).expect("start a rootful dockerd");
    // A shell without DOCKER_HOST: the client goes to the rootful socket.
    let env = env_with(&d, &[("DOCKER_HOST", None)]);
    let (code, doc) = doctor(&ctx.user, &env, &["check", "client", "daemon"]);
    assert_eq!(code, 1);
    assert_finding(
        &doc,
        "daemon.rootful",
        "fail",
        "your docker client reaches it",
    );
    assert_finding(
        &doc,
        "client.endpoint",
        "fail",
        "rootful socket unix:///var/run/docker.sock",
    );
    assert_finding(
        &doc,
        "client.socket",
        "fail",
        "permission denied while trying to connect",
    );
    assert_finding(&doc, "daemon.running", "pass", "answers");
    let out = docker_client(&ctx.user, &env, &["info"]);
    assert_says(
        &out,
        "permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock",
    );
    // With DOCKER_HOST, the same client reaches the rootless daemon, and the doctor only warns.
    let (_, doc) = doctor(&ctx.user, &d.env(), &["check", "daemon.rootful"]);
    assert_finding(&doc, "daemon.rootful", "warn", "beside the rootless one");
    let out = docker_client(
        &ctx.user,
        &d.env(),
        &["info", "--format", "{{.SecurityOptions}}"],
    );
    assert_says(&out, "rootless");
    // Every daemon's data-root, found where it is set: the running root dockerd's from its command line (root's
    // /proc/PID/cmdline is world-readable), docker.service's default, the rootless one's judged by storage.data_root.
    let (_, doc) = doctor(&ctx.user, &d.env(), &["check", "volumes.data_root"]);
    assert_finding(
        &doc,
        "volumes.data_root",
        "pass",
        "every daemon's data-root is on a local filesystem",
    );
    let ev = doc["findings"][0]["evidence"].to_string();
    let pid = rootful.pid();
    assert!(
        ev.contains(&format!(
            "data-root of the root dockerd {pid}, --data-root in /proc/{pid}/cmdline: {}/data on ",
            rootful.dir().display()
        )),
        "{ev}"
    );
    assert!(
        ev.contains("data-root of docker.service, the default: /var/lib/docker"),
        "{ev}"
    );
    drop(rootful);
    d.stop().unwrap();
}

/// Kills and reaps a child when dropped.
struct Reap(std::process::Child);

impl Drop for Reap {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs argv as `user` with exactly `env`, in a session whose groups predate a group change (`setpriv
/// --clear-groups`: as after `usermod -aG`, before a new login).
fn old_session(user: &str, env: &[(String, String)], argv: &[&str]) -> Output {
    let account = testkit::account(user).unwrap();
    testkit::exec_as(&account, false)
        .args(["--", "/usr/bin/env", "-i"])
        .args(env.iter().map(|(k, v)| format!("{k}={v}")))
        .args(argv)
        .current_dir("/")
        .output()
        .unwrap()
}

/// Removes the user from the docker group when dropped.
struct GroupGuard(String);

impl GroupGuard {
    /// Adds `user` to the docker group (`usermod -aG docker`), until dropped.
    fn join(user: &str) -> GroupGuard {
        let guard = GroupGuard(user.to_owned());
        let added = Command::new("usermod")
            .args(["-aG", "docker", user])
            .output()
            .unwrap();
        assert!(added.status.success(), "{}", text(&added));
        guard
    }
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        let _ = Command::new("gpasswd")
            .args(["-d", &self.0, "docker"])
            .output();
    }
}

/// A user in and out of the docker group against a real rootful daemon: the doctor's verdicts, and what the real
/// client gets, in a fresh login (runuser), in a session that predates the group (setpriv --clear-groups), and
/// with the socket chmod 666.
#[test]
fn rootful_socket_and_the_docker_group() {
    let Some(ctx) = live() else { return };
    assert!(
        !Path::new("/var/run/docker.sock").exists(),
        "a rootful daemon runs outside this test"
    );
    let d = start(&ctx.user, StateDirLayout::Upstream);
    let rootful = RootfulDaemon::start(&[]).expect("start a rootful dockerd");
    let env = env_with(&d, &[("DOCKER_HOST", None)]);
    let meta = fs::metadata("/var/run/docker.sock").unwrap();
    assert_eq!(meta.permissions().mode() & 0o7777, 0o660);
    // Out of the group.
    let (_, doc) = doctor(&ctx.user, &env, &["check", "daemon.socket", "daemon.group"]);
    assert_finding(&doc, "daemon.socket", "pass", "srw-rw---- root:docker");
    assert_finding(&doc, "daemon.group", "fail", "is not in the docker group");
    let out = docker_client(&ctx.user, &env, &["info"]);
    assert_says(&out, "permission denied while trying to connect");
    // In the group, in a fresh login: the client gets in, and the doctor warns the group is root-equivalent.
    let _group = GroupGuard::join(&ctx.user);
    let (_, doc) = doctor(&ctx.user, &env, &["check", "daemon.group"]);
    assert_finding(&doc, "daemon.group", "warn", "root-equivalent");
    let out = docker_client(&ctx.user, &env, &["info", "--format", "{{.ServerVersion}}"]);
    assert!(out.status.success(), "{}", text(&out));
    // The same user in a session without the group (as after `usermod` without logging in again).
    let bin = support::doctor_bin().to_str().unwrap().to_owned();
    let old_session = |argv: &[&str]| old_session(&ctx.user, &env, argv);
    let out = old_session(&[&bin, "check", "daemon.group", "--format", "json"]);
    let doc: Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out)));
    assert_finding(
        &doc,
        "daemon.group",
        "warn",
        "this login session does not have it yet",
    );
    let out = old_session(&[testkit::DOCKER_CLIENT, "info"]);
    assert_says(&out, "permission denied while trying to connect");
    drop(_group);
    // A world-writable socket: the doctor fails it, and indeed a user outside the group gets in.
    fs::set_permissions("/var/run/docker.sock", fs::Permissions::from_mode(0o666)).unwrap();
    let (_, doc) = doctor(&ctx.user, &env, &["check", "daemon.socket"]);
    assert_finding(&doc, "daemon.socket", "fail", "world-writable");
    let out = old_session(&[
        testkit::DOCKER_CLIENT,
        "info",
        "--format",
        "{{.ServerVersion}}",
    ]);
    assert!(
        out.status.success(),
        "a world-writable socket lets anyone in: {}",
        text(&out)
    );
    drop(rootful);
    d.stop().unwrap();
}

/// `hosts` in /etc/docker/daemon.json against the packaged unit's `-H fd://`: the doctor quotes dockerd's error from
/// the files alone, then the unit's own command line, really started, fails with exactly that error.
#[test]
fn hosts_in_daemon_json_against_the_units_dash_h() {
    let Some(ctx) = live() else { return };
    let unit = "/lib/systemd/system/docker.service";
    assert!(Path::new(unit).exists(), "docker.io's unit is missing");
    let _json = support::FileGuard::save("/etc/docker/daemon.json");
    fs::create_dir_all("/etc/docker").unwrap();
    fs::write(
        "/etc/docker/daemon.json",
        "{\n  \"hosts\": [\"unix:///var/run/docker.sock\"]\n}\n",
    )
    .unwrap();
    let (code, doc) = doctor(
        &ctx.user,
        &[("HOME".into(), format!("/home/{}", ctx.user))],
        &["check", "daemon.config"],
    );
    assert_eq!(code, 1, "{doc:#}");
    let (status, summary) = finding(&doc, "daemon.config");
    assert_eq!(status, "fail", "{summary}");
    let expected = "unable to configure the Docker daemon with file /etc/docker/daemon.json: the following directives are specified both as a flag and in the configuration file: hosts: (from flag: [fd://], from file: [unix:///var/run/docker.sock])";
    assert!(summary.contains(expected), "{summary}");
    // The fix is the drop-in of Docker's daemon troubleshooting guide, rendered from profiles/.
    let fix = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "daemon.config")
        .unwrap()["remediation"]
        .to_string();
    assert!(
        fix.contains(
            "ExecStart=\\nExecStart=/usr/sbin/dockerd --containerd=/run/containerd/containerd.sock"
        ),
        "{fix}"
    );
    // The unit's ExecStart, as systemd would run it ($DOCKER_OPTS empty), with state kept out of the way.
    let dir = PathBuf::from(format!("/tmp/rd-conflict-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    let out = Command::new("timeout")
        .args([
            "60",
            "/usr/sbin/dockerd",
            "-H",
            "fd://",
            "--containerd=/run/containerd/containerd.sock",
        ])
        .args(testkit::state_under(&dir))
        .output()
        .unwrap();
    let _ = fs::remove_dir_all(&dir);
    assert!(!out.status.success());
    assert!(
        text(&out).contains(expected),
        "dockerd said: {}",
        text(&out)
    );
}

/// A rootful daemon on tcp://127.0.0.1:2375 without TLS: found from its command line and its real listening socket,
/// and anyone local really gets the API without credentials.
#[test]
fn rootful_daemon_on_loopback_tcp_without_tls() {
    let Some(ctx) = live() else { return };
    assert!(
        !Path::new("/var/run/docker.sock").exists(),
        "a rootful daemon runs outside this test"
    );
    let rootful =
        RootfulDaemon::start(&["-H", "tcp://127.0.0.1:2375"]).expect("start a rootful dockerd");
    // Anyone local: a plain TCP GET /_ping (the doctor's own request) answers.
    let mut answered = Vec::new();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(30) {
        if let Ok(mut s) = std::net::TcpStream::connect("127.0.0.1:2375") {
            use std::io::{Read, Write};
            s.write_all(rootless_doctor::parse::http::get_request("/_ping", "x").as_bytes())
                .unwrap();
            s.read_to_end(&mut answered).unwrap();
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let response = rootless_doctor::parse::http::parse_response(&answered)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&answered)));
    assert_eq!(
        (response.status, response.body_text().as_str()),
        (200, "OK"),
        "{response:?}"
    );
    // As root for the user: the socket inode in dockerd's descriptors.
    let bin = support::doctor_bin();
    let out = Command::new(bin)
        .args([
            "check",
            "daemon.tcp",
            "--user",
            &ctx.user,
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_finding(
        &doc,
        "daemon.tcp",
        "warn",
        "listens on tcp://127.0.0.1:2375 without TLS verification",
    );
    let ev = doc["findings"][0]["evidence"].to_string();
    assert!(ev.contains("/net/tcp") && ev.contains("inode"), "{ev}");
    // As the user, who cannot read root's descriptors: the command line and the listening port still tell.
    let (_, doc) = doctor(
        &ctx.user,
        &[("HOME".into(), format!("/home/{}", ctx.user))],
        &["check", "daemon.tcp"],
    );
    assert_finding(&doc, "daemon.tcp", "warn", "tcp://127.0.0.1:2375");
    drop(rootful);
}

/// A container that bind-mounts the data-root (the cAdvisor case): volumes.busy names it, and --path lists who
/// holds a directory of the data-root open.
#[test]
fn a_container_that_bind_mounts_the_data_root() {
    let Some(ctx) = live() else { return };
    let d = start(&ctx.user, StateDirLayout::Upstream);
    d.import_busybox("busybox:rd").unwrap();
    let root = d.data_root().display().to_string();
    let (_, doc) = doctor(&ctx.user, &d.env(), &["check", "volumes.busy"]);
    assert_finding(
        &doc,
        "volumes.busy",
        "pass",
        "no other mount namespace holds",
    );
    let id = d
        .docker_ok(&[
            "run",
            "-d",
            "--network",
            "none",
            "-v",
            &format!("{root}:/var/lib/docker:ro"),
            "busybox:rd",
            "sleep",
            "300",
        ])
        .unwrap();
    let id = id.trim().to_owned();
    let (_, doc) = doctor(&ctx.user, &d.env(), &["check", "volumes.busy"]);
    assert_finding(
        &doc,
        "volumes.busy",
        "warn",
        &format!("container {}", &id[..12]),
    );
    assert_finding(&doc, "volumes.busy", "warn", "mounted at /var/lib/docker");
    let (code, doc) = doctor(
        &ctx.user,
        &d.env(),
        &["check", "volumes.path", "--path", &root],
    );
    assert_eq!(code, 1);
    assert_finding(&doc, "volumes.path", "fail", "dockerd");
    d.docker_ok(&["rm", "-f", &id]).unwrap();
    let (_, doc) = doctor(&ctx.user, &d.env(), &["check", "volumes.busy"]);
    assert_finding(
        &doc,
        "volumes.busy",
        "pass",
        "no other mount namespace holds",
    );
    d.stop().unwrap();
}

/// The user's clean environment without a running daemon: HOME, USER, LOGNAME, PATH, XDG_RUNTIME_DIR, and `extra`.
fn user_env(user: &str, runtime_dir: &str, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut env = support::login_env(
        user,
        &format!("/home/{user}"),
        testkit::USER_PATH,
        runtime_dir,
    );
    env.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    env
}

/// The real dockerd-rootless.sh as `user` with `env`, killed after 60 s; what it printed.
fn script_once(user: &str, env: &[(String, String)]) -> Output {
    as_user(
        user,
        env,
        &[
            "/usr/bin/timeout",
            "-k",
            "5",
            "60",
            testkit::DOCKERD_ROOTLESS_SH,
        ],
    )
}

#[test]
fn data_root_faults_are_met_by_dockerd_as_the_doctor_says() {
    let Some(ctx) = live() else { return };
    let uid = nix::unistd::User::from_name(&ctx.user)
        .unwrap()
        .expect("the test user")
        .uid
        .as_raw();
    let runtime = TempDir::new("data-root-xrd", uid, 0o700);
    // Each case: XDG_DATA_HOME (dockerd's data-root is $XDG_DATA_HOME/docker), the doctor's verdict, the real error.
    type Inject<'a> = &'a dyn Fn(&Path);
    let cases: [(&str, Inject, &str, &str); 3] = [
        (
            "the data-root is root's",
            &|data: &Path| {
                fs::create_dir(data.join("docker")).unwrap();
                fs::set_permissions(data.join("docker"), fs::Permissions::from_mode(0o710))
                    .unwrap();
            },
            "\"chmod {root}: operation not permitted\"",
            "chmod {root}: operation not permitted",
        ),
        (
            "its parent is root's",
            &|data: &Path| chown(data, Some(0), Some(0)).unwrap(),
            "\"mkdir {root}: permission denied\"",
            "mkdir {root}: permission denied",
        ),
        (
            "image/ in it is root's",
            &|data: &Path| {
                let root = data.join("docker");
                fs::create_dir(&root).unwrap();
                chown(&root, Some(uid), Some(uid)).unwrap();
                fs::create_dir(root.join("image")).unwrap();
                fs::set_permissions(root.join("image"), fs::Permissions::from_mode(0o700)).unwrap();
            },
            "when it reaches {root}/image",
            "mkdir {root}/image/overlay2: permission denied",
        ),
    ];
    for (case, inject, doctor_says, real_says) in cases {
        let data = TempDir::new("data-home", uid, 0o755);
        inject(Path::new(data.path()));
        let root = format!("{}/docker", data.path());
        let env = user_env(&ctx.user, runtime.path(), &[("XDG_DATA_HOME", data.path())]);
        let (_, doc) = doctor(
            &ctx.user,
            &env,
            &["preflight", "--only", "storage.data_root_owner"],
        );
        assert_finding(
            &doc,
            "storage.data_root_owner",
            "fail",
            &doctor_says.replace("{root}", &root),
        );
        let out = script_once(&ctx.user, &env);
        assert!(!out.status.success(), "{case}: dockerd-rootless.sh started");
        assert_says(&out, &real_says.replace("{root}", &root));
    }
    // A data-root the user may create: the doctor passes (every RootlessDaemon of this file starts in such a one).
    let data = TempDir::new("data-home", uid, 0o755);
    let env = user_env(&ctx.user, runtime.path(), &[("XDG_DATA_HOME", data.path())]);
    let (_, doc) = doctor(
        &ctx.user,
        &env,
        &["preflight", "--only", "storage.data_root_owner"],
    );
    assert_finding(&doc, "storage.data_root_owner", "pass", "may create it in");

    // Root judging the user reads as the user: a root-owned parent in their home is refused for them, though
    // root itself could create the data-root there.
    let share = PathBuf::from(format!("/home/{}/.local/share", ctx.user));
    let docker = share.join("docker");
    if !docker.exists() {
        let _guard = RootOwned::make(&share, uid);
        let run = support::Run::of({
            let mut c = Command::new(support::doctor_bin());
            c.env_clear().env("PATH", testkit::live::PATH).args([
                "--user",
                &ctx.user,
                "preflight",
                "--only",
                "storage.data_root_owner",
                "--format",
                "json",
            ]);
            c
        });
        let doc: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}\n{run}"));
        assert_finding(
            &doc,
            "storage.data_root_owner",
            "fail",
            &format!("\"mkdir {}: permission denied\"", docker.display()),
        );
    }
}

/// `dir` (in a user's home) made root's for a test: the components it creates are the user's, and on drop `dir`
/// gets its owner back and whatever it created is removed, also when the test fails.
struct RootOwned {
    dir: PathBuf,
    owner: (u32, u32),
    created: Vec<PathBuf>,
}

impl RootOwned {
    fn make(dir: &Path, uid: u32) -> RootOwned {
        use std::os::unix::fs::MetadataExt;
        let mut created = Vec::new();
        let mut missing: Vec<&Path> = dir.ancestors().take_while(|p| !p.exists()).collect();
        missing.reverse();
        for p in missing {
            fs::create_dir(p).unwrap();
            chown(p, Some(uid), Some(uid)).unwrap();
            created.push(p.to_path_buf());
        }
        let m = fs::metadata(dir).unwrap();
        chown(dir, Some(0), Some(0)).unwrap();
        RootOwned {
            dir: dir.to_path_buf(),
            owner: (m.uid(), m.gid()),
            created,
        }
    }
}

impl Drop for RootOwned {
    fn drop(&mut self) {
        let _ = chown(&self.dir, Some(self.owner.0), Some(self.owner.1));
        for p in self.created.iter().rev() {
            let _ = fs::remove_dir(p);
        }
    }
}

/// A free loopback port (bound, then released).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The fix's rendered steps of one finding.
fn fix_commands(doc: &Value, id: &str) -> String {
    support::finding(doc, id)["remediation"].to_string()
}

/// A user of the rootful daemon only (Docker's daemon documents' reader), against a real rootful dockerd: in the
/// docker group with a fresh login, `check` judges the rootful daemon and passes, with what rootless mode would
/// need as notes; in a session that predates the group, and out of the group with DOCKER_HOST naming the socket,
/// it gives the documents' fixes, and the real client fails the same way.
#[test]
fn a_rootful_only_user_against_the_real_rootful_daemon() {
    let Some(ctx) = live() else { return };
    assert!(
        !Path::new("/var/run/docker.sock").exists(),
        "a rootful daemon runs outside this test"
    );
    let rootful = RootfulDaemon::start(&[]).expect("start a rootful dockerd");
    let _group = GroupGuard::join(&ctx.user);
    // runuser starts a fresh login's groups: the docker group is in them. No rootless daemon of the user runs.
    let runtime = format!("/run/user/{}", testkit::account(&ctx.user).unwrap().uid);
    let env = user_env(&ctx.user, &runtime, &[]);
    let (code, doc) = doctor(&ctx.user, &env, &["check"]);
    let failing: Vec<String> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| matches!(f["status"].as_str(), Some("fail" | "error")))
        .map(|f| format!("{}: {}", f["id"], f["summary"]))
        .collect();
    assert_eq!(code, 0, "a working rootful setup fails: {failing:#?}");
    assert_eq!(doc["target"]["daemon"], "rootful", "{}", doc["target"]);
    assert_finding(
        &doc,
        "client.endpoint",
        "pass",
        "the rootful daemon's socket",
    );
    assert_finding(&doc, "client.socket", "pass", "answers");
    assert_finding(
        &doc,
        "daemon.group",
        "pass",
        "which the rootful daemon's socket needs",
    );
    assert_finding(&doc, "daemon.rootful", "pass", "the one this run judges");
    assert!(
        doc["summary"]["info"].as_u64().unwrap() > 0,
        "{}",
        doc["summary"]
    );
    let out = docker_client(&ctx.user, &env, &["info", "--format", "{{.ServerVersion}}"]);
    assert!(out.status.success(), "{}", text(&out));
    // The same user in a session without the group (as after `usermod`, before a new login).
    let bin = support::doctor_bin().to_str().unwrap().to_owned();
    let old_session = |env: &[(String, String)], argv: &[&str]| old_session(&ctx.user, env, argv);
    let out = old_session(
        &env,
        &[&bin, "check", "client", "daemon.group", "--format", "json"],
    );
    let doc: Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out)));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(doc["target"]["daemon"], "rootful", "{doc:#}");
    assert_finding(
        &doc,
        "client.socket",
        "fail",
        "this login session predates it",
    );
    assert!(fix_commands(&doc, "client.socket").contains("newgrp docker"));
    assert_finding(&doc, "daemon.group", "fail", "does not have it yet");
    let out = old_session(&env, &[testkit::DOCKER_CLIENT, "info"]);
    assert_says(&out, "permission denied while trying to connect");
    // Out of the group, DOCKER_HOST naming the rootful socket: still judged as the rootful daemon's user.
    drop(_group);
    let env = user_env(
        &ctx.user,
        &runtime,
        &[("DOCKER_HOST", "unix:///var/run/docker.sock")],
    );
    let (code, doc) = doctor(&ctx.user, &env, &["check", "client", "daemon.group"]);
    assert_eq!(code, 1);
    assert_eq!(doc["target"]["daemon"], "rootful");
    assert_finding(&doc, "client.socket", "fail", "is not in the docker group");
    let fix = fix_commands(&doc, "client.socket");
    assert!(
        fix.contains(&format!("usermod -aG docker {}", ctx.user)),
        "{fix}"
    );
    let out = docker_client(&ctx.user, &env, &["info"]);
    assert_says(&out, "permission denied while trying to connect");
    drop(rootful);
}

/// A rootful dockerd that listens only on `-H tcp://127.0.0.1:PORT`: with the default client, the doctor names that
/// address (from the command line and the socket dockerd holds) where the CLI only says "Cannot connect"; pointed
/// there, the doctor's TCP probe and the real client both reach it.
#[test]
fn a_rootful_daemon_on_a_non_default_tcp_address() {
    let Some(ctx) = live() else { return };
    assert!(
        !Path::new("/var/run/docker.sock").exists(),
        "a rootful daemon runs outside this test"
    );
    let port = free_port();
    let rootful = RootfulDaemon::start_tcp_only(port).expect("start a tcp-only rootful dockerd");
    let url = format!("tcp://127.0.0.1:{port}");
    let _group = GroupGuard::join(&ctx.user);
    let runtime = format!("/run/user/{}", testkit::account(&ctx.user).unwrap().uid);
    let env = user_env(&ctx.user, &runtime, &[]);
    // As root for the user: dockerd's descriptors are readable, so the held socket is named with its inode.
    let out = Command::new(support::doctor_bin())
        .args([
            "check", "client", "daemon", "--user", &ctx.user, "--format", "json",
        ])
        .output()
        .unwrap();
    let doc: Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out)));
    assert_eq!(doc["target"]["daemon"], "rootful", "{}", doc["target"]);
    assert_finding(
        &doc,
        "client.socket",
        "fail",
        &format!("listens on {url} only"),
    );
    let ev = support::finding(&doc, "client.socket")["evidence"].to_string();
    assert!(ev.contains("socket inode"), "{ev}");
    assert!(fix_commands(&doc, "client.socket").contains(&format!("DOCKER_HOST={url}")));
    assert_finding(
        &doc,
        "daemon.rootful",
        "pass",
        &format!("listening on {url}"),
    );
    assert_finding(
        &doc,
        "daemon.socket",
        "skip",
        &format!("listens on {url} only"),
    );
    let out = docker_client(&ctx.user, &env, &["info"]);
    assert_says(
        &out,
        "Cannot connect to the Docker daemon at unix:///var/run/docker.sock",
    );
    // Pointed there: the doctor's probe gets the daemon's /_ping, and so does the client.
    let env = user_env(&ctx.user, &runtime, &[("DOCKER_HOST", &url)]);
    let (_, doc) = doctor(&ctx.user, &env, &["check", "client"]);
    assert_finding(
        &doc,
        "client.socket",
        "pass",
        &format!("a Docker daemon answers at {url} (API "),
    );
    assert_finding(&doc, "client.tls", "warn", "without TLS verification");
    let out = docker_client(
        &ctx.user,
        &env,
        &["version", "--format", "{{.Server.Version}}"],
    );
    assert!(out.status.success(), "{}", text(&out));
    drop(rootful);
}

/// DOCKER_HOST naming a loopback port nothing listens on, and one whose listener never accepts or answers: the
/// doctor tells "refused" from "silent" within its 3 s deadline, as the real client fails on each.
#[test]
fn remote_endpoints_that_refuse_or_never_answer() {
    let Some(ctx) = live() else { return };
    let runtime = format!("/run/user/{}", testkit::account(&ctx.user).unwrap().uid);
    let refused = free_port();
    let env = user_env(
        &ctx.user,
        &runtime,
        &[("DOCKER_HOST", &format!("tcp://127.0.0.1:{refused}"))],
    );
    let (_, doc) = doctor(&ctx.user, &env, &["check", "client.socket"]);
    assert_finding(&doc, "client.socket", "fail", "refuses the connection");
    // The CLI says no more than "Cannot connect"; the doctor tells the refusal apart.
    let out = docker_client(&ctx.user, &env, &["version"]);
    assert_says(
        &out,
        &format!("Cannot connect to the Docker daemon at tcp://127.0.0.1:{refused}"),
    );
    // A listener that is never accepted: the kernel completes the handshake, nothing is ever said.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let env = user_env(
        &ctx.user,
        &runtime,
        &[("DOCKER_HOST", &format!("tcp://127.0.0.1:{port}"))],
    );
    let start = Instant::now();
    let (_, doc) = doctor(&ctx.user, &env, &["check", "client.socket"]);
    let took = start.elapsed();
    assert_finding(
        &doc,
        "client.socket",
        "fail",
        "answers nothing to GET /_ping within 3 s",
    );
    assert!(took < Duration::from_secs(10), "the probe took {took:?}");
    let out = Command::new("timeout")
        .args(["8"])
        .arg("/usr/sbin/runuser")
        .args(["-u", &ctx.user, "--", "/usr/bin/env", "-i"])
        .args(env.iter().map(|(k, v)| format!("{k}={v}")))
        .args([testkit::DOCKER_CLIENT, "version"])
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "the real client got an answer from a silent listener: {}",
        text(&out)
    );
    drop(silent);
}

/// Runs openssl with `args` in `dir`; panics with its output on failure.
fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl");
    assert!(out.status.success(), "openssl {args:?}: {}", text(&out));
}

/// A CA, a server certificate for 127.0.0.1 and a client certificate, as Docker's "Protect the Docker daemon socket"
/// makes them, all in `dir`, readable by everyone (a test directory); the client's files in `dir/good`.
fn make_certs(dir: &Path) {
    fs::create_dir_all(dir).unwrap();
    let ca = |name: &str, cn: &str| {
        openssl(dir, &["genrsa", "-out", &format!("{name}-key.pem"), "2048"]);
        openssl(
            dir,
            &[
                "req",
                "-new",
                "-x509",
                "-days",
                "2",
                "-sha256",
                "-key",
                &format!("{name}-key.pem"),
                "-subj",
                &format!("/CN={cn}"),
                "-out",
                &format!("{name}.pem"),
            ],
        );
    };
    ca("ca", "rd-test-ca");
    ca("other-ca", "rd-other-ca");
    fs::write(
        dir.join("server.cnf"),
        "subjectAltName = IP:127.0.0.1\nextendedKeyUsage = serverAuth\n",
    )
    .unwrap();
    fs::write(dir.join("client.cnf"), "extendedKeyUsage = clientAuth\n").unwrap();
    for (key, cn, cnf, out) in [
        (
            "server-key.pem",
            "127.0.0.1",
            "server.cnf",
            "server-cert.pem",
        ),
        ("key.pem", "client", "client.cnf", "cert.pem"),
        ("other-key.pem", "client", "client.cnf", "other-cert.pem"),
    ] {
        let (ca, ca_key) = if out == "other-cert.pem" {
            ("other-ca.pem", "other-ca-key.pem")
        } else {
            ("ca.pem", "ca-key.pem")
        };
        openssl(dir, &["genrsa", "-out", key, "2048"]);
        openssl(
            dir,
            &[
                "req",
                "-new",
                "-sha256",
                "-key",
                key,
                "-subj",
                &format!("/CN={cn}"),
                "-out",
                "req.csr",
            ],
        );
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-days",
                "2",
                "-sha256",
                "-in",
                "req.csr",
                "-CA",
                ca,
                "-CAkey",
                ca_key,
                "-CAcreateserial",
                "-out",
                out,
                "-extfile",
                cnf,
            ],
        );
    }
    // The client's directories: the right files; the wrong CA; no client certificate; a certificate of another
    // CA; no CA at all.
    for (sub, files) in [
        (
            "good",
            [
                ("ca.pem", "ca.pem"),
                ("cert.pem", "cert.pem"),
                ("key.pem", "key.pem"),
            ]
            .as_slice(),
        ),
        (
            "wrong-ca",
            &[
                ("other-ca.pem", "ca.pem"),
                ("cert.pem", "cert.pem"),
                ("key.pem", "key.pem"),
            ],
        ),
        ("no-cert", &[("ca.pem", "ca.pem")]),
        (
            "foreign-cert",
            &[
                ("ca.pem", "ca.pem"),
                ("other-cert.pem", "cert.pem"),
                ("other-key.pem", "key.pem"),
            ],
        ),
        ("no-ca", &[("cert.pem", "cert.pem"), ("key.pem", "key.pem")]),
        (
            "encrypted-key",
            &[("ca.pem", "ca.pem"), ("cert.pem", "cert.pem")],
        ),
    ] {
        let to = dir.join(sub);
        fs::create_dir_all(&to).unwrap();
        for (from, name) in files {
            fs::copy(dir.join(from), to.join(name)).unwrap();
        }
    }
    // The client's key protected by a passphrase.
    openssl(
        dir,
        &[
            "pkey",
            "-in",
            "key.pem",
            "-aes128",
            "-passout",
            "pass:rd-test",
            "-out",
            "encrypted-key/key.pem",
        ],
    );
    Command::new("chmod")
        .args(["-R", "a+rX"])
        .arg(dir)
        .status()
        .unwrap();
}

/// A rootful dockerd with `--tlsverify` on a loopback port, met by the doctor's handshake (`openssl s_client` with
/// the client's files) and by the real docker CLI with the same environment: the right files get through; the
/// wrong CA, a name the certificate lacks, no client certificate, a certificate of another CA and a missing CA
/// each fail both, and the doctor names which; without DOCKER_TLS_VERIFY both get Go's "Client sent an HTTP
/// request to an HTTPS server."
#[test]
fn a_tls_daemon_on_a_loopback_port() {
    let Some(ctx) = live() else { return };
    let certs = PathBuf::from(format!("/tmp/rd-certs-{}", std::process::id()));
    let _ = fs::remove_dir_all(&certs);
    make_certs(&certs);
    let port = free_port();
    let rootful = RootfulDaemon::start_tcp_tls(port, &certs).expect("start a TLS rootful dockerd");
    let url = format!("tcp://127.0.0.1:{port}");
    let runtime = format!("/run/user/{}", testkit::account(&ctx.user).unwrap().uid);
    let with = |host: &str, dir: Option<&str>| {
        let mut extra = vec![("DOCKER_HOST", format!("tcp://{host}:{port}"))];
        if let Some(d) = dir {
            extra.push(("DOCKER_TLS_VERIFY", "1".to_owned()));
            extra.push(("DOCKER_CERT_PATH", certs.join(d).display().to_string()));
        }
        let extra: Vec<(&str, &str)> = extra.iter().map(|(k, v)| (*k, v.as_str())).collect();
        user_env(&ctx.user, &runtime, &extra)
    };
    // The right CA and the client's certificate: the client gets through, and so does the doctor's handshake.
    let env = with("127.0.0.1", Some("good"));
    let (_, doc) = doctor(&ctx.user, &env, &["check", "client.socket", "client.tls"]);
    assert_finding(
        &doc,
        "client.socket",
        "pass",
        &format!("a Docker daemon answers at {url} (API "),
    );
    assert_finding(
        &doc,
        "client.socket",
        "pass",
        "over TLS, verifying the server's certificate, with the client's certificate",
    );
    assert_finding(&doc, "client.tls", "pass", "with TLS verification");
    let out = docker_client(
        &ctx.user,
        &env,
        &["version", "--format", "{{.Server.Version}}"],
    );
    assert!(out.status.success(), "{}", text(&out));
    // Each fault: the doctor's finding, and the real client's refusal of the same thing.
    for (host, dir, doctor_says, docker_says) in [
        (
            "127.0.0.1",
            "wrong-ca",
            "the client refuses the daemon's certificate",
            "certificate signed by unknown authority",
        ),
        (
            "localhost",
            "good",
            "hostname mismatch (OpenSSL verify error 62)",
            // Go 1.19: "x509: certificate is not valid for any names, but wanted to match localhost"; later Go:
            // "x509: certificate is valid for 127.0.0.1, not localhost".
            "x509: certificate is",
        ),
        (
            "127.0.0.1",
            "no-cert",
            // Go answers a missing certificate with "bad certificate" (TLS 1.2) or "certificate required" (TLS 1.3
            // from Go 1.21 on); Debian 12's dockerd (Go 1.19) says the first.
            "refuses the client in the TLS handshake (alert \"bad certificate\") with no client certificate",
            "remote error: tls: bad certificate",
        ),
        (
            "127.0.0.1",
            "foreign-cert",
            "refuses the client in the TLS handshake (alert \"bad certificate\") with the client's certificate",
            "bad certificate",
        ),
        (
            "127.0.0.1",
            "encrypted-key",
            "is protected by a passphrase",
            "tls: failed to parse private key",
        ),
        (
            "127.0.0.1",
            "no-ca",
            "cannot find",
            "no-ca/ca.pem: no such file or directory",
        ),
    ] {
        let env = with(host, Some(dir));
        let (_, doc) = doctor(&ctx.user, &env, &["check", "client.socket", "client.tls"]);
        // Without its CA the CLI makes no connection: client.tls says so, and client.socket makes no handshake.
        let id = if dir == "no-ca" {
            "client.tls"
        } else {
            "client.socket"
        };
        assert_finding(&doc, id, "fail", doctor_says);
        let out = docker_client(&ctx.user, &env, &["version"]);
        assert!(!out.status.success(), "{dir}: {}", text(&out));
        assert_says(&out, docker_says);
    }
    // No DOCKER_TLS_VERIFY: a plain request to a TLS port.
    let env = with("127.0.0.1", None);
    let (_, doc) = doctor(&ctx.user, &env, &["check", "client.socket"]);
    assert_finding(&doc, "client.socket", "fail", "requires TLS");
    let out = docker_client(&ctx.user, &env, &["version"]);
    assert_says(&out, "Client sent an HTTP request to an HTTPS server");
    drop(rootful);
    let _ = fs::remove_dir_all(&certs);
}

/// `capture` on the live machine, as a user with a running rootless daemon: replaying the capture (as root, from
/// its files alone) gives the findings the live run gave, finding for finding; a secret in the user's environment
/// and one in their shell start-up file are nowhere in the capture, and the manifest names what was left out.
#[test]
fn capture_of_a_live_host_replays_with_the_same_findings() {
    let Some(ctx) = live() else { return };
    let d = start(&ctx.user, StateDirLayout::Upstream);
    let home = testkit::account(&ctx.user).unwrap().home;
    let bashrc = Path::new(&home).join(".bashrc");
    let saved = fs::read(&bashrc).ok();
    let secret_rc = "rd-capture-secret-in-bashrc-4711";
    let mut rc = saved.clone().unwrap_or_default();
    rc.extend_from_slice(format!("export GITHUB_TOKEN={secret_rc}\n").as_bytes());
    fs::write(&bashrc, &rc).unwrap();
    let secret_env = "rd-capture-secret-in-env-4711";
    let env = env_with(&d, &[("RD_TEST_TOKEN", Some(secret_env))]);
    let dir = PathBuf::from(format!("/tmp/rd-capture-live-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    let bin = support::doctor_bin().to_str().unwrap().to_owned();
    let out = as_user(
        &ctx.user,
        &env,
        &[&bin, "capture", "--out", dir.to_str().unwrap()],
    );
    match saved {
        Some(bytes) => fs::write(&bashrc, bytes).unwrap(),
        None => fs::remove_file(&bashrc).unwrap(),
    }
    assert!(out.status.success(), "{}", text(&out));
    assert_says(&out, "replay: rootless-doctor --host-file");
    assert_says(
        &out,
        "the replay finds what this run found, finding for finding",
    );
    // The capture is the user's, and only theirs.
    let meta = fs::metadata(&dir).unwrap();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o777,
        0o700
    );
    // No secret anywhere in it.
    let grep = Command::new("grep")
        .args(["-rlF", "-e", secret_rc, "-e", secret_env])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        grep.stdout.is_empty(),
        "secrets in the capture: {}",
        text(&grep)
    );
    let manifest = fs::read_to_string(dir.join("MANIFEST.md")).unwrap();
    assert!(manifest.contains("`RD_TEST_TOKEN`"), "{manifest}");
    // The replay, as root, from the capture alone.
    let live = testkit::capture::captured(&dir).unwrap();
    let replay = testkit::capture::replay(support::doctor_bin(), &dir, None).unwrap();
    let differing = testkit::capture::differences(&live, &replay);
    assert!(differing.is_empty(), "{}", differing.join("\n\n"));
    // The live run itself was healthy: the round trip is over a real daemon's findings.
    assert_finding(&live, "daemon.rootless", "pass", "name=rootless");
    d.stop().expect("stop");
    fs::remove_dir_all(&dir).unwrap();
}
