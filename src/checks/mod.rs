//! The checks: plain functions from [`Facts`] to a [`Verdict`], listed in one static table.
//!
//! **Architecture Invariant:** checks never print, never touch the host except through `Facts`,
//! and never stop early: an unreadable file becomes an `error` verdict naming the path and errno.
//! **Architecture Invariant:** this module is the only place that orders checks.

use crate::facts::Facts;
use crate::model::{Finding, Remediation, Status, Step, Verdict};

mod apparmor;
mod cgroup;
mod client;
mod daemon;
mod distro;
mod iptables;
mod kernel;
mod launch;
mod network;
mod rootlesskit;
mod session;
mod start;
mod storage;
mod subid;
mod systemd;
mod uidmap;
mod userns;
mod volumes;

#[cfg(test)]
pub(crate) mod test_support;

/// One check: identity, documentation, and the function that judges.
pub struct Check {
    /// Stable ID, `area.name`; scripts and `--only`/`--skip` depend on it.
    pub id: &'static str,
    /// The id's prefix, which is also the file under `src/checks/` that declares it (a test holds both).
    pub area: &'static str,
    /// Which command runs it: both `preflight` and `check`, or only `check`.
    pub scope: Scope,
    /// Judges the running kernel or session (/proc, /sys, /run, the environment) rather than files:
    /// on a `--root` tree without /proc/sys (a mounted image) it is skipped, not guessed.
    pub needs_runtime: bool,
    /// Its verdict depends on the user judged (their ranges, session, files, daemon, PATH); `--all-users` runs it
    /// once per account. False for what is the same for every user (the kernel, the distribution, root's files,
    /// the system daemon's socket): run once for the host. A test holds every host-wide check to the same verdict
    /// for two users of each fixture.
    pub per_user: bool,
    /// Which daemon it is about: rootless mode only (a rootful user, `--target rootful`, gets its finding as a note),
    /// or whichever daemon the client targets.
    pub judges: Judges,
    /// One line for `list`.
    pub title: &'static str,
    /// Where a user can read more: public URLs and man pages (`name(N)`), separated by `; `.
    pub reference: &'static str,
    /// The long text of `explain`: what it checks, why, the exact error users see, how to fix it.
    pub explain: &'static str,
    /// Logical packages (keys of `distros/*.toml` `[packages]`) the fix installs; `explain` shows them per distro.
    pub packages: &'static [&'static str],
    /// Logical packages the fix removes; `explain` shows them only for the distributions that package them (a
    /// `[packages]` entry in their file).
    pub removes: &'static [&'static str],
    pub run: fn(&Facts) -> Verdict,
}

/// Which daemon a check is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Judges {
    /// What only rootless mode needs (subordinate ids, user namespaces, RootlessKit, the user's daemon): for a
    /// client that targets the rootful daemon its warnings and failures become notes (`Status::Info`).
    Rootless,
    /// The client, the system daemon and the host both modes share (DNS, forwarding, the kernel, data-roots).
    AnyDaemon,
}

/// Which command runs a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// `preflight` and `check`: it judges what must hold before anything is installed or started.
    Preflight,
    /// Only `check`: it needs (or looks for) a running daemon, or is the daemon and host configuration
    /// that comes with one (DNS, forwarding, network managers, the kernel configuration, volumes).
    CheckOnly,
    /// `check`, and `preflight --probe`: it launches a process (the trial launch), which plain `preflight` never does.
    Probe,
}

impl Check {
    /// Whether `preflight` runs this check (it runs before anything is installed or started).
    pub fn in_preflight(&self) -> bool {
        self.scope == Scope::Preflight
    }

    /// Whether a run with `daemon` (the `check` command) and `probe` (`check`, `preflight --probe`) runs this check.
    pub fn runs(&self, daemon: bool, probe: bool) -> bool {
        match self.scope {
            Scope::Preflight => true,
            Scope::CheckOnly => daemon,
            Scope::Probe => daemon || probe,
        }
    }
}

/// The areas in report order, each with the table of the file named after it (`stringify!` of the module, so the
/// name cannot drift from the file; a test holds every check's `area` to it).
macro_rules! areas {
    ($($area:ident),* $(,)?) => {
        const AREAS: &[(&str, &[Check])] = &[$((stringify!($area), $area::CHECKS)),*];
    };
}

areas![
    distro,
    systemd,
    uidmap,
    subid,
    userns,
    apparmor,
    session,
    cgroup,
    storage,
    iptables,
    start,
    network,
    kernel,
    client,
    daemon,
    rootlesskit,
    launch,
    volumes,
];

/// Every check, in report order.
pub fn all() -> impl Iterator<Item = &'static Check> {
    AREAS.iter().flat_map(|(_, checks)| checks.iter())
}

pub fn find(id: &str) -> Option<&'static Check> {
    all().find(|c| c.id == id)
}

/// Which checks to run: `--only` and `--skip` take IDs or areas.
#[derive(Debug, Default, Clone)]
pub struct Selection {
    pub only: Vec<String>,
    pub skip: Vec<String>,
}

