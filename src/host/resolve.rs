//! Path resolution inside a root directory.
//!
//! With `--root /mnt/image`, the host path `/etc/subuid` must be read as `/mnt/image/etc/subuid`,
//! and a symlink in the image pointing at `/usr/lib/os-release` must land in `/mnt/image/usr/lib/os-release`,
//! never in the machine's own `/usr`. This module walks a path component by component and
//! follows links against the root, like `openat2(2)` with `RESOLVE_IN_ROOT`.
#![allow(clippy::disallowed_methods)]

use std::io;
use std::path::Component;
#[cfg(test)]
use std::path::{Path, PathBuf};

/// Linux gives up after 40 links (`MAXSYMLINKS`); so do we.
const MAX_LINKS: usize = 40;

/// Where a host path lives on disk.
#[cfg(test)]
pub(crate) struct Resolved {
    /// The on-disk path.
    pub disk: PathBuf,
    /// The same place as a host path (`/etc/subuid`).
    pub host: String,
}

/// Resolves `path` below `root`. With `follow_last`, a symlink in the last component is followed too.
#[cfg(test)]
pub(crate) fn resolve(root: &Path, path: &str, follow_last: bool) -> io::Result<Resolved> {
    if root == Path::new("/") {
        // The kernel follows links itself; only `canonicalize` needs the resolved name, and asks for it.
        return Ok(Resolved {
            disk: PathBuf::from(path),
            host: path.to_owned(),
        });
    }
    let host = resolve_with(path, follow_last, |host| {
        let disk = root.join(host.trim_start_matches('/'));
        match std::fs::symlink_metadata(&disk) {
            Ok(meta) if meta.file_type().is_symlink() => Ok(Some(
                std::fs::read_link(&disk)?.to_string_lossy().into_owned(),
            )),
            Ok(_) => Ok(None),
            Err(err) => Err(err),
        }
    })?;
    let disk = root.join(host.trim_start_matches('/'));
    Ok(Resolved { disk, host })
}

/// Resolves the host path `path` against a tree that `link_at` describes: given a host path with no links
/// left in it, `link_at` says whether it is a symbolic link (`Ok(Some(target))`), something else (`Ok(None)`)
/// or missing (`NotFound`, after which the walk goes on lexically). With `follow_last`, a symlink in the last
/// component is followed too. Returns the resolved host path (`/usr/lib/os-release`).
pub(crate) fn resolve_with(
    path: &str,
    follow_last: bool,
    mut link_at: impl FnMut(&str) -> io::Result<Option<String>>,
) -> io::Result<String> {
    if !path.starts_with('/') {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("host path {path:?} is not absolute"),
        ));
    }
    // `done` holds the components already resolved (no links left in them);
    // `todo` the ones still to walk, last component at the front of the stack's end.
    let mut done: Vec<String> = Vec::new();
    let mut todo: Vec<String> = components(path).into_iter().rev().collect();
    let mut links = 0;
    while let Some(name) = todo.pop() {
        if name == ".." {
            done.pop();
            continue;
        }
        let is_last = todo.is_empty();
        let here = format!(
            "/{}",
            done.iter()
                .chain([&name])
                .map(String::as_str)
                .collect::<Vec<_>>()
                .join("/")
        );
        match link_at(&here) {
            Ok(Some(target)) if !is_last || follow_last => {
                links += 1;
                if links > MAX_LINKS {
                    return Err(io::Error::from_raw_os_error(libc_eloop()));
                }
                if target.starts_with('/') {
                    done.clear();
                }
                for part in components(&target).into_iter().rev() {
                    todo.push(part);
                }
            }
            Ok(_) => done.push(name),
            // A missing intermediate directory is reported by the caller's own operation,
            // with the right errno, so keep walking lexically.
            Err(err) if err.kind() == io::ErrorKind::NotFound => done.push(name),
            Err(err) => return Err(err),
        }
    }
    Ok(format!("/{}", done.join("/")))
}

fn components(path: &str) -> Vec<String> {
    std::path::Path::new(path)
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            Component::ParentDir => Some("..".to_owned()),
            Component::RootDir | Component::CurDir | Component::Prefix(_) => None,
        })
        .collect()
}

fn libc_eloop() -> i32 {
    nix::errno::Errno::ELOOP as i32
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn absolute_links_stay_inside_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("usr/lib")).unwrap();
        std::fs::create_dir_all(root.join("etc")).unwrap();
        std::fs::write(root.join("usr/lib/os-release"), "ID=test\n").unwrap();
        symlink("/usr/lib/os-release", root.join("etc/os-release")).unwrap();
        let r = resolve(root, "/etc/os-release", true).unwrap();
        assert_eq!(r.host, "/usr/lib/os-release");
        assert_eq!(r.disk, root.join("usr/lib/os-release"));
        let r = resolve(root, "/etc/os-release", false).unwrap();
        assert_eq!(r.host, "/etc/os-release");
    }

    #[test]
    fn dotdot_cannot_escape_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("etc")).unwrap();
        symlink("../../../../etc/passwd", root.join("etc/evil")).unwrap();
        let r = resolve(root, "/etc/evil", true).unwrap();
        assert_eq!(r.host, "/etc/passwd");
        assert!(r.disk.starts_with(root));
    }

    #[test]
    fn link_loops_end_with_eloop() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        symlink("/b", root.join("a")).unwrap();
        symlink("/a", root.join("b")).unwrap();
        let err = resolve(root, "/a", true).err().unwrap();
        assert_eq!(err.raw_os_error(), Some(nix::errno::Errno::ELOOP as i32));
    }
}
