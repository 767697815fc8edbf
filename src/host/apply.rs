//! `fix --apply` and `fix --undo`: the only code in rootless-doctor that changes the host.
//!
//! Every path is walked from one descriptor of the root (`/`, or `--root DIR`), one component at a time,
//! with `O_NOFOLLOW | O_DIRECTORY`: a symbolic link anywhere on the way, or a directory owned by someone
//! else than root (a root step) or than root or the user (a user step), is refused with a message that names
//! it, so a path the user controls never leads a root write into a root-owned place. A user step taken by
//! root runs inside `creds::with_creds` with the user's filesystem ids and no capabilities: the kernel
//! judges it as the user's own write, and what it creates is the user's.
//!
//! A file is replaced atomically: a temporary file in the same directory, written, `fsync`, `rename` over
//! the target, then `fsync` of the directory; a kill at any moment leaves the old file or the new one,
//! never a torn one. The old content goes to the run's backup store first, and the journal (the run's
//! `journal.json`, itself replaced atomically after every step) records the intent before the change, so
//! `fix --undo` can reverse the last apply, step by step in reverse, byte for byte, and refuses to touch a
//! file that changed since.
//!
//! Programs (`Run`, `LoadModule`, `Install`, `EnableLinger`) and `/proc/sys` writes happen only on the
//! running machine: below `--root` they are reported as left for that tree's own boot.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path};
use std::process::{Command, Stdio};

use nix::errno::Errno;
use nix::fcntl::{OFlag, RenameFlags};
use nix::sys::stat::{FileStat, Mode, SFlag};
use nix::unistd::{Gid, Uid, UnlinkatFlags};
use serde::{Deserialize, Serialize};

use super::creds::{self, Creds, Saved};
use crate::model::{Action, Step, sha256_hex};

/// The largest file `fix` edits or backs up: the files it writes are a few lines.
pub const EDIT_MAX: u64 = 1024 * 1024;
/// The suffix of the temporary file beside a target (a leading dot keeps it out of `*.conf` globs).
const TMP_SUFFIX: &str = ".rootless-doctor-tmp";
/// How a missing directory on the way reads.
const NO_DIR: &str = ": no such directory";

/// Whose step it is, for the ownership rule and the credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    Root,
    User,
}

/// The user the user steps act for.
#[derive(Debug, Clone)]
pub struct UserTarget {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    pub home: String,
}

/// What one step came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepResult {
    Done(String),
    /// Nothing to change: the host already is as the step would leave it.
    Already(String),
    /// Not done here (a program or the kernel below `--root`), with the reason.
    NotHere(String),
}

/// A refusal or a failure, with the path or program it concerns in the text.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ApplyError(pub String);

impl From<Errno> for ApplyError {
    /// Only a failed switch to the user's credentials comes here.
    fn from(e: Errno) -> ApplyError {
        err(format!("could not act as the user: {}", e.desc()))
    }
}

fn err(text: impl Into<String>) -> ApplyError {
    ApplyError(text.into())
}

fn io_err(what: &str, e: impl Into<io::Error>) -> ApplyError {
    let e: io::Error = e.into();
    err(format!("{what}: {}", super::describe_error(&e)))
}

/// What the journal keeps for one step: enough to reverse it and to tell whether it still stands.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Entry {
    /// A file written (created, replaced, appended to): `backup` names the old content in the store.
    File {
        path: String,
        user: bool,
        backup: Option<String>,
        mode: Option<u32>,
        uid: Option<u32>,
        gid: Option<u32>,
        after_sha256: String,
    },
    Dir {
        path: String,
        user: bool,
    },
    Mode {
        path: String,
        user: bool,
        before: u32,
        after: u32,
    },
    Owner {
        path: String,
        before: (u32, u32),
        after: (u32, u32),
        /// Walked as the user: the path passes through the user's own directories.
        #[serde(default)]
        user_side: bool,
        /// The inode changed, where the user could have swapped it since: undo touches only that one.
        #[serde(default)]
        ino: Option<u64>,
    },
    Removed {
        path: String,
        user: bool,
        backup: Option<String>,
        mode: u32,
        uid: u32,
        gid: u32,
        /// A symbolic link's target, for undo to make it again.
        #[serde(default)]
        link: Option<String>,
        /// What it was ("a regular file", "a socket").
        #[serde(default)]
        what: String,
    },
    Renamed {
        from: String,
        to: String,
        user: bool,
    },
    Sysctl {
        key: String,
        before: String,
    },
    Program {
        argv: Vec<String>,
        user: bool,
        undo: Option<Vec<String>>,
    },
    /// What no undo reverses (a removed tree, installed packages), kept to say so.
    Kept {
        what: String,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Journal {
    pub schema: u32,
    pub started: String,
    pub user: Option<String>,
    pub entries: Vec<Entry>,
}

/// Resolves `chown` owners (`name[:group]`) to a uid and gid.
pub type Owners = Box<dyn Fn(&str) -> Option<(u32, u32)>>;

/// Applies steps below one root.
pub struct Applier {
    root: OwnedFd,
    live: bool,
    user: Option<UserTarget>,
    /// The user's credentials and this process's, when root acts for another user.
    switch: Option<(Creds, Saved)>,
    /// The run's directory (journal and backups), relative to the root.
    run_dir: String,
    state_who: Who,
    journal: Journal,
    backups: usize,
    /// Resolves `chown` owners (`name[:group]`) to ids.
    owners: Owners,
}

/// The root's descriptor.
fn open_root(root: &Path) -> Result<OwnedFd, ApplyError> {
    nix::fcntl::open(
        root,
        OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| io_err(&root.display().to_string(), e))
}

/// The temporary file beside `name`: `.NAME.rootless-doctor-tmp`, or, where that would pass the 255 bytes a
/// file name may have, a name made from a hash of `NAME`.
fn tmp_name(name: &OsStr) -> OsString {
    let mut tmp = OsString::from(".");
    tmp.push(name);
    tmp.push(TMP_SUFFIX);
    if tmp.len() > 255 {
        let hash = sha256_hex(name.as_bytes());
        return OsString::from(format!(".{}{TMP_SUFFIX}", &hash[..16]));
    }
    tmp
}

/// The refusal of a directory on the way that belongs to someone else.
fn foreign_dir(shown: &str, uid: u32, whose: &str) -> String {
    format!("{shown}: refused: the directory belongs to uid {uid}, not {whose}")
}

/// The path's components, refusing `..`, `.` and relative paths.
fn components(path: &str) -> Result<Vec<&OsStr>, ApplyError> {
    let p = Path::new(path);
    if !p.is_absolute() {
        return Err(err(format!("{path}: not an absolute path")));
    }
    let mut out = Vec::new();
    for c in p.components() {
        match c {
            Component::RootDir => {}
            Component::Normal(n) => out.push(n),
            _ => return Err(err(format!("{path}: `.` or `..` in the path: refused"))),
        }
    }
    Ok(out)
}

fn file_type(st: &FileStat) -> &'static str {
    match SFlag::from_bits_truncate(st.st_mode & SFlag::S_IFMT.bits()) {
        SFlag::S_IFREG => "a regular file",
        SFlag::S_IFDIR => "a directory",
        SFlag::S_IFLNK => "a symbolic link",
        SFlag::S_IFSOCK => "a socket",
        SFlag::S_IFIFO => "a fifo",
        SFlag::S_IFCHR => "a character device",
        SFlag::S_IFBLK => "a block device",
        _ => "of an unknown type",
    }
}

fn is(st: &FileStat, kind: SFlag) -> bool {
    st.st_mode & SFlag::S_IFMT.bits() == kind.bits()
}

/// A file's state as the journal compares it.
struct Existing {
    content: Vec<u8>,
    mode: u32,
    uid: u32,
    gid: u32,
}

