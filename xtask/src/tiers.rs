//! Runs the test tiers in order and reports each as ran, skipped (with the reason) or failed.
//!
//! A tier that cannot run on this machine (live, vm and bench without root; fuzz without nightly or cargo-fuzz) is a
//! skip on a developer's machine and a failure in CI (`CI` set), so a CI machine that lost root or a toolchain
//! goes red instead of staying green with less tested.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use xshell::{Shell, cmd};

use crate::flags::Tier;
use crate::{bench, dist, fuzz, live_env, setup, vm};

/// Whether this runs in CI: `CI` is set to anything but empty, `false` or `0`.
pub fn in_ci(sh: &Shell) -> bool {
    sh.var("CI")
        .is_ok_and(|v| !matches!(v.as_str(), "" | "false" | "0"))
}

/// What a tier that cannot run here becomes: skipped, with the reason; in CI, failed, saying why.
pub fn unavailable(reason: String, in_ci: bool) -> Outcome {
    if in_ci {
        Outcome::Failed(
            Duration::ZERO,
            format!("not run, and CI is set, where no tier may be skipped: {reason}"),
        )
    } else {
        Outcome::Skipped(reason)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Ran(Duration),
    Skipped(String),
    Failed(Duration, String),
    /// An earlier tier failed, so this one was not started.
    NotRun,
}

/// Whether `setup` runs before `tier`. The vm tier installs its own tools (vm::ensure_tools) and needs no test users
/// on this host. The fixtures tier needs no root, but its tests run shellcheck, xmllint and promtool: as root, setup
/// installs them first on a fresh machine (without root, a test that lacks one fails and names `cargo xtask setup`).
fn wants_setup(tier: Tier, is_root: bool) -> bool {
    tier != Tier::Vm && (tier.needs_root() || (tier == Tier::Fixtures && is_root))
}

/// Runs `tiers` (already in canonical order) and prints the summary.
/// Returns whether no tier failed.
pub fn run(sh: &Shell, tiers: &[Tier]) -> Result<bool> {
    let is_root = setup::is_root(sh)?;
    let in_ci = in_ci(sh);
    let mut setup_done = false;
    let mut outcomes: Vec<(Tier, Outcome)> = Vec::new();
    let mut failed = false;
    // The live tier packages the doctor (cargo-deb, cargo-generate-rpm); when the fuzz tier runs first, the tools
    // are built beside its runs, which keep one core busy and leave the other idle.
    let mut tool_install: Option<dist::ToolInstall> = None;

    for &tier in tiers {
        if failed {
            outcomes.push((tier, Outcome::NotRun));
            continue;
        }
        // The fuzz tier needs nightly and cargo-fuzz (installed here when missing).
        let cannot_run = if tier.needs_root() && !is_root {
            Some(setup::NOT_ROOT_REASON.to_string())
        } else if tier == Tier::Fuzz {
            fuzz::ensure_tools(sh).err()
        } else {
            None
        };
        if let Some(reason) = cannot_run {
            let outcome = unavailable(reason, in_ci);
            match &outcome {
                Outcome::Failed(_, why) => {
                    eprintln!("xtask: tier {} failed: {why}", tier.name());
                    failed = true;
                }
                Outcome::Skipped(why) => {
                    println!("\n==> tier {}: skipped: {why} (CI fails here)", tier.name())
                }
                _ => unreachable!("unavailable() skips or fails"),
            }
            outcomes.push((tier, outcome));
            continue;
        }
        if tier == Tier::Fuzz && tiers.contains(&Tier::Live) && is_root {
            match dist::ToolInstall::start(sh) {
                Ok(started) => tool_install = started,
                Err(err) => println!("dist: {err:#} (the live tier installs them instead)"),
            }
        }
        println!("\n==> tier {}: {}", tier.name(), describe(tier));
        let start = Instant::now();
        let result = (|| {
            if wants_setup(tier, is_root) && !setup_done {
                setup::run(sh)?;
                setup_done = true;
            }
            run_tier(sh, tier, &mut tool_install)
        })();
        let elapsed = start.elapsed();
        match result {
            Ok(()) => outcomes.push((tier, Outcome::Ran(elapsed))),
            Err(err) => {
                let reason = format!("{err:#}");
                eprintln!("xtask: tier {} failed: {reason}", tier.name());
                outcomes.push((tier, Outcome::Failed(elapsed, reason)));
                failed = true;
            }
        }
    }

    print!("\n{}", render_summary(&outcomes));
    Ok(!failed)
}

fn describe(tier: Tier) -> &'static str {
    match tier {
        Tier::Lint => "cargo fmt --check, cargo clippy -D warnings, cargo package",
        Tier::Unit => "cargo test --workspace --lib --bins",
        Tier::Fixtures => "cargo test --test fixtures --test cli --test net",
        Tier::Fuzz => "every fuzz target in fuzz/ for a few seconds (cargo +nightly fuzz)",
        Tier::Live => "the release binary as real test users, against real rootless daemons",
        Tier::Vm => {
            "Debian 12 and 13 VMs (QEMU/TCG, systemd as PID 1): the release binary as a user logged in over ssh"
        }
        Tier::Bench => "hyperfine: preflight vs dockerd-rootless-setuptool.sh check",
    }
}

