//! The trial launch: the start path of dockerd-rootless.sh tried for real, without dockerd.
//!
//! [`Facts::launch_plan`] decides, from facts only, what dockerd-rootless.sh would run: the first of
//! `docker-rootlesskit` and `rootlesskit` on the user's PATH (or in ~/bin, where get.docker.com/rootless installs),
//! the network driver it would choose ([`Facts::start_driver`], the one network.driver and start.environment judge)
//! and the MTU it would pass (65520 for slirp4netns and pasta, 1500 otherwise), the port driver,
//! slirp4netns modes and `DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS` words from that session too, with the flags
//! Debian 12's docker.io 20.10 script (`/usr/share/docker.io/contrib/dockerd-rootless.sh`, the same in moby's
//! contrib at v20.10.24) passes, and `true` in place of the script itself:
//!
//! ```text
//! rootlesskit --net=slirp4netns --mtu=65520 --slirp4netns-sandbox=auto --slirp4netns-seccomp=auto
//!   --disable-host-loopback --port-driver=builtin --copy-up=/etc --copy-up=/run --propagation=rslave true
//! ```
//!
//! That exercises what fails in practice: the user namespace (clone), the uid/gid maps (subordinate ids,
//! newuidmap/newgidmap), the network namespace with its driver, the port driver, the copy-up mounts.
//! No `--state-dir` is passed: RootlessKit then makes its state dir with `os.MkdirTemp("", "rootlesskit")`, in the
//! runner's scratch `TMPDIR`, which the runner removes afterwards (RootlessKit removes its own on a normal exit).
//!
//! [`Facts::launch_trial`] runs it once, through `Host::run_bounded`: as the judged user when root judges someone
//! else, with a clean environment like their login's (HOME, USER, LOGNAME, PATH, XDG_RUNTIME_DIR when it exists),
//! for at most [`TRIAL_TIMEOUT`]. Nothing calls it on `preflight`'s path unless `--probe` is given.

use std::time::Duration;

use super::{Facts, FileKind, Read};
pub use crate::host::bounded::Exit;
use crate::host::bounded::{BoundedCommand, RunAs};

/// How long the trial may take before its process group is killed.
pub const TRIAL_TIMEOUT: Duration = Duration::from_secs(10);

/// What the trial runs, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrialPlan {
    /// The rootlesskit that would run.
    pub rootlesskit: String,
    /// The network driver dockerd-rootless.sh would choose.
    pub driver: String,
    /// Where that choice came from (`DOCKERD_ROOTLESS_ROOTLESSKIT_NET`, or the binary found on PATH).
    pub driver_source: String,
    pub argv: Vec<String>,
    pub env: Vec<(String, String)>,
    /// The user it runs as when that is not this process (root judging someone else).
    pub as_user: Option<String>,
    pub timeout: Duration,
}

/// Why there is nothing to try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoPlan {
    /// Neither docker-rootlesskit nor rootlesskit is installed.
    NoRootlesskit,
    /// No network driver dockerd-rootless.sh would take.
    NoDriver,
}

/// The trial's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trial {
    /// This host launches nothing (a `--root` tree, a fixture without a recording): the reason.
    Unsupported(String),
    /// The command could not be started at all (no setpriv, a scratch dir that could not be made): the error.
    CouldNotRun(String),
    Ran(TrialRun),
}

/// A trial that ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrialRun {
    pub exit: Exit,
    pub stdout: String,
    pub stderr: String,
    pub elapsed_ms: u128,
    /// What it left in its scratch TMPDIR (removed by the runner).
    pub leftovers: Vec<String>,
    pub cleanup_error: Option<String>,
    /// The error of a first attempt that hit RootlessKit's port-driver race and was tried again.
    pub first_attempt: Option<String>,
}

