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

use crate::model::{
    Action, Finding, Status, Step, escape_controls, here_document, is_terminal_control, shell_quote,
};

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
            if matches!(f.status, Status::Pass | Status::Info | Status::Skip) {
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
    /// The user's uid: the script runs as that user (its root part through sudo), and says so when it is not.
    pub uid: u32,
    pub distro: &'a str,
    /// The user's home: below it, a shell's root `chown`/`chmod` would follow a link the user can plant.
    pub home: &'a str,
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
/// appended when missing, and a directory made for someone only when missing, so the script, too, can run
/// twice. In the root part a command without input of its own reads /dev/null: it would otherwise read the
/// rest of the here-document that holds the root part.
fn script_line(s: &Step, in_root_part: bool, h: &Heading) -> String {
    // dash (Debian's and Ubuntu's sh) has no `$'…'`: a word or input with a control character has no faithful
    // POSIX rendering here.
    // A tab is the one control character a script carries as it is (in a here-document or a quoted word).
    let odd_char = |c: char| c != '\t' && is_terminal_control(c);
    let odd = s.argv.iter().any(|w| w.chars().any(odd_char))
        || s.stdin
            .as_deref()
            .is_some_and(|t| t.chars().any(|c| c != '\n' && odd_char(c)));
    if odd {
        return format!(
            "# Left to `rootless-doctor fix --apply`: it holds a control character, which a POSIX sh cannot quote:\n#   {}",
            one_line(&script_command(s))
        );
    }
    if in_root_part && let Some(path) = in_the_users_home(s, h) {
        // `fix --apply` walks such a path as the user and changes the inode it reached; a shell cannot.
        return format!(
            "# Left to `sudo rootless-doctor fix --apply --user {user}`: below {home}, {user} can replace {path} (or a \
directory on its way) with a link before this runs, and root's command would follow it:\n#   {cmd}",
            user = one_line(h.user),
            home = one_line(h.home),
            path = one_line(path),
            cmd = one_line(&script_command(s)),
        );
    }
    let line = script_command(s);
    if in_root_part && s.stdin.is_none() {
        format!("{line} </dev/null")
    } else {
        line
    }
}

/// The path of a root `chown` or `chmod` below the user's home.
fn in_the_users_home<'a>(s: &'a Step, h: &Heading) -> Option<&'a str> {
    let path = match &s.action {
        Action::SetOwner { path, .. } | Action::SetMode { path, .. } if s.root => path.as_str(),
        _ => return None,
    };
    let home = h.home.trim_end_matches('/');
    (!home.is_empty() && path.starts_with(&format!("{home}/"))).then_some(path)
}

/// A word for the script: as [`shell_quote`], but a tab stays a tab inside single quotes.
fn script_quote(word: &str) -> String {
    if word.contains('\t') {
        format!("'{}'", word.replace('\'', r"'\''"))
    } else {
        shell_quote(word)
    }
}

/// The step's command for the script: its input, tabs included, as a here-document.
fn script_render(s: &Step) -> String {
    let tabs = s.argv.iter().any(|w| w.contains('\t'))
        || s.stdin.as_deref().is_some_and(|t| t.contains('\t'));
    if !tabs {
        return s.render();
    }
    let words: Vec<String> = s.argv.iter().map(|a| script_quote(a)).collect();
    let mut line = words.join(" ");
    if s.argv.first().is_some_and(|a| a == "tee") {
        line.push_str(" >/dev/null");
    }
    match s.stdin.as_deref() {
        Some(stdin) => here_document(&line, stdin),
        None => line,
    }
}