impl Applier {
    /// An applier below `root` (`/` is the running machine). `state_dir` (absolute, below the root) keeps the
    /// runs' journals and backups; it belongs to `state_who`.
    pub fn new(
        root: &Path,
        user: Option<UserTarget>,
        state_dir: &str,
        state_who: Who,
        stamp: &str,
        owners: Owners,
    ) -> Result<Applier, ApplyError> {
        let root_fd = open_root(root)?;
        let live = root == Path::new("/");
        let switch = match &user {
            Some(u) if nix::unistd::geteuid().is_root() && u.uid != 0 => Some((
                user_creds(u)?,
                Saved::now().map_err(|e| io_err("credentials", e))?,
            )),
            _ => None,
        };
        let mut a = Applier {
            root: root_fd,
            live,
            user: user.clone(),
            switch,
            run_dir: String::new(),
            state_who,
            journal: Journal {
                schema: 1,
                started: stamp.to_owned(),
                user: user.map(|u| u.name),
                entries: Vec::new(),
            },
            backups: 0,
            owners,
        };
        // The run's directory: the stamp, or the stamp and a number when a run of the same second exists.
        let base = format!("{}/runs", state_dir.trim_end_matches('/'));
        a.make_dirs(&base, state_who, 0o700)?;
        for n in 0..1000 {
            let name = if n == 0 {
                stamp.to_owned()
            } else {
                format!("{stamp}-{n}")
            };
            let dir = format!("{base}/{name}");
            let (parent, last) = a.parent(&dir, state_who, false)?;
            let made = a.as_who(state_who, || {
                nix::sys::stat::mkdirat(&parent, last.as_os_str(), Mode::from_bits_truncate(0o700))
            });
            match made {
                Ok(()) => {
                    a.run_dir = dir;
                    a.make_dirs(&format!("{}/files", a.run_dir), state_who, 0o700)?;
                    // The state directory is the doctor's own, not a change to undo.
                    a.journal.entries.clear();
                    a.save_journal()?;
                    return Ok(a);
                }
                Err(Errno::EEXIST) => continue,
                Err(e) => return Err(io_err(&dir, e)),
            }
        }
        Err(err(format!("{base}: no free run directory")))
    }

    pub fn run_dir(&self) -> &str {
        &self.run_dir
    }

    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    /// Runs `op` with the credentials of `who`: the user's when root acts for another user.
    fn as_who<T, E>(&self, who: Who, op: impl FnOnce() -> Result<T, E>) -> Result<T, E>
    where
        E: From<Errno>,
    {
        match (who, &self.switch) {
            (Who::User, Some((c, s))) => {
                let mut inner = None;
                let outer = creds::with_creds(c, s, || {
                    inner = Some(op());
                    Ok(())
                });
                match (outer, inner) {
                    (_, Some(r)) => r,
                    (Err(e), None) => Err(E::from(
                        e.raw_os_error().map_or(Errno::EPERM, Errno::from_raw),
                    )),
                    (Ok(()), None) => Err(E::from(Errno::EPERM)),
                }
            }
            _ => op(),
        }
    }

    /// Whether a directory on the way may hold a file of `who`'s.
    fn dir_allowed(&self, who: Who, st: &FileStat, shown: &str) -> Result<(), ApplyError> {
        let owner_ok = st.st_uid == 0
            || (who == Who::User && self.user.as_ref().is_some_and(|u| u.uid == st.st_uid))
            || (who == Who::User
                && self.user.is_none()
                && st.st_uid == nix::unistd::geteuid().as_raw());
        if !owner_ok {
            let whose = match who {
                Who::Root => "root".to_owned(),
                Who::User => format!(
                    "root or {}",
                    self.user.as_ref().map_or("the user", |u| u.name.as_str())
                ),
            };
            return Err(err(foreign_dir(shown, st.st_uid, &whose)));
        }
        // A directory others may write to lets them swap what lies below. The sticky bit keeps them from
        // renaming what they do not own, which is enough for the user's own steps (taken with the user's
        // credentials), never for root's: in /tmp anyone may plant the name root is about to change.
        let sticky = st.st_mode & 0o1000 != 0;
        let writable = st.st_mode & 0o022 != 0;
        if writable && (who == Who::Root || (!sticky && st.st_uid == 0)) {
            return Err(err(format!(
                "{shown}: refused: the directory is writable by group or others ({:04o})",
                st.st_mode & 0o7777
            )));
        }
        Ok(())
    }

    /// The directory that holds `path` (opened, its whole way checked) and the last component.
    /// Missing directories are created (0755, `who`'s) when `create`, and journaled.
    fn parent(
        &mut self,
        path: &str,
        who: Who,
        create: bool,
    ) -> Result<(OwnedFd, OsString), ApplyError> {
        let comps = components(path)?;
        let Some((last, dirs)) = comps.split_last() else {
            return Err(err(format!("{path}: no file name")));
        };
        let mut cur = self.dup_root()?;
        let st = nix::sys::stat::fstat(&cur).map_err(|e| io_err("/", e))?;
        self.dir_allowed(who, &st, "/")?;
        let mut shown = String::new();
        for d in dirs {
            shown.push('/');
            shown.push_str(&d.to_string_lossy());
            cur = self.step_into(cur, d, &shown, who, create, 0o755)?;
        }
        Ok((cur, last.to_os_string()))
    }

    fn dup_root(&self) -> Result<OwnedFd, ApplyError> {
        self.root
            .as_fd()
            .try_clone_to_owned()
            .map_err(|e| io_err("the root", e))
    }

    /// Opens `name` below `cur` as a directory, never through a link; creates it when asked.
    fn step_into(
        &mut self,
        cur: OwnedFd,
        name: &OsStr,
        shown: &str,
        who: Who,
        create: bool,
        mode: u32,
    ) -> Result<OwnedFd, ApplyError> {
        let open = |a: &Applier, cur: &OwnedFd| a.as_who(who, || open_dir_at(cur, name));
        let fd = match open(self, &cur) {
            Ok(fd) => fd,
            Err(Errno::ENOENT) if create => {
                // The intent first: a kill right after the mkdir still leaves the directory in the journal.
                self.record(Entry::Dir {
                    path: shown.to_owned(),
                    user: who == Who::User,
                })?;
                if let Err(e) = self.as_who(who, || {
                    nix::sys::stat::mkdirat(&cur, name, Mode::from_bits_truncate(mode))
                }) {
                    // Not made: its entry goes, or an undo would remove a directory of someone else's making.
                    self.journal.entries.pop();
                    if !self.run_dir.is_empty() {
                        self.save_journal()?;
                    }
                    return Err(io_err(shown, e));
                }
                let fd = open(self, &cur).map_err(|e| io_err(shown, e))?;
                if who == Who::Root {
                    // mkdir honours the umask: the mode asked for is the mode made.
                    nix::sys::stat::fchmod(&fd, Mode::from_bits_truncate(mode))
                        .map_err(|e| io_err(shown, e))?;
                }
                File::from(cur.try_clone().map_err(|e| io_err(shown, e))?)
                    .sync_all()
                    .map_err(|e| io_err(shown, e))?;
                fd
            }
            Err(Errno::ENOENT) => return Err(err(format!("{shown}{NO_DIR}"))),
            Err(Errno::ELOOP) => {
                return Err(err(format!("{shown}: refused: a symbolic link")));
            }
            Err(Errno::ENOTDIR) => {
                let st =
                    nix::sys::stat::fstatat(&cur, name, nix::fcntl::AtFlags::AT_SYMLINK_NOFOLLOW);
                let what = st.map_or("not a directory", |s| file_type(&s));
                return Err(err(format!("{shown}: refused: {what}, not a directory")));
            }
            Err(e) => return Err(io_err(shown, e)),
        };
        let st = nix::sys::stat::fstat(&fd).map_err(|e| io_err(shown, e))?;
        self.dir_allowed(who, &st, shown)?;
        Ok(fd)
    }

    /// `mkdir -p`, each directory checked on the way: the last directory, and whether this call made it.
    fn make_dirs(
        &mut self,
        path: &str,
        who: Who,
        mode: u32,
    ) -> Result<(OwnedFd, bool), ApplyError> {
        let comps = components(path)?;
        let mut cur = self.dup_root()?;
        let mut shown = String::new();
        let n = comps.len();
        let mut made_last = false;
        for (i, d) in comps.into_iter().enumerate() {
            shown.push('/');
            shown.push_str(&d.to_string_lossy());
            let last = i + 1 == n;
            let m = if last { mode } else { 0o755 };
            let before = self.journal.entries.len();
            cur = self.step_into(cur, d, &shown, who, true, m)?;
            made_last = last && self.journal.entries.len() > before;
        }
        Ok((cur, made_last))
    }

    /// The file at `name` in `dir`: absent, or a regular file's content and metadata; anything else refused.
    fn existing(
        &self,
        dir: &OwnedFd,
        name: &OsStr,
        shown: &str,
        who: Who,
    ) -> Result<Option<Existing>, ApplyError> {
        let fd = match self.open_checked(dir, name, shown, who, false) {
            Ok(fd) => fd,
            Err(None) => return Ok(None),
            Err(Some(e)) => return Err(e),
        };
        let st2 = nix::sys::stat::fstat(&fd).map_err(|e| io_err(shown, e))?;
        let content = read_capped(fd, &st2, shown)?;
        Ok(Some(Existing {
            content,
            mode: st2.st_mode & 0o7777,
            uid: st2.st_uid,
            gid: st2.st_gid,
        }))
    }

