//! Reading as the judged user: root's run opens what a user controls with that user's credentials.
//!
//! When root judges another account (`--user NAME`, or `SUDO_USER` under sudo), every path a check reads
//! (the user's home, runtime directory, and any path named inside the user's own files: `--config-file=`,
//! `EnvironmentFile=`, a context's socket) is opened with the user's filesystem credentials:
//! `setgroups(user's groups)`, `setfsgid`, `setfsuid`, and an empty effective capability set
//! (so neither `CAP_DAC_OVERRIDE` nor `CAP_SYS_PTRACE`, which `/proc/PID/environ` honours, is in play).
//! What the user cannot open, root's run cannot open either, and reports as the user would see it.
//! A connection (a Unix socket the user's files name, a TCP peer) is made with the user's effective uid and gid as
//! well (`with_effective_creds`), so the server is told the user connected (`SO_PEERCRED`), never root.
//!
//! Only the facts that need root's sight and come from root's own choices (other users' `/proc/PID`
//! entries, the kernel log) are read with root's credentials, through `Facts::proc_file` and its kin on the host itself.
//!
//! **Invariant:** the process is single-threaded when it switches: `setfsuid(2)` and `capset(2)` act on
//! the calling thread only (and glibc's `setgroups`, `seteuid` and `setegid` on every thread).
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

use std::io;

use caps::{CapSet, CapsHashSet};
use nix::unistd::{Gid, Uid};

/// The credentials an open runs with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Creds {
    pub uid: u32,
    pub gid: u32,
    /// Supplementary groups, as `initgroups(3)` would give the user at login.
    pub groups: Vec<u32>,
}

/// What to put back after an open made as the user.
#[derive(Debug, Clone)]
pub(crate) struct Saved {
    uid: u32,
    gid: u32,
    groups: Vec<Gid>,
    caps: CapsHashSet,
}

impl Saved {
    /// This process's own filesystem credentials and effective capabilities.
    pub(crate) fn now() -> io::Result<Saved> {
        Ok(Saved {
            uid: nix::unistd::geteuid().as_raw(),
            gid: nix::unistd::getegid().as_raw(),
            groups: nix::unistd::getgroups().map_err(io::Error::from)?,
            caps: caps::read(None, CapSet::Effective).map_err(caps_error)?,
        })
    }
}

fn caps_error(e: caps::errors::CapsError) -> io::Error {
    io::Error::other(format!("capabilities: {e}"))
}

/// Runs `op` with `creds` as the filesystem identity and no effective capabilities, then puts `saved` back.
/// If the switch cannot be made, nothing is opened: an error is better than a read as root.
pub(crate) fn with_creds<T>(
    creds: &Creds,
    saved: &Saved,
    op: impl FnOnce() -> io::Result<T>,
) -> io::Result<T> {
    switch(creds, saved, false, op)
}

/// [`with_creds`] with the user's effective uid and gid as well: for a connection, whose server is told who connected
/// by the effective ids (`SO_PEERCRED`, `SO_PEERGROUPS` on a Unix socket), not the filesystem ids that decided
/// whether the socket could be reached. The real and saved uid stay root's, so the user can neither signal nor trace
/// this process meanwhile, and root's effective uid comes back without a capability.
pub(crate) fn with_effective_creds<T>(
    creds: &Creds,
    saved: &Saved,
    op: impl FnOnce() -> io::Result<T>,
) -> io::Result<T> {
    switch(creds, saved, true, op)
}

