//! Real rootless dockerds as `rdtest-ok`, for both state-dir layouts, plus the teardown and failure paths.
//!
//! Needs root and Debian's docker.io/rootlesskit/slirp4netns/busybox-static (`cargo xtask setup`), and runs only in
//! the live tier (`ROOTLESS_DOCTOR_LIVE=1` or `CI`), where a missing prerequisite fails the test; outside it each
//! test prints a skip line on stderr and passes. The tests run in parallel, so several daemons of the same user run
//! at once: each test only asserts about its own daemon's processes.

// Test support talks to the host by design; the OS-boundary lints are for the root package's `src/`.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use testkit::{
    DaemonOptions, ProcessInfo, RootlessDaemon, StateDirLayout, http_get_unix, ping_unix,
};

const IMAGE: &str = "busybox:rd";

/// Returns from the test unless it can run: outside the live tier it skips with a line on stderr; inside it
/// (`ROOTLESS_DOCTOR_LIVE=1` or `CI`) a missing prerequisite fails the test. Evaluates to the user's name.
macro_rules! skip_unless_ready {
    ($user:expr) => {{
        let user = $user;
        if !testkit::live::ready(&testkit::daemon_needs(&[&user])) {
            return;
        }
        user
    }};
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `ps -eo pid,pgid,sid,user:32,args` lines of `user` that are one of `pids` or mention `marker` (the instance's
/// XDG dir, which every dockerd/containerd/shim command line of this instance contains).
fn ps_leftovers(user: &str, pids: &[i32], marker: &Path) -> Vec<String> {
    let out = Command::new("ps")
        .args(["-eo", "pid,pgid,sid,stat,user:32,args"])
        .output()
        .expect("ps");
    let marker = marker.display().to_string();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .skip(1)
        .filter(|line| {
            let cols: Vec<&str> = line.split_whitespace().collect();
            let (Some(pid), Some(stat), Some(owner)) = (cols.first(), cols.get(3), cols.get(4))
            else {
                return false;
            };
            let pid: i32 = pid.parse().unwrap_or(-1);
            // A zombie waits for PID 1 to reap it: it runs nothing and can't be killed.
            !stat.starts_with('Z')
                && *owner == user
                && (pids.contains(&pid) || line.contains(&marker))
        })
        .map(str::to_owned)
        .collect()
}

fn assert_gone(user: &str, before: &[ProcessInfo], xdg: &Path) {
    let pids: Vec<i32> = before.iter().map(|p| p.pid).collect();
    let still: Vec<String> = before
        .iter()
        .filter(|p| {
            testkit::all_processes()
                .iter()
                .any(|now| now.pid == p.pid && now.starttime == p.starttime && !now.is_zombie())
        })
        .map(|p| format!("{} {}", p.pid, p.comm))
        .collect();
    assert!(
        still.is_empty(),
        "daemon processes survived stop: {still:?}"
    );
    let ps = ps_leftovers(user, &pids, xdg);
    assert!(
        ps.is_empty(),
        "ps still shows processes of this daemon:\n{}",
        ps.join("\n")
    );
    assert!(
        fs::symlink_metadata(xdg).is_err(),
        "{} not removed",
        xdg.display()
    );
}

fn comms(procs: &[ProcessInfo]) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for p in procs {
        *m.entry(p.comm.clone()).or_insert(0) += 1;
    }
    m
}

/// Start, check the runtime dir, RootlessKit's state dir (`check_state_dir` gets the layout-specific look),
/// `docker info`, import busybox, `docker run --rm busybox echo hi`, stop, and check nothing is left.
fn full_cycle(
    user: &str,
    layout: StateDirLayout,
    check_state_dir: impl FnOnce(&RootlessDaemon, &Path),
) {
    let t0 = Instant::now();
    let mut d =
        RootlessDaemon::start(DaemonOptions::new(user, layout)).expect("start rootless dockerd");
    let started = t0.elapsed();

    let xdg = d.xdg_runtime_dir().to_path_buf();
    let meta = fs::metadata(&xdg).unwrap();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o777,
        0o700
    );
    assert_eq!(std::os::unix::fs::MetadataExt::uid(&meta), d.uid());
    assert_eq!(
        ping_unix(&d.socket(), Duration::from_secs(5)).unwrap(),
        "OK"
    );
    let dockerd = d.dockerd_pid().expect("docker.pid");
    assert!(Path::new(&format!("/proc/{dockerd}")).exists());

    let state_dir = d.state_dir().expect("RootlessKit state dir");
    check_state_dir(&d, &state_dir);
    let child_pid = fs::read_to_string(state_dir.join("child_pid")).expect("child_pid");
    let dockerd_parent = testkit::all_processes()
        .into_iter()
        .find(|p| p.pid as u32 == dockerd)
        .unwrap()
        .ppid;
    assert_eq!(
        child_pid.trim().parse::<i32>().ok(),
        Some(dockerd_parent),
        "dockerd runs as a child of RootlessKit's child"
    );
    let (status, info) =
        http_get_unix(&state_dir.join("api.sock"), "/v1/info").expect("RootlessKit API");
    assert_eq!(status, 200, "{info}");
    assert!(info.contains("slirp4netns"), "{info}");

    let env = d.env();
    assert!(env.contains(&("DOCKER_HOST".into(), d.docker_host())));
    assert!(
        !env.iter()
            .any(|(k, _)| k == "DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS")
    );

    let info = d
        .docker(&["info", "--format", "{{json .SecurityOptions}}"])
        .unwrap();
    assert!(info.status.success(), "docker info: {info:?}");
    assert!(stdout(&info).contains("name=rootless"), "{}", stdout(&info));
    let root_dir = d
        .docker_ok(&["info", "--format", "{{.DockerRootDir}}"])
        .unwrap();
    assert_eq!(root_dir.trim(), d.data_root().display().to_string());

    let t = Instant::now();
    d.import_busybox(IMAGE).expect("import busybox");
    let imported = t.elapsed();

    let t = Instant::now();
    let run = d.docker(&["run", "--rm", IMAGE, "echo", "hi"]).unwrap();
    let ran = t.elapsed();
    assert!(
        run.status.success(),
        "docker run: {run:?}\nlog:\n{}",
        d.log()
    );
    assert_eq!(stdout(&run), "hi\n");

    let whoami = d.run_as_user(&["id", "-u"]).unwrap();
    assert_eq!(stdout(&whoami).trim(), d.uid().to_string());

    let procs = d.processes();
    let names = comms(&procs);
    for want in ["rootlesskit", "dockerd", "containerd", "slirp4netns"] {
        assert!(names.contains_key(want), "{want} not among {names:?}");
    }
    assert!(procs.iter().all(|p| p.ruid == d.uid()), "{procs:?}");

    let t = Instant::now();
    d.stop().expect("stop");
    let stopped = t.elapsed();
    assert_gone(user, &procs, &xdg);
    assert!(
        fs::symlink_metadata(&state_dir).is_err(),
        "{} left behind",
        state_dir.display()
    );
    eprintln!(
        "TIMING {layout:?}: start {started:.2?}, import {imported:.2?}, docker run --rm {ran:.2?}, stop {stopped:.2?}, \
         whole test {:.2?}",
        t0.elapsed()
    );
}

