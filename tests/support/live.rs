//! Helpers for the live tier's tests (`tests/live.rs`, `daemon.rs`, `enter.rs`, `hostile.rs`, `launch.rs`,
//! `start_env.rs`, `start_path.rs`, `start_state.rs`): running the real
//! binary, and real tools, as real test users on this host.
//!
//! The users and packages come from `cargo xtask setup` (root only); `cargo xtask test --tier live` sets
//! `ROOTLESS_DOCTOR_LIVE=1` and the user names. Whether a test runs, skips or fails for a missing prerequisite is
//! `testkit::live::ready`'s decision, the same for every live test. Every command runs as the user through
//! `testkit::as_user` (`runuser -u USER -- env -i HOME=… USER=… LOGNAME=… PATH=… XDG_RUNTIME_DIR=…`): an explicit,
//! clean environment (there is no pam_systemd on the CI machine to make one, and `su -` would drop
//! /usr/sbin).

use std::ffi::OsStr;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Mutex, MutexGuard, OnceLock};

pub use testkit::Need;
pub use testkit::live::PATH;

pub const SETUPTOOL: &str = "/usr/share/docker.io/contrib/dockerd-rootless-setuptool.sh";

/// Held for the whole of each live test: the tests share `/tmp/rd-xdg-<uid>`, which each removes when done, and
/// host files (/etc/subuid, /var/run/docker.sock) that some change.
static SERIAL: Mutex<()> = Mutex::new(());

/// The live context when the test is to run; `None` (after a skip line) outside the live tier. Inside it
/// (`ROOTLESS_DOCTOR_LIVE=1` or `CI`), a missing prerequisite among `needs` fails the test.
#[track_caller]
pub fn start(needs: &[Need]) -> Option<Live> {
    if !testkit::live::ready(needs) {
        return None;
    }
    // A failed test poisons the lock; the next test still gets a clean directory of its own.
    let lock = SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    Some(Live { _lock: lock })
}

pub struct Live {
    _lock: MutexGuard<'static, ()>,
}

impl Live {
    /// The user with subordinate ids and everything rootless Docker needs.
    pub fn ok_user(&self) -> TestUser {
        TestUser::new(&testkit::live::ok_user())
    }

    /// The user without any line in /etc/subuid or /etc/subgid.
    pub fn nosub_user(&self) -> TestUser {
        TestUser::new(&testkit::live::nosub_user())
    }
}

/// A test user with its XDG_RUNTIME_DIR, `/tmp/rd-xdg-<uid>` (0700, owned by the user), removed on drop.
pub struct TestUser {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    pub home: String,
    pub xdg_runtime_dir: PathBuf,
}

impl TestUser {
    fn new(name: &str) -> TestUser {
        let account = testkit::account(name).unwrap_or_else(|err| panic!("{err}"));
        let xdg_runtime_dir = PathBuf::from(format!("/tmp/rd-xdg-{}", account.uid));
        let _ = fs::remove_dir_all(&xdg_runtime_dir);
        fs::create_dir(&xdg_runtime_dir).expect("create XDG_RUNTIME_DIR");
        let user = TestUser {
            name: account.name,
            uid: account.uid,
            gid: account.gid,
            home: account.home.display().to_string(),
            xdg_runtime_dir,
        };
        fs::set_permissions(&user.xdg_runtime_dir, fs::Permissions::from_mode(0o700))
            .expect("chmod 0700");
        std::os::unix::fs::chown(&user.xdg_runtime_dir, Some(user.uid), Some(user.gid))
            .expect("chown XDG_RUNTIME_DIR");
        user
    }

    /// `program args…` as this user, with only the test environment (PATH as given).
    pub fn command_with_path(&self, path: &str, program: &Path, args: &[&str]) -> Command {
        let env = [
            ("HOME", self.home.as_str()),
            ("USER", &self.name),
            ("LOGNAME", &self.name),
            ("PATH", path),
            (
                "XDG_RUNTIME_DIR",
                &self.xdg_runtime_dir.display().to_string(),
            ),
        ];
        let argv: Vec<&OsStr> = std::iter::once(program.as_os_str())
            .chain(args.iter().map(OsStr::new))
            .collect();
        testkit::as_user(&self.name, env, &argv)
    }

