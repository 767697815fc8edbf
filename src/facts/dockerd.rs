//! The dockerds of this host: every way one is started (units, init-script options, running processes) with its
//! flags and parsed daemon.json, the daemon.json files themselves, and the running daemons' pids.

use serde_json::Value;

use super::{Facts, Read, Unit};
use crate::parse::dockerd::{self, Flag};
use crate::parse::unit;

/// The system daemon's daemon.json.
pub const ROOTFUL_CONFIG: &str = "/etc/docker/daemon.json";

/// Why a daemon.json cannot be used: dockerd refuses to start with it (or it could not be read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// Reading failed for a reason other than absence.
    Unreadable { path: String, error: String },
    /// Valid JSON whose top level is not an object.
    NotObject { path: String },
    /// Not JSON; 1-based line and column as serde_json reports them.
    Syntax {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
}

impl Facts<'_> {
    /// Every way a dockerd is started here (system unit, init script, user unit, running processes), computed once.
    pub fn dockerd_setups(&self) -> &[Setup] {
        self.derived.setups.get_or_init(|| setups(self))
    }

    /// DOCKER_OPTS (or OPTIONS) set in /etc/default/docker or /etc/sysconfig/docker while the system docker.service
    /// in effect never reads it: its last ExecStart= does not expand `$DOCKER_OPTS` (`$OPTIONS`), or no
    /// EnvironmentFile= of it names that file (Docker's own unit does neither; Debian's docker.io does both).
    /// `(file, variable, value, unit path)`.
    pub fn ignored_docker_opts(&self) -> Option<(String, String, String, String)> {
        let Read::Ok(u) = self.docker_service() else {
            return None;
        };
        if u.masked {
            return None;
        }
        let exec = u.effective("Service", "ExecStart");
        let (unit_path, entry) = exec.last()?;
        let env_files: Vec<String> = u
            .effective("Service", "EnvironmentFile")
            .iter()
            .map(|(_, e)| e.value.trim().trim_start_matches('-').to_owned())
            .collect();
        for path in ["/etc/default/docker", "/etc/sysconfig/docker"] {
            let Read::Ok(text) = self.read(path) else {
                continue;
            };
            let Some((var, value)) = unit::parse_env_file(&text)
                .0
                .into_iter()
                .rev()
                .find(|(k, v)| (k == "DOCKER_OPTS" || k == "OPTIONS") && !v.trim().is_empty())
            else {
                continue;
            };
            let expanded = entry.value.contains(&format!("${var}"))
                || entry.value.contains(&format!("${{{var}}}"));
            if !(expanded && env_files.iter().any(|f| f == path)) {
                return Some((path.to_owned(), var, value, unit_path.to_string()));
            }
        }
        None
    }

    /// A daemon.json, parsed: `Ok(None)` when absent or empty.
    pub fn daemon_config(
        &self,
        path: &str,
    ) -> Result<Option<serde_json::Map<String, Value>>, ConfigError> {
        match self.read_config(path) {
            Read::Missing => Ok(None),
            Read::Failed(error) => Err(ConfigError::Unreadable {
                path: path.to_owned(),
                error,
            }),
            Read::Ok(text) if text.trim().is_empty() => Ok(None),
            Read::Ok(text) => match serde_json::from_str::<Value>(&text) {
                Ok(Value::Object(m)) => Ok(Some(m)),
                Ok(_) => Err(ConfigError::NotObject {
                    path: path.to_owned(),
                }),
                Err(e) => Err(ConfigError::Syntax {
                    path: path.to_owned(),
                    line: e.line(),
                    column: e.column(),
                    message: e.to_string(),
                }),
            },
        }
    }

    /// The daemon.json a rootless daemon started by `setup` reads, and its settings (`None` when absent or unusable:
    /// daemon.config says why); without a setup, the default daemon.json's.
    pub fn rootless_settings(
        &self,
        setup: Option<&Setup>,
    ) -> (String, Option<serde_json::Map<String, Value>>) {
        match setup {
            Some(s) => (s.config.clone(), s.settings.clone()),
            None => {
                let path = self.daemon_json_path();
                let settings = self.daemon_config(&path).ok().flatten();
                (path, settings)
            }
        }
    }

    /// The daemon.json of a rootless daemon: `$XDG_CONFIG_HOME/docker/daemon.json`, default `~/.config/docker/daemon.json`.
    pub fn daemon_json_path(&self) -> String {
        format!(
            "{}/docker/daemon.json",
            xdg_dir(self, "XDG_CONFIG_HOME", ".config")
        )
    }

    /// Where a rootless dockerd keeps its data without a data-root setting: $XDG_DATA_HOME/docker.
    pub fn rootless_default_data_root(&self) -> String {
        format!("{}/docker", xdg_dir(self, "XDG_DATA_HOME", ".local/share"))
    }

    /// Pids of dockerd processes owned by root, in pid order.
    pub fn rootful_dockerd(&self) -> &[u32] {
        self.derived
            .rootful_dockerd
            .get_or_init(|| match self.processes() {
                Read::Ok(list) => list
                    .iter()
                    .filter(|p| p.name == "dockerd" && p.uid == 0)
                    .map(|p| p.pid)
                    .collect(),
                _ => Vec::new(),
            })
    }

    /// `$XDG_RUNTIME_DIR/docker.pid` and the pid in it, if the file holds one.
    pub fn docker_pid_file(&self) -> (String, Read<Option<u32>>) {
        let path = format!("{}/docker.pid", self.runtime_dir());
        let read = self.read(&path).map(|t| t.trim().parse().ok());
        (path, read)
    }

    /// The user's rootless dockerd: from docker.pid when it names a live dockerd of the user, else by scanning /proc.
    pub fn rootless_dockerd(&self) -> Option<u32> {
        *self
            .derived
            .rootless_dockerd
            .get_or_init(|| rootless_dockerd(self))
    }
}

