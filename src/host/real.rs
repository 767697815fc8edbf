//! The running machine, optionally seen below a `--root` prefix.
//!
//! Every open here is made the safe way, because root's run reads files that other users control:
//! - `O_NONBLOCK | O_NOCTTY | O_CLOEXEC`, then `fstat` on the open file: only regular files are read
//!   (a FIFO, socket or device where a file belongs is an error that names it, never a hang), and no read
//!   takes more than [`READ_MAX`] bytes;
//! - below `--root`, paths are resolved by the kernel with `openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)`
//!   from a descriptor of the tree, and every later step works on the descriptor that open returned, so a
//!   directory swapped for a symlink while the doctor reads cannot lead it out of the tree;
//! - when root judges another user, opens run with that user's credentials ([`super::creds`]);
//! - sockets are connected through the descriptor that was checked, within one overall deadline, and when
//!   root judges a user only if the socket and the process behind it belong to that user or to root.
//!
//! **Invariant:** the raw open and connect calls (listed in `clippy.toml`) are allowed only on the items that apply
//! these rules: `RealHost::open`, `Tree::open`, `connect_fd` and `read_kmsg`; every other item reaches files through them.

use std::io::{self, Read as _, Write as _};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::time::Instant;

use nix::fcntl::{OFlag, OpenHow, ResolveFlag};
use nix::sys::stat::{Mode, SFlag};

use super::creds::{self, Creds, Saved};
use super::{Access, CommandOutput, FileKind, Host, Identity, Meta, Space, UserInfo};

/// The most one read of a host file takes: the largest file read whole is the package database
/// (a few MiB on a full desktop). A larger file is an error that names it, never a memory blow-up.
pub const READ_MAX: u64 = 64 * 1024 * 1024;
/// The first read of a file whose size fstat does not know (/proc, /sys): one page.
const PSEUDO_FILE_FIRST_READ: usize = 4096;

/// The buffer [`Host::read_pieces`] reads through: small enough to stay in cache, large enough that a 1 MB file
/// takes 16 reads.
const PIECE: usize = 64 * 1024;

/// How many account lookups below `--root` read /etc/passwd piece by piece before it is read whole and kept.
const STREAMED_LOOKUPS: u8 = 4;

#[derive(Debug)]
pub struct RealHost {
    root: PathBuf,
    /// Below `--root`: the tree, opened once. `None` at `/`.
    tree: Option<Tree>,
    /// When root judges another user: that user's credentials, and root's own to put back.
    reader: Option<(Creds, Saved)>,
    /// Below `--root`: the tree's /etc/passwd, read whole and kept from the lookup after [`STREAMED_LOOKUPS`] on
    /// (a fleet's has ten thousand lines). The first ones read it through a small buffer instead (`looked_up`
    /// counts them): a one-user run asks for three accounts (the user, twice, and root), and a copy of the whole
    /// file costs more in fresh pages than three passes through one buffer.
    passwd: std::cell::OnceCell<Vec<u8>>,
    looked_up: std::cell::Cell<u8>,
    /// When this host view was made: the start of the run, for a report's duration.
    started: Instant,
}

#[derive(Debug)]
struct Tree {
    fd: OwnedFd,
    /// The tree's real path, to turn `/proc/self/fd/N` back into a host path.
    real: PathBuf,
}

