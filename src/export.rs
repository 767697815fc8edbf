//! Reports for the tools admins already run, beside the human text and JSON of `report`:
//!
//! - `--format prometheus`: the Prometheus text exposition format (version 0.0.4), which node_exporter's textfile
//!   collector reads from a `*.prom` file (`rootless-doctor preflight --format prometheus > DIR/rootless.prom.$$ &&
//!   mv DIR/rootless.prom.$$ DIR/rootless.prom`). Written by hand: the format is one line per sample and three
//!   escapes in a label value, and the maintained client (`prometheus-client`) writes OpenMetrics for a scrape
//!   endpoint, through a registry, for a process that lives on.
//! - `--format junit`: JUnit XML as CI systems read it (the Jenkins/Ant form), through `quick-junit` (cargo-nextest's
//!   writer): one test case per check, failures with the summary, evidence and fix.
//!
//! Both say what the exit code says: a check fails when it failed or could not read what it needs, and with
//! `--strict` when it warned.

use std::fmt::Write as _;
use std::io::{self, Write};

use crate::facts::Facts;
use crate::model::{Finding, Status};

/// Whether `status` makes the run exit non-zero.
pub fn failing(status: Status, strict: bool) -> bool {
    match status {
        Status::Fail | Status::Error => true,
        Status::Warn => strict,
        Status::Pass | Status::Info | Status::Skip => false,
    }
}

