//! Rendering findings: human text (grouped by area, glyphs, colour only on a terminal) and JSON.
//!
//! **Architecture Invariant:** this module and `main.rs` are the only places that write to stdout;
//! everything else returns data. Writers are passed in, so tests render into buffers.

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};
use serde::Serialize;

use crate::checks::Check;
use crate::facts::client::{Daemon, Target};
use crate::facts::{Facts, TargetUser};
use crate::model::{Finding, Status};

/// `schema_version` of the JSON document; bumped only on incompatible changes.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HumanOptions {
    /// Show evidence for passing and skipped checks too.
    pub verbose: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, Default)]
pub struct Summary {
    pub pass: usize,
    pub info: usize,
    pub warn: usize,
    pub fail: usize,
    pub skip: usize,
    pub error: usize,
}

impl Summary {
    pub fn of(findings: &[Finding]) -> Summary {
        let mut s = Summary::default();
        for f in findings {
            match f.status {
                Status::Pass => s.pass += 1,
                Status::Info => s.info += 1,
                Status::Warn => s.warn += 1,
                Status::Fail => s.fail += 1,
                Status::Skip => s.skip += 1,
                Status::Error => s.error += 1,
            }
        }
        s
    }
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

impl Tool {
    /// This program, as every JSON document names it.
    const THIS: Tool = Tool {
        name: env!("CARGO_PKG_NAME"),
        version: env!("CARGO_PKG_VERSION"),
    };
}

#[derive(Serialize)]
struct DistroFacts {
    id: String,
    version_id: Option<String>,
    pretty_name: String,
    data: String,
    known: bool,
    /// The `ID_LIKE` family whose data a derivative gets (`ubuntu` for Linux Mint), when its own `ID` has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    follows: Option<String>,
}

/// The `ID_LIKE` entry whose data the host gets when its own `ID` is not in the data (a derivative), else `None`.
fn follows(facts: &Facts) -> Option<String> {
    let id = facts
        .distro
        .matched_id
        .as_ref()
        .filter(|_| facts.distro.known)?;
    let (_, os) = facts.os_release().ok()?;
    (os.id() != id.as_str()).then(|| id.clone())
}

#[derive(Serialize)]
struct HostFacts<'a> {
    root: String,
    distro: DistroFacts,
    kernel: Option<String>,
    user: &'a TargetUser,
    systemd: bool,
}

#[derive(Serialize)]
struct Document<'a> {
    schema_version: u32,
    tool: Tool,
    command: &'a str,
    host: HostFacts<'a>,
    /// The daemon `check` judged, and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    target: Option<&'a Target>,
    findings: &'a [Finding],
    summary: Summary,
}

fn host_facts<'a>(facts: &'a Facts) -> HostFacts<'a> {
    let (id, version_id, pretty) = match facts.os_release().ok() {
        Some((_, os)) => (
            os.id().to_owned(),
            os.version_id().map(str::to_owned),
            os.pretty_name().to_owned(),
        ),
        None => ("linux".to_owned(), None, "Linux".to_owned()),
    };
    HostFacts {
        root: facts.root_display(),
        distro: DistroFacts {
            id,
            version_id,
            pretty_name: pretty,
            data: facts.distro.distro.key.clone(),
            known: facts.distro.known,
            follows: follows(facts),
        },
        kernel: facts.kernel_release.clone(),
        user: &facts.user,
        systemd: facts.systemd,
    }
}

pub fn json(
    out: &mut dyn Write,
    command: &str,
    facts: &Facts,
    findings: &[Finding],
) -> io::Result<()> {
    let doc = Document {
        schema_version: SCHEMA_VERSION,
        tool: Tool::THIS,
        command,
        host: host_facts(facts),
        target: judged(command, facts),
        findings,
        summary: Summary::of(findings),
    };
    serde_json::to_writer_pretty(&mut *out, &doc).map_err(io::Error::other)?;
    writeln!(out)
}

pub(crate) fn glyph(status: Status) -> (&'static str, Style) {
    match status {
        Status::Pass => ("✓", AnsiColor::Green.on_default()),
        Status::Info => ("i", AnsiColor::Blue.on_default()),
        Status::Warn => ("!", AnsiColor::Yellow.on_default().bold()),
        Status::Fail => ("✗", AnsiColor::Red.on_default().bold()),
        Status::Skip => ("-", Style::new().dimmed()),
        Status::Error => ("?", AnsiColor::Magenta.on_default().bold()),
    }
}

