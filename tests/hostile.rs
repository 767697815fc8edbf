//! Live tier: root's run over a hostile user's files (issue 9's audit, one regression test per finding).
//!
//! The hostile account (`rdtest-mallory`, made by `cargo xtask setup`) plants what any unprivileged user can:
//! symlinks into root-only files, FIFOs, devices, a socket that trickles, expansion bombs, escape sequences.
//! Root then runs the doctor for that user, under a memory limit and a deadline of the test's own, and each test
//! asserts that no secret (a root-owned 0600 file the test made) reaches stdout or stderr, that the run ends in
//! bounded time and memory, and that the finding names the problem.
//!
//! Needs root and the live tier (`ROOTLESS_DOCTOR_LIVE=1` or `CI`; `cargo xtask test --tier live` runs it as root):
//! outside it each test says why it skipped and passes, inside it a missing user or tool fails the test.

#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    clippy::print_stderr,
    clippy::print_stdout
)]

#[path = "support/live.rs"]
#[allow(dead_code)]
mod support;

use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::{PermissionsExt, symlink};
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use support::Need;

/// Each run of the doctor must end within this, whatever the user planted (the API deadline is 3 s).
const DEADLINE: Duration = Duration::from_secs(10);
/// The address-space limit root's run gets: a 4 GB allocation must fail the test, not the machine.
const MEMORY_LIMIT: &str = "--as=1073741824";

/// The hostile user, with a clean home, and root's secrets; `None` (after a skip line) outside the live tier.
struct Scene {
    _live: support::Live,
    user: testkit::Account,
    /// Root-owned 0755 directory of root-only (0600) secret files.
    secrets: PathBuf,
    /// The marker every secret holds; it must never be printed.
    secret: String,
}

fn scene() -> Option<Scene> {
    let name = testkit::live::hostile_user();
    let live = support::start(&[
        Need::Root,
        Need::User(name.clone()),
        Need::Program("prlimit"),
        Need::Program("strace"),
        Need::Program("setpriv"),
        Need::Program("mkfifo"),
        Need::Program("mknod"),
        Need::Program("sha256sum"),
    ])?;
    let user = testkit::account(&name).unwrap_or_else(|err| panic!("{err}"));
    for dir in [".docker", ".config"] {
        let _ = fs::remove_dir_all(user.home.join(dir));
    }
    let secrets = PathBuf::from(format!("/tmp/rd-hostile-secrets-{}", std::process::id()));
    let _ = fs::remove_dir_all(&secrets);
    fs::create_dir(&secrets).unwrap();
    fs::set_permissions(&secrets, fs::Permissions::from_mode(0o755)).unwrap();
    let secret = format!("ROOTSECRET{}x{}", std::process::id(), line!());
    Some(Scene {
        _live: live,
        user,
        secrets,
        secret,
    })
}

impl Drop for Scene {
    fn drop(&mut self) {
        for dir in [".docker", ".config"] {
            let _ = fs::remove_dir_all(self.user.home.join(dir));
        }
        let _ = fs::remove_dir_all(&self.secrets);
        let _ = fs::remove_dir_all(format!("/run/user/{}", self.user.uid));
    }
}

impl Scene {
    /// A root-only (0600, root-owned) file holding the secret.
    fn secret_file(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.secrets.join(name);
        fs::write(&path, contents.replace("SECRET", &self.secret)).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        path
    }

    /// `rel` under the user's home, parents made and everything handed to the user, as if they had made it.
    fn home_path(&self, rel: &str) -> PathBuf {
        let path = self.user.home.join(rel);
        let mut dir = path.parent().unwrap().to_path_buf();
        fs::create_dir_all(&dir).unwrap();
        while dir != self.user.home {
            self.give(&dir);
            dir = dir.parent().unwrap().to_path_buf();
        }
        let _ = fs::remove_file(&path);
        path
    }

    fn give(&self, path: &Path) {
        std::os::unix::fs::lchown(path, Some(self.user.uid), Some(self.user.gid)).unwrap();
    }

    fn plant_file(&self, rel: &str, contents: &str) -> PathBuf {
        let path = self.home_path(rel);
        fs::write(&path, contents).unwrap();
        self.give(&path);
        path
    }

    fn plant_link(&self, rel: &str, target: &Path) -> PathBuf {
        let path = self.home_path(rel);
        symlink(target, &path).unwrap();
        self.give(&path);
        path
    }

    fn plant_fifo(&self, rel: &str) -> PathBuf {
        let path = self.home_path(rel);
        let status = Command::new("mkfifo").arg(&path).status().unwrap();
        assert!(status.success());
        self.give(&path);
        path
    }

    /// A docker context `name` whose endpoint is the Unix socket `socket`, made the user's current context.
    fn plant_context(&self, name: &str, socket: &Path) {
        let digest = sha256_hex(name);
        self.plant_file(
            ".docker/config.json",
            &format!(r#"{{"currentContext": "{name}"}}"#),
        );
        self.plant_file(
            &format!(".docker/contexts/meta/{digest}/meta.json"),
            &format!(
                r#"{{"Name":"{name}","Metadata":{{}},"Endpoints":{{"docker":{{"Host":"unix://{}","SkipTLSVerify":false}}}}}}"#,
                socket.display()
            ),
        );
    }

    /// The user's runtime directory as pam_systemd makes it: /run/user/UID, 0700, theirs.
    fn runtime_dir(&self) -> PathBuf {
        let dir = PathBuf::from(format!("/run/user/{}", self.user.uid));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).unwrap();
        self.give(&dir);
        dir
    }

