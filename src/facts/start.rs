//! How the rootless daemon will be started, and so what its start path sees: the PATH in which
//! dockerd-rootless.sh, RootlessKit and dockerd look up the programs they run, the environment the script reads
//! (`DOCKERD_ROOTLESS_ROOTLESSKIT_*`, `HOME`, …), and the script itself.
//!
//! Two ways to start it exist. Under systemd, the user unit `docker.service` (written by
//! `dockerd-rootless-setuptool.sh install`) runs `$BIN/dockerd-rootless.sh` with its Environment= and
//! EnvironmentFile= (the install writes `Environment=PATH=$BIN:/sbin:/usr/sbin:$PATH`). Without systemd the user
//! starts the script by hand, and it inherits the shell's environment: this session's when the doctor runs in it,
//! otherwise the login PATH (ENV_PATH in /etc/login.defs), which a shell profile may change. dockerd-rootless.sh never
//! changes PATH (moby's contrib/dockerd-rootless.sh, v20.10.24 to docker-v29.7.2), and RootlessKit and dockerd
//! inherit it.

use super::{Facts, Read};

/// systemd's PATH for user units that set none (`DEFAULT_USER_PATH`, merged /usr; environment.d(5) may change it).
pub const SYSTEMD_USER_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin";

/// The PATH a login shell starts with when nothing sets one (login(1)'s and su(1)'s default without ENV_PATH).
pub const LOGIN_DEFAULT_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// How the rootless daemon is (or will be) started, and the PATH its start path searches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DaemonPath {
    /// For findings: `your docker.service`, `dockerd-rootless.sh started by hand from this session`.
    pub how: String,
    /// Evidence source for that PATH.
    pub source: String,
    /// What qualifies it (a default, an estimate).
    pub note: Option<String>,
    pub dirs: Vec<String>,
    /// The user unit's file, whose Environment=PATH= a fix changes.
    pub unit: Option<String>,
    /// Started by hand (no systemd as PID 1): the PATH is the shell's, and the fix is to start it with sbin.
    pub by_hand: bool,
    /// The PATH is read, not a guess at another user's login shell.
    pub known: bool,
}

impl DaemonPath {
    /// The PATH and its qualification, for evidence.
    pub fn detail(&self) -> String {
        let dirs = self.dirs.join(":");
        match &self.note {
            Some(note) => format!("{dirs} ({note})"),
            None => dirs,
        }
    }
}

/// The environment dockerd-rootless.sh will be started with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartEnv {
    /// As in [`DaemonPath::how`].
    pub how: String,
    /// Where the variables were read (the unit's file, `environment of this session`).
    pub source: String,
    /// The variables, in assignment order (the last one wins).
    pub vars: Vec<(String, String)>,
    /// The unit's file, where a fix changes Environment=.
    pub unit: Option<String>,
    /// False when the variables cannot be known (root judging someone who starts the daemon by hand); then
    /// `vars` is empty.
    pub known: bool,
}

impl StartEnv {
    /// A variable (the last assignment).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The dockerd-rootless.sh that would run, and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    pub path: String,
    /// Where the path came from (`ExecStart= of FILE`, `the daemon's PATH`, `~/bin or the distribution's contrib
    /// directory, not on PATH`).
    pub found_by: String,
    /// The user unit whose ExecStart= names it, when that is where it came from.
    pub unit: Option<String>,
    pub text: Read<String>,
}

impl Script {
    /// Whether the script's text contains `needle`: behaviour is judged from the script that will run (a line it
    /// prints, a variable it reads), not from a version number, so distribution patches and backports count.
    pub fn mentions(&self, needle: &str) -> bool {
        self.text.ok().is_some_and(|t| t.contains(needle))
    }
}

impl Facts<'_> {
    /// How the rootless daemon will be started and the PATH its start path searches; `None` for a tree without a
    /// running system (a mounted image), where neither its init system nor a session is there.
    pub fn daemon_path(&self) -> Option<&DaemonPath> {
        self.derived
            .daemon_path
            .get_or_init(|| daemon_path(self))
            .as_ref()
    }

    /// The environment dockerd-rootless.sh will get; `None` as for [`Facts::daemon_path`].
    pub fn start_env(&self) -> Option<&StartEnv> {
        self.derived
            .start_env
            .get_or_init(|| start_env(self))
            .as_ref()
    }

    /// The dockerd-rootless.sh that would run: the user unit's ExecStart=, else the first on the daemon's PATH,
    /// in ~/bin (get.docker.com/rootless) or in the distribution's contrib directories; `None` when none is
    /// installed.
    pub fn rootless_script(&self) -> Option<&Script> {
        self.derived
            .rootless_script
            .get_or_init(|| rootless_script(self))
            .as_ref()
    }

    /// The user unit that starts the rootless daemon (not running), if there is one.
    fn rootless_unit(&self) -> Option<&super::dockerd::Setup> {
        self.dockerd_setups()
            .iter()
            .find(|s| s.rootless && s.pid.is_none() && !s.system_unit)
    }
}