/// An XDG base directory of the user: the variable when it is this session's and absolute, else `~/DEFAULT`.
fn xdg_dir(f: &Facts, var: &str, default: &str) -> String {
    let dir = f
        .is_own_session()
        .then(|| f.env(var))
        .flatten()
        .filter(|d| d.starts_with('/'))
        .unwrap_or_else(|| format!("{}/{default}", f.user.home.trim_end_matches('/')));
    dir.trim_end_matches('/').to_owned()
}

/// One way a dockerd is started here.
#[derive(Debug, Clone)]
pub struct Setup {
    /// What starts it, for findings: `docker.service`, `dockerd 1234`, …
    pub label: String,
    pub rootless: bool,
    /// Where the flags come from (unit files, /proc/PID/cmdline).
    pub source: String,
    pub flags: Vec<Flag>,
    /// The dockerd (or dockerd-rootless.sh) path and the unit's words without -H, for the hosts drop-in: `$VAR` words
    /// kept as they are unless their values hold -H.
    pub argv: Vec<String>,
    pub config: String,
    /// That file, parsed (`None` when absent or unusable: `daemon.config` reports why).
    pub settings: Option<serde_json::Map<String, Value>>,
    /// The environment it gets; `None` when it can't be read (another user's process).
    pub env: Option<Vec<(String, String)>>,
    pub pid: Option<u32>,
    /// From the system unit (fixes are drop-ins).
    pub system_unit: bool,
    /// Why the command line could not be read in full.
    pub problem: Option<SetupProblem>,
}

/// Why a unit's command line was read without its variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetupProblem {
    /// `FILE:LINE: ExecStart= expansion exceeds N bytes`: more than execve(2) takes.
    Expansion(String),
    /// `FILE:LINE: EnvironmentFile=PATH: the unit's environment files hold more than 1 MiB …`: more than this doctor
    /// reads.
    Environment(String),
}

impl SetupProblem {
    /// What it says, naming the file and line.
    pub fn text(&self) -> &str {
        match self {
            SetupProblem::Expansion(t) | SetupProblem::Environment(t) => t,
        }
    }

    /// What to do about it, for the setup read from `source`.
    pub fn fix(&self, source: &str) -> String {
        match self {
            SetupProblem::Expansion(_) => format!(
                "Shorten what {source} expands (its Environment= and EnvironmentFile= values): a command line that \
long is more than execve(2) takes."
            ),
            SetupProblem::Environment(_) => format!(
                "Shorten the environment files of {source}: systemd reads them, but past 1 MiB together this doctor \
does not, so its flags are judged without their variables."
            ),
        }
    }
}

impl Setup {
    /// The (last) value of a dockerd flag.
    pub fn flag(&self, name: &str) -> Option<&str> {
        self.flags
            .iter()
            .find(|fl| fl.name == name)
            .and_then(|fl| fl.values.last())
            .map(String::as_str)
    }

    /// A boolean directive that is on, as a flag (`--debug`, not `--debug=false`) or as `true` in daemon.json.
    pub fn enabled(&self, key: &str) -> bool {
        self.flag(key).is_some_and(|v| v != "false")
            || self
                .settings
                .as_ref()
                .and_then(|c| c.get(key))
                .and_then(Value::as_bool)
                == Some(true)
    }

