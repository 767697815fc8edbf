//! The host sidecar: what a fixture directory tree cannot hold.
//!
//! A fixture host is a directory tree (`etc/`, `proc/sys/`, `sys/fs/cgroup/`, `usr/bin/`, …) plus one TOML file,
//! conventionally `host.toml` beside the tree. The format is the project's own and stable:
//! later tools record real hosts into it, so fields are only ever added, and `schema` says which version wrote it.
//!
//! ```toml
//! schema = 1
//! description = "Ubuntu 24.04, stock, user alice logged in through pam_systemd"
//!
//! [identity]            # the process the doctor runs as
//! uid = 1000
//! gid = 1000
//! euid = 1000           # optional, defaults to uid
//! groups = [1000, 27]   # supplementary groups of the process
//!
//! [env]                 # the complete environment; nothing else is visible
//! HOME = "/home/alice"
//! XDG_RUNTIME_DIR = "/run/user/1000"
//!
//! [statfs]              # mount point -> filesystem (a name from `fsmagic`, or a number); the longest prefix wins
//! "/" = "ext4"          # the default for "/" when absent is ext4
//! "/sys/fs/cgroup" = "cgroup2"
//!
//! [space."/run/user/1000"]      # room left on a mount (longest prefix wins; without an entry: 16 GiB, inodes not counted)
//! avail = 0                     # bytes an unprivileged writer may still use
//! files = 1000                  # inodes in all (0: not counted)
//! files_free = 10
//!
//! [files."/usr/bin/newuidmap"]   # metadata git cannot keep: owner, setuid bits, sockets, empty dirs
//! mode = 0o4755
//! uid = 0
//! gid = 0
//!
//! [files."/run/user/1000/bus"]   # a path that exists only in the sidecar needs a kind
//! kind = "socket"
//! mode = 0o666
//! uid = 1000
//!
//! [files."/dev/net/tun"]         # a device's number, [major, minor]; without it the number is unknown
//! kind = "chardevice"
//! device = [10, 200]
//!
//! [files."/usr/bin/dockerd"]      # a file whose content the tree does not hold (a capture keeps what was read)
//! size = 81234567
//!
//! [files."/proc/1/environ"]      # reading it fails with this errno (a name or a number); stat still works
//! read_error = "EACCES"
//!
//! [files."/root/.docker"]        # every access fails with this errno
//! error = "EACCES"
//!
//! [files."/run/user/1000/dbus-stale"]  # a socket whose connect(2) fails with this errno (nobody listens)
//! kind = "socket"
//! connect_error = "ECONNREFUSED"
//!
//! [[users]]                      # an account the user database answers beyond /etc/passwd (LDAP, sssd)
//! name = "carol"
//! uid = 5001
//! gid = 5001
//! home = "/home/carol"
//! shell = "/bin/bash"
//!
//! [xattrs."/usr/bin/newuidmap"]  # hex of the raw attribute value
//! "security.capability" = "0100000280000000000000000000000000000000"
//!
//! [[commands]]          # recorded outputs, matched on the exact argv
//! argv = ["slirp4netns", "--version"]
//! status = 0
//! stdout = "slirp4netns version 1.2.0\n"
//!
//! [[commands]]          # a bounded run (`Host::run_bounded`, the trial launch) is matched on its argv too
//! argv = ["/usr/bin/rootlesskit", "--net=slirp4netns", "true"]
//! status = 1
//! stderr = "[rootlesskit:parent] error: …\n"
//! elapsed_ms = 27       # how long it took (bounded runs only; default 0)
//! timed_out = false     # true: killed at its deadline (then `status` is not used)
//! ready = false         # true: its readiness socket answered and the runner stopped it (the start trial)
//!
//! [[http]]              # recorded API answers over Unix sockets, matched on socket and path
//! socket = "/run/user/1000/docker.sock"
//! path = "/_ping"
//! status = 200
//! body = "OK"
//!
//! [[http]]              # with the answer's headers (names lowercased), as a capture records them
//! socket = "/run/user/1000/docker.sock"
//! path = "/version"
//! body = "{}"
//! headers = [["api-version", "1.41"], ["content-type", "application/json"]]
//!
//! [[http]]              # or a connection error: "refused" (stale socket), "denied", "missing", "timeout"
//! socket = "/var/run/docker.sock"
//! path = "/_ping"
//! error = "denied"
//!
//! [[tcp]]               # a TCP endpoint's answer (DOCKER_HOST=tcp://…, ssh://…), matched on ip:port
//! address = "127.0.0.1:4200"
//! reply = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK"
//! silent = false        # true: nothing (more) came before the deadline
//! # error = "refused"   # or "timeout" (the connect got no answer), "unreachable"
//! ```
//!
//! Tree files without a `[files]` entry are owned by root:root; their mode is normalised to
//! 0755 (executable) or 0644 and directories to 0755, so a checkout's umask never changes a verdict. The parent
//! directories of a `[files]` entry that is not in the tree exist (root's, 0755), as they would on a host.
//!
//! # Overlays
//!
//! A fixture that differs from another in a few places names it as its `base` and holds only the differences.
//! These keys are additions to schema 1 (a sidecar without them means what it always meant):
//!
//! ```toml
//! schema = 1
//! base = "debian-12"    # the fixture directory beside this one: ../debian-12/host.toml and its root/
//! description = "debian-12-no-subid: useradd ran without subordinate ids"
//!
//! [overlay]
//! remove = ["/etc/subgid", "/run/user/1000/bus"]  # host paths of the base that this host lacks
//! unset_env = ["DBUS_SESSION_BUS_ADDRESS"]         # variables of the base's environment this host lacks
//!
//! [tree."/etc/subuid"]  # a file of this host's tree, given here instead of below root/
//! text = "bob:100000:65536\n"
//!
//! [tree."/usr/bin/rootlesskit"]
//! text = ""
//! executable = true     # normalised to 0755 like an executable tree file
//!
//! [tree."/etc/resolv.conf"]
//! link = "../run/systemd/resolve/stub-resolv.conf"   # a symbolic link
//!
//! [tree."/srv/empty"]
//! dir = true            # an empty directory (a file's parent directories need no entry)
//! ```
//!
//! The host is the base's host with this sidecar on top, in this order:
//!
//! - tree: the base's merged tree, minus each `overlay.remove` path and everything below it, then this
//!   fixture's `root/` on top, then its `[tree]` entries on top of that. A path takes its content from the
//!   topmost layer that has it; a directory lists the names of every layer where it is a directory, down to
//!   the first layer where the path is not a directory (like overlayfs). `--root` replaces this fixture's
//!   `root/`, never a base's.
//! - `description`, `identity`: this sidecar's when given (`identity` as a whole table), else the base's;
//!   a sidecar without a base must give `identity`.
//! - `env`, `statfs`, `space`, `files`, `xattrs`: key by key, this sidecar's entry replacing the base's entry with the
//!   same key whole (a `[files]` entry is not merged field by field, nor an `[xattrs]` path's attributes);
//!   `overlay.unset_env` drops variables of the base first, and `overlay.remove` drops the base's
//!   `files` and `xattrs` entries at or below each removed path.
//! - `commands`, `http`: this sidecar's recordings first, then the base's whose argv (for `http`: socket and
//!   path) this sidecar does not record; `overlay.remove` drops the base's `http` recordings on sockets at or
//!   below a removed path.
//!
//! A base may have a base of its own; a chain that comes back to a sidecar it started from is an error, as is
//! a base that cannot be read; either names this sidecar and the line of its `base`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::FileKind;

