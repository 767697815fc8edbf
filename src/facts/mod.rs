//! Facts: what the host says, read once and parsed, for the checks to judge.
//!
//! The pipeline runs one way: host → facts → checks → findings → report.
//! Checks receive `&Facts` and never see the [`Host`] itself, so every OS read a check depends on
//! goes through a method here, and the expensive ones (parsed files) are cached.
//!
//! This module holds the raw reads and the parsed files; each derived fact (a value computed from several reads
//! that checks of more than one area need) is a submodule adding a method on `Facts`, computed on first use and
//! cached in `Derived`: the client's endpoint ([`client`]), the dockerds with their flags and daemon.json and the
//! running daemons' pids ([`dockerd`]), RootlessKit's state dir ([`rootlesskit`]), the data-roots ([`data_root`]),
//! the AppArmor profiles ([`apparmor`]), systemd units with whether they are enabled or active ([`units`]), and the
//! trial launch of RootlessKit with what it said ([`launch`]), and shadow's `subid:` module with what getsubids says
//! ([`subids`]).

use std::cell::OnceCell;
use std::io;
use std::rc::Rc;

use serde::Serialize;

use crate::distro::{self, Selection};
use crate::host::{self, Host, Identity, UserInfo};

pub mod accounts;
pub mod apparmor;
pub mod client;
pub mod data_root;
pub mod dockerd;
pub mod launch;
pub mod listeners;
pub mod net;
pub mod rootlesskit;
pub mod start;
pub mod start_programs;
pub mod subids;
pub mod units;

pub use units::{SYSTEM_UNIT_DIRS, Unit};

/// What checks need of the host's file metadata, so they never name `crate::host`.
pub use crate::host::{Access, FileKind, Meta};
use crate::parse::{
    self, LineError,
    id_map::IdMapEntry,
    kernel::KernelVersion,
    mountinfo::Mount,
    os_release::OsRelease,
    subid::{EntrySpan, SubidEntry},
};

/// What [`Facts::access`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Permission {
    Allowed,
    /// Refused: the kernel's reason (`permission denied`, `read-only file system`).
    Denied(String),
    /// This host cannot tell (see `Host::access`): why.
    Unknown(String),
}

/// A file read: its text, its absence, or the error that stopped us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Read<T> {
    Ok(T),
    Missing,
    Failed(String),
}

impl<T> Read<T> {
    pub fn from_io(result: io::Result<T>) -> Read<T> {
        match result {
            Ok(v) => Read::Ok(v),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Read::Missing,
            Err(e) => Read::Failed(host::describe_error(&e)),
        }
    }

    /// Transforms the value and keeps absence and failure as they are.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Read<U> {
        match self {
            Read::Ok(v) => Read::Ok(f(v)),
            Read::Missing => Read::Missing,
            Read::Failed(e) => Read::Failed(e),
        }
    }

    pub fn ok(&self) -> Option<&T> {
        match self {
            Read::Ok(v) => Some(v),
            _ => None,
        }
    }
}

/// One process, from `/proc/PID/status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Process {
    pub pid: u32,
    pub name: String,
    pub ppid: u32,
    /// Real uid.
    pub uid: u32,
}

/// An API call's outcome; the error keeps its kind (no socket, refused, denied, timed out).
#[derive(Debug, Clone)]
pub struct HttpFailure {
    pub kind: io::ErrorKind,
    pub text: String,
}

pub type HttpResult = Result<parse::http::Response, HttpFailure>;

/// Why the doctor judges this user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum UserSource {
    /// The user running the doctor.
    Invoking,
    /// Run with sudo: `SUDO_USER`.
    Sudo,
    /// `--user NAME`, as root.
    Flag,
}

/// The user whose rootless setup is being judged.
#[derive(Debug, Clone, Serialize)]
pub struct TargetUser {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    #[serde(skip)]
    pub home: String,
    pub source: UserSource,
    /// The user database knows this user; fixes that name the user (usermod, loginctl) need that.
    #[serde(skip)]
    pub known: bool,
}

impl TargetUser {
    /// An account the user database knows, judged for `source`.
    fn of_account(u: UserInfo, source: UserSource) -> TargetUser {
        TargetUser {
            name: u.name,
            uid: u.uid,
            gid: u.gid,
            home: u.home,
            source,
            known: true,
        }
    }
}

/// Why the doctor can't pick a user; shown as a usage error (exit 2).
#[derive(Debug, Clone, thiserror::Error)]
pub enum UserError {
    #[error(
        "rootless mode is per user, and this is root: run rootless-doctor as the user who will run Docker, or pass --user NAME (or run it with sudo from that user's shell)"
    )]
    RootWithoutUser,
    #[error("--user is only for root: an unprivileged user can only be checked as itself")]
    FlagNeedsRoot,
    #[error("no user named {0:?} in the user database")]
    NoSuchUser(String),
    #[error("cannot read the user database: {0}")]
    Database(String),
    #[error("cannot take {0}'s credentials to read their files as they would: {1}")]
    Credentials(String, String),
}

/// A parsed subordinate-id file: its text, and where each line shadow uses lies in it (no copy of any owner, so a
/// fleet's file of ten thousand lines is one pass and one vector). Entries are made on demand ([`SubidFile::entry`],
/// [`SubidFile::mine`], …), the few a check names.
#[derive(Debug, Clone)]
pub struct SubidFile {
    pub path: &'static str,
    /// The parse, shared with the other file when both hold the same bytes: useradd(8) allocates a new account's
    /// subordinate uids and gids alike, so on most hosts /etc/subgid is /etc/subuid byte for byte, and a fleet's
    /// second file of ten thousand lines is then compared, not parsed and kept again.
    lines: Rc<SubidLines>,
    /// RootlessKit's static parser over the whole text, built on first use, for every user (its errors name the path).
    rootlesskit_static: OnceCell<parse::subid::StaticIndex>,
    /// Answer through the indices (see [`Shared::indexed`]); otherwise by a pass over the lines.
    indexed: bool,
    /// Without indices: RootlessKit's static parse for the first user asked (uid, name, answer).
    static_one: OnceCell<StaticParse>,
}

/// A subordinate-id file's text and lines, as shadow reads them, with the indices built over them on first use:
/// nothing here depends on which file it is.
#[derive(Debug)]
struct SubidLines {
    spans: Vec<EntrySpan>,
    /// RootlessKit's static parser reads every line as shadow does (`parse::subid::Spans::alike`).
    alike: bool,
    errors: Vec<LineError>,
    /// The file's text as RootlessKit's static parser reads it: bytes, lossily (Go does not check UTF-8).
    text: String,
    /// The entries' indices by owner (a name, or a uid as written), built on first use.
    by_owner: OnceCell<FastMap<String, Vec<usize>>>,
    /// The entries' indices sorted by start, with the greatest end up to each: which ranges overlap one, by
    /// binary search instead of a pass over every line.
    by_start: OnceCell<(Vec<usize>, Vec<u64>)>,
    numeric_owner: OnceCell<bool>,
    /// Without indices: the entries of the first user asked (name, uid, their indices), which a dozen checks ask.
    mine_one: OnceCell<(String, u32, Vec<usize>)>,
}

/// One user's answer of RootlessKit's static parser: (uid, name, ranges or its error).
type StaticParse = (u32, String, Result<Vec<parse::subid::StaticRange>, String>);

impl SubidFile {
    /// Parses `text` (the file at `path`) as shadow reads it; `unreadable` are the reader's own errors (lines that
    /// are not UTF-8), merged with the parse's in line order, a line's parse error first.
    pub fn new(
        path: &'static str,
        text: String,
        unreadable: Vec<LineError>,
        indexed: bool,
    ) -> SubidFile {
        let parse::subid::Spans {
            entries: spans,
            mut errors,
            alike,
        } = parse::subid::parse_spans(&text);
        if !unreadable.is_empty() {
            errors.extend(unreadable);
            errors.sort_by_key(|e| e.line);
        }
        let lines = SubidLines {
            spans,
            alike,
            errors,
            text,
            by_owner: OnceCell::new(),
            by_start: OnceCell::new(),
            numeric_owner: OnceCell::new(),
            mine_one: OnceCell::new(),
        };
        SubidFile::sharing(path, Rc::new(lines), indexed)
    }

    fn sharing(path: &'static str, lines: Rc<SubidLines>, indexed: bool) -> SubidFile {
        SubidFile {
            path,
            lines,
            rootlesskit_static: OnceCell::new(),
            indexed,
            static_one: OnceCell::new(),
        }
    }

    /// The file at `path`, if its bytes are `bytes`, read as this one: the same parse, shared.
    fn if_same(&self, path: &'static str, bytes: &[u8]) -> Option<SubidFile> {
        // A lossy reading puts U+FFFD where the bytes were not UTF-8, and another file may hold U+FFFD as written:
        // only a text without one is surely its file's bytes, whoever made it.
        (!self.lines.text.contains('\u{fffd}') && self.lines.text.as_bytes() == bytes)
            .then(|| SubidFile::sharing(path, Rc::clone(&self.lines), self.indexed))
    }

    /// The lines shadow rejects (or that are not UTF-8), each with why, in line order.
    pub fn errors(&self) -> &[LineError] {
        &self.lines.errors
    }

    /// How many lines shadow uses.
    pub fn len(&self) -> usize {
        self.lines.spans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.spans.is_empty()
    }

    /// The `i`th entry, in file order.
    pub fn entry(&self, i: usize) -> Option<SubidEntry> {
        self.lines.spans.get(i).map(|s| SubidEntry {
            line: s.line as usize,
            owner: self.owner(s).to_owned(),
            start: s.start(),
            count: s.count(),
        })
    }