#[test]
fn upstream_layout_runs_busybox() {
    let user = skip_unless_ready!(testkit::live::ok_user());
    full_cycle(&user, StateDirLayout::Upstream, |d, state_dir| {
        assert_eq!(state_dir, d.xdg_runtime_dir().join("dockerd-rootless"));
    });
}

#[test]
fn debian_default_layout_runs_busybox() {
    let user = skip_unless_ready!(testkit::live::ok_user());
    full_cycle(&user, StateDirLayout::DebianDefault, |d, state_dir| {
        let name = state_dir
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        assert!(
            state_dir.parent() == Some(Path::new("/tmp")) && name.starts_with("rootlesskit"),
            "{}",
            state_dir.display()
        );
        assert!(!d.xdg_runtime_dir().join("dockerd-rootless").exists());
    });
}

/// dockerd leaves the shim of a running container behind when it exits (the shim is re-parented to PID 1 and
/// lives in containerd's session, not the daemon's process group): stop must still leave nothing.
#[test]
fn stop_kills_shims_and_containers() {
    let user = skip_unless_ready!(testkit::live::ok_user());
    let mut d =
        RootlessDaemon::start(DaemonOptions::new(&user, StateDirLayout::Upstream)).expect("start");
    d.import_busybox(IMAGE).expect("import busybox");
    let id = d
        .docker_ok(&["run", "-d", IMAGE, "sleep", "600"])
        .expect("docker run -d");
    assert!(!id.trim().is_empty());
    let procs = d.processes();
    let shim = procs
        .iter()
        .find(|p| p.comm.starts_with("containerd-shim"))
        .unwrap_or_else(|| panic!("no shim among {:?}", comms(&procs)));
    assert_ne!(
        shim.pgid,
        d.pgid(),
        "shim is outside the daemon's process group"
    );
    assert_ne!(shim.sid, d.pgid(), "shim is outside the daemon's session");
    assert!(
        procs
            .iter()
            .any(|p| p.comm == "sleep" && p.ppid == shim.pid),
        "{procs:?}"
    );

    let xdg = d.xdg_runtime_dir().to_path_buf();
    let t = Instant::now();
    d.stop().expect("stop");
    eprintln!("TIMING stop with a running container: {:.2?}", t.elapsed());
    assert_gone(&user, &procs, &xdg);
}