    pub fn run(&self, program: impl AsRef<Path>, args: &[&str]) -> Run {
        Run::of(self.command_with_path(PATH, program.as_ref(), args))
    }

    /// `dockerd-rootless-setuptool.sh check`, with Debian's script directory on PATH: without it the script stops at
    /// "dockerd-rootless.sh needs to be present under $PATH" before checking anything.
    pub fn setuptool_command(&self, wrapper: &[&str]) -> Command {
        let (program, rest) = match wrapper.split_first() {
            Some((program, rest)) => (Path::new(*program), [rest, &[SETUPTOOL, "check"]].concat()),
            None => (Path::new(SETUPTOOL), vec!["check"]),
        };
        self.command_with_path(testkit::USER_PATH, program, &rest)
    }

    pub fn doctor(&self, args: &[&str]) -> Run {
        self.run(doctor_bin(), args)
    }

    /// `preflight --format json`: the exit code and the parsed document.
    pub fn preflight_json(&self) -> (i32, serde_json::Value) {
        let run = self.doctor(&["preflight", "--format", "json"]);
        let code = run.code();
        let doc = serde_json::from_str(&run.stdout).unwrap_or_else(|err| {
            panic!(
                "preflight --format json as {}: stdout is not JSON ({err})\n{run}",
                self.name
            )
        });
        (code, doc)
    }

    /// This user as testkit knows accounts.
    pub fn account(&self) -> testkit::Account {
        testkit::Account {
            name: self.name.clone(),
            uid: self.uid,
            gid: self.gid,
            home: PathBuf::from(&self.home),
        }
    }
}

impl Drop for TestUser {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.xdg_runtime_dir);
    }
}

/// A finished command with its output as text.
pub struct Run {
    pub output: Output,
    pub stdout: String,
    pub stderr: String,
    pub shown: String,
}

impl Run {
    pub fn of(mut command: Command) -> Run {
        let shown = format!("{command:?}");
        let output = command
            .output()
            .unwrap_or_else(|err| panic!("failed to run {shown}: {err}"));
        Run {
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            output,
            shown,
        }
    }

    /// The exit code; a death by signal fails the test.
    pub fn code(&self) -> i32 {
        self.output
            .status
            .code()
            .unwrap_or_else(|| panic!("killed by a signal: {self}"))
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "command: {}\nstatus: {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.shown, self.output.status, self.stdout, self.stderr
        )
    }
}

/// A copy of the binary the test users can run: the checkout may sit under a 0700 /root.
/// `/tmp/rootless-doctor-live-<pid>/rootless-doctor`, directory and binary 0755; copies from runs that have
/// ended are removed first.
pub fn doctor_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        remove_stale_copies();
        let dir = PathBuf::from(format!("/tmp/rootless-doctor-live-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir(&dir).expect("create the binary's directory");
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).expect("chmod 0755");
        let bin = dir.join("rootless-doctor");
        let from = testkit::live::tested_binary(env!("CARGO_BIN_EXE_rootless-doctor"));
        fs::copy(&from, &bin).unwrap_or_else(|e| panic!("copy the binary {}: {e}", from.display()));
        fs::set_permissions(&bin, fs::Permissions::from_mode(0o755)).expect("chmod 0755");
        bin
    })
}

fn remove_stale_copies() {
    let Ok(entries) = fs::read_dir("/tmp") else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|name| name.strip_prefix("rootless-doctor-live-"))
        else {
            continue;
        };
        if pid.parse::<u32>().is_ok() && !Path::new("/proc").join(pid).exists() {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

/// How many times each process-creating syscall starts in an `strace -f -o` trace.
/// Lines look like `1234  execve("/bin/true", …) = 0`; `<... clone resumed>` continuations are not counted again.
pub fn count_syscall(trace: &str, name: &str) -> usize {
    trace
        .lines()
        .map(|line| {
            line.trim_start_matches(|c: char| c.is_ascii_digit())
                .trim_start()
        })
        .filter(|call| {
            call.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with('('))
        })
        .count()
}

