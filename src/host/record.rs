//! `capture`: a [`Host`] that hands every question to the host it wraps and records the answer, then writes what
//! it recorded as a fixture (a `root/` tree and a `host.toml` sidecar, [`super::sidecar`]) that `--host-file`
//! replays, with a manifest of what was kept and what was left out.
//!
//! What is recorded is exactly what the run asked: each path is traced component by component as the kernel
//! walks it (every directory's metadata, every symbolic link's target), so the replay resolves the same links
//! to the same files. What is written leaves secrets out ([`redact`]): environment variables outside an
//! allow-list (names only in the manifest), the variables of a process's `environ` outside it, private keys,
//! registry credentials in the Docker CLI's config.json, a password in a URL, and every line of a shell start-up
//! file but those that set `DOCKER_HOST`.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::Path;
use std::rc::Rc;

use super::bounded::{BoundedCommand, BoundedOutput, Exit};
use super::resolve::resolve_with;
use super::sidecar::{
    self, Errno, FileOverride, HttpError, RecordedCommand, RecordedHttp, RecordedTcp, RecordedUser,
    Sidecar, SidecarIdentity, SidecarSpace, TcpError, TreeEntry,
};
use super::{
    Access, CommandOutput, FileKind, Host, Identity, Meta, Space, TcpReply, TcpRequest, UserInfo,
};

/// The host a [`Recorder`] asks.
enum Inner<'a> {
    Borrowed(&'a dyn Host),
    Owned(Box<dyn Host>),
}

/// The most entries of one listed directory whose kind a capture records (the checks look at far fewer; a user
/// who fills a directory with millions of entries must not fill root's disk with their capture).
pub const LIST_MAX: usize = 4096;

/// A host that records every answer of the host it wraps into a shared [`Log`].
pub struct Recorder<'a> {
    inner: Inner<'a>,
    log: Rc<RefCell<Log>>,
}

/// What one path showed.
#[derive(Debug, Clone, Default)]
struct Seen {
    /// `lstat` of the path (links not followed).
    meta: Option<Meta>,
    /// `lstat` failed with this errno (other than ENOENT).
    error: Option<Errno>,
    link: Option<String>,
    content: Option<Vec<u8>>,
    /// Reading or listing failed with this errno (other than ENOENT).
    read_error: Option<Errno>,
    names: Option<Vec<String>>,
    /// `connect(2)` to this socket failed with this errno (ECONNREFUSED: nobody listens).
    connect_error: Option<Errno>,
    /// The paths the run read this file by (`~/.bashrc` for a link into a dotfiles directory).
    asked: BTreeSet<String>,
}

/// Everything a run asked and was answered, by resolved host path where a path was asked.
#[derive(Debug, Default)]
pub struct Log {
    paths: BTreeMap<String, Seen>,
    env: BTreeMap<String, String>,
    env_left_out: BTreeSet<String>,
    identity: Option<Identity>,
    users: Vec<UserInfo>,
    commands: Vec<RecordedCommand>,
    http: Vec<RecordedHttp>,
    tcp: Vec<RecordedTcp>,
    kernel_log: Option<Vec<u8>>,
    /// Reading the kernel log failed with this errno (other than ENOENT): `dmesg_restrict` for a user.
    kernel_log_error: Option<Errno>,
    statfs: BTreeMap<String, u64>,
    space: BTreeMap<String, Space>,
    xattrs: BTreeMap<String, BTreeMap<String, Vec<u8>>>,
    /// Paths answered differently on two asks (root's view and the user's): the first answer is kept.
    conflicts: BTreeSet<String>,
    /// Directories listed with more than [`LIST_MAX`] entries, and how many they had.
    capped: Vec<(String, usize)>,
}

impl<'a> Recorder<'a> {
    pub fn new(inner: &'a dyn Host) -> Recorder<'a> {
        Recorder {
            inner: Inner::Borrowed(inner),
            log: Rc::default(),
        }
    }

    /// What was recorded so far.
    pub fn log(&self) -> Rc<RefCell<Log>> {
        Rc::clone(&self.log)
    }

    fn host(&self) -> &dyn Host {
        match &self.inner {
            Inner::Borrowed(h) => *h,
            Inner::Owned(h) => h.as_ref(),
        }
    }

    /// Walks `path` as the kernel does, recording each component's metadata and each link's target; the resolved
    /// host path, or `None` where the walk stopped.
    fn trace(&self, path: &str, follow_last: bool) -> Option<String> {
        let host = self.host();
        let resolved = resolve_with(path, follow_last, |p| {
            let mut log = self.log.borrow_mut();
            match host.lstat(p) {
                Ok(meta) => {
                    let kind = meta.kind;
                    log.seen(p).meta.get_or_insert(meta);
                    if kind != FileKind::Symlink {
                        return Ok(None);
                    }
                    match host.read_link(p) {
                        Ok(target) => {
                            log.seen(p).link.get_or_insert_with(|| target.clone());
                            Ok(Some(target))
                        }
                        Err(e) => Err(e),
                    }
                }
                Err(e) => {
                    if e.kind() != io::ErrorKind::NotFound {
                        let errno = Errno::of(&e);
                        let seen = log.seen(p);
                        if seen.meta.is_none() && seen.error.is_none() {
                            seen.error = errno;
                        }
                    }
                    Err(e)
                }
            }
        });
        resolved.ok()
    }

    /// Records a read error (not ENOENT) at the resolved path of `path`.
    fn read_failed(&self, path: &str, e: &io::Error) {
        // Not found is the path's absence; reading a directory, listing a file and opening a socket fail the same
        // way in the replay from the kind alone.
        let implied = [
            nix::errno::Errno::ENOENT,
            nix::errno::Errno::EISDIR,
            nix::errno::Errno::ENOTDIR,
            nix::errno::Errno::ENXIO,
        ];
        if e.kind() == io::ErrorKind::NotFound
            || e.raw_os_error()
                .is_some_and(|n| implied.iter().any(|i| *i as i32 == n))
        {
            return;
        }
        if let Some(host) = self.trace(path, true) {
            let mut log = self.log.borrow_mut();
            let seen = log.seen(&host);
            if seen.content.is_none() && seen.names.is_none() && seen.read_error.is_none() {
                seen.read_error = Errno::of(e);
            }
        }
    }
}

impl Log {
    fn seen(&mut self, path: &str) -> &mut Seen {
        self.paths.entry(path.to_owned()).or_default()
    }

    fn keep_env(&mut self, name: &str, value: Option<&str>) {
        match value {
            Some(v) if allowed_env(name) => {
                self.env
                    .entry(name.to_owned())
                    .or_insert_with(|| v.to_owned());
            }
            Some(_) => {
                self.env_left_out.insert(name.to_owned());
            }
            None => {}
        }
    }
}

/// The environment variables a capture keeps: those the checks read (the Docker CLI's, dockerd-rootless.sh's,
/// RootlessKit's, the session's). Every other value stays out; its name is listed in the manifest.
pub fn allowed_env(name: &str) -> bool {
    const EXACT: &[&str] = &[
        "PATH",
        "HOME",
        "USER",
        "LOGNAME",
        "SHELL",
        "LANG",
        "TMPDIR",
        "SUDO_USER",
        "SUDO_UID",
        "SUDO_GID",
        "DEBIAN_FRONTEND",
        "DBUS_SESSION_BUS_ADDRESS",
        "DOCKER_HOST",
        "DOCKER_CONTEXT",
        "DOCKER_CONFIG",
        "DOCKER_CERT_PATH",
        "DOCKER_TLS",
        "DOCKER_TLS_VERIFY",
        "DOCKER_DRIVER",
        "DOCKER_OPTS",
        "DOCKERD",
        "container",
        // Whether a process runs under systemd (its log goes to the journal).
        "INVOCATION_ID",
        // The daemon's proxies (passwords in them are masked).
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "NO_PROXY",
        "http_proxy",
        "https_proxy",
        "no_proxy",
    ];
    const PREFIXES: &[&str] = &["XDG_", "DOCKERD_ROOTLESS_", "ROOTLESSKIT_"];
    EXACT.contains(&name) || PREFIXES.iter().any(|p| name.starts_with(p))
}

impl Host for Recorder<'_> {
    fn root_display(&self) -> String {
        self.host().root_display()
    }

