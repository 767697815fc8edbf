//! `--all-users` (and root without `--user`): the host-wide checks once, then each account that could run rootless
//! Docker ([`crate::facts::accounts`]) judged by the checks that depend on the user, all on one copy of the host's
//! parsed files ([`crate::facts::Shared`]).
//!
//! The report is written as the accounts are judged, one at a time: a fleet host's ten thousand accounts are never
//! held in memory together, only a line each (human), a document each (JSON), a suite each (JUnit), or a status per
//! check (Prometheus, whose families group every account's samples).

use std::io::{self, Write};
use std::rc::Rc;

use serde::Serialize;

use crate::checks::{self, Part, Selection};
use crate::export::{AccountCounts, JunitStream, PerCheck, Run, count_of};
use crate::facts::accounts::{Account, Accounts, Why};
use crate::facts::client::TargetChoice;
use crate::facts::{Facts, Shared};
use crate::host::Host;
use crate::model::{Finding, Status};
use crate::report::{self, HumanOptions, Summary};

/// What a run over every account does.
pub struct Request<'a> {
    /// `preflight` or `check`.
    pub command: &'static str,
    /// `check`: the checks of a running daemon too.
    pub daemon: bool,
    pub selection: &'a Selection,
    /// `--target`: which daemon each account's `check` judges.
    pub target: TargetChoice,
    pub strict: bool,
    pub format: Format,
    pub verbose: bool,
}

/// The formats a run over every account writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
    Prometheus,
    Junit,
}

/// The checks a run over every account leaves out, with why: each launches RootlessKit as the user, a process per
/// account; `--user NAME` runs them for one.
pub fn not_for_every_account() -> Vec<&'static str> {
    checks::all()
        .filter(|c| c.scope == checks::Scope::Probe)
        .map(|c| c.id)
        .collect()
}

/// One account's outcome: its findings, or why it could not be judged.
pub struct Judged<'a> {
    pub account: &'a Account,
    pub findings: Result<Vec<Finding>, String>,
}

impl Judged<'_> {
    /// The worst status among the account's findings; an account that could not be judged is an error.
    pub fn worst(&self) -> Status {
        match &self.findings {
            Ok(f) => f.iter().map(|f| f.status).max().unwrap_or(Status::Pass),
            Err(_) => Status::Error,
        }
    }

    /// How the account came out: [`Judged::worst`], except that an account with nothing to fix passes, whatever
    /// its skips and notes (which rank above a pass as statuses).
    pub fn outcome(&self) -> Status {
        match self.worst() {
            Status::Info | Status::Skip => Status::Pass,
            other => other,
        }
    }
}

/// Judges the host, then every account, writing the report to `out` as it goes; returns the worst status of all.
/// For the command line, whose process ends next: what was read for every account is left to the process's end,
/// not freed.
pub fn run(host: &dyn Host, req: &Request, out: &mut dyn Write) -> io::Result<Status> {
    let shared = Shared::for_every_account(host);
    let mut host_facts = Facts::for_host(host, &shared);
    // The host's part is about rootless mode unless the rootful daemon is asked for.
    host_facts.choose_target(match req.target {
        TargetChoice::Rootful => TargetChoice::Rootful,
        _ => TargetChoice::Rootless,
    });
    let mut selection = req.selection.clone();
    selection
        .skip
        .extend(not_for_every_account().into_iter().map(str::to_owned));
    // The files every account shares are read now, with the doctor's own sight (root's files, read as root), not
    // by whichever account's facts would ask first.
    let _ = (
        host_facts.passwd(),
        host_facts.groups(),
        host_facts.subuid(),
        host_facts.subgid(),
        host_facts.mounts(),
        host_facts.uid_map(),
        host_facts.gid_map(),
    );
    let host_findings = checks::run_part(&host_facts, &selection, req.daemon, false, Part::Host);
    let accounts = host_facts.accounts();
    let mut worst = host_findings
        .iter()
        .map(|f| f.status)
        .max()
        .unwrap_or(Status::Pass);
    // No account list (/etc/passwd missing or unreadable): nobody was judged, which is no healthy run.
    if accounts.unreadable.is_some() {
        worst = worst.max(Status::Error);
    }
    let mut writer = Writer::new(req, &host_facts, &host_findings, &accounts, out)?;
    for account in &accounts.list {
        let findings = judge(host, &shared, account, req, &selection);
        let judged = Judged { account, findings };
        worst = worst.max(judged.worst());
        writer.account(&judged)?;
    }
    writer.finish(worst)?;
    // The process ends next (as after a one-user run, lib.rs): freeing the parsed files and the kept answers entry by
    // entry would cost more than reading them did.
    std::mem::forget(host_facts);
    std::mem::forget(shared);
    Ok(worst)
}

