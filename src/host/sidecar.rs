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
//! [xattrs."/usr/bin/newuidmap"]  # hex of the raw attribute value
//! "security.capability" = "0100000280000000000000000000000000000000"
//!
//! [[commands]]          # recorded outputs, matched on the exact argv
//! argv = ["slirp4netns", "--version"]
//! status = 0
//! stdout = "slirp4netns version 1.2.0\n"
//!
//! [[http]]              # recorded API answers over Unix sockets, matched on socket and path
//! socket = "/run/user/1000/docker.sock"
//! path = "/_ping"
//! status = 200
//! body = "OK"
//!
//! [[http]]              # or a connection error: "refused" (stale socket), "denied", "missing", "timeout"
//! socket = "/var/run/docker.sock"
//! path = "/_ping"
//! error = "denied"
//! ```
//!
//! Tree files without a `[files]` entry are owned by root:root; their mode is normalised to
//! 0755 (executable) or 0644 and directories to 0755, so a checkout's umask never changes a verdict.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::FileKind;

pub const SCHEMA: u32 = 1;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sidecar {
    pub schema: u32,
    #[serde(default)]
    pub description: Option<String>,
    pub identity: SidecarIdentity,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    #[serde(default)]
    pub statfs: BTreeMap<String, Magic>,
    #[serde(default)]
    pub files: BTreeMap<String, FileOverride>,
    #[serde(default)]
    pub xattrs: BTreeMap<String, BTreeMap<String, String>>,
    #[serde(default)]
    pub commands: Vec<RecordedCommand>,
    #[serde(default)]
    pub http: Vec<RecordedHttp>,
}

#[derive(Debug, Clone, Deserialize)]
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
}

fn ok_status() -> u16 {
    200
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HttpError {
    Refused,
    Denied,
    Missing,
    Timeout,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SidecarIdentity {
    pub uid: u32,
    pub gid: u32,
    #[serde(default)]
    pub euid: Option<u32>,
    #[serde(default)]
    pub groups: Vec<u32>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Magic {
    Name(String),
    Number(u64),
}

#[derive(Debug, Clone, Default, Deserialize)]
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
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordedCommand {
    pub argv: Vec<String>,
    #[serde(default)]
    pub status: i32,
    #[serde(default)]
    pub stdout: String,
    #[serde(default)]
    pub stderr: String,
}

/// A sidecar that could not be used, with the file and position in the message.
#[derive(Debug, thiserror::Error)]
pub enum SidecarError {
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
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
            .map(|span| {
                let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
                format!("line {line}: ")
            })
            .unwrap_or_default();
        invalid(format!("{position}{}", e.message()))
    })?;
    if sidecar.schema != SCHEMA {
        return Err(invalid(format!(
            "schema {} is not supported (this build reads schema {SCHEMA})",
            sidecar.schema
        )));
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
    Ok(sidecar)
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

    #[test]
    fn the_documented_example_parses() {
        let doc = include_str!("sidecar.rs");
        let example: String = doc
            .lines()
            .skip_while(|l| !l.starts_with("//! ```toml"))
            .skip(1)
            .take_while(|l| !l.starts_with("//! ```"))
            .map(|l| l.trim_start_matches("//!").trim_start_matches(' '))
            .collect::<Vec<_>>()
            .join("\n");
        let s = parse("example", &example).unwrap();
        assert_eq!(s.identity.uid, 1000);
        assert_eq!(s.files["/usr/bin/newuidmap"].mode, Some(0o4755));
        assert_eq!(s.files["/run/user/1000/bus"].kind, Some(FileKind::Socket));
        assert_eq!(s.statfs["/sys/fs/cgroup"].value(), crate::fsmagic::CGROUP2);
        assert_eq!(s.commands[0].argv, ["slirp4netns", "--version"]);
        assert_eq!(s.http[0].body, "OK");
        assert_eq!(s.http[1].error, Some(HttpError::Denied));
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
    }
}
