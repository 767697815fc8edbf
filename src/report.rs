//! Rendering findings: human text (grouped by area, glyphs, colour only on a terminal) and JSON.
//!
//! **Architecture Invariant:** this module and `main.rs` are the only places that write to stdout;
//! everything else returns data. Writers are passed in, so tests render into buffers.

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};
use serde::Serialize;

use crate::checks::Check;
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

#[derive(Serialize)]
struct DistroFacts {
    id: String,
    version_id: Option<String>,
    pretty_name: String,
    data: String,
    known: bool,
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
    findings: &'a [Finding],
    summary: Summary,
}

fn host_facts<'a>(facts: &'a Facts) -> HostFacts<'a> {
    let (id, version_id, pretty) = match facts.os_release.ok() {
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
        tool: Tool {
            name: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
        },
        command,
        host: host_facts(facts),
        findings,
        summary: Summary::of(findings),
    };
    serde_json::to_writer_pretty(&mut *out, &doc).map_err(io::Error::other)?;
    writeln!(out)
}

fn glyph(status: Status) -> (&'static str, Style) {
    match status {
        Status::Pass => ("✓", AnsiColor::Green.on_default()),
        Status::Warn => ("!", AnsiColor::Yellow.on_default().bold()),
        Status::Fail => ("✗", AnsiColor::Red.on_default().bold()),
        Status::Skip => ("-", Style::new().dimmed()),
        Status::Error => ("?", AnsiColor::Magenta.on_default().bold()),
    }
}

/// Human output. `out` decides about colour (an `anstream::AutoStream` strips it off a terminal and under NO_COLOR).
pub fn human(
    out: &mut dyn Write,
    command: &str,
    facts: &Facts,
    findings: &[Finding],
    opts: HumanOptions,
) -> io::Result<()> {
    let bold = Style::new().bold();
    let dim = Style::new().dimmed();
    let host = host_facts(facts);
    let root = if host.root == "/" {
        String::new()
    } else {
        format!(", root {}", host.root)
    };
    writeln!(
        out,
        "{bold}rootless-doctor {command}{bold:#}: {}, kernel {}, user {} (uid {}){}{root}",
        host.distro.pretty_name,
        host.kernel.as_deref().unwrap_or("unknown"),
        facts.user.name,
        facts.user.uid,
        match facts.user.source {
            crate::facts::UserSource::Invoking => "",
            crate::facts::UserSource::Sudo => ", from SUDO_USER",
            crate::facts::UserSource::Flag => ", from --user",
        },
    )?;
    let width = findings.iter().map(|f| f.id.len()).max().unwrap_or(0);
    let mut area = "";
    for f in findings {
        if f.area != area {
            area = f.area;
            writeln!(out, "\n{bold}{area}{bold:#}")?;
        }
        let (g, style) = glyph(f.status);
        writeln!(out, "  {style}{g}{style:#} {:width$}  {}", f.id, f.summary)?;
        let detailed = opts.verbose || !matches!(f.status, Status::Pass | Status::Skip);
        if detailed {
            for e in &f.evidence {
                writeln!(out, "      {dim}{}: {}{dim:#}", e.source, e.detail)?;
            }
        }
        if let Some(r) = &f.remediation
            && !matches!(f.status, Status::Pass | Status::Skip)
        {
            writeln!(out, "      fix: {}", r.text)?;
            for step in &r.steps {
                write_step(out, step)?;
            }
        }
    }
    let s = Summary::of(findings);
    writeln!(
        out,
        "\n{bold}{} passed, {} warnings, {} failed, {} skipped, {} errors{bold:#}",
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
fn write_step(out: &mut dyn Write, step: &crate::model::Step) -> io::Result<()> {
    let rendered = step.render();
    let mut lines = rendered.lines();
    if let Some(first) = lines.next() {
        writeln!(out, "        $ {first}")?;
    }
    for line in lines {
        writeln!(out, "{line}")?;
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
    if let Some((facts, finding)) = here {
        let (g, style) = glyph(finding.status);
        writeln!(
            out,
            "\nOn this host ({}, user {}):\n  {style}{g}{style:#} {}",
            facts.distro.distro.name, facts.user.name, finding.summary
        )?;
        for e in &finding.evidence {
            writeln!(out, "      {}: {}", e.source, e.detail)?;
        }
        if let Some(r) = &finding.remediation {
            writeln!(out, "      fix: {}", r.text)?;
            for step in &r.steps {
                write_step(out, step)?;
            }
        }
    }
    Ok(())
}