    /// Replaces (or creates) `name` in `dir` atomically: temporary file, fsync, rename, fsync of the directory.
    /// `keep` carries the old file's mode and owner; a new file gets `mode`.
    fn replace(
        &self,
        dir: &OwnedFd,
        name: &OsStr,
        shown: &str,
        who: Who,
        content: &[u8],
        meta: (u32, Option<(u32, u32, u32)>),
    ) -> Result<(), ApplyError> {
        let (mode, keep) = meta;
        let tmp = tmp_name(name);
        self.as_who(who, || -> Result<(), ApplyError> {
            // A temporary file a killed run left behind is ours by name; a link or directory there is not.
            match nix::sys::stat::fstatat(
                dir,
                tmp.as_os_str(),
                nix::fcntl::AtFlags::AT_SYMLINK_NOFOLLOW,
            ) {
                Ok(st) if is(&st, SFlag::S_IFREG) => {
                    nix::unistd::unlinkat(dir, tmp.as_os_str(), UnlinkatFlags::NoRemoveDir)
                        .map_err(|e| io_err(shown, e))?;
                }
                Ok(st) => {
                    return Err(err(format!(
                        "{shown}: refused: {}{TMP_SUFFIX} is {}",
                        tmp.to_string_lossy(),
                        file_type(&st)
                    )));
                }
                Err(Errno::ENOENT) => {}
                Err(e) => return Err(io_err(shown, e)),
            }
            let fd = nix::fcntl::openat(
                dir,
                tmp.as_os_str(),
                OFlag::O_WRONLY
                    | OFlag::O_CREAT
                    | OFlag::O_EXCL
                    | OFlag::O_NOFOLLOW
                    | OFlag::O_CLOEXEC,
                Mode::from_bits_truncate(0o600),
            )
            .map_err(|e| io_err(shown, e))?;
            let (m, owner) = match keep {
                Some((m, u, g)) => (m, Some((u, g))),
                None => (mode, None),
            };
            let mut f = File::from(fd);
            let written = (|| -> io::Result<()> {
                f.write_all(content)?;
                if let Some((u, g)) = owner
                    && who == Who::Root
                {
                    nix::unistd::fchown(&f, Some(Uid::from_raw(u)), Some(Gid::from_raw(g)))?;
                }
                nix::sys::stat::fchmod(&f, Mode::from_bits_truncate(m))?;
                f.sync_all()
            })();
            if let Err(e) = written {
                let _ = nix::unistd::unlinkat(dir, tmp.as_os_str(), UnlinkatFlags::NoRemoveDir);
                return Err(io_err(shown, e));
            }
            drop(f);
            nix::fcntl::renameat(dir, tmp.as_os_str(), dir, name).map_err(|e| io_err(shown, e))?;
            File::from(dir.try_clone().map_err(|e| io_err(shown, e))?)
                .sync_all()
                .map_err(|e| io_err(shown, e))
        })
    }

    /// Stores old content in the run's backup store; returns its name there.
    fn backup(&mut self, content: &[u8]) -> Result<String, ApplyError> {
        self.backups += 1;
        let name = format!("{}", self.backups);
        let path = format!("{}/files/{name}", self.run_dir);
        let who = self.state_who;
        let (dir, last) = self.parent(&path, who, false)?;
        self.replace(&dir, &last, &path, who, content, (0o600, None))?;
        Ok(name)
    }

    /// Appends the entry to the journal and saves it, before the change it describes is made.
    fn record(&mut self, e: Entry) -> Result<(), ApplyError> {
        self.journal.entries.push(e);
        if self.run_dir.is_empty() {
            return Ok(());
        }
        self.save_journal()
    }

    fn save_journal(&mut self) -> Result<(), ApplyError> {
        let text = serde_json::to_vec_pretty(&self.journal).map_err(|e| err(e.to_string()))?;
        let path = format!("{}/journal.json", self.run_dir);
        let who = self.state_who;
        let (dir, last) = self.parent(&path, who, false)?;
        self.replace(&dir, &last, &path, who, &text, (0o600, None))
    }

    /// Writes a whole file: already there, created, or replaced with a backup of the old one.
    fn write(
        &mut self,
        path: &str,
        who: Who,
        content: &[u8],
        mode: u32,
    ) -> Result<StepResult, ApplyError> {
        self.write_over(path, who, content, mode, None)
    }

    /// [`Applier::write`], for an edit of `base` (the content the edit was made from, `None` for no file): a file
    /// that no longer holds it changed between the edit's read and this one, and is not overwritten.
    fn write_over(
        &mut self,
        path: &str,
        who: Who,
        content: &[u8],
        mode: u32,
        base: Option<Option<&[u8]>>,
    ) -> Result<StepResult, ApplyError> {
        let (dir, name) = self.parent(path, who, true)?;
        let old = self.existing(&dir, &name, path, who)?;
        if let Some(base) = base
            && old.as_ref().map(|o| o.content.as_slice()) != base
        {
            return Err(err(format!(
                "{path}: changed while it was being edited: not edited (run fix again)"
            )));
        }
        if old.as_ref().is_some_and(|o| o.content == content) {
            return Ok(StepResult::Already(format!("{path} already holds this")));
        }
        let backup = match &old {
            Some(o) => Some(self.backup(&o.content)?),
            None => None,
        };
        self.record(Entry::File {
            path: path.to_owned(),
            user: who == Who::User,
            backup,
            mode: old.as_ref().map(|o| o.mode),
            uid: old.as_ref().map(|o| o.uid),
            gid: old.as_ref().map(|o| o.gid),
            after_sha256: sha256_hex(content),
        })?;
        let keep = old.as_ref().map(|o| (o.mode, o.uid, o.gid));
        self.replace(&dir, &name, path, who, content, (mode, keep))?;
        Ok(StepResult::Done(match old {
            Some(_) => format!("{path} replaced (the old one is kept)"),
            None => format!("{path} written"),
        }))
    }

    /// Carries out one step.
    pub fn apply(&mut self, step: &Step) -> Result<StepResult, ApplyError> {
        let who = if step.root { Who::Root } else { Who::User };
        match &step.action {
            Action::WriteFile {
                path,
                content,
                mode,
            } => self.write(path, who, content.as_bytes(), *mode),
            Action::EditJson {
                path, set, remove, ..
            } => self.edit_json(path, who, set, remove),
            Action::AppendLine { path, line } => {
                let (dir, name) = self.parent(path, who, true)?;
                let old = self.existing(&dir, &name, path, who)?;
                let mut content = old.map(|o| o.content).unwrap_or_default();
                if content.split(|&b| b == b'\n').any(|l| l == line.as_bytes()) {
                    return Ok(StepResult::Already(format!("{path} already has `{line}`")));
                }
                if !content.is_empty() && !content.ends_with(b"\n") {
                    content.push(b'\n');
                }
                content.extend_from_slice(line.as_bytes());
                content.push(b'\n');
                self.write(path, who, &content, 0o644)
            }
            Action::MakeDir { path, mode, owner } => {
                let ids = owner
                    .as_ref()
                    .map(|o| {
                        (self.owners)(o)
                            .ok_or_else(|| err(format!("{path}: owner {o}: no such user or group")))
                    })
                    .transpose()?;
                let Some((uid, gid)) = ids else {
                    let (_, made) = self.make_dirs(path, who, *mode)?;
                    return Ok(if made {
                        StepResult::Done(format!("{path} created"))
                    } else {
                        StepResult::Already(format!("{path} exists"))
                    });
                };
                // A directory that is there keeps its owner (whoever it is): the step makes one, it never
                // takes one, and it does not open what it will not change.
                let (dir, name) = self.parent(path, who, true)?;
                match nix::sys::stat::fstatat(
                    &dir,
                    name.as_os_str(),
                    nix::fcntl::AtFlags::AT_SYMLINK_NOFOLLOW,
                ) {
                    Ok(st) if is(&st, SFlag::S_IFDIR) => {
                        return Ok(StepResult::Already(format!("{path} exists")));
                    }
                    Ok(st) => {
                        return Err(err(format!(
                            "{path}: refused: {}, not a directory",
                            file_type(&st)
                        )));
                    }
                    Err(Errno::ENOENT) => {}
                    Err(e) => return Err(io_err(path, e)),
                }
                let fd = self.step_into(dir, &name, path, who, true, *mode)?;
                let st = nix::sys::stat::fstat(&fd).map_err(|e| io_err(path, e))?;
                self.record(Entry::Owner {
                    path: path.clone(),
                    before: (st.st_uid, st.st_gid),
                    after: (uid, gid),
                    user_side: false,
                    ino: Some(st.st_ino),
                })?;
                self.as_who(who, || {
                    nix::unistd::fchown(&fd, Some(Uid::from_raw(uid)), Some(Gid::from_raw(gid)))
                })
                .map_err(|e| io_err(path, e))?;
                Ok(StepResult::Done(format!(
                    "{path} created ({mode:04o}, owner {uid}:{gid})"
                )))
            }
            Action::SetMode { path, mode } => self.set_mode(path, who, *mode),
            Action::SetOwner { path, owner } => self.set_owner(path, owner),
            Action::Remove { path } => self.remove(path, who),
            Action::RemoveTree { path } => self.remove_tree(path, who),
            Action::Rename { from, to } => self.rename(from, to, who),
            Action::SetSysctl { key, value } => self.sysctl(key, value),
            Action::LoadModule { name } => {
                if !self.live {
                    return Ok(self.not_here(step));
                }
                if self.module_loaded(name) {
                    return Ok(StepResult::Already(format!("module {name} is loaded")));
                }
                self.record(Entry::Program {
                    argv: step.argv.clone(),
                    user: false,
                    undo: Some(vec!["modprobe".into(), "-r".into(), name.clone()]),
                })?;
                self.program(&step.argv, Who::Root, None)
            }
            Action::EnableLinger { user } => {
                if !self.live {
                    return Ok(self.not_here(step));
                }
                if self.lingers(user) {
                    return Ok(StepResult::Already(format!("{user} already lingers")));
                }
                self.record(Entry::Program {
                    argv: step.argv.clone(),
                    user: false,
                    undo: Some(vec![
                        "loginctl".into(),
                        "disable-linger".into(),
                        user.clone(),
                    ]),
                })?;
                self.program(&step.argv, Who::Root, None)
            }
            Action::Install { packages } => {
                if !self.live {
                    return Ok(self.not_here(step));
                }
                self.record(Entry::Kept {
                    what: format!(
                        "installed {} (packages stay installed: remove them with the package manager if you want)",
                        packages.join(" ")
                    ),
                })?;
                self.program(&step.argv, Who::Root, None)
            }
            Action::Run { argv, stdin, undo } => {
                if !self.live {
                    return Ok(self.not_here(step));
                }
                self.record(Entry::Program {
                    argv: argv.clone(),
                    user: who == Who::User,
                    undo: undo.clone(),
                })?;
                self.program(argv, who, stdin.as_deref())
            }
        }
    }