impl Facts<'_> {
    /// What the trial launch would run, or why there is nothing to try.
    pub fn launch_plan(&self) -> &Result<TrialPlan, NoPlan> {
        self.derived.launch_plan.get_or_init(|| plan(self))
    }

    /// A bounded run of `argv` with `env`, as `as_user` (the judged user, when root judges someone else).
    /// Whom a command runs as: the judged user, by the name the plan gives (`None`: the doctor itself).
    fn run_as(&self, name: Option<&String>) -> Option<RunAs> {
        name.map(|name| RunAs {
            name: name.clone(),
            uid: self.user.uid,
            gid: self.user.gid,
        })
    }

    pub(super) fn bounded(
        &self,
        argv: &[String],
        env: &[(String, String)],
        as_user: Option<&String>,
        timeout: Duration,
    ) -> BoundedCommand {
        BoundedCommand {
            argv: argv.to_vec(),
            env: env.to_vec(),
            as_user: self.run_as(as_user),
            timeout,
            scratch_dirs: Vec::new(),
            scratch_files: Vec::new(),
            stdin: Vec::new(),
            ready: None,
        }
    }

    /// Runs the trial (once per run); `None` when there is nothing to try ([`Facts::launch_plan`]).
    pub fn launch_trial(&self) -> Option<&Trial> {
        let plan = self.launch_plan().as_ref().ok()?;
        Some(
            self.derived
                .launch_trial
                .get_or_init(|| self.run_trial(plan)),
        )
    }

    /// The trial of one combination of drivers, as `net` weighs them: the same command as [`Facts::launch_plan`]'s
    /// with `--net`, `--port-driver`, `--mtu` and `DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS` of `c`. Not cached: each
    /// call runs RootlessKit once more (twice more after losing the port-driver race).
    pub fn trial_of(&self, c: &Combination) -> Result<(TrialPlan, Trial), NoPlan> {
        let plan = plan_with(self, Some(c))?;
        let trial = self.run_trial(&plan);
        Ok((plan, trial))
    }

    /// `net bench`'s run of one combination: the command [`Facts::trial_of`] would run, with the bench's child in
    /// place of `true` ([`crate::host::bench`]), each leg pushing `bytes`, all of it within `timeout`. `Err` says why
    /// nothing ran (no rootlesskit; a host that launches nothing, with the host's words).
    pub fn bench_of(
        &self,
        c: &Combination,
        bytes: u64,
        timeout: Duration,
    ) -> Result<crate::host::bench::BenchOutput, String> {
        use crate::host::bench::{BenchCommand, Publish};
        let plan = plan_with(self, Some(c)).map_err(|_| "no rootlesskit to run".to_owned())?;
        let mut argv = plan.argv;
        // The trial's child.
        argv.pop();
        let publish = match c.port.as_str() {
            "builtin" | "slirp4netns" => Publish::Api,
            "implicit" => Publish::Implicit,
            _ => Publish::Nothing,
        };
        let cmd = BenchCommand {
            as_user: self.run_as(plan.as_user.as_ref()),
            argv,
            env: plan.env,
            publish,
            bytes,
            timeout,
        };
        self.host
            .run_bench(&cmd)
            .map_err(|e| crate::host::describe_error(&e))
    }

    /// Runs `plan`, again (up to [`RACE_RETRIES`] times) when it lost RootlessKit's port-driver race.
    fn run_trial(&self, plan: &TrialPlan) -> Trial {
        {
            let cmd = self.bounded(&plan.argv, &plan.env, plan.as_user.as_ref(), plan.timeout);
            let first = run(self, &cmd);
            // `true` exits at once, and RootlessKit 1.1.0's parent can still be setting up the builtin port driver
            // on its socket: it then fails with the socket's error, a race of the trial, not of the start path
            // (where dockerd keeps running). On a loaded machine it can come twice in a row (seen in CI), so the
            // trial asks up to twice more, and says so.
            let mut outcome = first;
            for _ in 0..RACE_RETRIES {
                let Trial::Ran(r) = &outcome else { break };
                if !port_driver_race(r) {
                    break;
                }
                let first_line = match &r.first_attempt {
                    Some(line) => line.clone(),
                    None => crate::parse::known_errors::error_line(&r.stderr, &r.stdout),
                };
                let mut again = run(self, &cmd);
                if let Trial::Ran(r2) = &mut again {
                    r2.first_attempt = Some(first_line);
                }
                outcome = again;
            }
            outcome
        }
    }
}