    fn is_live(&self) -> bool {
        self.host().is_live()
    }

    fn read(&self, path: &str) -> io::Result<Vec<u8>> {
        let r = self.host().read(path);
        match &r {
            Ok(bytes) => {
                if let Some(host) = self.trace(path, true) {
                    let mut log = self.log.borrow_mut();
                    let seen = log.seen(&host);
                    seen.asked.insert(path.to_owned());
                    match &seen.content {
                        Some(old) if old != bytes => {
                            log.conflicts.insert(host);
                        }
                        Some(_) => {}
                        None => seen.content = Some(bytes.clone()),
                    }
                }
            }
            Err(e) => self.read_failed(path, e),
        }
        r
    }

    /// The whole file, read and recorded by the first piece asked (a capture keeps files whole, a program only its
    /// build information); the next pieces are cut from that copy, not read whole again.
    fn read_at(&self, path: &str, offset: u64, len: usize) -> io::Result<Vec<u8>> {
        if let Some(host) = self.trace(path, true) {
            let log = self.log.borrow();
            if let Some(bytes) = log.paths.get(&host).and_then(|s| s.content.as_deref()) {
                return Ok(super::cut(bytes, offset, len));
            }
        }
        Ok(super::cut(&self.read(path)?, offset, len))
    }

    fn lstat(&self, path: &str) -> io::Result<Meta> {
        let r = self.host().lstat(path);
        self.trace(path, false);
        r
    }

    fn stat(&self, path: &str) -> io::Result<Meta> {
        let r = self.host().stat(path);
        self.trace(path, true);
        r
    }

    fn read_link(&self, path: &str) -> io::Result<String> {
        let r = self.host().read_link(path);
        self.trace(path, false);
        r
    }

    fn canonicalize(&self, path: &str) -> io::Result<String> {
        let r = self.host().canonicalize(path);
        self.trace(path, true);
        r
    }

    fn read_dir(&self, path: &str) -> io::Result<Vec<String>> {
        let r = self.host().read_dir(path);
        match &r {
            Ok(names) => {
                if let Some(host) = self.trace(path, true) {
                    self.log
                        .borrow_mut()
                        .seen(&host)
                        .names
                        .get_or_insert_with(|| names.clone());
                    // Each entry's kind, so the replay lists what the run listed; a huge directory only in part.
                    let base = host.trim_end_matches('/');
                    for name in names.iter().take(LIST_MAX) {
                        self.trace(&format!("{base}/{name}"), false);
                    }
                    if names.len() > LIST_MAX {
                        self.log
                            .borrow_mut()
                            .capped
                            .push((host.clone(), names.len()));
                    }
                }
            }
            Err(e) => self.read_failed(path, e),
        }
        r
    }

    fn xattr(&self, path: &str, name: &str) -> io::Result<Option<Vec<u8>>> {
        let r = self.host().xattr(path, name);
        if let (Ok(Some(value)), Some(host)) = (&r, self.trace(path, true)) {
            self.log
                .borrow_mut()
                .xattrs
                .entry(host)
                .or_default()
                .insert(name.to_owned(), value.clone());
        }
        r
    }

    fn fs_magic(&self, path: &str) -> io::Result<u64> {
        let r = self.host().fs_magic(path);
        if let (Ok(magic), Some(host)) = (&r, self.trace(path, true)) {
            self.log.borrow_mut().statfs.entry(host).or_insert(*magic);
        }
        r
    }

    fn fs_space(&self, path: &str) -> io::Result<Space> {
        let r = self.host().fs_space(path);
        if let (Ok(space), Some(host)) = (&r, self.trace(path, true)) {
            self.log.borrow_mut().space.entry(host).or_insert(*space);
        }
        r
    }

    fn access(&self, path: &str, want: Access) -> io::Result<()> {
        let r = self.host().access(path, want);
        self.trace(path, true);
        r
    }

    fn env(&self, name: &str) -> Option<String> {
        let r = self.host().env(name);
        self.log.borrow_mut().keep_env(name, r.as_deref());
        r
    }

    fn env_vars(&self) -> Vec<(String, String)> {
        let r = self.host().env_vars();
        let mut log = self.log.borrow_mut();
        for (k, v) in &r {
            log.keep_env(k, Some(v));
        }
        r
    }

    fn identity(&self) -> Identity {
        let r = self.host().identity();
        self.log
            .borrow_mut()
            .identity
            .get_or_insert_with(|| r.clone());
        r
    }

    fn user_by_name(&self, name: &str) -> io::Result<Option<UserInfo>> {
        let r = self.host().user_by_name(name);
        if let Ok(Some(u)) = &r {
            self.log.borrow_mut().keep_user(u);
        }
        r
    }

    fn user_by_uid(&self, uid: u32) -> io::Result<Option<UserInfo>> {
        let r = self.host().user_by_uid(uid);
        if let Ok(Some(u)) = &r {
            self.log.borrow_mut().keep_user(u);
        }
        r
    }

    fn run(&self, argv: &[&str]) -> io::Result<CommandOutput> {
        let r = self.host().run(argv);
        if let Ok(out) = &r {
            self.log.borrow_mut().commands.push(RecordedCommand {
                argv: argv.iter().map(|s| (*s).to_owned()).collect(),
                status: out.status,
                stdout: out.stdout.clone(),
                stderr: out.stderr.clone(),
                elapsed_ms: 0,
                timed_out: false,
                ready: false,
            });
        }
        r
    }

    fn run_bounded(&self, cmd: &BoundedCommand) -> io::Result<BoundedOutput> {
        let r = self.host().run_bounded(cmd);
        if let Ok(out) = &r {
            let mut log = self.log.borrow_mut();
            if !log.commands.iter().any(|c| c.argv == cmd.argv) {
                log.commands.push(RecordedCommand {
                    argv: cmd.argv.clone(),
                    status: match out.exit {
                        Exit::Code(c) => c,
                        Exit::Signal(s) => 128 + s,
                        Exit::TimedOut | Exit::Ready => 0,
                    },
                    stdout: out.stdout.clone(),
                    stderr: out.stderr.clone(),
                    elapsed_ms: u64::try_from(out.elapsed.as_millis()).unwrap_or(u64::MAX),
                    timed_out: out.exit == Exit::TimedOut,
                    ready: out.exit == Exit::Ready,
                });
            }
        }
        r
    }

    fn run_bench(&self, cmd: &super::bench::BenchCommand) -> io::Result<super::bench::BenchOutput> {
        self.host().run_bench(cmd)
    }

