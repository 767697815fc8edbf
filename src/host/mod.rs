//! The one OS boundary.
//!
//! Everything rootless-doctor learns about a machine comes through [`Host`]:
//! files, directories, links, file metadata, extended attributes, filesystem magic numbers,
//! environment variables, the process identity, the user database and (rarely) commands.
//!
//! **Architecture Invariant:** only this module touches the OS.
//! `clippy.toml` forbids the `std::fs`, `std::env`, `std::process` and identity calls everywhere else,
//! and the modules here opt back in one by one.
//!
//! Two implementations exist:
//! - [`RealHost`] reads the running machine, optionally below a `--root` prefix (a mounted image, a fixture tree);
//! - [`FakeHost`] reads a fixture tree too, but takes everything a tree cannot hold
//!   (environment, identity, statfs magic numbers, xattrs, modes and owners, command outputs) from a sidecar file
//!   documented in [`sidecar`].
//!
//! Paths are always given as they are on the host (`/proc/sys/user/max_user_namespaces`);
//! [`RealHost`] resolves them below a `--root` with the kernel's `openat2(RESOLVE_IN_ROOT)`, [`FakeHost`]
//! the same way in userspace (fixture trees do not change while they are read).
//!
//! Root's run reads files that other users control, so [`RealHost`] reads only regular files (a FIFO, socket
//! or device is refused by `fstat` on the open descriptor, never waited on), at most [`real::READ_MAX`] bytes,
//! and, when root judges another user, with that user's credentials ([`Host::as_user`], [`creds`]).

use std::io;

pub mod apply;
pub mod bench;
pub mod bounded;
pub mod creds;
mod fake;
pub mod input;
pub mod nsenter;
pub mod real;
pub mod record;
mod resolve;
pub mod sidecar;

pub use fake::FakeHost;
pub use real::RealHost;

/// What kind of file a path names, from `lstat(2)`/`stat(2)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileKind {
    File,
    Dir,
    Symlink,
    Socket,
    Fifo,
    CharDevice,
    BlockDevice,
}

impl FileKind {
    pub fn describe(self) -> &'static str {
        match self {
            FileKind::File => "regular file",
            FileKind::Dir => "directory",
            FileKind::Symlink => "symbolic link",
            FileKind::Socket => "socket",
            FileKind::Fifo => "fifo",
            FileKind::CharDevice => "character device",
            FileKind::BlockDevice => "block device",
        }
    }
}

/// Free room on a filesystem (`statfs(2)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Space {
    /// Bytes an unprivileged user may still write (`f_bavail * f_bsize`).
    pub avail: u64,
    /// Inodes in all; 0 when the filesystem does not count them (btrfs).
    pub files: u64,
    /// Inodes free.
    pub files_free: u64,
}

/// The parts of `struct stat` the checks care about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    pub kind: FileKind,
    /// Permission bits including setuid/setgid/sticky (`st_mode & 0o7777`).
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub size: u64,
    /// A device's number (major, minor) when the host knows it (`st_rdev`); `None` for other kinds, and for a
    /// fixture's device without `device = [major, minor]`.
    pub rdev: Option<(u32, u32)>,
}

impl Meta {
    pub fn is_setuid(&self) -> bool {
        self.mode & 0o4000 != 0
    }
    pub fn is_setgid(&self) -> bool {
        self.mode & 0o2000 != 0
    }
    pub fn world_writable(&self) -> bool {
        self.mode & 0o002 != 0
    }
}

/// Who this process is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub uid: u32,
    pub gid: u32,
    pub euid: u32,
    /// Supplementary groups of this process.
    pub groups: Vec<u32>,
}

/// What [`Host::access`] asks about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Access {
    pub read: bool,
    pub write: bool,
    pub exec: bool,
}

impl Access {
    /// Creating, renaming or removing entries of a directory: write and search.
    pub const CREATE_IN: Access = Access {
        read: false,
        write: true,
        exec: true,
    };
}

/// One entry of the user database (`getpwnam(3)`, or `/etc/passwd` below a `--root`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserInfo {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    pub home: String,
    pub shell: String,
}

impl From<crate::parse::passwd::PasswdEntry<'_>> for UserInfo {
    fn from(e: crate::parse::passwd::PasswdEntry<'_>) -> UserInfo {
        UserInfo {
            name: e.name.to_owned(),
            uid: e.uid,
            gid: e.gid,
            home: e.home.to_owned(),
            shell: e.shell.to_owned(),
        }
    }
}

/// What a command printed; a non-zero exit is data, not an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandOutput {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

/// At most `len` bytes of `bytes` from `offset` ([`Host::read_at`] of a file held whole).
pub(crate) fn cut(bytes: &[u8], offset: u64, len: usize) -> Vec<u8> {
    let start = usize::try_from(offset).map_or(bytes.len(), |o| o.min(bytes.len()));
    let end = start.saturating_add(len).min(bytes.len());
    bytes[start..end].to_vec()
}

