//! Live tier: the directories, sockets and caller identity RootlessKit and dockerd need to start
//! (`start.state_dir`, `uidmap.caller`; docs/launch-sequence.md rows 2.5, 2.6, 2.18, 3.2, 5.1, 6.2, 8.7, 8.8).
//! Row 5.1's filesystem without FIFOs is a FAT image mounted with fusefat in a private mount namespace.
//!
//! Each fault is injected per process, never on the host: a private mount namespace (`unshare -m`, held by a
//! `sleep`, entered with `nsenter -m`) where /tmp is bind-mounted read-only, an environment (`TMPDIR`,
//! `XDG_RUNTIME_DIR`) pointing at a long path in a scratch directory under /var/tmp, a group given to `runuser -g`,
//! a RootlessKit of the test's own holding a state directory. The doctor and the real tool run the same way, as the
//! test user, and the test asserts both: the doctor's check and status, and what the real tool printed. Where the
//! real tool hangs, its run is bounded, the test asserts it had not finished, and its process group is killed.

#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    clippy::print_stderr,
    clippy::print_stdout
)]

#[allow(dead_code)]
#[path = "support/live.rs"]
mod support;

use std::ffi::OsStr;
use std::fs;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::Need;

const SCRIPT: &str = "/usr/share/docker.io/contrib/dockerd-rootless.sh";

/// The flags Debian 12's dockerd-rootless.sh (20.10) gives RootlessKit, with `true` for the script: no `--state-dir`.
const RK_FLAGS: [&str; 9] = [
    "--net=slirp4netns",
    "--mtu=65520",
    "--slirp4netns-sandbox=auto",
    "--slirp4netns-seccomp=auto",
    "--disable-host-loopback",
    "--copy-up=/etc",
    "--copy-up=/run",
    "--propagation=rslave",
    "true",
];

/// How long a RootlessKit that is expected to hang is given before the test calls it hung (a working
/// `rootlesskit … true` takes well under a second here).
const HANG_BOUND: Duration = Duration::from_secs(15);

fn live() -> Option<support::Live> {
    support::start(&[
        Need::Root,
        Need::User(testkit::live::ok_user()),
        Need::Program("rootlesskit"),
        Need::Program("slirp4netns"),
        Need::Program("unshare"),
        Need::Program("nsenter"),
        Need::Program("runuser"),
        Need::File(PathBuf::from(SCRIPT)),
    ])
}

/// A scratch directory under /var/tmp (not /tmp, which some tests make read-only), removed on drop.
struct Scratch(support::ScratchDir);

impl Scratch {
    fn new(what: &str) -> Scratch {
        Scratch(support::ScratchDir::new(
            "/var/tmp",
            &format!("startstate-{what}"),
            0o755,
        ))
    }

    /// A directory below the scratch directory, owned by `user`, mode 0700, at exactly `len` bytes of path when
    /// given (padded with `x`).
    fn user_dir(&self, user: &testkit::Account, name: &str, len: Option<usize>) -> String {
        let mut name = name.to_owned();
        if let Some(len) = len {
            let path = self.0.path(&name);
            assert!(path.len() < len, "{path} is already {} bytes", path.len());
            name.push_str(&"x".repeat(len - path.len()));
        }
        self.0.user_dir(&name, (user.uid, user.gid), 0o700)
    }
}

/// A private mount namespace in which /tmp is bind-mounted on itself read-only ([`support::MountNamespace`]).
struct ReadOnlyTmp(support::MountNamespace);

impl ReadOnlyTmp {
    fn new() -> ReadOnlyTmp {
        ReadOnlyTmp(support::MountNamespace::new(&[
            &["mount", "--bind", "/tmp", "/tmp"],
            &["mount", "-o", "remount,bind,ro", "/tmp"],
        ]))
    }

    /// `command` (a runuser command line) run inside the namespace.
    fn wrap(&self, command: &Command) -> Command {
        inside(&self.0, command)
    }
}

/// `command` (a runuser command line) run inside `ns`, from `/`.
fn inside(ns: &support::MountNamespace, command: &Command) -> Command {
    let mut args: Vec<&OsStr> = vec![command.get_program()];
    args.extend(command.get_args());
    let args: Vec<&str> = args
        .iter()
        .map(|a| a.to_str().expect("UTF-8 argv"))
        .collect();
    let mut cmd = ns.enter(&args);
    cmd.current_dir("/");
    cmd
}

