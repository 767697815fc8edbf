//! rootless-doctor: reads a Linux host as it really is and says, check by check, whether Docker's rootless mode will work.
//!
//! The pipeline runs one way: [`host`] → [`facts`] → [`checks`] → [`model::Finding`]s → [`report`].
//! See ARCHITECTURE.md for the map and the invariants.

pub mod checks;
pub mod cli;
pub mod distro;
pub mod enter;
pub mod export;
pub mod facts;
pub mod fix;
pub mod fleet;
pub mod fsmagic;
pub mod host;
pub mod manual;
pub mod model;
pub mod net;
pub mod parse;
pub mod report;

use std::io::Write;

use cli::{Cli, Command, Format};
use host::Host;
use model::Status;

/// How a run ended, for the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Exit 0.
    Healthy,
    /// Exit 1: a check failed (or, with --strict, warned or could not read).
    Unhealthy,
}

/// An error that is the user's to correct (exit 2), with a message that says how.
#[derive(Debug, thiserror::Error)]
pub enum UsageError {
    #[error(transparent)]
    User(#[from] facts::UserError),
    #[error("unknown check or area: {0} (`rootless-doctor list` shows them)")]
    UnknownCheck(String),
    #[error("no manual page {0} (`rootless-doctor man --list` names them)")]
    UnknownPage(String),
    #[error(transparent)]
    Sidecar(#[from] host::sidecar::SidecarError),
    #[error("--root {}: {}", .0.display(), host::describe_error(.1))]
    Root(std::path::PathBuf, std::io::Error),
    #[error(
        "--format script is for `fix`'s plan; `{0}` takes another (`rootless-doctor {0} --help`)"
    )]
    ScriptFormat(&'static str),
    #[error("--format {0} reports checks, for `preflight` and `check`; `{1}` does not take it")]
    ReportFormat(&'static str, &'static str),
    #[error("{0}")]
    Fix(String),
    #[error("{0}")]
    AllUsers(String),
    #[error("`{0}` judges rootless mode only; --target is for `check`, `fix` and `explain`")]
    TargetNotHere(&'static str),
    /// An option the command would silently ignore.
    #[error("{0}")]
    NotForCommand(String),
    #[error("why: {0}")]
    Why(String),
}

/// The subcommand's name, for messages.
fn command_name(command: &Command) -> &'static str {
    match command {
        Command::Preflight { .. } => "preflight",
        Command::Check { .. } => "check",
        Command::Enter { .. } => "enter",
        Command::List => "list",
        Command::Explain { .. } => "explain",
        Command::Fix { .. } => "fix",
        Command::Setup => "setup",
        Command::Net { .. } => "net",
        Command::Capture { .. } => "capture",
        Command::Why { .. } => "why",
        Command::Completion { .. } => "completion",
        Command::Man { .. } => "man",
    }
}

/// The daemon `check`, `fix` and `explain` judge: `--target`, else the one the client targets.
fn target_choice(g: &cli::Global) -> facts::client::TargetChoice {
    use facts::client::TargetChoice;
    match g.target {
        None | Some(cli::Target::Auto) => TargetChoice::Auto,
        Some(cli::Target::Rootless) => TargetChoice::Rootless,
        Some(cli::Target::Rootful) => TargetChoice::Rootful,
    }
}

/// For the commands that judge rootless mode only (`preflight`, `setup`, `net`): `--target` other than rootless is
/// a usage error, not silently ignored.
fn rootless_only(g: &cli::Global, name: &'static str) -> Result<(), UsageError> {
    match g.target {
        None | Some(cli::Target::Rootless) => Ok(()),
        Some(_) => Err(UsageError::TargetNotHere(name)),
    }
}

/// Builds the host the flags ask for: the machine, a `--root` tree, or a fixture with its sidecar.
pub fn host_from(cli: &Cli) -> Result<Box<dyn Host>, UsageError> {
    let g = &cli.global;
    match &g.host_file {
        Some(file) => {
            let root = match &g.root {
                Some(r) => r.clone(),
                None => file
                    .parent()
                    .map(|p| p.join("root"))
                    .unwrap_or_else(|| "root".into()),
            };
            Ok(Box::new(host::FakeHost::load(root, file)?))
        }
        None => {
            let root = g.root.clone().unwrap_or_else(|| "/".into());
            let host = host::RealHost::new(&root).map_err(|e| UsageError::Root(root, e))?;
            Ok(Box::new(host))
        }
    }
}

/// Runs one command against `host`, writing the report to `out`.
pub fn run(cli: &Cli, host: &dyn Host, out: &mut dyn Write) -> error::Result<Outcome> {
    let g = &cli.global;
    let mut only = g.only.clone();
    if let Command::Check { areas, .. } = &cli.command {
        only.extend(areas.iter().cloned());
    }
    if let Command::Fix { targets, .. } = &cli.command {
        only.extend(targets.iter().cloned());
    }
    if let Command::Capture { areas, .. } = &cli.command {
        only.extend(areas.iter().cloned());
    }
    let misplaced = match g.format {
        Format::Script => !matches!(cli.command, Command::Fix { .. }),
        Format::Prometheus | Format::Junit => !matches!(
            cli.command,
            Command::Preflight { .. } | Command::Check { .. }
        ),
        Format::Human | Format::Json => false,
    };
    let name = command_name(&cli.command);
    if misplaced {
        return Err(match g.format {
            Format::Script => UsageError::ScriptFormat(name),
            other => UsageError::ReportFormat(other.name(), name),
        }
        .into());
    }
    // Options a command would otherwise take and ignore: a run that did not do what was asked must not look as if
    // it did.
    if g.all_users
        && !matches!(
            cli.command,
            Command::Preflight { .. } | Command::Check { .. }
        )
    {
        return Err(UsageError::NotForCommand(format!(
            "--all-users judges every account with `preflight` or `check`; `{name}` does not take it"
        ))
        .into());
    }
    if matches!(cli.command, Command::Why { .. }) && !only.is_empty() {
        return Err(UsageError::NotForCommand(
            "`why` runs the checks that explain the error, and no others: --only does not apply (--skip leaves some of them out)"
                .to_owned(),
        )
        .into());
    }
    let selection = checks::Selection {
        only,
        skip: g.skip.clone(),
    };
    if let Some(word) = selection.unknown_words().into_iter().next() {
        if word.trim().is_empty() {
            return Err(UsageError::NotForCommand(
                "--only and --skip take check IDs or areas, comma-separated, and one was empty (a trailing or doubled comma?)"
                    .to_owned(),
            )
            .into());
        }
        return Err(UsageError::UnknownCheck(word).into());
    }
    match &cli.command {
        Command::Completion { shell } => {
            manual::completion(*shell, out)?;
            Ok(Outcome::Healthy)
        }
        Command::Man { page, list } => {
            if *list {
                manual::list(out)?;
            } else {
                manual::page(page.as_deref(), out)
                    .ok_or_else(|| UsageError::UnknownPage(page.clone().unwrap_or_default()))??;
            }
            Ok(Outcome::Healthy)
        }
        Command::List => {
            let list: Vec<&checks::Check> =
                checks::all().filter(|c| selection.includes(c)).collect();
            report::list(out, &list, g.format == Format::Json)?;
            Ok(Outcome::Healthy)
        }
        Command::Explain { id } => {
            let check = checks::find(id).ok_or_else(|| UsageError::UnknownCheck(id.clone()))?;
            // Explaining needs no user; when one can be determined, show what this host says too.
            let here = facts::Facts::gather(host, g.user.as_deref(), None)
                .ok()
                .map(|mut f| {
                    f.choose_target(target_choice(g));
                    f
                });
            // A check that launches something (`launch.trial`) is not run by `explain`: explaining spawns nothing.
            let finding = here
                .as_ref()
                .filter(|_| check.scope != checks::Scope::Probe)
                .and_then(|f| {
                    let only = checks::Selection {
                        only: vec![check.id.to_owned()],
                        skip: vec![],
                    };
                    checks::run(f, &only, true, false).into_iter().next()
                });
            report::explain(out, check, here.as_ref().zip(finding.as_ref()))?;
            Ok(Outcome::Healthy)
        }
        Command::Enter { pid, command } => {
            if !host.is_live() {
                return Err(error::Error::Enter(enter::EnterError::NotLive.to_string()));
            }
            let facts = facts::Facts::gather_as_caller(host);
            let target =
                enter::target(&facts, *pid).map_err(|e| error::Error::Enter(e.to_string()))?;
            let argv = enter::command(&facts, command);
            // Only returns on failure: success replaces this process.
            let err = host::nsenter::exec_in(&target, &argv);
            Err(error::Error::Enter(err.to_string()))
        }
        Command::Fix {
            apply,
            undo,
            sudo,
            part,
            targets,
        } => fix_command(
            cli,
            host,
            &selection,
            FixMode {
                apply: *apply,
                undo: *undo,
                sudo: *sudo,
                part: *part,
                targets,
            },
            out,
        ),
        Command::Setup => setup_command(cli, host, out),
        Command::Why { error } => why_command(cli, host, &why_text(error)?, out),
        Command::Capture { out: dir, .. } => capture_command(cli, host, &selection, dir, out),
        Command::Net {
            source_ip,
            throughput,
            no_suid,
            ipv6,
            mtu,
            port,
            probe,
            write,
            action,
        } => {
            let request = net::Request {
                source_ip: *source_ip,
                throughput: *throughput,
                no_suid: *no_suid,
                ipv6: *ipv6,
                mtu: *mtu,
                port: *port,
            };
            match action {
                None => net_command(cli, host, request, *probe, *write, out),
                Some(cli::NetAction::Bench { mib, seconds }) => {
                    let choosing = [
                        (*source_ip, "--source-ip"),
                        (*throughput, "--throughput"),
                        (*no_suid, "--no-suid"),
                        (*ipv6, "--ipv6"),
                        (port.is_some(), "--port"),
                        (*probe, "--probe"),
                        (*write, "--write"),
                    ];
                    if let Some((_, flag)) = choosing.iter().find(|(set, _)| *set) {
                        return Err(UsageError::Fix(format!(
                            "net bench measures every combination that starts here; {flag} is for choosing one (`rootless-doctor net {flag}`)"
                        ))
                        .into());
                    }
                    net_bench_command(cli, host, *mtu, *mib, *seconds, out)
                }
            }
        }
        Command::Preflight { .. } | Command::Check { .. } => {
            // Reading as a judged user keeps their credentials between reads until root's own sight is needed,
            // and puts root's back when the report is done.
            let _kept = host::creds::Kept::new();
            let mut own_out = host::creds::SelfWriter(out);
            let out: &mut dyn Write = &mut own_out;
            let (name, daemon, probe) = match &cli.command {
                Command::Check { .. } => ("check", true, true),
                Command::Preflight { probe } => ("preflight", false, *probe),
                _ => ("preflight", false, false),
            };
            let volume_path = match &cli.command {
                Command::Check { path, .. } => path.as_deref(),
                _ => None,
            };
            // Root without --user judges every account, as --all-users asks.
            let root_without_user = g.user.is_none()
                && host.identity().euid == 0
                && host
                    .env("SUDO_USER")
                    .is_none_or(|u| u.is_empty() || u == "root");
            let every_account = g.all_users || root_without_user;
            // A selection that leaves nothing to run would pass whatever the host: a CI gate that judged nothing.
            let left_out = if every_account {
                fleet::not_for_every_account()
            } else {
                Vec::new()
            };
            if !checks::all().any(|c| {
                selection.includes(c) && c.runs(daemon, probe) && !left_out.contains(&c.id)
            }) {
                let why = if every_account {
                    format!(
                        "`{name}` runs for every account (not {}: they need --user NAME)",
                        left_out.join(", ")
                    )
                } else if daemon {
                    format!("`{name}` runs")
                } else {
                    format!(
                        "`{name}` runs (`check` runs them all, `--probe` the ones that launch something)"
                    )
                };
                return Err(UsageError::NotForCommand(format!(
                    "--only and --skip leave no check that {why}: a run of none would pass whatever the host"
                ))
                .into());
            }
            if every_account {
                return all_users_command(cli, host, &selection, name, daemon, probe, out);
            }
            let facts = if name == "check" {
                check_facts(host, g, volume_path)?
            } else {
                let mut facts = facts::Facts::gather(host, g.user.as_deref(), volume_path)
                    .map_err(UsageError::from)?;
                rootless_only(g, "preflight")?;
                if !probe {
                    facts.remember_answers();
                }
                facts
            };
            let findings = checks::run(&facts, &selection, daemon, probe);
            match g.format {
                Format::Json => report::json(out, name, &facts, &findings)?,
                Format::Prometheus => export::prometheus(out, name, &facts, &findings, g.strict)?,
                Format::Junit => export::junit(out, name, &facts, &findings, g.strict)?,
                Format::Human | Format::Script => report::human(
                    out,
                    name,
                    &facts,
                    &findings,
                    report::HumanOptions { verbose: g.verbose },
                )?,
            }
            let worst = findings
                .iter()
                .map(|f| f.status)
                .max()
                .unwrap_or(Status::Pass);
            // A check that could not read what it needs did not pass: a CI gate must not go green on it.
            let failing = export::failing(worst, g.strict);
            // The report is written and the process ends next: freeing what was parsed, entry by entry (a fleet's
            // host has tens of thousands of accounts and ranges), would cost more than judging them did.
            std::mem::forget(facts);
            std::mem::forget(findings);
            Ok(if failing {
                Outcome::Unhealthy
            } else {
                Outcome::Healthy
            })
        }
    }
}

/// The text `why` was given: its words joined (a byte that is not UTF-8, from a terminal in another encoding, read
/// as U+FFFD), or with `-` the end of standard input.
fn why_text(words: &[std::ffi::OsString]) -> Result<String, UsageError> {
    let text = if words.len() == 1 && words[0] == "-" {
        let (bytes, _) = host::input::stdin_tail()
            .map_err(|e| UsageError::Why(format!("reading standard input: {e}")))?;
        String::from_utf8_lossy(&bytes).into_owned()
    } else {
        words
            .iter()
            .map(|w| w.to_string_lossy())
            .collect::<Vec<_>>()
            .join(" ")
    };
    if text.trim().is_empty() {
        return Err(UsageError::Why(
            "the error text is empty: paste the message you got (`rootless-doctor why \"…\"`), or pipe the log in (`… | rootless-doctor why -`)"
                .to_owned(),
        ));
    }
    Ok(text)
}

/// `why "<error>"`: the known errors the text matches, and the checks that explain them, run here.
fn why_command(
    cli: &Cli,
    host: &dyn Host,
    text: &str,
    out: &mut dyn Write,
) -> error::Result<Outcome> {
    let g = &cli.global;
    let known = parse::known_errors::explain(text);
    let ids = parse::known_errors::checks_of(&known);
    let facts = if ids.is_empty() {
        None
    } else {
        Some(check_facts(host, g, None)?)
    };
    let findings = match &facts {
        Some(f) => {
            let only = checks::Selection {
                only: ids.iter().map(|id| (*id).to_owned()).collect(),
                skip: g.skip.clone(),
            };
            checks::run(f, &only, true, true)
        }
        None => Vec::new(),
    };
    // The findings in the order the table names them, most likely first.
    let mut ordered: Vec<&model::Finding> = Vec::new();
    for id in &ids {
        ordered.extend(findings.iter().filter(|f| f.id == *id));
    }
    // A check that passes can still be the answer: its finding holds the value the pasted error names (a port below
    // this host's ip_unprivileged_port_start, a pid file naming the user's running dockerd).
    // A rootless-mode check while the rootful daemon is judged: its verdict is a note, neither way an answer.
    let rootful = facts.as_ref().is_some_and(|f| f.targets_rootful());
    let judged_as_note = |id: &str| {
        rootful && checks::find(id).is_some_and(|c| c.judges == checks::Judges::Rootless)
    };
    let confirmed: Vec<(&str, String)> = ordered
        .iter()
        .filter(|f| f.status == Status::Pass && !judged_as_note(f.id))
        .filter_map(|f| why_pass_explains(f, text).map(|why| (f.id, why)))
        .collect();
    let causes: Vec<&str> = [Status::Fail, Status::Error, Status::Warn]
        .iter()
        .flat_map(|s| ordered.iter().filter(move |f| f.status == *s).map(|f| f.id))
        .chain(confirmed.iter().map(|(id, _)| *id))
        .collect();
    // The explaining checks this run did not judge, and why: without them, "none of them fails here" is not known.
    let not_judged: Vec<(&str, String)> = if facts.is_some() {
        ids.iter()
            .copied()
            .filter_map(|id| {
                let finding = findings.iter().find(|f| f.id == id);
                match finding {
                    None => Some((id, "left out with --skip".to_owned())),
                    Some(_) if judged_as_note(id) => {
                        Some((
                            id,
                            "judges rootless mode, and this run judges the rootful daemon; `--target rootless` judges it"
                                .to_owned(),
                        ))
                    }
                    // A check that could not judge here says nothing either way.
                    Some(f) if f.status == Status::Skip => {
                        Some((id, format!("skipped here: {}", f.summary)))
                    }
                    Some(_) => None,
                }
            })
            .collect()
    } else {
        Vec::new()
    };
    let answer = report::WhyAnswer {
        text,
        known: &known,
        findings: &ordered,
        causes: &causes,
        confirmed: &confirmed,
        not_judged: &not_judged,
    };
    match g.format {
        Format::Json => report::why_json(out, facts.as_ref(), &answer)?,
        _ => report::why_human(
            out,
            facts.as_ref(),
            &answer,
            report::HumanOptions { verbose: g.verbose },
        )?,
    }
    // Exit 1 when something here explains it (a check that fails, errs or warns), or nothing known does, or a check
    // that would was not judged here; 0 when every check that would explain it passes.
    Ok(
        if known.is_empty() || !causes.is_empty() || !not_judged.is_empty() {
            Outcome::Unhealthy
        } else {
            Outcome::Healthy
        },
    )
}

/// Why a passing finding still explains the pasted error on this host, when its evidence holds what the error names:
/// `cannot expose privileged port N` with N below the `ip_unprivileged_port_start` it read and no capability that
/// lifts the limit, or `ensure docker is not running` while the pid file names the user's own live dockerd.
fn why_pass_explains(f: &model::Finding, text: &str) -> Option<String> {
    let lower = parse::known_errors::squeezed(text);
    match f.id {
        "network.unprivileged_port_start" => {
            let port = number_after(&lower, "cannot expose privileged port ")?;
            if f.evidence.iter().any(|e| e.source == "security.capability") {
                return None;
            }
            let start: u32 = f
                .evidence
                .iter()
                .find(|e| e.source.ends_with("ip_unprivileged_port_start"))?
                .detail
                .parse()
                .ok()?;
            (port < start).then(|| {
                format!(
                    "port {port} is below this host's net.ipv4.ip_unprivileged_port_start = {start}"
                )
            })
        }
        "daemon.pidfile" => {
            // The error names the file (`… or delete PATH`, dockerd 24 and later adding `: process with PID N is
            // still running`): it must be this user's pid file, naming the dockerd that runs.
            let named = lower
                .split("ensure docker is not running or delete ")
                .nth(1)?
                .split([' ', ':'])
                .next()?;
            let e = f.evidence.first()?;
            let pid: u32 = e.detail.parse().ok()?;
            let pid_said = number_after(&lower, "process with pid ");
            (named == e.source.to_ascii_lowercase() && pid_said.is_none_or(|p| p == pid)).then(|| {
                format!(
                    "{} names dockerd {pid}, yours and running: the start you pasted was a second one",
                    e.source
                )
            })
        }
        _ => None,
    }
}

/// The number right after the first `phrase` in `text`.
fn number_after(text: &str, phrase: &str) -> Option<u32> {
    text.split(phrase)
        .nth(1)?
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// `preflight` and `check` over every account (`--all-users`, or root without `--user`): see [`fleet`].
fn all_users_command(
    cli: &Cli,
    host: &dyn Host,
    selection: &checks::Selection,
    name: &'static str,
    daemon: bool,
    probe: bool,
    out: &mut dyn Write,
) -> error::Result<Outcome> {
    let g = &cli.global;
    if probe && !daemon {
        return Err(UsageError::AllUsers(
            "preflight --probe launches RootlessKit as the user: name one with --user NAME"
                .to_owned(),
        )
        .into());
    }
    if name == "preflight" {
        rootless_only(g, "preflight")?;
    }
    if let Command::Check { path: Some(_), .. } = &cli.command {
        return Err(UsageError::AllUsers(
            "check --path lists who holds a path for one user's daemons: name one with --user NAME"
                .to_owned(),
        )
        .into());
    }
    // Each account's files are read as that account: only root can take their credentials. A tree (`--root`, a
    // fixture) is read as its files are, by anyone.
    if host.is_live() && host.identity().euid != 0 && g.root.is_none() {
        return Err(UsageError::AllUsers(
            "--all-users is for root: it reads each account's files with that account's credentials".to_owned(),
        )
        .into());
    }
    let format = match g.format {
        // (--format script is refused for preflight and check before this.)
        Format::Human | Format::Script => fleet::Format::Human,
        Format::Json => fleet::Format::Json,
        Format::Prometheus => fleet::Format::Prometheus,
        Format::Junit => fleet::Format::Junit,
    };
    let request = fleet::Request {
        command: name,
        daemon,
        selection,
        target: target_choice(g),
        strict: g.strict,
        format,
        verbose: g.verbose,
    };
    let worst = fleet::run(host, &request, out)?;
    Ok(if export::failing(worst, g.strict) {
        Outcome::Unhealthy
    } else {
        Outcome::Healthy
    })
}

/// The facts `check` judges on `host`: the user `--user` names (or the invoking one), and the daemon `--target`
/// chooses.
fn check_facts<'h>(
    host: &'h dyn Host,
    g: &cli::Global,
    volume_path: Option<&str>,
) -> Result<facts::Facts<'h>, UsageError> {
    let mut facts = facts::Facts::gather(host, g.user.as_deref(), volume_path)?;
    facts.choose_target(target_choice(g));
    Ok(facts)
}