/// A label value as the text format writes it: backslash, double quote and line feed escaped; other control
/// characters (an account name's ESC) are written visibly first, so `cat` of a .prom file sends no terminal
/// sequence. That visible form doubles the value's own backslashes, so two values never share a label: an account
/// named `a<ESC>` and one named `a\e` were one series twice, which Prometheus refuses (found by a hostile-user
/// audit).
fn label(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            // The visible form's `\` (a backslash of the value) and `\e`, then the format's own escapes.
            '\\' => out.push_str(r"\\\\"),
            '"' => out.push_str(r#"\""#),
            c if crate::model::is_terminal_control(c) => {
                let mut buf = [0u8; 4];
                for v in crate::model::escape_controls(c.encode_utf8(&mut buf)).chars() {
                    if v == '\\' {
                        out.push_str("\\\\");
                    } else {
                        out.push(v);
                    }
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// `text` with every character XML 1.0 forbids (`Char` in its grammar: the C0 controls but tab, line feed and
/// carriage return, and U+FFFE and U+FFFF) replaced by U+FFFD. quick-junit drops the controls itself but lets the
/// two non-characters through, and one of them in a user's file (quoted in a summary or evidence) would make a CI
/// system throw the whole report away.
fn xml(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => c,
            '\u{fffe}' | '\u{ffff}' => '\u{fffd}',
            // What XML forbids, and what a terminal or a CI page would obey when the report is shown (DEL, the 8-bit
            // C1 controls such as CSI, the bidirectional overrides a file name could reverse a line with).
            c if crate::model::is_terminal_control(c) => '\u{fffd}',
            c => c,
        })
        .collect()
}

/// One user's findings as the exports keep them: a status per check, and for a check that did not pass its
/// summary and details (a fleet's passing checks cost no text).
pub struct Run {
    /// The judged user; `""` for the host's part of `--all-users`.
    pub user: String,
    pub uid: Option<u32>,
    pub checks: Vec<Kept>,
    /// Why the user could not be judged (their credentials could not be taken).
    pub unjudged: Option<String>,
}

/// One check of a [`Run`].
pub struct Kept {
    pub id: &'static str,
    pub area: &'static str,
    pub status: Status,
    /// The summary and the details, for a status other than pass.
    pub text: Option<(String, String)>,
}

impl Run {
    /// Each check's status, with the text of those that did not pass (JUnit's).
    pub fn of(user: &str, findings: &[Finding]) -> Run {
        Run::kept(user, findings, true)
    }

    /// The statuses alone (Prometheus needs no text).
    pub fn statuses(user: &str, findings: &[Finding]) -> Run {
        Run::kept(user, findings, false)
    }

    fn kept(user: &str, findings: &[Finding], text: bool) -> Run {
        Run {
            user: user.to_owned(),
            uid: None,
            checks: findings
                .iter()
                .map(|f| Kept {
                    id: f.id,
                    area: f.area,
                    status: f.status,
                    text: (text && f.status != Status::Pass)
                        .then(|| (f.summary.clone(), details(f))),
                })
                .collect(),
            unjudged: None,
        }
    }

    pub fn unjudged(user: &str, uid: u32, why: &str) -> Run {
        Run {
            user: user.to_owned(),
            uid: Some(uid),
            checks: Vec::new(),
            unjudged: Some(why.to_owned()),
        }
    }

    /// The worst status of the run; a user not judged is an error.
    pub fn worst(&self) -> Status {
        let worst = self
            .checks
            .iter()
            .map(|k| k.status)
            .max()
            .unwrap_or(Status::Pass);
        if self.unjudged.is_some() {
            worst.max(Status::Error)
        } else {
            worst
        }
    }

    fn count(&self, status: Status) -> usize {
        self.checks.iter().filter(|k| k.status == status).count()
            + usize::from(status == Status::Error && self.unjudged.is_some())
    }
}

/// The textfile collector's report of one run: a series per check, the counts per status, whether the run passed,
/// what ran where, when, and for how long.
pub fn prometheus(
    out: &mut dyn Write,
    command: &str,
    facts: &Facts,
    findings: &[Finding],
    strict: bool,
) -> io::Result<()> {
    prometheus_runs(
        out,
        command,
        facts,
        &[Run::of(&facts.user.name, findings)],
        strict,
        false,
    )
}

/// The textfile collector's report of `runs`. With `fleet` (`--all-users`), `runs[0]` is the host's part, labelled
/// `user=""`: its `healthy` series is the whole run's exit code, each account's is whether the account is ready (its
/// checks and the host's pass), and the run's info, time and duration carry `user=""`.
pub fn prometheus_runs(
    out: &mut dyn Write,
    command: &str,
    facts: &Facts,
    runs: &[Run],
    strict: bool,
    fleet: bool,
) -> io::Result<()> {
    let labels = |user: &str| format!("command=\"{}\",user=\"{}\"", label(command), label(user));
    let run = labels(runs.first().map_or("", |r| r.user.as_str()));
    // Written as it goes (a fleet's report has a series per check and account: hundreds of thousands of lines).
    let metric = |out: &mut dyn Write, name: &str, help: &str| -> io::Result<()> {
        writeln!(out, "# HELP rootless_doctor_{name} {help}")?;
        writeln!(out, "# TYPE rootless_doctor_{name} gauge")
    };
    metric(
        out,
        "check",
        "One series per check and user, always 1: the check's outcome is its status label (pass, info, warn, fail, skip, error).",
    )?;
    for r in runs {
        let user = labels(&r.user);
        for k in &r.checks {
            writeln!(
                out,
                "rootless_doctor_check{{{user},id=\"{}\",area=\"{}\",status=\"{}\"}} 1",
                label(k.id),
                label(k.area),
                k.status.as_str()
            )?;
        }
    }
    metric(
        out,
        "checks",
        "How many checks ended with each status, per user.",
    )?;
    for r in runs {
        let user = labels(&r.user);
        for status in Status::ALL {
            writeln!(
                out,
                "rootless_doctor_checks{{{user},status=\"{}\"}} {}",
                status.as_str(),
                r.count(status)
            )?;
        }
    }
    if fleet {
        fleet_aggregates(out, &labels(""), runs.get(1..).unwrap_or_default(), &metric)?;
    }
    metric(
        out,
        "healthy",
        "1 when no check failed or could not read what it needs (nor warned, with --strict): the run exited 0. With --all-users, per account: its checks and the host's pass.",
    )?;
    let host_worst = if fleet {
        runs.first().map(Run::worst)
    } else {
        None
    };
    let overall = runs.iter().map(Run::worst).max().unwrap_or(Status::Pass);
    for (i, r) in runs.iter().enumerate() {
        let worst = match host_worst {
            Some(_) if i == 0 => overall,
            Some(h) => r.worst().max(h),
            None => r.worst(),
        };
        writeln!(
            out,
            "rootless_doctor_healthy{{{}}} {}",
            labels(&r.user),
            u8::from(!failing(worst, strict))
        )?;
    }
    metric(
        out,
        "info",
        "Always 1: the doctor's version and the host it judged.",
    )?;
    // With the run's labels: one .prom file per user or command in a directory must not repeat a series.
    writeln!(
        out,
        "rootless_doctor_info{{{run},version=\"{}\",distro=\"{}\",kernel=\"{}\"}} 1",
        label(env!("CARGO_PKG_VERSION")),
        label(&facts.distro.distro.key),
        label(facts.kernel_release.as_deref().unwrap_or("unknown"))
    )?;
    metric(
        out,
        "last_run_timestamp_seconds",
        "When the run ended, in seconds since the Unix epoch.",
    )?;
    let now = facts
        .now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    writeln!(
        out,
        "rootless_doctor_last_run_timestamp_seconds{{{run}}} {}",
        now.as_secs()
    )?;
    metric(
        out,
        "run_duration_seconds",
        "How long the run took, in seconds.",
    )?;
    writeln!(
        out,
        "rootless_doctor_run_duration_seconds{{{run}}} {:.6}",
        facts.elapsed().as_secs_f64()
    )?;
    Ok(())
}

/// Counts of accounts by outcome: `--all-users`' JSON `accounts_summary` and Prometheus' `rootless_doctor_accounts`.
#[derive(Debug, Default, Clone, Copy, serde::Serialize, PartialEq, Eq)]
pub struct AccountCounts {
    pub ok: usize,
    pub warn: usize,
    pub fail: usize,
}

impl AccountCounts {
    /// An account whose worst status is `worst`; one that could not be judged (an error) is failing.
    pub fn add(&mut self, worst: Status) {
        match worst {
            Status::Pass | Status::Info | Status::Skip => self.ok += 1,
            Status::Warn => self.warn += 1,
            Status::Fail | Status::Error => self.fail += 1,
        }
    }
}

/// How many accounts each check ended with each status for ([`Status::ALL`]'s order), in the order the checks were
/// first counted.
#[derive(Debug, Default)]
pub struct PerCheck {
    counts: Vec<(&'static str, &'static str, [usize; Status::ALL.len()])>,
}

impl PerCheck {
    /// An account's `j`-th check. Every account's checks come in the same order, so the j-th is almost always the
    /// j-th counted; otherwise it is looked for, or added.
    pub fn add(&mut self, j: usize, id: &'static str, area: &'static str, status: Status) {
        let i = if self.counts.get(j).is_some_and(|(known, _, _)| *known == id) {
            j
        } else if let Some(i) = self.counts.iter().position(|(known, _, _)| *known == id) {
            i
        } else {
            self.counts.push((id, area, [0; Status::ALL.len()]));
            self.counts.len() - 1
        };
        if let Some(s) = Status::ALL.iter().position(|s| *s == status) {
            self.counts[i].2[s] += 1;
        }
    }

    /// Each check with its area and its counts, one per status of [`Status::ALL`].
    pub fn iter(
        &self,
    ) -> impl Iterator<Item = &(&'static str, &'static str, [usize; Status::ALL.len()])> {
        self.counts.iter()
    }
}

/// The count for `status` among counts in [`Status::ALL`]'s order.
pub fn count_of(counts: &[usize; Status::ALL.len()], status: Status) -> usize {
    Status::ALL
        .iter()
        .position(|s| *s == status)
        .map_or(0, |i| counts[i])
}

/// `--all-users`' counts over the accounts (`accounts`: every run but the host's), a few hundred series whatever the
/// number of accounts, for alerts and dashboards that need no series per account: how many accounts each per-account
/// check ended with each status for, and how many accounts came out ok, with warnings or failing (their own checks,
/// as JSON's `accounts_summary`; an account that could not be judged is failing).
fn fleet_aggregates(
    out: &mut dyn Write,
    run: &str,
    accounts: &[Run],
    metric: &dyn Fn(&mut dyn Write, &str, &str) -> io::Result<()>,
) -> io::Result<()> {
    let mut per_check = PerCheck::default();
    let mut outcomes = AccountCounts::default();
    for r in accounts {
        for (j, k) in r.checks.iter().enumerate() {
            per_check.add(j, k.id, k.area, k.status);
        }
        outcomes.add(r.worst());
    }
    metric(
        out,
        "check_accounts",
        "With --all-users: how many accounts each per-account check ended with each status for (the host's checks are rootless_doctor_check with user \"\").",
    )?;
    for (id, area, counts) in per_check.iter() {
        for (status, n) in Status::ALL.iter().zip(counts) {
            writeln!(
                out,
                "rootless_doctor_check_accounts{{{run},id=\"{}\",area=\"{}\",status=\"{}\"}} {n}",
                label(id),
                label(area),
                status.as_str()
            )?;
        }
    }
    metric(
        out,
        "accounts",
        "With --all-users: how many accounts came out ok, with warnings, or failing (a check failed or could not read what it needs, or the account could not be judged, which puts it in no rootless_doctor_check_accounts count), by their own checks.",
    )?;
    for (status, n) in [
        ("ok", outcomes.ok),
        ("warn", outcomes.warn),
        ("fail", outcomes.fail),
    ] {
        writeln!(
            out,
            "rootless_doctor_accounts{{{run},status=\"{status}\"}} {n}"
        )?;
    }
    Ok(())
}

/// JUnit XML: one test suite for the run, one test case per check (`classname` `rootless-doctor.AREA`, the check ID
/// as its name). A failing check is a `<failure>` (a check that could not read what it needs, an `<error>`) whose
/// message is the summary and whose text is the evidence, the fix and the reference; a skipped check is
/// `<skipped>`; a warning outside `--strict`, and a note, pass and say so in their `<system-out>`.
pub fn junit(
    out: &mut dyn Write,
    command: &str,
    facts: &Facts,
    findings: &[Finding],
    strict: bool,
) -> io::Result<()> {
    let mut run = Run::of(&facts.user.name, findings);
    run.uid = Some(facts.user.uid);
    let timestamp = junit_timestamp(facts);
    let mut report = quick_junit::Report::new("rootless-doctor");
    report.set_timestamp(timestamp);
    report.set_time(facts.elapsed());
    let mut suite = junit_suite(command, facts, &run, strict, timestamp);
    suite.set_time(facts.elapsed());
    report.add_test_suite(suite);
    report.serialize(&mut *out).map_err(io::Error::other)?;
    writeln!(out)
}

/// JUnit XML written a test suite at a time (`--all-users`: the host's part, then each account's as it is judged),
/// so a fleet's report is never held whole: quick-junit serializes a whole `Report`, whose root element carries the
/// totals first, and ten thousand accounts' suites built whole held 356 MB (`preflight`) and 617 MB (`check`). The
/// root element here names the run and its start and carries no totals (optional in the schema; CI systems count
/// the test cases); each suite carries its own.
pub struct JunitStream<'f> {
    command: &'f str,
    facts: &'f Facts<'f>,
    strict: bool,
    timestamp: chrono::DateTime<chrono::FixedOffset>,
}

impl<'f> JunitStream<'f> {
    /// Writes the declaration and the root's start tag.
    pub fn start(
        out: &mut dyn Write,
        command: &'f str,
        facts: &'f Facts<'f>,
        strict: bool,
    ) -> io::Result<JunitStream<'f>> {
        let timestamp = junit_timestamp(facts);
        writeln!(
            out,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"rootless-doctor\" timestamp=\"{}\">",
            // quick-junit's form, as the suites' own timestamps.
            timestamp.format("%Y-%m-%dT%H:%M:%S%.3f%:z")
        )?;
        Ok(JunitStream {
            command,
            facts,
            strict,
            timestamp,
        })
    }

    /// Writes `run`'s test suite: quick-junit writes it inside a report of its own, whose declaration and root
    /// element are left out.
    pub fn suite(&self, out: &mut dyn Write, run: &Run) -> io::Result<()> {
        let mut report = quick_junit::Report::new("rootless-doctor");
        report.add_test_suite(junit_suite(
            self.command,
            self.facts,
            run,
            self.strict,
            self.timestamp,
        ));
        let text = report.to_string().map_err(io::Error::other)?;
        out.write_all(suite_of_report(&text)?.as_bytes())
    }

    /// Closes the root element.
    pub fn finish(self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "</testsuites>")
    }
}