    fn http_get_unix(&self, socket: &str, path: &str) -> io::Result<crate::parse::http::Response> {
        let r = self.host().http_get_unix(socket, path);
        self.trace(socket, true);
        let error = match &r {
            Ok(_) => None,
            Err(e) => Some(match e.kind() {
                io::ErrorKind::PermissionDenied => HttpError::Denied,
                io::ErrorKind::NotFound => HttpError::Missing,
                io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => HttpError::Timeout,
                _ => HttpError::Refused,
            }),
        };
        let mut log = self.log.borrow_mut();
        if !log
            .http
            .iter()
            .any(|h| h.socket == socket && h.path == path)
        {
            log.http.push(RecordedHttp {
                socket: socket.to_owned(),
                path: path.to_owned(),
                status: r.as_ref().map_or(200, |resp| resp.status),
                body: r
                    .as_ref()
                    .map(|resp| String::from_utf8_lossy(&resp.body).into_owned())
                    .unwrap_or_default(),
                error,
                headers: r
                    .as_ref()
                    .map(|resp| {
                        resp.headers
                            .iter()
                            .map(|(k, v)| [k.clone(), v.clone()])
                            .collect()
                    })
                    .unwrap_or_default(),
            });
        }
        r
    }

    fn unix_listens(&self, socket: &str) -> io::Result<()> {
        let r = self.host().unix_listens(socket);
        // The replay answers from the socket's kind and a recorded connect error (ENOENT is the path's absence).
        if let Err(e) = &r
            && e.kind() != io::ErrorKind::NotFound
            && let Some(host) = self.trace(socket, true)
        {
            let mut log = self.log.borrow_mut();
            let seen = log.seen(&host);
            if seen.connect_error.is_none() {
                // The doctor's own refusals and deadlines carry no errno: their kind decides what the replay says.
                let by_kind = match e.kind() {
                    io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => {
                        nix::errno::Errno::ETIMEDOUT
                    }
                    io::ErrorKind::PermissionDenied => nix::errno::Errno::EACCES,
                    io::ErrorKind::Unsupported => nix::errno::Errno::EOPNOTSUPP,
                    _ => nix::errno::Errno::ECONNREFUSED,
                };
                seen.connect_error = Some(Errno::of(e).unwrap_or(Errno(by_kind as i32)));
            }
        }
        r
    }

    fn tcp_exchange(&self, req: &TcpRequest) -> io::Result<TcpReply> {
        let r = self.host().tcp_exchange(req);
        let address = req.addr.to_string();
        let mut log = self.log.borrow_mut();
        if !log.tcp.iter().any(|t| t.address == address) {
            let (reply, silent, error) = match &r {
                Ok(reply) => (
                    String::from_utf8_lossy(&reply.bytes).into_owned(),
                    reply.silent,
                    None,
                ),
                Err(e) => (
                    String::new(),
                    false,
                    Some(match e.kind() {
                        io::ErrorKind::ConnectionRefused => TcpError::Refused,
                        io::ErrorKind::TimedOut => TcpError::Timeout,
                        _ => TcpError::Unreachable,
                    }),
                ),
            };
            log.tcp.push(RecordedTcp {
                address,
                reply,
                silent,
                error,
            });
        }
        r
    }

    fn now(&self) -> std::time::SystemTime {
        self.host().now()
    }

    fn elapsed(&self) -> std::time::Duration {
        self.host().elapsed()
    }

    fn kernel_log(&self) -> io::Result<Vec<u8>> {
        let r = self.host().kernel_log();
        let mut log = self.log.borrow_mut();
        match &r {
            Ok(bytes) => {
                log.kernel_log.get_or_insert_with(|| bytes.clone());
            }
            Err(e) if e.kind() != io::ErrorKind::NotFound => {
                log.kernel_log_error = log.kernel_log_error.or(Errno::of(e));
            }
            Err(_) => {}
        }
        r
    }

    fn as_user(&self, user: &UserInfo) -> io::Result<Option<Box<dyn Host>>> {
        Ok(self.host().as_user(user)?.map(|h| {
            Box::new(Recorder {
                inner: Inner::Owned(h),
                log: Rc::clone(&self.log),
            }) as Box<dyn Host>
        }))
    }
}

impl Log {
    fn keep_user(&mut self, u: &UserInfo) {
        if !self
            .users
            .iter()
            .any(|k| k.uid == u.uid && k.name == u.name)
        {
            self.users.push(u.clone());
        }
    }
}

/// What a capture wrote, for the manifest and the command's report.
#[derive(Debug, Default)]
pub struct Manifest {
    /// Files whose content was kept: path, bytes written, what was left out of it.
    pub files: Vec<(String, usize, Option<String>)>,
    /// Paths kept as metadata only (kind, mode, owner, size).
    pub metadata_only: Vec<String>,
    pub links: Vec<(String, String)>,
    /// Paths recorded with the error the run met there.
    pub errors: Vec<(String, String)>,
    pub env_kept: Vec<String>,
    pub env_left_out: Vec<String>,
    pub commands: Vec<String>,
    pub http: Vec<String>,
    pub tcp: Vec<String>,
    pub users: Vec<String>,
    pub conflicts: Vec<String>,
    /// Paths the writer could not place in the tree (a file below a file), with why.
    pub skipped: Vec<(String, String)>,
    /// Directories whose entries were kept only in part.
    pub capped: Vec<(String, usize)>,
}

/// Writes one more file (a plain name) into a capture directory `write` made: created new, 0600.
pub fn add_file(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    if name.is_empty() || name.contains('/') || name == "." || name == ".." {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{name:?}: not a plain file name"),
        ));
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .custom_flags(nix::fcntl::OFlag::O_NOFOLLOW.bits())
        .mode(0o600)
        .open(dir.join(name))?;
    io::Write::write_all(&mut f, bytes)
}

/// As root, a capture is written only below directories that root alone can change: every directory from `/` to
/// the parent of `dir` must be root's and writable by no one else (or sticky, like /tmp), so no user can swap one of
/// them for a link while root writes (the capture's own files would then land where that user chose).
fn output_is_safe(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    if !nix::unistd::geteuid().is_root() {
        return Ok(());
    }
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::env::current_dir()?,
    };
    let parent = std::fs::canonicalize(&parent)?;
    for d in parent.ancestors() {
        let m = std::fs::symlink_metadata(d)?;
        let others_write = m.mode() & 0o022 != 0 && m.mode() & 0o1000 == 0;
        if m.uid() != 0 || others_write {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!(
                    "as root, capture writes only below directories root alone can change, and {} is {}: choose --out below /root, /var/tmp or /tmp",
                    d.display(),
                    if m.uid() != 0 {
                        format!("owned by uid {}", m.uid())
                    } else {
                        format!("writable by others (mode {:04o})", m.mode() & 0o7777)
                    }
                ),
            ));
        }
    }
    Ok(())
}

/// The part of a capture's path below its `root/`: plain components only.
fn below_root(root: &Path, host: &str) -> Option<std::path::PathBuf> {
    let rest = host.strip_prefix('/')?;
    if rest.is_empty() {
        return Some(root.to_path_buf());
    }
    rest.split('/')
        .all(|c| !c.is_empty() && c != "." && c != "..")
        .then(|| root.join(rest))
}

