//! `cargo xtask dist`: the packages users install. A `.deb` (cargo-deb) and an `.rpm` (cargo-generate-rpm), each with
//! the release binary, a manual page per command (generated from the clap definitions, `rootless_doctor::manual`),
//! bash, zsh and fish completions, the licences and the README, under `target/dist/`.
//!
//! What goes where is declared in Cargo.toml (`[package.metadata.deb]`, `[package.metadata.generate-rpm]`), so
//! `cargo deb` and `cargo generate-rpm` by hand package the same files once this has generated them. Both tools
//! are installed with `cargo install --locked` at the version below when missing.

use std::io::Write as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use rootless_doctor::cli::CompletionShell;
use rootless_doctor::manual;
use xshell::{Shell, cmd};

use crate::target_dir;

/// The packaging tools: (cargo subcommand, crate, version).
const TOOLS: &[(&str, &str, &str)] = &[
    ("deb", "cargo-deb", "3.8.0"),
    ("generate-rpm", "cargo-generate-rpm", "0.21.1"),
];

/// The generated files, below the target directory's `release/` so that both tools find them where Cargo.toml's
/// `target/release/dist-assets/…` says (each maps `target/release/` to the real target directory).
const ASSETS: &str = "release/dist-assets";

/// What `dist` made.
#[derive(Debug)]
pub struct Packages {
    pub deb: PathBuf,
    pub rpm: PathBuf,
}

fn has_tool(sh: &Shell, subcommand: &str) -> bool {
    cmd!(sh, "cargo {subcommand} --version")
        .quiet()
        .ignore_stdout()
        .ignore_stderr()
        .run()
        .is_ok()
}

/// `cargo install` of the missing packaging tools, running in the background (niced): `cargo xtask test` starts it
/// with the fuzz tier, whose runs leave a core idle for minutes, so that the live tier finds the tools built
/// (building both takes about six CPU minutes).
#[derive(Debug)]
pub struct ToolInstall {
    child: Option<std::process::Child>,
    log: PathBuf,
}

impl ToolInstall {
    /// Starts installing what is missing; `None` when both tools are there.
    pub fn start(sh: &Shell) -> Result<Option<ToolInstall>> {
        let missing: Vec<String> = TOOLS
            .iter()
            .filter(|(subcommand, ..)| !has_tool(sh, subcommand))
            .map(|(_, krate, version)| format!("{krate}@{version}"))
            .collect();
        if missing.is_empty() {
            return Ok(None);
        }
        let target = target_dir(sh);
        sh.create_dir(&target)?;
        let log = target.join("dist-tools.log");
        let file = std::fs::File::create(&log)?;
        // Its own target directory: a shared one would hold the other builds' lock. Its own process group, so that
        // dropping it stops the rustc processes under cargo too.
        let child = std::process::Command::new("nice")
            .args(["-n", "19", "cargo", "install", "--locked", "--target-dir"])
            .arg(target.join("dist-tools-build"))
            .args(&missing)
            .stdin(std::process::Stdio::null())
            .stdout(file.try_clone()?)
            .stderr(file)
            .process_group(0)
            .spawn()
            .context("starting `cargo install` of the packaging tools")?;
        println!(
            "dist: installing {} in the background (log: {})",
            missing.join(" "),
            log.display()
        );
        Ok(Some(ToolInstall {
            child: Some(child),
            log,
        }))
    }

    /// Waits for the install; a failure says so with the end of its log.
    fn finish(mut self) -> Result<()> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        let status = child.wait()?;
        if !status.success() {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(20).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            bail!(
                "`cargo install` of the packaging tools failed ({status}); {}:\n{}",
                self.log.display(),
                tail.join("\n")
            );
        }
        Ok(())
    }
}