    /// Sets and removes top-level keys of a JSON object file (`parse::json_edit`), the rest kept, and writes it
    /// through `write` (backup, journal, atomic replace). A missing file (or directory) is `{}`; a file that is
    /// not a JSON object is refused at its line and column.
    fn edit_json(
        &mut self,
        path: &str,
        who: Who,
        set: &serde_json::Map<String, serde_json::Value>,
        remove: &[String],
    ) -> Result<StepResult, ApplyError> {
        let old = match self.parent(path, who, false) {
            Ok((dir, name)) => self.existing(&dir, &name, path, who)?,
            Err(e) if e.0.ends_with(NO_DIR) => None,
            Err(e) => return Err(e),
        };
        let base = old.map(|o| o.content);
        let text = base.clone().unwrap_or_default();
        match crate::parse::json_edit::edit(&text, set, remove) {
            Err(e) => Err(err(format!("{path}:{e}: not edited"))),
            Ok(None) => Ok(StepResult::Already(format!(
                "{path} already has these settings"
            ))),
            Ok(Some(new)) => {
                self.write_over(path, who, new.as_bytes(), 0o644, Some(base.as_deref()))
            }
        }
    }

    fn not_here(&self, step: &Step) -> StepResult {
        StepResult::NotHere(format!(
            "`{}` not run: it would change this machine, not the tree below --root",
            step.render()
        ))
    }

    fn module_loaded(&self, name: &str) -> bool {
        let path = format!("/sys/module/{}", name.replace('-', "_"));
        std::fs::symlink_metadata(path).is_ok()
    }

    fn lingers(&self, user: &str) -> bool {
        !user.contains('/')
            && std::fs::symlink_metadata(format!("/var/lib/systemd/linger/{user}")).is_ok()
    }

    fn set_mode(&mut self, path: &str, who: Who, mode: u32) -> Result<StepResult, ApplyError> {
        let (dir, name, users) = match who {
            Who::Root => self.parent_for_change(path)?,
            Who::User => {
                let (d, n) = self.parent(path, who, false)?;
                (d, n, false)
            }
        };
        // Below the user's own directories root changes nothing itself: the mode is set as the user, on a file
        // of the user's (after a give-back, it is theirs), and the kernel judges it as the user's own chmod.
        let acting = if users { Who::User } else { who };
        let (fd, st) = self.open_target(&dir, &name, path, acting)?;
        let before = st.st_mode & 0o7777;
        if before == mode {
            return Ok(StepResult::Already(format!("{path} is {mode:04o}")));
        }
        if users && self.user.as_ref().is_none_or(|u| u.uid != st.st_uid) {
            return Err(err(format!(
                "{path}: refused: it belongs to uid {}, and below {}'s own directories only their own files change",
                st.st_uid,
                self.user.as_ref().map_or("the user", |u| u.name.as_str())
            )));
        }
        if acting == Who::Root {
            linked_once(&st, path)?;
            let new_set_id = mode & 0o6000 & !before;
            if new_set_id != 0 && st.st_uid != 0 {
                return Err(err(format!(
                    "{path}: refused: it belongs to uid {}, and root sets the set-user-ID or set-group-ID bit only on \
root's own files",
                    st.st_uid
                )));
            }
        }
        self.record(Entry::Mode {
            path: path.to_owned(),
            user: acting == Who::User,
            before,
            after: mode,
        })?;
        self.as_who(acting, || chmod_fd(&fd, mode))
            .map_err(|e| io_err(path, e))?;
        Ok(StepResult::Done(format!(
            "{path}: {before:04o} → {mode:04o}"
        )))
    }

    /// For root's change of a mode or owner in place: the directory that holds `path`, walked under root's rules,
    /// or, where the way passes through a directory of the user's (their home), walked as the user, with `true`:
    /// a path the user controls never leads root's change elsewhere, and there root only gives the user back
    /// what is theirs.
    fn parent_for_change(&mut self, path: &str) -> Result<(OwnedFd, OsString, bool), ApplyError> {
        match self.parent(path, Who::Root, false) {
            Ok((d, n)) => Ok((d, n, false)),
            Err(e) => {
                let uid = match &self.user {
                    Some(u) if u.uid != 0 && self.switch.is_some() => u.uid,
                    _ => return Err(e),
                };
                if !e.0.ends_with(&foreign_dir("", uid, "root")) {
                    return Err(e);
                }
                let (d, n) = self.parent(path, Who::User, false)?;
                Ok((d, n, true))
            }
        }
    }

    /// A file or directory to change in place (`O_PATH`, never through a link: no read permission needed, nothing
    /// opened that could block), with what it is.
    fn open_target(
        &self,
        dir: &OwnedFd,
        name: &OsStr,
        shown: &str,
        who: Who,
    ) -> Result<(OwnedFd, FileStat), ApplyError> {
        let fd = self
            .as_who(who, || {
                nix::fcntl::openat(
                    dir,
                    name,
                    OFlag::O_PATH | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
                    Mode::empty(),
                )
            })
            .map_err(|e| match e {
                Errno::ENOENT => err(format!("{shown}: no such file or directory")),
                e => io_err(shown, e),
            })?;
        let st = nix::sys::stat::fstat(&fd).map_err(|e| io_err(shown, e))?;
        if !is(&st, SFlag::S_IFREG) && !is(&st, SFlag::S_IFDIR) {
            return Err(err(format!(
                "{shown}: refused: {}, not a regular file or directory",
                file_type(&st)
            )));
        }
        Ok((fd, st))
    }

    /// Opens `name` in `dir` read-only, never through a link, never blocking: a regular file (or, with `dirs`, a
    /// directory), the same inode that was looked at. `Err(None)` when there is nothing there.
    fn open_checked(
        &self,
        dir: &OwnedFd,
        name: &OsStr,
        shown: &str,
        who: Who,
        dirs: bool,
    ) -> Result<OwnedFd, Option<ApplyError>> {
        let st = match self.as_who(who, || {
            nix::sys::stat::fstatat(dir, name, nix::fcntl::AtFlags::AT_SYMLINK_NOFOLLOW)
        }) {
            Ok(st) => st,
            Err(Errno::ENOENT) => return Err(None),
            Err(e) => return Err(Some(io_err(shown, e))),
        };
        let wanted_kind = is(&st, SFlag::S_IFREG) || (dirs && is(&st, SFlag::S_IFDIR));
        if !wanted_kind {
            let wanted = if dirs {
                "not a regular file or directory"
            } else {
                "not a regular file"
            };
            return Err(Some(err(format!(
                "{shown}: refused: {}, {wanted}",
                file_type(&st)
            ))));
        }
        let fd = self
            .as_who(who, || {
                nix::fcntl::openat(
                    dir,
                    name,
                    OFlag::O_RDONLY | OFlag::O_NOFOLLOW | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC,
                    Mode::empty(),
                )
            })
            .map_err(|e| Some(io_err(shown, e)))?;
        let st2 = nix::sys::stat::fstat(&fd).map_err(|e| Some(io_err(shown, e)))?;
        if st2.st_ino != st.st_ino || st2.st_dev != st.st_dev {
            return Err(Some(err(format!(
                "{shown}: changed while it was opened: refused"
            ))));
        }
        Ok(fd)
    }