/// `capture`: `check` run through a recording host, its findings and what it read written to `dir`.
fn capture_command(
    cli: &Cli,
    host: &dyn Host,
    selection: &checks::Selection,
    dir: &std::path::Path,
    out: &mut dyn Write,
) -> error::Result<Outcome> {
    let g = &cli.global;
    let recorder = host::record::Recorder::new(host);
    let facts = check_facts(&recorder, g, None)?;
    let findings = checks::run(&facts, selection, true, true);
    let system = facts
        .os_release()
        .ok()
        .map_or_else(|| "Linux".to_owned(), |(_, os)| os.pretty_name().to_owned());
    let description = format!(
        "captured by rootless-doctor {} on {system} for {} (uid {})",
        env!("CARGO_PKG_VERSION"),
        facts.user.name,
        facts.user.uid
    );
    let failed = |e: &std::io::Error| {
        error::Error::Capture(
            dir.display().to_string(),
            format!(
                "{} (what was written so far is left in it: remove it before trying again)",
                host::describe_error(e)
            ),
        )
    };
    let log = recorder.log();
    let manifest = log
        .borrow()
        .write(dir, &description)
        .map_err(|e| failed(&e))?;
    // The capture replayed at once, from its files alone: its findings are what `findings.json` keeps (so nothing
    // left out of the capture is in them), and the run says whether they are this run's.
    let replay_host = host::FakeHost::load(dir.join("root"), &dir.join("host.toml"))
        .map_err(|e| failed(&std::io::Error::other(e.to_string())))?;
    let replayed = check_facts(&replay_host, g, None)?;
    let replay_findings = checks::run(&replayed, selection, true, true);
    let mut json = Vec::new();
    report::json(&mut json, "check", &replayed, &replay_findings)?;
    host::record::add_file(dir, "findings.json", &json).map_err(|e| failed(&e))?;
    // A tree's own path (a `--root` or fixture capture) is no difference.
    let roots = [facts.root_display(), replayed.root_display()];
    let plain = |text: &str| {
        roots
            .iter()
            .filter(|r| r.as_str() != "/")
            .fold(text.to_owned(), |t, r| t.replace(r.as_str(), ""))
    };
    let differing: Vec<&str> = findings
        .iter()
        .zip(&replay_findings)
        .filter(|(a, b)| {
            a.status != b.status
                || plain(&a.summary) != plain(&b.summary)
                || a.evidence.len() != b.evidence.len()
                || a.evidence.iter().zip(&b.evidence).any(|(x, y)| {
                    plain(&x.source) != plain(&y.source) || plain(&x.detail) != plain(&y.detail)
                })
        })
        .map(|(a, _)| a.id)
        .collect();
    let dir = dir.display();
    writeln!(
        out,
        "captured what `check` read into {dir}: {} files with content, {} as metadata only, {} links, {} commands, {} API requests",
        manifest.files.len(),
        manifest.metadata_only.len(),
        manifest.links.len(),
        manifest.commands.len(),
        manifest.http.len()
    )?;
    writeln!(
        out,
        "left out: {} environment variables outside the allow-list (names in {dir}/MANIFEST.md){}",
        manifest.env_left_out.len(),
        if manifest.files.iter().any(|(_, _, note)| note.is_some()) {
            ", and parts of the files the manifest marks"
        } else {
            ""
        }
    )?;
    // Root's run for another user replays for that user too.
    let user = g
        .user
        .as_deref()
        .map(|u| format!(" --user {}", crate::model::shell_quote(u)))
        .unwrap_or_default();
    writeln!(
        out,
        "replay: rootless-doctor --host-file {dir}/host.toml{user} check   (its findings: {dir}/findings.json)"
    )?;
    if differing.is_empty() && findings.len() == replay_findings.len() {
        writeln!(
            out,
            "the replay finds what this run found, finding for finding ({} findings)",
            findings.len()
        )?;
    } else {
        writeln!(
            out,
            "the replay differs from this run in {} findings ({}): what was left out of the capture, or what it cannot hold",
            differing.len(),
            differing.join(", ")
        )?;
    }
    Ok(Outcome::Healthy)
}