fn switch<T>(
    creds: &Creds,
    saved: &Saved,
    effective: bool,
    op: impl FnOnce() -> io::Result<T>,
) -> io::Result<T> {
    let groups: Vec<Gid> = creds.groups.iter().map(|&g| Gid::from_raw(g)).collect();
    let mut guard = Guard {
        saved,
        groups: false,
        ids: false,
        effective: false,
        caps: false,
    };
    nix::unistd::setgroups(&groups).map_err(io::Error::from)?;
    guard.groups = true;
    if effective {
        // The group first: once the effective uid is the user's, CAP_SETGID is gone. Each moves the matching
        // filesystem id with it.
        guard.effective = true;
        nix::unistd::setegid(Gid::from_raw(creds.gid)).map_err(io::Error::from)?;
        nix::unistd::seteuid(Uid::from_raw(creds.uid)).map_err(io::Error::from)?;
        if nix::unistd::geteuid().as_raw() != creds.uid
            || nix::unistd::getegid().as_raw() != creds.gid
        {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!(
                    "could not take uid {} and gid {} to connect as the user",
                    creds.uid, creds.gid
                ),
            ));
        }
    }
    guard.ids = true;
    nix::unistd::setfsgid(Gid::from_raw(creds.gid));
    nix::unistd::setfsuid(Uid::from_raw(creds.uid));
    // setfsuid/setfsgid return the previous value and never fail loudly: ask again to confirm the switch.
    let fsuid = nix::unistd::setfsuid(Uid::from_raw(creds.uid)).as_raw();
    let fsgid = nix::unistd::setfsgid(Gid::from_raw(creds.gid)).as_raw();
    if fsuid != creds.uid || fsgid != creds.gid {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "could not take uid {} and gid {} to read as the user",
                creds.uid, creds.gid
            ),
        ));
    }
    guard.caps = true;
    caps::clear(None, CapSet::Effective).map_err(caps_error)?;
    let result = op();
    drop(guard);
    result
}

/// Restores root's credentials however `switch` leaves (an error, an early return, a panic): what it changed,
/// and only that.
struct Guard<'a> {
    saved: &'a Saved,
    groups: bool,
    ids: bool,
    effective: bool,
    caps: bool,
}

impl Drop for Guard<'_> {
    fn drop(&mut self) {
        let s = self.saved;
        let mut ok = true;
        if self.effective {
            // Back to root's effective uid: the saved uid is still root's, so no capability is needed, and the
            // kernel gives the permitted capabilities back as effective; then CAP_SETGID sets the group back. Each
            // moves the filesystem id with it.
            ok &= nix::unistd::seteuid(Uid::from_raw(s.uid)).is_ok();
            ok &= nix::unistd::setegid(Gid::from_raw(s.gid)).is_ok();
            ok &= nix::unistd::geteuid().as_raw() == s.uid
                && nix::unistd::getegid().as_raw() == s.gid;
        }
        // capset needs no capability to raise what is permitted; setfsuid back to the euid needs none either;
        // setgroups needs CAP_SETGID, which is back by then.
        if self.caps {
            ok &= caps::set(None, CapSet::Effective, &s.caps).is_ok();
        }
        if self.ids {
            nix::unistd::setfsuid(Uid::from_raw(s.uid));
            nix::unistd::setfsgid(Gid::from_raw(s.gid));
            ok &= nix::unistd::setfsuid(Uid::from_raw(s.uid)).as_raw() == s.uid;
            ok &= nix::unistd::setfsgid(Gid::from_raw(s.gid)).as_raw() == s.gid;
        }
        if self.groups {
            ok &= nix::unistd::setgroups(&s.groups).is_ok();
        }
        if !ok {
            // Carrying on with a half-restored identity would turn later verdicts into guesses.
            std::process::abort();
        }
    }
}

/// `setpriv`'s arguments (util-linux) that run the rest of its command line with `creds` and no inheritable
/// capabilities, up to and including the `--` that ends them.
pub(crate) fn setpriv_args(creds: &Creds) -> Vec<String> {
    let groups = if creds.groups.is_empty() {
        "--clear-groups".to_owned()
    } else {
        let list: Vec<String> = creds.groups.iter().map(u32::to_string).collect();
        format!("--groups={}", list.join(","))
    };
    vec![
        format!("--reuid={}", creds.uid),
        format!("--regid={}", creds.gid),
        groups,
        "--inh-caps=-all".to_owned(),
        "--".to_owned(),
    ]
}

/// The groups the user would have after logging in: the primary group plus every group that lists them.
pub(crate) fn login_groups(name: &str, gid: u32) -> io::Result<Vec<u32>> {
    let cname = std::ffi::CString::new(name)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "user name holds a NUL byte"))?;
    let groups = nix::unistd::getgrouplist(&cname, Gid::from_raw(gid)).map_err(io::Error::from)?;
    Ok(groups.into_iter().map(|g| g.as_raw()).collect())
}