fn run_tier(sh: &Shell, tier: Tier, tool_install: &mut Option<dist::ToolInstall>) -> Result<()> {
    match tier {
        Tier::Lint => {
            cmd!(sh, "cargo fmt --all --check").run()?;
            // fuzz/ is a workspace of its own (it builds on nightly only); rustfmt needs no build.
            cmd!(sh, "cargo fmt --manifest-path fuzz/Cargo.toml --check").run()?;
            cmd!(sh, "cargo clippy --workspace --all-targets -- -D warnings").run()?;
            credential_calls_only_in_creds(sh)?;
            // The source package: its file list (Cargo.toml's `include`) must hold only names cargo accepts, and
            // everything the build reads, which cargo proves by building the unpacked package (`--allow-dirty`:
            // the tiers' own runs may leave the work tree changed).
            cmd!(sh, "cargo package --allow-dirty -p rootless-doctor").run()?;
        }
        Tier::Unit => {
            // `--bins` includes this crate's own unit tests.
            cmd!(sh, "cargo test --workspace --lib --bins").run()?;
        }
        Tier::Fixtures => {
            cmd!(sh, "cargo test --test fixtures --test cli --test net").run()?;
        }
        Tier::Fuzz => fuzz::run(sh, &fuzz::select(&[])?, fuzz::TIER_SECONDS)?,
        Tier::Live => {
            // The binary under test is the release build that ships (ROOTLESS_DOCTOR_BIN); the test programs
            // themselves are built in the `live-test` profile (Cargo.toml), whose own rootless-doctor keeps the hook
            // tests/enter.rs's pid reuse test pauses `enter` through.
            // `cargo xtask dist` builds the release binary and the two packages tests/package.rs installs.
            let packages = dist::run(sh, tool_install.take())?;
            let release_bin = vm::target_dir(sh).join("release/rootless-doctor");
            // The doctor as real users (live), against real rootless daemons (daemon), hostile and vanishing
            // `enter` targets (enter), and the daemon harness itself (testkit's tests/daemon.rs, in the same cargo
            // run so that both packages share one feature resolution and one build of every dependency; testkit's
            // unit tests run in the unit tier).
            // ROOTLESS_DOCTOR_LIVE=1: there, a missing prerequisite fails a live test instead of skipping it.
            let live = |cmd: xshell::Cmd<'_>| {
                cmd.env("ROOTLESS_DOCTOR_LIVE", "1")
                    .env("ROOTLESS_DOCTOR_BIN", &release_bin)
                    .env("ROOTLESS_DOCTOR_DEB", &packages.deb)
                    .env("ROOTLESS_DOCTOR_RPM", &packages.rpm)
                    .env("ROOTLESS_DOCTOR_LIVE_OK_USER", live_env::OK_USER)
                    .env("ROOTLESS_DOCTOR_LIVE_NOSUB_USER", live_env::NOSUB_USER)
                    .env("ROOTLESS_DOCTOR_LIVE_HOSTILE_USER", live_env::HOSTILE_USER)
                    .run()
            };
            // The Debian 13 root tests/root13.rs pivots into (RootlessKit 2, pasta): built once, then reused.
            let cache = vm::target_dir(sh).join("root13");
            let root13 = cmd!(sh, "tests/root13/build-root.sh {cache}")
                .read()
                .context("building the Debian 13 root (tests/root13/build-root.sh)")?;
            let root13 = root13.lines().last().unwrap_or_default().trim().to_owned();
            live(
                cmd!(
                    sh,
                    "cargo test --profile live-test -p rootless-doctor -p testkit --test live --test daemon --test hostile --test enter --test launch --test start_env --test start_path --test start_state --test agreement --test apply --test net_live --test root13 --test package"
                )
                .env("ROOTLESS_DOCTOR_ROOT13", root13),
            )?;
        }
        Tier::Vm => vm::run(sh)?,
        Tier::Bench => bench::run(sh)?,
    }
    Ok(())
}

/// The final table, one row per selected tier.
/// The calls that change this process's credentials, as they are written in Rust source.
const CREDENTIAL_CALLS: &[&str] = &[
    "setfsuid(",
    "setfsgid(",
    "setuid(",
    "setgid(",
    "seteuid(",
    "setegid(",
    "setreuid(",
    "setregid(",
    "setresuid(",
    "setresgid(",
    "setgroups(",
    "caps::set(",
    "caps::clear(",
    "caps::raise(",
    "caps::drop(",
];

/// The file that alone may change credentials: it restores them (ARCHITECTURE.md, `creds.rs`).
const CREDENTIAL_FILE: &str = "src/host/creds.rs";