    fn set_owner(&mut self, path: &str, owner: &str) -> Result<StepResult, ApplyError> {
        let Some((uid, gid)) = (self.owners)(owner) else {
            return Err(err(format!("{path}: owner {owner}: no such user or group")));
        };
        let (dir, name, users) = self.parent_for_change(path)?;
        let acting = if users { Who::User } else { Who::Root };
        let (fd, st) = self.open_target(&dir, &name, path, acting)?;
        if (st.st_uid, st.st_gid) == (uid, gid) {
            return Ok(StepResult::Already(format!("{path} belongs to {owner}")));
        }
        if let Some(u) = self.user.as_ref().filter(|_| users)
            && (uid, gid) != (u.uid, u.gid)
        {
            return Err(err(format!(
                "{path}: refused: below {}'s own directories root gives files only to {} ({}:{}), not to {owner}",
                u.name, u.name, u.uid, u.gid
            )));
        }
        linked_once(&st, path)?;
        self.record(Entry::Owner {
            path: path.to_owned(),
            before: (st.st_uid, st.st_gid),
            after: (uid, gid),
            user_side: users,
            ino: Some(st.st_ino),
        })?;
        // The kernel clears the set-user-ID and set-group-ID bits of a file that changes hands; they stay clear.
        chown_fd(&fd, uid, gid).map_err(|e| io_err(path, e))?;
        Ok(StepResult::Done(format!(
            "{path}: owner {}:{} → {uid}:{gid}",
            st.st_uid, st.st_gid
        )))
    }

    fn remove(&mut self, path: &str, who: Who) -> Result<StepResult, ApplyError> {
        let (dir, name) = match self.parent(path, who, false) {
            Ok(p) => p,
            // A missing directory means a missing file.
            Err(e) if e.0.ends_with(NO_DIR) => {
                return Ok(StepResult::Already(format!("{path} is gone")));
            }
            Err(e) => return Err(e),
        };
        let st = match self.as_who(who, || {
            nix::sys::stat::fstatat(
                &dir,
                name.as_os_str(),
                nix::fcntl::AtFlags::AT_SYMLINK_NOFOLLOW,
            )
        }) {
            Ok(st) => st,
            Err(Errno::ENOENT) => return Ok(StepResult::Already(format!("{path} is gone"))),
            Err(e) => return Err(io_err(path, e)),
        };
        let backup = if is(&st, SFlag::S_IFREG) {
            let old = self.existing(&dir, &name, path, who)?;
            match old {
                Some(o) => Some(self.backup(&o.content)?),
                None => return Ok(StepResult::Already(format!("{path} is gone"))),
            }
        } else if is(&st, SFlag::S_IFDIR) {
            return Err(err(format!(
                "{path}: refused: a directory, not a file to remove"
            )));
        } else {
            // A link is removed itself (unlinkat never follows it), and comes back on undo; a socket, fifo or
            // device node has nothing to back up.
            None
        };
        let link = if is(&st, SFlag::S_IFLNK) {
            let target = self
                .as_who(who, || nix::fcntl::readlinkat(&dir, name.as_os_str()))
                .map_err(|e| io_err(path, e))?;
            Some(target.into_string().map_err(|_| {
                err(format!(
                    "{path}: refused: a link whose target is not UTF-8, which the journal could not put back"
                ))
            })?)
        } else {
            None
        };
        self.record(Entry::Removed {
            path: path.to_owned(),
            user: who == Who::User,
            backup,
            mode: st.st_mode & 0o7777,
            uid: st.st_uid,
            gid: st.st_gid,
            link,
            what: file_type(&st).to_owned(),
        })?;
        self.as_who(who, || {
            nix::unistd::unlinkat(&dir, name.as_os_str(), UnlinkatFlags::NoRemoveDir)
        })
        .map_err(|e| io_err(path, e))?;
        File::from(dir.try_clone().map_err(|e| io_err(path, e))?)
            .sync_all()
            .map_err(|e| io_err(path, e))?;
        Ok(StepResult::Done(format!("{path} removed")))
    }

    fn remove_tree(&mut self, path: &str, who: Who) -> Result<StepResult, ApplyError> {
        let (dir, name) = self.parent(path, who, false)?;
        match self.as_who(who, || {
            nix::sys::stat::fstatat(
                &dir,
                name.as_os_str(),
                nix::fcntl::AtFlags::AT_SYMLINK_NOFOLLOW,
            )
        }) {
            Ok(st) if is(&st, SFlag::S_IFDIR) => {}
            Ok(st) => {
                return Err(err(format!(
                    "{path}: refused: {}, not a directory",
                    file_type(&st)
                )));
            }
            Err(Errno::ENOENT) => return Ok(StepResult::Already(format!("{path} is gone"))),
            Err(e) => return Err(io_err(path, e)),
        }
        self.record(Entry::Kept {
            what: format!("removed the directory {path} (not backed up)"),
        })?;
        self.as_who(who, || remove_below(&dir, &name, path, 0))?;
        Ok(StepResult::Done(format!(
            "{path} removed, with what it held"
        )))
    }

    fn rename(&mut self, from: &str, to: &str, who: Who) -> Result<StepResult, ApplyError> {
        let (fdir, fname) = self.parent(from, who, false)?;
        let (tdir, tname) = self.parent(to, who, false)?;
        let exists = |d: &OwnedFd, n: &OsStr| {
            self.as_who(who, || {
                nix::sys::stat::fstatat(d, n, nix::fcntl::AtFlags::AT_SYMLINK_NOFOLLOW)
            })
        };
        match (exists(&fdir, &fname), exists(&tdir, &tname)) {
            (Err(Errno::ENOENT), Ok(_)) => {
                return Ok(StepResult::Already(format!("{from} is already {to}")));
            }
            (Ok(st), _) if is(&st, SFlag::S_IFLNK) => {
                return Err(err(format!("{from}: refused: a symbolic link")));
            }
            (Ok(_), Err(Errno::ENOENT)) => {}
            (Ok(_), Ok(_)) => return Err(err(format!("{to} exists: {from} not moved"))),
            (Err(e), _) => return Err(io_err(from, e)),
            (_, Err(e)) => return Err(io_err(to, e)),
        }
        self.record(Entry::Renamed {
            from: from.to_owned(),
            to: to.to_owned(),
            user: who == Who::User,
        })?;
        self.as_who(who, || {
            nix::fcntl::renameat2(
                &fdir,
                fname.as_os_str(),
                &tdir,
                tname.as_os_str(),
                RenameFlags::RENAME_NOREPLACE,
            )
        })
        .map_err(|e| io_err(&format!("{from} → {to}"), e))?;
        Ok(StepResult::Done(format!("{from} → {to}")))
    }

    fn sysctl(&mut self, key: &str, value: &str) -> Result<StepResult, ApplyError> {
        let valid = !key.is_empty()
            && key.split('.').all(|p| {
                !p.is_empty()
                    && p.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"_-".contains(&b))
            });
        if !valid {
            return Err(err(format!("sysctl {key}: not a kernel parameter name")));
        }
        if !self.live {
            return Ok(StepResult::NotHere(format!(
                "{key} not set now: a tree below --root has no running kernel (its sysctl.d file sets it at boot)"
            )));
        }
        let path = format!("/proc/sys/{}", key.replace('.', "/"));
        let before = std::fs::read_to_string(&path).map_err(|e| io_err(&path, e))?;
        // /proc/sys separates a vector's values with tabs; `sysctl -w` and sysctl.d take spaces.
        let before = before.split_whitespace().collect::<Vec<_>>().join(" ");
        if before.split_whitespace().eq(value.split_whitespace()) {
            return Ok(StepResult::Already(format!("{key} is {value}")));
        }
        self.record(Entry::Sysctl {
            key: key.to_owned(),
            before: before.clone(),
        })?;
        write_proc(&path, value)?;
        Ok(StepResult::Done(format!("{key}: {before} → {value}")))
    }

    /// Runs a program, as root or (root acting for a user) as the user through setpriv.
    fn program(
        &self,
        argv: &[String],
        who: Who,
        stdin: Option<&str>,
    ) -> Result<StepResult, ApplyError> {
        run_program(
            argv,
            if who == Who::User {
                self.user.as_ref()
            } else {
                None
            },
            stdin,
        )?;
        Ok(StepResult::Done(format!("ran `{}`", argv.join(" "))))
    }
}