pub const SCHEMA: u32 = 1;

/// One sidecar file as written. With a `base`, it is a layer over the base's host ([`Sidecar::merge_onto`]).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Sidecar {
    pub schema: u32,
    /// The fixture directory beside this sidecar's own whose host this one is a layer over.
    #[serde(default)]
    pub base: Option<toml::Spanned<String>>,
    #[serde(default)]
    pub description: Option<String>,
    /// Required without a base.
    #[serde(default)]
    pub identity: Option<SidecarIdentity>,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    #[serde(default)]
    pub statfs: BTreeMap<String, Magic>,
    #[serde(default)]
    pub space: BTreeMap<String, SidecarSpace>,
    #[serde(default)]
    pub files: BTreeMap<String, FileOverride>,
    #[serde(default)]
    pub xattrs: BTreeMap<String, BTreeMap<String, String>>,
    #[serde(default)]
    pub commands: Vec<RecordedCommand>,
    #[serde(default)]
    pub http: Vec<RecordedHttp>,
    #[serde(default)]
    pub tcp: Vec<RecordedTcp>,
    /// Accounts answered beyond /etc/passwd.
    #[serde(default)]
    pub users: Vec<RecordedUser>,
    #[serde(default)]
    pub overlay: Overlay,
    /// Files of the tree given inline, on top of the fixture's `root/`.
    #[serde(default)]
    pub tree: BTreeMap<String, TreeEntry>,
}

