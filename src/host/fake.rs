//! A fixture host: a directory tree plus a sidecar ([`super::sidecar`]), optionally as an overlay on a base
//! fixture (the rules are in the sidecar's module docs).
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::io;
use std::path::{Path, PathBuf};

use super::real::{meta_from_std, read_dir_names};
use super::resolve::resolve_with;
use super::sidecar::{self, Sidecar, SidecarError, SidecarIdentity, TreeEntry};
use super::{Access, CommandOutput, FileKind, Host, Identity, Meta, Space, UserInfo};

#[derive(Debug, Clone)]
pub struct FakeHost {
    /// This fixture's own tree (its `root/`, or `--root`): what `root_display` names.
    root: PathBuf,
    /// The tree's layers, topmost first: this fixture's `[tree]` entries, its `root/`, then its base's layers.
    layers: Vec<Layer>,
    /// The sidecar merged over its bases.
    sidecar: Sidecar,
    identity: SidecarIdentity,
    /// Answers of `lookup`, by host path.
    cache: RefCell<HashMap<String, Option<Merged>>>,
    /// Every name `user_by_name` was asked, in order: on the live host each miss is an NSS round through every
    /// module nsswitch.conf lists, so tests hold the checks to the lookups they need.
    names_asked: RefCell<Vec<String>>,
}

#[derive(Debug, Clone)]
struct Layer {
    source: Source,
    /// Host paths this layer removes from the layers below it (`overlay.remove`).
    removes: Vec<String>,
}

#[derive(Debug, Clone)]
enum Source {
    Disk(PathBuf),
    Inline(BTreeMap<String, TreeEntry>),
}

/// What one layer holds at a host path.
#[derive(Debug, Clone)]
enum Found {
    Disk(PathBuf, std::fs::Metadata),
    /// A `[tree]` entry, or `None` for a directory implied by the entries below it.
    Inline(Option<TreeEntry>),
}

impl Found {
    fn kind(&self) -> FileKind {
        match self {
            Found::Disk(_, m) => meta_from_std(m).kind,
            Found::Inline(Some(e)) if e.text.is_some() => FileKind::File,
            Found::Inline(Some(e)) if e.link.is_some() => FileKind::Symlink,
            Found::Inline(_) => FileKind::Dir,
        }
    }

    /// Tree metadata, normalised.
    fn meta(&self) -> Meta {
        let (kind, size) = match self {
            Found::Disk(_, m) => return normalise(meta_from_std(m)),
            Found::Inline(Some(TreeEntry {
                text: Some(text),
                executable,
                ..
            })) => {
                let mode = if *executable { 0o755 } else { 0o644 };
                return Meta {
                    kind: FileKind::File,
                    mode,
                    uid: 0,
                    gid: 0,
                    size: text.len() as u64,
                    rdev: None,
                };
            }
            Found::Inline(Some(TreeEntry {
                link: Some(target), ..
            })) => (FileKind::Symlink, target.len() as u64),
            Found::Inline(_) => (FileKind::Dir, 4096),
        };
        normalise(Meta {
            kind,
            mode: 0,
            uid: 0,
            gid: 0,
            size,
            rdev: None,
        })
    }
}

/// A host path in the merged tree: the topmost layer's entry, and for a directory every layer it is listed from.
#[derive(Debug, Clone)]
struct Merged {
    top: Found,
    dirs: Vec<usize>,
}

fn errno(e: nix::errno::Errno) -> io::Error {
    io::Error::from_raw_os_error(e as i32)
}

/// A readable file of a fake host ([`FakeHost::content`]).
enum Content {
    Disk(std::path::PathBuf),
    Text(String),
}