impl Applier {
    /// Opens (creating, 0600) a log file of `who`'s for appending, on the same checked walk as every write.
    pub fn open_log(&mut self, path: &str, who: Who) -> Result<File, ApplyError> {
        let (dir, name) = self.parent(path, who, false)?;
        let fd = self
            .as_who(who, || {
                nix::fcntl::openat(
                    &dir,
                    name.as_os_str(),
                    OFlag::O_WRONLY
                        | OFlag::O_CREAT
                        | OFlag::O_APPEND
                        | OFlag::O_NOFOLLOW
                        | OFlag::O_NONBLOCK
                        | OFlag::O_CLOEXEC,
                    Mode::from_bits_truncate(0o600),
                )
            })
            .map_err(|e| io_err(path, e))?;
        let st = nix::sys::stat::fstat(&fd).map_err(|e| io_err(path, e))?;
        if !is(&st, SFlag::S_IFREG) {
            return Err(err(format!(
                "{path}: refused: {}, not a regular file",
                file_type(&st)
            )));
        }
        Ok(File::from(fd))
    }
}

/// The user's credentials with their login groups, for `with_creds` and `setpriv`.
fn user_creds(u: &UserTarget) -> Result<Creds, ApplyError> {
    Ok(Creds {
        uid: u.uid,
        gid: u.gid,
        groups: creds::login_groups(&u.name, u.gid)
            .map_err(|e| io_err(&format!("the groups of {}", u.name), e))?,
    })
}

/// Starts `argv` as the user in a session of its own (`setpriv` with the user's login groups and no capabilities,
/// then `setsid`, both of which exec, so the pid returned is the program's and its session's), with exactly `env`,
/// stdin from /dev/null and its output appended to `log`. It keeps running after rootless-doctor exits.
pub fn start_detached(
    argv: &[String],
    user: &UserTarget,
    env: &[(String, String)],
    log: File,
) -> Result<u32, ApplyError> {
    let shown = argv.join(" ");
    let mut c = Command::new("setpriv");
    c.args(creds::setpriv_args(&user_creds(user)?))
        .arg("setsid")
        .args(argv)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .current_dir(&user.home)
        .stdin(Stdio::null())
        .stdout(log.try_clone().map_err(|e| io_err("the log", e))?)
        .stderr(log);
    let child = c.spawn().map_err(|e| io_err(&format!("`{shown}`"), e))?;
    Ok(child.id())
}

/// This program's path, for `fix --sudo` to run itself as root.
pub fn current_exe() -> Result<String, ApplyError> {
    std::env::current_exe()
        .map_err(|e| io_err("this program's path", e))?
        .into_os_string()
        .into_string()
        .map_err(|_| err("this program's path is not UTF-8"))
}

/// Runs `argv` on this terminal (sudo asks for a password there); a failure says how it ended.
pub fn run_interactive(argv: &[String]) -> Result<(), ApplyError> {
    let Some((program, args)) = argv.split_first() else {
        return Err(err("an empty command"));
    };
    let status = Command::new(program)
        .args(args)
        .status()
        .map_err(|e| io_err(&format!("`{}`", argv.join(" ")), e))?;
    if status.success() {
        Ok(())
    } else {
        Err(err(format!("`{}` failed ({status})", argv.join(" "))))
    }
}

/// Waits, between two looks at a starting daemon.
pub fn pause_ms(ms: u64) {
    std::thread::sleep(std::time::Duration::from_millis(ms));
}

/// Whether a process still runs (it may be a zombie of ours until rootless-doctor exits).
pub fn running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
        s.rsplit_once(") ")
            .is_some_and(|(_, rest)| !rest.starts_with('Z'))
    })
}

/// A regular file with more than one name could be a hard link to a file elsewhere: root changes none in place.
fn linked_once(st: &FileStat, shown: &str) -> Result<(), ApplyError> {
    if is(st, SFlag::S_IFREG) && st.st_nlink > 1 {
        return Err(err(format!(
            "{shown}: refused: the file has {} hard links, and a change in place would reach every one",
            st.st_nlink
        )));
    }
    Ok(())
}

/// `chmod` of the inode an `O_PATH` descriptor holds (through `/proc/self/fd`, which names exactly that inode;
/// `fchmod` refuses such descriptors).
fn chmod_fd(fd: &OwnedFd, mode: u32) -> Result<(), Errno> {
    use std::os::fd::AsRawFd;
    nix::sys::stat::fchmodat(
        nix::fcntl::AT_FDCWD,
        format!("/proc/self/fd/{}", fd.as_raw_fd()).as_str(),
        Mode::from_bits_truncate(mode),
        nix::sys::stat::FchmodatFlags::FollowSymlink,
    )
}

/// `chown` of the inode an `O_PATH` descriptor holds.
fn chown_fd(fd: &OwnedFd, uid: u32, gid: u32) -> Result<(), Errno> {
    nix::unistd::fchownat(
        fd,
        "",
        Some(Uid::from_raw(uid)),
        Some(Gid::from_raw(gid)),
        nix::fcntl::AtFlags::AT_EMPTY_PATH,
    )
}

fn write_proc(path: &str, value: &str) -> Result<(), ApplyError> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| io_err(path, e))?;
    f.write_all(format!("{value}\n").as_bytes())
        .map_err(|e| io_err(path, e))
}

/// Removes `name` below `dir` and all it holds, never following a link; at most 64 levels deep.
fn remove_below(dir: &OwnedFd, name: &OsStr, shown: &str, depth: usize) -> Result<(), ApplyError> {
    if depth > 64 {
        return Err(err(format!(
            "{shown}: more than 64 levels deep: not removed"
        )));
    }
    let fd = open_dir_at(dir, name).map_err(|e| io_err(shown, e))?;
    let keep = fd.try_clone().map_err(|e| io_err(shown, e))?;
    let mut d = nix::dir::Dir::from_fd(fd).map_err(|e| io_err(shown, e))?;
    let mut names = Vec::new();
    for entry in d.iter() {
        let entry = entry.map_err(|e| io_err(shown, e))?;
        let n = entry.file_name().to_bytes();
        if n != b"." && n != b".." {
            names.push(OsStr::from_bytes(n).to_os_string());
        }
    }
    for n in names {
        let child = format!("{shown}/{}", n.to_string_lossy());
        let st = nix::sys::stat::fstatat(
            &keep,
            n.as_os_str(),
            nix::fcntl::AtFlags::AT_SYMLINK_NOFOLLOW,
        )
        .map_err(|e| io_err(&child, e))?;
        if is(&st, SFlag::S_IFDIR) {
            remove_below(&keep, &n, &child, depth + 1)?;
        } else {
            nix::unistd::unlinkat(&keep, n.as_os_str(), UnlinkatFlags::NoRemoveDir)
                .map_err(|e| io_err(&child, e))?;
        }
    }
    nix::unistd::unlinkat(dir, name, UnlinkatFlags::RemoveDir).map_err(|e| io_err(shown, e))
}

/// Runs `argv` to completion, stdin given or empty; a failure quotes the end of its error output.
pub fn run_program(
    argv: &[String],
    as_user: Option<&UserTarget>,
    stdin: Option<&str>,
) -> Result<(), ApplyError> {
    let Some((program, args)) = argv.split_first() else {
        return Err(err("an empty command"));
    };
    let mut cmd = match as_user {
        Some(u) if nix::unistd::geteuid().is_root() && u.uid != 0 => {
            let mut c = Command::new("setpriv");
            c.args(creds::setpriv_args(&user_creds(u)?))
                .arg(program)
                .args(args);
            let runtime = format!("/run/user/{}", u.uid);
            c.env_clear()
                .env("HOME", &u.home)
                .env("USER", &u.name)
                .env("LOGNAME", &u.name)
                .env(
                    "PATH",
                    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                )
                .env("XDG_RUNTIME_DIR", &runtime)
                .env(
                    "DBUS_SESSION_BUS_ADDRESS",
                    format!("unix:path={runtime}/bus"),
                )
                .current_dir(&u.home);
            c
        }
        _ => {
            let mut c = Command::new(program);
            c.args(args).env("DEBIAN_FRONTEND", "noninteractive");
            c
        }
    };
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let shown = argv.join(" ");
    let mut child = cmd.spawn().map_err(|e| io_err(&format!("`{shown}`"), e))?;
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(text.as_bytes())
            .map_err(|e| io_err(&format!("`{shown}`"), e))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| io_err(&format!("`{shown}`"), e))?;
    if out.status.success() {
        return Ok(());
    }
    let text = String::from_utf8_lossy(&out.stderr);
    let tail: Vec<&str> = text.lines().rev().take(3).collect();
    let tail: Vec<&str> = tail.into_iter().rev().collect();
    Err(err(format!(
        "`{shown}` failed ({}){}{}",
        out.status,
        if tail.is_empty() { "" } else { ": " },
        tail.join(" / ")
    )))
}