/// The test suite elements of a report quick-junit wrote (`<?xml …?>`, the `<testsuites …>` line, the suites, then
/// `</testsuites>`), each line as it wrote it, ending in a line feed.
fn suite_of_report(text: &str) -> io::Result<&str> {
    let unexpected = || io::Error::other("quick-junit wrote a report of an unexpected layout");
    let (decl, rest) = text.split_once('\n').ok_or_else(unexpected)?;
    let (root, rest) = rest.split_once('\n').ok_or_else(unexpected)?;
    let suites = rest
        .trim_end()
        .strip_suffix("</testsuites>")
        .ok_or_else(unexpected)?;
    if !decl.starts_with("<?xml ") || !root.starts_with("<testsuites ") || !root.ends_with('>') {
        return Err(unexpected());
    }
    Ok(suites)
}

fn junit_timestamp(facts: &Facts) -> chrono::DateTime<chrono::FixedOffset> {
    chrono::DateTime::<chrono::Utc>::from(facts.now()).fixed_offset()
}

/// One run's test suite (see [`junit`]).
fn junit_suite(
    command: &str,
    facts: &Facts,
    r: &Run,
    strict: bool,
    timestamp: chrono::DateTime<chrono::FixedOffset>,
) -> quick_junit::TestSuite {
    use quick_junit::{NonSuccessKind, Property, TestCase, TestCaseStatus, TestSuite};
    // The host's suite is named so no account (one called `host`) can share its name.
    let name = if r.user.is_empty() {
        format!("{command}, the host")
    } else {
        format!("{command} ({})", r.user)
    };
    let mut suite = TestSuite::new(xml(&name));
    suite.set_timestamp(timestamp);
    if !r.user.is_empty() {
        suite.add_property(Property::new("user", xml(&r.user)));
    }
    if let Some(uid) = r.uid {
        suite.add_property(Property::new("uid", uid.to_string()));
    }
    suite.add_properties([
        Property::new("distro", xml(&facts.distro.distro.key)),
        Property::new(
            "kernel",
            xml(facts.kernel_release.as_deref().unwrap_or("unknown")),
        ),
        Property::new("version", env!("CARGO_PKG_VERSION")),
    ]);
    if let Some(why) = &r.unjudged {
        let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
        s.set_message(xml(why)).set_type("error");
        let mut case = TestCase::new("account", s);
        case.set_classname("rootless-doctor.account");
        suite.add_test_case(case);
    }
    for k in &r.checks {
        let (summary, details) = match &k.text {
            Some((s, d)) => (xml(s), xml(d)),
            None => (String::new(), String::new()),
        };
        let status = match k.status {
            Status::Fail | Status::Error | Status::Warn if failing(k.status, strict) => {
                let kind = if k.status == Status::Error {
                    NonSuccessKind::Error
                } else {
                    NonSuccessKind::Failure
                };
                let mut s = TestCaseStatus::non_success(kind);
                s.set_message(summary.as_str())
                    .set_type(k.status.as_str())
                    .set_description(details.as_str());
                s
            }
            Status::Skip => {
                let mut s = TestCaseStatus::skipped();
                s.set_message(summary.as_str());
                s
            }
            _ => TestCaseStatus::success(),
        };
        let mut case = TestCase::new(k.id, status);
        case.set_classname(format!("rootless-doctor.{}", k.area));
        // A warning that does not fail the run, and a note, still reach the CI log; a pass says nothing more.
        if matches!(k.status, Status::Warn | Status::Info) && !failing(k.status, strict) {
            case.set_system_out(format!("{}: {summary}\n{details}", k.status.as_str()));
        }
        suite.add_test_case(case);
    }
    suite
}