/// The test user's environment: a clean login-like one, with XDG_RUNTIME_DIR and extra variables.
fn user_command(
    user: &testkit::Account,
    xdg: &str,
    extra: &[(&str, &str)],
    argv: &[&str],
) -> Command {
    let home = user.home.display().to_string();
    let mut env: Vec<(String, String)> = vec![
        ("HOME".into(), home),
        ("USER".into(), user.name.clone()),
        ("LOGNAME".into(), user.name.clone()),
        ("PATH".into(), support::PATH.into()),
        ("XDG_RUNTIME_DIR".into(), xdg.into()),
    ];
    for (k, v) in extra {
        env.retain(|(name, _)| name != k);
        env.push(((*k).into(), (*v).into()));
    }
    let argv: Vec<&OsStr> = argv.iter().map(OsStr::new).collect();
    testkit::as_user(&user.name, env, &argv)
}

/// What a bounded run did: its output, and whether it finished before the bound (then its exit code).
struct Bounded {
    finished: Option<i32>,
    elapsed: Duration,
    stdout: String,
    stderr: String,
    shown: String,
}

impl std::fmt::Display for Bounded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "command: {}\nfinished: {:?} after {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.shown, self.finished, self.elapsed, self.stdout, self.stderr
        )
    }
}

/// Runs `command` in a process group of its own for at most `bound`; at the bound the whole group (runuser,
/// RootlessKit, its child and slirp4netns) is killed. The output goes to files, so a hung writer never blocks.
fn bounded(mut command: Command, bound: Duration, scratch: &Scratch) -> Bounded {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::SeqCst);
    let out_path = scratch.0.0.join(format!("run-{n}.out"));
    let err_path = scratch.0.0.join(format!("run-{n}.err"));
    let shown = format!("{command:?}");
    command
        .stdout(fs::File::create(&out_path).unwrap())
        .stderr(fs::File::create(&err_path).unwrap())
        .process_group(0);
    let start = Instant::now();
    let mut child = command.spawn().unwrap_or_else(|e| panic!("{shown}: {e}"));
    let pgid = child.id();
    let finished = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status.code().unwrap_or(-1));
        }
        if start.elapsed() >= bound {
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let elapsed = start.elapsed();
    // Whatever of the group still runs (all of it after a hang; RootlessKit's helpers otherwise) is killed.
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{pgid}")])
        .stderr(Stdio::null())
        .status();
    let _ = child.wait();
    let read = |p: &Path| {
        let mut s = String::new();
        let _ = fs::File::open(p).and_then(|mut f| f.read_to_string(&mut s));
        s
    };
    Bounded {
        finished,
        elapsed,
        stdout: read(&out_path),
        stderr: read(&err_path),
        shown,
    }
}

/// `preflight --only start,uidmap --format json`'s finding `id`, with the run's exit code; the run must finish
/// quickly (it reads files only).
fn doctor_finding(command: Command, scratch: &Scratch, id: &str) -> (Value, Bounded) {
    let run = bounded(command, Duration::from_secs(10), scratch);
    assert!(run.finished.is_some(), "the doctor did not finish:\n{run}");
    let doc: Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|err| panic!("stdout is not JSON ({err})\n{run}"));
    (support::finding(&doc, id).clone(), run)
}

const DOCTOR_ARGS: [&str; 6] = [
    "preflight",
    "--only",
    "start,uidmap",
    "--format",
    "json",
    "-v",
];