/// The latest run for `user` below `state_dir` that was not undone, as a path relative to the root. Root's store
/// holds every user's runs: another user's run is never the one undone for this one. The store is read without
/// following a link and only through directories of root's or of this process's user.
pub fn latest_run(root: &Path, state_dir: &str, user: &str) -> Result<Option<String>, ApplyError> {
    let runs = format!("{}/runs", state_dir.trim_end_matches('/'));
    let me = nix::unistd::geteuid().as_raw();
    let mut cur = open_root(root)?;
    let mut shown = String::new();
    for c in components(&runs)? {
        shown.push('/');
        shown.push_str(&c.to_string_lossy());
        cur = match open_dir_at(&cur, c) {
            Ok(fd) => fd,
            Err(Errno::ENOENT) => return Ok(None),
            Err(Errno::ELOOP | Errno::ENOTDIR) => {
                return Err(err(format!(
                    "{shown}: refused: not a directory (a symbolic link?)"
                )));
            }
            Err(e) => return Err(io_err(&shown, e)),
        };
        let st = nix::sys::stat::fstat(&cur).map_err(|e| io_err(&shown, e))?;
        if st.st_uid != 0 && st.st_uid != me {
            return Err(err(foreign_dir(&shown, st.st_uid, "root or you")));
        }
    }
    let listing = cur.try_clone().map_err(|e| io_err(&runs, e))?;
    let mut names: Vec<String> = nix::dir::Dir::from_fd(listing)
        .map_err(|e| io_err(&runs, e))?
        .iter()
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str().ok().map(str::to_owned))
        .filter(|n| n != "." && n != "..")
        .filter(|n| {
            let Ok(run) = open_dir_at(&cur, OsStr::new(n)) else {
                return false;
            };
            // A run that changed nothing (everything was already applied) is not one to undo.
            let changed = read_small(&run, OsStr::new("journal.json"))
                .and_then(|t| serde_json::from_slice::<Journal>(&t).ok())
                .is_some_and(|j| {
                    !j.entries.is_empty() && j.user.as_deref().is_none_or(|u| u == user)
                });
            let undone =
                nix::sys::stat::fstatat(&run, "undone", nix::fcntl::AtFlags::AT_SYMLINK_NOFOLLOW)
                    .is_ok();
            changed && !undone
        })
        .collect();
    names.sort_by_key(|n| run_order(n));
    Ok(names.pop().map(|n| format!("{runs}/{n}")))
}

/// A directory below `dir`, never through a link.
fn open_dir_at(dir: &OwnedFd, name: &OsStr) -> Result<OwnedFd, Errno> {
    nix::fcntl::openat(
        dir,
        name,
        OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
}

/// A regular file below `dir` of at most `EDIT_MAX` bytes, never through a link, never blocking.
fn read_small(dir: &OwnedFd, name: &OsStr) -> Option<Vec<u8>> {
    let fd = nix::fcntl::openat(
        dir,
        name,
        OFlag::O_RDONLY | OFlag::O_NOFOLLOW | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .ok()?;
    let st = nix::sys::stat::fstat(&fd).ok()?;
    if !is(&st, SFlag::S_IFREG) {
        return None;
    }
    read_capped(fd, &st, "").ok()
}

/// The content of an open regular file (`st` its `fstat`), refused past `EDIT_MAX` bytes.
fn read_capped(fd: OwnedFd, st: &FileStat, shown: &str) -> Result<Vec<u8>, ApplyError> {
    if st.st_size as u64 > EDIT_MAX {
        return Err(err(format!(
            "{shown}: {} bytes, more than {EDIT_MAX}: not edited",
            st.st_size
        )));
    }
    let mut content = Vec::new();
    File::from(fd)
        .take(EDIT_MAX + 1)
        .read_to_end(&mut content)
        .map_err(|e| io_err(shown, e))?;
    Ok(content)
}

/// `20261130T120000Z-2` sorts after `20261130T120000Z-1` and `20261130T120000Z`.
fn run_order(name: &str) -> (String, u32) {
    match name.split_once('-') {
        Some((s, n)) => (s.to_owned(), n.parse().unwrap_or(0)),
        None => (name.to_owned(), 0),
    }
}

/// `YYYYMMDDTHHMMSSZ` for a Unix time, UTC (the civil calendar from days since 1970, as in Howard Hinnant's
/// `civil_from_days`).
pub fn stamp(unix: u64) -> String {
    let days = (unix / 86_400) as i64;
    let secs = unix % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        secs / 3600,
        (secs / 60) % 60,
        secs % 60
    )
}

/// Now, for a run's name.
pub fn now_stamp() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    stamp(secs)
}