impl FakeHost {
    /// What reading `path` reads, as `read` finds it (symlinks followed, denials and the sidecar's kinds applied):
    /// a fixture's file on disk, or a tree entry's text.
    fn content(&self, path: &str) -> io::Result<Content> {
        let host = self.resolve(path, true)?;
        self.read_denied(&host)?;
        match self.lookup(&host)? {
            Some(Merged {
                top: Found::Disk(disk, _),
                ..
            }) => Ok(Content::Disk(disk)),
            Some(Merged {
                top:
                    Found::Inline(Some(TreeEntry {
                        text: Some(text), ..
                    })),
                ..
            }) => Ok(Content::Text(text)),
            Some(_) => Err(errno(nix::errno::Errno::EISDIR)),
            // A sidecar-only socket or directory exists but has no content to read.
            None => match self.sidecar.files.get(&host).and_then(|o| o.kind) {
                Some(FileKind::Dir) => Err(errno(nix::errno::Errno::EISDIR)),
                Some(_) => Err(errno(nix::errno::Errno::ENXIO)),
                None => Err(errno(nix::errno::Errno::ENOENT)),
            },
        }
    }

    /// The names `user_by_name` was asked so far, in order.
    pub fn names_asked(&self) -> Vec<String> {
        self.names_asked.borrow().clone()
    }

    /// Loads the sidecar at `sidecar_path` and, through `base`, the sidecars and trees below it;
    /// this fixture's own tree is read below `root`.
    pub fn load(root: impl Into<PathBuf>, sidecar_path: &Path) -> Result<FakeHost, SidecarError> {
        let root = root.into();
        let mut layers = Vec::new();
        let sidecar = load_layer(&root, sidecar_path, &mut layers, &mut Vec::new())?;
        let identity = sidecar
            .identity
            .clone()
            .ok_or_else(|| SidecarError::Invalid {
                path: sidecar_path.display().to_string(),
                message: "no `identity` in this sidecar or its bases".to_owned(),
            })?;
        Ok(FakeHost {
            root,
            layers,
            sidecar,
            identity,
            cache: RefCell::default(),
            names_asked: RefCell::default(),
        })
    }

    /// What layer `i` holds at `host` (a host path with no links left in it), given that its parent is a
    /// directory there.
    fn probe(&self, i: usize, host: &str) -> io::Result<Option<Found>> {
        match &self.layers[i].source {
            Source::Disk(root) => {
                let disk = root.join(host.trim_start_matches('/'));
                match std::fs::symlink_metadata(&disk) {
                    Ok(m) => Ok(Some(Found::Disk(disk, m))),
                    Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
                    Err(e) => Err(e),
                }
            }
            Source::Inline(entries) => {
                if let Some(e) = entries.get(host) {
                    return Ok(Some(Found::Inline(Some(e.clone()))));
                }
                let prefix = format!("{host}/");
                Ok(entries
                    .range(prefix.clone()..)
                    .next()
                    .filter(|(k, _)| k.starts_with(&prefix))
                    .map(|_| Found::Inline(None)))
            }
        }
    }

    /// The merged tree at `host`, a host path with no links left in it (but perhaps in its last component):
    /// `None` when missing, `ENOTDIR` when a parent is not a directory. Answers are remembered (fixture
    /// trees do not change while they are read).
    fn lookup(&self, host: &str) -> io::Result<Option<Merged>> {
        if let Some(known) = self.cache.borrow().get(host) {
            return Ok(known.clone());
        }
        let merged = self.lookup_uncached(host)?;
        self.cache
            .borrow_mut()
            .insert(host.to_owned(), merged.clone());
        Ok(merged)
    }

