//! Docker's data-roots: every daemon's (from its flags, its daemon.json or the default), which of them exist, and the
//! rootless daemon's own setting.

use super::{Facts, Read};

/// The system daemon's data-root without a setting.
pub const ROOTFUL_DEFAULT: &str = "/var/lib/docker";

/// A data-root that exists on disk, and whose it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExistingDataRoot {
    pub path: String,
    /// "docker.service", "your dockerd 4242", "the rootless default".
    pub who: String,
}

/// `data-root` in the rootless daemon's daemon.json.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataRootSetting {
    /// No daemon.json.
    NoFile,
    /// A daemon.json without `data-root`.
    NoKey,
    /// An absolute path.
    Set(String),
}

/// Why the rootless daemon.json stops dockerd (or could not be read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataRootError {
    /// JSON whose shape dockerd rejects: what is wrong with it.
    Invalid(String),
    /// Not JSON: 1-based line and column, and serde_json's message.
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    /// Unreadable for a reason other than absence.
    Unreadable(String),
}

/// Why no filesystem could be named for a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FsError {
    /// `statfs` failed on this directory.
    Unreadable { path: String, error: String },
    /// Not even `/` answered.
    NoDirectory,
}

impl Facts<'_> {
    /// Every daemon's data-root, configured or running, whether or not it exists yet; each path once, computed once.
    pub fn data_roots(&self) -> &[DataRoot] {
        self.derived.data_roots.get_or_init(|| data_roots(self))
    }

    /// The data-roots that exist: every daemon's, plus the defaults left by daemons that no longer run.
    pub fn existing_data_roots(&self) -> Vec<ExistingDataRoot> {
        existing_data_roots(self)
    }

    /// `data-root` in the rootless daemon.json ([`Facts::daemon_json_path`]), as dockerd would take it.
    pub fn rootless_data_root_setting(&self) -> Result<DataRootSetting, DataRootError> {
        let json_path = self.daemon_json_path();
        match self.read_config(&json_path) {
            Read::Ok(text) => match serde_json::from_str::<serde_json::Value>(&text) {
                Ok(v) => {
                    // dockerd decodes the file into an object and data-root into an absolute path string;
                    // anything else stops it before it starts.
                    if !v.is_object() {
                        return Err(DataRootError::Invalid(
                            "the top level is not a JSON object".to_owned(),
                        ));
                    }
                    match v.get("data-root") {
                        None => Ok(DataRootSetting::NoKey),
                        Some(serde_json::Value::String(r)) if r.starts_with('/') => {
                            Ok(DataRootSetting::Set(r.clone()))
                        }
                        Some(serde_json::Value::String(r)) => Err(DataRootError::Invalid(format!(
                            "data-root {r:?} is not an absolute path"
                        ))),
                        Some(other) => Err(DataRootError::Invalid(format!(
                            "data-root is {other}, not a path string"
                        ))),
                    }
                }
                Err(e) => Err(DataRootError::Syntax {
                    line: e.line(),
                    column: e.column(),
                    message: e.to_string(),
                }),
            },
            Read::Missing => Ok(DataRootSetting::NoFile),
            Read::Failed(e) => Err(DataRootError::Unreadable(e)),
        }
    }

    /// The rootless data-root storage.data_root judges (daemon.json's, else the XDG default), when it can be told.
    pub fn rootless_data_root(&self) -> Option<String> {
        let path = match self.rootless_data_root_setting().ok()? {
            DataRootSetting::Set(p) => p,
            DataRootSetting::NoFile | DataRootSetting::NoKey => self.rootless_default_data_root(),
        };
        self.filesystem_of(&path).ok().map(|_| path)
    }

    /// The filesystem that holds `path`, or will once it is created: the `statfs` magic of its nearest existing directory
    /// (before the first start the data-root does not exist), with that directory.
    pub fn filesystem_of(&self, path: &str) -> Result<(String, u64), FsError> {
        let mut probe = path.to_owned();
        loop {
            match self.fs_magic(&probe) {
                Read::Ok(m) => return Ok((probe, m)),
                Read::Failed(error) => return Err(FsError::Unreadable { path: probe, error }),
                Read::Missing if probe == "/" => return Err(FsError::NoDirectory),
                Read::Missing => {
                    probe = match probe.rsplit_once('/') {
                        Some(("", _)) | None => "/".to_owned(),
                        Some((parent, _)) => parent.to_owned(),
                    }
                }
            }
        }
    }
}

