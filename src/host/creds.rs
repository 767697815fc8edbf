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

use std::cell::{Cell, RefCell};
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

thread_local! {
    /// The user whose filesystem credentials are still in force after a read made inside [`Kept`], with root's to
    /// put back.
    static PARKED: RefCell<Option<(Creds, Saved)>> = const { RefCell::new(None) };
    /// How many [`Kept`] scopes are open.
    static KEEPING: Cell<u32> = const { Cell::new(0) };
    /// Whether an operation is running with a user's credentials: nothing may switch again under it.
    static BUSY: Cell<bool> = const { Cell::new(false) };
    /// How many operations of root's own sight ([`as_self`]) are running: a read as a user made under one is put
    /// back at once, never parked under root's operation.
    static OWN_DEPTH: Cell<u32> = const { Cell::new(0) };
}

/// While it lives, [`read_as`] leaves the user's credentials in force after each read, and the next read as the same
/// user needs no switch: a run over ten thousand accounts makes one switch per account and per return to root's own
/// sight, not fourteen system calls around every read. Root's credentials come back before anything of root's runs
/// ([`as_self`], [`with_creds`], [`with_effective_creds`]) and when the last scope ends. Opened only around
/// `preflight` and `check` (the checks' reading of the host, whose every operation goes through `Host`: `RealHost`'s
/// methods take [`read_as`], [`with_effective_creds`] or [`as_self`], and the report's writes [`SelfWriter`]);
/// every other command (`fix`, `setup`, `capture`, `why`, `net`) runs outside it and switches around each read.
pub struct Kept(());

impl Kept {
    pub fn new() -> Kept {
        KEEPING.with(|k| k.set(k.get() + 1));
        Kept(())
    }
}

impl Default for Kept {
    fn default() -> Kept {
        Kept::new()
    }
}

impl Drop for Kept {
    fn drop(&mut self) {
        let left = KEEPING.with(|k| {
            let left = k.get().saturating_sub(1);
            k.set(left);
            left
        });
        if left == 0 {
            leave();
        }
    }
}

/// A writer whose every write and flush runs with this process's own credentials ([`as_self`]): the report is
/// written inside [`Kept`], and a file it goes to must be written by root (a disk's reserved blocks, a FUSE
/// server's view of who writes), never by the account whose credentials are parked.
pub struct SelfWriter<'a>(pub &'a mut dyn std::io::Write);

impl std::io::Write for SelfWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        as_self(|| self.0.write(buf))
    }

    fn flush(&mut self) -> io::Result<()> {
        as_self(|| self.0.flush())
    }
}

/// Puts root's credentials back if a user's are parked.
fn leave() {
    if let Some((_, saved)) = PARKED.with(|p| p.borrow_mut().take()) {
        restore(&saved, &Changed::PARKED);
    }
}

/// Marks an operation as running under a user's credentials, and unmarks it however the operation ends.
struct Busy;

impl Busy {
    fn enter() -> io::Result<Busy> {
        if BUSY.with(|b| b.replace(true)) {
            return Err(io::Error::other(
                "internal error: a change of credentials inside an operation made under another",
            ));
        }
        Ok(Busy)
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        BUSY.with(|b| b.set(false));
    }
}

/// Runs `op` with this process's own credentials (root's, when it judges someone else), putting them back first if a
/// user's are parked. Every operation of root's own sight goes through here.
pub(crate) fn as_self<T>(op: impl FnOnce() -> io::Result<T>) -> io::Result<T> {
    if BUSY.with(Cell::get) {
        return Err(io::Error::other(
            "internal error: an operation of root's own inside one made as the user",
        ));
    }
    leave();
    OWN_DEPTH.with(|d| d.set(d.get() + 1));
    let _own = Own;
    op()
}

/// Counts an [`as_self`] operation as running until it ends, however it ends.
struct Own;

impl Drop for Own {
    fn drop(&mut self) {
        OWN_DEPTH.with(|d| d.set(d.get().saturating_sub(1)));
    }
}

/// [`with_creds`] for a read: inside [`Kept`], the credentials stay in force afterwards (parked) for the next read as
/// the same user; outside, they are put back at once.
pub(crate) fn read_as<T>(
    creds: &Creds,
    saved: &Saved,
    op: impl FnOnce() -> io::Result<T>,
) -> io::Result<T> {
    if KEEPING.with(Cell::get) == 0 || OWN_DEPTH.with(Cell::get) > 0 {
        return with_creds(creds, saved, op);
    }
    let _busy = Busy::enter()?;
    let parked = PARKED.with(|p| p.borrow().as_ref().is_some_and(|(c, _)| c == creds));
    if !parked {
        leave();
        let guard = switch(creds, saved, false)?;
        guard.disarm();
        PARKED.with(|p| *p.borrow_mut() = Some((creds.clone(), saved.clone())));
    }
    op()
}

/// Runs `op` with `creds` as the filesystem identity and no effective capabilities, then puts `saved` back.
/// If the switch cannot be made, nothing is opened: an error is better than a read as root.
pub(crate) fn with_creds<T>(
    creds: &Creds,
    saved: &Saved,
    op: impl FnOnce() -> io::Result<T>,
) -> io::Result<T> {
    switched(creds, saved, Ids::Filesystem, op)
}