/// What a layer takes away from its base.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Overlay {
    /// Host paths of the base (tree entries with everything below them, `files`, `xattrs` and `http` entries).
    #[serde(default)]
    pub remove: Vec<String>,
    /// Variables of the base's environment.
    #[serde(default)]
    pub unset_env: Vec<String>,
}

/// A file, link or empty directory of the tree, given in the sidecar.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TreeEntry {
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub link: Option<String>,
    #[serde(default)]
    pub dir: bool,
    #[serde(default)]
    pub executable: bool,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RecordedHttp {
    pub socket: String,
    pub path: String,
    #[serde(default = "ok_status")]
    pub status: u16,
    #[serde(default)]
    pub body: String,
    /// A connection error instead of an answer.
    #[serde(default)]
    pub error: Option<HttpError>,
    /// The answer's headers (names lowercased), when recorded; else only `content-length`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<[String; 2]>,
}

/// A recorded exchange with a TCP endpoint (`Host::tcp_exchange`), matched on `ip:port`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RecordedTcp {
    /// `127.0.0.1:4200`, `[::1]:22`.
    pub address: String,
    /// What the peer sends back.
    #[serde(default)]
    pub reply: String,
    /// The peer says nothing (more) before the deadline.
    #[serde(default)]
    pub silent: bool,
    /// A connection error instead: "refused", "timeout" (the connect got no answer), "unreachable".
    #[serde(default)]
    pub error: Option<TcpError>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TcpError {
    Refused,
    Timeout,
    Unreachable,
}