fn judge(
    host: &dyn Host,
    shared: &Rc<Shared>,
    account: &Account,
    req: &Request,
    selection: &Selection,
) -> Result<Vec<Finding>, String> {
    if let Some(why) = &account.unread {
        return Err(why.clone());
    }
    let mut facts = Facts::for_account(host, shared, &account.info).map_err(|e| e.to_string())?;
    if req.daemon {
        facts.choose_target(req.target);
    }
    Ok(checks::run_part(
        &facts,
        selection,
        req.daemon,
        false,
        Part::User,
    ))
}

/// How an account came out, as one word and the checks behind it.
fn verdict_line(j: &Judged) -> String {
    let findings = match &j.findings {
        Ok(f) => f,
        Err(e) => return format!("not judged: {e}"),
    };
    let ids = |status: Status| -> Vec<&str> {
        findings
            .iter()
            .filter(|f| f.status == status)
            .map(|f| f.id)
            .collect()
    };
    let mut parts = Vec::new();
    for status in [Status::Fail, Status::Error, Status::Warn] {
        let list = ids(status);
        if !list.is_empty() {
            parts.push(format!("{} {}", status.as_str(), list.join(" ")));
        }
    }
    if parts.is_empty() {
        let s = Summary::of(findings);
        let mut line = format!("ok ({} passed", s.pass);
        if s.skip > 0 {
            line.push_str(&format!(", {} skipped", s.skip));
        }
        if s.info > 0 {
            line.push_str(&format!(", {} notes", s.info));
        }
        line.push(')');
        return line;
    }
    parts.join("; ")
}

/// How many accounts one check did not pass for, by status.
#[derive(Debug, Default, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct Tally {
    #[serde(skip_serializing_if = "is_zero")]
    pub fail: usize,
    #[serde(skip_serializing_if = "is_zero")]
    pub error: usize,
    #[serde(skip_serializing_if = "is_zero")]
    pub warn: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// Each check that failed, erred or warned for some account, with how many: a check that fails for every account
/// usually has one cause on the host and one fix for all of them.
#[derive(Debug, Default)]
pub struct ByCheck {
    per_check: PerCheck,
    /// The accounts that could not be judged (their credentials could not be taken, their passwd line is not
    /// UTF-8): failing, in no check's count.
    pub not_judged: usize,
}

impl ByCheck {
    /// One account's findings, or `None` for an account that could not be judged.
    pub fn add(&mut self, findings: Option<&[Finding]>) {
        let Some(findings) = findings else {
            self.not_judged += 1;
            return;
        };
        for (j, f) in findings.iter().enumerate() {
            self.per_check.add(j, f.id, f.area, f.status);
        }
    }

