//! A fixture host: a directory tree plus a sidecar ([`super::sidecar`]).
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

use std::io;
use std::path::{Path, PathBuf};

use super::real::{meta_from_std, read_dir_names};
use super::resolve::resolve;
use super::sidecar::{self, Sidecar, SidecarError};
use super::{CommandOutput, FileKind, Host, Identity, Meta, UserInfo};

#[derive(Debug, Clone)]
pub struct FakeHost {
    root: PathBuf,
    sidecar: Sidecar,
}

impl FakeHost {
    /// Loads the sidecar at `sidecar_path`; the tree is read below `root`.
    pub fn load(root: impl Into<PathBuf>, sidecar_path: &Path) -> Result<FakeHost, SidecarError> {
        let display = sidecar_path.display().to_string();
        let text = std::fs::read_to_string(sidecar_path).map_err(|e| SidecarError::Invalid {
            path: display.clone(),
            message: super::describe_error(&e),
        })?;
        Ok(FakeHost {
            root: root.into(),
            sidecar: sidecar::parse(&display, &text)?,
        })
    }

    fn resolve(&self, path: &str, follow_last: bool) -> io::Result<(PathBuf, String)> {
        let r = resolve(&self.root, path, follow_last)?;
        Ok((r.disk, r.host))
    }

    /// Metadata of an already-resolved host path: the tree's, normalised, with the sidecar on top.
    fn meta_at(&self, disk: &Path, host: &str) -> io::Result<Meta> {
        let over = self.sidecar.files.get(host);
        let mut meta = match std::fs::symlink_metadata(disk) {
            Ok(m) => normalise(meta_from_std(&m)),
            Err(err) if err.kind() == io::ErrorKind::NotFound => match over.and_then(|o| o.kind) {
                Some(kind) => Meta {
                    kind,
                    mode: if kind == FileKind::Dir { 0o755 } else { 0o644 },
                    uid: 0,
                    gid: 0,
                    size: 0,
                },
                None => return Err(err),
            },
            Err(err) => return Err(err),
        };
        if let Some(o) = over {
            if let Some(kind) = o.kind {
                meta.kind = kind;
            }
            if let Some(mode) = o.mode {
                meta.mode = mode;
            }
            if let Some(uid) = o.uid {
                meta.uid = uid;
            }
            if let Some(gid) = o.gid {
                meta.gid = gid;
            }
        }
        Ok(meta)
    }
}

/// Fixture trees are checked out with whatever umask and owner the developer has;
/// verdicts must not depend on that, so tree metadata is normalised.
fn normalise(mut meta: Meta) -> Meta {
    meta.uid = 0;
    meta.gid = 0;
    meta.mode = match meta.kind {
        FileKind::Dir => 0o755,
        FileKind::Symlink => 0o777,
        _ if meta.mode & 0o111 != 0 => 0o755,
        _ => 0o644,
    };
    meta
}