/// Human output. `out` decides about colour (an `anstream::AutoStream` strips it off a terminal and under NO_COLOR).
///
/// Every host-derived string goes through `esc` on its way out: a file (an os-release, a context name, a
/// path) must not move the cursor, hide a line or write the reader's clipboard. The only escape sequences in
/// the output are the SGR colour codes this module writes itself.
pub fn human(
    out: &mut dyn Write,
    command: &str,
    facts: &Facts,
    findings: &[Finding],
    opts: HumanOptions,
) -> io::Result<()> {
    let host = host_facts(facts);
    let header = Header {
        command,
        pretty_name: &host.distro.pretty_name,
        kernel: host.kernel.as_deref().unwrap_or("unknown"),
        who: Who::User {
            name: &facts.user.name,
            uid: facts.user.uid,
            source: match facts.user.source {
                crate::facts::UserSource::Invoking => "",
                crate::facts::UserSource::Sudo => ", from SUDO_USER",
                crate::facts::UserSource::Flag => ", from --user",
            },
        },
        root: &host.root,
        follows: host.distro.follows.as_deref(),
        data: &host.distro.data,
    };
    write_header(out, &header)?;
    if let Some(t) = judged(command, facts) {
        let what = match t.daemon {
            Daemon::Rootless => "rootless mode",
            Daemon::Rootful => "the rootful daemon",
        };
        writeln!(out, "judging {what}: {}", esc(&t.why))?;
    }
    write_findings(out, findings, opts)
}

/// `--all-users`, human: the header, the host's checks with their evidence and fixes, and the heading of the
/// accounts' lines that follow (one per account, written by `fleet`).
pub fn fleet_host(
    out: &mut dyn Write,
    command: &str,
    facts: &Facts,
    findings: &[Finding],
    accounts: &crate::facts::accounts::Accounts,
    opts: HumanOptions,
) -> io::Result<()> {
    let host = host_facts(facts);
    let bold = Style::new().bold();
    let dim = Style::new().dimmed();
    write_header(
        out,
        &Header {
            command,
            pretty_name: &host.distro.pretty_name,
            kernel: host.kernel.as_deref().unwrap_or("unknown"),
            who: Who::Accounts(accounts.list.len()),
            root: &host.root,
            follows: host.distro.follows.as_deref(),
            data: &host.distro.data,
        },
    )?;
    writeln!(
        out,
        "\n{bold}host{bold:#} {dim}(the same for every account){dim:#}"
    )?;
    write_finding_lines(out, findings, opts)?;
    let why = match &accounts.unreadable {
        Some(e) => format!("none: {e}"),
        None => format!(
            "uid {}-{} with a login shell ({}), or a line in /etc/subuid or /etc/subgid",
            accounts.uid_min, accounts.uid_max, accounts.range_source
        ),
    };
    writeln!(out, "\n{bold}accounts{bold:#} {dim}({}){dim:#}", esc(&why))
}

/// `--all-users`, JSON: the document's opening up to its host findings, without the closing brace; `fleet`
/// appends the accounts as it judges them.
pub fn fleet_json_head(
    command: &str,
    facts: &Facts,
    findings: &[Finding],
    summary: Summary,
) -> io::Result<String> {
    #[derive(Serialize)]
    struct Head<'a> {
        schema_version: u32,
        tool: Tool,
        command: &'a str,
        all_users: bool,
        host: FleetHost,
        findings: &'a [Finding],
        summary: Summary,
    }
    #[derive(Serialize)]
    struct FleetHost {
        root: String,
        distro: DistroFacts,
        kernel: Option<String>,
        systemd: bool,
    }
    let h = host_facts(facts);
    let head = Head {
        schema_version: SCHEMA_VERSION,
        tool: Tool::THIS,
        command,
        all_users: true,
        host: FleetHost {
            root: h.root,
            distro: h.distro,
            kernel: h.kernel,
            systemd: h.systemd,
        },
        findings,
        summary,
    };
    let mut text = serde_json::to_string_pretty(&head).map_err(io::Error::other)?;
    // Reopen the object: the accounts follow.
    if text.ends_with('}') {
        text.pop();
        while text.ends_with('\n') {
            text.pop();
        }
    }
    Ok(text)
}