    /// Every entry, in file order (each made on demand: for a failing check's remedy, not for every run).
    pub fn entries(&self) -> impl Iterator<Item = SubidEntry> + '_ {
        (0..self.lines.spans.len()).filter_map(|i| self.entry(i))
    }

    /// Each entry's range as `(start, end)`, in file order, without making the entries.
    pub fn ranges(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.lines.spans.iter().map(|s| (s.start(), s.end()))
    }

    /// Each entry's owner as written, in file order.
    pub fn owners(&self) -> impl Iterator<Item = &str> + '_ {
        self.lines.spans.iter().map(|s| self.owner(s))
    }

    /// The entries whose line RootlessKit's static parser may read otherwise than shadow (not
    /// [`parse::subid::reads_alike`]), each with its line: the only ones worth reading twice.
    pub fn read_otherwise(&self) -> impl Iterator<Item = (SubidEntry, &str)> + '_ {
        let mut lines = parse::split_ascii(&self.lines.text, b'\n').enumerate();
        self.lines
            .spans
            .iter()
            .enumerate()
            .filter(|(_, s)| !s.alike)
            .filter_map(move |(i, s)| {
                // In file order: one walk over the lines finds each entry's own.
                let raw = lines.by_ref().find(|(n, _)| n + 1 == s.line as usize)?.1;
                Some((self.entry(i)?, raw))
            })
    }

    /// The entry on line `line` (1-based) of the file, if shadow uses that line.
    pub fn entry_at(&self, line: usize) -> Option<SubidEntry> {
        let i = self
            .lines
            .spans
            .binary_search_by_key(&line, |s| s.line as usize)
            .ok()?;
        self.entry(i)
    }

    fn owner(&self, s: &EntrySpan) -> &str {
        self.lines
            .text
            .get(s.owner_start as usize..s.owner_end as usize)
            .unwrap_or_default()
    }

    /// RootlessKit's static parser (`parse::subid::rootlesskit_static`) over this file for `user`: the user's
    /// ranges, or its error word for word. The file is parsed once, whatever the number of users and checks asking.
    pub fn rootlesskit_static(
        &self,
        user: &TargetUser,
    ) -> Result<Vec<parse::subid::StaticRange>, String> {
        if !self.indexed {
            let parse = || {
                parse::subid::rootlesskit_static_with(
                    &self.lines.text,
                    self.path,
                    user.uid,
                    &user.name,
                    &self.lines.spans,
                    self.lines.alike,
                )
            };
            let (uid, name, result) = self
                .static_one
                .get_or_init(|| (user.uid, user.name.clone(), parse()));
            return if *uid == user.uid && *name == user.name {
                result.clone()
            } else {
                parse()
            };
        }
        self.rootlesskit_static
            .get_or_init(|| parse::subid::StaticIndex::new(&self.lines.text, self.path))
            .ranges(user.uid, &user.name)
    }

    /// The entries of the user called `name` with uid `uid` (shadow accepts either as the owner), in file order.
    pub fn mine(&self, name: &str, uid: u32) -> Vec<SubidEntry> {
        if !self.indexed {
            let pass = || -> Vec<usize> {
                (0..self.lines.spans.len())
                    .filter(|&i| {
                        let owner = self.owner(&self.lines.spans[i]);
                        owner == name || parse::subid::is_decimal_of(owner, uid)
                    })
                    .collect()
            };
            let (first_name, first_uid, found) = self
                .lines
                .mine_one
                .get_or_init(|| (name.to_owned(), uid, pass()));
            let found = if first_name == name && *first_uid == uid {
                found.clone()
            } else {
                pass()
            };
            return found.into_iter().filter_map(|i| self.entry(i)).collect();
        }
        let uid = uid.to_string();
        let mut found: Vec<usize> = self.owner_index(name).to_vec();
        if uid != name {
            found.extend(self.owner_index(&uid));
            found.sort_unstable();
        }
        found.iter().filter_map(|&i| self.entry(i)).collect()
    }

    /// The indices of the entries whose owner field is exactly `owner`, in file order.
    pub fn owned_by(&self, owner: &str) -> Vec<usize> {
        if !self.indexed {
            return (0..self.lines.spans.len())
                .filter(|&i| self.owner(&self.lines.spans[i]) == owner)
                .collect();
        }
        self.owner_index(owner).to_vec()
    }

    /// The first entry, in file order, owned by exactly `owner` whose range holds `id`.
    pub fn first_owned_containing(&self, owner: &str, id: u64) -> Option<SubidEntry> {
        let holds = |i: &usize| {
            let s = &self.lines.spans[*i];
            id >= s.start() && id < EntrySpan::end(s)
        };
        let found = if self.indexed {
            self.owner_index(owner).iter().copied().find(holds)
        } else {
            (0..self.lines.spans.len())
                .find(|i| self.owner(&self.lines.spans[*i]) == owner && holds(i))
        };
        found.and_then(|i| self.entry(i))
    }

    fn owner_index(&self, owner: &str) -> &[usize] {
        let index = self.lines.by_owner.get_or_init(|| {
            let mut map: FastMap<String, Vec<usize>> = Default::default();
            for (i, s) in self.lines.spans.iter().enumerate() {
                map.entry(self.owner(s).to_owned()).or_default().push(i);
            }
            map
        });
        index.get(owner).map_or(&[], Vec::as_slice)
    }

    /// Whether some entry's owner is all digits (a uid, or a name that looks like one).
    pub fn has_numeric_owner(&self) -> bool {
        *self
            .lines
            .numeric_owner
            .get_or_init(|| self.owners().any(|o| o.bytes().all(|b| b.is_ascii_digit())))
    }

    /// The entries whose range overlaps `[start, start+count)`, in file order.
    pub fn overlapping(&self, start: u64, count: u64) -> Vec<SubidEntry> {
        let end = start.saturating_add(count);
        // Empty ranges overlap nothing (`SubidEntry::overlaps`); shadow's lines are never empty.
        let overlaps = |s: &EntrySpan| {
            s.count() > 0 && count > 0 && s.start() < end && start < EntrySpan::end(s)
        };
        if !self.indexed {
            return (0..self.lines.spans.len())
                .filter(|&i| overlaps(&self.lines.spans[i]))
                .filter_map(|i| self.entry(i))
                .collect();
        }
        let spans = &self.lines.spans;
        let (order, max_end) = self.lines.by_start.get_or_init(|| {
            let mut order: Vec<usize> = (0..spans.len()).collect();
            order.sort_by_key(|&i| spans[i].start());
            let mut max = 0;
            let max_end = order
                .iter()
                .map(|&i| {
                    max = max.max(EntrySpan::end(&spans[i]));
                    max
                })
                .collect();
            (order, max_end)
        });
        let mut found: Vec<usize> = Vec::new();
        if count == 0 {
            return Vec::new();
        }
        // Those starting inside the range all overlap it; of those starting before it, only those reaching into
        // it, and none before the last place where the greatest end so far still reaches it.
        let first_inside = order.partition_point(|&i| spans[i].start() < start);
        let past = order.partition_point(|&i| spans[i].start() < end);
        found.extend(
            order[first_inside..past]
                .iter()
                .copied()
                .filter(|&i| spans[i].count() > 0),
        );
        let mut j = first_inside;
        while j > 0 && max_end[j - 1] > start {
            j -= 1;
            if EntrySpan::end(&spans[order[j]]) > start {
                found.push(order[j]);
            }
        }
        found.sort_unstable();
        found.iter().filter_map(|&i| self.entry(i)).collect()
    }
}

/// One of the running kernel's module lists (see [`Facts::kernel_modules`]).
pub struct ModuleList {
    pub path: String,
    pub text: Read<String>,
}

impl ModuleList {
    /// Whether the list could be read and names `module` ([`parse::kernel::lists_module`]).
    pub fn names(&self, module: &str) -> bool {
        self.text
            .ok()
            .is_some_and(|t| parse::kernel::lists_module(t, module))
    }
}

/// The modules built into the running kernel and those it can load.
pub struct KernelModules {
    pub builtin: ModuleList,
    pub dep: ModuleList,
}

pub struct Facts<'h> {
    /// The host as this process sees it: for the facts that need root's sight and that the doctor itself
    /// chose to read (`/proc/PID` of the processes it lists, the kernel log).
    host: &'h dyn Host,
    /// When root judges another user: the same host read with that user's credentials. Every path a check
    /// names goes through it, so a path the user controls (or names in their files) is read as they would.
    reader: Option<Box<dyn Host>>,
    pub identity: Identity,
    pub user: TargetUser,
    pub distro: Selection,
    pub kernel_release: Option<String>,
    pub kernel: Option<KernelVersion>,
    /// systemd is the init system (`/run/systemd/system` is a directory, as sd_booted(3) tests).
    pub systemd: bool,
    /// What is the same for every user: read and parsed once, whatever the number of users judged.
    shared: Rc<Shared>,
    http: std::cell::RefCell<std::collections::BTreeMap<(String, String), HttpResult>>,
    /// Whether a path is an executable regular file, as `first_in` judged it: a dozen checks look for the same
    /// programs along the same PATH, and each look was a stat per directory.
    executables: std::cell::RefCell<Executables>,
    /// `check volumes --path P`: the path whose holders to list, given at construction.
    volume_path: Option<String>,
    /// Which daemon `check` and `fix` judge (`--target`); rootless mode unless set.
    target_choice: client::TargetChoice,
    /// Facts derived from the reads, each computed on first use (see the submodules).
    derived: Derived,
    /// The run over every account: answers by path (see [`Facts::memoized`]).
    memo: Option<Memo>,
    /// The directories whose absence [`Facts::known_absent`] asks about before a path below them (the run over
    /// every account: the account's home and runtime directory, most of a fleet's accounts having neither).
    anchors: Vec<String>,
    /// The account's home is one of the anchors (an absolute path): what is outside them is not the account's own,
    /// and may be kept for every account (see [`Facts::shares_answer_for`]).
    home_anchored: bool,
}

/// The host's own files and state, the same for every user judged in a run (`--all-users` judges thousands
/// against one copy): read on first use, by the first user's facts that ask. They are root's files (/etc, /proc,
/// the package database), which every user reads alike.
pub struct Shared {
    os_release: Read<(String, OsRelease)>,
    distro: Selection,
    kernel_release: Option<String>,
    kernel: Option<KernelVersion>,
    systemd: bool,
    subuid: OnceCell<Read<SubidFile>>,
    subgid: OnceCell<Read<SubidFile>>,
    passwd: OnceCell<Read<parse::passwd::Passwd>>,
    /// Each name of /etc/passwd with the index of its first entry.
    passwd_names: OnceCell<FastMap<String, usize>>,
    /// `(uid, index)` of every passwd entry, sorted: the accounts inside a range by binary search.
    passwd_ids: OnceCell<Vec<(u32, usize)>>,
    groups: OnceCell<Read<parse::passwd::Groups>>,
    /// Each name of /etc/group with the index of its first entry.
    group_names: OnceCell<FastMap<String, usize>>,
    /// `(gid, index)` of every group, sorted.
    group_ids: OnceCell<Vec<(u32, usize)>>,
    mounts: OnceCell<Read<Vec<Mount>>>,
    uid_map: OnceCell<Read<Vec<IdMapEntry>>>,
    gid_map: OnceCell<Read<Vec<IdMapEntry>>>,
    kernel_config: OnceCell<Read<(String, String)>>,
    /// The running kernel's `modules.builtin` and `modules.dep` (see [`Facts::kernel_modules`]).
    kernel_modules: OnceCell<KernelModules>,
    /// The versions dpkg's status file records for the packages the distro file names (and systemd), scanned once
    /// on the first question about one of them.
    dpkg_status: OnceCell<Option<parse::pkgdb::Installed>>,
    /// Every installed package's version, scanned only when a package outside that set is asked about.
    dpkg_status_all: OnceCell<Option<parse::pkgdb::Installed>>,
    processes: OnceCell<Read<Vec<Process>>>,
    /// The answers of the run over every account that hold for every account (see [`Facts::memoized`]).
    memo: Memo,
    /// This process's credentials, asked once for every account of the run over every account.
    identity: OnceCell<Identity>,
    /// This process's `/proc/self/status` (its real ids and `NoNewPrivs`, which no switch of credentials changes),
    /// read once.
    self_status: OnceCell<Read<parse::proc::Status>>,
    /// Other processes' mount tables (see [`Facts::mountinfo_of`]), kept for every account; `None`: not read.
    mountinfo: std::cell::RefCell<FastMap<u32, Option<Rc<Mountinfo>>>>,
    /// How many bytes of mount tables this run may still read.
    mountinfo_left: std::cell::Cell<usize>,
    /// [`Facts::executables`] for the system paths of the run over every account, by the same rule.
    executables: std::cell::RefCell<Executables>,
    /// User units as the system-wide directories alone give them, by name, for every account whose own
    /// directories are missing (see [`Facts::user_unit`]).
    user_units: std::cell::RefCell<FastMap<String, Read<units::Unit>>>,
    /// Index the parsed files (by owner, name, id, start) for the run over every account, which asks them once per
    /// account; a run for one user asks each a few times, for which a pass over the lines costs less than building
    /// the index (a property test holds both to the same answers).
    indexed: bool,
}

impl Shared {
    /// Reads what every user's facts start from: os-release, the kernel's release, the init system; for a run
    /// that judges one user.
    pub fn read(host: &dyn Host) -> Rc<Shared> {
        Shared::new(host, false)
    }

    /// [`Shared::read`] for the run over every account: the parsed files are indexed.
    pub fn for_every_account(host: &dyn Host) -> Rc<Shared> {
        Shared::new(host, true)
    }

    fn new(host: &dyn Host, indexed: bool) -> Rc<Shared> {
        let os_release = read_os_release(host);
        let distro = match &os_release {
            Read::Ok((_, os)) => distro::select(os),
            _ => distro::select(&OsRelease::default()),
        };
        let kernel_release = host
            .read_to_string("/proc/sys/kernel/osrelease")
            .ok()
            .map(|s| s.trim().to_owned());
        let kernel = kernel_release
            .as_deref()
            .and_then(parse::kernel::parse_release);
        let systemd = host
            .lstat("/run/systemd/system")
            .is_ok_and(|m| m.kind == FileKind::Dir);
        Rc::new(Shared {
            os_release,
            distro,
            kernel_release,
            kernel,
            systemd,
            subuid: OnceCell::new(),
            subgid: OnceCell::new(),
            passwd: OnceCell::new(),
            passwd_names: OnceCell::new(),
            passwd_ids: OnceCell::new(),
            groups: OnceCell::new(),
            group_names: OnceCell::new(),
            group_ids: OnceCell::new(),
            mounts: OnceCell::new(),
            uid_map: OnceCell::new(),
            gid_map: OnceCell::new(),
            kernel_config: OnceCell::new(),
            kernel_modules: OnceCell::new(),
            dpkg_status: OnceCell::new(),
            dpkg_status_all: OnceCell::new(),
            processes: OnceCell::new(),
            memo: Memo::default(),
            identity: OnceCell::new(),
            self_status: OnceCell::new(),
            mountinfo: std::cell::RefCell::default(),
            mountinfo_left: std::cell::Cell::new(MOUNTINFO_BUDGET),
            executables: std::cell::RefCell::default(),
            user_units: std::cell::RefCell::default(),
            indexed,
        })
    }
}

/// Answers already given, by path (see [`Facts::memoized`]).
#[derive(Default)]
struct Memo {
    read: std::cell::RefCell<FastMap<String, Read<String>>>,
    lstat: std::cell::RefCell<FastMap<String, Read<Meta>>>,
    stat: std::cell::RefCell<FastMap<String, Read<Meta>>>,
    fs_magic: std::cell::RefCell<FastMap<String, Read<u64>>>,
    canonical: std::cell::RefCell<FastMap<String, Read<String>>>,
    link: std::cell::RefCell<FastMap<String, Read<String>>>,
    space: std::cell::RefCell<FastMap<String, Read<crate::host::Space>>>,
    /// By `PATH\0NAME`.
    xattr: std::cell::RefCell<FastMap<String, Read<Option<Vec<u8>>>>>,
    /// The paths any of these found missing (`ENOENT`): nothing below them exists either (see
    /// [`Facts::known_absent`]).
    absent: std::cell::RefCell<foldhash::HashSet<String>>,
}