/// Where a run's journal and backups live: root's below /var/lib, a user's in their XDG state directory.
fn state_dir(facts: &facts::Facts, host: &dyn Host) -> (String, host::apply::Who) {
    if facts.identity.euid == 0 {
        return (
            "/var/lib/rootless-doctor".to_owned(),
            host::apply::Who::Root,
        );
    }
    let base = host
        .env("XDG_STATE_HOME")
        .filter(|d| d.starts_with('/'))
        .unwrap_or_else(|| format!("{}/.local/state", facts.user.home.trim_end_matches('/')));
    (format!("{base}/rootless-doctor"), host::apply::Who::User)
}

/// `name[:group]` (or numeric ids) as `chown` takes them, resolved before anything is applied.
fn owner_ids(host: &dyn Host, owner: &str) -> Option<(u32, u32)> {
    let (u, g) = owner
        .split_once(':')
        .map_or((owner, None), |(u, g)| (u, Some(g)));
    let user = match u.parse::<u32>() {
        Ok(n) => (n, n),
        Err(_) => host
            .user_by_name(u)
            .ok()
            .flatten()
            .map(|i| (i.uid, i.gid))?,
    };
    let gid = match g {
        None | Some("") => user.1,
        Some(g) => match g.parse::<u32>() {
            Ok(n) => n,
            Err(_) if g == "root" => 0,
            Err(_) if g == u => user.1,
            Err(_) => return None,
        },
    };
    Some((user.0, gid))
}