/// What `why` found: the pasted text, the known errors it matches, the checks that explain them as they ran here
/// (most likely first), and of those the ones that fail, err or warn here.
pub struct WhyAnswer<'a> {
    pub text: &'a str,
    pub known: &'a [&'static crate::parse::known_errors::KnownError],
    pub findings: &'a [&'a Finding],
    pub causes: &'a [&'a str],
    /// The causes among `causes` whose check passes, with what in its finding matches the error.
    pub confirmed: &'a [(&'a str, String)],
    /// The checks that would explain it and this run did not judge, each with why (`--skip`, the rootful target).
    pub not_judged: &'a [(&'a str, String)],
}

/// `why`, human: the error's known meanings with their sources, each explaining check as it ran here with its
/// evidence and fix, and the answer.
pub fn why_human(
    out: &mut dyn Write,
    facts: Option<&Facts>,
    a: &WhyAnswer,
    opts: HumanOptions,
) -> io::Result<()> {
    let bold = Style::new().bold();
    let dim = Style::new().dimmed();
    let first = a
        .text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    // The line the known error is on, else the first.
    let first = crate::parse::known_errors::matched_line(a.text, a.known).unwrap_or(first);
    let shown: String = first.chars().take(200).collect();
    let more = if shown.len() < first.len() { "…" } else { "" };
    writeln!(
        out,
        "{bold}rootless-doctor why{bold:#}: {}{more}",
        esc(&shown)
    )?;
    if a.known.is_empty() {
        writeln!(
            out,
            "\nThis is not in the doctor's table of known errors (`rootless-doctor why` knows {} messages of RootlessKit, newuidmap, \
dockerd-rootless.sh, dockerd, docker, systemctl --user and the kernel log). `rootless-doctor check` judges everything; \
`rootless-doctor capture --out DIR` records this host for a bug report.",
            crate::parse::known_errors::TABLE.len()
        )?;
        return Ok(());
    }
    writeln!(
        out,
        "\n{bold}known error{}{bold:#}",
        if a.known.len() == 1 { "" } else { "s" }
    )?;
    for k in a.known {
        writeln!(out, "  {}", esc(k.meaning))?;
        let cut = crate::parse::known_errors::only_cut_short(a.text, k);
        writeln!(
            out,
            "      {dim}matches{}: {}{dim:#}",
            if cut {
                " (the line was cut short; the whole message reads)"
            } else {
                ""
            },
            esc(&k.needles.join(" … "))
        )?;
        writeln!(out, "      {dim}source: {}{dim:#}", esc(k.source))?;
    }
    if let Some(f) = facts {
        writeln!(
            out,
            "\n{bold}on this host{bold:#} {dim}(user {} (uid {}), the checks that explain it){dim:#}",
            esc(&f.user.name),
            f.user.uid
        )?;
    }
    let owned: Vec<Finding> = a.findings.iter().map(|f| (*f).clone()).collect();
    write_finding_lines(out, &owned, opts)?;
    writeln!(out)?;
    match a.causes.first() {
        Some(id) => {
            let others = &a.causes[1..];
            let also = if others.is_empty() {
                String::new()
            } else {
                format!(" (also: {})", others.join(", "))
            };
            writeln!(
                out,
                "{bold}here: {id}{also}{bold:#}; `rootless-doctor explain {id}` says more, `rootless-doctor fix {id}` plans the fix."
            )?;
            for (id, why) in a.confirmed {
                writeln!(out, "  {id} passes, and still explains it: {}", esc(why))?;
            }
        }
        None if !a.not_judged.is_empty() => writeln!(
            out,
            "{bold}not judged{bold:#}: {}{}.",
            a.not_judged
                .iter()
                .map(|(id, why)| format!("{id} ({why})"))
                .collect::<Vec<_>>()
                .join(", "),
            if a.findings
                .iter()
                .any(|f| !a.not_judged.iter().any(|(id, _)| *id == f.id))
            {
                "; none of the others fails here"
            } else {
                ""
            }
        )?,
        None => writeln!(
            out,
            "{bold}none of them fails here{bold:#}: the error came from another user or host, from a state that has passed (a daemon restarted since), or from a cause the doctor does not know yet; `rootless-doctor capture` records this host for a report."
        )?,
    }
    Ok(())
}