/// The read-only view of a machine that every fact comes from.
///
/// Errors are plain `io::Error`s: `NotFound` is usually a fact (no such sysctl, no such binary),
/// anything else becomes an `error` finding that names the path and the errno.
pub trait Host {
    /// The prefix every path is read below (`/` on the live machine).
    fn root_display(&self) -> String;
    /// Whether this host is the running machine seen from `/` (so `/proc/self` is this process).
    fn is_live(&self) -> bool;

    fn read(&self, path: &str) -> io::Result<Vec<u8>>;
    fn read_to_string(&self, path: &str) -> io::Result<String> {
        let bytes = self.read(path)?;
        String::from_utf8(bytes)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "file is not valid UTF-8"))
    }
    /// Reads a regular file as [`Host::read`] does, handing it to `sink` in pieces, in order, so a large database
    /// (dpkg's status) is scanned through a small buffer instead of being held whole. A host that holds its files
    /// in memory hands over one piece. On an error, the pieces already handed over are all there is. `sink` runs
    /// inside the read, with the reader's credentials: it must not call the host (such a call is refused, and the
    /// sink has no way to say so).
    fn read_pieces(&self, path: &str, sink: &mut dyn FnMut(&[u8])) -> io::Result<()> {
        sink(&self.read(path)?);
        Ok(())
    }
    /// At most `len` bytes of a regular file from byte `offset` (fewer at its end), opened as [`Host::read`]
    /// opens it: for a large binary of which only a few tables are read (a static RootlessKit's Go build
    /// information). A host that holds its files in memory cuts them from the whole.
    fn read_at(&self, path: &str, offset: u64, len: usize) -> io::Result<Vec<u8>> {
        Ok(cut(&self.read(path)?, offset, len))
    }
    /// The first `max` bytes of a file, and whether it holds more, read as [`Host::read`] reads it but stopping
    /// there: for a `/proc` file the kernel writes as it is read (a mount table of a namespace a user filled with
    /// ten thousand mounts costs the kernel a second to write whole), whose size `stat` does not tell.
    fn read_prefix(&self, path: &str, max: usize) -> io::Result<(Vec<u8>, bool)> {
        let mut bytes = self.read(path)?;
        let more = bytes.len() > max;
        bytes.truncate(max);
        Ok((bytes, more))
    }
    /// `lstat(2)`: does not follow a final symlink.
    fn lstat(&self, path: &str) -> io::Result<Meta>;
    /// `stat(2)`: follows symlinks (inside the root).
    fn stat(&self, path: &str) -> io::Result<Meta>;
    fn read_link(&self, path: &str) -> io::Result<String>;
    /// The path with every symlink resolved inside the root, as a host path.
    fn canonicalize(&self, path: &str) -> io::Result<String>;
    /// Entry names of a directory, sorted; a directory of more than [`DIR_ENTRIES_MAX`] entries is an error
    /// (`InvalidData`) on the running machine.
    fn read_dir(&self, path: &str) -> io::Result<Vec<String>>;
    /// An extended attribute (`None` when the file has no such attribute).
    fn xattr(&self, path: &str, name: &str) -> io::Result<Option<Vec<u8>>>;
    /// `statfs(2)` `f_type` of the filesystem holding `path`.
    fn fs_magic(&self, path: &str) -> io::Result<u64>;
    /// The room left on the filesystem holding `path`, as `statfs(2)` reports it to an unprivileged writer.
    fn fs_space(&self, path: &str) -> io::Result<Space>;
    /// Whether the reader (the judged user when root judges someone else) may `want` on `path` (symlinks
    /// followed), as the kernel decides it: permission bits, ACLs, a read-only mount. `Ok(())` when allowed;
    /// `PermissionDenied` or `ReadOnlyFilesystem` when not; `Unsupported` when this host cannot tell.
    fn access(&self, path: &str, want: Access) -> io::Result<()>;
    fn env(&self, name: &str) -> Option<String>;
    /// This process's whole environment, in order (names and values lossily decoded).
    fn env_vars(&self) -> Vec<(String, String)>;
    fn identity(&self) -> Identity;
    fn user_by_name(&self, name: &str) -> io::Result<Option<UserInfo>>;
    fn user_by_uid(&self, uid: u32) -> io::Result<Option<UserInfo>>;
    /// Runs `argv` (never through a shell). Not used on `preflight`'s path.
    fn run(&self, argv: &[&str]) -> io::Result<CommandOutput>;
    /// Runs a command for at most its timeout, in its own process group, output capped, optionally as the judged
    /// user, in a scratch `TMPDIR` removed afterwards ([`bounded`]). `Unsupported` where nothing can be launched
    /// (a `--root` tree, a fixture that recorded no such run). Only `check` and `preflight --probe` call it.
    fn run_bounded(&self, cmd: &bounded::BoundedCommand) -> io::Result<bounded::BoundedOutput> {
        let _ = cmd;
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "this host launches nothing",
        ))
    }
    /// `net bench`'s run of one combination ([`bench`]): RootlessKit with the bench's child, data pushed in through
    /// a published port and out through the namespace. `Unsupported` where nothing can be launched.
    fn run_bench(&self, cmd: &bench::BenchCommand) -> io::Result<bench::BenchOutput> {
        let _ = cmd;
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "this host launches nothing",
        ))
    }
    /// One HTTP `GET` over a Unix socket (the Docker Engine and RootlessKit APIs), bounded in time.
    /// Connection errors keep their kind: `NotFound` (no socket), `ConnectionRefused` (a stale socket
    /// nobody listens on), `PermissionDenied` (someone else's socket), `TimedOut`.
    fn http_get_unix(&self, socket: &str, path: &str) -> io::Result<crate::parse::http::Response>;
    /// Whether something listens on the Unix socket `socket`: one `connect(2)`, closed at once, nothing sent,
    /// bounded by [`HTTP_TIMEOUT`]. Errors as [`Host::http_get_unix`]'s: `ConnectionRefused` for a socket file
    /// nobody listens on (a stopped `dbus.socket` leaves its file behind).
    fn unix_listens(&self, socket: &str) -> io::Result<()>;
    /// One exchange with a TCP endpoint the user configured (DOCKER_HOST, a context): connect to `req.addr`, send
    /// `req.send` (nothing when empty), read until the peer closes, `req.max` bytes, a newline when `req.line`, or the
    /// deadline (3 s, the connect included). Connection errors keep their kind (`ConnectionRefused`, `TimedOut` for
    /// a connect that got no answer, `HostUnreachable`, `NetworkUnreachable`); a peer that says nothing in time is
    /// `TcpReply { silent: true }`. Sends only the caller's bytes. `Unsupported` where the machine is not live (a
    /// `--root` tree).
    fn tcp_exchange(&self, req: &TcpRequest) -> io::Result<TcpReply> {
        let _ = req;
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "this host has no network to probe",
        ))
    }
    /// The wall clock, for a report's timestamp (Prometheus, JUnit). A fixture host answers [`FIXTURE_NOW_SECS`], so its
    /// reports stay the same from run to run.
    fn now(&self) -> std::time::SystemTime {
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(FIXTURE_NOW_SECS)
    }
    /// How long this run has taken so far, for a report's duration; a fixture host answers zero.
    fn elapsed(&self) -> std::time::Duration {
        std::time::Duration::ZERO
    }
    /// The kernel's log buffer as `/dev/kmsg` records (one per line), read without blocking.
    /// `NotFound` where a machine has no kernel to ask (a `--root` tree without a recorded log).
    fn kernel_log(&self) -> io::Result<Vec<u8>>;
    /// The same host read with `user`'s credentials, when this process is root judging someone else
    /// on the live machine ([`creds`]); `None` where reading as this process already reads as the user.
    fn as_user(&self, user: &UserInfo) -> io::Result<Option<Box<dyn Host>>> {
        let _ = user;
        Ok(None)
    }
}