impl RealHost {
    /// `Unsupported` below `--root`: a tree is files to read, not a machine to launch on.
    fn launches(&self) -> io::Result<()> {
        if self.at_root() {
            return Ok(());
        }
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            format!(
                "{} is a tree of files: nothing is launched from it",
                self.root.display()
            ),
        ))
    }
    /// The machine at `/`, or the tree at `root`. Below a root, the kernel must have `openat2(2)` (Linux 5.6).
    #[allow(clippy::disallowed_methods)] // the tree's own directory, opened O_PATH once
    pub fn new(root: impl Into<PathBuf>) -> io::Result<Self> {
        let root = root.into();
        let tree = if root == Path::new("/") {
            None
        } else {
            let fd = nix::fcntl::open(
                &root,
                OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
                Mode::empty(),
            )
            .map_err(|e| with_context(io::Error::from(e), &root.display().to_string()))?;
            let real = std::fs::read_link(format!("/proc/self/fd/{}", fd.as_raw_fd()))
                .unwrap_or_else(|_| root.clone());
            let tree = Tree { fd, real };
            // Ask once, so a kernel without openat2 is one clear error, not one per file.
            match tree.open(".", OFlag::O_PATH) {
                Err(e) if e.raw_os_error() == Some(nix::errno::Errno::ENOSYS as i32) => {
                    return Err(io::Error::new(
                        io::ErrorKind::Unsupported,
                        "--root needs openat2(2) (Linux 5.6 or later) to stay inside the tree; this kernel has none",
                    ));
                }
                Err(e) => return Err(with_context(e, &root.display().to_string())),
                Ok(_) => {}
            }
            Some(tree)
        };
        Ok(RealHost {
            root,
            tree,
            reader: None,
            passwd: std::cell::OnceCell::new(),
            looked_up: std::cell::Cell::new(0),
            started: now(),
        })
    }

    fn at_root(&self) -> bool {
        self.tree.is_none()
    }

    /// The first account of the tree's /etc/passwd that `wanted(name, uid)` picks. Each of the first lookups
    /// answers from the file as it is then, as glibc's `files` module does at `/` (it opens /etc/passwd for every
    /// `getpwnam`); from the fifth on, from the copy kept.
    fn find_account(
        &self,
        wanted: impl Fn(&[u8], Option<u32>) -> bool,
    ) -> io::Result<Option<UserInfo>> {
        if self.passwd.get().is_none() && self.looked_up.get() < STREAMED_LOOKUPS {
            self.looked_up.set(self.looked_up.get() + 1);
            return self.stream_account(&wanted);
        }
        let bytes = match self.passwd.get() {
            Some(b) => b,
            None => {
                let read = self.read("/etc/passwd")?;
                self.passwd.get_or_init(|| read)
            }
        };
        Ok(crate::parse::passwd::find_account(bytes, wanted).map(UserInfo::from))
    }

    /// [`RealHost::find_account`] through [`Host::read_pieces`]' small buffer, line by line, as
    /// `parse::passwd::find_account` reads the whole file (a test holds them together across piece boundaries:
    /// `a_first_lookup_read_piece_by_piece_finds_what_the_whole_file_holds`). The file is read to its end even
    /// after a match: the same opens and limits as [`Host::read`], through 64 KiB of memory.
    fn stream_account(
        &self,
        wanted: &dyn Fn(&[u8], Option<u32>) -> bool,
    ) -> io::Result<Option<UserInfo>> {
        let mut found: Option<UserInfo> = None;
        // A line cut between two pieces: its start, kept until its newline comes.
        let mut carry: Vec<u8> = Vec::new();
        let mut line = 0;
        let each = |raw: &[u8], line: usize| {
            crate::parse::passwd::account_in_line(line, raw, wanted).map(UserInfo::from)
        };
        self.read_pieces("/etc/passwd", &mut |piece| {
            let mut rest = piece;
            while found.is_none() {
                let Some(nl) = crate::parse::scan::find_byte(b'\n', rest) else {
                    carry.extend_from_slice(rest);
                    return;
                };
                line += 1;
                let (head, tail) = rest.split_at(nl);
                found = if carry.is_empty() {
                    each(head, line)
                } else {
                    carry.extend_from_slice(head);
                    let hit = each(&carry, line);
                    carry.clear();
                    hit
                };
                rest = tail.get(1..).unwrap_or_default();
            }
        })?;
        if found.is_none() {
            // The text after the last newline is a line too.
            found = each(&carry, line + 1);
        }
        Ok(found)
    }

    /// Runs `op` with the judged user's credentials when root judges someone else (kept for the next read inside
    /// `creds::Kept`), else as this process.
    fn as_reader<T>(&self, op: impl FnOnce() -> io::Result<T>) -> io::Result<T> {
        match &self.reader {
            Some((c, saved)) => creds::read_as(c, saved, op),
            None => creds::as_self(op),
        }
    }

    /// [`RealHost::as_reader`] for a connection: with the judged user's effective ids too, so the server sees the
    /// user connect (`SO_PEERCRED`), not root.
    fn as_connector<T>(&self, op: impl FnOnce() -> io::Result<T>) -> io::Result<T> {
        match &self.reader {
            Some((c, saved)) => creds::with_effective_creds(c, saved, op),
            None => creds::as_self(op),
        }
    }

    /// Opens `path` (a host path) with `flags` plus `O_CLOEXEC | O_NOCTTY`, inside the tree when there is one.
    #[allow(clippy::disallowed_methods)] // the one open of the live machine's files
    fn open(&self, path: &str, flags: OFlag) -> io::Result<OwnedFd> {
        // openat2 refuses (EINVAL) any flag O_PATH does not take, O_NOCTTY among them.
        let flags = if flags.contains(OFlag::O_PATH) {
            flags | OFlag::O_CLOEXEC
        } else {
            flags | OFlag::O_CLOEXEC | OFlag::O_NOCTTY
        };
        match &self.tree {
            Some(tree) => tree.open(path, flags),
            None => nix::fcntl::open(path, flags, Mode::empty()).map_err(io::Error::from),
        }
    }

    /// Opens a regular file for reading (`O_NONBLOCK`, so a FIFO cannot block the open), with its metadata; anything
    /// else is refused before a byte is read.
    fn open_regular(&self, path: &str) -> io::Result<(std::fs::File, Meta)> {
        let fd = match self.open(path, OFlag::O_RDONLY | OFlag::O_NONBLOCK) {
            Ok(fd) => fd,
            // A socket cannot be opened for reading (ENXIO, "no such device or address"): say what is there, as
            // for a FIFO or a device (the descriptor of the path itself, never followed further).
            Err(e) if e.raw_os_error() == Some(nix::libc::ENXIO) => {
                return match self
                    .open(path, OFlag::O_PATH)
                    .and_then(|fd| fstat_meta(&fd))
                {
                    Ok(meta) if meta.kind != FileKind::File => Err(not_regular(meta.kind)),
                    _ => Err(e),
                };
            }
            Err(e) => return Err(e),
        };
        let meta = fstat_meta(&fd)?;
        if meta.kind != FileKind::File {
            return Err(not_regular(meta.kind));
        }
        Ok((std::fs::File::from(fd), meta))
    }

    /// Opens and reads a regular file, at most [`READ_MAX`] bytes.
    fn read_file(&self, path: &str) -> io::Result<Vec<u8>> {
        let (file, meta) = self.open_regular(path)?;
        // A file fstat already shows too large is refused unread (found by a hostile-user audit: a 5 GB sparse
        // daemon.json cost 64 MiB of reading each time it was asked); one that grows past the cap while read is
        // caught below.
        if meta.size > READ_MAX {
            return Err(over_read_max());
        }
        // Sized from fstat, so a large file (dpkg's status: ~700 KB) is read into one allocation instead of a
        // doubling series. /proc and /sys files report 0: a page first, which holds nearly all of them (a status or
        // mountinfo file took eight reads from std's 32-byte probe up), and they grow from there.
        let capacity = match usize::try_from(meta.size.min(READ_MAX)).unwrap_or(0) {
            0 => PSEUDO_FILE_FIRST_READ,
            size => size + 1,
        };
        let mut out = Vec::with_capacity(capacity);
        file.take(READ_MAX + 1).read_to_end(&mut out)?;
        if out.len() as u64 > READ_MAX {
            return Err(over_read_max());
        }
        Ok(out)
    }

    #[allow(clippy::disallowed_methods)] // stat at `/` opens nothing
    fn meta(&self, path: &str, follow: bool) -> io::Result<Meta> {
        match &self.tree {
            Some(_) => {
                let nofollow = if follow {
                    OFlag::empty()
                } else {
                    OFlag::O_NOFOLLOW
                };
                fstat_meta(&self.open(path, OFlag::O_PATH | nofollow)?)
            }
            None if follow => Ok(meta_from_std(&std::fs::metadata(path)?)),
            None => Ok(meta_from_std(&std::fs::symlink_metadata(path)?)),
        }
    }

    #[allow(clippy::disallowed_methods)] // readlink at `/` opens nothing
    fn link(&self, path: &str) -> io::Result<String> {
        let target = match &self.tree {
            Some(_) => {
                let fd = self.open(path, OFlag::O_PATH | OFlag::O_NOFOLLOW)?;
                nix::fcntl::readlinkat(&fd, "").map_err(|e| match e {
                    // readlinkat on something that is not a link says ENOENT; readlink(2) says EINVAL.
                    nix::errno::Errno::ENOENT => io::Error::from_raw_os_error(libc_einval()),
                    e => io::Error::from(e),
                })?
            }
            None => std::fs::read_link(path)?.into_os_string(),
        };
        Ok(target.to_string_lossy().into_owned())
    }

    #[allow(clippy::disallowed_methods)] // realpath at `/` opens nothing; below a root, our own /proc/self/fd link
    fn canonical(&self, path: &str) -> io::Result<String> {
        match &self.tree {
            None => Ok(std::fs::canonicalize(path)?.to_string_lossy().into_owned()),
            Some(tree) => {
                let fd = self.open(path, OFlag::O_PATH)?;
                let real = std::fs::read_link(format!("/proc/self/fd/{}", fd.as_raw_fd()))?;
                let inside = real.strip_prefix(&tree.real).map_err(|_| {
                    io::Error::new(
                        io::ErrorKind::InvalidData,
                        "resolves outside the --root tree",
                    )
                })?;
                Ok(format!("/{}", inside.to_string_lossy()))
            }
        }
    }

    fn dir_names(&self, path: &str) -> io::Result<Vec<String>> {
        self.dir_names_at_most(path, super::DIR_ENTRIES_MAX)
    }

    /// [`RealHost::dir_names`] with at most `max` entries: a directory that holds more is an error.
    fn dir_names_at_most(&self, path: &str, max: usize) -> io::Result<Vec<String>> {
        let fd = self.open(
            path,
            OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NONBLOCK,
        )?;
        let mut dir = nix::dir::Dir::from_fd(fd).map_err(io::Error::from)?;
        let mut names = Vec::new();
        for entry in dir.iter() {
            let entry = entry.map_err(io::Error::from)?;
            let name = entry.file_name().to_bytes();
            if name != b"." && name != b".." {
                if names.len() == max {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("holds more than {max} entries: not listed"),
                    ));
                }
                names.push(String::from_utf8_lossy(name).into_owned());
            }
        }
        names.sort();
        Ok(names)
    }

    #[allow(clippy::disallowed_methods)] // through our own descriptor's /proc/self/fd link
    fn get_xattr(&self, path: &str, name: &str) -> io::Result<Option<Vec<u8>>> {
        // Through the descriptor: the attribute is the opened file's, not whatever the path names a moment later.
        let fd = self.open(path, OFlag::O_PATH)?;
        // The magic link must be followed (getxattr, not lgetxattr: the link itself has no attributes, EOPNOTSUPP).
        xattr::get_deref(format!("/proc/self/fd/{}", fd.as_raw_fd()), name)
    }

    fn magic(&self, path: &str) -> io::Result<u64> {
        let fd = self.open(path, OFlag::O_PATH)?;
        let st = nix::sys::statfs::fstatfs(&fd).map_err(io::Error::from)?;
        // `f_type` is signed on some ABIs; the magic numbers are defined as unsigned 32-bit values.
        #[allow(clippy::unnecessary_cast)]
        Ok(st.filesystem_type().0 as u64 & 0xffff_ffff)
    }

    /// `faccessat2(fd, "", want, AT_EACCESS | AT_EMPTY_PATH)` on the descriptor the path resolves to: the kernel
    /// judges with the filesystem ids (the judged user's inside `with_creds`), ACLs and read-only mounts included.
    fn access_fd(&self, path: &str, want: Access) -> io::Result<()> {
        if self.tree.is_some() {
            // The tree's owners are an image's ids; the kernel can only answer for this process.
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "a --root tree: the kernel can only answer for this process, not for the tree's user",
            ));
        }
        if self.reader.is_some() && !fsuid_access_works() {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "this system's faccessat does not judge with the filesystem ids (kernel before 5.8 or glibc before 2.33)",
            ));
        }
        let fd = self.open(path, OFlag::O_PATH)?;
        faccess_fd(&fd, want)
    }

    /// Connects to the socket at `socket` through the descriptor it was checked on.
    fn connect(
        &self,
        socket: &str,
        deadline: Instant,
    ) -> io::Result<std::os::unix::net::UnixStream> {
        self.connect_to(socket, deadline, false)
    }

    /// [`RealHost::connect`]; with `users_own`, a socket that only the judged user's own process may serve (their
    /// D-Bus): the path's last component is not followed (a link swapped in after the check's `lstat` is refused),
    /// and neither the socket nor its server may be root's.
    fn connect_to(
        &self,
        socket: &str,
        deadline: Instant,
        users_own: bool,
    ) -> io::Result<std::os::unix::net::UnixStream> {
        let flags = if users_own {
            OFlag::O_PATH | OFlag::O_NOFOLLOW
        } else {
            OFlag::O_PATH
        };
        let fd = self.open(socket, flags)?;
        let meta = fstat_meta(&fd)?;
        if meta.kind != FileKind::Socket {
            // What connect(2) says for a path that is not a socket.
            return Err(io::Error::from(io::ErrorKind::ConnectionRefused));
        }
        let root_allowed = !users_own;
        if let Some((c, _)) = &self.reader
            && meta.uid != c.uid
            && !(root_allowed && meta.uid == 0)
        {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!(
                    "the socket belongs to uid {}, {}: not connected",
                    meta.uid,
                    if root_allowed {
                        "neither the judged user nor root"
                    } else {
                        "not the judged user"
                    }
                ),
            ));
        }
        let stream = connect_fd(&fd, deadline)?;
        if let Some((c, _)) = &self.reader {
            let peer =
                nix::sys::socket::getsockopt(&stream, nix::sys::socket::sockopt::PeerCredentials)
                    .map_err(io::Error::from)?;
            if peer.uid() != c.uid && !(root_allowed && peer.uid() == 0) {
                return Err(io::Error::new(
                    io::ErrorKind::PermissionDenied,
                    format!(
                        "the process behind the socket runs as uid {}, {}: nothing sent",
                        peer.uid(),
                        if root_allowed {
                            "neither the judged user nor root"
                        } else {
                            "not the judged user"
                        }
                    ),
                ));
            }
        }
        Ok(stream)
    }
}

