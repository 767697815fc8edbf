//! `rootless-doctor fix`: the plan made of the findings' typed steps, and its three renderings (human, a
//! POSIX shell script, JSON). The plan is what `fix --apply` carries out, step for step: the renderings and the
//! apply read the same `Step`s (their `Action`s), so what the dry run shows is what `--apply` does.
//!
//! A plan holds the steps of every finding that is not a pass, in check order, grouped into the root part
//! (run first: packages, system files) and the user part; a step that several findings share (one
//! `systemctl daemon-reload`) appears once, at its first place. A remediation marked `by_hand` (alternatives,
//! a new login, an interactive shell) is shown and never applied.

use std::io::{self, Write};

use serde::Serialize;

use crate::model::{Action, Finding, Status, Step, escape_controls, shell_quote};

/// One finding's part of the plan.
#[derive(Debug, Clone, Serialize)]
pub struct Item {
    pub check: &'static str,
    pub status: Status,
    pub summary: String,
    pub steps: Vec<Step>,
}

/// A remediation the person carries out.
#[derive(Debug, Clone, Serialize)]
pub struct ByHand {
    pub check: &'static str,
    pub status: Status,
    pub summary: String,
    pub reason: &'static str,
    pub text: String,
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Plan {
    pub root: Vec<Item>,
    pub user: Vec<Item>,
    pub by_hand: Vec<ByHand>,
    /// Findings with no command to run (a fix in words only).
    pub in_words: Vec<ByHand>,
}

impl Plan {
    /// The plan for these findings (already selected and in check order).
    pub fn of(findings: &[Finding]) -> Plan {
        let mut plan = Plan::default();
        let mut seen: Vec<&Step> = Vec::new();
        for f in findings {
            if matches!(f.status, Status::Pass | Status::Skip) {
                continue;
            }
            let Some(r) = &f.remediation else { continue };
            let entry = || ByHand {
                check: f.id,
                status: f.status,
                summary: f.summary.clone(),
                reason: r.by_hand.unwrap_or("no command can do it"),
                text: r.text.clone(),
                steps: r.steps.clone(),
            };
            if r.steps.is_empty() {
                plan.in_words.push(entry());
                continue;
            }
            if r.by_hand.is_some() {
                plan.by_hand.push(entry());
                continue;
            }
            for root in [true, false] {
                let steps: Vec<Step> = r
                    .steps
                    .iter()
                    .filter(|s| s.root == root && !seen.contains(s))
                    .cloned()
                    .collect();
                seen.extend(r.steps.iter().filter(|s| s.root == root));
                if steps.is_empty() {
                    continue;
                }
                let item = Item {
                    check: f.id,
                    status: f.status,
                    summary: f.summary.clone(),
                    steps,
                };
                if root {
                    plan.root.push(item);
                } else {
                    plan.user.push(item);
                }
            }
        }
        plan
    }

    pub fn is_empty(&self) -> bool {
        self.root.is_empty() && self.user.is_empty()
    }

    /// The checks whose steps the plan applies.
    pub fn checks(&self) -> Vec<&'static str> {
        let mut ids: Vec<&'static str> = Vec::new();
        for i in self.root.iter().chain(&self.user) {
            if !ids.contains(&i.check) {
                ids.push(i.check);
            }
        }
        ids
    }
}

/// Who the plan is for, for the headings.
pub struct Heading<'a> {
    pub user: &'a str,
    pub distro: &'a str,
}

/// The dry run for a person.
pub fn human(out: &mut dyn Write, plan: &Plan, h: &Heading) -> io::Result<()> {
    let user = escape_controls(h.user);
    writeln!(
        out,
        "rootless-doctor fix: the plan for {user} on {} (a dry run: nothing was changed; `fix --apply` does this)",
        escape_controls(h.distro)
    )?;
    if plan.is_empty() && plan.by_hand.is_empty() && plan.in_words.is_empty() {
        writeln!(out, "\nNothing to fix.")?;
        return Ok(());
    }
    let part = |out: &mut dyn Write, title: &str, items: &[Item]| -> io::Result<()> {
        if items.is_empty() {
            return Ok(());
        }
        writeln!(out, "\n{title}")?;
        for i in items {
            writeln!(out, "  {}  {}", i.check, escape_controls(&i.summary))?;
            for s in &i.steps {
                for line in s.describe().lines() {
                    writeln!(out, "      {line}")?;
                }
            }
        }
        Ok(())
    };
    part(out, "As root:", &plan.root)?;
    part(out, &format!("As {user}:"), &plan.user)?;
    if !plan.by_hand.is_empty() {
        writeln!(out, "\nLeft to you (shown, never applied):")?;
        for b in &plan.by_hand {
            writeln!(
                out,
                "  {}  {} ({})",
                b.check,
                escape_controls(&b.summary),
                b.reason
            )?;
            writeln!(out, "      {}", escape_controls(&b.text))?;
            for s in &b.steps {
                for line in s.describe().lines() {
                    writeln!(out, "      {line}")?;
                }
            }
        }
    }
    if !plan.in_words.is_empty() {
        writeln!(out, "\nFixes in words (no command can do them):")?;
        for b in &plan.in_words {
            writeln!(out, "  {}  {}", b.check, escape_controls(&b.summary))?;
            writeln!(out, "      {}", escape_controls(&b.text))?;
        }
    }
    Ok(())
}