/// Where a daemon's data-root is set, which decides where the fix goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// `--data-root` (or the old `-g`/`--graph`) on the command line that starts it: the unit line, DOCKER_OPTS, /proc.
    Flag(String),
    /// `data-root` (or `graph`) in this daemon.json.
    Config(String),
    /// Neither: the built-in default; a `data-root` would go into this daemon.json.
    Default(String),
}

/// A daemon's data-root and how it is set.
#[derive(Debug, Clone)]
pub struct DataRoot {
    pub path: String,
    /// Which daemon: "docker.service", "your dockerd 4242", "the system daemon's default".
    pub who: String,
    pub rootless: bool,
    pub origin: Origin,
    pub starter: Starter,
}

/// What starts a daemon, which decides how a changed setting takes effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Starter {
    SystemUnit,
    UserUnit,
    InitScript,
    /// A running dockerd that no unit or script here accounts for: restarted the way it was started.
    Process,
}

impl Starter {
    /// The commands that apply a change, after `daemon-reload` when a unit file changed.
    pub fn restart(self, unit_changed: bool) -> Option<&'static str> {
        match (self, unit_changed) {
            (Starter::SystemUnit, false) => Some("`sudo systemctl restart docker.service`"),
            (Starter::SystemUnit, true) => {
                Some("`sudo systemctl daemon-reload` and `sudo systemctl restart docker.service`")
            }
            (Starter::UserUnit, false) => Some("`systemctl --user restart docker.service`"),
            (Starter::UserUnit, true) => Some(
                "`systemctl --user daemon-reload` and `systemctl --user restart docker.service`",
            ),
            (Starter::InitScript, _) => Some("`sudo service docker restart`"),
            (Starter::Process, _) => None,
        }
    }
}

/// Every daemon's data-root, configured or running, whether or not it exists yet; each path once.
fn data_roots(f: &Facts) -> Vec<DataRoot> {
    let mut roots: Vec<DataRoot> = Vec::new();
    for s in f.dockerd_setups() {
        let origin = match s.flag("data-root").or_else(|| s.flag("graph")) {
            Some(p) => (p.to_owned(), Origin::Flag(s.source.clone())),
            None => match s.setting("data-root").or_else(|| s.setting("graph")) {
                Some(p) => (p.to_owned(), Origin::Config(s.config.clone())),
                None if s.rootless => (
                    f.rootless_default_data_root(),
                    Origin::Default(s.config.clone()),
                ),
                None => (
                    ROOTFUL_DEFAULT.to_owned(),
                    Origin::Default(s.config.clone()),
                ),
            },
        };
        let starter = match (s.pid.is_some(), s.system_unit, s.rootless) {
            (true, _, _) => Starter::Process,
            (false, true, _) => Starter::SystemUnit,
            (false, false, true) => Starter::UserUnit,
            (false, false, false) => Starter::InitScript,
        };
        if !roots.iter().any(|r| r.path == origin.0) {
            roots.push(DataRoot {
                path: origin.0,
                who: s.label.clone(),
                rootless: s.rootless,
                origin: origin.1,
                starter,
            });
        }
    }
    roots
}

/// The data-roots that exist: every daemon's, plus the defaults left by daemons that no longer run.
fn existing_data_roots(f: &Facts) -> Vec<ExistingDataRoot> {
    let mut out: Vec<ExistingDataRoot> = Vec::new();
    let candidates = f
        .data_roots()
        .iter()
        .map(|r| (r.path.clone(), r.who.clone()))
        .chain([
            (
                ROOTFUL_DEFAULT.to_owned(),
                "the system daemon's default".to_owned(),
            ),
            (
                f.rootless_default_data_root(),
                "the rootless default".to_owned(),
            ),
        ]);
    for (path, who) in candidates {
        if !out.iter().any(|r| r.path == path) && matches!(f.stat(&path), Read::Ok(_)) {
            out.push(ExistingDataRoot { path, who });
        }
    }
    out
}