impl Host for FakeHost {
    fn http_get_unix(&self, socket: &str, path: &str) -> io::Result<crate::parse::http::Response> {
        use super::sidecar::HttpError;
        let (_, host) = self.resolve(socket, true)?;
        let recorded = self
            .sidecar
            .http
            .iter()
            .find(|h| (h.socket == socket || h.socket == host) && h.path == path);
        let Some(h) = recorded else {
            // No recording: behave like the socket file says. A socket nobody recorded answers refuses.
            return match self.stat(socket) {
                Ok(m) if m.kind == FileKind::Socket => {
                    Err(io::Error::from(io::ErrorKind::ConnectionRefused))
                }
                Ok(_) => Err(io::Error::from(io::ErrorKind::ConnectionRefused)),
                Err(e) => Err(e),
            };
        };
        match h.error {
            Some(HttpError::Refused) => Err(io::Error::from(io::ErrorKind::ConnectionRefused)),
            Some(HttpError::Denied) => Err(io::Error::from(io::ErrorKind::PermissionDenied)),
            Some(HttpError::Missing) => Err(io::Error::from(io::ErrorKind::NotFound)),
            Some(HttpError::Timeout) => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "no answer within 3 s",
            )),
            None => Ok(crate::parse::http::Response {
                status: h.status,
                headers: vec![("content-length".to_owned(), h.body.len().to_string())],
                body: h.body.clone().into_bytes(),
            }),
        }
    }

    fn root_display(&self) -> String {
        self.root.display().to_string()
    }

    fn is_live(&self) -> bool {
        false
    }

    fn read(&self, path: &str) -> io::Result<Vec<u8>> {
        let (disk, host) = self.resolve(path, true)?;
        match std::fs::read(&disk) {
            Err(err) if err.kind() == io::ErrorKind::NotFound => {
                // A sidecar-only socket or directory exists but has no content to read.
                match self.sidecar.files.get(&host).and_then(|o| o.kind) {
                    Some(FileKind::Dir) => Err(io::Error::from_raw_os_error(
                        nix::errno::Errno::EISDIR as i32,
                    )),
                    Some(_) => Err(io::Error::from_raw_os_error(
                        nix::errno::Errno::ENXIO as i32,
                    )),
                    None => Err(err),
                }
            }
            other => other,
        }
    }

    fn lstat(&self, path: &str) -> io::Result<Meta> {
        let (disk, host) = self.resolve(path, false)?;
        self.meta_at(&disk, &host)
    }

    fn stat(&self, path: &str) -> io::Result<Meta> {
        let (disk, host) = self.resolve(path, true)?;
        self.meta_at(&disk, &host)
    }

    fn read_link(&self, path: &str) -> io::Result<String> {
        let (disk, _) = self.resolve(path, false)?;
        Ok(std::fs::read_link(disk)?.to_string_lossy().into_owned())
    }

    fn canonicalize(&self, path: &str) -> io::Result<String> {
        let (disk, host) = self.resolve(path, true)?;
        self.meta_at(&disk, &host)?;
        Ok(host)
    }

    fn read_dir(&self, path: &str) -> io::Result<Vec<String>> {
        let (disk, host) = self.resolve(path, true)?;
        let mut names = match read_dir_names(&disk) {
            Ok(names) => names,
            Err(err) if err.kind() == io::ErrorKind::NotFound => {
                if self.meta_at(&disk, &host)?.kind != FileKind::Dir {
                    return Err(io::Error::from_raw_os_error(
                        nix::errno::Errno::ENOTDIR as i32,
                    ));
                }
                Vec::new()
            }
            Err(err) => return Err(err),
        };
        // Sidecar-only entries (sockets, empty directories) are listed in their parent directory.
        let prefix = if host == "/" {
            "/".to_owned()
        } else {
            format!("{host}/")
        };
        for file in self.sidecar.files.keys() {
            if let Some(rest) = file.strip_prefix(&prefix)
                && !rest.is_empty()
                && !rest.contains('/')
                && !names.iter().any(|n| n == rest)
            {
                names.push(rest.to_owned());
            }
        }
        names.sort();
        Ok(names)
    }

    fn xattr(&self, path: &str, name: &str) -> io::Result<Option<Vec<u8>>> {
        let (disk, host) = self.resolve(path, true)?;
        self.meta_at(&disk, &host)?;
        match self
            .sidecar
            .xattrs
            .get(&host)
            .and_then(|attrs| attrs.get(name))
        {
            Some(hex) => crate::parse::vfs_cap::from_hex(hex)
                .map(Some)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e)),
            None => Ok(None),
        }
    }

    fn fs_magic(&self, path: &str) -> io::Result<u64> {
        let (disk, host) = self.resolve(path, true)?;
        self.meta_at(&disk, &host)?;
        let best = self
            .sidecar
            .statfs
            .iter()
            .filter(|(mount, _)| path_has_prefix(&host, mount))
            .max_by_key(|(mount, _)| mount.len());
        Ok(best.map_or(
            crate::fsmagic::by_name("ext4").unwrap_or(0xEF53),
            |(_, m)| m.value(),
        ))
    }

    fn env(&self, name: &str) -> Option<String> {
        self.sidecar.env.get(name).cloned()
    }

    fn identity(&self) -> Identity {
        let id = &self.sidecar.identity;
        Identity {
            uid: id.uid,
            gid: id.gid,
            euid: id.euid.unwrap_or(id.uid),
            groups: id.groups.clone(),
        }
    }

    fn user_by_name(&self, name: &str) -> io::Result<Option<UserInfo>> {
        let text = self.read("/etc/passwd")?;
        Ok(super::users_from_passwd(&text)
            .into_iter()
            .find(|u| u.name == name))
    }

    fn user_by_uid(&self, uid: u32) -> io::Result<Option<UserInfo>> {
        let text = self.read("/etc/passwd")?;
        Ok(super::users_from_passwd(&text)
            .into_iter()
            .find(|u| u.uid == uid))
    }

    /// A fixture's kernel log is the text file `dev/kmsg` of its tree (records one per line).
    fn kernel_log(&self) -> io::Result<Vec<u8>> {
        self.read("/dev/kmsg")
    }

    fn run(&self, argv: &[&str]) -> io::Result<CommandOutput> {
        self.sidecar
            .commands
            .iter()
            .find(|c| c.argv.iter().map(String::as_str).eq(argv.iter().copied()))
            .map(|c| CommandOutput {
                status: c.status,
                stdout: c.stdout.clone(),
                stderr: c.stderr.clone(),
            })
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::NotFound,
                    format!("no recorded output for {argv:?} in the sidecar"),
                )
            })
    }
}

/// Whether `mount` is `path` or one of its ancestor directories.
pub(crate) fn path_has_prefix(path: &str, mount: &str) -> bool {
    mount == "/"
        || path == mount
        || path
            .strip_prefix(mount)
            .is_some_and(|rest| rest.starts_with('/'))
}