/// A step as a line of the script, without `sudo` (the root part runs under one). An appended line is only
/// appended when missing, so the script, too, can run twice.
fn script_line(s: &Step) -> String {
    let plain = Step {
        root: false,
        ..s.clone()
    };
    match &s.action {
        Action::AppendLine { path, line } => format!(
            "grep -qxF -- {l} {p} 2>/dev/null || {rest}",
            l = shell_quote(line),
            p = shell_quote(path),
            rest = plain.render()
        ),
        // `-m` is meant for the last directory only, which is what shellcheck warns about.
        Action::MakeDir { mode, .. } if *mode != 0o755 => {
            format!("# shellcheck disable=SC2174\n{}", plain.render())
        }
        _ => plain.render(),
    }
}

/// A reviewable POSIX shell script: the root part under one `sudo`, then the user part.
pub fn script(out: &mut dyn Write, plan: &Plan, h: &Heading) -> io::Result<()> {
    writeln!(out, "#!/bin/sh")?;
    writeln!(
        out,
        "# rootless-doctor fix: the plan for {} on {}, as a script to review and run.",
        escape_controls(h.user),
        escape_controls(h.distro)
    )?;
    writeln!(out, "set -eu")?;
    if plan.is_empty() {
        writeln!(out, "# Nothing to apply.")?;
    }
    if !plan.root.is_empty() {
        let body: Vec<String> = plan
            .root
            .iter()
            .flat_map(|i| {
                std::iter::once(format!("# {}: {}", i.check, one_line(&i.summary)))
                    .chain(i.steps.iter().map(script_line))
            })
            .collect();
        let text = body.join("\n");
        let mut marker = "ROOT_PART".to_owned();
        while text.lines().any(|l| l == marker) {
            marker.push('_');
        }
        writeln!(out, "\n# The root part, under one sudo.")?;
        writeln!(out, "sudo sh -eu <<'{marker}'")?;
        writeln!(out, "{text}")?;
        writeln!(out, "{marker}")?;
    }
    if !plan.user.is_empty() {
        writeln!(out, "\n# The user part, as {}.", one_line(h.user))?;
        for i in &plan.user {
            writeln!(out, "# {}: {}", i.check, one_line(&i.summary))?;
            for s in &i.steps {
                writeln!(out, "{}", script_line(s))?;
            }
        }
    }
    for b in plan.by_hand.iter().chain(&plan.in_words) {
        writeln!(
            out,
            "\n# Left to you: {} ({}): {}",
            b.check,
            b.reason,
            one_line(&b.text)
        )?;
        for s in &b.steps {
            for line in s.render().lines() {
                writeln!(out, "#   {line}")?;
            }
        }
    }
    Ok(())
}

/// A comment line: one line, controls escaped.
fn one_line(text: &str) -> String {
    escape_controls(text).replace(['\n', '\r'], " ")
}

#[derive(Serialize)]
struct Doc<'a> {
    schema_version: u32,
    command: &'static str,
    user: &'a str,
    distro: &'a str,
    #[serde(flatten)]
    plan: &'a Plan,
}

pub fn json(out: &mut dyn Write, plan: &Plan, h: &Heading) -> io::Result<()> {
    let doc = Doc {
        schema_version: 1,
        command: "fix",
        user: h.user,
        distro: h.distro,
        plan,
    };
    serde_json::to_writer_pretty(&mut *out, &doc).map_err(io::Error::other)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Remediation, Verdict};

    fn finding(id: &'static str, status: Status, r: Remediation) -> Finding {
        Finding::new(id, "a", "ref", Verdict::new(status, "s").fix(r))
    }

    #[test]
    fn a_step_two_findings_share_is_planned_once_and_root_steps_come_first() {
        let reload = Step::root(["systemctl", "daemon-reload"]);
        let f = vec![
            finding(
                "a.one",
                Status::Fail,
                Remediation::text("t")
                    .step(Step::write_file(true, "/etc/a.conf", "x\n"))
                    .step(reload.clone())
                    .step(Step::user(["systemctl", "--user", "restart", "docker"])),
            ),
            finding(
                "a.two",
                Status::Warn,
                Remediation::text("t").step(reload.clone()),
            ),
            finding(
                "a.three",
                Status::Pass,
                Remediation::text("t").step(Step::root(["true"])),
            ),
            finding(
                "a.four",
                Status::Fail,
                Remediation::text("t")
                    .step(Step::root(["systemctl", "enable", "docker"]))
                    .by_hand("choose one"),
            ),
        ];
        let plan = Plan::of(&f);
        assert_eq!(plan.root.len(), 1);
        assert_eq!(plan.root[0].steps.len(), 2);
        assert_eq!(plan.user.len(), 1);
        assert_eq!(plan.by_hand.len(), 1);
        assert_eq!(plan.checks(), ["a.one"]);
        let mut text = Vec::new();
        script(
            &mut text,
            &plan,
            &Heading {
                user: "alice",
                distro: "Debian 12",
            },
        )
        .unwrap();
        let text = String::from_utf8(text).unwrap();
        assert!(
            text.contains(
                "sudo sh -eu <<'ROOT_PART'\n# a.one: s\necho x | tee /etc/a.conf >/dev/null\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("\n#   sudo systemctl enable docker\n"),
            "{text}"
        );
    }

    #[test]
    fn an_appended_line_is_appended_only_when_missing_in_the_script() {
        let s = Step::append_line(true, "/etc/lxc/lxc-usernet", "alice veth lxcbr0 10");
        assert_eq!(
            script_line(&s),
            "grep -qxF -- 'alice veth lxcbr0 10' /etc/lxc/lxc-usernet 2>/dev/null || echo 'alice veth lxcbr0 10' | tee -a /etc/lxc/lxc-usernet >/dev/null"
        );
    }
}