pub const PROCESS_SYSCALLS: [&str; 6] = ["execve", "execveat", "fork", "vfork", "clone", "clone3"];

/// Whether a line of an `strace -f -o` trace starts a process: `PID  fork(`, `vfork(`, `clone(` or `clone3(`
/// (not the `<... clone3 resumed>` line that completes one).
pub fn is_spawn(line: &str) -> bool {
    ["fork(", "vfork(", "clone(", "clone3("].iter().any(|c| {
        line.split_whitespace()
            .nth(1)
            .is_some_and(|w| w.starts_with(c))
    })
}

/// A command run under `strace -f` of [`PROCESS_SYSCALLS`], the trace written to `LABEL.strace` in `user`'s runtime
/// directory: `command` gets strace's argv (`strace … -o FILE`) to put in front of the traced program. The run, and
/// the trace's text.
pub fn traced(
    user: &TestUser,
    label: &str,
    command: impl FnOnce(&[&str]) -> Command,
) -> (Run, String) {
    let trace = user.xdg_runtime_dir.join(format!("{label}.strace"));
    let trace_arg = trace.display().to_string();
    let filter = format!("trace={}", PROCESS_SYSCALLS.join(","));
    let strace = ["strace", "-f", "-qq", "-e", &filter, "-o", &trace_arg];
    let run = Run::of(command(&strace));
    let text = fs::read_to_string(&trace)
        .unwrap_or_else(|err| panic!("no trace at {trace_arg} ({err})\n{run}"));
    (run, text)
}

/// The doctor with `args`, run as `user` with the live PATH, [`traced`].
pub fn traced_doctor(user: &TestUser, label: &str, args: &[&str]) -> (Run, String) {
    let bin = doctor_bin().to_str().expect("UTF-8 path").to_owned();
    traced(user, label, |strace| {
        let mut argv: Vec<&str> = strace[1..].to_vec();
        argv.push(&bin);
        argv.extend(args);
        user.command_with_path(PATH, Path::new(strace[0]), &argv)
    })
}

/// `preflight --format json` as `user` with `path` as PATH, [`traced`] with strace's `options` after its own (strace
/// takes the last `-e trace=`).
pub fn traced_preflight(
    user: &TestUser,
    label: &str,
    path: &str,
    options: &[&str],
) -> (Run, String) {
    let bin = doctor_bin().to_str().expect("UTF-8 path").to_owned();
    traced(user, label, |strace| {
        let mut argv: Vec<&str> = strace[1..].to_vec();
        argv.extend(options);
        argv.extend([bin.as_str(), "preflight", "--format", "json"]);
        user.command_with_path(path, Path::new(strace[0]), &argv)
    })
}

/// The finding `id` of a JSON report.
#[track_caller]
pub fn finding<'a>(doc: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["id"] == id)
        .unwrap_or_else(|| panic!("no finding {id} in {doc}"))
}

impl Run {
    /// stdout as JSON (`--format json`); anything else fails the test, showing the run.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("not JSON ({e})\n{self}"))
    }
}

/// Whether RootlessKit 1.1.0 lost its builtin port driver's race on a loaded machine (`true` exits while the
/// parent still talks to the child's `.bp.sock`; seen in CI runs in all three forms). The doctor's trial asks again
/// up to twice, and so do the tests that need a RootlessKit with that driver to succeed ([`retry_bp_sock_race`]).
pub fn bp_sock_race(stderr: &str) -> bool {
    stderr.lines().any(|l| {
        l.contains("/.bp.sock")
            && (l.contains("connection reset by peer")
                || l.contains("connect: no such file or directory")
                || l.contains("connect: connection refused"))
    })
}

/// Runs `attempt` until it does not fail with [`bp_sock_race`], three times at most, as the doctor's trial does.
pub fn retry_bp_sock_race<T>(
    mut attempt: impl FnMut() -> T,
    failed_stderr: impl Fn(&T) -> Option<&str>,
) -> T {
    let mut outcome = attempt();
    for _ in 0..2 {
        match failed_stderr(&outcome) {
            Some(stderr) if bp_sock_race(stderr) => outcome = attempt(),
            _ => break,
        }
    }
    outcome
}