/// Where a variable of the start environment is set, for findings and fixes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VarOrigin {
    /// `Environment=` of the user unit: the file and line.
    UnitEnvironment { file: String, line: usize },
    /// An `EnvironmentFile=` of the user unit: that file, the line of the (last) assignment when found, and the unit
    /// line that names it.
    EnvironmentFile {
        file: String,
        line: Option<usize>,
        unit: String,
        unit_line: usize,
    },
    /// This session's environment (a start by hand).
    Session,
    /// Not set anywhere the doctor can see.
    Unset,
}

impl std::fmt::Display for VarOrigin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VarOrigin::UnitEnvironment { file, line } => write!(f, "{file}:{line} Environment="),
            VarOrigin::EnvironmentFile {
                file,
                line,
                unit,
                unit_line,
            } => match line {
                Some(l) => write!(f, "{file}:{l} (EnvironmentFile= of {unit}:{unit_line})"),
                None => write!(f, "{file} (EnvironmentFile= of {unit}:{unit_line})"),
            },
            VarOrigin::Session => f.write_str("the environment of this session"),
            VarOrigin::Unset => f.write_str("not set"),
        }
    }
}

impl Facts<'_> {
    /// Where `name` of [`Facts::start_env`] is set: the unit line (Environment=) or env file (EnvironmentFile=,
    /// which systemd applies after Environment=), or this session.
    pub fn start_var_origin(&self, name: &str) -> VarOrigin {
        let Some(env) = self.start_env() else {
            return VarOrigin::Unset;
        };
        if env.get(name).is_none() {
            return VarOrigin::Unset;
        }
        if env.unit.is_none() {
            return VarOrigin::Session;
        }
        let Read::Ok(unit) = self.user_docker_service() else {
            return VarOrigin::Unset;
        };
        for (path, e) in unit.effective("Service", "EnvironmentFile").iter().rev() {
            let file = e.value.trim_start_matches('-');
            if let Read::Ok(text) = &self.read(file)
                && crate::parse::unit::parse_env_file(text)
                    .0
                    .iter()
                    .any(|(k, _)| k == name)
            {
                let line = text
                    .lines()
                    .enumerate()
                    .filter_map(|(i, l)| {
                        let l = l.trim_start();
                        let l = l.strip_prefix("export ").map_or(l, str::trim_start);
                        l.strip_prefix(name)
                            .is_some_and(|rest| rest.trim_start().starts_with('='))
                            .then_some(i + 1)
                    })
                    .last();
                return VarOrigin::EnvironmentFile {
                    file: file.to_owned(),
                    line,
                    unit: (*path).to_owned(),
                    unit_line: e.line,
                };
            }
        }
        for (path, e) in unit.effective("Service", "Environment").iter().rev() {
            if crate::parse::unit::split_environment(&e.value)
                .is_ok_and(|pairs| pairs.iter().any(|(k, _)| k == name))
            {
                return VarOrigin::UnitEnvironment {
                    file: (*path).to_owned(),
                    line: e.line,
                };
            }
        }
        VarOrigin::Unset
    }

    /// The user unit that starts the rootless daemon (not running), if there is one: its ExecStart= words after
    /// dockerd-rootless.sh are dockerd's flags.
    pub fn rootless_unit_setup(&self) -> Option<&super::dockerd::Setup> {
        self.rootless_unit()
    }

    /// The value RootlessKit takes for its flag `name` (the first of its names, `subid-source`) from
    /// DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS, which the script passes after its own flags, so the last one given there
    /// wins; `None` when the variable does not set it, or its words do not parse (start.environment says why).
    pub fn start_flags_value(&self, name: &str) -> Option<String> {
        let env = self.start_env()?;
        let mut words: Vec<String> = env
            .get("DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS")?
            .split([' ', '\t', '\n'])
            .filter(|w| !w.is_empty())
            .map(str::to_owned)
            .collect();
        // The script's own path follows the flags: the command, where Go's flag parsing stops.
        words.push("dockerd-rootless.sh".to_owned());
        let (given, _) = crate::parse::rootlesskit::parse_flags(
            &words,
            crate::parse::rootlesskit::Version::NEWEST,
        )
        .ok()?;
        given
            .iter()
            .rev()
            .find(|g| g.name == name)
            .map(|g| g.value.clone())
    }
}

pub fn split_path(path: &str) -> Vec<String> {
    path.split(':')
        .filter(|d| d.starts_with('/'))
        .map(str::to_owned)
        .collect()
}