    /// The checks that did not pass for some account, in the order they run.
    pub fn sorted(&self) -> Vec<(&'static str, Tally)> {
        let mut v: Vec<(&'static str, Tally)> = self
            .per_check
            .iter()
            .map(|(id, _, n)| {
                let tally = Tally {
                    fail: count_of(n, Status::Fail),
                    error: count_of(n, Status::Error),
                    warn: count_of(n, Status::Warn),
                };
                (*id, tally)
            })
            .filter(|(_, t)| t.fail + t.error + t.warn > 0)
            .collect();
        let order = |id: &str| checks::all().position(|c| c.id == id).unwrap_or(usize::MAX);
        v.sort_by_key(|(id, _)| order(id));
        v
    }

    /// The report's lines: one per status, each check with its count of accounts, the most first (then in the order
    /// the checks run).
    pub fn lines(&self) -> Vec<(Status, String)> {
        let sorted = self.sorted();
        let mut out = Vec::new();
        for status in [Status::Fail, Status::Error, Status::Warn] {
            let mut of: Vec<(&str, usize)> = sorted
                .iter()
                .map(|(id, t)| {
                    let n = match status {
                        Status::Fail => t.fail,
                        Status::Error => t.error,
                        _ => t.warn,
                    };
                    (*id, n)
                })
                .filter(|(_, n)| *n > 0)
                .collect();
            of.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
            if !of.is_empty() {
                let list: Vec<String> = of.iter().map(|(id, n)| format!("{id} {n}")).collect();
                out.push((status, list.join(", ")));
            }
        }
        out
    }
}

/// One account in the JSON document.
#[derive(Serialize)]
struct AccountDoc<'a> {
    name: &'a str,
    uid: u32,
    gid: u32,
    why: Why,
    status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
    findings: &'a [Finding],
    summary: Summary,
}

/// How the accounts were chosen, in the JSON document.
#[derive(Serialize)]
struct Chosen<'a> {
    uid_min: u32,
    uid_max: u32,
    range_source: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    unreadable: Option<&'a str>,
    not_run: Vec<&'static str>,
}

/// The report being written.
struct Writer<'a, 'o> {
    req: &'a Request<'a>,
    out: &'o mut dyn Write,
    host_summary: Summary,
    counts: AccountCounts,
    by_check: ByCheck,
    width: usize,
    first: bool,
    /// Prometheus: (user, findings' id, area and status) of the host (user `""`) and each account.
    kept: Vec<crate::export::Run>,
    /// JUnit: the report being written, a suite per account.
    junit: Option<JunitStream<'a>>,
    host_facts: &'a Facts<'a>,
}

impl<'a, 'o> Writer<'a, 'o> {
    fn new(
        req: &'a Request<'a>,
        host_facts: &'a Facts<'a>,
        host_findings: &'a [Finding],
        accounts: &'a Accounts,
        out: &'o mut dyn Write,
    ) -> io::Result<Writer<'a, 'o>> {
        let width = accounts
            .list
            .iter()
            .map(|a| a.info.name.chars().count())
            .max()
            .unwrap_or(0)
            .min(24);
        let mut host_summary = Summary::of(host_findings);
        // No account list is the host's error, in every format's counts (Prometheus's and JUnit's carry it as the
        // host's unjudged run).
        if accounts.unreadable.is_some() {
            host_summary.error += 1;
        }
        let mut w = Writer {
            req,
            out,
            host_summary,
            counts: AccountCounts::default(),
            by_check: ByCheck::default(),
            width,
            first: true,
            kept: Vec::new(),
            junit: None,
            host_facts,
        };
        match req.format {
            Format::Human => report::fleet_host(
                w.out,
                req.command,
                host_facts,
                host_findings,
                accounts,
                HumanOptions {
                    verbose: req.verbose,
                },
            )?,
            Format::Json => {
                let head = report::fleet_json_head(
                    req.command,
                    host_facts,
                    host_findings,
                    w.host_summary.clone(),
                )?;
                let chosen = Chosen {
                    uid_min: accounts.uid_min,
                    uid_max: accounts.uid_max,
                    range_source: &accounts.range_source,
                    unreadable: accounts.unreadable.as_deref(),
                    not_run: not_for_every_account(),
                };
                write!(
                    w.out,
                    "{head},\n  \"accounts_chosen\": {},\n  \"accounts\": [",
                    indent_by(
                        &serde_json::to_string_pretty(&chosen).map_err(io::Error::other)?,
                        "  "
                    )
                )?;
            }
            Format::Prometheus => {
                let mut run = Run::statuses("", host_findings);
                run.unjudged.clone_from(&accounts.unreadable);
                w.kept.push(run);
            }
            Format::Junit => {
                let junit = JunitStream::start(w.out, req.command, host_facts, req.strict)?;
                let mut run = Run::of("", host_findings);
                run.unjudged.clone_from(&accounts.unreadable);
                junit.suite(w.out, &run)?;
                w.junit = Some(junit);
            }
        }
        Ok(w)
    }