/// A path whose answer is the same for every account: below the system's own directories, not a user's home, runtime
/// directory, linger flag, cgroup or /tmp.
fn is_system_path(path: &str) -> bool {
    const SYSTEM: [&str; 11] = [
        "/usr/",
        "/etc/",
        "/proc/sys/",
        "/bin/",
        "/sbin/",
        "/lib/",
        "/lib64/",
        "/opt/",
        "/snap/",
        "/var/lib/dpkg/",
        "/run/systemd/system",
    ];
    SYSTEM.iter().any(|p| path.starts_with(p))
        || matches!(
            path,
            "/" | "/tmp" | "/run" | "/run/user" | "/home" | "/sys/fs/cgroup" | "/var/tmp"
        )
}

/// The maps of paths and names the run keeps: foldhash (already serde_json's), several times faster than std's
/// SipHash on these short keys. Its seed is per process but it does not claim resistance to crafted collisions; an
/// account controls a handful of the keys of any one map (the paths its files name), never enough to matter.
type FastMap<K, V> = foldhash::HashMap<K, V>;

/// The most [`Facts::read_config`] reads: 1 MiB, hundreds of times any real daemon.json or config.json.
pub const CONFIG_BYTES: u64 = 1 << 20;

/// The most of one process's mount table [`Facts::mountinfo_of`] reads: some 7,000 mounts, far more than a real
/// namespace holds.
pub const MOUNTINFO_MAX: usize = 1 << 20;
/// The most of all processes' mount tables one run reads: the kernel writes a table as it is read, and a namespace a
/// user filled with bind mounts costs it about half a second a megabyte.
pub const MOUNTINFO_BUDGET: usize = 8 << 20;

/// A process's mount table as [`Facts::mountinfo_of`] read it: its text (whole lines only), and whether it holds
/// more than was read.
#[derive(Debug)]
pub struct Mountinfo {
    pub text: Read<String>,
    pub cut: bool,
}

/// An API's answer (dockerd's `/info` and `/version`, RootlessKit's `/v1/info`) as JSON, when it holds at most
/// [`CONFIG_BYTES`]: a real one is a few KiB, and a JSON value costs up to eighty times its text, so a socket a
/// user serves could otherwise make root's run hold gigabytes for the 16 MiB an exchange may bring.
pub fn api_json(body: &[u8]) -> Result<serde_json::Value, String> {
    if body.len() as u64 > CONFIG_BYTES {
        return Err(format!(
            "the answer holds {} bytes, over the {} MiB an API answer is read up to (a real one is a few KiB): not parsed",
            body.len(),
            CONFIG_BYTES >> 20
        ));
    }
    serde_json::from_slice(body).map_err(|e| format!("the answer is not JSON: {e}"))
}

/// Whether each file of a directory is an executable regular file, by directory and name (looked up without
/// building the path).
type Executables = FastMap<String, FastMap<String, bool>>;