/// A finding's evidence, fix and reference as plain lines.
fn details(f: &Finding) -> String {
    let mut text = String::new();
    for e in &f.evidence {
        let _ = writeln!(text, "{}: {}", e.source, e.detail);
    }
    if let Some(r) = &f.remediation {
        let _ = writeln!(text, "fix: {}", r.text);
        for step in &r.steps {
            let _ = writeln!(text, "  $ {}", step.render());
        }
    }
    let _ = writeln!(text, "reference: {}", f.reference);
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn fleet_aggregates_count_each_account_once_per_check_and_an_unjudged_one_as_failing() {
        use crate::model::Verdict;
        let finding =
            |id: &'static str, s: Status| Finding::new(id, "subid", "", Verdict::new(s, "s"));
        let accounts = [
            Run::statuses(
                "a",
                &[
                    finding("subid.entries", Status::Pass),
                    finding("subid.overlap", Status::Warn),
                ],
            ),
            // Another order than the first account's: still one count per check.
            Run::statuses(
                "b",
                &[
                    finding("subid.overlap", Status::Fail),
                    finding("subid.entries", Status::Pass),
                ],
            ),
            Run::unjudged("c", 1002, "credentials"),
        ];
        let metric = |out: &mut dyn Write, name: &str, help: &str| -> io::Result<()> {
            writeln!(out, "# HELP rootless_doctor_{name} {help}")?;
            writeln!(out, "# TYPE rootless_doctor_{name} gauge")
        };
        let mut out = Vec::new();
        fleet_aggregates(&mut out, "u=\"\"", &accounts, &metric).unwrap();
        let text = String::from_utf8(out).unwrap();
        let value = |series: &str| -> Option<&str> {
            text.lines()
                .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        };
        for (series, n) in [
            (
                r#"rootless_doctor_check_accounts{u="",id="subid.entries",area="subid",status="pass"}"#,
                "2",
            ),
            (
                r#"rootless_doctor_check_accounts{u="",id="subid.entries",area="subid",status="fail"}"#,
                "0",
            ),
            (
                r#"rootless_doctor_check_accounts{u="",id="subid.overlap",area="subid",status="warn"}"#,
                "1",
            ),
            (
                r#"rootless_doctor_check_accounts{u="",id="subid.overlap",area="subid",status="fail"}"#,
                "1",
            ),
            (r#"rootless_doctor_accounts{u="",status="ok"}"#, "0"),
            (r#"rootless_doctor_accounts{u="",status="warn"}"#, "1"),
            (r#"rootless_doctor_accounts{u="",status="fail"}"#, "2"),
        ] {
            assert_eq!(value(series), Some(n), "{series}\n{text}");
        }
        // Each check: one series per status, in the order the checks were first named.
        let ids: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("rootless_doctor_check_accounts{"))
            .filter_map(|l| l.split("id=\"").nth(1)?.split('"').next())
            .collect();
        assert_eq!(ids.len(), 2 * Status::ALL.len(), "{text}");
        assert!(
            ids[..Status::ALL.len()]
                .iter()
                .all(|i| *i == "subid.entries")
        );
    }

    #[test]
    fn regression_junit_over_every_account_was_built_whole_in_memory() {
        use crate::model::Verdict;
        // A fleet's report is written a suite at a time; its suites are the whole report's, byte for byte, and its
        // root element names the run and its start without totals.
        let facts = crate::checks::test_support::facts("debian-12");
        let finding = |id: &'static str, s: Status| {
            Finding::new(
                id,
                "subid",
                "https://example.org",
                Verdict::new(s, "s <&> \u{202e}"),
            )
        };
        let runs = [
            Run::of("", &[finding("subid.files", Status::Pass)]),
            Run::of(
                "alice",
                &[
                    finding("subid.entries", Status::Fail),
                    finding("subid.overlap", Status::Warn),
                    finding("subid.own_id", Status::Skip),
                ],
            ),
            Run::unjudged("bob", 1001, "credentials"),
        ];
        // The same suites in one report, as quick-junit writes a whole one.
        let mut report = quick_junit::Report::new("rootless-doctor");
        for r in &runs {
            report.add_test_suite(junit_suite(
                "preflight",
                &facts,
                r,
                false,
                junit_timestamp(&facts),
            ));
        }
        let whole = report.to_string().unwrap();
        let mut streamed = Vec::new();
        let junit = JunitStream::start(&mut streamed, "preflight", &facts, false).unwrap();
        let mut after_each = Vec::new();
        for r in &runs {
            junit.suite(&mut streamed, r).unwrap();
            after_each.push(streamed.len());
        }
        junit.finish(&mut streamed).unwrap();
        let streamed = String::from_utf8(streamed).unwrap();
        // Each suite was written when it was given.
        assert!(after_each.windows(2).all(|w| w[0] < w[1]), "{after_each:?}");
        let suites = |text: &str| -> String {
            text.lines()
                .skip(2)
                .filter(|l| *l != "</testsuites>" && !l.is_empty())
                .map(|l| format!("{l}\n"))
                .collect()
        };
        assert_eq!(suites(&streamed), suites(&whole));
        assert_eq!(suites(&streamed).matches("<testsuite ").count(), 3);
        let root = streamed.lines().nth(1).unwrap();
        assert!(
            root.starts_with(r#"<testsuites name="rootless-doctor" timestamp=""#)
                && !root.contains("tests="),
            "{root}"
        );
        assert!(streamed.ends_with("</testsuites>\n"), "{streamed}");
        assert!(suite_of_report("<?xml?>\n<testsuite>\n").is_err());
    }

    #[test]
    fn label_values_escape_what_the_format_demands() {
        // A line feed is a control, written visibly (`\n`, whose backslash the format escapes).
        assert_eq!(label("a\"b\\c\nd"), "a\\\"b\\\\\\\\c\\\\nd");
        assert_eq!(label("tëst"), "tëst");
    }

    /// The value a label holds: the format's escapes undone, then the visible form's.
    fn unlabel(l: &str) -> Option<String> {
        let mut visible = String::new();
        let mut chars = l.chars();
        while let Some(c) = chars.next() {
            match c {
                '"' | '\n' => return None,
                '\\' => match chars.next()? {
                    'n' => visible.push('\n'),
                    c @ ('\\' | '"') => visible.push(c),
                    _ => return None,
                },
                c => visible.push(c),
            }
        }
        let mut back = String::new();
        let mut chars = visible.chars();
        while let Some(c) = chars.next() {
            if c != '\\' {
                back.push(c);
                continue;
            }
            match chars.next()? {
                '\\' => back.push('\\'),
                'e' => back.push('\x1b'),
                'r' => back.push('\r'),
                'n' => back.push('\n'),
                't' => back.push('\t'),
                'x' => {
                    let hex: String = [chars.next()?, chars.next()?].iter().collect();
                    back.push(char::from(u8::from_str_radix(&hex, 16).ok()?));
                }
                'u' => {
                    if chars.next()? != '{' {
                        return None;
                    }
                    let hex: String = chars.by_ref().take_while(|&c| c != '}').collect();
                    back.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                }
                _ => return None,
            }
        }
        Some(back)
    }

    /// Regression (hostile-user audit): accounts named `esc2<ESC>` and `esc2\e` got the same user label, so the
    /// file held one series twice.
    #[test]
    fn regression_two_accounts_one_label() {
        assert_ne!(label("esc2\x1b"), label("esc2\\e"));
        assert_eq!(unlabel(&label("esc2\x1b")).as_deref(), Some("esc2\x1b"));
        assert_eq!(unlabel(&label("esc2\\e")).as_deref(), Some("esc2\\e"));
    }

    /// Regression (hostile-user review): a user's daemon.json reached the JUnit report with U+202E (which reverses
    /// the rest of a line where it is shown) and the 8-bit CSI as they were.
    #[test]
    fn regression_bidi_overrides_and_c1_controls_reached_the_junit_report() {
        assert_eq!(
            xml("a\u{202e}b\u{9b}c\u{7f}d\te"),
            "a\u{fffd}b\u{fffd}c\u{fffd}d\te"
        );
    }

    proptest! {
        #[test]
        fn xml_text_holds_only_characters_xml_allows(text in any::<String>()) {
            let out = xml(&text);
            prop_assert_eq!(out.chars().count(), text.chars().count());
            for c in out.chars() {
                let allowed = matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..);
                prop_assert!(allowed, "{:?} in {:?}", c, out);
                // Regression (hostile-user review): a user's daemon.json reached the JUnit report with U+202E and the
                // 8-bit CSI as they were.
                prop_assert!(
                    matches!(c, '\t' | '\n' | '\r') || !crate::model::is_terminal_control(c),
                    "{:?} in {:?}", c, out
                );
            }
        }

        /// Every label gives its value back, so no two values share one.
        #[test]
        fn a_label_gives_its_value_back(value in any::<String>()) {
            let l = label(&value);
            prop_assert!(!l.chars().any(crate::model::is_terminal_control), "{:?}", l);
            prop_assert_eq!(unlabel(&l), Some(value));
        }
    }
}
