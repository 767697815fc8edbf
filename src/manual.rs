//! Manual pages and shell completions, generated from the clap definitions (`cli.rs`): `rootless-doctor man` and
//! `rootless-doctor completion SHELL` print them, and `cargo xtask dist` puts them into the packages.
//!
//! One page per command, named as git names its own: `rootless-doctor(1)` for the command, `rootless-doctor-preflight(1)`
//! for a subcommand, `rootless-doctor-net-bench(1)` for `net bench`. Hidden commands get none.

use std::io::Write;

use clap::CommandFactory;

use crate::cli::{Cli, CompletionShell};

/// The command tree as clap completes it for rendering: global options propagated, display names
/// (`rootless-doctor-preflight`) and binary names (`rootless-doctor preflight`) set, and no `help` subcommand.
fn built() -> clap::Command {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    cmd
}

/// Every page: the command, then each visible subcommand depth first, by display name.
fn pages() -> Vec<clap::Command> {
    fn walk(cmd: &clap::Command, into: &mut Vec<clap::Command>) {
        into.push(cmd.clone());
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            walk(sub, into);
        }
    }
    let mut all = Vec::new();
    walk(&built(), &mut all);
    all
}

fn display_name(cmd: &clap::Command) -> &str {
    cmd.get_display_name().unwrap_or_else(|| cmd.get_name())
}

/// The page names `man` takes, one per line: `rootless-doctor`, `rootless-doctor-preflight`, …
pub fn list(out: &mut dyn Write) -> std::io::Result<()> {
    for page in pages() {
        writeln!(out, "{}", display_name(&page))?;
    }
    Ok(())
}

/// Writes the page for `name` (a page name as `list` prints it, or a subcommand's words joined by `-`, as in
/// `preflight` or `net-bench`) in roff; `None` when no page has that name.
pub fn page(name: Option<&str>, out: &mut dyn Write) -> Option<std::io::Result<()>> {
    let wanted = match name {
        None => crate::cli::NAME.to_owned(),
        Some(n) if n == crate::cli::NAME || n.starts_with(&format!("{}-", crate::cli::NAME)) => {
            n.to_owned()
        }
        Some(n) => format!("{}-{n}", crate::cli::NAME),
    };
    let cmd = pages().into_iter().find(|p| display_name(p) == wanted)?;
    let man = clap_mangen::Man::new(cmd)
        .manual("rootless-doctor manual")
        .source(format!("rootless-doctor {}", env!("CARGO_PKG_VERSION")));
    Some(man.render(out))
}

/// clap_complete's bash script, for a program whose name has a hyphen, spells a subcommand's state one way where it
/// is set (`rootless__doctor__subcmd__preflight`) and another in the arms that complete it
/// (`rootless__subcmd__doctor__subcmd__preflight`), so nothing after a subcommand ever completes
/// (https://github.com/clap-rs/clap/issues/6421, open in clap_complete 4.6.12). The arms are respelled as the loop
/// spells them.
const BASH_ARM_AS_GENERATED: &str = "rootless__subcmd__doctor";
const BASH_ARM_AS_SET: &str = "rootless__doctor";

/// Writes the completion script for `shell`.
pub fn completion(shell: CompletionShell, out: &mut dyn Write) -> std::io::Result<()> {
    let shell = match shell {
        CompletionShell::Bash => clap_complete::Shell::Bash,
        CompletionShell::Zsh => clap_complete::Shell::Zsh,
        CompletionShell::Fish => clap_complete::Shell::Fish,
    };
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), crate::cli::NAME, &mut script);
    if shell == clap_complete::Shell::Bash {
        let text = String::from_utf8_lossy(&script).replace(BASH_ARM_AS_GENERATED, BASH_ARM_AS_SET);
        return out.write_all(text.as_bytes());
    }
    out.write_all(&script)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page_text(name: Option<&str>) -> String {
        let mut out = Vec::new();
        page(name, &mut out).expect("a page").expect("rendered");
        String::from_utf8(out).expect("UTF-8")
    }

    #[test]
    fn every_visible_command_has_a_page_and_hidden_ones_none() {
        let mut out = Vec::new();
        list(&mut out).unwrap();
        let names = String::from_utf8(out).unwrap();
        let names: Vec<&str> = names.lines().collect();
        for want in [
            "rootless-doctor",
            "rootless-doctor-preflight",
            "rootless-doctor-check",
            "rootless-doctor-fix",
            "rootless-doctor-net",
            "rootless-doctor-net-bench",
            "rootless-doctor-why",
            "rootless-doctor-explain",
            "rootless-doctor-completion",
        ] {
            assert!(names.contains(&want), "{want} not in {names:?}");
        }
        assert!(
            !names.iter().any(|n| n.contains("net-bench-child")),
            "{names:?}"
        );
        assert!(!names.iter().any(|n| n.ends_with("-help")), "{names:?}");
    }

    #[test]
    fn a_subcommand_page_names_itself_and_carries_the_global_options() {
        let text = page_text(Some("preflight"));
        assert!(text.contains(".TH rootless-doctor-preflight 1"), "{text}");
        assert!(text.contains("rootless\\-doctor\\-preflight"), "{text}");
        // Global options are propagated to every page (--all-users is a global flag).
        assert!(text.contains("all\\-users"), "{text}");
        assert!(text.contains("\\-\\-probe"), "{text}");
        assert_eq!(page_text(Some("rootless-doctor-preflight")), text);
    }

    #[test]
    fn the_main_page_lists_the_subcommand_pages() {
        let text = page_text(None);
        assert!(text.contains(".TH rootless-doctor 1"), "{text}");
        assert!(text.contains("rootless\\-doctor\\-why(1)"), "{text}");
    }

    #[test]
    fn an_unknown_page_is_none() {
        assert!(page(Some("nonesuch"), &mut Vec::new()).is_none());
        assert!(page(Some("__net-bench-child"), &mut Vec::new()).is_none());
    }

    #[test]
    fn regression_clap_6421_bash_completes_after_a_subcommand_of_a_hyphenated_program() {
        let mut out = Vec::new();
        completion(CompletionShell::Bash, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(!text.contains(BASH_ARM_AS_GENERATED));
        // The state the loop sets is the one an arm completes.
        assert!(text.contains(r#"cmd="rootless__doctor__subcmd__preflight""#));
        assert!(text.contains("        rootless__doctor__subcmd__preflight)"));
    }

    #[test]
    fn no_completion_offers_the_hidden_bench_child() {
        for shell in [
            CompletionShell::Bash,
            CompletionShell::Zsh,
            CompletionShell::Fish,
        ] {
            let mut out = Vec::new();
            completion(shell, &mut out).unwrap();
            assert!(
                !String::from_utf8(out).unwrap().contains("bench-child"),
                "{shell:?}"
            );
        }
    }

    #[test]
    fn each_completion_script_offers_the_subcommands() {
        for (shell, marker) in [
            (CompletionShell::Bash, "complete -F _rootless__doctor"),
            (CompletionShell::Zsh, "#compdef rootless-doctor"),
            (CompletionShell::Fish, "complete -c rootless-doctor"),
        ] {
            let mut out = Vec::new();
            completion(shell, &mut out).unwrap();
            let text = String::from_utf8(out).unwrap();
            assert!(text.contains(marker), "{shell:?}: {marker} missing");
            assert!(text.contains("explain"), "{shell:?}");
            assert!(text.contains("preflight"), "{shell:?}");
        }
    }
}