/// Whether `path` is `dir` or below it (by its text: `dir` has no trailing slash).
fn is_within(path: &str, dir: &str) -> bool {
    path.strip_prefix(dir)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// The derived facts' caches; each is filled by the method of the submodule that owns it.
#[derive(Default)]
struct Derived {
    client_endpoint: OnceCell<Result<client::ClientEndpoint, client::UnknownContext>>,
    target: OnceCell<client::Target>,
    remote_probe: OnceCell<Option<client::RemoteProbe>>,
    setups: OnceCell<Vec<dockerd::Setup>>,
    listeners: OnceCell<Vec<listeners::Listener>>,
    rootful_dockerd: OnceCell<Vec<u32>>,
    rootless_dockerd: OnceCell<Option<u32>>,
    rootlesskit_state_dir: OnceCell<rootlesskit::StateDir>,
    rootlesskit_api: OnceCell<rootlesskit::ApiInfo>,
    data_roots: OnceCell<Vec<data_root::DataRoot>>,
    apparmor_profiles: OnceCell<Result<apparmor::Profiles, String>>,
    docker_service: OnceCell<Read<Unit>>,
    user_docker_service: OnceCell<Read<Unit>>,
    launch_plan: OnceCell<Result<launch::TrialPlan, launch::NoPlan>>,
    launch_trial: OnceCell<launch::Trial>,
    start_plan: OnceCell<Option<launch::StartPlan>>,
    start_trial: OnceCell<launch::Trial>,
    daemon_path: OnceCell<Option<start::DaemonPath>>,
    start_env: OnceCell<Option<start::StartEnv>>,
    rootless_script: OnceCell<Option<start::Script>>,
    start_rootlesskit: OnceCell<Option<start_programs::StartRootlessKit>>,
    start_driver: OnceCell<Option<start_programs::StartDriver>>,
    rootlesskit_version: OnceCell<Option<start_programs::RootlessKitVersion>>,
    subid_nss: OnceCell<subids::SubidNss>,
    getsubids: OnceCell<Option<subids::Getsubids>>,
}

impl<'h> Facts<'h> {
    /// Reads the facts every check shares: identity, user, distro, kernel, init system.
    /// `volume_path` is `check volumes --path P`'s path, whose holders `volumes.path` lists.
    pub fn gather(
        host: &'h dyn Host,
        user_flag: Option<&str>,
        volume_path: Option<&str>,
    ) -> Result<Facts<'h>, UserError> {
        let identity = host.identity();
        let user = target_user(host, &identity, user_flag)?;
        let info = UserInfo {
            name: user.name.clone(),
            uid: user.uid,
            gid: user.gid,
            home: user.home.clone(),
            shell: String::new(),
        };
        let reader = host
            .as_user(&info)
            .map_err(|e| UserError::Credentials(user.name.clone(), host::describe_error(&e)))?;
        let mut facts = Facts::with_user(host, Shared::read(host), reader, identity, user);
        facts.volume_path = volume_path.map(str::to_owned);
        Ok(facts)
    }

    /// Answers each path once (see [`Facts::memoized`]), for a run that changes nothing on the host: `preflight`
    /// without `--probe`, whose checks ask the same paths several times (the start path's `daemon.json`, PATH
    /// entries, `/tmp`).
    pub fn remember_answers(&mut self) {
        self.memo.get_or_insert_with(Memo::default);
    }

    /// The facts of one account of `--all-users`, on the host state `shared` already holds: read with the
    /// account's own credentials, like `--user NAME`.
    pub fn for_account(
        host: &'h dyn Host,
        shared: &Rc<Shared>,
        account: &UserInfo,
    ) -> Result<Facts<'h>, UserError> {
        let identity = shared.identity.get_or_init(|| host.identity()).clone();
        let reader = host
            .as_user(account)
            .map_err(|e| UserError::Credentials(account.name.clone(), host::describe_error(&e)))?;
        let user = TargetUser::of_account(account.clone(), UserSource::Flag);
        let mut facts = Facts::with_user(host, Rc::clone(shared), reader, identity, user);
        facts.memo = Some(Memo::default());
        // Every path of the account's own is below one of these; one lstat each answers them all when it is not
        // there. Shared directories come first, asked once for every account where nobody's credentials are taken.
        let runtime = facts.runtime_dir();
        let mut anchors = Vec::new();
        for (i, dir) in [&account.home, &runtime].into_iter().enumerate() {
            let dir = dir.trim_end_matches('/');
            if !dir.starts_with('/') || dir.is_empty() {
                continue;
            }
            facts.home_anchored |= i == 0;
            if let Some((parent, _)) = dir.rsplit_once('/')
                && !parent.is_empty()
                && facts.shares_answer_for(parent)
            {
                anchors.push(parent.to_owned());
            }
            anchors.push(dir.to_owned());
        }
        facts.anchors = anchors;
        Ok(facts)
    }

    /// The facts the host-wide checks of `--all-users` judge: the host as the doctor (root) sees it, for no
    /// account in particular (named `root`, uid 0, never as its own session).
    pub fn for_host(host: &'h dyn Host, shared: &Rc<Shared>) -> Facts<'h> {
        let identity = shared.identity.get_or_init(|| host.identity()).clone();
        let user = TargetUser {
            name: "root".to_owned(),
            uid: 0,
            gid: 0,
            home: "/root".to_owned(),
            source: UserSource::Flag,
            known: true,
        };
        let mut facts = Facts::with_user(host, Rc::clone(shared), None, identity, user);
        facts.memo = Some(Memo::default());
        facts
    }

    /// Facts about the caller itself, root included (for `enter`, which acts as whoever runs it).
    pub fn gather_as_caller(host: &'h dyn Host) -> Facts<'h> {
        let identity = host.identity();
        let user = match host.user_by_uid(identity.uid) {
            Ok(Some(u)) => TargetUser {
                name: u.name,
                uid: u.uid,
                gid: u.gid,
                home: u.home,
                source: UserSource::Invoking,
                known: true,
            },
            _ => TargetUser {
                name: identity.uid.to_string(),
                uid: identity.uid,
                gid: identity.gid,
                home: host.env("HOME").unwrap_or_default(),
                source: UserSource::Invoking,
                known: false,
            },
        };
        Facts::with_user(host, Shared::read(host), None, identity, user)
    }

    fn with_user(
        host: &'h dyn Host,
        shared: Rc<Shared>,
        reader: Option<Box<dyn Host>>,
        identity: Identity,
        user: TargetUser,
    ) -> Facts<'h> {
        Facts {
            host,
            reader,
            identity,
            user,
            distro: shared.distro.clone(),
            kernel_release: shared.kernel_release.clone(),
            kernel: shared.kernel,
            systemd: shared.systemd,
            shared,
            http: std::cell::RefCell::new(std::collections::BTreeMap::new()),
            executables: std::cell::RefCell::default(),
            volume_path: None,
            target_choice: client::TargetChoice::default(),
            derived: Derived::default(),
            memo: None,
            anchors: Vec::new(),
            home_anchored: false,
        }
    }

    /// The host as the judged user reads it (this process's own view unless root judges someone else).
    fn reader(&self) -> &dyn Host {
        self.reader.as_deref().unwrap_or(self.host)
    }

    /// The path given with `check volumes --path P`, if any.
    pub fn volume_path(&self) -> Option<&str> {
        self.volume_path.as_deref()
    }

    /// os-release(5): the file read (`/etc/os-release`, else `/usr/lib/os-release`) and its fields.
    pub fn os_release(&self) -> &Read<(String, OsRelease)> {
        &self.shared.os_release
    }

    pub fn distro(&self) -> &'static distro::Distro {
        self.distro.distro
    }

    /// The doctor runs as the user it judges (not through sudo or --user),
    /// so the process environment is that user's session environment.
    pub fn is_own_session(&self) -> bool {
        self.user.source == UserSource::Invoking
    }

    pub fn root_display(&self) -> String {
        self.host.root_display()
    }

    /// The wall clock, for a report's timestamp.
    pub fn now(&self) -> std::time::SystemTime {
        self.host.now()
    }

    /// How long the run has taken so far.
    pub fn elapsed(&self) -> std::time::Duration {
        self.host.elapsed()
    }

    /// Whether this host view includes a running kernel (the live machine, or a tree with /proc/sys).
    pub fn has_runtime(&self) -> bool {
        self.host.is_live() || matches!(self.lstat("/proc/sys/kernel"), Read::Ok(_))
    }

    // --- plain reads ---------------------------------------------------------------------------

    /// A JSON configuration file a user controls (daemon.json, the CLI's config.json, a context's meta.json), read
    /// only when it holds at most [`CONFIG_BYTES`]: a JSON value costs up to sixteen times its text, so a hostile
    /// user's 60 MB daemon.json took 1.5 GB and 8 s of every run over it (found by a hostile-user audit).
    pub fn read_config(&self, path: &str) -> Read<String> {
        self.read_at_most(path, CONFIG_BYTES).unwrap_or_else(|| {
            Read::Failed(format!(
                "larger than {} MiB: not read (no configuration file is that large)",
                CONFIG_BYTES >> 20
            ))
        })
    }

    /// `path` read when it holds at most `max` bytes; `None` when it holds more (asked of its size first, so a large
    /// file is not read at all, and of what was read, for a file that grew in between).
    pub fn read_at_most(&self, path: &str, max: u64) -> Option<Read<String>> {
        if let Read::Ok(meta) = self.stat(path)
            && meta.size > max
        {
            return None;
        }
        match self.read(path) {
            Read::Ok(text) if text.len() as u64 > max => None,
            other => Some(other),
        }
    }

    pub fn read(&self, path: &str) -> Read<String> {
        self.memoized(
            path,
            |m| &m.read,
            || Read::from_io(self.reader().read_to_string(path)),
        )
    }

    pub fn read_bytes(&self, path: &str) -> Read<Vec<u8>> {
        if self.known_absent(path) {
            return Read::Missing;
        }
        Read::from_io(self.reader().read(path))
    }

    /// The Go build information of the binary at `path` ([`parse::gobuildinfo`]): from its ELF `.go.buildinfo`
    /// section, read by its offsets (a few KB of an 8 MB static RootlessKit, whose whole read cost a preflight 7 ms
    /// and 8 MB of fresh memory), else from the whole file as before (not ELF, no such section, or a section that
    /// does not parse: the first build information block in the file answers).
    pub fn go_build_info(
        &self,
        path: &str,
    ) -> Read<Result<parse::gobuildinfo::BuildInfo, parse::gobuildinfo::Error>> {
        if self.known_absent(path) {
            return Read::Missing;
        }
        let reader = self.reader();
        if let Some(info) = parse::gobuildinfo::of_section(&mut |offset, len| {
            reader.read_at(path, offset, len).ok()
        }) {
            return Read::Ok(Ok(info));
        }
        self.read_bytes(path)
            .map(|bytes| parse::gobuildinfo::of_file(&bytes))
    }

    /// [`Facts::read`] for a file whose caller keeps what it needs of it in [`Shared`] (/etc/group's table, the
    /// mount table, the kernel's configuration and module lists): not kept again by the memo, which holds a copy
    /// of each answer and hands out another, so a 300 KB kernel configuration was in memory three times.
    fn read_uncached(&self, path: &str) -> Read<String> {
        if self.known_absent(path) {
            return Read::Missing;
        }
        Read::from_io(self.reader().read_to_string(path))
    }

    pub fn lstat(&self, path: &str) -> Read<Meta> {
        self.memoized(
            path,
            |m| &m.lstat,
            || Read::from_io(self.reader().lstat(path)),
        )
    }

    pub fn stat(&self, path: &str) -> Read<Meta> {
        self.memoized(
            path,
            |m| &m.stat,
            || Read::from_io(self.reader().stat(path)),
        )
    }

    /// `read()` answered once per path: for the run over every account ([`Facts::for_account`]), whose checks ask
    /// the same paths again and again, and whose accounts ask the same system paths. The account's own answers
    /// live as long as its facts; a system path's (below /usr, /etc, /proc/sys, …) is kept for every account when
    /// nobody's credentials are taken (a tree, whose files read the same for everyone). `preflight` without
    /// `--probe` keeps its answers too ([`Facts::remember_answers`]). Other runs ask the host each time: a trial
    /// launch, or `fix`, changes what is there.
    fn memoized<T: Clone>(
        &self,
        path: &str,
        table: impl Fn(&Memo) -> &std::cell::RefCell<FastMap<String, Read<T>>>,
        read: impl FnOnce() -> Read<T>,
    ) -> Read<T> {
        self.memoized_as(path, path, table, true, read)
    }

    /// [`Facts::memoized`] under `key` (a path and what else names the answer), kept for every account by `path`.
    /// `walks`: the host's "missing" for this call means the kernel's walk of the path found a component missing,
    /// so it may answer for what is below ([`Facts::known_absent`]), and be answered from above. Not so for
    /// `canonicalize` and `xattr`: in a tree they go through this machine's `/proc/self/fd` (missing in a bare
    /// chroot), and glibc's `realpath` follows a `/proc/PID/cwd` link by its text.
    fn memoized_as<T: Clone>(
        &self,
        path: &str,
        key: &str,
        table: impl Fn(&Memo) -> &std::cell::RefCell<FastMap<String, Read<T>>>,
        walks: bool,
        read: impl FnOnce() -> Read<T>,
    ) -> Read<T> {
        let Some(memo) = self.memo_for(path) else {
            return read();
        };
        if let Some(known) = table(memo).borrow().get(key) {
            return known.clone();
        }
        let value = if walks && self.known_absent(path) {
            Read::Missing
        } else {
            read()
        };
        if walks && matches!(value, Read::Missing) {
            memo.absent.borrow_mut().insert(path.to_owned());
        }
        table(memo)
            .borrow_mut()
            .insert(key.to_owned(), value.clone());
        value
    }

    /// Whether a directory above `path` is known to be missing, so that `path` is too: the kernel walks a path
    /// component by component and stops at the first that is not there (`ENOENT`), whichever call asks and whether
    /// the component was a dangling symlink, a name in a missing directory, or the `..` after one. Only the answers
    /// this run keeps count (none without [`Facts::memoized`]), each in the memo its path belongs to; an anchor
    /// (the account's home or runtime directory, or the directory holding it) is asked first. The path itself counts
    /// only when `lstat` found nothing there: `stat` calls a dangling symlink missing, which `lstat` finds.
    fn known_absent(&self, path: &str) -> bool {
        self.known_absent_at(path, false)
    }

    /// [`Facts::known_absent`], for `path` or, with `below`, for what is below it (the path itself is then one of
    /// the directories above).
    fn known_absent_at(&self, path: &str, below: bool) -> bool {
        let Some(memo) = self.memo_for(path) else {
            return false;
        };
        // Nothing at all is there, not even a dangling symlink: every call finds it missing.
        if matches!(memo.lstat.borrow().get(path), Some(Read::Missing)) {
            return true;
        }
        let ends = path
            .match_indices('/')
            .map(|(i, _)| i)
            .filter(|&i| i > 0)
            .chain(below.then_some(path.len()));
        for i in ends {
            let above = &path[..i];
            if self.anchors.iter().any(|a| a == above) {
                let _ = self.lstat(above);
            }
            if self
                .memo_for(above)
                .is_some_and(|m| m.absent.borrow().contains(above))
            {
                return true;
            }
        }
        false
    }

    /// The memo that keeps `path`'s answers: `Shared`'s when they hold for every account, else this account's own;
    /// none for a run that keeps no answers.
    fn memo_for(&self, path: &str) -> Option<&Memo> {
        let own = self.memo.as_ref()?;
        Some(if self.shares_answer_for(path) {
            &self.shared.memo
        } else {
            own
        })
    }

    /// Whether `path`'s answer is kept for every account: nobody's credentials are taken (a tree, whose files read
    /// the same for everyone), and it is a system path or, for an account whose home is an absolute path, an
    /// absolute path outside its home and runtime directory (its anchors). What is kept then grows with the
    /// accounts by the few paths each names outside its home (the linger flag, a data-root elsewhere), never by
    /// the paths of every home (a relative or empty home has no anchor, so none of its paths is kept beyond it).
    fn shares_answer_for(&self, path: &str) -> bool {
        self.reader.is_none()
            && (is_system_path(path)
                || (self.home_anchored
                    && path.starts_with('/')
                    && !self.anchors.iter().any(|a| is_within(path, a))))
    }

    /// A cache of `Shared`'s for answers derived from the system's files alone, when this run keeps answers for
    /// every account and takes nobody's credentials (a tree, which reads the same for everyone; see
    /// [`Facts::shares_answer_for`]).
    fn kept_for_every_account<T>(&self, cache: impl Fn(&Shared) -> &T) -> Option<&T> {
        (self.memo.is_some() && self.reader.is_none()).then(|| cache(&self.shared))
    }

    pub fn read_link(&self, path: &str) -> Read<String> {
        self.memoized(
            path,
            |m| &m.link,
            || Read::from_io(self.reader().read_link(path)),
        )
    }

    pub fn canonicalize(&self, path: &str) -> Read<String> {
        self.memoized_as(
            path,
            path,
            |m| &m.canonical,
            false,
            || Read::from_io(self.reader().canonicalize(path)),
        )
    }

    pub fn read_dir(&self, path: &str) -> Read<Vec<String>> {
        if self.known_absent(path) {
            return Read::Missing;
        }
        Read::from_io(self.reader().read_dir(path))
    }

    pub fn xattr(&self, path: &str, name: &str) -> Read<Option<Vec<u8>>> {
        self.memoized_as(
            path,
            &format!("{path}\0{name}"),
            |m| &m.xattr,
            false,
            || Read::from_io(self.reader().xattr(path, name)),
        )
    }

    pub fn fs_magic(&self, path: &str) -> Read<u64> {
        self.memoized(
            path,
            |m| &m.fs_magic,
            || Read::from_io(self.reader().fs_magic(path)),
        )
    }

    /// Whether /sys/fs/cgroup is the unified (cgroup v2) hierarchy, where rootless dockerd uses the systemd cgroup
    /// driver and systemd delegates controllers.
    pub fn unified_cgroup(&self) -> bool {
        matches!(self.fs_magic("/sys/fs/cgroup"), Read::Ok(m) if m == crate::fsmagic::CGROUP2)
    }

    /// The room left on the filesystem holding `path`, as the user would be told it.
    pub fn fs_space(&self, path: &str) -> Read<crate::host::Space> {
        self.memoized(
            path,
            |m| &m.space,
            || Read::from_io(self.reader().fs_space(path)),
        )
    }

    /// Whether the user may `want` on `path`, as the kernel judges it for them (permission bits, ACLs, a read-only
    /// mount); `Missing` when the path does not exist.
    pub fn access(&self, path: &str, want: Access) -> Read<Permission> {
        // Not answered from a missing directory above (`known_absent`): a tree's host answers "unsupported" before
        // it looks for the path (found by `answers_kept_and_inferred_are_the_hosts_own`).
        match self.reader().access(path, want) {
            Ok(()) => Read::Ok(Permission::Allowed),
            Err(e) => match e.kind() {
                std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem => {
                    Read::Ok(Permission::Denied(crate::host::describe_error(&e)))
                }
                std::io::ErrorKind::Unsupported => {
                    Read::Ok(Permission::Unknown(crate::host::describe_error(&e)))
                }
                _ => Read::from_io(Err(e)),
            },
        }
    }

    pub fn env(&self, name: &str) -> Option<String> {
        self.host.env(name)
    }

    /// The account called `name`: from /etc/passwd when it is there (the first line with the name, as the `files`
    /// module that every distribution's nsswitch.conf names first answers), otherwise from NSS (LDAP, SSSD,
    /// systemd-homed). The file is indexed once per run: a fleet's checks ask for thousands of names.
    pub fn user_by_name(&self, name: &str) -> Option<UserInfo> {
        if !self.shared.indexed {
            return self.host.user_by_name(name).ok().flatten();
        }
        if let Read::Ok(p) = self.passwd()
            && let Some(e) = first_by_name(p.names(), Some(&self.shared.passwd_names), name)
                .and_then(|i| p.get(i))
        {
            return Some(UserInfo::from(e));
        }
        self.host.user_by_name(name).ok().flatten()
    }

    /// A sysctl by its dotted name; `Missing` when the kernel has no such knob.
    pub fn sysctl(&self, name: &str) -> Read<String> {
        match self.read(&parse::sysctl::path_for(name)) {
            Read::Ok(v) => Read::Ok(v.trim().to_owned()),
            other => other,
        }
    }

    pub fn sysctl_int(&self, name: &str) -> Read<Result<i64, String>> {
        self.sysctl(name).map(|v| parse::sysctl::parse_int(&v))
    }

    /// The directories of the PATH that the user's tools will search.
    pub fn path_dirs(&self) -> Vec<String> {
        let path = if self.is_own_session() {
            self.env("PATH")
        } else {
            None
        };
        let path = path.unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin".to_owned());
        path.split(':')
            .filter(|d| d.starts_with('/'))
            .map(str::to_owned)
            .collect()
    }

    /// The first executable named `name` in `dirs`: the directories after it are not looked at (a `stat` each,
    /// most of them for a name that is not there).
    pub fn first_in(&self, name: &str, dirs: &[String]) -> Option<String> {
        dirs.iter().find_map(|dir| self.executable_in(dir, name))
    }

    /// `dir/name`, when it is an executable regular file (asked once per run).
    fn executable_in(&self, dir: &str, name: &str) -> Option<String> {
        let dir = dir.trim_end_matches('/');
        // Kept for every account where the stats of the directory's files are (see `memoized`): the rule is the
        // path's, asked of the directory, since only an anchor (never a PATH entry's file) could tell them apart.
        let cache = if self.memo.is_some() && self.shares_answer_for(dir) {
            &self.shared.executables
        } else {
            &self.executables
        };
        let known = cache
            .borrow()
            .get(dir)
            .and_then(|names| names.get(name))
            .copied();
        let executable = known.unwrap_or_else(|| {
            // A directory known to be missing (an account's `~/bin` below a home that is not there) holds nothing.
            let is = !self.known_absent_at(dir, true)
                && matches!(self.stat(&format!("{dir}/{name}")), Read::Ok(meta)
                if meta.kind == FileKind::File && meta.mode & 0o111 != 0);
            cache
                .borrow_mut()
                .entry(dir.to_owned())
                .or_default()
                .insert(name.to_owned(), is);
            is
        });
        executable.then(|| format!("{dir}/{name}"))
    }

    /// The first `name` on the user's PATH.
    pub fn which(&self, name: &str) -> Option<String> {
        self.first_in(name, &self.path_dirs())
    }

    /// Like `which`, but with `/usr/sbin` and `/sbin` appended, as dockerd-rootless-setuptool.sh does.
    pub fn which_sbin(&self, name: &str) -> Option<String> {
        let mut dirs = self.path_dirs();
        for extra in ["/usr/local/sbin", "/usr/sbin", "/sbin"] {
            if !dirs.iter().any(|d| d == extra) {
                dirs.push(extra.to_owned());
            }
        }
        self.first_in(name, &dirs)
    }

    /// The installed version of a package, from the distro's package database, without running anything.
    pub fn package_version(&self, package: &str) -> Option<String> {
        match self.distro().package_manager.database.as_str() {
            "dpkg" => {
                // The checks ask about the packages the distro file names, by their logical names or the
                // alternatives they list; a scan that records only those skips every other stanza at its
                // Package line. Any other name gets the full scan, so the set is a shortcut, never an answer.
                let distro = self.distro();
                let named = || {
                    distro
                        .packages
                        .values()
                        .flat_map(|p| p.split('|'))
                        .chain(distro.packages.keys().map(String::as_str))
                        .chain(["systemd"])
                };
                let scanned = |mut scan: parse::pkgdb::DpkgScan| {
                    self.reader()
                        .read_pieces("/var/lib/dpkg/status", &mut |piece| scan.feed(piece))
                        .ok()?;
                    Some(scan.finish())
                };
                let installed = if named().any(|p| p == package) {
                    self.shared
                        .dpkg_status
                        .get_or_init(|| scanned(parse::pkgdb::DpkgScan::only(named())))
                } else {
                    self.shared
                        .dpkg_status_all
                        .get_or_init(|| scanned(parse::pkgdb::DpkgScan::default()))
                };
                installed.as_ref()?.get(package).map(str::to_owned)
            }
            "pacman" => {
                let dir = "/var/lib/pacman/local";
                let prefix = format!("{package}-");
                let entries = self.read_dir(dir).ok().cloned()?;
                entries
                    .iter()
                    .filter(|e| e.starts_with(&prefix))
                    .find_map(|e| {
                        let desc = self.read(&format!("{dir}/{e}/desc")).ok().cloned()?;
                        let (name, version) = parse::pkgdb::parse_pacman_desc(&desc)?;
                        (name == package).then_some(version)
                    })
            }
            _ => None,
        }
    }

    /// The user's runtime directory: their XDG_RUNTIME_DIR when the doctor runs in their session,
    /// otherwise /run/user/UID, where pam_systemd puts it.
    pub fn runtime_dir(&self) -> String {
        let own = self
            .is_own_session()
            .then(|| self.env("XDG_RUNTIME_DIR"))
            .flatten()
            .filter(|d| d.starts_with('/'));
        own.unwrap_or_else(|| format!("/run/user/{}", self.user.uid))
            .trim_end_matches('/')
            .to_owned()
    }

    /// One `GET` over a Unix socket, asked at most once per run.
    pub fn http_get(&self, socket: &str, path: &str) -> HttpResult {
        let key = (socket.to_owned(), path.to_owned());
        if let Some(r) = self.http.borrow().get(&key) {
            return r.clone();
        }
        let result = self
            .reader()
            .http_get_unix(socket, path)
            .map_err(|e| HttpFailure {
                kind: e.kind(),
                text: host::describe_error(&e),
            });
        self.http.borrow_mut().insert(key, result.clone());
        result
    }

    /// Whether something listens on the Unix socket `socket` (one connect, nothing sent); `Failed` keeps the
    /// error's kind (`ConnectionRefused` for a socket file nobody listens on).
    pub fn unix_listens(&self, socket: &str) -> Result<(), HttpFailure> {
        self.reader().unix_listens(socket).map_err(|e| HttpFailure {
            kind: e.kind(),
            text: host::describe_error(&e),
        })
    }

    /// Every process in /proc (of this host view); processes that vanish while being read, and zombies, are left
    /// out.
    pub fn processes(&self) -> &Read<Vec<Process>> {
        self.shared.processes.get_or_init(|| {
            let names = match Read::from_io(self.host.read_dir("/proc")) {
                Read::Ok(n) => n,
                Read::Missing => return Read::Missing,
                Read::Failed(e) => return Read::Failed(e),
            };
            let mut list = Vec::new();
            for name in names {
                let Ok(pid) = name.parse::<u32>() else {
                    continue;
                };
                if let Read::Ok(text) = self.proc_file(pid, "status") {
                    let st = parse::proc::parse_status(&text);
                    // An exited process not yet reaped (a trial's dockerd, reparented after the doctor's
                    // runner stopped it) runs nothing: it is no daemon.
                    if st.exited() {
                        continue;
                    }
                    list.push(Process {
                        pid,
                        name: st.name,
                        ppid: st.ppid,
                        uid: st.uid[0],
                    });
                }
            }
            list.sort_by_key(|p| p.pid);
            Read::Ok(list)
        })
    }

    pub fn process(&self, pid: u32) -> Option<Process> {
        match self.processes() {
            Read::Ok(list) => list.iter().find(|p| p.pid == pid).cloned(),
            _ => None,
        }
    }

    /// `/proc/PID/NAME` of a process the doctor chose (from [`Facts::processes`] or a pid file), read with this
    /// process's own sight: root sees other users' processes. A path a user names in their files is never
    /// read this way, but through [`Facts::read`], as the user.
    pub fn proc_file(&self, pid: u32, name: &str) -> Read<String> {
        Read::from_io(self.host.read_to_string(&format!("/proc/{pid}/{name}")))
    }

    /// `/proc/PID/mountinfo` of a process the doctor chose, read like [`Facts::proc_file`] but at most
    /// [`MOUNTINFO_MAX`] of it and [`MOUNTINFO_BUDGET`] of all of them in a run, kept for every account (root's
    /// sight, the same for all); `None` once the budget is spent.
    pub fn mountinfo_of(&self, pid: u32) -> Option<Rc<Mountinfo>> {
        if let Some(known) = self.shared.mountinfo.borrow().get(&pid) {
            return known.clone();
        }
        let left = self.shared.mountinfo_left.get();
        let answer = (left > 0).then(|| {
            let read = Read::from_io(
                self.host
                    .read_prefix(&format!("/proc/{pid}/mountinfo"), left.min(MOUNTINFO_MAX)),
            );
            let mut cut = false;
            let text = read.map(|(mut bytes, more)| {
                self.shared
                    .mountinfo_left
                    .set(left.saturating_sub(bytes.len()));
                if more {
                    // The last line may stop in the middle.
                    let whole = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
                    bytes.truncate(whole);
                }
                cut = more;
                String::from_utf8_lossy(&bytes).into_owned()
            });
            Rc::new(Mountinfo { text, cut })
        });
        self.shared
            .mountinfo
            .borrow_mut()
            .insert(pid, answer.clone());
        answer
    }

    /// The doctor's own `/proc/self/status`, read with its own sight like [`Facts::proc_file`].
    /// It describes the judged user's session only when [`Facts::is_own_session`]: when root judges
    /// another user, it is root's process, not theirs.
    pub fn self_status(&self) -> Read<parse::proc::Status> {
        self.shared
            .self_status
            .get_or_init(|| {
                Read::from_io(self.host.read_to_string("/proc/self/status"))
                    .map(|text| parse::proc::parse_status(&text))
            })
            .clone()
    }

    fn proc_bytes(&self, pid: u32, name: &str) -> Read<Vec<u8>> {
        Read::from_io(self.host.read(&format!("/proc/{pid}/{name}")))
    }

    /// The target of the link `/proc/PID/NAME` (`ns/mnt`, `fd/2`, `root`), read as [`Facts::proc_file`] reads.
    pub fn proc_link(&self, pid: u32, name: &str) -> Read<String> {
        Read::from_io(self.host.read_link(&format!("/proc/{pid}/{name}")))
    }

    pub fn cmdline(&self, pid: u32) -> Read<Vec<String>> {
        self.proc_bytes(pid, "cmdline")
            .map(|b| parse::proc::nul_list(&b))
    }

    /// A process's environment; readable only for the doctor's own user's processes (or by root).
    pub fn environ(&self, pid: u32) -> Read<Vec<String>> {
        self.proc_bytes(pid, "environ")
            .map(|b| parse::proc::nul_list(&b))
    }

    /// The kernel's log (/dev/kmsg), as records; `Failed` when the kernel keeps it from this user (dmesg_restrict).
    pub fn kernel_log(&self) -> Read<Vec<parse::kmsg::Record>> {
        Read::from_io(self.host.kernel_log())
            .map(|bytes| parse::kmsg::parse(&String::from_utf8_lossy(&bytes)).0)
    }

    /// A process's namespace, as the `/proc/PID/ns/KIND` link names it (`mnt:[4026531841]`).
    pub fn namespace(&self, pid: u32, kind: &str) -> Read<String> {
        self.proc_link(pid, &format!("ns/{kind}"))
    }

    /// The targets of a process's open file descriptors: (fd, target) for those that could be read.
    pub fn open_files(&self, pid: u32) -> Read<Vec<(String, String)>> {
        let dir = format!("/proc/{pid}/fd");
        Read::from_io(self.host.read_dir(&dir)).map(|fds| {
            fds.into_iter()
                .filter_map(|fd| {
                    let target = self.proc_link(pid, &format!("fd/{fd}")).ok().cloned()?;
                    Some((fd, target))
                })
                .collect()
        })
    }

    // --- parsed, cached ------------------------------------------------------------------------

    pub fn subuid(&self) -> &Read<SubidFile> {
        self.shared
            .subuid
            .get_or_init(|| self.subid_file("/etc/subuid", &self.shared.subgid))
    }

    pub fn subgid(&self) -> &Read<SubidFile> {
        self.shared
            .subgid
            .get_or_init(|| self.subid_file("/etc/subgid", &self.shared.subuid))
    }

    /// The subordinate-id file at `path`; when `other` (the other file) was read first and holds the same bytes,
    /// its parse is shared ([`SubidFile::if_same`]).
    fn subid_file(&self, path: &'static str, other: &OnceCell<Read<SubidFile>>) -> Read<SubidFile> {
        // shadow reads these files as bytes: a line that is not UTF-8 is reported, not a reason to read nothing.
        self.read_bytes(path).map(|bytes| {
            if let Some(Read::Ok(other)) = other.get()
                && let Some(same) = other.if_same(path, &bytes)
            {
                return same;
            }
            // Valid UTF-8 (the usual case) becomes the text without a copy.
            let (text, invalid) = match String::from_utf8(bytes) {
                Ok(text) => (text, None),
                Err(e) => {
                    let bytes = e.into_bytes();
                    (String::from_utf8_lossy(&bytes).into_owned(), Some(bytes))
                }
            };
            let mut errors = Vec::new();
            for (i, line) in invalid
                .iter()
                .flat_map(|b| b.split(|b| *b == b'\n'))
                .enumerate()
            {
                if std::str::from_utf8(line).is_err() {
                    errors.push(LineError {
                        line: i + 1,
                        message: "not valid UTF-8".into(),
                    });
                }
            }
            SubidFile::new(path, text, errors, self.shared.indexed)
        })
    }

    pub fn passwd(&self) -> &Read<parse::passwd::Passwd> {
        self.shared.passwd.get_or_init(|| {
            self.read_bytes("/etc/passwd")
                .map(parse::passwd::Passwd::parse)
        })
    }

    /// The accounts of /etc/passwd whose uid lies in `[start, start+count)`, in file order (by binary search over
    /// the uids, sorted once per run).
    pub fn accounts_with_uid_in(
        &self,
        start: u64,
        count: u64,
    ) -> Vec<parse::passwd::PasswdEntry<'_>> {
        let Read::Ok(p) = self.passwd() else {
            return Vec::new();
        };
        with_id_in(p.ids(), self.index(&self.shared.passwd_ids), start, count)
            .into_iter()
            .filter_map(|i| p.get(i))
            .collect()
    }

    /// The groups of /etc/group whose gid lies in `[start, start+count)`, in file order.
    pub fn groups_with_gid_in(&self, start: u64, count: u64) -> Vec<parse::passwd::GroupEntry<'_>> {
        let Read::Ok(g) = self.groups() else {
            return Vec::new();
        };
        with_id_in(g.ids(), self.index(&self.shared.group_ids), start, count)
            .into_iter()
            .filter_map(|i| g.get(i))
            .collect()
    }

    /// The first group of /etc/group called `name` (indexed once per run).
    pub fn group_by_name(&self, name: &str) -> Option<parse::passwd::GroupEntry<'_>> {
        let Read::Ok(g) = self.groups() else {
            return None;
        };
        first_by_name(g.names(), self.index(&self.shared.group_names), name).and_then(|i| g.get(i))
    }

    /// `cell`, the cache of an index, when this run indexes the shared files (see `Shared::indexed`).
    fn index<'a, T>(&self, cell: &'a OnceCell<T>) -> Option<&'a OnceCell<T>> {
        self.shared.indexed.then_some(cell)
    }

    pub fn groups(&self) -> &Read<parse::passwd::Groups> {
        self.shared.groups.get_or_init(|| {
            self.read_uncached("/etc/group")
                .map(parse::passwd::Groups::parse)
        })
    }

    /// The doctor's own mount table (`/proc/self/mountinfo`).
    pub fn mounts(&self) -> &Read<Vec<Mount>> {
        self.shared.mounts.get_or_init(|| {
            self.read_uncached("/proc/self/mountinfo")
                .map(|text| parse::mountinfo::parse(&text).0)
        })
    }

    pub fn uid_map(&self) -> &Read<Vec<IdMapEntry>> {
        self.shared
            .uid_map
            .get_or_init(|| self.id_map("/proc/self/uid_map"))
    }

    pub fn gid_map(&self) -> &Read<Vec<IdMapEntry>> {
        self.shared
            .gid_map
            .get_or_init(|| self.id_map("/proc/self/gid_map"))
    }

    fn id_map(&self, path: &str) -> Read<Vec<IdMapEntry>> {
        self.read(path).map(|text| parse::id_map::parse(&text).0)
    }

    /// The running kernel's configuration text, from `/proc/config.gz` or `/boot/config-RELEASE`,
    /// with the path it came from. Read (and decompressed) only when a check asks.
    fn kernel_config_text(&self) -> &Read<(String, String)> {
        self.shared.kernel_config.get_or_init(|| {
            let mut failure = None;
            // The plain-text file needs no decompression; prefer it when it exists.
            if let Some(release) = &self.kernel_release {
                let path = format!("/boot/config-{release}");
                match self.read_uncached(&path) {
                    Read::Ok(text) => return Read::Ok((path, text)),
                    Read::Failed(e) => failure = Some(format!("{path}: {e}")),
                    Read::Missing => {}
                }
            }
            match self.read_bytes("/proc/config.gz") {
                Read::Ok(gz) => match parse::kernel::decompress_config_gz(&gz) {
                    Ok(text) => return Read::Ok(("/proc/config.gz".to_owned(), text)),
                    Err(e) => failure = Some(format!("/proc/config.gz: {e}")),
                },
                Read::Failed(e) => failure = Some(format!("/proc/config.gz: {e}")),
                Read::Missing => {}
            }
            match failure {
                Some(e) => Read::Failed(e),
                None => Read::Missing,
            }
        })
    }

    /// One option of the running kernel's configuration, with the file it came from;
    /// `None` when no configuration can be read.
    pub fn kernel_option(&self, option: &str) -> Option<(String, parse::kernel::Tristate)> {
        match self.kernel_config_text() {
            Read::Ok((src, text)) => Some((src.clone(), parse::kernel::lookup(text, option))),
            _ => None,
        }
    }

    /// The running kernel's module lists, `/lib/modules/RELEASE/modules.builtin` and `modules.dep`, read once per
    /// run for the checks that ask them about modules (iptables.modules, kernel.config): a distribution kernel's
    /// modules.dep is some 500 KB.
    pub fn kernel_modules(&self) -> &KernelModules {
        self.shared.kernel_modules.get_or_init(|| {
            let release = self.kernel_release.as_deref().unwrap_or_default();
            let list = |file: &str| {
                let path = format!("/lib/modules/{release}/{file}");
                let text = self.read_uncached(&path);
                ModuleList { path, text }
            };
            KernelModules {
                builtin: list("modules.builtin"),
                dep: list("modules.dep"),
            }
        })
    }
}

