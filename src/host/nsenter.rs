//! Joining a rootless daemon's namespaces, then exec: what
//! `nsenter -U --preserve-credentials -m -n -t PID` does, with the detached network namespace
//! of RootlessKit's `--detach-netns` mode handled, and without nsenter's pid reuse window.
//!
//! **Architecture Invariant:** this is the only caller of `setns`. It runs in a single-threaded
//! process (setns(2) refuses CLONE_NEWUSER otherwise: nothing before it may start a thread) and ends in
//! exec (a joined user namespace cannot be left).
//!
//! **Architecture Invariant:** the process is held by a pidfd from before its namespaces are opened until
//! they are all held, and its owner is confirmed after that: a pid whose process exits meanwhile (and may
//! be reused) is refused, never joined.
//!
//! How the owner is confirmed, in order, once the pidfd is open and the namespace files are held:
//! `/proc/PID/status` gives the process's real and effective uid; `/proc/PID/ns/user` is stat'ed and must be
//! the user namespace file already held (same device and inode); then the pidfd is polled, and a readable
//! pidfd (the process exited) refuses the whole join, so every `/proc/PID` read above was of the process the
//! pidfd holds. The user namespace's owner itself is left to the kernel: `NS_GET_OWNER_UID` would name it,
//! but it is an `ioctl`, for which neither nix nor rustix has a safe wrapper, and this crate forbids
//! `unsafe`. The kernel makes the same decision twice, race-free: opening another process's `ns/user`
//! needs ptrace read access, which commoncap grants only in a user namespace the caller has
//! `CAP_SYS_PTRACE` in, and `setns(CLONE_NEWUSER)` needs `CAP_SYS_ADMIN` in the target namespace; an
//! unprivileged caller has either only in namespaces it owns (or below them). Both refusals are reported
//! as "not yours". Root, who passes both, is held to the uid check.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

use std::fs::{File, Metadata, OpenOptions};
use std::io::{self, Read};
use std::os::fd::OwnedFd;
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::os::unix::process::CommandExt;

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sched::{CloneFlags, setns};
use nix::sys::statfs::{NSFS_MAGIC, fstatfs};

/// Where to go: the daemon's pid, whose it must be, and the network namespace its containers use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub pid: u32,
    /// The caller's uid: the process (and so its user namespace) must be this user's.
    pub owner: u32,
    /// A bind-mounted network namespace file (RootlessKit's `netns` in detach mode); `None` means the pid's own.
    pub netns_file: Option<String>,
}

/// The most a pid file may hold: a pid is at most 7 digits (pid_max ≤ 2^22), plus a newline; the rest is slack.
pub const PID_FILE_MAX: u64 = 64;

/// Reads a pid file in a user-controlled directory (`$XDG_RUNTIME_DIR/docker.pid`): without following a
/// symlink, without blocking on a FIFO, regular files only, at most [`PID_FILE_MAX`] bytes. `NotFound` means
/// there is none; any other error says what the file is instead.
pub fn read_pid_file(path: &str) -> io::Result<String> {
    let file = open_untrusted(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(refusal(path, &meta, "a regular file"));
    }
    let mut bytes = Vec::new();
    file.take(PID_FILE_MAX + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > PID_FILE_MAX {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{path} holds more than {PID_FILE_MAX} bytes: not a pid file"),
        ));
    }
    String::from_utf8(bytes).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{path} is not text: not a pid file"),
        )
    })
}

/// Opens a file in a directory its user controls: the last component is never a symlink (`O_NOFOLLOW`) and
/// opening never blocks (`O_NONBLOCK`: a FIFO opens at once; it is refused by its type afterwards).
/// A failure other than `NotFound` names what the path is.
fn open_untrusted(path: &str) -> io::Result<File> {
    let opened = OpenOptions::new()
        .read(true)
        .custom_flags((OFlag::O_NOFOLLOW | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC).bits())
        .open(path);
    match opened {
        Ok(f) => Ok(f),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Err(e),
        Err(e) => Err(match std::fs::symlink_metadata(path) {
            Ok(meta) if !meta.is_file() => refusal(path, &meta, "a regular file"),
            _ => io::Error::new(e.kind(), format!("cannot open {path}: {e}")),
        }),
    }
}