/// What [`Host::tcp_exchange`] sends, and where.
#[derive(Debug, Clone)]
pub struct TcpRequest<'a> {
    pub addr: std::net::SocketAddr,
    pub send: &'a [u8],
    pub max: usize,
    /// Stop at the first newline (an SSH banner).
    pub line: bool,
}

/// What a TCP endpoint sent back ([`Host::tcp_exchange`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TcpReply {
    pub bytes: Vec<u8>,
    /// The deadline came before the peer closed (or sent the line asked for).
    pub silent: bool,
}

/// The clock of a fixture host, in seconds since the epoch: 2023-11-14 22:13:20 UTC.
pub const FIXTURE_NOW_SECS: u64 = 1_700_000_000;

/// How long an API call may take before the daemon counts as hung.
pub const HTTP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// The most an API response may hold (a `docker info` is a few KiB).
pub const HTTP_MAX_BYTES: u64 = 16 * 1024 * 1024;

/// The most entries [`Host::read_dir`] lists: more than any /proc or configuration directory holds (pid_max's
/// default is 4,194,304, yet a host with a quarter million processes is none the doctor will meet), and a bound on
/// what a directory a user filled with millions of long names costs root's run (some 70 MB at most).
pub const DIR_ENTRIES_MAX: usize = 262_144;

/// Parses the user database the same way for `--root` trees and fake hosts: as bytes, so another account's
/// line that is not UTF-8 is skipped rather than making every lookup fail.
pub(crate) fn users_from_passwd(bytes: &[u8]) -> Vec<UserInfo> {
    crate::parse::passwd::parse_passwd_bytes(bytes)
        .iter()
        .map(UserInfo::from)
        .collect()
}

/// Turns an `io::Error` into the short form findings show: `permission denied (os error 13)`.
pub fn describe_error(err: &io::Error) -> String {
    let text = err.to_string();
    // std capitalises the first letter ("Permission denied (os error 13)"); findings use lower case.
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().collect::<String>() + chars.as_str(),
        None => text,
    }
}