    /// A string directive of daemon.json.
    pub fn setting(&self, key: &str) -> Option<&str> {
        self.settings.as_ref()?.get(key)?.as_str()
    }
}

/// Environment= and EnvironmentFile= of a unit, as systemd hands them to the service. `Err` (why, naming the line
/// and the file) when its environment files together hold more than [`super::units::UNIT_BYTES`]: each file named
/// counts each time it is named, since each naming is a read and a parse.
fn unit_environment(f: &Facts, u: &Unit) -> Result<Vec<(String, String)>, String> {
    let mut env = Vec::new();
    for (_, e) in u.effective("Service", "Environment") {
        if let Ok(pairs) = unit::split_environment(&e.value) {
            env.extend(pairs);
        }
    }
    let mut left = super::units::UNIT_BYTES;
    for (file, e) in u.effective("Service", "EnvironmentFile") {
        let path = e.value.trim_start_matches('-');
        match f.read_at_most(path, left) {
            Some(Read::Ok(text)) => {
                left -= text.len() as u64;
                env.extend(unit::parse_env_file(&text).0);
            }
            Some(_) => {}
            None => {
                return Err(format!(
                    "{file}:{}: EnvironmentFile={path}: the unit's environment files hold more than {} MiB with this \
one: not read",
                    e.line,
                    super::units::UNIT_BYTES >> 20
                ));
            }
        }
    }
    Ok(env)
}

/// A variable of an environment given as pairs; the last assignment wins, as in a unit or an env file.
pub fn lookup<'a>(env: &'a [(String, String)]) -> impl Fn(&str) -> Option<String> + 'a {
    move |name| {
        env.iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    }
}