impl Tree {
    #[allow(clippy::disallowed_methods)] // the one open below a --root
    fn open(&self, path: &str, flags: OFlag) -> io::Result<OwnedFd> {
        // RESOLVE_IN_ROOT: `..` and absolute links stop at the tree's top, as a chroot would see them;
        // RESOLVE_NO_MAGICLINKS: /proc/PID/root and fd links inside an image never lead out of it.
        let rel = path.trim_start_matches('/');
        let rel = if rel.is_empty() { "." } else { rel };
        let how = OpenHow::new()
            .flags(flags | OFlag::O_CLOEXEC)
            .resolve(ResolveFlag::RESOLVE_IN_ROOT | ResolveFlag::RESOLVE_NO_MAGICLINKS);
        loop {
            match nix::fcntl::openat2(&self.fd, rel, how) {
                Ok(fd) => return Ok(fd),
                // openat2 says EAGAIN when a rename raced the resolution; asking again is what it asks for.
                Err(nix::errno::Errno::EAGAIN) | Err(nix::errno::Errno::EINTR) => continue,
                Err(e) => return Err(io::Error::from(e)),
            }
        }
    }
}

fn faccess_fd(fd: &OwnedFd, want: Access) -> io::Result<()> {
    use nix::fcntl::AtFlags;
    use nix::unistd::AccessFlags;
    let mut mode = AccessFlags::F_OK;
    for (on, flag) in [
        (want.read, AccessFlags::R_OK),
        (want.write, AccessFlags::W_OK),
        (want.exec, AccessFlags::X_OK),
    ] {
        if on {
            mode |= flag;
        }
    }
    nix::unistd::faccessat(fd, "", mode, AtFlags::AT_EACCESS | AtFlags::AT_EMPTY_PATH)
        .map_err(io::Error::from)
}

/// Whether `faccessat(AT_EACCESS)` here judges with the filesystem ids, as the kernel's faccessat2 does: glibc
/// before 2.33, or a kernel before 5.8, emulate it with the effective ids, which are still root's inside
/// `with_creds`. Asked once, inside the caller's `with_creds`: a root-owned 0644 file (/etc/passwd) must not be
/// writable by the judged user.
fn fsuid_access_works() -> bool {
    static WORKS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *WORKS.get_or_init(|| {
        #[allow(clippy::disallowed_methods)]
        // a fixed root-owned file of the running system, opened O_PATH
        let Ok(fd) = nix::fcntl::open(
            "/etc/passwd",
            OFlag::O_PATH | OFlag::O_CLOEXEC,
            Mode::empty(),
        ) else {
            return false;
        };
        let write = Access {
            read: false,
            write: true,
            exec: false,
        };
        matches!(faccess_fd(&fd, write), Err(e) if e.kind() == io::ErrorKind::PermissionDenied)
    })
}

fn with_context(err: io::Error, what: &str) -> io::Error {
    io::Error::new(
        err.kind(),
        format!("{what}: {}", super::describe_error(&err)),
    )
}

/// Refusing a file that is not regular: reading it could block forever (a FIFO) or never end (a device).
/// A file over [`READ_MAX`]: named as such, never read whole.
fn over_read_max() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("larger than {} MiB: not read", READ_MAX >> 20),
    )
}

fn not_regular(kind: FileKind) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("is a {}, not a regular file: not read", kind.describe()),
    )
}

fn fstat_meta(fd: &OwnedFd) -> io::Result<Meta> {
    let st = nix::sys::stat::fstat(fd).map_err(io::Error::from)?;
    let fmt = SFlag::from_bits_truncate(st.st_mode & SFlag::S_IFMT.bits());
    let kind = match fmt {
        SFlag::S_IFLNK => FileKind::Symlink,
        SFlag::S_IFDIR => FileKind::Dir,
        SFlag::S_IFSOCK => FileKind::Socket,
        SFlag::S_IFIFO => FileKind::Fifo,
        SFlag::S_IFCHR => FileKind::CharDevice,
        SFlag::S_IFBLK => FileKind::BlockDevice,
        _ => FileKind::File,
    };
    let rdev = matches!(kind, FileKind::CharDevice | FileKind::BlockDevice)
        .then(|| device_number(st.st_rdev as u64));
    #[allow(clippy::unnecessary_cast)]
    Ok(Meta {
        kind,
        mode: st.st_mode as u32 & 0o7777,
        uid: st.st_uid,
        gid: st.st_gid,
        size: st.st_size.max(0) as u64,
        rdev,
    })
}

