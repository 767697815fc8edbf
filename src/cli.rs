//! Command-line types (clap derive). Converted into plain values in `lib.rs`; clap types go no further.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, FromArgMatches, Parser, Subcommand, ValueEnum};

/// The program's name, as clap, the manual pages and the completions use it.
pub const NAME: &str = "rootless-doctor";

#[derive(Debug, Parser)]
#[command(
    name = NAME,
    version,
    about = "Gets a Linux host ready for Docker's rootless mode, and says precisely what is wrong when it isn't",
    after_help = "Exit status: 0 no failure, 1 at least one check failed or could not read what it needs (warnings too with --strict), 2 usage or internal error."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// The command line, as [`Parser::parse_from`] reads it, for less.
    ///
    /// clap builds every subcommand and copies the eleven global options into each before it parses: about 200 µs
    /// of every run, a tenth of `preflight`'s. So the subcommand the line names is tried first in a command of
    /// its own: the global options and that one subcommand, to which clap copies them alone. Whatever that does
    /// not parse (help, `--version`, a mistake, a line whose option value is a subcommand's name) is parsed again by
    /// the whole command, so messages, help and exit codes are clap's as ever. Where the short way succeeds, the
    /// whole command reads the same (`tests::the_short_way_reads_every_line_as_the_whole_command_does`): clap
    /// reads the tokens before the subcommand by the same options, and the subcommand's by the same definition.
    pub fn parse_args(args: impl IntoIterator<Item = OsString>) -> Cli {
        let args: Vec<OsString> = args.into_iter().collect();
        let cli = Cli::parse_named(&args).unwrap_or_else(|| Cli::parse_from(args));
        cli.checked().unwrap_or_else(|e| e.exit())
    }

    /// What clap leaves unchecked: it holds `conflicts_with` within one level of the line only, so
    /// `--user bob preflight --all-users` passed it, and --user was silently ignored.
    fn checked(self) -> Result<Cli, clap::Error> {
        if self.global.all_users && self.global.user.is_some() {
            return Err(<Cli as clap::CommandFactory>::command().error(
                clap::error::ErrorKind::ArgumentConflict,
                "the argument '--all-users' cannot be used with '--user <NAME>'",
            ));
        }
        Ok(self)
    }

    /// The short way of [`Cli::parse_args`]: `None` where it does not parse.
    fn parse_named(args: &[OsString]) -> Option<Cli> {
        let all = <Command as Subcommand>::augment_subcommands(clap::Command::new(NAME));
        let named = args
            .iter()
            .skip(1)
            .find_map(|a| all.find_subcommand(a))?
            .clone();
        let root = <Global as Args>::augment_args(clap::Command::new(NAME))
            .subcommand(named)
            .subcommand_required(true);
        let matches = root.try_get_matches_from(args).ok()?;
        Cli::from_arg_matches(&matches).ok()
    }
}

#[derive(Debug, Args)]
pub struct Global {
    /// Inspect the tree below DIR (a mounted image, a fixture) instead of /
    #[arg(long, global = true, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Read what a tree can't hold (environment, identity, statfs, xattrs) from this sidecar; the tree defaults to ./root beside it
    #[arg(long, global = true, value_name = "FILE")]
    pub host_file: Option<PathBuf>,
    /// Judge this user's setup (root only; otherwise the invoking user, or SUDO_USER under sudo)
    #[arg(long, global = true, value_name = "NAME")]
    pub user: Option<String>,
    /// `preflight` and `check` as root: the host-wide checks once, then a line per account that could run rootless
    /// Docker (a login shell and a uid in UID_MIN..UID_MAX of /etc/login.defs, or a subordinate-id line); what root
    /// without --user (and without SUDO_USER) gets
    #[arg(long, global = true, conflicts_with = "user")]
    pub all_users: bool,
    /// Which daemon `check` and `fix` judge: your rootless one, the rootful (system or remote) one your client
    /// targets, or auto: the one your client deliberately targets (DOCKER_HOST or a context naming it, root, or the
    /// docker group without a rootless daemon) [default: auto]
    #[arg(long, global = true, value_enum)]
    pub target: Option<Target>,
    /// Output format
    #[arg(long, global = true, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Show evidence for passing checks too
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// Warnings fail too (exit 1)
    #[arg(long, global = true)]
    pub strict: bool,
    /// Run only these checks (IDs or areas, comma-separated or repeated)
    #[arg(long, global = true, value_delimiter = ',', value_name = "ID|AREA")]
    pub only: Vec<String>,
    /// Skip these checks (IDs or areas, comma-separated or repeated)
    #[arg(long, global = true, value_delimiter = ',', value_name = "ID|AREA")]
    pub skip: Vec<String>,
    /// When to use colour: auto (only on a terminal, never with NO_COLOR), always (an explicit request beats NO_COLOR), never
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Target {
    Auto,
    Rootless,
    Rootful,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
    /// A POSIX shell script (`fix` only)
    Script,
    /// Prometheus text format for node_exporter's textfile collector (`preflight` and `check`)
    Prometheus,
    /// JUnit XML, one test case per check (`preflight` and `check`)
    Junit,
}

impl Format {
    /// The name `--format` takes.
    pub fn name(self) -> &'static str {
        match self {
            Format::Human => "human",
            Format::Json => "json",
            Format::Script => "script",
            Format::Prometheus => "prometheus",
            Format::Junit => "junit",
        }
    }
}