fn ok_status() -> u16 {
    200
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HttpError {
    Refused,
    Denied,
    Missing,
    Timeout,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SidecarIdentity {
    pub uid: u32,
    pub gid: u32,
    #[serde(default)]
    pub euid: Option<u32>,
    #[serde(default)]
    pub groups: Vec<u32>,
}

/// The room left on a filesystem (`statfs(2)`'s `f_bavail * f_bsize`, `f_files`, `f_ffree`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SidecarSpace {
    pub avail: u64,
    #[serde(default)]
    pub files: u64,
    #[serde(default)]
    pub files_free: u64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(untagged)]
pub enum Magic {
    Name(String),
    Number(u64),
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FileOverride {
    #[serde(default)]
    pub kind: Option<FileKind>,
    #[serde(default)]
    pub mode: Option<u32>,
    #[serde(default)]
    pub uid: Option<u32>,
    #[serde(default)]
    pub gid: Option<u32>,
    /// A device's number, `[major, minor]` (`/dev/net/tun` is `[10, 200]`).
    #[serde(default)]
    pub device: Option<[u32; 2]>,
    /// The size `stat` reports, for a file whose content the tree does not hold (a capture keeps only what was read).
    #[serde(default)]
    pub size: Option<u64>,
    /// Every access to the path fails with this errno (`"EACCES"`, `"EPERM"`, or a number): a path below a directory
    /// the reader could not search.
    #[serde(default)]
    pub error: Option<Errno>,
    /// The path can be stat'ed, but reading or listing it fails with this errno (someone else's `/proc/PID/environ`).
    #[serde(default)]
    pub read_error: Option<Errno>,
    /// A socket that `connect(2)` refuses with this errno (`"ECONNREFUSED"`: the file stayed, nobody listens); a
    /// socket without it accepts.
    #[serde(default)]
    pub connect_error: Option<Errno>,
}

/// An errno in a sidecar: its name (`"EACCES"`) or its number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Errno(pub i32);

/// The errno names a sidecar may use.
const ERRNO_NAMES: &[(&str, nix::errno::Errno)] = &[
    ("EACCES", nix::errno::Errno::EACCES),
    ("EPERM", nix::errno::Errno::EPERM),
    ("ENOENT", nix::errno::Errno::ENOENT),
    ("EIO", nix::errno::Errno::EIO),
    ("ENXIO", nix::errno::Errno::ENXIO),
    ("ELOOP", nix::errno::Errno::ELOOP),
    ("EINVAL", nix::errno::Errno::EINVAL),
    ("ENOTDIR", nix::errno::Errno::ENOTDIR),
    ("EISDIR", nix::errno::Errno::EISDIR),
    ("ESRCH", nix::errno::Errno::ESRCH),
    ("EFBIG", nix::errno::Errno::EFBIG),
    ("ENAMETOOLONG", nix::errno::Errno::ENAMETOOLONG),
    ("EOPNOTSUPP", nix::errno::Errno::EOPNOTSUPP),
    ("ECONNREFUSED", nix::errno::Errno::ECONNREFUSED),
    ("ETIMEDOUT", nix::errno::Errno::ETIMEDOUT),
];

impl Errno {
    /// The errno of an I/O error, when it has one.
    pub fn of(e: &std::io::Error) -> Option<Errno> {
        e.raw_os_error().map(Errno)
    }

    pub fn to_io(self) -> std::io::Error {
        std::io::Error::from_raw_os_error(self.0)
    }
}

impl Serialize for Errno {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match ERRNO_NAMES.iter().find(|(_, e)| *e as i32 == self.0) {
            Some((name, _)) => s.serialize_str(name),
            None => s.serialize_i64(i64::from(self.0)),
        }
    }
}

impl<'de> Deserialize<'de> for Errno {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Errno, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Name(String),
            Number(i32),
        }
        match Raw::deserialize(d)? {
            Raw::Number(n) if n > 0 => Ok(Errno(n)),
            Raw::Number(n) => Err(serde::de::Error::custom(format!(
                "errno {n} is not positive"
            ))),
            Raw::Name(name) => ERRNO_NAMES
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, e)| Errno(*e as i32))
                .ok_or_else(|| {
                    serde::de::Error::custom(format!(
                        "unknown errno name {name:?} (use one of {}, or a number)",
                        ERRNO_NAMES
                            .iter()
                            .map(|(n, _)| *n)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                }),
        }
    }
}

/// An account the user database answered for (`getpwnam(3)` through NSS: LDAP, sssd), when /etc/passwd lacks it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RecordedUser {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    pub home: String,
    pub shell: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RecordedCommand {
    pub argv: Vec<String>,
    #[serde(default)]
    pub status: i32,
    #[serde(default)]
    pub stdout: String,
    #[serde(default)]
    pub stderr: String,
    /// For a bounded run: how long it took.
    #[serde(default)]
    pub elapsed_ms: u64,
    /// For a bounded run: killed at its deadline.
    #[serde(default)]
    pub timed_out: bool,
    /// For a bounded run with a readiness socket: it answered, and the runner stopped the command.
    #[serde(default)]
    pub ready: bool,
}