    /// Root's run for the hostile user: `rootless-doctor ARGS --user NAME`, bounded in time and memory.
    fn doctor(&self, args: &[&str]) -> Bounded {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--user", &self.user.name]);
        run_bounded(&all, &[])
    }

    /// Root's run (see [`Scene::doctor`]), asserted to end with a verdict and to print nothing of the secret.
    fn doctor_keeping_secrets(&self, args: &[&str]) -> Bounded {
        let run = self.doctor(args);
        self.assert_no_secret(&run);
        run.assert_verdict();
        run
    }

    /// Asserts nothing of the secret got out.
    fn assert_no_secret(&self, run: &Bounded) {
        assert!(
            !run.stdout.contains(&self.secret) && !run.stderr.contains(&self.secret),
            "root's run printed a root-only secret\n{run}"
        );
    }
}

/// A finished run: it ended by itself within [`DEADLINE`] (else the test failed already).
struct Bounded {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    took: Duration,
    shown: String,
}

impl std::fmt::Display for Bounded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "command: {}\nexit: {:?} after {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.shown, self.code, self.took, self.stdout, self.stderr
        )
    }
}

impl Bounded {
    /// Exit 0 or 1: a verdict, not a usage error (2), an abort or a kill.
    fn assert_verdict(&self) {
        assert!(
            matches!(self.code, Some(0 | 1)),
            "root's run must end with a verdict (exit 0 or 1)\n{self}"
        );
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e})\n{self}"))
    }

    /// The finding `id` of a JSON run, as text (summary and evidence), for assertions.
    fn finding(&self, id: &str) -> String {
        let doc = self.json();
        let f = doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["id"] == id)
            .unwrap_or_else(|| panic!("no finding {id}\n{self}"));
        f.to_string()
    }
}

/// Runs the doctor as root under `prlimit`, killing it at [`DEADLINE`] (which fails the test).
fn run_bounded(args: &[&str], env: &[(&str, &str)]) -> Bounded {
    let mut command = Command::new("prlimit");
    command
        .arg(MEMORY_LIMIT)
        .arg("--")
        .arg(support::doctor_bin())
        .args(args)
        .env_clear()
        .env("PATH", support::PATH)
        .env("HOME", "/root")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let shown = format!("{command:?}");
    let start = Instant::now();
    let mut child = command.spawn().expect("spawn prlimit");
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out_thread = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = out.read_to_end(&mut s);
        s
    });
    let err_thread = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = err.read_to_end(&mut s);
        s
    });
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!("root's run did not end within {DEADLINE:?}: {shown}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let took = start.elapsed();
    Bounded {
        code: status.code(),
        stdout: String::from_utf8_lossy(&out_thread.join().unwrap()).into_owned(),
        stderr: String::from_utf8_lossy(&err_thread.join().unwrap()).into_owned(),
        took,
        shown,
    }
}