/// A combination of drivers to try ([`Facts::trial_of`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Combination {
    pub net: String,
    pub port: String,
    pub mtu: u32,
    /// The words of `DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS`.
    pub flags: Vec<String>,
}

/// How many times the trial is run again after losing [`port_driver_race`].
const RACE_RETRIES: usize = 2;

/// The trial's `true` ended before RootlessKit's parent had set up the builtin port driver on `.bp.sock`.
fn port_driver_race(r: &TrialRun) -> bool {
    r.exit != Exit::Code(0)
        && r.stderr.lines().any(|l| {
            l.contains("/.bp.sock")
                && (l.contains("connection reset by peer")
                    || l.contains("connect: no such file or directory")
                    || l.contains("connect: connection refused"))
        })
}

/// How long the start trial may take: dockerd and its containerd start in seconds; a loaded machine gets room.
pub const START_TIMEOUT: Duration = Duration::from_secs(45);

/// The second trial: the whole start path, the real dockerd-rootless.sh through RootlessKit to a dockerd that
/// answers, with dockerd's runtime, data and configuration directories in the runner's scratch directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartPlan {
    /// The dockerd-rootless.sh that would run ([`Facts::rootless_script`]).
    pub script: String,
    pub argv: Vec<String>,
    pub env: Vec<(String, String)>,
    /// Variables the runner points at fresh directories of its scratch directory.
    pub scratch_dirs: Vec<(String, String)>,
    /// The user's daemon.json as the trial's own (`$XDG_CONFIG_HOME/docker/daemon.json` in the scratch directory).
    pub config: Option<TrialConfig>,
    /// The socket, inside the scratch directory, whose `GET /_ping` means the daemon came up.
    pub ready: String,
    pub as_user: Option<String>,
    pub timeout: Duration,
}

impl Facts<'_> {
    /// What the start trial would run; `None` without a dockerd-rootless.sh, or on a host without a running system.
    pub fn start_plan(&self) -> Option<&StartPlan> {
        self.derived
            .start_plan
            .get_or_init(|| start_plan(self))
            .as_ref()
    }

    /// Runs the start trial (once per run); `None` when there is nothing to try ([`Facts::start_plan`]).
    pub fn start_trial(&self) -> Option<&Trial> {
        let plan = self.start_plan()?;
        Some(self.derived.start_trial.get_or_init(|| {
            let cmd = BoundedCommand {
                scratch_dirs: plan.scratch_dirs.clone(),
                scratch_files: plan
                    .config
                    .as_ref()
                    .map(|c| {
                        vec![(
                            "config/docker/daemon.json".to_owned(),
                            c.text.clone().into_bytes(),
                        )]
                    })
                    .unwrap_or_default(),
                stdin: Vec::new(),
                ready: Some(plan.ready.clone()),
                ..self.bounded(&plan.argv, &plan.env, plan.as_user.as_ref(), plan.timeout)
            };
            run(self, &cmd)
        }))
    }
}

pub(super) fn run(f: &Facts, cmd: &BoundedCommand) -> Trial {
    match f.host.run_bounded(cmd) {
        Ok(o) => Trial::Ran(TrialRun {
            exit: o.exit,
            stdout: o.stdout,
            stderr: o.stderr,
            elapsed_ms: o.elapsed.as_millis(),
            leftovers: o.leftovers,
            cleanup_error: o.cleanup_error,
            first_attempt: None,
        }),
        Err(e) if e.kind() == std::io::ErrorKind::Unsupported => {
            Trial::Unsupported(crate::host::describe_error(&e))
        }
        Err(e) => Trial::CouldNotRun(crate::host::describe_error(&e)),
    }
}

/// The user's daemon.json as the start trial gets it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrialConfig {
    /// The user's file.
    pub from: String,
    /// What the trial's dockerd reads.
    pub text: String,
    /// The keys left out, because they would point the trial at the user's real directories or sockets.
    pub dropped: Vec<String>,
}

