//! Hand-rolled argument parsing: the command set is tiny and clap would be this crate's largest dependency.

use anyhow::{Result, bail, format_err};

pub const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  test [--tier T]...   run test tiers in order (default: all); T is one of
                       lint, unit, fixtures, fuzz, live, vm, bench
  fuzz [--seconds N] [TARGET]...
                       run the fuzz targets in fuzz/ (all by default) for N
                       seconds each (default 60); needs nightly and cargo-fuzz,
                       which it installs when missing
  setup                as root: install the packages and create the test users
                       the live and bench tiers need (idempotent)
  bench                as root: benchmark `preflight` against
                       dockerd-rootless-setuptool.sh check with hyperfine
  dist                 build target/dist/*.deb and *.rpm (cargo-deb and
                       cargo-generate-rpm, installed when missing): the release
                       binary, manual pages, completions, licences, README
  matrix [DIR]         check the distro matrix's results (DIR/MACHINE/out, as
                       tests/matrix/collect.sh leaves them; default
                       target/matrix) against tests/matrix/expected.toml
  help                 print this message
";

/// A test tier. The declaration order is the order tiers run in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Tier {
    Lint,
    Unit,
    Fixtures,
    Fuzz,
    Live,
    Vm,
    Bench,
}

impl Tier {
    pub const ALL: [Tier; 7] = [
        Tier::Lint,
        Tier::Unit,
        Tier::Fixtures,
        Tier::Fuzz,
        Tier::Live,
        Tier::Vm,
        Tier::Bench,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Tier::Lint => "lint",
            Tier::Unit => "unit",
            Tier::Fixtures => "fixtures",
            Tier::Fuzz => "fuzz",
            Tier::Live => "live",
            Tier::Vm => "vm",
            Tier::Bench => "bench",
        }
    }

    pub fn from_name(name: &str) -> Option<Tier> {
        Tier::ALL.into_iter().find(|tier| tier.name() == name)
    }

    /// Tiers that run the tool as real test users against the real host, or build and boot VM images.
    pub fn needs_root(self) -> bool {
        matches!(self, Tier::Live | Tier::Vm | Tier::Bench)
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    /// The tiers to run, deduplicated and in canonical order.
    Test {
        tiers: Vec<Tier>,
    },
    Setup,
    Bench,
    Dist,
    /// The directory holding one `MACHINE/out` per Vagrant machine (None: target/matrix).
    Matrix {
        dir: Option<String>,
    },
    /// Fuzz targets (empty: all) for a number of seconds each.
    Fuzz {
        seconds: u32,
        targets: Vec<String>,
    },
    Help,
}

pub fn parse(args: &[String]) -> Result<Command> {
    let mut args = args.iter().map(String::as_str);
    let command = match args.next() {
        None | Some("help" | "-h" | "--help") => return Ok(Command::Help),
        Some(command) => command,
    };
    match command {
        "test" => {
            let mut tiers = Vec::new();
            while let Some(arg) = args.next() {
                let value = match arg.strip_prefix("--tier=") {
                    Some(value) => value,
                    None if arg == "--tier" => args
                        .next()
                        .ok_or_else(|| format_err!("`--tier` needs a value"))?,
                    None => bail!("unexpected argument `{arg}` for `test`\n\n{USAGE}"),
                };
                let tier = Tier::from_name(value).ok_or_else(|| {
                    format_err!(
                        "unknown tier `{value}`; expected one of: lint, unit, fixtures, fuzz, live, vm, bench"
                    )
                })?;
                tiers.push(tier);
            }
            if tiers.is_empty() {
                tiers = Tier::ALL.to_vec();
            }
            tiers.sort();
            tiers.dedup();
            Ok(Command::Test { tiers })
        }
        "fuzz" => {
            let mut seconds = crate::fuzz::DEFAULT_SECONDS;
            let mut targets = Vec::new();
            while let Some(arg) = args.next() {
                let value = match arg.strip_prefix("--seconds=") {
                    Some(value) => Some(value),
                    None if arg == "--seconds" => Some(
                        args.next()
                            .ok_or_else(|| format_err!("`--seconds` needs a value"))?,
                    ),
                    None if arg.starts_with('-') => {
                        bail!("unexpected argument `{arg}` for `fuzz`\n\n{USAGE}")
                    }
                    None => {
                        targets.push(arg.to_owned());
                        None
                    }
                };
                if let Some(value) = value {
                    seconds = value.parse().ok().filter(|&s| s > 0).ok_or_else(|| {
                        format_err!("`--seconds` takes a positive number, not `{value}`")
                    })?;
                }
            }
            Ok(Command::Fuzz { seconds, targets })
        }
        "setup" | "bench" | "dist" => {
            if let Some(arg) = args.next() {
                bail!("unexpected argument `{arg}` for `{command}`\n\n{USAGE}");
            }
            Ok(match command {
                "setup" => Command::Setup,
                "bench" => Command::Bench,
                _ => Command::Dist,
            })
        }
        "matrix" => {
            let dir = args.next().map(str::to_owned);
            if let Some(arg) = args.next() {
                bail!("unexpected argument `{arg}` for `matrix`\n\n{USAGE}");
            }
            Ok(Command::Matrix { dir })
        }
        _ => bail!("unknown command `{command}`\n\n{USAGE}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(args: &[&str], expect: Command) {
        let args: Vec<String> = args.iter().map(|arg| arg.to_string()).collect();
        assert_eq!(parse(&args).unwrap(), expect);
    }

    #[track_caller]
    fn check_err(args: &[&str], expect: &str) {
        let args: Vec<String> = args.iter().map(|arg| arg.to_string()).collect();
        let err = parse(&args).unwrap_err().to_string();
        assert!(err.contains(expect), "{err:?} does not contain {expect:?}");
    }

    #[test]
    fn matrix_takes_one_directory() {
        check(&["matrix"], Command::Matrix { dir: None });
        check(
            &["matrix", "results"],
            Command::Matrix {
                dir: Some("results".to_owned()),
            },
        );
        check_err(
            &["matrix", "a", "b"],
            "unexpected argument `b` for `matrix`",
        );
    }

    #[test]
    fn no_tier_means_all_in_order() {
        check(
            &["test"],
            Command::Test {
                tiers: Tier::ALL.to_vec(),
            },
        );
    }

    #[test]
    fn tiers_are_deduplicated_and_ordered() {
        check(
            &["test", "--tier", "live", "--tier=lint", "--tier", "live"],
            Command::Test {
                tiers: vec![Tier::Lint, Tier::Live],
            },
        );
    }

    #[test]
    fn the_vm_tier_runs_after_live_and_before_bench() {
        check(
            &["test", "--tier", "bench", "--tier", "vm", "--tier", "live"],
            Command::Test {
                tiers: vec![Tier::Live, Tier::Vm, Tier::Bench],
            },
        );
        assert!(Tier::Vm.needs_root());
    }

    #[test]
    fn other_commands() {
        check(&[], Command::Help);
        check(&["--help"], Command::Help);
        check(&["setup"], Command::Setup);
        check(&["bench"], Command::Bench);
    }

    #[test]
    fn fuzz() {
        check(
            &["fuzz"],
            Command::Fuzz {
                seconds: crate::fuzz::DEFAULT_SECONDS,
                targets: vec![],
            },
        );
        check(
            &["fuzz", "--seconds", "300", "http", "--seconds=5", "glob"],
            Command::Fuzz {
                seconds: 5,
                targets: vec!["http".into(), "glob".into()],
            },
        );
        check_err(&["fuzz", "--seconds"], "`--seconds` needs a value");
        check_err(&["fuzz", "--seconds", "0"], "positive number, not `0`");
        check_err(&["fuzz", "--fast"], "unexpected argument `--fast`");
    }

    #[test]
    fn errors() {
        check_err(&["test", "--tier"], "`--tier` needs a value");
        check_err(&["test", "--tier", "slow"], "unknown tier `slow`");
        check_err(&["test", "unit"], "unexpected argument `unit`");
        check_err(&["setup", "--now"], "unexpected argument `--now`");
        check_err(&["frobnicate"], "unknown command `frobnicate`");
    }
}