/// A `dev_t`'s major and minor numbers.
fn device_number(dev: u64) -> (u32, u32) {
    #[allow(clippy::unnecessary_cast)]
    let dev = dev as nix::libc::dev_t;
    (
        nix::sys::stat::major(dev) as u32,
        nix::sys::stat::minor(dev) as u32,
    )
}

fn libc_einval() -> i32 {
    nix::errno::Errno::EINVAL as i32
}

pub(crate) fn meta_from_std(m: &std::fs::Metadata) -> Meta {
    let ft = m.file_type();
    let kind = if ft.is_symlink() {
        FileKind::Symlink
    } else if ft.is_dir() {
        FileKind::Dir
    } else if ft.is_socket() {
        FileKind::Socket
    } else if ft.is_fifo() {
        FileKind::Fifo
    } else if ft.is_char_device() {
        FileKind::CharDevice
    } else if ft.is_block_device() {
        FileKind::BlockDevice
    } else {
        FileKind::File
    };
    Meta {
        kind,
        mode: m.mode() & 0o7777,
        uid: m.uid(),
        gid: m.gid(),
        size: m.size(),
        rdev: matches!(kind, FileKind::CharDevice | FileKind::BlockDevice)
            .then(|| device_number(m.rdev())),
    }
}

#[allow(clippy::disallowed_methods)] // fixture trees (FakeHost)
pub(crate) fn read_dir_names(disk: &Path) -> io::Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(disk)? {
        names.push(entry?.file_name().to_string_lossy().into_owned());
    }
    names.sort();
    Ok(names)
}

impl Host for RealHost {
    #[allow(clippy::disallowed_methods)] // the HTTP deadline: the one clock
    fn tcp_exchange(&self, req: &super::TcpRequest) -> io::Result<super::TcpReply> {
        if !self.at_root() {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "a --root tree has no network to probe",
            ));
        }
        let deadline = Instant::now() + super::HTTP_TIMEOUT;
        // As the judged user: the socket is theirs (firewall owner matches see their uid, not root's).
        self.as_connector(|| {
            let stream = std::net::TcpStream::connect_timeout(&req.addr, super::HTTP_TIMEOUT)
                .map_err(|e| {
                    if matches!(
                        e.kind(),
                        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
                    ) {
                        io::Error::new(
                            io::ErrorKind::TimedOut,
                            "no answer to the connection within 3 s",
                        )
                    } else {
                        e
                    }
                })?;
            plain_exchange(stream, req, deadline)
        })
    }

    #[allow(clippy::disallowed_methods)] // the HTTP deadline: the one clock
    fn http_get_unix(&self, socket: &str, path: &str) -> io::Result<crate::parse::http::Response> {
        let deadline = Instant::now() + super::HTTP_TIMEOUT;
        self.as_connector(|| {
            let stream = self.connect(socket, deadline)?;
            http_exchange(
                stream,
                &crate::parse::http::get_request(path, "docker"),
                deadline,
            )
        })
    }

    #[allow(clippy::disallowed_methods)] // the connect's deadline, the same clock
    fn unix_listens(&self, socket: &str) -> io::Result<()> {
        if !self.at_root() {
            // A socket file in an image has nobody behind it, or a process of this machine's that is not the tree's.
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "a --root tree has no running processes to ask",
            ));
        }
        let deadline = Instant::now() + super::HTTP_TIMEOUT;
        self.as_connector(|| self.connect_to(socket, deadline, true).map(drop))
    }

    fn root_display(&self) -> String {
        self.root.display().to_string()
    }

    fn is_live(&self) -> bool {
        self.at_root()
    }

    fn read(&self, path: &str) -> io::Result<Vec<u8>> {
        self.as_reader(|| self.read_file(path))
    }

    fn read_prefix(&self, path: &str, max: usize) -> io::Result<(Vec<u8>, bool)> {
        use std::io::Read as _;
        self.as_reader(|| {
            let (file, _) = self.open_regular(path)?;
            let mut bytes = Vec::new();
            file.take(max as u64 + 1).read_to_end(&mut bytes)?;
            let more = bytes.len() > max;
            bytes.truncate(max);
            Ok((bytes, more))
        })
    }

    fn read_pieces(&self, path: &str, sink: &mut dyn FnMut(&[u8])) -> io::Result<()> {
        self.as_reader(|| {
            let (mut file, _) = self.open_regular(path)?;
            let mut buf = vec![0u8; PIECE];
            let mut total: u64 = 0;
            loop {
                let n = match file.read(&mut buf) {
                    Ok(0) => return Ok(()),
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                };
                total += n as u64;
                if total > READ_MAX {
                    return Err(over_read_max());
                }
                sink(&buf[..n]);
            }
        })
    }

    fn read_at(&self, path: &str, offset: u64, len: usize) -> io::Result<Vec<u8>> {
        use std::os::unix::fs::FileExt as _;
        self.as_reader(|| {
            let (file, meta) = self.open_regular(path)?;
            // A file `read` refuses is refused here too (found by review: a 100 MB binary's section was read, where
            // the whole-file read says "larger than 64 MiB: not read"), and no more than it holds from `offset`.
            if meta.size > READ_MAX {
                return Err(over_read_max());
            }
            let want = meta
                .size
                .saturating_sub(offset)
                .min(len as u64)
                .min(READ_MAX);
            let mut buf = vec![0u8; usize::try_from(want).unwrap_or(0)];
            let mut done = 0;
            while done < buf.len() {
                match file.read_at(&mut buf[done..], offset + done as u64) {
                    Ok(0) => break,
                    Ok(n) => done += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            buf.truncate(done);
            Ok(buf)
        })
    }

    fn lstat(&self, path: &str) -> io::Result<Meta> {
        self.as_reader(|| self.meta(path, false))
    }

    fn stat(&self, path: &str) -> io::Result<Meta> {
        self.as_reader(|| self.meta(path, true))
    }

    fn read_link(&self, path: &str) -> io::Result<String> {
        self.as_reader(|| self.link(path))
    }

    fn canonicalize(&self, path: &str) -> io::Result<String> {
        self.as_reader(|| self.canonical(path))
    }

    fn read_dir(&self, path: &str) -> io::Result<Vec<String>> {
        self.as_reader(|| self.dir_names(path))
    }

    fn xattr(&self, path: &str, name: &str) -> io::Result<Option<Vec<u8>>> {
        self.as_reader(|| self.get_xattr(path, name))
    }

    fn fs_magic(&self, path: &str) -> io::Result<u64> {
        self.as_reader(|| self.magic(path))
    }

    fn fs_space(&self, path: &str) -> io::Result<Space> {
        self.as_reader(|| {
            let fd = self.open(path, OFlag::O_PATH)?;
            let st = nix::sys::statfs::fstatfs(&fd).map_err(io::Error::from)?;
            // The counters' C types differ between ABIs (`__fsword_t` is signed on x86_64).
            #[allow(clippy::unnecessary_cast, clippy::cast_sign_loss)]
            let space = Space {
                avail: (st.blocks_available() as u64).saturating_mul(st.block_size() as u64),
                files: st.files() as u64,
                files_free: st.files_free() as u64,
            };
            Ok(space)
        })
    }

    fn access(&self, path: &str, want: Access) -> io::Result<()> {
        self.as_reader(|| self.access_fd(path, want))
    }

    #[allow(clippy::disallowed_methods)] // the environment is a host fact
    fn env(&self, name: &str) -> Option<String> {
        std::env::var_os(name).map(|v| v.to_string_lossy().into_owned())
    }

    #[allow(clippy::disallowed_methods)] // the environment is a host fact
    fn env_vars(&self) -> Vec<(String, String)> {
        std::env::vars_os()
            .map(|(k, v)| {
                (
                    k.to_string_lossy().into_owned(),
                    v.to_string_lossy().into_owned(),
                )
            })
            .collect()
    }

    #[allow(clippy::disallowed_methods)] // the identity is a host fact
    fn identity(&self) -> Identity {
        let ask = || Identity {
            uid: nix::unistd::getuid().as_raw(),
            gid: nix::unistd::getgid().as_raw(),
            euid: nix::unistd::geteuid().as_raw(),
            groups: nix::unistd::getgroups()
                .map(|gs| gs.into_iter().map(|g| g.as_raw()).collect())
                .unwrap_or_default(),
        };
        // This process's own groups, not a parked user's (`as_self` refuses only inside an operation made as the
        // user, which never asks this).
        creds::as_self(|| Ok(ask())).unwrap_or_else(|_| ask())
    }

    #[allow(clippy::disallowed_methods)] // NSS
    fn user_by_name(&self, name: &str) -> io::Result<Option<UserInfo>> {
        creds::as_self(|| {
            if self.at_root() {
                // On the live machine ask NSS, so LDAP/SSSD/systemd-homed users are found too.
                let user = nix::unistd::User::from_name(name).map_err(io::Error::from)?;
                return Ok(user.map(user_info));
            }
            self.find_account(|n, _| n == name.as_bytes())
        })
    }

    #[allow(clippy::disallowed_methods)] // NSS
    fn user_by_uid(&self, uid: u32) -> io::Result<Option<UserInfo>> {
        creds::as_self(|| {
            if self.at_root() {
                let user = nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid))
                    .map_err(io::Error::from)?;
                return Ok(user.map(user_info));
            }
            self.find_account(|_, u| u == Some(uid))
        })
    }

    #[allow(clippy::disallowed_methods)] // the report's timestamp: the wall clock
    fn now(&self) -> std::time::SystemTime {
        std::time::SystemTime::now()
    }

    #[allow(clippy::disallowed_methods)] // the report's duration
    fn elapsed(&self) -> std::time::Duration {
        self.started.elapsed()
    }

    fn kernel_log(&self) -> io::Result<Vec<u8>> {
        if !self.at_root() {
            // Below a root, /dev/kmsg would be this machine's log, not the tree's.
            return Err(io::Error::from(io::ErrorKind::NotFound));
        }
        self.as_reader(|| read_kmsg(Path::new("/dev/kmsg")))
    }

    #[allow(clippy::disallowed_methods)] // argv, never a shell
    fn run(&self, argv: &[&str]) -> io::Result<CommandOutput> {
        let (program, args) = argv
            .split_first()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "empty argv"))?;
        let out = creds::as_self(|| {
            std::process::Command::new(program)
                .args(args)
                .stdin(std::process::Stdio::null())
                .output()
        })?;
        Ok(CommandOutput {
            status: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        })
    }

    fn run_bounded(
        &self,
        cmd: &super::bounded::BoundedCommand,
    ) -> io::Result<super::bounded::BoundedOutput> {
        self.launches()?;
        creds::as_self(|| super::bounded::run(cmd))
    }

    fn run_bench(&self, cmd: &super::bench::BenchCommand) -> io::Result<super::bench::BenchOutput> {
        self.launches()?;
        creds::as_self(|| super::bench::run(cmd))
    }

    #[allow(clippy::disallowed_methods)] // the identity is a host fact
    fn as_user(&self, user: &UserInfo) -> io::Result<Option<Box<dyn Host>>> {
        // Only root reading for someone else needs to step down; a --root tree's owners are the image's ids.
        if !self.at_root() || !nix::unistd::geteuid().is_root() || user.uid == 0 {
            return Ok(None);
        }
        // Root's own groups and capabilities to come back to, and NSS asked as root.
        let (creds, saved) = creds::as_self(|| {
            let creds = Creds {
                uid: user.uid,
                gid: user.gid,
                groups: creds::login_groups(&user.name, user.gid)?,
            };
            Ok((creds, Saved::now()?))
        })?;
        // Try the switch once: root of a user namespace without setgroups (`unshare -r`) cannot make it, and
        // needs not: its powers over the machine's files are those of the one account mapped to it.
        if let Err(e) = creds::read_as(&creds, &saved, || Ok(())) {
            let uid_map = self
                .read_to_string("/proc/self/uid_map")
                .unwrap_or_default();
            let initial = crate::parse::id_map::parse(&uid_map)
                .0
                .first()
                .is_some_and(|m| m.inside == 0 && m.outside == 0 && m.count == u64::from(u32::MAX));
            return if initial { Err(e) } else { Ok(None) };
        }
        Ok(Some(Box::new(RealHost {
            root: self.root.clone(),
            tree: None,
            reader: Some((creds, saved)),
            passwd: std::cell::OnceCell::new(),
            looked_up: std::cell::Cell::new(0),
            started: self.started,
        })))
    }
}