/// The items whose id lies in `[start, start+count)`, in file order: with `index` (the cache of their sorted ids),
/// by binary search; without, by a pass over them.
fn with_id_in(
    ids: impl ExactSizeIterator<Item = u32>,
    index: Option<&OnceCell<Vec<(u32, usize)>>>,
    start: u64,
    count: u64,
) -> Vec<usize> {
    let Some(index) = index else {
        let end = start.saturating_add(count);
        return ids
            .enumerate()
            .filter(|(_, id)| (start..end).contains(&u64::from(*id)))
            .map(|(i, _)| i)
            .collect();
    };
    in_range(index.get_or_init(|| sorted_ids(ids)), start, count)
}

/// The index of the first item called `name`: with `index` (the cache of each name's first item), by lookup;
/// without, by a pass.
fn first_by_name<'a>(
    mut names: impl ExactSizeIterator<Item = &'a str>,
    index: Option<&OnceCell<FastMap<String, usize>>>,
    name: &str,
) -> Option<usize> {
    let Some(index) = index else {
        return names.position(|n| n == name);
    };
    let names = index.get_or_init(|| {
        let mut map = FastMap::with_capacity_and_hasher(names.len(), Default::default());
        for (i, n) in names.enumerate() {
            map.entry(n.to_owned()).or_insert(i);
        }
        map
    });
    names.get(name).copied()
}

