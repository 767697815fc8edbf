//! Live tier, `enter` against hostile or vanishing targets: no dockerd needed, a process in a user namespace of
//! its own (`unshare -U -r -m -n sleep`) stands in for the daemon.
//!
//! - the pid reuse window: `enter` holds the target by a pidfd, so a target that exits while `enter` is
//!   joining (and whose pid goes to another process) is refused, never joined;
//! - docker.pid and RootlessKit's detached `netns` file sit in directories the user controls: a symlink to
//!   /dev/zero or a FIFO is refused at once, by name;
//! - a process of the user's in a user namespace someone else owns is refused;
//! - the detached namespace as RootlessKit >= 2 makes it, bind-mounted inside the daemon's mount namespace.
//!
//! Needs root and `cargo xtask setup`; the pid reuse test also needs the debug binary (its pause hook is compiled
//! into debug builds only), which the live tier builds. Outside the live tier (`ROOTLESS_DOCTOR_LIVE=1` or `CI`)
//! each test says why it skipped; inside it, a missing user, tool or binary fails the test.

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
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::{Need, Run, TestUser};

/// What every test of this file needs, plus `extra`.
fn live(extra: &[Need]) -> Option<support::Live> {
    let mut needs = vec![
        Need::Root,
        Need::User(testkit::live::ok_user()),
        Need::Program("unshare"),
        Need::Program("setpriv"),
        Need::Program("nsenter"),
        Need::Program("perl"),
        Need::Program("mkfifo"),
    ];
    needs.extend_from_slice(extra);
    support::start(&needs)
}

/// What "at once" means for a refusal: generous for a loaded 2-core machine, far below the seconds a
/// read of /dev/zero or a blocked FIFO took.
const QUICK: Duration = Duration::from_secs(2);

/// A child that is killed and reaped when dropped, also when the test fails.
struct Reaped(Child);

