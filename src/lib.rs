//! rootless-doctor: reads a Linux host as it really is and says, check by check, whether Docker's rootless mode will work.
//!
//! The pipeline runs one way: [`host`] → [`facts`] → [`checks`] → [`model::Finding`]s → [`report`].
//! See ARCHITECTURE.md for the map and the invariants.

pub mod checks;
pub mod cli;
pub mod distro;
pub mod enter;
pub mod facts;
pub mod fsmagic;
pub mod host;
pub mod model;
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
    #[error(transparent)]
    Sidecar(#[from] host::sidecar::SidecarError),
    #[error("--root {}: {}", .0.display(), host::describe_error(.1))]
    Root(std::path::PathBuf, std::io::Error),
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
    let selection = checks::Selection {
        only,
        skip: g.skip.clone(),
    };
    if let Some(word) = selection.unknown_words().into_iter().next() {
        return Err(UsageError::UnknownCheck(word).into());
    }
    match &cli.command {
        Command::List => {
            let list: Vec<&checks::Check> =
                checks::all().filter(|c| selection.includes(c)).collect();
            report::list(out, &list, g.format == Format::Json)?;
            Ok(Outcome::Healthy)
        }
        Command::Explain { id } => {
            let check = checks::find(id).ok_or_else(|| UsageError::UnknownCheck(id.clone()))?;
            // Explaining needs no user; when one can be determined, show what this host says too.
            let here = facts::Facts::gather(host, g.user.as_deref(), None).ok();
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
        Command::Preflight { .. } | Command::Check { .. } => {
            let (name, daemon, probe) = match &cli.command {
                Command::Check { .. } => ("check", true, true),
                Command::Preflight { probe } => ("preflight", false, *probe),
                _ => ("preflight", false, false),
            };
            let volume_path = match &cli.command {
                Command::Check { path, .. } => path.as_deref(),
                _ => None,
            };
            let facts = facts::Facts::gather(host, g.user.as_deref(), volume_path)
                .map_err(UsageError::from)?;
            let findings = checks::run(&facts, &selection, daemon, probe);
            match g.format {
                Format::Json => report::json(out, name, &facts, &findings)?,
                Format::Human => report::human(
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
            let failing = match worst {
                // A check that could not read what it needs did not pass: a CI gate must not go green on it.
                Status::Fail | Status::Error => true,
                Status::Warn => g.strict,
                Status::Pass | Status::Skip => false,
            };
            Ok(if failing {
                Outcome::Unhealthy
            } else {
                Outcome::Healthy
            })
        }
    }
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
    }
    pub type Result<T> = std::result::Result<T, Error>;
}