/// `(id, index)` pairs sorted by id.
fn sorted_ids(ids: impl Iterator<Item = u32>) -> Vec<(u32, usize)> {
    let mut v: Vec<(u32, usize)> = ids.enumerate().map(|(i, id)| (id, i)).collect();
    v.sort_unstable();
    v
}

/// The indices, in file order, of the ids of `sorted` inside `[start, start+count)`.
fn in_range(sorted: &[(u32, usize)], start: u64, count: u64) -> Vec<usize> {
    let end = start.saturating_add(count);
    let from = sorted.partition_point(|(id, _)| u64::from(*id) < start);
    let to = sorted.partition_point(|(id, _)| u64::from(*id) < end);
    let mut found: Vec<usize> = sorted[from..to.max(from)].iter().map(|(_, i)| *i).collect();
    found.sort_unstable();
    found
}

fn read_os_release(host: &dyn Host) -> Read<(String, OsRelease)> {
    // os-release(5): /etc/os-release takes precedence; /usr/lib/os-release is the fallback.
    let mut failed = None;
    for path in ["/etc/os-release", "/usr/lib/os-release"] {
        match Read::from_io(host.read_to_string(path)) {
            Read::Ok(text) => {
                return Read::Ok((path.to_owned(), parse::os_release::parse(&text).0));
            }
            Read::Failed(e) => failed = Some(format!("{path}: {e}")),
            Read::Missing => {}
        }
    }
    match failed {
        Some(e) => Read::Failed(e),
        None => Read::Missing,
    }
}

fn target_user(
    host: &dyn Host,
    id: &Identity,
    flag: Option<&str>,
) -> Result<TargetUser, UserError> {
    let make = TargetUser::of_account;
    let lookup = |name: &str| -> Result<UserInfo, UserError> {
        host.user_by_name(name)
            .map_err(|e| UserError::Database(host::describe_error(&e)))?
            .ok_or_else(|| UserError::NoSuchUser(name.to_owned()))
    };
    if let Some(name) = flag {
        if id.euid != 0 {
            return Err(UserError::FlagNeedsRoot);
        }
        return Ok(make(lookup(name)?, UserSource::Flag));
    }
    if id.euid == 0 {
        return match host
            .env("SUDO_USER")
            .filter(|u| !u.is_empty() && u != "root")
        {
            Some(name) => Ok(make(lookup(&name)?, UserSource::Sudo)),
            None => Err(UserError::RootWithoutUser),
        };
    }
    match host.user_by_uid(id.uid) {
        Ok(Some(u)) => Ok(make(u, UserSource::Invoking)),
        // A uid with no passwd entry still runs: name it by number, as `id` does.
        Ok(None) | Err(_) => Ok(TargetUser {
            name: id.uid.to_string(),
            uid: id.uid,
            gid: id.gid,
            home: host.env("HOME").unwrap_or_default(),
            source: UserSource::Invoking,
            known: false,
        }),
    }
}

#[cfg(test)]
pub(crate) mod tests {