/// `why`, JSON: the error, the known errors it matches, the findings of the checks that explain it, and the causes.
pub fn why_json(out: &mut dyn Write, facts: Option<&Facts>, a: &WhyAnswer) -> io::Result<()> {
    #[derive(Serialize)]
    struct Known<'a> {
        needles: &'a [&'a str],
        /// The error matched only on a line cut short (see `known_errors::explain`).
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        cut_short: bool,
        meaning: &'a str,
        checks: &'a [&'a str],
        source: &'a str,
    }
    #[derive(Serialize)]
    struct Doc<'a> {
        schema_version: u32,
        tool: Tool,
        command: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        host: Option<HostFacts<'a>>,
        error: &'a str,
        known: Vec<Known<'a>>,
        findings: &'a [&'a Finding],
        causes: &'a [&'a str],
        /// The causes whose check passes, with what in its finding matches the error.
        confirmed: Vec<NotJudged<'a>>,
        not_judged: Vec<NotJudged<'a>>,
    }
    #[derive(Serialize)]
    struct NotJudged<'a> {
        id: &'a str,
        why: &'a str,
    }
    let doc = Doc {
        schema_version: SCHEMA_VERSION,
        tool: Tool::THIS,
        command: "why",
        host: facts.map(host_facts),
        error: a.text,
        known: a
            .known
            .iter()
            .map(|k| Known {
                needles: k.needles,
                cut_short: crate::parse::known_errors::only_cut_short(a.text, k),
                meaning: k.meaning,
                checks: k.checks,
                source: k.source,
            })
            .collect(),
        findings: a.findings,
        causes: a.causes,
        confirmed: a
            .confirmed
            .iter()
            .map(|(id, why)| NotJudged { id, why })
            .collect(),
        not_judged: a
            .not_judged
            .iter()
            .map(|(id, why)| NotJudged { id, why })
            .collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &doc).map_err(io::Error::other)?;
    writeln!(out)
}

/// The daemon a report names: `check`'s choice (`--target`, or what the client targets); `preflight` always judges
/// rootless mode and says nothing.
fn judged<'a>(command: &str, facts: &'a Facts) -> Option<&'a Target> {
    (command == "check").then(|| facts.target())
}

/// `text` with terminal control characters written visibly (see [`crate::model::escape_controls`]).
pub(crate) fn esc(text: &str) -> std::borrow::Cow<'_, str> {
    crate::model::escape_controls(text)
}

/// What the first line of the human report says about the host.
struct Header<'a> {
    command: &'a str,
    pretty_name: &'a str,
    kernel: &'a str,
    who: Who<'a>,
    root: &'a str,
    /// A derivative's `ID_LIKE` family, whose data (`data`) it gets.
    follows: Option<&'a str>,
    data: &'a str,
}

/// Whom a report judges.
enum Who<'a> {
    /// One user, and why this one (`""`, `, from SUDO_USER`, `, from --user`).
    User {
        name: &'a str,
        uid: u32,
        source: &'static str,
    },
    /// `--all-users`: this many accounts.
    Accounts(usize),
}

fn write_header(out: &mut dyn Write, h: &Header) -> io::Result<()> {
    let bold = Style::new().bold();
    let root = if h.root == "/" {
        String::new()
    } else {
        format!(", root {}", esc(h.root))
    };
    let who = match h.who {
        Who::User { name, uid, source } => format!("user {} (uid {uid}){source}", esc(name)),
        Who::Accounts(n) => format!("every account ({n})"),
    };
    writeln!(
        out,
        "{bold}rootless-doctor {}{bold:#}: {}, kernel {}, {who}{root}",
        esc(h.command),
        esc(h.pretty_name),
        esc(h.kernel),
    )?;
    if let Some(family) = h.follows {
        let dim = Style::new().dimmed();
        writeln!(
            out,
            "{dim}{} is not in the doctor's data; its os-release follows {} (ID_LIKE), whose data it uses: distros/{}.toml{dim:#}",
            esc(h.pretty_name),
            esc(family),
            esc(h.data)
        )?;
    }
    Ok(())
}