/// Fails when product code outside [`CREDENTIAL_FILE`] changes credentials. clippy's `disallowed-methods` cannot
/// say it: the modules under `src/host/` opt out of that lint as a whole.
fn credential_calls_only_in_creds(sh: &Shell) -> Result<()> {
    let mut found = Vec::new();
    let mut dirs = vec![sh.current_dir().join("src")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).with_context(|| format!("{}", dir.display()))? {
            let path = entry?.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path
                    .strip_prefix(sh.current_dir())
                    .unwrap_or(&path)
                    .to_path_buf();
                if rel == std::path::Path::new(CREDENTIAL_FILE) {
                    continue;
                }
                let text = std::fs::read_to_string(&path)?;
                found.extend(
                    credential_calls_in(&text)
                        .into_iter()
                        .map(|(line, call)| format!("{}:{line}: {call}", rel.display())),
                );
            }
        }
    }
    if !found.is_empty() {
        anyhow::bail!(
            "credentials change only in {CREDENTIAL_FILE}, which puts them back:\n{}",
            found.join("\n")
        );
    }
    Ok(())
}

/// The credential calls in `text`, by line number, comments left out.
fn credential_calls_in(text: &str) -> Vec<(usize, &'static str)> {
    let mut found = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or_default();
        for call in CREDENTIAL_CALLS {
            let hit = code.match_indices(call).any(|(at, _)| {
                // A whole name: `setgid(` is not `setegid(`'s tail, `caps::set(` is not `xcaps::set(`'s.
                !code[..at]
                    .chars()
                    .next_back()
                    .is_some_and(|c| c.is_alphanumeric() || c == '_')
            });
            if hit {
                found.push((i + 1, *call));
            }
        }
    }
    found
}

pub fn render_summary(outcomes: &[(Tier, Outcome)]) -> String {
    let rows: Vec<[String; 3]> = outcomes
        .iter()
        .map(|(tier, outcome)| {
            let (status, detail) = match outcome {
                Outcome::Ran(elapsed) => ("ran", format!("{:.1}s", elapsed.as_secs_f64())),
                Outcome::Skipped(reason) => ("skipped", reason.clone()),
                Outcome::Failed(elapsed, reason) => {
                    let first_line = reason.lines().next().unwrap_or_default();
                    (
                        "FAILED",
                        format!("{:.1}s: {first_line}", elapsed.as_secs_f64()),
                    )
                }
                Outcome::NotRun => ("not run", "an earlier tier failed".to_string()),
            };
            [tier.name().to_string(), status.to_string(), detail]
        })
        .collect();
    let header = ["tier", "result", "detail"];
    let widths: Vec<usize> = (0..3)
        .map(|col| {
            rows.iter()
                .map(|row| row[col].len())
                .chain([header[col].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();

    let mut out = String::from("xtask summary\n");
    let mut line = |cells: [&str; 3]| {
        let _ = writeln!(
            out,
            "  {:<w0$}  {:<w1$}  {}",
            cells[0],
            cells[1],
            cells[2],
            w0 = widths[0],
            w1 = widths[1]
        );
    };
    line(header);
    line([
        "-".repeat(widths[0]).as_str(),
        "-".repeat(widths[1]).as_str(),
        "-".repeat(widths[2]).as_str(),
    ]);
    for row in &rows {
        line([row[0].as_str(), row[1].as_str(), row[2].as_str()]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tier_that_cannot_run_is_skipped_outside_ci_and_fails_in_it() {
        let reason = || setup::NOT_ROOT_REASON.to_string();
        assert_eq!(unavailable(reason(), false), Outcome::Skipped(reason()));
        let Outcome::Failed(_, why) = unavailable(reason(), true) else {
            panic!("a skipped tier must fail in CI");
        };
        assert!(
            why.contains("CI is set") && why.contains(&reason()),
            "{why}"
        );
    }

    #[test]
    fn setup_comes_before_the_fixtures_tier_as_root_and_never_before_vm() {
        assert!(wants_setup(Tier::Fixtures, true));
        assert!(!wants_setup(Tier::Fixtures, false));
        assert!(wants_setup(Tier::Live, true));
        assert!(wants_setup(Tier::Bench, true));
        assert!(!wants_setup(Tier::Vm, true));
        assert!(!wants_setup(Tier::Unit, true));
        assert!(!wants_setup(Tier::Lint, true));
        assert_eq!(
            credential_calls_in(
                "x\n    nix::unistd::seteuid(Uid::from_raw(0));\n// setfsuid(0)\nlet a = setgid(1); // setuid(2)"
            ),
            vec![(2, "seteuid("), (4, "setgid(")]
        );
        assert_eq!(
            credential_calls_in("foo_setuid(1); my_caps::set(x); Vec::setgroups_len()"),
            vec![]
        );
    }

    #[test]
    fn summary_lists_every_outcome() {
        let outcomes = [
            (Tier::Lint, Outcome::Ran(Duration::from_millis(1500))),
            (
                Tier::Unit,
                Outcome::Failed(Duration::from_secs(2), "command exited 101\nmore".into()),
            ),
            (Tier::Fixtures, Outcome::NotRun),
            (Tier::Live, Outcome::Skipped("needs root".into())),
        ];
        assert_eq!(
            render_summary(&outcomes),
            "\
xtask summary
  tier      result   detail
  --------  -------  ------------------------
  lint      ran      1.5s
  unit      FAILED   2.0s: command exited 101
  fixtures  not run  an earlier tier failed
  live      skipped  needs root
"
        );
    }
}