    /// A `--root` tree with an /etc/passwd of root and alice (uid 1000, home /home/alice), for facts read from a
    /// real tree.
    #[allow(clippy::disallowed_methods)]
    pub(crate) fn tree_with_alice() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("etc")).unwrap();
        std::fs::write(
            dir.path().join("etc/passwd"),
            "root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/bash\n",
        )
        .unwrap();
        dir
    }

    /// Regression (hostile-user review): fifty mount namespaces a user filled with 10,000 bind mounts each made
    /// `volumes.busy` read every table whole (the kernel writes them as they are read, half a second a megabyte),
    /// again for every account: 98 s for three. A table is read up to MOUNTINFO_MAX (whole lines), all of them up to
    /// MOUNTINFO_BUDGET, once per run.
    #[test]
    #[allow(clippy::disallowed_methods)]
    fn regression_mount_tables_were_read_whole_for_every_account() {
        let dir = tree_with_alice();
        let root = dir.path();
        let line =
            "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue\n";
        let big = line.repeat(MOUNTINFO_MAX / line.len() + 10);
        for pid in 1..=10u32 {
            let d = root.join(format!("proc/{pid}"));
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(
                d.join("mountinfo"),
                if pid == 1 { line } else { big.as_str() },
            )
            .unwrap();
        }
        let host = crate::host::RealHost::new(root).unwrap();
        let facts = Facts::gather(&host, Some("alice"), None).unwrap();
        let small = facts.mountinfo_of(1).unwrap();
        assert!(!small.cut);
        assert_eq!(small.text, Read::Ok(line.to_owned()));
        let first = facts.mountinfo_of(2).unwrap();
        assert!(first.cut);
        let Read::Ok(text) = &first.text else {
            panic!("{first:?}")
        };
        assert!(
            text.len() <= MOUNTINFO_MAX
                && text.ends_with('\n')
                && text.len() > MOUNTINFO_MAX - line.len()
        );
        // Kept: the same answer, not read again.
        assert!(std::rc::Rc::ptr_eq(&first, &facts.mountinfo_of(2).unwrap()));
        // The budget runs out after eight megabytes: the rest are not read.
        let read: Vec<u32> = (3..=10)
            .filter(|&p| facts.mountinfo_of(p).is_some())
            .collect();
        assert_eq!(read.len(), MOUNTINFO_BUDGET / MOUNTINFO_MAX - 1, "{read:?}");
    }
    use super::*;
    use proptest::prelude::*;

    /// A file of one line per range (counts of at least 1: shadow uses no other line), indexed or not.
    fn file(ranges: &[(u8, u64, u64)], indexed: bool) -> SubidFile {
        let text: String = ranges
            .iter()
            .map(|&(owner, start, count)| {
                let owner = ["alice", "bob", "1000", "carol"][usize::from(owner % 4)];
                format!("{owner}:{start}:{count}\n")
            })
            .collect();
        let f = SubidFile::new("/etc/subuid", text, Vec::new(), indexed);
        assert_eq!(f.len(), ranges.len());
        f
    }

    /// Regression (review): a line both unparsable and not UTF-8 listed its "not valid UTF-8" before shadow's reason,
    /// the reverse of the order subid.files had shown.
    #[test]
    fn regression_a_lines_parse_error_comes_before_its_utf8_error() {
        let utf8 = |line| LineError {
            line,
            message: "not valid UTF-8".into(),
        };
        let f = SubidFile::new(
            "/etc/subuid",
            "ok:1:2\na\u{fffd}:1:2 \nb:3\n".into(),
            vec![utf8(2)],
            false,
        );
        let lines: Vec<(usize, bool)> = f
            .errors()
            .iter()
            .map(|e| (e.line, e.message == "not valid UTF-8"))
            .collect();
        assert_eq!(lines, [(2, false), (2, true), (3, false)]);
        assert_eq!(f.len(), 1);
    }

    proptest! {
        /// The sorted index finds exactly the entries a pass over every line finds, in file order.
        #[test]
        fn overlapping_is_the_pass_over_every_line(
            ranges in proptest::collection::vec((any::<u8>(), 0u64..200, 1u64..60), 0..40),
            start in 0u64..260,
            count in 0u64..80,
        ) {
            let slow: Vec<usize> = file(&ranges, false).entries().filter(|e| e.overlaps(start, count)).map(|e| e.line).collect();
            for indexed in [false, true] {
                let fast: Vec<usize> = file(&ranges, indexed).overlapping(start, count).iter().map(|e| e.line).collect();
                prop_assert_eq!(&fast, &slow);
            }
        }

        /// The sorted ids find exactly the ids a pass finds, in file order.
        #[test]
        fn in_range_is_the_pass_over_every_id(
            ids in proptest::collection::vec(0u32..300, 0..50),
            start in 0u64..320,
            count in 0u64..100,
        ) {
            let fast = in_range(&sorted_ids(ids.iter().copied()), start, count);
            let slow: Vec<usize> = ids
                .iter()
                .enumerate()
                .filter(|(_, id)| u64::from(**id) >= start && u64::from(**id) < start.saturating_add(count))
                .map(|(i, _)| i)
                .collect();
            prop_assert_eq!(fast, slow);
        }

        /// The owner index finds exactly the entries `SubidEntry::matches` accepts, in file order.
        #[test]
        fn mine_is_the_pass_over_every_line(
            ranges in proptest::collection::vec((any::<u8>(), 0u64..200, 1u64..60), 0..40),
            who in 0usize..4,
        ) {
            let (name, uid) = [("alice", 1000), ("bob", 1001), ("1000", 1000), ("dave", 7)][who];
            let slow: Vec<usize> = file(&ranges, false).entries().filter(|e| e.matches(name, uid)).map(|e| e.line).collect();
            for indexed in [false, true] {
                let f = file(&ranges, indexed);
                let fast: Vec<usize> = f.mine(name, uid).iter().map(|e| e.line).collect();
                prop_assert_eq!(&fast, &slow);
                // The other lookups by owner and range, both ways.
                let owned: Vec<usize> = f.owned_by(name).iter().filter_map(|&i| f.entry(i)).map(|e| e.line).collect();
                let owned_slow: Vec<usize> = f.entries().filter(|e| e.owner == name).map(|e| e.line).collect();
                prop_assert_eq!(owned, owned_slow);
                for id in [0u64, 30, 150, 199] {
                    let first = f.first_owned_containing(name, id).map(|e| e.line);
                    let first_slow = f.entries().find(|e| e.owner == name && e.contains(id)).map(|e| e.line);
                    prop_assert_eq!(first, first_slow);
                }
                for e in f.entries() {
                    prop_assert_eq!(f.entry_at(e.line), Some(e));
                }
            }
        }
    }

    /// The paths of [`answers_kept_and_inferred_are_the_hosts_own`]'s trees: four levels, three names each, through
    /// the account's home (`/a/b`) and runtime directory (`/run/user/1000`) and beside them.
    fn universe() -> Vec<String> {
        let levels: [[&str; 3]; 4] = [
            ["a", "run", "c"],
            ["b", "user", "x"],
            ["1000", "b", "bin"],
            ["z", "dockerd", "bin"],
        ];
        let mut paths = vec![String::new()];
        let mut all = Vec::new();
        for level in levels {
            paths = paths
                .iter()
                .flat_map(|p| level.iter().map(move |n| format!("{p}/{n}")))
                .collect();
            all.extend(paths.iter().cloned());
        }
        all
    }

    /// Builds the tree below `root`: each path of the universe, in order (parents first), as the kind `kinds` names,
    /// where its parent is a directory inside the tree. Returns nothing; what could not be made is simply not there.
    #[allow(clippy::disallowed_methods)] // makes the test's tree in a temporary directory
    fn build_tree(root: &std::path::Path, kinds: &[(u8, u8)], paths: &[String]) {
        use std::os::unix::fs::PermissionsExt as _;
        let inside = root.canonicalize().expect("the tree's root");
        for (path, &(kind, target)) in paths.iter().zip(kinds.iter().cycle()) {
            let at = root.join(&path[1..]);
            // Regression: a parent that is a link of the tree (`run -> /run/x`) is followed by the machine's own
            // filesystem here, not inside the tree, so the test wrote into the host's /run, /run/user and /c.
            if !at
                .parent()
                .and_then(|p| p.canonicalize().ok())
                .is_some_and(|p| p.starts_with(&inside) && p.is_dir())
            {
                continue;
            }
            let target = &paths[usize::from(target) % paths.len()];
            let _ = match kind % 7 {
                0 | 1 => std::fs::create_dir(&at),
                2 => std::fs::write(&at, "text"),
                3 => std::fs::write(&at, "#!/bin/sh\n").and_then(|()| {
                    std::fs::set_permissions(&at, std::fs::Permissions::from_mode(0o755))
                }),
                // Absolute (resolved inside the tree), relative, or up and out.
                4 => std::os::unix::fs::symlink(target, &at),
                5 => std::os::unix::fs::symlink(format!("..{target}"), &at),
                _ => Ok(()),
            };
        }
    }

    /// An account of the tests below: gid 1000, shell /bin/sh.
    fn account(name: &str, uid: u32, home: &str) -> UserInfo {
        UserInfo {
            name: name.into(),
            uid,
            gid: 1000,
            home: home.into(),
            shell: "/bin/sh".into(),
        }
    }

    /// Regression (found by `answers_kept_and_inferred_are_the_hosts_own` while it was written): `access` below a
    /// directory known to be missing was answered "missing", where a tree's host answers that it cannot judge.
    #[test]
    fn regression_access_below_a_missing_directory_is_the_trees_unknown() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let host = crate::host::real::RealHost::new(dir.path()).expect("the tree opens");
        let shared = Shared::for_every_account(&host);
        let account = account("alice", 1000, "/home/alice");
        let facts = Facts::for_account(&host, &shared, &account).expect("facts");
        assert_eq!(facts.lstat("/home/alice"), Read::Missing);
        assert!(
            matches!(
                facts.access("/home/alice/.config", Access::CREATE_IN),
                Read::Ok(Permission::Unknown(_))
            ),
            "{:?}",
            facts.access("/home/alice/.config", Access::CREATE_IN)
        );
        // What the inference is for: the home's files are missing without a question to the host.
        assert_eq!(
            facts.read("/home/alice/.config/docker/daemon.json"),
            Read::Missing
        );
        assert!(
            facts
                .memo
                .as_ref()
                .is_some_and(|m| m.absent.borrow().contains("/home/alice"))
        );
    }

    /// Over every account of a tree, a user unit found in the system-wide directories alone (the account has no
    /// home or runtime directory) is assembled once and given to every such account, and is the unit the whole
    /// search path finds; an account with its own unit, or its own drop-in, still gets its own.
    #[test]
    #[allow(clippy::disallowed_methods)] // makes the test's tree in a temporary directory
    fn a_user_unit_of_the_system_directories_alone_is_the_whole_search_paths() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let put = |path: &str, text: &str| {
            let path = dir.path().join(path.trim_start_matches('/'));
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        put(
            "/usr/lib/systemd/user/docker.service",
            "[Service]\nExecStart=/usr/bin/dockerd-rootless.sh\n",
        );
        put(
            "/etc/systemd/user/docker.service.d/env.conf",
            "[Service]\nEnvironment=A=1\n",
        );
        put(
            "/home/own/.config/systemd/user/docker.service",
            "[Service]\nExecStart=/home/own/bin/dockerd-rootless.sh\n",
        );
        put(
            "/home/dropin/.config/systemd/user/docker.service.d/mine.conf",
            "[Service]\nEnvironment=B=2\n",
        );
        std::fs::create_dir_all(dir.path().join("home/empty")).unwrap();
        let host = crate::host::real::RealHost::new(dir.path()).expect("the tree opens");
        let shared = Shared::for_every_account(&host);
        let files = |unit: &Read<units::Unit>| -> Vec<String> {
            match unit {
                Read::Ok(u) => u.paths().iter().map(|p| (*p).to_owned()).collect(),
                other => panic!("{other:?}"),
            }
        };
        let system = vec![
            "/usr/lib/systemd/user/docker.service".to_owned(),
            "/etc/systemd/user/docker.service.d/env.conf".to_owned(),
        ];
        for (name, uid, home, expected) in [
            ("gone", 1001, "/home/gone", system.clone()),
            ("gone2", 1002, "/nonexistent", system.clone()),
            ("empty", 1003, "/home/empty", system.clone()),
            (
                "own",
                1004,
                "/home/own",
                vec![
                    "/home/own/.config/systemd/user/docker.service".to_owned(),
                    "/etc/systemd/user/docker.service.d/env.conf".to_owned(),
                ],
            ),
            (
                "dropin",
                1005,
                "/home/dropin",
                vec![
                    // Drop-ins in file-name order, whichever directory holds them.
                    "/usr/lib/systemd/user/docker.service".to_owned(),
                    "/etc/systemd/user/docker.service.d/env.conf".to_owned(),
                    "/home/dropin/.config/systemd/user/docker.service.d/mine.conf".to_owned(),
                ],
            ),
        ] {
            let facts =
                Facts::for_account(&host, &shared, &account(name, uid, home)).expect("facts");
            let unit = facts.user_docker_service();
            assert_eq!(files(unit), expected, "{name}");
            // The same as a one-user run's search of every directory.
            let alone = Facts::with_user(
                &host,
                Shared::read(&host),
                None,
                host.identity(),
                TargetUser::of_account(account(name, uid, home), UserSource::Flag),
            );
            assert_eq!(
                files(&alone.user_unit("docker.service")),
                expected,
                "{name}"
            );
        }
        // Assembled once, for the accounts without their own directories.
        assert_eq!(
            shared.user_units.borrow().keys().collect::<Vec<_>>(),
            ["docker.service"]
        );
    }

    /// Regression (review): in a tree, an account whose home is relative had no anchor, and every path it asked,
    /// its home's too, was kept for every account: memory grew with the accounts by every home's paths (20.7 MB to
    /// 51.6 MB for 10,000 such accounts). What is kept for every account is a system path, or a path outside an
    /// absolute home and the runtime directory.
    #[test]
    fn regression_an_accounts_own_paths_are_not_kept_for_every_account() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let host = crate::host::real::RealHost::new(dir.path()).expect("the tree opens");
        let shared = Shared::for_every_account(&host);
        let kept = |path: &str| shared.memo.read.borrow().contains_key(path);
        for (home, own, elsewhere) in [
            ("home/rel", "home/rel/.config/docker/daemon.json", None),
            ("", "/.config/docker/daemon.json", None),
            (
                "/home/abs",
                "/home/abs/.config/docker/daemon.json",
                Some("/var/lib/systemd/linger/abs"),
            ),
        ] {
            let account = account("someone", 1000, home);
            let facts = Facts::for_account(&host, &shared, &account).expect("facts");
            assert_eq!(facts.read(own), Read::Missing);
            assert_eq!(facts.read("/run/user/1000/docker.sock"), Read::Missing);
            assert!(!kept(own), "{own} kept for every account (home {home:?})");
            assert!(!kept("/run/user/1000/docker.sock"));
            if let Some(path) = elsewhere {
                assert_eq!(facts.read(path), Read::Missing);
                assert!(
                    kept(path),
                    "{path} outside an absolute home is kept for every account"
                );
            }
            // A system path is kept for every account whatever the home.
            assert_eq!(facts.read("/etc/docker/daemon.json"), Read::Missing);
            assert!(kept("/etc/docker/daemon.json"));
        }
    }

    /// Regression: the files whose parse (or text) `Shared` keeps were also kept by the memo, which hands out a copy
    /// of each answer: a kernel's 300 KB configuration and 500 KB modules.dep were in memory three to five times
    /// (once more per check that asked), and their pages cost a one-user preflight 0.4 ms on a distribution kernel's
    /// tree. They are read once, kept once, and borrowed.
    #[test]
    #[allow(clippy::disallowed_methods)] // makes the test's tree in a temporary directory
    fn regression_files_kept_parsed_are_not_kept_again_by_the_memo() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let write = |path: &str, text: &str| {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().expect("a parent")).expect("its directory");
            std::fs::write(path, text).expect("the file");
        };
        write("proc/sys/kernel/osrelease", "6.1.0-test\n");
        write("etc/group", "root:x:0:\ndocker:x:999:alice\n");
        write("boot/config-6.1.0-test", "CONFIG_NF_TABLES=m\n");
        write(
            "lib/modules/6.1.0-test/modules.dep",
            "kernel/net/netfilter/nf_tables.ko.xz: kernel/net/netfilter/nfnetlink.ko.xz\n",
        );
        write(
            "lib/modules/6.1.0-test/modules.builtin",
            "kernel/fs/overlay/overlay.ko\n",
        );
        let host = crate::host::real::RealHost::new(dir.path()).expect("the tree opens");
        let shared = Shared::for_every_account(&host);
        let kept_parsed = [
            "/etc/group",
            "/boot/config-6.1.0-test",
            "/lib/modules/6.1.0-test/modules.dep",
            "/lib/modules/6.1.0-test/modules.builtin",
            "/proc/self/mountinfo",
        ];
        for name in ["alice", "bob"] {
            let facts =
                Facts::for_account(&host, &shared, &account(name, 1000, "/home/x")).expect("facts");
            assert!(matches!(facts.groups(), Read::Ok(_)));
            assert_eq!(
                facts.kernel_option("NF_TABLES"),
                Some((
                    "/boot/config-6.1.0-test".to_owned(),
                    parse::kernel::Tristate::Module
                ))
            );
            let lists = facts.kernel_modules();
            assert!(lists.dep.names("nf_tables") && !lists.dep.names("nfnetlink"));
            assert!(lists.builtin.names("overlay"));
            let _ = facts.mounts();
            for path in kept_parsed {
                let own = facts.memo.as_ref().expect("an account's memo");
                assert!(
                    !shared.memo.read.borrow().contains_key(path)
                        && !own.read.borrow().contains_key(path),
                    "{path} is kept by the memo as well as parsed"
                );
            }
        }
    }

    /// /etc/subgid holding /etc/subuid's bytes (useradd's usual allocation) shares its parse, whichever is read
    /// first, and still answers as itself: its own path, in RootlessKit's errors too; different bytes, or a first file
    /// whose text is not its bytes (a line not UTF-8, read lossily), are parsed on their own.
    #[test]
    #[allow(clippy::disallowed_methods)]
    fn identical_subid_files_share_one_parse_and_keep_their_paths() {
        let same =
            "alice:100000:65536\nbob:165536:65536\n# comment\nbad line\nalice:231072:65536\n";
        let cases: [(&[u8], &[u8], bool); 3] = [
            (same.as_bytes(), same.as_bytes(), true),
            (
                same.as_bytes(),
                b"alice:100000:65536\nbob:165536:65537\n",
                false,
            ),
            // The first file's invalid byte reads as U+FFFD, which the second holds as written.
            (
                b"alice:100000:65536\nb\xffb:1:2\n",
                "alice:100000:65536\nb\u{fffd}b:1:2\n".as_bytes(),
                false,
            ),
        ];
        for (uid_bytes, gid_bytes, shared_parse) in cases {
            for indexed in [false, true] {
                for gid_first in [false, true] {
                    let dir = tempfile::tempdir().expect("a temporary directory");
                    std::fs::create_dir_all(dir.path().join("etc")).expect("etc");
                    std::fs::write(dir.path().join("etc/subuid"), uid_bytes).expect("subuid");
                    std::fs::write(dir.path().join("etc/subgid"), gid_bytes).expect("subgid");
                    let host =
                        crate::host::real::RealHost::new(dir.path()).expect("the tree opens");
                    let shared = Shared::new(&host, indexed);
                    let facts =
                        Facts::for_account(&host, &shared, &account("alice", 1000, "/home/alice"))
                            .expect("facts");
                    let (u, g) = if gid_first {
                        let g = facts.subgid();
                        (facts.subuid(), g)
                    } else {
                        let u = facts.subuid();
                        (u, facts.subgid())
                    };
                    let (Read::Ok(u), Read::Ok(g)) = (u, g) else {
                        panic!("both files read");
                    };
                    let case = format!(
                        "{uid_bytes:?} / {gid_bytes:?}, indexed {indexed}, subgid first {gid_first}"
                    );
                    assert_eq!(Rc::ptr_eq(&u.lines, &g.lines), shared_parse, "{case}");
                    assert_eq!((u.path, g.path), ("/etc/subuid", "/etc/subgid"), "{case}");
                    // Each answers as a file parsed on its own would.
                    for (file, path, bytes) in
                        [(u, "/etc/subuid", uid_bytes), (g, "/etc/subgid", gid_bytes)]
                    {
                        let alone = SubidFile::new(
                            path,
                            String::from_utf8_lossy(bytes).into_owned(),
                            file.errors()
                                .iter()
                                .filter(|e| e.message == "not valid UTF-8")
                                .cloned()
                                .collect(),
                            indexed,
                        );
                        assert_eq!(file.errors(), alone.errors(), "{case}: {path}");
                        assert_eq!(file.lines.text, alone.lines.text, "{case}: {path}");
                        assert_eq!(
                            file.mine("alice", 1000),
                            alone.mine("alice", 1000),
                            "{case}: {path}"
                        );
                        assert_eq!(
                            file.overlapping(0, 200_000),
                            alone.overlapping(0, 200_000),
                            "{case}: {path}"
                        );
                        let user = facts.user.clone();
                        assert_eq!(
                            file.rootlesskit_static(&user),
                            alone.rootlesskit_static(&user),
                            "{case}: {path}"
                        );
                    }
                    // RootlessKit's static parser stops at the malformed line, naming its file.
                    if shared_parse {
                        let user = facts.user.clone();
                        let (eu, eg) = (u.rootlesskit_static(&user), g.rootlesskit_static(&user));
                        assert!(
                            eu.as_ref().is_err_and(|e| e.contains("/etc/subuid")),
                            "{case}: {eu:?}"
                        );
                        assert!(
                            eg.as_ref().is_err_and(|e| e.contains("/etc/subgid")),
                            "{case}: {eg:?}"
                        );
                    }
                }
            }
        }
        // Whoever made the first file's text, one holding U+FFFD may be a lossy reading: never taken for bytes.
        let lossy = "alice:100000:65536\nb\u{fffd}b:1:2\n";
        let first = SubidFile::new("/etc/subuid", lossy.to_owned(), Vec::new(), false);
        assert!(first.if_same("/etc/subgid", lossy.as_bytes()).is_none());
        let plain = "alice:100000:65536\n";
        let first = SubidFile::new("/etc/subuid", plain.to_owned(), Vec::new(), false);
        assert!(first.if_same("/etc/subgid", plain.as_bytes()).is_some());
    }

    /// A tree's host as a bare chroot without `/proc` shows it: `canonicalize` and `xattr`, which go through this
    /// machine's `/proc/self/fd`, find nothing, even for a path that is there (found by review: a "missing" from
    /// them was taken for the path's absence, and hid a daemon's lock file below a state directory).
    struct WithoutProc(crate::host::real::RealHost);

    impl Host for WithoutProc {
        fn root_display(&self) -> String {
            self.0.root_display()
        }
        fn is_live(&self) -> bool {
            self.0.is_live()
        }
        fn read(&self, path: &str) -> io::Result<Vec<u8>> {
            self.0.read(path)
        }
        fn lstat(&self, path: &str) -> io::Result<Meta> {
            self.0.lstat(path)
        }
        fn stat(&self, path: &str) -> io::Result<Meta> {
            self.0.stat(path)
        }
        fn read_link(&self, path: &str) -> io::Result<String> {
            self.0.read_link(path)
        }
        fn canonicalize(&self, _: &str) -> io::Result<String> {
            Err(io::ErrorKind::NotFound.into())
        }
        fn read_dir(&self, path: &str) -> io::Result<Vec<String>> {
            self.0.read_dir(path)
        }
        fn xattr(&self, _: &str, _: &str) -> io::Result<Option<Vec<u8>>> {
            Err(io::ErrorKind::NotFound.into())
        }
        fn fs_magic(&self, path: &str) -> io::Result<u64> {
            self.0.fs_magic(path)
        }
        fn fs_space(&self, path: &str) -> io::Result<crate::host::Space> {
            self.0.fs_space(path)
        }
        fn access(&self, path: &str, want: Access) -> io::Result<()> {
            self.0.access(path, want)
        }
        fn env(&self, name: &str) -> Option<String> {
            self.0.env(name)
        }
        fn env_vars(&self) -> Vec<(String, String)> {
            self.0.env_vars()
        }
        fn identity(&self) -> Identity {
            self.0.identity()
        }
        fn user_by_name(&self, name: &str) -> io::Result<Option<UserInfo>> {
            self.0.user_by_name(name)
        }
        fn user_by_uid(&self, uid: u32) -> io::Result<Option<UserInfo>> {
            self.0.user_by_uid(uid)
        }
        fn run(&self, argv: &[&str]) -> io::Result<crate::host::CommandOutput> {
            self.0.run(argv)
        }
        fn http_get_unix(
            &self,
            socket: &str,
            path: &str,
        ) -> io::Result<crate::parse::http::Response> {
            self.0.http_get_unix(socket, path)
        }
        fn unix_listens(&self, socket: &str) -> io::Result<()> {
            self.0.unix_listens(socket)
        }
        fn kernel_log(&self) -> io::Result<Vec<u8>> {
            self.0.kernel_log()
        }
    }

    /// Regression (review): below a tree without `/proc`, `canonicalize` of a daemon's state directory found
    /// nothing, that was taken for the directory's absence, and its lock file was then answered missing (the daemon
    /// holding it went unreported).
    #[test]
    #[allow(clippy::disallowed_methods)] // makes the test's tree in a temporary directory
    fn regression_a_canonicalize_that_finds_nothing_hides_nothing_below() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        std::fs::create_dir_all(dir.path().join("run/user/1000/dockerd-rootless"))
            .expect("a directory");
        std::fs::write(dir.path().join("run/user/1000/dockerd-rootless/lock"), "").expect("a file");
        let host =
            WithoutProc(crate::host::real::RealHost::new(dir.path()).expect("the tree opens"));
        let shared = Shared::for_every_account(&host);
        let account = account("tester", 1000, "/home/tester");
        let facts = Facts::for_account(&host, &shared, &account).expect("facts");
        let state = "/run/user/1000/dockerd-rootless";
        assert_eq!(facts.canonicalize(state), Read::Missing);
        assert_eq!(facts.xattr(state, "user.x"), Read::Missing);
        assert!(
            matches!(facts.lstat(&format!("{state}/lock")), Read::Ok(m) if m.kind == FileKind::File)
        );
    }

    /// The homes of the accounts the property test judges on one `Shared`: nested, equal to the runtime directory,
    /// `/`, relative, empty, with `//`, `/.` and a trailing `/`.
    const HOMES: [&str; 8] = [
        "/a/b",
        "/a",
        "/run/user/1000",
        "/",
        "a/b",
        "",
        "/a//b/.",
        "/c/x/",
    ];

    /// The `shape`th variant of `base` the property test asks about.
    fn shaped(base: &str, shape: u8) -> String {
        match shape {
            0 => base.to_owned(),
            1 => format!("{base}/"),
            2 => format!("{base}/../z"),
            3 => format!("{base}/dockerd"),
            4 => format!("{base}//bin"),
            5 => format!("{base}/."),
            6 => format!("{base}/.."),
            7 => base.trim_start_matches('/').to_owned(),
            8 => format!("/..{base}"),
            9 => format!("{base}/./b/../bin"),
            10 => String::new(),
            _ => format!("{base}/b/1000/z"),
        }
    }

    /// Asks `facts` and `host` the same question, `op` of 12, and says where they differ.
    fn same_answer(
        facts: &Facts,
        host: &dyn Host,
        op: u8,
        p: &str,
        base: &str,
    ) -> Result<(), String> {
        let missing =
            |r: io::Result<()>| matches!(r, Err(e) if e.kind() == io::ErrorKind::NotFound);
        // The kept answer and the host's own, as text.
        macro_rules! pair {
            ($kept:expr, $own:expr) => {
                (format!("{:?}", $kept), format!("{:?}", Read::from_io($own)))
            };
        }
        let (kept, own) = match op {
            0 => pair!(facts.read(p), host.read_to_string(p)),
            1 => pair!(facts.read_bytes(p), host.read(p)),
            2 => pair!(facts.lstat(p), host.lstat(p)),
            3 => pair!(facts.stat(p), host.stat(p)),
            4 => pair!(facts.fs_magic(p), host.fs_magic(p)),
            5 => pair!(facts.canonicalize(p), host.canonicalize(p)),
            6 => pair!(facts.read_link(p), host.read_link(p)),
            7 => pair!(facts.read_dir(p), host.read_dir(p)),
            8 => (
                format!(
                    "{:?}",
                    matches!(facts.access(p, Access::CREATE_IN), Read::Missing)
                ),
                format!("{:?}", missing(host.access(p, Access::CREATE_IN))),
            ),
            9 => pair!(facts.xattr(p, "user.x"), host.xattr(p, "user.x")),
            // The room left moves with the machine's other writers: whether there is an answer, and the inodes.
            10 => (
                format!("{:?}", facts.fs_space(p).map(|s| s.files)),
                format!("{:?}", Read::from_io(host.fs_space(p)).map(|s| s.files)),
            ),
            _ => {
                // `first_in` over a PATH of an account's `~/bin`, the path asked, `/` and an empty entry: the first
                // executable regular file, by the host's stat.
                let dirs: Vec<String> = ["/a/b/bin", base, p, "/c/x/bin", "", "/"]
                    .map(str::to_owned)
                    .to_vec();
                let expected = dirs
                    .iter()
                    .map(|d| format!("{}/dockerd", d.trim_end_matches('/')))
                    .find(|c| matches!(host.stat(c), Ok(m) if m.kind == FileKind::File && m.mode & 0o111 != 0));
                (
                    format!("{:?}", facts.first_in("dockerd", &dirs)),
                    format!("{expected:?}"),
                )
            }
        };
        if kept == own {
            Ok(())
        } else {
            Err(format!(
                "op {op} on {p:?}: kept or inferred {kept}, the host's own {own}"
            ))
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// The run over every account keeps answers by path, shares them between accounts, infers a missing
        /// directory's descendants and asks an account's anchors first: on random trees with dangling, relative
        /// and looping symlinks, for accounts of every kind of home and the host's own facts on one `Shared`, every
        /// call answers what the host itself answers at that moment, whatever the order of the questions; and so
        /// on a host whose `canonicalize` and `xattr` find nothing (a tree without `/proc`).
        #[test]
        fn answers_kept_and_inferred_are_the_hosts_own(
            kinds in proptest::collection::vec((any::<u8>(), any::<u8>()), 1..120),
            asks in proptest::collection::vec((0u8..12, any::<u16>(), 0u8..12, any::<u8>()), 1..150),
            without_proc in any::<bool>(),
        ) {
            let dir = tempfile::tempdir().expect("a temporary directory");
            let paths = universe();
            build_tree(dir.path(), &kinds, &paths);
            let real = crate::host::real::RealHost::new(dir.path()).expect("the tree opens");
            let host: Box<dyn Host> = if without_proc { Box::new(WithoutProc(real)) } else { Box::new(real) };
            let host = host.as_ref();
            let shared = Shared::for_every_account(host);
            let mut all: Vec<Facts> = HOMES
                .iter()
                .enumerate()
                .map(|(i, home)| {
                    let uid = if *home == "/run/user/1000" { 1000 } else { 1001 + i as u32 };
                    let account = account(&format!("u{i}"), uid, home);
                    Facts::for_account(host, &shared, &account).expect("facts")
                })
                .collect();
            all.push(Facts::for_host(host, &shared));
            // Half the questions are about what is there (symlinks, dangling or not, most of all), asked in turn by
            // several calls.
            let there: Vec<&String> = paths.iter().filter(|p| host.lstat(p).is_ok()).collect();
            for &(op, at, shape, who) in &asks {
                let facts = &all[usize::from(who) % all.len()];
                let base = match there.len() {
                    n if n > 0 && at % 2 == 0 => there[usize::from(at / 2) % n],
                    _ => &paths[usize::from(at) % paths.len()],
                };
                let p = shaped(base, shape);
                if let Err(e) = same_answer(facts, host, op, &p, base) {
                    prop_assert!(false, "{} (account {})", e, usize::from(who) % all.len());
                }
            }
        }
    }
}
