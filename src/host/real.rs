//! The running machine, optionally seen below a `--root` prefix.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

use std::io;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use super::resolve::resolve;
use super::{CommandOutput, FileKind, Host, Identity, Meta, UserInfo};

#[derive(Debug, Clone)]
pub struct RealHost {
    root: PathBuf,
}

impl RealHost {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        RealHost { root: root.into() }
    }

    fn at_root(&self) -> bool {
        self.root == Path::new("/")
    }

    pub(crate) fn disk(&self, path: &str, follow_last: bool) -> io::Result<PathBuf> {
        Ok(resolve(&self.root, path, follow_last)?.disk)
    }

    fn passwd(&self) -> io::Result<Vec<UserInfo>> {
        let text = self.read_to_string("/etc/passwd")?;
        Ok(super::users_from_passwd(&text))
    }
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
    }
}

pub(crate) fn read_dir_names(disk: &Path) -> io::Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(disk)? {
        names.push(entry?.file_name().to_string_lossy().into_owned());
    }
    names.sort();
    Ok(names)
}

impl Host for RealHost {
    fn http_get_unix(&self, socket: &str, path: &str) -> io::Result<crate::parse::http::Response> {
        http_get(&self.disk(socket, true)?, path)
    }

    fn root_display(&self) -> String {
        self.root.display().to_string()
    }

    fn is_live(&self) -> bool {
        self.at_root()
    }

    fn read(&self, path: &str) -> io::Result<Vec<u8>> {
        std::fs::read(self.disk(path, true)?)
    }

    fn lstat(&self, path: &str) -> io::Result<Meta> {
        Ok(meta_from_std(&std::fs::symlink_metadata(
            self.disk(path, false)?,
        )?))
    }

    fn stat(&self, path: &str) -> io::Result<Meta> {
        Ok(meta_from_std(&std::fs::metadata(self.disk(path, true)?)?))
    }

    fn read_link(&self, path: &str) -> io::Result<String> {
        Ok(std::fs::read_link(self.disk(path, false)?)?
            .to_string_lossy()
            .into_owned())
    }

    fn canonicalize(&self, path: &str) -> io::Result<String> {
        if self.at_root() {
            return Ok(std::fs::canonicalize(path)?.to_string_lossy().into_owned());
        }
        let resolved = resolve(&self.root, path, true)?;
        // Resolution is lexical for missing components; make a missing target an error, as realpath(3) does.
        std::fs::symlink_metadata(&resolved.disk)?;
        Ok(resolved.host)
    }

    fn read_dir(&self, path: &str) -> io::Result<Vec<String>> {
        read_dir_names(&self.disk(path, true)?)
    }

    fn xattr(&self, path: &str, name: &str) -> io::Result<Option<Vec<u8>>> {
        xattr::get(self.disk(path, true)?, name)
    }

    fn fs_magic(&self, path: &str) -> io::Result<u64> {
        let st = nix::sys::statfs::statfs(&self.disk(path, true)?).map_err(io::Error::from)?;
        // `f_type` is signed on some ABIs; the magic numbers are defined as unsigned 32-bit values.
        #[allow(clippy::unnecessary_cast)]
        Ok(st.filesystem_type().0 as u64 & 0xffff_ffff)
    }

    fn env(&self, name: &str) -> Option<String> {
        std::env::var_os(name).map(|v| v.to_string_lossy().into_owned())
    }

    fn identity(&self) -> Identity {
        Identity {
            uid: nix::unistd::getuid().as_raw(),
            gid: nix::unistd::getgid().as_raw(),
            euid: nix::unistd::geteuid().as_raw(),
            groups: nix::unistd::getgroups()
                .map(|gs| gs.into_iter().map(|g| g.as_raw()).collect())
                .unwrap_or_default(),
        }
    }

    fn user_by_name(&self, name: &str) -> io::Result<Option<UserInfo>> {
        if self.at_root() {
            // On the live machine ask NSS, so LDAP/SSSD/systemd-homed users are found too.
            let user = nix::unistd::User::from_name(name).map_err(io::Error::from)?;
            return Ok(user.map(user_info));
        }
        Ok(self.passwd()?.into_iter().find(|u| u.name == name))
    }

    fn user_by_uid(&self, uid: u32) -> io::Result<Option<UserInfo>> {
        if self.at_root() {
            let user = nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid))
                .map_err(io::Error::from)?;
            return Ok(user.map(user_info));
        }
        Ok(self.passwd()?.into_iter().find(|u| u.uid == uid))
    }

    fn kernel_log(&self) -> io::Result<Vec<u8>> {
        if !self.at_root() {
            // Below a root, /dev/kmsg would be this machine's log, not the tree's.
            return Err(io::Error::from(io::ErrorKind::NotFound));
        }
        read_kmsg(Path::new("/dev/kmsg"))
    }

    fn run(&self, argv: &[&str]) -> io::Result<CommandOutput> {
        let (program, args) = argv
            .split_first()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "empty argv"))?;
        let out = std::process::Command::new(program)
            .args(args)
            .stdin(std::process::Stdio::null())
            .output()?;
        Ok(CommandOutput {
            status: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        })
    }
}

/// Every record still in the kernel's ring buffer: /dev/kmsg hands out one record per `read(2)` and, opened
/// non-blocking, says `EAGAIN` at the end instead of waiting for the next message. `EPIPE` means records were
/// overwritten while reading; the next read continues with the oldest one left.
fn read_kmsg(path: &Path) -> io::Result<Vec<u8>> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(nix::fcntl::OFlag::O_NONBLOCK.bits())
        .open(path)?;
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

/// `GET path` over the Unix socket at `disk` (already resolved into the root).
pub(crate) fn http_get(disk: &Path, path: &str) -> io::Result<crate::parse::http::Response> {
    use std::io::{Read, Write};
    let mut stream = std::os::unix::net::UnixStream::connect(disk)?;
    stream.set_read_timeout(Some(super::HTTP_TIMEOUT))?;
    stream.set_write_timeout(Some(super::HTTP_TIMEOUT))?;
    stream.write_all(crate::parse::http::get_request(path, "docker").as_bytes())?;
    let mut raw = Vec::new();
    stream
        .take(super::HTTP_MAX_BYTES)
        .read_to_end(&mut raw)
        .map_err(|e| {
            if e.kind() == io::ErrorKind::WouldBlock {
                io::Error::new(io::ErrorKind::TimedOut, "no answer within 3 s")
            } else {
                e
            }
        })?;
    crate::parse::http::parse_response(&raw)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
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