    fn account(&mut self, j: &Judged) -> io::Result<()> {
        self.counts.add(j.worst());
        self.by_check.add(j.findings.as_deref().ok());
        let info = &j.account.info;
        match self.req.format {
            Format::Human => {
                let (g, style) = report::glyph(j.outcome());
                writeln!(
                    self.out,
                    "  {style}{g}{style:#} {:width$}  uid {:<6} {}",
                    report::esc(&info.name),
                    info.uid,
                    report::esc(&verdict_line(j)),
                    width = self.width
                )?;
            }
            Format::Json => {
                let none: &[Finding] = &[];
                let doc = AccountDoc {
                    name: &info.name,
                    uid: info.uid,
                    gid: info.gid,
                    why: j.account.why,
                    status: j.outcome(),
                    error: j.findings.as_ref().err().map(String::as_str),
                    findings: j.findings.as_deref().unwrap_or(none),
                    summary: match &j.findings {
                        Ok(f) => Summary::of(f),
                        // Not judged: its one error, as Prometheus and JUnit count it.
                        Err(_) => Summary {
                            error: 1,
                            ..Summary::default()
                        },
                    },
                };
                let text = serde_json::to_string_pretty(&doc).map_err(io::Error::other)?;
                let sep = if self.first { "" } else { "," };
                write!(self.out, "{sep}\n    {}", indent_by(&text, "    "))?;
            }
            Format::Prometheus => self.kept.push(match &j.findings {
                Ok(f) => Run::statuses(&info.name, f),
                Err(e) => Run::unjudged(&info.name, info.uid, e),
            }),
            Format::Junit => {
                let run = match &j.findings {
                    Ok(f) => Run::of(&info.name, f),
                    Err(e) => Run::unjudged(&info.name, info.uid, e),
                };
                if let Some(junit) = &self.junit {
                    junit.suite(self.out, &run)?;
                }
            }
        }
        self.first = false;
        Ok(())
    }