/// `dirs` with `extra` added where missing, in front (`$BIN:/sbin:/usr/sbin:$PATH`) or behind.
pub fn with_dirs(dirs: &[String], extra: &[&str], front: bool) -> Vec<String> {
    let extra: Vec<String> = extra.iter().map(|d| (*d).to_owned()).collect();
    let (first, second) = if front {
        (&extra[..], dirs)
    } else {
        (dirs, &extra[..])
    };
    let mut out: Vec<String> = Vec::new();
    for d in first.iter().chain(second) {
        if !out.contains(d) {
            out.push(d.clone());
        }
    }
    out
}

/// `ENV_PATH` of /etc/login.defs as login(1) takes it (shadow's `getdef_str`: the last line wins, quotes stripped;
/// login.defs(5): the value may start with `PATH=`).
pub fn login_defs_path(text: &str) -> Option<String> {
    let (_, value) = crate::parse::login_defs::get(text, "ENV_PATH")?;
    Some(value.strip_prefix("PATH=").unwrap_or(value).to_owned())
}

/// The file part of a setup's source (`FILE:LINE` or `FILE`).
fn unit_file(setup: &super::dockerd::Setup) -> String {
    setup
        .source
        .split(':')
        .next()
        .unwrap_or_default()
        .to_owned()
}

fn daemon_path(f: &Facts) -> Option<DaemonPath> {
    if !f.has_runtime() {
        return None;
    }
    if f.systemd {
        // The user unit, as dockerd-rootless-setuptool.sh install writes it (or as the user changed it).
        if let Some(setup) = f.rootless_unit() {
            let file = unit_file(setup);
            let path = setup
                .env
                .as_deref()
                .and_then(|env| super::dockerd::lookup(env)("PATH"));
            let (source, note, dirs) = match path {
                Some(p) => (format!("{file} Environment=PATH"), None, split_path(&p)),
                None => (
                    file.clone(),
                    Some(
                        "no Environment=PATH: systemd's default for user units, unless environment.d changes it"
                            .to_owned(),
                    ),
                    split_path(SYSTEMD_USER_PATH),
                ),
            };
            return Some(DaemonPath {
                how: setup.label.clone(),
                source,
                note,
                dirs,
                unit: Some(file),
                by_hand: false,
                known: true,
            });
        }
        // No unit yet: `dockerd-rootless-setuptool.sh install` writes Environment=PATH=$BIN:/sbin:/usr/sbin:$PATH.
        return Some(DaemonPath {
            how: "the docker user service".into(),
            source: "docker user service (not installed)".into(),
            note: Some(
                "dockerd-rootless-setuptool.sh install writes Environment=PATH=$BIN:/sbin:/usr/sbin:$PATH".into(),
            ),
            dirs: with_dirs(&f.path_dirs(), &["/sbin", "/usr/sbin"], true),
            unit: None,
            by_hand: false,
            known: true,
        });
    }
    // Without systemd the daemon is started by hand, and dockerd inherits the shell's PATH.
    if f.is_own_session() {
        return Some(DaemonPath {
            how: "dockerd-rootless.sh started by hand from this session".into(),
            source: "env:PATH".into(),
            note: None,
            dirs: f.path_dirs(),
            unit: None,
            by_hand: true,
            known: true,
        });
    }
    // Root judges someone else: their shell is not visible; the login PATH is the best estimate.
    let (source, path) = match f
        .read("/etc/login.defs")
        .ok()
        .and_then(|t| login_defs_path(t))
    {
        Some(p) => ("/etc/login.defs ENV_PATH".to_owned(), p),
        None => (
            "login PATH (no ENV_PATH in /etc/login.defs)".to_owned(),
            LOGIN_DEFAULT_PATH.to_owned(),
        ),
    };
    Some(DaemonPath {
        how: format!(
            "dockerd-rootless.sh started by hand from {}'s login shell",
            f.user.name
        ),
        source,
        note: Some(format!(
            "the PATH of {}'s own shell is not visible to this run, and a shell profile may change it",
            f.user.name
        )),
        dirs: split_path(&path),
        unit: None,
        by_hand: true,
        known: false,
    })
}

fn start_env(f: &Facts) -> Option<StartEnv> {
    let path = f.daemon_path()?;
    if f.systemd {
        if let Some(setup) = f.rootless_unit() {
            let file = unit_file(setup);
            return Some(StartEnv {
                how: setup.label.clone(),
                source: format!("{file} Environment= and EnvironmentFile="),
                vars: setup.env.clone().unwrap_or_default(),
                unit: Some(file),
                known: setup.env.is_some(),
            });
        }
        // The unit the install will write sets PATH only.
        return Some(StartEnv {
            how: path.how.clone(),
            source: path.source.clone(),
            vars: vec![("PATH".to_owned(), path.dirs.join(":"))],
            unit: None,
            known: true,
        });
    }
    if f.is_own_session() {
        return Some(StartEnv {
            how: path.how.clone(),
            source: "the environment of this session".into(),
            vars: f.host.env_vars(),
            unit: None,
            known: true,
        });
    }
    Some(StartEnv {
        how: path.how.clone(),
        source: format!(
            "the environment of {}'s own shell, which this run cannot see",
            f.user.name
        ),
        vars: Vec::new(),
        unit: None,
        known: false,
    })
}