fn write_findings(out: &mut dyn Write, findings: &[Finding], opts: HumanOptions) -> io::Result<()> {
    write_finding_lines(out, findings, opts)?;
    write_totals(out, findings)
}

fn write_finding_lines(
    out: &mut dyn Write,
    findings: &[Finding],
    opts: HumanOptions,
) -> io::Result<()> {
    let dim = Style::new().dimmed();
    let bold = Style::new().bold();
    let width = findings.iter().map(|f| f.id.len()).max().unwrap_or(0);
    let mut area = "";
    for f in findings {
        if f.area != area {
            area = f.area;
            writeln!(out, "\n{bold}{}{bold:#}", esc(area))?;
        }
        let (g, style) = glyph(f.status);
        writeln!(
            out,
            "  {style}{g}{style:#} {:width$}  {}",
            esc(f.id),
            esc(&f.summary)
        )?;
        // A rootless-mode note for a rootful user (info) shows its evidence and fix with --verbose only.
        let detailed =
            opts.verbose || !matches!(f.status, Status::Pass | Status::Info | Status::Skip);
        if detailed {
            for e in &f.evidence {
                writeln!(
                    out,
                    "      {dim}{}: {}{dim:#}",
                    esc(&e.source),
                    esc(&e.detail)
                )?;
            }
        }
        if let Some(r) = &f.remediation
            && (!matches!(f.status, Status::Pass | Status::Info | Status::Skip)
                || (opts.verbose && f.status == Status::Info))
        {
            writeln!(out, "      fix: {}", esc(&r.text))?;
            for step in &r.steps {
                write_step(out, step)?;
            }
        }
    }
    Ok(())
}

fn write_totals(out: &mut dyn Write, findings: &[Finding]) -> io::Result<()> {
    let bold = Style::new().bold();
    let dim = Style::new().dimmed();
    let s = Summary::of(findings);
    let notes = if s.info > 0 {
        format!(", {} rootless-mode notes", s.info)
    } else {
        String::new()
    };
    writeln!(
        out,
        "\n{bold}{} passed, {} warnings, {} failed, {} skipped, {} errors{notes}{bold:#}",
        s.pass, s.warn, s.fail, s.skip, s.error
    )?;
    if s.fail + s.error > 0 {
        writeln!(
            out,
            "{dim}`rootless-doctor explain ID` tells what a check looks at and how to fix it.{dim:#}"
        )?;
    }
    Ok(())
}

/// One remediation command: `$ command`, indented; a here-document's body and terminator start at the left
/// margin, so the whole block pastes into a shell as it is (an indented `EOF` would never end it).
/// Its newlines are the only control characters let through, and only between lines.
fn write_step(out: &mut dyn Write, step: &crate::model::Step) -> io::Result<()> {
    let rendered = step.render();
    let mut lines = rendered.split('\n');
    if let Some(first) = lines.next() {
        writeln!(out, "        $ {}", esc(first))?;
    }
    for line in lines {
        writeln!(out, "{}", esc(line))?;
    }
    Ok(())
}

pub fn list(out: &mut dyn Write, checks: &[&Check], json: bool) -> io::Result<()> {
    if json {
        #[derive(Serialize)]
        struct Row<'a> {
            id: &'a str,
            area: &'a str,
            title: &'a str,
        }
        let rows: Vec<Row> = checks
            .iter()
            .map(|c| Row {
                id: c.id,
                area: c.area,
                title: c.title,
            })
            .collect();
        serde_json::to_writer_pretty(&mut *out, &rows).map_err(io::Error::other)?;
        return writeln!(out);
    }
    let width = checks.iter().map(|c| c.id.len()).max().unwrap_or(0);
    let area_width = checks.iter().map(|c| c.area.len()).max().unwrap_or(0);
    for c in checks {
        writeln!(out, "{:width$}  {:area_width$}  {}", c.id, c.area, c.title)?;
    }
    Ok(())
}