/// Undoes the run in `run_dir` (relative to the root), its entries in reverse. Each line of the result says
/// what was put back, or why an entry was left as it is; an entry whose file changed since is left alone.
/// The journal and the backups are read on the same checked walk as every write.
pub fn undo(
    root: &Path,
    run_dir: &str,
    user: Option<UserTarget>,
    state_who: Who,
) -> Result<Undone, ApplyError> {
    // A second applier does the putting back, with the same walk and rules; its own journal is not kept.
    let mut a = Applier {
        root: open_root(root)?,
        live: root == Path::new("/"),
        user: user.clone(),
        switch: None,
        run_dir: String::new(),
        state_who,
        journal: Journal {
            schema: 1,
            started: String::new(),
            user: None,
            entries: Vec::new(),
        },
        backups: 0,
        owners: Box::new(|_| None),
    };
    if let Some(u) = &user
        && nix::unistd::geteuid().is_root()
        && u.uid != 0
    {
        a.switch = Some((
            user_creds(u)?,
            Saved::now().map_err(|e| io_err("credentials", e))?,
        ));
    }
    let journal_path = format!("{run_dir}/journal.json");
    let text = a
        .read_store(&journal_path)?
        .ok_or_else(|| err(format!("{journal_path}: no such file")))?;
    let journal: Journal =
        serde_json::from_slice(&text).map_err(|e| err(format!("{journal_path}: {e}")))?;
    let backup = |a: &mut Applier, b: &str| -> Result<Vec<u8>, ApplyError> {
        let path = format!("{run_dir}/files/{b}");
        a.read_store(&path)?
            .ok_or_else(|| err(format!("{path}: the backup is missing")))
    };
    let who_of = |user: bool| if user { Who::User } else { Who::Root };
    let created: Vec<&str> = journal
        .entries
        .iter()
        .filter_map(|e| match e {
            Entry::Dir { path, .. } => Some(path.as_str()),
            _ => None,
        })
        .collect();
    let mut out = Vec::new();
    let mut failed = 0;
    for e in journal.entries.iter().rev() {
        // One entry that cannot be put back (the user removed or replaced its file) is said, and the rest go on.
        let one = |a: &mut Applier| -> Result<String, ApplyError> {
            Ok(match e {
                Entry::File {
                    path,
                    user,
                    backup: b,
                    mode,
                    uid,
                    gid,
                    after_sha256,
                } => {
                    let who = who_of(*user);
                    let (dir, name) = a.parent(path, who, false)?;
                    match (a.existing(&dir, &name, path, who)?, b) {
                        (None, None) => format!("{path}: already gone"),
                        // A file the person deleted since is not brought back behind their back.
                        (None, Some(_)) => {
                            format!("{path}: deleted since the apply: left as it is")
                        }
                        (Some(now), _) if sha256_hex(&now.content) != *after_sha256 => {
                            let before = match b {
                                Some(b) => Some(backup(a, b)?),
                                None => None,
                            };
                            if before.is_some_and(|old| old == now.content) {
                                format!("{path}: already as before")
                            } else {
                                format!("{path}: changed since the apply: left as it is")
                            }
                        }
                        (Some(_), None) => {
                            a.as_who(who, || {
                                nix::unistd::unlinkat(
                                    &dir,
                                    name.as_os_str(),
                                    UnlinkatFlags::NoRemoveDir,
                                )
                            })
                            .map_err(|e| io_err(path, e))?;
                            format!("{path}: removed (the apply created it)")
                        }
                        (Some(_), Some(b)) => {
                            let old = backup(a, b)?;
                            let keep =
                                Some((mode.unwrap_or(0o644), uid.unwrap_or(0), gid.unwrap_or(0)));
                            a.replace(&dir, &name, path, who, &old, (0o644, keep))?;
                            format!("{path}: put back as it was")
                        }
                    }
                }
                Entry::Dir { path, user } => {
                    let who = who_of(*user);
                    let (dir, name) = a.parent(path, who, false)?;
                    match a.as_who(who, || {
                        nix::unistd::unlinkat(&dir, name.as_os_str(), UnlinkatFlags::RemoveDir)
                    }) {
                        Ok(()) => format!("{path}: removed (the apply created it)"),
                        Err(Errno::ENOENT) => format!("{path}: already gone"),
                        Err(Errno::ENOTEMPTY) => format!("{path}: not empty now: left as it is"),
                        Err(Errno::ENOTDIR) => {
                            format!("{path}: not a directory now: left as it is")
                        }
                        Err(e) => return Err(io_err(path, e)),
                    }
                }
                Entry::Mode {
                    path,
                    user,
                    before,
                    after,
                } => {
                    let who = who_of(*user);
                    let (dir, name) = a.parent(path, who, false)?;
                    let (fd, st) = a.open_target(&dir, &name, path, who)?;
                    if st.st_mode & 0o7777 != *after {
                        format!("{path}: mode changed since the apply: left as it is")
                    } else if who == Who::Root && linked_once(&st, path).is_err() {
                        format!("{path}: has more than one name now: left as it is")
                    } else {
                        a.as_who(who, || chmod_fd(&fd, *before))
                            .map_err(|e| io_err(path, e))?;
                        format!("{path}: mode {before:04o} again")
                    }
                }
                Entry::Owner {
                    path,
                    before,
                    after,
                    user_side,
                    ino,
                } if *user_side => {
                    // What root gave back below the user's own directories stays theirs: they may have replaced it since
                    // with anything of theirs (inode numbers are reused), and root's file there was the fault.
                    format!(
                        "{path}: given back to {}:{}; undo gives root nothing below the user's own directories: left as it is",
                        after.0, after.1
                    )
                }
                Entry::Owner {
                    path,
                    before,
                    after,
                    ino,
                    ..
                } => {
                    let (dir, name) = a.parent(path, Who::Root, false)?;
                    let (fd, st) = a.open_target(&dir, &name, path, Who::Root)?;
                    let holds_files = created.contains(&path.as_str())
                        && a.dir_has_entries(&dir, &name, Who::Root);
                    if holds_files {
                        // A directory the run made and gave away holds its owner's files now: it stays theirs.
                        format!("{path}: holds files now: left to its owner")
                    } else if (st.st_uid, st.st_gid) != *after {
                        format!("{path}: owner changed since the apply: left as it is")
                    } else if ino.is_some_and(|i| i != st.st_ino) || linked_once(&st, path).is_err()
                    {
                        format!("{path}: not the file the apply changed: left as it is")
                    } else {
                        chown_fd(&fd, before.0, before.1).map_err(|e| io_err(path, e))?;
                        format!("{path}: owner {}:{} again", before.0, before.1)
                    }
                }
                Entry::Removed {
                    path,
                    user,
                    backup: b,
                    mode,
                    uid,
                    gid,
                    link,
                    what,
                } => {
                    let who = who_of(*user);
                    let (dir, name) = a.parent(path, who, false)?;
                    match b {
                        None if link.is_some() => {
                            let target = link.as_deref().unwrap_or_default();
                            match a.as_who(who, || {
                                nix::unistd::symlinkat(target, &dir, name.as_os_str())
                            }) {
                                Ok(()) => format!("{path}: the link to {target} is back"),
                                Err(Errno::EEXIST) => {
                                    format!("{path}: exists again: left as it is")
                                }
                                Err(e) => return Err(io_err(path, e)),
                            }
                        }
                        None => format!("{path}: was {what}: not recreated"),
                        Some(b) => {
                            if a.existing(&dir, &name, path, who)?.is_some() {
                                format!("{path}: exists again: left as it is")
                            } else {
                                let old = backup(a, b)?;
                                a.replace(
                                    &dir,
                                    &name,
                                    path,
                                    who,
                                    &old,
                                    (*mode, Some((*mode, *uid, *gid))),
                                )?;
                                format!("{path}: put back")
                            }
                        }
                    }
                }
                Entry::Renamed { from, to, user } => {
                    let who = who_of(*user);
                    let (fdir, fname) = a.parent(from, who, false)?;
                    let (tdir, tname) = a.parent(to, who, false)?;
                    match a.as_who(who, || {
                        nix::fcntl::renameat2(
                            &tdir,
                            tname.as_os_str(),
                            &fdir,
                            fname.as_os_str(),
                            RenameFlags::RENAME_NOREPLACE,
                        )
                    }) {
                        Ok(()) => format!("{to} → {from} again"),
                        Err(Errno::ENOENT) => format!("{to}: gone: nothing to move back"),
                        Err(Errno::EEXIST) => format!("{from} exists again: {to} left as it is"),
                        Err(e) => return Err(io_err(to, e)),
                    }
                }
                Entry::Sysctl { key, before } => {
                    if !a.live {
                        format!("{key}: not set below --root")
                    } else {
                        write_proc(&format!("/proc/sys/{}", key.replace('.', "/")), before)?;
                        format!("{key}: {before} again")
                    }
                }
                Entry::Program { argv, user, undo } => match undo {
                    Some(u) if a.live => {
                        let as_user = if *user { a.user.as_ref() } else { None };
                        run_program(u, as_user, None)?;
                        format!("ran `{}` (undoes `{}`)", u.join(" "), argv.join(" "))
                    }
                    Some(_) => format!("`{}`: not run below --root", argv.join(" ")),
                    None => format!(
                        "`{}`: no undo for a program run: left as it is",
                        argv.join(" ")
                    ),
                },
                Entry::Kept { what } => format!("{what}: not undone"),
            })
        };
        match one(&mut a) {
            Ok(line) => out.push(line),
            Err(e) => {
                failed += 1;
                out.push(format!("{UNDO_FAILED}{e}: left as it is"));
            }
        }
    }
    // The run is marked undone so the next undo takes the run before it.
    let marker = format!("{run_dir}/undone");
    let (dir, name) = a.parent(&marker, state_who, false)?;
    a.replace(&dir, &name, &marker, state_who, b"", (0o600, None))?;
    Ok(Undone { lines: out, failed })
}

/// How the line of an entry undo could not put back begins.
pub const UNDO_FAILED: &str = "NOT UNDONE ";

/// What an undo did: a line per journal entry, newest first, and how many of them could not be put back.
#[derive(Debug)]
pub struct Undone {
    pub lines: Vec<String>,
    pub failed: usize,
}

impl Applier {
    /// A file of the run store (a journal, a backup), read on the checked walk: never through a link, a regular
    /// file only, at most `EDIT_MAX` bytes. `None` when it is missing.
    fn read_store(&mut self, path: &str) -> Result<Option<Vec<u8>>, ApplyError> {
        let who = self.state_who;
        let (dir, name) = match self.parent(path, who, false) {
            Ok(p) => p,
            Err(e) if e.0.ends_with(NO_DIR) => return Ok(None),
            Err(e) => return Err(e),
        };
        Ok(self.existing(&dir, &name, path, who)?.map(|e| e.content))
    }

    /// Whether the directory `name` in `dir` holds anything (read as `who`; an unreadable one counts as full).
    fn dir_has_entries(&self, dir: &OwnedFd, name: &OsStr, who: Who) -> bool {
        self.as_who(who, || -> Result<bool, Errno> {
            let fd = open_dir_at(dir, name)?;
            let mut d = nix::dir::Dir::from_fd(fd)?;
            let full = d.iter().filter_map(Result::ok).any(|e| {
                let n = e.file_name().to_bytes();
                n != b"." && n != b".."
            });
            Ok(full)
        })
        .unwrap_or(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_are_utc_calendar_times() {
        assert_eq!(stamp(0), "19700101T000000Z");
        assert_eq!(stamp(951_782_400), "20000229T000000Z");
        assert_eq!(stamp(1_796_083_199), "20261130T235959Z");
    }

    #[test]
    fn runs_sort_by_stamp_then_number() {
        let mut v = vec![
            "20261130T120000Z-2",
            "20261130T120000Z",
            "20261130T115959Z",
            "20261130T120000Z-10",
        ];
        v.sort_by_key(|n| run_order(n));
        assert_eq!(
            v,
            [
                "20261130T115959Z",
                "20261130T120000Z",
                "20261130T120000Z-2",
                "20261130T120000Z-10"
            ]
        );
    }

    #[test]
    fn paths_with_dot_dot_are_refused() {
        assert!(components("/etc/../root/x").is_err());
        assert!(components("etc/x").is_err());
        assert_eq!(components("/etc/x").unwrap().len(), 2);
    }
}