/// The variables of an environment given as pairs, by name (the last assignment wins): looked up once per word of a
/// command line, which a hostile unit may make thousands long.
fn by_name(env: &[(String, String)]) -> foldhash::HashMap<&str, &str> {
    env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// The command line of a unit's (last) ExecStart=, variables expanded.
fn unit_setup(f: &Facts, u: &Unit, rootless: bool) -> Option<Setup> {
    let exec = u.effective("Service", "ExecStart");
    let (path, entry) = exec.last()?;
    let raw = unit::split_command(&entry.value).ok()?;
    // Environment files past the cap leave the environment unknown (`env: None`), not empty.
    let env = unit_environment(f, u);
    let vars = by_name(env.as_deref().unwrap_or_default());
    let value = |name: &str| vars.get(name).copied();
    // A hostile unit or env file can expand to gigabytes; past the cap (or without an environment too large to
    // read) the unexpanded words stand in.
    let (argv, problem) = match &env {
        Err(e) => (raw.clone(), Some(SetupProblem::Environment(e.clone()))),
        Ok(_) => match unit::expand_argv(&raw, &value) {
            Ok(expanded) => (expanded, None),
            Err(e) => (
                raw.clone(),
                Some(SetupProblem::Expansion(format!(
                    "{path}:{}: ExecStart= {e}",
                    entry.line
                ))),
            ),
        },
    };
    let (program, args) = argv.split_first()?;
    // The hosts drop-in keeps the unit's `$DOCKER_OPTS`-style words as they are, so a later edit of the
    // EnvironmentFile still counts; unless what they expand to holds -H, which the drop-in exists to drop.
    // Asked only of a command line that expanded within the cap, so the words' expansions together stay within
    // it too (found by a hostile-user audit: after a refusal, each of 20,000 `${X}` words was expanded again, a
    // 16 MB value copied each time).
    let var_words_hold_hosts = problem.is_none()
        && raw.iter().skip(1).filter(|w| is_variable_word(w)).any(|w| {
            let expanded = unit::expand_argv(std::slice::from_ref(w), &value).unwrap_or_default();
            without_hosts(&expanded).len() != expanded.len()
        });
    let dropin_words: Vec<String> = if problem.is_none() && !var_words_hold_hosts {
        std::iter::once(program.clone())
            .chain(without_hosts(raw.get(1..).unwrap_or_default()))
            .collect()
    } else {
        std::iter::once(program.clone())
            .chain(without_hosts(args))
            .collect()
    };
    let (flags, _) = dockerd::parse_args(args);
    let config = if rootless {
        f.daemon_json_path()
    } else {
        ROOTFUL_CONFIG.to_owned()
    };
    Some(Setup {
        label: if rootless {
            format!("your {}", u.name)
        } else {
            u.name.clone()
        },
        rootless,
        source: format!("{path}:{} ExecStart", entry.line),
        config: dockerd::config_file(&flags, &config).to_owned(),
        settings: None,
        flags,
        argv: dropin_words,
        env: env.ok(),
        pid: None,
        system_unit: !rootless,
        problem,
    })
}

/// `$NAME` or `${NAME}`: a word systemd replaces by a variable's value split at whitespace.
pub fn is_variable_word(w: &str) -> bool {
    let name = w
        .strip_prefix("${")
        .and_then(|r| r.strip_suffix('}'))
        .or_else(|| w.strip_prefix('$'));
    name.is_some_and(|n| {
        n.chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

/// A command line's words without its -H/--host flags.
fn without_hosts(args: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut skip = false;
    for a in args {
        if skip {
            skip = false;
            continue;
        }
        if a == "-H" || a == "--host" {
            skip = true;
        } else if !(a.starts_with("--host=") || (a.starts_with("-H") && a.len() > 2)) {
            out.push(a.clone());
        }
    }
    out
}

/// Every way a dockerd is started here: units, the init script's DOCKER_OPTS, running processes.
fn setups(f: &Facts) -> Vec<Setup> {
    let mut out = Vec::new();
    match f.docker_service() {
        Read::Ok(u) if !u.masked => out.extend(unit_setup(f, u, false)),
        Read::Missing => {
            // No unit: an init script reads DOCKER_OPTS from /etc/default/docker (Debian) or /etc/sysconfig/docker.
            for path in ["/etc/default/docker", "/etc/sysconfig/docker"] {
                if let Read::Ok(text) = f.read(path)
                    && let Some((_, opts)) = unit::parse_env_file(&text)
                        .0
                        .into_iter()
                        .rev()
                        .find(|(k, _)| k == "DOCKER_OPTS" || k == "OPTIONS")
                {
                    let args: Vec<String> = opts.split_whitespace().map(str::to_owned).collect();
                    let (flags, _) = dockerd::parse_args(&args);
                    out.push(Setup {
                        label: "the init script".into(),
                        rootless: false,
                        source: format!("{path} DOCKER_OPTS"),
                        config: dockerd::config_file(&flags, ROOTFUL_CONFIG).to_owned(),
                        settings: None,
                        flags,
                        argv: Vec::new(),
                        env: Some(Vec::new()),
                        pid: None,
                        system_unit: false,
                        problem: None,
                    });
                }
            }
        }
        _ => {}
    }
    if let Read::Ok(u) = f.user_docker_service()
        && !u.masked
    {
        out.extend(unit_setup(f, u, true));
    }
    if let Read::Ok(list) = f.processes() {
        for p in list
            .iter()
            .filter(|p| p.name == "dockerd" && (p.uid == 0 || p.uid == f.user.uid))
        {
            let Read::Ok(argv) = f.cmdline(p.pid) else {
                continue;
            };
            let rootless = p.uid != 0;
            let (flags, _) = dockerd::parse_args(argv.get(1..).unwrap_or_default());
            let default = if rootless {
                f.daemon_json_path()
            } else {
                ROOTFUL_CONFIG.to_owned()
            };
            out.push(Setup {
                label: format!(
                    "{} dockerd {}",
                    if rootless { "your" } else { "the root" },
                    p.pid
                ),
                rootless,
                source: format!("/proc/{}/cmdline", p.pid),
                config: dockerd::config_file(&flags, &default).to_owned(),
                settings: None,
                env: f.environ(p.pid).ok().map(|e| {
                    e.iter()
                        .filter_map(|kv| {
                            kv.split_once('=')
                                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                        })
                        .collect()
                }),
                flags,
                argv: argv.clone(),
                pid: Some(p.pid),
                system_unit: false,
                problem: None,
            });
        }
    }
    for s in &mut out {
        s.settings = f.daemon_config(&s.config).ok().flatten();
    }
    out
}

/// `--name=value` or `--name value` in an argv.
pub fn flag<'a>(argv: &'a [String], name: &str) -> Option<&'a str> {
    let long = format!("--{name}");
    let eq = format!("--{name}=");
    argv.iter().enumerate().find_map(|(i, a)| {
        if let Some(v) = a.strip_prefix(&eq) {
            Some(v)
        } else if *a == long {
            argv.get(i + 1).map(String::as_str)
        } else {
            None
        }
    })
}

fn rootless_dockerd(f: &Facts) -> Option<u32> {
    if let (_, Read::Ok(Some(pid))) = f.docker_pid_file()
        && f.process(pid)
            .is_some_and(|p| p.name == "dockerd" && p.uid == f.user.uid)
    {
        return Some(pid);
    }
    match f.processes() {
        Read::Ok(list) => list
            .iter()
            .find(|p| p.name == "dockerd" && p.uid == f.user.uid)
            .map(|p| p.pid),
        _ => None,
    }
}
