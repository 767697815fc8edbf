//! Running the binary as a test user the way `tests/live.rs` does: from a copy the user can read, with an explicit
//! clean environment and a hand-made XDG_RUNTIME_DIR (there is no pam_systemd on the CI machine).

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, format_err};
use xshell::Shell;

use crate::subid;

/// Has subordinate ids; everything rootless Docker needs is in place for it.
pub const OK_USER: &str = "rdtest-ok";
/// Has no line in /etc/subuid nor /etc/subgid.
pub const NOSUB_USER: &str = "rdtest-nosub";
/// Plants hostile files in its own home for root's run to read (tests/hostile.rs).
pub const HOSTILE_USER: &str = "rdtest-mallory";
/// tests/live.rs's PATH (explicit: `su -` would drop /usr/sbin, where dockerd, runc and iptables live) plus
/// Debian's home of the rootless scripts. `dockerd-rootless-setuptool.sh check` stops at
/// "dockerd-rootless.sh needs to be present under $PATH" (in about 5 ms, having checked nothing) without it.
pub const PATH_WITH_ROOTLESS_SCRIPTS: &str =
    "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin:/usr/share/docker.io/contrib";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    pub home: String,
}

pub fn lookup(sh: &Shell, name: &str) -> Result<User> {
    let passwd = sh.read_file("/etc/passwd")?;
    let (uid, gid, home) = subid::passwd_entry(&passwd, name).ok_or_else(|| {
        format_err!("no user `{name}` in /etc/passwd; run `cargo xtask setup` as root")
    })?;
    Ok(User {
        name: name.to_string(),
        uid,
        gid,
        home,
    })
}

/// `runuser` arguments that run what follows as `user` with only the given environment.
pub fn runuser_args(user: &User, xdg_runtime_dir: &Path, path: &str) -> Vec<String> {
    vec![
        "-u".into(),
        user.name.clone(),
        "--".into(),
        "env".into(),
        "-i".into(),
        format!("HOME={}", user.home),
        format!("USER={}", user.name),
        format!("LOGNAME={}", user.name),
        format!("PATH={path}"),
        format!("XDG_RUNTIME_DIR={}", xdg_runtime_dir.display()),
    ]
}

/// A directory removed (with its contents) when dropped, also on error paths.
pub struct DirGuard(PathBuf);

impl DirGuard {
    /// Creates `path` afresh (removing a leftover from an earlier run) with `mode`, owned by `owner` if given.
    pub fn create(path: impl Into<PathBuf>, mode: u32, owner: Option<&User>) -> Result<DirGuard> {
        let path = path.into();
        if path.exists() {
            fs::remove_dir_all(&path)
                .with_context(|| format!("failed to remove stale {}", path.display()))?;
        }
        fs::create_dir(&path).with_context(|| format!("failed to create {}", path.display()))?;
        let guard = DirGuard(path);
        fs::set_permissions(&guard.0, fs::Permissions::from_mode(mode))?;
        if let Some(user) = owner {
            std::os::unix::fs::chown(&guard.0, Some(user.uid), Some(user.gid))
                .with_context(|| format!("failed to chown {}", guard.0.display()))?;
        }
        Ok(guard)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for DirGuard {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// The XDG_RUNTIME_DIR convention shared with tests/live.rs: `/tmp/rd-xdg-<uid>`, 0700, owned by the user.
pub fn xdg_runtime_dir(user: &User) -> Result<DirGuard> {
    DirGuard::create(format!("/tmp/rd-xdg-{}", user.uid), 0o700, Some(user))
}

/// Copies the binary to `dest` with mode 0755: the checkout may sit under a 0700 /root the test users can't enter.
pub fn install_binary(src: &Path, dest: &Path) -> Result<()> {
    fs::copy(src, dest)
        .with_context(|| format!("failed to copy {} to {}", src.display(), dest.display()))?;
    fs::set_permissions(dest, fs::Permissions::from_mode(0o755))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runuser_args_give_a_clean_environment() {
        let user = User {
            name: "rdtest-ok".into(),
            uid: 1000,
            gid: 1000,
            home: "/home/rdtest-ok".into(),
        };
        assert_eq!(
            runuser_args(&user, Path::new("/tmp/rd-xdg-1000"), "/usr/bin:/bin").join(" "),
            "-u rdtest-ok -- env -i HOME=/home/rdtest-ok USER=rdtest-ok LOGNAME=rdtest-ok \
             PATH=/usr/bin:/bin XDG_RUNTIME_DIR=/tmp/rd-xdg-1000"
        );
    }
}