/// The checks `fix` and `setup` plan from: `check`'s, without those that run programs (planning spawns nothing).
fn planning_selection(selection: &checks::Selection) -> checks::Selection {
    let mut s = checks::Selection {
        only: selection.only.clone(),
        skip: selection.skip.clone(),
    };
    s.skip.extend(
        checks::all()
            .filter(|c| c.scope == checks::Scope::Probe)
            .map(|c| c.id.to_owned()),
    );
    s
}

/// How long `setup` waits for a daemon it started to answer `/_ping`.
const SETUP_START_SECONDS: u32 = 120;
/// How long `setup` gives a user service the fix just started before it starts it again.
const SETUP_SETTLE_SECONDS: u32 = 30;

/// `setup`: the whole road for one user, as far as this host allows, then a one-screen summary.
fn setup_command(cli: &Cli, host: &dyn Host, out: &mut dyn Write) -> error::Result<Outcome> {
    use host::apply::UserTarget;
    let g = &cli.global;
    rootless_only(g, "setup")?;
    if g.host_file.is_some() || g.root.is_some() {
        return Err(UsageError::Fix(
            "setup starts a daemon: it runs on this machine, not on a fixture or a --root tree (`fix --apply --root DIR` prepares a tree)"
                .to_owned(),
        )
        .into());
    }
    let facts = facts::Facts::gather(host, g.user.as_deref(), None).map_err(UsageError::from)?;
    let selection = planning_selection(&checks::Selection {
        only: vec![],
        skip: vec![],
    });
    let before = checks::run(&facts, &selection, true, false);
    let plan = fix::Plan::of(&before);
    let name = model::escape_controls(&facts.user.name).into_owned();
    let distro = facts.distro().name.clone();
    let is_root = facts.identity.euid == 0;
    writeln!(
        out,
        "rootless-doctor setup: {name} on {}",
        model::escape_controls(&distro)
    )?;
    let count = |s: Status| before.iter().filter(|f| f.status == s).count();
    writeln!(
        out,
        "\n1. Preflight: {} failing, {} warning, {} passing.",
        count(Status::Fail) + count(Status::Error),
        count(Status::Warn),
        count(Status::Pass)
    )?;
    if !is_root && !plan.root.is_empty() {
        writeln!(
            out,
            "\nThe fix has a root part: run `sudo rootless-doctor setup --user {name}` (or apply these as root, then run setup again):"
        )?;
        for s in plan.root.iter().flat_map(|i| &i.steps) {
            writeln!(out, "      {}", s.render())?;
        }
        return Ok(Outcome::Unhealthy);
    }
    let target = UserTarget {
        name: facts.user.name.clone(),
        uid: facts.user.uid,
        gid: facts.user.gid,
        home: facts.user.home.clone(),
    };
    let (state, state_who) = state_dir(&facts, host);
    let mut applier = new_applier(
        host,
        &plan,
        std::path::Path::new("/"),
        &target,
        &state,
        state_who,
    )?;
    writeln!(
        out,
        "\n2. Fix (journal and backups: {}; `rootless-doctor fix --undo` reverses it):",
        applier.run_dir()
    )?;
    if plan.is_empty() {
        writeln!(out, "  nothing to apply")?;
    }
    let mut failed = false;
    let user_title = format!("As {name}:");
    for (title, items) in [("As root:", &plan.root), (user_title.as_str(), &plan.user)] {
        if apply_items(out, &mut applier, title, items)? {
            failed = true;
            break;
        }
    }
    let mut done: Vec<String> = Vec::new();
    if !failed {
        writeln!(out, "\n3. The daemon:")?;
        failed = setup_daemon(
            out,
            host,
            g.user.as_deref(),
            &mut applier,
            &target,
            &mut done,
        )?;
    }
    // 4. What `check` says now, on one screen.
    let mut after_facts =
        facts::Facts::gather(host, g.user.as_deref(), None).map_err(UsageError::from)?;
    after_facts.choose_target(target_choice(g));
    let after = checks::run(&after_facts, &selection, true, false);
    let after_plan = fix::Plan::of(&after);
    writeln!(
        out,
        "\n4. Check: {} failing, {} warning, {} passing.",
        after
            .iter()
            .filter(|f| matches!(f.status, Status::Fail | Status::Error))
            .count(),
        after.iter().filter(|f| f.status == Status::Warn).count(),
        after.iter().filter(|f| f.status == Status::Pass).count()
    )?;
    for f in &after {
        if matches!(f.status, Status::Pass | Status::Info | Status::Skip) {
            continue;
        }
        let why = after_plan
            .by_hand
            .iter()
            .chain(&after_plan.in_words)
            .find(|b| b.check == f.id)
            .map(|b| format!(" ({})", b.reason))
            .unwrap_or_default();
        writeln!(
            out,
            "  {} {}  {}{why}",
            f.status.as_str(),
            f.id,
            model::escape_controls(&f.summary)
        )?;
    }
    writeln!(out, "\nDone:")?;
    let fixed: Vec<&str> = plan
        .checks()
        .into_iter()
        .filter(|id| {
            after
                .iter()
                .find(|f| f.id == *id)
                .is_some_and(|f| f.status == Status::Pass)
        })
        .collect();
    writeln!(
        out,
        "  fixed: {}",
        if fixed.is_empty() {
            "nothing".to_owned()
        } else {
            fixed.join(", ")
        }
    )?;
    for d in &done {
        writeln!(out, "  {}", model::escape_controls(d))?;
    }
    let worst = after.iter().map(|f| f.status).max().unwrap_or(Status::Pass);
    Ok(if failed || matches!(worst, Status::Fail | Status::Error) {
        Outcome::Unhealthy
    } else {
        Outcome::Healthy
    })
}