impl Log {
    /// Writes the capture into `dir`, which must not exist yet (it is made 0700: it holds the user's files):
    /// `root/`, `host.toml` and `MANIFEST.md` ([`add_file`] adds more beside them).
    pub fn write(&self, dir: &Path, description: &str) -> io::Result<Manifest> {
        use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
        output_is_safe(dir)?;
        std::fs::DirBuilder::new().mode(0o700).create(dir)?;
        let root = dir.join("root");
        std::fs::DirBuilder::new().mode(0o700).create(&root)?;
        let mut m = Manifest::default();
        let mut files: BTreeMap<String, FileOverride> = BTreeMap::new();
        let mut tree: BTreeMap<String, TreeEntry> = BTreeMap::new();
        let write_file = |at: &Path, bytes: &[u8]| -> io::Result<()> {
            if let Some(parent) = at.parent() {
                std::fs::DirBuilder::new()
                    .recursive(true)
                    .mode(0o700)
                    .create(parent)?;
            }
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(at)?;
            io::Write::write_all(&mut f, bytes)
        };
        for (host, seen) in &self.paths {
            if host == "/dev/kmsg" && self.kernel_log.is_some() {
                continue;
            }
            let Some(at) = below_root(&root, host) else {
                m.skipped
                    .push((host.clone(), "not a plain absolute path".into()));
                continue;
            };
            let mut over = FileOverride::default();
            if let Some(meta) = &seen.meta {
                over.mode = Some(meta.mode & 0o7777);
                over.uid = Some(meta.uid);
                over.gid = Some(meta.gid);
            }
            let kind = seen.meta.as_ref().map(|m| m.kind);
            let placed = match (kind, &seen.link) {
                (Some(FileKind::Symlink), Some(target)) | (None, Some(target)) => {
                    tree.insert(
                        host.clone(),
                        TreeEntry {
                            link: Some(target.clone()),
                            ..TreeEntry::default()
                        },
                    );
                    m.links.push((host.clone(), target.clone()));
                    over.mode = None;
                    over.uid = None;
                    over.gid = None;
                    Ok(())
                }
                (Some(FileKind::Dir), _) => std::fs::DirBuilder::new()
                    .recursive(true)
                    .mode(0o700)
                    .create(&at),
                (Some(FileKind::File), _) => match &seen.content {
                    Some(bytes) => {
                        let names: Vec<&str> = std::iter::once(host.as_str())
                            .chain(seen.asked.iter().map(String::as_str))
                            .collect();
                        let (kept, note) = redact::content(&names, bytes);
                        let r = write_file(&at, &kept);
                        if r.is_ok() {
                            m.files.push((host.clone(), kept.len(), note));
                        }
                        r
                    }
                    None => {
                        over.size = seen.meta.as_ref().map(|m| m.size);
                        m.metadata_only.push(host.clone());
                        write_file(&at, b"")
                    }
                },
                (Some(other), _) => {
                    over.kind = Some(other);
                    over.device = seen.meta.as_ref().and_then(|m| m.rdev).map(|(a, b)| [a, b]);
                    m.metadata_only.push(host.clone());
                    Ok(())
                }
                (None, None) => {
                    // Only an error was met here: the path exists for the replay as its error.
                    Ok(())
                }
            };
            if let Err(e) = placed {
                m.skipped
                    .push((host.clone(), crate::host::describe_error(&e)));
                continue;
            }
            if let Some(e) = seen.error {
                over.error = Some(e);
                over.kind.get_or_insert(FileKind::File);
                m.errors
                    .push((host.clone(), crate::host::describe_error(&e.to_io())));
            }
            if let Some(e) = seen.read_error {
                over.read_error = Some(e);
                m.errors.push((
                    host.clone(),
                    format!("reading: {}", crate::host::describe_error(&e.to_io())),
                ));
            }
            if let Some(e) = seen.connect_error {
                over.connect_error = Some(e);
                m.errors.push((
                    host.clone(),
                    format!("connecting: {}", crate::host::describe_error(&e.to_io())),
                ));
            }
            if over.kind.is_some()
                || over.connect_error.is_some()
                || over.mode.is_some()
                || over.error.is_some()
                || over.read_error.is_some()
                || over.size.is_some()
            {
                files.insert(host.clone(), over);
            }
        }
        // Git keeps no empty directory: each is a `dir = true` entry of the sidecar's tree instead.
        for (host, seen) in &self.paths {
            if seen.meta.as_ref().is_some_and(|m| m.kind == FileKind::Dir)
                && let Some(at) = below_root(&root, host)
                && at != root
                && std::fs::read_dir(&at).is_ok_and(|mut d| d.next().is_none())
            {
                std::fs::remove_dir(&at)?;
                tree.insert(
                    host.clone(),
                    TreeEntry {
                        dir: true,
                        ..TreeEntry::default()
                    },
                );
            }
        }
        if let Some(log) = &self.kernel_log {
            let (kept, note) = redact::content(&["/dev/kmsg"], log);
            write_file(&root.join("dev/kmsg"), &kept)?;
            m.files.push(("/dev/kmsg".into(), kept.len(), note));
        } else if let Some(e) = self.kernel_log_error {
            let over = files.entry("/dev/kmsg".to_owned()).or_default();
            over.kind.get_or_insert(FileKind::CharDevice);
            over.read_error = Some(e);
            m.errors.push((
                "/dev/kmsg".into(),
                format!("reading: {}", crate::host::describe_error(&e.to_io())),
            ));
        }
        let passwd = self
            .paths
            .get("/etc/passwd")
            .and_then(|s| s.content.as_ref());
        let users: Vec<RecordedUser> = self
            .users
            .iter()
            .filter(|u| {
                !passwd.is_some_and(|p| {
                    super::users_from_passwd(p)
                        .iter()
                        .any(|k| k.name == u.name && k.uid == u.uid)
                })
            })
            .map(|u| RecordedUser {
                name: u.name.clone(),
                uid: u.uid,
                gid: u.gid,
                home: u.home.clone(),
                shell: u.shell.clone(),
            })
            .collect();
        m.users = users
            .iter()
            .map(|u| format!("{} ({})", u.name, u.uid))
            .collect();
        let id = self.identity.clone().unwrap_or(Identity {
            uid: 0,
            gid: 0,
            euid: 0,
            groups: Vec::new(),
        });
        m.env_kept = self.env.keys().cloned().collect();
        m.env_left_out = self.env_left_out.iter().cloned().collect();
        m.commands = self.commands.iter().map(|c| c.argv.join(" ")).collect();
        m.http = self
            .http
            .iter()
            .map(|h| format!("{} GET {}", h.socket, h.path))
            .collect();
        m.tcp = self.tcp.iter().map(|t| t.address.clone()).collect();
        m.conflicts = self.conflicts.iter().cloned().collect();
        m.capped = self.capped.clone();
        let commands = self
            .commands
            .iter()
            .map(|c| RecordedCommand {
                stdout: redact::text(&c.stdout).into_owned(),
                stderr: redact::text(&c.stderr).into_owned(),
                ..c.clone()
            })
            .collect();
        let sidecar = Sidecar {
            schema: sidecar::SCHEMA,
            base: None,
            description: Some(description.to_owned()),
            identity: Some(SidecarIdentity {
                uid: id.uid,
                gid: id.gid,
                euid: (id.euid != id.uid).then_some(id.euid),
                groups: id.groups,
            }),
            env: self
                .env
                .iter()
                .map(|(k, v)| (k.clone(), redact::text(v).into_owned()))
                .collect(),
            statfs: self
                .statfs
                .iter()
                .map(|(k, v)| (k.clone(), sidecar::Magic::Number(*v)))
                .collect(),
            space: self
                .space
                .iter()
                .map(|(k, s)| {
                    (
                        k.clone(),
                        SidecarSpace {
                            avail: s.avail,
                            files: s.files,
                            files_free: s.files_free,
                        },
                    )
                })
                .collect(),
            files,
            xattrs: self
                .xattrs
                .iter()
                .map(|(p, attrs)| {
                    (
                        p.clone(),
                        attrs
                            .iter()
                            .map(|(n, v)| {
                                (n.clone(), v.iter().map(|b| format!("{b:02x}")).collect())
                            })
                            .collect(),
                    )
                })
                .collect(),
            commands,
            http: self
                .http
                .iter()
                .map(|h| RecordedHttp {
                    body: redact::text(&h.body).into_owned(),
                    ..h.clone()
                })
                .collect(),
            tcp: self.tcp.clone(),
            users,
            overlay: sidecar::Overlay::default(),
            tree,
        };
        let text = toml::to_string(&sidecar).map_err(io::Error::other)?;
        let header = "# rootless-doctor host sidecar (format: src/host/sidecar.rs), written by `rootless-doctor capture`\n";
        add_file(dir, "host.toml", format!("{header}{text}").as_bytes())?;
        add_file(dir, "MANIFEST.md", manifest_text(&m).as_bytes())?;
        Ok(m)
    }
}