impl Reaped {
    fn pid(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn ns(pid: u32, kind: &str) -> String {
    fs::read_link(format!("/proc/{pid}/ns/{kind}"))
        .map(|p| p.display().to_string())
        .unwrap_or_default()
}

/// Spawns `argv` (as `user` when given, through setpriv, which execs without forking) and waits until it
/// sits in a user namespace other than this test's: the stand-in daemon, whose pid is the child's.
fn stand_in(user: Option<&TestUser>, argv: &[&str]) -> Reaped {
    let mut cmd = match user {
        Some(u) => {
            let mut c = testkit::exec_as(&u.account(), true);
            c.args(argv);
            c
        }
        None => {
            let mut c = Command::new(argv[0]);
            c.args(&argv[1..]);
            c
        }
    };
    let child = Reaped(
        cmd.current_dir("/")
            .stdin(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {argv:?}: {e}")),
    );
    wait_for(
        || ns(child.pid(), "user") != ns(std::process::id(), "user"),
        || format!("{argv:?} never left this user namespace"),
    );
    child
}

#[track_caller]
fn wait_for(mut done: impl FnMut() -> bool, what: impl Fn() -> String) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !done() {
        assert!(Instant::now() < deadline, "{}", what());
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Runs `cmd` and also says how long it took.
fn timed(cmd: Command) -> (Run, Duration) {
    let start = Instant::now();
    let run = Run::of(cmd);
    (run, start.elapsed())
}

#[track_caller]
fn assert_refused(run: &Run, took: Duration, says: &str) {
    assert_eq!(run.code(), 1, "{run}");
    assert!(run.stderr.contains(says), "{says:?} not in:\n{run}");
    assert!(took < QUICK, "took {took:?}, not at once:\n{run}");
}

/// A build of the doctor with debug assertions, which alone honours ROOTLESS_DOCTOR_TEST_ENTER_PAUSE: the one cargo
/// built beside this test when this test has them too (the same profile; the live tier's `live-test`), else
/// `target/debug/rootless-doctor` (`cargo build --bin rootless-doctor`).
fn debug_bin() -> PathBuf {
    let beside = Path::new(env!("CARGO_BIN_EXE_rootless-doctor"));
    if cfg!(debug_assertions) {
        return beside.to_path_buf();
    }
    let target = beside
        .parent()
        .and_then(Path::parent)
        .expect("the binary sits in target/PROFILE/");
    target.join("debug/rootless-doctor")
}

/// Spawns `argv` as root so that it gets `pid`: `ns_last_pid` set to the pid before it, retried while other
/// processes on the machine take the number first. `None` when that never worked.
fn spawn_at_pid(pid: u32, argv: &[&str]) -> Option<Reaped> {
    for _ in 0..200 {
        fs::write("/proc/sys/kernel/ns_last_pid", (pid - 1).to_string())
            .expect("write /proc/sys/kernel/ns_last_pid (root)");
        let child = Reaped(
            Command::new(argv[0])
                .args(&argv[1..])
                .stdin(Stdio::null())
                .spawn()
                .expect("spawn the replacement"),
        );
        if child.pid() == pid {
            return Some(child);
        }
    }
    None
}

/// Finding 7 of issue 9: `enter --pid` read the owner from /proc/PID/status, then opened /proc/PID/ns/* by
/// path. Now the pid is held by a pidfd from before the namespaces are opened: `enter` is paused in between
/// (debug-build hook), the target is killed and its very pid handed to a new process in another user
/// namespace, and `enter` must refuse instead of joining that one.
#[test]
fn regression_enter_pid_reuse_window() {
    let bin = debug_bin();
    let Some(_live) = live(&[Need::File(bin.clone())]) else {
        return;
    };
    let started = Instant::now();
    let target = stand_in(None, &["unshare", "-U", "-r", "-m", "-n", "sleep", "300"]);
    let pid = target.pid();
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pause");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();

    // First without interference: the hook pauses, then the join goes through.
    let joined = Command::new(&bin)
        .args(["enter", "--pid", &pid.to_string(), "--"])
        .args(["readlink", "/proc/self/ns/user"])
        .env("ROOTLESS_DOCTOR_TEST_ENTER_PAUSE", &fifo)
        .env("XDG_RUNTIME_DIR", dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(hold_pause(&fifo, joined.id()));
    let out = joined.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), ns(pid, "user"));

    // Then the race: pause, kill the target, give its pid away, continue.
    let mut enter = Command::new(&bin)
        .args(["enter", "--pid", &pid.to_string(), "--"])
        .args(["readlink", "/proc/self/ns/user"])
        .env("ROOTLESS_DOCTOR_TEST_ENTER_PAUSE", &fifo)
        .env("XDG_RUNTIME_DIR", dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pause = hold_pause(&fifo, enter.id());
    drop(target);
    let replacement = spawn_at_pid(pid, &["unshare", "-U", "-r", "-m", "-n", "sleep", "300"]);
    match &replacement {
        Some(r) => wait_for(
            || ns(r.pid(), "user") != ns(std::process::id(), "user"),
            || "the replacement never unshared".to_owned(),
        ),
        None => eprintln!("note: pid {pid} could not be reused; testing the exit alone"),
    }
    drop(pause);
    let deadline = Instant::now() + Duration::from_secs(10);
    while enter.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = enter.kill();
            panic!("enter hangs after the pause");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let out = enter.wait_with_output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stderr.contains(&format!("process {pid} exited while joining")),
        "{stderr}"
    );
    assert_eq!(stdout, "", "enter ran something");
    if let Some(mut r) = replacement {
        assert!(
            r.0.try_wait().unwrap().is_none(),
            "the replacement process was disturbed"
        );
        eprintln!(
            "pid {pid} reused by a process in {}; enter refused it",
            ns(r.pid(), "user")
        );
    }
    eprintln!("regression_enter_pid_reuse_window: {:?}", started.elapsed());
}

/// Waits until `enter` (pid `waiter`) is paused on `fifo`, and returns the writing end: `enter` goes on
/// when it is dropped.
fn hold_pause(fifo: &Path, waiter: u32) -> fs::File {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        // Opening a FIFO's writing end without blocking fails (ENXIO) until a reader has it open.
        match fs::OpenOptions::new()
            .write(true)
            .custom_flags(nix::fcntl::OFlag::O_NONBLOCK.bits())
            .open(fifo)
        {
            Ok(mut f) => {
                let _ = f.write_all(b"go\n");
                return f;
            }
            Err(e) if e.raw_os_error() == Some(nix::errno::Errno::ENXIO as i32) => {}
            Err(e) => panic!("open {}: {e}", fifo.display()),
        }
        assert!(
            Path::new(&format!("/proc/{waiter}")).exists(),
            "enter exited before its pause"
        );
        assert!(Instant::now() < deadline, "enter never paused");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Root with a user's XDG_RUNTIME_DIR (sudo -E, or a copied environment) used to read docker.pid → /dev/zero
/// for seconds, and a FIFO there never returned.
#[test]
fn enter_refuses_a_docker_pid_that_is_a_symlink_or_fifo_at_once() {
    let Some(live) = live(&[]) else {
        return;
    };
    let user = live.ok_user();
    let bin = support::doctor_bin();
    let pidfile = user.xdg_runtime_dir.join("docker.pid");
    let as_root = || {
        let mut c = Command::new(bin);
        c.args(["enter", "--", "true"])
            .env_clear()
            .env("PATH", support::PATH)
            .env("XDG_RUNTIME_DIR", &user.xdg_runtime_dir)
            .stdin(Stdio::null());
        c
    };
    std::os::unix::fs::symlink("/dev/zero", &pidfile).unwrap();
    let (run, took) = timed(as_root());
    assert_refused(
        &run,
        took,
        &format!(
            "{} is a symbolic link to /dev/zero, not a regular file",
            pidfile.display()
        ),
    );
    eprintln!("docker.pid -> /dev/zero refused in {took:?}");
    // The user's own run says the same.
    let start = Instant::now();
    let run = user.doctor(&["enter", "--", "true"]);
    assert_refused(&run, start.elapsed(), "is a symbolic link to /dev/zero");

    fs::remove_file(&pidfile).unwrap();
    nix::unistd::mkfifo(&pidfile, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
    let (run, took) = timed(as_root());
    assert_refused(
        &run,
        took,
        &format!("{} is a FIFO, not a regular file", pidfile.display()),
    );
    eprintln!("docker.pid as a FIFO refused in {took:?}");
}

/// The state dir's `netns` is the user's to replace: a FIFO there must be refused, not opened and waited on.
#[test]
fn enter_refuses_a_fifo_at_the_detached_netns_path_at_once() {
    let Some(live) = live(&[]) else {
        return;
    };
    let user = live.ok_user();
    let daemon = stand_in(
        Some(&user),
        &["unshare", "-U", "-r", "-m", "-n", "sleep", "300"],
    );
    let state = user.xdg_runtime_dir.join("dockerd-rootless");
    let netns = state.join("netns");
    let run = user.run("mkdir", &[state.to_str().unwrap()]);
    assert_eq!(run.code(), 0, "{run}");
    let run = user.run("mkfifo", &[netns.to_str().unwrap()]);
    assert_eq!(run.code(), 0, "{run}");
    let start = Instant::now();
    let run = user.doctor(&["enter", "--pid", &daemon.pid().to_string(), "--", "true"]);
    let took = start.elapsed();
    assert_refused(
        &run,
        took,
        &format!(
            "{} is a FIFO, not RootlessKit's detached network namespace",
            netns.display()
        ),
    );
    eprintln!("a FIFO at the netns path refused in {took:?}");
}

/// A process that runs as the user but in a user namespace root created (and owns) is not the user's daemon:
/// the user is refused, by a message, not joined; and root is refused because the process is not root's.
#[test]
fn enter_refuses_a_user_namespace_owned_by_another_user() {
    let Some(live) = live(&[]) else {
        return;
    };
    let user = live.ok_user();
    // perl, because the uid must change inside the new namespace before an exec drops its capabilities:
    // unshare(CLONE_NEWUSER) as root, wait for root to write the maps, setgid/setuid 0 (= the user outside).
    let script = "use POSIX; syscall(272, 0x10000000) == 0 or die \"unshare: $!\"; \
        while (1) { open(my $f, '<', '/proc/self/uid_map') or die; local $/; last if <$f> ne ''; \
        select(undef, undef, undef, 0.01); } \
        POSIX::setgid(0) or die \"setgid: $!\"; POSIX::setuid(0) or die \"setuid: $!\"; \
        exec('sleep', '300') or die;";
    assert_eq!(
        std::env::consts::ARCH,
        "x86_64",
        "the stand-in calls unshare by its x86_64 syscall number"
    );
    let child = Reaped(
        Command::new("perl")
            .args(["-e", script])
            .stdin(Stdio::null())
            .spawn()
            .expect("perl"),
    );
    let pid = child.pid();
    wait_for(
        || ns(pid, "user") != ns(std::process::id(), "user"),
        || "perl never unshared".to_owned(),
    );
    fs::write(format!("/proc/{pid}/uid_map"), format!("0 {} 1", user.uid)).unwrap();
    fs::write(format!("/proc/{pid}/gid_map"), format!("0 {} 1", user.gid)).unwrap();
    let uid_line = format!("Uid:\t{0}\t{0}\t{0}\t{0}", user.uid);
    wait_for(
        || {
            fs::read_to_string(format!("/proc/{pid}/status"))
                .is_ok_and(|s| s.contains(&uid_line) && s.contains("Name:\tsleep"))
        },
        || "the stand-in never became the user".to_owned(),
    );

    let start = Instant::now();
    let run = user.doctor(&["enter", "--pid", &pid.to_string(), "--", "true"]);
    assert_refused(&run, start.elapsed(), "is not yours");
    eprintln!("the user, on root's namespace: {}", run.stderr.trim());

    let start = Instant::now();
    let run = Run::of({
        let mut c = Command::new(support::doctor_bin());
        c.args(["enter", "--pid", &pid.to_string(), "--", "true"])
            .env("XDG_RUNTIME_DIR", &user.xdg_runtime_dir);
        c
    });
    assert_refused(
        &run,
        start.elapsed(),
        &format!(
            "process {pid} belongs to uid {}, not to you (uid 0)",
            user.uid
        ),
    );
}

/// RootlessKit >= 2 with --detach-netns bind-mounts the containers' network namespace on `STATE_DIR/netns`
/// inside its own mount namespace: the host sees an empty file there. enter opens it again once in the
/// daemon's mount namespace, and lands in that namespace, not the daemon's own.
#[test]
fn enter_joins_a_detached_netns_bind_mounted_inside_the_daemons_mount_namespace() {
    let Some(live) = live(&[]) else {
        return;
    };
    let user = live.ok_user();
    let daemon = stand_in(
        Some(&user),
        &["unshare", "-U", "-r", "-m", "-n", "sleep", "300"],
    );
    let p1 = daemon.pid().to_string();
    // The detached namespace: made inside the daemon's user namespace, as RootlessKit's child makes it.
    let detached = Reaped(
        testkit::exec_as(&user.account(), true)
            .args(["nsenter", "-t", &p1, "-U", "-m", "--preserve-credentials"])
            .args(["unshare", "-n", "sleep", "300"])
            .stdin(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_for(
        || {
            // nsenter is in the daemon's user namespace before unshare has made the new network
            // namespace: until then it is still in the host's, which differs from the daemon's too.
            let n = ns(detached.pid(), "net");
            !n.is_empty()
                && n != ns(daemon.pid(), "net")
                && n != ns(std::process::id(), "net")
                && ns(detached.pid(), "user") == ns(daemon.pid(), "user")
        },
        || "the detached namespace never appeared".to_owned(),
    );
    let state = user.xdg_runtime_dir.join("dockerd-rootless");
    let netns = state.join("netns");
    for argv in [
        vec!["mkdir", state.to_str().unwrap()],
        vec!["touch", netns.to_str().unwrap()],
    ] {
        let run = user.run(argv[0], &argv[1..]);
        assert_eq!(run.code(), 0, "{run}");
    }
    let source = format!("/proc/{}/ns/net", detached.pid());
    let run = user.run(
        "nsenter",
        &[
            "-t",
            &p1,
            "-U",
            "-m",
            "--preserve-credentials",
            "mount",
            "--bind",
            &source,
            netns.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code(), 0, "{run}");
    let run = user.doctor(&["enter", "--pid", &p1, "--", "readlink", "/proc/self/ns/net"]);
    assert_eq!(run.code(), 0, "{run}");
    assert_eq!(run.stdout.trim(), ns(detached.pid(), "net"), "{run}");
}