/// The daemon part of `setup`: already answering; installed as a user service (systemd); or, without systemd, the
/// documented manual start (a runtime directory, then `dockerd-rootless.sh` in a session of its own). `true` when
/// it failed.
fn setup_daemon(
    out: &mut dyn Write,
    host: &dyn Host,
    user: Option<&str>,
    applier: &mut host::apply::Applier,
    target: &host::apply::UserTarget,
    done: &mut Vec<String>,
) -> error::Result<bool> {
    use host::apply::Who;
    let facts = facts::Facts::gather(host, user, None).map_err(UsageError::from)?;
    let runtime = facts.runtime_dir();
    let socket = format!("{runtime}/docker.sock");
    let answers =
        |f: &facts::Facts| matches!(f.http_get(&socket, "/_ping"), Ok(r) if r.status == 200);
    // Whether the daemon answers within `seconds`, looking four times a second while `alive` says it may still.
    let wait = |seconds: u32, alive: &dyn Fn() -> bool| -> error::Result<bool> {
        for _ in 0..seconds * 4 {
            let f = facts::Facts::gather(host, user, None).map_err(UsageError::from)?;
            if answers(&f) {
                return Ok(true);
            }
            if !alive() {
                return Ok(false);
            }
            host::apply::pause_ms(250);
        }
        Ok(false)
    };
    if answers(&facts) {
        writeln!(out, "  a rootless daemon already answers at {socket}")?;
        return Ok(false);
    }
    let Some(script) = facts.rootless_script().map(|s| s.path.clone()) else {
        writeln!(
            out,
            "  FAILED   no dockerd-rootless.sh on this host: install the rootless extras (start.path says which package)"
        )?;
        return Ok(true);
    };
    let dir = model::parent_dir(&script).to_owned();
    if facts.systemd {
        writeln!(out, "  the docker user service (systemd)")?;
        // The fix usually installed and started the service already (daemon.user_unit's steps): the daemon gets a
        // moment to answer before anything is started again. Else the service is installed now, or, where the
        // unit is there but stopped, started.
        let unit_there = !matches!(facts.user_docker_service(), facts::Read::Missing);
        let mut up = unit_there && wait(SETUP_SETTLE_SECONDS, &|| true)?;
        if !up {
            let steps = if unit_there {
                vec![model::Step::user([
                    "systemctl",
                    "--user",
                    "start",
                    "docker.service",
                ])]
            } else {
                match checks::install_user_service(&facts) {
                    Some(r) => r.steps,
                    None => {
                        return failed_line(
                            out,
                            "no dockerd-rootless.sh to make a user service of",
                        );
                    }
                }
            };
            for s in &steps {
                if apply_step(out, applier, s)? {
                    return Ok(true);
                }
            }
            up = wait(SETUP_START_SECONDS, &|| true)?;
        }
        if !up {
            writeln!(
                out,
                "    FAILED   no answer at {socket} within {SETUP_START_SECONDS} s: `systemctl --user status docker` and \
`journalctl --user -u docker` say why"
            )?;
            return Ok(true);
        }
        writeln!(out, "    ready    {socket} answers /_ping")?;
        done.push(
            "the docker user service runs (`systemctl --user status docker`); it starts at login, and at boot with \
`loginctl enable-linger`"
                .to_owned(),
        );
    } else {
        writeln!(
            out,
            "  no systemd here: the documented manual start (https://docs.docker.com/engine/security/rootless/troubleshoot/)"
        )?;
        if matches!(facts.lstat(&runtime), facts::Read::Missing) {
            if facts.identity.euid != 0 {
                writeln!(
                    out,
                    "    FAILED   {runtime} does not exist, and only root can make it: export XDG_RUNTIME_DIR=$HOME/.docker/xrd (mkdir -m 0700) and run setup again"
                )?;
                return Ok(true);
            }
            let owner = format!("{}:{}", target.uid, target.gid);
            let s = model::Step::make_dir_for(runtime.clone(), 0o700, owner);
            if apply_step(out, applier, &s)? {
                return Ok(true);
            }
            done.push(format!(
                "made {runtime} (0700, {}'s), as logind would; it lasts until the next boot",
                target.name
            ));
        }
        let log_path = format!("{runtime}/dockerd-rootless.log");
        let log = match applier.open_log(&log_path, Who::User) {
            Ok(l) => l,
            Err(e) => {
                return failed_line(out, &e.to_string());
            }
        };
        let env: Vec<(String, String)> = vec![
            ("HOME".into(), target.home.clone()),
            ("USER".into(), target.name.clone()),
            ("LOGNAME".into(), target.name.clone()),
            (
                "PATH".into(),
                format!("{dir}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
            ),
            ("XDG_RUNTIME_DIR".into(), runtime.clone()),
        ];
        let pid =
            match host::apply::start_detached(std::slice::from_ref(&script), target, &env, log) {
                Ok(p) => p,
                Err(e) => {
                    return failed_line(out, &e.to_string());
                }
            };
        writeln!(
            out,
            "    started  {script} as {} (pid {pid}, session {pid}; output in {log_path})",
            target.name
        )?;
        let up = wait(SETUP_START_SECONDS, &|| host::apply::running(pid))?;
        if !up {
            let tail = match facts.read(&log_path) {
                facts::Read::Ok(t) => t
                    .lines()
                    .rev()
                    .take(8)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect::<Vec<_>>()
                    .join("\n      "),
                _ => String::new(),
            };
            writeln!(
                out,
                "    FAILED   no answer at {socket} (the daemon {}); its last lines:\n      {}",
                if host::apply::running(pid) {
                    "still runs"
                } else {
                    "exited"
                },
                model::escape_controls(&tail)
            )?;
            return Ok(true);
        }
        writeln!(out, "    ready    {socket} answers /_ping")?;
        done.push(format!(
            "started dockerd-rootless.sh (pid {pid}); it runs until it is stopped (`kill -TERM -{pid}`) or the machine restarts: start it again at login with XDG_RUNTIME_DIR={runtime}"
        ));
    }
    Ok(false)
}

/// The applier for a plan: the owners its `chown` steps name resolved now, the run's journal begun.
fn new_applier(
    host: &dyn Host,
    plan: &fix::Plan,
    root: &std::path::Path,
    target: &host::apply::UserTarget,
    state: &str,
    state_who: host::apply::Who,
) -> error::Result<host::apply::Applier> {
    let mut owners = std::collections::HashMap::new();
    for s in plan.root.iter().chain(&plan.user).flat_map(|i| &i.steps) {
        if let model::Action::SetOwner { owner, .. } = &s.action
            && let Some(ids) = owner_ids(host, owner)
        {
            owners.insert(owner.clone(), ids);
        }
    }
    host::apply::Applier::new(
        root,
        Some(target.clone()),
        state,
        state_who,
        &host::apply::now_stamp(),
        Box::new(move |o| owners.get(o).copied().or_else(|| numeric_owner(o))),
    )
    .map_err(|e| UsageError::Fix(e.to_string()).into())
}

/// `U:G` in numbers, as `setup` gives a runtime directory to its user.
fn numeric_owner(o: &str) -> Option<(u32, u32)> {
    let (u, g) = o.split_once(':')?;
    Some((u.parse().ok()?, g.parse().ok()?))
}

/// Applies one part of a plan, printing each step's outcome; `true` when a step failed (and the rest was not tried).
fn apply_items(
    out: &mut dyn Write,
    applier: &mut host::apply::Applier,
    title: &str,
    items: &[fix::Item],
) -> std::io::Result<bool> {
    if items.is_empty() {
        return Ok(false);
    }
    writeln!(out, "\n{title}")?;
    for i in items {
        writeln!(out, "  {}", i.check)?;
        for s in &i.steps {
            if apply_step(out, applier, s)? {
                writeln!(
                    out,
                    "\nStopped at the first failure; `rootless-doctor fix --undo` reverses what was done."
                )?;
                return Ok(true);
            }
        }
    }
    Ok(false)
}

/// A failure as `setup` and `fix` print it; `true`, for "it failed".
fn failed_line(out: &mut dyn Write, text: &str) -> error::Result<bool> {
    writeln!(out, "    FAILED   {}", model::escape_controls(text))?;
    Ok(true)
}

/// One step, and its outcome as a line; `true` when it failed.
fn apply_step(
    out: &mut dyn Write,
    applier: &mut host::apply::Applier,
    s: &model::Step,
) -> std::io::Result<bool> {
    use host::apply::StepResult;
    let (word, text) = match applier.apply(s) {
        Ok(StepResult::Done(t)) => ("done    ", t),
        Ok(StepResult::Already(t)) => ("already ", t),
        Ok(StepResult::NotHere(t)) => ("skipped ", t),
        Err(e) => ("FAILED  ", e.to_string()),
    };
    writeln!(out, "    {word} {}", model::escape_controls(&text))?;
    Ok(word == "FAILED  ")
}

/// `fix`: the plan, or `--apply` it, or `--undo` the last apply.
/// What `fix` was asked to do.
struct FixMode<'a> {
    apply: bool,
    undo: bool,
    sudo: bool,
    part: Option<cli::Part>,
    targets: &'a [String],
}

