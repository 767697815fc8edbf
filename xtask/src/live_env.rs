//! Running the binary as a test user the way the live tests do: from a copy the user can read, with an explicit
//! clean environment (`testkit::as_user`) and a hand-made XDG_RUNTIME_DIR (there is no pam_systemd on the CI
//! machine). The users are `testkit::live`'s; their entries come from /etc/passwd through `testkit::account`.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use testkit::Account;

pub use testkit::live::{HOSTILE_USER, NOSUB_USER, OK_USER};

/// The test user's /etc/passwd entry, or an error that says how to make it.
pub fn lookup(name: &str) -> Result<Account> {
    testkit::account(name)
        .with_context(|| format!("run `cargo xtask setup` as root to make {name}"))
}

/// A directory removed (with its contents) when dropped, also on error paths.
pub struct DirGuard(PathBuf);

impl DirGuard {
    /// Creates `path` afresh (removing a leftover from an earlier run) with `mode`, owned by `owner` if given.
    pub fn create(
        path: impl Into<PathBuf>,
        mode: u32,
        owner: Option<&Account>,
    ) -> Result<DirGuard> {
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
pub fn xdg_runtime_dir(user: &Account) -> Result<DirGuard> {
    DirGuard::create(format!("/tmp/rd-xdg-{}", user.uid), 0o700, Some(user))
}

/// Copies the binary to `dest` with mode 0755: the checkout may sit under a 0700 /root the test users can't enter.
pub fn install_binary(src: &Path, dest: &Path) -> Result<()> {
    fs::copy(src, dest)
        .with_context(|| format!("failed to copy {} to {}", src.display(), dest.display()))?;
    fs::set_permissions(dest, fs::Permissions::from_mode(0o755))?;
    Ok(())
}