    fn lookup_uncached(&self, host: &str) -> io::Result<Option<Merged>> {
        let host = host.trim_end_matches('/');
        let Some((parent, _)) = host.rsplit_once('/') else {
            // The root: every layer whose tree is there.
            let mut dirs = Vec::new();
            for (i, layer) in self.layers.iter().enumerate() {
                let present = match &layer.source {
                    Source::Disk(root) => std::fs::symlink_metadata(root).is_ok_and(|m| m.is_dir()),
                    Source::Inline(entries) => !entries.is_empty(),
                };
                if present {
                    dirs.push(i);
                }
            }
            let Some(&first) = dirs.first() else {
                return Ok(None);
            };
            let top = match self.probe(first, "/")? {
                Some(found @ Found::Disk(..)) => found,
                _ => Found::Inline(None),
            };
            return Ok(Some(Merged { top, dirs }));
        };
        let Some(parent) = self.lookup(if parent.is_empty() { "/" } else { parent })? else {
            return Ok(None);
        };
        if parent.top.kind() != FileKind::Dir {
            return Err(errno(nix::errno::Errno::ENOTDIR));
        }
        // The topmost layer's entry; below a directory, every layer's directory down to the first layer
        // where the path is something else, or that a layer above removed.
        let mut found: Vec<(usize, Found)> = Vec::new();
        for i in 0..self.layers.len() {
            if parent.dirs.contains(&i)
                && let Some(f) = self.probe(i, host)?
            {
                let is_dir = f.kind() == FileKind::Dir;
                if found.is_empty() || is_dir {
                    found.push((i, f));
                }
                if !is_dir {
                    break;
                }
            }
            if self.layers[i].removes.iter().any(|r| r == host) {
                break;
            }
        }
        if found.is_empty() {
            return Ok(None);
        }
        let dirs = if found[0].1.kind() == FileKind::Dir {
            found.iter().map(|(i, _)| *i).collect()
        } else {
            Vec::new()
        };
        let top = found.swap_remove(0).1;
        Ok(Some(Merged { top, dirs }))
    }

    fn resolve(&self, path: &str, follow_last: bool) -> io::Result<String> {
        resolve_with(path, follow_last, |host| match self.lookup(host)? {
            Some(Merged {
                top: Found::Disk(disk, m),
                ..
            }) if m.file_type().is_symlink() => Ok(Some(
                std::fs::read_link(disk)?.to_string_lossy().into_owned(),
            )),
            Some(Merged {
                top:
                    Found::Inline(Some(TreeEntry {
                        link: Some(target), ..
                    })),
                ..
            }) => Ok(Some(target)),
            Some(_) => Ok(None),
            None => Err(errno(nix::errno::Errno::ENOENT)),
        })
    }

    /// Metadata of an already-resolved host path: the tree's, normalised, with the sidecar on top.
    fn meta_at(&self, host: &str) -> io::Result<Meta> {
        let over = self.sidecar.files.get(host);
        if let Some(e) = over.and_then(|o| o.error) {
            return Err(e.to_io());
        }
        let mut meta = match self.lookup(host)? {
            Some(m) => m.top.meta(),
            None => match over.and_then(|o| o.kind) {
                Some(kind) => Meta {
                    kind,
                    mode: if kind == FileKind::Dir { 0o755 } else { 0o644 },
                    uid: 0,
                    gid: 0,
                    size: 0,
                    rdev: None,
                },
                // The parent directories of a sidecar-only entry exist, as they must on any host.
                None if self
                    .sidecar
                    .files
                    .keys()
                    .any(|k| k.len() > host.len() && sidecar::at_or_below(k, host)) =>
                {
                    Meta {
                        kind: FileKind::Dir,
                        mode: 0o755,
                        uid: 0,
                        gid: 0,
                        size: 4096,
                        rdev: None,
                    }
                }
                None => return Err(errno(nix::errno::Errno::ENOENT)),
            },
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
            if let Some([major, minor]) = o.device {
                meta.rdev = Some((major, minor));
            }
            if let Some(size) = o.size {
                meta.size = size;
            }
        }
        Ok(meta)
    }

    /// A recorded error for reading (or listing) the resolved path `host`: `error`, else `read_error`.
    fn read_denied(&self, host: &str) -> io::Result<()> {
        match self
            .sidecar
            .files
            .get(host)
            .and_then(|o| o.error.or(o.read_error))
        {
            Some(e) => Err(e.to_io()),
            None => Ok(()),
        }
    }