impl Selection {
    fn names(check: &Check, word: &str) -> bool {
        check.id == word || check.area == word
    }

    pub fn includes(&self, check: &Check) -> bool {
        (self.only.is_empty() || self.only.iter().any(|w| Selection::names(check, w)))
            && !self.skip.iter().any(|w| Selection::names(check, w))
    }

    /// Words that name no check and no area: a usage error, not a silent no-op.
    pub fn unknown_words(&self) -> Vec<String> {
        self.only
            .iter()
            .chain(&self.skip)
            .filter(|w| !all().any(|c| Selection::names(c, w)))
            .cloned()
            .collect()
    }
}

/// Runs the selected checks in order; `daemon` adds the checks of a running daemon (the `check` command), `probe`
/// the checks that launch something (`Scope::Probe`: `check`, and `preflight --probe`).
///
/// A check never sees another's verdict; a verdict that names the checks explaining it (`Verdict::explained_by`,
/// `launch.trial`'s error through the known-error table) is completed here, once every selected check has run:
/// each named check's status in this run (judged now if it was not selected) goes into its summary and evidence.
pub fn run(facts: &Facts, selection: &Selection, daemon: bool, probe: bool) -> Vec<Finding> {
    run_part(facts, selection, daemon, probe, Part::All)
}

/// Which checks of a run [`run_part`] judges: all, those the same for every user, or those of one user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    All,
    Host,
    User,
}

impl Part {
    fn includes(self, check: &Check) -> bool {
        match self {
            Part::All => true,
            Part::Host => !check.per_user,
            Part::User => check.per_user,
        }
    }
}

/// [`run`], restricted to `part`: `--all-users` judges the host's part once and each account's part per account.
pub fn run_part(
    facts: &Facts,
    selection: &Selection,
    daemon: bool,
    probe: bool,
    part: Part,
) -> Vec<Finding> {
    let verdicts: Vec<(&Check, Verdict)> = all()
        .filter(|c| selection.includes(c) && part.includes(c) && c.runs(daemon, probe))
        .map(|c| {
            // Rootless mode's trial launches are not started for a run that judges the rootful daemon.
            if c.scope == Scope::Probe && c.judges == Judges::Rootless && facts.targets_rootful() {
                return (
                    c,
                    Verdict::skip(
                        "not tried: it launches rootless mode's start path, and this run judges the rootful daemon (--target rootless tries it)",
                    ),
                );
            }
            (c, verdict(c, facts))
        })
        .collect();
    // Only a verdict that names the checks explaining it is rewritten (and needs the others as they were); the rest
    // move into their findings uncloned.
    let explained: Vec<Option<Verdict>> = verdicts
        .iter()
        .map(|(_, v)| {
            (!v.explained_by.is_empty()).then(|| explain_with(v.clone(), &verdicts, facts))
        })
        .collect();
    let rootful = facts.targets_rootful();
    verdicts
        .into_iter()
        .zip(explained)
        .map(|((c, ran), explained)| {
            let v = explained.unwrap_or(ran);
            let v = if rootful && c.judges == Judges::Rootless {
                as_note(v)
            } else {
                v
            };
            Finding::new(c.id, c.area, c.reference, v)
        })
        .collect()
}

/// A rootless-mode verdict for a run that judges the rootful daemon: what would warn or fail becomes a note
/// (`Status::Info`), so it neither fails the run nor enters `fix`'s plan; a pass or a skip stays as it is.
fn as_note(mut v: Verdict) -> Verdict {
    if matches!(v.status, Status::Warn | Status::Fail | Status::Error) {
        v.summary = format!(
            "for rootless mode only (this run judges the rootful daemon; --target rootless judges rootless mode): {} ({})",
            v.summary,
            v.status.as_str()
        );
        v.status = Status::Info;
    }
    v
}