/// "PATH is a FIFO, not WANTED" (a symlink also says where it points).
fn refusal(path: &str, meta: &Metadata, wanted: &str) -> io::Error {
    let ft = meta.file_type();
    let kind = if ft.is_symlink() {
        match std::fs::read_link(path) {
            Ok(to) => format!("a symbolic link to {}", to.display()),
            Err(_) => "a symbolic link".to_owned(),
        }
    } else {
        kind(meta).to_owned()
    };
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("{path} is {kind}, not {wanted}: refusing to use it"),
    )
}

fn kind(meta: &Metadata) -> &'static str {
    let ft = meta.file_type();
    if ft.is_fifo() {
        "a FIFO"
    } else if ft.is_socket() {
        "a socket"
    } else if ft.is_char_device() {
        "a character device"
    } else if ft.is_block_device() {
        "a block device"
    } else if ft.is_dir() {
        "a directory"
    } else if ft.is_symlink() {
        "a symbolic link"
    } else if ft.is_file() {
        "a regular file"
    } else {
        "an unknown kind of file"
    }
}

/// Joins the user, mount and network namespaces of `target` and execs `argv`.
/// Returns only on failure.
pub fn exec_in(target: &Target, argv: &[String]) -> io::Error {
    match join(target) {
        Ok(()) => {}
        Err(e) => return e,
    }
    let Some((program, args)) = argv.split_first() else {
        return io::Error::new(io::ErrorKind::InvalidInput, "nothing to run");
    };
    let err = std::process::Command::new(program).args(args).exec();
    io::Error::new(err.kind(), format!("cannot run {program}: {err}"))
}

const DETACHED: &str = "RootlessKit's detached network namespace";

/// The network namespace to join, as far as it can be opened before joining the others.
enum Net {
    /// The daemon's own, from `/proc/PID/ns/net`.
    Daemon,
    /// The detached namespace file, already open: the host sees it as RootlessKit's bind mount.
    Ready(File),
    /// The detached namespace file is a plain file here: RootlessKit bind-mounts the namespace on it inside
    /// its own mount namespace, so it is opened (and checked) again once that namespace is joined.
    InMountNs,
}

/// Opens the detached namespace file without following a symlink or blocking on a FIFO, and keeps it only
/// when it is nsfs; a plain empty file is what the host sees of RootlessKit's bind mount.
fn open_detached(path: &str, inside: bool) -> io::Result<Net> {
    let file =
        open_untrusted(path).map_err(|e| io::Error::new(e.kind(), format!("{DETACHED}: {e}")))?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(refusal(path, &meta, DETACHED));
    }
    if fstatfs(&file).map_err(io::Error::from)?.filesystem_type() == NSFS_MAGIC {
        return Ok(Net::Ready(file));
    }
    if inside {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "{path} is a regular file, not {DETACHED}, in the daemon's mount namespace as well: refusing to use it"
            ),
        ));
    }
    Ok(Net::InMountNs)
}

fn open_ns(pid: u32, name: &str, what: &str) -> io::Result<File> {
    let path = format!("/proc/{pid}/ns/{name}");
    File::open(&path).map_err(|e| match e.raw_os_error().map(Errno::from_raw) {
        Some(Errno::EACCES | Errno::EPERM) => io::Error::new(
            e.kind(),
            format!(
                "the kernel refuses access to {what} of process {pid} ({path}: {e}): its user namespace is not yours, or the process is not dumpable; enter joins only your own daemon's namespaces"
            ),
        ),
        _ => io::Error::new(e.kind(), format!("cannot open {what} {path}: {e}")),
    })
}

/// Whether the pidfd's process has exited (a pidfd polls readable then, zombie or reaped).
fn has_exited(pidfd: &OwnedFd) -> io::Result<bool> {
    use rustix::event::{PollFd, PollFlags, Timespec, poll};
    let mut fds = [PollFd::new(pidfd, PollFlags::IN)];
    let now = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    let ready = poll(&mut fds, Some(&now)).map_err(io::Error::from)?;
    Ok(ready > 0 && !fds[0].revents().is_empty())
}

