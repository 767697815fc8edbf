//! Test support for rootless-doctor: start a real rootless dockerd as a test user, talk to it, and tear it down
//! leaving nothing behind.
//!
//! What a rootless dockerd needs on a host without pam_systemd (the CI machine), this crate provides: a private 0700 `XDG_RUNTIME_DIR` per instance, `/dev/net/tun` 0666, a clean environment with an explicit
//! PATH, `dockerd-rootless.sh` in a new session with its output in a log file, readiness by `GET /_ping`, and a
//! teardown that also finds the processes that leave the daemon's process group and session (containerd and its
//! shims).
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

pub mod capture;
mod http;
pub mod live;
pub mod matrix;
mod procs;
mod rootful;

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::{DirBuilderExt, PermissionsExt, chown};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::sleep;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;

pub use http::{DEFAULT_HTTP_TIMEOUT, http_get_unix, ping_unix};
pub use live::{Account, Need, account, as_user, exec_as};
pub use procs::{
    ProcessInfo, UidSet, all_processes, daemon_closure, parse_stat, parse_subid, user_processes,
};
pub use rootful::{ROOTFUL_SOCKET, RootfulDaemon, state_under, wait_gone};

/// Debian's rootless launcher (not on PATH).
pub const DOCKERD_ROOTLESS_SH: &str = "/usr/share/docker.io/contrib/dockerd-rootless.sh";
/// Debian's docker client. `/usr/local/bin/docker` is a different (28.x) client on the CI host.
pub const DOCKER_CLIENT: &str = "/usr/bin/docker";
/// The PATH every process started as the test user gets: [`live::PATH`] and Debian's home of the rootless scripts.
pub const USER_PATH: &str =
    "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin:/usr/share/docker.io/contrib";
/// How long [`RootlessDaemon::start`] waits for `GET /_ping` to answer `OK`.
pub const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long teardown waits after SIGTERM before it SIGKILLs what is left.
pub const STOP_GRACE: Duration = Duration::from_secs(10);

const BUSYBOX: &str = "/bin/busybox";
const LOG_NAME: &str = "rd-testkit-dockerd.log";
const UPSTREAM_STATE_DIR: &str = "dockerd-rootless";

/// Where RootlessKit keeps its state dir (`api.sock`, `child_pid`, `lock`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StateDirLayout {
    /// `DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS=--state-dir=$XDG_RUNTIME_DIR/dockerd-rootless` (upstream's layout since
    /// Docker 25)
    Upstream,
    /// no `--state-dir`: Debian 20.10's dockerd-rootless.sh lets RootlessKit pick a random /tmp/rootlesskitNNN
    DebianDefault,
}

/// What daemon to start.
#[derive(Debug, Clone)]
pub struct DaemonOptions {
    /// The (unprivileged) user the daemon runs as; needs /etc/subuid and /etc/subgid ranges.
    pub user: String,
    pub layout: StateDirLayout,
    /// Added to the daemon's environment and to [`RootlessDaemon::env`] (e.g. `DOCKERD_ROOTLESS_ROOTLESSKIT_NET`).
    /// A `DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS` here is kept, after the layout's `--state-dir`.
    pub extra_env: Vec<(String, String)>,
    /// The runtime directory's mode: 0700 as pam_systemd makes it; tests of other modes change it.
    pub runtime_dir_mode: u32,
}

impl DaemonOptions {
    pub fn new(user: impl Into<String>, layout: StateDirLayout) -> Self {
        Self {
            user: user.into(),
            layout,
            extra_env: Vec::new(),
            runtime_dir_mode: 0o700,
        }
    }
}

/// What starting daemons needs, for [`live::ready`]: root, Debian's rootless script, and the users.
pub fn daemon_needs(users: &[&str]) -> Vec<Need> {
    let mut needs = vec![
        Need::Root,
        Need::File(DOCKERD_ROOTLESS_SH.into()),
        Need::File(DOCKER_CLIENT.into()),
        Need::File(BUSYBOX.into()),
        Need::Program("rootlesskit"),
        Need::Program("slirp4netns"),
    ];
    needs.extend(users.iter().map(|user| Need::User((*user).to_owned())));
    needs
}