/// Adds to `v` what each check it names as its explanation says in this run (see [`run`]).
fn explain_with(mut v: Verdict, ran: &[(&Check, Verdict)], facts: &Facts) -> Verdict {
    if v.explained_by.is_empty() {
        return v;
    }
    let mut notes = Vec::new();
    let others: Vec<(&'static str, Verdict)> = v
        .explained_by
        .iter()
        .copied()
        .filter_map(|id| {
            let check = find(id)?;
            let other = match ran.iter().find(|(c, _)| c.id == id) {
                Some((_, o)) => o.clone(),
                None => verdict(check, facts),
            };
            Some((check.id, other))
        })
        .collect();
    // When one of the named checks reports the cause, the others (which judge other ways to the same error, e.g.
    // the subid files and a subid module) passing or skipping is expected, not a miss of the doctor's.
    let reported = others
        .iter()
        .any(|(_, o)| matches!(o.status, Status::Fail | Status::Warn | Status::Error));
    let mut fix_ids: Vec<&'static str> = Vec::new();
    for (id, other) in others {
        if reported && matches!(other.status, Status::Pass | Status::Info | Status::Skip) {
            continue;
        }
        fix_ids.push(id);
        let (note, detail) = match other.status {
            Status::Fail | Status::Warn | Status::Error => (
                format!(
                    "{id} explains it, and reports it here too ({})",
                    other.status.as_str()
                ),
                other.summary.clone(),
            ),
            Status::Pass | Status::Info => (
                format!(
                    "{id} explains it, yet passed here: the doctor did not predict this (please report it)"
                ),
                other.summary.clone(),
            ),
            Status::Skip => (
                format!("{id} explains it, but was skipped here"),
                other.summary.clone(),
            ),
        };
        notes.push(note);
        v.evidence.push(crate::model::Evidence {
            source: id.to_owned(),
            detail: format!("{}: {detail}", other.status.as_str()),
        });
    }
    if !notes.is_empty() {
        v.summary = format!("{}; {}", v.summary, notes.join("; "));
    }
    if v.remediation.is_none() && !fix_ids.is_empty() {
        let steps: Vec<crate::model::Step> = fix_ids
            .iter()
            .map(|id| crate::model::Step::user(["rootless-doctor", "explain", id]))
            .collect();
        v = v.fix(
            crate::model::Remediation::text(format!(
                "Fix what {} {}, then run the check again.",
                fix_ids.join(" and "),
                if fix_ids.len() == 1 {
                    "reports"
                } else {
                    "report"
                }
            ))
            .steps(steps)
            .by_hand("explain only prints the fix of the check it names"),
        );
    }
    v
}

/// One check's verdict on these facts; a check that judges the running system is skipped on a tree without one.
fn verdict(c: &Check, facts: &Facts) -> Verdict {
    if c.needs_runtime && !facts.has_runtime() {
        return Verdict::skip(format!(
            "{} has no /proc/sys: a tree of files (a mounted image) shows no running kernel or session to judge",
            facts.root_display()
        ));
    }
    (c.run)(facts)
}

/// The verdict for a read that failed for a reason other than absence.
pub(crate) fn unreadable(path: &str, err: &str) -> Verdict {
    Verdict::error(format!("cannot read {path}: {err}")).evidence(path, err.to_owned())
}

// --- what several areas share: fixes and formatting ------------------------------------------

/// The step that edits the daemon.json at `path` (`root`: a system daemon's file), from its content as the facts
/// read it: `None` when it could not be read, is not a regular file (`fix --apply` refuses a symbolic link there),
/// is not a JSON object (daemon.config says so) or already is as asked.
pub(crate) fn daemon_json_edit(
    f: &Facts,
    path: &str,
    root: bool,
    set: serde_json::Map<String, serde_json::Value>,
    remove: &[&str],
) -> Option<Step> {
    use crate::facts::Read;
    let base = match f.lstat(path) {
        Read::Missing => None,
        Read::Ok(m) if m.kind == crate::host::FileKind::File => match f.read_config(path) {
            Read::Ok(text) => Some(text),
            _ => return None,
        },
        _ => return None,
    };
    Step::edit_json(
        root,
        path,
        base.as_deref(),
        set,
        remove.iter().map(|&k| k.to_owned()).collect(),
    )
}

/// Points the client at the rootless daemon: DOCKER_HOST, or a `rootless` context.
pub(crate) fn use_rootless(f: &Facts) -> Remediation {
    let url = format!("unix://{}", f.rootless_socket());
    let host = format!("host={url}");
    Remediation::text(format!(
        "Point the client at your rootless daemon: `export DOCKER_HOST={url}` in your shell profile, or a context:"
    ))
    .steps([
        Step::user(["docker", "context", "create", "rootless", "--docker", host.as_str()])
            .undo(["docker", "context", "rm", "rootless"]),
        Step::user(["docker", "context", "use", "rootless"]).undo(["docker", "context", "use", "default"]),
    ])
}

/// Points the client at a daemon's address: DOCKER_HOST, `docker -H`, or a context named `name`.
pub(crate) fn point_client_at(url: &str, name: &str) -> Remediation {
    let quoted = crate::model::shell_quote(url);
    let text = format!(
        "Point the client where the daemon listens: `export DOCKER_HOST={quoted}` in your shell profile, `docker -H {quoted} …` \
for one command, or a context:"
    );
    // `--docker` splits its value on commas (`host=…,ca=…`): an address holding one gets no context step.
    if url.contains([',', '"']) {
        return Remediation::text(text.replace(", or a context:", "."))
            .by_hand("an address with a comma cannot be a context's host");
    }
    let host = format!("host={url}");
    Remediation::text(text).steps([
        Step::user([
            "docker",
            "context",
            "create",
            name,
            "--docker",
            host.as_str(),
        ])
        .undo(["docker", "context", "rm", name]),
        Step::user(["docker", "context", "use", name])
            .undo(["docker", "context", "use", "default"]),
    ])
}

/// How the system daemon is started and kept at boot (the daemon troubleshooting guide's `systemctl start docker`,
/// or the init script without systemd).
pub(crate) fn start_rootful(f: &Facts) -> Remediation {
    if f.systemd {
        Remediation::text(
            "Start the system daemon and enable it at boot; if it does not stay up, `journalctl -u docker.service` says why:",
        )
        .step(Step::root(["systemctl", "enable", "--now", "docker.service"]))
        .by_hand("starting the system daemon is the administrator's choice")
    } else {
        Remediation::text(
            "Start the system daemon with the init system's script (no systemd here); if it does not stay up, its log \
(/var/log/docker.log, or the init system's) says why:",
        )
        .step(Step::root(["service", "docker", "start"]))
        .by_hand("starting the system daemon is the administrator's choice")
    }
}

/// How a user gets the rootful socket: the docker group, which counts from the next login (or a `newgrp docker`
/// shell); the group is root-equivalent.
pub(crate) fn join_docker_group(f: &Facts) -> Remediation {
    Remediation::text(format!(
        "Add {} to the docker group (root-equivalent: whoever can use the socket controls this machine), then log out \
and back in, or start a shell with the group now (`newgrp docker`):",
        f.user.name
    ))
    .step(Step::root(["usermod", "-aG", "docker", f.user.name.as_str()]).undo([
        "gpasswd",
        "-d",
        f.user.name.as_str(),
        "docker",
    ]))
    .by_hand("the group counts from your next login")
}

/// How this user starts the rootless daemon: the user service, or by hand without systemd.
pub(crate) fn start_daemon(f: &Facts) -> Remediation {
    // Under systemd without the user unit, `systemctl --user start docker` fails ("Unit docker.service not found"):
    // the setup tool writes the unit, enables and starts it (daemon.user_unit).
    if f.systemd
        && matches!(f.user_docker_service(), crate::facts::Read::Missing)
        && let Some(r) = install_user_service(f)
    {
        return r;
    }
    if f.systemd {
        Remediation::text(
            "Start the rootless daemon (and enable it, with linger, to have it at boot):",
        )
        .steps([
            Step::user(["systemctl", "--user", "start", "docker"]),
            Step::user(["systemctl", "--user", "enable", "docker"]),
        ])
    } else {
        let dir = f.runtime_dir();
        // Without systemd nothing makes /run/user/UID: the script refuses a directory that is not there
        // ("XDG_RUNTIME_DIR needs to be set and writable"). (A directory the session names is the user's own.)
        let missing = dir == format!("/run/user/{}", f.user.uid)
            && matches!(f.stat(&dir), crate::facts::Read::Missing);
        let r = Remediation::text(format!(
            "Start the rootless daemon by hand (no systemd here): `XDG_RUNTIME_DIR={dir} dockerd-rootless.sh` \
(on your PATH, or in {}), and keep it running under your own supervisor.{}",
            f.distro().defaults.rootless_script_dirs.join(" or "),
            if missing {
                format!(" {dir} does not exist, and nothing here makes it: create it first, yours and 0700 (/run is emptied at every boot).")
            } else {
                String::new()
            }
        ))
        .by_hand("without systemd you start dockerd-rootless.sh yourself");
        if missing {
            r.steps([Step::make_dir_for(
                dir,
                0o700,
                format!("{}:{}", f.user.name, f.user.gid),
            )])
        } else {
            r
        }
    }
}

/// The user service this project writes where the setup tool cannot (profiles/systemd/docker-rootless.service).
const USER_UNIT: &str = include_str!("../../profiles/systemd/docker-rootless.service");

/// The directories of the PATH a login shell and `fix --apply`'s user steps have.
const STANDARD_PATH: &[&str] = start::SYSTEM_DIRS;

/// The docker user service for the dockerd-rootless.sh that would run; `None` when none is installed.
///
/// `dockerd-rootless-setuptool.sh install` where it can work: beside a script on the standard PATH (it finds
/// dockerd-rootless.sh through PATH and refuses otherwise) with `docker` in the same directory (it checks the
/// started daemon with `$BIN/docker version`), as Docker's own packages install them in /usr/bin. Elsewhere, as
/// in Debian's docker.io (both in /usr/share/docker.io/contrib), the unit the tool would write is written as a
/// file, reloaded, enabled and started; each step has its undo.
pub(crate) fn install_user_service(f: &Facts) -> Option<Remediation> {
    let script = f.rootless_script()?;
    let dir = crate::model::parent_dir(&script.path);
    let tool = format!("{dir}/dockerd-rootless-setuptool.sh");
    let exists = |p: &str| matches!(f.lstat(p), crate::facts::Read::Ok(_));
    if STANDARD_PATH.contains(&dir) && exists(&tool) && exists(&format!("{dir}/docker")) {
        return Some(
            Remediation::text(
                "Install the docker user service (the setup tool writes ~/.config/systemd/user/docker.service, enables and \
starts it; see daemon.user_unit):",
            )
            .step(Step::user([tool.as_str(), "install"]).undo([tool.as_str(), "uninstall"])),
        );
    }
    let why = if !exists(&tool) {
        format!("{tool} is not installed")
    } else if !STANDARD_PATH.contains(&dir) {
        format!("{tool} finds dockerd-rootless.sh only on PATH, and {dir} is not on it")
    } else {
        format!("{tool} checks the daemon with {dir}/docker, which is not there")
    };
    let home = f.user.home.trim_end_matches('/');
    let unit = format!("{home}/.config/systemd/user/docker.service");
    let content = USER_UNIT
        .replace("@DIR@", dir)
        .replace("@SCRIPT@", &script.path);
    Some(
        Remediation::text(format!(
            "Install the docker user service: write {unit} (the unit dockerd-rootless-setuptool.sh install writes; {why}), \
then enable and start it:"
        ))
        .steps([
            Step::write_file(false, unit.as_str(), content),
            Step::user(["systemctl", "--user", "daemon-reload"])
                .undo(["systemctl", "--user", "daemon-reload"]),
            Step::user(["systemctl", "--user", "enable", "--now", "docker.service"])
                .undo(["systemctl", "--user", "disable", "--now", "docker.service"]),
        ]),
    )
}

/// Docker's non-systemd recipe (https://docs.docker.com/engine/security/rootless/troubleshoot/), with this user's paths filled in.
pub(crate) fn manual_start(f: &Facts) -> Remediation {
    let dir = format!("{}/.docker/xrd", f.user.home.trim_end_matches('/'));
    Remediation::text(format!(
        "Without systemd there is no user service and no per-user runtime directory. Create one by hand (remove it at every \
logout), then start the daemon yourself: `export XDG_RUNTIME_DIR={dir}` and run `dockerd-rootless.sh` \
(on your PATH, or in {}).",
        f.distro().defaults.rootless_script_dirs.join(" or ")
    ))
    .steps([
        Step::remove_tree(false, dir.as_str()),
        Step::make_dir_mode(false, dir.as_str(), 0o700),
    ])
    .by_hand("without systemd you start dockerd-rootless.sh yourself, and redo this at every login")
}

/// Installs one of this project's sysctl.d files (profiles/sysctl/, `KEY = VALUE` lines and `#` comments) and sets
/// each of its settings now with `sysctl -w`: `sysctl --system` would also reload every unrelated file.
pub(crate) fn sysctl_file(path: &str, conf: &str) -> Vec<Step> {
    let settings = conf
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with(';'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| Step::sysctl(k.trim(), v.trim()));
    std::iter::once(Step::write_file(true, path, conf))
        .chain(settings)
        .collect()
}

/// Pids for a finding: `12, 34`.
pub(crate) fn pids(list: &[u32]) -> String {
    list.iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The verdict for a path no filesystem could be named for.
pub(crate) fn no_filesystem(path: &str, e: crate::facts::data_root::FsError) -> Verdict {
    match e {
        crate::facts::data_root::FsError::Unreadable { path: probe, error } => {
            unreadable(&probe, &error)
        }
        crate::facts::data_root::FsError::NoDirectory => {
            Verdict::error(format!("no existing directory holds {path}"))
        }
    }
}

/// "65536" → "65,536": the numbers users compare are easier to read grouped.
pub(crate) fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// dockerd-rootless.sh's switch for RootlessKit's detached network namespace (29.5 and later).
pub(crate) const DETACH: &str = "DOCKERD_ROOTLESS_ROOTLESSKIT_DETACH_NETNS";
/// The extra RootlessKit flags every dockerd-rootless.sh passes on.
pub(crate) const FLAGS: &str = "DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS";

// Shared by start.rs (the programs and releases the start path needs) and apparmor.rs (unshare under AppArmor).
/// How `--detach-netns` reaches RootlessKit, when it does: the 29.5+ script's own default or
/// DOCKERD_ROOTLESS_ROOTLESSKIT_DETACH_NETNS, or a word of DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS (any script passes
/// those on; Go's flag package takes `-detach-netns`, `--detach-netns` and `=BOOL`, the last one winning).
pub(crate) fn detach_netns(f: &Facts) -> Option<String> {
    let flags = f.start_env().and_then(|e| e.get(FLAGS)).unwrap_or_default();
    match detach_in_flags(flags) {
        Some((true, word)) => Some(format!("{FLAGS}={word}")),
        Some((false, _)) => None,
        None => detach_by_script(f),
    }
}

/// Whether the script itself passes `--detach-netns` (29.5 and later: its default, or
/// DOCKERD_ROOTLESS_ROOTLESSKIT_DETACH_NETNS true), and how, whatever DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS says after.
pub(crate) fn detach_by_script(f: &Facts) -> Option<String> {
    if !f
        .rootless_script()
        .is_some_and(|s| s.mentions("--detach-netns"))
    {
        return None;
    }
    match f
        .start_env()
        .and_then(|e| e.get(DETACH))
        .filter(|v| !v.is_empty())
    {
        None => {
            Some("the script's default, DOCKERD_ROOTLESS_ROOTLESSKIT_DETACH_NETNS unset".to_owned())
        }
        Some(v @ ("1" | "true")) => Some(format!("{DETACH}={v}")),
        Some(_) => None,
    }
}

/// The last `--detach-netns` word of DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS (split at blanks, as the script's unquoted
/// expansion is): whether it turns the flag on (Go's `-name`, `--name`, `--name=BOOL` with strconv.ParseBool's
/// values; another value is RootlessKit's usage error, so off here), and the word.
pub(crate) fn detach_in_flags(flags: &str) -> Option<(bool, &str)> {
    let mut last = None;
    for word in flags.split([' ', '\t', '\n']) {
        let Some(rest) = word.strip_prefix("--").or_else(|| word.strip_prefix('-')) else {
            continue;
        };
        let value = match rest.split_once('=') {
            Some(("detach-netns", v)) => v,
            None if rest == "detach-netns" => "true",
            _ => continue,
        };
        last = Some((
            matches!(value, "1" | "t" | "T" | "true" | "TRUE" | "True"),
            word,
        ));
    }
    last
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// Regression (found by review of the hostile-user audit's fix): the step that edits a user's daemon.json read
    /// and parsed the file whatever its size, where every other reader now stops at 1 MiB; a file past that gets no
    /// edit step (the doctor did not read it), one under it still does.
    #[test]
    #[allow(clippy::disallowed_methods)] // the test writes its own tree
    fn regression_daemon_json_edit_read_a_file_past_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("etc")).unwrap();
        std::fs::create_dir_all(root.join("home/alice/.config/docker")).unwrap();
        std::fs::write(
            root.join("etc/passwd"),
            "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\n",
        )
        .unwrap();
        let json = root.join("home/alice/.config/docker/daemon.json");
        let host = crate::host::RealHost::new(root).unwrap();
        let edit = |text: String| {
            std::fs::write(&json, text).unwrap();
            let f = Facts::gather(&host, Some("alice"), None).unwrap();
            let path = f.daemon_json_path();
            let mut set = serde_json::Map::new();
            set.insert("dns".into(), serde_json::json!(["192.0.2.1"]));
            daemon_json_edit(&f, &path, false, set, &[])
        };
        assert!(edit(r#"{"debug": true}"#.to_owned()).is_some());
        let big = format!(r#"{{"labels": ["{}"]}}"#, "x".repeat(2 << 20));
        assert_eq!(edit(big), None);
    }

    #[test]
    fn ids_are_unique_stable_and_name_their_area() {
        let mut seen = BTreeSet::new();
        for c in all() {
            assert!(seen.insert(c.id), "duplicate id {}", c.id);
            assert!(
                c.id.starts_with(&format!("{}.", c.area)),
                "{} not in area {}",
                c.id,
                c.area
            );
            assert!(
                c.id.chars().all(|ch| ch.is_ascii_lowercase()
                    || ch.is_ascii_digit()
                    || ch == '.'
                    || ch == '_'),
                "{}",
                c.id
            );
        }
    }

    #[test]
    fn every_check_has_explain_text_with_the_four_parts() {
        for c in all() {
            for heading in [
                "What it checks",
                "Why it matters",
                "What you see",
                "How to fix",
            ] {
                assert!(
                    c.explain.contains(heading),
                    "{}: explain lacks {heading:?}",
                    c.id
                );
            }
            assert!(!c.title.is_empty() && !c.title.ends_with('.'), "{}", c.id);
            assert!(!c.reference.is_empty(), "{}", c.id);
            for p in c.packages {
                assert!(
                    crate::distro::generic().packages.contains_key(*p),
                    "{}: unknown package {p}",
                    c.id
                );
            }
            // A package to remove exists somewhere, or the fix would name nothing.
            for p in c.removes {
                assert!(
                    crate::distro::all().any(|d| d.packages.contains_key(*p)),
                    "{}: no distribution packages {p}",
                    c.id
                );
            }
        }
    }

    #[test]
    fn selection_takes_ids_and_areas() {
        let sel = Selection {
            only: vec!["subid".into()],
            skip: vec!["subid.overlap".into()],
        };
        let ids: Vec<_> = all().filter(|c| sel.includes(c)).map(|c| c.id).collect();
        assert!(ids.contains(&"subid.entries"));
        assert!(!ids.contains(&"subid.overlap"));
        assert!(!ids.contains(&"uidmap.newuidmap"));
        let bad = Selection {
            only: vec!["nope".into()],
            skip: vec![],
        };
        assert_eq!(bad.unknown_words(), ["nope"]);
    }

    #[test]
    fn every_check_is_declared_in_the_file_of_its_area() {
        for (file, checks) in AREAS {
            assert!(!checks.is_empty(), "src/checks/{file}.rs declares no check");
            for c in *checks {
                assert_eq!(
                    c.area, *file,
                    "{} is declared in src/checks/{file}.rs, not in the file of its area",
                    c.id
                );
            }
        }
        let mut files: Vec<&str> = AREAS.iter().map(|(f, _)| *f).collect();
        files.sort_unstable();
        files.dedup();
        assert_eq!(files.len(), AREAS.len(), "an area is listed twice");
    }

    /// The files of src/checks/ other than mod.rs, with their text.
    #[allow(clippy::disallowed_methods)]
    fn check_sources() -> Vec<(String, String)> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/checks");
        let mut out: Vec<(String, String)> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "rs"))
            .map(|p| {
                let stem = p.file_stem().unwrap().to_string_lossy().into_owned();
                (stem, std::fs::read_to_string(&p).unwrap())
            })
            .filter(|(stem, _)| stem != "mod")
            .collect();
        out.sort();
        out
    }

    #[test]
    fn every_file_of_src_checks_is_an_area_or_the_test_support() {
        for (stem, _) in check_sources() {
            assert!(
                stem == "test_support" || AREAS.iter().any(|(a, _)| *a == stem),
                "src/checks/{stem}.rs is not an area listed in checks::AREAS: name the file after the area of its checks"
            );
        }
    }

    /// Checks read facts, never each other and never the host: what several areas need is a derived fact
    /// (src/facts/) or a shared helper in checks/mod.rs.
    /// A man page as `name(N)` (`subuid(5)`, `systemd.network(5)`, `pam_systemd(8)`).
    fn is_man_page(item: &str) -> bool {
        let Some((name, section)) = item.strip_suffix(')').and_then(|s| s.split_once('(')) else {
            return false;
        };
        !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
            && section.starts_with(|c: char| c.is_ascii_digit())
            && section.chars().all(|c| c.is_ascii_alphanumeric())
    }

    #[test]
    fn every_reference_is_a_public_url_or_a_man_page() {
        for c in all() {
            assert!(!c.reference.is_empty(), "{}: no reference", c.id);
            for item in c.reference.split("; ") {
                let url = item.starts_with("https://")
                    && !item.contains(char::is_whitespace)
                    && item.len() > "https://x.y/".len();
                assert!(
                    url || is_man_page(item),
                    "{}: {item:?} is neither a public URL nor a man page",
                    c.id
                );
            }
        }
        assert!(is_man_page("systemd.network(5)") && is_man_page("pam_systemd(8)"));
        assert!(!is_man_page("notes.md §B2") && !is_man_page("a troubleshooting guide"));
    }

    #[test]
    fn checks_import_no_sibling_check_and_not_the_host() {
        let sources = check_sources();
        // test_support is the tests' own helper, not a check: any test may use it.
        let siblings: Vec<&str> = sources
            .iter()
            .map(|(s, _)| s.as_str())
            .filter(|s| *s != "test_support")
            .collect();
        let mut bad = Vec::new();
        for (stem, text) in &sources {
            if stem == "test_support" {
                continue;
            }
            for (n, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or("");
                let mut hit = code.contains("crate::host");
                for sib in &siblings {
                    hit |= code.contains(&format!("super::{sib}::"))
                        || code.contains(&format!("crate::checks::{sib}"))
                        || code.contains(&format!("use super::{sib};"))
                        || code.contains(&format!("super::{sib} as"));
                    // `use super::{a, sibling, b}`
                    if let Some(list) = code
                        .split("super::{")
                        .nth(1)
                        .and_then(|rest| rest.split('}').next())
                    {
                        hit |= list
                            .split(',')
                            .map(|w| {
                                w.trim()
                                    .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                                    .next()
                                    .unwrap_or("")
                            })
                            .any(|w| w == *sib);
                    }
                }
                if hit {
                    bad.push(format!("src/checks/{stem}.rs:{}: {}", n + 1, line.trim()));
                }
            }
        }
        assert!(
            bad.is_empty(),
            "check modules must read Facts only (move what they share into src/facts/ or checks/mod.rs):\n{}",
            bad.join("\n")
        );
    }

    /// Programs that change a file, a directory or the kernel's state: each has a typed [`crate::model::Action`]
    /// (`fix --apply` carries those out itself, with a backup), so a `Run` step never names one.
    const FILE_EDITING_PROGRAMS: [&str; 12] = [
        "tee", "mkdir", "chmod", "chown", "rm", "mv", "sysctl", "modprobe", "loginctl", "install",
        "cp", "ln",
    ];

    #[test]
    #[allow(clippy::disallowed_methods)]
    fn remedies_that_edit_files_are_typed_actions() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap())
            .filter(|e| e.path().join("host.toml").is_file())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert!(
            names.len() > 100,
            "only {} fixtures under {dir}",
            names.len()
        );
        let mut bad = Vec::new();
        let mut runs = 0;
        for name in &names {
            // `check volumes --path P` fixtures name the path in their expect.toml.
            let expect: toml::Table = toml::from_str(
                &std::fs::read_to_string(format!("{dir}/{name}/expect.toml")).unwrap(),
            )
            .unwrap();
            let args: Vec<&str> = expect
                .get("args")
                .and_then(|a| a.as_array())
                .map(|a| a.iter().filter_map(|v| v.as_str()).collect())
                .unwrap_or_default();
            let path = args
                .iter()
                .position(|a| *a == "--path")
                .and_then(|i| args.get(i + 1).copied());
            let user = args
                .iter()
                .position(|a| *a == "--user")
                .and_then(|i| args.get(i + 1).copied());
            let facts = test_support::facts_as(name, user, path);
            for f in run(&facts, &Selection::default(), true, true) {
                let Some(r) = &f.remediation else { continue };
                for step in &r.steps {
                    let crate::model::Action::Run { argv, stdin, undo } = &step.action else {
                        continue;
                    };
                    runs += 1;
                    let program = argv.first().map_or("", String::as_str);
                    let program = program.rsplit('/').next().unwrap_or(program);
                    let allowed = program == "ln" && undo.is_some();
                    if FILE_EDITING_PROGRAMS.contains(&program) && !allowed {
                        bad.push(format!(
                            "{name}: {}: `{}` edits a file: use its typed action",
                            f.id,
                            step.render()
                        ));
                    }
                    if stdin.is_some() {
                        bad.push(format!(
                            "{name}: {}: `{}` is a Run with stdin",
                            f.id,
                            step.render()
                        ));
                    }
                }
            }
        }
        assert!(
            runs > 0,
            "no Run step in any fixture: the test judged nothing"
        );
        bad.sort();
        bad.dedup();
        assert!(bad.is_empty(), "{} steps:\n{}", bad.len(), bad.join("\n"));
    }

    #[test]
    fn sysctl_files_are_set_key_by_key() {
        let shown = |conf: &str| -> Vec<String> {
            sysctl_file("/etc/sysctl.d/x.conf", conf)
                .iter()
                .skip(1)
                .map(|s| s.argv.join(" "))
                .collect()
        };
        for (conf, want) in [
            (
                include_str!("../../profiles/sysctl/50-rootless-userns-clone.conf"),
                "sysctl -w kernel.unprivileged_userns_clone=1",
            ),
            (
                include_str!("../../profiles/sysctl/51-rootless-max-user-namespaces.conf"),
                "sysctl -w user.max_user_namespaces=28633",
            ),
            (
                include_str!("../../profiles/sysctl/52-rootless-ping.conf"),
                "sysctl -w net.ipv4.ping_group_range=0 2147483647",
            ),
            (
                include_str!("../../profiles/sysctl/53-rootless-privileged-ports.conf"),
                "sysctl -w net.ipv4.ip_unprivileged_port_start=0",
            ),
        ] {
            assert_eq!(shown(conf), [want]);
            let file = &sysctl_file("/etc/sysctl.d/x.conf", conf)[0];
            assert_eq!(file.stdin.as_deref(), Some(conf));
        }
    }

    #[test]
    fn numbers_are_grouped() {
        assert_eq!(grouped(65536), "65,536");
        assert_eq!(grouped(100), "100");
        assert_eq!(grouped(1_000_000), "1,000,000");
    }

    /// `--all-users` judges a host-wide check (`per_user: false`) once, for every account: on every fixture, such a
    /// check must say the same for the host's own view and for each of two accounts (status, summary, evidence, fix).
    #[test]
    #[allow(clippy::disallowed_methods)] // lists the fixtures' directories
    fn host_wide_checks_say_the_same_for_every_account_of_every_fixture() {
        use crate::facts::{Facts, Shared};
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let mut compared = 0;
        let mut differ = std::collections::BTreeMap::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            let host = test_support::host(&name);
            let shared = Shared::for_every_account(&host);
            let selection = Selection::default();
            // The whole finding: status, summary, evidence and fix (a fix naming a home is the user's).
            let judge = |mut f: Facts| -> Vec<(&'static str, Status, String)> {
                f.choose_target(crate::facts::client::TargetChoice::Rootless);
                run_part(&f, &selection, true, false, Part::Host)
                    .into_iter()
                    .map(|x| {
                        let rest = format!("{} {:?} {:?}", x.summary, x.evidence, x.remediation);
                        (x.id, x.status, rest)
                    })
                    .collect()
            };
            let base = judge(Facts::for_host(&host, &shared));
            let accounts = Facts::for_host(&host, &shared).accounts();
            for a in accounts.list.iter().take(2) {
                let f = Facts::for_account(&host, &shared, &a.info).unwrap();
                for (mine, host_view) in judge(f).iter().zip(&base) {
                    if mine != host_view {
                        differ.insert(mine.0, format!("{name}, {}: {mine:?}", a.info.name));
                    }
                }
                compared += 1;
            }
        }
        assert!(
            differ.is_empty(),
            "host-wide checks that differ per account: {differ:#?}"
        );
        assert!(compared > 100, "only {compared} accounts compared");
    }
}