/// Every record still in the kernel's ring buffer: /dev/kmsg hands out one record per `read(2)` and, opened
/// non-blocking, says `EAGAIN` at the end instead of waiting for the next message. `EPIPE` means records were
/// overwritten while reading; the next read continues with the oldest one left.
#[allow(clippy::disallowed_methods)] // the one open of /dev/kmsg: a character device read non-blocking
fn read_kmsg(path: &Path) -> io::Result<Vec<u8>> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags((OFlag::O_NONBLOCK | OFlag::O_NOCTTY).bits())
        .open(path)?;
    if !file.metadata()?.file_type().is_char_device() {
        return Err(not_regular(FileKind::File));
    }
    let mut out = Vec::new();
    // A record is at most 8 KiB (PRINTK_MESSAGE_MAX plus the prefix); a shorter buffer makes read fail with EINVAL.
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                out.extend_from_slice(&buf[..n]);
                if !out.ends_with(b"\n") {
                    out.push(b'\n');
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) if e.raw_os_error() == Some(nix::errno::Errno::EPIPE as i32) => continue,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
        // Bounded: the ring buffer is at most a few MiB; stop rather than chase a flood of new messages.
        if out.len() > 32 * 1024 * 1024 {
            break;
        }
    }
    Ok(out)
}

/// Whether the Unix socket at `path` (a link is not followed) belongs to `uid`, a process of `uid` listens behind
/// it, and it answers `GET /_ping` with 200 within `timeout`: the bounded runner's readiness probe for a daemon it
/// started in its own scratch directory, which the user controls (so neither a link nor someone else's socket counts).
#[allow(clippy::disallowed_methods)] // O_PATH | O_NOFOLLOW on a path in the runner's own scratch dir; the clock
pub(super) fn pings(path: &Path, uid: u32, timeout: std::time::Duration) -> bool {
    let Ok(fd) = nix::fcntl::open(
        path,
        OFlag::O_PATH | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
        Mode::empty(),
    ) else {
        return false;
    };
    if !fstat_meta(&fd).is_ok_and(|m| m.kind == FileKind::Socket && m.uid == uid) {
        return false;
    }
    let deadline = Instant::now() + timeout;
    let Ok(stream) = connect_fd(&fd, deadline) else {
        return false;
    };
    let peer = nix::sys::socket::getsockopt(&stream, nix::sys::socket::sockopt::PeerCredentials);
    if !peer.is_ok_and(|p| p.uid() == uid) {
        return false;
    }
    http_exchange(
        stream,
        &crate::parse::http::get_request("/_ping", "docker"),
        deadline,
    )
    .is_ok_and(|r| r.status == 200)
}