/// A running rootless dockerd owned by a test. Stopped by [`RootlessDaemon::stop`], or best effort on drop (also
/// when a test panics, after printing the end of the daemon's log).
#[derive(Debug)]
pub struct RootlessDaemon {
    user: String,
    uid: u32,
    gid: u32,
    home: PathBuf,
    layout: StateDirLayout,
    extra_env: Vec<(String, String)>,
    xdg_runtime_dir: PathBuf,
    log_path: PathBuf,
    /// The process we spawned: `setsid` exec'd into dockerd-rootless.sh, exec'd into rootlesskit. It leads the
    /// daemon's session and process group (pid == pgid == sid).
    leader: Option<Child>,
    pgid: i32,
    owner: UidSet,
    /// Every daemon process ever seen (pid → starttime): lets teardown find processes whose parent is gone.
    known: BTreeMap<i32, u64>,
    state_dir: Option<PathBuf>,
    stopped: bool,
}

static INSTANCE: AtomicU64 = AtomicU64::new(0);

/// Makes a fresh directory `/tmp/rd-daemon-<uid>-<pid>-<n>` owned by the user, with `mode` (normally 0700).
fn make_runtime_dir(uid: u32, gid: u32, mode: u32) -> io::Result<PathBuf> {
    let base = std::env::temp_dir();
    for _ in 0..1000 {
        let n = INSTANCE.fetch_add(1, Ordering::Relaxed);
        let dir = base.join(format!("rd-daemon-{uid}-{}-{n}", std::process::id()));
        match fs::DirBuilder::new().mode(0o700).create(&dir) {
            Ok(()) => {
                // The umask may have narrowed it; the mode exactly, then hand it over.
                fs::set_permissions(&dir, fs::Permissions::from_mode(mode))?;
                chown(&dir, Some(uid), Some(gid))?;
                return Ok(dir);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        "no free rd-daemon-* name in the temp dir",
    ))
}

/// No udev here: /dev/net/tun is created 0600 and slirp4netns can't open it as the user. Debian's udev rules make
/// it 0666; do the same.
fn ensure_tun_usable() -> io::Result<()> {
    let tun = Path::new("/dev/net/tun");
    let mode = fs::metadata(tun)?.permissions().mode();
    if mode & 0o666 != 0o666 {
        fs::set_permissions(tun, fs::Permissions::from_mode((mode & !0o7777) | 0o666))?;
    }
    Ok(())
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

fn other(msg: impl Into<String>) -> io::Error {
    io::Error::other(msg.into())
}

fn alive(pid: i32, starttime: u64) -> bool {
    procs::read_process(pid).is_some_and(|p| p.starttime == starttime && !p.is_zombie())
}

impl RootlessDaemon {
    /// Creates a private 0700 XDG_RUNTIME_DIR owned by the user, makes /dev/net/tun 0666 if needed, starts
    /// dockerd-rootless.sh as the user in a new session with a clean environment and its output in a log file, and
    /// waits (up to [`START_TIMEOUT`]) until `GET /_ping` on `$XDG_RUNTIME_DIR/docker.sock` answers `OK`.
    ///
    /// Each instance gets its own `--data-root` inside its XDG_RUNTIME_DIR, so two daemons of the same user don't
    /// share containerd's database or image store (images are per instance: see [`Self::import_busybox`]).
    ///
    /// On failure everything is torn down and the error carries the end of the daemon's log.
    pub fn start(opts: DaemonOptions) -> io::Result<RootlessDaemon> {
        let user = account(&opts.user)?;
        if user.uid == 0 {
            return Err(other("a rootless daemon must not run as root"));
        }
        ensure_tun_usable()?;
        let (uid, gid) = (user.uid, user.gid);
        let xdg = make_runtime_dir(uid, gid, opts.runtime_dir_mode)?;
        let log_path = xdg.join(LOG_NAME);
        let mut daemon = RootlessDaemon {
            user: opts.user.clone(),
            uid,
            gid,
            home: user.home,
            layout: opts.layout,
            extra_env: opts.extra_env,
            xdg_runtime_dir: xdg,
            log_path,
            leader: None,
            pgid: 0,
            owner: UidSet::for_user(&opts.user, uid),
            known: BTreeMap::new(),
            state_dir: None,
            stopped: false,
        };
        // From here on, an early return drops `daemon`, which tears down whatever was started.
        daemon.spawn()?;
        daemon.wait_ready(START_TIMEOUT)?;
        daemon.state_dir = daemon.discover_state_dir();
        daemon.track();
        Ok(daemon)
    }

    fn daemon_env(&self) -> Vec<(String, String)> {
        let mut env = self.env();
        if self.layout == StateDirLayout::Upstream {
            let mut flags = format!(
                "--state-dir={}",
                self.xdg_runtime_dir.join(UPSTREAM_STATE_DIR).display()
            );
            if let Some(pos) = env
                .iter()
                .position(|(k, _)| k == "DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS")
            {
                let (_, extra) = env.remove(pos);
                flags = format!("{flags} {extra}");
            }
            env.push(("DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS".into(), flags));
        }
        env
    }

    fn spawn(&mut self) -> io::Result<()> {
        let log = OpenOptions::new()
            .create_new(true)
            .append(true)
            .open(&self.log_path)?;
        // `setsid` (util-linux) calls setsid(2) and execs, keeping its pid, as our child isn't a group leader; so
        // the child's pid is the daemon's session id and process group id. Credentials are dropped by std
        // (setgroups([]), setgid, setuid) before exec: no root process stays in the daemon's group.
        let mut cmd = Command::new("/usr/bin/setsid");
        cmd.arg(DOCKERD_ROOTLESS_SH)
            .arg(format!(
                "--data-root={}",
                self.xdg_runtime_dir.join("data-root").display()
            ))
            .env_clear()
            .envs(self.daemon_env())
            .current_dir(&self.home)
            .uid(self.uid)
            .gid(self.gid)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        let child = cmd.spawn()?;
        self.pgid = i32::try_from(child.id()).map_err(|_| other("pid out of range"))?;
        self.leader = Some(child);
        Ok(())
    }

    fn wait_ready(&mut self, timeout: Duration) -> io::Result<()> {
        let deadline = Instant::now() + timeout;
        let socket = self.socket();
        loop {
            if let Some(child) = self.leader.as_mut()
                && let Some(status) = child.try_wait()?
            {
                return Err(other(format!(
                    "dockerd-rootless.sh as {} exited early ({status}); log {}:\n{}",
                    self.user,
                    self.log_path.display(),
                    tail(&self.log(), 40)
                )));
            }
            let last_err = match ping_unix(&socket, Duration::from_secs(2)) {
                Ok(body) if body.trim() == "OK" => return Ok(()),
                Ok(body) => format!("unexpected /_ping body {body:?}"),
                Err(e) => e.to_string(),
            };
            if Instant::now() >= deadline {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "rootless dockerd as {} not ready after {timeout:?} (last /_ping: {last_err}); log {}:\n{}",
                        self.user,
                        self.log_path.display(),
                        tail(&self.log(), 40)
                    ),
                ));
            }
            sleep(Duration::from_millis(50));
        }
    }

    pub fn user(&self) -> &str {
        &self.user
    }
    pub fn uid(&self) -> u32 {
        self.uid
    }
    pub fn gid(&self) -> u32 {
        self.gid
    }
    pub fn home(&self) -> &Path {
        &self.home
    }
    pub fn layout(&self) -> StateDirLayout {
        self.layout
    }
    /// The daemon's session id and process group id (the pid of the process we spawned: rootlesskit).
    pub fn pgid(&self) -> i32 {
        self.pgid
    }
    pub fn log_path(&self) -> &Path {
        &self.log_path
    }
    pub fn xdg_runtime_dir(&self) -> &Path {
        &self.xdg_runtime_dir
    }
    /// `$XDG_RUNTIME_DIR/docker.sock`.
    pub fn socket(&self) -> PathBuf {
        self.xdg_runtime_dir.join("docker.sock")
    }
    /// `$XDG_RUNTIME_DIR/docker.pid` (dockerd's pid as the host sees it).
    pub fn pid_file(&self) -> PathBuf {
        self.xdg_runtime_dir.join("docker.pid")
    }
    /// The instance's `--data-root`.
    pub fn data_root(&self) -> PathBuf {
        self.xdg_runtime_dir.join("data-root")
    }
    /// `DOCKER_HOST` for this daemon.
    pub fn docker_host(&self) -> String {
        format!("unix://{}", self.socket().display())
    }

    /// dockerd's pid, from docker.pid.
    pub fn dockerd_pid(&self) -> Option<u32> {
        fs::read_to_string(self.pid_file())
            .ok()?
            .trim()
            .parse()
            .ok()
    }

    /// The RootlessKit state dir: `$XDG_RUNTIME_DIR/dockerd-rootless` for [`StateDirLayout::Upstream`]; for
    /// [`StateDirLayout::DebianDefault`] the `ROOTLESSKIT_STATE_DIR` RootlessKit put in dockerd's environment.
    /// Found once the daemon is up and remembered.
    pub fn state_dir(&self) -> Option<PathBuf> {
        self.state_dir.clone().or_else(|| self.discover_state_dir())
    }

    fn discover_state_dir(&self) -> Option<PathBuf> {
        match self.layout {
            StateDirLayout::Upstream => {
                let dir = self.xdg_runtime_dir.join(UPSTREAM_STATE_DIR);
                fs::metadata(&dir).is_ok_and(|m| m.is_dir()).then_some(dir)
            }
            StateDirLayout::DebianDefault => {
                let pid = self.dockerd_pid()?;
                let from_environ = fs::read(format!("/proc/{pid}/environ"))
                    .ok()
                    .and_then(|raw| {
                        raw.split(|&b| b == 0)
                            .find_map(|kv| kv.strip_prefix(b"ROOTLESSKIT_STATE_DIR="))
                            .map(|v| PathBuf::from(String::from_utf8_lossy(v).into_owned()))
                    });
                // Fallback: the temp state dir whose child_pid is dockerd's parent (RootlessKit's child stays
                // as the namespaces' init and runs dockerd-rootless.sh, which execs dockerd, as its child).
                let parent = procs::read_process(i32::try_from(pid).ok()?)?.ppid;
                from_environ.or_else(|| {
                    fs::read_dir(std::env::temp_dir())
                        .ok()?
                        .filter_map(|e| e.ok())
                        .map(|e| e.path())
                        .filter(|p| {
                            p.file_name()
                                .is_some_and(|n| n.to_string_lossy().starts_with("rootlesskit"))
                        })
                        .find(|p| {
                            fs::read_to_string(p.join("child_pid"))
                                .is_ok_and(|s| s.trim().parse::<i32>().ok() == Some(parent))
                        })
                })
            }
        }
    }

    /// The clean environment of the daemon's user: HOME, USER, LOGNAME, PATH ([`USER_PATH`]), XDG_RUNTIME_DIR,
    /// DOCKER_HOST, then `extra_env`. (The daemon itself also gets the layout's DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS.)
    pub fn env(&self) -> Vec<(String, String)> {
        let home = self.home.display().to_string();
        let mut env = vec![
            ("HOME".to_owned(), home),
            ("USER".to_owned(), self.user.clone()),
            ("LOGNAME".to_owned(), self.user.clone()),
            ("PATH".to_owned(), USER_PATH.to_owned()),
            (
                "XDG_RUNTIME_DIR".to_owned(),
                self.xdg_runtime_dir.display().to_string(),
            ),
            ("DOCKER_HOST".to_owned(), self.docker_host()),
        ];
        for (k, v) in &self.extra_env {
            env.retain(|(ek, _)| ek != k);
            env.push((k.clone(), v.clone()));
        }
        env
    }

    /// Runs `argv` as the user: `runuser -u USER -- env -i K=V… argv…`, in the user's home, no shell, stdin null.
    pub fn run_as_user(&self, argv: &[&str]) -> io::Result<Output> {
        let Some(program) = argv.first() else {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "empty argv"));
        };
        if program.contains('=') || program.starts_with('-') {
            // `env` would take it for an assignment or an option.
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("program name {program:?} can't follow `env -i`: give a path"),
            ));
        }
        as_user(&self.user, self.env(), argv)
            .current_dir(&self.home)
            .output()
    }

    /// Runs Debian's client ([`DOCKER_CLIENT`]) as the user against this daemon.
    pub fn docker(&self, args: &[&str]) -> io::Result<Output> {
        let argv: Vec<&str> = std::iter::once(DOCKER_CLIENT)
            .chain(args.iter().copied())
            .collect();
        self.run_as_user(&argv)
    }

    /// Like [`Self::docker`], but a non-zero exit is an error carrying stdout and stderr; returns stdout.
    pub fn docker_ok(&self, args: &[&str]) -> io::Result<String> {
        let out = self.docker(args)?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(other(format!(
                "docker {args:?} as {}: {}\nstdout: {}\nstderr: {}",
                self.user,
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )))
        }
    }

    /// Makes an image `tag` from busybox-static: a tarball of `bin/busybox` plus a `bin/<applet>` symlink for every
    /// applet (`sh`, `echo`, `sleep`, …), `etc/` and `tmp/`, fed to `docker import`. No registry needed.
    pub fn import_busybox(&self, tag: &str) -> io::Result<()> {
        let work = self.xdg_runtime_dir.join("busybox-import");
        let _ = fs::remove_dir_all(&work);
        let root = work.join("rootfs");
        let bin = root.join("bin");
        fs::create_dir_all(&bin)?;
        fs::create_dir_all(root.join("etc"))?;
        fs::create_dir_all(root.join("tmp"))?;
        fs::set_permissions(root.join("tmp"), fs::Permissions::from_mode(0o1777))?;
        fs::copy(BUSYBOX, bin.join("busybox"))?;
        fs::set_permissions(bin.join("busybox"), fs::Permissions::from_mode(0o755))?;
        let list = Command::new(BUSYBOX)
            .arg("--list")
            .stdin(Stdio::null())
            .output()?;
        if !list.status.success() {
            return Err(other(format!("{BUSYBOX} --list: {}", list.status)));
        }
        for applet in String::from_utf8_lossy(&list.stdout).lines().map(str::trim) {
            if applet.is_empty() || applet == "busybox" || applet.contains('/') {
                continue;
            }
            std::os::unix::fs::symlink("busybox", bin.join(applet))?;
        }
        let tarball = work.join("busybox.tar");
        let tar = Command::new("/usr/bin/tar")
            .args(["--numeric-owner", "--owner=0", "--group=0", "-C"])
            .arg(&root)
            .arg("-cf")
            .arg(&tarball)
            .args(["bin", "etc", "tmp"])
            .stdin(Stdio::null())
            .output()?;
        if !tar.status.success() {
            return Err(other(format!(
                "tar: {}: {}",
                tar.status,
                String::from_utf8_lossy(&tar.stderr)
            )));
        }
        chown(&work, Some(self.uid), Some(self.gid))?;
        chown(&tarball, Some(self.uid), Some(self.gid))?;
        let result = self.docker_ok(&["import", &tarball.display().to_string(), tag]);
        let _ = fs::remove_dir_all(&work);
        result.map(|_| ())
    }

    /// Everything the daemon wrote to stdout and stderr so far (`set -x` of the script, RootlessKit, dockerd).
    pub fn log(&self) -> String {
        let mut raw = Vec::new();
        if let Ok(mut f) = File::open(&self.log_path) {
            let _ = f.seek(SeekFrom::Start(0));
            let _ = f.read_to_end(&mut raw);
        }
        String::from_utf8_lossy(&raw).into_owned()
    }

    /// The daemon's live processes right now: its session (rootlesskit, slirp4netns, dockerd), containerd (own
    /// session), shims (containerd's session), container processes (children of shims). Zombies excluded.
    pub fn processes(&mut self) -> Vec<ProcessInfo> {
        self.track()
    }

    /// Scans /proc, remembers every daemon process seen, returns the live ones.
    fn track(&mut self) -> Vec<ProcessInfo> {
        if self.pgid <= 0 {
            return Vec::new();
        }
        let found = daemon_closure(
            &all_processes(),
            &self.owner,
            &BTreeSet::from([self.pgid]),
            &self.known,
        );
        for p in &found {
            self.known.insert(p.pid, p.starttime);
        }
        found
    }

    /// Stops the daemon and cleans up; see [`Self::teardown`] for how. Errors if a process survived or the
    /// directories couldn't be removed.
    pub fn stop(mut self) -> io::Result<()> {
        self.teardown()
    }

    /// SIGTERM to the process group (RootlessKit forwards it, dockerd shuts containerd down), up to
    /// [`STOP_GRACE`] for the group to exit; then SIGTERM and, 1 s later, SIGKILL to every daemon process still
    /// alive (straight SIGKILL if the group itself overran its grace) — which catches containerd-shim-runc-v2 and container processes, which are in neither the group nor
    /// the session (dockerd leaves shims of running containers behind). Only processes of the user (uid or
    /// subordinate uid) that descend from the daemon are signalled. Then removes a leftover RootlessKit temp state
    /// dir and the XDG_RUNTIME_DIR (with the data root).
    fn teardown(&mut self) -> io::Result<()> {
        if self.stopped {
            return Ok(());
        }
        self.stopped = true;
        let mut problems = Vec::new();
        if self.pgid > 0 {
            // Snapshot before anything dies: parent links break as processes exit.
            self.track();
            let group = Pid::from_raw(self.pgid);
            let _ = killpg(group, Signal::SIGTERM);
            let deadline = Instant::now() + STOP_GRACE;
            let mut group_exited = false;
            while Instant::now() < deadline {
                self.reap_leader();
                let remaining = self.track();
                if remaining.iter().all(|p| p.pgid != self.pgid) {
                    group_exited = true;
                    break;
                }
                sleep(Duration::from_millis(25));
            }
            // What outlived a group that exited in time (shims, containers): TERM, 1 s, then KILL. A group that
            // used up its grace gets KILL right away, with everything else.
            // `None`: not signalled yet; `Some(t)`: SIGTERM sent at `t`, SIGKILL from `t + 1 s` on.
            let mut termed_at: Option<Instant> = None;
            let hard_deadline = Instant::now() + Duration::from_secs(6);
            loop {
                self.reap_leader();
                let remaining: Vec<ProcessInfo> = self.track();
                if remaining.is_empty() {
                    break;
                }
                if Instant::now() >= hard_deadline {
                    problems.push(format!(
                        "processes survived SIGKILL: {}",
                        remaining
                            .iter()
                            .map(|p| format!("{} {} ({})", p.pid, p.comm, p.cmdline))
                            .collect::<Vec<_>>()
                            .join("; ")
                    ));
                    break;
                }
                let signal = match termed_at {
                    None if group_exited => {
                        termed_at = Some(Instant::now());
                        Signal::SIGTERM
                    }
                    Some(t) if t.elapsed() < Duration::from_secs(1) => {
                        sleep(Duration::from_millis(25));
                        continue;
                    }
                    _ => Signal::SIGKILL,
                };
                for p in &remaining {
                    // Re-check identity right before signalling: same pid, same start time, still the user's.
                    if procs::read_process(p.pid)
                        .is_some_and(|now| now.starttime == p.starttime && self.owner.owns(&now))
                    {
                        let _ = kill(Pid::from_raw(p.pid), signal);
                    }
                }
                sleep(Duration::from_millis(25));
            }
            // Our direct child must be reaped by us, or it stays a zombie of the test process.
            if let Some(mut child) = self.leader.take() {
                let until = Instant::now() + Duration::from_secs(2);
                while child.try_wait().ok().flatten().is_none() && Instant::now() < until {
                    sleep(Duration::from_millis(10));
                }
                if child.try_wait().ok().flatten().is_none() {
                    let _ = child.kill();
                    let _ = child.wait();
                }
            }
        }
        // Zombies re-parented to PID 1 are reaped by it; they are not running, so they don't count.
        let leftovers: Vec<String> = self
            .known
            .iter()
            .filter(|&(&pid, &start)| alive(pid, start))
            .map(|(pid, _)| pid.to_string())
            .collect();
        if !leftovers.is_empty() && problems.is_empty() {
            problems.push(format!(
                "daemon processes still alive: {}",
                leftovers.join(", ")
            ));
        }
        // RootlessKit removes its auto-created /tmp/rootlesskitNNN when it exits cleanly; not after SIGKILL.
        if self.layout == StateDirLayout::DebianDefault
            && let Some(dir) = self.state_dir.clone()
            && dir.starts_with(std::env::temp_dir())
            && dir
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("rootlesskit"))
            && fs::symlink_metadata(&dir)
                .is_ok_and(|m| std::os::unix::fs::MetadataExt::uid(&m) == self.uid)
            && let Err(e) = fs::remove_dir_all(&dir)
        {
            problems.push(format!("removing {}: {e}", dir.display()));
        }
        if let Err(e) = fs::remove_dir_all(&self.xdg_runtime_dir)
            && e.kind() != io::ErrorKind::NotFound
        {
            problems.push(format!("removing {}: {e}", self.xdg_runtime_dir.display()));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(other(format!(
                "stopping the rootless dockerd of {}: {}",
                self.user,
                problems.join("; ")
            )))
        }
    }

    fn reap_leader(&mut self) {
        if let Some(child) = self.leader.as_mut()
            && let Ok(Some(_)) = child.try_wait()
        {
            self.leader = None;
        }
    }
}

impl Drop for RootlessDaemon {
    fn drop(&mut self) {
        if self.stopped {
            return;
        }
        if std::thread::panicking() {
            eprintln!(
                "--- rootless dockerd of {} ({}), last lines of its log:\n{}\n---",
                self.user,
                self.xdg_runtime_dir.display(),
                tail(&self.log(), 40)
            );
        }
        if let Err(e) = self.teardown() {
            eprintln!("testkit: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_keeps_the_last_lines() {
        assert_eq!(tail("a\nb\nc\n", 2), "b\nc");
        assert_eq!(tail("a", 5), "a");
        assert_eq!(tail("", 5), "");
    }
}