fn doctor_argv() -> Vec<String> {
    std::iter::once(support::doctor_bin().display().to_string())
        .chain(DOCTOR_ARGS.iter().map(|s| (*s).to_owned()))
        .collect()
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn rootlesskit_argv(port_driver: &str) -> Vec<String> {
    let mut argv = vec![
        "rootlesskit".to_owned(),
        format!("--port-driver={port_driver}"),
    ];
    argv.extend(RK_FLAGS.iter().map(|s| (*s).to_owned()));
    argv
}

/// No fault: both checks pass, and Debian's RootlessKit invocation really starts.
#[test]
fn a_writable_tmp_and_short_paths_pass_and_rootlesskit_starts() {
    let Some(live) = live() else { return };
    let user = live.ok_user().account();
    let scratch = Scratch::new("pass");
    let xdg = scratch.user_dir(&user, "xdg", None);
    for id in ["start.state_dir", "uidmap.caller"] {
        let (found, run) = doctor_finding(
            user_command(&user, &xdg, &[], &strs(&doctor_argv())),
            &scratch,
            id,
        );
        assert_eq!(found["status"], "pass", "{id}: {found:#}\n{run}");
    }
    let start = || {
        bounded(
            user_command(&user, &xdg, &[], &strs(&rootlesskit_argv("builtin"))),
            HANG_BOUND,
            &scratch,
        )
    };
    let rk = support::retry_bp_sock_race(start, |rk| {
        (rk.finished != Some(0)).then_some(rk.stderr.as_str())
    });
    assert_eq!(
        rk.finished,
        Some(0),
        "the doctor passed but rootlesskit failed:\n{rk}"
    );
}

/// Row 2.5: Debian 12's script passes no --state-dir, and /tmp is read-only: the doctor fails, RootlessKit stops.
#[test]
fn read_only_tmp_fails_the_state_dir_as_rootlesskit_does() {
    let Some(live) = live() else { return };
    let user = live.ok_user().account();
    let scratch = Scratch::new("rotmp");
    let xdg = scratch.user_dir(&user, "xdg", None);
    let ns = ReadOnlyTmp::new();

    let (found, run) = doctor_finding(
        ns.wrap(&user_command(&user, &xdg, &[], &strs(&doctor_argv()))),
        &scratch,
        "start.state_dir",
    );
    assert_eq!(found["status"], "fail", "{found:#}\n{run}");
    let summary = found["summary"].as_str().unwrap();
    assert!(
        summary.contains("/tmp is on a read-only mount")
            && summary.contains("creating a state directory: mkdir /tmp/…: read-only file system"),
        "{summary}"
    );
    assert!(
        found["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["source"] == "/proc/self/mountinfo"
                && e["detail"].as_str().unwrap().starts_with("/tmp ")),
        "{found:#}"
    );

    let rk = bounded(
        ns.wrap(&user_command(
            &user,
            &xdg,
            &[],
            &strs(&rootlesskit_argv("builtin")),
        )),
        HANG_BOUND,
        &scratch,
    );
    assert_eq!(rk.finished, Some(1), "{rk}");
    assert!(
        rk.stderr.contains(
            "[rootlesskit:parent] error: creating a state directory: mkdir /tmp/rootlesskit"
        ) && rk.stderr.contains(": read-only file system"),
        "rootlesskit failed for another reason than the doctor's:\n{rk}"
    );
}

/// Row 3.2: the state directory is elsewhere (TMPDIR), but the child's /tmp is read-only: the child fails to make
/// its copy-up directory and RootlessKit 1.1.0 with the builtin port driver never returns. The doctor fails at once.
#[test]
fn read_only_tmp_with_the_state_dir_elsewhere_hangs_rootlesskit() {
    let Some(live) = live() else { return };
    let user = live.ok_user().account();
    let scratch = Scratch::new("rotmp-tmpdir");
    let xdg = scratch.user_dir(&user, "xdg", None);
    let tmpdir = scratch.user_dir(&user, "tmp", None);
    let ns = ReadOnlyTmp::new();
    let env = [("TMPDIR", tmpdir.as_str())];

    let (found, run) = doctor_finding(
        ns.wrap(&user_command(&user, &xdg, &env, &strs(&doctor_argv()))),
        &scratch,
        "start.state_dir",
    );
    assert_eq!(found["status"], "fail", "{found:#}\n{run}");
    let summary = found["summary"].as_str().unwrap();
    assert!(
        summary
            .contains("creating bind0 directory under /tmp: mkdir /tmp/…: read-only file system"),
        "{summary}"
    );
    assert!(
        !summary.contains("creating a state directory"),
        "TMPDIR is writable: {summary}"
    );
    assert!(run.elapsed < Duration::from_secs(5), "{run}");

    let rk = bounded(
        ns.wrap(&user_command(
            &user,
            &xdg,
            &env,
            &strs(&rootlesskit_argv("builtin")),
        )),
        HANG_BOUND,
        &scratch,
    );
    assert_eq!(rk.finished, None, "RootlessKit was expected to hang:\n{rk}");
    assert!(
        rk.stderr
            .contains("[rootlesskit:child ] error: creating bind0 directory under /tmp: mkdir /tmp/rootlesskit-b")
            && rk.stderr.contains(": read-only file system"),
        "{rk}"
    );
}

/// Rows 5.1 and 6.2: a TMPDIR so long that RootlessKit's sockets in `$TMPDIR/rootlesskitNNN` cannot fit in
/// sun_path. With the builtin port driver (the script's default) RootlessKit 1.1.0 hangs without a message; with
/// `DOCKERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER=none` it fails at api.sock. The doctor fails both, naming the length.
#[test]
fn a_long_tmpdir_overflows_sun_path_and_rootlesskit_hangs_or_fails() {
    let Some(live) = live() else { return };
    let user = live.ok_user().account();
    let scratch = Scratch::new("longtmp");
    let xdg = scratch.user_dir(&user, "xdg", None);
    // 90 bytes: even with a one-digit random name, $TMPDIR/rootlesskitN/.bp.sock is 112 bytes.
    let tmpdir = scratch.user_dir(&user, "t", Some(90));

    // The builtin port driver: .bp.sock, a silent hang.
    let env = [("TMPDIR", tmpdir.as_str())];
    let (found, run) = doctor_finding(
        user_command(&user, &xdg, &env, &strs(&doctor_argv())),
        &scratch,
        "start.state_dir",
    );
    assert_eq!(found["status"], "fail", "{found:#}\n{run}");
    let summary = found["summary"].as_str().unwrap();
    assert!(
        summary.contains("api.sock and .bp.sock in its state directory are 121 bytes")
            && summary.contains("over the 107")
            && summary.contains("waits forever"),
        "{summary}"
    );
    let rk = bounded(
        user_command(&user, &xdg, &env, &strs(&rootlesskit_argv("builtin"))),
        HANG_BOUND,
        &scratch,
    );
    assert_eq!(rk.finished, None, "RootlessKit was expected to hang:\n{rk}");
    assert!(
        !rk.stderr.contains("error"),
        "RootlessKit 1.1.0 was expected to hang without a message:\n{rk}"
    );

    // No port driver: api.sock, an error.
    let env = [
        ("TMPDIR", tmpdir.as_str()),
        ("DOCKERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER", "none"),
    ];
    let (found, run) = doctor_finding(
        user_command(&user, &xdg, &env, &strs(&doctor_argv())),
        &scratch,
        "start.state_dir",
    );
    assert_eq!(found["status"], "fail", "{found:#}\n{run}");
    let summary = found["summary"].as_str().unwrap();
    assert!(
        summary.contains("RootlessKit's api.sock in its state directory is 121 bytes")
            && summary.contains("listen unix …/api.sock: bind: invalid argument"),
        "{summary}"
    );
    let rk = bounded(
        user_command(&user, &xdg, &env, &strs(&rootlesskit_argv("none"))),
        HANG_BOUND,
        &scratch,
    );
    assert_eq!(rk.finished, Some(1), "{rk}");
    let listen = format!("[rootlesskit:parent] error: listen unix {tmpdir}/rootlesskit");
    assert!(
        rk.stderr.contains(&listen) && rk.stderr.contains("/api.sock: bind: invalid argument"),
        "{rk}"
    );
}

/// Rows 8.7 and 8.8: dockerd's sockets under XDG_RUNTIME_DIR, against Debian 12's real dockerd-rootless.sh (its own
/// data-root in the scratch directory): a directory at docker.sock, a docker.sock over sun_path, and containerd's
/// sockets over its 104 bytes.
#[test]
fn dockerds_sockets_under_the_runtime_dir_agree_with_dockerd() {
    let Some(live) = live() else { return };
    let user = live.ok_user().account();
    let scratch = Scratch::new("dockerd");
    let data_root = scratch.user_dir(&user, "data", None);
    let data_root_flag = format!("--data-root={data_root}");
    let start = |xdg: &str| {
        bounded(
            user_command(&user, xdg, &[], &[SCRIPT, &data_root_flag]),
            Duration::from_secs(90),
            &scratch,
        )
    };
    let lines = |run: &Bounded| {
        run.stderr
            .lines()
            .filter(|l| !l.starts_with('+') && !l.contains("level="))
            .collect::<Vec<_>>()
            .join("\n")
    };

    // A directory at docker.sock.
    let xdg = scratch.user_dir(&user, "xdg-dir", None);
    let sock = format!("{xdg}/docker.sock");
    fs::create_dir(&sock).unwrap();
    std::os::unix::fs::chown(&sock, Some(user.uid), Some(user.gid)).unwrap();
    let (found, run) = doctor_finding(
        user_command(&user, &xdg, &[], &strs(&doctor_argv())),
        &scratch,
        "start.state_dir",
    );
    assert_eq!(found["status"], "fail", "{found:#}\n{run}");
    let said = format!("failed to load listeners: can't create unix socket {sock}: is a directory");
    assert!(
        found["summary"].as_str().unwrap().contains(&said),
        "{found:#}"
    );
    let real = start(&xdg);
    assert_eq!(real.finished, Some(1), "{real}");
    assert!(
        real.stderr.contains(&said),
        "dockerd said otherwise:\n{}",
        lines(&real)
    );

    // docker.sock over sun_path: a 100-byte XDG_RUNTIME_DIR makes it 112 bytes.
    let xdg = scratch.user_dir(&user, "xdg-long", Some(100));
    let sock = format!("{xdg}/docker.sock");
    let (found, run) = doctor_finding(
        user_command(&user, &xdg, &[], &strs(&doctor_argv())),
        &scratch,
        "start.state_dir",
    );
    assert_eq!(found["status"], "fail", "{found:#}\n{run}");
    let said = format!(
        "failed to load listeners: can't create unix socket {sock}: listen unix {sock}: bind: invalid argument"
    );
    assert!(
        found["summary"].as_str().unwrap().contains(&said),
        "{found:#}"
    );
    let real = start(&xdg);
    assert_eq!(real.finished, Some(1), "{real}");
    assert!(
        real.stderr.contains(&said),
        "dockerd said otherwise:\n{}",
        lines(&real)
    );

    // docker.sock fits, containerd's sockets do not: an 80-byte XDG_RUNTIME_DIR.
    let xdg = scratch.user_dir(&user, "xdg-mid", Some(80));
    let (found, run) = doctor_finding(
        user_command(&user, &xdg, &[], &strs(&doctor_argv())),
        &scratch,
        "start.state_dir",
    );
    assert_eq!(found["status"], "fail", "{found:#}\n{run}");
    let summary = found["summary"].as_str().unwrap();
    assert!(
        summary.contains("containerd-debug.sock is 120 bytes, over the 104 containerd allows"),
        "{summary}"
    );
    let real = start(&xdg);
    assert_eq!(real.finished, Some(1), "{real}");
    let debug = format!(
        "containerd: failed to get listener for debug endpoint: \"{xdg}/docker/containerd/containerd-debug.sock\": unix socket path too long (> 104)"
    );
    assert!(
        real.stderr.contains(&debug)
            && real
                .stderr
                .contains("failed to start containerd: timeout waiting for containerd to start"),
        "dockerd said otherwise:\n{}",
        lines(&real)
    );
}

/// Row 2.6: Docker 25+'s script passes `--state-dir=$XDG_RUNTIME_DIR/dockerd-rootless`; another RootlessKit that
/// still runs with that directory holds its lock. The script judged is Debian's with that one flag added (what
/// moby v25.0.0 adds), first on PATH; the doctor names the holder's pid, and the script really stops at the lock.
#[test]
fn another_rootlesskit_on_the_state_dir_is_named_and_the_script_stops_at_the_lock() {
    let Some(live) = live() else { return };
    let user = live.ok_user().account();
    let scratch = Scratch::new("lock");
    let xdg = scratch.user_dir(&user, "xdg", None);
    let bin = scratch.0.0.join("bin");
    fs::create_dir(&bin).unwrap();
    fs::set_permissions(&bin, fs::Permissions::from_mode(0o755)).unwrap();
    let text = fs::read_to_string(SCRIPT).unwrap();
    let patched = text.replacen(
        "exec $rootlesskit \\\n",
        "exec $rootlesskit --state-dir=$XDG_RUNTIME_DIR/dockerd-rootless \\\n",
        1,
    );
    assert_ne!(
        patched, text,
        "{SCRIPT} has no `exec $rootlesskit \\` line to patch"
    );
    let script = bin.join("dockerd-rootless.sh");
    fs::write(&script, patched).unwrap();
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("{}:{}", bin.display(), support::PATH);
    let env = [("PATH", path.as_str())];
    let state = format!("{xdg}/dockerd-rootless");

    // The holder: a RootlessKit of the test's own on that state directory, running `sleep`.
    let state_flag = format!("--state-dir={state}");
    let mut holder_cmd = user_command(
        &user,
        &xdg,
        &[],
        &[
            "rootlesskit",
            &state_flag,
            "--net=slirp4netns",
            "--disable-host-loopback",
            "--port-driver=builtin",
            "sleep",
            "120",
        ],
    );
    holder_cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0);
    let mut holder = holder_cmd.spawn().expect("start the holding RootlessKit");
    struct Kill(u32);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", self.0)])
                .stderr(Stdio::null())
                .status();
        }
    }
    let _kill = Kill(holder.id());
    let api = PathBuf::from(format!("{state}/api.sock"));
    let deadline = Instant::now() + HANG_BOUND;
    while !api.exists() {
        assert!(
            holder.try_wait().unwrap().is_none(),
            "the holding RootlessKit exited"
        );
        assert!(
            Instant::now() < deadline,
            "the holding RootlessKit never listened on {}",
            api.display()
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    let (found, run) = doctor_finding(
        user_command(&user, &xdg, &env, &strs(&doctor_argv())),
        &scratch,
        "start.state_dir",
    );
    assert_eq!(found["status"], "fail", "{found:#}\n{run}");
    let summary = found["summary"].as_str().unwrap();
    let lock = format!(
        "failed to lock {state}/lock, another RootlessKit is running with the same state directory?"
    );
    assert!(summary.contains(&lock), "{summary}");
    let pid: u32 = summary
        .split("another RootlessKit (pid ")
        .nth(1)
        .and_then(|s| s.split(')').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no pid in {summary}"));
    let cmdline = fs::read(format!("/proc/{pid}/cmdline")).unwrap();
    assert!(
        String::from_utf8_lossy(&cmdline).contains(&state_flag),
        "pid {pid} is not the holder: {cmdline:?}"
    );

    // Reality: the script the doctor judged stops at the lock.
    let real = bounded(
        user_command(&user, &xdg, &env, &[script.to_str().unwrap()]),
        HANG_BOUND,
        &scratch,
    );
    assert_eq!(real.finished, Some(1), "{real}");
    assert!(
        real.stderr
            .contains(&format!("[rootlesskit:parent] error: {lock}")),
        "{real}"
    );

    // Without the holder the same doctor run passes.
    drop(_kill);
    let _ = holder.wait();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (found, run) = doctor_finding(
            user_command(&user, &xdg, &env, &strs(&doctor_argv())),
            &scratch,
            "start.state_dir",
        );
        if found["status"] == "pass" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "still {found:#} without the holder\n{run}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Row 2.18: a session whose real group is not the passwd group (`runuser -g users`, like `newgrp`/`sg`): the doctor
/// fails uidmap.caller with newuidmap's own numbers, and newuidmap refuses RootlessKit's map.
#[test]
fn a_changed_real_group_fails_the_caller_as_newuidmap_does() {
    let Some(live) = live() else { return };
    let user = live.ok_user().account();
    let scratch = Scratch::new("gid");
    let xdg = scratch.user_dir(&user, "xdg", None);
    let users_gid = 100;
    let with_group = |argv: &[&str]| {
        let plain = user_command(&user, &xdg, &[], argv);
        let mut args: Vec<&OsStr> = plain.get_args().collect();
        // runuser -u USER -- …  →  runuser -u USER -g users -- …
        assert_eq!(args[0], "-u");
        args.insert(2, OsStr::new("-g"));
        args.insert(3, OsStr::new("users"));
        let mut cmd = Command::new(plain.get_program());
        cmd.args(args).current_dir("/").stdin(Stdio::null());
        cmd
    };

    let (found, run) = doctor_finding(with_group(&strs(&doctor_argv())), &scratch, "uidmap.caller");
    assert_eq!(found["status"], "fail", "{found:#}\n{run}");
    let numbers = format!(
        "uid:{0} pw_uid:{0} st_uid:{0}, gid:{users_gid} pw_gid:{1} st_gid:{users_gid}",
        user.uid, user.gid
    );
    let summary = found["summary"].as_str().unwrap();
    assert!(summary.contains(&numbers), "{summary}");

    let rk = bounded(
        with_group(&strs(&rootlesskit_argv("builtin"))),
        HANG_BOUND,
        &scratch,
    );
    assert_eq!(rk.finished, Some(1), "{rk}");
    assert!(
        rk.stderr.contains("newuidmap: Target process ")
            && rk
                .stderr
                .contains(&format!("is owned by a different user: {numbers}")),
        "{rk}"
    );
}

/// Row 6.1 (and dockerd's docker.pid after it): a full filesystem where the start writes. In a private mount
/// namespace an 8 KiB tmpfs, owned by the user and filled, stands in for a full /run/user/UID. As TMPDIR (where
/// Debian 12's RootlessKit makes its state directory) RootlessKit cannot write child_pid; as XDG_RUNTIME_DIR dockerd
/// cannot write docker.pid. `start.state_dir` fails for each with the error the real tool prints.
#[test]
fn a_full_runtime_filesystem_fails_the_state_dir_as_rootlesskit_and_dockerd_do() {
    let Some(live) = live() else { return };
    let user = live.ok_user().account();
    let scratch = Scratch::new("full");
    let xdg = scratch.user_dir(&user, "xdg", None);
    let full = scratch.user_dir(&user, "full", None);
    let data = scratch.user_dir(&user, "data", None);
    let config = scratch.user_dir(&user, "config", None);
    let options = format!("size=8k,mode=0700,uid={},gid={}", user.uid, user.gid);
    let fill = format!("of={full}/fill");
    let ns = support::MountNamespace::new(&[
        &["mount", "-t", "tmpfs", "-o", &options, "tmpfs", &full],
        &["dd", "if=/dev/zero", &fill, "bs=4096", "count=2"],
    ]);
    let wrap = |command: &Command| inside(&ns, command);
    let homes = [
        ("XDG_DATA_HOME", data.as_str()),
        ("XDG_CONFIG_HOME", config.as_str()),
    ];

    // TMPDIR full: RootlessKit's child_pid.
    let env = [homes[0], homes[1], ("TMPDIR", full.as_str())];
    let (found, run) = doctor_finding(
        wrap(&user_command(&user, &xdg, &env, &strs(&doctor_argv()))),
        &scratch,
        "start.state_dir",
    );
    assert_eq!(found["status"], "fail", "{found:#}\n{run}");
    let summary = found["summary"].as_str().unwrap();
    assert!(
        summary.contains(&format!("the filesystem holding {full} has 0 bytes free"))
            && summary.contains("failed to write the child PID"),
        "{summary}"
    );
    // The builtin port driver's race can end RootlessKit before it writes the child PID (seen in CI): ask again.
    let rk = support::retry_bp_sock_race(
        || {
            bounded(
                wrap(&user_command(
                    &user,
                    &xdg,
                    &env,
                    &strs(&rootlesskit_argv("builtin")),
                )),
                HANG_BOUND,
                &scratch,
            )
        },
        |rk| (rk.finished != Some(0)).then_some(rk.stderr.as_str()),
    );
    assert_eq!(rk.finished, Some(1), "{rk}");
    assert!(
        rk.stderr
            .contains("[rootlesskit:parent] error: failed to write the child PID")
            && rk.stderr.contains("/child_pid: no space left on device"),
        "{rk}"
    );

    // XDG_RUNTIME_DIR full: dockerd's docker.pid.
    let (found, run) = doctor_finding(
        wrap(&user_command(&user, &full, &homes, &strs(&doctor_argv()))),
        &scratch,
        "start.state_dir",
    );
    assert_eq!(found["status"], "fail", "{found:#}\n{run}");
    let pid_error =
        format!("failed to start daemon: write {full}/docker.pid: no space left on device");
    let summary = found["summary"].as_str().unwrap();
    assert!(summary.contains(&pid_error), "{summary}");
    let real = bounded(
        wrap(&user_command(&user, &full, &homes, &[SCRIPT])),
        Duration::from_secs(60),
        &scratch,
    );
    assert!(real.finished.is_some_and(|c| c != 0), "{real}");
    assert!(real.stderr.contains(&pid_error), "{real}");
}

/// A private mount namespace with a filesystem of the test user's own mounted on a scratch directory (owned through
/// mount options, mode 0700), used as `TMPDIR`; the mount is undone before the namespace goes, so a FUSE server
/// started in it exits with it.
struct UserMount {
    ns: support::MountNamespace,
    dir: String,
}

impl UserMount {
    /// A FAT image made by `mkfs.vfat`, mounted by `fusefat` (the CI kernel has no vfat; fusefat's mount is
    /// `fuse.fusefat` in mountinfo).
    fn fat(scratch: &Scratch, user: &testkit::Account) -> UserMount {
        let image = scratch.0.path("stick.img");
        let file = fs::File::create(&image).unwrap();
        file.set_len(16 << 20).unwrap();
        drop(file);
        let out = Command::new("mkfs.vfat").arg(&image).output().unwrap();
        assert!(out.status.success(), "mkfs.vfat: {out:?}");
        let dir = scratch.0.path("stick");
        fs::create_dir(&dir).unwrap();
        let opts = format!(
            "rw+,allow_other,uid={},gid={},umask=077",
            user.uid, user.gid
        );
        let ns = support::MountNamespace::new(&[&["fusefat", "-o", &opts, &image, &dir]]);
        UserMount { ns, dir }
    }

    /// A 1 MiB tmpfs.
    fn tmpfs(scratch: &Scratch, user: &testkit::Account) -> UserMount {
        let dir = scratch.0.path("tmpfs");
        fs::create_dir(&dir).unwrap();
        let opts = format!("size=1m,uid={},gid={},mode=0700", user.uid, user.gid);
        let ns =
            support::MountNamespace::new(&[&["mount", "-t", "tmpfs", "-o", &opts, "tmpfs", &dir]]);
        UserMount { ns, dir }
    }

    fn wrap(&self, command: &Command) -> Command {
        inside(&self.ns, command)
    }
}

impl Drop for UserMount {
    fn drop(&mut self) {
        let _ = self.ns.enter(&["umount", &self.dir]).output();
    }
}

/// [`live`]'s needs, and the FAT tools.
/// Row 5.1's flow: Debian 12's script passes no --state-dir, so RootlessKit makes its state directory in TMPDIR, here
/// a filesystem mounted (by `mount`) in a private mount namespace for the test user.
struct TmpdirOn {
    user: testkit::Account,
    scratch: Scratch,
    xdg: String,
    mount: UserMount,
}

impl TmpdirOn {
    fn new(
        live: &support::Live,
        what: &str,
        mount: fn(&Scratch, &testkit::Account) -> UserMount,
    ) -> TmpdirOn {
        let user = live.ok_user().account();
        let scratch = Scratch::new(what);
        let xdg = scratch.user_dir(&user, "xdg", None);
        let mount = mount(&scratch, &user);
        TmpdirOn {
            user,
            scratch,
            xdg,
            mount,
        }
    }

    /// `argv` as the test user with TMPDIR on the mount, inside its namespace.
    fn command(&self, argv: &[&str]) -> Command {
        let env = [("TMPDIR", self.mount.dir.as_str())];
        self.mount
            .wrap(&user_command(&self.user, &self.xdg, &env, argv))
    }

    /// The doctor's `start.state_dir` finding.
    fn doctor(&self) -> (Value, Bounded) {
        doctor_finding(
            self.command(&strs(&doctor_argv())),
            &self.scratch,
            "start.state_dir",
        )
    }

    /// RootlessKit 1.1.0 with the script's flags (builtin port driver) and `true`, bounded.
    fn rootlesskit(&self) -> Bounded {
        bounded(
            self.command(&strs(&rootlesskit_argv("builtin"))),
            HANG_BOUND,
            &self.scratch,
        )
    }
}

fn fifo_live() -> Option<support::Live> {
    support::start(&[
        Need::Root,
        Need::User(testkit::live::ok_user()),
        Need::Program("rootlesskit"),
        Need::Program("slirp4netns"),
        Need::Program("unshare"),
        Need::Program("nsenter"),
        Need::Program("runuser"),
        Need::Program("fusefat"),
        Need::Program("mkfs.vfat"),
        Need::File(PathBuf::from(SCRIPT)),
    ])
}

/// Row 5.1: RootlessKit's state directory on a filesystem without FIFOs. Debian 12's script passes no --state-dir,
/// so RootlessKit 1.1.0 makes `$TMPDIR/rootlesskitNNN` on the FAT filesystem (it has directories), and its builtin
/// port driver's `mkfifo $STATE_DIR/.bp-ready.pipe` fails: fusefat makes a regular file, which the kernel refuses
/// with EIO. The doctor fails `start.state_dir` from mountinfo's `fuse.fusefat`, quoting that error.
#[test]
fn a_state_dir_on_a_filesystem_without_fifos_stops_rootlesskit() {
    let Some(live) = fifo_live() else { return };
    let case = TmpdirOn::new(&live, "fat", UserMount::fat);
    let fat = &case.mount;
    let (found, run) = case.doctor();
    assert_eq!(found["status"], "fail", "{found:#}\n{run}");
    let summary = found["summary"].as_str().unwrap();
    let expected = format!(
        "{} is on fuse.fusefat, which cannot hold FIFOs or Unix sockets, so RootlessKit cannot make the builtin port \
driver's FIFO in its state directory: \"[rootlesskit:parent] error: cannot mkfifo {}/rootlesskitNNNNNNNNNN/.bp-ready.pipe: \
input/output error\"",
        fat.dir, fat.dir
    );
    assert!(
        summary.contains(&expected),
        "{summary}\nexpected: {expected}"
    );

    let rk = case.rootlesskit();
    assert_eq!(rk.finished, Some(1), "{rk}");
    let mkfifo = format!(
        "[rootlesskit:parent] error: cannot mkfifo {}/rootlesskit",
        fat.dir
    );
    assert!(
        rk.stderr.contains(&mkfifo) && rk.stderr.contains("/.bp-ready.pipe: input/output error"),
        "RootlessKit failed for another reason than the doctor's:\n{rk}"
    );
}

/// Row 5.1's counterpart: the same flow with TMPDIR on a tmpfs of the user's own: the doctor passes, and RootlessKit
/// makes its state directory, FIFO and sockets there and runs `true`.
#[test]
fn a_state_dir_on_tmpfs_holds_rootlesskits_fifo_and_sockets() {
    let Some(live) = fifo_live() else { return };
    let case = TmpdirOn::new(&live, "tmpfs", UserMount::tmpfs);
    let (found, run) = case.doctor();
    assert_eq!(found["status"], "pass", "{found:#}\n{run}");

    let rk = support::retry_bp_sock_race(
        || case.rootlesskit(),
        |rk| (rk.finished != Some(0)).then_some(rk.stderr.as_str()),
    );
    assert_eq!(
        rk.finished,
        Some(0),
        "the doctor passed but rootlesskit failed:\n{rk}"
    );
}