fn fix_command(
    cli: &Cli,
    host: &dyn Host,
    selection: &checks::Selection,
    mode: FixMode,
    out: &mut dyn Write,
) -> error::Result<Outcome> {
    use host::apply::UserTarget;
    let FixMode {
        apply,
        undo,
        sudo,
        part,
        targets,
    } = mode;
    let g = &cli.global;
    let mut facts =
        facts::Facts::gather(host, g.user.as_deref(), None).map_err(UsageError::from)?;
    facts.choose_target(target_choice(g));
    // `fix` spawns nothing to plan: the checks that run programs (the trial launch, getsubids) are left out.
    let selection = &planning_selection(selection);
    let findings = checks::run(&facts, selection, true, false);
    let plan = fix::Plan::of(&findings);
    let distro = facts.distro().name.clone();
    let heading = fix::Heading {
        user: &facts.user.name,
        uid: facts.user.uid,
        distro: &distro,
        home: &facts.user.home,
    };
    if !apply && !undo {
        match g.format {
            Format::Human => fix::human(out, &plan, &heading)?,
            Format::Script => fix::script(out, &plan, &heading)?,
            Format::Json => fix::json(out, &plan, &heading)?,
            // run() refuses these for `fix` before it gets here; said again rather than assumed.
            other @ (Format::Prometheus | Format::Junit) => {
                return Err(UsageError::ReportFormat(other.name(), "fix").into());
            }
        }
        return Ok(Outcome::Healthy);
    }
    if g.host_file.is_some() {
        return Err(UsageError::Fix(
            "fix --apply and --undo change files: a fixture's sidecar is read-only (give --root DIR alone for a tree)"
                .to_owned(),
        )
        .into());
    }
    let root = g.root.clone().unwrap_or_else(|| "/".into());
    let (state, state_who) = state_dir(&facts, host);
    let is_root = facts.identity.euid == 0;
    let target = UserTarget {
        name: facts.user.name.clone(),
        uid: facts.user.uid,
        gid: facts.user.gid,
        home: facts.user.home.clone(),
    };
    if undo {
        let Some(run) = host::apply::latest_run(&root, &state, &facts.user.name)
            .map_err(|e| UsageError::Fix(e.to_string()))?
        else {
            writeln!(
                out,
                "rootless-doctor fix --undo: no apply to undo in {state}/runs"
            )?;
            return Ok(Outcome::Healthy);
        };
        writeln!(out, "rootless-doctor fix --undo: reversing {run}")?;
        let undone = host::apply::undo(&root, &run, Some(target), state_who)
            .map_err(|e| UsageError::Fix(format!("undo stopped: {e}")))?;
        for l in &undone.lines {
            writeln!(out, "  {}", model::escape_controls(l))?;
        }
        if undone.failed > 0 {
            writeln!(
                out,
                "  {} of {} entries could not be put back (NOT UNDONE above); the run is marked undone",
                undone.failed,
                undone.lines.len()
            )?;
            return Ok(Outcome::Unhealthy);
        }
        return Ok(Outcome::Healthy);
    }
    writeln!(
        out,
        "rootless-doctor fix --apply: {} for {} on {}",
        if plan.is_empty() {
            "nothing to apply"
        } else {
            "applying the plan"
        },
        model::escape_controls(&facts.user.name),
        model::escape_controls(&distro)
    )?;
    if plan.is_empty() {
        return Ok(Outcome::Healthy);
    }
    let mut applier = new_applier(host, &plan, &root, &target, &state, state_who)?;
    writeln!(out, "  journal and backups: {}", applier.run_dir())?;
    let mut failed = false;
    let mut parts: Vec<(&str, &Vec<fix::Item>)> = Vec::new();
    let (want_root, want_user) = (part != Some(cli::Part::User), part != Some(cli::Part::Root));
    if is_root {
        if want_root {
            parts.push(("As root:", &plan.root));
        }
    } else if !plan.root.is_empty() && want_root && sudo {
        // The root process plans again, for this user, and applies its root part only; its journal is root's.
        writeln!(
            out,
            "\nThe root part, through sudo (its journal is root's: `sudo rootless-doctor fix --undo` reverses it):"
        )?;
        let exe = host::apply::current_exe().map_err(|e| UsageError::Fix(e.to_string()))?;
        let mut argv: Vec<String> = vec![
            "sudo".into(),
            "--".into(),
            exe,
            "fix".into(),
            "--apply".into(),
        ];
        argv.extend([
            "--part".into(),
            "root".into(),
            "--user".into(),
            facts.user.name.clone(),
        ]);
        argv.extend(targets.iter().cloned());
        out.flush()?;
        if let Err(e) = host::apply::run_interactive(&argv) {
            writeln!(
                out,
                "    FAILED   {}",
                model::escape_controls(&e.to_string())
            )?;
            failed = true;
        }
    } else if !plan.root.is_empty() && want_root {
        writeln!(
            out,
            "\nThe root part needs root, and was not applied: add --sudo, run `sudo rootless-doctor fix --apply --user {}`, or run these:",
            model::escape_controls(&facts.user.name)
        )?;
        for s in plan.root.iter().flat_map(|i| &i.steps) {
            writeln!(out, "      {}", s.render())?;
        }
    }
    let user_title = format!("As {}:", model::escape_controls(&facts.user.name));
    if want_user && !failed {
        parts.push((&user_title, &plan.user));
    }
    let parts: Vec<(&str, &[fix::Item])> =
        parts.into_iter().map(|(t, i)| (t, i.as_slice())).collect();
    for (title, items) in parts {
        if apply_items(out, &mut applier, title, items)? {
            failed = true;
            break;
        }
    }
    // What the checks say now.
    let mut again =
        facts::Facts::gather(host, g.user.as_deref(), None).map_err(UsageError::from)?;
    again.choose_target(target_choice(g));
    let ids = plan.checks();
    let only = checks::Selection {
        only: ids.iter().map(|s| (*s).to_owned()).collect(),
        skip: vec![],
    };
    let after = checks::run(&again, &only, true, false);
    writeln!(
        out,
        "
Before → after:"
    )?;
    let mut still = false;
    for id in &ids {
        let before = findings.iter().find(|f| f.id == *id).map(|f| f.status);
        let now = after.iter().find(|f| f.id == *id);
        if let (Some(b), Some(n)) = (before, now) {
            still |= matches!(n.status, Status::Fail | Status::Error);
            writeln!(
                out,
                "  {id}  {} → {}  {}",
                b.as_str(),
                n.status.as_str(),
                model::escape_controls(&n.summary)
            )?;
        }
    }
    Ok(if failed || still {
        Outcome::Unhealthy
    } else {
        Outcome::Healthy
    })
}

