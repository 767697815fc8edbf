//! `cargo xtask matrix [DIR]`: the distro matrix's results, one `MACHINE/out` per Vagrant machine as
//! `tests/matrix/collect.sh` leaves them, checked against `tests/matrix/expected.toml` (`testkit::matrix`, the same
//! checker the VM tier runs on Debian 12 and 13).

use std::path::Path;

use anyhow::{Context, Result, bail};

/// Prints each machine's verdict; true when every machine found meets its expectations.
pub fn run(dir: &Path) -> Result<bool> {
    let expected =
        testkit::matrix::load(&testkit::matrix::expected_path()).map_err(anyhow::Error::msg)?;
    let mut machines: Vec<String> = std::fs::read_dir(dir)
        .with_context(|| {
            format!(
                "{}: no matrix results (tests/matrix/collect.sh MACHINE)",
                dir.display()
            )
        })?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("out").is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    machines.sort();
    if machines.is_empty() {
        bail!("{}: no MACHINE/out directory to check", dir.display());
    }
    let mut all = true;
    for name in &machines {
        let Some(machine) = expected.get(name) else {
            println!("{name}: not a machine of the Vagrantfile (tests/matrix/expected.toml)");
            all = false;
            continue;
        };
        let problems = testkit::matrix::check(machine, &dir.join(name).join("out"));
        if problems.is_empty() {
            println!("{name}: meets tests/matrix/expected.toml");
        } else {
            all = false;
            println!("{name}: {} problem(s)", problems.len());
            for p in problems {
                println!("  {p}");
            }
        }
    }
    let missing: Vec<&String> = expected.keys().filter(|m| !machines.contains(m)).collect();
    if !missing.is_empty() {
        println!(
            "not run: {}",
            missing
                .iter()
                .map(|m| m.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(all)
}