    /// The names in the merged directory `host` (each layer's, minus what a layer above removes or hides).
    fn merged_names(&self, host: &str, dirs: &[usize]) -> io::Result<Vec<String>> {
        let mut names: Vec<String> = Vec::new();
        for &i in dirs {
            match &self.layers[i].source {
                Source::Disk(root) => {
                    names.extend(read_dir_names(&root.join(host.trim_start_matches('/')))?);
                }
                Source::Inline(entries) => {
                    let prefix = if host == "/" {
                        "/".to_owned()
                    } else {
                        format!("{host}/")
                    };
                    for key in entries.keys() {
                        if let Some(rest) = key.strip_prefix(&prefix) {
                            names.push(rest.split('/').next().unwrap_or(rest).to_owned());
                        }
                    }
                }
            }
        }
        names.sort();
        names.dedup();
        // A name is listed if the merged tree has it: a layer above may have removed it.
        let parent = if host == "/" { "" } else { host };
        let mut visible = Vec::with_capacity(names.len());
        for name in names {
            if self.lookup(&format!("{parent}/{name}"))?.is_some() {
                visible.push(name);
            }
        }
        Ok(visible)
    }
}

/// Reads the sidecar `file` and, through its `base`, the ones below it: pushes this sidecar's tree layers
/// (its `[tree]` entries, then `tree`) and then its bases' onto `layers`, and returns the merged sidecar.
/// `seen` holds the sidecars already on the chain, to refuse a loop.
fn load_layer(
    tree: &Path,
    file: &Path,
    layers: &mut Vec<Layer>,
    seen: &mut Vec<PathBuf>,
) -> Result<Sidecar, SidecarError> {
    let display = file.display().to_string();
    let invalid = |message: String| SidecarError::Invalid {
        path: display.clone(),
        message,
    };
    let text = std::fs::read_to_string(file).map_err(|e| invalid(super::describe_error(&e)))?;
    let mut sidecar = sidecar::parse(&display, &text)?;
    seen.push(std::fs::canonicalize(file).unwrap_or_else(|_| file.to_path_buf()));
    layers.push(Layer {
        source: Source::Inline(std::mem::take(&mut sidecar.tree)),
        removes: Vec::new(),
    });
    layers.push(Layer {
        source: Source::Disk(tree.to_path_buf()),
        removes: sidecar.overlay.remove.clone(),
    });
    let Some(base) = sidecar.base.clone() else {
        return Ok(sidecar);
    };
    let line = sidecar::line_of(&text, base.span().start);
    let name = base.get_ref();
    let dir = file.parent().unwrap_or(Path::new("")).join("..").join(name);
    let base_file = dir.join("host.toml");
    let canonical = std::fs::canonicalize(&base_file).map_err(|e| {
        invalid(format!(
            "line {line}: base {name:?}: {}: {}",
            base_file.display(),
            super::describe_error(&e)
        ))
    })?;
    if seen.contains(&canonical) {
        let chain: Vec<String> = seen
            .iter()
            .chain([&canonical])
            .map(|p| p.display().to_string())
            .collect();
        return Err(invalid(format!(
            "line {line}: base {name:?} makes a loop: {}",
            chain.join(" -> ")
        )));
    }
    let merged_base = load_layer(&dir.join("root"), &base_file, layers, seen)?;
    Ok(sidecar.merge_onto(merged_base))
}

/// Fixture trees are checked out with whatever umask and owner the developer has;
/// verdicts must not depend on that, so tree metadata is normalised.
fn normalise(mut meta: Meta) -> Meta {
    meta.uid = 0;
    meta.gid = 0;
    // A device in a checkout is never the host's: its number comes from the sidecar's `device` only.
    meta.rdev = None;
    meta.mode = match meta.kind {
        FileKind::Dir => 0o755,
        FileKind::Symlink => 0o777,
        _ if meta.mode & 0o111 != 0 => 0o755,
        _ => 0o644,
    };
    meta
}