impl Drop for ToolInstall {
    /// A run that stops early (a failed tier) does not leave the install behind.
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            // The whole group: cargo, and the rustc and build scripts it started.
            let _ = std::process::Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .status();
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

pub fn ensure_tools(sh: &Shell, started: Option<ToolInstall>) -> Result<()> {
    if let Some(install) = started {
        println!("dist: waiting for the packaging tools' install");
        if let Err(err) = install.finish() {
            println!("dist: {err:#}; installing in the foreground instead");
        }
    }
    for &(subcommand, krate, version) in TOOLS {
        if has_tool(sh, subcommand) {
            continue;
        }
        println!("dist: {krate} is missing: cargo install --locked {krate}@{version}");
        cmd!(sh, "cargo install --locked {krate}@{version}")
            .run()
            .with_context(|| format!("installing {krate}"))?;
        if !has_tool(sh, subcommand) {
            bail!("`cargo {subcommand} --version` fails even after installing {krate}");
        }
    }
    Ok(())
}

/// Writes the manual pages (gzipped, as both distributions ship them) and the completion scripts into `dir`.
fn generate_assets(sh: &Shell, dir: &Path) -> Result<usize> {
    let man = dir.join("man");
    let completions = dir.join("completions");
    // A page dropped from the CLI must not linger from an earlier run.
    let _ = sh.remove_path(dir);
    sh.create_dir(&man)?;
    sh.create_dir(&completions)?;
    let mut names = Vec::new();
    manual::list(&mut names)?;
    let names = String::from_utf8(names)?;
    let mut pages = 0;
    for name in names.lines() {
        let mut roff = Vec::new();
        manual::page(Some(name), &mut roff)
            .with_context(|| format!("no page {name}, which `man --list` names"))??;
        let path = man.join(format!("{name}.1"));
        sh.write_file(&path, &roff)?;
        // -n: no name or time stamp in the header, so the same page gzips to the same bytes.
        cmd!(sh, "gzip -9nf {path}").quiet().run()?;
        pages += 1;
    }
    for (shell, file) in [
        (CompletionShell::Bash, "rootless-doctor"),
        (CompletionShell::Zsh, "_rootless-doctor"),
        (CompletionShell::Fish, "rootless-doctor.fish"),
    ] {
        let mut script = Vec::new();
        manual::completion(shell, &mut script)?;
        sh.write_file(completions.join(file), &script)?;
    }
    Ok(pages)
}

/// Builds the release binary, generates the pages and completions, and packages both formats.
pub fn run(sh: &Shell, started: Option<ToolInstall>) -> Result<Packages> {
    ensure_tools(sh, started)?;
    cmd!(sh, "cargo build --release").run()?;
    let target = target_dir(sh);
    let pages = generate_assets(sh, &target.join(ASSETS))?;
    println!("dist: {pages} manual pages and 3 completion scripts generated");
    let out = target.join("dist");
    let _ = sh.remove_path(&out);
    sh.create_dir(&out)?;
    // --no-build --no-strip: both packages carry the binary above as it is, which the release profile already
    // strips of debug information (`strip = "debuginfo"`), as cargo-generate-rpm, which does not strip, asks.
    cmd!(sh, "cargo deb --no-build --no-strip --output {out}")
        .run()
        .context("cargo deb")?;
    cmd!(sh, "cargo generate-rpm --output {out}")
        .run()
        .context("cargo generate-rpm")?;
    let find = |ext: &str| -> Result<PathBuf> {
        let mut found: Vec<PathBuf> = sh
            .read_dir(&out)?
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == ext))
            .collect();
        match (found.pop(), found.is_empty()) {
            (Some(one), true) => Ok(one),
            (None, _) => bail!("no .{ext} in {}", out.display()),
            (Some(_), false) => bail!("more than one .{ext} in {}", out.display()),
        }
    };
    let packages = Packages {
        deb: find("deb")?,
        rpm: find("rpm")?,
    };
    let mut stdout = std::io::stdout().lock();
    for path in [&packages.deb, &packages.rpm] {
        let size = std::fs::metadata(path)?.len();
        writeln!(stdout, "dist: {} ({} KiB)", path.display(), size / 1024)?;
    }
    Ok(packages)
}