/// A JSON `POST` to the API socket at `path` of a process of `uid` (RootlessKit's, for `net bench`), with the same
/// care as [`pings`]: the last component is never followed, the socket must be `uid`'s and so must the process
/// that accepts; the exchange is bounded by `timeout` and [`super::HTTP_MAX_BYTES`].
#[allow(clippy::disallowed_methods)] // O_PATH | O_NOFOLLOW on a path in the runner's own scratch dir; the clock
pub(super) fn post_unix(
    path: &Path,
    uid: u32,
    api_path: &str,
    body: &str,
    timeout: std::time::Duration,
) -> io::Result<crate::parse::http::Response> {
    let fd = nix::fcntl::open(
        path,
        OFlag::O_PATH | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| {
        io::Error::new(
            io::Error::from(e).kind(),
            format!("{}: {e}", path.display()),
        )
    })?;
    let meta = fstat_meta(&fd)?;
    if meta.kind != FileKind::Socket || meta.uid != uid {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "{} is not a socket of uid {uid}: refusing to use it",
                path.display()
            ),
        ));
    }
    let deadline = Instant::now() + timeout;
    let stream = connect_fd(&fd, deadline)?;
    let peer = nix::sys::socket::getsockopt(&stream, nix::sys::socket::sockopt::PeerCredentials)
        .map_err(io::Error::from)?;
    if peer.uid() != uid {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "{} is served by uid {}, not {uid}: refusing to use it",
                path.display(),
                peer.uid()
            ),
        ));
    }
    http_exchange(
        stream,
        &crate::parse::http::post_json_request(api_path, "rootlesskit", body),
        deadline,
    )
}

/// The monotonic clock (the run's start).
#[allow(clippy::disallowed_methods)] // the run's start: the one clock reading outside a deadline
fn now() -> Instant {
    Instant::now()
}

/// A Unix stream socket connected to the socket `fd` names (an `O_PATH` descriptor), through
/// `/proc/self/fd/N`: the inode that was checked is the one connected to, and no path is too long.
#[allow(clippy::disallowed_methods)] // the one connect
fn connect_fd(fd: &OwnedFd, deadline: Instant) -> io::Result<std::os::unix::net::UnixStream> {
    use nix::sys::socket::{AddressFamily, SockFlag, SockType, UnixAddr, sockopt};
    let sock = nix::sys::socket::socket(
        AddressFamily::Unix,
        SockType::Stream,
        SockFlag::SOCK_CLOEXEC,
        None,
    )
    .map_err(io::Error::from)?;
    // A listener that never accepts leaves connect(2) waiting for a backlog slot, bounded by SO_SNDTIMEO.
    nix::sys::socket::setsockopt(&sock, sockopt::SendTimeout, &timeval(remaining(deadline)?))
        .map_err(io::Error::from)?;
    let addr = UnixAddr::new(format!("/proc/self/fd/{}", fd.as_fd().as_raw_fd()).as_str())
        .map_err(io::Error::from)?;
    match nix::sys::socket::connect(sock.as_raw_fd(), &addr) {
        Ok(()) => {}
        Err(nix::errno::Errno::EAGAIN) | Err(nix::errno::Errno::EINPROGRESS) => {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the socket accepted no connection within 3 s",
            ));
        }
        Err(e) => return Err(io::Error::from(e)),
    }
    Ok(std::os::unix::net::UnixStream::from(sock))
}

fn timeval(d: std::time::Duration) -> nix::sys::time::TimeVal {
    nix::sys::time::TimeVal::new(d.as_secs() as _, d.subsec_micros() as _)
}

/// What is left of the overall deadline; `TimedOut` once it has passed.
#[allow(clippy::disallowed_methods)] // the HTTP deadline: the one clock
fn remaining(deadline: Instant) -> io::Result<std::time::Duration> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err(io::Error::new(
            io::ErrorKind::TimedOut,
            "no complete answer within 3 s",
        ));
    }
    Ok(left)
}

/// `GET path` over a connected stream, the whole exchange bounded by `deadline` (not each read: a peer that
/// trickles a byte a second must not keep the doctor waiting) and by [`super::HTTP_MAX_BYTES`].
fn http_exchange(
    mut stream: std::os::unix::net::UnixStream,
    request: &str,
    deadline: Instant,
) -> io::Result<crate::parse::http::Response> {
    stream.set_write_timeout(Some(remaining(deadline)?))?;
    stream.write_all(request.as_bytes()).map_err(timed_out)?;
    let mut raw = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        stream.set_read_timeout(Some(remaining(deadline)?))?;
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(timed_out(e)),
        }
        if raw.len() as u64 > super::HTTP_MAX_BYTES {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "the answer is larger than {} MiB",
                    super::HTTP_MAX_BYTES >> 20
                ),
            ));
        }
    }
    crate::parse::http::parse_response(&raw)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// The plain half of [`Host::tcp_exchange`].
#[allow(clippy::disallowed_methods)] // the HTTP deadline: the one clock
fn plain_exchange(
    mut stream: std::net::TcpStream,
    req: &super::TcpRequest,
    deadline: Instant,
) -> io::Result<super::TcpReply> {
    if !req.send.is_empty() {
        stream.set_write_timeout(Some(remaining(deadline)?))?;
        stream.write_all(req.send).map_err(timed_out)?;
    }
    let mut reply = super::TcpReply::default();
    let mut buf = [0u8; 4096];
    loop {
        let Ok(left) = remaining(deadline) else {
            reply.silent = true;
            break;
        };
        stream.set_read_timeout(Some(left))?;
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => reply.bytes.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                reply.silent = true;
                break;
            }
            Err(e) => return Err(e),
        }
        if reply.bytes.len() >= req.max || (req.line && reply.bytes.contains(&b'\n')) {
            reply.bytes.truncate(req.max);
            break;
        }
    }
    Ok(reply)
}

fn timed_out(e: io::Error) -> io::Error {
    if e.kind() == io::ErrorKind::WouldBlock {
        io::Error::new(io::ErrorKind::TimedOut, "no complete answer within 3 s")
    } else {
        e
    }
}