/// The shells `completion` writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
}

/// A part of `fix`'s plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Part {
    Root,
    User,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the host before installing rootless Docker (reads only; nothing is run unless --probe)
    Preflight {
        /// Also try RootlessKit's start path for real (`rootlesskit … true` as the user, at most 10 s) and name the check that explains its error
        #[arg(long)]
        probe: bool,
    },
    /// Check everything, including the running daemon, its client endpoint and RootlessKit
    Check {
        /// Only these areas or check IDs (e.g. `daemon`, `client`, `subid.entries`); all when none
        #[arg(value_name = "AREA|ID")]
        areas: Vec<String>,
        /// For `volumes.path`: list who holds this path (open files, working directories, mounts), like lsof
        #[arg(long, value_name = "PATH")]
        path: Option<String>,
    },
    /// Join your rootless daemon's user, mount and network namespaces and run a command there (default: your shell)
    Enter {
        /// The process whose namespaces to join (default: dockerd, from $XDG_RUNTIME_DIR/docker.pid)
        #[arg(long)]
        pid: Option<u32>,
        /// The command to run, after `--`
        #[arg(last = true, value_name = "CMD")]
        command: Vec<String>,
    },
    /// Fix what the checks find: shows the plan (a dry run); --apply carries it out, --undo reverses the last apply
    Fix {
        /// Only the fixes of these checks or areas; all when none
        #[arg(value_name = "ID|AREA")]
        targets: Vec<String>,
        /// Carry out the plan: the root part (as root) and the user part, stopping at the first failure, then check again
        #[arg(long, conflicts_with = "undo")]
        apply: bool,
        /// Reverse the last apply, step by step in reverse, from its journal and backups
        #[arg(long)]
        undo: bool,
        /// As a user: run exactly the root part through sudo (`sudo rootless-doctor fix --apply --part root …`), then the user part
        #[arg(long, requires = "apply")]
        sudo: bool,
        /// Apply only this part of the plan (what --sudo runs as root)
        #[arg(long, value_enum, requires = "apply")]
        part: Option<Part>,
    },
    /// From a bare user to a running rootless daemon: preflight, fix --apply, install or start the daemon as the user, check, and a summary of what was done and what remains
    Setup,
    /// Choose RootlessKit's network and port driver for this host: every combination weighed against the table of
    /// drivers and known-bad versions, the choice tried for real, and the settings that select it
    Net {
        /// Containers must see the client's own address on published ports (reverse proxies, access logs, rate limits)
        #[arg(long)]
        source_ip: bool,
        /// Prefer the combination with the most throughput
        #[arg(long)]
        throughput: bool,
        /// No set-user-ID helper (rules out lxc-user-nic)
        #[arg(long)]
        no_suid: bool,
        /// IPv6 inside the namespace and on published ports
        #[arg(long)]
        ipv6: bool,
        /// This MTU instead of the driver's default (RootlessKit takes at most 65521)
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(68..=65521))]
        mtu: Option<u32>,
        /// A port you will publish: below net.ipv4.ip_unprivileged_port_start it needs root's sysctl (or, for builtin, a capability)
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
        port: Option<u16>,
        /// Try every combination that could start here (one bounded RootlessKit launch each), not only until one starts
        #[arg(long)]
        probe: bool,
        /// Write the choice: the user unit's override.conf (or, without systemd, nothing but daemon.json) and daemon.json where it needs a key; backed up and journaled, `fix --undo` reverses it
        #[arg(long)]
        write: bool,
        #[command(subcommand)]
        action: Option<NetAction>,
    },
    /// Record what `check` reads on this host into a new directory, as a fixture that `--host-file DIR/host.toml`
    /// replays with the same findings: secrets left out (DIR/MANIFEST.md lists what is kept); attach it to a bug report
    Capture {
        /// The directory to write; it must not exist yet (it is made 0700)
        #[arg(long, value_name = "DIR")]
        out: std::path::PathBuf,
        /// Only the checks of these areas or IDs; all when none
        #[arg(value_name = "AREA|ID")]
        areas: Vec<String>,
    },
    /// Name the cause of an error you got (from docker, dockerd-rootless.sh, rootlesskit, systemctl --user, the
    /// kernel log): the known errors it matches, then the checks that explain them, run on this host
    Why {
        /// The error text, as it was printed (quoted, or as several words); `-` reads it from standard input
        /// (`journalctl --user -u docker -n 100 | rootless-doctor why -`), its last MiB
        #[arg(value_name = "ERROR", required = true, num_args = 1.., value_parser = clap::value_parser!(std::ffi::OsString))]
        error: Vec<std::ffi::OsString>,
    },
    /// List every check: ID, area, one line
    List,
    /// Print the completion script for a shell, e.g. `rootless-doctor completion bash >
    /// ~/.local/share/bash-completion/completions/rootless-doctor` (the packages install them)
    Completion {
        #[arg(value_enum)]
        shell: CompletionShell,
    },
    /// Print a manual page in roff: the command's, or a subcommand's (`rootless-doctor man preflight | man -l -`);
    /// --list names them all (the packages install them)
    Man {
        /// A page: a subcommand (`preflight`, `net-bench`) or a page name as --list prints it
        #[arg(value_name = "PAGE", conflicts_with = "list")]
        page: Option<String>,
        /// Print every page's name instead
        #[arg(long)]
        list: bool,
    },
    /// Explain one check: what it reads, why, the error users see, the fix per distribution
    Explain {
        /// A check ID, as `list` prints it
        id: String,
    },
}