/// `net bench`: every combination that could start here, each in one throw-away RootlessKit with data pushed in
/// and out ([`host::bench`]); the table, or JSON. Unhealthy when none started.
fn net_bench_command(
    cli: &Cli,
    host: &dyn Host,
    mtu: Option<u32>,
    mib: u64,
    seconds: u64,
    out: &mut dyn Write,
) -> error::Result<Outcome> {
    let g = &cli.global;
    rootless_only(g, "net bench")?;
    let facts = facts::Facts::gather(host, g.user.as_deref(), None).map_err(UsageError::from)?;
    let table = net::table().map_err(UsageError::Fix)?;
    let inv = facts.net_inventory();
    let request = net::Request {
        mtu,
        ..net::Request::default()
    };
    let decision = net::decide(table, &inv, &request);
    let bytes = mib << 20;
    let timeout = std::time::Duration::from_secs(seconds);
    let mut rows = Vec::new();
    let mut skipped = Vec::new();
    for c in decision.candidates.iter().filter(|c| !c.could_start()) {
        let why: Vec<&str> = c.rejected.iter().map(|r| r.text.as_str()).collect();
        skipped.push((c.label(), why.join("; ")));
    }
    for c in decision.candidates.iter().filter(|c| c.could_start()) {
        let combination = c.combination(&inv.current);
        let outcome = facts.bench_of(&combination, bytes, timeout);
        let unsupported = outcome.is_err();
        rows.push(net::BenchRow {
            network: c.network.clone(),
            port: c.port.clone(),
            mtu: c.mtu,
            outcome,
        });
        if unsupported {
            // This host launches nothing: the others would say the same.
            break;
        }
    }
    let address = rows
        .iter()
        .find_map(|r| r.outcome.as_ref().ok().and_then(|o| o.address));
    let distro = facts.distro().name.clone();
    let heading = net::Heading {
        user: &facts.user.name,
        distro: &distro,
    };
    let report = net::BenchReport {
        heading,
        bytes,
        address,
        rows,
        skipped,
    };
    match g.format {
        Format::Json => net::bench_json(out, &report)?,
        _ => net::bench_human(out, &report)?,
    }
    let any = report
        .rows
        .iter()
        .any(|r| r.outcome.as_ref().is_ok_and(|o| o.started));
    Ok(if any {
        Outcome::Healthy
    } else {
        Outcome::Unhealthy
    })
}

/// How many combinations `net` tries, in rank order, before it gives up finding one that starts (without --probe).
const NET_TRIES: usize = 3;

