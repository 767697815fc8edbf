//! `cargo xtask`: the project's test harness and dev automation.
//!
//! `cargo xtask test` is what CI runs (`.ci/run`).
//! It runs the tiers lint, unit, fixtures, fuzz, live, vm and bench in that order, stops at the first failing tier and
//! always prints a summary table. A tier that cannot run here (live, vm and bench without root, fuzz without nightly) is
//! skipped with its reason, except in CI (`CI` set), where a skipped tier fails the run.
//! The live and bench tiers run the real binary as real test users against the real host, so they need root: as
//! root, `setup` first installs Debian's rootless Docker packages and creates the users (`setup.rs` says why
//! each step is needed on a Debian 12 machine without systemd as PID 1). The vm tier boots Debian 12 and 13 VMs with
//! systemd as PID 1 under QEMU (`vm.rs`); it installs its own tools and needs no test users.
//!
//! Every external command goes through xshell with an argv; no shell string is ever built from data.

// xtask is dev automation: it touches the filesystem and runs processes by design.
// The project's OS-boundary lints (clippy.toml `disallowed-methods`) are meant for `src/`, not for this crate.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

mod bench;
mod dist;
mod flags;
mod fuzz;
mod live_env;
mod matrix;
mod setup;
mod tiers;
mod vm;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use xshell::Shell;

fn main() -> ExitCode {
    match try_main() {
        Ok(code) => code,
        Err(err) => {
            eprintln!("xtask: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn try_main() -> anyhow::Result<ExitCode> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = flags::parse(&args)?;
    let sh = &Shell::new()?;
    sh.change_dir(project_root());
    match command {
        flags::Command::Help => {
            print!("{}", flags::USAGE);
            Ok(ExitCode::SUCCESS)
        }
        flags::Command::Test { tiers } => {
            let all_passed = tiers::run(sh, &tiers)?;
            Ok(if all_passed {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        flags::Command::Setup => {
            setup::require_root(sh, "setup")?;
            setup::run(sh)?;
            Ok(ExitCode::SUCCESS)
        }
        flags::Command::Fuzz { seconds, targets } => {
            let targets = fuzz::select(&targets)?;
            if let Err(reason) = fuzz::ensure_tools(sh) {
                anyhow::bail!("cannot fuzz: {reason}");
            }
            fuzz::run(sh, &targets, seconds)?;
            Ok(ExitCode::SUCCESS)
        }
        flags::Command::Matrix { dir } => {
            let dir = dir.map_or_else(|| target_dir(sh).join("matrix"), PathBuf::from);
            Ok(if matrix::run(&dir)? {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        flags::Command::Dist => {
            dist::run(sh, None)?;
            Ok(ExitCode::SUCCESS)
        }
        flags::Command::Bench => {
            setup::require_root(sh, "bench")?;
            setup::run(sh)?;
            bench::run(sh)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The workspace root: the parent of this crate's manifest directory.
pub fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

/// Cargo's target directory, honouring `CARGO_TARGET_DIR` like cargo does.
pub fn target_dir(sh: &Shell) -> PathBuf {
    match sh.var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => project_root().join(dir),
        _ => project_root().join("target"),
    }
}