/// daemon.json keys that name the user's real data, runtime state or sockets: the trial's own stand in for them.
const PINNED_KEYS: &[&str] = &["data-root", "graph", "exec-root", "pidfile", "hosts"];

/// The user's daemon.json for the trial: a JSON object without [`PINNED_KEYS`]; text that does not parse as one is
/// given as it is (dockerd refuses it before it touches anything, as it would for the real start).
fn trial_config(f: &Facts) -> Option<TrialConfig> {
    let from = f.daemon_json_path();
    let text = match f.read_config(&from) {
        Read::Ok(text) => text,
        _ => return None,
    };
    let (text, dropped) = match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(serde_json::Value::Object(mut map)) => {
            let dropped: Vec<String> = PINNED_KEYS
                .iter()
                .filter(|k| map.remove(**k).is_some())
                .map(|k| (*k).to_owned())
                .collect();
            let text = serde_json::to_string_pretty(&serde_json::Value::Object(map)).ok()?;
            (text, dropped)
        }
        _ => (text, Vec::new()),
    };
    Some(TrialConfig {
        from,
        text,
        dropped,
    })
}

/// The script as the user would start it: their login-like environment with the daemon's PATH and the
/// `DOCKERD_ROOTLESS_*` (and `DOCKER_DRIVER`) variables of the start environment, `XDG_RUNTIME_DIR`, `XDG_DATA_HOME`
/// and `XDG_CONFIG_HOME` in the scratch directory (so dockerd's socket, pid file, exec-root, containerd and data-root
/// are the trial's own, and the user's real data-root is never touched), HOME the user's. The user's daemon.json
/// comes along without the keys that would point back at the real directories ([`trial_config`]).
fn start_plan(f: &Facts) -> Option<StartPlan> {
    let script = f.rootless_script()?.path.clone();
    let dirs = f.daemon_path()?.dirs.clone();
    let name = f.user.name.clone();
    let mut env = vec![
        ("HOME".to_owned(), f.user.home.clone()),
        ("USER".to_owned(), name.clone()),
        ("LOGNAME".to_owned(), name.clone()),
        ("PATH".to_owned(), dirs.join(":")),
    ];
    if let Some(start) = f.start_env() {
        for (k, v) in &start.vars {
            if (k.starts_with("DOCKERD_ROOTLESS_") || k == "DOCKERD" || k == "DOCKER_DRIVER")
                && !env.iter().any(|(e, _)| e == k)
            {
                env.push((k.clone(), v.clone()));
            }
        }
    }
    let scratch_dirs = [
        ("XDG_RUNTIME_DIR", "run"),
        ("XDG_DATA_HOME", "data"),
        ("XDG_CONFIG_HOME", "config"),
    ]
    .iter()
    .map(|(k, d)| ((*k).to_owned(), (*d).to_owned()))
    .collect();
    let as_user = (f.identity.euid == 0 && f.user.uid != 0).then_some(name);
    Some(StartPlan {
        argv: vec![script.clone()],
        script,
        env,
        scratch_dirs,
        config: trial_config(f),
        ready: "run/docker.sock".to_owned(),
        as_user,
        timeout: START_TIMEOUT,
    })
}

fn plan(f: &Facts) -> Result<TrialPlan, NoPlan> {
    plan_with(f, None)
}