/// `net`: weigh every combination, try the best until one starts (or, with `probe`, every one that could), report,
/// and with `write` put the settings in place through `host::apply`.
fn net_command(
    cli: &Cli,
    host: &dyn Host,
    request: net::Request,
    probe: bool,
    write: bool,
    out: &mut dyn Write,
) -> error::Result<Outcome> {
    let g = &cli.global;
    rootless_only(g, "net")?;
    let facts = facts::Facts::gather(host, g.user.as_deref(), None).map_err(UsageError::from)?;
    let table = net::table().map_err(UsageError::Fix)?;
    let inv = facts.net_inventory();
    let mut decision = net::decide(table, &inv, &request);
    // The trials: by label, since a failed one re-sorts the list.
    let labels: Vec<String> = decision
        .candidates
        .iter()
        .filter(|c| if probe { c.could_start() } else { c.kept() })
        .map(net::Candidate::label)
        .collect();
    let mut tried = 0;
    for label in labels {
        if !probe && (tried == NET_TRIES || decision.chosen().is_some_and(|c| c.probe.is_some())) {
            break;
        }
        let Some(i) = decision.candidates.iter().position(|c| c.label() == label) else {
            continue;
        };
        let c = &decision.candidates[i];
        // The FLAGS the start will really pass: those in force, less what would undo the choice, plus its own.
        let combination = c.combination(&inv.current);
        let result = match facts.trial_of(&combination) {
            Err(_) => net::Probe::NotRun {
                why: "no rootlesskit to run".to_owned(),
            },
            Ok((
                _,
                facts::launch::Trial::Unsupported(why) | facts::launch::Trial::CouldNotRun(why),
            )) => net::Probe::NotRun { why },
            Ok((_, facts::launch::Trial::Ran(r))) => {
                if r.exit == facts::launch::Exit::Code(0) {
                    net::Probe::Started { ms: r.elapsed_ms }
                } else {
                    let line = parse::known_errors::error_line(&r.stderr, &r.stdout);
                    net::Probe::Failed {
                        error: if line.is_empty() {
                            format!("{:?}", r.exit)
                        } else {
                            line
                        },
                        ms: r.elapsed_ms,
                    }
                }
            }
        };
        let not_run = matches!(result, net::Probe::NotRun { .. });
        decision.record_probe(i, result);
        tried += 1;
        if not_run && !probe {
            // This host launches nothing: the others would say the same.
            break;
        }
    }
    let d = facts.distro();
    let install: Vec<String> = decision
        .to_install()
        .iter()
        .map(|keys| {
            let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
            match d.install_step(&keys) {
                Some(step) => step.render(),
                None => format!("install {}", d.package_list(&keys)),
            }
        })
        .collect();
    // The daemon.json the rootless dockerd reads: its unit's --config-file, else the default.
    let unit = facts.rootless_unit_setup();
    let daemon_json = unit
        .map(|u| u.config.clone())
        .unwrap_or_else(|| facts.daemon_json_path());
    let settings = decision.chosen().map(|c| {
        let mut s = net::settings(
            c,
            &inv,
            facts.systemd,
            &facts.user.home,
            &daemon_json,
        );
        if facts.systemd && unit.is_none() {
            s.then = vec![
                "install the docker user service (`rootless-doctor setup`, or `dockerd-rootless-setuptool.sh install`): it starts with these".to_owned(),
            ];
        }
        s
    });
    let distro = d.name.clone();
    let heading = net::Heading {
        user: &facts.user.name,
        distro: &distro,
    };
    match g.format {
        Format::Json => net::json(out, &heading, &inv, &decision, settings.as_ref(), &install)?,
        _ => net::human(out, &heading, &inv, &decision, settings.as_ref(), &install)?,
    }
    let Some(settings) = settings else {
        return Ok(Outcome::Unhealthy);
    };
    if !write {
        return Ok(Outcome::Healthy);
    }
    if g.host_file.is_some() {
        return Err(UsageError::Fix(
            "net --write changes files: a fixture's sidecar is read-only (give --root DIR alone for a tree)"
                .to_owned(),
        )
        .into());
    }
    // The user's part, as `fix --apply` does it: journaled, backed up, atomic.
    let mut steps = Vec::new();
    // A drop-in that sorts after override.conf sets the same variables last: what would be written would not count.
    if let Some(file) = &settings.override_file
        && let Some(dir) = std::path::Path::new(file).parent().and_then(|d| d.to_str())
        && let facts::Read::Ok(mut names) = facts.read_dir(dir)
    {
        names.sort();
        for name in names
            .iter()
            .filter(|n| n.ends_with(".conf") && n.as_str() > "override.conf")
        {
            let later = format!("{dir}/{name}");
            if let facts::Read::Ok(text) = facts.read(&later) {
                let (entries, _) = parse::unit::parse(&text);
                let sets: Vec<String> = entries
                    .iter()
                    .filter(|e| e.section == "Service" && e.key == "Environment")
                    .flat_map(|e| parse::unit::split_environment(&e.value).unwrap_or_default())
                    .map(|(k, _)| k)
                    .filter(|k| settings.environment.iter().any(|(n, _)| n == k))
                    .collect();
                if let Some(k) = sets.first() {
                    return Err(UsageError::Fix(format!(
                        "{later} sets {k} after override.conf: systemd would take that one; not written (remove it there, or put these settings in it)"
                    ))
                    .into());
                }
            }
        }
    }
    // dockerd refuses a key set both as a flag and in daemon.json.
    for (k, _) in &settings.daemon_json {
        if let Some(u) = unit
            && u.flag(k).is_some()
        {
            return Err(UsageError::Fix(format!(
                "{} passes --{k} to dockerd, which then refuses \"{k}\" in {}: not written (remove the flag)",
                u.label, settings.daemon_json_file
            ))
            .into());
        }
    }
    // Neither file is read through a link: the write would refuse it anyway, and a read as root (below --root)
    // must not quote what a link points to.
    for file in settings
        .override_file
        .iter()
        .chain((!settings.daemon_json.is_empty()).then_some(&settings.daemon_json_file))
    {
        if let facts::Read::Ok(m) = facts.lstat(file)
            && m.kind != facts::FileKind::File
        {
            return Err(UsageError::Fix(format!(
                "{file}: refused: a {}, not a regular file: not written",
                m.kind.describe()
            ))
            .into());
        }
    }
    if let Some(file) = &settings.override_file {
        let text = match facts.read(file) {
            facts::Read::Ok(t) => t,
            facts::Read::Missing => String::new(),
            facts::Read::Failed(e) => {
                return Err(UsageError::Fix(format!("{file}: {e}: not written")).into());
            }
        };
        let new = parse::dropin::set_environment(&text, &settings.environment)
            .map_err(|e| UsageError::Fix(format!("{file}:{}: {}", e.line, e.message)))?;
        steps.push(model::Step::write_file(false, file.as_str(), new));
    }
    if !settings.daemon_json.is_empty() {
        let file = &settings.daemon_json_file;
        let base = match facts.read(file) {
            facts::Read::Ok(t) => Some(t),
            facts::Read::Missing => None,
            facts::Read::Failed(e) => {
                return Err(UsageError::Fix(format!("{file}: {e}: not written")).into());
            }
        };
        let set: serde_json::Map<String, serde_json::Value> =
            settings.daemon_json.iter().cloned().collect();
        match parse::json_edit::edit(base.as_deref().unwrap_or("").as_bytes(), &set, &[]) {
            Err(e) => {
                return Err(UsageError::Fix(format!("{file}:{e}: not edited")).into());
            }
            // Already holds them: the write path's "already" line says so.
            Ok(None) => steps.push(model::Step::write_file(
                false,
                file.as_str(),
                base.clone().unwrap_or_default(),
            )),
            Ok(Some(_)) => {
                if let Some(step) =
                    model::Step::edit_json(false, file.as_str(), base.as_deref(), set, vec![])
                {
                    steps.push(step);
                }
            }
        }
    }
    writeln!(
        out,
        "
rootless-doctor net --write:"
    )?;
    if steps.is_empty() {
        writeln!(
            out,
            "  nothing to write here: without systemd, start dockerd-rootless.sh with the variables above"
        )?;
        return Ok(Outcome::Healthy);
    }
    let root = g.root.clone().unwrap_or_else(|| "/".into());
    let (state, state_who) = state_dir(&facts, host);
    let target = host::apply::UserTarget {
        name: facts.user.name.clone(),
        uid: facts.user.uid,
        gid: facts.user.gid,
        home: facts.user.home.clone(),
    };
    let mut applier = host::apply::Applier::new(
        &root,
        Some(target),
        &state,
        state_who,
        &host::apply::now_stamp(),
        Box::new(|_| None),
    )
    .map_err(|e| UsageError::Fix(e.to_string()))?;
    writeln!(out, "  journal and backups: {}", applier.run_dir())?;
    for s in &steps {
        if apply_step(out, &mut applier, s)? {
            writeln!(
                out,
                "
Stopped at the failure; `rootless-doctor fix --undo` reverses what was done."
            )?;
            return Ok(Outcome::Unhealthy);
        }
    }
    if !settings.root_steps.is_empty() {
        writeln!(out, "  root's part, not done by net --write:")?;
        for s in &settings.root_steps {
            writeln!(out, "      {}", s.render())?;
        }
    }
    writeln!(out, "  now run: {}", settings.then.join(" && "))?;
    writeln!(
        out,
        "  (`rootless-doctor fix --undo` puts the files back as they were)"
    )?;
    Ok(Outcome::Healthy)
}

/// The error type of [`run`]: usage errors (exit 2, shown as they are) and output errors.
pub mod error {
    #[derive(Debug, thiserror::Error)]
    pub enum Error {
        #[error(transparent)]
        Usage(#[from] super::UsageError),
        #[error(transparent)]
        Io(#[from] std::io::Error),
        /// `enter` could not join the daemon (exit 1, like nsenter).
        #[error("enter: {0}")]
        Enter(String),
        /// `capture` could not write its directory (exit 1): the directory and why.
        #[error("capture: cannot write {0}: {1}")]
        Capture(String, String),
    }
    pub type Result<T> = std::result::Result<T, Error>;
}