/// The first argument that makes the binary `net bench`'s child inside RootlessKit's namespaces.
pub const NET_BENCH_CHILD: &str = "__net-bench-child";

// `rootless-doctor __net-bench-child --listen N --bytes N --seconds N`, parsed apart from `Cli` (main.rs looks at
// the first argument), so that neither the help, the manual pages nor the shell completions offer it.
#[derive(Debug, Parser)]
#[command(
    name = "rootless-doctor __net-bench-child",
    about = "Inside RootlessKit's namespaces for `net bench` (run by RootlessKit, not by people)"
)]
pub struct NetBenchChild {
    #[arg(long)]
    pub listen: u16,
    #[arg(long)]
    pub bytes: u64,
    #[arg(long)]
    pub seconds: u64,
}

/// What `net` does besides choosing.
#[derive(Debug, Subcommand)]
pub enum NetAction {
    /// Measure every combination that starts here: one RootlessKit launch each, TCP data pushed in through a published port and out of the namespace, the client's address checked; loopback and throw-away namespaces only
    Bench {
        /// MiB each way per combination
        #[arg(long, value_name = "N", default_value_t = 32, value_parser = clap::value_parser!(u64).range(1..=1024))]
        mib: u64,
        /// Seconds each combination may take, RootlessKit's start included
        #[arg(long, value_name = "S", default_value_t = 60, value_parser = clap::value_parser!(u64).range(5..=600))]
        seconds: u64,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn words(line: &[&str]) -> Vec<OsString> {
        std::iter::once(NAME)
            .chain(line.iter().copied())
            .map(OsString::from)
            .collect()
    }

    /// The whole command's reading: the parsed line, or clap's error kind.
    fn whole(args: &[OsString]) -> Result<String, clap::error::ErrorKind> {
        Cli::try_parse_from(args)
            .map(|c| format!("{c:?}"))
            .map_err(|e| e.kind())
    }

    #[test]
    fn the_short_way_reads_the_lines_people_type() {
        for line in [
            &["preflight"][..],
            &["preflight", "--format", "json"],
            &["--format=json", "preflight", "--probe"],
            &[
                "--root", "/mnt", "--user", "alice", "check", "daemon", "client", "--only", "a,b",
            ],
            &["check", "--path", "/x", "-v", "--strict"],
            &["--all-users", "preflight", "--format", "prometheus"],
            &["net", "--source-ip", "bench", "--mib", "4"],
            &["fix", "--apply", "--part", "root", "subid"],
            &["why", "newuidmap:", "write", "to", "uid_map", "failed"],
            &["enter", "--pid", "42", "--", "ip", "addr"],
            &["man", "--list"],
            &["explain", "subid.entries"],
            &["--user", "preflight", "preflight"],
        ] {
            let args = words(line);
            let short =
                Cli::parse_named(&args).unwrap_or_else(|| panic!("{line:?} took the long way"));
            assert_eq!(Ok(format!("{short:?}")), whole(&args), "{line:?}");
        }
    }

    #[test]
    fn what_the_short_way_cannot_read_goes_the_long_way() {
        for line in [
            &[][..],
            &["--version"],
            &["--help"],
            &["preflight", "--help"],
            &["help", "preflight"],
            &["preflght"],
            &["preflight", "--format", "yaml"],
            &["fix", "--apply", "--undo"],
            &["--user", "check", "preflight"],
        ] {
            assert!(Cli::parse_named(&words(line)).is_none(), "{line:?}");
        }
    }

    fn token() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec![
            "preflight",
            "check",
            "enter",
            "fix",
            "setup",
            "net",
            "bench",
            "capture",
            "why",
            "list",
            "completion",
            "man",
            "explain",
            "help",
            "bash",
            "--root",
            "--root=/r",
            "/r",
            "--host-file",
            "--user",
            "alice",
            "--all-users",
            "--target",
            "rootful",
            "--format",
            "json",
            "junit",
            "script",
            "--verbose",
            "-v",
            "-vv",
            "--strict",
            "--only",
            "subid,daemon",
            "--skip",
            "--color",
            "never",
            "--probe",
            "--path",
            "--pid",
            "7",
            "--",
            "--apply",
            "--undo",
            "--sudo",
            "--part",
            "root",
            "--source-ip",
            "--mtu",
            "1500",
            "--port",
            "0",
            "--mib",
            "--seconds",
            "--out",
            "--list",
            "-h",
            "--help",
            "--version",
            "x",
            "",
        ])
    }

    /// Lines shaped as people write them (options, a subcommand, its words) more often than not, so that the
    /// short way parses a good share of them; any token anywhere otherwise.
    fn line() -> impl Strategy<Value = Vec<&'static str>> {
        let global = prop::sample::select(vec![
            "--root=/r",
            "--user",
            "alice",
            "--all-users",
            "--format",
            "json",
            "-v",
            "--strict",
            "--only",
            "subid",
            "--color",
            "never",
            "--target",
            "rootful",
        ]);
        let subcommand = prop::sample::select(vec![
            "preflight",
            "check",
            "enter",
            "fix",
            "net",
            "capture",
            "why",
            "list",
            "man",
            "explain",
            "completion",
        ]);
        prop_oneof![
            3 => (
                prop::collection::vec(global, 0..3),
                subcommand,
                prop::collection::vec(token(), 0..4),
            )
                .prop_map(|(mut line, sub, rest)| {
                    line.push(sub);
                    line.extend(rest);
                    line
                }),
            1 => prop::collection::vec(token(), 0..7),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1024))]
        /// Wherever the short way parses a line, the whole command parses it the same.
        #[test]
        fn the_short_way_reads_every_line_as_the_whole_command_does(line in line()) {
            let args = words(&line);
            if let Some(short) = Cli::parse_named(&args) {
                prop_assert_eq!(Ok(format!("{short:?}")), whole(&args));
            }
        }
    }
}