/// The trial's command: for the drivers dockerd-rootless.sh would choose, or for the combination `over`.
fn plan_with(f: &Facts, over: Option<&Combination>) -> Result<TrialPlan, NoPlan> {
    let home_bin = format!("{}/bin", f.user.home.trim_end_matches('/'));
    let mut dirs = f.path_dirs();
    if !f.user.home.is_empty() {
        dirs.push(home_bin);
    }
    let rootlesskit = ["docker-rootlesskit", "rootlesskit"]
        .iter()
        .find_map(|name| f.first_in(name, &dirs))
        .ok_or(NoPlan::NoRootlesskit)?;
    let own = |name: &str| {
        f.is_own_session()
            .then(|| f.env(name))
            .flatten()
            .filter(|v| !v.is_empty())
    };
    let path_dirs = f.path_dirs();
    // The driver dockerd-rootless.sh will choose (the shared fact: its variable, else what the script looks for on
    // the daemon's PATH).
    let (driver, driver_source) = match over {
        Some(c) => (c.net.clone(), "asked by `rootless-doctor net`".to_owned()),
        None => {
            let chosen = f.start_driver().ok_or(NoPlan::NoDriver)?;
            let driver = chosen.driver.clone().ok_or(NoPlan::NoDriver)?;
            (driver, chosen.source.clone())
        }
    };
    // The script's defaults (moby's contrib/dockerd-rootless.sh): MTU 65520 for slirp4netns and pasta, else 1500;
    // port driver implicit for pasta, else builtin.
    let mtu = over
        .map(|c| c.mtu.to_string())
        .or_else(|| own("DOCKERD_ROOTLESS_ROOTLESSKIT_MTU"))
        .unwrap_or_else(|| {
            if driver == "slirp4netns" || driver == "pasta" {
                "65520"
            } else {
                "1500"
            }
            .to_owned()
        });
    // The other variables the script passes on, from the user's own session as for the driver and MTU.
    let or = |name: &str, default: &str| own(name).unwrap_or_else(|| default.to_owned());
    let sandbox = or("DOCKERD_ROOTLESS_ROOTLESSKIT_SLIRP4NETNS_SANDBOX", "auto");
    let seccomp = or("DOCKERD_ROOTLESS_ROOTLESSKIT_SLIRP4NETNS_SECCOMP", "auto");
    let port_driver = match over {
        Some(c) => c.port.clone(),
        None => or(
            "DOCKERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER",
            if driver == "pasta" {
                "implicit"
            } else {
                "builtin"
            },
        ),
    };
    let mut argv: Vec<String> = vec![
        rootlesskit.clone(),
        format!("--net={driver}"),
        format!("--mtu={mtu}"),
        format!("--slirp4netns-sandbox={sandbox}"),
        format!("--slirp4netns-seccomp={seccomp}"),
        "--disable-host-loopback".to_owned(),
        format!("--port-driver={port_driver}"),
        "--copy-up=/etc".to_owned(),
        "--copy-up=/run".to_owned(),
        "--propagation=rslave".to_owned(),
    ];
    // `$DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS`, unquoted in the script: split at blanks.
    if let Some(c) = over {
        argv.extend(c.flags.iter().cloned());
    } else if let Some(flags) = own("DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS") {
        argv.extend(
            flags
                .split([' ', '\t', '\n'])
                .filter(|w| !w.is_empty())
                .map(str::to_owned),
        );
    }
    argv.push("true".to_owned());
    let name = f.user.name.clone();
    let mut env = vec![
        ("HOME".to_owned(), f.user.home.clone()),
        ("USER".to_owned(), name.clone()),
        ("LOGNAME".to_owned(), name.clone()),
        ("PATH".to_owned(), path_dirs.join(":")),
    ];
    let runtime = f.runtime_dir();
    if matches!(f.stat(&runtime), Read::Ok(m) if m.kind == FileKind::Dir) {
        env.push(("XDG_RUNTIME_DIR".to_owned(), runtime));
    }
    let as_user = (f.identity.euid == 0 && f.user.uid != 0).then_some(name);
    Ok(TrialPlan {
        rootlesskit,
        driver,
        driver_source,
        argv,
        env,
        as_user,
        timeout: TRIAL_TIMEOUT,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::test_support::facts;

    #[test]
    fn regression_trial_port_driver_race_read_as_a_failure() {
        // Seen on the CI machine under load: `true` ended before RootlessKit 1.1.0's parent had set up the builtin
        // port driver, and the trial was reported as a start path that fails.
        let run = |stderr: &str, code| TrialRun {
            exit: Exit::Code(code),
            stdout: String::new(),
            stderr: stderr.to_owned(),
            elapsed_ms: 1,
            leftovers: vec![],
            cleanup_error: None,
            first_attempt: None,
        };
        let race = "[rootlesskit:parent] error: read unix @->/tmp/rootless-doctor-run.HRttqy/rootlesskit956188449/.bp.sock: read: connection reset by peer\n";
        assert!(super::port_driver_race(&run(race, 1)));
        let dial = "[rootlesskit:parent] error: dial unix /tmp/x/rootlesskit1/.bp.sock: connect: no such file or directory\n";
        assert!(super::port_driver_race(&run(dial, 1)));
        // A real failure, and a success, are not retried.
        assert!(!super::port_driver_race(&run(
            "[rootlesskit:parent] error: failed to setup UID/GID map: failed to compute uid/gid map: No subuid ranges found for user 1002 (\"x\")\n",
            1
        )));
        assert!(!super::port_driver_race(&run(race, 0)));
    }

    #[test]
    fn the_plan_mirrors_dockerd_rootless_sh() {
        let f = facts("debian-12");
        let plan = f.launch_plan().as_ref().unwrap();
        assert_eq!(plan.rootlesskit, "/usr/bin/rootlesskit");
        assert_eq!(plan.driver, "slirp4netns");
        assert_eq!(plan.driver_source, "/usr/bin/slirp4netns");
        assert_eq!(
            plan.argv,
            [
                "/usr/bin/rootlesskit",
                "--net=slirp4netns",
                "--mtu=65520",
                "--slirp4netns-sandbox=auto",
                "--slirp4netns-seccomp=auto",
                "--disable-host-loopback",
                "--port-driver=builtin",
                "--copy-up=/etc",
                "--copy-up=/run",
                "--propagation=rslave",
                "true"
            ]
        );
        let env: Vec<String> = plan.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
        assert_eq!(
            env,
            [
                "HOME=/home/alice",
                "USER=alice",
                "LOGNAME=alice",
                "PATH=/usr/local/bin:/usr/bin:/bin",
                "XDG_RUNTIME_DIR=/run/user/1000"
            ]
        );
        assert_eq!(plan.as_user, None);
        assert_eq!(plan.timeout, TRIAL_TIMEOUT);
    }

    #[test]
    fn regression_trial_ignored_the_sessions_rootlesskit_variables() {
        let f = facts("debian-12-no-systemd-start-flags");
        let plan = f.launch_plan().as_ref().unwrap();
        assert_eq!(
            plan.argv[plan.argv.len() - 3..],
            ["--cidr=10.0.3.0/24", "--detach-netns", "true"]
        );
        let f = facts("debian-12-no-systemd-start-mtu");
        let plan = f.launch_plan().as_ref().unwrap();
        assert_eq!(plan.argv[2], "--mtu=70000");
    }

    #[test]
    fn the_trial_takes_the_driver_the_script_will_choose() {
        // 28.5.2's script looks for pasta when slirp4netns is missing, and passes its MTU and port driver.
        let f = facts("ubuntu-24.04-pasta-without-profile-docker-28.5.2");
        let plan = f.launch_plan().as_ref().unwrap();
        assert_eq!(plan.driver, "pasta");
        assert_eq!(plan.driver_source, "/usr/bin/pasta");
        assert_eq!(plan.argv[1..3], ["--net=pasta", "--mtu=65520"]);
        assert!(plan.argv.contains(&"--port-driver=implicit".to_owned()));
        assert_eq!(
            f.start_driver().and_then(|d| d.driver.as_deref()),
            Some("pasta")
        );
        // docker.io 24.0.7's script predates pasta: no driver, so nothing to try (network.driver fails).
        let f = facts("ubuntu-24.04-pasta-without-profile");
        assert_eq!(f.launch_plan(), &Err(NoPlan::NoDriver));
    }

    #[test]
    fn a_fixture_without_a_recording_launches_nothing() {
        let f = facts("debian-12");
        assert!(matches!(f.launch_trial(), Some(Trial::Unsupported(_))));
    }
}