/// A sidecar that could not be used, with the file and position in the message.
#[derive(Debug, thiserror::Error)]
pub enum SidecarError {
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

/// The 1-based line of a byte offset.
pub fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// Parses sidecar text; `path` only names the file in messages.
pub fn parse(path: &str, text: &str) -> Result<Sidecar, SidecarError> {
    let invalid = |message: String| SidecarError::Invalid {
        path: path.to_owned(),
        message,
    };
    let sidecar: Sidecar = toml::from_str(text).map_err(|e| {
        let position = e
            .span()
            .map(|span| format!("line {}: ", line_of(text, span.start)))
            .unwrap_or_default();
        invalid(format!("{position}{}", e.message()))
    })?;
    if sidecar.schema != SCHEMA {
        return Err(invalid(format!(
            "schema {} is not supported (this build reads schema {SCHEMA})",
            sidecar.schema
        )));
    }
    match &sidecar.base {
        None if sidecar.identity.is_none() => {
            return Err(invalid(
                "missing table `identity` (required without a `base`)".to_owned(),
            ));
        }
        Some(base)
            if base.get_ref().is_empty()
                || base.get_ref().contains('/')
                || base.get_ref() == "."
                || base.get_ref() == ".." =>
        {
            return Err(invalid(format!(
                "line {}: base {:?} is not the name of a fixture directory beside this one",
                line_of(text, base.span().start),
                base.get_ref()
            )));
        }
        _ => {}
    }
    for (mount, magic) in &sidecar.statfs {
        if let Magic::Name(name) = magic
            && crate::fsmagic::by_name(name).is_none()
        {
            return Err(invalid(format!(
                "statfs entry {mount:?}: unknown filesystem {name:?}"
            )));
        }
    }
    for (file, attrs) in &sidecar.xattrs {
        for (name, hex) in attrs {
            crate::parse::vfs_cap::from_hex(hex)
                .map_err(|e| invalid(format!("xattr {name} of {file}: {e}")))?;
        }
    }
    for (file, o) in &sidecar.files {
        if !file.starts_with('/') {
            return Err(invalid(format!(
                "files entry {file:?} is not an absolute path"
            )));
        }
        if o.mode.is_some_and(|m| m > 0o7777) {
            return Err(invalid(format!(
                "files entry {file:?}: mode is above 0o7777"
            )));
        }
    }
    for removed in &sidecar.overlay.remove {
        if !is_plain_absolute(removed) || removed == "/" {
            return Err(invalid(format!(
                "overlay.remove entry {removed:?} is not an absolute path below / without . or .."
            )));
        }
    }
    for (file, entry) in &sidecar.tree {
        if !is_plain_absolute(file) || file == "/" {
            return Err(invalid(format!(
                "tree entry {file:?} is not an absolute path below / without . or .."
            )));
        }
        let kinds = usize::from(entry.text.is_some())
            + usize::from(entry.link.is_some())
            + usize::from(entry.dir);
        if kinds != 1 {
            return Err(invalid(format!(
                "tree entry {file:?} needs exactly one of `text`, `link` and `dir = true`"
            )));
        }
        if entry.executable && entry.text.is_none() {
            return Err(invalid(format!(
                "tree entry {file:?}: `executable` is for `text` files"
            )));
        }
    }
    Ok(sidecar)
}

/// `/a/b` without empty, `.` or `..` components and without a trailing slash.
fn is_plain_absolute(path: &str) -> bool {
    path == "/"
        || path.strip_prefix('/').is_some_and(|rest| {
            rest.split('/')
                .all(|c| !c.is_empty() && c != "." && c != "..")
        })
}

/// Whether `path` is `dir` or below it.
pub(crate) fn at_or_below(path: &str, dir: &str) -> bool {
    path == dir
        || path
            .strip_prefix(dir)
            .is_some_and(|rest| rest.starts_with('/'))
}

impl Sidecar {
    /// This sidecar as a layer over `base` (already merged with its own bases): the rules in the module docs.
    /// The result has no `base`, no `overlay` and no `tree` (the tree's layers are the caller's).
    pub fn merge_onto(self, mut base: Sidecar) -> Sidecar {
        let removed = |p: &str| self.overlay.remove.iter().any(|r| at_or_below(p, r));
        for name in &self.overlay.unset_env {
            base.env.remove(name);
        }
        base.files.retain(|p, _| !removed(p));
        base.xattrs.retain(|p, _| !removed(p));
        base.http.retain(|h| !removed(&h.socket));
        base.env.extend(self.env);
        base.statfs.extend(self.statfs);
        base.space.extend(self.space);
        base.files.extend(self.files);
        base.xattrs.extend(self.xattrs);
        let mut commands = self.commands;
        for c in base.commands {
            if !commands.iter().any(|mine| mine.argv == c.argv) {
                commands.push(c);
            }
        }
        let mut tcp = self.tcp;
        for t in base.tcp {
            if !tcp.iter().any(|mine| mine.address == t.address) {
                tcp.push(t);
            }
        }
        let mut users = self.users;
        for u in base.users {
            if !users
                .iter()
                .any(|mine| mine.name == u.name || mine.uid == u.uid)
            {
                users.push(u);
            }
        }
        let mut http = self.http;
        for h in base.http {
            if !http
                .iter()
                .any(|mine| mine.socket == h.socket && mine.path == h.path)
            {
                http.push(h);
            }
        }
        Sidecar {
            schema: self.schema,
            base: None,
            description: self.description.or(base.description),
            identity: self.identity.or(base.identity),
            env: base.env,
            statfs: base.statfs,
            space: base.space,
            files: base.files,
            xattrs: base.xattrs,
            commands,
            http,
            tcp,
            users,
            overlay: Overlay::default(),
            tree: BTreeMap::new(),
        }
    }
}

impl Magic {
    pub fn value(&self) -> u64 {
        match self {
            Magic::Name(name) => crate::fsmagic::by_name(name).unwrap_or(0),
            Magic::Number(n) => *n,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `n`th ```toml block of this module's documentation.
    fn documented_example(n: usize) -> String {
        let doc = include_str!("sidecar.rs");
        let mut lines = doc.lines();
        for _ in 0..=n {
            lines.by_ref().find(|l| l.starts_with("//! ```toml"));
        }
        lines
            .take_while(|l| !l.starts_with("//! ```"))
            .map(|l| l.trim_start_matches("//!").trim_start_matches(' '))
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn the_documented_example_parses() {
        let s = parse("example", &documented_example(0)).unwrap();
        assert_eq!(s.identity.as_ref().unwrap().uid, 1000);
        assert_eq!(s.files["/usr/bin/newuidmap"].mode, Some(0o4755));
        assert_eq!(s.files["/run/user/1000/bus"].kind, Some(FileKind::Socket));
        assert_eq!(s.statfs["/sys/fs/cgroup"].value(), crate::fsmagic::CGROUP2);
        assert_eq!(s.commands[0].argv, ["slirp4netns", "--version"]);
        assert_eq!(s.http[0].body, "OK");
        assert_eq!(
            s.http[1].headers[0],
            ["api-version".to_owned(), "1.41".to_owned()]
        );
        assert_eq!(s.http[2].error, Some(HttpError::Denied));
        assert_eq!(s.files["/usr/bin/dockerd"].size, Some(81_234_567));
        assert_eq!(
            s.files["/proc/1/environ"].read_error,
            Some(Errno(nix::errno::Errno::EACCES as i32))
        );
        assert_eq!(
            s.files["/root/.docker"].error,
            Some(Errno(nix::errno::Errno::EACCES as i32))
        );
        assert_eq!(s.users[0].name, "carol");
    }

    #[test]
    fn errnos_are_names_or_numbers() {
        let parse_files = |v: &str| {
            parse(
                "e",
                &format!("schema = 1\n[identity]\nuid = 0\ngid = 0\n[files.\"/x\"]\nerror = {v}\n"),
            )
        };
        assert_eq!(
            parse_files("\"EPERM\"").unwrap().files["/x"].error,
            Some(Errno(1))
        );
        assert_eq!(
            parse_files("13").unwrap().files["/x"].error,
            Some(Errno(13))
        );
        let e = parse_files("\"EWHAT\"").unwrap_err().to_string();
        assert!(
            e.contains("line 6") && e.contains("unknown errno name \"EWHAT\""),
            "{e}"
        );
        assert!(
            parse_files("-1")
                .unwrap_err()
                .to_string()
                .contains("not positive")
        );
        // Written back by name.
        let toml = toml::to_string(&parse_files("13").unwrap().files["/x"]).unwrap();
        assert!(toml.contains("error = \"EACCES\""), "{toml}");
    }

    #[test]
    fn the_documented_overlay_merges_by_the_documented_rules() {
        let base = parse("base", &documented_example(0)).unwrap();
        let top = parse("top", &documented_example(1)).unwrap();
        assert_eq!(top.base.as_ref().unwrap().get_ref(), "debian-12");
        assert!(top.identity.is_none());
        assert_eq!(
            top.tree["/etc/subuid"].text.as_deref(),
            Some("bob:100000:65536\n")
        );
        assert!(top.tree["/usr/bin/rootlesskit"].executable);
        assert!(top.tree["/srv/empty"].dir);
        let merged = top.merge_onto(base);
        // identity and environment from the base, description from the top
        assert_eq!(merged.identity.as_ref().unwrap().uid, 1000);
        assert!(
            merged
                .description
                .unwrap()
                .starts_with("debian-12-no-subid")
        );
        assert_eq!(merged.env["HOME"], "/home/alice");
        // a removed path takes its files entries along; the others stay
        assert!(!merged.files.contains_key("/run/user/1000/bus"));
        assert_eq!(merged.files["/usr/bin/newuidmap"].mode, Some(0o4755));
        assert!(merged.tree.is_empty() && merged.base.is_none());
    }

    #[test]
    fn tables_merge_key_by_key_and_recordings_top_first() {
        let base = parse(
            "base",
            "schema = 1\n[identity]\nuid = 1\ngid = 1\n[env]\nA = \"a\"\nB = \"b\"\nC = \"c\"\n\
             [files.\"/x\"]\nmode = 0o600\nuid = 5\n[files.\"/d/s\"]\nkind = \"socket\"\n\
             [[commands]]\nargv = [\"a\"]\nstdout = \"base a\"\n[[commands]]\nargv = [\"b\"]\nstdout = \"base b\"\n\
             [[http]]\nsocket = \"/d/s\"\npath = \"/_ping\"\n[[http]]\nsocket = \"/e/s\"\npath = \"/_ping\"\nbody = \"base\"\n",
        )
        .unwrap();
        let top = parse(
            "top",
            "schema = 1\nbase = \"b\"\n[overlay]\nremove = [\"/d\"]\nunset_env = [\"C\"]\n[env]\nB = \"top\"\n\
             [files.\"/x\"]\nmode = 0o644\n[identity]\nuid = 2\ngid = 2\n\
             [[commands]]\nargv = [\"b\"]\nstdout = \"top b\"\n[[http]]\nsocket = \"/e/s\"\npath = \"/_ping\"\nbody = \"top\"\n",
        )
        .unwrap();
        let m = top.merge_onto(base);
        assert_eq!(m.identity.unwrap().uid, 2);
        assert_eq!(
            m.env
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>(),
            ["A=a", "B=top"]
        );
        // a [files] entry replaces the base's whole: no uid 5 left
        assert_eq!(m.files["/x"].mode, Some(0o644));
        assert_eq!(m.files["/x"].uid, None);
        assert!(!m.files.contains_key("/d/s"));
        let commands: Vec<_> = m.commands.iter().map(|c| c.stdout.as_str()).collect();
        assert_eq!(commands, ["top b", "base a"]);
        let http: Vec<_> = m.http.iter().map(|h| h.body.as_str()).collect();
        assert_eq!(http, ["top"]);
    }

    #[test]
    fn errors_name_the_file_and_line() {
        let err = parse("t/host.toml", "schema = 1\n[identity]\nuid = \"x\"\n").unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("t/host.toml: line 3:"), "{msg}");
        let err = parse("h.toml", "schema = 2\n[identity]\nuid=1\ngid=1\n").unwrap_err();
        assert!(err.to_string().contains("schema 2 is not supported"));
        let err = parse(
            "h.toml",
            "schema = 1\n[identity]\nuid=1\ngid=1\n[statfs]\n\"/\" = \"extfour\"\n",
        )
        .unwrap_err();
        assert!(err.to_string().contains("unknown filesystem"));
        let err = parse("h.toml", "schema = 1\n").unwrap_err();
        assert!(
            err.to_string().contains("missing table `identity`"),
            "{err}"
        );
        let err = parse("h.toml", "schema = 1\n\nbase = \"../x\"\n").unwrap_err();
        assert!(
            err.to_string().starts_with("h.toml: line 3: base \"../x\""),
            "{err}"
        );
        for bad in ["x", "/a/../b", "/a/", "/"] {
            let text = format!("schema = 1\nbase = \"b\"\n[overlay]\nremove = [\"{bad}\"]\n");
            assert!(parse("h.toml", &text).is_err(), "{bad}");
        }
        let err = parse(
            "h.toml",
            "schema = 1\nbase = \"b\"\n[tree.\"/a\"]\ntext = \"\"\nlink = \"/b\"\n",
        )
        .unwrap_err();
        assert!(err.to_string().contains("exactly one of"), "{err}");
    }
}