fn user_info(u: nix::unistd::User) -> UserInfo {
    UserInfo {
        name: u.name,
        uid: u.uid.as_raw(),
        gid: u.gid.as_raw(),
        home: u.dir.to_string_lossy().into_owned(),
        shell: u.shell.to_string_lossy().into_owned(),
    }
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn tree() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("etc")).unwrap();
        std::fs::create_dir_all(dir.path().join("usr/lib")).unwrap();
        std::fs::write(dir.path().join("usr/lib/os-release"), "ID=inside\n").unwrap();
        dir
    }

    /// Regression (hostile-user review): a docker.pid that is a socket was reported "no such device or address (os
    /// error 6)", the open's error, instead of what the file is.
    #[test]
    fn regression_a_socket_where_a_file_belongs_was_reported_by_its_errno() {
        let dir = tree();
        let _listener =
            std::os::unix::net::UnixListener::bind(dir.path().join("docker.pid")).unwrap();
        let host = RealHost::new(dir.path()).unwrap();
        let e = host.read("/docker.pid").unwrap_err();
        assert_eq!(e.to_string(), "is a socket, not a regular file: not read");
    }

    /// Regression (hostile-user review): a directory a user filled with 1.6 million long names made root's run list
    /// them all (900 MB); a listing stops at its cap, with an error that says why.
    #[test]
    fn regression_a_directory_of_millions_of_names_was_listed_whole() {
        let dir = tree();
        let big = dir.path().join("big");
        std::fs::create_dir(&big).unwrap();
        for i in 0..5 {
            std::fs::write(big.join(format!("f{i}")), "").unwrap();
        }
        let host = RealHost::new(dir.path()).unwrap();
        assert_eq!(host.dir_names_at_most("/big", 5).unwrap().len(), 5);
        let e = host.dir_names_at_most("/big", 4).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        assert_eq!(e.to_string(), "holds more than 4 entries: not listed");
        assert_eq!(host.read_dir("/big").unwrap().len(), 5);
    }

    /// The first lookup below `--root` reads /etc/passwd through a small buffer, line by line; later ones read it
    /// whole and keep it. Both find what `parse::passwd::find_account` finds in the whole file, for accounts whose
    /// line straddles a piece boundary, the last line (without its newline), and names that are not there.
    #[test]
    fn a_first_lookup_read_piece_by_piece_finds_what_the_whole_file_holds() {
        let dir = tree();
        let mut passwd = String::from("# accounts\n+nis\n");
        for i in 0..6000 {
            passwd.push_str(&format!(
                "user{i}:x:{}:{}:U {i}:/home/user{i}:/bin/sh\n",
                2000 + i,
                2000 + i
            ));
        }
        passwd.push_str("bad:x:one:1::/:/bin/sh\nlast:x:99:99::/home/last:/bin/bash");
        std::fs::write(dir.path().join("etc/passwd"), &passwd).unwrap();
        let bytes = passwd.as_bytes();
        // The accounts whose line crosses the first and second 64 KiB boundaries, and their neighbours.
        let straddling: Vec<String> = [PIECE, 2 * PIECE]
            .iter()
            .flat_map(|&at| {
                let line = bytes[..at].iter().filter(|b| **b == b'\n').count();
                (line - 3..line + 1).map(|l| format!("user{l}"))
            })
            .collect();
        assert!(straddling.len() == 8, "{straddling:?}");
        let whole = |name: &str| {
            crate::parse::passwd::find_account(bytes, |n, _| n == name.as_bytes())
                .map(UserInfo::from)
        };
        let names = straddling.iter().map(String::as_str).chain([
            "user0",
            "last",
            "bad",
            "nobody",
            "nis",
            "+nis",
            "# accounts",
        ]);
        for name in names {
            let host = RealHost::new(dir.path()).unwrap();
            // Piece by piece, then the whole file (kept), then from what was kept.
            for lookup in 0..STREAMED_LOOKUPS + 2 {
                assert_eq!(host.user_by_name(name).unwrap(), whole(name), "{name}");
                let kept = host.passwd.get().map(Vec::len);
                assert_eq!(kept, (lookup >= STREAMED_LOOKUPS).then_some(bytes.len()));
            }
            let by_uid = RealHost::new(dir.path()).unwrap();
            let uid = whole(name).map_or(99, |u| u.uid);
            let expected = crate::parse::passwd::find_account(bytes, |_, u| u == Some(uid))
                .map(UserInfo::from);
            assert_eq!(by_uid.user_by_uid(uid).unwrap(), expected, "{uid}");
            assert!(
                by_uid.passwd.get().is_none(),
                "a first lookup keeps no copy"
            );
        }
        assert_eq!(
            whole("last").map(|u| u.shell),
            Some("/bin/bash".to_string())
        );
        assert_eq!(whole("user4000").map(|u| u.uid), Some(6000));
    }

    /// Regression: extended attributes were read with lgetxattr on `/proc/self/fd/N`, the magic link itself, which
    /// has none (EOPNOTSUPP): every live `security.capability` (a `setcap` on rootlesskit, Fedora's newuidmap) read
    /// as absent. Fixtures, read another way, never showed it; tests/agreement.rs meets it with a real setcap.
    #[test]
    fn regression_xattrs_are_read_from_the_file_not_its_proc_fd_link() {
        let dir = tree();
        let file = dir.path().join("etc/attributed");
        std::fs::write(&file, "x").unwrap();
        xattr::set(&file, "user.rootless-doctor", b"yes").unwrap();
        let host = RealHost::new("/").unwrap();
        let path = file.to_str().unwrap();
        assert_eq!(
            host.xattr(path, "user.rootless-doctor").unwrap(),
            Some(b"yes".to_vec())
        );
        assert_eq!(host.xattr(path, "user.absent").unwrap(), None);
        // Below --root the same.
        let tree_host = RealHost::new(dir.path()).unwrap();
        assert_eq!(
            tree_host
                .xattr("/etc/attributed", "user.rootless-doctor")
                .unwrap(),
            Some(b"yes".to_vec())
        );
    }

    #[test]
    fn devices_carry_their_number_and_files_none() {
        let host = RealHost::new(Path::new("/")).unwrap();
        // /dev/null is char 1:3 on every Linux (Documentation/admin-guide/devices.txt).
        let null = host.stat("/dev/null").unwrap();
        assert_eq!((null.kind, null.rdev), (FileKind::CharDevice, Some((1, 3))));
        assert_eq!(host.stat("/etc/passwd").unwrap().rdev, None);
    }

    #[test]
    fn regression_fifo_is_refused_without_blocking() {
        let dir = tree();
        nix::unistd::mkfifo(
            &dir.path().join("etc/fifo"),
            Mode::from_bits_truncate(0o644),
        )
        .unwrap();
        let host = RealHost::new(dir.path()).unwrap();
        let err = host.read("/etc/fifo").unwrap_err();
        assert_eq!(err.to_string(), "is a fifo, not a regular file: not read");
        // At `/` too: the same open path.
        let live = RealHost::new("/").unwrap();
        let path = dir.path().join("etc/fifo");
        let err = live.read(path.to_str().unwrap()).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }

    #[test]
    fn regression_devices_are_not_read() {
        let live = RealHost::new("/").unwrap();
        for dev in ["/dev/zero", "/dev/null"] {
            let err = live.read(dev).unwrap_err();
            assert_eq!(
                err.to_string(),
                "is a character device, not a regular file: not read"
            );
        }
    }

    /// `etc/big` in `dir`, one byte over the cap. Sparse: no disk is used for the zeros.
    fn over_the_cap(dir: &tempfile::TempDir) -> PathBuf {
        let big = dir.path().join("etc/big");
        std::fs::File::create(&big)
            .unwrap()
            .set_len(READ_MAX + 1)
            .unwrap();
        big
    }

    #[test]
    fn reads_stop_at_the_cap() {
        let dir = tree();
        let big = over_the_cap(&dir);
        let host = RealHost::new(dir.path()).unwrap();
        let err = host.read("/etc/big").unwrap_err();
        assert!(err.to_string().contains("larger than 64 MiB"), "{err}");
        std::fs::File::options()
            .write(true)
            .open(&big)
            .unwrap()
            .set_len(READ_MAX)
            .unwrap();
        assert_eq!(host.read("/etc/big").unwrap().len() as u64, READ_MAX);
    }

    /// Bytes this thread has read so far (`rchar` of /proc/thread-self/io): other tests' reads do not count.
    fn bytes_read_by_this_thread() -> u64 {
        let io = std::fs::read_to_string("/proc/thread-self/io").unwrap();
        io.lines()
            .find_map(|l| l.strip_prefix("rchar: "))
            .and_then(|v| v.trim().parse().ok())
            .unwrap()
    }

    /// Regression (found by a hostile-user audit): a file whose size fstat already shows over the cap was read up
    /// to the cap before being refused, 64 MiB of reading each time a 5 GB sparse daemon.json was asked about.
    #[test]
    fn regression_a_file_over_the_cap_was_read_before_being_refused() {
        let dir = tree();
        std::fs::File::create(dir.path().join("etc/huge"))
            .unwrap()
            .set_len(5 << 30)
            .unwrap();
        let host = RealHost::new(dir.path()).unwrap();
        let before = bytes_read_by_this_thread();
        let err = host.read("/etc/huge").unwrap_err();
        let read = bytes_read_by_this_thread() - before;
        assert!(err.to_string().contains("larger than 64 MiB"), "{err}");
        // Reading /proc/thread-self/io itself counts a few hundred bytes.
        assert!(read < 64 * 1024, "{read} bytes read to refuse the file");
    }

    /// Regression (found by review): `read_at` read a piece of a file over the cap that `read` refuses, so a 100 MB
    /// binary's version was told where the whole-file read says it is too large. It refuses what `read` refuses,
    /// and gives no more than the file holds from the offset.
    #[test]
    fn regression_read_at_read_a_file_read_refuses() {
        let dir = tree();
        over_the_cap(&dir);
        let host = RealHost::new(dir.path()).unwrap();
        let err = host.read_at("/etc/big", READ_MAX - 8, 4).unwrap_err();
        assert!(err.to_string().contains("larger than 64 MiB"), "{err}");
        std::fs::write(dir.path().join("etc/small"), b"0123456789").unwrap();
        assert_eq!(host.read_at("/etc/small", 2, 3).unwrap(), b"234");
        assert_eq!(host.read_at("/etc/small", 8, 100).unwrap(), b"89");
        assert_eq!(host.read_at("/etc/small", 20, 4).unwrap(), b"");
        assert_eq!(
            host.read_at("/etc/small", u64::MAX, usize::MAX).unwrap(),
            b""
        );
    }

    /// `read_pieces` hands over what `read` returns, in pieces no larger than its buffer, and refuses what `read`
    /// refuses: a file over the cap, a fifo, a symlink out of the tree.
    #[test]
    fn pieces_are_the_file_and_refuse_what_read_refuses() {
        let dir = tree();
        let data: Vec<u8> = (0..PIECE * 3 + 17).map(|i| (i % 251) as u8).collect();
        std::fs::write(dir.path().join("etc/data"), &data).unwrap();
        let host = RealHost::new(dir.path()).unwrap();
        let mut got = Vec::new();
        let mut pieces = 0;
        host.read_pieces("/etc/data", &mut |p| {
            assert!(p.len() <= PIECE && !p.is_empty());
            got.extend_from_slice(p);
            pieces += 1;
        })
        .unwrap();
        assert_eq!(got, data);
        assert!(pieces >= 4, "{pieces} pieces");

        let big = dir.path().join("etc/big");
        std::fs::File::create(&big)
            .unwrap()
            .set_len(READ_MAX + 1)
            .unwrap();
        let mut seen: u64 = 0;
        let err = host
            .read_pieces("/etc/big", &mut |p| seen += p.len() as u64)
            .unwrap_err();
        assert!(err.to_string().contains("larger than 64 MiB"), "{err}");
        assert!(seen <= READ_MAX);

        nix::unistd::mkfifo(
            &dir.path().join("etc/fifo"),
            Mode::from_bits_truncate(0o644),
        )
        .unwrap();
        let err = host
            .read_pieces("/etc/fifo", &mut |_| panic!("a fifo was read"))
            .unwrap_err();
        assert_eq!(err.to_string(), "is a fifo, not a regular file: not read");

        symlink("/../../../../etc/shadow", dir.path().join("etc/out")).unwrap();
        let outside = host.read_pieces("/etc/out", &mut |_| panic!("read outside the tree"));
        assert!(outside.is_err());
    }

    #[test]
    fn root_tree_links_resolve_inside_the_tree() {
        let dir = tree();
        let root = dir.path();
        symlink("/usr/lib/os-release", root.join("etc/os-release")).unwrap();
        symlink(
            "../../../../../../usr/lib/os-release",
            root.join("etc/dotdot"),
        )
        .unwrap();
        let host = RealHost::new(root).unwrap();
        for path in ["/etc/os-release", "/etc/dotdot", "/../../etc/os-release"] {
            assert_eq!(host.read_to_string(path).unwrap(), "ID=inside\n", "{path}");
            assert_eq!(host.canonicalize(path).unwrap(), "/usr/lib/os-release");
        }
        assert_eq!(
            host.lstat("/etc/os-release").unwrap().kind,
            FileKind::Symlink
        );
        assert_eq!(host.stat("/etc/os-release").unwrap().kind, FileKind::File);
        assert_eq!(
            host.read_link("/etc/os-release").unwrap(),
            "/usr/lib/os-release"
        );
        assert_eq!(
            host.read_link("/usr/lib/os-release")
                .unwrap_err()
                .raw_os_error(),
            Some(nix::errno::Errno::EINVAL as i32)
        );
        assert_eq!(host.read_dir("/etc").unwrap(), ["dotdot", "os-release"]);
        assert_eq!(
            host.read("/etc/missing").unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
    }

    #[test]
    fn connecting_to_a_non_socket_is_refused() {
        let dir = tree();
        let host = RealHost::new(dir.path()).unwrap();
        let err = host
            .http_get_unix("/usr/lib/os-release", "/_ping")
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);
    }

    #[test]
    fn a_socket_listens_until_its_listener_goes_and_its_file_stays() {
        let dir = tree();
        let path = dir.path().join("bus");
        let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
        let host = RealHost::new("/").unwrap();
        let at = path.to_str().unwrap();
        host.unix_listens(at).expect("a bound listener accepts");
        // What `systemctl --user stop dbus.socket` leaves: the file, and nobody behind it.
        drop(listener);
        assert!(path.exists());
        let err = host.unix_listens(at).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused, "{err}");
        let err = host.unix_listens("/usr/lib/os-release").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused, "{err}");
        let err = host
            .unix_listens(dir.path().join("absent").to_str().unwrap())
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound, "{err}");
    }

    #[test]
    fn regression_the_bus_probe_follows_no_link_and_asks_no_tree() {
        // The bus is judged by lstat, then connected to: a link swapped in between must not lead root's connect to
        // another socket. And a socket file below --root has no process of the tree behind it.
        let dir = tree();
        let real = dir.path().join("real");
        let _listener = std::os::unix::net::UnixListener::bind(&real).unwrap();
        let link = dir.path().join("bus");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let host = RealHost::new("/").unwrap();
        host.unix_listens(real.to_str().unwrap())
            .expect("the socket itself");
        let err = host.unix_listens(link.to_str().unwrap()).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused, "{err}");
        let below = RealHost::new(dir.path()).unwrap();
        let err = below.unix_listens("/real").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::Unsupported, "{err}");
    }

    #[test]
    fn regression_trickling_socket_meets_one_deadline() {
        let dir = tree();
        let path = dir.path().join("docker.sock");
        let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
        let server = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut buf = [0u8; 1024];
            let _ = stream.read(&mut buf);
            // A byte every 500 ms keeps a per-read timeout of 3 s from ever firing.
            for b in b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" {
                if stream.write_all(&[*b]).is_err() {
                    return;
                }
                std::thread::sleep(std::time::Duration::from_millis(500));
            }
        });
        let host = RealHost::new("/").unwrap();
        let start = Instant::now();
        let err = host
            .http_get_unix(path.to_str().unwrap(), "/_ping")
            .unwrap_err();
        let took = start.elapsed();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut, "{err}");
        assert!(took < super::super::HTTP_TIMEOUT + std::time::Duration::from_millis(600));
        drop(server);
    }
}