/// `explain ID`: the long text, the packages per distribution, and (when the host can be read) what this host says.
pub fn explain(
    out: &mut dyn Write,
    check: &Check,
    here: Option<(&Facts, &Finding)>,
) -> io::Result<()> {
    let bold = Style::new().bold();
    writeln!(out, "{bold}{}{bold:#} ({})", check.id, check.area)?;
    writeln!(out, "{}\n", check.title)?;
    writeln!(out, "{}\n", check.explain)?;
    writeln!(out, "Reference: {}", check.reference)?;
    if !check.packages.is_empty() {
        writeln!(out, "\nPackages, per distribution:")?;
        for d in crate::distro::all() {
            let names: Vec<&str> = check.packages.iter().map(|p| d.package(p)).collect();
            let cmd = match d.install_step(check.packages) {
                Some(step) => step.render(),
                None => format!("install {}", names.join(" ")),
            };
            writeln!(out, "  {:22} {cmd}", d.key)?;
        }
    }
    if !check.removes.is_empty() {
        writeln!(
            out,
            "\nPackages to remove, where the distribution has them:"
        )?;
        for d in crate::distro::all() {
            let names: Vec<&str> = check
                .removes
                .iter()
                .filter(|p| d.packages.contains_key(**p))
                .map(|p| d.package(p))
                .collect();
            if let Some(step) = d.remove_step(&names) {
                writeln!(out, "  {:22} {}", d.key, step.render())?;
            }
        }
    }
    if check.scope == crate::checks::Scope::Probe {
        writeln!(
            out,
            "\nOn this host: not tried by `explain`, which launches nothing; `rootless-doctor check {}` (or `preflight \
--probe`) runs it.",
            check.area
        )?;
    }
    if let Some((facts, finding)) = here {
        let (g, style) = glyph(finding.status);
        writeln!(
            out,
            "\nOn this host ({}, user {}):\n  {style}{g}{style:#} {}",
            esc(&facts.distro.distro.name),
            esc(&facts.user.name),
            esc(&finding.summary)
        )?;
        for e in &finding.evidence {
            writeln!(out, "      {}: {}", esc(&e.source), esc(&e.detail))?;
        }
        if let Some(r) = &finding.remediation {
            writeln!(out, "      fix: {}", esc(&r.text))?;
            for step in &r.steps {
                write_step(out, step)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Evidence, Remediation, Step, escape_controls, is_terminal_control};
    use proptest::prelude::*;

    /// The renderer's own colour codes: `ESC [ digits/semicolons m` (SGR).
    fn without_sgr(text: &str) -> Result<String, String> {
        let mut out = String::new();
        let mut rest = text;
        while let Some(i) = rest.find('\x1b') {
            out.push_str(&rest[..i]);
            let after = &rest[i + 1..];
            let params = after.strip_prefix('[').map(|p| {
                p.find(|c: char| !(c.is_ascii_digit() || c == ';'))
                    .unwrap_or(p.len())
            });
            match params {
                Some(n) if after[1 + n..].starts_with('m') => rest = &after[n + 2..],
                _ => return Err(format!("an escape that is not SGR: {:?}", &rest[i..])),
            }
        }
        out.push_str(rest);
        Ok(out)
    }

    /// Renders a header and one finding built from host-controlled strings, with colour or without.
    fn render(host: &[String; 4], finding: &Finding, colour: bool) -> String {
        let mut buf = Vec::new();
        {
            let mut plain;
            let mut raw;
            let out: &mut dyn Write = if colour {
                raw = &mut buf;
                &mut raw
            } else {
                plain = anstream::AutoStream::never(&mut buf);
                &mut plain
            };
            let header = Header {
                command: "preflight",
                pretty_name: &host[0],
                kernel: &host[1],
                who: Who::User {
                    name: &host[2],
                    uid: 1000,
                    source: "",
                },
                root: &host[3],
                // A derivative's line repeats host-derived strings too.
                follows: Some(&host[0]),
                data: &host[1],
            };
            write_header(out, &header).unwrap();
            write_findings(
                out,
                std::slice::from_ref(finding),
                HumanOptions { verbose: true },
            )
            .unwrap();
        }
        String::from_utf8(buf).unwrap()
    }

    fn finding(
        status: Status,
        summary: &str,
        source: &str,
        detail: &str,
        word: &str,
        stdin: &str,
    ) -> Finding {
        let v = Verdict {
            status,
            summary: summary.to_owned(),
            evidence: vec![Evidence {
                source: source.to_owned(),
                detail: detail.to_owned(),
            }],
            remediation: Some(Box::new(
                Remediation::text(summary)
                    .step(Step::user(["echo", word]))
                    .step(Step::root(["tee", word]).with_stdin(stdin))
                    .step(Step::root(["tee", "/etc/x"]).with_stdin(format!("{stdin}\nline\n"))),
            )),
            explained_by: Box::default(),
        };
        Finding::new("client.endpoint", "client", "ref", v)
    }

    use crate::model::Verdict;

    /// Whatever a host string holds, the only control characters out are newlines and the renderer's SGR codes.
    fn assert_clean(text: &str) {
        let text = without_sgr(text).unwrap();
        let bad: Vec<char> = text
            .chars()
            .filter(|c| *c != '\n' && is_terminal_control(*c))
            .collect();
        assert!(bad.is_empty(), "control characters {bad:?} in {text:?}");
    }

    #[test]
    fn regression_terminal_injection_context_name() {
        // A context name that erases the line above and clears the screen, then an OSC 52 clipboard write.
        let context = "rootless\x1b[1A\x1b[2K\x1b]52;c;ZWNobyBwd25lZA==\x07\r";
        let f = finding(
            Status::Fail,
            &format!("the docker CLI is set to use context {context:?}"),
            &format!("/home/alice/.docker/contexts/{context}/meta.json"),
            context,
            context,
            context,
        );
        let host = [
            "Debian\x1b[8m\u{202e}".to_owned(),
            "6.1\r".to_owned(),
            "al\x1bice".to_owned(),
            "/mnt/\u{9b}2J".to_owned(),
        ];
        for colour in [true, false] {
            let text = render(&host, &f, colour);
            assert_clean(&text);
            assert!(
                text.contains(r"rootless\e[1A\e[2K\e]52;c;ZWNobyBwd25lZA==\x07\r"),
                "{text}"
            );
            assert!(
                text.contains(r"Debian\e[8m\u{202e}, kernel 6.1\r, user al\eice"),
                "{text}"
            );
            assert!(text.contains(r"root /mnt/\u{9b}2J"), "{text}");
        }
    }

    #[test]
    fn regression_terminal_injection_escapes_are_visible() {
        assert_eq!(escape_controls("plain ✓ text"), "plain ✓ text");
        assert_eq!(
            escape_controls("a\x1b[31mb\rc\x07d\x7fe\u{85}f\u{202e}g\u{2069}\th\ni\0"),
            r"a\e[31mb\rc\x07d\x7fe\u{85}f\u{202e}g\u{2069}\th\ni\x00"
        );
    }

    /// Text with printable characters, every kind of control character, and whole escape sequences.
    const HOSTILE: &str = "(\\PC|[\\x00-\\x1f\\x7f\\u{80}-\\u{9f}\\u{202a}-\\u{202e}\\u{2066}-\\u{2069}]|\\x1b\\[[0-9;]{0,4}[mAJK]|\\x1b\\]52;c;[a-z]{0,4}\\x07){0,24}";

    proptest! {
        #[test]
        fn human_output_carries_no_host_control_characters(
            strings in prop::collection::vec(HOSTILE, 9),
            status in prop::sample::select(Status::ALL.to_vec()),
        ) {
            let f = finding(status, &strings[0], &strings[1], &strings[2], &strings[3], &strings[4]);
            let host = [strings[5].clone(), strings[6].clone(), strings[7].clone(), strings[8].clone()];
            for colour in [true, false] {
                let text = render(&host, &f, colour);
                let plain = without_sgr(&text).map_err(TestCaseError::fail)?;
                prop_assert!(
                    !plain.chars().any(|c| c != '\n' && is_terminal_control(c)),
                    "control character in {:?}", plain
                );
                if !colour {
                    prop_assert!(!text.contains('\x1b'));
                }
            }
        }

        #[test]
        fn control_characters_survive_only_as_escapes(
            text in "[a-z\x00-\x1f\x7f\u{80}-\u{9f}\u{202a}-\u{202e}\u{2066}-\u{2069} ✓]{0,40}"
        ) {
            let shown = escape_controls(&text);
            prop_assert!(!shown.chars().any(is_terminal_control));
            if !text.chars().any(is_terminal_control) {
                prop_assert_eq!(shown.as_ref(), text.as_str());
            }
        }
    }
}