fn rootless_script(f: &Facts) -> Option<Script> {
    const NAME: &str = "dockerd-rootless.sh";
    // Only systemd runs the unit: without it (a start by hand) the unit's ExecStart= is not what runs, and looking
    // for the unit would list every process (dockerd_setups) for nothing.
    let from_unit = f
        .systemd
        .then(|| f.rootless_unit())
        .flatten()
        .and_then(|s| {
            let first = s.argv.first()?;
            (first.starts_with('/') && first.ends_with(NAME)).then(|| {
                (
                    first.clone(),
                    format!("ExecStart= of {}", unit_file(s)),
                    Some(unit_file(s)),
                )
            })
        });
    let found = from_unit.or_else(|| {
        let dirs = f
            .daemon_path()
            .map(|p| p.dirs.clone())
            .unwrap_or_else(|| f.path_dirs());
        if let Some(p) = f.first_in(NAME, &dirs) {
            return Some((p, "the daemon's PATH".to_owned(), None));
        }
        let mut extra = vec![format!("{}/bin", f.user.home.trim_end_matches('/'))];
        extra.extend(f.distro().defaults.rootless_script_dirs.iter().cloned());
        f.first_in(NAME, &extra).map(|p| {
            (
                p,
                "~/bin or the distribution's contrib directory, not on PATH".to_owned(),
                None,
            )
        })
    });
    let (path, found_by, unit) = found?;
    let text = f.read(&path);
    Some(Script {
        path,
        found_by,
        unit,
        text,
    })
}

#[cfg(test)]
mod tests {
    use crate::checks::test_support::facts;

    #[test]
    fn regression_env_path_took_the_first_line_where_login_takes_the_last() {
        let text = "ENV_PATH PATH=/first\n# ENV_PATH PATH=/comment\nENV_PATH \"PATH=/usr/local/bin:/usr/bin\"\n";
        assert_eq!(
            super::login_defs_path(text).as_deref(),
            Some("/usr/local/bin:/usr/bin")
        );
    }

    #[test]
    fn no_unit_yet_the_path_and_environment_are_the_ones_the_install_writes() {
        let f = facts("debian-12");
        let p = f.daemon_path().unwrap();
        assert_eq!(p.dirs[..2], ["/sbin", "/usr/sbin"]);
        assert!(!p.by_hand && p.known && p.unit.is_none());
        let env = f.start_env().unwrap();
        assert_eq!(env.get("PATH"), Some(p.dirs.join(":").as_str()));
        assert_eq!(env.vars.len(), 1);
        // Debian's docker.io keeps the script outside PATH.
        let s = f.rootless_script().unwrap();
        assert_eq!(s.path, "/usr/share/docker.io/contrib/dockerd-rootless.sh");
        assert!(s.found_by.ends_with("not on PATH"), "{}", s.found_by);
        assert!(s.text.ok().is_some());
    }

    #[test]
    fn the_user_unit_decides_path_environment_and_script() {
        let f = facts("debian-12-unit-path-without-sbin");
        let unit = "/home/alice/.config/systemd/user/docker.service";
        let p = f.daemon_path().unwrap();
        assert_eq!(p.unit.as_deref(), Some(unit));
        assert_eq!(
            p.dirs,
            [
                "/usr/share/docker.io/contrib",
                "/usr/local/bin",
                "/usr/bin",
                "/bin"
            ]
        );
        let env = f.start_env().unwrap();
        assert_eq!(env.unit.as_deref(), Some(unit));
        assert!(env.known);
        assert_eq!(
            env.get("PATH"),
            Some("/usr/share/docker.io/contrib:/usr/local/bin:/usr/bin:/bin")
        );
        let s = f.rootless_script().unwrap();
        assert_eq!(s.path, "/usr/share/docker.io/contrib/dockerd-rootless.sh");
        assert_eq!(s.found_by, format!("ExecStart= of {unit}"));
    }

    #[test]
    fn by_hand_the_environment_is_this_sessions() {
        let f = facts("debian-12-no-systemd");
        let env = f.start_env().unwrap();
        assert!(env.known && env.unit.is_none());
        assert_eq!(env.get("PATH"), Some("/usr/local/bin:/usr/bin:/bin"));
        assert_eq!(env.get("HOME"), Some("/home/alice"));
        assert!(f.daemon_path().unwrap().by_hand);
    }
}