/// The manifest as Markdown: what the capture holds and what it left out. Paths come from the host (a user's file
/// names): control characters are escaped and backticks replaced, so no name can end a list item or a code span.
fn manifest_text(m: &Manifest) -> String {
    use std::fmt::Write as _;
    let md = |p: &str| crate::model::escape_controls(p).replace('`', "'");
    let mut s = String::from(
        "# What this capture holds\n\nWritten by `rootless-doctor capture`: exactly what the checks read on the host, as a fixture.\nReplay it with `rootless-doctor --host-file host.toml check`.\n",
    );
    let mut list = |title: &str, items: Vec<String>| {
        let _ = write!(s, "\n## {title} ({})\n\n", items.len());
        for item in items {
            let _ = writeln!(s, "- {item}");
        }
    };
    list(
        "Files with their content",
        m.files
            .iter()
            .map(|(p, n, note)| match note {
                Some(note) => format!("`{}` ({n} bytes; {note})", md(p)),
                None => format!("`{}` ({n} bytes)", md(p)),
            })
            .collect(),
    );
    list(
        "Paths kept as metadata only (kind, mode, owner, size; no content)",
        m.metadata_only
            .iter()
            .map(|p| format!("`{}`", md(p)))
            .collect(),
    );
    list(
        "Symbolic links",
        m.links
            .iter()
            .map(|(p, t)| format!("`{}` -> `{}`", md(p), md(t)))
            .collect(),
    );
    list(
        "Paths recorded with the error the run met",
        m.errors
            .iter()
            .map(|(p, e)| format!("`{}`: {}", md(p), md(e)))
            .collect(),
    );
    list(
        "Environment variables kept",
        m.env_kept.iter().map(|n| format!("`{}`", md(n))).collect(),
    );
    list(
        "Environment variables left out (names only; their values are not in this capture)",
        m.env_left_out
            .iter()
            .map(|n| format!("`{}`", md(n)))
            .collect(),
    );
    list(
        "Commands run, with their output",
        m.commands.iter().map(|c| format!("`{}`", md(c))).collect(),
    );
    list(
        "API requests",
        m.http.iter().map(|c| format!("`{}`", md(c))).collect(),
    );
    list(
        "TCP endpoints probed",
        m.tcp.iter().map(|c| format!("`{}`", md(c))).collect(),
    );
    list(
        "Accounts from the user database beyond /etc/passwd",
        m.users.clone(),
    );
    list(
        "Paths answered differently as root and as the user (the first answer is kept)",
        m.conflicts.iter().map(|c| format!("`{}`", md(c))).collect(),
    );
    list(
        "Directories whose entries are kept only in part",
        m.capped
            .iter()
            .map(|(p, n)| format!("`{}`: the first {LIST_MAX} of {n}", md(p)))
            .collect(),
    );
    list(
        "Paths that could not be placed in the tree",
        m.skipped
            .iter()
            .map(|(p, e)| format!("`{}`: {}", md(p), md(e)))
            .collect(),
    );
    s
}

/// What a capture leaves out of what it keeps. Pure functions over bytes (a file that is not UTF-8 is redacted all
/// the same).
pub mod redact {
    use std::borrow::Cow;

    /// What a private key's file holds instead.
    pub const KEY_STAND_IN: &[u8] = b"(rootless-doctor capture: a private key, not recorded)\n";

    /// Files larger than this keep only what the checks parse of them (a Go binary's build information), or
    /// nothing.
    pub const BIG: usize = 4 * 1024 * 1024;

    /// The markers of private keys: PEM (PKCS#1, PKCS#8 plain and encrypted, EC, DSA, OpenSSH), PGP, SSH2, PuTTY.
    const KEY_MARKERS: &[&[u8]] = &[
        b"PRIVATE KEY-----",
        b"PRIVATE KEY BLOCK-----",
        b"PRIVATE KEY ----",
        b"PuTTY-User-Key-File-",
    ];

    /// The content of a file as a capture keeps it, and a note when something was left out. `names` are every
    /// path it was asked by and the one it resolved to (a `~/.bashrc` that links into a dotfiles directory is still
    /// a shell start-up file).
    pub fn content(names: &[&str], bytes: &[u8]) -> (Vec<u8>, Option<String>) {
        if KEY_MARKERS.iter().any(|m| contains(bytes, m)) {
            return (
                KEY_STAND_IN.to_vec(),
                Some("a private key: left out".into()),
            );
        }
        if bytes.len() > BIG {
            return match crate::parse::gobuildinfo::of_file(bytes) {
                Ok(info) => {
                    let mut modinfo = String::new();
                    if let Some(p) = &info.path {
                        modinfo.push_str(&format!("path\t{p}\n"));
                    }
                    if let Some((p, v)) = &info.module {
                        modinfo.push_str(&format!("mod\t{p}\t{v}\t\n"));
                    }
                    (
                        crate::parse::gobuildinfo::encode(&info.go_version, &modinfo),
                        Some(format!(
                            "a {} byte program: only its Go build information kept",
                            bytes.len()
                        )),
                    )
                }
                Err(_) => (
                    Vec::new(),
                    Some(format!("{} bytes: too large, left out", bytes.len())),
                ),
            };
        }
        let any = |f: fn(&str) -> bool| names.iter().any(|n| f(n));
        if any(|p| p.starts_with("/proc/") && p.ends_with("/environ")) {
            let mut kept = Vec::new();
            let mut left = 0usize;
            for var in bytes.split(|&b| b == 0).filter(|v| !v.is_empty()) {
                let name = var.split(|&b| b == b'=').next().unwrap_or(var);
                if std::str::from_utf8(name).is_ok_and(super::allowed_env) {
                    kept.extend_from_slice(&passwords(var));
                    kept.push(0);
                } else {
                    left += 1;
                }
            }
            let note =
                (left > 0).then(|| format!("{left} variables outside the allow-list left out"));
            return (kept, note);
        }
        if any(|p| p == "/dev/kmsg") {
            return kernel_log(bytes);
        }
        if any(is_shell_startup) {
            let mut left = 0usize;
            let mut kept = Vec::with_capacity(bytes.len());
            for line in bytes.split_inclusive(|&b| b == b'\n') {
                let text = String::from_utf8_lossy(line);
                if crate::parse::docker_config::sets_docker_host(&text) {
                    // Only the assignment itself: `export DOCKER_HOST=x OTHER=secret` keeps `DOCKER_HOST=x`.
                    let at = text.find("DOCKER_HOST=").unwrap_or(0);
                    let end = text[at..]
                        .find(|c: char| c.is_whitespace() || c == ';')
                        .map_or(text.len(), |e| at + e);
                    kept.extend_from_slice(&passwords(text[..end].as_bytes()));
                    if line.ends_with(b"\n") {
                        kept.push(b'\n');
                    }
                } else {
                    if !text.trim().is_empty() {
                        left += 1;
                    }
                    if line.ends_with(b"\n") {
                        kept.push(b'\n');
                    }
                }
            }
            let note = (left > 0).then(|| {
                format!("a shell start-up file: only its DOCKER_HOST assignments kept, {left} other lines blanked")
            });
            return (kept, note);
        }
        let mut out = bytes.to_vec();
        let mut notes = Vec::new();
        if any(|p| p.ends_with(".json")) {
            let n = json_secrets(&mut out);
            if n > 0 {
                notes.push(format!("{n} credential values masked"));
            }
        }
        let unit = any(|p| {
            p.ends_with(".service")
                || p.ends_with(".socket")
                || (p.contains(".service.d/") && p.ends_with(".conf"))
        });
        if unit || any(is_env_file) {
            let n = env_secrets(&mut out, unit);
            if n > 0 {
                notes.push(format!(
                    "the values of {n} variables outside the allow-list masked"
                ));
            }
        }
        if let Cow::Owned(masked) = passwords(&out) {
            out = masked;
            notes.push("passwords in URLs masked".to_owned());
        }
        let note = (!notes.is_empty()).then(|| notes.join("; "));
        (out, note)
    }