impl Host for FakeHost {
    fn tcp_exchange(&self, req: &super::TcpRequest) -> io::Result<super::TcpReply> {
        use super::sidecar::TcpError;
        let address = req.addr.to_string();
        let Some(t) = self.sidecar.tcp.iter().find(|t| t.address == address) else {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                format!("the fixture records no exchange with {address}"),
            ));
        };
        match t.error {
            Some(TcpError::Refused) => Err(errno(nix::errno::Errno::ECONNREFUSED)),
            Some(TcpError::Unreachable) => Err(errno(nix::errno::Errno::EHOSTUNREACH)),
            Some(TcpError::Timeout) => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "no answer to the connection within 3 s",
            )),
            None => {
                let mut bytes = t.reply.as_bytes().to_vec();
                bytes.truncate(req.max);
                Ok(super::TcpReply {
                    bytes,
                    silent: t.silent,
                })
            }
        }
    }

    fn unix_listens(&self, socket: &str) -> io::Result<()> {
        let host = self.resolve(socket, true)?;
        if let Some(e) = self.sidecar.files.get(&host).and_then(|o| o.connect_error) {
            return Err(e.to_io());
        }
        match self.meta_at(&host)?.kind {
            FileKind::Socket => Ok(()),
            // What connect(2) says for a path that is not a socket.
            _ => Err(errno(nix::errno::Errno::ECONNREFUSED)),
        }
    }

    fn http_get_unix(&self, socket: &str, path: &str) -> io::Result<crate::parse::http::Response> {
        use super::sidecar::HttpError;
        let host = self.resolve(socket, true)?;
        let recorded = self
            .sidecar
            .http
            .iter()
            .find(|h| (h.socket == socket || h.socket == host) && h.path == path);
        let Some(h) = recorded else {
            // No recording: a path that is there (a socket nobody recorded answers, or anything else) refuses the
            // connection; a missing one keeps its error.
            return Err(self
                .stat(socket)
                .map_or_else(|e| e, |_| errno(nix::errno::Errno::ECONNREFUSED)));
        };
        match h.error {
            // As connect(2) fails on the live machine, errno and all.
            Some(HttpError::Refused) => Err(errno(nix::errno::Errno::ECONNREFUSED)),
            Some(HttpError::Denied) => Err(errno(nix::errno::Errno::EACCES)),
            Some(HttpError::Missing) => Err(errno(nix::errno::Errno::ENOENT)),
            Some(HttpError::Timeout) => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "no answer within 3 s",
            )),
            None => Ok(crate::parse::http::Response {
                status: h.status,
                headers: if h.headers.is_empty() {
                    vec![("content-length".to_owned(), h.body.len().to_string())]
                } else {
                    h.headers
                        .iter()
                        .map(|[k, v]| (k.to_ascii_lowercase(), v.clone()))
                        .collect()
                },
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
        match self.content(path)? {
            Content::Disk(disk) => std::fs::read(disk),
            Content::Text(text) => Ok(text.into_bytes()),
        }
    }

    fn read_at(&self, path: &str, offset: u64, len: usize) -> io::Result<Vec<u8>> {
        use std::io::{Read as _, Seek as _};
        match self.content(path)? {
            // A fixture's file on disk (a real binary, megabytes): only the bytes asked for.
            Content::Disk(disk) => {
                let mut file = std::fs::File::open(disk)?;
                file.seek(std::io::SeekFrom::Start(offset))?;
                let mut out = Vec::new();
                file.take(len as u64).read_to_end(&mut out)?;
                Ok(out)
            }
            Content::Text(text) => Ok(super::cut(text.as_bytes(), offset, len)),
        }
    }

    fn lstat(&self, path: &str) -> io::Result<Meta> {
        let host = self.resolve(path, false)?;
        self.meta_at(&host)
    }

    fn stat(&self, path: &str) -> io::Result<Meta> {
        let host = self.resolve(path, true)?;
        self.meta_at(&host)
    }

    fn read_link(&self, path: &str) -> io::Result<String> {
        let host = self.resolve(path, false)?;
        if let Some(e) = self.sidecar.files.get(&host).and_then(|o| o.error) {
            return Err(e.to_io());
        }
        match self.lookup(&host)? {
            Some(Merged {
                top: Found::Disk(disk, _),
                ..
            }) => Ok(std::fs::read_link(disk)?.to_string_lossy().into_owned()),
            Some(Merged {
                top:
                    Found::Inline(Some(TreeEntry {
                        link: Some(target), ..
                    })),
                ..
            }) => Ok(target),
            Some(_) => Err(errno(nix::errno::Errno::EINVAL)),
            None => Err(errno(nix::errno::Errno::ENOENT)),
        }
    }

    fn canonicalize(&self, path: &str) -> io::Result<String> {
        let host = self.resolve(path, true)?;
        self.meta_at(&host)?;
        Ok(host)
    }

    fn read_dir(&self, path: &str) -> io::Result<Vec<String>> {
        let host = self.resolve(path, true)?;
        self.read_denied(&host)?;
        let mut names = match self.lookup(&host)? {
            Some(m) if m.top.kind() == FileKind::Dir => self.merged_names(&host, &m.dirs)?,
            Some(_) => return Err(errno(nix::errno::Errno::ENOTDIR)),
            None => {
                if self.meta_at(&host)?.kind != FileKind::Dir {
                    return Err(errno(nix::errno::Errno::ENOTDIR));
                }
                Vec::new()
            }
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
        let host = self.resolve(path, true)?;
        self.meta_at(&host)?;
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

    fn fs_space(&self, path: &str) -> io::Result<Space> {
        let host = self.resolve(path, true)?;
        self.meta_at(&host)?;
        let best = self
            .sidecar
            .space
            .iter()
            .filter(|(mount, _)| path_has_prefix(&host, mount))
            .max_by_key(|(mount, _)| mount.len());
        // Without an entry, room enough for anything the checks ask about.
        Ok(best.map_or(
            Space {
                avail: 1 << 34,
                files: 0,
                files_free: 0,
            },
            |(_, s)| Space {
                avail: s.avail,
                files: s.files,
                files_free: s.files_free,
            },
        ))
    }

    fn fs_magic(&self, path: &str) -> io::Result<u64> {
        let host = self.resolve(path, true)?;
        self.meta_at(&host)?;
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

    /// Permission bits against the fixture's identity (root may do anything but execute a file without any x
    /// bit); fixtures model neither ACLs nor read-only mounts.
    fn access(&self, path: &str, want: Access) -> io::Result<()> {
        let meta = self.stat(path)?;
        let id = self.identity();
        let bits = if id.euid == 0 {
            let any_x = meta.mode & 0o111 != 0 || meta.kind == FileKind::Dir;
            0o6 | if any_x { 0o1 } else { 0 }
        } else if meta.uid == id.euid {
            (meta.mode >> 6) & 7
        } else if meta.gid == id.gid || id.groups.contains(&meta.gid) {
            (meta.mode >> 3) & 7
        } else {
            meta.mode & 7
        };
        let needed =
            (u32::from(want.read) << 2) | (u32::from(want.write) << 1) | u32::from(want.exec);
        if bits & needed == needed {
            Ok(())
        } else {
            Err(io::Error::from(io::ErrorKind::PermissionDenied))
        }
    }

    fn env(&self, name: &str) -> Option<String> {
        self.sidecar.env.get(name).cloned()
    }

    fn env_vars(&self) -> Vec<(String, String)> {
        self.sidecar
            .env
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    fn identity(&self) -> Identity {
        let id = &self.identity;
        Identity {
            uid: id.uid,
            gid: id.gid,
            euid: id.euid.unwrap_or(id.uid),
            groups: id.groups.clone(),
        }
    }

    fn user_by_name(&self, name: &str) -> io::Result<Option<UserInfo>> {
        self.names_asked.borrow_mut().push(name.to_owned());
        if let Some(u) = self.sidecar.users.iter().find(|u| u.name == name) {
            return Ok(Some(recorded_user(u)));
        }
        let text = self.read("/etc/passwd")?;
        Ok(super::users_from_passwd(&text)
            .into_iter()
            .find(|u| u.name == name))
    }

    fn user_by_uid(&self, uid: u32) -> io::Result<Option<UserInfo>> {
        if let Some(u) = self.sidecar.users.iter().find(|u| u.uid == uid) {
            return Ok(Some(recorded_user(u)));
        }
        let text = self.read("/etc/passwd")?;
        Ok(super::users_from_passwd(&text)
            .into_iter()
            .find(|u| u.uid == uid))
    }

    /// A fixture's kernel log is the text file `dev/kmsg` of its tree (records one per line).
    fn kernel_log(&self) -> io::Result<Vec<u8>> {
        self.read("/dev/kmsg")
    }

    /// A recorded `[[commands]]` entry with the same argv (environment and user are not matched); a fixture that
    /// records none launches nothing (`Unsupported`).
    fn run_bounded(
        &self,
        cmd: &super::bounded::BoundedCommand,
    ) -> io::Result<super::bounded::BoundedOutput> {
        use super::bounded::{BoundedOutput, Exit};
        let recorded = self
            .sidecar
            .commands
            .iter()
            .find(|c| c.argv == cmd.argv)
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::Unsupported,
                    "a fixture launches nothing: its sidecar records no such run",
                )
            })?;
        Ok(BoundedOutput {
            exit: if recorded.ready && cmd.ready.is_some() {
                Exit::Ready
            } else if recorded.timed_out {
                Exit::TimedOut
            } else {
                Exit::Code(recorded.status)
            },
            stdout: recorded.stdout.clone(),
            stderr: recorded.stderr.clone(),
            elapsed: std::time::Duration::from_millis(recorded.elapsed_ms),
            leftovers: Vec::new(),
            cleanup_error: None,
        })
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

fn recorded_user(u: &sidecar::RecordedUser) -> UserInfo {
    UserInfo {
        name: u.name.clone(),
        uid: u.uid,
        gid: u.gid,
        home: u.home.clone(),
        shell: u.shell.clone(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    /// `fixtures/base` (a tree and a full sidecar) and `fixtures/top/host.toml` with `top` as its text.
    fn fixtures(top: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("base");
        write(
            &base.join("host.toml"),
            "schema = 1\n[identity]\nuid = 1000\ngid = 1000\n[env]\nHOME = \"/home/alice\"\nLANG = \"C\"\n\
             [files.\"/run/user/1000/bus\"]\nkind = \"socket\"\n[files.\"/etc/subuid\"]\nmode = 0o600\n",
        );
        write(&base.join("root/etc/subuid"), "alice:100000:65536\n");
        write(&base.join("root/etc/subgid"), "alice:100000:65536\n");
        write(&base.join("root/etc/os-release.d/x"), "");
        write(&base.join("root/usr/lib/os-release"), "ID=debian\n");
        symlink("../usr/lib/os-release", base.join("root/etc/os-release")).unwrap();
        write(&dir.path().join("top/host.toml"), top);
        dir
    }

    fn load(dir: &tempfile::TempDir) -> Result<FakeHost, SidecarError> {
        let top = dir.path().join("top");
        FakeHost::load(top.join("root"), &top.join("host.toml"))
    }

    #[test]
    fn an_overlay_adds_replaces_and_removes() {
        let dir = fixtures(
            "schema = 1\nbase = \"base\"\n[overlay]\nremove = [\"/etc/subgid\", \"/run/user/1000/bus\"]\n\
             unset_env = [\"LANG\"]\n[env]\nUSER = \"alice\"\n\
             [tree.\"/etc/subuid\"]\ntext = \"bob:1:2\\n\"\n[tree.\"/usr/lib/os-release\"]\nlink = \"/etc/elsewhere\"\n\
             [tree.\"/srv/empty\"]\ndir = true\n[tree.\"/usr/bin/tool\"]\ntext = \"\"\nexecutable = true\n",
        );
        write(&dir.path().join("top/root/etc/elsewhere"), "ID=ubuntu\n");
        let h = load(&dir).unwrap();
        // the inline entry wins over the base's file; the base's [files] entry still applies
        assert_eq!(h.read("/etc/subuid").unwrap(), b"bob:1:2\n");
        assert_eq!(h.lstat("/etc/subuid").unwrap().mode, 0o600);
        // removed: the tree file and the sidecar-only socket
        assert_eq!(
            h.read("/etc/subgid").unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
        assert!(h.lstat("/run/user/1000/bus").is_err());
        // links resolve across layers: the base's link, the top's link, the top's root/ file
        assert_eq!(h.read("/etc/os-release").unwrap(), b"ID=ubuntu\n");
        assert_eq!(h.canonicalize("/etc/os-release").unwrap(), "/etc/elsewhere");
        assert_eq!(
            h.read_link("/usr/lib/os-release").unwrap(),
            "/etc/elsewhere"
        );
        // directories merge; removed names are gone
        assert_eq!(
            h.read_dir("/etc").unwrap(),
            ["elsewhere", "os-release", "os-release.d", "subuid"]
        );
        assert_eq!(h.read_dir("/").unwrap(), ["etc", "srv", "usr"]);
        assert!(h.read_dir("/srv/empty").unwrap().is_empty());
        assert_eq!(h.lstat("/usr/bin/tool").unwrap().mode, 0o755);
        assert_eq!(
            h.read("/etc/subuid/x").unwrap_err().raw_os_error(),
            Some(nix::errno::Errno::ENOTDIR as i32)
        );
        // the sidecar merges: identity from the base, LANG unset, USER added
        assert_eq!(h.identity().uid, 1000);
        assert_eq!(h.env("HOME").as_deref(), Some("/home/alice"));
        assert_eq!(h.env("LANG"), None);
        assert_eq!(h.env("USER").as_deref(), Some("alice"));
    }

    #[test]
    fn a_file_above_hides_a_directory_below() {
        let dir = fixtures(
            "schema = 1\nbase = \"base\"\n[tree.\"/etc/os-release.d\"]\ntext = \"flat\\n\"\n",
        );
        let h = load(&dir).unwrap();
        assert_eq!(h.lstat("/etc/os-release.d").unwrap().kind, FileKind::File);
        assert!(h.read_dir("/etc/os-release.d").is_err());
        assert!(h.lstat("/etc/os-release.d/x").is_err());
    }

    #[test]
    fn a_broken_base_names_the_sidecar_and_line() {
        let dir = fixtures("schema = 1\n\nbase = \"nowhere\"\n");
        let msg = load(&dir).unwrap_err().to_string();
        assert!(
            msg.contains("top/host.toml: line 3: base \"nowhere\""),
            "{msg}"
        );
        assert!(msg.contains("no such file"), "{msg}");
    }

    #[test]
    fn a_base_loop_is_refused() {
        let dir = fixtures("schema = 1\nbase = \"other\"\n");
        write(
            &dir.path().join("other/host.toml"),
            "schema = 1\nbase = \"top\"\n",
        );
        let msg = load(&dir).unwrap_err().to_string();
        assert!(
            msg.contains("other/host.toml: line 2: base \"top\" makes a loop"),
            "{msg}"
        );
    }
}