fn script_command(s: &Step) -> String {
    let plain = Step {
        root: false,
        ..s.clone()
    };
    let rendered = script_render(&plain);
    match &s.action {
        // `install -d` would also change the owner and mode of a directory that is already there.
        Action::MakeDir {
            path,
            owner: Some(_),
            ..
        } => format!(
            "[ -d {p} ] || {rest}",
            p = script_quote(path),
            rest = rendered
        ),
        Action::AppendLine { path, line } => format!(
            "grep -qxF -- {l} {p} 2>/dev/null || {rest}",
            l = script_quote(line),
            p = script_quote(path),
            rest = rendered
        ),
        // `-m` is meant for the last directory only, which is what shellcheck warns about.
        Action::MakeDir { mode, .. } if *mode != 0o755 => {
            format!("# shellcheck disable=SC2174\n{}", rendered)
        }
        _ => rendered,
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
    if !plan.is_empty() {
        // Run by anyone else (root, say), the user part would act in the user's files with that one's rights.
        writeln!(
            out,
            "[ \"$(id -u)\" = {uid} ] || {{ echo {msg} >&2; exit 1; }}",
            uid = h.uid,
            msg = shell_quote(&format!(
                "this plan is {}'s (uid {}): run it as that user (its root part goes through sudo)",
                one_line(h.user),
                h.uid
            ))
        )?;
    }
    if plan.is_empty() {
        writeln!(out, "# Nothing to apply.")?;
    }
    if !plan.root.is_empty() {
        let body: Vec<String> = plan
            .root
            .iter()
            .flat_map(|i| {
                std::iter::once(format!("# {}: {}", i.check, one_line(&i.summary)))
                    .chain(i.steps.iter().map(|s| script_line(s, true, h)))
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
                writeln!(out, "{}", script_line(s, false, h))?;
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
        script(&mut text, &plan, &HEADING).unwrap();
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
            script_line(&s, true, &HEADING),
            "grep -qxF -- 'alice veth lxcbr0 10' /etc/lxc/lxc-usernet 2>/dev/null || echo 'alice veth lxcbr0 10' | tee -a /etc/lxc/lxc-usernet >/dev/null"
        );
    }

    /// Audit: a root step that reads its input would have read the rest of the root part's here-document.
    #[test]
    fn regression_a_root_step_could_read_the_rest_of_the_root_part() {
        let s = Step::root(["usermod", "--add-subuids", "100000-165535", "alice"]);
        assert_eq!(
            script_line(&s, true, &HEADING),
            "usermod --add-subuids 100000-165535 alice </dev/null"
        );
        assert_eq!(
            script_line(&s, false, &HEADING),
            "usermod --add-subuids 100000-165535 alice"
        );
    }

    const HEADING: Heading<'static> = Heading {
        user: "alice",
        uid: 1000,
        distro: "Debian 12",
        home: "/home/alice",
    };

    /// Audit: the script's root part gave back what `sudo docker` left in the user's home with a plain `chown`,
    /// which follows a link the user can put in the file's place before the script runs (/etc/shadow, theirs).
    #[test]
    fn regression_the_scripts_root_chown_below_the_users_home_followed_their_links() {
        let s = Step::set_owner("/home/alice/.docker/config.json", "alice:1000");
        let line = script_line(&s, true, &HEADING);
        assert!(line.lines().all(|l| l.starts_with('#')), "{line}");
        assert!(
            line.contains("Left to `sudo rootless-doctor fix --apply --user alice`")
                && line.contains("#   chown alice:1000 /home/alice/.docker/config.json"),
            "{line}"
        );
        let s = Step::set_mode(true, "/home/alice/.docker", 0o700);
        assert!(script_line(&s, true, &HEADING).starts_with("# Left to"));
        // Outside the home, and the user's own steps, stay commands.
        let s = Step::set_owner("/etc/subuid", "root:root");
        assert_eq!(
            script_line(&s, true, &HEADING),
            "chown root:root /etc/subuid </dev/null"
        );
        let s = Step::set_mode(false, "/home/alice/.docker", 0o700);
        assert_eq!(
            script_line(&s, false, &HEADING),
            "chmod 0700 /home/alice/.docker"
        );
    }

    /// Audit: the script's user part ran with the rights of whoever ran the script; run by root, it wrote as root
    /// in the user's files, where the user can put links.
    #[test]
    fn regression_the_scripts_user_part_ran_as_whoever_ran_it() {
        let f = vec![finding(
            "a.one",
            Status::Warn,
            Remediation::text("t").step(Step::write_file(false, "/home/alice/x", "y\n")),
        )];
        let plan = Plan::of(&f);
        let mut text = Vec::new();
        script(&mut text, &plan, &HEADING).unwrap();
        let text = String::from_utf8(text).unwrap();
        let guard = "[ \"$(id -u)\" = 1000 ] || { echo 'this plan is alice'\\''s (uid 1000): run it as that user (its root part goes through sudo)' >&2; exit 1; }";
        assert!(text.contains(guard), "{text}");
        // The guard comes before any step.
        assert!(text.find(guard) < text.find("tee /home/alice/x"), "{text}");
    }

    /// Audit: a word with a control character was quoted as `$'…'`, which dash (Debian's sh) prints as it is.
    #[test]
    fn regression_the_script_quoted_control_characters_the_way_dash_cannot_read() {
        let s = Step::remove(true, "/etc/odd\x1b[2Jname");
        let line = script_line(&s, true, &HEADING);
        assert_eq!(
            line,
            "# Left to `rootless-doctor fix --apply`: it holds a control character, which a POSIX sh cannot quote:\n#   rm -- $'/etc/odd\\e[2Jname'"
        );
        assert!(!line.contains('\x1b'));
        let s = Step::write_file(true, "/etc/a.conf", "bell\x07\n");
        assert!(script_line(&s, true, &HEADING).starts_with("# Left to"));
        // A tab in a word is quoted plainly, as dash reads it.
        let s = Step::remove(true, "/etc/a\tb");
        assert_eq!(
            script_line(&s, true, &HEADING),
            "rm -- '/etc/a\tb' </dev/null"
        );
        // A tab is carried as it is: /etc/hosts has them.
        let s = Step::write_file(true, "/etc/hosts", "127.0.0.1\tlocalhost\n");
        assert_eq!(
            script_line(&s, true, &HEADING),
            "tee /etc/hosts >/dev/null <<'EOF'\n127.0.0.1\tlocalhost\nEOF"
        );
    }

    #[test]
    fn a_directory_made_for_someone_is_made_only_when_missing_in_the_script() {
        let s = Step::make_dir_for("/run/user/1004", 0o700, "alice:1004");
        assert_eq!(
            script_line(&s, true, &HEADING),
            "[ -d /run/user/1004 ] || install -d -m 0700 -o alice -g 1004 /run/user/1004 </dev/null"
        );
    }
}