/// [`with_creds`] with the user's effective uid and gid as well: for a connection, whose server is told who connected
/// by the effective ids (`SO_PEERCRED`, `SO_PEERGROUPS` on a Unix socket), not the filesystem ids that decided
/// whether the socket could be reached. The real and saved uid stay root's, so the user can neither signal nor trace
/// this process meanwhile, and root's effective uid comes back without a capability.
///
/// Every change of credentials sets the process's dumpable flag to `fs.suid_dumpable`, and at 1 the files of
/// `/proc/PID` belong to the effective uid: the user's, for as long as the connection lasts (their own server may
/// hold it up to the deadline), time enough to open `/proc/PID/oom_score_adj` for writing. On such a host only the
/// filesystem ids are taken, and the server is told root connected, as before; the socket is still reached only
/// as the user could reach it.
pub(crate) fn with_effective_creds<T>(
    creds: &Creds,
    saved: &Saved,
    op: impl FnOnce() -> io::Result<T>,
) -> io::Result<T> {
    switched(creds, saved, Ids::Effective, op)
}

/// Which of the user's ids a switch takes.
#[derive(PartialEq)]
enum Ids {
    Filesystem,
    /// The effective ids too, where `/proc/PID` stays root's meanwhile ([`proc_stays_roots`]).
    Effective,
}

/// `op` with `creds` (`ids`), whatever was parked put back first, and `saved` put back afterwards.
fn switched<T>(
    creds: &Creds,
    saved: &Saved,
    ids: Ids,
    op: impl FnOnce() -> io::Result<T>,
) -> io::Result<T> {
    let _busy = Busy::enter()?;
    leave();
    // Asked now, with root's credentials back.
    let effective = ids == Ids::Effective && proc_stays_roots();
    let guard = switch(creds, saved, effective)?;
    let result = op();
    drop(guard);
    result
}

/// Whether `/proc/PID` stays root's while the effective uid is a user's: `fs.suid_dumpable` is 0 (the default) or 2,
/// so a process whose credentials changed is not dumpable by its owner. Read once, as root (no switch in force).
fn proc_stays_roots() -> bool {
    static STAYS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *STAYS.get_or_init(|| {
        std::fs::read_to_string("/proc/sys/fs/suid_dumpable")
            .is_ok_and(|v| matches!(v.trim(), "0" | "2"))
    })
}

/// Takes `creds` (the effective ids too when `effective`), returning what puts `saved` back when dropped; a switch
/// that fails half-way is put back before the error returns.
fn switch<'a>(creds: &Creds, saved: &'a Saved, effective: bool) -> io::Result<Guard<'a>> {
    let groups: Vec<Gid> = creds.groups.iter().map(|&g| Gid::from_raw(g)).collect();
    let mut guard = Guard {
        saved,
        changed: Changed::NOTHING,
    };
    nix::unistd::setgroups(&groups).map_err(io::Error::from)?;
    guard.changed.groups = true;
    if effective {
        // The group first: once the effective uid is the user's, CAP_SETGID is gone. Each moves the matching
        // filesystem id with it.
        nix::unistd::setegid(Gid::from_raw(creds.gid)).map_err(io::Error::from)?;
        guard.changed.egid = true;
        nix::unistd::seteuid(Uid::from_raw(creds.uid)).map_err(io::Error::from)?;
        guard.changed.euid = true;
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
    guard.changed.ids = true;
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
    guard.changed.caps = true;
    caps::clear(None, CapSet::Effective).map_err(caps_error)?;
    Ok(guard)
}

/// Restores root's credentials however a switch's scope ends (an error, an early return, a panic): what it changed,
/// and only that.
struct Guard<'a> {
    saved: &'a Saved,
    changed: Changed,
}

impl Guard<'_> {
    /// Leaves the credentials in force: [`leave`] puts them back.
    fn disarm(mut self) {
        self.changed = Changed::NOTHING;
    }
}

impl Drop for Guard<'_> {
    fn drop(&mut self) {
        restore(self.saved, &self.changed);
    }
}

/// What a switch changed, so that only that is put back.
struct Changed {
    groups: bool,
    ids: bool,
    egid: bool,
    euid: bool,
    caps: bool,
}

impl Changed {
    const NOTHING: Changed = Changed {
        groups: false,
        ids: false,
        egid: false,
        euid: false,
        caps: false,
    };
    /// What a read's switch ([`read_as`]) leaves parked: everything but the effective ids.
    const PARKED: Changed = Changed {
        groups: true,
        ids: true,
        egid: false,
        euid: false,
        caps: true,
    };
}

/// Puts back what a switch changed; aborts if it cannot, since carrying on with a half-restored identity would turn
/// later verdicts into guesses.
fn restore(s: &Saved, changed: &Changed) {
    let Changed {
        groups,
        ids,
        egid,
        euid,
        caps,
    } = *changed;
    let mut ok = true;
    // Back to root's effective uid, then gid: the saved ids are still root's, so neither needs a capability (and the
    // kernel gives the permitted capabilities back as effective with the uid). Each moves the filesystem id with it.
    if euid {
        ok &= nix::unistd::seteuid(Uid::from_raw(s.uid)).is_ok();
        ok &= nix::unistd::geteuid().as_raw() == s.uid;
    }
    if egid {
        ok &= nix::unistd::setegid(Gid::from_raw(s.gid)).is_ok();
        ok &= nix::unistd::getegid().as_raw() == s.gid;
    }
    // capset needs no capability to raise what is permitted; setfsuid back to the euid needs none either;
    // setgroups needs CAP_SETGID, which is back by then.
    if caps {
        ok &= caps::set(None, CapSet::Effective, &s.caps).is_ok();
    }
    if ids {
        nix::unistd::setfsuid(Uid::from_raw(s.uid));
        nix::unistd::setfsgid(Gid::from_raw(s.gid));
        ok &= nix::unistd::setfsuid(Uid::from_raw(s.uid)).as_raw() == s.uid;
        ok &= nix::unistd::setfsgid(Gid::from_raw(s.gid)).as_raw() == s.gid;
    }
    if groups {
        ok &= nix::unistd::setgroups(&s.groups).is_ok();
    }
    if !ok {
        std::process::abort();
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