    /// Command output, API bodies, environment values and the findings: passwords in URLs masked.
    pub fn text(s: &str) -> Cow<'_, str> {
        match passwords(s.as_bytes()) {
            Cow::Borrowed(_) => Cow::Borrowed(s),
            Cow::Owned(b) => Cow::Owned(String::from_utf8_lossy(&b).into_owned()),
        }
    }

    fn contains(hay: &[u8], needle: &[u8]) -> bool {
        hay.windows(needle.len()).any(|w| w == needle)
    }

    /// The shell start-up files `Facts::docker_host_set_in` reads for DOCKER_HOST.
    fn is_shell_startup(path: &str) -> bool {
        let name = path.rsplit('/').next().unwrap_or(path);
        crate::parse::docker_config::HOME_STARTUP_FILES.contains(&name)
            || path == "/etc/environment"
            || path == "/etc/profile"
            || (path.starts_with("/etc/profile.d/") && path.ends_with(".sh"))
    }

    /// Environment files, where `NAME=value` lines live (a unit's are its `Environment=` lines).
    fn is_env_file(path: &str) -> bool {
        path.starts_with("/etc/default/")
            || path.starts_with("/etc/sysconfig/")
            || path.ends_with(".env")
    }

    /// Only the kernel log's OOM records (the one thing the checks read in it), each other record blanked to its
    /// header so the count stays: audit command lines, firewall logs and device serials stay out.
    fn kernel_log(bytes: &[u8]) -> (Vec<u8>, Option<String>) {
        let mut out = Vec::with_capacity(bytes.len() / 4);
        let mut left = 0usize;
        for line in bytes.split_inclusive(|&b| b == b'\n') {
            let lower = String::from_utf8_lossy(line).to_ascii_lowercase();
            let oom = ["oom", "out of memory", "killed process", "memory cgroup"]
                .iter()
                .any(|w| lower.contains(w));
            if oom {
                out.extend_from_slice(line);
            } else {
                left += 1;
                // `/dev/kmsg`'s header (`prio,seq,usec,flags;`) keeps the record; its text is dropped.
                let head = line.iter().position(|&b| b == b';').map_or(0, |p| p + 1);
                out.extend_from_slice(&line[..head]);
                out.extend_from_slice(b"(left out by capture)\n");
            }
        }
        let note = (left > 0).then(|| format!("{left} records other than OOM kills blanked"));
        (out, note)
    }

    /// Masks, with `x` byte for byte, the string values of JSON keys that hold credentials: the CLI's `auth`,
    /// `identitytoken`, `registrytoken`, `password`, and any key naming a token, secret, password or an HTTP
    /// header (config.json's `HttpHeaders`, daemon.json's `log-opts` such as `splunk-token`). Returns how many.
    pub fn json_secrets(bytes: &mut [u8]) -> usize {
        fn secret_key(key: &[u8]) -> bool {
            let key = String::from_utf8_lossy(key).to_ascii_lowercase();
            key == "auth"
                || [
                    "token",
                    "secret",
                    "password",
                    "passwd",
                    "apikey",
                    "api-key",
                    "credential",
                ]
                .iter()
                .any(|w| key.contains(w))
        }
        let mut masked = 0;
        let mut i = 0;
        let mut headers_depth: Option<usize> = None;
        let mut depth = 0usize;
        while i < bytes.len() {
            match bytes[i] {
                b'{' => depth += 1,
                b'}' => {
                    depth = depth.saturating_sub(1);
                    if headers_depth.is_some_and(|d| depth < d) {
                        headers_depth = None;
                    }
                }
                _ => {}
            }
            if bytes[i] != b'"' {
                i += 1;
                continue;
            }
            let start = i + 1;
            let end = string_end(bytes, start);
            let key = bytes[start..end].to_vec();
            i = end + 1;
            let mut k = skip_space(bytes, i);
            if bytes.get(k) != Some(&b':') {
                continue;
            }
            if key.eq_ignore_ascii_case(b"HttpHeaders") {
                headers_depth = Some(depth + 1);
                continue;
            }
            if !secret_key(&key) && headers_depth.is_none() {
                continue;
            }
            k = skip_space(bytes, k + 1);
            if bytes.get(k) != Some(&b'"') {
                continue;
            }
            let v = k + 1;
            let e = string_end(bytes, v);
            if e > v {
                for b in &mut bytes[v..e] {
                    *b = b'x';
                }
                masked += 1;
            }
            i = e + 1;
        }
        masked
    }

    /// Where the JSON string whose content starts at `from` ends: its closing quote (escapes skipped), or the end.
    fn string_end(bytes: &[u8], from: usize) -> usize {
        let mut j = from;
        while j < bytes.len() && bytes[j] != b'"' {
            j += if bytes[j] == b'\\' { 2 } else { 1 };
        }
        j.min(bytes.len())
    }

    /// The first index from `at` that is not ASCII white space.
    fn skip_space(bytes: &[u8], at: usize) -> usize {
        at + bytes.get(at..).map_or(0, |rest| {
            rest.iter().take_while(|b| b.is_ascii_whitespace()).count()
        })
    }

    /// In a unit's `Environment=` lines (`unit`), or an environment file's `NAME=value` lines, masks with `x` the
    /// values of variables outside the allow-list (an AWS key for the awslogs driver, a token). Returns how many.
    pub fn env_secrets(bytes: &mut [u8], unit: bool) -> usize {
        let mut masked = 0;
        let mut at = 0;
        while at < bytes.len() {
            let end = bytes[at..]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(bytes.len(), |p| at + p);
            let line = at;
            // Skip blanks, `export `, `Environment=` and quotes, then look at each `NAME=value` word.
            let mut k = line;
            while k < end && bytes[k].is_ascii_whitespace() {
                k += 1;
            }
            if unit {
                if !bytes[k..end].starts_with(b"Environment=") {
                    at = end + 1;
                    continue;
                }
                k += b"Environment=".len();
            } else if bytes[k..end].starts_with(b"export ") {
                k += b"export ".len();
            }
            while k < end {
                while k < end
                    && (bytes[k].is_ascii_whitespace() || bytes[k] == b'"' || bytes[k] == b'\'')
                {
                    k += 1;
                }
                let word = k;
                while k < end && (bytes[k].is_ascii_alphanumeric() || bytes[k] == b'_') {
                    k += 1;
                }
                if k == word || k >= end || bytes[k] != b'=' {
                    // Not an assignment: the rest of the line is no `NAME=value` list.
                    break;
                }
                let name = String::from_utf8_lossy(&bytes[word..k]).into_owned();
                k += 1;
                let quote = (k > 0 && matches!(bytes[word.saturating_sub(1)], b'"' | b'\''))
                    .then(|| bytes[word - 1]);
                let value = k;
                while k < end
                    && match quote {
                        Some(q) => bytes[k] != q,
                        None => !bytes[k].is_ascii_whitespace(),
                    }
                {
                    k += 1;
                }
                if !super::allowed_env(&name) && k > value {
                    for b in &mut bytes[value..k] {
                        *b = b'x';
                    }
                    masked += 1;
                }
                if k < end {
                    k += 1;
                }
            }
            at = end + 1;
        }
        masked
    }

    /// `scheme://user:password@host` and a proxy's `user:password@host` with the password masked by `*`, byte for
    /// byte: the userinfo ends at the last `@` before whitespace, a quote or the end.
    pub fn passwords(bytes: &[u8]) -> Cow<'_, [u8]> {
        let mut out: Option<Vec<u8>> = None;
        let stop = |b: u8| b.is_ascii_whitespace() || b == b'"' || b == b'\'' || b == 0;
        let mut i = 0;
        while i < bytes.len() {
            // The start of a word, or just after `://`.
            let start = match bytes[i..].windows(3).position(|w| w == b"://") {
                Some(p) => i + p + 3,
                None => break,
            };
            let end = bytes[start..]
                .iter()
                .position(|&b| stop(b))
                .map_or(bytes.len(), |e| start + e);
            let word = &bytes[start..end];
            if let Some(at) = word.iter().rposition(|&b| b == b'@')
                && let Some(colon) = word[..at].iter().position(|&b| b == b':')
                && at > colon + 1
            {
                let buf = out.get_or_insert_with(|| bytes.to_vec());
                for b in &mut buf[start + colon + 1..start + at] {
                    *b = b'*';
                }
            }
            i = end.max(start);
        }
        // A proxy written without a scheme: `NAME_PROXY=user:password@host:port`.
        let text = String::from_utf8_lossy(bytes).into_owned();
        for name in ["_PROXY=", "_proxy="] {
            let mut from = 0;
            while let Some(p) = text[from..].find(name) {
                let start = from + p + name.len();
                let end = text[start..]
                    .find(|c: char| c.is_whitespace() || c == '"' || c == '\'' || c == '\0')
                    .map_or(text.len(), |e| start + e);
                let word = &text[start..end];
                if !word.contains("://")
                    && let Some(at) = word.rfind('@')
                    && let Some(colon) = word[..at].find(':')
                    && at > colon + 1
                    && text.len() == bytes.len()
                {
                    let buf = out.get_or_insert_with(|| bytes.to_vec());
                    for b in &mut buf[start + colon + 1..start + at] {
                        *b = b'*';
                    }
                }
                from = end.max(start);
            }
        }
        match out {
            Some(buf) => Cow::Owned(buf),
            None => Cow::Borrowed(bytes),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::redact::*;
    use proptest::prelude::*;

    #[test]
    fn private_keys_never_leave() {
        let key = b"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk=\n-----END OPENSSH PRIVATE KEY-----\n";
        let (kept, note) = content(&["/home/alice/.docker/key.pem"], key);
        assert_eq!(kept, KEY_STAND_IN);
        assert!(note.unwrap().contains("private key"));
    }

    #[test]
    fn environ_keeps_the_allow_list_only() {
        let env = b"PATH=/usr/bin\0AWS_SECRET_ACCESS_KEY=abc\0XDG_RUNTIME_DIR=/run/user/1000\0DOCKERD_ROOTLESS_ROOTLESSKIT_NET=pasta\0";
        let (kept, note) = content(&["/proc/4242/environ"], env);
        assert_eq!(
            kept,
            b"PATH=/usr/bin\0XDG_RUNTIME_DIR=/run/user/1000\0DOCKERD_ROOTLESS_ROOTLESSKIT_NET=pasta\0".to_vec()
        );
        assert_eq!(note.unwrap(), "1 variables outside the allow-list left out");
    }

    #[test]
    fn shell_startup_files_keep_docker_host_lines_where_they_were() {
        let rc = "alias ll='ls -l'\nexport GITHUB_TOKEN=ghp_x\n\nexport DOCKER_HOST=unix:///run/user/1000/docker.sock\n";
        let (kept, note) = content(
            &["/home/alice/dotfiles/bashrc", "/home/alice/.bashrc"],
            rc.as_bytes(),
        );
        let kept = String::from_utf8(kept).unwrap();
        assert_eq!(
            kept,
            "\n\n\nexport DOCKER_HOST=unix:///run/user/1000/docker.sock\n"
        );
        assert_eq!(kept.lines().count(), rc.lines().count());
        assert!(note.unwrap().contains("2 other lines blanked"));
    }

    #[test]
    fn registry_credentials_are_masked_in_place() {
        let config = "{\n  \"auths\": {\"https://index.docker.io/v1/\": {\"auth\": \"YWxpY2U6czNjcjN0\"}},\n  \"currentContext\": \"rootless\"\n}\n";
        let (kept, note) = content(&["/home/alice/.docker/config.json"], config.as_bytes());
        let kept = String::from_utf8(kept).unwrap();
        assert!(!kept.contains("YWxpY2U6czNjcjN0"));
        assert!(kept.contains("\"auth\": \"xxxxxxxxxxxxxxxx\""));
        assert!(kept.contains("\"currentContext\": \"rootless\""));
        assert_eq!(kept.len(), config.len());
        assert_eq!(note.unwrap(), "1 credential values masked");
    }

    #[test]
    fn url_passwords_are_masked() {
        let unit = "Environment=HTTPS_PROXY=http://bob:hunter2@proxy:3128\nEnvironment=NO_PROXY=localhost\n";
        let (kept, _) = content(
            &["/etc/systemd/system/docker.service.d/proxy.conf"],
            unit.as_bytes(),
        );
        let kept = String::from_utf8(kept).unwrap();
        assert!(kept.contains("http://bob:*******@proxy:3128"), "{kept}");
        assert_eq!(
            text("unix:///run/user/1000/docker.sock"),
            "unix:///run/user/1000/docker.sock"
        );
        assert_eq!(text("ssh://me@box"), "ssh://me@box");
    }

    /// Regression (found by review): a capture read an unpackaged RootlessKit whole for each of the four pieces its
    /// ELF headers and build information are read in. The first piece records the file; the rest are cut from it.
    #[test]
    #[allow(clippy::disallowed_methods)] // makes the test's tree in a temporary directory
    fn regression_a_capture_read_a_program_whole_for_every_piece() {
        use crate::host::Host as _;
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("bin")).unwrap();
        let program = dir.path().join("bin/program");
        std::fs::write(&program, b"0123456789").unwrap();
        let real = crate::host::real::RealHost::new(dir.path()).unwrap();
        let recorder = crate::host::record::Recorder::new(&real);
        assert_eq!(recorder.read_at("/bin/program", 0, 4).unwrap(), b"0123");
        // Changed on disk after the first piece: the next pieces still come from the copy the capture recorded
        // (they were read whole again, and the capture found its own file in conflict).
        std::fs::write(&program, b"abcdefghij").unwrap();
        assert_eq!(recorder.read_at("/bin/program", 6, 10).unwrap(), b"6789");
        assert_eq!(recorder.read_at("/bin/program", 20, 1).unwrap(), b"");
        assert!(recorder.log.borrow().conflicts.is_empty());
    }

    #[test]
    fn big_go_programs_keep_their_build_information() {
        let info = crate::parse::gobuildinfo::encode(
            "go1.22.2",
            "path\tgithub.com/rootless-containers/rootlesskit/v2/cmd/rootlesskit\nmod\tgithub.com/rootless-containers/rootlesskit/v2\tv2.3.4\t\n",
        );
        let mut program = vec![0u8; BIG + 1];
        program[1000..1000 + info.len()].copy_from_slice(&info);
        let (kept, note) = content(&["/usr/bin/rootlesskit"], &program);
        assert!(kept.len() < 4096);
        let a = crate::parse::gobuildinfo::parse(&program).unwrap();
        let b = crate::parse::gobuildinfo::parse(&kept).unwrap();
        assert_eq!(
            (a.go_version, a.path, a.module),
            (b.go_version, b.path, b.module)
        );
        assert!(note.unwrap().contains("Go build information"));
        let (kept, note) = content(&["/usr/bin/blob"], &vec![1u8; BIG + 1]);
        assert!(kept.is_empty() && note.unwrap().contains("too large"));
    }

    #[test]
    fn not_utf8_is_redacted_all_the_same() {
        let rc = b"# caf\xe9\nexport GITHUB_TOKEN=ghp_secret\nexport DOCKER_HOST=unix:///x OTHER=secret2; T=3\n";
        let (kept, note) = content(&["/home/alice/.bashrc"], rc);
        assert_eq!(kept, b"\n\nexport DOCKER_HOST=unix:///x\n");
        assert!(note.is_some());
        let mut json = b"{\"auths\":{\"r\":{\"auth\":\"c2VjcmV0\"}},\"x\":\"\xff\"}".to_vec();
        assert_eq!(json_secrets(&mut json), 1);
        assert!(!json.windows(8).any(|w| w == b"c2VjcmV0"));
    }

    #[test]
    fn unit_and_daemon_secrets_are_masked() {
        let unit = "[Service]\nExecStart=/usr/bin/dockerd-rootless.sh --tls=false\nEnvironment=\"AWS_SECRET_ACCESS_KEY=abc123\" DOCKERD_ROOTLESS_ROOTLESSKIT_NET=pasta\nEnvironment=HTTP_PROXY=proxy.example:3128\n";
        let (kept, note) = content(
            &["/home/alice/.config/systemd/user/docker.service.d/aws.conf"],
            unit.as_bytes(),
        );
        let kept = String::from_utf8(kept).unwrap();
        assert!(kept.contains("AWS_SECRET_ACCESS_KEY=xxxxxx"), "{kept}");
        assert!(
            kept.contains("DOCKERD_ROOTLESS_ROOTLESSKIT_NET=pasta"),
            "{kept}"
        );
        assert!(kept.contains("HTTP_PROXY=proxy.example:3128"), "{kept}");
        assert!(
            kept.contains("ExecStart=/usr/bin/dockerd-rootless.sh --tls=false"),
            "{kept}"
        );
        let mut defaults = b"DOCKER_OPTS=\"--dns 8.8.8.8\"\nSECRET=s3\n".to_vec();
        assert_eq!(env_secrets(&mut defaults, false), 1);
        assert_eq!(defaults, b"DOCKER_OPTS=\"--dns 8.8.8.8\"\nSECRET=xx\n");
        assert!(note.unwrap().contains("1 variables"));
        let daemon = r#"{"log-driver":"splunk","log-opts":{"splunk-token":"tok-42","splunk-url":"https://s:8088"},"data-root":"/d"}"#;
        let (kept, _) = content(
            &["/home/alice/.config/docker/daemon.json"],
            daemon.as_bytes(),
        );
        let kept = String::from_utf8(kept).unwrap();
        assert!(kept.contains("\"splunk-token\":\"xxxxxx\""), "{kept}");
        assert!(kept.contains("\"data-root\":\"/d\""), "{kept}");
        let config = r#"{"HttpHeaders":{"X-Api-Key":"k-123"},"currentContext":"a"}"#;
        let (kept, _) = content(&["/home/alice/.docker/config.json"], config.as_bytes());
        let kept = String::from_utf8(kept).unwrap();
        assert!(
            kept.contains("\"X-Api-Key\":\"xxxxx\"") && kept.contains("\"currentContext\":\"a\""),
            "{kept}"
        );
    }

    #[test]
    fn proxies_and_the_kernel_log() {
        assert_eq!(
            text("http://bob:pa/ss@proxy:3128 x"),
            "http://bob:*****@proxy:3128 x"
        );
        assert_eq!(
            text("HTTPS_PROXY=bob:pw@proxy:3128"),
            "HTTPS_PROXY=bob:**@proxy:3128"
        );
        let kmsg = b"6,100,5,-;audit: type=1309 proctitle=7365637265740a\n3,101,6,-;Out of memory: Killed process 42 (dockerd)\n";
        let (kept, note) = content(&["/dev/kmsg"], kmsg);
        let kept = String::from_utf8(kept).unwrap();
        assert!(!kept.contains("proctitle"), "{kept}");
        assert!(kept.contains(
            "6,100,5,-;(left out by capture)\n3,101,6,-;Out of memory: Killed process 42"
        ));
        assert!(note.unwrap().contains("1 records"));
        for key in [
            "-----BEGIN PGP PRIVATE KEY BLOCK-----",
            "PuTTY-User-Key-File-3: ssh-ed25519",
            "---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----",
        ] {
            assert_eq!(content(&["/x"], key.as_bytes()).0, KEY_STAND_IN);
        }
    }

    proptest! {
        #[test]
        fn masking_keeps_lengths_and_never_panics(s in proptest::collection::vec(any::<u8>(), 0..300)) {
            let mut masked = s.clone();
            json_secrets(&mut masked);
            prop_assert_eq!(masked.len(), s.len());
            for unit in [true, false] {
                let mut env = s.clone();
                env_secrets(&mut env, unit);
                prop_assert_eq!(env.len(), s.len());
            }
            prop_assert_eq!(passwords(&s).len(), s.len());
        }

        #[test]
        fn no_key_survives(prefix in "[a-z ]{0,40}", secret in "[A-Za-z0-9]{1,40}") {
            let config = format!("{{\"auths\": {{\"r\": {{\"{prefix}\": 1, \"auth\": \"{secret}\"}}}}}}");
            let mut masked = config.into_bytes();
            prop_assert!(json_secrets(&mut masked) >= 1);
            let masked = String::from_utf8(masked).unwrap();
            let expected = format!("\"auth\": \"{}\"", "x".repeat(secret.len()));
            prop_assert!(masked.contains(&expected), "{}", masked);
        }
    }
}
