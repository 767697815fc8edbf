//! A rootful dockerd for one test, beside the rootless ones: on /var/run/docker.sock, its state under /tmp.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::thread::sleep;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::http::ping_unix;

/// The rootful daemon's socket.
pub const ROOTFUL_SOCKET: &str = "/var/run/docker.sock";

/// dockerd flags that keep a test daemon's data, runtime state and pid file under `dir`, out of the host's way.
pub fn state_under(dir: &Path) -> [String; 3] {
    [
        format!("--data-root={}", dir.join("data").display()),
        format!("--exec-root={}", dir.join("exec").display()),
        format!("--pidfile={}", dir.join("docker.pid").display()),
    ]
}

/// Waits until `/proc/PID` is gone, at most `limit`.
pub fn wait_gone(pid: u32, limit: Duration) {
    let start = Instant::now();
    while Path::new(&format!("/proc/{pid}")).exists() && start.elapsed() < limit {
        sleep(Duration::from_millis(50));
    }
}

/// A rootful dockerd (`-H unix:///var/run/docker.sock --bridge=none --iptables=false`), its state under
/// `/tmp/rd-rootful-<pid>`; stopped (SIGTERM, then SIGKILL after 15 s), its socket and state removed when dropped.
pub struct RootfulDaemon {
    dir: PathBuf,
    child: Child,
}

impl RootfulDaemon {
    /// Starts dockerd with `hosts` (its `-H` values), `--bridge=none --iptables=false`, its state under
    /// `/tmp/rd-rootful-<what>-<pid>` and `extra` flags, and waits up to 60 s for `ready`.
    fn spawn(
        what: &str,
        hosts: &[String],
        extra: &[String],
        ready: impl Fn() -> bool,
    ) -> io::Result<RootfulDaemon> {
        let dir = PathBuf::from(format!("/tmp/rd-rootful-{what}{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir)?;
        let log = fs::File::create(dir.join("log"))?;
        let child = Command::new("dockerd")
            .args(hosts.iter().flat_map(|h| ["-H", h.as_str()]))
            .args(["--bridge=none", "--iptables=false"])
            .args(state_under(&dir))
            .args(extra)
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()?;
        // From here on, an early return drops the daemon, which stops it.
        let daemon = RootfulDaemon { dir, child };
        let start = Instant::now();
        while !ready() {
            if start.elapsed() > Duration::from_secs(60) {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "rootful dockerd on {} did not come up: {}",
                        hosts.join(" "),
                        fs::read_to_string(daemon.dir.join("log")).unwrap_or_default()
                    ),
                ));
            }
            sleep(Duration::from_millis(100));
        }
        Ok(daemon)
    }

    /// Starts it listening only on `tcp://127.0.0.1:PORT` (no Unix socket, as with `hosts` naming just that) and
    /// waits up to 60 s for a `GET /_ping` there.
    pub fn start_tcp_only(port: u16) -> io::Result<RootfulDaemon> {
        let addr = format!("127.0.0.1:{port}");
        Self::spawn("tcp-", &[format!("tcp://{addr}")], &[], || {
            crate::http::ping_tcp(&addr, Duration::from_secs(1)).is_ok()
        })
    }

    /// Starts it listening only on `tcp://127.0.0.1:PORT` with `--tlsverify` and the CA, certificate and key in
    /// `certs` (`ca.pem`, `server-cert.pem`, `server-key.pem`), and waits up to 60 s until the port accepts.
    pub fn start_tcp_tls(port: u16, certs: &Path) -> io::Result<RootfulDaemon> {
        let addr: std::net::SocketAddr = ([127, 0, 0, 1], port).into();
        let file = |name: &str| certs.join(name).display().to_string();
        let tls = [
            "--tlsverify".to_owned(),
            format!("--tlscacert={}", file("ca.pem")),
            format!("--tlscert={}", file("server-cert.pem")),
            format!("--tlskey={}", file("server-key.pem")),
        ];
        Self::spawn("tls-", &[format!("tcp://{addr}")], &tls, || {
            std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_ok()
        })
    }

    /// Starts it on /var/run/docker.sock with `extra` dockerd flags (`-H tcp://127.0.0.1:2375`) and waits up to 60 s
    /// for `GET /_ping` there.
    pub fn start(extra: &[&str]) -> io::Result<RootfulDaemon> {
        let extra: Vec<String> = extra.iter().map(|s| (*s).to_owned()).collect();
        Self::spawn("", &[format!("unix://{ROOTFUL_SOCKET}")], &extra, || {
            ping_unix(Path::new(ROOTFUL_SOCKET), Duration::from_secs(1)).is_ok()
        })
    }

    /// dockerd's pid.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Where its state is (`data/`, `exec/`, `docker.pid`, `log`).
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for RootfulDaemon {
    fn drop(&mut self) {
        let pid = self.child.id();
        let _ = kill(Pid::from_raw(pid as i32), Signal::SIGTERM);
        wait_gone(pid, Duration::from_secs(15));
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = fs::remove_file(ROOTFUL_SOCKET);
        let _ = fs::remove_dir_all(&self.dir);
    }
}