/// The flags Debian 12's dockerd-rootless.sh (docker.io 20.10) gives RootlessKit with slirp4netns, as
/// `facts::launch` plans them, with `true` in place of the script.
pub const RK_20_10_FLAGS: &[&str] = &[
    "--net=slirp4netns",
    "--mtu=65520",
    "--slirp4netns-sandbox=auto",
    "--slirp4netns-seccomp=auto",
    "--disable-host-loopback",
    "--port-driver=builtin",
    "--copy-up=/etc",
    "--copy-up=/run",
    "--propagation=rslave",
    "true",
];

/// [`RK_20_10_FLAGS`] with another network driver, port driver and MTU.
pub fn rk_flags(net: &str, port: &str, mtu: &str) -> Vec<String> {
    RK_20_10_FLAGS
        .iter()
        .map(|f| match f.split_once('=') {
            Some(("--net", _)) => format!("--net={net}"),
            Some(("--port-driver", _)) => format!("--port-driver={port}"),
            Some(("--mtu", _)) => format!("--mtu={mtu}"),
            _ => (*f).to_owned(),
        })
        .collect()
}

/// A login's clean environment as the live tests give it to a user's command: HOME, USER, LOGNAME, PATH and
/// XDG_RUNTIME_DIR (callers add the rest).
pub fn login_env(name: &str, home: &str, path: &str, runtime_dir: &str) -> Vec<(String, String)> {
    [
        ("HOME", home),
        ("USER", name),
        ("LOGNAME", name),
        ("PATH", path),
        ("XDG_RUNTIME_DIR", runtime_dir),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// A scratch directory of one test's own, `PARENT/rd-TAG-PID-N` (a leftover of that name removed first), with
/// `mode`; removed with all below it on drop.
pub struct ScratchDir(pub PathBuf);

impl ScratchDir {
    pub fn new(parent: &str, tag: &str, mode: u32) -> ScratchDir {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let dir = PathBuf::from(format!("{parent}/rd-{tag}-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("create the scratch directory");
        fs::set_permissions(&dir, fs::Permissions::from_mode(mode))
            .expect("chmod the scratch directory");
        ScratchDir(dir)
    }

    /// `sub` below it (`""`: itself), as text.
    pub fn path(&self, sub: &str) -> String {
        self.0.join(sub).display().to_string()
    }

    /// `sub` below it (`""`: itself) created if missing, with `mode`, owned by `owner` (uid, gid).
    pub fn user_dir(&self, sub: &str, owner: (u32, u32), mode: u32) -> String {
        let d = self.0.join(sub);
        fs::create_dir_all(&d).expect("mkdir scratch");
        fs::set_permissions(&d, fs::Permissions::from_mode(mode)).expect("chmod scratch");
        std::os::unix::fs::chown(&d, Some(owner.0), Some(owner.1)).expect("chown scratch");
        d.display().to_string()
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// A private mount namespace held by `sleep` (the guard: dropping it kills the holder, and the namespace with its
/// mounts ends with its last process). Mount events do not propagate back to the host (`--propagation slave`).
/// [`MountNamespace::nested_userns`] holds a user namespace too, [`MountNamespace::network`] a network namespace
/// instead.
pub struct MountNamespace {
    holder: std::process::Child,
    /// nsenter's namespace flags for joining it: `-m`, or `-U -m` for [`MountNamespace::nested_userns`].
    join: &'static [&'static str],
}

impl MountNamespace {
    /// A new namespace, then each of `mounts` (an argv run inside it as root).
    pub fn new(mounts: &[&[&str]]) -> MountNamespace {
        let mut holder = Command::new("unshare");
        holder.args(["-m", "--propagation", "slave", "--", "sleep", "600"]);
        let ns = MountNamespace::hold(holder, &["-m"]);
        for argv in mounts {
            let out = ns.enter(argv).output().unwrap();
            assert!(out.status.success(), "{argv:?} in the namespace: {out:?}");
        }
        ns
    }

    /// A private mount namespace holding a user namespace that root made with `unshare --map-users=0,0,COUNT`
    /// (and the same for groups): the host's ids 0..COUNT exist inside, every other id does not, as in an
    /// unprivileged LXC container. newuidmap (run by `unshare` as root) accepts that map only when /etc/subuid and
    /// /etc/subgid grant it to root: `root_subid` (a root-owned file, `root:0:COUNT`) is bind-mounted over both for
    /// that step, and inside the user namespace (in a mount namespace of its own, which it may change) `user_subid`
    /// is bind-mounted on top, so the user's tools read the user's own ranges.
    pub fn nested_userns(count: u32, root_subid: &str, user_subid: &str) -> MountNamespace {
        let mut holder = Command::new("unshare");
        // "$1" and "$2" are the two files; the script is a constant.
        holder.args([
            "-m",
            "--propagation",
            "slave",
            "--",
            "sh",
            "-ec",
            "mount --bind \"$1\" /etc/subuid; mount --bind \"$1\" /etc/subgid; \
             exec unshare --map-users=0,0,$3 --map-groups=0,0,$3 --setuid 0 --setgid 0 -m -- \
             sh -ec 'mount --bind \"$0\" /etc/subuid; mount --bind \"$0\" /etc/subgid; exec sleep 600' \"$2\"",
            "sh",
            root_subid,
            user_subid,
            &count.to_string(),
        ]);
        let ns = MountNamespace::hold(holder, &["-U", "-m"]);
        let ours = fs::read_link("/proc/self/ns/user").unwrap();
        assert_ne!(
            fs::read_link(format!("/proc/{}/ns/user", ns.pid())).ok(),
            Some(ours),
            "the holder is not in a user namespace of its own"
        );
        ns
    }

    /// Starts `holder` (which ends by exec'ing `sleep`) and waits until it sleeps in a mount namespace of its own.
    fn hold(holder: Command, join: &'static [&'static str]) -> MountNamespace {
        MountNamespace::hold_kind(holder, join, "mnt")
    }

    /// A private network namespace (only `lo`, brought up), then each of `setup` run inside it as root (a
    /// `sysctl -w net.…` there changes that namespace alone). Joined with `nsenter -n`.
    pub fn network(setup: &[&[&str]]) -> MountNamespace {
        let mut holder = Command::new("unshare");
        holder.args(["-n", "--", "sleep", "600"]);
        let ns = MountNamespace::hold_kind(holder, &["-n"], "net");
        for argv in
            std::iter::once(&["ip", "link", "set", "lo", "up"][..]).chain(setup.iter().copied())
        {
            let out = ns.enter(argv).output().unwrap();
            assert!(out.status.success(), "{argv:?} in the namespace: {out:?}");
        }
        ns
    }

    /// Starts `holder` (which ends by exec'ing `sleep`) and waits until it sleeps in a `kind` namespace
    /// (`mnt`, `net`) of its own.
    fn hold_kind(mut holder: Command, join: &'static [&'static str], kind: &str) -> MountNamespace {
        use std::process::Stdio;
        use std::time::{Duration, Instant};
        let holder = holder.stdin(Stdio::null()).spawn().expect("unshare");
        let ns = MountNamespace { holder, join };
        // The namespace exists once the holder's namespace differs from ours and it runs sleep.
        let deadline = Instant::now() + Duration::from_secs(5);
        let ours = fs::read_link(format!("/proc/self/ns/{kind}")).unwrap();
        while fs::read_link(format!("/proc/{}/ns/{kind}", ns.pid()))
            .ok()
            .as_ref()
            == Some(&ours)
            || fs::read_link(format!("/proc/{}/exe", ns.pid()))
                .map(|e| !e.ends_with("sleep"))
                .unwrap_or(true)
        {
            assert!(
                Instant::now() < deadline,
                "unshare did not start sleep in a new {kind} namespace"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        ns
    }

    pub fn pid(&self) -> u32 {
        self.holder.id()
    }

    /// nsenter's flags for joining the namespaces (after `-t PID`).
    pub fn join(&self) -> &'static [&'static str] {
        self.join
    }

    /// `nsenter -t PID -m -- argv…` (`-U -m` for a nested user namespace, where root becomes its uid 0; nsenter
    /// execs argv, so the pid and process group are the program's).
    pub fn enter(&self, argv: &[&str]) -> Command {
        let mut cmd = Command::new("nsenter");
        cmd.args(["-t", &self.pid().to_string()])
            .args(self.join)
            .arg("--")
            .args(argv)
            .stdin(std::process::Stdio::null());
        cmd
    }
}

impl Drop for MountNamespace {
    fn drop(&mut self) {
        let _ = self.holder.kill();
        let _ = self.holder.wait();
    }
}

/// A client in a network namespace of its own, joined to the host by a veth pair: `host` on the host's end,
/// `client` on its own. Removed on drop.
pub struct VethClient {
    ns: MountNamespace,
    link: &'static str,
}

impl VethClient {
    pub fn new(link: &'static str, host: &str, client: &str) -> VethClient {
        let ns = MountNamespace::network(&[]);
        let pid = ns.pid().to_string();
        let peer = format!("{link}p");
        let c = VethClient { ns, link };
        for argv in [
            &[
                "ip", "link", "add", link, "type", "veth", "peer", "name", &peer, "netns", &pid,
            ][..],
            &["ip", "addr", "add", &format!("{host}/24"), "dev", link],
            &["ip", "link", "set", link, "up"],
        ] {
            let out = Command::new(argv[0]).args(&argv[1..]).output().unwrap();
            assert!(out.status.success(), "{argv:?}: {out:?}");
        }
        for argv in [
            &["ip", "addr", "add", &format!("{client}/24"), "dev", &peer][..],
            &["ip", "link", "set", &peer, "up"],
        ] {
            let out = c.ns.enter(argv).output().unwrap();
            assert!(
                out.status.success(),
                "{argv:?} in the client's namespace: {out:?}"
            );
        }
        c
    }

    /// What the server at `addr:port` answers, retried while the port comes up.
    pub fn ask(&self, addr: &str, port: &str) -> String {
        for _ in 0..30 {
            let out = self
                .ns
                .enter(&["sh", "-c", &format!("sleep 2 | busybox nc {addr} {port}")])
                .output()
                .unwrap();
            let seen = String::from_utf8_lossy(&out.stdout).into_owned();
            if !seen.trim().is_empty() {
                return seen;
            }
            std::thread::sleep(std::time::Duration::from_millis(500));
        }
        String::new()
    }
}

impl Drop for VethClient {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["link", "del", self.link]).output();
    }
}

/// `docker` arguments that run the image `peer` (busybox) publishing `port` as `echopeer`: it answers each
/// connection with its own netstat line for it, the peer address the container sees.
pub fn echo_peer_run(port: &str) -> Vec<String> {
    let mut args: Vec<String> = ["run", "-d", "--name", "echopeer", "-p"]
        .map(str::to_owned)
        .to_vec();
    args.push(format!("{port}:80"));
    args.extend(
        [
            "peer",
            "nc",
            "-ll",
            "-p",
            "80",
            "-e",
            "sh",
            "-c",
            "netstat -tn | grep ':80 .*ESTABLISHED'",
        ]
        .map(str::to_owned),
    );
    args
}

/// The environment a `net --format json` document's settings give dockerd-rootless.sh, as pairs.
pub fn net_settings(doc: &serde_json::Value) -> Vec<(String, String)> {
    doc["settings"]["environment"]
        .as_array()
        .unwrap_or_else(|| panic!("no settings in {doc}"))
        .iter()
        .map(|kv| {
            (
                kv[0].as_str().unwrap().to_owned(),
                kv[1].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Restores a file (or its absence) when dropped, also when the test fails.
pub struct FileGuard {
    path: PathBuf,
    saved: Option<Vec<u8>>,
}

impl FileGuard {
    pub fn save(path: impl AsRef<Path>) -> FileGuard {
        let path = path.as_ref().to_path_buf();
        let saved = fs::read(&path).ok();
        FileGuard { path, saved }
    }
}

impl Drop for FileGuard {
    fn drop(&mut self) {
        match &self.saved {
            Some(b) => {
                let _ = fs::write(&self.path, b);
            }
            None => {
                let _ = fs::remove_file(&self.path);
            }
        }
    }
}