    fn finish(self, worst: Status) -> io::Result<()> {
        let c = self.counts;
        let failing = crate::export::failing(worst, self.req.strict);
        match self.req.format {
            Format::Human => {
                let bold = anstyle::Style::new().bold();
                let dim = anstyle::Style::new().dimmed();
                let s = &self.host_summary;
                writeln!(
                    self.out,
                    "\n{bold}host: {} passed, {} warnings, {} failed, {} skipped, {} errors; accounts: {} ok, {} with warnings, {} failing{bold:#}",
                    s.pass, s.warn, s.fail, s.skip, s.error, c.ok, c.warn, c.fail
                )?;
                let lines = self.by_check.lines();
                let not_judged = self.by_check.not_judged;
                if !lines.is_empty() || not_judged > 0 {
                    writeln!(self.out, "accounts by check:")?;
                    for (status, list) in lines {
                        let (_, style) = report::glyph(status);
                        writeln!(self.out, "  {style}{:<5}{style:#} {list}", status.as_str())?;
                    }
                    if not_judged > 0 {
                        let (_, style) = report::glyph(Status::Error);
                        writeln!(
                            self.out,
                            "  {style}not judged{style:#} {not_judged} (no check ran for them: see their lines)"
                        )?;
                    }
                }
                writeln!(
                    self.out,
                    "{dim}`rootless-doctor {} --user NAME` shows one account's findings and fixes; {} not run for every account.{dim:#}",
                    self.req.command,
                    not_for_every_account().join(", ")
                )?;
            }
            Format::Json => {
                let end = if self.first { "]" } else { "\n  ]" };
                // (`accounts_chosen.unreadable` says why there are none, and the run is not healthy.)
                #[derive(Serialize)]
                struct AccountsSummary {
                    #[serde(flatten)]
                    counts: AccountCounts,
                    /// The accounts that could not be judged (counted as failing, in no check's count).
                    not_judged: usize,
                    /// Each check that did not pass for some account: how many, by status.
                    by_check: serde_json::Map<String, serde_json::Value>,
                }
                let by_check = self
                    .by_check
                    .sorted()
                    .into_iter()
                    .map(|(id, t)| Ok((id.to_owned(), serde_json::to_value(t)?)))
                    .collect::<Result<_, serde_json::Error>>()
                    .map_err(io::Error::other)?;
                let summary = AccountsSummary {
                    counts: c,
                    not_judged: self.by_check.not_judged,
                    by_check,
                };
                write!(
                    self.out,
                    "{end},\n  \"accounts_summary\": {},\n  \"healthy\": {}\n}}\n",
                    serde_json::to_string(&summary).map_err(io::Error::other)?,
                    !failing
                )?;
            }
            Format::Prometheus => crate::export::prometheus_runs(
                self.out,
                self.req.command,
                self.host_facts,
                &self.kept,
                self.req.strict,
                true,
            )?,
            Format::Junit => {
                if let Some(junit) = self.junit {
                    junit.finish(self.out)?;
                }
            }
        }
        Ok(())
    }
}

/// A pretty JSON value placed `by` further in (inside the document's object or array).
fn indent_by(text: &str, by: &str) -> String {
    text.replace('\n', &format!("\n{by}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Verdict;

    fn finding(id: &'static str, status: Status) -> Finding {
        Finding::new(id, "", "", Verdict::new(status, "s"))
    }

    #[test]
    fn by_check_counts_accounts_per_check_and_status_the_most_first_then_in_check_order() {
        let mut by = ByCheck::default();
        // Three accounts; passes, skips and notes are not counted.
        by.add(Some(&[
            finding("subid.overlap", Status::Fail),
            finding("session.linger", Status::Warn),
            finding("subid.entries", Status::Pass),
        ]));
        by.add(Some(&[
            finding("subid.entries", Status::Fail),
            finding("subid.overlap", Status::Fail),
            finding("session.linger", Status::Warn),
            finding("session.dbus", Status::Skip),
        ]));
        by.add(Some(&[
            finding("subid.entries", Status::Error),
            finding("session.linger", Status::Info),
            finding("uidmap.newuidmap", Status::Fail),
        ]));
        // An account that could not be judged is counted apart, in no check's count.
        by.add(None);
        assert_eq!(by.not_judged, 1);
        let lines: Vec<(Status, String)> = by.lines();
        assert_eq!(
            lines,
            [
                (
                    Status::Fail,
                    "subid.overlap 2, uidmap.newuidmap 1, subid.entries 1".to_owned()
                ),
                (Status::Error, "subid.entries 1".to_owned()),
                (Status::Warn, "session.linger 2".to_owned()),
            ]
        );
        let sorted: Vec<&str> = by.sorted().iter().map(|(id, _)| *id).collect();
        assert_eq!(
            sorted,
            [
                "uidmap.newuidmap",
                "subid.entries",
                "subid.overlap",
                "session.linger"
            ]
        );
        assert_eq!(
            by.sorted()[1].1,
            Tally {
                fail: 1,
                error: 1,
                warn: 0
            }
        );
        assert!(ByCheck::default().lines().is_empty());
    }
}