/// A root-owned socket server on its own thread, answering each connection with `answer(stream)`.
struct Server {
    stop: Arc<AtomicBool>,
    path: PathBuf,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    fn start(
        path: &Path,
        mode: u32,
        answer: fn(std::os::unix::net::UnixStream, &str),
        secret: &str,
    ) -> Server {
        let _ = fs::remove_file(path);
        let listener = UnixListener::bind(path).unwrap();
        fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let secret = secret.to_owned();
        let thread = std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        stream.set_nonblocking(false).unwrap();
                        let secret = secret.clone();
                        std::thread::spawn(move || answer(stream, &secret));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        Server {
            stop,
            path: path.to_owned(),
            thread: Some(thread),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let _ = fs::remove_file(&self.path);
    }
}

/// Answers `/_ping` at once, with the secret in the body (what a root-only socket must never show the user).
fn answer_secret(mut stream: std::os::unix::net::UnixStream, secret: &str) {
    let mut buf = [0u8; 4096];
    let _ = stream.read(&mut buf);
    let body = format!("OK {secret}");
    let _ = write!(
        stream,
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nApi-Version: 1.41\r\n\r\n{body}",
        body.len()
    );
}

/// Answers `/_ping` with a plain `OK`.
fn answer_ok(stream: std::os::unix::net::UnixStream, _: &str) {
    answer_secret(stream, "");
}

/// Sends one byte every 2 s, forever: a per-read timeout never fires.
fn answer_trickle(mut stream: std::os::unix::net::UnixStream, _: &str) {
    let mut buf = [0u8; 4096];
    let _ = stream.read(&mut buf);
    for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n"
        .iter()
        .cycle()
    {
        if stream.write_all(&[*byte]).is_err() {
            return;
        }
        std::thread::sleep(Duration::from_secs(2));
    }
}

// --- finding 1: root-only data reaches the output -------------------------------------------------------

#[test]
fn regression_user_unit_config_file_names_root_only_json() {
    let Some(s) = scene() else { return };
    let json = s.secret_file(
        "daemon.json",
        r#"{"data-root": "/SECRET", "hosts": ["unix:///SECRET"], "debug": true, "labels": ["SECRET"], "tls": true}"#,
    );
    s.plant_file(
        ".config/systemd/user/docker.service",
        &format!(
            "[Service]\nExecStart=/usr/bin/dockerd --config-file={} --data-root=/x -H unix:///y --debug=false --label=x --tls=false\n",
            json.display()
        ),
    );
    let run = s.doctor_keeping_secrets(&["check", "--format", "json"]);
    let config = run.finding("daemon.config");
    assert!(
        config.contains("permission denied"),
        "daemon.config must say the user cannot read the file the unit names\n{run}"
    );
}

#[test]
fn regression_environment_file_root_only_not_expanded() {
    let Some(s) = scene() else { return };
    let env = s.secret_file("env", "TOKEN=SECRET\n");
    s.plant_file(
        ".config/systemd/user/docker.service",
        &format!(
            "[Service]\nEnvironmentFile={}\nEnvironmentFile=/proc/1/environ\nExecStart=/usr/bin/dockerd --label=${{TOKEN}} --label=${{PATH}}\n",
            env.display()
        ),
    );
    let run = s.doctor_keeping_secrets(&["check", "--format", "json"]);
    // PID 1's environment is root's: its PATH must not appear expanded either.
    let pid1 = fs::read("/proc/1/environ").unwrap_or_default();
    for var in pid1.split(|&b| b == 0) {
        let var = String::from_utf8_lossy(var);
        if let Some(value) = var.strip_prefix("PATH=")
            && value.len() > 8
        {
            assert!(
                !run.stdout.contains(&format!("--label={value}")),
                "PID 1's environment reached the output\n{run}"
            );
        }
    }
}

#[test]
fn regression_docker_config_symlink_to_root_only_json() {
    let Some(s) = scene() else { return };
    let json = s.secret_file(
        "config.json",
        r#"{"currentContext": "SECRET", "auths": {"SECRET": {"auth": "SECRET"}}}"#,
    );
    s.plant_link(".docker/config.json", &json);
    let run = s.doctor_keeping_secrets(&["check", "--format", "json"]);
    let endpoint = run.finding("client.endpoint");
    assert!(
        endpoint.contains("permission denied"),
        "client.endpoint must say the user cannot read their config.json\n{run}"
    );
}

#[test]
fn regression_daemon_json_symlink_to_root_only_json() {
    let Some(s) = scene() else { return };
    let json = s.secret_file(
        "daemon.json",
        r#"{"data-root": "/SECRET", "hosts": ["unix:///SECRET"], "storage-driver": "SECRET"}"#,
    );
    s.plant_link(".config/docker/daemon.json", &json);
    let run = s.doctor_keeping_secrets(&["check", "--format", "json"]);
    assert!(
        run.stdout.contains("permission denied"),
        "a finding must say the user cannot read their daemon.json\n{run}"
    );
}

#[test]
fn regression_root_only_file_existence_not_told() {
    let Some(s) = scene() else { return };
    // /root is 0700: the user cannot tell /root/.profile (there) from /root/no-such-file (not there).
    assert!(Path::new("/root/.profile").exists() || Path::new("/root/.bashrc").exists());
    let existing = if Path::new("/root/.profile").exists() {
        "/root/.profile"
    } else {
        "/root/.bashrc"
    };
    let mut outputs = Vec::new();
    for target in [existing, "/root/rd-no-such-file"] {
        s.plant_link(".config/docker/daemon.json", Path::new(target));
        let run = s.doctor(&["check", "--format", "json", "--only", "storage,daemon"]);
        run.assert_verdict();
        outputs.push(run.stdout.replace(target, "TARGET"));
    }
    assert_eq!(
        outputs[0], outputs[1],
        "root's run must answer alike for an existing and a missing root-only file"
    );
}

// --- finding 2: hangs and memory ------------------------------------------------------------------------

#[test]
fn regression_fifo_daemon_json_does_not_hang() {
    let Some(s) = scene() else { return };
    s.plant_fifo(".config/docker/daemon.json");
    let run = s.doctor(&["check", "--format", "json"]);
    run.assert_verdict();
    assert!(
        run.stdout.contains("fifo, not a regular file"),
        "the FIFO must be named\n{run}"
    );
}

#[test]
fn regression_fifo_docker_config_does_not_hang() {
    let Some(s) = scene() else { return };
    s.plant_fifo(".docker/config.json");
    let run = s.doctor(&["check", "--format", "json"]);
    run.assert_verdict();
    assert!(
        run.finding("client.endpoint")
            .contains("fifo, not a regular file"),
        "client.endpoint must name the FIFO\n{run}"
    );
}

#[test]
fn regression_dev_zero_and_urandom_are_not_read() {
    let Some(s) = scene() else { return };
    for device in ["/dev/zero", "/dev/urandom"] {
        s.plant_link(".config/docker/daemon.json", Path::new(device));
        s.plant_link(".docker/config.json", Path::new(device));
        let run = s.doctor(&["check", "--format", "json"]);
        run.assert_verdict();
        assert!(
            run.stdout.contains("character device, not a regular file"),
            "{device} must be named as a device\n{run}"
        );
        assert!(run.took < Duration::from_secs(5), "{run}");
    }
}

#[test]
fn regression_trickling_docker_sock_ends_at_the_deadline() {
    let Some(s) = scene() else { return };
    let dir = s.runtime_dir();
    let sock = dir.join("docker.sock");
    let _server = Server::start(&sock, 0o660, answer_trickle, &s.secret);
    s.give(&sock);
    let run = s.doctor(&["check", "--format", "json", "--only", "client,daemon"]);
    run.assert_verdict();
    assert!(
        run.took < Duration::from_secs(8),
        "the API deadline is 3 s for a whole exchange\n{run}"
    );
    assert!(
        run.stdout.contains("within 3 s"),
        "the finding must say the daemon did not answer in time\n{run}"
    );
}

/// Answers `/_ping` with `OK`, and every other request with 200 and 15 MiB of JSON (under the 16 MiB an exchange
/// may bring): an array of numbers costs some eighty times its text once parsed.
fn answer_huge_json(mut stream: std::os::unix::net::UnixStream, _: &str) {
    let mut buf = [0u8; 4096];
    let n = stream.read(&mut buf).unwrap_or(0);
    let body = if String::from_utf8_lossy(&buf[..n]).starts_with("GET /_ping") {
        "OK".to_owned()
    } else {
        let mut body = String::from(r#"{"SecurityOptions":["name=rootless"],"Warnings":["#);
        while body.len() < 15 * 1024 * 1024 {
            body.push_str("0,");
        }
        body.push_str("0]}");
        body
    };
    let _ = write!(
        stream,
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nApi-Version: 1.41\r\n\r\n{body}",
        body.len()
    );
}

/// Regression (hostile-user review): a user's docker.sock answering `/info` with 15 MiB of JSON made root's run
/// hold over a gigabyte (a parsed value costs up to eighty times its text), and under a 1 GiB limit the run aborted
/// with no report for anyone. An API answer is parsed only up to 1 MiB.
#[test]
fn regression_huge_api_answer_is_not_parsed() {
    let Some(s) = scene() else { return };
    let sock = s.runtime_dir().join("docker.sock");
    let _server = Server::start(&sock, 0o600, answer_huge_json, &s.secret);
    s.give(&sock);
    let run = s.doctor(&["check", "--format", "json", "--only", "daemon"]);
    run.assert_verdict();
    assert!(
        run.stdout
            .contains("over the 1 MiB an API answer is read up to"),
        "the answer must be refused by its size\n{run}"
    );
}

#[test]
fn regression_expansion_bomb_unit_stays_bounded() {
    let Some(s) = scene() else { return };
    // 1 MB of A (under the 1 MiB an environment file may hold), then a 16 KB unit that names it 4,000 times: 4 GB if
    // expanded without a cap.
    let env = s.plant_file(
        ".config/docker-env",
        &format!("A={}\n", "x".repeat(1_000_000)),
    );
    s.plant_file(
        ".config/systemd/user/docker.service",
        &format!(
            "[Service]\nEnvironmentFile={}\nExecStart=/usr/bin/dockerd --label={}\n",
            env.display(),
            "${A}".repeat(4000)
        ),
    );
    let run = s.doctor(&["check", "--format", "json", "--only", "daemon"]);
    run.assert_verdict();
    assert!(
        run.stdout.contains("expansion exceeds"),
        "daemon.config must say the expansion was cut, naming the unit\n{run}"
    );
    assert!(
        run.stdout.len() < 1024 * 1024,
        "{} bytes of output",
        run.stdout.len()
    );
}

// --- finding 3: terminal injection ----------------------------------------------------------------------

/// Regression (hostile-user audit, issue 15): after a command line was refused for expanding past the cap, each of
/// its variable words was expanded again on its own to look for -H, copying the value each time: 150,000 words of a
/// 900 KB variable would copy 270 GB, and 20,000 of a 16 MB one ran for minutes. An environment file over 1 MiB is
/// now not read at all.
#[test]
fn regression_variable_words_expanded_again_after_the_cap() {
    let Some(s) = scene() else { return };
    let env = s.plant_file(
        ".config/docker-env",
        &format!("A={}\n", "x".repeat(900 * 1024)),
    );
    s.plant_file(
        ".config/systemd/user/docker.service",
        &format!(
            "[Service]\nEnvironmentFile={}\nExecStart=/usr/bin/dockerd-rootless.sh{}\n",
            env.display(),
            " ${A}".repeat(150_000)
        ),
    );
    let run = s.doctor_keeping_secrets(&["check", "--format", "json", "--only", "daemon"]);
    assert!(
        run.finding("daemon.config").contains("expansion exceeds"),
        "daemon.config must say the expansion was cut, naming the unit\n{run}"
    );
    // 16 MB: more than any environment file; named, not read.
    s.plant_file(
        ".config/docker-env",
        &format!("A={}\n", "x".repeat(16 << 20)),
    );
    let run = s.doctor_keeping_secrets(&["check", "--format", "json", "--only", "daemon"]);
    let finding = run.finding("daemon.config");
    assert!(
        finding.contains(&format!(
            "EnvironmentFile={}: the unit's environment files hold more than 1 MiB with this one: not read",
            env.display()
        )),
        "daemon.config must name the environment file it did not read\n{run}"
    );
    // And the run over every account ends too.
    let all = run_bounded(&["check", "--all-users", "--only", "daemon"], &[]);
    all.assert_verdict();
}

/// Regression (hostile-user audit, issue 15): a user unit's drop-ins had no limit but each file's 64 MiB, and parsing
/// three of 64 MiB took 8.7 GB. A unit's files together may hold 1 MiB; past it the unit is not parsed.
#[test]
fn regression_huge_drop_ins_are_not_parsed() {
    let Some(s) = scene() else { return };
    s.plant_file(
        ".config/systemd/user/docker.service",
        "[Service]\nExecStart=/usr/bin/dockerd-rootless.sh\n",
    );
    let body = format!("[Service]\n{}", "E=1\n".repeat(5 << 20));
    for name in ["0.conf", "1.conf", "2.conf"] {
        s.plant_file(
            &format!(".config/systemd/user/docker.service.d/{name}"),
            &body,
        );
    }
    // Within the tier's 1 GB of address space, which parsing them took many times over; the fixture tier's
    // regression_huge_drop_ins_are_named_not_parsed shows the finding a host with systemd gets.
    s.doctor_keeping_secrets(&["check", "--format", "json"]);
    let all = run_bounded(&["preflight", "--all-users"], &[]);
    all.assert_verdict();
}

/// Regression (hostile-user audit, issue 15): 60 MB of `[],` as daemon.json took 1.5 GB and 8 s of root's run, in four
/// parses; a user's JSON configuration past 1 MiB is now named, not read.
#[test]
fn regression_huge_daemon_json_is_not_parsed() {
    let Some(s) = scene() else { return };
    s.plant_file(
        ".config/docker/daemon.json",
        &format!("[{}[]]", "[],".repeat(20_000_000)),
    );
    let run = s.doctor_keeping_secrets(&["check", "--format", "json"]);
    assert!(
        run.finding("daemon.config")
            .contains("larger than 1 MiB: not read"),
        "daemon.config must say the file was not read\n{run}"
    );
    run_bounded(&["check", "--all-users"], &[]).assert_verdict();
}

#[test]
fn regression_terminal_injection_context_name_in_root_run() {
    let Some(s) = scene() else { return };
    // Cursor up and erase line (hides the ✗ above), then OSC 52 (writes the clipboard).
    let name = "x\u{1b}[1A\u{1b}[2K\r\u{1b}]52;c;ZWNobyBwd25lZA==\u{7}";
    s.plant_file(
        ".docker/config.json",
        &serde_json::json!({ "currentContext": name }).to_string(),
    );
    let run = s.doctor(&["check", "--color", "never", "--only", "client"]);
    run.assert_verdict();
    assert!(
        !run.stdout.contains('\u{1b}')
            && !run.stdout.contains('\r')
            && !run.stdout.contains('\u{7}'),
        "control characters reached the terminal: {:?}",
        run.stdout
    );
    assert!(
        run.stdout.contains("\\e[1A"),
        "the escape must be shown, visibly\n{run}"
    );
}

// --- finding 4: root connects to sockets the user names ---------------------------------------------------

#[test]
fn regression_context_naming_root_only_socket_not_asked() {
    let Some(s) = scene() else { return };
    let sock = s.secrets.join("root.sock");
    let _server = Server::start(&sock, 0o600, answer_secret, &s.secret);
    s.plant_context("evil", &sock);
    let run = s.doctor_keeping_secrets(&["check", "--format", "json", "--only", "client"]);
    let socket = run.finding("client.socket");
    assert!(
        socket.contains("permission denied") && socket.contains("\"fail\""),
        "the user cannot connect there, so neither may root's run\n{run}"
    );
}

/// The effective uid and gid of every client [`answer_peer`] served, by the path of its socket.
static PEERS: std::sync::Mutex<Vec<(String, u32, u32)>> = std::sync::Mutex::new(Vec::new());

/// Notes who connected (`SO_PEERCRED`: the client's effective ids at connect), then answers `/_ping` with `OK`.
fn answer_peer(stream: std::os::unix::net::UnixStream, socket: &str) {
    let cred =
        nix::sys::socket::getsockopt(&stream, nix::sys::socket::sockopt::PeerCredentials).unwrap();
    PEERS
        .lock()
        .unwrap()
        .push((socket.to_owned(), cred.uid(), cred.gid()));
    answer_secret(stream, "");
}

#[test]
fn regression_users_socket_saw_root_connect() {
    let Some(s) = scene() else { return };
    // A socket the user may reach (0666) and whose server is root's, which root's run accepts: only who the
    // server is told connected is judged here.
    let sock = s.secrets.join("peer.sock");
    let key = sock.display().to_string();
    let _server = Server::start(&sock, 0o666, answer_peer, &key);
    s.plant_context("peer", &sock);
    let run = s.doctor_keeping_secrets(&["check", "--format", "json", "--only", "client"]);
    let seen: Vec<(u32, u32)> = PEERS
        .lock()
        .unwrap()
        .iter()
        .filter(|(k, _, _)| *k == key)
        .map(|&(_, uid, gid)| (uid, gid))
        .collect();
    assert!(
        !seen.is_empty(),
        "root's run never connected to the user's context socket\n{run}"
    );
    assert!(
        seen.iter().all(|&p| p == (s.user.uid, s.user.gid)),
        "the server must be told the user connected (uid {}, gid {}), not root: {seen:?}\n{run}",
        s.user.uid,
        s.user.gid
    );
    // Root's identity came back after the connection (a failed restore aborts, and the run ended with a verdict):
    // the socket's finding is the answer it got.
    assert!(run.finding("client.socket").contains("\"pass\""), "{run}");
}

#[test]
fn regression_rootlesskit_state_dir_from_user_process_not_asked() {
    let Some(s) = scene() else { return };
    let state = s.secrets.join("state");
    fs::create_dir(&state).unwrap();
    fs::set_permissions(&state, fs::Permissions::from_mode(0o700)).unwrap();
    let _server = Server::start(&state.join("api.sock"), 0o600, answer_secret, &s.secret);
    // A process of the user's called dockerd whose environment names root's directory.
    let bin = s.user.home.join("dockerd");
    fs::copy("/bin/sleep", &bin).unwrap();
    s.give(&bin);
    // setpriv execs (no child of its own), so killing it ends the fake dockerd.
    let mut child = testkit::exec_as(&s.user, false)
        .args(["--", "env"])
        .arg(format!("ROOTLESSKIT_STATE_DIR={}", state.display()))
        .arg(&bin)
        .arg("60")
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let run = s.doctor(&["check", "--format", "json", "--only", "rootlesskit"]);
    let _ = child.kill();
    let _ = child.wait();
    let _ = fs::remove_file(&bin);
    s.assert_no_secret(&run);
    run.assert_verdict();
    assert!(
        run.stdout.contains("permission denied"),
        "RootlessKit's API must be asked as the user, who cannot reach root's socket\n{run}"
    );
}

// --- finding 5 and 6: --root trees ----------------------------------------------------------------------

/// Root's `preflight --format json` of the tree's user `tree`.
fn preflight_tree(tree: &Path) -> Bounded {
    run_bounded(
        &[
            "preflight",
            "--root",
            tree.to_str().unwrap(),
            "--user",
            "tree",
            "--format",
            "json",
        ],
        &[],
    )
}

/// A minimal tree: os-release, passwd and subid files for a user `tree`.
fn make_tree(dir: &Path) {
    fs::create_dir_all(dir.join("etc")).unwrap();
    fs::write(
        dir.join("etc/os-release"),
        "ID=debian\nVERSION_ID=\"12\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n",
    )
    .unwrap();
    fs::write(
        dir.join("etc/passwd"),
        "root:x:0:0:root:/root:/bin/bash\ntree:x:1000:1000:Tree:/home/tree:/bin/bash\n",
    )
    .unwrap();
    fs::write(dir.join("etc/group"), "root:x:0:\ntree:x:1000:\n").unwrap();
    fs::write(dir.join("etc/subuid"), "tree:100000:65536\n").unwrap();
    fs::write(dir.join("etc/subgid"), "tree:100000:65536\n").unwrap();
}

#[test]
fn regression_root_tree_fifo_and_device_are_not_read() {
    let Some(_s) = scene() else { return };
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path();
    make_tree(tree);
    fs::remove_file(tree.join("etc/subuid")).unwrap();
    assert!(
        Command::new("mkfifo")
            .arg(tree.join("etc/subuid"))
            .status()
            .unwrap()
            .success()
    );
    fs::create_dir_all(tree.join("dev")).unwrap();
    assert!(
        Command::new("mknod")
            .arg(tree.join("dev/zero"))
            .args(["c", "1", "5"])
            .status()
            .unwrap()
            .success()
    );
    // Inside the tree, /dev/zero is the tree's own device node.
    fs::remove_file(tree.join("etc/os-release")).unwrap();
    symlink("/dev/zero", tree.join("etc/os-release")).unwrap();
    fs::remove_file(tree.join("etc/subgid")).unwrap();
    symlink("/dev/zero", tree.join("etc/subgid")).unwrap();
    let run = preflight_tree(tree);
    run.assert_verdict();
    assert!(
        run.stdout.contains("fifo, not a regular file")
            && run.stdout.contains("character device, not a regular file"),
        "both must be named\n{run}"
    );
    // Copying a device over the link (the fix for a symlinked file) would never end.
    assert!(
        !run.stdout.contains("--remove-destination"),
        "a symlink to a device is removed, not copied\n{run}"
    );
}

#[test]
fn regression_latin1_gecos_of_another_account_does_not_stop_the_run() {
    let Some(_s) = scene() else { return };
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path();
    make_tree(tree);
    let mut passwd = fs::read(tree.join("etc/passwd")).unwrap();
    passwd.extend_from_slice(b"bob:x:1001:1001:Bj\xf6rn:/home/bob:/bin/bash\n");
    fs::write(tree.join("etc/passwd"), passwd).unwrap();
    let run = preflight_tree(tree);
    run.assert_verdict();
    assert_eq!(run.json()["host"]["user"]["name"], "tree", "{run}");
}

#[test]
fn regression_root_tree_symlink_swap_cannot_escape() {
    let Some(_s) = scene() else { return };
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    make_tree(&tree);
    // Outside the tree: an os-release with a marker, reachable by the relative link ../outside/etc.
    let outside = dir.path().join("outside/etc");
    fs::create_dir_all(&outside).unwrap();
    fs::write(
        outside.join("os-release"),
        "ID=debian\nPRETTY_NAME=\"OUTSIDE-THE-TREE\"\n",
    )
    .unwrap();
    fs::rename(tree.join("etc"), tree.join("etc.real")).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let swap_tree = tree.clone();
    let swapper = std::thread::spawn(move || {
        let etc = swap_tree.join("etc");
        let mut swaps = 0u64;
        while !flag.load(Ordering::Relaxed) {
            // A directory, then a symlink that leads out if followed by a path open outside the kernel's care.
            let _ = symlink("etc.real", &etc);
            let _ = fs::remove_file(&etc);
            let _ = symlink("../outside/etc", &etc);
            let _ = fs::remove_file(&etc);
            swaps += 1;
        }
        swaps
    });
    let runs = 3000;
    let mut escaped = 0;
    for _ in 0..runs {
        let run = run_bounded(
            &[
                "preflight",
                "--root",
                tree.to_str().unwrap(),
                "--user",
                "tree",
                "--only",
                "distro",
                "--format",
                "json",
            ],
            &[],
        );
        if run.stdout.contains("OUTSIDE-THE-TREE") {
            escaped += 1;
        }
    }
    stop.store(true, Ordering::Relaxed);
    let swaps = swapper.join().unwrap();
    assert!(swaps > 1000, "the swapper must really race ({swaps} swaps)");
    assert_eq!(
        escaped, 0,
        "{escaped} of {runs} runs read a file outside the --root tree"
    );
}

// --- strace: what root's run opens and connects to as whom -----------------------------------------------

#[test]
fn root_run_opens_user_paths_only_with_the_users_fsuid() {
    let Some(s) = scene() else { return };
    let json = s.secret_file("daemon.json", r#"{"data-root": "/SECRET"}"#);
    s.plant_link(".config/docker/daemon.json", &json);
    s.plant_file(".docker/config.json", r#"{"currentContext": "default"}"#);
    s.plant_file(
        ".config/systemd/user/docker.service",
        &format!(
            "[Service]\nEnvironmentFile={}\nExecStart=/usr/bin/dockerd --config-file={}\n",
            json.display(),
            json.display()
        ),
    );
    let dir = s.runtime_dir();
    let sock = dir.join("docker.sock");
    let _server = Server::start(&sock, 0o660, answer_ok, &s.secret);
    s.give(&sock);
    let trace = tempfile::NamedTempFile::new().unwrap();
    let out = Command::new("strace")
        .args(["-f", "-qq", "-o"])
        .arg(trace.path())
        .args([
            "-e",
            "trace=setfsuid,openat,openat2,open,connect,newfstatat,statx,readlink,readlinkat",
        ])
        .arg(support::doctor_bin())
        .args(["check", "--format", "json", "--user", &s.user.name])
        .env_clear()
        .env("PATH", support::PATH)
        .env("HOME", "/root")
        .stdin(Stdio::null())
        .output()
        .expect("strace (installed by `cargo xtask setup`)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains(&s.secret), "{stdout}");
    let trace = fs::read_to_string(trace.path()).unwrap();
    let user_places = [
        s.user.home.display().to_string(),
        dir.display().to_string(),
        s.secrets.display().to_string(),
    ];
    let mut fsuid = 0u32;
    let mut as_user = 0;
    for line in trace.lines() {
        let call = line
            .trim_start_matches(|c: char| c.is_ascii_digit())
            .trim_start();
        if let Some(rest) = call.strip_prefix("setfsuid(") {
            // `setfsuid(1003) = 0`: the argument is the fsuid from now on.
            fsuid = rest
                .split(')')
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(fsuid);
            continue;
        }
        // Sockets are connected through /proc/self/fd/N of the descriptor that was checked.
        if user_places.iter().any(|p| call.contains(&format!("\"{p}")))
            || (call.starts_with("connect(") && call.contains("/proc/self/fd/"))
        {
            assert_eq!(
                fsuid, s.user.uid,
                "root's run touched a user-controlled path with fsuid {fsuid}: {call}\n{trace}"
            );
            as_user += 1;
        }
    }
    assert!(
        as_user > 5,
        "the trace must show the user's paths being read ({as_user} calls)\n{trace}"
    );
}

fn sha256_hex(text: &str) -> String {
    let out = Command::new("sha256sum")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            c.stdin.take().unwrap().write_all(text.as_bytes())?;
            c.wait_with_output()
        })
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

/// Root's `capture --out` below a directory the hostile user owns would let her swap a directory of the capture for
/// a link while root writes (root's files, with her drop-ins' names and text, in any directory): refused before
/// anything is made, and below root's own directories it works and keeps her `.bashrc` secret out.
#[test]
fn regression_root_capture_into_a_directory_the_user_controls() {
    let Some(scene) = scene() else { return };
    // Everything this test plants or makes is put back or removed, also when it fails.
    struct RemoveDirs(Vec<PathBuf>);
    impl Drop for RemoveDirs {
        fn drop(&mut self) {
            for d in &self.0 {
                let _ = fs::remove_dir_all(d);
            }
        }
    }
    let _bashrc = support::FileGuard::save(scene.user.home.join(".bashrc"));
    let _dirs = RemoveDirs(vec![
        scene.user.home.join("captures"),
        PathBuf::from(format!("/tmp/rd-capture-open-{}", std::process::id())),
        PathBuf::from(format!("/root/rd-capture-{}", std::process::id())),
    ]);
    let theirs = scene.home_path("captures/x");
    let parent = theirs.parent().unwrap().to_path_buf();
    scene.give(&parent);
    let name = scene.user.name.clone();
    let out = theirs.to_str().unwrap();
    let run = run_bounded(&["--user", &name, "capture", "--out", out], &[]);
    assert_eq!(run.code, Some(1), "{}", run.shown);
    assert!(
        run.stderr
            .contains("capture writes only below directories root alone can change"),
        "{}",
        run.stderr
    );
    assert!(
        !theirs.exists(),
        "capture made {out} below the user's directory"
    );
    // World-writable without the sticky bit: the same.
    let open = PathBuf::from(format!("/tmp/rd-capture-open-{}", std::process::id()));
    let _ = fs::remove_dir_all(&open);
    fs::create_dir(&open).unwrap();
    fs::set_permissions(&open, fs::Permissions::from_mode(0o777)).unwrap();
    let run = run_bounded(
        &[
            "--user",
            &name,
            "capture",
            "--out",
            open.join("x").to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.stderr.contains("writable by others (mode 0777)"),
        "{}",
        run.stderr
    );
    fs::remove_dir_all(&open).unwrap();
    // Below root's own directory: written, and her secret stays out.
    scene.plant_file(".bashrc", "export GITHUB_TOKEN=ghp_mallory_secret\n");
    let mine = PathBuf::from(format!("/root/rd-capture-{}", std::process::id()));
    let _ = fs::remove_dir_all(&mine);
    let run = run_bounded(
        &["--user", &name, "capture", "--out", mine.to_str().unwrap()],
        &[],
    );
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    let grep = Command::new("grep")
        .args(["-rlF", "ghp_mallory_secret"])
        .arg(&mine)
        .output()
        .unwrap();
    assert!(
        grep.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&grep.stdout)
    );
    fs::remove_dir_all(&mine).unwrap();
}

// --- root's credentials, switched once per account rather than around every read ----------------------------

/// Root's run of the doctor with `args` under `strace` (`trace`: its options before `-o`): its output and the trace.
fn traced_run(trace: &[&str], args: &[&str]) -> (std::process::Output, String) {
    let log = std::env::temp_dir().join(format!(
        "rd-trace-{}-{}.log",
        std::process::id(),
        args.join("-")
    ));
    let out = Command::new("strace")
        .args(trace)
        .arg("-o")
        .arg(&log)
        .arg(support::doctor_bin())
        .args(args)
        .env_clear()
        .env("PATH", support::PATH)
        .env("HOME", "/root")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = fs::read_to_string(&log).unwrap();
    let _ = fs::remove_file(&log);
    (out, text)
}

/// How many `setfsuid(2)` calls root's run makes, traced with strace, and its JSON.
fn setfsuid_calls(args: &[&str]) -> (usize, serde_json::Value) {
    let (out, trace) = traced_run(&["-f", "-qq", "-e", "trace=setfsuid"], args);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?}: no JSON ({e})\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (
        trace.lines().filter(|l| l.contains("setfsuid(")).count(),
        doc,
    )
}

#[test]
fn regression_credentials_switched_around_every_read() {
    let Some(s) = scene() else { return };
    // Each switch is two setfsuid calls there and two back. Every read as the user used to be one: 1,644 calls for
    // the CI machine's four accounts, about 137 switches an account; a 10,000-account host spent 6 s of system time
    // in them. Now the user's credentials stay in force until root's own sight is needed.
    let (calls, doc) = setfsuid_calls(&["preflight", "--all-users", "--format", "json"]);
    let accounts = doc["accounts"].as_array().map_or(0, Vec::len);
    assert!(accounts >= 2, "too few accounts judged: {doc}");
    assert!(
        calls > 0,
        "root's run over every account read nothing as the accounts ({accounts})"
    );
    assert!(
        calls <= 6 * 4 * accounts,
        "{calls} setfsuid calls for {accounts} accounts: more than six switches an account"
    );
    // One user with everything a check reads (a running daemon's state included): about 23 switches today,
    // 340 before.
    let (calls, doc) = setfsuid_calls(&["check", "--user", &s.user.name, "--format", "json"]);
    assert!(
        doc["findings"].as_array().is_some_and(|f| f.len() > 40),
        "{doc}"
    );
    assert!(
        calls > 0 && calls <= 4 * 40,
        "{calls} setfsuid calls for one user's check"
    );
}

#[test]
fn regression_report_written_with_a_users_credentials() {
    let Some(_s) = scene() else { return };
    // The report is written while an account's credentials are parked; each write must be root's (a file on a full
    // disk takes root's reserved blocks, a FUSE server sees who writes). Follow the filesystem uid through the trace:
    // every setfsuid call sets it, and every write to stdout must find it root's.
    let (out, trace) = traced_run(
        &["-qq", "-e", "trace=setfsuid,write", "-e", "signal=none"],
        &["check", "--all-users", "--format", "json"],
    );
    let mut fsuid = 0u32;
    let (mut writes, mut switched) = (0, 0);
    for line in trace.lines() {
        if let Some(rest) = line.strip_prefix("setfsuid(") {
            fsuid = rest.split(')').next().unwrap().trim().parse().unwrap();
            switched += usize::from(fsuid != 0);
        } else if line.starts_with("write(1,") {
            writes += 1;
            assert_eq!(
                fsuid, 0,
                "the report was written as uid {fsuid}: {line:.120}"
            );
        }
    }
    assert!(
        switched > 0 && writes > 1 && out.stdout.len() > 64 * 1024,
        "the run must switch to the accounts and write its report in more than one piece: {switched} switches, \
         {writes} writes, {} bytes",
        out.stdout.len()
    );
}