/// Test hook, compiled into debug builds only (a release build has no such variable): with
/// `ROOTLESS_DOCTOR_TEST_ENTER_PAUSE=FIFO`, `enter` stops once the pidfd is open and before any namespace
/// file is, until the test has opened FIFO for writing and closed it again. The live test kills the target
/// (and hands its pid to a new process) in that window.
#[cfg(debug_assertions)]
fn pause_for_test() {
    if let Some(fifo) = std::env::var_os("ROOTLESS_DOCTOR_TEST_ENTER_PAUSE") {
        // Opening a FIFO for reading waits for a writer; reading to the end waits for it to close.
        if let Ok(mut f) = File::open(fifo) {
            let _ = io::copy(&mut f, &mut io::sink());
        }
    }
}

#[cfg(not(debug_assertions))]
fn pause_for_test() {}

fn join(target: &Target) -> io::Result<()> {
    let pid = target.pid;
    // The detached namespace file first: a FIFO, device or symlink there is refused before the daemon is touched.
    let net = match &target.netns_file {
        Some(path) => open_detached(path, false)?,
        None => Net::Daemon,
    };
    // The pidfd holds this process, whatever later happens to the number: everything read through
    // /proc/PID below counts only if the pidfd's process is still alive afterwards.
    let no_process = || io::Error::new(io::ErrorKind::NotFound, format!("no process {pid} runs"));
    let raw = i32::try_from(pid).map_err(|_| no_process())?;
    let pidfd = rustix::process::Pid::from_raw(raw)
        .ok_or_else(no_process)
        .and_then(|p| {
            rustix::process::pidfd_open(p, rustix::process::PidfdFlags::empty()).map_err(|e| {
                if e == rustix::io::Errno::SRCH {
                    no_process()
                } else {
                    io::Error::new(
                        io::Error::from(e).kind(),
                        format!("cannot hold process {pid} (pidfd_open): {e}"),
                    )
                }
            })
        })?;
    pause_for_test();
    // Open everything before joining anything: once in the mount namespace, host paths may look different.
    let user = open_ns(pid, "user", "the user namespace");
    let mnt = open_ns(pid, "mnt", "the mount namespace");
    let own_net = match net {
        Net::Daemon => Some(open_ns(pid, "net", "the network namespace")),
        _ => None,
    };
    // The owner, read now that the namespaces are held.
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"));
    let current_user_ns = std::fs::metadata(format!("/proc/{pid}/ns/user"));
    if has_exited(&pidfd)? {
        return Err(io::Error::other(format!(
            "process {pid} exited while joining: its pid may now name another process, so nothing was joined (start the daemon again, or pass the new pid)"
        )));
    }
    // Still the same process: every read above was of it, and their errors are its own.
    let (user, mnt) = (user?, mnt?);
    let status = crate::parse::proc::parse_status(&status?);
    let [ruid, euid, ..] = status.uid;
    if ruid != target.owner || euid != target.owner {
        let owner = if ruid != target.owner { ruid } else { euid };
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "process {pid} belongs to uid {owner}, not to you (uid {}): enter joins only your own daemon's namespaces",
                target.owner
            ),
        ));
    }
    let held = user.metadata()?;
    let current = current_user_ns?;
    if (held.dev(), held.ino()) != (current.dev(), current.ino()) {
        return Err(io::Error::other(format!(
            "process {pid} changed its user namespace while joining; try again"
        )));
    }
    let mine = std::fs::metadata("/proc/self/ns/user")?;
    if (held.dev(), held.ino()) == (mine.dev(), mine.ino()) {
        return Err(io::Error::other(format!(
            "process {pid} is in your own user namespace: it is not a rootless daemon (dockerd runs in RootlessKit's)"
        )));
    }
    let net = match (net, own_net) {
        (_, Some(own)) => Some(own?),
        (Net::Ready(file), None) => Some(file),
        _ => None,
    };

    let cwd = std::env::current_dir().ok();
    // The user namespace first: it gives the capabilities that the other two setns calls need.
    // No setuid/setgid afterwards: the caller keeps its credentials (nsenter's --preserve-credentials).
    setns(&user, CloneFlags::CLONE_NEWUSER).map_err(|e| match e {
        Errno::EPERM => io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "the user namespace of process {pid} is not yours: the kernel refuses to join it ({e}); enter joins only your own daemon's namespaces"
            ),
        ),
        e => io::Error::other(format!("cannot join the user namespace of {pid}: {e}")),
    })?;
    setns(&mnt, CloneFlags::CLONE_NEWNS)
        .map_err(|e| io::Error::other(format!("cannot join the mount namespace of {pid}: {e}")))?;
    let net = match (net, &target.netns_file) {
        (Some(file), _) => file,
        // Inside the daemon's mount namespace now, where RootlessKit's bind mount is.
        (None, Some(path)) => match open_detached(path, true)? {
            Net::Ready(file) => file,
            _ => unreachable!("open_detached(_, true) returns Ready or an error"),
        },
        (None, None) => unreachable!("a network namespace file is held or named"),
    };
    setns(&net, CloneFlags::CLONE_NEWNET)
        .map_err(|e| io::Error::other(format!("cannot join the network namespace: {e}")))?;
    // Like nsenter --wd=$PWD: stay where the user was when that exists in the new mount namespace.
    let here = cwd.filter(|d| std::env::set_current_dir(d).is_ok());
    if here.is_none() {
        std::env::set_current_dir("/")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("rd-nsenter-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir(&dir).unwrap();
        dir
    }

    #[test]
    fn a_pid_file_is_read_when_it_is_a_small_regular_file() {
        let dir = scratch("ok");
        let path = dir.join("docker.pid");
        std::fs::write(&path, "1234\n").unwrap();
        assert_eq!(read_pid_file(path.to_str().unwrap()).unwrap(), "1234\n");
        let missing = read_pid_file(dir.join("none").to_str().unwrap()).unwrap_err();
        assert_eq!(missing.kind(), io::ErrorKind::NotFound);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_pid_file_that_is_a_symlink_fifo_or_too_large_is_refused_by_name() {
        let dir = scratch("bad");
        let link = dir.join("link.pid");
        std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
        let e = read_pid_file(link.to_str().unwrap())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("link.pid is a symbolic link to /dev/zero, not a regular file"),
            "{e}"
        );
        let fifo = dir.join("fifo.pid");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
        let e = read_pid_file(fifo.to_str().unwrap())
            .unwrap_err()
            .to_string();
        assert!(e.contains("fifo.pid is a FIFO, not a regular file"), "{e}");
        let big = dir.join("big.pid");
        std::fs::write(&big, "1".repeat(65)).unwrap();
        let e = read_pid_file(big.to_str().unwrap())
            .unwrap_err()
            .to_string();
        assert!(e.contains("holds more than 64 bytes"), "{e}");
        let at_limit = dir.join("limit.pid");
        std::fs::write(&at_limit, "1".repeat(64)).unwrap();
        assert!(read_pid_file(at_limit.to_str().unwrap()).is_ok());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_detached_netns_path_that_is_a_fifo_or_directory_is_refused_and_a_plain_file_waits_for_the_mount_namespace()
     {
        let dir = scratch("netns");
        let fifo = dir.join("fifo");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
        let e = open_detached(fifo.to_str().unwrap(), false)
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("is a FIFO, not RootlessKit's detached"), "{e}");
        let e = open_detached(dir.to_str().unwrap(), false)
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("is a directory"), "{e}");
        let plain = dir.join("plain");
        std::fs::write(&plain, "").unwrap();
        let p = plain.to_str().unwrap();
        assert!(matches!(open_detached(p, false), Ok(Net::InMountNs)));
        let e = open_detached(p, true).err().unwrap().to_string();
        assert!(e.contains("in the daemon's mount namespace as well"), "{e}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_held_process_that_exits_polls_as_exited() {
        let mut child = std::process::Command::new("sleep")
            .arg("10")
            .spawn()
            .unwrap();
        let pid = rustix::process::Pid::from_raw(child.id() as i32).unwrap();
        let pidfd = rustix::process::pidfd_open(pid, rustix::process::PidfdFlags::empty()).unwrap();
        assert!(!has_exited(&pidfd).unwrap());
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(has_exited(&pidfd).unwrap());
    }
}