/// A user without subordinate ids: RootlessKit refuses, `start` says so with the log tail, and nothing remains.
#[test]
fn start_fails_cleanly_without_subuids() {
    let user = skip_unless_ready!(testkit::live::nosub_user());
    let t = Instant::now();
    let err =
        RootlessDaemon::start(DaemonOptions::new(&user, StateDirLayout::Upstream)).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("No subuid ranges found"), "{msg}");
    assert!(msg.contains("exited early"), "{msg}");
    eprintln!("TIMING failed start without subuids: {:.2?}", t.elapsed());
    let uid = testkit::account(&user).unwrap().uid;
    let left: Vec<String> = testkit::user_processes(uid)
        .into_iter()
        .filter(|p| !p.is_zombie())
        .map(|p| format!("{} {}", p.pid, p.cmdline))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    let dirs: Vec<String> = fs::read_dir(std::env::temp_dir())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(&format!("rd-daemon-{uid}-{}-", std::process::id())))
        .collect();
    assert!(dirs.is_empty(), "{dirs:?}");
}

/// Two daemons of the same user at once: separate runtime dirs, sockets, data roots; stopping one leaves the other.
#[test]
fn two_daemons_of_one_user_coexist() {
    let user = skip_unless_ready!(testkit::live::ok_user());
    let a = RootlessDaemon::start(DaemonOptions::new(&user, StateDirLayout::Upstream))
        .expect("start a");
    let mut b = RootlessDaemon::start(DaemonOptions::new(&user, StateDirLayout::DebianDefault))
        .expect("start b");
    assert_ne!(a.xdg_runtime_dir(), b.xdg_runtime_dir());
    assert_ne!(a.dockerd_pid(), b.dockerd_pid());
    let b_procs = b.processes();
    a.stop().expect("stop a");
    assert_eq!(
        ping_unix(&b.socket(), Duration::from_secs(5)).unwrap(),
        "OK"
    );
    let still = b.processes();
    assert_eq!(comms(&still), comms(&b_procs), "stopping a touched b");
    let xdg = b.xdg_runtime_dir().to_path_buf();
    b.stop().expect("stop b");
    assert_gone(&user, &b_procs, &xdg);
}

/// A test that panics with a daemon up still leaves nothing: `Drop` tears it down during unwinding.
#[test]
fn drop_tears_down_on_panic() {
    let user = skip_unless_ready!(testkit::live::ok_user());
    let seen = std::sync::Mutex::new(None);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut d = RootlessDaemon::start(DaemonOptions::new(&user, StateDirLayout::DebianDefault))
            .expect("start");
        *seen.lock().unwrap() = Some((
            d.processes(),
            d.xdg_runtime_dir().to_path_buf(),
            d.state_dir(),
        ));
        panic!("deliberate panic with a live daemon");
    }));
    assert!(result.is_err());
    let (procs, xdg, state_dir) = seen.into_inner().unwrap().expect("daemon started");
    assert!(!procs.is_empty());
    assert_gone(&user, &procs, &xdg);
    let state_dir = state_dir.expect("state dir");
    assert!(
        fs::symlink_metadata(&state_dir).is_err(),
        "{} left behind",
        state_dir.display()
    );
}
